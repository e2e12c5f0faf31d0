//! Chapter 10 checkpoint: the generic key commands, expiry, SCAN and the
//! sixteen databases, checked against a real Redis 7.0.
//!
//! Most tests are differential scripts (`common::diff`): every command goes
//! to oxidis and to a private redis-server, and the reply bytes must match.
//! Where two servers cannot agree byte for byte (SCAN cursors, active
//! expiry timing, INFO's avg_ttl estimate), explicit assertions run on each
//! server instead, so they prove themselves against Redis too.
//!
//! Not here: WRONGTYPE errors (they need a second value type, chapter 12 on).

mod common;

use std::collections::HashSet;
use std::thread;
use std::time::Duration;

use common::diff::{expect, same, same_with, Pair};
use common::{Client, RespValue};

// ---------------------------------------------------------------------------
// DEL, UNLINK, EXISTS, TYPE, TOUCH, DBSIZE, RANDOMKEY
// ---------------------------------------------------------------------------

#[test]
fn del_unlink_and_exists_count_each_repeated_key() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SET", "a", "1"],
            &["SET", "b", "2"],
            // EXISTS counts every mention; DEL/UNLINK count each key once.
            &["EXISTS", "a", "a", "a", "b", "nope"],
            &["DEL", "a", "a", "nope"],
            &["EXISTS", "a"],
            &["UNLINK", "b", "b"],
            &["UNLINK", "b"],
            &["DEL", "nope"],
            &["EXISTS", "nope", "nope"],
            &["SET", "", "empty name"],
            &["EXISTS", ""],
            &["DEL", ""],
            &["DEL"],
            &["UNLINK"],
            &["EXISTS"],
        ],
    );
}

#[test]
fn type_is_none_for_missing_keys_and_string_for_strings() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["TYPE", "nope"],
            &["SET", "s", "v"],
            &["TYPE", "s"],
            &["SET", "i", "12345"],
            &["TYPE", "i"],
            &["TYPE"],
            &["TYPE", "a", "b"],
        ],
    );
    expect(
        &pair,
        &[
            (&["TYPE", "nope"], b"+none\r\n"),
            (&["SET", "s", "v"], b"+OK\r\n"),
            (&["TYPE", "s"], b"+string\r\n"),
        ],
    );
}

#[test]
fn touch_counts_existing_keys_with_repeats() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["TOUCH", "nope"],
            &["MSET", "a", "1", "b", "2"],
            &["TOUCH", "a", "a", "b", "nope"],
            &["TOUCH"],
        ],
    );
}

#[test]
fn dbsize_counts_only_the_selected_database() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["DBSIZE"],
            &["MSET", "a", "1", "b", "2", "c", "3"],
            &["DBSIZE"],
            &["SELECT", "5"],
            &["DBSIZE"],
            &["SET", "a", "1"],
            &["DBSIZE"],
            &["SELECT", "0"],
            &["DEL", "a"],
            &["DBSIZE"],
            &["DBSIZE", "x"],
        ],
    );
}

#[test]
fn randomkey_is_nil_on_an_empty_database_and_the_key_when_there_is_one() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["RANDOMKEY"],
            &["SET", "only", "v"],
            &["RANDOMKEY"],
            &["SET", "second", "v"],
            // Two keys: either may come back, but it is a bulk string.
            &["?RANDOMKEY"],
            &["FLUSHDB"],
            &["RANDOMKEY"],
            &["RANDOMKEY", "x"],
        ],
    );
}

// ---------------------------------------------------------------------------
// KEYS and glob patterns
// ---------------------------------------------------------------------------

/// A keyset that separates every glob feature: `?` vs `*`, classes,
/// ranges (also reversed), negation, escapes, and the odd key names
/// (empty, containing `*`, `?`, `[`, `]`, `\`) that escapes exist for.
const GLOB_KEYS: &[&str] = &[
    "a", "b", "c", "ab", "abc", "a*", "a?", "a[b", "x\\y", "hello", "hallo", "hxllo", "hllo",
    "heeeello", "h]llo", "", "-", "a-c",
];

fn glob_script() -> Vec<Vec<&'static str>> {
    let mut mset = vec!["MSET"];
    for k in GLOB_KEYS {
        mset.push(k);
        mset.push("1");
    }
    #[rustfmt::skip]
    let patterns = [
        // Wildcards, alone and combined. `*` alone matches every key, even
        // the empty one; `***` goes through the matcher, which never
        // matches an empty key against a non-empty pattern.
        "*", "?", "??", "***", "h?llo", "h*llo", "h*", "*llo", "h*l*o", "a*b*c", "a?c",
        // Classes, negated classes, ranges (also reversed), odd members.
        "h[ae]llo", "h[^e]llo", "h[a-b]llo", "h[b-a]llo", "[z-a]", "a[b-a]", "[^a-c]",
        "[a-]", "[-]", "a[!b]", "a[\\b]c", "*[?]*",
        // Escapes, and brackets that never close.
        "a\\*", "a\\?", "a\\[b", "x\\\\y", "h\\]llo", "*\\*", "\\a",
        "[]]", "h[]]llo", "[a", "a[b",
        // The empty pattern, and no match at all.
        "", "nomatch",
    ];
    let mut script = vec![mset];
    for p in patterns {
        script.push(vec!["#KEYS", p]);
    }
    script
}

#[test]
fn keys_matches_every_glob_feature_like_redis() {
    let pair = Pair::start();
    let script = glob_script();
    let refs: Vec<&[&str]> = script.iter().map(|c| c.as_slice()).collect();
    same(&pair, &refs);
}

