//! Set commands over the two set encodings, and helpers shared with
//! hashes (random picks, *SCAN options).
//!
//! Chapter: chapters/15-sets.md
//!
//! A set is an `intset` while every member is a canonical integer and
//! there are at most `set-max-intset-entries` of them; otherwise a
//! `hashtable` (our dict with no values). Redis 7.0 has no listpack sets.
//!
//! Invariants:
//! 1. An intset set only ever holds canonical i64 members, at most
//!    `set-max-intset-entries` of them; the first member that breaks
//!    either rule converts the set before it is added.
//! 2. A set key is never empty.
//! 3. A *STORE result gets the encoding a set built by SADD of the same
//!    members would have.
//!
//! Not here: the intset and dict (`ds/`).

use super::flag::*;
use super::string::ERR_WRONGTYPE;
use super::{acl, eq_ic, parse_i64, Command, ERR_NOT_INTEGER, ERR_SYNTAX};
use crate::db::object::{self, RObj, Value};
use crate::ds::dict::Dict;
use crate::ds::glob::glob_match;
use crate::ds::intset::Intset;
use crate::ds::sds::Sds;
use crate::resp::Reply;
use crate::server::notify::class;
use crate::server::Ctx;

pub static COMMANDS: &[Command] = &[
    Command::new("sadd", sadd, -3, WRITE | DENYOOM | FAST)
        .keys(1, 1, 1)
        .acl(acl::SET)
        .doc("set", "1.0.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "Add one or more members to a set")
        .syntax("key member:string..."),
    Command::new("srem", srem, -3, WRITE | FAST)
        .keys(1, 1, 1)
        .acl(acl::SET)
        .doc("set", "1.0.0", "O(N) where N is the number of members to be removed.", "Remove one or more members from a set")
        .syntax("key member:string..."),
    Command::new("scard", scard, 2, READONLY | FAST)
        .keys(1, 1, 1)
        .acl(acl::SET)
        .doc("set", "1.0.0", "O(1)", "Get the number of members in a set")
        .syntax("key"),
    Command::new("sismember", sismember, 3, READONLY | FAST)
        .keys(1, 1, 1)
        .acl(acl::SET)
        .doc("set", "1.0.0", "O(1)", "Determine if a given value is a member of a set")
        .syntax("key member:string"),
    Command::new("smismember", smismember, -3, READONLY | FAST)
        .keys(1, 1, 1)
        .acl(acl::SET)
        .doc("set", "6.2.0", "O(N) where N is the number of elements being checked for membership", "Returns the membership associated with the given elements for a set")
        .syntax("key member:string..."),
    Command::new("smembers", smembers, 2, READONLY)
        .keys(1, 1, 1)
        .acl(acl::SET)
        .doc("set", "1.0.0", "O(N) where N is the set cardinality.", "Get all the members in a set")
        .syntax("key"),
    Command::new("spop", spop, -2, WRITE | FAST)
        .keys(1, 1, 1)
        .acl(acl::SET)
        .doc("set", "1.0.0", "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.", "Remove and return one or multiple random members from a set")
        .syntax("key [count:integer]"),
    Command::new("srandmember", srandmember, -2, READONLY)
        .keys(1, 1, 1)
        .acl(acl::SET)
        .doc("set", "1.0.0", "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.", "Get one or multiple random members from a set")
        .syntax("key [count:integer]"),
    Command::new("smove", smove, 4, WRITE | FAST)
        .keys(1, 2, 1)
        .acl(acl::SET)
        .doc("set", "1.0.0", "O(1)", "Move a member from one set to another")
        .syntax("source:key destination:key member:string"),
    Command::new("sinter", sinter, -2, READONLY)
        .keys(1, -1, 1)
        .acl(acl::SET)
        .doc("set", "1.0.0", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "Intersect multiple sets")
        .syntax("key..."),
    Command::new("sintercard", sintercard, -3, READONLY | MOVABLE_KEYS)
        .keys(2, -1, 1)
        .acl(acl::SET)
        .doc("set", "7.0.0", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "Intersect multiple sets and return the cardinality of the result")
        .syntax("numkeys:integer key... [LIMIT limit:integer]"),
    Command::new("sinterstore", sinterstore, -3, WRITE | DENYOOM)
        .keys(1, -1, 1)
        .acl(acl::SET)
        .doc("set", "1.0.0", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "Intersect multiple sets and store the resulting set in a key")
        .syntax("destination:key key..."),
    Command::new("sunion", sunion, -2, READONLY)
        .keys(1, -1, 1)
        .acl(acl::SET)
        .doc("set", "1.0.0", "O(N) where N is the total number of elements in all given sets.", "Add multiple sets")
        .syntax("key..."),
    Command::new("sunionstore", sunionstore, -3, WRITE | DENYOOM)
        .keys(1, -1, 1)
        .acl(acl::SET)
        .doc("set", "1.0.0", "O(N) where N is the total number of elements in all given sets.", "Add multiple sets and store the resulting set in a key")
        .syntax("destination:key key..."),
    Command::new("sdiff", sdiff, -2, READONLY)
        .keys(1, -1, 1)
        .acl(acl::SET)
        .doc("set", "1.0.0", "O(N) where N is the total number of elements in all given sets.", "Subtract multiple sets")
        .syntax("key..."),
    Command::new("sdiffstore", sdiffstore, -3, WRITE | DENYOOM)
        .keys(1, -1, 1)
        .acl(acl::SET)
        .doc("set", "1.0.0", "O(N) where N is the total number of elements in all given sets.", "Subtract multiple sets and store the resulting set in a key")
        .syntax("destination:key key..."),
    Command::new("sscan", sscan, -3, READONLY)
        .keys(1, 1, 1)
        .acl(acl::SET)
        .doc("set", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", "Incrementally iterate Set elements")
        .syntax("key cursor:integer [MATCH pattern:pattern] [COUNT count:integer]"),
];

// ---------------------------------------------------------------------------
// Shared helpers (also used by hash.rs)
// ---------------------------------------------------------------------------

fn xorshift(seed: &mut u64) -> u64 {
    let mut x = *seed | 1;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *seed = x;
    x
}

pub fn random_index(seed: &mut u64, len: usize) -> usize {
    (xorshift(seed) % len.max(1) as u64) as usize
}

/// Indexes for a random pick of `count` (Redis's SRANDMEMBER/HRANDFIELD
/// rules): count >= 0 gives distinct indexes, all of them when count >=
/// len; count < 0 gives |count| indexes with repeats.
pub fn pick_indexes(seed: &mut u64, len: usize, count: i64) -> Vec<usize> {
    if len == 0 || count == 0 {
        return Vec::new();
    }
    if count < 0 {
        let n = count.unsigned_abs().min(1 << 32) as usize;
        return (0..n).map(|_| random_index(seed, len)).collect();
    }
    let count = count as usize;
    let mut all: Vec<usize> = (0..len).collect();
    if count >= len {
        return all;
    }
    // A partial Fisher-Yates shuffle: the first `count` slots.
    for i in 0..count {
        let j = i + random_index(seed, len - i);
        all.swap(i, j);
    }
    all.truncate(count);
    all
}

pub struct ScanOptions {
    pub cursor: u64,
    pub pattern: Option<Vec<u8>>,
    pub count: usize,
}

impl ScanOptions {
    pub fn matches(&self, item: &[u8]) -> bool {
        self.pattern
            .as_deref()
            .is_none_or(|p| glob_match(p, item, false))
    }
}

/// `cursor [MATCH p] [COUNT n]` starting at argv[at - 1] (the cursor).
pub fn parse_scan_options(argv: &[Vec<u8>], at: usize) -> Result<ScanOptions, Reply> {
    let cursor = super::keys::parse_cursor(&argv[at - 1])
        .ok_or_else(|| Reply::error("ERR invalid cursor"))?;
    let mut o = ScanOptions {
        cursor,
        pattern: None,
        count: 10,
    };
    let mut i = at;
    while i < argv.len() {
        if i + 1 >= argv.len() {
            return Err(Reply::error(ERR_SYNTAX));
        }
        if eq_ic(&argv[i], "count") {
            match parse_i64(&argv[i + 1]) {
                Some(n) if n >= 1 => o.count = n as usize,
                Some(_) => return Err(Reply::error(ERR_SYNTAX)),
                None => return Err(Reply::error(ERR_NOT_INTEGER)),
            }
        } else if eq_ic(&argv[i], "match") {
            o.pattern = if argv[i + 1] == b"*" {
                None
            } else {
                Some(argv[i + 1].clone())
            };
        } else {
            return Err(Reply::error(ERR_SYNTAX));
        }
        i += 2;
    }
    Ok(o)
}

pub fn scan_reply(cursor: u64, items: Vec<Vec<u8>>) -> Reply {
    Reply::Array(vec![
        Reply::bulk(cursor.to_string()),
        Reply::Array(items.into_iter().map(Reply::Bulk).collect()),
    ])
}

// ---------------------------------------------------------------------------
// The set type over both encodings
// ---------------------------------------------------------------------------

/// One random member without listing the set: O(1) for an intset, a
/// dict sample for a hashtable.
fn random_member(v: &mut Value, seed: &mut u64) -> Option<Vec<u8>> {
    match v {
        Value::SetInt(is) => open(is)
            .random(xorshift(seed))
            .map(|n| n.to_string().into_bytes()),
        Value::SetTable(d) => {
            let mut rng = || xorshift(seed);
            d.random_entry(&mut rng).map(|(k, _)| k.to_vec())
        }
        _ => None,
    }
}

/// Opens an intset set's bytes as an `Intset` (a copy: at most
/// `set-max-intset-entries` integers live in this encoding).
fn open(bytes: &Sds) -> Intset {
    Intset::from_trusted(bytes.to_vec())
}

/// Stores an intset back as exact-size bytes: one small allocation per
/// small set, no spare capacity.
fn close(is: &Intset) -> Value {
    Value::SetInt(Sds::new(is.as_bytes()))
}

/// Members as byte strings, in the encoding's order.
pub fn members(v: &Value) -> Vec<Vec<u8>> {
    match v {
        Value::SetInt(is) => open(is)
            .iter()
            .map(|n| n.to_string().into_bytes())
            .collect(),
        Value::SetTable(d) => d.keys().map(|k| k.to_vec()).collect(),
        _ => Vec::new(),
    }
}

fn set_len(v: &Value) -> usize {
    match v {
        // The intset header keeps the length (bytes 4..8): no copy needed.
        Value::SetInt(is) => match is.as_bytes().get(4..8) {
            Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]) as usize,
            _ => open(is).len(),
        },
        Value::SetTable(d) => d.len(),
        _ => 0,
    }
}

