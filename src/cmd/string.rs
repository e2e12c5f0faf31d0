//! String commands: GET, SET and their variants, counters, ranges, LCS.
//!
//! Chapter: chapters/11-strings.md
//!
//! Each command reads or writes a string object through the keyspace and
//! picks the encoding Redis would: values that arrive from a client go
//! through `string_object` (int / embstr / raw), in-place edits such as
//! APPEND and SETRANGE make the value raw, counters store ints.
//!
//! Invariants:
//! 1. A string never grows past `proto-max-bulk-len` (APPEND, SETRANGE,
//!    SETBIT, BITFIELD check before growing).
//! 2. Any key holding another type gets WRONGTYPE and is left unchanged.
//!
//! Not here: bit-level commands (`bitmap.rs`), expiry bookkeeping (`db/`).

use std::borrow::Cow;

use super::flag::*;
use super::{acl, eq_ic, parse_i64, Command, ERR_NOT_INTEGER, ERR_SYNTAX};
use crate::db::object::{self, ObjType, RObj, Value};
use crate::ds::longdouble::LongDouble;
use crate::resp::Reply;
use crate::server::notify::class;
use crate::server::propagate;
use crate::server::Ctx;

pub static COMMANDS: &[Command] = &[
    Command::new("get", get, 2, READONLY | FAST)
        .keys(1, 1, 1)
        .acl(acl::STRING)
        .doc("string", "1.0.0", "O(1)", "Get the value of a key")
        .syntax("key"),
    Command::new("set", set, -3, WRITE | DENYOOM)
        .keys(1, 1, 1)
        .acl(acl::STRING)
        .doc("string", "1.0.0", "O(1)", "Set the string value of a key")
        .syntax("key value:string [NX|XX] [GET] [EX seconds:integer|PX milliseconds:integer|EXAT unix-time-seconds:unix-time|PXAT unix-time-milliseconds:unix-time|KEEPTTL]"),
    Command::new("setnx", setnx, 3, WRITE | DENYOOM | FAST)
        .keys(1, 1, 1)
        .acl(acl::STRING)
        .doc("string", "1.0.0", "O(1)", "Set the value of a key, only if the key does not exist")
        .syntax("key value:string"),
    Command::new("setex", setex, 4, WRITE | DENYOOM)
        .keys(1, 1, 1)
        .acl(acl::STRING)
        .doc("string", "2.0.0", "O(1)", "Set the value and expiration of a key")
        .syntax("key seconds:integer value:string"),
    Command::new("psetex", psetex, 4, WRITE | DENYOOM)
        .keys(1, 1, 1)
        .acl(acl::STRING)
        .doc("string", "2.6.0", "O(1)", "Set the value and expiration in milliseconds of a key")
        .syntax("key milliseconds:integer value:string"),
    Command::new("getex", getex, -2, WRITE | FAST)
        .keys(1, 1, 1)
        .acl(acl::STRING)
        .doc("string", "6.2.0", "O(1)", "Get the value of a key and optionally set its expiration")
        .syntax("key [EX seconds:integer|PX milliseconds:integer|EXAT unix-time-seconds:unix-time|PXAT unix-time-milliseconds:unix-time|PERSIST]"),
    Command::new("getdel", getdel, 2, WRITE | FAST)
        .keys(1, 1, 1)
        .acl(acl::STRING)
        .doc("string", "6.2.0", "O(1)", "Get the value of a key and delete the key")
        .syntax("key"),
    Command::new("getset", getset, 3, WRITE | DENYOOM | FAST)
        .keys(1, 1, 1)
        .acl(acl::STRING)
        .doc("string", "1.0.0", "O(1)", "Set the string value of a key and return its old value")
        .syntax("key value:string"),
    Command::new("mget", mget, -2, READONLY | FAST)
        .keys(1, -1, 1)
        .acl(acl::STRING)
        .doc("string", "1.0.0", "O(N) where N is the number of keys to retrieve.", "Get the values of all the given keys")
        .syntax("key..."),
    Command::new("mset", mset, -3, WRITE | DENYOOM)
        .keys(1, -1, 2)
        .acl(acl::STRING)
        .doc("string", "1.0.1", "O(N) where N is the number of keys to set.", "Set multiple keys to multiple values")
        .syntax("(key value:string)..."),
    Command::new("msetnx", msetnx, -3, WRITE | DENYOOM)
        .keys(1, -1, 2)
        .acl(acl::STRING)
        .doc("string", "1.0.1", "O(N) where N is the number of keys to set.", "Set multiple keys to multiple values, only if none of the keys exist")
        .syntax("(key value:string)..."),
    Command::new("append", append, 3, WRITE | DENYOOM | FAST)
        .keys(1, 1, 1)
        .acl(acl::STRING)
        .doc("string", "2.0.0", "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.", "Append a value to a key")
        .syntax("key value:string"),
    Command::new("strlen", strlen, 2, READONLY | FAST)
        .keys(1, 1, 1)
        .acl(acl::STRING)
        .doc("string", "2.2.0", "O(1)", "Get the length of the value stored in a key")
        .syntax("key"),
    Command::new("getrange", getrange, 4, READONLY)
        .keys(1, 1, 1)
        .acl(acl::STRING)
        .doc("string", "2.4.0", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", "Get a substring of the string stored at a key")
        .syntax("key start:integer end:integer"),
    Command::new("substr", getrange, 4, READONLY)
        .keys(1, 1, 1)
        .acl(acl::STRING)
        .doc("string", "1.0.0", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", "Get a substring of the string stored at a key")
        .syntax("key start:integer end:integer"),
    Command::new("setrange", setrange, 4, WRITE | DENYOOM)
        .keys(1, 1, 1)
        .acl(acl::STRING)
        .doc("string", "2.2.0", "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.", "Overwrite part of a string at key starting at the specified offset")
        .syntax("key offset:integer value:string"),
    Command::new("incr", incr, 2, WRITE | DENYOOM | FAST)
        .keys(1, 1, 1)
        .acl(acl::STRING)
        .doc("string", "1.0.0", "O(1)", "Increment the integer value of a key by one")
        .syntax("key"),
    Command::new("decr", decr, 2, WRITE | DENYOOM | FAST)
        .keys(1, 1, 1)
        .acl(acl::STRING)
        .doc("string", "1.0.0", "O(1)", "Decrement the integer value of a key by one")
        .syntax("key"),
    Command::new("incrby", incrby, 3, WRITE | DENYOOM | FAST)
        .keys(1, 1, 1)
        .acl(acl::STRING)
        .doc("string", "1.0.0", "O(1)", "Increment the integer value of a key by the given amount")
        .syntax("key increment:integer"),
    Command::new("decrby", decrby, 3, WRITE | DENYOOM | FAST)
        .keys(1, 1, 1)
        .acl(acl::STRING)
        .doc("string", "1.0.0", "O(1)", "Decrement the integer value of a key by the given number")
        .syntax("key decrement:integer"),
    Command::new("incrbyfloat", incrbyfloat, 3, WRITE | DENYOOM | FAST)
        .keys(1, 1, 1)
        .acl(acl::STRING)
        .doc("string", "2.6.0", "O(1)", "Increment the float value of a key by the given amount")
        .syntax("key increment:double"),
    Command::new("lcs", lcs, -3, READONLY)
        .keys(1, 2, 1)
        .acl(acl::STRING)
        .doc("string", "7.0.0", "O(N*M) where N and M are the lengths of s1 and s2, respectively", "Find longest common substring")
        .syntax("key1:key key2:key [LEN] [IDX] [MINMATCHLEN min-match-len:integer] [WITHMATCHLEN]"),
];

pub const ERR_WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

// ---------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------

/// The bytes of a string object, or WRONGTYPE (invariant 2).
pub fn string_value(obj: &RObj) -> Result<Cow<'_, [u8]>, Reply> {
    if obj.obj_type() != ObjType::String {
        return Err(Reply::error(ERR_WRONGTYPE));
    }
    obj.string_bytes()
        .ok_or_else(|| Reply::error(ERR_WRONGTYPE))
}

/// Reads a string key: Ok(None) when missing.
fn read_string(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Vec<u8>>, Reply> {
    let now = ctx.srv.now_ms;
    match ctx.db().lookup_read(key, now) {
        Some(o) => string_value(o).map(|b| Some(b.into_owned())),
        None => Ok(None),
    }
}

fn bulk_or_null(v: Option<Vec<u8>>) -> Reply {
    match v {
        Some(b) => Reply::Bulk(b),
        None => Reply::Null,
    }
}

/// Where SET/GETEX/SETEX put the expiry: an absolute unix ms time, or
/// the error Redis gives for a bad value.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Expiry {
    None,
    At(i64),
    KeepTtl,
    Persist,
}

/// The options of SET (`for_set`) or GETEX, parsed but not yet checked
/// numerically. Redis accepts an option repeated (the last value wins) but
/// not two that conflict, e.g. EX with PX, or NX with XX.
#[derive(Default)]
struct ExpiryOptions<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    /// "ex", "px", "exat", "pxat", "keepttl" or "persist", and the number.
    kind: Option<&'static str>,
    value: Option<&'a [u8]>,
}

