//! Dispatch: from a parsed request to a reply in the client's buffer.
//!
//! Chapter: chapters/04-commands.md
//!
//! `execute` is Redis's processCommand: checks in a fixed order, and the
//! order is part of the behaviour clients see (an unknown command gets
//! "unknown command" even before AUTH). `call` is Redis's call(): the
//! handler and its bookkeeping, also used by EXEC for each queued command.
//!
//! ```text
//!   lookup ─► subcommand ─► arity ─► auth ─► loading ─► no-multi ─► subscribed
//!   (unknown)  (unknown      (wrong    (NOAUTH) (LOADING) (not in    (RESP2 only
//!               subcommand)   number)                     MULTI)     (P|S)SUB..)
//!      ─► misconf ─► pause ─► in MULTI? queue, +QUEUED
//!         (MISCONF)  (held)
//!      ─► call: handler ─► db events ─► propagate ─► stats, slowlog ─► monitor ─► reply
//! ```
//!
//! Every refusal before the queue step also marks a transaction being
//! queued as failed, so its EXEC answers EXECABORT.
//!
//! Invariants:
//! 1. Every request gets exactly one reply appended (unless CLIENT REPLY
//!    mutes it or the client is closing), and only through `add_reply`;
//!    whatever the command sent this client on the side (pub/sub
//!    messages) is appended before it.
//! 2. A handler runs only when the arity holds and the client may run it.
//! 3. `stats.commands[id].calls` counts executed calls; refusals count in
//!    `rejected_calls`, error replies of executed calls in `failed_calls`.
//!
//! Not here: the commands themselves (`cmd/`), socket I/O (`networking.rs`).

use std::time::Instant;

use super::client::{flags, ReplyMode};
use super::{networking, Client, Ctx, Deferred, PauseMode, Server};
use crate::cmd::{flag, Resolved};
use crate::resp::{self, Protocol, Reply};

// ANCHOR: execute
/// Runs one command for `c`. Returns false when the command was held back
/// by CLIENT PAUSE (parked in `c.held_argv`); true otherwise.
pub fn execute(srv: &mut Server, c: &mut Client, argv: Vec<Vec<u8>>) -> bool {
    srv.now_ms = super::unix_ms();
    let Some(resolved) = resolve(srv, c, &argv) else {
        return true; // the refusal was already replied
    };
    let cmd = resolved.cmd;
    if !c.authenticated && !cmd.has(flag::NO_AUTH) {
        reject(srv, c, &resolved, "NOAUTH Authentication required.");
        return true;
    }
    if srv.loading && c.conn.is_some() && !cmd.has(flag::LOADING) {
        reject(
            srv,
            c,
            &resolved,
            "LOADING Redis is loading the dataset in memory",
        );
        return true;
    }
    if c.has(flags::MULTI) && cmd.has(flag::NO_MULTI) {
        reject(
            srv,
            c,
            &resolved,
            "ERR Command not allowed inside a transaction",
        );
        return true;
    }
    if c.has(flags::PUBSUB) && c.resp == Protocol::Resp2 && !allowed_when_subscribed(&resolved) {
        let msg = format!(
            "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            resolved.full_name()
        );
        reject(srv, c, &resolved, &msg);
        return true;
    }
    if (cmd.has(flag::WRITE) || cmd.name == "ping") && !srv.loading {
        if let Some(msg) = super::rdb::writes_refused(srv) {
            reject(srv, c, &resolved, &msg);
            return true;
        }
    }
    if paused_for(srv, c, &resolved) {
        c.held_argv = Some(argv);
        c.flags |= flags::PAUSED;
        srv.paused_clients.push(c.fd);
        return false;
    }
    if c.has(flags::MULTI) && !runs_inside_multi(&resolved) {
        super::multi::queue(c, resolved, argv);
        add_reply_counted(srv, c, &Reply::simple("QUEUED"));
        return true;
    }

    if c.reply_mode == ReplyMode::SkipNext {
        c.reply_mode = ReplyMode::Skipping;
    }
    let reply = call(srv, c, resolved, &argv);
    absorb_deferred(srv, c);
    if c.blocked.is_some() {
        // The handler found nothing to pop and asked to wait: no reply
        // now; the client is woken by `blocking::serve_ready_keys`.
        super::blocking::register(srv, c);
    } else {
        add_reply(srv, c, &reply);
    }
    if c.reply_mode == ReplyMode::Skipping {
        c.reply_mode = ReplyMode::On;
    }
    if srv.dbs.iter().any(|d| !d.ready.is_empty()) {
        super::blocking::serve_ready_keys(srv);
        // Messages the woken clients' commands sent this client.
        absorb_deferred(srv, c);
    }
    true
}

