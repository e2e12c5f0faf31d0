//! RDB reader: untrusted bytes to the keyspace, validating everything.
//!
//! Chapter: chapters/20-rdb.md
//!
//! `Input` reads from any `io::Read` through a 64 KiB buffer, counts the
//! offset (for error messages) and runs the CRC over bytes as they leave
//! the buffer. On top of it, one function per layer of the format:
//!
//! ```text
//!   read_len / read_string      lengths, int/LZF/raw strings
//!   read_object(type)           one value, in whichever of the 16 types
//!                               a Redis 7.0 file may hold, converted to
//!                               our encodings and thresholds
//!   load(input, dbs)            opcodes, keys, expiry, EOF, checksum
//! ```
//!
//! Invariants:
//! 1. Nothing is allocated by a length the input declares before the bytes
//!    are there: strings grow chunk by chunk as bytes arrive, counts only
//!    bound capacity hints (and are refused outright when the file's size
//!    shows they cannot fit), and LZF output is capped at what its input
//!    could expand to.
//! 2. Every blob (listpack, intset, ziplist, zipmap) is validated deeply,
//!    and its contents checked for what its type needs (pairs, no
//!    duplicates, ordered scores), before a value is built from it.
//! 3. Every failure is an `RdbError` naming the offset; no input panics.
//! 4. `crc` is the CRC-64 of all bytes before `buf[crc_from]`.
//!
//! Not here: the file and the server (mod.rs, server/rdb.rs), writing
//! (save.rs), the legacy blob formats themselves (legacy.rs).

use super::legacy::{self, ZlEntry};
use super::{
    type_name, LoadObserver, LoadOptions, LoadStats, RdbError, OPCODE_AUX, OPCODE_EOF,
    OPCODE_EXPIRETIME, OPCODE_EXPIRETIME_MS, OPCODE_FREQ, OPCODE_FUNCTION, OPCODE_FUNCTION2,
    OPCODE_IDLE, OPCODE_MODULE_AUX, OPCODE_RESIZEDB, OPCODE_SELECTDB, RDB_VERSION,
};
use super::{
    TYPE_HASH, TYPE_HASH_LISTPACK, TYPE_HASH_ZIPLIST, TYPE_HASH_ZIPMAP, TYPE_LIST,
    TYPE_LIST_QUICKLIST, TYPE_LIST_QUICKLIST_2, TYPE_LIST_ZIPLIST, TYPE_SET, TYPE_SET_INTSET,
    TYPE_STRING, TYPE_ZSET, TYPE_ZSET_2, TYPE_ZSET_LISTPACK, TYPE_ZSET_ZIPLIST,
};
use crate::db::object::{string_object, LRU_CLOCK_MAX};
use crate::db::zset::{self, Limits as ZsetLimits};
use crate::db::{Db, Key, RObj, Value};
use crate::ds::crc64;
use crate::ds::dict::Dict;
use crate::ds::intset::Intset;
use crate::ds::listpack::{self, Listpack, LpValue};
use crate::ds::lzf;
use crate::ds::quicklist::Quicklist;
use crate::ds::sds::Sds;
use crate::ds::strconv::{parse_f64, parse_i64};
use std::collections::HashSet;
use std::io::Read;

/// Input buffer size; also the step by which a long string's buffer grows
/// (invariant 1).
const CHUNK: usize = 64 * 1024;

/// Largest capacity a declared count may reserve when the input's size is
/// unknown. Beyond it, collections grow as their elements arrive.
const MAX_HINT: usize = 1 << 16;

/// LZF's best case: a 3-byte back-reference yields 264 bytes, i.e. 88 output
/// bytes per input byte. A header claiming more is a lie (invariant 1).
const LZF_MAX_RATIO: usize = 88;

/// Call the observer's progress hook every this many keys.
pub const PROGRESS_EVERY_KEYS: u64 = 1024;

// ---------------------------------------------------------------------------
// Input: buffered bytes, offsets and the running CRC
// ---------------------------------------------------------------------------

pub struct Input<R: Read> {
    r: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// Offset in the stream of `buf[0]`.
    base: u64,
    /// Invariant 4.
    crc: u64,
    crc_from: usize,
    /// Total length of the stream, when known (a file's size, a slice's
    /// length): lets absurd counts fail at once.
    total: Option<u64>,
}

