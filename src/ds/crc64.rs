//! CRC-64/Jones: the checksum at the end of every RDB file and DUMP payload.
//!
//! Chapter: chapters/20-rdb.md
//!
//! A CRC treats the input as one huge polynomial over GF(2) and keeps the
//! remainder of dividing it by a fixed polynomial. Redis uses the "Jones"
//! polynomial 0xad93d23594c935a9 in its *reflected* form (bits are fed
//! least significant first), starts from 0 and does not invert the result:
//!
//! ```text
//!   crc64(0, "123456789") = 0xe9c6d914c4b8d9ca      (the check value)
//!
//!   bytewise step:  crc = T0[(crc ^ byte) & 0xff] ^ (crc >> 8)
//!   slice-by-8:     crc ^= next 8 bytes (LE);
//!                   crc = T7[b0] ^ T6[b1] ^ ... ^ T0[b7]   (bi = byte i of crc)
//! ```
//!
//! `Tk[i]` is the CRC of byte `i` followed by `k` zero bytes, so eight
//! lookups advance the remainder by eight input bytes at once. All eight
//! tables (16 KiB) are built at compile time.
//!
//! Invariants:
//! 1. `update(update(c, a), b) == update(c, a ++ b)`: a CRC can be computed
//!    over a stream in chunks of any size.
//! 2. `T0` is the bytewise table of the reflected polynomial; `Tk[i] =
//!    (Tk-1[i] >> 8) ^ T0[Tk-1[i] & 0xff]`.
//!
//! Not here: where the checksum is stored and when it is checked
//! (persist/rdb).

/// The Jones polynomial, bit-reversed for the reflected (LSB-first) form:
/// reverse_bits(0xad93d23594c935a9).
const POLY_REFLECTED: u64 = 0x95ac_9329_ac4b_c9b5;

const fn make_tables() -> [[u64; 256]; 8] {
    let mut t = [[0u64; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u64;
        let mut bit = 0;
        while bit < 8 {
            c = if c & 1 == 1 {
                (c >> 1) ^ POLY_REFLECTED
            } else {
                c >> 1
            };
            bit += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            i += 1;
        }
        k += 1;
    }
    t
}

static TABLES: [[u64; 256]; 8] = make_tables();

// ANCHOR: update
/// Extends `crc` over `data` (invariant 1). Start a new checksum with 0.
pub fn update(mut crc: u64, data: &[u8]) -> u64 {
    let t = &TABLES;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        crc ^= u64::from_le_bytes(w);
        crc = t[7][(crc & 0xff) as usize]
            ^ t[6][((crc >> 8) & 0xff) as usize]
            ^ t[5][((crc >> 16) & 0xff) as usize]
            ^ t[4][((crc >> 24) & 0xff) as usize]
            ^ t[3][((crc >> 32) & 0xff) as usize]
            ^ t[2][((crc >> 40) & 0xff) as usize]
            ^ t[1][((crc >> 48) & 0xff) as usize]
            ^ t[0][(crc >> 56) as usize];
    }
    for &b in chunks.remainder() {
        crc = t[0][((crc ^ b as u64) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}
// ANCHOR_END: update

/// The CRC of `data` from a fresh start.
pub fn crc64(data: &[u8]) -> u64 {
    update(0, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bit by bit, straight from the definition: the reference the
    /// tables are checked against.
    fn bitwise(mut crc: u64, data: &[u8]) -> u64 {
        for &b in data {
            crc ^= b as u64;
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ POLY_REFLECTED
                } else {
                    crc >> 1
                };
            }
        }
        crc
    }

    #[test]
    fn check_value_matches_the_catalogue() {
        assert_eq!(crc64(b"123456789"), 0xe9c6_d914_c4b8_d9ca);
    }

    #[test]
    fn reflected_polynomial_is_the_bit_reversed_jones_polynomial() {
        assert_eq!(POLY_REFLECTED, 0xad93_d235_94c9_35a9u64.reverse_bits());
    }

    #[test]
    fn empty_input_leaves_the_crc_unchanged() {
        assert_eq!(crc64(b""), 0);
        assert_eq!(update(12345, b""), 12345);
    }

    #[test]
    fn slice_by_8_agrees_with_the_bitwise_definition_at_every_length() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        for n in 0..data.len() {
            assert_eq!(update(0, &data[..n]), bitwise(0, &data[..n]), "len {n}");
        }
    }

    #[test]
    fn chunked_updates_equal_one_update() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 31) as u8).collect();
        let whole = crc64(&data);
        for split in [0, 1, 7, 8, 9, 500, 999, 1000] {
            let (a, b) = data.split_at(split);
            assert_eq!(update(update(0, a), b), whole, "split at {split}");
        }
    }

    #[test]
    fn redis_dump_payload_checksum_is_reproduced() {
        // DUMP of the string "hello" from Redis 7.0.15: type 0, the string,
        // RDB version 10, then the CRC of everything before it.
        let payload = b"\x00\x05hello\x0a\x00";
        let crc = crc64(payload).to_le_bytes();
        assert_eq!(crc, [0x63, 0x72, 0xdf, 0x76, 0x65, 0x34, 0x20, 0x0a]);
    }
}
