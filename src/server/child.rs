//! Forked children: how BGSAVE and BGREWRITEAOF write a snapshot while
//! the server keeps serving.
//!
//! Chapter: chapters/21-aof.md
//!
//! `fork()` gives the child a copy of the parent's memory as it is at that
//! instant — not by copying, but by sharing every page read-only and
//! copying a page only when one side writes to it (copy-on-write). The
//! child serialises the dataset it sees, which never changes under it,
//! and exits; the parent goes on serving and reaps it in serverCron:
//!
//! ```text
//!   parent:  ──serve──┬─fork──serve────serve────serve──waitpid──serve──
//!                     │   (writes copy the pages they touch)   ▲
//!   child:            └──write snapshot──fsync──rename──exit(0)┘
//!                          report copy-on-write bytes ──pipe──► parent
//! ```
//!
//! Invariants:
//! 1. At most one child at a time (`Server::child`).
//! 2. While a child lives, dicts do not resize (`ResizePolicy::Avoid`):
//!    a rehash would write every bucket page and copy them all.
//! 3. The child never returns into the server: it ends in `_exit`, so no
//!    destructor, buffered output or atexit handler of the parent runs twice.
//! 4. No allocator lock is held across `fork` (`alloc::lock_for_fork`).
//!
//! Not here: what the children write (`persist/`).

use std::os::fd::RawFd;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};

use super::Server;
use crate::ds::dict::{set_resize_policy, ResizePolicy};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildKind {
    Rdb,
    Aof,
}

impl ChildKind {
    pub fn name(self) -> &'static str {
        match self {
            ChildKind::Rdb => "RDB",
            ChildKind::Aof => "AOF",
        }
    }
}

/// A running child (invariant 1).
#[derive(Debug)]
pub struct Child {
    pub pid: i32,
    pub kind: ChildKind,
    pub start_ms: u64,
    /// Read end of the pipe the child reports copy-on-write sizes on.
    info_fd: RawFd,
    /// Last copy-on-write size the child reported.
    pub cow_bytes: u64,
}

/// How a child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit {
    pub kind: ChildKind,
    pub pid: i32,
    pub ok: bool,
    /// Killed by this signal (SIGUSR1 is how Redis cancels a save).
    pub signal: Option<i32>,
    pub cow_bytes: u64,
    pub elapsed_ms: u64,
}

/// Private dirty memory of this process in bytes, from /proc: in a forked
/// child that is how much has been copied by copy-on-write so far.
pub fn private_dirty_bytes() -> u64 {
    let text = std::fs::read_to_string("/proc/self/smaps_rollup")
        .or_else(|_| std::fs::read_to_string("/proc/self/smaps"))
        .unwrap_or_default();
    text.lines()
        .filter_map(|l| l.strip_prefix("Private_Dirty:"))
        .filter_map(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .sum::<u64>()
        * 1024
}

/// In a child: the pipe to the parent (-1 in the parent), and when the
/// child last reported.
static REPORT_FD: AtomicI32 = AtomicI32::new(-1);
static LAST_REPORT_MS: AtomicU64 = AtomicU64::new(0);

// ANCHOR: report_progress
/// Called by the writers every so many keys: in a forked child, at most
/// once a second, sends the copy-on-write size so far, which the parent
/// shows as `current_cow_size` while the child runs. A no-op elsewhere.
pub fn report_progress() {
    let fd = REPORT_FD.load(Ordering::Relaxed);
    if fd < 0 {
        return;
    }
    let now = super::unix_ms();
    if now.saturating_sub(LAST_REPORT_MS.load(Ordering::Relaxed)) < 1000 {
        return;
    }
    LAST_REPORT_MS.store(now, Ordering::Relaxed);
    report_cow(fd);
}
// ANCHOR_END: report_progress

/// Called in a child to tell the parent its copy-on-write size.
fn report_cow(fd: RawFd) {
    let msg = format!("{}\n", private_dirty_bytes());
    // SAFETY: writing a valid buffer to a pipe descriptor we own; a short
    // or failed write only loses a statistic.
    unsafe {
        libc::write(fd, msg.as_ptr().cast(), msg.len());
    }
}

// ANCHOR: fork
/// Forks a child that runs `body` on the parent's dataset as of now and
/// exits 0 if it returned true. Returns the child's pid in the parent.
pub fn fork_child(
    srv: &mut Server,
    kind: ChildKind,
    body: impl FnOnce(&Server) -> bool,
) -> Result<i32, String> {
    if srv.child.is_some() {
        return Err("a background child is already running".to_string());
    }
    let mut fds = [0 as RawFd; 2];
    // SAFETY: `fds` has room for the two descriptors pipe() writes.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(format!("pipe: {}", std::io::Error::last_os_error()));
    }
    let (read_fd, write_fd) = (fds[0], fds[1]);
    crate::alloc::lock_for_fork(); // invariant 4: nothing allocates until unlocked
                                   // SAFETY: fork has no memory-safety preconditions; the child only
                                   // runs `body` and `_exit`s (invariant 3).
    let pid = unsafe { libc::fork() };
    crate::alloc::unlock_after_fork();
    if pid < 0 {
        let e = std::io::Error::last_os_error();
        // SAFETY: closing the two pipe descriptors we just created.
        unsafe {
            libc::close(read_fd);
            libc::close(write_fd);
        }
        return Err(format!("fork: {e}"));
    }
    if pid == 0 {
        // The child: drop what only the parent should hold, do the work,
        // report, and leave without unwinding (invariant 3).
        // SAFETY: closing descriptors this process owns copies of.
        unsafe {
            libc::close(read_fd);
            for l in &srv.listeners {
                libc::close(l.fd());
            }
        }
        REPORT_FD.store(write_fd, Ordering::Relaxed);
        LAST_REPORT_MS.store(super::unix_ms(), Ordering::Relaxed);
        let ok = body(srv);
        report_cow(write_fd);
        // SAFETY: _exit ends the process immediately, which is the point.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) }
    }
    // SAFETY: closing our copy of the write end; setting O_NONBLOCK on
    // the read end we own so cron can poll it.
    unsafe {
        libc::close(write_fd);
        let fl = libc::fcntl(read_fd, libc::F_GETFL);
        libc::fcntl(read_fd, libc::F_SETFL, fl | libc::O_NONBLOCK);
    }
    set_resize_policy(ResizePolicy::Avoid); // invariant 2
    srv.child = Some(Child {
        pid,
        kind,
        start_ms: super::unix_ms(),
        info_fd: read_fd,
        cow_bytes: 0,
    });
    Ok(pid)
}
// ANCHOR_END: fork

