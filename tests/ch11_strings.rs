//! Chapter 11 checkpoint: the string and bitmap commands, checked against a
//! real Redis 7.0.
//!
//! Each command family gets a differential script (`common::diff`) that
//! walks its normal cases and then its errors; a few replies the chapter
//! quotes are also spelled out with `expect`, so they are checked even on
//! a machine without redis-server.
//!
//! Values with arbitrary bytes are built with SETBIT/BITFIELD, since the
//! scripts are written as `&str`.
//!
//! Not here: WRONGTYPE errors (they need a second value type, chapter 12 on).

mod common;

use common::diff::{expect, same, Pair};

// ---------------------------------------------------------------------------
// APPEND, STRLEN, SETNX, GETSET, GETDEL
// ---------------------------------------------------------------------------

#[test]
fn append_creates_or_extends_and_returns_the_new_length() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["APPEND", "k", "hello"],
            &["APPEND", "k", " world"],
            &["GET", "k"],
            &["APPEND", "k", ""],
            &["APPEND", "empty", ""],
            &["EXISTS", "empty"],
            &["GET", "empty"],
            // Appending to an integer-encoded value works on its digits.
            &["SET", "n", "12"],
            &["APPEND", "n", "34"],
            &["GET", "n"],
            &["INCR", "n"],
            &["APPEND", "n", "x"],
            &["GET", "n"],
            // The TTL is kept.
            &["SET", "t", "a", "EX", "100"],
            &["APPEND", "t", "b"],
            &["~TTL", "t"],
            &["APPEND", "k"],
            &["APPEND", "k", "a", "b"],
        ],
    );
}

#[test]
fn strlen_counts_bytes_and_is_zero_for_missing_keys() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["STRLEN", "nope"],
            &["SET", "k", "hello"],
            &["STRLEN", "k"],
            &["SET", "u", "h\u{e9}llo"],
            &["STRLEN", "u"],
            &["SET", "i", "-12345"],
            &["STRLEN", "i"],
            &["SET", "e", ""],
            &["STRLEN", "e"],
            &["STRLEN"],
            &["STRLEN", "a", "b"],
        ],
    );
}

#[test]
fn setnx_only_sets_a_missing_key() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SETNX", "k", "v"],
            &["SETNX", "k", "w"],
            &["GET", "k"],
            &["SETNX", "k"],
            &["SETNX", "k", "v", "extra"],
        ],
    );
}

#[test]
fn getset_returns_the_old_value_and_clears_the_ttl() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["GETSET", "k", "v"],
            &["GETSET", "k", "w"],
            &["GET", "k"],
            &["SET", "t", "old", "EX", "100"],
            &["GETSET", "t", "new"],
            &["TTL", "t"],
            &["SET", "i", "42"],
            &["GETSET", "i", "43"],
            &["GETSET", "k"],
        ],
    );
}

#[test]
fn getdel_returns_the_value_and_deletes_the_key() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["GETDEL", "nope"],
            &["SET", "k", "v", "EX", "100"],
            &["GETDEL", "k"],
            &["GETDEL", "k"],
            &["EXISTS", "k"],
            &["SET", "i", "12345"],
            &["GETDEL", "i"],
            &["GETDEL"],
            &["GETDEL", "a", "b"],
        ],
    );
}

// ---------------------------------------------------------------------------
// INCR, DECR, INCRBY, DECRBY
// ---------------------------------------------------------------------------

#[test]
fn incr_and_decr_family_count_from_zero() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["INCR", "n"],
            &["INCRBY", "n", "10"],
            &["DECR", "n"],
            &["DECRBY", "n", "5"],
            &["DECRBY", "n", "-5"],
            &["INCRBY", "n", "-20"],
            &["GET", "n"],
            &["DECR", "fresh"],
            &["DECRBY", "fresh2", "7"],
            &["INCRBY", "fresh3", "0"],
            &["SET", "neg", "-1"],
            &["INCR", "neg"],
            &["SET", "t", "5", "EX", "100"],
            &["INCR", "t"],
            &["~TTL", "t"],
            &["INCR"],
            &["INCR", "a", "b"],
            &["INCRBY", "n"],
            &["DECRBY", "n", "1", "2"],
            &["DECR"],
        ],
    );
}

#[test]
fn incr_rejects_values_that_are_not_canonical_integers() {
    let pair = Pair::start();
    let mut script: Vec<Vec<&str>> = Vec::new();
    // Stored values: leading space, plus sign, leading zero, trailing
    // space, letters, a decimal point, empty, minus zero, too big.
    for bad in [
        " 1",
        "+1",
        "01",
        "1 ",
        "abc",
        "1.5",
        "",
        "-0",
        "99999999999999999999",
        "0x10",
    ] {
        script.push(vec!["SET", "n", bad]);
        script.push(vec!["INCR", "n"]);
        script.push(vec!["DECRBY", "n", "1"]);
        script.push(vec!["GET", "n"]);
    }
    // The same strings as increments.
    script.push(vec!["SET", "n", "5"]);
    for bad in [
        " 1",
        "+1",
        "01",
        "1 ",
        "abc",
        "1.5",
        "",
        "-0",
        "9223372036854775808",
    ] {
        script.push(vec!["INCRBY", "n", bad]);
        script.push(vec!["DECRBY", "n", bad]);
    }
    script.push(vec!["GET", "n"]);
    let refs: Vec<&[&str]> = script.iter().map(|c| c.as_slice()).collect();
    same(&pair, &refs);
    expect(
        &pair,
        &[
            (&["SET", "n", " 1"], b"+OK\r\n"),
            (
                &["INCR", "n"],
                b"-ERR value is not an integer or out of range\r\n",
            ),
        ],
    );
}

