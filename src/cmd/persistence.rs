//! Persistence commands: BGSAVE and BGREWRITEAOF.
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

#[rustfmt::skip]
pub static COMMANDS: &[Command] = &[
    Command::new("bgsave", bgsave, -1, ADMIN | NOSCRIPT)
        .acl(acl::ADMIN | acl::DANGEROUS)
        .doc("server", "1.0.0", "O(1)", "Asynchronously save the dataset to disk")
        .syntax("[SCHEDULE]"),
    Command::new("bgrewriteaof", bgrewriteaof, 1, ADMIN | NOSCRIPT)
        .acl(acl::ADMIN | acl::DANGEROUS)
        .doc("server", "1.0.0", "O(1)", "Asynchronously rewrite the append-only file"),
];

// ANCHOR: bgsave
fn bgsave(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let schedule = match argv.get(1) {
        None => false,
        Some(a) if argv.len() == 2 && super::eq_ic(a, "schedule") => true,
        Some(_) => return Reply::error(super::ERR_SYNTAX),
    };
    match ctx.srv.child.as_ref().map(|c| c.kind) {
        Some(ChildKind::Rdb) => Reply::error("ERR Background save already in progress"),
        Some(ChildKind::Aof) if schedule => {
            ctx.srv.bgsave.scheduled = true;
            Reply::simple("Background saving scheduled")
        }
        Some(ChildKind::Aof) => Reply::error(
            "ERR Another child process is active (AOF?): can't BGSAVE right now. \
             Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
        ),
        None => match crate::server::rdb::bgsave(ctx.srv) {
            Ok(_) => Reply::simple("Background saving started"),
            Err(_) => Reply::error("ERR"),
        },
    }
}
// ANCHOR_END: bgsave

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
