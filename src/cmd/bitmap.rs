//! Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD,
//! BITFIELD_RO — strings viewed as arrays of bits.
//!
//! Chapter: chapters/11-strings.md
//!
//! The bit algorithms are pure functions in `ds/bitops.rs`; this file
//! parses arguments, checks limits and stores results as raw strings.
//!
//! Invariants:
//! 1. No command grows a string past `proto-max-bulk-len` (checked before
//!    growing, as for APPEND).
//! 2. A missing key reads as an empty string: all bits zero.
//!
//! Not here: the string commands (`string.rs`).

use super::flag::*;
use super::string::{check_size, string_value, ERR_WRONGTYPE};
use super::{acl, eq_ic, parse_i64, Command, ERR_NOT_INTEGER, ERR_SYNTAX};
use crate::db::object::{self, RObj, Value};
use crate::ds::bitops::{self, BitOp, BitfieldType, Overflow};
use crate::ds::sds::Sds;
use crate::resp::Reply;
use crate::server::notify::class;
use crate::server::Ctx;

pub static COMMANDS: &[Command] = &[
    Command::new("setbit", setbit, 4, WRITE | DENYOOM)
        .keys(1, 1, 1)
        .acl(acl::BITMAP)
        .doc("bitmap", "2.2.0", "O(1)", "Sets or clears the bit at offset in the string value stored at key")
        .syntax("key offset:integer value:integer"),
    Command::new("getbit", getbit, 3, READONLY | FAST)
        .keys(1, 1, 1)
        .acl(acl::BITMAP)
        .doc("bitmap", "2.2.0", "O(1)", "Returns the bit value at offset in the string value stored at key")
        .syntax("key offset:integer"),
    Command::new("bitcount", bitcount, -2, READONLY)
        .keys(1, 1, 1)
        .acl(acl::BITMAP)
        .doc("bitmap", "2.6.0", "O(N)", "Count set bits in a string")
        .syntax("key [start:integer end:integer [BYTE|BIT]]"),
    Command::new("bitpos", bitpos, -3, READONLY)
        .keys(1, 1, 1)
        .acl(acl::BITMAP)
        .doc("bitmap", "2.8.7", "O(N)", "Find first bit set or clear in a string")
        .syntax("key bit:integer [start:integer [end:integer [BYTE|BIT]]]"),
    Command::new("bitop", bitop, -4, WRITE | DENYOOM)
        .keys(2, -1, 1)
        .acl(acl::BITMAP)
        .doc("bitmap", "2.6.0", "O(N)", "Perform bitwise operations between strings")
        .syntax("operation:string destkey:key key..."),
    Command::new("bitfield", bitfield, -2, WRITE | DENYOOM)
        .keys(1, 1, 1)
        .acl(acl::BITMAP)
        .doc("bitmap", "3.2.0", "O(1) for each subcommand specified", "Perform arbitrary bitfield integer operations on strings")
        .syntax("key [GET encoding:string offset:integer|SET encoding:string offset:integer value:integer|INCRBY encoding:string offset:integer increment:integer|OVERFLOW WRAP|SAT|FAIL]..."),
    Command::new("bitfield_ro", bitfield_ro, -2, READONLY | FAST)
        .keys(1, 1, 1)
        .acl(acl::BITMAP)
        .doc("bitmap", "6.0.0", "O(1) for each subcommand specified", "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD")
        .syntax("key [GET encoding:string offset:integer]..."),
];

const ERR_BIT_OFFSET: &str = "ERR bit offset is not an integer or out of range";

