//! INFO: the server's state as `field:value` lines in named sections,
//! with Redis 7.0's section and field names so monitoring tools work.
//!
//! Chapter: chapters/05-config-and-info.md
//!
//! Invariants:
//! 1. Field names are Redis's. A field we cannot measure yet is printed with
//!    the value Redis prints when the feature is idle (0, -1, "ok"), never
//!    invented under a new name; oxidis-only fields start with `oxidis_`.
//! 2. Lines end with CRLF, sections are separated by a blank line, as Redis
//!    does.
//!
//! Not here: the counters themselves (`stats.rs`).

use std::fmt::Write;

use super::stats::rate_per_sec;
use super::{Client, Server};
use crate::config::ConfigEnum;

/// The Redis version we report, so clients enable the 7.0 features.
pub const REDIS_VERSION: &str = "7.0.15";

/// Sections printed by plain INFO (Redis's "default" set).
const DEFAULT: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "errorstats",
    "cluster",
    "keyspace",
];

// ANCHOR: render
/// Renders the requested sections: none or "default" → the default set,
/// "all" → default plus commandstats and latencystats, "everything" → all.
pub fn render(srv: &Server, current: &Client, requested: &[String]) -> String {
    let mut wanted: Vec<&str> = Vec::new();
    if requested.is_empty() {
        wanted.extend(DEFAULT);
    }
    for r in requested {
        match r.as_str() {
            "default" => wanted.extend(DEFAULT),
            "all" | "everything" => {
                wanted.extend(DEFAULT);
                wanted.push("commandstats");
                wanted.push("latencystats");
            }
            other => wanted.push(other),
        }
    }
    let mut out = String::new();
    let mut seen: Vec<&str> = Vec::new();
    for section in wanted {
        if seen.contains(&section) {
            continue;
        }
        seen.push(section);
        let before = out.len();
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        let printed = match section {
            "server" => server(srv, &mut out),
            "clients" => clients(srv, current, &mut out),
            "memory" => memory(srv, &mut out),
            "persistence" => persistence(srv, &mut out),
            "stats" => stats(srv, &mut out),
            "replication" => replication(srv, &mut out),
            "cpu" => cpu(&mut out),
            "modules" => {
                out.push_str("# Modules\r\n");
                true
            }
            "errorstats" => errorstats(srv, &mut out),
            "cluster" => {
                out.push_str("# Cluster\r\ncluster_enabled:0\r\n");
                true
            }
            "keyspace" => keyspace(srv, &mut out),
            "commandstats" => commandstats(srv, &mut out),
            "latencystats" => {
                out.push_str("# Latencystats\r\n");
                true
            }
            _ => false,
        };
        if !printed {
            out.truncate(before); // unknown section: nothing, as Redis
        }
    }
    out
}
// ANCHOR_END: render

/// `field:value\r\n`
macro_rules! field {
    ($out:expr, $name:expr, $value:expr) => {
        let _ = write!($out, "{}:{}\r\n", $name, $value);
    };
}

fn server(srv: &Server, out: &mut String) -> bool {
    out.push_str("# Server\r\n");
    field!(out, "redis_version", REDIS_VERSION);
    field!(out, "oxidis_version", env!("CARGO_PKG_VERSION"));
    field!(out, "redis_git_sha1", "00000000");
    field!(out, "redis_git_dirty", 0);
    field!(out, "redis_build_id", "0");
    field!(out, "redis_mode", "standalone");
    field!(out, "os", os_name());
    field!(out, "arch_bits", usize::BITS);
    field!(out, "monotonic_clock", "POSIX clock_gettime");
    field!(out, "multiplexing_api", srv.backend_name);
    field!(out, "atomicvar_api", "c11-builtin");
    field!(out, "gcc_version", "0.0.0");
    field!(out, "process_id", std::process::id());
    field!(out, "process_supervised", "no");
    field!(out, "run_id", srv.run_id);
    field!(out, "tcp_port", srv.tcp_port);
    field!(out, "server_time_usec", super::unix_us());
    let up = srv.uptime_secs();
    field!(out, "uptime_in_seconds", up);
    field!(out, "uptime_in_days", up / 86400);
    field!(out, "hz", srv.config.hz);
    field!(out, "configured_hz", srv.config.hz);
    field!(out, "lru_clock", (srv.now_ms / 1000) & ((1 << 24) - 1));
    field!(out, "executable", srv.executable);
    field!(
        out,
        "config_file",
        srv.config
            .config_file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    );
    field!(out, "io_threads_active", 0);
    true
}

