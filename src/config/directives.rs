//! The directive table: every configuration name, its alias, flags, parser
//! and printer, one line each.
//!
//! Chapter: chapters/05-config-and-info.md
//!
//! A [`Directive`] pairs a name with two plain functions, `get(&Config) ->
//! String` and `set(&mut Config, args)`, plus flags and a rewrite format.
//! Small macros build the common kinds (boolean, integer with range,
//! memory, enum, string), so a new directive is usually one line:
//!
//! ```text
//!   integer!("maxmemory-samples", None, 0, maxmemory_samples, 1, INT_MAX),
//!            name                 alias flags field           range
//! ```
//!
//! The few that need more (save, bind, client-output-buffer-limit, ...)
//! name their own functions from special.rs.
//!
//! Invariants:
//! 1. Names and aliases are lowercase and unique across the whole table.
//! 2. Every `set` validates all its arguments before changing any field.
//! 3. Every `set` accepts what its `get` prints (so CONFIG SET can restore
//!    any value CONFIG GET showed).
//!
//! Not here: the file loop (load.rs), CONFIG SET's two passes (mod.rs),
//! directives with their own rules (special.rs), rewriting files
//! (rewrite.rs).

use super::parse::{
    check_range, parse_bool, parse_memory, parse_strict_i64, split_args, yes_no, NOT_AN_INTEGER,
    NOT_MEMORY, UNBALANCED_QUOTES,
};
use super::special::{
    check_appenddirname, check_appendfilename, check_dbfilename, get_bind, get_cobl, get_notify,
    get_perm, get_save, rewrite_bind, rewrite_cobl, rewrite_dir, rewrite_save, set_backlog,
    set_bind, set_cobl, set_dir, set_hz, set_notify, set_perm, set_save,
};
use super::{Config, ConfigEnum};

// ---------------------------------------------------------------------------
// The Directive type
// ---------------------------------------------------------------------------

/// CONFIG SET refuses it; only a file or flag can set it.
pub const IMMUTABLE: u8 = 1 << 0;
/// Takes any number of arguments (`save 900 1 300 10`); a single argument
/// holding blanks is split again, so `--save "900 1"` also works.
pub const MULTI_ARG: u8 = 1 << 1;
/// Holds a secret; the server should redact it from logs and SLOWLOG.
pub const SENSITIVE: u8 = 1 << 2;
/// CONFIG SET needs `enable-protected-configs` (these can plant files).
pub const PROTECTED: u8 = 1 << 3;

pub(super) const INT_MAX: i128 = i32::MAX as i128;
const INT_MIN: i128 = i32::MIN as i128;
const UINT_MAX: i128 = u32::MAX as i128;
pub(super) const LLONG_MAX: i128 = i64::MAX as i128;
const ULLONG_MAX: i128 = u64::MAX as i128;
const MB: i128 = 1024 * 1024;

/// How CONFIG REWRITE writes a directive's value.
#[derive(Clone, Copy)]
pub(super) enum Format {
    /// As `get` prints it: numbers, yes/no, enum names.
    Plain,
    /// Bytes in the largest exact unit: `maxmemory 2mb`.
    Memory,
    /// Double-quoted with escapes: strings may be empty or hold blanks.
    Quoted,
    /// Whole lines, each with a "must write" flag; given (current, default).
    Lines(fn(&Config, &Config) -> Vec<(String, bool)>),
}

/// One configuration directive.
pub struct Directive {
    /// Canonical name, as CONFIG REWRITE writes it.
    pub name: &'static str,
    /// Older name Redis still accepts (e.g. `slave-read-only`).
    pub alias: Option<&'static str>,
    /// [`IMMUTABLE`], [`MULTI_ARG`], [`SENSITIVE`], [`PROTECTED`].
    pub flags: u8,
    pub(super) format: Format,
    pub(super) get: fn(&Config) -> String,
    pub(super) set: fn(&mut Config, &[&str], &mut LoadState) -> Result<(), String>,
}

/// Context for one load (a file with its includes and flags, or one CONFIG
/// SET). Only `save` needs it: in a file, the first `save` line replaces
/// the defaults and later lines add rules; CONFIG SET always replaces.
pub struct LoadState {
    pub(super) reading_file: bool,
    pub(super) save_seen: bool,
    pub(super) include_depth: usize,
}

