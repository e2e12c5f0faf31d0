//! Skiplist micro-benchmarks: insert, rank, a 10-element score range and
//! delete, against `BTreeMap<(OrderedF64, Vec<u8>), ()>`, at 1k, 100k and
//! 1M members; plus a report of the bytes each spends per member.
//!
//! Chapter: chapters/16-skiplist.md
//!
//! Members are `member:00000001` (15 bytes) with integer scores drawn from
//! 0..n, so about two members in three share their score with another
//! and ties are ordered by member, as in a leaderboard. Both structures order by (score, member).
//!
//! - `insert` adds members that are not present, in batches of 64; each
//!   batch is deleted again outside the timed region, so the set stays
//!   at n to n + 64 members.
//! - `delete` is the mirror: it removes 64 present members (timed) and
//!   puts them back (untimed).
//! - Inserts, deletes and rank lookups cycle through 4096 different keys
//!   (all n at 1k), so the caches see many search paths, not a few hot
//!   ones.
//! - `rank` asks the 0-based position of a present member. A `BTreeMap`
//!   keeps no subtree sizes, so the best it can do is count the keys
//!   before it: `range(..key).count()`, O(n). That gap is the point.
//! - `range10` reads the first 10 members with score >= a random score
//!   (ZRANGEBYSCORE key s +inf LIMIT 0 10), touching each member's bytes.
//!   The skiplist takes one descent (`iter_from_score`) and then walks
//!   level 0.
//!
//! Run with `cargo bench --bench skiplist` (about a minute and a half, plus the build).

use criterion::measurement::WallTime;
use criterion::{black_box, BenchmarkGroup, BenchmarkId, Criterion};
use oxidis::ds::skiplist::SkipList;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::time::{Duration, Instant};

const SIZES: [usize; 3] = [1_000, 100_000, 1_000_000];
/// Members inserted (or deleted) per timed batch.
const BATCH: usize = 64;
/// Distinct keys cycled through by every bench, so that the caches see
/// many different search paths, not a few hot ones.
const POOL: usize = 4096;

/// An `f64` with a total order (`f64::total_cmp`), so it can be part of a
/// `BTreeMap` key. It orders -0.0 before 0.0, where the skiplist treats
/// them as equal; the scores here are never -0.0.
#[derive(Clone, Copy, Debug)]
struct OrderedF64(f64);

impl PartialEq for OrderedF64 {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for OrderedF64 {}

impl PartialOrd for OrderedF64 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrderedF64 {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

type Key = (OrderedF64, Vec<u8>);
type Tree = BTreeMap<Key, ()>;

/// xorshift64: the bench's own deterministic randomness.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// n present members, in insertion (random score) order.
fn members(n: usize, rng: &mut Rng) -> Vec<Key> {
    (0..n)
        .map(|i| {
            let score = rng.below(n) as f64;
            (OrderedF64(score), format!("member:{i:08}").into_bytes())
        })
        .collect()
}

/// Members that are not in the set: a different prefix.
fn fresh(n: usize, rng: &mut Rng) -> Vec<Key> {
    (0..POOL)
        .map(|i| {
            let score = rng.below(n) as f64;
            (OrderedF64(score), format!("fresh:{i:08}").into_bytes())
        })
        .collect()
}

/// Reads a member's last byte, as a reply that copies it out would: a
/// `Vec`'s length sits in the key, but its bytes are behind a pointer in
/// both structures.
fn touch(m: &[u8]) -> usize {
    m.last().map_or(0, |&b| usize::from(b))
}

/// Runs `timed` on batches of up to BATCH consecutive `keys` (resuming at
/// `cursor`, wrapping at the end) until `iters` calls have been timed, and
/// `undo` on each batch outside the clock.
fn batched<S>(
    iters: u64,
    set: &mut S,
    keys: &[Key],
    cursor: &mut usize,
    timed: impl Fn(&mut S, &Key),
    undo: impl Fn(&mut S, &Key),
) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters as usize;
    while left > 0 {
        let take = left.min(BATCH).min(keys.len() - *cursor);
        let batch = &keys[*cursor..*cursor + take];
        *cursor = (*cursor + take) % keys.len();
        let start = Instant::now();
        for k in batch {
            timed(set, k);
        }
        total += start.elapsed();
        for k in batch {
            undo(set, k);
        }
        left -= batch.len();
    }
    total
}

fn configure<'a>(c: &'a mut Criterion, op: &str, n: usize) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(op);
    g.sample_size(10).warm_up_time(Duration::from_millis(500));
    g.measurement_time(if n >= 1_000_000 {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(2)
    });
    g
}

