//! Persistence commands: BGREWRITEAOF.
//!
//! Chapter: chapters/21-aof.md
//!
//! The commands only start work; the fork, the files and the bookkeeping
//! live in `persist/` and `server/child.rs`, and serverCron finishes what
//! a child started.
//!
//! Not here: CONFIG SET appendonly (`server::apply_config_change`).

use super::flag::*;
use super::{acl, Command};
use crate::resp::Reply;
use crate::server::child::ChildKind;
use crate::server::Ctx;

pub static COMMANDS: &[Command] =
    &[
        Command::new("bgrewriteaof", bgrewriteaof, 1, ADMIN | NOSCRIPT)
            .acl(acl::ADMIN | acl::DANGEROUS)
            .doc(
                "server",
                "1.0.0",
                "O(1)",
                "Asynchronously rewrite the append-only file",
            ),
    ];

// ANCHOR: bgrewriteaof
fn bgrewriteaof(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    match ctx.srv.child.as_ref().map(|c| c.kind) {
        Some(ChildKind::Aof) => {
            Reply::error("ERR Background append only file rewriting already in progress")
        }
        Some(ChildKind::Rdb) => {
            ctx.srv.aof.rewrite_scheduled = true;
            Reply::simple("Background append only file rewriting scheduled")
        }
        None => match crate::persist::aof::rewrite_background(ctx.srv) {
            Ok(_) => Reply::simple("Background append only file rewriting started"),
            Err(e) => {
                crate::log!(
                    Warning,
                    "Can't rewrite append only file in background: {}",
                    e
                );
                Reply::error("ERR Can't execute an AOF background rewriting. Please check the server logs for more information.")
            }
        },
    }
}
// ANCHOR_END: bgrewriteaof
