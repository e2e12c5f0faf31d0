//! SDS: the binary-safe dynamic string behind every key and string value.
//!
//! Chapter: chapters/08-sds.md
//!
//! An `Sds` is a single pointer. It points at the first byte of the string,
//! and the string's header (length, capacity, header class) sits in the
//! bytes just before it, in the same heap block. A key made at its exact
//! size and shorter than 32 bytes carries one header byte; a string with
//! room to grow carries 3, 5, 9 or 17, depending on how big its capacity
//! is. Appends grow the block greedily (double the need, or add 1 MiB once
//! past 1 MiB), so a run of appends costs amortized O(1) per byte.
//!
//! ```text
//!  one heap block:   [ header ............ | flags ][ data .......... | spare ]
//!                                                   ^ ptr: the whole handle
//!  class 5                                 [ flags ]   len in flags' high 5 bits
//!  class 8                   [ len  | alloc | flags ]   u8 fields
//!  class 16              [ len    | alloc    | flags ]  u16 little-endian
//!  class 32          [ len      | alloc      | flags ]  u32 little-endian
//!  class 64  [ len          | alloc          | flags ]  u64 little-endian
//!
//!  "key:0000000001" (14 bytes, made at exact size), class 5:
//!      70 | 6b 65 79 3a 30 30 30 30 30 30 30 30 30 31
//!      ^ flags = (14 << 3) | 0        ^ ptr points here
//! ```
//!
//! Invariants:
//! 1. `ptr` points `header_len` bytes into a live heap block of exactly
//!    `header_len + capacity` bytes, allocated with alignment 1. Nothing
//!    else points into the block: an `Sds` owns it like a `Box<[u8]>`.
//! 2. The byte at `ptr - 1` is the flags byte; its low 3 bits name the
//!    class (0 = class 5, 1 = class 8, ... 4 = class 64).
//! 3. Class 5: the length (< 32) is the flags byte's high 5 bits, and
//!    capacity == length. Classes 8..64: the flags byte's high 5 bits are 0
//!    and len <= alloc <= the largest value the class's fields can hold.
//! 4. Data bytes `0..len` are initialized; the spare bytes `len..capacity`
//!    may not be, and are never read.
//! 5. A string with a capacity field (class 8..64) uses the smallest of
//!    those classes whose fields can hold its capacity.
//!
//! Not here: the string commands (APPEND, SETRANGE, GETRANGE) and the
//! choice between an integer and a byte encoding for a value; those belong
//! to the command and object layers above `ds/`.

use super::dict::DictKey;
use super::siphash::SipKey;
use std::alloc::{self, Layout};
use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::{Deref, DerefMut};
use std::ptr::{self, NonNull};
use std::slice;

/// Below this many bytes, growth doubles what is needed; from here on it
/// adds this much instead. Doubling a 300 MiB string so that one more
/// append fits would reserve 300 MiB that may never be used; 1 MiB of
/// slack is at most 1 MiB of waste and still makes each reallocation move
/// at least 1 MiB of appends' worth of bytes.
pub const GREEDY_LIMIT: usize = 1024 * 1024;

// ---------------------------------------------------------------------------
// Header classes
// ---------------------------------------------------------------------------

// ANCHOR: classes
/// The five header shapes. The discriminant is the tag stored in the low 3
/// bits of the flags byte (invariant 2), the same numbering Redis uses.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Class {
    C5 = 0,
    C8 = 1,
    C16 = 2,
    C32 = 3,
    C64 = 4,
}

impl Class {
    /// Low 3 bits of the flags byte. Tags 5..7 are never written
    /// (invariant 2); reading them as class 64 keeps this branch-light
    /// function total, and `check_invariants` rejects them.
    #[inline]
    fn from_flags(flags: u8) -> Class {
        match flags & 7 {
            0 => Class::C5,
            1 => Class::C8,
            2 => Class::C16,
            3 => Class::C32,
            _ => Class::C64,
        }
    }

    /// Bytes per field (len, alloc). Class 5 has no fields.
    #[inline]
    fn width(self) -> usize {
        match self {
            Class::C5 => 0,
            Class::C8 => 1,
            Class::C16 => 2,
            Class::C32 => 4,
            Class::C64 => 8,
        }
    }

    /// Two fields and the flags byte: 1, 3, 5, 9 or 17.
    #[inline]
    fn header_len(self) -> usize {
        2 * self.width() + 1
    }

    /// Largest length (class 5) or capacity (others) the header can record.
    fn max(self) -> usize {
        match self {
            Class::C5 => 31, // 5 bits of the flags byte
            Class::C8 => u8::MAX as usize,
            Class::C16 => u16::MAX as usize,
            Class::C32 => usize::try_from(u32::MAX).unwrap_or(usize::MAX),
            Class::C64 => usize::MAX,
        }
    }

    /// The class for a string made at exact size: class 5 when it fits,
    /// else the smallest class that can record `len` as its capacity.
    fn for_exact(len: usize) -> Class {
        if len <= Class::C5.max() {
            Class::C5
        } else {
            Class::for_capacity(len)
        }
    }

    /// The smallest class with a capacity field that can hold `cap`
    /// (invariant 5). Never class 5: it cannot record spare room.
    fn for_capacity(cap: usize) -> Class {
        if cap <= Class::C8.max() {
            Class::C8
        } else if cap <= Class::C16.max() {
            Class::C16
        } else if cap <= Class::C32.max() {
            Class::C32
        } else {
            Class::C64
        }
    }
}
// ANCHOR_END: classes

