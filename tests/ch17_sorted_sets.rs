//! Chapter 17 checkpoint: the sorted-set commands and both encodings,
//! checked reply for reply against a real Redis 7.0.
//!
//! Every script runs twice: with the default `zset-max-listpack-entries
//! 128`, where these small sets are listpacks, and with 1, where a set
//! turns into a skiplist at its second member. Scripts ask OBJECT ENCODING
//! along the way, so the encoding is compared too. Scripts also run under
//! RESP3 (`HELLO 3`), where scores are doubles and pairs nest.
//!
//! Random replies (ZRANDMEMBER) and cursors over a skiplist's dict cannot
//! be compared byte for byte: those tests assert shapes and counts.
//!
//! Not here: the skiplist's own tests (src/ds/skiplist.rs), the encodings'
//! unit tests (src/db/zset.rs).

mod common;

use common::diff::{cmd, same, same_owned, Pair};
use common::{Client, RespValue, Server};
use std::time::{Duration, Instant};

const MODES: [&[&str]; 2] = [
    &["CONFIG", "SET", "zset-max-listpack-entries", "128"],
    &["CONFIG", "SET", "zset-max-listpack-entries", "1"],
];

/// Runs `script` once per encoding mode, and once more per mode in RESP3.
fn in_every_mode(pair: &Pair, script: &[&[&str]]) {
    for mode in MODES {
        for hello in [None, Some(&["HELLO", "3"][..])] {
            pair.flushall();
            let mut full: Vec<&[&str]> = vec![mode];
            if let Some(h) = hello {
                // HELLO's reply names the server: compare its type only.
                full.push(if h.len() == 2 { &["?HELLO", "3"] } else { h });
            }
            full.extend_from_slice(script);
            same(pair, &full);
        }
    }
    pair.flushall();
    same(
        pair,
        &[&["CONFIG", "SET", "zset-max-listpack-entries", "128"]],
    );
}

#[test]
fn zadd_options_and_replies_match_redis() {
    let pair = Pair::start();
    in_every_mode(
        &pair,
        &[
            &["ZADD", "z", "1", "a", "2", "b", "3", "c"],
            &["OBJECT", "ENCODING", "z"],
            &["ZADD", "z", "1", "a", "5", "b"],
            &["ZADD", "z", "CH", "1", "a", "6", "b", "7", "d"],
            &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
            &["ZADD", "z", "NX", "100", "a", "8", "e"],
            &["ZADD", "z", "XX", "100", "a", "9", "f"],
            &["ZADD", "z", "XX", "CH", "101", "a", "9", "f"],
            &["ZADD", "z", "GT", "CH", "1", "a", "200", "b"],
            &["ZADD", "z", "LT", "CH", "1", "a", "300", "b"],
            &["ZADD", "z", "INCR", "2.5", "a"],
            &["ZADD", "z", "NX", "INCR", "2.5", "a"],
            &["ZADD", "z", "XX", "INCR", "2.5", "zz"],
            &["ZADD", "z", "GT", "INCR", "-1", "a"],
            &["ZADD", "z", "INCR", "1", "a", "2", "b"],
            &["ZADD", "z", "NX", "XX", "1", "a"],
            &["ZADD", "z", "GT", "LT", "1", "a"],
            &["ZADD", "z", "NX", "GT", "1", "a"],
            &["ZADD", "z", "1"],
            &["ZADD", "z", "1", "a", "2"],
            &["ZADD", "z", "nan", "a"],
            &["ZADD", "z", "1", "a", "x", "b"],
            &["ZADD", "z", "FOO", "1", "a"],
            &[
                "ZADD", "z", "0.1", "p", "1e300", "q", "-inf", "r", "+inf", "s", "-0", "t",
            ],
            &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
            &["ZSCORE", "z", "p"],
            &["ZSCORE", "z", "t"],
            &["ZSCORE", "z", "nope"],
            &["ZSCORE", "nokey", "p"],
            &["ZMSCORE", "z", "p", "nope", "q"],
            &["ZMSCORE", "nokey", "p"],
            &["ZINCRBY", "z", "inf", "r"],
            &["ZINCRBY", "z", "1", "s"],
            &["ZINCRBY", "z", "-inf", "s"],
            &["ZINCRBY", "z", "abc", "s"],
            &["ZINCRBY", "new", "3", "m"],
            &["ZINCRBY", "z", "1e400", "s"],
            &["ZADD", "z", " 1", "a"],
            &["ZCARD", "z"],
            &["ZCARD", "nokey"],
            &["OBJECT", "ENCODING", "z"],
            &["SET", "str", "x"],
            &["ZADD", "str", "1", "a"],
            &["ZSCORE", "str", "a"],
            &["ZCARD", "str"],
            &["ZADD", "str", "x", "a"],
            &["ZADD", "xx", "XX", "1", "a"],
            &["EXISTS", "xx"],
            &["ZADD", "nan", "INCR", "inf", "a"],
            &["ZADD", "nan", "INCR", "-inf", "a"],
            &["TYPE", "nan"],
        ],
    );
}

