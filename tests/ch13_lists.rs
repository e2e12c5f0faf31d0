//! Chapter 13 checkpoint: the list commands, SORT, and blocking pops,
//! checked against a real Redis 7.0.
//!
//! Three kinds of test live here:
//!
//! ```text
//!   differential scripts   same(&pair, ...)     every reply byte-compared
//!   literal replies        expect(&pair, ...)   the texts the chapter quotes
//!   blocking scenarios     each_server(...)     several clients, timing
//! ```
//!
//! The scripts that walk the commands run once with the default node size
//! and again with tiny `list-max-listpack-size` values and compression, so
//! the quicklist splits, merges and compresses nodes under the same
//! commands and must still give the same replies.
//!
//! Blocking scenarios wait until the server itself reports the client as
//! blocked (`INFO clients`, `blocked_clients:N`) before the next step, so
//! they do not depend on sleeps being long enough on a loaded machine.
//!
//! Not here: hash patterns in SORT (`->`, needs hashes), blocking pops
//! inside MULTI, sets and sorted sets as SORT sources.

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::diff::{cmd, expect, same, same_owned, Pair};
use common::Client;

const WRONGTYPE: &[u8] = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

// ---------------------------------------------------------------------------
// LPUSH, RPUSH, LPUSHX, RPUSHX, LLEN
// ---------------------------------------------------------------------------

#[test]
fn lpush_and_rpush_insert_many_values_one_after_another() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            // LPUSH a b c pushes a, then b, then c onto the head: c b a.
            &["LPUSH", "l", "a", "b", "c"],
            &["LRANGE", "l", "0", "-1"],
            &["RPUSH", "l", "d", "e"],
            &["LRANGE", "l", "0", "-1"],
            &["LPUSH", "l", "z"],
            &["LLEN", "l"],
            &["LRANGE", "l", "0", "-1"],
            &["RPUSH", "r", "1", "2", "3"],
            &["LRANGE", "r", "0", "-1"],
            // Values keep their exact text, even when they look like numbers.
            &[
                "RPUSH",
                "n",
                "0012",
                "-5",
                "1.50",
                "",
                "9223372036854775808",
                " 7",
            ],
            &["LRANGE", "n", "0", "-1"],
            &["LLEN", "n"],
            &["RPUSH", "same", "x", "x", "x"],
            &["LLEN", "same"],
            &["TYPE", "l"],
            &["LPUSH", "l"],
            &["RPUSH"],
        ],
    );
}

#[test]
fn lpushx_and_rpushx_only_push_onto_an_existing_list() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["LPUSHX", "l", "a"],
            &["RPUSHX", "l", "a", "b"],
            &["EXISTS", "l"],
            &["RPUSH", "l", "m"],
            &["LPUSHX", "l", "b", "a"],
            &["RPUSHX", "l", "y", "z"],
            &["LRANGE", "l", "0", "-1"],
            &["LPUSHX", "l"],
            &["RPUSHX"],
        ],
    );
}

#[test]
fn llen_counts_elements_and_is_zero_for_a_missing_key() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["LLEN", "l"],
            &["RPUSH", "l", "a", "b", "c"],
            &["LLEN", "l"],
            &["LPOP", "l"],
            &["LLEN", "l"],
            &["LLEN"],
            &["LLEN", "l", "extra"],
        ],
    );
}

// ---------------------------------------------------------------------------
// LPOP, RPOP
// ---------------------------------------------------------------------------

#[test]
fn lpop_and_rpop_take_one_element_or_count_elements() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["RPUSH", "l", "a", "b", "c", "d", "e", "f"],
            &["LPOP", "l"],
            &["RPOP", "l"],
            &["LPOP", "l", "2"],
            &["RPOP", "l", "1"],
            // A count of zero is an empty array, not nil.
            &["LPOP", "l", "0"],
            &["RPOP", "l", "0"],
            &["LRANGE", "l", "0", "-1"],
            // A count past the end pops what there is; the key goes with it.
            &["RPOP", "l", "10"],
            &["EXISTS", "l"],
            // Missing key: nil bulk without a count, nil array with one.
            &["LPOP", "l"],
            &["RPOP", "l"],
            &["LPOP", "l", "2"],
            &["RPOP", "l", "0"],
            &["RPUSH", "l", "x"],
            &["LPOP", "l", "-1"],
            &["RPOP", "l", "x"],
            &["LPOP", "l", "1.5"],
            &["LPOP", "l", "9223372036854775808"],
            &["LPOP", "l", "9223372036854775807"],
            &["LPOP", "l", "1", "2"],
            &["LPOP"],
        ],
    );
    expect(
        &pair,
        &[
            (&["LPOP", "missing"], b"$-1\r\n"),
            (&["LPOP", "missing", "2"], b"*-1\r\n"),
            (&["RPOP", "missing", "0"], b"*-1\r\n"),
            (&["RPUSH", "l", "a"], b":1\r\n"),
            (&["LPOP", "l", "0"], b"*0\r\n"),
            (
                &["LPOP", "l", "-1"],
                b"-ERR value is out of range, must be positive\r\n",
            ),
            (&["RPOP", "l", "5"], b"*1\r\n$1\r\na\r\n"),
        ],
    );
}

#[test]
fn nil_replies_are_null_bulk_or_null_array_in_resp2_and_null_in_resp3() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["LPOP", "nope"],
            &["LPOP", "nope", "1"],
            &["LINDEX", "nope", "0"],
            &["LMOVE", "nope", "d", "LEFT", "LEFT"],
            &["RPOPLPUSH", "nope", "d"],
            &["LMPOP", "1", "nope", "LEFT"],
            &["LPOS", "nope", "x"],
            &["BLPOP", "nope", "0.01"],
            &["BLMOVE", "nope", "d", "LEFT", "LEFT", "0.01"],
            &["BLMPOP", "0.01", "1", "nope", "LEFT"],
            // RESP3: every nil above becomes `_`.
            &["?HELLO", "3"],
            &["LPOP", "nope"],
            &["LPOP", "nope", "1"],
            &["LINDEX", "nope", "0"],
            &["LMOVE", "nope", "d", "LEFT", "LEFT"],
            &["LMPOP", "1", "nope", "LEFT"],
            &["LPOS", "nope", "x"],
            &["BLPOP", "nope", "0.01"],
            &["BLMOVE", "nope", "d", "LEFT", "LEFT", "0.01"],
        ],
    );
    // Blocking commands that time out say nil with an array, even BLMOVE
    // whose answer would have been a single bulk string.
    expect(
        &pair,
        &[
            (&["LMOVE", "nope", "d", "LEFT", "LEFT"], b"$-1\r\n"),
            (&["BLMOVE", "nope", "d", "LEFT", "LEFT", "0.01"], b"*-1\r\n"),
            (&["BRPOPLPUSH", "nope", "d", "0.01"], b"*-1\r\n"),
            (&["BLPOP", "nope", "0.01"], b"*-1\r\n"),
            (&["LMPOP", "1", "nope", "LEFT"], b"*-1\r\n"),
        ],
    );
}

// ---------------------------------------------------------------------------
// LRANGE, LINDEX, LSET
// ---------------------------------------------------------------------------

#[test]
fn lrange_clamps_negative_and_out_of_range_indexes() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &[
                "RPUSH", "l", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
            ],
            &["LRANGE", "l", "0", "-1"],
            &["LRANGE", "l", "0", "0"],
            &["LRANGE", "l", "2", "5"],
            &["LRANGE", "l", "-3", "-1"],
            &["LRANGE", "l", "-100", "2"],
            &["LRANGE", "l", "5", "100"],
            &["LRANGE", "l", "-100", "100"],
            &["LRANGE", "l", "5", "3"],
            &["LRANGE", "l", "-1", "-3"],
            &["LRANGE", "l", "10", "20"],
            &["LRANGE", "l", "9", "9"],
            &["LRANGE", "l", "-10", "-10"],
            &["LRANGE", "l", "-11", "-11"],
            &["LRANGE", "l", "0", "-11"],
            &["LRANGE", "l", "-9223372036854775808", "9223372036854775807"],
            &["LRANGE", "l", "9223372036854775807", "-9223372036854775808"],
            &["LRANGE", "nope", "0", "-1"],
            &["LRANGE", "l", "0", "x"],
            &["LRANGE", "l", "1.0", "2"],
            &["LRANGE", "l", "0", "9223372036854775808"],
            &["LRANGE", "nope", "x", "0"],
            &["LRANGE", "l", "0"],
            &["LRANGE", "l", "0", "1", "2"],
        ],
    );
}

#[test]
fn lindex_reads_from_either_end_and_is_nil_out_of_range() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["RPUSH", "l", "a", "b", "c", "42"],
            &["LINDEX", "l", "0"],
            &["LINDEX", "l", "3"],
            &["LINDEX", "l", "-1"],
            &["LINDEX", "l", "-4"],
            &["LINDEX", "l", "4"],
            &["LINDEX", "l", "-5"],
            &["LINDEX", "l", "9223372036854775807"],
            &["LINDEX", "l", "-9223372036854775808"],
            &["LINDEX", "nope", "0"],
            &["LINDEX", "l", "x"],
            &["LINDEX", "nope", "x"],
            &["LINDEX", "l", "1e1"],
            &["LINDEX", "l"],
            &["LINDEX", "l", "0", "1"],
        ],
    );
}

