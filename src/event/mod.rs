//! Event loop: one thread waits on many fds and timers, and calls back when
//! something is ready.
//!
//! Chapter: chapters/01-event-loop.md
//!
//! This is a reactor. Instead of a thread per client blocking in `read`, one
//! thread asks the kernel "which of these fds can I read or write without
//! blocking?", waits until the answer is non-empty or the nearest timer is
//! due, and calls the `Handler` for each ready fd and each due timer. The
//! server then does the non-blocking read or write itself. Each iteration:
//!
//! ```text
//!   before_sleep -> wait(timeout = nearest timer) -> file events -> time events
//! ```
//!
//! Invariants:
//! 1. `masks[fd]` is exactly the set of bits the poller watches for `fd`
//!    (every change goes through `register`/`unregister`, which update both).
//! 2. A `file_event` carries only bits that fired *and* are still registered
//!    when it is delivered; an fd whose bits were all unregistered by an
//!    earlier callback in the same iteration is skipped.
//! 3. File events of one iteration are delivered before its time events, and
//!    due timers run in (deadline, id) order.
//! 4. The loop never opens or closes the fds it watches; their owner does
//!    (and unregisters them first).
//!
//! Not here: sockets, clients, commands, replies (server/); what a fd *is*
//! is the handler's business.

mod poller;
mod select;
mod timer;

#[cfg(any(target_os = "linux", target_os = "android"))]
mod epoll;

#[cfg(any(
    target_os = "macos",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "dragonfly"
))]
mod kqueue;

use std::io;
use std::os::unix::io::RawFd;
use std::time::{Duration, Instant};

use poller::Poller;
use timer::Timers;

/// Which readiness bits a registration or an event carries.
pub type Mask = u8;
/// The fd has bytes to read, a pending connection, or EOF/an error to report.
pub const READABLE: Mask = 1;
/// The fd can accept more bytes without blocking.
pub const WRITABLE: Mask = 2;
const ALL: Mask = READABLE | WRITABLE;

/// Names a timer from `add_timer` until it is cancelled or stops repeating.
pub type TimerId = u64;

/// Longest delay a timer may ask for: 2^40 ms, about 34.8 years. Long enough
/// to mean "never", short enough that `Instant + delay` cannot overflow.
const MAX_TIMER_MS: u64 = 1 << 40;

/// The kernel readiness API behind an `EventLoop`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Linux: kernel-side interest list, O(ready) waits.
    Epoll,
    /// macOS and the BSDs: like epoll, with one filter per direction.
    Kqueue,
    /// Every unix: O(highest fd) waits, fds limited to FD_SETSIZE.
    Select,
}

impl Backend {
    /// The best back end this platform offers: epoll, then kqueue, then select.
    pub fn best_available() -> Backend {
        if cfg!(any(target_os = "linux", target_os = "android")) {
            Backend::Epoll
        } else if cfg!(any(
            target_os = "macos",
            target_os = "freebsd",
            target_os = "openbsd",
            target_os = "netbsd",
            target_os = "dragonfly"
        )) {
            Backend::Kqueue
        } else {
            Backend::Select
        }
    }

    /// Parse an `event-backend` directive value; `auto` picks the best.
    /// Case-insensitive, like every other enum directive in redis.conf.
    pub fn parse(s: &str) -> Option<Backend> {
        let known = [
            ("auto", Backend::best_available()),
            ("epoll", Backend::Epoll),
            ("kqueue", Backend::Kqueue),
            ("select", Backend::Select),
        ];
        known
            .iter()
            .find(|(name, _)| s.eq_ignore_ascii_case(name))
            .map(|&(_, b)| b)
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Epoll => "epoll",
            Backend::Kqueue => "kqueue",
            Backend::Select => "select",
        }
    }
}

// ANCHOR: handler
/// What the server plugs into the loop. One handler for every fd and timer:
/// the server looks up which client or listener an fd belongs to itself.
pub trait Handler {
    /// `mask` holds the bits that fired AND are still registered at delivery
    /// time (invariant 2). READABLE and WRITABLE arrive in one call; the
    /// handler decides the order (read first, as Redis does).
    fn file_event(&mut self, el: &mut EventLoop, fd: RawFd, mask: Mask);

    /// Return Some(ms) to run again after ms milliseconds, None to delete the
    /// timer.
    fn time_event(&mut self, el: &mut EventLoop, id: TimerId) -> Option<u64>;