fn contains(v: &Value, m: &[u8]) -> bool {
    match v {
        Value::SetInt(is) => parse_i64(m).is_some_and(|n| open(is).contains(n)),
        Value::SetTable(d) => d.contains_key(m),
        _ => false,
    }
}

fn to_table(v: &mut Value) {
    if let Value::SetInt(_) = v {
        let mut d: Dict<Sds, ()> = Dict::with_capacity(set_len(v));
        for m in members(v) {
            d.insert(Sds::new(&m), ());
        }
        *v = Value::SetTable(Box::new(d));
    }
}

// ANCHOR: add
/// Adds `m`; true if new. Converts an intset first when `m` is not a
/// canonical integer or the set is full (invariant 1).
fn add(v: &mut Value, m: &[u8], max_intset: usize) -> bool {
    if let Value::SetInt(bytes) = v {
        let mut is = open(bytes);
        match parse_i64(m) {
            Some(n) if is.contains(n) => return false,
            Some(n) if is.len() < max_intset => {
                is.insert(n);
                *v = close(&is);
                return true;
            }
            _ => to_table(v),
        }
    }
    match v {
        // Look before allocating: re-adding an existing member is common
        // and should not build a key string only to drop it.
        Value::SetTable(d) if d.contains_key(m) => false,
        Value::SetTable(d) => d.insert(Sds::new(m), ()).is_none(),
        _ => false,
    }
}
// ANCHOR_END: add

