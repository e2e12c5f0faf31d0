//! Keyspace notifications: every change to a key, published as pub/sub
//! messages on two families of channels.
//!
//! Chapter: chapters/19-pubsub.md
//!
//! With `notify-keyspace-events KEA`, `SET k v` in db 0 publishes
//!
//! ```text
//!   channel __keyspace@0__:k    message "set"   (K: what happened to k?)
//!   channel __keyevent@0__:set  message "k"     (E: which keys were set?)
//! ```
//!
//! Commands call `Ctx::modified` (or `notify`) right where they change a
//! key, with the event's class (`$` strings, `l` lists, `g` generic, ...)
//! and Redis's event name. The two events that happen below the commands —
//! a key expiring (`expired`, class `x`) and a key being created (`new`,
//! class `n`) — are queued by the db (`Db::expired`, `Db::created`) and
//! published by `drain_db_events`, which `notify` also runs first, so a
//! subscriber sees `expired`, `new` and `set` in the order they happened.
//!
//! Invariants:
//! 1. With no class enabled, `notify` costs one load and one branch.
//! 2. Events of one command reach subscribers in the order the command
//!    made them; queued `expired`/`new` events come before any event
//!    published after them.
//! 3. Every expired key is counted in `expired_keys` exactly once, whether
//!    or not its event is published.
//!
//! Not here: delivering messages (`pubsub.rs`), parsing the flag letters
//! (`config/special.rs`).

use super::{multi, pubsub, Ctx, Server};
pub use crate::config::notify as class;

// ANCHOR: notify
/// Publishes the keyspace and keyevent messages for `event` on `key` of
/// db `dbid`, if `class` is enabled. Redis's notifyKeyspaceEvent.
pub fn notify(srv: &mut Server, class: u32, event: &str, key: &[u8], dbid: usize) {
    // Every event is a change: save points and propagation count them.
    srv.dirty += 1;
    let flags = srv.config.notify_keyspace_events;
    if flags & class == 0 {
        return; // invariant 1
    }
    drain_db_events(srv); // invariant 2
    publish_event(srv, flags, event, key, dbid);
}

fn publish_event(srv: &mut Server, flags: u32, event: &str, key: &[u8], dbid: usize) {
    if flags & class::KEYSPACE != 0 {
        let mut channel = Vec::with_capacity(24 + key.len());
        channel.extend_from_slice(b"__keyspace@");
        crate::resp::reply::write_u64(&mut channel, dbid as u64);
        channel.extend_from_slice(b"__:");
        channel.extend_from_slice(key);
        pubsub::publish(srv, &channel, event.as_bytes(), false);
    }
    if flags & class::KEYEVENT != 0 {
        let mut channel = Vec::with_capacity(24 + event.len());
        channel.extend_from_slice(b"__keyevent@");
        crate::resp::reply::write_u64(&mut channel, dbid as u64);
        channel.extend_from_slice(b"__:");
        channel.extend_from_slice(event.as_bytes());
        pubsub::publish(srv, &channel, key, false);
    }
}
// ANCHOR_END: notify

impl Ctx<'_> {
    /// A command changed `key` in the client's db: flag its watchers
    /// (`Db::touch`, Redis's signalModifiedKey) and publish `event`.
    /// The call a command makes after each modification.
    pub fn modified(&mut self, class: u32, event: &str, key: &[u8]) {
        let db = self.client.db;
        self.srv.dbs[db].touch(key);
        notify(self.srv, class, event, key, db);
    }

    /// `notify` on the client's db, for events that are not a change of
    /// their own (the `del` after a pop emptied a list).
    pub fn notify(&mut self, class: u32, event: &str, key: &[u8]) {
        let db = self.client.db;
        notify(self.srv, class, event, key, db);
    }
}

// ANCHOR: drain
/// Publishes what the dbs queued — expired keys (`expired`), created keys
/// (`new`) — and flags the clients whose watched keys changed. Runs after
/// every command and every active expiry cycle, and before any event
/// `notify` publishes.
pub fn drain_db_events(srv: &mut Server) {
    let flags = srv.config.notify_keyspace_events;
    let mut any_dirty = false;
    for dbi in 0..srv.dbs.len() {
        let db = &mut srv.dbs[dbi];
        any_dirty |= !db.dirty_watchers.is_empty();
        if db.expired.is_empty() && db.created.is_empty() && db.missed.is_empty() {
            continue;
        }
        let expired = std::mem::take(&mut db.expired);
        let created = std::mem::take(&mut db.created);
        let missed = std::mem::take(&mut db.missed);
        srv.stats.expired_keys += expired.len() as u64; // invariant 3
        srv.dirty += expired.len() as u64;
        for key in &expired {
            super::propagate::expired(srv, dbi, key.as_bytes());
        }
        if flags & class::EXPIRED != 0 {
            for key in &expired {
                publish_event(srv, flags, "expired", key.as_bytes(), dbi);
            }
        }
        if flags & class::NEW != 0 {
            for key in &created {
                publish_event(srv, flags, "new", key.as_bytes(), dbi);
            }
        }
        if flags & class::KEY_MISS != 0 {
            for key in &missed {
                publish_event(srv, flags, "keymiss", key.as_bytes(), dbi);
            }
        }
    }
    // Publishing cannot touch keys, so the dirty lists seen above are
    // complete: one pass over the dbs per command when nothing happened.
    if any_dirty {
        multi::flag_dirty_watchers(srv);
    }
}
// ANCHOR_END: drain

/// Keeps each db's `track_new` in step with the `n` class (startup and
/// CONFIG SET), so key creation costs nothing while nobody listens.
pub fn sync_track_new(srv: &mut Server) {
    let on = srv.config.notify_keyspace_events & class::NEW != 0;
    let miss = srv.config.notify_keyspace_events & class::KEY_MISS != 0;
    for db in srv.dbs.iter_mut() {
        db.track_new = on;
        if !on {
            db.created.clear();
        }
        db.track_miss = miss;
        if !miss {
            db.missed.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::object::string_object;

    #[test]
    fn expired_keys_are_counted_even_when_no_event_is_enabled() {
        let mut srv = Server::new(crate::config::Config::default());
        srv.dbs[0].set(b"k", string_object(b"v", 0), false);
        srv.dbs[0].set_expire(b"k", 1);
        srv.dbs[0].expire_if_needed(b"k", 10);
        drain_db_events(&mut srv);
        assert_eq!(srv.stats.expired_keys, 1);
        assert!(srv.dbs[0].expired.is_empty());
    }

    #[test]
    fn created_keys_are_tracked_only_while_the_n_class_is_on() {
        let mut srv = Server::new(crate::config::Config::default());
        srv.dbs[0].set(b"a", string_object(b"v", 0), false);
        assert!(srv.dbs[0].created.is_empty());
        srv.config.notify_keyspace_events = class::NEW | class::KEYEVENT;
        sync_track_new(&mut srv);
        srv.dbs[0].set(b"b", string_object(b"v", 0), false);
        srv.dbs[0].set(b"b", string_object(b"w", 0), false);
        assert_eq!(srv.dbs[0].created.len(), 1);
        drain_db_events(&mut srv);
        assert!(srv.dbs[0].created.is_empty());
    }
}
