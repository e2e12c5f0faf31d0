//! redis.conf lexing and value parsing: the rules one line and one value obey.
//!
//! Chapter: chapters/05-config-and-info.md
//!
//! A configuration line is split into arguments the way Redis splits a
//! command typed into redis-cli: blanks separate words, `"..."` allows
//! escapes (`\n`, `\x41`, ...), `'...'` allows only `\'`. Values are then
//! parsed by kind. Each kind copies the exact strictness of the C function
//! Redis uses for it, because a config file that Redis accepts must load
//! here too, and one it rejects must fail with the same reason:
//!
//! ```text
//!   kind      Redis parser   "05"  "+5"  " 5"  ""    "1k"
//!   integer   string2ll      no    no    no    no    no
//!   memory    memtoull       5     no    no    0     1000
//!   octal     strtol(8)      5     5     5     0     no
//!   c-long    strtoll(10)    5     5     5     0     no     (save, soft_seconds)
//! ```
//!
//! Invariants:
//! 1. `split_args(repr(x))` gives back `[x]` for every byte string `x`, so a
//!    command-line value can be turned into config text and read back.
//! 2. No function here panics on any input.
//!
//! Not here: which directive takes which kind (directives.rs), the file
//! loop and includes (mod.rs).

// ---------------------------------------------------------------------------
// Splitting a line into arguments
// ---------------------------------------------------------------------------

/// The reason Redis gives when [`split_args`] fails.
pub const UNBALANCED_QUOTES: &str = "Unbalanced quotes in configuration line";

/// C's `isspace` in the "C" locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

// ANCHOR: split_args
/// Split one line into arguments; `None` means unbalanced quotes.
///
/// ```text
///   set "a b" 'it\'s' x"y"z  ->  [set] [a b] [it's] [xyz]
///   "\x41\n"                 ->  [A<newline>]
///   "abc"def                 ->  error: a closing quote must end the word
/// ```
///
/// Quotes may open in the middle of a word (`x"y"`), but a closing quote
/// must be followed by a blank or the end of the line. A NUL byte ends the
/// line, as it ends a C string.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let line = match line.iter().position(|&b| b == 0) {
        Some(nul) => &line[..nul],
        None => line,
    };
    let at = |i: usize| line.get(i).copied();
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while at(i).is_some_and(is_c_space) {
            i += 1;
        }
        if i >= line.len() {
            return Some(args);
        }
        let mut word = Vec::new();
        let mut quote: Option<u8> = None;
        loop {
            match (quote, at(i)) {
                // Running off the end inside quotes is the one fatal case.
                (Some(_), None) => return None,
                (None, None) => break,
                (None, Some(b' ' | b'\n' | b'\r' | b'\t')) => break,
                (None, Some(q @ (b'"' | b'\''))) => quote = Some(q),
                (None, Some(b)) => word.push(b),
                (Some(q), Some(b)) if b == q => {
                    if at(i + 1).is_some_and(|n| !is_c_space(n)) {
                        return None;
                    }
                    i += 1;
                    break;
                }
                (Some(b'"'), Some(b'\\')) => {
                    let hex = (at(i + 2).and_then(hex_value), at(i + 3).and_then(hex_value));
                    match (at(i + 1), hex) {
                        (Some(b'x'), (Some(hi), Some(lo))) => {
                            word.push(hi * 16 + lo);
                            i += 3;
                        }
                        (Some(e), _) => {
                            word.push(match e {
                                b'n' => b'\n',
                                b'r' => b'\r',
                                b't' => b'\t',
                                b'b' => 0x08,
                                b'a' => 0x07,
                                other => other,
                            });
                            i += 1;
                        }
                        (None, _) => word.push(b'\\'),
                    }
                }
                (Some(b'\''), Some(b'\\')) if at(i + 1) == Some(b'\'') => {
                    word.push(b'\'');
                    i += 1;
                }
                (Some(_), Some(b)) => word.push(b),
            }
            i += 1;
        }
        args.push(word);
    }
}
// ANCHOR_END: split_args

