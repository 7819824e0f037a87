//! The ballot-encryption vectors: `BallotEncryptionTestVector.json` (selection nonces eq. (25),
//! ciphertexts eq. (24), range proofs eq. (44)–(48), (56)), `ConfirmationCodeTestVector.json`
//! (contest hashes eq. (57), confirmation codes eq. (58)), `BallotChainingTestVector.json`
//! (the chain of eq. (59), (60)) and `DecryptWithNonceTestVector.json` (opening a ballot with
//! its primary nonce, §3.3.2).

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{At, Result, differs};
use entente_core::ballot::{BallotContext, Encryptor, ProofNonces, ProofSite, decrypt_with_nonce};
use entente_record::ballot::hashes::{self, Label};
use entente_record::ballot::json::EncryptedBallotJson;
use entente_record::ballot::{EncryptedBallot, PlaintextBallot, PublicKey};
use entente_record::manifest::{Contest, ContestOption, Manifest};
use entente_record::{HashValue, Revision};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Deserialize;

use super::json::{G, bytes32, element, expect_eq, hash, scalar};

/// What the vectors' plaintext ballots add to the records' form: each contest's `votes_allowed`.
#[derive(Deserialize)]
struct VectorLimits {
    contests: Vec<VectorContestLimit>,
}

#[derive(Deserialize)]
struct VectorContestLimit {
    contest_id: String,
    votes_allowed: u32,
}

/// The vectors carry no manifest: one is built from their ballots (style "as given", every
/// contest with its `votes_allowed` and R = 1).
fn manifest_of(ballots: &[serde_json::Value]) -> Result<(Manifest, Vec<PlaintextBallot>)> {
    let mut contests: BTreeMap<(i64, String), Contest> = BTreeMap::new();
    let mut styles: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut plain = Vec::new();
    for (bi, b) in ballots.iter().enumerate() {
        let ballot: PlaintextBallot =
            serde_json::from_value(b.clone()).at(|| format!("ballots[{bi}]"))?;
        let limits: VectorLimits =
            serde_json::from_value(b.clone()).at(|| format!("ballots[{bi}]"))?;
        for (pc, limit) in ballot.contests.iter().zip(&limits.contests) {
            if pc.contest_id != limit.contest_id {
                return Err(differs!("ballots[{bi}]: contest order differs"));
            }
            let entry = contests
                .entry((pc.sequence_order, pc.contest_id.clone()))
                .or_insert_with(|| Contest {
                    id: pc.contest_id.clone(),
                    index: pc.sequence_order as u32,
                    limit: limit.votes_allowed,
                    option_limit: 1,
                    options: Vec::new(),
                    name: pc.contest_id.clone(),
                });
            for s in &pc.selections {
                if !entry.options.iter().any(|o| o.id == s.selection_id) {
                    entry.options.push(ContestOption {
                        id: s.selection_id.clone(),
                        index: u32::try_from(s.sequence_order)
                            .map_err(|_| differs!("ballots[{bi}]: negative sequence_order"))?,
                        candidate: None,
                    });
                }
            }
            styles
                .entry(ballot.ballot_style.clone())
                .or_default()
                .insert(pc.contest_id.clone());
        }
        plain.push(ballot);
    }
    for c in contests.values_mut() {
        c.options.sort_by_key(|o| o.index);
    }
    Ok((
        Manifest {
            election_scope_id: "test vector".into(),
            contests: contests.into_values().collect(),
            styles,
            candidate_names: BTreeMap::new(),
        },
        plain,
    ))
}

fn key_and_hash(k: &str, h_e: &str) -> Result<(PublicKey<G>, HashValue)> {
    Ok((
        PublicKey::new(element("joint_public_key", k)?),
        hash("extended_base_hash", h_e)?,
    ))
}

// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct EncryptionVector {
    joint_public_key: String,
    extended_base_hash: String,
    ballots: Vec<serde_json::Value>,
    expected_encrypted_ballots: Vec<ExpectedBallot>,
}

#[derive(Deserialize)]
struct ExpectedBallot {
    #[serde(rename = "ballotId")]
    ballot_id: String,
    #[serde(rename = "ballotNonce")]
    ballot_nonce: String,
    contests: Vec<ExpectedContest>,
}

#[derive(Deserialize)]
struct ExpectedContest {
    #[serde(rename = "contestId")]
    contest_id: String,
    expected_proof: ExpectedProof,
    selections: Vec<ExpectedSelection>,
}

