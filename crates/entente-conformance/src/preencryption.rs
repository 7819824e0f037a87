//! The pre-encryption vector: `PreEncryptionTestVector.json` (spec 2.0 §4.1–§4.2): every
//! pre-encryption's nonce (eq. (96)) and encryption, each selection and null vector's hash
//! (eq. (92), (93)) and short code, each contest's hash (eq. (94)) and the confirmation code
//! (eq. (95)), all from the manifest, K, H_E and the primary nonce.

use entente_core::ballot::preencrypt;
use entente_record::Revision;
use entente_record::ballot::PublicKey;
use entente_record::ballot::hashes::Label;
use entente_record::ballot::preencrypted;
use entente_record::manifest::Manifest;
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
