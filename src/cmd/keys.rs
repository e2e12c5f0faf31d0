//! Generic key commands: DEL, UNLINK, EXISTS.
//!
//! Chapter: chapters/04-commands.md
//!
//! The first few commands over the keyspace; the keyspace chapter adds the
//! rest (EXPIRE, TTL, SCAN, RENAME, ...).
//!
//! Not here: the keyspace itself (`db/`).

use super::flag::*;
use super::{acl, Command};
use crate::resp::Reply;
use crate::server::Ctx;

pub static COMMANDS: &[Command] = &[
    Command::new("del", del, -2, WRITE)
        .keys(1, -1, 1)
        .acl(acl::KEYSPACE)
        .doc("generic", "1.0.0", "O(N) where N is the number of keys that will be removed.", "Delete a key")
        .syntax("key..."),
    Command::new("unlink", del, -2, WRITE | FAST)
        .keys(1, -1, 1)
        .acl(acl::KEYSPACE)
        .doc("generic", "4.0.0", "O(1) for each key removed regardless of its size.", "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.")
        .syntax("key..."),
    Command::new("exists", exists, -2, READONLY | FAST)
        .keys(1, -1, 1)
        .acl(acl::KEYSPACE)
        .doc("generic", "1.0.0", "O(N) where N is the number of keys to check.", "Determine if a key exists")
        .syntax("key..."),
];

// ANCHOR: del
fn del(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let now = ctx.srv.now_ms;
    let db = ctx.db();
    let removed = argv[1..].iter().filter(|k| db.delete(k, now)).count();
    Reply::Integer(removed as i64)
}
// ANCHOR_END: del

fn exists(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let now = ctx.srv.now_ms;
    let db = ctx.db();
    // Repeated keys count repeatedly, as in Redis.
    let n = argv[1..].iter().filter(|k| db.exists(k, now)).count();
    Reply::Integer(n as i64)
}
