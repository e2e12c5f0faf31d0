//! Dict micro-benchmarks: oxidis's Dict against std's HashMap, and SipHash.
//!
//! Chapter: chapters/07-dict.md
//!
//! Keys are 16-byte strings ("key:000000000042"), the size of a typical
//! Redis key. Both maps hash with SipHash-1-3, so the difference between them
//! is the table design: chained boxed nodes versus std's open-addressed
//! SwissTable. Run with `cargo bench --bench dict`.

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use oxidis::ds::dict::Dict;
use oxidis::ds::siphash::{siphash13, siphash24, SipKey};
use std::collections::HashMap;
use std::time::Duration;

const N: usize = 100_000;

fn make_keys(prefix: &str, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| format!("{prefix}:{i:012}").into_bytes())
        .collect()
}

/// The same keys in a scrambled order. Nodes and key buffers are allocated
/// in insertion order, so probing in that order would walk memory
/// sequentially and flatter both maps; real traffic does not. The copies
/// are allocated in probe order, so reading the probe key itself stays
/// cheap and only the map's own memory accesses are random.
fn shuffled(keys: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for i in (1..order.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        order.swap(i, (x % (i as u64 + 1)) as usize);
    }
    order.iter().map(|&i| keys[i].clone()).collect()
}

fn build_dict(keys: &[Vec<u8>]) -> Dict<Vec<u8>, u64> {
    let mut d = Dict::new();
    for (i, k) in keys.iter().enumerate() {
        d.insert(k.clone(), i as u64);
    }
    d.rehash_steps(usize::MAX);
    d
}

fn build_std(keys: &[Vec<u8>]) -> HashMap<Vec<u8>, u64> {
    keys.iter()
        .enumerate()
        .map(|(i, k)| (k.clone(), i as u64))
        .collect()
}

/// Insert 100k fresh keys into an empty map (keys are moved in, so key
/// allocation is outside the timed part).
fn insert(c: &mut Criterion) {
    let keys = make_keys("key", N);
    let mut g = c.benchmark_group("insert_100k");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("dict", |b| {
        b.iter_batched(
            || keys.clone(),
            |ks| {
                let mut d = Dict::new();
                for (i, k) in ks.into_iter().enumerate() {
                    d.insert(k, i as u64);
                }
                d
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("std_hashmap", |b| {
        b.iter_batched(
            || keys.clone(),
            |ks| {
                let mut m = HashMap::new();
                for (i, k) in ks.into_iter().enumerate() {
                    m.insert(k, i as u64);
                }
                m
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// One lookup per iteration, cycling through all keys of a 100k map.
fn lookup(c: &mut Criterion) {
    let keys = make_keys("key", N);
    let misses = make_keys("nop", N);
    let d = build_dict(&keys);
    let m = build_std(&keys);
    let hits = shuffled(&keys);
    for (group, probe) in [("lookup_hit", &hits), ("lookup_miss", &misses)] {
        let mut g = c.benchmark_group(group);
        g.throughput(Throughput::Elements(1));
        let mut i = 0;
        g.bench_function("dict", |b| {
            b.iter(|| {
                i = (i + 1) % N;
                black_box(d.get(probe[i].as_slice()))
            })
        });
        let mut i = 0;
        g.bench_function("std_hashmap", |b| {
            b.iter(|| {
                i = (i + 1) % N;
                black_box(m.get(probe[i].as_slice()))
            })
        });
        g.finish();
    }
}

/// A table frozen half-way through a grow: hits may be in either table and
/// every miss probes both.
fn lookup_during_rehash(c: &mut Criterion) {
    let n = (1 << 17) + 1; // the last key starts 131072 -> 262144 buckets
    let keys = make_keys("key", n);
    let misses = make_keys("nop", n);
    let mut d: Dict<Vec<u8>, u64> = Dict::new();
    for (i, k) in keys.iter().enumerate() {
        d.insert(k.clone(), i as u64);
        if i + 1 < n {
            d.rehash_steps(usize::MAX);
        }
    }
    d.rehash_steps(1 << 16);
    assert!(d.is_rehashing(), "bench setup must leave a rehash running");
    let keys = shuffled(&keys);
    let mut g = c.benchmark_group("lookup_during_rehash");
    g.throughput(Throughput::Elements(1));
    let mut i = 0;
    g.bench_function("hit", |b| {
        b.iter(|| {
            i = (i + 1) % n;
            black_box(d.get(keys[i].as_slice()))
        })
    });
    let mut i = 0;
    g.bench_function("miss", |b| {
        b.iter(|| {
            i = (i + 1) % n;
            black_box(d.get(misses[i].as_slice()))
        })
    });
    g.finish();
}

/// Remove all 100k keys from a full map (the copy is made outside the
/// timed part). The dict shrinks several times on the way down.
fn delete(c: &mut Criterion) {
    let keys = make_keys("key", N);
    let d = build_dict(&keys);
    let m = build_std(&keys);
    let order = shuffled(&keys);
    let mut g = c.benchmark_group("delete_100k");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("dict", |b| {
        b.iter_batched(
            || d.clone(),
            |mut d| {
                for k in &order {
                    black_box(d.remove(k.as_slice()));
                }
                d
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("std_hashmap", |b| {
        b.iter_batched(
            || m.clone(),
            |mut m| {
                for k in &order {
                    black_box(m.remove(k.as_slice()));
                }
                m
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn siphash(c: &mut Criterion) {
    let key = SipKey::new(0x0706050403020100, 0x0f0e0d0c0b0a0908);
    let mut g = c.benchmark_group("siphash");
    for len in [16usize, 64] {
        let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_function(format!("1-3/{len}B"), |b| {
            b.iter(|| siphash13(&key, black_box(&data)))
        });
        g.bench_function(format!("2-4/{len}B"), |b| {
            b.iter(|| siphash24(&key, black_box(&data)))
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    // Short runs: these are for comparing designs on a shared machine,
    // not for publishing absolute numbers.
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = insert, lookup, lookup_during_rehash, delete, siphash
}
criterion_main!(benches);
