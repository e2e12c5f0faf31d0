//! Server statistics: counters for INFO stats, per-command and per-error
//! tallies, the slow log and the latency monitor.
//!
//! Chapter: chapters/05-config-and-info.md
//!
//! Invariants:
//! 1. `commands[id]` belongs to the command with that id in the command
//!    table (see cmd/mod.rs invariant 2).
//! 2. The slow log holds at most `slowlog-max-len` entries, newest first.
//!
//! Not here: formatting INFO (`info.rs`), deciding when to count (dispatch).

use std::collections::{BTreeMap, VecDeque};

#[derive(Clone, Copy, Default)]
pub struct CommandStats {
    pub calls: u64,
    pub usec: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
}

#[derive(Default)]
pub struct Stats {
    pub total_connections_received: u64,
    pub total_commands_processed: u64,
    pub rejected_connections: u64,
    pub total_net_input_bytes: u64,
    pub total_net_output_bytes: u64,
    pub expired_keys: u64,
    pub evicted_keys: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub total_error_replies: u64,
    pub unexpected_error_replies: u64,
    pub client_qbuf_limit_disconnections: u64,
    pub client_outbuf_limit_disconnections: u64,
    pub commands: Vec<CommandStats>,
    /// "ERR" → count, "WRONGTYPE" → count, ... (INFO errorstats)
    pub errors: BTreeMap<String, u64>,
    /// Ring of (ms timestamp, commands processed) samples for
    /// `instantaneous_ops_per_sec`, taken by the cron.
    pub ops_samples: VecDeque<(u64, u64)>,
    pub net_in_samples: VecDeque<(u64, u64)>,
    pub net_out_samples: VecDeque<(u64, u64)>,
}

const SAMPLES: usize = 16; // Redis's STATS_METRIC_SAMPLES

impl Stats {
    pub fn new(command_count: usize) -> Stats {
        Stats {
            commands: vec![CommandStats::default(); command_count],
            ..Default::default()
        }
    }

    /// Counts an error reply under its code: the first word of the text.
    pub fn count_error(&mut self, text: &str) {
        let code = text.split(' ').next().unwrap_or("ERR");
        // Redis stops tracking new error codes past 128 distinct ones so a
        // client cannot grow this map without bound.
        if self.errors.len() < 128 || self.errors.contains_key(code) {
            *self.errors.entry(code.to_string()).or_insert(0) += 1;
        }
        self.total_error_replies += 1;
    }

    pub fn reset(&mut self) {
        let n = self.commands.len();
        *self = Stats::new(n);
    }

    /// Cron sampling for the `instantaneous_*` INFO fields.
    pub fn sample(&mut self, now_ms: u64) {
        push_sample(&mut self.ops_samples, now_ms, self.total_commands_processed);
        push_sample(&mut self.net_in_samples, now_ms, self.total_net_input_bytes);
        push_sample(
            &mut self.net_out_samples,
            now_ms,
            self.total_net_output_bytes,
        );
    }
}

fn push_sample(q: &mut VecDeque<(u64, u64)>, now_ms: u64, value: u64) {
    if q.len() == SAMPLES {
        q.pop_front();
    }
    q.push_back((now_ms, value));
}

/// Per-second rate over the sample window.
pub fn rate_per_sec(q: &VecDeque<(u64, u64)>) -> f64 {
    match (q.front(), q.back()) {
        (Some(&(t0, v0)), Some(&(t1, v1))) if t1 > t0 => {
            (v1.saturating_sub(v0)) as f64 * 1000.0 / (t1 - t0) as f64
        }
        _ => 0.0,
    }
}

// ---------------------------------------------------------------------------
// SLOWLOG
// ---------------------------------------------------------------------------

pub struct SlowlogEntry {
    pub id: u64,
    pub time_sec: u64,
    pub duration_us: u64,
    pub argv: Vec<Vec<u8>>,
    pub peer: String,
    pub client_name: String,
}

