//! Dict: the chained hash table behind the keyspace, with incremental rehashing.
//!
//! Chapter: chapters/07-dict.md
//!
//! Keys hash (SipHash-1-3, per-process secret key) to a bucket; each bucket
//! holds a singly linked chain of boxed nodes. When the table fills up it is
//! not rebuilt in one go: a second, bigger (or smaller) table is allocated and
//! buckets migrate from table 0 to table 1 one at a time, a few on every
//! operation and a millisecond's worth on every server tick. No single
//! operation pays for more than one bucket of the move (plus at most ten
//! empty buckets skipped), however large the table.
//!
//! ```text
//!  table 0 (old, 4 buckets)          table 1 (new, 8 buckets)
//!  [0] -                  moved      [0] -> a
//!  [1] -                  moved      [1] -
//!  [2] -> c -> g  <- rehash_idx      [2] -
//!  [3] -> d                          [3] -
//!                                    [4] -> e
//!                                    [5] -> b
//!                                    ...
//! ```
//!
//! Invariants:
//! 1. Each table size is 0 or a power of two >= 4, and a node sits in bucket
//!    `hash & (size - 1)` of the table it is in.
//! 2. Nothing caches a hash: a node's bucket is always recomputed from
//!    `key.hash_with(sip)`, so a node is key, value and `next` only.
//! 3. Not rehashing: table 1 has no buckets. Rehashing: both tables are
//!    allocated, of different sizes, and buckets `0..rehash_idx` of table 0
//!    are empty (already moved).
//! 4. `tables[i].used` counts the nodes in table i; `len()` is their sum.
//! 5. A key is stored at most once across both tables.
//! 6. While rehashing, new nodes go to table 1 only, so table 0 drains and
//!    every rehash finishes.
//!
//! Not here: hashing itself (siphash.rs), key expiry (db/), object encodings.

use super::siphash::{siphash13, SipKey};
use std::borrow::Borrow;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Smallest table ever allocated. Tiny hashes and sets stay cheap, and the
/// first few inserts do not resize at every step.
const INITIAL_SIZE: usize = 4;
/// Under `ResizePolicy::Avoid` a table still grows once it holds more than
/// this many keys per bucket: past that, every lookup walks a long chain,
/// and that is judged worse than the pages the fork child must copy.
const FORCE_RESIZE_RATIO: usize = 5;
/// Shrink when fewer than this percent of buckets are in use. Far below the
/// grow point (100%), so a table never flips between growing and shrinking.
const MIN_FILL_PERCENT: usize = 10;
/// How many empty buckets one rehash step may skip before giving up: caps
/// the cost of a step that lands in a long empty stretch of table 0.
const EMPTY_VISITS_PER_STEP: usize = 10;
/// How many keys `random_entry` samples before picking one (Redis uses 20).
const FAIR_SAMPLE: usize = 20;

// ---------------------------------------------------------------------------
// Keys and the global resize policy
// ---------------------------------------------------------------------------

// ANCHOR: dictkey
/// A key the dict can hash.
///
/// Contract: if `K: Borrow<Q>`, then `k.hash_with(s) == k.borrow().hash_with(s)`
/// for every key `k`, the same rule std's `Hash` and `Borrow` follow. All
/// impls here hash the key's bytes, so `Vec<u8>`, `Box<[u8]>` and `[u8]`
/// agree, as do `String` and `str`.
pub trait DictKey: Eq {
    fn hash_with(&self, key: &SipKey) -> u64;
}

impl DictKey for [u8] {
    #[inline]
    fn hash_with(&self, key: &SipKey) -> u64 {
        siphash13(key, self)
    }
}
// ANCHOR_END: dictkey

impl DictKey for Vec<u8> {
    #[inline]
    fn hash_with(&self, key: &SipKey) -> u64 {
        siphash13(key, self)
    }
}

impl DictKey for Box<[u8]> {
    #[inline]
    fn hash_with(&self, key: &SipKey) -> u64 {
        siphash13(key, self)
    }
}

impl DictKey for str {
    #[inline]
    fn hash_with(&self, key: &SipKey) -> u64 {
        siphash13(key, self.as_bytes())
    }
}

impl DictKey for String {
    #[inline]
    fn hash_with(&self, key: &SipKey) -> u64 {
        siphash13(key, self.as_bytes())
    }
}

impl DictKey for u64 {
    #[inline]
    fn hash_with(&self, key: &SipKey) -> u64 {
        siphash13(key, &self.to_le_bytes())
    }
}

impl DictKey for i64 {
    #[inline]
    fn hash_with(&self, key: &SipKey) -> u64 {
        siphash13(key, &self.to_le_bytes())
    }
}

impl<T: DictKey + ?Sized> DictKey for &T {
    #[inline]
    fn hash_with(&self, key: &SipKey) -> u64 {
        (**self).hash_with(key)
    }
}

/// Whether dicts may start resizes freely. The server switches to `Avoid`
/// while a fork child (BGSAVE, BGREWRITEAOF) is alive: the child shares the
/// parent's memory copy-on-write, and a rehash writes to every bucket and
/// node it moves, forcing the kernel to copy those pages.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ResizePolicy {
    /// Grow at load factor 1, shrink below 10% fill.
    Enable,
    /// Never shrink; grow only above load factor 5.
    Avoid,
}

/// One flag for the whole process: the server is single-threaded and the
/// policy describes the process (is there a fork child?), not one dict.
static RESIZE_AVOID: AtomicBool = AtomicBool::new(false);

pub fn set_resize_policy(policy: ResizePolicy) {
    RESIZE_AVOID.store(policy == ResizePolicy::Avoid, Ordering::Relaxed);
}

pub fn resize_policy() -> ResizePolicy {
    if RESIZE_AVOID.load(Ordering::Relaxed) {
        ResizePolicy::Avoid
    } else {
        ResizePolicy::Enable
    }
}

/// xorshift64*: a tiny, fast PRNG for picking random buckets. Not for
/// anything secret; the dict's safety against attackers comes from SipHash.
#[derive(Clone, Debug)]
pub struct XorShift64Star {
    state: u64,
}

impl XorShift64Star {
    /// A zero state would stay zero forever, so zero is swapped for a
    /// fixed odd constant.
    pub fn new(seed: u64) -> XorShift64Star {
        let state = if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        };
        XorShift64Star { state }
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Map a random u64 onto 0..n without the modulo's division: the high half
/// of the 128-bit product. `n` must be > 0.
#[inline]
fn below(random: u64, n: usize) -> usize {
    ((u128::from(random) * n as u128) >> 64) as usize
}

// ---------------------------------------------------------------------------
// Nodes and tables
// ---------------------------------------------------------------------------

// ANCHOR: node
type Link<K, V> = Option<Box<Node<K, V>>>;

/// One key/value pair. Boxed, so it never moves while the dict rehashes
/// around it: rehashing relinks `next` pointers and copies nothing else.
///
/// No hash is cached in the node: the keyspace holds millions of nodes and
/// 8 more bytes each would push a node into the allocator's next size
/// class (chapter 10 measures it). Rehashing recomputes each moved key's
/// hash instead, as Redis's dictEntry does.
struct Node<K, V> {
    next: Link<K, V>,
    key: K,
    value: V,
}

/// A bucket array. `used` is written only by code that links or unlinks a
/// node in this table (invariant 4).
struct Table<K, V> {
    buckets: Box<[Link<K, V>]>,
    used: usize,
}
// ANCHOR_END: node

impl<K, V> Table<K, V> {
    fn empty() -> Table<K, V> {
        Table {
            buckets: Box::new([]),
            used: 0,
        }
    }

    fn with_size(size: usize) -> Table<K, V> {
        let mut buckets = Vec::with_capacity(size);
        buckets.resize_with(size, || None);
        Table {
            buckets: buckets.into_boxed_slice(),
            used: 0,
        }
    }

    #[inline]
    fn size(&self) -> usize {
        self.buckets.len()
    }

    /// `size - 1`. For the empty table this wraps to usize::MAX, and
    /// `buckets.get` of anything is then None: no special case needed.
    #[inline]
    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }

