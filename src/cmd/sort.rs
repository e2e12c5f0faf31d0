//! SORT and SORT_RO: sort the elements of a list (and, when those types
//! arrive, a set or sorted set), optionally by external keys, fetching
//! external keys, and storing the result.
//!
//! Chapter: chapters/13-lists.md
//!
//! ```text
//!   SORT mylist BY weight_* GET # GET name_* LIMIT 0 10 DESC ALPHA STORE out
//!        ^source  ^sort by the value of weight_<element>
//!                             ^emit the element itself, then name_<element>
//! ```
//!
//! Invariants:
//! 1. Ties are broken by comparing the elements' bytes, so the order is
//!    fully determined (replicas and AOF replays agree).
//! 2. With STORE, the destination is replaced by a list (or deleted when
//!    the result is empty), whatever it held.
//!
//! Not here: the list type itself (`list.rs`).

use std::cmp::Ordering;

use super::flag::*;
use super::string::ERR_WRONGTYPE;
use super::{acl, eq_ic, parse_i64, Command, ERR_NOT_INTEGER, ERR_SYNTAX};
use crate::db::object::{self, RObj, Value};
use crate::resp::Reply;
use crate::server::notify::class;
use crate::server::Ctx;

pub static COMMANDS: &[Command] = &[
    Command::new("sort", sort, -2, WRITE | DENYOOM | MOVABLE_KEYS)
        .keys(1, 1, 1)
        .acl(acl::SET | acl::SORTEDSET | acl::LIST | acl::DANGEROUS)
        .doc("generic", "1.0.0", "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).", "Sort the elements in a list, set or sorted set")
        .syntax("key [BY pattern:pattern] [LIMIT offset:integer count:integer] [GET pattern:pattern...] [ASC|DESC] [ALPHA] [STORE destination:key]"),
    Command::new("sort_ro", sort_ro, -2, READONLY | MOVABLE_KEYS)
        .keys(1, 1, 1)
        .acl(acl::SET | acl::SORTEDSET | acl::LIST | acl::DANGEROUS)
        .doc("generic", "7.0.0", "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).", "Sort the elements in a list, set or sorted set. Read-only variant of SORT.")
        .syntax("key [BY pattern:pattern] [LIMIT offset:integer count:integer] [GET pattern:pattern...] [ASC|DESC] [ALPHA]"),
];

/// An element, its numeric weight (when sorting by number), and the value
/// of its BY key (when sorting by an external key).
type SortItem = (Vec<u8>, Option<f64>, Option<Vec<u8>>);

struct Options {
    by: Option<Vec<u8>>,
    dont_sort: bool,
    limit: Option<(i64, i64)>,
    gets: Vec<Vec<u8>>,
    desc: bool,
    alpha: bool,
    store: Option<Vec<u8>>,
}

fn parse_options(argv: &[Vec<u8>], read_only: bool) -> Result<Options, Reply> {
    let mut o = Options {
        by: None,
        dont_sort: false,
        limit: None,
        gets: Vec::new(),
        desc: false,
        alpha: false,
        store: None,
    };
    let mut i = 2;
    while i < argv.len() {
        let a = &argv[i];
        let left = argv.len() - i - 1;
        if eq_ic(a, "asc") {
            o.desc = false;
        } else if eq_ic(a, "desc") {
            o.desc = true;
        } else if eq_ic(a, "alpha") {
            o.alpha = true;
        } else if eq_ic(a, "limit") && left >= 2 {
            let (Some(off), Some(cnt)) = (parse_i64(&argv[i + 1]), parse_i64(&argv[i + 2])) else {
                return Err(Reply::error(ERR_NOT_INTEGER));
            };
            o.limit = Some((off, cnt));
            i += 2;
        } else if eq_ic(a, "store") && left >= 1 && !read_only {
            o.store = Some(argv[i + 1].clone());
            i += 1;
        } else if eq_ic(a, "by") && left >= 1 {
            let p = argv[i + 1].clone();
            // A BY pattern without '*' cannot name a key per element:
            // Redis then skips sorting altogether.
            o.dont_sort = !p.contains(&b'*');
            o.by = Some(p);
            i += 1;
        } else if eq_ic(a, "get") && left >= 1 {
            o.gets.push(argv[i + 1].clone());
            i += 1;
        } else {
            return Err(Reply::error(ERR_SYNTAX));
        }
        i += 1;
    }
    Ok(o)
}