#[test]
fn lset_replaces_in_place_and_needs_an_existing_key_and_index() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["RPUSH", "l", "a", "b", "c"],
            &["LSET", "l", "0", "A"],
            &["LSET", "l", "-1", "C"],
            &["LSET", "l", "1", "123"],
            &["LRANGE", "l", "0", "-1"],
            &["LSET", "l", "1", ""],
            &["LRANGE", "l", "0", "-1"],
            &["LSET", "l", "3", "x"],
            &["LSET", "l", "-4", "x"],
            &["LSET", "l", "x", "x"],
            &["LSET", "nope", "0", "x"],
            &["LSET", "nope", "x", "x"],
            &["EXISTS", "nope"],
            &["LSET", "l", "0"],
            &["LSET", "l", "0", "a", "b"],
        ],
    );
    expect(
        &pair,
        &[
            (&["LSET", "nope", "0", "x"], b"-ERR no such key\r\n"),
            (&["RPUSH", "l", "a"], b":1\r\n"),
            (&["LSET", "l", "1", "x"], b"-ERR index out of range\r\n"),
            (&["LSET", "l", "0", "x"], b"+OK\r\n"),
        ],
    );
}

// ---------------------------------------------------------------------------
// LINSERT, LREM, LTRIM
// ---------------------------------------------------------------------------

#[test]
fn linsert_goes_before_or_after_the_first_matching_pivot() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["RPUSH", "l", "a", "b", "c", "b"],
            &["LINSERT", "l", "BEFORE", "b", "x"],
            &["LINSERT", "l", "AFTER", "b", "y"],
            &["LINSERT", "l", "before", "a", "head"],
            &["LINSERT", "l", "after", "b", "z"],
            &["LINSERT", "l", "AFTER", "c", "tail-of-c"],
            &["LRANGE", "l", "0", "-1"],
            // The last element as the pivot: the insert becomes the tail.
            &["RPUSH", "t", "only"],
            &["LINSERT", "t", "AFTER", "only", "after"],
            &["LRANGE", "t", "0", "-1"],
            // Pivots match by bytes: "02" is not the element "2".
            &["RPUSH", "n", "1", "2", "3"],
            &["LINSERT", "n", "AFTER", "2", "20"],
            &["LINSERT", "n", "BEFORE", "02", "x"],
            &["LRANGE", "n", "0", "-1"],
            // Missing pivot: -1; missing key: 0 and nothing is created.
            &["LINSERT", "l", "BEFORE", "zz", "q"],
            &["LINSERT", "nope", "BEFORE", "a", "b"],
            &["EXISTS", "nope"],
            &["LINSERT", "l", "MIDDLE", "a", "b"],
            &["LINSERT", "nope", "MIDDLE", "a", "b"],
            &["LINSERT", "l", "BEFORE", "a"],
            &["LINSERT", "l", "BEFORE", "a", "b", "c"],
            &["LRANGE", "l", "0", "-1"],
        ],
    );
}

#[test]
fn lrem_removes_from_the_head_the_tail_or_everywhere() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["RPUSH", "l", "a", "b", "a", "c", "a", "b", "a"],
            &["LREM", "l", "2", "a"],
            &["LRANGE", "l", "0", "-1"],
            &["LREM", "l", "-1", "a"],
            &["LRANGE", "l", "0", "-1"],
            &["LREM", "l", "0", "b"],
            &["LRANGE", "l", "0", "-1"],
            &["LREM", "l", "0", "zz"],
            &["LREM", "l", "5", "c"],
            &["LREM", "l", "-5", "a"],
            // The last element gone: the key is gone.
            &["EXISTS", "l"],
            &["LREM", "l", "0", "a"],
            &["RPUSH", "n", "1", "01", "1", "1.0"],
            &["LREM", "n", "0", "1"],
            &["LRANGE", "n", "0", "-1"],
            &["LREM", "n", "x", "1"],
            &["LREM", "n", "9223372036854775807", "01"],
            &["LREM", "n", "-9223372036854775808", "1.0"],
            &["EXISTS", "n"],
            &["LREM", "n", "0"],
            &["LREM", "n", "0", "a", "b"],
        ],
    );
}

#[test]
fn ltrim_keeps_a_range_and_deletes_the_key_when_nothing_is_left() {
    let pair = Pair::start();
    let ten = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    let ranges: &[(&str, &str)] = &[
        ("0", "-1"),
        ("2", "5"),
        ("-3", "-1"),
        ("-100", "2"),
        ("5", "100"),
        ("0", "0"),
        ("-1", "-1"),
        ("-10", "-10"),
        ("-100", "100"),
        ("-9223372036854775808", "9223372036854775807"),
        // These leave nothing, so the key is deleted.
        ("5", "3"),
        ("10", "20"),
        ("-1", "-2"),
        ("0", "-11"),
        ("9223372036854775807", "-9223372036854775808"),
    ];
    let mut script = Vec::new();
    for (start, stop) in ranges {
        let mut push = cmd(&["RPUSH", "l"]);
        push.extend(ten.iter().map(|s| s.to_string()));
        script.push(push);
        script.push(cmd(&["LTRIM", "l", start, stop]));
        script.push(cmd(&["LRANGE", "l", "0", "-1"]));
        script.push(cmd(&["EXISTS", "l"]));
        script.push(cmd(&["DEL", "l"]));
    }
    script.push(cmd(&["LTRIM", "nope", "0", "1"]));
    script.push(cmd(&["EXISTS", "nope"]));
    script.push(cmd(&["RPUSH", "l", "a", "b"]));
    script.push(cmd(&["LTRIM", "l", "x", "1"]));
    script.push(cmd(&["LTRIM", "l", "0", "1.5"]));
    script.push(cmd(&["LTRIM", "nope", "x", "1"]));
    script.push(cmd(&["LTRIM", "l", "0"]));
    script.push(cmd(&["LTRIM", "l", "0", "1", "2"]));
    script.push(cmd(&["LRANGE", "l", "0", "-1"]));
    same_owned(&pair, &script);
}

// ---------------------------------------------------------------------------
// LPOS
// ---------------------------------------------------------------------------

#[test]
fn lpos_finds_matches_by_rank_count_and_maxlen() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"],
            &["LPOS", "l", "c"],
            &["LPOS", "l", "c", "RANK", "2"],
            &["LPOS", "l", "c", "RANK", "-1"],
            &["LPOS", "l", "c", "RANK", "-3"],
            &["LPOS", "l", "c", "RANK", "4"],
            &["LPOS", "l", "c", "RANK", "-4"],
            &["LPOS", "l", "c", "COUNT", "0"],
            &["LPOS", "l", "c", "COUNT", "2"],
            &["LPOS", "l", "c", "COUNT", "1"],
            &["LPOS", "l", "c", "COUNT", "100"],
            &["LPOS", "l", "c", "RANK", "-1", "COUNT", "2"],
            &["LPOS", "l", "c", "RANK", "2", "COUNT", "0"],
            &["LPOS", "l", "c", "RANK", "5", "COUNT", "0"],
            // MAXLEN bounds how many elements are compared, from the end
            // the search starts at.
            &["LPOS", "l", "c", "COUNT", "0", "MAXLEN", "3"],
            &["LPOS", "l", "c", "MAXLEN", "2"],
            &["LPOS", "l", "c", "MAXLEN", "0"],
            &["LPOS", "l", "c", "RANK", "-1", "MAXLEN", "1"],
            &["LPOS", "l", "a", "RANK", "-1", "MAXLEN", "7"],
            &["LPOS", "l", "a", "RANK", "-1", "MAXLEN", "8"],
            // Options in any order and case; the last one of a kind wins.
            &["LPOS", "l", "c", "maxlen", "0", "count", "0", "rank", "-2"],
            &["LPOS", "l", "c", "RANK", "1", "RANK", "2"],
            &["LPOS", "l", "1"],
            &["LPOS", "l", "01"],
            &["LPOS", "l", "zz"],
            &["LPOS", "l", "zz", "COUNT", "0"],
            &["LPOS", "nope", "a"],
            &["LPOS", "nope", "a", "COUNT", "0"],
            &["LPOS", "l", "c", "RANK", "-9223372036854775807"],
            &["LPOS", "l", "c", "RANK", "9223372036854775807"],
            // Redis 7.0 negates RANK without an overflow check; on x86-64
            // the most negative RANK acts as -1 (later versions reject it).
            &["LPOS", "l", "c", "RANK", "-9223372036854775808"],
            &[
                "LPOS",
                "l",
                "c",
                "RANK",
                "-9223372036854775808",
                "COUNT",
                "0",
            ],
        ],
    );
}

