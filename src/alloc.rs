//! Memory accounting: a counting global allocator.
//!
//! Chapter: chapters/06-memory.md
//!
//! Every allocation the process makes goes through `CountingAlloc`, which
//! forwards to the system allocator and adds the requested size to one
//! global counter; every free subtracts it. INFO's `used_memory` reads the
//! counter, and `maxmemory` (eviction, a later chapter) compares with it.
//!
//! Invariants:
//! 1. `used_memory()` equals the sum of the sizes of all live allocations
//!    made through this allocator (requested sizes, not the allocator's
//!    rounded-up size classes).
//! 2. The counter is only ever changed with atomic read-modify-write, so
//!    background threads (bio, I/O threads) keep it exact.
//!
//! Not here: resident set size (read from /proc in `server/info.rs`), the
//! allocator's own fragmentation, and eviction.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes currently allocated through `CountingAlloc` (invariant 1).
static USED: AtomicUsize = AtomicUsize::new(0);
/// The highest value `USED` has reached (INFO `used_memory_peak`).
static PEAK: AtomicUsize = AtomicUsize::new(0);

// ANCHOR: alloc
/// The global allocator installed by `main.rs`: the system allocator plus
/// one counter. Relaxed ordering is enough: nobody synchronises on the
/// counter, they only read an approximately current total.
pub struct CountingAlloc;

// SAFETY: every method forwards to `System` with the caller's layout and
// pointer unchanged, so `System`'s guarantees carry over; the counter
// updates have no effect on the memory handed out.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            USED.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) };
        USED.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            USED.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // A failed realloc leaves the old block (and the count) alone.
            if new_size >= layout.size() {
                USED.fetch_add(new_size - layout.size(), Ordering::Relaxed);
            } else {
                USED.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}
// ANCHOR_END: alloc

/// Bytes currently allocated. Zero when the counting allocator is not
/// installed (unit tests and benches use the plain system allocator).
pub fn used_memory() -> usize {
    USED.load(Ordering::Relaxed)
}

/// Updates and returns the peak. Called from the server's cron, not from
/// `alloc`, to keep the allocation path to a single atomic add.
pub fn update_peak() -> usize {
    let used = used_memory();
    PEAK.fetch_max(used, Ordering::Relaxed).max(used)
}

/// Resident set size in bytes, from /proc/self/statm (Linux); 0 elsewhere.
pub fn resident_set_size() -> usize {
    let Ok(text) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: usize = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    pages * page_size()
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions; it returns -1 on error.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if n > 0 {
        n as usize
    } else {
        4096
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting_alloc_adds_and_subtracts_the_requested_size() {
        let a = CountingAlloc;
        let before = used_memory();
        let layout = Layout::from_size_align(1000, 8).expect("valid layout");
        // SAFETY: layout has non-zero size; the pointer is freed with the
        // same layout below.
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null());
            // Other tests run in parallel threads but they use `System`
            // directly, so only this block moves the counter.
            assert_eq!(used_memory(), before + 1000);
            let p = a.realloc(p, layout, 1500);
            assert_eq!(used_memory(), before + 1500);
            a.dealloc(p, Layout::from_size_align(1500, 8).expect("valid"));
        }
        assert_eq!(used_memory(), before);
    }

    #[test]
    fn resident_set_size_is_positive_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(resident_set_size() > 0);
        }
    }
}