#[derive(Deserialize)]
struct ExpectedSelection {
    #[serde(rename = "selectionId")]
    selection_id: String,
    expected_selection_nonce: String,
    expected_encrypted_vote: Pad,
    expected_proof: ExpectedProof,
}

#[derive(Deserialize)]
struct Pad {
    pad: String,
    data: String,
}

#[derive(Deserialize)]
struct ExpectedProof {
    proofs: Vec<ExpectedPair>,
}

#[derive(Deserialize)]
struct ExpectedPair {
    u_nonce: String,
    c_nonce: String,
    expected_challenge: String,
    expected_response: String,
}

fn nonces_of(path: &str, p: &ExpectedProof) -> Result<ProofNonces<entente_group::ScalarQ>> {
    let u = p
        .proofs
        .iter()
        .enumerate()
        .map(|(j, x)| scalar(&format!("{path}.proofs[{j}].u_nonce"), &x.u_nonce))
        .collect::<Result<_>>()?;
    let c = p
        .proofs
        .iter()
        .enumerate()
        .map(|(j, x)| scalar(&format!("{path}.proofs[{j}].c_nonce"), &x.c_nonce))
        .collect::<Result<_>>()?;
    Ok(ProofNonces { u, c })
}

fn expect_proof(
    path: &str,
    computed: &entente_record::ballot::RangeProof<G>,
    expected: &ExpectedProof,
) -> Result<()> {
    expect_eq(
        &format!("{path}.proofs (count)"),
        &computed.pairs.len(),
        &expected.proofs.len(),
    )?;
    for (j, (c, e)) in computed.pairs.iter().zip(&expected.proofs).enumerate() {
        let p = format!("{path}.proofs[{j}]");
        expect_eq(
            &format!("{p}.expected_challenge"),
            &c.challenge,
            &scalar(&format!("{p}.expected_challenge"), &e.expected_challenge)?,
        )?;
        expect_eq(
            &format!("{p}.expected_response"),
            &c.response,
            &scalar(&format!("{p}.expected_response"), &e.expected_response)?,
        )?;
    }
    Ok(())
}

