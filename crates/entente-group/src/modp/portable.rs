//! The portable backend: Montgomery arithmetic mod p on 64 limbs of 64 bits, R = 2^4096, in
//! safe Rust with 128-bit products, for every CPU without AVX-512 IFMA.
//!
//! Written here rather than taken from a crate because the crates that do Montgomery
//! arithmetic (crypto-bigint's `MontyForm`, num-bigint) are generic over the modulus and pay
//! for it: the ElectionGuard prime has p ≡ −1 (mod 2^256), so the Montgomery constant
//! −p⁻¹ mod 2^64 is 1 and each reduction digit is the accumulator's low word itself, with no
//! multiplication on the critical path.
//!
//! A product or square is computed whole (one level of Karatsuba over column-wise products,
//! or row-wise squares of the halves), then reduced column by column into a three-word
//! accumulator (product scanning, Koç, Acar and Kaliski 1996), skipping p's all-ones limbs.
//! Values are kept fully reduced in [0, p); the final conditional subtraction and the
//! Karatsuba signs are done by masks, so the running time depends on neither operand.

use std::sync::LazyLock;

use rug::Integer;

use super::{Kernel, LIMBS, Limbs, limbs_of, select_limbs};

/// The portable kernel: the working form is the element form, [0, p) times R = 2^4096.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Portable;

impl Kernel for Portable {
    type W = Limbs;
    fn load(self, x: &Limbs) -> Limbs {
        *x
    }
    fn store(self, w: &Limbs) -> Limbs {
        *w
    }
    fn enter(self, x: &Limbs) -> Limbs {
        let c = portable_constants();
        mul(x, &c.r2, &c.p)
    }
    fn leave(self, w: &Limbs) -> Limbs {
        let mut one = [0u64; LIMBS];
        one[0] = 1;
        mul(w, &one, &portable_constants().p)
    }
    fn mul(self, a: &Limbs, b: &Limbs) -> Limbs {
        mul(a, b, &portable_constants().p)
    }
    fn sqr(self, a: &Limbs) -> Limbs {
        sqr(a, &portable_constants().p)
    }
    fn one(self) -> Limbs {
        portable_constants().one
    }
    fn select(self, table: &[Limbs], index: usize) -> Limbs {
        select_limbs(table, index)
    }
}

/// A three-word column accumulator, a 192-bit two's complement integer: `lo` holds the low 128
/// bits, `hi` the top word. The reduction subtracts some words (see `reduce_columns`), so a
/// column's running sum may dip below zero; its true value stays far inside ±2^191, where
/// wrapping arithmetic and an arithmetic shift are exact.
#[derive(Clone, Copy, Default)]
struct Acc {
    lo: u128,
    hi: u64,
}

impl Acc {
    #[inline(always)]
    fn mac(&mut self, x: u64, y: u64) {
        let (s, o) = self.lo.overflowing_add(u128::from(x) * u128::from(y));
        self.lo = s;
        self.hi = self.hi.wrapping_add(u64::from(o));
    }
    #[inline(always)]
    fn add(&mut self, other: Acc) {
        let (s, o) = self.lo.overflowing_add(other.lo);
        self.lo = s;
        self.hi = self.hi.wrapping_add(other.hi).wrapping_add(u64::from(o));
    }
    #[inline(always)]
    fn add_word(&mut self, x: u64) {
        let (s, o) = self.lo.overflowing_add(u128::from(x));
        self.lo = s;
        self.hi = self.hi.wrapping_add(u64::from(o));
    }
    #[inline(always)]
    fn sub_word(&mut self, x: u64) {
        let (s, b) = self.lo.overflowing_sub(u128::from(x));
        self.lo = s;
        self.hi = self.hi.wrapping_sub(u64::from(b));
    }
    /// The low word, and the accumulator shifted down by one word (arithmetically).
    #[inline(always)]
    fn shift(&mut self) -> u64 {
        let w = self.lo as u64;
        self.lo = (self.lo >> 64) | (u128::from(self.hi) << 64);
        self.hi = ((self.hi as i64) >> 63) as u64;
        w
    }
}

