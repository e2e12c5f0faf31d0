//! Configuration: typed settings, redis.conf loading, CONFIG GET/SET/REWRITE.
//!
//! Chapter: chapters/05-config-and-info.md
//!
//! Every setting is a typed field of [`Config`], so the rest of the server
//! reads `config.hz` rather than looking strings up. The text side (names,
//! aliases, parsing, printing, mutability) lives in one table,
//! `directives::DIRECTIVES`, with one line per directive. Loading a file,
//! command-line flags, CONFIG SET, CONFIG GET and CONFIG REWRITE are all
//! loops over that table, so adding a directive is one field, one default
//! and one table line.
//!
//! ```text
//!   redis.conf text ──┐
//!   --name value ─────┼─> split_args ─> table: name -> set(&mut Config, args)
//!   CONFIG SET ───────┘                      │
//!                                            v
//!   CONFIG GET  <── get(&Config) -> String ── Config { port, hz, ... }
//!   CONFIG REWRITE <── format per kind (memory as "1gb", strings quoted)
//! ```
//!
//! Invariants:
//! 1. A field only ever holds a value its directive's parser accepted (or
//!    its default); setters validate everything before storing anything.
//! 2. `set_from_client` is all-or-nothing: on any error `self` is unchanged.
//! 3. For every directive, `get` prints exactly what Redis 7.0.15 prints for
//!    the same value (memory as plain bytes, booleans as yes/no, enums by
//!    name).
//! 4. A directive is found by its name or its alias, in any letter case.
//!
//! Not here: acting on a change (binding the new port, chdir for `dir`,
//! resizing the backlog) belongs to server/, which gets the changed names
//! back from `set_from_client`; INFO (server/).

mod directives;
mod load;
mod parse;
mod rewrite;
mod special;
mod types;

pub use directives::{lookup, Directive, DIRECTIVES, IMMUTABLE, MULTI_ARG, PROTECTED, SENSITIVE};
pub use parse::{format_memory, parse_memory, parse_strict_i64, repr, split_args};
pub use rewrite::SIGNATURE as REWRITE_SIGNATURE;
pub use special::{format_notify_flags, parse_notify_flags};

pub use types::{
    notify, AppendFsync, ClientClass, ConfigEnum, EventBackend, LogLevel, MaxmemoryPolicy,
    OutputBufferLimit, ProtectedAccess, SanitizeDumpPayload, SaveRule, Supervised,
};

use std::fmt;
use std::path::PathBuf;

use directives::LoadState;

/// The Redis version whose configuration behaviour this module copies; it
/// appears in the fatal-error banner.
pub const REDIS_COMPAT_VERSION: &str = "7.0.15";

// ---------------------------------------------------------------------------
// The configuration
// ---------------------------------------------------------------------------

