//! Listpack: many small strings and integers packed into one byte buffer.
//!
//! Chapter: chapters/12-listpack.md
//!
//! A listpack keeps a sequence of entries back to back in a single `Vec<u8>`,
//! in exactly the byte format of Redis 7.0, so the buffer can go into an RDB
//! file as it is and real Redis can read it. There are no pointers: each
//! entry states its own length twice, at the front in its encoding byte(s)
//! and at the back in a `backlen` that is read right to left, so the list can
//! be walked in both directions. Strings that spell a canonical `i64` are
//! stored as integers in the smallest width that holds them.
//!
//! ```text
//!  [ total: u32 LE | count: u16 LE | entry | entry | ... | FF ]
//!    bytes 0..4      bytes 4..6      from byte 6            last byte
//!
//!  entry:  [ encoding + data | backlen ]
//!  "hi":     82 68 69          03        (0x82 = short string of 2; 3 = length of 82 68 69)
//! ```
//!
//! Invariants:
//! 1. The buffer is at least 7 bytes long, bytes 0..4 hold its length
//!    (u32 LE), and its last byte is 0xFF, the only 0xFF that starts an entry.
//! 2. Entries tile bytes 6..len-1 exactly. Each is a valid encoding with its
//!    data, followed by the backlen bytes Redis would write for the length of
//!    encoding + data.
//! 3. Bytes 4..6 hold the number of entries (u16 LE) when that is below
//!    65535, and 65535 ("count them") otherwise.
//! 4. Entries written here use the encoding Redis picks: a string that spells
//!    a canonical `i64` becomes an integer of the smallest width; any other
//!    string gets the smallest length class. (A buffer accepted by
//!    `from_bytes` may hold other valid encodings; they read the same.)
//!
//! Not here: splitting long lists into many listpacks (the quicklist), the
//! size limits that decide when a hash or sorted set leaves this encoding
//! (db/), RDB framing (persist/), and every command.

use std::fmt;

/// Header: total bytes (u32) and entry count (u16).
pub const HEADER_SIZE: usize = 6;
/// A listpack with no entries: the header and the terminator.
pub const EMPTY_SIZE: usize = HEADER_SIZE + 1;
/// The terminator. No entry encoding starts with this byte.
const EOF: u8 = 0xFF;
/// Header count meaning "65535 or more: walk the entries to count them".
pub const COUNT_UNKNOWN: u16 = u16::MAX;
/// Largest listpack a caller should build (Redis's `LISTPACK_MAX_SAFETY_SIZE`,
/// 1 GiB): far below the 4 GiB the u32 header can describe, so checking
/// `safe_to_add` before an edit leaves room for any single entry's overhead.
pub const SAFETY_LIMIT: usize = 1 << 30;
/// A backlen of 5 bytes covers 35 bits: every length a u32 listpack can hold.
const MAX_BACKLEN: usize = 5;

// ---------------------------------------------------------------------------
// Encodings
// ---------------------------------------------------------------------------

// ANCHOR: encodings
// The first byte of an entry names its encoding. The short forms keep part
// of the value or length in the same byte, so they are told apart by their
// leading bits; the long forms use a whole byte each.
//
//   0xxxxxxx                    7-bit uint     0..=127, the value itself
//   10xxxxxx                    6-bit str      length < 64, then the bytes
//   110xxxxx yyyyyyyy           13-bit int     -4096..=4095, two's complement
//   1110xxxx yyyyyyyy           12-bit str     length < 4096, then the bytes
//   F0 + 4 bytes LE             32-bit str     any length, then the bytes
//   F1 / F2 / F3 / F4 + LE      16/24/32/64-bit int
//   F5..FE                      unassigned: never valid
//   FF                          terminator, not an entry
const ENC_6BIT_STR: u8 = 0x80;
const ENC_13BIT_INT: u8 = 0xC0;
const ENC_12BIT_STR: u8 = 0xE0;
const ENC_32BIT_STR: u8 = 0xF0;
const ENC_16BIT_INT: u8 = 0xF1;
const ENC_24BIT_INT: u8 = 0xF2;
const ENC_32BIT_INT: u8 = 0xF3;
const ENC_64BIT_INT: u8 = 0xF4;
// ANCHOR_END: encodings

// The canonical-integer rule lives in `strconv.rs`; listpacks store such
// strings as integers.
pub use super::strconv::parse_i64 as parse_int;

/// Writes `v` in decimal into the end of `buf` and returns the digits.
/// Twenty bytes hold every i64, `-9223372036854775808` included.
fn format_int(v: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut u = v.unsigned_abs();
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    if v < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

/// The encoding bytes at the front of an entry: for an integer, the whole
/// value; for a string, the length that precedes its bytes. 1 to 9 bytes.
#[derive(Clone, Copy)]
struct Head {
    bytes: [u8; 9],
    len: usize,
}

impl Head {
    // ANCHOR: int_head
    /// The smallest integer encoding that holds `v`. Every form stores the
    /// low bytes of `v`'s two's complement, little-endian; narrowing keeps
    /// the value because `v` is in range for the chosen width.
    fn int(v: i64) -> Head {
        let le = v.to_le_bytes();
        let mut bytes = [0u8; 9];
        let len = if (0..=127).contains(&v) {
            bytes[0] = v as u8;
            1
        } else if (-4096..=4095).contains(&v) {
            let u = (v as u16) & 0x1FFF; // 13-bit two's complement
            bytes[0] = ENC_13BIT_INT | (u >> 8) as u8;
            bytes[1] = u as u8;
            2
        } else {
            let width = if i16::try_from(v).is_ok() {
                bytes[0] = ENC_16BIT_INT;
                2
            } else if (-(1 << 23)..1 << 23).contains(&v) {
                bytes[0] = ENC_24BIT_INT;
                3
            } else if i32::try_from(v).is_ok() {
                bytes[0] = ENC_32BIT_INT;
                4
            } else {
                bytes[0] = ENC_64BIT_INT;
                8
            };
            bytes[1..=width].copy_from_slice(&le[..width]);
            1 + width
        };
        Head { bytes, len }
    }
    // ANCHOR_END: int_head

    /// The smallest length class for a string of `len` bytes.
    fn str(len: usize) -> Head {
        let mut bytes = [0u8; 9];
        let hlen = if len < 64 {
            bytes[0] = ENC_6BIT_STR | len as u8;
            1
        } else if len < 4096 {
            bytes[0] = ENC_12BIT_STR | (len >> 8) as u8;
            bytes[1] = len as u8;
            2
        } else {
            // Lengths past u32 never reach a buffer: `make_room` refuses
            // them before anything is written.
            bytes[0] = ENC_32BIT_STR;
            bytes[1..5].copy_from_slice(&(len as u32).to_le_bytes());
            5
        };
        Head { bytes, len: hlen }
    }
}

/// One entry, ready to be written: its encoding bytes and, for a string,
/// the bytes that follow them.
struct Encoded<'a> {
    head: Head,
    data: &'a [u8],
}

impl<'a> Encoded<'a> {
    /// How `v` is stored (invariant 4): as an integer if it spells one.
    fn of(v: &'a [u8]) -> Encoded<'a> {
        match parse_int(v) {
            Some(i) => Encoded::int(i),
            None => Encoded {
                head: Head::str(v.len()),
                data: v,
            },
        }
    }

    fn int(i: i64) -> Encoded<'static> {
        Encoded {
            head: Head::int(i),
            data: &[],
        }
    }

    /// Encoding + data: what the backlen records.
    fn entry_len(&self) -> usize {
        self.head.len + self.data.len()
    }

    /// Bytes the entry occupies, backlen included.
    fn total_len(&self) -> usize {
        let e = self.entry_len();
        e + backlen_size(e)
    }

    /// Writes the entry into `dst`, which is exactly `total_len()` long.
    fn write(&self, dst: &mut [u8]) {
        let h = self.head.len;
        let e = self.entry_len();
        dst[..h].copy_from_slice(&self.head.bytes[..h]);
        dst[h..e].copy_from_slice(self.data);
        write_backlen(e, &mut dst[e..]);
    }
}