fn remove(v: &mut Value, m: &[u8]) -> bool {
    match v {
        Value::SetInt(bytes) => {
            let mut is = open(bytes);
            let removed = parse_i64(m).is_some_and(|n| is.remove(n));
            if removed {
                *v = close(&is);
            }
            removed
        }
        Value::SetTable(d) => d.remove(m).is_some(),
        _ => false,
    }
}

/// A new set holding `items`, encoded as SADD would encode it
/// (invariant 3).
fn build(items: &[Vec<u8>], max_intset: usize) -> Value {
    let mut v = close(&Intset::new());
    for m in items {
        add(&mut v, m, max_intset);
    }
    v
}

fn read<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut Value>, Reply> {
    let now = ctx.srv.now_ms;
    match ctx.db().lookup_read(key, now) {
        Some(o) => match &o.value {
            Value::SetInt(_) | Value::SetTable(_) => Ok(Some(&mut o.value)),
            _ => Err(Reply::error(ERR_WRONGTYPE)),
        },
        None => Ok(None),
    }
}

fn write_existing<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut Value>, Reply> {
    let now = ctx.srv.now_ms;
    match ctx.db().lookup_write(key, now) {
        Some(o) => match &o.value {
            Value::SetInt(_) | Value::SetTable(_) => Ok(Some(&mut o.value)),
            _ => Err(Reply::error(ERR_WRONGTYPE)),
        },
        None => Ok(None),
    }
}

