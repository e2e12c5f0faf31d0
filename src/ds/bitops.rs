//! Bitmaps: the bit-level algorithms behind GETBIT, SETBIT, BITCOUNT,
//! BITPOS, BITOP and BITFIELD.
//!
//! Chapter: chapters/11-strings.md
//!
//! A Redis string doubles as an array of bits. Bits are numbered from the
//! most significant bit of byte 0, so bit `n` lives in byte `n / 8` under
//! the mask `0x80 >> (n % 8)`, and a hex dump of a bitmap reads its bits in
//! order, left to right. Reads past the end see zeros; writes past the end
//! first grow the string with zero bytes. Everything here works on byte
//! slices and gives the answer Redis 7.0.15 gives, quirks included (each
//! quirk is named where it is implemented); the command layer parses the
//! arguments, looks up keys and calls in.
//!
//! Invariants:
//! 1. Bit `n` of `s` is `(s[n / 8] >> (7 - n % 8)) & 1`, and 0 when
//!    `n / 8 >= s.len()`.
//! 2. Writers only ever grow a string, and the bytes they add are zero
//!    until written.
//! 3. No input makes a function panic or overflow: positions, sums and
//!    limits are computed in i128/u128 or with checked conversions.
//! 4. Ranges are normalised exactly as Redis does (negative counts from
//!    the end, then clamping), in byte or bit units.
//!
//! Not here: key lookup, argument counting, errors and replies (cmd/);
//! parsing BITFIELD values and BITPOS/BITCOUNT ranges (cmd/, with
//! `cmd::parse_i64`). The only argument tokens parsed here are BITFIELD
//! types and bit offsets, because their rules are bitmap rules.

/// proto-max-bulk-len's default, 512 MB: no bit offset may address a byte
/// at or past it (see [`parse_bit_offset`]).
pub const DEFAULT_PROTO_MAX_BULK_LEN: u64 = 512 * 1024 * 1024;

// ---------------------------------------------------------------------------
// Single bits and growing
// ---------------------------------------------------------------------------

/// The byte at index `i`, or 0 past the end (invariant 1).
fn byte_at(s: &[u8], i: u64) -> u8 {
    usize::try_from(i)
        .ok()
        .and_then(|i| s.get(i))
        .copied()
        .unwrap_or(0)
}

/// The byte at index `i` for writing, if the string is long enough.
fn byte_mut(s: &mut [u8], i: u64) -> Option<&mut u8> {
    usize::try_from(i).ok().and_then(move |i| s.get_mut(i))
}

// ANCHOR: get_bit
/// Bit `offset` of `s`, counting from the most significant bit of byte 0.
/// Bits past the end read as 0.
pub fn get_bit(s: &[u8], offset: u64) -> u8 {
    (byte_at(s, offset / 8) >> (7 - offset % 8)) & 1
}

/// Set bit `offset` to `on`, growing `s` with zero bytes if needed, and
/// return the bit's old value. The caller checks the size limit first
/// (`parse_bit_offset` does it for SETBIT's offset).
pub fn set_bit(s: &mut Vec<u8>, offset: u64, on: bool) -> u8 {
    let old = get_bit(s, offset);
    grow_to(s, bytes_needed(offset, 1));
    let mask = 0x80u8 >> (offset % 8);
    if let Some(b) = byte_mut(s, offset / 8) {
        if on {
            *b |= mask;
        } else {
            *b &= !mask;
        }
    }
    old
}
// ANCHOR_END: get_bit

/// How long a string must be to hold `width` bits starting at bit
/// `offset_bits`: `ceil((offset + width) / 8)` bytes. SETBIT uses width 1.
/// Computed in u128, so no offset can wrap it; saturates at `u64::MAX`.
pub fn bytes_needed(offset_bits: u64, width: u8) -> u64 {
    let end_bit = u128::from(offset_bits) + u128::from(width);
    u64::try_from(end_bit.div_ceil(8)).unwrap_or(u64::MAX)
}

/// Grow `s` with zeros to `len` bytes (invariant 2).
///
/// LIMITS: the caller has already refused lengths past proto-max-bulk-len.
/// If it has not and the allocation fails, the string is left as it was
/// and the writers below skip bytes that do not exist, rather than
/// aborting the process.
fn grow_to(s: &mut Vec<u8>, len: u64) {
    let Ok(len) = usize::try_from(len) else {
        return;
    };
    if len > s.len() && s.try_reserve_exact(len - s.len()).is_ok() {
        s.resize(len, 0);
    }
}

// ---------------------------------------------------------------------------
// Counting: popcount and BITCOUNT
// ---------------------------------------------------------------------------

/// Count the one bits of `s` a byte at a time: the obvious loop, kept as
/// the reference for tests and as the baseline in `benches/bitops.rs`.
pub fn popcount_naive(s: &[u8]) -> u64 {
    s.iter().map(|b| u64::from(b.count_ones())).sum()
}

// ANCHOR: popcount
/// Count the one bits of `s`, eight bytes per step.
///
/// WHY WORDS: a byte loop does one count and one add per byte; reading
/// eight bytes as a `u64` does one count (a single `popcnt` instruction
/// where the CPU has it, a dozen shifts and masks where it does not) and
/// one add per eight bytes. Byte order does not matter for a count, so
/// the word is read in native order. Four independent sums let the CPU
/// overlap the counts instead of waiting on one running total.
pub fn popcount(s: &[u8]) -> u64 {
    let mut blocks = s.chunks_exact(32);
    let mut sums = [0u64; 4];
    for block in &mut blocks {
        for (sum, word) in sums.iter_mut().zip(block.chunks_exact(8)) {
            *sum += u64::from(read_word(word).count_ones());
        }
    }
    let mut words = blocks.remainder().chunks_exact(8);
    let mut total: u64 = sums.iter().sum();
    for word in &mut words {
        total += u64::from(read_word(word).count_ones());
    }
    total + popcount_naive(words.remainder())
}
// ANCHOR_END: popcount

/// Eight bytes as a native-endian `u64`; shorter input is zero-padded.
fn read_word(bytes: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    for (d, s) in w.iter_mut().zip(bytes) {
        *d = *s;
    }
    u64::from_ne_bytes(w)
}

// ANCHOR: normalise
/// Redis's range rule over `total` units (bytes or bits): a negative index
/// counts from the end, then both ends are clamped to at least 0 and `end`
/// to at most `total - 1`. `start` is never clamped down, so a start past
/// the end gives an empty range. Returns `None` for an empty range.
fn normalise(start: i64, end: i64, total: i128) -> Option<(i128, i128)> {
    let from_end = |i: i64| {
        let i = i128::from(i);
        if i < 0 {
            (i + total).max(0)
        } else {
            i
        }
    };
    let (start, end) = (from_end(start), from_end(end).min(total - 1));
    (start <= end).then_some((start, end))
}