fn parse_expiry_options(
    argv: &[Vec<u8>],
    from: usize,
    for_set: bool,
) -> Result<ExpiryOptions<'_>, Reply> {
    let mut o = ExpiryOptions::default();
    let mut i = from;
    while i < argv.len() {
        let a = &argv[i];
        let kind = ["ex", "px", "exat", "pxat", "keepttl", "persist"]
            .into_iter()
            .find(|k| eq_ic(a, k));
        let takes_value = matches!(kind, Some("ex" | "px" | "exat" | "pxat"));
        if for_set && eq_ic(a, "nx") && !o.xx {
            o.nx = true;
        } else if for_set && eq_ic(a, "xx") && !o.nx {
            o.xx = true;
        } else if for_set && eq_ic(a, "get") {
            o.get = true;
        } else if let Some(k) =
            kind.filter(|k| (for_set && *k != "persist") || (!for_set && *k != "keepttl"))
        {
            if o.kind.is_some_and(|prev| prev != k) || (takes_value && i + 1 >= argv.len()) {
                return Err(Reply::error(ERR_SYNTAX));
            }
            o.kind = Some(k);
            if takes_value {
                o.value = Some(&argv[i + 1]);
                i += 1;
            }
        } else {
            return Err(Reply::error(ERR_SYNTAX));
        }
        i += 1;
    }
    Ok(o)
}

