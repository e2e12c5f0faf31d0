//! Background I/O: a thread that runs the slow system calls the event
//! loop must not wait for.
//!
//! Chapter: chapters/21-aof.md
//!
//! `fsync` of an append-only file can take tens of milliseconds on a busy
//! disk, and closing the last descriptor of a large deleted file frees its
//! blocks synchronously. Redis hands both to background threads ("bio");
//! so do we, with one thread and a FIFO queue:
//!
//! ```text
//!   main thread                       bio thread
//!   submit(Fsync(file)) ──► queue ──► file.sync_data()   pending[Fsync] -= 1
//!   submit(Close(file)) ──►       ──► drop(file)         pending[Close] -= 1
//! ```
//!
//! FIFO order is what makes it safe to close a file after asking for its
//! fsync: the close job runs after the fsync job. Files travel as
//! `Arc<File>`, so a descriptor stays open while any job still needs it.
//!
//! Invariants:
//! 1. `pending(kind)` counts jobs of that kind submitted and not finished.
//! 2. Jobs run one at a time, in submission order.
//! 3. The bio thread never touches server state: a forked child, which
//!    has no bio thread, can never wait for it.
//!
//! Not here: when to fsync (`persist/aof.rs`).

use std::collections::VecDeque;
use std::fs::File;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};

pub enum Job {
    /// fdatasync the file; records the result (see `last_fsync_failed`).
    Fsync(Arc<File>),
    /// Drop (close) the file off the main thread.
    Close(Arc<File>),
}

const FSYNC: usize = 0;
const CLOSE: usize = 1;

struct Bio {
    queue: Mutex<VecDeque<Job>>,
    wake: Condvar,
    pending: [AtomicUsize; 2],
    /// Errno of the last failed fsync, 0 if the last one succeeded.
    last_fsync_errno: AtomicU64,
}

static BIO: OnceLock<Arc<Bio>> = OnceLock::new();

fn bio() -> &'static Arc<Bio> {
    BIO.get_or_init(|| {
        let b = Arc::new(Bio {
            queue: Mutex::new(VecDeque::new()),
            wake: Condvar::new(),
            pending: [AtomicUsize::new(0), AtomicUsize::new(0)],
            last_fsync_errno: AtomicU64::new(0),
        });
        let worker = Arc::clone(&b);
        // If the thread cannot be created, jobs run inline (`submit`).
        let spawned = std::thread::Builder::new()
            .name("bio".to_string())
            .spawn(move || run(&worker));
        if spawned.is_err() {
            crate::log!(
                Warning,
                "Fatal: can't create the background I/O thread; running I/O inline"
            );
        }
        b
    })
}

fn kind_of(job: &Job) -> usize {
    match job {
        Job::Fsync(_) => FSYNC,
        Job::Close(_) => CLOSE,
    }
}

fn perform(b: &Bio, job: Job) {
    let kind = kind_of(&job);
    match job {
        Job::Fsync(f) => {
            let errno = match f.sync_data() {
                Ok(()) => 0,
                Err(e) => e.raw_os_error().unwrap_or(-1) as u64,
            };
            b.last_fsync_errno.store(errno, Ordering::Release);
        }
        Job::Close(f) => drop(f),
    }
    b.pending[kind].fetch_sub(1, Ordering::AcqRel);
}

fn run(b: &Bio) {
    loop {
        let job = {
            let mut q = match b.queue.lock() {
                Ok(q) => q,
                Err(poisoned) => poisoned.into_inner(),
            };
            loop {
                if let Some(j) = q.pop_front() {
                    break j;
                }
                q = match b.wake.wait(q) {
                    Ok(q) => q,
                    Err(poisoned) => poisoned.into_inner(),
                };
            }
        };
        perform(b, job);
    }
}

// ANCHOR: submit
/// Queues a job for the bio thread (invariant 2).
pub fn submit(job: Job) {
    let b = bio();
    b.pending[kind_of(&job)].fetch_add(1, Ordering::AcqRel);
    let mut q = match b.queue.lock() {
        Ok(q) => q,
        Err(poisoned) => poisoned.into_inner(),
    };
    q.push_back(job);
    drop(q);
    b.wake.notify_one();
}
// ANCHOR_END: submit

/// Fsync jobs queued or running (Redis's bioPendingJobsOfType).
pub fn pending_fsyncs() -> usize {
    BIO.get()
        .map_or(0, |b| b.pending[FSYNC].load(Ordering::Acquire))
}

/// The errno of the last background fsync if it failed.
pub fn last_fsync_error() -> Option<i32> {
    BIO.get()
        .and_then(|b| match b.last_fsync_errno.load(Ordering::Acquire) {
            0 => None,
            e => Some(e as i32),
        })
}

/// Waits until every queued job has run (shutdown, tests).
pub fn drain() {
    while BIO
        .get()
        .is_some_and(|b| b.pending.iter().any(|p| p.load(Ordering::Acquire) > 0))
    {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fsync_then_close_run_in_order_and_drain() {
        let path = std::env::temp_dir().join(format!("oxidis-bio-{}", std::process::id()));
        let f = Arc::new(File::create(&path).expect("temp file"));
        submit(Job::Fsync(Arc::clone(&f)));
        submit(Job::Close(f));
        drain();
        assert_eq!(pending_fsyncs(), 0);
        assert_eq!(last_fsync_error(), None);
        let _ = std::fs::remove_file(path);
    }
}