/// Runs a command that passed every check: the handler, then the
/// bookkeeping around it (db events, statistics, slowlog, MONITOR). EXEC
/// calls it for each queued command. Redis's call().
pub fn call(srv: &mut Server, c: &mut Client, resolved: Resolved, argv: &[Vec<u8>]) -> Reply {
    let cmd = resolved.cmd;
    // Set before the call so CLIENT LIST shows the running command.
    c.last_cmd.clear();
    if let Some(p) = resolved.parent {
        c.last_cmd.push_str(p.name);
        c.last_cmd.push('|');
    }
    c.last_cmd.push_str(cmd.name);
    let start = Instant::now();
    let dirty_before = srv.dirty;
    let reply = {
        let mut ctx = Ctx {
            srv: &mut *srv,
            client: &mut *c,
        };
        (cmd.handler)(&mut ctx, argv)
    };
    let micros = start.elapsed().as_micros() as u64;
    srv.drain_expired();
    super::propagate::after_call(srv, c.db, argv, dirty_before);

    let st = &mut srv.stats.commands[resolved.id];
    st.calls += 1;
    st.usec += micros;
    if reply.is_error() {
        st.failed_calls += 1;
    }
    srv.stats.total_commands_processed += 1;
    c.commands_processed += 1;
    maybe_slowlog(srv, c, argv, micros, cmd.flags);
    // After the call, as Redis: inside EXEC the queued commands show up
    // before the EXEC that ran them, and SELECT shows the db it selected.
    if !srv.monitors.is_empty() && !cmd.has(flag::SKIP_MONITOR) && !cmd.has(flag::ADMIN) {
        feed_monitors(srv, c, argv);
    }
    if c.has(flags::DENY_BLOCKING) && c.blocked.is_some() {
        // Inside EXEC a blocking command cannot wait (multi.rs invariant
        // 4): it answers what its handler returned next to the call to
        // `block_on_keys` — the non-blocking form's answer (nil for
        // BLMOVE, a null array for BLPOP). Central here, so every blocking
        // command gets it for free.
        c.blocked = None;
    }
    reply
}

/// Commands that run at once inside MULTI instead of being queued.
fn runs_inside_multi(r: &Resolved) -> bool {
    r.parent.is_none()
        && matches!(
            r.cmd.name,
            "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
        )
}

/// What a RESP2 client may run while subscribed: its replies would be
/// indistinguishable from messages otherwise.
fn allowed_when_subscribed(r: &Resolved) -> bool {
    r.parent.is_none()
        && matches!(
            r.cmd.name,
            "ping"
                | "subscribe"
                | "ssubscribe"
                | "unsubscribe"
                | "sunsubscribe"
                | "psubscribe"
                | "punsubscribe"
                | "quit"
                | "reset"
        )
}

/// Re-runs the command of a client that was blocked and whose key became
/// ready. Like `execute` without the checks the command already passed
/// when it first ran, and without serving other clients (the caller's
/// loop does).
pub fn run_for_blocked(srv: &mut Server, c: &mut Client, argv: Vec<Vec<u8>>) {
    let Some(resolved) = srv.commands.get(&argv[0]) else {
        return;
    };
    let start = Instant::now();
    let dirty_before = srv.dirty;
    let reply = {
        let mut ctx = Ctx {
            srv: &mut *srv,
            client: &mut *c,
        };
        (resolved.cmd.handler)(&mut ctx, &argv)
    };
    srv.stats.commands[resolved.id].usec += start.elapsed().as_micros() as u64;
    srv.drain_expired();
    super::propagate::after_call(srv, c.db, &argv, dirty_before);
    absorb_deferred(srv, c);
    if c.blocked.is_none() {
        add_reply(srv, c, &reply);
    }
}

