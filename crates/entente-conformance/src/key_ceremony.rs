//! `KeyCeremonyTestVector.json`: commitments and Schnorr proofs (spec 2.0 §3.2.2 eq. (10)–(12)),
//! the joint key K (eq. (8)) and H_E (eq. (23)).

use crate::error::{At, Result};
use entente_core::keys::{GuardianPublicKey, JointKey, SchnorrProof};
use entente_record::Revision;
use serde::Deserialize;

use super::json::{G, ceremony, element, expect_eq, guardian, hash, scalar, secrets};

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
    let k = v.guardians.first().map(|g| g.polynomial_coefficients.len());
    let (ctx, quorum) = ceremony(revision, v.guardians.len(), k)?;
    let k = k.unwrap_or(0);
    let mut verified = Vec::new();
    for (gi, gv) in v.guardians.iter().enumerate() {
        let at = |field: &str| format!("guardians[{gi}].{field}");
        let nonces = secrets(&at("proof_nonces"), &gv.proof_nonces)?;
        let guardian = guardian(
            &format!("guardians[{gi}]"),
            gv.coordinate,
            &gv.polynomial_coefficients,
            quorum,
        )?;
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
                .at(|| at("expected_proofs").to_string())?,
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
