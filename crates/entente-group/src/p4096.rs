//! The ElectionGuard 2.0 standard group (spec §3.1.1): the order-q subgroup of `Z_p^*` for
//! the 4096-bit prime p, with q = 2^256 - 189 and generator g = 2^r mod p.
//!
//! Elements are 64 limbs in the Montgomery form of the process's backend (`modp`: AVX-512
//! IFMA, portable 64-bit, or GMP as the reference), fully reduced, from decoding to encoding.
//! Scalars are 256-bit `crypto_bigint` integers: fixed size, constant-time, zeroizable.

use std::fmt;
use std::sync::LazyLock;

use crypto_bigint::{Limb, U256};
use rand::{CryptoRng, RngCore};
use rug::Integer;
use rug::integer::Order;
use subtle::{ConstantTimeEq, ConstantTimeLess};
use zeroize::Zeroize;

use crate::constants::{self, Constants, Q_HEX};
use crate::modp::portable::Portable;
use crate::modp::{self, Backend, Kernel, Limbs, exp, with_kernel};
use crate::{Group, GroupError, Scalar};

/// q = 2^256 - Q_DELTA, the form `crypto_bigint`'s `*_mod_special` reductions take.
const Q_DELTA: Limb = Limb(189);

/// Exponent bits covered by one window of a fixed-base table. 10 bits: 26 windows, so 25
/// multiplications per exponentiation, for 13 MiB per base; 8 bits would need 31 for 4 MiB.
/// Measured here (`entente bench`), 8-bit windows cost 0.115 to 0.137 modexp-equivalents
/// depending on the run, too close to the 0.15 budget; 10-bit windows leave a margin.
const WINDOW_BITS: usize = 10;
/// Windows in a fixed-base table (a 256-bit exponent; the last window is partial).
const WINDOWS: usize = 256_usize.div_ceil(WINDOW_BITS);
/// Non-trivial entries per window (digit 0 needs no entry).
const DIGITS: usize = (1 << WINDOW_BITS) - 1;

static GENERATOR: LazyLock<Element4096> = LazyLock::new(|| {
    Element4096(modp::to_element_form(&modp::limbs_of(
        &constants::constants().g,
    )))
});
static G_TABLE: LazyLock<Table4096> = LazyLock::new(|| P4096::table(&GENERATOR));
static Q_U256: LazyLock<U256> = LazyLock::new(|| U256::from_be_hex(Q_HEX));

/// The ElectionGuard 2.0 standard 4096-bit group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct P4096;

impl P4096 {
    /// `base^e` for each exponent from one squaring chain (`modp::exp::pow_many_vartime`), and
    /// when `check`, whether `base` is in the order-q subgroup (false when not asked). Since
    /// q = 2^256 − 189 (spec 2.0 §3.1.1, eq. (3)), for base ≠ 0 in Z_p, base^q = 1 exactly when base^(2^256) = base^189 (the two equations
    /// differ by the invertible factor base^189); base^(2^256) is the chain's end and base^189
    /// seven squarings and five products more. Elements are never 0 (decoding refuses it).
    fn chain_powers(
        base: &Element4096,
        exps: &[&ScalarQ],
        check: bool,
    ) -> (Vec<Element4096>, bool) {
        let limbs: Vec<[u64; 4]> = exps.iter().map(|e| e.to_limbs()).collect();
        with_kernel!(|k| {
            let b = k.load(&base.0);
            let (powers, end) = exp::pow_many_vartime(k, &b, &limbs);
            // Only when asked: a caller that does not check does not pay for base^189.
            let member = check && k.store(&end) == k.store(&exp::pow_vartime(k, &b, &[Q_DELTA.0]));
            let powers = powers.iter().map(|w| Element4096(k.store(w))).collect();
            (powers, member)
        })
    }

    /// The standard constants p, q, r, g.
    pub fn constants() -> &'static Constants {
        constants::constants()
    }
}

/// An element of the order-q subgroup of `Z_p^*`: always `0 < x < p` with `x^q = 1 mod p`,
/// held in the Montgomery form of the process's backend (equal elements have equal limbs).
#[derive(Clone, PartialEq, Eq)]
pub struct Element4096(Limbs);

impl Element4096 {
    /// The element as an integer in `[1, p)`.
    pub fn to_integer(&self) -> Integer {
        modp::integer_of(&modp::from_element_form(&self.0))
    }
}

impl fmt::Debug for Element4096 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = P4096::element_to_hex(self);
        write!(f, "Element4096({}…{})", &hex[..8], &hex[hex.len() - 8..])
    }
}

/// An integer mod q (spec 2.0 §5.1.2), constant-time.
#[derive(Clone, Copy, PartialEq, Eq, Zeroize)]
pub struct ScalarQ(U256);

impl fmt::Debug for ScalarQ {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ScalarQ({})", self.to_hex())
    }
}

