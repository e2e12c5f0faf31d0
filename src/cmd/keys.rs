//! Generic key commands: DEL, UNLINK, EXISTS, TYPE, KEYS, SCAN, RANDOMKEY,
//! RENAME, RENAMENX, COPY, MOVE, TOUCH, OBJECT, the EXPIRE family, TTL,
//! PTTL, EXPIRETIME, PEXPIRETIME, PERSIST.
//!
//! Chapter: chapters/10-keyspace.md
//!
//! These work on keys whatever their type, through the keyspace API of
//! `db/`; none of them looks inside a value except OBJECT.
//!
//! Invariants:
//! 1. A command that moves a value (RENAME, MOVE, COPY) moves its expiry
//!    with it.
//! 2. An expiry time in the past deletes the key at once, as Redis does.
//!
//! Not here: lazy and active expiry themselves (`db/`).

use super::flag::*;
use super::{acl, eq_ic, parse_i64, Command, ERR_NOT_INTEGER, ERR_SYNTAX};
use crate::db::object;
use crate::ds::glob::glob_match;
use crate::resp::Reply;
use crate::server::notify::class;
use crate::server::Ctx;

const OBJECT_SUBS: &[Command] = &[
    Command::new("encoding", object_encoding, 3, READONLY)
        .keys(2, 2, 1)
        .acl(acl::KEYSPACE)
        .doc(
            "generic",
            "2.2.3",
            "O(1)",
            "Inspect the internal encoding of a Redis object",
        )
        .syntax("key"),
    Command::new("refcount", object_refcount, 3, READONLY)
        .keys(2, 2, 1)
        .acl(acl::KEYSPACE)
        .doc(
            "generic",
            "2.2.3",
            "O(1)",
            "Get the number of references to the value of the key",
        )
        .syntax("key"),
    Command::new("idletime", object_idletime, 3, READONLY)
        .keys(2, 2, 1)
        .acl(acl::KEYSPACE)
        .doc(
            "generic",
            "2.2.3",
            "O(1)",
            "Get the time since a Redis object was last accessed",
        )
        .syntax("key"),
    Command::new("freq", object_freq, 3, READONLY)
        .keys(2, 2, 1)
        .acl(acl::KEYSPACE)
        .doc(
            "generic",
            "4.0.0",
            "O(1)",
            "Get the logarithmic access frequency counter of a Redis object",
        )
        .syntax("key"),
    Command::new("help", object_help, 2, LOADING | STALE)
        .acl(acl::KEYSPACE)
        .doc(
            "generic",
            "6.2.0",
            "O(1)",
            "Show helpful text about the different subcommands",
        ),
];

