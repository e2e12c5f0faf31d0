//! List commands: pushes and pops at both ends, indexes and ranges,
//! LINSERT/LREM/LTRIM/LPOS, the moves (LMOVE, RPOPLPUSH, LMPOP) and their
//! blocking forms (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP).
//!
//! Chapter: chapters/13-lists.md
//!
//! Every list is a quicklist (`ds/quicklist.rs`), whose fill and
//! compression come from `list-max-listpack-size` and
//! `list-compress-depth` when the list is created.
//!
//! Invariants:
//! 1. A list key never holds an empty list: the command that removes the
//!    last element deletes the key.
//! 2. A blocking command that can pop, pops and replies exactly like its
//!    non-blocking form; only when every key is empty does it block.
//!
//! Not here: waking blocked clients (`server/blocking.rs`), SORT
//! (`sort.rs`).

use super::flag::*;
use super::string::ERR_WRONGTYPE;
use super::{acl, eq_ic, parse_i64, Command, ERR_NOT_INTEGER, ERR_SYNTAX};
use crate::db::object::{self, ObjType, RObj, Value};
use crate::ds::listpack::LpValue;
use crate::ds::quicklist::Quicklist;
use crate::resp::{self, Reply};
use crate::server::notify::class;
use crate::server::{blocking, propagate, Ctx};

