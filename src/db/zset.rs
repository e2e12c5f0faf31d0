//! Sorted sets: one API over the two encodings Redis 7.0 gives them.
//!
//! Chapter: chapters/17-sorted-sets.md
//!
//! A small sorted set is one listpack of alternating members and scores,
//! kept in score order; a large one is a skiplist (for order and rank)
//! plus a dict from member to score (for O(1) ZSCORE and membership):
//!
//! ```text
//!  listpack:  [hdr | "a" | 1 | "b" | "2.5" | "c" | 3 | end]   sorted by (score, member)
//!
//!  skiplist:  dict                      skiplist (level 0 shown)
//!             "b" -> 2.5                head -> (1,"a") -> (2.5,"b") -> (3,"c")
//!             "a" -> 1
//!             "c" -> 3
//! ```
//!
//! Every operation here is written once per encoding, and callers never
//! see which one they got. Ranks are the common currency: a score or lex
//! range is first turned into the ranks of its first and last element,
//! then read or deleted by rank.
//!
//! Invariants:
//! 1. A listpack sorted set holds member, score, member, score, ... with
//!    the pairs in strictly increasing (score, member bytes) order and no
//!    member twice. Scores are stored as Redis writes them (`%.17g` text,
//!    which the listpack turns into an integer entry when it is one).
//! 2. A skiplist sorted set's dict and skiplist hold exactly the same
//!    (member, score) pairs.
//! 3. No score is NaN.
//! 4. A listpack sorted set has at most `zset-max-listpack-entries` members,
//!    each at most `zset-max-listpack-value` bytes: an add that would break
//!    this converts first. Nothing converts back, except that a result
//!    built for a *STORE command gets the smaller encoding when it fits.
//!
//! Not here: argument parsing and replies (`cmd/zset.rs`), the skiplist
//! itself (`ds/skiplist.rs`), the listpack (`ds/listpack.rs`).

use super::object::Value;
use crate::ds::dict::Dict;
use crate::ds::listpack::{self, Listpack, LpValue};
use crate::ds::sds::Sds;
use crate::ds::skiplist::{LexBound, SkipList};
use crate::ds::strconv::parse_f64;
use crate::resp::reply::format_double;

// ANCHOR: types
/// The large encoding: both structures own a copy of each member.
pub struct SkipZset {
    pub dict: Dict<Sds, f64>,
    pub list: SkipList,
}

/// The conversion thresholds, from the configuration.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// zset-max-listpack-entries
    pub entries: usize,
    /// zset-max-listpack-value
    pub value: usize,
}
// ANCHOR_END: types

impl SkipZset {
    pub fn new() -> SkipZset {
        SkipZset {
            dict: Dict::new(),
            list: SkipList::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Adds a member known to be absent.
    fn insert_new(&mut self, member: &[u8], score: f64) {
        self.list.insert(score, member);
        self.dict.insert(Sds::new(member), score);
    }

    pub fn memory_usage(&self) -> usize {
        self.dict.memory_usage()
            + self.dict.keys().map(|k| k.alloc_size()).sum::<usize>()
            + self.list.memory_usage()
    }

    /// Panics if invariant 2 or 3 is broken; for tests.
    pub fn check_invariants(&self) {
        self.list.check_invariants();
        assert_eq!(self.dict.len(), self.list.len(), "dict and skiplist sizes");
        for (score, member) in self.list.iter_from_rank(0) {
            assert!(!score.is_nan());
            let s = self.dict.get(member).copied();
            assert_eq!(
                s.map(f64::to_bits),
                Some(score.to_bits()),
                "dict score of {member:?}"
            );
        }
    }
}

impl Default for SkipZset {
    fn default() -> Self {
        Self::new()
    }
}

impl Clone for SkipZset {
    /// COPY and friends: rebuilt member by member, in order.
    fn clone(&self) -> SkipZset {
        let mut z = SkipZset::new();
        z.dict.expand(self.len());
        for (score, member) in self.list.iter_from_rank(0) {
            z.insert_new(member, score);
        }
        z
    }
}

// ---------------------------------------------------------------------------
// Ranges
// ---------------------------------------------------------------------------

/// A score interval as ZRANGEBYSCORE takes it: `(` marks an exclusive end.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreRange {
    pub min: f64,
    pub min_ex: bool,
    pub max: f64,
    pub max_ex: bool,
}

impl ScoreRange {
    /// Redis's zslParseRange: plain strtod after an optional `(`.
    pub fn parse(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
        let bound = |b: &[u8]| match b {
            [b'(', rest @ ..] => Some((crate::ds::strconv::parse_f64_lenient(rest)?, true)),
            _ => Some((crate::ds::strconv::parse_f64_lenient(b)?, false)),
        };
        let (min, min_ex) = bound(min)?;
        let (max, max_ex) = bound(max)?;
        Some(ScoreRange {
            min,
            min_ex,
            max,
            max_ex,
        })
    }

