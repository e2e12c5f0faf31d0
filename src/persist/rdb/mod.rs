//! RDB: Redis 7.0's snapshot format (version 10), its API and DUMP payloads.
//!
//! Chapter: chapters/20-rdb.md
//!
//! A file is a header, a few AUX fields, then per non-empty database a
//! SELECTDB and RESIZEDB opcode followed by its keys, each an optional
//! expiry, a type byte, the key and the value; then EOF and a CRC-64 of
//! everything before it:
//!
//! ```text
//!  "REDIS0010" | FA aux... | FE db FB size expires | [FC ms] type key value ... | FF | crc64 LE
//! ```
//!
//! A DUMP payload is one value in the same encoding, without the key:
//!
//! ```text
//!  type | value | 0a 00 (RDB version 10, LE) | crc64 of all before, LE
//! ```
//!
//! Invariants:
//! 1. We write only version 10 and only the types Redis 7.0 writes
//!    (0, 2, 4, 5, 11, 16, 17, 18); we read every type and opcode a 7.0
//!    server reads, and refuse modules, streams and functions with an
//!    error naming them.
//! 2. Saving never changes the databases; loading never panics on any
//!    input (see load.rs).
//! 3. `save_to_file` replaces the target atomically: readers see the old
//!    file or the complete new one, never a partial one.
//!
//! Not here: the byte-level writer (save.rs) and reader (load.rs), the
//! legacy ziplist/zipmap parsers (legacy.rs), the `--check-rdb` report
//! (check.rs), the SAVE command and start-up loading (server/rdb.rs).

pub mod check;
pub mod legacy;
pub mod load;
pub mod save;

use crate::config::Config;
use crate::db::{Db, Value};
use crate::ds::crc64;
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

// ANCHOR: constants
/// The version we write, and the newest we read.
pub const RDB_VERSION: u32 = 10;

// Object types (the byte before each key).
pub const TYPE_STRING: u8 = 0;
pub const TYPE_LIST: u8 = 1;
pub const TYPE_SET: u8 = 2;
pub const TYPE_ZSET: u8 = 3;
pub const TYPE_HASH: u8 = 4;
pub const TYPE_ZSET_2: u8 = 5;
pub const TYPE_HASH_ZIPMAP: u8 = 9;
pub const TYPE_LIST_ZIPLIST: u8 = 10;
pub const TYPE_SET_INTSET: u8 = 11;
pub const TYPE_ZSET_ZIPLIST: u8 = 12;
pub const TYPE_HASH_ZIPLIST: u8 = 13;
pub const TYPE_LIST_QUICKLIST: u8 = 14;
pub const TYPE_HASH_LISTPACK: u8 = 16;
pub const TYPE_ZSET_LISTPACK: u8 = 17;
pub const TYPE_LIST_QUICKLIST_2: u8 = 18;

// Opcodes: bytes in the type position that are not types.
pub const OPCODE_FUNCTION2: u8 = 245;
pub const OPCODE_FUNCTION: u8 = 246;
pub const OPCODE_MODULE_AUX: u8 = 247;
pub const OPCODE_IDLE: u8 = 248;
pub const OPCODE_FREQ: u8 = 249;
pub const OPCODE_AUX: u8 = 250;
pub const OPCODE_RESIZEDB: u8 = 251;
pub const OPCODE_EXPIRETIME_MS: u8 = 252;
pub const OPCODE_EXPIRETIME: u8 = 253;
pub const OPCODE_SELECTDB: u8 = 254;
pub const OPCODE_EOF: u8 = 255;
// ANCHOR_END: constants

/// Names as redis-check-rdb prints them.
pub fn type_name(t: u8) -> &'static str {
    const NAMES: [&str; 22] = [
        "string",
        "list-linked",
        "set-hashtable",
        "zset-v1",
        "hash-hashtable",
        "zset-v2",
        "module-pre-release",
        "module-value",
        "",
        "hash-zipmap",
        "list-ziplist",
        "set-intset",
        "zset-ziplist",
        "hash-ziplist",
        "quicklist",
        "stream",
        "hash-listpack",
        "zset-listpack",
        "quicklist-v2",
        "stream-v2",
        "set-listpack",
        "stream-v3",
    ];
    NAMES.get(t as usize).copied().unwrap_or("unknown")
}

// ---------------------------------------------------------------------------
// Errors, options, statistics
// ---------------------------------------------------------------------------

/// Why a file or payload could not be loaded, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RdbError {
    /// Byte offset in the file (or payload) where reading stopped.
    pub offset: u64,
    pub reason: String,
}

impl fmt::Display for RdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "offset {}: {}", self.offset, self.reason)
    }
}

impl std::error::Error for RdbError {}

/// What the writer needs: values from the configuration and the clock,
/// so a forked child can save with nothing but `&[Db]` and these.
#[derive(Clone, Debug)]
pub struct SaveOptions {
    /// AUX `redis-ver`.
    pub redis_ver: String,
    /// AUX `ctime`: unix seconds.
    pub ctime: u64,
    /// AUX `used-mem`: bytes.
    pub used_mem: u64,
    /// AUX `aof-base`: true when the file is an AOF base (preamble).
    pub aof_base: bool,
    /// `rdbcompression`.
    pub compression: bool,
    /// `rdbchecksum`: false writes a zero checksum.
    pub checksum: bool,
    /// With an LRU `maxmemory-policy`, the current LRU clock: each key then
    /// gets an IDLE opcode, as Redis writes it.
    pub lru_clock: Option<u32>,
    /// Called every 1024 keys: a forked child reports its progress (its
    /// copy-on-write size) from here.
    pub progress: Option<fn()>,
}

