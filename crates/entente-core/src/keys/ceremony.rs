use crate::CoreError;
use std::collections::BTreeMap;

use entente_group::Group;
use entente_record::{HashValue, Revision, params};
use rand::{CryptoRng, RngCore};
use tracing::{debug, info};

use super::{EncryptedShare, Guardian, GuardianPublicKey, KeyContext, Quorum, VerifiedGuardianKey};

impl<G: Group> GuardianPublicKey<G> {
    /// Checks a published key: index in range, k commitments and k proofs, every proof valid
    /// (spec 2.0 Verification 2) and K_i != 1 (Verification 3.A).
    pub fn verify(
        self,
        ctx: &KeyContext,
        quorum: Quorum,
    ) -> Result<VerifiedGuardianKey<G>, CoreError> {
        quorum.check_index(self.index)?;
        let k = quorum.quorum() as usize;
        for (what, actual) in [
            ("commitments", self.commitments.len()),
            ("proofs", self.proofs.len()),
        ] {
            if actual != k {
                return Err(CoreError::CoefficientCount {
                    index: self.index,
                    what,
                    expected: k,
                    actual,
                });
            }
        }
        for (j, (commitment, proof)) in self.commitments.iter().zip(&self.proofs).enumerate() {
            proof.verify(ctx, self.index, j as u32, commitment)?;
        }
        if self.commitments[0] == G::identity() {
            return Err(CoreError::TrivialKey { index: self.index });
        }
        Ok(VerifiedGuardianKey(self))
    }
}

/// The election's joint key and what it binds.
#[derive(Debug, Clone)]
pub struct JointKey<G: Group> {
    /// K = prod_i K_i, spec 2.0 eq. (8).
    pub key: G::Element,
    /// H_E = H(H_B; 0x12, K), eq. (23).
    pub extended_base_hash: HashValue,
    /// The guardians' verified keys, by index.
    pub guardians: Vec<VerifiedGuardianKey<G>>,
}

impl<G: Group> JointKey<G> {
    /// Combines verified guardian keys (eq. (8), Verification 3.B) and computes H_E (eq. (23)).
    /// Each guardian index may appear once; the keys are taken in index order.
    pub fn combine(
        ctx: &KeyContext,
        h_b: &HashValue,
        mut guardians: Vec<VerifiedGuardianKey<G>>,
    ) -> Result<Self, CoreError> {
        guardians.sort_by_key(|g| g.index());
        if let Some(w) = guardians.windows(2).find(|w| w[0].index() == w[1].index()) {
            return Err(CoreError::DuplicateIndex {
                index: w[0].index(),
            });
        }
        let key = guardians
            .iter()
            .fold(G::identity(), |acc, g| G::mul(&acc, g.public_key()));
        if key == G::identity() {
            return Err(CoreError::TrivialJointKey);
        }
        let extended_base_hash = match ctx.revision {
            Revision::V2_0_0 => params::extended_base_hash::<G>(h_b, &key),
            Revision::EgkDraft1_9 => params::extended_base_hash_egk_draft::<G>(
                h_b,
                &key,
                guardians.iter().flat_map(|g| g.commitments()),
            ),
        };
        Ok(Self {
            key,
            extended_base_hash,
            guardians,
        })
    }
}

/// What the key ceremony has published: the guardians' verified keys and the encrypted shares
/// their recipients accepted. A refused artifact never enters, so after a complaint everything
/// here is still valid and the ceremony can be resumed or audited.
pub struct Ceremony<G: Group> {
    ctx: KeyContext,
    quorum: Quorum,
    keys: BTreeMap<u32, VerifiedGuardianKey<G>>,
    shares: BTreeMap<(u32, u32), EncryptedShare<G>>,
}

impl<G: Group> Ceremony<G> {
    /// An empty ceremony for n guardians with quorum k.
    pub fn new(ctx: KeyContext, quorum: Quorum) -> Self {
        Self {
            ctx,
            quorum,
            keys: BTreeMap::new(),
            shares: BTreeMap::new(),
        }
    }