/// Quote bytes the way Redis echoes them (`sdscatrepr`): inside double
/// quotes, `\` and `"` escaped, common controls as `\n`-style escapes, other
/// non-printable bytes as `\xNN`.
pub fn repr(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

pub const NOT_AN_INTEGER: &str = "argument couldn't be parsed into an integer";
pub const NOT_YES_NO: &str = "argument must be 'yes' or 'no'";
pub const NOT_MEMORY: &str = "argument must be a memory value";
pub const NOT_OCTAL: &str = "argument couldn't be parsed as an octal number";

/// `yes` or `no`, in any case.
pub fn parse_bool(s: &str) -> Result<bool, String> {
    if s.eq_ignore_ascii_case("yes") {
        Ok(true)
    } else if s.eq_ignore_ascii_case("no") {
        Ok(false)
    } else {
        Err(NOT_YES_NO.to_string())
    }
}

pub fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

/// A strict decimal integer: optional `-`, no `+`, no blanks, no leading
/// zeros, no `-0`, no overflow. This is what Redis accepts as a number
/// anywhere in the protocol, so the same function would serve INCRBY.
pub fn parse_strict_i64(s: &str) -> Option<i64> {
    crate::ds::strconv::parse_i64(s.as_bytes())
}

/// C's `strtoll`/`strtol` used with an "all input consumed" check, as Redis
/// does for octal permissions, `save` pairs and buffer-limit seconds:
/// leading blanks and a sign are allowed, overflow saturates, and the empty
/// string reads as 0 (strtol reports no digits, but the end pointer then
/// sits on the terminating NUL, which passes the check).
pub fn parse_c_long(s: &str, radix: u32) -> Option<i64> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && is_c_space(b[i]) {
        i += 1;
    }
    let mut neg = false;
    if let Some(&sign @ (b'+' | b'-')) = b.get(i) {
        neg = sign == b'-';
        i += 1;
    }
    let start = i;
    let mut mag: u64 = 0;
    while let Some(d) = b.get(i).and_then(|&c| (c as char).to_digit(radix)) {
        mag = mag
            .saturating_mul(u64::from(radix))
            .saturating_add(u64::from(d));
        i += 1;
    }
    if i == start {
        return b.is_empty().then_some(0);
    }
    if i != b.len() {
        return None;
    }
    Some(if neg {
        // -(2^63) is the most negative value; larger magnitudes saturate.
        0i64.checked_sub_unsigned(mag).unwrap_or(i64::MIN)
    } else {
        i64::try_from(mag).unwrap_or(i64::MAX)
    })
}

/// A memory amount: decimal digits and an optional unit, case-insensitive.
///
/// ```text
///   1b = 1   1k = 1000   1kb = 1024   1m = 10^6   1mb = 2^20
///   1g = 10^9            1gb = 2^30
/// ```
///
/// Like Redis's `memtoull`, no sign, blank or fraction is accepted, and
/// missing digits read as 0 (so `""` and `"k"` are 0). Too large a number
/// saturates at `u64::MAX`, which every signed directive then rejects as out
/// of range. (Redis wraps around instead when the unit overflows; see the
/// chapter's Real Redis section.)
pub fn parse_memory(s: &str) -> Option<u64> {
    let split = s
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let mul: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    // Redis copies the digits into a 128-byte buffer and gives up beyond it.
    if digits.len() > 127 {
        return None;
    }
    let n = digits.bytes().fold(0u64, |acc, d| {
        acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    });
    Some(n.saturating_mul(mul))
}

/// Memory as CONFIG REWRITE writes it: the largest binary unit that divides
/// the value exactly, so `1073741824` becomes `1gb` and `1000` stays `1000`.
pub fn format_memory(bytes: u64) -> String {
    const GB: u64 = 1024 * 1024 * 1024;
    const MB: u64 = 1024 * 1024;
    const KB: u64 = 1024;
    match bytes {
        0 => "0".to_string(),
        b if b % GB == 0 => format!("{}gb", b / GB),
        b if b % MB == 0 => format!("{}mb", b / MB),
        b if b % KB == 0 => format!("{}kb", b / KB),
        b => b.to_string(),
    }
}