/// Hands `c` what was owed to it while it was out of the client table
/// (server invariant 3): messages go to its output in order, a WATCH
/// invalidation sets DIRTY_CAS.
pub fn absorb_deferred(srv: &mut Server, c: &mut Client) {
    if srv.deferred.is_empty() || !srv.deferred.iter().any(|(id, _)| *id == c.id) {
        return;
    }
    let all = std::mem::take(&mut srv.deferred);
    let (mine, others): (Vec<_>, Vec<_>) = all.into_iter().partition(|(id, _)| *id == c.id);
    srv.deferred = others;
    for (_, d) in mine {
        match d {
            Deferred::Message(mut bytes) => {
                if c.resp == Protocol::Resp3 {
                    bytes[0] = b'>';
                }
                add_reply_counted(srv, c, &Reply::Raw(bytes));
            }
            Deferred::DirtyCas => {
                super::multi::unwatch_all(srv, c);
                c.flags |= flags::DIRTY_CAS;
            }
        }
    }
}
// ANCHOR_END: execute

/// Finds the command (and subcommand) for `argv` and checks its arity,
/// replying with Redis's error when either fails.
fn resolve(srv: &mut Server, c: &mut Client, argv: &[Vec<u8>]) -> Option<Resolved> {
    let Some(top) = srv.commands.get(&argv[0]) else {
        let mut msg = format!(
            "ERR unknown command '{}', with args beginning with: ",
            crate::cmd::truncate_for_error(&String::from_utf8_lossy(&argv[0]))
        );
        for a in argv.iter().skip(1) {
            let a = crate::cmd::truncate_for_error(&String::from_utf8_lossy(a));
            if msg.len() + a.len() > 128 + 60 {
                break;
            }
            msg.push_str(&format!("'{}' ", a));
        }
        srv.stats.count_error(&msg);
        super::multi::flag_transaction(c);
        add_reply_counted(srv, c, &Reply::error(msg));
        return None;
    };
    let resolved = if top.cmd.subcommands.is_empty() || argv.len() < 2 {
        top
    } else {
        match srv.commands.get_sub(&top, &argv[1]) {
            Some(sub) => sub,
            None => {
                let reply = crate::cmd::unknown_subcommand(argv);
                reject_reply(srv, c, &top, reply);
                return None;
            }
        }
    };
    if !resolved.cmd.arity_ok(argv.len()) {
        let msg = format!(
            "ERR wrong number of arguments for '{}' command",
            resolved.full_name()
        );
        reject(srv, c, &resolved, &msg);
        return None;
    }
    Some(resolved)
}

fn reject(srv: &mut Server, c: &mut Client, r: &Resolved, msg: &str) {
    reject_reply(srv, c, r, Reply::error(msg.to_string()));
}

/// A refusal: counted, and fatal to a transaction being queued. A refused
/// EXEC (wrong arity) discards the transaction there and then, with the
/// reason in its EXECABORT (Redis's rejectCommand).
fn reject_reply(srv: &mut Server, c: &mut Client, r: &Resolved, reply: Reply) {
    srv.stats.commands[r.id].rejected_calls += 1;
    super::multi::flag_transaction(c);
    let reply = match reply {
        Reply::Error(e) if r.parent.is_none() && r.cmd.name == "exec" && c.has(flags::MULTI) => {
            super::multi::discard(srv, c);
            let why = e.strip_prefix("ERR ").unwrap_or(&e);
            Reply::error(format!(
                "EXECABORT Transaction discarded because of: {}",
                why
            ))
        }
        other => other,
    };
    if let Reply::Error(e) = &reply {
        srv.stats.count_error(e);
    }
    add_reply_counted(srv, c, &reply);
}

/// Should this command wait for CLIENT PAUSE to end? EXEC counts as a
/// write when anything it would run does.
fn paused_for(srv: &Server, c: &Client, r: &Resolved) -> bool {
    let mut cmd_flags = r.cmd.flags;
    if r.parent.is_none() && r.cmd.name == "exec" {
        cmd_flags |= c.mstate.as_ref().map_or(0, |m| m.cmd_flags);
    }
    let Some((mode, until)) = srv.pause else {
        return false;
    };
    if srv.now_ms >= until || c.conn.is_none() {
        return false;
    }
    match mode {
        PauseMode::All => true,
        PauseMode::Write => cmd_flags & (flag::WRITE | flag::MAY_REPLICATE) != 0,
    }
}

