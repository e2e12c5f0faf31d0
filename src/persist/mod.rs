//! Persistence: the keyspace to files and back.
//!
//! Chapter: chapters/20-rdb.md
//!
//! `rdb` is Redis 7.0's snapshot format: a compact binary image of every
//! database, also used for DUMP/RESTORE payloads. It reads `db` and `ds`
//! and writes to any `io::Write`, so the same code serves SAVE, a forked
//! BGSAVE child and DUMP.
//!
//! Not here: sockets, commands and the server's bookkeeping (LASTSAVE,
//! logging): `server/rdb.rs` and `cmd/dump.rs` call in here.

pub mod rdb;
