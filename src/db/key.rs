//! Keys of the keyspace: short keys stored inside the dict node, long
//! ones in an SDS.
//!
//! Chapter: chapters/10-keyspace.md
//!
//! Most keys are short (`user:1000`, `session:ab12cd`). Stored as an SDS,
//! such a key costs an 8-byte handle in the dict node plus a separate
//! heap block, and glibc's smallest block is 32 bytes. Stored inline, up
//! to 22 bytes cost nothing outside the node:
//!
//! ```text
//!   Key (24 bytes)
//!   Inline: [tag][len][22 bytes of key .................]
//!   Heap:   [tag][pad ×7][Sds handle ×8] ──► [hdr][key bytes]
//! ```
//!
//! Invariants:
//! 1. `Inline` holds at most `INLINE_KEY_MAX` bytes and `Heap` holds
//!    longer keys only, so a key has exactly one representation and equal
//!    bytes always compare and hash equal.
//!
//! Not here: hashing itself (`ds/dict.rs`, `ds/siphash.rs`).

use std::borrow::Borrow;
use std::fmt;

use crate::ds::dict::DictKey;
use crate::ds::sds::Sds;
use crate::ds::siphash::SipKey;

/// The longest key stored inline: 22 bytes + a length byte + the enum
/// tag fill the 24 bytes the `Heap` variant needs anyway.
pub const INLINE_KEY_MAX: usize = 22;

#[derive(Clone)]
pub enum Key {
    Inline {
        len: u8,
        bytes: [u8; INLINE_KEY_MAX],
    },
    Heap(Sds),
}

impl Key {
    pub fn new(b: &[u8]) -> Key {
        if b.len() <= INLINE_KEY_MAX {
            let mut bytes = [0u8; INLINE_KEY_MAX];
            bytes[..b.len()].copy_from_slice(b);
            Key::Inline {
                len: b.len() as u8,
                bytes,
            }
        } else {
            Key::Heap(Sds::new(b))
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Key::Inline { len, bytes } => &bytes[..*len as usize],
            Key::Heap(s) => s.as_bytes(),
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }

    /// Heap bytes owned beyond the key itself (MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        match self {
            Key::Inline { .. } => 0,
            Key::Heap(s) => s.alloc_size(),
        }
    }
}

impl Borrow<[u8]> for Key {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Key {}

/// Hashes exactly like `[u8]`, so the keyspace can be searched with the
/// `&[u8]` a client sent (invariant 1 keeps this consistent).
impl DictKey for Key {
    #[inline]
    fn hash_with(&self, key: &SipKey) -> u64 {
        self.as_bytes().hash_with(key)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({:?})", String::from_utf8_lossy(self.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ds::dict::Dict;

    #[test]
    fn a_key_is_24_bytes() {
        assert_eq!(std::mem::size_of::<Key>(), 24);
    }

    #[test]
    fn short_keys_are_inline_and_long_ones_on_the_heap() {
        assert!(matches!(Key::new(b"key:0000000001"), Key::Inline { .. }));
        assert!(matches!(Key::new(&[b'k'; 22]), Key::Inline { .. }));
        assert!(matches!(Key::new(&[b'k'; 23]), Key::Heap(_)));
        assert_eq!(Key::new(&[b'k'; 23]).as_bytes(), &[b'k'; 23][..]);
        assert_eq!(Key::new(b"").as_bytes(), b"");
    }

    #[test]
    fn dict_lookups_by_bytes_find_both_kinds() {
        let mut d: Dict<Key, u32> = Dict::new();
        d.insert(Key::new(b"short"), 1);
        d.insert(Key::new(&[b'x'; 40]), 2);
        assert_eq!(d.get(&b"short"[..]), Some(&1));
        assert_eq!(d.get(&[b'x'; 40][..]), Some(&2));
        assert_eq!(d.get(&b"nope"[..]), None);
    }
}