fn delete_if_empty(ctx: &mut Ctx, key: &[u8]) {
    let now = ctx.srv.now_ms;
    if ctx
        .db()
        .lookup_write(key, now)
        .is_some_and(|o| set_len(&o.value) == 0)
    {
        ctx.db().remove(key);
        ctx.notify(class::GENERIC, "del", key);
    }
}

fn max_intset(ctx: &Ctx) -> usize {
    ctx.srv.config.set_max_intset_entries
}

/// Replaces `key` with the set `v` (deleting it when `v` is empty).
/// Returns the new size and whether an old value was removed.
fn store(ctx: &mut Ctx, key: &[u8], v: Value) -> (usize, bool) {
    let n = set_len(&v);
    if n == 0 {
        return (0, ctx.db().remove(key).is_some());
    }
    let lru = object::lru_clock(ctx.srv.now_ms);
    // An overwrite keeps the key (no `new` event) and drops its TTL.
    ctx.db().set(key, RObj::new(v, lru), false);
    (n, false)
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

fn sadd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let max = max_intset(ctx);
    let key = &argv[1];
    match write_existing(ctx, key) {
        Ok(Some(v)) => {
            let n = argv[2..].iter().filter(|m| add(v, m, max)).count();
            if n > 0 {
                ctx.modified(class::SET, "sadd", key);
            }
            Reply::Integer(n as i64)
        }
        Ok(None) => {
            let v = build(&argv[2..], max);
            let (n, _) = store(ctx, key, v);
            ctx.modified(class::SET, "sadd", key);
            Reply::Integer(n as i64)
        }
        Err(e) => e,
    }
}

fn srem(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let key = &argv[1];
    let n = match write_existing(ctx, key) {
        Ok(Some(v)) => argv[2..].iter().filter(|m| remove(v, m)).count(),
        Ok(None) => 0,
        Err(e) => return e,
    };
    if n > 0 {
        ctx.modified(class::SET, "srem", key);
    }
    delete_if_empty(ctx, key);
    Reply::Integer(n as i64)
}

fn scard(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    match read(ctx, &argv[1]) {
        Ok(v) => Reply::Integer(v.map_or(0, |v| set_len(v)) as i64),
        Err(e) => e,
    }
}

fn sismember(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    match read(ctx, &argv[1]) {
        Ok(v) => Reply::Integer(v.is_some_and(|v| contains(v, &argv[2])) as i64),
        Err(e) => e,
    }
}

fn smismember(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    match read(ctx, &argv[1]) {
        Ok(v) => Reply::Array(
            argv[2..]
                .iter()
                .map(|m| Reply::Integer(v.as_ref().is_some_and(|v| contains(v, m)) as i64))
                .collect(),
        ),
        Err(e) => e,
    }
}

fn smembers(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    match read(ctx, &argv[1]) {
        Ok(Some(v)) => Reply::Set(members(v).into_iter().map(Reply::Bulk).collect()),
        Ok(None) => Reply::Set(vec![]),
        Err(e) => e,
    }
}