/// A BITCOUNT/BITPOS range as inclusive bit positions within `len` bytes.
fn bit_range(len: usize, start: i64, end: i64, bit_unit: bool) -> Option<(u64, u64)> {
    let len = len as i128;
    let (lo, hi) = if bit_unit {
        normalise(start, end, len * 8)?
    } else {
        let (s, e) = normalise(start, end, len)?;
        (s * 8, e * 8 + 7)
    };
    // Both ends are within 0..len*8 by now, so they fit a u64.
    Some((u64::try_from(lo).ok()?, u64::try_from(hi).ok()?))
}
// ANCHOR_END: normalise

/// The one bits of `s` in the inclusive bit range `lo..=hi`.
///
/// HOW IT WORKS: count every byte the range touches with the fast
/// popcount, then take back the bits of the first byte before `lo` and
/// the bits of the last byte after `hi`.
fn count_range(s: &[u8], lo: u64, hi: u64) -> u64 {
    let (first, last) = (lo / 8, hi / 8);
    let (Ok(f), Ok(l)) = (usize::try_from(first), usize::try_from(last)) else {
        return 0;
    };
    let Some(bytes) = s.get(f..=l) else {
        return 0;
    };
    let before_lo = !(0xFFu8 >> (lo % 8)); // lo % 8 = 3: 1110_0000
    let after_hi = 0x7Fu8 >> (hi % 8); // hi % 8 = 3: 0000_1111
    let extra =
        (byte_at(s, first) & before_lo).count_ones() + (byte_at(s, last) & after_hi).count_ones();
    popcount(bytes) - u64::from(extra)
}

// ANCHOR: bitcount
/// BITCOUNT key [start end [BYTE|BIT]] on the string `s` (a missing key
/// counts 0 before this is called).
///
/// `range` is `(start, end)` in bytes, or in bits when `bit_unit`.
/// Redis quirk kept: when both ends are negative and start > end the
/// answer is 0 at once, but `(-200, -100)` on a 10-byte string clamps
/// both ends to 0 and counts byte 0.
pub fn bitcount(s: &[u8], range: Option<(i64, i64)>, bit_unit: bool) -> u64 {
    let Some((start, end)) = range else {
        return popcount(s);
    };
    if start < 0 && end < 0 && start > end {
        return 0;
    }
    match bit_range(s.len(), start, end, bit_unit) {
        Some((lo, hi)) => count_range(s, lo, hi),
        None => 0,
    }
}
// ANCHOR_END: bitcount

// ---------------------------------------------------------------------------
// Searching: BITPOS
// ---------------------------------------------------------------------------

/// The first bit equal to `want` in the inclusive bit range `lo..=hi`.
///
/// HOW IT WORKS: searching for a 0 is searching for a 1 in the inverted
/// bytes, so every byte is XORed with `flip`. The range's edge bytes are
/// masked to the bits inside the range; whole bytes in between are
/// skipped eight at a time while they hold no wanted bit. In the first
/// byte that does, `leading_zeros` is the bit's place (MSB first).
fn find_bit(s: &[u8], want: bool, lo: u64, hi: u64) -> Option<u64> {
    let flip: u8 = if want { 0x00 } else { 0xFF };
    let (first, last) = (lo / 8, hi / 8);
    let masked = |i: u64| {
        let mut b = byte_at(s, i) ^ flip;
        if i == first {
            b &= 0xFF >> (lo % 8);
        }
        if i == last {
            b &= !(0x7F >> (hi % 8));
        }
        b
    };
    let hit = |i: u64, b: u8| i * 8 + u64::from(b.leading_zeros());

    let b = masked(first);
    if b != 0 {
        return Some(hit(first, b));
    }
    if first == last {
        return None;
    }
    // Whole bytes strictly between the edges, a word at a time.
    let (Ok(from), Ok(to)) = (usize::try_from(first + 1), usize::try_from(last)) else {
        return None;
    };
    let middle = s.get(from..to).unwrap_or(&[]);
    let skip = u64::from_ne_bytes([flip; 8]);
    let mut words = middle.chunks_exact(8);
    let mut i = first + 1;
    for word in &mut words {
        if read_word(word) != skip {
            break;
        }
        i += 8;
    }
    while i < last {
        let b = byte_at(s, i) ^ flip;
        if b != 0 {
            return Some(hit(i, b));
        }
        i += 1;
    }
    let b = masked(last);
    (b != 0).then(|| hit(last, b))
}

// ANCHOR: bitpos
/// BITPOS key bit [start [end [BYTE|BIT]]] on the string `s` of an
/// existing key (see [`bitpos_missing_key`] otherwise). `bit` is 0 or 1;
/// any non-zero value means 1.
///
/// Returns the absolute bit position of the first match, or -1:
/// - for an empty range (which includes every range of an empty string);
/// - when looking for a 1 and there is none;
/// - when looking for a 0 with an explicit `end` and there is none.
///
/// The one special case: looking for a 0 with no `end` given, in a range
/// that is all ones, answers the first bit past the string, `len * 8`.
/// Redis treats the string as padded with zeros to the right when the
/// client did not bound the search. Unlike BITCOUNT, BITPOS has no
/// "both negative and start > end" shortcut: `(-200, -100)` searches
/// byte 0 in both commands, `(-100, -200)` too here.
///
/// `end` without `start` is read as `start = 0` (Redis's grammar cannot
/// send it).
pub fn bitpos(s: &[u8], bit: u8, start: Option<i64>, end: Option<i64>, bit_unit: bool) -> i64 {
    let want = bit != 0;
    let range = match (start, end) {
        (None, None) => bit_range(s.len(), 0, -1, false),
        // An unbounded end is clamped to the last byte or bit anyway.
        (start, end) => bit_range(
            s.len(),
            start.unwrap_or(0),
            end.unwrap_or(i64::MAX),
            bit_unit,
        ),
    };
    let Some((lo, hi)) = range else {
        return -1;
    };
    match find_bit(s, want, lo, hi) {
        Some(pos) => i64::try_from(pos).unwrap_or(-1),
        None if !want && end.is_none() => i64::try_from(hi + 1).unwrap_or(-1),
        None => -1,
    }
}
// ANCHOR_END: bitpos

/// BITPOS on a missing key: Redis sees an endless run of zero bits, so
/// the first 0 is at 0 and there is no 1, whatever the range.
pub fn bitpos_missing_key(bit: u8) -> i64 {
    if bit != 0 {
        -1
    } else {
        0
    }
}

// ---------------------------------------------------------------------------
// BITOP
// ---------------------------------------------------------------------------

/// A BITOP operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

