//! Long double: a software x87 80-bit float, the number type of INCRBYFLOAT.
//!
//! Chapter: chapters/11-strings.md
//!
//! Redis 7.0 does INCRBYFLOAT and HINCRBYFLOAT in C `long double`, which on
//! x86-64 is the x87 extended format: a sign, a 15-bit exponent and a
//! 64-bit significand whose top bit is stored, not implied. It reads the
//! operands with `strtold`, adds them in that format and prints the sum
//! with `%.17Lf` before trimming trailing zeros. Rust has no such type and
//! cannot pass one to C, so this file rebuilds the three steps in integer
//! arithmetic: every value is `significand * 2^q`, decimal text is turned
//! into bits (and back) with exact big-integer arithmetic, and rounding is
//! always to nearest, ties to even, exactly where the hardware rounds.
//!
//! Invariants:
//! 1. Every value is a canonical x87 encoding: a biased exponent in
//!    1..=0x7ffe goes with bit 63 (the integer bit) set; exponent 0 means
//!    zero or a denormal, with bit 63 clear; exponent 0x7fff is infinity
//!    (significand exactly `1 << 63`) or a NaN (bit 63 and another bit set).
//! 2. `add`, `from_f64`, `to_f64` and `from_i64` give bit for bit what x87
//!    hardware gives under its default control word (64-bit precision,
//!    round to nearest even, denormals kept, not flushed).
//! 3. `parse` accepts exactly the strings Redis 7.0's `string2ld` accepts
//!    on glibc/x86-64 and yields the same bits; `to_human_string` yields
//!    the same bytes as its `ld2string(.., LD_STR_HUMAN)`.
//! 4. Work is bounded by the input length: inputs are at most
//!    `MAX_LONG_DOUBLE_CHARS` bytes and out-of-range exponents are settled
//!    before any big number is built.
//!
//! Not here: the INCRBYFLOAT/HINCRBYFLOAT commands and their "increment
//! would produce NaN or Infinity" reply (cmd/), which call `is_finite`.

use std::cmp::Ordering;

/// Redis's buffer for a long double printed as text. `string2ld` rejects
/// inputs of this length or longer, and `ld2string` gives up when the
/// text plus its NUL would not fit. "%.17Lf" of the most negative long
/// double is 4952 bytes (sign, 4933 digits, point, 17 decimals), so for
/// x87 values the second never happens.
pub const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;

const EXP_BIAS: i32 = 16383; // 2^14 - 1, as in every IEEE-style format
const EXP_INF_NAN: u16 = 0x7fff; // all ones: infinity or NaN
const SIGN_BIT: u16 = 0x8000;
const INT_BIT: u64 = 1 << 63; // the explicit integer bit of the significand
const QUIET_BIT: u64 = 1 << 62; // set in every NaN x87 arithmetic returns

/// Weight (as a power of two) of the significand's lowest bit for biased
/// exponents 0 and 1: value = sig * 2^Q_MIN. Denormals live here.
const Q_MIN: i32 = 1 - EXP_BIAS - 63; // -16445
/// Weight of the lowest significand bit at the largest finite exponent.
const Q_MAX: i32 = 0x7ffe - EXP_BIAS - 63; // 16320

/// Decimal exponents beyond which a value is surely out of range:
/// 10^4933 > LDBL_MAX (about 1.19e4932) and 10^-4951 is below half the
/// smallest denormal (2^-16445 is about 3.65e-4951).
const DEC_EXP_OVERFLOW: i64 = 4933;
const DEC_EXP_UNDERFLOW: i64 = -4951;

/// Explicit exponents ("e123", "p-9") are read up to this size and then
/// saturate; anything this large is far out of range whatever the digits.
const EXP_SATURATE: i64 = 1_000_000_000;

/// 10^17: "%.17Lf" prints a value rounded to a multiple of 1/10^17.
const TEN_POW_17: u128 = 100_000_000_000_000_000;

// ANCHOR: layout
/// An x87 80-bit extended-precision float, stored as its 80 bits.
///
/// ```text
///  79  78          64 63 62                                          0
/// +---+--------------+--+---------------------------------------------+
/// | s | exponent(15) | i|              fraction (63 bits)              |
/// +---+--------------+--+---------------------------------------------+
///   se: u16 ---------^   sig: u64 (i = integer bit, stored explicitly)
///
///  value = (-1)^s * sig * 2^(max(exponent, 1) - 16383 - 63)
/// ```
///
/// `==` compares bits: `+0 != -0`, and a NaN equals a NaN with the same
/// bits. That is what tests want ("same bits as the hardware"); numeric
/// comparison is not needed by any command.
///
/// Real Redis: `long double` is whatever the C compiler makes it. This
/// type copies x86-64 Linux; on ARM64 macOS it is a plain f64 and on
/// ARM64 Linux a 128-bit float, and Redis answers differently there (see
/// chapters/11-strings.md#real-redis).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LongDouble {
    /// Sign (bit 15) and biased exponent (bits 14..0).
    se: u16,
    /// Significand, integer bit included (invariant 1).
    sig: u64,
}
// ANCHOR_END: layout

/// A value taken apart for arithmetic.
enum Class {
    Zero,
    /// `sig * 2^q`, sig nonzero (normal or denormal).
    Finite {
        sig: u64,
        q: i32,
    },
    Inf,
    Nan,
}

// ---------------------------------------------------------------------------
// Encoding and rounding
// ---------------------------------------------------------------------------

impl LongDouble {
    /// Positive zero.
    pub const ZERO: LongDouble = LongDouble { se: 0, sig: 0 };

    fn zero(neg: bool) -> LongDouble {
        LongDouble {
            se: if neg { SIGN_BIT } else { 0 },
            sig: 0,
        }
    }

    fn inf(neg: bool) -> LongDouble {
        LongDouble {
            se: EXP_INF_NAN | if neg { SIGN_BIT } else { 0 },
            sig: INT_BIT,
        }
    }

    /// The "real indefinite" NaN the x87 returns for inf - inf.
    fn default_nan() -> LongDouble {
        LongDouble {
            se: SIGN_BIT | EXP_INF_NAN,
            sig: INT_BIT | QUIET_BIT,
        }
    }

    /// The raw 80 bits: (sign and exponent, significand).
    pub fn to_bits(self) -> (u16, u64) {
        (self.se, self.sig)
    }

    /// Build a value from raw bits; `None` for encodings the x87 calls
    /// invalid or pseudo (they would break invariant 1).
    pub fn from_bits(se: u16, sig: u64) -> Option<LongDouble> {
        let v = LongDouble { se, sig };
        v.is_canonical().then_some(v)
    }

    fn is_canonical(self) -> bool {
        // Exponent 0: integer bit clear (zero, denormal). Any other
        // exponent, 0x7fff included: integer bit set.
        let int_bit_set = self.sig & INT_BIT != 0;
        int_bit_set == (self.se & EXP_INF_NAN != 0)
    }

    /// Asserts invariant 1; tests call it on every value they make.
    pub fn check_invariants(&self) {
        assert!(self.is_canonical(), "non-canonical encoding {self:?}");
    }

    fn is_negative(self) -> bool {
        self.se & SIGN_BIT != 0
    }

    pub fn is_nan(self) -> bool {
        self.se & EXP_INF_NAN == EXP_INF_NAN && self.sig != INT_BIT
    }

    pub fn is_finite(self) -> bool {
        self.se & EXP_INF_NAN != EXP_INF_NAN
    }