impl LoadState {
    pub(super) fn reading_file() -> LoadState {
        LoadState {
            reading_file: true,
            save_seen: false,
            include_depth: 0,
        }
    }

    pub(super) fn from_client() -> LoadState {
        LoadState {
            reading_file: false,
            save_seen: false,
            include_depth: 0,
        }
    }
}

impl Directive {
    /// Apply a file or command-line line's arguments: single-argument
    /// directives need exactly one; a multi-argument directive given one
    /// non-empty argument splits it like a config line.
    pub(super) fn apply(
        &self,
        c: &mut Config,
        args: &[&str],
        state: &mut LoadState,
    ) -> Result<(), String> {
        if self.flags & MULTI_ARG == 0 {
            if args.len() != 1 {
                return Err("wrong number of arguments".to_string());
            }
            return (self.set)(c, args, state);
        }
        match args {
            [one] if !one.is_empty() => {
                let words = split_args(one.as_bytes()).ok_or(UNBALANCED_QUOTES)?;
                let owned: Vec<String> = words
                    .iter()
                    .map(|w| String::from_utf8_lossy(w).into_owned())
                    .collect();
                let refs: Vec<&str> = owned.iter().map(String::as_str).collect();
                (self.set)(c, &refs, state)
            }
            _ => (self.set)(c, args, state),
        }
    }
}

/// Find a directive by name or alias, in any case. The flag says whether
/// the alias matched.
pub fn lookup(name: &str) -> Option<(&'static Directive, bool)> {
    DIRECTIVES.iter().find_map(|d| {
        if d.name.eq_ignore_ascii_case(name) {
            Some((d, false))
        } else if d.alias.is_some_and(|a| a.eq_ignore_ascii_case(name)) {
            Some((d, true))
        } else {
            None
        }
    })
}

// ---------------------------------------------------------------------------
// Helpers the macros expand to
// ---------------------------------------------------------------------------

/// The single argument of a single-argument directive. The loader already
/// checked the count; this keeps a direct call from indexing out of range.
pub(super) fn one<'a>(args: &[&'a str]) -> Result<&'a str, String> {
    match args {
        [v] => Ok(v),
        _ => Err("wrong number of arguments".to_string()),
    }
}

pub(super) fn int_arg<T: TryFrom<i128>>(args: &[&str], min: i128, max: i128) -> Result<T, String> {
    let v = parse_strict_i64(one(args)?).ok_or(NOT_AN_INTEGER)?;
    check_range(i128::from(v), min, max)
}

pub(super) fn memory_arg<T: TryFrom<i128>>(
    args: &[&str],
    min: i128,
    max: i128,
) -> Result<T, String> {
    let v = parse_memory(one(args)?).ok_or(NOT_MEMORY)?;
    check_range(i128::from(v), min, max)
}

fn enum_arg<E: ConfigEnum>(args: &[&str]) -> Result<E, String> {
    let v = one(args)?;
    E::from_name(v).ok_or_else(|| {
        let names: Vec<&str> = E::NAMES.iter().map(|(n, _)| *n).collect();
        format!(
            "argument(s) must be one of the following: {}",
            names.join(", ")
        )
    })
}

fn string_arg(args: &[&str], check: fn(&str) -> Result<(), String>) -> Result<String, String> {
    let v = one(args)?;
    check(v)?;
    Ok(v.to_string())
}

fn any_string(_: &str) -> Result<(), String> {
    Ok(())
}

macro_rules! boolean {
    ($name:literal, $alias:expr, $flags:expr, $field:ident) => {
        Directive {
            name: $name,
            alias: $alias,
            flags: $flags,
            format: Format::Plain,
            get: |c: &Config| yes_no(c.$field),
            set: |c: &mut Config, a: &[&str], _: &mut LoadState| {
                c.$field = parse_bool(one(a)?)?;
                Ok(())
            },
        }
    };
}

