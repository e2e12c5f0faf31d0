//! The command table: every command's name, arity, flags, key positions
//! and ACL categories, and the function that runs it.
//!
//! Chapter: chapters/04-commands.md
//!
//! A command is a thin function `fn(&mut Ctx, &[Vec<u8>]) -> Reply`: it
//! parses its arguments, calls into the keyspace or data structures, and
//! returns a reply value. It never writes to a socket; `server/` encodes the
//! reply for the client's protocol version. That is what lets the same
//! function serve a TCP client, a replica link or the AOF loader later.
//!
//! Invariants:
//! 1. `argv[0]` is the command name as the client sent it; `argv.len()`
//!    already satisfies the arity when a handler runs (dispatch checks).
//! 2. Every command and subcommand has a unique `id`, its index in
//!    `CommandTable::all`; per-command statistics are indexed by it.
//! 3. Key positions (`first_key`, `last_key`, `step`) are exact for every
//!    command with keys: COMMAND GETKEYS, cluster routing and ACL key
//!    patterns rely on them.
//!
//! Not here: deciding whether a command may run (auth, arity: see
//! `server/dispatch.rs`), encoding replies (`resp/`).

pub mod bitmap;
pub mod client;
pub mod command;
pub mod config;
pub mod connection;
pub mod debug;
pub mod dump;
pub mod hash;
pub mod keys;
pub mod list;
pub mod multi;
pub mod persistence;
pub mod pubsub;
pub mod server;
pub mod set;
pub mod sort;
pub mod string;
pub mod zset;

use crate::ds::dict::Dict;
use crate::resp::Reply;
use crate::server::Ctx;

pub type CommandFn = fn(&mut Ctx, &[Vec<u8>]) -> Reply;

// ANCHOR: flags
/// Command flags, with the names COMMAND INFO prints.
pub mod flag {
    pub const WRITE: u32 = 1 << 0; // changes the dataset
    pub const READONLY: u32 = 1 << 1; // reads keys, never changes them
    pub const DENYOOM: u32 = 1 << 2; // may grow memory: refused over maxmemory
    pub const ADMIN: u32 = 1 << 3; // server administration
    pub const PUBSUB: u32 = 1 << 4; // pub/sub related
    pub const NOSCRIPT: u32 = 1 << 5; // not allowed from scripts
    pub const BLOCKING: u32 = 1 << 6; // may block the client
    pub const LOADING: u32 = 1 << 7; // allowed while loading the dataset
    pub const STALE: u32 = 1 << 8; // allowed on a replica with stale data
    pub const SKIP_MONITOR: u32 = 1 << 9; // not shown to MONITOR clients
    pub const SKIP_SLOWLOG: u32 = 1 << 10; // never logged in SLOWLOG
    pub const FAST: u32 = 1 << 11; // O(1) or O(log N): never slow
    pub const NO_AUTH: u32 = 1 << 12; // allowed before AUTH
    pub const MAY_REPLICATE: u32 = 1 << 13; // may propagate though not a write
    pub const SENTINEL: u32 = 1 << 14; // also available in sentinel mode
    pub const NO_MANDATORY_KEYS: u32 = 1 << 15; // key arguments may be absent
    pub const NO_MULTI: u32 = 1 << 16; // refused inside MULTI
    pub const MOVABLE_KEYS: u32 = 1 << 17; // key positions depend on arguments
    pub const ALLOW_BUSY: u32 = 1 << 18; // allowed while a script is busy
    pub const NO_ASYNC_LOADING: u32 = 1 << 19; // refused while loading in the background