/// Every setting the server knows, typed. Field names are the directive
/// names with `-` turned into `_`; see `directives.rs` for each one's
/// range and mutability.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Absolute path of the file given on the command line, if any; the
    /// target of CONFIG REWRITE.
    pub config_file: Option<PathBuf>,

    // Network
    pub bind: Vec<String>,
    pub bind_source_addr: String,
    /// 0 means "no TCP listener".
    pub port: u16,
    pub tcp_backlog: u32,
    pub unixsocket: String,
    pub unixsocketperm: u32,
    /// Idle seconds before a client is closed; 0 never.
    pub timeout: u32,
    pub tcp_keepalive: u32,
    pub protected_mode: bool,

    // General
    pub daemonize: bool,
    pub supervised: Supervised,
    pub pidfile: String,
    pub loglevel: LogLevel,
    pub logfile: String,
    pub syslog_enabled: bool,
    pub databases: u32,
    pub always_show_logo: bool,
    pub set_proc_title: bool,
    pub event_backend: EventBackend,

    // Security
    pub requirepass: String,
    pub enable_protected_configs: ProtectedAccess,
    pub enable_debug_command: ProtectedAccess,
    pub enable_module_command: ProtectedAccess,

    // Clients
    pub maxclients: u32,
    pub proto_max_bulk_len: u64,
    pub client_query_buffer_limit: u64,
    /// Indexed by [`ClientClass`].
    pub client_output_buffer_limit: [OutputBufferLimit; 3],

    // Timers
    /// Background task frequency, already clamped to 1..=500 as Redis does.
    pub hz: u32,
    pub dynamic_hz: bool,
    /// Milliseconds a script may run before other clients get BUSY.
    pub busy_reply_threshold: u64,

    // Slow log and latency
    /// Microseconds; -1 disables the slow log, 0 logs every command.
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: u64,
    pub latency_monitor_threshold: u64,
    pub latency_tracking: bool,

    // Memory and eviction
    /// Bytes; 0 means no limit.
    pub maxmemory: u64,
    pub maxmemory_policy: MaxmemoryPolicy,
    pub maxmemory_samples: u32,
    pub lfu_log_factor: u32,
    pub lfu_decay_time: u32,
    pub active_expire_effort: u32,
    pub activerehashing: bool,
    pub lazyfree_lazy_eviction: bool,
    pub lazyfree_lazy_expire: bool,
    pub lazyfree_lazy_server_del: bool,
    pub lazyfree_lazy_user_del: bool,
    pub lazyfree_lazy_user_flush: bool,

    // Persistence
    pub save: Vec<SaveRule>,
    /// Working directory as last set. The server does the chdir; it should
    /// store the resulting absolute path back here, as Redis reports the
    /// real working directory.
    pub dir: String,
    pub dbfilename: String,
    pub rdbcompression: bool,
    pub rdbchecksum: bool,
    pub stop_writes_on_bgsave_error: bool,
    /// Accepted for compatibility: loading always validates deeply.
    pub sanitize_dump_payload: SanitizeDumpPayload,
    pub appendonly: bool,
    pub appendfilename: String,
    pub appenddirname: String,
    pub appendfsync: AppendFsync,
    pub no_appendfsync_on_rewrite: bool,
    pub auto_aof_rewrite_percentage: u64,
    pub auto_aof_rewrite_min_size: u64,
    pub aof_load_truncated: bool,
    pub aof_use_rdb_preamble: bool,
    pub aof_timestamp_enabled: bool,
    pub aof_rewrite_incremental_fsync: bool,

    // Threads
    pub io_threads: u32,
    pub io_threads_do_reads: bool,

    // Keyspace notifications
    /// Bits from [`notify`]. Kept as bits, not letters: Redis prints `nA`
    /// as "A" yet still delivers `n` events, so the letters as printed lose
    /// information.
    pub notify_keyspace_events: u32,

    // Encodings
    pub list_max_listpack_size: i32,
    pub list_compress_depth: u32,
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub set_max_intset_entries: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,

    // Replication and cluster
    pub replica_read_only: bool,
    pub replica_serve_stale_data: bool,
    pub repl_backlog_size: u64,
    pub masterauth: String,
    pub masteruser: String,
    pub cluster_enabled: bool,
}