/// Turns parsed options into an absolute expiry (the numeric checks).
fn resolve_expiry(o: &ExpiryOptions, now_ms: u64, cmd: &str) -> Result<Expiry, Reply> {
    Ok(match (o.kind, o.value) {
        (Some("keepttl"), _) => Expiry::KeepTtl,
        (Some("persist"), _) => Expiry::Persist,
        (Some(k), Some(v)) => {
            let unit = if k == "ex" || k == "exat" { 1000 } else { 1 };
            Expiry::At(expire_at(v, unit, k.ends_with("at"), now_ms, cmd)?)
        }
        _ => Expiry::None,
    })
}

/// Parses the number after EX/PX/EXAT/PXAT into an absolute unix time in
/// ms: "not an integer" for junk, "invalid expire time in '<cmd>'" for a
/// value <= 0 or one whose absolute time overflows (Redis's rule).
fn expire_at(
    arg: &[u8],
    unit_ms: i64,
    absolute: bool,
    now_ms: u64,
    cmd: &str,
) -> Result<i64, Reply> {
    let invalid = || Reply::error(format!("ERR invalid expire time in '{}' command", cmd));
    let v = parse_i64(arg).ok_or_else(|| Reply::error(ERR_NOT_INTEGER))?;
    if v <= 0 {
        return Err(invalid());
    }
    let ms = v.checked_mul(unit_ms).ok_or_else(invalid)?;
    if absolute {
        Ok(ms)
    } else {
        ms.checked_add(now_ms as i64).ok_or_else(invalid)
    }
}