#[test]
fn conversion_thresholds_match_redis() {
    let pair = Pair::start();
    let long = "x".repeat(65);
    let mut script: Vec<Vec<String>> = vec![cmd(&["ZADD", "z", "1", "a"])];
    script.push(cmd(&["OBJECT", "ENCODING", "z"]));
    for i in 0..127 {
        script.push(cmd(&["ZADD", "z", &i.to_string(), &format!("m{i}")]));
    }
    script.push(cmd(&["OBJECT", "ENCODING", "z"]));
    script.push(cmd(&["ZADD", "z", "1000", "last"]));
    script.push(cmd(&["OBJECT", "ENCODING", "z"]));
    script.push(cmd(&["ZREMRANGEBYRANK", "z", "0", "-3"]));
    script.push(cmd(&["OBJECT", "ENCODING", "z"]));
    script.push(cmd(&["ZADD", "long", "1", &"x".repeat(64)]));
    script.push(cmd(&["OBJECT", "ENCODING", "long"]));
    script.push(cmd(&["ZADD", "long", "1", &long]));
    script.push(cmd(&["OBJECT", "ENCODING", "long"]));
    script.push(cmd(&["ZADD", "long2", "1", &long]));
    script.push(cmd(&["OBJECT", "ENCODING", "long2"]));
    // A ZADD with more pairs than the limit starts as a skiplist even when
    // the pairs repeat one member (Redis sizes by the argument count).
    let mut big = vec!["ZADD".to_string(), "rep".to_string()];
    for i in 0..130 {
        big.push(i.to_string());
        big.push("same".to_string());
    }
    script.push(big);
    script.push(cmd(&["OBJECT", "ENCODING", "rep"]));
    script.push(cmd(&["ZRANGE", "rep", "0", "-1", "WITHSCORES"]));
    same_owned(&pair, &script);
    same(
        &pair,
        &[
            &["CONFIG", "SET", "zset-max-listpack-value", "3"],
            &["ZADD", "v", "1", "abc"],
            &["OBJECT", "ENCODING", "v"],
            &["ZADD", "v", "1", "abcd"],
            &["OBJECT", "ENCODING", "v"],
            &["CONFIG", "SET", "zset-max-listpack-value", "64"],
            &["CONFIG", "SET", "zset-max-listpack-entries", "0"],
            &["ZADD", "zero", "1", "a"],
            &["OBJECT", "ENCODING", "zero"],
            &["CONFIG", "SET", "zset-max-listpack-entries", "128"],
            &["CONFIG", "GET", "zset-max-ziplist-entries"],
        ],
    );
}

