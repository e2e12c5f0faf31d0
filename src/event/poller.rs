//! Poller: the one seam between the event loop and the kernel's readiness API.
//!
//! Chapter: chapters/01-event-loop.md
//!
//! epoll, kqueue and select ask the same question in three dialects: "of
//! the fds I care about, which can I read or write without blocking?" Each
//! back end answers it behind this three-method trait, and `EventLoop::new`
//! is the only place that picks one. The loop owns the per-fd masks and
//! passes the old mask on every change, so a back end never has to keep a
//! second copy just to tell "first interest in this fd" from "more interest".
//!
//! Invariants:
//! 1. `add` is called only with `add != 0` and `add & old == 0`; `del` only
//!    with `del != 0` and `del` a subset of `old`. The loop guarantees both.
//! 2. After `wait` returns `Ok`, `fired` holds each ready fd at most once,
//!    with its ready bits merged. Error and hang-up conditions are reported
//!    as READABLE|WRITABLE; the loop trims them to the registered mask.
//! 3. `wait` never blocks longer than `timeout` (`None` means "until an fd
//!    is ready or a signal arrives"), apart from the kernel's own rounding.
//!
//! Not here: per-fd masks, timers, delivery (mod.rs); the back ends
//! themselves (epoll.rs, kqueue.rs, select.rs).

use std::io;
use std::os::unix::io::RawFd;
use std::time::Duration;

use super::Mask;

// ANCHOR: poller
/// One readiness back end. Object-safe, so the loop holds a `Box<dyn Poller>`:
/// one indirect call per syscall costs nothing next to the syscall itself.
pub(super) trait Poller {
    /// Start watching the `add` bits of `fd`, which already has `old` bits
    /// registered (invariant 1). On error nothing changed.
    fn add(&mut self, fd: RawFd, old: Mask, add: Mask) -> io::Result<()>;

    /// Stop watching the `del` bits of `fd`. Never fails: if the kernel
    /// already forgot the fd (it was closed), there is nothing left to undo.
    fn del(&mut self, fd: RawFd, old: Mask, del: Mask);

    /// Wait up to `timeout` and replace the contents of `fired` with the
    /// ready fds and their bits (invariant 2). EINTR comes back as an
    /// `Interrupted` error; the loop decides what it means.
    fn wait(&mut self, timeout: Option<Duration>, fired: &mut Vec<(RawFd, Mask)>)
        -> io::Result<()>;

    /// The loop's setsize changed; resize any per-wait buffers.
    fn resize(&mut self, setsize: usize);

    /// Test hook: check the back end's own state against the loop's masks.
    /// Only select keeps state we can read back from user space.
    #[cfg(test)]
    fn check_invariants(&self, _masks: &[Mask]) {}
}
// ANCHOR_END: poller

/// The error a back end gives when the OS rejects a syscall: errno as an
/// `io::Error`. One place, so every `// SAFETY:`-wrapped call reads the same.
pub(super) fn last_error() -> io::Error {
    io::Error::last_os_error()
}

/// BSD kernels reject `select`/`kevent` timeouts above 10^8 seconds with
/// EINVAL. Waking up early is harmless (nothing is due, the loop waits
/// again), so back ends with a seconds field clamp to this.
pub(super) const MAX_WAIT_SECS: u64 = 100_000_000;
