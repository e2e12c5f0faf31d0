//! Hash encodings: HGET on a listpack of field/value pairs against a Dict.
//!
//! Chapter: chapters/14-hashes.md
//!
//! A small hash is stored as one listpack, field and value alternating, and
//! HGET walks it pair by pair; a big one is a `Dict<Sds, Sds>`, and HGET
//! hashes the field once and follows one short chain. The walk costs time
//! in proportion to the hash's size, the dict costs a hash and a pointer
//! chase or two whatever the size, and the listpack is several times
//! smaller. `hash-max-listpack-entries` (512 in Redis 7.0) is where the
//! server stops paying for the small size with a slower lookup.
//!
//! Hashes hold 8, 64 or 512 pairs like `field:0042` -> `value-0042`.
//! `hget_hit` asks for the middle field, so the listpack walks half of
//! itself; `hget_miss` asks for a field that is absent, so it walks all of
//! itself. Both return the value borrowed; copying it into a reply would
//! cost the same for either encoding and is left out. Before the benches
//! run, a report prints the bytes each encoding spends per hash.
//! Run with `cargo bench --bench hash_encodings`.

use criterion::{black_box, criterion_group, BenchmarkId, Criterion};
use oxidis::ds::dict::Dict;
use oxidis::ds::listpack::{Listpack, LpValue};
use oxidis::ds::sds::Sds;
use std::mem::size_of;

const SIZES: [usize; 3] = [8, 64, 512];

/// Same length as every present field, so a miss cannot be rejected on
/// length alone and costs the full byte comparison a near-miss would.
const MISSING: &[u8] = b"field:9999";

fn pairs(n: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
    (0..n)
        .map(|i| {
            (
                format!("field:{i:04}").into_bytes(),
                format!("value-{i:04}").into_bytes(),
            )
        })
        .collect()
}

fn build_listpack(pairs: &[(Vec<u8>, Vec<u8>)]) -> Listpack {
    let mut lp = Listpack::new();
    for (f, v) in pairs {
        lp.push_back(f);
        lp.push_back(v);
    }
    lp.shrink_to_fit();
    lp
}

/// The dict as a long-lived hash looks: any rehash begun by the inserts is
/// finished, so a lookup probes one table, not two.
fn build_dict(pairs: &[(Vec<u8>, Vec<u8>)]) -> Dict<Sds, Sds> {
    let mut d = Dict::new();
    for (f, v) in pairs {
        d.insert(Sds::new(f), Sds::new(v));
    }
    while d.rehash_steps(100) {}
    d
}

/// HGET on a listpack hash: compare each field (even positions) and, on a
/// match, return the entry after it. Values are stepped over undecoded.
fn listpack_hget<'a>(lp: &'a Listpack, field: &[u8]) -> Option<LpValue<'a>> {
    let mut pos = lp.first();
    while let Some(p) = pos {
        let value = lp.next(p)?; // a field without a value: malformed, treat as absent
        if lp.get(p).eq_bytes(field) {
            return Some(lp.get(value));
        }
        pos = lp.next(value);
    }
    None
}

fn hget(c: &mut Criterion, group: &str, field_of: impl Fn(usize) -> Vec<u8>) {
    let mut g = c.benchmark_group(group);
    for n in SIZES {
        let pairs = pairs(n);
        let lp = build_listpack(&pairs);
        let dict = build_dict(&pairs);
        let field = field_of(n);
        // Both encodings must agree on the answer, or the timing is moot.
        let from_lp = listpack_hget(&lp, &field).map(|v| v.to_vec());
        let from_dict = dict.get(field.as_slice()).map(|v| v.to_vec());
        assert_eq!(from_lp, from_dict, "encodings disagree for n={n}");

        g.bench_function(BenchmarkId::new("listpack", n), |b| {
            b.iter(|| listpack_hget(black_box(&lp), black_box(&field)).map(|v| v.len_as_string()))
        });
        g.bench_function(BenchmarkId::new("dict", n), |b| {
            b.iter(|| {
                black_box(&dict)
                    .get(black_box(field.as_slice()))
                    .map(|v| v.len())
            })
        });
    }
    g.finish();
}

fn hget_hit(c: &mut Criterion) {
    hget(c, "hget_hit", |n| {
        format!("field:{:04}", n / 2).into_bytes()
    });
}

fn hget_miss(c: &mut Criterion) {
    hget(c, "hget_miss", |_| MISSING.to_vec());
}

// ---------------------------------------------------------------------------
// Bytes per hash
// ---------------------------------------------------------------------------

/// glibc malloc on 64-bit: a chunk is the request plus an 8-byte size
/// word, rounded up to 16, and never under 32 bytes (see chapter 8).
fn glibc_chunk(request: usize) -> usize {
    (request + 8).div_ceil(16).max(2) * 16
}

/// The dict's heap as malloc sees it. Each entry is a boxed node (next
/// link plus two Sds handles) and two Sds blocks; the bucket array is one
/// block of 8-byte links. The `Dict` header itself lives in whatever owns
/// the hash, as the listpack's handle does, so neither side counts it.
fn dict_bytes(d: &Dict<Sds, Sds>) -> usize {
    let node = glibc_chunk(size_of::<usize>() + 2 * size_of::<Sds>());
    let strings: usize = d
        .iter()
        .map(|(k, v)| glibc_chunk(k.alloc_size()) + glibc_chunk(v.alloc_size()))
        .sum();
    let (t0, t1) = d.table_sizes();
    let buckets: usize = [t0, t1]
        .iter()
        .filter(|&&s| s > 0)
        .map(|&s| glibc_chunk(s * size_of::<usize>()))
        .sum();
    d.len() * node + strings + buckets
}

fn report_bytes_per_hash() {
    println!("bytes per hash (10-byte fields and values, glibc malloc chunk sizes)");
    println!(
        "{:>5} {:>14} {:>16} {:>12} {:>8}",
        "pairs", "listpack bytes", "listpack+chunk", "dict+chunks", "ratio"
    );
    for n in SIZES {
        let pairs = pairs(n);
        let lp = build_listpack(&pairs);
        let dict = build_dict(&pairs);
        let lp_bytes = lp.as_bytes().len();
        let lp_chunk = glibc_chunk(lp_bytes);
        let d = dict_bytes(&dict);
        println!(
            "{n:>5} {lp_bytes:>14} {lp_chunk:>16} {d:>12} {:>7.1}x",
            d as f64 / lp_chunk as f64
        );
    }
    println!("(listpack shrunk to fit; dict counts nodes, both Sds blocks and buckets)\n");
}

criterion_group!(benches, hget_hit, hget_miss);

fn main() {
    report_bytes_per_hash();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