#[test]
fn lpos_rejects_zero_rank_negative_count_or_maxlen_and_unknown_options() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["RPUSH", "l", "a", "b"],
            &["LPOS", "l", "a", "RANK", "0"],
            &["LPOS", "l", "a", "RANK", "x"],
            &["LPOS", "l", "a", "RANK", "-9223372036854775809"],
            &["LPOS", "l", "a", "COUNT", "-1"],
            &["LPOS", "l", "a", "COUNT", "x"],
            &["LPOS", "l", "a", "MAXLEN", "-1"],
            &["LPOS", "l", "a", "MAXLEN", "x"],
            &["LPOS", "l", "a", "FOO"],
            &["LPOS", "l", "a", "RANK"],
            &["LPOS", "l", "a", "COUNT"],
            &["LPOS", "l", "a", "COUNT", "1", "FOO", "1"],
            &["LPOS", "nope", "a", "RANK", "0"],
            &["LPOS", "nope", "a", "COUNT", "-1"],
            &["LPOS", "l"],
        ],
    );
    expect(
        &pair,
        &[
            (
                &["LPOS", "l", "a", "RANK", "0"],
                b"-ERR RANK can't be zero: use 1 to start from the first match, \
                  2 from the second ... or use negative to start from the end of the list\r\n",
            ),
            (
                &["LPOS", "l", "a", "COUNT", "-1"],
                b"-ERR COUNT can't be negative\r\n",
            ),
            (
                &["LPOS", "l", "a", "MAXLEN", "-1"],
                b"-ERR MAXLEN can't be negative\r\n",
            ),
            (&["LPOS", "l", "a", "FOO"], b"-ERR syntax error\r\n"),
        ],
    );
}

// ---------------------------------------------------------------------------
// LMOVE, RPOPLPUSH, LMPOP
// ---------------------------------------------------------------------------

#[test]
fn lmove_pops_one_end_and_pushes_the_other_in_all_four_directions() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["RPUSH", "src", "a", "b", "c", "d"],
            &["LMOVE", "src", "dst", "LEFT", "LEFT"],
            &["LMOVE", "src", "dst", "RIGHT", "LEFT"],
            &["LMOVE", "src", "dst", "LEFT", "RIGHT"],
            &["LMOVE", "src", "dst", "right", "right"],
            &["EXISTS", "src"],
            &["LRANGE", "dst", "0", "-1"],
            // Source and destination the same key: a rotation.
            &["LMOVE", "dst", "dst", "LEFT", "RIGHT"],
            &["LRANGE", "dst", "0", "-1"],
            &["LMOVE", "dst", "dst", "RIGHT", "LEFT"],
            &["LRANGE", "dst", "0", "-1"],
            &["LMOVE", "dst", "dst", "LEFT", "LEFT"],
            &["LMOVE", "dst", "dst", "RIGHT", "RIGHT"],
            &["LRANGE", "dst", "0", "-1"],
            &["RPUSH", "one", "x"],
            &["LMOVE", "one", "one", "LEFT", "RIGHT"],
            &["LRANGE", "one", "0", "-1"],
            // The destination keeps its TTL; an emptied source is deleted.
            &["RPUSH", "s2", "v"],
            &["EXPIRE", "dst", "100"],
            &["LMOVE", "s2", "dst", "LEFT", "LEFT"],
            &["~TTL", "dst"],
            &["EXISTS", "s2"],
            &["LMOVE", "nope", "dst", "LEFT", "LEFT"],
            &["LMOVE", "nope", "nope2", "LEFT", "LEFT"],
            &["EXISTS", "nope2"],
            &["LMOVE", "dst", "x", "UP", "LEFT"],
            &["LMOVE", "dst", "x", "LEFT", "DOWN"],
            &["LMOVE", "nope", "x", "UP", "LEFT"],
            &["LMOVE", "dst", "x", "LEFT"],
            &["LMOVE", "dst", "x", "LEFT", "LEFT", "extra"],
            &["LRANGE", "dst", "0", "-1"],
        ],
    );
}

#[test]
fn rpoplpush_moves_the_tail_to_the_head() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["RPUSH", "r", "1", "2", "3"],
            &["RPOPLPUSH", "r", "r"],
            &["LRANGE", "r", "0", "-1"],
            &["RPOPLPUSH", "r", "d"],
            &["RPOPLPUSH", "r", "d"],
            &["RPOPLPUSH", "r", "d"],
            &["EXISTS", "r"],
            &["LRANGE", "d", "0", "-1"],
            &["RPOPLPUSH", "r", "d"],
            &["RPOPLPUSH", "r"],
            &["RPOPLPUSH", "r", "d", "e"],
        ],
    );
}

#[test]
fn lmpop_pops_from_the_first_non_empty_key_and_names_it() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["RPUSH", "b", "b1", "b2", "b3"],
            &["RPUSH", "c", "c1"],
            &["LMPOP", "3", "a", "b", "c", "LEFT"],
            &["LMPOP", "3", "a", "b", "c", "RIGHT"],
            &["LMPOP", "3", "a", "b", "c", "LEFT", "COUNT", "5"],
            &["EXISTS", "b"],
            &["LMPOP", "3", "a", "b", "c", "right", "count", "2"],
            &["EXISTS", "c"],
            &["LMPOP", "3", "a", "b", "c", "LEFT"],
            &["LMPOP", "1", "a", "LEFT", "COUNT", "3"],
            // The same key twice is fine.
            &["RPUSH", "d", "1", "2", "3"],
            &["LMPOP", "2", "d", "d", "RIGHT", "COUNT", "1"],
            &["LRANGE", "d", "0", "-1"],
        ],
    );
    expect(
        &pair,
        &[
            (&["RPUSH", "k", "x", "y", "z"], b":3\r\n"),
            (
                &["LMPOP", "2", "nope", "k", "RIGHT", "COUNT", "2"],
                b"*2\r\n$1\r\nk\r\n*2\r\n$1\r\nz\r\n$1\r\ny\r\n",
            ),
            (
                &["LMPOP", "1", "k", "LEFT"],
                b"*2\r\n$1\r\nk\r\n*1\r\n$1\r\nx\r\n",
            ),
        ],
    );
}

#[test]
fn lmpop_checks_numkeys_direction_and_count() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["RPUSH", "l", "a", "b"],
            &["LMPOP", "0", "l", "LEFT"],
            &["LMPOP", "-1", "l", "LEFT"],
            &["LMPOP", "x", "l", "LEFT"],
            // numkeys larger than the keys given swallows the direction.
            &["LMPOP", "2", "l", "LEFT"],
            &["LMPOP", "5", "l", "LEFT"],
            &["LMPOP", "1", "l", "MIDDLE"],
            &["LMPOP", "1", "l", "LEFT", "COUNT", "0"],
            &["LMPOP", "1", "l", "LEFT", "COUNT", "-1"],
            &["LMPOP", "1", "l", "LEFT", "COUNT", "x"],
            &["LMPOP", "1", "l", "LEFT", "COUNT"],
            &["LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "2"],
            &["LMPOP", "1", "l", "LEFT", "FOO"],
            &["LMPOP", "1", "l", "LEFT", "1"],
            &["LMPOP", "1", "nope", "MIDDLE"],
            &["LMPOP", "1", "l"],
            &["LMPOP", "1"],
            &["LRANGE", "l", "0", "-1"],
        ],
    );
    expect(
        &pair,
        &[
            (
                &["LMPOP", "0", "l", "LEFT"],
                b"-ERR numkeys should be greater than 0\r\n",
            ),
            (
                &["LMPOP", "1", "l", "LEFT", "COUNT", "0"],
                b"-ERR count should be greater than 0\r\n",
            ),
            (&["LMPOP", "1", "l", "MIDDLE"], b"-ERR syntax error\r\n"),
        ],
    );
}

// ---------------------------------------------------------------------------
// Types: WRONGTYPE both ways, TYPE, OBJECT ENCODING, keyspace commands
// ---------------------------------------------------------------------------

#[test]
fn every_list_command_on_a_string_key_is_wrongtype() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SET", "s", "str"],
            &["RPUSH", "l", "x", "y"],
            &["LPUSH", "s", "a"],
            &["RPUSH", "s", "a"],
            &["LPUSHX", "s", "a"],
            &["RPUSHX", "s", "a"],
            &["LPOP", "s"],
            &["LPOP", "s", "1"],
            &["RPOP", "s"],
            &["RPOP", "s", "0"],
            &["LLEN", "s"],
            &["LRANGE", "s", "0", "-1"],
            &["LINDEX", "s", "0"],
            &["LSET", "s", "0", "a"],
            &["LINSERT", "s", "BEFORE", "a", "b"],
            &["LREM", "s", "0", "a"],
            &["LTRIM", "s", "0", "1"],
            &["LPOS", "s", "a"],
            &["LMOVE", "s", "l", "LEFT", "LEFT"],
            &["LMOVE", "l", "s", "LEFT", "LEFT"],
            // An empty source is nil before the destination is looked at.
            &["LMOVE", "nope", "s", "LEFT", "LEFT"],
            &["RPOPLPUSH", "s", "l"],
            &["RPOPLPUSH", "l", "s"],
            &["LMPOP", "2", "s", "l", "LEFT"],
            &["LMPOP", "2", "nope", "s", "LEFT"],
            &["LMPOP", "2", "l", "s", "LEFT"],
            &["BLPOP", "s", "0.01"],
            &["BLPOP", "nope", "s", "0.01"],
            &["BRPOP", "s", "l", "0.01"],
            &["BLMOVE", "s", "l", "LEFT", "LEFT", "0.01"],
            &["BLMOVE", "l", "s", "LEFT", "LEFT", "0.01"],
            &["BRPOPLPUSH", "s", "l", "0.01"],
            &["BLMPOP", "0.01", "1", "s", "LEFT"],
            &["SORT", "s"],
            &["SORT_RO", "s"],
            &["GET", "s"],
            &["LRANGE", "l", "0", "-1"],
        ],
    );
    expect(
        &pair,
        &[
            (&["SET", "s", "str"], b"+OK\r\n"),
            (&["LPUSH", "s", "a"], WRONGTYPE),
            (&["LLEN", "s"], WRONGTYPE),
            (&["BLPOP", "s", "0"], WRONGTYPE),
        ],
    );
}