/// Reads whatever the child reported so far.
fn read_info(c: &mut Child) {
    let mut buf = [0u8; 256];
    loop {
        // SAFETY: reading into a stack buffer of the given length from a
        // non-blocking descriptor we own.
        let n = unsafe { libc::read(c.info_fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            return;
        }
        let text = String::from_utf8_lossy(&buf[..n as usize]);
        if let Some(v) = text
            .lines()
            .filter_map(|l| l.trim().parse::<u64>().ok())
            .next_back()
        {
            c.cow_bytes = v;
        }
    }
}

// ANCHOR: reap
/// Polls the child without blocking (serverCron). Returns how it ended
/// once it has.
pub fn reap(srv: &mut Server) -> Option<Exit> {
    wait(srv, libc::WNOHANG)
}
// ANCHOR_END: reap

/// Kills the running child and waits for it (SHUTDOWN, turning the AOF
/// off during a rewrite). The caller cleans up its temp files.
pub fn kill(srv: &mut Server) -> Option<Exit> {
    let pid = srv.child.as_ref()?.pid;
    // SAFETY: signalling our own child.
    unsafe {
        libc::kill(pid, libc::SIGUSR1);
    }
    wait(srv, 0)
}

/// `waitpid` on the child with `flags`; once it has ended, forgets it and
/// says how (invariants 1 and 2 hold again).
fn wait(srv: &mut Server, flags: i32) -> Option<Exit> {
    let c = srv.child.as_mut()?;
    read_info(c);
    let mut status = 0;
    // SAFETY: waitpid on our own child with a valid status pointer.
    let r = unsafe { libc::waitpid(c.pid, &mut status, flags) };
    if r == 0 {
        return None; // still running (WNOHANG)
    }
    read_info(c);
    let c = srv.child.take()?;
    // SAFETY: closing the pipe's read end, which we own.
    unsafe {
        libc::close(c.info_fd);
    }
    set_resize_policy(ResizePolicy::Enable);
    let (ok, signal) = if r < 0 {
        (false, None)
    } else if libc::WIFEXITED(status) {
        (libc::WEXITSTATUS(status) == 0, None)
    } else if libc::WIFSIGNALED(status) {
        (false, Some(libc::WTERMSIG(status)))
    } else {
        (false, None)
    };
    Some(Exit {
        kind: c.kind,
        pid: c.pid,
        ok,
        signal,
        cow_bytes: c.cow_bytes,
        elapsed_ms: super::unix_ms().saturating_sub(c.start_ms),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_dirty_is_measurable_here() {
        // Linux always has /proc; elsewhere the figure is 0, not an error.
        if std::path::Path::new("/proc/self/smaps_rollup").exists() {
            assert!(private_dirty_bytes() > 0);
        }
    }
}