fn bench_size(c: &mut Criterion, n: usize) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ n as u64);
    let keys = members(n, &mut rng);
    let new_keys = fresh(n, &mut rng);
    let mut list = SkipList::with_seed(n as u64);
    let mut tree = Tree::new();
    for (s, m) in &keys {
        list.insert(s.0, m);
        tree.insert((*s, m.clone()), ());
    }
    // Distinct present members to delete and to rank (a partial shuffle),
    // and start scores for ranges.
    let mut order: Vec<usize> = (0..n).collect();
    for i in 0..POOL.min(n) {
        let j = i + rng.below(n - i);
        order.swap(i, j);
    }
    let probes: Vec<Key> = order[..POOL.min(n)]
        .iter()
        .map(|&i| keys[i].clone())
        .collect();
    let starts: Vec<Key> = (0..POOL)
        .map(|_| (OrderedF64(rng.below(n) as f64), Vec::new()))
        .collect();

    let mut g = configure(c, "insert", n);
    g.bench_function(BenchmarkId::new("skiplist", n), |b| {
        let mut cursor = 0;
        b.iter_custom(|iters| {
            batched(
                iters,
                &mut list,
                &new_keys,
                &mut cursor,
                |l, (s, m)| l.insert(s.0, m),
                |l, (s, m)| {
                    l.delete(s.0, m);
                },
            )
        })
    });
    g.bench_function(BenchmarkId::new("btreemap", n), |b| {
        let mut cursor = 0;
        b.iter_custom(|iters| {
            batched(
                iters,
                &mut tree,
                &new_keys,
                &mut cursor,
                |t, k| {
                    t.insert(k.clone(), ());
                },
                |t, k| {
                    t.remove(k);
                },
            )
        })
    });
    g.finish();

    let mut g = configure(c, "delete", n);
    g.bench_function(BenchmarkId::new("skiplist", n), |b| {
        let mut cursor = 0;
        b.iter_custom(|iters| {
            batched(
                iters,
                &mut list,
                &probes,
                &mut cursor,
                |l, (s, m)| {
                    black_box(l.delete(s.0, m));
                },
                |l, (s, m)| l.insert(s.0, m),
            )
        })
    });
    g.bench_function(BenchmarkId::new("btreemap", n), |b| {
        let mut cursor = 0;
        b.iter_custom(|iters| {
            batched(
                iters,
                &mut tree,
                &probes,
                &mut cursor,
                |t, k| {
                    black_box(t.remove(k));
                },
                |t, k| {
                    t.insert(k.clone(), ());
                },
            )
        })
    });
    g.finish();

    let mut g = configure(c, "rank", n);
    g.bench_function(BenchmarkId::new("skiplist", n), |b| {
        let mut i = 0;
        b.iter(|| {
            let (s, m) = &probes[i % probes.len()];
            i += 1;
            black_box(list.rank(s.0, m))
        })
    });
    g.bench_function(BenchmarkId::new("btreemap", n), |b| {
        let mut i = 0;
        b.iter(|| {
            let k = &probes[i % probes.len()];
            i += 1;
            black_box(tree.range((Bound::Unbounded, Bound::Excluded(k))).count())
        })
    });
    g.finish();

    let mut g = configure(c, "range10", n);
    g.bench_function(BenchmarkId::new("skiplist", n), |b| {
        let mut i = 0;
        b.iter(|| {
            let min = starts[i % POOL].0 .0;
            i += 1;
            let (_, from) = list.iter_from_score(min, false);
            let mut sum = 0;
            for (_, m) in from.take(10) {
                sum += touch(m);
            }
            black_box(sum)
        })
    });
    g.bench_function(BenchmarkId::new("btreemap", n), |b| {
        let mut i = 0;
        b.iter(|| {
            // (score, empty member) is the smallest key with that score.
            let from = &starts[i % POOL];
            i += 1;
            let mut sum = 0;
            for ((_, m), ()) in tree
                .range((Bound::Included(from), Bound::Unbounded))
                .take(10)
            {
                sum += touch(m);
            }
            black_box(sum)
        })
    });
    g.finish();

    list.check_invariants();
    assert_eq!(list.len(), n);
    assert_eq!(tree.len(), n);
}

/// Resident set size of this process, from /proc/self/statm (Linux).
fn rss_bytes() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Bytes per member for 1M members: the skiplist's own count
/// (`memory_usage`, allocator-independent) and the growth of this
/// process's RSS while each structure is built (with glibc malloc, which
/// rounds a 16-byte member block up to a 32-byte chunk).
fn report_bytes_per_member() {
    let n = 1_000_000;
    let keys = members(n, &mut Rng(7));
    let per = |bytes: usize| bytes as f64 / n as f64;
    let before = rss_bytes();
    let mut list = SkipList::with_seed(7);
    for (s, m) in &keys {
        list.insert(s.0, m);
    }
    let mid = rss_bytes();
    let mut tree = Tree::new();
    for k in &keys {
        tree.insert(k.clone(), ());
    }
    let after = rss_bytes();
    println!("\nbytes per member, {n} members of 15 bytes:");
    println!("  skiplist memory_usage(): {:.1}", per(list.memory_usage()));
    if let (Some(a), Some(b), Some(c)) = (before, mid, after) {
        println!("  skiplist RSS growth:     {:.1}", per(b.saturating_sub(a)));
        println!("  btreemap RSS growth:     {:.1}", per(c.saturating_sub(b)));
    }
    println!();
    black_box((&list, &tree));
}

fn main() {
    report_bytes_per_member();
    let mut c = Criterion::default().configure_from_args();
    for n in SIZES {
        bench_size(&mut c, n);
    }
    c.final_summary();
}