/// Range check shared by every numeric directive, with Redis's wording.
pub fn check_range<T: TryFrom<i128>>(v: i128, min: i128, max: i128) -> Result<T, String> {
    if v < min || v > max {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    T::try_from(v).map_err(|_| format!("argument must be between {min} and {max} inclusive"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Option<Vec<String>> {
        split_args(line.as_bytes()).map(|v| {
            v.into_iter()
                .map(|w| String::from_utf8_lossy(&w).into_owned())
                .collect()
        })
    }

    #[test]
    fn split_args_handles_blanks_and_both_quote_styles() {
        assert_eq!(words("  port   6379  ").unwrap(), ["port", "6379"]);
        assert_eq!(words("logfile \"\"").unwrap(), ["logfile", ""]);
        assert_eq!(words("a \"b c\" 'd e'").unwrap(), ["a", "b c", "d e"]);
        assert_eq!(words("x\"y z\"").unwrap(), ["xy z"]);
        assert_eq!(words("'it\\'s'").unwrap(), ["it's"]);
        assert_eq!(words("'a\\nb'").unwrap(), ["a\\nb"]);
        assert_eq!(words("").unwrap(), Vec::<String>::new());
        assert_eq!(words(" \t ").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn split_args_decodes_double_quote_escapes() {
        let got = split_args(b"\"\\x41\\n\\t\\r\\a\\b\\\"\\\\\\q\\x4\"").unwrap();
        assert_eq!(got, vec![b"A\n\t\r\x07\x08\"\\qx4".to_vec()]);
    }

    #[test]
    fn split_args_rejects_unbalanced_and_glued_quotes() {
        assert_eq!(words("port \"abc"), None);
        assert_eq!(words("port 'abc"), None);
        assert_eq!(words("\"abc\"def"), None);
        assert_eq!(words("'abc'def"), None);
        assert_eq!(words("\"abc\\\""), None);
        assert_eq!(words("\"ends with backslash\\"), None);
    }

    #[test]
    fn split_args_stops_at_nul() {
        assert_eq!(
            split_args(b"a b\0c d").unwrap(),
            vec![b"a".to_vec(), b"b".to_vec()]
        );
    }

    #[test]
    fn repr_round_trips_through_split_args() {
        let samples: [&[u8]; 6] = [
            b"",
            b"plain",
            b"a b",
            b"q\"uo\\te",
            b"\x00\x01\xff\n\r\t",
            b"'",
        ];
        for s in samples {
            let r = repr(s);
            assert_eq!(split_args(r.as_bytes()).unwrap(), vec![s.to_vec()], "{r}");
        }
        assert_eq!(repr(b"a\"b"), "\"a\\\"b\"");
        assert_eq!(repr(b"\x01"), "\"\\x01\"");
    }

    #[test]
    fn strict_integers_reject_what_string2ll_rejects() {
        assert_eq!(parse_strict_i64("0"), Some(0));
        assert_eq!(parse_strict_i64("-17"), Some(-17));
        assert_eq!(parse_strict_i64("9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_strict_i64("-9223372036854775808"), Some(i64::MIN));
        for bad in [
            "",
            "-",
            "-0",
            "05",
            "+5",
            " 5",
            "5 ",
            "1k",
            "0x10",
            "9223372036854775808",
        ] {
            assert_eq!(parse_strict_i64(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn c_long_accepts_blanks_signs_and_empty_like_strtol() {
        assert_eq!(parse_c_long("", 10), Some(0));
        assert_eq!(parse_c_long(" +01", 10), Some(1));
        assert_eq!(parse_c_long("-1", 10), Some(-1));
        assert_eq!(parse_c_long("99999999999999999999", 10), Some(i64::MAX));
        assert_eq!(parse_c_long("-99999999999999999999", 10), Some(i64::MIN));
        assert_eq!(parse_c_long("0777", 8), Some(0o777));
        assert_eq!(parse_c_long("8", 8), None);
        assert_eq!(parse_c_long("  ", 10), None);
        assert_eq!(parse_c_long("+", 10), None);
        assert_eq!(parse_c_long("1 ", 10), None);
    }

    #[test]
    fn memory_units_are_decimal_without_b_and_binary_with_it() {
        let cases = [
            ("1", 1),
            ("1b", 1),
            ("1k", 1000),
            ("1K", 1000),
            ("1kb", 1024),
            ("1Kb", 1024),
            ("1m", 1_000_000),
            ("1mb", 1 << 20),
            ("1g", 1_000_000_000),
            ("1GB", 1 << 30),
            ("05", 5),
            ("", 0),
            ("k", 0),
        ];
        for (s, want) in cases {
            assert_eq!(parse_memory(s), Some(want), "{s}");
        }
        for bad in ["+5", "-0", " 5", "5 ", "1kk", "1.5k", "1e3", "0x10", "1t"] {
            assert_eq!(parse_memory(bad), None, "{bad}");
        }
        assert_eq!(parse_memory("18446744073709551616"), Some(u64::MAX));
        assert_eq!(parse_memory("20000000000g"), Some(u64::MAX));
    }

    #[test]
    fn format_memory_picks_the_largest_exact_binary_unit() {
        assert_eq!(format_memory(0), "0");
        assert_eq!(format_memory(1000), "1000");
        assert_eq!(format_memory(1024), "1kb");
        assert_eq!(format_memory(2 << 20), "2mb");
        assert_eq!(format_memory(1 << 30), "1gb");
        assert_eq!(format_memory((1 << 30) + 1024), "1048577kb");
    }

    #[test]
    fn range_errors_use_redis_wording() {
        assert_eq!(
            check_range::<u16>(70000, 0, 65535),
            Err("argument must be between 0 and 65535 inclusive".to_string())
        );
        assert_eq!(check_range::<u16>(80, 0, 65535), Ok(80));
    }
}
