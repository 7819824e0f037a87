//! The two traits that protocol code is written against.

use std::fmt::Debug;

use rand::{CryptoRng, RngCore};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::GroupError;

/// An integer modulo the group order `q`, encoded in 32 bytes big-endian (spec 2.0 §5.1.2).
///
/// Arithmetic is constant-time: the same type carries secrets (polynomial coefficients, key
/// shares, nonces) and public values (challenges, responses).
pub trait Scalar: Clone + Eq + Debug + Send + Sync + Zeroize + 'static {
    /// Length of the canonical encoding in bytes.
    const BYTES: usize = 32;

    /// 0.
    fn zero() -> Self;
    /// 1.
    fn one() -> Self;
    /// A small non-negative integer, reduced mod q.
    fn from_u64(v: u64) -> Self;
    /// `self + rhs mod q`.
    fn add(&self, rhs: &Self) -> Self;
    /// `self - rhs mod q`.
    fn sub(&self, rhs: &Self) -> Self;
    /// `self * rhs mod q`.
    fn mul(&self, rhs: &Self) -> Self;
    /// `-self mod q`.
    fn neg(&self) -> Self {
        Self::zero().sub(self)
    }
    /// Whether this is 0 (constant-time).
    fn is_zero(&self) -> bool;
    /// Uniformly random in `[0, q)`.
    fn random<R: CryptoRng + RngCore + ?Sized>(rng: &mut R) -> Self;
    /// Uniformly random in `[1, q)`: the range of secret coefficients (spec 2.0 §3.2.2).
    fn random_nonzero<R: CryptoRng + RngCore + ?Sized>(rng: &mut R) -> Self {
        loop {
            let s = Self::random(rng);
            if !s.is_zero() {
                return s;
            }
        }
    }
    /// A hash output read as a 256-bit integer and reduced mod q (spec 2.0 §5.4: hash outputs
    /// are only reduced when they enter arithmetic mod q).
    fn from_hash(bytes: &[u8; 32]) -> Self;
    /// The canonical encoding: exactly 32 bytes, big-endian, value below q.
    fn from_canonical_bytes(bytes: &[u8]) -> Result<Self, GroupError>;
    /// 32 bytes, big-endian.
    fn to_bytes(&self) -> [u8; 32];
    /// Upper-case hex, 64 digits.
    fn to_hex(&self) -> String {
        crate::hex::encode(&self.to_bytes())
    }
    /// From 64 hex digits (either case), canonical.
    fn from_hex(text: &str) -> Result<Self, GroupError> {
        Self::from_canonical_bytes(&crate::hex::decode_exact(text, 32)?)
    }
}

