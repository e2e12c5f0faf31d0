//! Chapter 19 checkpoint: pub/sub and keyspace notifications, checked
//! against a real Redis 7.0.
//!
//! What one connection sees (replies, subscribed-mode errors, RESP3
//! pushes to itself) is compared byte for byte with `same`. Delivery
//! between clients runs the same scenario on each server and asserts the
//! same explicit bytes. Keyspace events are compared as whole streams: a
//! subscriber listens to every event channel and to a `sync` channel, and
//! after each command the writer publishes on `sync`, so the subscriber
//! knows exactly which events belong to which command — no sleeping:
//!
//! ```text
//!   writer:      SET k v ─► PUBLISH sync 0 ─► LPUSH l a ─► PUBLISH sync 1
//!   subscriber:  new(k) set(k) <sync 0>        new(l) lpush(l) <sync 1>
//!                \______ events of 0 ____/     \_____ events of 1 _____/
//! ```
//!
//! Not here: transactions (ch18_transactions.rs), the flag-letter parser
//! of `notify-keyspace-events` (ch05_config.rs).

mod common;

use std::time::Duration;

use common::diff::{same, Pair};
use common::{Client, RespValue};

/// Two fresh connections to every server, after a FLUSHALL.
fn two_clients(pair: &Pair) -> Vec<(&'static str, Client, Client)> {
    pair.flushall();
    let a = pair.clients();
    let b = pair.clients();
    a.into_iter()
        .zip(b)
        .map(|((name, x), (_, y))| (name, x, y))
        .collect()
}

fn text(v: &RespValue) -> String {
    v.as_str().unwrap_or_default().to_string()
}

// ---------------------------------------------------------------------------
// Subscribing and publishing
// ---------------------------------------------------------------------------

#[test]
fn a_published_message_reaches_every_subscriber_and_publish_counts_them() {
    let pair = Pair::start();
    for (name, mut sub, mut publisher) in two_clients(&pair) {
        assert_eq!(
            sub.cmd_raw(&["SUBSCRIBE", "news", "chat"]),
            b"*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n",
            "{name}"
        );
        assert_eq!(
            sub.read_raw_reply(),
            b"*3\r\n$9\r\nsubscribe\r\n$4\r\nchat\r\n:2\r\n",
            "{name}"
        );
        assert_eq!(publisher.cmd_raw(&["PUBLISH", "news", "hello"]), b":1\r\n");
        assert_eq!(publisher.cmd_raw(&["PUBLISH", "nobody", "x"]), b":0\r\n");
        assert_eq!(
            sub.read_raw_reply(),
            b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n",
            "{name}"
        );
    }
}

#[test]
fn pattern_subscribers_get_pmessage_and_a_double_subscriber_gets_both() {
    let pair = Pair::start();
    for (name, mut sub, mut publisher) in two_clients(&pair) {
        sub.cmd(&["SUBSCRIBE", "news.tech"]);
        assert_eq!(
            sub.cmd_raw(&["PSUBSCRIBE", "news.*"]),
            b"*3\r\n$10\r\npsubscribe\r\n$6\r\nnews.*\r\n:2\r\n",
            "{name}"
        );
        assert_eq!(publisher.cmd_raw(&["PUBLISH", "news.tech", "x"]), b":2\r\n");
        assert_eq!(publisher.cmd_raw(&["PUBLISH", "news.art", "y"]), b":1\r\n");
        assert_eq!(publisher.cmd_raw(&["PUBSUB", "NUMPAT"]), b":1\r\n");
        assert_eq!(
            sub.read_raw_reply(),
            b"*3\r\n$7\r\nmessage\r\n$9\r\nnews.tech\r\n$1\r\nx\r\n"
        );
        assert_eq!(
            sub.read_raw_reply(),
            b"*4\r\n$8\r\npmessage\r\n$6\r\nnews.*\r\n$9\r\nnews.tech\r\n$1\r\nx\r\n"
        );
        assert_eq!(
            sub.read_raw_reply(),
            b"*4\r\n$8\r\npmessage\r\n$6\r\nnews.*\r\n$8\r\nnews.art\r\n$1\r\ny\r\n"
        );
    }
}

