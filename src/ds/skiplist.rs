//! Skiplist: the ordered index behind sorted sets.
//!
//! Chapter: chapters/16-skiplist.md
//!
//! Nodes sit in several linked lists at once; higher lists skip more nodes,
//! so a search drops down a level each time it would overshoot (Pugh,
//! "Skip Lists: A Probabilistic Alternative to Balanced Trees", 1990). Each
//! forward link also records how many level-0 steps it jumps (its `span`),
//! so adding up the spans along a search path gives a node's rank, and
//! "the element at rank r" is a search too. Nodes live in one arena `Vec`
//! and point at each other by index, which keeps the whole file safe Rust.
//!
//! ```text
//!  (span) on each link; ranks are 1-based, the head is rank 0
//!  L2  head ---------------(4)----------------> 30 -(1)-> nil
//!  L1  head -----(2)------> 10 ------(2)------> 30 -(1)-> nil
//!  L0  head -(1)-> 5 -(1)-> 10 -(1)-> 20 -(1)-> 30 -(1)-> 40 -(0)-> nil
//!      0           1        2         3         4         5          <- rank
//! ```
//!
//! Invariants:
//! 1. Level 0, followed from the head, visits every live node exactly once,
//!    in strictly increasing (score, member) order; `len` counts them and
//!    `tail` is the last one.
//! 2. A node of height h (1..=32) is linked into levels 0..h and no others,
//!    in the same order as on level 0.
//! 3. A link's `span` is the number of level-0 steps it jumps over: the rank
//!    of its target minus the rank of its source (head = 0). A link to nil
//!    spans the nodes left after its source (`len - rank`).
//! 4. `backward` is the level-0 predecessor, or nil for the first node.
//! 5. `level` is the tallest node's height (at least 1); the head's links
//!    at `level` and above are nil with span 0.
//! 6. Every arena slot but the head is either live or on the free list,
//!    never both.
//!
//! Ordering is by score, then by member bytes. Scores are never NaN (the
//! callers reject NaN before it gets here).
//!
//! Not here: the member -> score dict that sorted sets pair with this
//! (db/), score and range parsing, replies, and the listpack encoding of
//! small sorted sets.

use std::cmp::Ordering;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

// ANCHOR: consts
/// Tallest a node can be. With p = 1/4, level k is reached by 1 node in
/// 4^(k-1), so 32 levels are enough for 4^32 = 2^64 members.
pub const MAX_LEVEL: usize = 32;
/// A coin that lands "promote" one time in four: a random 16-bit number
/// below a quarter of 0xFFFF.
const PROMOTE_BELOW: u64 = 0xFFFF / 4;
// ANCHOR_END: consts

/// "No node": the end of a list, or no backward neighbour.
const NIL: usize = usize::MAX;
/// The head is a sentinel in slot 0 with MAX_LEVEL links and no key.
const HEAD: usize = 0;

// ANCHOR: types
/// One forward link: which node comes next on this level, and how many
/// level-0 steps that is (invariant 3).
#[derive(Debug, Clone, Copy)]
struct Link {
    next: usize,
    span: usize,
}

#[derive(Debug)]
struct Node {
    score: f64,
    member: Vec<u8>,
    /// Level-0 predecessor, for reverse iteration (invariant 4).
    backward: usize,
    /// `links[i]` is this node's link on level i; `links.len()` is its height.
    links: Vec<Link>,
}