pub static COMMANDS: &[Command] = &[
    Command::new("del", del, -2, WRITE)
        .keys(1, -1, 1)
        .acl(acl::KEYSPACE)
        .doc("generic", "1.0.0", "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).", "Delete a key")
        .syntax("key..."),
    Command::new("unlink", del, -2, WRITE | FAST)
        .keys(1, -1, 1)
        .acl(acl::KEYSPACE)
        .doc("generic", "4.0.0", "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.", "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.")
        .syntax("key..."),
    Command::new("exists", exists, -2, READONLY | FAST)
        .keys(1, -1, 1)
        .acl(acl::KEYSPACE)
        .doc("generic", "1.0.0", "O(N) where N is the number of keys to check.", "Determine if a key exists")
        .syntax("key..."),
    Command::new("type", type_cmd, 2, READONLY | FAST)
        .keys(1, 1, 1)
        .acl(acl::KEYSPACE)
        .doc("generic", "1.0.0", "O(1)", "Determine the type stored at key")
        .syntax("key"),
    Command::new("keys", keys, 2, READONLY)
        .acl(acl::KEYSPACE | acl::DANGEROUS)
        .doc("generic", "1.0.0", "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.", "Find all keys matching the given pattern")
        .syntax("pattern:pattern"),
    Command::new("scan", scan, -2, READONLY)
        .acl(acl::KEYSPACE)
        .doc("generic", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", "Incrementally iterate the keys space")
        .syntax("cursor:integer [MATCH pattern:pattern] [COUNT count:integer] [TYPE type:string]"),
    Command::new("randomkey", randomkey, 1, READONLY)
        .acl(acl::KEYSPACE)
        .doc("generic", "1.0.0", "O(1)", "Return a random key from the keyspace"),
    Command::new("rename", rename, 3, WRITE)
        .keys(1, 2, 1)
        .acl(acl::KEYSPACE)
        .doc("generic", "1.0.0", "O(1)", "Rename a key")
        .syntax("key newkey:key"),
    Command::new("renamenx", renamenx, 3, WRITE | FAST)
        .keys(1, 2, 1)
        .acl(acl::KEYSPACE)
        .doc("generic", "1.0.0", "O(1)", "Rename a key, only if the new key does not exist")
        .syntax("key newkey:key"),
    Command::new("copy", copy, -3, WRITE | DENYOOM)
        .keys(1, 2, 1)
        .acl(acl::KEYSPACE)
        .doc("generic", "6.2.0", "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.", "Copy a key")
        .syntax("source:key destination:key [DB destination-db:integer] [REPLACE]"),
    Command::new("move", move_cmd, 3, WRITE | FAST)
        .keys(1, 1, 1)
        .acl(acl::KEYSPACE)
        .doc("generic", "1.0.0", "O(1)", "Move a key to another database")
        .syntax("key db:integer"),
    Command::new("touch", touch, -2, READONLY | FAST)
        .keys(1, -1, 1)
        .acl(acl::KEYSPACE)
        .doc("generic", "3.2.1", "O(N) where N is the number of keys that will be touched.", "Alters the last access time of a key(s). Returns the number of existing keys specified.")
        .syntax("key..."),
    Command::new("object", super::command::container, -2, 0)
        .acl(acl::KEYSPACE)
        .doc("generic", "2.2.3", "Depends on subcommand.", "A container for object introspection commands")
        .subs(OBJECT_SUBS),
    Command::new("expire", expire, -3, WRITE | FAST)
        .keys(1, 1, 1)
        .acl(acl::KEYSPACE)
        .doc("generic", "1.0.0", "O(1)", "Set a key's time to live in seconds")
        .syntax("key seconds:integer [NX|XX|GT|LT]"),
    Command::new("pexpire", pexpire, -3, WRITE | FAST)
        .keys(1, 1, 1)
        .acl(acl::KEYSPACE)
        .doc("generic", "2.6.0", "O(1)", "Set a key's time to live in milliseconds")
        .syntax("key milliseconds:integer [NX|XX|GT|LT]"),
    Command::new("expireat", expireat, -3, WRITE | FAST)
        .keys(1, 1, 1)
        .acl(acl::KEYSPACE)
        .doc("generic", "1.2.0", "O(1)", "Set the expiration for a key as a UNIX timestamp")
        .syntax("key unix-time-seconds:unix-time [NX|XX|GT|LT]"),
    Command::new("pexpireat", pexpireat, -3, WRITE | FAST)
        .keys(1, 1, 1)
        .acl(acl::KEYSPACE)
        .doc("generic", "2.6.0", "O(1)", "Set the expiration for a key as a UNIX timestamp specified in milliseconds")
        .syntax("key unix-time-milliseconds:unix-time [NX|XX|GT|LT]"),
    Command::new("ttl", ttl, 2, READONLY | FAST)
        .keys(1, 1, 1)
        .acl(acl::KEYSPACE)
        .doc("generic", "1.0.0", "O(1)", "Get the time to live for a key in seconds")
        .syntax("key"),
    Command::new("pttl", pttl, 2, READONLY | FAST)
        .keys(1, 1, 1)
        .acl(acl::KEYSPACE)
        .doc("generic", "2.6.0", "O(1)", "Get the time to live for a key in milliseconds")
        .syntax("key"),
    Command::new("expiretime", expiretime, 2, READONLY | FAST)
        .keys(1, 1, 1)
        .acl(acl::KEYSPACE)
        .doc("generic", "7.0.0", "O(1)", "Get the expiration Unix timestamp for a key")
        .syntax("key"),
    Command::new("pexpiretime", pexpiretime, 2, READONLY | FAST)
        .keys(1, 1, 1)
        .acl(acl::KEYSPACE)
        .doc("generic", "7.0.0", "O(1)", "Get the expiration Unix timestamp for a key in milliseconds")
        .syntax("key"),
    Command::new("persist", persist, 2, WRITE | FAST)
        .keys(1, 1, 1)
        .acl(acl::KEYSPACE)
        .doc("generic", "2.2.0", "O(1)", "Remove the expiration from a key")
        .syntax("key"),
];

// ANCHOR: del
fn del(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let now = ctx.srv.now_ms;
    let mut removed = 0;
    for key in &argv[1..] {
        if ctx.db().delete(key, now) {
            ctx.modified(class::GENERIC, "del", key);
            removed += 1;
        }
    }
    Reply::Integer(removed)
}
// ANCHOR_END: del

fn exists(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let now = ctx.srv.now_ms;
    let db = ctx.db();
    // Repeated keys count repeatedly, as in Redis.
    let n = argv[1..]
        .iter()
        .filter(|k| db.lookup_read_notouch(k, now).is_some())
        .count();
    Reply::Integer(n as i64)
}

fn type_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let now = ctx.srv.now_ms;
    match ctx.db().lookup_read_notouch(&argv[1], now) {
        Some(o) => Reply::simple(o.obj_type().name()),
        None => Reply::simple("none"),
    }
}

