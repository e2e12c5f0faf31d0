//! RDB writer: the keyspace to bytes, streamed through a checksumming buffer.
//!
//! Chapter: chapters/20-rdb.md
//!
//! `Writer` wraps any `io::Write` (a file in SAVE or the fork child, a
//! `Vec` for DUMP). It collects output in a 64 KiB buffer and, each time
//! the buffer is handed to the sink, runs the CRC over it, so the whole
//! file is never in memory and the checksum costs one pass over each
//! chunk. Above it sit the RDB encodings, from lengths up to whole
//! databases:
//!
//! ```text
//!   write_len        1, 2, 5 or 9 bytes
//!   write_string     int-encoded (C0..C2), LZF (C3) or length + bytes
//!   write_object     one value: its encoding's blob, or a count + strings
//!   write_dbs        SELECTDB, RESIZEDB, [EXPIRETIME_MS] [IDLE] type key value ...
//! ```
//!
//! Invariants:
//! 1. `crc` is the CRC-64 of every byte handed to the sink so far, and
//!    `pending` holds the bytes written since; `finish` emits `pending`,
//!    then the checksum of everything.
//! 2. A string is written exactly as Redis 7.0's `rdbSaveRawString`
//!    writes it: integer-encoded if it is a canonical integer of at most
//!    11 characters that fits 32 bits, else LZF-compressed if compression
//!    is on, it is longer than 20 bytes and LZF saves at least 4 bytes,
//!    else raw.
//!
//! Not here: the file dance (temp file, fsync, rename: mod.rs), reading
//! (load.rs).

use super::{
    SaveOptions, OPCODE_AUX, OPCODE_EOF, OPCODE_EXPIRETIME_MS, OPCODE_IDLE, OPCODE_RESIZEDB,
    OPCODE_SELECTDB, RDB_VERSION, TYPE_HASH, TYPE_HASH_LISTPACK, TYPE_LIST_QUICKLIST_2, TYPE_SET,
    TYPE_SET_INTSET, TYPE_STRING, TYPE_ZSET_2, TYPE_ZSET_LISTPACK,
};
use crate::db::object::{lru_clock, LRU_CLOCK_MAX};
use crate::db::{Db, RObj, Value};
use crate::ds::crc64;
use crate::ds::lzf;
use crate::ds::quicklist::Container;
use std::io::{self, Write};

/// Flush to the sink (and checksum) in chunks of this size: large enough
/// that the CRC's slice-by-8 loop and the write syscall run on long runs,
/// small enough to stay in L2.
const CHUNK: usize = 64 * 1024;

/// The special-encoding prefix (top two bits 11) and its four kinds.
const ENC_INT8: u8 = 0xC0;
const ENC_INT16: u8 = 0xC1;
const ENC_INT32: u8 = 0xC2;
const ENC_LZF: u8 = 0xC3;

/// Redis compresses only strings longer than this (rdbSaveRawString).
const LZF_MIN_LEN: usize = 20;

/// Quicklist node containers as RDB numbers them (QUICKLIST_NODE_CONTAINER_*).
pub const CONTAINER_PLAIN: u64 = 1;
pub const CONTAINER_PACKED: u64 = 2;

pub struct Writer<W: Write> {
    sink: W,
    pending: Vec<u8>,
    /// CRC-64 of the bytes already handed to `sink` (invariant 1).
    crc: u64,
    compress: bool,
    /// Reused LZF output buffer.
    scratch: Vec<u8>,
    written: u64,
}

impl<W: Write> Writer<W> {
    pub fn new(sink: W, compress: bool) -> Writer<W> {
        Writer {
            sink,
            pending: Vec::with_capacity(CHUNK),
            crc: 0,
            compress,
            scratch: Vec::new(),
            written: 0,
        }
    }

    /// Bytes written so far, flushed or not.
    pub fn position(&self) -> u64 {
        self.written + self.pending.len() as u64
    }

    fn spill(&mut self) -> io::Result<()> {
        self.crc = crc64::update(self.crc, &self.pending);
        self.sink.write_all(&self.pending)?;
        self.written += self.pending.len() as u64;
        self.pending.clear();
        Ok(())
    }

    pub fn bytes(&mut self, b: &[u8]) -> io::Result<()> {
        if self.pending.len() + b.len() > CHUNK {
            self.spill()?;
            if b.len() >= CHUNK {
                // A big blob goes straight through, checksummed in place.
                self.crc = crc64::update(self.crc, b);
                self.sink.write_all(b)?;
                self.written += b.len() as u64;
                return Ok(());
            }
        }
        self.pending.extend_from_slice(b);
        Ok(())
    }

    pub fn byte(&mut self, b: u8) -> io::Result<()> {
        self.bytes(&[b])
    }