#[test]
fn keys_examples_from_the_glob_rules() {
    let pair = Pair::start();
    // Sorted by hand: KEYS order is undefined, so only one-element replies
    // are spelled out.
    expect(
        &pair,
        &[
            (&["MSET", "hello", "1", "a*", "1", "ab", "1"], b"+OK\r\n"),
            (&["KEYS", "h[^a]llo"], b"*1\r\n$5\r\nhello\r\n"),
            (&["KEYS", "a\\*"], b"*1\r\n$2\r\na*\r\n"),
            // `!` is not negation in Redis globs: `[!b]` is the class {!, b}.
            (&["KEYS", "a[!b]"], b"*1\r\n$2\r\nab\r\n"),
            (&["KEYS", "nomatch*"], b"*0\r\n"),
            (
                &["KEYS"],
                b"-ERR wrong number of arguments for 'keys' command\r\n",
            ),
        ],
    );
    expect(
        &pair,
        &[
            (&["SET", "", "empty name"], b"+OK\r\n"),
            (&["KEYS", "*"], b"*1\r\n$0\r\n\r\n"),
            (&["KEYS", "**"], b"*0\r\n"),
            (&["KEYS", ""], b"*1\r\n$0\r\n\r\n"),
        ],
    );
}

// ---------------------------------------------------------------------------
// RENAME, RENAMENX, COPY, MOVE
// ---------------------------------------------------------------------------

#[test]
fn rename_moves_value_and_ttl_and_needs_an_existing_source() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["RENAME", "nope", "x"],
            &["RENAME", "nope", "nope"],
            &["SET", "k", "v", "EX", "100"],
            &["RENAME", "k", "k"],
            &["GET", "k"],
            &["RENAME", "k", "k2"],
            &["EXISTS", "k"],
            &["GET", "k2"],
            &["~TTL", "k2"],
            // Overwriting takes the source's TTL (or lack of one).
            &["SET", "plain", "p"],
            &["RENAME", "plain", "k2"],
            &["GET", "k2"],
            &["TTL", "k2"],
            &["SET", "t", "x", "EX", "50"],
            &["RENAME", "k2", "t"],
            &["TTL", "t"],
            &["RENAME", "a"],
            &["RENAME", "a", "b", "c"],
        ],
    );
    expect(
        &pair,
        &[(&["RENAME", "nope", "x"], b"-ERR no such key\r\n")],
    );
}

#[test]
fn renamenx_refuses_an_existing_destination() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["RENAMENX", "nope", "y"],
            &["SET", "x", "1"],
            &["SET", "y", "2"],
            &["RENAMENX", "x", "x"],
            &["RENAMENX", "x", "y"],
            &["GET", "y"],
            &["SET", "x", "3", "EX", "100"],
            &["RENAMENX", "x", "z"],
            &["GET", "z"],
            &["~TTL", "z"],
            &["EXISTS", "x"],
            &["RENAMENX", "x"],
        ],
    );
}

#[test]
fn copy_supports_replace_and_db_and_refuses_the_same_key() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["COPY", "nope", "w"],
            &["SET", "z", "v", "EX", "100"],
            &["COPY", "z", "z"],
            &["COPY", "z", "z", "DB", "0"],
            &["COPY", "z", "w"],
            &["GET", "w"],
            &["~TTL", "w"],
            &["SET", "w", "other"],
            &["COPY", "z", "w"],
            &["GET", "w"],
            &["COPY", "z", "w", "REPLACE"],
            &["GET", "w"],
            &["COPY", "z", "w", "DB", "1"],
            &["COPY", "z", "w", "DB", "1"],
            &["COPY", "z", "z", "DB", "1", "REPLACE"],
            &["COPY", "z", "w", "REPLACE", "DB", "1"],
            &["SELECT", "1"],
            &["GET", "w"],
            &["~TTL", "z"],
            &["SELECT", "0"],
            // The copy is independent of its source.
            &["APPEND", "w", "!"],
            &["GET", "z"],
            &["COPY", "z", "w", "DB", "16"],
            &["COPY", "z", "w", "DB", "-1"],
            &["COPY", "z", "w", "DB", "x"],
            &["COPY", "z", "w", "DB"],
            &["COPY", "z", "w", "foo"],
            &["COPY", "z"],
        ],
    );
    expect(
        &pair,
        &[
            (&["SET", "z", "v"], b"+OK\r\n"),
            (
                &["COPY", "z", "z"],
                b"-ERR source and destination objects are the same\r\n",
            ),
        ],
    );
}

#[test]
fn move_refuses_the_same_db_and_an_existing_destination() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["MOVE", "nope", "1"],
            &["SET", "k", "v", "EX", "100"],
            &["MOVE", "k", "0"],
            &["MOVE", "k", "1"],
            &["EXISTS", "k"],
            &["SELECT", "1"],
            &["GET", "k"],
            &["~TTL", "k"],
            &["SET", "k2", "in db1"],
            &["SELECT", "0"],
            &["SET", "k2", "in db0"],
            &["MOVE", "k2", "1"],
            &["GET", "k2"],
            &["MOVE", "k2", "16"],
            &["MOVE", "k2", "-1"],
            &["MOVE", "k2", "x"],
            &["MOVE", "k2"],
        ],
    );
}

// ---------------------------------------------------------------------------
// SELECT and SWAPDB
// ---------------------------------------------------------------------------