fn touch(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let now = ctx.srv.now_ms;
    let db = ctx.db();
    let n = argv[1..]
        .iter()
        .filter(|k| db.lookup_write(k, now).is_some())
        .count();
    Reply::Integer(n as i64)
}

/// True when `pattern` is a lone `*`: every key matches, even the empty
/// one (the glob matcher alone says an empty string does not match).
fn matches_all(pattern: &[u8]) -> bool {
    pattern == b"*"
}

fn keys(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let now = ctx.srv.now_ms as i64;
    let pattern = &argv[1];
    let all = matches_all(pattern);
    let db = ctx.db();
    let mut out = Vec::new();
    for (k, _) in db.keys.iter() {
        if !(all || glob_match(pattern, k.as_bytes(), false)) {
            continue;
        }
        // Expired keys are skipped (and reaped on their next access).
        if db.expires.get(k.as_bytes()).is_some_and(|&w| w <= now) {
            continue;
        }
        out.push(Reply::Bulk(k.to_vec()));
    }
    Reply::Array(out)
}

/// Redis parses SCAN cursors with strtoul: unsigned 64-bit, and a leading
/// '-' wraps around.
pub fn parse_cursor(arg: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(arg).ok()?;
    if s.is_empty() {
        return Some(0); // strtoul("") is 0 with nothing left over
    }
    if let Some(neg) = s.strip_prefix('-') {
        let v: u64 = neg.parse().ok()?;
        return Some(v.wrapping_neg());
    }
    s.parse().ok()
}