pub static COMMANDS: &[Command] = &[
    Command::new("lpush", lpush, -3, WRITE | DENYOOM | FAST)
        .keys(1, 1, 1)
        .acl(acl::LIST)
        .doc("list", "1.0.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "Prepend one or multiple elements to a list")
        .syntax("key element:string..."),
    Command::new("rpush", rpush, -3, WRITE | DENYOOM | FAST)
        .keys(1, 1, 1)
        .acl(acl::LIST)
        .doc("list", "1.0.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "Append one or multiple elements to a list")
        .syntax("key element:string..."),
    Command::new("lpushx", lpushx, -3, WRITE | DENYOOM | FAST)
        .keys(1, 1, 1)
        .acl(acl::LIST)
        .doc("list", "2.2.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "Prepend an element to a list, only if the list exists")
        .syntax("key element:string..."),
    Command::new("rpushx", rpushx, -3, WRITE | DENYOOM | FAST)
        .keys(1, 1, 1)
        .acl(acl::LIST)
        .doc("list", "2.2.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "Append an element to a list, only if the list exists")
        .syntax("key element:string..."),
    Command::new("lpop", lpop, -2, WRITE | FAST)
        .keys(1, 1, 1)
        .acl(acl::LIST)
        .doc("list", "1.0.0", "O(N) where N is the number of elements returned", "Remove and get the first elements in a list")
        .syntax("key [count:integer]"),
    Command::new("rpop", rpop, -2, WRITE | FAST)
        .keys(1, 1, 1)
        .acl(acl::LIST)
        .doc("list", "1.0.0", "O(N) where N is the number of elements returned", "Remove and get the last elements in a list")
        .syntax("key [count:integer]"),
    Command::new("llen", llen, 2, READONLY | FAST)
        .keys(1, 1, 1)
        .acl(acl::LIST)
        .doc("list", "1.0.0", "O(1)", "Get the length of a list")
        .syntax("key"),
    Command::new("lrange", lrange, 4, READONLY)
        .keys(1, 1, 1)
        .acl(acl::LIST)
        .doc("list", "1.0.0", "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.", "Get a range of elements from a list")
        .syntax("key start:integer stop:integer"),
    Command::new("lindex", lindex, 3, READONLY)
        .keys(1, 1, 1)
        .acl(acl::LIST)
        .doc("list", "1.0.0", "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).", "Get an element from a list by its index")
        .syntax("key index:integer"),
    Command::new("lset", lset, 4, WRITE | DENYOOM)
        .keys(1, 1, 1)
        .acl(acl::LIST)
        .doc("list", "1.0.0", "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).", "Set the value of an element in a list by its index")
        .syntax("key index:integer element:string"),
    Command::new("linsert", linsert, 5, WRITE | DENYOOM)
        .keys(1, 1, 1)
        .acl(acl::LIST)
        .doc("list", "2.2.0", "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).", "Insert an element before or after another element in a list")
        .syntax("key BEFORE|AFTER pivot:string element:string"),
    Command::new("lrem", lrem, 4, WRITE)
        .keys(1, 1, 1)
        .acl(acl::LIST)
        .doc("list", "1.0.0", "O(N+M) where N is the length of the list and M is the number of elements removed.", "Remove elements from a list")
        .syntax("key count:integer element:string"),
    Command::new("ltrim", ltrim, 4, WRITE)
        .keys(1, 1, 1)
        .acl(acl::LIST)
        .doc("list", "1.0.0", "O(N) where N is the number of elements to be removed by the operation.", "Trim a list to the specified range")
        .syntax("key start:integer stop:integer"),
    Command::new("lpos", lpos, -3, READONLY)
        .keys(1, 1, 1)
        .acl(acl::LIST)
        .doc("list", "6.0.6", "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.", "Return the index of matching elements on a list")
        .syntax("key element:string [RANK rank:integer] [COUNT num-matches:integer] [MAXLEN len:integer]"),
    Command::new("lmove", lmove, 5, WRITE | DENYOOM)
        .keys(1, 2, 1)
        .acl(acl::LIST)
        .doc("list", "6.2.0", "O(1)", "Pop an element from a list, push it to another list and return it")
        .syntax("source:key destination:key LEFT|RIGHT LEFT|RIGHT"),
    Command::new("rpoplpush", rpoplpush, 3, WRITE | DENYOOM)
        .keys(1, 2, 1)
        .acl(acl::LIST)
        .doc("list", "1.2.0", "O(1)", "Remove the last element in a list, prepend it to another list and return it")
        .syntax("source:key destination:key"),
    Command::new("lmpop", lmpop, -4, WRITE | MOVABLE_KEYS)
        .keys(2, -1, 1)
        .acl(acl::LIST)
        .doc("list", "7.0.0", "O(N+M) where N is the number of provided keys and M is the number of elements returned.", "Pop elements from a list")
        .syntax("numkeys:integer key... LEFT|RIGHT [COUNT count:integer]"),
    Command::new("blpop", blpop, -3, WRITE | NOSCRIPT | BLOCKING)
        .keys(1, -2, 1)
        .acl(acl::LIST)
        .doc("list", "2.0.0", "O(N) where N is the number of provided keys.", "Remove and get the first element in a list, or block until one is available")
        .syntax("key... timeout:double"),
    Command::new("brpop", brpop, -3, WRITE | NOSCRIPT | BLOCKING)
        .keys(1, -2, 1)
        .acl(acl::LIST)
        .doc("list", "2.0.0", "O(N) where N is the number of provided keys.", "Remove and get the last element in a list, or block until one is available")
        .syntax("key... timeout:double"),
    Command::new("blmove", blmove, 6, WRITE | DENYOOM | NOSCRIPT | BLOCKING)
        .keys(1, 2, 1)
        .acl(acl::LIST)
        .doc("list", "6.2.0", "O(1)", "Pop an element from a list, push it to another list and return it; or block until one is available")
        .syntax("source:key destination:key LEFT|RIGHT LEFT|RIGHT timeout:double"),
    Command::new("brpoplpush", brpoplpush, 4, WRITE | DENYOOM | NOSCRIPT | BLOCKING)
        .keys(1, 2, 1)
        .acl(acl::LIST)
        .doc("list", "2.2.0", "O(1)", "Pop an element from a list, push it to another list and return it; or block until one is available")
        .syntax("source:key destination:key timeout:double"),
    Command::new("blmpop", blmpop, -5, WRITE | BLOCKING | MOVABLE_KEYS)
        .keys(3, -1, 1)
        .acl(acl::LIST)
        .doc("list", "7.0.0", "O(N+M) where N is the number of provided keys and M is the number of elements returned.", "Pop elements from a list or block until one is available")
        .syntax("timeout:double numkeys:integer key... LEFT|RIGHT [COUNT count:integer]"),
];

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// A new empty list with the configured fill and compression.
fn new_list(ctx: &Ctx) -> Quicklist {
    let cfg = &ctx.srv.config;
    Quicklist::new(cfg.list_max_listpack_size, cfg.list_compress_depth)
}

/// The list at `key` for writing; Ok(None) when missing, Err on
/// WRONGTYPE.
fn list_mut<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut Quicklist>, Reply> {
    let now = ctx.srv.now_ms;
    match ctx.db().lookup_write(key, now) {
        Some(RObj {
            value: Value::List(l),
            ..
        }) => Ok(Some(l)),
        Some(_) => Err(Reply::error(ERR_WRONGTYPE)),
        None => Ok(None),
    }
}

/// The list at `key` for reading (counts a keyspace hit or miss).
fn list_read<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut Quicklist>, Reply> {
    let now = ctx.srv.now_ms;
    match ctx.db().lookup_read(key, now) {
        Some(o) => match &mut o.value {
            Value::List(l) => Ok(Some(l)),
            _ => Err(Reply::error(ERR_WRONGTYPE)),
        },
        None => Ok(None),
    }
}

/// Deletes `key` if its list became empty (invariant 1), with the `del`
/// event that follows the command's own.
fn delete_if_empty(ctx: &mut Ctx, key: &[u8]) {
    let now = ctx.srv.now_ms;
    let empty = matches!(
        ctx.db().lookup_write(key, now),
        Some(RObj { value: Value::List(l), .. }) if l.is_empty()
    );
    if empty {
        ctx.db().remove(key);
        ctx.notify(class::GENERIC, "del", key);
    }
}

#[derive(Clone, Copy, PartialEq)]
enum End {
    Left,
    Right,
}

fn parse_end(arg: &[u8]) -> Option<End> {
    if eq_ic(arg, "left") {
        Some(End::Left)
    } else if eq_ic(arg, "right") {
        Some(End::Right)
    } else {
        None
    }
}

fn pop(l: &mut Quicklist, end: End) -> Option<Vec<u8>> {
    match end {
        End::Left => l.pop_front(),
        End::Right => l.pop_back(),
    }
}

fn push(l: &mut Quicklist, end: End, v: &[u8]) {
    match end {
        End::Left => l.push_front(v),
        End::Right => l.push_back(v),
    }
}

/// Keyspace event names of a pop and a push at `end`.
fn pop_event(end: End) -> &'static str {
    match end {
        End::Left => "lpop",
        End::Right => "rpop",
    }
}

fn push_event(end: End) -> &'static str {
    match end {
        End::Left => "lpush",
        End::Right => "rpush",
    }
}

// ---------------------------------------------------------------------------
// Push and pop
// ---------------------------------------------------------------------------

// ANCHOR: push
fn push_generic(ctx: &mut Ctx, argv: &[Vec<u8>], end: End, only_if_exists: bool) -> Reply {
    let key = &argv[1];
    match list_mut(ctx, key) {
        Ok(Some(l)) => {
            for v in &argv[2..] {
                push(l, end, v);
            }
            let len = l.len();
            ctx.modified(class::LIST, push_event(end), key);
            return Reply::Integer(len as i64);
        }
        Ok(None) if only_if_exists => return Reply::Integer(0),
        Ok(None) => {}
        Err(e) => return e,
    }
    let mut l = new_list(ctx);
    for v in &argv[2..] {
        push(&mut l, end, v);
    }
    let len = l.len();
    let lru = object::lru_clock(ctx.srv.now_ms);
    // `add` wakes clients blocked on this key (db invariant 4).
    ctx.db().add(key, RObj::new(Value::List(Box::new(l)), lru));
    ctx.modified(class::LIST, push_event(end), key);
    Reply::Integer(len as i64)
}
// ANCHOR_END: push

fn lpush(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    push_generic(ctx, argv, End::Left, false)
}

fn rpush(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    push_generic(ctx, argv, End::Right, false)
}

fn lpushx(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    push_generic(ctx, argv, End::Left, true)
}

fn rpushx(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    push_generic(ctx, argv, End::Right, true)
}

fn pop_generic(ctx: &mut Ctx, argv: &[Vec<u8>], end: End) -> Reply {
    if argv.len() > 3 {
        let name = String::from_utf8_lossy(&argv[0]).to_lowercase();
        return Reply::error(format!(
            "ERR wrong number of arguments for '{}' command",
            name
        ));
    }
    let count = match argv.get(2) {
        Some(a) => match parse_i64(a) {
            Some(n) if n >= 0 => Some(n as usize),
            _ => return Reply::error("ERR value is out of range, must be positive"),
        },
        None => None,
    };
    let key = &argv[1];
    let l = match list_mut(ctx, key) {
        Ok(Some(l)) => l,
        Ok(None) => {
            return match count {
                Some(_) => Reply::NullArray,
                None => Reply::Null,
            }
        }
        Err(e) => return e,
    };
    let reply = match count {
        None => match pop(l, end) {
            Some(v) => Reply::Bulk(v),
            None => Reply::Null,
        },
        Some(n) => {
            let mut out = Vec::with_capacity(n.min(l.len()));
            for _ in 0..n {
                match pop(l, end) {
                    Some(v) => out.push(Reply::Bulk(v)),
                    None => break,
                }
            }
            Reply::Array(out)
        }
    };
    if !matches!(&reply, Reply::Null) && !matches!(&reply, Reply::Array(v) if v.is_empty()) {
        ctx.modified(class::LIST, pop_event(end), key);
    }
    delete_if_empty(ctx, key);
    reply
}

fn lpop(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    pop_generic(ctx, argv, End::Left)
}

fn rpop(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    pop_generic(ctx, argv, End::Right)
}

fn llen(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    match list_read(ctx, &argv[1]) {
        Ok(Some(l)) => Reply::Integer(l.len() as i64),
        Ok(None) => Reply::Integer(0),
        Err(e) => e,
    }
}

// ---------------------------------------------------------------------------
// Indexes and ranges
// ---------------------------------------------------------------------------

/// Redis's range normalisation: negative from the end, clamped; None for
/// an empty range. Shared by LRANGE/LTRIM and the sorted sets' rank ranges.
pub fn normalise_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut s = if start < 0 { len + start } else { start };
    let mut e = if end < 0 { len + end } else { end };
    if s < 0 {
        s = 0;
    }
    if s > e || s >= len {
        return None;
    }
    if e >= len {
        e = len - 1;
    }
    Some((s as usize, e as usize))
}

// ANCHOR: lrange
fn lrange(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let (Some(start), Some(end)) = (parse_i64(&argv[2]), parse_i64(&argv[3])) else {
        return Reply::error(ERR_NOT_INTEGER);
    };
    let l = match list_read(ctx, &argv[1]) {
        Ok(Some(l)) => l,
        Ok(None) => return Reply::Array(vec![]),
        Err(e) => return e,
    };
    let Some((s, e)) = normalise_range(start, end, l.len()) else {
        return Reply::Array(vec![]);
    };
    // The reply is encoded right here, element by element, instead of
    // building a Reply per element: an array of bulk strings has the same
    // bytes in RESP2 and RESP3, and LRANGE 600 would otherwise cost 600
    // allocations and a second copy of every element.
    let mut out = Vec::with_capacity(16 + (e - s + 1) * 16);
    resp::reply::write_array_header(&mut out, e - s + 1);
    let mut digits = Vec::new();
    l.for_range(s, e, |v| match v {
        LpValue::Str(b) => resp::reply::write_bulk(&mut out, b),
        LpValue::Int(_) => {
            digits.clear();
            v.write_to(&mut digits);
            resp::reply::write_bulk(&mut out, &digits);
        }
    });
    Reply::Raw(out)
}
// ANCHOR_END: lrange

fn lindex(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    // As Redis: the key first, then the index.
    match list_read(ctx, &argv[1]) {
        Ok(Some(l)) => match parse_i64(&argv[2]) {
            None => Reply::error(ERR_NOT_INTEGER),
            Some(index) => match l.get(index) {
                Some(v) => Reply::Bulk(v),
                None => Reply::Null,
            },
        },
        Ok(None) => Reply::Null,
        Err(e) => e,
    }
}

fn lset(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    match list_mut(ctx, &argv[1]) {
        Ok(Some(l)) => {
            let Some(index) = parse_i64(&argv[2]) else {
                return Reply::error(ERR_NOT_INTEGER);
            };
            if l.set(index, &argv[3]) {
                ctx.modified(class::LIST, "lset", &argv[1]);
                Reply::ok()
            } else {
                Reply::error("ERR index out of range")
            }
        }
        Ok(None) => Reply::error("ERR no such key"),
        Err(e) => e,
    }
}

fn linsert(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let after = if eq_ic(&argv[2], "after") {
        true
    } else if eq_ic(&argv[2], "before") {
        false
    } else {
        return Reply::error(ERR_SYNTAX);
    };
    match list_mut(ctx, &argv[1]) {
        Ok(Some(l)) => match l.position(&argv[3], 1, 1, 0).first() {
            Some(&idx) => {
                l.insert(idx, &argv[4], after);
                let len = l.len();
                ctx.modified(class::LIST, "linsert", &argv[1]);
                Reply::Integer(len as i64)
            }
            None => Reply::Integer(-1),
        },
        Ok(None) => Reply::Integer(0),
        Err(e) => e,
    }
}

fn lrem(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let Some(count) = parse_i64(&argv[2]) else {
        return Reply::error(ERR_NOT_INTEGER);
    };
    let key = &argv[1];
    let removed = match list_mut(ctx, key) {
        Ok(Some(l)) => l.remove_matching(&argv[3], count),
        Ok(None) => return Reply::Integer(0),
        Err(e) => return e,
    };
    if removed > 0 {
        ctx.modified(class::LIST, "lrem", key);
    }
    delete_if_empty(ctx, key);
    Reply::Integer(removed as i64)
}

fn ltrim(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let (Some(start), Some(end)) = (parse_i64(&argv[2]), parse_i64(&argv[3])) else {
        return Reply::error(ERR_NOT_INTEGER);
    };
    let key = &argv[1];
    match list_mut(ctx, key) {
        Ok(Some(l)) => {
            let len = l.len();
            match normalise_range(start, end, len) {
                Some((s, e)) => {
                    l.delete_range(e + 1, len - e - 1);
                    l.delete_range(0, s);
                }
                None => {
                    l.delete_range(0, len);
                }
            }
        }
        Ok(None) => return Reply::ok(),
        Err(e) => return e,
    }
    ctx.modified(class::LIST, "ltrim", key);
    delete_if_empty(ctx, key);
    Reply::ok()
}

/// LPOS key element [RANK r] [COUNT n] [MAXLEN m]
fn lpos(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let mut rank: i64 = 1;
    let mut count: Option<usize> = None;
    let mut maxlen: usize = 0;
    let mut i = 3;
    while i < argv.len() {
        if i + 1 >= argv.len() {
            return Reply::error(ERR_SYNTAX);
        }
        let (opt, val) = (&argv[i], &argv[i + 1]);
        let n = parse_i64(val);
        if eq_ic(opt, "rank") {
            match n {
                None => return Reply::error(ERR_NOT_INTEGER),
                Some(0) => return Reply::error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"),
                // Redis negates the rank in C; -i64::MIN wraps to itself,
                // still negative, so every match qualifies: it behaves as
                // -1 (the last match).
                Some(i64::MIN) => rank = -1,
                Some(r) => rank = r,
            }
        } else if eq_ic(opt, "count") {
            // Redis gives its custom message for junk and negatives alike.
            match n {
                Some(c) if c >= 0 => count = Some(c as usize),
                _ => return Reply::error("ERR COUNT can't be negative"),
            }
        } else if eq_ic(opt, "maxlen") {
            match n {
                Some(m) if m >= 0 => maxlen = m as usize,
                _ => return Reply::error("ERR MAXLEN can't be negative"),
            }
        } else {
            return Reply::error(ERR_SYNTAX);
        }
        i += 2;
    }
    let l = match list_read(ctx, &argv[1]) {
        Ok(Some(l)) => l,
        Ok(None) => {
            return match count {
                Some(_) => Reply::Array(vec![]),
                None => Reply::Null,
            }
        }
        Err(e) => return e,
    };
    // COUNT 0 means "all matches".
    let want = match count {
        Some(0) => usize::MAX,
        Some(n) => n,
        None => 1,
    };
    let found = l.position(&argv[2], rank, want, maxlen);
    match count {
        Some(_) => Reply::Array(
            found
                .into_iter()
                .map(|p| Reply::Integer(p as i64))
                .collect(),
        ),
        None => match found.first() {
            Some(&p) => Reply::Integer(p as i64),
            None => Reply::Null,
        },
    }
}

// ---------------------------------------------------------------------------
// Moves
// ---------------------------------------------------------------------------

// ANCHOR: lmove
/// Pops from `src` at `from` and pushes to `dst` at `to`. Ok(None) when
/// `src` is missing. The destination is type-checked before anything
/// moves, so a WRONGTYPE leaves both lists unchanged.
fn move_one(
    ctx: &mut Ctx,
    src: &[u8],
    dst: &[u8],
    from: End,
    to: End,
) -> Result<Option<Vec<u8>>, Reply> {
    if list_mut(ctx, src)?.is_none() {
        return Ok(None);
    }
    list_mut(ctx, dst)?; // only the type check
    let Some(v) = list_mut(ctx, src)?.and_then(|l| pop(l, from)) else {
        return Ok(None);
    };
    // Push before the emptied source goes, as Redis: with src == dst a
    // one-element list is rotated, never deleted and recreated.
    match list_mut(ctx, dst)? {
        Some(l) => push(l, to, &v),
        None => {
            let mut l = new_list(ctx);
            push(&mut l, to, &v);
            let lru = object::lru_clock(ctx.srv.now_ms);
            ctx.db().add(dst, RObj::new(Value::List(Box::new(l)), lru));
        }
    }
    ctx.modified(class::LIST, push_event(to), dst);
    ctx.modified(class::LIST, pop_event(from), src);
    delete_if_empty(ctx, src);
    Ok(Some(v))
}
// ANCHOR_END: lmove

fn lmove(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let (Some(from), Some(to)) = (parse_end(&argv[3]), parse_end(&argv[4])) else {
        return Reply::error(ERR_SYNTAX);
    };
    match move_one(ctx, &argv[1], &argv[2], from, to) {
        Ok(Some(v)) => Reply::Bulk(v),
        Ok(None) => Reply::Null,
        Err(e) => e,
    }
}

fn rpoplpush(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    match move_one(ctx, &argv[1], &argv[2], End::Right, End::Left) {
        Ok(Some(v)) => Reply::Bulk(v),
        Ok(None) => Reply::Null,
        Err(e) => e,
    }
}

/// `numkeys key... WHERE [COUNT n]` from argv[at], shared by LMPOP/BLMPOP
/// (`LEFT|RIGHT`) and ZMPOP/BZMPOP (`MIN|MAX`): (keys, where, count). As
/// Redis, a numkeys or count that is not a positive integer gets the
/// "should be greater than 0" error, whatever it is.
pub fn parse_mpop<W>(
    argv: &[Vec<u8>],
    at: usize,
    parse_where: impl Fn(&[u8]) -> Option<W>,
) -> Result<(Vec<Vec<u8>>, W, usize), Reply> {
    let numkeys = match parse_i64(&argv[at]) {
        Some(n) if n > 0 => n as usize,
        _ => return Err(Reply::error("ERR numkeys should be greater than 0")),
    };
    let keys_end = at.saturating_add(1).saturating_add(numkeys);
    if keys_end >= argv.len() {
        return Err(Reply::error(ERR_SYNTAX));
    }
    let keys = argv[at + 1..keys_end].to_vec();
    let place = parse_where(&argv[keys_end]).ok_or_else(|| Reply::error(ERR_SYNTAX))?;
    let mut count = 1;
    let mut i = keys_end + 1;
    let mut seen_count = false;
    while i < argv.len() {
        if eq_ic(&argv[i], "count") && i + 1 < argv.len() && !seen_count {
            count = match parse_i64(&argv[i + 1]) {
                Some(n) if n > 0 => n as usize,
                _ => return Err(Reply::error("ERR count should be greater than 0")),
            };
            seen_count = true;
            i += 2;
        } else {
            return Err(Reply::error(ERR_SYNTAX));
        }
    }
    Ok((keys, place, count))
}

/// Pops up to `count` from the first non-empty list of `keys`:
/// Ok(Some([key, [elements]])) or Ok(None) when all are empty.
fn mpop(ctx: &mut Ctx, keys: &[Vec<u8>], end: End, count: usize) -> Result<Option<Reply>, Reply> {
    for key in keys {
        let Some(l) = list_mut(ctx, key)? else {
            continue;
        };
        let mut out = Vec::new();
        for _ in 0..count {
            match pop(l, end) {
                Some(v) => out.push(Reply::Bulk(v)),
                None => break,
            }
        }
        ctx.modified(class::LIST, pop_event(end), key);
        delete_if_empty(ctx, key);
        return Ok(Some(Reply::Array(vec![
            Reply::Bulk(key.clone()),
            Reply::Array(out),
        ])));
    }
    Ok(None)
}

fn lmpop(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let (keys, end, count) = match parse_mpop(argv, 1, parse_end) {
        Ok(p) => p,
        Err(e) => return e,
    };
    match mpop(ctx, &keys, end, count) {
        Ok(Some(r)) => r,
        Ok(None) => Reply::NullArray,
        Err(e) => e,
    }
}

// ---------------------------------------------------------------------------
// Blocking forms
// ---------------------------------------------------------------------------

// ANCHOR: blpop
/// BLPOP/BRPOP key... timeout: pop from the first non-empty key, or block
/// (invariant 2). The reply is [key, element].
fn bpop_generic(ctx: &mut Ctx, argv: &[Vec<u8>], end: End) -> Reply {
    let deadline = match blocking::parse_timeout(&argv[argv.len() - 1], ctx.srv.now_ms) {
        Ok(d) => d,
        Err(e) => return e,
    };
    let keys = &argv[1..argv.len() - 1];
    for key in keys {
        match list_mut(ctx, key) {
            Ok(Some(l)) => {
                let v = pop(l, end).unwrap_or_default();
                ctx.modified(class::LIST, pop_event(end), key);
                delete_if_empty(ctx, key);
                // Replayed, a blocking pop must not block: propagate the plain pop.
                let plain: &[u8] = if end == End::Left { b"LPOP" } else { b"RPOP" };
                ctx.propagate_as(vec![propagate::argv(&[plain, key])]);
                return Reply::Array(vec![Reply::Bulk(key.clone()), Reply::Bulk(v)]);
            }
            Ok(None) => {}
            Err(e) => return e,
        }
    }
    let db = ctx.client.db;
    blocking::block_on_keys(
        ctx.client,
        db,
        keys.to_vec(),
        argv,
        deadline,
        Reply::NullArray,
        ObjType::List,
    );
    Reply::NullArray
}
// ANCHOR_END: blpop

fn blpop(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    bpop_generic(ctx, argv, End::Left)
}

fn brpop(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    bpop_generic(ctx, argv, End::Right)
}

fn bmove_generic(ctx: &mut Ctx, argv: &[Vec<u8>], from: End, to: End, timeout: &[u8]) -> Reply {
    let deadline = match blocking::parse_timeout(timeout, ctx.srv.now_ms) {
        Ok(d) => d,
        Err(e) => return e,
    };
    match move_one(ctx, &argv[1], &argv[2], from, to) {
        Ok(Some(v)) => {
            let side = |e: End| -> &'static [u8] {
                if e == End::Left {
                    b"LEFT"
                } else {
                    b"RIGHT"
                }
            };
            ctx.propagate_as(vec![propagate::argv(&[
                b"LMOVE",
                &argv[1],
                &argv[2],
                side(from),
                side(to),
            ])]);
            Reply::Bulk(v)
        }
        Ok(None) => {
            let db = ctx.client.db;
            // Redis answers a BLMOVE timeout with a null *array* in RESP2.
            blocking::block_on_keys(
                ctx.client,
                db,
                vec![argv[1].clone()],
                argv,
                deadline,
                Reply::NullArray,
                ObjType::List,
            );
            // What LMOVE answers: the reply inside EXEC, where nothing
            // blocks (the timeout reply above is a null array).
            Reply::Null
        }
        Err(e) => e,
    }
}

