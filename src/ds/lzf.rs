//! LZF: the small, fast compressor behind compressed list nodes and RDB strings.
//!
//! Chapter: chapters/13-lists.md
//!
//! LZF is an LZ77 variant with no entropy coding and no header: a stream is
//! a sequence of instructions, each starting with a control byte. A control
//! byte below 32 means "copy the next ctrl+1 bytes as they are" (a literal
//! run); anything else is a back-reference, "copy len bytes starting dist
//! bytes back in the output". The whole format fits in one drawing:
//!
//! ```text
//!  literal run:     [ 000 LLLLL ] [ byte ] x (L+1)           1..32 bytes copied
//!  short back-ref:  [ lll ooooo ] [ oooooooo ]               lll = 1..6
//!  long back-ref:   [ 111 ooooo ] [ extra ] [ oooooooo ]     lll = 7 + extra
//!                     ^ length      ^ length   ^ low 8 bits of the offset
//!
//!  match length = lll + 2                 (3..=264 bytes)
//!  distance     = (ooooo << 8 | low) + 1  (1..=8192 bytes back)
//!
//!  "abcabcabc" compresses to:  02 61 62 63 | 80 02
//!                              ^ copy 3:     ^ lll = 4: copy 6 bytes
//!                                "abc"         from 3 back ("abc" "abc")
//! ```
//!
//! The back-reference may overlap the bytes it produces (distance 3, length
//! 6 above), which is how a run of one byte compresses to a few bytes.
//! Streams are compatible with liblzf 3.x in both directions, so an RDB
//! file written by real Redis (which bundles liblzf) decompresses here, and
//! ours decompress there.
//!
//! Invariants:
//! 1. `compress` emits only instructions `decompress` accepts: literal runs of
//!    1..=32 bytes, back-references of 3..=264 bytes reaching 1..=8192 bytes
//!    back into bytes already produced.
//! 2. `decompress` never reads past its input, never produces more than
//!    `expected_len` bytes, and succeeds only if it produced exactly that many.
//! 3. On failure, both functions leave `out` as they found it.
//!
//! Not here: deciding when compression is worth it (the quicklist and the
//! RDB writer decide), and the length prefixes RDB stores around a stream.

use std::fmt;

/// Longest literal run one control byte can announce: 5 bits of length.
const MAX_LITERAL: usize = 32;

/// Longest match: 3 bits of length (7 means "read an extra byte"), plus up
/// to 255 from that extra byte, plus the implicit 2 (a match of fewer than
/// 3 bytes never pays for its 2-byte instruction).
const MAX_MATCH: usize = 7 + 255 + 2;

/// Farthest a back-reference can reach: 13 bits of offset, plus 1 (an
/// offset of 0 means "the byte just before").
const MAX_DISTANCE: usize = 1 << 13;

/// The hash table has 2^16 slots, liblzf's default: fewer slots lose
/// matches to collisions (files came out larger than Redis's).
const MAX_HASH_LOG: u32 = 16;

/// Why a compressed stream was rejected. Any of them means the input was
/// not produced by an LZF compressor for this length, or was damaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LzfError {
    /// The input ends inside an instruction: a literal run or a
    /// back-reference announces bytes that are not there.
    Truncated,
    /// A back-reference reaches before the first byte of the output.
    BadBackReference,
    /// The stream would produce more than the expected length.
    TooLong,
    /// The stream ended having produced fewer bytes than expected.
    TooShort,
}

impl fmt::Display for LzfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self {
            LzfError::Truncated => "LZF stream ends inside an instruction",
            LzfError::BadBackReference => "LZF back-reference reaches before the output",
            LzfError::TooLong => "LZF stream decompresses to more than the expected length",
            LzfError::TooShort => "LZF stream decompresses to less than the expected length",
        };
        f.write_str(what)
    }
}

impl std::error::Error for LzfError {}