#[test]
fn shard_channels_are_their_own_namespace_and_count_apart() {
    let pair = Pair::start();
    for (name, mut sub, mut publisher) in two_clients(&pair) {
        sub.cmd(&["SUBSCRIBE", "a"]);
        assert_eq!(
            sub.cmd_raw(&["SSUBSCRIBE", "a"]),
            b"*3\r\n$10\r\nssubscribe\r\n$1\r\na\r\n:1\r\n",
            "{name}"
        );
        assert_eq!(publisher.cmd_raw(&["SPUBLISH", "a", "s"]), b":1\r\n");
        assert_eq!(
            sub.read_raw_reply(),
            b"*3\r\n$8\r\nsmessage\r\n$1\r\na\r\n$1\r\ns\r\n",
            "{name}"
        );
        assert_eq!(
            sub.cmd_raw(&["SUNSUBSCRIBE"]),
            b"*3\r\n$12\r\nsunsubscribe\r\n$1\r\na\r\n:0\r\n",
            "{name}"
        );
    }
}

#[test]
fn pubsub_introspection_matches_redis() {
    let pair = Pair::start();
    // A RESP3 connection may subscribe and keep running commands.
    same(
        &pair,
        &[
            &["?HELLO", "3"],
            &["SUBSCRIBE", "a"],
            &["SUBSCRIBE", "b"],
            &["PSUBSCRIBE", "p*"],
            &["SSUBSCRIBE", "s1"],
            &["#PUBSUB", "CHANNELS"],
            &["PUBSUB", "CHANNELS", "a*"],
            &["PUBSUB", "CHANNELS", "a", "b"],
            &["PUBSUB", "NUMSUB", "a", "zz"],
            &["PUBSUB", "NUMSUB"],
            &["PUBSUB", "NUMPAT"],
            &["PUBSUB", "NUMPAT", "x"],
            &["PUBSUB", "SHARDCHANNELS"],
            &["PUBSUB", "SHARDNUMSUB", "s1", "zz"],
            &["PUBSUB", "HELP"],
            &["PUBSUB", "NOSUCH"],
            &["PUBSUB"],
        ],
    );
}

#[test]
fn unsubscribing_confirms_each_channel_and_a_null_when_there_was_none() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["UNSUBSCRIBE"],
            &["PUNSUBSCRIBE"],
            &["SUNSUBSCRIBE"],
            &["UNSUBSCRIBE", "never"],
            &["SUBSCRIBE", "a", "b", "a"],
            &["PSUBSCRIBE", "p*"],
            &["UNSUBSCRIBE", "a"],
            &["UNSUBSCRIBE"],
            &["PUNSUBSCRIBE"],
            &["PING"],
        ],
    );
}

#[test]
fn a_subscribed_resp2_client_may_only_subscribe_ping_reset_and_quit() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SUBSCRIBE", "ch"],
            &["SET", "k", "v"],
            &["CLIENT", "LIST"],
            &["PUBSUB", "NUMPAT"],
            &["MULTI"],
            &["PING"],
            &["PING", "hi"],
            &["PSUBSCRIBE", "x*"],
            &["PUNSUBSCRIBE", "x*"],
            &["UNSUBSCRIBE", "ch"],
            &["SET", "k", "v"],
            &["PING"],
            &["SUBSCRIBE", "ch"],
            &["RESET"],
            &["GET", "k"],
        ],
    );
}

#[test]
fn under_resp3_messages_are_pushes_mixed_with_ordinary_replies() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["?HELLO", "3"],
            &["SUBSCRIBE", "a"],
            &["PSUBSCRIBE", "a*"],
            &["PING"],
            &["PUBLISH", "a", "to myself"],
            &["GET", "missing"],
            &["UNSUBSCRIBE"],
            &["PUNSUBSCRIBE"],
            &["UNSUBSCRIBE"],
        ],
    );
}

#[test]
fn subscribe_inside_exec_writes_its_confirmations_into_the_exec_reply() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["MULTI"],
            &["SET", "k", "v"],
            &["SUBSCRIBE", "x", "y"],
            &["PING"],
            &["EXEC"],
            &["PING"],
        ],
    );
}