    /// Called before each wait on the poller (Redis's beforeSleep): flush
    /// replies, and call `el.poll_immediately()` if work is left over.
    fn before_sleep(&mut self, el: &mut EventLoop);
}
// ANCHOR_END: handler

/// A reactor over one back end: per-fd interest masks plus timers.
pub struct EventLoop {
    backend: Backend,
    poller: Box<dyn Poller>,
    /// Registered bits per fd, indexed by fd; its length is the setsize, the
    /// first fd the loop refuses. Changed only by register/unregister
    /// (invariant 1).
    masks: Vec<Mask>,
    timers: Timers,
    /// Scratch buffers reused by every iteration so waiting allocates
    /// nothing. `run_once` takes them out while it calls handlers.
    fired: Vec<(RawFd, Mask)>,
    due: Vec<TimerId>,
    /// Set by `poll_immediately`, cleared by the next wait.
    poll_now: bool,
    stopped: bool,
    /// A wait error other than EINTR; set once, it stops the loop.
    error: Option<io::Error>,
}

impl EventLoop {
    // ANCHOR: new
    /// A loop accepting fds `0..setsize`. `Select` works on every unix,
    /// `Epoll` only on Linux, `Kqueue` only on macOS and the BSDs; asking
    /// for one the platform lacks gives `ErrorKind::Unsupported`.
    pub fn new(backend: Backend, setsize: usize) -> io::Result<EventLoop> {
        let poller: Box<dyn Poller> = match backend {
            Backend::Select => Box::new(select::Select::new()),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Backend::Epoll => Box::new(epoll::Epoll::new(setsize)?),
            #[cfg(any(
                target_os = "macos",
                target_os = "freebsd",
                target_os = "openbsd",
                target_os = "netbsd",
                target_os = "dragonfly"
            ))]
            Backend::Kqueue => Box::new(kqueue::Kqueue::new(setsize)?),
            #[allow(unreachable_patterns)] // every platform lacks epoll or kqueue
            other => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    format!(
                        "event backend {} is not available on this platform",
                        other.name()
                    ),
                ))
            }
        };
        Ok(EventLoop {
            backend,
            poller,
            masks: vec![0; setsize],
            timers: Timers::new(),
            fired: Vec::new(),
            due: Vec::new(),
            poll_now: false,
            stopped: false,
            error: None,
        })
    }
    // ANCHOR_END: new

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The first fd this loop refuses.
    pub fn setsize(&self) -> usize {
        self.masks.len()
    }

    /// Change the setsize (CONFIG SET maxclients). Fails, changing nothing,
    /// if an fd at or above the new size is still registered.
    pub fn resize(&mut self, setsize: usize) -> io::Result<()> {
        if let Some(fd) = self.masks.iter().skip(setsize).position(|&m| m != 0) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "fd {} is still registered above the new setsize {setsize}",
                    fd + setsize
                ),
            ));
        }
        self.poller.resize(setsize);
        self.masks.resize(setsize, 0);
        Ok(())
    }

    /// The index of `fd` in `masks`, or an error if the loop cannot hold it.
    fn slot(&self, fd: RawFd) -> io::Result<usize> {
        match usize::try_from(fd) {
            Ok(i) if i < self.masks.len() => Ok(i),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "fd {fd} is outside the event loop's setsize {}",
                    self.masks.len()
                ),
            )),
        }
    }

    // ANCHOR: register
    /// Add `mask`'s bits to what `fd` is watched for. Bits already set are
    /// left alone; on error nothing changes.
    pub fn register(&mut self, fd: RawFd, mask: Mask) -> io::Result<()> {
        let slot = self.slot(fd)?;
        let old = self.masks[slot];
        let add = mask & ALL & !old;
        if add == 0 {
            return Ok(());
        }
        self.poller.add(fd, old, add)?;
        self.masks[slot] = old | add; // invariant 1: only after the kernel agreed
        Ok(())
    }

    /// Remove `mask`'s bits from what `fd` is watched for; a no-op for bits
    /// (or fds) not registered.
    pub fn unregister(&mut self, fd: RawFd, mask: Mask) {
        let Ok(slot) = self.slot(fd) else { return };
        let old = self.masks[slot];
        let del = mask & old;
        if del == 0 {
            return;
        }
        self.poller.del(fd, old, del);
        self.masks[slot] = old & !del;
    }
    // ANCHOR_END: register

    pub fn mask_of(&self, fd: RawFd) -> Mask {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.masks.get(i))
            .copied()
            .unwrap_or(0)
    }

    /// Run `time_event(id)` once, `after_ms` milliseconds from now.
    pub fn add_timer(&mut self, after_ms: u64) -> TimerId {
        self.timers.add(deadline_after(Instant::now(), after_ms))
    }

    /// Stop timer `id` from running again. Safe from inside any callback,
    /// including the timer's own (its `Some(ms)` is then ignored). Returns
    /// false if `id` was not pending or running.
    pub fn cancel_timer(&mut self, id: TimerId) -> bool {
        self.timers.cancel(id)
    }

    /// How many timers are waiting to run.
    pub fn pending_timers(&self) -> usize {
        self.timers.len()
    }

    /// Make the next wait return at once (timeout 0), one shot. For work
    /// that is ready but not signalled by any fd, e.g. a client whose
    /// buffer still holds a complete command.
    pub fn poll_immediately(&mut self) {
        self.poll_now = true;
    }

    /// Make `run` return after the current iteration.
    pub fn stop(&mut self) {
        self.stopped = true;
    }

    /// The error that stopped the loop, if a wait failed with anything but
    /// EINTR (e.g. EBADF: an fd was closed while select still watched it).
    pub fn take_error(&mut self) -> Option<io::Error> {
        self.error.take()
    }

    /// Iterate until `stop()` is called or a wait fails (see `take_error`).
    pub fn run<H: Handler + ?Sized>(&mut self, h: &mut H) {
        self.stopped = false;
        while !self.stopped {
            self.run_once(h);
        }
    }

    // ANCHOR: run_once
    /// One iteration: before_sleep, wait (until the nearest timer), deliver
    /// file events, run due timers. Returns how many events were delivered
    /// (file events plus timer callbacks).
    pub fn run_once<H: Handler + ?Sized>(&mut self, h: &mut H) -> usize {
        h.before_sleep(self);

        // Computed after before_sleep, which may add timers or ask for an
        // immediate poll.
        let timeout = self.next_timeout();
        let mut fired = std::mem::take(&mut self.fired);
        if let Err(e) = self.poller.wait(timeout, &mut fired) {
            fired.clear();
            // EINTR: a signal arrived mid-wait. Its handler only set a flag,
            // which a timer (serverCron) will look at; this is not a failure.
            if e.kind() != io::ErrorKind::Interrupted {
                self.error = Some(e);
                self.stopped = true;
            }
        }

        let mut processed = 0;
        for &(fd, bits) in &fired {
            // Invariant 2: a handler for an earlier fd may have unregistered
            // (or closed and unregistered) this one since the kernel answered.
            // Real Redis: calls separate read and write procs, with an
            // AE_BARRIER flag to swap their order; see
            // chapters/01-event-loop.md#real-redis.
            let mask = bits & self.mask_of(fd);
            if mask != 0 {
                h.file_event(self, fd, mask);
                processed += 1;
            }
        }
        fired.clear();
        self.fired = fired; // keep the allocation for the next iteration

        processed + self.run_due_timers(h)
    }
    // ANCHOR_END: run_once

    fn next_timeout(&mut self) -> Option<Duration> {
        // A stop requested in before_sleep must not then block forever.
        if std::mem::take(&mut self.poll_now) || self.stopped {
            return Some(Duration::ZERO);
        }
        let now = Instant::now();
        self.timers
            .nearest()
            .map(|at| at.saturating_duration_since(now))
    }

    // ANCHOR: timers
    // Real Redis: keeps timers in an unsorted list and scans all of them;
    // it has only a handful. See chapters/01-event-loop.md#real-redis.
    fn run_due_timers<H: Handler + ?Sized>(&mut self, h: &mut H) -> usize {
        let mut due = std::mem::take(&mut self.due);
        due.clear();
        self.timers.collect_due(Instant::now(), &mut due);
        let mut ran = 0;
        for &id in &due {
            // Skip a timer that an earlier callback in this batch cancelled.
            if !self.timers.begin(id) {
                continue;
            }
            let again = h.time_event(self, id);
            let next = again.map(|ms| deadline_after(Instant::now(), ms));
            self.timers.finish(id, next); // drops it if cancelled meanwhile
            ran += 1;
        }
        due.clear();
        self.due = due;
        ran
    }
    // ANCHOR_END: timers

    #[cfg(test)]
    fn check_invariants(&self) {
        self.timers.check_invariants();
        self.poller.check_invariants(&self.masks);
        assert!(
            self.masks.iter().all(|&m| m & !ALL == 0),
            "masks hold only READABLE|WRITABLE"
        );
    }
}

