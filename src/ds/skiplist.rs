//! Skiplist: the ordered index behind sorted sets.
//!
//! Chapter: chapters/16-skiplist.md
//!
//! Nodes sit in several linked lists at once; higher lists skip more nodes,
//! so a search drops down a level each time it would overshoot (Pugh,
//! "Skip Lists: A Probabilistic Alternative to Balanced Trees", 1990). Each
//! forward link also records how many level-0 steps it jumps (its `span`),
//! so adding up the spans along a search path gives a node's rank, and
//! "the element at rank r" is a search too.
//!
//! ```text
//!  (span) on each link; ranks are 1-based, the head is rank 0
//!  L2  head ---------------(4)----------------> 30 -(1)-> nil
//!  L1  head -----(2)------> 10 ------(2)------> 30 -(1)-> nil
//!  L0  head -(1)-> 5 -(1)-> 10 -(1)-> 20 -(1)-> 30 -(1)-> 40 -(0)-> nil
//!      0           1        2         3         4         5          <- rank
//! ```
//!
//! Nodes live in one arena `Vec` and name each other by `u32` index, which
//! keeps the whole file safe Rust. Memory is the design's other constraint:
//! a million-member sorted set keeps one of these per member, so a node is
//! 32 bytes. Its level-0 link sits inline (three nodes in four have no
//! other), and the links of levels 1 and up live in a second shared `Vec`,
//! the link pool, as one run of `height - 1` links per node. Each pool link
//! also caches two fields of its target (its score, and where its own run
//! starts), so a search on the upper levels reads only pool entries and
//! never waits for a node it is about to skip:
//!
//! ```text
//!  arena slot (32 bytes)
//!  [ score f64 | member Sds | backward u32 | next0 u32 | upper u32 | height u8 | pad ]
//!       8            8            4             4           4           1        3
//!                    |                                      |
//!                    v                                      v
//!        [hdr| member bytes ]   pool: .. | L1 link | L2 link | ..  (height - 1 of them)
//!        one exact-size block
//!  pool link (24 bytes)
//!  [ next_score f64 | next u32 | span u32 | next_upper u32 | pad ]
//!        8             4          4           4             4
//!    copies of the target's score and upper --^ (invariant 8)
//! ```
//!
//! Invariants:
//! 1. Level 0, followed from the head, visits every live node exactly once,
//!    in strictly increasing (score, member) order; `len` counts them and
//!    `tail` is the last one.
//! 2. A node of height h (1..=32) is linked into levels 0..h and no others,
//!    in the same order as on level 0. Its level-0 link is `next0`; its
//!    links on levels 1..h are the h - 1 pool entries from `upper` on.
//! 3. A link's `span` is the number of level-0 steps it jumps over: the rank
//!    of its target minus the rank of its source (head = 0). A link to nil
//!    spans the nodes left after its source (`len - rank`). On level 0 this
//!    makes the span 1, or 0 for the tail's nil link, so it is not stored.
//! 4. `backward` is the level-0 predecessor, or nil for the first node.
//! 5. `level` is the tallest node's height (at least 1); the head's links
//!    at `level` and above are nil with span 0.
//! 6. Every arena slot but the head is either live, holding a member, or
//!    on the free list, holding none; never both. `member_bytes` is the sum
//!    of the live members' `alloc_size()`.
//! 7. Every pool entry belongs to exactly one run: the head's 31, a live
//!    node's h - 1, or a free run of k entries listed once in
//!    `pool_free[k]`. A node of height 1 has no run (`upper` is nil).
//! 8. Every pool link that belongs to the head or a live node and is not
//!    nil caches its target: `next_score` and `next_upper` equal the
//!    target's `score` and `upper`, bit for bit.
//!
//! Ordering is by score, then by member bytes. Scores are never NaN (the
//! callers reject NaN before it gets here).
//!
//! Limits: indexes, ranks and spans are `u32`, with `u32::MAX` meaning nil,
//! so a list holds at most `MAX_LEN` (2^32 - 2) members. Inserting past that
//! panics rather than wrapping an index; the sorted-set layer refuses to
//! grow a set that far first.
//!
//! Not here: the member -> score dict that sorted sets pair with this
//! (db/), score and range parsing, replies, and the listpack encoding of
//! small sorted sets.

use super::sds::Sds;
use std::cmp::Ordering;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::mem::size_of;

// ANCHOR: consts
/// Tallest a node can be. With p = 1/4, level k is reached by 1 node in
/// 4^(k-1), so 32 levels are enough for 4^32 = 2^64 members.
pub const MAX_LEVEL: usize = 32;
/// A coin that lands "promote" one time in four: a random 16-bit number
/// below a quarter of 0xFFFF.
const PROMOTE_BELOW: u64 = 0xFFFF / 4;
/// Most members a list can hold: slot indexes are `u32`, `u32::MAX` is
/// nil, and slot 0 is the head, which leaves 2^32 - 2 slots for members.
pub const MAX_LEN: usize = u32::MAX as usize - 1;
// ANCHOR_END: consts

/// "No node": the end of a list, no backward neighbour, or no pool run.
const NIL: u32 = u32::MAX;
/// The head is a sentinel in slot 0 with MAX_LEVEL links and no key.
const HEAD: u32 = 0;
/// A nil link with span 0. Its cache fields are placeholders: invariant 8
/// says nothing about nil links.
const NIL_LINK: Link = Link {
    next_score: 0.0,
    next: NIL,
    span: 0,
    next_upper: NIL,
};

// ANCHOR: types
/// One forward link on level 1 or up: which node comes next on this
/// level, how many level-0 steps that is (invariant 3), and a copy of the
/// two fields of that node a search needs (invariant 8). 24 bytes with
/// `repr(C)`: 20 of fields and 4 of padding, as drawn in the header.
///
/// WHY THE COPIES. A search on level i compares the next node's score with
/// the target and, if it moves, reads the next node's link on level i. In
/// Redis both sit in the next node, one cache miss. Here the link sits in
/// the node's pool run, so without the copies a step costs two misses: the
/// node, for its score and `upper`, and then its run. With them, a step
/// reads one pool entry and jumps straight to the next run; the node
/// itself is read only on level 0, or when scores tie and the members
/// must be compared.
#[derive(Debug, Clone, Copy)]
#[repr(C)]
struct Link {
    /// The target's score; a placeholder when `next` is nil.
    next_score: f64,
    next: u32,
    span: u32,
    /// The target's `upper`: where the search continues after moving.
    next_upper: u32,
}

/// One arena slot: 32 bytes, checked by a test. `repr(C)` keeps the
/// fields in the order drawn in the header (29 bytes of fields, 3 of
/// padding to the 8-byte alignment), so the drawing is the real layout.
#[derive(Debug)]
#[repr(C)]
struct Node {
    /// Copied into every pool link that points here (invariant 8): write
    /// it only where those links are rewritten too (`update_score`).
    score: f64,
    /// `None` for the head and for free slots (invariant 6). `Option<Sds>`
    /// costs nothing: an `Sds` is a non-null pointer, so `None` is null.
    member: Option<Sds>,
    /// Level-0 predecessor, for reverse iteration (invariant 4).
    backward: u32,
    /// Level-0 successor. Its span is implied: 1, or 0 when nil (invariant 3).
    next0: u32,
    /// Start of this node's links for levels 1..height in the pool, or nil
    /// for a node of height 1 (invariant 7). Copied into every pool link
    /// that points here (invariant 8), so it never changes while the node
    /// is live.
    upper: u32,
    /// 1..=MAX_LEVEL; 0 marks a free slot.
    height: u8,
}

/// A sorted sequence of (score, member) pairs with O(log N) insert, delete,
/// rank and range lookups (expected).
#[derive(Debug)]
pub struct SkipList {
    /// Slot 0 is the head. Freed slots are reused through `free`.
    nodes: Vec<Node>,
    free: Vec<u32>,
    /// Links of levels 1 and up, one run per node taller than 1.
    pool: Vec<Link>,
    /// `pool_free[k]` holds the starts of free runs of k links, so the
    /// next node of height k + 1 reuses one. Grown on the first release.
    pool_free: Vec<Vec<u32>>,
    /// Sum of the live members' `alloc_size()`, for `memory_usage`.
    member_bytes: usize,
    tail: u32,
    len: u32,
    level: usize,
    /// xorshift64* state; never zero.
    rng: u64,
}
// ANCHOR_END: types

impl Node {
    fn member(&self) -> &[u8] {
        match &self.member {
            Some(m) => m.as_bytes(),
            None => &[],
        }
    }
}

