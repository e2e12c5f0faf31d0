//! Intset: a small set of integers kept as one sorted array of fixed-width numbers.
//!
//! Chapter: chapters/15-sets.md
//!
//! A set whose members all spell integers needs no hash table: a sorted
//! array answers "is x a member?" by binary search, costs 2, 4 or 8 bytes a
//! member, and has no pointers at all. Every element uses the same width,
//! the narrowest that holds all of them. When a value arrives that does not
//! fit, the whole array is rewritten in place at the wider width (an
//! "upgrade"); it never narrows again. The buffer is byte for byte the
//! layout of Redis 7.0, so it can go into an RDB file as it is.
//!
//! ```text
//!  [ encoding: u32 LE | length: u32 LE | e0 | e1 | ... | e(length-1) ]
//!    bytes 0..4         bytes 4..8       each `encoding` bytes, LE, ascending
//!
//!  {1, 5}:  02 00 00 00 | 02 00 00 00 | 01 00 | 05 00
//!           ^ 2-byte ints ^ 2 elements   ^ 1     ^ 5
//! ```
//!
//! Invariants:
//! 1. Bytes 0..4 hold the encoding (u32 LE), which is 2, 4 or 8.
//! 2. Bytes 4..8 hold the element count n (u32 LE), and the buffer is
//!    exactly 8 + n * encoding bytes long.
//! 3. Elements, read as signed little-endian integers of the encoding's
//!    width, are strictly increasing (sorted, no duplicates).
//!
//! Inserts here also keep the encoding the narrowest that held every value
//! ever inserted; a removal never narrows it, as in Redis. `from_bytes`
//! cannot check that history and does not try.
//!
//! Not here: when a set leaves this encoding for a hash table
//! (`set-max-intset-entries`, non-integer members: the set type in db/),
//! parsing member strings as integers, RDB framing (persist/), and commands.

use std::fmt;

/// Encoding (u32) and length (u32).
pub const HEADER_SIZE: usize = 8;
/// Widths in bytes. The encoding field stores the width itself, so the
/// ordering 2 < 4 < 8 is also "narrower than".
const ENC_16: u8 = 2;
const ENC_32: u8 = 4;
const ENC_64: u8 = 8;

/// Why `from_bytes` refused a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntsetError {
    pub reason: &'static str,
}

impl fmt::Display for IntsetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid intset: {}", self.reason)
    }
}

impl std::error::Error for IntsetError {}

fn err(reason: &'static str) -> IntsetError {
    IntsetError { reason }
}

// ---------------------------------------------------------------------------
// Widths and raw element access
// ---------------------------------------------------------------------------

// ANCHOR: width
/// The narrowest width that holds `v`: the boundaries are exactly those of
/// i16 and i32, so -32768 still fits in 2 bytes and 32768 needs 4.
fn width_for(v: i64) -> u8 {
    if i16::try_from(v).is_ok() {
        ENC_16
    } else if i32::try_from(v).is_ok() {
        ENC_32
    } else {
        ENC_64
    }
}

/// Read element `i` at width `enc` from the element area `data` (the
/// buffer after the header). Callers pass an `i` inside the area, so the
/// slice is in range; the `match` sign-extends to i64.
fn read_elem(data: &[u8], enc: u8, i: usize) -> i64 {
    let w = enc as usize;
    let b = &data[i * w..i * w + w];
    match enc {
        ENC_16 => i16::from_le_bytes([b[0], b[1]]) as i64,
        ENC_32 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64,
        _ => i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
    }
}

/// Write `v` as element `i` at width `enc`. `v` fits in `enc` (callers
/// widen first), so the truncating casts lose nothing.
fn write_elem(data: &mut [u8], enc: u8, i: usize, v: i64) {
    let w = enc as usize;
    let dst = &mut data[i * w..i * w + w];
    match enc {
        ENC_16 => dst.copy_from_slice(&(v as i16).to_le_bytes()),
        ENC_32 => dst.copy_from_slice(&(v as i32).to_le_bytes()),
        _ => dst.copy_from_slice(&v.to_le_bytes()),
    }
}
// ANCHOR_END: width

