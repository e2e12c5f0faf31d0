//! Chapter 14 checkpoint: the hash commands and the two hash encodings,
//! checked against a real Redis 7.0.
//!
//! A hash is a listpack (fields and values side by side, in insertion
//! order) while it is small, and a hash table once it grows. Replies that
//! list a whole hash therefore come back in an order that depends on the
//! encoding and, for a hash table, on the hash function:
//!
//! ```text
//!   encoding    HGETALL / HKEYS / HVALS order      how these tests compare
//!   listpack    insertion order (deterministic)    byte for byte
//!   hashtable   bucket order (server's own)        HKEYS/HVALS sorted (`#`),
//!                                                  pairs checked with HMGET
//! ```
//!
//! The scripts that walk the commands run twice: with the default
//! thresholds (512 entries, 64-byte strings), where the workout hash stays
//! a listpack, and with `hash-max-listpack-entries 2` and
//! `hash-max-listpack-value 4`, where it is a hash table almost at once.
//!
//! Random replies (HRANDFIELD) and cursors (HSCAN) cannot be compared
//! byte for byte: those tests assert shapes and counts on each server.
//!
//! Not here: sets (ch15_sets.rs), SORT on lists (ch13_lists.rs).

mod common;

use std::collections::HashSet;

use common::diff::{cmd, encoding, expect, same, same_owned, strings, Pair};
use common::Client;

const WRONGTYPE: &[u8] = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

// ---------------------------------------------------------------------------
// HSET, HSETNX, HMSET, HGET, HMGET
// ---------------------------------------------------------------------------

#[test]
fn hset_sets_many_pairs_and_counts_only_the_new_fields() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["HSET", "h", "a", "1", "b", "2"],
            // a is overwritten (not counted), c is new (counted).
            &["HSET", "h", "a", "10", "c", "3"],
            &["HGETALL", "h"],
            // The same field twice in one call: the last value wins, counted once.
            &["HSET", "h", "d", "x", "d", "y"],
            &["HGET", "h", "d"],
            &["HLEN", "h"],
            // Values and fields keep their exact bytes.
            &["HSET", "h", "", "empty-field", "n", "007", "e", ""],
            &["HGET", "h", ""],
            &["HGET", "h", "n"],
            &["HGET", "h", "e"],
            &["HGETALL", "h"],
            // An odd number of field/value arguments is an arity error.
            &["HSET", "h", "a"],
            &["HSET", "h", "a", "1", "b"],
            &["HSET", "h"],
            &["HLEN", "h"],
            &["TYPE", "h"],
        ],
    );
    expect(
        &pair,
        &[
            (&["HSET", "h", "a", "1", "b", "2"], b":2\r\n"),
            (&["HSET", "h", "a", "1", "c", "3"], b":1\r\n"),
            (
                &["HSET", "h", "a", "1", "b"],
                b"-ERR wrong number of arguments for 'hset' command\r\n",
            ),
        ],
    );
}

#[test]
fn hsetnx_sets_a_field_only_when_it_is_missing() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["HSETNX", "h", "a", "1"],
            &["HSETNX", "h", "a", "2"],
            &["HGET", "h", "a"],
            &["HSETNX", "h", "b", "2"],
            &["HGETALL", "h"],
            &["HSETNX", "h", "a"],
            &["HSETNX", "h", "a", "1", "2"],
        ],
    );
}

#[test]
fn hmset_is_hset_that_replies_ok() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["HMSET", "h", "a", "1", "b", "2"],
            &["HMSET", "h", "a", "3"],
            &["HGETALL", "h"],
            &["HMSET", "h", "a"],
            &["HMSET", "h"],
        ],
    );
}

#[test]
fn hget_and_hmget_give_nil_for_missing_fields_and_keys() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["HGET", "nope", "a"],
            &["HMGET", "nope", "a", "b"],
            &["HSET", "h", "a", "1", "b", "2"],
            &["HGET", "h", "a"],
            &["HGET", "h", "zz"],
            &["HMGET", "h", "b", "zz", "a", "a"],
            &["HGET", "h"],
            &["HGET", "h", "a", "b"],
            &["HMGET", "h"],
            // RESP3: the nils become `_`.
            &["?HELLO", "3"],
            &["HGET", "h", "zz"],
            &["HMGET", "h", "zz", "a"],
            &["HMGET", "nope", "a"],
        ],
    );
    expect(
        &pair,
        &[
            (&["HGET", "nope", "a"], b"$-1\r\n"),
            (&["HMGET", "nope", "a", "b"], b"*2\r\n$-1\r\n$-1\r\n"),
        ],
    );
}

// ---------------------------------------------------------------------------
// HDEL, HLEN, HSTRLEN, HEXISTS
// ---------------------------------------------------------------------------

#[test]
fn hdel_removes_many_fields_and_the_last_one_takes_the_key() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["HDEL", "nope", "a"],
            &["HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4"],
            &["HDEL", "h", "a", "zz", "c", "a"],
            &["HGETALL", "h"],
            &["HLEN", "h"],
            &["EXPIRE", "h", "100"],
            &["HDEL", "h", "b", "d"],
            &["EXISTS", "h"],
            &["HLEN", "h"],
            &["HGETALL", "h"],
            // A new hash under the same name has no TTL left over.
            &["HSET", "h", "x", "1"],
            &["TTL", "h"],
            &["HDEL", "h"],
            &["HDEL"],
        ],
    );
}

