//! LCS: the longest common subsequence of two strings, as Redis 7.0's LCS
//! command computes and reports it.
//!
//! Chapter: chapters/11-strings.md
//!
//! A common subsequence keeps the order of bytes but not their adjacency:
//! "mytext" is common to "ohmytext" and "mynewtext". The classic dynamic
//! program fills a table whose cell (i, j) holds the LCS length of the
//! first i bytes of `a` and the first j bytes of `b`, then walks back from
//! the bottom-right corner to spell one LCS out. Many LCSs can exist; the
//! one returned, and the runs reported by `LCS ... IDX`, depend on how the
//! walk breaks ties, so ours breaks them exactly as Redis does.
//!
//! Invariants:
//! 1. `table[i][j]` is the LCS length of `a[..i]` and `b[..j]`; row 0 and
//!    column 0 are 0.
//! 2. The walk steps diagonally on equal bytes, otherwise up (i - 1) when
//!    `table[i-1][j] > table[i][j-1]` and left (j - 1) on a tie.
//! 3. Matches are maximal diagonal runs of that walk, listed in the order
//!    the walk closes them: from the ends of the strings towards the start.
//!
//! Not here: key lookup, option parsing, MINMATCHLEN filtering and
//! replies (cmd/); the proto-max-bulk-len check, which the caller makes
//! with [`lcs_table_bytes`] before calling.

/// One run of the LCS: `a[a.0..=a.1]` equals `b[b.0..=b.1]`, `len` bytes.
/// Both ranges are inclusive, as Redis prints them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LcsMatch {
    pub a: (usize, usize),
    pub b: (usize, usize),
    pub len: usize,
}

/// Redis refuses strings of this many bytes or more ("String too long for
/// LCS"): its table holds 32-bit lengths and indexes.
pub const MAX_LCS_INPUT: u64 = u32::MAX as u64 - 1;

/// Does Redis refuse these lengths with "String too long for LCS"?
pub fn lcs_input_too_long(alen: usize, blen: usize) -> bool {
    alen as u64 >= MAX_LCS_INPUT || blen as u64 >= MAX_LCS_INPUT
}

/// Bytes of the DP table for strings of these lengths: `(alen + 1) *
/// (blen + 1)` cells of 4 bytes. `None` if that overflows a u64.
///
/// Redis 7.0.15 refuses the command with "Insufficient memory, transient
/// memory for LCS exceeds proto-max-bulk-len" when this exceeds
/// proto-max-bulk-len (512 MB by default: two strings of 11,585 bytes
/// each are refused, two of 11,584 accepted), and with "Insufficient
/// memory, failed allocating transient memory for LCS" when the
/// allocation itself fails ([`try_lcs`] returns `None` then).
pub fn lcs_table_bytes(alen: usize, blen: usize) -> Option<u64> {
    let cells = (alen as u64)
        .checked_add(1)?
        .checked_mul((blen as u64).checked_add(1)?)?;
    cells.checked_mul(4)
}

/// The LCS of `a` and `b` and its runs, in Redis's order (invariant 3).
///
/// The caller has checked [`lcs_table_bytes`] against proto-max-bulk-len.
/// If the table still cannot be allocated this returns an empty LCS and
/// no runs; use [`try_lcs`] to tell that apart.
pub fn lcs(a: &[u8], b: &[u8]) -> (Vec<u8>, Vec<LcsMatch>) {
    try_lcs(a, b).unwrap_or_default()
}

// ANCHOR: table
/// The DP table, row-major: cell (i, j) is at `i * (b.len() + 1) + j`.
/// `None` if it cannot be allocated.
fn build_table(a: &[u8], b: &[u8]) -> Option<Vec<u32>> {
    let cells = usize::try_from(lcs_table_bytes(a.len(), b.len())? / 4).ok()?;
    let mut table = Vec::new();
    table.try_reserve_exact(cells).ok()?;
    table.resize(cells, 0u32);
    let width = b.len() + 1;
    // Row i is computed from row i - 1 alone, so split the table into the
    // finished part and the row being written.
    for (i, &ai) in a.iter().enumerate() {
        let (done, rest) = table.split_at_mut((i + 1) * width);
        let up = &done[i * width..];
        let row = &mut rest[..width];
        for (j, &bj) in b.iter().enumerate() {
            row[j + 1] = if ai == bj {
                up[j] + 1
            } else {
                up[j + 1].max(row[j])
            };
        }
    }
    Some(table)
}
// ANCHOR_END: table

