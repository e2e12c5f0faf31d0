//! Hash commands: HSET and friends, over the two hash encodings.
//!
//! Chapter: chapters/14-hashes.md
//!
//! A hash is a `listpack` of field, value, field, value... while it has at
//! most `hash-max-listpack-entries` fields and every field and value is at
//! most `hash-max-listpack-value` bytes; past either limit it converts,
//! once and for good, to a `hashtable` (our dict of SDS to SDS).
//!
//! ```text
//!   listpack:  [ "name" | "ada" | "born" | 1815 ]   (insertion order)
//!   hashtable: dict { "name" -> "ada", "born" -> "1815", ... }
//! ```
//!
//! Invariants:
//! 1. A listpack hash never exceeds either threshold: conversion happens
//!    before the write that would cross it completes.
//! 2. A hash never converts back to a listpack, even after deletes (as
//!    Redis).
//! 3. A hash key is never empty: deleting the last field deletes the key.
//!
//! Not here: the listpack and dict themselves (`ds/`).

use super::flag::*;
use super::string::ERR_WRONGTYPE;
use super::{acl, eq_ic, parse_i64, Command, ERR_NOT_INTEGER, ERR_SYNTAX};
use crate::db::object::{self, RObj, Value};
use crate::ds::dict::Dict;
use crate::ds::listpack::Listpack;
use crate::ds::longdouble::LongDouble;
use crate::ds::sds::Sds;
use crate::resp::Reply;
use crate::server::notify::class;
use crate::server::Ctx;