#[test]
fn hlen_hstrlen_and_hexists_measure_without_fetching() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["HLEN", "nope"],
            &["HSTRLEN", "nope", "a"],
            &["HEXISTS", "nope", "a"],
            &[
                "HSET",
                "h",
                "s",
                "hello",
                "i",
                "-12345",
                "e",
                "",
                "big",
                "9223372036854775807",
            ],
            &["HLEN", "h"],
            &["HSTRLEN", "h", "s"],
            // Integers stored compactly still measure as their text.
            &["HSTRLEN", "h", "i"],
            &["HSTRLEN", "h", "big"],
            &["HSTRLEN", "h", "e"],
            &["HSTRLEN", "h", "zz"],
            &["HEXISTS", "h", "e"],
            &["HEXISTS", "h", "zz"],
            &["HLEN", "h", "x"],
            &["HSTRLEN", "h"],
            &["HEXISTS", "h"],
        ],
    );
}

// ---------------------------------------------------------------------------
// HKEYS, HVALS, HGETALL
// ---------------------------------------------------------------------------

#[test]
fn hkeys_hvals_and_hgetall_list_a_small_hash_in_insertion_order() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["HKEYS", "nope"],
            &["HVALS", "nope"],
            &["HGETALL", "nope"],
            &["HSET", "h", "z", "1", "a", "2", "m", "3"],
            &["OBJECT", "ENCODING", "h"],
            &["HKEYS", "h"],
            &["HVALS", "h"],
            &["HGETALL", "h"],
            // Overwriting keeps a field's place; a re-added field goes last.
            &["HSET", "h", "z", "one"],
            &["HDEL", "h", "a"],
            &["HSET", "h", "a", "two"],
            &["HGETALL", "h"],
            // RESP3: HGETALL is a map.
            &["?HELLO", "3"],
            &["HGETALL", "h"],
            &["HGETALL", "nope"],
            &["HKEYS", "h"],
            &["HKEYS", "h", "x"],
            &["HGETALL"],
        ],
    );
    expect(
        &pair,
        &[
            (&["HSET", "h", "b", "2", "a", "1"], b":2\r\n"),
            (
                &["HGETALL", "h"],
                b"*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n",
            ),
            (&["HGETALL", "nope"], b"*0\r\n"),
        ],
    );
}

#[test]
fn hkeys_and_hvals_of_a_hash_table_hold_the_same_elements() {
    let pair = Pair::start();
    let mut s = vec![cmd(&["CONFIG", "SET", "hash-max-listpack-entries", "4"])];
    for i in 0..40 {
        s.push(cmd(&[
            "HSET",
            "h",
            &format!("field:{i}"),
            &format!("value-{}", i * 7),
        ]));
    }
    s.push(cmd(&["OBJECT", "ENCODING", "h"]));
    s.push(cmd(&["#HKEYS", "h"]));
    s.push(cmd(&["#HVALS", "h"]));
    // Sorting loses the pairing; HMGET in a fixed field order checks it.
    let mut hmget = cmd(&["HMGET", "h"]);
    hmget.extend((0..42).map(|i| format!("field:{i}")));
    s.push(hmget);
    s.push(cmd(&["HLEN", "h"]));
    same_owned(&pair, &s);
}

// ---------------------------------------------------------------------------
// HINCRBY, HINCRBYFLOAT
// ---------------------------------------------------------------------------

#[test]
fn hincrby_adds_to_integer_fields_and_creates_missing_ones() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["HINCRBY", "h", "n", "5"],
            &["HINCRBY", "h", "n", "-7"],
            &["HGET", "h", "n"],
            &[
                "HSET", "h", "s", "abc", "f", "1.5", "sp", " 1", "lead", "01", "e", "",
            ],
            &["HINCRBY", "h", "s", "1"],
            &["HINCRBY", "h", "f", "1"],
            &["HINCRBY", "h", "sp", "1"],
            &["HINCRBY", "h", "lead", "1"],
            &["HINCRBY", "h", "e", "1"],
            &["HINCRBY", "h", "n", "abc"],
            &["HINCRBY", "h", "n", "1.0"],
            &["HINCRBY", "h", "n", "9223372036854775808"],
            &["HSET", "h", "max", "9223372036854775806"],
            &["HINCRBY", "h", "max", "1"],
            &["HINCRBY", "h", "max", "1"],
            &["HGET", "h", "max"],
            &["HSET", "h", "min", "-9223372036854775807"],
            &["HINCRBY", "h", "min", "-1"],
            &["HINCRBY", "h", "min", "-1"],
            &["HINCRBY", "h", "min", "9223372036854775807"],
            &["HINCRBY", "h", "n", "0"],
            &["HINCRBY", "h", "n"],
            &["HINCRBY", "h", "n", "1", "2"],
        ],
    );
    expect(
        &pair,
        &[
            (
                &["HSET", "h", "s", "abc", "max", "9223372036854775807"],
                b":2\r\n",
            ),
            (
                &["HINCRBY", "h", "s", "1"],
                b"-ERR hash value is not an integer\r\n",
            ),
            (
                &["HINCRBY", "h", "max", "1"],
                b"-ERR increment or decrement would overflow\r\n",
            ),
            (
                &["HINCRBY", "h", "x", "y"],
                b"-ERR value is not an integer or out of range\r\n",
            ),
            (&["HINCRBY", "h", "x", "-3"], b":-3\r\n"),
        ],
    );
}