#[test]
fn select_and_swapdb_swap_whole_databases_with_their_ttls() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SET", "a", "zero"],
            &["SET", "t", "ttl", "EX", "100"],
            &["SELECT", "3"],
            &["SET", "c", "three"],
            &["SWAPDB", "0", "3"],
            &["#KEYS", "*"],
            &["~TTL", "t"],
            &["SELECT", "0"],
            &["#KEYS", "*"],
            &["SWAPDB", "0", "0"],
            &["#KEYS", "*"],
            &["SWAPDB", "3", "0"],
            &["#KEYS", "*"],
            &["SWAPDB", "0", "16"],
            &["SWAPDB", "16", "0"],
            &["SWAPDB", "-1", "0"],
            &["SWAPDB", "x", "0"],
            &["SWAPDB", "0", "x"],
            &["SWAPDB", "0"],
            &["SELECT", "16"],
            &["SELECT", "-1"],
            &["SELECT", "x"],
            &["SELECT"],
        ],
    );
}

#[test]
fn swapdb_changes_what_another_connection_sees() {
    let pair = Pair::start();
    pair.flushall();
    // SWAPDB swaps the data, not the clients: a connection that selected
    // db 1 now sees what db 0 held.
    for ((name, mut a), (_, mut b)) in pair.clients().into_iter().zip(pair.clients()) {
        assert_eq!(a.cmd_raw(&["SET", "k", "from0"]), b"+OK\r\n", "{name}");
        assert_eq!(b.cmd_raw(&["SELECT", "1"]), b"+OK\r\n", "{name}");
        assert_eq!(b.cmd_raw(&["GET", "k"]), b"$-1\r\n", "{name}");
        assert_eq!(a.cmd_raw(&["SWAPDB", "0", "1"]), b"+OK\r\n", "{name}");
        assert_eq!(b.cmd_raw(&["GET", "k"]), b"$5\r\nfrom0\r\n", "{name}");
        assert_eq!(a.cmd_raw(&["GET", "k"]), b"$-1\r\n", "{name}");
    }
}

// ---------------------------------------------------------------------------
// EXPIRE family, TTL, PERSIST
// ---------------------------------------------------------------------------

#[test]
fn expire_nx_xx_gt_lt_only_change_the_ttl_when_their_condition_holds() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["EXPIRE", "nope", "10"],
            &["SET", "k", "v"],
            &["EXPIRE", "k", "100", "XX"],
            // No TTL counts as infinite: GT never wins, LT always does.
            &["EXPIRE", "k", "100", "GT"],
            &["EXPIRE", "k", "100", "NX"],
            &["EXPIRE", "k", "100", "NX"],
            &["EXPIRE", "k", "50", "XX"],
            &["~TTL", "k"],
            &["EXPIRE", "k", "200", "GT"],
            &["EXPIRE", "k", "100", "GT"],
            &["~TTL", "k"],
            &["EXPIRE", "k", "10", "LT"],
            &["EXPIRE", "k", "20", "LT"],
            &["~TTL", "k"],
            &["EXPIRE", "k", "30", "XX", "GT"],
            &["EXPIRE", "k", "20", "XX", "LT"],
            &["EXPIRE", "k", "40", "gt", "gt"],
            &["~TTL", "k"],
            &["PERSIST", "k"],
            &["EXPIRE", "k", "10", "LT"],
            &["~TTL", "k"],
            &["PEXPIRE", "k", "100000", "GT"],
            &["~~PTTL", "k"],
            &["PEXPIRE", "k", "5000", "NX"],
            &["EXPIREAT", "k", "4000000000", "GT"],
            &["EXPIRETIME", "k"],
            &["EXPIREAT", "k", "3900000000", "GT"],
            &["PEXPIREAT", "k", "3900000000000", "LT"],
            &["PEXPIRETIME", "k"],
            &["PEXPIREAT", "k", "3900000000000", "NX"],
            &["PEXPIREAT", "k", "3900000000001", "XX"],
            &["PEXPIRETIME", "k"],
        ],
    );
}

#[test]
fn expire_option_conflicts_and_bad_numbers_are_errors() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SET", "k", "v"],
            &["EXPIRE", "k", "10", "NX", "XX"],
            &["EXPIRE", "k", "10", "GT", "LT"],
            &["EXPIRE", "k", "10", "NX", "GT"],
            &["EXPIRE", "k", "10", "NX", "LT"],
            &["PEXPIRE", "k", "10", "LT", "NX"],
            &["EXPIREAT", "k", "10", "xx", "nx"],
            &["EXPIRE", "k", "10", "FOO"],
            &["EXPIRE", "k", "10", "NX", "FOO"],
            &["EXPIRE", "k", "x"],
            &["EXPIRE", "k", "1.5"],
            &["EXPIRE", "k", ""],
            &["PEXPIREAT", "k", "x"],
            &["EXPIRE", "nope", "x"],
            &["EXPIRE", "k"],
            &["PEXPIRE", "k"],
            &["EXPIREAT"],
            &["PEXPIREAT", "k"],
            // The key is untouched by all of that.
            &["TTL", "k"],
        ],
    );
    expect(
        &pair,
        &[
            (&["SET", "k", "v"], b"+OK\r\n"),
            (
                &["EXPIRE", "k", "10", "NX", "XX"],
                b"-ERR NX and XX, GT or LT options at the same time are not compatible\r\n",
            ),
            (
                &["EXPIRE", "k", "10", "GT", "LT"],
                b"-ERR GT and LT options at the same time are not compatible\r\n",
            ),
            (
                &["EXPIRE", "k", "10", "FOO"],
                b"-ERR Unsupported option FOO\r\n",
            ),
        ],
    );
}