impl<R: Read> Input<R> {
    pub fn new(r: R, total: Option<u64>) -> Input<R> {
        Input {
            r,
            buf: vec![0; CHUNK],
            pos: 0,
            end: 0,
            base: 0,
            crc: 0,
            crc_from: 0,
            total,
        }
    }

    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    pub fn err(&self, reason: impl Into<String>) -> RdbError {
        RdbError {
            offset: self.offset(),
            reason: reason.into(),
        }
    }

    /// Bytes left in the stream, if its size is known.
    fn remaining(&self) -> Option<u64> {
        self.total.map(|t| t.saturating_sub(self.offset()))
    }

    /// Refills an exhausted buffer; false at end of stream.
    fn fill(&mut self) -> Result<bool, RdbError> {
        debug_assert_eq!(self.pos, self.end);
        self.crc = crc64::update(self.crc, &self.buf[self.crc_from..self.end]);
        self.base += self.end as u64;
        self.pos = 0;
        self.end = 0;
        self.crc_from = 0;
        loop {
            match self.r.read(&mut self.buf) {
                Ok(n) => {
                    self.end = n;
                    return Ok(n > 0);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.err(format!("read error: {e}"))),
            }
        }
    }

    fn eof(&self) -> RdbError {
        self.err("unexpected end of file")
    }

    pub fn byte(&mut self) -> Result<u8, RdbError> {
        if self.pos == self.end && !self.fill()? {
            return Err(self.eof());
        }
        let b = self.buf[self.pos];
        self.pos += 1;
        Ok(b)
    }

    pub fn exact(&mut self, out: &mut [u8]) -> Result<(), RdbError> {
        let mut done = 0;
        while done < out.len() {
            if self.pos == self.end && !self.fill()? {
                return Err(self.eof());
            }
            let n = (self.end - self.pos).min(out.len() - done);
            out[done..done + n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
            self.pos += n;
            done += n;
        }
        Ok(())
    }

    /// `n` bytes into a new vector that grows only as bytes arrive
    /// (invariant 1).
    pub fn take(&mut self, n: u64) -> Result<Vec<u8>, RdbError> {
        if self.remaining().is_some_and(|r| n > r) {
            return Err(self.err(format!("length {n} runs past the end of the file")));
        }
        let n = usize::try_from(n).map_err(|_| self.err("length does not fit in memory"))?;
        let mut v = Vec::with_capacity(n.min(CHUNK));
        while v.len() < n {
            if self.pos == self.end && !self.fill()? {
                return Err(self.eof());
            }
            let k = (self.end - self.pos).min(n - v.len());
            v.extend_from_slice(&self.buf[self.pos..self.pos + k]);
            self.pos += k;
        }
        Ok(v)
    }

    /// The CRC of every byte consumed so far.
    pub fn crc_so_far(&mut self) -> u64 {
        self.crc = crc64::update(self.crc, &self.buf[self.crc_from..self.pos]);
        self.crc_from = self.pos;
        self.crc
    }

    /// A capacity hint for `n` declared elements of at least `min_bytes`
    /// each: refused when the rest of the file cannot hold them, capped
    /// when its size is unknown (invariant 1).
    fn count_hint(&self, n: u64, min_bytes: u64) -> Result<usize, RdbError> {
        match self.remaining() {
            Some(r) if n.saturating_mul(min_bytes) > r => Err(self.err(format!(
                "count {n} cannot fit in the {r} bytes left in the file"
            ))),
            Some(_) => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
            None => Ok(usize::try_from(n).unwrap_or(usize::MAX).min(MAX_HINT)),
        }
    }
}

// ---------------------------------------------------------------------------
// Lengths and strings
// ---------------------------------------------------------------------------

/// A length field, or the special-encoding marker of a string.
enum Len {
    Plain(u64),
    Encoded(u8),
}

fn read_len_or_enc<R: Read>(inp: &mut Input<R>) -> Result<Len, RdbError> {
    let b = inp.byte()?;
    match b >> 6 {
        0 => Ok(Len::Plain((b & 0x3f) as u64)),
        1 => Ok(Len::Plain(((b as u64 & 0x3f) << 8) | inp.byte()? as u64)),
        2 => match b {
            0x80 => {
                let mut x = [0u8; 4];
                inp.exact(&mut x)?;
                Ok(Len::Plain(u32::from_be_bytes(x) as u64))
            }
            0x81 => {
                let mut x = [0u8; 8];
                inp.exact(&mut x)?;
                Ok(Len::Plain(u64::from_be_bytes(x)))
            }
            _ => Err(inp.err(format!("unknown length encoding 0x{b:02x}"))),
        },
        _ => Ok(Len::Encoded(b & 0x3f)),
    }
}

pub fn read_len<R: Read>(inp: &mut Input<R>) -> Result<u64, RdbError> {
    match read_len_or_enc(inp)? {
        Len::Plain(n) => Ok(n),
        Len::Encoded(_) => Err(inp.err("expected a length, found a string encoding")),
    }
}

/// A string as stored: integer-encoded strings stay integers, so string
/// values can become int objects without a round trip through text.
pub enum RdbStr {
    Int(i64),
    Bytes(Vec<u8>),
}

impl RdbStr {
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            RdbStr::Int(n) => n.to_string().into_bytes(),
            RdbStr::Bytes(b) => b,
        }
    }
}

