//! The pre-encryption vector: `PreEncryptionTestVector.json` (spec 2.0 §4.1–§4.2): every
//! pre-encryption's nonce (eq. (96)) and encryption, each selection and null vector's hash
//! (eq. (92), (93)) and short code, each contest's hash (eq. (94)) and the confirmation code
//! (eq. (95)), all from the manifest, K, H_E and the primary nonce; and
//! `PreEncryptionRecordedTestVector.json` (§4.3, §4.4), the recording tool's ballot.

use std::collections::BTreeMap;

use entente_core::ballot::{Encryptor, MarkedBallot, ProofNonces, Station, preencrypt};
use entente_record::Revision;
use entente_record::ballot::PublicKey;
use entente_record::ballot::hashes::Label;
use entente_record::ballot::json::EncryptedBallotJson;
use entente_record::ballot::preencrypted;
use entente_record::manifest::Manifest;
use rand::SeedableRng;
use serde::Deserialize;

use crate::error::{At, Result, differs};

use super::json::{G, bytes32, element, expect_eq, hash, scalar};

#[derive(Deserialize)]
pub struct PreEncryptionVector {
    manifest: serde_json::Value,
    joint_public_key: String,
    extended_base_hash: String,
    primary_nonce: String,
    preencrypted_ballot: VectorBallot,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VectorBallot {
    ballot_style_id: String,
    primary_nonce: String,
    contests: Vec<VectorContest>,
    #[serde(rename = "expected_confirmationCode")]
    expected_confirmation_code: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VectorContest {
    contest_id: String,
    selections: Vec<VectorSelection>,
    #[serde(rename = "expected_preencryptionHash")]
    expected_preencryption_hash: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VectorSelection {
    selection_id: String,
    short_code: String,
    #[serde(rename = "expected_selectionHash")]
    expected_selection_hash: String,
    #[serde(rename = "expected_selectionVector")]
    expected_selection_vector: Vec<VectorCiphertext>,
    #[serde(rename = "expected_selectionNonces")]
    expected_selection_nonces: Vec<String>,
}

#[derive(Deserialize)]
struct VectorCiphertext {
    pad: String,
    data: String,
}

pub fn check(v: &PreEncryptionVector, revision: Revision) -> Result<()> {
    let key = PublicKey::new(element("joint_public_key", &v.joint_public_key)?);
    let h_e = hash("extended_base_hash", &v.extended_base_hash)?;
    let primary = bytes32("primary_nonce", &v.primary_nonce)?;
    let manifest = Manifest::from_json(v.manifest.to_string().as_bytes())
        .at(|| "manifest does not read".to_owned())?;
    let b = &v.preencrypted_ballot;
    expect_eq(
        "preencrypted_ballot.primaryNonce",
        &bytes32("preencrypted_ballot.primaryNonce", &b.primary_nonce)?,
        &primary,
    )?;
    let ballot = preencrypt::<G>(
        revision,
        &h_e,
        &key,
        &manifest,
        &b.ballot_style_id,
        &primary,
        &[],
    )
    .at(|| "the ballot cannot be pre-encrypted".to_owned())?;
    expect_eq(
        "preencrypted_ballot.contests (count)",
        &b.contests.len(),
        &ballot.contests.len(),
    )?;
    for (ci, (c, vc)) in ballot.contests.iter().zip(&b.contests).enumerate() {
        let at = format!("preencrypted_ballot.contests[{ci}]");
        expect_eq(&format!("{at}.contestId"), &vc.contest_id, &c.contest_id)?;
        expect_eq(
            &format!("{at}.selections (count)"),
            &vc.selections.len(),
            &c.selections.len(),
        )?;
        let options = &manifest
            .contest(&c.contest_id)
            .ok_or_else(|| differs!("{at}: contest {} is not in the manifest", c.contest_id))?
            .options;
        let contest = Label {
            id: &c.contest_id,
            index: c.index,
        };
        for (j, (s, vs)) in c.selections.iter().zip(&vc.selections).enumerate() {
            let sat = format!("{at}.selections[{j}]");
            expect_eq(
                &format!("{sat}.selectionId"),
                &vs.selection_id,
                &s.selection_id,
            )?;
            expect_eq(
                &format!("{sat}.expected_selectionVector (count)"),
                &vs.expected_selection_vector.len(),
                &s.vector.len(),
            )?;
            let vector = Label {
                id: &s.selection_id,
                index: s.index,
            };
            for (k, (ct, o)) in s.vector.iter().zip(options).enumerate() {
                // eq. (96), the nonce each encryption used.
                if let Some(expected) = vs.expected_selection_nonces.get(k) {
                    let position = Label {
                        id: &o.id,
                        index: o.index,
                    };
                    let nonce = preencrypted::nonce::<G>(
                        revision, &h_e, &primary, contest, vector, position,
                    );
                    let path = format!("{sat}.expected_selectionNonces[{k}]");
                    expect_eq(&path, &nonce, &scalar(&path, expected)?)?;
                }
                let e = &vs.expected_selection_vector[k];
                let path = format!("{sat}.expected_selectionVector[{k}]");
                let pad = format!("{path}.pad");
                expect_eq(&pad, &ct.alpha, &element(&pad, &e.pad)?)?;
                let data = format!("{path}.data");
                expect_eq(&data, &ct.beta, &element(&data, &e.data)?)?;
            }
            let path = format!("{sat}.expected_selectionHash");
            expect_eq(
                &path,
                &s.selection_hash,
                &hash(&path, &vs.expected_selection_hash)?,
            )?;
            expect_eq(&format!("{sat}.shortCode"), &s.short_code, &vs.short_code)?;
        }
        let path = format!("{at}.expected_preencryptionHash");
        expect_eq(
            &path,
            &c.contest_hash,
            &hash(&path, &vc.expected_preencryption_hash)?,
        )?;
    }
    expect_eq(
        "preencrypted_ballot.expected_confirmationCode",
        &ballot.confirmation_code,
        &hash(
            "preencrypted_ballot.expected_confirmationCode",
            &b.expected_confirmation_code,
        )?,
    )
}

/// `PreEncryptionRecordedTestVector.json` (spec 2.0 §4.3, §4.4).
#[derive(Deserialize)]
pub struct RecordedVector {
    manifest: serde_json::Value,
    joint_public_key: String,
    extended_base_hash: String,
    primary_nonce: String,
    selected_codes: BTreeMap<String, Vec<String>>,
    expected_recorded_ballot: serde_json::Value,
}

/// The recording tool on the vector's marks against its expected ballot: every value but the
/// proofs (whose nonces are random) is recomputed and compared; the proofs, the selection and
/// pre-encryption hashes, the short codes and the confirmation code of the vector's ballot are
/// then verified as a verifier would (Verifications 15 to 18).
pub fn check_recorded(v: &RecordedVector, revision: Revision) -> Result<()> {
    let key = PublicKey::new(element("joint_public_key", &v.joint_public_key)?);
    let h_e = hash("extended_base_hash", &v.extended_base_hash)?;
    let primary = bytes32("primary_nonce", &v.primary_nonce)?;
    let manifest = Manifest::from_json(v.manifest.to_string().as_bytes())
        .at(|| "manifest does not read".to_owned())?;
    let expected: EncryptedBallotJson = serde_json::from_value(v.expected_recorded_ballot.clone())
        .map_err(|e| differs!("expected_recorded_ballot does not read: {e}"))?;
    let encryptor = Encryptor {
        revision,
        h_e,
        key: &key,
        manifest: &manifest,
        layout: entente_record::Layout::Json20,
    };
    let marked = MarkedBallot {
        ballot_id: expected.ballot_id.clone(),
        style: expected.ballot_style_id.clone(),
        primary_nonce: primary.into(),
        code_baux: hex::decode(&expected.code_baux)
            .map_err(|e| differs!("expected_recorded_ballot.code_baux: {e}"))?,
        marks: v.selected_codes.clone(),
    };
    // Any proof nonces do: the vector's proofs are checked, not recomputed.
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let recorded = encryptor
        .record_preencrypted(
            &marked,
            Station {
                device: &expected.encrypting_device,
                timestamp: expected.timestamp,
            },
            |site| ProofNonces::random(site.limit(), &mut rng),
        )
        .at(|| "the ballot cannot be recorded".to_owned())?;
    let computed = serde_json::to_value(EncryptedBallotJson::write(&recorded))
        .map_err(|e| differs!("the recorded ballot does not serialize: {e}"))?;
    same_values(
        "expected_recorded_ballot",
        &computed,
        &v.expected_recorded_ballot,
    )?;

    let ballot = expected
        .read::<G>()
        .at(|| "expected_recorded_ballot does not read".to_owned())?;
    if !ballot.is_preencrypt {
        return Err(differs!("expected_recorded_ballot: is_preencrypt is false"));
    }
    let (_, failures) = ballot.check(revision, &h_e, &key);
    match failures.first() {
        None => Ok(()),
        Some(f) => Err(differs!(
            "expected_recorded_ballot: {} (Verification {})",
            f.describe(),
            f.verification
        )),
    }
}

/// Compares the recorded ballot's JSON with the vector's, value by value, hex without regard to
/// case; proofs (random nonces) and keys the recording does not write (`primary_nonce: null`)
/// are left to the verification.
fn same_values(
    path: &str,
    computed: &serde_json::Value,
    expected: &serde_json::Value,
) -> Result<()> {
    use serde_json::Value;
    match (computed, expected) {
        (Value::Object(c), Value::Object(e)) => {
            for (k, ev) in e {
                if k == "proof" {
                    continue;
                }
                let here = format!("{path}.{k}");
                match c.get(k) {
                    Some(cv) => same_values(&here, cv, ev)?,
                    None if ev.is_null() => {}
                    None => return Err(differs!("{here}: the recording does not give it")),
                }
            }
            if let Some(k) = c
                .keys()
                .find(|k| !e.contains_key(*k) && *k != "election_id")
            {
                return Err(differs!("{path}.{k}: the vector does not give it"));
            }
            Ok(())
        }
        (Value::Array(c), Value::Array(e)) => {
            expect_eq(&format!("{path} (count)"), &c.len(), &e.len())?;
            c.iter()
                .zip(e)
                .enumerate()
                .try_for_each(|(i, (cv, ev))| same_values(&format!("{path}[{i}]"), cv, ev))
        }
        (Value::String(c), Value::String(e)) if c.eq_ignore_ascii_case(e) => Ok(()),
        (c, e) if c == e => Ok(()),
        (c, e) => Err(differs!("{path}: computed {c}, vector says {e}")),
    }
}
