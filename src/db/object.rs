//! The value object: what the keyspace stores for each key — a type, an
//! encoding, and a 24-bit LRU/LFU field.
//!
//! Chapter: chapters/09-objects.md
//!
//! A Redis value has a *type* (what TYPE answers: string, list, ...) and an
//! *encoding* (how it is laid out in memory: what OBJECT ENCODING answers).
//! Strings have three encodings, chosen exactly as Redis 7.0 chooses them:
//!
//! ```text
//!   "12345"            int     an i64 stored in the object itself
//!   "hello"            embstr  <= 44 bytes, stored with the object
//!   "x" * 45           raw     a growable SDS string
//! ```
//!
//! In oxidis an embstr of up to 14 bytes lives *inside* the 24-byte object
//! (`Inline`), and a longer one in an exact-size SDS (`Emb`); both report
//! `embstr`. Only `Raw` strings keep spare room for appends.
//!
//! Invariants:
//! 1. `Int(n)` holds exactly the strings that Redis would encode as int:
//!    canonical decimal i64s (no sign but '-', no leading zeros, at most 20
//!    bytes).
//! 2. `Inline` holds at most `INLINE_MAX` bytes; `Emb` holds at most
//!    `EMBSTR_MAX` bytes and has no spare capacity.
//! 3. `lru` only ever uses its low 24 bits (LRU clock in seconds, or LFU
//!    minutes + counter once eviction arrives).
//!
//! Not here: which command creates which encoding (cmd/string.rs), the
//! keyspace (db/mod.rs).

use super::zset::SkipZset;
use crate::ds::dict::Dict;
use crate::ds::quicklist::Quicklist;
use crate::ds::sds::Sds;
use std::borrow::Cow;

/// Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT: longer strings are raw.
pub const EMBSTR_MAX: usize = 44;
/// Bytes a string may have to be stored inside the object itself.
pub const INLINE_MAX: usize = 14;

/// A short string stored in place: 1 length byte + 14 data bytes, which
/// with the enum tag fills the 16 bytes an `Sds` variant needs anyway.
#[derive(Clone, Copy)]
pub struct InlineStr {
    len: u8,
    bytes: [u8; INLINE_MAX],
}

impl InlineStr {
    fn new(s: &[u8]) -> InlineStr {
        let mut bytes = [0u8; INLINE_MAX];
        bytes[..s.len()].copy_from_slice(s);
        InlineStr {
            len: s.len() as u8,
            bytes,
        }
    }
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

// ANCHOR: value
/// The payload of a value object. The variant *is* the (type, encoding)
/// pair, so the two can never disagree.
#[derive(Clone)]
pub enum Value {
    /// string / int
    Int(i64),
    /// string / embstr, up to 14 bytes, in place
    Inline(InlineStr),
    /// string / embstr, 15..=44 bytes, exact-size SDS
    Emb(Sds),
    /// string / raw, any size, may have spare room
    Raw(Sds),
    /// list / quicklist (the only list encoding in Redis 7.0). Boxed so
    /// the object stays 24 bytes.
    List(Box<Quicklist>),
    /// hash / listpack: field, value, field, value, ... in insertion
    /// order. Kept as an exact-size SDS of the listpack's bytes (8 bytes
    /// here, no spare capacity): a small hash is one allocation. Commands
    /// open it as a `Listpack` to work on it (`cmd/hash.rs`).
    HashLp(Sds),
    /// hash / hashtable
    HashTable(Box<Dict<Sds, Sds>>),
    /// set / intset: integers only, sorted; exact-size bytes, as HashLp.
    SetInt(Sds),
    /// set / hashtable
    SetTable(Box<Dict<Sds, ()>>),
    /// zset / listpack: member, score, ... in score order; exact-size
    /// bytes, as HashLp (`db/zset.rs`).
    ZsetLp(Sds),
    /// zset / skiplist: a skiplist plus a member -> score dict.
    ZsetSkip(Box<SkipZset>),
}

/// A value with its LRU/LFU field: 24 bytes in all.
#[derive(Clone)]
pub struct RObj {
    /// Low 24 bits: LRU clock in seconds at last access (invariant 3).
    lru: u32,
    pub value: Value,
}
// ANCHOR_END: value

/// Types as TYPE prints them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ObjType {
    String,
    List,
    Hash,
    Set,
    Zset,
}

