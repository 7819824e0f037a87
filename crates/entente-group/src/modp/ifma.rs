//! The AVX-512 IFMA backend's arithmetic: almost-Montgomery multiplication mod p on 80 limbs
//! of 52 bits (R = 2^4160), written once over [`Lanes`], eight 64-bit lanes with the IFMA
//! operations. `raw/simd.rs` gives the lanes as AVX-512 registers (in `raw`, the `unsafe` code of the
//! crate); [`Emulated`] gives them as plain arrays, so that the same algorithm is tested against
//! GMP on any CPU, and the registers against the arrays where the CPU has IFMA.
//!
//! The method is the word-serial Montgomery product with the lanes of one 52-bit digit of b at
//! a time (Gueron and Krasnov, "Accelerating big integer arithmetic using Intel IFMA
//! extensions", ARITH 2016). Two facts of the ElectionGuard prime make it lean:
//! - p ≡ −1 (mod 2^52), so −p⁻¹ ≡ 1 and each reduction digit is the accumulator's low limb;
//! - R = 2^4160 > 4p, so inputs and outputs below 2p need no subtraction in the loop
//!   ("almost Montgomery"): only the store into an element reduces fully.

use std::sync::LazyLock;

use rug::Integer;

use super::portable::subtract_if_at_least;
use super::{Kernel, LIMBS, Limbs, limbs_of, select_limbs};

/// 52-bit limbs of a working value.
pub(crate) const L52: usize = 80;
/// Registers of eight lanes in a working value.
const V: usize = L52 / 8;
const MASK52: u64 = (1 << 52) - 1;

/// A value below 2^4160 as 80 little-endian 52-bit limbs.
pub(crate) type Limbs52 = [u64; L52];

/// Eight 64-bit lanes and the IFMA operations on them.
pub(crate) trait Lanes: Copy {
    /// All lanes 0.
    fn zero() -> Self;
    /// Eight limbs.
    fn load(x: &[u64]) -> Self;
    /// Writes the eight lanes.
    fn store(self, out: &mut [u64]);
    /// `x` in every lane.
    fn splat(x: u64) -> Self;
    /// `self + lo52(b·c)` per lane, b and c read as 52-bit (`vpmadd52luq`).
    fn madd52lo(self, b: Self, c: Self) -> Self;
    /// `self + hi52(b·c)` per lane (`vpmadd52huq`).
    fn madd52hi(self, b: Self, c: Self) -> Self;
    /// Lane 0.
    fn lane0(self) -> u64;
    /// `self` plus `x` in lane 0 only.
    fn add_lane0(self, x: u64) -> Self;
    /// Lanes 1..8 of `lo` then lane 0 of `hi` (`valignq` by one).
    fn shift_down(lo: Self, hi: Self) -> Self;
}

/// The lanes as an array: the reference for the registers, and the algorithm's test on CPUs
/// without IFMA (`ENTENTE_BACKEND=ifma-emulated` runs the whole program on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Emulated([u64; 8]);

impl Lanes for Emulated {
    fn zero() -> Self {
        Emulated([0; 8])
    }
    fn load(x: &[u64]) -> Self {
        let mut v = [0; 8];
        v.copy_from_slice(&x[..8]);
        Emulated(v)
    }
    fn store(self, out: &mut [u64]) {
        out[..8].copy_from_slice(&self.0);
    }
    fn splat(x: u64) -> Self {
        Emulated([x; 8])
    }
    fn madd52lo(self, b: Self, c: Self) -> Self {
        Emulated(std::array::from_fn(|i| {
            let p = u128::from(b.0[i] & MASK52) * u128::from(c.0[i] & MASK52);
            self.0[i].wrapping_add(p as u64 & MASK52)
        }))
    }
    fn madd52hi(self, b: Self, c: Self) -> Self {
        Emulated(std::array::from_fn(|i| {
            let p = u128::from(b.0[i] & MASK52) * u128::from(c.0[i] & MASK52);
            self.0[i].wrapping_add((p >> 52) as u64)
        }))
    }
    fn lane0(self) -> u64 {
        self.0[0]
    }
    fn add_lane0(mut self, x: u64) -> Self {
        self.0[0] = self.0[0].wrapping_add(x);
        self
    }
    fn shift_down(lo: Self, hi: Self) -> Self {
        Emulated(std::array::from_fn(|i| {
            if i < 7 { lo.0[i + 1] } else { hi.0[0] }
        }))
    }
}