#[test]
fn expire_times_that_overflow_are_invalid_expire_time_errors() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SET", "k", "v"],
            &["EXPIRE", "k", "9223372036854775807"],
            &["EXPIRE", "k", "9223372036854775"],
            &["EXPIRE", "k", "9223372036854776"],
            &["EXPIRE", "k", "-9223372036854775808"],
            &["PEXPIRE", "k", "9223372036854775807"],
            &["EXPIREAT", "k", "9223372036854775807"],
            &["EXPIREAT", "k", "-9223372036854775808"],
            &["EXPIRE", "k", "9223372036854775808"],
            &["EXISTS", "k"],
            &["TTL", "k"],
            // The largest absolute time in ms is accepted as is.
            &["PEXPIREAT", "k", "9223372036854775807"],
            &["PEXPIRETIME", "k"],
            &["EXPIRE", "nope", "9223372036854775807"],
        ],
    );
    expect(
        &pair,
        &[
            (&["SET", "k", "v"], b"+OK\r\n"),
            (
                &["EXPIRE", "k", "9223372036854775807"],
                b"-ERR invalid expire time in 'expire' command\r\n",
            ),
            (
                &["PEXPIRE", "k", "9223372036854775807"],
                b"-ERR invalid expire time in 'pexpire' command\r\n",
            ),
        ],
    );
}

#[test]
fn zero_negative_or_past_expire_times_delete_the_key_at_once() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SET", "k", "v"],
            &["EXPIRE", "k", "0"],
            &["EXISTS", "k"],
            &["SET", "k", "v"],
            &["EXPIRE", "k", "-5"],
            &["GET", "k"],
            &["SET", "k", "v"],
            &["PEXPIRE", "k", "-1"],
            &["EXISTS", "k"],
            &["SET", "k", "v"],
            &["EXPIREAT", "k", "1"],
            &["EXISTS", "k"],
            &["SET", "k", "v"],
            &["PEXPIREAT", "k", "0"],
            &["DBSIZE"],
            // A past time with a condition that fails leaves the key alone.
            &["SET", "k", "v"],
            &["EXPIRE", "k", "0", "XX"],
            &["EXISTS", "k"],
            &["EXPIRE", "k", "-1", "GT"],
            &["EXISTS", "k"],
            &["EXPIRE", "k", "-1", "LT"],
            &["EXISTS", "k"],
        ],
    );
}

#[test]
fn ttl_and_pttl_say_minus_two_for_missing_and_minus_one_for_persistent() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["TTL", "nope"],
            &["PTTL", "nope"],
            &["SET", "k", "v"],
            &["TTL", "k"],
            &["PTTL", "k"],
            &["EXPIRE", "k", "100"],
            &["~TTL", "k"],
            &["~~PTTL", "k"],
            &["PEXPIRE", "k", "2500"],
            // TTL rounds to the nearest second: 2500 ms is 3 s.
            &["~TTL", "k"],
            &["~~PTTL", "k"],
            &["TTL"],
            &["PTTL", "a", "b"],
        ],
    );
    pair.each(|name, c| {
        assert_eq!(c.cmd_raw(&["SET", "k", "v", "EX", "100"]), b"+OK\r\n");
        let ttl = c.cmd(&["TTL", "k"]).as_int();
        assert!(matches!(ttl, Some(99..=100)), "{name}: TTL {ttl:?}");
        let pttl = c.cmd(&["PTTL", "k"]).as_int();
        assert!(
            matches!(pttl, Some(98_000..=100_000)),
            "{name}: PTTL {pttl:?}"
        );
    });
}

#[test]
fn expiretime_and_pexpiretime_report_the_absolute_deadline() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["EXPIRETIME", "nope"],
            &["PEXPIRETIME", "nope"],
            &["SET", "k", "v"],
            &["EXPIRETIME", "k"],
            &["PEXPIRETIME", "k"],
            &["EXPIREAT", "k", "4000000000"],
            &["EXPIRETIME", "k"],
            &["PEXPIRETIME", "k"],
            // EXPIRETIME rounds the millisecond deadline to the nearest second.
            &["PEXPIREAT", "k", "4000000000999"],
            &["EXPIRETIME", "k"],
            &["PEXPIRETIME", "k"],
            &["EXPIRE", "k", "100"],
            &["~EXPIRETIME", "k"],
            &["~~PEXPIRETIME", "k"],
            &["EXPIRETIME"],
            &["PEXPIRETIME", "a", "b"],
        ],
    );
}

#[test]
fn persist_removes_a_ttl_and_says_whether_there_was_one() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["PERSIST", "nope"],
            &["SET", "k", "v"],
            &["PERSIST", "k"],
            &["EXPIRE", "k", "100"],
            &["PERSIST", "k"],
            &["TTL", "k"],
            &["PERSIST", "k"],
            &["GET", "k"],
            &["PERSIST"],
            &["PERSIST", "a", "b"],
        ],
    );
}

// ---------------------------------------------------------------------------
// SET and GETEX expiry options
// ---------------------------------------------------------------------------

#[test]
fn set_ex_px_exat_pxat_keepttl_and_get_combine_like_redis() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SET", "k", "v", "EX", "100"],
            &["~TTL", "k"],
            &["SET", "k", "v", "PX", "100000"],
            &["~~PTTL", "k"],
            &["SET", "k", "v", "EXAT", "4000000000"],
            &["EXPIRETIME", "k"],
            &["SET", "k", "v", "PXAT", "4000000000123"],
            &["PEXPIRETIME", "k"],
            // A plain SET clears the TTL; KEEPTTL keeps it.
            &["SET", "k", "w", "KEEPTTL"],
            &["PEXPIRETIME", "k"],
            &["GET", "k"],
            &["SET", "k", "x"],
            &["TTL", "k"],
            // GET returns the old value (nil when there was none).
            &["SET", "k", "y", "GET"],
            &["SET", "new", "n", "GET"],
            &["SET", "k", "z", "NX", "GET"],
            &["GET", "k"],
            &["SET", "k", "z", "XX", "GET"],
            &["SET", "missing", "m", "XX", "GET"],
            &["EXISTS", "missing"],
            &["SET", "k", "g", "GET", "EX", "100"],
            &["~TTL", "k"],
            &["SET", "k", "h", "KEEPTTL", "GET"],
            &["~TTL", "k"],
            &["SET", "k", "i", "ex", "100", "ex", "200"],
            &["~TTL", "k"],
            &["SET", "k", "j", "KEEPTTL", "KEEPTTL"],
            &["SET", "k", "l", "NX", "NX"],
            &["SET", "k", "m", "GET", "GET"],
            &["SET", "k", "v", "EXAT", "1"],
            &["EXISTS", "k"],
        ],
    );
}

