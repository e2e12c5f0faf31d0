//! Active expiry: the cron's sampling cycle that removes expired keys
//! nobody reads.
//!
//! Chapter: chapters/10-keyspace.md
//!
//! Lazy expiry alone would keep a key written once with a TTL and never
//! read again in memory forever. So, `hz` times a second, the cron samples
//! keys that have a TTL and deletes the expired ones. Redis's adaptive
//! rule, which we follow:
//!
//! ```text
//!   for each db:
//!     repeat:
//!       sample up to K keys from `expires`        (K = 20, more with effort)
//!       delete the ones whose time has passed
//!     while more than 10% of the sample had expired  (many more are likely)
//!       and the cycle's time budget is not spent      (25% of a tick)
//! ```
//!
//! The cost is bounded by the time budget; the memory held by expired keys
//! converges to about the acceptable stale fraction of all keys with a TTL.
//!
//! Invariants:
//! 1. A cycle never runs longer than its budget plus one sample's work.
//! 2. Every key it removes is reported through `Db::expired`.
//!
//! Not here: lazy expiry (`Db::expire_if_needed`).

use std::time::{Duration, Instant};

use super::Db;

/// Keys sampled per round at effort 1 (Redis's
/// ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP).
const KEYS_PER_LOOP: usize = 20;
/// Percentage of a cron tick the cycle may use (…_SLOW_TIME_PERC).
const SLOW_TIME_PERC: u64 = 25;
/// Keep sampling while more than this percentage of a sample had expired
/// (…_ACCEPTABLE_STALE).
const ACCEPTABLE_STALE: u64 = 10;

/// What one cycle did, for INFO (`expired_stale_perc`,
/// `expired_time_cap_reached_count`).
#[derive(Default, Debug, Clone, Copy)]
pub struct CycleStats {
    pub sampled: u64,
    pub expired: u64,
    pub time_cap_reached: bool,
}

// ANCHOR: active_cycle
/// One active expiry cycle over `dbs`. `effort` is `active-expire-effort`
/// (1..=10): each step above 1 samples 25% more keys per round, allows 2
/// points more time, and accepts one point less staleness.
pub fn active_cycle(dbs: &mut [Db], hz: u32, effort: u32, now_ms: u64) -> CycleStats {
    let effort = effort.clamp(1, 10) as u64 - 1;
    let per_loop = KEYS_PER_LOOP + KEYS_PER_LOOP / 4 * effort as usize;
    let time_perc = SLOW_TIME_PERC + 2 * effort;
    let stale = ACCEPTABLE_STALE.saturating_sub(effort);
    let budget = Duration::from_micros(1_000_000 * time_perc / hz.max(1) as u64 / 100);
    let start = Instant::now();
    let mut stats = CycleStats::default();

    for db in dbs.iter_mut() {
        let mut ttl_sum: u128 = 0;
        let mut ttl_samples: u64 = 0;
        loop {
            if db.expires.is_empty() {
                break;
            }
            let (sampled, expired) =
                sample_and_expire(db, per_loop, now_ms, &mut ttl_sum, &mut ttl_samples);
            stats.sampled += sampled;
            stats.expired += expired;
            if start.elapsed() > budget {
                stats.time_cap_reached = true;
                break;
            }
            // Stop when few of the sampled keys were expired: the rest of
            // the table is probably mostly alive too.
            if sampled == 0 || expired * 100 <= sampled * stale {
                break;
            }
        }
        if ttl_samples > 0 {
            // A running average, as Redis: each cycle moves it 2% of the way.
            let avg = (ttl_sum / ttl_samples as u128) as u64;
            db.avg_ttl = if db.avg_ttl == 0 {
                avg
            } else {
                (db.avg_ttl / 50) * 49 + avg / 50
            };
        }
        if db.expires.is_empty() {
            db.avg_ttl = 0;
        }
        if stats.time_cap_reached {
            break;
        }
    }
    stats
}
// ANCHOR_END: active_cycle

/// Samples up to `n` keys with a TTL and expires those that are due.
/// Returns (sampled, expired).
fn sample_and_expire(
    db: &mut Db,
    n: usize,
    now_ms: u64,
    ttl_sum: &mut u128,
    ttl_samples: &mut u64,
) -> (u64, u64) {
    let mut seed = db.random_u64();
    let mut rng = || {
        // xorshift64*: the dict wants a closure; the seed comes from the
        // db's generator so runs differ.
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        seed.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let mut due = Vec::new();
    let sample = db.expires.sample(n, &mut rng);
    let sampled = sample.len() as u64;
    for (key, &when) in sample {
        if when <= now_ms as i64 {
            due.push(key.clone());
        } else {
            *ttl_sum += (when - now_ms as i64) as u128;
            *ttl_samples += 1;
        }
    }
    let expired = due.len() as u64;
    for key in due {
        db.expire_now(key.as_bytes());
    }
    (sampled, expired)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::object::string_object;

    #[test]
    fn a_cycle_removes_expired_keys_and_reports_them() {
        let mut dbs = vec![Db::new(0)];
        for i in 0..500 {
            let k = format!("k{i}");
            dbs[0].set(k.as_bytes(), string_object(b"v", 0), false);
            // Half expired at t=100, half alive until t=10_000.
            let when = if i % 2 == 0 { 50 } else { 10_000 };
            dbs[0].set_expire(k.as_bytes(), when);
        }
        let mut total = 0;
        for _ in 0..200 {
            total += active_cycle(&mut dbs, 10, 1, 100).expired;
        }
        // Sampling stops at 10% staleness, so a few may remain; most go.
        assert!(total >= 225, "only {total} of 250 expired");
        assert_eq!(dbs[0].expired.len() as u64, total);
        assert!(dbs[0].len() >= 250);
        assert!(dbs[0].avg_ttl > 0);
    }

    #[test]
    fn a_cycle_never_removes_live_keys() {
        let mut dbs = vec![Db::new(0)];
        for i in 0..100 {
            let k = format!("k{i}");
            dbs[0].set(k.as_bytes(), string_object(b"v", 0), false);
            dbs[0].set_expire(k.as_bytes(), 1_000);
        }
        let stats = active_cycle(&mut dbs, 10, 1, 999);
        assert_eq!(stats.expired, 0);
        assert_eq!(dbs[0].len(), 100);
    }
}
