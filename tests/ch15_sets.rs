//! Chapter 15 checkpoint: the set commands and the two set encodings,
//! checked against a real Redis 7.0.
//!
//! A set of canonical integers is an intset (a sorted array of integers)
//! while it is small; a set with any other member, or too many, is a hash
//! table. Redis 7.0 has no listpack sets. Element order therefore depends
//! on the encoding:
//!
//! ```text
//!   encoding    SMEMBERS / SSCAN order           how these tests compare
//!   intset      ascending numeric (deterministic) byte for byte
//!   hashtable   bucket order (server's own)       sorted (`#` marker)
//! ```
//!
//! "Canonical" is the integer's own decimal text: `1` and `-5` are, but
//! `01`, `+1`, ` 1`, `-0` and `1.0` are strings that only look like numbers,
//! and one of them in a set turns it into a hash table.
//!
//! The scripts that walk the commands run twice: with the default
//! `set-max-intset-entries 512`, and with 2, where every integer set past
//! two members is a hash table.
//!
//! Random replies (SPOP, SRANDMEMBER) and cursors (SSCAN over a hash
//! table) cannot be compared byte for byte: those tests assert shapes and
//! counts on each server.
//!
//! Not here: hashes (ch14_hashes.rs), SORT on lists (ch13_lists.rs).

mod common;

use std::collections::HashSet;

use common::diff::{cmd, encoding, expect, same, same_owned, strings, Pair};
use common::Client;

const WRONGTYPE: &[u8] = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

/// SADD `key` with every member of `members`, in one command.
fn sadd(c: &mut Client, key: &str, members: &[String]) {
    let mut args = vec!["SADD", key];
    args.extend(members.iter().map(String::as_str));
    c.cmd(&args);
}

fn smembers(name: &str, c: &mut Client, key: &str) -> HashSet<String> {
    strings(name, &c.cmd(&["SMEMBERS", key]))
        .into_iter()
        .collect()
}

// ---------------------------------------------------------------------------
// SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS
// ---------------------------------------------------------------------------

#[test]
fn sadd_and_srem_count_only_the_members_they_change() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SADD", "s", "a", "b", "c"],
            &["SADD", "s", "a", "d", "d"],
            &["SCARD", "s"],
            &["#SMEMBERS", "s"],
            &["SREM", "s", "a", "zz", "a"],
            &["SREM", "nope", "a"],
            &["SCARD", "s"],
            &["SCARD", "nope"],
            &["#SMEMBERS", "s"],
            &["SMEMBERS", "nope"],
            // Members keep their exact bytes.
            &["SADD", "s", "", "A", "a "],
            &["SISMEMBER", "s", ""],
            &["SISMEMBER", "s", "a"],
            &["SISMEMBER", "s", "A"],
            &["#SMEMBERS", "s"],
            // Removing the last member deletes the key, TTL and all.
            &["EXPIRE", "s", "100"],
            &["SREM", "s", "b", "c", "d", "", "A", "a "],
            &["EXISTS", "s"],
            &["SADD", "s", "x"],
            &["TTL", "s"],
            &["TYPE", "s"],
            &["SADD", "s"],
            &["SREM", "s"],
        ],
    );
    expect(
        &pair,
        &[
            (&["SADD", "s", "a", "b", "a"], b":2\r\n"),
            (&["SADD", "s", "a"], b":0\r\n"),
            (&["SREM", "s", "a", "b", "c"], b":2\r\n"),
            (&["EXISTS", "s"], b":0\r\n"),
            (
                &["SADD", "s"],
                b"-ERR wrong number of arguments for 'sadd' command\r\n",
            ),
        ],
    );
}

#[test]
fn sismember_and_smismember_answer_per_member() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SISMEMBER", "nope", "a"],
            &["SMISMEMBER", "nope", "a", "b"],
            &["SADD", "s", "a", "1", "b"],
            &["SADD", "i", "1", "2", "3"],
            &["SISMEMBER", "s", "a"],
            &["SISMEMBER", "s", "c"],
            &["SMISMEMBER", "s", "a", "c", "1", "a"],
            // In an intset, only the canonical text finds the integer.
            &["SMISMEMBER", "i", "1", "01", "+1", " 1", "1.0", "4", "x"],
            &["SISMEMBER", "i", "-0"],
            &["SISMEMBER", "s"],
            &["SISMEMBER", "s", "a", "b"],
            &["SMISMEMBER", "s"],
        ],
    );
    expect(
        &pair,
        &[
            (&["SADD", "s", "a"], b":1\r\n"),
            (&["SMISMEMBER", "s", "a", "b"], b"*2\r\n:1\r\n:0\r\n"),
            (&["SMISMEMBER", "nope", "a"], b"*1\r\n:0\r\n"),
        ],
    );
}