/// `a·b·2^−4160 mod p`, below 2p, for a and b below 2p in normalized 52-bit limbs.
///
/// Each of the 80 steps adds a·b_i and y·p, with y the accumulator's low limb (−p⁻¹ ≡ 1), so
/// that the low limb becomes 0 and is shifted out; the high halves of both products belong one
/// limb up, which after the shift is the lane they are added to. A lane gathers at most four
/// 52-bit halves per step over at most 80 steps, below 2^61: no lane overflows, and the carries
/// are propagated once, at the end.
#[inline(always)]
pub(crate) fn montmul<L: Lanes>(a: &Limbs52, b: &Limbs52, p: &Limbs52) -> Limbs52 {
    let av: [L; V] = std::array::from_fn(|v| L::load(&a[8 * v..]));
    let pv: [L; V] = std::array::from_fn(|v| L::load(&p[8 * v..]));
    let mut acc = [L::zero(); V];
    for &bi in b {
        let bv = L::splat(bi);
        for v in 0..V {
            acc[v] = acc[v].madd52lo(av[v], bv);
        }
        let y = acc[0].lane0() & MASK52;
        let yv = L::splat(y);
        for v in 0..V {
            acc[v] = acc[v].madd52lo(pv[v], yv);
        }
        // The low limb is now a multiple of 2^52: its carry moves up with the shift.
        let carry = acc[0].lane0() >> 52;
        for v in 0..V - 1 {
            acc[v] = L::shift_down(acc[v], acc[v + 1]);
        }
        acc[V - 1] = L::shift_down(acc[V - 1], L::zero());
        acc[0] = acc[0].add_lane0(carry);
        for v in 0..V {
            acc[v] = acc[v].madd52hi(av[v], bv);
            acc[v] = acc[v].madd52hi(pv[v], yv);
        }
    }
    let mut out = [0u64; L52];
    for v in 0..V {
        acc[v].store(&mut out[8 * v..]);
    }
    let mut carry = 0u64;
    for limb in out.iter_mut() {
        let t = *limb + carry;
        *limb = t & MASK52;
        carry = t >> 52;
    }
    debug_assert_eq!(carry, 0, "a Montgomery product below 2p fits 4160 bits");
    out
}

/// 64-bit limbs into 52-bit limbs.
pub(crate) fn to52(x: &Limbs) -> Limbs52 {
    std::array::from_fn(|i| {
        let bit = 52 * i;
        let (limb, shift) = (bit / 64, bit % 64);
        if limb >= LIMBS {
            return 0;
        }
        let mut v = x[limb] >> shift;
        if shift > 12 && limb + 1 < LIMBS {
            v |= x[limb + 1] << (64 - shift);
        }
        v & MASK52
    })
}

/// 52-bit limbs (normalized) into 64-bit limbs, and the bits from 4096 up.
pub(crate) fn from52(x: &Limbs52) -> (Limbs, u64) {
    let mut out = [0u64; LIMBS + 1];
    for (i, &limb) in x.iter().enumerate() {
        let bit = 52 * i;
        let (w, shift) = (bit / 64, bit % 64);
        out[w] |= limb << shift;
        if shift > 12 {
            out[w + 1] |= limb >> (64 - shift);
        }
    }
    let mut low = [0u64; LIMBS];
    low.copy_from_slice(&out[..LIMBS]);
    (low, out[LIMBS])
}

/// The backend's constants: p, R² and R mod p in 52-bit limbs (R = 2^4160), R mod p in
/// 64-bit limbs, and 1.
pub(crate) struct Constants52 {
    pub p52: Limbs52,
    pub p: Limbs,
    pub r2: Limbs52,
    pub one: Limbs52,
    pub unit: Limbs52,
}

pub(crate) fn constants() -> &'static Constants52 {
    static C: LazyLock<Constants52> = LazyLock::new(|| {
        let p = &crate::constants::constants().p;
        let r = Integer::from(1u32) << 4160u32;
        let p64 = limbs_of(p);
        let mut unit = [0u64; L52];
        unit[0] = 1;
        Constants52 {
            p52: to52(&p64),
            p: p64,
            r2: to52(&limbs_of(&(Integer::from(&r * &r) % p))),
            one: to52(&limbs_of(&(r % p))),
            unit,
        }
    });
    &C
}

/// A Montgomery product on 52-bit limbs: the AVX-512 registers, or their emulation.
pub(crate) trait MontMul52: Copy {
    /// [`montmul`] with these lanes.
    fn montmul(self, a: &Limbs52, b: &Limbs52, p: &Limbs52) -> Limbs52;
}

/// The product with [`Emulated`] lanes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Emulator;

impl MontMul52 for Emulator {
    fn montmul(self, a: &Limbs52, b: &Limbs52, p: &Limbs52) -> Limbs52 {
        montmul::<Emulated>(a, b, p)
    }
}

/// The 52-bit kernel over a product: [`super::simd::Ifma`] in production, [`Emulator`] in the
/// tests of CPUs without IFMA. Working values are below 2p.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ifma52<M>(pub M);

impl<M: MontMul52> Kernel for Ifma52<M> {
    type W = Limbs52;
    fn load(self, x: &Limbs) -> Limbs52 {
        to52(x)
    }
    fn store(self, w: &Limbs52) -> Limbs {
        let (mut r, top) = from52(w);
        // w < 2p: one subtraction, by masks, reduces it.
        subtract_if_at_least(&mut r, top, &constants().p);
        r
    }
    fn enter(self, x: &Limbs) -> Limbs52 {
        let c = constants();
        self.0.montmul(&to52(x), &c.r2, &c.p52)
    }
    fn leave(self, w: &Limbs52) -> Limbs {
        let c = constants();
        self.store(&self.0.montmul(w, &c.unit, &c.p52))
    }
    fn mul(self, a: &Limbs52, b: &Limbs52) -> Limbs52 {
        self.0.montmul(a, b, &constants().p52)
    }
    fn sqr(self, a: &Limbs52) -> Limbs52 {
        self.0.montmul(a, a, &constants().p52)
    }
    fn one(self) -> Limbs52 {
        constants().one
    }
    fn select(self, table: &[Limbs52], index: usize) -> Limbs52 {
        select_limbs(table, index)
    }
}