    fn class(self) -> Class {
        let exp = self.se & EXP_INF_NAN;
        if exp == EXP_INF_NAN {
            if self.sig == INT_BIT {
                Class::Inf
            } else {
                Class::Nan
            }
        } else if self.sig == 0 {
            Class::Zero
        } else {
            let q = i32::from(exp.max(1)) - EXP_BIAS - 63;
            Class::Finite { sig: self.sig, q }
        }
    }
}

/// `m >> shift`, rounded to nearest with ties to even. The result may be
/// one larger than `m >> shift` would suggest (the caller handles the
/// carry into a new top bit).
fn shr_round_even(m: u128, shift: u32) -> u128 {
    if shift == 0 {
        return m;
    }
    if shift > 128 {
        return 0; // m < 2^128 <= half of 2^shift: rounds down
    }
    let kept = if shift == 128 { 0 } else { m >> shift };
    let rest = if shift == 128 {
        m
    } else {
        m & ((1u128 << shift) - 1)
    };
    let half = 1u128 << (shift - 1);
    if rest > half || (rest == half && kept & 1 == 1) {
        kept + 1
    } else {
        kept
    }
}

// ANCHOR: round_pack
/// The nearest long double to `m * 2^e` (or to a value a hair above it,
/// if `sticky`). Every operation funnels its exact result through here,
/// so this is the only place that rounds.
///
/// HOW IT WORKS
///
/// Keep the top 64 bits of `m` as the significand; the bits shifted out
/// decide rounding (above half: up; exactly half: to even). If that would
/// put the lowest bit below 2^Q_MIN, shift further: the result is a
/// denormal and loses precision, as on the hardware. A round-up that
/// carries out of 64 bits bumps the exponent; past Q_MAX it is infinity.
///
/// `sticky` says "the true value is a little larger than m * 2^e" (bits
/// the caller dropped). It is folded in as one extra low bit below all of
/// m's bits, which moves the value off an exact half without ever
/// reaching the next half: the standard "jamming" trick.
fn round_pack(neg: bool, mut m: u128, mut e: i32, sticky: bool) -> LongDouble {
    if m == 0 {
        // An exact zero. (No caller pairs m = 0 with `sticky`: they all
        // keep at least 66 significant bits before dropping any.)
        return LongDouble::zero(neg);
    }
    if sticky {
        let room = m.leading_zeros();
        m <<= room;
        e -= room as i32;
        m |= 1;
    }
    let bits = 128 - m.leading_zeros() as i32;
    let mut q = (e + bits - 64).max(Q_MIN);
    let shift = q - e;
    let mut sig = if shift <= 0 {
        m << (-shift) // fits in 64 bits: bits - shift <= 64
    } else {
        shr_round_even(m, shift as u32)
    };
    if sig > u128::from(u64::MAX) {
        sig >>= 1; // carried into bit 64: it is exactly 2^64
        q += 1;
    }
    if q > Q_MAX {
        return LongDouble::inf(neg);
    }
    let sig = sig as u64;
    if sig == 0 {
        return LongDouble::zero(neg);
    }
    // Bit 63 set: a normal number, exponent field from q. Clear: q is
    // Q_MIN and this is a denormal, exponent field 0.
    let exp = if sig & INT_BIT != 0 {
        (q - Q_MIN + 1) as u16
    } else {
        0
    };
    LongDouble {
        se: exp | if neg { SIGN_BIT } else { 0 },
        sig,
    }
}
// ANCHOR_END: round_pack

// ---------------------------------------------------------------------------
// Arithmetic and conversions
// ---------------------------------------------------------------------------

impl LongDouble {
    // ANCHOR: add
    /// `self + other`, as the x87 FADD instruction computes it.
    ///
    /// HOW IT WORKS
    ///
    /// Line both significands up at 62 guard bits below the larger one's
    /// lowest bit. If the smaller operand sticks out below that, its lost
    /// bits are jammed into its lowest bit (see `round_pack`). The exact
    /// sum or difference of the lined-up integers then goes to
    /// `round_pack`. Why 62 guard bits: both shifted values stay below
    /// 2^126, so their sum fits a u128, and when bits are lost (the
    /// exponents differ by more than 62) the result keeps at least 125
    /// bits, so the jammed bit sits far below the rounding position.
    ///
    /// (Also available as `a + b`; the method exists so callers need not
    /// import `std::ops::Add`.)
    #[allow(clippy::should_implement_trait)]
    pub fn add(self, other: LongDouble) -> LongDouble {
        const GUARD: u32 = 62;
        let (a, b) = (self.class(), other.class());
        let (a_neg, b_neg) = (self.is_negative(), other.is_negative());
        match (a, b) {
            (Class::Nan, Class::Nan) => {
                // The x87 keeps the NaN with the larger significand, quieted.
                let pick = if self.sig >= other.sig { self } else { other };
                LongDouble {
                    se: pick.se,
                    sig: pick.sig | QUIET_BIT,
                }
            }
            (Class::Nan, _) => LongDouble {
                se: self.se,
                sig: self.sig | QUIET_BIT,
            },
            (_, Class::Nan) => LongDouble {
                se: other.se,
                sig: other.sig | QUIET_BIT,
            },
            (Class::Inf, Class::Inf) if a_neg != b_neg => LongDouble::default_nan(),
            (Class::Inf, _) => self,
            (_, Class::Inf) => other,
            // -0 + -0 is -0; any other pair of zeros is +0 when rounding
            // to nearest.
            (Class::Zero, Class::Zero) => LongDouble::zero(a_neg && b_neg),
            (Class::Zero, _) => other,
            (_, Class::Zero) => self,
            (Class::Finite { sig: sa, q: qa }, Class::Finite { sig: sb, q: qb }) => {
                // Make `a` the operand with the larger exponent.
                let ((sa, qa, na), (sb, qb, nb)) = if qa >= qb {
                    ((sa, qa, a_neg), (sb, qb, b_neg))
                } else {
                    ((sb, qb, b_neg), (sa, qa, a_neg))
                };
                let d = (qa - qb) as u32;
                let ma = u128::from(sa) << GUARD;
                let wide_b = u128::from(sb) << GUARD;
                let mb = if d == 0 {
                    wide_b
                } else if d < 128 {
                    let lost = wide_b & ((1u128 << d) - 1) != 0;
                    (wide_b >> d) | u128::from(lost)
                } else {
                    1 // all of b lies below a's guard bits: only its trace
                };
                let e = qa - GUARD as i32;
                if na == nb {
                    round_pack(na, ma + mb, e, false)
                } else {
                    match ma.cmp(&mb) {
                        Ordering::Greater => round_pack(na, ma - mb, e, false),
                        Ordering::Less => round_pack(nb, mb - ma, e, false),
                        Ordering::Equal => LongDouble::ZERO, // x - x is +0
                    }
                }
            }
        }
    }
    // ANCHOR_END: add

    /// The exact long double equal to `i` (64 significand bits hold any i64).
    pub fn from_i64(i: i64) -> LongDouble {
        round_pack(i < 0, u128::from(i.unsigned_abs()), 0, false)
    }