fn blmove(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let (Some(from), Some(to)) = (parse_end(&argv[3]), parse_end(&argv[4])) else {
        return Reply::error(ERR_SYNTAX);
    };
    bmove_generic(ctx, argv, from, to, &argv[5])
}

fn brpoplpush(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    bmove_generic(ctx, argv, End::Right, End::Left, &argv[3])
}

fn blmpop(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let deadline = match blocking::parse_timeout(&argv[1], ctx.srv.now_ms) {
        Ok(d) => d,
        Err(e) => return e,
    };
    let (keys, end, count) = match parse_mpop(argv, 2, parse_end) {
        Ok(p) => p,
        Err(e) => return e,
    };
    match mpop(ctx, &keys, end, count) {
        Ok(Some(r)) => {
            // [key, [elements]]: propagate as a plain pop of that many.
            if let Reply::Array(parts) = &r {
                if let (Some(Reply::Bulk(key)), Some(Reply::Array(items))) =
                    (parts.first(), parts.get(1))
                {
                    let plain: &[u8] = if end == End::Left { b"LPOP" } else { b"RPOP" };
                    let n = items.len().to_string().into_bytes();
                    ctx.propagate_as(vec![propagate::argv(&[plain, key, &n])]);
                }
            }
            r
        }
        Ok(None) => {
            let db = ctx.client.db;
            blocking::block_on_keys(
                ctx.client,
                db,
                keys,
                argv,
                deadline,
                Reply::NullArray,
                ObjType::List,
            );
            Reply::NullArray
        }
        Err(e) => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_normalise_like_redis() {
        assert_eq!(normalise_range(0, -1, 3), Some((0, 2)));
        assert_eq!(normalise_range(-100, 100, 3), Some((0, 2)));
        assert_eq!(normalise_range(2, 1, 3), None);
        assert_eq!(normalise_range(5, 10, 3), None);
        assert_eq!(normalise_range(-1, -1, 3), Some((2, 2)));
        assert_eq!(normalise_range(0, 0, 0), None);
    }
}