#[test]
fn set_option_errors() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SET", "k", "v", "EX", "100", "PX", "100"],
            &["SET", "k", "v", "EX", "10", "KEEPTTL"],
            &["SET", "k", "v", "KEEPTTL", "PXAT", "10"],
            &["SET", "k", "v", "EXAT", "10", "PXAT", "10"],
            &["SET", "k", "v", "NX", "XX"],
            &["SET", "k", "v", "EX"],
            &["SET", "k", "v", "FOO"],
            &["SET", "k", "v", "EX", "0"],
            &["SET", "k", "v", "EX", "-1"],
            &["SET", "k", "v", "PX", "0"],
            &["SET", "k", "v", "EXAT", "0"],
            &["SET", "k", "v", "PXAT", "0"],
            &["SET", "k", "v", "EX", "x"],
            &["SET", "k", "v", "PX", "1.5"],
            &["SET", "k", "v", "EX", "9223372036854775807"],
            &["SET", "k", "v", "PX", "9223372036854775807"],
            &["SET", "k", "v", "EXAT", "9223372036854775807"],
            &["SET", "k", "v", "EX", "9223372036854775"],
            &["SET", "k"],
            &["EXISTS", "k"],
        ],
    );
    expect(
        &pair,
        &[
            (
                &["SET", "k", "v", "EX", "0"],
                b"-ERR invalid expire time in 'set' command\r\n",
            ),
            (
                &["SET", "k", "v", "EX", "10", "KEEPTTL"],
                b"-ERR syntax error\r\n",
            ),
        ],
    );
}

#[test]
fn getex_sets_or_clears_the_ttl_and_returns_the_value() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["GETEX", "nope"],
            &["GETEX", "nope", "EX", "10"],
            &["EXISTS", "nope"],
            &["SET", "k", "v"],
            &["GETEX", "k"],
            &["TTL", "k"],
            &["GETEX", "k", "EX", "100"],
            &["~TTL", "k"],
            &["GETEX", "k"],
            &["~TTL", "k"],
            &["GETEX", "k", "PERSIST"],
            &["TTL", "k"],
            &["GETEX", "k", "PX", "100000"],
            &["~~PTTL", "k"],
            &["GETEX", "k", "EXAT", "4000000000"],
            &["EXPIRETIME", "k"],
            &["GETEX", "k", "PXAT", "4000000000123"],
            &["PEXPIRETIME", "k"],
            &["GETEX", "k", "persist", "persist"],
            &["GETEX", "k", "ex", "10", "ex", "20"],
            &["~TTL", "k"],
            // A deadline in the past deletes the key after returning it.
            &["GETEX", "k", "EXAT", "1"],
            &["EXISTS", "k"],
            &["SET", "i", "12345"],
            &["GETEX", "i", "PX", "100000"],
        ],
    );
}

#[test]
fn getex_option_errors() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SET", "k", "v"],
            &["GETEX", "k", "EX", "0"],
            &["GETEX", "k", "EX", "-1"],
            &["GETEX", "k", "PX", "0"],
            &["GETEX", "k", "EXAT", "0"],
            &["GETEX", "k", "PXAT", "-5"],
            &["GETEX", "k", "EX", "x"],
            &["GETEX", "k", "EX", "10", "PX", "10"],
            &["GETEX", "k", "PERSIST", "EX", "10"],
            &["GETEX", "k", "EX"],
            &["GETEX", "k", "FOO"],
            &["GETEX", "k", "EX", "9223372036854775807"],
            // On a missing key the value check comes after the lookup.
            &["GETEX", "nope", "EX", "0"],
            &["GETEX", "nope", "FOO"],
            &["GETEX"],
            &["TTL", "k"],
        ],
    );
    expect(
        &pair,
        &[
            (&["SET", "k", "v"], b"+OK\r\n"),
            (
                &["GETEX", "k", "EX", "0"],
                b"-ERR invalid expire time in 'getex' command\r\n",
            ),
        ],
    );
}

// ---------------------------------------------------------------------------
// Lazy and active expiry
// ---------------------------------------------------------------------------

