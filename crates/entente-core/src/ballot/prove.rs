//! Proving a disjunctive Chaum-Pedersen range proof, spec 2.0 §3.3.5 eq. (44)–(48), and for a
//! contest total §3.3.8 eq. (56).

use entente_group::{Group, Scalar};
use entente_record::HashValue;
use entente_record::RecordError;
use entente_record::ballot::{Ciphertext, ProofPair, PublicKey, RangeProof, range_challenge};
use rand::{CryptoRng, RngCore};

/// The nonces of one proof: u_j for every j, and c_j for every j but the true one (whose entry
/// is ignored). Random in production; given by the test vectors.
pub struct ProofNonces<S> {
    /// u_0..u_R.
    pub u: Vec<S>,
    /// c_0..c_R (the entry at ℓ is not used).
    pub c: Vec<S>,
}

impl<S: Scalar> ProofNonces<S> {
    /// Fresh random nonces for a range 0..=R.
    pub fn random<R: CryptoRng + RngCore + ?Sized>(limit: u32, rng: &mut R) -> Self {
        let n = limit as usize + 1;
        Self {
            u: (0..n).map(|_| S::random(rng)).collect(),
            c: (0..n).map(|_| S::random(rng)).collect(),
        }
    }
}

/// Proves that `ct` = Enc(ℓ, ξ) with 0 <= ℓ <= R (eq. (44)–(48)).
pub fn prove_range<G: Group>(
    h_e: &HashValue,
    key: &PublicKey<G>,
    ct: &Ciphertext<G>,
    value: u32,
    limit: u32,
    nonce: &G::Scalar,
    nonces: &ProofNonces<G::Scalar>,
) -> Result<RangeProof<G>, RecordError> {
    let n = limit as usize + 1;
    if value > limit {
        return Err(RecordError::OutOfRange { value, limit });
    }
    if nonces.u.len() != n || nonces.c.len() != n {
        return Err(RecordError::ProofNonces {
            expected: n,
            actual: nonces.u.len().min(nonces.c.len()),
        });
    }
    let l = value as usize;
    let commitments: Vec<(G::Element, G::Element)> = (0..n)
        .map(|j| {
            let u = &nonces.u[j];
            if j == l {
                // eq. (44)
                (G::vartime_g_pow(u), key.pow(u))
            } else {
                // eq. (45): t_j = u_j + (ℓ - j) c_j
                let shift = G::Scalar::from_u64(l as u64).sub(&G::Scalar::from_u64(j as u64));
                let t = u.add(&shift.mul(&nonces.c[j]));
                (G::vartime_g_pow(u), key.pow(&t))
            }
        })
        .collect();
    let c = range_challenge::<G>(h_e, key.element(), ct, &commitments);
    // eq. (47): c_ℓ = c - sum of the other c_j.
    let others = (0..n)
        .filter(|&j| j != l)
        .fold(G::Scalar::zero(), |acc, j| acc.add(&nonces.c[j]));
    let c_l = c.sub(&others);
    let pairs = (0..n)
        .map(|j| {
            let cj = if j == l {
                c_l.clone()
            } else {
                nonces.c[j].clone()
            };
            // eq. (48): v_j = u_j - c_j ξ
            let v = nonces.u[j].sub(&cj.mul(nonce));
            ProofPair {
                challenge: cj,
                response: v,
            }
        })
        .collect();
    Ok(RangeProof { pairs })
}
