//! SipHash: the keyed hash that keeps the dict safe from hash flooding.
//!
//! Chapter: chapters/07-dict.md
//!
//! A hash table is only O(1) if keys spread over its buckets. When the hash
//! function is public, a client can choose thousands of keys that land in one
//! bucket and turn every lookup into a linear scan ("hash flooding"). SipHash
//! (Aumasson and Bernstein, 2012) is a pseudorandom function keyed by a secret
//! 128-bit key: without the key, an attacker cannot predict which bucket a key
//! lands in. Each process draws its key once from /dev/urandom, so colliding
//! keys found against one server are useless against the next.
//!
//! SipHash-c-d runs `c` compression rounds per 8-byte word and `d`
//! finalization rounds. The dict uses SipHash-1-3 (the speed/safety point
//! Rust's own HashMap picked); SipHash-2-4 is here too because the paper's
//! reference test vectors are for 2-4, and both share one round function.
//!
//! Invariants:
//! 1. `siphash24` matches the 64 reference vectors of the SipHash paper.
//! 2. `SipKey::process()` returns the same key for the life of the process.
//!
//! Not here: choosing buckets from a hash (dict.rs), non-byte keys (each
//! `DictKey` impl in dict.rs decides which bytes it feeds in).

use std::io::Read;
use std::sync::OnceLock;

/// The 128-bit secret key, kept as the two little-endian halves the
/// algorithm consumes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SipKey {
    k0: u64,
    k1: u64,
}

impl SipKey {
    /// A key from its two 64-bit halves (k0 holds key bytes 0..8).
    pub const fn new(k0: u64, k1: u64) -> SipKey {
        SipKey { k0, k1 }
    }

    /// A key from 16 bytes, read as the paper reads them: two
    /// little-endian words.
    pub fn from_bytes(bytes: [u8; 16]) -> SipKey {
        let [a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, b4, b5, b6, b7] = bytes;
        SipKey {
            k0: u64::from_le_bytes([a0, a1, a2, a3, a4, a5, a6, a7]),
            k1: u64::from_le_bytes([b0, b1, b2, b3, b4, b5, b6, b7]),
        }
    }

    /// The per-process random key. The first call draws it; later calls
    /// return the same key (invariant 2), so every dict in the process
    /// agrees and a DEBUG command could print stable hashes.
    pub fn process() -> SipKey {
        static KEY: OnceLock<SipKey> = OnceLock::new();
        *KEY.get_or_init(random_key)
    }
}

/// Read 16 bytes from the kernel's random pool. If that fails (a chroot
/// without /dev, say) fall back to mixing the clock, the pid and a stack
/// address: weak against a local attacker, but still different per run,
/// which is what stops a precomputed flood.
fn random_key() -> SipKey {
    let mut bytes = [0u8; 16];
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if read.is_ok() {
        return SipKey::from_bytes(bytes);
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let stack_addr = &bytes as *const [u8; 16] as usize as u64;
    let mut seed = (nanos as u64) ^ ((nanos >> 64) as u64) ^ u64::from(std::process::id()) << 32;
    seed ^= stack_addr.rotate_left(17);
    let k0 = splitmix64(&mut seed);
    let k1 = splitmix64(&mut seed);
    SipKey::new(k0, k1)
}

/// One step of SplitMix64: spreads a poorly mixed seed over all 64 bits.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

// ANCHOR: round
/// The four-word internal state. Every round mixes it with add, rotate and
/// xor only (an "ARX" design), which is fast on any 64-bit CPU.
struct State {
    v0: u64,
    v1: u64,
    v2: u64,
    v3: u64,
}

impl State {
    #[inline(always)]
    fn round(&mut self) {
        self.v0 = self.v0.wrapping_add(self.v1);
        self.v1 = self.v1.rotate_left(13) ^ self.v0;
        self.v0 = self.v0.rotate_left(32);
        self.v2 = self.v2.wrapping_add(self.v3);
        self.v3 = self.v3.rotate_left(16) ^ self.v2;
        self.v0 = self.v0.wrapping_add(self.v3);
        self.v3 = self.v3.rotate_left(21) ^ self.v0;
        self.v2 = self.v2.wrapping_add(self.v1);
        self.v1 = self.v1.rotate_left(17) ^ self.v2;
        self.v2 = self.v2.rotate_left(32);
    }

    /// Absorb one 8-byte message word with `C` compression rounds.
    #[inline(always)]
    fn compress<const C: usize>(&mut self, m: u64) {
        self.v3 ^= m;
        for _ in 0..C {
            self.round();
        }
        self.v0 ^= m;
    }
}
// ANCHOR_END: round

/// SipHash-c-d of `data`. The message is cut into 8-byte little-endian
/// words; the last word carries the leftover 0..7 bytes in its low bytes
/// and the message length (mod 256) in its top byte, so "ab" and "ab\0"
/// hash differently.
#[inline(always)]
fn siphash<const C: usize, const D: usize>(key: &SipKey, data: &[u8]) -> u64 {
    // The constants spell "somepseudorandomlygeneratedbytes" in ASCII: any
    // fixed asymmetric start state would do, these are the paper's.
    let mut s = State {
        v0: key.k0 ^ 0x736f_6d65_7073_6575,
        v1: key.k1 ^ 0x646f_7261_6e64_6f6d,
        v2: key.k0 ^ 0x6c79_6765_6e65_7261,
        v3: key.k1 ^ 0x7465_6462_7974_6573,
    };
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        // chunks_exact proves the length, so these reads compile to one load.
        let m = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        s.compress::<C>(m);
    }
    let last = (data.len() as u64) << 56 | tail_word(words.remainder());
    s.compress::<C>(last);
    s.v2 ^= 0xff;
    for _ in 0..D {
        s.round();
    }
    s.v0 ^ s.v1 ^ s.v2 ^ s.v3
}