    /// The exact long double equal to `f`: every f64 fits. A signaling
    /// NaN comes out quiet, as the x87 FLD instruction makes it.
    pub fn from_f64(f: f64) -> LongDouble {
        let bits = f.to_bits();
        let neg = bits >> 63 != 0;
        let exp = ((bits >> 52) & 0x7ff) as i32;
        let frac = bits & ((1u64 << 52) - 1);
        match exp {
            0x7ff if frac == 0 => LongDouble::inf(neg),
            0x7ff => LongDouble {
                se: EXP_INF_NAN | if neg { SIGN_BIT } else { 0 },
                sig: INT_BIT | QUIET_BIT | (frac << 11),
            },
            0 if frac == 0 => LongDouble::zero(neg),
            _ => {
                let sig = if exp == 0 { frac } else { frac | (1u64 << 52) };
                round_pack(neg, u128::from(sig), exp.max(1) - 1075, false)
            }
        }
    }

    /// The f64 nearest to `self` (ties to even), as the x87 FST to a
    /// double stores it: overflow gives infinity, tiny values denormals
    /// or zero.
    pub fn to_f64(self) -> f64 {
        let sign = if self.is_negative() { 1u64 << 63 } else { 0 };
        let (sig, q) = match self.class() {
            Class::Zero => return f64::from_bits(sign),
            Class::Inf => return f64::from_bits(sign | 0x7ff0_0000_0000_0000),
            Class::Nan => {
                let payload = (self.sig & !INT_BIT) >> 11;
                return f64::from_bits(sign | 0x7ff8_0000_0000_0000 | payload);
            }
            Class::Finite { sig, q } => (sig, q),
        };
        // Same steps as round_pack, for a 53-bit significand whose lowest
        // bit weighs 2^-1074 at the denormal end and 2^971 at the top.
        let bits = 64 - sig.leading_zeros() as i32;
        let mut qd = (q + bits - 53).max(-1074);
        let shift = qd - q;
        let mut m = if shift <= 0 {
            u128::from(sig) << (-shift)
        } else {
            shr_round_even(u128::from(sig), shift as u32)
        };
        if m == 1u128 << 53 {
            m >>= 1;
            qd += 1;
        }
        if qd > 971 {
            return f64::from_bits(sign | 0x7ff0_0000_0000_0000);
        }
        let m = m as u64;
        if m < 1u64 << 52 {
            return f64::from_bits(sign | m); // denormal (or zero); qd is -1074
        }
        let exp = (qd + 1075) as u64;
        f64::from_bits(sign | (exp << 52) | (m - (1u64 << 52)))
    }
}

impl std::ops::Add for LongDouble {
    type Output = LongDouble;

    fn add(self, other: LongDouble) -> LongDouble {
        LongDouble::add(self, other)
    }
}

// ---------------------------------------------------------------------------
// Parsing: string2ld
// ---------------------------------------------------------------------------

impl LongDouble {
    /// Read `s` as Redis 7.0's `string2ld` does: glibc `strtold` must
    /// consume the whole string, and the result must not be NaN, an
    /// overflow, or a nonzero input that rounded to zero.
    ///
    /// Accepted, after an optional `+`/`-`: decimal (`12`, `1.5`, `.5`,
    /// `5.`, with an optional `e`/`E` exponent), hexadecimal (`0x1.8p3`:
    /// hex digits, optional `.`, optional `p` exponent in decimal), and
    /// `inf`/`infinity` in any case. Rejected: empty input, inputs of
    /// `MAX_LONG_DOUBLE_CHARS` bytes or more, any space (strtold would
    /// skip leading ones, but Redis refuses a leading `isspace`), trailing
    /// bytes (including NUL), every `nan` form, and the results strtold
    /// flags with ERANGE and Redis then refuses: +-inf from finite digits
    /// and 0 from nonzero digits. Denormal results are kept.
    pub fn parse(s: &[u8]) -> Option<LongDouble> {
        if s.is_empty() || s.len() >= MAX_LONG_DOUBLE_CHARS {
            return None;
        }
        let (neg, body) = match s.split_first() {
            Some((b'-', rest)) => (true, rest),
            Some((b'+', rest)) => (false, rest),
            _ => (false, s),
        };
        if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
            return Some(LongDouble::inf(neg));
        }
        // "0x" with nothing after it is the decimal 0 followed by junk.
        let (value, nonzero_digits) = match body {
            [b'0', b'x' | b'X', hex @ ..] if !hex.is_empty() => parse_hex(neg, hex)?,
            _ => parse_decimal(neg, body)?,
        };
        // strtold's ERANGE cases, which Redis rejects.
        if !value.is_finite() || (nonzero_digits && value.sig == 0) {
            return None;
        }
        Some(value)
    }
}

/// A decimal or hex significand split into its digits and the position
/// of the point, before any arithmetic.
struct Mantissa<'a> {
    /// Digits left of the point.
    int: &'a [u8],
    /// Digits right of the point.
    frac: &'a [u8],
    /// The explicit exponent (e/p part), saturated at +-EXP_SATURATE.
    exp: i64,
}

/// Split `body` into `digits [. digits] [marker [sign] decimal-digits]`,
/// where digits satisfy `is_digit` and the marker is `e` or `p` (either
/// case). Requires at least one digit and, after a marker, at least one
/// exponent digit; the whole of `body` must match.
fn split_mantissa(body: &[u8], is_digit: fn(&u8) -> bool, marker: u8) -> Option<Mantissa<'_>> {
    let int_len = body.iter().take_while(|c| is_digit(c)).count();
    let (int, mut rest) = body.split_at(int_len);
    let mut frac: &[u8] = &[];
    if let Some((&b'.', after)) = rest.split_first() {
        let frac_len = after.iter().take_while(|c| is_digit(c)).count();
        (frac, rest) = after.split_at(frac_len);
    }
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut exp = 0i64;
    if let Some((&m, after)) = rest.split_first() {
        if m | 0x20 != marker {
            return None;
        }
        let (exp_neg, digits) = match after.split_first() {
            Some((&b'-', d)) => (true, d),
            Some((&b'+', d)) => (false, d),
            _ => (false, after),
        };
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        for &d in digits {
            if exp < EXP_SATURATE {
                exp = exp * 10 + i64::from(d - b'0');
            }
        }
        if exp_neg {
            exp = -exp;
        }
    }
    Some(Mantissa { int, frac, exp })
}

/// Hex float: `m * 2^e` exactly, except that hex digits past the 32nd
/// significant one only count as a sticky bit. That is safe because hex
/// digits are bits: the 32 kept digits hold at least 125 significant
/// bits, far more than the 65 that rounding to 64 looks at. Returns the
/// rounded value and whether any digit was nonzero.
fn parse_hex(neg: bool, body: &[u8]) -> Option<(LongDouble, bool)> {
    let mant = split_mantissa(body, u8::is_ascii_hexdigit, b'p')?;
    let hex_val = |c: u8| (c as char).to_digit(16).unwrap_or(0);
    let mut m = 0u128;
    let mut kept = 0u32; // significant digits in m, at most 32 = 128 bits
    let mut exp = mant.exp;
    let mut sticky = false;
    for (i, &c) in mant.int.iter().chain(mant.frac).enumerate() {
        let d = hex_val(c);
        let in_frac = i >= mant.int.len();
        if kept < 32 {
            if m != 0 || d != 0 {
                m = (m << 4) | u128::from(d);
                kept += 1;
            }
            if in_frac {
                exp -= 4;
            }
        } else {
            sticky |= d != 0;
            if !in_frac {
                exp += 4;
            }
        }
    }
    if m == 0 {
        return Some((LongDouble::zero(neg), false));
    }
    // Settle far-out exponents before the i32 arithmetic in round_pack.
    let top = exp + i64::from(128 - m.leading_zeros()); // value < 2^top
    if top > i64::from(Q_MAX) + 64 + 1 {
        return Some((LongDouble::inf(neg), true));
    }
    if top < i64::from(Q_MIN) - 2 {
        return Some((LongDouble::zero(neg), true));
    }
    Some((round_pack(neg, m, exp as i32, sticky), true))
}