fn clients(srv: &Server, current: &Client, out: &mut String) -> bool {
    let all = srv.clients_sorted(current);
    out.push_str("# Clients\r\n");
    field!(out, "connected_clients", all.len());
    field!(out, "cluster_connections", 0);
    field!(out, "maxclients", srv.config.maxclients);
    let max_in = all.iter().map(|c| c.querybuf.len()).max().unwrap_or(0);
    let max_out = all.iter().map(|c| c.out.pending()).max().unwrap_or(0);
    field!(out, "client_recent_max_input_buffer", max_in);
    field!(out, "client_recent_max_output_buffer", max_out);
    field!(out, "blocked_clients", srv.blocked_clients);
    field!(out, "tracking_clients", 0);
    field!(out, "clients_in_timeout_table", 0);
    true
}

/// Redis's human-readable byte counts: 919.64K, 6.29M, 0B.
pub fn human_bytes(n: u64) -> String {
    let n = n as f64;
    const UNITS: [(&str, f64); 5] = [
        ("P", 1125899906842624.0),
        ("T", 1099511627776.0),
        ("G", 1073741824.0),
        ("M", 1048576.0),
        ("K", 1024.0),
    ];
    for (unit, size) in UNITS {
        if n >= size {
            return format!("{:.2}{}", n / size, unit);
        }
    }
    format!("{}B", n as u64)
}

fn memory(srv: &Server, out: &mut String) -> bool {
    let used = crate::alloc::used_memory() as u64;
    let peak = (crate::alloc::update_peak() as u64).max(used);
    let rss = crate::alloc::resident_set_size() as u64;
    let sys = total_system_memory();
    out.push_str("# Memory\r\n");
    field!(out, "used_memory", used);
    field!(out, "used_memory_human", human_bytes(used));
    field!(out, "used_memory_rss", rss);
    field!(out, "used_memory_rss_human", human_bytes(rss));
    field!(out, "used_memory_peak", peak);
    field!(out, "used_memory_peak_human", human_bytes(peak));
    let perc = if peak > 0 {
        used as f64 * 100.0 / peak as f64
    } else {
        0.0
    };
    field!(out, "used_memory_peak_perc", format!("{:.2}%", perc));
    field!(out, "total_system_memory", sys);
    field!(out, "total_system_memory_human", human_bytes(sys));
    field!(out, "maxmemory", srv.config.maxmemory);
    field!(out, "maxmemory_human", human_bytes(srv.config.maxmemory));
    field!(out, "maxmemory_policy", srv.config.maxmemory_policy.name());
    let ratio = if used > 0 {
        rss as f64 / used as f64
    } else {
        0.0
    };
    field!(out, "mem_fragmentation_ratio", format!("{:.2}", ratio));
    field!(out, "mem_fragmentation_bytes", rss as i64 - used as i64);
    field!(out, "mem_allocator", "libc");
    field!(out, "lazyfree_pending_objects", 0);
    field!(out, "lazyfreed_objects", 0);
    true
}