impl ScalarQ {
    /// The exponent as a GMP integer, for public exponents (GMP never sees a secret one).
    fn to_integer(self) -> Integer {
        let mut bytes = self.to_bytes();
        let i = Integer::from_digits(&bytes, Order::Msf);
        bytes.zeroize();
        i
    }

    /// The exponent as little-endian 64-bit limbs. The caller wipes them when the scalar is
    /// secret.
    fn to_limbs(self) -> [u64; 4] {
        let mut bytes = self.to_bytes();
        let limbs = modp::exponent_limbs(&bytes);
        bytes.zeroize();
        limbs
    }

    /// Reduces any value below 2^256 (< 2q) into [0, q), in constant time.
    fn reduce_once(x: U256) -> Self {
        // x + 0 mod q with the precondition x < 2q: one conditional subtraction of q.
        Self(x.add_mod_special(&U256::ZERO, Q_DELTA))
    }
}

impl Scalar for ScalarQ {
    fn zero() -> Self {
        Self(U256::ZERO)
    }
    fn one() -> Self {
        Self(U256::ONE)
    }
    fn from_u64(v: u64) -> Self {
        Self(U256::from_u64(v))
    }
    fn add(&self, rhs: &Self) -> Self {
        Self(self.0.add_mod_special(&rhs.0, Q_DELTA))
    }
    fn sub(&self, rhs: &Self) -> Self {
        Self(self.0.sub_mod_special(&rhs.0, Q_DELTA))
    }
    fn mul(&self, rhs: &Self) -> Self {
        Self(self.0.mul_mod_special(&rhs.0, Q_DELTA))
    }
    fn is_zero(&self) -> bool {
        self.0.ct_eq(&U256::ZERO).into()
    }
    fn random<R: CryptoRng + RngCore + ?Sized>(rng: &mut R) -> Self {
        // Rejection sampling: uniform in [0, q); a draw is rejected with probability 2^-248.
        loop {
            let mut bytes = [0u8; 32];
            rng.fill_bytes(&mut bytes);
            let x = U256::from_be_slice(&bytes);
            bytes.zeroize();
            if bool::from(x.ct_lt(&Q_U256)) {
                return Self(x);
            }
        }
    }
    fn from_hash(bytes: &[u8; 32]) -> Self {
        Self::reduce_once(U256::from_be_slice(bytes))
    }
    fn from_canonical_bytes(bytes: &[u8]) -> Result<Self, GroupError> {
        if bytes.len() != 32 {
            return Err(GroupError::Length {
                expected: 32,
                actual: bytes.len(),
            });
        }
        let x = U256::from_be_slice(bytes);
        if bool::from(x.ct_lt(&Q_U256)) {
            Ok(Self(x))
        } else {
            Err(GroupError::ScalarRange)
        }
    }
    fn to_bytes(&self) -> [u8; 32] {
        self.0.to_be_bytes()
    }
}

/// The exponent's base-2^w digits, least significant first (WINDOWS of them).
fn window_digits(be: &[u8; 32]) -> impl Iterator<Item = usize> {
    // Little-endian 64-bit limbs, so that a digit is a shift and a mask across two limbs.
    let mut limbs = [0u64; 4];
    for (i, chunk) in be.rchunks_exact(8).enumerate() {
        limbs[i] = u64::from_be_bytes(chunk.try_into().expect("chunks of 8"));
    }
    (0..WINDOWS).map(move |i| {
        let bit = i * WINDOW_BITS;
        let (limb, shift) = (bit / 64, bit % 64);
        let mut v = limbs[limb] >> shift;
        if shift + WINDOW_BITS > 64 && limb + 1 < 4 {
            v |= limbs[limb + 1] << (64 - shift);
        }
        (v & ((1 << WINDOW_BITS) - 1)) as usize
    })
}

/// Fixed-base table of one base b: entry `[i][d-1] = b^(d * 2^(w i))` for windows `i < 26` and
/// digits `1 <= d < 2^w`, w = 10: 26598 elements (13 MiB). A 256-bit exponent then costs at
/// most 25 modular multiplications and no squaring (fixed-base windowing, Brickell, Gordon,
/// McCurley and Wilson; Handbook of Applied Cryptography §14.6.3, Alg. 14.109 with h = 2^w).
pub struct Table4096 {
    entries: Vec<Limbs>,
}

static ONE: LazyLock<Element4096> = LazyLock::new(|| Element4096(modp::one_element_form()));
static P_LIMBS: LazyLock<Limbs> = LazyLock::new(|| modp::limbs_of(&constants::constants().p));
static Q_LIMBS: LazyLock<[u64; 4]> = LazyLock::new(|| modp::exponent_limbs(&Q_U256.to_be_bytes()));

