//! kqueue back end: the BSD and macOS readiness API, one filter per direction.
//!
//! Chapter: chapters/01-event-loop.md
//!
//! Like epoll, kqueue keeps the interest list in the kernel and a wait costs
//! O(ready). Unlike epoll, reading and writing are separate *filters*
//! (EVFILT_READ, EVFILT_WRITE): each is added and deleted on its own, and a
//! wait may report the same fd twice, once per filter. We merge those so the
//! loop sees one (fd, mask) pair per fd, as it does from the other back ends.
//!
//! Invariants:
//! 1. The kernel holds an EVFILT_READ for fd iff the loop mask has
//!    READABLE, and an EVFILT_WRITE iff it has WRITABLE.
//! 2. `add` either applies all requested filters or none (it undoes the
//!    first if the second fails).
//! 3. `events.len() >= 1`.
//!
//! Not here: the other kqueue filters (signals, timers, processes): the loop
//! keeps its own timers so every back end behaves the same.
//!
//! Built only on macOS and the BSDs. On Linux it is compile-checked, not
//! run: `cargo clippy --all-targets --target x86_64-unknown-freebsd` (also
//! `x86_64-apple-darwin` and `x86_64-unknown-netbsd`); CI repeats the
//! FreeBSD check.

// kevent's field types differ by platform (flags: u16 on FreeBSD and macOS,
// u32 on NetBSD), so the `u32::from`s below widen on some targets and are
// identities on others.
#![allow(clippy::useless_conversion)]

use std::io;
use std::os::unix::io::RawFd;
use std::time::Duration;
use std::{mem, ptr};

use super::poller::{last_error, Poller, MAX_WAIT_SECS};
use super::{Mask, READABLE, WRITABLE};

pub(super) struct Kqueue {
    /// Our kqueue. Owned: closed in `Drop`, never handed out.
    kq: RawFd,
    /// Buffer the kernel fills on each wait. One slot per possible fd: with
    /// both filters ready some fds may not fit, and level-triggering means
    /// they are simply reported again by the next wait.
    events: Vec<libc::kevent>,
}

fn blank_kevent() -> libc::kevent {
    // SAFETY: kevent is integers plus a `udata` pointer that the kernel only
    // stores and hands back; all-zero (null udata) is a valid value on every
    // platform's layout, which differ in field types but not in this.
    unsafe { mem::zeroed() }
}

impl Kqueue {
    pub(super) fn new(setsize: usize) -> io::Result<Kqueue> {
        // SAFETY: kqueue() takes no arguments.
        let kq = unsafe { libc::kqueue() };
        if kq < 0 {
            return Err(last_error());
        }
        // SAFETY: kq is the fd we just opened; F_SETFD/FD_CLOEXEC take no
        // pointers. CLOEXEC so an exec'd child does not inherit it.
        unsafe { libc::fcntl(kq, libc::F_SETFD, libc::FD_CLOEXEC) };
        let mut k = Kqueue {
            kq,
            events: Vec::new(),
        };
        k.resize(setsize);
        Ok(k)
    }

    /// Apply one change (`EV_ADD` or `EV_DELETE`) to one filter of `fd`.
    /// The field types differ between BSDs (NetBSD uses u32 where FreeBSD
    /// uses i16), hence the `as _` casts.
    fn change(&self, fd: RawFd, filter: Mask, flags: u32) -> io::Result<()> {
        let mut ev = blank_kevent();
        ev.ident = fd as libc::uintptr_t; // fd >= 0: the loop checked it
        ev.filter = if filter == READABLE {
            libc::EVFILT_READ as _
        } else {
            libc::EVFILT_WRITE as _
        };
        ev.flags = flags as _;
        // SAFETY: kq is our open kqueue; the change list is one live kevent;
        // the event list is empty (null, 0), so the kernel writes nothing.
        let rc = unsafe { libc::kevent(self.kq, &ev, 1, ptr::null_mut(), 0, ptr::null()) };
        if rc < 0 {
            return Err(last_error());
        }
        Ok(())
    }
}

impl Poller for Kqueue {
    fn add(&mut self, fd: RawFd, _old: Mask, add: Mask) -> io::Result<()> {
        let add_flags = u32::from(libc::EV_ADD);
        if add & READABLE != 0 {
            self.change(fd, READABLE, add_flags)?;
        }
        if add & WRITABLE != 0 {
            if let Err(e) = self.change(fd, WRITABLE, add_flags) {
                // Invariant 2: do not leave half the request applied.
                if add & READABLE != 0 {
                    let _ = self.change(fd, READABLE, u32::from(libc::EV_DELETE));
                }
                return Err(e);
            }
        }
        Ok(())
    }

    fn del(&mut self, fd: RawFd, _old: Mask, del: Mask) {
        // Errors mean the filter is already gone (closing an fd drops its
        // filters): the state we wanted already holds.
        let del_flags = u32::from(libc::EV_DELETE);
        if del & READABLE != 0 {
            let _ = self.change(fd, READABLE, del_flags);
        }
        if del & WRITABLE != 0 {
            let _ = self.change(fd, WRITABLE, del_flags);
        }
    }

    fn wait(
        &mut self,
        timeout: Option<Duration>,
        fired: &mut Vec<(RawFd, Mask)>,
    ) -> io::Result<()> {
        fired.clear();
        let ts = timeout.map(|d| libc::timespec {
            tv_sec: d.as_secs().min(MAX_WAIT_SECS) as libc::time_t, // <= 10^8
            tv_nsec: d.subsec_nanos() as _,                         // < 10^9
        });
        let tsp = ts
            .as_ref()
            .map_or(ptr::null(), |t| t as *const libc::timespec);
        let max = i32::try_from(self.events.len()).unwrap_or(i32::MAX);
        // SAFETY: kq is our open kqueue; no changes are passed (null, 0); the
        // event buffer is live with at least `max` slots and the kernel
        // writes at most `max`; `tsp` is null or points at a live timespec.
        let n = unsafe {
            libc::kevent(
                self.kq,
                ptr::null(),
                0,
                self.events.as_mut_ptr(),
                max as _,
                tsp,
            )
        };
        if n < 0 {
            return Err(last_error());
        }
        let ready = usize::try_from(n).unwrap_or(0).min(self.events.len());
        for ev in &self.events[..ready] {
            let mask = if u32::from(ev.flags) & u32::from(libc::EV_ERROR) != 0 {
                READABLE | WRITABLE // reported like epoll's EPOLLERR
            } else if i64::from(ev.filter) == i64::from(libc::EVFILT_READ) {
                READABLE
            } else if i64::from(ev.filter) == i64::from(libc::EVFILT_WRITE) {
                WRITABLE
            } else {
                continue; // a filter we never register
            };
            fired.push((ev.ident as RawFd, mask));
        }
        // Invariant 2 of the Poller trait: one entry per fd. Sorting puts an
        // fd's READ and WRITE reports next to each other; merge them.
        fired.sort_unstable_by_key(|&(fd, _)| fd);
        fired.dedup_by(|later, kept| {
            if later.0 == kept.0 {
                kept.1 |= later.1;
                true
            } else {
                false
            }
        });
        Ok(())
    }

    fn resize(&mut self, setsize: usize) {
        self.events.clear();
        self.events.resize(setsize.max(1), blank_kevent());
    }
}

impl Drop for Kqueue {
    fn drop(&mut self) {
        // SAFETY: kq is an fd we opened and nobody else closes (field rule).
        unsafe { libc::close(self.kq) };
    }
}
