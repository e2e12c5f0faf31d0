//! Memory accounting and small-block allocation: the global allocator.
//!
//! Chapter: chapters/06-memory.md
//!
//! Every allocation the process makes goes through `CountingAlloc`, which
//! serves small blocks from its own size classes, forwards the rest to the
//! system allocator, and adds the requested size to one global counter;
//! every free subtracts it. INFO's `used_memory` reads the
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
use std::cell::{Cell, UnsafeCell};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Bytes currently allocated through `CountingAlloc` (invariant 1).
static USED: AtomicUsize = AtomicUsize::new(0);
/// The highest value `USED` has reached (INFO `used_memory_peak`).
static PEAK: AtomicUsize = AtomicUsize::new(0);

// ANCHOR: alloc
/// Small blocks are served from per-size-class free lists in 64 KB slabs;
/// larger or over-aligned ones go to the system allocator.
///
/// HOW IT WORKS. Rust's allocator interface hands `dealloc` the same
/// `Layout` that `alloc` got, so the size class of a block is known at
/// free time without a header in front of it. Blocks of up to
/// `SMALL_MAX` bytes are rounded up to a multiple of 8 and taken from that
/// class's free list, or carved from its current slab. A freed block goes
/// back on its class's list (its first 8 bytes hold the next pointer).
///
/// WHY NOT THE SYSTEM ALLOCATOR FOR EVERYTHING. glibc's malloc puts an
/// 8-byte header before every block and rounds to 16 with a 32-byte
/// minimum: a 14-byte key costs 32 bytes, a 56-byte dict node 64. The
/// keyspace is millions of such blocks. Here a 14-byte request costs 16
/// and a 56-byte one 56 (chapter 6 has the measurements).
///
/// LIMITS. Memory freed to a class stays with that class: the process's
/// RSS does not shrink after deleting many small keys (jemalloc returns
/// pages; we do not, yet). Each class has a spin lock: threads rarely
/// allocate at the same time here (one main thread; background threads
/// come with persistence), and a lock held across `fork` would deadlock
/// the child — the fork code must take all class locks first.
pub struct CountingAlloc;

/// Largest request served from a size class.
const SMALL_MAX: usize = 256;
/// Bytes requested from the system per slab refill.
const SLAB_BYTES: usize = 64 * 1024;
const CLASSES: usize = SMALL_MAX / 8;

struct Class {
    lock: AtomicBool,
    state: UnsafeCell<ClassState>,
}

struct ClassState {
    /// Singly linked list of free blocks, through their first word.
    free: *mut u8,
    /// Uncarved part of the current slab: [bump, end).
    bump: *mut u8,
    end: *mut u8,
}

// SAFETY: `state` is only touched while `lock` is held (see `with_class`).
unsafe impl Sync for Class {}

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY_CLASS: Class = Class {
    lock: AtomicBool::new(false),
    state: UnsafeCell::new(ClassState {
        free: std::ptr::null_mut(),
        bump: std::ptr::null_mut(),
        end: std::ptr::null_mut(),
    }),
};

static SLABS: [Class; CLASSES] = [EMPTY_CLASS; CLASSES];

/// The class index for a layout, or None for the system allocator.
#[inline]
fn class_of(layout: &Layout) -> Option<usize> {
    let size = layout.size();
    if size == 0 || size > SMALL_MAX || layout.align() > 8 {
        return None;
    }
    Some(size.div_ceil(8) - 1)
}

#[inline]
fn with_class<R>(idx: usize, f: impl FnOnce(&mut ClassState) -> R) -> R {
    let class = &SLABS[idx];
    while class
        .lock
        .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        std::hint::spin_loop();
    }
    // SAFETY: the lock above gives this thread exclusive access to the
    // state until the store below releases it.
    let r = f(unsafe { &mut *class.state.get() });
    class.lock.store(false, Ordering::Release);
    r
}

thread_local! {
    /// Each thread's own free lists, one per class: freeing and reusing a
    /// block costs no atomic operation at all. Blocks freed by a thread
    /// stay with that thread; the shared slabs only hand out new blocks.
    /// Const-initialised and without a destructor, so it is usable at any
    /// point of a thread's life, even while it exits.
    static LOCAL_FREE: [Cell<*mut u8>; CLASSES] =
        const { [const { Cell::new(std::ptr::null_mut()) }; CLASSES] };
}