    /// The hash context.
    pub fn context(&self) -> &KeyContext {
        &self.ctx
    }

    /// n and k.
    pub fn quorum(&self) -> Quorum {
        self.quorum
    }

    /// Verifies and publishes a guardian's key. A second key for the same index is refused.
    pub fn publish_key(
        &mut self,
        key: GuardianPublicKey<G>,
    ) -> Result<&VerifiedGuardianKey<G>, CoreError> {
        let index = key.index;
        if self.keys.contains_key(&index) {
            return Err(CoreError::DuplicateIndex { index });
        }
        let verified = key.verify(&self.ctx, self.quorum)?;
        debug!(guardian = index, "guardian key verified");
        Ok(self.keys.entry(index).or_insert(verified))
    }

    /// A published key.
    pub fn key(&self, index: u32) -> Result<&VerifiedGuardianKey<G>, CoreError> {
        self.keys.get(&index).ok_or_else(|| CoreError::Incomplete {
            missing: format!("guardian {index} has not published a key"),
        })
    }

    /// The published keys, by index.
    pub fn keys(&self) -> impl Iterator<Item = &VerifiedGuardianKey<G>> {
        self.keys.values()
    }

    /// Records a share that its recipient has decrypted and verified.
    pub fn record_share(&mut self, share: EncryptedShare<G>) -> Result<(), CoreError> {
        self.key(share.sender)?;
        self.key(share.recipient)?;
        if share.sender == share.recipient {
            return Err(CoreError::MisdirectedShare {
                sender: share.sender,
                recipient: share.recipient,
                why: "a guardian does not send a share to itself",
            });
        }
        self.shares.insert((share.sender, share.recipient), share);
        Ok(())
    }

    /// The accepted shares, by (sender, recipient).
    pub fn shares(&self) -> impl Iterator<Item = &EncryptedShare<G>> {
        self.shares.values()
    }

    /// Once every key and every share is in: K and H_E.
    pub fn finish(&self, h_b: &HashValue) -> Result<JointKey<G>, CoreError> {
        let n = self.quorum.guardians() as usize;
        if self.keys.len() != n {
            return Err(CoreError::Incomplete {
                missing: format!("{} of {n} guardian keys published", self.keys.len()),
            });
        }
        if self.shares.len() != n * (n - 1) {
            return Err(CoreError::Incomplete {
                missing: format!("{} of {} shares accepted", self.shares.len(), n * (n - 1)),
            });
        }
        JointKey::combine(&self.ctx, h_b, self.keys.values().cloned().collect())
    }
}

/// Runs a whole key ceremony in one process (the demo, tests): n guardians generate their
/// polynomials, publish and verify keys, exchange and verify all n(n-1) shares. Stops at the
/// first complaint with an error naming the sender.
pub fn run_local<G: Group, R: CryptoRng + RngCore + ?Sized>(
    ctx: KeyContext,
    quorum: Quorum,
    h_b: &HashValue,
    rng: &mut R,
) -> Result<(Vec<Guardian<G>>, JointKey<G>), CoreError> {
    let mut guardians = (1..=quorum.guardians())
        .map(|i| Guardian::new(quorum, i, rng))
        .collect::<Result<Vec<_>, _>>()?;
    let mut ceremony = Ceremony::new(ctx, quorum);
    for g in &guardians {
        ceremony.publish_key(g.public_key(&ctx, rng))?;
    }
    info!(
        guardians = quorum.guardians(),
        "all guardian keys published and verified"
    );
    let n = guardians.len();
    for s in 0..n {
        for r in 0..n {
            if s == r {
                continue;
            }
            let share = guardians[s].share_for(&ctx, ceremony.key(guardians[r].index())?);
            let sender_key = ceremony.key(guardians[s].index())?;
            guardians[r].receive_share(&ctx, sender_key, &share)?;
            ceremony.record_share(share)?;
        }
    }
    info!(
        shares = n * (n - 1),
        "all key shares exchanged and verified"
    );
    let joint = ceremony.finish(h_b)?;
    Ok((guardians, joint))
}