// ---------------------------------------------------------------------------
// Backlen
// ---------------------------------------------------------------------------

// ANCHOR: backlen
/// How many bytes the backlen of an entry of `len` bytes (encoding + data)
/// takes. Each byte carries 7 bits. The thresholds are Redis's, including
/// its quirk that 16383 (which would fit 14 bits) already takes 3 bytes;
/// the backlen is part of the format, so we copy the quirk.
fn backlen_size(len: usize) -> usize {
    if len <= 127 {
        1
    } else if len < 16383 {
        2
    } else if len < 2097151 {
        3
    } else if len < 268435455 {
        4
    } else {
        5
    }
}

/// Writes `len` big-endian in base 128 into all of `dst`
/// (`dst.len() == backlen_size(len)`). Every byte but the leftmost has its
/// high bit set, meaning "more bytes to my left". A reader that starts at
/// the right end, the byte just before the next entry, therefore knows
/// where the number stops.
fn write_backlen(len: usize, dst: &mut [u8]) {
    let n = dst.len();
    for (i, slot) in dst.iter_mut().enumerate() {
        let digit = ((len >> (7 * (n - 1 - i))) & 0x7F) as u8;
        *slot = if i == 0 { digit } else { digit | 0x80 };
    }
}

/// Reads a backlen whose last (rightmost) byte is `buf[last]`, walking
/// left. Returns the length and how many bytes it took, or `None` if the
/// walk would leave `buf` or go past 5 bytes.
fn read_backlen(buf: &[u8], last: usize) -> Option<(usize, usize)> {
    let mut len = 0usize;
    for i in 0..MAX_BACKLEN {
        let b = *buf.get(last.checked_sub(i)?)?;
        len |= usize::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            return Some((len, i + 1));
        }
    }
    None
}
// ANCHOR_END: backlen

// ---------------------------------------------------------------------------
// Reading one entry
// ---------------------------------------------------------------------------

/// `N` bytes starting at `at`, or `None` past the end.
fn fixed<const N: usize>(buf: &[u8], at: usize) -> Option<[u8; N]> {
    buf.get(at..at.checked_add(N)?)?.try_into().ok()
}

/// The string of `len` bytes after an encoding of `head` bytes at `pos`.
#[inline]
fn read_str(buf: &[u8], pos: usize, head: usize, len: usize) -> Option<(LpValue<'_>, usize)> {
    let start = pos + head;
    let data = buf.get(start..start.checked_add(len)?)?;
    Some((LpValue::Str(data), head + len))
}

// ANCHOR: read_entry
/// Decodes the entry at `pos`: its value and the length of encoding + data
/// (the backlen that follows is not read). Every access is bounds-checked,
/// so this is also the reader for untrusted bytes: `None` means the bytes
/// at `pos` are not a whole entry inside `buf`, or start with 0xFF or an
/// unassigned encoding.
#[inline]
fn read_entry(buf: &[u8], pos: usize) -> Option<(LpValue<'_>, usize)> {
    let b = *buf.get(pos)?;
    let int = |v: i64, len: usize| Some((LpValue::Int(v), len));
    match b {
        0x00..=0x7F => int(i64::from(b), 1),
        0x80..=0xBF => read_str(buf, pos, 1, usize::from(b & 0x3F)),
        0xC0..=0xDF => {
            let u = i64::from(b & 0x1F) << 8 | i64::from(*buf.get(pos + 1)?);
            // Bit 12 is the sign: 4096..8191 stand for -4096..-1.
            int(if u >= 4096 { u - 8192 } else { u }, 2)
        }
        0xE0..=0xEF => {
            let len = usize::from(b & 0x0F) << 8 | usize::from(*buf.get(pos + 1)?);
            read_str(buf, pos, 2, len)
        }
        ENC_32BIT_STR => {
            let len = u32::from_le_bytes(fixed(buf, pos + 1)?);
            read_str(buf, pos, 5, usize::try_from(len).ok()?)
        }
        ENC_16BIT_INT => int(i16::from_le_bytes(fixed(buf, pos + 1)?).into(), 3),
        ENC_24BIT_INT => {
            let [x, y, z] = fixed(buf, pos + 1)?;
            // Put the 3 bytes at the top of an i32, then shift back down:
            // the arithmetic shift copies bit 23 into the sign.
            int((i32::from_le_bytes([0, x, y, z]) >> 8).into(), 4)
        }
        ENC_32BIT_INT => int(i32::from_le_bytes(fixed(buf, pos + 1)?).into(), 5),
        ENC_64BIT_INT => int(i64::from_le_bytes(fixed(buf, pos + 1)?), 9),
        _ => None, // 0xF5..=0xFE unassigned, 0xFF the terminator
    }
}
// ANCHOR_END: read_entry

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

/// One entry's value, borrowed from the listpack. An integer-encoded entry
/// stands for the decimal string of its value: `Int(123)` *is* `"123"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LpValue<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl LpValue<'_> {
    /// The value as bytes (integers in decimal).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len_as_string());
        self.write_to(&mut out);
        out
    }

    /// Whether this value, as a string, is exactly `b`. For an integer,
    /// parsing `b` is enough: only the canonical decimal parses.
    pub fn eq_bytes(&self, b: &[u8]) -> bool {
        match *self {
            LpValue::Int(i) => parse_int(b) == Some(i),
            LpValue::Str(s) => s == b,
        }
    }

    /// Length of the value as a string (digits and sign for integers).
    pub fn len_as_string(&self) -> usize {
        match *self {
            LpValue::Int(i) => format_int(i, &mut [0; 20]).len(),
            LpValue::Str(s) => s.len(),
        }
    }

    /// Appends the value as a string to `out` (decimal for integers).
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match *self {
            LpValue::Int(i) => out.extend_from_slice(format_int(i, &mut [0; 20])),
            LpValue::Str(s) => out.extend_from_slice(s),
        }
    }

    /// The value as an integer, if it is one or its string spells one.
    pub fn as_int(&self) -> Option<i64> {
        match *self {
            LpValue::Int(i) => Some(i),
            LpValue::Str(s) => parse_int(s),
        }
    }
}

// ---------------------------------------------------------------------------
// The listpack
// ---------------------------------------------------------------------------

// ANCHOR: struct
/// A listpack. Positions handed out by `first`, `next`, `seek`, the edit
/// methods and the like are byte offsets of entries in `buf`; any edit may
/// move entries, so a position is only good until the next edit (except
/// the one the edit returns).
#[derive(Clone, PartialEq, Eq)]
pub struct Listpack {
    /// The whole listpack, header to terminator (invariants 1 to 3). The
    /// Vec's spare capacity is what makes `push_back` amortized O(1).
    buf: Vec<u8>,
}
// ANCHOR_END: struct

/// Why `validate` or `from_bytes` refused some bytes: where it stopped, and
/// what was wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LpError {
    pub offset: usize,
    pub reason: &'static str,
}

impl Default for Listpack {
    fn default() -> Self {
        Listpack::new()
    }
}

impl fmt::Debug for Listpack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Listpack[")?;
        for (i, v) in self.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            match v {
                LpValue::Int(n) => write!(f, "{n}")?,
                LpValue::Str(s) => write!(f, "\"{}\"", s.escape_ascii())?,
            }
        }
        write!(f, "]")
    }
}

impl Listpack {
    /// An empty listpack: `07 00 00 00 | 00 00 | ff`.
    pub fn new() -> Listpack {
        let mut buf = Vec::with_capacity(EMPTY_SIZE);
        buf.extend_from_slice(&(EMPTY_SIZE as u32).to_le_bytes());
        buf.extend_from_slice(&0u16.to_le_bytes());
        buf.push(EOF);
        Listpack { buf }
    }