#[test]
fn incr_family_overflow_is_an_error_and_leaves_the_value() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SET", "n", "9223372036854775807"],
            &["INCR", "n"],
            &["INCRBY", "n", "1"],
            &["DECRBY", "n", "-1"],
            &["GET", "n"],
            &["SET", "n", "-9223372036854775808"],
            &["DECR", "n"],
            &["DECRBY", "n", "1"],
            &["INCRBY", "n", "-1"],
            &["GET", "n"],
            &["SET", "n", "0"],
            // Negating the smallest i64 overflows on its own.
            &["DECRBY", "n", "-9223372036854775808"],
            &["INCRBY", "n", "-9223372036854775808"],
            &["INCRBY", "n", "9223372036854775807"],
            &["INCR", "n"],
            &["SET", "n", "0"],
            &["DECRBY", "n", "9223372036854775807"],
            &["DECRBY", "n", "1"],
            &["DECRBY", "n", "1"],
            &["GET", "n"],
        ],
    );
    expect(
        &pair,
        &[
            (&["SET", "n", "9223372036854775807"], b"+OK\r\n"),
            (
                &["INCR", "n"],
                b"-ERR increment or decrement would overflow\r\n",
            ),
        ],
    );
}

// ---------------------------------------------------------------------------
// INCRBYFLOAT
// ---------------------------------------------------------------------------

#[test]
fn incrbyfloat_adds_and_formats_like_redis() {
    let pair = Pair::start();
    // Only sums whose text is the same whether the server computes in f64
    // or in C's long double: see the chapter's "Real Redis" section.
    same(
        &pair,
        &[
            &["SET", "f", "10.5"],
            &["INCRBYFLOAT", "f", "0.1"],
            &["GET", "f"],
            &["SET", "f", "5.0e3"],
            &["INCRBYFLOAT", "f", "2.0e2"],
            &["GET", "f"],
            &["INCRBYFLOAT", "new", "3"],
            &["INCRBYFLOAT", "new", "-1.5"],
            &["INCRBYFLOAT", "new", "-1.5"],
            &["INCRBYFLOAT", "new", "-0.5"],
            &["SET", "i", "1"],
            &["INCRBYFLOAT", "i", "1.0"],
            &["INCRBYFLOAT", "i", "2.5E2"],
            &["INCRBYFLOAT", "i", "+1"],
            &["INCRBYFLOAT", "i", ".5"],
            &["INCRBYFLOAT", "i", "5."],
            &["INCRBYFLOAT", "i", "-0.0"],
            // Fixed notation, never an exponent; 17 decimals at most.
            &["INCRBYFLOAT", "small", "1.5e-5"],
            &["INCRBYFLOAT", "tiny", "1.25e-10"],
            &["INCRBYFLOAT", "e17", "1e-17"],
            &["INCRBYFLOAT", "e20", "1e-20"],
            &["INCRBYFLOAT", "big", "1e17"],
            &["INCRBYFLOAT", "bigger", "1e20"],
            &["SET", "m0", "-0"],
            &["INCRBYFLOAT", "m0", "0"],
            &["SET", "h", "1e2"],
            &["INCRBYFLOAT", "h", "0"],
            // The result is a string: INCR no longer accepts it.
            &["SET", "x", "1.5"],
            &["INCR", "x"],
            &["SET", "t", "1", "EX", "100"],
            &["INCRBYFLOAT", "t", "1"],
            &["~TTL", "t"],
        ],
    );
}

#[test]
fn incrbyfloat_rejects_non_floats_and_non_finite_results() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SET", "f", "1"],
            &["INCRBYFLOAT", "f", "abc"],
            &["INCRBYFLOAT", "f", ""],
            &["INCRBYFLOAT", "f", " 1"],
            &["INCRBYFLOAT", "f", "1 "],
            &["INCRBYFLOAT", "f", "1e"],
            &["INCRBYFLOAT", "f", "nan"],
            &["INCRBYFLOAT", "f", "inf"],
            &["INCRBYFLOAT", "f", "-inf"],
            &["INCRBYFLOAT", "f", "+inf"],
            &["GET", "f"],
            &["SET", "s", "abc"],
            &["INCRBYFLOAT", "s", "1"],
            &["SET", "s", " 1"],
            &["INCRBYFLOAT", "s", "1"],
            &["SET", "s", "inf"],
            &["INCRBYFLOAT", "s", "1"],
            &["SET", "s", ""],
            &["INCRBYFLOAT", "s", "1"],
            &["INCRBYFLOAT", "nope", "abc"],
            &["EXISTS", "nope"],
            &["INCRBYFLOAT", "f"],
            &["INCRBYFLOAT", "f", "1", "2"],
        ],
    );
    expect(
        &pair,
        &[
            (&["SET", "f", "10.5"], b"+OK\r\n"),
            (&["INCRBYFLOAT", "f", "0.1"], b"$4\r\n10.6\r\n"),
            (
                &["INCRBYFLOAT", "f", "abc"],
                b"-ERR value is not a valid float\r\n",
            ),
            (
                &["INCRBYFLOAT", "f", "inf"],
                b"-ERR increment would produce NaN or Infinity\r\n",
            ),
        ],
    );
}