    pub const NAMES: [(u32, &str); 20] = [
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (MAY_REPLICATE, "may_replicate"),
        (SENTINEL, "sentinel"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// ACL categories. Some are implied by flags (see `Command::acl_categories`).
pub mod acl {
    pub const KEYSPACE: u32 = 1 << 0;
    pub const READ: u32 = 1 << 1;
    pub const WRITE: u32 = 1 << 2;
    pub const SET: u32 = 1 << 3;
    pub const SORTEDSET: u32 = 1 << 4;
    pub const LIST: u32 = 1 << 5;
    pub const HASH: u32 = 1 << 6;
    pub const STRING: u32 = 1 << 7;
    pub const BITMAP: u32 = 1 << 8;
    pub const HYPERLOGLOG: u32 = 1 << 9;
    pub const GEO: u32 = 1 << 10;
    pub const STREAM: u32 = 1 << 11;
    pub const PUBSUB: u32 = 1 << 12;
    pub const ADMIN: u32 = 1 << 13;
    pub const FAST: u32 = 1 << 14;
    pub const SLOW: u32 = 1 << 15;
    pub const BLOCKING: u32 = 1 << 16;
    pub const DANGEROUS: u32 = 1 << 17;
    pub const CONNECTION: u32 = 1 << 18;
    pub const TRANSACTION: u32 = 1 << 19;
    pub const SCRIPTING: u32 = 1 << 20;

    pub const NAMES: [(u32, &str); 21] = [
        (KEYSPACE, "keyspace"),
        (READ, "read"),
        (WRITE, "write"),
        (SET, "set"),
        (SORTEDSET, "sortedset"),
        (LIST, "list"),
        (HASH, "hash"),
        (STRING, "string"),
        (BITMAP, "bitmap"),
        (HYPERLOGLOG, "hyperloglog"),
        (GEO, "geo"),
        (STREAM, "stream"),
        (PUBSUB, "pubsub"),
        (ADMIN, "admin"),
        (FAST, "fast"),
        (SLOW, "slow"),
        (BLOCKING, "blocking"),
        (DANGEROUS, "dangerous"),
        (CONNECTION, "connection"),
        (TRANSACTION, "transaction"),
        (SCRIPTING, "scripting"),
    ];
}
// ANCHOR_END: flags

// ANCHOR: command
/// One entry of the command table. Built with `Command::new` and the
/// chained `const fn` setters below, so each table line reads like a
/// sentence: `Command::new("get", string::get, 2, READONLY | FAST).keys(1, 1, 1)`.
pub struct Command {
    /// Lowercase name; for a subcommand only the part after the `|`.
    pub name: &'static str,
    pub handler: CommandFn,
    /// N > 0: exactly N arguments (name included); -N: at least N.
    pub arity: i32,
    pub flags: u32,
    /// Categories beyond those implied by `flags`.
    pub acl: u32,
    /// 1-based positions; `last_key` -1 means "the last argument".
    pub first_key: i32,
    pub last_key: i32,
    pub step: i32,
    pub group: &'static str,
    pub since: &'static str,
    pub summary: &'static str,
    pub complexity: &'static str,
    /// Argument syntax for COMMAND DOCS, in the notation of Redis's docs:
    /// `key value [NX|XX] [GET]`. See `command::parse_syntax`.
    pub syntax: &'static str,
    pub subcommands: &'static [Command],
}
// ANCHOR_END: command

impl Command {
    pub const fn new(name: &'static str, handler: CommandFn, arity: i32, flags: u32) -> Command {
        Command {
            name,
            handler,
            arity,
            flags,
            acl: 0,
            first_key: 0,
            last_key: 0,
            step: 0,
            group: "generic",
            since: "1.0.0",
            summary: "",
            complexity: "",
            syntax: "",
            subcommands: &[],
        }
    }
    pub const fn keys(self, first_key: i32, last_key: i32, step: i32) -> Command {
        Command {
            first_key,
            last_key,
            step,
            ..self
        }
    }
    pub const fn acl(self, acl: u32) -> Command {
        Command { acl, ..self }
    }
    pub const fn doc(
        self,
        group: &'static str,
        since: &'static str,
        complexity: &'static str,
        summary: &'static str,
    ) -> Command {
        Command {
            group,
            since,
            complexity,
            summary,
            ..self
        }
    }
    pub const fn syntax(self, syntax: &'static str) -> Command {
        Command { syntax, ..self }
    }
    pub const fn subs(self, subcommands: &'static [Command]) -> Command {
        Command {
            subcommands,
            ..self
        }
    }

    pub fn has(&self, f: u32) -> bool {
        self.flags & f != 0
    }

    /// The categories COMMAND INFO prints: explicit ones plus those Redis
    /// derives from flags (write → @write, readonly → @read, admin →
    /// @admin @dangerous, fast → @fast, otherwise @slow, ...).
    pub fn acl_categories(&self) -> u32 {
        let mut c = self.acl;
        if self.has(flag::WRITE) {
            c |= acl::WRITE;
        }
        if self.has(flag::READONLY) && self.acl & acl::SCRIPTING == 0 {
            c |= acl::READ;
        }
        if self.has(flag::ADMIN) {
            c |= acl::ADMIN | acl::DANGEROUS;
        }
        if self.has(flag::PUBSUB) {
            c |= acl::PUBSUB;
        }
        if self.has(flag::FAST) {
            c |= acl::FAST;
        }
        if self.has(flag::BLOCKING) {
            c |= acl::BLOCKING;
        }
        if c & acl::FAST == 0 {
            c |= acl::SLOW;
        }
        c
    }

    /// Does `argc` (name included) satisfy the arity?
    pub fn arity_ok(&self, argc: usize) -> bool {
        let a = self.arity;
        (a > 0 && argc == a as usize) || (a < 0 && argc >= (-a) as usize)
    }
}

/// Every top-level command, grouped by file. Order here is the order of
/// `COMMAND LIST`'s first page; ids follow it (invariant 2).
pub fn table() -> Vec<&'static Command> {
    let groups: [&'static [Command]; 18] = [
        connection::COMMANDS,
        client::COMMANDS,
        server::COMMANDS,
        config::COMMANDS,
        command::COMMANDS,
        debug::COMMANDS,
        keys::COMMANDS,
        dump::COMMANDS,
        string::COMMANDS,
        bitmap::COMMANDS,
        list::COMMANDS,
        sort::COMMANDS,
        hash::COMMANDS,
        set::COMMANDS,
        zset::COMMANDS,
        multi::COMMANDS,
        pubsub::COMMANDS,
        persistence::COMMANDS,
    ];
    groups.iter().flat_map(|g| g.iter()).collect()
}

/// The *SCAN loop shared by SCAN, HSCAN and SSCAN: visit buckets from
/// `cursor` until `count` items were emitted, the scan wrapped to 0, or
/// 10 x `count` buckets were visited (Redis's bound, so a sparse table
/// cannot make one call walk the whole table). `visit` returns how many
/// items it emitted for an entry. Returns the next cursor.
pub fn scan_dict<K: crate::ds::dict::DictKey, V>(
    d: &Dict<K, V>,
    mut cursor: u64,
    count: usize,
    mut visit: impl FnMut(&K, &V) -> usize,
) -> u64 {
    let (mut found, mut visits) = (0, 0);
    loop {
        cursor = d.scan(cursor, |k, v| found += visit(k, v));
        visits += 1;
        if cursor == 0 || found >= count || visits >= count * 10 {
            return cursor;
        }
    }
}

/// A resolved command: its table entry and its id (invariant 2).
#[derive(Clone, Copy)]
pub struct Resolved {
    pub cmd: &'static Command,
    pub id: usize,
    /// The parent's entry when `cmd` is a subcommand.
    pub parent: Option<&'static Command>,
}

impl Resolved {
    /// "get", or "client|list" for a subcommand (INFO commandstats, errors).
    pub fn full_name(&self) -> String {
        match self.parent {
            Some(p) => format!("{}|{}", p.name, self.cmd.name),
            None => self.cmd.name.to_string(),
        }
    }
}

// ANCHOR: lookup
/// Name → command, on the project's own dict. Names are matched without
/// regard to case by lowercasing into a small stack buffer first, so the
/// hot path allocates nothing.
pub struct CommandTable {
    by_name: Dict<Vec<u8>, usize>,
    /// Every command and subcommand, indexed by id.
    pub all: Vec<Resolved>,
    /// For each top-level id: ids of its subcommands by lowercase name.
    subs: Vec<Option<Dict<Vec<u8>, usize>>>,
}

const MAX_NAME: usize = 64; // longer than any command or subcommand name

impl CommandTable {
    pub fn new() -> CommandTable {
        let mut t = CommandTable {
            by_name: Dict::new(),
            all: Vec::new(),
            subs: Vec::new(),
        };
        for cmd in table() {
            let id = t.push(cmd, None);
            t.by_name.insert(cmd.name.as_bytes().to_vec(), id);
            if !cmd.subcommands.is_empty() {
                let mut d = Dict::new();
                for sub in cmd.subcommands {
                    let sid = t.push(sub, Some(cmd));
                    d.insert(sub.name.as_bytes().to_vec(), sid);
                }
                t.subs[id] = Some(d);
            }
        }
        t
    }

    fn push(&mut self, cmd: &'static Command, parent: Option<&'static Command>) -> usize {
        let id = self.all.len();
        self.all.push(Resolved { cmd, id, parent });
        self.subs.push(None);
        id
    }

    /// Top-level lookup by name, any case.
    pub fn get(&self, name: &[u8]) -> Option<Resolved> {
        let mut buf = [0u8; MAX_NAME];
        let lower = lowercase_into(name, &mut buf)?;
        self.by_name.get(lower).map(|&id| self.all[id])
    }

    /// Subcommand lookup within a container command (CLIENT, CONFIG, ...).
    pub fn get_sub(&self, parent: &Resolved, name: &[u8]) -> Option<Resolved> {
        let mut buf = [0u8; MAX_NAME];
        let lower = lowercase_into(name, &mut buf)?;
        let subs = self.subs.get(parent.id)?.as_ref()?;
        subs.get(lower).map(|&id| self.all[id])
    }

    /// Finds "get" or "config|get"-style names (COMMAND INFO, DOCS).
    pub fn get_full(&self, name: &[u8]) -> Option<Resolved> {
        match name.iter().position(|&b| b == b'|') {
            Some(bar) => {
                let parent = self.get(&name[..bar])?;
                self.get_sub(&parent, &name[bar + 1..])
            }
            None => self.get(name),
        }
    }

    pub fn top_level(&self) -> impl Iterator<Item = &Resolved> {
        self.all.iter().filter(|r| r.parent.is_none())
    }
}
// ANCHOR_END: lookup

impl Default for CommandTable {
    fn default() -> Self {
        Self::new()
    }
}

fn lowercase_into<'b>(name: &[u8], buf: &'b mut [u8; MAX_NAME]) -> Option<&'b [u8]> {
    if name.len() > MAX_NAME {
        return None;
    }
    let out = &mut buf[..name.len()];
    for (o, &b) in out.iter_mut().zip(name) {
        *o = b.to_ascii_lowercase();
    }
    Some(out)
}