#[test]
fn smembers_of_an_intset_comes_back_in_numeric_order() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &[
                "SADD",
                "i",
                "10",
                "-3",
                "7",
                "0",
                "-9223372036854775808",
                "9223372036854775807",
            ],
            &["OBJECT", "ENCODING", "i"],
            &["SMEMBERS", "i"],
            &["SSCAN", "i", "0"],
            &["SREM", "i", "0", "7"],
            &["SMEMBERS", "i"],
            // RESP3: a set reply.
            &["?HELLO", "3"],
            &["SMEMBERS", "i"],
            &["SMEMBERS", "nope"],
        ],
    );
}

// ---------------------------------------------------------------------------
// SPOP, SRANDMEMBER
// ---------------------------------------------------------------------------

#[test]
fn spop_and_srandmember_reply_types_agree_with_redis() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SPOP", "nope"],
            &["SPOP", "nope", "2"],
            &["SPOP", "nope", "0"],
            &["SRANDMEMBER", "nope"],
            &["SRANDMEMBER", "nope", "2"],
            &["SRANDMEMBER", "nope", "-2"],
            &["SADD", "s", "a", "b", "c"],
            &["?SPOP", "s"],
            &["SCARD", "s"],
            &["?SRANDMEMBER", "s"],
            &["?SRANDMEMBER", "s", "-5"],
            &["SPOP", "s", "0"],
            &["SRANDMEMBER", "s", "0"],
            &["SPOP", "s", "-1"],
            &["SPOP", "s", "x"],
            &["SPOP", "s", "1", "2"],
            &["SRANDMEMBER", "s", "x"],
            &["SRANDMEMBER", "s", "1", "2"],
            &["SCARD", "s"],
            // The pop took a random member: start again from a known set.
            // A count of at least the size takes the whole set.
            &["DEL", "s"],
            &["SADD", "s", "a", "b", "c"],
            &["#SRANDMEMBER", "s", "3"],
            &["#SRANDMEMBER", "s", "50"],
            &["#SPOP", "s", "50"],
            &["EXISTS", "s"],
            // One member: no choice to make.
            &["SADD", "one", "k"],
            &["SRANDMEMBER", "one", "-3"],
            &["SPOP", "one", "1"],
            &["EXISTS", "one"],
            &["SADD", "one", "k"],
            &["SPOP", "one"],
            &["EXISTS", "one"],
            &["?HELLO", "3"],
            &["SPOP", "nope"],
            &["SPOP", "nope", "1"],
            &["SRANDMEMBER", "nope"],
            &["SRANDMEMBER", "nope", "1"],
        ],
    );
    expect(
        &pair,
        &[
            (&["SPOP", "nope"], b"$-1\r\n"),
            (&["SPOP", "nope", "3"], b"*0\r\n"),
            (&["SRANDMEMBER", "nope", "3"], b"*0\r\n"),
            (&["SADD", "s", "a"], b":1\r\n"),
            (&["SPOP", "s", "0"], b"*0\r\n"),
            (
                &["SPOP", "s", "-1"],
                b"-ERR value is out of range, must be positive\r\n",
            ),
            (&["SRANDMEMBER", "s", "-2"], b"*2\r\n$1\r\na\r\n$1\r\na\r\n"),
        ],
    );
}

/// Build `key` with `n` members (integers when `ints`), then check SPOP's
/// and SRANDMEMBER's count rules on it.
fn check_random_counts(name: &str, c: &mut Client, key: &str, n: usize, ints: bool) {
    let members: Vec<String> = (0..n)
        .map(|i| if ints { i.to_string() } else { format!("m{i}") })
        .collect();
    sadd(c, key, &members);
    let all: HashSet<String> = members.iter().cloned().collect();

    // SRANDMEMBER 0 < count <= size: distinct members.
    for count in [1, n / 2, n] {
        let got = strings(name, &c.cmd(&["SRANDMEMBER", key, &count.to_string()]));
        let distinct: HashSet<String> = got.iter().cloned().collect();
        assert_eq!(
            got.len(),
            count,
            "{name}: SRANDMEMBER {key} {count}: {got:?}"
        );
        assert_eq!(distinct.len(), count, "{name}: repeats in {got:?}");
        assert!(distinct.is_subset(&all), "{name}: strangers in {got:?}");
    }
    // count > size: the whole set.
    let got = strings(name, &c.cmd(&["SRANDMEMBER", key, &(n + 3).to_string()]));
    assert_eq!(got.len(), n, "{name}: SRANDMEMBER {key} past the size");
    assert_eq!(got.into_iter().collect::<HashSet<_>>(), all, "{name}");
    // count < 0: exactly |count|, repeats allowed.
    for count in [1, n, 3 * n] {
        let got = strings(name, &c.cmd(&["SRANDMEMBER", key, &format!("-{count}")]));
        assert_eq!(got.len(), count, "{name}: SRANDMEMBER {key} -{count}");
        assert!(got.iter().all(|m| all.contains(m)), "{name}: {got:?}");
    }
    assert_eq!(c.cmd(&["SCARD", key]).as_int(), Some(n as i64), "{name}");

    // SPOP with a count removes exactly what it returns.
    let mut left = all.clone();
    for count in [1, 3, n / 2] {
        let got = strings(name, &c.cmd(&["SPOP", key, &count.to_string()]));
        let distinct: HashSet<String> = got.iter().cloned().collect();
        assert_eq!(got.len(), count, "{name}: SPOP {key} {count}");
        assert_eq!(distinct.len(), count, "{name}: SPOP repeats {got:?}");
        for m in &got {
            assert!(
                left.remove(m),
                "{name}: SPOP returned {m} twice or a stranger"
            );
        }
        assert_eq!(smembers(name, c, key), left, "{name}: after SPOP {count}");
    }
    let single = c.cmd(&["SPOP", key]);
    let Some(m) = single.as_str() else {
        panic!("{name}: SPOP {key} gave {single}");
    };
    assert!(left.remove(m), "{name}: SPOP gave {m}");
    // Popping more than is left empties the set and deletes the key.
    let got = strings(name, &c.cmd(&["SPOP", key, &(2 * n).to_string()]));
    assert_eq!(
        got.into_iter().collect::<HashSet<_>>(),
        left,
        "{name}: SPOP rest"
    );
    assert_eq!(c.cmd(&["EXISTS", key]).as_int(), Some(0), "{name}");
}

