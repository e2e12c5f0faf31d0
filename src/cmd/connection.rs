//! Connection commands: PING, ECHO, QUIT, RESET, SELECT, HELLO, AUTH.
//!
//! Chapter: chapters/04-commands.md
//!
//! These change the connection's own state (selected db, protocol
//! version, authentication) rather than the dataset.
//!
//! Not here: CLIENT (`client.rs`), subscriptions and transactions that
//! RESET drops (`server/pubsub.rs`, `server/multi.rs`).

use super::flag::*;
use super::{acl, arg_i64, eq_ic, Command};
use crate::resp::{Protocol, Reply};
use crate::server::client::{flags, ReplyMode};
use crate::server::Ctx;

pub static COMMANDS: &[Command] = &[
    Command::new("ping", ping, -1, FAST | SENTINEL)
        .acl(acl::CONNECTION)
        .doc("connection", "1.0.0", "O(1)", "Ping the server")
        .syntax("[message:string]"),
    Command::new("echo", echo, 2, FAST)
        .acl(acl::CONNECTION)
        .doc("connection", "1.0.0", "O(1)", "Echo the given string")
        .syntax("message:string"),
    Command::new(
        "quit",
        quit,
        -1,
        ALLOW_BUSY | NO_AUTH | FAST | LOADING | STALE,
    )
    .acl(acl::CONNECTION)
    .doc("connection", "1.0.0", "O(1)", "Close the connection"),
    Command::new(
        "reset",
        reset,
        1,
        NOSCRIPT | LOADING | STALE | NO_AUTH | FAST | SENTINEL,
    )
    .acl(acl::CONNECTION)
    .doc("connection", "6.2.0", "O(1)", "Reset the connection"),
    Command::new("select", select, 2, LOADING | STALE | FAST)
        .acl(acl::CONNECTION)
        .doc(
            "connection",
            "1.0.0",
            "O(1)",
            "Change the selected database for the current connection",
        )
        .syntax("index:integer"),
    Command::new(
        "hello",
        hello,
        -1,
        NOSCRIPT | LOADING | STALE | NO_AUTH | FAST | SENTINEL,
    )
    .acl(acl::CONNECTION)
    .doc("connection", "6.0.0", "O(1)", "Handshake with Redis")
    .syntax(
        "[protover:integer [AUTH username:string password:string] [SETNAME clientname:string]]",
    ),
    Command::new(
        "auth",
        auth,
        -2,
        NOSCRIPT | LOADING | STALE | NO_AUTH | FAST | SENTINEL,
    )
    .acl(acl::CONNECTION)
    .doc(
        "connection",
        "1.0.0",
        "O(N) where N is the number of passwords defined for the user",
        "Authenticate to the server",
    )
    .syntax("[username:string] password:string"),
];

// ANCHOR: ping
pub fn ping(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    if argv.len() > 2 {
        return Reply::error("ERR wrong number of arguments for 'ping' command");
    }
    if ctx.client.has(flags::PUBSUB) && ctx.client.resp == Protocol::Resp2 {
        // A subscribed RESP2 client reads messages only: the answer has
        // to look like one (chapter 19).
        let payload = argv.get(1).cloned().unwrap_or_default();
        return Reply::Array(vec![Reply::bulk("pong"), Reply::Bulk(payload)]);
    }
    match argv.len() {
        1 => Reply::simple("PONG"),
        _ => Reply::Bulk(argv[1].clone()),
    }
}
// ANCHOR_END: ping

pub fn echo(_ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    Reply::Bulk(argv[1].clone())
}

pub fn quit(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    ctx.client.flags |= flags::CLOSE_AFTER_REPLY;
    Reply::ok()
}

pub fn reset(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    crate::server::multi::discard(ctx.srv, ctx.client);
    crate::server::pubsub::forget_client(ctx.srv, ctx.client);
    let c = &mut *ctx.client;
    c.db = 0;
    c.resp = Protocol::Resp2;
    c.name = None;
    c.reply_mode = ReplyMode::On;
    c.flags &= !(flags::MONITOR | flags::NO_EVICT | flags::MULTI | flags::PUBSUB);
    c.authenticated = ctx.srv.config.requirepass.is_empty();
    let id = c.id;
    ctx.srv.monitors.retain(|&m| m != id);
    Reply::simple("RESET")
}