impl SaveOptions {
    pub fn from_config(c: &Config, now_ms: u64, used_mem: u64) -> SaveOptions {
        use crate::config::MaxmemoryPolicy as P;
        let lru = matches!(c.maxmemory_policy, P::AllkeysLru | P::VolatileLru);
        SaveOptions {
            redis_ver: crate::server::info::REDIS_VERSION.to_string(),
            ctime: now_ms / 1000,
            used_mem,
            aof_base: false,
            compression: c.rdbcompression,
            checksum: c.rdbchecksum,
            lru_clock: lru.then(|| save::lru_clock_now(now_ms)),
            progress: None,
        }
    }
}

impl Default for SaveOptions {
    fn default() -> SaveOptions {
        SaveOptions::from_config(&Config::default(), crate::server::unix_ms(), 0)
    }
}

/// What the loader needs: conversion thresholds and the clock.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Keys whose expiry is before this (unix ms) are skipped.
    pub now_ms: u64,
    /// LRU clock given to loaded objects (minus their IDLE, if any).
    pub lru_clock: u32,
    /// `rdbchecksum`: check a nonzero checksum at EOF.
    pub verify_checksum: bool,
    /// Drop keys already expired, as a master does.
    pub skip_expired: bool,
    /// A key met twice replaces the first (DEBUG RELOAD MERGE) instead of
    /// failing the load.
    pub allow_duplicates: bool,
    pub list_max_listpack_size: i32,
    pub list_compress_depth: u32,
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub set_max_intset_entries: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
}

impl LoadOptions {
    pub fn from_config(c: &Config, now_ms: u64) -> LoadOptions {
        LoadOptions {
            now_ms,
            lru_clock: crate::db::object::lru_clock(now_ms),
            verify_checksum: c.rdbchecksum,
            skip_expired: true,
            allow_duplicates: false,
            list_max_listpack_size: c.list_max_listpack_size,
            list_compress_depth: c.list_compress_depth,
            hash_max_listpack_entries: c.hash_max_listpack_entries,
            hash_max_listpack_value: c.hash_max_listpack_value,
            set_max_intset_entries: c.set_max_intset_entries,
            zset_max_listpack_entries: c.zset_max_listpack_entries,
            zset_max_listpack_value: c.zset_max_listpack_value,
        }
    }
}

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions::from_config(&Config::default(), crate::server::unix_ms())
    }
}

/// What a load found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadStats {
    pub rdb_version: u32,
    pub keys_loaded: u64,
    /// Keys loaded with a TTL.
    pub expires: u64,
    /// Keys skipped because their time had passed.
    pub keys_expired: u64,
    /// Empty collections skipped.
    pub empty_keys_skipped: u64,
    pub redis_ver: Option<String>,
    pub ctime: Option<i64>,
    pub used_mem: Option<i64>,
    pub aof_base: bool,
    /// The checksum at EOF; `None` when the file was saved without one.
    pub checksum: Option<u64>,
    /// Bytes read, checksum included.
    pub bytes: u64,
}

/// Hooks the loader calls as it goes: the server logs progress (and will
/// serve -LOADING from it); `--check-rdb` prints every AUX field.
/// Offsets are just past the item reported.
pub trait LoadObserver {
    fn aux(&mut self, _offset: u64, _key: &[u8], _value: &[u8]) {}
    fn select_db(&mut self, _offset: u64, _db: u64) {}
    /// Every `load::PROGRESS_EVERY_KEYS` keys read.
    fn progress(&mut self, _keys: u64, _offset: u64) {}
}

/// An observer that ignores everything.
pub struct Quiet;
impl LoadObserver for Quiet {}

/// What a save wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SaveStats {
    pub keys: u64,
    pub bytes: u64,
}

/// A failed `save_to_file`, with the message Redis would log.
#[derive(Debug)]
pub struct SaveError {
    pub message: String,
    pub source: io::Error,
}

impl fmt::Display for SaveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SaveError {}

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

/// Counts bytes on their way to a sink.
struct Counting<W> {
    inner: W,
    n: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(b)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

// ANCHOR: save_dbs
/// Writes a complete RDB file of `dbs` to `w`, streaming (the writer holds
/// at most 64 KiB). Safe to call in a forked child: it only reads `dbs`.
pub fn save_dbs<W: Write>(w: W, dbs: &[Db], opts: &SaveOptions) -> io::Result<SaveStats> {
    let (sink, keys) = save::write_all(Counting { inner: w, n: 0 }, dbs, opts)?;
    Ok(SaveStats {
        keys,
        bytes: sink.n,
    })
}
// ANCHOR_END: save_dbs

/// The temp file a save by process `pid` writes before the rename, next to
/// `target` (Redis's `temp-<pid>.rdb`).
pub fn temp_path(target: &Path, pid: u32) -> PathBuf {
    let name = format!("temp-{pid}.rdb");
    match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(name),
        _ => PathBuf::from(name),
    }
}