/// Stores a string with an optional expiry, with its `set` and `expire`
/// events. An absolute time already past (EXAT in the past) is stored
/// as it is, as Redis does: the key is dead to every lookup at once and
/// is removed (`expired`) by the next lookup or the active cycle.
fn store(ctx: &mut Ctx, key: &[u8], obj: RObj, expiry: Expiry) {
    overwrite(ctx, key, obj, expiry == Expiry::KeepTtl);
    ctx.modified(class::STRING, "set", key);
    if let Expiry::At(when) = expiry {
        ctx.db().set_expire(key, when);
        ctx.notify(class::GENERIC, "expire", key);
    }
}

/// `Db::set` after lazily expiring the old value, so a key that died
/// unseen is reported `expired` before its replacement is `set` (Redis's
/// lookupKeyWrite in setKey).
fn overwrite(ctx: &mut Ctx, key: &[u8], obj: RObj, keep_ttl: bool) {
    let now = ctx.srv.now_ms;
    let db = ctx.db();
    db.expire_if_needed(key, now);
    db.set(key, obj, keep_ttl);
}

fn new_string(ctx: &Ctx, bytes: &[u8]) -> RObj {
    object::string_object(bytes, object::lru_clock(ctx.srv.now_ms))
}

// ---------------------------------------------------------------------------
// GET / SET family
// ---------------------------------------------------------------------------

// ANCHOR: get
fn get(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    match read_string(ctx, &argv[1]) {
        Ok(v) => bulk_or_null(v),
        Err(e) => e,
    }
}
// ANCHOR_END: get

// ANCHOR: set
/// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL]
fn set(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let opts = match parse_expiry_options(argv, 3, true) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let (nx, xx, want_get) = (opts.nx, opts.xx, opts.get);
    let now = ctx.srv.now_ms;
    let expiry = match resolve_expiry(&opts, now, "set") {
        Ok(e) => e,
        Err(e) => return e,
    };
    let key = &argv[1];
    let old = if want_get {
        match read_string(ctx, key) {
            Ok(v) => Some(v),
            Err(e) => return e,
        }
    } else {
        None
    };
    if nx || xx {
        let exists = match &old {
            Some(v) => v.is_some(),
            None => ctx.db().exists(key, now),
        };
        if (nx && exists) || (xx && !exists) {
            return match old {
                Some(v) => bulk_or_null(v),
                None => Reply::Null,
            };
        }
    }
    let obj = new_string(ctx, &argv[2]);
    store(ctx, key, obj, expiry);
    if let Expiry::At(when) = expiry {
        // Relative times would mean something else when replayed later.
        propagate_pxat(ctx, key, &argv[2], when);
    }
    match old {
        Some(v) => bulk_or_null(v),
        None => Reply::ok(),
    }
}
// ANCHOR_END: set

fn setnx(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let now = ctx.srv.now_ms;
    if ctx.db().exists(&argv[1], now) {
        return Reply::Integer(0);
    }
    let obj = new_string(ctx, &argv[2]);
    ctx.db().set(&argv[1], obj, false);
    ctx.modified(class::STRING, "set", &argv[1]);
    Reply::Integer(1)
}

fn setex_generic(ctx: &mut Ctx, argv: &[Vec<u8>], unit: i64, cmd: &str) -> Reply {
    let when = match expire_at(&argv[2], unit, false, ctx.srv.now_ms, cmd) {
        Ok(w) => w,
        Err(e) => return e,
    };
    let obj = new_string(ctx, &argv[3]);
    store(ctx, &argv[1], obj, Expiry::At(when));
    propagate_pxat(ctx, &argv[1], &argv[3], when);
    Reply::ok()
}