// ANCHOR: add_reply
/// Encodes `reply` for the client's protocol into its output buffer
/// (invariant 1) and checks the output limits.
pub fn add_reply(srv: &mut Server, c: &mut Client, reply: &Reply) {
    if let Reply::Error(e) = reply {
        // Errors of executed commands; refusals are counted by `reject`.
        if !c.replies_muted() {
            srv.stats.count_error(e);
        }
    }
    add_reply_counted(srv, c, reply);
}

/// Writes an array header straight to the output: EXEC's reply, whose
/// elements follow one by one.
pub fn add_reply_header(srv: &mut Server, c: &mut Client, len: usize) {
    let mut header = Vec::with_capacity(16);
    resp::reply::write_array_header(&mut header, len);
    add_reply_counted(srv, c, &Reply::Raw(header));
}

fn add_reply_counted(srv: &mut Server, c: &mut Client, reply: &Reply) {
    if c.replies_muted() || c.has(flags::CLOSE_ASAP) {
        return;
    }
    let proto = c.resp;
    c.out.append_with(|buf| resp::encode(reply, proto, buf));
    if c.out.pending() > super::client::REPLY_CHUNK {
        networking::check_output_limits(srv, c);
    }
}
// ANCHOR_END: add_reply

/// Appends raw protocol bytes to another client's output (MONITOR feed,
/// later pub/sub messages) and queues it for writing.
pub fn push_to_client(srv: &mut Server, id: u64, bytes: &[u8]) {
    let Some(target) = srv.client_by_id_mut(id) else {
        return;
    };
    let was_empty = target.out.pending() == 0;
    target.out.append(bytes);
    let fd = target.fd;
    let big = target.out.pending() > super::client::REPLY_CHUNK;
    if was_empty {
        srv.pending_write.push(fd);
    }
    if big {
        // The limits are checked against the target's own class.
        if let Some(mut t) = networking::take_client(srv, fd) {
            networking::check_output_limits(srv, &mut t);
            srv.clients[fd as usize] = Some(t);
        }
    }
}

/// `+1701356848.123456 [0 127.0.0.1:51234] "set" "k" "v"`
fn feed_monitors(srv: &mut Server, c: &Client, argv: &[Vec<u8>]) {
    let us = super::unix_us();
    let mut line = format!("+{}.{:06} [{} ", us / 1_000_000, us % 1_000_000, c.db);
    if c.has(flags::UNIX_SOCKET) {
        line.push_str(&format!("unix:{}", c.laddr));
    } else {
        line.push_str(&c.addr);
    }
    line.push(']');
    for a in argv {
        line.push(' ');
        line.push_str(&quote_arg(a));
    }
    line.push_str("\r\n");
    for id in srv.monitors.clone() {
        if id != c.id {
            push_to_client(srv, id, line.as_bytes());
        }
    }
}

/// Redis's sdscatrepr: a double-quoted string with C-style escapes.
pub fn quote_arg(a: &[u8]) -> String {
    let mut s = String::with_capacity(a.len() + 2);
    s.push('"');
    for &b in a {
        match b {
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            7 => s.push_str("\\a"),
            8 => s.push_str("\\b"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{:02x}", b)),
        }
    }
    s.push('"');
    s
}

fn maybe_slowlog(srv: &mut Server, c: &Client, argv: &[Vec<u8>], micros: u64, cmd_flags: u32) {
    let threshold_ms = srv.config.latency_monitor_threshold;
    let ms = micros / 1000;
    if threshold_ms > 0 && ms >= threshold_ms {
        srv.latency.add("command", srv.now_ms / 1000, ms);
    }
    let threshold = srv.config.slowlog_log_slower_than;
    if threshold < 0 || cmd_flags & flag::SKIP_SLOWLOG != 0 || (micros as i64) < threshold {
        return;
    }
    let entry = super::stats::SlowlogEntry {
        id: 0,
        time_sec: srv.now_ms / 1000,
        duration_us: micros,
        argv: argv.to_vec(),
        peer: c.addr.clone(),
        client_name: c
            .name
            .as_deref()
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_default(),
    };
    let max = srv.config.slowlog_max_len as usize;
    srv.slowlog.push(entry, max);
}