// ANCHOR: bitop
/// BITOP on the source strings (a missing key is passed as `b""`).
///
/// The result is as long as the longest source; a shorter source counts
/// as padded with zero bytes, so AND with a short source zeroes the tail.
/// `Not` inverts the first source only (the command layer refuses NOT
/// with more than one source, as Redis does). No sources give `[]`.
pub fn bitop(op: BitOp, srcs: &[&[u8]]) -> Vec<u8> {
    let Some((first, rest)) = srcs.split_first() else {
        return Vec::new();
    };
    if op == BitOp::Not {
        return first.iter().map(|b| !b).collect();
    }
    let len = srcs.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = first.to_vec();
    out.resize(len, 0);
    for src in rest {
        let (head, tail) = out.split_at_mut(src.len().min(len));
        match op {
            BitOp::And => {
                head.iter_mut().zip(src.iter()).for_each(|(o, s)| *o &= s);
                tail.fill(0);
            }
            BitOp::Or => head.iter_mut().zip(src.iter()).for_each(|(o, s)| *o |= s),
            BitOp::Xor => head.iter_mut().zip(src.iter()).for_each(|(o, s)| *o ^= s),
            BitOp::Not => {}
        }
    }
    out
}
// ANCHOR_END: bitop

// ---------------------------------------------------------------------------
// BITFIELD: types, offsets, reading and writing
// ---------------------------------------------------------------------------

/// A BITFIELD type: `i1`..`i64` or `u1`..`u63`. A `u63` field's largest
/// value, 2^63 - 1, is the largest that fits Redis's signed reply
/// integer; that is why `u64` does not exist. The functions below treat
/// a hand-built type with `bits` outside those ranges as the nearest
/// valid width, so it cannot make a shift overflow (invariant 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BitfieldType {
    pub signed: bool,
    pub bits: u8,
}

impl BitfieldType {
    /// The same type with `bits` forced into 1..=64 (signed) or 1..=63.
    fn clamped(self) -> Self {
        let widest = if self.signed { 64 } else { 63 };
        Self {
            signed: self.signed,
            bits: self.bits.clamp(1, widest),
        }
    }

    fn max(self) -> i128 {
        if self.signed {
            (1i128 << (self.bits - 1)) - 1
        } else {
            (1i128 << self.bits) - 1
        }
    }

    fn min(self) -> i128 {
        if self.signed {
            -(1i128 << (self.bits - 1))
        } else {
            0
        }
    }
}

/// Parse a BITFIELD type token, `None` for anything Redis refuses with
/// "Invalid bitfield type".
///
/// The letter is lower case only. The width follows Redis's strict
/// integer rules (`parse_redis_i64`): `i08` and `i+8` are refused.
/// Redis quirk kept: it reads the width as a C string, so a NUL byte ends
/// it (`"i8\0junk"` is `i8`).
pub fn parse_bitfield_type(s: &[u8]) -> Option<BitfieldType> {
    let (&letter, rest) = s.split_first()?;
    let signed = match letter {
        b'i' => true,
        b'u' => false,
        _ => return None,
    };
    let width = rest.split(|&b| b == 0).next().unwrap_or(&[]);
    let bits = parse_redis_i64(width)?;
    let widest = if signed { 64 } else { 63 };
    if !(1..=widest).contains(&bits) {
        return None;
    }
    Some(BitfieldType {
        signed,
        bits: u8::try_from(bits).ok()?,
    })
}

// ANCHOR: parse_bit_offset
/// Parse a bit offset as GETBIT, SETBIT and BITFIELD do; `None` is Redis's
/// "bit offset is not an integer or out of range".
///
/// `hash_width` is `Some(width)` for BITFIELD, where `#N` means the N-th
/// field of that width (`N * width`); GETBIT/SETBIT pass `None` and `#`
/// is just a bad digit. The result must address a byte below
/// `max_bulk_len` (the proto-max-bulk-len setting): `offset / 8 <
/// max_bulk_len`.
///
/// Redis quirk kept: `N * width` wraps around in 64 bits before the
/// checks, so `BITFIELD k GET i8 #2305843009213693953` reads bit 8
/// (2^61 + 1 times 8 is 2^64 + 8). Real Redis 7.0.15 answers exactly so.
pub fn parse_bit_offset(s: &[u8], hash_width: Option<u8>, max_bulk_len: u64) -> Option<u64> {
    let (digits, width) = match (s.split_first(), hash_width) {
        (Some((b'#', rest)), Some(w)) if w > 0 => (rest, i64::from(w)),
        _ => (s, 1),
    };
    let offset = parse_redis_i64(digits)?.wrapping_mul(width);
    let offset = u64::try_from(offset).ok()?;
    (offset / 8 < max_bulk_len).then_some(offset)
}
// ANCHOR_END: parse_bit_offset

/// A BITFIELD offset (`N` or `#N`) for a field of type `ty`, checked
/// against the default 512 MB proto-max-bulk-len. A server whose
/// proto-max-bulk-len was changed calls [`parse_bit_offset`] instead.
pub fn parse_bitfield_offset(s: &[u8], ty: BitfieldType) -> Option<u64> {
    parse_bit_offset(s, Some(ty.clamped().bits), DEFAULT_PROTO_MAX_BULK_LEN)
}

/// What BITFIELD SET and INCRBY do with a result that does not fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overflow {
    /// Keep the low bits (two's complement for signed types). The default.
    Wrap,
    /// Store the type's min or max instead.
    Sat,
    /// Store nothing; the reply for that operation is nil.
    Fail,
}

/// `bits` raw bits starting at bit `offset`, as an unsigned number.
///
/// HOW IT WORKS: a field of up to 64 bits starting anywhere inside a byte
/// touches at most 9 bytes. Load them big-endian into a u128 (missing
/// bytes are 0), then shift the field down to bit 0 and mask it.
///
/// ```text
///  offset 5, bits 6:   byte 0            byte 1
///                      . . . . . x x x | x x x . . . . .
///  acc = 16 bits; shift right by 16 - 5 - 6 = 5, mask 0b11_1111
/// ```
fn read_raw(s: &[u8], offset: u64, bits: u8) -> u64 {
    let (first, skip) = (offset / 8, u32::try_from(offset % 8).unwrap_or(0));
    let span = (skip + u32::from(bits)).div_ceil(8);
    let acc = (0..span).fold(0u128, |acc, k| {
        acc << 8 | u128::from(byte_at(s, first + u64::from(k)))
    });
    let shift = span * 8 - skip - u32::from(bits);
    ((acc >> shift) & field_mask(bits)) as u64
}

/// Write the low `bits` bits of `value` at bit `offset`, growing `s`.
fn write_raw(s: &mut Vec<u8>, offset: u64, bits: u8, value: u64) {
    grow_to(s, bytes_needed(offset, bits));
    let (first, skip) = (offset / 8, u32::try_from(offset % 8).unwrap_or(0));
    let span = (skip + u32::from(bits)).div_ceil(8);
    let shift = span * 8 - skip - u32::from(bits);
    let acc = (0..span).fold(0u128, |acc, k| {
        acc << 8 | u128::from(byte_at(s, first + u64::from(k)))
    });
    let mask = field_mask(bits) << shift;
    let acc = (acc & !mask) | ((u128::from(value) << shift) & mask);
    for k in 0..span {
        if let Some(b) = byte_mut(s, first + u64::from(k)) {
            *b = (acc >> ((span - 1 - k) * 8)) as u8;
        }
    }
}