/// Propagates a SET with an expiry as `SET key value PXAT ms`, the
/// absolute form a replay reproduces whenever it happens.
fn propagate_pxat(ctx: &mut Ctx, key: &[u8], value: &[u8], when: i64) {
    let ms = when.to_string().into_bytes();
    ctx.propagate_as(vec![propagate::argv(&[b"SET", key, value, b"PXAT", &ms])]);
}

fn setex(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    setex_generic(ctx, argv, 1000, "setex")
}

fn psetex(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    setex_generic(ctx, argv, 1, "psetex")
}

/// GETEX key [EX s|PX ms|EXAT s|PXAT ms|PERSIST]
fn getex(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let now = ctx.srv.now_ms;
    let opts = match parse_expiry_options(argv, 2, false) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let key = &argv[1];
    // As Redis: syntax first, then the key, then the numbers.
    let value = match read_string(ctx, key) {
        Ok(Some(v)) => v,
        Ok(None) => return Reply::Null,
        Err(e) => return e,
    };
    let expiry = match resolve_expiry(&opts, now, "getex") {
        Ok(e) => e,
        Err(e) => return e,
    };
    let db = ctx.db();
    match expiry {
        Expiry::At(when) if when <= now as i64 => {
            db.remove(key);
            ctx.modified(class::GENERIC, "del", key);
            ctx.propagate_as(vec![propagate::argv(&[b"DEL", key])]);
        }
        Expiry::At(when) => {
            db.set_expire(key, when);
            ctx.modified(class::GENERIC, "expire", key);
            let ms = when.to_string().into_bytes();
            ctx.propagate_as(vec![propagate::argv(&[b"PEXPIREAT", key, &ms])]);
        }
        Expiry::Persist => {
            if db.persist(key) {
                ctx.modified(class::GENERIC, "persist", key);
                ctx.propagate_as(vec![propagate::argv(&[b"PERSIST", key])]);
            }
        }
        Expiry::None | Expiry::KeepTtl => {}
    }
    Reply::Bulk(value)
}

fn getdel(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    match read_string(ctx, &argv[1]) {
        Ok(Some(v)) => {
            ctx.db().remove(&argv[1]);
            ctx.modified(class::GENERIC, "del", &argv[1]);
            Reply::Bulk(v)
        }
        Ok(None) => Reply::Null,
        Err(e) => e,
    }
}

fn getset(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let old = match read_string(ctx, &argv[1]) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let obj = new_string(ctx, &argv[2]);
    ctx.db().set(&argv[1], obj, false);
    ctx.modified(class::STRING, "set", &argv[1]);
    bulk_or_null(old)
}

fn mget(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let now = ctx.srv.now_ms;
    let db = ctx.db();
    Reply::Array(
        argv[1..]
            .iter()
            .map(|k| match db.lookup_read(k, now) {
                // A key of another type is nil in MGET, not an error.
                Some(o) => match string_value(o) {
                    Ok(v) => Reply::Bulk(v.into_owned()),
                    Err(_) => Reply::Null,
                },
                None => Reply::Null,
            })
            .collect(),
    )
}

fn mset_generic(ctx: &mut Ctx, argv: &[Vec<u8>], nx: bool) -> Reply {
    if argv.len().is_multiple_of(2) {
        let name = if nx { "msetnx" } else { "mset" };
        return Reply::error(format!(
            "ERR wrong number of arguments for '{}' command",
            name
        ));
    }
    let now = ctx.srv.now_ms;
    if nx && argv[1..].chunks(2).any(|p| ctx.db().exists(&p[0], now)) {
        return Reply::Integer(0);
    }
    for pair in argv[1..].chunks(2) {
        let obj = new_string(ctx, &pair[1]);
        overwrite(ctx, &pair[0], obj, false);
        ctx.modified(class::STRING, "set", &pair[0]);
    }
    if nx {
        Reply::Integer(1)
    } else {
        Reply::ok()
    }
}

