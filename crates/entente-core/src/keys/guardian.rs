use crate::CoreError;
use std::collections::BTreeMap;

use entente_group::{Group, Scalar, SecretScalar};
use rand::{CryptoRng, RngCore};

use entente_record::hash::hmac;
use zeroize::{Zeroize, Zeroizing};

use super::share::RevealedShare;
use super::{
    EncryptedShare, GuardianPublicKey, KeyContext, Quorum, SchnorrProof, SecretPolynomial,
    VerifiedGuardianKey,
};

/// One guardian's secrets: its polynomial and the verified shares it has received. Lives only
/// in the guardian's own process; zeroized on drop.
pub struct Guardian<G: Group> {
    quorum: Quorum,
    polynomial: SecretPolynomial<G>,
    received: BTreeMap<u32, SecretScalar<G::Scalar>>,
}

impl<G: Group> Guardian<G> {
    /// A new guardian with a fresh random polynomial of k coefficients.
    pub fn new<R: CryptoRng + RngCore + ?Sized>(
        quorum: Quorum,
        index: u32,
        rng: &mut R,
    ) -> Result<Self, CoreError> {
        quorum.check_index(index)?;
        Ok(Self {
            quorum,
            polynomial: SecretPolynomial::random(index, quorum.quorum(), rng),
            received: BTreeMap::new(),
        })
    }

    /// A guardian from a known polynomial (test vectors, or a guardian's stored secret).
    pub fn from_polynomial(
        quorum: Quorum,
        polynomial: SecretPolynomial<G>,
    ) -> Result<Self, CoreError> {
        quorum.check_index(polynomial.index())?;
        if polynomial.degree_plus_one() != quorum.quorum() as usize {
            return Err(CoreError::CoefficientCount {
                index: polynomial.index(),
                what: "polynomial",
                expected: quorum.quorum() as usize,
                actual: polynomial.degree_plus_one(),
            });
        }
        Ok(Self {
            quorum,
            polynomial,
            received: BTreeMap::new(),
        })
    }

    /// A guardian as stored: its polynomial and the shares it had already verified.
    pub(crate) fn restore(
        quorum: Quorum,
        polynomial: SecretPolynomial<G>,
        received: BTreeMap<u32, SecretScalar<G::Scalar>>,
    ) -> Result<Self, CoreError> {
        let mut g = Self::from_polynomial(quorum, polynomial)?;
        if let Some(&own) = received.keys().find(|&&s| s == g.index()) {
            return Err(CoreError::MisdirectedShare {
                sender: own,
                recipient: own,
                why: "a guardian does not send a share to itself",
            });
        }
        g.received = received;
        Ok(g)
    }

    /// The guardian's index i.
    pub fn index(&self) -> u32 {
        self.polynomial.index()
    }

    /// n and k.
    pub fn quorum(&self) -> Quorum {
        self.quorum
    }

    /// The secret polynomial.
    pub fn polynomial(&self) -> &SecretPolynomial<G> {
        &self.polynomial
    }

    /// The verified shares received so far, by sender.
    pub fn received_shares(&self) -> &BTreeMap<u32, SecretScalar<G::Scalar>> {
        &self.received
    }

    /// The public key record: commitments and a Schnorr proof for each, with fresh nonces.
    pub fn public_key<R: CryptoRng + RngCore + ?Sized>(
        &self,
        ctx: &KeyContext,
        rng: &mut R,
    ) -> GuardianPublicKey<G> {
        let nonces: Vec<SecretScalar<G::Scalar>> = (0..self.polynomial.degree_plus_one())
            .map(|_| SecretScalar::new(G::Scalar::random(rng)))
            .collect();
        self.public_key_with_nonces(ctx, &nonces)
    }

    /// The public key record with given proof nonces u_{i,j} (test vectors).
    pub fn public_key_with_nonces(
        &self,
        ctx: &KeyContext,
        nonces: &[SecretScalar<G::Scalar>],
    ) -> GuardianPublicKey<G> {
        let commitments = self.polynomial.commitments();
        let proofs = self
            .polynomial
            .coefficients()
            .iter()
            .zip(&commitments)
            .zip(nonces)
            .enumerate()
            .map(|(j, ((a, k), u))| SchnorrProof::prove(ctx, self.index(), j as u32, a, k, u))
            .collect();
        GuardianPublicKey {
            index: self.index(),
            commitments,
            proofs,
        }
    }