#[test]
fn ranks_counts_and_removal_match_redis() {
    let pair = Pair::start();
    in_every_mode(
        &pair,
        &[
            &[
                "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
            ],
            &["ZRANK", "z", "a"],
            &["ZRANK", "z", "e"],
            &["ZREVRANK", "z", "a"],
            &["ZRANK", "z", "nope"],
            &["ZRANK", "nokey", "a"],
            &["ZCOUNT", "z", "2", "4"],
            &["ZCOUNT", "z", "(2", "(4"],
            &["ZCOUNT", "z", "-inf", "+inf"],
            &["ZCOUNT", "z", "4", "2"],
            &["ZCOUNT", "z", "(3", "3"],
            &["ZCOUNT", "z", "x", "3"],
            &["ZCOUNT", "z", "", "3"],
            &["ZCOUNT", "z", "(", "3"],
            &["ZCOUNT", "nokey", "1", "3"],
            &["ZREM", "z", "a", "nope", "a"],
            &["ZREM", "nokey", "a"],
            &["ZRANGE", "z", "0", "-1"],
            &["ZREMRANGEBYRANK", "z", "0", "0"],
            &["ZRANGE", "z", "0", "-1"],
            &["ZREMRANGEBYRANK", "z", "5", "10"],
            &["ZREMRANGEBYRANK", "z", "x", "10"],
            &["ZADD", "z", "10", "x", "11", "y", "12", "z"],
            &["ZREMRANGEBYSCORE", "z", "(10", "12"],
            &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
            &["ZREMRANGEBYSCORE", "z", "a", "12"],
            &["ZREMRANGEBYSCORE", "z", "-inf", "+inf"],
            &["EXISTS", "z"],
            &[
                "ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e",
            ],
            &["ZLEXCOUNT", "l", "-", "+"],
            &["ZLEXCOUNT", "l", "[b", "(d"],
            &["ZLEXCOUNT", "l", "(b", "[d"],
            &["ZLEXCOUNT", "l", "+", "-"],
            &["ZLEXCOUNT", "l", "b", "d"],
            &["ZLEXCOUNT", "l", "[d", "[b"],
            &["ZREMRANGEBYLEX", "l", "[b", "(d"],
            &["ZRANGE", "l", "0", "-1"],
            &["ZREMRANGEBYLEX", "l", "x", "(d"],
            &["ZREMRANGEBYLEX", "l", "-", "+"],
            &["EXISTS", "l"],
            &["ZREMRANGEBYLEX", "nokey", "-", "+"],
            &["ZREMRANGEBYSCORE", "nokey", "1", "2"],
            &["SET", "s", "v"],
            &["ZREMRANGEBYRANK", "s", "0", "1"],
            &["ZRANK", "s", "a"],
            &["ZCOUNT", "s", "1", "2"],
        ],
    );
}

