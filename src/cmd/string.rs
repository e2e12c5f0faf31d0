//! String commands (first part): GET and SET.
//!
//! Chapter: chapters/04-commands.md
//!
//! Enough of the string type to run `redis-benchmark -t set,get`; the
//! strings chapter completes the family (SET's options, INCR, APPEND, ...).
//!
//! Not here: value encodings (`db/`), expiry bookkeeping (`db/`).

use super::flag::*;
use super::{acl, eq_ic, parse_i64, Command, ERR_SYNTAX};
use crate::db::Value;
use crate::resp::Reply;
use crate::server::Ctx;

pub static COMMANDS: &[Command] = &[
    Command::new("get", get, 2, READONLY | FAST)
        .keys(1, 1, 1)
        .acl(acl::STRING)
        .doc("string", "1.0.0", "O(1)", "Get the value of a key")
        .syntax("key"),
    Command::new("set", set, -3, WRITE | DENYOOM)
        .keys(1, 1, 1)
        .acl(acl::STRING)
        .doc("string", "1.0.0", "O(1)", "Set the string value of a key")
        .syntax("key value:string [NX|XX] [GET] [EX seconds:integer|PX milliseconds:integer|EXAT unix-time-seconds:unix-time|PXAT unix-time-milliseconds:unix-time|KEEPTTL]"),
];

pub const ERR_WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

// ANCHOR: get
fn get(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let now = ctx.srv.now_ms;
    let found = ctx
        .db()
        .lookup(&argv[1], now)
        .map(|Value::Str(v)| v.clone());
    match found {
        Some(v) => {
            ctx.srv.stats.keyspace_hits += 1;
            Reply::Bulk(v)
        }
        None => {
            ctx.srv.stats.keyspace_misses += 1;
            Reply::Null
        }
    }
}
// ANCHOR_END: get

/// SET key value [NX|XX] [EX s|PX ms] — the options the strings chapter
/// extends with GET, EXAT, PXAT and KEEPTTL.
fn set(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let mut nx = false;
    let mut xx = false;
    let mut expire_ms: Option<u64> = None;
    let mut i = 3;
    while i < argv.len() {
        let a = &argv[i];
        if eq_ic(a, "nx") && !xx {
            nx = true;
        } else if eq_ic(a, "xx") && !nx {
            xx = true;
        } else if (eq_ic(a, "ex") || eq_ic(a, "px")) && expire_ms.is_none() && i + 1 < argv.len() {
            let n = match parse_i64(&argv[i + 1]) {
                Some(n) => n,
                None => return Reply::error(super::ERR_NOT_INTEGER),
            };
            if n <= 0 {
                return Reply::error("ERR invalid expire time in 'set' command");
            }
            let ms = if eq_ic(a, "ex") {
                (n as u64).saturating_mul(1000)
            } else {
                n as u64
            };
            expire_ms = Some(ctx.srv.now_ms.saturating_add(ms));
            i += 1;
        } else {
            return Reply::error(ERR_SYNTAX);
        }
        i += 1;
    }
    let now = ctx.srv.now_ms;
    let key = &argv[1];
    if nx || xx {
        let exists = ctx.db().exists(key, now);
        if (nx && exists) || (xx && !exists) {
            return Reply::Null;
        }
    }
    let db = ctx.db();
    db.set(key.clone(), Value::Str(argv[2].clone()));
    if let Some(when) = expire_ms {
        db.set_expire(key, when);
    }
    Reply::ok()
}