pub fn select(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let index = match arg_i64(&argv[1]) {
        Ok(i) => i,
        Err(e) => return e,
    };
    if index < 0 || index as usize >= ctx.srv.dbs.len() {
        return Reply::error("ERR DB index is out of range");
    }
    ctx.client.db = index as usize;
    Reply::ok()
}

/// True when `user`/`pass` name the default user and its password.
fn credentials_ok(ctx: &Ctx, user: &[u8], pass: &[u8]) -> bool {
    let required = ctx.srv.config.requirepass.as_bytes();
    user == b"default" && (required.is_empty() || constant_time_eq(pass, required))
}

/// Compares without an early exit, so response time does not reveal how
/// many leading bytes of a guessed password were right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = (a.len() != b.len()) as u8;
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= x ^ y;
    }
    diff == 0
}

pub fn auth(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    if argv.len() > 3 {
        return Reply::error(super::ERR_SYNTAX);
    }
    let (user, pass): (&[u8], &[u8]) = if argv.len() == 2 {
        if ctx.srv.config.requirepass.is_empty() {
            return Reply::error(
                "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
            );
        }
        (b"default", &argv[1])
    } else {
        (&argv[1], &argv[2])
    };
    if credentials_ok(ctx, user, pass) {
        ctx.client.authenticated = true;
        Reply::ok()
    } else {
        Reply::error("WRONGPASS invalid username-password pair or user is disabled.")
    }
}

// ANCHOR: hello
pub fn hello(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let mut proto = None;
    let mut i = 1;
    if argv.len() >= 2 {
        match super::parse_i64(&argv[1]) {
            Some(v) if v == 2 || v == 3 => proto = Some(v),
            Some(_) => return Reply::error("NOPROTO unsupported protocol version"),
            None => return Reply::error("ERR Protocol version is not an integer or out of range"),
        }
        i = 2;
    }
    // Options are checked before anything is applied, as Redis does.
    let mut setname = None;
    let mut creds = None;
    while i < argv.len() {
        let more = argv.len() - i - 1;
        if eq_ic(&argv[i], "auth") && more >= 2 {
            creds = Some((argv[i + 1].clone(), argv[i + 2].clone()));
            i += 3;
        } else if eq_ic(&argv[i], "setname") && more >= 1 {
            setname = Some(argv[i + 1].clone());
            i += 2;
        } else {
            return Reply::error(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(&argv[i])
            ));
        }
    }
    if let Some((user, pass)) = creds {
        if !credentials_ok(ctx, &user, &pass) {
            return Reply::error("WRONGPASS invalid username-password pair or user is disabled.");
        }
        ctx.client.authenticated = true;
    }
    if !ctx.client.authenticated {
        return Reply::error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
    }
    if let Some(name) = setname {
        if let Err(e) = super::client::validate_name(&name) {
            return e;
        }
        ctx.client.name = if name.is_empty() { None } else { Some(name) };
    }
    if let Some(p) = proto {
        ctx.client.resp = if p == 3 {
            Protocol::Resp3
        } else {
            Protocol::Resp2
        };
    }
    let proto_num = if ctx.client.resp == Protocol::Resp3 {
        3
    } else {
        2
    };
    Reply::Map(vec![
        (Reply::bulk("server"), Reply::bulk("redis")),
        (
            Reply::bulk("version"),
            Reply::bulk(crate::server::info::REDIS_VERSION),
        ),
        (Reply::bulk("proto"), Reply::Integer(proto_num)),
        (Reply::bulk("id"), Reply::Integer(ctx.client.id as i64)),
        (Reply::bulk("mode"), Reply::bulk("standalone")),
        (Reply::bulk("role"), Reply::bulk("master")),
        (Reply::bulk("modules"), Reply::Array(vec![])),
    ])
}
// ANCHOR_END: hello

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
        assert!(!constant_time_eq(b"", b"x"));
    }
}