// ---------------------------------------------------------------------------
// Argument helpers shared by the command files.
// ---------------------------------------------------------------------------

/// Redis's strict integer parsing (string2ll); see `ds/strconv.rs`.
pub use crate::ds::strconv::parse_i64;

pub const ERR_NOT_INTEGER: &str = "ERR value is not an integer or out of range";
pub const ERR_SYNTAX: &str = "ERR syntax error";

/// An i64 argument or Redis's standard error reply.
pub fn arg_i64(s: &[u8]) -> Result<i64, Reply> {
    parse_i64(s).ok_or_else(|| Reply::error(ERR_NOT_INTEGER))
}

/// Case-insensitive comparison of an argument with a keyword.
pub fn eq_ic(arg: &[u8], keyword: &str) -> bool {
    arg.eq_ignore_ascii_case(keyword.as_bytes())
}

/// `ERR unknown subcommand 'x'. Try CLIENT HELP.`
pub fn unknown_subcommand(argv: &[Vec<u8>]) -> Reply {
    let sub = argv
        .get(1)
        .map(|a| String::from_utf8_lossy(a))
        .unwrap_or_default();
    let parent = String::from_utf8_lossy(&argv[0]).to_uppercase();
    Reply::error(format!(
        "ERR unknown subcommand '{}'. Try {} HELP.",
        truncate_for_error(&sub),
        parent
    ))
}