// ANCHOR: defaults
impl Default for Config {
    /// Redis 7.0.15's built-in defaults (what `CONFIG GET *` shows for a
    /// server started with no file and no flags).
    fn default() -> Config {
        const MB: u64 = 1024 * 1024;
        Config {
            config_file: None,
            // Deliberately not Redis's built-in "* -::*" (every interface):
            // a server started with no configuration listens on loopback
            // only, as the stock redis.conf does. See the chapter.
            bind: vec!["127.0.0.1".to_string(), "-::1".to_string()],
            bind_source_addr: String::new(),
            port: 6379,
            tcp_backlog: 511,
            unixsocket: String::new(),
            unixsocketperm: 0,
            timeout: 0,
            tcp_keepalive: 300,
            protected_mode: true,
            daemonize: false,
            supervised: Supervised::No,
            pidfile: String::new(),
            loglevel: LogLevel::Notice,
            logfile: String::new(),
            syslog_enabled: false,
            databases: 16,
            always_show_logo: false,
            set_proc_title: true,
            event_backend: EventBackend::Auto,
            requirepass: String::new(),
            enable_protected_configs: ProtectedAccess::No,
            enable_debug_command: ProtectedAccess::No,
            enable_module_command: ProtectedAccess::No,
            maxclients: 10_000,
            proto_max_bulk_len: 512 * MB,
            client_query_buffer_limit: 1024 * MB,
            client_output_buffer_limit: [
                OutputBufferLimit {
                    hard: 0,
                    soft: 0,
                    soft_seconds: 0,
                },
                OutputBufferLimit {
                    hard: 256 * MB,
                    soft: 64 * MB,
                    soft_seconds: 60,
                },
                OutputBufferLimit {
                    hard: 32 * MB,
                    soft: 8 * MB,
                    soft_seconds: 60,
                },
            ],
            hz: 10,
            dynamic_hz: true,
            busy_reply_threshold: 5000,
            slowlog_log_slower_than: 10_000,
            slowlog_max_len: 128,
            latency_monitor_threshold: 0,
            latency_tracking: true,
            maxmemory: 0,
            maxmemory_policy: MaxmemoryPolicy::NoEviction,
            maxmemory_samples: 5,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            active_expire_effort: 1,
            activerehashing: true,
            lazyfree_lazy_eviction: false,
            lazyfree_lazy_expire: false,
            lazyfree_lazy_server_del: false,
            lazyfree_lazy_user_del: false,
            lazyfree_lazy_user_flush: false,
            save: vec![
                SaveRule {
                    seconds: 3600,
                    changes: 1,
                },
                SaveRule {
                    seconds: 300,
                    changes: 100,
                },
                SaveRule {
                    seconds: 60,
                    changes: 10_000,
                },
            ],
            // Redis reports its working directory; at startup that is ours.
            dir: std::env::current_dir()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| ".".to_string()),
            dbfilename: "dump.rdb".to_string(),
            rdbcompression: true,
            rdbchecksum: true,
            stop_writes_on_bgsave_error: true,
            sanitize_dump_payload: SanitizeDumpPayload::No,
            appendonly: false,
            appendfilename: "appendonly.aof".to_string(),
            appenddirname: "appendonlydir".to_string(),
            appendfsync: AppendFsync::EverySec,
            no_appendfsync_on_rewrite: false,
            auto_aof_rewrite_percentage: 100,
            auto_aof_rewrite_min_size: 64 * 1024 * 1024,
            aof_load_truncated: true,
            aof_use_rdb_preamble: true,
            aof_timestamp_enabled: false,
            aof_rewrite_incremental_fsync: true,
            io_threads: 1,
            io_threads_do_reads: false,
            notify_keyspace_events: 0,
            list_max_listpack_size: -2,
            list_compress_depth: 0,
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            replica_read_only: true,
            replica_serve_stale_data: true,
            repl_backlog_size: MB,
            masterauth: String::new(),
            masteruser: String::new(),
            cluster_enabled: false,
        }
    }
}
// ANCHOR_END: defaults

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Why the configuration could not be loaded. `Display` prints Redis's own
/// wording, so scripts that grep for it keep working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// A line was rejected; `line` counts from 1 within `source` (the file,
    /// or the text built from the command line after the file's text).
    BadLine {
        source: String,
        line: usize,
        text: String,
        reason: String,
    },
    /// A file (the main one or an `include`) could not be read.
    Open { path: String, reason: String },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::BadLine {
                line, text, reason, ..
            } => write!(
                f,
                "\n*** FATAL CONFIG FILE ERROR (Redis {REDIS_COMPAT_VERSION}) ***\n\
                 Reading the configuration file, at line {line}\n>>> '{text}'\n{reason}"
            ),
            ConfigError::Open { path, reason } => {
                write!(f, "Fatal error, can't open config file '{path}': {reason}")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// An I/O error as C's `strerror` words it ("No such file or directory"),
/// without Rust's " (os error 2)" suffix.
fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(cut) => s[..cut].to_string(),
        None => s,
    }
}