/// The block for a class and capacity. Drop recomputes it from the header,
/// so `dealloc` always receives the layout the block was allocated with.
fn block_layout(class: Class, cap: usize) -> Layout {
    match class.header_len().checked_add(cap) {
        // Align 1 only fails above isize::MAX bytes.
        Some(size) => match Layout::from_size_align(size, 1) {
            Ok(layout) => layout,
            Err(_) => capacity_overflow(),
        },
        None => capacity_overflow(),
    }
}

/// Same behaviour as `Vec` asked for more than the address space: a panic.
/// Only a caller asking for ~2^63 bytes gets here; string commands cap
/// lengths at 512 MiB long before.
#[cold]
fn capacity_overflow() -> ! {
    panic!("sds: capacity overflow");
}

// ANCHOR: greedy
/// The capacity to allocate when a string of `len` bytes needs `add` more
/// and has no room: twice what is needed while that is under 1 MiB, then
/// what is needed plus 1 MiB.
fn greedy_capacity(len: usize, add: usize) -> usize {
    let needed = match len.checked_add(add) {
        Some(n) => n,
        None => capacity_overflow(),
    };
    if needed < GREEDY_LIMIT {
        needed * 2
    } else {
        // Saturating: an absurd size then fails in `block_layout`.
        needed.saturating_add(GREEDY_LIMIT)
    }
}
// ANCHOR_END: greedy

// ---------------------------------------------------------------------------
// Header bytes
// ---------------------------------------------------------------------------

// ANCHOR: fields
/// `N` bytes of `header` from `at`. The size is a constant, so the copy
/// compiles to one unaligned load, with no alignment demand on the block.
#[inline(always)]
fn take<const N: usize>(header: &[u8], at: usize) -> [u8; N] {
    let mut bytes = [0u8; N];
    bytes.copy_from_slice(&header[at..at + N]);
    bytes
}

/// Field `index` (0 = len, 1 = alloc) of a header of `class`, stored
/// little-endian. Class 5 answers both from the flags byte: its capacity
/// is its length (invariant 3).
#[inline(always)]
fn get_field(header: &[u8], class: Class, index: usize) -> usize {
    let at = index * class.width();
    match class {
        Class::C5 => usize::from(header[0] >> 3),
        Class::C8 => usize::from(header[at]),
        Class::C16 => usize::from(u16::from_le_bytes(take(header, at))),
        Class::C32 => u32::from_le_bytes(take(header, at)) as usize,
        Class::C64 => u64::from_le_bytes(take(header, at)) as usize,
    }
}

/// Store `value` in field `index`. Callers have checked that the value
/// fits the class (invariant 3), so the casts drop only zero bits. For
/// class 5 this rewrites the whole flags byte: length and tag.
#[inline(always)]
fn set_field(header: &mut [u8], class: Class, index: usize, value: usize) {
    debug_assert!(value <= class.max());
    let at = index * class.width();
    match class {
        Class::C5 => header[0] = ((value as u8) << 3) | Class::C5 as u8,
        Class::C8 => header[at] = value as u8,
        Class::C16 => header[at..at + 2].copy_from_slice(&(value as u16).to_le_bytes()),
        Class::C32 => header[at..at + 4].copy_from_slice(&(value as u32).to_le_bytes()),
        Class::C64 => header[at..at + 8].copy_from_slice(&(value as u64).to_le_bytes()),
    }
}

/// Write a whole header: fields, then the flags byte last in the header.
fn encode_header(header: &mut [u8], class: Class, len: usize, cap: usize) {
    debug_assert!(len <= cap && cap <= class.max());
    debug_assert!(class != Class::C5 || len == cap);
    set_field(header, class, 0, len);
    if class != Class::C5 {
        set_field(header, class, 1, cap);
        header[2 * class.width()] = class as u8;
    }
}
// ANCHOR_END: fields

// ---------------------------------------------------------------------------
// The string
// ---------------------------------------------------------------------------

// ANCHOR: handle
/// A binary-safe, growable byte string whose handle is one pointer.
///
/// `size_of::<Sds>() == 8`, and `Option<Sds>` is 8 too: the pointer is
/// never null, so `None` uses the null value.
pub struct Sds {
    /// Points at data byte 0; the header is just behind it (invariant 1).
    ptr: NonNull<u8>,
}
// ANCHOR_END: handle

// SAFETY: an `Sds` owns its block exclusively (invariant 1) and has no
// interior mutability, exactly like `Box<[u8]>`, which is Send and Sync:
// moving it to another thread moves the only way to reach the block, and
// `&Sds` only allows reads.
unsafe impl Send for Sds {}
// SAFETY: see `Send` above.
unsafe impl Sync for Sds {}