// ANCHOR: parse_decimal
/// Decimal: the exact value is `D * 10^k` for the integer D made of all
/// the digits; round it to 64 bits.
///
/// HOW IT WORKS
///
/// Write 10^k as 5^k * 2^k: the power of two goes into the exponent for
/// free, so only 5^k needs big arithmetic. For k >= 0 the value is the
/// integer D * 5^k, and its top 128 bits plus a sticky bit for the rest
/// are all `round_pack` needs. For k < 0 the value is D / 5^-k; we scale
/// D up by 2^s so that the quotient has at least 66 bits, divide, and
/// pass the quotient on with "remainder was nonzero" as the sticky bit.
///
/// WHY NOT THE OBVIOUS WAY
///
/// Accumulating digits in a float (`v = v * 10 + d`) or multiplying by a
/// float power of ten rounds at every step, and the errors add up to a
/// wrong last bit often enough to matter. A wrong bit shows in the reply
/// as soon as the 17 printed decimals reach it (values above about 128)
/// and in every later INCRBYFLOAT on the stored value. A correctly
/// rounded result needs the exact value, and with integers we have it. Only the first
/// 128 bits of a product and a yes/no about the rest are kept, so the
/// big numbers appear only while computing, never in the result.
///
/// LIMITS
///
/// Cost grows with the square of the digit count plus the exponent. The
/// worst accepted input, some 5000 digits with an exponent near -4951,
/// divides a 17,000-bit number by a 23,000-bit power of five.
/// Exponents that are surely out of range are decided before any big
/// number is made (invariant 4).
fn parse_decimal(neg: bool, body: &[u8]) -> Option<(LongDouble, bool)> {
    let mant = split_mantissa(body, u8::is_ascii_digit, b'e')?;
    // All digits as one integer string, stripped of leading and trailing
    // zeros; `k` is the power of ten that puts the point back.
    let lead = mant.int.iter().take_while(|&&c| c == b'0').count();
    let mut digits: Vec<u8> = mant.int[lead..].to_vec();
    digits.extend_from_slice(mant.frac);
    let mut k = mant.exp - mant.frac.len() as i64;
    let first = digits.iter().take_while(|&&c| c == b'0').count();
    let trail = digits[first..]
        .iter()
        .rev()
        .take_while(|&&c| c == b'0')
        .count();
    let digits = &digits[first..digits.len() - trail];
    k += trail as i64;
    if digits.is_empty() {
        return Some((LongDouble::zero(neg), false));
    }
    // 10^(n-1+k) <= value < 10^(n+k).
    let n = digits.len() as i64;
    if n - 1 + k >= DEC_EXP_OVERFLOW {
        return Some((LongDouble::inf(neg), true));
    }
    if n + k < DEC_EXP_UNDERFLOW {
        return Some((LongDouble::zero(neg), true));
    }
    let mut d = Big::from_decimal(digits);
    let value = if k >= 0 {
        d.mul_pow5(k as u32);
        let (m, e, sticky) = d.top_u128();
        round_pack(neg, m, e + k as i32, sticky)
    } else {
        let five_k = Big::pow5((-k) as u32);
        let scale = (66 + five_k.bit_len() as i64 - d.bit_len() as i64).max(0);
        d.shl(scale as u32);
        let (quot, rem_nonzero) = d.div_rem(&five_k);
        let (m, e, sticky) = quot.top_u128();
        round_pack(neg, m, e + k as i32 - scale as i32, sticky || rem_nonzero)
    };
    Some((value, true))
}
// ANCHOR_END: parse_decimal

// ---------------------------------------------------------------------------
// Printing: ld2string(LD_STR_HUMAN)
// ---------------------------------------------------------------------------

impl LongDouble {
    // ANCHOR: human
    /// The text Redis stores after INCRBYFLOAT: `printf("%.17Lf")`, then
    /// trailing zeros dropped, then a trailing `.`, and a lone `-0`
    /// becomes `0`. Infinities print as `inf`/`-inf` and NaNs as glibc
    /// prints them (`nan`/`-nan`), though the commands never store either.
    /// `None` where Redis's `ld2string` fails: text plus NUL longer than
    /// `MAX_LONG_DOUBLE_CHARS`, which no x87 value reaches.
    pub fn to_human_string(self) -> Option<String> {
        let neg = self.is_negative();
        let mut out = String::new();
        if neg {
            out.push('-');
        }
        match self.class() {
            Class::Nan => out.push_str("nan"),
            Class::Inf => out.push_str("inf"),
            Class::Zero => out.push_str("0.00000000000000000"),
            Class::Finite { sig, q } => push_fixed17(&mut out, sig, q),
        }
        if out.len() + 1 > MAX_LONG_DOUBLE_CHARS {
            return None;
        }
        if out.contains('.') {
            let trimmed = out.trim_end_matches('0').len();
            out.truncate(trimmed);
            if out.ends_with('.') {
                out.pop();
            }
        }
        if out == "-0" {
            out = "0".to_string();
        }
        Some(out)
    }
    // ANCHOR_END: human
}

/// Append `sig * 2^q` as "%.17f" would print it: exact integer part,
/// exactly 17 fraction digits, rounded to nearest with ties to even (as
/// glibc's printf does in the default rounding mode).
fn push_fixed17(out: &mut String, sig: u64, q: i32) {
    use std::fmt::Write;
    const ZEROS: &str = ".00000000000000000";
    if q >= 0 {
        // An integer: no rounding, the fraction is all zeros.
        if q <= 64 {
            let _ = write!(out, "{}", u128::from(sig) << q);
        } else {
            let mut big = Big::from_u64(sig);
            big.shl(q as u32);
            big.push_decimal(out);
        }
        out.push_str(ZEROS);
        return;
    }
    // value * 10^17 = sig * 10^17 / 2^p; sig * 10^17 < 2^121 fits a u128.
    let p = (-q) as u32;
    let n = shr_round_even(u128::from(sig) * TEN_POW_17, p);
    let _ = write!(out, "{}.{:017}", n / TEN_POW_17, n % TEN_POW_17);
}

// ---------------------------------------------------------------------------
// Big unsigned integers: just enough for exact decimal conversion
// ---------------------------------------------------------------------------

/// An unsigned integer of any size: little-endian 32-bit limbs, with no
/// zero limb at the top (so zero is the empty vector).
#[derive(Clone, Debug, PartialEq)]
struct Big {
    limbs: Vec<u32>,
}

impl Big {
    fn from_u64(v: u64) -> Big {
        let mut b = Big {
            limbs: vec![v as u32, (v >> 32) as u32],
        };
        b.trim();
        b
    }

    /// From ASCII decimal digits, nine at a time (10^9 < 2^32).
    fn from_decimal(digits: &[u8]) -> Big {
        let mut b = Big { limbs: Vec::new() };
        for chunk in digits.chunks(9) {
            let mut scale = 1u32;
            let mut val = 0u32;
            for &c in chunk {
                scale *= 10;
                val = val * 10 + u32::from(c - b'0');
            }
            b.mul_small(scale);
            b.add_small(val);
        }
        b
    }

    fn pow5(k: u32) -> Big {
        let mut b = Big::from_u64(1);
        b.mul_pow5(k);
        b
    }

    fn trim(&mut self) {
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
    }

    fn is_zero(&self) -> bool {
        self.limbs.is_empty()
    }