/// One end of a lexicographic range, as ZRANGEBYLEX spells them: `-`, `+`,
/// `[member` and `(member`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexBound {
    NegInf,
    PosInf,
    Inclusive(Vec<u8>),
    Exclusive(Vec<u8>),
}

/// Order of two keys: by score, then member bytes. -0.0 and 0.0 compare
/// equal here, as they do in C.
fn cmp_key(a_score: f64, a_member: &[u8], b_score: f64, b_member: &[u8]) -> Ordering {
    if a_score < b_score {
        Ordering::Less
    } else if a_score > b_score {
        Ordering::Greater
    } else {
        a_member.cmp(b_member)
    }
}

fn score_gte_min(v: f64, min: f64, min_ex: bool) -> bool {
    if min_ex {
        v > min
    } else {
        v >= min
    }
}

fn score_lte_max(v: f64, max: f64, max_ex: bool) -> bool {
    if max_ex {
        v < max
    } else {
        v <= max
    }
}

fn lex_gte_min(m: &[u8], min: &LexBound) -> bool {
    match min {
        LexBound::NegInf => true,
        LexBound::PosInf => false,
        LexBound::Inclusive(v) => m >= v.as_slice(),
        LexBound::Exclusive(v) => m > v.as_slice(),
    }
}

fn lex_lte_max(m: &[u8], max: &LexBound) -> bool {
    match max {
        LexBound::NegInf => false,
        LexBound::PosInf => true,
        LexBound::Inclusive(v) => m <= v.as_slice(),
        LexBound::Exclusive(v) => m < v.as_slice(),
    }
}

/// Spreads a seed's bits (the splitmix64 finaliser) so that small seeds
/// like 1, 2, 3 don't start xorshift in a low-entropy state, and never
/// returns 0, which xorshift could not leave.
fn mix_seed(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    if z == 0 {
        1
    } else {
        z
    }
}

/// Where a descent stopped: on each level, the last node it passed
/// (`update[i]`, the head if none), the start of that node's pool run
/// (`upper[i]`, so writers reach its link without reading the node), and
/// its 1-based rank.
struct Path {
    update: [u32; MAX_LEVEL],
    upper: [u32; MAX_LEVEL],
    rank: [u32; MAX_LEVEL],
}

impl Default for SkipList {
    fn default() -> Self {
        Self::new()
    }
}

impl SkipList {
    /// An empty list seeded from the process's hash randomness, so two
    /// servers do not build identical towers.
    pub fn new() -> Self {
        let seed = RandomState::new().build_hasher().finish();
        Self::with_seed(seed)
    }

