//! The key ceremony, spec 2.0 §3.2: each guardian's secret polynomial and its commitments
//! with Schnorr proofs, the verifiable sharing of the polynomials among the guardians, the
//! joint election key K and the extended base hash H_E.
//!
//! The guardian's secrets ([`Guardian`]) and what is published ([`Ceremony`]) are separate
//! types: a guardian's process holds the first, the board the second.

mod ceremony;
mod error;
mod guardian;
mod json;
mod polynomial;
mod schnorr;
mod share;
pub mod store;

pub use ceremony::{Ceremony, JointKey, run_local};
pub use error::{ComplaintReason, KeyError};
pub use guardian::Guardian;
pub use json::{ShareJson, SharesJson};
pub use polynomial::SecretPolynomial;
pub use schnorr::SchnorrProof;
pub use share::{EncryptedShare, RevealedShare};

use entente_record::{HashValue, Revision};

/// Everything the key-ceremony hashes are bound to: the parameter base hash H_P and the byte
/// layout in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyContext {
    /// The hash layout (spec 2.0.0, or egk's draft for its published test vectors).
    pub revision: Revision,
    /// The parameter base hash H_P (spec 2.0 §3.1.2).
    pub h_p: HashValue,
}

impl KeyContext {
    /// Spec 2.0.0 with the standard parameters.
    pub fn standard() -> Self {
        Self {
            revision: Revision::V2_0_0,
            h_p: entente_record::params::standard_parameter_base_hash(),
        }
    }
}

/// The number of guardians n and the quorum k, with 1 <= k <= n < 2^31 (spec 2.0 §3.2, §5.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quorum {
    n: u32,
    k: u32,
}

impl Quorum {
    /// Checks 1 <= k <= n and that indices fit the spec's 31-bit bound.
    pub fn new(n: u32, k: u32) -> Result<Self, KeyError> {
        if n == 0 || n >= 1 << 31 {
            return Err(KeyError::GuardianCount { n });
        }
        if k == 0 || k > n {
            return Err(KeyError::QuorumRange { n, k });
        }
        Ok(Self { n, k })
    }
    /// The number of guardians n.
    pub fn guardians(&self) -> u32 {
        self.n
    }
    /// The quorum k.
    pub fn quorum(&self) -> u32 {
        self.k
    }
    /// Checks that `index` names a guardian: 1 <= index <= n.
    pub fn check_index(&self, index: u32) -> Result<(), KeyError> {
        if index == 0 || index > self.n {
            return Err(KeyError::IndexRange { index, n: self.n });
        }
        Ok(())
    }
}

/// A guardian's public key record: commitments K_{i,j} to its coefficients (eq. (10)) with
/// their Schnorr proofs (eq. (11), (12)), as published. Not yet checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardianPublicKey<G: entente_group::Group> {
    /// The guardian's index i (its x-coordinate).
    pub index: u32,
    /// K_{i,0}, …, K_{i,k-1}; K_{i,0} = K_i is the guardian's public key.
    pub commitments: Vec<G::Element>,
    /// One proof of knowledge per commitment.
    pub proofs: Vec<SchnorrProof<G>>,
}

/// A guardian public key whose proofs hold (spec 2.0 Verification 2 and 3.A).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedGuardianKey<G: entente_group::Group>(GuardianPublicKey<G>);

impl<G: entente_group::Group> VerifiedGuardianKey<G> {
    /// The guardian's index i.
    pub fn index(&self) -> u32 {
        self.0.index
    }
    /// K_i = K_{i,0}.
    pub fn public_key(&self) -> &G::Element {
        &self.0.commitments[0]
    }
    /// The commitments K_{i,0..k}.
    pub fn commitments(&self) -> &[G::Element] {
        &self.0.commitments
    }
    /// The published record, proofs included.
    pub fn record(&self) -> &GuardianPublicKey<G> {
        &self.0
    }
    /// g^{P_i(x)} from the commitments alone, spec 2.0 eq. (13): prod_j K_{i,j}^{x^j mod q}.
    pub fn commitment_at(&self, x: u32) -> G::Element {
        use entente_group::Scalar;
        let x = G::Scalar::from_u64(u64::from(x));
        let mut power = G::Scalar::one();
        let mut exps = Vec::with_capacity(self.0.commitments.len());
        for _ in &self.0.commitments {
            exps.push(power.clone());
            power = power.mul(&x);
        }
        let terms: Vec<(&G::Element, &G::Scalar)> =
            self.0.commitments.iter().zip(exps.iter()).collect();
        G::vartime_multi_pow(&terms)
    }
}