// ---------------------------------------------------------------------------
// GETRANGE / SUBSTR, SETRANGE
// ---------------------------------------------------------------------------

#[test]
fn getrange_clamps_negative_and_out_of_range_indexes() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SET", "k", "Hello World"],
            &["GETRANGE", "k", "0", "4"],
            &["GETRANGE", "k", "-5", "-1"],
            &["GETRANGE", "k", "0", "-1"],
            &["GETRANGE", "k", "-100", "100"],
            &["GETRANGE", "k", "5", "3"],
            &["GETRANGE", "k", "100", "200"],
            &["GETRANGE", "k", "-1", "-5"],
            &["GETRANGE", "k", "0", "-100"],
            &["GETRANGE", "k", "-100", "-50"],
            &["GETRANGE", "k", "10", "10"],
            &["GETRANGE", "k", "11", "11"],
            &["GETRANGE", "k", "-1", "0"],
            &[
                "GETRANGE",
                "k",
                "9223372036854775807",
                "9223372036854775807",
            ],
            &[
                "GETRANGE",
                "k",
                "-9223372036854775808",
                "-9223372036854775808",
            ],
            &["GETRANGE", "k", "0", "9223372036854775807"],
            &["SUBSTR", "k", "0", "4"],
            &["SUBSTR", "k", "-3", "-2"],
            &["GETRANGE", "nope", "0", "10"],
            &["SET", "e", ""],
            &["GETRANGE", "e", "0", "-1"],
            &["GETRANGE", "e", "-1", "0"],
            &["SET", "i", "12345"],
            &["GETRANGE", "i", "1", "2"],
            &["GETRANGE", "i", "-2", "-1"],
            &["GETRANGE", "k", "0", "x"],
            &["GETRANGE", "k", "x", "0"],
            &["GETRANGE", "k", "0", "9223372036854775808"],
            &["GETRANGE", "nope", "x", "0"],
            &["GETRANGE", "k", "0"],
            &["SUBSTR", "k", "0", "1", "2"],
        ],
    );
}

#[test]
fn setrange_pads_with_zero_bytes_and_checks_the_offset() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SETRANGE", "k", "5", "hi"],
            &["GET", "k"],
            &["STRLEN", "k"],
            &["SET", "s", "hello"],
            &["SETRANGE", "s", "1", "EL"],
            &["GET", "s"],
            &["SETRANGE", "s", "4", "o world"],
            &["GET", "s"],
            &["SETRANGE", "s", "0", ""],
            &["SETRANGE", "s", "100", ""],
            &["STRLEN", "s"],
            // An empty value never creates a key.
            &["SETRANGE", "nope", "0", ""],
            &["SETRANGE", "nope", "10", ""],
            &["EXISTS", "nope"],
            &["SET", "i", "12345"],
            &["SETRANGE", "i", "2", "x"],
            &["GET", "i"],
            &["SET", "t", "abc", "EX", "100"],
            &["SETRANGE", "t", "1", "B"],
            &["~TTL", "t"],
            &["SETRANGE", "k", "-1", "x"],
            &["SETRANGE", "nope", "-1", ""],
            // 512 MB is the limit: checked before anything is allocated.
            &["SETRANGE", "k", "536870912", "x"],
            &["SETRANGE", "k", "536870910", "xyz"],
            &["SETRANGE", "k", "536870912", ""],
            &["SETRANGE", "nope", "536870912", ""],
            &["SETRANGE", "k", "x", "y"],
            &["SETRANGE", "k", "1.5", "y"],
            &["SETRANGE", "k", "0"],
            &["SETRANGE", "k", "0", "a", "b"],
            &["GET", "k"],
        ],
    );
    expect(
        &pair,
        &[
            (
                &["SETRANGE", "k", "-1", "x"],
                b"-ERR offset is out of range\r\n",
            ),
            (
                &["SETRANGE", "k", "536870912", "x"],
                b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n",
            ),
        ],
    );
}

// ---------------------------------------------------------------------------
// MGET, MSET, MSETNX, SETEX, PSETEX
// ---------------------------------------------------------------------------

#[test]
fn mget_mset_and_msetnx_handle_repeats_and_odd_arguments() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["MSET", "a", "1", "b", "2"],
            &["MGET", "a", "b", "nope", "a"],
            &["MSET", "y", "1", "y", "2"],
            &["GET", "y"],
            &["MSET", "t", "v"],
            &["SET", "t", "v", "EX", "100"],
            &["MSET", "t", "w"],
            &["TTL", "t"],
            // MSETNX is all or nothing.
            &["MSETNX", "a", "1", "c", "3"],
            &["EXISTS", "c"],
            &["MSETNX", "c", "3", "d", "4"],
            &["MGET", "c", "d"],
            &["MSETNX", "x", "1", "x", "2"],
            &["GET", "x"],
            &["MSET", "a", "1", "b"],
            &["MSET", "a"],
            &["MSET"],
            &["MSETNX", "c", "3", "d"],
            &["MSETNX", "c"],
            &["MGET"],
            &["MGET", "a"],
        ],
    );
    expect(
        &pair,
        &[(
            &["MSET", "a", "1", "b"],
            b"-ERR wrong number of arguments for 'mset' command\r\n",
        )],
    );
}

