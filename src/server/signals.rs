//! Signal handling: SIGTERM and SIGINT request a graceful shutdown;
//! SIGPIPE is ignored so a closed socket is an EPIPE error, not a crash.
//!
//! Chapter: chapters/03-clients.md
//!
//! A signal handler may only do async-signal-safe work, so ours stores the
//! signal number in an atomic and returns. The event loop's wait returns
//! with EINTR, and the next `before_sleep` or cron tick sees the flag.
//!
//! Invariants:
//! 1. The handler touches nothing but `SIGNAL`.
//!
//! Not here: what shutdown does (`cron::prepare_shutdown`).

use std::sync::atomic::{AtomicI32, Ordering};

static SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_shutdown_signal(sig: libc::c_int) {
    SIGNAL.store(sig, Ordering::SeqCst); // invariant 1
}

pub fn install() {
    // SAFETY: installing handlers is process-global but we do it once at
    // start-up, before any other thread exists; the handler is
    // async-signal-safe (one atomic store).
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        let handler = on_shutdown_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::signal(libc::SIGTERM, handler);
        libc::signal(libc::SIGINT, handler);
    }
}

pub fn shutdown_requested() -> bool {
    SIGNAL.load(Ordering::SeqCst) != 0
}

/// Forgets a received signal: the shutdown it asked for was refused (the
/// final save failed), and the next SIGTERM should try again.
pub fn clear_shutdown_signal() {
    SIGNAL.store(0, Ordering::SeqCst);
}

pub fn signal_name() -> &'static str {
    match SIGNAL.load(Ordering::SeqCst) {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        _ => "signal",
    }
}