    /// Ends the stream: the CRC of everything so far (or 0 when
    /// `checksum` is off) as 8 bytes LE. Returns the sink.
    pub fn finish(mut self, checksum: bool) -> io::Result<W> {
        self.spill()?;
        let crc = if checksum { self.crc } else { 0 };
        self.sink.write_all(&crc.to_le_bytes())?;
        self.sink.flush()?;
        Ok(self.sink)
    }

    /// The checksum of everything written so far (for DUMP's footer,
    /// which the caller appends itself).
    pub fn crc_so_far(&mut self) -> io::Result<u64> {
        self.spill()?;
        Ok(self.crc)
    }

    pub fn into_sink(mut self) -> io::Result<W> {
        self.spill()?;
        Ok(self.sink)
    }

    // ANCHOR: write_len
    /// A length: 6 bits in one byte, 14 bits in two (big-endian), or a
    /// marker byte and a 32- or 64-bit big-endian number.
    ///
    /// ```text
    ///   00xxxxxx                 0..=63
    ///   01xxxxxx xxxxxxxx        64..=16383
    ///   10000000 + u32 BE        up to 2^32-1
    ///   10000001 + u64 BE        anything larger
    /// ```
    pub fn write_len(&mut self, n: u64) -> io::Result<()> {
        if n < 1 << 6 {
            self.byte(n as u8)
        } else if n < 1 << 14 {
            self.bytes(&[0x40 | (n >> 8) as u8, n as u8])
        } else if n <= u32::MAX as u64 {
            let mut b = [0u8; 5];
            b[0] = 0x80;
            b[1..].copy_from_slice(&(n as u32).to_be_bytes());
            self.bytes(&b)
        } else {
            let mut b = [0u8; 9];
            b[0] = 0x81;
            b[1..].copy_from_slice(&n.to_be_bytes());
            self.bytes(&b)
        }
    }
    // ANCHOR_END: write_len

    // ANCHOR: write_string
    /// A string, encoded as Redis would (invariant 2).
    pub fn write_string(&mut self, s: &[u8]) -> io::Result<()> {
        if s.len() <= 11 {
            if let Some(n) = crate::ds::strconv::parse_i64(s) {
                if self.write_small_int(n)? {
                    return Ok(());
                }
            }
        }
        if self.compress && s.len() > LZF_MIN_LEN {
            self.scratch.clear();
            // Redis gives liblzf an output buffer of len - 4 bytes: a
            // saving smaller than that is not worth the two extra lengths.
            if lzf::compress(s, &mut self.scratch, s.len() - 4) && !self.scratch.is_empty() {
                let z = std::mem::take(&mut self.scratch);
                let r = self.write_lzf_blob(&z, s.len());
                self.scratch = z;
                return r;
            }
        }
        self.write_len(s.len() as u64)?;
        self.bytes(s)
    }
    // ANCHOR_END: write_string

    /// `n` as C0/C1/C2 + 1, 2 or 4 bytes LE, when it fits 32 bits.
    fn write_small_int(&mut self, n: i64) -> io::Result<bool> {
        if let Ok(v) = i8::try_from(n) {
            self.bytes(&[ENC_INT8, v as u8])?;
        } else if let Ok(v) = i16::try_from(n) {
            let b = v.to_le_bytes();
            self.bytes(&[ENC_INT16, b[0], b[1]])?;
        } else if let Ok(v) = i32::try_from(n) {
            let b = v.to_le_bytes();
            self.bytes(&[ENC_INT32, b[0], b[1], b[2], b[3]])?;
        } else {
            return Ok(false);
        }
        Ok(true)
    }

    /// An int-encoded string object (OBJ_ENCODING_INT): integer encoding
    /// when it fits 32 bits, else its decimal text.
    pub fn write_int_string(&mut self, n: i64) -> io::Result<()> {
        if self.write_small_int(n)? {
            return Ok(());
        }
        let text = n.to_string();
        self.write_len(text.len() as u64)?;
        self.bytes(text.as_bytes())
    }

    /// C3, compressed length, original length, LZF bytes.
    pub fn write_lzf_blob(&mut self, z: &[u8], original_len: usize) -> io::Result<()> {
        self.byte(ENC_LZF)?;
        self.write_len(z.len() as u64)?;
        self.write_len(original_len as u64)?;
        self.bytes(z)
    }

    /// A double as 8 bytes little-endian (ZSET_2).
    pub fn write_binary_double(&mut self, d: f64) -> io::Result<()> {
        self.bytes(&d.to_le_bytes())
    }

    /// An AUX field: FA, key, value (both as strings).
    pub fn write_aux(&mut self, key: &str, value: &[u8]) -> io::Result<()> {
        self.byte(OPCODE_AUX)?;
        self.write_string(key.as_bytes())?;
        self.write_string(value)
    }
}

