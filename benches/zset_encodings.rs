//! Sorted-set encodings: the listpack against the skiplist + dict, at the
//! sizes around `zset-max-listpack-entries`.
//!
//! Chapter: chapters/17-sorted-sets.md
//!
//! A small sorted set is one listpack in score order, so ZSCORE walks it
//! and ZADD copies it; a large one is a skiplist plus a dict, where ZSCORE
//! is one hash lookup and ZADD a descent. Sets of 16, 128 and 512 members
//! `member:0042` with score 42 are built in each encoding (the listpack
//! ones with the limits raised so they stay listpacks). `zscore` asks for
//! the middle member, `zadd_update` moves the middle member to the end
//! and back, `zrange_10` reads ten members from the middle by score.
//! Run with `cargo bench --bench zset_encodings`.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use oxidis::db::object::Value;
use oxidis::db::zset::{self, AddFlags, Limits, ScoreRange};
use std::time::Duration;

const SIZES: [usize; 3] = [16, 128, 512];

const LISTPACK: Limits = Limits {
    entries: 1024,
    value: 64,
};
const SKIPLIST: Limits = Limits {
    entries: 0,
    value: 64,
};

fn build(n: usize, lim: &Limits) -> Value {
    let mut v = zset::new_value(10, lim);
    for i in 0..n {
        let m = format!("member:{i:04}");
        zset::add(&mut v, i as f64, m.as_bytes(), AddFlags::default(), lim);
    }
    v
}

fn encodings(c: &mut Criterion) {
    let mut g = c.benchmark_group("zset");
    g.measurement_time(Duration::from_secs(2));
    g.warm_up_time(Duration::from_millis(500));
    for n in SIZES {
        for (name, lim) in [("listpack", LISTPACK), ("skiplist", SKIPLIST)] {
            let mut v = build(n, &lim);
            let mid = format!("member:{:04}", n / 2).into_bytes();
            let id = |op: &str| BenchmarkId::new(format!("{op}/{name}"), n);
            g.bench_function(id("zscore"), |b| {
                b.iter(|| black_box(zset::score(black_box(&v), &mid)))
            });
            let range = ScoreRange {
                min: (n / 2) as f64,
                min_ex: false,
                max: f64::INFINITY,
                max_ex: false,
            };
            g.bench_function(id("zrange_10"), |b| {
                b.iter(|| {
                    let (first, _) = zset::score_ranks(&v, &range).unwrap_or((0, 0));
                    let mut sum = 0.0;
                    zset::for_ranks(&v, first, 10, false, |_, s| sum += s);
                    black_box(sum)
                })
            });
            g.bench_function(id("zadd_update"), |b| {
                b.iter(|| {
                    zset::add(&mut v, 1e9, &mid, AddFlags::default(), &lim);
                    zset::add(&mut v, (n / 2) as f64, &mid, AddFlags::default(), &lim)
                })
            });
        }
    }
    g.finish();
}

fn report_sizes() {
    println!("bytes per member (heap, zset::heap_size):");
    for n in SIZES {
        let lp = build(n, &LISTPACK);
        let sk = build(n, &SKIPLIST);
        println!(
            "  n={n:4}  listpack {:6.1}  skiplist {:6.1}",
            zset::heap_size(&lp) as f64 / n as f64,
            zset::heap_size(&sk) as f64 / n as f64
        );
    }
}

fn sizes_then_benches(c: &mut Criterion) {
    report_sizes();
    encodings(c);
}

criterion_group!(benches, sizes_then_benches);
criterion_main!(benches);