#[test]
fn string_commands_on_a_list_key_are_wrongtype_but_set_overwrites() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["RPUSH", "l", "1", "2"],
            &["SET", "s", "abc"],
            &["GET", "l"],
            &["GETSET", "l", "x"],
            &["GETDEL", "l"],
            &["GETEX", "l", "EX", "100"],
            &["APPEND", "l", "x"],
            &["STRLEN", "l"],
            &["INCR", "l"],
            &["DECRBY", "l", "2"],
            &["INCRBYFLOAT", "l", "1.5"],
            &["GETRANGE", "l", "0", "-1"],
            &["SETRANGE", "l", "0", "x"],
            &["SETBIT", "l", "0", "1"],
            &["GETBIT", "l", "0"],
            &["BITCOUNT", "l"],
            &["BITPOS", "l", "1"],
            &["BITFIELD", "l", "GET", "u8", "0"],
            &["BITOP", "AND", "d", "l", "s"],
            &["LCS", "l", "s"],
            &["SET", "l", "x", "GET"],
            // MGET skips what is not a string instead of failing.
            &["MGET", "l", "s", "nope"],
            &["SETNX", "l", "x"],
            &["MSETNX", "l", "x", "new", "y"],
            &["EXISTS", "new"],
            &["TTL", "l"],
            &["TYPE", "l"],
            &["OBJECT", "ENCODING", "l"],
            &["LRANGE", "l", "0", "-1"],
            // SET replaces a value of any type.
            &["SET", "l", "now a string"],
            &["TYPE", "l"],
            &["GET", "l"],
            &["LLEN", "l"],
        ],
    );
    expect(
        &pair,
        &[
            (&["RPUSH", "l", "a"], b":1\r\n"),
            (&["GET", "l"], WRONGTYPE),
            (&["TYPE", "l"], b"+list\r\n"),
            (&["OBJECT", "ENCODING", "l"], b"$9\r\nquicklist\r\n"),
        ],
    );
}

#[test]
fn keyspace_commands_carry_lists_and_an_emptied_list_leaves_no_key() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["RPUSH", "l", "a", "b", "c"],
            &["TYPE", "l"],
            &["TYPE", "nope"],
            &["EXISTS", "l"],
            &["DBSIZE"],
            &["#KEYS", "*"],
            &["RANDOMKEY"],
            // COPY is deep: changing the copy leaves the original alone.
            &["COPY", "l", "c"],
            &["RPUSH", "c", "d"],
            &["LRANGE", "l", "0", "-1"],
            &["LRANGE", "c", "0", "-1"],
            &["RENAME", "c", "r"],
            &["LRANGE", "r", "0", "-1"],
            &["TYPE", "r"],
            &["OBJECT", "ENCODING", "r"],
            // A TTL on a list dies with it when the last element goes.
            &["EXPIRE", "l", "100"],
            &["~TTL", "l"],
            &["RPOP", "l", "3"],
            &["EXISTS", "l"],
            &["TTL", "l"],
            &["RPUSH", "l", "again"],
            &["TTL", "l"],
            &["LPUSH", "gone", "x"],
            &["LPOP", "gone"],
            &["EXISTS", "gone"],
            &["RPUSH", "gone", "x"],
            &["LMOVE", "gone", "other", "LEFT", "LEFT"],
            &["EXISTS", "gone"],
            &["LMPOP", "1", "other", "LEFT"],
            &["EXISTS", "other"],
            &["DEL", "r"],
            &["DBSIZE"],
        ],
    );
}

#[test]
fn list_commands_check_their_arity() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["LPUSH", "k"],
            &["RPUSH", "k"],
            &["LPUSHX", "k"],
            &["RPUSHX", "k"],
            &["LPOP"],
            &["RPOP"],
            &["LLEN"],
            &["LRANGE", "k", "0"],
            &["LINDEX", "k"],
            &["LSET", "k", "0"],
            &["LINSERT", "k", "BEFORE", "p"],
            &["LREM", "k", "0"],
            &["LTRIM", "k", "0"],
            &["LPOS", "k"],
            &["LMOVE", "a", "b", "LEFT"],
            &["RPOPLPUSH", "a"],
            &["LMPOP", "1", "k"],
            &["BLPOP", "k"],
            &["BRPOP", "k"],
            &["BLMOVE", "a", "b", "LEFT", "LEFT"],
            &["BRPOPLPUSH", "a", "b"],
            &["BLMPOP", "0", "1", "k"],
            &["SORT"],
            &["SORT_RO"],
        ],
    );
    expect(
        &pair,
        &[(
            &["LRANGE", "k", "0"],
            b"-ERR wrong number of arguments for 'lrange' command\r\n",
        )],
    );
}

// ---------------------------------------------------------------------------
// The same commands with tiny nodes and compression
// ---------------------------------------------------------------------------

/// Element `i` of the workout list: mostly short strings, every third an
/// integer (stored compactly in a listpack), every fifth 200 bytes, and one
/// 10 KB value that is bigger than any node size limit on its own.
fn workout_value(i: usize) -> String {
    if i == 25 {
        "X".repeat(10 * 1024)
    } else if i.is_multiple_of(5) {
        format!("{i:03}-{}", "m".repeat(196))
    } else if i.is_multiple_of(3) {
        (i as i64 * -1000).to_string()
    } else {
        format!("v{i}")
    }
}

/// A script that builds a 50-element list and runs every list command over
/// it, reading the whole list back after each kind of change. `config` is
/// sent first, to both servers.
fn list_workout(config: &[&[&str]]) -> Vec<Vec<String>> {
    let mut s: Vec<Vec<String>> = config.iter().map(|c| cmd(c)).collect();
    let all = || cmd(&["LRANGE", "big", "0", "-1"]);
    for i in 0..50 {
        s.push(vec!["RPUSH".into(), "big".into(), workout_value(i)]);
    }
    s.push(cmd(&["LLEN", "big"]));
    s.push(all());
    s.push(cmd(&["OBJECT", "ENCODING", "big"]));
    for (a, b) in [("10", "30"), ("-20", "-5"), ("24", "26"), ("49", "100")] {
        s.push(cmd(&["LRANGE", "big", a, b]));
    }
    for i in ["0", "1", "24", "25", "26", "-1", "-25", "-26", "49", "50"] {
        s.push(cmd(&["LINDEX", "big", i]));
    }
    // Heads and tails grow one at a time and several at once.
    s.push(cmd(&["LPUSH", "big", "h0", "h1", "h2", "h3", "h4", "h5"]));
    s.push(cmd(&["RPUSH", "big", "t0", "t1", "t2"]));
    s.push(vec!["LPUSH".into(), "big".into(), "Y".repeat(300)]);
    s.push(all());
    // Inserts next to the big value and in the middle of nodes.
    s.push(vec![
        "LINSERT".into(),
        "big".into(),
        "BEFORE".into(),
        workout_value(25),
        "before-big".into(),
    ]);
    s.push(vec![
        "LINSERT".into(),
        "big".into(),
        "AFTER".into(),
        workout_value(25),
        "after-big".into(),
    ]);
    s.push(cmd(&["LINSERT", "big", "AFTER", "v1", "after-v1"]));
    s.push(cmd(&["LINSERT", "big", "BEFORE", "-3000", "before-int"]));
    s.push(cmd(&["LINSERT", "big", "AFTER", "t2", "new-tail"]));
    s.push(all());
    // LSET swaps small for big and big for small.
    s.push(vec![
        "LSET".into(),
        "big".into(),
        "10".into(),
        "Z".repeat(10 * 1024),
    ]);
    s.push(cmd(&["LSET", "big", "30", "small"]));
    s.push(cmd(&["LSET", "big", "-1", "last"]));
    s.push(cmd(&["LSET", "big", "0", "12345"]));
    s.push(all());
    // Duplicates spread over the whole list, then removed in all three ways.
    for at in ["v7", "v22", "v44"] {
        s.push(cmd(&["LINSERT", "big", "AFTER", at, "dup"]));
    }
    s.push(cmd(&["RPUSH", "big", "dup"]));
    s.push(cmd(&["LPUSH", "big", "dup"]));
    s.push(cmd(&["LPOS", "big", "dup", "COUNT", "0"]));
    s.push(cmd(&["LPOS", "big", "dup", "RANK", "-2", "COUNT", "2"]));
    s.push(cmd(&["LPOS", "big", "-9000"]));
    s.push(cmd(&["LPOS", "big", "small", "MAXLEN", "10"]));
    s.push(cmd(&["LREM", "big", "2", "dup"]));
    s.push(cmd(&["LREM", "big", "-1", "dup"]));
    s.push(cmd(&["LPOS", "big", "dup", "COUNT", "0"]));
    s.push(cmd(&["LREM", "big", "0", "dup"]));
    s.push(vec![
        "LREM".into(),
        "big".into(),
        "0".into(),
        workout_value(25),
    ]);
    s.push(cmd(&["LLEN", "big"]));
    s.push(all());
    // Moves out of both ends, and rotations in place.
    for (from, to) in [("RIGHT", "LEFT"), ("LEFT", "LEFT"), ("RIGHT", "RIGHT")] {
        s.push(cmd(&["LMOVE", "big", "other", from, to]));
    }
    for _ in 0..3 {
        s.push(cmd(&["LMOVE", "big", "big", "LEFT", "RIGHT"]));
    }
    for _ in 0..2 {
        s.push(cmd(&["RPOPLPUSH", "big", "big"]));
    }
    s.push(cmd(&["LRANGE", "other", "0", "-1"]));
    s.push(all());
    s.push(cmd(&["LTRIM", "big", "3", "-4"]));
    s.push(all());
    s.push(cmd(&["LPOP", "big", "7"]));
    s.push(cmd(&["RPOP", "big", "7"]));
    s.push(cmd(&["LMPOP", "2", "nope", "big", "RIGHT", "COUNT", "3"]));
    s.push(all());
    s.push(cmd(&["SORT", "big", "BY", "nosort", "LIMIT", "2", "5"]));
    s.push(cmd(&["SORT", "big", "BY", "nosort", "STORE", "copy"]));
    s.push(cmd(&["LRANGE", "copy", "0", "-1"]));
    s.push(cmd(&["LLEN", "big"]));
    s.push(cmd(&["LPOP", "big", "1000"]));
    s.push(cmd(&["EXISTS", "big"]));
    s.push(cmd(&["OBJECT", "ENCODING", "copy"]));
    s
}