// ---------------------------------------------------------------------------
// CONFIG SET and CONFIG GET
// ---------------------------------------------------------------------------

impl Config {
    /// CONFIG SET from a client that is not known to be local; see
    /// [`Config::set_from_client_with`].
    pub fn set_from_client(
        &mut self,
        pairs: &[(&[u8], &[u8])],
    ) -> Result<Vec<&'static str>, String> {
        self.set_from_client_with(pairs, false)
    }

    // ANCHOR: set_from_client
    /// CONFIG SET with one or more `(name, value)` pairs, all or nothing.
    ///
    /// Returns the canonical names that were set, so the server can apply
    /// side effects (listen on a new port, chdir, ...). Error strings are
    /// complete replies without the leading `-`, e.g.
    /// `ERR CONFIG SET failed (possibly related to argument 'hz') - ...`.
    /// `client_is_local` decides whether `enable-protected-configs local`
    /// lets this client change `dir` and `dbfilename`.
    ///
    /// Two passes, as in Redis. The first checks names only: unknown,
    /// immutable, protected, or given twice. The second parses the values
    /// into a copy of the configuration, which replaces `self` only if every
    /// value parsed (invariant 2).
    pub fn set_from_client_with(
        &mut self,
        pairs: &[(&[u8], &[u8])],
        client_is_local: bool,
    ) -> Result<Vec<&'static str>, String> {
        let protected_ok = match self.enable_protected_configs {
            ProtectedAccess::Yes => true,
            ProtectedAccess::Local => client_is_local,
            ProtectedAccess::No => false,
        };
        let mut targets: Vec<(&'static Directive, &'static str)> = Vec::with_capacity(pairs.len());
        for (name, _) in pairs {
            let shown = String::from_utf8_lossy(name);
            let found = std::str::from_utf8(name).ok().and_then(lookup);
            let Some((directive, via_alias)) = found else {
                return Err(format!(
                    "ERR Unknown option or number of arguments for CONFIG SET - '{shown}'"
                ));
            };
            let failed = |why: &str| {
                format!("ERR CONFIG SET failed (possibly related to argument '{shown}') - {why}")
            };
            if directive.flags & IMMUTABLE != 0 {
                return Err(failed("can't set immutable config"));
            }
            if directive.flags & PROTECTED != 0 && !protected_ok {
                return Err(failed("can't set protected config"));
            }
            // Redis keeps an alias as a separate table entry, so naming a
            // directive and its alias in one call is not a duplicate.
            let entry = if via_alias {
                directive.alias.unwrap_or(directive.name)
            } else {
                directive.name
            };
            if targets
                .iter()
                .any(|&(d, e)| std::ptr::eq(d, directive) && e == entry)
            {
                return Err(failed("duplicate parameter"));
            }
            targets.push((directive, entry));
        }

        let mut next = self.clone();
        let mut state = LoadState::from_client();
        let mut changed: Vec<&'static str> = Vec::new();
        for (&(directive, entry), (_, value)) in targets.iter().zip(pairs) {
            let value = String::from_utf8_lossy(value);
            // Multi-argument values arrive as one string split on single
            // spaces, so "a  b" holds an empty argument, as in Redis.
            let args: Vec<&str> = if directive.flags & MULTI_ARG != 0 {
                if value.is_empty() {
                    Vec::new()
                } else {
                    value.split(' ').collect()
                }
            } else {
                vec![&value]
            };
            if let Err(why) = (directive.set)(&mut next, &args, &mut state) {
                return Err(format!(
                    "ERR CONFIG SET failed (possibly related to argument '{entry}') - {why}"
                ));
            }
            if !changed.contains(&directive.name) {
                changed.push(directive.name);
            }
        }
        *self = next;
        Ok(changed)
    }
    // ANCHOR_END: set_from_client

    /// The value of one directive as CONFIG GET prints it; `name` may be an
    /// alias, in any case.
    pub fn get(&self, name: &str) -> Option<String> {
        lookup(name).map(|(d, _)| (d.get)(self))
    }

    /// Every directive name or alias matching the glob `pattern`
    /// (case-insensitive), in table order, with its value. A directive
    /// matched by both its name and its alias appears under both, as in
    /// Redis 7.0.
    pub fn get_matching(&self, pattern: &[u8]) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for d in DIRECTIVES {
            for entry in std::iter::once(d.name).chain(d.alias) {
                if crate::ds::glob::glob_match(pattern, entry.as_bytes(), true) {
                    out.push((entry, (d.get)(self)));
                }
            }
        }
        out
    }

    /// The full CONFIG GET reply: name/value pairs for several patterns.
    ///
    /// Redis 7.0 details kept: a pattern without `*`, `?` or `[` is looked
    /// up directly and answered under the name exactly as the client wrote
    /// it (`CONFIG GET HZ` answers "HZ"); names are reported once even when
    /// several patterns match them, comparing case-insensitively.
    pub fn config_get(&self, patterns: &[&[u8]]) -> Vec<(Vec<u8>, String)> {
        let mut out: Vec<(Vec<u8>, String)> = Vec::new();
        let mut push = |name: &[u8], value: String| {
            if !out.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
                out.push((name.to_vec(), value));
            }
        };
        for &pattern in patterns {
            if pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
                for (name, value) in self.get_matching(pattern) {
                    push(name.as_bytes(), value);
                }
            } else if let Some(value) = std::str::from_utf8(pattern).ok().and_then(|n| self.get(n))
            {
                push(pattern, value);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_set_is_all_or_nothing() {
        let mut c = Config::default();
        let before = c.clone();
        let err = c
            .set_from_client(&[(b"hz", b"50"), (b"maxmemory", b"bad")])
            .unwrap_err();
        assert_eq!(
            err,
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"
        );
        assert_eq!(c, before);
        let changed = c
            .set_from_client(&[(b"hz", b"50"), (b"maxmemory", b"1mb")])
            .unwrap();
        assert_eq!(changed, ["hz", "maxmemory"]);
        assert_eq!((c.hz, c.maxmemory), (50, 1 << 20));
    }

    #[test]
    fn config_set_error_strings_match_redis() {
        let mut c = Config::default();
        let mut set = |pairs: &[(&[u8], &[u8])]| c.set_from_client(pairs).unwrap_err();
        assert_eq!(
            set(&[(b"foo", b"bar")]),
            "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
        );
        assert_eq!(
            set(&[(b"hz", b"abc")]),
            "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer"
        );
        // Name checks come first, so an unknown name wins over a bad value
        // earlier in the list.
        assert_eq!(
            set(&[(b"hz", b"abc"), (b"foo", b"bar")]),
            "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
        );
        assert_eq!(
            set(&[(b"DATABASES", b"3")]),
            "ERR CONFIG SET failed (possibly related to argument 'DATABASES') - can't set immutable config"
        );
        assert_eq!(
            set(&[(b"hz", b"10"), (b"HZ", b"11")]),
            "ERR CONFIG SET failed (possibly related to argument 'HZ') - duplicate parameter"
        );
        // A value error names the directive in lowercase, by the name used.
        assert_eq!(
            set(&[(b"HZ", b"x")]),
            "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer"
        );
        assert_eq!(
            set(&[(b"slave-read-only", b"maybe")]),
            "ERR CONFIG SET failed (possibly related to argument 'slave-read-only') - argument must be 'yes' or 'no'"
        );
        assert_eq!(
            set(&[(b"dir", b"/tmp")]),
            "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"
        );
        assert_eq!(
            set(&[(b"event-backend", b"epoll")]),
            "ERR CONFIG SET failed (possibly related to argument 'event-backend') - can't set immutable config"
        );
        assert_eq!(
            set(&[(b"save", b"100  5")]),
            "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"
        );
    }

    #[test]
    fn a_directive_and_its_alias_in_one_call_are_not_duplicates_and_the_last_wins() {
        let mut c = Config::default();
        c.set_from_client(&[
            (b"hash-max-ziplist-entries", b"600"),
            (b"hash-max-listpack-entries", b"700"),
        ])
        .unwrap();
        assert_eq!(c.hash_max_listpack_entries, 700);
    }

    #[test]
    fn protected_configs_follow_enable_protected_configs() {
        let tmp = std::env::temp_dir().display().to_string();
        let mut c = Config::default();
        c.set("enable-protected-configs", &["local"]).unwrap();
        assert!(c
            .set_from_client_with(&[(b"dir", tmp.as_bytes())], false)
            .is_err());
        assert_eq!(
            c.set_from_client_with(&[(b"dir", tmp.as_bytes())], true)
                .unwrap(),
            ["dir"]
        );
        assert_eq!(c.dir, tmp);
        c.set("enable-protected-configs", &["yes"]).unwrap();
        c.set_from_client(&[(b"dbfilename", b"x.rdb")]).unwrap();
        assert_eq!(c.dbfilename, "x.rdb");
    }

    #[test]
    fn config_set_splits_multi_argument_values_on_spaces() {
        let mut c = Config::default();
        c.set_from_client(&[(b"save", b"")]).unwrap();
        assert!(c.save.is_empty());
        c.set_from_client(&[(b"save", b"100 0")]).unwrap();
        assert_eq!(
            c.save,
            [SaveRule {
                seconds: 100,
                changes: 0
            }]
        );
        c.set_from_client(&[(b"client-output-buffer-limit", b"pubsub 1 2 3")])
            .unwrap();
        assert_eq!(
            c.get("client-output-buffer-limit").unwrap(),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 1 2 3"
        );
    }

    #[test]
    fn get_matching_uses_case_insensitive_globs_and_lists_aliases() {
        let c = Config::default();
        let names = |p: &[u8]| {
            c.get_matching(p)
                .into_iter()
                .map(|(n, _)| n)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(b"*ziplist*"),
            [
                "list-max-ziplist-size",
                "hash-max-ziplist-entries",
                "hash-max-ziplist-value",
                "zset-max-ziplist-entries",
                "zset-max-ziplist-value"
            ]
        );
        assert_eq!(names(b"SLAVE-READ*"), ["slave-read-only"]);
        assert_eq!(names(b"replica-read-only"), ["replica-read-only"]);
        assert_eq!(names(b"b[i]nd"), ["bind"]);
        assert_eq!(
            names(b"maxmemory-*"),
            ["maxmemory-policy", "maxmemory-samples"]
        );
        assert!(names(b"nosuch*").is_empty());
        let all = c.get_matching(b"*");
        assert_eq!(
            all.len(),
            DIRECTIVES.len() + DIRECTIVES.iter().filter(|d| d.alias.is_some()).count()
        );
    }

    #[test]
    fn config_get_echoes_exact_names_and_reports_each_name_once() {
        let c = Config::default();
        let got = c.config_get(&[b"HZ", b"hz", b"h?"]);
        assert_eq!(got, [(b"HZ".to_vec(), "10".to_string())]);
        let got = c.config_get(&[b"slave-read-only", b"replica-read-only", b"*read-only"]);
        let names: Vec<&[u8]> = got.iter().map(|(n, _)| n.as_slice()).collect();
        assert_eq!(names, [&b"slave-read-only"[..], b"replica-read-only"]);
        assert!(c.config_get(&[b"por\\t"]).is_empty());
    }
}
