//! Verification 8 (the encrypted tally is the product of the cast ballots), 9 to 11 (the
//! decrypted tally: proofs, values, labels, contest data) and 12 to 14 (every challenged ballot
//! decrypted, with proofs, valid choices and contest data).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use entente_group::Group;
use entente_record::ballot::json::{EncryptedBallotJson, read_batch};
use entente_record::ballot::{Ciphertext, ContestData, EncryptedBallot};
use entente_record::election::read_json;
use entente_record::manifest::Manifest;
use entente_record::tally::{
    DecryptedTally, DecryptedTallyJson, EncryptedTallyJson, EncryptedTallyRecord,
};
use entente_record::{Layout, RecordError};
use rand::TryRngCore;

use rayon::prelude::*;

use crate::ballots::read_as_20;
use crate::fold::BallotPass;
use crate::setup::Setup;
use crate::{Check, ReadError};

/// `encrypted_tally.json`, required in a complete record.
pub(crate) fn read_encrypted_tally<G: Group>(
    dir: &Path,
    layout: Layout,
    manifest: &Manifest,
) -> Result<Option<EncryptedTallyRecord<G>>, ReadError> {
    let path = dir.join("encrypted_tally.json");
    let json: EncryptedTallyJson = read_as_20(&path, layout, manifest)?;
    json.read().map(Some).map_err(|e| ReadError::file(&path, e))
}

/// A challenged ballot, read again (its elements' membership proven in one batch).
pub(crate) fn read_ballot<G: Group>(
    path: &Path,
    layout: Layout,
    manifest: &Manifest,
) -> Result<EncryptedBallot<G>, ReadError> {
    let json: EncryptedBallotJson = read_as_20(path, layout, manifest)?;
    let mut rng = rand::rngs::OsRng.unwrap_err();
    match read_batch::<G, _>(&[&json], &mut rng).pop() {
        Some(read) => read.map_err(|e| ReadError::file(path, e)),
        None => Err(ReadError::file(path, "no ballot read")),
    }
}

fn read_decrypted<G: Group>(
    path: &Path,
    layout: Layout,
    manifest: &Manifest,
) -> Result<DecryptedTally<G>, ReadError> {
    let json: DecryptedTallyJson = read_as_20(path, layout, manifest)?;
    json.read().map_err(|e| ReadError::file(path, e))
}

/// Verifications 8 to 14 and their part of the record's consistency.
pub(crate) struct Rest {
    pub v8: Check,
    pub v9_to_v14: Vec<Check>,
    pub v19: Check,
}

/// What a record without an encrypted tally reports for 8 to 14.
fn no_tally() -> Rest {
    Rest {
        v8: Check::new(8).not_applicable("no encrypted tally"),
        v9_to_v14: (9..=14)
            .map(|n| Check::new(n).not_applicable("no tally"))
            .collect(),
        v19: Check::new(19),
    }
}

/// Verifications 8 to 14 after a single pass over the ballots.
pub(crate) fn check<G: Group>(
    dir: &Path,
    setup: &Setup<G>,
    tally: Option<&EncryptedTallyRecord<G>>,
    pass: &BallotPass<G>,
    layout: Layout,
) -> Result<Rest, ReadError> {
    let Some(tally) = tally else {
        return Ok(no_tally());
    };
    let v8 = v8(setup, tally, &pass.aggregate);
    let [v9, v10, v11] = v9_to_v11(dir, setup, tally, layout)?;
    let (dballots, mut v12) = decryptions(dir)?;
    let ids: Vec<&str> = pass.challenged.iter().map(|b| b.id.as_str()).collect();
    unclaimed_decryptions(&dballots, &ids, &pass.ids, &mut v12);
    let (mut v13, mut v14) = (Check::new(13), Check::new(14));
    // Each challenged ballot on its own core (a large election has thousands of them), a chunk
    // at a time.
    for chunk in pass.challenged.chunks(crate::ballots::CHUNK) {
        let parts: Vec<[Check; 3]> = chunk
            .par_iter()
            .map(|b| {
                let decryption = dballots.get(&b.id).map(PathBuf::as_path);
                challenged_part(setup, &b.id, &b.path, decryption, layout)
            })
            .collect::<Result<_, ReadError>>()?;
        for [p12, p13, p14] in parts {
            v12.absorb(p12);
            v13.absorb(p13);
            v14.absorb(p14);
        }
    }
    let mut v19 = Check::new(19);
    v19.checked += dballots.len() as u64;
    Ok(Rest {
        v8,
        v9_to_v14: finish_9_to_14([v9, v10, v11], [v12, v13, v14]),
        v19,
    })
}