#[test]
fn list_commands_agree_with_redis_on_default_nodes() {
    let pair = Pair::start();
    same_owned(&pair, &list_workout(&[]));
}

#[test]
fn list_commands_agree_with_redis_when_nodes_hold_two_entries() {
    let pair = Pair::start();
    same_owned(
        &pair,
        &list_workout(&[&["CONFIG", "SET", "list-max-listpack-size", "2"]]),
    );
}

#[test]
fn list_commands_agree_with_redis_on_4kb_nodes_with_compression() {
    let pair = Pair::start();
    same_owned(
        &pair,
        &list_workout(&[
            &["CONFIG", "SET", "list-max-listpack-size", "-1"],
            &["CONFIG", "SET", "list-compress-depth", "1"],
        ]),
    );
}

#[test]
fn list_commands_agree_with_redis_on_single_entry_nodes_compressed_two_deep() {
    let pair = Pair::start();
    same_owned(
        &pair,
        &list_workout(&[
            &["CONFIG", "SET", "list-max-listpack-size", "1"],
            &["CONFIG", "SET", "list-compress-depth", "2"],
        ]),
    );
}

// ---------------------------------------------------------------------------
// SORT, SORT_RO
// ---------------------------------------------------------------------------

#[test]
fn sort_orders_numbers_and_breaks_ties_by_comparing_the_elements() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            // Scores are parsed like C's strtod: "1e2", "0x10" and "inf"
            // are numbers, and so is "" (as 0). "3", "3.0" and "03" are all
            // 3, so their bytes order them.
            &[
                "RPUSH", "l", "3", "1", "2", "10", "1.5", "-4", "1e2", "0x10", "inf", "-inf",
                "3.0", "03", "",
            ],
            &["SORT", "l"],
            &["SORT", "l", "DESC"],
            &["SORT", "l", "ASC"],
            &["SORT", "l", "LIMIT", "0", "3"],
            &["SORT", "l", "LIMIT", "2", "100"],
            &["SORT", "l", "LIMIT", "-1", "2"],
            &["SORT", "l", "LIMIT", "0", "-1"],
            &["SORT", "l", "LIMIT", "5", "0"],
            &["SORT", "l", "LIMIT", "100", "1"],
            &["SORT", "l", "DESC", "LIMIT", "1", "2"],
            &["sort", "l", "limit", "1", "2", "desc"],
            &["SORT", "l", "LIMIT", "0", "1", "LIMIT", "2", "2"],
            &["SORT_RO", "l"],
            &["SORT_RO", "l", "DESC", "LIMIT", "0", "2"],
            &["SORT", "nope"],
            &["SORT", "nope", "DESC", "LIMIT", "0", "1"],
            &["LRANGE", "l", "0", "-1"],
        ],
    );
}

#[test]
fn sort_alpha_compares_bytes_and_numeric_sort_rejects_non_numbers() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["RPUSH", "w", "banana", "apple", "cherry", "date", "fig"],
            &["SORT", "w", "ALPHA"],
            &["SORT", "w", "ALPHA", "DESC"],
            &["SORT", "w", "ALPHA", "LIMIT", "1", "2"],
            &["SORT_RO", "w", "ALPHA"],
            &["RPUSH", "n", "10", "9", "100", "1"],
            &["SORT", "n", "ALPHA"],
            &["SORT", "n"],
            // Numeric sort needs every element to be a number.
            &["SORT", "w"],
            &["SORT", "w", "LIMIT", "0", "1"],
            &["RPUSH", "bad", "1", "abc", "2"],
            &["SORT", "bad"],
            &["SORT", "bad", "DESC"],
            // Leading spaces are skipped, trailing ones are not.
            &["RPUSH", "sp", " 4", "1"],
            &["SORT", "sp"],
            &["RPUSH", "nan", "nan", "1"],
            &["SORT", "nan"],
            &["RPUSH", "tr", "4 ", "1"],
            &["SORT", "tr"],
        ],
    );
    expect(
        &pair,
        &[
            (&["RPUSH", "bad", "1", "abc"], b":2\r\n"),
            (
                &["SORT", "bad"],
                b"-ERR One or more scores can't be converted into double\r\n",
            ),
        ],
    );
}

#[test]
fn sort_by_pattern_weights_elements_by_other_keys() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["RPUSH", "ids", "1", "2", "3", "4", "5"],
            &["MSET", "weight_1", "40", "weight_2", "10", "weight_3", "30"],
            &["MSET", "weight_4", "20", "weight_5", "-1.5"],
            &["SORT", "ids", "BY", "weight_*"],
            &["SORT", "ids", "BY", "weight_*", "DESC"],
            &["SORT", "ids", "BY", "weight_*", "LIMIT", "1", "2"],
            // Only the first `*` is replaced.
            &["MSET", "w_1_*", "3", "w_2_*", "1", "w_3_*", "2"],
            &["SORT", "ids", "BY", "w_*_*"],
            // A missing weight counts as 0; ties compare the elements.
            &["DEL", "weight_3", "weight_5"],
            &["SORT", "ids", "BY", "weight_*"],
            &["SET", "weight_1", "heavy"],
            &["SORT", "ids", "BY", "weight_*"],
            // ALPHA compares the weights as strings (distinct, so no ties).
            &[
                "MSET", "aw_1", "d", "aw_2", "b", "aw_3", "e", "aw_4", "a", "aw_5", "c",
            ],
            &["SORT", "ids", "BY", "aw_*", "ALPHA"],
            &[
                "SORT", "ids", "BY", "aw_*", "ALPHA", "DESC", "LIMIT", "0", "3",
            ],
            // A weight key that holds a list is ignored like a missing one.
            &["MSET", "lw_1", "5", "lw_2", "4", "lw_3", "3", "lw_4", "2"],
            &["RPUSH", "lw_5", "1"],
            &["SORT", "ids", "BY", "lw_*"],
        ],
    );
}

#[test]
fn sort_by_nosort_or_a_pattern_without_a_star_keeps_list_order() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["RPUSH", "l", "3", "1", "2", "10", "1.5"],
            &["SORT", "l", "BY", "nosort"],
            &["SORT", "l", "BY", "constant"],
            &["SORT", "l", "BY", "nosort", "LIMIT", "1", "2"],
            &["SORT", "l", "BY", "nosort", "DESC"],
            &["SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2"],
            &["SORT", "l", "BY", "nosort", "ALPHA"],
            &["SORT_RO", "l", "BY", "nosort", "LIMIT", "0", "-1"],
            // Not even numbers are needed when nothing is compared.
            &["RPUSH", "words", "b", "a", "c"],
            &["SORT", "words", "BY", "nosort"],
        ],
    );
}

#[test]
fn sort_get_fetches_other_keys_per_element_and_hash_for_the_element() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["RPUSH", "ids", "3", "1", "2", "4"],
            &["MSET", "name_1", "one", "name_2", "two", "name_3", "three"],
            &["MSET", "age_1", "10", "age_2", "20", "age_4", "40"],
            &["SORT", "ids", "GET", "name_*"],
            &["SORT", "ids", "GET", "#"],
            &["SORT", "ids", "GET", "#", "GET", "name_*", "GET", "age_*"],
            &["SORT", "ids", "DESC", "GET", "name_*", "LIMIT", "0", "2"],
            &["SORT", "ids", "BY", "nosort", "GET", "age_*", "GET", "#"],
            &["SORT", "ids", "BY", "age_*", "GET", "name_*"],
            &["SORT_RO", "ids", "GET", "name_*", "GET", "#"],
            // A pattern without `*` names no key per element: nil.
            &["SET", "constant", "c"],
            &["SORT", "ids", "GET", "constant"],
            // A GET key holding a list is nil too.
            &["RPUSH", "name_4", "not", "a", "string"],
            &["SORT", "ids", "GET", "name_*"],
            &["SORT", "nope", "GET", "name_*"],
        ],
    );
}

