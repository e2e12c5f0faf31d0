//! Chapter 18 checkpoint: MULTI/EXEC/DISCARD and WATCH, checked against a
//! real Redis 7.0.
//!
//! Single-connection behaviour (queuing, errors, nesting) is compared byte
//! for byte with `same`. WATCH needs a second client to change a key
//! behind the watcher's back, so those tests run one scenario on each
//! server and assert the same explicit outcome on both:
//!
//! ```text
//!   watcher: WATCH k ─────────────────────── MULTI, PING, EXEC ─► *-1 or *1 +PONG
//!   other:            <the modification> ─┘
//! ```
//!
//! There is one test per kind of modification, named after the claim.
//!
//! Not here: keyspace events fired inside EXEC (ch19_pubsub.rs).

mod common;

use std::time::Duration;

use common::diff::{same, Pair};
use common::Client;

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

/// Sends each command and reads its reply; `["@SLEEP", ms]` pauses.
fn run(c: &mut Client, script: &[&[&str]]) {
    for args in script {
        if args[0] == "@SLEEP" {
            let ms = args[1].parse().unwrap_or(0);
            std::thread::sleep(Duration::from_millis(ms));
            continue;
        }
        c.cmd_raw(args);
    }
}

// ---------------------------------------------------------------------------
// Queuing and EXEC
// ---------------------------------------------------------------------------

#[test]
fn multi_queues_commands_and_exec_answers_all_their_replies_in_one_array() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["MULTI"],
            &["SET", "k", "1"],
            &["INCR", "k"],
            &["GET", "k"],
            &["LPUSH", "l", "a", "b"],
            &["EXEC"],
            &["MULTI"],
            &["EXEC"],
            &["MULTI"],
            &["SET", "k", "2"],
            &["DISCARD"],
            &["GET", "k"],
        ],
    );
}

#[test]
fn a_command_refused_while_queuing_makes_exec_abort() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["MULTI"],
            &["SET", "k"],
            &["SET", "k", "v"],
            &["EXEC"],
            &["GET", "k"],
            &["MULTI"],
            &["NOSUCHCOMMAND", "x"],
            &["EXEC"],
            &["MULTI"],
            &["CLIENT", "NOSUCHSUB"],
            &["EXEC"],
            &["MULTI"],
            &["SHUTDOWN"],
            &["EXEC"],
            &["EXEC"],
        ],
    );
}

#[test]
fn runtime_errors_inside_exec_do_not_stop_the_other_commands() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["MULTI"],
            &["SET", "k", "v"],
            &["INCR", "k"],
            &["LPUSH", "k", "a"],
            &["APPEND", "k", "w"],
            &["EXEC"],
            &["GET", "k"],
        ],
    );
}

#[test]
fn nesting_watching_inside_multi_and_exec_or_discard_alone_are_errors() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["EXEC"],
            &["DISCARD"],
            &["UNWATCH"],
            &["MULTI"],
            &["MULTI"],
            &["WATCH", "k"],
            &["PING"],
            &["EXEC"],
            &["MULTI", "extra"],
            &["DISCARD", "extra"],
        ],
    );
}

#[test]
fn exec_with_wrong_arity_inside_multi_discards_and_says_why() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["MULTI"],
            &["SET", "k", "v"],
            &["EXEC", "extra"],
            &["EXEC"],
            &["GET", "k"],
        ],
    );
}

#[test]
fn select_inside_exec_changes_the_db_for_the_rest_of_the_queue() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["MULTI"],
            &["SELECT", "1"],
            &["SET", "a", "1"],
            &["EXEC"],
            &["GET", "a"],
            &["SELECT", "0"],
            &["GET", "a"],
        ],
    );
}

#[test]
fn reset_and_quit_inside_multi_are_not_queued() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["MULTI"],
            &["SET", "k", "v"],
            &["RESET"],
            &["EXEC"],
            &["GET", "k"],
        ],
    );
    pair.each(|name, c| {
        c.cmd(&["MULTI"]);
        assert_eq!(c.cmd_raw(&["QUIT"]), b"+OK\r\n", "{name}");
        c.expect_closed();
    });
}