fn persistence(srv: &Server, out: &mut String) -> bool {
    out.push_str("# Persistence\r\n");
    field!(out, "loading", u8::from(srv.loading));
    field!(out, "async_loading", 0);
    field!(out, "current_cow_peak", 0);
    let child_cow = srv.child.as_ref().map_or(0, |c| c.cow_bytes);
    field!(out, "current_cow_size", child_cow);
    field!(out, "current_cow_size_age", 0);
    field!(out, "current_fork_perc", "0.00");
    field!(out, "current_save_keys_processed", 0);
    field!(out, "current_save_keys_total", 0);
    let rdb_child = srv
        .child
        .as_ref()
        .filter(|c| c.kind == super::child::ChildKind::Rdb);
    let bg = &srv.bgsave;
    field!(
        out,
        "rdb_changes_since_last_save",
        srv.dirty - srv.dirty_at_last_save
    );
    field!(out, "rdb_bgsave_in_progress", u8::from(rdb_child.is_some()));
    field!(out, "rdb_last_save_time", srv.lastsave_unix);
    field!(
        out,
        "rdb_last_bgsave_status",
        if bg.last_ok { "ok" } else { "err" }
    );
    field!(out, "rdb_last_bgsave_time_sec", bg.last_time_sec);
    field!(
        out,
        "rdb_current_bgsave_time_sec",
        rdb_child.map_or(-1, |c| (srv.now_ms.saturating_sub(c.start_ms) / 1000)
            as i64)
    );
    field!(out, "rdb_saves", bg.saves);
    field!(out, "rdb_last_cow_size", bg.last_cow_size);
    let aof = &srv.aof;
    let aof_child = srv
        .child
        .as_ref()
        .filter(|c| c.kind == super::child::ChildKind::Aof);
    field!(out, "aof_enabled", u8::from(aof.is_on()));
    field!(
        out,
        "aof_rewrite_in_progress",
        u8::from(aof_child.is_some())
    );
    field!(
        out,
        "aof_rewrite_scheduled",
        u8::from(aof.rewrite_scheduled)
    );
    field!(out, "aof_last_rewrite_time_sec", aof.last_rewrite_time_sec);
    field!(
        out,
        "aof_current_rewrite_time_sec",
        aof_child.map_or(-1, |c| (srv.now_ms.saturating_sub(c.start_ms) / 1000)
            as i64)
    );
    field!(
        out,
        "aof_last_bgrewrite_status",
        if aof.last_rewrite_ok { "ok" } else { "err" }
    );
    field!(out, "aof_rewrites", aof.rewrites);
    field!(
        out,
        "aof_rewrites_consecutive_failures",
        aof.rewrite_failures_in_a_row
    );
    field!(
        out,
        "aof_last_write_status",
        if aof.last_write_error.is_none() {
            "ok"
        } else {
            "err"
        }
    );
    field!(out, "aof_last_cow_size", aof.last_cow_size);
    field!(out, "module_fork_in_progress", 0);
    field!(out, "module_fork_last_cow_size", 0);
    if aof.is_on() {
        field!(out, "aof_current_size", aof.current_size);
        field!(out, "aof_base_size", aof.base_size);
        field!(out, "aof_pending_rewrite", u8::from(aof.rewrite_scheduled));
        field!(out, "aof_buffer_length", aof.buf.len());
        field!(out, "aof_pending_bio_fsync", super::bio::pending_fsyncs());
        field!(out, "aof_delayed_fsync", aof.delayed_fsync);
    }
    true
}

fn stats(srv: &Server, out: &mut String) -> bool {
    let s = &srv.stats;
    let expired = s.expired_keys;
    let hits: u64 = srv.dbs.iter().map(|d| d.hits).sum();
    let misses: u64 = srv.dbs.iter().map(|d| d.misses).sum();
    out.push_str("# Stats\r\n");
    field!(
        out,
        "total_connections_received",
        s.total_connections_received
    );
    field!(out, "total_commands_processed", s.total_commands_processed);
    field!(
        out,
        "instantaneous_ops_per_sec",
        rate_per_sec(&s.ops_samples) as u64
    );
    field!(out, "total_net_input_bytes", s.total_net_input_bytes);
    field!(out, "total_net_output_bytes", s.total_net_output_bytes);
    field!(
        out,
        "instantaneous_input_kbps",
        format!("{:.2}", rate_per_sec(&s.net_in_samples) / 1024.0)
    );
    field!(
        out,
        "instantaneous_output_kbps",
        format!("{:.2}", rate_per_sec(&s.net_out_samples) / 1024.0)
    );
    field!(out, "rejected_connections", s.rejected_connections);
    field!(out, "sync_full", 0);
    field!(out, "sync_partial_ok", 0);
    field!(out, "sync_partial_err", 0);
    field!(out, "expired_keys", expired);
    field!(out, "expired_stale_perc", format!("{:.2}", srv.stale_perc));
    field!(
        out,
        "expired_time_cap_reached_count",
        srv.expired_time_cap_reached
    );
    field!(out, "evicted_keys", s.evicted_keys);
    field!(out, "evicted_clients", 0);
    field!(out, "keyspace_hits", s.keyspace_hits + hits);
    field!(out, "keyspace_misses", s.keyspace_misses + misses);
    field!(out, "pubsub_channels", srv.pubsub.channels.len());
    field!(out, "pubsub_patterns", srv.pubsub.patterns.len());
    field!(out, "pubsubshard_channels", srv.pubsub.shard_channels.len());
    field!(out, "latest_fork_usec", 0);
    field!(out, "total_forks", 0);
    field!(out, "unexpected_error_replies", s.unexpected_error_replies);
    field!(out, "total_error_replies", s.total_error_replies);
    field!(
        out,
        "client_query_buffer_limit_disconnections",
        s.client_qbuf_limit_disconnections
    );
    field!(
        out,
        "client_output_buffer_limit_disconnections",
        s.client_outbuf_limit_disconnections
    );
    true
}

