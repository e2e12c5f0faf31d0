//! The keyspace: one `Db` per database, each a dict of keys to value
//! objects and a dict of keys to expiry times.
//!
//! Chapter: chapters/10-keyspace.md
//!
//! ```text
//!   Db
//!   ├── keys:    Dict<Key, RObj>   "user:1" -> string "alice"
//!   │                              "hits"   -> int 42
//!   └── expires: Dict<Key, i64>    "user:1" -> 1796062107810  (unix ms)
//! ```
//!
//! Every read goes through `lookup`, which deletes a key whose time has
//! come before anyone can see it (lazy expiry); `expire::active_cycle`
//! removes the ones nobody reads (active expiry). Both report the keys
//! they removed through `expired`, the one path the server drains to count
//! them and, in later chapters, to propagate a DEL and notify subscribers.
//!
//! Invariants:
//! 1. Every key in `expires` is also in `keys`.
//! 2. A key whose expiry time has passed is never returned to a command.
//! 3. Every key removed by expiry is pushed to `expired` exactly once.
//! 4. When a key some client is blocked on is created, it is pushed to
//!    `ready` (once per creation): a list that exists is never empty, so
//!    creation is the moment a blocked pop may succeed.
//! 5. Every modification of a key in `watched` (WATCH) pushes its watchers
//!    to `dirty_watchers` before the command that made it returns. `set`,
//!    `add`, `remove`, `delete`, expiry, `set_expire`, `persist` and
//!    `clear` do it themselves; a command that edits a value in place
//!    calls `touch`.
//! 6. While `track_new` is on (keyspace events of class `n`), every key
//!    creation is pushed to `created`, in order; while `track_miss` is on
//!    (class `m`), every read lookup that finds nothing is pushed to
//!    `missed`.
//!
//! Not here: argument parsing and replies (`cmd/`), the active expiry
//! algorithm (`expire.rs`), what a dirty watcher or a created key leads to
//! (`server/multi.rs`, `server/notify.rs`).

pub mod expire;
pub mod key;
pub mod object;
pub mod zset;

use crate::ds::dict::{Dict, XorShift64Star};
use crate::ds::sds::Sds;
pub use key::Key;
pub use object::{ObjType, RObj, Value};

pub struct Db {
    pub id: usize,
    pub keys: Dict<Key, RObj>,
    /// Key → absolute unix time in ms (invariant 1). The key is a second
    /// copy of the SDS: only keys with a TTL pay for it.
    pub expires: Dict<Key, i64>,
    /// Keys removed by expiry, waiting for the server (invariant 3).
    pub expired: Vec<Key>,
    /// Estimated average remaining TTL in ms (INFO keyspace `avg_ttl`),
    /// updated by the active expiry cycle.
    pub avg_ttl: u64,
    /// Clients blocked on each key (BLPOP and friends), in arrival order.
    /// Only ids: the clients themselves belong to the server.
    pub blocking: Dict<Sds, std::collections::VecDeque<u64>>,
    /// Keys with blocked clients that a write has just created, for the
    /// server to serve after the current command (invariant 4).
    pub ready: Vec<Sds>,
    /// Keyspace hits and misses of read lookups (INFO stats).
    pub hits: u64,
    pub misses: u64,
    /// WATCHed keys of this db and who watches them (chapter 18). Only
    /// ids: the clients belong to the server.
    pub watched: Dict<Sds, Vec<Watcher>>,
    /// Watchers of keys modified by the current command, for the server
    /// to flag dirty (invariant 5).
    pub dirty_watchers: Vec<(u64, i32)>,
    /// Keys created since the server last looked, while `track_new`
    /// (invariant 6): the `new` keyspace event.
    pub created: Vec<Key>,
    pub track_new: bool,
    /// Keys a read lookup did not find, while `track_miss` (keyspace
    /// events of class `m`): the `keymiss` event (invariant 6).
    pub missed: Vec<Key>,
    pub track_miss: bool,
    rng: XorShift64Star,
}

/// One client's WATCH of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watcher {
    pub client_id: u64,
    /// The client's fd, so the server finds it without a scan.
    pub fd: i32,
    /// The key was already logically expired (present, time passed) when
    /// WATCHed. Its lazy or active removal is then no change at all, as
    /// Redis 7.0 rules; only a real write invalidates the watch.
    pub expired: bool,
}