#[test]
fn reset_and_disconnect_drop_every_subscription() {
    let pair = Pair::start();
    for (name, mut sub, mut other) in two_clients(&pair) {
        sub.cmd(&["SUBSCRIBE", "a"]);
        sub.cmd(&["PSUBSCRIBE", "p*"]);
        assert_eq!(sub.cmd_raw(&["RESET"]), b"+RESET\r\n", "{name}");
        assert_eq!(
            other.cmd_raw(&["PUBSUB", "NUMSUB", "a"]),
            b"*2\r\n$1\r\na\r\n:0\r\n",
            "{name}"
        );
        assert_eq!(other.cmd_raw(&["PUBSUB", "NUMPAT"]), b":0\r\n", "{name}");
        sub.cmd(&["SUBSCRIBE", "b"]);
        drop(sub);
        // The server notices the closed socket on its next loop turn.
        let mut left = 1;
        for _ in 0..100 {
            left = other.cmd(&["PUBLISH", "b", "x"]).as_int().unwrap_or(-1);
            if left == 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(left, 0, "{name}");
    }
}

#[test]
fn client_list_and_info_count_subscriptions() {
    let pair = Pair::start();
    for (name, mut sub, mut other) in two_clients(&pair) {
        sub.cmd(&["CLIENT", "SETNAME", "listener"]);
        sub.cmd(&["SUBSCRIBE", "a", "b"]);
        sub.read_reply();
        sub.cmd(&["PSUBSCRIBE", "p*"]);
        sub.cmd(&["SSUBSCRIBE", "s"]);
        let list = text(&other.cmd(&["CLIENT", "LIST"]));
        let line = list
            .lines()
            .find(|l| l.contains(" name=listener "))
            .unwrap_or_default();
        assert!(line.contains(" flags=P "), "{name}: {line}");
        assert!(line.contains(" sub=2 psub=1 ssub=1 "), "{name}: {line}");
        let info = text(&other.cmd(&["INFO", "stats"]));
        for field in [
            "pubsub_channels:2\r\n",
            "pubsub_patterns:1\r\n",
            "pubsubshard_channels:1\r\n",
        ] {
            assert!(info.contains(field), "{name}: no {field:?} in {info}");
        }
    }
}

#[test]
fn a_slow_subscriber_is_disconnected_by_the_output_limit_while_a_fast_one_goes_on() {
    let pair = Pair::start();
    const MESSAGES: usize = 400;
    let payload = "x".repeat(64 * 1024);
    for (name, mut slow, mut publisher) in two_clients(&pair) {
        publisher.cmd(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            // Room for 64 messages of lag: a busy machine can deschedule
            // the fast reader for a while, but the slow one never reads.
            "pubsub 4mb 0 0",
        ]);
        slow.cmd(&["SUBSCRIBE", "feed"]);
        let (_, mut fast) = pair
            .clients()
            .into_iter()
            .find(|(n, _)| *n == name)
            .expect("a client for this server");
        fast.cmd(&["SUBSCRIBE", "feed"]);
        // The fast subscriber reads everything on its own thread.
        let reader = std::thread::spawn(move || {
            fast.set_timeout(Duration::from_secs(20));
            let mut got = 0;
            while got < MESSAGES {
                let m = fast.read_reply();
                if m.as_array().is_some_and(|a| a.len() == 3) {
                    got += 1;
                }
            }
            (got, fast) // still subscribed for the NUMSUB below
        });
        for _ in 0..MESSAGES {
            publisher.cmd(&["PUBLISH", "feed", &payload]);
        }
        let (got, _fast) = reader.join().expect("reader thread");
        assert_eq!(got, MESSAGES, "{name}");
        // Only the fast subscriber is left.
        assert_eq!(
            publisher.cmd_raw(&["PUBSUB", "NUMSUB", "feed"]),
            b"*2\r\n$4\r\nfeed\r\n:1\r\n",
            "{name}"
        );
        publisher.cmd(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 32mb 8mb 60",
        ]);
    }
}

// ---------------------------------------------------------------------------
// Keyspace notifications
// ---------------------------------------------------------------------------