#[test]
fn expired_keys_are_deleted_lazily_when_touched() {
    let pair = Pair::start();
    // With the active cycle off, an expired key stays in the table (DBSIZE
    // still counts it) until a command looks it up.
    same(
        &pair,
        &[
            &["DEBUG", "SET-ACTIVE-EXPIRE", "0"],
            &["SET", "a", "v", "PX", "50"],
            &["SET", "b", "v", "PX", "50"],
            &["SET", "c", "v", "PX", "50"],
            &["SET", "keep", "v"],
            &["@SLEEP", "100"],
            &["DBSIZE"],
            &["GET", "a"],
            &["DBSIZE"],
            &["EXISTS", "b"],
            &["DBSIZE"],
            &["TTL", "c"],
            &["DBSIZE"],
            &["KEYS", "*"],
            &["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
        ],
    );
    pair.each(|name, c| {
        assert_eq!(c.cmd_raw(&["SET", "t", "v", "PX", "50"]), b"+OK\r\n");
        thread::sleep(Duration::from_millis(100));
        assert_eq!(c.cmd_raw(&["GET", "t"]), b"$-1\r\n", "{name}");
        assert_eq!(c.cmd_raw(&["EXISTS", "t"]), b":0\r\n", "{name}");
    });
}

#[test]
fn active_expiry_removes_keys_nobody_touches_in_any_database() {
    let pair = Pair::start();
    pair.flushall();
    let mut clients = pair.clients();
    for (name, c) in clients.iter_mut() {
        // Hold the cycle off while filling, so the count below is exact
        // however slowly the keys go in.
        let off = c.cmd_raw(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
        assert_eq!(off, b"+OK\r\n", "{name}");
        assert_eq!(c.cmd_raw(&["SELECT", "9"]), b"+OK\r\n", "{name}");
        for i in 0..200 {
            c.send(&["SET", &format!("volatile:{i}"), "v", "PX", "50"]);
        }
        for _ in 0..200 {
            assert_eq!(c.read_raw_reply(), b"+OK\r\n", "{name}");
        }
        assert_eq!(c.cmd_raw(&["DBSIZE"]), b":200\r\n", "{name}");
        let on = c.cmd_raw(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
        assert_eq!(on, b"+OK\r\n", "{name}");
    }
    // DBSIZE does not look keys up, so only the server's own cycle can
    // bring it to zero.
    thread::sleep(Duration::from_millis(1500));
    for (name, c) in clients.iter_mut() {
        assert_eq!(c.cmd_raw(&["DBSIZE"]), b":0\r\n", "{name}");
    }
}

// ---------------------------------------------------------------------------
// INFO keyspace
// ---------------------------------------------------------------------------

/// Replace the digits after every `avg_ttl=` with `N` inside a bulk reply
/// and fix up the bulk length: avg_ttl is a running estimate.
fn mask_avg_ttl(raw: &[u8]) -> Vec<u8> {
    let Some(RespValue::Bulk(body)) = common::parse_reply(raw, 0).ok().flatten().map(|r| r.0)
    else {
        return raw.to_vec();
    };
    let text = String::from_utf8_lossy(&body);
    let mut out = String::new();
    let mut rest = text.as_ref();
    while let Some(at) = rest.find("avg_ttl=") {
        let (head, tail) = rest.split_at(at + "avg_ttl=".len());
        out.push_str(head);
        out.push('N');
        rest = tail.trim_start_matches(|ch: char| ch.is_ascii_digit());
    }
    out.push_str(rest);
    format!("${}\r\n{out}\r\n", out.len()).into_bytes()
}

#[test]
fn info_keyspace_lists_each_nonempty_db_like_redis() {
    let pair = Pair::start();
    let script: &[&[&str]] = &[
        &["INFO", "keyspace"],
        &["SET", "a", "1"],
        &["SET", "b", "2", "EX", "100"],
        &["SELECT", "3"],
        &["SET", "c", "3"],
        &["INFO", "keyspace"],
        &["FLUSHDB"],
        &["INFO", "keyspace"],
    ];
    same_with(&pair, script, |_, raw| mask_avg_ttl(raw));
}

#[test]
fn info_keyspace_line_has_keys_expires_and_avg_ttl() {
    let pair = Pair::start();
    pair.each(|name, c| {
        assert_eq!(c.cmd_raw(&["SET", "a", "1"]), b"+OK\r\n");
        assert_eq!(c.cmd_raw(&["SET", "b", "1", "EX", "100"]), b"+OK\r\n");
        let info = c.cmd(&["INFO", "keyspace"]);
        let text = info.as_str().unwrap_or_default().to_string();
        let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.first(), Some(&"# Keyspace"), "{name}: {text:?}");
        assert_eq!(lines.len(), 2, "{name}: only db0 has keys: {text:?}");
        let Some(fields) = lines[1].strip_prefix("db0:") else {
            panic!("{name}: no db0 line in {text:?}");
        };
        let parts: Vec<&str> = fields.split(',').collect();
        assert_eq!(parts.len(), 3, "{name}: {fields:?}");
        assert_eq!(parts[0], "keys=2", "{name}");
        assert_eq!(parts[1], "expires=1", "{name}");
        let avg = parts[2].strip_prefix("avg_ttl=").map(str::parse::<u64>);
        assert!(
            matches!(avg, Some(Ok(ms)) if ms <= 100_000),
            "{name}: {:?}",
            parts[2]
        );
    });
}

// ---------------------------------------------------------------------------
// SCAN
// ---------------------------------------------------------------------------

/// Guard against a cursor that never returns to 0.
const MAX_SCAN_CALLS: usize = 100_000;

/// Run SCAN from cursor 0 to 0 with `options` (e.g. COUNT 10), calling
/// `between` after each call, and return every key in the order returned.
fn scan_all(c: &mut Client, options: &[&str], mut between: impl FnMut(&mut Client)) -> Vec<String> {
    let mut cursor = "0".to_string();
    let mut keys = Vec::new();
    for _ in 0..MAX_SCAN_CALLS {
        let mut args = vec!["SCAN", cursor.as_str()];
        args.extend_from_slice(options);
        let reply = c.cmd(&args);
        let Some([next, batch]) = reply.as_array() else {
            panic!("SCAN reply is not [cursor, keys]: {reply}");
        };
        let next = next.as_str().unwrap_or_default().to_string();
        assert!(
            !next.is_empty() && next.bytes().all(|b| b.is_ascii_digit()),
            "cursor {next:?} is not a decimal bulk string"
        );
        let Some(batch) = batch.as_array() else {
            panic!("SCAN keys are not an array: {reply}");
        };
        for k in batch {
            keys.push(k.as_str().unwrap_or_default().to_string());
        }
        if next == "0" {
            return keys;
        }
        cursor = next;
        between(c);
    }
    panic!("SCAN did not finish in {MAX_SCAN_CALLS} calls");
}

/// Fill the selected db with `key:0` .. `key:{n-1}` in MSET batches.
fn fill_keys(c: &mut Client, n: usize) -> HashSet<String> {
    let names: Vec<String> = (0..n).map(|i| format!("key:{i}")).collect();
    for chunk in names.chunks(100) {
        let mut args = vec!["MSET"];
        for k in chunk {
            args.push(k);
            args.push("v");
        }
        assert_eq!(c.cmd_raw(&args), b"+OK\r\n");
    }
    names.into_iter().collect()
}

#[test]
fn scan_full_iteration_returns_every_key_at_least_once() {
    let pair = Pair::start();
    pair.each(|name, c| {
        let all = fill_keys(c, 1000);
        for count in ["1", "10", "1000"] {
            let seen = scan_all(c, &["COUNT", count], |_| {});
            let unique: HashSet<String> = seen.iter().cloned().collect();
            assert_eq!(unique, all, "{name}: COUNT {count}");
        }
        let seen: HashSet<String> = scan_all(c, &[], |_| {}).into_iter().collect();
        assert_eq!(seen, all, "{name}: default COUNT");
        // An empty database finishes at once.
        assert_eq!(c.cmd_raw(&["SELECT", "1"]), b"+OK\r\n");
        assert_eq!(
            c.cmd_raw(&["SCAN", "0"]),
            b"*2\r\n$1\r\n0\r\n*0\r\n",
            "{name}"
        );
    });
}

#[test]
fn scan_match_and_type_filter_the_returned_keys() {
    let pair = Pair::start();
    pair.each(|name, c| {
        let all = fill_keys(c, 1000);
        let want: HashSet<String> = all
            .iter()
            .filter(|k| k.starts_with("key:1") && k.len() == 6)
            .cloned()
            .collect();
        assert_eq!(want.len(), 10);
        for count in ["1", "10", "1000"] {
            let seen: HashSet<String> = scan_all(c, &["MATCH", "key:1?", "COUNT", count], |_| {})
                .into_iter()
                .collect();
            assert_eq!(seen, want, "{name}: MATCH key:1? COUNT {count}");
        }
        let strings: HashSet<String> = scan_all(c, &["TYPE", "string", "COUNT", "100"], |_| {})
            .into_iter()
            .collect();
        assert_eq!(strings, all, "{name}: TYPE string");
        let upper: HashSet<String> = scan_all(c, &["TYPE", "STRING"], |_| {})
            .into_iter()
            .collect();
        assert_eq!(upper, all, "{name}: TYPE is case-insensitive");
        for ty in ["list", "hash", "nosuchtype"] {
            let none = scan_all(c, &["TYPE", ty, "COUNT", "100"], |_| {});
            assert!(none.is_empty(), "{name}: TYPE {ty} returned {none:?}");
        }
        let both: HashSet<String> = scan_all(
            c,
            &["MATCH", "key:99*", "TYPE", "string", "COUNT", "7"],
            |_| {},
        )
        .into_iter()
        .collect();
        let want99: HashSet<String> = all
            .iter()
            .filter(|k| k.starts_with("key:99"))
            .cloned()
            .collect();
        assert_eq!(both, want99, "{name}: MATCH and TYPE together");
    });
}

#[test]
fn scan_returns_every_original_key_while_keys_are_inserted() {
    let pair = Pair::start();
    pair.each(|name, c| {
        let all = fill_keys(c, 1000);
        // Insert 20 keys after every call: the table grows (and rehashes)
        // several times during the iteration.
        let mut added = 0usize;
        let seen = scan_all(c, &["COUNT", "10"], |c| {
            for _ in 0..20 {
                let k = format!("new:{added}");
                added += 1;
                assert_eq!(c.cmd_raw(&["SET", &k, "v"]), b"+OK\r\n");
            }
        });
        let unique: HashSet<String> = seen.into_iter().collect();
        for k in &all {
            assert!(unique.contains(k), "{name}: SCAN missed {k}");
        }
        for k in &unique {
            assert!(
                all.contains(k) || k.starts_with("new:"),
                "{name}: SCAN invented {k}"
            );
        }
        assert!(added > 0, "{name}: SCAN finished in one call");
    });
}

#[test]
fn scan_rejects_bad_cursors_and_options() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SCAN", "0"],
            &["SCAN", "x"],
            &["SCAN", "1.5"],
            &["SCAN", " 1"],
            &["SCAN", ""],
            &["SCAN", "18446744073709551616"],
            &["SCAN", "0", "COUNT", "0"],
            &["SCAN", "0", "COUNT", "-1"],
            &["SCAN", "0", "COUNT", "x"],
            &["SCAN", "0", "COUNT"],
            &["SCAN", "0", "MATCH"],
            &["SCAN", "0", "TYPE"],
            &["SCAN", "0", "FOO", "bar"],
            &["SCAN", "0", "NOVALUE"],
            &["SCAN", "0", "MATCH", "*", "COUNT", "10", "TYPE", "string"],
            &["SCAN"],
        ],
    );
    expect(&pair, &[(&["SCAN", "x"], b"-ERR invalid cursor\r\n")]);
}