    pub fn gte_min(&self, s: f64) -> bool {
        if self.min_ex {
            s > self.min
        } else {
            s >= self.min
        }
    }

    pub fn lte_max(&self, s: f64) -> bool {
        if self.max_ex {
            s < self.max
        } else {
            s <= self.max
        }
    }

    pub fn contains(&self, s: f64) -> bool {
        self.gte_min(s) && self.lte_max(s)
    }

    /// No score can be inside (Redis checks this before searching).
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.min_ex || self.max_ex))
    }
}

/// A member interval as ZRANGEBYLEX takes it: `-`, `+`, `[m`, `(m`.
#[derive(Clone, Debug, PartialEq)]
pub struct LexRange {
    pub min: LexBound,
    pub max: LexBound,
}

impl LexRange {
    pub fn parse(min: &[u8], max: &[u8]) -> Option<LexRange> {
        fn bound(b: &[u8]) -> Option<LexBound> {
            match b {
                [b'+'] => Some(LexBound::PosInf),
                [b'-'] => Some(LexBound::NegInf),
                [b'(', rest @ ..] => Some(LexBound::Exclusive(rest.to_vec())),
                [b'[', rest @ ..] => Some(LexBound::Inclusive(rest.to_vec())),
                _ => None,
            }
        }
        Some(LexRange {
            min: bound(min)?,
            max: bound(max)?,
        })
    }

    pub fn gte_min(&self, m: &[u8]) -> bool {
        match &self.min {
            LexBound::NegInf => true,
            LexBound::PosInf => false,
            LexBound::Inclusive(v) => m >= v.as_slice(),
            LexBound::Exclusive(v) => m > v.as_slice(),
        }
    }

    pub fn lte_max(&self, m: &[u8]) -> bool {
        match &self.max {
            LexBound::NegInf => false,
            LexBound::PosInf => true,
            LexBound::Inclusive(v) => m <= v.as_slice(),
            LexBound::Exclusive(v) => m < v.as_slice(),
        }
    }

    /// No member can be inside (zslIsInLexRange's first test).
    pub fn is_empty(&self) -> bool {
        use LexBound::*;
        match (&self.min, &self.max) {
            (PosInf, _) | (_, NegInf) => true,
            (NegInf, _) | (_, PosInf) => false,
            (Inclusive(a), Inclusive(b)) => a > b,
            (Inclusive(a) | Exclusive(a), Inclusive(b) | Exclusive(b)) => a >= b,
        }
    }
}

// ---------------------------------------------------------------------------
// The listpack encoding
// ---------------------------------------------------------------------------

/// Opens a listpack sorted set's bytes (a copy: these are small).
fn open(bytes: &Sds) -> Listpack {
    Listpack::from_trusted(bytes.to_vec())
}

fn close(lp: &Listpack) -> Value {
    Value::ZsetLp(Sds::new(lp.as_bytes()))
}

/// A score entry back to a double. The bytes were written by us (or
/// validated on load), so a failed parse cannot happen; 0 keeps it total.
fn lp_score(v: LpValue<'_>) -> f64 {
    match v {
        LpValue::Int(i) => i as f64,
        LpValue::Str(b) => parse_f64(b).unwrap_or(0.0),
    }
}

/// The bytes of a member entry; integers are formatted into `buf`.
fn lp_member<'a>(v: &LpValue<'a>, buf: &'a mut Vec<u8>) -> &'a [u8] {
    match v {
        LpValue::Str(b) => b,
        LpValue::Int(_) => {
            buf.clear();
            v.write_to(buf);
            buf
        }
    }
}

/// Redis 7.0's d2string, as listpack scores are written: `%.17g`, except
/// that an integral value is printed as an integer first, so -0 is
/// stored as "0" (a skiplist keeps -0; the chapter shows the difference).
fn score_text(score: f64) -> Vec<u8> {
    let mut out = Vec::with_capacity(24);
    if score == 0.0 {
        out.push(b'0');
    } else {
        format_double(score, &mut out);
    }
    out
}

