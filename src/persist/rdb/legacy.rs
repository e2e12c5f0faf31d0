//! Legacy blobs: the ziplist and the zipmap, read only to load old RDB files.
//!
//! Chapter: chapters/20-rdb.md
//!
//! Redis stopped creating ziplists in 7.0 (listpacks replaced them) and
//! zipmaps in 2.6, but a 7.0 server still loads files that contain them, so
//! we must read both. Neither is ever kept in memory: the loader turns each
//! into a listpack (or a bigger encoding) at once, so this file only
//! *validates and iterates*.
//!
//! ```text
//!  ziplist:  [ zlbytes u32 | zltail u32 | zllen u16 | entry ... | FF ]
//!  entry:    [ prevlen: 1 byte, or FE + u32 | encoding (+len) | data ]
//!
//!    encoding  00llllll            string of up to 63 bytes
//!              01llllll llllllll   string of up to 16383 bytes (BE)
//!              10000000 + u32 BE   longer string
//!              C0 / D0 / E0        int16 / int32 / int64, little-endian
//!              F0 / FE             int24 / int8
//!              F1..FD              the integer 0..12, no data byte
//!
//!  ["a", 5] as a ziplist (16 bytes):
//!    10 00 00 00 | 0d 00 00 00 | 02 00 | 00 01 61 | 03 f6 | ff
//!    zlbytes=16    zltail=13     zllen   "a"        5: prevlen 3, imm 5+1
//!
//!  zipmap:   [ zmlen u8 | len field | len free value+free ... | FF ]
//!    len is one byte below 254, else FE + u32 (native order, LE here)
//! ```
//!
//! Invariants:
//! 1. `ziplist_entries` and `zipmap_pairs` succeed only on a buffer whose
//!    every length lies inside it and whose counts agree with its header
//!    (deep validation, as Redis's `ziplistValidateIntegrity(.., deep=1)`
//!    and `zipmapValidateIntegrity`); they never read outside the slice.
//! 2. Every returned slice borrows from the input: nothing is allocated by
//!    a length the input declares, only per entry actually present.
//!
//! Not here: turning the entries into listpacks, hashes, sets (load.rs).

/// An entry of a ziplist: bytes or an integer, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZlEntry<'a> {
    Str(&'a [u8]),
    Int(i64),
}

impl ZlEntry<'_> {
    /// The entry as a string (integers in decimal).
    pub fn to_vec(self) -> Vec<u8> {
        match self {
            ZlEntry::Str(s) => s.to_vec(),
            ZlEntry::Int(n) => n.to_string().into_bytes(),
        }
    }
}

const ZL_HEADER: usize = 10;
const ZL_END: u8 = 0xFF;
/// A prevlen byte of 254 announces a 4-byte previous length.
const ZL_BIG_PREVLEN: u8 = 0xFE;
/// zllen of 65535 means "too many to count in the header: walk".
const ZL_COUNT_UNKNOWN: u16 = u16::MAX;