    #[inline]
    fn head(&self, hash: u64) -> Option<&Node<K, V>> {
        match self.buckets.get(hash as usize & self.mask()) {
            Some(link) => link.as_deref(),
            None => None,
        }
    }

    #[inline]
    fn head_mut(&mut self, hash: u64) -> Option<&mut Node<K, V>> {
        let i = hash as usize & self.mask();
        match self.buckets.get_mut(i) {
            Some(link) => link.as_deref_mut(),
            None => None,
        }
    }

    /// Link a new node at the head of the bucket for `hash`. The table
    /// must be allocated (the caller just ran `expand_if_needed`).
    fn push(&mut self, hash: u64, node: Box<Node<K, V>>) -> &mut Node<K, V> {
        let i = hash as usize & self.mask();
        let slot = &mut self.buckets[i];
        let mut node = node;
        node.next = slot.take();
        self.used += 1;
        slot.insert(node)
    }
}

/// Drop chains one node at a time. The derived drop would recurse once per
/// node through `next`, and a long chain (a flood of colliding keys, or a
/// table that was not allowed to grow) would overflow the stack.
impl<K, V> Drop for Table<K, V> {
    fn drop(&mut self) {
        for slot in self.buckets.iter_mut() {
            let mut cur = slot.take();
            while let Some(mut node) = cur {
                cur = node.next.take();
            }
        }
    }
}

#[inline]
fn search<'a, K, V, Q>(mut cur: Option<&'a Node<K, V>>, key: &Q) -> Option<&'a Node<K, V>>
where
    K: Borrow<Q>,
    Q: Eq + ?Sized,
{
    while let Some(node) = cur {
        if node.key.borrow() == key {
            return Some(node);
        }
        cur = node.next.as_deref();
    }
    None
}

#[inline]
fn search_mut<'a, K, V, Q>(
    mut cur: Option<&'a mut Node<K, V>>,
    key: &Q,
) -> Option<&'a mut Node<K, V>>
where
    K: Borrow<Q>,
    Q: Eq + ?Sized,
{
    while let Some(node) = cur {
        if node.key.borrow() == key {
            return Some(node);
        }
        cur = node.next.as_deref_mut();
    }
    None
}

/// Cut the node holding `key` out of the chain starting at `slot`.
fn unlink<K, V, Q>(slot: &mut Link<K, V>, key: &Q) -> Option<Box<Node<K, V>>>
where
    K: Borrow<Q>,
    Q: Eq + ?Sized,
{
    let mut link = slot;
    while link.as_ref().is_some_and(|n| n.key.borrow() != key) {
        link = &mut link.as_mut()?.next;
    }
    let mut node = link.take()?;
    *link = node.next.take();
    Some(node)
}

// ---------------------------------------------------------------------------
// The dict
// ---------------------------------------------------------------------------

pub struct Dict<K, V> {
    /// Table 0 is the only table unless a rehash is in progress; then
    /// table 1 is the rehash target (invariants 3 and 6).
    tables: [Table<K, V>; 2],
    /// Next bucket of table 0 to move; None when not rehashing.
    rehash_idx: Option<usize>,
    /// While > 0, no operation moves buckets (see `pause_rehashing`).
    paused: u32,
    sip: SipKey,
}

impl<K: DictKey, V> Default for Dict<K, V> {
    fn default() -> Self {
        Dict::new()
    }
}

impl<K: DictKey, V> Dict<K, V> {
    /// An empty dict hashed with the per-process key. Allocates nothing
    /// until the first insert.
    pub fn new() -> Dict<K, V> {
        Dict::with_key(SipKey::process())
    }

    /// An empty dict hashed with `sip`: tests use a fixed key to make
    /// bucket layouts reproducible.
    pub fn with_key(sip: SipKey) -> Dict<K, V> {
        Dict {
            tables: [Table::empty(), Table::empty()],
            rehash_idx: None,
            paused: 0,
            sip,
        }
    }

    /// A dict whose table already has room for `n` keys. Callers must not
    /// pass a count read from a client or a file before the keys arrive:
    /// this allocates 8 bytes per bucket up front.
    pub fn with_capacity(n: usize) -> Dict<K, V> {
        let mut d = Dict::new();
        d.expand(n);
        d
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.tables[0].used + self.tables[1].used
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    pub fn is_rehashing(&self) -> bool {
        self.rehash_idx.is_some()
    }

    /// Bucket counts of table 0 and table 1 (0 when unallocated).
    pub fn table_sizes(&self) -> (usize, usize) {
        (self.tables[0].size(), self.tables[1].size())
    }

    /// Next bucket of table 0 the rehash will move, if rehashing.
    pub fn rehash_index(&self) -> Option<usize> {
        self.rehash_idx
    }

    /// Bytes used by the dict's own structure: the header, both bucket
    /// arrays and one node per entry. Heap memory owned by keys and values
    /// (a Vec's buffer) is not visible here; callers add it. Allocator
    /// overhead per node is not counted either, so this is an estimate.
    pub fn memory_usage(&self) -> usize {
        let buckets = self.tables[0].size() + self.tables[1].size();
        std::mem::size_of::<Self>()
            + buckets * std::mem::size_of::<Link<K, V>>()
            + self.len() * std::mem::size_of::<Node<K, V>>()
    }

    /// Remove every entry and free both tables.
    pub fn clear(&mut self) {
        self.tables = [Table::empty(), Table::empty()];
        self.rehash_idx = None;
    }

    // ANCHOR: expand
    /// Start a resize to the smallest power of two >= max(size, 4).
    /// Returns false when nothing started: a rehash is already running,
    /// `size` is smaller than the number of keys, or the size is unchanged.
    /// Like `with_capacity`, never pass it a count a client or file sent.
    pub fn expand(&mut self, size: usize) -> bool {
        if self.rehash_idx.is_some() || self.tables[0].used > size {
            return false;
        }
        let Some(real) = size.max(INITIAL_SIZE).checked_next_power_of_two() else {
            return false;
        };
        if real == self.tables[0].size() {
            return false;
        }
        if self.tables[0].size() == 0 {
            // First allocation: nothing to migrate, so no rehash.
            self.tables[0] = Table::with_size(real);
        } else {
            self.tables[1] = Table::with_size(real);
            self.rehash_idx = Some(0);
        }
        true
    }

    /// Called before adding a key. Grows at one key per bucket, to the next
    /// power of two above `used + 1` (a doubling in practice).
    #[inline]
    fn expand_if_needed(&mut self) {
        if self.rehash_idx.is_some() {
            return;
        }
        let (size, used) = (self.tables[0].size(), self.tables[0].used);
        if size == 0 {
            self.expand(INITIAL_SIZE);
        } else if used >= size
            && (resize_policy() == ResizePolicy::Enable || used > FORCE_RESIZE_RATIO * size)
        {
            self.expand(used + 1);
        }
    }

    /// Start a shrink if fewer than 10% of the buckets are in use and the
    /// policy allows it. Runs after every removal; the server cron also
    /// calls it so tables left sparse while a fork child lived get
    /// shrunk afterwards. Returns true if a shrink started.
    // Real Redis 7.0: only the cron (tryResizeHashTables) and a few type
    // commands shrink; dict.c itself never shrinks on delete.
    pub fn shrink_if_needed(&mut self) -> bool {
        if self.rehash_idx.is_some() || resize_policy() == ResizePolicy::Avoid {
            return false;
        }
        let (size, used) = (self.tables[0].size(), self.tables[0].used);
        if size > INITIAL_SIZE && used * 100 < size * MIN_FILL_PERCENT {
            return self.expand(used);
        }
        false
    }
    // ANCHOR_END: expand

    // ANCHOR: rehash
    /// Move up to `n` non-empty buckets from table 0 to table 1, skipping at
    /// most `10 * n` empty ones. Returns true if the rehash is still in
    /// progress afterwards.
    ///
    /// A moved chain is relinked node by node at the head of its new bucket;
    /// no node is reallocated, so a rehash never copies a key or value.
    fn rehash(&mut self, mut n: usize) -> bool {
        let Some(mut idx) = self.rehash_idx else {
            return false;
        };
        let mut empty_visits = n.saturating_mul(EMPTY_VISITS_PER_STEP);
        let [t0, t1] = &mut self.tables;
        let sip = &self.sip;
        while n > 0 && t0.used != 0 {
            n -= 1;
            // Invariant 3 keeps everything below idx empty, and t0.used != 0
            // means some bucket at or above idx is not, so this stops
            // inside the table.
            while matches!(t0.buckets.get(idx), Some(None)) {
                idx += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    self.rehash_idx = Some(idx);
                    return true;
                }
            }
            let Some(slot) = t0.buckets.get_mut(idx) else {
                break;
            };
            let mut chain = slot.take();
            while let Some(mut node) = chain {
                chain = node.next.take();
                t0.used -= 1;
                let hash = node.key.hash_with(sip);
                t1.push(hash, node);
            }
            idx += 1;
        }
        if t0.used == 0 {
            // Table 1 becomes the table; the old bucket array is freed.
            *t0 = std::mem::replace(t1, Table::empty());
            self.rehash_idx = None;
            return false;
        }
        self.rehash_idx = Some(idx);
        true
    }

