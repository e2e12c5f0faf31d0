//! Sorted-set commands: argument parsing and replies over `db/zset.rs`.
//!
//! Chapter: chapters/17-sorted-sets.md
//!
//! Every command here is a thin layer: parse the arguments the way Redis
//! 7.0 does (the order of checks decides which error a bad call gets),
//! look the key up, call the sorted-set API, shape the reply. The three
//! ZRANGE flavours (by rank, score, lex) share one parser and one emitter,
//! as in Redis, so ZRANGEBYSCORE, ZREVRANGE, ZRANGESTORE and friends are
//! the same function with different fixed options.
//!
//! Invariants:
//! 1. A sorted-set key is never empty: commands that remove members delete
//!    the key when the last one goes.
//! 2. Replies with scores use `%.17g` text in RESP2 and RESP3 doubles;
//!    RESP3 pairs (member, score) are nested arrays where Redis nests them.
//!
//! Not here: the encodings (`db/zset.rs`), blocking (`server/blocking.rs`).

use super::flag::*;
use super::list::{normalise_range, parse_mpop};
use super::string::ERR_WRONGTYPE;
use super::{acl, eq_ic, parse_i64, Command, ERR_NOT_INTEGER, ERR_SYNTAX};
use crate::db::object::{self, ObjType, RObj, Value};
use crate::db::zset::{self, AddFlags, AddOutcome, LexRange, Limits, RangeRef, ScoreRange};
use crate::ds::dict::Dict;
use crate::ds::strconv::parse_f64;
use crate::resp::reply::{write_array_header, write_bulk, write_double};
use crate::resp::{Protocol, Reply};
use crate::server::notify::class;
use crate::server::{blocking, Ctx};