fn slab_alloc(idx: usize) -> *mut u8 {
    let local = LOCAL_FREE.try_with(|lists| {
        let p = lists[idx].get();
        if !p.is_null() {
            // SAFETY: `p` is a free block of this class on this thread's
            // list; its first word holds the next one (see `slab_free`).
            lists[idx].set(unsafe { (p as *mut *mut u8).read() });
        }
        p
    });
    match local {
        Ok(p) if !p.is_null() => p,
        _ => slab_alloc_shared(idx),
    }
}

fn slab_alloc_shared(idx: usize) -> *mut u8 {
    let block = (idx + 1) * 8;
    with_class(idx, |st| {
        if !st.free.is_null() {
            let p = st.free;
            // SAFETY: `p` is a free block of this class; its first word was
            // written by `slab_free` with the next free block (or null).
            st.free = unsafe { (p as *mut *mut u8).read() };
            return p;
        }
        if (st.end as usize) - (st.bump as usize) < block {
            let layout = match Layout::from_size_align(SLAB_BYTES, 8) {
                Ok(l) => l,
                Err(_) => return std::ptr::null_mut(),
            };
            // SAFETY: non-zero size, valid alignment.
            let slab = unsafe { System.alloc(layout) };
            if slab.is_null() {
                return slab;
            }
            st.bump = slab;
            // SAFETY: `slab` points to SLAB_BYTES bytes.
            st.end = unsafe { slab.add(SLAB_BYTES) };
        }
        let p = st.bump;
        // SAFETY: at least `block` bytes remain before `end`.
        st.bump = unsafe { st.bump.add(block) };
        p
    })
}

// ANCHOR: fork_locks
/// Takes every class lock, so that no other thread is in the middle of
/// carving a slab when the process forks (a lock held at `fork` would
/// stay held forever in the child). Pair with `unlock_after_fork` in both
/// the parent and the child.
pub fn lock_for_fork() {
    for class in SLABS.iter() {
        while class
            .lock
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            std::hint::spin_loop();
        }
    }
}

/// Releases what `lock_for_fork` took.
pub fn unlock_after_fork() {
    for class in SLABS.iter() {
        class.lock.store(false, Ordering::Release);
    }
}
// ANCHOR_END: fork_locks

fn slab_free(idx: usize, p: *mut u8) {
    let pushed = LOCAL_FREE.try_with(|lists| {
        // SAFETY: `p` is a block of this class being freed; blocks are at
        // least 8 bytes and 8-aligned, so its first word can hold the link.
        unsafe { (p as *mut *mut u8).write(lists[idx].get()) };
        lists[idx].set(p);
    });
    if pushed.is_ok() {
        return;
    }
    with_class(idx, |st| {
        // SAFETY: `p` is a block of this class being freed; blocks are at
        // least 8 bytes and 8-aligned, so its first word can hold the link.
        unsafe { (p as *mut *mut u8).write(st.free) };
        st.free = p;
    })
}

