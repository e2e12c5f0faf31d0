//! select back end: the portable O(n) fallback, on every unix including Linux.
//!
//! Chapter: chapters/01-event-loop.md
//!
//! select keeps no state in the kernel. Every wait hands it two bitmaps
//! (fds to watch for reading, for writing) of FD_SETSIZE bits, and the kernel
//! scans them all and overwrites them with the ready subset. So we keep the
//! masters here, copy them before each call, and scan `0..=maxfd` afterwards:
//! cost proportional to the highest fd, however few are ready.
//!
//! Invariants:
//! 1. `read`/`write` hold exactly the fds whose loop mask has READABLE /
//!    WRITABLE set.
//! 2. `maxfd` is the highest fd present in either set, or -1 if both are
//!    empty.
//! 3. Every fd in the sets is `< FD_SETSIZE`: FD_SET on a larger fd would
//!    write past the end of the bitmap, so `add` refuses it.
//!
//! Not here: timers, masks (mod.rs). Linux builds it too, so the
//! `event-backend select` directive can exercise it in tests.

use std::io;
use std::os::unix::io::RawFd;
use std::time::Duration;
use std::{mem, ptr};

use super::poller::{last_error, Poller, MAX_WAIT_SECS};
use super::{Mask, READABLE, WRITABLE};

/// select's hard limit: fd_set is a fixed bitmap of this many bits (1024 on
/// Linux, macOS and FreeBSD; 256 on NetBSD).
pub(super) const FD_LIMIT: usize = libc::FD_SETSIZE;

pub(super) struct Select {
    read: libc::fd_set,
    write: libc::fd_set,
    maxfd: RawFd,
}

fn empty_set() -> libc::fd_set {
    // SAFETY: fd_set is a plain array of integers, so all-zero bytes are a
    // valid value; FD_ZERO then makes "empty" explicit for any libc layout.
    let mut set: libc::fd_set = unsafe { mem::zeroed() };
    // SAFETY: `set` is a live, writable fd_set.
    unsafe { libc::FD_ZERO(&mut set) };
    set
}

fn is_set(set: &libc::fd_set, fd: RawFd) -> bool {
    // SAFETY: callers pass 0 <= fd < FD_SETSIZE (invariant 3), so the bit
    // lies inside the bitmap; `set` is a live fd_set.
    unsafe { libc::FD_ISSET(fd, set) }
}

impl Select {
    pub(super) fn new() -> Select {
        Select {
            read: empty_set(),
            write: empty_set(),
            maxfd: -1,
        }
    }
}

impl Poller for Select {
    fn add(&mut self, fd: RawFd, old: Mask, add: Mask) -> io::Result<()> {
        if usize::try_from(fd).map_or(true, |i| i >= FD_LIMIT) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("fd {fd} is beyond select's FD_SETSIZE ({FD_LIMIT})"),
            ));
        }
        if old == 0 {
            // epoll and kqueue refuse a closed fd at registration time; select
            // would only fail later, inside the wait, with EBADF for the whole
            // set. Check now so all back ends fail in the same place.
            // SAFETY: F_GETFD takes no pointer; any int is a valid fd argument.
            if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
                return Err(last_error());
            }
        }
        // SAFETY: 0 <= fd < FD_SETSIZE was checked above; the sets are live.
        unsafe {
            if add & READABLE != 0 {
                libc::FD_SET(fd, &mut self.read);
            }
            if add & WRITABLE != 0 {
                libc::FD_SET(fd, &mut self.write);
            }
        }
        self.maxfd = self.maxfd.max(fd);
        Ok(())
    }

    fn del(&mut self, fd: RawFd, old: Mask, del: Mask) {
        // The loop only deletes bits it added, so fd passed `add`'s check.
        // SAFETY: 0 <= fd < FD_SETSIZE (invariant 3); the sets are live.
        unsafe {
            if del & READABLE != 0 {
                libc::FD_CLR(fd, &mut self.read);
            }
            if del & WRITABLE != 0 {
                libc::FD_CLR(fd, &mut self.write);
            }
        }
        // Keep invariant 2: if the top fd just left, walk down to the next
        // one still watched, so later waits scan no further than needed.
        if fd == self.maxfd && old & !del == 0 {
            while self.maxfd >= 0
                && !is_set(&self.read, self.maxfd)
                && !is_set(&self.write, self.maxfd)
            {
                self.maxfd -= 1;
            }
        }
    }

    // ANCHOR: select_wait
    fn wait(
        &mut self,
        timeout: Option<Duration>,
        fired: &mut Vec<(RawFd, Mask)>,
    ) -> io::Result<()> {
        fired.clear();
        // select overwrites its arguments with the ready subset, so it gets
        // copies; the masters stay intact for the next wait.
        let mut read = self.read;
        let mut write = self.write;
        let mut tv = timeout.map(to_timeval);
        let tvp = tv
            .as_mut()
            .map_or(ptr::null_mut(), |t| t as *mut libc::timeval);
        // SAFETY: the two fd_sets and the timeval (when present) are live
        // locals for the whole call; nfds = maxfd + 1 <= FD_SETSIZE
        // (invariants 2, 3), so the kernel reads only inside the bitmaps.
        let n =
            unsafe { libc::select(self.maxfd + 1, &mut read, &mut write, ptr::null_mut(), tvp) };
        if n < 0 {
            return Err(last_error());
        }
        // The O(n) part: every fd up to maxfd is tested, ready or not.
        for fd in 0..=self.maxfd {
            let mut mask = 0;
            if is_set(&read, fd) {
                mask |= READABLE;
            }
            if is_set(&write, fd) {
                mask |= WRITABLE;
            }
            if mask != 0 {
                fired.push((fd, mask));
            }
        }
        Ok(())
    }
    // ANCHOR_END: select_wait

    fn resize(&mut self, _setsize: usize) {
        // Fixed-size bitmaps: nothing to grow. `add` enforces FD_SETSIZE.
    }

    #[cfg(test)]
    fn check_invariants(&self, masks: &[Mask]) {
        let mut top = -1;
        for fd in 0..FD_LIMIT as RawFd {
            let want = masks.get(fd as usize).copied().unwrap_or(0);
            assert_eq!(
                is_set(&self.read, fd),
                want & READABLE != 0,
                "read set, fd {fd}"
            );
            assert_eq!(
                is_set(&self.write, fd),
                want & WRITABLE != 0,
                "write set, fd {fd}"
            );
            if want != 0 {
                top = fd;
            }
        }
        assert_eq!(self.maxfd, top, "maxfd is the highest watched fd");
    }
}

/// Round up to whole microseconds, for the same reason epoll rounds up to
/// milliseconds: waking before the timer is due would spin.
fn to_timeval(d: Duration) -> libc::timeval {
    let micros = d.as_nanos().div_ceil(1_000);
    let secs = (micros / 1_000_000).min(u128::from(MAX_WAIT_SECS));
    libc::timeval {
        tv_sec: secs as libc::time_t, // <= 10^8: fits every time_t
        tv_usec: (micros % 1_000_000) as libc::suseconds_t, // < 10^6
    }
}