fn u32_le(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

// ANCHOR: ziplist
/// Validates a ziplist deeply (invariant 1) and returns its entries in
/// order.
///
/// HOW IT WORKS
/// The header must describe the buffer (zlbytes = its length, last byte
/// FF, zltail inside it). Then each entry is decoded with every length
/// checked against the offset of the terminator, its prevlen must equal
/// the previous entry's size (so a backward walk would agree), the last
/// entry must start at zltail, and the count must match zllen unless
/// zllen is 65535.
pub fn ziplist_entries(zl: &[u8]) -> Result<Vec<ZlEntry<'_>>, &'static str> {
    if zl.len() < ZL_HEADER + 1 {
        return Err("ziplist shorter than its header");
    }
    if u32_le(zl, 0) != Some(zl.len() as u32) || zl.len() > u32::MAX as usize {
        return Err("ziplist zlbytes does not match its size");
    }
    let end = zl.len() - 1;
    if zl[end] != ZL_END {
        return Err("ziplist does not end with 0xFF");
    }
    let tail = u32_le(zl, 4).unwrap_or(u32::MAX) as usize;
    if tail > end {
        return Err("ziplist zltail points past the end");
    }
    let zllen = u16::from_le_bytes([zl[8], zl[9]]);
    let mut entries = Vec::new();
    let mut p = ZL_HEADER;
    let mut prev_size = 0usize;
    let mut last_start = None;
    while zl[p] != ZL_END {
        // p < end here: zl[end] is the only place we may meet 0xFF last.
        let start = p;
        let body = &zl[..end];
        let (prevlen, plen) = if body[p] == ZL_BIG_PREVLEN {
            let v = u32_le(body, p + 1).ok_or("ziplist prevlen runs past the end")?;
            (v as usize, 5)
        } else {
            (body[p] as usize, 1)
        };
        if prevlen != prev_size {
            return Err("ziplist prevlen disagrees with the previous entry");
        }
        p += plen;
        let enc = *body.get(p).ok_or("ziplist entry runs past the end")?;
        let (entry, after) = match enc >> 6 {
            0 => str_entry(body, p + 1, (enc & 0x3f) as usize)?,
            1 => {
                let b2 = *body.get(p + 1).ok_or("ziplist entry runs past the end")?;
                str_entry(body, p + 2, ((enc as usize & 0x3f) << 8) | b2 as usize)?
            }
            2 => {
                let s = body
                    .get(p + 1..p + 5)
                    .ok_or("ziplist entry runs past the end")?;
                let len = u32::from_be_bytes([s[0], s[1], s[2], s[3]]) as usize;
                str_entry(body, p + 5, len)?
            }
            _ => int_entry(body, p)?,
        };
        entries.push(entry);
        prev_size = after - start;
        last_start = Some(start);
        p = after;
        if p >= end {
            break;
        }
    }
    if p != end {
        return Err("ziplist entries overrun the terminator");
    }
    if let Some(s) = last_start {
        if s != tail {
            return Err("ziplist zltail does not point at the last entry");
        }
    }
    if zllen != ZL_COUNT_UNKNOWN && zllen as usize != entries.len() {
        return Err("ziplist zllen disagrees with its entries");
    }
    Ok(entries)
}
// ANCHOR_END: ziplist

fn str_entry(body: &[u8], data: usize, len: usize) -> Result<(ZlEntry<'_>, usize), &'static str> {
    let stop = data.checked_add(len).ok_or("ziplist length overflows")?;
    let s = body
        .get(data..stop)
        .ok_or("ziplist string runs past the end")?;
    Ok((ZlEntry::Str(s), stop))
}

fn int_entry(body: &[u8], p: usize) -> Result<(ZlEntry<'_>, usize), &'static str> {
    let enc = body[p];
    let width = match enc {
        0xC0 => 2,
        0xD0 => 4,
        0xE0 => 8,
        0xF0 => 3,
        0xFE => 1,
        0xF1..=0xFD => return Ok((ZlEntry::Int((enc & 0x0f) as i64 - 1), p + 1)),
        _ => return Err("ziplist entry has an invalid encoding"),
    };
    let d = body
        .get(p + 1..p + 1 + width)
        .ok_or("ziplist integer runs past the end")?;
    // Sign-extend a little-endian integer of `width` bytes.
    let mut buf = [0u8; 8];
    buf[..width].copy_from_slice(d);
    let shift = 64 - 8 * width as u32;
    let v = (i64::from_le_bytes(buf) << shift) >> shift;
    Ok((ZlEntry::Int(v), p + 1 + width))
}

/// A zipmap field and its value, borrowed from the blob.
pub type ZmPair<'a> = (&'a [u8], &'a [u8]);

const ZM_BIGLEN: u8 = 254;
const ZM_END: u8 = 0xFF;

/// A zipmap length: one byte below 254, else 4 bytes after the marker.
/// Returns (length, bytes used). Bounded by `limit` (the terminator).
fn zm_len(zm: &[u8], p: usize, limit: usize) -> Result<(usize, usize), &'static str> {
    let b = *zm
        .get(p)
        .filter(|_| p < limit)
        .ok_or("zipmap runs past the end")?;
    if b < ZM_BIGLEN {
        return Ok((b as usize, 1));
    }
    let v = u32_le(&zm[..limit], p + 1).ok_or("zipmap length runs past the end")?;
    Ok((v as usize, 5))
}

// ANCHOR: zipmap
/// Validates a zipmap deeply (invariant 1) and returns its field/value
/// pairs. An empty zipmap is refused, as Redis refuses it.
pub fn zipmap_pairs(zm: &[u8]) -> Result<Vec<ZmPair<'_>>, &'static str> {
    if zm.len() < 2 {
        return Err("zipmap shorter than 2 bytes");
    }
    let end = zm.len() - 1;
    if zm[end] != ZM_END {
        return Err("zipmap does not end with 0xFF");
    }
    let mut pairs = Vec::new();
    let mut p = 1;
    while p < end && zm[p] != ZM_END {
        let (flen, s) = zm_len(zm, p, end)?;
        p += s;
        let field = zm
            .get(p..p.checked_add(flen).ok_or("zipmap length overflows")?)
            .filter(|_| p + flen <= end)
            .ok_or("zipmap field runs past the end")?;
        p += flen;
        let (vlen, s) = zm_len(zm, p, end)?;
        p += s;
        let free = *zm
            .get(p)
            .filter(|_| p < end)
            .ok_or("zipmap runs past the end")? as usize;
        p += 1;
        let stop = p
            .checked_add(vlen)
            .and_then(|x| x.checked_add(free))
            .ok_or("zipmap length overflows")?;
        if stop > end {
            return Err("zipmap value runs past the end");
        }
        pairs.push((field, &zm[p..p + vlen]));
        p = stop;
    }
    if p != end {
        return Err("zipmap entries overrun the terminator");
    }
    if pairs.is_empty() {
        return Err("zipmap is empty");
    }
    if zm[0] != ZM_BIGLEN && zm[0] as usize != pairs.len() {
        return Err("zipmap count disagrees with its entries");
    }
    Ok(pairs)
}
// ANCHOR_END: zipmap

/// Test helpers that build legacy blobs the way Redis 2.x-6.x wrote them.
#[cfg(test)]
pub mod build {
    use super::ZlEntry;

    /// A ziplist of `entries`, using the smallest encodings.
    pub fn ziplist(entries: &[ZlEntry]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut prev = 0usize;
        let mut tail = 10usize;
        for e in entries {
            let start = body.len();
            if prev < 254 {
                body.push(prev as u8);
            } else {
                body.push(0xFE);
                body.extend_from_slice(&(prev as u32).to_le_bytes());
            }
            match *e {
                ZlEntry::Str(s) if s.len() < 64 => {
                    body.push(s.len() as u8);
                    body.extend_from_slice(s);
                }
                ZlEntry::Str(s) if s.len() < 16384 => {
                    body.push(0x40 | (s.len() >> 8) as u8);
                    body.push(s.len() as u8);
                    body.extend_from_slice(s);
                }
                ZlEntry::Str(s) => {
                    body.push(0x80);
                    body.extend_from_slice(&(s.len() as u32).to_be_bytes());
                    body.extend_from_slice(s);
                }
                ZlEntry::Int(v) if (0..=12).contains(&v) => body.push(0xF1 + v as u8),
                ZlEntry::Int(v) if i8::try_from(v).is_ok() => {
                    body.push(0xFE);
                    body.push(v as i8 as u8);
                }
                ZlEntry::Int(v) if i16::try_from(v).is_ok() => {
                    body.push(0xC0);
                    body.extend_from_slice(&(v as i16).to_le_bytes());
                }
                ZlEntry::Int(v) if (-(1 << 23)..(1 << 23)).contains(&v) => {
                    body.push(0xF0);
                    body.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
                }
                ZlEntry::Int(v) if i32::try_from(v).is_ok() => {
                    body.push(0xD0);
                    body.extend_from_slice(&(v as i32).to_le_bytes());
                }
                ZlEntry::Int(v) => {
                    body.push(0xE0);
                    body.extend_from_slice(&v.to_le_bytes());
                }
            }
            tail = 10 + start;
            prev = body.len() - start;
        }
        let total = 10 + body.len() + 1;
        let mut zl = Vec::with_capacity(total);
        zl.extend_from_slice(&(total as u32).to_le_bytes());
        zl.extend_from_slice(&(tail as u32).to_le_bytes());
        zl.extend_from_slice(&(entries.len().min(65535) as u16).to_le_bytes());
        zl.extend_from_slice(&body);
        zl.push(0xFF);
        zl
    }

    /// A zipmap of `pairs`, each value followed by `free` unused bytes.
    pub fn zipmap(pairs: &[(&[u8], &[u8])], free: u8) -> Vec<u8> {
        let mut zm = vec![pairs.len().min(254) as u8];
        let len = |zm: &mut Vec<u8>, n: usize| {
            if n < 254 {
                zm.push(n as u8);
            } else {
                zm.push(254);
                zm.extend_from_slice(&(n as u32).to_le_bytes());
            }
        };
        for (f, v) in pairs {
            len(&mut zm, f.len());
            zm.extend_from_slice(f);
            len(&mut zm, v.len());
            zm.push(free);
            zm.extend_from_slice(v);
            zm.extend(std::iter::repeat_n(0u8, free as usize));
        }
        zm.push(0xFF);
        zm
    }
}

#[cfg(test)]
mod tests {
    use super::build;
    use super::*;

    #[test]
    fn ziplist_of_a_and_5_matches_the_drawing() {
        let zl = build::ziplist(&[ZlEntry::Str(b"a"), ZlEntry::Int(5)]);
        assert_eq!(
            zl,
            [0x10, 0, 0, 0, 0x0d, 0, 0, 0, 2, 0, 0, 1, b'a', 3, 0xf6, 0xff]
        );
        assert_eq!(
            ziplist_entries(&zl),
            Ok(vec![ZlEntry::Str(b"a"), ZlEntry::Int(5)])
        );
    }

    #[test]
    fn every_integer_width_round_trips() {
        let vals = [
            0,
            12,
            13,
            -1,
            127,
            -128,
            300,
            -30000,
            1 << 22,
            -(1 << 23),
            1 << 30,
            i32::MIN as i64,
            i64::MAX,
            i64::MIN,
        ];
        let entries: Vec<ZlEntry> = vals.iter().map(|&v| ZlEntry::Int(v)).collect();
        let zl = build::ziplist(&entries);
        assert_eq!(ziplist_entries(&zl), Ok(entries));
    }

    #[test]
    fn long_strings_and_big_prevlens_round_trip() {
        let a = vec![b'x'; 300];
        let b = vec![b'y'; 20000];
        let entries = [ZlEntry::Str(&a), ZlEntry::Str(&b), ZlEntry::Str(b"end")];
        let zl = build::ziplist(&entries);
        assert_eq!(ziplist_entries(&zl).unwrap(), entries.to_vec());
    }

    #[test]
    fn empty_ziplist_is_valid_and_has_no_entries() {
        let zl = build::ziplist(&[]);
        assert_eq!(ziplist_entries(&zl), Ok(vec![]));
    }

    #[test]
    fn corrupt_ziplists_are_refused_without_panicking() {
        let zl = build::ziplist(&[
            ZlEntry::Str(b"hello"),
            ZlEntry::Int(1000),
            ZlEntry::Str(b"w"),
        ]);
        assert!(ziplist_entries(&zl).is_ok());
        for cut in 0..zl.len() {
            assert!(ziplist_entries(&zl[..cut]).is_err(), "cut at {cut}");
        }
        let mut refused = 0;
        for i in 0..zl.len() {
            for bit in 0..8 {
                let mut z = zl.clone();
                z[i] ^= 1 << bit;
                if ziplist_entries(&z).is_err() {
                    refused += 1;
                }
            }
        }
        // Flips inside string data are undetectable; most others are caught.
        assert!(refused > zl.len() * 4, "only {refused} flips refused");
    }

    #[test]
    fn zllen_must_match_unless_unknown() {
        let mut zl = build::ziplist(&[ZlEntry::Int(1), ZlEntry::Int(2)]);
        zl[8] = 3;
        assert!(ziplist_entries(&zl).is_err());
        zl[8] = 0xff;
        zl[9] = 0xff;
        assert_eq!(ziplist_entries(&zl).unwrap().len(), 2);
    }

    #[test]
    fn zipmap_pairs_skip_free_bytes() {
        let zm = build::zipmap(&[(b"f1", b"v1"), (b"field2", &[b'z'; 300])], 2);
        let pairs = zipmap_pairs(&zm).unwrap();
        assert_eq!(pairs[0], (&b"f1"[..], &b"v1"[..]));
        assert_eq!(pairs[1].0, b"field2");
        assert_eq!(pairs[1].1.len(), 300);
    }

    #[test]
    fn corrupt_zipmaps_are_refused_without_panicking() {
        let zm = build::zipmap(&[(b"a", b"1"), (b"bb", b"22")], 1);
        for cut in 0..zm.len() {
            assert!(zipmap_pairs(&zm[..cut]).is_err(), "cut at {cut}");
        }
        for i in 0..zm.len() {
            for bit in 0..8 {
                let mut z = zm.clone();
                z[i] ^= 1 << bit;
                let _ = zipmap_pairs(&z);
            }
        }
        assert!(zipmap_pairs(&[0, 0xff]).is_err(), "empty zipmap");
    }
}