/// Finds `member`: (position of its entry, its score).
fn lp_find(lp: &Listpack, member: &[u8]) -> Option<(usize, f64)> {
    let mut pos = lp.first();
    while let Some(m) = pos {
        let s = lp.next(m)?;
        if lp.get(m).eq_bytes(member) {
            return Some((m, lp_score(lp.get(s))));
        }
        pos = lp.next(s);
    }
    None
}

/// Inserts (member, score) before the first pair that sorts after it
/// (invariant 1). The member must be absent.
fn lp_insert(lp: &mut Listpack, member: &[u8], score: f64) {
    let text = score_text(score);
    let mut buf = Vec::new();
    let mut pos = lp.first();
    while let Some(m) = pos {
        let Some(s) = lp.next(m) else { break };
        let cur = lp_score(lp.get(s));
        let after = cur > score || (cur == score && lp_member(&lp.get(m), &mut buf) > member);
        if after {
            let at = lp.insert_before(m, member);
            if let Some(next) = lp.next(at) {
                lp.insert_before(next, &text);
            }
            return;
        }
        pos = lp.next(s);
    }
    lp.push_back(member);
    lp.push_back(&text);
}

/// Deletes the pair whose member entry is at `m`.
fn lp_delete_pair(lp: &mut Listpack, m: usize) {
    if let Some(s) = lp.delete(m) {
        lp.delete(s);
    }
}

fn lp_len(bytes: &Sds) -> usize {
    // The header's count is exact below 65535 entries, which is always so
    // for a listpack within the conversion limits.
    listpack::header_entry_count(bytes).unwrap_or_else(|| open(bytes).len()) / 2
}

// ---------------------------------------------------------------------------
// Creation and conversion
// ---------------------------------------------------------------------------

/// An empty sorted set in the encoding Redis 7.0's ZADD picks for a new
/// key: a skiplist when listpacks are disabled (`entries` 0) or the first
/// member is already too long, else a listpack.
pub fn new_value(first_member_len: usize, lim: &Limits) -> Value {
    if lim.entries > 0 && first_member_len <= lim.value {
        close(&Listpack::new())
    } else {
        Value::ZsetSkip(Box::default())
    }
}

pub fn is_zset(v: &Value) -> bool {
    matches!(v, Value::ZsetLp(_) | Value::ZsetSkip(_))
}

// ANCHOR: convert
/// Listpack -> skiplist + dict (invariant 4). The pairs are already in
/// order, so each skiplist insert lands at the end.
pub fn convert_to_skiplist(v: &mut Value) {
    let Value::ZsetLp(bytes) = v else { return };
    let lp = open(bytes);
    let mut z = SkipZset::new();
    z.dict.expand(lp.len() / 2);
    let mut buf = Vec::new();
    let mut pos = lp.first();
    while let Some(m) = pos {
        let Some(s) = lp.next(m) else { break };
        let mv = lp.get(m);
        z.insert_new(lp_member(&mv, &mut buf), lp_score(lp.get(s)));
        pos = lp.next(s);
    }
    *v = Value::ZsetSkip(Box::new(z));
}
// ANCHOR_END: convert

/// A sorted set from pairs already in (score, member) order with no
/// repeats, in the encoding a *STORE result gets: listpack when it fits
/// the limits (Redis's zsetConvertToListpackIfNeeded), else skiplist.
pub fn from_sorted_pairs(pairs: &[(Vec<u8>, f64)], lim: &Limits) -> Value {
    let max_len = pairs.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
    let total: usize = pairs.iter().map(|(m, _)| m.len() + 24).sum();
    if pairs.len() <= lim.entries && max_len <= lim.value && total < listpack::SAFETY_LIMIT {
        let mut lp = Listpack::new();
        for (m, s) in pairs {
            lp.push_back(m);
            lp.push_back(&score_text(*s));
        }
        close(&lp)
    } else {
        let mut z = SkipZset::new();
        z.dict.expand(pairs.len());
        for (m, s) in pairs {
            z.insert_new(m, *s);
        }
        Value::ZsetSkip(Box::new(z))
    }
}

// ---------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------

pub fn len(v: &Value) -> usize {
    match v {
        Value::ZsetLp(bytes) => lp_len(bytes),
        Value::ZsetSkip(z) => z.len(),
        _ => 0,
    }
}