#[test]
fn setex_and_psetex_set_a_value_with_a_positive_ttl() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SETEX", "s", "100", "v"],
            &["GET", "s"],
            &["~TTL", "s"],
            &["PSETEX", "p", "100000", "v"],
            &["~~PTTL", "p"],
            &["SETEX", "s", "0", "v"],
            &["SETEX", "s", "-10", "v"],
            &["PSETEX", "p", "0", "v"],
            &["PSETEX", "p", "-1", "v"],
            &["SETEX", "s", "x", "v"],
            &["SETEX", "s", "1.5", "v"],
            &["PSETEX", "p", "x", "v"],
            &["SETEX", "s", "9223372036854775807", "v"],
            &["SETEX", "s", "9223372036854775", "v"],
            &["PSETEX", "p", "9223372036854775807", "v"],
            &["SETEX", "s", "10"],
            &["PSETEX", "p", "10", "v", "x"],
            &["GET", "s"],
            &["~TTL", "s"],
        ],
    );
    expect(
        &pair,
        &[
            (
                &["SETEX", "s", "0", "v"],
                b"-ERR invalid expire time in 'setex' command\r\n",
            ),
            (
                &["PSETEX", "p", "-1", "v"],
                b"-ERR invalid expire time in 'psetex' command\r\n",
            ),
        ],
    );
}

// ---------------------------------------------------------------------------
// LCS
// ---------------------------------------------------------------------------

#[test]
fn lcs_returns_the_string_len_or_match_indexes() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["MSET", "key1", "ohmytext", "key2", "mynewtext"],
            &["LCS", "key1", "key2"],
            &["LCS", "key1", "key2", "LEN"],
            &["LCS", "key1", "key2", "IDX"],
            &["LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4"],
            &[
                "LCS",
                "key1",
                "key2",
                "IDX",
                "MINMATCHLEN",
                "4",
                "WITHMATCHLEN",
            ],
            &["LCS", "key1", "key2", "IDX", "WITHMATCHLEN"],
            &["LCS", "key1", "key2", "IDX", "MINMATCHLEN", "100"],
            &["LCS", "key1", "key2", "idx", "minmatchlen", "0"],
            &["LCS", "key1", "key2", "WITHMATCHLEN"],
            &["LCS", "key1", "key2", "MINMATCHLEN", "4"],
            &["LCS", "key1", "key2", "LEN", "MINMATCHLEN", "100"],
            &["LCS", "key1", "key2", "MINMATCHLEN", "-1"],
            &["LCS", "key1", "key1"],
            &["LCS", "key1", "nope"],
            &["LCS", "nope", "nope2", "LEN"],
            &["LCS", "nope", "nope2", "IDX"],
            // Ties: several common subsequences of the same length.
            &["MSET", "p", "abc", "q", "acb"],
            &["LCS", "p", "q"],
            &["LCS", "p", "q", "IDX", "WITHMATCHLEN"],
            &["MSET", "r", "ABCBDAB", "s", "BDCABA"],
            &["LCS", "r", "s"],
            &["LCS", "r", "s", "IDX"],
            &["SET", "i", "12345"],
            &["SET", "j", "2x4"],
            &["LCS", "i", "j"],
            // RESP3 turns the IDX reply into a map.
            &["?HELLO", "3"],
            &["LCS", "key1", "key2", "IDX", "WITHMATCHLEN"],
            &["?HELLO", "2"],
        ],
    );
}

#[test]
fn lcs_option_errors() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["MSET", "a", "abc", "b", "abd"],
            &["LCS", "a", "b", "LEN", "IDX"],
            &["LCS", "a", "b", "IDX", "LEN"],
            &["LCS", "a", "b", "MINMATCHLEN", "x"],
            &["LCS", "a", "b", "IDX", "MINMATCHLEN"],
            &["LCS", "a", "b", "FOO"],
            &["LCS", "a"],
            &["LCS"],
        ],
    );
    expect(
        &pair,
        &[(
            &["LCS", "a", "b", "LEN", "IDX"],
            b"-ERR If you want both the length and indexes, please just use IDX.\r\n",
        )],
    );
}

// ---------------------------------------------------------------------------
// SETBIT, GETBIT
// ---------------------------------------------------------------------------

#[test]
fn setbit_and_getbit_address_bits_from_the_most_significant() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SETBIT", "b", "7", "1"],
            &["GET", "b"],
            &["SETBIT", "b", "7", "0"],
            &["SETBIT", "b", "1", "1"],
            &["GET", "b"],
            &["SETBIT", "b", "100", "1"],
            &["STRLEN", "b"],
            &["GET", "b"],
            &["GETBIT", "b", "1"],
            &["GETBIT", "b", "100"],
            &["GETBIT", "b", "101"],
            &["GETBIT", "b", "1000"],
            &["GETBIT", "nope", "0"],
            &["GETBIT", "nope", "4294967295"],
            &["SET", "f", "foobar"],
            &["GETBIT", "f", "1"],
            &["GETBIT", "f", "2"],
            &["GETBIT", "f", "3"],
            &["SETBIT", "f", "47", "1"],
            &["GET", "f"],
            &["SET", "i", "12"],
            &["SETBIT", "i", "6", "1"],
            &["GET", "i"],
            &["SET", "t", "a", "EX", "100"],
            &["SETBIT", "t", "6", "1"],
            &["~TTL", "t"],
        ],
    );
}