/// The bytes of a string key (empty when missing, invariant 2).
fn read_bytes(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Vec<u8>>, Reply> {
    let now = ctx.srv.now_ms;
    match ctx.db().lookup_read(key, now) {
        Some(o) => string_value(o).map(|b| Some(b.into_owned())),
        None => Ok(None),
    }
}

/// A bit offset: non-negative, and its byte below proto-max-bulk-len.
fn bit_offset(ctx: &Ctx, arg: &[u8]) -> Result<u64, Reply> {
    let limit = ctx.srv.config.proto_max_bulk_len;
    bitops::parse_bit_offset(arg, None, limit).ok_or_else(|| Reply::error(ERR_BIT_OFFSET))
}

/// Runs `f` on the key's bytes as a raw SDS, creating the key when
/// missing; deletes nothing. Returns `f`'s result and whether the key
/// changed (created, grown, or a byte differs): only a change is a write
/// for WATCH and keyspace events, as in Redis.
fn with_raw<T>(
    ctx: &mut Ctx,
    key: &[u8],
    f: impl FnOnce(&mut Vec<u8>) -> T,
) -> Result<(T, bool), Reply> {
    let now = ctx.srv.now_ms;
    let db = ctx.db();
    let before = match db.lookup_write(key, now) {
        Some(o) => Some(string_value(o)?.into_owned()),
        None => None,
    };
    let mut bytes = before.clone().unwrap_or_default();
    let out = f(&mut bytes);
    let changed = before.as_deref() != Some(bytes.as_slice());
    let value = Value::Raw(Sds::new(&bytes));
    match db.lookup_write(key, now) {
        // In place: the TTL stays, and an unchanged value touches nothing.
        Some(o) => o.value = value,
        None => db.add(key, RObj::new(value, object::lru_clock(now))),
    }
    Ok((out, changed))
}

// ANCHOR: setbit
fn setbit(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let offset = match bit_offset(ctx, &argv[2]) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let on = match argv[3].as_slice() {
        b"1" => true,
        b"0" => false,
        _ => return Reply::error("ERR bit is not an integer or out of range"),
    };
    let now = ctx.srv.now_ms;
    // Fast path: an existing raw string long enough is edited in place.
    if let Some(o) = ctx.db().lookup_write(&argv[1], now) {
        if let Value::Raw(s) = &mut o.value {
            let byte = (offset >> 3) as usize;
            if byte < s.len() {
                let mask = 0x80u8 >> (offset & 7);
                let b = &mut s.as_bytes_mut()[byte];
                let old = (*b & mask != 0) as i64;
                if on {
                    *b |= mask;
                } else {
                    *b &= !mask;
                }
                if old != on as i64 {
                    ctx.modified(class::STRING, "setbit", &argv[1]);
                }
                return Reply::Integer(old);
            }
        }
    }
    match with_raw(ctx, &argv[1], |bytes| bitops::set_bit(bytes, offset, on)) {
        Ok((old, changed)) => {
            if changed {
                ctx.modified(class::STRING, "setbit", &argv[1]);
            }
            Reply::Integer(old as i64)
        }
        Err(e) => e,
    }
}
// ANCHOR_END: setbit

fn getbit(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let offset = match bit_offset(ctx, &argv[2]) {
        Ok(o) => o,
        Err(e) => return e,
    };
    match read_bytes(ctx, &argv[1]) {
        Ok(Some(b)) => Reply::Integer(bitops::get_bit(&b, offset) as i64),
        Ok(None) => Reply::Integer(0),
        Err(e) => e,
    }
}

/// Parses `[start end [BYTE|BIT]]` from argv[i..] (BITCOUNT).
fn parse_range(argv: &[Vec<u8>], i: usize) -> Result<(Option<(i64, i64)>, bool), Reply> {
    match argv.len() - i {
        0 => Ok((None, false)),
        2 | 3 => {
            let (Some(s), Some(e)) = (parse_i64(&argv[i]), parse_i64(&argv[i + 1])) else {
                return Err(Reply::error(ERR_NOT_INTEGER));
            };
            let bit_unit = match argv.get(i + 2) {
                None => false,
                Some(u) if eq_ic(u, "byte") => false,
                Some(u) if eq_ic(u, "bit") => true,
                Some(_) => return Err(Reply::error(ERR_SYNTAX)),
            };
            Ok((Some((s, e)), bit_unit))
        }
        _ => Err(Reply::error(ERR_SYNTAX)),
    }
}

fn bitcount(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let bytes = match read_bytes(ctx, &argv[1]) {
        Ok(Some(b)) => b,
        // Redis answers 0 for a missing key before looking at the range.
        Ok(None) => return Reply::Integer(0),
        Err(e) => return e,
    };
    match parse_range(argv, 2) {
        Ok((range, bit_unit)) => Reply::Integer(bitops::bitcount(&bytes, range, bit_unit) as i64),
        Err(e) => e,
    }
}

fn bitpos(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let bit = match parse_i64(&argv[2]) {
        Some(b @ (0 | 1)) => b as u8,
        Some(_) => return Reply::error("ERR The bit argument must be 1 or 0."),
        None => return Reply::error(ERR_NOT_INTEGER),
    };
    let mut start = None;
    let mut end = None;
    let mut bit_unit = false;
    if argv.len() > 6 {
        return Reply::error(ERR_SYNTAX);
    }
    if let Some(a) = argv.get(3) {
        match parse_i64(a) {
            Some(v) => start = Some(v),
            None => return Reply::error(ERR_NOT_INTEGER),
        }
    }
    if let Some(a) = argv.get(4) {
        match parse_i64(a) {
            Some(v) => end = Some(v),
            None => return Reply::error(ERR_NOT_INTEGER),
        }
    }
    if let Some(u) = argv.get(5) {
        if eq_ic(u, "bit") {
            bit_unit = true;
        } else if !eq_ic(u, "byte") {
            return Reply::error(ERR_SYNTAX);
        }
    }
    match read_bytes(ctx, &argv[1]) {
        Ok(Some(b)) => Reply::Integer(bitops::bitpos(&b, bit, start, end, bit_unit)),
        // A missing key is all zeros: the first 0 is at 0, no 1 exists.
        Ok(None) => Reply::Integer(if bit == 1 { -1 } else { 0 }),
        Err(e) => e,
    }
}

fn bitop(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let op = if eq_ic(&argv[1], "and") {
        BitOp::And
    } else if eq_ic(&argv[1], "or") {
        BitOp::Or
    } else if eq_ic(&argv[1], "xor") {
        BitOp::Xor
    } else if eq_ic(&argv[1], "not") {
        BitOp::Not
    } else {
        return Reply::error(ERR_SYNTAX);
    };
    if matches!(op, BitOp::Not) && argv.len() != 4 {
        return Reply::error("ERR BITOP NOT must be called with a single source key.");
    }
    let mut sources = Vec::with_capacity(argv.len() - 3);
    for key in &argv[3..] {
        match read_bytes(ctx, key) {
            Ok(v) => sources.push(v.unwrap_or_default()),
            Err(e) => return e,
        }
    }
    let refs: Vec<&[u8]> = sources.iter().map(|v| v.as_slice()).collect();
    let result = bitops::bitop(op, &refs);
    let len = result.len();
    let now = ctx.srv.now_ms;
    let dest = &argv[2];
    if result.is_empty() {
        if ctx.db().delete(dest, now) {
            ctx.modified(class::GENERIC, "del", dest);
        }
    } else {
        let obj = RObj::new(Value::Raw(Sds::new(&result)), object::lru_clock(now));
        ctx.db().set(dest, obj, false);
        ctx.modified(class::STRING, "set", dest);
    }
    Reply::Integer(len as i64)
}

/// One parsed BITFIELD operation.
enum FieldOp {
    Get(BitfieldType, u64),
    Set(BitfieldType, u64, i64, Overflow),
    Incr(BitfieldType, u64, i64, Overflow),
}

fn parse_type(arg: &[u8]) -> Result<BitfieldType, Reply> {
    bitops::parse_bitfield_type(arg).ok_or_else(|| {
        Reply::error("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")
    })
}

fn parse_field_ops(ctx: &Ctx, argv: &[Vec<u8>], read_only: bool) -> Result<Vec<FieldOp>, Reply> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut i = 2;
    while i < argv.len() {
        let a = &argv[i];
        let left = argv.len() - i - 1;
        if eq_ic(a, "get") && left >= 2 {
            let ty = parse_type(&argv[i + 1])?;
            let off = field_offset(ctx, &argv[i + 2], ty)?;
            ops.push(FieldOp::Get(ty, off));
            i += 3;
        } else if eq_ic(a, "set") && left >= 3 {
            let ty = parse_type(&argv[i + 1])?;
            let off = field_offset(ctx, &argv[i + 2], ty)?;
            let v = parse_i64(&argv[i + 3]).ok_or_else(|| Reply::error(ERR_NOT_INTEGER))?;
            ops.push(FieldOp::Set(ty, off, v, overflow));
            i += 4;
        } else if eq_ic(a, "incrby") && left >= 3 {
            let ty = parse_type(&argv[i + 1])?;
            let off = field_offset(ctx, &argv[i + 2], ty)?;
            let v = parse_i64(&argv[i + 3]).ok_or_else(|| Reply::error(ERR_NOT_INTEGER))?;
            ops.push(FieldOp::Incr(ty, off, v, overflow));
            i += 4;
        } else if eq_ic(a, "overflow") && left >= 1 {
            let m = &argv[i + 1];
            overflow = if eq_ic(m, "wrap") {
                Overflow::Wrap
            } else if eq_ic(m, "sat") {
                Overflow::Sat
            } else if eq_ic(m, "fail") {
                Overflow::Fail
            } else {
                return Err(Reply::error("ERR Invalid OVERFLOW type specified"));
            };
            i += 2;
        } else {
            return Err(Reply::error(ERR_SYNTAX));
        }
        if read_only && !matches!(ops.last(), Some(FieldOp::Get(..)) | None) {
            return Err(Reply::error(
                "ERR BITFIELD_RO only supports the GET subcommand",
            ));
        }
    }
    Ok(ops)
}