pub fn score(v: &Value, member: &[u8]) -> Option<f64> {
    match v {
        Value::ZsetLp(bytes) => lp_find(&open(bytes), member).map(|(_, s)| s),
        Value::ZsetSkip(z) => z.dict.get(member).copied(),
        _ => None,
    }
}

/// 0-based rank of `member`, counted from the highest score when `rev`.
pub fn rank(v: &Value, member: &[u8], rev: bool) -> Option<usize> {
    let n = len(v);
    let r = match v {
        Value::ZsetLp(bytes) => {
            let lp = open(bytes);
            let mut pos = lp.first();
            let mut r = 0;
            loop {
                let m = pos?;
                if lp.get(m).eq_bytes(member) {
                    break r;
                }
                pos = lp.next(lp.next(m)?);
                r += 1;
            }
        }
        Value::ZsetSkip(z) => {
            let s = *z.dict.get(member)?;
            z.list.rank(s, member)?
        }
        _ => return None,
    };
    Some(if rev { n - 1 - r } else { r })
}

// ANCHOR: for_ranks
/// Calls `f(member, score)` for `count` elements starting at ascending
/// rank `start`, walking down (towards lower ranks) when `rev`. Ranks
/// outside the set end the walk early.
pub fn for_ranks(v: &Value, start: usize, count: usize, rev: bool, mut f: impl FnMut(&[u8], f64)) {
    if count == 0 {
        return;
    }
    match v {
        Value::ZsetLp(bytes) => {
            let lp = open(bytes);
            let Ok(index) = i64::try_from(start.saturating_mul(2)) else {
                return;
            };
            let mut pos = lp.seek(index);
            let mut buf = Vec::new();
            for _ in 0..count {
                let Some(m) = pos else { break };
                let Some(s) = lp.next(m) else { break };
                let mv = lp.get(m);
                f(lp_member(&mv, &mut buf), lp_score(lp.get(s)));
                pos = if rev {
                    lp.prev(m).and_then(|ps| lp.prev(ps))
                } else {
                    lp.next(s)
                };
            }
        }
        Value::ZsetSkip(z) => {
            let it = if rev {
                z.list.iter_rev_from_rank(start)
            } else {
                z.list.iter_from_rank(start)
            };
            for (s, m) in it.take(count) {
                f(m, s);
            }
        }
        _ => {}
    }
}
// ANCHOR_END: for_ranks

/// Every (member, score) pair in ascending order.
pub fn pairs(v: &Value) -> Vec<(Vec<u8>, f64)> {
    let mut out = Vec::with_capacity(len(v));
    for_ranks(v, 0, len(v), false, |m, s| out.push((m.to_vec(), s)));
    out
}

// ANCHOR: skip_range
/// What ZRANGEBYSCORE/ZRANGEBYLEX with LIMIT select from a skiplist set,
/// in one descent: skip `offset` members inside the range, then take up
/// to `limit` (all when None), walking down when `rev`. None for a
/// listpack set (callers use `score_ranks`/`lex_ranks` there).
pub fn skip_range<'a>(
    v: &'a Value,
    range: RangeRef<'_>,
    rev: bool,
    offset: usize,
    limit: Option<usize>,
) -> Option<Vec<(&'a [u8], f64)>> {
    let Value::ZsetSkip(z) = v else { return None };
    let list = &z.list;
    let mut out = Vec::new();
    let take = limit.unwrap_or(usize::MAX);
    if take == 0 {
        return Some(out);
    }
    let empty = match range {
        RangeRef::Score(r) => r.is_empty(),
        RangeRef::Lex(r) => r.is_empty(),
    };
    if empty {
        return Some(out);
    }
    // The iterator starts at the range's first (or last) member; walking
    // on, a member outside the far end stops it.
    let it = match (range, rev) {
        (RangeRef::Score(r), false) => list.iter_from_score(r.min, r.min_ex).1,
        (RangeRef::Score(r), true) => list.iter_rev_from_score(r.max, r.max_ex).1,
        (RangeRef::Lex(r), false) => list.iter_from_lex(&r.min).1,
        (RangeRef::Lex(r), true) => list.iter_rev_from_lex(&r.max).1,
    };
    let inside = |s: f64, m: &[u8]| match (range, rev) {
        (RangeRef::Score(r), false) => r.lte_max(s),
        (RangeRef::Score(r), true) => r.gte_min(s),
        (RangeRef::Lex(r), false) => r.lte_max(m),
        (RangeRef::Lex(r), true) => r.gte_min(m),
    };
    let mut skipped = 0;
    for (s, m) in it {
        if !inside(s, m) {
            break;
        }
        if skipped < offset {
            skipped += 1;
            continue;
        }
        out.push((m, s));
        if out.len() >= take {
            break;
        }
    }
    Some(out)
}

