//! SDS micro-benchmarks: appends and creation against `Vec<u8>` and
//! `Box<[u8]>`, plus a report of the heap bytes each spends on a key.
//!
//! Chapter: chapters/08-sds.md
//!
//! Appends build a 1 MiB string from 1-byte and from 16-byte pieces, so
//! they measure the growth policy plus the per-append bookkeeping (an Sds
//! reads its length from the header; a Vec keeps it in the handle).
//! Creation copies a 14-byte key, the size of `key:0000000001`, and frees
//! it again. Before the benches run, the memory report prints what each
//! representation of such a key costs: handle, requested bytes, and the
//! chunk glibc's malloc actually hands out (`malloc_usable_size` + 8).
//! Run with `cargo bench --bench sds`.

use criterion::{black_box, criterion_group, BatchSize, Criterion, Throughput};
use oxidis::ds::sds::Sds;
use std::mem::size_of;

const TARGET: usize = 1024 * 1024;
const KEY: &[u8] = b"key:0000000001";

/// Append 1 MiB one byte at a time, then 16 bytes at a time, starting from
/// an empty string each iteration.
fn append(c: &mut Criterion) {
    let mut g = c.benchmark_group("append_1B");
    g.throughput(Throughput::Bytes(TARGET as u64));
    g.bench_function("sds", |b| {
        b.iter(|| {
            let mut s = Sds::empty();
            for i in 0..TARGET {
                s.push(i as u8);
            }
            s
        })
    });
    g.bench_function("vec", |b| {
        b.iter(|| {
            let mut v = Vec::new();
            for i in 0..TARGET {
                v.push(i as u8);
            }
            v
        })
    });
    g.finish();

    let piece = [b'x'; 16];
    let mut g = c.benchmark_group("append_16B");
    g.throughput(Throughput::Bytes(TARGET as u64));
    g.bench_function("sds", |b| {
        b.iter(|| {
            let mut s = Sds::empty();
            for _ in 0..TARGET / 16 {
                s.extend_from_slice(black_box(&piece));
            }
            s
        })
    });
    g.bench_function("vec", |b| {
        b.iter(|| {
            let mut v = Vec::new();
            for _ in 0..TARGET / 16 {
                v.extend_from_slice(black_box(&piece));
            }
            v
        })
    });
    g.finish();
}

/// Make a 14-byte key from a slice and free it.
fn create(c: &mut Criterion) {
    let mut g = c.benchmark_group("create_14B");
    g.bench_function("sds", |b| b.iter(|| Sds::new(black_box(KEY))));
    g.bench_function("vec", |b| b.iter(|| Vec::from(black_box(KEY))));
    g.bench_function("box", |b| b.iter(|| Box::<[u8]>::from(black_box(KEY))));
    // Growth from a key: the first append moves a class-5 key to class 8.
    g.bench_function("sds_clone_then_push", |b| {
        let key = Sds::new(KEY);
        b.iter_batched(
            || key.clone(),
            |mut s| {
                s.push(b'!');
                s
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

// ---------------------------------------------------------------------------
// Heap bytes per key
// ---------------------------------------------------------------------------

/// glibc malloc on 64-bit: a chunk is the request plus an 8-byte size
/// word, rounded up to 16, and never under 32 bytes.
fn glibc_chunk(request: usize) -> usize {
    (request + 8).div_ceil(16).max(2) * 16
}

/// What malloc really gave a block starting at `p`: usable bytes plus the
/// 8-byte size word in front of them.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn measured_chunk(p: *const u8) -> Option<usize> {
    // SAFETY: every caller passes the start of a live block that the
    // global allocator (the system allocator in benches, i.e. malloc, since
    // the alignment is 1) returned; malloc_usable_size only reads the
    // chunk's size word.
    let usable = unsafe { libc::malloc_usable_size(p as *mut libc::c_void) };
    Some(usable + 8)
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn measured_chunk(_p: *const u8) -> Option<usize> {
    None
}

fn row(what: &str, handle: usize, request: usize, measured: Option<usize>) {
    let chunk = glibc_chunk(request);
    let seen = measured.map_or("n/a".to_string(), |m| m.to_string());
    println!(
        "{what:<10} {handle:>6} {request:>8} {chunk:>12} {seen:>14} {:>7}",
        handle + measured.unwrap_or(chunk)
    );
}

/// Print handle + heap bytes for one key in each representation, at 14
/// bytes and around the chunk boundaries, where a header byte can cost a
/// whole 16-byte step.
fn report_heap_bytes() {
    println!("heap bytes per key (glibc malloc, 64-bit)");
    for len in [14, 16, 23, 24, 31, 32, 40] {
        let bytes = vec![b'k'; len];
        println!("\n{len}-byte key");
        println!(
            "{:<10} {:>6} {:>8} {:>12} {:>14} {:>7}",
            "type", "handle", "request", "chunk(formula)", "chunk(malloc)", "total"
        );
        let s = Sds::new(&bytes);
        // The block starts header_len bytes before the data; `wrapping_sub`
        // computes that address without any unsafe pointer arithmetic.
        let base = s.as_bytes().as_ptr().wrapping_sub(s.header_len());
        row(
            "Sds",
            size_of::<Sds>(),
            s.alloc_size(),
            measured_chunk(base),
        );
        let v = Vec::from(&bytes[..]);
        row(
            "Vec<u8>",
            size_of::<Vec<u8>>(),
            v.capacity(),
            measured_chunk(v.as_ptr()),
        );
        let b = Box::<[u8]>::from(&bytes[..]);
        row(
            "Box<[u8]>",
            size_of::<Box<[u8]>>(),
            b.len(),
            measured_chunk(b.as_ptr()),
        );
    }
    println!();
}

criterion_group!(benches, append, create);

fn main() {
    report_heap_bytes();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
