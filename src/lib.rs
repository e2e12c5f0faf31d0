//! oxidis: a Redis-compatible server, written from scratch as a textbook.
//!
//! Chapter: chapters/introduction.md
//!
//! The crate is a library plus one thin binary (`src/main.rs`), so tests and
//! benches can reach every layer. Layers, bottom to top; dependencies only
//! ever point down:
//!
//! ```text
//!   server/   clients, dispatch, INFO, CONFIG; wires everything together
//!   cmd/      one function per command: parse args, call db/ds, return a Reply
//!   persist/  RDB snapshots and DUMP payloads: the keyspace as bytes
//!   db/       the keyspace: databases of keys and values
//!   config/   redis.conf parsing and the directive table
//!   resp/     RESP2/RESP3 bytes <-> requests and replies; no sockets
//!   event/    poller (epoll | kqueue | select) and timers; knows fds only
//!   ds/       dict, siphash, glob: pure data structures, no I/O
//! ```
//!
//! Not here: anything that runs. `main.rs` reads the configuration and hands
//! it to `server::run`.

pub mod alloc;
pub mod cmd;
pub mod config;
pub mod db;
pub mod ds;
pub mod event;
pub mod log;
pub mod persist;
pub mod resp;
pub mod server;