/// Bytes per key beyond the key and value bytes, for MEMORY USAGE: the
/// dict node (cached hash, next pointer, key handle, 24-byte object) and
/// its bucket pointer.
pub fn entry_overhead() -> usize {
    // next pointer + key + object, and the bucket's pointer.
    std::mem::size_of::<usize>() * 2 + std::mem::size_of::<Key>() + std::mem::size_of::<RObj>()
}

impl Db {
    pub fn new(id: usize) -> Db {
        Db {
            id,
            keys: Dict::new(),
            expires: Dict::new(),
            expired: Vec::new(),
            avg_ttl: 0,
            blocking: Dict::new(),
            ready: Vec::new(),
            hits: 0,
            misses: 0,
            watched: Dict::new(),
            dirty_watchers: Vec::new(),
            created: Vec::new(),
            track_new: false,
            missed: Vec::new(),
            track_miss: false,
            rng: XorShift64Star::new(0x9E37_79B9_7F4A_7C15 ^ id as u64),
        }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    // ANCHOR: lookup
    /// The live object at `key` for a read: lazily expires it first
    /// (invariant 2), counts a hit or a miss, and refreshes its LRU field.
    pub fn lookup_read(&mut self, key: &[u8], now_ms: u64) -> Option<&mut RObj> {
        self.expire_if_needed(key, now_ms);
        match self.keys.get_mut(key) {
            Some(o) => {
                self.hits += 1;
                o.touch(object::lru_clock(now_ms));
                Some(o)
            }
            None => {
                self.misses += 1;
                if self.track_miss {
                    self.missed.push(Key::new(key));
                }
                None
            }
        }
    }
    // ANCHOR_END: lookup

    /// Like `lookup_read` but for a command about to write: no hit/miss
    /// accounting, as in Redis's lookupKeyWrite.
    pub fn lookup_write(&mut self, key: &[u8], now_ms: u64) -> Option<&mut RObj> {
        self.expire_if_needed(key, now_ms);
        let o = self.keys.get_mut(key)?;
        o.touch(object::lru_clock(now_ms));
        Some(o)
    }

    /// Does `key` exist (after lazy expiry)? No LRU update (EXISTS and
    /// friends must not change idle times, as in Redis's LOOKUP_NOTOUCH).
    pub fn exists(&mut self, key: &[u8], now_ms: u64) -> bool {
        self.expire_if_needed(key, now_ms);
        self.keys.contains_key(key)
    }

    /// A read lookup that leaves the LRU field alone (EXISTS, TYPE, TTL):
    /// counts a hit or a miss like `lookup_read`, and a miss is a
    /// `keymiss` event (Redis's LOOKUP_NOTOUCH).
    pub fn lookup_read_notouch(&mut self, key: &[u8], now_ms: u64) -> Option<&RObj> {
        self.expire_if_needed(key, now_ms);
        match self.keys.get(key) {
            Some(o) => {
                self.hits += 1;
                Some(o)
            }
            None => {
                self.misses += 1;
                if self.track_miss {
                    self.missed.push(Key::new(key));
                }
                None
            }
        }
    }

    /// Read access without touching the LRU field or the statistics.
    pub fn peek(&mut self, key: &[u8], now_ms: u64) -> Option<&RObj> {
        self.expire_if_needed(key, now_ms);
        self.keys.get(key)
    }

    /// Stores `obj` at `key`, replacing any value. With `keep_ttl` false
    /// (SET's default) a previous expiry is removed.
    pub fn set(&mut self, key: &[u8], obj: RObj, keep_ttl: bool) {
        if !keep_ttl && !self.expires.is_empty() {
            self.expires.remove(key);
        }
        match self.keys.get_mut(key) {
            Some(slot) => *slot = obj,
            None => {
                self.keys.insert(Key::new(key), obj);
                self.key_created(key);
            }
        }
        self.touch(key);
    }

    /// Adds a key that the caller knows is absent.
    pub fn add(&mut self, key: &[u8], obj: RObj) {
        self.keys.insert(Key::new(key), obj);
        self.key_created(key);
        self.touch(key);
    }

    /// Invariants 4 and 6 for a key that did not exist a moment ago.
    fn key_created(&mut self, key: &[u8]) {
        self.signal_ready(key);
        if self.track_new {
            self.created.push(Key::new(key));
        }
    }

    // ANCHOR: touch
    /// Invariant 5: `key` changed, so whoever WATCHes it must see EXEC fail.
    /// Redis's signalModifiedKey. One emptiness check when nothing is
    /// watched, which is nearly always.
    pub fn touch(&mut self, key: &[u8]) {
        if self.watched.is_empty() {
            return;
        }
        let exists = self.keys.contains_key(key);
        let Some(watchers) = self.watched.get_mut(key) else {
            return;
        };
        for w in watchers.iter_mut() {
            if w.expired && !exists {
                // The key was dead when watched and is now gone: no
                // logical change. From now on it is an ordinary absent key.
                w.expired = false;
                continue;
            }
            self.dirty_watchers.push((w.client_id, w.fd));
        }
    }

    /// FLUSHDB/FLUSHALL (`other` None) and SWAPDB (`other` the db whose
    /// keys replace ours): every watched key that exists now, or will exist
    /// after the swap, changes. Call before the keys go.
    pub fn touch_all_watched(&mut self, other: Option<&Dict<Key, RObj>>) {
        if self.watched.is_empty() {
            return;
        }
        for (key, watchers) in self.watched.iter_mut() {
            let here = self.keys.contains_key(key.as_bytes());
            let there = other.is_some_and(|o| o.contains_key(key.as_bytes()));
            if !(here || there) {
                continue;
            }
            for w in watchers.iter_mut() {
                if w.expired && !there {
                    w.expired = false;
                    continue;
                }
                self.dirty_watchers.push((w.client_id, w.fd));
            }
        }
    }
    // ANCHOR_END: touch

    /// Is `key` present but past its expiry time (not yet removed)?
    /// Redis's keyIsExpired: WATCH and EXEC ask it without deleting.
    pub fn is_logically_expired(&self, key: &[u8], now_ms: u64) -> bool {
        self.get_expire(key)
            .is_some_and(|when| when <= now_ms as i64)
    }

    // ANCHOR: signal_ready
    /// Invariant 4: a new key that clients wait for is ready. Costs one
    /// emptiness check when nobody is blocked.
    fn signal_ready(&mut self, key: &[u8]) {
        if self.blocking.is_empty() || !self.blocking.contains_key(key) {
            return;
        }
        if !self.ready.iter().any(|k| k.as_bytes() == key) {
            self.ready.push(Sds::new(key));
        }
    }
    // ANCHOR_END: signal_ready

    /// After SWAPDB: every key someone waits for that now exists is ready.
    pub fn signal_existing_ready(&mut self) {
        let waiting: Vec<Sds> = self.blocking.keys().cloned().collect();
        for k in waiting {
            if self.keys.contains_key(k.as_bytes()) {
                self.signal_ready(k.as_bytes());
            }
        }
    }

    /// Removes `key` and its expiry; true if a live key was removed.
    pub fn delete(&mut self, key: &[u8], now_ms: u64) -> bool {
        if self.expire_if_needed(key, now_ms) {
            return false;
        }
        self.remove(key).is_some()
    }

    /// Removes `key` without expiry checks, returning its object.
    pub fn remove(&mut self, key: &[u8]) -> Option<RObj> {
        let (_, obj) = self.keys.remove(key)?;
        if !self.expires.is_empty() {
            self.expires.remove(key);
        }
        self.touch(key);
        Some(obj)
    }

    /// Sets an absolute expiry time (unix ms) on an existing key.
    pub fn set_expire(&mut self, key: &[u8], when_ms: i64) {
        if !self.keys.contains_key(key) {
            return;
        }
        match self.expires.get_mut(key) {
            Some(slot) => *slot = when_ms,
            None => {
                self.expires.insert(Key::new(key), when_ms);
            }
        }
        self.touch(key);
    }

    /// The absolute expiry time of `key`, if it has one.
    pub fn get_expire(&self, key: &[u8]) -> Option<i64> {
        if self.expires.is_empty() {
            return None;
        }
        self.expires.get(key).copied()
    }

    /// Removes the expiry of `key`; true if it had one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        let had = self.expires.remove(key).is_some();
        if had {
            self.touch(key);
        }
        had
    }