#[test]
fn zrange_in_all_its_forms_matches_redis() {
    let pair = Pair::start();
    in_every_mode(
        &pair,
        &[
            &[
                "ZADD", "z", "1", "a", "2", "b", "2", "bb", "3", "c", "4", "d", "5.5", "e",
            ],
            &["ZRANGE", "z", "0", "-1"],
            &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
            &["ZRANGE", "z", "-2", "-1", "WITHSCORES"],
            &["ZRANGE", "z", "-100", "100"],
            &["ZRANGE", "z", "3", "1"],
            &["ZRANGE", "z", "0", "-1", "REV"],
            &["ZRANGE", "z", "0", "1", "REV", "WITHSCORES"],
            &["ZREVRANGE", "z", "0", "2", "WITHSCORES"],
            &["ZREVRANGE", "z", "0", "2", "REV"],
            &["ZRANGE", "z", "2", "4", "BYSCORE"],
            &["ZRANGE", "z", "(2", "4", "BYSCORE", "WITHSCORES"],
            &["ZRANGE", "z", "4", "(2", "BYSCORE", "REV"],
            &["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2"],
            &[
                "ZRANGE",
                "z",
                "+inf",
                "-inf",
                "BYSCORE",
                "REV",
                "LIMIT",
                "1",
                "2",
                "WITHSCORES",
            ],
            &["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"],
            &["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "2", "-1"],
            &["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "10", "2"],
            &["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "0", "0"],
            &["ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"],
            &["ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"],
            &["ZRANGE", "z", "0", "-1", "BYSCORE", "BYLEX"],
            &["ZRANGE", "z", "0", "-1", "REV", "REV"],
            &["ZRANGE", "z", "0", "-1", "LIMIT", "0"],
            &["ZRANGE", "z", "0", "-1", "LIMIT", "x", "1"],
            &["ZRANGE", "z", "x", "-1"],
            &["ZRANGE", "z", "x", "-1", "BYSCORE"],
            &["ZRANGE", "nokey", "0", "-1"],
            &["ZRANGEBYSCORE", "z", "2", "4"],
            &[
                "ZRANGEBYSCORE",
                "z",
                "2",
                "4",
                "WITHSCORES",
                "LIMIT",
                "1",
                "5",
            ],
            &["ZRANGEBYSCORE", "z", "2", "4", "REV"],
            &["ZRANGEBYSCORE", "z", "4", "2"],
            &["ZRANGEBYSCORE", "z", "(2", "(2"],
            &["ZREVRANGEBYSCORE", "z", "4", "2", "WITHSCORES"],
            &["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "0", "3"],
            &["ZREVRANGEBYSCORE", "z", "2", "4"],
            &["ZRANGEBYSCORE", "z", "[2", "4"],
            &[
                "ZADD", "l", "0", "alpha", "0", "bar", "0", "cool", "0", "down", "0", "elephant",
                "0", "foo",
            ],
            &["ZRANGEBYLEX", "l", "-", "+"],
            &["ZRANGEBYLEX", "l", "[bar", "(down"],
            &["ZRANGEBYLEX", "l", "(bar", "+", "LIMIT", "1", "2"],
            &["ZREVRANGEBYLEX", "l", "+", "-"],
            &["ZREVRANGEBYLEX", "l", "(down", "[bar"],
            &["ZREVRANGEBYLEX", "l", "+", "-", "LIMIT", "1", "2"],
            &["ZRANGEBYLEX", "l", "-", "+", "WITHSCORES"],
            &["ZRANGEBYLEX", "l", "bar", "+"],
            &["ZRANGE", "l", "[c", "[e", "BYLEX"],
            &["ZRANGE", "l", "[e", "[c", "BYLEX", "REV", "LIMIT", "0", "1"],
            &["SET", "s", "v"],
            &["ZRANGE", "s", "0", "-1"],
            &["ZRANGEBYSCORE", "s", "0", "1"],
        ],
    );
}

#[test]
fn zrangestore_and_set_operations_match_redis() {
    let pair = Pair::start();
    in_every_mode(
        &pair,
        &[
            &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"],
            &["ZRANGESTORE", "dst", "z", "0", "1"],
            &["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
            &["OBJECT", "ENCODING", "dst"],
            &["ZRANGESTORE", "dst", "z", "(1", "3", "BYSCORE"],
            &["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
            &[
                "ZRANGESTORE",
                "dst",
                "z",
                "+inf",
                "-inf",
                "BYSCORE",
                "REV",
                "LIMIT",
                "0",
                "2",
            ],
            &["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
            &["ZRANGESTORE", "dst", "z", "[b", "+", "BYLEX"],
            &["ZRANGESTORE", "dst", "z", "5", "10"],
            &["EXISTS", "dst"],
            &["ZRANGESTORE", "dst", "z", "0", "-1", "WITHSCORES"],
            &["ZRANGESTORE", "dst", "nokey", "0", "-1"],
            &["ZADD", "y", "10", "b", "20", "c", "30", "e"],
            &["SADD", "s", "a", "e", "x"],
            &["ZUNION", "2", "z", "y"],
            &["ZUNION", "2", "z", "y", "WITHSCORES"],
            &["ZUNION", "3", "z", "y", "s", "WITHSCORES"],
            &["ZUNION", "2", "z", "y", "WEIGHTS", "2", "0.5", "WITHSCORES"],
            &["ZUNION", "2", "z", "y", "AGGREGATE", "MIN", "WITHSCORES"],
            &["ZUNION", "2", "z", "y", "AGGREGATE", "MAX", "WITHSCORES"],
            &["ZUNION", "2", "z", "y", "AGGREGATE", "AVG"],
            &["ZUNION", "2", "z", "y", "WEIGHTS", "1"],
            &["ZUNION", "2", "z", "y", "WEIGHTS", "1", "x"],
            &["ZUNION", "0", "z"],
            &["ZUNION", "3", "z", "y"],
            &["ZUNION", "x", "z"],
            &["ZINTER", "2", "z", "y", "WITHSCORES"],
            &["ZINTER", "3", "z", "y", "s", "WITHSCORES"],
            &[
                "ZINTER",
                "2",
                "z",
                "s",
                "WEIGHTS",
                "1",
                "5",
                "AGGREGATE",
                "MAX",
                "WITHSCORES",
            ],
            &["ZINTER", "2", "z", "nokey"],
            &["ZINTERCARD", "2", "z", "y"],
            &["ZINTERCARD", "2", "z", "y", "LIMIT", "1"],
            &["ZINTERCARD", "2", "z", "y", "LIMIT", "-1"],
            &["ZINTERCARD", "0", "z"],
            &["ZINTERCARD", "2", "z", "y", "WITHSCORES"],
            &["ZDIFF", "2", "z", "y"],
            &["ZDIFF", "2", "z", "y", "WITHSCORES"],
            &["ZDIFF", "3", "z", "y", "s", "WITHSCORES"],
            &["ZDIFF", "2", "z", "y", "WEIGHTS", "1", "1"],
            &["ZDIFF", "1", "nokey"],
            &["ZUNIONSTORE", "u", "2", "z", "y"],
            &["ZRANGE", "u", "0", "-1", "WITHSCORES"],
            &["OBJECT", "ENCODING", "u"],
            &["ZINTERSTORE", "i", "2", "z", "y", "WEIGHTS", "1", "2"],
            &["ZRANGE", "i", "0", "-1", "WITHSCORES"],
            &["ZINTERSTORE", "i", "2", "z", "nokey"],
            &["EXISTS", "i"],
            &["ZDIFFSTORE", "d", "2", "z", "y"],
            &["ZRANGE", "d", "0", "-1", "WITHSCORES"],
            &["ZUNIONSTORE", "u", "1", "z", "WITHSCORES"],
            &["ZUNIONSTORE", "u", "0", "z"],
            &["SET", "str", "v"],
            &["ZUNION", "2", "z", "str"],
            &["ZUNIONSTORE", "u", "2", "z", "str"],
            &["ZUNION", "2", "z", "str", "BADOPT"],
            &["ZADD", "inf", "inf", "a"],
            &["ZADD", "ninf", "-inf", "a"],
            &["ZUNION", "2", "inf", "ninf", "WITHSCORES"],
            &["ZUNION", "1", "inf", "WEIGHTS", "0", "WITHSCORES"],
        ],
    );
}

#[test]
fn pops_match_redis() {
    let pair = Pair::start();
    in_every_mode(
        &pair,
        &[
            &[
                "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
            ],
            &["ZPOPMIN", "z"],
            &["ZPOPMAX", "z"],
            &["ZPOPMIN", "z", "2"],
            &["ZPOPMIN", "z", "0"],
            &["ZPOPMIN", "z", "-1"],
            &["ZPOPMIN", "z", "x"],
            &["ZPOPMIN", "z", "1", "2"],
            &["ZPOPMAX", "z", "10"],
            &["EXISTS", "z"],
            &["ZPOPMIN", "nokey"],
            &["ZPOPMIN", "nokey", "2"],
            &["ZADD", "a", "1", "x", "2", "y"],
            &["ZADD", "b", "5", "p"],
            &["ZMPOP", "2", "nokey", "a", "MIN"],
            &["ZMPOP", "2", "nokey", "a", "MAX", "COUNT", "5"],
            &["ZMPOP", "2", "a", "b", "MAX", "COUNT", "5"],
            &["ZMPOP", "2", "a", "b", "MAX"],
            &["ZMPOP", "0", "a", "MIN"],
            &["ZMPOP", "1", "a", "MIDDLE"],
            &["ZMPOP", "1", "a", "MIN", "COUNT", "0"],
            &["ZMPOP", "1", "a", "MIN", "COUNT"],
            &["ZMPOP", "x", "a", "MIN"],
            &["ZMPOP", "1", "a", "MIN", "COUNT", "x"],
            &["BZMPOP", "0", "x", "a", "MIN"],
            &["ZMPOP", "5", "a", "MIN"],
            &["SET", "s", "v"],
            &["ZPOPMIN", "s"],
            &["ZMPOP", "2", "nokey", "s", "MIN"],
            &["ZADD", "c", "1", "x"],
            &["BZPOPMIN", "nokey", "c", "0"],
            &["BZPOPMAX", "c", "x"],
            &["BZPOPMAX", "c", "-1"],
            &["ZADD", "c", "1", "x", "2", "y"],
            &["BZPOPMAX", "c", "0"],
            &["BZMPOP", "0", "1", "c", "MIN", "COUNT", "3"],
            &["BZMPOP", "x", "1", "c", "MIN"],
            &["BZMPOP", "0", "0", "c", "MIN"],
            &["BZPOPMIN", "s", "0"],
        ],
    );
}

#[test]
fn zscan_and_zrandmember_match_redis_where_deterministic() {
    let pair = Pair::start();
    in_every_mode(
        &pair,
        &[
            &["ZADD", "z", "1", "a", "2.5", "b", "3", "c"],
            &["ZRANDMEMBER", "nokey"],
            &["ZRANDMEMBER", "nokey", "3"],
            &["ZRANDMEMBER", "z", "0"],
            &["ZRANDMEMBER", "z", "1", "2"],
            &["ZRANDMEMBER", "z", "x"],
            &["ZRANDMEMBER", "z", "-9223372036854775808"],
            &["ZRANDMEMBER", "z", "9223372036854775807", "WITHSCORES"],
            &["?ZRANDMEMBER", "z"],
            &["#ZRANDMEMBER", "z", "3", "WITHSCORES"],
            &["#ZRANDMEMBER", "z", "10"],
            &["ZSCAN", "nokey", "0"],
            &["ZSCAN", "z", "x"],
            &["ZSCAN", "z", "0", "COUNT", "0"],
            &["SET", "s", "v"],
            &["ZSCAN", "s", "0"],
            &["ZRANDMEMBER", "s"],
        ],
    );
    // ZSCAN of a listpack set returns it all at once, in order.
    same(
        &pair,
        &[
            &["ZADD", "small", "1", "a", "2.5", "b", "3", "c"],
            &["ZSCAN", "small", "0"],
            &["ZSCAN", "small", "0", "MATCH", "b*"],
        ],
    );
    // Over a skiplist, a full scan returns every member with its score.
    pair.each(|name, c| {
        let mut args = vec!["ZADD".to_string(), "big".to_string()];
        for i in 0..300 {
            args.push(format!("{}.5", i));
            args.push(format!("m{i}"));
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        c.cmd(&refs);
        let mut cursor = "0".to_string();
        let mut seen = std::collections::BTreeMap::new();
        loop {
            let reply = c.cmd(&["ZSCAN", "big", &cursor, "COUNT", "20"]);
            let RespValue::Array(parts) = reply else {
                panic!("{name}: ZSCAN reply {reply:?}")
            };
            let RespValue::Bulk(next) = &parts[0] else {
                panic!("{name}: cursor")
            };
            let RespValue::Array(items) = &parts[1] else {
                panic!("{name}: items")
            };
            for kv in items.chunks(2) {
                if let (RespValue::Bulk(k), RespValue::Bulk(v)) = (&kv[0], &kv[1]) {
                    seen.insert(k.clone(), v.clone());
                }
            }
            cursor = String::from_utf8_lossy(next).into_owned();
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), 300, "{name}");
        assert_eq!(
            seen.get(&b"m7"[..]).map(|v| v.as_slice()),
            Some(&b"7.5"[..]),
            "{name}"
        );
        let RespValue::Array(r) = c.cmd(&["ZRANDMEMBER", "big", "-500"]) else {
            panic!("{name}: ZRANDMEMBER")
        };
        assert_eq!(r.len(), 500, "{name}: negative counts repeat");
        let RespValue::Array(r) = c.cmd(&["ZRANDMEMBER", "big", "100"]) else {
            panic!("{name}: ZRANDMEMBER")
        };
        let distinct: std::collections::HashSet<_> = r.iter().map(|v| format!("{v:?}")).collect();
        assert_eq!(distinct.len(), 100, "{name}: positive counts are distinct");
    });
}

#[test]
fn sort_works_on_sorted_sets() {
    let pair = Pair::start();
    in_every_mode(
        &pair,
        &[
            &["ZADD", "z", "3", "10", "1", "2", "2", "33"],
            &["SORT", "z"],
            &["SORT", "z", "DESC"],
            &["SORT", "z", "ALPHA"],
            &["SORT", "z", "BY", "nosort"],
            &["SORT", "z", "BY", "nosort", "DESC"],
            &["SORT", "z", "BY", "nosort", "LIMIT", "1", "1"],
            &["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "0", "2"],
            &["SORT_RO", "z", "LIMIT", "0", "2"],
            &["SORT", "z", "STORE", "dst"],
            &["LRANGE", "dst", "0", "-1"],
        ],
    );
}

#[test]
fn type_object_and_generic_commands_see_sorted_sets() {
    let pair = Pair::start();
    in_every_mode(
        &pair,
        &[
            &["ZADD", "z", "1", "a", "2", "b"],
            &["TYPE", "z"],
            &["COPY", "z", "z2"],
            &["ZRANGE", "z2", "0", "-1", "WITHSCORES"],
            &["OBJECT", "ENCODING", "z2"],
            &["RENAME", "z2", "z3"],
            &["ZSCORE", "z3", "b"],
            &["?MEMORY", "USAGE", "z"],
            &["#KEYS", "z*"],
        ],
    );
}

// ---------------------------------------------------------------------------
// Blocking pops, on oxidis (multi-client timing)
// ---------------------------------------------------------------------------

fn read_reply(c: &mut Client) -> RespValue {
    c.read_reply()
}

#[test]
fn bzpopmin_blocks_until_a_member_arrives() {
    let server = Server::start();
    let mut waiter = server.client();
    let mut pusher = server.client();
    waiter.send(&["BZPOPMIN", "z1", "z2", "5"]);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        pusher.cmd(&["ZADD", "z2", "7", "m", "3", "n"]),
        RespValue::Integer(2)
    );
    assert_eq!(
        read_reply(&mut waiter),
        RespValue::Array(vec![
            RespValue::Bulk(b"z2".to_vec()),
            RespValue::Bulk(b"n".to_vec()),
            RespValue::Bulk(b"3".to_vec()),
        ])
    );
    assert_eq!(pusher.cmd(&["ZCARD", "z2"]), RespValue::Integer(1));
}

#[test]
fn bzpopmax_times_out_with_a_null_array_and_ignores_other_types() {
    let server = Server::start();
    let mut waiter = server.client();
    let mut other = server.client();
    let start = Instant::now();
    waiter.send(&["BZPOPMAX", "k", "0.3"]);
    std::thread::sleep(Duration::from_millis(50));
    // A list under the watched key does not wake a sorted-set waiter.
    other.cmd(&["RPUSH", "k", "x"]);
    assert_eq!(read_reply(&mut waiter), RespValue::NullArray);
    assert!(start.elapsed() >= Duration::from_millis(250));
}

#[test]
fn bzmpop_serves_waiters_in_order_and_pops_counts() {
    let server = Server::start();
    let mut first = server.client();
    let mut second = server.client();
    let mut pusher = server.client();
    first.send(&["BZMPOP", "5", "1", "z", "MAX", "COUNT", "2"]);
    std::thread::sleep(Duration::from_millis(50));
    second.send(&["BZPOPMIN", "z", "5"]);
    std::thread::sleep(Duration::from_millis(50));
    pusher.cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    assert_eq!(
        read_reply(&mut first),
        RespValue::Array(vec![
            RespValue::Bulk(b"z".to_vec()),
            RespValue::Array(vec![
                RespValue::Array(vec![
                    RespValue::Bulk(b"c".to_vec()),
                    RespValue::Bulk(b"3".to_vec())
                ]),
                RespValue::Array(vec![
                    RespValue::Bulk(b"b".to_vec()),
                    RespValue::Bulk(b"2".to_vec())
                ]),
            ]),
        ])
    );
    assert_eq!(
        read_reply(&mut second),
        RespValue::Array(vec![
            RespValue::Bulk(b"z".to_vec()),
            RespValue::Bulk(b"a".to_vec()),
            RespValue::Bulk(b"1".to_vec()),
        ])
    );
    assert_eq!(pusher.cmd(&["EXISTS", "z"]), RespValue::Integer(0));
}