/// `bits` one bits (1..=64).
fn field_mask(bits: u8) -> u128 {
    (1u128 << bits) - 1
}

// ANCHOR: bitfield
/// BITFIELD GET: the field of type `ty` at bit `offset`; bits past the
/// end read as 0. Signed fields are sign-extended from their top bit.
pub fn bitfield_get(s: &[u8], offset: u64, ty: BitfieldType) -> i64 {
    let ty = ty.clamped();
    let raw = read_raw(s, offset, ty.bits);
    if ty.signed && ty.bits < 64 && raw >> (ty.bits - 1) & 1 == 1 {
        (raw | (u64::MAX << ty.bits)) as i64
    } else {
        raw as i64
    }
}

/// What to store for the exact result `value` in a field of type `ty`:
/// `value` itself if it fits, else what `ov` says; `None` for FAIL.
fn fit(value: i128, ty: BitfieldType, ov: Overflow) -> Option<i64> {
    let (min, max) = (ty.min(), ty.max());
    let stored = if (min..=max).contains(&value) {
        value
    } else {
        match ov {
            Overflow::Fail => return None,
            Overflow::Sat if value > max => max,
            Overflow::Sat => min,
            Overflow::Wrap => {
                // Keep the low `bits` bits; a signed type then reads them
                // back as two's complement.
                let low = value.rem_euclid(1i128 << ty.bits);
                if ty.signed && low > max {
                    low - (1i128 << ty.bits)
                } else {
                    low
                }
            }
        }
    };
    i64::try_from(stored).ok()
}

/// BITFIELD SET: store `value` in the field and return the old value, or
/// `None` when `ov` is FAIL and `value` does not fit (nothing is written).
///
/// Redis quirk kept: for an unsigned type Redis first reads `value` as an
/// unsigned 64-bit number, so a negative value is a huge positive one:
/// `OVERFLOW SAT SET u8 0 -1` stores 255, not 0.
///
/// Second Redis quirk kept: for a signed type narrower than 64 bits,
/// Redis tests "too large" by computing `max - value` in 64 bits. For a
/// value more than 2^63 - 1 below the max that difference wraps negative,
/// the value counts as too *large*, and SAT stores the max:
/// `OVERFLOW SAT SET i8 0 -9223372036854775681` stores 127, while one
/// more (`...680`) stores -128. WRAP and FAIL are not affected.
///
/// Redis grows the string to cover every SET and INCRBY of a BITFIELD
/// call before running any of them, so even a FAIL leaves the key
/// existing and padded with zeros. The command layer does that growing
/// (with [`bytes_needed`]); this function, on FAIL, changes nothing.
pub fn bitfield_set(
    s: &mut Vec<u8>,
    offset: u64,
    ty: BitfieldType,
    value: i64,
    ov: Overflow,
) -> Option<i64> {
    let ty = ty.clamped();
    let old = bitfield_get(s, offset, ty);
    let wanted = if ty.signed {
        i128::from(value)
    } else {
        i128::from(value as u64)
    };
    let wraps_in_c = ty.signed && ty.bits < 64 && ty.max() - wanted > i128::from(i64::MAX);
    let stored = if wraps_in_c && ov == Overflow::Sat {
        i64::try_from(ty.max()).ok()?
    } else {
        fit(wanted, ty, ov)?
    };
    write_raw(s, offset, ty.bits, stored as u64);
    Some(old)
}

/// BITFIELD INCRBY: add `incr` to the field and return the new value, or
/// `None` when `ov` is FAIL and the sum does not fit (nothing is written).
/// The sum is computed in i128, so `i64::MAX + 1` is an overflow to
/// handle, not a Rust overflow.
pub fn bitfield_incrby(
    s: &mut Vec<u8>,
    offset: u64,
    ty: BitfieldType,
    incr: i64,
    ov: Overflow,
) -> Option<i64> {
    let ty = ty.clamped();
    let old = bitfield_get(s, offset, ty);
    let stored = fit(i128::from(old) + i128::from(incr), ty, ov)?;
    write_raw(s, offset, ty.bits, stored as u64);
    Some(stored)
}
// ANCHOR_END: bitfield

// ---------------------------------------------------------------------------
// Integers as Redis reads them
// ---------------------------------------------------------------------------