#[test]
fn spop_and_srandmember_counts_follow_the_sign_rules_on_both_encodings() {
    let pair = Pair::start();
    pair.each(|name, c| {
        check_random_counts(name, c, "ints", 40, true);
        check_random_counts(name, c, "strs", 40, false);
        // SPOP with a count takes one of two paths: pick and remove members
        // one by one while the count is small next to the set, or keep the
        // remainder and hand over the rest once it takes most of it. Counts
        // of 1, 3 and half of 700 members reach both.
        check_random_counts(name, c, "big", 700, false);
        check_random_counts(name, c, "bigints", 300, true);
    });
}

// ---------------------------------------------------------------------------
// SMOVE
// ---------------------------------------------------------------------------

#[test]
fn smove_moves_one_member_between_sets() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SADD", "a", "x", "y"],
            &["SADD", "b", "y", "z"],
            &["SMOVE", "a", "b", "x"],
            &["#SMEMBERS", "a"],
            &["#SMEMBERS", "b"],
            // Already in the destination: removed from the source only.
            &["SMOVE", "a", "b", "y"],
            &["EXISTS", "a"],
            &["#SMEMBERS", "b"],
            // Not in the source, or no source: 0, nothing changes.
            &["SMOVE", "b", "c", "nope"],
            &["SMOVE", "nope", "b", "x"],
            &["EXISTS", "c"],
            // Moving to a new key creates it.
            &["SMOVE", "b", "c", "z"],
            &["SMEMBERS", "c"],
            // Source and destination the same key.
            &["SMOVE", "b", "b", "x"],
            &["SMOVE", "b", "b", "nope"],
            &["#SMEMBERS", "b"],
            // Integer members move into an intset destination.
            &["SADD", "i", "1", "2"],
            &["SADD", "j", "5"],
            &["SMOVE", "i", "j", "1"],
            &["OBJECT", "ENCODING", "j"],
            &["SMEMBERS", "j"],
            &["SMOVE", "b", "j", "x"],
            &["OBJECT", "ENCODING", "j"],
            // WRONGTYPE on either side, even if the member is missing.
            &["SET", "str", "v"],
            &["SMOVE", "str", "b", "x"],
            &["SMOVE", "b", "str", "y"],
            &["SMOVE", "b", "str", "nope"],
            &["SMOVE", "nope", "str", "x"],
            &["SMOVE", "str", "str", "x"],
            &["SMOVE", "a", "b"],
        ],
    );
}

// ---------------------------------------------------------------------------
// SINTER, SINTERCARD, SINTERSTORE
// ---------------------------------------------------------------------------