#[test]
fn hincrbyfloat_adds_and_formats_like_incrbyfloat() {
    let pair = Pair::start();
    // Only sums whose text is the same whether the server computes in f64
    // or in C's long double (see chapter 11's INCRBYFLOAT tests).
    same(
        &pair,
        &[
            &["HSET", "h", "f", "10.5"],
            &["HINCRBYFLOAT", "h", "f", "0.1"],
            &["HGET", "h", "f"],
            &["HSET", "h", "f", "5.0e3"],
            &["HINCRBYFLOAT", "h", "f", "2.0e2"],
            &["HINCRBYFLOAT", "h", "new", "3"],
            &["HINCRBYFLOAT", "h", "new", "-1.5"],
            &["HINCRBYFLOAT", "h", "new", "-1.5"],
            &["HINCRBYFLOAT", "h", "new", "-0.5"],
            &["HSET", "h", "i", "1"],
            &["HINCRBYFLOAT", "h", "i", "1.0"],
            &["HINCRBYFLOAT", "h", "i", "2.5E2"],
            &["HINCRBYFLOAT", "h", "i", ".5"],
            &["HINCRBYFLOAT", "h", "small", "1.5e-5"],
            &["HINCRBYFLOAT", "h", "big", "1e17"],
            &["HINCRBYFLOAT", "h", "nk", "7"],
            // The result is stored as text: HINCRBY takes an integral one.
            &["HINCRBY", "h", "nk", "1"],
            &["HINCRBY", "h", "f", "1"],
            &["HGETALL", "h"],
            // Errors: a non-float increment, a non-float field, a result
            // that is not finite.
            &["HINCRBYFLOAT", "h", "f", "abc"],
            &["HINCRBYFLOAT", "h", "f", ""],
            &["HINCRBYFLOAT", "h", "f", " 1"],
            &["HINCRBYFLOAT", "h", "f", "nan"],
            &["HINCRBYFLOAT", "h", "f", "inf"],
            &["HINCRBYFLOAT", "h", "f", "-inf"],
            &["HSET", "h", "s", "abc", "sp", "1 ", "inf", "inf", "e", ""],
            &["HINCRBYFLOAT", "h", "s", "1"],
            &["HINCRBYFLOAT", "h", "sp", "1"],
            &["HINCRBYFLOAT", "h", "inf", "1"],
            &["HINCRBYFLOAT", "h", "e", "1"],
            &["HINCRBYFLOAT", "h", "missing", "abc"],
            &["HEXISTS", "h", "missing"],
            &["HINCRBYFLOAT", "nope", "f", "abc"],
            &["EXISTS", "nope"],
            &["HINCRBYFLOAT", "h", "f"],
            &["HINCRBYFLOAT", "h", "f", "1", "2"],
        ],
    );
    expect(
        &pair,
        &[
            (&["HSET", "h", "f", "10.5", "s", "abc"], b":2\r\n"),
            (&["HINCRBYFLOAT", "h", "f", "0.1"], b"$4\r\n10.6\r\n"),
            (
                &["HINCRBYFLOAT", "h", "s", "1"],
                b"-ERR hash value is not a float\r\n",
            ),
            (
                &["HINCRBYFLOAT", "h", "f", "x"],
                b"-ERR value is not a valid float\r\n",
            ),
            (
                &["HINCRBYFLOAT", "h", "f", "inf"],
                b"-ERR value is NaN or Infinity\r\n",
            ),
        ],
    );
}

// ---------------------------------------------------------------------------
// HRANDFIELD
// ---------------------------------------------------------------------------

