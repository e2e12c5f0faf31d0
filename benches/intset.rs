//! Intset micro-benchmarks: membership tests and building a set, against
//! `BTreeSet<i64>` and `HashSet<i64>`, plus a report of bytes per element.
//!
//! Chapter: chapters/15-sets.md
//!
//! The sets hold 16, 128 or 512 integers `i * 37` (all below 32768, so the
//! intset stays at 2 bytes an element), the sizes below and at Redis's
//! `set-max-intset-entries` default of 512. Each `lookup_hit` iteration
//! tests 64 members in a shuffled order, so no single probe's branch
//! pattern is learned; `lookup_miss` tests 64 values `i * 37 + 1`, which
//! fall between members. `insert` builds the whole set from empty, one
//! `insert` call per value in a shuffled order, as SADD would: the intset
//! pays a memmove per insert. (`collect` into a `BTreeSet` would sort first
//! and bulk-load full nodes, which no sequence of SADDs does.)
//!
//! The memory report counts heap bytes with a counting global allocator
//! (it wraps the system allocator and adds each request's size to an
//! atomic, relaxed, so every bench pays the same small toll per malloc).
//! Run with `cargo bench --bench intset`.

use criterion::{black_box, criterion_group, BenchmarkId, Criterion, Throughput};
use oxidis::ds::intset::Intset;
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicIsize, Ordering};

const SIZES: [usize; 3] = [16, 128, 512];
const PROBES: usize = 64;

// ---------------------------------------------------------------------------
// Counting allocator
// ---------------------------------------------------------------------------

struct Counting;

/// Live heap bytes requested (allocated minus freed), and the same in
/// glibc malloc chunks (request + 8, rounded up to 16, at least 32).
static LIVE: AtomicIsize = AtomicIsize::new(0);
static LIVE_CHUNKS: AtomicIsize = AtomicIsize::new(0);

fn glibc_chunk(request: usize) -> isize {
    ((request + 8).div_ceil(16).max(2) * 16) as isize
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System` upholds the GlobalAlloc contract; the counters
// only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        LIVE_CHUNKS.fetch_add(glibc_chunk(l.size()), Ordering::Relaxed);
        // SAFETY: same layout the caller gave us, which it guarantees valid.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        LIVE_CHUNKS.fetch_sub(glibc_chunk(l.size()), Ordering::Relaxed);
        // SAFETY: `p` came from `alloc` above with this layout.
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

// ---------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------

/// xorshift64 for repeatable shuffles without a dependency.
fn shuffled(mut v: Vec<i64>, seed: u64) -> Vec<i64> {
    let mut x = seed;
    for i in (1..v.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.swap(i, (x % (i as u64 + 1)) as usize);
    }
    v
}

fn members(n: usize) -> Vec<i64> {
    shuffled(
        (0..n as i64).map(|i| i * 37).collect(),
        0x2545_F491_4F6C_DD1D,
    )
}

/// PROBES values cycling through the members (hits) or just above them (misses).
fn probes(n: usize, offset: i64) -> Vec<i64> {
    let m = members(n);
    (0..PROBES).map(|i| m[i % n] + offset).collect()
}

fn build_intset(vals: &[i64]) -> Intset {
    let mut s = Intset::new();
    for &v in vals {
        s.insert(v);
    }
    s
}

// ---------------------------------------------------------------------------
// Benches
// ---------------------------------------------------------------------------

fn lookup(c: &mut Criterion, name: &str, offset: i64) {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(PROBES as u64));
    for n in SIZES {
        let vals = members(n);
        let is = build_intset(&vals);
        let bt: BTreeSet<i64> = vals.iter().copied().collect();
        let hs: HashSet<i64> = vals.iter().copied().collect();
        let ps = probes(n, offset);
        g.bench_function(BenchmarkId::new("intset", n), |b| {
            b.iter(|| ps.iter().filter(|&&p| black_box(&is).contains(p)).count())
        });
        g.bench_function(BenchmarkId::new("btreeset", n), |b| {
            b.iter(|| ps.iter().filter(|p| black_box(&bt).contains(p)).count())
        });
        g.bench_function(BenchmarkId::new("hashset", n), |b| {
            b.iter(|| ps.iter().filter(|p| black_box(&hs).contains(p)).count())
        });
    }
    g.finish();
}

fn lookup_hit(c: &mut Criterion) {
    lookup(c, "lookup_hit", 0);
}

fn lookup_miss(c: &mut Criterion) {
    lookup(c, "lookup_miss", 1);
}

fn insert(c: &mut Criterion) {
    let mut g = c.benchmark_group("insert");
    for n in SIZES {
        let vals = members(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("intset", n), &vals, |b, v| {
            b.iter(|| build_intset(black_box(v)))
        });
        g.bench_with_input(BenchmarkId::new("btreeset", n), &vals, |b, v| {
            b.iter(|| {
                let mut s = BTreeSet::new();
                for &x in black_box(v) {
                    s.insert(x);
                }
                s
            })
        });
        g.bench_with_input(BenchmarkId::new("hashset", n), &vals, |b, v| {
            b.iter(|| {
                let mut s = HashSet::new();
                for &x in black_box(v) {
                    s.insert(x);
                }
                s
            })
        });
    }
    g.finish();
}

// ---------------------------------------------------------------------------
// Bytes per element
// ---------------------------------------------------------------------------

/// Heap bytes (requested, and as glibc chunks) that `build` leaves live.
fn heap_of<T>(build: impl FnOnce() -> T) -> (T, isize, isize) {
    let (a, b) = (
        LIVE.load(Ordering::Relaxed),
        LIVE_CHUNKS.load(Ordering::Relaxed),
    );
    let t = build();
    let (a2, b2) = (
        LIVE.load(Ordering::Relaxed),
        LIVE_CHUNKS.load(Ordering::Relaxed),
    );
    (t, a2 - a, b2 - b)
}

fn report_bytes_per_element() {
    println!("bytes per element (values i*37, inserted shuffled; heap counted by the allocator)");
    println!(
        "{:>5} {:>12} {:>16} {:>18} {:>18}",
        "n", "intset blob", "intset heap", "BTreeSet heap", "HashSet heap"
    );
    for n in SIZES {
        let vals = members(n);
        let (is, is_req, is_chunk) = heap_of(|| build_intset(&vals));
        let (bt, bt_req, bt_chunk) = heap_of(|| {
            let mut s = BTreeSet::new();
            for &x in &vals {
                s.insert(x);
            }
            s
        });
        let (hs, hs_req, hs_chunk) = heap_of(|| {
            let mut s = HashSet::new();
            for &x in &vals {
                s.insert(x);
            }
            s
        });
        let per = |b: isize| b as f64 / n as f64;
        let pair = |r: isize, c: isize| format!("{:.2} ({:.2})", per(r), per(c));
        println!(
            "{n:>5} {:>12.2} {:>16} {:>18} {:>18}",
            per(is.blob_len() as isize),
            pair(is_req, is_chunk),
            pair(bt_req, bt_chunk),
            pair(hs_req, hs_chunk)
        );
        black_box((is, bt, hs));
    }
    println!(
        "(heap = bytes requested from malloc per element, in parentheses as glibc chunks; \
         the intset's Vec grows by doubling, so its heap includes unused capacity)\n"
    );
}

criterion_group!(benches, lookup_hit, lookup_miss, insert);

fn main() {
    report_bytes_per_element();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
