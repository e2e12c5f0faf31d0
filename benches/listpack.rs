//! Listpack micro-benchmarks: building, iterating and seeking a small list,
//! against `Vec<Vec<u8>>` and `VecDeque<Vec<u8>>`, plus a report of the
//! bytes each spends per element.
//!
//! Chapter: chapters/12-listpack.md
//!
//! The lists hold 64 or 512 short strings (`el00000`, 7 bytes each), the
//! sizes a list node or a small hash actually has. `push_back` builds the
//! list from empty, so it measures encoding plus growth; `iterate` decodes
//! every element and adds up the string lengths; `seek_middle` finds
//! element n/2, which a listpack must walk to and a Vec indexes directly.
//! Before the benches run, the memory report prints bytes per element:
//! the listpack's own bytes, then with its heap chunk and handle, against
//! the Vecs' 24-byte handles plus one malloc chunk per element.
//! Run with `cargo bench --bench listpack`.

use criterion::{black_box, criterion_group, BenchmarkId, Criterion};
use oxidis::ds::listpack::Listpack;
use std::collections::VecDeque;
use std::mem::size_of;

const SIZES: [usize; 2] = [64, 512];

fn elements(n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| format!("el{i:05}").into_bytes()).collect()
}

fn build_listpack(items: &[Vec<u8>]) -> Listpack {
    let mut lp = Listpack::new();
    for v in items {
        lp.push_back(v);
    }
    lp
}

fn push_back(c: &mut Criterion) {
    let mut g = c.benchmark_group("push_back");
    for n in SIZES {
        let items = elements(n);
        g.bench_with_input(BenchmarkId::new("listpack", n), &items, |b, items| {
            b.iter(|| build_listpack(black_box(items)))
        });
        g.bench_with_input(BenchmarkId::new("vec", n), &items, |b, items| {
            b.iter(|| {
                let mut v: Vec<Vec<u8>> = Vec::new();
                for x in black_box(items) {
                    v.push(x.clone());
                }
                v
            })
        });
        g.bench_with_input(BenchmarkId::new("vecdeque", n), &items, |b, items| {
            b.iter(|| {
                let mut v: VecDeque<Vec<u8>> = VecDeque::new();
                for x in black_box(items) {
                    v.push_back(x.clone());
                }
                v
            })
        });
    }
    g.finish();
}

fn iterate(c: &mut Criterion) {
    let mut g = c.benchmark_group("iterate");
    for n in SIZES {
        let items = elements(n);
        let lp = build_listpack(&items);
        let deque: VecDeque<Vec<u8>> = items.iter().cloned().collect();
        g.bench_function(BenchmarkId::new("listpack", n), |b| {
            b.iter(|| {
                black_box(&lp)
                    .iter()
                    .map(|v| v.len_as_string())
                    .sum::<usize>()
            })
        });
        g.bench_function(BenchmarkId::new("vec", n), |b| {
            b.iter(|| black_box(&items).iter().map(Vec::len).sum::<usize>())
        });
        g.bench_function(BenchmarkId::new("vecdeque", n), |b| {
            b.iter(|| black_box(&deque).iter().map(Vec::len).sum::<usize>())
        });
    }
    g.finish();
}

fn seek_middle(c: &mut Criterion) {
    let mut g = c.benchmark_group("seek_middle");
    for n in SIZES {
        let items = elements(n);
        let lp = build_listpack(&items);
        let deque: VecDeque<Vec<u8>> = items.iter().cloned().collect();
        let mid = n / 2;
        g.bench_function(BenchmarkId::new("listpack", n), |b| {
            b.iter(|| {
                let lp = black_box(&lp);
                lp.seek(black_box(mid as i64))
                    .map(|p| lp.get(p).len_as_string())
            })
        });
        g.bench_function(BenchmarkId::new("vec", n), |b| {
            b.iter(|| black_box(&items).get(black_box(mid)).map(Vec::len))
        });
        g.bench_function(BenchmarkId::new("vecdeque", n), |b| {
            b.iter(|| black_box(&deque).get(black_box(mid)).map(Vec::len))
        });
    }
    g.finish();
}

// ---------------------------------------------------------------------------
// Bytes per element
// ---------------------------------------------------------------------------

/// glibc malloc on 64-bit: a chunk is the request plus an 8-byte size
/// word, rounded up to 16, and never under 32 bytes (see chapter 8).
fn glibc_chunk(request: usize) -> usize {
    (request + 8).div_ceil(16).max(2) * 16
}

/// Print what each representation costs per element, every container
/// shrunk to fit, so no growth slack is counted on either side.
fn report_bytes_per_element() {
    println!("bytes per element (7-byte strings, glibc malloc chunk sizes)");
    println!(
        "{:>5} {:>14} {:>18} {:>16} {:>16}",
        "n", "listpack bytes", "listpack+chunk", "Vec<Vec<u8>>", "VecDeque<Vec<u8>>"
    );
    for n in SIZES {
        let items = elements(n);
        let mut lp = build_listpack(&items);
        lp.shrink_to_fit();
        // The listpack's Vec: one heap block of exactly its bytes, plus its handle.
        let lp_heap = size_of::<Listpack>() + glibc_chunk(lp.bytes_len());
        let mut vec: Vec<Vec<u8>> = Vec::new();
        let mut deque: VecDeque<Vec<u8>> = VecDeque::new();
        for x in &items {
            vec.push(x.clone());
            deque.push_back(x.clone());
        }
        vec.shrink_to_fit();
        deque.shrink_to_fit();
        let elems: usize = items.iter().map(|x| glibc_chunk(x.capacity())).sum();
        let vec_total =
            size_of::<Vec<Vec<u8>>>() + glibc_chunk(vec.capacity() * size_of::<Vec<u8>>()) + elems;
        let deque_total = size_of::<VecDeque<Vec<u8>>>()
            + glibc_chunk(deque.capacity() * size_of::<Vec<u8>>())
            + elems;
        let per = |total: usize| total as f64 / n as f64;
        println!(
            "{n:>5} {:>14.2} {:>18.2} {:>16.2} {:>16.2}",
            per(lp.bytes_len()),
            per(lp_heap),
            per(vec_total),
            per(deque_total)
        );
    }
    println!(
        "(all shrunk to fit; Vecs count their handle, their array and one chunk per element)\n"
    );
}

criterion_group!(benches, push_back, iterate, seek_middle);

fn main() {
    report_bytes_per_element();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
