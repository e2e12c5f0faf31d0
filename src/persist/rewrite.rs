//! The AOF rewrite: the whole dataset as the shortest list of commands
//! that rebuilds it, or as an RDB preamble.
//!
//! Chapter: chapters/21-aof.md
//!
//! A log of every write grows without bound; the same dataset written
//! out key by key is usually far smaller:
//!
//! ```text
//!   log: INCR n (x1000), RPUSH l a, RPUSH l b, LPOP l ...
//!   rewrite: SELECT 0, SET n 1000, RPUSH l b, PEXPIREAT l 1767225600000
//! ```
//!
//! Collections are written in commands of at most `ITEMS_PER_CMD` items,
//! as Redis does, so no single command in the file is huge.
//!
//! Invariants:
//! 1. Replaying the output into an empty server gives back every key,
//!    value and expiry of `dbs` (TTLs as absolute PEXPIREAT times).
//! 2. Keys already expired at `now_ms` are left out.
//!
//! Not here: where the output goes (`aof.rs`).

use std::io::{self, Write};

use crate::cmd::{hash, set};
use crate::db::object::Value;
use crate::db::{zset, Db};
use crate::ds::listpack::LpValue;
use crate::server::Server;

/// Redis's AOF_REWRITE_ITEMS_PER_CMD.
pub const ITEMS_PER_CMD: usize = 64;

/// Whether `aof-use-rdb-preamble yes` is honoured (it is: the base is
/// then an RDB file with the `aof-base` AUX field set).
pub const RDB_PREAMBLE_AVAILABLE: bool = true;

fn emit(w: &mut impl Write, buf: &mut Vec<u8>, argv: &[&[u8]]) -> io::Result<()> {
    buf.clear();
    crate::resp::reply::write_array_header(buf, argv.len());
    for a in argv {
        crate::resp::reply::write_bulk(buf, a);
    }
    w.write_all(buf)
}

/// Writes `items` as `cmd key item...` commands of at most ITEMS_PER_CMD
/// items (for a hash or sorted set, an item is two arguments).
fn emit_batched(
    w: &mut impl Write,
    buf: &mut Vec<u8>,
    cmd: &[u8],
    key: &[u8],
    items: &[Vec<u8>],
    per_item: usize,
) -> io::Result<()> {
    for chunk in items.chunks(ITEMS_PER_CMD * per_item) {
        let mut argv: Vec<&[u8]> = Vec::with_capacity(2 + chunk.len());
        argv.push(cmd);
        argv.push(key);
        argv.extend(chunk.iter().map(Vec::as_slice));
        emit(w, buf, &argv)?;
    }
    Ok(())
}

// ANCHOR: write_commands
/// Writes every db of `dbs` as commands (invariants 1 and 2).
pub fn write_commands(w: &mut impl Write, dbs: &[Db], now_ms: u64) -> io::Result<()> {
    let mut buf = Vec::with_capacity(4096);
    let mut written = 0u64;
    for (dbi, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        emit(w, &mut buf, &[b"SELECT", dbi.to_string().as_bytes()])?;
        for (key, obj) in db.keys.iter() {
            let key = key.as_bytes();
            let expire = db.get_expire(key);
            if expire.is_some_and(|t| t >= 0 && (t as u64) <= now_ms) {
                continue; // invariant 2
            }
            write_value(w, &mut buf, key, &obj.value)?;
            written += 1;
            if written.is_multiple_of(1024) {
                crate::server::child::report_progress();
            }
            if let Some(t) = expire {
                emit(w, &mut buf, &[b"PEXPIREAT", key, t.to_string().as_bytes()])?;
            }
        }
    }
    Ok(())
}
// ANCHOR_END: write_commands

fn write_value(w: &mut impl Write, buf: &mut Vec<u8>, key: &[u8], v: &Value) -> io::Result<()> {
    match v {
        Value::Int(_) | Value::Inline(_) | Value::Emb(_) | Value::Raw(_) => {
            let obj = crate::db::object::RObj::new(v.clone(), 0);
            let bytes = obj.string_bytes().unwrap_or_default();
            emit(w, buf, &[b"SET", key, &bytes])
        }
        Value::List(l) => {
            let mut items = Vec::with_capacity(l.len());
            if !l.is_empty() {
                l.for_range(0, l.len() - 1, |e| {
                    items.push(match e {
                        LpValue::Str(s) => s.to_vec(),
                        LpValue::Int(_) => e.to_vec(),
                    })
                });
            }
            emit_batched(w, buf, b"RPUSH", key, &items, 1)
        }
        Value::HashLp(_) | Value::HashTable(_) => {
            let items: Vec<Vec<u8>> = hash::pairs(v)
                .into_iter()
                .flat_map(|(f, val)| [f, val])
                .collect();
            emit_batched(w, buf, b"HMSET", key, &items, 2)
        }
        Value::SetInt(_) | Value::SetTable(_) => {
            emit_batched(w, buf, b"SADD", key, &set::members(v), 1)
        }
        Value::ZsetLp(_) | Value::ZsetSkip(_) => {
            let mut items = Vec::with_capacity(zset::len(v) * 2);
            for (m, s) in zset::pairs(v) {
                let mut t = Vec::new();
                crate::resp::reply::format_double(s, &mut t);
                items.push(t);
                items.push(m);
            }
            emit_batched(w, buf, b"ZADD", key, &items, 2)
        }
    }
}

/// The base as an RDB file (`aof-use-rdb-preamble yes`): smaller and
/// faster to load than commands, and what Redis 7.0 writes by default.
pub fn write_rdb_preamble(w: &mut impl Write, srv: &Server) -> io::Result<()> {
    let mut opts = crate::server::rdb::save_options(srv);
    opts.aof_base = true;
    opts.progress = Some(crate::server::child::report_progress);
    crate::persist::rdb::save_dbs(w, &srv.dbs, &opts).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_hold_at_most_64_items() {
        let mut out = Vec::new();
        let mut buf = Vec::new();
        let items: Vec<Vec<u8>> = (0..130).map(|i| i.to_string().into_bytes()).collect();
        emit_batched(&mut out, &mut buf, b"SADD", b"s", &items, 1).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches("SADD").count(), 3);
        assert!(text.starts_with("*66\r\n$4\r\nSADD\r\n"));
    }
}