    /// Takes bytes from outside (an RDB file, a RESTORE payload) after a
    /// full `validate`. A header count of 65535 over fewer entries, which
    /// Redis can leave behind after deletions, is corrected (invariant 3).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Listpack, LpError> {
        let count = validate(&bytes, true)?;
        let mut lp = Listpack { buf: bytes };
        lp.set_count(count);
        Ok(lp)
    }

    /// Wraps bytes that came from `as_bytes`/`into_bytes` of a listpack
    /// this process built, without validating them again. Never for bytes
    /// from a client or a file: those go through `from_bytes`.
    pub fn from_trusted(buf: Vec<u8>) -> Listpack {
        Listpack { buf }
    }

    /// The listpack's bytes, giving up the listpack.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// The listpack's bytes, exactly as Redis stores them.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    pub fn bytes_len(&self) -> usize {
        self.buf.len()
    }

    /// Number of entries: the header's count, unless that says 65535, in
    /// which case the entries are walked (O(n), only for huge listpacks).
    pub fn len(&self) -> usize {
        match self.header_count() {
            COUNT_UNKNOWN => self.iter().count(),
            n => usize::from(n),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.buf.len() == EMPTY_SIZE
    }

    /// Gives back the Vec's spare capacity (Redis's `lpShrinkToFit`): for
    /// a listpack that is done growing, such as one just loaded or split.
    pub fn shrink_to_fit(&mut self) {
        self.buf.shrink_to_fit();
    }

    /// Whether adding `add` more bytes keeps this listpack under
    /// `SAFETY_LIMIT`. Callers that add client-sized values check this
    /// first, and start a new listpack (or another encoding) if not.
    pub fn safe_to_add(&self, add: usize) -> bool {
        self.buf.len().saturating_add(add) <= SAFETY_LIMIT
    }

    /// Bytes that pushing `v` would add: encoding, data and backlen.
    pub fn entry_size(v: &[u8]) -> usize {
        Encoded::of(v).total_len()
    }

    // --- header -----------------------------------------------------------

    fn header_count(&self) -> u16 {
        u16::from_le_bytes([self.buf[4], self.buf[5]])
    }

    /// Stores `n` entries in the header, or 65535 if there are that many
    /// or more (invariant 3).
    fn set_count(&mut self, n: usize) {
        let c = u16::try_from(n).unwrap_or(COUNT_UNKNOWN);
        self.buf[4..6].copy_from_slice(&c.to_le_bytes());
    }

    /// Header count after `removed` entries went away. A known count is
    /// adjusted; an unknown one is recounted, so that it becomes exact
    /// again once the listpack falls below 65535 entries.
    fn count_after_delete(&mut self, removed: usize) {
        match self.header_count() {
            COUNT_UNKNOWN => self.set_count(self.iter().count()),
            n => self.set_count(usize::from(n) - removed),
        }
    }

    /// Header count after `added` entries arrived. 65535 stays 65535, and
    /// reaching it means "unknown", which is also right.
    fn count_after_insert(&mut self, added: usize) {
        let n = self.header_count();
        if n != COUNT_UNKNOWN {
            self.set_count(usize::from(n) + added);
        }
    }

    // --- positions ----------------------------------------------------------

    /// Position of the first entry.
    pub fn first(&self) -> Option<usize> {
        (!self.is_empty()).then_some(HEADER_SIZE)
    }

    /// Position of the last entry, found from the terminator through the
    /// last entry's backlen: O(1).
    pub fn last(&self) -> Option<usize> {
        self.prev(self.buf.len() - 1)
    }

    /// Position of the entry after `pos`.
    pub fn next(&self, pos: usize) -> Option<usize> {
        let p = pos + self.entry_total(pos);
        (self.buf[p] != EOF).then_some(p)
    }

    // ANCHOR: prev
    /// Position of the entry before `pos` (which may also be the
    /// terminator's position). The byte just left of `pos` is the last byte
    /// of the previous entry's backlen, so reading it leftward gives that
    /// entry's length without looking at anything before it.
    pub fn prev(&self, pos: usize) -> Option<usize> {
        if pos <= HEADER_SIZE {
            return None;
        }
        let found = read_backlen(&self.buf, pos - 1)
            .and_then(|(len, n)| pos.checked_sub(n + len))
            .filter(|&p| p >= HEADER_SIZE);
        match found {
            Some(p) => Some(p),
            None => not_a_position(pos),
        }
    }
    // ANCHOR_END: prev

    /// The value at `pos`.
    pub fn get(&self, pos: usize) -> LpValue<'_> {
        self.decode(pos).0
    }

    /// Position of entry `index`; negative indexes count from the end
    /// (-1 is the last). Walks from whichever end is nearer.
    pub fn seek(&self, index: i64) -> Option<usize> {
        let n = i64::try_from(self.len()).ok()?;
        let i = if index < 0 { index + n } else { index };
        if i < 0 || i >= n {
            return None;
        }
        if i <= n / 2 {
            let mut p = self.first()?;
            for _ in 0..i {
                p = self.next(p)?;
            }
            Some(p)
        } else {
            let mut p = self.last()?;
            for _ in 0..n - 1 - i {
                p = self.prev(p)?;
            }
            Some(p)
        }
    }

    /// Decodes the entry at `pos`, which must be a position this listpack
    /// handed out since its last edit.
    fn decode(&self, pos: usize) -> (LpValue<'_>, usize) {
        match read_entry(&self.buf, pos) {
            Some(e) if pos >= HEADER_SIZE => e,
            _ => not_a_position(pos),
        }
    }

    /// Bytes the entry at `pos` occupies, backlen included.
    fn entry_total(&self, pos: usize) -> usize {
        let e = self.decode(pos).1;
        e + backlen_size(e)
    }

    // --- edits ----------------------------------------------------------------

    // ANCHOR: make_room
    /// Turns the `old` bytes at `pos` into `new` bytes of room, sliding
    /// everything after them (the terminator included) and fixing the
    /// header's total. The room's contents are left for the caller to
    /// write. This one memmove is why middle edits cost O(n).
    fn make_room(&mut self, pos: usize, old: usize, new: usize) {
        let len = self.buf.len();
        let grown = len - old + new;
        // Callers keep listpacks under SAFETY_LIMIT with `safe_to_add`; this
        // stops a bug from writing a total the u32 header cannot hold.
        let Ok(total) = u32::try_from(grown) else {
            panic!("listpack would grow to {grown} bytes, past the u32 header");
        };
        if new > old {
            self.buf.resize(grown, 0);
            self.buf.copy_within(pos + old..len, pos + new);
        } else if new < old {
            self.buf.copy_within(pos + old..len, pos + new);
            self.buf.truncate(grown);
        }
        self.buf[0..4].copy_from_slice(&total.to_le_bytes());
    }
    // ANCHOR_END: make_room

    /// Inserts an encoded entry so that it starts at `pos`.
    fn insert_encoded(&mut self, pos: usize, enc: &Encoded<'_>) -> usize {
        let n = enc.total_len();
        self.make_room(pos, 0, n);
        enc.write(&mut self.buf[pos..pos + n]);
        self.count_after_insert(1);
        pos
    }

    // ANCHOR: push_back
    /// Appends `v`. The new entry goes where the terminator was: the
    /// memmove is one byte, and the Vec's doubling makes this amortized
    /// O(1). Nothing else changes, because no entry refers to its neighbour.
    pub fn push_back(&mut self, v: &[u8]) {
        let end = self.buf.len() - 1;
        self.insert_encoded(end, &Encoded::of(v));
    }
    // ANCHOR_END: push_back

    /// Prepends `v`: O(n), every entry moves.
    pub fn push_front(&mut self, v: &[u8]) {
        self.insert_encoded(HEADER_SIZE, &Encoded::of(v));
    }

    /// Appends an integer without going through its decimal string.
    pub fn push_back_int(&mut self, v: i64) {
        let end = self.buf.len() - 1;
        self.insert_encoded(end, &Encoded::int(v));
    }

    /// Inserts `v` before the entry at `pos`; returns the new entry's
    /// position (which is `pos`: the old entry moves right).
    pub fn insert_before(&mut self, pos: usize, v: &[u8]) -> usize {
        self.decode(pos);
        self.insert_encoded(pos, &Encoded::of(v))
    }

    /// Inserts `v` after the entry at `pos`; returns the new entry's position.
    pub fn insert_after(&mut self, pos: usize, v: &[u8]) -> usize {
        let at = pos + self.entry_total(pos);
        self.insert_encoded(at, &Encoded::of(v))
    }

    /// Replaces the entry at `pos` with `v`; returns its position (`pos`).
    pub fn replace(&mut self, pos: usize, v: &[u8]) -> usize {
        let old = self.entry_total(pos);
        let enc = Encoded::of(v);
        let n = enc.total_len();
        self.make_room(pos, old, n);
        enc.write(&mut self.buf[pos..pos + n]);
        pos
    }

    /// Deletes the entry at `pos`. The entry that followed slides into
    /// `pos`, which is returned, or `None` if the deleted entry was last.
    pub fn delete(&mut self, pos: usize) -> Option<usize> {
        let old = self.entry_total(pos);
        self.make_room(pos, old, 0);
        self.count_after_delete(1);
        (self.buf[pos] != EOF).then_some(pos)
    }

    /// Deletes `count` entries starting at entry `index` (fewer if the
    /// listpack ends first), with one memmove for all of them.
    pub fn delete_range(&mut self, index: usize, count: usize) {
        let Some(start) = i64::try_from(index).ok().and_then(|i| self.seek(i)) else {
            return;
        };
        let mut end = start;
        let mut removed = 0;
        while removed < count && self.buf[end] != EOF {
            end += self.entry_total(end);
            removed += 1;
        }
        self.make_room(start, end - start, 0);
        self.count_after_delete(removed);
    }

    /// Moves every entry of `other` to the end of this listpack. Entries
    /// carry only their own lengths, so this is a plain byte copy.
    pub fn append(&mut self, other: &Listpack) {
        let entries = &other.buf[HEADER_SIZE..other.buf.len() - 1];
        if entries.is_empty() {
            return;
        }
        let end = self.buf.len() - 1;
        self.make_room(end, 0, entries.len());
        self.buf[end..end + entries.len()].copy_from_slice(entries);
        match (self.header_count(), other.header_count()) {
            (COUNT_UNKNOWN, _) => {}
            (_, COUNT_UNKNOWN) => self.set_count(usize::from(COUNT_UNKNOWN)),
            (_, m) => self.count_after_insert(usize::from(m)),
        }
    }

    /// Splits off entries `index..` into a new listpack, keeping `..index`.
    pub fn split_off(&mut self, index: usize) -> Listpack {
        let mut tail = Listpack::new();
        let Some(start) = i64::try_from(index).ok().and_then(|i| self.seek(i)) else {
            return tail;
        };
        let entries = &self.buf[start..self.buf.len() - 1];
        tail.make_room(HEADER_SIZE, 0, entries.len());
        tail.buf[HEADER_SIZE..HEADER_SIZE + entries.len()].copy_from_slice(entries);
        let total = self.len();
        tail.set_count(total - index);
        let moved = self.buf.len() - 1 - start;
        self.make_room(start, moved, 0);
        self.set_count(index);
        tail
    }

    // --- reading many ---------------------------------------------------------

    /// All values, front to back (or back to front with `.rev()`).
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            front: HEADER_SIZE,
            back: self.buf.len() - 1,
        }
    }

    /// Position of the first entry whose string form equals `v`.
    pub fn find(&self, v: &[u8]) -> Option<usize> {
        self.find_from(self.first()?, v, 0)
    }

    // ANCHOR: find
    /// Like `find`, but starts at `pos` and, after each entry it compares,
    /// skips `skip` entries unexamined. A hash stores field, value, field,
    /// value..., so `find_from(first, field, 1)` looks at fields only.
    ///
    /// `v` is parsed once. An integer entry can only equal a `v` that
    /// spells that integer; a string entry is compared byte for byte. That
    /// gives the right answer even for strings stored without invariant 4.
    pub fn find_from(&self, pos: usize, v: &[u8], skip: usize) -> Option<usize> {
        let wanted = parse_int(v);
        let mut p = Some(pos);
        while let Some(at) = p {
            let hit = match self.get(at) {
                LpValue::Int(i) => wanted == Some(i),
                LpValue::Str(s) => s == v,
            };
            if hit {
                return Some(at);
            }
            p = self.next(at);
            for _ in 0..skip {
                p = p.and_then(|q| self.next(q));
            }
        }
        None
    }
    // ANCHOR_END: find

    /// Asserts invariants 1 to 3 (tests call this after every edit).
    pub fn check_invariants(&self) {
        let walked = match validate(&self.buf, true) {
            Ok(n) => n,
            Err(e) => panic!("invariant 1 or 2 broken: {e:?} in {:02x?}", self.buf),
        };
        let expected = u16::try_from(walked).unwrap_or(COUNT_UNKNOWN);
        assert_eq!(self.header_count(), expected, "invariant 3: header count");
        assert_eq!(self.len(), walked, "len() agrees with the entries");
        assert_eq!(self.iter().count(), walked, "forward iteration");
        assert_eq!(self.iter().rev().count(), walked, "backward iteration");
    }
}