pub fn read_string<R: Read>(inp: &mut Input<R>) -> Result<RdbStr, RdbError> {
    match read_len_or_enc(inp)? {
        Len::Plain(n) => Ok(RdbStr::Bytes(inp.take(n)?)),
        Len::Encoded(0) => Ok(RdbStr::Int(inp.byte()? as i8 as i64)),
        Len::Encoded(1) => {
            let mut x = [0u8; 2];
            inp.exact(&mut x)?;
            Ok(RdbStr::Int(i16::from_le_bytes(x) as i64))
        }
        Len::Encoded(2) => {
            let mut x = [0u8; 4];
            inp.exact(&mut x)?;
            Ok(RdbStr::Int(i32::from_le_bytes(x) as i64))
        }
        Len::Encoded(3) => {
            let clen = read_len(inp)?;
            let len = read_len(inp)?;
            let z = inp.take(clen)?;
            let len = usize::try_from(len)
                .ok()
                .filter(|&l| l <= z.len().saturating_mul(LZF_MAX_RATIO) + 32)
                .ok_or_else(|| inp.err("LZF length is larger than its data could expand to"))?;
            let mut out = Vec::new();
            lzf::decompress(&z, &mut out, len)
                .map_err(|e| inp.err(format!("invalid LZF compressed string: {e}")))?;
            Ok(RdbStr::Bytes(out))
        }
        Len::Encoded(e) => Err(inp.err(format!("unknown string encoding {e}"))),
    }
}

pub fn read_bytes<R: Read>(inp: &mut Input<R>) -> Result<Vec<u8>, RdbError> {
    read_string(inp).map(RdbStr::into_bytes)
}

/// ZSET (type 3) scores: a length byte and ASCII, or 253/254/255 for
/// NaN/+inf/-inf.
fn read_text_double<R: Read>(inp: &mut Input<R>) -> Result<f64, RdbError> {
    match inp.byte()? {
        253 => Ok(f64::NAN),
        254 => Ok(f64::INFINITY),
        255 => Ok(f64::NEG_INFINITY),
        n => {
            let mut buf = [0u8; 255];
            let s = &mut buf[..n as usize];
            inp.exact(s)?;
            parse_f64(s).ok_or_else(|| inp.err("invalid double value"))
        }
    }
}

fn read_binary_double<R: Read>(inp: &mut Input<R>) -> Result<f64, RdbError> {
    let mut x = [0u8; 8];
    inp.exact(&mut x)?;
    Ok(f64::from_le_bytes(x))
}

// ---------------------------------------------------------------------------
// Objects
// ---------------------------------------------------------------------------

/// A listpack blob from the file, validated deeply (invariant 2).
fn listpack_blob<R: Read>(inp: &Input<R>, blob: Vec<u8>) -> Result<Listpack, RdbError> {
    Listpack::from_bytes(blob)
        .map_err(|e| inp.err(format!("listpack integrity check failed: {e:?}")))
}