// ANCHOR: lower_bound
/// Find `v` among `n >= 1` ascending elements read by `at`.
///
/// HOW IT WORKS. `base` is a candidate and `size` the width of the window
/// starting at it; each step looks at the middle of the window and either
/// moves `base` there or not, then halves the window. After about log2(n)
/// steps one element is left: `v` itself, or the last element below `v`.
///
/// WHY NOT THE TEXTBOOK LOOP. The usual `lo`/`hi` loop with an early
/// `return` on equality branches on every comparison. When the probes are
/// unpredictable (members looked up in random order), about half those
/// branches mispredict, some 15 to 20 cycles each. Here the loop body is
/// a conditional move with no early exit, so the only branch is the loop
/// count, which depends on n alone. `benches/intset.rs` measured it at
/// roughly half the cost of the textbook loop (chapter 15, "Binary search,
/// and what it costs").
fn lower_bound(n: usize, v: i64, at: impl Fn(usize) -> i64) -> Result<usize, usize> {
    let (mut base, mut size) = (0, n);
    while size > 1 {
        let half = size / 2;
        let mid = base + half;
        base = if at(mid) <= v { mid } else { base };
        size -= half;
    }
    let cur = at(base);
    if cur == v {
        Ok(base)
    } else {
        Err(base + usize::from(cur < v))
    }
}
// ANCHOR_END: lower_bound

fn read_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

// ---------------------------------------------------------------------------
// The set
// ---------------------------------------------------------------------------

/// A sorted set of distinct `i64`s in Redis 7.0's intset byte layout.
#[derive(Clone, PartialEq, Eq)]
pub struct Intset {
    /// The whole intset, header included, exactly as Redis lays it out.
    /// Every method keeps invariants 1 to 3 between calls.
    bytes: Vec<u8>,
}

impl Default for Intset {
    fn default() -> Self {
        Intset::new()
    }
}