// ANCHOR: scan
/// SCAN cursor [MATCH pattern] [COUNT n] [TYPE t]: visits about `count`
/// buckets' worth of keys per call (at most 10 x count bucket visits), then
/// filters. The cursor comes from the dict's reverse-binary scan, so a key
/// present for the whole iteration is returned at least once.
fn scan(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let Some(mut cursor) = parse_cursor(&argv[1]) else {
        return Reply::error("ERR invalid cursor");
    };
    let mut pattern: Option<&[u8]> = None;
    let mut count: usize = 10;
    let mut type_filter: Option<Vec<u8>> = None;
    let mut i = 2;
    while i < argv.len() {
        if i + 1 >= argv.len() {
            return Reply::error(ERR_SYNTAX);
        }
        let (opt, val) = (&argv[i], &argv[i + 1]);
        if eq_ic(opt, "count") {
            match parse_i64(val) {
                Some(n) if n >= 1 => count = n as usize,
                Some(_) => return Reply::error(ERR_SYNTAX),
                None => return Reply::error(ERR_NOT_INTEGER),
            }
        } else if eq_ic(opt, "match") {
            pattern = if matches_all(val) { None } else { Some(val) };
        } else if eq_ic(opt, "type") {
            type_filter = Some(val.to_ascii_lowercase());
        } else {
            return Reply::error(ERR_SYNTAX);
        }
        i += 2;
    }
    let now = ctx.srv.now_ms as i64;
    let db = ctx.db();
    let mut found: Vec<Vec<u8>> = Vec::new();
    cursor = super::scan_dict(&db.keys, cursor, count, |k, o| {
        let name_ok = pattern.is_none_or(|p| glob_match(p, k.as_bytes(), false));
        let type_ok = type_filter
            .as_deref()
            .is_none_or(|t| t == o.obj_type().name().as_bytes());
        if name_ok && type_ok {
            found.push(k.to_vec());
            1
        } else {
            0
        }
    });
    let items = found
        .into_iter()
        .filter(|k| db.expires.get(k.as_slice()).is_none_or(|&w| w > now))
        .map(Reply::Bulk)
        .collect();
    Reply::Array(vec![Reply::bulk(cursor.to_string()), Reply::Array(items)])
}
// ANCHOR_END: scan

fn randomkey(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    let now = ctx.srv.now_ms;
    match ctx.db().random_key(now) {
        Some(k) => Reply::Bulk(k.to_vec()),
        None => Reply::Null,
    }
}

// ANCHOR: rename
/// RENAME/RENAMENX: the value and its expiry move together (invariant 1).
fn rename_generic(ctx: &mut Ctx, argv: &[Vec<u8>], nx: bool) -> Reply {
    let now = ctx.srv.now_ms;
    let (src, dst) = (&argv[1], &argv[2]);
    let db = ctx.db();
    if !db.exists(src, now) {
        return Reply::error("ERR no such key");
    }
    if src == dst {
        return if nx { Reply::Integer(0) } else { Reply::ok() };
    }
    // Lazily expire a dead destination first (its `expired` event comes
    // before the rename's), as Redis's lookup of it does.
    if db.exists(dst, now) && nx {
        return Reply::Integer(0);
    }
    let expire = db.get_expire(src);
    let Some(obj) = db.remove(src) else {
        return Reply::error("ERR no such key");
    };
    db.set(dst, obj, false);
    if let Some(when) = expire {
        db.set_expire(dst, when);
    }
    ctx.modified(class::GENERIC, "rename_from", src);
    ctx.modified(class::GENERIC, "rename_to", dst);
    if nx {
        Reply::Integer(1)
    } else {
        Reply::ok()
    }
}
// ANCHOR_END: rename

fn rename(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    rename_generic(ctx, argv, false)
}

fn renamenx(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    rename_generic(ctx, argv, true)
}

/// A database index argument: "value is not an integer" or "DB index is
/// out of range".
fn db_index(ctx: &Ctx, arg: &[u8]) -> Result<usize, Reply> {
    let n = parse_i64(arg).ok_or_else(|| Reply::error(ERR_NOT_INTEGER))?;
    if n < 0 || n as usize >= ctx.srv.dbs.len() {
        return Err(Reply::error("ERR DB index is out of range"));
    }
    Ok(n as usize)
}

fn copy(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let mut target_db = ctx.client.db;
    let mut replace = false;
    let mut i = 3;
    while i < argv.len() {
        if eq_ic(&argv[i], "replace") {
            replace = true;
        } else if eq_ic(&argv[i], "db") && i + 1 < argv.len() {
            match db_index(ctx, &argv[i + 1]) {
                Ok(d) => target_db = d,
                Err(e) => return e,
            }
            i += 1;
        } else {
            return Reply::error(ERR_SYNTAX);
        }
        i += 1;
    }
    let (src, dst) = (&argv[1], &argv[2]);
    if src == dst && target_db == ctx.client.db {
        return Reply::error("ERR source and destination objects are the same");
    }
    let now = ctx.srv.now_ms;
    let src_db = ctx.client.db;
    let Some(obj) = ctx.srv.dbs[src_db].peek(src, now).cloned() else {
        return Reply::Integer(0);
    };
    let expire = ctx.srv.dbs[src_db].get_expire(src);
    let target = &mut ctx.srv.dbs[target_db];
    if target.exists(dst, now) {
        if !replace {
            return Reply::Integer(0);
        }
        target.remove(dst);
    }
    target.set(dst, obj, false);
    if let Some(when) = expire {
        target.set_expire(dst, when);
    }
    crate::server::notify::notify(ctx.srv, class::GENERIC, "copy_to", dst, target_db);
    Reply::Integer(1)
}