/// A prime-order group in multiplicative notation, as the ElectionGuard specification writes it.
///
/// All functions are associated (no `self`): a group's constants are fixed by its definition.
pub trait Group: Sized + Copy + Debug + Eq + Send + Sync + 'static {
    /// Integers mod the group order.
    type Scalar: Scalar;
    /// Group elements. Values of this type are always valid members of the group: the only way
    /// to build one from outside is [`Group::element_from_bytes`], which checks.
    type Element: Clone + Eq + Debug + Send + Sync + 'static;
    /// Precomputation for repeated exponentiation of one long-lived base (g, the joint key K).
    type Table: Send + Sync;

    /// A short name for reports and benchmarks.
    const NAME: &'static str;
    /// Length of an element's canonical encoding in bytes (spec 2.0 §5.1.1: `l_p`).
    const ELEMENT_BYTES: usize;

    /// The generator g.
    fn generator() -> &'static Self::Element;
    /// The identity element.
    fn identity() -> Self::Element;
    /// The group operation.
    fn mul(a: &Self::Element, b: &Self::Element) -> Self::Element;
    /// The inverse of an element.
    fn inv(a: &Self::Element) -> Self::Element;

    /// `base^e` for a **secret** exponent, in time independent of `e`.
    fn pow(base: &Self::Element, e: &Self::Scalar) -> Self::Element;
    /// `g^e` for a **secret** exponent, in time independent of `e`.
    fn g_pow(e: &Self::Scalar) -> Self::Element {
        Self::pow(Self::generator(), e)
    }
    /// `base^e` for a public exponent.
    fn vartime_pow(base: &Self::Element, e: &Self::Scalar) -> Self::Element;
    /// `g^e` for a public exponent, from a fixed-base table built once per process.
    fn vartime_g_pow(e: &Self::Scalar) -> Self::Element;
    /// Builds the fixed-base table of a long-lived base.
    fn table(base: &Self::Element) -> Self::Table;
    /// `base^e` from the base's table, for a public exponent.
    fn vartime_table_pow(table: &Self::Table, e: &Self::Scalar) -> Self::Element;
    /// `prod base_i^e_i` computed simultaneously, for public exponents.
    fn vartime_multi_pow(terms: &[(&Self::Element, &Self::Scalar)]) -> Self::Element;
    /// `base^e` for each public exponent of `exps`, the work they have in common done once.
    fn vartime_pow_many(base: &Self::Element, exps: &[&Self::Scalar]) -> Vec<Self::Element>;
    /// [`Group::vartime_pow_many`] of a base decoded without its membership check
    /// ([`Group::element_from_bytes_unchecked`]), with that check done on the way: `None` when
    /// the base is not in the order-q subgroup. Exact, not probabilistic.
    fn vartime_pow_many_checked(
        base: &Self::Element,
        exps: &[&Self::Scalar],
    ) -> Option<Vec<Self::Element>>;

    /// The canonical fixed-width encoding, appended to `out`.
    fn write_element(e: &Self::Element, out: &mut Vec<u8>);
    /// Decodes a canonical encoding and checks group membership.
    fn element_from_bytes(bytes: &[u8]) -> Result<Self::Element, GroupError>;

    /// Decodes an element checking its encoding and range only, not its membership in the
    /// order-q subgroup: for a reader that proves the membership of many elements at once with
    /// [`Group::batch_is_member`] before it lets any of them out. Everywhere else use
    /// [`Group::element_from_bytes`].
    fn element_from_bytes_unchecked(bytes: &[u8]) -> Result<Self::Element, GroupError>;

    /// Whether every element is in the order-q subgroup, in one randomized test (the
    /// small-exponent batch test): a non-member passes with probability at most 2^-127, over the
    /// random exponents drawn from `rng` (the argument is in docs/spec-notes.md).
    fn batch_is_member<R: CryptoRng + RngCore + ?Sized>(
        elements: &[&Self::Element],
        rng: &mut R,
    ) -> bool;

    /// The canonical encoding as a new vector.
    fn element_to_bytes(e: &Self::Element) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::ELEMENT_BYTES);
        Self::write_element(e, &mut out);
        out
    }
    /// Upper-case hex of the canonical encoding.
    fn element_to_hex(e: &Self::Element) -> String {
        crate::hex::encode(&Self::element_to_bytes(e))
    }
    /// Decodes upper- or lower-case hex of the canonical encoding and checks membership.
    fn element_from_hex(text: &str) -> Result<Self::Element, GroupError> {
        Self::element_from_bytes(&crate::hex::decode_exact(text, Self::ELEMENT_BYTES)?)
    }
    /// `base^n` for a small public integer `n` (spec 2.0 eq. (13) and (21) raise commitments to
    /// powers of guardian indices).
    fn vartime_pow_u64(base: &Self::Element, n: u64) -> Self::Element {
        Self::vartime_pow(base, &Self::Scalar::from_u64(n))
    }
}

/// A scalar that is a secret: zeroized on drop, never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct SecretScalar<S: Scalar>(S);

impl<S: Scalar> SecretScalar<S> {
    /// Takes ownership of a secret value.
    pub fn new(s: S) -> Self {
        Self(s)
    }
    /// Draws a uniformly random secret in `[1, q)`.
    pub fn random_nonzero<R: CryptoRng + RngCore + ?Sized>(rng: &mut R) -> Self {
        Self(S::random_nonzero(rng))
    }
    /// The secret value, for the computation that needs it.
    pub fn expose(&self) -> &S {
        &self.0
    }
}

impl<S: Scalar> Debug for SecretScalar<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretScalar(<redacted>)")
    }
}
