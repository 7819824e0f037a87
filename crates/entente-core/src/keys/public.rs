//! A guardian's published key: its commitments with their proofs, and the same once checked.

use super::SchnorrProof;

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
pub struct VerifiedGuardianKey<G: entente_group::Group>(pub(super) GuardianPublicKey<G>);

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