// ANCHOR: save_to_file
/// Saves `dbs` to `path` atomically (invariant 3): write `temp-<pid>.rdb`
/// in the same directory, fsync it, rename it over `path`, fsync the
/// directory so the rename itself survives a crash. On failure the temp
/// file is removed and `path` is untouched.
pub fn save_to_file(path: &Path, dbs: &[Db], opts: &SaveOptions) -> Result<SaveStats, SaveError> {
    let temp = temp_path(path, std::process::id());
    let fail = |message: String, source: io::Error| {
        let _ = std::fs::remove_file(&temp);
        SaveError { message, source }
    };
    let file = std::fs::File::create(&temp).map_err(|e| {
        let cwd = std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        fail(
            format!(
                "Failed opening the temp RDB file {} (in server root dir {cwd}) for saving: {e}",
                temp.display()
            ),
            e,
        )
    })?;
    let stats = save_dbs(&file, dbs, opts)
        .and_then(|s| file.sync_all().map(|_| s))
        .map_err(|e| fail(format!("Write error saving DB on disk: {e}"), e))?;
    drop(file);
    std::fs::rename(&temp, path).map_err(|e| {
        let cwd = std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default();
        fail(
            format!(
                "Error moving temp DB file {} on the final destination {} (in server root dir {cwd}): {e}",
                temp.display(),
                path.display()
            ),
            e,
        )
    })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(stats)
}
// ANCHOR_END: save_to_file

// ANCHOR: load_file
/// Loads the RDB file at `path` into `dbs` (see `load::load` for what
/// happens on error). The observer hears about AUX fields, SELECTDB and
/// progress every `load::PROGRESS_EVERY_KEYS` keys.
pub fn load_file(
    path: &Path,
    dbs: &mut [Db],
    opts: &LoadOptions,
    obs: &mut dyn LoadObserver,
) -> Result<LoadStats, RdbError> {
    let file = std::fs::File::open(path).map_err(|e| RdbError {
        offset: 0,
        reason: format!("can't open {}: {e}", path.display()),
    })?;
    let size = file.metadata().ok().map(|m| m.len());
    let mut inp = load::Input::new(file, size);
    load::load(&mut inp, dbs, opts, obs)
}
// ANCHOR_END: load_file

/// Loads from any reader (a slice, a socket for replication later).
pub fn load_reader<R: io::Read>(
    r: R,
    total: Option<u64>,
    dbs: &mut [Db],
    opts: &LoadOptions,
    obs: &mut dyn LoadObserver,
) -> Result<LoadStats, RdbError> {
    let mut inp = load::Input::new(r, total);
    load::load(&mut inp, dbs, opts, obs)
}

// ---------------------------------------------------------------------------
// DUMP / RESTORE payloads
// ---------------------------------------------------------------------------

// ANCHOR: dump
/// One value as RDB bytes: its type byte, then the object (no key, no
/// footer).
pub fn encode_value(v: &Value, compress: bool) -> Vec<u8> {
    let mut w = save::Writer::new(Vec::new(), compress);
    // Writing to a Vec cannot fail.
    let _ = w.byte(save::type_byte(v));
    let _ = save::write_object(&mut w, v);
    w.into_sink().unwrap_or_default()
}