pub static COMMANDS: &[Command] = &[
    Command::new("zadd", zadd, -4, WRITE | DENYOOM | FAST)
        .keys(1, 1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "1.2.0", "O(log(N)) for each item added, where N is the number of elements in the sorted set.", "Add one or more members to a sorted set, or update its score if it already exists")
        .syntax("key [NX|XX] [GT|LT] [CH] [INCR] score:double member:string..."),
    Command::new("zincrby", zincrby, 4, WRITE | DENYOOM | FAST)
        .keys(1, 1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "1.2.0", "O(log(N)) where N is the number of elements in the sorted set.", "Increment the score of a member in a sorted set")
        .syntax("key increment:integer member:string"),
    Command::new("zrem", zrem, -3, WRITE | FAST)
        .keys(1, 1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "1.2.0", "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.", "Remove one or more members from a sorted set")
        .syntax("key member:string..."),
    Command::new("zcard", zcard, 2, READONLY | FAST)
        .keys(1, 1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "1.2.0", "O(1)", "Get the number of members in a sorted set")
        .syntax("key"),
    Command::new("zscore", zscore, 3, READONLY | FAST)
        .keys(1, 1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "1.2.0", "O(1)", "Get the score associated with the given member in a sorted set")
        .syntax("key member:string"),
    Command::new("zmscore", zmscore, -3, READONLY | FAST)
        .keys(1, 1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "6.2.0", "O(N) where N is the number of members being requested.", "Get the score associated with the given members in a sorted set")
        .syntax("key member:string..."),
    Command::new("zcount", zcount, 4, READONLY | FAST)
        .keys(1, 1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "2.0.0", "O(log(N)) with N being the number of elements in the sorted set.", "Count the members in a sorted set with scores within the given values")
        .syntax("key min:double max:double"),
    Command::new("zlexcount", zlexcount, 4, READONLY | FAST)
        .keys(1, 1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "2.8.9", "O(log(N)) with N being the number of elements in the sorted set.", "Count the number of members in a sorted set between a given lexicographical range")
        .syntax("key min:string max:string"),
    Command::new("zrank", zrank, 3, READONLY | FAST)
        .keys(1, 1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "2.0.0", "O(log(N))", "Determine the index of a member in a sorted set")
        .syntax("key member:string"),
    Command::new("zrevrank", zrevrank, 3, READONLY | FAST)
        .keys(1, 1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "2.0.0", "O(log(N))", "Determine the index of a member in a sorted set, with scores ordered from high to low")
        .syntax("key member:string"),
    Command::new("zrange", zrange, -4, READONLY)
        .keys(1, 1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", "Return a range of members in a sorted set")
        .syntax("key start:string stop:string [BYSCORE|BYLEX] [REV] [LIMIT offset:integer count:integer] [WITHSCORES]"),
    Command::new("zrangestore", zrangestore, -5, WRITE | DENYOOM)
        .keys(1, 2, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "6.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.", "Store a range of members from sorted set into another key")
        .syntax("dst:key src:key min:string max:string [BYSCORE|BYLEX] [REV] [LIMIT offset:integer count:integer]"),
    Command::new("zrangebyscore", zrangebyscore, -4, READONLY)
        .keys(1, 1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "1.0.5", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "Return a range of members in a sorted set, by score")
        .syntax("key min:double max:double [WITHSCORES] [LIMIT offset:integer count:integer]"),
    Command::new("zrevrangebyscore", zrevrangebyscore, -4, READONLY)
        .keys(1, 1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "2.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "Return a range of members in a sorted set, by score, with scores ordered from high to low")
        .syntax("key max:double min:double [WITHSCORES] [LIMIT offset:integer count:integer]"),
    Command::new("zrangebylex", zrangebylex, -4, READONLY)
        .keys(1, 1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "2.8.9", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "Return a range of members in a sorted set, by lexicographical range")
        .syntax("key min:string max:string [LIMIT offset:integer count:integer]"),
    Command::new("zrevrangebylex", zrevrangebylex, -4, READONLY)
        .keys(1, 1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "2.8.9", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.")
        .syntax("key max:string min:string [LIMIT offset:integer count:integer]"),
    Command::new("zrevrange", zrevrange, -4, READONLY)
        .keys(1, 1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", "Return a range of members in a sorted set, by index, with scores ordered from high to low")
        .syntax("key start:integer stop:integer [WITHSCORES]"),
    Command::new("zremrangebyrank", zremrangebyrank, 4, WRITE)
        .keys(1, 1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "2.0.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", "Remove all members in a sorted set within the given indexes")
        .syntax("key start:integer stop:integer"),
    Command::new("zremrangebyscore", zremrangebyscore, 4, WRITE)
        .keys(1, 1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", "Remove all members in a sorted set within the given scores")
        .syntax("key min:double max:double"),
    Command::new("zremrangebylex", zremrangebylex, 4, WRITE)
        .keys(1, 1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "2.8.9", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", "Remove all members in a sorted set between the given lexicographical range")
        .syntax("key min:string max:string"),
    Command::new("zpopmin", zpopmin, -2, WRITE | FAST)
        .keys(1, 1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "5.0.0", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", "Remove and return members with the lowest scores in a sorted set")
        .syntax("key [count:integer]"),
    Command::new("zpopmax", zpopmax, -2, WRITE | FAST)
        .keys(1, 1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "5.0.0", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", "Remove and return members with the highest scores in a sorted set")
        .syntax("key [count:integer]"),
    Command::new("zmpop", zmpop, -4, WRITE | MOVABLE_KEYS)
        .keys(2, -1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "7.0.0", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", "Remove and return members with scores in a sorted set")
        .syntax("numkeys:integer key... MIN|MAX [COUNT count:integer]"),
    Command::new("bzpopmin", bzpopmin, -3, WRITE | NOSCRIPT | BLOCKING | FAST)
        .keys(1, -2, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "5.0.0", "O(log(N)) with N being the number of elements in the sorted set.", "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available")
        .syntax("key... timeout:double"),
    Command::new("bzpopmax", bzpopmax, -3, WRITE | NOSCRIPT | BLOCKING | FAST)
        .keys(1, -2, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "5.0.0", "O(log(N)) with N being the number of elements in the sorted set.", "Remove and return the member with the highest score from one or more sorted sets, or block until one is available")
        .syntax("key... timeout:double"),
    Command::new("bzmpop", bzmpop, -5, WRITE | BLOCKING | MOVABLE_KEYS)
        .keys(3, -1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "7.0.0", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", "Remove and return members with scores in a sorted set or block until one is available")
        .syntax("timeout:double numkeys:integer key... MIN|MAX [COUNT count:integer]"),
    Command::new("zrandmember", zrandmember, -2, READONLY)
        .keys(1, 1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "6.2.0", "O(N) where N is the number of elements returned", "Get one or multiple random elements from a sorted set")
        .syntax("key [count:integer [WITHSCORES]]"),
    Command::new("zscan", zscan, -3, READONLY)
        .keys(1, 1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", "Incrementally iterate sorted sets elements and associated scores")
        .syntax("key cursor:integer [MATCH pattern:pattern] [COUNT count:integer]"),
    Command::new("zunion", zunion, -3, READONLY | MOVABLE_KEYS)
        .keys(2, -1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "6.2.0", "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", "Add multiple sorted sets")
        .syntax("numkeys:integer key... [WEIGHTS weight:integer...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]"),
    Command::new("zunionstore", zunionstore, -4, WRITE | DENYOOM | MOVABLE_KEYS)
        .keys(1, 1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "2.0.0", "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", "Add multiple sorted sets and store the resulting sorted set in a new key")
        .syntax("destination:key numkeys:integer key... [WEIGHTS weight:integer...] [AGGREGATE SUM|MIN|MAX]"),
    Command::new("zinter", zinter, -3, READONLY | MOVABLE_KEYS)
        .keys(2, -1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "6.2.0", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", "Intersect multiple sorted sets")
        .syntax("numkeys:integer key... [WEIGHTS weight:integer...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]"),
    Command::new("zinterstore", zinterstore, -4, WRITE | DENYOOM | MOVABLE_KEYS)
        .keys(1, 1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "2.0.0", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", "Intersect multiple sorted sets and store the resulting sorted set in a new key")
        .syntax("destination:key numkeys:integer key... [WEIGHTS weight:integer...] [AGGREGATE SUM|MIN|MAX]"),
    Command::new("zintercard", zintercard, -3, READONLY | MOVABLE_KEYS)
        .keys(2, -1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "7.0.0", "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.", "Intersect multiple sorted sets and return the cardinality of the result")
        .syntax("numkeys:integer key... [LIMIT limit:integer]"),
    Command::new("zdiff", zdiff, -3, READONLY | MOVABLE_KEYS)
        .keys(2, -1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "6.2.0", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", "Subtract multiple sorted sets")
        .syntax("numkeys:integer key... [WITHSCORES]"),
    Command::new("zdiffstore", zdiffstore, -4, WRITE | DENYOOM | MOVABLE_KEYS)
        .keys(1, 1, 1)
        .acl(acl::SORTEDSET)
        .doc("sorted_set", "6.2.0", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", "Subtract multiple sorted sets and store the resulting sorted set in a new key")
        .syntax("destination:key numkeys:integer key..."),
];

const ERR_NOT_FLOAT: &str = "ERR value is not a valid float";
const ERR_NAN: &str = "ERR resulting score is not a number (NaN)";
const ERR_RANGE_FLOAT: &str = "ERR min or max is not a float";
const ERR_RANGE_LEX: &str = "ERR min or max not valid string range item";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn limits(ctx: &Ctx) -> Limits {
    Limits {
        entries: ctx.srv.config.zset_max_listpack_entries,
        value: ctx.srv.config.zset_max_listpack_value,
    }
}

/// The sorted set at `key` for reading: Ok(None) missing, Err WRONGTYPE.
fn read<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut Value>, Reply> {
    let now = ctx.srv.now_ms;
    match ctx.db().lookup_read(key, now) {
        Some(o) if zset::is_zset(&o.value) => Ok(Some(&mut o.value)),
        Some(_) => Err(Reply::error(ERR_WRONGTYPE)),
        None => Ok(None),
    }
}

/// The sorted set at `key` for writing: Ok(None) missing, Err WRONGTYPE.
fn write_existing<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut Value>, Reply> {
    let now = ctx.srv.now_ms;
    match ctx.db().lookup_write(key, now) {
        Some(o) if zset::is_zset(&o.value) => Ok(Some(&mut o.value)),
        Some(_) => Err(Reply::error(ERR_WRONGTYPE)),
        None => Ok(None),
    }
}

/// Deletes `key` if its sorted set became empty (invariant 1).
fn delete_if_empty(ctx: &mut Ctx, key: &[u8]) {
    let now = ctx.srv.now_ms;
    let empty = matches!(ctx.db().lookup_write(key, now), Some(o) if zset::len(&o.value) == 0);
    if empty {
        ctx.db().remove(key);
        ctx.notify(class::GENERIC, "del", key);
    }
}

/// Replaces `key` with `v` (or deletes it when `v` is empty), with the
/// keyspace event `event` (or `del` when an old value went away);
/// returns the stored size.
fn store(ctx: &mut Ctx, key: &[u8], v: Value, event: &str) -> usize {
    let n = zset::len(&v);
    if n == 0 {
        if ctx.db().remove(key).is_some() {
            ctx.modified(class::GENERIC, "del", key);
        }
        return 0;
    }
    let lru = object::lru_clock(ctx.srv.now_ms);
    // An overwrite keeps the key (no `new` event) and drops its TTL.
    ctx.db().set(key, RObj::new(v, lru), false);
    ctx.modified(class::ZSET, event, key);
    n
}

fn resp3(ctx: &Ctx) -> bool {
    ctx.client.resp == Protocol::Resp3
}

// ANCHOR: emitter
/// Builds a reply of (member[, score]) elements straight into RESP bytes:
/// flat in RESP2, [member, score] pairs in RESP3 when `nested`.
struct Emitter {
    out: Vec<u8>,
    proto: Protocol,
    withscores: bool,
    nested: bool,
}

impl Emitter {
    fn push(&mut self, member: &[u8], score: f64) {
        if self.nested {
            write_array_header(&mut self.out, 2);
        }
        write_bulk(&mut self.out, member);
        if self.withscores {
            write_double(&mut self.out, score, self.proto);
        }
    }

    fn finish(self) -> Reply {
        Reply::Raw(self.out)
    }
}
// ANCHOR_END: emitter

// ---------------------------------------------------------------------------
// ZADD and friends
// ---------------------------------------------------------------------------

// ANCHOR: zadd
fn zadd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    zadd_generic(ctx, argv, false)
}

fn zincrby(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    zadd_generic(ctx, argv, true)
}

/// Redis's zaddGenericCommand: options, then all scores (nothing changes
/// unless every score parses), then the key, then one add per pair.
fn zadd_generic(ctx: &mut Ctx, argv: &[Vec<u8>], incr_cmd: bool) -> Reply {
    let mut f = AddFlags {
        incr: incr_cmd,
        ..AddFlags::default()
    };
    let mut ch = false;
    let mut i = 2;
    if !incr_cmd {
        while i < argv.len() {
            let a = &argv[i];
            if eq_ic(a, "nx") {
                f.nx = true;
            } else if eq_ic(a, "xx") {
                f.xx = true;
            } else if eq_ic(a, "gt") {
                f.gt = true;
            } else if eq_ic(a, "lt") {
                f.lt = true;
            } else if eq_ic(a, "ch") {
                ch = true;
            } else if eq_ic(a, "incr") {
                f.incr = true;
            } else {
                break;
            }
            i += 1;
        }
    }
    let rest = &argv[i..];
    if rest.is_empty() || !rest.len().is_multiple_of(2) {
        return Reply::error(ERR_SYNTAX);
    }
    if f.nx && f.xx {
        return Reply::error("ERR XX and NX options at the same time are not compatible");
    }
    if [f.gt, f.lt, f.nx].iter().filter(|&&b| b).count() > 1 {
        return Reply::error("ERR GT, LT, and/or NX options at the same time are not compatible");
    }
    if f.incr && rest.len() > 2 {
        return Reply::error("ERR INCR option supports a single increment-element pair");
    }
    let mut scores = Vec::with_capacity(rest.len() / 2);
    for pair in rest.chunks(2) {
        match parse_f64(&pair[0]) {
            Some(s) => scores.push(s),
            None => return Reply::error(ERR_NOT_FLOAT),
        }
    }
    let key = &argv[1];
    let lim = limits(ctx);
    let now = ctx.srv.now_ms;
    let pairs = || {
        rest.chunks(2)
            .map(|p| p[1].as_slice())
            .zip(scores.iter().copied())
    };
    // The common case, an existing key, costs one keyspace lookup.
    let applied = match ctx.db().lookup_write(key, now) {
        Some(o) if zset::is_zset(&o.value) => apply_adds(&mut o.value, pairs(), f, &lim),
        Some(_) => return Reply::error(ERR_WRONGTYPE),
        None if f.xx => AddTally::default(),
        None => {
            // A new key is built aside and stored only if something was
            // added (an INCR to NaN adds nothing; invariant 1).
            let mut v = zset::new_value(rest[1].len(), &lim);
            let t = apply_adds(&mut v, pairs(), f, &lim);
            if zset::len(&v) > 0 {
                ctx.db().add(key, RObj::new(v, object::lru_clock(now)));
            }
            t
        }
    };
    if applied.added + applied.updated > 0 {
        ctx.modified(class::ZSET, if f.incr { "zincr" } else { "zadd" }, key);
    }
    if applied.nan {
        return Reply::error(ERR_NAN);
    }
    if f.incr {
        match applied.last {
            Some(AddOutcome::Added(s) | AddOutcome::Updated(s) | AddOutcome::Unchanged(s)) => {
                Reply::Double(s)
            }
            _ => Reply::Null,
        }
    } else {
        let n = applied.added + if ch { applied.updated } else { 0 };
        Reply::Integer(n)
    }
}

#[derive(Default)]
struct AddTally {
    added: i64,
    updated: i64,
    last: Option<AddOutcome>,
    nan: bool,
}

/// Adds each (member, score) in order, stopping at a NaN result.
fn apply_adds<'a>(
    v: &mut Value,
    pairs: impl Iterator<Item = (&'a [u8], f64)>,
    f: AddFlags,
    lim: &Limits,
) -> AddTally {
    let mut t = AddTally::default();
    for (member, score) in pairs {
        let outcome = zset::add(v, score, member, f, lim);
        match outcome {
            AddOutcome::Added(_) => t.added += 1,
            AddOutcome::Updated(_) => t.updated += 1,
            AddOutcome::Nan => {
                t.nan = true;
                break;
            }
            AddOutcome::Unchanged(_) | AddOutcome::Skipped => {}
        }
        t.last = Some(outcome);
    }
    t
}
// ANCHOR_END: zadd

fn zrem(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let key = &argv[1];
    let removed = match write_existing(ctx, key) {
        Ok(Some(v)) => argv[2..].iter().filter(|m| zset::remove(v, m)).count(),
        Ok(None) => 0,
        Err(e) => return e,
    };
    if removed > 0 {
        ctx.modified(class::ZSET, "zrem", key);
        delete_if_empty(ctx, key);
    }
    Reply::Integer(removed as i64)
}

fn zcard(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    match read(ctx, &argv[1]) {
        Ok(Some(v)) => Reply::Integer(zset::len(v) as i64),
        Ok(None) => Reply::Integer(0),
        Err(e) => e,
    }
}

fn zscore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    match read(ctx, &argv[1]) {
        Ok(Some(v)) => zset::score(v, &argv[2]).map_or(Reply::Null, Reply::Double),
        Ok(None) => Reply::Null,
        Err(e) => e,
    }
}

fn zmscore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let v = match read(ctx, &argv[1]) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let out = argv[2..]
        .iter()
        .map(|m| {
            v.as_deref()
                .and_then(|v| zset::score(v, m))
                .map_or(Reply::Null, Reply::Double)
        })
        .collect();
    Reply::Array(out)
}

fn zcount(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let Some(r) = ScoreRange::parse(&argv[2], &argv[3]) else {
        return Reply::error(ERR_RANGE_FLOAT);
    };
    match read(ctx, &argv[1]) {
        Ok(Some(v)) => {
            Reply::Integer(zset::score_ranks(v, &r).map_or(0, |(a, b)| b - a + 1) as i64)
        }
        Ok(None) => Reply::Integer(0),
        Err(e) => e,
    }
}

fn zlexcount(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let Some(r) = LexRange::parse(&argv[2], &argv[3]) else {
        return Reply::error(ERR_RANGE_LEX);
    };
    match read(ctx, &argv[1]) {
        Ok(Some(v)) => Reply::Integer(zset::lex_ranks(v, &r).map_or(0, |(a, b)| b - a + 1) as i64),
        Ok(None) => Reply::Integer(0),
        Err(e) => e,
    }
}

fn rank_generic(ctx: &mut Ctx, argv: &[Vec<u8>], rev: bool) -> Reply {
    match read(ctx, &argv[1]) {
        Ok(Some(v)) => {
            zset::rank(v, &argv[2], rev).map_or(Reply::Null, |r| Reply::Integer(r as i64))
        }
        Ok(None) => Reply::Null,
        Err(e) => e,
    }
}

fn zrank(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    rank_generic(ctx, argv, false)
}

fn zrevrank(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    rank_generic(ctx, argv, true)
}

// ---------------------------------------------------------------------------
// The ZRANGE family
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum RangeBy {
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Clone, Copy, PartialEq)]
enum Direction {
    Auto,
    Forward,
    Reverse,
}

/// A parsed range request: which elements, in which order.
enum Range {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

struct RangeRequest {
    range: Range,
    rev: bool,
    withscores: bool,
    offset: i64,
    limit: i64,
}

// ANCHOR: zrange_parse
/// Redis's zrangeGenericCommand steps 1 and 2: options after the three
/// fixed arguments at `argv[at..at + 3]`, conflicts, then the range.
fn parse_range(
    argv: &[Vec<u8>],
    at: usize,
    store: bool,
    mut by: RangeBy,
    mut dir: Direction,
) -> Result<RangeRequest, Reply> {
    let (mut withscores, mut offset, mut limit) = (false, 0, -1);
    let mut j = at + 3;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let a = &argv[j];
        if !store && eq_ic(a, "withscores") {
            withscores = true;
        } else if eq_ic(a, "limit") && left >= 2 {
            let (Some(o), Some(l)) = (parse_i64(&argv[j + 1]), parse_i64(&argv[j + 2])) else {
                return Err(Reply::error(ERR_NOT_INTEGER));
            };
            offset = o;
            limit = l;
            j += 2;
        } else if dir == Direction::Auto && eq_ic(a, "rev") {
            dir = Direction::Reverse;
        } else if by == RangeBy::Auto && eq_ic(a, "bylex") {
            by = RangeBy::Lex;
        } else if by == RangeBy::Auto && eq_ic(a, "byscore") {
            by = RangeBy::Score;
        } else {
            return Err(Reply::error(ERR_SYNTAX));
        }
        j += 1;
    }
    let rev = dir == Direction::Reverse;
    if by == RangeBy::Auto {
        by = RangeBy::Rank;
    }
    if limit != -1 && by == RangeBy::Rank {
        return Err(Reply::error(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && by == RangeBy::Lex {
        return Err(Reply::error(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    // Reversed score and lex ranges are written max first.
    let (lo, hi) = if rev && by != RangeBy::Rank {
        (&argv[at + 2], &argv[at + 1])
    } else {
        (&argv[at + 1], &argv[at + 2])
    };
    let range = match by {
        RangeBy::Score => {
            Range::Score(ScoreRange::parse(lo, hi).ok_or_else(|| Reply::error(ERR_RANGE_FLOAT))?)
        }
        RangeBy::Lex => {
            Range::Lex(LexRange::parse(lo, hi).ok_or_else(|| Reply::error(ERR_RANGE_LEX))?)
        }
        _ => {
            let (Some(s), Some(e)) = (parse_i64(lo), parse_i64(hi)) else {
                return Err(Reply::error(ERR_NOT_INTEGER));
            };
            Range::Rank(s, e)
        }
    };
    Ok(RangeRequest {
        range,
        rev,
        withscores,
        offset,
        limit,
    })
}
// ANCHOR_END: zrange_parse

// ANCHOR: zrange_select
/// Which elements a request selects: (first rank to visit, how many,
/// walking down when reversed), ranks ascending from the lowest score.
fn select(v: &Value, req: &RangeRequest) -> (usize, usize) {
    let n = zset::len(v);
    let bounds = match &req.range {
        Range::Rank(s, e) => {
            return match normalise_range(*s, *e, n) {
                // ZREVRANGE 0 1 means the two highest: ranks count from the top.
                Some((s, e)) if req.rev => (n - 1 - s, e - s + 1),
                Some((s, e)) => (s, e - s + 1),
                None => (0, 0),
            };
        }
        Range::Score(r) => zset::score_ranks(v, r),
        Range::Lex(r) => zset::lex_ranks(v, r),
    };
    let Some((first, last)) = bounds else {
        return (0, 0);
    };
    // LIMIT: a negative offset selects nothing, a negative count means all.
    if req.offset < 0 {
        return (0, 0);
    }
    let in_range = last - first + 1;
    let offset = usize::try_from(req.offset).unwrap_or(usize::MAX);
    if offset >= in_range {
        return (0, 0);
    }
    let mut count = in_range - offset;
    if req.limit >= 0 {
        count = count.min(usize::try_from(req.limit).unwrap_or(usize::MAX));
    }
    if req.rev {
        (last - offset, count)
    } else {
        (first + offset, count)
    }
}
// ANCHOR_END: zrange_select

fn range_reply(ctx: &mut Ctx, argv: &[Vec<u8>], by: RangeBy, dir: Direction) -> Reply {
    let req = match parse_range(argv, 1, false, by, dir) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let proto = ctx.client.resp;
    let v = match read(ctx, &argv[1]) {
        Ok(Some(v)) => v,
        Ok(None) => return Reply::Array(vec![]),
        Err(e) => return e,
    };
    // A skiplist walks a score or lex range from one descent.
    let picked = match &req.range {
        Range::Score(r) => skip_range(v, RangeRef::Score(r), &req),
        Range::Lex(r) => skip_range(v, RangeRef::Lex(r), &req),
        Range::Rank(..) => None,
    };
    if let Some(items) = picked {
        let mut em = Emitter::new_for(proto, items.len(), req.withscores);
        for (m, s) in items {
            em.push(m, s);
        }
        return em.finish();
    }
    let (start, count) = select(v, &req);
    let mut em = Emitter::new_for(proto, count, req.withscores);
    zset::for_ranks(v, start, count, req.rev, |m, s| em.push(m, s));
    em.finish()
}

/// `zset::skip_range` with the request's LIMIT (a negative offset selects
/// nothing, a negative count everything).
fn skip_range<'a>(
    v: &'a Value,
    r: RangeRef<'_>,
    req: &RangeRequest,
) -> Option<Vec<(&'a [u8], f64)>> {
    if req.offset < 0 {
        return matches!(v, Value::ZsetSkip(_)).then(Vec::new);
    }
    let limit = usize::try_from(req.limit).ok();
    let offset = usize::try_from(req.offset).unwrap_or(usize::MAX);
    zset::skip_range(v, r, req.rev, offset, limit)
}

impl Emitter {
    fn new_for(proto: Protocol, count: usize, withscores: bool) -> Emitter {
        let nested = withscores && proto == Protocol::Resp3;
        let mut out = Vec::with_capacity(16 + count * 24);
        write_array_header(
            &mut out,
            if withscores && !nested {
                count * 2
            } else {
                count
            },
        );
        Emitter {
            out,
            proto,
            withscores,
            nested,
        }
    }
}

fn zrange(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    range_reply(ctx, argv, RangeBy::Auto, Direction::Auto)
}

fn zrevrange(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    range_reply(ctx, argv, RangeBy::Rank, Direction::Reverse)
}

fn zrangebyscore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    range_reply(ctx, argv, RangeBy::Score, Direction::Forward)
}

fn zrevrangebyscore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    range_reply(ctx, argv, RangeBy::Score, Direction::Reverse)
}

fn zrangebylex(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    range_reply(ctx, argv, RangeBy::Lex, Direction::Forward)
}

fn zrevrangebylex(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    range_reply(ctx, argv, RangeBy::Lex, Direction::Reverse)
}

fn zrangestore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let req = match parse_range(argv, 2, true, RangeBy::Auto, Direction::Auto) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let mut pairs = Vec::new();
    match read(ctx, &argv[2]) {
        Ok(Some(v)) => {
            let (start, count) = select(v, &req);
            zset::for_ranks(v, start, count, req.rev, |m, s| pairs.push((m.to_vec(), s)));
        }
        Ok(None) => {}
        Err(e) => return e,
    }
    if req.rev {
        pairs.reverse();
    }
    let lim = limits(ctx);
    let n = store(
        ctx,
        &argv[1],
        zset::from_sorted_pairs(&pairs, &lim),
        "zrangestore",
    );
    Reply::Integer(n as i64)
}

// ---------------------------------------------------------------------------
// Removing ranges
// ---------------------------------------------------------------------------

fn zremrange_generic(ctx: &mut Ctx, argv: &[Vec<u8>], by: RangeBy) -> Reply {
    let range = match by {
        RangeBy::Score => match ScoreRange::parse(&argv[2], &argv[3]) {
            Some(r) => Range::Score(r),
            None => return Reply::error(ERR_RANGE_FLOAT),
        },
        RangeBy::Lex => match LexRange::parse(&argv[2], &argv[3]) {
            Some(r) => Range::Lex(r),
            None => return Reply::error(ERR_RANGE_LEX),
        },
        _ => match (parse_i64(&argv[2]), parse_i64(&argv[3])) {
            (Some(s), Some(e)) => Range::Rank(s, e),
            _ => return Reply::error(ERR_NOT_INTEGER),
        },
    };
    let key = &argv[1];
    let removed = match write_existing(ctx, key) {
        Ok(Some(v)) => {
            let ranks = match &range {
                Range::Rank(s, e) => normalise_range(*s, *e, zset::len(v)),
                Range::Score(r) => zset::score_ranks(v, r),
                Range::Lex(r) => zset::lex_ranks(v, r),
            };
            ranks.map_or(0, |(s, e)| zset::delete_ranks(v, s, e))
        }
        Ok(None) => 0,
        Err(e) => return e,
    };
    if removed > 0 {
        let event = match by {
            RangeBy::Score => "zremrangebyscore",
            RangeBy::Lex => "zremrangebylex",
            _ => "zremrangebyrank",
        };
        ctx.modified(class::ZSET, event, key);
        delete_if_empty(ctx, key);
    }
    Reply::Integer(removed as i64)
}

fn zremrangebyrank(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    zremrange_generic(ctx, argv, RangeBy::Rank)
}

fn zremrangebyscore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    zremrange_generic(ctx, argv, RangeBy::Score)
}

fn zremrangebylex(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    zremrange_generic(ctx, argv, RangeBy::Lex)
}

// ---------------------------------------------------------------------------
// Pops, plain and blocking
// ---------------------------------------------------------------------------

/// How a pop reply is shaped (Redis's genericZpopCommand arguments).
#[derive(Clone, Copy)]
struct PopShape {
    /// Put the key first (BZPOP*, ZMPOP).
    emit_key: bool,
    /// Pairs as nested arrays.
    nested: bool,
}

// ANCHOR: pop
/// Pops up to `count` from the first non-empty key of `keys`: the reply
/// and the key. Ok(None) when every key is missing; Err on WRONGTYPE
/// (checked key by key, up to the first existing one, as Redis).
fn pop_generic(
    ctx: &mut Ctx,
    keys: &[Vec<u8>],
    max: bool,
    count: usize,
    shape: PopShape,
) -> Result<Option<(Reply, Vec<u8>)>, Reply> {
    let proto = ctx.client.resp;
    for key in keys {
        let Some(v) = write_existing(ctx, key)? else {
            continue;
        };
        let popped = zset::pop(v, count, max);
        let emptied = zset::len(v) == 0;
        ctx.modified(class::ZSET, if max { "zpopmax" } else { "zpopmin" }, key);
        if emptied {
            // Invariant 1, without looking the key up again.
            ctx.db().remove(key);
            ctx.notify(class::GENERIC, "del", key);
        }
        let mut out = Vec::with_capacity(16 + popped.len() * 32);
        match (shape.emit_key, shape.nested) {
            (false, false) => write_array_header(&mut out, popped.len() * 2),
            (false, true) => write_array_header(&mut out, popped.len()),
            (true, false) => {
                write_array_header(&mut out, popped.len() * 2 + 1);
                write_bulk(&mut out, key);
            }
            (true, true) => {
                write_array_header(&mut out, 2);
                write_bulk(&mut out, key);
                write_array_header(&mut out, popped.len());
            }
        }
        for (m, s) in &popped {
            if shape.nested {
                write_array_header(&mut out, 2);
            }
            write_bulk(&mut out, m);
            write_double(&mut out, *s, proto);
        }
        return Ok(Some((Reply::Raw(out), key.clone())));
    }
    Ok(None)
}
// ANCHOR_END: pop

fn zpop_command(ctx: &mut Ctx, argv: &[Vec<u8>], max: bool) -> Reply {
    if argv.len() > 3 {
        return Reply::error(ERR_SYNTAX);
    }
    let count = match argv.get(2) {
        None => None,
        Some(a) => match parse_i64(a) {
            Some(n) if n >= 0 => Some(n as usize),
            _ => return Reply::error("ERR value is out of range, must be positive"),
        },
    };
    // RESP3 nests pairs only when a count was given.
    let shape = PopShape {
        emit_key: false,
        nested: resp3(ctx) && count.is_some(),
    };
    if count == Some(0) {
        // Still type-checks the key first.
        return match read(ctx, &argv[1]) {
            Err(e) => e,
            Ok(_) => Reply::Array(vec![]),
        };
    }
    match pop_generic(ctx, &argv[1..2], max, count.unwrap_or(1), shape) {
        Ok(Some((r, _))) => r,
        Ok(None) => Reply::Array(vec![]),
        Err(e) => e,
    }
}

fn zpopmin(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    zpop_command(ctx, argv, false)
}

fn zpopmax(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    zpop_command(ctx, argv, true)
}

/// MIN or MAX, as ZMPOP takes it: true for MAX.
fn parse_min_max(arg: &[u8]) -> Option<bool> {
    if eq_ic(arg, "min") {
        Some(false)
    } else if eq_ic(arg, "max") {
        Some(true)
    } else {
        None
    }
}

/// A blocking pop that popped is propagated as the plain ZPOPMIN/ZPOPMAX
/// of the key it popped from, so a replay never blocks.
fn propagate_plain_pop(ctx: &mut Ctx, key: &[u8], max: bool, count: usize) {
    let cmd: &[u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
    let n = count.to_string().into_bytes();
    ctx.propagate_as(vec![crate::server::propagate::argv(&[cmd, key, &n])]);
}

const MPOP_SHAPE: PopShape = PopShape {
    emit_key: true,
    nested: true,
};

fn zmpop(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let (keys, max, count) = match parse_mpop(argv, 1, parse_min_max) {
        Ok(p) => p,
        Err(e) => return e,
    };
    match pop_generic(ctx, &keys, max, count, MPOP_SHAPE) {
        Ok(Some((r, _))) => r,
        Ok(None) => Reply::NullArray,
        Err(e) => e,
    }
}

// ANCHOR: bzpop
/// BZPOPMIN/BZPOPMAX key... timeout: [key, member, score] from the first
/// non-empty key, or block on all of them until one gets a member.
fn bzpop_generic(ctx: &mut Ctx, argv: &[Vec<u8>], max: bool) -> Reply {
    let deadline = match blocking::parse_timeout(&argv[argv.len() - 1], ctx.srv.now_ms) {
        Ok(d) => d,
        Err(e) => return e,
    };
    let keys = &argv[1..argv.len() - 1];
    let shape = PopShape {
        emit_key: true,
        nested: false,
    };
    match pop_generic(ctx, keys, max, 1, shape) {
        Ok(Some((r, key))) => {
            propagate_plain_pop(ctx, &key, max, 1);
            r
        }
        Ok(None) => {
            let db = ctx.client.db;
            blocking::block_on_keys(
                ctx.client,
                db,
                keys.to_vec(),
                argv,
                deadline,
                Reply::NullArray,
                ObjType::Zset,
            );
            Reply::NullArray
        }
        Err(e) => e,
    }
}
// ANCHOR_END: bzpop

fn bzpopmin(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    bzpop_generic(ctx, argv, false)
}

fn bzpopmax(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    bzpop_generic(ctx, argv, true)
}

fn bzmpop(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let deadline = match blocking::parse_timeout(&argv[1], ctx.srv.now_ms) {
        Ok(d) => d,
        Err(e) => return e,
    };
    let (keys, max, count) = match parse_mpop(argv, 2, parse_min_max) {
        Ok(p) => p,
        Err(e) => return e,
    };
    match pop_generic(ctx, &keys, max, count, MPOP_SHAPE) {
        Ok(Some((r, key))) => {
            propagate_plain_pop(ctx, &key, max, count);
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
                ObjType::Zset,
            );
            Reply::NullArray
        }
        Err(e) => e,
    }
}

// ---------------------------------------------------------------------------
// Random members and SCAN
// ---------------------------------------------------------------------------

fn zrandmember(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let mut count = None;
    let mut withscores = false;
    if let Some(a) = argv.get(2) {
        let n = match parse_i64(a) {
            Some(i64::MIN) => return Reply::error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"),
            Some(n) => n,
            None => return Reply::error(ERR_NOT_INTEGER),
        };
        if argv.len() > 4 || (argv.len() == 4 && !eq_ic(&argv[3], "withscores")) {
            return Reply::error(ERR_SYNTAX);
        }
        if argv.len() == 4 {
            withscores = true;
            if !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&n) {
                return Reply::error("ERR value is out of range");
            }
        }
        count = Some(n);
    }
    let mut seed = crate::server::unix_us() ^ ctx.client.id.rotate_left(32);
    let proto = ctx.client.resp;
    let v = match read(ctx, &argv[1]) {
        Ok(Some(v)) => v,
        Ok(None) => {
            return if count.is_some() {
                Reply::Array(vec![])
            } else {
                Reply::Null
            }
        }
        Err(e) => return e,
    };
    let n = zset::len(v);
    let Some(count) = count else {
        let r = super::set::random_index(&mut seed, n);
        let mut out = None;
        zset::for_ranks(v, r, 1, false, |m, _| out = Some(m.to_vec()));
        return out.map_or(Reply::Null, Reply::Bulk);
    };
    let picks = super::set::pick_indexes(&mut seed, n, count);
    let mut em = Emitter::new_for(proto, picks.len(), withscores);
    for r in picks {
        zset::for_ranks(v, r, 1, false, |m, s| em.push(m, s));
    }
    em.finish()
}

fn zscan(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
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
    let score_text = |s: f64| {
        let mut t = Vec::new();
        crate::resp::reply::format_double(s, &mut t);
        t
    };
    let next = match v {
        // A listpack sorted set is small: one call returns it all.
        Value::ZsetLp(_) => {
            for (m, s) in zset::pairs(v) {
                if opts.matches(&m) {
                    out.push(m);
                    out.push(score_text(s));
                }
            }
            0
        }
        Value::ZsetSkip(z) => super::scan_dict(&z.dict, opts.cursor, opts.count, |k, s| {
            if opts.matches(k.as_bytes()) {
                out.push(k.to_vec());
                out.push(score_text(*s));
                1
            } else {
                0
            }
        }),
        _ => 0,
    };
    super::set::scan_reply(next, out)
}

// ---------------------------------------------------------------------------
// Union, intersection, difference
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, PartialEq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// One input: its pairs (a plain set's members score 1) and weight.
struct Source {
    pairs: Vec<(Vec<u8>, f64)>,
    weight: f64,
}

impl Aggregate {
    /// Redis's zunionInterAggregate: a sum that comes out NaN (inf + -inf)
    /// is 0.
    fn apply(self, acc: &mut f64, v: f64) {
        match self {
            Aggregate::Sum => {
                *acc += v;
                if acc.is_nan() {
                    *acc = 0.0;
                }
            }
            Aggregate::Min => *acc = acc.min(v),
            Aggregate::Max => *acc = acc.max(v),
        }
    }
}

/// A weighted score; NaN (0 * inf) becomes 0, as Redis.
fn weighted(score: f64, weight: f64) -> f64 {
    let s = score * weight;
    if s.is_nan() {
        0.0
    } else {
        s
    }
}

// ANCHOR: setop
/// Redis's zunionInterDiffGenericCommand. `dst` is Some for the STORE
/// forms; `card_only` for ZINTERCARD. Keys are type-checked before the
/// options are parsed, as Redis does.
fn setop_generic(
    ctx: &mut Ctx,
    argv: &[Vec<u8>],
    numkeys_at: usize,
    dst: Option<&[u8]>,
    op: SetOp,
    card_only: bool,
) -> Reply {
    let Some(setnum) = parse_i64(&argv[numkeys_at]) else {
        return Reply::error(ERR_NOT_INTEGER);
    };
    if setnum < 1 {
        let name = String::from_utf8_lossy(&argv[0]).to_lowercase();
        return Reply::error(format!(
            "ERR at least 1 input key is needed for '{name}' command"
        ));
    }
    let setnum = setnum as usize;
    if setnum > argv.len() - numkeys_at - 1 {
        return Reply::error(ERR_SYNTAX);
    }
    let mut sources = Vec::with_capacity(setnum);
    let now = ctx.srv.now_ms;
    for key in &argv[numkeys_at + 1..numkeys_at + 1 + setnum] {
        let found = if dst.is_some() {
            ctx.db().lookup_write(key, now)
        } else {
            ctx.db().lookup_read(key, now)
        };
        let pairs = match found {
            None => Vec::new(),
            Some(o) if zset::is_zset(&o.value) => zset::pairs(&o.value),
            Some(o) if o.obj_type() == ObjType::Set => super::set::members(&o.value)
                .into_iter()
                .map(|m| (m, 1.0))
                .collect(),
            Some(_) => return Reply::error(ERR_WRONGTYPE),
        };
        sources.push(Source { pairs, weight: 1.0 });
    }
    let mut aggregate = Aggregate::Sum;
    let mut withscores = false;
    let mut limit = 0usize;
    let mut j = numkeys_at + 1 + setnum;
    while j < argv.len() {
        let remaining = argv.len() - j;
        let a = &argv[j];
        if op != SetOp::Diff && !card_only && remaining > setnum && eq_ic(a, "weights") {
            for (i, src) in sources.iter_mut().enumerate() {
                match parse_f64(&argv[j + 1 + i]) {
                    Some(w) => src.weight = w,
                    None => return Reply::error("ERR weight value is not a float"),
                }
            }
            j += 1 + setnum;
        } else if op != SetOp::Diff && !card_only && remaining >= 2 && eq_ic(a, "aggregate") {
            let b = &argv[j + 1];
            aggregate = if eq_ic(b, "sum") {
                Aggregate::Sum
            } else if eq_ic(b, "min") {
                Aggregate::Min
            } else if eq_ic(b, "max") {
                Aggregate::Max
            } else {
                return Reply::error(ERR_SYNTAX);
            };
            j += 2;
        } else if dst.is_none() && !card_only && eq_ic(a, "withscores") {
            withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && eq_ic(a, "limit") {
            limit = match parse_i64(&argv[j + 1]) {
                Some(n) if n >= 0 => n as usize,
                Some(_) => return Reply::error("ERR LIMIT can't be negative"),
                None => return Reply::error(ERR_NOT_INTEGER),
            };
            j += 2;
        } else {
            return Reply::error(ERR_SYNTAX);
        }
    }

    let result = match op {
        SetOp::Inter => inter(
            sources,
            aggregate,
            if card_only { limit } else { 0 },
            card_only,
        ),
        SetOp::Union => union(sources, aggregate),
        SetOp::Diff => diff(sources),
    };
    if card_only {
        return Reply::Integer(result.len() as i64);
    }
    let mut result = result;
    result.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    match dst {
        Some(dst) => {
            let lim = limits(ctx);
            let event = match op {
                SetOp::Union => "zunionstore",
                SetOp::Inter => "zinterstore",
                SetOp::Diff => "zdiffstore",
            };
            let n = store(ctx, dst, zset::from_sorted_pairs(&result, &lim), event);
            Reply::Integer(n as i64)
        }
        None => {
            let mut em = Emitter::new_for(ctx.client.resp, result.len(), withscores);
            for (m, s) in &result {
                em.push(m, *s);
            }
            em.finish()
        }
    }
}
// ANCHOR_END: setop

/// Members of the smallest input found in all others. With `card_only`
/// and a nonzero `limit`, stops after `limit` members (scores are then
/// not needed and not computed).
fn inter(
    mut sources: Vec<Source>,
    agg: Aggregate,
    limit: usize,
    card_only: bool,
) -> Vec<(Vec<u8>, f64)> {
    sources.sort_by_key(|s| s.pairs.len());
    let Some((first, rest)) = sources.split_first() else {
        return Vec::new();
    };
    let lookups: Vec<Dict<Vec<u8>, f64>> = rest
        .iter()
        .map(|s| {
            let mut d = Dict::with_capacity(s.pairs.len());
            for (m, sc) in &s.pairs {
                d.insert(m.clone(), *sc);
            }
            d
        })
        .collect();
    let mut out = Vec::new();
    'members: for (m, sc) in &first.pairs {
        let mut acc = weighted(*sc, first.weight);
        for (d, src) in lookups.iter().zip(rest) {
            match d.get(m.as_slice()) {
                Some(&other) => {
                    if !card_only {
                        agg.apply(&mut acc, weighted(other, src.weight));
                    }
                }
                None => continue 'members,
            }
        }
        out.push((m.clone(), acc));
        if limit > 0 && out.len() >= limit {
            break;
        }
    }
    out
}

fn union(mut sources: Vec<Source>, agg: Aggregate) -> Vec<(Vec<u8>, f64)> {
    sources.sort_by_key(|s| s.pairs.len());
    let mut acc: Dict<Vec<u8>, f64> = Dict::new();
    for src in &sources {
        for (m, sc) in &src.pairs {
            let w = weighted(*sc, src.weight);
            match acc.get_mut(m.as_slice()) {
                Some(cur) => agg.apply(cur, w),
                None => {
                    acc.insert(m.clone(), w);
                }
            }
        }
    }
    acc.iter().map(|(m, s)| (m.clone(), *s)).collect()
}

/// Members of the first input that no other input has, with their
/// scores from the first.
fn diff(sources: Vec<Source>) -> Vec<(Vec<u8>, f64)> {
    let Some((first, rest)) = sources.split_first() else {
        return Vec::new();
    };
    let mut exclude: Dict<Vec<u8>, ()> = Dict::new();
    for src in rest {
        for (m, _) in &src.pairs {
            exclude.insert(m.clone(), ());
        }
    }
    first
        .pairs
        .iter()
        .filter(|(m, _)| !exclude.contains_key(m.as_slice()))
        .cloned()
        .collect()
}

fn zunion(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    setop_generic(ctx, argv, 1, None, SetOp::Union, false)
}

fn zinter(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    setop_generic(ctx, argv, 1, None, SetOp::Inter, false)
}

fn zdiff(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    setop_generic(ctx, argv, 1, None, SetOp::Diff, false)
}

fn zintercard(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    setop_generic(ctx, argv, 1, None, SetOp::Inter, true)
}

fn zunionstore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let dst = argv[1].clone();
    setop_generic(ctx, argv, 2, Some(&dst), SetOp::Union, false)
}

fn zinterstore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let dst = argv[1].clone();
    setop_generic(ctx, argv, 2, Some(&dst), SetOp::Inter, false)
}

fn zdiffstore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let dst = argv[1].clone();
    setop_generic(ctx, argv, 2, Some(&dst), SetOp::Diff, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_sums_become_zero_as_in_redis() {
        let mut acc = f64::INFINITY;
        Aggregate::Sum.apply(&mut acc, f64::NEG_INFINITY);
        assert_eq!(acc, 0.0);
        assert_eq!(weighted(f64::INFINITY, 0.0), 0.0);
    }
}