/// The 0..7 leftover bytes as a little-endian integer.
#[inline(always)]
fn tail_word(tail: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    let n = tail.len().min(8);
    buf[..n].copy_from_slice(&tail[..n]);
    u64::from_le_bytes(buf)
}

/// SipHash-1-3: the variant the dict uses for every key.
#[inline]
pub fn siphash13(key: &SipKey, data: &[u8]) -> u64 {
    siphash::<1, 3>(key, data)
}

/// SipHash-2-4: the paper's recommended variant, kept for its test vectors
/// and for callers that want the stronger PRF.
#[inline]
pub fn siphash24(key: &SipKey, data: &[u8]) -> u64 {
    siphash::<2, 4>(key, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Key 00 01 02 .. 0f, the key of the reference vectors.
    fn paper_key() -> SipKey {
        let mut k = [0u8; 16];
        for (i, b) in k.iter_mut().enumerate() {
            *b = i as u8;
        }
        SipKey::from_bytes(k)
    }

    /// Message i is the bytes 00 01 .. (i-1).
    fn paper_message(len: usize) -> Vec<u8> {
        (0..len).map(|i| i as u8).collect()
    }

    /// SipHash-2-4 of paper_message(i) under paper_key(), from the
    /// reference implementation's vector table.
    #[rustfmt::skip]
    const VECTORS_24: [u64; 64] = [
        0x726fdb47dd0e0e31, 0x74f839c593dc67fd, 0x0d6c8009d9a94f5a, 0x85676696d7fb7e2d,
        0xcf2794e0277187b7, 0x18765564cd99a68d, 0xcbc9466e58fee3ce, 0xab0200f58b01d137,
        0x93f5f5799a932462, 0x9e0082df0ba9e4b0, 0x7a5dbbc594ddb9f3, 0xf4b32f46226bada7,
        0x751e8fbc860ee5fb, 0x14ea5627c0843d90, 0xf723ca908e7af2ee, 0xa129ca6149be45e5,
        0x3f2acc7f57c29bdb, 0x699ae9f52cbe4794, 0x4bc1b3f0968dd39c, 0xbb6dc91da77961bd,
        0xbed65cf21aa2ee98, 0xd0f2cbb02e3b67c7, 0x93536795e3a33e88, 0xa80c038ccd5ccec8,
        0xb8ad50c6f649af94, 0xbce192de8a85b8ea, 0x17d835b85bbb15f3, 0x2f2e6163076bcfad,
        0xde4daaaca71dc9a5, 0xa6a2506687956571, 0xad87a3535c49ef28, 0x32d892fad841c342,
        0x7127512f72f27cce, 0xa7f32346f95978e3, 0x12e0b01abb051238, 0x15e034d40fa197ae,
        0x314dffbe0815a3b4, 0x027990f029623981, 0xcadcd4e59ef40c4d, 0x9abfd8766a33735c,
        0x0e3ea96b5304a7d0, 0xad0c42d6fc585992, 0x187306c89bc215a9, 0xd4a60abcf3792b95,
        0xf935451de4f21df2, 0xa9538f0419755787, 0xdb9acddff56ca510, 0xd06c98cd5c0975eb,
        0xe612a3cb9ecba951, 0xc766e62cfcadaf96, 0xee64435a9752fe72, 0xa192d576b245165a,
        0x0a8787bf8ecb74b2, 0x81b3e73d20b49b6f, 0x7fa8220ba3b2ecea, 0x245731c13ca42499,
        0xb78dbfaf3a8d83bd, 0xea1ad565322a1a0b, 0x60e61c23a3795013, 0x6606d7e446282b93,
        0x6ca4ecb15c5f91e1, 0x9f626da15c9625f3, 0xe51b38608ef25f57, 0x958a324ceb064572,
    ];

    /// SipHash-1-3 of paper_message(i) under the all-zero key, as produced
    /// by the reference implementation built with cROUNDS=1, dROUNDS=3.
    const VECTORS_13_ZERO_KEY: [(usize, u64); 8] = [
        (0, 0xd1fba762150c532c),
        (1, 0x68a914128e01e473),
        (2, 0x010bac45c41e3669),
        (3, 0x4d4c9a4a8ef6e0ad),
        (7, 0x2f098ab0c751325a),
        (8, 0xead411e67ebe2eea),
        (15, 0xf30eb725bb91c9ea),
        (16, 0x8972188433a5c5b7),
    ];

    #[test]
    fn siphash24_matches_all_64_reference_vectors() {
        let key = paper_key();
        for (len, want) in VECTORS_24.iter().enumerate() {
            assert_eq!(
                siphash24(&key, &paper_message(len)),
                *want,
                "message length {len}"
            );
        }
    }

    #[test]
    fn siphash13_matches_reference_vectors_for_the_zero_key() {
        let key = SipKey::new(0, 0);
        for (len, want) in VECTORS_13_ZERO_KEY {
            assert_eq!(
                siphash13(&key, &paper_message(len)),
                want,
                "message length {len}"
            );
        }
    }

    #[test]
    #[allow(deprecated)] // std's SipHasher is deprecated as an API, still correct as a reference.
    fn siphash24_agrees_with_std_for_random_keys_and_lengths() {
        use std::hash::Hasher;
        let mut seed = 7u64;
        for len in 0..200 {
            let k0 = splitmix64(&mut seed);
            let k1 = splitmix64(&mut seed);
            let data: Vec<u8> = (0..len).map(|_| splitmix64(&mut seed) as u8).collect();
            let mut reference = std::hash::SipHasher::new_with_keys(k0, k1);
            reference.write(&data);
            assert_eq!(siphash24(&SipKey::new(k0, k1), &data), reference.finish());
        }
    }

    #[test]
    fn length_is_part_of_the_hash_so_trailing_zero_bytes_matter() {
        let key = paper_key();
        assert_ne!(siphash13(&key, b"ab"), siphash13(&key, b"ab\0"));
        assert_ne!(siphash13(&key, b""), siphash13(&key, b"\0"));
    }

    #[test]
    fn different_keys_give_unrelated_hashes() {
        let a = siphash13(&SipKey::new(1, 2), b"user:1000");
        let b = siphash13(&SipKey::new(1, 3), b"user:1000");
        // About half of the 64 bits should flip; fewer than 10 would mean
        // the key barely reaches the output.
        assert!((a ^ b).count_ones() > 10);
    }

    #[test]
    fn process_key_is_stable_within_a_process() {
        assert_eq!(SipKey::process(), SipKey::process());
    }

    #[test]
    fn from_bytes_reads_two_little_endian_words() {
        let k = paper_key();
        assert_eq!(k, SipKey::new(0x0706050403020100, 0x0f0e0d0c0b0a0908));
    }
}
