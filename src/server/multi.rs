//! Transactions: the queue behind MULTI/EXEC, and WATCH's optimistic lock.
//!
//! Chapter: chapters/18-transactions.md
//!
//! MULTI does not run anything: it only switches the client into queuing
//! mode, where dispatch stores each command and answers `+QUEUED`. EXEC
//! then runs the whole queue in one go. The server is single-threaded, so
//! nothing can run between two queued commands: atomicity is free. What a
//! transaction cannot do on its own is read a value and decide on it, so
//! WATCH adds a check-and-set: EXEC refuses to run if any watched key
//! changed since the WATCH.
//!
//! ```text
//!   client A                    server                         client B
//!   WATCH k  ───────────► db.watched[k] += A; A.watched += k
//!   GET k    ───────────► "1"
//!   MULTI    ───────────► A.flags |= MULTI
//!   SET k 2  ───────────► queued: +QUEUED
//!                                              ◄───────────── SET k 9
//!                         db.touch(k): dirty_watchers += A
//!                         after B's command: A.flags |= DIRTY_CAS
//!   EXEC     ───────────► DIRTY_CAS: reply *-1, run nothing
//! ```
//!
//! Invariants:
//! 1. `client.mstate` is Some iff the client has flag MULTI.
//! 2. A client's `watched` list and the dbs' `watched` dicts agree: (db, k)
//!    is in the list iff the client's id is among `dbs[db].watched[k]`,
//!    and a key's watcher list is never empty.
//! 3. Once set, DIRTY_CAS stays until EXEC, DISCARD, UNWATCH or RESET
//!    clears it, even though the dirty client's watches are dropped at
//!    once (nothing more can change the outcome).
//! 4. While EXEC runs its queue the client has DENY_BLOCKING: a blocking
//!    command answers its timeout reply instead of waiting.
//!
//! Not here: the commands' argument handling (`cmd/multi.rs`), deciding
//! what is queued (`dispatch.rs`), noticing modifications (`Db::touch`).

use super::client::flags;
use super::{dispatch, Client, Ctx, Server};
use crate::cmd::Resolved;
use crate::db::{Db, Watcher};
use crate::ds::sds::Sds;
use crate::resp::Reply;

/// One command waiting for EXEC.
pub struct Queued {
    pub cmd: Resolved,
    pub argv: Vec<Vec<u8>>,
}

/// The transaction being built (invariant 1).
#[derive(Default)]
pub struct MultiState {
    pub commands: Vec<Queued>,
    /// Flags of every queued command OR-ed together: EXEC of a queue with
    /// a write in it is a write, for CLIENT PAUSE WRITE.
    pub cmd_flags: u32,
}

impl MultiState {
    /// Bytes held by the queue (CLIENT LIST `multi-mem`).
    pub fn memory(&self) -> usize {
        self.commands
            .iter()
            .map(|q| {
                q.argv.iter().map(|a| a.capacity()).sum::<usize>()
                    + q.argv.capacity() * std::mem::size_of::<Vec<u8>>()
            })
            .sum()
    }
}

// ---------------------------------------------------------------------------
// Queuing
// ---------------------------------------------------------------------------

pub fn begin(c: &mut Client) {
    c.flags |= flags::MULTI;
    c.mstate = Some(Box::default());
}

// ANCHOR: queue
/// Stores a command for EXEC. Dispatch has already checked its name and
/// arity; anything it refused flagged the transaction instead.
pub fn queue(c: &mut Client, cmd: Resolved, argv: Vec<Vec<u8>>) {
    let state = c.mstate.get_or_insert_with(Box::default);
    state.cmd_flags |= cmd.cmd.flags;
    state.commands.push(Queued { cmd, argv });
}

/// A command was refused while queuing (unknown, wrong arity, not allowed
/// in MULTI): EXEC will answer EXECABORT. Redis's flagTransaction.
pub fn flag_transaction(c: &mut Client) {
    if c.has(flags::MULTI) {
        c.flags |= flags::DIRTY_EXEC;
    }
}
// ANCHOR_END: queue

/// Drops the queue and every watch (DISCARD, EXEC's end, RESET).
pub fn discard(srv: &mut Server, c: &mut Client) {
    c.mstate = None;
    c.flags &= !(flags::MULTI | flags::DIRTY_CAS | flags::DIRTY_EXEC);
    unwatch_all(srv, c);
}

// ---------------------------------------------------------------------------
// EXEC
// ---------------------------------------------------------------------------