#[test]
fn sort_store_writes_a_list_and_sort_ro_refuses_store() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["RPUSH", "ids", "3", "1", "2"],
            &["MSET", "name_1", "one", "name_3", "three"],
            &["SORT", "ids", "STORE", "dst"],
            &["TYPE", "dst"],
            &["LRANGE", "dst", "0", "-1"],
            &["OBJECT", "ENCODING", "dst"],
            // A missing GET key is stored as an empty string.
            &["SORT", "ids", "GET", "name_*", "GET", "#", "STORE", "dst2"],
            &["LRANGE", "dst2", "0", "-1"],
            // STORE replaces any value and drops its TTL.
            &["SET", "s", "string", "EX", "100"],
            &["SORT", "ids", "DESC", "STORE", "s"],
            &["TYPE", "s"],
            &["TTL", "s"],
            &["LRANGE", "s", "0", "-1"],
            &["SORT", "ids", "LIMIT", "1", "1", "STORE", "dst"],
            &["LRANGE", "dst", "0", "-1"],
            // The source may be the destination.
            &["SORT", "ids", "DESC", "STORE", "ids"],
            &["LRANGE", "ids", "0", "-1"],
            // An empty result deletes the destination.
            &["SORT", "nope", "STORE", "dst"],
            &["EXISTS", "dst"],
            &["SORT", "ids", "LIMIT", "10", "1", "STORE", "dst2"],
            &["EXISTS", "dst2"],
            &["SORT_RO", "ids", "STORE", "x"],
            &["SORT_RO", "nope", "STORE", "x"],
            &["EXISTS", "x"],
        ],
    );
    expect(
        &pair,
        &[
            (&["RPUSH", "l", "2", "1"], b":2\r\n"),
            (&["SORT", "l", "STORE", "d"], b":2\r\n"),
            (&["SORT_RO", "l", "STORE", "d"], b"-ERR syntax error\r\n"),
            (&["TYPE", "d"], b"+list\r\n"),
        ],
    );
}

#[test]
fn sort_option_errors() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["RPUSH", "l", "2", "1"],
            &["SORT", "l", "LIMIT", "1"],
            &["SORT", "l", "LIMIT", "a", "1"],
            &["SORT", "l", "LIMIT", "1", "b"],
            &["SORT", "l", "BY"],
            &["SORT", "l", "GET"],
            &["SORT", "l", "STORE"],
            &["SORT", "l", "FOO"],
            &["SORT", "l", "ASC", "FOO"],
            &["SORT", "nope", "FOO"],
            &["SORT_RO", "l", "FOO"],
            &["SORT", "l", "DESC", "ALPHA", "ASC"],
        ],
    );
}

// ---------------------------------------------------------------------------
// Blocking pops: argument checks and immediate answers (differential)
// ---------------------------------------------------------------------------

#[test]
fn blocking_pops_answer_at_once_when_a_key_has_elements() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["RPUSH", "b", "b1", "b2"],
            &["RPUSH", "c", "c1"],
            // The first key, in argument order, that has elements wins.
            &["BLPOP", "a", "b", "c", "0"],
            &["BRPOP", "c", "b", "0"],
            &["BLPOP", "b", "1"],
            &["EXISTS", "b"],
            &["RPUSH", "s", "x", "y"],
            &["BLMOVE", "s", "d", "RIGHT", "LEFT", "0"],
            &["BRPOPLPUSH", "s", "d", "0"],
            &["LRANGE", "d", "0", "-1"],
            &["BLMOVE", "d", "d", "LEFT", "RIGHT", "0"],
            &["BLMPOP", "0", "2", "nope", "d", "RIGHT", "COUNT", "5"],
            &["EXISTS", "d"],
            &["BLPOP", "nope", "0.01"],
            &["BRPOP", "nope", "nope2", "0.01"],
            &["BRPOPLPUSH", "nope", "d", "0.01"],
            &["BLMPOP", "0.01", "1", "nope", "LEFT", "COUNT", "2"],
            &["EXISTS", "d"],
        ],
    );
}

#[test]
fn blocking_pops_reject_negative_or_malformed_timeouts() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["BLPOP", "k", "-1"],
            &["BLPOP", "k", "-0.5"],
            &["BLPOP", "k", "abc"],
            &["BLPOP", "k", ""],
            &["BLPOP", "k", " 1"],
            &["BLPOP", "k", "1 "],
            &["BLPOP", "k", "nan"],
            // Too big to count in milliseconds: Redis 7.0 sees it go negative.
            &["BLPOP", "k", "inf"],
            &["BLPOP", "k", "1e20"],
            &["BRPOP", "k", "-1"],
            &["BRPOP", "k", "x"],
            &["BLMOVE", "a", "b", "LEFT", "RIGHT", "-1"],
            &["BLMOVE", "a", "b", "LEFT", "RIGHT", "x"],
            &["BLMOVE", "a", "b", "UP", "RIGHT", "0"],
            &["BRPOPLPUSH", "a", "b", "-1"],
            &["BRPOPLPUSH", "a", "b", "x"],
            &["BLMPOP", "-1", "1", "k", "LEFT"],
            &["BLMPOP", "x", "1", "k", "LEFT"],
            &["BLMPOP", "0", "0", "k", "LEFT"],
            &["BLMPOP", "0", "1", "k", "MIDDLE"],
            &["BLMPOP", "0", "1", "k", "LEFT", "COUNT", "0"],
            // A timeout error wins even when the key has elements.
            &["RPUSH", "k", "v"],
            &["BLPOP", "k", "-1"],
            &["BLPOP", "k", "x"],
            &["LLEN", "k"],
        ],
    );
    expect(
        &pair,
        &[
            (&["BLPOP", "k", "-1"], b"-ERR timeout is negative\r\n"),
            (
                &["BLPOP", "k", "abc"],
                b"-ERR timeout is not a float or out of range\r\n",
            ),
            (
                &["BLMOVE", "a", "b", "LEFT", "RIGHT", "-1"],
                b"-ERR timeout is negative\r\n",
            ),
        ],
    );
}

// ---------------------------------------------------------------------------
// Blocking pops: several clients (explicit, on every server)
// ---------------------------------------------------------------------------

/// How long a blocking test waits for the server to reach a state before
/// failing: generous, because a debug build on a busy machine is slow.
const STATE_TIMEOUT: Duration = Duration::from_secs(5);

/// Run `f` on every server in turn (the subject first), after a FLUSHALL.
/// `f` gets the server's name and a way to open more connections to it:
/// a blocking test needs one client that waits and another that pushes.
fn each_server(pair: &Pair, mut f: impl FnMut(&str, &dyn Fn() -> Client)) {
    pair.flushall();
    f(pair.oxidis.name(), &|| pair.oxidis.client());
    if let Some(redis) = &pair.redis {
        pair.flushall();
        f("redis", &|| redis.client());
    }
}