#[test]
fn blocking_commands_inside_exec_time_out_at_once() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["MULTI"],
            &["BLPOP", "nolist", "0"],
            &["BRPOP", "nolist", "other", "0"],
            &["BRPOPLPUSH", "nolist", "dst", "0"],
            &["BLMOVE", "nolist", "dst", "LEFT", "RIGHT", "0"],
            &["BLMPOP", "0", "1", "nolist", "LEFT"],
            &["EXEC"],
            &["RPUSH", "full", "x"],
            &["MULTI"],
            &["BLPOP", "full", "0"],
            &["BLPOP", "full", "0"],
            &["EXEC"],
        ],
    );
}

#[test]
fn a_key_made_ready_inside_exec_wakes_blocked_clients_only_after_exec() {
    // If the blocked client were served in the middle of EXEC it would
    // take "a", and the queued LPOP would find nothing.
    let pair = Pair::start();
    for (name, mut a, mut b) in two_clients(&pair) {
        b.send(&["BLPOP", "l", "5"]);
        std::thread::sleep(Duration::from_millis(50));
        a.cmd(&["MULTI"]);
        a.cmd(&["LPUSH", "l", "a"]);
        a.cmd(&["LPOP", "l"]);
        a.cmd(&["LPUSH", "l", "b"]);
        assert_eq!(
            a.cmd_raw(&["EXEC"]),
            b"*3\r\n:1\r\n$1\r\na\r\n:1\r\n",
            "{name}"
        );
        assert_eq!(
            b.read_raw_reply(),
            b"*2\r\n$1\r\nl\r\n$1\r\nb\r\n",
            "{name}"
        );
    }
}

#[test]
fn client_list_shows_the_transaction_and_its_queue_length() {
    let pair = Pair::start();
    pair.each(|name, c| {
        c.cmd(&["MULTI"]);
        c.cmd(&["SET", "a", "1"]);
        c.cmd(&["GET", "a"]);
        c.cmd(&["EXEC"]);
        let info = c.cmd(&["CLIENT", "INFO"]);
        let text = info.as_str().unwrap_or_default().to_string();
        assert!(text.contains(" flags=N "), "{name}: {text}");
        assert!(text.contains(" multi=-1 "), "{name}: {text}");
    });
    // Inside MULTI, CLIENT INFO itself is queued: ask from another client.
    for (name, mut a, mut b) in two_clients(&pair) {
        a.cmd(&["CLIENT", "SETNAME", "txn"]);
        a.cmd(&["MULTI"]);
        a.cmd(&["SET", "a", "1"]);
        a.cmd(&["GET", "a"]);
        let list = b.cmd(&["CLIENT", "LIST"]);
        let text = list.as_str().unwrap_or_default().to_string();
        let line = text
            .lines()
            .find(|l| l.contains(" name=txn "))
            .unwrap_or_default();
        assert!(line.contains(" flags=x "), "{name}: {line}");
        assert!(line.contains(" multi=2 "), "{name}: {line}");
    }
}

// ---------------------------------------------------------------------------
// WATCH: one test per kind of modification
// ---------------------------------------------------------------------------

/// Runs `setup` on the watcher, WATCHes `keys`, runs `change` on another
/// client (or on the watcher when `self_change`), then MULTI/PING/EXEC,
/// and asserts whether EXEC ran.
fn watch_case(setup: &[&[&str]], keys: &[&str], change: &[&[&str]], expect_abort: bool) {
    watch_case_by(setup, keys, change, expect_abort, false);
}