    /// The step every lookup, insert and delete pays: one bucket.
    #[inline]
    fn step(&mut self) {
        if self.rehash_idx.is_some() && self.paused == 0 {
            self.rehash(1);
        }
    }

    /// Move up to `n` buckets now. Returns true if more remain.
    pub fn rehash_steps(&mut self, n: usize) -> bool {
        if self.paused > 0 {
            return self.is_rehashing();
        }
        self.rehash(n)
    }

    /// Rehash in batches of 100 buckets until done or `budget` has passed;
    /// the server cron calls this with 1 ms per tick so an idle server still
    /// finishes its rehashes. Reading the clock once per batch, not per
    /// bucket, keeps the clock out of the cost. Returns an upper bound on
    /// the buckets moved: 100 per batch run.
    pub fn rehash_for(&mut self, budget: Duration) -> usize {
        if self.paused > 0 || self.rehash_idx.is_none() {
            return 0;
        }
        let start = Instant::now();
        let mut batches = 0;
        loop {
            batches += 1;
            if !self.rehash(100) || start.elapsed() >= budget {
                return batches * 100;
            }
        }
    }
    // ANCHOR_END: rehash

    /// Stop operations from moving buckets until `resume_rehashing`. Calls
    /// nest. A caller that walks the table by position across several
    /// calls, and mutates values in between, pins the layout with this (the
    /// borrow checker already pins it for `iter`, which holds `&self`).
    /// New keys can still trigger a resize; only the moving stops.
    pub fn pause_rehashing(&mut self) {
        self.paused += 1;
    }

    pub fn resume_rehashing(&mut self) {
        self.paused = self.paused.saturating_sub(1);
    }

    /// All entries, table 0 then table 1, in bucket order. Holds `&self`, so
    /// nothing can rehash underneath it.
    pub fn iter(&self) -> Iter<'_, K, V> {
        let [t0, t1] = &self.tables;
        Iter {
            buckets: t0.buckets.iter().chain(t1.buckets.iter()),
            node: None,
            remaining: self.len(),
        }
    }

    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        let remaining = self.len();
        let [t0, t1] = &mut self.tables;
        IterMut {
            buckets: t0.buckets.iter_mut().chain(t1.buckets.iter_mut()),
            node: None,
            remaining,
        }
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> + '_ {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }

    /// Keep only the entries for which `keep` returns true.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        for table in self.tables.iter_mut() {
            let Table { buckets, used } = table;
            for slot in buckets.iter_mut() {
                let mut link = slot;
                loop {
                    let drop_it = match link.as_mut() {
                        None => break,
                        Some(node) => !keep(&node.key, &mut node.value),
                    };
                    if drop_it {
                        if let Some(mut node) = link.take() {
                            *link = node.next.take();
                            *used -= 1;
                        }
                    } else {
                        match link {
                            Some(node) => link = &mut node.next,
                            None => break,
                        }
                    }
                }
            }
        }
        self.shrink_if_needed();
    }

    // ANCHOR: scan
    /// Visit the bucket(s) named by `cursor` and return the next cursor;
    /// 0 means the scan is complete. Start with 0.
    ///
    /// HOW IT WORKS. The cursor is a bucket index whose bits are counted
    /// backwards: we add one to the *reversed* cursor, so the high bit of
    /// the mask flips fastest. For 8 buckets the order is
    /// 000 100 010 110 001 101 011 111.
    ///
    /// WHY. Bucket `b` of a table of size s splits, when the table doubles,
    /// into `b` and `b + s`: the same low bits plus one new high bit. A
    /// reverse-binary cursor visits all high-bit variants of a low-bit
    /// pattern before moving on to the next pattern, so after a resize the
    /// buckets already visited are exactly the expansions (or
    /// contractions) of the ones visited before. Keys present for the whole
    /// scan are returned at least once; some may be returned twice after a
    /// shrink, when several visited buckets fold into one.
    ///
    /// DURING A REHASH both tables hold keys. We visit the bucket of the
    /// small table, then every bucket of the large table that expands it.
    pub fn scan<F: FnMut(&K, &V)>(&self, cursor: u64, mut visit: F) -> u64 {
        if self.is_empty() {
            return 0;
        }
        let mut visit_chain = |table: &Table<K, V>, v: u64| {
            let mut cur = table.head(v);
            while let Some(node) = cur {
                visit(&node.key, &node.value);
                cur = node.next.as_deref();
            }
        };
        let mut v = cursor;
        if self.rehash_idx.is_none() {
            let t = &self.tables[0];
            let m = t.mask() as u64;
            visit_chain(t, v);
            v |= !m;
            return v.reverse_bits().wrapping_add(1).reverse_bits();
        }
        let [a, b] = &self.tables;
        let (small, large) = if a.size() <= b.size() { (a, b) } else { (b, a) };
        let (m0, m1) = (small.mask() as u64, large.mask() as u64);
        visit_chain(small, v);
        loop {
            visit_chain(large, v);
            // Increment only the bits the large mask has and the small
            // does not; when they wrap to zero we have covered every
            // expansion of the small bucket.
            v |= !m1;
            v = v.reverse_bits().wrapping_add(1).reverse_bits();
            if v & (m0 ^ m1) == 0 {
                break;
            }
        }
        v
    }
    // ANCHOR_END: scan

    // ANCHOR: sample
    /// Up to `count` distinct entries from a contiguous run of buckets
    /// starting at a random position (jumping elsewhere after a long empty
    /// stretch). Cheap and biased: entries that sit near each other come
    /// out together. Good for eviction sampling, not for statistics.
    /// Performs up to `count` rehash steps first, which is why it takes
    /// `&mut self`.
    pub fn sample<R: FnMut() -> u64>(&mut self, count: usize, rng: &mut R) -> Vec<(&K, &V)> {
        if self.paused == 0 {
            self.rehash(count.min(self.len()));
        }
        self.sample_from(count, rng)
    }

    fn sample_from<R: FnMut() -> u64>(&self, count: usize, rng: &mut R) -> Vec<(&K, &V)> {
        let count = count.min(self.len());
        let mut out = Vec::with_capacity(count);
        if count == 0 {
            return out;
        }
        let [t0, t1] = &self.tables;
        let max_mask = t0.size().max(t1.size()) - 1;
        let mut steps = count.saturating_mul(10);
        let mut i = rng() as usize & max_mask;
        let mut empty_run = 0;
        'walk: while steps > 0 {
            steps -= 1;
            if let Some(idx) = self.rehash_idx {
                // Table 0 is empty below idx; if table 1 is the smaller one
                // and i is past its end too, skip straight to idx.
                if i < idx && i >= t1.size() {
                    i = idx;
                }
            }
            let mut found = false;
            for (t, table) in [t0, t1].into_iter().enumerate() {
                if t == 0 && self.rehash_idx.is_some_and(|idx| i < idx) {
                    continue;
                }
                let mut cur = match table.buckets.get(i) {
                    Some(link) => link.as_deref(),
                    None => None,
                };
                while let Some(node) = cur {
                    found = true;
                    out.push((&node.key, &node.value));
                    if out.len() == count {
                        break 'walk;
                    }
                    cur = node.next.as_deref();
                }
            }
            if found {
                empty_run = 0;
            } else {
                empty_run += 1;
                if empty_run >= 5 && empty_run > count {
                    i = rng() as usize & max_mask;
                    empty_run = 0;
                    continue;
                }
            }
            i = (i + 1) & max_mask;
        }
        // A wrap-around or a random jump can revisit a bucket: drop repeats.
        // Entries are boxed, so their key addresses identify them.
        out.sort_unstable_by_key(|(k, _)| *k as *const K as usize);
        out.dedup_by_key(|(k, _)| *k as *const K as usize);
        out
    }

    /// A random entry, close to uniform: sample ~20 entries cheaply and
    /// pick one of them. Picking a random bucket and then a random chain
    /// member (the fallback) favours entries in short chains; averaging
    /// over a sample washes most of that out.
    pub fn random_entry<R: FnMut() -> u64>(&mut self, rng: &mut R) -> Option<(&K, &V)> {
        if self.is_empty() {
            return None;
        }
        if self.paused == 0 {
            self.rehash(FAIR_SAMPLE);
        }
        let this: &Self = self;
        let sample = this.sample_from(FAIR_SAMPLE, rng);
        if sample.is_empty() {
            return this.random_bucket_entry(rng);
        }
        sample.get(below(rng(), sample.len())).copied()
    }
    // ANCHOR_END: sample

    /// Link a node for a key known to be absent. Lands in table 1 during a
    /// rehash (invariant 6).
    fn add_new(&mut self, hash: u64, key: K, value: V) -> &mut Node<K, V> {
        self.expand_if_needed();
        let t = usize::from(self.rehash_idx.is_some());
        let node = Box::new(Node {
            next: None,
            key,
            value,
        });
        self.tables[t].push(hash, node)
    }

    /// Random non-empty bucket, then a random member of its chain. An entry
    /// in a chain of length L is L times less likely than one alone.
    fn random_bucket_entry<R: FnMut() -> u64>(&self, rng: &mut R) -> Option<(&K, &V)> {
        if self.is_empty() {
            return None;
        }
        let [t0, t1] = &self.tables;
        // Buckets below rehash_idx are empty, so draw only from idx.. over
        // the two tables laid end to end.
        let first = self.rehash_idx.unwrap_or(0);
        let span = t0.size() + t1.size() - first;
        let head = loop {
            let h = first + below(rng(), span);
            let link = if h < t0.size() {
                t0.buckets.get(h)
            } else {
                t1.buckets.get(h - t0.size())
            };
            if let Some(Some(node)) = link {
                break node;
            }
        };
        let mut chain_len = 0;
        let mut cur = Some(&**head);
        while let Some(n) = cur {
            chain_len += 1;
            cur = n.next.as_deref();
        }
        let mut node: &Node<K, V> = head;
        for _ in 0..below(rng(), chain_len) {
            node = node.next.as_deref()?;
        }
        Some((&node.key, &node.value))
    }
}