#[test]
fn sinter_and_sintercard_intersect_and_a_missing_key_is_empty() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SADD", "a", "1", "2", "3", "4", "x"],
            &["SADD", "b", "2", "3", "4", "5", "x"],
            &["SADD", "c", "3", "4", "x", "y"],
            &["#SINTER", "a", "b", "c"],
            &["#SINTER", "a"],
            &["SINTER", "a", "nope"],
            &["SINTER", "nope", "a"],
            &["SINTER", "nope"],
            &["SINTERCARD", "3", "a", "b", "c"],
            &["SINTERCARD", "1", "a"],
            &["SINTERCARD", "2", "a", "nope"],
            &["SINTERCARD", "3", "a", "b", "c", "LIMIT", "2"],
            &["SINTERCARD", "3", "a", "b", "c", "LIMIT", "0"],
            &["SINTERCARD", "3", "a", "b", "c", "LIMIT", "100"],
            &["SINTERCARD", "3", "a", "b", "c", "limit", "1"],
            // numkeys and LIMIT errors.
            &["SINTERCARD", "0", "a"],
            &["SINTERCARD", "-1", "a"],
            &["SINTERCARD", "x", "a"],
            &["SINTERCARD", "3", "a", "b"],
            &["SINTERCARD", "1", "a", "LIMIT", "-1"],
            &["SINTERCARD", "1", "a", "LIMIT", "x"],
            &["SINTERCARD", "1", "a", "LIMIT"],
            &["SINTERCARD", "1", "a", "b"],
            &["SINTERCARD", "1", "a", "BOGUS", "1"],
            &["SINTERCARD", "1"],
            &["SINTER"],
        ],
    );
    expect(
        &pair,
        &[
            (&["SADD", "a", "1", "2"], b":2\r\n"),
            (&["SINTERCARD", "1", "a", "LIMIT", "1"], b":1\r\n"),
            (
                &["SINTERCARD", "0", "a"],
                b"-ERR numkeys should be greater than 0\r\n",
            ),
            (
                &["SINTERCARD", "1", "a", "LIMIT", "-1"],
                b"-ERR LIMIT can't be negative\r\n",
            ),
            (
                &["SINTERCARD", "2", "a"],
                b"-ERR Number of keys can't be greater than number of args\r\n",
            ),
        ],
    );
}

#[test]
fn sinterstore_writes_the_intersection_and_an_empty_one_deletes_the_destination() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SADD", "a", "1", "2", "3", "x"],
            &["SADD", "b", "2", "3", "4", "x"],
            &["SADD", "i", "1", "2", "3"],
            &["SADD", "j", "2", "3", "4"],
            &["SINTERSTORE", "d", "a", "b"],
            &["#SMEMBERS", "d"],
            &["OBJECT", "ENCODING", "d"],
            // Two integer sets give an intset, whatever the sources were.
            &["SINTERSTORE", "d", "i", "j"],
            &["OBJECT", "ENCODING", "d"],
            &["SMEMBERS", "d"],
            // Integers taken out of a hash table go back into an intset.
            &["SINTERSTORE", "d", "a", "i"],
            &["OBJECT", "ENCODING", "d"],
            &["SMEMBERS", "d"],
            // An empty result deletes the destination (any type) and says 0.
            &["EXPIRE", "d", "100"],
            &["SINTERSTORE", "d", "i", "nope"],
            &["EXISTS", "d"],
            &["SET", "str", "v"],
            &["SINTERSTORE", "str", "a", "nope"],
            &["EXISTS", "str"],
            // A destination that is also a source.
            &["SINTERSTORE", "a", "a", "b"],
            &["#SMEMBERS", "a"],
            // The destination's old value and TTL are replaced.
            &["SADD", "t", "old"],
            &["EXPIRE", "t", "100"],
            &["SINTERSTORE", "t", "i", "j"],
            &["TTL", "t"],
            &["SMEMBERS", "t"],
            &["SET", "str", "v"],
            &["SINTERSTORE", "str", "i", "j"],
            &["TYPE", "str"],
            &["SINTERSTORE", "d"],
        ],
    );
}

// ---------------------------------------------------------------------------
// SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE
// ---------------------------------------------------------------------------

#[test]
fn sunion_and_sdiff_combine_sets_and_treat_missing_keys_as_empty() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SADD", "a", "1", "2", "3", "x"],
            &["SADD", "b", "3", "4", "x", "y"],
            &["SADD", "c", "1", "y"],
            &["#SUNION", "a", "b", "c"],
            &["#SUNION", "a", "nope"],
            &["SUNION", "nope"],
            &["#SDIFF", "a", "b"],
            &["#SDIFF", "a", "b", "c"],
            &["#SDIFF", "b", "a"],
            &["#SDIFF", "a", "nope"],
            &["SDIFF", "nope", "a"],
            &["SDIFF", "a", "a"],
            &["#SDIFF", "a"],
            &["SUNION"],
            &["SDIFF"],
        ],
    );
}