/// A sorted sequence of (score, member) pairs with O(log N) insert, delete,
/// rank and range lookups (expected).
#[derive(Debug)]
pub struct SkipList {
    /// Slot 0 is the head. Freed slots are reused through `free`.
    nodes: Vec<Node>,
    free: Vec<usize>,
    tail: usize,
    len: usize,
    level: usize,
    /// xorshift64* state; never zero.
    rng: u64,
}
// ANCHOR_END: types

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
/// (`update[i]`, the head if none), and that node's 1-based rank.
struct Path {
    update: [usize; MAX_LEVEL],
    rank: [usize; MAX_LEVEL],
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
            member: Vec::new(),
            backward: NIL,
            links: vec![Link { next: NIL, span: 0 }; MAX_LEVEL],
        };
        SkipList {
            nodes: vec![head],
            free: Vec::new(),
            tail: NIL,
            len: 0,
            level: 1,
            rng: mix_seed(seed),
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    // ---------------------------------------------------------------------
    // Randomness and the arena
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

    fn alloc(&mut self, score: f64, member: Vec<u8>, height: usize) -> usize {
        let node = Node {
            score,
            member,
            backward: NIL,
            links: vec![Link { next: NIL, span: 0 }; height],
        };
        match self.free.pop() {
            Some(id) => {
                self.nodes[id] = node;
                id
            }
            None => {
                self.nodes.push(node);
                self.nodes.len() - 1
            }
        }
    }

    /// Returns an unlinked slot to the free list and hands back its member.
    fn release(&mut self, id: usize) -> Vec<u8> {
        let node = &mut self.nodes[id];
        node.links = Vec::new();
        node.backward = NIL;
        self.free.push(id);
        std::mem::take(&mut node.member)
    }

    fn next0(&self, id: usize) -> usize {
        self.nodes[id].links[0].next
    }

    // ---------------------------------------------------------------------
    // The descent every operation shares
    // ---------------------------------------------------------------------

    // ANCHOR: descend
    /// Walks from the top level down. On each level it moves right while
    /// `go_past(next_node, rank_next_would_have)` holds, then drops a level.
    /// `go_past` must be monotone along level 0 (true for a prefix of the
    /// list, false after), which every caller's predicate is.
    ///
    /// The rank of a node is the sum of the spans walked to reach it, so
    /// the path records it for free (invariant 3).
    fn descend(&self, mut go_past: impl FnMut(&Node, usize) -> bool) -> Path {
        let mut path = Path {
            update: [HEAD; MAX_LEVEL],
            rank: [0; MAX_LEVEL],
        };
        let mut x = HEAD;
        let mut rank = 0;
        for i in (0..self.level).rev() {
            loop {
                let link = self.nodes[x].links[i];
                if link.next != NIL && go_past(&self.nodes[link.next], rank + link.span) {
                    rank += link.span;
                    x = link.next;
                } else {
                    break;
                }
            }
            path.update[i] = x;
            path.rank[i] = rank;
        }
        path
    }
    // ANCHOR_END: descend

    /// Path to the last node strictly before (score, member).
    fn path_before(&self, score: f64, member: &[u8]) -> Path {
        self.descend(|n, _| cmp_key(n.score, &n.member, score, member) == Ordering::Less)
    }

    /// The node with 1-based rank `rank1`, or nil.
    fn node_at_rank1(&self, rank1: usize) -> usize {
        if rank1 == 0 || rank1 > self.len {
            return NIL;
        }
        let path = self.descend(|_, r| r <= rank1);
        if path.rank[0] == rank1 {
            path.update[0]
        } else {
            NIL
        }
    }

    // ---------------------------------------------------------------------
    // Insert and delete
    // ---------------------------------------------------------------------

    /// Adds (score, member). The caller guarantees the pair is not present
    /// (sorted sets check their dict first) and that score is not NaN.
    pub fn insert(&mut self, score: f64, member: &[u8]) {
        self.insert_owned(score, member.to_vec());
    }

    // ANCHOR: insert
    fn insert_owned(&mut self, score: f64, member: Vec<u8>) -> usize {
        let height = self.random_level();
        self.insert_with_height(score, member, height)
    }

    /// Links a new node of the given height (1..=MAX_LEVEL) into place.
    fn insert_with_height(&mut self, score: f64, member: Vec<u8>, height: usize) -> usize {
        debug_assert!(!score.is_nan(), "NaN scores are rejected by callers");
        debug_assert!((1..=MAX_LEVEL).contains(&height));
        let mut path = self.path_before(score, &member);
        debug_assert!({
            let n = self.next0(path.update[0]);
            n == NIL || cmp_key(self.nodes[n].score, &self.nodes[n].member, score, &member).is_ne()
        });

        if height > self.level {
            // New levels start at the head, whose nil link spans every node.
            for i in self.level..height {
                path.update[i] = HEAD;
                path.rank[i] = 0;
                self.nodes[HEAD].links[i].span = self.len;
            }
            self.level = height;
        }

        let id = self.alloc(score, member, height);
        // The new node's rank is rank[0] + 1. On level i its predecessor
        // sits at rank[i], so the old link from there splits in two: the
        // predecessor now jumps (rank[0] - rank[i]) + 1 steps to us, and we
        // jump what is left of the old span.
        for i in 0..height {
            let prev = path.update[i];
            let old = self.nodes[prev].links[i];
            let to_new = path.rank[0] - path.rank[i];
            self.nodes[id].links[i] = Link {
                next: old.next,
                span: old.span - to_new,
            };
            self.nodes[prev].links[i] = Link {
                next: id,
                span: to_new + 1,
            };
        }
        // Links above our height pass over the new node: one step longer.
        for i in height..self.level {
            self.nodes[path.update[i]].links[i].span += 1;
        }

        let prev0 = path.update[0];
        self.nodes[id].backward = if prev0 == HEAD { NIL } else { prev0 };
        match self.next0(id) {
            NIL => self.tail = id,
            next => self.nodes[next].backward = id,
        }
        self.len += 1;
        id
    }
    // ANCHOR_END: insert

    // ANCHOR: unlink
    /// Takes node `x` out of every level. `path.update[i]` must be the last
    /// node before `x` on level i, for every level below `self.level`.
    fn unlink(&mut self, x: usize, path: &Path) {
        for i in 0..self.level {
            let prev = path.update[i];
            if self.nodes[prev].links[i].next == x {
                // prev -> x -> y becomes prev -> y; x itself was one step.
                let through = self.nodes[x].links[i];
                let link = &mut self.nodes[prev].links[i];
                link.span = link.span + through.span - 1;
                link.next = through.next;
            } else {
                // prev's link jumps over x on this level.
                self.nodes[prev].links[i].span -= 1;
            }
        }
        let back = self.nodes[x].backward;
        match self.next0(x) {
            NIL => self.tail = back,
            next => self.nodes[next].backward = back,
        }
        // Drop empty top levels so searches don't start in thin air
        // (invariant 5).
        while self.level > 1 && self.nodes[HEAD].links[self.level - 1].next == NIL {
            self.nodes[HEAD].links[self.level - 1].span = 0;
            self.level -= 1;
        }
        self.len -= 1;
    }
    // ANCHOR_END: unlink

    /// Removes (score, member); false if it was not there.
    pub fn delete(&mut self, score: f64, member: &[u8]) -> bool {
        let path = self.path_before(score, member);
        let x = self.next0(path.update[0]);
        if x == NIL || cmp_key(self.nodes[x].score, &self.nodes[x].member, score, member).is_ne() {
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
    /// again, reusing its member bytes (and its slot, via the free list).
    pub fn update_score(&mut self, cur: f64, member: &[u8], new: f64) -> bool {
        let path = self.path_before(cur, member);
        let x = self.next0(path.update[0]);
        if x == NIL || cmp_key(self.nodes[x].score, &self.nodes[x].member, cur, member).is_ne() {
            return false;
        }
        let back = self.nodes[x].backward;
        let next = self.next0(x);
        let after_back = back == NIL || {
            let b = &self.nodes[back];
            cmp_key(b.score, &b.member, new, member) == Ordering::Less
        };
        let before_next = next == NIL || {
            let n = &self.nodes[next];
            cmp_key(new, member, n.score, &n.member) == Ordering::Less
        };
        // Real Redis: compares scores only here, a slightly stricter test;
        // see chapters/16-skiplist.md#real-redis.
        if after_back && before_next {
            self.nodes[x].score = new;
            return true;
        }
        self.unlink(x, &path);
        let owned = self.release(x);
        self.insert_owned(new, owned);
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
        let path = self.descend(|n, _| cmp_key(n.score, &n.member, score, member).is_le());
        let x = path.update[0];
        if x != HEAD && cmp_key(self.nodes[x].score, &self.nodes[x].member, score, member).is_eq() {
            Some(path.rank[0] - 1)
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
        let n = &self.nodes[x];
        Some((n.score, &n.member))
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
        let path = self.descend(|n, _| !score_gte_min(n.score, min, min_ex));
        let x = self.next0(path.update[0]);
        // The first node >= min is in range iff it is also <= max.
        (x != NIL && score_lte_max(self.nodes[x].score, max, max_ex)).then_some(path.rank[0])
    }

    /// 0-based rank of the last element with a score in the range.
    pub fn last_in_score_range(
        &self,
        min: f64,
        min_ex: bool,
        max: f64,
        max_ex: bool,
    ) -> Option<usize> {
        let path = self.descend(|n, _| score_lte_max(n.score, max, max_ex));
        let x = path.update[0];
        (x != HEAD && score_gte_min(self.nodes[x].score, min, min_ex)).then(|| path.rank[0] - 1)
    }

    /// 0-based rank of the first element whose member is in the range.
    /// Meaningful only when all scores are equal, as in ZRANGEBYLEX.
    pub fn first_in_lex_range(&self, min: &LexBound, max: &LexBound) -> Option<usize> {
        let path = self.descend(|n, _| !lex_gte_min(&n.member, min));
        let x = self.next0(path.update[0]);
        (x != NIL && lex_lte_max(&self.nodes[x].member, max)).then_some(path.rank[0])
    }

    /// 0-based rank of the last element whose member is in the range.
    pub fn last_in_lex_range(&self, min: &LexBound, max: &LexBound) -> Option<usize> {
        let path = self.descend(|n, _| lex_lte_max(&n.member, max));
        let x = path.update[0];
        (x != HEAD && lex_gte_min(&self.nodes[x].member, min)).then(|| path.rank[0] - 1)
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
    ) -> Vec<Vec<u8>> {
        let mut removed = Vec::new();
        let mut x = self.next0(path.update[0]);
        // 1-based rank x had before any deletion.
        let mut rank1 = path.rank[0] + 1;
        while x != NIL && in_range(&self.nodes[x], rank1) {
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
    /// and returns the removed members in order.
    pub fn delete_range_by_rank(&mut self, start: usize, end_inclusive: usize) -> Vec<Vec<u8>> {
        if start > end_inclusive || start >= self.len {
            return Vec::new();
        }
        let path = self.descend(|_, r| r <= start);
        self.delete_while(&path, |_, r| r - 1 <= end_inclusive)
    }

    pub fn delete_range_by_score(
        &mut self,
        min: f64,
        min_ex: bool,
        max: f64,
        max_ex: bool,
    ) -> Vec<Vec<u8>> {
        let path = self.descend(|n, _| !score_gte_min(n.score, min, min_ex));
        self.delete_while(&path, |n, _| score_lte_max(n.score, max, max_ex))
    }

    pub fn delete_range_by_lex(&mut self, min: &LexBound, max: &LexBound) -> Vec<Vec<u8>> {
        let path = self.descend(|n, _| !lex_gte_min(&n.member, min));
        self.delete_while(&path, |n, _| lex_lte_max(&n.member, max))
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

    // ---------------------------------------------------------------------
    // Invariants
    // ---------------------------------------------------------------------

    /// Panics if any numbered invariant in the header is broken. O(N log N)
    /// expected; for tests.
    pub fn check_invariants(&self) {
        // 1 and 4: level 0 order, backward links, len, tail.
        let mut order = Vec::with_capacity(self.len);
        let mut pos = vec![NIL; self.nodes.len()];
        pos[HEAD] = 0;
        let mut prev = NIL;
        let mut x = self.next0(HEAD);
        while x != NIL {
            assert!(
                order.len() < self.len,
                "level 0 is longer than len (or loops)"
            );
            let n = &self.nodes[x];
            assert!(!n.score.is_nan(), "NaN score");
            assert_eq!(pos[x], NIL, "node {x} appears twice on level 0");
            assert_eq!(n.backward, prev, "backward of node {x}");
            if prev != NIL {
                let p = &self.nodes[prev];
                assert_eq!(
                    cmp_key(p.score, &p.member, n.score, &n.member),
                    Ordering::Less,
                    "level 0 out of order"
                );
            }
            order.push(x);
            pos[x] = order.len();
            prev = x;
            x = n.links[0].next;
        }
        assert_eq!(order.len(), self.len, "len");
        assert_eq!(self.tail, prev, "tail");

        // 5: level and the head's unused links.
        let tallest = order
            .iter()
            .map(|&id| self.nodes[id].links.len())
            .max()
            .unwrap_or(1);
        assert_eq!(self.level, tallest.max(1), "level is the tallest height");
        assert_eq!(self.nodes[HEAD].links.len(), MAX_LEVEL);
        for i in self.level..MAX_LEVEL {
            let l = self.nodes[HEAD].links[i];
            assert!(
                l.next == NIL && l.span == 0,
                "head level {i} unused but set"
            );
        }

        // 2 and 3: each level lists exactly the tall-enough nodes, in order,
        // and every span is a rank difference.
        for i in 0..self.level {
            let expected: Vec<usize> = order
                .iter()
                .copied()
                .filter(|&id| self.nodes[id].links.len() > i)
                .collect();
            let mut seen = Vec::new();
            let mut x = HEAD;
            loop {
                let l = self.nodes[x].links[i];
                let want = if l.next == NIL {
                    self.len - pos[x]
                } else {
                    pos[l.next] - pos[x]
                };
                assert_eq!(l.span, want, "span of node {x} on level {i}");
                if l.next == NIL {
                    break;
                }
                assert!(seen.len() < expected.len(), "level {i} has extra nodes");
                seen.push(l.next);
                x = l.next;
            }
            assert_eq!(seen, expected, "level {i} membership");
        }
        for &id in &order {
            let h = self.nodes[id].links.len();
            assert!((1..=MAX_LEVEL).contains(&h), "height {h}");
        }

        // 6: live and free slots partition the arena.
        let mut free_seen = vec![false; self.nodes.len()];
        for &f in &self.free {
            assert!(f != HEAD && f < self.nodes.len(), "bad free slot");
            assert!(
                !free_seen[f] && pos[f] == NIL,
                "slot {f} free twice or live"
            );
            free_seen[f] = true;
        }
        assert_eq!(
            1 + self.len + self.free.len(),
            self.nodes.len(),
            "leaked slots"
        );
    }
}

/// Walks level 0 forward or backward from a starting node.
pub struct Iter<'a> {
    list: &'a SkipList,
    cur: usize,
    forward: bool,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (f64, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.cur == NIL {
            return None;
        }
        let n = &self.list.nodes[self.cur];
        self.cur = if self.forward {
            n.links[0].next
        } else {
            n.backward
        };
        Some((n.score, n.member.as_slice()))
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
            list.insert_with_height(score, member.as_bytes().to_vec(), height);
            list.check_invariants();
        }
        list
    }

    #[test]
    fn rank_is_the_sum_of_spans_in_the_chapter_example() {
        let list = chapter_example();
        let head = &list.nodes[HEAD].links;
        assert_eq!((head[2].span, head[1].span, head[0].span), (4, 2, 1));
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
                .map(|i| l.nodes[i].links.len())
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
        let gone = list.delete_range_by_lex(&exc("a"), &inc("c"));
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
            list.delete_range_by_rank(1, usize::MAX),
            vec![b"b".to_vec(), b"c".to_vec()]
        );
        list.check_invariants();
        assert_eq!(list.delete_range_by_rank(0, 0), vec![b"a".to_vec()]);
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
                let got = list.delete_range_by_score(min, min_ex, max, max_ex);
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
                let got = list.delete_range_by_rank(start, end);
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
                if rng.below(8) == 0 {
                    let got = list.delete_range_by_lex(&min, &max);
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
