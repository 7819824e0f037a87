//! Verifiable threshold decryption, spec 2.0 §3.6.1–§3.6.3: each present guardian computes its
//! partial decryption M_i = A^{P(i)} with a commitment, the combination weighs them with the
//! Lagrange coefficients of the present set, the guardians answer one joint challenge, and each
//! answer is checked against the guardian's public share g^{P(i)} before it is accepted.
//!
//! With key shares P(i) (eq. (65)), a quorum decrypts directly: absent guardians need no
//! reconstruction, and no secret — the joint one or an absent guardian's — is ever formed.

mod dlog;

pub use dlog::DlogTable;

use std::collections::BTreeMap;

use entente_group::{Group, Scalar, SecretScalar};
use entente_record::HashValue;
use entente_record::ballot::{Ciphertext, Decryption, PublicKey, decryption_challenge};
use rand::{CryptoRng, RngCore};
use thiserror::Error;

use crate::keys::VerifiedGuardianKey;

/// Why a decryption could not be completed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecryptError {
    /// Fewer guardians than the quorum.
    #[error("{present} guardians present, the quorum is {quorum}: {} more needed", quorum - present)]
    NotEnoughGuardians {
        /// Present.
        present: usize,
        /// k.
        quorum: usize,
    },
    /// A guardian the election does not know.
    #[error("guardian {0} is not a guardian of this election")]
    UnknownGuardian(u32),
    /// A guardian twice.
    #[error("guardian {0} is present twice")]
    DuplicateGuardian(u32),
    /// A response that does not match the guardian's commitment (eq. (74), (75)).
    #[error("guardian {0}'s decryption share fails its proof (eq. (74)/(75))")]
    BadShare(u32),
    /// A response from a guardian who sent no commitment, or none from one who did.
    #[error("guardian {0}: commitment and response do not pair up")]
    Unpaired(u32),
    /// The value is not below the bound.
    #[error("the decrypted value is not in 0..={bound} (not a tally of these ballots)")]
    OutOfBound {
        /// The bound searched.
        bound: u64,
    },
}

/// w_i = prod_{l in U, l != i} l / (l - i) mod q, eq. (67).
pub fn lagrange_coefficient<S: Scalar>(i: u32, present: &[u32]) -> S {
    let (num, den) =
        present
            .iter()
            .filter(|&&l| l != i)
            .fold((S::one(), S::one()), |(num, den), &l| {
                let l_s = S::from_u64(u64::from(l));
                (num.mul(&l_s), den.mul(&l_s.sub(&S::from_u64(u64::from(i)))))
            });
    num.mul(&invert(&den))
}

/// x^-1 = x^(q-2) mod q (Fermat); x is a product of differences of distinct indices, never 0.
fn invert<S: Scalar>(x: &S) -> S {
    let q_minus_2 = S::from_u64(2).neg().to_bytes();
    let mut acc = S::one();
    for byte in q_minus_2 {
        for bit in (0..8).rev() {
            acc = acc.mul(&acc);
            if (byte >> bit) & 1 == 1 {
                acc = acc.mul(x);
            }
        }
    }
    acc
}

/// g^{P(i)} from every guardian's commitments, eq. (13) summed over the guardians as in
/// eq. (74): what a guardian's decryption share is checked against.
pub fn share_public_key<G: Group>(guardians: &[VerifiedGuardianKey<G>], i: u32) -> G::Element {
    guardians
        .iter()
        .fold(G::identity(), |acc, g| G::mul(&acc, &g.commitment_at(i)))
}

/// A guardian's first message for one ciphertext: M_i = A^{P(i)} (eq. (66)) and its commitment
/// (a_i, b_i) = (g^{u_i}, A^{u_i}) (eq. (69)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialDecryption<G: Group> {
    /// i.
    pub guardian: u32,
    /// M_i.
    pub share: G::Element,
    /// a_i.
    pub a: G::Element,
    /// b_i.
    pub b: G::Element,
}

/// A guardian at decryption: its index and key share P(i), in its own process.
pub struct DecryptingGuardian<G: Group> {
    index: u32,
    share: SecretScalar<G::Scalar>,
}

impl<G: Group> DecryptingGuardian<G> {
    /// A guardian with its key share P(i) (eq. (65)).
    pub fn new(index: u32, share: SecretScalar<G::Scalar>) -> Self {
        Self { index, share }
    }

    /// i.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// Round 1: M_i and the commitment; the nonce u_i stays with the guardian. Constant-time:
    /// P(i) and u_i are secrets.
    pub fn commit<R: CryptoRng + RngCore + ?Sized>(
        &self,
        ct: &Ciphertext<G>,
        rng: &mut R,
    ) -> (PartialDecryption<G>, SecretScalar<G::Scalar>) {
        let u = SecretScalar::new(G::Scalar::random(rng));
        let partial = PartialDecryption {
            guardian: self.index,
            share: G::pow(&ct.alpha, self.share.expose()),
            a: G::g_pow(u.expose()),
            b: G::pow(&ct.alpha, u.expose()),
        };
        (partial, u)
    }

    /// Round 2: v_i = u_i - c_i P(i) (eq. (73)).
    pub fn respond(&self, nonce: SecretScalar<G::Scalar>, challenge: &G::Scalar) -> G::Scalar {
        nonce.expose().sub(&challenge.mul(self.share.expose()))
    }
}

/// The public side of a decryption: the election's H_E and K, every guardian's public share
/// g^{P(i)}, and the quorum.
pub struct Combiner<'a, G: Group> {
    /// H_E.
    pub h_e: HashValue,
    /// K with its table.
    pub key: &'a PublicKey<G>,
    /// g^{P(i)} by guardian index.
    pub share_keys: BTreeMap<u32, G::Element>,
    /// k.
    pub quorum: usize,
}

