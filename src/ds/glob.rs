//! Glob matching: the pattern language of KEYS, SCAN MATCH and CONFIG GET.
//!
//! Chapter: chapters/05-config-and-info.md
//!
//! A pattern is a row of tokens. `*` matches any run of bytes (possibly
//! none), every other token matches exactly one byte: `?` any byte, `[...]`
//! one byte from a class, `\x` the byte `x`, anything else itself. Because
//! every non-star token eats exactly one byte, a failed match only ever has
//! to revisit the most recent star, which makes the matcher a simple loop
//! with one saved position instead of a recursion.
//!
//! Invariants:
//! 1. The result equals Redis 7.0's `stringmatchlen` for every input,
//!    including its quirks: an empty string matches only the empty pattern,
//!    an unterminated `[` class swallows the rest of the pattern, class
//!    ranges compare bytes as signed chars, and a pattern needing more than
//!    [`MAX_STAR_NESTING`] star groups never matches.
//! 2. Running time is at most proportional to `pattern.len() * string.len()`,
//!    and stack use is constant, whatever the pattern.
//!
//! Not here: choosing keys to test (db/), case folding of config names
//! (config/ passes `nocase = true`).

/// Redis gives up on a pattern once matching it would recurse through more
/// than this many `*` groups (its guard against stack exhaustion). We do not
/// recurse at all, but we keep the limit so that such patterns answer
/// "no match" exactly as they do in Redis.
pub const MAX_STAR_NESTING: usize = 1000;

// ANCHOR: glob_match
/// Does `string` match the glob `pattern`? `nocase` folds ASCII letters.
///
/// An empty `string` matches only an empty pattern, not even `*`. Redis's
/// KEYS and SCAN treat a lone `*` as "every key" before they ever call the
/// matcher, so callers that list keys must do the same to show the empty
/// key.
///
/// HOW IT WORKS
///
/// Two cursors walk the pattern and the string. A non-star token either
/// matches the byte under the string cursor (both advance) or fails. A `*`
/// first matches nothing, and we remember where it stood: `(pattern
/// position after the star, string position)`. On a later failure we go
/// back to that bookmark and let the star swallow one more byte.
///
/// ```text
///   pattern  a * b c          string  a x b x b c
///   step 1   ^                        ^            'a' = 'a'
///   step 2     ^ star: bookmark (2, 1), star eats nothing
///   step 3       ^                      ^          'b' != 'x'  -> back,
///                                                  star eats "x"
///   step 4       ^ ^                      ^ ^      "bc" vs "bx": fails on 'x'
///                                                  -> back, star eats "xb"
///   ...          ^ ^                          ^ ^  ... "bc" vs "bc": match
/// ```
///
/// WHY ONLY THE LAST STAR
///
/// Suppose stars S1 and S2 both appear and we fail after S2. Letting S1
/// swallow more would only move the point where S2 starts further right,
/// and S2 can already reach every such point by swallowing more itself.
/// So retrying S2 alone loses no match. That is the argument Redis 7.0 makes
/// in its `skipLongerMatches` flag; here it is built into the loop's shape.
///
/// WHY NOT THE OBVIOUS WAY
///
/// The textbook recursion ("star: try the rest at every position") tries
/// every way of splitting the string between the stars: `a*a*a*a*a*b`
/// against thirty `a`s takes billions of steps, and each star adds a stack
/// frame, so a long pattern of stars overflows the stack. Patterns come from
/// clients, so either failure would let one request stall or crash the
/// server. The loop below does at most `pattern.len()` token steps per byte
/// the bookmark moves, and the bookmark moves at most `string.len()` times.
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    // Redis never enters its loop for an empty string, so even `*` fails.
    if string.is_empty() {
        return pattern.is_empty();
    }
    if star_groups_before_last_token(pattern) > MAX_STAR_NESTING {
        return false;
    }
    let (mut pi, mut si) = (0usize, 0usize);
    // Where to resume after the most recent star: (pattern index just past
    // the star group, string index the star's match currently ends at).
    let mut bookmark: Option<(usize, usize)> = None;
    loop {
        if pi < pattern.len() && pattern[pi] == b'*' {
            while pi < pattern.len() && pattern[pi] == b'*' {
                pi += 1;
            }
            if pi == pattern.len() {
                return true; // a final star swallows whatever is left
            }
            bookmark = Some((pi, si));
            continue;
        }
        if pi == pattern.len() && si == string.len() {
            return true;
        }
        if pi < pattern.len() && si < string.len() {
            if let Some(next) = match_token(pattern, pi, string[si], nocase) {
                pi = next;
                si += 1;
                continue;
            }
        }
        // Mismatch: let the last star swallow one more byte, if any remain.
        match bookmark {
            Some((star_pi, star_si)) if star_si < string.len() => {
                bookmark = Some((star_pi, star_si + 1));
                pi = star_pi;
                si = star_si + 1;
            }
            _ => return false,
        }
    }
}
// ANCHOR_END: glob_match