impl fmt::Debug for Intset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Intset(enc={}) ", self.encoding())?;
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Intset {
    /// An empty set at the narrowest width: `02 00 00 00 00 00 00 00`.
    pub fn new() -> Intset {
        let mut bytes = Vec::with_capacity(HEADER_SIZE);
        bytes.extend_from_slice(&(ENC_16 as u32).to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes());
        Intset { bytes }
    }

    // ANCHOR: from_bytes
    /// Take ownership of a buffer from an untrusted source (an RDB file, a
    /// RESTORE payload) and check all three invariants before trusting it.
    /// Nothing is allocated: the caller's buffer becomes the set.
    ///
    /// An empty set (length 0) is accepted, so `new().as_bytes()` round
    /// trips; Redis's own loader refuses one, and the RDB layer should too.
    /// Wraps bytes that came from `as_bytes` of an intset this process
    /// built, without validating them again. Never for untrusted bytes.
    pub fn from_trusted(bytes: Vec<u8>) -> Intset {
        Intset { bytes }
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Result<Intset, IntsetError> {
        if bytes.len() < HEADER_SIZE {
            return Err(err("shorter than the 8-byte header"));
        }
        let enc = match read_u32(&bytes, 0) {
            2 => ENC_16,
            4 => ENC_32,
            8 => ENC_64,
            _ => return Err(err("encoding is not 2, 4 or 8")),
        };
        // usize arithmetic can overflow on a 32-bit target (length up to
        // 2^32 times 8), so check it rather than wrap to a small number.
        let body = (read_u32(&bytes, 4) as usize).checked_mul(enc as usize);
        let total = body.and_then(|b| b.checked_add(HEADER_SIZE));
        if total != Some(bytes.len()) {
            return Err(err("length does not match the buffer size"));
        }
        let set = Intset { bytes };
        let data = set.data();
        for i in 1..set.len() {
            if read_elem(data, enc, i - 1) >= read_elem(data, enc, i) {
                return Err(err("elements not strictly increasing"));
            }
        }
        Ok(set)
    }
    // ANCHOR_END: from_bytes

    /// The buffer as Redis stores it; what an RDB writer copies out.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn len(&self) -> usize {
        read_u32(&self.bytes, 4) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes per element: 2, 4 or 8.
    pub fn encoding(&self) -> u8 {
        // Invariant 1 makes this 2, 4 or 8, so the cast is exact.
        read_u32(&self.bytes, 0) as u8
    }

    /// Total size in bytes, header included (Redis `intsetBlobLen`).
    pub fn blob_len(&self) -> usize {
        self.bytes.len()
    }

    fn data(&self) -> &[u8] {
        &self.bytes[HEADER_SIZE..]
    }

    fn data_mut(&mut self) -> &mut [u8] {
        &mut self.bytes[HEADER_SIZE..]
    }

    fn set_header(&mut self, enc: u8, len: usize) {
        // A length past u32 would need a set of at least 8 GiB; the set type
        // converts to a hash table thousands of times earlier.
        let len = u32::try_from(len).expect("intset length fits in u32");
        self.bytes[0..4].copy_from_slice(&(enc as u32).to_le_bytes());
        self.bytes[4..8].copy_from_slice(&len.to_le_bytes());
    }

    // ANCHOR: search
    /// Binary search: `Ok(i)` if `v` is element `i`, else `Err(i)` where it
    /// would be inserted to keep the order (like `slice::binary_search`).
    ///
    /// The two range checks up front are not just a shortcut: building a
    /// set from ascending values (a common SADD pattern) then appends at
    /// the end in O(1) comparisons instead of log n.
    fn search(&self, v: i64) -> Result<usize, usize> {
        let (enc, n, data) = (self.encoding(), self.len(), self.data());
        if n == 0 {
            return Err(0);
        }
        if v > read_elem(data, enc, n - 1) {
            return Err(n);
        }
        if v < read_elem(data, enc, 0) {
            return Err(0);
        }
        // One copy of the loop per width, so the width is not re-decided
        // on every probe.
        match enc {
            ENC_16 => lower_bound(n, v, |i| read_elem(data, ENC_16, i)),
            ENC_32 => lower_bound(n, v, |i| read_elem(data, ENC_32, i)),
            _ => lower_bound(n, v, |i| read_elem(data, ENC_64, i)),
        }
    }
    // ANCHOR_END: search

    /// Is `v` a member? A value wider than the encoding cannot be one, so
    /// it is rejected without a search.
    pub fn contains(&self, v: i64) -> bool {
        width_for(v) <= self.encoding() && self.search(v).is_ok()
    }

    // ANCHOR: insert
    /// Add `v`; false if it was already a member. O(n): the elements after
    /// the insertion point move one slot right.
    pub fn insert(&mut self, v: i64) -> bool {
        if width_for(v) > self.encoding() {
            self.upgrade_and_add(v);
            return true;
        }
        let pos = match self.search(v) {
            Ok(_) => return false,
            Err(pos) => pos,
        };
        let (enc, n) = (self.encoding(), self.len());
        let w = enc as usize;
        self.bytes.resize(self.bytes.len() + w, 0);
        let data = self.data_mut();
        data.copy_within(pos * w..n * w, (pos + 1) * w);
        write_elem(data, enc, pos, v);
        self.set_header(enc, n + 1);
        true
    }
    // ANCHOR_END: insert

    // ANCHOR: upgrade
    /// Widen every element to the width `v` needs, then add `v`.
    ///
    /// HOW IT WORKS. `v` does not fit the current width, so it lies outside
    /// the range of every current element: below all of them if negative,
    /// above all if positive. It goes at index 0 or index n, and no search
    /// is needed. The buffer grows to its final size first; then elements
    /// are copied from the last to the first, each to its new slot (shifted
    /// by one if `v` goes in front).
    ///
    /// WHY BACK TO FRONT. Element i moves from offset i*old to (i+s)*new,
    /// which is never smaller. Writing it can only clobber bytes at or past
    /// its own old slot, which hold elements already moved; elements 0..i
    /// still sit below i*old, untouched. Front to back would overwrite
    /// element 1 while writing element 0 at its wider size.
    fn upgrade_and_add(&mut self, v: i64) {
        let (old, new, n) = (self.encoding(), width_for(v), self.len());
        let shift = usize::from(v < 0);
        self.bytes.resize(HEADER_SIZE + (n + 1) * new as usize, 0);
        let data = self.data_mut();
        for i in (0..n).rev() {
            let x = read_elem(data, old, i);
            write_elem(data, new, i + shift, x);
        }
        write_elem(data, new, if shift == 1 { 0 } else { n }, v);
        self.set_header(new, n + 1);
    }
    // ANCHOR_END: upgrade

    /// Remove `v`; false if it was not a member. The encoding stays as it
    /// is even if every remaining element would fit a narrower one.
    pub fn remove(&mut self, v: i64) -> bool {
        if width_for(v) > self.encoding() {
            return false;
        }
        let Ok(pos) = self.search(v) else {
            return false;
        };
        let (enc, n) = (self.encoding(), self.len());
        let w = enc as usize;
        self.data_mut().copy_within((pos + 1) * w..n * w, pos * w);
        self.bytes.truncate(self.bytes.len() - w);
        self.set_header(enc, n - 1);
        true
    }

    /// Element `index` in ascending order.
    pub fn get(&self, index: usize) -> Option<i64> {
        (index < self.len()).then(|| read_elem(self.data(), self.encoding(), index))
    }

    /// Every element, ascending.
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        let (enc, data) = (self.encoding(), self.data());
        (0..self.len()).map(move |i| read_elem(data, enc, i))
    }

    /// The element at `r % len`: the caller supplies the randomness (SPOP,
    /// SRANDMEMBER), which keeps this module deterministic under test.
    pub fn random(&self, r: u64) -> Option<i64> {
        let n = self.len() as u64;
        if n == 0 {
            return None;
        }
        self.get((r % n) as usize)
    }

    pub fn min(&self) -> Option<i64> {
        self.get(0)
    }

    pub fn max(&self) -> Option<i64> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    /// Assert invariants 1 to 3. Tests call this after every mutation.
    pub fn check_invariants(&self) {
        assert!(self.bytes.len() >= HEADER_SIZE, "inv 2: header present");
        let enc = read_u32(&self.bytes, 0);
        assert!(matches!(enc, 2 | 4 | 8), "inv 1: encoding {enc}");
        assert_eq!(
            self.bytes.len(),
            HEADER_SIZE + self.len() * enc as usize,
            "inv 2: buffer size matches length"
        );
        let v: Vec<i64> = self.iter().collect();
        for pair in v.windows(2) {
            assert!(pair[0] < pair[1], "inv 3: {} before {}", pair[0], pair[1]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn hex(b: &[u8]) -> String {
        b.iter()
            .map(|x| format!("{x:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn build(vals: &[i64]) -> Intset {
        let mut s = Intset::new();
        for &v in vals {
            s.insert(v);
            s.check_invariants();
        }
        s
    }

    /// xorshift64: a fixed, dependency-free pseudo-random stream.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }
    }

    #[test]
    fn new_set_is_the_eight_byte_header_with_two_byte_encoding() {
        let s = Intset::new();
        s.check_invariants();
        assert_eq!(hex(s.as_bytes()), "02 00 00 00 00 00 00 00");
        assert_eq!((s.len(), s.is_empty(), s.encoding()), (0, true, 2));
        assert_eq!(
            (s.min(), s.max(), s.get(0), s.random(7)),
            (None, None, None, None)
        );
    }

    // The byte strings pinned below are the ones Redis 7.0.15 returns
    // inside `DUMP` for the same SADD/SREM sequences (RDB type 11, intset).

    #[test]
    fn insert_5_then_1_keeps_elements_sorted_in_two_byte_slots() {
        let mut s = Intset::new();
        assert!(s.insert(5));
        assert!(s.insert(1));
        s.check_invariants();
        assert_eq!(hex(s.as_bytes()), "02 00 00 00 02 00 00 00 01 00 05 00");
        assert_eq!(s.blob_len(), 12);
    }

    #[test]
    fn inserting_a_present_value_returns_false_and_changes_nothing() {
        let mut s = build(&[1, 5]);
        let before = s.clone();
        assert!(!s.insert(5));
        assert_eq!(s, before);
    }

    #[test]
    fn inserting_40000_upgrades_every_element_to_four_bytes() {
        let mut s = build(&[1, 5]);
        assert!(s.insert(40000));
        s.check_invariants();
        assert_eq!(
            hex(s.as_bytes()),
            "04 00 00 00 03 00 00 00 01 00 00 00 05 00 00 00 40 9c 00 00"
        );
    }

    #[test]
    fn negative_upgrade_value_goes_to_the_front() {
        let mut s = build(&[1, 5]);
        assert!(s.insert(-40000)); // -40000 = 0xFFFF63C0
        s.check_invariants();
        assert_eq!(
            hex(s.as_bytes()),
            "04 00 00 00 03 00 00 00 c0 63 ff ff 01 00 00 00 05 00 00 00"
        );
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![-40000, 1, 5]);
    }

    #[test]
    fn i64_values_upgrade_straight_from_two_to_eight_bytes() {
        let mut s = build(&[-1, 7]);
        assert!(s.insert(i64::MIN));
        s.check_invariants();
        assert_eq!(
            hex(s.as_bytes()),
            "08 00 00 00 03 00 00 00 \
             00 00 00 00 00 00 00 80 \
             ff ff ff ff ff ff ff ff \
             07 00 00 00 00 00 00 00"
        );
        assert!(s.insert(1 << 40));
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![i64::MIN, -1, 7, 1 << 40]);
    }

    #[test]
    fn width_boundaries_are_exactly_those_of_i16_and_i32() {
        assert_eq!(width_for(-32768), 2);
        assert_eq!(width_for(32767), 2);
        assert_eq!(width_for(-32769), 4);
        assert_eq!(width_for(32768), 4);
        assert_eq!(width_for(i32::MIN as i64), 4);
        assert_eq!(width_for(i32::MAX as i64), 4);
        assert_eq!(width_for(i32::MIN as i64 - 1), 8);
        assert_eq!(width_for(i32::MAX as i64 + 1), 8);
        assert_eq!(build(&[-32768, 32767]).encoding(), 2);
    }

    #[test]
    fn removing_keeps_the_wide_encoding_as_redis_does() {
        let mut s = build(&[1, 5, 40000]);
        assert!(s.remove(40000));
        s.check_invariants();
        assert_eq!(
            hex(s.as_bytes()),
            "04 00 00 00 02 00 00 00 01 00 00 00 05 00 00 00"
        );
        assert!(!s.remove(40000));
        assert!(
            !s.remove(1 << 40),
            "a value wider than the set is never a member"
        );
        assert!(s.remove(1) && s.remove(5));
        assert_eq!(hex(s.as_bytes()), "04 00 00 00 00 00 00 00");
    }

    #[test]
    fn contains_get_min_max_and_random_agree_with_the_sorted_order() {
        let s = build(&[30, -2, 1000, 7]);
        assert!(s.contains(7) && !s.contains(8) && !s.contains(1 << 33));
        assert_eq!((s.min(), s.max()), (Some(-2), Some(1000)));
        assert_eq!((s.get(1), s.get(4)), (Some(7), None));
        assert_eq!(s.random(6), Some(30)); // 6 % 4 = 2
        assert_eq!(s.random(u64::MAX), Some(1000)); // (2^64 - 1) % 4 = 3
        assert_eq!(format!("{s:?}"), "Intset(enc=2) {-2, 7, 30, 1000}");
    }

    #[test]
    fn random_operations_match_a_btreeset_after_every_step() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut model = BTreeSet::new();
        let mut s = Intset::new();
        for step in 0..20_000u32 {
            // Mostly small values so they collide; sometimes wide ones so
            // every upgrade path (2->4, 2->8, 4->8, either sign) runs.
            let r = rng.next();
            let v = match r % 16 {
                0 => (rng.next() as i64) >> (r % 40),
                1 => (rng.next() as i32) as i64,
                _ => (rng.next() % 200) as i64 - 100,
            };
            if rng.next().is_multiple_of(3) {
                assert_eq!(s.remove(v), model.remove(&v), "step {step} remove {v}");
            } else {
                assert_eq!(s.insert(v), model.insert(v), "step {step} insert {v}");
            }
            s.check_invariants();
            assert_eq!(s.len(), model.len());
            let probe = (rng.next() % 200) as i64 - 100;
            assert_eq!(s.contains(probe), model.contains(&probe));
            if step.is_multiple_of(500) {
                assert!(s.iter().eq(model.iter().copied()));
                assert_eq!(
                    (s.min(), s.max()),
                    (model.first().copied(), model.last().copied())
                );
                let need = model.iter().map(|&x| width_for(x)).max().unwrap_or(2);
                assert!(s.encoding() >= need);
                model.clear();
                s = Intset::new();
            }
        }
    }

    #[test]
    fn from_bytes_round_trips_what_insert_built() {
        for vals in [&[][..], &[1, 5], &[1, 5, 40000], &[-40000, 1 << 40]] {
            let s = build(vals);
            let back = Intset::from_bytes(s.as_bytes().to_vec()).unwrap();
            back.check_invariants();
            assert_eq!(back, s);
        }
    }

    #[test]
    fn from_bytes_rejects_short_buffers_and_bad_encodings() {
        assert!(Intset::from_bytes(vec![]).is_err());
        assert!(Intset::from_bytes(vec![2, 0, 0, 0, 0, 0, 0]).is_err());
        for enc in [0u8, 1, 3, 5, 16] {
            let e = Intset::from_bytes(vec![enc, 0, 0, 0, 0, 0, 0, 0]).unwrap_err();
            assert_eq!(e.reason, "encoding is not 2, 4 or 8");
        }
        // 2 in the high byte is 0x02000000, not 2.
        assert!(Intset::from_bytes(vec![0, 0, 0, 2, 0, 0, 0, 0]).is_err());
    }

    #[test]
    fn from_bytes_rejects_lengths_that_disagree_with_the_buffer() {
        let good = build(&[1, 5]).as_bytes().to_vec();
        let mut long = good.clone();
        long.push(0);
        let mut short = good.clone();
        short.pop();
        let mut huge = good.clone();
        huge[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        for bad in [long, short, huge] {
            let e = Intset::from_bytes(bad).unwrap_err();
            assert_eq!(e.reason, "length does not match the buffer size");
        }
    }

    #[test]
    fn from_bytes_rejects_unsorted_and_duplicate_elements() {
        let unsorted = vec![2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 1, 0];
        let dup = vec![2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 5, 0];
        // Sorted as unsigned bytes but not as signed: -1 (ff ff) after 1.
        let sign = vec![2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0xff, 0xff];
        for bad in [unsorted, dup, sign] {
            let e = Intset::from_bytes(bad).unwrap_err();
            assert_eq!(e.reason, "elements not strictly increasing");
        }
    }

    #[test]
    fn from_bytes_accepts_a_wider_encoding_than_the_values_need() {
        // Redis writes these after removals; they are valid.
        let s = Intset::from_bytes(vec![8, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!((s.encoding(), s.get(0)), (8, Some(3)));
    }

    #[test]
    fn from_bytes_never_panics_on_random_bytes() {
        // What if an RDB file hands us garbage? Mostly-valid headers make
        // the deeper checks run, and what is accepted must stay usable.
        let mut rng = Rng(0xDEAD_BEEF_CAFE_F00D);
        let mut accepted = 0;
        for _ in 0..50_000 {
            let n = (rng.next() % 6) as usize;
            let enc = [2u8, 4, 8, 3][(rng.next() % 4) as usize];
            let mut b = vec![enc, 0, 0, 0, n as u8, 0, 0, 0];
            let extra = (n * enc as usize) as i64 + (rng.next() % 5) as i64 - 2;
            for _ in 0..extra.max(0) {
                // Small byte values make ascending runs likely.
                b.push(if rng.next().is_multiple_of(2) {
                    (rng.next() % 4) as u8
                } else {
                    rng.next() as u8
                });
            }
            if rng.next().is_multiple_of(8) {
                let at = (rng.next() as usize) % b.len();
                b[at] = rng.next() as u8;
            }
            if let Ok(mut s) = Intset::from_bytes(b) {
                accepted += 1;
                s.check_invariants();
                let v = (rng.next() % 8) as i64;
                s.insert(v);
                s.check_invariants();
                s.remove(v);
                s.check_invariants();
            }
        }
        assert!(
            accepted > 1000,
            "fuzz should reach the element checks: {accepted}"
        );
    }
}