#[test]
fn sunionstore_and_sdiffstore_write_results_with_the_right_encoding() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SADD", "i", "1", "2", "3"],
            &["SADD", "j", "3", "4"],
            &["SADD", "s", "3", "x"],
            &["SUNIONSTORE", "d", "i", "j"],
            &["OBJECT", "ENCODING", "d"],
            &["SMEMBERS", "d"],
            &["SUNIONSTORE", "d", "i", "s"],
            &["OBJECT", "ENCODING", "d"],
            &["#SMEMBERS", "d"],
            &["SDIFFSTORE", "d", "i", "j"],
            &["OBJECT", "ENCODING", "d"],
            &["SMEMBERS", "d"],
            // The integers left after removing the strings: an intset again.
            &["SADD", "mixed", "1", "5", "a", "b"],
            &["SADD", "strs", "a", "b", "x"],
            &["SDIFFSTORE", "d", "mixed", "strs", "i"],
            &["OBJECT", "ENCODING", "d"],
            &["SMEMBERS", "d"],
            &["SREM", "mixed", "1", "5"],
            &["SUNIONSTORE", "d", "mixed"],
            &["OBJECT", "ENCODING", "d"],
            // Empty results delete the destination and reply 0.
            &["SDIFFSTORE", "d", "i", "i"],
            &["EXISTS", "d"],
            &["SADD", "d", "old"],
            &["SUNIONSTORE", "d", "nope", "nope2"],
            &["EXISTS", "d"],
            &["SET", "str", "v"],
            &["SDIFFSTORE", "str", "nope", "i"],
            &["EXISTS", "str"],
            // A destination that is also a source.
            &["SUNIONSTORE", "i", "i", "j"],
            &["SMEMBERS", "i"],
            &["SDIFFSTORE", "i", "i", "j"],
            &["SMEMBERS", "i"],
            &["SUNIONSTORE", "d"],
            &["SDIFFSTORE", "d"],
        ],
    );
}

#[test]
fn every_set_command_on_a_string_key_is_wrongtype_and_the_reverse() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SET", "str", "v"],
            &["SADD", "s", "a", "b"],
            &["SADD", "str", "a"],
            &["SREM", "str", "a"],
            &["SCARD", "str"],
            &["SISMEMBER", "str", "a"],
            &["SMISMEMBER", "str", "a"],
            &["SMEMBERS", "str"],
            &["SPOP", "str"],
            &["SPOP", "str", "2"],
            &["SRANDMEMBER", "str"],
            &["SRANDMEMBER", "str", "2"],
            &["SSCAN", "str", "0"],
            &["SINTER", "s", "str"],
            &["SINTER", "str", "s"],
            // An empty key before a wrong one still answers WRONGTYPE...
            &["SINTER", "nope", "str"],
            &["SINTERCARD", "2", "s", "str"],
            &["SINTERSTORE", "d", "s", "str"],
            &["SUNION", "s", "str"],
            &["SUNIONSTORE", "d", "s", "str"],
            &["SDIFF", "s", "str"],
            &["SDIFF", "str", "s"],
            &["SDIFF", "nope", "str"],
            &["SDIFFSTORE", "d", "s", "str"],
            &["EXISTS", "d"],
            // ...and a set written over a string destination is fine.
            &["SUNIONSTORE", "str", "s"],
            &["TYPE", "str"],
            // String, list and hash commands on a set.
            &["GET", "s"],
            &["INCR", "s"],
            &["LPUSH", "s", "x"],
            &["HSET", "s", "f", "v"],
            &["TYPE", "s"],
        ],
    );
    expect(
        &pair,
        &[
            (&["SET", "str", "v"], b"+OK\r\n"),
            (&["SADD", "str", "a"], WRONGTYPE),
            (&["SINTER", "nope", "str"], WRONGTYPE),
            (&["SADD", "s", "a"], b":1\r\n"),
            (&["TYPE", "s"], b"+set\r\n"),
        ],
    );
}

#[test]
fn set_commands_check_their_arity() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SADD", "k"],
            &["SREM", "k"],
            &["SCARD"],
            &["SISMEMBER", "k"],
            &["SMISMEMBER", "k"],
            &["SMEMBERS"],
            &["SPOP"],
            &["SRANDMEMBER"],
            &["SMOVE", "a", "b"],
            &["SINTER"],
            &["SINTERCARD"],
            &["SINTERSTORE", "d"],
            &["SUNION"],
            &["SUNIONSTORE", "d"],
            &["SDIFF"],
            &["SDIFFSTORE", "d"],
            &["SSCAN", "k"],
        ],
    );
}

#[test]
fn keyspace_commands_carry_sets_and_copies_are_deep() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SADD", "s", "1", "2"],
            &["COPY", "s", "c"],
            &["SADD", "c", "x"],
            &["SMEMBERS", "s"],
            &["OBJECT", "ENCODING", "s"],
            &["OBJECT", "ENCODING", "c"],
            &["RENAME", "c", "r"],
            &["#SMEMBERS", "r"],
            &["#KEYS", "*"],
            &["DEL", "s", "r"],
            &["DBSIZE"],
        ],
    );
}

// ---------------------------------------------------------------------------
// SSCAN
// ---------------------------------------------------------------------------

/// Follow SSCAN from cursor 0 until it returns 0: every member seen, and
/// how many calls it took.
fn sscan_all(name: &str, c: &mut Client, key: &str, extra: &[&str]) -> (Vec<String>, usize) {
    let mut cursor = "0".to_string();
    let mut seen = Vec::new();
    let mut calls = 0;
    loop {
        let mut args = vec!["SSCAN", key, cursor.as_str()];
        args.extend_from_slice(extra);
        let reply = c.cmd(&args);
        calls += 1;
        let Some([next, batch]) = reply.as_array() else {
            panic!("{name}: SSCAN reply {reply}");
        };
        seen.extend(strings(name, batch));
        cursor = next.as_str().unwrap_or_default().to_string();
        if cursor == "0" {
            return (seen, calls);
        }
        assert!(calls < 10_000, "{name}: SSCAN never returned cursor 0");
    }
}