// ANCHOR: compress
/// Compresses `input`, appending the stream to `out`.
///
/// Returns false, leaving `out` as it was, if the stream would take more
/// than `max_out` bytes. Callers pass the most they are willing to store:
/// a quicklist node keeps its compressed form only when it saves at least
/// 8 bytes, so it passes `len - 9` and lets the compressor give up early.
/// An empty input compresses to an empty stream.
///
/// HOW IT WORKS
/// Walk the input once. At each position, hash the next 3 bytes and look up
/// the last position that hashed the same. If that position is within 8 KiB
/// and really starts with the same 3 bytes, extend the match as far as it
/// goes (up to 264 bytes), emit the pending literals and one back-reference,
/// and jump past the match. Otherwise the byte joins the pending literal run.
///
/// WHY NOT THE OBVIOUS WAY
/// Searching the whole window for the longest match would compress a little
/// better and run many times slower. One hash probe per position is what
/// makes LZF fast enough to run on every list write; a colliding or stale
/// slot costs only a 3-byte comparison, because the candidate is checked.
pub fn compress(input: &[u8], out: &mut Vec<u8>, max_out: usize) -> bool {
    let start = out.len();
    // One 2^16-slot table per thread, reused without clearing, as liblzf
    // does: a slot left over from an earlier input is only a candidate,
    // and every candidate is checked (before `ip`, same 3 bytes), so a
    // stale one costs a comparison, never a wrong match.
    TABLE.with(|t| {
        let mut table = t.borrow_mut();
        if table.len() != HASH_SLOTS {
            *table = vec![0u32; HASH_SLOTS];
        }
        compress_with(input, out, max_out, start, &mut table)
    })
}

const HASH_SLOTS: usize = 1 << MAX_HASH_LOG;