#[derive(Default)]
pub struct Slowlog {
    pub entries: VecDeque<SlowlogEntry>,
    pub next_id: u64,
}

/// Redis keeps at most 32 arguments and 128 bytes of each in an entry.
const SLOWLOG_MAX_ARGC: usize = 32;
const SLOWLOG_MAX_ARGLEN: usize = 128;

impl Slowlog {
    pub fn push(&mut self, mut entry: SlowlogEntry, max_len: usize) {
        entry.id = self.next_id;
        self.next_id += 1;
        entry.argv = shorten_argv(entry.argv);
        self.entries.push_front(entry);
        self.entries.truncate(max_len); // invariant 2
    }
}

fn shorten_argv(argv: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let argc = argv.len();
    let mut out = Vec::with_capacity(argc.min(SLOWLOG_MAX_ARGC));
    for (i, mut a) in argv.into_iter().enumerate() {
        if i == SLOWLOG_MAX_ARGC - 1 && argc > SLOWLOG_MAX_ARGC {
            let more = argc - SLOWLOG_MAX_ARGC + 1;
            out.push(format!("... ({} more arguments)", more).into_bytes());
            break;
        }
        if a.len() > SLOWLOG_MAX_ARGLEN {
            let extra = a.len() - SLOWLOG_MAX_ARGLEN;
            a.truncate(SLOWLOG_MAX_ARGLEN);
            a.extend_from_slice(format!("... ({} more bytes)", extra).as_bytes());
        }
        out.push(a);
    }
    out
}

// ---------------------------------------------------------------------------
// LATENCY monitor (basic): latest and a short history per event.
// ---------------------------------------------------------------------------

#[derive(Default)]
pub struct LatencyEvent {
    /// (unix seconds, milliseconds) samples, oldest first, at most 160.
    pub history: VecDeque<(u64, u64)>,
    pub max_ms: u64,
}

#[derive(Default)]
pub struct Latency {
    pub events: BTreeMap<String, LatencyEvent>,
}

impl Latency {
    pub fn add(&mut self, event: &str, time_sec: u64, ms: u64) {
        let e = self.events.entry(event.to_string()).or_default();
        match e.history.back_mut() {
            // One sample per second: keep the worst.
            Some(last) if last.0 == time_sec => last.1 = last.1.max(ms),
            _ => {
                if e.history.len() == 160 {
                    e.history.pop_front();
                }
                e.history.push_back((time_sec, ms));
            }
        }
        e.max_ms = e.max_ms.max(ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slowlog_keeps_newest_first_and_respects_max_len() {
        let mut log = Slowlog::default();
        for i in 0..5u64 {
            let e = SlowlogEntry {
                id: 0,
                time_sec: i,
                duration_us: i,
                argv: vec![b"ping".to_vec()],
                peer: String::new(),
                client_name: String::new(),
            };
            log.push(e, 3);
        }
        let ids: Vec<u64> = log.entries.iter().map(|e| e.id).collect();
        assert_eq!(ids, vec![4, 3, 2]);
    }

    #[test]
    fn slowlog_shortens_long_arguments_like_redis() {
        let argv = vec![b"set".to_vec(), vec![b'a'; 130]];
        let short = shorten_argv(argv);
        assert!(short[1].ends_with(b"... (2 more bytes)"));
        let many: Vec<Vec<u8>> = (0..40).map(|i| format!("{i}").into_bytes()).collect();
        let short = shorten_argv(many);
        assert_eq!(short.len(), 32);
        assert_eq!(short[31], b"... (9 more arguments)".to_vec());
    }

    #[test]
    fn error_codes_are_counted_by_first_word() {
        let mut s = Stats::new(0);
        s.count_error("ERR syntax error");
        s.count_error("WRONGTYPE Operation against a key");
        s.count_error("ERR other");
        assert_eq!(s.errors.get("ERR"), Some(&2));
        assert_eq!(s.errors.get("WRONGTYPE"), Some(&1));
        assert_eq!(s.total_error_replies, 3);
    }
}
