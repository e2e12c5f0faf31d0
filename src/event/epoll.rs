//! epoll back end: Linux's O(ready) readiness API, level-triggered.
//!
//! Chapter: chapters/01-event-loop.md
//!
//! The kernel keeps the interest list, so registering costs one
//! `epoll_ctl` per change and waiting costs time proportional to the fds
//! that are *ready*, not to the fds that are watched. That is why a server
//! with 10,000 idle clients and 3 busy ones pays for 3 per wait here, and
//! for 10,000 under select.
//!
//! Invariants:
//! 1. The kernel's interest list for `epfd` holds exactly the fds whose
//!    loop mask is non-zero, each with EPOLLIN/EPOLLOUT matching its mask
//!    (ADD on first interest, MOD on later changes, DEL when it drops to 0).
//! 2. Each event carries its fd in `data.u64`, so a wait result maps back to
//!    an fd without a lookup table.
//! 3. `events.len() >= 1`: epoll_wait rejects a zero-sized buffer.
//!
//! Not here: edge-triggered mode (never used: a level-triggered loop may
//! leave bytes unread and still hear about them next time), timers (mod.rs).

use std::io;
use std::os::raw::c_int;
use std::os::unix::io::RawFd;
use std::time::Duration;

use super::poller::{last_error, Poller};
use super::{Mask, READABLE, WRITABLE};

pub(super) struct Epoll {
    /// Our epoll instance. Owned: closed in `Drop`, never handed out.
    epfd: RawFd,
    /// Buffer the kernel fills on each wait; one slot per possible fd, so a
    /// single wait can report every registered fd (invariant 3).
    events: Vec<libc::epoll_event>,
}

impl Epoll {
    pub(super) fn new(setsize: usize) -> io::Result<Epoll> {
        // SAFETY: epoll_create1 takes no pointers; EPOLL_CLOEXEC is a valid
        // flag. CLOEXEC so a child we fork+exec does not inherit the instance.
        let epfd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if epfd < 0 {
            return Err(last_error());
        }
        let mut ep = Epoll {
            epfd,
            events: Vec::new(),
        };
        ep.resize(setsize);
        Ok(ep)
    }

    // ANCHOR: epoll_ctl
    /// Tell the kernel the full new interest set of `fd` (`mask`), using
    /// `op` = ADD, MOD or DEL. epoll has no "add a bit" call: MOD replaces
    /// the whole set, which is why the loop passes us the old mask.
    fn ctl(&self, op: c_int, fd: RawFd, mask: Mask) -> io::Result<()> {
        let mut ev = libc::epoll_event {
            events: to_epoll(mask),
            u64: fd as u64, // fd >= 0: the loop checked it (invariant 2)
        };
        // SAFETY: epfd is our open epoll instance; `ev` is a live, initialised
        // epoll_event for the whole call (the kernel copies it, keeps no
        // pointer). DEL ignores `ev`, but old kernels require it non-null.
        let rc = unsafe { libc::epoll_ctl(self.epfd, op, fd, &mut ev) };
        if rc < 0 {
            return Err(last_error());
        }
        Ok(())
    }
    // ANCHOR_END: epoll_ctl
}

impl Poller for Epoll {
    // ANCHOR: epoll_add_del
    fn add(&mut self, fd: RawFd, old: Mask, add: Mask) -> io::Result<()> {
        // The kernel refuses ADD for an fd it already watches (EEXIST) and
        // MOD for one it doesn't (ENOENT): the old mask decides.
        let op = if old == 0 {
            libc::EPOLL_CTL_ADD
        } else {
            libc::EPOLL_CTL_MOD
        };
        self.ctl(op, fd, old | add)
    }

    fn del(&mut self, fd: RawFd, old: Mask, del: Mask) {
        let left = old & !del;
        let op = if left == 0 {
            libc::EPOLL_CTL_DEL
        } else {
            libc::EPOLL_CTL_MOD
        };
        // An error here means the fd is already gone from the interest list
        // (closing the last descriptor of a file removes it): the state we
        // wanted already holds, so there is nothing to report.
        let _ = self.ctl(op, fd, left);
    }
    // ANCHOR_END: epoll_add_del

    fn wait(
        &mut self,
        timeout: Option<Duration>,
        fired: &mut Vec<(RawFd, Mask)>,
    ) -> io::Result<()> {
        fired.clear();
        let max = c_int::try_from(self.events.len()).unwrap_or(c_int::MAX);
        // SAFETY: `events` is a live buffer of at least `max` epoll_event
        // slots (invariant 3); the kernel writes at most `max` of them and we
        // read back only the first `n` it reports as written.
        let n = unsafe {
            libc::epoll_wait(
                self.epfd,
                self.events.as_mut_ptr(),
                max,
                timeout_ms(timeout),
            )
        };
        if n < 0 {
            return Err(last_error());
        }
        let ready = usize::try_from(n).unwrap_or(0).min(self.events.len());
        for ev in &self.events[..ready] {
            // Copy the fields out: epoll_event is packed on x86-64, so we
            // must not take references into it.
            let (bits, data) = (ev.events, ev.u64);
            let mut mask = 0;
            if bits & libc::EPOLLIN as u32 != 0 {
                mask |= READABLE;
            }
            if bits & libc::EPOLLOUT as u32 != 0 {
                mask |= WRITABLE;
            }
            // An error or hang-up is news to whoever reads or writes next:
            // report both, and let the loop keep only what is registered.
            if bits & (libc::EPOLLERR | libc::EPOLLHUP) as u32 != 0 {
                mask |= READABLE | WRITABLE;
            }
            fired.push((data as RawFd, mask));
        }
        Ok(())
    }

    fn resize(&mut self, setsize: usize) {
        let empty = libc::epoll_event { events: 0, u64: 0 };
        self.events.clear();
        self.events.resize(setsize.max(1), empty);
    }
}

impl Drop for Epoll {
    fn drop(&mut self) {
        // SAFETY: epfd is an fd we opened and nobody else closes (field rule).
        unsafe { libc::close(self.epfd) };
    }
}

fn to_epoll(mask: Mask) -> u32 {
    let mut bits = 0;
    if mask & READABLE != 0 {
        bits |= libc::EPOLLIN as u32;
    }
    if mask & WRITABLE != 0 {
        bits |= libc::EPOLLOUT as u32;
    }
    bits
}

/// epoll_wait counts whole milliseconds. Round *up*: rounding a 0.4 ms wait
/// down to 0 would return before the timer is due, find nothing to run, and
/// spin through the loop until the clock catches up.
fn timeout_ms(timeout: Option<Duration>) -> c_int {
    match timeout {
        None => -1,
        Some(d) => {
            let ms = d.as_nanos().div_ceil(1_000_000);
            c_int::try_from(ms).unwrap_or(c_int::MAX)
        }
    }
}