fn deadline_after(now: Instant, ms: u64) -> Instant {
    // Cannot fail for ms <= MAX_TIMER_MS on any unix Instant (64-bit
    // seconds); if it ever did, firing now beats panicking in the loop.
    now.checked_add(Duration::from_millis(ms.min(MAX_TIMER_MS)))
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::io::AsRawFd;
    use std::os::unix::net::UnixStream;

    type FileFn = Box<dyn FnMut(&mut EventLoop, RawFd, Mask)>;
    type TimerFn = Box<dyn FnMut(&mut EventLoop, TimerId) -> Option<u64>>;
    type SleepFn = Box<dyn FnMut(&mut EventLoop)>;

    /// A handler that records every callback and optionally acts on it.
    #[derive(Default)]
    struct Recorder {
        files: Vec<(RawFd, Mask)>,
        timers: Vec<TimerId>,
        sleeps: usize,
        on_file: Option<FileFn>,
        on_timer: Option<TimerFn>,
        on_sleep: Option<SleepFn>,
    }

    impl Handler for Recorder {
        fn file_event(&mut self, el: &mut EventLoop, fd: RawFd, mask: Mask) {
            self.files.push((fd, mask));
            if let Some(f) = self.on_file.as_mut() {
                f(el, fd, mask);
            }
        }
        fn time_event(&mut self, el: &mut EventLoop, id: TimerId) -> Option<u64> {
            self.timers.push(id);
            self.on_timer.as_mut().and_then(|f| f(el, id))
        }
        fn before_sleep(&mut self, el: &mut EventLoop) {
            self.sleeps += 1;
            if let Some(f) = self.on_sleep.as_mut() {
                f(el);
            }
        }
    }

    /// The back ends every test runs against: both Linux ones on Linux.
    fn backends() -> Vec<Backend> {
        let mut v = vec![Backend::best_available(), Backend::Select];
        v.dedup();
        v
    }

    fn new_loop(b: Backend) -> EventLoop {
        EventLoop::new(b, 1024).unwrap()
    }

    /// Run one iteration that does not block: the events under test are
    /// already pending, so a broken loop fails instead of hanging.
    fn once_now(el: &mut EventLoop, h: &mut Recorder) -> usize {
        el.poll_immediately();
        let n = el.run_once(h);
        el.check_invariants();
        n
    }

    fn fd(s: &UnixStream) -> RawFd {
        s.as_raw_fd()
    }

    #[test]
    fn readable_fires_only_after_the_peer_writes() {
        for b in backends() {
            let (a, mut peer) = UnixStream::pair().unwrap();
            let mut el = new_loop(b);
            el.register(fd(&a), READABLE).unwrap();
            let mut h = Recorder::default();
            assert_eq!(once_now(&mut el, &mut h), 0, "{b:?}: nothing written yet");
            peer.write_all(b"x").unwrap();
            assert_eq!(once_now(&mut el, &mut h), 1, "{b:?}");
            assert_eq!(h.files, vec![(fd(&a), READABLE)], "{b:?}");
        }
    }

    #[test]
    fn writable_fires_on_an_empty_socket() {
        for b in backends() {
            let (a, _peer) = UnixStream::pair().unwrap();
            let mut el = new_loop(b);
            el.register(fd(&a), WRITABLE).unwrap();
            let mut h = Recorder::default();
            once_now(&mut el, &mut h);
            assert_eq!(h.files, vec![(fd(&a), WRITABLE)], "{b:?}");
        }
    }

    #[test]
    fn readable_and_writable_arrive_in_one_call() {
        for b in backends() {
            let (a, mut peer) = UnixStream::pair().unwrap();
            peer.write_all(b"x").unwrap();
            let mut el = new_loop(b);
            el.register(fd(&a), READABLE).unwrap();
            el.register(fd(&a), WRITABLE).unwrap();
            let mut h = Recorder::default();
            once_now(&mut el, &mut h);
            assert_eq!(h.files, vec![(fd(&a), READABLE | WRITABLE)], "{b:?}");
        }
    }

    #[test]
    fn wait_blocks_until_another_thread_writes() {
        for b in backends() {
            let (a, mut peer) = UnixStream::pair().unwrap();
            let mut el = new_loop(b);
            el.register(fd(&a), READABLE).unwrap();
            let guard = el.add_timer(10_000); // bounds the test if the wake is lost
            let writer = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(30));
                peer.write_all(b"x").unwrap();
                peer
            });
            let start = Instant::now();
            let mut h = Recorder::default();
            el.run_once(&mut h);
            let _peer = writer.join().unwrap();
            assert_eq!(h.files, vec![(fd(&a), READABLE)], "{b:?}");
            assert!(
                h.timers.is_empty(),
                "{b:?}: woke by the fd, not the guard timer"
            );
            assert!(
                start.elapsed() >= Duration::from_millis(20),
                "{b:?}: it did block"
            );
            assert!(el.cancel_timer(guard));
        }
    }

    #[test]
    fn unregistering_inside_a_callback_suppresses_a_pending_event_for_another_fd() {
        for b in backends() {
            let (a, mut pa) = UnixStream::pair().unwrap();
            let (c, mut pc) = UnixStream::pair().unwrap();
            pa.write_all(b"x").unwrap();
            pc.write_all(b"x").unwrap();
            let (fa, fc) = (fd(&a), fd(&c));
            let mut el = new_loop(b);
            el.register(fa, READABLE).unwrap();
            el.register(fc, READABLE).unwrap();
            // Whichever fd is delivered first drops the other; the kernel
            // already reported both, so the loop must re-check the mask.
            let mut h = Recorder {
                on_file: Some(Box::new(move |el, fd, _| {
                    el.unregister(if fd == fa { fc } else { fa }, READABLE);
                })),
                ..Recorder::default()
            };
            assert_eq!(once_now(&mut el, &mut h), 1, "{b:?}");
            assert_eq!(h.files.len(), 1, "{b:?}: {:?}", h.files);
        }
    }

    #[test]
    fn delivered_mask_drops_bits_unregistered_by_an_earlier_callback() {
        for b in backends() {
            let (a, mut pa) = UnixStream::pair().unwrap();
            let (c, mut pc) = UnixStream::pair().unwrap();
            pa.write_all(b"x").unwrap();
            pc.write_all(b"x").unwrap();
            let (fa, fc) = (fd(&a), fd(&c));
            let mut el = new_loop(b);
            for f in [fa, fc] {
                el.register(f, READABLE | WRITABLE).unwrap();
            }
            let mut h = Recorder {
                on_file: Some(Box::new(move |el, fd, _| {
                    el.unregister(if fd == fa { fc } else { fa }, WRITABLE);
                })),
                ..Recorder::default()
            };
            once_now(&mut el, &mut h);
            assert_eq!(h.files.len(), 2, "{b:?}");
            assert_eq!(h.files[0].1, READABLE | WRITABLE, "{b:?}");
            assert_eq!(h.files[1].1, READABLE, "{b:?}: WRITABLE was unregistered");
        }
    }

    #[test]
    fn register_and_unregister_track_the_mask_bit_by_bit() {
        for b in backends() {
            let (a, _peer) = UnixStream::pair().unwrap();
            let (c, _pc) = UnixStream::pair().unwrap();
            let mut el = new_loop(b);
            let f = fd(&a);
            let steps: [(bool, Mask, Mask); 6] = [
                (true, READABLE, READABLE),
                (true, WRITABLE, READABLE | WRITABLE),
                (true, READABLE, READABLE | WRITABLE), // already set: no-op
                (false, READABLE, WRITABLE),
                (false, READABLE, WRITABLE), // not set: no-op
                (false, WRITABLE, 0),
            ];
            el.register(fd(&c), READABLE).unwrap(); // a neighbour, untouched
            for (add, bits, want) in steps {
                if add {
                    el.register(f, bits).unwrap();
                } else {
                    el.unregister(f, bits);
                }
                assert_eq!(el.mask_of(f), want, "{b:?}");
                el.check_invariants();
            }
            el.unregister(fd(&c), ALL);
            el.check_invariants();
            el.unregister(-1, ALL); // out of range: a no-op, not a panic
            assert_eq!(el.mask_of(-1), 0);
        }
    }

    #[test]
    fn an_unregistered_fd_is_not_reported_even_when_ready() {
        for b in backends() {
            let (a, mut peer) = UnixStream::pair().unwrap();
            peer.write_all(b"x").unwrap();
            let mut el = new_loop(b);
            el.register(fd(&a), READABLE).unwrap();
            el.unregister(fd(&a), READABLE);
            let mut h = Recorder::default();
            assert_eq!(once_now(&mut el, &mut h), 0, "{b:?}");
        }
    }

    #[test]
    fn fds_outside_the_setsize_are_refused() {
        for b in backends() {
            let (a, _peer) = UnixStream::pair().unwrap();
            let mut el = EventLoop::new(b, fd(&a) as usize).unwrap();
            let err = el.register(fd(&a), READABLE).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{b:?}");
            assert!(el.register(-1, READABLE).is_err(), "{b:?}");
            assert_eq!(el.mask_of(fd(&a)), 0);
        }
    }

    #[test]
    fn a_closed_fd_is_refused_at_registration() {
        for b in backends() {
            // fd 1000 is far above anything this test process opens.
            // SAFETY: F_GETFD takes no pointer; any int is a valid argument.
            assert!(
                unsafe { libc::fcntl(1000, libc::F_GETFD) } < 0,
                "fd 1000 must be closed"
            );
            let mut el = new_loop(b);
            assert!(el.register(1000, READABLE).is_err(), "{b:?}");
            assert_eq!(
                el.mask_of(1000),
                0,
                "{b:?}: a failed register changes nothing"
            );
            el.check_invariants();
        }
    }

    #[test]
    fn select_refuses_fds_at_or_above_fd_setsize() {
        let mut el = EventLoop::new(Backend::Select, 4 * select::FD_LIMIT).unwrap();
        let err = el
            .register(select::FD_LIMIT as RawFd, READABLE)
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("FD_SETSIZE"), "{err}");
    }

    #[test]
    fn select_wait_error_stops_the_loop_and_is_reported() {
        // What if the owner closes an fd without unregistering it? select
        // then fails every wait with EBADF; the loop must stop, not spin.
        let (a, _peer) = UnixStream::pair().unwrap();
        let high = 900; // below FD_SETSIZE, far above this process's fds
                        // SAFETY: dup2 onto an fd this test owns; closed again below.
        assert_eq!(unsafe { libc::dup2(fd(&a), high) }, high);
        let mut el = new_loop(Backend::Select);
        el.register(high, READABLE).unwrap();
        // SAFETY: `high` is our dup from above; nothing else uses it.
        unsafe { libc::close(high) };
        let mut h = Recorder::default();
        el.run(&mut h); // returns: the error stopped it
        let err = el.take_error().expect("a wait error");
        assert_eq!(err.raw_os_error(), Some(libc::EBADF));
        el.unregister(high, ALL);
    }

    #[test]
    fn timers_fire_in_deadline_order() {
        for b in backends() {
            let mut el = new_loop(b);
            let late = el.add_timer(60);
            let early = el.add_timer(20);
            let middle = el.add_timer(40);
            let mut h = Recorder::default();
            for _ in 0..100 {
                if h.timers.len() == 3 {
                    break;
                }
                el.run_once(&mut h);
                el.check_invariants();
            }
            assert_eq!(h.timers, vec![early, middle, late], "{b:?}");
            assert_eq!(el.pending_timers(), 0);
        }
    }

    #[test]
    fn a_timer_does_not_fire_before_its_deadline() {
        for b in backends() {
            let mut el = new_loop(b);
            let start = Instant::now();
            el.add_timer(30);
            let mut h = Recorder::default();
            while h.timers.is_empty() {
                el.run_once(&mut h);
            }
            assert!(start.elapsed() >= Duration::from_millis(30), "{b:?}");
            // Waiting until the deadline, not spinning towards it.
            assert!(h.sleeps <= 3, "{b:?}: {} iterations", h.sleeps);
        }
    }

    #[test]
    fn a_timer_returning_some_runs_again_until_it_returns_none() {
        for b in backends() {
            let mut el = new_loop(b);
            let id = el.add_timer(1);
            let mut left = 3;
            let mut h = Recorder {
                on_timer: Some(Box::new(move |_, _| {
                    left -= 1;
                    (left > 0).then_some(5)
                })),
                ..Recorder::default()
            };
            for _ in 0..100 {
                if el.pending_timers() == 0 {
                    break;
                }
                el.run_once(&mut h);
                el.check_invariants();
            }
            assert_eq!(h.timers, vec![id, id, id], "{b:?}: same id each time");
            assert!(!el.cancel_timer(id), "{b:?}: deleted after returning None");
        }
    }

    #[test]
    fn a_zero_ms_repeat_runs_once_per_iteration_not_forever() {
        let mut el = new_loop(Backend::best_available());
        el.add_timer(0);
        let mut h = Recorder {
            on_timer: Some(Box::new(|_, _| Some(0))),
            ..Recorder::default()
        };
        assert_eq!(el.run_once(&mut h), 1);
        assert_eq!(el.run_once(&mut h), 1);
        assert_eq!(el.pending_timers(), 1);
    }

    #[test]
    fn a_cancelled_timer_never_fires() {
        for b in backends() {
            let mut el = new_loop(b);
            let gone = el.add_timer(5);
            let kept = el.add_timer(10);
            assert!(el.cancel_timer(gone));
            assert!(!el.cancel_timer(gone), "second cancel finds nothing");
            el.check_invariants();
            let mut h = Recorder::default();
            while el.pending_timers() > 0 {
                el.run_once(&mut h);
            }
            assert_eq!(h.timers, vec![kept], "{b:?}");
        }
    }

    #[test]
    fn a_callback_can_cancel_another_due_timer_in_the_same_batch() {
        for b in backends() {
            let mut el = new_loop(b);
            let first = el.add_timer(1);
            let second = el.add_timer(1);
            std::thread::sleep(Duration::from_millis(5)); // both due now
            let mut h = Recorder {
                on_timer: Some(Box::new(move |el, id| {
                    if id == first {
                        assert!(el.cancel_timer(second));
                    }
                    None
                })),
                ..Recorder::default()
            };
            assert_eq!(once_now(&mut el, &mut h), 1, "{b:?}");
            assert_eq!(h.timers, vec![first], "{b:?}");
            assert_eq!(el.pending_timers(), 0);
        }
    }

    #[test]
    fn a_timer_that_cancels_itself_is_not_rescheduled() {
        for b in backends() {
            let mut el = new_loop(b);
            let id = el.add_timer(1);
            let mut h = Recorder {
                on_timer: Some(Box::new(|el, id| {
                    assert!(el.cancel_timer(id), "running timer counts as cancellable");
                    assert!(!el.cancel_timer(id), "but only once");
                    Some(1) // ignored: the cancel wins
                })),
                ..Recorder::default()
            };
            while h.timers.is_empty() {
                el.run_once(&mut h);
                el.check_invariants();
            }
            assert_eq!(h.timers, vec![id]);
            assert_eq!(el.pending_timers(), 0, "{b:?}");
        }
    }

    #[test]
    fn poll_immediately_makes_one_wait_return_at_once() {
        for b in backends() {
            let mut el = new_loop(b);
            let start = Instant::now();
            let t = el.add_timer(100);
            let mut h = Recorder::default();
            el.poll_immediately();
            assert_eq!(el.run_once(&mut h), 0, "{b:?}: the timer is not due yet");
            assert!(
                start.elapsed() < Duration::from_millis(90),
                "{b:?}: did not block"
            );
            // One shot: the next wait sleeps until the timer again.
            el.run_once(&mut h);
            assert_eq!(h.timers, vec![t], "{b:?}");
            assert!(start.elapsed() >= Duration::from_millis(100), "{b:?}");
        }
    }

    #[test]
    fn poll_immediately_from_before_sleep_applies_to_the_same_wait() {
        let mut el = new_loop(Backend::best_available());
        el.add_timer(10_000);
        let mut h = Recorder {
            on_sleep: Some(Box::new(|el| el.poll_immediately())),
            ..Recorder::default()
        };
        let start = Instant::now();
        el.run_once(&mut h);
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn before_sleep_runs_once_before_every_wait() {
        let mut el = new_loop(Backend::best_available());
        let mut h = Recorder::default();
        for _ in 0..3 {
            once_now(&mut el, &mut h);
        }
        assert_eq!(h.sleeps, 3);
    }

    #[test]
    fn run_returns_after_a_timer_calls_stop() {
        for b in backends() {
            let mut el = new_loop(b);
            el.add_timer(5);
            let mut h = Recorder {
                on_timer: Some(Box::new(|el, _| {
                    el.stop();
                    Some(5)
                })),
                ..Recorder::default()
            };
            el.run(&mut h);
            assert_eq!(h.timers.len(), 1, "{b:?}");
            assert!(el.take_error().is_none());
        }
    }

    #[test]
    fn stop_in_before_sleep_does_not_block_on_an_idle_loop() {
        // No fds and no timers: a blocking wait here would never return.
        let mut el = new_loop(Backend::best_available());
        let mut h = Recorder {
            on_sleep: Some(Box::new(|el| el.stop())),
            ..Recorder::default()
        };
        el.run(&mut h);
        assert_eq!(h.sleeps, 1);
    }

    #[test]
    fn run_once_nested_in_a_timer_callback_keeps_the_outer_timer() {
        // Redis re-enters its loop while loading data (processEventsWhileBlocked);
        // the outer timer must survive the inner iteration's bookkeeping.
        let mut el = new_loop(Backend::best_available());
        let outer = el.add_timer(1);
        let inner_timer = el.add_timer(1);
        std::thread::sleep(Duration::from_millis(5));
        let mut h = Recorder {
            on_timer: Some(Box::new(move |el, id| {
                if id == outer {
                    let mut inner = Recorder::default();
                    el.poll_immediately();
                    el.run_once(&mut inner);
                    assert_eq!(inner.timers, vec![inner_timer], "inner loop ran the other");
                    el.check_invariants();
                    return Some(1_000);
                }
                None
            })),
            ..Recorder::default()
        };
        once_now(&mut el, &mut h);
        assert_eq!(
            h.timers,
            vec![outer],
            "outer handler saw only its own timer"
        );
        assert_eq!(el.pending_timers(), 1, "outer timer rescheduled");
        assert!(el.cancel_timer(outer));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_signal_during_the_wait_is_not_an_error() {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;

        extern "C" fn ignore(_: libc::c_int) {}
        // SAFETY: sigaction with a zeroed struct plus a valid handler and
        // empty mask; no SA_RESTART, though epoll_wait and select are never
        // restarted anyway. SIGUSR1 is used by nothing else in these tests.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = ignore as extern "C" fn(libc::c_int) as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            assert_eq!(libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut()), 0);
        }
        for b in backends() {
            let mut el = new_loop(b);
            el.add_timer(10_000);
            // SAFETY: pthread_self has no preconditions.
            let me = unsafe { libc::pthread_self() };
            let done = Arc::new(AtomicBool::new(false));
            let done2 = done.clone();
            // Keep signalling: one that lands before the wait starts is
            // simply handled, the next one interrupts the wait.
            let killer = std::thread::spawn(move || {
                while !done2.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(10));
                    // SAFETY: `me` is the test thread, alive until join below.
                    unsafe { libc::pthread_kill(me, libc::SIGUSR1) };
                }
            });
            let start = Instant::now();
            let n = el.run_once(&mut Recorder::default());
            done.store(true, Ordering::SeqCst);
            killer.join().unwrap();
            assert_eq!(n, 0, "{b:?}");
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "{b:?}: the signal woke it"
            );
            assert!(el.take_error().is_none(), "{b:?}: EINTR is not an error");
        }
    }

    #[test]
    fn resize_refuses_to_drop_a_registered_fd() {
        for b in backends() {
            let (a, _peer) = UnixStream::pair().unwrap();
            let mut el = new_loop(b);
            el.register(fd(&a), READABLE).unwrap();
            assert!(el.resize(fd(&a) as usize).is_err(), "{b:?}");
            assert_eq!(el.setsize(), 1024);
            el.resize(fd(&a) as usize + 1).unwrap();
            assert_eq!(el.mask_of(fd(&a)), READABLE);
            el.check_invariants();
        }
    }

    #[test]
    fn backend_parse_accepts_names_and_auto_in_any_case() {
        for b in [Backend::Epoll, Backend::Kqueue, Backend::Select] {
            assert_eq!(Backend::parse(b.name()), Some(b));
            assert_eq!(Backend::parse(&b.name().to_uppercase()), Some(b));
        }
        assert_eq!(Backend::parse("Auto"), Some(Backend::best_available()));
        assert_eq!(Backend::parse("poll"), None);
        assert_eq!(Backend::parse(""), None);
    }

    #[test]
    fn the_best_backend_is_available_and_select_always_is() {
        for b in backends() {
            assert_eq!(EventLoop::new(b, 16).unwrap().backend(), b);
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn kqueue_is_unsupported_on_linux() {
        let err = EventLoop::new(Backend::Kqueue, 16).err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::Unsupported);
        assert_eq!(Backend::best_available(), Backend::Epoll);
    }
}