// ANCHOR: exec
/// EXEC: answers EXECABORT if queuing failed, a null array if a watched
/// key changed, and otherwise runs the queue, writing the reply array
/// straight into the output buffer one element at a time — as Redis does,
/// so whatever a queued command adds to the client's output on the side
/// (a RESP3 keyspace event about its own write, or SUBSCRIBE's one reply
/// per channel) lands exactly where it lands with Redis.
pub fn exec(ctx: &mut Ctx) -> Reply {
    let (srv, c) = (&mut *ctx.srv, &mut *ctx.client);
    if !c.has(flags::MULTI) {
        return Reply::error("ERR EXEC without MULTI");
    }
    // A watched key that expired since the WATCH counts as changed even
    // if nobody has removed it yet (Redis 7.0's isWatchedKeyExpired).
    if watched_key_expired(srv, c) {
        c.flags |= flags::DIRTY_CAS;
    }
    if c.has(flags::DIRTY_EXEC) {
        discard(srv, c);
        return Reply::error("EXECABORT Transaction discarded because of previous errors.");
    }
    if c.has(flags::DIRTY_CAS) {
        discard(srv, c);
        return Reply::NullArray;
    }
    let state = c.mstate.take().unwrap_or_default();
    // Nothing this client watches matters any more: unwatch first, so the
    // queue's own writes do not flag it.
    unwatch_all(srv, c);
    c.flags &= !flags::MULTI;
    let denied_before = c.has(flags::DENY_BLOCKING);
    c.flags |= flags::DENY_BLOCKING;
    // Propagation collects the whole block and feeds it as one unit,
    // wrapped in MULTI/EXEC when it holds more than one write.
    dispatch::add_reply_header(srv, c, state.commands.len());
    srv.pending.in_exec = true;
    for q in &state.commands {
        let reply = dispatch::call(srv, c, q.cmd, &q.argv);
        dispatch::absorb_deferred(srv, c);
        dispatch::add_reply(srv, c, &reply);
    }
    srv.pending.in_exec = false;
    super::propagate::flush(srv);
    // The block went out above; EXEC itself is not a write to record.
    srv.pending.replaced = true;
    if !denied_before {
        c.flags &= !flags::DENY_BLOCKING;
    }
    discard(srv, c);
    Reply::Raw(Vec::new()) // already written
}
// ANCHOR_END: exec

/// Is any watched key past its expiry time now, though it was alive when
/// watched?
fn watched_key_expired(srv: &Server, c: &Client) -> bool {
    let now = srv.now_ms;
    c.watched.iter().any(|(dbi, key)| {
        let db = &srv.dbs[*dbi];
        let was_dead = db
            .watched
            .get(key.as_bytes())
            .and_then(|ws| ws.iter().find(|w| w.client_id == c.id))
            .is_some_and(|w| w.expired);
        !was_dead && db.is_logically_expired(key.as_bytes(), now)
    })
}

// ---------------------------------------------------------------------------
// WATCH
// ---------------------------------------------------------------------------

// ANCHOR: watch
/// Adds `key` of the client's db to its watches (invariant 2). Watching a
/// key twice is a no-op.
pub fn watch(srv: &mut Server, c: &mut Client, key: &[u8]) {
    let dbi = c.db;
    if c.watched
        .iter()
        .any(|(d, k)| *d == dbi && k.as_bytes() == key)
    {
        return;
    }
    let db = &mut srv.dbs[dbi];
    let w = Watcher {
        client_id: c.id,
        fd: c.fd,
        expired: db.is_logically_expired(key, srv.now_ms),
    };
    match db.watched.get_mut(key) {
        Some(list) => list.push(w),
        None => {
            db.watched.insert(Sds::new(key), vec![w]);
        }
    }
    c.watched.push((dbi, Sds::new(key)));
}
// ANCHOR_END: watch

/// Forgets every watch of `c` (invariant 2) and its DIRTY_CAS flag.
pub fn unwatch_all(srv: &mut Server, c: &mut Client) {
    unwatch_all_in(&mut srv.dbs, c);
}

/// `unwatch_all` on the dbs alone, for callers that hold other parts of
/// the server borrowed.
pub fn unwatch_all_in(dbs: &mut [Db], c: &mut Client) {
    c.flags &= !flags::DIRTY_CAS;
    for (dbi, key) in c.watched.drain(..) {
        let Some(db) = dbs.get_mut(dbi) else {
            continue;
        };
        let empty = match db.watched.get_mut(key.as_bytes()) {
            Some(list) => {
                list.retain(|w| w.client_id != c.id);
                list.is_empty()
            }
            None => false,
        };
        if empty {
            db.watched.remove(key.as_bytes());
        }
    }
}