fn ziplist_to_listpack<R: Read>(inp: &Input<R>, zl: &[u8]) -> Result<Listpack, RdbError> {
    let entries = legacy::ziplist_entries(zl).map_err(|e| inp.err(e))?;
    let mut lp = Listpack::new();
    for e in entries {
        match e {
            ZlEntry::Str(s) => lp.push_back(s),
            ZlEntry::Int(n) => lp.push_back_int(n),
        }
    }
    Ok(lp)
}

fn lp_bytes(v: LpValue<'_>) -> Vec<u8> {
    v.to_vec()
}

/// Checks a hash listpack: field/value pairs, no field twice.
fn check_hash_listpack<R: Read>(inp: &Input<R>, lp: &Listpack) -> Result<(), RdbError> {
    if !lp.len().is_multiple_of(2) {
        return Err(inp.err("hash listpack has an odd number of entries"));
    }
    let mut seen = HashSet::with_capacity(lp.len() / 2);
    for (i, v) in lp.iter().enumerate() {
        if i % 2 == 0 && !seen.insert(lp_bytes(v)) {
            return Err(inp.err("duplicate hash fields detected"));
        }
    }
    Ok(())
}

/// Checks a sorted-set listpack: pairs, valid non-NaN scores, strictly
/// increasing (score, member) order (and so no member twice at one score),
/// and no member twice at all.
fn check_zset_listpack<R: Read>(inp: &Input<R>, lp: &Listpack) -> Result<(), RdbError> {
    if !lp.len().is_multiple_of(2) {
        return Err(inp.err("zset listpack has an odd number of entries"));
    }
    let mut seen = HashSet::with_capacity(lp.len() / 2);
    let mut prev: Option<(f64, Vec<u8>)> = None;
    let mut it = lp.iter();
    while let (Some(m), Some(s)) = (it.next(), it.next()) {
        let score = match s {
            LpValue::Int(n) => n as f64,
            LpValue::Str(b) => {
                parse_f64(b).ok_or_else(|| inp.err("zset listpack has an invalid score"))?
            }
        };
        let member = lp_bytes(m);
        if let Some((ps, pm)) = &prev {
            if (*ps, pm.as_slice()) >= (score, member.as_slice()) {
                return Err(inp.err("zset listpack is not in (score, member) order"));
            }
        }
        if !seen.insert(member.clone()) {
            return Err(inp.err("duplicate zset members detected"));
        }
        prev = Some((score, member));
    }
    Ok(())
}

fn hash_listpack_to_table(lp: &Listpack) -> Value {
    Value::HashTable(Box::new(hash_listpack_to_dict(lp)))
}

fn hash_listpack_to_dict(lp: &Listpack) -> Dict<Sds, Sds> {
    let mut d: Dict<Sds, Sds> = Dict::with_capacity(lp.len() / 2);
    let mut it = lp.iter();
    while let (Some(f), Some(v)) = (it.next(), it.next()) {
        d.insert(Sds::from_vec(f.to_vec()), Sds::from_vec(v.to_vec()));
    }
    d
}

/// A validated hash listpack, converted if it has more entries than
/// `hash-max-listpack-entries` (or, for zipmaps, `long` says a field or
/// value exceeds `hash-max-listpack-value`), as Redis 7.0's loader does.
fn hash_from_listpack(lp: Listpack, opts: &LoadOptions, long: bool) -> Value {
    if lp.len() / 2 > opts.hash_max_listpack_entries || long {
        hash_listpack_to_table(&lp)
    } else {
        Value::HashLp(Sds::new(lp.as_bytes()))
    }
}

fn zset_from_listpack(lp: Listpack, opts: &LoadOptions) -> Value {
    let mut v = Value::ZsetLp(Sds::new(lp.as_bytes()));
    if lp.len() / 2 > opts.zset_max_listpack_entries {
        zset::convert_to_skiplist(&mut v);
    }
    v
}

fn intset_to_table(is: &Intset) -> Value {
    let mut d: Dict<Sds, ()> = Dict::with_capacity(is.len());
    for n in is.iter() {
        d.insert(Sds::from_vec(n.to_string().into_bytes()), ());
    }
    Value::SetTable(Box::new(d))
}

fn new_list(opts: &LoadOptions) -> Quicklist {
    Quicklist::new(opts.list_max_listpack_size, opts.list_compress_depth)
}

