//! Transaction commands: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! Chapter: chapters/18-transactions.md
//!
//! Thin wrappers: the queue, EXEC's loop and the watch registry live in
//! `server/multi.rs`, because they reach into dispatch and every db.
//! Dispatch decides what is queued; these five always run at once.
//!
//! Not here: queuing itself (`server/dispatch.rs`), noticing that a watched
//! key changed (`Db::touch`).

use super::flag::*;
use super::{acl, Command};
use crate::resp::Reply;
use crate::server::client::flags;
use crate::server::{multi, Ctx};

pub static COMMANDS: &[Command] = &[
    Command::new(
        "multi",
        multi_cmd,
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
    )
    .acl(acl::TRANSACTION)
    .doc(
        "transactions",
        "1.2.0",
        "O(1)",
        "Mark the start of a transaction block",
    ),
    Command::new("exec", exec, 1, NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG)
        .acl(acl::TRANSACTION)
        .doc(
            "transactions",
            "1.2.0",
            "Depends on commands in the transaction",
            "Execute all commands issued after MULTI",
        ),
    Command::new(
        "discard",
        discard,
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
    )
    .acl(acl::TRANSACTION)
    .doc(
        "transactions",
        "2.0.0",
        "O(N), when N is the number of queued commands",
        "Discard all commands issued after MULTI",
    ),
    Command::new(
        "watch",
        watch,
        -2,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
    )
    .keys(1, -1, 1)
    .acl(acl::TRANSACTION)
    .doc(
        "transactions",
        "2.2.0",
        "O(1) for every key.",
        "Watch the given keys to determine execution of the MULTI/EXEC block",
    )
    .syntax("key..."),
    Command::new(
        "unwatch",
        unwatch,
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
    )
    .acl(acl::TRANSACTION)
    .doc(
        "transactions",
        "2.2.0",
        "O(1)",
        "Forget about all watched keys",
    ),
];

fn multi_cmd(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    if ctx.client.has(flags::MULTI) {
        return Reply::error("ERR MULTI calls can not be nested");
    }
    multi::begin(ctx.client);
    Reply::ok()
}

fn exec(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    multi::exec(ctx)
}

fn discard(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    if !ctx.client.has(flags::MULTI) {
        return Reply::error("ERR DISCARD without MULTI");
    }
    multi::discard(ctx.srv, ctx.client);
    Reply::ok()
}

// ANCHOR: watch
fn watch(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    if ctx.client.has(flags::MULTI) {
        return Reply::error("ERR WATCH inside MULTI is not allowed");
    }
    for key in &argv[1..] {
        multi::watch(ctx.srv, ctx.client, key);
    }
    Reply::ok()
}
// ANCHOR_END: watch

fn unwatch(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    multi::unwatch_all(ctx.srv, ctx.client);
    Reply::ok()
}
