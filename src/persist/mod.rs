//! Persistence: the dataset on disk, as snapshots and as a log.
//!
//! Chapter: chapters/20-rdb.md
//!
//! `rdb` is Redis 7.0's snapshot format: a compact binary image of every
//! database, also used for DUMP/RESTORE payloads and as the AOF's
//! preamble. It reads `db` and `ds` and writes to any `io::Write`, so the
//! same code serves SAVE, a forked BGSAVE child and DUMP.
//!
//! The append-only file logs every write as a command (`aof.rs`), in a
//! directory of files listed by a manifest (`manifest.rs`), compacted by
//! rewriting in a forked child (`rewrite.rs`) and read back at start-up
//! (`aof_load.rs`).
//!
//! Not here: sockets, commands and the server's bookkeeping
//! (`server/rdb.rs`, `cmd/dump.rs`), the fork itself (`server/child.rs`),
//! the background fsync thread (`server/bio.rs`), what gets logged
//! (`server/propagate.rs`).

pub mod aof;
pub mod aof_load;
pub mod manifest;
pub mod rdb;
pub mod rewrite;
