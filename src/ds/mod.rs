//! Pure data structures and algorithms: no I/O, no networking, no commands.
//!
//! Chapter: chapters/07-dict.md
//!
//! Everything under `ds/` depends only on `std`, so each piece can be read,
//! tested and benchmarked on its own.

pub mod bitops;
pub mod crc64;
pub mod dict;
pub mod glob;
pub mod intset;
pub mod lcs;
pub mod listpack;
pub mod longdouble;
pub mod lzf;
pub mod quicklist;
pub mod sds;
pub mod siphash;
pub mod skiplist;
pub mod strconv;
