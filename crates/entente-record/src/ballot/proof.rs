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
        if self.pairs.is_empty() {
            return Err(RecordError::EmptyProof);
        }
        let commitments: Vec<(G::Element, G::Element)> = self
            .pairs
            .iter()
            .enumerate()
            .map(|(j, p)| {
                let a = G::mul(
                    &G::vartime_g_pow(&p.response),
                    &G::vartime_pow(&ct.alpha, &p.challenge),
                );
                let w = p
                    .response
                    .sub(&G::Scalar::from_u64(j as u64).mul(&p.challenge));
                let b = G::mul(&key.pow(&w), &G::vartime_pow(&ct.beta, &p.challenge));
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