thread_local! {
    static TABLE: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn compress_with(
    input: &[u8],
    out: &mut Vec<u8>,
    max_out: usize,
    start: usize,
    table: &mut [u32],
) -> bool {
    let n = input.len();
    // Table slots hold position + 1, so 0 can mean "empty".
    // liblzf's IDX(): mixes the three bytes so that nearby values spread.
    let hash = |p: usize| -> usize {
        let v = u32::from(input[p]) << 16 | u32::from(input[p + 1]) << 8 | u32::from(input[p + 2]);
        ((v >> (24 - MAX_HASH_LOG)).wrapping_sub(v.wrapping_mul(5)) as usize) & (HASH_SLOTS - 1)
    };

    let mut lit_start = 0; // pending literals are input[lit_start..ip]
    let mut ip = 0;
    while ip + 2 < n {
        let h = hash(ip);
        let candidate = table[h] as usize;
        table[h] = (ip + 1) as u32;
        // As liblzf: never a reference to the very first byte (`ref >
        // in_data`), which keeps our streams byte-identical to Redis's.
        if candidate > 1 && candidate <= ip {
            let r = candidate - 1;
            let dist = ip - r;
            if dist <= MAX_DISTANCE && input[r..r + 3] == input[ip..ip + 3] {
                let len = match_len(input, r, ip);
                if !emit_literals(&input[lit_start..ip], out, start, max_out)
                    || !emit_match(len, dist, out, start, max_out)
                {
                    out.truncate(start);
                    return false;
                }
                ip += len;
                lit_start = ip;
                // Seed the table with the match's last two positions, so a
                // repeat that continues right after it is found next time.
                for p in ip.saturating_sub(2)..ip {
                    if p + 2 < n {
                        table[hash(p)] = (p + 1) as u32;
                    }
                }
                continue;
            }
        }
        ip += 1;
    }
    if !emit_literals(&input[lit_start..], out, start, max_out) {
        out.truncate(start);
        return false;
    }
    true
}

/// Length of the match at `ip` against `r` (both known to start with the
/// same 3 bytes), measured exactly as liblzf measures it, so that our
/// streams are byte-identical to Redis's: the limit is two bytes short of
/// the input's end (`maxlen`), except that when `maxlen` is over 16,
/// liblzf first compares 16 more bytes without looking at it.
fn match_len(input: &[u8], r: usize, ip: usize) -> usize {
    let maxlen = MAX_MATCH.min(input.len() - ip - 2);
    let mut len = 3;
    let eq = |len: usize| input[r + len] == input[ip + len];
    if maxlen > 16 {
        // In bounds: maxlen > 16 means ip + 18 < input.len().
        while len < 19 && eq(len) {
            len += 1;
        }
        if len < 19 {
            return len;
        }
    }
    while len < maxlen && eq(len) {
        len += 1;
    }
    len
}

/// Appends `lits` as literal runs of at most 32 bytes each.
fn emit_literals(lits: &[u8], out: &mut Vec<u8>, start: usize, max_out: usize) -> bool {
    let runs = lits.len().div_ceil(MAX_LITERAL);
    if out.len() - start + lits.len() + runs > max_out {
        return false;
    }
    for run in lits.chunks(MAX_LITERAL) {
        out.push((run.len() - 1) as u8);
        out.extend_from_slice(run);
    }
    true
}

/// Appends one back-reference: `len` bytes (3..=264) from `dist` (1..=8192)
/// bytes back.
fn emit_match(len: usize, dist: usize, out: &mut Vec<u8>, start: usize, max_out: usize) -> bool {
    let l = len - 2;
    let off = dist - 1;
    let need = if l < 7 { 2 } else { 3 };
    if out.len() - start + need > max_out {
        return false;
    }
    let high = (off >> 8) as u8;
    if l < 7 {
        out.push((l as u8) << 5 | high);
    } else {
        out.push(7 << 5 | high);
        out.push((l - 7) as u8);
    }
    out.push(off as u8);
    true
}
// ANCHOR_END: compress

// ANCHOR: decompress
/// Decompresses `input`, appending exactly `expected_len` bytes to `out`.
///
/// The input is untrusted (it may come from an RDB file), so every length
/// and offset is checked before it is used, and the output never grows past
/// `expected_len`. Back-references may only reach bytes this call wrote,
/// never whatever `out` held before. On error `out` is restored.
///
/// `expected_len` is not trusted for allocation either: the buffer is
/// reserved for at most what the input could plausibly expand to up front,
/// and grows as real bytes are produced.
pub fn decompress(input: &[u8], out: &mut Vec<u8>, expected_len: usize) -> Result<(), LzfError> {
    let start = out.len();
    out.reserve(expected_len.min(input.len().saturating_mul(4)));
    let result = decompress_into(input, out, start, expected_len);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

fn decompress_into(
    input: &[u8],
    out: &mut Vec<u8>,
    start: usize,
    expected_len: usize,
) -> Result<(), LzfError> {
    let mut ip = 0;
    while let Some(&ctrl) = input.get(ip) {
        ip += 1;
        let ctrl = usize::from(ctrl);
        let produced = out.len() - start;
        if ctrl < 32 {
            let run = ctrl + 1;
            let lits = input.get(ip..ip + run).ok_or(LzfError::Truncated)?;
            if run > expected_len - produced {
                return Err(LzfError::TooLong);
            }
            out.extend_from_slice(lits);
            ip += run;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += usize::from(*input.get(ip).ok_or(LzfError::Truncated)?);
                ip += 1;
            }
            let low = usize::from(*input.get(ip).ok_or(LzfError::Truncated)?);
            ip += 1;
            let len = len + 2;
            let dist = ((ctrl & 0x1f) << 8 | low) + 1;
            if dist > produced {
                return Err(LzfError::BadBackReference);
            }
            if len > expected_len - produced {
                return Err(LzfError::TooLong);
            }
            // The source may overlap what we are writing (dist < len): each
            // pass copies what exists so far, and the pattern repeats with
            // period `dist`, exactly as a byte-at-a-time copy would.
            let mut src = out.len() - dist;
            let mut left = len;
            while left > 0 {
                let k = left.min(out.len() - src);
                out.extend_from_within(src..src + k);
                src += k;
                left -= k;
            }
        }
    }
    if out.len() - start == expected_len {
        Ok(())
    } else {
        Err(LzfError::TooShort)
    }
}
// ANCHOR_END: decompress

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64: deterministic noise without a dependency.
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

    fn compressed(input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        assert!(compress(input, &mut out, usize::MAX));
        out
    }

    fn round_trip(input: &[u8]) {
        let c = compressed(input);
        let mut back = Vec::new();
        assert_eq!(decompress(&c, &mut back, input.len()), Ok(()));
        assert_eq!(back, input);
    }

    /// Mostly-repetitive data of the kind a listpack of similar values is.
    fn repetitive(rng: &mut Rng, n: usize) -> Vec<u8> {
        let words: [&[u8]; 4] = [b"user:", b"1000", b"session-", b"\x00\x01"];
        let mut v = Vec::with_capacity(n);
        while v.len() < n {
            if rng.below(4) == 0 {
                v.push(rng.next() as u8);
            } else {
                v.extend_from_slice(words[rng.below(words.len())]);
            }
        }
        v.truncate(n);
        v
    }

    #[test]
    fn abcabcabc_compresses_as_liblzf_does_never_referencing_the_first_byte() {
        // "abc" at 3 would match position 0, which liblzf never references:
        // 'a' stays a literal, "bca" matches at distance 3, and the last
        // two bytes are literals because a match stops two bytes short of
        // the end. Redis stores exactly these bytes.
        assert_eq!(
            compressed(b"abcabcabc"),
            [0x03, b'a', b'b', b'c', b'a', 0x20, 0x02, 0x01, b'b', b'c']
        );
    }

    #[test]
    fn three_hundred_as_compress_to_the_same_twelve_bytes_as_liblzf() {
        // Two literals, a 264-byte match at distance 1 (long form, extra
        // length byte 255), a 32-byte one, then the last two bytes.
        let c = compressed(&[b'a'; 300]);
        assert_eq!(
            c,
            [0x01, b'a', b'a', 0xE0, 0xFF, 0x00, 0xE0, 0x17, 0x00, 0x01, b'a', b'a']
        );
        round_trip(&[b'a'; 300]);
    }

    #[test]
    fn incompressible_bytes_become_literal_runs_of_at_most_32() {
        let input: Vec<u8> = (0..40u8).collect();
        let c = compressed(&input);
        assert_eq!(c.len(), 40 + 2);
        assert_eq!(c[0], 31);
        assert_eq!(c[33], 7);
    }

    #[test]
    fn empty_and_tiny_inputs_round_trip() {
        round_trip(b"");
        round_trip(b"x");
        round_trip(b"xy");
        round_trip(b"xyz");
        round_trip(b"xxxx");
    }

    #[test]
    fn random_and_repetitive_inputs_round_trip() {
        let mut rng = Rng(0x1234_5678_9abc_def1);
        for _ in 0..300 {
            let n = rng.below(20_000);
            let input: Vec<u8> = if rng.below(2) == 0 {
                (0..n).map(|_| rng.next() as u8).collect()
            } else {
                repetitive(&mut rng, n)
            };
            round_trip(&input);
        }
    }

    #[test]
    fn matches_reach_back_exactly_8192_bytes_and_no_further() {
        // A block, 8192 - 16 bytes of noise, then the block again: the
        // second copy starts exactly 8192 bytes after the first.
        let mut rng = Rng(7);
        let block: Vec<u8> = (0..16).map(|_| rng.next() as u8).collect();
        let mut input = block.clone();
        input.extend((0..MAX_DISTANCE - 16).map(|_| rng.next() as u8));
        input.extend_from_slice(&block);
        round_trip(&input);
        // Hand-made: 8192 zero bytes as literal runs, then a 3-byte match
        // with the largest offset (0x1fff, distance 8192) is accepted...
        let mut stream = Vec::new();
        for _ in 0..MAX_DISTANCE / 32 {
            stream.push(31);
            stream.extend_from_slice(&[0u8; 32]);
        }
        let mut ok = stream.clone();
        ok.extend_from_slice(&[0x3f, 0xff]);
        let mut out = Vec::new();
        assert_eq!(decompress(&ok, &mut out, MAX_DISTANCE + 3), Ok(()));
        // ...but after one run fewer (8160 bytes) the same match would reach
        // before the start.
        let mut bad = stream[..stream.len() - 33].to_vec();
        bad.extend_from_slice(&[0x3f, 0xff]);
        out.clear();
        assert_eq!(
            decompress(&bad, &mut out, MAX_DISTANCE - 32 + 3),
            Err(LzfError::BadBackReference)
        );
    }

    #[test]
    fn compress_gives_up_when_the_stream_would_not_fit_and_leaves_out_untouched() {
        let input: Vec<u8> = (0..100u8).collect();
        let mut out = b"keep".to_vec();
        assert!(!compress(&input, &mut out, 100));
        assert_eq!(out, b"keep");
        assert!(compress(&input, &mut out, 104));
        assert_eq!(out.len(), 4 + 104);
    }

    #[test]
    fn decompress_appends_and_references_only_its_own_output() {
        // A back-reference at the very start would reach into "prefix".
        let mut out = b"prefix".to_vec();
        assert_eq!(
            decompress(&[0x20, 0x00], &mut out, 3),
            Err(LzfError::BadBackReference)
        );
        assert_eq!(out, b"prefix");
        let c = compressed(b"hello hello hello");
        assert_eq!(decompress(&c, &mut out, 17), Ok(()));
        assert_eq!(out, b"prefixhello hello hello");
    }

    #[test]
    fn decompress_rejects_each_kind_of_damage() {
        let mut out = Vec::new();
        // Literal run announcing 3 bytes, only 2 present.
        assert_eq!(
            decompress(&[0x02, 1, 2], &mut out, 3),
            Err(LzfError::Truncated)
        );
        // Back-reference missing its offset byte, and long form missing both.
        assert_eq!(
            decompress(&[0x00, 1, 0x20], &mut out, 4),
            Err(LzfError::Truncated)
        );
        assert_eq!(
            decompress(&[0x00, 1, 0xE0], &mut out, 20),
            Err(LzfError::Truncated)
        );
        // More output than the caller expects, by a literal or by a match.
        assert_eq!(
            decompress(&[0x01, 1, 2], &mut out, 1),
            Err(LzfError::TooLong)
        );
        assert_eq!(
            decompress(&[0x00, 1, 0x20, 0x00], &mut out, 3),
            Err(LzfError::TooLong)
        );
        // Less output than expected.
        assert_eq!(decompress(&[0x00, 1], &mut out, 2), Err(LzfError::TooShort));
        assert_eq!(decompress(&[], &mut out, 1), Err(LzfError::TooShort));
        assert!(out.is_empty());
    }

    #[test]
    fn damaged_streams_never_panic_and_never_exceed_the_expected_length() {
        let mut rng = Rng(0xdead_beef_cafe_f00d);
        for round in 0..3000 {
            let base = if round % 2 == 0 {
                let n = rng.below(3000);
                repetitive(&mut rng, n)
            } else {
                (0..rng.below(300)).map(|_| rng.next() as u8).collect()
            };
            let mut c = compressed(&base);
            // Flip, drop or insert a few bytes; sometimes use pure noise.
            match rng.below(4) {
                0 if !c.is_empty() => {
                    for _ in 0..=rng.below(4) {
                        let i = rng.below(c.len());
                        c[i] ^= 1 << rng.below(8);
                    }
                }
                1 if !c.is_empty() => {
                    c.truncate(rng.below(c.len()));
                }
                2 => c.insert(rng.below(c.len() + 1), rng.next() as u8),
                _ => c = (0..rng.below(64)).map(|_| rng.next() as u8).collect(),
            }
            let expected = if rng.below(2) == 0 {
                base.len()
            } else {
                rng.below(10_000)
            };
            let mut out = vec![9u8; 3];
            match decompress(&c, &mut out, expected) {
                Ok(()) => assert_eq!(out.len(), 3 + expected),
                Err(_) => assert_eq!(out, [9u8; 3]),
            }
        }
    }

    #[test]
    fn a_huge_claimed_length_does_not_allocate_up_front() {
        let mut out = Vec::new();
        assert_eq!(
            decompress(&[0x00, 1], &mut out, usize::MAX / 2),
            Err(LzfError::TooShort)
        );
        assert!(out.capacity() < 1024);
    }
}
