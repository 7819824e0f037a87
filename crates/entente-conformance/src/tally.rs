//! The tally vectors: `BallotAggregationTestVector.json` (the encrypted tally, spec 2.0 §3.5
//! eq. (62)), `TallyPartialDecryptionTestVector.json` and `TallyDecryptionTestVector.json`
//! (threshold decryption with some guardians missing, §3.6 eq. (63)–(76)), and
//! `DecryptBallotTestVector.json` (a ballot decrypted by the guardians, with its proofs).

use std::collections::BTreeMap;

use crate::error::{At, Result, differs};
use entente_core::decrypt::{
    Combiner, Decrypted, DecryptingGuardian, DlogTable, Target, decrypt_in_process,
    decrypt_vote_in_process,
};
use entente_group::{Group, Scalar, ScalarQ, SecretScalar};
use entente_record::ballot::hashes::{self, Label};
use entente_record::ballot::json::{CiphertextJson, EncryptedBallotJson};
use entente_record::ballot::{Ciphertext, ContestData, Decryption, EncryptedBallot, PublicKey};
use entente_record::{HashValue, Revision};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Deserialize;

use super::json::{G, element, expect_eq, hash, scalar};

#[derive(Deserialize)]
struct Pad {
    pad: String,
    data: String,
}

impl Pad {
    fn read(&self, path: &str) -> Result<Ciphertext<G>> {
        Ok(Ciphertext {
            alpha: element(&format!("{path}.pad"), &self.pad)?,
            beta: element(&format!("{path}.data"), &self.data)?,
        })
    }
}

#[derive(Deserialize)]
struct TallyJson {
    contests: Vec<TallyContest>,
    cast_ballot_ids: Vec<String>,
}

#[derive(Deserialize)]
struct TallyContest {
    contest_id: String,
    selections: Vec<TallySelection>,
}

#[derive(Deserialize)]
struct TallySelection {
    selection_id: String,
    encrypted_vote: Pad,
}

// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct AggregationVector {
    joint_public_key: String,
    extended_base_hash: String,
    encrypted_ballots: Vec<AggBallot>,
    expected_encrypted_tally: TallyJson,
}

#[derive(Deserialize)]
struct AggBallot {
    #[serde(rename = "ballotId")]
    ballot_id: String,
    #[serde(rename = "ballotNonce")]
    ballot_nonce: String,
    contests: Vec<AggContest>,
}

#[derive(Deserialize)]
struct AggContest {
    #[serde(rename = "contestId")]
    contest_id: String,
    #[serde(rename = "sequenceOrder")]
    sequence_order: u32,
    selections: Vec<AggSelection>,
}

#[derive(Deserialize)]
struct AggSelection {
    #[serde(rename = "selectionId")]
    selection_id: String,
    #[serde(rename = "sequenceOrder")]
    sequence_order: u32,
    encrypted_vote: Pad,
}