/// Runs `script` on each server with `notify-keyspace-events` set to
/// `flags`, and returns per server the events each command produced, as
/// "channel message" lines.
fn event_streams(pair: &Pair, flags: &str, script: &[&[&str]]) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for (name, mut writer, mut sub) in two_clients(pair) {
        writer.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
        writer.cmd(&["CONFIG", "SET", "notify-keyspace-events", flags]);
        sub.cmd(&["PSUBSCRIBE", "__key*__:*"]);
        sub.cmd(&["SUBSCRIBE", "sync"]);
        let mut lines = Vec::new();
        for (i, args) in script.iter().enumerate() {
            if args[0] == "@SLEEP" {
                let ms = args[1].parse().unwrap_or(0);
                std::thread::sleep(Duration::from_millis(ms));
                continue;
            }
            writer.cmd_raw(args);
            writer.cmd(&["PUBLISH", "sync", &i.to_string()]);
            let mut events = Vec::new();
            loop {
                let m = sub.read_reply();
                let parts: Vec<String> = m
                    .as_array()
                    .unwrap_or_default()
                    .iter()
                    .map(|p| String::from_utf8_lossy(p.as_bytes().unwrap_or_default()).to_string())
                    .collect();
                if parts.first().map(String::as_str) == Some("message") {
                    break; // the sync marker
                }
                events.push(format!("{} {}", parts[2], parts[3]));
            }
            lines.push(format!("{:?} -> {}", args, events.join(", ")));
        }
        writer.cmd(&["CONFIG", "SET", "notify-keyspace-events", ""]);
        writer.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
        out.push((name.to_string(), lines));
    }
    out
}

/// The event streams of every server must be identical; with no Redis
/// available, `expected` (a few lines) is checked on oxidis instead.
fn same_events(flags: &str, script: &[&[&str]], expected: &[&str]) {
    let pair = Pair::start();
    let streams = event_streams(&pair, flags, script);
    let (_, ours) = &streams[0];
    for want in expected {
        assert!(
            ours.iter().any(|l| l.contains(want)),
            "no line containing {want:?} in\n{}",
            ours.join("\n")
        );
    }
    for (name, theirs) in &streams[1..] {
        for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
            assert_eq!(a, b, "command {i}: oxidis vs {name}");
        }
        assert_eq!(ours.len(), theirs.len());
    }
}

#[test]
fn string_commands_publish_redis_event_names() {
    same_events(
        "KEA",
        &[
            &["SET", "k", "v"],
            &["SET", "k", "v", "NX"],
            &["SET", "k", "v", "EX", "100"],
            &["SETNX", "n", "v"],
            &["SETEX", "k", "100", "v"],
            &["GETEX", "k", "PERSIST"],
            &["GETEX", "k", "EX", "50"],
            &["GETSET", "k", "w"],
            &["GETDEL", "k"],
            &["MSET", "a", "1", "b", "2"],
            &["MSETNX", "a", "1", "c", "3"],
            &["APPEND", "a", "x"],
            &["APPEND", "new", "x"],
            &["SETRANGE", "a", "0", "zz"],
            &["SETRANGE", "a", "0", ""],
            &["INCR", "i"],
            &["DECRBY", "i", "5"],
            &["INCRBYFLOAT", "f", "1.5"],
            &["SETBIT", "bits", "3", "1"],
            &["SETBIT", "bits", "3", "1"],
            &["BITFIELD", "bf", "SET", "u8", "0", "7"],
            &["BITFIELD", "bf", "SET", "u8", "0", "7"],
            &["BITOP", "OR", "dst", "bits", "bf"],
            &["BITOP", "AND", "dst", "none1", "none2"],
        ],
        &[
            "__keyspace@0__:k set, __keyevent@0__:set k",
            "__keyspace@0__:i incrby, __keyevent@0__:incrby i",
        ],
    );
}

#[test]
fn generic_commands_publish_del_expire_rename_move_and_copy_events() {
    same_events(
        "KEA",
        &[
            &["SET", "k", "v"],
            &["EXPIRE", "k", "100"],
            &["PERSIST", "k"],
            &["PERSIST", "k"],
            &["RENAME", "k", "k2"],
            &["RENAMENX", "k2", "k3"],
            &["COPY", "k3", "k4"],
            &["COPY", "k3", "k4", "DB", "1"],
            &["MOVE", "k4", "2"],
            &["DEL", "k3", "k4", "nope"],
            &["SET", "e", "v"],
            &["EXPIREAT", "e", "1"],
            &["SET", "t", "v", "PXAT", "1"],
            &["UNLINK", "nope"],
        ],
        &["rename_from, __keyevent@0__:rename_from k"],
    );
}

