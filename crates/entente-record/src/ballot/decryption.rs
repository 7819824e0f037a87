//! What a verifiable decryption publishes and how anyone checks it (spec 2.0 §3.6.3,
//! Verifications 9 and 10): the value T = K^t, the tally t, and the Chaum-Pedersen proof (c, v)
//! that M = B / T = A^s for the secret s behind K = g^s.

use entente_group::{Group, Scalar};

use super::{Ciphertext, PublicKey};
use crate::RecordError;
use crate::{HashValue, Hasher};

/// Domain separation of the decryption challenge, eq. (71).
const DECRYPTION_CHALLENGE: u8 = 0x30;

/// A decrypted value with its proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decryption<G: Group> {
    /// t, the decrypted value.
    pub value: u64,
    /// T = K^t (the records' `b_over_m`).
    pub k_to_t: G::Element,
    /// The challenge c of eq. (71).
    pub challenge: G::Scalar,
    /// The response v of eq. (76).
    pub response: G::Scalar,
}

/// c = H(H_E; 0x30, K, A, B, a, b, M), eq. (71).
pub fn decryption_challenge<G: Group>(
    h_e: &HashValue,
    key: &G::Element,
    ct: &Ciphertext<G>,
    a: &G::Element,
    b: &G::Element,
    m: &G::Element,
) -> G::Scalar {
    Hasher::new(h_e.as_bytes(), DECRYPTION_CHALLENGE)
        .element::<G>(key)
        .element::<G>(&ct.alpha)
        .element::<G>(&ct.beta)
        .element::<G>(a)
        .element::<G>(b)
        .element::<G>(m)
        .finish()
        .to_scalar()
}

impl<G: Group> Decryption<G> {
    /// Verification 9 and 10.A: with M = B · T^-1, a = g^v K^c and b = A^v M^c, the challenge is
    /// H(H_E; 0x30, K, A, B, a, b, M), and T = K^t.
    pub fn verify(
        &self,
        h_e: &HashValue,
        key: &PublicKey<G>,
        ct: &Ciphertext<G>,
    ) -> Result<(), RecordError> {
        let m = G::mul(&ct.beta, &G::inv(&self.k_to_t));
        let a = G::mul(&G::vartime_g_pow(&self.response), &key.pow(&self.challenge));
        let b = G::mul(
            &G::vartime_pow(&ct.alpha, &self.response),
            &G::vartime_pow(&m, &self.challenge),
        );
        if decryption_challenge::<G>(h_e, key.element(), ct, &a, &b, &m) != self.challenge {
            return Err(RecordError::DecryptionProof);
        }
        if key.pow(&G::Scalar::from_u64(self.value)) != self.k_to_t {
            return Err(RecordError::DecryptedValue { value: self.value });
        }
        Ok(())
    }
}
