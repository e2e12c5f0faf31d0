//! The keyspace: one `Db` per database, each a dict of keys to values and
//! a dict of keys to expiry times.
//!
//! Chapter: chapters/07-dict.md
//!
//! This is the first, minimal keyspace: string values only, with lazy
//! expiry on access. The chapters on objects and expiry grow it into
//! Redis's full value object (types, encodings, LRU/LFU field) and active
//! expiry.
//!
//! Invariants:
//! 1. Every key in `expires` is also in `keys`.
//! 2. A key whose expiry time has passed is never returned to a command:
//!    `lookup` deletes it first (lazy expiry).
//!
//! Not here: argument parsing and replies (`cmd/`), persistence.

use crate::ds::dict::Dict;

/// A stored value. Only strings exist so far.
pub enum Value {
    Str(Vec<u8>),
}

/// Approximate bytes per key beyond the key and value bytes: the dict
/// entry node (key Vec, value, next pointer) and its bucket slot.
pub fn entry_overhead() -> usize {
    // Vec header (24) + value enum (32) + next pointer (8) + bucket (8)
    // + allocator headers for the node, key and value (3 x 8).
    24 + 32 + 8 + 8 + 24
}

pub struct Db {
    pub keys: Dict<Vec<u8>, Value>,
    /// Key → absolute unix time in ms (invariant 1).
    pub expires: Dict<Vec<u8>, u64>,
    /// Keys removed because they expired (INFO `expired_keys`).
    pub expired: u64,
}

impl Default for Db {
    fn default() -> Self {
        Self::new()
    }
}

impl Db {
    pub fn new() -> Db {
        Db {
            keys: Dict::new(),
            expires: Dict::new(),
            expired: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.len() == 0
    }

    // ANCHOR: lookup
    /// The live value of `key`, expiring it first if its time has come
    /// (invariant 2).
    pub fn lookup(&mut self, key: &[u8], now_ms: u64) -> Option<&mut Value> {
        self.expire_if_needed(key, now_ms);
        self.keys.get_mut(key)
    }
    // ANCHOR_END: lookup

    /// Sets `key` to `value`, clearing any expiry (SET's default).
    pub fn set(&mut self, key: Vec<u8>, value: Value) {
        if !self.expires.is_empty() {
            self.expires.remove(key.as_slice());
        }
        self.keys.insert(key, value);
    }

    /// Removes `key`; true if it existed (and had not expired).
    pub fn delete(&mut self, key: &[u8], now_ms: u64) -> bool {
        if self.expire_if_needed(key, now_ms) {
            return false;
        }
        if self.keys.remove(key).is_some() {
            if !self.expires.is_empty() {
                self.expires.remove(key);
            }
            true
        } else {
            false
        }
    }

    pub fn exists(&mut self, key: &[u8], now_ms: u64) -> bool {
        self.lookup(key, now_ms).is_some()
    }

    /// Sets an absolute expiry time on an existing key.
    pub fn set_expire(&mut self, key: &[u8], when_ms: u64) {
        if self.keys.contains_key(key) {
            self.expires.insert(key.to_vec(), when_ms);
        }
    }

    /// Deletes `key` if its expiry time has passed; true if it did.
    fn expire_if_needed(&mut self, key: &[u8], now_ms: u64) -> bool {
        if self.expires.is_empty() {
            return false; // the common case costs one comparison
        }
        match self.expires.get(key) {
            Some(&when) if when <= now_ms => {
                self.expires.remove(key);
                self.keys.remove(key);
                self.expired += 1;
                true
            }
            _ => false,
        }
    }

    pub fn clear(&mut self) {
        self.keys.clear();
        self.expires.clear();
    }

    /// Incremental rehashing from the cron (`activerehashing`).
    pub fn rehash_for_millis(&mut self, ms: u64) {
        let budget = std::time::Duration::from_millis(ms);
        self.keys.rehash_for(budget);
        self.expires.rehash_for(budget);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_keys_are_invisible_and_removed_on_access() {
        let mut db = Db::new();
        db.set(b"k".to_vec(), Value::Str(b"v".to_vec()));
        db.set_expire(b"k", 1000);
        assert!(db.lookup(b"k", 999).is_some());
        assert!(db.lookup(b"k", 1000).is_none());
        assert_eq!(db.len(), 0);
        assert_eq!(db.expires.len(), 0);
        assert_eq!(db.expired, 1);
    }

    #[test]
    fn set_clears_a_previous_expiry() {
        let mut db = Db::new();
        db.set(b"k".to_vec(), Value::Str(b"v".to_vec()));
        db.set_expire(b"k", 10);
        db.set(b"k".to_vec(), Value::Str(b"w".to_vec()));
        assert!(db.lookup(b"k", 20).is_some());
    }
}
