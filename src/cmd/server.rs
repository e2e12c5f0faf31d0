//! Server commands: INFO, DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, TIME,
//! SAVE, LASTSAVE, SHUTDOWN, MONITOR, SLOWLOG, LATENCY, MEMORY.
//!
//! Chapter: chapters/05-config-and-info.md
//!
//! Not here: CONFIG (`config.rs`), COMMAND (`command.rs`), DEBUG
//! (`debug.rs`), the INFO text itself (`server/info.rs`).

use super::flag::*;
use super::{acl, arg_i64, eq_ic, Command, ERR_SYNTAX};
use crate::resp::Reply;
use crate::server::client::flags;
use crate::server::Ctx;

const SLOWLOG_SUBS: &[Command] = &[
    Command::new("get", slowlog_get, -2, ADMIN | LOADING | STALE)
        .doc(
            "server",
            "2.2.12",
            "O(N) where N is the number of entries returned",
            "Get the slow log's entries",
        )
        .syntax("[count:integer]"),
    Command::new("len", slowlog_len, 2, ADMIN | LOADING | STALE).doc(
        "server",
        "2.2.12",
        "O(1)",
        "Get the slow log's length",
    ),
    Command::new("reset", slowlog_reset, 2, ADMIN | LOADING | STALE).doc(
        "server",
        "2.2.12",
        "O(N) where N is the number of entries in the slowlog",
        "Clear all entries from the slow log",
    ),
    Command::new("help", slowlog_help, 2, LOADING | STALE).doc(
        "server",
        "6.2.0",
        "O(1)",
        "Show helpful text about the different subcommands",
    ),
];

const LATENCY_SUBS: &[Command] = &[
    Command::new(
        "latest",
        latency_latest,
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
    )
    .doc(
        "server",
        "2.8.13",
        "O(1)",
        "Return the latest latency samples for all events.",
    ),
    Command::new(
        "history",
        latency_history,
        3,
        ADMIN | NOSCRIPT | LOADING | STALE,
    )
    .doc(
        "server",
        "2.8.13",
        "O(1)",
        "Return timestamp-latency samples for the event.",
    )
    .syntax("event:string"),
    Command::new(
        "reset",
        latency_reset,
        -2,
        ADMIN | NOSCRIPT | LOADING | STALE,
    )
    .doc(
        "server",
        "2.8.13",
        "O(1)",
        "Reset latency data for one or more events.",
    )
    .syntax("[event:string...]"),
    Command::new("help", latency_help, 2, LOADING | STALE).doc(
        "server",
        "2.8.13",
        "O(1)",
        "Show helpful text about the different subcommands.",
    ),
];

const MEMORY_SUBS: &[Command] = &[
    Command::new("usage", memory_usage, -3, READONLY)
        .keys(2, 2, 1)
        .doc(
            "server",
            "4.0.0",
            "O(N) where N is the number of samples.",
            "Estimate the memory usage of a key",
        )
        .syntax("key [SAMPLES count:integer]"),
    Command::new("stats", memory_stats, 2, 0).doc(
        "server",
        "4.0.0",
        "O(1)",
        "Show memory usage details",
    ),
    Command::new("doctor", memory_doctor, 2, 0).doc(
        "server",
        "4.0.0",
        "O(1)",
        "Outputs memory problems report",
    ),
    Command::new("malloc-stats", memory_malloc_stats, 2, 0).doc(
        "server",
        "4.0.0",
        "Depends on how much memory is allocated, could be slow",
        "Show allocator internal stats",
    ),
    Command::new("purge", memory_purge, 2, 0).doc(
        "server",
        "4.0.0",
        "Depends on how much memory is allocated, could be slow",
        "Ask the allocator to release memory",
    ),
    Command::new("help", memory_help, 2, LOADING | STALE).doc(
        "server",
        "4.0.0",
        "O(1)",
        "Show helpful text about the different subcommands",
    ),
];