#[test]
fn sscan_of_an_intset_returns_everything_in_one_call() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SSCAN", "nope", "0"],
            &["SADD", "i", "30", "10", "20", "-5"],
            &["SSCAN", "i", "0"],
            &["SSCAN", "i", "0", "COUNT", "1"],
            &["SSCAN", "i", "0", "MATCH", "*0"],
            &["SSCAN", "i", "0", "MATCH", "-*", "COUNT", "100"],
            &["SSCAN", "i", "0", "COUNT", "0"],
            &["SSCAN", "i", "0", "COUNT", "x"],
            &["SSCAN", "i", "0", "MATCH"],
            &["SSCAN", "i", "x"],
            &["SSCAN", "i"],
        ],
    );
}

#[test]
fn sscan_of_a_hash_table_visits_every_member_by_the_end() {
    let pair = Pair::start();
    pair.each(|name, c| {
        let n = 1000;
        let members: Vec<String> = (0..n).map(|i| format!("member:{i}")).collect();
        for chunk in members.chunks(100) {
            sadd(c, "s", chunk);
        }
        assert_eq!(encoding(c, "s"), "hashtable", "{name}");
        let (seen, calls) = sscan_all(name, c, "s", &[]);
        assert!(
            calls > 1,
            "{name}: a 1000-member table came back in one call"
        );
        let distinct: HashSet<String> = seen.into_iter().collect();
        assert_eq!(distinct, members.iter().cloned().collect(), "{name}");
        let (seen, _) = sscan_all(name, c, "s", &["MATCH", "member:2??", "COUNT", "50"]);
        let distinct: HashSet<String> = seen.into_iter().collect();
        assert_eq!(
            distinct.len(),
            100,
            "{name}: MATCH member:2?? saw {distinct:?}"
        );
    });
}

// ---------------------------------------------------------------------------
// Encodings: intset while small and all-integer, hashtable otherwise
// ---------------------------------------------------------------------------

#[test]
fn only_canonical_integers_go_into_an_intset() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &[
                "SADD",
                "i",
                "1",
                "-1",
                "0",
                "9223372036854775807",
                "-9223372036854775808",
            ],
            &["OBJECT", "ENCODING", "i"],
            &["SMEMBERS", "i"],
            // Each of these looks like a number but is not canonical text.
            &["SADD", "lead", "01"],
            &["OBJECT", "ENCODING", "lead"],
            &["SADD", "plus", "+1"],
            &["OBJECT", "ENCODING", "plus"],
            &["SADD", "space", " 1"],
            &["OBJECT", "ENCODING", "space"],
            &["SADD", "mzero", "-0"],
            &["OBJECT", "ENCODING", "mzero"],
            &["SADD", "dot", "1.0"],
            &["OBJECT", "ENCODING", "dot"],
            &["SADD", "over", "9223372036854775808"],
            &["OBJECT", "ENCODING", "over"],
            &["SADD", "empty", ""],
            &["OBJECT", "ENCODING", "empty"],
            // "1" and "01" are different members.
            &["SADD", "both", "1"],
            &["SADD", "both", "01", "+1", "1"],
            &["SCARD", "both"],
            &["OBJECT", "ENCODING", "both"],
            &["SISMEMBER", "both", "1"],
            &["SISMEMBER", "both", "+1"],
            &["#SMEMBERS", "both"],
            // One string member converts an intset, and removing it later
            // does not convert back.
            &["SADD", "i", "x"],
            &["OBJECT", "ENCODING", "i"],
            &["SREM", "i", "x"],
            &["OBJECT", "ENCODING", "i"],
            &["#SMEMBERS", "i"],
            // A failed add of an existing integer changes nothing.
            &["SADD", "k", "5"],
            &["SADD", "k", "5"],
            &["OBJECT", "ENCODING", "k"],
        ],
    );
    expect(
        &pair,
        &[
            (&["SADD", "i", "1", "2"], b":2\r\n"),
            (&["OBJECT", "ENCODING", "i"], b"$6\r\nintset\r\n"),
            (&["SADD", "i", "01"], b":1\r\n"),
            (&["OBJECT", "ENCODING", "i"], b"$9\r\nhashtable\r\n"),
        ],
    );
}