    // ANCHOR: expire_if_needed
    /// Deletes `key` if its expiry time has passed; true if it did.
    pub fn expire_if_needed(&mut self, key: &[u8], now_ms: u64) -> bool {
        if self.expires.is_empty() {
            return false; // the common case costs one comparison
        }
        match self.expires.get(key) {
            Some(&when) if when <= now_ms as i64 => {
                self.expire_now(key);
                true
            }
            _ => false,
        }
    }
    // ANCHOR_END: expire_if_needed

    /// Removes an expired key and reports it (invariant 3).
    pub fn expire_now(&mut self, key: &[u8]) {
        if let Some((k, _)) = self.keys.remove(key) {
            self.expires.remove(key);
            self.expired.push(k);
            self.touch(key);
        }
    }

    /// A random live key (RANDOMKEY). Expired keys met on the way are
    /// deleted, so the loop ends: each turn returns or removes a key.
    pub fn random_key(&mut self, now_ms: u64) -> Option<Key> {
        loop {
            let rng = &mut self.rng;
            let mut next = || rng.next_u64();
            let key = self.keys.random_entry(&mut next).map(|(k, _)| k.clone())?;
            match self.get_expire(key.as_bytes()) {
                Some(when) if when <= now_ms as i64 => self.expire_now(key.as_bytes()),
                _ => return Some(key),
            }
        }
    }

