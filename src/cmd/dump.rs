//! DUMP and RESTORE: one key's value as an RDB payload, and back.
//!
//! Chapter: chapters/20-rdb.md
//!
//! DUMP serializes a value exactly as a snapshot would (type byte and
//! object), then appends the RDB version and a CRC-64, so the payload can
//! travel to another server (MIGRATE is built on this pair in Redis) and be
//! checked there. RESTORE verifies the footer, decodes the value with the
//! same validating loader as start-up, and stores it.
//!
//! Invariants:
//! 1. RESTORE checks its arguments in Redis's order: options, then the
//!    target key (BUSYKEY), then the TTL, then the payload's footer, then
//!    its contents; so the first error a client sees is Redis's.
//! 2. A payload is decoded completely before anything in the keyspace
//!    changes: a bad payload leaves the old key in place even with REPLACE.
//!
//! Not here: the payload format (persist/rdb).

use super::flag::*;
use super::{acl, eq_ic, parse_i64, Command, ERR_NOT_INTEGER, ERR_SYNTAX};
use crate::db::object::{lru_clock, RObj, LRU_CLOCK_MAX};
use crate::persist::rdb;
use crate::resp::Reply;
use crate::server::notify::class;
use crate::server::Ctx;

pub static COMMANDS: &[Command] = &[
    Command::new("dump", dump, 2, READONLY)
        .keys(1, 1, 1)
        .acl(acl::KEYSPACE)
        .doc("generic", "2.6.0", "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).", "Return a serialized version of the value stored at the specified key.")
        .syntax("key"),
    Command::new("restore", restore, -4, WRITE | DENYOOM)
        .keys(1, 1, 1)
        .acl(acl::KEYSPACE | acl::DANGEROUS)
        .doc("generic", "2.6.0", "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).", "Create a key using the provided serialized value, previously obtained using DUMP.")
        .syntax("key ttl:integer serialized-value:string [REPLACE] [ABSTTL] [IDLETIME seconds:integer] [FREQ frequency:integer]"),
];

fn dump(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let now = ctx.srv.now_ms;
    let compress = ctx.srv.config.rdbcompression;
    match ctx.db().lookup_read(&argv[1], now) {
        Some(o) => Reply::Bulk(rdb::dump_payload(&o.value, compress)),
        None => Reply::Null,
    }
}

// ANCHOR: restore
fn restore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq): (Option<i64>, Option<i64>) = (None, None);
    let mut j = 4;
    while j < argv.len() {
        let a = &argv[j];
        let more = j + 1 < argv.len();
        if eq_ic(a, "replace") {
            replace = true;
        } else if eq_ic(a, "absttl") {
            absttl = true;
        } else if eq_ic(a, "idletime") && more && freq.is_none() {
            let Some(v) = parse_i64(&argv[j + 1]) else {
                return Reply::error(ERR_NOT_INTEGER);
            };
            if v < 0 {
                return Reply::error("ERR Invalid IDLETIME value, must be >= 0");
            }
            idle = Some(v);
            j += 1;
        } else if eq_ic(a, "freq") && more && idle.is_none() {
            let Some(v) = parse_i64(&argv[j + 1]) else {
                return Reply::error(ERR_NOT_INTEGER);
            };
            if !(0..=255).contains(&v) {
                return Reply::error("ERR Invalid FREQ value, must be >= 0 and <= 255");
            }
            freq = Some(v);
            j += 1;
        } else {
            return Reply::error(ERR_SYNTAX);
        }
        j += 1;
    }
    // LFU counters arrive with eviction; until then FREQ is validated and
    // ignored, as Redis ignores it under a non-LFU maxmemory-policy.
    let _ = freq;
    let key = &argv[1];
    let now = ctx.srv.now_ms;
    if !replace && ctx.db().exists(key, now) {
        return Reply::error("BUSYKEY Target key name already exists.");
    }
    let Some(ttl) = parse_i64(&argv[2]) else {
        return Reply::error(ERR_NOT_INTEGER);
    };
    if ttl < 0 {
        return Reply::error("ERR Invalid TTL value, must be >= 0");
    }
    let Some(body) = rdb::verify_dump_payload(&argv[3]) else {
        return Reply::error("ERR DUMP payload version or checksum are wrong");
    };
    let opts = crate::server::rdb::load_options(ctx.srv);
    let Ok(value) = rdb::decode_value(body, &opts) else {
        return Reply::error("ERR Bad data format");
    };
    let deleted = replace && ctx.db().delete(key, now);
    let when = if ttl != 0 && !absttl {
        ttl.saturating_add(now as i64)
    } else {
        ttl
    };
    if when != 0 && when <= now as i64 {
        // Already expired: the key is simply gone (deleted above if
        // REPLACE found one), and the reply is still OK.
        if deleted {
            ctx.modified(class::GENERIC, "del", key);
            ctx.propagate_as(vec![vec![b"DEL".to_vec(), key.to_vec()]]);
        }
        return Reply::ok();
    }
    let clock = lru_clock(now);
    let lru = match idle {
        Some(s) => clock.wrapping_sub(s.min(LRU_CLOCK_MAX as i64) as u32) & LRU_CLOCK_MAX,
        None => clock,
    };
    ctx.db().set(key, RObj::new(value, lru), false);
    if when != 0 {
        ctx.db().set_expire(key, when);
        if !absttl {
            // A relative TTL is propagated as the absolute time it meant.
            let mut abs = argv.to_vec();
            abs[2] = when.to_string().into_bytes();
            abs.push(b"ABSTTL".to_vec());
            ctx.propagate_as(vec![abs]);
        }
    }
    ctx.modified(class::GENERIC, "restore", key);
    Reply::ok()
}
// ANCHOR_END: restore