#[test]
fn setbit_and_getbit_reject_bad_bits_and_offsets() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SETBIT", "b", "7", "2"],
            &["SETBIT", "b", "7", "-1"],
            &["SETBIT", "b", "7", "x"],
            &["SETBIT", "b", "7", " 1"],
            &["SETBIT", "b", "7", "01"],
            &["SETBIT", "b", "7", "+1"],
            &["SETBIT", "b", "7", ""],
            &["SETBIT", "b", "-1", "1"],
            &["SETBIT", "b", "4294967296", "1"],
            &["SETBIT", "b", "x", "1"],
            &["SETBIT", "b", "1.5", "1"],
            &["SETBIT", "b", "x", "2"],
            &["GETBIT", "b", "-1"],
            &["GETBIT", "b", "4294967296"],
            &["GETBIT", "b", "x"],
            &["EXISTS", "b"],
            &["SETBIT", "b", "1"],
            &["GETBIT", "b"],
            &["GETBIT", "b", "1", "2"],
        ],
    );
    expect(
        &pair,
        &[
            (
                &["SETBIT", "b", "7", "2"],
                b"-ERR bit is not an integer or out of range\r\n",
            ),
            (
                &["SETBIT", "b", "-1", "1"],
                b"-ERR bit offset is not an integer or out of range\r\n",
            ),
        ],
    );
}

// ---------------------------------------------------------------------------
// BITCOUNT
// ---------------------------------------------------------------------------

#[test]
fn bitcount_counts_set_bits_in_byte_or_bit_ranges() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["BITCOUNT", "nope"],
            &["BITCOUNT", "nope", "0", "1"],
            &["BITCOUNT", "nope", "0", "1", "BIT"],
            &["SET", "k", "foobar"],
            &["BITCOUNT", "k"],
            &["BITCOUNT", "k", "0", "0"],
            &["BITCOUNT", "k", "1", "1"],
            &["BITCOUNT", "k", "1", "1", "BYTE"],
            &["BITCOUNT", "k", "5", "30", "BIT"],
            &["BITCOUNT", "k", "5", "30", "bit"],
            &["BITCOUNT", "k", "-2", "-1"],
            &["BITCOUNT", "k", "-2", "-1", "BIT"],
            &["BITCOUNT", "k", "0", "-1", "BIT"],
            &["BITCOUNT", "k", "2", "1"],
            &["BITCOUNT", "k", "-100", "100"],
            &["BITCOUNT", "k", "100", "200"],
            &["BITCOUNT", "k", "-1", "-100"],
            &["BITCOUNT", "k", "0", "9223372036854775807", "BIT"],
            &["BITCOUNT", "k", "-9223372036854775808", "-1", "BIT"],
            &["BITCOUNT", "k", "-9223372036854775808", "-1"],
            &["SET", "e", ""],
            &["BITCOUNT", "e"],
            &["BITCOUNT", "e", "0", "-1"],
            &["SET", "i", "12345"],
            &["BITCOUNT", "i"],
        ],
    );
}

#[test]
fn bitcount_syntax_errors() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SET", "k", "foobar"],
            &["BITCOUNT", "k", "0"],
            &["BITCOUNT", "k", "0", "1", "FOO"],
            &["BITCOUNT", "k", "0", "1", "BIT", "extra"],
            &["BITCOUNT", "k", "0", "x"],
            &["BITCOUNT", "k", "x", "0"],
            &["BITCOUNT", "k", "0", "1", "BYTE", "BIT"],
            // On a missing key Redis answers 0 before parsing the range.
            &["BITCOUNT", "nope", "0"],
            &["BITCOUNT", "nope", "0", "x"],
            &["BITCOUNT"],
        ],
    );
}

// ---------------------------------------------------------------------------
// BITPOS
// ---------------------------------------------------------------------------