    /// An empty list whose node heights follow from `seed`: same seed and
    /// same operations give the same shape, which tests rely on.
    pub fn with_seed(seed: u64) -> Self {
        let head = Node {
            score: 0.0,
            member: None,
            backward: NIL,
            next0: NIL,
            // The head's 31 upper links are the pool's first run.
            upper: 0,
            height: MAX_LEVEL as u8,
        };
        SkipList {
            nodes: vec![head],
            free: Vec::new(),
            pool: vec![NIL_LINK; MAX_LEVEL - 1],
            pool_free: Vec::new(),
            member_bytes: 0,
            tail: NIL,
            len: 0,
            level: 1,
            rng: mix_seed(seed),
        }
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    // ANCHOR: memory_usage
    /// Heap bytes this list owns: arena, pool and free lists by capacity,
    /// plus each member's block as `Sds::alloc_size` counts it (header and
    /// capacity, before the allocator rounds it up). O(1): the members'
    /// share is kept up to date by insert and delete (invariant 6).
    pub fn memory_usage(&self) -> usize {
        let free_runs: usize = self.pool_free.iter().map(Vec::capacity).sum();
        self.nodes.capacity() * size_of::<Node>()
            + self.pool.capacity() * size_of::<Link>()
            + (self.free.capacity() + free_runs) * size_of::<u32>()
            + self.pool_free.capacity() * size_of::<Vec<u32>>()
            + self.member_bytes
    }
    // ANCHOR_END: memory_usage

    // ---------------------------------------------------------------------
    // Randomness, the arena and the link pool
    // ---------------------------------------------------------------------

    /// xorshift64* (Vigna, 2016): three shifts and a multiply, plenty for
    /// coin flips and free of dependencies.
    fn next_random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    // ANCHOR: random_level
    /// Height of a new node: 1, then one more level for each "promote"
    /// flip in a row. P(height >= k) = (1/4)^(k-1).
    fn random_level(&mut self) -> usize {
        let mut height = 1;
        // Use the top 16 bits: xorshift*'s low bits are its weakest.
        while height < MAX_LEVEL && (self.next_random() >> 48) < PROMOTE_BELOW {
            height += 1;
        }
        height
    }
    // ANCHOR_END: random_level

    // ANCHOR: links
    /// Node `x`'s link on level `i` (below its height), for code off the
    /// hot path. Level 0's span is not stored; invariant 3 says what it
    /// must be. Level 0 caches nothing, so its cache fields are the nil
    /// placeholders.
    fn link(&self, x: u32, i: usize) -> Link {
        let n = &self.nodes[x as usize];
        if i == 0 {
            Link {
                next: n.next0,
                span: u32::from(n.next0 != NIL),
                ..NIL_LINK
            }
        } else {
            self.pool[Self::at(n.upper, i)]
        }
    }

    /// Where the level-`i` link (i >= 1) of the node whose run starts at
    /// `upper` sits in the pool. Searches carry `upper` along (it is cached
    /// in the link that led them to the node), so they find the link
    /// without reading the node.
    #[inline]
    fn at(upper: u32, i: usize) -> usize {
        debug_assert!(i >= 1, "level 0 has no pool link");
        upper as usize + i - 1
    }
    // ANCHOR_END: links

    fn next0(&self, x: u32) -> u32 {
        self.nodes[x as usize].next0
    }

    fn member_of(&self, x: u32) -> &[u8] {
        self.nodes[x as usize].member()
    }

    /// Compares node `x`'s key with (score, member).
    fn cmp_node(&self, x: u32, score: f64, member: &[u8]) -> Ordering {
        let n = &self.nodes[x as usize];
        cmp_key(n.score, n.member(), score, member)
    }

    /// Compares the key of node `x`, whose score `x_score` the caller
    /// already has (from a link's cache), with (score, member). Node `x`
    /// is read only when the scores tie.
    #[inline]
    fn cmp_cached(&self, x_score: f64, x: u32, score: f64, member: &[u8]) -> Ordering {
        if x_score < score {
            Ordering::Less
        } else if x_score > score {
            Ordering::Greater
        } else {
            self.nodes[x as usize].member().cmp(member)
        }
    }

    // ANCHOR: alloc
    /// Takes a run of `k` pool links: a freed run of the same length if
    /// there is one, else new entries at the end. Nil for `k == 0`.
    fn alloc_links(&mut self, k: usize) -> u32 {
        if k == 0 {
            return NIL;
        }
        if let Some(at) = self.pool_free.get_mut(k).and_then(Vec::pop) {
            return at;
        }
        let at = self.pool.len();
        // The start must fit a u32. Reaching this takes billions of tall
        // nodes, which MAX_LEN rules out long before in practice.
        assert!(at + k < NIL as usize, "skiplist link pool full");
        self.pool.resize(at + k, NIL_LINK);
        at as u32
    }

    /// Puts a node in a free slot (or a new one) with a fresh run of links.
    /// The caller links it in.
    fn alloc(&mut self, score: f64, member: Sds, height: usize) -> u32 {
        let upper = self.alloc_links(height - 1);
        self.member_bytes += member.alloc_size();
        let node = Node {
            score,
            member: Some(member),
            backward: NIL,
            next0: NIL,
            upper,
            height: height as u8,
        };
        if let Some(id) = self.free.pop() {
            self.nodes[id as usize] = node;
            return id;
        }
        // Free slots go first, so a push means every slot is live: this is
        // the MAX_LEN limit. Panic instead of handing out index NIL.
        assert!(
            self.nodes.len() < NIL as usize,
            "skiplist full: at most {MAX_LEN} members"
        );
        self.nodes.push(node);
        (self.nodes.len() - 1) as u32
    }

    /// Returns an unlinked slot and its run of links to the free lists and
    /// hands back its member.
    fn release(&mut self, id: u32) -> Sds {
        let n = &mut self.nodes[id as usize];
        let k = usize::from(n.height) - 1;
        let upper = n.upper;
        n.height = 0;
        n.upper = NIL;
        n.next0 = NIL;
        n.backward = NIL;
        debug_assert!(n.member.is_some(), "a live node holds a member");
        let member = n.member.take().unwrap_or_default();
        self.member_bytes -= member.alloc_size();
        self.free.push(id);
        if k > 0 {
            if self.pool_free.len() <= k {
                self.pool_free.resize_with(k + 1, Vec::new);
            }
            self.pool_free[k].push(upper);
        }
        member
    }
    // ANCHOR_END: alloc

    // ---------------------------------------------------------------------
    // The descent every operation shares
    // ---------------------------------------------------------------------

    // ANCHOR: descend
    /// Walks from the top level down. On each level it moves right while
    /// `go_past(next_score, next_id, rank_next_would_have)` holds, then
    /// drops a level. `go_past` must be monotone along level 0 (true for a
    /// prefix of the list, false after), which every caller's predicate is.
    ///
    /// The rank of a node is the sum of the spans walked to reach it, so
    /// the path records it for free (invariant 3).
    ///
    /// HOW IT STAYS IN THE POOL. On levels 1 and up the walk holds only the
    /// current node's id and the start of its run, `x_upper`. The next link
    /// is `pool[x_upper + i - 1]`; its cached `next_score` feeds `go_past`,
    /// and moving copies `next_upper` into `x_upper` (invariant 8). So a
    /// step is one pool read, and a node is read only if `go_past` asks
    /// for its member (equal scores, lex ranges). Level 0 has no pool
    /// link, so there each step reads the next node, as it must: that is
    /// the node the search is looking for.
    fn descend(&self, mut go_past: impl FnMut(f64, u32, u32) -> bool) -> Path {
        let mut path = Path {
            update: [HEAD; MAX_LEVEL],
            upper: [self.nodes[HEAD as usize].upper; MAX_LEVEL],
            rank: [0; MAX_LEVEL],
        };
        let mut x = HEAD;
        let mut x_upper = path.upper[0];
        let mut rank = 0;
        for i in (1..self.level).rev() {
            loop {
                let link = self.pool[Self::at(x_upper, i)];
                if link.next != NIL && go_past(link.next_score, link.next, rank + link.span) {
                    rank += link.span;
                    x = link.next;
                    x_upper = link.next_upper;
                } else {
                    break;
                }
            }
            path.update[i] = x;
            path.upper[i] = x_upper;
            path.rank[i] = rank;
        }
        loop {
            let next = self.nodes[x as usize].next0;
            if next == NIL {
                break;
            }
            let n = &self.nodes[next as usize];
            if !go_past(n.score, next, rank + 1) {
                break;
            }
            rank += 1;
            x = next;
            x_upper = n.upper;
        }
        path.update[0] = x;
        path.upper[0] = x_upper;
        path.rank[0] = rank;
        path
    }
    // ANCHOR_END: descend

    /// Path to the last node strictly before (score, member).
    fn path_before(&self, score: f64, member: &[u8]) -> Path {
        self.descend(|s, id, _| self.cmp_cached(s, id, score, member).is_lt())
    }

    /// The node with 1-based rank `rank1`, or nil. The predicate looks at
    /// ranks only, so above level 0 this reads nothing but pool links.
    fn node_at_rank1(&self, rank1: usize) -> u32 {
        if rank1 == 0 || rank1 > self.len() {
            return NIL;
        }
        // rank1 <= len < u32::MAX, so it fits.
        let rank1 = rank1 as u32;
        let path = self.descend(|_, _, r| r <= rank1);
        if path.rank[0] == rank1 {
            path.update[0]
        } else {
            NIL
        }
    }

    // ---------------------------------------------------------------------
    // Insert and delete
    // ---------------------------------------------------------------------

    /// Adds (score, member), copying the member into an exact-size `Sds`.
    /// The caller guarantees the pair is not present (sorted sets check
    /// their dict first) and that score is not NaN.
    pub fn insert(&mut self, score: f64, member: &[u8]) {
        self.insert_sds(score, Sds::new(member));
    }

    // ANCHOR: insert
    /// `insert` for a member the caller already holds as an `Sds`: the
    /// list keeps that block, with no copy.
    pub fn insert_sds(&mut self, score: f64, member: Sds) {
        let height = self.random_level();
        self.insert_with_height(score, member, height);
    }

    /// Links a new node of the given height (1..=MAX_LEVEL) into place.
    fn insert_with_height(&mut self, score: f64, member: Sds, height: usize) -> u32 {
        debug_assert!(!score.is_nan(), "NaN scores are rejected by callers");
        debug_assert!((1..=MAX_LEVEL).contains(&height));
        let path = self.path_before(score, &member);
        debug_assert!({
            let n = self.next0(path.update[0]);
            n == NIL || self.cmp_node(n, score, &member).is_ne()
        });

        if height > self.level {
            // New levels start at the head, whose nil link spans every node.
            // (The path already holds the head and its run there.)
            for i in self.level..height {
                self.pool[Self::at(path.upper[i], i)].span = self.len;
            }
            self.level = height;
        }

        let id = self.alloc(score, member, height);
        let upper = self.nodes[id as usize].upper;
        // Level 0: splice in after update[0]; its span is implied.
        let prev0 = path.update[0];
        let next0 = self.next0(prev0);
        self.nodes[id as usize].next0 = next0;
        self.nodes[prev0 as usize].next0 = id;
        // The new node's rank is rank[0] + 1. On level i its predecessor
        // sits at rank[i], so the old link from there splits in two: the
        // predecessor now jumps (rank[0] - rank[i]) + 1 steps to us, and we
        // jump what is left of the old span. Our link inherits the old
        // link's target, cache and all; the predecessor's link caches us
        // (invariant 8).
        for i in 1..height {
            let theirs = Self::at(path.upper[i], i);
            let old = self.pool[theirs];
            let to_new = path.rank[0] - path.rank[i];
            self.pool[Self::at(upper, i)] = Link {
                span: old.span - to_new,
                ..old
            };
            self.pool[theirs] = Link {
                next_score: score,
                next: id,
                span: to_new + 1,
                next_upper: upper,
            };
        }
        // Links above our height pass over the new node: one step longer.
        for i in height..self.level {
            self.pool[Self::at(path.upper[i], i)].span += 1;
        }

        self.nodes[id as usize].backward = if prev0 == HEAD { NIL } else { prev0 };
        match next0 {
            NIL => self.tail = id,
            next => self.nodes[next as usize].backward = id,
        }
        self.len += 1;
        id
    }
    // ANCHOR_END: insert

    // ANCHOR: unlink
    /// Takes node `x` out of every level. `path.update[i]` must be the last
    /// node before `x` on level i, for every level below `self.level`, and
    /// `path.upper[i]` the start of its run.
    fn unlink(&mut self, x: u32, path: &Path) {
        let prev0 = path.update[0];
        debug_assert_eq!(self.next0(prev0), x, "update[0] precedes x");
        let x_next0 = self.next0(x);
        self.nodes[prev0 as usize].next0 = x_next0;
        let x_upper = self.nodes[x as usize].upper;
        for i in 1..self.level {
            let at = Self::at(path.upper[i], i);
            let link = self.pool[at];
            if link.next == x {
                // prev -> x -> y becomes prev -> y; x itself was one step.
                // prev takes over x's link, with its cache of y.
                let through = self.pool[Self::at(x_upper, i)];
                self.pool[at] = Link {
                    span: link.span + through.span - 1,
                    ..through
                };
            } else {
                // prev's link jumps over x on this level.
                self.pool[at].span -= 1;
            }
        }
        let back = self.nodes[x as usize].backward;
        match x_next0 {
            NIL => self.tail = back,
            next => self.nodes[next as usize].backward = back,
        }
        // Drop empty top levels so searches don't start in thin air
        // (invariant 5).
        while self.level > 1 && self.link(HEAD, self.level - 1).next == NIL {
            let head_upper = self.nodes[HEAD as usize].upper;
            self.pool[Self::at(head_upper, self.level - 1)] = NIL_LINK;
            self.level -= 1;
        }
        self.len -= 1;
    }
    // ANCHOR_END: unlink

    /// Removes (score, member); false if it was not there.
    pub fn delete(&mut self, score: f64, member: &[u8]) -> bool {
        let path = self.path_before(score, member);
        let x = self.next0(path.update[0]);
        if x == NIL || self.cmp_node(x, score, member).is_ne() {
            return false;
        }
        self.unlink(x, &path);
        self.release(x);
        true
    }

    // ANCHOR: update_score
    /// Changes the score of (cur, member) to `new`; false if the pair is
    /// not present. When the node stays between its neighbours the score
    /// is rewritten in place; otherwise the node is unlinked and inserted
    /// again, reusing its member block (and its slot, via the free list).
    pub fn update_score(&mut self, cur: f64, member: &[u8], new: f64) -> bool {
        let path = self.path_before(cur, member);
        let x = self.next0(path.update[0]);
        if x == NIL || self.cmp_node(x, cur, member).is_ne() {
            return false;
        }
        let back = self.nodes[x as usize].backward;
        let next = self.next0(x);
        let after_back = back == NIL || self.cmp_node(back, new, member) == Ordering::Less;
        let before_next = next == NIL || self.cmp_node(next, new, member) == Ordering::Greater;
        // Real Redis: compares scores only here, a slightly stricter test;
        // see chapters/16-skiplist.md#real-redis.
        if after_back && before_next {
            self.nodes[x as usize].score = new;
            // The links that point at x cache its score (invariant 8):
            // on each of x's upper levels, update[i]'s link is one.
            let height = usize::from(self.nodes[x as usize].height);
            for i in 1..height {
                let at = Self::at(path.upper[i], i);
                debug_assert_eq!(self.pool[at].next, x);
                self.pool[at].next_score = new;
            }
            return true;
        }
        self.unlink(x, &path);
        let owned = self.release(x);
        self.insert_sds(new, owned);
        true
    }
    // ANCHOR_END: update_score

    // ---------------------------------------------------------------------
    // Rank
    // ---------------------------------------------------------------------

    // ANCHOR: rank
    /// 0-based rank of (score, member), or None if absent.
    pub fn rank(&self, score: f64, member: &[u8]) -> Option<usize> {
        // Go past every node <= the key: we stop *on* it, and the spans
        // walked add up to its 1-based rank.
        let path = self.descend(|s, id, _| self.cmp_cached(s, id, score, member).is_le());
        let x = path.update[0];
        if x != HEAD && self.cmp_node(x, score, member).is_eq() {
            Some(path.rank[0] as usize - 1)
        } else {
            None
        }
    }
    // ANCHOR_END: rank

    /// The element at 0-based `rank`.
    pub fn get_by_rank(&self, rank: usize) -> Option<(f64, &[u8])> {
        let x = self.node_at_rank1(rank.checked_add(1)?);
        if x == NIL {
            return None;
        }
        let n = &self.nodes[x as usize];
        Some((n.score, n.member()))
    }

    // ---------------------------------------------------------------------
    // Ranges
    // ---------------------------------------------------------------------

    /// 0-based rank of the first element with a score in the range.
    pub fn first_in_score_range(
        &self,
        min: f64,
        min_ex: bool,
        max: f64,
        max_ex: bool,
    ) -> Option<usize> {
        let path = self.descend(|s, _, _| !score_gte_min(s, min, min_ex));
        let x = self.next0(path.update[0]);
        // The first node >= min is in range iff it is also <= max.
        (x != NIL && score_lte_max(self.nodes[x as usize].score, max, max_ex))
            .then_some(path.rank[0] as usize)
    }

    /// 0-based rank of the last element with a score in the range.
    pub fn last_in_score_range(
        &self,
        min: f64,
        min_ex: bool,
        max: f64,
        max_ex: bool,
    ) -> Option<usize> {
        let path = self.descend(|s, _, _| score_lte_max(s, max, max_ex));
        let x = path.update[0];
        (x != HEAD && score_gte_min(self.nodes[x as usize].score, min, min_ex))
            .then(|| path.rank[0] as usize - 1)
    }

    /// 0-based rank of the first element whose member is in the range.
    /// Meaningful only when all scores are equal, as in ZRANGEBYLEX.
    pub fn first_in_lex_range(&self, min: &LexBound, max: &LexBound) -> Option<usize> {
        let path = self.descend(|_, id, _| !lex_gte_min(self.member_of(id), min));
        let x = self.next0(path.update[0]);
        (x != NIL && lex_lte_max(self.nodes[x as usize].member(), max))
            .then_some(path.rank[0] as usize)
    }

    /// 0-based rank of the last element whose member is in the range.
    pub fn last_in_lex_range(&self, min: &LexBound, max: &LexBound) -> Option<usize> {
        let path = self.descend(|_, id, _| lex_lte_max(self.member_of(id), max));
        let x = path.update[0];
        (x != HEAD && lex_gte_min(self.nodes[x as usize].member(), min))
            .then(|| path.rank[0] as usize - 1)
    }

    // ANCHOR: delete_range
    /// Deletes nodes from the one after `path.update[0]` for as long as
    /// `in_range` holds. After each unlink the path is still right for the
    /// next node: each `update[i]` is still the last node before it on
    /// level i, so one descent serves the whole range.
    fn delete_while(
        &mut self,
        path: &Path,
        mut in_range: impl FnMut(&Node, usize) -> bool,
    ) -> Vec<Sds> {
        let mut removed = Vec::new();
        let mut x = self.next0(path.update[0]);
        // 1-based rank x had before any deletion.
        let mut rank1 = path.rank[0] as usize + 1;
        while x != NIL && in_range(&self.nodes[x as usize], rank1) {
            let next = self.next0(x);
            self.unlink(x, path);
            removed.push(self.release(x));
            x = next;
            rank1 += 1;
        }
        removed
    }
    // ANCHOR_END: delete_range

    /// Deletes 0-based ranks `start..=end_inclusive` (clamped to the list)
    /// and returns the removed members in order, as the blocks the list
    /// held (no copy).
    pub fn delete_range_by_rank(&mut self, start: usize, end_inclusive: usize) -> Vec<Sds> {
        if start > end_inclusive || start >= self.len() {
            return Vec::new();
        }
        // start < len < u32::MAX, so it fits.
        let start = start as u32;
        let path = self.descend(|_, _, r| r <= start);
        self.delete_while(&path, |_, r| r - 1 <= end_inclusive)
    }

    pub fn delete_range_by_score(
        &mut self,
        min: f64,
        min_ex: bool,
        max: f64,
        max_ex: bool,
    ) -> Vec<Sds> {
        let path = self.descend(|s, _, _| !score_gte_min(s, min, min_ex));
        self.delete_while(&path, |n, _| score_lte_max(n.score, max, max_ex))
    }

    pub fn delete_range_by_lex(&mut self, min: &LexBound, max: &LexBound) -> Vec<Sds> {
        let path = self.descend(|_, id, _| !lex_gte_min(self.member_of(id), min));
        self.delete_while(&path, |n, _| lex_lte_max(n.member(), max))
    }

    // ---------------------------------------------------------------------
    // Iteration
    // ---------------------------------------------------------------------

    /// Elements from 0-based `rank` to the end, in order.
    pub fn iter_from_rank(&self, rank: usize) -> Iter<'_> {
        let cur = rank.checked_add(1).map_or(NIL, |r| self.node_at_rank1(r));
        Iter {
            list: self,
            cur,
            forward: true,
        }
    }

