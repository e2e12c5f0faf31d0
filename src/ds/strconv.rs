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
//! Not here: floats (`longdouble.rs`), the protocol's own length parsing
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
}