impl Sds {
    // ANCHOR: build
    /// Allocate a block for `class` with room for `cap` bytes and copy
    /// `bytes` into it. Every constructor, `Clone`, and the class change in
    /// `relocate` come through here.
    fn build(class: Class, bytes: &[u8], cap: usize) -> Sds {
        let len = bytes.len();
        assert!(len <= cap && cap <= class.max() && (class != Class::C5 || len == cap));
        let hlen = class.header_len();
        let layout = block_layout(class, cap);
        // SAFETY: the layout's size is at least 1 (the flags byte).
        let base = unsafe { alloc::alloc(layout) };
        if base.is_null() {
            alloc::handle_alloc_error(layout);
        }
        // SAFETY: the block is `hlen + cap` bytes long and `len <= cap`, so
        // the header fits at offset 0 and the data at `hlen..hlen + len`.
        // `bytes` lives in memory we did not just allocate, so the copy's
        // ranges cannot overlap. `base` is non-null, so `base + hlen` is.
        unsafe {
            encode_header(slice::from_raw_parts_mut(base, hlen), class, len, cap);
            let data = base.add(hlen);
            ptr::copy_nonoverlapping(bytes.as_ptr(), data, len);
            Sds {
                ptr: NonNull::new_unchecked(data),
            }
        }
    }
    // ANCHOR_END: build

    /// A string holding `bytes`, with no spare room: class 5 when shorter
    /// than 32 bytes. This is how keys are made.
    pub fn new(bytes: &[u8]) -> Sds {
        Sds::build(Class::for_exact(bytes.len()), bytes, bytes.len())
    }

    /// An empty string with room for `cap` bytes. Always class 8 or up: a
    /// string made to be appended to needs a capacity field.
    // Real Redis: sdsnewlen turns a would-be empty type-5 string into type 8
    // for the same reason; see chapters/08-sds.md#real-redis.
    pub fn with_capacity(cap: usize) -> Sds {
        Sds::build(Class::for_capacity(cap), &[], cap)
    }

    /// The empty string: a 1-byte block holding only a class-5 flags byte.
    pub fn empty() -> Sds {
        Sds::new(&[])
    }

    /// A copy of `v`'s bytes at exact size. The `Vec`'s block cannot be
    /// reused: it has no room in front of the data for a header.
    pub fn from_vec(v: Vec<u8>) -> Sds {
        Sds::new(&v)
    }

    // ----- reading the header ------------------------------------------

    #[inline]
    fn flags(&self) -> u8 {
        // SAFETY: invariants 1 and 2: the flags byte is the last header
        // byte, inside the block, just before `ptr`.
        unsafe { *self.ptr.as_ptr().sub(1) }
    }

    #[inline]
    fn class(&self) -> Class {
        Class::from_flags(self.flags())
    }

    /// Start of the heap block.
    #[inline]
    fn base(&self) -> *mut u8 {
        // SAFETY: invariant 1: the block starts `header_len` bytes before
        // `ptr`, so the subtraction stays inside it.
        unsafe { self.ptr.as_ptr().sub(self.class().header_len()) }
    }

    // ANCHOR: header
    /// The header bytes, for a header already known to be of `class`.
    #[inline]
    fn header(&self, class: Class) -> &[u8] {
        let hlen = class.header_len();
        // SAFETY: invariant 1: the `hlen` bytes before `ptr` are the
        // initialized header, inside the block; `&self` keeps them unchanged
        // for the borrow's lifetime.
        unsafe { slice::from_raw_parts(self.ptr.as_ptr().sub(hlen), hlen) }
    }

    #[inline]
    pub fn len(&self) -> usize {
        let class = self.class();
        get_field(self.header(class), class, 0)
    }

    /// The alloc field: how many data bytes the block has room for.
    #[inline]
    pub fn capacity(&self) -> usize {
        let class = self.class();
        get_field(self.header(class), class, 1)
    }

    /// Length and capacity from one look at the flags byte: the append
    /// paths need both.
    #[inline]
    fn len_cap(&self) -> (usize, usize) {
        let class = self.class();
        let header = self.header(class);
        (get_field(header, class, 0), get_field(header, class, 1))
    }
    // ANCHOR_END: header

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes that can be appended without reallocating.
    #[inline]
    pub fn spare(&self) -> usize {
        let (len, cap) = self.len_cap();
        cap - len
    }

    /// 1, 3, 5, 9 or 17.
    #[inline]
    pub fn header_len(&self) -> usize {
        self.class().header_len()
    }

