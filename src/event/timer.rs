//! Timers: deadlines on the monotonic clock, ordered for "what is next?".
//!
//! Chapter: chapters/01-event-loop.md
//!
//! The loop asks two things of its timers: how long may I sleep (the
//! nearest deadline), and which timers are due now. Both come straight off
//! a set ordered by (deadline, id). A second map by id makes cancel cheap.
//! Deadlines are `Instant`s, so changing the wall clock (NTP, an admin
//! running `date`) neither fires timers early nor stalls them.
//!
//! Invariants:
//! 1. `by_id` and `by_deadline` hold the same pending timers:
//!    `(at, id)` is in `by_deadline` iff `by_id[id] == at`.
//! 2. Ids are handed out once, counting up from 1, and never reused, so a
//!    stale id can only miss (cancel returns false), never hit a newer timer.
//! 3. A timer whose callback is running is in `running`, not pending; it
//!    comes back (same id) only if it asked to and was not cancelled meanwhile.
//!
//! Not here: calling the callbacks (mod.rs runs them, then reports back here
//! with `begin`/`finish`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use super::TimerId;

pub(super) struct Timers {
    next_id: TimerId,
    by_id: BTreeMap<TimerId, Instant>,
    by_deadline: BTreeSet<(Instant, TimerId)>,
    /// Callbacks on the stack, innermost last, each with "was it cancelled
    /// while running?". A stack, not one slot, because a callback may run a
    /// nested loop iteration whose timers start and finish inside it.
    running: Vec<(TimerId, bool)>,
}

impl Timers {
    pub(super) fn new() -> Timers {
        Timers {
            next_id: 1,
            by_id: BTreeMap::new(),
            by_deadline: BTreeSet::new(),
            running: Vec::new(),
        }
    }

    pub(super) fn add(&mut self, at: Instant) -> TimerId {
        let id = self.next_id;
        self.next_id += 1; // u64: at a million timers a second, 584,000 years
        self.insert(id, at);
        id
    }

    fn insert(&mut self, id: TimerId, at: Instant) {
        self.by_id.insert(id, at);
        self.by_deadline.insert((at, id));
    }

    /// Remove a pending timer, or mark a running one so `finish` drops it.
    /// Returns whether there was anything to cancel.
    pub(super) fn cancel(&mut self, id: TimerId) -> bool {
        if let Some(at) = self.by_id.remove(&id) {
            self.by_deadline.remove(&(at, id));
            return true;
        }
        match self.running.iter_mut().find(|(r, _)| *r == id) {
            Some((_, cancelled)) if !*cancelled => {
                *cancelled = true;
                true
            }
            _ => false,
        }
    }

    pub(super) fn nearest(&self) -> Option<Instant> {
        self.by_deadline.first().map(|&(at, _)| at)
    }

    pub(super) fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Append the ids due at `now`, earliest first. The loop takes this
    /// snapshot before running any of them, so a timer added or rescheduled
    /// by a callback waits for the next iteration: a timer that keeps
    /// asking for 0 ms cannot starve file events.
    pub(super) fn collect_due(&self, now: Instant, out: &mut Vec<TimerId>) {
        out.extend(
            self.by_deadline
                .iter()
                .take_while(|&&(at, _)| at <= now)
                .map(|&(_, id)| id),
        );
    }

    /// Move `id` from pending to running (invariant 3). False if it is no
    /// longer pending: an earlier callback in the same batch cancelled it.
    pub(super) fn begin(&mut self, id: TimerId) -> bool {
        match self.by_id.remove(&id) {
            Some(at) => {
                self.by_deadline.remove(&(at, id));
                self.running.push((id, false));
                true
            }
            None => false,
        }
    }

    /// The callback of `id` returned; `again` is its next deadline, if it
    /// asked for one. A cancel during the callback wins over the request.
    pub(super) fn finish(&mut self, id: TimerId, again: Option<Instant>) {
        let cancelled = match self.running.pop() {
            Some((top, cancelled)) if top == id => cancelled,
            // Unreachable while begin/finish pair up around each callback
            // (mod.rs); if they ever don't, dropping the timer is the safe
            // side: a lost timer shows up in tests, a doubled one may not.
            _ => true,
        };
        if let (false, Some(at)) = (cancelled, again) {
            self.insert(id, at);
        }
    }

    #[cfg(test)]
    pub(super) fn check_invariants(&self) {
        assert_eq!(
            self.by_id.len(),
            self.by_deadline.len(),
            "invariant 1: same size"
        );
        for &(at, id) in &self.by_deadline {
            assert_eq!(self.by_id.get(&id), Some(&at), "invariant 1: timer {id}");
            assert!(id < self.next_id, "invariant 2: id {id} was handed out");
        }
        for &(id, _) in &self.running {
            assert!(
                !self.by_id.contains_key(&id),
                "invariant 3: running {id} is not pending"
            );
        }
    }
}