fn field_offset(ctx: &Ctx, arg: &[u8], ty: BitfieldType) -> Result<u64, Reply> {
    let limit = ctx.srv.config.proto_max_bulk_len;
    bitops::parse_bit_offset(arg, Some(ty.bits), limit).ok_or_else(|| Reply::error(ERR_BIT_OFFSET))
}

fn bitfield_generic(ctx: &mut Ctx, argv: &[Vec<u8>], read_only: bool) -> Reply {
    let ops = match parse_field_ops(ctx, argv, read_only) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let writes = ops.iter().any(|o| !matches!(o, FieldOp::Get(..)));
    let key = &argv[1];
    if !writes {
        let bytes = match read_bytes(ctx, key) {
            Ok(v) => v.unwrap_or_default(),
            Err(e) => return e,
        };
        return Reply::Array(
            ops.iter()
                .map(|o| match o {
                    FieldOp::Get(ty, off) => {
                        Reply::Integer(bitops::bitfield_get(&bytes, *off, *ty))
                    }
                    _ => Reply::Null,
                })
                .collect(),
        );
    }
    // Writes: check the final size first (invariant 1).
    let needed = ops
        .iter()
        .map(|o| match o {
            FieldOp::Set(ty, off, ..) | FieldOp::Incr(ty, off, ..) => {
                bitops::bytes_needed(*off, ty.bits)
            }
            FieldOp::Get(..) => 0,
        })
        .max()
        .unwrap_or(0);
    if let Err(e) = check_size(ctx, needed) {
        return e;
    }
    let now = ctx.srv.now_ms;
    if let Some(o) = ctx.db().lookup_write(key, now) {
        if string_value(o).is_err() {
            return Reply::error(ERR_WRONGTYPE);
        }
    }
    let result = with_raw(ctx, key, |bytes| {
        // As Redis: the string grows to cover every write of the call
        // before any runs, so even an OVERFLOW FAIL creates the bytes.
        if (bytes.len() as u64) < needed {
            bytes.resize(needed as usize, 0);
        }
        ops.iter()
            .map(|o| match *o {
                FieldOp::Get(ty, off) => Reply::Integer(bitops::bitfield_get(bytes, off, ty)),
                FieldOp::Set(ty, off, v, ov) => match bitops::bitfield_set(bytes, off, ty, v, ov) {
                    Some(old) => Reply::Integer(old),
                    None => Reply::Null,
                },
                FieldOp::Incr(ty, off, v, ov) => {
                    match bitops::bitfield_incrby(bytes, off, ty, v, ov) {
                        Some(new) => Reply::Integer(new),
                        None => Reply::Null,
                    }
                }
            })
            .collect::<Vec<_>>()
    });
    match result {
        Ok((items, changed)) => {
            if changed {
                ctx.modified(class::STRING, "setbit", key);
            }
            Reply::Array(items)
        }
        Err(e) => e,
    }
}

fn bitfield(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    bitfield_generic(ctx, argv, false)
}

fn bitfield_ro(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    bitfield_generic(ctx, argv, true)
}