fn mset(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    mset_generic(ctx, argv, false)
}

fn msetnx(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    mset_generic(ctx, argv, true)
}

// ---------------------------------------------------------------------------
// In-place edits: APPEND, SETRANGE; reads: STRLEN, GETRANGE
// ---------------------------------------------------------------------------

/// Checks invariant 1 for a string about to reach `total` bytes.
pub fn check_size(ctx: &Ctx, total: u64) -> Result<(), Reply> {
    if total > ctx.srv.config.proto_max_bulk_len {
        return Err(Reply::error(
            "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
        ));
    }
    Ok(())
}

fn append(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let now = ctx.srv.now_ms;
    let key = &argv[1];
    let cur_len = match ctx.db().lookup_write(key, now) {
        Some(o) => match o.obj_type() {
            ObjType::String => o.string_len().unwrap_or(0),
            _ => return Reply::error(ERR_WRONGTYPE),
        },
        None => {
            let obj = new_string(ctx, &argv[2]);
            ctx.db().add(key, obj);
            ctx.modified(class::STRING, "append", key);
            return Reply::Integer(argv[2].len() as i64);
        }
    };
    if let Err(e) = check_size(ctx, cur_len as u64 + argv[2].len() as u64) {
        return e;
    }
    let Some(o) = ctx.db().lookup_write(key, now) else {
        return Reply::Integer(0);
    };
    let len = match o.make_raw() {
        Some(s) => {
            s.extend_from_slice(&argv[2]);
            s.len()
        }
        None => return Reply::error(ERR_WRONGTYPE),
    };
    ctx.modified(class::STRING, "append", key);
    Reply::Integer(len as i64)
}

fn strlen(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let now = ctx.srv.now_ms;
    match ctx.db().lookup_read(&argv[1], now) {
        Some(o) => match o.obj_type() {
            ObjType::String => Reply::Integer(o.string_len().unwrap_or(0) as i64),
            _ => Reply::error(ERR_WRONGTYPE),
        },
        None => Reply::Integer(0),
    }
}

/// Redis's range normalisation for GETRANGE: negative indexes count from
/// the end; the result is clamped; an empty range gives "".
fn getrange(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let (Some(mut start), Some(mut end)) = (parse_i64(&argv[2]), parse_i64(&argv[3])) else {
        return Reply::error(ERR_NOT_INTEGER);
    };
    let value = match read_string(ctx, &argv[1]) {
        Ok(Some(v)) => v,
        Ok(None) => return Reply::Bulk(Vec::new()),
        Err(e) => return e,
    };
    let len = value.len() as i64;
    if start < 0 && end < 0 && start > end {
        return Reply::Bulk(Vec::new());
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return Reply::Bulk(Vec::new());
    }
    Reply::Bulk(value[start as usize..=end as usize].to_vec())
}