#[test]
fn expired_events_fire_when_the_key_is_actually_removed() {
    same_events(
        "KEA",
        &[
            &["SET", "k", "v", "PX", "30"],
            &["@SLEEP", "60"],
            &["EXISTS", "other"],
            &["GET", "k"],
            &["SET", "j", "v", "PX", "30"],
            &["@SLEEP", "60"],
            &["SET", "j", "w"],
        ],
        &["__keyspace@0__:k expired, __keyevent@0__:expired k"],
    );
}

#[test]
fn list_commands_publish_push_pop_and_edit_events() {
    same_events(
        "KEA",
        &[
            &["LPUSH", "l", "a", "b", "c"],
            &["RPUSH", "l", "d"],
            &["LPUSHX", "nol", "x"],
            &["LINSERT", "l", "BEFORE", "a", "x"],
            &["LSET", "l", "0", "y"],
            &["LREM", "l", "0", "x"],
            &["LTRIM", "l", "0", "1"],
            &["LPOP", "l"],
            &["RPOP", "l"],
            &["RPUSH", "l", "a", "b", "c"],
            &["LMOVE", "l", "l2", "LEFT", "RIGHT"],
            &["RPOPLPUSH", "l", "l2"],
            &["RPOPLPUSH", "l", "l2"],
            &["RPOPLPUSH", "l2", "l2"],
            &["LMPOP", "1", "l2", "RIGHT", "COUNT", "10"],
            &["RPUSH", "b", "x"],
            &["BLPOP", "b", "1"],
            &["RPUSH", "s", "3", "1", "2"],
            &["SORT", "s", "STORE", "sorted"],
            &["SORT", "none", "STORE", "sorted"],
        ],
        &["__keyspace@0__:l lpop, __keyevent@0__:lpop l"],
    );
}

#[test]
fn hash_and_set_commands_publish_their_events() {
    same_events(
        "KEA",
        &[
            &["HSET", "h", "a", "1", "b", "2"],
            &["HSETNX", "h", "a", "1"],
            &["HSETNX", "h", "c", "1"],
            &["HINCRBY", "h", "n", "1"],
            &["HINCRBYFLOAT", "h", "f", "0.5"],
            &["HDEL", "h", "zz"],
            &["HDEL", "h", "a", "b", "c", "n", "f"],
            &["SADD", "s", "a", "b"],
            &["SADD", "s", "a"],
            &["SREM", "s", "a"],
            &["SMOVE", "s", "s2", "b"],
            &["SADD", "s", "x", "y"],
            &["SPOP", "s", "5"],
            &["SADD", "s", "a", "b"],
            &["SINTERSTORE", "d", "s", "s"],
            &["SUNIONSTORE", "d", "s", "none"],
            &["SDIFFSTORE", "d", "s", "s"],
        ],
        &["__keyspace@0__:h hdel, __keyevent@0__:hdel h, __keyspace@0__:h del, __keyevent@0__:del h"],
    );
}

#[test]
fn the_new_class_reports_key_creation_before_the_command_event() {
    same_events(
        "KEAn",
        &[
            &["SET", "k", "v"],
            &["SET", "k", "w"],
            &["RENAME", "k", "k2"],
            &["LMOVE", "src", "dst", "LEFT", "LEFT"],
            &["RPUSH", "src", "x"],
            &["LMOVE", "src", "dst", "LEFT", "LEFT"],
            &["SADD", "s", "m"],
            &["SMOVE", "s", "s2", "m"],
        ],
        &["__keyspace@0__:k new, __keyevent@0__:new k, __keyspace@0__:k set, __keyevent@0__:set k"],
    );
}

#[test]
fn only_the_enabled_classes_and_channel_kinds_are_published() {
    same_events(
        "El",
        &[&["SET", "k", "v"], &["LPUSH", "l", "a"], &["DEL", "l"]],
        &["[\"LPUSH\", \"l\", \"a\"] -> __keyevent@0__:lpush l"],
    );
    same_events(
        "K$",
        &[&["SET", "k", "v"], &["LPUSH", "l", "a"]],
        &["[\"SET\", \"k\", \"v\"] -> __keyspace@0__:k set"],
    );
}

