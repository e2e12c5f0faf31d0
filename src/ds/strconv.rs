//! Strict number parsing: Redis's `string2ll`, the one definition of "a
//! canonical integer" the whole server uses.
//!
//! Chapter: chapters/12-listpack.md
//!
//! A string is a canonical integer when converting it to an i64 and back
//! gives the same bytes: an optional '-', then "0" alone or digits not
//! starting with '0', fitting in an i64. So "12" is one, and "012", "+12",
//! " 12", "-0" and "9223372036854775808" are not. The listpack stores
//! canonical integers as integers, the string type encodes them as `int`,
//! sets keep them in intsets, and every command argument that must be an
//! integer is parsed with it (so errors match Redis's).
//!
//! Invariants:
//! 1. `parse_i64(s) == Some(n)` exactly when `n.to_string().as_bytes() == s`.
//!
//! Doubles follow the same idea with `parse_f64` (Redis's `string2d`): the
//! whole string must be a number, with strtod's grammar.
//!
//! Not here: long doubles (`longdouble.rs`), the protocol's own length parsing
//! (`resp/parser.rs`, which sits below this layer).

// ANCHOR: parse_int
/// Reads `s` as an integer only if writing that integer back in decimal
/// gives exactly `s`: an optional `-`, then `0` alone or a digit 1-9 followed
/// by digits, within `i64`. So `"123"` and `"-5"` are integers, while
/// `"0123"`, `"+1"`, `" 1"`, `"-0"` and `"1e3"` are not. These are Redis's
/// `string2ll` rules. A string that passes can be stored as a number and
/// given back byte for byte; one that fails must be kept as bytes.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    let (negative, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, s),
    };
    match digits {
        [b'0'] if !negative => return Some(0),
        [b'1'..=b'9', ..] => {}
        _ => return None,
    }
    // 19 digits always fit a u64 (10^19 - 1 < 2^64); i64 needs at most 19.
    if digits.len() > 19 {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(d - b'0');
    }
    if negative {
        // -2^63 is the one magnitude that fits only negated.
        (v <= 1 << 63).then(|| (v as i64).wrapping_neg())
    } else {
        i64::try_from(v).ok()
    }
}
// ANCHOR_END: parse_int

// ANCHOR: parse_f64
/// Reads `s` as a double the way Redis's `string2d` does for scores and
/// increments: the whole string must be a number, with no leading space,
/// and neither NaN nor a result strtod flags as out of range (a finite
/// literal that overflows to infinity, or nonzero digits that underflow to
/// zero). `inf`, `+inf`, `-inf` and `infinity` in any case are accepted.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    let v = parse_f64_prefixless(s)?;
    (!v.is_nan()).then_some(v)
}

/// Reads a range bound as Redis's `zslParseRange` does with plain strtod:
/// leading whitespace is skipped, an empty string is 0, and overflow
/// saturates to infinity instead of failing. Only leftovers and NaN fail.
pub fn parse_f64_lenient(s: &[u8]) -> Option<f64> {
    let start = s
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
        .unwrap_or(s.len());
    let t = &s[start..];
    if t.is_empty() {
        return Some(0.0);
    }
    match decimal_syntax(t) {
        Some(_) => std::str::from_utf8(t).ok()?.parse::<f64>().ok(),
        None => parse_f64(t),
    }
}
// ANCHOR_END: parse_f64

fn parse_f64_prefixless(s: &[u8]) -> Option<f64> {
    if s.is_empty() {
        return None;
    }
    let (neg, body) = match s {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, s),
    };
    if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
        return Some(if neg {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    match decimal_syntax(s) {
        Some(nonzero_digits) => {
            // Rust's parser is correctly rounded, as glibc's strtod is.
            let v: f64 = std::str::from_utf8(s).ok()?.parse().ok()?;
            if v.is_infinite() || (v == 0.0 && nonzero_digits) {
                return None; // ERANGE
            }
            Some(v)
        }
        // Hex floats (0x1.8p3) are rare enough to go through the long
        // double parser, which also applies the ERANGE rules.
        None => {
            let ld = super::longdouble::LongDouble::parse(s)?;
            let v = ld.to_f64();
            (v.is_finite()).then_some(v)
        }
    }
}

/// If `s` is `[+-]digits[.digits][(e|E)[+-]digits]` with at least one
/// mantissa digit, returns whether any mantissa digit is nonzero.
fn decimal_syntax(s: &[u8]) -> Option<bool> {
    let mut i = usize::from(matches!(s.first(), Some(b'+' | b'-')));
    let mut digits = 0;
    let mut nonzero = false;
    let mut seen_point = false;
    while let Some(&c) = s.get(i) {
        match c {
            b'0'..=b'9' => {
                digits += 1;
                nonzero |= c != b'0';
            }
            b'.' if !seen_point => seen_point = true,
            _ => break,
        }
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_start = i;
        while matches!(s.get(i), Some(b'0'..=b'9')) {
            i += 1;
        }
        if i == exp_start {
            return None;
        }
    }
    (i == s.len()).then_some(nonzero)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_i64_is_as_strict_as_redis() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-12"), Some(-12));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"+1",
            b" 1",
            b"1 ",
            b"01",
            b"-0",
            b"-",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"1a",
            b"99999999999999999999",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn canonical_means_it_round_trips() {
        for n in [0i64, 1, -1, 10, -10, i64::MAX, i64::MIN, 1234567890123] {
            assert_eq!(parse_i64(n.to_string().as_bytes()), Some(n));
        }
    }

    #[test]
    fn parse_f64_follows_string2d() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"+Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_f64(b".5"), Some(0.5));
        assert_eq!(parse_f64(b"5."), Some(5.0));
        assert_eq!(parse_f64(b"1e3"), Some(1000.0));
        assert_eq!(parse_f64(b"0x10"), Some(16.0));
        assert_eq!(parse_f64(b"0.0"), Some(0.0));
        for bad in [
            &b""[..],
            b" 1",
            b"1 ",
            b"nan",
            b"1e400",
            b"1e-400",
            b"abc",
            b"1e",
            b".",
            b"-",
        ] {
            assert_eq!(parse_f64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn range_bounds_parse_like_plain_strtod() {
        assert_eq!(parse_f64_lenient(b""), Some(0.0));
        assert_eq!(parse_f64_lenient(b"  2"), Some(2.0));
        assert_eq!(parse_f64_lenient(b"1e400"), Some(f64::INFINITY));
        assert_eq!(parse_f64_lenient(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64_lenient(b"nan"), None);
        assert_eq!(parse_f64_lenient(b"1x"), None);
    }
}