#[test]
fn hrandfield_reply_types_agree_with_redis() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["HRANDFIELD", "nope"],
            &["HRANDFIELD", "nope", "3"],
            &["HRANDFIELD", "nope", "-3", "WITHVALUES"],
            &["HSET", "h", "a", "1", "b", "2", "c", "3"],
            &["?HRANDFIELD", "h"],
            &["?HRANDFIELD", "h", "2"],
            &["?HRANDFIELD", "h", "-5", "WITHVALUES"],
            // Asking for every field (or more) returns the whole hash,
            // in the same order as HGETALL for a small hash.
            &["#HRANDFIELD", "h", "3"],
            &["#HRANDFIELD", "h", "100"],
            &["HRANDFIELD", "h", "0"],
            &["HRANDFIELD", "h", "0", "WITHVALUES"],
            &["HRANDFIELD", "h", "1", "WITHVALUE"],
            &["HRANDFIELD", "h", "1", "WITHVALUES", "x"],
            &["HRANDFIELD", "h", "x"],
            &["HRANDFIELD", "h", "1.5"],
            &["HRANDFIELD"],
            // One field: no choice to make.
            &["HSET", "one", "k", "v"],
            &["HRANDFIELD", "one"],
            &["HRANDFIELD", "one", "-3"],
            &["HRANDFIELD", "one", "-2", "WITHVALUES"],
            &["HRANDFIELD", "one", "5", "WITHVALUES"],
            &["?HELLO", "3"],
            &["HRANDFIELD", "nope"],
            &["HRANDFIELD", "one", "1", "WITHVALUES"],
            &["HRANDFIELD", "one", "-2", "WITHVALUES"],
        ],
    );
    expect(
        &pair,
        &[
            (&["HRANDFIELD", "nope"], b"$-1\r\n"),
            (&["HRANDFIELD", "nope", "2"], b"*0\r\n"),
            (&["HSET", "h", "a", "1"], b":1\r\n"),
            (&["HRANDFIELD", "h", "0"], b"*0\r\n"),
            (&["HRANDFIELD", "h", "-2"], b"*2\r\n$1\r\na\r\n$1\r\na\r\n"),
            (
                &["HRANDFIELD", "h", "1", "WITHVALUES"],
                b"*2\r\n$1\r\na\r\n$1\r\n1\r\n",
            ),
        ],
    );
}

/// HRANDFIELD's count rules on one server, for a hash of `n` fields
/// `f0..` whose values are `v0..`.
fn check_hrandfield_counts(name: &str, c: &mut Client, key: &str, n: usize) {
    let all: HashSet<String> = (0..n).map(|i| format!("f{i}")).collect();
    let single = c.cmd(&["HRANDFIELD", key]);
    let Some(f) = single.as_str() else {
        panic!("{name}: HRANDFIELD {key} gave {single}");
    };
    assert!(all.contains(f), "{name}: {f} is not a field");

    // 0 < count <= size: that many distinct fields.
    for count in [1, n / 2, n] {
        let got = strings(name, &c.cmd(&["HRANDFIELD", key, &count.to_string()]));
        let distinct: HashSet<String> = got.iter().cloned().collect();
        assert_eq!(
            got.len(),
            count,
            "{name}: HRANDFIELD {key} {count}: {got:?}"
        );
        assert_eq!(distinct.len(), count, "{name}: repeats in {got:?}");
        assert!(
            distinct.is_subset(&all),
            "{name}: unknown fields in {got:?}"
        );
    }
    // count > size: the whole hash, once each.
    let got = strings(name, &c.cmd(&["HRANDFIELD", key, &(n + 5).to_string()]));
    let distinct: HashSet<String> = got.iter().cloned().collect();
    assert_eq!(got.len(), n, "{name}: HRANDFIELD {key} {}: {got:?}", n + 5);
    assert_eq!(distinct, all, "{name}: HRANDFIELD {key} past the size");

    // count < 0: exactly |count| fields, repeats allowed, even past the size.
    for count in [1, n, 3 * n] {
        let got = strings(name, &c.cmd(&["HRANDFIELD", key, &format!("-{count}")]));
        assert_eq!(got.len(), count, "{name}: HRANDFIELD {key} -{count}");
        assert!(got.iter().all(|f| all.contains(f)), "{name}: {got:?}");
    }

    // WITHVALUES: field, value, field, value ... and each value is its own.
    for count in [format!("{}", n / 2), format!("-{}", 2 * n)] {
        let got = strings(name, &c.cmd(&["HRANDFIELD", key, &count, "WITHVALUES"]));
        let want_len = 2 * count.trim_start_matches('-').parse::<usize>().unwrap_or(0);
        assert_eq!(
            got.len(),
            want_len,
            "{name}: HRANDFIELD {key} {count} WITHVALUES"
        );
        for pair in got.chunks_exact(2) {
            let want = format!("v{}", pair[0].trim_start_matches('f'));
            assert_eq!(pair[1], want, "{name}: {pair:?} in {got:?}");
        }
    }
}

#[test]
fn hrandfield_counts_follow_the_sign_rules_on_both_encodings() {
    let pair = Pair::start();
    pair.each(|name, c| {
        for (key, n) in [("small", 6), ("large", 300)] {
            let mut args = vec!["HSET".to_string(), key.to_string()];
            for i in 0..n {
                args.push(format!("f{i}"));
                args.push(format!("v{i}"));
            }
            if key == "large" {
                // Long values push it over the listpack value limit.
                args.push("pad".repeat(30));
                args.push("v-pad".into());
            }
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            c.cmd(&refs);
        }
        c.cmd(&["HDEL", "large", &"pad".repeat(30)]);
        assert_eq!(encoding(c, "small"), "listpack", "{name}");
        assert_eq!(encoding(c, "large"), "hashtable", "{name}");
        check_hrandfield_counts(name, c, "small", 6);
        check_hrandfield_counts(name, c, "large", 300);
        // Reading never changes the hash.
        assert_eq!(c.cmd(&["HLEN", "large"]).as_int(), Some(300), "{name}");
    });
}