pub static COMMANDS: &[Command] = &[
    Command::new("hset", hset, -4, WRITE | DENYOOM | FAST)
        .keys(1, 1, 1)
        .acl(acl::HASH)
        .doc("hash", "2.0.0", "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.", "Set the string value of a hash field")
        .syntax("key (field:string value:string)..."),
    Command::new("hmset", hmset, -4, WRITE | DENYOOM | FAST)
        .keys(1, 1, 1)
        .acl(acl::HASH)
        .doc("hash", "2.0.0", "O(N) where N is the number of fields being set.", "Set multiple hash fields to multiple values")
        .syntax("key (field:string value:string)..."),
    Command::new("hsetnx", hsetnx, 4, WRITE | DENYOOM | FAST)
        .keys(1, 1, 1)
        .acl(acl::HASH)
        .doc("hash", "2.0.0", "O(1)", "Set the value of a hash field, only if the field does not exist")
        .syntax("key field:string value:string"),
    Command::new("hget", hget, 3, READONLY | FAST)
        .keys(1, 1, 1)
        .acl(acl::HASH)
        .doc("hash", "2.0.0", "O(1)", "Get the value of a hash field")
        .syntax("key field:string"),
    Command::new("hmget", hmget, -3, READONLY | FAST)
        .keys(1, 1, 1)
        .acl(acl::HASH)
        .doc("hash", "2.0.0", "O(N) where N is the number of fields being requested.", "Get the values of all the given hash fields")
        .syntax("key field:string..."),
    Command::new("hdel", hdel, -3, WRITE | FAST)
        .keys(1, 1, 1)
        .acl(acl::HASH)
        .doc("hash", "2.0.0", "O(N) where N is the number of fields to be removed.", "Delete one or more hash fields")
        .syntax("key field:string..."),
    Command::new("hlen", hlen, 2, READONLY | FAST)
        .keys(1, 1, 1)
        .acl(acl::HASH)
        .doc("hash", "2.0.0", "O(1)", "Get the number of fields in a hash")
        .syntax("key"),
    Command::new("hstrlen", hstrlen, 3, READONLY | FAST)
        .keys(1, 1, 1)
        .acl(acl::HASH)
        .doc("hash", "3.2.0", "O(1)", "Get the length of the value of a hash field")
        .syntax("key field:string"),
    Command::new("hexists", hexists, 3, READONLY | FAST)
        .keys(1, 1, 1)
        .acl(acl::HASH)
        .doc("hash", "2.0.0", "O(1)", "Determine if a hash field exists")
        .syntax("key field:string"),
    Command::new("hkeys", hkeys, 2, READONLY)
        .keys(1, 1, 1)
        .acl(acl::HASH)
        .doc("hash", "2.0.0", "O(N) where N is the size of the hash.", "Get all the fields in a hash")
        .syntax("key"),
    Command::new("hvals", hvals, 2, READONLY)
        .keys(1, 1, 1)
        .acl(acl::HASH)
        .doc("hash", "2.0.0", "O(N) where N is the size of the hash.", "Get all the values in a hash")
        .syntax("key"),
    Command::new("hgetall", hgetall, 2, READONLY)
        .keys(1, 1, 1)
        .acl(acl::HASH)
        .doc("hash", "2.0.0", "O(N) where N is the size of the hash.", "Get all the fields and values in a hash")
        .syntax("key"),
    Command::new("hincrby", hincrby, 4, WRITE | DENYOOM | FAST)
        .keys(1, 1, 1)
        .acl(acl::HASH)
        .doc("hash", "2.0.0", "O(1)", "Increment the integer value of a hash field by the given number")
        .syntax("key field:string increment:integer"),
    Command::new("hincrbyfloat", hincrbyfloat, 4, WRITE | DENYOOM | FAST)
        .keys(1, 1, 1)
        .acl(acl::HASH)
        .doc("hash", "2.6.0", "O(1)", "Increment the float value of a hash field by the given amount")
        .syntax("key field:string increment:double"),
    Command::new("hrandfield", hrandfield, -2, READONLY)
        .keys(1, 1, 1)
        .acl(acl::HASH)
        .doc("hash", "6.2.0", "O(N) where N is the number of fields returned", "Get one or multiple random fields from a hash")
        .syntax("key [count:integer [WITHVALUES]]"),
    Command::new("hscan", hscan, -3, READONLY)
        .keys(1, 1, 1)
        .acl(acl::HASH)
        .doc("hash", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", "Incrementally iterate hash fields and associated values")
        .syntax("key cursor:integer [MATCH pattern:pattern] [COUNT count:integer]"),
];

// ---------------------------------------------------------------------------
// The hash type: one API over both encodings
// ---------------------------------------------------------------------------

/// Finds `field` in a listpack hash; returns the value's position.
fn lp_find(lp: &Listpack, field: &[u8]) -> Option<usize> {
    let mut pos = lp.first();
    while let Some(f) = pos {
        let v = lp.next(f)?;
        if lp.get(f).eq_bytes(field) {
            return Some(v);
        }
        pos = lp.next(v);
    }
    None
}

/// Opens a listpack hash's bytes as a `Listpack` (a copy: small hashes
/// only live in this encoding, at most 512 short entries).
fn open(bytes: &Sds) -> Listpack {
    Listpack::from_trusted(bytes.to_vec())
}

/// Stores a listpack back as exact-size bytes.
fn close(lp: &Listpack) -> Value {
    Value::HashLp(Sds::new(lp.as_bytes()))
}

/// A new, empty listpack hash.
pub fn empty_listpack_hash() -> Value {
    close(&Listpack::new())
}

/// All (field, value) pairs, in the encoding's order.
pub fn pairs(v: &Value) -> Vec<(Vec<u8>, Vec<u8>)> {
    match v {
        Value::HashLp(bytes) => {
            let lp = open(bytes);
            let items: Vec<Vec<u8>> = lp.iter().map(|e| e.to_vec()).collect();
            items
                .chunks(2)
                .filter(|c| c.len() == 2)
                .map(|c| (c[0].clone(), c[1].clone()))
                .collect()
        }
        Value::HashTable(d) => d.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect(),
        _ => Vec::new(),
    }
}

fn hash_len(v: &Value) -> usize {
    match v {
        // The header's count is exact unless it saturated at 65535, which
        // a hash within the listpack limits never does.
        Value::HashLp(bytes) => {
            crate::ds::listpack::header_entry_count(bytes).unwrap_or_else(|| open(bytes).len()) / 2
        }
        Value::HashTable(d) => d.len(),
        _ => 0,
    }
}

pub fn hash_get(v: &Value, field: &[u8]) -> Option<Vec<u8>> {
    match v {
        Value::HashLp(bytes) => {
            let lp = open(bytes);
            lp_find(&lp, field).map(|p| lp.get(p).to_vec())
        }
        Value::HashTable(d) => d.get(field).map(|s| s.to_vec()),
        _ => None,
    }
}

/// Limits from the configuration.
struct Limits {
    entries: usize,
    value: usize,
}

fn limits(ctx: &Ctx) -> Limits {
    Limits {
        entries: ctx.srv.config.hash_max_listpack_entries,
        value: ctx.srv.config.hash_max_listpack_value,
    }
}

// ANCHOR: convert
/// Converts a listpack hash to a hashtable (invariant 1).
fn convert(v: &mut Value) {
    if let Value::HashLp(_) = v {
        let mut d: Dict<Sds, Sds> = Dict::with_capacity(hash_len(v));
        for (f, val) in pairs(v) {
            d.insert(Sds::new(&f), Sds::new(&val));
        }
        *v = Value::HashTable(Box::new(d));
    }
}

/// Sets `field` to `value`; true if the field is new. Converts first if
/// the field or value is too long, after if the count got too large.
fn hash_set(v: &mut Value, field: &[u8], value: &[u8], lim: &Limits) -> bool {
    // Redis's lpSafeToAdd as well: even with huge configured limits a
    // listpack never grows past listpack::SAFETY_LIMIT (1 GB), far below
    // what its u32 header can describe.
    let too_big =
        |bytes: &Sds| bytes.len() + field.len() + value.len() > crate::ds::listpack::SAFETY_LIMIT;
    if matches!(v, Value::HashLp(b) if field.len() > lim.value || value.len() > lim.value || too_big(b))
    {
        convert(v);
    }
    let new = match v {
        Value::HashLp(bytes) => {
            let mut lp = open(bytes);
            let new = match lp_find(&lp, field) {
                Some(p) => {
                    lp.replace(p, value);
                    false
                }
                None => {
                    lp.push_back(field);
                    lp.push_back(value);
                    true
                }
            };
            *v = close(&lp);
            new
        }
        // Overwriting an existing field replaces only the value: no new
        // key string is allocated just to be thrown away.
        Value::HashTable(d) => match d.get_mut(field) {
            Some(slot) => {
                *slot = Sds::new(value);
                false
            }
            None => {
                d.insert(Sds::new(field), Sds::new(value));
                true
            }
        },
        _ => false,
    };
    if new && matches!(v, Value::HashLp(_)) && hash_len(v) > lim.entries {
        convert(v);
    }
    new
}
// ANCHOR_END: convert

fn hash_del(v: &mut Value, field: &[u8]) -> bool {
    match v {
        Value::HashLp(bytes) => {
            let mut lp = open(bytes);
            match lp_find(&lp, field) {
                Some(vp) => {
                    let fp = lp.prev(vp).unwrap_or(vp);
                    // Delete field then value: after deleting the field the
                    // value slides into its position.
                    let next = lp.delete(fp);
                    if let Some(p) = next {
                        lp.delete(p);
                    }
                    *v = close(&lp);
                    true
                }
                None => false,
            }
        }
        Value::HashTable(d) => d.remove(field).is_some(),
        _ => false,
    }
}

/// The hash at `key` for reading: Ok(None) missing, Err WRONGTYPE.
fn read<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut Value>, Reply> {
    let now = ctx.srv.now_ms;
    match ctx.db().lookup_read(key, now) {
        Some(o) => match &o.value {
            Value::HashLp(_) | Value::HashTable(_) => Ok(Some(&mut o.value)),
            _ => Err(Reply::error(ERR_WRONGTYPE)),
        },
        None => Ok(None),
    }
}

/// The hash at `key` for writing, created empty when missing.
fn write<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<&'a mut Value, Reply> {
    let now = ctx.srv.now_ms;
    let exists = match ctx.db().lookup_write(key, now) {
        Some(o) => match o.value {
            Value::HashLp(_) | Value::HashTable(_) => true,
            _ => return Err(Reply::error(ERR_WRONGTYPE)),
        },
        None => false,
    };
    if !exists {
        let obj = RObj::new(empty_listpack_hash(), object::lru_clock(now));
        ctx.db().add(key, obj);
    }
    match ctx.db().lookup_write(key, now) {
        Some(o) => Ok(&mut o.value),
        None => Err(Reply::error(ERR_WRONGTYPE)),
    }
}