/// A DUMP payload: `encode_value`, the RDB version (2 bytes LE), and the
/// CRC-64 of all that (8 bytes LE). DUMP always carries a checksum.
pub fn dump_payload(v: &Value, compress: bool) -> Vec<u8> {
    let mut p = encode_value(v, compress);
    p.extend_from_slice(&(RDB_VERSION as u16).to_le_bytes());
    let crc = crc64::crc64(&p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

/// Checks a RESTORE payload's footer: at least 10 bytes, a version we can
/// read, a matching checksum. Returns the type + object part.
pub fn verify_dump_payload(p: &[u8]) -> Option<&[u8]> {
    if p.len() < 10 {
        return None;
    }
    let (body, footer) = p.split_at(p.len() - 10);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version as u32 > RDB_VERSION {
        return None;
    }
    let crc = crc64::crc64(&p[..p.len() - 8]);
    (crc.to_le_bytes() == footer[2..]).then_some(body)
}

/// Decodes the type + object part of a payload (what `verify_dump_payload`
/// returns). An empty collection is an error here, as in Redis's RESTORE.
/// Bytes after the object are ignored, as Redis ignores them.
pub fn decode_value(body: &[u8], opts: &LoadOptions) -> Result<Value, RdbError> {
    let mut inp = load::Input::new(body, Some(body.len() as u64));
    let t = inp.byte()?;
    match load::read_object(&mut inp, t, opts)? {
        Some(v) => Ok(v),
        None => Err(inp.err("empty collection")),
    }
}
// ANCHOR_END: dump

#[cfg(test)]
mod tests {
    use super::legacy::{build, ZlEntry};
    use super::*;
    use crate::db::object::string_object;
    use crate::db::RObj;
    use crate::ds::quicklist::Quicklist;

    /// A value's encoding and contents, in an order that does not depend
    /// on hashing, for comparing two keyspaces.
    fn describe(o: &RObj) -> String {
        let enc = o.encoding_name();
        let body = match &o.value {
            Value::List(ql) => {
                let mut items = Vec::new();
                ql.for_range(0, ql.len(), |v| items.push(v.to_vec()));
                format!("{items:?}")
            }
            Value::HashLp(_) | Value::HashTable(_) => {
                let mut p = crate::cmd::hash::pairs(&o.value);
                p.sort();
                format!("{p:?}")
            }
            Value::SetInt(_) | Value::SetTable(_) => {
                let mut m = crate::cmd::set::members(&o.value);
                m.sort();
                format!("{m:?}")
            }
            Value::ZsetLp(_) | Value::ZsetSkip(_) => {
                format!("{:?}", crate::db::zset::pairs(&o.value))
            }
            _ => format!("{:?}", o.string_bytes()),
        };
        // Long contents are summarised so a failure stays readable.
        if body.len() > 80 {
            let crc = crc64::crc64(body.as_bytes());
            return format!(
                "{enc} {}.. ({} chars, crc {crc:x})",
                &body[..60],
                body.len()
            );
        }
        format!("{enc} {body}")
    }

    fn snapshot(dbs: &[Db]) -> Vec<String> {
        let mut out = Vec::new();
        for db in dbs {
            for (k, o) in db.keys.iter() {
                out.push(format!(
                    "db{} {:?} ttl={:?} {}",
                    db.id,
                    String::from_utf8_lossy(k.as_bytes()),
                    db.get_expire(k.as_bytes()),
                    describe(o)
                ));
            }
        }
        out.sort();
        out
    }

    fn put(db: &mut Db, key: &str, v: Value) {
        db.add(key.as_bytes(), RObj::new(v, 0));
    }

    fn s(v: &[u8]) -> Value {
        string_object(v, 0).value
    }

    fn hash(pairs: &[(&[u8], &[u8])], table: bool) -> Value {
        if table {
            let mut d: crate::ds::dict::Dict<crate::ds::sds::Sds, crate::ds::sds::Sds> =
                crate::ds::dict::Dict::new();
            for (f, v) in pairs {
                d.insert(crate::ds::sds::Sds::new(f), crate::ds::sds::Sds::new(v));
            }
            Value::HashTable(Box::new(d))
        } else {
            let mut lp = crate::ds::listpack::Listpack::new();
            for (f, v) in pairs {
                lp.push_back(f);
                lp.push_back(v);
            }
            Value::HashLp(crate::ds::sds::Sds::new(lp.as_bytes()))
        }
    }

    /// Every encoding of every type, in two databases, some with TTLs.
    fn sample_dbs() -> Vec<Db> {
        sample_dbs_scaled(2000, 300)
    }

    /// As `sample_dbs`, with `list_len` elements in the long list and
    /// `zset_len` (> 128) in the skiplist sorted set: the fuzz tests load
    /// the file once per byte, so they use a small one.
    fn sample_dbs_scaled(list_len: usize, zset_len: usize) -> Vec<Db> {
        let mut dbs: Vec<Db> = (0..3).map(Db::new).collect();
        let db = &mut dbs[0];
        put(db, "int", s(b"12345"));
        put(db, "bigint", s(b"-9223372036854775808"));
        put(db, "embstr", s(b"hello"));
        put(db, "raw", s(&[b'r'; 100]));
        put(db, "empty", s(b""));
        let mut ql = Quicklist::new(-2, 0);
        for i in 0..list_len {
            ql.push_back(format!("item-{i}").as_bytes());
        }
        put(db, "list", Value::List(Box::new(ql)));
        let mut ql = Quicklist::new(4, 1);
        for i in 0..50 {
            ql.push_back(format!("compressible-compressible-{i}").as_bytes());
        }
        put(db, "list-compressed", Value::List(Box::new(ql)));
        let mut ql = Quicklist::new(-2, 0);
        assert!(ql.set_packed_threshold(100));
        ql.push_back(b"small");
        ql.push_back(&[b'P'; 300]);
        ql.push_back(b"small again");
        put(db, "list-plain", Value::List(Box::new(ql)));
        put(db, "hash-lp", hash(&[(b"a", b"1"), (b"b", b"two")], false));
        put(
            db,
            "hash-ht",
            hash(&[(b"x", b"1"), (b"y", &[b'y'; 200])], true),
        );
        let mut is = crate::ds::intset::Intset::new();
        for n in [1, -5, 70000, 1 << 40] {
            is.insert(n);
        }
        put(
            db,
            "set-int",
            Value::SetInt(crate::ds::sds::Sds::new(is.as_bytes())),
        );
        let mut d: crate::ds::dict::Dict<crate::ds::sds::Sds, ()> = crate::ds::dict::Dict::new();
        for m in ["a", "b", "c"] {
            d.insert(crate::ds::sds::Sds::new(m.as_bytes()), ());
        }
        put(db, "set-ht", Value::SetTable(Box::new(d)));
        let lim = crate::db::zset::Limits {
            entries: 128,
            value: 64,
        };
        let pairs: Vec<(Vec<u8>, f64)> = vec![
            (b"a".to_vec(), -1.5),
            (b"b".to_vec(), 0.0),
            (b"c".to_vec(), 3.0),
            (b"d".to_vec(), f64::INFINITY),
        ];
        put(
            db,
            "zset-lp",
            crate::db::zset::from_sorted_pairs(&pairs, &lim),
        );
        let many: Vec<(Vec<u8>, f64)> = (0..zset_len)
            .map(|i| (format!("m{i:04}").into_bytes(), i as f64 / 7.0))
            .collect();
        put(
            db,
            "zset-skip",
            crate::db::zset::from_sorted_pairs(&many, &lim),
        );
        db.set_expire(b"embstr", 4_000_000_000_000);
        db.set_expire(b"hash-lp", 4_000_000_000_001);
        put(&mut dbs[2], "in-db-2", s(b"v"));
        dbs
    }

    fn save_to_vec(dbs: &[Db], opts: &SaveOptions) -> Vec<u8> {
        let mut out = Vec::new();
        save_dbs(&mut out, dbs, opts).unwrap();
        out
    }

    fn load_vec(bytes: &[u8], n: usize) -> Result<(Vec<Db>, LoadStats), RdbError> {
        let mut dbs: Vec<Db> = (0..n).map(Db::new).collect();
        let stats = load_reader(
            bytes,
            Some(bytes.len() as u64),
            &mut dbs,
            &LoadOptions::default(),
            &mut Quiet,
        )?;
        Ok((dbs, stats))
    }

    #[test]
    fn every_type_and_encoding_survives_a_round_trip() {
        let dbs = sample_dbs();
        for compression in [true, false] {
            let opts = SaveOptions {
                compression,
                ..SaveOptions::default()
            };
            let bytes = save_to_vec(&dbs, &opts);
            let (back, stats) = load_vec(&bytes, 3).unwrap();
            assert_eq!(snapshot(&back), snapshot(&dbs));
            assert_eq!(stats.keys_loaded, 15);
            assert_eq!(stats.expires, 2);
            assert_eq!(stats.redis_ver.as_deref(), Some("7.0.15"));
            for db in &back {
                for (_, o) in db.keys.iter() {
                    if let Value::List(ql) = &o.value {
                        ql.check_invariants();
                    }
                }
            }
        }
    }

    #[test]
    fn a_raw_string_that_spells_an_integer_loads_as_int_like_redis() {
        let mut raw_int = string_object(b"77", 0);
        raw_int.make_raw();
        let p = dump_payload(&raw_int.value, true);
        let v = decode_value(verify_dump_payload(&p).unwrap(), &LoadOptions::default()).unwrap();
        assert_eq!(RObj::new(v, 0).encoding_name(), "int");
    }

    #[test]
    fn header_and_aux_fields_are_written_as_redis_writes_them() {
        let opts = SaveOptions {
            ctime: 1796072834,
            used_mem: 988880,
            ..SaveOptions::default()
        };
        let bytes = save_to_vec(&[Db::new(0)], &opts);
        // Bytes 0..82 of a dump.rdb written by Redis 7.0.15 with that
        // ctime and used-mem; then EOF and the checksum.
        let redis: &[u8] = b"REDIS0010\xfa\x09redis-ver\x067.0.15\xfa\x0aredis-bits\xc0\x40\
\xfa\x05ctime\xc2\x82\xe5\x0d\x6b\xfa\x08used-mem\xc2\xd0\x16\x0f\x00\xfa\x08aof-base\xc0\x00\xff";
        assert_eq!(&bytes[..bytes.len() - 8], redis);
        assert_eq!(bytes[bytes.len() - 8..], crc64::crc64(redis).to_le_bytes());
    }

    #[test]
    fn a_key_with_expiry_and_a_listpack_hash_match_redis_bytes() {
        let mut db = Db::new(0);
        put(&mut db, "k", s(b"hello"));
        db.set_expire(b"k", 0x01a2_343e_6582);
        let mut one = save_to_vec(std::slice::from_ref(&db), &SaveOptions::default());
        let start = one.windows(2).position(|w| w == [0xfe, 0x00]).unwrap();
        one.truncate(one.len() - 9);
        assert_eq!(
            &one[start..],
            b"\xfe\x00\xfb\x01\x01\xfc\x82\x65\x3e\x34\xa2\x01\x00\x00\x00\x01k\x05hello"
        );
        let h = hash(&[(b"a", b"1"), (b"b", b"2")], false);
        assert_eq!(
            encode_value(&h, true),
            b"\x10\x11\x11\x00\x00\x00\x04\x00\x81a\x02\x01\x01\x81b\x02\x02\x01\xff"
        );
    }

    #[test]
    fn dump_payloads_match_redis_byte_for_byte() {
        assert_eq!(
            dump_payload(&s(b"hello"), true),
            b"\x00\x05hello\x0a\x00\x63\x72\xdf\x76\x65\x34\x20\x0a"
        );
        assert_eq!(
            dump_payload(&s(b"12345"), true),
            b"\x00\xc1\x39\x30\x0a\x00\x9d\x94\xea\x27\x93\xfc\x08\xb9"
        );
        let mut ql = Quicklist::new(-2, 0);
        for v in [b"a", b"b", b"c"] {
            ql.push_back(v);
        }
        assert_eq!(
            dump_payload(&Value::List(Box::new(ql)), true),
            b"\x12\x01\x02\x10\x10\x00\x00\x00\x03\x00\x81a\x02\x81b\x02\x81c\x02\xff\x0a\x00\xc8\x18\xb9\x0c\x95\x33\x52\x9e"
        );
        let mut is = crate::ds::intset::Intset::new();
        for n in [1, 2, 3] {
            is.insert(n);
        }
        assert_eq!(
            dump_payload(&Value::SetInt(crate::ds::sds::Sds::new(is.as_bytes())), true),
            b"\x0b\x0e\x02\x00\x00\x00\x03\x00\x00\x00\x01\x00\x02\x00\x03\x00\x0a\x00\xa5\x02\x5c\xe2\x6d\x6e\x4d\x1b"
        );
    }

    #[test]
    fn a_redis_lzf_string_payload_restores() {
        // DUMP of 100 'a's from Redis 7.0.15 (rdbcompression yes).
        let p = b"\x00\xc3\x09\x40\x64\x01\x61\x61\xe0\x57\x00\x01\x61\x61\x0a\x00\xe8\xa3\xb5\x07\xb0\x6d\xf2\x71";
        let body = verify_dump_payload(p).expect("valid footer");
        let v = decode_value(body, &LoadOptions::default()).unwrap();
        assert_eq!(
            RObj::new(v, 0).string_bytes().unwrap().as_ref(),
            &[b'a'; 100][..]
        );
    }

    #[test]
    fn payload_footer_checks_version_and_checksum() {
        let p = dump_payload(&s(b"hello"), true);
        assert!(verify_dump_payload(&p).is_some());
        for i in 0..p.len() {
            let mut q = p.clone();
            q[i] ^= 0x10;
            assert!(verify_dump_payload(&q).is_none(), "flip at {i}");
        }
        assert!(verify_dump_payload(&p[..9]).is_none());
        let mut newer = encode_value(&s(b"x"), true);
        newer.extend_from_slice(&11u16.to_le_bytes());
        let crc = crc64::crc64(&newer);
        newer.extend_from_slice(&crc.to_le_bytes());
        assert!(verify_dump_payload(&newer).is_none());
    }

    #[test]
    fn every_value_round_trips_through_a_dump_payload() {
        let dbs = sample_dbs();
        for (_, o) in dbs[0].keys.iter() {
            let p = dump_payload(&o.value, true);
            let v =
                decode_value(verify_dump_payload(&p).unwrap(), &LoadOptions::default()).unwrap();
            assert_eq!(describe(&RObj::new(v, 0)), describe(o));
        }
    }

    #[test]
    fn checksum_zero_is_accepted_and_a_wrong_one_is_refused() {
        let dbs = sample_dbs();
        let opts = SaveOptions {
            checksum: false,
            ..SaveOptions::default()
        };
        let bytes = save_to_vec(&dbs, &opts);
        assert_eq!(&bytes[bytes.len() - 8..], [0; 8]);
        let (_, stats) = load_vec(&bytes, 3).unwrap();
        assert_eq!(stats.checksum, None);
        let mut bad = save_to_vec(&dbs, &SaveOptions::default());
        let n = bad.len();
        bad[n - 1] ^= 1;
        let e = load_vec(&bad, 3).err().unwrap();
        assert!(e.reason.contains("checksum"), "{e}");
        assert_eq!(e.offset, n as u64 - 8);
    }

    #[test]
    fn expired_keys_are_skipped_and_counted() {
        let mut db = Db::new(0);
        put(&mut db, "old", s(b"v"));
        db.set_expire(b"old", 1000);
        put(&mut db, "new", s(b"v"));
        let bytes = save_to_vec(&[db], &SaveOptions::default());
        let (dbs, stats) = load_vec(&bytes, 1).unwrap();
        assert_eq!((stats.keys_loaded, stats.keys_expired), (1, 1));
        assert!(dbs[0].keys.contains_key(&b"new"[..]));
    }

    #[test]
    fn truncation_at_every_length_is_an_error_never_a_panic() {
        let bytes = save_to_vec(&sample_dbs_scaled(40, 130), &SaveOptions::default());
        for cut in 0..bytes.len() {
            let r = load_vec(&bytes[..cut], 3);
            let e = r.err().unwrap_or_else(|| panic!("cut at {cut} loaded"));
            assert!(e.offset <= cut as u64, "cut {cut}: {e}");
        }
    }

    #[test]
    fn bit_flips_give_errors_or_valid_loads_never_panics() {
        let bytes = save_to_vec(&sample_dbs_scaled(40, 130), &SaveOptions::default());
        let n = bytes.len();
        let mut loaded = 0;
        let mut step = 0usize;
        for i in 0..n {
            step += 1;
            let mut b = bytes.clone();
            b[i] ^= 1 << (step % 8);
            // With the checksum on, only a flip in the checksum's own
            // bytes or in a field nobody checks could load.
            if load_vec(&b, 3).is_ok() {
                loaded += 1;
            }
            // And with the checksum ignored, the parsers face the damage.
            let mut dbs: Vec<Db> = (0..3).map(Db::new).collect();
            let opts = LoadOptions {
                verify_checksum: false,
                ..LoadOptions::default()
            };
            let _ = load_reader(&b[..], Some(n as u64), &mut dbs, &opts, &mut Quiet);
        }
        assert!(loaded <= 3, "{loaded} corrupted files loaded");
    }

    #[test]
    fn huge_declared_counts_fail_fast_without_allocating() {
        // A set claiming 2^40 members in a file of a few bytes.
        let mut f = b"REDIS0010\xfe\x00\x02\x01s\x81\x00\x00\x01\x00\x00\x00\x00\x00".to_vec();
        f.extend_from_slice(b"\xff");
        let e = load_vec(&f, 1).err().unwrap();
        assert!(e.reason.contains("cannot fit"), "{e}");
        // A string claiming 4 GB, read from a stream of unknown size.
        let f = b"REDIS0010\x00\x01k\x80\xff\xff\xff\xff abc";
        let mut dbs = vec![Db::new(0)];
        let e = load_reader(&f[..], None, &mut dbs, &LoadOptions::default(), &mut Quiet)
            .err()
            .unwrap();
        assert!(e.reason.contains("end of file"), "{e}");
        // An LZF string claiming to expand 1000 times.
        let f = b"REDIS0010\x00\x01k\xc3\x02\x80\x00\x00\x07\xd0\x00a";
        let e = load_vec(f, 1).err().unwrap();
        assert!(e.reason.contains("LZF"), "{e}");
    }

    /// A hand-made file: header, then `body`, EOF and a zero checksum.
    fn file(body: &[u8]) -> Vec<u8> {
        let mut f = b"REDIS0009".to_vec();
        f.extend_from_slice(body);
        f.push(0xff);
        f.extend_from_slice(&[0; 8]);
        f
    }

    fn blob(b: &[u8]) -> Vec<u8> {
        let mut w = save::Writer::new(Vec::new(), false);
        w.write_len(b.len() as u64).unwrap();
        w.bytes(b).unwrap();
        w.into_sink().unwrap()
    }

    fn key_of(t: u8, k: &str, value: &[u8]) -> Vec<u8> {
        let mut v = vec![t, k.len() as u8];
        v.extend_from_slice(k.as_bytes());
        v.extend_from_slice(value);
        v
    }

    fn loaded(body: &[u8]) -> Vec<String> {
        let (dbs, _) = load_vec(&file(body), 1).unwrap_or_else(|e| panic!("{e}"));
        snapshot(&dbs)
    }

    #[test]
    fn legacy_ziplist_and_zipmap_types_load_into_current_encodings() {
        let zl = build::ziplist(&[ZlEntry::Str(b"a"), ZlEntry::Int(7), ZlEntry::Str(b"c")]);
        assert_eq!(
            loaded(&key_of(TYPE_LIST_ZIPLIST, "l", &blob(&zl))),
            vec!["db0 \"l\" ttl=None quicklist [[97], [55], [99]]".to_string()]
        );
        let zm = build::zipmap(&[(b"f", b"v"), (b"g", b"w")], 3);
        assert_eq!(
            loaded(&key_of(TYPE_HASH_ZIPMAP, "h", &blob(&zm))),
            vec!["db0 \"h\" ttl=None listpack [([102], [118]), ([103], [119])]".to_string()]
        );
        let zz = build::ziplist(&[
            ZlEntry::Str(b"x"),
            ZlEntry::Int(1),
            ZlEntry::Str(b"y"),
            ZlEntry::Str(b"2.5"),
        ]);
        assert_eq!(
            loaded(&key_of(TYPE_ZSET_ZIPLIST, "z", &blob(&zz))),
            vec!["db0 \"z\" ttl=None listpack [([120], 1.0), ([121], 2.5)]".to_string()]
        );
        let hz = build::ziplist(&[ZlEntry::Str(b"f"), ZlEntry::Int(300)]);
        assert_eq!(
            loaded(&key_of(TYPE_HASH_ZIPLIST, "h", &blob(&hz))),
            vec!["db0 \"h\" ttl=None listpack [([102], [51, 48, 48])]".to_string()]
        );
        // A LIST_QUICKLIST of two ziplist nodes, the second empty (skipped).
        let mut q = vec![2u8];
        q.extend_from_slice(&blob(&build::ziplist(&[ZlEntry::Int(1), ZlEntry::Int(2)])));
        q.extend_from_slice(&blob(&build::ziplist(&[])));
        assert_eq!(
            loaded(&key_of(TYPE_LIST_QUICKLIST, "q", &q)),
            vec!["db0 \"q\" ttl=None quicklist [[49], [50]]".to_string()]
        );
    }

    #[test]
    fn legacy_plain_types_load_with_expiry_in_seconds() {
        // EXPIRETIME (seconds) on a plain LIST; a SET; a ZSET with text
        // scores including the special inf byte.
        let mut body = vec![OPCODE_EXPIRETIME];
        body.extend_from_slice(&2_000_000_000i32.to_le_bytes());
        body.extend_from_slice(&key_of(TYPE_LIST, "l", b"\x02\x01a\x01b"));
        body.extend_from_slice(&key_of(TYPE_SET, "s", b"\x02\x011\x01x"));
        body.extend_from_slice(&key_of(TYPE_ZSET, "z", b"\x02\x01a\x031.5\x01b\xfe"));
        body.extend_from_slice(&key_of(TYPE_SET, "si", b"\x02\x015\xc0\x03"));
        assert_eq!(
            loaded(&body),
            vec![
                "db0 \"l\" ttl=Some(2000000000000) quicklist [[97], [98]]".to_string(),
                "db0 \"s\" ttl=None hashtable [[49], [120]]".to_string(),
                "db0 \"si\" ttl=None intset [[51], [53]]".to_string(),
                "db0 \"z\" ttl=None listpack [([97], 1.5), ([98], inf)]".to_string(),
            ]
        );
    }

    #[test]
    fn loaded_blobs_over_the_thresholds_are_converted() {
        let mut db = Db::new(0);
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = (0..10)
            .map(|i| (format!("f{i}").into_bytes(), b"v".to_vec()))
            .collect();
        let refs: Vec<(&[u8], &[u8])> = pairs
            .iter()
            .map(|(f, v)| (f.as_slice(), v.as_slice()))
            .collect();
        put(&mut db, "h", hash(&refs, false));
        let mut is = crate::ds::intset::Intset::new();
        for n in 0..10 {
            is.insert(n);
        }
        put(
            &mut db,
            "s",
            Value::SetInt(crate::ds::sds::Sds::new(is.as_bytes())),
        );
        let lim = crate::db::zset::Limits {
            entries: 128,
            value: 64,
        };
        let zp: Vec<(Vec<u8>, f64)> = (0..10).map(|i| (vec![b'a' + i as u8], i as f64)).collect();
        put(&mut db, "z", crate::db::zset::from_sorted_pairs(&zp, &lim));
        let bytes = save_to_vec(&[db], &SaveOptions::default());
        let opts = LoadOptions {
            hash_max_listpack_entries: 5,
            set_max_intset_entries: 5,
            zset_max_listpack_entries: 5,
            ..LoadOptions::default()
        };
        let mut dbs = vec![Db::new(0)];
        load_reader(&bytes[..], None, &mut dbs, &opts, &mut Quiet).unwrap();
        let enc = |k: &[u8]| dbs[0].keys.get(k).unwrap().encoding_name();
        assert_eq!(
            (enc(b"h"), enc(b"s"), enc(b"z")),
            ("hashtable", "hashtable", "skiplist")
        );
    }

    #[test]
    fn unsupported_types_and_opcodes_are_refused_by_name_and_offset() {
        let e = load_vec(&file(&key_of(15, "st", b"\x00")), 1)
            .err()
            .unwrap();
        assert!(e.reason.contains("stream"), "{e}");
        assert!(e.reason.contains("offset 9"), "{e}");
        let e = load_vec(&file(&key_of(7, "m", b"\x00")), 1).err().unwrap();
        assert!(e.reason.contains("module"), "{e}");
        let e = load_vec(&file(b"\xf5\x00"), 1).err().unwrap();
        assert!(e.reason.contains("function"), "{e}");
        assert_eq!(e.offset, 10);
        let e = load_vec(&file(b"\xf7\x00"), 1).err().unwrap();
        assert!(e.reason.contains("module"), "{e}");
        let e = load_vec(&file(&key_of(8, "x", b"\x00")), 1).err().unwrap();
        assert!(e.reason.contains("not a known"), "{e}");
        let e = load_vec(b"REDIS0011\xff", 1).err().unwrap();
        assert!(e.reason.contains("version"), "{e}");
        let e = load_vec(b"RUDIS0010\xff", 1).err().unwrap();
        assert!(e.reason.contains("signature"), "{e}");
    }

    #[test]
    fn duplicates_and_bad_blobs_are_refused() {
        let dup_key = [key_of(0, "k", b"\x01a"), key_of(0, "k", b"\x01b")].concat();
        assert!(load_vec(&file(&dup_key), 1)
            .err()
            .unwrap()
            .reason
            .contains("duplicate key"));
        let dup_set = key_of(TYPE_SET, "s", b"\x02\x01x\x01x");
        assert!(load_vec(&file(&dup_set), 1)
            .err()
            .unwrap()
            .reason
            .contains("duplicate"));
        let dup_hash = key_of(TYPE_HASH, "h", b"\x02\x01f\x01a\x01f\x01b");
        assert!(load_vec(&file(&dup_hash), 1)
            .err()
            .unwrap()
            .reason
            .contains("duplicate"));
        let nan = key_of(TYPE_ZSET, "z", b"\x01\x01a\xfd");
        assert!(load_vec(&file(&nan), 1)
            .err()
            .unwrap()
            .reason
            .contains("NaN"));
        // A zset listpack out of order.
        let mut lp = crate::ds::listpack::Listpack::new();
        for e in [&b"b"[..], b"2", b"a", b"1"] {
            lp.push_back(e);
        }
        let bad = key_of(TYPE_ZSET_LISTPACK, "z", &blob(lp.as_bytes()));
        assert!(load_vec(&file(&bad), 1)
            .err()
            .unwrap()
            .reason
            .contains("order"));
        // An odd hash listpack.
        let mut lp = crate::ds::listpack::Listpack::new();
        lp.push_back(b"f");
        let bad = key_of(TYPE_HASH_LISTPACK, "h", &blob(lp.as_bytes()));
        assert!(load_vec(&file(&bad), 1)
            .err()
            .unwrap()
            .reason
            .contains("odd"));
        // A database index beyond the configured count.
        assert!(load_vec(&file(b"\xfe\x05"), 1)
            .err()
            .unwrap()
            .reason
            .contains("databases"));
    }

    #[test]
    fn empty_collections_are_skipped_on_load_and_refused_by_restore() {
        let empty_list = key_of(TYPE_LIST_QUICKLIST_2, "l", b"\x00");
        let (dbs, stats) = load_vec(&file(&empty_list), 1).unwrap();
        assert_eq!((dbs[0].len(), stats.empty_keys_skipped), (0, 1));
        assert!(decode_value(&[TYPE_SET, 0], &LoadOptions::default()).is_err());
    }

    #[test]
    fn save_to_file_replaces_the_target_and_leaves_no_temp_file() {
        let dir = std::env::temp_dir().join(format!("oxidis-rdb-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("dump.rdb");
        std::fs::write(&path, b"old").unwrap();
        let dbs = sample_dbs();
        let st = save_to_file(&path, &dbs, &SaveOptions::default()).unwrap();
        assert_eq!(st.bytes, std::fs::metadata(&path).unwrap().len());
        assert!(!temp_path(&path, std::process::id()).exists());
        let mut back: Vec<Db> = (0..3).map(Db::new).collect();
        load_file(&path, &mut back, &LoadOptions::default(), &mut Quiet).unwrap();
        assert_eq!(snapshot(&back), snapshot(&dbs));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn progress_is_reported_while_loading() {
        struct Count(u64);
        impl LoadObserver for Count {
            fn progress(&mut self, keys: u64, _offset: u64) {
                self.0 = keys;
            }
        }
        let mut db = Db::new(0);
        for i in 0..3000 {
            put(&mut db, &format!("k{i}"), s(b"v"));
        }
        let bytes = save_to_vec(&[db], &SaveOptions::default());
        let mut dbs = vec![Db::new(0)];
        let mut c = Count(0);
        load_reader(&bytes[..], None, &mut dbs, &LoadOptions::default(), &mut c).unwrap();
        assert_eq!(c.0, 2 * load::PROGRESS_EVERY_KEYS);
    }
}