/// `x^q` on the process's backend, in element form.
fn pow_q(x: &Limbs) -> Limbs {
    with_kernel!(|k| k.store(&exp::pow_vartime(k, &k.load(x), &*Q_LIMBS)))
}

/// The fixed-base table entries of one base, in element form.
fn build_table<K: Kernel>(k: K, base: &Limbs) -> Vec<Limbs> {
    let mut entries = Vec::with_capacity(WINDOWS * DIGITS);
    // b_i = b^(2^(w i)): the window's unit.
    let mut unit = k.load(base);
    for _ in 0..WINDOWS {
        let mut x = unit.clone();
        entries.push(k.store(&x));
        for _ in 1..DIGITS {
            x = k.mul(&x, &unit);
            entries.push(k.store(&x));
        }
        // After the last digit, one more product gives b_i^(2^w) = b_{i+1}.
        unit = k.mul(&x, &unit);
    }
    entries
}

fn table_pow<K: Kernel>(k: K, table: &Table4096, e: &ScalarQ) -> Limbs {
    let bytes = e.to_bytes();
    let mut entries = window_digits(&bytes)
        .enumerate()
        .filter(|&(_, digit)| digit != 0)
        .map(|(window, digit)| &table.entries[window * DIGITS + digit - 1])
        .peekable();
    let mut acc: Option<K::W> = None;
    while let Some(entry) = entries.next() {
        // The next entry comes from memory while this one is multiplied in.
        if let Some(next) = entries.peek() {
            modp::prefetch(&next[..]);
        }
        let entry = k.load(entry);
        acc = Some(match acc {
            None => entry,
            Some(a) => k.mul(&a, &entry),
        });
    }
    acc.map_or_else(|| ONE.0, |a| k.store(&a))
}

impl Group for P4096 {
    type Scalar = ScalarQ;
    type Element = Element4096;
    type Table = Table4096;

    const NAME: &'static str = "P-4096 (ElectionGuard 2.0 standard group)";
    const ELEMENT_BYTES: usize = 512;