    /// Elements from 0-based `rank` back to the first, following backward
    /// pointers.
    pub fn iter_rev_from_rank(&self, rank: usize) -> Iter<'_> {
        let cur = rank.checked_add(1).map_or(NIL, |r| self.node_at_rank1(r));
        Iter {
            list: self,
            cur,
            forward: false,
        }
    }

    // ANCHOR: iter_from_score
    /// Elements with score >= `min` (> with `min_ex`), in order, and the
    /// 0-based rank of the first one: ZRANGEBYSCORE's start in one descent.
    /// When no element qualifies, the iterator is empty and the rank is
    /// `len()`, a rank no element has (all four `iter_*_from_*` share this
    /// rule). The caller stops the walk at its own upper bound.
    pub fn iter_from_score(&self, min: f64, min_ex: bool) -> (usize, Iter<'_>) {
        let path = self.descend(|s, _, _| !score_gte_min(s, min, min_ex));
        self.forward_from(&path)
    }

    /// Elements with score <= `max` (< with `max_ex`), from the last one
    /// back, and the 0-based rank of that last one (`len()` and an empty
    /// iterator when there is none).
    pub fn iter_rev_from_score(&self, max: f64, max_ex: bool) -> (usize, Iter<'_>) {
        let path = self.descend(|s, _, _| score_lte_max(s, max, max_ex));
        self.backward_from(&path)
    }
    // ANCHOR_END: iter_from_score

    /// Elements whose member is at or past `min` (as ZRANGEBYLEX reads it),
    /// and the rank of the first; meaningful when all scores are equal.
    pub fn iter_from_lex(&self, min: &LexBound) -> (usize, Iter<'_>) {
        let path = self.descend(|_, id, _| !lex_gte_min(self.member_of(id), min));
        self.forward_from(&path)
    }

    /// Elements whose member is at or before `max`, from the last one
    /// back, and the rank of that last one.
    pub fn iter_rev_from_lex(&self, max: &LexBound) -> (usize, Iter<'_>) {
        let path = self.descend(|_, id, _| lex_lte_max(self.member_of(id), max));
        self.backward_from(&path)
    }

    /// A forward walk from the node after the path's end on level 0: the
    /// first node the descent did not go past, at 0-based rank `rank[0]`.
    fn forward_from(&self, path: &Path) -> (usize, Iter<'_>) {
        let cur = self.next0(path.update[0]);
        let rank = if cur == NIL {
            self.len()
        } else {
            path.rank[0] as usize
        };
        let it = Iter {
            list: self,
            cur,
            forward: true,
        };
        (rank, it)
    }

    /// A backward walk from the path's end on level 0: the last node the
    /// descent went past, at 1-based rank `rank[0]`.
    fn backward_from(&self, path: &Path) -> (usize, Iter<'_>) {
        let last = path.update[0];
        let (rank, cur) = if last == HEAD {
            (self.len(), NIL)
        } else {
            (path.rank[0] as usize - 1, last)
        };
        let it = Iter {
            list: self,
            cur,
            forward: false,
        };
        (rank, it)
    }

    // ---------------------------------------------------------------------
    // Invariants
    // ---------------------------------------------------------------------

    /// Panics if any numbered invariant in the header is broken. O(N log N)
    /// expected; for tests.
    pub fn check_invariants(&self) {
        let len = self.len();
        // 1 and 4: level 0 order, backward links, len, tail. pos[x] is x's
        // 1-based rank, or NIL for a slot not on level 0.
        let mut order: Vec<u32> = Vec::with_capacity(len);
        let mut pos = vec![NIL; self.nodes.len()];
        pos[HEAD as usize] = 0;
        let mut prev = NIL;
        let mut x = self.next0(HEAD);
        while x != NIL {
            assert!(order.len() < len, "level 0 is longer than len (or loops)");
            let n = &self.nodes[x as usize];
            assert!(!n.score.is_nan(), "NaN score");
            assert_eq!(pos[x as usize], NIL, "node {x} appears twice on level 0");
            assert_eq!(n.backward, prev, "backward of node {x}");
            if prev != NIL {
                let p = &self.nodes[prev as usize];
                assert_eq!(
                    cmp_key(p.score, p.member(), n.score, n.member()),
                    Ordering::Less,
                    "level 0 out of order"
                );
            }
            order.push(x);
            pos[x as usize] = order.len() as u32;
            prev = x;
            x = n.next0;
        }
        assert_eq!(order.len(), len, "len");
        assert_eq!(self.tail, prev, "tail");

        // 5: level and the head's unused links.
        let height = |id: u32| usize::from(self.nodes[id as usize].height);
        let tallest = order.iter().map(|&id| height(id)).max().unwrap_or(1);
        assert_eq!(self.level, tallest.max(1), "level is the tallest height");
        assert_eq!(height(HEAD), MAX_LEVEL);
        assert_eq!(self.nodes[HEAD as usize].upper, 0, "head's run");
        for i in self.level..MAX_LEVEL {
            let l = self.link(HEAD, i);
            assert!(
                l.next == NIL && l.span == 0,
                "head level {i} unused but set"
            );
        }

        // 2 and 3: each level lists exactly the tall-enough nodes, in order,
        // and every span is a rank difference. On level 0 this checks that
        // the implied span is right, i.e. that only the tail links to nil.
        for i in 0..self.level {
            let expected: Vec<u32> = order.iter().copied().filter(|&id| height(id) > i).collect();
            let mut seen = Vec::new();
            let mut x = HEAD;
            loop {
                let l = self.link(x, i);
                let want = if l.next == NIL {
                    len as u32 - pos[x as usize]
                } else {
                    pos[l.next as usize] - pos[x as usize]
                };
                assert_eq!(l.span, want, "span of node {x} on level {i}");
                if l.next == NIL {
                    break;
                }
                // 8: the link's copies of its target's fields.
                if i >= 1 {
                    let t = &self.nodes[l.next as usize];
                    assert_eq!(
                        l.next_score.to_bits(),
                        t.score.to_bits(),
                        "cached score of node {x}'s level-{i} link"
                    );
                    assert_eq!(
                        l.next_upper, t.upper,
                        "cached upper of node {x}'s level-{i} link"
                    );
                }
                assert!(seen.len() < expected.len(), "level {i} has extra nodes");
                seen.push(l.next);
                x = l.next;
            }
            assert_eq!(seen, expected, "level {i} membership");
        }

        // 6: live and free slots partition the arena; members and their bytes.
        let mut member_bytes = 0;
        for &id in &order {
            let n = &self.nodes[id as usize];
            assert!((1..=MAX_LEVEL).contains(&height(id)), "height of {id}");
            match &n.member {
                Some(m) => member_bytes += m.alloc_size(),
                None => panic!("live node {id} has no member"),
            }
        }
        assert_eq!(self.member_bytes, member_bytes, "member_bytes");
        let mut free_seen = vec![false; self.nodes.len()];
        for &f in &self.free {
            let n = &self.nodes[f as usize];
            assert!(f != HEAD, "head on the free list");
            assert!(
                !free_seen[f as usize] && pos[f as usize] == NIL,
                "slot {f} free twice or live"
            );
            assert!(n.member.is_none() && n.height == 0, "free slot {f} in use");
            free_seen[f as usize] = true;
        }
        assert_eq!(1 + len + self.free.len(), self.nodes.len(), "leaked slots");

        // 7: the pool is exactly covered by the head's, the live nodes' and
        // the free runs.
        let mut owner = vec![false; self.pool.len()];
        let mut claim = |at: u32, k: usize, who: &str| {
            let at = at as usize;
            assert!(at + k <= owner.len(), "{who}'s run runs off the pool");
            for o in &mut owner[at..at + k] {
                assert!(!*o, "pool entry claimed twice ({who})");
                *o = true;
            }
        };
        claim(0, MAX_LEVEL - 1, "head");
        for &id in &order {
            let n = &self.nodes[id as usize];
            if n.height == 1 {
                assert_eq!(n.upper, NIL, "height-1 node {id} has a run");
            } else {
                claim(n.upper, height(id) - 1, "live node");
            }
        }
        for (k, runs) in self.pool_free.iter().enumerate() {
            assert!(k > 0 || runs.is_empty(), "free runs of length 0");
            for &at in runs {
                claim(at, k, "free run");
            }
        }
        assert!(owner.iter().all(|&o| o), "pool entries leaked");
    }
}

