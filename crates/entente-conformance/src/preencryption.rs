//! The pre-encryption vector: `PreEncryptionTestVector.json` (spec 2.0 §4.1–§4.2): every
//! pre-encryption's nonce (eq. (96)) and encryption, each selection and null vector's hash
//! (eq. (92), (93)) and short code, each contest's hash (eq. (94)) and the confirmation code
//! (eq. (95)), all from the manifest, K, H_E and the primary nonce.

use entente_record::ballot::PublicKey;
use entente_record::ballot::hashes::Label;
use entente_record::ballot::preencrypted::{self, null_label};
use entente_record::manifest::Manifest;
use entente_record::{HashValue, Revision};
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
    let listed = manifest
        .styles
        .get(&b.ballot_style_id)
        .ok_or_else(|| differs!("ballot style {} is not in the manifest", b.ballot_style_id))?;
    let contests: Vec<_> = manifest
        .contests
        .iter()
        .filter(|c| listed.contains(&c.id))
        .collect();
    expect_eq(
        "preencrypted_ballot.contests (count)",
        &b.contests.len(),
        &contests.len(),
    )?;
    let mut contest_hashes = Vec::new();
    for (ci, (c, vc)) in contests.iter().zip(&b.contests).enumerate() {
        let at = format!("preencrypted_ballot.contests[{ci}]");
        expect_eq(&format!("{at}.contestId"), &vc.contest_id, &c.id)?;
        let m = c.options.len() as u32;
        // Every position of the contest (its options in order), then the null votes.
        let positions: Vec<(String, u32)> = c
            .options
            .iter()
            .map(|o| (o.id.clone(), o.index))
            .chain((1..=c.limit).map(|n| null_label(n, m)))
            .collect();
        expect_eq(
            &format!("{at}.selections (count)"),
            &vc.selections.len(),
            &positions.len(),
        )?;
        let contest = Label {
            id: &c.id,
            index: c.index,
        };
        let mut hashes = Vec::new();
        for (j, ((vector_id, vector_index), vs)) in positions.iter().zip(&vc.selections).enumerate()
        {
            let sat = format!("{at}.selections[{j}]");
            expect_eq(&format!("{sat}.selectionId"), &vs.selection_id, vector_id)?;
            let vector = Label {
                id: vector_id,
                index: *vector_index,
            };
            expect_eq(
                &format!("{sat}.expected_selectionVector (count)"),
                &vs.expected_selection_vector.len(),
                &(m as usize),
            )?;
            let mut cts = Vec::new();
            for (k, o) in c.options.iter().enumerate() {
                let position = Label {
                    id: &o.id,
                    index: o.index,
                };
                let nonce =
                    preencrypted::nonce::<G>(revision, &h_e, &primary, contest, vector, position);
                if let Some(expected) = vs.expected_selection_nonces.get(k) {
                    expect_eq(
                        &format!("{sat}.expected_selectionNonces[{k}]"),
                        &nonce,
                        &scalar(&format!("{sat}.expected_selectionNonces[{k}]"), expected)?,
                    )?;
                }
                let ct = key.encrypt(u64::from(o.id == *vector_id), &nonce);
                let e = &vs.expected_selection_vector[k];
                let path = format!("{sat}.expected_selectionVector[{k}]");
                expect_eq(
                    &format!("{path}.pad"),
                    &ct.alpha,
                    &element(&format!("{path}.pad"), &e.pad)?,
                )?;
                expect_eq(
                    &format!("{path}.data"),
                    &ct.beta,
                    &element(&format!("{path}.data"), &e.data)?,
                )?;
                cts.push(ct);
            }
            let psi = preencrypted::selection_hash::<G>(revision, &h_e, key.element(), &cts);
            expect_eq(
                &format!("{sat}.expected_selectionHash"),
                &psi,
                &hash(
                    &format!("{sat}.expected_selectionHash"),
                    &vs.expected_selection_hash,
                )?,
            )?;
            expect_eq(
                &format!("{sat}.shortCode"),
                &preencrypted::short_code(&psi),
                &vs.short_code,
            )?;
            hashes.push(psi);
        }
        let chi = preencrypted::contest_hash::<G>(revision, &h_e, contest, key.element(), &hashes);
        expect_eq(
            &format!("{at}.expected_preencryptionHash"),
            &chi,
            &hash(
                &format!("{at}.expected_preencryptionHash"),
                &vc.expected_preencryption_hash,
            )?,
        )?;
        contest_hashes.push(chi);
    }
    let code: HashValue = preencrypted::confirmation_code(revision, &h_e, &contest_hashes, &[]);
    expect_eq(
        "preencrypted_ballot.expected_confirmationCode",
        &code,
        &hash(
            "preencrypted_ballot.expected_confirmationCode",
            &b.expected_confirmation_code,
        )?,
    )
}
