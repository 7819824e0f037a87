//! Exponential ElGamal under the joint key K, spec 2.0 §3.3.1 eq. (24).

use entente_group::{Group, Scalar};

/// (α, β) = (g^ξ, K^(σ+ξ)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ciphertext<G: Group> {
    /// α = g^ξ (the records' "pad").
    pub alpha: G::Element,
    /// β = K^(σ+ξ) (the records' "data").
    pub beta: G::Element,
}

impl<G: Group> Ciphertext<G> {
    /// The component-wise product: an encryption of the sum (spec 2.0 §3.3.1, §3.5 eq. (62)).
    pub fn add(&self, other: &Self) -> Self {
        Self {
            alpha: G::mul(&self.alpha, &other.alpha),
            beta: G::mul(&self.beta, &other.beta),
        }
    }

    /// The encryption of 0 with nonce 0, the neutral element of [`Ciphertext::add`].
    pub fn zero() -> Self {
        Self {
            alpha: G::identity(),
            beta: G::identity(),
        }
    }
}

/// The joint key with its fixed-base table, and the extended base hash: what an encryption
/// device needs (spec 2.0 Note 3.4: every exponentiation of encryption has base g or K).
pub struct PublicKey<G: Group> {
    key: G::Element,
    table: G::Table,
}

impl<G: Group> PublicKey<G> {
    /// Builds K's table (once per process; see `entente bench` for its cost).
    pub fn new(key: G::Element) -> Self {
        let table = G::table(&key);
        Self { key, table }
    }

    /// K.
    pub fn element(&self) -> &G::Element {
        &self.key
    }

    /// K^e from the table.
    pub fn pow(&self, e: &G::Scalar) -> G::Element {
        G::vartime_table_pow(&self.table, e)
    }

    /// Enc(σ, ξ) = (g^ξ, K^(σ+ξ)), eq. (24).
    ///
    /// The nonce is secret but the tables are variable-time; spec 2.0 Note 3.4 recommends the
    /// tables, and every implementation we know of uses them (docs/spec-notes.md).
    pub fn encrypt(&self, vote: u64, nonce: &G::Scalar) -> Ciphertext<G> {
        Ciphertext {
            alpha: G::vartime_g_pow(nonce),
            beta: self.pow(&nonce.add(&G::Scalar::from_u64(vote))),
        }
    }
}