/// Walks level 0 forward or backward from a starting node.
pub struct Iter<'a> {
    list: &'a SkipList,
    cur: u32,
    forward: bool,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (f64, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.cur == NIL {
            return None;
        }
        let n = &self.list.nodes[self.cur as usize];
        self.cur = if self.forward { n.next0 } else { n.backward };
        Some((n.score, n.member()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Model = Vec<(f64, Vec<u8>)>;

    /// Test-side randomness, separate from the list's own.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Few distinct scores and members so ties and equal members are common.
    const SCORES: [f64; 8] = [
        f64::NEG_INFINITY,
        -2.5,
        -1.0,
        0.0,
        1.0,
        3.0,
        7.5,
        f64::INFINITY,
    ];

    fn random_key(rng: &mut Rng) -> (f64, Vec<u8>) {
        let score = SCORES[rng.below(SCORES.len())];
        let member = format!("m{}", rng.below(300)).into_bytes();
        (score, member)
    }

    /// Removed members as plain byte vectors, to compare with the model.
    fn bytes(removed: Vec<Sds>) -> Vec<Vec<u8>> {
        removed.iter().map(Sds::to_vec).collect()
    }

    fn model_pos(model: &Model, score: f64, member: &[u8]) -> Result<usize, usize> {
        model.binary_search_by(|(s, m)| cmp_key(*s, m, score, member))
    }

    fn model_has_member(model: &Model, member: &[u8]) -> bool {
        model.iter().any(|(_, m)| m == member)
    }

    fn assert_matches(list: &SkipList, model: &Model) {
        list.check_invariants();
        assert_eq!(list.len(), model.len());
        let got: Vec<(f64, Vec<u8>)> = list
            .iter_from_rank(0)
            .map(|(s, m)| (s, m.to_vec()))
            .collect();
        assert_eq!(&got, model);
    }

    fn random_bound(rng: &mut Rng) -> (f64, bool) {
        let v = match rng.below(10) {
            0 => f64::NEG_INFINITY,
            1 => f64::INFINITY,
            _ => SCORES[rng.below(SCORES.len())],
        };
        (v, rng.below(2) == 0)
    }

    fn in_score_range(s: f64, min: f64, min_ex: bool, max: f64, max_ex: bool) -> bool {
        score_gte_min(s, min, min_ex) && score_lte_max(s, max, max_ex)
    }

    fn random_lex_bound(rng: &mut Rng) -> LexBound {
        let m = format!("m{}", rng.below(40)).into_bytes();
        match rng.below(6) {
            0 => LexBound::NegInf,
            1 => LexBound::PosInf,
            2 | 3 => LexBound::Inclusive(m),
            _ => LexBound::Exclusive(m),
        }
    }

    /// What a forward one-descent start must return: the rank of the first
    /// model element for which `from` holds (len if none) and the elements
    /// from there on.
    fn model_forward(model: &Model, from: impl Fn(&(f64, Vec<u8>)) -> bool) -> (usize, Model) {
        match model.iter().position(from) {
            Some(i) => (i, model[i..].to_vec()),
            None => (model.len(), Model::new()),
        }
    }

    /// The reverse twin: the rank of the last element for which `upto`
    /// holds (len if none) and the elements from there back to the first.
    fn model_backward(model: &Model, upto: impl Fn(&(f64, Vec<u8>)) -> bool) -> (usize, Model) {
        match model.iter().rposition(upto) {
            Some(j) => (j, model[..=j].iter().rev().cloned().collect()),
            None => (model.len(), Model::new()),
        }
    }

    fn collect(got: (usize, Iter<'_>)) -> (usize, Model) {
        (got.0, got.1.map(|(s, m)| (s, m.to_vec())).collect())
    }

    fn model_with(items: &[(f64, &str)]) -> (SkipList, Model) {
        let mut list = SkipList::with_seed(7);
        let mut model = Model::new();
        for &(s, m) in items {
            list.insert(s, m.as_bytes());
            list.check_invariants();
            model.push((s, m.as_bytes().to_vec()));
        }
        model.sort_by(|a, b| cmp_key(a.0, &a.1, b.0, &b.1));
        (list, model)
    }

    #[test]
    fn empty_list_has_no_ranks_and_no_ranges() {
        let list = SkipList::with_seed(1);
        list.check_invariants();
        assert!(list.is_empty());
        assert_eq!(list.get_by_rank(0), None);
        assert_eq!(list.rank(1.0, b"a"), None);
        assert_eq!(
            list.first_in_score_range(f64::NEG_INFINITY, false, f64::INFINITY, false),
            None
        );
        assert_eq!(
            list.last_in_lex_range(&LexBound::NegInf, &LexBound::PosInf),
            None
        );
        assert_eq!(list.iter_from_rank(0).count(), 0);
        assert_eq!(list.iter_rev_from_rank(usize::MAX).count(), 0);
    }

    #[test]
    fn equal_scores_are_ordered_by_member_bytes() {
        let (list, _) = model_with(&[(1.0, "b"), (1.0, "a"), (0.5, "z"), (1.0, "ab"), (2.0, "a")]);
        let got: Vec<(f64, &[u8])> = list.iter_from_rank(0).collect();
        let want: Vec<(f64, &[u8])> = vec![
            (0.5, b"z"),
            (1.0, b"a"),
            (1.0, b"ab"),
            (1.0, b"b"),
            (2.0, b"a"),
        ];
        assert_eq!(got, want);
    }

    /// The five-element list drawn in the header and the chapter, built
    /// with fixed heights instead of coin flips.
    fn chapter_example() -> SkipList {
        let mut list = SkipList::with_seed(7);
        for (score, member, height) in [
            (30.0, "d", 3),
            (5.0, "a", 1),
            (40.0, "e", 1),
            (10.0, "b", 2),
            (20.0, "c", 1),
        ] {
            list.insert_with_height(score, Sds::new(member.as_bytes()), height);
            list.check_invariants();
        }
        list
    }

    #[test]
    fn rank_is_the_sum_of_spans_in_the_chapter_example() {
        let list = chapter_example();
        let span = |i| list.link(HEAD, i).span;
        assert_eq!((span(2), span(1), span(0)), (4, 2, 1));
        // (score 20, "c"): head -(2)-> 10 on L1, then -(1)-> 20 on L0.
        assert_eq!(list.rank(20.0, b"c"), Some(2));
        // (score 40, "e"): head -(4)-> 30 on L2, then -(1)-> 40 on L0.
        assert_eq!(list.rank(40.0, b"e"), Some(4));
        let want = [
            (5.0, "a"),
            (10.0, "b"),
            (20.0, "c"),
            (30.0, "d"),
            (40.0, "e"),
        ];
        for (i, (s, m)) in want.iter().enumerate() {
            assert_eq!(list.rank(*s, m.as_bytes()), Some(i));
            assert_eq!(list.get_by_rank(i), Some((*s, m.as_bytes())));
        }
        assert_eq!(list.rank(20.0, b"x"), None);
        assert_eq!(list.get_by_rank(5), None);
    }

    #[test]
    fn deleting_the_tallest_node_lowers_the_level_and_merges_spans() {
        let mut list = chapter_example();
        assert_eq!(list.level, 3);
        assert!(list.delete(30.0, b"d"));
        list.check_invariants();
        assert_eq!(list.level, 2);
        // 10's L1 link used to end at 30 (span 2); it now runs to nil past 20 and 40.
        assert_eq!(list.rank(40.0, b"e"), Some(3));
    }

    #[test]
    fn same_seed_builds_the_same_towers() {
        let heights = |seed| {
            let mut l = SkipList::with_seed(seed);
            for i in 0..200u32 {
                l.insert(f64::from(i), b"m");
            }
            (0..l.nodes.len())
                .map(|i| l.nodes[i].height)
                .collect::<Vec<_>>()
        };
        assert_eq!(heights(42), heights(42));
        assert_ne!(heights(42), heights(43));
    }

    #[test]
    fn heights_follow_a_one_in_four_promotion() {
        let mut l = SkipList::with_seed(99);
        let n = 40_000;
        let mut at_least = [0usize; 4];
        for _ in 0..n {
            let h = l.random_level();
            for (k, c) in at_least.iter_mut().enumerate() {
                if h > k {
                    *c += 1;
                }
            }
        }
        assert_eq!(at_least[0], n);
        // Expected 10000, 2500, 625; allow generous slack.
        assert!((9_000..11_000).contains(&at_least[1]), "{at_least:?}");
        assert!((2_100..2_900).contains(&at_least[2]), "{at_least:?}");
        assert!((450..800).contains(&at_least[3]), "{at_least:?}");
    }

    #[test]
    fn update_in_place_keeps_the_node_and_reorder_reinserts() {
        let (mut list, _) = model_with(&[(1.0, "a"), (2.0, "b"), (3.0, "c")]);
        let slots = list.nodes.len();
        // 2.0 -> 2.5 stays between a and c: rewritten in place.
        assert!(list.update_score(2.0, b"b", 2.5));
        list.check_invariants();
        assert_eq!(list.rank(2.5, b"b"), Some(1));
        // 2.5 -> 9 moves past c: unlinked and reinserted in the same slot.
        assert!(list.update_score(2.5, b"b", 9.0));
        list.check_invariants();
        assert_eq!(list.rank(9.0, b"b"), Some(2));
        assert_eq!(list.nodes.len(), slots, "the freed slot was reused");
        // Missing pairs are not touched.
        assert!(!list.update_score(2.5, b"b", 1.0));
        assert!(!list.update_score(9.0, b"zz", 1.0));
        list.check_invariants();
    }

    #[test]
    fn update_to_an_equal_score_orders_by_member() {
        let (mut list, _) = model_with(&[(1.0, "b"), (2.0, "a"), (2.0, "c")]);
        // b moves from 1.0 to 2.0 and must land between a and c.
        assert!(list.update_score(1.0, b"b", 2.0));
        list.check_invariants();
        let members: Vec<&[u8]> = list.iter_from_rank(0).map(|(_, m)| m).collect();
        assert_eq!(members, vec![b"a" as &[u8], b"b", b"c"]);
    }

    #[test]
    fn reverse_iteration_follows_backward_pointers() {
        let (list, model) = model_with(&[(3.0, "c"), (1.0, "a"), (2.0, "b"), (2.0, "bb")]);
        let got: Vec<Vec<u8>> = list
            .iter_rev_from_rank(2)
            .map(|(_, m)| m.to_vec())
            .collect();
        let want: Vec<Vec<u8>> = model[..3].iter().rev().map(|(_, m)| m.clone()).collect();
        assert_eq!(got, want);
        assert_eq!(list.iter_from_rank(4).count(), 0);
        assert_eq!(list.iter_rev_from_rank(4).count(), 0);
    }

    #[test]
    fn score_ranges_respect_exclusive_bounds_and_infinities() {
        let (list, _) = model_with(&[
            (f64::NEG_INFINITY, "lo"),
            (1.0, "a"),
            (2.0, "b"),
            (2.0, "c"),
            (3.0, "d"),
            (f64::INFINITY, "hi"),
        ]);
        let inf = f64::INFINITY;
        assert_eq!(list.first_in_score_range(2.0, false, 3.0, false), Some(2));
        assert_eq!(list.last_in_score_range(2.0, false, 3.0, false), Some(4));
        assert_eq!(list.first_in_score_range(2.0, true, 3.0, false), Some(4));
        assert_eq!(list.last_in_score_range(1.0, false, 3.0, true), Some(3));
        assert_eq!(list.first_in_score_range(2.0, true, 3.0, true), None);
        assert_eq!(list.first_in_score_range(-inf, false, inf, false), Some(0));
        assert_eq!(list.last_in_score_range(-inf, false, inf, false), Some(5));
        assert_eq!(list.first_in_score_range(-inf, true, inf, true), Some(1));
        assert_eq!(list.last_in_score_range(-inf, true, inf, true), Some(4));
        assert_eq!(list.first_in_score_range(3.0, false, 2.0, false), None);
    }

    #[test]
    fn one_descent_score_starts_return_the_rank_of_the_first_element_yielded() {
        let (list, model) = model_with(&[(1.0, "a"), (2.0, "b"), (2.0, "c"), (3.0, "d")]);
        let (rank, it) = list.iter_from_score(2.0, false);
        assert_eq!(rank, 1);
        assert_eq!(it.map(|(_, m)| m).collect::<Vec<_>>(), [b"b", b"c", b"d"]);
        let (rank, it) = list.iter_from_score(2.0, true);
        assert_eq!((rank, it.count()), (3, 1));
        let (rank, it) = list.iter_rev_from_score(2.0, false);
        assert_eq!(rank, 2);
        assert_eq!(it.map(|(_, m)| m).collect::<Vec<_>>(), [b"c", b"b", b"a"]);
        let (rank, it) = list.iter_rev_from_score(2.0, true);
        assert_eq!((rank, it.count()), (0, 1));
        // Nothing qualifies: an empty iterator at rank len, both ways.
        assert_eq!(collect(list.iter_from_score(3.0, true)), (4, Model::new()));
        assert_eq!(
            collect(list.iter_rev_from_score(1.0, true)),
            (4, Model::new())
        );
        let inf = f64::INFINITY;
        assert_eq!(
            collect(list.iter_from_score(-inf, false)),
            (0, model.clone())
        );
        let all_rev: Model = model.iter().rev().cloned().collect();
        assert_eq!(collect(list.iter_rev_from_score(inf, false)), (3, all_rev));
        let empty = SkipList::with_seed(1);
        assert_eq!(
            collect(empty.iter_from_score(-inf, false)),
            (0, Model::new())
        );
        assert_eq!(
            collect(empty.iter_rev_from_lex(&LexBound::PosInf)),
            (0, Model::new())
        );
    }

    #[test]
    fn updating_a_tall_node_in_place_refreshes_the_links_that_cache_its_score() {
        let mut list = chapter_example();
        // 30 ("d") has height 3: the head's L1 link points at 10, and
        // 10's L1 and the head's L2 link point at 30 and cache its score.
        assert_eq!(list.link(HEAD, 2).next_score, 30.0);
        assert!(list.update_score(30.0, b"d", 35.0));
        list.check_invariants();
        assert_eq!(list.link(HEAD, 2).next_score, 35.0);
        let ten = list.link(HEAD, 1).next;
        assert_eq!(list.link(ten, 1).next_score, 35.0);
        // The search reads the new score from the cache.
        assert_eq!(list.rank(35.0, b"d"), Some(3));
        assert_eq!(list.rank(30.0, b"d"), None);
    }

    #[test]
    fn lex_ranges_follow_zrangebylex_bounds() {
        let (mut list, _) = model_with(&[(0.0, "a"), (0.0, "b"), (0.0, "c"), (0.0, "d")]);
        let inc = |s: &str| LexBound::Inclusive(s.as_bytes().to_vec());
        let exc = |s: &str| LexBound::Exclusive(s.as_bytes().to_vec());
        assert_eq!(
            list.first_in_lex_range(&inc("b"), &LexBound::PosInf),
            Some(1)
        );
        assert_eq!(
            list.first_in_lex_range(&exc("b"), &LexBound::PosInf),
            Some(2)
        );
        assert_eq!(
            list.last_in_lex_range(&LexBound::NegInf, &exc("c")),
            Some(1)
        );
        assert_eq!(
            list.last_in_lex_range(&LexBound::NegInf, &inc("c")),
            Some(2)
        );
        assert_eq!(list.first_in_lex_range(&exc("b"), &exc("c")), None);
        assert_eq!(
            list.first_in_lex_range(&LexBound::PosInf, &LexBound::PosInf),
            None
        );
        assert_eq!(
            list.first_in_lex_range(&LexBound::NegInf, &LexBound::NegInf),
            None
        );
        let gone = bytes(list.delete_range_by_lex(&exc("a"), &inc("c")));
        assert_eq!(gone, vec![b"b".to_vec(), b"c".to_vec()]);
        list.check_invariants();
        assert_eq!(list.len(), 2);
    }

    #[test]
    fn rank_range_deletion_clamps_to_the_list() {
        let (mut list, _) = model_with(&[(1.0, "a"), (2.0, "b"), (3.0, "c")]);
        assert!(list.delete_range_by_rank(3, 10).is_empty());
        assert!(list.delete_range_by_rank(2, 1).is_empty());
        assert_eq!(
            bytes(list.delete_range_by_rank(1, usize::MAX)),
            vec![b"b".to_vec(), b"c".to_vec()]
        );
        list.check_invariants();
        assert_eq!(bytes(list.delete_range_by_rank(0, 0)), vec![b"a".to_vec()]);
        list.check_invariants();
        assert!(list.is_empty());
    }

    #[test]
    fn emptying_the_list_drops_back_to_one_level() {
        let mut list = SkipList::with_seed(5);
        for i in 0..500u32 {
            list.insert(f64::from(i), b"x");
        }
        assert!(list.level > 1);
        for i in 0..500u32 {
            assert!(list.delete(f64::from(i), b"x"));
        }
        list.check_invariants();
        assert_eq!(list.level, 1);
        assert_eq!(list.free.len(), 500);
    }

    #[test]
    fn a_node_is_32_bytes_and_a_pool_link_24() {
        assert_eq!(size_of::<Node>(), 32);
        assert_eq!(size_of::<Link>(), 24);
        assert_eq!(size_of::<Option<Sds>>(), 8, "None is the null pointer");
    }

    #[test]
    fn freed_link_runs_are_reused_by_nodes_of_the_same_height() {
        let mut list = SkipList::with_seed(3);
        for (score, height) in [(1.0, 3), (2.0, 1), (3.0, 2)] {
            list.insert_with_height(score, Sds::new(b"m"), height);
            list.check_invariants();
        }
        // The head's 31 links, then runs of 2 and 1; height 1 needs none.
        assert_eq!(list.pool.len(), MAX_LEVEL - 1 + 3);
        assert!(list.delete(1.0, b"m"));
        list.check_invariants();
        let id = list.insert_with_height(4.0, Sds::new(b"m"), 3);
        list.check_invariants();
        assert_eq!(list.nodes[id as usize].upper, MAX_LEVEL as u32 - 1);
        assert_eq!(list.pool.len(), MAX_LEVEL - 1 + 3, "the run was reused");
        // No free run of one link is left, so height 2 grows the pool.
        list.insert_with_height(5.0, Sds::new(b"m"), 2);
        list.check_invariants();
        assert_eq!(list.pool.len(), MAX_LEVEL - 1 + 4);
    }

    #[test]
    fn memory_usage_counts_each_member_block_exactly_once() {
        let mut list = SkipList::with_seed(9);
        // The head alone: one arena slot and its 31 pool links.
        assert_eq!(list.memory_usage(), 32 + (MAX_LEVEL - 1) * 24);
        list.insert_with_height(1.0, Sds::new(b"a"), 1);
        list.insert_with_height(2.0, Sds::new(b"b"), 1);
        assert!(list.delete(2.0, b"b"));
        let before = list.memory_usage();
        // Reuses the freed slot and needs no pool run, so only the
        // member's block (100 bytes plus a 3-byte header) is new.
        let long = Sds::new(&[b'x'; 100]);
        assert_eq!(long.alloc_size(), 103);
        list.insert_with_height(3.0, long, 1);
        list.check_invariants();
        assert_eq!(list.memory_usage(), before + 103);
        assert!(list.delete(3.0, &[b'x'; 100]));
        list.check_invariants();
        assert_eq!(list.memory_usage(), before);
    }

    #[test]
    fn a_full_arena_costs_under_48_bytes_per_member_besides_the_member() {
        // 2^17 - 1 members plus the head fill the arena's capacity exactly,
        // so the arena counts no doubling slack. The pool holds about n/3
        // links of 24 bytes (8 per member), and its capacity may be up to
        // twice that after doubling: 32 + 8..16.
        let n = (1 << 17) - 1;
        let mut list = SkipList::with_seed(21);
        for i in 0..n {
            list.insert(f64::from(i), b"");
        }
        let overhead = list.memory_usage() - list.member_bytes;
        let per = overhead as f64 / n as f64;
        eprintln!("bytes per member besides the member block: {per:.2}");
        assert!(per < 48.0, "{per}");
    }

    #[test]
    fn insert_sds_keeps_the_callers_block() {
        let mut list = SkipList::with_seed(4);
        let member = Sds::new(b"member");
        let at = member.as_bytes().as_ptr();
        list.insert_sds(1.0, member);
        list.check_invariants();
        assert_eq!(list.get_by_rank(0).map(|(_, m)| m.as_ptr()), Some(at));
        // A range delete hands the same block back.
        let gone = list.delete_range_by_rank(0, 0);
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].as_bytes().as_ptr(), at);
        list.check_invariants();
    }

    /// One random operation applied to both the list and the model, then
    /// every query compared. The sorted-set layer keeps members unique, so
    /// the driver only inserts members the model does not hold.
    fn random_step(rng: &mut Rng, list: &mut SkipList, model: &mut Model) {
        // Out of 60: 18 inserts, 4 deletes, 8 score updates, 1/4 score-range
        // delete, 1 rank-range delete, 28 rank lookups. Range deletes are rare
        // so the list grows past a hundred nodes and several levels.
        match rng.below(60) {
            0..=17 => {
                let (s, m) = random_key(rng);
                if !model_has_member(model, &m) {
                    list.insert(s, &m);
                    let at = model_pos(model, s, &m).unwrap_err();
                    model.insert(at, (s, m));
                }
            }
            18..=21 => {
                let (s, m) = if !model.is_empty() && rng.below(2) == 0 {
                    model[rng.below(model.len())].clone()
                } else {
                    random_key(rng)
                };
                let present = model_pos(model, s, &m);
                assert_eq!(list.delete(s, &m), present.is_ok());
                if let Ok(i) = present {
                    model.remove(i);
                }
            }
            22..=29 if !model.is_empty() => {
                let i = rng.below(model.len());
                let (s, m) = model[i].clone();
                // Half the time a nudge that usually keeps the order.
                let new = if rng.below(2) == 0 {
                    s + 0.001
                } else {
                    SCORES[rng.below(SCORES.len())]
                };
                let new = if new.is_nan() { 0.0 } else { new };
                assert!(list.update_score(s, &m, new));
                model.remove(i);
                let at = model_pos(model, new, &m).unwrap_err();
                model.insert(at, (new, m));
            }
            30 if rng.below(4) == 0 => {
                let (min, min_ex) = random_bound(rng);
                let (max, max_ex) = random_bound(rng);
                let got = bytes(list.delete_range_by_score(min, min_ex, max, max_ex));
                let want: Vec<Vec<u8>> = model
                    .iter()
                    .filter(|(s, _)| in_score_range(*s, min, min_ex, max, max_ex))
                    .map(|(_, m)| m.clone())
                    .collect();
                model.retain(|(s, _)| !in_score_range(*s, min, min_ex, max, max_ex));
                assert_eq!(got, want);
            }
            31 => {
                let start = rng.below(model.len() + 3);
                let end = start + rng.below(4);
                let got = bytes(list.delete_range_by_rank(start, end));
                let hi = (end + 1).min(model.len());
                let want: Vec<Vec<u8>> = if start < hi {
                    model.drain(start..hi).map(|(_, m)| m).collect()
                } else {
                    Vec::new()
                };
                assert_eq!(got, want);
            }
            _ => {
                let (s, m) = random_key(rng);
                assert_eq!(list.rank(s, &m), model_pos(model, s, &m).ok());
            }
        }
        assert_matches(list, model);
    }

    fn check_all_queries(rng: &mut Rng, list: &SkipList, model: &Model) {
        for (i, (s, m)) in model.iter().enumerate() {
            assert_eq!(list.rank(*s, m), Some(i));
            assert_eq!(list.get_by_rank(i), Some((*s, m.as_slice())));
        }
        assert_eq!(list.get_by_rank(model.len()), None);
        if !model.is_empty() {
            let r = rng.below(model.len());
            let back: Vec<(f64, Vec<u8>)> = list
                .iter_rev_from_rank(r)
                .map(|(s, m)| (s, m.to_vec()))
                .collect();
            let want: Vec<(f64, Vec<u8>)> = model[..=r].iter().rev().cloned().collect();
            assert_eq!(back, want);
        }
        for _ in 0..4 {
            let (min, min_ex) = random_bound(rng);
            let (max, max_ex) = random_bound(rng);
            let ranks: Vec<usize> = (0..model.len())
                .filter(|&i| in_score_range(model[i].0, min, min_ex, max, max_ex))
                .collect();
            assert_eq!(
                list.first_in_score_range(min, min_ex, max, max_ex),
                ranks.first().copied()
            );
            assert_eq!(
                list.last_in_score_range(min, min_ex, max, max_ex),
                ranks.last().copied()
            );
            assert_eq!(
                collect(list.iter_from_score(min, min_ex)),
                model_forward(model, |(s, _)| score_gte_min(*s, min, min_ex))
            );
            assert_eq!(
                collect(list.iter_rev_from_score(max, max_ex)),
                model_backward(model, |(s, _)| score_lte_max(*s, max, max_ex))
            );
        }
    }

    #[test]
    fn random_operations_match_a_sorted_vec_after_every_step() {
        for seed in [1u64, 2, 3, 0xDEAD_BEEF, 77] {
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
            let mut list = SkipList::with_seed(seed);
            let mut model = Model::new();
            let (mut max_len, mut max_level) = (0, 0);
            for step in 0..2500 {
                random_step(&mut rng, &mut list, &mut model);
                if step % 25 == 0 {
                    check_all_queries(&mut rng, &list, &model);
                }
                max_len = max_len.max(model.len());
                max_level = max_level.max(list.level);
            }
            eprintln!("seed {seed}: max len {max_len}, max level {max_level}");
            assert!(max_len >= 80 && max_level >= 3, "the run stayed too small");
        }
    }

    #[test]
    fn random_lex_queries_match_a_sorted_vec_when_scores_are_equal() {
        for seed in [11u64, 12, 13] {
            let mut rng = Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1);
            let mut list = SkipList::with_seed(seed);
            let mut model = Model::new();
            for _ in 0..800 {
                if rng.below(3) > 0 {
                    let m = format!("m{}", rng.below(40)).into_bytes();
                    if !model_has_member(&model, &m) {
                        list.insert(0.0, &m);
                        let at = model_pos(&model, 0.0, &m).unwrap_err();
                        model.insert(at, (0.0, m));
                    }
                }
                let min = random_lex_bound(&mut rng);
                let max = random_lex_bound(&mut rng);
                let inr = |m: &[u8]| lex_gte_min(m, &min) && lex_lte_max(m, &max);
                let ranks: Vec<usize> = (0..model.len()).filter(|&i| inr(&model[i].1)).collect();
                assert_eq!(list.first_in_lex_range(&min, &max), ranks.first().copied());
                assert_eq!(list.last_in_lex_range(&min, &max), ranks.last().copied());
                assert_eq!(
                    collect(list.iter_from_lex(&min)),
                    model_forward(&model, |(_, m)| lex_gte_min(m, &min))
                );
                assert_eq!(
                    collect(list.iter_rev_from_lex(&max)),
                    model_backward(&model, |(_, m)| lex_lte_max(m, &max))
                );
                if rng.below(8) == 0 {
                    let got = bytes(list.delete_range_by_lex(&min, &max));
                    let want: Vec<Vec<u8>> = model
                        .iter()
                        .filter(|(_, m)| inr(m))
                        .map(|(_, m)| m.clone())
                        .collect();
                    model.retain(|(_, m)| !inr(m));
                    assert_eq!(got, want);
                }
                assert_matches(&list, &model);
            }
        }
    }
}
