//! Bitmap micro-benchmarks: word-at-a-time popcount against the byte loop,
//! and BITCOUNT over a 1 MB bitmap.
//!
//! Chapter: chapters/11-strings.md
//!
//! The bitmap is 1 MB of xorshift noise, so every byte has some bits set
//! and neither counter can take a shortcut. 1 MB fits in L2 on most
//! machines, so these numbers measure counting, not memory bandwidth.
//! Run with `cargo bench --bench bitops`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use oxidis::ds::bitops::{bitcount, bitpos, popcount, popcount_naive};

const MB: usize = 1 << 20;

fn noise(len: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// popcount/naive/1MB against popcount/words/1MB.
fn popcount_1mb(c: &mut Criterion) {
    let data = noise(MB);
    let mut g = c.benchmark_group("popcount");
    g.throughput(Throughput::Bytes(MB as u64));
    g.bench_function("naive/1MB", |b| b.iter(|| popcount_naive(black_box(&data))));
    g.bench_function("words/1MB", |b| b.iter(|| popcount(black_box(&data))));
    g.finish();
}

/// BITCOUNT over the whole bitmap, and over a bit range whose ends fall
/// inside bytes (the edge bytes are masked, the middle is popcount).
fn bitcount_1mb(c: &mut Criterion) {
    let data = noise(MB);
    let mut g = c.benchmark_group("bitcount");
    g.throughput(Throughput::Bytes(MB as u64));
    g.bench_function("whole/1MB", |b| {
        b.iter(|| bitcount(black_box(&data), None, false))
    });
    g.bench_function("bit_range/1MB", |b| {
        b.iter(|| bitcount(black_box(&data), Some((3, -4)), true))
    });
    g.finish();
}

/// BITPOS for a 1 bit at the very end of 1 MB of zeros: the scan skips
/// a word at a time.
fn bitpos_1mb(c: &mut Criterion) {
    let mut data = vec![0u8; MB];
    if let Some(last) = data.last_mut() {
        *last = 1;
    }
    let mut g = c.benchmark_group("bitpos");
    g.throughput(Throughput::Bytes(MB as u64));
    g.bench_function("last_bit/1MB", |b| {
        b.iter(|| bitpos(black_box(&data), 1, None, None, false))
    });
    g.finish();
}

criterion_group!(benches, popcount_1mb, bitcount_1mb, bitpos_1mb);
criterion_main!(benches);