// ANCHOR: dirty
/// Turns the watchers that `Db::touch` collected into DIRTY_CAS flags.
/// Run after every command (and expiry cycle). A client out of the client
/// table (the one running the command) gets the flag through
/// `Server::deferred`. A dirty client's watches are dropped at once: EXEC
/// will fail whatever else changes, so there is no point tracking more.
pub fn flag_dirty_watchers(srv: &mut Server) {
    for dbi in 0..srv.dbs.len() {
        if srv.dbs[dbi].dirty_watchers.is_empty() {
            continue;
        }
        let dirty = std::mem::take(&mut srv.dbs[dbi].dirty_watchers);
        for (id, fd) in dirty {
            let Server {
                clients,
                dbs,
                deferred,
                ..
            } = &mut *srv;
            match clients
                .get_mut(fd as usize)
                .and_then(|s| s.as_mut())
                .filter(|t| t.id == id)
            {
                Some(t) => {
                    unwatch_all_in(dbs, t);
                    t.flags |= flags::DIRTY_CAS;
                }
                None => deferred.push((id, super::Deferred::DirtyCas)),
            }
        }
    }
}
// ANCHOR_END: dirty

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::object::string_object;

    fn client(id: u64) -> Client {
        Client::new(id, None, String::new(), String::new(), 0)
    }

    fn check_invariants(srv: &Server, clients: &[&Client]) {
        for c in clients {
            assert_eq!(c.mstate.is_some(), c.has(flags::MULTI));
            for (dbi, key) in &c.watched {
                let list = srv.dbs[*dbi]
                    .watched
                    .get(key.as_bytes())
                    .expect("a watched key has a watcher list");
                assert!(list.iter().any(|w| w.client_id == c.id));
            }
        }
        for db in &srv.dbs {
            for (key, list) in db.watched.iter() {
                assert!(!list.is_empty(), "empty watcher list for {:?}", key);
                for w in list {
                    let c = clients
                        .iter()
                        .find(|c| c.id == w.client_id)
                        .expect("a watcher is a known client");
                    assert!(c
                        .watched
                        .iter()
                        .any(|(d, k)| *d == db.id && k.as_bytes() == key.as_bytes()));
                }
            }
        }
    }

    #[test]
    fn watching_twice_registers_once_and_unwatch_removes_everything() {
        let mut srv = Server::new(crate::config::Config::default());
        let mut a = client(1);
        let mut b = client(2);
        watch(&mut srv, &mut a, b"k");
        watch(&mut srv, &mut a, b"k");
        watch(&mut srv, &mut b, b"k");
        check_invariants(&srv, &[&a, &b]);
        assert_eq!(srv.dbs[0].watched.get(&b"k"[..]).map(|l| l.len()), Some(2));
        unwatch_all(&mut srv, &mut a);
        check_invariants(&srv, &[&a, &b]);
        unwatch_all(&mut srv, &mut b);
        check_invariants(&srv, &[&a, &b]);
        assert!(srv.dbs[0].watched.is_empty());
    }

    #[test]
    fn a_write_to_a_watched_key_queues_its_watchers_and_nothing_else() {
        let mut srv = Server::new(crate::config::Config::default());
        let mut a = client(1);
        watch(&mut srv, &mut a, b"k");
        srv.dbs[0].set(b"other", string_object(b"v", 0), false);
        assert!(srv.dbs[0].dirty_watchers.is_empty());
        srv.dbs[0].set(b"k", string_object(b"v", 0), false);
        assert_eq!(srv.dbs[0].dirty_watchers, vec![(1, -1)]);
        // Not in the client table: the flag waits in `deferred`.
        flag_dirty_watchers(&mut srv);
        assert!(srv.dbs[0].dirty_watchers.is_empty());
        assert!(matches!(
            srv.deferred.as_slice(),
            [(1, super::super::Deferred::DirtyCas)]
        ));
        check_invariants(&srv, &[&a]);
    }

    #[test]
    fn removing_a_key_that_was_already_dead_when_watched_is_no_change() {
        let mut srv = Server::new(crate::config::Config::default());
        srv.now_ms = 1000;
        srv.dbs[0].set(b"k", string_object(b"v", 0), false);
        srv.dbs[0].set_expire(b"k", 500);
        let mut a = client(1);
        watch(&mut srv, &mut a, b"k");
        srv.dbs[0].expire_if_needed(b"k", 1000);
        assert!(srv.dbs[0].dirty_watchers.is_empty());
        // From now on it is an ordinary absent key: creating it counts.
        srv.dbs[0].set(b"k", string_object(b"v", 0), false);
        assert_eq!(srv.dbs[0].dirty_watchers.len(), 1);
    }

    #[test]
    fn flushing_touches_only_watched_keys_that_exist() {
        let mut srv = Server::new(crate::config::Config::default());
        let mut a = client(1);
        let mut b = client(2);
        srv.dbs[0].set(b"here", string_object(b"v", 0), false);
        watch(&mut srv, &mut a, b"here");
        watch(&mut srv, &mut b, b"absent");
        srv.dbs[0].clear();
        assert_eq!(srv.dbs[0].dirty_watchers, vec![(1, -1)]);
        check_invariants(&srv, &[&a, &b]);
    }
}