fn setrange(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let Some(offset) = parse_i64(&argv[2]) else {
        return Reply::error(ERR_NOT_INTEGER);
    };
    if offset < 0 {
        return Reply::error("ERR offset is out of range");
    }
    let value = &argv[3];
    let now = ctx.srv.now_ms;
    let key = &argv[1];
    let exists = match ctx.db().lookup_write(key, now) {
        Some(o) => match o.obj_type() {
            ObjType::String => true,
            _ => return Reply::error(ERR_WRONGTYPE),
        },
        None => false,
    };
    if !exists {
        if value.is_empty() {
            return Reply::Integer(0);
        }
        if let Err(e) = check_size(ctx, offset as u64 + value.len() as u64) {
            return e;
        }
        let mut bytes = vec![0u8; offset as usize];
        bytes.extend_from_slice(value);
        let obj = RObj::new(
            Value::Raw(crate::ds::sds::Sds::new(&bytes)),
            object::lru_clock(now),
        );
        ctx.db().add(key, obj);
        ctx.modified(class::STRING, "setrange", key);
        return Reply::Integer(bytes.len() as i64);
    }
    if value.is_empty() {
        let len = ctx
            .db()
            .lookup_write(key, now)
            .and_then(|o| o.string_len())
            .unwrap_or(0);
        return Reply::Integer(len as i64);
    }
    if let Err(e) = check_size(ctx, offset as u64 + value.len() as u64) {
        return e;
    }
    let Some(o) = ctx.db().lookup_write(key, now) else {
        return Reply::Integer(0);
    };
    let Some(s) = o.make_raw() else {
        return Reply::error(ERR_WRONGTYPE);
    };
    let end = offset as usize + value.len();
    if s.len() < end {
        s.resize(end, 0);
    }
    s.as_bytes_mut()[offset as usize..end].copy_from_slice(value);
    let len = s.len();
    ctx.modified(class::STRING, "setrange", key);
    Reply::Integer(len as i64)
}

// ---------------------------------------------------------------------------
// Counters
// ---------------------------------------------------------------------------

// ANCHOR: incr
/// INCR/DECR/INCRBY/DECRBY: the value must be a canonical integer string;
/// the result is stored with the int encoding.
fn incr_by(ctx: &mut Ctx, key: &[u8], delta: i64) -> Reply {
    let now = ctx.srv.now_ms;
    let db = ctx.db();
    let current = match db.lookup_write(key, now) {
        Some(o) => match &o.value {
            Value::Int(n) => *n,
            _ => match string_value(o) {
                Ok(b) => match parse_i64(&b) {
                    Some(n) => n,
                    None => return Reply::error(ERR_NOT_INTEGER),
                },
                Err(e) => return e,
            },
        },
        None => 0,
    };
    let Some(new) = current.checked_add(delta) else {
        return Reply::error("ERR increment or decrement would overflow");
    };
    match db.lookup_write(key, now) {
        // Update in place so the key keeps its TTL.
        Some(o) => o.value = Value::Int(new),
        None => db.add(key, RObj::new(Value::Int(new), object::lru_clock(now))),
    }
    ctx.modified(class::STRING, "incrby", key);
    Reply::Integer(new)
}
// ANCHOR_END: incr

fn incr(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    incr_by(ctx, &argv[1], 1)
}

fn decr(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    incr_by(ctx, &argv[1], -1)
}

fn incrby(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    match parse_i64(&argv[2]) {
        Some(d) => incr_by(ctx, &argv[1], d),
        None => Reply::error(ERR_NOT_INTEGER),
    }
}

fn decrby(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    match parse_i64(&argv[2]) {
        Some(i64::MIN) => Reply::error("ERR decrement would overflow"),
        Some(d) => incr_by(ctx, &argv[1], -d),
        None => Reply::error(ERR_NOT_INTEGER),
    }
}

/// INCRBYFLOAT computes in x87 extended precision, as Redis on x86-64
/// does, so "10.5" + "0.1" answers "10.6" (see chapter 11).
fn incrbyfloat(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    const NOT_FLOAT: &str = "ERR value is not a valid float";
    let now = ctx.srv.now_ms;
    let key = &argv[1];
    let current = match ctx.db().lookup_write(key, now) {
        Some(o) => match string_value(o) {
            Ok(b) => match LongDouble::parse(&b) {
                Some(v) => v,
                None => return Reply::error(NOT_FLOAT),
            },
            Err(e) => return e,
        },
        None => LongDouble::from_i64(0),
    };
    let Some(incr) = LongDouble::parse(&argv[2]) else {
        return Reply::error(NOT_FLOAT);
    };
    let sum = current.add(incr);
    if !sum.is_finite() {
        return Reply::error("ERR increment would produce NaN or Infinity");
    }
    let Some(text) = sum.to_human_string() else {
        return Reply::error(NOT_FLOAT);
    };
    let lru = object::lru_clock(now);
    let obj = RObj::new(object::embstr_or_raw(text.as_bytes()), lru);
    // KEEPTTL semantics: the key keeps its expiry.
    ctx.db().set(key, obj, true);
    ctx.modified(class::STRING, "incrbyfloat", key);
    // The sum depends on the float arithmetic of whoever replays it:
    // propagate the result instead.
    ctx.propagate_as(vec![propagate::argv(&[
        b"SET",
        key,
        text.as_bytes(),
        b"KEEPTTL",
    ])]);
    Reply::Bulk(text.into_bytes())
}