// SAFETY: small blocks come from slabs: each is `(idx + 1) * 8` bytes,
// 8-aligned, handed out to one owner until freed with the same layout
// (GlobalAlloc's contract), which maps to the same class. Everything else
// is forwarded to `System` unchanged.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = match class_of(&layout) {
            Some(idx) => slab_alloc(idx),
            // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
            None => unsafe { System.alloc(layout) },
        };
        if !p.is_null() {
            USED.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match class_of(&layout) {
            Some(idx) => slab_free(idx, ptr),
            // SAFETY: `ptr` came from `System.alloc` with this layout.
            None => unsafe { System.dealloc(ptr, layout) },
        }
        USED.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match class_of(&layout) {
            Some(_) => {
                // SAFETY: as `alloc`; a recycled block must be cleared.
                let p = unsafe { self.alloc(layout) };
                if !p.is_null() {
                    // SAFETY: `p` has at least `layout.size()` bytes.
                    unsafe { std::ptr::write_bytes(p, 0, layout.size()) };
                }
                p
            }
            None => {
                // SAFETY: the caller upholds the contract.
                let p = unsafe { System.alloc_zeroed(layout) };
                if !p.is_null() {
                    USED.fetch_add(layout.size(), Ordering::Relaxed);
                }
                p
            }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
            return std::ptr::null_mut();
        };
        match (class_of(&layout), class_of(&new_layout)) {
            (None, None) => {
                // SAFETY: both sides are System's; the contract holds.
                let p = unsafe { System.realloc(ptr, layout, new_size) };
                if !p.is_null() {
                    if new_size >= layout.size() {
                        USED.fetch_add(new_size - layout.size(), Ordering::Relaxed);
                    } else {
                        USED.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
                    }
                }
                p
            }
            (Some(a), Some(b)) if a == b => {
                // Same class: the block already has room.
                if new_size >= layout.size() {
                    USED.fetch_add(new_size - layout.size(), Ordering::Relaxed);
                } else {
                    USED.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
                }
                ptr
            }
            _ => {
                // SAFETY: new_layout is valid and non-zero-sized (realloc's
                // contract); the copy stays within both blocks.
                unsafe {
                    let p = self.alloc(new_layout);
                    if !p.is_null() {
                        std::ptr::copy_nonoverlapping(ptr, p, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                    p
                }
            }
        }
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

    /// Tests that call `CountingAlloc` directly run one at a time: they
    /// share its free lists and counter.
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

    #[test]
    fn counting_alloc_adds_and_subtracts_the_requested_size() {
        let _serial = SERIAL.lock();
        let a = CountingAlloc;
        let before = used_memory();
        let layout = Layout::from_size_align(1000, 8).expect("valid layout");
        // SAFETY: layout has non-zero size; the pointer is freed with the
        // same layout below.
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null());
            // The other tests that use `CountingAlloc` hold `SERIAL`, so
            // only this block moves the counter.
            assert_eq!(used_memory(), before + 1000);
            let p = a.realloc(p, layout, 1500);
            assert_eq!(used_memory(), before + 1500);
            a.dealloc(p, Layout::from_size_align(1500, 8).expect("valid"));
        }
        assert_eq!(used_memory(), before);
    }

    #[test]
    fn small_blocks_are_reused_per_class_and_keep_their_bytes() {
        let _serial = SERIAL.lock();
        let a = CountingAlloc;
        let l24 = Layout::from_size_align(24, 8).expect("layout");
        // SAFETY: every pointer is written within its size and freed once
        // with the layout it was allocated with.
        unsafe {
            let p = a.alloc(l24);
            p.write_bytes(0xAB, 24);
            a.dealloc(p, l24);
            // The class's free list hands the same block back.
            let q = a.alloc(Layout::from_size_align(20, 8).expect("layout"));
            assert_eq!(p, q);
            // Growing across classes copies the bytes.
            q.write_bytes(7, 20);
            let r = a.realloc(q, Layout::from_size_align(20, 8).expect("l"), 201);
            assert_eq!(*r.add(19), 7);
            // Growing within the class (201 and 204 both round to 208)
            // keeps the block.
            let s = a.realloc(r, Layout::from_size_align(201, 8).expect("l"), 204);
            assert_eq!(r, s);
            let z = a.alloc_zeroed(l24);
            assert!((0..24).all(|i| *z.add(i) == 0));
            a.dealloc(z, l24);
            a.dealloc(s, Layout::from_size_align(204, 8).expect("l"));
        }
    }

    #[test]
    fn threads_allocating_small_blocks_never_share_one() {
        let _serial = SERIAL.lock();
        let handles: Vec<_> = (0..4)
            .map(|t| {
                std::thread::spawn(move || {
                    let a = CountingAlloc;
                    let l = Layout::from_size_align(32, 8).expect("layout");
                    let mut blocks = Vec::new();
                    for i in 0..2000u64 {
                        // SAFETY: 32-byte blocks, written in bounds, freed
                        // below with the same layout.
                        unsafe {
                            let p = a.alloc(l) as *mut u64;
                            p.write(t * 1_000_000 + i);
                            blocks.push(p);
                        }
                    }
                    for (i, &p) in blocks.iter().enumerate() {
                        // SAFETY: each block is still owned by this thread.
                        unsafe {
                            assert_eq!(p.read(), t * 1_000_000 + i as u64);
                            a.dealloc(p as *mut u8, l);
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().expect("thread");
        }
    }

    #[test]
    fn resident_set_size_is_positive_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(resident_set_size() > 0);
        }
    }
}