impl<K: DictKey, V> Dict<K, V> {
    #[inline]
    fn hash_of<Q: DictKey + ?Sized>(&self, key: &Q) -> u64 {
        key.hash_with(&self.sip)
    }

    // ANCHOR: lookup
    /// Table 0 first, then table 1 if a rehash is in progress (a key is in
    /// exactly one of them, invariant 5).
    #[inline]
    fn find<Q>(&self, hash: u64, key: &Q) -> Option<&Node<K, V>>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let found = search(self.tables[0].head(hash), key);
        if found.is_some() || self.rehash_idx.is_none() {
            return found;
        }
        search(self.tables[1].head(hash), key)
    }

    /// Look up by any borrowed form: a `Dict<Vec<u8>, _>` takes `&[u8]`.
    /// A read through `&self` cannot move buckets; see `lookup`.
    #[inline]
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: DictKey + ?Sized,
    {
        if self.is_empty() {
            return None; // skip hashing: common for small hashes and sets
        }
        let hash = self.hash_of(key);
        self.find(hash, key).map(|n| &n.value)
    }

    /// `get` plus one rehash step: the keyspace's read path. A read-only
    /// workload would otherwise leave a rehash to the cron alone and keep
    /// probing two tables meanwhile.
    // Real Redis: every dictFind steps; here only reads through &mut do,
    // because `get(&self)` cannot move buckets.
    #[inline]
    pub fn lookup<Q>(&mut self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: DictKey + ?Sized,
    {
        if self.is_empty() {
            return None;
        }
        self.step();
        let hash = self.hash_of(key);
        self.find(hash, key).map(|n| &n.value)
    }
    // ANCHOR_END: lookup

    #[inline]
    fn find_mut<Q>(&mut self, hash: u64, key: &Q) -> Option<&mut Node<K, V>>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let rehashing = self.rehash_idx.is_some();
        let [t0, t1] = &mut self.tables;
        if let Some(node) = search_mut(t0.head_mut(hash), key) {
            return Some(node);
        }
        if !rehashing {
            return None;
        }
        search_mut(t1.head_mut(hash), key)
    }

    /// Mutable lookup; also one rehash step.
    #[inline]
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: DictKey + ?Sized,
    {
        if self.is_empty() {
            return None;
        }
        self.step();
        let hash = self.hash_of(key);
        self.find_mut(hash, key).map(|n| &mut n.value)
    }

    pub fn get_key_value<Q>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: DictKey + ?Sized,
    {
        if self.is_empty() {
            return None;
        }
        let hash = self.hash_of(key);
        self.find(hash, key).map(|n| (&n.key, &n.value))
    }

    #[inline]
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: DictKey + ?Sized,
    {
        self.get(key).is_some()
    }

    // ANCHOR: insert
    /// Insert or replace. On replace the old value is returned and the
    /// stored key is kept (the new `key` is dropped), like std's HashMap.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.step();
        let hash = self.hash_of(&key);
        if let Some(node) = self.find_mut(hash, &key) {
            return Some(std::mem::replace(&mut node.value, value));
        }
        self.add_new(hash, key, value);
        None
    }
    // ANCHOR_END: insert

    /// Add only if absent, hashing once. Hands the pair back if the key is
    /// already present.
    pub fn insert_new(&mut self, key: K, value: V) -> Result<&mut V, (K, V)> {
        self.step();
        let hash = self.hash_of(&key);
        if self.find(hash, &key).is_some() {
            return Err((key, value));
        }
        Ok(&mut self.add_new(hash, key, value).value)
    }

    /// The std-style entry API: one hash for "look up, then insert or
    /// update".
    pub fn entry(&mut self, key: K) -> Entry<'_, K, V> {
        self.step();
        let hash = self.hash_of(&key);
        match self.locate(hash, &key) {
            None => Entry::Vacant(VacantEntry {
                dict: self,
                hash,
                key,
            }),
            Some(pos) => Entry::Occupied(OccupiedEntry {
                node: self.node_at_mut(pos),
            }),
        }
    }

    /// (table, bucket, depth in chain) of `key`'s node.
    fn locate(&self, hash: u64, key: &K) -> Option<(usize, usize, usize)> {
        let tables = if self.rehash_idx.is_some() { 2 } else { 1 };
        for (t, table) in self.tables.iter().enumerate().take(tables) {
            let mut cur = table.head(hash);
            let mut depth = 0;
            while let Some(node) = cur {
                if node.key == *key {
                    return Some((t, hash as usize & table.mask(), depth));
                }
                depth += 1;
                cur = node.next.as_deref();
            }
        }
        None
    }

    /// The node `locate` just found. Two passes because a mutable borrow
    /// returned from one branch of a match cannot yet coexist with using
    /// `self` in the other branch (a known borrow-checker limit).
    fn node_at_mut(&mut self, (t, bucket, depth): (usize, usize, usize)) -> &mut Node<K, V> {
        let mut cur = match self.tables[t].buckets.get_mut(bucket) {
            Some(link) => link.as_deref_mut(),
            None => None,
        };
        for _ in 0..depth {
            cur = cur.and_then(|n| n.next.as_deref_mut());
        }
        match cur {
            Some(node) => node,
            // We hold &mut self, so nothing moved since `locate`.
            None => unreachable!("locate() returned a position with no node"),
        }
    }

    // ANCHOR: remove
    /// Remove and return the pair. May start a shrink (see
    /// `shrink_if_needed`).
    pub fn remove<Q>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: DictKey + ?Sized,
    {
        if self.is_empty() {
            return None;
        }
        self.step();
        let hash = self.hash_of(key);
        let tables = if self.rehash_idx.is_some() { 2 } else { 1 };
        for table in self.tables.iter_mut().take(tables) {
            let i = hash as usize & table.mask();
            let Some(slot) = table.buckets.get_mut(i) else {
                continue;
            };
            if let Some(node) = unlink(slot, key) {
                table.used -= 1;
                let Node { key, value, .. } = *node;
                self.shrink_if_needed();
                return Some((key, value));
            }
        }
        None
    }
    // ANCHOR_END: remove

    /// Check invariants 1-6; panics with the broken one. O(n), for tests.
    pub fn check_invariants(&self) {
        let [t0, t1] = &self.tables;
        for (t, table) in self.tables.iter().enumerate() {
            let size = table.size();
            assert!(
                size == 0 || (size.is_power_of_two() && size >= INITIAL_SIZE),
                "inv 1: table {t} has size {size}"
            );
            let mut count = 0;
            for (b, link) in table.buckets.iter().enumerate() {
                if t == 0 && self.rehash_idx.is_some_and(|idx| b < idx) {
                    assert!(link.is_none(), "inv 3: table 0 bucket {b} below rehash_idx");
                }
                let mut cur = link.as_deref();
                while let Some(node) = cur {
                    let hash = node.key.hash_with(&self.sip);
                    assert_eq!(hash as usize & table.mask(), b, "inv 1: misplaced");
                    let copies = [t0, t1]
                        .iter()
                        .map(|tb| {
                            let mut c = 0;
                            let mut p = tb.head(hash);
                            while let Some(n) = p {
                                c += usize::from(n.key == node.key);
                                p = n.next.as_deref();
                            }
                            c
                        })
                        .sum::<usize>();
                    assert_eq!(copies, 1, "inv 5: key stored {copies} times");
                    count += 1;
                    cur = node.next.as_deref();
                }
            }
            assert_eq!(count, table.used, "inv 4: table {t} used");
        }
        match self.rehash_idx {
            None => assert!(
                t1.size() == 0 && t1.used == 0,
                "inv 3: table 1 without rehash"
            ),
            Some(idx) => {
                assert!(
                    t0.size() > 0 && t1.size() > 0,
                    "inv 3: rehash without two tables"
                );
                assert_ne!(t0.size(), t1.size(), "inv 3: rehash to the same size");
                assert!(idx < t0.size(), "inv 3: rehash_idx {idx} out of range");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Entry API, iterators, trait impls
// ---------------------------------------------------------------------------

pub enum Entry<'a, K, V> {
    Occupied(OccupiedEntry<'a, K, V>),
    Vacant(VacantEntry<'a, K, V>),
}

pub struct OccupiedEntry<'a, K, V> {
    node: &'a mut Node<K, V>,
}

pub struct VacantEntry<'a, K, V> {
    dict: &'a mut Dict<K, V>,
    hash: u64,
    key: K,
}

impl<'a, K: DictKey, V> Entry<'a, K, V> {
    pub fn or_insert(self, value: V) -> &'a mut V {
        self.or_insert_with(|| value)
    }

    pub fn or_insert_with(self, make: impl FnOnce() -> V) -> &'a mut V {
        match self {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(make()),
        }
    }

    pub fn key(&self) -> &K {
        match self {
            Entry::Occupied(e) => e.key(),
            Entry::Vacant(e) => e.key(),
        }
    }
}