macro_rules! integer {
    ($name:literal, $alias:expr, $flags:expr, $field:ident, $min:expr, $max:expr) => {
        Directive {
            name: $name,
            alias: $alias,
            flags: $flags,
            format: Format::Plain,
            get: |c: &Config| c.$field.to_string(),
            set: |c: &mut Config, a: &[&str], _: &mut LoadState| {
                c.$field = int_arg(a, $min, $max)?;
                Ok(())
            },
        }
    };
}

macro_rules! memory {
    ($name:literal, $alias:expr, $flags:expr, $field:ident, $min:expr, $max:expr) => {
        Directive {
            name: $name,
            alias: $alias,
            flags: $flags,
            format: Format::Memory,
            get: |c: &Config| c.$field.to_string(),
            set: |c: &mut Config, a: &[&str], _: &mut LoadState| {
                c.$field = memory_arg(a, $min, $max)?;
                Ok(())
            },
        }
    };
}

macro_rules! enumeration {
    ($name:literal, $alias:expr, $flags:expr, $field:ident) => {
        Directive {
            name: $name,
            alias: $alias,
            flags: $flags,
            format: Format::Plain,
            get: |c: &Config| c.$field.name().to_string(),
            set: |c: &mut Config, a: &[&str], _: &mut LoadState| {
                c.$field = enum_arg(a)?;
                Ok(())
            },
        }
    };
}

macro_rules! string {
    ($name:literal, $alias:expr, $flags:expr, $field:ident) => {
        string!($name, $alias, $flags, $field, any_string)
    };
    ($name:literal, $alias:expr, $flags:expr, $field:ident, $check:expr) => {
        Directive {
            name: $name,
            alias: $alias,
            flags: $flags,
            format: Format::Quoted,
            get: |c: &Config| c.$field.clone(),
            set: |c: &mut Config, a: &[&str], _: &mut LoadState| {
                c.$field = string_arg(a, $check)?;
                Ok(())
            },
        }
    };
}

macro_rules! special {
    ($name:literal, $alias:expr, $flags:expr, $format:expr, $get:expr, $set:expr) => {
        Directive {
            name: $name,
            alias: $alias,
            flags: $flags,
            format: $format,
            get: $get,
            set: $set,
        }
    };
}

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