pub fn check_encryption(v: &EncryptionVector, revision: Revision) -> Result<()> {
    let (key, h_e) = key_and_hash(&v.joint_public_key, &v.extended_base_hash)?;
    let (manifest, ballots) = manifest_of(&v.ballots)?;
    expect_eq(
        "expected_encrypted_ballots (count)",
        &v.expected_encrypted_ballots.len(),
        &ballots.len(),
    )?;
    let encryptor = Encryptor {
        revision,
        h_e,
        key: &key,
        manifest: &manifest,
        layout: entente_record::Layout::Json20,
    };
    for (bi, (ballot, exp)) in ballots
        .iter()
        .zip(&v.expected_encrypted_ballots)
        .enumerate()
    {
        let at = format!("expected_encrypted_ballots[{bi}]");
        expect_eq(&format!("{at}.ballotId"), &exp.ballot_id, &ballot.ballot_id)?;
        let primary = bytes32(&format!("{at}.ballotNonce"), &exp.ballot_nonce)?;
        // The vector's proof nonces, by site.
        let mut sites = BTreeMap::new();
        for (ci, ec) in exp.contests.iter().enumerate() {
            let cat = format!("{at}.contests[{ci}]");
            sites.insert(
                (ec.contest_id.clone(), None),
                nonces_of(&format!("{cat}.expected_proof"), &ec.expected_proof)?,
            );
            for (si, es) in ec.selections.iter().enumerate() {
                sites.insert(
                    (ec.contest_id.clone(), Some(es.selection_id.clone())),
                    nonces_of(
                        &format!("{cat}.selections[{si}].expected_proof"),
                        &es.expected_proof,
                    )?,
                );
            }
        }
        let mut missing = None;
        let encrypted = encryptor.encrypt(
            ballot,
            BallotContext {
                primary_nonce: &primary,
                code_baux: Vec::new(),
                device: "test vector",
                timestamp: 0,
            },
            |site| {
                let k = match site {
                    ProofSite::Selection {
                        contest, option, ..
                    } => (contest.to_owned(), Some(option.to_owned())),
                    ProofSite::Contest { contest, .. } => (contest.to_owned(), None),
                };
                sites.remove(&k).unwrap_or_else(|| {
                    missing = Some(k);
                    ProofNonces {
                        u: vec![],
                        c: vec![],
                    }
                })
            },
        );
        if let Some(k) = missing {
            return Err(differs!("{at}: the vector gives no proof nonces for {k:?}"));
        }
        let encrypted = encrypted.at(|| at.clone())?;
        for (ci, (ec, c)) in exp.contests.iter().zip(&encrypted.contests).enumerate() {
            let cat = format!("{at}.contests[{ci}]");
            expect_eq(&format!("{cat}.contestId"), &c.contest_id, &ec.contest_id)?;
            for (si, (es, s)) in ec.selections.iter().zip(&c.selections).enumerate() {
                let sat = format!("{cat}.selections[{si}]");
                expect_eq(
                    &format!("{sat}.selectionId"),
                    &s.selection_id,
                    &es.selection_id,
                )?;
                let nonce = hashes::selection_nonce::<G>(
                    revision,
                    &h_e,
                    &primary,
                    Label {
                        id: &c.contest_id,
                        index: c.sequence_order,
                    },
                    Label {
                        id: &s.selection_id,
                        index: s.sequence_order,
                    },
                );
                expect_eq(
                    &format!("{sat}.expected_selection_nonce"),
                    &nonce,
                    &scalar(
                        &format!("{sat}.expected_selection_nonce"),
                        &es.expected_selection_nonce,
                    )?,
                )?;
                expect_eq(
                    &format!("{sat}.expected_encrypted_vote.pad"),
                    &s.ciphertext.alpha,
                    &element(
                        &format!("{sat}.expected_encrypted_vote.pad"),
                        &es.expected_encrypted_vote.pad,
                    )?,
                )?;
                expect_eq(
                    &format!("{sat}.expected_encrypted_vote.data"),
                    &s.ciphertext.beta,
                    &element(
                        &format!("{sat}.expected_encrypted_vote.data"),
                        &es.expected_encrypted_vote.data,
                    )?,
                )?;
                expect_proof(
                    &format!("{sat}.expected_proof"),
                    &s.proof,
                    &es.expected_proof,
                )?;
                s.proof
                    .verify(&h_e, &key, &s.ciphertext)
                    .at(|| format!("{sat}: Verification 5"))?;
            }
            expect_proof(
                &format!("{cat}.expected_proof"),
                &c.proof,
                &ec.expected_proof,
            )?;
            c.proof
                .verify(&h_e, &key, &c.total())
                .at(|| format!("{cat}: Verification 6"))?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct CodeVector {
    joint_public_key: String,
    extended_base_hash: String,
    #[serde(rename = "configBaux0", default)]
    config_baux0: Option<Vec<i16>>,
    ballots: Vec<serde_json::Value>,
    expected_encrypted_ballots: Vec<ExpectedCode>,
}

#[derive(Deserialize)]
struct ExpectedCode {
    #[serde(rename = "ballotId")]
    ballot_id: String,
    #[serde(rename = "ballotNonce")]
    ballot_nonce: String,
    #[serde(rename = "codeBaux")]
    code_baux: String,
    #[serde(rename = "expected_confirmationCode")]
    expected_confirmation_code: String,
    contests: Vec<ExpectedContestHash>,
}

#[derive(Deserialize)]
struct ExpectedContestHash {
    #[serde(rename = "contestId")]
    contest_id: String,
    #[serde(rename = "expected_contestHash")]
    expected_contest_hash: String,
}

/// Confirmation codes, and with `configBaux0` the chain (eq. (59), (60)).
pub fn check_codes(v: &CodeVector, revision: Revision) -> Result<()> {
    let (key, h_e) = key_and_hash(&v.joint_public_key, &v.extended_base_hash)?;
    let (manifest, ballots) = manifest_of(&v.ballots)?;
    expect_eq(
        "expected_encrypted_ballots (count)",
        &v.expected_encrypted_ballots.len(),
        &ballots.len(),
    )?;
    let device = v
        .config_baux0
        .as_ref()
        .map(|b| {
            b.iter()
                .enumerate()
                .map(|(i, &x)| {
                    u8::try_from(x.rem_euclid(256))
                        .map_err(|_| differs!("configBaux0[{i}]: {x} is not a byte"))
                })
                .collect::<Result<Vec<u8>>>()
        })
        .transpose()?;
    let encryptor = Encryptor {
        revision,
        h_e,
        key: &key,
        manifest: &manifest,
        layout: entente_record::Layout::Json20,
    };
    // The proofs do not enter the hashes; their nonces are random, from a fixed seed.
    let mut rng = StdRng::seed_from_u64(1);
    let mut previous = device.as_ref().map(|d| hashes::chain_start(&h_e, d));
    for (bi, (ballot, exp)) in ballots
        .iter()
        .zip(&v.expected_encrypted_ballots)
        .enumerate()
    {
        let at = format!("expected_encrypted_ballots[{bi}]");
        expect_eq(&format!("{at}.ballotId"), &exp.ballot_id, &ballot.ballot_id)?;
        let primary = bytes32(&format!("{at}.ballotNonce"), &exp.ballot_nonce)?;
        let aux = hex::decode(&exp.code_baux).at(|| format!("{at}.codeBaux is not hex"))?;
        if let (Some(d), Some(prev)) = (&device, &previous) {
            let expected_aux = hashes::chain_aux(prev, bi == 0, d);
            if aux != expected_aux {
                return Err(differs!(
                    "{at}.codeBaux: the chain gives {}, vector says {}",
                    hex::encode_upper(&expected_aux),
                    exp.code_baux
                ));
            }
        }
        let encrypted: EncryptedBallot<G> = encryptor
            .encrypt(
                ballot,
                BallotContext {
                    primary_nonce: &primary,
                    code_baux: aux,
                    device: "test vector",
                    timestamp: 0,
                },
                |site| ProofNonces::random(site.limit(), &mut rng),
            )
            .at(|| at.clone())?;
        for (ci, (ec, c)) in exp.contests.iter().zip(&encrypted.contests).enumerate() {
            let cat = format!("{at}.contests[{ci}]");
            expect_eq(&format!("{cat}.contestId"), &c.contest_id, &ec.contest_id)?;
            expect_eq(
                &format!("{cat}.expected_contestHash"),
                &c.contest_hash,
                &hash(
                    &format!("{cat}.expected_contestHash"),
                    &ec.expected_contest_hash,
                )?,
            )?;
        }
        let code = hash(
            &format!("{at}.expected_confirmationCode"),
            &exp.expected_confirmation_code,
        )?;
        expect_eq(
            &format!("{at}.expected_confirmationCode"),
            &encrypted.confirmation_code,
            &code,
        )?;
        previous = Some(encrypted.confirmation_code);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct NonceVector {
    joint_public_key: String,
    extended_base_hash: String,
    primary_nonce: String,
    encrypted_ballot: EncryptedBallotJson,
    expected_decrypted_ballot: PlaintextBallot,
}

/// Opens the vector's ballot with its primary nonce and compares the choices; also checks the
/// ballot itself (proofs, contest hashes, confirmation code), as a voter's check would.
pub fn check_nonce_decryption(v: &NonceVector, revision: Revision) -> Result<()> {
    let (key, h_e) = key_and_hash(&v.joint_public_key, &v.extended_base_hash)?;
    let primary = bytes32("primary_nonce", &v.primary_nonce)?;
    let ballot: EncryptedBallot<G> = v
        .encrypted_ballot
        .read()
        .map_err(|e| differs!("encrypted_ballot.{e}"))?;
    ballot
        .verify_proofs_and_codes(revision, &h_e, &key)
        .at(|| "encrypted_ballot".to_string())?;

    let opened = decrypt_with_nonce(
        revision,
        entente_record::Layout::Json20,
        &h_e,
        &key,
        &ballot,
        &primary,
    )?;
    let expected = &v.expected_decrypted_ballot;
    expect_eq(
        "expected_decrypted_ballot.ballot_id",
        &opened.plaintext.ballot_id,
        &expected.ballot_id,
    )?;
    expect_eq(
        "expected_decrypted_ballot.contests (count)",
        &opened.plaintext.contests.len(),
        &expected.contests.len(),
    )?;
    for (ci, (got, exp)) in opened
        .plaintext
        .contests
        .iter()
        .zip(&expected.contests)
        .enumerate()
    {
        let at = format!("expected_decrypted_ballot.contests[{ci}]");
        expect_eq(
            &format!("{at}.contest_id"),
            &got.contest_id,
            &exp.contest_id,
        )?;
        expect_eq(
            &format!("{at}.selections (count)"),
            &got.selections.len(),
            &exp.selections.len(),
        )?;
        for (si, (g, e)) in got.selections.iter().zip(&exp.selections).enumerate() {
            let sat = format!("{at}.selections[{si}]");
            expect_eq(
                &format!("{sat}.selection_id"),
                &g.selection_id,
                &e.selection_id,
            )?;
            if g.vote != e.vote {
                return Err(differs!(
                    "{sat}.vote: the nonce opens {}, vector says {}",
                    g.vote,
                    e.vote
                ));
            }
        }
        if got.write_ins != exp.write_ins {
            return Err(differs!(
                "{at}.write_ins: the nonce opens {:?}, vector says {:?}",
                got.write_ins,
                exp.write_ins
            ));
        }
    }
    Ok(())
}