// ANCHOR: lookup_pattern
/// Redis's lookupKeyByPattern: `#` is the element itself; otherwise the
/// first `*` is replaced by the element and the key's string value is
/// read. A `->field` suffix reads that field of a hash instead.
fn lookup_pattern(ctx: &mut Ctx, pattern: &[u8], element: &[u8]) -> Option<Vec<u8>> {
    if pattern == b"#" {
        return Some(element.to_vec());
    }
    let star = pattern.iter().position(|&b| b == b'*')?;
    let arrow = pattern
        .windows(2)
        .position(|w| w == b"->")
        .filter(|&p| p > star && p + 2 < pattern.len());
    let key_end = arrow.unwrap_or(pattern.len());
    let mut key = Vec::with_capacity(key_end + element.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(element);
    key.extend_from_slice(&pattern[star + 1..key_end]);
    let now = ctx.srv.now_ms;
    let obj = ctx.db().lookup_read(&key, now)?;
    match arrow {
        Some(a) => super::hash::hash_get(&obj.value, &pattern[a + 2..]),
        None => obj.string_bytes().map(|b| b.into_owned()),
    }
}
// ANCHOR_END: lookup_pattern

/// Redis parses sort weights with strtod and refuses leftovers or NaN:
/// leading spaces are skipped, hex floats and "inf" accepted, and an empty
/// string is 0 (strtod consumes nothing and leaves nothing over).
fn parse_weight(b: &[u8]) -> Option<f64> {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let t = &b[start..];
    if t.is_empty() {
        return Some(0.0);
    }
    crate::ds::longdouble::LongDouble::parse(t)
        .map(|v| v.to_f64())
        .filter(|v| !v.is_nan())
}

fn sort(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    sort_generic(ctx, argv, false)
}

fn sort_ro(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    sort_generic(ctx, argv, true)
}

fn sort_generic(ctx: &mut Ctx, argv: &[Vec<u8>], read_only: bool) -> Reply {
    let mut opts = match parse_options(argv, read_only) {
        Ok(o) => o,
        Err(e) => return e,
    };
    // A set has no order of its own: an unsorted SORT ... STORE of a set
    // would store an arbitrary order, so Redis sorts it by the members'
    // bytes instead, and so do we.
    let now = ctx.srv.now_ms;
    let is_set = matches!(
        ctx.db().peek(&argv[1], now).map(|o| &o.value),
        Some(Value::SetInt(_) | Value::SetTable(_))
    );
    if opts.dont_sort && is_set && opts.store.is_some() {
        opts.dont_sort = false;
        opts.alpha = true;
        opts.by = None;
    }
    // Load the elements.
    let elements: Vec<Vec<u8>> = match ctx.db().lookup_read(&argv[1], now) {
        None => Vec::new(),
        Some(RObj {
            value: Value::List(l),
            ..
        }) => {
            let mut v = Vec::with_capacity(l.len());
            if !l.is_empty() {
                let last = l.len() - 1;
                l.for_range(0, last, |e| v.push(e.to_vec()));
            }
            v
        }
        Some(
            o @ RObj {
                value: Value::SetInt(_) | Value::SetTable(_),
                ..
            },
        ) => super::set::members(&o.value),
        // A sorted set in its own order, lowest score first: BY nosort
        // keeps it (reversed under DESC, below).
        Some(o) if crate::db::zset::is_zset(&o.value) => crate::db::zset::pairs(&o.value)
            .into_iter()
            .map(|(m, _)| m)
            .collect(),
        Some(_) => return Reply::error(ERR_WRONGTYPE),
    };

    // Unsorted output of a list or sorted set runs tail-first under DESC, as Redis
    // iterates it from the other end.
    let elements = if opts.dont_sort && opts.desc {
        elements.into_iter().rev().collect()
    } else {
        elements
    };

    // Weights: from BY keys, or the elements themselves.
    let mut items: Vec<SortItem> = Vec::with_capacity(elements.len());
    for e in elements {
        let by_value = match (&opts.by, opts.dont_sort) {
            (Some(p), false) => lookup_pattern(ctx, p, &e),
            _ => None,
        };
        let mut score = None;
        if !opts.dont_sort && !opts.alpha {
            let src = if opts.by.is_some() {
                by_value.as_deref()
            } else {
                Some(e.as_slice())
            };
            if let Some(b) = src {
                match parse_weight(b) {
                    Some(w) => score = Some(w),
                    None => {
                        return Reply::error(
                            "ERR One or more scores can't be converted into double",
                        )
                    }
                }
            }
        }
        items.push((e, score, by_value));
    }

    // ANCHOR: compare
    if !opts.dont_sort {
        let use_by = opts.by.is_some();
        items.sort_by(|a, b| {
            let ord = if opts.alpha {
                let (x, y) = if use_by {
                    (a.2.as_deref(), b.2.as_deref())
                } else {
                    (Some(a.0.as_slice()), Some(b.0.as_slice()))
                };
                // A missing BY value sorts first.
                x.cmp(&y)
            } else {
                a.1.unwrap_or(0.0)
                    .partial_cmp(&b.1.unwrap_or(0.0))
                    .unwrap_or(Ordering::Equal)
            };
            // Invariant 1: ties broken by the elements' bytes.
            let ord = ord.then_with(|| a.0.cmp(&b.0));
            if opts.desc {
                ord.reverse()
            } else {
                ord
            }
        });
    }
    // ANCHOR_END: compare

    // LIMIT, with Redis's clamping.
    let len = items.len() as i64;
    let (start, end) = match opts.limit {
        None => (0, len - 1),
        Some((off, cnt)) => {
            let s = off.max(0).min(len);
            let e = if cnt < 0 {
                len - 1
            } else {
                (s + cnt - 1).min(len - 1)
            };
            (s, e)
        }
    };
    let selected: Vec<Vec<u8>> = if start > end {
        Vec::new()
    } else {
        items
            .into_iter()
            .skip(start as usize)
            .take((end - start + 1) as usize)
            .map(|(e, _, _)| e)
            .collect()
    };

    // Output: the elements, or the GET lookups per element.
    let mut out: Vec<Option<Vec<u8>>> = Vec::new();
    for e in &selected {
        if opts.gets.is_empty() {
            out.push(Some(e.clone()));
        } else {
            for g in &opts.gets {
                out.push(lookup_pattern(ctx, g, e));
            }
        }
    }
    match opts.store {
        None => Reply::Array(
            out.into_iter()
                .map(|v| v.map_or(Reply::Null, Reply::Bulk))
                .collect(),
        ),
        Some(dst) => {
            let n = out.len();
            if n == 0 && ctx.db().remove(&dst).is_some() {
                ctx.modified(class::GENERIC, "del", &dst);
            }
            if n > 0 {
                let cfg = &ctx.srv.config;
                let mut l = crate::ds::quicklist::Quicklist::new(
                    cfg.list_max_listpack_size,
                    cfg.list_compress_depth,
                );
                for v in out {
                    l.push_back(&v.unwrap_or_default());
                }
                let lru = object::lru_clock(now);
                // An overwrite, not delete-and-create: no `new` event.
                ctx.db()
                    .set(&dst, RObj::new(Value::List(Box::new(l)), lru), false);
                ctx.modified(class::LIST, "sortstore", &dst);
            }
            Reply::Integer(n as i64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_parse_like_strtod_without_leftovers() {
        assert_eq!(parse_weight(b"1.5"), Some(1.5));
        assert_eq!(parse_weight(b" 2"), Some(2.0));
        assert_eq!(parse_weight(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_weight(b"1x"), None);
        assert_eq!(parse_weight(b""), Some(0.0));
        assert_eq!(parse_weight(b"0x10"), Some(16.0));
        assert_eq!(parse_weight(b"nan"), None);
    }
}
