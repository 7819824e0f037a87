//! Verifiable threshold decryption, spec 2.0 §3.6.1–§3.6.4: each present guardian computes its
//! partial decryption X^{P(i)} of every item (X = A for a selection's ciphertext, eq. (66); X = C_0
//! for contest data, eq. (77)) with a commitment, the combination weighs them with the Lagrange
//! coefficients of the present set, the guardians answer one joint challenge per item, and each
//! answer is checked against the guardian's public share g^{P(i)} before it is accepted.
//!
//! With key shares P(i) (eq. (65)), a quorum decrypts directly: absent guardians need no
//! reconstruction, and no secret — the joint one or an absent guardian's — is ever formed.
//!
//! The proof is a joint one, so decryption is two rounds (commit, then respond to the challenge
//! that every commitment determines), with the guardians possibly in different processes. A
//! guardian's nonces come from a [`NonceSeed`] that it keeps between the rounds and gives up when
//! it responds: a nonce answered twice, to two challenges, would reveal the key share.

mod dlog;
mod election;
mod target;

pub use dlog::DlogTable;
pub use election::{ElectionBatch, ElectionResult};
pub use target::{Decrypted, Target};

use crate::CoreError;
use std::collections::BTreeMap;

use entente_group::{Group, Scalar, SecretScalar};
use entente_record::HashValue;
use entente_record::ballot::contest_data::{
    C1Encoding, ContestDataDecryption, decryption_challenge as data_challenge,
};
use entente_record::ballot::{Ciphertext, Decryption, PublicKey, decryption_challenge};
use entente_record::hash::hmac;
use rand::{CryptoRng, RngCore};
use rayon::prelude::*;
use zeroize::Zeroizing;

use crate::keys::VerifiedGuardianKey;

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

/// A guardian's first message for one item: m_i = X^{P(i)} (eq. (66), (77)) and its commitment
/// (a_i, b_i) = (g^{u_i}, X^{u_i}) (eq. (69), (79)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialDecryption<G: Group> {
    /// M_i (or m_i).
    pub share: G::Element,
    /// a_i.
    pub a: G::Element,
    /// b_i.
    pub b: G::Element,
}

/// The secret from which a guardian derives its nonces u_i for one batch: random, kept by the
/// guardian between the rounds, consumed by [`DecryptingGuardian::respond`].
pub struct NonceSeed(Zeroizing<[u8; 32]>);