/// A signed 64-bit integer by Redis's strict rules (its `string2ll`):
/// optional `-`, then digits with no leading zero (`0` alone is fine),
/// nothing else, fewer than 21 bytes, and within `i64`. So `+1`, `-0`,
/// `007`, ` 1` and `1.0` are all refused. This restates the rule of
/// `cmd::parse_i64` because `ds/` imports nothing from the layers above.
fn parse_redis_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= 21 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut v: i128 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i128::from(d - b'0'); // at most 20 digits: fits i128
    }
    i64::try_from(if negative { -v } else { v }).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(signed: bool, bits: u8) -> BitfieldType {
        BitfieldType { signed, bits }
    }

    /// A tiny xorshift64 generator: deterministic, no dependencies.
    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }
    }

    // --- single bits ---------------------------------------------------

    #[test]
    fn setbit_7_on_an_empty_string_makes_byte_0x01() {
        // SETBIT k 7 1 -> 0; GET k -> "\x01"
        let mut s = Vec::new();
        assert_eq!(set_bit(&mut s, 7, true), 0);
        assert_eq!(s, [0x01]);
        assert_eq!(set_bit(&mut s, 0, true), 0);
        assert_eq!(s, [0x81]);
        assert_eq!(set_bit(&mut s, 7, false), 1);
        assert_eq!(s, [0x80]);
    }

    #[test]
    fn setbit_past_the_end_grows_with_zero_bytes() {
        let mut s = b"a".to_vec();
        assert_eq!(set_bit(&mut s, 8 * 4 + 1, true), 0);
        assert_eq!(s, [b'a', 0, 0, 0, 0x40]);
    }

    #[test]
    fn getbit_past_the_end_and_at_huge_offsets_is_zero() {
        assert_eq!(get_bit(b"\xff", 8), 0);
        assert_eq!(get_bit(b"\xff", u64::MAX), 0);
        assert_eq!(get_bit(b"\x80", 0), 1);
        assert_eq!(get_bit(b"\x01", 7), 1);
    }

    #[test]
    fn bytes_needed_rounds_up_and_never_wraps() {
        assert_eq!(bytes_needed(7, 1), 1);
        assert_eq!(bytes_needed(8, 1), 2);
        assert_eq!(bytes_needed(100, 8), 14); // Redis: BITFIELD nk SET u8 100 .. -> STRLEN 14
        assert_eq!(bytes_needed(0, 64), 8);
        assert_eq!(bytes_needed(1, 64), 9);
        assert_eq!(
            bytes_needed(u64::MAX, 64),
            (u128::from(u64::MAX) + 64).div_ceil(8) as u64
        );
    }

    // --- popcount and BITCOUNT -----------------------------------------

    #[test]
    fn popcount_matches_naive_on_every_length_up_to_100() {
        let mut rng = XorShift(0x1234_5678_9abc_def1);
        for len in 0..100 {
            let s: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            assert_eq!(popcount(&s), popcount_naive(&s), "len {len}");
        }
    }

    #[test]
    fn bitcount_answers_like_redis_on_foobar() {
        // SET k foobar; the examples from the BITCOUNT documentation, run on 7.0.15.
        let s = b"foobar";
        assert_eq!(bitcount(s, None, false), 26);
        assert_eq!(bitcount(s, Some((0, 0)), false), 4);
        assert_eq!(bitcount(s, Some((1, 1)), false), 6);
        assert_eq!(bitcount(s, Some((1, 1)), true), 1);
        assert_eq!(bitcount(s, Some((5, 30)), true), 17);
    }

    #[test]
    fn bitcount_negative_ranges_follow_redis_including_the_shortcut() {
        let s = b"\xff\xf0"; // SET k "\xff\xf0" on 7.0.15:
        assert_eq!(bitcount(s, Some((-100, -200)), false), 0); // shortcut
        assert_eq!(bitcount(s, Some((-200, -100)), false), 8); // both clamp to byte 0
        assert_eq!(bitcount(s, Some((-1, -1)), false), 4);
        assert_eq!(bitcount(s, Some((-2, -1)), false), 12);
        assert_eq!(bitcount(s, Some((-5, -1)), true), 1);
        assert_eq!(bitcount(s, Some((-16, -13)), true), 4);
        assert_eq!(bitcount(s, Some((1, 0)), false), 0);
    }

    #[test]
    fn bitcount_ranges_past_the_end_are_clamped_or_empty() {
        let s = b"\xff\xf0";
        assert_eq!(bitcount(s, Some((0, 1000)), false), 12);
        assert_eq!(bitcount(s, Some((2, 1000)), false), 0);
        assert_eq!(bitcount(s, Some((12, 1000)), true), 0);
        assert_eq!(bitcount(s, Some((11, 1000)), true), 1);
        assert_eq!(bitcount(s, Some((i64::MIN, i64::MAX)), true), 12);
        assert_eq!(bitcount(s, Some((i64::MAX, i64::MIN)), false), 0);
    }

    #[test]
    fn bitcount_of_an_empty_string_is_zero_for_every_range() {
        assert_eq!(bitcount(b"", None, false), 0);
        assert_eq!(bitcount(b"", Some((0, -1)), false), 0);
        assert_eq!(bitcount(b"", Some((0, -1)), true), 0);
        assert_eq!(bitcount(b"", Some((-5, 5)), true), 0);
    }

    // --- BITPOS -----------------------------------------------------------

    #[test]
    fn bitpos_for_zero_in_all_ones_without_end_answers_the_bit_past_the_string() {
        let s = b"\xff\xff\xff"; // SET ones "\xff\xff\xff" on 7.0.15:
        assert_eq!(bitpos(s, 0, None, None, false), 24);
        assert_eq!(bitpos(s, 0, Some(1), None, false), 24);
        assert_eq!(bitpos(s, 0, Some(3), None, true), 24);
        assert_eq!(bitpos(s, 0, Some(1), Some(-1), false), -1);
        assert_eq!(bitpos(s, 0, Some(3), Some(-1), true), -1);
        assert_eq!(bitpos(s, 1, Some(30), None, true), -1);
        assert_eq!(bitpos(s, 1, Some(3), None, true), 3);
    }

    #[test]
    fn bitpos_on_an_empty_string_is_minus_one_and_on_a_missing_key_depends_on_the_bit() {
        assert_eq!(bitpos(b"", 0, None, None, false), -1);
        assert_eq!(bitpos(b"", 1, None, None, false), -1);
        assert_eq!(bitpos(b"", 0, Some(0), None, false), -1);
        assert_eq!(bitpos(b"", 0, Some(0), Some(-1), true), -1);
        assert_eq!(bitpos_missing_key(0), 0);
        assert_eq!(bitpos_missing_key(1), -1);
    }

    #[test]
    fn bitpos_has_no_negative_shortcut_unlike_bitcount() {
        let s = b"\xff\xf0";
        assert_eq!(bitpos(s, 1, Some(-100), Some(-200), false), 0);
        assert_eq!(bitpos(s, 0, Some(-100), Some(-200), false), -1);
    }

    #[test]
    fn bitpos_documentation_examples_match_redis() {
        // SET mykey "\xff\xf0\x00"; BITPOS mykey 0 -> 12, ...
        let s = b"\xff\xf0\x00";
        assert_eq!(bitpos(s, 0, None, None, false), 12);
        assert_eq!(bitpos(b"\x00\xff\xf0", 1, Some(0), None, false), 8);
        assert_eq!(bitpos(b"\x00\xff\xf0", 1, Some(2), None, false), 16);
        assert_eq!(bitpos(b"\x00\xff\xf0", 1, Some(2), Some(-1), false), 16);
        assert_eq!(bitpos(b"\x00\xff\xf0", 1, Some(7), Some(15), true), 8);
        assert_eq!(bitpos(b"\x00\xff\xf0", 1, Some(7), Some(-3), true), 8);
        assert_eq!(bitpos(b"\x00\x00\x00", 1, None, None, false), -1);
    }

    #[test]
    fn bitpos_bit_ranges_inside_one_byte_see_only_their_bits() {
        let s = b"\x5a"; // 0101_1010
        assert_eq!(bitpos(s, 1, Some(2), Some(2), true), -1);
        assert_eq!(bitpos(s, 1, Some(2), Some(3), true), 3);
        assert_eq!(bitpos(s, 0, Some(1), Some(1), true), -1);
        assert_eq!(bitpos(s, 0, Some(3), Some(4), true), -1);
        assert_eq!(bitpos(s, 0, Some(3), None, true), 5);
    }

    #[test]
    fn bitpos_and_bitcount_agree_with_a_bit_by_bit_model_on_random_input() {
        let mut rng = XorShift(0xdead_beef_cafe_f00d);
        for _ in 0..20_000 {
            let len = rng.below(40) as usize;
            let fill = [0x00u8, 0xff, 0x5a][rng.below(3) as usize];
            let s: Vec<u8> = (0..len)
                .map(|_| {
                    if rng.below(8) == 0 {
                        rng.next() as u8
                    } else {
                        fill
                    }
                })
                .collect();
            let unit = rng.below(2) == 1;
            let span = if unit {
                8 * len as i64 + 20
            } else {
                len as i64 + 4
            };
            let pick = |r: &mut XorShift| r.below(2 * span as u64 + 1) as i64 - span;
            let (start, end) = (pick(&mut rng), pick(&mut rng));
            let bit = rng.below(2) as u8;
            let with_end = rng.below(2) == 1;

            // Model: the same normalisation, then a plain scan with get_bit.
            let total = if unit { 8 * len as i128 } else { len as i128 };
            let e = if with_end { end } else { i64::MAX };
            let range =
                normalise(start, e, total)
                    .map(|(a, b)| if unit { (a, b) } else { (a * 8, b * 8 + 7) });
            let model_pos = match range {
                None => -1,
                Some((lo, hi)) => (lo..=hi)
                    .find(|&i| get_bit(&s, i as u64) == bit)
                    .map(|p| p as i64)
                    .unwrap_or(if bit == 0 && !with_end {
                        hi as i64 + 1
                    } else {
                        -1
                    }),
            };
            let got = bitpos(&s, bit, Some(start), with_end.then_some(end), unit);
            assert_eq!(
                got, model_pos,
                "{s:x?} bit {bit} {start} {end:?} unit {unit}"
            );

            let model_count = if start < 0 && end < 0 && start > end {
                0
            } else {
                normalise(start, end, total)
                    .map(|(a, b)| if unit { (a, b) } else { (a * 8, b * 8 + 7) })
                    .map(|(lo, hi)| {
                        (lo..=hi).filter(|&i| get_bit(&s, i as u64) == 1).count() as u64
                    })
                    .unwrap_or(0)
            };
            assert_eq!(bitcount(&s, Some((start, end)), unit), model_count);
        }
    }

    // --- BITOP -------------------------------------------------------------

    #[test]
    fn bitop_pads_shorter_sources_with_zeros() {
        // SET a "\xff\x0f\xaa"; SET b "\x0f"; BITOP <op> d a b; GET d (7.0.15)
        let (a, b): (&[u8], &[u8]) = (b"\xff\x0f\xaa", b"\x0f");
        assert_eq!(bitop(BitOp::And, &[a, b]), b"\x0f\x00\x00");
        assert_eq!(bitop(BitOp::Or, &[a, b]), b"\xff\x0f\xaa");
        assert_eq!(bitop(BitOp::Xor, &[a, b]), b"\xf0\x0f\xaa");
        assert_eq!(bitop(BitOp::And, &[b, a]), b"\x0f\x00\x00");
        assert_eq!(bitop(BitOp::Xor, &[b, a, b"", a]), b"\x0f\x00\x00");
    }

    #[test]
    fn bitop_not_inverts_and_empty_sources_give_empty_results() {
        assert_eq!(bitop(BitOp::Not, &[b"\x00\xf0"]), b"\xff\x0f");
        assert_eq!(bitop(BitOp::Not, &[b""]), b"");
        assert_eq!(bitop(BitOp::And, &[b"", b""]), b"");
        assert_eq!(bitop(BitOp::Or, &[]), b"");
    }

    // --- BITFIELD parsing --------------------------------------------------

    #[test]
    fn bitfield_types_accept_i1_to_i64_and_u1_to_u63_only() {
        assert_eq!(parse_bitfield_type(b"i1"), Some(ty(true, 1)));
        assert_eq!(parse_bitfield_type(b"i64"), Some(ty(true, 64)));
        assert_eq!(parse_bitfield_type(b"u1"), Some(ty(false, 1)));
        assert_eq!(parse_bitfield_type(b"u63"), Some(ty(false, 63)));
        for bad in [
            &b"u64"[..],
            b"i65",
            b"i0",
            b"u0",
            b"I8",
            b"U8",
            b"i08",
            b"i+8",
            b"i-8",
            b"i",
            b"",
            b"8",
            b"i8 ",
        ] {
            assert_eq!(
                parse_bitfield_type(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn bitfield_type_width_stops_at_a_nul_byte_as_in_redis() {
        assert_eq!(parse_bitfield_type(b"i8\0zz"), Some(ty(true, 8)));
        assert_eq!(parse_bitfield_type(b"i\08"), None);
    }

    #[test]
    fn bit_offsets_follow_redis_integer_rules_and_the_512mb_limit() {
        let max = DEFAULT_PROTO_MAX_BULK_LEN;
        assert_eq!(parse_bit_offset(b"0", None, max), Some(0));
        assert_eq!(parse_bit_offset(b"4294967295", None, max), Some(4294967295));
        for bad in [
            &b"4294967296"[..],
            b"00",
            b"-0",
            b"+1",
            b"-1",
            b"#1",
            b"",
            b"1.5",
            b"99999999999999999999",
        ] {
            assert_eq!(
                parse_bit_offset(bad, None, max),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn hash_offsets_multiply_by_the_width_and_wrap_as_redis_does() {
        let i8t = ty(true, 8);
        assert_eq!(parse_bitfield_offset(b"#0", i8t), Some(0));
        assert_eq!(parse_bitfield_offset(b"#3", i8t), Some(24));
        assert_eq!(parse_bitfield_offset(b"#3", ty(false, 5)), Some(15));
        assert_eq!(parse_bitfield_offset(b"#536870912", i8t), None); // byte 512M
        assert_eq!(
            parse_bitfield_offset(b"#4294967295", ty(true, 1)),
            Some(4294967295)
        );
        assert_eq!(parse_bitfield_offset(b"#-1", i8t), None);
        assert_eq!(parse_bitfield_offset(b"#", i8t), None);
        assert_eq!(parse_bitfield_offset(b"##1", i8t), None);
        // 7.0.15: GET i8 #2305843009213693953 reads bit 8, #-2305843009213693951 too.
        assert_eq!(parse_bitfield_offset(b"#2305843009213693953", i8t), Some(8));
        assert_eq!(
            parse_bitfield_offset(b"#-2305843009213693951", i8t),
            Some(8)
        );
        assert_eq!(parse_bitfield_offset(b"#1152921504606846977", i8t), None);
    }

    #[test]
    fn redis_integers_are_strict() {
        assert_eq!(parse_redis_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_redis_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_redis_i64(b"9223372036854775808"), None);
        assert_eq!(parse_redis_i64(b"-"), None);
        assert_eq!(parse_redis_i64(b"-01"), None);
        assert_eq!(parse_redis_i64(b"12a"), None);
    }

    // --- BITFIELD values ---------------------------------------------------

    #[test]
    fn bitfield_reads_across_byte_boundaries_msb_first() {
        let s = b"\x12\x34\x56";
        assert_eq!(bitfield_get(s, 0, ty(false, 8)), 0x12);
        assert_eq!(bitfield_get(s, 4, ty(false, 8)), 0x23);
        assert_eq!(bitfield_get(s, 4, ty(false, 16)), 0x2345);
        assert_eq!(bitfield_get(s, 20, ty(false, 8)), 0x60); // runs past the end
        assert_eq!(bitfield_get(s, 3, ty(true, 5)), -14); // 1_0010
        assert_eq!(bitfield_get(b"\xff", 0, ty(true, 1)), -1);
        assert_eq!(bitfield_get(b"\xff", 0, ty(false, 1)), 1);
        assert_eq!(bitfield_get(&[0xff; 9], 3, ty(true, 64)), -1);
        assert_eq!(bitfield_get(&[0xff; 9], 3, ty(false, 63)), i64::MAX);
    }

    #[test]
    fn bitfield_set_writes_only_its_bits() {
        let mut s = b"\xff\xff\xff".to_vec();
        assert_eq!(
            bitfield_set(&mut s, 5, ty(false, 6), 0, Overflow::Wrap),
            Some(63)
        );
        assert_eq!(s, b"\xf8\x1f\xff");
        let mut s = Vec::new();
        assert_eq!(
            bitfield_set(&mut s, 1, ty(true, 64), -2, Overflow::Wrap),
            Some(0)
        );
        assert_eq!(s, b"\x7f\xff\xff\xff\xff\xff\xff\xff\x00");
        assert_eq!(bitfield_get(&s, 1, ty(true, 64)), -2);
    }

    /// One BITFIELD SET or INCRBY on a field of `t` that starts at `start`,
    /// returning (reply, value read back afterwards). Mirrors
    /// `BITFIELD k SET t 0 start OVERFLOW ov <SET|INCRBY> t 0 arg GET t 0`.
    fn run(t: BitfieldType, start: i64, op: &str, arg: i64, ov: Overflow) -> (Option<i64>, i64) {
        let mut s = Vec::new();
        bitfield_set(&mut s, 0, t, start, Overflow::Wrap);
        let reply = match op {
            "set" => bitfield_set(&mut s, 0, t, arg, ov),
            _ => bitfield_incrby(&mut s, 0, t, arg, ov),
        };
        (reply, bitfield_get(&s, 0, t))
    }

    #[test]
    fn bitfield_set_out_of_range_values_wrap_saturate_or_fail_like_redis() {
        use Overflow::*;
        let (u8t, i8t) = (ty(false, 8), ty(true, 8));
        // BITFIELD b SET u8 0 300 -> 0, GET -> 44 (7.0.15)
        assert_eq!(run(u8t, 0, "set", 300, Wrap), (Some(0), 44));
        assert_eq!(run(u8t, 0, "set", 300, Sat), (Some(0), 255));
        assert_eq!(run(u8t, 7, "set", 300, Fail), (None, 7));
        // Unsigned SET reads -1 as 2^64 - 1: SAT gives the max, not 0.
        assert_eq!(run(u8t, 0, "set", -1, Sat), (Some(0), 255));
        assert_eq!(run(u8t, 0, "set", -1, Wrap), (Some(0), 255));
        assert_eq!(run(u8t, 0, "set", -1, Fail), (None, 0));
        assert_eq!(run(i8t, 0, "set", -200, Wrap), (Some(0), 56));
        assert_eq!(run(i8t, 0, "set", -200, Sat), (Some(0), -128));
        assert_eq!(run(i8t, 0, "set", 128, Wrap), (Some(0), -128));
    }

    #[test]
    fn signed_sat_of_values_near_i64_min_stores_the_max_as_redis_does() {
        use Overflow::*;
        let i8t = ty(true, 8);
        // OVERFLOW SAT SET i8 0 <v> GET i8 0 on 7.0.15: 127 up to i64::MIN + 127.
        assert_eq!(run(i8t, 0, "set", i64::MIN, Sat), (Some(0), 127));
        assert_eq!(run(i8t, 0, "set", i64::MIN + 127, Sat), (Some(0), 127));
        assert_eq!(run(i8t, 0, "set", i64::MIN + 128, Sat), (Some(0), -128));
        assert_eq!(run(ty(true, 1), 0, "set", i64::MIN, Sat), (Some(0), 0));
        // WRAP keeps the low bits as usual, and i64 fields cannot overflow.
        assert_eq!(run(i8t, 0, "set", i64::MIN + 8, Wrap), (Some(0), 8));
        assert_eq!(
            run(ty(true, 64), 0, "set", i64::MIN, Sat),
            (Some(0), i64::MIN)
        );
    }

    #[test]
    fn bitfield_boundaries_of_i1_u1_i63_i64_u63_match_redis() {
        use Overflow::*;
        let (i1, u1, i63, i64t, u63) = (
            ty(true, 1),
            ty(false, 1),
            ty(true, 63),
            ty(true, 64),
            ty(false, 63),
        );
        let (max63, min63) = ((1i64 << 62) - 1, -(1i64 << 62));
        // Each row: (type, start, op, arg, overflow) -> (reply, read back), from 7.0.15.
        type Case = (
            BitfieldType,
            i64,
            &'static str,
            i64,
            Overflow,
            Option<i64>,
            i64,
        );
        let cases: &[Case] = &[
            (i1, 0, "set", 1, Wrap, Some(0), -1),
            (i1, 0, "set", 1, Sat, Some(0), 0),
            (i1, 0, "set", 1, Fail, None, 0),
            (i1, 0, "set", -1, Fail, Some(0), -1),
            (i1, 0, "set", -2, Sat, Some(0), -1),
            (i1, 0, "set", -2, Wrap, Some(0), 0),
            (i1, 0, "incrby", 1, Wrap, Some(-1), -1),
            (i1, -1, "incrby", 1, Wrap, Some(0), 0),
            (i1, 0, "incrby", 1, Sat, Some(0), 0),
            (i1, -1, "incrby", -1, Sat, Some(-1), -1),
            (i1, -1, "incrby", -1, Fail, None, -1),
            (u1, 0, "set", 2, Wrap, Some(0), 0),
            (u1, 0, "set", 3, Wrap, Some(0), 1),
            (u1, 0, "set", 2, Sat, Some(0), 1),
            (u1, 0, "set", -1, Sat, Some(0), 1),
            (u1, 1, "incrby", 1, Wrap, Some(0), 0),
            (u1, 1, "incrby", 1, Sat, Some(1), 1),
            (u1, 0, "incrby", -1, Sat, Some(0), 0),
            (u1, 0, "incrby", -1, Wrap, Some(1), 1),
            (u1, 1, "incrby", 1, Fail, None, 1),
            (i63, 0, "set", max63 + 1, Wrap, Some(0), min63),
            (i63, 0, "set", max63 + 1, Sat, Some(0), max63),
            // Every i63 below the min is 2^63 or more below the max, so
            // Redis's 64-bit `max - value` wraps and SAT picks the max.
            (i63, 0, "set", min63 - 1, Sat, Some(0), max63),
            (i63, 0, "set", min63 - 1, Wrap, Some(0), max63),
            (i63, 0, "set", i64::MIN, Wrap, Some(0), 0),
            (i63, max63, "incrby", 1, Wrap, Some(min63), min63),
            (i63, min63, "incrby", -1, Sat, Some(min63), min63),
            (i63, min63, "incrby", i64::MIN, Wrap, Some(min63), min63),
            (i63, max63, "incrby", i64::MAX, Fail, None, max63),
            (i64t, 0, "set", i64::MIN, Fail, Some(0), i64::MIN),
            (i64t, i64::MAX, "incrby", 1, Wrap, Some(i64::MIN), i64::MIN),
            (i64t, i64::MAX, "incrby", 1, Sat, Some(i64::MAX), i64::MAX),
            (i64t, i64::MAX, "incrby", 1, Fail, None, i64::MAX),
            (i64t, i64::MIN, "incrby", -1, Wrap, Some(i64::MAX), i64::MAX),
            (i64t, i64::MIN, "incrby", -1, Sat, Some(i64::MIN), i64::MIN),
            (i64t, i64::MIN, "incrby", i64::MIN, Wrap, Some(0), 0),
            (i64t, -1, "incrby", i64::MIN, Fail, None, -1),
            (i64t, 5, "incrby", -10, Fail, Some(-5), -5),
            (u63, 0, "set", i64::MAX, Fail, Some(0), i64::MAX),
            (u63, 0, "set", -5, Sat, Some(0), i64::MAX),
            (u63, 0, "set", -5, Wrap, Some(0), i64::MAX - 4),
            (u63, 0, "set", i64::MIN, Wrap, Some(0), 0),
            (u63, 0, "set", i64::MIN, Fail, None, 0),
            (u63, i64::MAX, "incrby", 1, Wrap, Some(0), 0),
            (u63, i64::MAX, "incrby", 1, Sat, Some(i64::MAX), i64::MAX),
            (u63, i64::MAX, "incrby", i64::MIN, Fail, None, i64::MAX),
            (u63, 0, "incrby", i64::MIN, Wrap, Some(0), 0),
            (u63, 0, "incrby", i64::MIN, Sat, Some(0), 0),
            (u63, 0, "incrby", -1, Wrap, Some(i64::MAX), i64::MAX),
            (u63, 3, "incrby", i64::MAX, Fail, None, 3),
        ];
        for &(t, start, op, arg, ov, reply, after) in cases {
            assert_eq!(
                run(t, start, op, arg, ov),
                (reply, after),
                "{t:?} start {start} {op} {arg} {ov:?}"
            );
        }
    }

    #[test]
    fn hand_built_types_with_bad_widths_are_clamped_not_panics() {
        let mut s = vec![0xff; 10];
        assert_eq!(bitfield_get(&s, 0, ty(true, 0)), -1); // read as i1
        assert_eq!(bitfield_get(&s, 0, ty(false, 200)), i64::MAX); // read as u63
        assert_eq!(
            bitfield_set(&mut s, 0, ty(false, 0), 0, Overflow::Wrap),
            Some(1)
        );
        assert_eq!(s[0], 0x7f);
        assert_eq!(parse_bitfield_offset(b"#2", ty(true, 0)), Some(2));
    }

    #[test]
    fn fail_changes_nothing_even_past_the_end() {
        let mut s = Vec::new();
        assert_eq!(
            bitfield_set(&mut s, 100, ty(false, 8), 300, Overflow::Fail),
            None
        );
        assert_eq!(
            bitfield_incrby(&mut s, 100, ty(false, 8), 300, Overflow::Fail),
            None
        );
        assert!(s.is_empty());
    }

    #[test]
    fn random_bitfield_writes_read_back_and_never_touch_other_bits() {
        let mut rng = XorShift(0x0bad_5eed_0bad_5eed);
        for _ in 0..20_000 {
            let len = rng.below(12) as usize;
            let mut s: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let before = s.clone();
            let signed = rng.below(2) == 1;
            let t = ty(signed, 1 + rng.below(if signed { 64 } else { 63 }) as u8);
            let offset = rng.below(100);
            let value = rng.next() as i64 >> rng.below(64);
            let ov = [Overflow::Wrap, Overflow::Sat, Overflow::Fail][rng.below(3) as usize];
            let res = if rng.below(2) == 0 {
                bitfield_set(&mut s, offset, t, value, ov)
            } else {
                bitfield_incrby(&mut s, offset, t, value, ov)
                    .inspect(|&new| assert_eq!(bitfield_get(&s, offset, t), new))
            };
            if res.is_none() {
                assert_eq!(s, before);
                continue;
            }
            assert!(s.len() >= before.len());
            assert!(s.len() as u64 <= bytes_needed(offset, t.bits).max(before.len() as u64));
            for bit in 0..s.len() as u64 * 8 {
                if bit < offset || bit >= offset + u64::from(t.bits) {
                    assert_eq!(
                        get_bit(&s, bit),
                        get_bit(&before, bit),
                        "bit {bit} outside the field changed"
                    );
                }
            }
        }
    }

    #[test]
    fn fuzzed_inputs_never_panic() {
        let mut rng = XorShift(0x5151_5151_7777_1234);
        let edges = [i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX - 1, i64::MAX];
        for _ in 0..5_000 {
            let mut s: Vec<u8> = (0..rng.below(20)).map(|_| rng.next() as u8).collect();
            let pick = |r: &mut XorShift| {
                if r.below(3) == 0 {
                    edges[r.below(edges.len() as u64) as usize]
                } else {
                    r.next() as i64
                }
            };
            let (a, b) = (pick(&mut rng), pick(&mut rng));
            let _ = bitcount(&s, Some((a, b)), rng.below(2) == 1);
            let _ = bitpos(&s, rng.below(3) as u8, Some(a), Some(b), rng.below(2) == 1);
            let _ = bitpos(&s, 0, None, Some(b), true);
            let token: Vec<u8> = (0..rng.below(24))
                .map(|_| b"#-0123456789iu\0 "[rng.below(16) as usize])
                .collect();
            let _ = parse_bitfield_type(&token);
            let _ = parse_bit_offset(&token, Some(rng.below(70) as u8), rng.next());
            let t = ty(rng.below(2) == 1, 1 + rng.below(63) as u8);
            let off = rng.below(200);
            let _ = bitfield_get(&s, rng.next(), t);
            let _ = bitfield_set(&mut s, off, t, a, Overflow::Sat);
            let _ = bitfield_incrby(&mut s, off, t, b, Overflow::Wrap);
            assert_eq!(popcount(&s), popcount_naive(&s));
        }
    }
}