/// `a·b·R⁻¹ mod p`, for a, b in [0, p): spec 2.0's group operation in Montgomery form. The
/// product by one level of Karatsuba ([`mul_wide`]), then the reduction.
pub fn mul(a: &Limbs, b: &Limbs, p: &Limbs) -> Limbs {
    let t = mul_wide(a, b);
    reduce_columns(p, |k, acc| acc.add_word(t[k]))
}

/// The product of two slices of one length into `out` (twice that length), column by column.
fn mul_comba(a: &[u64], b: &[u64], out: &mut [u64]) {
    let n = a.len();
    let mut acc = Acc::default();
    for k in 0..2 * n - 1 {
        let (lo, hi) = (k.saturating_sub(n - 1), k.min(n - 1));
        acc.add(dot(&a[lo..hi + 1], &b[k - hi..k - lo + 1]));
        out[k] = acc.shift();
    }
    out[2 * n - 1] = acc.shift();
}

/// Half of a value's limbs.
const HALF: usize = LIMBS / 2;

/// `|h − l|` and a mask of ones when h < l, computed by masks (no branch on the values).
fn abs_diff(h: &[u64], l: &[u64]) -> ([u64; HALF], u64) {
    let mut d = [0u64; HALF];
    let borrow = sub_into(h, l, &mut d);
    // Two's complement negation when h < l.
    let mask = borrow.wrapping_neg();
    let mut carry = borrow;
    for x in d.iter_mut() {
        let (y, c) = (*x ^ mask).overflowing_add(carry);
        *x = y;
        carry = u64::from(c);
    }
    (d, mask)
}

/// Adds the middle term `l + h − z` (when `subtract` is all ones) or `l + h + z` (when it is
/// 0) at limb HALF of `t`, where `l` and `h` are the two halves of `t` as they are on entry.
/// The middle term of a Karatsuba product is non-negative and below 2^4097.
fn add_middle(t: &mut [u64; 2 * LIMBS], z: &Limbs, subtract: u64) {
    let mut middle = [0u64; LIMBS + 1];
    // −z = !z + 1 − 2^4096: the complement, a carry in, and −1 in the word above.
    let mut c = i128::from(subtract & 1);
    for i in 0..LIMBS {
        c += i128::from(t[i]) + i128::from(t[LIMBS + i]) + i128::from(z[i] ^ subtract);
        middle[i] = c as u64;
        c >>= 64;
    }
    c -= i128::from(subtract & 1);
    middle[LIMBS] = c as u64;
    debug_assert!(c >= 0, "the middle term is non-negative");
    let mut c: u128 = 0;
    for (i, word) in t[HALF..].iter_mut().enumerate() {
        c += u128::from(*word) + u128::from(middle.get(i).copied().unwrap_or(0));
        *word = c as u64;
        c >>= 64;
    }
    debug_assert_eq!(c, 0, "a product of two values below 2^4096 fits 128 limbs");
}

/// a·b as 128 limbs. With a = a1·B + a0 and b = b1·B + b0 (B = 2^2048),
/// a·b = a1b1·B² + (a1b1 + a0b0 − (a1 − a0)(b1 − b0))·B + a0b0: three products of 32 limbs
/// instead of one of 64 (Karatsuba), 3,072 products instead of 4,096.
fn mul_wide(a: &Limbs, b: &Limbs) -> [u64; 2 * LIMBS] {
    let (a0, a1) = a.split_at(HALF);
    let (b0, b1) = b.split_at(HALF);
    let (da, na) = abs_diff(a1, a0);
    let (db, nb) = abs_diff(b1, b0);
    let mut t = [0u64; 2 * LIMBS];
    mul_comba(a0, b0, &mut t[..LIMBS]);
    mul_comba(a1, b1, &mut t[LIMBS..]);
    let mut z = [0u64; LIMBS];
    mul_comba(&da, &db, &mut z);
    // (a1 − a0)(b1 − b0) = ±z: it is subtracted, so z is added when the signs differ.
    add_middle(&mut t, &z, !(na ^ nb));
    t
}