// ANCHOR: walk
/// [`lcs`], or `None` when the DP table cannot be allocated or the
/// strings are too long for 32-bit lengths.
///
/// HOW THE WALK GOES (Redis 7.0's order, invariant 2): start at (alen,
/// blen). Equal bytes: the byte belongs to the LCS, step to (i-1, j-1).
/// Different bytes: step towards the larger neighbour, up on a strict
/// win, left on a tie. A run is a stretch of diagonal steps; it closes on
/// the first non-diagonal step or when the walk reaches row or column 0,
/// and is reported at that moment, so the last run in the strings comes
/// first.
pub fn try_lcs(a: &[u8], b: &[u8]) -> Option<(Vec<u8>, Vec<LcsMatch>)> {
    if lcs_input_too_long(a.len(), b.len()) {
        return None;
    }
    let table = build_table(a, b)?;
    let width = b.len() + 1;
    let cell = |i: usize, j: usize| table.get(i * width + j).copied().unwrap_or(0);

    let total = cell(a.len(), b.len()) as usize;
    let mut seq = vec![0u8; total];
    let mut filled = total; // seq[filled..] is written, back to front
    let mut runs = Vec::new();
    // The open run: (first a index, first b index, length), growing backwards.
    let mut open: Option<(usize, usize, usize)> = None;
    let close = |open: &mut Option<(usize, usize, usize)>, runs: &mut Vec<LcsMatch>| {
        if let Some((ia, ib, len)) = open.take() {
            runs.push(LcsMatch {
                a: (ia, ia + len - 1),
                b: (ib, ib + len - 1),
                len,
            });
        }
    };

    let (mut i, mut j) = (a.len(), b.len());
    while i > 0 && j > 0 {
        if a[i - 1] == b[j - 1] {
            filled -= 1;
            if let Some(slot) = seq.get_mut(filled) {
                *slot = a[i - 1];
            }
            let len = open.map_or(0, |(_, _, len)| len);
            open = Some((i - 1, j - 1, len + 1));
            i -= 1;
            j -= 1;
            if i == 0 || j == 0 {
                close(&mut open, &mut runs);
            }
        } else {
            close(&mut open, &mut runs);
            if cell(i - 1, j) > cell(i, j - 1) {
                i -= 1;
            } else {
                j -= 1;
            }
        }
    }
    close(&mut open, &mut runs);
    Some((seq, runs))
}
// ANCHOR_END: walk

#[cfg(test)]
mod tests {
    use super::*;

    fn m(a: (usize, usize), b: (usize, usize)) -> LcsMatch {
        LcsMatch {
            a,
            b,
            len: a.1 - a.0 + 1,
        }
    }

    /// The LCS length by a separate two-row DP, for cross-checking.
    fn lcs_len(a: &[u8], b: &[u8]) -> usize {
        let mut prev = vec![0usize; b.len() + 1];
        for &x in a {
            let mut cur = vec![0usize; b.len() + 1];
            for (j, &y) in b.iter().enumerate() {
                cur[j + 1] = if x == y {
                    prev[j] + 1
                } else {
                    prev[j + 1].max(cur[j])
                };
            }
            prev = cur;
        }
        prev[b.len()]
    }

    /// Invariants 1 and 3 on a result: the runs spell the LCS back to
    /// front, each run really matches, and the LCS has the DP's length.
    fn check_invariants(a: &[u8], b: &[u8], seq: &[u8], runs: &[LcsMatch]) {
        assert_eq!(seq.len(), lcs_len(a, b));
        let mut spelled = Vec::new();
        let mut last: Option<LcsMatch> = None;
        for r in runs {
            assert_eq!(r.len, r.a.1 - r.a.0 + 1);
            assert_eq!(r.len, r.b.1 - r.b.0 + 1);
            assert_eq!(a[r.a.0..=r.a.1], b[r.b.0..=r.b.1]);
            if let Some(prev) = last {
                assert!(r.a.1 < prev.a.0 && r.b.1 < prev.b.0, "runs go backwards");
            }
            last = Some(*r);
            spelled.splice(0..0, a[r.a.0..=r.a.1].iter().copied());
        }
        assert_eq!(spelled, seq);
    }