    /// Bytes this string owns on the heap: header plus capacity. The
    /// allocator rounds this up to its own size classes; see the chapter.
    #[inline]
    pub fn alloc_size(&self) -> usize {
        self.header_len() + self.capacity()
    }

    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: invariants 1 and 4: `len` initialized bytes start at
        // `ptr`, inside the block; `&self` keeps them unchanged.
        unsafe { slice::from_raw_parts(self.ptr.as_ptr(), self.len()) }
    }

    #[inline]
    pub fn as_bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as for `as_bytes`; `&mut self` makes the borrow unique,
        // and the slice excludes the header, so writes through it cannot
        // corrupt the length or class.
        unsafe { slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len()) }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }

    // ----- changing the length -------------------------------------------

    /// Record a new length in a class 8..64 header.
    ///
    /// # Safety
    /// `len <= capacity`, and data bytes `0..len` are initialized
    /// (invariant 4). Not for class 5, whose length is its capacity.
    #[inline]
    unsafe fn set_len(&mut self, len: usize) {
        let class = self.class();
        debug_assert!(class != Class::C5 && len <= self.capacity());
        let hlen = class.header_len();
        // SAFETY: invariant 1, as in `header`; `&mut self` makes the
        // borrow unique.
        let header = unsafe { slice::from_raw_parts_mut(self.ptr.as_ptr().sub(hlen), hlen) };
        set_field(header, class, 0, len);
    }

    /// Pointer to data byte `at`.
    ///
    /// # Safety
    /// `at <= capacity`, so the result is inside the block or one past it.
    #[inline]
    unsafe fn data_at(&mut self, at: usize) -> *mut u8 {
        // SAFETY: the caller keeps `at` within the data area (invariant 1).
        unsafe { self.ptr.as_ptr().add(at) }
    }

    // ANCHOR: relocate
    /// Move the string to a block of class `to` with capacity `cap`,
    /// keeping its first `len` bytes (`len <= self.len()`, `len <= cap`).
    ///
    /// HOW IT WORKS. Three cases, cheapest first:
    /// - Same class: the header stays where it is, so `realloc` can resize
    ///   the block in place (or move it, header and data together), and
    ///   only the header's fields change.
    /// - A smaller header and a smaller block (`shrink_to_fit` moving to a
    ///   smaller class): slide the data down over the old header, write
    ///   the new header in front of it, and `realloc` down. No second
    ///   block is needed.
    /// - A bigger header (growth into a bigger class): a fresh block, one
    ///   copy, free the old one. `realloc` would copy the data to its new
    ///   place and then we would have to move it again to make room for
    ///   the header, so the fresh block copies once where that copies twice.
    fn relocate(&mut self, to: Class, len: usize, cap: usize) {
        let from = self.class();
        debug_assert!(len <= self.len() && len <= cap && cap <= to.max());
        debug_assert!(to != Class::C5 || len == cap);
        let old = block_layout(from, self.capacity());
        let new = block_layout(to, cap);
        let hlen = to.header_len();
        let base = self.base();
        if to == from || (hlen < from.header_len() && new.size() <= old.size()) {
            if to != from {
                // SAFETY: both ranges lie inside the old block (the new
                // data start is below the old one); `ptr::copy` allows the
                // overlap.
                unsafe { ptr::copy(self.ptr.as_ptr(), base.add(hlen), len) };
            }
            // SAFETY: `base` and `old` describe this block (invariant 1);
            // `new.size()` is non-zero and fits isize (checked by Layout).
            let base = unsafe { alloc::realloc(base, old, new.size()) };
            if base.is_null() {
                alloc::handle_alloc_error(new);
            }
            // SAFETY: the block is now `hlen + cap` bytes; realloc kept the
            // first `min(old, new)` bytes, which cover the data we slid or
            // kept in place (`hlen + len <= new.size()`). `base` is non-null.
            unsafe {
                encode_header(slice::from_raw_parts_mut(base, hlen), to, len, cap);
                self.ptr = NonNull::new_unchecked(base.add(hlen));
            }
        } else {
            // Assigning drops the old string, which frees its block with
            // the layout its own header still describes.
            *self = Sds::build(to, &self.as_bytes()[..len], cap);
        }
    }
    // ANCHOR_END: relocate

    // ANCHOR: reserve
    /// Make room for `additional` more bytes, growing greedily. Does
    /// nothing if the spare room already suffices.
    #[inline]
    pub fn reserve(&mut self, additional: usize) {
        if self.spare() < additional {
            self.grow(additional);
        }
    }

    /// The slow half of `reserve`, kept out of line so that `push` and
    /// `extend_from_slice` stay small enough to inline.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, additional: usize) {
        let len = self.len();
        let cap = greedy_capacity(len, additional);
        self.relocate(Class::for_capacity(cap), len, cap);
    }
    // ANCHOR_END: reserve

    // ANCHOR: push
    #[inline]
    pub fn push(&mut self, b: u8) {
        let (len, cap) = self.len_cap();
        if len == cap {
            self.grow(1);
        }
        // SAFETY: there is now a spare byte at `len`, so the write is in
        // the block and the class has a length field (class 5 has no spare
        // room). The length is stored first and the byte right after, with
        // nothing in between that could read the string; in this order the
        // compiler can reuse the flags byte it read above, where a data
        // write first might (for all it knows) have changed it.
        unsafe {
            self.set_len(len + 1);
            self.data_at(len).write(b);
        }
    }
    // ANCHOR_END: push

    #[inline]
    pub fn extend_from_slice(&mut self, s: &[u8]) {
        if s.is_empty() {
            return; // also keeps class 5 strings, which have no spare room, untouched
        }
        let (len, cap) = self.len_cap();
        if cap - len < s.len() {
            self.grow(s.len());
        }
        // SAFETY: there are now `s.len()` spare bytes at `len`. `s` cannot
        // point into our block: we hold `&mut self`, so no shared borrow
        // of our bytes can exist. `s` is not empty, so the class has spare
        // room and a length field. Length first, as in `push`.
        unsafe {
            self.set_len(len + s.len());
            ptr::copy_nonoverlapping(s.as_ptr(), self.data_at(len), s.len());
        }
    }

    /// Grow to `new_len` bytes, filling the new tail with `fill`, or cut
    /// down to `new_len`. SETRANGE and SETBIT past the end grow this way
    /// with `fill = 0`.
    pub fn resize(&mut self, new_len: usize, fill: u8) {
        let len = self.len();
        if new_len <= len {
            self.truncate(new_len);
            return;
        }
        self.reserve(new_len - len);
        // SAFETY: `reserve` left `new_len - len` spare bytes at `len`; they
        // are all written before the length covers them. `new_len > len`
        // so the class has spare room and a length field.
        unsafe {
            ptr::write_bytes(self.data_at(len), fill, new_len - len);
            self.set_len(new_len);
        }
    }

    /// Keep the first `len` bytes; no-op if the string is not longer.
    /// The capacity is kept, except in class 5, where capacity equals
    /// length (invariant 3) and the block shrinks with it.
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len() {
            return;
        }
        if self.class() == Class::C5 {
            self.relocate(Class::C5, len, len);
        } else {
            // SAFETY: `len` is below the old length: those bytes are
            // initialized and within capacity.
            unsafe { self.set_len(len) };
        }
    }

    pub fn clear(&mut self) {
        self.truncate(0);
    }

    /// Drop all spare room and move to the smallest class for the length,
    /// class 5 included (Redis's sdsRemoveFreeSpace).
    pub fn shrink_to_fit(&mut self) {
        let len = self.len();
        let to = Class::for_exact(len);
        if to == self.class() && self.capacity() == len {
            return;
        }
        self.relocate(to, len, len);
    }

    /// Assert invariants 2, 3 and 5 (1 and 4 are about memory the program
    /// cannot inspect; Miri checks them when the tests run under it).
    pub fn check_invariants(&self) {
        let flags = self.flags();
        assert!(flags & 7 <= 4, "inv 2: flags {flags:#04x} name no class");
        let class = self.class();
        let (len, cap) = (self.len(), self.capacity());
        if class == Class::C5 {
            assert!(len <= 31 && cap == len, "inv 3: class 5 with len {len}");
        } else {
            assert_eq!(flags >> 3, 0, "inv 3: high flag bits set in {flags:#04x}");
            assert!(len <= cap, "inv 3: len {len} > alloc {cap}");
            assert!(
                cap <= class.max(),
                "inv 3: alloc {cap} too big for {class:?}"
            );
            assert_eq!(Class::for_capacity(cap), class, "inv 5: alloc {cap}");
        }
        assert_eq!(self.alloc_size(), block_layout(class, cap).size());
    }
}