fn replication(srv: &Server, out: &mut String) -> bool {
    out.push_str("# Replication\r\n");
    field!(out, "role", "master");
    field!(out, "connected_slaves", 0);
    field!(out, "master_failover_state", "no-failover");
    field!(out, "master_replid", srv.run_id);
    field!(out, "master_replid2", "0".repeat(40));
    field!(out, "master_repl_offset", 0);
    field!(out, "second_repl_offset", -1);
    field!(out, "repl_backlog_active", 0);
    field!(out, "repl_backlog_size", 1048576);
    field!(out, "repl_backlog_first_byte_offset", 0);
    field!(out, "repl_backlog_histlen", 0);
    true
}

fn cpu(out: &mut String) -> bool {
    let (user, sys) = rusage(libc::RUSAGE_SELF);
    let (cuser, csys) = rusage(libc::RUSAGE_CHILDREN);
    out.push_str("# CPU\r\n");
    field!(out, "used_cpu_sys", format!("{:.6}", sys));
    field!(out, "used_cpu_user", format!("{:.6}", user));
    field!(out, "used_cpu_sys_children", format!("{:.6}", csys));
    field!(out, "used_cpu_user_children", format!("{:.6}", cuser));
    field!(out, "used_cpu_sys_main_thread", format!("{:.6}", sys));
    field!(out, "used_cpu_user_main_thread", format!("{:.6}", user));
    true
}

/// (user, system) CPU seconds.
fn rusage(who: libc::c_int) -> (f64, f64) {
    // SAFETY: `ru` is plain data that getrusage fills; the pointer is valid.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut ru);
        ru
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (secs(ru.ru_utime), secs(ru.ru_stime))
}

fn errorstats(srv: &Server, out: &mut String) -> bool {
    out.push_str("# Errorstats\r\n");
    for (code, count) in &srv.stats.errors {
        let _ = write!(out, "errorstat_{}:count={}\r\n", code, count);
    }
    true
}

fn keyspace(srv: &Server, out: &mut String) -> bool {
    out.push_str("# Keyspace\r\n");
    for (i, db) in srv.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "db{}:keys={},expires={},avg_ttl={}\r\n",
            i,
            db.len(),
            db.expires.len(),
            db.avg_ttl
        );
    }
    true
}

fn commandstats(srv: &Server, out: &mut String) -> bool {
    out.push_str("# Commandstats\r\n");
    for r in &srv.commands.all {
        let s = &srv.stats.commands[r.id];
        if s.calls == 0 && s.rejected_calls == 0 && s.failed_calls == 0 {
            continue;
        }
        let per_call = if s.calls > 0 {
            s.usec as f64 / s.calls as f64
        } else {
            0.0
        };
        let _ = write!(
            out,
            "cmdstat_{}:calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}\r\n",
            r.full_name(),
            s.calls,
            s.usec,
            per_call,
            s.rejected_calls,
            s.failed_calls
        );
    }
    true
}

fn os_name() -> String {
    // SAFETY: `u` is plain data that uname fills; the pointer is valid.
    let u = unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return "unknown".to_string();
        }
        u
    };
    let field = |f: &[libc::c_char]| -> String {
        let bytes: Vec<u8> = f
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    format!(
        "{} {} {}",
        field(&u.sysname),
        field(&u.release),
        field(&u.machine)
    )
}

fn total_system_memory() -> u64 {
    // SAFETY: sysconf has no preconditions; negative means unknown.
    let (pages, size) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    if pages > 0 && size > 0 {
        pages as u64 * size as u64
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes_matches_redis_format() {
        assert_eq!(human_bytes(0), "0B");
        assert_eq!(human_bytes(941712), "919.64K");
        assert_eq!(human_bytes(6590464), "6.29M");
        assert_eq!(human_bytes(25276514304), "23.54G");
    }
}
