//! Propagation: the one path by which a write reaches the append-only
//! file (and, later, replicas).
//!
//! Chapter: chapters/21-aof.md
//!
//! A command that changed the dataset is recorded *after* it ran, as the
//! command that reproduces its effect deterministically:
//!
//! ```text
//!   client sends            dataset changes        propagated
//!   SET k v EX 10     ->    k = v, ttl 10 s    ->  SET k v PXAT 1767225600000
//!   SPOP s            ->    removed "x"        ->  SREM s x
//!   BLPOP q 0         ->    popped from q      ->  LPOP q
//!   GET k (expired)   ->    k deleted          ->  DEL k
//!   MULTI SET a 1 INCR b EXEC                  ->  MULTI SET a 1 INCR b EXEC
//! ```
//!
//! How a command is recognised as a write: `Server::dirty` counts changes
//! (every keyspace event counts one, see `notify::notify`), and `call`
//! compares it before and after the handler. A handler whose effect its
//! own argv would not reproduce states what to record instead with
//! `Ctx::propagate_as` (several commands, or none).
//!
//! Invariants:
//! 1. Ops of one top-level command, or of one EXEC, are fed together; when
//!    there is more than one, they are wrapped in MULTI ... EXEC so a
//!    reader applies all or none.
//! 2. Ops are fed in the order their changes happened: a key that expired
//!    during a command's lookup is deleted (DEL) before the command's own
//!    op.
//! 3. While the dataset is being loaded from disk nothing is fed: those
//!    changes are already in the files.
//!
//! Not here: writing and fsyncing the AOF (`persist/aof.rs`).

use super::{Ctx, Server};

/// One command to record, in the db it ran in.
#[derive(Debug, Clone, PartialEq)]
pub struct Op {
    pub db: usize,
    pub argv: Vec<Vec<u8>>,
}

/// The ops collected for the command (or EXEC) now running.
#[derive(Default)]
pub struct Pending {
    pub ops: Vec<Op>,
    /// Set by `Ctx::propagate_as`: record `replacement` instead of argv.
    pub replaced: bool,
    pub replacement: Vec<Op>,
    /// Inside EXEC: `flush` waits for the whole block.
    pub in_exec: bool,
}

impl Ctx<'_> {
    // ANCHOR: propagate_as
    /// Records `argvs` (in the client's db) for this command instead of
    /// its own argv. Called with an empty list, records nothing. May be
    /// called several times; the commands accumulate.
    pub fn propagate_as(&mut self, argvs: Vec<Vec<Vec<u8>>>) {
        let db = self.client.db;
        let p = &mut self.srv.pending;
        p.replaced = true;
        p.replacement
            .extend(argvs.into_iter().map(|argv| Op { db, argv }));
    }
    // ANCHOR_END: propagate_as
}

/// An argv from string pieces, for building replacement commands.
pub fn argv(parts: &[&[u8]]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.to_vec()).collect()
}

/// Queues DEL for a key that expiry removed (invariant 2).
pub fn expired(srv: &mut Server, db: usize, key: &[u8]) {
    if !srv.aof.is_on() || srv.loading {
        return; // nobody to feed: no copy (see `after_call`)
    }
    srv.pending.ops.push(Op {
        db,
        argv: vec![b"DEL".to_vec(), key.to_vec()],
    });
}

// ANCHOR: after_call
/// Called by `dispatch::call` after a handler ran: queues what it did.
pub fn after_call(srv: &mut Server, db: usize, argv: &[Vec<u8>], dirty_before: u64) {
    if !srv.aof.is_on() || srv.loading {
        // Nobody to feed: skip the copies (the common case without AOF).
        let p = &mut srv.pending;
        p.replaced = false;
        p.replacement.clear();
        p.ops.clear();
        return;
    }
    let p = &mut srv.pending;
    if p.replaced {
        p.replaced = false;
        let r = std::mem::take(&mut p.replacement);
        p.ops.extend(r);
    } else if srv.dirty != dirty_before {
        p.ops.push(Op {
            db,
            argv: argv.to_vec(),
        });
    }
    if !srv.pending.in_exec {
        flush(srv);
    }
}
// ANCHOR_END: after_call

// ANCHOR: flush
/// Feeds the queued ops to the AOF, wrapped in MULTI/EXEC when there is
/// more than one (invariant 1).
pub fn flush(srv: &mut Server) {
    if srv.pending.ops.is_empty() {
        return;
    }
    let ops = std::mem::take(&mut srv.pending.ops);
    if srv.loading || !srv.aof.is_on() {
        return; // invariant 3; nobody to feed
    }
    let wrap = ops.len() > 1;
    let first_db = ops[0].db;
    if wrap {
        crate::persist::aof::feed(srv, first_db, &[b"MULTI".to_vec()]);
    }
    for op in &ops {
        crate::persist::aof::feed(srv, op.db, &op.argv);
    }
    if wrap {
        let last_db = ops[ops.len() - 1].db;
        crate::persist::aof::feed(srv, last_db, &[b"EXEC".to_vec()]);
    }
}
// ANCHOR_END: flush

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv_builds_owned_parts() {
        assert_eq!(argv(&[b"DEL", b"k"]), vec![b"DEL".to_vec(), b"k".to_vec()]);
    }
}