fn delete_if_empty(ctx: &mut Ctx, key: &[u8]) {
    let now = ctx.srv.now_ms;
    if ctx
        .db()
        .lookup_write(key, now)
        .is_some_and(|o| hash_len(&o.value) == 0)
    {
        ctx.db().remove(key);
        ctx.notify(class::GENERIC, "del", key);
    }
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

fn hset_generic(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Result<usize, Reply> {
    if argv.len() % 2 == 1 {
        let name = String::from_utf8_lossy(&argv[0]).to_lowercase();
        return Err(Reply::error(format!(
            "ERR wrong number of arguments for '{}' command",
            name
        )));
    }
    let lim = limits(ctx);
    let v = write(ctx, &argv[1])?;
    let mut created = 0;
    for pair in argv[2..].chunks(2) {
        if hash_set(v, &pair[0], &pair[1], &lim) {
            created += 1;
        }
    }
    ctx.modified(class::HASH, "hset", &argv[1]);
    Ok(created)
}

fn hset(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    match hset_generic(ctx, argv) {
        Ok(n) => Reply::Integer(n as i64),
        Err(e) => e,
    }
}

fn hmset(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    match hset_generic(ctx, argv) {
        Ok(_) => Reply::ok(),
        Err(e) => e,
    }
}

fn hsetnx(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let lim = limits(ctx);
    if let Ok(Some(v)) = read(ctx, &argv[1]) {
        if hash_get(v, &argv[2]).is_some() {
            return Reply::Integer(0);
        }
    }
    match write(ctx, &argv[1]) {
        Ok(v) => {
            hash_set(v, &argv[2], &argv[3], &lim);
            ctx.modified(class::HASH, "hset", &argv[1]);
            Reply::Integer(1)
        }
        Err(e) => e,
    }
}

fn hget(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    match read(ctx, &argv[1]) {
        Ok(Some(v)) => hash_get(v, &argv[2]).map_or(Reply::Null, Reply::Bulk),
        Ok(None) => Reply::Null,
        Err(e) => e,
    }
}

fn hmget(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    match read(ctx, &argv[1]) {
        Ok(Some(v)) => Reply::Array(
            argv[2..]
                .iter()
                .map(|f| hash_get(v, f).map_or(Reply::Null, Reply::Bulk))
                .collect(),
        ),
        Ok(None) => Reply::Array(argv[2..].iter().map(|_| Reply::Null).collect()),
        Err(e) => e,
    }
}

fn hdel(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let now = ctx.srv.now_ms;
    let key = &argv[1];
    let n = match ctx.db().lookup_write(key, now) {
        Some(o) => match &mut o.value {
            v @ (Value::HashLp(_) | Value::HashTable(_)) => {
                argv[2..].iter().filter(|f| hash_del(v, f)).count()
            }
            _ => return Reply::error(ERR_WRONGTYPE),
        },
        None => return Reply::Integer(0),
    };
    if n > 0 {
        ctx.modified(class::HASH, "hdel", key);
    }
    delete_if_empty(ctx, key); // invariant 3
    Reply::Integer(n as i64)
}

fn hlen(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    match read(ctx, &argv[1]) {
        Ok(Some(v)) => Reply::Integer(hash_len(v) as i64),
        Ok(None) => Reply::Integer(0),
        Err(e) => e,
    }
}

fn hstrlen(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    match read(ctx, &argv[1]) {
        Ok(Some(v)) => Reply::Integer(hash_get(v, &argv[2]).map_or(0, |s| s.len()) as i64),
        Ok(None) => Reply::Integer(0),
        Err(e) => e,
    }
}

fn hexists(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    match read(ctx, &argv[1]) {
        Ok(Some(v)) => Reply::Integer(hash_get(v, &argv[2]).is_some() as i64),
        Ok(None) => Reply::Integer(0),
        Err(e) => e,
    }
}

fn getall(ctx: &mut Ctx, key: &[u8], fields: bool, values: bool) -> Reply {
    match read(ctx, key) {
        Ok(Some(v)) => {
            let p = pairs(v);
            if fields && values {
                return Reply::Map(
                    p.into_iter()
                        .map(|(f, v)| (Reply::Bulk(f), Reply::Bulk(v)))
                        .collect(),
                );
            }
            Reply::Array(
                p.into_iter()
                    .map(|(f, v)| Reply::Bulk(if fields { f } else { v }))
                    .collect(),
            )
        }
        Ok(None) if fields && values => Reply::Map(vec![]),
        Ok(None) => Reply::Array(vec![]),
        Err(e) => e,
    }
}

fn hkeys(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    getall(ctx, &argv[1], true, false)
}

fn hvals(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    getall(ctx, &argv[1], false, true)
}

fn hgetall(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    getall(ctx, &argv[1], true, true)
}

fn hincrby(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let Some(incr) = parse_i64(&argv[3]) else {
        return Reply::error(ERR_NOT_INTEGER);
    };
    let lim = limits(ctx);
    let v = match write(ctx, &argv[1]) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let current = match hash_get(v, &argv[2]) {
        Some(b) => match parse_i64(&b) {
            Some(n) => n,
            None => return Reply::error("ERR hash value is not an integer"),
        },
        None => 0,
    };
    let Some(new) = current.checked_add(incr) else {
        return Reply::error("ERR increment or decrement would overflow");
    };
    hash_set(v, &argv[2], new.to_string().as_bytes(), &lim);
    ctx.modified(class::HASH, "hincrby", &argv[1]);
    Reply::Integer(new)
}

fn hincrbyfloat(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let Some(incr) = LongDouble::parse(&argv[3]) else {
        return Reply::error("ERR value is not a valid float");
    };
    if !incr.is_finite() {
        return Reply::error("ERR value is NaN or Infinity");
    }
    let lim = limits(ctx);
    let v = match write(ctx, &argv[1]) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let current = match hash_get(v, &argv[2]) {
        Some(b) => match LongDouble::parse(&b) {
            Some(n) => n,
            None => return Reply::error("ERR hash value is not a float"),
        },
        None => LongDouble::from_i64(0),
    };
    let sum = current.add(incr);
    if !sum.is_finite() {
        return Reply::error("ERR increment would produce NaN or Infinity");
    }
    let Some(text) = sum.to_human_string() else {
        return Reply::error("ERR value is not a valid float");
    };
    hash_set(v, &argv[2], text.as_bytes(), &lim);
    ctx.modified(class::HASH, "hincrbyfloat", &argv[1]);
    // Propagate the result, not the float arithmetic.
    ctx.propagate_as(vec![crate::server::propagate::argv(&[
        b"HSET",
        &argv[1],
        &argv[2],
        text.as_bytes(),
    ])]);
    Reply::Bulk(text.into_bytes())
}

/// HRANDFIELD key [count [WITHVALUES]]: Redis's count rules. count >= 0:
/// distinct fields, at most the hash's size; count < 0: |count| fields,
/// repeats allowed.
fn hrandfield(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    if argv.len() > 4 {
        return Reply::error(ERR_SYNTAX);
    }
    let count = match argv.get(2) {
        Some(a) => match parse_i64(a) {
            Some(n) => Some(n),
            None => return Reply::error(ERR_NOT_INTEGER),
        },
        None => None,
    };
    let withvalues = match argv.get(3) {
        Some(a) if eq_ic(a, "withvalues") => true,
        Some(_) => return Reply::error(ERR_SYNTAX),
        None => false,
    };
    let mut seed = crate::server::unix_us() ^ ctx.client.id.rotate_left(32);
    let p = match read(ctx, &argv[1]) {
        Ok(Some(v)) => pairs(v),
        Ok(None) => {
            return match count {
                Some(_) => Reply::Array(vec![]),
                None => Reply::Null,
            }
        }
        Err(e) => return e,
    };
    let Some(count) = count else {
        let i = super::set::random_index(&mut seed, p.len());
        return Reply::Bulk(p[i].0.clone());
    };
    let picks = super::set::pick_indexes(&mut seed, p.len(), count);
    let mut out = Vec::new();
    for i in picks {
        let (f, v) = &p[i];
        if withvalues && ctx.client.resp == crate::resp::Protocol::Resp3 {
            out.push(Reply::Array(vec![
                Reply::Bulk(f.clone()),
                Reply::Bulk(v.clone()),
            ]));
        } else {
            out.push(Reply::Bulk(f.clone()));
            if withvalues {
                out.push(Reply::Bulk(v.clone()));
            }
        }
    }
    Reply::Array(out)
}

fn hscan(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let opts = match super::set::parse_scan_options(argv, 3) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let v = match read(ctx, &argv[1]) {
        Ok(Some(v)) => v,
        Ok(None) => return super::set::scan_reply(0, vec![]),
        Err(e) => return e,
    };
    let mut out = Vec::new();
    let next = match v {
        // A listpack hash is small: one call returns it all (as Redis).
        Value::HashLp(_) => {
            for (f, val) in pairs(v) {
                if opts.matches(&f) {
                    out.push(f);
                    out.push(val);
                }
            }
            0
        }
        Value::HashTable(d) => super::scan_dict(d, opts.cursor, opts.count, |k, val| {
            if opts.matches(k.as_bytes()) {
                out.push(k.to_vec());
                out.push(val.to_vec());
                1
            } else {
                0
            }
        }),
        _ => 0,
    };
    super::set::scan_reply(next, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lim() -> Limits {
        Limits {
            entries: 2,
            value: 4,
        }
    }

    #[test]
    fn a_long_value_converts_to_a_hashtable_before_it_is_stored() {
        let mut v = empty_listpack_hash();
        assert!(hash_set(&mut v, b"a", b"1", &lim()));
        assert!(matches!(v, Value::HashLp(_)));
        assert!(hash_set(&mut v, b"b", b"12345", &lim()));
        assert!(matches!(v, Value::HashTable(_)));
        assert_eq!(hash_get(&v, b"b"), Some(b"12345".to_vec()));
    }

    #[test]
    fn one_field_too_many_converts_and_deletes_never_convert_back() {
        let mut v = empty_listpack_hash();
        hash_set(&mut v, b"a", b"1", &lim());
        hash_set(&mut v, b"b", b"2", &lim());
        assert!(matches!(v, Value::HashLp(_)));
        hash_set(&mut v, b"c", b"3", &lim());
        assert!(matches!(v, Value::HashTable(_)));
        hash_del(&mut v, b"c");
        hash_del(&mut v, b"b");
        assert!(matches!(v, Value::HashTable(_)));
        assert_eq!(hash_len(&v), 1);
    }

    #[test]
    fn listpack_delete_removes_the_field_and_its_value() {
        let mut v = empty_listpack_hash();
        let big = Limits {
            entries: 10,
            value: 10,
        };
        hash_set(&mut v, b"a", b"1", &big);
        hash_set(&mut v, b"b", b"2", &big);
        hash_set(&mut v, b"c", b"3", &big);
        assert!(hash_del(&mut v, b"b"));
        assert_eq!(
            pairs(&v),
            vec![
                (b"a".to_vec(), b"1".to_vec()),
                (b"c".to_vec(), b"3".to_vec())
            ]
        );
        assert!(!hash_del(&mut v, b"zz"));
    }

    #[test]
    fn a_value_that_equals_a_field_name_is_not_found_as_a_field() {
        let mut v = empty_listpack_hash();
        let big = Limits {
            entries: 10,
            value: 10,
        };
        hash_set(&mut v, b"a", b"b", &big);
        assert_eq!(hash_get(&v, b"b"), None);
    }
}
