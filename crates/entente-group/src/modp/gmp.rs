//! The GMP backend: GMP's assembly products (`mpn_sqr`, `mpn_mul_n`) with a Montgomery
//! reduction written here, R = 2^4096, on 64 limbs of 64 bits: the same element form as the
//! portable backend. Exponentiations with a whole public exponent call `mpz_powm` itself (in
//! `p4096.rs`); the shared chains, tables and batches of `exp.rs` run on these products.
//!
//! Why a reduction of our own: GMP reduces a product mod p only by a division (`mpz_mul` then
//! `mpz_tdiv_r`), about twice the product's cost; Montgomery's reduction costs about one
//! product, and the ElectionGuard prime makes it cheaper still. p ≡ −1 (mod 2^256), so
//! −p⁻¹ ≡ 1 (mod 2^256): a reduction digit of 256 bits is the accumulator's low digit itself,
//! and p + 1 = 2^256 · P' with P' of 60 limbs, so adding digit · p is adding digit · P' four
//! limbs higher (the digit's own limbs cancel to zero): 16 products of 60 × 4 limbs.
//!
//! Not constant-time (the final subtraction is a branch): secret exponents on this backend go
//! to the portable kernel (`P4096::pow`), never through this one.

use std::sync::LazyLock;

use rug::Integer;

use super::{Kernel, LIMBS, Limbs, limbs_of, mpn};

/// The GMP kernel: the working form is the element form, [0, p) times R = 2^4096.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Gmp;

struct Constants {
    p: Limbs,
    /// (p + 1) / 2^256.
    p_high: [u64; 60],
    /// R² mod p, to enter Montgomery form.
    r2: Limbs,
    /// R mod p, the form of 1.
    one: Limbs,
}

fn constants() -> &'static Constants {
    static C: LazyLock<Constants> = LazyLock::new(|| {
        let p = &crate::constants::constants().p;
        let p_high = limbs_of(&(Integer::from(p + 1u32) >> 256u32));
        debug_assert!(p_high[60..].iter().all(|&l| l == 0));
        let r = Integer::from(1u32) << 4096u32;
        Constants {
            p: limbs_of(p),
            p_high: std::array::from_fn(|i| p_high[i]),
            r2: limbs_of(&(Integer::from(&r * &r) % p)),
            one: limbs_of(&(r % p)),
        }
    });
    &C
}

/// `t · R⁻¹ mod p` for t < p · R, fully reduced (Montgomery's REDC, 256 bits at a time).
fn redc(t: &mut [u64; 2 * LIMBS]) -> Limbs {
    let c = constants();
    // carries[j] is a carry into limb 64 + j, kept apart: those limbs are never a digit (the
    // digits are limbs 0..64), so they can be added once at the end.
    let mut carries = [0u64; LIMBS + 1];
    let mut digit = [0u64; 4];
    let mut product = [0u64; LIMBS];
    for i in 0..LIMBS / 4 {
        let lo = 4 * i;
        digit.copy_from_slice(&t[lo..lo + 4]);
        // t + digit·p·2^(64·lo) = t − digit·2^(64·lo) + digit·P'·2^(64·(lo + 4)): the first
        // term zeroes the digit's limbs, which are not read again.
        mpn::mul_60_4(&c.p_high, &digit, &mut product);
        let window: &mut [u64; LIMBS] = (&mut t[lo + 4..lo + 4 + LIMBS])
            .try_into()
            .expect("64 limbs");
        carries[lo + 4] = mpn::add_64(window, &product);
    }
    let mut r: Limbs = std::array::from_fn(|j| t[LIMBS + j]);
    let low: &[u64; LIMBS] = carries[..LIMBS].try_into().expect("64 limbs");
    let top = carries[LIMBS] + mpn::add_64(&mut r, low);
    // t < p·R, so the sum is below 2p·R and r + top·R below 2p: one subtraction at most.
    if top != 0 || !super::less_than(&r, &c.p) {
        mpn::sub_64(&mut r, &c.p);
    }
    r
}

impl Kernel for Gmp {
    type W = Limbs;
    fn load(self, x: &Limbs) -> Limbs {
        *x
    }
    fn store(self, w: &Limbs) -> Limbs {
        *w
    }
    fn enter(self, x: &Limbs) -> Limbs {
        self.mul(x, &constants().r2)
    }
    fn leave(self, w: &Limbs) -> Limbs {
        let mut t = [0u64; 2 * LIMBS];
        t[..LIMBS].copy_from_slice(w);
        redc(&mut t)
    }
    fn mul(self, a: &Limbs, b: &Limbs) -> Limbs {
        let mut t = [0u64; 2 * LIMBS];
        mpn::mul(a, b, &mut t);
        redc(&mut t)
    }
    fn sqr(self, a: &Limbs) -> Limbs {
        let mut t = [0u64; 2 * LIMBS];
        mpn::sqr(a, &mut t);
        redc(&mut t)
    }
    fn one(self) -> Limbs {
        constants().one
    }
    /// Not constant-time: this kernel serves public exponents only (see the module's text).
    fn select(self, table: &[Limbs], index: usize) -> Limbs {
        table[index]
    }
}
