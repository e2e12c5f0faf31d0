//! RESP: the Redis serialization protocol, as bytes in and bytes out.
//!
//! Chapter: chapters/02-resp.md
//!
//! Two halves that never touch a socket. `parser` turns the bytes a client
//! sent into argument vectors, one command at a time, however the bytes
//! were split across reads. `reply` turns the `Reply` a command returned
//! into RESP2 or RESP3 bytes. Working on plain byte slices keeps both
//! testable byte for byte and benchmarkable without a network.
//!
//! Not here: reading and writing sockets, query and output buffers
//! (server/); what a command means (cmd/).

pub mod parser;
pub mod reply;

pub use parser::{Limits, ProtocolError, RequestParser};
pub use reply::{encode, Protocol, Reply};