    fn bit_len(&self) -> u64 {
        match self.limbs.last() {
            None => 0,
            Some(&top) => self.limbs.len() as u64 * 32 - u64::from(top.leading_zeros()),
        }
    }

    fn mul_small(&mut self, k: u32) {
        let mut carry = 0u64;
        for limb in self.limbs.iter_mut() {
            let t = u64::from(*limb) * u64::from(k) + carry;
            *limb = t as u32;
            carry = t >> 32;
        }
        if carry != 0 {
            self.limbs.push(carry as u32);
        }
        self.trim();
    }

    fn add_small(&mut self, k: u32) {
        let mut carry = u64::from(k);
        for limb in self.limbs.iter_mut() {
            if carry == 0 {
                return;
            }
            let t = u64::from(*limb) + carry;
            *limb = t as u32;
            carry = t >> 32;
        }
        if carry != 0 {
            self.limbs.push(carry as u32);
        }
    }

    fn mul_pow5(&mut self, mut k: u32) {
        const FIVE_13: u32 = 1_220_703_125; // largest power of 5 below 2^32
        while k >= 13 {
            self.mul_small(FIVE_13);
            k -= 13;
        }
        self.mul_small(5u32.pow(k));
    }

    fn shl(&mut self, bits: u32) {
        if self.is_zero() {
            return;
        }
        let (limbs, bits) = ((bits / 32) as usize, bits % 32);
        if bits != 0 {
            let mut carry = 0u32;
            for limb in self.limbs.iter_mut() {
                let t = (*limb << bits) | carry;
                carry = *limb >> (32 - bits);
                *limb = t;
            }
            if carry != 0 {
                self.limbs.push(carry);
            }
        }
        self.limbs.splice(0..0, std::iter::repeat_n(0, limbs));
    }

    /// Divide in place by a small `k`, returning the remainder.
    fn divmod_small(&mut self, k: u32) -> u32 {
        let mut rem = 0u64;
        for limb in self.limbs.iter_mut().rev() {
            let t = (rem << 32) | u64::from(*limb);
            *limb = (t / u64::from(k)) as u32;
            rem = t % u64::from(k);
        }
        self.trim();
        rem as u32
    }

    /// The top (at most) 128 bits as `(m, e, sticky)`: self equals
    /// `m * 2^e` plus something below 2^e that is nonzero iff `sticky`.
    fn top_u128(&self) -> (u128, i32, bool) {
        let bits = self.bit_len();
        let drop = bits.saturating_sub(128);
        let (drop_limbs, drop_bits) = ((drop / 32) as usize, (drop % 32) as u32);
        let mut m = 0u128;
        // Five limbs from drop_limbs up cover 128 bits after the shift.
        for (i, &limb) in self.limbs.iter().enumerate().skip(drop_limbs).take(5) {
            let pos = (i - drop_limbs) as u32 * 32;
            let wide = u128::from(limb);
            if pos >= drop_bits {
                let at = pos - drop_bits;
                if at < 128 {
                    m |= wide << at;
                }
            } else {
                m |= wide >> (drop_bits - pos);
            }
        }
        let low_limbs = self.limbs.iter().take(drop_limbs).any(|&l| l != 0);
        let low_bits = drop_bits != 0
            && self
                .limbs
                .get(drop_limbs)
                .is_some_and(|&l| l & ((1u32 << drop_bits) - 1) != 0);
        (m, drop as i32, low_limbs || low_bits)
    }

    fn cmp(&self, other: &Big) -> Ordering {
        self.limbs
            .len()
            .cmp(&other.limbs.len())
            .then_with(|| self.limbs.iter().rev().cmp(other.limbs.iter().rev()))
    }

    /// `(floor(self / v), self % v != 0)` for nonzero `v`.
    ///
    /// HOW IT WORKS
    ///
    /// Schoolbook long division in base 2^32 (Knuth, TAOCP vol. 2, 4.3.1,
    /// Algorithm D). Each quotient limb is guessed from the top two limbs
    /// of the running remainder and the top limb of the divisor. After
    /// both are shifted so the divisor's top bit is set, the guess is at
    /// most two too big; a check against the divisor's second limb fixes
    /// nearly all of those, and a rare add-back fixes the rest.
    fn div_rem(&self, v: &Big) -> (Big, bool) {
        let n = v.limbs.len();
        if n == 1 {
            let mut q = self.clone();
            let r = q.divmod_small(v.limbs[0]);
            return (q, r != 0);
        }
        if self.cmp(v) == Ordering::Less {
            return (Big { limbs: Vec::new() }, !self.is_zero());
        }
        let shift = v.limbs[n - 1].leading_zeros();
        let mut vn = v.clone();
        vn.shl(shift);
        let vn = vn.limbs;
        let mut un = self.clone();
        un.shl(shift);
        let mut un = un.limbs;
        un.resize(self.limbs.len() + 1, 0);
        let m = self.limbs.len() - n;
        let (v_top, v_next) = (u64::from(vn[n - 1]), u64::from(vn[n - 2]));
        let base = 1u64 << 32;
        let mut q = vec![0u32; m + 1];
        for j in (0..=m).rev() {
            let num = (u64::from(un[j + n]) << 32) | u64::from(un[j + n - 1]);
            let mut qhat = num / v_top;
            let mut rhat = num % v_top;
            while qhat >= base || qhat * v_next > ((rhat << 32) | u64::from(un[j + n - 2])) {
                qhat -= 1;
                rhat += v_top;
                if rhat >= base {
                    break;
                }
            }
            // un[j..=j+n] -= qhat * vn
            let mut mul_carry = 0u64;
            let mut borrow = false;
            for i in 0..n {
                let p = qhat * u64::from(vn[i]) + mul_carry;
                mul_carry = p >> 32;
                let (d1, b1) = un[i + j].overflowing_sub(p as u32);
                let (d2, b2) = d1.overflowing_sub(u32::from(borrow));
                un[i + j] = d2;
                borrow = b1 || b2;
            }
            let (d1, b1) = un[j + n].overflowing_sub(mul_carry as u32);
            let (d2, b2) = d1.overflowing_sub(u32::from(borrow));
            un[j + n] = d2;
            if b1 || b2 {
                // The guess was one too big: add the divisor back once.
                qhat -= 1;
                let mut carry = 0u64;
                for i in 0..n {
                    let t = u64::from(un[i + j]) + u64::from(vn[i]) + carry;
                    un[i + j] = t as u32;
                    carry = t >> 32;
                }
                un[j + n] = un[j + n].wrapping_add(carry as u32);
            }
            q[j] = qhat as u32;
        }
        let mut quot = Big { limbs: q };
        quot.trim();
        (quot, un.iter().any(|&l| l != 0))
    }