#[test]
fn a_resp3_client_sees_events_about_its_own_writes_before_the_reply() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["?HELLO", "3"],
            &["CONFIG", "SET", "notify-keyspace-events", "KA"],
            &["SUBSCRIBE", "__keyspace@0__:k"],
            &["SET", "k", "v"],
            &["MULTI"],
            &["SET", "k", "w"],
            &["GET", "k"],
            &["DEL", "k"],
            &["EXEC"],
            &["CONFIG", "SET", "notify-keyspace-events", ""],
        ],
    );
}

#[test]
fn notify_keyspace_events_reads_back_in_redis_canonical_form() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["CONFIG", "SET", "notify-keyspace-events", "EKnxlg$"],
            &["CONFIG", "GET", "notify-keyspace-events"],
            &["CONFIG", "SET", "notify-keyspace-events", "AKEn"],
            &["CONFIG", "GET", "notify-keyspace-events"],
            &["CONFIG", "SET", "notify-keyspace-events", "Q"],
            &["CONFIG", "SET", "notify-keyspace-events", ""],
            &["CONFIG", "GET", "notify-keyspace-events"],
        ],
    );
}

#[test]
fn sorted_set_commands_publish_redis_event_names() {
    same_events(
        "KEA",
        &[
            &["ZADD", "z", "1", "a", "2", "b", "3", "c"],
            &["ZADD", "z", "1", "a"],
            &["ZADD", "z", "CH", "5", "a"],
            &["ZADD", "z", "INCR", "1", "a"],
            &["ZINCRBY", "z", "1", "b"],
            &["ZADD", "z", "NX", "9", "a"],
            &["ZREM", "z", "nope"],
            &["ZREM", "z", "c"],
            &["ZADD", "z", "4", "c", "5", "d", "6", "e"],
            &["ZREMRANGEBYRANK", "z", "0", "0"],
            &["ZREMRANGEBYSCORE", "z", "100", "200"],
            &["ZREMRANGEBYSCORE", "z", "0", "4"],
            &["ZADD", "l", "0", "a", "0", "b"],
            &["ZREMRANGEBYLEX", "l", "-", "+"],
            &["ZPOPMIN", "z"],
            &["ZPOPMAX", "z", "10"],
            &["ZPOPMAX", "z"],
            &["ZADD", "x", "1", "a", "2", "b"],
            &["ZADD", "y", "3", "b"],
            &["ZUNIONSTORE", "u", "2", "x", "y"],
            &["ZUNIONSTORE", "u", "2", "x", "y"],
            &["ZINTERSTORE", "i", "2", "x", "y"],
            &["ZDIFFSTORE", "d", "2", "x", "y"],
            &["ZINTERSTORE", "u", "2", "x", "nokey"],
            &["ZINTERSTORE", "u", "2", "x", "nokey"],
            &["ZRANGESTORE", "r", "x", "0", "0"],
            &["ZRANGESTORE", "r", "x", "5", "6"],
            &["ZMPOP", "2", "nokey", "x", "MIN", "COUNT", "5"],
            &["BZPOPMIN", "y", "0"],
            &["BZMPOP", "0", "1", "i", "MAX"],
        ],
        &["__keyevent@0__:zadd z", "__keyevent@0__:zpopmin z"],
    );
}

#[test]
fn read_lookups_that_miss_publish_keymiss() {
    same_events(
        "KEm",
        &[
            &["GET", "nokey"],
            &["SET", "k", "v"],
            &["GET", "k"],
            &["MGET", "k", "nokey", "other"],
            &["EXISTS", "nokey"],
            &["TYPE", "nokey"],
            &["HGET", "nohash", "f"],
            &["LRANGE", "nolist", "0", "-1"],
            &["SMEMBERS", "noset"],
            &["ZSCORE", "nozset", "m"],
            &["STRLEN", "nokey"],
            &["DEL", "nokey"],
            &["INCR", "counter"],
            &["LPUSH", "newlist", "x"],
        ],
        &["__keyevent@0__:keymiss nokey"],
    );
}