/// The RDB type byte for a value: the only encodings Redis 7.0 writes.
pub fn type_byte(v: &Value) -> u8 {
    match v {
        Value::Int(_) | Value::Inline(_) | Value::Emb(_) | Value::Raw(_) => TYPE_STRING,
        Value::List(_) => TYPE_LIST_QUICKLIST_2,
        Value::SetInt(_) => TYPE_SET_INTSET,
        Value::SetTable(_) => TYPE_SET,
        Value::ZsetLp(_) => TYPE_ZSET_LISTPACK,
        Value::ZsetSkip(_) => TYPE_ZSET_2,
        Value::HashLp(_) => TYPE_HASH_LISTPACK,
        Value::HashTable(_) => TYPE_HASH,
    }
}

// ANCHOR: write_object
/// The value part of a key (after its type byte), as rdbSaveObject.
pub fn write_object<W: Write>(w: &mut Writer<W>, v: &Value) -> io::Result<()> {
    match v {
        Value::Int(n) => w.write_int_string(*n),
        Value::Inline(s) => w.write_string(s.as_bytes()),
        Value::Emb(s) | Value::Raw(s) => w.write_string(s.as_bytes()),
        // Blob encodings go out as one string each: the exact in-memory
        // bytes, which a string write may LZF-compress.
        Value::HashLp(b) | Value::SetInt(b) | Value::ZsetLp(b) => w.write_string(b.as_bytes()),
        Value::List(ql) => {
            w.write_len(ql.node_count() as u64)?;
            for node in ql.nodes() {
                w.write_len(match node.container {
                    Container::Plain => CONTAINER_PLAIN,
                    Container::Packed => CONTAINER_PACKED,
                })?;
                if node.compressed {
                    // Already LZF in memory: written as is, not recompressed.
                    w.write_lzf_blob(node.bytes, node.uncompressed_len)?;
                } else {
                    w.write_string(node.bytes)?;
                }
            }
            Ok(())
        }
        Value::SetTable(d) => {
            w.write_len(d.len() as u64)?;
            for m in d.keys() {
                w.write_string(m.as_bytes())?;
            }
            Ok(())
        }
        Value::HashTable(d) => {
            w.write_len(d.len() as u64)?;
            for (f, val) in d.iter() {
                w.write_string(f.as_bytes())?;
                w.write_string(val.as_bytes())?;
            }
            Ok(())
        }
        Value::ZsetSkip(z) => {
            // Tail to head, as Redis does: its loader then inserts each
            // element at the head of the skiplist, the cheapest spot.
            w.write_len(z.len() as u64)?;
            let last = z.len().saturating_sub(1);
            for (score, member) in z.list.iter_rev_from_rank(last) {
                w.write_string(member)?;
                w.write_binary_double(score)?;
            }
            Ok(())
        }
    }
}
// ANCHOR_END: write_object

/// Header and AUX fields, in Redis 7.0's order.
pub fn write_header<W: Write>(w: &mut Writer<W>, opts: &SaveOptions) -> io::Result<()> {
    w.bytes(format!("REDIS{:04}", RDB_VERSION).as_bytes())?;
    w.write_aux("redis-ver", opts.redis_ver.as_bytes())?;
    w.write_aux("redis-bits", usize::BITS.to_string().as_bytes())?;
    w.write_aux("ctime", opts.ctime.to_string().as_bytes())?;
    w.write_aux("used-mem", opts.used_mem.to_string().as_bytes())?;
    w.write_aux("aof-base", if opts.aof_base { b"1" } else { b"0" })
}

// ANCHOR: write_db
/// One database: SELECTDB, RESIZEDB, then every key. Empty databases are
/// skipped entirely, as Redis skips them.
pub fn write_db<W: Write>(w: &mut Writer<W>, db: &Db, opts: &SaveOptions) -> io::Result<u64> {
    if db.keys.is_empty() {
        return Ok(0);
    }
    w.byte(OPCODE_SELECTDB)?;
    w.write_len(db.id as u64)?;
    w.byte(OPCODE_RESIZEDB)?;
    w.write_len(db.keys.len() as u64)?;
    w.write_len(db.expires.len() as u64)?;
    let mut n: u64 = 0;
    for (key, obj) in db.keys.iter() {
        if let Some(when) = db.get_expire(key.as_bytes()) {
            w.byte(OPCODE_EXPIRETIME_MS)?;
            w.bytes(&when.to_le_bytes())?;
        }
        if let Some(clock) = opts.lru_clock {
            w.byte(OPCODE_IDLE)?;
            w.write_len(idle_seconds(obj, clock))?;
        }
        w.byte(type_byte(&obj.value))?;
        w.write_string(key.as_bytes())?;
        write_object(w, &obj.value)?;
        n += 1;
        if n.is_multiple_of(1024) {
            if let Some(progress) = opts.progress {
                progress();
            }
        }
    }
    Ok(n)
}
// ANCHOR_END: write_db