// ---------------------------------------------------------------------------
// One token at a time
// ---------------------------------------------------------------------------

/// ASCII lower-casing on a C `int`, as `tolower` does in the C locale.
fn fold(c: i32) -> i32 {
    if (i32::from(b'A')..=i32::from(b'Z')).contains(&c) {
        c + 32
    } else {
        c
    }
}

fn same_byte(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

/// Match the single non-star token starting at `pattern[pi]` against byte
/// `c`. Returns the index just past the token, or `None` on a mismatch.
fn match_token(pattern: &[u8], pi: usize, c: u8, nocase: bool) -> Option<usize> {
    match pattern[pi] {
        b'?' => Some(pi + 1),
        b'[' => {
            let (hit, next) = match_class(pattern, pi + 1, c, nocase);
            hit.then_some(next)
        }
        // A trailing backslash has nothing to escape and stands for itself.
        b'\\' if pi + 1 < pattern.len() => same_byte(pattern[pi + 1], c, nocase).then_some(pi + 2),
        lit => same_byte(lit, c, nocase).then_some(pi + 1),
    }
}

/// Match a `[...]` class whose body starts at `i` (just past the `[`).
/// Returns (does `c` match, index just past the class).
///
/// The body is read left to right with these rules, checked in order:
/// - `\x` (with `x` present) stands for `x`, compared case-sensitively even
///   under `nocase`, as in Redis;
/// - `]` closes the class; so `[]` is an empty class matching nothing;
/// - `x-y` (with `y` present) is a range, in either order; bytes compare as
///   *signed* chars, so a range ending above 0x7f wraps around through the
///   negative values exactly as Redis's `int` comparison does;
/// - any other byte stands for itself.
///
/// Reaching the end of the pattern without `]` ends the class there: the
/// class swallows the rest of the pattern. (`[a-]` is the range `a`..`]`
/// and therefore also unterminated.)
fn match_class(pattern: &[u8], mut i: usize, c: u8, nocase: bool) -> (bool, usize) {
    let negate = pattern.get(i) == Some(&b'^');
    if negate {
        i += 1;
    }
    let mut hit = false;
    while i < pattern.len() {
        let b = pattern[i];
        if b == b'\\' && i + 1 < pattern.len() {
            hit |= pattern[i + 1] == c;
            i += 2;
        } else if b == b']' {
            return (hit != negate, i + 1);
        } else if i + 2 < pattern.len() && pattern[i + 1] == b'-' {
            let (mut lo, mut hi) = (signed(b), signed(pattern[i + 2]));
            if lo > hi {
                std::mem::swap(&mut lo, &mut hi);
            }
            let mut x = signed(c);
            if nocase {
                // Folded after the swap, as Redis does, so `[Z-a]` folds to
                // the empty range 'z'..'a' and matches nothing under nocase.
                lo = fold(lo);
                hi = fold(hi);
                x = fold(x);
            }
            hit |= lo <= x && x <= hi;
            i += 3;
        } else {
            hit |= same_byte(b, c, nocase);
            i += 1;
        }
    }
    (hit != negate, pattern.len())
}

/// A byte as C's (signed, on the platforms Redis ships for) `char`.
fn signed(b: u8) -> i32 {
    i32::from(b as i8)
}

/// Index just past the class whose body starts at `i`; same walk as
/// [`match_class`] without the comparisons.
fn class_end(pattern: &[u8], mut i: usize) -> usize {
    if pattern.get(i) == Some(&b'^') {
        i += 1;
    }
    while i < pattern.len() {
        if pattern[i] == b'\\' && i + 1 < pattern.len() {
            i += 2;
        } else if pattern[i] == b']' {
            return i + 1;
        } else if i + 2 < pattern.len() && pattern[i + 1] == b'-' {
            i += 3;
        } else {
            i += 1;
        }
    }
    pattern.len()
}

/// How many `*` groups are followed by a non-star token somewhere later.
///
/// Redis recurses once per such group on any successful path, so this is
/// the nesting depth its guard compares with [`MAX_STAR_NESTING`]. A final
/// group never recurses (it matches the rest outright), and neither do
/// stars met after the string ran out.
fn star_groups_before_last_token(pattern: &[u8]) -> usize {
    let (mut groups, mut pending) = (0usize, false);
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            b'*' => {
                pending = true;
                while i < pattern.len() && pattern[i] == b'*' {
                    i += 1;
                }
                continue;
            }
            b'[' => i = class_end(pattern, i + 1),
            b'\\' if i + 1 < pattern.len() => i += 2,
            _ => i += 1,
        }
        if pending {
            groups += 1;
            pending = false;
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// (pattern, string, matches?) for case-sensitive matching. Every row
    /// was checked against Redis 7.0.15 with `KEYS pattern` on a database
    /// holding only `string` (except `*` against "", see its note); rows
    /// marked "quirk" are where Redis differs from a textbook glob.
    const CASES: &[(&[u8], &[u8], bool)] = &[
        (b"", b"", true),
        (b"", b"a", false),
        (b"*", b"", false),  // quirk: empty string matches only "" (KEYS
        (b"**", b"", false), // lists "" for `*` only via its all-keys shortcut)
        (b"*", b"anything", true),
        (b"a*", b"a", true),
        (b"*a", b"a", true),
        (b"a*b", b"ab", true),
        (b"a*b", b"axxb", true),
        (b"a*b", b"axxbx", false),
        (b"a*b*c", b"abxbc", true),
        (b"a**b", b"axb", true),
        (b"*b*", b"abc", true),
        (b"*bc", b"abxbc", true),
        (b"h?llo", b"hello", true),
        (b"h?llo", b"hllo", false),
        (b"h*llo", b"hllo", true),
        (b"h[ae]llo", b"hallo", true),
        (b"h[ae]llo", b"hillo", false),
        (b"h[^e]llo", b"hallo", true),
        (b"h[^e]llo", b"hello", false),
        (b"h[a-b]llo", b"hbllo", true),
        (b"h[b-a]llo", b"hbllo", true), // reversed range
        (b"h[a-b]llo", b"hcllo", false),
        (b"h\\*llo", b"h*llo", true),
        (b"h\\*llo", b"hxllo", false),
        (b"\\", b"\\", true),      // trailing backslash is literal
        (b"a\\", b"a\\", true),    // same
        (b"[\\]]", b"]", true),    // escaped bracket inside a class
        (b"[\\a]", b"a", true),    //
        (b"[]a]", b"]a]", false),  // `[]` is an empty class
        (b"[]a]", b"a]", false),   //
        (b"[abc", b"b", true),     // quirk: unterminated class ends pattern
        (b"[abc", b"bc", false),   //
        (b"x[abc", b"xc", true),   //
        (b"[", b"[", false),       // quirk: lone '[' matches nothing
        (b"[^", b"q", true),       // quirk: unterminated negation: any byte
        (b"[a-]", b"]", true),     // quirk: range 'a'..']' (swapped)
        (b"[a-]", b"-", false),    //
        (b"[a-]x", b"x", true),    // the class swallows "x" too, so the
        (b"[a-]x", b"_", true),    // pattern is one byte: ']'..'a' or 'x'
        (b"[a-]x", b"ax", false),  //
        (b"[-a]", b"-", true),     // leading '-' is literal
        (b"[a-c-e]", b"d", false), // "a-c", then '-', then 'e'
        (b"[a-c-e]", b"-", true),  //
        (b"a?", b"a", false),
        (b"?*", b"a", true),
        (b"*?", b"ab", true),
        (b"a*a*a*b", b"aaaaaaaaab", true),
        (b"a*a*a*b", b"aaaaaaaaaa", false),
        (b"\xff", b"\xff", true),
        (b"[a-\xff]", b"\xff", true), // quirk: 0xff is -1 as a signed char,
        (b"[a-\xff]", b"\x00", true), // so this range is -1..'a'
        (b"[a-\xff]", b"b", false),   //
        (b"[a-\xff]", b"\x80", false), //
    ];

    #[test]
    fn glob_table_matches_redis() {
        for &(p, s, want) in CASES {
            let got = glob_match(p, s, false);
            assert_eq!(
                got,
                want,
                "pattern {:?} string {:?}",
                String::from_utf8_lossy(p),
                String::from_utf8_lossy(s)
            );
        }
    }

    #[test]
    fn nocase_folds_literals_classes_and_ranges_but_not_escapes_in_classes() {
        assert!(glob_match(b"HZ", b"hz", true));
        assert!(!glob_match(b"HZ", b"hz", false));
        assert!(glob_match(b"[G-I]z", b"hz", true));
        assert!(glob_match(b"[g-i]Z", b"Hz", true));
        assert!(glob_match(b"[H]z", b"hz", true));
        assert!(glob_match(b"\\Hz", b"hz", true));
        // Inside a class an escaped byte is compared exactly.
        assert!(!glob_match(b"[\\H]z", b"hz", true));
        // Redis folds after swapping the ends: 'Z'..'a' becomes 'z'..'a'.
        assert!(!glob_match(b"[Z-a]", b"_", true));
        assert!(glob_match(b"[Z-a]", b"_", false));
    }

    #[test]
    fn a_thousand_star_groups_match_but_one_more_never_does() {
        let s = vec![b'a'; 2000];
        let p1000 = b"*a".repeat(1000);
        let p1001 = b"*a".repeat(1001);
        assert!(glob_match(&p1000, &s, false));
        assert!(!glob_match(&p1001, &s, false));
        // A final star group does not count: Redis matches it without
        // recursing.
        let mut p = p1000.clone();
        p.push(b'*');
        assert!(glob_match(&p, &s, false));
        // Nor do stars hidden in a class or behind an escape.
        let mut q = b"[*]\\*".repeat(1000);
        q.extend_from_slice(&p1000);
        let mut t = b"**".repeat(1000);
        t.extend_from_slice(&s);
        assert!(glob_match(&q, &t, false));
    }

    #[test]
    fn pathological_star_pattern_finishes_quickly() {
        // The naive recursion explores C(n+k, k) splits here.
        let mut p = b"a*".repeat(500);
        p.push(b'b');
        let s = vec![b'a'; 10_000];
        let start = Instant::now();
        assert!(!glob_match(&p, &s, false));
        assert!(!glob_match(&p, &s, true));
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn long_unterminated_class_does_not_panic() {
        let mut p = vec![b'['; 1];
        p.extend(std::iter::repeat_n(b'\\', 9999));
        assert!(glob_match(&p, b"\\", false));
        assert!(!glob_match(&p, b"x", false));
    }

    #[test]
    fn star_group_count_skips_classes_escapes_and_the_final_group() {
        assert_eq!(star_groups_before_last_token(b""), 0);
        assert_eq!(star_groups_before_last_token(b"***"), 0);
        assert_eq!(star_groups_before_last_token(b"*a*"), 1);
        assert_eq!(star_groups_before_last_token(b"**a**b"), 2);
        assert_eq!(star_groups_before_last_token(b"\\*[*]"), 0);
        assert_eq!(star_groups_before_last_token(b"*[a"), 1);
    }
}