fn watch_case_by(
    setup: &[&[&str]],
    keys: &[&str],
    change: &[&[&str]],
    expect_abort: bool,
    self_change: bool,
) {
    let pair = Pair::start();
    for (name, mut w, mut other) in two_clients(&pair) {
        run(&mut w, &[&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]]);
        run(&mut w, setup);
        let mut watch = vec!["WATCH"];
        watch.extend_from_slice(keys);
        assert_eq!(w.cmd_raw(&watch), b"+OK\r\n", "{name}");
        if self_change {
            run(&mut w, change);
        } else {
            run(&mut other, change);
        }
        w.cmd(&["MULTI"]);
        w.cmd(&["PING"]);
        let got = w.cmd_raw(&["EXEC"]);
        let want: &[u8] = if expect_abort {
            b"*-1\r\n"
        } else {
            b"*1\r\n+PONG\r\n"
        };
        assert_eq!(
            got,
            want,
            "{name}: setup {setup:?}, change {change:?}: EXEC answered {}",
            String::from_utf8_lossy(&got)
        );
        run(&mut w, &[&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]]);
    }
}

#[test]
fn watch_is_invalidated_by_another_client_writing_the_key() {
    watch_case(&[&["SET", "k", "1"]], &["k"], &[&["SET", "k", "2"]], true);
}

#[test]
fn watch_is_invalidated_by_the_watching_client_writing_the_key() {
    watch_case_by(&[&["SET", "k", "1"]], &["k"], &[&["INCR", "k"]], true, true);
}

#[test]
fn watch_is_invalidated_by_creating_a_watched_missing_key() {
    watch_case(&[], &["k"], &[&["LPUSH", "k", "a"]], true);
}

#[test]
fn watch_is_not_invalidated_by_writes_to_other_keys_or_reads() {
    watch_case(
        &[&["SET", "k", "1"]],
        &["k"],
        &[&["SET", "other", "2"], &["GET", "k"], &["EXISTS", "k"]],
        false,
    );
}

#[test]
fn watch_is_not_invalidated_by_a_command_that_changes_nothing() {
    watch_case(
        &[&["SADD", "s", "a"], &["RPUSH", "l", "x"]],
        &["s", "l"],
        &[
            &["SADD", "s", "a"],
            &["SREM", "s", "zz"],
            &["LREM", "l", "0", "zz"],
            &["DEL", "missing"],
        ],
        false,
    );
}

#[test]
fn watch_is_invalidated_by_del() {
    watch_case(&[&["SET", "k", "1"]], &["k"], &[&["DEL", "k"]], true);
}

#[test]
fn watch_is_invalidated_by_expire_and_persist() {
    watch_case(
        &[&["SET", "k", "1"]],
        &["k"],
        &[&["EXPIRE", "k", "100"]],
        true,
    );
    watch_case(
        &[&["SET", "k", "1", "EX", "100"]],
        &["k"],
        &[&["PERSIST", "k"]],
        true,
    );
}

#[test]
fn watch_is_invalidated_by_an_in_place_edit_of_a_collection() {
    watch_case(
        &[&["HSET", "h", "f", "1"]],
        &["h"],
        &[&["HINCRBY", "h", "f", "1"]],
        true,
    );
    watch_case(
        &[&["RPUSH", "l", "a", "b"]],
        &["l"],
        &[&["LPOP", "l"]],
        true,
    );
    watch_case(&[&["SADD", "s", "a"]], &["s"], &[&["SADD", "s", "b"]], true);
    watch_case(
        &[&["SET", "b", "x"]],
        &["b"],
        &[&["SETBIT", "b", "0", "1"]],
        true,
    );
}

#[test]
fn watch_is_invalidated_by_flushdb_when_the_key_exists() {
    watch_case(&[&["SET", "k", "1"]], &["k"], &[&["FLUSHDB"]], true);
}

#[test]
fn watch_of_a_missing_key_survives_flushdb() {
    watch_case(&[&["SET", "other", "1"]], &["k"], &[&["FLUSHDB"]], false);
}

#[test]
fn watch_is_invalidated_by_flushall() {
    watch_case(&[&["SET", "k", "1"]], &["k"], &[&["FLUSHALL"]], true);
}