fn move_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let target_db = match db_index(ctx, &argv[2]) {
        Ok(d) => d,
        Err(e) => return e,
    };
    let src_db = ctx.client.db;
    if target_db == src_db {
        return Reply::error("ERR source and destination objects are the same");
    }
    let now = ctx.srv.now_ms;
    let key = &argv[1];
    if !ctx.srv.dbs[src_db].exists(key, now) || ctx.srv.dbs[target_db].exists(key, now) {
        return Reply::Integer(0);
    }
    let expire = ctx.srv.dbs[src_db].get_expire(key);
    let Some(obj) = ctx.srv.dbs[src_db].remove(key) else {
        return Reply::Integer(0);
    };
    let target = &mut ctx.srv.dbs[target_db];
    target.add(key, obj);
    if let Some(when) = expire {
        target.set_expire(key, when);
    }
    ctx.modified(class::GENERIC, "move_from", key);
    crate::server::notify::notify(ctx.srv, class::GENERIC, "move_to", key, target_db);
    Reply::Integer(1)
}

// ---------------------------------------------------------------------------
// OBJECT
// ---------------------------------------------------------------------------

fn object_encoding(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let now = ctx.srv.now_ms;
    match ctx.db().peek(&argv[2], now) {
        Some(o) => Reply::bulk(o.encoding_name()),
        None => Reply::Null,
    }
}

/// Redis shares the integers 0..9999 between keys and reports their
/// refcount as INT_MAX; every other value has one owner.
fn object_refcount(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let now = ctx.srv.now_ms;
    match ctx.db().peek(&argv[2], now) {
        Some(o) => match o.value {
            object::Value::Int(n) if (0..10_000).contains(&n) => Reply::Integer(i32::MAX as i64),
            _ => Reply::Integer(1),
        },
        None => Reply::Null,
    }
}

fn object_idletime(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let now = ctx.srv.now_ms;
    let clock = object::lru_clock(now);
    match ctx.db().peek(&argv[2], now) {
        Some(o) => {
            let lru = o.lru();
            // The clock wraps every 2^24 seconds (194 days).
            let idle = if clock >= lru {
                clock - lru
            } else {
                clock + (object::LRU_CLOCK_MAX - lru)
            };
            Reply::Integer(idle as i64)
        }
        None => Reply::Null,
    }
}

fn object_freq(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let now = ctx.srv.now_ms;
    if ctx.db().peek(&argv[2], now).is_none() {
        return Reply::Null;
    }
    // LFU counters arrive with eviction; until then, as Redis under a
    // non-LFU policy:
    Reply::error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
}

fn object_help(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    super::help_reply(
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    )
}

// ---------------------------------------------------------------------------
// EXPIRE family
// ---------------------------------------------------------------------------

