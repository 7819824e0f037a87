//! Encryption of key shares between guardians: hashed ElGamal with a MAC, spec 2.0 §3.2.2
//! eq. (14)–(21).

use crate::CoreError;
use entente_group::{Group, Scalar, SecretScalar};
use entente_record::hash::{hmac, verify_hmac};
use entente_record::{HashValue, Hasher, domain};
use zeroize::{Zeroize, Zeroizing};

use super::{ComplaintReason, KeyContext, SecretPolynomial, VerifiedGuardianKey};

/// E_l(P_i(l)) = (C_{i,l,0}, C_{i,l,1}, C_{i,l,2}), eq. (18): guardian i's share for guardian l.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedShare<G: Group> {
    /// The sending guardian i.
    pub sender: u32,
    /// The receiving guardian l.
    pub recipient: u32,
    /// C_{i,l,0} = g^xi.
    pub c0: G::Element,
    /// C_{i,l,1} = b(P_i(l), 32) xor k_1.
    pub c1: [u8; 32],
    /// C_{i,l,2} = HMAC(k_0, b(C_{i,l,0}, l_p) ‖ C_{i,l,1}).
    pub c2: [u8; 32],
}

/// The MAC key k_0 and encryption key k_1 of eq. (15)–(17).
struct ShareKeys {
    mac: Zeroizing<[u8; 32]>,
    enc: Zeroizing<[u8; 32]>,
}

/// k_{i,l} = H(H_P; 0x11, i, l, K_l, alpha, beta) (eq. (15)), then the SP 800-108 counter-mode
/// KDF of eq. (16), (17) with Label = "share_enc_keys", Context = "share_encrypt" ‖ b(i) ‖ b(l)
/// and the output length 0x0200 (512 bits).
fn share_keys<G: Group>(
    ctx: &KeyContext,
    sender: u32,
    recipient: u32,
    recipient_key: &G::Element,
    alpha: &G::Element,
    beta: &G::Element,
) -> ShareKeys {
    let k: HashValue = Hasher::with_revision(
        ctx.h_p.as_bytes(),
        domain::SHARE_ENCRYPTION_KEY,
        ctx.revision,
    )
    .index(sender)
    .index(recipient)
    .element::<G>(recipient_key)
    .element::<G>(alpha)
    .element::<G>(beta)
    .finish();
    let k = Zeroizing::new(k.0);
    let width = ctx.revision.index_bytes();
    let (i, l) = (sender.to_be_bytes(), recipient.to_be_bytes());
    let context: [&[u8]; 3] = [b"share_encrypt", &i[4 - width..], &l[4 - width..]];
    let derive = |counter: u8| {
        Zeroizing::new(hmac(
            &k,
            &[
                &[counter],
                b"share_enc_keys",
                &[0x00],
                context[0],
                context[1],
                context[2],
                &[0x02, 0x00],
            ],
        ))
    };
    ShareKeys {
        mac: derive(0x01),
        enc: derive(0x02),
    }
}

fn xor32(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (o, (x, y)) in out.iter_mut().zip(a.iter().zip(b)) {
        *o = x ^ y;
    }
    out
}

/// A share made public to answer a complaint (spec 2.0 §3.2.2): P_i(l) with the nonce xi_{i,l}
/// that encrypted it, so that anyone can redo the encryption and eq. (21).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevealedShare<G: Group> {
    /// The sending (accused) guardian i.
    pub sender: u32,
    /// The complaining guardian l.
    pub recipient: u32,
    /// P_i(l).
    pub value: G::Scalar,
    /// xi_{i,l}.
    pub nonce: G::Scalar,
}