impl NonceSeed {
    /// A fresh seed.
    pub fn random<R: CryptoRng + RngCore + ?Sized>(rng: &mut R) -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut());
        Self(seed)
    }

    /// A seed kept between the rounds (read back from the guardian's sealed state).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The bytes, for sealing between the rounds.
    pub fn expose_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// u_j = HMAC(seed, "entente decryption nonce" ‖ b(j, 8)) mod q: independent and uniform
    /// (q is within 2^-248 of 2^256) for every item j of the batch.
    fn nonce<S: Scalar>(&self, j: usize) -> SecretScalar<S> {
        let bytes = Zeroizing::new(hmac(
            &self.0,
            &[b"entente decryption nonce", &(j as u64).to_be_bytes()],
        ));
        SecretScalar::new(S::from_hash(&bytes))
    }
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

    /// Round 1 for every item, in parallel: m_i = X^{P(i)} and the commitment (eq. (66), (69);
    /// (77), (79)). Constant-time exponentiations: P(i) and u_i are secrets.
    pub fn commit(&self, targets: &[Target<G>], seed: &NonceSeed) -> Vec<PartialDecryption<G>> {
        targets
            .par_iter()
            .enumerate()
            .map(|(j, t)| {
                let u = seed.nonce::<G::Scalar>(j);
                PartialDecryption {
                    share: G::pow(t.base(), self.share.expose()),
                    a: G::g_pow(u.expose()),
                    b: G::pow(t.base(), u.expose()),
                }
            })
            .collect()
    }

    /// Round 2: v_i = u_i - c_i P(i) for every item (eq. (73), (82)). The seed is consumed: the
    /// same nonces never answer a second set of challenges.
    pub fn respond(&self, seed: NonceSeed, challenges: &[G::Scalar]) -> Vec<G::Scalar> {
        challenges
            .iter()
            .enumerate()
            .map(|(j, c)| {
                seed.nonce::<G::Scalar>(j)
                    .expose()
                    .sub(&c.mul(self.share.expose()))
            })
            .collect()
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

/// Round 1's outcome for one item: the combined M (or β), the challenge c, and each present
/// guardian's c_i = c w_i (eq. (72)).
#[derive(Debug, Clone)]
pub struct Challenge<G: Group> {
    combined: G::Element,
    c: G::Scalar,
    /// c_i by guardian.
    pub per_guardian: BTreeMap<u32, G::Scalar>,
}

/// Every present guardian's round-1 messages, by guardian index.
pub type Commitments<G> = BTreeMap<u32, Vec<PartialDecryption<G>>>;

impl<G: Group> Combiner<'_, G> {
    /// The present set, checked: known guardians forming a quorum.
    pub fn present<'p>(
        &self,
        guardians: impl IntoIterator<Item = &'p u32>,
    ) -> Result<Vec<u32>, CoreError> {
        let mut present: Vec<u32> = Vec::new();
        for &i in guardians {
            if !self.share_keys.contains_key(&i) {
                return Err(CoreError::UnknownGuardian(i));
            }
            if present.contains(&i) {
                return Err(CoreError::DuplicateGuardian(i));
            }
            present.push(i);
        }
        if present.len() < self.quorum {
            return Err(CoreError::NotEnoughGuardians {
                present: present.len(),
                quorum: self.quorum,
            });
        }
        Ok(present)
    }

    /// Combines the present guardians' partial decryptions of every item (eq. (67), (68), (70);
    /// (78), (80)) and forms the joint challenges (eq. (71), (72); (81)). Every present guardian
    /// computes the same from the same messages, so none has to trust the one who combines.
    pub fn challenges(
        &self,
        targets: &[Target<G>],
        commitments: &Commitments<G>,
    ) -> Result<Vec<Challenge<G>>, CoreError> {
        let present = self.present(commitments.keys())?;
        for (&i, partials) in commitments {
            if partials.len() != targets.len() {
                return Err(CoreError::WrongCount {
                    guardian: i,
                    expected: targets.len(),
                    actual: partials.len(),
                });
            }
        }
        let weights: Vec<G::Scalar> = present
            .iter()
            .map(|&i| lagrange_coefficient(i, &present))
            .collect();
        let challenges = targets
            .par_iter()
            .enumerate()
            .map(|(j, t)| {
                let parts: Vec<&PartialDecryption<G>> =
                    commitments.values().map(|p| &p[j]).collect();
                let terms: Vec<(&G::Element, &G::Scalar)> =
                    parts.iter().map(|p| &p.share).zip(&weights).collect();
                let combined = G::vartime_multi_pow(&terms);
                let a = parts
                    .iter()
                    .fold(G::identity(), |acc, p| G::mul(&acc, &p.a));
                let b = parts
                    .iter()
                    .fold(G::identity(), |acc, p| G::mul(&acc, &p.b));
                let c = match t {
                    Target::Vote(ct) => decryption_challenge::<G>(
                        &self.h_e,
                        self.key.element(),
                        ct,
                        &a,
                        &b,
                        &combined,
                    ),
                    Target::ContestData { data, .. } => data_challenge::<G>(
                        &self.h_e,
                        self.key.element(),
                        data,
                        &a,
                        &b,
                        &combined,
                        C1Encoding::Bytes,
                    ),
                };
                let per_guardian = present
                    .iter()
                    .zip(&weights)
                    .map(|(&i, w)| (i, c.mul(w)))
                    .collect();
                Challenge {
                    combined,
                    c,
                    per_guardian,
                }
            })
            .collect();
        Ok(challenges)
    }

    /// Checks every response (eq. (74), (75); (83), (84)), sums them (eq. (76), (85)), and
    /// completes each item: t with T = B M^-1 = K^t in 0..=`dlog.bound()` for a vote (§3.6), the
    /// plaintext under β for contest data (eq. (86)–(89)). A guardian whose response fails is
    /// named with the item.
    pub fn finish(
        &self,
        targets: &[Target<G>],
        commitments: &Commitments<G>,
        challenges: &[Challenge<G>],
        responses: &BTreeMap<u32, Vec<G::Scalar>>,
        dlog: &DlogTable<G>,
    ) -> Result<Vec<Decrypted<G>>, CoreError> {
        for (&i, r) in responses {
            let Some(p) = commitments.get(&i) else {
                return Err(CoreError::Unpaired(i));
            };
            if r.len() != p.len() || r.len() != targets.len() {
                return Err(CoreError::WrongCount {
                    guardian: i,
                    expected: targets.len(),
                    actual: r.len(),
                });
            }
        }
        if let Some(&i) = commitments.keys().find(|i| !responses.contains_key(i)) {
            return Err(CoreError::Unpaired(i));
        }
        if challenges.len() != targets.len() {
            return Err(CoreError::BatchMismatch {
                expected: targets.len(),
                actual: challenges.len(),
            });
        }
        targets
            .par_iter()
            .zip(challenges)
            .enumerate()
            .map(|(j, (t, ch))| self.finish_one(j, t, commitments, ch, responses, dlog))
            .collect()
    }

    /// One guardian's response to one item against its commitment (eq. (74), (75); (83),
    /// (84)): a = g^v_i K_i^c_i and b = A^v_i M_i^c_i.
    fn check_one(
        &self,
        i: u32,
        j: usize,
        target: &Target<G>,
        p: &PartialDecryption<G>,
        ch: &Challenge<G>,
        v_i: &G::Scalar,
    ) -> Result<(), CoreError> {
        let (Some(c_i), Some(share_key)) = (ch.per_guardian.get(&i), self.share_keys.get(&i))
        else {
            return Err(CoreError::Unpaired(i));
        };
        let a = G::mul(&G::vartime_g_pow(v_i), &G::vartime_pow(share_key, c_i));
        let b = G::vartime_multi_pow(&[(target.base(), v_i), (&p.share, c_i)]);
        if a != p.a || b != p.b {
            return Err(CoreError::BadShare {
                guardian: i,
                item: j,
            });
        }
        Ok(())
    }

    /// The guardians among those who answered whose responses fail (each with its first
    /// failing item), checked one guardian at a time so that a guardian who has not answered
    /// does not stop the others being judged: with the silent ones, these are whom a new round
    /// of the decryption leaves out.
    pub fn failing_responses(
        &self,
        targets: &[Target<G>],
        commitments: &Commitments<G>,
        challenges: &[Challenge<G>],
        responses: &BTreeMap<u32, Vec<G::Scalar>>,
    ) -> BTreeMap<u32, usize> {
        responses
            .par_iter()
            .filter_map(|(&i, r)| {
                let Some(partials) = commitments.get(&i) else {
                    return Some((i, 0));
                };
                if r.len() != targets.len()
                    || partials.len() != targets.len()
                    || challenges.len() != targets.len()
                {
                    return Some((i, 0));
                }
                (0..targets.len())
                    .find(|&j| {
                        self.check_one(i, j, &targets[j], &partials[j], &challenges[j], &r[j])
                            .is_err()
                    })
                    .map(|j| (i, j))
            })
            .collect()
    }

    fn finish_one(
        &self,
        j: usize,
        target: &Target<G>,
        commitments: &Commitments<G>,
        ch: &Challenge<G>,
        responses: &BTreeMap<u32, Vec<G::Scalar>>,
        dlog: &DlogTable<G>,
    ) -> Result<Decrypted<G>, CoreError> {
        let mut v = G::Scalar::zero();
        for (&i, partials) in commitments {
            let v_i = &responses[&i][j];
            self.check_one(i, j, target, &partials[j], ch, v_i)?;
            v = v.add(v_i);
        }
        match target {
            Target::Vote(ct) => {
                let k_to_t = G::mul(&ct.beta, &G::inv(&ch.combined));
                let value = dlog.find(&k_to_t).ok_or(CoreError::OutOfBound {
                    item: j,
                    bound: dlog.bound(),
                })?;
                Ok(Decrypted::Vote(Decryption {
                    value,
                    k_to_t,
                    challenge: ch.c.clone(),
                    response: v,
                }))
            }
            Target::ContestData {
                data,
                contest_id,
                contest_index,
            } => {
                let bytes = data
                    .decrypt_with_beta(
                        &self.h_e,
                        self.key.element(),
                        &ch.combined,
                        contest_id,
                        *contest_index,
                    )
                    .map_err(|e| CoreError::ContestData {
                        item: j,
                        reason: e.to_string(),
                    })?;
                Ok(Decrypted::ContestData {
                    proof: ContestDataDecryption {
                        beta: ch.combined.clone(),
                        challenge: ch.c.clone(),
                        response: v,
                    },
                    bytes,
                })
            }
        }
    }
}