#[test]
fn bitpos_finds_the_first_set_or_clear_bit() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            // Missing keys count as an endless run of zeros... up to nothing.
            &["BITPOS", "nope", "0"],
            &["BITPOS", "nope", "1"],
            &["BITPOS", "nope", "0", "5"],
            &["BITPOS", "nope", "1", "0", "-1", "BIT"],
            &["SET", "e", ""],
            &["BITPOS", "e", "0"],
            &["BITPOS", "e", "1"],
            // ff f0 00
            &[
                "BITFIELD", "k", "SET", "u8", "0", "255", "SET", "u8", "8", "240",
            ],
            &["SETRANGE", "k", "2", "\u{0}"],
            &["STRLEN", "k"],
            &["BITPOS", "k", "0"],
            &["BITPOS", "k", "1"],
            &["BITPOS", "k", "0", "1"],
            &["BITPOS", "k", "1", "1"],
            &["BITPOS", "k", "1", "2"],
            &["BITPOS", "k", "0", "2"],
            &["BITPOS", "k", "0", "0", "0"],
            &["BITPOS", "k", "0", "0", "1"],
            &["BITPOS", "k", "1", "-1"],
            &["BITPOS", "k", "0", "-2", "-1"],
            &["BITPOS", "k", "1", "5", "2"],
            &["BITPOS", "k", "1", "100"],
            &["BITPOS", "k", "0", "100"],
            &["BITPOS", "k", "0", "-100", "100"],
            &["BITPOS", "k", "1", "0", "0", "BYTE"],
            &["BITPOS", "k", "1", "0", "-1", "BIT"],
            &["BITPOS", "k", "0", "3", "10", "BIT"],
            &["BITPOS", "k", "0", "8", "11", "BIT"],
            &["BITPOS", "k", "0", "12", "15", "BIT"],
            &["BITPOS", "k", "1", "16", "23", "BIT"],
            &["BITPOS", "k", "0", "-1", "-1", "BIT"],
            &["BITPOS", "k", "1", "-9", "-1", "bit"],
            &["BITPOS", "k", "1", "9", "3", "BIT"],
            // All ones: looking for a 0 without an end finds the bit just
            // past the string; with an end it gives up.
            &["BITFIELD", "ones", "SET", "u16", "0", "65535"],
            &["BITPOS", "ones", "0"],
            &["BITPOS", "ones", "0", "0"],
            &["BITPOS", "ones", "0", "1"],
            &["BITPOS", "ones", "0", "0", "-1"],
            &["BITPOS", "ones", "0", "0", "15", "BIT"],
            &["BITPOS", "ones", "1", "0", "-1", "BIT"],
            &["BITPOS", "ones", "1", "3", "-1", "BIT"],
            // All zeros.
            &["SETBIT", "zeros", "23", "0"],
            &["BITPOS", "zeros", "1"],
            &["BITPOS", "zeros", "0"],
            &["BITPOS", "zeros", "0", "1"],
            &["BITPOS", "zeros", "0", "5", "20", "BIT"],
        ],
    );
}

#[test]
fn bitpos_argument_errors() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SET", "k", "foo"],
            &["BITPOS", "k", "2"],
            &["BITPOS", "k", "-1"],
            &["BITPOS", "k", "x"],
            &["BITPOS", "k", "1", "x"],
            &["BITPOS", "k", "1", "0", "x"],
            &["BITPOS", "k", "1", "0", "1", "FOO"],
            &["BITPOS", "k", "1", "0", "1", "BIT", "x"],
            &["BITPOS", "nope", "2"],
            &["BITPOS", "k"],
            &["BITPOS"],
        ],
    );
    expect(
        &pair,
        &[(
            &["BITPOS", "k", "2"],
            b"-ERR The bit argument must be 1 or 0.\r\n",
        )],
    );
}

// ---------------------------------------------------------------------------
// BITOP
// ---------------------------------------------------------------------------

#[test]
fn bitop_combines_strings_padding_the_shorter_with_zeros() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SET", "a", "foobar"],
            &["SET", "b", "abcdef"],
            &["SET", "c", "x"],
            &["BITOP", "AND", "d", "a", "b"],
            &["GET", "d"],
            &["BITOP", "OR", "d", "a", "b"],
            &["GET", "d"],
            &["BITOP", "XOR", "d", "a", "b"],
            &["GET", "d"],
            &["BITOP", "NOT", "d", "a"],
            &["GET", "d"],
            &["BITOP", "or", "d", "a", "c"],
            &["GET", "d"],
            &["BITOP", "and", "d", "a", "c"],
            &["GET", "d"],
            &["BITOP", "xor", "d", "c", "a", "b"],
            &["GET", "d"],
            &["BITOP", "And", "d", "a", "a"],
            &["GET", "d"],
            &["BITOP", "AND", "d", "a", "nope"],
            &["GET", "d"],
            &["BITOP", "OR", "d", "nope", "a"],
            &["GET", "d"],
            // An all-missing (empty) result deletes the destination.
            &["BITOP", "AND", "d", "nope"],
            &["EXISTS", "d"],
            &["SET", "d", "x", "EX", "100"],
            &["BITOP", "NOT", "d", "nope"],
            &["EXISTS", "d"],
            // The destination may be a source, and loses its TTL.
            &["SET", "d", "ab", "EX", "100"],
            &["BITOP", "NOT", "d", "d"],
            &["GET", "d"],
            &["TTL", "d"],
            &["SET", "i", "12"],
            &["BITOP", "OR", "d", "i"],
            &["GET", "d"],
        ],
    );
}

#[test]
fn bitop_errors() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SET", "a", "foobar"],
            &["BITOP", "NOT", "d", "a", "a"],
            &["BITOP", "FOO", "d", "a"],
            &["BITOP", "DIFF", "d", "a"],
            &["BITOP", "AND", "d"],
            &["BITOP", "AND"],
            &["BITOP"],
            &["EXISTS", "d"],
        ],
    );
    expect(
        &pair,
        &[(
            &["BITOP", "NOT", "d", "a", "b"],
            b"-ERR BITOP NOT must be called with a single source key.\r\n",
        )],
    );
}

// ---------------------------------------------------------------------------
// BITFIELD, BITFIELD_RO
// ---------------------------------------------------------------------------

