//! Blocking commands: clients waiting for a key (BLPOP, BLMOVE, BLMPOP,
//! and later BZPOPMIN and XREAD) and how they are woken.
//!
//! Chapter: chapters/13-lists.md
//!
//! A blocking command first runs like its non-blocking form. If there is
//! nothing to pop, the handler calls `block_on_keys` instead of replying;
//! dispatch then parks the client:
//!
//! ```text
//!   BLPOP a b 5 ──► nothing to pop ──► client.blocked = {db, [a, b], argv, deadline}
//!                                      db.blocking[a] += id, db.blocking[b] += id
//!                                      deadlines += (now + 5000, id)
//!   LPUSH a x   ──► key a created ──► db.ready += a        (db invariant 4)
//!   after LPUSH ──► serve_ready_keys: for each id queued on a, oldest first,
//!                   re-run its BLPOP; it pops x and replies; unblock it
//!   deadline    ──► reply the timeout reply (nil), unblock
//! ```
//!
//! Re-running the stored command keeps one code path for "pop now" and
//! "pop later", and makes the wake-up generic: any future blocking command
//! only needs to call `block_on_keys`.
//!
//! Invariants:
//! 1. A client is blocked iff `client.blocked` is Some; then its id is in
//!    `db.blocking[k]` for exactly its keys, and in `deadlines` iff it has
//!    a timeout.
//! 2. Clients blocked on a key are served in the order they blocked; a
//!    served client that still cannot proceed keeps its place.
//! 3. A blocked client runs no other command until it is unblocked: its
//!    later pipelined input waits in its query buffer.
//!
//! Not here: what each command does when woken (`cmd/list.rs`).

use std::collections::VecDeque;

use super::client::flags;
use super::{dispatch, networking, Client, Server};
use crate::db::ObjType;
use crate::ds::longdouble::LongDouble;
use crate::ds::sds::Sds;
use crate::event::EventLoop;
use crate::resp::Reply;

/// Why and how a client is blocked (invariant 1).
pub struct Blocked {
    pub db: usize,
    pub keys: Vec<Vec<u8>>,
    /// The command to re-run when a key is ready.
    pub argv: Vec<Vec<u8>>,
    /// Absolute unix ms, or None to wait forever.
    pub deadline_ms: Option<u64>,
    /// What to reply on timeout or CLIENT UNBLOCK ... TIMEOUT.
    pub timeout_reply: Reply,
    /// The type a key must have to wake this client: a key of another
    /// type (a string SET on a watched key) leaves it blocked, as Redis.
    pub key_type: ObjType,
}

/// Parses a blocking timeout in seconds (fractions allowed) into an
/// absolute deadline; 0 means forever. The number is read as Redis reads
/// it (a C long double), and a value too large for milliseconds in an
/// i64 becomes negative when converted, as in C on x86-64 — so `inf` is
/// "timeout is negative", exactly Redis's answer.
pub fn parse_timeout(arg: &[u8], now_ms: u64) -> Result<Option<u64>, Reply> {
    let Some(secs) = LongDouble::parse(arg).map(LongDouble::to_f64) else {
        return Err(Reply::error("ERR timeout is not a float or out of range"));
    };
    let ms = secs * 1000.0;
    if !(ms.is_finite() && ms < 9.2e18) || ms < 0.0 {
        return Err(Reply::error("ERR timeout is negative"));
    }
    let ms = ms as u64; // truncation, as C's (long long) cast
    Ok(if ms == 0 { None } else { Some(now_ms + ms) })
}

// ANCHOR: block_on_keys
/// Called by a command handler that found nothing to do: marks the
/// client blocked. Dispatch sees `client.blocked` and sends no reply.
/// The handler then returns what its non-blocking form would answer:
/// inside EXEC nothing may block, and dispatch sends that instead
/// (chapter 18).
pub fn block_on_keys(
    c: &mut Client,
    db: usize,
    keys: Vec<Vec<u8>>,
    argv: &[Vec<u8>],
    deadline_ms: Option<u64>,
    timeout_reply: Reply,
    key_type: ObjType,
) {
    c.blocked = Some(Blocked {
        db,
        keys,
        argv: argv.to_vec(),
        deadline_ms,
        timeout_reply,
        key_type,
    });
}