#[test]
fn an_intset_holds_512_members_and_the_513th_converts_it() {
    let pair = Pair::start();
    let mut s = Vec::new();
    let mut add = cmd(&["SADD", "i"]);
    add.extend((0..512).map(|i| (i * 3).to_string()));
    s.push(add);
    s.push(cmd(&["OBJECT", "ENCODING", "i"]));
    s.push(cmd(&["SCARD", "i"]));
    // Re-adding a member changes nothing.
    s.push(cmd(&["SADD", "i", "0"]));
    s.push(cmd(&["OBJECT", "ENCODING", "i"]));
    s.push(cmd(&["SADD", "i", "1"]));
    s.push(cmd(&["OBJECT", "ENCODING", "i"]));
    s.push(cmd(&["SCARD", "i"]));
    // Back under the limit: still a hash table.
    s.push(cmd(&["SREM", "i", "1", "0", "3"]));
    s.push(cmd(&["OBJECT", "ENCODING", "i"]));
    // One SADD of 513 integers on a new key: a hash table at once.
    let mut add = cmd(&["SADD", "j"]);
    add.extend((0..513).map(|i| i.to_string()));
    s.push(add);
    s.push(cmd(&["OBJECT", "ENCODING", "j"]));
    // STORE results follow the same rule.
    s.push(cmd(&["SINTERSTORE", "d", "i", "j"]));
    s.push(cmd(&["OBJECT", "ENCODING", "d"]));
    s.push(cmd(&["SUNIONSTORE", "d", "i", "j"]));
    s.push(cmd(&["OBJECT", "ENCODING", "d"]));
    s.push(cmd(&["SDIFFSTORE", "d", "j", "i"]));
    s.push(cmd(&["OBJECT", "ENCODING", "d"]));
    s.push(cmd(&["SMEMBERS", "d"]));
    same_owned(&pair, &s);
}

#[test]
fn a_tiny_intset_limit_converts_on_the_third_member() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["CONFIG", "SET", "set-max-intset-entries", "2"],
            &["SADD", "i", "1", "2"],
            &["OBJECT", "ENCODING", "i"],
            &["SADD", "i", "2"],
            &["OBJECT", "ENCODING", "i"],
            &["SADD", "i", "3"],
            &["OBJECT", "ENCODING", "i"],
            &["SREM", "i", "1", "2"],
            &["OBJECT", "ENCODING", "i"],
            &["SMEMBERS", "i"],
            &["SADD", "j", "1", "2", "3"],
            &["OBJECT", "ENCODING", "j"],
            // STORE results: two members fit, three do not.
            &["SADD", "k", "1", "2"],
            &["SADD", "l", "2", "3"],
            &["SUNIONSTORE", "d", "k", "l"],
            &["OBJECT", "ENCODING", "d"],
            &["SINTERSTORE", "d", "j", "k"],
            &["OBJECT", "ENCODING", "d"],
            &["SMEMBERS", "d"],
            &["SDIFFSTORE", "d", "j", "l"],
            &["OBJECT", "ENCODING", "d"],
            &["SMOVE", "j", "k", "3"],
            &["OBJECT", "ENCODING", "k"],
            // Raising the limit again leaves hash tables alone.
            &["CONFIG", "SET", "set-max-intset-entries", "512"],
            &["OBJECT", "ENCODING", "k"],
            &["SADD", "m", "1", "2", "3"],
            &["OBJECT", "ENCODING", "m"],
            &["CONFIG", "GET", "set-max-intset-entries"],
        ],
    );
}

// ---------------------------------------------------------------------------
// SORT on a set
// ---------------------------------------------------------------------------

#[test]
fn sort_orders_a_set_numerically_alphabetically_and_stores_a_list() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SADD", "i", "10", "-3", "7", "100", "0"],
            &["SADD", "s", "banana", "apple", "cherry", "10", "9"],
            &["SORT", "i"],
            &["SORT", "i", "DESC"],
            &["SORT", "i", "LIMIT", "1", "2"],
            &["SORT", "i", "DESC", "LIMIT", "0", "3"],
            &["SORT", "i", "ALPHA"],
            &["SORT", "s", "ALPHA"],
            &["SORT", "s", "ALPHA", "DESC", "LIMIT", "1", "3"],
            &["SORT", "s"],
            &["SORT_RO", "i"],
            &["SORT", "i", "STORE", "dst"],
            &["TYPE", "dst"],
            &["LRANGE", "dst", "0", "-1"],
            &["SORT", "s", "ALPHA", "STORE", "dst"],
            &["LRANGE", "dst", "0", "-1"],
            // BY and GET with other keys.
            &[
                "MSET", "w_10", "3", "w_-3", "1", "w_7", "2", "w_100", "5", "w_0", "4",
            ],
            &["SORT", "i", "BY", "w_*"],
            &["SORT", "i", "BY", "w_*", "GET", "#", "GET", "w_*"],
            &["SORT", "nope"],
            &["SORT", "nope", "STORE", "dst"],
            &["EXISTS", "dst"],
            // BY nosort gives the set's own order: numeric for an intset,
            // the server's bucket order for a hash table...
            &["SORT", "i", "BY", "nosort"],
            &["SORT", "i", "BY", "nosort", "LIMIT", "0", "2"],
            &["#SORT", "s", "BY", "nosort"],
            // ...except with STORE, where the stored list must not depend
            // on the bucket order, so the members are sorted as bytes.
            &["SORT", "s", "BY", "nosort", "STORE", "dst"],
            &["LRANGE", "dst", "0", "-1"],
        ],
    );
}