/// `a²·R⁻¹ mod p`: the square by one level of Karatsuba ([`square_wide`]), then the
/// reduction.
pub fn sqr(a: &Limbs, p: &Limbs) -> Limbs {
    let t = square_wide(a);
    reduce_columns(p, |k, acc| acc.add_word(t[k]))
}

/// The square of `a` into `out` (twice its length): the cross products a_i·a_j (i < j) row
/// by row, doubled by a shift, then the squares a_i² added. Rows have no per-column set-up,
/// which matters at this size (32 limbs, 496 cross products).
fn sqr_rows(a: &[u64], out: &mut [u64]) {
    let n = a.len();
    out.fill(0);
    for i in 0..n - 1 {
        let x = a[i];
        let mut carry = 0u64;
        for (o, y) in out[2 * i + 1..i + n].iter_mut().zip(&a[i + 1..]) {
            let t = u128::from(x) * u128::from(*y) + u128::from(*o) + u128::from(carry);
            *o = t as u64;
            carry = (t >> 64) as u64;
        }
        out[i + n] = carry;
    }
    // Double the cross products and add the squares, one carry chain.
    let mut shifted_out = 0u64;
    let mut carry = 0u128;
    for i in 0..n {
        let (lo, hi) = (out[2 * i], out[2 * i + 1]);
        let d_lo = (lo << 1) | shifted_out;
        let d_hi = (hi << 1) | (lo >> 63);
        shifted_out = hi >> 63;
        let sq = u128::from(a[i]) * u128::from(a[i]);
        let t = (u128::from(d_hi) << 64 | u128::from(d_lo)).wrapping_add(sq);
        let c1 = u128::from(t < sq);
        let (t, c2) = t.overflowing_add(carry);
        out[2 * i] = t as u64;
        out[2 * i + 1] = (t >> 64) as u64;
        carry = c1 + u128::from(c2);
    }
    debug_assert_eq!(
        shifted_out | carry as u64,
        0,
        "a square fits twice the limbs"
    );
}

/// a² as 128 limbs. With a = h·B + l (B = 2^2048), a² = h²·B² + (h² + l² − (h − l)²)·B + l²:
/// three squares of 32 limbs instead of one of 64 (Karatsuba), 1,584 products instead of
/// 2,080. |h − l| is taken by masks, so the time does not depend on which half is larger.
fn square_wide(a: &Limbs) -> [u64; 2 * LIMBS] {
    let (l, h) = a.split_at(HALF);
    let (d, _) = abs_diff(h, l);
    let mut t = [0u64; 2 * LIMBS];
    sqr_rows(l, &mut t[..LIMBS]);
    sqr_rows(h, &mut t[LIMBS..]);
    let mut dd = [0u64; LIMBS];
    sqr_rows(&d, &mut dd);
    add_middle(&mut t, &dd, u64::MAX);
    t
}

/// Limbs 0..4 and 60..64 of p are all ones: p ≡ −1 (mod 2^256), and its top 256 bits are
/// ones (spec 2.0 §3.1.1).
const ONES_LOW: usize = 4;
const ONES_HIGH: usize = LIMBS - 4;