/// Dispatch's half of blocking: queue the client on its keys and its
/// deadline (invariant 1).
pub fn register(srv: &mut Server, c: &mut Client) {
    let Some(b) = &c.blocked else {
        return;
    };
    let db = &mut srv.dbs[b.db];
    for k in &b.keys {
        match db.blocking.get_mut(k.as_slice()) {
            Some(q) => q.push_back(c.id),
            None => {
                db.blocking.insert(Sds::new(k), VecDeque::from([c.id]));
            }
        }
    }
    if let Some(when) = b.deadline_ms {
        srv.block_deadlines.insert((when, c.id));
    }
    c.flags |= flags::BLOCKED;
    srv.blocked_clients += 1;
}
// ANCHOR_END: block_on_keys

/// Removes the client from every queue it is in and clears its state.
pub fn unregister(srv: &mut Server, c: &mut Client) {
    let Some(b) = c.blocked.take() else {
        return;
    };
    let db = &mut srv.dbs[b.db];
    for k in &b.keys {
        let empty = match db.blocking.get_mut(k.as_slice()) {
            Some(q) => {
                q.retain(|&id| id != c.id);
                q.is_empty()
            }
            None => false,
        };
        if empty {
            db.blocking.remove(k.as_slice());
        }
    }
    if let Some(when) = b.deadline_ms {
        srv.block_deadlines.remove(&(when, c.id));
    }
    c.flags &= !flags::BLOCKED;
    srv.blocked_clients = srv.blocked_clients.saturating_sub(1);
}

// ANCHOR: serve
/// Serves clients blocked on keys that became ready during the last
/// command. Called by dispatch after every command; loops because serving
/// one client (BLMOVE) may create a key another client waits for.
pub fn serve_ready_keys(srv: &mut Server) {
    loop {
        let Some((dbi, key)) = srv
            .dbs
            .iter_mut()
            .enumerate()
            .find_map(|(i, d)| d.ready.pop().map(|k| (i, k)))
        else {
            return;
        };
        serve_key(srv, dbi, &key);
    }
}

fn serve_key(srv: &mut Server, dbi: usize, key: &Sds) {
    // Serve at most the clients queued now; a client that blocks again is
    // put back at the front and ends the round (invariant 2).
    let waiting = srv.dbs[dbi]
        .blocking
        .get(key.as_bytes())
        .map_or(0, |q| q.len());
    for _ in 0..waiting {
        let now = srv.now_ms;
        let Some(key_type) = srv.dbs[dbi].peek(key.as_bytes(), now).map(|o| o.obj_type()) else {
            return;
        };
        let Some(id) = srv.dbs[dbi]
            .blocking
            .get(key.as_bytes())
            .and_then(|q| q.front().copied())
        else {
            return;
        };
        let Some(fd) = srv
            .clients
            .iter()
            .flatten()
            .find(|c| c.id == id)
            .map(|c| c.fd)
        else {
            // A stale id (should not happen: free_client unregisters).
            if let Some(q) = srv.dbs[dbi].blocking.get_mut(key.as_bytes()) {
                q.pop_front();
            }
            continue;
        };
        if srv
            .clients
            .get(fd as usize)
            .and_then(|s| s.as_ref())
            .and_then(|c| c.blocked.as_ref())
            .is_some_and(|b| b.key_type != key_type)
        {
            return; // not what it waits for: it stays blocked
        }
        let Some(mut c) = networking::take_client(srv, fd) else {
            return;
        };
        let (argv, deadline) = c
            .blocked
            .as_ref()
            .map(|b| (b.argv.clone(), b.deadline_ms))
            .unwrap_or_default();
        // Take it off every queue, then re-run its command as if new.
        unregister(srv, &mut c);
        dispatch::run_for_blocked(srv, &mut c, argv);
        if let Some(b) = c.blocked.as_mut() {
            // The re-run computed a fresh deadline; the first one stands.
            b.deadline_ms = deadline;
            // Still nothing for it (say the key holds another type now):
            // back to the front of this key's queue, other keys' tails.
            register(srv, &mut c);
            if let Some(q) = srv.dbs[dbi].blocking.get_mut(key.as_bytes()) {
                q.retain(|&x| x != id);
                q.push_front(id);
            }
            srv.clients[fd as usize] = Some(c);
            return;
        }
        // Unblocked: whatever it pipelined after the blocking command
        // runs now (invariant 3).
        networking::process_input(srv, &mut c);
        if c.out.pending() > 0 {
            srv.pending_write.push(fd);
        }
        srv.clients[fd as usize] = Some(c);
    }
}
// ANCHOR_END: serve