/// Both rounds in one process (the demo, tests, test vectors): every present guardian commits,
/// the combiner challenges, every guardian answers, the combiner checks and completes.
pub fn decrypt_in_process<G: Group, R: CryptoRng + RngCore + ?Sized>(
    combiner: &Combiner<'_, G>,
    guardians: &[DecryptingGuardian<G>],
    targets: &[Target<G>],
    dlog: &DlogTable<G>,
    rng: &mut R,
) -> Result<Vec<Decrypted<G>>, CoreError> {
    combiner.present(guardians.iter().map(|g| &g.index))?;
    let seeds: Vec<NonceSeed> = guardians.iter().map(|_| NonceSeed::random(rng)).collect();
    let commitments: Commitments<G> = guardians
        .iter()
        .zip(&seeds)
        .map(|(g, s)| (g.index(), g.commit(targets, s)))
        .collect();
    let challenges = combiner.challenges(targets, &commitments)?;
    let responses = guardians
        .iter()
        .zip(seeds)
        .map(|(g, s)| {
            let cs: Vec<G::Scalar> = challenges
                .iter()
                .map(|ch| ch.per_guardian[&g.index()].clone())
                .collect();
            (g.index(), g.respond(s, &cs))
        })
        .collect();
    combiner.finish(targets, &commitments, &challenges, &responses, dlog)
}

/// One ciphertext decrypted in one process: [`decrypt_in_process`] for a single vote.
pub fn decrypt_vote_in_process<G: Group, R: CryptoRng + RngCore + ?Sized>(
    combiner: &Combiner<'_, G>,
    guardians: &[DecryptingGuardian<G>],
    ct: &Ciphertext<G>,
    dlog: &DlogTable<G>,
    rng: &mut R,
) -> Result<Decryption<G>, CoreError> {
    let mut out = decrypt_in_process(combiner, guardians, &[Target::Vote(ct.clone())], dlog, rng)?;
    match out.pop() {
        Some(Decrypted::Vote(d)) => Ok(d),
        // A vote target always completes as a vote.
        _ => unreachable!("one vote in, one vote out"),
    }
}