// ANCHOR: table
/// Every directive, grouped as in redis.conf. CONFIG GET * and CONFIG
/// REWRITE follow this order.
#[rustfmt::skip]
pub static DIRECTIVES: &[Directive] = &[
    // Network
    special!("bind", None, MULTI_ARG, Format::Lines(rewrite_bind), get_bind, set_bind),
    string!("bind-source-addr", None, 0, bind_source_addr),
    integer!("port", None, 0, port, 0, 65535),
    integer!("tcp-backlog", None, IMMUTABLE, tcp_backlog, 0, INT_MAX),
    string!("unixsocket", None, IMMUTABLE, unixsocket),
    special!("unixsocketperm", None, IMMUTABLE, Format::Plain, get_perm, set_perm),
    integer!("timeout", None, 0, timeout, 0, INT_MAX),
    integer!("tcp-keepalive", None, 0, tcp_keepalive, 0, INT_MAX),
    boolean!("protected-mode", None, 0, protected_mode),
    // General
    boolean!("daemonize", None, IMMUTABLE, daemonize),
    enumeration!("supervised", None, IMMUTABLE, supervised),
    string!("pidfile", None, IMMUTABLE, pidfile),
    enumeration!("loglevel", None, 0, loglevel),
    string!("logfile", None, IMMUTABLE, logfile),
    boolean!("syslog-enabled", None, IMMUTABLE, syslog_enabled),
    integer!("databases", None, IMMUTABLE, databases, 1, INT_MAX),
    boolean!("always-show-logo", None, IMMUTABLE, always_show_logo),
    boolean!("set-proc-title", None, IMMUTABLE, set_proc_title),
    enumeration!("event-backend", None, IMMUTABLE, event_backend), // oxidis only
    // Security
    string!("requirepass", None, SENSITIVE, requirepass),
    enumeration!("enable-protected-configs", None, IMMUTABLE, enable_protected_configs),
    enumeration!("enable-debug-command", None, IMMUTABLE, enable_debug_command),
    enumeration!("enable-module-command", None, IMMUTABLE, enable_module_command),
    // Clients
    integer!("maxclients", None, 0, maxclients, 1, UINT_MAX),
    memory!("proto-max-bulk-len", None, 0, proto_max_bulk_len, MB, LLONG_MAX),
    memory!("client-query-buffer-limit", None, 0, client_query_buffer_limit, MB, LLONG_MAX),
    special!("client-output-buffer-limit", None, MULTI_ARG, Format::Lines(rewrite_cobl), get_cobl, set_cobl),
    // Timers
    special!("hz", None, 0, Format::Plain, |c| c.hz.to_string(), set_hz),
    boolean!("dynamic-hz", None, 0, dynamic_hz),
    integer!("busy-reply-threshold", Some("lua-time-limit"), 0, busy_reply_threshold, 0, LLONG_MAX),
    // Slow log and latency
    integer!("slowlog-log-slower-than", None, 0, slowlog_log_slower_than, -1, LLONG_MAX),
    integer!("slowlog-max-len", None, 0, slowlog_max_len, 0, LLONG_MAX),
    integer!("latency-monitor-threshold", None, 0, latency_monitor_threshold, 0, LLONG_MAX),
    boolean!("latency-tracking", None, 0, latency_tracking),
    // Memory and eviction
    memory!("maxmemory", None, 0, maxmemory, 0, ULLONG_MAX),
    enumeration!("maxmemory-policy", None, 0, maxmemory_policy),
    integer!("maxmemory-samples", None, 0, maxmemory_samples, 1, INT_MAX),
    integer!("lfu-log-factor", None, 0, lfu_log_factor, 0, INT_MAX),
    integer!("lfu-decay-time", None, 0, lfu_decay_time, 0, INT_MAX),
    integer!("active-expire-effort", None, 0, active_expire_effort, 1, 10),
    boolean!("activerehashing", None, 0, activerehashing),
    boolean!("lazyfree-lazy-eviction", None, 0, lazyfree_lazy_eviction),
    boolean!("lazyfree-lazy-expire", None, 0, lazyfree_lazy_expire),
    boolean!("lazyfree-lazy-server-del", None, 0, lazyfree_lazy_server_del),
    boolean!("lazyfree-lazy-user-del", None, 0, lazyfree_lazy_user_del),
    boolean!("lazyfree-lazy-user-flush", None, 0, lazyfree_lazy_user_flush),
    // Persistence
    special!("save", None, MULTI_ARG, Format::Lines(rewrite_save), get_save, set_save),
    special!("dir", None, PROTECTED, Format::Lines(rewrite_dir), |c| c.dir.clone(), set_dir),
    string!("dbfilename", None, PROTECTED, dbfilename, check_dbfilename),
    boolean!("rdbcompression", None, 0, rdbcompression),
    boolean!("rdbchecksum", None, 0, rdbchecksum),
    boolean!("stop-writes-on-bgsave-error", None, 0, stop_writes_on_bgsave_error),
    enumeration!("sanitize-dump-payload", None, 0, sanitize_dump_payload),
    boolean!("appendonly", None, 0, appendonly),
    string!("appendfilename", None, IMMUTABLE, appendfilename, check_appendfilename),
    string!("appenddirname", None, IMMUTABLE, appenddirname, check_appenddirname),
    enumeration!("appendfsync", None, 0, appendfsync),
    boolean!("no-appendfsync-on-rewrite", None, 0, no_appendfsync_on_rewrite),
    integer!("auto-aof-rewrite-percentage", None, 0, auto_aof_rewrite_percentage, 0, INT_MAX),
    memory!("auto-aof-rewrite-min-size", None, 0, auto_aof_rewrite_min_size, 0, LLONG_MAX),
    boolean!("aof-load-truncated", None, 0, aof_load_truncated),
    boolean!("aof-use-rdb-preamble", None, 0, aof_use_rdb_preamble),
    boolean!("aof-timestamp-enabled", None, 0, aof_timestamp_enabled),
    boolean!("aof-rewrite-incremental-fsync", None, 0, aof_rewrite_incremental_fsync),
    // Threads
    integer!("io-threads", None, IMMUTABLE, io_threads, 1, 128),
    boolean!("io-threads-do-reads", None, IMMUTABLE, io_threads_do_reads),
    // Keyspace notifications
    special!("notify-keyspace-events", None, 0, Format::Quoted, get_notify, set_notify),
    // Encodings
    integer!("list-max-listpack-size", Some("list-max-ziplist-size"), 0, list_max_listpack_size, INT_MIN, INT_MAX),
    integer!("list-compress-depth", None, 0, list_compress_depth, 0, INT_MAX),
    integer!("hash-max-listpack-entries", Some("hash-max-ziplist-entries"), 0, hash_max_listpack_entries, 0, LLONG_MAX),
    memory!("hash-max-listpack-value", Some("hash-max-ziplist-value"), 0, hash_max_listpack_value, 0, LLONG_MAX),
    integer!("set-max-intset-entries", None, 0, set_max_intset_entries, 0, LLONG_MAX),
    integer!("zset-max-listpack-entries", Some("zset-max-ziplist-entries"), 0, zset_max_listpack_entries, 0, LLONG_MAX),
    memory!("zset-max-listpack-value", Some("zset-max-ziplist-value"), 0, zset_max_listpack_value, 0, LLONG_MAX),
    // Replication and cluster
    boolean!("replica-read-only", Some("slave-read-only"), 0, replica_read_only),
    boolean!("replica-serve-stale-data", Some("slave-serve-stale-data"), 0, replica_serve_stale_data),
    special!("repl-backlog-size", None, 0, Format::Memory, |c| c.repl_backlog_size.to_string(), set_backlog),
    string!("masterauth", None, SENSITIVE, masterauth),
    string!("masteruser", None, 0, masteruser),
    boolean!("cluster-enabled", None, IMMUTABLE, cluster_enabled),
];
// ANCHOR_END: table