/// A score or lex range, borrowed.
#[derive(Clone, Copy)]
pub enum RangeRef<'r> {
    Score(&'r ScoreRange),
    Lex(&'r LexRange),
}
// ANCHOR_END: skip_range

/// Walks a listpack set in order and returns the ranks of the first and
/// last pair `inside` accepts, stopping at the first pair `past` says is
/// beyond the range (the pairs are sorted, so nothing after can be in).
fn lp_range_ranks(
    bytes: &Sds,
    past: impl Fn(&[u8], f64) -> bool,
    inside: impl Fn(&[u8], f64) -> bool,
) -> Option<(usize, usize)> {
    let lp = open(bytes);
    let (mut first, mut last) = (None, None);
    let mut buf = Vec::new();
    let mut pos = lp.first();
    let mut rank = 0;
    while let Some(m) = pos {
        let Some(sp) = lp.next(m) else { break };
        let mv = lp.get(m);
        let (member, score) = (lp_member(&mv, &mut buf), lp_score(lp.get(sp)));
        if past(member, score) {
            break;
        }
        if inside(member, score) {
            first.get_or_insert(rank);
            last = Some(rank);
        }
        rank += 1;
        pos = lp.next(sp);
    }
    Some((first?, last?))
}

/// Ascending ranks of the first and last member with a score in `r`.
pub fn score_ranks(v: &Value, r: &ScoreRange) -> Option<(usize, usize)> {
    if r.is_empty() {
        return None;
    }
    match v {
        Value::ZsetLp(bytes) => lp_range_ranks(bytes, |_, s| !r.lte_max(s), |_, s| r.gte_min(s)),
        Value::ZsetSkip(z) => {
            let first = z
                .list
                .first_in_score_range(r.min, r.min_ex, r.max, r.max_ex)?;
            let last = z
                .list
                .last_in_score_range(r.min, r.min_ex, r.max, r.max_ex)?;
            Some((first, last))
        }
        _ => None,
    }
}

/// Ascending ranks of the first and last member inside `r` (meaningful
/// when all scores are equal, as ZRANGEBYLEX documents).
pub fn lex_ranks(v: &Value, r: &LexRange) -> Option<(usize, usize)> {
    if r.is_empty() {
        return None;
    }
    match v {
        Value::ZsetLp(bytes) => lp_range_ranks(bytes, |m, _| !r.lte_max(m), |m, _| r.gte_min(m)),
        Value::ZsetSkip(z) => {
            let first = z.list.first_in_lex_range(&r.min, &r.max)?;
            let last = z.list.last_in_lex_range(&r.min, &r.max)?;
            Some((first, last))
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------------

/// ZADD's options.
#[derive(Clone, Copy, Debug, Default)]
pub struct AddFlags {
    pub nx: bool,
    pub xx: bool,
    pub gt: bool,
    pub lt: bool,
    pub incr: bool,
}

/// What `add` did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AddOutcome {
    Added(f64),
    Updated(f64),
    /// Present with this very score already.
    Unchanged(f64),
    /// Not done because of NX, XX, GT or LT.
    Skipped,
    /// The increment made the score NaN (inf + -inf); nothing changed.
    Nan,
}

// ANCHOR: add
/// What ZADD's options make of an add, given the member's current score:
/// Ok(new score) to write it, or Err(the outcome) when nothing changes.
fn decide(current: Option<f64>, score: f64, f: AddFlags) -> Result<f64, AddOutcome> {
    match current {
        Some(_) if f.nx => Err(AddOutcome::Skipped),
        Some(cur) => {
            let new = if f.incr { cur + score } else { score };
            if new.is_nan() {
                Err(AddOutcome::Nan)
            } else if (f.lt && new >= cur) || (f.gt && new <= cur) {
                Err(AddOutcome::Skipped)
            } else if new == cur {
                Err(AddOutcome::Unchanged(new))
            } else {
                Ok(new)
            }
        }
        None if f.xx => Err(AddOutcome::Skipped),
        None => Ok(score),
    }
}

/// Redis's zsetAdd: adds, updates or increments one member, converting a
/// listpack to a skiplist first if the add would break invariant 4.
pub fn add(v: &mut Value, score: f64, member: &[u8], f: AddFlags, lim: &Limits) -> AddOutcome {
    if score.is_nan() {
        return AddOutcome::Nan;
    }
    match v {
        Value::ZsetSkip(z) => match z.dict.get_mut(member) {
            // One dict lookup finds the score and is where the new one
            // goes; the skiplist moves the node only if the order changed.
            Some(slot) => match decide(Some(*slot), score, f) {
                Ok(new) => {
                    z.list.update_score(*slot, member, new);
                    *slot = new;
                    AddOutcome::Updated(new)
                }
                Err(outcome) => outcome,
            },
            None => match decide(None, score, f) {
                Ok(new) => {
                    z.insert_new(member, new);
                    AddOutcome::Added(new)
                }
                Err(outcome) => outcome,
            },
        },
        Value::ZsetLp(bytes) => {
            let mut lp = open(bytes);
            let found = lp_find(&lp, member);
            let new = match decide(found.map(|(_, s)| s), score, f) {
                Ok(new) => new,
                Err(outcome) => return outcome,
            };
            match found {
                Some((m, _)) => {
                    lp_delete_pair(&mut lp, m);
                    lp_insert(&mut lp, member, new);
                    *v = close(&lp);
                    AddOutcome::Updated(new)
                }
                None => {
                    let too_big = lp.bytes_len() + member.len() + 32 > listpack::SAFETY_LIMIT;
                    if lp.len() / 2 + 1 > lim.entries || member.len() > lim.value || too_big {
                        convert_to_skiplist(v);
                        if let Value::ZsetSkip(z) = v {
                            z.insert_new(member, new);
                        }
                    } else {
                        lp_insert(&mut lp, member, new);
                        *v = close(&lp);
                    }
                    AddOutcome::Added(new)
                }
            }
        }
        _ => AddOutcome::Skipped,
    }
}
// ANCHOR_END: add

/// Removes `member`; false if it was not there.
pub fn remove(v: &mut Value, member: &[u8]) -> bool {
    match v {
        Value::ZsetLp(bytes) => {
            let mut lp = open(bytes);
            match lp_find(&lp, member) {
                Some((m, _)) => {
                    lp_delete_pair(&mut lp, m);
                    *v = close(&lp);
                    true
                }
                None => false,
            }
        }
        Value::ZsetSkip(z) => match z.dict.remove(member) {
            Some((_, s)) => {
                z.list.delete(s, member);
                true
            }
            None => false,
        },
        _ => false,
    }
}

/// Deletes ascending ranks `start..=end` (within the set); returns how
/// many were deleted.
pub fn delete_ranks(v: &mut Value, start: usize, end: usize) -> usize {
    if start > end || start >= len(v) {
        return 0;
    }
    let end = end.min(len(v) - 1);
    match v {
        Value::ZsetLp(bytes) => {
            let mut lp = open(bytes);
            lp.delete_range(start * 2, (end - start + 1) * 2);
            *v = close(&lp);
        }
        Value::ZsetSkip(z) => {
            for m in z.list.delete_range_by_rank(start, end) {
                z.dict.remove(&m[..]);
            }
        }
        _ => return 0,
    }
    end - start + 1
}

/// Removes and returns up to `count` members from the low end (or the
/// high end when `max`), in pop order.
pub fn pop(v: &mut Value, count: usize, max: bool) -> Vec<(Vec<u8>, f64)> {
    let n = len(v);
    let take = count.min(n);
    if take == 0 {
        return Vec::new();
    }
    if let Value::ZsetSkip(z) = v {
        // One descent: unlink the end of the list, and take each score
        // from the dict entry that goes with it.
        let members = if max {
            z.list.delete_range_by_rank(n - take, n - 1)
        } else {
            z.list.delete_range_by_rank(0, take - 1)
        };
        let mut out: Vec<(Vec<u8>, f64)> = members
            .into_iter()
            .map(|m| {
                let score = z.dict.remove(&m[..]).map_or(0.0, |(_, s)| s);
                (m.to_vec(), score)
            })
            .collect();
        if max {
            out.reverse();
        }
        return out;
    }
    let mut out = Vec::with_capacity(take);
    let start = if max { n - 1 } else { 0 };
    for_ranks(v, start, take, max, |m, s| out.push((m.to_vec(), s)));
    if max {
        delete_ranks(v, n - take, n - 1);
    } else {
        delete_ranks(v, 0, take - 1);
    }
    out
}

/// Bytes owned on the heap (MEMORY USAGE).
pub fn heap_size(v: &Value) -> usize {
    match v {
        Value::ZsetLp(bytes) => bytes.alloc_size(),
        Value::ZsetSkip(z) => std::mem::size_of::<SkipZset>() + z.memory_usage(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Limits = Limits {
        entries: 128,
        value: 64,
    };
    const TINY: Limits = Limits {
        entries: 0,
        value: 64,
    };

    fn check(v: &Value) {
        match v {
            Value::ZsetLp(bytes) => {
                let lp = open(bytes);
                lp.check_invariants();
                assert_eq!(lp.len() % 2, 0);
                let p = pairs(v);
                for w in p.windows(2) {
                    let (a, b) = (&w[0], &w[1]);
                    assert!(a.1 < b.1 || (a.1 == b.1 && a.0 < b.0), "order {a:?} {b:?}");
                }
            }
            Value::ZsetSkip(z) => z.check_invariants(),
            _ => panic!("not a zset"),
        }
    }

    /// Test-side randomness.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    #[test]
    fn small_sets_are_listpacks_and_grow_into_skiplists() {
        let lim = Limits {
            entries: 4,
            value: 8,
        };
        let mut v = new_value(1, &lim);
        for (i, m) in ["a", "b", "c", "d"].iter().enumerate() {
            add(&mut v, i as f64, m.as_bytes(), AddFlags::default(), &lim);
        }
        assert!(matches!(v, Value::ZsetLp(_)));
        add(&mut v, 9.0, b"e", AddFlags::default(), &lim);
        assert!(matches!(v, Value::ZsetSkip(_)));
        check(&v);
        let mut w = new_value(1, &lim);
        add(&mut w, 1.0, b"123456789", AddFlags::default(), &lim);
        assert!(matches!(w, Value::ZsetSkip(_)), "long member converts");
    }

    #[test]
    fn integral_scores_are_stored_as_listpack_integers() {
        let mut v = new_value(1, &SMALL);
        add(&mut v, 3.0, b"m", AddFlags::default(), &SMALL);
        add(&mut v, 0.5, b"n", AddFlags::default(), &SMALL);
        let Value::ZsetLp(bytes) = &v else { panic!() };
        let lp = open(bytes);
        let items: Vec<String> = lp
            .iter()
            .map(|e| match e {
                LpValue::Int(i) => format!("int {i}"),
                LpValue::Str(s) => format!("str {}", String::from_utf8_lossy(s)),
            })
            .collect();
        assert_eq!(items, ["str n", "str 0.5", "str m", "int 3"]);
    }

    #[test]
    fn add_flags_follow_zadd() {
        for lim in [SMALL, TINY] {
            let mut v = new_value(1, &lim);
            let f = AddFlags::default();
            assert_eq!(add(&mut v, 1.0, b"a", f, &lim), AddOutcome::Added(1.0));
            assert_eq!(add(&mut v, 1.0, b"a", f, &lim), AddOutcome::Unchanged(1.0));
            let nx = AddFlags { nx: true, ..f };
            assert_eq!(add(&mut v, 5.0, b"a", nx, &lim), AddOutcome::Skipped);
            let xx = AddFlags { xx: true, ..f };
            assert_eq!(add(&mut v, 5.0, b"zz", xx, &lim), AddOutcome::Skipped);
            let gt = AddFlags { gt: true, ..f };
            assert_eq!(add(&mut v, 0.0, b"a", gt, &lim), AddOutcome::Skipped);
            assert_eq!(add(&mut v, 2.0, b"a", gt, &lim), AddOutcome::Updated(2.0));
            let incr = AddFlags { incr: true, ..f };
            assert_eq!(add(&mut v, 0.5, b"a", incr, &lim), AddOutcome::Updated(2.5));
            assert_eq!(
                add(&mut v, f64::INFINITY, b"a", incr, &lim),
                AddOutcome::Updated(f64::INFINITY)
            );
            assert_eq!(
                add(&mut v, f64::NEG_INFINITY, b"a", incr, &lim),
                AddOutcome::Nan
            );
            assert_eq!(score(&v, b"a"), Some(f64::INFINITY));
            check(&v);
        }
    }

    #[test]
    fn ranges_find_the_same_ranks_in_both_encodings() {
        let mut rng = Rng(0x1234_5678);
        for _round in 0..20 {
            let mut a = new_value(1, &SMALL);
            let mut b = new_value(1, &TINY);
            for _ in 0..60 {
                let m = format!("m{}", rng.below(40)).into_bytes();
                let s = rng.below(7) as f64 - 3.0;
                match rng.below(4) {
                    0 => {
                        assert_eq!(remove(&mut a, &m), remove(&mut b, &m));
                    }
                    _ => {
                        let f = AddFlags::default();
                        assert_eq!(add(&mut a, s, &m, f, &SMALL), add(&mut b, s, &m, f, &TINY));
                    }
                }
                check(&a);
                check(&b);
                assert_eq!(pairs(&a), pairs(&b));
            }
            for _ in 0..30 {
                let lo = rng.below(9) as f64 - 4.0;
                let hi = lo + rng.below(4) as f64;
                let r = ScoreRange {
                    min: lo,
                    min_ex: rng.below(2) == 0,
                    max: hi,
                    max_ex: rng.below(2) == 0,
                };
                assert_eq!(score_ranks(&a, &r), score_ranks(&b, &r), "{r:?}");
                let m = format!("m{}", rng.below(40)).into_bytes();
                assert_eq!(rank(&a, &m, false), rank(&b, &m, false));
                assert_eq!(rank(&a, &m, true), rank(&b, &m, true));
            }
            let mut ra = Vec::new();
            let mut rb = Vec::new();
            let n = len(&a);
            if n > 0 {
                for_ranks(&a, n - 1, n, true, |m, s| ra.push((m.to_vec(), s)));
                for_ranks(&b, n - 1, n, true, |m, s| rb.push((m.to_vec(), s)));
                assert_eq!(ra, rb);
            }
            assert_eq!(pop(&mut a, 3, true), pop(&mut b, 3, true));
            assert_eq!(delete_ranks(&mut a, 1, 2), delete_ranks(&mut b, 1, 2));
            assert_eq!(pairs(&a), pairs(&b));
            check(&a);
            check(&b);
        }
    }

    #[test]
    fn lex_ranges_match_in_both_encodings() {
        let mut a = new_value(1, &SMALL);
        let mut b = new_value(1, &TINY);
        for m in ["a", "b", "c", "d", "e", "1", "22"] {
            add(&mut a, 0.0, m.as_bytes(), AddFlags::default(), &SMALL);
            add(&mut b, 0.0, m.as_bytes(), AddFlags::default(), &TINY);
        }
        for (lo, hi) in [
            ("-", "+"),
            ("[b", "(d"),
            ("(a", "[a"),
            ("[1", "[3"),
            ("+", "-"),
        ] {
            let r = LexRange::parse(lo.as_bytes(), hi.as_bytes()).unwrap();
            assert_eq!(lex_ranks(&a, &r), lex_ranks(&b, &r), "{lo} {hi}");
        }
        let r = LexRange::parse(b"[b", b"(d").unwrap();
        assert_eq!(lex_ranks(&a, &r), Some((3, 4)));
        assert!(LexRange::parse(b"b", b"+").is_none());
        assert!(LexRange::parse(b"++", b"+").is_none());
    }

    #[test]
    fn store_results_take_the_small_encoding_when_they_fit() {
        let p = vec![(b"a".to_vec(), 1.0), (b"b".to_vec(), 2.0)];
        assert!(matches!(from_sorted_pairs(&p, &SMALL), Value::ZsetLp(_)));
        assert!(matches!(from_sorted_pairs(&p, &TINY), Value::ZsetSkip(_)));
        assert_eq!(pairs(&from_sorted_pairs(&p, &SMALL)), p);
        assert_eq!(pairs(&from_sorted_pairs(&p, &TINY)), p);
    }

    #[test]
    fn score_ranges_parse_like_redis() {
        let r = ScoreRange::parse(b"(1", b"+inf").unwrap();
        assert!(r.min_ex && !r.max_ex && r.max == f64::INFINITY);
        assert!(
            ScoreRange::parse(b"(", b"").is_some(),
            "strtod reads nothing as 0"
        );
        assert!(ScoreRange::parse(b"nan", b"1").is_none());
        assert!(ScoreRange::parse(b"1x", b"1").is_none());
        assert!(ScoreRange::parse(b"(1", b"1").unwrap().is_empty());
    }
}