    /// This guardian's share for another guardian, encrypted to its verified key.
    pub fn share_for(
        &self,
        ctx: &KeyContext,
        recipient: &VerifiedGuardianKey<G>,
    ) -> EncryptedShare<G> {
        EncryptedShare::encrypt(
            ctx,
            &self.polynomial,
            recipient,
            &self.share_nonce(recipient),
        )
    }

    /// xi_{i,l} of eq. (14), derived rather than drawn so that this guardian can publish it if
    /// l complains (§3.2.2) without having stored it: HMAC-SHA-256 keyed with its secret key
    /// a_{i,0} over a label, i, l and K_l, reduced mod q. HMAC under a secret key is a PRF, so
    /// the nonces are unpredictable and independent, and publishing one reveals nothing of
    /// the key or of the others.
    fn share_nonce(&self, recipient: &VerifiedGuardianKey<G>) -> SecretScalar<G::Scalar> {
        let key = Zeroizing::new(self.polynomial.secret_key().expose().to_bytes());
        let mut digest = Zeroizing::new(hmac(
            &key,
            &[
                b"entente share nonce v1",
                &self.index().to_be_bytes(),
                &recipient.index().to_be_bytes(),
                &G::element_to_bytes(recipient.public_key()),
            ],
        ));
        let nonce = SecretScalar::new(G::Scalar::from_hash(&digest));
        digest.zeroize();
        nonce
    }

    /// The share for `recipient` and its nonce, made public to answer its complaint
    /// (§3.2.2): anyone can then check it against the published encryption.
    pub fn reveal_for(&self, recipient: &VerifiedGuardianKey<G>) -> RevealedShare<G> {
        RevealedShare {
            sender: self.index(),
            recipient: recipient.index(),
            value: self.polynomial.evaluate(recipient.index()).expose().clone(),
            nonce: self.share_nonce(recipient).expose().clone(),
        }
    }

    /// Takes a share that its sender revealed to answer this guardian's complaint, once it
    /// checks against the encryption the sender published (§3.2.2): the complaint is then
    /// dismissed and the key ceremony goes on.
    pub fn accept_revealed(
        &mut self,
        ctx: &KeyContext,
        sender: &VerifiedGuardianKey<G>,
        own_key: &VerifiedGuardianKey<G>,
        share: &EncryptedShare<G>,
        revealed: &RevealedShare<G>,
    ) -> Result<(), CoreError> {
        share.check_reveal(ctx, sender, own_key, revealed)?;
        self.received
            .insert(share.sender, SecretScalar::new(revealed.value.clone()));
        Ok(())
    }

    /// Decrypts and verifies a share from another guardian; keeps it only if it holds.
    pub fn receive_share(
        &mut self,
        ctx: &KeyContext,
        sender: &VerifiedGuardianKey<G>,
        share: &EncryptedShare<G>,
    ) -> Result<(), CoreError> {
        if share.sender == self.index() {
            return Err(CoreError::MisdirectedShare {
                sender: share.sender,
                recipient: share.recipient,
                why: "a guardian does not send a share to itself",
            });
        }
        let value = share.decrypt(ctx, &self.polynomial, sender)?;
        self.received.insert(share.sender, value);
        Ok(())
    }

    /// The guardian's key share P(i) = sum_j P_j(i) mod q, spec 2.0 eq. (22), once the shares
    /// of all n - 1 other guardians are in.
    pub fn key_share(&self) -> Result<SecretScalar<G::Scalar>, CoreError> {
        let expected = self.quorum.guardians() as usize - 1;
        if self.received.len() != expected {
            return Err(CoreError::Incomplete {
                missing: format!(
                    "guardian {} has {} of the {} shares it needs",
                    self.index(),
                    self.received.len(),
                    expected
                ),
            });
        }
        let own = self.polynomial.evaluate(self.index());
        let sum = self
            .received
            .values()
            .fold(own.expose().clone(), |acc, s| acc.add(s.expose()));
        Ok(SecretScalar::new(sum))
    }
}