#[cfg(test)]
mod tests {
    use super::*;

    /// `CONFIG GET *` from a Redis 7.0.15 started with no file and no flags,
    /// restricted to the directives we support. (The dump supplied with the
    /// project came from a server started with `--port 7000 --daemonize yes
    /// --save "" ` in /tmp, so it shows 7000, yes, "" and /tmp for those
    /// four, and `/var/run/redis.pid` because daemonizing sets a pidfile.)
    const REDIS_DEFAULTS: &[(&str, &str)] = &[
        ("active-expire-effort", "1"),
        ("activerehashing", "yes"),
        ("always-show-logo", "no"),
        ("appenddirname", "appendonlydir"),
        ("appendfilename", "appendonly.aof"),
        ("appendfsync", "everysec"),
        ("appendonly", "no"),
        ("aof-load-truncated", "yes"),
        ("aof-rewrite-incremental-fsync", "yes"),
        ("aof-timestamp-enabled", "no"),
        ("aof-use-rdb-preamble", "yes"),
        ("auto-aof-rewrite-min-size", "67108864"),
        ("auto-aof-rewrite-percentage", "100"),
        ("no-appendfsync-on-rewrite", "no"),
        // oxidis differs here on purpose: loopback by default.
        ("bind", "127.0.0.1 -::1"),
        ("bind-source-addr", ""),
        ("busy-reply-threshold", "5000"),
        (
            "client-output-buffer-limit",
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
        ),
        ("client-query-buffer-limit", "1073741824"),
        ("cluster-enabled", "no"),
        ("daemonize", "no"),
        ("databases", "16"),
        ("dbfilename", "dump.rdb"),
        ("dynamic-hz", "yes"),
        ("enable-debug-command", "no"),
        ("enable-module-command", "no"),
        ("enable-protected-configs", "no"),
        ("hash-max-listpack-entries", "512"),
        ("hash-max-listpack-value", "64"),
        ("hash-max-ziplist-entries", "512"),
        ("hash-max-ziplist-value", "64"),
        ("hz", "10"),
        ("io-threads", "1"),
        ("io-threads-do-reads", "no"),
        ("latency-monitor-threshold", "0"),
        ("latency-tracking", "yes"),
        ("lazyfree-lazy-eviction", "no"),
        ("lazyfree-lazy-expire", "no"),
        ("lazyfree-lazy-server-del", "no"),
        ("lazyfree-lazy-user-del", "no"),
        ("lazyfree-lazy-user-flush", "no"),
        ("lfu-decay-time", "1"),
        ("lfu-log-factor", "10"),
        ("list-compress-depth", "0"),
        ("list-max-listpack-size", "-2"),
        ("list-max-ziplist-size", "-2"),
        ("logfile", ""),
        ("loglevel", "notice"),
        ("lua-time-limit", "5000"),
        ("masterauth", ""),
        ("masteruser", ""),
        ("maxclients", "10000"),
        ("maxmemory", "0"),
        ("maxmemory-policy", "noeviction"),
        ("maxmemory-samples", "5"),
        ("notify-keyspace-events", ""),
        ("pidfile", ""),
        ("port", "6379"),
        ("protected-mode", "yes"),
        ("proto-max-bulk-len", "536870912"),
        ("rdbchecksum", "yes"),
        ("rdbcompression", "yes"),
        ("repl-backlog-size", "1048576"),
        ("replica-read-only", "yes"),
        ("replica-serve-stale-data", "yes"),
        ("requirepass", ""),
        ("sanitize-dump-payload", "no"),
        ("save", "3600 1 300 100 60 10000"),
        ("set-max-intset-entries", "512"),
        ("set-proc-title", "yes"),
        ("slave-read-only", "yes"),
        ("slave-serve-stale-data", "yes"),
        ("slowlog-log-slower-than", "10000"),
        ("slowlog-max-len", "128"),
        ("stop-writes-on-bgsave-error", "yes"),
        ("supervised", "no"),
        ("syslog-enabled", "no"),
        ("tcp-backlog", "511"),
        ("tcp-keepalive", "300"),
        ("timeout", "0"),
        ("unixsocket", ""),
        ("unixsocketperm", "0"),
        ("zset-max-listpack-entries", "128"),
        ("zset-max-listpack-value", "64"),
        ("zset-max-ziplist-entries", "128"),
        ("zset-max-ziplist-value", "64"),
    ];

