//! `KeyCeremonyTestVector.json`: commitments and Schnorr proofs (spec 2.0 §3.2.2 eq. (10)–(12)),
//! the joint key K (eq. (8)) and H_E (eq. (23)).

use anyhow::{Context, Result};
use entente_core::keys::{
    Guardian, GuardianPublicKey, JointKey, KeyContext, Quorum, SchnorrProof, SecretPolynomial,
};
use entente_record::{Revision, params};
use serde::Deserialize;

use super::json::{G, element, expect_eq, hash, scalar, secret};

#[derive(Deserialize)]
pub struct Vector {
    guardians: Vec<GuardianVector>,
    election_base_hash: String,
    expected_joint_public_key: String,
    expected_extended_base_hash: String,
}

#[derive(Deserialize)]
struct GuardianVector {
    coordinate: u32,
    polynomial_coefficients: Vec<String>,
    proof_nonces: Vec<String>,
    expected_proofs: Vec<ProofVector>,
}

#[derive(Deserialize)]
struct ProofVector {
    public_key: String,
    challenge: String,
    response: String,
}

pub fn check(v: &Vector, revision: Revision) -> Result<()> {
    let ctx = KeyContext {
        revision,
        h_p: params::parameter_base_hash_for(revision),
    };
    let k = v
        .guardians
        .first()
        .map_or(0, |g| g.polynomial_coefficients.len());
    let quorum = Quorum::new(v.guardians.len() as u32, k as u32)?;
    let mut verified = Vec::new();
    for (gi, gv) in v.guardians.iter().enumerate() {
        let at = |field: &str| format!("guardians[{gi}].{field}");
        let coefficients = gv
            .polynomial_coefficients
            .iter()
            .enumerate()
            .map(|(j, h)| secret(&at(&format!("polynomial_coefficients[{j}]")), h))
            .collect::<Result<Vec<_>>>()?;
        let nonces = gv
            .proof_nonces
            .iter()
            .enumerate()
            .map(|(j, h)| secret(&at(&format!("proof_nonces[{j}]")), h))
            .collect::<Result<Vec<_>>>()?;
        let polynomial = SecretPolynomial::from_coefficients(gv.coordinate, coefficients)?;
        let guardian =
            Guardian::<G>::from_polynomial(quorum, polynomial).context(at("coordinate"))?;
        expect_eq(&at("proof_nonces (count)"), &nonces.len(), &k)?;
        expect_eq(
            &at("expected_proofs (count)"),
            &gv.expected_proofs.len(),
            &k,
        )?;

        // Recompute the commitments and proofs from the coefficients and nonces.
        let computed = guardian.public_key_with_nonces(&ctx, &nonces);
        let mut published = GuardianPublicKey::<G> {
            index: gv.coordinate,
            commitments: Vec::new(),
            proofs: Vec::new(),
        };
        for (j, pv) in gv.expected_proofs.iter().enumerate() {
            let p = |field: &str| at(&format!("expected_proofs[{j}].{field}"));
            let commitment = element(&p("public_key"), &pv.public_key)?;
            let proof = SchnorrProof::<G> {
                challenge: scalar(&p("challenge"), &pv.challenge)?,
                response: scalar(&p("response"), &pv.response)?,
            };
            expect_eq(&p("public_key"), &computed.commitments[j], &commitment)?;
            expect_eq(
                &p("challenge"),
                &computed.proofs[j].challenge,
                &proof.challenge,
            )?;
            expect_eq(
                &p("response"),
                &computed.proofs[j].response,
                &proof.response,
            )?;
            published.commitments.push(commitment);
            published.proofs.push(proof);
        }
        // And check the published proofs as a verifier would (Verification 2).
        verified.push(
            published
                .verify(&ctx, quorum)
                .context(at("expected_proofs"))?,
        );
    }
    let h_b = hash("election_base_hash", &v.election_base_hash)?;
    let joint = JointKey::combine(&ctx, &h_b, verified)?;
    expect_eq(
        "expected_joint_public_key",
        &joint.key,
        &element("expected_joint_public_key", &v.expected_joint_public_key)?,
    )?;
    expect_eq(
        "expected_extended_base_hash",
        &joint.extended_base_hash,
        &hash(
            "expected_extended_base_hash",
            &v.expected_extended_base_hash,
        )?,
    )?;
    Ok(())
}