    fn generator() -> &'static Element4096 {
        &GENERATOR
    }

    fn identity() -> Element4096 {
        ONE.clone()
    }

    fn mul(a: &Element4096, b: &Element4096) -> Element4096 {
        Element4096(with_kernel!(
            |k| k.store(&k.mul(&k.load(&a.0), &k.load(&b.0)))
        ))
    }

    fn inv(a: &Element4096) -> Element4096 {
        // An element is a unit mod the prime p (it is never 0), so the inverse exists.
        let plain = a.to_integer();
        let inv = plain
            .invert_ref(&constants::constants().p)
            .expect("subgroup elements are units");
        Element4096(modp::to_element_form(&modp::limbs_of(&Integer::from(inv))))
    }

    fn pow(base: &Element4096, e: &ScalarQ) -> Element4096 {
        let mut limbs = e.to_limbs();
        let r = if Backend::current() == Backend::Gmp {
            // Secrets do not go through GMP even on its backend: the portable fixed-window
            // exponentiation is constant-time by construction and faster than mpz_powm_sec
            // (`entente bench`). Both backends hold elements in one form (R = 2^4096).
            let k = Portable;
            k.store(&exp::pow_secret(k, &k.load(&base.0), &limbs))
        } else {
            with_kernel!(|k| k.store(&exp::pow_secret(k, &k.load(&base.0), &limbs)))
        };
        limbs.zeroize();
        Element4096(r)
    }

    fn vartime_pow(base: &Element4096, e: &ScalarQ) -> Element4096 {
        if Backend::current() == Backend::Gmp {
            let r = base
                .to_integer()
                .pow_mod(&e.to_integer(), &constants::constants().p)
                .expect("exponent is non-negative");
            return Element4096(modp::to_element_form(&modp::limbs_of(&r)));
        }
        let limbs = e.to_limbs();
        Element4096(with_kernel!(|k| k.store(&exp::pow_vartime(
            k,
            &k.load(&base.0),
            &limbs
        ))))
    }

    fn vartime_g_pow(e: &ScalarQ) -> Element4096 {
        Self::vartime_table_pow(&G_TABLE, e)
    }

    fn table(base: &Element4096) -> Table4096 {
        Table4096 {
            entries: with_kernel!(|k| build_table(k, &base.0)),
        }
    }

    fn vartime_table_pow(table: &Table4096, e: &ScalarQ) -> Element4096 {
        Element4096(with_kernel!(|k| table_pow(k, table, e)))
    }

    fn vartime_multi_pow(terms: &[(&Element4096, &ScalarQ)]) -> Element4096 {
        match terms {
            [] => return Self::identity(),
            [(b, e)] => return Self::vartime_pow(b, e),
            _ => {}
        }
        Element4096(with_kernel!(|k| {
            let loaded: Vec<_> = terms
                .iter()
                .map(|(b, e)| (k.load(&b.0), e.to_limbs()))
                .collect();
            k.store(&exp::multi_pow_vartime(k, &loaded))
        }))
    }

    fn vartime_pow_many(base: &Element4096, exps: &[&ScalarQ]) -> Vec<Element4096> {
        Self::chain_powers(base, exps, false).0
    }

    fn vartime_pow_many_checked(base: &Element4096, exps: &[&ScalarQ]) -> Option<Vec<Element4096>> {
        let (powers, member) = Self::chain_powers(base, exps, true);
        member.then_some(powers)
    }

    fn write_element(e: &Element4096, out: &mut Vec<u8>) {
        // Big-endian, 512 bytes, leading zeros kept (spec 2.0 eq. (99)).
        let plain = modp::from_element_form(&e.0);
        out.reserve(Self::ELEMENT_BYTES);
        for limb in plain.iter().rev() {
            out.extend_from_slice(&limb.to_be_bytes());
        }
    }

    fn element_from_bytes(bytes: &[u8]) -> Result<Element4096, GroupError> {
        let x = Self::element_from_bytes_unchecked(bytes)?;
        if pow_q(&x.0) != ONE.0 {
            return Err(GroupError::NotInSubgroup);
        }
        Ok(x)
    }

    fn element_from_bytes_unchecked(bytes: &[u8]) -> Result<Element4096, GroupError> {
        if bytes.len() != Self::ELEMENT_BYTES {
            return Err(GroupError::Length {
                expected: Self::ELEMENT_BYTES,
                actual: bytes.len(),
            });
        }
        let mut plain = [0u64; modp::LIMBS];
        for (limb, chunk) in plain.iter_mut().zip(bytes.rchunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            *limb = u64::from_be_bytes(b);
        }
        if plain.iter().all(|&l| l == 0) || !modp::less_than(&plain, &P_LIMBS) {
            return Err(GroupError::ElementRange);
        }
        Ok(Element4096(modp::to_element_form(&plain)))
    }

    /// Z_p^* = Z_2 × Z_q × Z_r' with r' = (p-1)/2q prime (spec 2.0 §3.1.1): the Jacobi symbol
    /// removes the order-2 part, then y = prod x_i^{e_i} with random 128-bit e_i must satisfy
    /// y^q = 1, which fails with probability at least 1 - 2^-127 when any x_i has a component of
    /// order r' (docs/spec-notes.md). The product is a Pippenger bucket multi-exponentiation
    /// (`exp::multi_pow_u128`).
    fn batch_is_member<R: CryptoRng + RngCore + ?Sized>(
        elements: &[&Element4096],
        rng: &mut R,
    ) -> bool {
        let c = constants::constants();
        if elements.iter().any(|x| x.to_integer().jacobi(&c.p) != 1) {
            return false;
        }
        match elements {
            [] => return true,
            // One element: the plain check is cheaper than a batch.
            [x] => return pow_q(&x.0) == ONE.0,
            _ => {}
        }
        let exps: Vec<u128> = elements
            .iter()
            .map(|_| {
                loop {
                    let mut b = [0u8; 16];
                    rng.fill_bytes(&mut b);
                    let e = u128::from_le_bytes(b);
                    if e != 0 {
                        break e;
                    }
                }
            })
            .collect();
        let y = with_kernel!(|k| {
            let loaded: Vec<_> = elements.iter().map(|x| k.load(&x.0)).collect();
            k.store(&exp::multi_pow_u128(k, &loaded, &exps))
        });
        pow_q(&y) == ONE.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_digits_recompose_the_exponent() {
        let q_minus_1 = ScalarQ::zero().sub(&ScalarQ::one());
        let mut top = [0u8; 32];
        top[0] = 0x80;
        for e in [
            ScalarQ::zero(),
            ScalarQ::one(),
            ScalarQ::from_u64(0x3ff),
            ScalarQ::from_u64(0x400),
            q_minus_1,
            ScalarQ::from_canonical_bytes(&top).unwrap(),
        ] {
            let mut sum = Integer::new();
            for (i, d) in window_digits(&e.to_bytes()).enumerate() {
                assert!(d < 1 << WINDOW_BITS);
                sum += Integer::from(d) << (i * WINDOW_BITS) as u32;
            }
            assert_eq!(sum, e.to_integer(), "{e:?}");
        }
    }

    #[test]
    fn table_pow_at_the_edges() {
        let g = P4096::generator();
        let q_minus_1 = ScalarQ::zero().sub(&ScalarQ::one());
        for e in [ScalarQ::one(), ScalarQ::from_u64(1 << 10), q_minus_1] {
            assert_eq!(P4096::vartime_g_pow(&e), P4096::vartime_pow(g, &e));
        }
        // g^(q-1) = g^-1.
        assert_eq!(P4096::vartime_g_pow(&q_minus_1), P4096::inv(g));
    }
}
