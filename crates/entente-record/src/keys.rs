//! The public side of the key ceremony (spec 2.0 §3.2.2): the challenge of a guardian's Schnorr
//! proof for each coefficient commitment, and its check (Verification 2). Making the proofs is
//! in `entente-core`; the check is here so that a verifier needs nothing else.

use entente_group::Group;

use crate::{HashValue, Hasher, Revision, domain};

/// c_{i,j} = H(H_P; 0x10, i, j, K_{i,j}, h_{i,j}), eq. (12).
pub fn coefficient_challenge<G: Group>(
    h_p: &HashValue,
    revision: Revision,
    index: u32,
    coefficient: u32,
    commitment: &G::Element,
    h: &G::Element,
) -> G::Scalar {
    Hasher::with_revision(h_p.as_bytes(), domain::COEFFICIENT_PROOF, revision)
        .index(index)
        .index(coefficient)
        .element::<G>(commitment)
        .element::<G>(h)
        .finish()
        .to_scalar()
}

/// Verification 2: with h = g^v K^c (2.1), c = H(H_P; 0x10, i, j, K, h) (2.C). 2.A (K in the
/// group) and 2.B (v in Z_q) hold by the types' checked constructors.
pub fn coefficient_proof_holds<G: Group>(
    h_p: &HashValue,
    revision: Revision,
    index: u32,
    coefficient: u32,
    commitment: &G::Element,
    challenge: &G::Scalar,
    response: &G::Scalar,
) -> bool {
    let h = G::mul(
        &G::vartime_g_pow(response),
        &G::vartime_pow(commitment, challenge),
    );
    coefficient_challenge::<G>(h_p, revision, index, coefficient, commitment, &h) == *challenge
}
