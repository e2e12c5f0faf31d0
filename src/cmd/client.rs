//! CLIENT and its subcommands: inspect and manage connections.
//!
//! Chapter: chapters/03-clients.md
//!
//! Invariants:
//! 1. CLIENT LIST prints one line per connected client in Redis 7.0's field
//!    order, so tools that parse it (redis-cli, monitoring agents) work.
//! 2. Killing another client only marks it (`close_asap`); the event loop
//!    closes it in `before_sleep`, never in the middle of its own command.
//!
//! Not here: the client structure itself (`server/client.rs`).

use super::flag::*;
use super::{acl, eq_ic, Command, ERR_SYNTAX};
use crate::resp::{Protocol, Reply};
use crate::server::client::{flags, Client, ClientClass, ReplyMode};
use crate::server::{Ctx, PauseMode, Server};

const SUBS: &[Command] = &[
    Command::new("id", id, 2, NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .doc("connection", "5.0.0", "O(1)", "Returns the client ID for the current connection"),
    Command::new("info", info, 2, NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .doc("connection", "6.2.0", "O(1)", "Returns information about the current client connection."),
    Command::new("list", list, -2, ADMIN | NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .doc("connection", "2.4.0", "O(N) where N is the number of client connections", "Get the list of client connections")
        .syntax("[TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id:integer...]"),
    Command::new("setname", setname, 3, NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .doc("connection", "2.6.9", "O(1)", "Set the current connection name")
        .syntax("connection-name:string"),
    Command::new("getname", getname, 2, NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .doc("connection", "2.6.9", "O(1)", "Get the current connection name"),
    Command::new("kill", kill, -3, ADMIN | NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .doc("connection", "2.4.0", "O(N) where N is the number of client connections", "Kill the connection of a client")
        .syntax("ip:port|[ID client-id:integer] [TYPE NORMAL|MASTER|SLAVE|REPLICA|PUBSUB] [USER username:string] [ADDR ip:port] [LADDR ip:port] [SKIPME yes/no:string]"),
    Command::new("pause", pause, -3, ADMIN | NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .doc("connection", "3.0.0", "O(1)", "Stop processing commands from clients for some time")
        .syntax("timeout:integer [WRITE|ALL]"),
    Command::new("unpause", unpause, 2, ADMIN | NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .doc("connection", "6.2.0", "O(N) Where N is the number of paused clients", "Resume processing of clients that were paused"),
    Command::new("reply", reply, 3, NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .doc("connection", "3.2.0", "O(1)", "Instruct the server whether to reply to commands")
        .syntax("ON|OFF|SKIP"),
    Command::new("no-evict", no_evict, 3, ADMIN | NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .doc("connection", "7.0.0", "O(1)", "Set client eviction mode for the current connection")
        .syntax("ON|OFF"),
    Command::new("setinfo", setinfo, 4, NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .doc("connection", "7.2.0", "O(1)", "Set client or connection specific info")
        .syntax("LIB-NAME libname:string|LIB-VER libver:string"),
    Command::new("unblock", unblock, -3, ADMIN | NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .doc("connection", "5.0.0", "O(log N) where N is the number of client connections", "Unblock a client blocked in a blocking command from a different connection")
        .syntax("client-id:integer [TIMEOUT|ERROR]"),
    Command::new("getredir", getredir, 2, NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .doc("connection", "6.0.0", "O(1)", "Get tracking notifications redirection client ID if any"),
    Command::new("help", help, 2, LOADING | STALE)
        .acl(acl::CONNECTION)
        .doc("connection", "5.0.0", "O(1)", "Show helpful text about the different subcommands"),
];

pub static COMMANDS: &[Command] = &[Command::new("client", container, -2, SENTINEL)
    .acl(acl::CONNECTION)
    .doc(
        "connection",
        "2.4.0",
        "Depends on subcommand.",
        "A container for client connection commands",
    )
    .subs(SUBS)];

/// Only reached for `CLIENT` alone, which fails the arity check first;
/// unknown subcommands are answered by dispatch.
fn container(_ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    super::unknown_subcommand(argv)
}

fn id(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    Reply::Integer(ctx.client.id as i64)
}

/// Client names may not contain spaces, newlines or special characters.
pub fn validate_name(name: &[u8]) -> Result<(), Reply> {
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        return Err(Reply::error(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    Ok(())
}

fn setname(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    if let Err(e) = validate_name(&argv[2]) {
        return e;
    }
    ctx.client.name = if argv[2].is_empty() {
        None
    } else {
        Some(argv[2].clone())
    };
    Reply::ok()
}

fn getname(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    match &ctx.client.name {
        Some(n) => Reply::Bulk(n.clone()),
        None => Reply::Null,
    }
}

fn setinfo(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let value = &argv[3];
    if value.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        return Reply::error(format!(
            "ERR {} cannot contain spaces, newlines or special characters.",
            String::from_utf8_lossy(&argv[2]).to_lowercase()
        ));
    }
    let v = if value.is_empty() {
        None
    } else {
        Some(value.clone())
    };
    if eq_ic(&argv[2], "lib-name") {
        ctx.client.lib_name = v;
    } else if eq_ic(&argv[2], "lib-ver") {
        ctx.client.lib_ver = v;
    } else {
        return Reply::error(format!(
            "ERR Unrecognized option '{}'",
            String::from_utf8_lossy(&argv[2])
        ));
    }
    Reply::ok()
}

/// CLIENT UNBLOCK id [TIMEOUT|ERROR]: 1 if the client was blocked.
fn unblock(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let Some(id) = super::parse_i64(&argv[2]) else {
        return Reply::error(super::ERR_NOT_INTEGER);
    };
    let with_error = match argv.get(3) {
        None => false,
        Some(a) if eq_ic(a, "timeout") => false,
        Some(a) if eq_ic(a, "error") => true,
        Some(_) => return Reply::error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"),
    };
    if argv.len() > 4 {
        return Reply::error(ERR_SYNTAX);
    }
    let reply = with_error.then(|| Reply::error("UNBLOCKED client unblocked via CLIENT UNBLOCK"));
    let done = crate::server::blocking::unblock_with(ctx.srv, id as u64, reply);
    Reply::Integer(done as i64)
}

fn getredir(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    Reply::Integer(-1) // no client-side caching yet
}

// ANCHOR: client_line
/// One CLIENT LIST line (invariant 1).
pub fn client_line(srv: &Server, c: &Client) -> String {
    let now = srv.now_ms;
    let mut fl = String::new();
    if c.has(flags::MONITOR) {
        fl.push('O');
    }
    if c.has(flags::PUBSUB) {
        fl.push('P');
    }
    if c.has(flags::MULTI) {
        fl.push('x');
    }
    if c.has(flags::BLOCKED) {
        fl.push('b');
    }
    if c.has(flags::DIRTY_CAS) {
        fl.push('d');
    }
    if c.has(flags::UNIX_SOCKET) {
        fl.push('U');
    }
    if c.has(flags::CLOSE_AFTER_REPLY) {
        fl.push('c');
    }
    if c.has(flags::CLOSE_ASAP) {
        fl.push('A');
    }
    if c.has(flags::NO_EVICT) {
        fl.push('e');
    }
    if fl.is_empty() {
        fl.push('N');
    }
    let qbuf = c.querybuf.len() - c.qb_pos;
    let qbuf_free = c.querybuf.capacity() - c.querybuf.len();
    let events = match (c.fd >= 0, c.out.pending() > 0) {
        (true, true) => "rw",
        (true, false) => "r",
        _ => "",
    };
    format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem=0 multi-mem={} rbs={} rbp={} obl={} oll={} omem={} tot-mem={} events={} cmd={} user=default redir=-1 resp={}",
        c.id,
        c.addr,
        c.laddr,
        c.fd,
        c.name.as_deref().map(String::from_utf8_lossy).unwrap_or_default(),
        now.saturating_sub(c.created_ms) / 1000,
        now.saturating_sub(c.last_interaction_ms) / 1000,
        fl,
        c.db,
        c.subs.channels.len(),
        c.subs.patterns.len(),
        c.subs.shard.len(),
        c.mstate.as_ref().map_or(-1, |m| m.commands.len() as i64),
        qbuf,
        qbuf_free,
        c.mstate.as_ref().map_or(0, |m| m.memory()),
        crate::server::client::REPLY_CHUNK,
        c.out.buf_len(),
        c.out.buf_len(),
        c.out.chunk_count(),
        c.out.memory(),
        c.querybuf.capacity() + c.out.memory() + crate::server::client::REPLY_CHUNK,
        events,
        c.last_cmd,
        if c.resp == Protocol::Resp3 { 3 } else { 2 },
    )
}
// ANCHOR_END: client_line

fn info(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    let mut line = client_line(ctx.srv, ctx.client);
    line.push('\n');
    Reply::Verbatim {
        format: *b"txt",
        text: line.into_bytes(),
    }
}

fn parse_class(arg: &[u8]) -> Result<Option<ClientClass>, Reply> {
    let s = String::from_utf8_lossy(arg).to_lowercase();
    match s.as_str() {
        "normal" => Ok(Some(ClientClass::Normal)),
        "replica" | "slave" => Ok(Some(ClientClass::Replica)),
        "pubsub" => Ok(Some(ClientClass::PubSub)),
        // No master link exists yet, so TYPE master matches nobody.
        "master" => Ok(None),
        _ => Err(Reply::error(format!(
            "ERR Unknown client type '{}'",
            String::from_utf8_lossy(arg)
        ))),
    }
}

fn list(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let mut class_filter: Option<Option<ClientClass>> = None;
    let mut ids: Option<Vec<u64>> = None;
    let mut i = 2;
    while i < argv.len() {
        if eq_ic(&argv[i], "type") && i + 1 < argv.len() {
            match parse_class(&argv[i + 1]) {
                Ok(c) => class_filter = Some(c),
                Err(e) => return e,
            }
            i += 2;
        } else if eq_ic(&argv[i], "id") && i + 1 < argv.len() {
            let mut v = Vec::new();
            for a in &argv[i + 1..] {
                match super::parse_i64(a) {
                    Some(id) if id > 0 => v.push(id as u64),
                    _ => return Reply::error("ERR Invalid client ID"),
                }
            }
            ids = Some(v);
            i = argv.len();
        } else {
            return Reply::error(ERR_SYNTAX);
        }
    }
    let mut out = String::new();
    for c in ctx.srv.clients_sorted(ctx.client) {
        if let Some(f) = class_filter {
            if f != Some(c.class()) {
                continue;
            }
        }
        if let Some(ids) = &ids {
            if !ids.contains(&c.id) {
                continue;
            }
        }
        out.push_str(&client_line(ctx.srv, c));
        out.push('\n');
    }
    Reply::Verbatim {
        format: *b"txt",
        text: out.into_bytes(),
    }
}

/// The filters of the new CLIENT KILL form; `None` fields match anything.
#[derive(Default)]
struct KillFilter {
    id: Option<u64>,
    class: Option<Option<ClientClass>>,
    user: Option<Vec<u8>>,
    addr: Option<Vec<u8>>,
    laddr: Option<Vec<u8>>,
    skipme: bool,
}

impl KillFilter {
    fn matches(&self, c: &Client, me: u64) -> bool {
        (self.id.is_none_or(|id| id == c.id))
            && (self.class.is_none_or(|cl| cl == Some(c.class())))
            && (self.user.as_ref().is_none_or(|u| u == b"default"))
            && (self.addr.as_ref().is_none_or(|a| a == c.addr.as_bytes()))
            && (self.laddr.as_ref().is_none_or(|a| a == c.laddr.as_bytes()))
            && !(self.skipme && c.id == me)
    }
}

fn kill(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    if argv.len() == 3 {
        // Old form: CLIENT KILL addr:port, replies OK or an error.
        let addr = &argv[2];
        let me = ctx.client.id;
        let target = ctx
            .srv
            .clients_sorted(ctx.client)
            .iter()
            .find(|c| c.addr.as_bytes() == addr.as_slice())
            .map(|c| c.id);
        return match target {
            Some(id) => {
                mark_for_close(ctx, id, me);
                Reply::ok()
            }
            None => Reply::error("ERR No such client"),
        };
    }
    let mut f = KillFilter {
        skipme: true,
        ..Default::default()
    };
    let mut i = 2;
    while i < argv.len() {
        if i + 1 >= argv.len() {
            return Reply::error(ERR_SYNTAX);
        }
        let (opt, val) = (&argv[i], &argv[i + 1]);
        if eq_ic(opt, "id") {
            match super::parse_i64(val) {
                Some(id) if id > 0 => f.id = Some(id as u64),
                _ => return Reply::error("ERR client-id should be greater than 0"),
            }
        } else if eq_ic(opt, "type") {
            match parse_class(val) {
                Ok(c) => f.class = Some(c),
                Err(e) => return e,
            }
        } else if eq_ic(opt, "user") {
            f.user = Some(val.clone());
        } else if eq_ic(opt, "addr") {
            f.addr = Some(val.clone());
        } else if eq_ic(opt, "laddr") {
            f.laddr = Some(val.clone());
        } else if eq_ic(opt, "skipme") {
            if eq_ic(val, "yes") {
                f.skipme = true;
            } else if eq_ic(val, "no") {
                f.skipme = false;
            } else {
                return Reply::error(ERR_SYNTAX);
            }
        } else {
            return Reply::error(ERR_SYNTAX);
        }
        i += 2;
    }
    let me = ctx.client.id;
    let victims: Vec<u64> = ctx
        .srv
        .clients_sorted(ctx.client)
        .iter()
        .filter(|c| f.matches(c, me))
        .map(|c| c.id)
        .collect();
    for &id in &victims {
        mark_for_close(ctx, id, me);
    }
    Reply::Integer(victims.len() as i64)
}

/// Invariant 2: the current client closes after its reply; others are
/// closed by the event loop.
fn mark_for_close(ctx: &mut Ctx, id: u64, me: u64) {
    if id == me {
        ctx.client.flags |= flags::CLOSE_AFTER_REPLY;
    } else if let Some(c) = ctx.srv.client_by_id_mut(id) {
        c.flags |= flags::CLOSE_ASAP;
        ctx.srv.close_asap.push(id);
    }
}

fn pause(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let ms = match super::parse_i64(&argv[2]) {
        Some(v) if v >= 0 => v as u64,
        _ => return Reply::error("ERR timeout is not an integer or out of range"),
    };
    let mode = if argv.len() == 3 || eq_ic(&argv[3], "all") {
        PauseMode::All
    } else if argv.len() == 4 && eq_ic(&argv[3], "write") {
        PauseMode::Write
    } else {
        return Reply::error("ERR CLIENT PAUSE mode must be WRITE or ALL");
    };
    let until = ctx.srv.now_ms + ms;
    // A second pause can only extend (and, like Redis, an ALL pause wins
    // over a WRITE one).
    let (mode, until) = match ctx.srv.pause {
        Some((old_mode, old_until)) => (
            if old_mode == PauseMode::All || mode == PauseMode::All {
                PauseMode::All
            } else {
                PauseMode::Write
            },
            old_until.max(until),
        ),
        None => (mode, until),
    };
    ctx.srv.pause = Some((mode, until));
    Reply::ok()
}

fn unpause(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    ctx.srv.pause = None;
    Reply::ok()
}

fn reply(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let c = &mut *ctx.client;
    if eq_ic(&argv[2], "on") {
        c.reply_mode = ReplyMode::On;
        Reply::ok()
    } else if eq_ic(&argv[2], "off") {
        c.reply_mode = ReplyMode::Off;
        Reply::ok() // muted: never sent
    } else if eq_ic(&argv[2], "skip") {
        // Takes effect for the next command, so this reply is muted too.
        if c.reply_mode == ReplyMode::On {
            c.reply_mode = ReplyMode::SkipNext;
        }
        Reply::ok()
    } else {
        Reply::error(ERR_SYNTAX)
    }
}

fn no_evict(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    if eq_ic(&argv[2], "on") {
        ctx.client.flags |= flags::NO_EVICT;
    } else if eq_ic(&argv[2], "off") {
        ctx.client.flags &= !flags::NO_EVICT;
    } else {
        return Reply::error(ERR_SYNTAX);
    }
    Reply::ok()
}

fn help(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    super::help_reply(
        "CLIENT",
        &[
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "SETINFO <option> <value>",
            "    Set client meta attr. Options are:",
            "    * LIB-NAME: the client lib name.",
            "    * LIB-VER: the client lib version.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
        ],
    )
}