impl ObjType {
    pub fn name(self) -> &'static str {
        match self {
            ObjType::String => "string",
            ObjType::List => "list",
            ObjType::Hash => "hash",
            ObjType::Set => "set",
            ObjType::Zset => "zset",
        }
    }
}

/// The 24-bit LRU clock: seconds, wrapping every 194 days, as Redis's
/// LRU_CLOCK_RESOLUTION of 1000 ms with 24 bits.
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;

pub fn lru_clock(now_ms: u64) -> u32 {
    ((now_ms / 1000) as u32) & LRU_CLOCK_MAX
}

// ANCHOR: encode
/// Creates a string object with the encoding Redis's `tryObjectEncoding`
/// would choose: int when the bytes are a canonical i64, else embstr up to
/// 44 bytes, else raw.
pub fn string_object(bytes: &[u8], lru: u32) -> RObj {
    if bytes.len() <= 20 {
        if let Some(n) = crate::cmd::parse_i64(bytes) {
            return RObj::new(Value::Int(n), lru);
        }
    }
    RObj::new(embstr_or_raw(bytes), lru)
}

/// The encoding of a string value created without the int attempt
/// (Redis's createStringObject): embstr up to 44 bytes, raw above.
pub fn embstr_or_raw(bytes: &[u8]) -> Value {
    if bytes.len() <= INLINE_MAX {
        Value::Inline(InlineStr::new(bytes))
    } else if bytes.len() <= EMBSTR_MAX {
        Value::Emb(Sds::new(bytes))
    } else {
        Value::Raw(Sds::new(bytes))
    }
}
// ANCHOR_END: encode

impl RObj {
    pub fn new(value: Value, lru: u32) -> RObj {
        RObj {
            lru: lru & LRU_CLOCK_MAX,
            value,
        }
    }

    pub fn obj_type(&self) -> ObjType {
        match self.value {
            Value::Int(_) | Value::Inline(_) | Value::Emb(_) | Value::Raw(_) => ObjType::String,
            Value::List(_) => ObjType::List,
            Value::HashLp(_) | Value::HashTable(_) => ObjType::Hash,
            Value::SetInt(_) | Value::SetTable(_) => ObjType::Set,
            Value::ZsetLp(_) | Value::ZsetSkip(_) => ObjType::Zset,
        }
    }