    /// Append the decimal digits of self (consumes the value: it is
    /// divided down to zero).
    fn push_decimal(&mut self, out: &mut String) {
        use std::fmt::Write;
        const TEN_9: u32 = 1_000_000_000;
        let mut chunks = Vec::new();
        while !self.is_zero() {
            chunks.push(self.divmod_small(TEN_9));
        }
        match chunks.split_last() {
            None => out.push('0'),
            Some((top, rest)) => {
                let _ = write!(out, "{top}");
                for c in rest.iter().rev() {
                    let _ = write!(out, "{c:09}");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REJECT: &str = "ERR value is not a valid float";
    const NAN_INF: &str = "ERR increment would produce NaN or Infinity";

    fn parse(s: &str) -> Option<LongDouble> {
        let v = LongDouble::parse(s.as_bytes());
        if let Some(v) = v {
            v.check_invariants();
        }
        v
    }

    fn bits(s: &str) -> (u16, u64) {
        parse(s).map(LongDouble::to_bits).unwrap_or((0xdead, 0))
    }

    fn raw(se: u16, sig: u64) -> LongDouble {
        let v = LongDouble::from_bits(se, sig).unwrap_or(LongDouble::ZERO);
        v.check_invariants();
        v
    }

    /// What Redis stores (or replies) for `SET k <current>` then
    /// `INCRBYFLOAT k <incr>`.
    fn incrbyfloat(current: &str, incr: &str) -> String {
        let (Some(a), Some(b)) = (parse(current), parse(incr)) else {
            return REJECT.to_string();
        };
        let sum = a.add(b);
        sum.check_invariants();
        if !sum.is_finite() {
            return NAN_INF.to_string();
        }
        sum.to_human_string().unwrap_or_default()
    }

    /// (current, increment, reply). Every row was produced by a C program
    /// doing string2ld + `+` + ld2string on x86-64 glibc, and agrees with
    /// Redis 7.0.15.
    const INCRBYFLOAT_CASES: &[(&str, &str, &str)] = &[
        ("10.50", "0.1", "10.6"),
        ("10.5", "0.1", "10.6"),
        ("5.0e3", "2.0e2", "5200"),
        ("3.0e3", "2.0e2", "3200"),
        ("1e-20", "1e-20", "0"),
        ("0.1", "0.2", "0.3"),
        ("0.1", "0.7", "0.8"),
        ("1.1", "2.2", "3.3"),
        ("3", "0.3", "3.3"),
        ("100", "-99.99", "0.01"),
        ("-0.0", "0", "0"),
        ("-0.0", "-0.0", "0"),
        ("0", "-1e-30", "0"),
        ("-1", "1", "0"),
        ("1", "-1.0000000000000000001", "0"),
        ("17", "0.5", "17.5"),
        ("17", "-17.25", "-0.25"),
        ("-5", "-5", "-10"),
        ("0", "0.00000000000000001", "0.00000000000000001"),
        ("0", "0.000000000000000005", "0"),
        ("0", "0.000000000000000015", "0.00000000000000002"),
        ("0", "0.0000000000000000049", "0"),
        ("0", "-0.000000000000000005", "0"),
        ("0", "0.000000000000000025", "0.00000000000000002"),
        ("1.5", "0.000000000000000001", "1.5"),
        (
            "123456789.123456789",
            "0.000000001",
            "123456789.12345678999554366",
        ),
        ("9007199254740993", "0", "9007199254740993"),
        ("9007199254740992", "1", "9007199254740993"),
        ("18446744073709551615", "1", "18446744073709551616"),
        ("18446744073709551616", "0", "18446744073709551616"),
        ("36893488147419103232", "1", "36893488147419103232"),
        ("-9223372036854775808", "-1", "-9223372036854775809"),
        ("9223372036854775807", "1", "9223372036854775808"),
        ("1e19", "1", "10000000000000000001"),
        ("1e20", "1", "100000000000000000000"),
        ("1e21", "-1", "1000000000000000000000"),
        ("0.30000000000000000001", "0", "0.3"),
        ("1.00000000000000000005", "0", "1"),
        ("1.00000000000000000006", "0", "1"),
        ("2.5", "0x1.8p3", "14.5"),
        ("0x10", "0X.8", "16.5"),
        ("0x1p-3", "0", "0.125"),
        ("0x1.fffffffffffffffep0", "0", "2"),
        ("0x1.ffffffffffffffffp0", "0", "2"),
        ("0xffffffffffffffff", "0", "18446744073709551615"),
        ("0x1p63", "0x1p0", "9223372036854775809"),
        ("1.18973149535723176508e4932", "0", REJECT),
        (
            "1.18973149535723176502e4932",
            "1.18973149535723176502e4932",
            NAN_INF,
        ),
        ("3.6451995318824746025e-4951", "0", "0"),
        ("1.8225997659412373012e-4951", "0", REJECT),
        ("1.8225997659412373013e-4951", "0", "0"),
        ("1e-4951", "0", REJECT),
        ("1e-5000", "1", REJECT),
        ("0e-99999", "1", "1"),
        ("0e999999999999", "1", "1"),
        ("1e-99999999999999999999", "1", REJECT),
        ("1e99999999999999999999", "1", REJECT),
        ("1", "inf", NAN_INF),
        ("1", "-inf", NAN_INF),
        ("inf", "-inf", NAN_INF),
        ("1", "INFINITY", NAN_INF),
        ("1", "nan", REJECT),
        ("1", "NaN", REJECT),
        ("1", "-nan", REJECT),
        ("1", "+5", "6"),
        ("1", "+.5", "1.5"),
        ("1", "5.", "6"),
        ("1", ".", REJECT),
        ("1", "-", REJECT),
        ("1", "1e", REJECT),
        ("1", "1e+", REJECT),
        ("1", "1E+2", "101"),
        ("1", "0x", REJECT),
        ("1", "0x1p", REJECT),
        ("1", "0x.p1", REJECT),
        ("1", "1..2", REJECT),
        ("1", "1_000", REJECT),
        ("1", "1,5", REJECT),
        ("1", "++1", REJECT),
        ("1", "0b101", REJECT),
        ("1", "1f", REJECT),
        ("1", "infinit", REJECT),
        ("1", "infinityy", REJECT),
        ("1e2", "1e-2", "100.01"),
        ("1e10", "1e-10", "10000000000"),
        ("1e17", "1e-17", "100000000000000000"),
        ("1e16", "0.1", "10000000000000000.099609375"),
        (
            "12345678901234567890",
            "0.12345678901234567890",
            "12345678901234567890",
        ),
        ("-12345.6789", "12345.6789", "0"),
        ("0.000001", "0.000002", "0.000003"),
        (
            "3.14159265358979323846",
            "2.71828182845904523536",
            "5.85987448204883847",
        ),
        ("1e-17", "-1e-17", "0"),
        ("5e-18", "0", "0"),
        ("-5e-18", "0", "0"),
        ("6e-18", "0", "0.00000000000000001"),
        (
            "1.23456789012345678901234567890e10",
            "0",
            "12345678901.23456788994371891",
        ),
        ("99999999999999999999", "1", "100000000000000000000"),
        ("0.99999999999999999", "0.00000000000000001", "1"),
        ("0.999999999999999999", "0", "1"),
        ("-0.999999999999999999", "0", "-1"),
        ("4.9e-324", "0", "0"),
        ("2.2250738585072014e-308", "0", "0"),
    ];

    #[test]
    fn incrbyfloat_table_matches_redis_on_x86_64() {
        for &(a, b, want) in INCRBYFLOAT_CASES {
            assert_eq!(incrbyfloat(a, b), want, "{a} + {b}");
        }
    }

    #[test]
    fn ten_and_a_half_plus_a_tenth_prints_ten_point_six_not_f64_noise() {
        assert_eq!(incrbyfloat("10.5", "0.1"), "10.6");
        let (a, b) = (parse("10.5"), parse("0.1"));
        let sum = a.zip(b).map(|(a, b)| a + b);
        assert_eq!(
            sum.map(LongDouble::to_bits),
            Some((0x4002, 0xa999_9999_9999_999a))
        );
        // The same sum in f64 would print differently: the format matters.
        assert_eq!(format!("{:.17}", 10.5f64 + 0.1), "10.59999999999999964");
    }

    #[test]
    fn huge_sums_print_every_integer_digit() {
        let cases = [
            // (a, b, length, first 40 digits, last 30 digits)
            (
                "1e300",
                "1",
                301,
                "1000000000000000000008997324079559193870",
                "187386105690089424915104006144",
            ),
            (
                "1e4932",
                "1",
                4933,
                "1000000000000000000006018949387963891323",
                "163141086538418113791886622720",
            ),
            (
                "1.18973149535723176502e4932",
                "1e4900",
                4933,
                "1189731495357231765021263853030970205169",
                "444156604419552086811989770240",
            ),
            (
                "1e308",
                "1e308",
                309,
                "1999999999999999999933717593116912913211",
                "849020905456510092687857156096",
            ),
        ];
        for (a, b, len, head, tail) in cases {
            let got = incrbyfloat(a, b);
            assert_eq!(got.len(), len, "{a} + {b}");
            assert!(
                got.starts_with(head) && got.ends_with(tail),
                "{a} + {b} = {got}"
            );
        }
        let lowest = raw(0xfffe, u64::MAX).to_human_string().unwrap_or_default();
        assert_eq!(lowest.len(), 4934);
        assert!(lowest.len() < MAX_LONG_DOUBLE_CHARS);
    }

    #[test]
    fn parse_rounds_decimal_text_to_the_nearest_64_bit_significand() {
        assert_eq!(bits("10.5"), (0x4002, 0xa800_0000_0000_0000));
        assert_eq!(bits("0.1"), (0x3ffb, 0xcccc_cccc_cccc_cccd));
        assert_eq!(bits("-0.1"), (0xbffb, 0xcccc_cccc_cccc_cccd));
        assert_eq!(bits("1"), (0x3fff, 0x8000_0000_0000_0000));
        assert_eq!(bits("-0"), (0x8000, 0));
        assert_eq!(
            bits("0.30000000000000000001"),
            (0x3ffd, 0x9999_9999_9999_999a)
        );
        assert_eq!(
            bits("123456789012345678901234567890"),
            (0x405f, 0xc774_87fb_61b9_f077)
        );
        assert_eq!(bits("1e4932"), (0x7ffe, 0xd72c_b2a9_5c7e_f6cd));
        assert_eq!(bits("1.18973149535723176502e4932"), (0x7ffe, u64::MAX));
    }

    #[test]
    fn parse_breaks_exact_ties_to_even_and_anything_above_goes_up() {
        // 1 + 2^-64 lies exactly halfway between 1 and the next long double.
        let half = "1.0000000000000000000542101086242752217003726400434970855712890625";
        assert_eq!(bits(half), (0x3fff, 0x8000_0000_0000_0000));
        assert_eq!(
            bits(&format!("{half}0000001")),
            (0x3fff, 0x8000_0000_0000_0001)
        );
        assert_eq!(
            bits(&half[..half.len() - 1]),
            (0x3fff, 0x8000_0000_0000_0000)
        );
        // 1 + 3 * 2^-64: halfway between odd ...01 and even ...02.
        let odd_half = "1.0000000000000000001626303258728256651011179201304912567138671875";
        assert_eq!(bits(odd_half), (0x3fff, 0x8000_0000_0000_0002));
    }

    #[test]
    fn parse_keeps_denormals_and_rejects_what_rounds_to_zero_or_infinity() {
        assert_eq!(bits("0x1p-16445"), (0, 1));
        assert_eq!(bits("3.6451995318824746025e-4951"), (0, 1));
        assert_eq!(bits("1e-4932"), (0, 0x2612_47c8_f293_57f0));
        assert_eq!(
            bits("0x0.fffffffffffffffep-16382"),
            (0, 0x7fff_ffff_ffff_ffff)
        );
        assert_eq!(bits("0x1p-16382"), (1, 0x8000_0000_0000_0000));
        // Exactly half the smallest denormal ties to even, which is zero.
        assert_eq!(parse("0x1p-16446"), None);
        assert_eq!(parse("1.8225997659412373012e-4951"), None);
        assert_eq!(bits("1.8225997659412373013e-4951"), (0, 1));
        assert_eq!(parse("1e-5000"), None);
        assert_eq!(parse("1.18973149535723176508e4932"), None);
        assert_eq!(parse("0x1.ffffffffffffffffp16383"), None);
        assert_eq!(parse("1e99999999999999999999"), None);
        // Zero digits are an exact zero, whatever the exponent.
        assert_eq!(bits("0e-99999"), (0, 0));
        assert_eq!(bits("-0e999999999999"), (0x8000, 0));
    }

    #[test]
    fn parse_accepts_hex_floats_and_infinity_like_strtold() {
        assert_eq!(bits("0x1.8p3"), (0x4002, 0xc000_0000_0000_0000));
        assert_eq!(bits("0X.8"), (0x3ffe, 0x8000_0000_0000_0000));
        assert_eq!(bits("0x1.fffffffffffffffe8p16383"), (0x7ffe, u64::MAX));
        assert_eq!(bits("inf"), (0x7fff, INT_BIT));
        assert_eq!(bits("-Infinity"), (0xffff, INT_BIT));
        assert_eq!(bits("+INF"), (0x7fff, INT_BIT));
    }

    #[test]
    fn parse_rejects_what_string2ld_rejects() {
        let long_ok = format!("1.{}", "0".repeat(MAX_LONG_DOUBLE_CHARS - 3));
        assert_eq!(long_ok.len(), MAX_LONG_DOUBLE_CHARS - 1);
        assert_eq!(bits(&long_ok), (0x3fff, INT_BIT));
        let too_long = format!("{long_ok}0");
        for bad in [
            "",
            " 1",
            "1 ",
            "\t1",
            "1\n",
            "1\0",
            "nan",
            "-nan",
            "NaN",
            "nan(1)",
            ".",
            "-",
            "+",
            "e5",
            "1e",
            "1e+",
            "1e-",
            "1e5.5",
            "0x",
            "0x.",
            "0xp1",
            "0x1p",
            "0x.p1",
            "0x1g",
            "1..2",
            "1.2.3",
            "++1",
            "+-1",
            "1_000",
            "1,5",
            "0b101",
            "1f",
            "infinit",
            "infinityy",
            "infx",
            too_long.as_str(),
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn add_follows_x87_rounding_at_the_64th_bit() {
        let one = raw(0x3fff, INT_BIT);
        let tiny = |se, sig| one.add(raw(se, sig)).to_bits();
        assert_eq!(tiny(0x3fbf, INT_BIT), (0x3fff, INT_BIT)); // +2^-64: tie, even
        assert_eq!(tiny(0x3fbf, INT_BIT | 1), (0x3fff, INT_BIT | 1)); // just above
        assert_eq!(tiny(0xbfbf, INT_BIT), (0x3ffe, u64::MAX)); // exact
        assert_eq!(tiny(0xbfbe, INT_BIT), (0x3fff, INT_BIT)); // -2^-65: tie
        assert_eq!(tiny(0xbfbe, INT_BIT | 1), (0x3ffe, u64::MAX));
        assert_eq!(tiny(0, 1), (0x3fff, INT_BIT)); // smallest denormal
        let odd = raw(0x3fff, INT_BIT | 1);
        assert_eq!(
            odd.add(raw(0x3fbf, INT_BIT)).to_bits(),
            (0x3fff, INT_BIT | 2)
        );
    }

    #[test]
    fn add_handles_zeros_infinities_and_nans_like_the_fpu() {
        let inf = raw(0x7fff, INT_BIT);
        let ninf = raw(0xffff, INT_BIT);
        assert_eq!(inf.add(ninf).to_bits(), (0xffff, 0xc000_0000_0000_0000));
        assert!(inf.add(ninf).is_nan());
        assert_eq!(raw(0x8000, 0).add(raw(0x8000, 0)).to_bits(), (0x8000, 0));
        assert_eq!(raw(0, 0).add(raw(0x8000, 0)).to_bits(), (0, 0));
        assert_eq!(
            raw(0x3fff, INT_BIT).add(raw(0xbfff, INT_BIT)).to_bits(),
            (0, 0)
        );
        assert_eq!(raw(0, 1).add(raw(0x8000, 1)).to_bits(), (0, 0));
        let nan = raw(0x7fff, 0xc000_0000_0000_0001);
        assert_eq!(nan.add(raw(0x3fff, INT_BIT)), nan);
        assert_eq!(
            raw(0x3fff, INT_BIT)
                .add(raw(0x7fff, 0xa000_0000_0000_0000))
                .to_bits(),
            (0x7fff, 0xe000_0000_0000_0000)
        );
        assert_eq!(
            nan.add(raw(0xffff, 0xc000_0000_0000_0002)).to_bits(),
            (0xffff, 0xc000_0000_0000_0002)
        );
    }

    #[test]
    fn add_carries_denormals_into_normals_and_overflows_to_infinity() {
        let half_min_normal = raw(0, 0x4000_0000_0000_0000);
        assert_eq!(half_min_normal.add(half_min_normal).to_bits(), (1, INT_BIT));
        assert_eq!(
            raw(1, INT_BIT).add(raw(0x8000, 1)).to_bits(),
            (0, 0x7fff_ffff_ffff_ffff)
        );
        let max = raw(0x7ffe, u64::MAX);
        assert_eq!(max.add(raw(0x7fbe, INT_BIT)).to_bits(), (0x7fff, INT_BIT)); // tie, odd: up
        assert_eq!(max.add(raw(0x7fbd, u64::MAX)).to_bits(), (0x7ffe, u64::MAX));
        assert!(!max.add(max).is_finite());
    }

    #[test]
    fn f64_widens_exactly_and_narrows_with_ties_to_even() {
        assert_eq!(
            LongDouble::from_f64(0.1).to_bits(),
            (0x3ffb, 0xcccc_cccc_cccc_d000)
        );
        assert_eq!(
            LongDouble::from_f64(f64::from_bits(1)).to_bits(),
            (0x3bcd, INT_BIT)
        );
        assert_eq!(LongDouble::from_f64(-0.0).to_bits(), (0x8000, 0));
        assert_eq!(
            LongDouble::from_f64(f64::NEG_INFINITY).to_bits(),
            (0xffff, INT_BIT)
        );
        assert_eq!(
            LongDouble::from_f64(f64::from_bits(0x7ff0_0000_0000_0001)).to_bits(),
            (0x7fff, 0xc000_0000_0000_0800)
        );
        let narrow = |se, sig| raw(se, sig).to_f64().to_bits();
        assert_eq!(narrow(0x3ffb, 0xcccc_cccc_cccc_cccd), 0.1f64.to_bits());
        assert_eq!(narrow(0x3bcc, 0x8000_0000_0000_0400), 1); // above half the least denormal
        assert_eq!(narrow(0x3bcc, INT_BIT), 0); // exactly half: even is 0
        assert_eq!(narrow(0x3bcb, INT_BIT | 1), 0);
        assert_eq!(narrow(0x43fe, u64::MAX), f64::INFINITY.to_bits());
        for f in [
            0.0,
            1.5,
            -2.25e-310,
            f64::MAX,
            f64::MIN_POSITIVE,
            1e300,
            -7.0,
        ] {
            assert_eq!(LongDouble::from_f64(f).to_f64().to_bits(), f.to_bits());
        }
    }

    #[test]
    fn from_i64_is_exact_for_every_value() {
        assert_eq!(LongDouble::from_i64(i64::MIN).to_bits(), (0xc03e, INT_BIT));
        assert_eq!(LongDouble::from_i64(0).to_bits(), (0, 0));
        assert_eq!(LongDouble::from_i64(1).to_bits(), (0x3fff, INT_BIT));
        assert_eq!(
            LongDouble::from_i64(i64::MAX).to_human_string().as_deref(),
            Some("9223372036854775807")
        );
        assert_eq!(
            LongDouble::from_i64(-42)
                .add(parse("0.5").unwrap_or(LongDouble::ZERO))
                .to_human_string()
                .as_deref(),
            Some("-41.5")
        );
    }

    #[test]
    fn human_string_rounds_the_17th_decimal_half_to_even() {
        // 2^-18 * odd values end in ...5 at the 18th decimal: exact ties.
        let human = |se, sig| raw(se, sig).to_human_string().unwrap_or_default();
        assert_eq!(human(0x3fed, INT_BIT), "0.00000381469726562"); // 2^-18 = ...625
        assert_eq!(human(0x3fee, 0xc000_0000_0000_0000), "0.00001144409179688"); // 3 * 2^-18 = ...875
        assert_eq!(human(0x3fed, 0xc000_0000_0000_0000), "0.00000572204589844"); // not a tie
        assert_eq!(human(0xbfed, INT_BIT), "-0.00000381469726562");
        assert_eq!(human(0x8000, 0), "0");
        assert_eq!(human(0x7fff, INT_BIT), "inf");
        assert_eq!(human(0xffff, INT_BIT), "-inf");
        assert_eq!(human(0xffff, 0xc000_0000_0000_0000), "-nan");
        assert_eq!(human(0, 1), "0");
        assert_eq!(human(0xbffe, INT_BIT), "-0.5");
    }

    #[test]
    fn from_bits_refuses_non_canonical_encodings() {
        assert_eq!(LongDouble::from_bits(0x3fff, 0x4000_0000_0000_0000), None); // unnormal
        assert_eq!(LongDouble::from_bits(0, INT_BIT), None); // pseudo-denormal
        assert_eq!(LongDouble::from_bits(0x7fff, 0), None); // pseudo-infinity
        assert!(LongDouble::from_bits(0x7fff, INT_BIT).is_some());
    }

    #[test]
    fn big_division_agrees_with_u128_division() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let big = |v: u128| Big::from_decimal(v.to_string().as_bytes());
        for _ in 0..20_000 {
            let a = (u128::from(next()) << 64 | u128::from(next())) >> (next() % 128);
            let b = (u128::from(next()) << 64 | u128::from(next())) >> (next() % 128);
            if b == 0 {
                continue;
            }
            let (q, rem_nonzero) = big(a).div_rem(&big(b));
            assert_eq!(q, big(a / b), "{a} / {b}");
            assert_eq!(rem_nonzero, a % b != 0);
            assert_eq!(big(a).top_u128(), (a, 0, false));
        }
    }

    #[test]
    fn big_top_bits_keep_a_sticky_trace_of_what_they_drop() {
        let mut b = Big::from_u64(0b1011);
        b.shl(200);
        assert_eq!(b.top_u128(), (0b1011 << 124, 76, false));
        b.add_small(1);
        assert_eq!(b.top_u128(), (0b1011 << 124, 76, true));
        let mut d = Big::from_decimal(b"340282366920938463463374607431768211456");
        assert_eq!(d.bit_len(), 129);
        let mut s = String::new();
        d.push_decimal(&mut s);
        assert_eq!(s, "340282366920938463463374607431768211456");
    }
}