/// The `blocked_clients:N` figure of `INFO clients`.
fn blocked_clients(c: &mut Client) -> i64 {
    let info = c.cmd(&["INFO", "clients"]);
    let text = info.as_str().unwrap_or_default().to_string();
    text.lines()
        .find_map(|l| l.trim_end().strip_prefix("blocked_clients:"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no blocked_clients line in INFO clients:\n{text}"))
}

/// Wait until the server says exactly `n` clients are blocked. Steps of a
/// blocking test run only after this, so a BLPOP sent a moment ago has
/// surely been parsed and parked before anyone pushes.
fn wait_blocked(c: &mut Client, n: i64, name: &str) {
    let deadline = Instant::now() + STATE_TIMEOUT;
    loop {
        let now = blocked_clients(c);
        if now == n {
            return;
        }
        if Instant::now() >= deadline {
            panic!("{name}: blocked_clients is {now}, waited {STATE_TIMEOUT:?} for {n}");
        }
        thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn blpop_on_an_empty_key_waits_for_a_push_from_another_client() {
    let pair = Pair::start();
    each_server(&pair, |name, connect| {
        let mut waiter = connect();
        let mut pusher = connect();
        waiter.send(&["BLPOP", "k", "0"]);
        wait_blocked(&mut pusher, 1, name);
        // The pusher sees the length after its push, as if nobody waited;
        // the element then goes to the waiter and the key is gone.
        assert_eq!(pusher.cmd_raw(&["LPUSH", "k", "v"]), b":1\r\n", "{name}");
        assert_eq!(
            waiter.read_raw_reply(),
            b"*2\r\n$1\r\nk\r\n$1\r\nv\r\n",
            "{name}"
        );
        assert_eq!(pusher.cmd_raw(&["EXISTS", "k"]), b":0\r\n", "{name}");
        // BRPOP takes the tail; what it doesn't take stays.
        waiter.send(&["BRPOP", "k", "0"]);
        wait_blocked(&mut pusher, 1, name);
        assert_eq!(
            pusher.cmd_raw(&["RPUSH", "k", "a", "b"]),
            b":2\r\n",
            "{name}"
        );
        assert_eq!(
            waiter.read_raw_reply(),
            b"*2\r\n$1\r\nk\r\n$1\r\nb\r\n",
            "{name}"
        );
        assert_eq!(
            pusher.cmd_raw(&["LRANGE", "k", "0", "-1"]),
            b"*1\r\n$1\r\na\r\n",
            "{name}"
        );
        wait_blocked(&mut pusher, 0, name);
        // The waiter's connection carries on normally.
        assert_eq!(waiter.cmd_raw(&["PING"]), b"+PONG\r\n", "{name}");
    });
}

#[test]
fn clients_blocked_on_one_key_are_served_in_the_order_they_blocked() {
    let pair = Pair::start();
    each_server(&pair, |name, connect| {
        let mut pusher = connect();
        let mut waiters: Vec<Client> = Vec::new();
        for i in 1..=3 {
            let mut w = connect();
            w.send(&["BLPOP", "k", "0"]);
            wait_blocked(&mut pusher, i, name);
            waiters.push(w);
        }
        // LPUSH a b c leaves c b a: the first to block gets the head.
        assert_eq!(
            pusher.cmd_raw(&["LPUSH", "k", "a", "b", "c"]),
            b":3\r\n",
            "{name}"
        );
        for (w, want) in waiters.iter_mut().zip(["c", "b", "a"]) {
            let expected = format!("*2\r\n$1\r\nk\r\n$1\r\n{want}\r\n");
            assert_eq!(
                w.read_raw_reply(),
                expected.as_bytes(),
                "{name}: waiter for {want}"
            );
        }
        assert_eq!(pusher.cmd_raw(&["EXISTS", "k"]), b":0\r\n", "{name}");
        // Fewer elements than waiters: the rest keep waiting, in order.
        for (i, w) in waiters.iter_mut().enumerate() {
            w.send(&["BRPOP", "k", "0"]);
            wait_blocked(&mut pusher, i as i64 + 1, name);
        }
        assert_eq!(
            pusher.cmd_raw(&["RPUSH", "k", "x", "y"]),
            b":2\r\n",
            "{name}"
        );
        assert_eq!(
            waiters[0].read_raw_reply(),
            b"*2\r\n$1\r\nk\r\n$1\r\ny\r\n",
            "{name}"
        );
        assert_eq!(
            waiters[1].read_raw_reply(),
            b"*2\r\n$1\r\nk\r\n$1\r\nx\r\n",
            "{name}"
        );
        waiters[2].expect_no_data(Duration::from_millis(50));
        wait_blocked(&mut pusher, 1, name);
        assert_eq!(pusher.cmd_raw(&["RPUSH", "k", "z"]), b":1\r\n", "{name}");
        assert_eq!(
            waiters[2].read_raw_reply(),
            b"*2\r\n$1\r\nk\r\n$1\r\nz\r\n",
            "{name}"
        );
    });
}

#[test]
fn a_timeout_returns_a_null_array_after_about_that_long() {
    let pair = Pair::start();
    each_server(&pair, |name, connect| {
        let mut c = connect();
        // Redis checks timeouts between event-loop rounds (up to 100 ms
        // apart at hz 10), so the reply may come late but never early.
        for command in [
            &["BLPOP", "k", "0.1"][..],
            &["BRPOP", "k", "other", "0.1"],
            &["BLMOVE", "k", "d", "LEFT", "RIGHT", "0.1"],
            &["BRPOPLPUSH", "k", "d", "0.1"],
            &["BLMPOP", "0.1", "1", "k", "LEFT", "COUNT", "2"],
        ] {
            let started = Instant::now();
            let reply = c.cmd_raw(command);
            let took = started.elapsed();
            assert_eq!(reply, b"*-1\r\n", "{name}: {command:?}");
            assert!(
                took >= Duration::from_millis(95) && took < Duration::from_secs(2),
                "{name}: {command:?} answered after {took:?}"
            );
        }
        assert_eq!(c.cmd_raw(&["EXISTS", "d"]), b":0\r\n", "{name}");
        assert_eq!(blocked_clients(&mut c), 0, "{name}");
    });
}

#[test]
fn a_zero_timeout_waits_until_an_element_arrives() {
    let pair = Pair::start();
    each_server(&pair, |name, connect| {
        let mut waiter = connect();
        let mut pusher = connect();
        waiter.send(&["BLPOP", "k", "0"]);
        wait_blocked(&mut pusher, 1, name);
        waiter.expect_no_data(Duration::from_millis(300));
        assert_eq!(blocked_clients(&mut pusher), 1, "{name}");
        assert_eq!(pusher.cmd_raw(&["RPUSH", "k", "late"]), b":1\r\n", "{name}");
        assert_eq!(
            waiter.read_raw_reply(),
            b"*2\r\n$1\r\nk\r\n$4\r\nlate\r\n",
            "{name}"
        );
    });
}

#[test]
fn blmove_and_brpoplpush_wait_and_then_move_the_element() {
    let pair = Pair::start();
    each_server(&pair, |name, connect| {
        let mut waiter = connect();
        let mut pusher = connect();
        // BLMOVE replies with the element alone, not [key, element].
        waiter.send(&["BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"]);
        wait_blocked(&mut pusher, 1, name);
        assert_eq!(
            pusher.cmd_raw(&["RPUSH", "src", "a", "b"]),
            b":2\r\n",
            "{name}"
        );
        assert_eq!(waiter.read_raw_reply(), b"$1\r\nb\r\n", "{name}");
        let lrange = |c: &mut Client, key: &str| c.cmd_raw(&["LRANGE", key, "0", "-1"]);
        assert_eq!(lrange(&mut pusher, "src"), b"*1\r\n$1\r\na\r\n", "{name}");
        assert_eq!(lrange(&mut pusher, "dst"), b"*1\r\n$1\r\nb\r\n", "{name}");
        // Elements present: no waiting.
        assert_eq!(
            waiter.cmd_raw(&["BRPOPLPUSH", "src", "dst", "0"]),
            b"$1\r\na\r\n",
            "{name}"
        );
        waiter.send(&["BRPOPLPUSH", "src", "dst", "0"]);
        wait_blocked(&mut pusher, 1, name);
        assert_eq!(pusher.cmd_raw(&["LPUSH", "src", "z"]), b":1\r\n", "{name}");
        assert_eq!(waiter.read_raw_reply(), b"$1\r\nz\r\n", "{name}");
        assert_eq!(
            lrange(&mut pusher, "dst"),
            b"*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\nb\r\n",
            "{name}"
        );
        assert_eq!(pusher.cmd_raw(&["EXISTS", "src"]), b":0\r\n", "{name}");
        // Waiting to rotate a list onto itself: the element comes back.
        waiter.send(&["BLMOVE", "r", "r", "LEFT", "RIGHT", "0"]);
        wait_blocked(&mut pusher, 1, name);
        assert_eq!(pusher.cmd_raw(&["RPUSH", "r", "x"]), b":1\r\n", "{name}");
        assert_eq!(waiter.read_raw_reply(), b"$1\r\nx\r\n", "{name}");
        assert_eq!(lrange(&mut pusher, "r"), b"*1\r\n$1\r\nx\r\n", "{name}");
    });
}

#[test]
fn a_blmove_that_feeds_a_watched_key_wakes_the_next_waiter() {
    let pair = Pair::start();
    each_server(&pair, |name, connect| {
        let mut last = connect();
        let mut mover = connect();
        let mut pusher = connect();
        last.send(&["BLPOP", "b", "0"]);
        wait_blocked(&mut pusher, 1, name);
        mover.send(&["BLMOVE", "a", "b", "RIGHT", "LEFT", "0"]);
        wait_blocked(&mut pusher, 2, name);
        // One push ripples through: a -> mover -> b -> last.
        assert_eq!(pusher.cmd_raw(&["RPUSH", "a", "x"]), b":1\r\n", "{name}");
        assert_eq!(mover.read_raw_reply(), b"$1\r\nx\r\n", "{name}");
        assert_eq!(
            last.read_raw_reply(),
            b"*2\r\n$1\r\nb\r\n$1\r\nx\r\n",
            "{name}"
        );
        assert_eq!(pusher.cmd_raw(&["EXISTS", "a", "b"]), b":0\r\n", "{name}");
        // Plain LMOVE into a watched key wakes the waiter too.
        last.send(&["BLPOP", "b", "0"]);
        wait_blocked(&mut pusher, 1, name);
        assert_eq!(pusher.cmd_raw(&["RPUSH", "a", "y"]), b":1\r\n", "{name}");
        assert_eq!(
            pusher.cmd_raw(&["LMOVE", "a", "b", "LEFT", "LEFT"]),
            b"$1\r\ny\r\n",
            "{name}"
        );
        assert_eq!(
            last.read_raw_reply(),
            b"*2\r\n$1\r\nb\r\n$1\r\ny\r\n",
            "{name}"
        );
    });
}

#[test]
fn any_command_that_creates_a_watched_list_wakes_the_waiter() {
    let pair = Pair::start();
    each_server(&pair, |name, connect| {
        let mut waiter = connect();
        let mut other = connect();
        // SORT ... STORE writes a whole new list under the watched key.
        assert_eq!(
            other.cmd_raw(&["RPUSH", "src", "2", "1"]),
            b":2\r\n",
            "{name}"
        );
        waiter.send(&["BLPOP", "k", "0"]);
        wait_blocked(&mut other, 1, name);
        assert_eq!(
            other.cmd_raw(&["SORT", "src", "STORE", "k"]),
            b":2\r\n",
            "{name}"
        );
        assert_eq!(
            waiter.read_raw_reply(),
            b"*2\r\n$1\r\nk\r\n$1\r\n1\r\n",
            "{name}"
        );
        assert_eq!(
            other.cmd_raw(&["LRANGE", "k", "0", "-1"]),
            b"*1\r\n$1\r\n2\r\n",
            "{name}"
        );
        // So does RENAME of a list onto it.
        assert_eq!(other.cmd_raw(&["DEL", "k"]), b":1\r\n", "{name}");
        waiter.send(&["BLPOP", "k", "0"]);
        wait_blocked(&mut other, 1, name);
        assert_eq!(other.cmd_raw(&["RENAME", "src", "k"]), b"+OK\r\n", "{name}");
        assert_eq!(
            waiter.read_raw_reply(),
            b"*2\r\n$1\r\nk\r\n$1\r\n2\r\n",
            "{name}"
        );
    });
}

#[test]
fn a_string_written_to_a_watched_key_does_not_wake_the_waiter() {
    let pair = Pair::start();
    each_server(&pair, |name, connect| {
        let mut waiter = connect();
        let mut other = connect();
        waiter.send(&["BLPOP", "k", "0"]);
        wait_blocked(&mut other, 1, name);
        assert_eq!(other.cmd_raw(&["SET", "k", "str"]), b"+OK\r\n", "{name}");
        waiter.expect_no_data(Duration::from_millis(100));
        assert_eq!(blocked_clients(&mut other), 1, "{name}");
        assert_eq!(other.cmd_raw(&["DEL", "k"]), b":1\r\n", "{name}");
        assert_eq!(other.cmd_raw(&["RPUSH", "k", "v"]), b":1\r\n", "{name}");
        assert_eq!(
            waiter.read_raw_reply(),
            b"*2\r\n$1\r\nk\r\n$1\r\nv\r\n",
            "{name}"
        );
    });
}

#[test]
fn blmpop_waits_and_replies_with_the_key_and_its_elements() {
    let pair = Pair::start();
    each_server(&pair, |name, connect| {
        let mut waiter = connect();
        let mut pusher = connect();
        waiter.send(&["BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "2"]);
        wait_blocked(&mut pusher, 1, name);
        assert_eq!(
            pusher.cmd_raw(&["RPUSH", "b", "x", "y", "z"]),
            b":3\r\n",
            "{name}"
        );
        assert_eq!(
            waiter.read_raw_reply(),
            b"*2\r\n$1\r\nb\r\n*2\r\n$1\r\nz\r\n$1\r\ny\r\n",
            "{name}"
        );
        assert_eq!(
            pusher.cmd_raw(&["LRANGE", "b", "0", "-1"]),
            b"*1\r\n$1\r\nx\r\n",
            "{name}"
        );
        // Without COUNT: one element, still inside an array.
        waiter.send(&["BLMPOP", "0", "1", "c", "LEFT"]);
        wait_blocked(&mut pusher, 1, name);
        assert_eq!(
            pusher.cmd_raw(&["RPUSH", "c", "p", "q"]),
            b":2\r\n",
            "{name}"
        );
        assert_eq!(
            waiter.read_raw_reply(),
            b"*2\r\n$1\r\nc\r\n*1\r\n$1\r\np\r\n",
            "{name}"
        );
    });
}

#[test]
fn a_push_to_any_one_of_several_watched_keys_wakes_the_client() {
    let pair = Pair::start();
    each_server(&pair, |name, connect| {
        let mut waiter = connect();
        let mut pusher = connect();
        waiter.send(&["BLPOP", "a", "b", "c", "0"]);
        wait_blocked(&mut pusher, 1, name);
        assert_eq!(pusher.cmd_raw(&["RPUSH", "c", "v"]), b":1\r\n", "{name}");
        assert_eq!(
            waiter.read_raw_reply(),
            b"*2\r\n$1\r\nc\r\n$1\r\nv\r\n",
            "{name}"
        );
        // Served once: a later push to another watched key stays put.
        wait_blocked(&mut pusher, 0, name);
        assert_eq!(pusher.cmd_raw(&["RPUSH", "a", "w"]), b":1\r\n", "{name}");
        assert_eq!(pusher.cmd_raw(&["LLEN", "a"]), b":1\r\n", "{name}");
        assert_eq!(waiter.cmd_raw(&["PING"]), b"+PONG\r\n", "{name}");
    });
}

#[test]
fn a_blocked_client_that_disconnects_is_not_served() {
    let pair = Pair::start();
    each_server(&pair, |name, connect| {
        let mut pusher = connect();
        let mut gone = connect();
        let mut stays = connect();
        gone.send(&["BLPOP", "k", "0"]);
        wait_blocked(&mut pusher, 1, name);
        stays.send(&["BLPOP", "k", "0"]);
        wait_blocked(&mut pusher, 2, name);
        drop(gone);
        wait_blocked(&mut pusher, 1, name);
        // The first in line left: the element goes to the next one.
        assert_eq!(pusher.cmd_raw(&["LPUSH", "k", "v"]), b":1\r\n", "{name}");
        assert_eq!(
            stays.read_raw_reply(),
            b"*2\r\n$1\r\nk\r\n$1\r\nv\r\n",
            "{name}"
        );
        // Nobody left to serve: the element stays in the list.
        stays.send(&["BLPOP", "k", "0"]);
        wait_blocked(&mut pusher, 1, name);
        drop(stays);
        wait_blocked(&mut pusher, 0, name);
        assert_eq!(pusher.cmd_raw(&["LPUSH", "k", "w"]), b":1\r\n", "{name}");
        assert_eq!(
            pusher.cmd_raw(&["LRANGE", "k", "0", "-1"]),
            b"*1\r\n$1\r\nw\r\n",
            "{name}"
        );
    });
}

#[test]
fn client_unblock_ends_the_wait_with_nil_or_an_error() {
    let pair = Pair::start();
    each_server(&pair, |name, connect| {
        let mut waiter = connect();
        let mut admin = connect();
        let id = match waiter.cmd(&["CLIENT", "ID"]).as_int() {
            Some(id) => id.to_string(),
            None => panic!("{name}: CLIENT ID is not an integer"),
        };
        // Not blocked: nothing to do.
        assert_eq!(
            admin.cmd_raw(&["CLIENT", "UNBLOCK", &id]),
            b":0\r\n",
            "{name}"
        );
        assert_eq!(
            admin.cmd_raw(&["CLIENT", "UNBLOCK", "999999"]),
            b":0\r\n",
            "{name}"
        );
        // Default (TIMEOUT): the client sees what a timeout would give it.
        waiter.send(&["BLPOP", "k", "0"]);
        wait_blocked(&mut admin, 1, name);
        assert_eq!(
            admin.cmd_raw(&["CLIENT", "UNBLOCK", &id]),
            b":1\r\n",
            "{name}"
        );
        assert_eq!(waiter.read_raw_reply(), b"*-1\r\n", "{name}");
        wait_blocked(&mut admin, 0, name);
        assert_eq!(
            admin.cmd_raw(&["CLIENT", "UNBLOCK", &id]),
            b":0\r\n",
            "{name}"
        );
        waiter.send(&["BLMOVE", "k", "d", "LEFT", "LEFT", "0"]);
        wait_blocked(&mut admin, 1, name);
        assert_eq!(
            admin.cmd_raw(&["CLIENT", "UNBLOCK", &id, "TIMEOUT"]),
            b":1\r\n",
            "{name}"
        );
        assert_eq!(waiter.read_raw_reply(), b"*-1\r\n", "{name}");
        // ERROR: the client gets an -UNBLOCKED error instead.
        waiter.send(&["BLMPOP", "0", "1", "k", "LEFT"]);
        wait_blocked(&mut admin, 1, name);
        assert_eq!(
            admin.cmd_raw(&["CLIENT", "UNBLOCK", &id, "ERROR"]),
            b":1\r\n",
            "{name}"
        );
        assert_eq!(
            waiter.read_raw_reply(),
            b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n",
            "{name}"
        );
        wait_blocked(&mut admin, 0, name);
        // Unblocked clients are no longer waiting: a push stays in the list.
        assert_eq!(admin.cmd_raw(&["RPUSH", "k", "v"]), b":1\r\n", "{name}");
        assert_eq!(admin.cmd_raw(&["LLEN", "k"]), b":1\r\n", "{name}");
        assert_eq!(waiter.cmd_raw(&["PING"]), b"+PONG\r\n", "{name}");
        assert_eq!(
            admin.cmd_raw(&["CLIENT", "UNBLOCK", &id, "FOO"]),
            b"-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n",
            "{name}"
        );
        assert_eq!(
            admin.cmd_raw(&["CLIENT", "UNBLOCK", "x"]),
            b"-ERR value is not an integer or out of range\r\n",
            "{name}"
        );
    });
}

#[test]
fn info_clients_counts_blocked_clients() {
    let pair = Pair::start();
    each_server(&pair, |name, connect| {
        let mut observer = connect();
        assert_eq!(blocked_clients(&mut observer), 0, "{name}");
        let mut a = connect();
        let mut b = connect();
        a.send(&["BLPOP", "k", "0"]);
        wait_blocked(&mut observer, 1, name);
        b.send(&["BLMPOP", "0", "2", "x", "k", "LEFT"]);
        wait_blocked(&mut observer, 2, name);
        assert_eq!(observer.cmd_raw(&["RPUSH", "k", "1"]), b":1\r\n", "{name}");
        assert_eq!(
            a.read_raw_reply(),
            b"*2\r\n$1\r\nk\r\n$1\r\n1\r\n",
            "{name}"
        );
        assert_eq!(blocked_clients(&mut observer), 1, "{name}");
        assert_eq!(observer.cmd_raw(&["RPUSH", "x", "2"]), b":1\r\n", "{name}");
        assert_eq!(
            b.read_raw_reply(),
            b"*2\r\n$1\r\nx\r\n*1\r\n$1\r\n2\r\n",
            "{name}"
        );
        assert_eq!(blocked_clients(&mut observer), 0, "{name}");
    });
}