impl<'a, K, V> OccupiedEntry<'a, K, V> {
    pub fn key(&self) -> &K {
        &self.node.key
    }
    pub fn get(&self) -> &V {
        &self.node.value
    }
    pub fn get_mut(&mut self) -> &mut V {
        &mut self.node.value
    }
    pub fn into_mut(self) -> &'a mut V {
        &mut self.node.value
    }
    /// Replace the value, returning the old one.
    pub fn insert(&mut self, value: V) -> V {
        std::mem::replace(&mut self.node.value, value)
    }
}

impl<'a, K: DictKey, V> VacantEntry<'a, K, V> {
    pub fn key(&self) -> &K {
        &self.key
    }
    pub fn into_key(self) -> K {
        self.key
    }
    /// Insert with the hash computed by `entry`; may start a grow first.
    pub fn insert(self, value: V) -> &'a mut V {
        &mut self.dict.add_new(self.hash, self.key, value).value
    }
}

type BucketIter<'a, K, V> =
    std::iter::Chain<std::slice::Iter<'a, Link<K, V>>, std::slice::Iter<'a, Link<K, V>>>;
type BucketIterMut<'a, K, V> =
    std::iter::Chain<std::slice::IterMut<'a, Link<K, V>>, std::slice::IterMut<'a, Link<K, V>>>;

pub struct Iter<'a, K, V> {
    buckets: BucketIter<'a, K, V>,
    node: Option<&'a Node<K, V>>,
    remaining: usize,
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(node) = self.node {
                self.node = node.next.as_deref();
                self.remaining = self.remaining.saturating_sub(1);
                return Some((&node.key, &node.value));
            }
            self.node = self.buckets.next()?.as_deref();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K, V> ExactSizeIterator for Iter<'_, K, V> {}

pub struct IterMut<'a, K, V> {
    buckets: BucketIterMut<'a, K, V>,
    node: Option<&'a mut Node<K, V>>,
    remaining: usize,
}

impl<'a, K, V> Iterator for IterMut<'a, K, V> {
    type Item = (&'a K, &'a mut V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(node) = self.node.take() {
                let Node {
                    key, value, next, ..
                } = node;
                self.node = next.as_deref_mut();
                self.remaining = self.remaining.saturating_sub(1);
                return Some((key, value));
            }
            self.node = self.buckets.next()?.as_deref_mut();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K, V> ExactSizeIterator for IterMut<'_, K, V> {}

impl<'a, K: DictKey, V> IntoIterator for &'a Dict<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;
    fn into_iter(self) -> Iter<'a, K, V> {
        self.iter()
    }
}

impl<'a, K: DictKey, V> IntoIterator for &'a mut Dict<K, V> {
    type Item = (&'a K, &'a mut V);
    type IntoIter = IterMut<'a, K, V>;
    fn into_iter(self) -> IterMut<'a, K, V> {
        self.iter_mut()
    }
}

impl<K: DictKey, V> Extend<(K, V)> for Dict<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<K: DictKey, V> FromIterator<(K, V)> for Dict<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut d = Dict::new();
        d.extend(iter);
        d
    }
}

/// A structural copy: same tables, same rehash position; each key is
/// hashed once to find its bucket in the copy. Chains are copied iteratively (their order within
/// a bucket flips, which nothing depends on).
impl<K: Clone + DictKey, V: Clone> Clone for Dict<K, V> {
    fn clone(&self) -> Self {
        let copy_table = |src: &Table<K, V>| {
            let mut dst = Table::with_size(src.size());
            for link in src.buckets.iter() {
                let mut cur = link.as_deref();
                while let Some(n) = cur {
                    dst.push(
                        n.key.hash_with(&self.sip),
                        Box::new(Node {
                            next: None,
                            key: n.key.clone(),
                            value: n.value.clone(),
                        }),
                    );
                    cur = n.next.as_deref();
                }
            }
            dst
        };
        Dict {
            tables: [copy_table(&self.tables[0]), copy_table(&self.tables[1])],
            rehash_idx: self.rehash_idx,
            paused: 0,
            sip: self.sip,
        }
    }
}