fn parse_count(argv: &[Vec<u8>]) -> Result<Option<i64>, Reply> {
    if argv.len() > 3 {
        return Err(Reply::error(ERR_SYNTAX));
    }
    match argv.get(2) {
        Some(a) => parse_i64(a)
            .map(Some)
            .ok_or_else(|| Reply::error(ERR_NOT_INTEGER)),
        None => Ok(None),
    }
}

fn spop(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    const OUT_OF_RANGE: &str = "ERR value is out of range, must be positive";
    let count = match parse_count(argv) {
        Ok(Some(n)) if n < 0 => return Reply::error(OUT_OF_RANGE),
        Ok(c) => c,
        // SPOP's count error is its own for junk too (unlike SRANDMEMBER).
        Err(Reply::Error(e)) if e.contains("integer") => return Reply::error(OUT_OF_RANGE),
        Err(e) => return e,
    };
    let mut seed = crate::server::unix_us() ^ ctx.client.id.rotate_left(17);
    let key = &argv[1];
    let v = match write_existing(ctx, key) {
        Ok(Some(v)) => v,
        Ok(None) => {
            return match count {
                Some(_) => Reply::Set(vec![]),
                None => Reply::Null,
            }
        }
        Err(e) => return e,
    };
    let reply = match count {
        None => match random_member(v, &mut seed) {
            Some(m) => {
                remove(v, &m);
                Reply::Bulk(m)
            }
            None => Reply::Null,
        },
        Some(n) => {
            let all = members(v);
            let picks = pick_indexes(&mut seed, all.len(), n);
            let mut out = Vec::with_capacity(picks.len());
            for i in picks {
                remove(v, &all[i]);
                out.push(Reply::Bulk(all[i].clone()));
            }
            Reply::Set(out)
        }
    };
    if !matches!(&reply, Reply::Null) && !matches!(&reply, Reply::Set(v) if v.is_empty()) {
        ctx.modified(class::SET, "spop", key);
        // Which members went is random: propagate them by name.
        let popped: Vec<&[u8]> = match &reply {
            Reply::Bulk(m) => vec![m.as_slice()],
            Reply::Set(items) => items
                .iter()
                .filter_map(|r| match r {
                    Reply::Bulk(m) => Some(m.as_slice()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let mut srem = vec![b"SREM".to_vec(), key.to_vec()];
        srem.extend(popped.iter().map(|m| m.to_vec()));
        ctx.propagate_as(vec![srem]);
    }
    delete_if_empty(ctx, key); // invariant 2
    reply
}

fn srandmember(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let count = match parse_count(argv) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let mut seed = crate::server::unix_us() ^ ctx.client.id.rotate_left(17);
    let all = match read(ctx, &argv[1]) {
        Ok(Some(v)) if count.is_none() => {
            return random_member(v, &mut seed).map_or(Reply::Null, Reply::Bulk)
        }
        Ok(Some(v)) => members(v),
        Ok(None) => {
            return match count {
                Some(_) => Reply::Array(vec![]),
                None => Reply::Null,
            }
        }
        Err(e) => return e,
    };
    match count {
        None => Reply::Null,
        Some(n) => Reply::Array(
            pick_indexes(&mut seed, all.len(), n)
                .into_iter()
                .map(|i| Reply::Bulk(all[i].clone()))
                .collect(),
        ),
    }
}

fn smove(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let (src, dst, m) = (&argv[1], &argv[2], &argv[3]);
    let max = max_intset(ctx);
    // As Redis: a missing source is 0 before any type check; then both
    // are type-checked before anything changes.
    let now = ctx.srv.now_ms;
    if !ctx.db().exists(src, now) {
        return Reply::Integer(0);
    }
    if let Err(e) = write_existing(ctx, dst) {
        return e;
    }
    let removed = match write_existing(ctx, src) {
        Ok(Some(v)) => {
            if src == dst {
                return Reply::Integer(contains(v, m) as i64);
            }
            remove(v, m)
        }
        Ok(None) => false,
        Err(e) => return e,
    };
    if !removed {
        return Reply::Integer(0);
    }
    ctx.modified(class::SET, "srem", src);
    delete_if_empty(ctx, src);
    let added = match write_existing(ctx, dst) {
        Ok(Some(v)) => add(v, m, max),
        _ => {
            let v = build(std::slice::from_ref(m), max);
            store(ctx, dst, v);
            true
        }
    };
    if added {
        ctx.modified(class::SET, "sadd", dst);
    }
    Reply::Integer(1)
}

/// The member lists of `keys` (None for a missing key), or WRONGTYPE.
fn load_sets(ctx: &mut Ctx, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<Vec<u8>>>>, Reply> {
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        out.push(read(ctx, k)?.map(|v| members(v)));
    }
    Ok(out)
}

// ANCHOR: inter
/// Intersection, starting from the smallest set so each candidate is
/// checked against the others at most once.
fn inter(ctx: &mut Ctx, keys: &[Vec<u8>], limit: usize) -> Result<Vec<Vec<u8>>, Reply> {
    let sets = load_sets(ctx, keys)?;
    if sets.iter().any(|s| s.is_none()) {
        return Ok(Vec::new());
    }
    let mut sets: Vec<Vec<Vec<u8>>> = sets.into_iter().flatten().collect();
    sets.sort_by_key(|s| s.len());
    let Some((first, rest)) = sets.split_first() else {
        return Ok(Vec::new());
    };
    let lookups: Vec<std::collections::HashSet<&[u8]>> = rest
        .iter()
        .map(|s| s.iter().map(|m| m.as_slice()).collect())
        .collect();
    let mut out = Vec::new();
    for m in first {
        if lookups.iter().all(|l| l.contains(m.as_slice())) {
            out.push(m.clone());
            if limit > 0 && out.len() >= limit {
                break;
            }
        }
    }
    Ok(out)
}
// ANCHOR_END: inter

fn union(ctx: &mut Ctx, keys: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, Reply> {
    let sets = load_sets(ctx, keys)?;
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for m in sets.into_iter().flatten().flatten() {
        if seen.insert(m.clone()) {
            out.push(m);
        }
    }
    Ok(out)
}

// ANCHOR: diff
/// SDIFF with Redis's choice of algorithm, by estimated work:
///
/// 1. for each member of the first set, look it up in the others:
///    about |first| x sets / 2 lookups (half, on average, stop early);
/// 2. copy the first set and remove every member of the others:
///    |first| + the sum of the others' sizes.
///
/// Algorithm 1 wins when the first set is small next to the others.
fn diff(ctx: &mut Ctx, keys: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, Reply> {
    // Type-check every key before any work, as Redis does.
    let mut sizes = Vec::with_capacity(keys.len());
    for k in keys {
        sizes.push(read(ctx, k)?.map(|v| set_len(v)));
    }
    let Some(first_len) = sizes[0] else {
        return Ok(Vec::new());
    };
    let (mut algo_one, mut algo_two) = (0usize, 0usize);
    for n in sizes.iter().flatten() {
        algo_one += first_len;
        algo_two += n;
    }
    algo_one /= 2;
    let first = match read(ctx, &keys[0])? {
        Some(v) => members(v),
        None => return Ok(Vec::new()),
    };
    if algo_one <= algo_two {
        // Bigger sets first: a member they hold is dropped sooner.
        let mut others: Vec<(usize, &Vec<u8>)> = keys[1..]
            .iter()
            .zip(&sizes[1..])
            .filter_map(|(k, n)| n.map(|n| (n, k)))
            .collect();
        others.sort_by_key(|o| std::cmp::Reverse(o.0));
        let now = ctx.srv.now_ms;
        let mut out = Vec::new();
        'members: for m in first {
            for (_, k) in &others {
                // `peek`: the keys were looked up (and counted) above.
                if ctx
                    .db()
                    .peek(k, now)
                    .is_some_and(|o| contains(&o.value, &m))
                {
                    continue 'members;
                }
            }
            out.push(m);
        }
        Ok(out)
    } else {
        let mut left: std::collections::HashSet<Vec<u8>> = first.iter().cloned().collect();
        for k in &keys[1..] {
            if let Some(v) = read(ctx, k)? {
                for m in members(v) {
                    left.remove(&m);
                }
            }
        }
        Ok(first.into_iter().filter(|m| left.contains(m)).collect())
    }
}
// ANCHOR_END: diff

fn set_reply(items: Vec<Vec<u8>>) -> Reply {
    Reply::Set(items.into_iter().map(Reply::Bulk).collect())
}

fn sinter(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    inter(ctx, &argv[1..], 0).map_or_else(|e| e, set_reply)
}

fn sunion(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    union(ctx, &argv[1..]).map_or_else(|e| e, set_reply)
}

fn sdiff(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    diff(ctx, &argv[1..]).map_or_else(|e| e, set_reply)
}

/// The *STORE commands' last step; `event` is the command's name.
fn store_result(ctx: &mut Ctx, dst: &[u8], r: Result<Vec<Vec<u8>>, Reply>, event: &str) -> Reply {
    match r {
        Ok(items) => {
            let max = max_intset(ctx);
            let v = build(&items, max);
            let (n, existed) = store(ctx, dst, v);
            if n > 0 {
                ctx.modified(class::SET, event, dst);
            } else if existed {
                ctx.modified(class::GENERIC, "del", dst);
            }
            Reply::Integer(n as i64)
        }
        Err(e) => e,
    }
}

fn sinterstore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let r = inter(ctx, &argv[2..], 0);
    store_result(ctx, &argv[1], r, "sinterstore")
}

fn sunionstore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let r = union(ctx, &argv[2..]);
    store_result(ctx, &argv[1], r, "sunionstore")
}

fn sdiffstore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let r = diff(ctx, &argv[2..]);
    store_result(ctx, &argv[1], r, "sdiffstore")
}

fn sintercard(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let numkeys = match parse_i64(&argv[1]) {
        Some(n) if n > 0 => n as usize,
        _ => return Reply::error("ERR numkeys should be greater than 0"),
    };
    if numkeys > argv.len() - 2 {
        return Reply::error("ERR Number of keys can't be greater than number of args");
    }
    let keys = &argv[2..2 + numkeys];
    let mut limit = 0;
    let mut i = 2 + numkeys;
    while i < argv.len() {
        if eq_ic(&argv[i], "limit") && i + 1 < argv.len() {
            match parse_i64(&argv[i + 1]) {
                Some(n) if n >= 0 => limit = n as usize,
                _ => return Reply::error("ERR LIMIT can't be negative"),
            }
            i += 2;
        } else {
            return Reply::error(ERR_SYNTAX);
        }
    }
    match inter(ctx, keys, limit) {
        Ok(items) => Reply::Integer(items.len() as i64),
        Err(e) => e,
    }
}

fn sscan(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let opts = match parse_scan_options(argv, 3) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let v = match read(ctx, &argv[1]) {
        Ok(Some(v)) => v,
        Ok(None) => return scan_reply(0, vec![]),
        Err(e) => return e,
    };
    let mut out = Vec::new();
    let next = match v {
        // An intset is small: one call returns it all (as Redis).
        Value::SetInt(_) => {
            out = members(v).into_iter().filter(|m| opts.matches(m)).collect();
            0
        }
        Value::SetTable(d) => super::scan_dict(d, opts.cursor, opts.count, |k, _| {
            if opts.matches(k.as_bytes()) {
                out.push(k.to_vec());
                1
            } else {
                0
            }
        }),
        _ => 0,
    };
    scan_reply(next, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_stay_in_an_intset_until_a_string_or_the_limit_arrives() {
        let mut v = build(&[b"1".to_vec(), b"2".to_vec()], 3);
        assert!(matches!(v, Value::SetInt(_)));
        add(&mut v, b"3", 3);
        assert!(matches!(v, Value::SetInt(_)));
        add(&mut v, b"4", 3);
        assert!(matches!(v, Value::SetTable(_)));
        let mut w = build(&[b"1".to_vec()], 10);
        add(&mut w, b"01", 10);
        assert!(matches!(w, Value::SetTable(_)));
        assert!(contains(&w, b"01") && contains(&w, b"1"));
    }

    #[test]
    fn picks_follow_redis_count_rules() {
        let mut seed = 42;
        assert_eq!(pick_indexes(&mut seed, 5, 0), Vec::<usize>::new());
        assert_eq!(pick_indexes(&mut seed, 5, 10).len(), 5);
        let three = pick_indexes(&mut seed, 5, 3);
        let mut d = three.clone();
        d.sort();
        d.dedup();
        assert_eq!(d.len(), 3);
        assert_eq!(pick_indexes(&mut seed, 2, -7).len(), 7);
    }
}