/// Seconds since the object was last touched, on the 24-bit LRU clock.
fn idle_seconds(obj: &RObj, clock: u32) -> u64 {
    (clock.wrapping_sub(obj.lru()) & LRU_CLOCK_MAX) as u64
}

/// The current LRU clock, for `SaveOptions::lru_clock`.
pub fn lru_clock_now(now_ms: u64) -> u32 {
    lru_clock(now_ms)
}

/// A whole file: header, every database, EOF, checksum.
pub fn write_all<W: Write>(sink: W, dbs: &[Db], opts: &SaveOptions) -> io::Result<(W, u64)> {
    let mut w = Writer::new(sink, opts.compression);
    write_header(&mut w, opts)?;
    let mut keys = 0;
    for db in dbs {
        keys += write_db(&mut w, db, opts)?;
    }
    w.byte(OPCODE_EOF)?;
    Ok((w.finish(opts.checksum)?, keys))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(f: impl FnOnce(&mut Writer<Vec<u8>>) -> io::Result<()>, compress: bool) -> Vec<u8> {
        let mut w = Writer::new(Vec::new(), compress);
        f(&mut w).unwrap();
        w.into_sink().unwrap()
    }

    #[test]
    fn lengths_use_the_smallest_of_four_forms() {
        let len = |n| encoded(|w| w.write_len(n), false);
        assert_eq!(len(0), [0x00]);
        assert_eq!(len(63), [0x3f]);
        assert_eq!(len(64), [0x40, 0x40]);
        assert_eq!(len(16383), [0x7f, 0xff]);
        assert_eq!(len(16384), [0x80, 0, 0, 0x40, 0]);
        assert_eq!(len(u32::MAX as u64), [0x80, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(len(1 << 32), [0x81, 0, 0, 0, 1, 0, 0, 0, 0]);
    }

    #[test]
    fn canonical_small_integers_are_int_encoded() {
        let s = |v: &[u8]| encoded(|w| w.write_string(v), true);
        assert_eq!(s(b"64"), [0xc0, 0x40]);
        assert_eq!(s(b"-1"), [0xc0, 0xff]);
        assert_eq!(s(b"12345"), [0xc1, 0x39, 0x30]);
        assert_eq!(s(b"1796072834"), [0xc2, 0x82, 0xe5, 0x0d, 0x6b]);
        // Not canonical, or too wide for 32 bits: plain strings.
        assert_eq!(s(b"007"), [3, b'0', b'0', b'7']);
        assert_eq!(s(b"+1"), [2, b'+', b'1']);
        assert_eq!(
            s(b"4294967296"),
            [10, b'4', b'2', b'9', b'4', b'9', b'6', b'7', b'2', b'9', b'6']
        );
    }

    #[test]
    fn int_objects_outside_32_bits_are_written_as_text() {
        let b = encoded(|w| w.write_int_string(1 << 40), false);
        assert_eq!(b[0] as usize, b.len() - 1);
        assert_eq!(&b[1..], b"1099511627776");
    }

    #[test]
    fn long_repetitive_strings_are_lzf_compressed_only_when_enabled() {
        let v = vec![b'a'; 100];
        let on = encoded(|w| w.write_string(&v), true);
        assert_eq!(on[0], 0xc3);
        let off = encoded(|w| w.write_string(&v), false);
        assert_eq!(off[..2], [0x40, 100]);
        assert_eq!(off.len(), 102);
        // 20 bytes is not enough to try.
        let short = encoded(|w| w.write_string(&[b'b'; 20]), true);
        assert_eq!(short[0], 20);
    }

    #[test]
    fn incompressible_strings_stay_raw() {
        let v: Vec<u8> = (0..200u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 7) as u8)
            .collect();
        let b = encoded(|w| w.write_string(&v), true);
        assert_eq!(&b[..2], [0x40, 200]);
    }

    #[test]
    fn checksum_covers_every_byte_across_chunk_boundaries() {
        let mut w = Writer::new(Vec::new(), false);
        let big = vec![7u8; CHUNK * 2 + 5];
        w.bytes(b"abc").unwrap();
        w.bytes(&big).unwrap();
        for i in 0..70_000u32 {
            w.byte(i as u8).unwrap();
        }
        let out = w.finish(true).unwrap();
        let (body, crc) = out.split_at(out.len() - 8);
        assert_eq!(crc, crc64::crc64(body).to_le_bytes());
    }
}