// ---------------------------------------------------------------------------
// LCS
// ---------------------------------------------------------------------------

fn lcs(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let (mut want_len, mut want_idx, mut with_len) = (false, false, false);
    let mut min_len: i64 = 0;
    let mut i = 3;
    while i < argv.len() {
        let a = &argv[i];
        if eq_ic(a, "len") {
            want_len = true;
        } else if eq_ic(a, "idx") {
            want_idx = true;
        } else if eq_ic(a, "withmatchlen") {
            with_len = true;
        } else if eq_ic(a, "minmatchlen") && i + 1 < argv.len() {
            match parse_i64(&argv[i + 1]) {
                Some(v) => min_len = v.max(0),
                None => return Reply::error(ERR_NOT_INTEGER),
            }
            i += 1;
        } else {
            return Reply::error(ERR_SYNTAX);
        }
        i += 1;
    }
    let now = ctx.srv.now_ms;
    let mut fetch = |k: &[u8]| -> Result<Vec<u8>, Reply> {
        match ctx.db().lookup_read(k, now) {
            Some(o) => match string_value(o) {
                Ok(v) => Ok(v.into_owned()),
                Err(_) => Err(Reply::error(
                    "ERR The specified keys must contain string values",
                )),
            },
            None => Ok(Vec::new()),
        }
    };
    let a = match fetch(&argv[1]) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let b = match fetch(&argv[2]) {
        Ok(v) => v,
        Err(e) => return e,
    };
    if want_len && want_idx {
        return Reply::error("ERR If you want both the length and indexes, please just use IDX.");
    }
    // Redis's three checks, in its order: input length, the DP table
    // against proto-max-bulk-len, then the allocation itself.
    if crate::ds::lcs::lcs_input_too_long(a.len(), b.len()) {
        return Reply::error("ERR String too long for LCS");
    }
    match crate::ds::lcs::lcs_table_bytes(a.len(), b.len()) {
        Some(bytes) if bytes <= ctx.srv.config.proto_max_bulk_len => {}
        _ => {
            return Reply::error(
                "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
            )
        }
    }
    let Some((common, matches)) = crate::ds::lcs::try_lcs(&a, &b) else {
        return Reply::error("ERR Insufficient memory, failed allocating transient memory for LCS");
    };
    if want_len {
        return Reply::Integer(common.len() as i64);
    }
    if !want_idx {
        return Reply::Bulk(common);
    }
    let items = matches
        .iter()
        .filter(|m| m.len as i64 >= min_len)
        .map(|m| {
            let mut row = vec![
                Reply::Array(vec![
                    Reply::Integer(m.a.0 as i64),
                    Reply::Integer(m.a.1 as i64),
                ]),
                Reply::Array(vec![
                    Reply::Integer(m.b.0 as i64),
                    Reply::Integer(m.b.1 as i64),
                ]),
            ];
            if with_len {
                row.push(Reply::Integer(m.len as i64));
            }
            Reply::Array(row)
        })
        .collect();
    Reply::Map(vec![
        (Reply::bulk("matches"), Reply::Array(items)),
        (Reply::bulk("len"), Reply::Integer(common.len() as i64)),
    ])
}