// ---------------------------------------------------------------------------
// OBJECT
// ---------------------------------------------------------------------------

#[test]
fn object_encoding_is_int_embstr_or_raw_like_redis() {
    let pair = Pair::start();
    let raw45 = "123456789012345678901234567890123456789012345";
    let emb44 = "12345678901234567890123456789012345678901234";
    same(
        &pair,
        &[
            &["OBJECT", "ENCODING", "nope"],
            &["SET", "i", "12345"],
            &["OBJECT", "ENCODING", "i"],
            &["SET", "neg", "-1"],
            &["OBJECT", "ENCODING", "neg"],
            &["SET", "max", "9223372036854775807"],
            &["OBJECT", "ENCODING", "max"],
            &["SET", "min", "-9223372036854775808"],
            &["OBJECT", "ENCODING", "min"],
            &["SET", "over", "9223372036854775808"],
            &["OBJECT", "ENCODING", "over"],
            &["SET", "e", "hello"],
            &["OBJECT", "ENCODING", "e"],
            &["SET", "empty", ""],
            &["OBJECT", "ENCODING", "empty"],
            &["SET", "r", raw45],
            &["OBJECT", "ENCODING", "r"],
            &["SET", "r44", emb44],
            &["OBJECT", "ENCODING", "r44"],
            // Not canonical integers: stay strings.
            &["SET", "z", "0123"],
            &["OBJECT", "ENCODING", "z"],
            &["SET", "plus", "+1"],
            &["OBJECT", "ENCODING", "plus"],
            &["SET", "sp", " 1"],
            &["OBJECT", "ENCODING", "sp"],
            &["SET", "m0", "-0"],
            &["OBJECT", "ENCODING", "m0"],
            // Changing a string in place makes it raw.
            &["APPEND", "e", "x"],
            &["OBJECT", "ENCODING", "e"],
            &["SET", "n", "1"],
            &["APPEND", "n", "2"],
            &["OBJECT", "ENCODING", "n"],
            &["SET", "s", "hello"],
            &["SETRANGE", "s", "1", "a"],
            &["OBJECT", "ENCODING", "s"],
            &["SETRANGE", "fresh", "0", "abc"],
            &["OBJECT", "ENCODING", "fresh"],
            &["SETBIT", "bits", "7", "1"],
            &["OBJECT", "ENCODING", "bits"],
            // Arithmetic stores integers.
            &["INCR", "i"],
            &["OBJECT", "ENCODING", "i"],
            &["SET", "c", "10"],
            &["INCRBY", "c", "5"],
            &["OBJECT", "ENCODING", "c"],
            &["INCR", "counter"],
            &["OBJECT", "ENCODING", "counter"],
            &["SET", "f", "10.5"],
            &["INCRBYFLOAT", "f", "0.1"],
            &["OBJECT", "ENCODING", "f"],
            &["GETRANGE", "i", "0", "1"],
            &["OBJECT", "ENCODING", "i"],
        ],
    );
    expect(
        &pair,
        &[
            (&["SET", "i", "12345"], b"+OK\r\n"),
            (&["OBJECT", "ENCODING", "i"], b"$3\r\nint\r\n"),
            (&["SET", "z", "0123"], b"+OK\r\n"),
            (&["OBJECT", "ENCODING", "z"], b"$6\r\nembstr\r\n"),
            (&["APPEND", "z", "4"], b":5\r\n"),
            (&["OBJECT", "ENCODING", "z"], b"$3\r\nraw\r\n"),
        ],
    );
}