    #[test]
    fn ohmytext_and_mynewtext_match_redis() {
        // MSET key1 ohmytext key2 mynewtext; LCS key1 key2 IDX WITHMATCHLEN (7.0.15)
        let (a, b) = (b"ohmytext", b"mynewtext");
        let (seq, runs) = lcs(a, b);
        assert_eq!(seq, b"mytext");
        assert_eq!(runs, [m((4, 7), (5, 8)), m((2, 3), (0, 1))]);
        check_invariants(a, b, &seq, &runs);
        // MINMATCHLEN 4 keeps the first run only (filtered by the caller).
        assert_eq!(runs.iter().filter(|r| r.len >= 4).count(), 1);
    }

    #[test]
    fn ties_step_left_which_picks_redis_s_lcs() {
        // "ab"/"ba" has two LCSs, "a" and "b"; Redis 7.0.15 answers "b",
        // with the run a[1..=1] = b[0..=0].
        let (seq, runs) = lcs(b"ab", b"ba");
        assert_eq!(seq, b"b");
        assert_eq!(runs, [m((1, 1), (0, 0))]);
        // LCS x1 x2 IDX WITHMATCHLEN with x1 = abcabc, x2 = cbacba.
        let (seq, runs) = lcs(b"abcabc", b"cbacba");
        assert_eq!(seq, b"cbc");
        assert_eq!(
            runs,
            [m((5, 5), (3, 3)), m((4, 4), (1, 1)), m((2, 2), (0, 0))]
        );
    }

    #[test]
    fn abcd_and_acbd_walk_as_drawn_in_the_chapter() {
        // Redis 7.0.15: LCS -> "acd"; IDX WITHMATCHLEN -> [3,3] [3,3] 1,
        // [2,2] [1,1] 1, [0,0] [0,0] 1. The tie at (3, 3) steps left,
        // which is why "abd" is not the answer.
        let (seq, runs) = lcs(b"abcd", b"acbd");
        assert_eq!(seq, b"acd");
        assert_eq!(
            runs,
            [m((3, 3), (3, 3)), m((2, 2), (1, 1)), m((0, 0), (0, 0))]
        );
        assert_eq!(build_table(b"abcd", b"acbd").map(|t| t[24]), Some(3));
    }

    #[test]
    fn empty_and_disjoint_strings_have_an_empty_lcs() {
        assert_eq!(lcs(b"", b"abc"), (vec![], vec![]));
        assert_eq!(lcs(b"abc", b""), (vec![], vec![]));
        assert_eq!(lcs(b"abc", b"xyz"), (vec![], vec![]));
    }

    #[test]
    fn identical_strings_are_one_run() {
        let (seq, runs) = lcs(b"hello", b"hello");
        assert_eq!(seq, b"hello");
        assert_eq!(runs, [m((0, 4), (0, 4))]);
    }

    #[test]
    fn runs_touching_the_start_are_closed() {
        // Redis 7.0.15: LCS IDX of "xab" / "ab" and "ab" / "xab".
        assert_eq!(lcs(b"xab", b"ab").1, [m((1, 2), (0, 1))]);
        assert_eq!(lcs(b"ab", b"xab").1, [m((0, 1), (1, 2))]);
    }

    #[test]
    fn table_bytes_are_four_per_cell_and_overflow_is_none() {
        assert_eq!(lcs_table_bytes(0, 0), Some(4));
        assert_eq!(lcs_table_bytes(8, 9), Some(4 * 9 * 10));
        // Redis 7.0.15 refuses two 11585-byte strings (536,941,584 bytes >
        // 512 MB) and accepts two of 11584 bytes (536,848,900 bytes).
        assert_eq!(lcs_table_bytes(11585, 11585), Some(536_941_584));
        assert_eq!(lcs_table_bytes(11584, 11584), Some(536_848_900));
        assert_eq!(lcs_table_bytes(usize::MAX, 2), None);
        assert!(!lcs_input_too_long(10, 10));
        assert!(lcs_input_too_long(u32::MAX as usize - 1, 0));
    }

    #[test]
    fn random_pairs_satisfy_the_invariants() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..2_000 {
            let alpha = 1 + next() % 4;
            let a: Vec<u8> = (0..next() % 30)
                .map(|_| b'a' + (next() % alpha) as u8)
                .collect();
            let b: Vec<u8> = (0..next() % 30)
                .map(|_| b'a' + (next() % alpha) as u8)
                .collect();
            let (seq, runs) = lcs(&a, &b);
            check_invariants(&a, &b, &seq, &runs);
        }
    }
}