/// A position that is not an entry is a bug in the caller, like an index
/// past a slice's end, so it panics the same way.
#[cold]
fn not_a_position(pos: usize) -> ! {
    panic!("listpack: {pos} is not the position of an entry")
}

// ---------------------------------------------------------------------------
// Iteration
// ---------------------------------------------------------------------------

/// Iterator over a listpack's values, from both ends. `front` is the next
/// entry to yield forward; `back` is one past the next entry to yield
/// backward. They meet in the middle. Decoding uses the checked reader, so
/// even a bad buffer would end the iteration early rather than panic.
pub struct Iter<'a> {
    buf: &'a [u8],
    front: usize,
    back: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = LpValue<'a>;

    fn next(&mut self) -> Option<LpValue<'a>> {
        if self.front >= self.back {
            return None;
        }
        let (v, e) = read_entry(self.buf, self.front)?;
        self.front += e + backlen_size(e);
        Some(v)
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.front >= self.back {
            return None;
        }
        let (e, n) = read_backlen(self.buf, self.back - 1)?;
        let start = self.back.checked_sub(n + e)?;
        let (v, _) = read_entry(self.buf, start)?;
        self.back = start;
        Some(v)
    }
}

// ---------------------------------------------------------------------------
// Validation of untrusted bytes
// ---------------------------------------------------------------------------

/// The entry count in the header of listpack `bytes`, when it is exact
/// (below `COUNT_UNKNOWN`): an O(1) length for a small hash or sorted set
/// kept as bytes, without opening it. None when the header saturated or
/// the bytes are too short to have one.
pub fn header_entry_count(bytes: &[u8]) -> Option<usize> {
    match bytes.get(4..6) {
        Some(&[lo, hi]) if u16::from_le_bytes([lo, hi]) != COUNT_UNKNOWN => {
            Some(u16::from_le_bytes([lo, hi]) as usize)
        }
        _ => None,
    }
}