#[test]
fn watch_is_invalidated_by_swapdb_when_the_key_exists_in_either_db() {
    watch_case(
        &[&["SET", "k", "1"]],
        &["k"],
        &[&["SWAPDB", "0", "1"]],
        true,
    );
    watch_case(
        &[],
        &["k"],
        &[
            &["SELECT", "1"],
            &["SET", "k", "1"],
            &["SELECT", "0"],
            &["SWAPDB", "0", "1"],
        ],
        true,
    );
    watch_case(
        &[&["SET", "other", "1"]],
        &["k"],
        &[&["SWAPDB", "0", "1"]],
        false,
    );
}

#[test]
fn watch_is_invalidated_by_rename_of_the_source_or_onto_the_destination() {
    watch_case(
        &[&["SET", "k", "1"]],
        &["k"],
        &[&["RENAME", "k", "n"]],
        true,
    );
    watch_case(
        &[&["SET", "src", "1"]],
        &["k"],
        &[&["RENAME", "src", "k"]],
        true,
    );
}

#[test]
fn watch_is_invalidated_by_move_and_copy() {
    watch_case(&[&["SET", "k", "1"]], &["k"], &[&["MOVE", "k", "1"]], true);
    watch_case(
        &[&["SET", "src", "1"]],
        &["k"],
        &[&["COPY", "src", "k"]],
        true,
    );
}

#[test]
fn watch_is_invalidated_by_a_key_expiring_between_watch_and_exec() {
    // Nobody touches the key: EXEC itself sees it is past its time.
    watch_case(
        &[&["SET", "k", "1", "PX", "50"]],
        &["k"],
        &[&["@SLEEP", "100"]],
        true,
    );
}

#[test]
fn watch_is_invalidated_when_lazy_expiry_deletes_the_key() {
    watch_case(
        &[&["SET", "k", "1", "PX", "50"]],
        &["k"],
        &[&["@SLEEP", "100"], &["GET", "k"]],
        true,
    );
}

#[test]
fn watch_of_a_key_already_expired_survives_its_removal() {
    // The key was logically gone when watched: deleting it changes nothing.
    watch_case(
        &[&["SET", "k", "1", "PX", "20"], &["@SLEEP", "60"]],
        &["k"],
        &[&["GET", "k"]],
        false,
    );
}

#[test]
fn unwatch_exec_and_discard_forget_the_watched_keys() {
    let pair = Pair::start();
    for (name, mut a, mut b) in two_clients(&pair) {
        for end in ["UNWATCH", "EXEC", "DISCARD"] {
            a.cmd(&["WATCH", "k"]);
            if end != "UNWATCH" {
                a.cmd(&["MULTI"]);
            }
            a.cmd(&[end]);
            b.cmd(&["SET", "k", "changed"]);
            a.cmd(&["MULTI"]);
            assert_eq!(a.cmd_raw(&["EXEC"]), b"*0\r\n", "{name} after {end:?}");
        }
    }
}

#[test]
fn a_dirty_watcher_shows_flag_d_in_client_info() {
    let pair = Pair::start();
    for (name, mut a, mut b) in two_clients(&pair) {
        a.cmd(&["WATCH", "k"]);
        b.cmd(&["SET", "k", "1"]);
        let text = a.cmd(&["CLIENT", "INFO"]);
        let text = text.as_str().unwrap_or_default().to_string();
        assert!(text.contains(" flags=d "), "{name}: {text}");
        a.cmd(&["UNWATCH"]);
        let text = a.cmd(&["CLIENT", "INFO"]);
        let text = text.as_str().unwrap_or_default().to_string();
        assert!(text.contains(" flags=N "), "{name}: {text}");
    }
}

#[test]
fn exec_replies_are_identical_under_resp3() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["?HELLO", "3"],
            &["MULTI"],
            &["SET", "k", "v"],
            &["GET", "nope"],
            &["HSET", "h", "f", "1"],
            &["HGETALL", "h"],
            &["EXEC"],
            &["WATCH", "k"],
            &["SET", "k", "w"],
            &["MULTI"],
            &["EXEC"],
        ],
    );
}
