//! Value types of the configuration: enums by name, save rules, buffer
//! limits, notification bits.
//!
//! Chapter: chapters/05-config-and-info.md
//!
//! Each type is what a directive's value means to the rest of the server,
//! so code matches on `MaxmemoryPolicy::AllkeysLru` instead of comparing
//! strings. An enum's names live next to its variants, in the order Redis
//! lists them in its "must be one of the following" message, so parsing,
//! printing and the error text all come from one list.
//!
//! Not here: which directive uses which type (directives.rs).

/// An enum-valued directive: its variants and their names, in the order
/// Redis lists them in "argument(s) must be one of the following: ...".
pub trait ConfigEnum: Copy + PartialEq + 'static {
    const NAMES: &'static [(&'static str, Self)];

    fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, v)| *v == self)
            .map_or("", |(n, _)| n)
    }

    /// Case-insensitive, as Redis compares enum names.
    fn from_name(s: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|(_, v)| *v)
    }
}

macro_rules! config_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($(#[$vm])* $variant),+ }
        impl ConfigEnum for $name {
            const NAMES: &'static [(&'static str, Self)] = &[$(($text, $name::$variant)),+];
        }
    };
}

config_enum! {
    /// `loglevel`: messages below the level are dropped. Ordered, so
    /// `level >= LogLevel::Notice` reads naturally.
    LogLevel { Debug = "debug", Verbose = "verbose", Notice = "notice", Warning = "warning" }
}
config_enum! {
    /// `supervised`: how to tell a service manager we are ready.
    Supervised { Upstart = "upstart", Systemd = "systemd", Auto = "auto", No = "no" }
}
config_enum! {
    /// `maxmemory-policy`: what to evict when `maxmemory` is reached.
    MaxmemoryPolicy {
        VolatileLru = "volatile-lru",
        VolatileLfu = "volatile-lfu",
        VolatileRandom = "volatile-random",
        VolatileTtl = "volatile-ttl",
        AllkeysLru = "allkeys-lru",
        AllkeysLfu = "allkeys-lfu",
        AllkeysRandom = "allkeys-random",
        NoEviction = "noeviction",
    }
}
config_enum! {
    /// `appendfsync`: when the append-only file is flushed to disk.
    AppendFsync { EverySec = "everysec", Always = "always", No = "no" }
}
config_enum! {
    /// `sanitize-dump-payload`: how deeply RESTORE payloads and RDB files
    /// are validated. oxidis always validates deeply (see
    /// chapters/20-rdb.md); the setting is kept for compatibility.
    SanitizeDumpPayload { No = "no", Yes = "yes", Clients = "clients" }
}
config_enum! {
    /// `enable-debug-command` and friends: `local` allows the action only to
    /// clients connected over loopback or a unix socket.
    ProtectedAccess { No = "no", Yes = "yes", Local = "local" }
}
config_enum! {
    /// `event-backend` (an oxidis addition, not in Redis): which readiness
    /// API the event loop uses. `auto` picks the best one the platform has.
    EventBackend { Auto = "auto", Epoll = "epoll", Kqueue = "kqueue", Select = "select" }
}

/// One `save <seconds> <changes>` rule: snapshot when at least `changes`
/// writes happened within `seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaveRule {
    pub seconds: u64,
    pub changes: u64,
}

/// The three client classes `client-output-buffer-limit` distinguishes;
/// the discriminant indexes `Config::client_output_buffer_limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientClass {
    Normal = 0,
    Replica = 1,
    PubSub = 2,
}

/// Output buffer limits for one client class. A client is dropped when its
/// pending output exceeds `hard`, or stays above `soft` for `soft_seconds`.
/// Zero disables a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputBufferLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_seconds: u64,
}

/// Keyspace notification classes (`notify-keyspace-events`), one bit each.
pub mod notify {
    pub const KEYSPACE: u32 = 1 << 0; // K: __keyspace@<db>__:<key> channel
    pub const KEYEVENT: u32 = 1 << 1; // E: __keyevent@<db>__:<event> channel
    pub const GENERIC: u32 = 1 << 2; // g: DEL, EXPIRE, RENAME, ...
    pub const STRING: u32 = 1 << 3; // $
    pub const LIST: u32 = 1 << 4; // l
    pub const SET: u32 = 1 << 5; // s
    pub const HASH: u32 = 1 << 6; // h
    pub const ZSET: u32 = 1 << 7; // z
    pub const EXPIRED: u32 = 1 << 8; // x
    pub const EVICTED: u32 = 1 << 9; // e
    pub const STREAM: u32 = 1 << 10; // t
    pub const KEY_MISS: u32 = 1 << 11; // m: not part of A
    pub const MODULE: u32 = 1 << 12; // d
    pub const NEW: u32 = 1 << 13; // n: not part of A
    /// `A`: every class except `m` and `n`.
    pub const ALL: u32 =
        GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;
}