#[test]
fn object_refcount_idletime_and_freq_under_noeviction() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["OBJECT", "REFCOUNT", "nope"],
            &["OBJECT", "IDLETIME", "nope"],
            &["OBJECT", "FREQ", "nope"],
            &["SET", "e", "hello"],
            &["OBJECT", "REFCOUNT", "e"],
            &["~OBJECT", "IDLETIME", "e"],
            // Small integers are shared objects in Redis, reported with the
            // "shared" refcount INT_MAX.
            &["SET", "small", "9999"],
            &["OBJECT", "REFCOUNT", "small"],
            &["SET", "big", "10000"],
            &["OBJECT", "REFCOUNT", "big"],
            &["SET", "neg", "-1"],
            &["OBJECT", "REFCOUNT", "neg"],
            &["INCR", "counter"],
            &["OBJECT", "REFCOUNT", "counter"],
            // FREQ needs an LFU policy; the default is noeviction.
            &["OBJECT", "FREQ", "e"],
            &["OBJECT", "FOO", "e"],
            &["OBJECT"],
            &["OBJECT", "ENCODING"],
            &["OBJECT", "ENCODING", "a", "b"],
            &["OBJECT", "REFCOUNT"],
        ],
    );
    expect(
        &pair,
        &[
            (&["SET", "e", "hello"], b"+OK\r\n"),
            (
                &["OBJECT", "FREQ", "e"],
                b"-ERR An LFU maxmemory policy is not selected, access frequency not tracked. \
                  Please note that when switching between policies at runtime LRU and LFU data \
                  will take some time to adjust.\r\n",
            ),
        ],
    );
}

#[test]
fn object_help_lists_the_subcommands() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["OBJECT", "HELP"],
            &["object", "help"],
            &["OBJECT", "HELP", "x"],
        ],
    );
}

// ---------------------------------------------------------------------------
// Arity
// ---------------------------------------------------------------------------

#[test]
fn keyspace_commands_check_their_arity() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["EXPIRE", "k"],
            &["PEXPIRE"],
            &["TTL"],
            &["PTTL", "a", "b"],
            &["KEYS"],
            &["KEYS", "a", "b"],
            &["TYPE"],
            &["RENAME", "a"],
            &["RENAMENX", "a", "b", "c"],
            &["COPY", "a"],
            &["MOVE", "a"],
            &["TOUCH"],
            &["RANDOMKEY", "x"],
            &["SWAPDB", "0"],
            &["SELECT"],
            &["PERSIST"],
            &["EXPIRETIME"],
            &["GETEX"],
            &["SCAN"],
            &["OBJECT"],
        ],
    );
    expect(
        &pair,
        &[(
            &["EXPIRE", "k"],
            b"-ERR wrong number of arguments for 'expire' command\r\n",
        )],
    );
}