impl<G: Group> EncryptedShare<G> {
    /// Whether a share revealed to answer a complaint is the one this encryption holds and a
    /// valid share (§3.2.2): C_0 = g^xi, C_1 = b(P_i(l)) xor k_1 and C_2 the MAC, with k_0, k_1
    /// from xi and the recipient's public key (eq. (14)-(19)), and g^{P_i(l)} = prod_j
    /// K_{i,j}^{l^j} (eq. (21)). Everything here is public: variable time is fine. The
    /// complaint is dismissed if it holds; the sender is the liar if it does not.
    pub fn check_reveal(
        &self,
        ctx: &KeyContext,
        sender: &VerifiedGuardianKey<G>,
        recipient: &VerifiedGuardianKey<G>,
        revealed: &RevealedShare<G>,
    ) -> Result<(), CoreError> {
        let complaint = |reason| CoreError::Complaint {
            sender: self.sender,
            recipient: self.recipient,
            reason,
        };
        if (revealed.sender, revealed.recipient) != (self.sender, self.recipient)
            || (sender.index(), recipient.index()) != (self.sender, self.recipient)
        {
            return Err(CoreError::MisdirectedShare {
                sender: revealed.sender,
                recipient: revealed.recipient,
                why: "the revealed share is not this encryption's",
            });
        }
        let alpha = G::vartime_g_pow(&revealed.nonce);
        if alpha != self.c0 {
            return Err(complaint(ComplaintReason::Reveal));
        }
        let beta = G::vartime_pow(recipient.public_key(), &revealed.nonce);
        let keys = share_keys::<G>(
            ctx,
            self.sender,
            self.recipient,
            recipient.public_key(),
            &alpha,
            &beta,
        );
        let c1 = xor32(&revealed.value.to_bytes(), &keys.enc);
        if c1 != self.c1 || !verify_hmac(&keys.mac, &[&G::element_to_bytes(&alpha), &c1], &self.c2)
        {
            return Err(complaint(ComplaintReason::Reveal));
        }
        if G::vartime_g_pow(&revealed.value) != sender.commitment_at(self.recipient) {
            return Err(complaint(ComplaintReason::Commitments));
        }
        Ok(())
    }

    /// Guardian i encrypts P_i(l) to guardian l with the nonce xi, eq. (14)–(19). The nonce and
    /// the share are secrets: both exponentiations are constant-time.
    pub fn encrypt(
        ctx: &KeyContext,
        sender: &SecretPolynomial<G>,
        recipient: &VerifiedGuardianKey<G>,
        nonce: &SecretScalar<G::Scalar>,
    ) -> Self {
        let (i, l) = (sender.index(), recipient.index());
        let alpha = G::g_pow(nonce.expose());
        let beta = G::pow(recipient.public_key(), nonce.expose());
        let keys = share_keys::<G>(ctx, i, l, recipient.public_key(), &alpha, &beta);
        let mut plain = sender.evaluate(l).expose().to_bytes();
        let c1 = xor32(&plain, &keys.enc);
        plain.zeroize();
        let c2 = hmac(&keys.mac, &[&G::element_to_bytes(&alpha), &c1]);
        Self {
            sender: i,
            recipient: l,
            c0: alpha,
            c1,
            c2,
        }
    }

    /// Guardian l decrypts and verifies a share from guardian i (eq. (20), (21)). Any failure
    /// is a complaint against the sender.
    pub fn decrypt(
        &self,
        ctx: &KeyContext,
        recipient: &SecretPolynomial<G>,
        sender: &VerifiedGuardianKey<G>,
    ) -> Result<SecretScalar<G::Scalar>, CoreError> {
        if self.recipient != recipient.index() {
            return Err(CoreError::MisdirectedShare {
                sender: self.sender,
                recipient: self.recipient,
                why: "addressed to another guardian",
            });
        }
        if self.sender != sender.index() {
            return Err(CoreError::MisdirectedShare {
                sender: self.sender,
                recipient: self.recipient,
                why: "the sender's key given is another guardian's",
            });
        }
        let complaint = |reason| CoreError::Complaint {
            sender: self.sender,
            recipient: self.recipient,
            reason,
        };
        let beta = G::pow(&self.c0, recipient.secret_key().expose());
        let own_key = G::g_pow(recipient.secret_key().expose());
        let keys = share_keys::<G>(ctx, self.sender, self.recipient, &own_key, &self.c0, &beta);
        if !verify_hmac(
            &keys.mac,
            &[&G::element_to_bytes(&self.c0), &self.c1],
            &self.c2,
        ) {
            return Err(complaint(ComplaintReason::Mac));
        }
        let mut plain = xor32(&self.c1, &keys.enc);
        let value = G::Scalar::from_canonical_bytes(&plain);
        plain.zeroize();
        let value = SecretScalar::new(value.map_err(|_| complaint(ComplaintReason::NotAScalar))?);
        // eq. (21): g^{P_i(l)} = prod_j K_{i,j}^{l^j}.
        if G::g_pow(value.expose()) != sender.commitment_at(self.recipient) {
            return Err(complaint(ComplaintReason::Commitments));
        }
        Ok(value)
    }
}