/// Set members arriving one by one (type 2), in an intset while they are
/// integers and the declared size allows one, else in a table.
enum SetBuilder {
    Ints(Intset),
    Table(Dict<Sds, ()>),
}

impl SetBuilder {
    /// False if `m` was already there.
    fn add(&mut self, m: Vec<u8>) -> bool {
        if let SetBuilder::Ints(is) = self {
            if let Some(n) = parse_i64(&m) {
                return is.insert(n);
            }
            let mut d: Dict<Sds, ()> = Dict::with_capacity(is.len() + 1);
            for n in is.iter() {
                d.insert(Sds::from_vec(n.to_string().into_bytes()), ());
            }
            *self = SetBuilder::Table(d);
        }
        match self {
            SetBuilder::Table(d) => d.insert(Sds::from_vec(m), ()).is_none(),
            SetBuilder::Ints(_) => false,
        }
    }
}

// ANCHOR: read_object
/// Reads one value of RDB type `t`. `Ok(None)` is an empty collection,
/// which Redis 7.0 skips when loading a file (and refuses in RESTORE).
pub fn read_object<R: Read>(
    inp: &mut Input<R>,
    t: u8,
    opts: &LoadOptions,
) -> Result<Option<Value>, RdbError> {
    let v = match t {
        TYPE_STRING => match read_string(inp)? {
            RdbStr::Int(n) => Value::Int(n),
            RdbStr::Bytes(b) => string_object(&b, 0).value,
        },
        TYPE_LIST => {
            let n = read_len(inp)?;
            inp.count_hint(n, 1)?;
            let mut ql = new_list(opts);
            for _ in 0..n {
                ql.push_back(&read_bytes(inp)?);
            }
            Value::List(Box::new(ql))
        }
        TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => {
            let nodes = read_len(inp)?;
            inp.count_hint(nodes, 2)?;
            let mut ql = new_list(opts);
            for _ in 0..nodes {
                let container = if t == TYPE_LIST_QUICKLIST_2 {
                    read_len(inp)?
                } else {
                    super::save::CONTAINER_PACKED
                };
                let blob = read_bytes(inp)?;
                match container {
                    super::save::CONTAINER_PLAIN => ql.append_plain(blob),
                    super::save::CONTAINER_PACKED => {
                        let lp = if t == TYPE_LIST_QUICKLIST {
                            ziplist_to_listpack(inp, &blob)?
                        } else {
                            listpack_blob(inp, blob)?
                        };
                        // Empty nodes are skipped, as Redis skips them.
                        ql.append_listpack(lp);
                    }
                    c => return Err(inp.err(format!("quicklist node container {c} is not 1 or 2"))),
                }
            }
            Value::List(Box::new(ql))
        }
        TYPE_LIST_ZIPLIST => {
            let blob = read_bytes(inp)?;
            let mut ql = new_list(opts);
            let lp = ziplist_to_listpack(inp, &blob)?;
            let mut buf = Vec::new();
            for v in lp.iter() {
                buf.clear();
                v.write_to(&mut buf);
                ql.push_back(&buf);
            }
            Value::List(Box::new(ql))
        }
        TYPE_SET => {
            let n = read_len(inp)?;
            let hint = inp.count_hint(n, 1)?;
            let mut b = if n <= opts.set_max_intset_entries as u64 {
                SetBuilder::Ints(Intset::new())
            } else {
                SetBuilder::Table(Dict::with_capacity(hint))
            };
            for _ in 0..n {
                let m = read_bytes(inp)?;
                if !b.add(m) {
                    return Err(inp.err("duplicate set members detected"));
                }
            }
            match b {
                SetBuilder::Ints(is) => Value::SetInt(Sds::new(is.as_bytes())),
                SetBuilder::Table(d) => Value::SetTable(Box::new(d)),
            }
        }
        TYPE_SET_INTSET => {
            let blob = read_bytes(inp)?;
            let is = Intset::from_bytes(blob)
                .map_err(|e| inp.err(format!("intset integrity check failed: {e}")))?;
            if is.is_empty() {
                return Ok(None);
            }
            if is.len() > opts.set_max_intset_entries {
                intset_to_table(&is)
            } else {
                Value::SetInt(Sds::new(is.as_bytes()))
            }
        }
        TYPE_ZSET | TYPE_ZSET_2 => {
            let n = read_len(inp)?;
            let hint = inp.count_hint(n, 2)?;
            let mut pairs: Vec<(Vec<u8>, f64)> = Vec::with_capacity(hint.min(MAX_HINT));
            for _ in 0..n {
                let m = read_bytes(inp)?;
                let s = if t == TYPE_ZSET_2 {
                    read_binary_double(inp)?
                } else {
                    read_text_double(inp)?
                };
                if s.is_nan() {
                    return Err(inp.err("zset with NaN score detected"));
                }
                pairs.push((m, s));
            }
            {
                let mut seen = HashSet::with_capacity(pairs.len());
                if !pairs.iter().all(|(m, _)| seen.insert(m.as_slice())) {
                    return Err(inp.err("duplicate zset members detected"));
                }
            }
            // No NaN is left, so partial_cmp is total here; -0 and +0 are
            // equal scores, ordered by member, as the skiplist orders them.
            pairs.sort_by(|a, b| {
                a.1.partial_cmp(&b.1)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then_with(|| a.0.cmp(&b.0))
            });
            if pairs.is_empty() {
                return Ok(None);
            }
            let lim = ZsetLimits {
                entries: opts.zset_max_listpack_entries,
                value: opts.zset_max_listpack_value,
            };
            zset::from_sorted_pairs(&pairs, &lim)
        }
        TYPE_HASH => {
            let n = read_len(inp)?;
            let hint = inp.count_hint(n, 2)?;
            let mut table: Option<Dict<Sds, Sds>> = None;
            let mut lp = Listpack::new();
            let mut fields: HashSet<Vec<u8>> = HashSet::new();
            if n > opts.hash_max_listpack_entries as u64 {
                table = Some(Dict::with_capacity(hint));
            }
            for _ in 0..n {
                let f = read_bytes(inp)?;
                let v = read_bytes(inp)?;
                if table.is_none()
                    && (f.len() > opts.hash_max_listpack_value
                        || v.len() > opts.hash_max_listpack_value
                        || lp.bytes_len() + f.len() + v.len() > listpack::SAFETY_LIMIT)
                {
                    table = Some(hash_listpack_to_dict(&lp));
                    fields = HashSet::new();
                }
                match &mut table {
                    Some(d) => {
                        if d.insert(Sds::from_vec(f), Sds::from_vec(v)).is_some() {
                            return Err(inp.err("duplicate hash fields detected"));
                        }
                    }
                    None => {
                        lp.push_back(&f);
                        lp.push_back(&v);
                        if !fields.insert(f) {
                            return Err(inp.err("duplicate hash fields detected"));
                        }
                    }
                }
            }
            if n == 0 {
                return Ok(None);
            }
            match table {
                Some(d) => Value::HashTable(Box::new(d)),
                None => Value::HashLp(Sds::new(lp.as_bytes())),
            }
        }
        TYPE_HASH_ZIPMAP => {
            let blob = read_bytes(inp)?;
            let pairs = legacy::zipmap_pairs(&blob).map_err(|e| inp.err(e))?;
            let mut lp = Listpack::new();
            let mut seen = HashSet::with_capacity(pairs.len());
            let mut long = false;
            for (f, v) in pairs {
                if !seen.insert(f) {
                    return Err(inp.err("duplicate hash fields detected"));
                }
                long |= f.len() > opts.hash_max_listpack_value
                    || v.len() > opts.hash_max_listpack_value;
                lp.push_back(f);
                lp.push_back(v);
            }
            hash_from_listpack(lp, opts, long)
        }
        TYPE_HASH_ZIPLIST | TYPE_HASH_LISTPACK => {
            let blob = read_bytes(inp)?;
            let lp = if t == TYPE_HASH_ZIPLIST {
                ziplist_to_listpack(inp, &blob)?
            } else {
                listpack_blob(inp, blob)?
            };
            check_hash_listpack(inp, &lp)?;
            if lp.is_empty() {
                return Ok(None);
            }
            hash_from_listpack(lp, opts, false)
        }
        TYPE_ZSET_ZIPLIST | TYPE_ZSET_LISTPACK => {
            let blob = read_bytes(inp)?;
            let lp = if t == TYPE_ZSET_ZIPLIST {
                ziplist_to_listpack(inp, &blob)?
            } else {
                listpack_blob(inp, blob)?
            };
            check_zset_listpack(inp, &lp)?;
            if lp.is_empty() {
                return Ok(None);
            }
            zset_from_listpack(lp, opts)
        }
        other => return Err(unsupported(inp, other)),
    };
    let empty = match &v {
        Value::List(l) => l.is_empty(),
        Value::SetTable(d) => d.is_empty(),
        Value::SetInt(b) => b.len() <= crate::ds::intset::HEADER_SIZE,
        Value::HashTable(d) => d.is_empty(),
        Value::ZsetSkip(z) => z.is_empty(),
        _ => false,
    };
    Ok(if empty { None } else { Some(v) })
}
// ANCHOR_END: read_object