/// Montgomery reduction interleaved with the product's columns (Koç, Acar and Kaliski's FIPS
/// method): `product(k, acc)` adds column k of the product to `acc`; this adds column k of m·p
/// and keeps the high half, with the digit m_k chosen to clear column k's low word. Because
/// −p⁻¹ ≡ 1 (mod 2^64), m_k is that low word itself.
///
/// The all-ones limbs of p are not multiplied: m·(2^256 − 1) = m·2^256 − m, so the four low
/// limbs of p add m_(k−4) − m_k to column k and the four top ones m_(k−64) − m_(k−60). Of each
/// column's 64 products with p only the 56 middle ones remain, and subtracting m_k clears the
/// low word with no borrow.
#[inline(always)]
fn reduce_columns(p: &Limbs, mut product: impl FnMut(usize, &mut Acc)) -> Limbs {
    debug_assert!(
        p[..ONES_LOW]
            .iter()
            .chain(&p[ONES_HIGH..])
            .all(|&l| l == u64::MAX)
    );
    let mut m = [0u64; LIMBS];
    let mut r = [0u64; LIMBS];
    let mut acc = Acc::default();
    for k in 0..2 * LIMBS {
        product(k, &mut acc);
        // m_j·p_(k−j) for the middle limbs ONES_LOW <= k − j < ONES_HIGH.
        if k >= ONES_LOW {
            let lo = k.saturating_sub(ONES_HIGH - 1);
            let hi = (k - ONES_LOW).min(LIMBS - 1);
            if lo <= hi {
                acc.add(dot(&m[lo..hi + 1], &p[k - hi..k - lo + 1]));
            }
        }
        if (ONES_LOW..LIMBS + ONES_LOW).contains(&k) {
            acc.add_word(m[k - ONES_LOW]);
        }
        if k >= LIMBS {
            acc.add_word(m[k - LIMBS]);
        }
        if (ONES_HIGH..LIMBS + ONES_HIGH).contains(&k) {
            acc.sub_word(m[k - ONES_HIGH]);
        }
        if k < LIMBS {
            m[k] = acc.lo as u64;
            acc.sub_word(m[k]);
            acc.shift();
        } else {
            r[k - LIMBS] = acc.shift();
        }
    }
    // The result is below 2p (a, b < p < R); `top` is its bit 4096.
    let top = acc.shift();
    debug_assert!(top <= 1);
    subtract_if_at_least(&mut r, top, p);
    r
}

/// `sum x_j·y_(n−1−j)`: one column of a product, x read forwards and y backwards.
#[inline(always)]
fn dot(x: &[u64], y: &[u64]) -> Acc {
    debug_assert_eq!(x.len(), y.len());
    let (mut s, mut t) = (Acc::default(), Acc::default());
    let mut pairs = x.chunks_exact(2).zip(y.rchunks_exact(2));
    for (x, y) in &mut pairs {
        s.mac(x[0], y[1]);
        t.mac(x[1], y[0]);
    }
    if x.len() % 2 == 1 {
        s.mac(x[x.len() - 1], y[0]);
    }
    s.add(t);
    s
}

/// `out = x − y` over their common length; returns the borrow out (1 when x < y).
#[inline(always)]
fn sub_into(x: &[u64], y: &[u64], out: &mut [u64]) -> u64 {
    let mut borrow = 0u64;
    for ((o, a), b) in out.iter_mut().zip(x).zip(y) {
        let (v, b1) = a.overflowing_sub(*b);
        let (v, b2) = v.overflowing_sub(borrow);
        *o = v;
        borrow = u64::from(b1 | b2);
    }
    borrow
}

/// `r -= p` when `top·2^4096 + r ≥ p`, by masks: no branch on the value.
#[inline(always)]
pub(super) fn subtract_if_at_least(r: &mut Limbs, top: u64, p: &Limbs) {
    let mut d = [0u64; LIMBS];
    let borrow = sub_into(r, p, &mut d);
    // Keep the difference when it did not borrow, or when the bit 4096 pays for the borrow.
    let keep = (borrow ^ 1) | top;
    let mask = keep.wrapping_neg();
    for i in 0..LIMBS {
        r[i] = (d[i] & mask) | (r[i] & !mask);
    }
}

/// p, R² mod p and R mod p for the portable backend (R = 2^4096).
pub(crate) struct PortableConstants {
    pub p: Limbs,
    pub r2: Limbs,
    pub one: Limbs,
}

pub(crate) fn portable_constants() -> &'static PortableConstants {
    static C: LazyLock<PortableConstants> = LazyLock::new(|| {
        let p = &crate::constants::constants().p;
        let r = Integer::from(1u32) << 4096u32;
        PortableConstants {
            p: limbs_of(p),
            r2: limbs_of(&(Integer::from(&r * &r) % p)),
            one: limbs_of(&(r % p)),
        }
    });
    &C
}