/// (A, B) = (prod α, prod β) over the cast ballots, eq. (62); each ballot's ciphertexts are
/// first checked against its primary nonce (α = g^ξ, β = K^(ξ+σ) with σ in 0..=1, ξ from
/// eq. (25)), which is where K and H_E enter.
pub fn check_aggregation(v: &AggregationVector, revision: Revision) -> Result<()> {
    let key = PublicKey::<G>::new(element("joint_public_key", &v.joint_public_key)?);
    let h_e = hash("extended_base_hash", &v.extended_base_hash)?;
    let mut sums: BTreeMap<(String, String), Ciphertext<G>> = BTreeMap::new();
    for (bi, b) in v.encrypted_ballots.iter().enumerate() {
        let primary = super::json::bytes32(
            &format!("encrypted_ballots[{bi}].ballotNonce"),
            &b.ballot_nonce,
        )?;
        for (ci, c) in b.contests.iter().enumerate() {
            for (si, s) in c.selections.iter().enumerate() {
                let at = format!(
                    "encrypted_ballots[{bi}].contests[{ci}].selections[{si}].encrypted_vote"
                );
                let ct = s.encrypted_vote.read(&at)?;
                let xi = hashes::selection_nonce::<G>(
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
                if G::vartime_g_pow(&xi) != ct.alpha {
                    return Err(differs!("{at}.pad: not g^xi for the ballot's nonce"));
                }
                if ![0u64, 1]
                    .iter()
                    .any(|&t| key.pow(&xi.add(&ScalarQ::from_u64(t))) == ct.beta)
                {
                    return Err(differs!(
                        "{at}.data: neither K^xi nor K^(xi + 1) for the ballot's nonce"
                    ));
                }
                let e = sums
                    .entry((c.contest_id.clone(), s.selection_id.clone()))
                    .or_insert_with(Ciphertext::zero);
                *e = e.add(&ct);
            }
        }
    }
    let t = &v.expected_encrypted_tally;
    let ids: Vec<&String> = v.encrypted_ballots.iter().map(|b| &b.ballot_id).collect();
    let expected_ids: Vec<&String> = t.cast_ballot_ids.iter().collect();
    if ids != expected_ids {
        return Err(differs!(
            "expected_encrypted_tally.cast_ballot_ids: {expected_ids:?}, the ballots are {ids:?}"
        ));
    }
    let mut seen = 0;
    for (ci, c) in t.contests.iter().enumerate() {
        for (si, s) in c.selections.iter().enumerate() {
            let at =
                format!("expected_encrypted_tally.contests[{ci}].selections[{si}].encrypted_vote");
            let expected = s.encrypted_vote.read(&at)?;
            let computed = sums
                .get(&(c.contest_id.clone(), s.selection_id.clone()))
                .ok_or_else(|| differs!("{at}: no ballot has this selection"))?;
            expect_eq(&format!("{at}.pad"), &computed.alpha, &expected.alpha)?;
            expect_eq(&format!("{at}.data"), &computed.beta, &expected.beta)?;
            seen += 1;
        }
    }
    expect_eq("expected_encrypted_tally (selections)", &seen, &sums.len())?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct Trustee {
    id: String,
    #[serde(rename = "xCoordinate")]
    x_coordinate: u32,
    polynomial_coefficients: Vec<String>,
    #[serde(rename = "keyShare")]
    key_share: String,
    missing: bool,
}

/// The trustees as a combiner (every public share g^{P(i)}, the quorum k) and the guardians who
/// take part: each key share is checked against the
/// coefficients (g^{P(i)} = prod_j g^{P_j(i)}), and K against the constant terms.
fn guardians_of<'a>(
    trustees: &[Trustee],
    key: &'a PublicKey<G>,
    h_e: HashValue,
) -> Result<(Combiner<'a, G>, Vec<DecryptingGuardian<G>>)> {
    let k = trustees
        .first()
        .map_or(0, |t| t.polynomial_coefficients.len());
    let mut commitments = Vec::new();
    for (ti, t) in trustees.iter().enumerate() {
        if t.polynomial_coefficients.len() != k {
            return Err(differs!(
                "trustees[{ti}].polynomial_coefficients: {} coefficients, the others have {k}",
                t.polynomial_coefficients.len()
            ));
        }
        let c = t
            .polynomial_coefficients
            .iter()
            .enumerate()
            .map(|(j, a)| {
                Ok(G::g_pow(&scalar(
                    &format!("trustees[{ti}].polynomial_coefficients[{j}]"),
                    a,
                )?))
            })
            .collect::<Result<Vec<_>>>()?;
        commitments.push(c);
    }
    let joint = commitments
        .iter()
        .fold(G::identity(), |acc, c| G::mul(&acc, &c[0]));
    expect_eq(
        "joint_public_key (the product of the trustees' K_i)",
        &joint,
        key.element(),
    )?;
    let mut share_keys = BTreeMap::new();
    // Who takes part. egk's flag reads the wrong way round in its tally vectors: the 3-of-3
    // TallyDecryption vector marks all three trustees "missing", the 3-of-4 partial one marks
    // three of four. So the trustees not marked missing decrypt when they are a quorum (as in
    // DecryptBallot), else the ones marked missing do. Any quorum gives the same value, so the
    // choice cannot make a wrong vector pass; fewer than a quorum either way fails.
    let unmarked = trustees.iter().filter(|t| !t.missing).count();
    let takes_part = |t: &Trustee| if unmarked >= k { !t.missing } else { t.missing };
    let mut present = Vec::new();
    for (ti, t) in trustees.iter().enumerate() {
        let i = t.x_coordinate;
        let x = ScalarQ::from_u64(u64::from(i));
        let share_key = commitments.iter().fold(G::identity(), |acc, c| {
            let mut power = ScalarQ::one();
            c.iter().fold(acc, |acc, k_jm| {
                let term = G::vartime_pow(k_jm, &power);
                power = power.mul(&x);
                G::mul(&acc, &term)
            })
        });
        let share = scalar(&format!("trustees[{ti}].keyShare"), &t.key_share)?;
        expect_eq(
            &format!("trustees[{ti}].keyShare ({})", t.id),
            &G::g_pow(&share),
            &share_key,
        )?;
        if share_keys.insert(i, share_key).is_some() {
            return Err(differs!("trustees[{ti}].xCoordinate {i} appears twice"));
        }
        if takes_part(t) {
            present.push(DecryptingGuardian::new(i, SecretScalar::new(share)));
        }
    }
    let combiner = Combiner {
        h_e,
        key,
        share_keys,
        quorum: k,
    };
    Ok((combiner, present))
}

#[derive(Deserialize)]
pub struct TallyDecryptionVector {
    joint_public_key: String,
    extended_base_hash: String,
    trustees: Vec<Trustee>,
    encrypted_tally: TallyJson,
    expected_decrypted_tally: ExpectedTally,
}

#[derive(Deserialize)]
struct ExpectedTally {
    contests: Vec<ExpectedTallyContest>,
}

#[derive(Deserialize)]
struct ExpectedTallyContest {
    #[serde(rename = "contestId")]
    contest_id: String,
    selections: Vec<ExpectedTallySelection>,
}

#[derive(Deserialize)]
struct ExpectedTallySelection {
    #[serde(rename = "selectionId")]
    selection_id: String,
    expected_decrypted_vote: u64,
}

/// Decrypts every selection of the tally with the present trustees (missing ones absent) and
/// checks the counts; each decryption's proof is checked too (Verification 9, 10.A).
pub fn check_tally_decryption(v: &TallyDecryptionVector, _: Revision) -> Result<()> {
    let key = PublicKey::new(element("joint_public_key", &v.joint_public_key)?);
    let h_e = hash("extended_base_hash", &v.extended_base_hash)?;
    let (combiner, present) = guardians_of(&v.trustees, &key, h_e)?;
    let dlog = DlogTable::new(&key, v.encrypted_tally.cast_ballot_ids.len() as u64);
    let mut rng = StdRng::from_os_rng();
    expect_eq(
        "expected_decrypted_tally.contests (count)",
        &v.expected_decrypted_tally.contests.len(),
        &v.encrypted_tally.contests.len(),
    )?;
    for (ci, (c, e)) in v
        .encrypted_tally
        .contests
        .iter()
        .zip(&v.expected_decrypted_tally.contests)
        .enumerate()
    {
        expect_eq(
            &format!("expected_decrypted_tally.contests[{ci}].contestId"),
            &e.contest_id,
            &c.contest_id,
        )?;
        expect_eq(
            &format!("expected_decrypted_tally.contests[{ci}].selections (count)"),
            &e.selections.len(),
            &c.selections.len(),
        )?;
        for (si, (s, es)) in c.selections.iter().zip(&e.selections).enumerate() {
            let at = format!("expected_decrypted_tally.contests[{ci}].selections[{si}]");
            expect_eq(
                &format!("{at}.selectionId"),
                &es.selection_id,
                &s.selection_id,
            )?;
            let ct = s.encrypted_vote.read(&format!(
                "encrypted_tally.contests[{ci}].selections[{si}].encrypted_vote"
            ))?;
            let d = decrypt_vote_in_process(&combiner, &present, &ct, &dlog, &mut rng)
                .at(|| at.clone())?;
            d.verify(&h_e, &key, &ct).at(|| at.clone())?;
            if d.value != es.expected_decrypted_vote {
                return Err(differs!(
                    "{at}.expected_decrypted_vote: decrypted {}, vector says {}",
                    d.value,
                    es.expected_decrypted_vote
                ));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct DecryptBallotVector {
    joint_public_key: String,
    extended_base_hash: String,
    trustees: Vec<Trustee>,
    encrypted_ballot: EncryptedBallotJson,
    expected_decrypted_ballot: ExpectedBallot,
}

#[derive(Deserialize)]
struct ExpectedBallot {
    id: String,
    contests: Vec<ExpectedBallotContest>,
}

#[derive(Deserialize)]
struct ExpectedBallotContest {
    contest_id: String,
    selections: Vec<ExpectedBallotSelection>,
    decrypted_contest_data: Option<ExpectedContestData>,
}

#[derive(Deserialize)]
struct ExpectedBallotSelection {
    selection_id: String,
    tally: u64,
    b_over_m: String,
    encrypted_vote: CiphertextJson,
    proof: ProofJson,
}

#[derive(Deserialize)]
struct ProofJson {
    challenge: String,
    response: String,
}

#[derive(Deserialize)]
struct ExpectedContestData {
    contest_data: ExpectedContestDataValue,
    encrypted_contest_data: entente_record::ballot::json::ContestDataJson,
    proof: ProofJson,
    beta: String,
}

#[derive(Deserialize)]
struct ExpectedContestDataValue {
    over_votes: Vec<u32>,
    write_ins: Vec<String>,
    status: String,
}

/// The guardians decrypt a ballot: every selection's value and T, the vector's own proofs
/// checked as a verifier would (Verification 9), our decryption compared, and the contest data
/// opened with the vector's β (which must be C_0^s, checked through our own M).
pub fn check_ballot_decryption(v: &DecryptBallotVector, revision: Revision) -> Result<()> {
    let key = PublicKey::new(element("joint_public_key", &v.joint_public_key)?);
    let h_e = hash("extended_base_hash", &v.extended_base_hash)?;
    let (combiner, present) = guardians_of(&v.trustees, &key, h_e)?;
    let ballot: EncryptedBallot<G> = v
        .encrypted_ballot
        .read()
        .map_err(|e| differs!("encrypted_ballot.{e}"))?;
    // The ballot itself: proofs (Verifications 5, 6), contest hashes and confirmation code (7).
    ballot
        .verify_proofs_and_codes(revision, &h_e, &key)
        .at(|| "encrypted_ballot".to_string())?;
    let dlog = DlogTable::new(&key, 64);
    let mut rng = StdRng::from_os_rng();
    let e = &v.expected_decrypted_ballot;
    expect_eq("expected_decrypted_ballot.id", &e.id, &ballot.ballot_id)?;
    expect_eq(
        "expected_decrypted_ballot.contests (count)",
        &e.contests.len(),
        &ballot.contests.len(),
    )?;
    for (ci, (c, ec)) in ballot.contests.iter().zip(&e.contests).enumerate() {
        let cat = format!("expected_decrypted_ballot.contests[{ci}]");
        expect_eq(&format!("{cat}.contest_id"), &ec.contest_id, &c.contest_id)?;
        expect_eq(
            &format!("{cat}.selections (count)"),
            &ec.selections.len(),
            &c.selections.len(),
        )?;
        for (si, (s, es)) in c.selections.iter().zip(&ec.selections).enumerate() {
            let at = format!("{cat}.selections[{si}]");
            expect_eq(
                &format!("{at}.selection_id"),
                &es.selection_id,
                &s.selection_id,
            )?;
            let stated_ct: Ciphertext<G> = Pad {
                pad: es.encrypted_vote.pad.clone(),
                data: es.encrypted_vote.data.clone(),
            }
            .read(&format!("{at}.encrypted_vote"))?;
            expect_eq(
                &format!("{at}.encrypted_vote.pad"),
                &stated_ct.alpha,
                &s.ciphertext.alpha,
            )?;
            expect_eq(
                &format!("{at}.encrypted_vote.data"),
                &stated_ct.beta,
                &s.ciphertext.beta,
            )?;
            let stated = Decryption::<G> {
                value: es.tally,
                k_to_t: element(&format!("{at}.b_over_m"), &es.b_over_m)?,
                challenge: scalar(&format!("{at}.proof.challenge"), &es.proof.challenge)?,
                response: scalar(&format!("{at}.proof.response"), &es.proof.response)?,
            };
            stated
                .verify(&h_e, &key, &s.ciphertext)
                .at(|| format!("{at}: the vector's decryption"))?;
            let ours = decrypt_vote_in_process(&combiner, &present, &s.ciphertext, &dlog, &mut rng)
                .at(|| at.clone())?;
            if ours.value != es.tally {
                return Err(differs!(
                    "{at}.tally: decrypted {}, vector says {}",
                    ours.value,
                    es.tally
                ));
            }
            expect_eq(&format!("{at}.b_over_m"), &ours.k_to_t, &stated.k_to_t)?;
        }
        if let Some(d) = &ec.decrypted_contest_data {
            let dat = format!("{cat}.decrypted_contest_data");
            let beta = element(&format!("{dat}.beta"), &d.beta)?;
            // β must be C_0^s: the trustees decrypt the contest data themselves (eq. (77)–(85)),
            // and their β and proof must hold.
            let target = Target::ContestData {
                data: c.contest_data.clone(),
                contest_id: c.contest_id.clone(),
                contest_index: c.sequence_order,
            };
            let Some(Decrypted::ContestData { proof, .. }) =
                decrypt_in_process(&combiner, &present, &[target], &dlog, &mut rng)
                    .at(|| dat.clone())?
                    .pop()
            else {
                return Err(differs!(
                    "{dat}: contest data did not decrypt as contest data"
                ));
            };
            expect_eq(&format!("{dat}.beta"), &proof.beta, &beta)?;
            c.contest_data
                .verify_decryption(&h_e, &key, &proof.beta, &proof.challenge, &proof.response)
                .at(|| format!("{dat}: our proof"))?;
            let ecd = &d.encrypted_contest_data;
            let stated_c1 =
                hex::decode(&ecd.c1).at(|| format!("{dat}.encrypted_contest_data.c1"))?;
            if element(&format!("{dat}.encrypted_contest_data.c0"), &ecd.c0)? != c.contest_data.c0
                || stated_c1 != c.contest_data.c1
                || super::json::bytes32(&format!("{dat}.encrypted_contest_data.c2"), &ecd.c2)?
                    != c.contest_data.c2
                || ecd.num_bytes != c.contest_data.num_bytes
            {
                return Err(differs!(
                    "{dat}.encrypted_contest_data differs from the ballot's"
                ));
            }
            // The vector's proof of β, Verification 11 (egk hashes C_1 as hex text there).
            c.contest_data
                .verify_decryption(
                    &h_e,
                    &key,
                    &beta,
                    &scalar(&format!("{dat}.proof.challenge"), &d.proof.challenge)?,
                    &scalar(&format!("{dat}.proof.response"), &d.proof.response)?,
                )
                .at(|| format!("{dat}.proof"))?;
            let plain = c
                .contest_data
                .decrypt_with_beta(&h_e, key.element(), &beta, &c.contest_id, c.sequence_order)
                .at(|| dat.clone())?;
            let data = ContestData::decode(&plain).at(|| dat.clone())?;
            let status = format!("{:?}", data.status);
            let expected_status = d.contest_data.status.replace('_', "").to_lowercase();
            if status.to_lowercase() != expected_status {
                return Err(differs!(
                    "{dat}.contest_data.status: decrypted {status}, vector says {}",
                    d.contest_data.status
                ));
            }
            if data.over_votes != d.contest_data.over_votes
                || data.write_ins != d.contest_data.write_ins
            {
                return Err(differs!(
                    "{dat}.contest_data: decrypted {data:?}, vector says over_votes {:?}, write_ins {:?}",
                    d.contest_data.over_votes,
                    d.contest_data.write_ins
                ));
            }
        }
    }
    Ok(())
}