impl<K: fmt::Debug + DictKey, V: fmt::Debug> fmt::Debug for Dict<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};
    use std::sync::{Mutex, MutexGuard};

    /// Tests that assert table sizes hold this lock, because another test
    /// flips the process-wide resize policy.
    static POLICY_LOCK: Mutex<()> = Mutex::new(());

    fn policy_lock() -> MutexGuard<'static, ()> {
        POLICY_LOCK
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Puts the policy back to Enable even if the test panics.
    struct RestorePolicy;
    impl Drop for RestorePolicy {
        fn drop(&mut self) {
            set_resize_policy(ResizePolicy::Enable);
        }
    }

    fn test_key() -> SipKey {
        SipKey::new(0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210)
    }

    fn key(i: u64) -> Vec<u8> {
        format!("key:{i}").into_bytes()
    }

    /// A key whose hash the test chooses, to build exact bucket layouts
    /// and collisions.
    #[derive(Clone, Debug, PartialEq, Eq, Hash)]
    struct Fixed {
        hash: u64,
        id: u64,
    }
    impl DictKey for Fixed {
        fn hash_with(&self, _: &SipKey) -> u64 {
            self.hash
        }
    }

    #[test]
    fn borrowed_slice_finds_a_vec_key() {
        let mut d: Dict<Vec<u8>, u32> = Dict::new();
        d.insert(b"hello".to_vec(), 1);
        assert_eq!(d.get(&b"hello"[..]), Some(&1));
        assert!(d.contains_key(b"hello".as_slice()));
        assert_eq!(d.get(b"nope".as_slice()), None);
        let mut s: Dict<String, u32> = Dict::new();
        s.insert("a".to_string(), 2);
        assert_eq!(s.get("a"), Some(&2));
        let mut b: Dict<Box<[u8]>, u32> = Dict::new();
        b.insert(b"k".to_vec().into_boxed_slice(), 3);
        assert_eq!(b.get(b"k".as_slice()), Some(&3));
        assert_eq!(d.remove(b"hello".as_slice()), Some((b"hello".to_vec(), 1)));
        d.check_invariants();
    }

    #[test]
    fn insert_replaces_the_value_and_returns_the_old_one() {
        let mut d = Dict::with_key(test_key());
        assert_eq!(d.insert(key(1), "a"), None);
        assert_eq!(d.insert(key(1), "b"), Some("a"));
        assert_eq!(d.len(), 1);
        assert_eq!(d.get(key(1).as_slice()), Some(&"b"));
        d.check_invariants();
    }

    #[test]
    fn empty_dict_allocates_nothing_until_the_first_insert() {
        let mut d: Dict<Vec<u8>, ()> = Dict::new();
        assert_eq!(d.table_sizes(), (0, 0));
        assert_eq!(d.get(b"x".as_slice()), None);
        assert_eq!(d.remove(b"x".as_slice()), None);
        assert_eq!(d.scan(0, |_, _| panic!("nothing to visit")), 0);
        d.insert(key(0), ());
        assert_eq!(d.table_sizes(), (4, 0));
        d.check_invariants();
    }

    #[test]
    fn fifth_key_starts_a_rehash_from_four_to_eight_buckets() {
        let _lock = policy_lock();
        let mut d = Dict::with_key(test_key());
        for i in 0..4 {
            d.insert(key(i), i);
        }
        assert_eq!(d.table_sizes(), (4, 0));
        d.insert(key(4), 4);
        assert_eq!(d.table_sizes(), (4, 8));
        assert!(d.is_rehashing());
        d.check_invariants();
        // Every key is reachable while it lives in either table.
        for i in 0..5 {
            assert_eq!(d.get(key(i).as_slice()), Some(&i));
        }
        while d.rehash_steps(1) {
            d.check_invariants();
        }
        assert_eq!(d.table_sizes(), (8, 0));
        d.check_invariants();
    }

    /// What does one step do in a sparse table? Keys sit in buckets 0 and
    /// 30..=34 of 64 when a shrink starts; each GET then pays one step.
    #[test]
    fn a_rehash_step_moves_one_bucket_or_gives_up_after_ten_empty_ones() {
        let _lock = policy_lock();
        let mut d = Dict::with_key(test_key());
        for id in 0..64 {
            d.insert(Fixed { hash: id, id }, ());
        }
        d.rehash_steps(usize::MAX);
        assert_eq!(d.table_sizes(), (64, 0));
        let keep = |id: u64| id == 0 || (30..=34).contains(&id);
        for id in (0..64).filter(|&id| !keep(id)) {
            d.remove(&Fixed { hash: id, id });
        }
        // The last removal left 6 keys in 64 buckets (< 10%): shrink to 8.
        assert_eq!(d.table_sizes(), (64, 8));
        assert_eq!(d.rehash_index(), Some(0));
        let mut seen = Vec::new();
        while d.is_rehashing() {
            d.get_mut(&Fixed { hash: 0, id: 0 });
            seen.push(d.rehash_index());
            d.check_invariants();
        }
        // Bucket 0 moves; then two steps each skip 10 empty buckets and
        // move nothing; then 21..29 are skipped and 30 moves; then one
        // bucket per step until table 0 is empty.
        let want = [1, 11, 21, 31, 32, 33, 34].map(Some).to_vec();
        assert_eq!(seen[..seen.len() - 1], want[..]);
        assert_eq!(seen.last(), Some(&None));
    }

    #[test]
    fn paused_dict_moves_no_buckets_until_resumed() {
        let _lock = policy_lock();
        let mut d = Dict::with_key(test_key());
        for i in 0..5 {
            d.insert(key(i), i);
        }
        assert!(d.is_rehashing());
        d.pause_rehashing();
        let idx = d.rehash_index();
        for i in 5..7 {
            d.insert(key(i), i);
            d.get_mut(key(0).as_slice());
        }
        assert_eq!(d.rehash_index(), idx);
        assert!(
            d.rehash_steps(usize::MAX),
            "still rehashing: the steps were refused"
        );
        assert_eq!(d.rehash_index(), idx);
        assert_eq!(d.rehash_for(Duration::from_millis(1)), 0);
        d.resume_rehashing();
        assert!(!d.rehash_steps(usize::MAX));
        d.check_invariants();
    }

    #[test]
    fn rehash_for_finishes_a_large_rehash_within_a_few_ticks() {
        let _lock = policy_lock();
        let mut d = Dict::with_key(test_key());
        for i in 0..(1 << 14) {
            d.insert(i as u64, ());
        }
        d.rehash_steps(usize::MAX);
        d.insert(1u64 << 40, ()); // one key past 2^14 starts a grow
        assert!(d.is_rehashing());
        let mut ticks = 0;
        while d.is_rehashing() {
            d.rehash_for(Duration::from_millis(1));
            ticks += 1;
            assert!(ticks < 10_000, "rehash does not progress");
        }
        assert_eq!(d.table_sizes(), (1 << 15, 0));
        d.check_invariants();
    }

    #[test]
    fn removing_most_keys_shrinks_to_the_smallest_fitting_power_of_two() {
        let _lock = policy_lock();
        let mut d = Dict::with_key(test_key());
        for i in 0..1000 {
            d.insert(key(i), ());
        }
        d.rehash_steps(usize::MAX);
        assert_eq!(d.table_sizes(), (1024, 0));
        // 102 keys in 1024 buckets is 9.96% fill: the 898th removal shrinks.
        for i in 0..898 {
            d.remove(key(i).as_slice());
        }
        assert_eq!(d.len(), 102);
        assert_eq!(d.table_sizes(), (1024, 128));
        d.rehash_steps(usize::MAX);
        assert_eq!(d.table_sizes(), (128, 0));
        for i in 898..1000 {
            d.remove(key(i).as_slice());
            d.rehash_steps(usize::MAX);
        }
        assert_eq!(d.table_sizes(), (4, 0), "never below the initial size");
        d.check_invariants();
    }

    #[test]
    fn avoid_policy_grows_only_past_five_keys_per_bucket_and_never_shrinks() {
        let _lock = policy_lock();
        let _restore = RestorePolicy;
        let mut d = Dict::with_key(test_key());
        for i in 0..4 {
            d.insert(key(i), ());
        }
        set_resize_policy(ResizePolicy::Avoid);
        for i in 4..21 {
            d.insert(key(i), ());
            d.check_invariants();
        }
        assert_eq!(
            d.table_sizes(),
            (4, 0),
            "21 keys, 4 buckets: ratio 5.25 not yet checked"
        );
        d.insert(key(21), ());
        assert_eq!(d.table_sizes(), (4, 32), "ratio above 5 forces the grow");
        d.rehash_steps(usize::MAX);
        for i in 0..21 {
            d.remove(key(i).as_slice());
        }
        assert_eq!(d.len(), 1);
        assert_eq!(d.table_sizes(), (32, 0), "no shrink while avoiding");
        assert!(!d.shrink_if_needed());
        set_resize_policy(ResizePolicy::Enable);
        assert!(d.shrink_if_needed());
        d.rehash_steps(usize::MAX);
        assert_eq!(d.table_sizes(), (4, 0));
        d.check_invariants();
    }

    /// The main property test: a random mix of every operation, with phases
    /// that fill and drain the dict so it grows and shrinks many times,
    /// checked against std's HashMap and against the invariants after
    /// every single operation.
    #[test]
    fn random_operations_match_std_hashmap_through_grows_and_shrinks() {
        let _lock = policy_lock();
        for seed in 1..=3u64 {
            let mut rng = XorShift64Star::new(seed);
            let mut d: Dict<Vec<u8>, u64> = Dict::with_key(SipKey::new(seed, !seed));
            let mut model: HashMap<Vec<u8>, u64> = HashMap::new();
            let (mut grows, mut shrinks) = (0, 0);
            for op in 0..12_000u64 {
                // Fill phases add keys; drain phases turn most ops into
                // removals, until under 10% of the buckets are in use.
                let filling = (op / 3000) % 2 == 0;
                let k = key(rng.next_u64() % 700);
                let sizes_before = d.table_sizes();
                let choice = rng.next_u64() % 12;
                match choice {
                    0..=3 if filling => assert_eq!(d.insert(k.clone(), op), model.insert(k, op)),
                    0..=8 if !filling => {
                        let got = d.remove(k.as_slice());
                        assert_eq!(got.map(|(_, v)| v), model.remove(&k));
                    }
                    4 => assert_eq!(d.get(k.as_slice()), model.get(&k)),
                    5 => assert_eq!(d.lookup(k.as_slice()).copied(), model.get(&k).copied()),
                    6 => {
                        if let Some(v) = d.get_mut(k.as_slice()) {
                            *v += 1;
                        }
                        if let Some(v) = model.get_mut(&k) {
                            *v += 1;
                        }
                    }
                    7 => {
                        *d.entry(k.clone()).or_insert(0) += 10;
                        *model.entry(k).or_insert(0) += 10;
                    }
                    8 => {
                        let ok = d.insert_new(k.clone(), op).is_ok();
                        assert_eq!(ok, !model.contains_key(&k));
                        model.entry(k).or_insert(op);
                    }
                    9 => {
                        d.rehash_steps((rng.next_u64() % 3) as usize);
                    }
                    10 => {
                        let mut r = || rng.next_u64();
                        if let Some((k, v)) = d.random_entry(&mut r) {
                            assert_eq!(model.get(k), Some(v));
                        }
                    }
                    _ => {
                        let mut r = || rng.next_u64();
                        let n = (op % 25) as usize;
                        let s = d.sample(n, &mut r);
                        assert!(s.len() <= n);
                        let distinct: HashSet<&Vec<u8>> = s.iter().map(|(k, _)| *k).collect();
                        assert_eq!(distinct.len(), s.len(), "sample repeated a key");
                        for (k, v) in s {
                            assert_eq!(model.get(k), Some(v));
                        }
                    }
                }
                d.check_invariants();
                assert_eq!(d.len(), model.len());
                let sizes_after = d.table_sizes();
                if sizes_after.1 != 0 && sizes_before.1 == 0 {
                    if sizes_after.1 > sizes_after.0 {
                        grows += 1;
                    } else {
                        shrinks += 1;
                    }
                }
                if op % 500 == 0 {
                    let all: HashMap<Vec<u8>, u64> =
                        d.iter().map(|(k, v)| (k.clone(), *v)).collect();
                    assert_eq!(all, model);
                }
            }
            assert!(
                grows >= 5 && shrinks >= 2,
                "grows {grows}, shrinks {shrinks}"
            );
        }
    }

    #[test]
    fn colliding_keys_share_a_chain_and_stay_findable() {
        let mut d = Dict::with_key(test_key());
        for id in 0..200 {
            d.insert(Fixed { hash: 42, id }, id);
        }
        d.check_invariants();
        for id in 0..200 {
            assert_eq!(d.get(&Fixed { hash: 42, id }), Some(&id));
        }
        for id in (0..200).step_by(2) {
            assert_eq!(d.remove(&Fixed { hash: 42, id }).map(|(_, v)| v), Some(id));
            d.check_invariants();
        }
        assert_eq!(d.len(), 100);
    }

    #[test]
    fn dropping_a_million_node_chain_does_not_overflow_the_stack() {
        let mut table = Table::with_size(4);
        for id in 0..1_000_000u64 {
            table.push(
                0,
                Box::new(Node {
                    next: None,
                    key: Fixed { hash: 0, id },
                    value: (),
                }),
            );
        }
        let d = Dict {
            tables: [table, Table::empty()],
            rehash_idx: None,
            paused: 0,
            sip: test_key(),
        };
        assert_eq!(d.len(), 1_000_000);
        drop(d);
    }

    /// Drives a scan to completion, calling `between` after every step.
    fn full_scan<V>(
        d: &mut Dict<Vec<u8>, V>,
        mut between: impl FnMut(&mut Dict<Vec<u8>, V>, usize),
    ) -> HashMap<Vec<u8>, usize> {
        let mut seen = HashMap::new();
        let mut cursor = 0;
        let mut calls = 0;
        loop {
            cursor = d.scan(cursor, |k, _| *seen.entry(k.clone()).or_insert(0) += 1);
            calls += 1;
            assert!(calls < 1_000_000, "scan does not terminate");
            if cursor == 0 {
                return seen;
            }
            between(d, calls);
        }
    }

    #[test]
    fn scan_cursor_for_eight_buckets_runs_in_reverse_binary_order() {
        let mut d = Dict::with_key(test_key());
        for i in 0..6 {
            d.insert(key(i), ());
        }
        d.rehash_steps(usize::MAX);
        assert_eq!(d.table_sizes(), (8, 0));
        let mut cursors = vec![0];
        loop {
            let c = d.scan(*cursors.last().unwrap_or(&0), |_, _| {});
            cursors.push(c);
            if c == 0 {
                break;
            }
        }
        assert_eq!(cursors, [0, 4, 2, 6, 1, 5, 3, 7, 0]);
    }

    #[test]
    fn scan_of_an_unchanging_dict_returns_each_key_exactly_once_even_mid_rehash() {
        let _lock = policy_lock();
        let mut d = Dict::with_key(test_key());
        for i in 0..300 {
            d.insert(key(i), ());
        }
        for rehashing in [false, true] {
            if rehashing {
                // 300 keys sit in 512 buckets; the 513th key starts a grow,
                // which we advance part-way and then freeze.
                d.rehash_steps(usize::MAX);
                for i in 1000..1213 {
                    d.insert(key(i), ());
                }
                d.rehash_steps(200);
                assert!(d.is_rehashing());
                d.pause_rehashing();
            }
            let seen = full_scan(&mut d, |_, _| {});
            assert_eq!(seen.len(), d.len());
            assert!(seen.values().all(|&n| n == 1));
        }
    }

    /// What if keys come and go between SCAN calls, enough to grow the
    /// table twice and then shrink it, while the cursor is mid-way?
    #[test]
    fn scan_returns_every_key_present_throughout_across_grow_and_shrink() {
        let _lock = policy_lock();
        for seed in 1..=4u64 {
            let mut d: Dict<Vec<u8>, ()> = Dict::with_key(SipKey::new(seed, seed * 31));
            let stable: Vec<Vec<u8>> = (0..150).map(key).collect();
            for k in &stable {
                d.insert(k.clone(), ());
            }
            let mut rng = XorShift64Star::new(seed);
            let mut temp: Vec<Vec<u8>> = Vec::new();
            let mut next_temp = 1_000_000u64;
            let mut saw_sizes = HashSet::new();
            let seen = full_scan(&mut d, |d, call| {
                // Fill for 60 calls, then drain; random extra rehash steps.
                if call < 60 {
                    for _ in 0..40 {
                        d.insert(key(next_temp), ());
                        temp.push(key(next_temp));
                        next_temp += 1;
                    }
                } else {
                    for _ in 0..40 {
                        if let Some(k) = temp.pop() {
                            d.remove(k.as_slice());
                        }
                    }
                }
                d.rehash_steps((rng.next_u64() % 4) as usize);
                saw_sizes.insert(d.table_sizes());
                d.check_invariants();
            });
            for k in &stable {
                assert!(
                    seen.contains_key(k),
                    "seed {seed}: missed {}",
                    String::from_utf8_lossy(k)
                );
            }
            let grew = saw_sizes.iter().any(|&(a, b)| b > a && a > 0);
            let shrank = saw_sizes.iter().any(|&(a, b)| b < a && b > 0);
            assert!(grew && shrank, "seed {seed}: sizes {saw_sizes:?}");
        }
    }

    #[test]
    fn sample_and_random_entry_return_only_present_distinct_keys_during_rehash() {
        let _lock = policy_lock();
        let mut d = Dict::with_key(test_key());
        let mut rng = XorShift64Star::new(99);
        for round in 0..400u64 {
            for i in 0..5 {
                d.insert(key(round * 5 + i), round);
            }
            for i in 0..3 {
                d.remove(key(round * 5 + i).as_slice());
            }
            let mut r = || rng.next_u64();
            let s = d.sample(10, &mut r);
            let distinct: HashSet<*const Vec<u8>> = s.iter().map(|(k, _)| *k as *const _).collect();
            assert_eq!(distinct.len(), s.len());
            let keys: Vec<Vec<u8>> = s.iter().map(|(k, _)| (*k).clone()).collect();
            for k in keys {
                assert!(d.contains_key(k.as_slice()));
            }
            let picked = d.random_entry(&mut r).map(|(k, _)| k.clone());
            let picked = picked.unwrap_or_default();
            assert!(d.contains_key(picked.as_slice()));
            d.check_invariants();
        }
        let mut empty: Dict<Vec<u8>, ()> = Dict::new();
        let mut r = || rng.next_u64();
        assert!(empty.random_entry(&mut r).is_none());
        assert!(empty.sample(5, &mut r).is_empty());
    }

    #[test]
    fn random_bucket_entry_favours_keys_alone_in_their_bucket() {
        // Four buckets: bucket 1 holds one key, bucket 2 holds three.
        let mut d = Dict::with_key(test_key());
        d.insert(Fixed { hash: 1, id: 0 }, ());
        for id in 1..4 {
            d.insert(Fixed { hash: 2, id }, ());
        }
        assert_eq!(d.table_sizes(), (4, 0));
        let mut rng = XorShift64Star::new(5);
        let mut r = || rng.next_u64();
        let mut alone = 0;
        let draws = 30_000;
        for _ in 0..draws {
            if let Some((k, _)) = d.random_bucket_entry(&mut r) {
                alone += usize::from(k.id == 0);
            }
        }
        // Expect 1/2 of the draws, not the fair 1/4.
        assert!(
            (alone as f64 / draws as f64 - 0.5).abs() < 0.03,
            "alone {alone}"
        );
    }

    #[test]
    fn random_entry_is_uniform_when_the_sample_covers_the_dict() {
        let mut d = Dict::with_key(test_key());
        d.insert(Fixed { hash: 1, id: 0 }, ());
        for id in 1..4 {
            d.insert(Fixed { hash: 2, id }, ());
        }
        let mut rng = XorShift64Star::new(6);
        let mut r = || rng.next_u64();
        let mut counts = [0usize; 4];
        let draws = 40_000;
        for _ in 0..draws {
            if let Some((k, _)) = d.random_entry(&mut r) {
                counts[k.id as usize] += 1;
            }
        }
        for c in counts {
            assert!(
                (c as f64 / draws as f64 - 0.25).abs() < 0.02,
                "counts {counts:?}"
            );
        }
    }

    #[test]
    fn entry_api_inserts_once_then_updates_in_place() {
        let mut d: Dict<Vec<u8>, Vec<u32>> = Dict::new();
        d.entry(key(1)).or_insert_with(Vec::new).push(1);
        d.entry(key(1)).or_insert_with(Vec::new).push(2);
        assert_eq!(d.get(key(1).as_slice()), Some(&vec![1, 2]));
        match d.entry(key(1)) {
            Entry::Occupied(mut e) => {
                assert_eq!(e.key(), &key(1));
                assert_eq!(e.insert(vec![9]), vec![1, 2]);
            }
            Entry::Vacant(_) => panic!("key 1 is present"),
        }
        match d.entry(key(2)) {
            Entry::Vacant(e) => assert_eq!(e.into_key(), key(2)),
            Entry::Occupied(_) => panic!("key 2 is absent"),
        }
        assert_eq!(d.len(), 1);
        d.check_invariants();
    }

    #[test]
    fn insert_new_refuses_a_present_key_and_hands_the_pair_back() {
        let mut d = Dict::new();
        assert!(d.insert_new(key(1), 1).is_ok());
        assert_eq!(d.insert_new(key(1), 2).err(), Some((key(1), 2)));
        assert_eq!(d.get(key(1).as_slice()), Some(&1));
    }

    #[test]
    fn retain_drops_rejected_entries_in_both_tables() {
        let _lock = policy_lock();
        let mut d = Dict::with_key(test_key());
        for i in 0..100u64 {
            d.insert(i, i);
        }
        d.insert(100, 100);
        let mut visited = 0;
        d.retain(|k, v| {
            visited += 1;
            *v += 1;
            k % 10 == 0
        });
        assert_eq!(visited, 101);
        assert_eq!(d.len(), 11);
        assert_eq!(d.get(&50), Some(&51));
        d.check_invariants();
    }

    #[test]
    fn iterators_visit_every_entry_once_in_both_tables() {
        let _lock = policy_lock();
        let mut d = Dict::with_key(test_key());
        for i in 0..33u64 {
            d.insert(i, i);
        }
        assert!(d.is_rehashing());
        assert_eq!(d.iter().len(), 33);
        let keys: HashSet<u64> = d.keys().copied().collect();
        assert_eq!(keys, (0..33).collect());
        for (_, v) in d.iter_mut() {
            *v *= 2;
        }
        assert_eq!(
            d.values().sum::<u64>(),
            (0..33u64).map(|i| i * 2).sum::<u64>()
        );
    }

    #[test]
    fn clone_copies_entries_and_rehash_state() {
        let _lock = policy_lock();
        let mut d = Dict::with_key(test_key());
        for i in 0..40u64 {
            d.insert(i, i.to_string());
        }
        let c = d.clone();
        c.check_invariants();
        assert_eq!(c.table_sizes(), d.table_sizes());
        assert_eq!(c.rehash_index(), d.rehash_index());
        for i in 0..40u64 {
            assert_eq!(c.get(&i), d.get(&i));
        }
    }

    #[test]
    fn memory_usage_counts_buckets_and_nodes() {
        let mut d: Dict<u64, u64> = Dict::with_key(test_key());
        let empty = d.memory_usage();
        d.insert(1, 1);
        let node = std::mem::size_of::<Node<u64, u64>>();
        assert_eq!(d.memory_usage(), empty + 4 * 8 + node);
        d.clear();
        assert_eq!(d.memory_usage(), empty);
        assert!(d.is_empty());
    }

    #[test]
    fn xorshift_never_sticks_at_zero_and_below_stays_in_range() {
        let mut r = XorShift64Star::new(0);
        assert_ne!(r.next_u64(), 0);
        for n in [1usize, 2, 3, 1000] {
            for _ in 0..100 {
                assert!(below(r.next_u64(), n) < n);
            }
        }
        assert_eq!(below(u64::MAX, 10), 9);
    }
}