#[test]
fn bitfield_get_set_and_incrby_on_signed_and_unsigned_fields() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &[
                "BITFIELD", "k", "SET", "i8", "0", "100", "GET", "i8", "0", "INCRBY", "i8", "0",
                "100", "GET", "u4", "0",
            ],
            &["GET", "k"],
            &[
                "BITFIELD", "k", "GET", "u8", "0", "GET", "i8", "0", "GET", "u1", "0", "GET", "i1",
                "0",
            ],
            &[
                "BITFIELD", "k", "GET", "u3", "5", "GET", "i3", "5", "GET", "u16", "4",
            ],
            // `#n` offsets count in units of the field's width.
            &[
                "BITFIELD", "k", "SET", "u8", "#2", "255", "GET", "u8", "#2", "GET", "u4", "#5",
            ],
            &["GET", "k"],
            &[
                "BITFIELD", "k", "GET", "i64", "0", "GET", "u63", "0", "GET", "i64", "1",
            ],
            &["BITFIELD", "k", "SET", "i64", "0", "-1", "GET", "u63", "1"],
            &[
                "BITFIELD",
                "k",
                "SET",
                "u63",
                "0",
                "9223372036854775807",
                "GET",
                "i64",
                "0",
            ],
            // Values wider than the field are truncated to it on SET.
            &["BITFIELD", "w", "SET", "u8", "0", "256", "GET", "u8", "0"],
            &["BITFIELD", "w", "SET", "i8", "0", "200", "GET", "i8", "0"],
            &["BITFIELD", "w", "SET", "u4", "0", "-1", "GET", "u8", "0"],
            // Reads past the end are zeros; writes grow the string.
            &["BITFIELD", "g", "GET", "u8", "100"],
            &["EXISTS", "g"],
            &["BITFIELD", "g", "SET", "u1", "100", "1"],
            &["STRLEN", "g"],
            &["BITFIELD", "k"],
            &["BITFIELD", "nope"],
            &["BITFIELD", "nope", "GET", "u8", "0"],
            &["EXISTS", "nope"],
            &["SET", "t", "abc", "EX", "100"],
            &["BITFIELD", "t", "INCRBY", "u8", "0", "1"],
            &["~TTL", "t"],
            // Subcommands ignore case; types do not.
            &[
                "BITFIELD", "k", "get", "u8", "0", "set", "i8", "0", "1", "incrby", "u8", "0", "1",
            ],
            &["BITFIELD", "k", "GET", "U8", "0"],
        ],
    );
}

#[test]
fn bitfield_overflow_modes_wrap_saturate_or_fail() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["BITFIELD", "k", "SET", "i8", "0", "100"],
            &[
                "BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "100", "OVERFLOW", "FAIL",
                "INCRBY", "i8", "0", "100", "OVERFLOW", "WRAP", "INCRBY", "i8", "0", "100",
            ],
            &["BITFIELD", "k", "GET", "i8", "0"],
            &[
                "BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "-300", "INCRBY", "i8",
                "0", "-1",
            ],
            &["BITFIELD", "u", "SET", "u2", "0", "3"],
            &[
                "BITFIELD", "u", "INCRBY", "u2", "0", "1", "INCRBY", "u2", "0", "6",
            ],
            &[
                "BITFIELD", "u", "OVERFLOW", "SAT", "INCRBY", "u2", "0", "5", "INCRBY", "u2", "0",
                "-10",
            ],
            &[
                "BITFIELD", "u", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "5", "INCRBY", "u2", "0",
                "-1", "GET", "u2", "0",
            ],
            // OVERFLOW also governs SET, and stays in force to the end.
            &[
                "BITFIELD", "u", "OVERFLOW", "FAIL", "SET", "u2", "0", "4", "SET", "u2", "0", "2",
                "GET", "u2", "0",
            ],
            &[
                "BITFIELD", "u", "OVERFLOW", "SAT", "SET", "u2", "0", "9", "SET", "i8", "8",
                "-200", "GET", "i8", "8",
            ],
            // 64-bit edges: i64 and u63 are the widest fields.
            &["BITFIELD", "s", "SET", "i64", "0", "9223372036854775807"],
            &["BITFIELD", "s", "INCRBY", "i64", "0", "1"],
            &[
                "BITFIELD", "s", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-1",
            ],
            &["BITFIELD", "s", "SET", "i64", "0", "-9223372036854775808"],
            &[
                "BITFIELD", "s", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-1",
            ],
            &[
                "BITFIELD", "s", "OVERFLOW", "FAIL", "INCRBY", "i64", "0", "-1",
            ],
            &["BITFIELD", "s", "SET", "u63", "0", "9223372036854775807"],
            &[
                "BITFIELD", "s", "OVERFLOW", "SAT", "INCRBY", "u63", "0", "1",
            ],
            &[
                "BITFIELD", "s", "OVERFLOW", "WRAP", "INCRBY", "u63", "0", "1",
            ],
            &[
                "BITFIELD", "s", "OVERFLOW", "wrap", "INCRBY", "u63", "0", "-1",
            ],
            &["BITFIELD", "s", "OVERFLOW", "SAT"],
        ],
    );
}