// ---------------------------------------------------------------------------
// HSCAN
// ---------------------------------------------------------------------------

/// Follow HSCAN from cursor 0 until it returns 0; every (field, value)
/// seen, and how many calls it took.
fn hscan_all(
    name: &str,
    c: &mut Client,
    key: &str,
    extra: &[&str],
) -> (Vec<(String, String)>, usize) {
    let mut cursor = "0".to_string();
    let mut seen = Vec::new();
    let mut calls = 0;
    loop {
        let mut args = vec!["HSCAN", key, cursor.as_str()];
        args.extend_from_slice(extra);
        let reply = c.cmd(&args);
        calls += 1;
        let Some([next, batch]) = reply.as_array() else {
            panic!("{name}: HSCAN reply {reply}");
        };
        let batch = strings(name, batch);
        assert!(
            batch.len().is_multiple_of(2),
            "{name}: odd HSCAN batch {batch:?}"
        );
        for fv in batch.chunks_exact(2) {
            seen.push((fv[0].clone(), fv[1].clone()));
        }
        cursor = next.as_str().unwrap_or_default().to_string();
        if cursor == "0" {
            return (seen, calls);
        }
        assert!(calls < 10_000, "{name}: HSCAN never returned cursor 0");
    }
}

#[test]
fn hscan_of_a_small_hash_returns_everything_in_one_call() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["HSCAN", "nope", "0"],
            &["HSET", "h", "b", "1", "a", "2", "c", "3"],
            &["HSCAN", "h", "0"],
            // COUNT is only a hint: a listpack is returned whole.
            &["HSCAN", "h", "0", "COUNT", "1"],
            &["HSCAN", "h", "0", "MATCH", "a*"],
            &["HSCAN", "h", "0", "MATCH", "[bc]", "COUNT", "100"],
            &["HSCAN", "h", "0", "COUNT", "0"],
            &["HSCAN", "h", "0", "COUNT", "-1"],
            &["HSCAN", "h", "0", "COUNT", "x"],
            &["HSCAN", "h", "0", "MATCH"],
            &["HSCAN", "h", "0", "BOGUS", "1"],
            &["HSCAN", "h", "x"],
            &["HSCAN", "h", "-1"],
            &["HSCAN", "h"],
        ],
    );
    expect(
        &pair,
        &[
            (&["HSET", "h", "a", "1"], b":1\r\n"),
            (
                &["HSCAN", "h", "0", "COUNT", "1"],
                b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n",
            ),
            (&["HSCAN", "h", "x"], b"-ERR invalid cursor\r\n"),
        ],
    );
}

#[test]
fn hscan_of_a_hash_table_visits_every_field_by_the_end() {
    let pair = Pair::start();
    pair.each(|name, c| {
        let n = 1000;
        for chunk in (0..n).collect::<Vec<_>>().chunks(100) {
            let mut args = vec!["HSET".to_string(), "h".to_string()];
            for i in chunk {
                args.push(format!("field:{i}"));
                args.push(i.to_string());
            }
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            c.cmd(&refs);
        }
        assert_eq!(encoding(c, "h"), "hashtable", "{name}");
        let (seen, calls) = hscan_all(name, c, "h", &[]);
        assert!(
            calls > 1,
            "{name}: a 1000-field table came back in one call"
        );
        let fields: HashSet<&str> = seen.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields.len(),
            n,
            "{name}: HSCAN saw {} distinct fields",
            fields.len()
        );
        for (f, v) in &seen {
            assert_eq!(
                f.strip_prefix("field:"),
                Some(v.as_str()),
                "{name}: {f} => {v}"
            );
        }
        // MATCH filters after the fact; COUNT changes only the pace.
        let (seen, _) = hscan_all(name, c, "h", &["MATCH", "field:1??", "COUNT", "50"]);
        let fields: HashSet<&str> = seen.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields.len(), 100, "{name}: MATCH field:1?? saw {fields:?}");
    });
}

// ---------------------------------------------------------------------------
// Types: WRONGTYPE both ways, arity, keyspace commands
// ---------------------------------------------------------------------------

#[test]
fn every_hash_command_on_a_string_key_is_wrongtype_and_the_reverse() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SET", "s", "str"],
            &["HSET", "s", "a", "1"],
            &["HSETNX", "s", "a", "1"],
            &["HMSET", "s", "a", "1"],
            &["HGET", "s", "a"],
            &["HMGET", "s", "a"],
            &["HDEL", "s", "a"],
            &["HLEN", "s"],
            &["HSTRLEN", "s", "a"],
            &["HEXISTS", "s", "a"],
            &["HKEYS", "s"],
            &["HVALS", "s"],
            &["HGETALL", "s"],
            &["HINCRBY", "s", "a", "1"],
            &["HINCRBYFLOAT", "s", "a", "1"],
            &["HRANDFIELD", "s"],
            &["HRANDFIELD", "s", "2"],
            &["HSCAN", "s", "0"],
            &["GET", "s"],
            // And string and list commands on a hash.
            &["HSET", "h", "a", "1"],
            &["GET", "h"],
            &["APPEND", "h", "x"],
            &["INCR", "h"],
            &["STRLEN", "h"],
            &["LPUSH", "h", "x"],
            &["LLEN", "h"],
            &["SADD", "h", "x"],
            &["MGET", "h", "s"],
            &["TYPE", "h"],
            &["OBJECT", "ENCODING", "h"],
            &["HGETALL", "h"],
            // SET replaces a value of any type.
            &["SET", "h", "now a string"],
            &["TYPE", "h"],
            &["HGET", "h", "a"],
        ],
    );
    expect(
        &pair,
        &[
            (&["SET", "s", "str"], b"+OK\r\n"),
            (&["HGET", "s", "a"], WRONGTYPE),
            (&["HSET", "h", "a", "1"], b":1\r\n"),
            (&["GET", "h"], WRONGTYPE),
            (&["TYPE", "h"], b"+hash\r\n"),
        ],
    );
}