// ANCHOR: validate
/// Checks that `bytes` is a listpack that every method here can use
/// without reading out of bounds. Returns the number of entries: counted
/// by walking them if `deep`, else the header's count (65535 meaning
/// "unknown").
///
/// HOW IT WORKS. The shallow check is O(1): the header's total equals the
/// buffer's length and the last byte is the terminator. The deep check then
/// walks forward from byte 6, and for each entry: decodes the encoding with
/// the bounds-checked reader over the bytes *before* the terminator (so no
/// entry can overlap it), then requires the backlen that follows to be
/// exactly the bytes Redis would write for that length. It stops when it
/// reaches the terminator's offset, which it must hit exactly, and compares
/// the entries counted with the header's count.
///
/// WHY NOT THE OBVIOUS WAY. The obvious check walks forward with the same
/// code that serves commands. That code trusts lengths: a 32-bit string
/// header claiming 4 GB would send it past the end of the buffer, and a
/// backlen that disagrees with its entry passes a forward walk unnoticed,
/// only to make a later backward walk (LRANGE -1, RPOP) land in the middle
/// of an entry. So every length is checked against what remains before it
/// is used, and both directions are checked by comparing each backlen with
/// the forward length. Checking the backlen byte for byte is stricter than
/// Redis (which decodes it and compares numbers), and only rejects bytes
/// Redis never writes.
///
/// LIMITS. It does not allocate and reads each byte at most twice, but it
/// is O(n): RDB loading pays it once per listpack. It proves the structure
/// sound, not the contents meaningful: a hash listpack with an odd number
/// of entries, or a sorted set whose scores are out of order, passes here
/// and must be checked by the layer that knows what the entries mean.
/// Non-minimal encodings (5 in a 64-bit integer, "12" as a string) are
/// valid and accepted, as Redis accepts them.
pub fn validate(bytes: &[u8], deep: bool) -> Result<usize, LpError> {
    let err = |offset, reason| Err(LpError { offset, reason });
    if bytes.len() < EMPTY_SIZE {
        return err(0, "shorter than a header and a terminator");
    }
    let total = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if usize::try_from(total) != Ok(bytes.len()) {
        return err(0, "header's total bytes differs from the buffer's length");
    }
    let end = bytes.len() - 1;
    if bytes[end] != EOF {
        return err(end, "last byte is not the 0xFF terminator");
    }
    let header_count = u16::from_le_bytes([bytes[4], bytes[5]]);
    if !deep {
        return Ok(usize::from(header_count));
    }
    let body = &bytes[..end];
    let mut pos = HEADER_SIZE;
    let mut count = 0usize;
    while pos < end {
        if body[pos] == EOF {
            return err(pos, "0xFF terminator before the end");
        }
        let Some((_, e)) = read_entry(body, pos) else {
            return err(pos, "unassigned encoding, or entry runs past the end");
        };
        let n = backlen_size(e);
        let Some(got) = body.get(pos + e..pos + e + n) else {
            return err(pos + e, "backlen runs past the end");
        };
        let mut want = [0u8; MAX_BACKLEN];
        write_backlen(e, &mut want[..n]);
        if got != &want[..n] {
            return err(pos + e, "backlen does not match the entry's length");
        }
        pos += e + n;
        count += 1;
    }
    if header_count != COUNT_UNKNOWN && usize::from(header_count) != count {
        return err(4, "header's count differs from the entries");
    }
    Ok(count)
}
// ANCHOR_END: validate

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    fn lp_of(items: &[&[u8]]) -> Listpack {
        let mut lp = Listpack::new();
        for v in items {
            lp.push_back(v);
            lp.check_invariants();
        }
        lp
    }

    /// The bytes of the single entry pushed into an empty listpack.
    fn entry_bytes(v: &[u8]) -> Vec<u8> {
        let lp = lp_of(&[v]);
        lp.as_bytes()[HEADER_SIZE..lp.bytes_len() - 1].to_vec()
    }

    fn int_entry(v: i64) -> Vec<u8> {
        entry_bytes(v.to_string().as_bytes())
    }

    fn values(lp: &Listpack) -> Vec<Vec<u8>> {
        lp.iter().map(|v| v.to_vec()).collect()
    }

    /// Asserts invariant 4: every entry has the encoding `Encoded::of`
    /// would choose for its string form.
    fn assert_canonical(lp: &Listpack) {
        let mut p = lp.first();
        while let Some(pos) = p {
            let s = lp.get(pos).to_vec();
            let n = Listpack::entry_size(&s);
            let mut want = vec![0; n];
            Encoded::of(&s).write(&mut want);
            assert_eq!(&lp.as_bytes()[pos..pos + n], &want[..], "entry {s:?}");
            p = lp.next(pos);
        }
    }

    /// xorshift64*: deterministic, dependency-free randomness for tests.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    // --- exact bytes --------------------------------------------------------

    #[test]
    fn empty_listpack_is_seven_bytes_07_00_00_00_00_00_ff() {
        let lp = Listpack::new();
        assert_eq!(lp.as_bytes(), [0x07, 0, 0, 0, 0, 0, 0xFF]);
        assert!(lp.is_empty());
        assert_eq!(lp.len(), 0);
        assert_eq!((lp.first(), lp.last()), (None, None));
        lp.check_invariants();
    }

    #[test]
    fn pushing_hi_appends_82_68_69_03() {
        let lp = lp_of(&[b"hi"]);
        assert_eq!(
            lp.as_bytes(),
            [0x0B, 0, 0, 0, 0x01, 0, 0x82, b'h', b'i', 0x03, 0xFF]
        );
    }

    #[test]
    fn three_element_worked_example_matches_the_chapter() {
        let lp = lp_of(&[b"hi", b"7", b"300"]);
        assert_eq!(
            lp.as_bytes(),
            [
                0x10, 0, 0, 0, 0x03, 0, // 16 bytes, 3 entries
                0x82, b'h', b'i', 0x03, // "hi"
                0x07, 0x01, // 7
                0xC1, 0x2C, 0x02, // 300 = 0x12C, 13-bit
                0xFF
            ]
        );
    }

    #[test]
    fn small_integers_use_the_7_bit_and_13_bit_forms() {
        assert_eq!(int_entry(0), [0x00, 0x01]);
        assert_eq!(int_entry(127), [0x7F, 0x01]);
        assert_eq!(int_entry(128), [0xC0, 0x80, 0x02]);
        assert_eq!(int_entry(-1), [0xDF, 0xFF, 0x02]);
        assert_eq!(int_entry(4095), [0xCF, 0xFF, 0x02]);
        assert_eq!(int_entry(-4096), [0xD0, 0x00, 0x02]);
    }

    #[test]
    fn wider_integers_switch_form_exactly_at_each_boundary() {
        assert_eq!(int_entry(4096), [0xF1, 0x00, 0x10, 0x03]);
        assert_eq!(int_entry(-4097), [0xF1, 0xFF, 0xEF, 0x03]);
        assert_eq!(int_entry(32767), [0xF1, 0xFF, 0x7F, 0x03]);
        assert_eq!(int_entry(-32768), [0xF1, 0x00, 0x80, 0x03]);
        assert_eq!(int_entry(32768), [0xF2, 0x00, 0x80, 0x00, 0x04]);
        assert_eq!(int_entry(-32769), [0xF2, 0xFF, 0x7F, 0xFF, 0x04]);
        assert_eq!(int_entry(8388607), [0xF2, 0xFF, 0xFF, 0x7F, 0x04]);
        assert_eq!(int_entry(-8388608), [0xF2, 0x00, 0x00, 0x80, 0x04]);
        assert_eq!(int_entry(8388608), [0xF3, 0x00, 0x00, 0x80, 0x00, 0x05]);
        assert_eq!(int_entry(-8388609), [0xF3, 0xFF, 0xFF, 0x7F, 0xFF, 0x05]);
        assert_eq!(
            int_entry(i32::MAX.into()),
            [0xF3, 0xFF, 0xFF, 0xFF, 0x7F, 0x05]
        );
        assert_eq!(
            int_entry(i32::MIN.into()),
            [0xF3, 0x00, 0x00, 0x00, 0x80, 0x05]
        );
        let mut big = vec![0xF4];
        big.extend_from_slice(&(1i64 << 31).to_le_bytes());
        big.push(0x09);
        assert_eq!(int_entry(1 << 31), big);
        let mut min = vec![0xF4, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x09];
        assert_eq!(int_entry(i64::MIN), min);
        min[1..9].copy_from_slice(&i64::MAX.to_le_bytes());
        assert_eq!(int_entry(i64::MAX), min);
    }

    #[test]
    fn every_integer_form_reads_back_its_value() {
        let mut lp = Listpack::new();
        let samples = [
            0,
            1,
            127,
            128,
            -1,
            4095,
            -4096,
            4096,
            -4097,
            32767,
            -32769,
            8388607,
            -8388609,
            i32::MAX as i64 + 1,
            i64::MIN,
            i64::MAX,
        ];
        for &v in &samples {
            lp.push_back_int(v);
        }
        lp.check_invariants();
        assert_canonical(&lp);
        let back: Vec<LpValue> = lp.iter().collect();
        let want: Vec<LpValue> = samples.iter().map(|&v| LpValue::Int(v)).collect();
        assert_eq!(back, want);
    }

    #[test]
    fn strings_use_6_bit_below_64_bytes_12_bit_below_4096_then_32_bit() {
        assert_eq!(entry_bytes(b""), [0x80, 0x01]);
        let s63 = vec![b'a'; 63];
        let e = entry_bytes(&s63);
        assert_eq!((e[0], e.len(), e[64]), (0xBF, 65, 0x40));
        let s64 = vec![b'a'; 64];
        let e = entry_bytes(&s64);
        assert_eq!(&e[..2], [0xE0, 0x40]);
        assert_eq!(&e[66..], [0x42]); // 2 + 64 = 66
        let s4095 = vec![b'a'; 4095];
        let e = entry_bytes(&s4095);
        assert_eq!(&e[..2], [0xEF, 0xFF]);
        assert_eq!(&e[4097..], [0x20, 0x81]); // 4097 = 32 * 128 + 1
        let s4096 = vec![b'a'; 4096];
        let e = entry_bytes(&s4096);
        assert_eq!(&e[..5], [0xF0, 0x00, 0x10, 0x00, 0x00]);
        assert_eq!(&e[4101..], [0x20, 0x85]); // 4101 = 32 * 128 + 5
    }

    #[test]
    fn backlen_is_one_byte_up_to_127_and_two_at_128() {
        // A 125-byte string is 12-bit: 2 + 125 = 127 bytes of entry.
        let e = entry_bytes(&[b'x'; 125]);
        assert_eq!(&e[127..], [0x7F]);
        let e = entry_bytes(&[b'x'; 126]);
        assert_eq!(&e[128..], [0x01, 0x80]);
    }

    #[test]
    fn backlen_takes_three_bytes_from_16383_like_redis() {
        // 32-bit strings: 5 + len bytes of entry.
        let e = entry_bytes(&[b'x'; 16382 - 5]);
        assert_eq!(&e[16382..], [0x7F, 0xFE]);
        let e = entry_bytes(&[b'x'; 16383 - 5]);
        assert_eq!(&e[16383..], [0x00, 0xFF, 0xFF]);
        let e = entry_bytes(&[b'x'; 16384 - 5]);
        assert_eq!(&e[16384..], [0x01, 0x80, 0x80]);
    }

    #[test]
    fn backlen_sizes_follow_redis_thresholds_and_round_trip() {
        let cases = [
            (0, 1),
            (127, 1),
            (128, 2),
            (16382, 2),
            (16383, 3),
            (2097150, 3),
            (2097151, 4),
            (268435454, 4),
            (268435455, 5),
            (u32::MAX as usize, 5),
        ];
        for (len, size) in cases {
            assert_eq!(backlen_size(len), size, "len {len}");
            let mut buf = [0u8; MAX_BACKLEN];
            write_backlen(len, &mut buf[..size]);
            assert_eq!(read_backlen(&buf, size - 1), Some((len, size)));
        }
    }

    #[test]
    fn strings_that_spell_an_i64_are_stored_as_integers() {
        assert_eq!(entry_bytes(b"123"), [0x7B, 0x01]);
        assert_eq!(entry_bytes(b"0"), [0x00, 0x01]);
        assert_eq!(entry_bytes(b"-1"), [0xDF, 0xFF, 0x02]);
        for s in ["9223372036854775807", "-9223372036854775808"] {
            assert_eq!(entry_bytes(s.as_bytes())[0], 0xF4, "{s}");
        }
    }

    #[test]
    fn non_canonical_numbers_stay_strings() {
        assert_eq!(entry_bytes(b"0123"), [0x84, b'0', b'1', b'2', b'3', 0x05]);
        assert_eq!(entry_bytes(b"+1"), [0x82, b'+', b'1', 0x03]);
        assert_eq!(entry_bytes(b" 1"), [0x82, b' ', b'1', 0x03]);
        for s in [
            "-0",
            "-",
            "1 ",
            "00",
            "1.0",
            "1e3",
            "9223372036854775808",
            "-9223372036854775809",
            "99999999999999999999",
        ] {
            assert_eq!(parse_int(s.as_bytes()), None, "{s}");
            assert_eq!(entry_bytes(s.as_bytes())[0] & 0xC0, 0x80, "{s}");
        }
    }

    #[test]
    fn values_render_as_their_decimal_strings() {
        let v = LpValue::Int(i64::MIN);
        assert_eq!(v.to_vec(), b"-9223372036854775808");
        assert_eq!(v.len_as_string(), 20);
        assert!(v.eq_bytes(b"-9223372036854775808"));
        assert!(!LpValue::Int(123).eq_bytes(b"0123"));
        assert_eq!(LpValue::Int(0).to_vec(), b"0");
        let mut out = b"x=".to_vec();
        LpValue::Int(-42).write_to(&mut out);
        LpValue::Str(b"!").write_to(&mut out);
        assert_eq!(out, b"x=-42!");
        assert_eq!(LpValue::Str(b"17").as_int(), Some(17));
    }

    // --- bytes from real Redis ----------------------------------------------

    /// Listpacks taken from a real Redis 7.0.15 with `DUMP` (the RDB payload
    /// of a list or a small hash holds the listpack as a string). Building
    /// the same values here must give the same bytes, and `from_bytes` must
    /// accept Redis's.
    #[test]
    fn listpacks_built_here_match_redis_byte_for_byte() {
        for (items, redis) in REDIS_SAMPLES {
            let items: Vec<&[u8]> = items.iter().map(|s| s.as_bytes()).collect();
            let lp = lp_of(&items);
            let redis = hex(redis);
            assert_eq!(lp.as_bytes(), &redis[..], "values {items:?}");
            let back = Listpack::from_bytes(redis).expect("Redis bytes validate");
            assert_eq!(back, lp);
        }
    }

    fn hex(s: &str) -> Vec<u8> {
        let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
        digits
            .chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap_or("00"), 16).unwrap_or(0))
            .collect()
    }

    /// (values pushed in order, the listpack Redis stored for them, in hex).
    /// The first four are `RPUSH` lists, the last an `HSET` hash.
    const REDIS_SAMPLES: &[(&[&str], &str)] = &[
        (
            &["hi", "7", "300"],
            "10000000 0300 826869 03 07 01 c12c 02 ff",
        ),
        (
            &[
                "a", "1", "128", "-1", "0123", "+1", " 1", "-0", "", "0", "-",
            ],
            "2b000000 0b00 8161 02 01 01 c080 02 dfff 02 8430313233 05 822b31 03 822031 03 \
             822d30 03 80 01 00 01 812d 02 ff",
        ),
        (
            &[
                "4095", "4096", "-4096", "-4097", "32767", "32768", "-32768", "-32769", "8388607",
                "8388608", "-8388608", "-8388609",
            ],
            "3d000000 0c00 cfff 02 f10010 03 d000 02 f1ffef 03 f1ff7f 03 f2008000 04 \
             f10080 03 f2ff7fff 04 f2ffff7f 04 f300008000 05 f2000080 04 f3ffff7fff 05 ff",
        ),
        (
            &[
                "2147483647",
                "2147483648",
                "-2147483648",
                "-2147483649",
                "9223372036854775807",
                "-9223372036854775808",
                "9223372036854775808",
                "-9223372036854775809",
            ],
            "66000000 0800 f3ffffff7f 05 f40000008000000000 09 f300000080 05 \
             f4ffffff7fffffffff 09 f4ffffffffffffff7f 09 f40000000000000080 09 \
             93 39323233333732303336383534373735383038 14 \
             94 2d39323233333732303336383534373735383039 15 ff",
        ),
        (
            &["name", "oxidis", "port", "7000", "neg", "-1", "zero", "0"],
            "2f000000 0800 846e616d65 05 866f7869646973 07 84706f7274 05 f1581b 03 \
             836e6567 04 dfff 02 847a65726f 05 00 01 ff",
        ),
    ];

    // --- navigation and edits -----------------------------------------------

    #[test]
    fn next_and_prev_walk_every_entry_in_both_directions() {
        let lp = lp_of(&[b"a", b"1000", b"", &[b'z'; 300], b"-7"]);
        let mut fwd = vec![];
        let mut p = lp.first();
        while let Some(pos) = p {
            fwd.push(pos);
            p = lp.next(pos);
        }
        let mut back = vec![];
        let mut p = lp.last();
        while let Some(pos) = p {
            back.push(pos);
            p = lp.prev(pos);
        }
        back.reverse();
        assert_eq!(fwd.len(), 5);
        assert_eq!(fwd, back);
        assert_eq!(lp.get(fwd[1]), LpValue::Int(1000));
        assert_eq!(lp.get(fwd[2]), LpValue::Str(b""));
    }

    #[test]
    fn seek_counts_from_either_end_and_rejects_out_of_range() {
        let items: Vec<Vec<u8>> = (0..9).map(|i| format!("v{i}").into_bytes()).collect();
        let refs: Vec<&[u8]> = items.iter().map(|v| &v[..]).collect();
        let lp = lp_of(&refs);
        for i in 0..9i64 {
            let p = lp.seek(i).map(|p| lp.get(p).to_vec());
            assert_eq!(p, Some(items[i as usize].clone()));
            let q = lp.seek(i - 9).map(|p| lp.get(p).to_vec());
            assert_eq!(q, Some(items[i as usize].clone()));
        }
        assert_eq!(lp.seek(9), None);
        assert_eq!(lp.seek(-10), None);
        assert_eq!(Listpack::new().seek(0), None);
    }

    #[test]
    fn insert_replace_and_delete_return_the_documented_positions() {
        let mut lp = lp_of(&[b"a", b"c"]);
        let c = lp.seek(1).unwrap();
        let b = lp.insert_before(c, b"b");
        assert_eq!(b, c);
        assert_eq!(lp.get(b), LpValue::Str(b"b"));
        let d = lp.insert_after(lp.last().unwrap(), b"d");
        assert_eq!(lp.get(d), LpValue::Str(b"d"));
        assert_eq!(lp.last(), Some(d));
        let r = lp.replace(b, &[b'B'; 200]);
        assert_eq!(lp.get(r).len_as_string(), 200);
        lp.check_invariants();
        assert_eq!(values(&lp)[3], b"d");
        let after = lp.delete(r).unwrap();
        assert_eq!(lp.get(after), LpValue::Str(b"c"));
        assert_eq!(lp.delete(lp.last().unwrap()), None);
        lp.push_front(b"0");
        lp.check_invariants();
        assert_eq!(values(&lp), [b"0".to_vec(), b"a".to_vec(), b"c".to_vec()]);
    }

    #[test]
    fn delete_range_clamps_at_the_end_and_ignores_bad_indexes() {
        let mut lp = lp_of(&[b"0", b"1", b"2", b"3", b"4"]);
        lp.delete_range(1, 2);
        lp.check_invariants();
        assert_eq!(values(&lp), [b"0".to_vec(), b"3".to_vec(), b"4".to_vec()]);
        lp.delete_range(5, 1);
        lp.delete_range(0, 0);
        assert_eq!(lp.len(), 3);
        lp.delete_range(1, 100);
        lp.check_invariants();
        assert_eq!(values(&lp), [b"0".to_vec()]);
    }

    #[test]
    fn find_compares_integers_by_value_and_strings_by_bytes() {
        let lp = lp_of(&[b"0123", b"123", b"abc", b"-5"]);
        assert_eq!(lp.find(b"123"), lp.seek(1));
        assert_eq!(lp.find(b"0123"), lp.seek(0));
        assert_eq!(lp.find(b"-5"), lp.seek(3));
        assert_eq!(lp.find(b"-05"), None);
        assert_eq!(lp.find(b"zzz"), None);
        assert_eq!(Listpack::new().find(b"a"), None);
    }

    #[test]
    fn find_from_with_skip_looks_at_hash_fields_only() {
        // field, value pairs: the value "b" must not match a field lookup.
        let lp = lp_of(&[b"a", b"b", b"b", b"1"]);
        let f = lp.find_from(lp.first().unwrap(), b"b", 1).unwrap();
        assert_eq!(f, lp.seek(2).unwrap());
        assert_eq!(lp.get(lp.next(f).unwrap()), LpValue::Int(1));
        assert_eq!(lp.find_from(lp.first().unwrap(), b"1", 1), None);
    }

    #[test]
    fn iterator_meets_in_the_middle_from_both_ends() {
        let lp = lp_of(&[b"1", b"2", b"3", b"4", b"5"]);
        let mut it = lp.iter();
        assert_eq!(it.next(), Some(LpValue::Int(1)));
        assert_eq!(it.next_back(), Some(LpValue::Int(5)));
        assert_eq!(it.next_back(), Some(LpValue::Int(4)));
        assert_eq!(it.next(), Some(LpValue::Int(2)));
        assert_eq!(it.next(), Some(LpValue::Int(3)));
        assert_eq!(it.next(), None);
        assert_eq!(it.next_back(), None);
    }

    #[test]
    fn append_and_split_off_move_entries_as_bytes() {
        let mut a = lp_of(&[b"x", b"1"]);
        let b = lp_of(&[b"y", &[b'q'; 70], b"-300"]);
        a.append(&b);
        a.check_invariants();
        assert_eq!(a.len(), 5);
        let tail = a.split_off(2);
        a.check_invariants();
        tail.check_invariants();
        assert_eq!(tail, b);
        assert_eq!(a, lp_of(&[b"x", b"1"]));
        let none = a.split_off(7);
        assert!(none.is_empty());
        assert_eq!(a.len(), 2);
    }

    #[test]
    fn random_edits_match_a_vec_model() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let pool: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"a".to_vec(),
            b"0".to_vec(),
            b"-1".to_vec(),
            b"127".to_vec(),
            b"128".to_vec(),
            b"0123".to_vec(),
            b"70000".to_vec(),
            b"-9223372036854775808".to_vec(),
            vec![b'm'; 63],
            vec![b'm'; 64],
            vec![b'L'; 200],
            vec![b'H'; 4096],
        ];
        for round in 0..20 {
            let mut lp = Listpack::new();
            let mut model: Vec<Vec<u8>> = Vec::new();
            for _ in 0..300 {
                let v = &pool[rng.below(pool.len())];
                let n = model.len();
                match rng.below(9) {
                    0 | 1 => {
                        lp.push_back(v);
                        model.push(v.clone());
                    }
                    2 => {
                        lp.push_front(v);
                        model.insert(0, v.clone());
                    }
                    3 if n > 0 => {
                        let i = rng.below(n);
                        let p = lp.seek(i as i64).unwrap();
                        assert_eq!(lp.insert_before(p, v), p);
                        model.insert(i, v.clone());
                    }
                    4 if n > 0 => {
                        let i = rng.below(n);
                        let p = lp.seek(i as i64 - n as i64).unwrap();
                        let q = lp.insert_after(p, v);
                        model.insert(i + 1, v.clone());
                        assert_eq!(lp.seek(i as i64 + 1), Some(q));
                    }
                    5 if n > 0 => {
                        let i = rng.below(n);
                        let p = lp.seek(i as i64).unwrap();
                        lp.replace(p, v);
                        model[i] = v.clone();
                    }
                    6 if n > 0 => {
                        let i = rng.below(n);
                        let p = lp.seek(i as i64).unwrap();
                        let next = lp.delete(p);
                        model.remove(i);
                        assert_eq!(next.is_some(), i < model.len());
                    }
                    7 => {
                        let i = rng.below(n + 1);
                        let k = rng.below(4);
                        lp.delete_range(i, k);
                        let stop = (i + k).min(n);
                        if i < n {
                            model.drain(i..stop);
                        }
                    }
                    _ => {
                        if let Some(i) = (n > 0).then(|| rng.below(n)) {
                            let want = model.iter().position(|m| m == &model[i]);
                            let got = lp.find(&model[i]);
                            assert_eq!(got, want.and_then(|w| lp.seek(w as i64)));
                        }
                    }
                }
                lp.check_invariants();
                assert_eq!(values(&lp), model, "round {round}");
            }
            assert_canonical(&lp);
            let rev: Vec<Vec<u8>> = lp.iter().rev().map(|v| v.to_vec()).collect();
            assert!(rev.iter().eq(model.iter().rev()));
            let deque: VecDeque<Vec<u8>> = model.iter().cloned().collect();
            assert_eq!(deque.len(), lp.len());
        }
    }

    #[test]
    fn header_count_saturates_at_65535_and_recovers_after_deletes() {
        let mut lp = Listpack::new();
        for i in 0..65_536 {
            lp.push_back_int(i % 100);
        }
        assert_eq!(&lp.as_bytes()[4..6], [0xFF, 0xFF]);
        assert_eq!(lp.len(), 65_536);
        lp.check_invariants();
        lp.delete(lp.first().unwrap());
        assert_eq!(lp.len(), 65_535);
        assert_eq!(&lp.as_bytes()[4..6], [0xFF, 0xFF]);
        lp.delete_range(0, 2);
        assert_eq!(&lp.as_bytes()[4..6], [0xFD, 0xFF]);
        lp.check_invariants();
        assert_eq!(lp.seek(-1).map(|p| lp.get(p)), Some(LpValue::Int(35)));
    }

    #[test]
    fn push_back_keeps_amortized_growth_of_the_vec() {
        let mut lp = Listpack::new();
        let mut reallocs = 0;
        let mut cap = lp.buf.capacity();
        for _ in 0..10_000 {
            lp.push_back(b"abc");
            if lp.buf.capacity() != cap {
                reallocs += 1;
                cap = lp.buf.capacity();
            }
        }
        // 10,000 pushes of 5 bytes: doubling needs about log2(50,000) steps.
        assert!(reallocs < 20, "{reallocs} reallocations");
    }

    // --- untrusted bytes ------------------------------------------------------

    #[test]
    fn validate_names_what_is_wrong() {
        let good = lp_of(&[b"hi", b"7", b"300"]).as_bytes().to_vec();
        assert_eq!(validate(&good, true), Ok(3));
        let reason = |b: &[u8]| validate(b, true).map_err(|e| (e.offset, e.reason));

        assert!(reason(&good[..6]).is_err());
        let mut b = good.clone();
        b[0] = 0x11;
        assert_eq!(reason(&b).unwrap_err().0, 0);
        let mut b = good.clone();
        *b.last_mut().unwrap() = 0;
        assert_eq!(reason(&b).unwrap_err().0, 15);
        let mut b = good.clone();
        b[10] = 0xF5; // unassigned encoding
        assert_eq!(reason(&b).unwrap_err().0, 10);
        let mut b = good.clone();
        b[9] = 0x04; // backlen of "hi" says 4, not 3
        assert_eq!(reason(&b).unwrap_err().0, 9);
        let mut b = good.clone();
        b[4] = 2; // count
        assert_eq!(reason(&b).unwrap_err().0, 4);
        let mut b = good.clone();
        b[4] = 0xFF;
        b[5] = 0xFF; // unknown count is allowed
        assert_eq!(validate(&b, true), Ok(3));
        let lp = Listpack::from_bytes(b).unwrap();
        assert_eq!(&lp.as_bytes()[4..6], [3, 0]);
        let mut b = good.clone();
        b[6] = 0xFF; // terminator in the middle
        assert_eq!(reason(&b).unwrap_err().0, 6);
    }

    #[test]
    fn shallow_validation_checks_only_total_and_terminator() {
        let mut b = lp_of(&[b"hi"]).as_bytes().to_vec();
        b[6] = 0xF7;
        assert_eq!(validate(&b, false), Ok(1));
        assert!(validate(&b, true).is_err());
    }

    #[test]
    fn a_32_bit_string_claiming_4_gib_is_rejected_without_allocating() {
        // 0xF0 with length 0xFFFFFFFF in a 13-byte buffer.
        let mut b = vec![13, 0, 0, 0, 1, 0, 0xF0, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0xFF];
        assert!(validate(&b, true).is_err());
        b[7..11].copy_from_slice(&[0, 0, 0, 0]); // empty 32-bit string: fine
        b[11] = 0x05;
        assert_eq!(validate(&b, true), Ok(1));
    }

    /// Samples for the fuzz tests: every encoding, several backlen widths.
    fn samples() -> Vec<Listpack> {
        vec![
            Listpack::new(),
            lp_of(&[b"hi", b"7", b"300"]),
            lp_of(&[b"-1", b"70000", b"-9000000", b"3000000000", b"", b"a"]),
            lp_of(&[&[b's'; 63], &[b'm'; 130], b"x"]),
            lp_of(&[&[b'b'; 4100], b"-4096"]),
        ]
    }

    /// Reads everything a command might read, in every way, from a
    /// listpack that validation accepted. Any panic fails the test.
    fn exercise(lp: &Listpack) {
        let n = lp.len();
        assert_eq!(lp.iter().count(), n);
        assert_eq!(lp.iter().rev().count(), n);
        let mut p = lp.first();
        while let Some(pos) = p {
            lp.get(pos).to_vec();
            p = lp.next(pos);
        }
        let mut p = lp.last();
        while let Some(pos) = p {
            p = lp.prev(pos);
        }
        for i in -(n as i64) - 1..=n as i64 {
            if let Some(pos) = lp.seek(i) {
                lp.get(pos);
            }
        }
        lp.find(b"300");
        let mut copy = lp.clone();
        copy.push_back(b"more");
        copy.delete_range(0, 2);
        copy.check_invariants();
    }

    #[test]
    fn every_truncation_of_a_valid_listpack_is_rejected() {
        for lp in samples() {
            let b = lp.as_bytes();
            for cut in 0..b.len() {
                assert!(validate(&b[..cut], true).is_err(), "cut at {cut}");
                assert!(validate(&b[..cut], false).is_err(), "cut at {cut}");
            }
        }
    }

    #[test]
    fn every_single_bit_flip_is_rejected_or_safe_to_read() {
        for lp in samples() {
            let good = lp.as_bytes().to_vec();
            let last = good.len() - 1;
            for i in 0..good.len() {
                for bit in 0..8 {
                    let mut b = good.clone();
                    b[i] ^= 1 << bit;
                    match Listpack::from_bytes(b) {
                        // A flip inside string data, or in a 7-bit integer,
                        // gives another valid listpack: it must read safely.
                        Ok(lp) => {
                            assert!((HEADER_SIZE..last).contains(&i), "flip at {i}");
                            exercise(&lp);
                        }
                        Err(e) => assert!(e.offset < good.len()),
                    }
                }
            }
        }
    }

    #[test]
    fn random_garbage_never_panics_validation() {
        let mut rng = Rng(42);
        for _ in 0..20_000 {
            let len = 7 + rng.below(24);
            let mut b: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            b[0..4].copy_from_slice(&(len as u32).to_le_bytes());
            b[len - 1] = 0xFF;
            if rng.below(2) == 0 {
                b[4..6].copy_from_slice(&[0xFF, 0xFF]);
            }
            if let Ok(lp) = Listpack::from_bytes(b) {
                exercise(&lp);
            }
        }
    }
}