/// Types a Redis 7.0 file may hold that oxidis cannot: modules and
/// streams; anything else is not an RDB type at all.
fn unsupported<R: Read>(inp: &Input<R>, t: u8) -> RdbError {
    let why = match t {
        6 | 7 => "module values are not supported by oxidis",
        15 | 19 | 21 => "streams are not supported by oxidis",
        20 => "is a Redis 7.2 type, newer than this RDB version",
        _ => "is not a known RDB object type",
    };
    inp.err(format!("RDB type {t} ({}) {why}", type_name(t)))
}

// ---------------------------------------------------------------------------
// The file
// ---------------------------------------------------------------------------

/// Adds a read key to `db` (or counts it as expired or empty).
#[allow(clippy::too_many_arguments)]
fn store_key<R: Read>(
    inp: &Input<R>,
    db: &mut Db,
    key: Vec<u8>,
    value: Option<Value>,
    expire: Option<i64>,
    idle: Option<u64>,
    opts: &LoadOptions,
    stats: &mut LoadStats,
) -> Result<(), RdbError> {
    let Some(value) = value else {
        stats.empty_keys_skipped += 1;
        return Ok(());
    };
    if let Some(when) = expire {
        if opts.skip_expired && when < opts.now_ms as i64 {
            stats.keys_expired += 1;
            return Ok(());
        }
    }
    let lru = match idle {
        Some(s) => {
            opts.lru_clock
                .wrapping_sub(s.min(LRU_CLOCK_MAX as u64) as u32)
                & LRU_CLOCK_MAX
        }
        None => opts.lru_clock,
    };
    let obj = RObj::new(value, lru);
    if db.keys.contains_key(key.as_slice()) {
        if !opts.allow_duplicates {
            return Err(inp.err(format!(
                "duplicate key '{}' in DB {}",
                String::from_utf8_lossy(&key),
                db.id
            )));
        }
        db.remove(&key);
    }
    db.keys.insert(Key::new(&key), obj);
    if let Some(when) = expire {
        db.expires.insert(Key::new(&key), when);
        stats.expires += 1;
    }
    stats.keys_loaded += 1;
    Ok(())
}

