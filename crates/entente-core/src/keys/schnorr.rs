use crate::CoreError;
use entente_group::{Group, Scalar, SecretScalar};
use entente_record::keys;

use super::KeyContext;

/// A Schnorr proof of knowledge of a_{i,j} with K_{i,j} = g^{a_{i,j}}: the challenge c_{i,j}
/// and the response v_{i,j} (spec 2.0 §3.2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchnorrProof<G: Group> {
    /// c_{i,j}.
    pub challenge: G::Scalar,
    /// v_{i,j}.
    pub response: G::Scalar,
}

/// c = H(H_P; 0x10, i, j, K_{i,j}, h_{i,j}), spec 2.0 eq. (12).
fn challenge<G: Group>(
    ctx: &KeyContext,
    index: u32,
    coefficient: u32,
    commitment: &G::Element,
    h: &G::Element,
) -> G::Scalar {
    keys::coefficient_challenge::<G>(&ctx.h_p, ctx.revision, index, coefficient, commitment, h)
}

impl<G: Group> SchnorrProof<G> {
    /// Proves knowledge of `secret` = a_{i,j} with the nonce u_{i,j}: h = g^u (eq. (11)),
    /// c from eq. (12), v = (u - c a) mod q.
    pub fn prove(
        ctx: &KeyContext,
        index: u32,
        coefficient: u32,
        secret: &SecretScalar<G::Scalar>,
        commitment: &G::Element,
        nonce: &SecretScalar<G::Scalar>,
    ) -> Self {
        let h = G::g_pow(nonce.expose());
        let c = challenge::<G>(ctx, index, coefficient, commitment, &h);
        let v = nonce.expose().sub(&c.mul(secret.expose()));
        Self {
            challenge: c,
            response: v,
        }
    }

    /// Spec 2.0 Verification 2: h = g^v K^c (2.1), then c = H(H_P; 0x10, i, j, K, h) (2.C).
    /// 2.A (K in the group) and 2.B (v in Z_q) hold by the types' checked constructors.
    pub fn verify(
        &self,
        ctx: &KeyContext,
        index: u32,
        coefficient: u32,
        commitment: &G::Element,
    ) -> Result<(), CoreError> {
        if keys::coefficient_proof_holds::<G>(
            &ctx.h_p,
            ctx.revision,
            index,
            coefficient,
            commitment,
            &self.challenge,
            &self.response,
        ) {
            Ok(())
        } else {
            Err(CoreError::InvalidProof {
                index,
                coefficient: coefficient as usize,
            })
        }
    }
}