#[test]
fn hash_commands_check_their_arity() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["HSET", "k"],
            &["HSETNX", "k", "f"],
            &["HMSET", "k", "f"],
            &["HGET", "k"],
            &["HMGET", "k"],
            &["HDEL", "k"],
            &["HLEN"],
            &["HSTRLEN", "k"],
            &["HEXISTS", "k"],
            &["HKEYS"],
            &["HVALS"],
            &["HGETALL"],
            &["HINCRBY", "k", "f"],
            &["HINCRBYFLOAT", "k", "f"],
            &["HRANDFIELD"],
            &["HSCAN", "k"],
        ],
    );
}

#[test]
fn keyspace_commands_carry_hashes_and_copies_are_deep() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["HSET", "h", "a", "1", "b", "2"],
            &["COPY", "h", "c"],
            &["HSET", "c", "z", "26"],
            &["HGETALL", "h"],
            &["HGETALL", "c"],
            &["RENAME", "c", "r"],
            &["HGETALL", "r"],
            &["OBJECT", "ENCODING", "r"],
            &["#KEYS", "*"],
            &["DEL", "h", "r"],
            &["DBSIZE"],
        ],
    );
}

#[test]
fn sort_by_and_get_read_hash_fields_with_the_arrow_pattern() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["RPUSH", "ids", "1", "2", "3"],
            &["HSET", "user:1", "name", "carol", "age", "31"],
            &["HSET", "user:2", "name", "alice", "age", "25"],
            &["HSET", "user:3", "name", "bob", "age", "40"],
            &["SORT", "ids", "BY", "user:*->age"],
            &["SORT", "ids", "BY", "user:*->name", "ALPHA"],
            &[
                "SORT",
                "ids",
                "BY",
                "user:*->age",
                "DESC",
                "GET",
                "#",
                "GET",
                "user:*->name",
            ],
            // A missing field or hash sorts as 0 and GETs as nil.
            &["RPUSH", "ids", "4"],
            &["SORT", "ids", "BY", "user:*->age", "GET", "user:*->name"],
            &["SORT", "ids", "BY", "user:*->nope", "GET", "user:*->nope"],
            // An arrow on a string key finds nothing.
            &["SET", "user:5", "x"],
            &["RPUSH", "ids", "5"],
            &["SORT", "ids", "GET", "user:*->name"],
        ],
    );
}

// ---------------------------------------------------------------------------
// Encodings: listpack while small, hashtable once either limit is crossed
// ---------------------------------------------------------------------------

#[test]
fn a_hash_is_a_listpack_up_to_512_entries_and_64_byte_strings() {
    let pair = Pair::start();
    let mut s = Vec::new();
    // 512 fields: still a listpack. The 513th converts it.
    for i in 0..512 {
        s.push(cmd(&["HSET", "n", &format!("f{i}"), "v"]));
    }
    s.push(cmd(&["OBJECT", "ENCODING", "n"]));
    s.push(cmd(&["HSET", "n", "f0", "overwrite"]));
    s.push(cmd(&["OBJECT", "ENCODING", "n"]));
    s.push(cmd(&["HSET", "n", "f512", "v"]));
    s.push(cmd(&["OBJECT", "ENCODING", "n"]));
    s.push(cmd(&["HLEN", "n"]));
    // A 64-byte value fits; 65 bytes does not. The same for fields.
    s.push(cmd(&["HSET", "v", "a", &"x".repeat(64)]));
    s.push(cmd(&["OBJECT", "ENCODING", "v"]));
    s.push(cmd(&["HSET", "v", "b", &"x".repeat(65)]));
    s.push(cmd(&["OBJECT", "ENCODING", "v"]));
    s.push(cmd(&["HSET", "f", &"k".repeat(64), "1"]));
    s.push(cmd(&["OBJECT", "ENCODING", "f"]));
    s.push(cmd(&["HSET", "f", &"k".repeat(65), "1"]));
    s.push(cmd(&["OBJECT", "ENCODING", "f"]));
    // A long value straight away: the new hash is a table from the start.
    s.push(cmd(&["HSET", "big", "a", "1", "b", &"y".repeat(100)]));
    s.push(cmd(&["OBJECT", "ENCODING", "big"]));
    // Integers are measured as text too.
    s.push(cmd(&["HSET", "i", "a", "9223372036854775807"]));
    s.push(cmd(&["OBJECT", "ENCODING", "i"]));
    same_owned(&pair, &s);
}