/// Verifications 9 to 14 in the report's order, each marked where it does not apply.
pub(crate) fn finish_9_to_14(tally: [Check; 3], challenged: [Check; 3]) -> Vec<Check> {
    let [v9, v10, v11] = tally;
    let [v12, v13, v14] = challenged;
    vec![
        v9,
        v10,
        v11.not_applicable("the tally decrypts no contest data"),
        v12.not_applicable("no ballot was challenged"),
        v13.not_applicable("no ballot was challenged"),
        v14.not_applicable("no ballot was challenged"),
    ]
}

/// Verification 8: (A, B) = (prod α_j, prod β_j) over the cast ballots (eq. (62)).
pub(crate) fn v8<G: Group>(
    setup: &Setup<G>,
    tally: &EncryptedTallyRecord<G>,
    aggregate: &crate::ballots::Aggregate<G>,
) -> Check {
    let mut v8 = Check::new(8);
    v8.expect(
        tally.election_id == setup.h_e,
        || "encrypted_tally.json: election_id".into(),
        "the encrypted tally is not this election's (election_id is not H_E)",
    );
    let mut expected: HashMap<(&str, &str), &Ciphertext<G>> = aggregate
        .iter()
        .map(|((c, s), ct)| ((c.as_str(), s.as_str()), ct))
        .collect();
    let zero = Ciphertext::<G>::zero();
    for c in &tally.contests {
        for s in &c.selections {
            v8.checked += 1;
            let product = expected
                .remove(&(c.contest_id.as_str(), s.selection_id.as_str()))
                .unwrap_or(&zero);
            v8.expect(
                *product == s.ciphertext,
                || {
                    format!(
                        "encrypted tally, contest {}, selection {}",
                        c.contest_id, s.selection_id
                    )
                },
                "8.A/8.B: (A, B) is not the product of the cast ballots' encryptions",
            );
        }
    }
    for (c, s) in expected.keys() {
        v8.fail(
            format!("encrypted tally, contest {c}, selection {s}"),
            "8: the cast ballots vote here, but the encrypted tally has no such selection",
        );
    }

    v8
}

/// Verifications 9 to 11: the decrypted tally, its proofs and its contest data.
pub(crate) fn v9_to_v11<G: Group>(
    dir: &Path,
    setup: &Setup<G>,
    tally: &EncryptedTallyRecord<G>,
    layout: Layout,
) -> Result<[Check; 3], ReadError> {
    let (mut v9, mut v10, mut v11) = (Check::new(9), Check::new(10), Check::new(11));
    let decrypted = read_decrypted::<G>(&dir.join("tally.json"), layout, &setup.manifest)?;
    let encrypted: HashMap<(&str, &str), &Ciphertext<G>> = tally
        .contests
        .iter()
        .flat_map(|c| {
            c.selections.iter().map(move |s| {
                (
                    (c.contest_id.as_str(), s.selection_id.as_str()),
                    &s.ciphertext,
                )
            })
        })
        .collect();
    // The proofs of 9.A/9.B and 10.A, each on its own core (a ballot of a general election has
    // hundreds of selections); the report is then assembled in the record's order.
    let proofs: Vec<Vec<Result<(), RecordError>>> = decrypted
        .contests
        .par_iter()
        .map(|c| {
            c.selections
                .par_iter()
                .map(|s| s.decryption.verify(&setup.h_e, &setup.key, &s.ciphertext))
                .collect()
        })
        .collect();
    for (c, contest_proofs) in decrypted.contests.iter().zip(proofs) {
        let Some(m) = setup
            .manifest
            .contests
            .iter()
            .find(|m| m.id == c.contest_id)
        else {
            v10.fail(
                format!("tally, contest {}", c.contest_id),
                "10.B: the contest is not in the manifest",
            );
            continue;
        };
        for (s, proof) in c.selections.iter().zip(contest_proofs) {
            let at = || {
                format!(
                    "tally, contest {}, selection {}",
                    c.contest_id, s.selection_id
                )
            };
            v9.checked += 1;
            v10.checked += 1;
            v10.expect(
                m.options.iter().any(|o| o.id == s.selection_id),
                at,
                "10.C: the option is not the manifest's for this contest",
            );
            match encrypted.get(&(c.contest_id.as_str(), s.selection_id.as_str())) {
                Some(ct) if **ct == s.ciphertext => {}
                _ => v9.fail(
                    at(),
                    "9: the ciphertext decrypted is not the encrypted tally's",
                ),
            }
            match proof {
                Ok(()) => {}
                Err(RecordError::DecryptedValue { value }) => v10.fail(
                    at(),
                    format!("10.A: T is not K^t for the stated t = {value}"),
                ),
                Err(e) => v9.fail(at(), format!("9.B: {e}")),
            }
        }
        for o in &m.options {
            v10.expect(
                c.selections.iter().any(|s| s.selection_id == o.id),
                || format!("tally, contest {}, option {}", c.contest_id, o.id),
                "10.D: a manifest option is missing from the decrypted tally",
            );
        }
        if let Some(d) = &c.contest_data {
            v11.checked += 1;
            v11.expect(
                d.encrypted
                    .verify_decryption(
                        &setup.h_e,
                        &setup.key,
                        &d.proof.beta,
                        &d.proof.challenge,
                        &d.proof.response,
                    )
                    .is_ok(),
                || format!("tally, contest {}, contest data", c.contest_id),
                "11.B: c is not H(H_E; 0x31, K, C_0, C_1, C_2, a, b, β)",
            );
        }
    }
    for c in &tally.contests {
        v10.expect(
            decrypted
                .contests
                .iter()
                .any(|d| d.contest_id == c.contest_id),
            || format!("tally, contest {}", c.contest_id),
            "10.E: a contest of the encrypted tally is missing from the decrypted tally",
        );
    }

    Ok([v9, v10, v11])
}