    #[test]
    fn every_default_prints_exactly_as_redis_prints_it() {
        let c = Config::default();
        for &(name, want) in REDIS_DEFAULTS {
            assert_eq!(c.get(name).as_deref(), Some(want), "{name}");
        }
        let cwd = std::env::current_dir().unwrap().display().to_string();
        assert_eq!(c.get("dir"), Some(cwd));
        assert_eq!(c.get("event-backend").as_deref(), Some("auto"));
    }

    #[test]
    fn every_table_entry_is_checked_against_redis() {
        for d in DIRECTIVES {
            for entry in std::iter::once(d.name).chain(d.alias) {
                let known = REDIS_DEFAULTS.iter().any(|&(n, _)| n == entry);
                assert!(
                    known || entry == "dir" || entry == "event-backend",
                    "{entry} has no expected default"
                );
            }
        }
    }

    #[test]
    fn names_and_aliases_are_lowercase_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for d in DIRECTIVES {
            for entry in std::iter::once(d.name).chain(d.alias) {
                assert_eq!(entry, entry.to_ascii_lowercase());
                assert!(seen.insert(entry), "{entry} twice");
            }
        }
    }

    #[test]
    fn every_getter_output_is_accepted_by_its_setter() {
        // Invariant 3, checked on the defaults and on a changed config.
        let mut changed = Config::default();
        changed.set("notify-keyspace-events", &["nKA"]).unwrap();
        changed.set("save", &[""]).unwrap();
        changed.set("bind", &["127.0.0.1", "::1"]).unwrap();
        changed.set("unixsocketperm", &["0700"]).unwrap();
        for base in [Config::default(), changed] {
            for d in DIRECTIVES {
                let printed = (d.get)(&base);
                let mut c = base.clone();
                let args: Vec<&str> = if d.flags & MULTI_ARG != 0 {
                    if printed.is_empty() {
                        Vec::new()
                    } else {
                        printed.split(' ').collect()
                    }
                } else {
                    vec![printed.as_str()]
                };
                (d.set)(&mut c, &args, &mut LoadState::from_client())
                    .unwrap_or_else(|e| panic!("{}: {e}", d.name));
                assert_eq!((d.get)(&c), printed, "{}", d.name);
            }
        }
    }
}