    /// OBJECT ENCODING's answer.
    pub fn encoding_name(&self) -> &'static str {
        match self.value {
            Value::Int(_) => "int",
            Value::Inline(_) | Value::Emb(_) => "embstr",
            Value::Raw(_) => "raw",
            Value::List(_) => "quicklist",
            Value::HashLp(_) | Value::ZsetLp(_) => "listpack",
            Value::ZsetSkip(_) => "skiplist",
            Value::SetInt(_) => "intset",
            Value::HashTable(_) | Value::SetTable(_) => "hashtable",
        }
    }

    pub fn lru(&self) -> u32 {
        self.lru
    }

    pub fn touch(&mut self, lru: u32) {
        self.lru = lru & LRU_CLOCK_MAX;
    }

    /// The string's bytes; ints are formatted (hence `Cow`).
    pub fn string_bytes(&self) -> Option<Cow<'_, [u8]>> {
        match &self.value {
            Value::Int(n) => Some(Cow::Owned(n.to_string().into_bytes())),
            Value::Inline(s) => Some(Cow::Borrowed(s.as_bytes())),
            Value::Emb(s) | Value::Raw(s) => Some(Cow::Borrowed(s.as_bytes())),
            _ => None,
        }
    }

    /// Length of the string value (STRLEN) without formatting ints twice.
    pub fn string_len(&self) -> Option<usize> {
        match &self.value {
            Value::Int(n) => Some(int_len(*n)),
            Value::Inline(s) => Some(s.as_bytes().len()),
            Value::Emb(s) | Value::Raw(s) => Some(s.len()),
            _ => None,
        }
    }

    /// Turns the string into a raw SDS and returns it for in-place edits
    /// (APPEND, SETRANGE, SETBIT): Redis's dbUnshareStringValue, after
    /// which OBJECT ENCODING says raw.
    pub fn make_raw(&mut self) -> Option<&mut Sds> {
        let bytes = match &self.value {
            Value::Raw(_) => None,
            Value::List(_)
            | Value::HashLp(_)
            | Value::HashTable(_)
            | Value::SetInt(_)
            | Value::SetTable(_)
            | Value::ZsetLp(_)
            | Value::ZsetSkip(_) => return None,
            Value::Int(n) => Some(n.to_string().into_bytes()),
            Value::Inline(s) => Some(s.as_bytes().to_vec()),
            Value::Emb(s) => Some(s.to_vec()),
        };
        if let Some(b) = bytes {
            self.value = Value::Raw(Sds::new(&b));
        }
        match &mut self.value {
            Value::Raw(s) => Some(s),
            _ => None,
        }
    }

    /// Bytes this value owns on the heap beyond the object itself
    /// (MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        match &self.value {
            Value::Int(_) | Value::Inline(_) => 0,
            Value::Emb(s) | Value::Raw(s) => s.alloc_size(),
            Value::List(l) => l.memory_usage(),
            Value::HashLp(lp) => lp.alloc_size(),
            Value::HashTable(d) => {
                d.memory_usage()
                    + d.iter()
                        .map(|(k, v)| k.alloc_size() + v.alloc_size())
                        .sum::<usize>()
            }
            Value::SetInt(is) => is.alloc_size(),
            Value::SetTable(d) => {
                d.memory_usage() + d.keys().map(|k| k.alloc_size()).sum::<usize>()
            }
            Value::ZsetLp(_) | Value::ZsetSkip(_) => super::zset::heap_size(&self.value),
        }
    }
}

/// Decimal length of an i64.
pub fn int_len(n: i64) -> usize {
    let mut len = if n < 0 { 2 } else { 1 };
    let mut v = n.unsigned_abs();
    while v >= 10 {
        v /= 10;
        len += 1;
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_is_24_bytes() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
        assert_eq!(std::mem::size_of::<RObj>(), 24);
    }

    #[test]
    fn encodings_are_chosen_like_redis() {
        assert_eq!(string_object(b"12345", 0).encoding_name(), "int");
        assert_eq!(string_object(b"-1", 0).encoding_name(), "int");
        assert_eq!(string_object(b"0123", 0).encoding_name(), "embstr");
        assert_eq!(string_object(b"+1", 0).encoding_name(), "embstr");
        assert_eq!(string_object(b"hello", 0).encoding_name(), "embstr");
        assert_eq!(string_object(&[b'x'; 44], 0).encoding_name(), "embstr");
        assert_eq!(string_object(&[b'x'; 45], 0).encoding_name(), "raw");
        assert_eq!(
            string_object(b"99999999999999999999", 0).encoding_name(),
            "embstr"
        );
    }

    #[test]
    fn make_raw_keeps_the_bytes_and_changes_the_encoding() {
        for v in [&b"42"[..], b"hi", b"a string of twenty-five b"] {
            let mut o = string_object(v, 0);
            let s = o.make_raw().expect("string");
            assert_eq!(s.as_bytes(), v);
            assert_eq!(o.encoding_name(), "raw");
        }
    }

    #[test]
    fn string_len_matches_formatted_length() {
        for n in [0i64, 9, 10, -1, -10, i64::MAX, i64::MIN] {
            assert_eq!(int_len(n), n.to_string().len());
        }
    }

    #[test]
    fn lru_uses_24_bits() {
        let o = RObj::new(Value::Int(1), u32::MAX);
        assert_eq!(o.lru(), LRU_CLOCK_MAX);
    }
}