/// The published decryptions of challenged ballots: where each is, by ballot id, and
/// Verification 12's failures for an id decrypted twice.
pub(crate) fn decryptions(dir: &Path) -> Result<(HashMap<String, PathBuf>, Check), ReadError> {
    let mut v12 = Check::new(12);
    let cdir = dir.join("challenged_ballots");
    // Only where each decryption is: they are read again, a chunk at a time, later.
    let mut dballots: HashMap<String, PathBuf> = HashMap::new();
    if cdir.exists() {
        let mut files: Vec<_> = std::fs::read_dir(&cdir)
            .map_err(|e| ReadError::file(&cdir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for f in files {
            #[derive(serde::Deserialize)]
            struct IdOnly {
                id: String,
            }
            let d: IdOnly = read_json(&f).map_err(|e| ReadError::file(&f, e))?;
            if dballots.contains_key(&d.id) {
                v12.fail(format!("challenged ballot {}", d.id), "decrypted twice");
            }
            dballots.insert(d.id, f);
        }
    }
    Ok((dballots, v12))
}

/// Verification 12: a published decryption of a ballot that is not a challenged one of the
/// record (`challenged`, the challenged ids; `ids`, every ballot id).
pub(crate) fn unclaimed_decryptions(
    dballots: &HashMap<String, PathBuf>,
    challenged: &[&str],
    ids: &HashSet<crate::ballots::IdKey>,
    v12: &mut Check,
) {
    let challenged: HashSet<&str> = challenged.iter().copied().collect();
    // In id order, so that the report is the same from run to run.
    let mut unclaimed: Vec<&String> = dballots
        .keys()
        .filter(|id| !challenged.contains(id.as_str()))
        .collect();
    unclaimed.sort_unstable();
    for id in unclaimed {
        if ids.contains(&crate::ballots::id_key(id)) {
            v12.fail(
                format!("ballot {id}"),
                "a decryption of a CAST ballot is published: it reveals a vote",
            );
        } else {
            v12.fail(
                format!("challenged_ballots, ballot {id}"),
                "the record holds no challenged ballot with this id",
            );
        }
    }
}

/// Verifications 12 to 14 for the challenged ballot `id` in `ballot`, whose published
/// decryption is `decryption` (None: there is none, which fails 12).
pub(crate) fn challenged_part<G: Group>(
    setup: &Setup<G>,
    id: &str,
    ballot: &Path,
    decryption: Option<&Path>,
    layout: Layout,
) -> Result<[Check; 3], ReadError> {
    let mut part = [Check::new(12), Check::new(13), Check::new(14)];
    match decryption {
        None => part[0].fail(
            format!("challenged ballot {id}"),
            "12: the challenged ballot has no published decryption",
        ),
        Some(path) => {
            let ballot = read_ballot::<G>(ballot, layout, &setup.manifest)?;
            let d = read_decrypted::<G>(path, layout, &setup.manifest)?;
            let [p12, p13, p14] = &mut part;
            check_challenged(setup, &ballot, &d, p12, p13, p14, layout);
        }
    }
    Ok(part)
}

/// Verifications 12 to 14 for one challenged ballot and its published decryption.
fn check_challenged<G: Group>(
    setup: &Setup<G>,
    b: &EncryptedBallot<G>,
    d: &DecryptedTally<G>,
    v12: &mut Check,
    v13: &mut Check,
    v14: &mut Check,
    layout: Layout,
) {
    let who = format!("challenged ballot {}", b.ballot_id);
    for c in &b.contests {
        let cat = format!("{who}, contest {}", c.contest_id);
        let Some(dc) = d.contests.iter().find(|x| x.contest_id == c.contest_id) else {
            v13.fail(&cat, "13.D: the contest is missing from the decryption");
            continue;
        };
        let manifest = setup
            .manifest
            .contests
            .iter()
            .find(|m| m.id == c.contest_id);
        let mut sum = 0u64;
        for s in &c.selections {
            let at = || format!("{cat}, selection {}", s.selection_id);
            let Some(ds) = dc
                .selections
                .iter()
                .find(|x| x.selection_id == s.selection_id)
            else {
                v13.fail(at(), "13.F: the option is missing from the decryption");
                continue;
            };
            v12.checked += 1;
            v13.checked += 1;
            if ds.ciphertext != s.ciphertext {
                v12.fail(at(), "12: the ciphertext decrypted is not the ballot's");
            }
            match ds.decryption.verify(&setup.h_e, &setup.key, &s.ciphertext) {
                Ok(()) => {}
                Err(RecordError::DecryptedValue { value }) => v13.fail(
                    at(),
                    format!("13.A: S is not K^σ for the stated σ = {value}"),
                ),
                Err(e) => v12.fail(at(), format!("12.B: {e}")),
            }
            let limit = manifest.map_or(1, |m| m.option_limit);
            v13.expect(
                ds.decryption.value <= u64::from(limit),
                at,
                &format!(
                    "13.B: σ = {} is above the option limit {limit}",
                    ds.decryption.value
                ),
            );
            sum += ds.decryption.value;
        }
        if let Some(m) = manifest {
            v13.expect(
                sum <= u64::from(m.limit),
                || cat.clone(),
                &format!(
                    "13.C: the selections sum to {sum}, above the contest limit {}",
                    m.limit
                ),
            );
        } else {
            v13.fail(&cat, "13.D: the contest is not in the manifest");
        }
        for ds in &dc.selections {
            v13.expect(
                c.selections
                    .iter()
                    .any(|s| s.selection_id == ds.selection_id),
                || format!("{cat}, selection {}", ds.selection_id),
                "13.E: the decryption has an option the ballot does not",
            );
        }
        // Verification 14: β and its proof, and the stated contest data is what C_1 holds.
        let Some(data) = &dc.contest_data else {
            v14.fail(&cat, "14: the contest data is not decrypted");
            continue;
        };
        v14.checked += 1;
        if data.encrypted != c.contest_data {
            v14.fail(&cat, "14: the contest data decrypted is not the ballot's");
            continue;
        }
        if c.contest_data
            .verify_decryption(
                &setup.h_e,
                &setup.key,
                &data.proof.beta,
                &data.proof.challenge,
                &data.proof.response,
            )
            .is_err()
        {
            v14.fail(
                &cat,
                "14.B: c is not H(H_E; 0x31, K, C_0, C_1, C_2, a, b, β)",
            );
            continue;
        }
        let opened = c
            .contest_data
            .decrypt_with_beta(
                &setup.h_e,
                setup.key.element(),
                &data.proof.beta,
                &c.contest_id,
                c.sequence_order,
            )
            .and_then(|bytes| match layout {
                Layout::Json20 => ContestData::decode(&bytes),
                Layout::Json21 => ContestData::decode_21(&bytes),
            });
        match opened {
            Ok(plain) if plain == data.data => {}
            Ok(plain) => v14.fail(
                &cat,
                format!(
                    "14: the stated contest data is not what C_1 decrypts to under β ({:?}, {:?}, {:?})",
                    plain.status, plain.over_votes, plain.write_ins
                ),
            ),
            Err(e) => v14.fail(&cat, format!("14: C_1 does not open under β: {e}")),
        }
    }
}