// ---------------------------------------------------------------------------
// Ownership and the std traits
// ---------------------------------------------------------------------------

// ANCHOR: drop
impl Drop for Sds {
    fn drop(&mut self) {
        let layout = block_layout(self.class(), self.capacity());
        // SAFETY: invariant 1: `base()` is the start of the block and the
        // header still records the class and capacity it was allocated
        // with, so `layout` is the allocation's own layout.
        unsafe { alloc::dealloc(self.base(), layout) }
    }
}
// ANCHOR_END: drop

/// A copy at exact size: a clone has no spare room, like a fresh key.
impl Clone for Sds {
    fn clone(&self) -> Sds {
        Sds::new(self.as_bytes())
    }
}

impl Default for Sds {
    fn default() -> Sds {
        Sds::empty()
    }
}

impl Deref for Sds {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl DerefMut for Sds {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        self.as_bytes_mut()
    }
}

impl AsRef<[u8]> for Sds {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// Lets a `Dict<Sds, V>` be queried with `&[u8]`. Sound because `Eq`,
/// `Ord`, `Hash` and `DictKey` all look at the bytes alone.
impl Borrow<[u8]> for Sds {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for Sds {
    #[inline]
    fn eq(&self, other: &Sds) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Sds {}

impl PartialEq<[u8]> for Sds {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl PartialOrd for Sds {
    fn partial_cmp(&self, other: &Sds) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Bytewise, like memcmp then length: the order of SORT ... ALPHA and of
/// equal-score sorted-set members.
impl Ord for Sds {
    fn cmp(&self, other: &Sds) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

/// Hashes exactly as the `[u8]` it borrows as, as `Borrow` requires.
impl Hash for Sds {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state)
    }
}

/// The dict's contract (see `DictKey`): hash as the borrowed `[u8]` does.
impl DictKey for Sds {
    #[inline]
    fn hash_with(&self, key: &SipKey) -> u64 {
        self.as_bytes().hash_with(key)
    }
}

/// `b"key:1\n"`: printable ASCII as is, everything else escaped.
impl fmt::Debug for Sds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b\"{}\"", self.as_bytes().escape_ascii())
    }
}

impl From<&[u8]> for Sds {
    fn from(bytes: &[u8]) -> Sds {
        Sds::new(bytes)
    }
}

impl From<&str> for Sds {
    fn from(s: &str) -> Sds {
        Sds::new(s.as_bytes())
    }
}

impl From<Vec<u8>> for Sds {
    fn from(v: Vec<u8>) -> Sds {
        Sds::from_vec(v)
    }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ds::dict::Dict;
    use std::hash::DefaultHasher;
    use std::mem::size_of;

    /// Header and data bytes as they sit in the block.
    fn block(s: &Sds) -> Vec<u8> {
        let mut out = s.header(s.class()).to_vec();
        out.extend_from_slice(s.as_bytes());
        out
    }