pub static COMMANDS: &[Command] = &[
    Command::new("info", info, -1, LOADING | STALE | SENTINEL)
        .acl(acl::DANGEROUS)
        .doc("server", "1.0.0", "O(1)", "Get information and statistics about the server")
        .syntax("[section:string...]"),
    Command::new("dbsize", dbsize, 1, READONLY | FAST)
        .acl(acl::KEYSPACE)
        .doc("server", "1.0.0", "O(1)", "Return the number of keys in the selected database"),
    Command::new("flushdb", flushdb, -1, WRITE)
        .acl(acl::KEYSPACE | acl::DANGEROUS)
        .doc("server", "1.0.0", "O(N) where N is the total number of keys in all databases", "Remove all keys from the current database")
        .syntax("[ASYNC|SYNC]"),
    Command::new("flushall", flushall, -1, WRITE)
        .acl(acl::KEYSPACE | acl::DANGEROUS)
        .doc("server", "1.0.0", "O(N) where N is the total number of keys in all databases", "Remove all keys from all databases")
        .syntax("[ASYNC|SYNC]"),
    Command::new("swapdb", swapdb, 3, WRITE | FAST)
        .acl(acl::KEYSPACE | acl::DANGEROUS)
        .doc("server", "4.0.0", "O(N) where N is the count of clients watching or blocking on keys from both databases.", "Swaps two Redis databases")
        .syntax("index1:integer index2:integer"),
    Command::new("time", time, 1, LOADING | STALE | FAST)
        .doc("server", "2.6.0", "O(1)", "Return the current server time"),
    Command::new("lastsave", lastsave, 1, LOADING | STALE | FAST)
        .acl(acl::ADMIN | acl::DANGEROUS)
        .doc("server", "1.0.0", "O(1)", "Get the UNIX time stamp of the last successful save to disk"),
    Command::new("save", save, 1, ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("server", "1.0.0", "O(N) where N is the total number of keys in all databases", "Synchronously save the dataset to disk"),
    Command::new("shutdown", shutdown, -1, ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | SENTINEL | ALLOW_BUSY)
        .doc("server", "1.0.0", "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)", "Synchronously save the dataset to disk and then shut down the server")
        .syntax("[NOSAVE|SAVE] [NOW] [FORCE] [ABORT]"),
    Command::new("monitor", monitor, 1, ADMIN | NOSCRIPT | LOADING | STALE)
        .doc("server", "1.0.0", "", "Listen for all requests received by the server in real time"),
    Command::new("slowlog", super::command::container, -2, 0)
        .doc("server", "2.2.12", "Depends on subcommand.", "A container for slow log commands")
        .subs(SLOWLOG_SUBS),
    Command::new("latency", super::command::container, -2, 0)
        .doc("server", "2.8.13", "Depends on subcommand.", "A container for latency diagnostics commands")
        .subs(LATENCY_SUBS),
    Command::new("memory", super::command::container, -2, 0)
        .doc("server", "4.0.0", "Depends on subcommand.", "A container for memory diagnostics commands")
        .subs(MEMORY_SUBS),
];

fn info(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let sections: Vec<String> = argv[1..]
        .iter()
        .map(|a| String::from_utf8_lossy(a).to_lowercase())
        .collect();
    let text = crate::server::info::render(ctx.srv, ctx.client, &sections);
    Reply::Verbatim {
        format: *b"txt",
        text: text.into_bytes(),
    }
}

fn dbsize(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    Reply::Integer(ctx.db().len() as i64)
}

/// FLUSHDB/FLUSHALL take an optional ASYNC or SYNC; both free inline for
/// now (lazyfree comes with the memory chapter).
fn flush_mode_ok(argv: &[Vec<u8>]) -> bool {
    match argv.len() {
        1 => true,
        2 => eq_ic(&argv[1], "async") || eq_ic(&argv[1], "sync"),
        _ => false,
    }
}

fn flushdb(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    if !flush_mode_ok(argv) {
        return Reply::error(ERR_SYNTAX);
    }
    ctx.db().clear();
    ctx.srv.dirty += 1; // always propagated, even on an empty db, as Redis
    Reply::ok()
}

fn flushall(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    if !flush_mode_ok(argv) {
        return Reply::error(ERR_SYNTAX);
    }
    for db in ctx.srv.dbs.iter_mut() {
        db.clear();
    }
    ctx.srv.dirty += 1;
    Reply::ok()
}

fn swapdb(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let Some(a) = super::parse_i64(&argv[1]) else {
        return Reply::error("ERR invalid first DB index");
    };
    let Some(b) = super::parse_i64(&argv[2]) else {
        return Reply::error("ERR invalid second DB index");
    };
    let n = ctx.srv.dbs.len() as i64;
    if a < 0 || a >= n || b < 0 || b >= n {
        return Reply::error("ERR DB index is out of range");
    }
    let (a, b) = (a as usize, b as usize);
    if a != b {
        // Swap the data, not the clients blocked on each index: a client
        // blocked on db 0 waits on whatever db 0 now holds.
        let (lo, hi) = (a.min(b), a.max(b));
        let (left, right) = ctx.srv.dbs.split_at_mut(hi);
        let (x, y) = (&mut left[lo], &mut right[0]);
        // A watched key changes if it exists on either side (chapter 18).
        x.touch_all_watched(Some(&y.keys));
        y.touch_all_watched(Some(&x.keys));
        std::mem::swap(&mut x.keys, &mut y.keys);
        std::mem::swap(&mut x.expires, &mut y.expires);
        std::mem::swap(&mut x.avg_ttl, &mut y.avg_ttl);
        x.signal_existing_ready();
        y.signal_existing_ready();
    }
    ctx.srv.dirty += 1;
    Reply::ok()
}

fn time(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    let us = crate::server::unix_us();
    Reply::Array(vec![
        Reply::bulk((us / 1_000_000).to_string()),
        Reply::bulk((us % 1_000_000).to_string()),
    ])
}

fn lastsave(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    Reply::Integer(ctx.srv.lastsave_unix as i64)
}

/// SAVE: a synchronous snapshot (the server answers nothing else until
/// the file is on disk).
fn save(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    if ctx
        .srv
        .child
        .as_ref()
        .is_some_and(|c| c.kind == crate::server::child::ChildKind::Rdb)
    {
        return Reply::error("ERR Background save already in progress");
    }
    match crate::server::rdb::save(ctx.srv) {
        Ok(_) => Reply::ok(),
        Err(_) => Reply::error("ERR"),
    }
}

fn shutdown(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let mut abort = false;
    let (mut save, mut nosave, mut force) = (false, false, false);
    for a in &argv[1..] {
        if eq_ic(a, "abort") {
            abort = true;
        } else if eq_ic(a, "nosave") {
            nosave = true;
        } else if eq_ic(a, "save") {
            save = true;
        } else if eq_ic(a, "force") {
            force = true;
        } else if !eq_ic(a, "now") {
            return Reply::error(ERR_SYNTAX);
        }
    }
    if save && nosave {
        return Reply::error(ERR_SYNTAX);
    }
    if abort {
        if argv.len() > 2 {
            return Reply::error(ERR_SYNTAX);
        }
        return Reply::error("ERR No shutdown in progress.");
    }
    // SAVE, or save points without NOSAVE: snapshot first. A failed save
    // refuses the shutdown unless FORCE. The shutdown itself happens in
    // before_sleep, and the client gets no reply.
    if save || (!nosave && !ctx.srv.config.save.is_empty()) {
        crate::log!(Notice, "Saving the final RDB snapshot before exiting.");
        if crate::server::rdb::save(ctx.srv).is_err() && !force {
            crate::log!(Warning, "Error trying to save the DB, can't exit.");
            return Reply::error("ERR Errors trying to SHUTDOWN. Check logs.");
        }
    }
    ctx.srv.shutdown_requested = true;
    ctx.client.flags |= flags::CLOSE_ASAP;
    Reply::ok()
}

fn monitor(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    if !ctx.client.has(flags::MONITOR) {
        ctx.client.flags |= flags::MONITOR;
        ctx.srv.monitors.push(ctx.client.id);
    }
    Reply::ok()
}

// ---------------------------------------------------------------------------
// SLOWLOG
// ---------------------------------------------------------------------------

fn slowlog_get(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let count = if argv.len() == 3 {
        match super::parse_i64(&argv[2]) {
            Some(n) if n >= -1 => n,
            _ => return Reply::error("ERR count should be greater than or equal to -1"),
        }
    } else if argv.len() > 3 {
        return Reply::error("ERR wrong number of arguments for 'slowlog|get' command");
    } else {
        10
    };
    let take = if count == -1 {
        usize::MAX
    } else {
        count as usize
    };
    let entries = ctx
        .srv
        .slowlog
        .entries
        .iter()
        .take(take)
        .map(|e| {
            Reply::Array(vec![
                Reply::Integer(e.id as i64),
                Reply::Integer(e.time_sec as i64),
                Reply::Integer(e.duration_us as i64),
                Reply::Array(e.argv.iter().map(|a| Reply::Bulk(a.clone())).collect()),
                Reply::bulk(e.peer.clone()),
                Reply::bulk(e.client_name.clone()),
            ])
        })
        .collect();
    Reply::Array(entries)
}

fn slowlog_len(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    Reply::Integer(ctx.srv.slowlog.entries.len() as i64)
}

fn slowlog_reset(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    ctx.srv.slowlog.entries.clear();
    Reply::ok()
}

fn slowlog_help(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    super::help_reply(
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    )
}

// ---------------------------------------------------------------------------
// LATENCY (basic: LATEST, HISTORY, RESET)
// ---------------------------------------------------------------------------

fn latency_latest(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    let rows = ctx
        .srv
        .latency
        .events
        .iter()
        .filter_map(|(name, e)| {
            let &(t, ms) = e.history.back()?;
            Some(Reply::Array(vec![
                Reply::bulk(name.clone()),
                Reply::Integer(t as i64),
                Reply::Integer(ms as i64),
                Reply::Integer(e.max_ms as i64),
            ]))
        })
        .collect();
    Reply::Array(rows)
}

fn latency_history(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let name = String::from_utf8_lossy(&argv[2]).to_string();
    let rows = match ctx.srv.latency.events.get(&name) {
        Some(e) => e
            .history
            .iter()
            .map(|&(t, ms)| Reply::Array(vec![Reply::Integer(t as i64), Reply::Integer(ms as i64)]))
            .collect(),
        None => vec![],
    };
    Reply::Array(rows)
}

fn latency_reset(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let events = &mut ctx.srv.latency.events;
    if argv.len() == 2 {
        let n = events.len();
        events.clear();
        return Reply::Integer(n as i64);
    }
    let mut n = 0;
    for a in &argv[2..] {
        if events.remove(String::from_utf8_lossy(a).as_ref()).is_some() {
            n += 1;
        }
    }
    Reply::Integer(n)
}

fn latency_help(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    super::help_reply(
        "LATENCY",
        &[
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
        ],
    )
}

// ---------------------------------------------------------------------------
// MEMORY (basic)
// ---------------------------------------------------------------------------

fn memory_usage(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    if argv.len() == 5 && eq_ic(&argv[3], "samples") {
        if let Err(e) = arg_i64(&argv[4]) {
            return e;
        }
    } else if argv.len() != 3 {
        return Reply::error(ERR_SYNTAX);
    }
    let now = ctx.srv.now_ms;
    let key = &argv[2];
    match ctx.db().peek(key, now) {
        Some(o) => {
            // Dict node + key SDS + what the value owns on the heap.
            let key_bytes = crate::db::Key::new(key).heap_size();
            let bytes = crate::db::entry_overhead() + key_bytes + o.heap_size();
            Reply::Integer(bytes as i64)
        }
        None => Reply::Null,
    }
}

fn memory_stats(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    let used = crate::alloc::used_memory() as i64;
    let peak = crate::alloc::update_peak() as i64;
    let rss = crate::alloc::resident_set_size() as i64;
    let keys: usize = ctx.srv.dbs.iter().map(|d| d.len()).sum();
    let clients_mem: usize = ctx
        .srv
        .clients_sorted(ctx.client)
        .iter()
        .map(|c| c.querybuf.capacity() + c.out.memory() + crate::server::client::REPLY_CHUNK)
        .sum();
    let mut pairs = vec![
        (Reply::bulk("peak.allocated"), Reply::Integer(peak)),
        (Reply::bulk("total.allocated"), Reply::Integer(used)),
        (
            Reply::bulk("clients.normal"),
            Reply::Integer(clients_mem as i64),
        ),
    ];
    for (i, db) in ctx.srv.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        pairs.push((
            Reply::bulk(format!("db.{}", i)),
            Reply::Map(vec![
                (
                    Reply::bulk("overhead.hashtable.main"),
                    Reply::Integer(db.keys.memory_usage() as i64),
                ),
                (
                    Reply::bulk("overhead.hashtable.expires"),
                    Reply::Integer(db.expires.memory_usage() as i64),
                ),
            ]),
        ));
    }
    pairs.push((Reply::bulk("keys.count"), Reply::Integer(keys as i64)));
    pairs.push((
        Reply::bulk("keys.bytes-per-key"),
        Reply::Integer(if keys > 0 { used / keys as i64 } else { 0 }),
    ));
    pairs.push((
        Reply::bulk("rss-overhead.bytes"),
        Reply::Integer(rss - used),
    ));
    Reply::Map(pairs)
}

fn memory_doctor(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    let used = crate::alloc::used_memory();
    let text = if used < 5 * 1024 * 1024 {
        "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.".to_string()
    } else {
        "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.".to_string()
    };
    Reply::Verbatim {
        format: *b"txt",
        text: text.into_bytes(),
    }
}

fn memory_malloc_stats(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    Reply::Verbatim {
        format: *b"txt",
        text: b"Stats not supported for the current allocator".to_vec(),
    }
}

fn memory_purge(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    Reply::ok()
}

fn memory_help(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    super::help_reply(
        "MEMORY",
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    )
}
