//! Quicklist micro-benchmarks: pushes and pops at both ends, LINDEX into
//! the middle, and LRANGE-style reads, each with compress depth 0 and 1.
//!
//! Chapter: chapters/13-lists.md
//!
//! Elements are 12-byte strings like `value:000042` under the default fill
//! (-2, 8 KiB nodes, about 600 elements each). With depth 0 nothing is ever
//! compressed; with depth 1 every node but the two end nodes is LZF-packed,
//! so a read in the middle pays one node decompression and pushes and pops
//! pay for compressing the node that stops being an end node.
//! Run with `cargo bench --bench quicklist`.

use criterion::{black_box, criterion_group, BatchSize, BenchmarkId, Criterion, Throughput};
use oxidis::ds::quicklist::Quicklist;

const FILL: i32 = -2;

fn value(i: usize) -> Vec<u8> {
    format!("value:{i:06}").into_bytes()
}

fn filled(n: usize, depth: u32) -> Quicklist {
    let mut q = Quicklist::new(FILL, depth);
    for i in 0..n {
        q.push_back(&value(i));
    }
    q
}

/// Push 10k elements onto an empty list at the tail or the head.
fn push(c: &mut Criterion) {
    const N: usize = 10_000;
    let values: Vec<Vec<u8>> = (0..N).map(value).collect();
    let mut g = c.benchmark_group("push_10k");
    g.throughput(Throughput::Elements(N as u64));
    for depth in [0, 1] {
        g.bench_function(BenchmarkId::new("back", format!("depth{depth}")), |b| {
            b.iter(|| {
                let mut q = Quicklist::new(FILL, depth);
                for v in &values {
                    q.push_back(v);
                }
                q
            })
        });
        g.bench_function(BenchmarkId::new("front", format!("depth{depth}")), |b| {
            b.iter(|| {
                let mut q = Quicklist::new(FILL, depth);
                for v in &values {
                    q.push_front(v);
                }
                q
            })
        });
    }
    g.finish();
}

/// Pop all 10k elements of a prepared list from the tail or the head.
fn pop(c: &mut Criterion) {
    const N: usize = 10_000;
    let mut g = c.benchmark_group("pop_10k");
    g.throughput(Throughput::Elements(N as u64));
    for depth in [0, 1] {
        let base = filled(N, depth);
        g.bench_function(BenchmarkId::new("back", format!("depth{depth}")), |b| {
            b.iter_batched(
                || base.clone(),
                |mut q| {
                    while let Some(v) = q.pop_back() {
                        black_box(v);
                    }
                },
                BatchSize::LargeInput,
            )
        });
        g.bench_function(BenchmarkId::new("front", format!("depth{depth}")), |b| {
            b.iter_batched(
                || base.clone(),
                |mut q| {
                    while let Some(v) = q.pop_front() {
                        black_box(v);
                    }
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

/// LINDEX of the middle element of a 10k and a 100k list.
fn index_middle(c: &mut Criterion) {
    let mut g = c.benchmark_group("index_middle");
    for n in [10_000, 100_000] {
        for depth in [0, 1] {
            let q = filled(n, depth);
            let id = BenchmarkId::new(format!("{}k", n / 1000), format!("depth{depth}"));
            g.bench_function(id, |b| b.iter(|| q.get(black_box(n as i64 / 2))));
        }
    }
    g.finish();
}

/// LRANGE-style reads of 100 and 600 elements from the middle of a 100k
/// list, copying each element out as a reply would.
fn range(c: &mut Criterion) {
    const N: usize = 100_000;
    let mut g = c.benchmark_group("for_range_mid_100k");
    for depth in [0, 1] {
        let q = filled(N, depth);
        for len in [100, 600] {
            g.throughput(Throughput::Elements(len as u64));
            let id = BenchmarkId::new(format!("{len}"), format!("depth{depth}"));
            g.bench_function(id, |b| {
                let mut out = Vec::with_capacity(len * 16);
                b.iter(|| {
                    out.clear();
                    q.for_range(N / 2, N / 2 + len - 1, |v| v.write_to(&mut out));
                    black_box(out.len())
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, push, pop, index_middle, range);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