// ---------------------------------------------------------------------------
// The same commands at the default and a tiny intset limit
// ---------------------------------------------------------------------------

/// A script that builds integer and mixed sets and runs every set command
/// over them. Replies that list members are sorted (`#`) unless the
/// command sorts them itself.
fn set_workout(config: &[&[&str]]) -> Vec<Vec<String>> {
    let mut s: Vec<Vec<String>> = config.iter().map(|c| cmd(c)).collect();
    let mut add = cmd(&["SADD", "ints"]);
    add.extend((0..40).map(|i| (i * i - 300).to_string()));
    s.push(add);
    let mut add = cmd(&["SADD", "evens"]);
    add.extend((0..60).map(|i| (2 * i).to_string()));
    s.push(add);
    let mut add = cmd(&["SADD", "mixed"]);
    add.extend((0..30u32).map(|i| {
        if i.is_multiple_of(3) {
            format!("m{i}")
        } else {
            (i * 4).to_string()
        }
    }));
    s.push(add);
    for k in ["ints", "evens", "mixed"] {
        s.push(cmd(&["OBJECT", "ENCODING", k]));
        s.push(cmd(&["SCARD", k]));
        s.push(cmd(&["#SMEMBERS", k]));
        s.push(cmd(&["SORT", k, "ALPHA"]));
    }
    s.push(cmd(&["SORT", "ints"]));
    s.push(cmd(&["SORT", "evens", "DESC", "LIMIT", "5", "10"]));
    s.push(cmd(&[
        "SMISMEMBER",
        "ints",
        "-300",
        "-299",
        "0",
        "1221",
        "m3",
        "01",
    ]));
    s.push(cmd(&["SMISMEMBER", "mixed", "m0", "m1", "4", "8", "12"]));
    // Algebra between every pair, plain and stored.
    for (a, b) in [("ints", "evens"), ("evens", "mixed"), ("mixed", "ints")] {
        s.push(cmd(&["#SINTER", a, b]));
        s.push(cmd(&["SINTERCARD", "2", a, b]));
        s.push(cmd(&["SINTERCARD", "2", a, b, "LIMIT", "3"]));
        s.push(cmd(&["#SUNION", a, b]));
        s.push(cmd(&["#SDIFF", a, b]));
        for op in ["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"] {
            s.push(cmd(&[op, "dst", a, b]));
            s.push(cmd(&["OBJECT", "ENCODING", "dst"]));
            s.push(cmd(&["SORT", "dst", "ALPHA"]));
        }
    }
    s.push(cmd(&["#SINTER", "ints", "evens", "mixed"]));
    s.push(cmd(&["#SDIFF", "evens", "ints", "mixed"]));
    // Edits, moves, and random pops that take the whole set.
    s.push(cmd(&["SREM", "evens", "0", "2", "4", "1000"]));
    s.push(cmd(&["SADD", "evens", "-1", "odd"]));
    s.push(cmd(&["OBJECT", "ENCODING", "evens"]));
    s.push(cmd(&["SMOVE", "evens", "ints", "-1"]));
    s.push(cmd(&["SMOVE", "evens", "ints", "odd"]));
    s.push(cmd(&["OBJECT", "ENCODING", "ints"]));
    s.push(cmd(&["SCARD", "ints"]));
    s.push(cmd(&["SORT", "ints", "ALPHA"]));
    s.push(cmd(&["?SRANDMEMBER", "ints", "-7"]));
    s.push(cmd(&["#SRANDMEMBER", "mixed", "1000"]));
    s.push(cmd(&["COPY", "mixed", "copy"]));
    s.push(cmd(&["OBJECT", "ENCODING", "copy"]));
    s.push(cmd(&["#SPOP", "mixed", "1000"]));
    s.push(cmd(&["EXISTS", "mixed"]));
    s.push(cmd(&["SCARD", "copy"]));
    // A two-member integer set is an intset under both configurations.
    s.push(cmd(&["SADD", "pair", "20", "-10"]));
    s.push(cmd(&["OBJECT", "ENCODING", "pair"]));
    s.push(cmd(&["SMEMBERS", "pair"]));
    s.push(cmd(&["SSCAN", "pair", "0"]));
    s
}

#[test]
fn set_commands_agree_with_redis_at_the_default_intset_limit() {
    let pair = Pair::start();
    same_owned(&pair, &set_workout(&[]));
}

#[test]
fn set_commands_agree_with_redis_at_a_tiny_intset_limit() {
    let pair = Pair::start();
    same_owned(
        &pair,
        &set_workout(&[&["CONFIG", "SET", "set-max-intset-entries", "2"]]),
    );
}