    /// Removes every key; returns how many there were.
    pub fn clear(&mut self) -> usize {
        self.touch_all_watched(None);
        let n = self.keys.len();
        self.keys = Dict::new();
        self.expires = Dict::new();
        n
    }

    /// Incremental rehashing from the cron (`activerehashing`).
    pub fn rehash_for_millis(&mut self, ms: u64) {
        let budget = std::time::Duration::from_millis(ms);
        self.keys.rehash_for(budget);
        self.expires.rehash_for(budget);
    }

    /// A random u64 for callers that sample (SCAN has none; eviction will).
    pub fn random_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> RObj {
        object::string_object(v.as_bytes(), 0)
    }

    #[test]
    fn expired_keys_are_invisible_and_reported_once() {
        let mut db = Db::new(0);
        db.set(b"k", s("v"), false);
        db.set_expire(b"k", 1000);
        assert!(db.lookup_read(b"k", 999).is_some());
        assert!(db.lookup_read(b"k", 1000).is_none());
        assert_eq!(db.len(), 0);
        assert_eq!(db.expires.len(), 0);
        assert_eq!(db.expired.len(), 1);
        assert!(db.lookup_read(b"k", 1001).is_none());
        assert_eq!(db.expired.len(), 1);
    }

    #[test]
    fn set_clears_a_previous_expiry_unless_keep_ttl() {
        let mut db = Db::new(0);
        db.set(b"k", s("v"), false);
        db.set_expire(b"k", 10);
        db.set(b"k", s("w"), true);
        assert_eq!(db.get_expire(b"k"), Some(10));
        db.set(b"k", s("x"), false);
        assert_eq!(db.get_expire(b"k"), None);
        assert!(db.lookup_read(b"k", 20).is_some());
    }

    #[test]
    fn set_expire_on_a_missing_key_does_nothing() {
        let mut db = Db::new(0);
        db.set_expire(b"nope", 5);
        assert!(db.expires.is_empty());
    }

    #[test]
    fn hits_and_misses_are_counted_by_read_lookups_only() {
        let mut db = Db::new(0);
        db.set(b"a", s("1"), false);
        db.lookup_read(b"a", 0);
        db.lookup_read(b"b", 0);
        db.lookup_write(b"a", 0);
        db.exists(b"a", 0);
        assert_eq!((db.hits, db.misses), (1, 1));
    }

    #[test]
    fn random_key_skips_expired_keys() {
        let mut db = Db::new(0);
        db.set(b"dead", s("1"), false);
        db.set_expire(b"dead", 1);
        db.set(b"alive", s("1"), false);
        for _ in 0..20 {
            assert_eq!(db.random_key(100).expect("a key").as_bytes(), b"alive");
        }
        assert!(Db::new(1).random_key(0).is_none());
    }
}