/// Replies the timeout reply to clients whose deadline passed.
pub fn expire_timeouts(srv: &mut Server) {
    let now = super::unix_ms();
    while let Some(&(when, id)) = srv.block_deadlines.first() {
        if when > now {
            break;
        }
        srv.block_deadlines.pop_first();
        unblock_with(srv, id, None);
    }
}

/// Unblocks client `id` with its timeout reply, or with `reply` if given
/// (CLIENT UNBLOCK ... ERROR). Returns false if it was not blocked.
pub fn unblock_with(srv: &mut Server, id: u64, reply: Option<Reply>) -> bool {
    let Some(fd) = srv
        .clients
        .iter()
        .flatten()
        .find(|c| c.id == id && c.blocked.is_some())
        .map(|c| c.fd)
    else {
        return false;
    };
    let Some(mut c) = networking::take_client(srv, fd) else {
        return false;
    };
    let timeout_reply = c
        .blocked
        .as_ref()
        .map(|b| b.timeout_reply.clone())
        .unwrap_or(Reply::NullArray);
    unregister(srv, &mut c);
    dispatch::add_reply(srv, &mut c, &reply.unwrap_or(timeout_reply));
    networking::process_input(srv, &mut c);
    if c.out.pending() > 0 {
        srv.pending_write.push(fd);
    }
    srv.clients[fd as usize] = Some(c);
    true
}

/// Keeps one event-loop timer armed for the earliest deadline, so a
/// blocked client times out on time even when nothing else happens.
pub fn arm_timer(srv: &mut Server, el: &mut EventLoop) {
    let first = srv.block_deadlines.first().map(|&(w, _)| w);
    match (first, srv.block_timer) {
        (None, Some((id, _))) => {
            el.cancel_timer(id);
            srv.block_timer = None;
        }
        (Some(w), Some((id, armed))) if w < armed => {
            el.cancel_timer(id);
            let after = w.saturating_sub(super::unix_ms());
            srv.block_timer = Some((el.add_timer(after), w));
        }
        (Some(w), None) => {
            let after = w.saturating_sub(super::unix_ms());
            srv.block_timer = Some((el.add_timer(after), w));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse_like_redis() {
        assert_eq!(parse_timeout(b"0", 1000), Ok(None));
        assert_eq!(parse_timeout(b"1.5", 1000), Ok(Some(2500)));
        assert_eq!(parse_timeout(b"0.1", 0), Ok(Some(100)));
        assert_eq!(
            parse_timeout(b"-1", 0),
            Err(Reply::error("ERR timeout is negative"))
        );
        assert_eq!(
            parse_timeout(b"abc", 0),
            Err(Reply::error("ERR timeout is not a float or out of range"))
        );
        assert_eq!(
            parse_timeout(b"inf", 0),
            Err(Reply::error("ERR timeout is negative"))
        );
    }
}