#[test]
fn tiny_limits_convert_exactly_when_crossed_and_never_back() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["CONFIG", "SET", "hash-max-listpack-entries", "2"],
            &["CONFIG", "SET", "hash-max-listpack-value", "4"],
            &["CONFIG", "GET", "hash-max-listpack-entries"],
            &["CONFIG", "GET", "hash-max-listpack-value"],
            // Entries: two fit, the third converts.
            &["HSET", "e", "a", "1", "b", "2"],
            &["OBJECT", "ENCODING", "e"],
            &["HSET", "e", "a", "one"],
            &["OBJECT", "ENCODING", "e"],
            &["HSET", "e", "c", "3"],
            &["OBJECT", "ENCODING", "e"],
            // Deleting back down to one field keeps the table.
            &["HDEL", "e", "a", "b"],
            &["OBJECT", "ENCODING", "e"],
            &["HGETALL", "e"],
            // Deleting the last field deletes the key; a new one starts small.
            &["HDEL", "e", "c"],
            &["HSET", "e", "a", "1"],
            &["OBJECT", "ENCODING", "e"],
            // Values: 4 bytes fit, 5 convert.
            &["HSET", "v", "a", "abcd"],
            &["OBJECT", "ENCODING", "v"],
            &["HSET", "v", "a", "abcde"],
            &["OBJECT", "ENCODING", "v"],
            &["HSET", "v", "a", "x"],
            &["OBJECT", "ENCODING", "v"],
            // Fields: the same limit.
            &["HSET", "f", "abcd", "1"],
            &["OBJECT", "ENCODING", "f"],
            &["HSET", "f", "abcde", "1"],
            &["OBJECT", "ENCODING", "f"],
            // One long string anywhere in a multi-pair HSET converts first.
            &["HSET", "m", "a", "1", "b", "longer"],
            &["OBJECT", "ENCODING", "m"],
            &["HMGET", "m", "a", "b"],
            &["HMSET", "hm", "a", "1", "bbbbbbb", "2"],
            &["OBJECT", "ENCODING", "hm"],
            // HSETNX converts only if it actually sets.
            &["HSET", "nx", "a", "1"],
            &["HSETNX", "nx", "a", "longer"],
            &["OBJECT", "ENCODING", "nx"],
            &["HSETNX", "nx", "b", "longer"],
            &["OBJECT", "ENCODING", "nx"],
            // HINCRBY and HINCRBYFLOAT results that outgrow the limit.
            &["HSET", "inc", "a", "1"],
            &["HINCRBY", "inc", "a", "998"],
            &["OBJECT", "ENCODING", "inc"],
            &["HINCRBY", "inc", "a", "100000"],
            &["OBJECT", "ENCODING", "inc"],
            &["HSET", "fl", "a", "1"],
            &["HINCRBYFLOAT", "fl", "a", "0.25"],
            &["OBJECT", "ENCODING", "fl"],
            &["HINCRBYFLOAT", "fl", "a", "100000"],
            &["OBJECT", "ENCODING", "fl"],
            &["HSET", "fk", "a", "1"],
            &["HINCRBY", "fk", "b", "1"],
            &["OBJECT", "ENCODING", "fk"],
            // Raising the limits later leaves existing tables as they are.
            &["CONFIG", "SET", "hash-max-listpack-entries", "128"],
            &["CONFIG", "SET", "hash-max-listpack-value", "64"],
            &["OBJECT", "ENCODING", "v"],
            &["HSET", "v", "b", "2"],
            &["OBJECT", "ENCODING", "v"],
            &["HSET", "later", "a", "abcdefgh", "b", "2", "c", "3"],
            &["OBJECT", "ENCODING", "later"],
            // The Redis 6 names are aliases of the same settings.
            &["CONFIG", "SET", "hash-max-ziplist-entries", "3"],
            &["CONFIG", "GET", "hash-max-listpack-entries"],
        ],
    );
    pair.each(|name, c| {
        c.cmd(&["CONFIG", "SET", "hash-max-listpack-entries", "2"]);
        c.cmd(&["CONFIG", "SET", "hash-max-listpack-value", "4"]);
        c.cmd(&["HSET", "h", "a", "1", "b", "2"]);
        assert_eq!(encoding(c, "h"), "listpack", "{name}");
        c.cmd(&["HSET", "h", "c", "3"]);
        assert_eq!(encoding(c, "h"), "hashtable", "{name}");
        c.cmd(&["HDEL", "h", "b", "c"]);
        assert_eq!(encoding(c, "h"), "hashtable", "{name}: converted back");
        c.cmd(&["CONFIG", "SET", "hash-max-listpack-entries", "128"]);
        c.cmd(&["CONFIG", "SET", "hash-max-listpack-value", "64"]);
    });
}

// ---------------------------------------------------------------------------
// The same commands at default and tiny limits
// ---------------------------------------------------------------------------