/// Round 1's outcome: M, the challenge c, and each present guardian's c_i = c w_i (eq. (72)).
pub struct Challenge<G: Group> {
    m: G::Element,
    c: G::Scalar,
    /// c_i by guardian.
    pub per_guardian: BTreeMap<u32, G::Scalar>,
}

impl<G: Group> Combiner<'_, G> {
    /// M = prod M_i^{w_i} over the present guardians, eq. (67), (68): checks that the set is a
    /// quorum of known guardians, each once.
    pub fn combine(&self, partials: &[PartialDecryption<G>]) -> Result<G::Element, DecryptError> {
        let present = self.present(partials)?;
        let weights: Vec<G::Scalar> = present
            .iter()
            .map(|&i| lagrange_coefficient(i, &present))
            .collect();
        let terms: Vec<(&G::Element, &G::Scalar)> =
            partials.iter().map(|p| &p.share).zip(&weights).collect();
        Ok(G::vartime_multi_pow(&terms))
    }

    fn present(&self, partials: &[PartialDecryption<G>]) -> Result<Vec<u32>, DecryptError> {
        let mut present: Vec<u32> = Vec::with_capacity(partials.len());
        for p in partials {
            if !self.share_keys.contains_key(&p.guardian) {
                return Err(DecryptError::UnknownGuardian(p.guardian));
            }
            if present.contains(&p.guardian) {
                return Err(DecryptError::DuplicateGuardian(p.guardian));
            }
            present.push(p.guardian);
        }
        if present.len() < self.quorum {
            return Err(DecryptError::NotEnoughGuardians {
                present: present.len(),
                quorum: self.quorum,
            });
        }
        Ok(present)
    }

    /// Combines the present guardians' partial decryptions (eq. (67), (68), (70)) and forms the
    /// joint challenge (eq. (71), (72)).
    pub fn challenge(
        &self,
        ct: &Ciphertext<G>,
        partials: &[PartialDecryption<G>],
    ) -> Result<Challenge<G>, DecryptError> {
        let present = self.present(partials)?;
        let weights: Vec<G::Scalar> = present
            .iter()
            .map(|&i| lagrange_coefficient(i, &present))
            .collect();
        let m = self.combine(partials)?;
        let a = partials
            .iter()
            .fold(G::identity(), |acc, p| G::mul(&acc, &p.a));
        let b = partials
            .iter()
            .fold(G::identity(), |acc, p| G::mul(&acc, &p.b));
        let c = decryption_challenge::<G>(&self.h_e, self.key.element(), ct, &a, &b, &m);
        let per_guardian = present
            .iter()
            .zip(&weights)
            .map(|(&i, w)| (i, c.mul(w)))
            .collect();
        Ok(Challenge { m, c, per_guardian })
    }

    /// Checks every response (eq. (74), (75)), sums them (eq. (76)), and finds t with
    /// T = B M^-1 = K^t in 0..=`bound` (§3.6).
    pub fn finish(
        &self,
        ct: &Ciphertext<G>,
        partials: &[PartialDecryption<G>],
        challenge: &Challenge<G>,
        responses: &BTreeMap<u32, G::Scalar>,
        dlog: &DlogTable<G>,
    ) -> Result<Decryption<G>, DecryptError> {
        let mut v = G::Scalar::zero();
        for p in partials {
            let (Some(c_i), Some(v_i)) = (
                challenge.per_guardian.get(&p.guardian),
                responses.get(&p.guardian),
            ) else {
                return Err(DecryptError::Unpaired(p.guardian));
            };
            let share_key = self
                .share_keys
                .get(&p.guardian)
                .ok_or(DecryptError::UnknownGuardian(p.guardian))?;
            let a = G::mul(&G::vartime_g_pow(v_i), &G::vartime_pow(share_key, c_i));
            let b = G::mul(
                &G::vartime_pow(&ct.alpha, v_i),
                &G::vartime_pow(&p.share, c_i),
            );
            if a != p.a || b != p.b {
                return Err(DecryptError::BadShare(p.guardian));
            }
            v = v.add(v_i);
        }
        if responses.len() != partials.len() {
            let stray = responses
                .keys()
                .find(|i| !challenge.per_guardian.contains_key(i))
                .copied()
                .unwrap_or(0);
            return Err(DecryptError::Unpaired(stray));
        }
        let k_to_t = G::mul(&ct.beta, &G::inv(&challenge.m));
        let value = dlog.find(&k_to_t).ok_or(DecryptError::OutOfBound {
            bound: dlog.bound(),
        })?;
        Ok(Decryption {
            value,
            k_to_t,
            challenge: challenge.c.clone(),
            response: v,
        })
    }
}

/// Both rounds in one process (the demo, tests, test vectors): every present guardian commits,
/// the combiner challenges, every guardian answers, the combiner checks and combines.
pub fn decrypt_in_process<G: Group, R: CryptoRng + RngCore + ?Sized>(
    combiner: &Combiner<'_, G>,
    guardians: &[DecryptingGuardian<G>],
    ct: &Ciphertext<G>,
    dlog: &DlogTable<G>,
    rng: &mut R,
) -> Result<Decryption<G>, DecryptError> {
    let mut partials = Vec::with_capacity(guardians.len());
    let mut nonces = Vec::with_capacity(guardians.len());
    for g in guardians {
        let (p, u) = g.commit(ct, rng);
        partials.push(p);
        nonces.push(u);
    }
    let challenge = combiner.challenge(ct, &partials)?;
    let responses = guardians
        .iter()
        .zip(nonces)
        .map(|(g, u)| (g.index(), g.respond(u, &challenge.per_guardian[&g.index()])))
        .collect();
    combiner.finish(ct, &partials, &challenge, &responses, dlog)
}
