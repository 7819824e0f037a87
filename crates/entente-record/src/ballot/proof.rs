//! Disjunctive Chaum-Pedersen range proofs: the published form, the challenge of spec 2.0
//! eq. (46) / (56), and their check (Verifications 5 and 6). Proving is in `entente-core`.

use entente_group::{Group, Scalar};

use super::{Ciphertext, PublicKey};
use crate::RecordError;
use crate::{HashValue, Hasher};

/// The domain-separation byte of the range-proof challenge, eq. (46), (56).
const RANGE_CHALLENGE: u8 = 0x21;

/// One (c_j, v_j) pair of a range proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofPair<S> {
    /// The challenge c_j.
    pub challenge: S,
    /// The response v_j.
    pub response: S,
}

/// A proof that a ciphertext encrypts one of 0, 1, …, R: R + 1 challenge/response pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeProof<G: Group> {
    /// (c_j, v_j) for j = 0..=R.
    pub pairs: Vec<ProofPair<G::Scalar>>,
}

/// c = H(H_E; 0x21, K, α, β, a_0, b_0, …, a_R, b_R), eq. (46) / (56).
pub fn range_challenge<G: Group>(
    h_e: &HashValue,
    k: &G::Element,
    ct: &Ciphertext<G>,
    commitments: &[(G::Element, G::Element)],
) -> G::Scalar {
    let mut h = Hasher::new(h_e.as_bytes(), RANGE_CHALLENGE)
        .element::<G>(k)
        .element::<G>(&ct.alpha)
        .element::<G>(&ct.beta);
    for (a, b) in commitments {
        h = h.element::<G>(a).element::<G>(b);
    }
    h.finish().to_scalar()
}

impl<G: Group> RangeProof<G> {
    /// Verification 5 / 6: with a_j = g^{v_j} α^{c_j}, b_j = K^{w_j} β^{c_j}, w_j = v_j - j c_j,
    /// the challenges sum to H(H_E; 0x21, K, α, β, a_0, b_0, …) mod q. The limit R is the
    /// number of pairs less one, which the caller checks against the manifest.
    pub fn verify(
        &self,
        h_e: &HashValue,
        key: &PublicKey<G>,
        ct: &Ciphertext<G>,
    ) -> Result<(), RecordError> {
        // α and β are each raised to every c_j: one squaring chain per base.
        let challenges: Vec<&G::Scalar> = self.pairs.iter().map(|p| &p.challenge).collect();
        let alpha_c = G::vartime_pow_many(&ct.alpha, &challenges);
        let beta_c = G::vartime_pow_many(&ct.beta, &challenges);
        self.verify_with(h_e, key, ct, &alpha_c, &beta_c)
    }

    /// [`RangeProof::verify`] of a ciphertext decoded without its membership check
    /// (`Group::element_from_bytes_unchecked`), with that check done exactly by the same chains
    /// that raise α and β to the challenges (`Group::vartime_pow_many_checked`): Verification
    /// 5.A / 6.A and 5.B–5.D / 6.B–6.D for little more than the proof alone.
    pub fn verify_checked(
        &self,
        h_e: &HashValue,
        key: &PublicKey<G>,
        ct: &Ciphertext<G>,
    ) -> Result<(), RecordError> {
        let challenges: Vec<&G::Scalar> = self.pairs.iter().map(|p| &p.challenge).collect();
        let not_in_group = |path: &str| RecordError::NotInGroup { path: path.into() };
        let alpha_c = G::vartime_pow_many_checked(&ct.alpha, &challenges)
            .ok_or_else(|| not_in_group("pad"))?;
        let beta_c = G::vartime_pow_many_checked(&ct.beta, &challenges)
            .ok_or_else(|| not_in_group("data"))?;
        self.verify_with(h_e, key, ct, &alpha_c, &beta_c)
    }

    /// The check of eq. (46) / (56) from α^{c_j} and β^{c_j}.
    fn verify_with(
        &self,
        h_e: &HashValue,
        key: &PublicKey<G>,
        ct: &Ciphertext<G>,
        alpha_c: &[G::Element],
        beta_c: &[G::Element],
    ) -> Result<(), RecordError> {
        if self.pairs.is_empty() {
            return Err(RecordError::EmptyProof);
        }
        let commitments: Vec<(G::Element, G::Element)> = self
            .pairs
            .iter()
            .zip(alpha_c.iter().zip(beta_c))
            .enumerate()
            .map(|(j, (p, (alpha_cj, beta_cj)))| {
                let a = G::mul(&G::vartime_g_pow(&p.response), alpha_cj);
                let w = p
                    .response
                    .sub(&G::Scalar::from_u64(j as u64).mul(&p.challenge));
                let b = G::mul(&key.pow(&w), beta_cj);
                (a, b)
            })
            .collect();
        let c = range_challenge::<G>(h_e, key.element(), ct, &commitments);
        let sum = self
            .pairs
            .iter()
            .fold(G::Scalar::zero(), |acc, p| acc.add(&p.challenge));
        if sum == c {
            Ok(())
        } else {
            Err(RecordError::ProofFails)
        }
    }

    /// R, the largest value this proof allows.
    pub fn limit(&self) -> u32 {
        self.pairs.len().saturating_sub(1) as u32
    }
}
