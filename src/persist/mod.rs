//! Persistence: the dataset on disk.
//!
//! Chapter: chapters/21-aof.md
//!
//! The append-only file logs every write as a command (`aof.rs`), in a
//! directory of files listed by a manifest (`manifest.rs`), compacted by
//! rewriting in a forked child (`rewrite.rs`) and read back at start-up
//! (`aof_load.rs`).
//!
//! Not here: the fork itself (`server/child.rs`), the background fsync
//! thread (`server/bio.rs`), what gets logged (`server/propagate.rs`).

pub mod aof;
pub mod aof_load;
pub mod manifest;
pub mod rewrite;