/// Redis quotes at most 128 bytes of a client's argument in an error.
pub fn truncate_for_error(s: &str) -> String {
    s.chars().take(128).collect()
}

/// The reply to `X HELP`: an array of status lines.
pub fn help_reply(name: &str, lines: &[&str]) -> Reply {
    let mut out = vec![Reply::simple(format!(
        "{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        name
    ))];
    out.extend(lines.iter().map(|l| Reply::simple(l.to_string())));
    out.push(Reply::simple("HELP"));
    out.push(Reply::simple("    Prints this help."));
    Reply::Array(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_and_subcommand_name_is_unique_and_lowercase() {
        let t = CommandTable::new();
        let mut seen = std::collections::HashSet::new();
        for r in &t.all {
            assert_eq!(r.cmd.name, r.cmd.name.to_lowercase());
            assert!(seen.insert(r.full_name()), "duplicate {}", r.full_name());
        }
    }

    #[test]
    fn lookup_ignores_case_and_finds_subcommands() {
        let t = CommandTable::new();
        let get = t.get(b"GeT").expect("get exists");
        assert_eq!(get.cmd.name, "get");
        let client = t.get(b"CLIENT").expect("client exists");
        let list = t.get_sub(&client, b"List").expect("client list exists");
        assert_eq!(list.full_name(), "client|list");
        assert!(t.get_full(b"config|get").is_some());
    }

    #[test]
    fn commands_with_keys_have_consistent_key_positions() {
        let t = CommandTable::new();
        for r in &t.all {
            let c = r.cmd;
            if c.first_key > 0 {
                assert!(c.step > 0, "{}", r.full_name());
                assert!(c.last_key < 0 || c.last_key >= c.first_key);
            }
        }
    }
}