    fn filled(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 + 3) as u8).collect()
    }

    /// Under Miri every byte is tracked, so the big-string tests shrink.
    const BIG: bool = !cfg!(miri);

    #[test]
    fn handle_and_optional_handle_are_one_pointer_wide() {
        assert_eq!(size_of::<Sds>(), 8);
        assert_eq!(size_of::<Option<Sds>>(), 8);
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Sds>();
    }

    #[test]
    fn key_is_stored_as_one_flags_byte_then_its_bytes() {
        let s = Sds::new(b"key:0000000001");
        assert_eq!(14 << 3, 0x70); // length 14 in the high 5 bits, class tag 0
        let mut want = vec![0x70];
        want.extend_from_slice(b"key:0000000001");
        assert_eq!(block(&s), want);
        assert_eq!(
            (s.len(), s.capacity(), s.header_len(), s.alloc_size()),
            (14, 14, 1, 15)
        );
        s.check_invariants();
    }

    #[test]
    fn class_8_header_is_len_alloc_flags() {
        let mut s = Sds::with_capacity(10);
        s.extend_from_slice(b"hello");
        assert_eq!(block(&s), [0x05, 0x0a, 0x01, b'h', b'e', b'l', b'l', b'o']);
        s.check_invariants();
    }

    #[test]
    fn class_16_fields_are_little_endian() {
        let s = Sds::new(&filled(0x1234));
        assert_eq!(s.header(s.class()), [0x34, 0x12, 0x34, 0x12, 0x02]);
    }

    #[test]
    fn exact_strings_are_class_5_below_32_bytes_and_class_8_from_32() {
        let s31 = Sds::new(&filled(31));
        let s32 = Sds::new(&filled(32));
        assert_eq!((s31.header_len(), s31.capacity()), (1, 31));
        assert_eq!((s32.header_len(), s32.capacity()), (3, 32));
        assert_eq!(s31.as_bytes(), &filled(31)[..]);
        assert_eq!(s32.as_bytes(), &filled(32)[..]);
        s31.check_invariants();
        s32.check_invariants();
    }

    #[test]
    fn class_8_holds_255_bytes_and_256_needs_class_16() {
        let a = Sds::new(&filled(255));
        let b = Sds::new(&filled(256));
        assert_eq!((a.header_len(), b.header_len()), (3, 5));
        assert_eq!((a.len(), b.len()), (255, 256));
        a.check_invariants();
        b.check_invariants();
    }

    #[test]
    fn class_16_holds_65535_bytes_and_65536_needs_class_32() {
        let a = Sds::new(&filled(65535));
        let b = Sds::new(&filled(65536));
        assert_eq!((a.header_len(), b.header_len()), (5, 9));
        assert_eq!(a.as_bytes(), &filled(65535)[..]);
        assert_eq!(b.as_bytes(), &filled(65536)[..]);
        a.check_invariants();
        b.check_invariants();
    }

    #[test]
    fn class_32_covers_u32_max_and_class_64_starts_just_above() {
        // Computed, not allocated: a 4 GiB test string helps nobody.
        let max32 = u32::MAX as usize;
        assert_eq!(Class::for_capacity(max32), Class::C32);
        assert_eq!(Class::for_capacity(max32 + 1), Class::C64);
        assert_eq!(Class::for_exact(max32 + 1).header_len(), 17);
        assert_eq!(Class::C32.header_len(), 9);
        let mut h = [0u8; 17];
        encode_header(&mut h, Class::C64, max32 + 1, max32 + 5);
        assert_eq!(get_field(&h, Class::C64, 0), max32 + 1);
        assert_eq!(get_field(&h, Class::C64, 1), max32 + 5);
        assert_eq!(Class::from_flags(h[16]), Class::C64);
    }

    #[test]
    fn appending_to_10_bytes_up_to_20_gives_capacity_40() {
        let mut s = Sds::new(&filled(10));
        s.extend_from_slice(&filled(10));
        assert_eq!((s.len(), s.capacity(), s.header_len()), (20, 40, 3));
        s.check_invariants();
    }

    #[test]
    fn growth_doubles_below_1_mib_and_adds_1_mib_from_there() {
        assert_eq!(greedy_capacity(10, 10), 40);
        assert_eq!(greedy_capacity(GREEDY_LIMIT - 2, 1), 2 * GREEDY_LIMIT - 2);
        assert_eq!(greedy_capacity(GREEDY_LIMIT - 1, 1), 2 * GREEDY_LIMIT);
        assert_eq!(greedy_capacity(2 * GREEDY_LIMIT, 1), 3 * GREEDY_LIMIT + 1);
        if BIG {
            let mut s = Sds::new(&vec![b'x'; 2 * GREEDY_LIMIT]);
            s.push(b'y');
            assert_eq!(s.capacity(), 3 * GREEDY_LIMIT + 1);
            assert_eq!(s.len(), 2 * GREEDY_LIMIT + 1);
            assert_eq!(s.as_bytes()[2 * GREEDY_LIMIT], b'y');
            s.check_invariants();
        }
    }

    #[test]
    fn growth_within_spare_room_does_not_reallocate() {
        let mut s = Sds::with_capacity(100);
        let at = s.as_bytes().as_ptr();
        for _ in 0..100 {
            s.push(b'a');
        }
        assert_eq!(s.as_bytes().as_ptr(), at);
        assert_eq!(s.capacity(), 100);
        s.push(b'b');
        assert_eq!(s.capacity(), 202);
    }

    #[test]
    fn growing_a_class_5_string_moves_it_to_class_8_and_keeps_its_bytes() {
        let mut s = Sds::new(b"key:0000000001");
        s.push(b'!');
        assert_eq!(s.as_bytes(), b"key:0000000001!");
        assert_eq!((s.header_len(), s.capacity()), (3, 30));
        s.check_invariants();
    }

    #[test]
    fn growing_across_class_limits_upgrades_the_header_and_keeps_bytes() {
        let mut s = Sds::new(&filled(200));
        let mut model = filled(200);
        let mut classes = vec![s.header_len()];
        // 100 pieces reach 100,000 bytes: capacity passes 255, then 65535.
        for chunk in 0..if BIG { 100 } else { 10 } {
            let piece = filled(chunk * 3 % 251 + 900);
            s.extend_from_slice(&piece);
            model.extend_from_slice(&piece);
            if classes.last() != Some(&s.header_len()) {
                classes.push(s.header_len());
            }
            s.check_invariants();
        }
        assert_eq!(s.as_bytes(), &model[..]);
        let want: &[usize] = if BIG { &[3, 5, 9] } else { &[3, 5] };
        assert_eq!(classes, want);
    }

    #[test]
    fn shrink_to_fit_moves_to_the_smallest_class_for_the_length() {
        let mut s = Sds::with_capacity(1000);
        s.extend_from_slice(b"0123456789");
        assert_eq!(s.header_len(), 5);
        s.shrink_to_fit();
        assert_eq!(
            (s.header_len(), s.capacity(), s.as_bytes()),
            (1, 10, &b"0123456789"[..])
        );
        s.check_invariants();

        let mut s = Sds::with_capacity(70_000);
        s.extend_from_slice(&filled(300));
        s.shrink_to_fit();
        assert_eq!((s.header_len(), s.capacity()), (5, 300));
        assert_eq!(s.as_bytes(), &filled(300)[..]);
        s.check_invariants();

        let mut s = Sds::with_capacity(100);
        s.extend_from_slice(&filled(40));
        s.shrink_to_fit();
        assert_eq!((s.header_len(), s.capacity()), (3, 40));
        s.check_invariants();
    }

    #[test]
    fn shrink_to_fit_on_an_exact_string_changes_nothing() {
        let mut s = Sds::new(b"abc");
        let at = s.as_bytes().as_ptr();
        s.shrink_to_fit();
        assert_eq!(s.as_bytes().as_ptr(), at);
        assert_eq!(block(&s), [3 << 3, b'a', b'b', b'c']);
    }

    #[test]
    fn truncating_a_class_5_string_shrinks_its_block_with_it() {
        let mut s = Sds::new(b"hello world");
        s.truncate(5);
        assert_eq!(block(&s), [5 << 3, b'h', b'e', b'l', b'l', b'o']);
        assert_eq!(s.alloc_size(), 6);
        s.check_invariants();
        s.truncate(9);
        assert_eq!(s.as_bytes(), b"hello");
    }

    #[test]
    fn truncating_a_class_8_string_keeps_its_capacity() {
        let mut s = Sds::with_capacity(50);
        s.extend_from_slice(b"hello world");
        s.truncate(5);
        assert_eq!((s.as_bytes(), s.capacity()), (&b"hello"[..], 50));
        s.clear();
        assert_eq!((s.len(), s.capacity()), (0, 50));
        s.check_invariants();
    }

    #[test]
    fn resize_fills_growth_and_cuts_when_smaller() {
        let mut s = Sds::new(b"ab");
        s.resize(6, 0);
        assert_eq!(s.as_bytes(), b"ab\0\0\0\0");
        s.resize(8, b'z');
        assert_eq!(s.as_bytes(), b"ab\0\0\0\0zz");
        s.resize(1, 0);
        assert_eq!(s.as_bytes(), b"a");
        s.check_invariants();
    }

    #[test]
    fn zero_length_strings_work_in_every_class() {
        let e = Sds::empty();
        assert_eq!(
            (e.len(), e.capacity(), e.header_len(), e.alloc_size()),
            (0, 0, 1, 1)
        );
        assert!(e.is_empty());
        assert_eq!(e, Sds::default());
        assert_eq!(e, Sds::new(b""));
        assert_eq!(e.as_bytes(), b"");
        e.check_invariants();

        let w = Sds::with_capacity(0);
        assert_eq!((w.header_len(), w.capacity()), (3, 0));
        assert_eq!(w, e);
        w.check_invariants();

        let mut s = Sds::empty();
        s.extend_from_slice(b"");
        s.reserve(0);
        s.clear();
        s.shrink_to_fit();
        s.check_invariants();
        assert_eq!(s.header_len(), 1);
        s.push(b'x');
        assert_eq!((s.as_bytes(), s.capacity()), (&b"x"[..], 2));
        s.clear();
        assert!(s.is_empty());
        s.check_invariants();
    }

    #[test]
    fn clone_is_an_independent_exact_size_copy() {
        let mut a = Sds::with_capacity(64);
        a.extend_from_slice(b"original");
        let mut b = a.clone();
        assert_eq!((b.capacity(), b.header_len()), (8, 1));
        b.as_bytes_mut()[0] = b'O';
        a.push(b'!');
        assert_eq!(a.as_bytes(), b"original!");
        assert_eq!(b.as_bytes(), b"Original");
        drop(a);
        assert_eq!(b.as_bytes(), b"Original");
    }

    #[test]
    fn equal_bytes_hash_equal_in_std_and_in_the_dict() {
        let s = Sds::new(b"key:42");
        let std_hash = |h: &dyn Fn(&mut DefaultHasher)| {
            let mut st = DefaultHasher::new();
            h(&mut st);
            st.finish()
        };
        assert_eq!(
            std_hash(&|st| s.hash(st)),
            std_hash(&|st| b"key:42"[..].hash(st))
        );
        let sip = SipKey::from_bytes([7; 16]);
        assert_eq!(s.hash_with(&sip), b"key:42"[..].hash_with(&sip));
        let mut grown = Sds::with_capacity(100);
        grown.extend_from_slice(b"key:42");
        assert_eq!(grown.hash_with(&sip), s.hash_with(&sip));
        assert_eq!(grown, s);
    }

    #[test]
    fn dict_of_sds_keys_is_queried_with_byte_slices() {
        let mut d: Dict<Sds, u32> = Dict::with_key(SipKey::from_bytes([1; 16]));
        let n = if BIG { 2000 } else { 100 };
        for i in 0..n {
            let key = format!("key:{i:010}");
            assert!(d.insert(Sds::from(key.as_str()), i).is_none());
        }
        d.check_invariants();
        for i in 0..n {
            let key = format!("key:{i:010}");
            assert_eq!(d.get(key.as_bytes()), Some(&i));
        }
        assert_eq!(d.get(&b"key:missing"[..]), None);
        let (k, v) = d
            .remove(&b"key:0000000007"[..])
            .expect("key 7 was inserted");
        assert_eq!((k.as_bytes(), v), (&b"key:0000000007"[..], 7));
    }

    #[test]
    fn order_is_bytewise_with_shorter_prefix_first() {
        let mut v: Vec<Sds> = [&b"b"[..], b"a\xff", b"", b"a", b"a\x00", b"B"]
            .iter()
            .map(|b| Sds::new(b))
            .collect();
        v.sort();
        let got: Vec<&[u8]> = v.iter().map(|s| s.as_bytes()).collect();
        assert_eq!(got, [&b""[..], b"B", b"a", b"a\x00", b"a\xff", b"b"]);
    }

    #[test]
    fn debug_prints_a_byte_string_literal() {
        let s = Sds::new(b"a\"b\x00\xff\n");
        assert_eq!(format!("{s:?}"), r#"b"a\"b\x00\xff\n""#);
    }

    #[test]
    fn conversions_copy_the_bytes() {
        assert_eq!(Sds::from("hi").as_bytes(), b"hi");
        assert_eq!(Sds::from(&b"hi"[..]).as_bytes(), b"hi");
        assert_eq!(Sds::from(vec![1, 2, 3]).as_bytes(), [1, 2, 3]);
        let v = Sds::from_vec(Vec::with_capacity(100));
        assert_eq!((v.len(), v.capacity()), (0, 0));
        assert_eq!(Sds::new(b"xyz").to_vec(), b"xyz".to_vec());
        assert!(Sds::new(b"xyz") == b"xyz"[..]);
        let s = Sds::new(b"abc");
        assert_eq!(s.iter().rev().copied().collect::<Vec<u8>>(), b"cba");
        assert_eq!(AsRef::<[u8]>::as_ref(&s), b"abc");
    }

    /// xorshift64: the tests' own fixed-seed generator.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn random_operations_match_a_vec_model() {
        let mut rng = Rng(0x5d5_0c0f_fee0_1234);
        let mut s = Sds::empty();
        let mut model: Vec<u8> = Vec::new();
        let steps = if BIG { 20_000 } else { 600 };
        for step in 0..steps {
            let op = rng.below(100);
            match op {
                0..=29 => {
                    let b = rng.next() as u8;
                    s.push(b);
                    model.push(b);
                }
                30..=54 => {
                    // Mostly short pieces, sometimes long ones to climb
                    // through classes 16 and 32.
                    let n = if rng.below(20) == 0 {
                        rng.below(20_000)
                    } else {
                        rng.below(40)
                    };
                    let piece: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                    s.extend_from_slice(&piece);
                    model.extend_from_slice(&piece);
                }
                55..=64 => {
                    let n = rng.below(model.len() + 1);
                    s.truncate(n);
                    model.truncate(n);
                }
                65..=69 => {
                    let n = rng.below(model.len() + 300);
                    let fill = rng.next() as u8;
                    s.resize(n, fill);
                    model.resize(n, fill);
                }
                70..=76 => s.shrink_to_fit(),
                77..=81 => s.reserve(rng.below(500)),
                82..=86 => {
                    s = s.clone();
                    assert_eq!(s.capacity(), s.len());
                }
                87..=91 => {
                    if !model.is_empty() {
                        let i = rng.below(model.len());
                        let b = rng.next() as u8;
                        s.as_bytes_mut()[i] = b;
                        model[i] = b;
                    }
                }
                92..=93 => {
                    s.clear();
                    model.clear();
                }
                _ => {
                    s = Sds::new(&model);
                }
            }
            s.check_invariants();
            assert_eq!(s.as_bytes(), &model[..], "step {step}, op {op}");
            // Keep the string from growing without bound.
            if model.len() > 200_000 {
                s.truncate(1000);
                model.truncate(1000);
            }
        }
    }
}