/// Value of field `i` in the workout hash: short strings, integers (every
/// third), and every fifth a 40-byte string (above the tiny value limit,
/// below the default one).
fn workout_value(i: usize) -> String {
    if i.is_multiple_of(5) {
        format!("{i:03}-{}", "m".repeat(36))
    } else if i.is_multiple_of(3) {
        (i as i64 * -1000).to_string()
    } else {
        format!("v{i}")
    }
}

/// A script that builds a 30-field hash and runs every hash command over
/// it. `config` is sent first; `listpack` says whether the workout hash
/// stays a listpack under it (then whole-hash replies are compared byte
/// for byte, otherwise sorted plus an HMGET of every field).
fn hash_workout(config: &[&[&str]], listpack: bool) -> Vec<Vec<String>> {
    let mut s: Vec<Vec<String>> = config.iter().map(|c| cmd(c)).collect();
    let fields: Vec<String> = (0..34).map(|i| format!("f{i}")).collect();
    let read_all = |s: &mut Vec<Vec<String>>| {
        if listpack {
            s.push(cmd(&["HGETALL", "w"]));
            s.push(cmd(&["HKEYS", "w"]));
            s.push(cmd(&["HVALS", "w"]));
            s.push(cmd(&["HSCAN", "w", "0"]));
        } else {
            s.push(cmd(&["#HKEYS", "w"]));
            s.push(cmd(&["#HVALS", "w"]));
        }
        let mut hmget = cmd(&["HMGET", "w"]);
        hmget.extend(fields.iter().cloned());
        s.push(hmget);
        s.push(cmd(&["HLEN", "w"]));
    };
    for i in 0..30 {
        s.push(vec![
            "HSET".into(),
            "w".into(),
            format!("f{i}"),
            workout_value(i),
        ]);
    }
    s.push(cmd(&["OBJECT", "ENCODING", "w"]));
    read_all(&mut s);
    for f in ["f0", "f3", "f4", "f29", "f30", "f5"] {
        s.push(cmd(&["HGET", "w", f]));
        s.push(cmd(&["HSTRLEN", "w", f]));
        s.push(cmd(&["HEXISTS", "w", f]));
    }
    // Overwrites, new fields, HSETNX both ways.
    s.push(cmd(&["HSET", "w", "f1", "new1", "f30", "30", "f31", "x"]));
    s.push(cmd(&["HSETNX", "w", "f2", "no"]));
    s.push(cmd(&["HSETNX", "w", "f32", "yes"]));
    s.push(cmd(&["HMSET", "w", "f33", "-1", "f7", "seven"]));
    read_all(&mut s);
    // Counters on integer fields, float counters, errors on strings.
    s.push(cmd(&["HINCRBY", "w", "f3", "3000"]));
    s.push(cmd(&["HINCRBY", "w", "f9", "-1"]));
    s.push(cmd(&["HINCRBY", "w", "f30", "12"]));
    s.push(cmd(&["HINCRBY", "w", "f1", "1"]));
    s.push(cmd(&["HINCRBYFLOAT", "w", "f33", "1.5"]));
    s.push(cmd(&["HINCRBYFLOAT", "w", "f6", "0.5"]));
    s.push(cmd(&["HINCRBYFLOAT", "w", "f5", "1"]));
    read_all(&mut s);
    // Deletes from the front, the middle and the back.
    s.push(cmd(&["HDEL", "w", "f0", "f15", "f33", "nope"]));
    s.push(cmd(&["HDEL", "w", "f15"]));
    read_all(&mut s);
    s.push(cmd(&["OBJECT", "ENCODING", "w"]));
    // Random reads: only the types and the full-size answers.
    s.push(cmd(&["?HRANDFIELD", "w"]));
    s.push(cmd(&["?HRANDFIELD", "w", "-5", "WITHVALUES"]));
    s.push(cmd(&["#HRANDFIELD", "w", "1000"]));
    // Copies keep the encoding and the contents.
    s.push(cmd(&["COPY", "w", "w2"]));
    s.push(cmd(&["OBJECT", "ENCODING", "w2"]));
    s.push(cmd(&["#HKEYS", "w2"]));
    // A small hash stays a listpack under both configurations.
    s.push(cmd(&["HSET", "small", "a", "1", "b", "2"]));
    s.push(cmd(&["OBJECT", "ENCODING", "small"]));
    s.push(cmd(&["HGETALL", "small"]));
    s.push(cmd(&["HSCAN", "small", "0"]));
    // Emptying the hash field by field deletes it.
    let mut del = cmd(&["HDEL", "w"]);
    del.extend(fields.iter().cloned());
    s.push(del);
    s.push(cmd(&["EXISTS", "w"]));
    s.push(cmd(&["HLEN", "w"]));
    s
}

#[test]
fn hash_commands_agree_with_redis_at_the_default_limits() {
    let pair = Pair::start();
    same_owned(&pair, &hash_workout(&[], true));
}

#[test]
fn hash_commands_agree_with_redis_at_tiny_limits() {
    let pair = Pair::start();
    same_owned(
        &pair,
        &hash_workout(
            &[
                &["CONFIG", "SET", "hash-max-listpack-entries", "2"],
                &["CONFIG", "SET", "hash-max-listpack-value", "4"],
            ],
            false,
        ),
    );
}