#[test]
fn bitfield_errors_name_the_bad_type_offset_or_overflow() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SET", "k", "abc"],
            &["BITFIELD", "k", "GET", "u64", "0"],
            &["BITFIELD", "k", "GET", "i65", "0"],
            &["BITFIELD", "k", "GET", "u0", "0"],
            &["BITFIELD", "k", "GET", "i0", "0"],
            &["BITFIELD", "k", "GET", "x8", "0"],
            &["BITFIELD", "k", "GET", "8", "0"],
            &["BITFIELD", "k", "GET", "u", "0"],
            &["BITFIELD", "k", "GET", "u8", "-1"],
            &["BITFIELD", "k", "GET", "u8", "#x"],
            &["BITFIELD", "k", "GET", "u8", "x"],
            &["BITFIELD", "k", "GET", "u8", "4294967296"],
            &["BITFIELD", "k", "GET", "u8", "4294967288"],
            &["BITFIELD", "k", "SET", "u8", "4294967296", "0"],
            &["BITFIELD", "k", "GET", "u8", "#536870912"],
            &["BITFIELD", "k", "GET", "u8", "#536870911"],
            &["BITFIELD", "k", "OVERFLOW", "FOO"],
            &["BITFIELD", "k", "OVERFLOW"],
            &["BITFIELD", "k", "SET", "i8", "0", "x"],
            &["BITFIELD", "k", "INCRBY", "i8", "0", "x"],
            &["BITFIELD", "k", "GET", "i8"],
            &["BITFIELD", "k", "SET", "i8", "0"],
            &["BITFIELD", "k", "FOO"],
            // One bad subcommand fails the whole call: nothing is written.
            &["BITFIELD", "k", "SET", "u8", "0", "65", "GET", "u64", "0"],
            &["GET", "k"],
            &["BITFIELD"],
        ],
    );
    expect(
        &pair,
        &[
            (
                &["BITFIELD", "k", "GET", "u64", "0"],
                b"-ERR Invalid bitfield type. Use something like i16 u8. \
                  Note that u64 is not supported but i64 is.\r\n",
            ),
            (
                &["BITFIELD", "k", "OVERFLOW", "FOO"],
                b"-ERR Invalid OVERFLOW type specified\r\n",
            ),
        ],
    );
}

#[test]
fn bitfield_ro_only_accepts_get() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SET", "k", "abc"],
            &["BITFIELD_RO", "k", "GET", "u8", "0", "GET", "i4", "4"],
            &["BITFIELD_RO", "k", "GET", "u8", "#1"],
            &["BITFIELD_RO", "k"],
            &["BITFIELD_RO", "nope", "GET", "u8", "0"],
            &["BITFIELD_RO", "k", "SET", "u8", "0", "1"],
            &["BITFIELD_RO", "k", "INCRBY", "u8", "0", "1"],
            &["BITFIELD_RO", "k", "GET", "u8", "0", "SET", "u8", "0", "1"],
            &["BITFIELD_RO", "k", "OVERFLOW", "SAT", "GET", "u8", "0"],
            &["BITFIELD_RO", "k", "FOO"],
            &["BITFIELD_RO", "k", "GET", "u64", "0"],
            &["BITFIELD_RO"],
            &["GET", "k"],
        ],
    );
    expect(
        &pair,
        &[
            (&["SET", "k", "abc"], b"+OK\r\n"),
            (
                &["BITFIELD_RO", "k", "SET", "u8", "0", "1"],
                b"-ERR BITFIELD_RO only supports the GET subcommand\r\n",
            ),
        ],
    );
}

// ---------------------------------------------------------------------------
// Arity
// ---------------------------------------------------------------------------

#[test]
fn string_commands_check_their_arity() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["GET"],
            &["GET", "a", "b"],
            &["SET", "k"],
            &["APPEND", "k"],
            &["STRLEN"],
            &["INCR"],
            &["DECRBY", "k"],
            &["INCRBYFLOAT", "k"],
            &["GETRANGE", "k", "0"],
            &["SETRANGE", "k", "0"],
            &["GETSET", "k"],
            &["GETDEL"],
            &["MGET"],
            &["MSET", "k"],
            &["MSETNX"],
            &["SETEX", "k", "10"],
            &["PSETEX", "k"],
            &["SETNX", "k"],
            &["SETBIT", "k", "0"],
            &["GETBIT", "k"],
            &["BITCOUNT"],
            &["BITPOS", "k"],
            &["BITOP", "AND", "d"],
            &["BITFIELD"],
            &["BITFIELD_RO"],
            &["LCS", "a"],
            &["SUBSTR", "k", "0"],
        ],
    );
    expect(
        &pair,
        &[(
            &["GETRANGE", "k", "0"],
            b"-ERR wrong number of arguments for 'getrange' command\r\n",
        )],
    );
}

// ---------------------------------------------------------------------------
// INCRBYFLOAT in x87 extended precision
// ---------------------------------------------------------------------------

#[test]
fn incrbyfloat_computes_in_80_bit_long_double_like_redis_on_x86_64() {
    // Sums whose f64 text would differ from Redis's: Redis adds in C
    // `long double` (x87, 64-bit significand) and prints "%.17Lf" trimmed.
    // The expected replies were read from Redis 7.0.15 on x86-64.
    let pair = Pair::start();
    expect(
        &pair,
        &[
            (&["SET", "f", "0.1"], b"+OK\r\n"),
            (&["INCRBYFLOAT", "f", "0.2"], b"$3\r\n0.3\r\n"),
            (&["SET", "f", "12345.678"], b"+OK\r\n"),
            (
                &["INCRBYFLOAT", "f", "0"],
                b"$23\r\n12345.67799999999999994\r\n",
            ),
            (&["SET", "f", "1e17"], b"+OK\r\n"),
            (&["INCRBYFLOAT", "f", "1"], b"$18\r\n100000000000000001\r\n"),
            (&["SET", "f", "1"], b"+OK\r\n"),
            (&["INCRBYFLOAT", "f", "0x10"], b"$2\r\n17\r\n"),
        ],
    );
}