// ANCHOR: load
/// Reads a whole RDB stream into `dbs`.
///
/// On error the databases hold whatever was read before it: the caller
/// must throw them away (start-up exits; DEBUG RELOAD flushes).
pub fn load<R: Read>(
    inp: &mut Input<R>,
    dbs: &mut [Db],
    opts: &LoadOptions,
    obs: &mut dyn LoadObserver,
) -> Result<LoadStats, RdbError> {
    let mut stats = LoadStats::default();
    let mut magic = [0u8; 9];
    inp.exact(&mut magic)
        .map_err(|_| inp.err("file is too short to hold the RDB header"))?;
    if &magic[..5] != b"REDIS" {
        return Err(RdbError {
            offset: 0,
            reason: "wrong signature trying to load DB from file (no REDIS header)".into(),
        });
    }
    let version = std::str::from_utf8(&magic[5..])
        .ok()
        .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse::<u32>().ok())
        .unwrap_or(0);
    if !(1..=RDB_VERSION).contains(&version) {
        return Err(RdbError {
            offset: 5,
            reason: format!(
                "can't handle RDB format version {}",
                String::from_utf8_lossy(&magic[5..])
            ),
        });
    }
    stats.rdb_version = version;
    let mut db_index = 0usize;
    if dbs.is_empty() {
        return Err(inp.err("no databases to load into"));
    }
    let mut expire: Option<i64> = None;
    let mut idle: Option<u64> = None;
    loop {
        let t = inp.byte()?;
        match t {
            OPCODE_EXPIRETIME => {
                let mut x = [0u8; 4];
                inp.exact(&mut x)?;
                expire = Some(i32::from_le_bytes(x) as i64 * 1000);
                continue;
            }
            OPCODE_EXPIRETIME_MS => {
                let mut x = [0u8; 8];
                inp.exact(&mut x)?;
                expire = Some(i64::from_le_bytes(x));
                continue;
            }
            OPCODE_FREQ => {
                // LFU counters: read and ignored until LFU eviction exists.
                inp.byte()?;
                continue;
            }
            OPCODE_IDLE => {
                idle = Some(read_len(inp)?);
                continue;
            }
            OPCODE_EOF => break,
            OPCODE_SELECTDB => {
                let id = read_len(inp)?;
                if id >= dbs.len() as u64 {
                    return Err(inp.err(format!(
                        "file selects DB {id}, but this server has only {} databases",
                        dbs.len()
                    )));
                }
                db_index = id as usize;
                obs.select_db(inp.offset(), id);
                continue;
            }
            OPCODE_RESIZEDB => {
                let size = read_len(inp)?;
                let expires = read_len(inp)?;
                // Each key takes at least 3 bytes (type, key, value).
                let size = inp.count_hint(size, 3)?;
                let expires = inp.count_hint(expires, 12)?;
                let db = &mut dbs[db_index];
                db.keys.expand(size.min(MAX_HINT * 64));
                db.expires.expand(expires.min(MAX_HINT * 64));
                continue;
            }
            OPCODE_AUX => {
                let k = read_bytes(inp)?;
                let v = read_bytes(inp)?;
                match k.as_slice() {
                    b"redis-ver" => {
                        stats.redis_ver = Some(String::from_utf8_lossy(&v).into_owned())
                    }
                    b"ctime" => stats.ctime = parse_i64(&v),
                    b"used-mem" => stats.used_mem = parse_i64(&v),
                    b"aof-base" | b"aof-preamble" => stats.aof_base = v.as_slice() != b"0",
                    _ => {}
                }
                obs.aux(inp.offset(), &k, &v);
                continue;
            }
            OPCODE_MODULE_AUX => {
                return Err(inp.err("module auxiliary data (opcode 247) is not supported by oxidis"))
            }
            OPCODE_FUNCTION | OPCODE_FUNCTION2 => {
                return Err(inp.err(format!(
                    "function libraries (opcode {t}) are not supported by oxidis"
                )))
            }
            _ => {}
        }
        let type_at = inp.offset() - 1;
        let key = read_bytes(inp)?;
        let value = read_object(inp, t, opts).map_err(|mut e| {
            e.reason = format!(
                "{} (reading key '{}', type {t} {}, at offset {type_at})",
                e.reason,
                String::from_utf8_lossy(&key),
                type_name(t)
            );
            e
        })?;
        store_key(
            inp,
            &mut dbs[db_index],
            key,
            value,
            expire.take(),
            idle.take(),
            opts,
            &mut stats,
        )?;
        let read = stats.keys_loaded + stats.keys_expired + stats.empty_keys_skipped;
        if read % PROGRESS_EVERY_KEYS == 0 {
            obs.progress(read, inp.offset());
        }
    }
    if version >= 5 {
        let computed = inp.crc_so_far();
        let mut x = [0u8; 8];
        inp.exact(&mut x)?;
        let expected = u64::from_le_bytes(x);
        if expected == 0 {
            stats.checksum = None;
        } else if opts.verify_checksum && expected != computed {
            return Err(RdbError {
                offset: inp.offset() - 8,
                reason: format!("wrong RDB checksum expected: ({expected:x}) got ({computed:x})"),
            });
        } else {
            stats.checksum = Some(expected);
        }
    }
    stats.bytes = inp.offset();
    Ok(stats)
}
// ANCHOR_END: load