// ANCHOR: expire
/// EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT key time [NX|XX|GT|LT].
/// `unit_ms` is 1000 for seconds; `absolute` for the *AT forms.
fn expire_generic(ctx: &mut Ctx, argv: &[Vec<u8>], unit_ms: i64, absolute: bool) -> Reply {
    let name = String::from_utf8_lossy(&argv[0]).to_lowercase();
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for a in &argv[3..] {
        if eq_ic(a, "nx") {
            nx = true;
        } else if eq_ic(a, "xx") {
            xx = true;
        } else if eq_ic(a, "gt") {
            gt = true;
        } else if eq_ic(a, "lt") {
            lt = true;
        } else {
            return Reply::error(format!(
                "ERR Unsupported option {}",
                String::from_utf8_lossy(a)
            ));
        }
    }
    if nx && (xx || gt || lt) {
        return Reply::error("ERR NX and XX, GT or LT options at the same time are not compatible");
    }
    if gt && lt {
        return Reply::error("ERR GT and LT options at the same time are not compatible");
    }
    let Some(t) = parse_i64(&argv[2]) else {
        return Reply::error(ERR_NOT_INTEGER);
    };
    let invalid = || Reply::error(format!("ERR invalid expire time in '{}' command", name));
    let now = ctx.srv.now_ms as i64;
    // Redis's overflow rules: scale to ms, then add the base time.
    let Some(ms) = t.checked_mul(unit_ms) else {
        return invalid();
    };
    let when = if absolute {
        ms
    } else {
        match ms.checked_add(now) {
            Some(w) => w,
            None => return invalid(),
        }
    };
    let key = &argv[1];
    let db = ctx.db();
    if !db.exists(key, now as u64) {
        return Reply::Integer(0);
    }
    let current = db.get_expire(key);
    let allowed = if nx {
        current.is_none()
    } else if xx && current.is_none() {
        false
    } else if gt {
        // No TTL means "forever", which nothing is greater than.
        current.is_some_and(|c| when > c)
    } else if lt {
        current.is_none_or(|c| when < c)
    } else {
        true
    };
    if !allowed {
        return Reply::Integer(0);
    }
    if when <= now {
        db.remove(key); // invariant 2
        ctx.modified(class::GENERIC, "del", key);
        ctx.propagate_as(vec![crate::server::propagate::argv(&[b"DEL", key])]);
    } else {
        db.set_expire(key, when);
        ctx.modified(class::GENERIC, "expire", key);
        // Propagated as an absolute time, whatever form it came in.
        let ms = when.to_string().into_bytes();
        ctx.propagate_as(vec![crate::server::propagate::argv(&[
            b"PEXPIREAT",
            key,
            &ms,
        ])]);
    }
    Reply::Integer(1)
}
// ANCHOR_END: expire

fn expire(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    expire_generic(ctx, argv, 1000, false)
}

fn pexpire(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    expire_generic(ctx, argv, 1, false)
}

fn expireat(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    expire_generic(ctx, argv, 1000, true)
}

fn pexpireat(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    expire_generic(ctx, argv, 1, true)
}

/// TTL family: -2 missing key, -1 no expiry, else the value.
fn ttl_generic(ctx: &mut Ctx, key: &[u8], f: impl Fn(i64, i64) -> i64) -> Reply {
    let now = ctx.srv.now_ms;
    let db = ctx.db();
    if db.lookup_read_notouch(key, now).is_none() {
        return Reply::Integer(-2);
    }
    match db.get_expire(key) {
        Some(when) => Reply::Integer(f(when, now as i64)),
        None => Reply::Integer(-1),
    }
}

fn ttl(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    // Rounded to the nearest second, as Redis: (ttl + 500) / 1000.
    ttl_generic(ctx, &argv[1], |w, now| ((w - now).max(0) + 500) / 1000)
}

fn pttl(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    ttl_generic(ctx, &argv[1], |w, now| (w - now).max(0))
}

fn expiretime(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    // Rounded to the nearest second, like TTL.
    ttl_generic(ctx, &argv[1], |w, _| (w + 500) / 1000)
}

fn pexpiretime(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    ttl_generic(ctx, &argv[1], |w, _| w)
}

fn persist(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let now = ctx.srv.now_ms;
    let db = ctx.db();
    if !db.exists(&argv[1], now) {
        return Reply::Integer(0);
    }
    if !db.persist(&argv[1]) {
        return Reply::Integer(0);
    }
    ctx.modified(class::GENERIC, "persist", &argv[1]);
    Reply::Integer(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_cursors_parse_like_strtoul() {
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551616"), None);
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"abc"), None);
    }

    #[test]
    fn only_a_lone_star_matches_everything() {
        assert!(matches_all(b"*"));
        assert!(!matches_all(b"**"));
    }
}
