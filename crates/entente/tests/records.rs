//! The spec 2.0.0 path against complete election records written by another implementation
//! (egk): parameters, base hashes, guardian keys and proofs, joint key, H_E, key shares.

use std::path::{Path, PathBuf};

use entente_core::keys::{GuardianPublicKey, JointKey, KeyContext, Quorum, SchnorrProof};
use entente_group::{Group, P4096, Scalar, ScalarQ};
use entente_record::{HashValue, params};
use serde_json::Value;

mod common;
use common::json;

type G = P4096;

fn records() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/egk/records");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("conformance records missing at {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("election_initialized.json").is_file())
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no records under {}", dir.display());
    out
}

fn str_at<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is not a string"))
}

/// A guardian's published key from an `election_initialized.json` guardian entry.
fn guardian_key(g: &Value) -> GuardianPublicKey<G> {
    let proofs = g["coefficient_proofs"].as_array().unwrap();
    GuardianPublicKey {
        index: g["x_coordinate"].as_u64().unwrap() as u32,
        commitments: proofs
            .iter()
            .map(|p| G::element_from_hex(str_at(p, "public_key")).unwrap())
            .collect(),
        proofs: proofs
            .iter()
            .map(|p| SchnorrProof {
                challenge: ScalarQ::from_hex(str_at(p, "challenge")).unwrap(),
                response: ScalarQ::from_hex(str_at(p, "response")).unwrap(),
            })
            .collect(),
    }
}

#[test]
fn records_hold_under_spec_2_0_0() {
    for dir in records() {
        let constants = json(&dir.join("constants.json"));
        let c = P4096::constants();
        assert_eq!(
            str_at(&constants, "large_prime"),
            entente_group::hex::encode(&c.p_bytes())
        );
        assert_eq!(
            str_at(&constants, "small_prime"),
            entente_group::hex::encode(&c.q_bytes())
        );
        assert_eq!(
            str_at(&constants, "cofactor"),
            entente_group::hex::encode(&c.r_bytes())
        );
        assert_eq!(
            str_at(&constants, "generator"),
            entente_group::hex::encode(&c.g_bytes())
        );

        let config = json(&dir.join("election_config.json"));
        let ctx = KeyContext::standard();
        assert_eq!(str_at(&config, "parameter_base_hash"), ctx.h_p.to_hex());
        let manifest = std::fs::read(dir.join("manifest.json")).unwrap();
        let h_m = params::manifest_hash(&ctx.h_p, &manifest).unwrap();
        assert_eq!(
            str_at(&config, "manifest_hash"),
            h_m.to_hex(),
            "{}",
            dir.display()
        );
        let n = config["number_of_guardians"].as_u64().unwrap() as u32;
        let k = config["quorum"].as_u64().unwrap() as u32;
        let h_b = params::election_base_hash(&ctx.h_p, &h_m, n, k);
        assert_eq!(str_at(&config, "election_base_hash"), h_b.to_hex());

        let init = json(&dir.join("election_initialized.json"));
        let quorum = Quorum::new(n, k).unwrap();
        let mut verified = Vec::new();
        for g in init["guardians"].as_array().unwrap() {
            verified.push(guardian_key(g).verify(&ctx, quorum).unwrap());
        }
        let joint = JointKey::combine(&ctx, &h_b, verified).unwrap();
        assert_eq!(
            str_at(&init, "joint_public_key"),
            G::element_to_hex(&joint.key)
        );
        assert_eq!(
            HashValue::from_hex(str_at(&init, "extended_base_hash")).unwrap(),
            joint.extended_base_hash
        );

        // The trustees' secrets: coefficients match the commitments, and each key share P(i)
        // matches the product of every guardian's commitments at i (eq. (13), (22)).
        for entry in std::fs::read_dir(dir.join("private_data/trustees")).unwrap() {
            let t = json(&entry.unwrap().path());
            let index = t["x_coordinate"].as_u64().unwrap() as u32;
            let mine = joint.guardians.iter().find(|g| g.index() == index).unwrap();
            for (j, a) in t["polynomial_coefficients"]
                .as_array()
                .unwrap()
                .iter()
                .enumerate()
            {
                let a = ScalarQ::from_hex(a.as_str().unwrap()).unwrap();
                assert_eq!(G::g_pow(&a), mine.commitments()[j]);
            }
            let share = ScalarQ::from_hex(str_at(&t, "key_share")).unwrap();
            let expected = joint.guardians.iter().fold(G::identity(), |acc, g| {
                G::mul(&acc, &g.commitment_at(index))
            });
            assert_eq!(
                G::vartime_g_pow(&share),
                expected,
                "key share of guardian {index}"
            );
        }
    }
}

#[test]
fn a_changed_proof_in_a_record_is_caught() {
    let dir = &records()[0];
    let init = json(&dir.join("election_initialized.json"));
    let g = &init["guardians"][0];
    let p = &g["coefficient_proofs"][1];
    let key = guardian_key(g);
    let mut bad = key.clone();
    bad.proofs[1].challenge = ScalarQ::from_hex(str_at(p, "challenge"))
        .unwrap()
        .add(&ScalarQ::one());
    let quorum = Quorum::new(3, 3).unwrap();
    assert!(key.verify(&KeyContext::standard(), quorum).is_ok());
    assert!(bad.verify(&KeyContext::standard(), quorum).is_err());
}

mod ballots {
    use super::*;
    use entente_record::ballot::hashes::{self, Label};
    use entente_record::ballot::json::EncryptedBallotJson;
    use entente_record::ballot::{
        ContestData, ContestStatus, EncryptedBallot, PlaintextBallot, PublicKey,
    };

    struct Election {
        key: PublicKey<G>,
        h_e: HashValue,
        secret: ScalarQ,
    }

    fn election(dir: &Path) -> Election {
        let init = json(&dir.join("election_initialized.json"));
        let key = G::element_from_hex(str_at(&init, "joint_public_key")).unwrap();
        // All guardians' secrets are in private_data: their sum is the joint secret.
        let secret = std::fs::read_dir(dir.join("private_data/trustees"))
            .unwrap()
            .map(|e| json(&e.unwrap().path()))
            .fold(ScalarQ::zero(), |acc, t| {
                acc.add(
                    &ScalarQ::from_hex(t["polynomial_coefficients"][0].as_str().unwrap()).unwrap(),
                )
            });
        assert_eq!(G::g_pow(&secret), key);
        Election {
            key: PublicKey::new(key),
            h_e: HashValue::from_hex(str_at(&init, "extended_base_hash")).unwrap(),
            secret,
        }
    }

    fn ballot_files(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for device in std::fs::read_dir(dir.join("encrypted_ballots")).unwrap() {
            for f in std::fs::read_dir(device.unwrap().path()).unwrap() {
                let p = f.unwrap().path();
                if p.file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .starts_with("eballot-")
                {
                    out.push(p);
                }
            }
        }
        out.sort();
        assert!(!out.is_empty());
        out
    }

    /// Checking every element of a ballot costs about 220 exponentiations (a membership check
    /// each); the tests check the whole of a few ballots per record and the JSON of all.
    const CHECKED_PER_RECORD: usize = 2;

    #[test]
    fn encrypted_ballots_parse_and_reserialise_to_the_same_json() {
        for dir in records() {
            for (n, file) in ballot_files(&dir).into_iter().enumerate() {
                let original = json(&file);
                let parsed: EncryptedBallotJson = serde_json::from_value(original.clone()).unwrap();
                assert_eq!(
                    serde_json::to_value(&parsed).unwrap(),
                    original,
                    "{}",
                    file.display()
                );
                if n >= CHECKED_PER_RECORD {
                    continue;
                }
                let typed: EncryptedBallot<G> = parsed.read().unwrap();
                let written = EncryptedBallotJson::write(&typed);
                assert_eq!(
                    serde_json::to_value(&written).unwrap(),
                    original,
                    "{}",
                    file.display()
                );
            }
        }
    }

    /// Every ballot of both records: proofs (Verifications 5, 6), contest hashes and
    /// confirmation codes (7.A, 7.B), and, opened with the joint secret, the plaintext input
    /// of `private_data/input` with its contest data (§3.3.7).
    #[test]
    fn recorded_ballots_hold_and_open_to_their_inputs() {
        for dir in records() {
            let e = election(&dir);
            // The challenged ones first: they are the interesting ones.
            let mut files = ballot_files(&dir);
            files.sort_by_key(|f| !std::fs::read_to_string(f).unwrap().contains("\"SPOILED\""));
            for file in files.into_iter().take(CHECKED_PER_RECORD) {
                let b: EncryptedBallot<G> =
                    serde_json::from_value::<EncryptedBallotJson>(json(&file))
                        .unwrap()
                        .read()
                        .unwrap();
                assert_eq!(b.election_id, Some(e.h_e));
                let input: PlaintextBallot = serde_json::from_value(json(
                    &dir.join(format!("private_data/input/pballot-{}.json", b.ballot_id)),
                ))
                .unwrap();
                for c in &b.contests {
                    for s in &c.selections {
                        s.proof.verify(&e.h_e, &e.key, &s.ciphertext).unwrap();
                    }
                    c.proof.verify(&e.h_e, &e.key, &c.total()).unwrap();
                    assert_eq!(c.proof.limit(), c.votes_allowed);
                    let chi = hashes::contest_hash::<G>(
                        entente_record::Revision::V2_0_0,
                        &e.h_e,
                        Label {
                            id: &c.contest_id,
                            index: c.sequence_order,
                        },
                        e.key.element(),
                        c.selections.iter().map(|s| &s.ciphertext),
                    );
                    assert_eq!(chi, c.contest_hash);

                    // Open with the joint secret: K^t = β / α^s.
                    let pc = input
                        .contests
                        .iter()
                        .find(|p| p.contest_id == c.contest_id)
                        .unwrap();
                    let beta = G::pow(&c.contest_data.c0, &e.secret);
                    let data = c
                        .contest_data
                        .decrypt_with_beta(
                            &e.h_e,
                            e.key.element(),
                            &beta,
                            &c.contest_id,
                            c.sequence_order,
                        )
                        .unwrap();
                    let data = ContestData::decode(&data).unwrap();
                    let votes: i64 = pc.selections.iter().map(|s| s.vote).sum();
                    let expected_status = match votes {
                        0 => ContestStatus::NullVote,
                        v if v < i64::from(c.votes_allowed) => ContestStatus::UnderVote,
                        v if v > i64::from(c.votes_allowed) => ContestStatus::OverVote,
                        _ => ContestStatus::Normal,
                    };
                    assert_eq!(
                        data.status, expected_status,
                        "{} {}",
                        b.ballot_id, c.contest_id
                    );
                    for s in &c.selections {
                        let k_t = G::mul(
                            &s.ciphertext.beta,
                            &G::inv(&G::pow(&s.ciphertext.alpha, &e.secret)),
                        );
                        let t = (0..=1u64)
                            .find(|&t| e.key.pow(&ScalarQ::from_u64(t)) == k_t)
                            .unwrap();
                        let vote = pc
                            .selections
                            .iter()
                            .find(|p| p.selection_id == s.selection_id)
                            .map_or(0, |p| p.vote);
                        let expected = if data.status == ContestStatus::OverVote {
                            0
                        } else {
                            vote
                        };
                        assert_eq!(
                            t as i64, expected,
                            "{} {} {}",
                            b.ballot_id, c.contest_id, s.selection_id
                        );
                    }
                }
                let code = hashes::confirmation_code(
                    &e.h_e,
                    b.contests.iter().map(|c| &c.contest_hash),
                    &b.code_baux,
                );
                assert_eq!(code, b.confirmation_code, "{}", b.ballot_id);
            }
        }
    }

    /// The chained record: B_aux of each ballot follows eq. (59), (60) as the records write
    /// them, and the closing hash eq. (61) (Verification 7.D–7.G).
    #[test]
    fn the_chain_of_the_chained_record_holds() {
        let dir = records()
            .into_iter()
            .find(|d| d.ends_with("chainedJson"))
            .unwrap();
        let e = election(&dir);
        let config = json(&dir.join("election_config.json"));
        assert_eq!(config["chain_confirmation_codes"], true);
        let device: Vec<u8> = config["baux0"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_u64().unwrap() as u8)
            .collect();
        let devdir = std::fs::read_dir(dir.join("encrypted_ballots"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let chain = json(&devdir.join("ballot_chain.json"));
        let h0 = hashes::chain_start(&e.h_e, &device);
        assert_eq!(str_at(&chain, "baux0"), h0.to_hex());
        let mut previous = h0;
        let ids = chain["ballot_ids"].as_array().unwrap();
        for (j, id) in ids.iter().enumerate() {
            let b: EncryptedBallot<G> = serde_json::from_value::<EncryptedBallotJson>(json(
                &devdir.join(format!("eballot-{}.json", id.as_str().unwrap())),
            ))
            .unwrap()
            .read()
            .unwrap();
            assert_eq!(
                b.code_baux,
                hashes::chain_aux(&previous, j == 0, &device),
                "ballot {j}"
            );
            previous = b.confirmation_code;
        }
        assert_eq!(str_at(&chain, "last_confirmation_code"), previous.to_hex());
        assert_eq!(
            str_at(&chain, "closing_hash"),
            hashes::chain_close(&e.h_e, &previous, &device).to_hex()
        );
    }
}

#[test]
fn setup_files_parse_and_reserialise_to_the_same_json() {
    use entente_record::election::{ElectionConfigJson, ElectionInitializedJson, ElectionSetup};
    for dir in records() {
        let config = json(&dir.join("election_config.json"));
        let parsed: ElectionConfigJson = serde_json::from_value(config.clone()).unwrap();
        assert_eq!(serde_json::to_value(&parsed).unwrap(), config);
        let init = json(&dir.join("election_initialized.json"));
        let parsed: ElectionInitializedJson = serde_json::from_value(init.clone()).unwrap();
        assert_eq!(serde_json::to_value(&parsed).unwrap(), init);
        // And the setup's hashes hold.
        let setup = ElectionSetup::<G>::read(&dir).unwrap();
        assert_eq!(setup.h_e.to_hex(), str_at(&init, "extended_base_hash"));
    }
}

#[test]
fn a_setup_whose_hashes_do_not_bind_is_refused() {
    use entente_record::election::ElectionSetup;
    let dir = tempfile::tempdir().unwrap();
    let src = &records()[0];
    for f in [
        "manifest.json",
        "election_config.json",
        "election_initialized.json",
    ] {
        std::fs::copy(src.join(f), dir.path().join(f)).unwrap();
    }
    // A record says what it is: without constants.json it is not read as any group.
    let err = ElectionSetup::<G>::read(dir.path())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("constants.json"), "{err}");
    std::fs::copy(
        src.join("constants.json"),
        dir.path().join("constants.json"),
    )
    .unwrap();
    ElectionSetup::<G>::read(dir.path()).unwrap();
    // Constants that are not the group's own (a generator changed), or another group's.
    let constants = std::fs::read(src.join("constants.json")).unwrap();
    let mut changed = json(&src.join("constants.json"));
    let g = changed["generator"].as_str().unwrap().to_owned();
    let last = if g.ends_with('0') { "1" } else { "0" };
    changed["generator"] = Value::String(format!("{}{last}", &g[..g.len() - 1]));
    std::fs::write(dir.path().join("constants.json"), changed.to_string()).unwrap();
    let err = ElectionSetup::<G>::read(dir.path())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("not the group's own"), "{err}");
    let p256 = entente_record::layout::constants_json(entente_record::RecordKind::written_for(
        entente_record::GroupKind::P256,
    ));
    std::fs::write(dir.path().join("constants.json"), p256.to_string()).unwrap();
    assert!(ElectionSetup::<G>::read(dir.path()).is_err());
    std::fs::write(dir.path().join("constants.json"), constants).unwrap();
    // One byte more in the manifest changes H_M.
    let mut manifest = std::fs::read(dir.path().join("manifest.json")).unwrap();
    manifest.push(b'\n');
    std::fs::write(dir.path().join("manifest.json"), &manifest).unwrap();
    let err = ElectionSetup::<G>::read(dir.path())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("manifest_hash"), "{err}");
    std::fs::copy(src.join("manifest.json"), dir.path().join("manifest.json")).unwrap();
    // Another joint key does not give the stated H_E.
    let mut init = json(&dir.path().join("election_initialized.json"));
    init["joint_public_key"] = Value::String(G::element_to_hex(P4096::generator()));
    std::fs::write(
        dir.path().join("election_initialized.json"),
        init.to_string(),
    )
    .unwrap();
    let err = ElectionSetup::<G>::read(dir.path())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("extended_base_hash"), "{err}");
}

/// Aggregation and decryption on a complete record: every ballot verified, the cast ones
/// counted in parallel (the tally equals `encrypted_tally.json`, Verification 8), then the tally
/// and every challenged ballot decrypted by the trustees with their key shares in one batch:
/// every value, T, β and contest data equal `tally.json` and `challenged_ballots/`, our proofs
/// and the record's verify (Verifications 9–14).
fn record_tally_aggregates_and_decrypts(name: &str) {
    use entente_core::decrypt::{
        Combiner, DecryptingGuardian, DlogTable, ElectionBatch, decrypt_in_process,
        share_public_key,
    };
    use entente_core::tally::{EncryptedTally, verify_ballot};
    use entente_group::SecretScalar;
    use entente_record::ballot::BallotState;
    use entente_record::ballot::json::EncryptedBallotJson;
    use entente_record::election::ElectionSetup;
    use entente_record::tally::{DecryptedTally, DecryptedTallyJson, EncryptedTallyJson};
    use rand::SeedableRng;
    use rayon::prelude::*;

    let dir = records().into_iter().find(|d| d.ends_with(name)).unwrap();
    let setup = ElectionSetup::<G>::read(&dir).unwrap();
    let key = setup.public_key();
    let mut files = Vec::new();
    for device in std::fs::read_dir(dir.join("encrypted_ballots")).unwrap() {
        for f in std::fs::read_dir(device.unwrap().path()).unwrap() {
            let f = f.unwrap().path();
            if f.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("eballot-")
            {
                files.push(f);
            }
        }
    }
    let verified: Vec<_> = files
        .par_iter()
        .map(|f| {
            let b = serde_json::from_value::<EncryptedBallotJson>(json(f))
                .unwrap()
                .read_unchecked::<G>()
                .unwrap();
            verify_ballot(&setup.h_e, &key, &setup.manifest, b, &mut rand::rng()).unwrap()
        })
        .collect();
    let (cast, challenged): (Vec<_>, Vec<_>) = verified
        .into_iter()
        .partition(|v| v.ballot().state == BallotState::Cast);
    let tally = cast
        .par_iter()
        .try_fold(
            || EncryptedTally::<G>::new(&setup.manifest),
            |mut t, v| t.add(v).map(|()| t),
        )
        .try_reduce(|| EncryptedTally::new(&setup.manifest), |a, b| a.merge(b))
        .unwrap();
    // The same ballot twice is refused, also across a merge.
    let mut again = EncryptedTally::<G>::new(&setup.manifest);
    again.add(&cast[0]).unwrap();
    assert!(again.clone().merge(tally.clone()).is_err());
    assert!(again.add(&cast[0]).is_err());
    // A challenged ballot is never counted.
    if let Some(c) = challenged.first() {
        assert!(EncryptedTally::<G>::new(&setup.manifest).add(c).is_err());
    }

    let recorded: EncryptedTallyJson =
        serde_json::from_value(json(&dir.join("encrypted_tally.json"))).unwrap();
    let recorded = recorded.read::<G>().unwrap();
    let mut ours = tally.record(&recorded.tally_id, &setup.h_e);
    ours.cast_ballot_ids.sort();
    let mut theirs = recorded.clone();
    theirs.cast_ballot_ids.sort();
    assert_eq!(ours, theirs);

    // The trustees decrypt the tally and the challenged ballots.
    let init = json(&dir.join("election_initialized.json"));
    let quorum = Quorum::new(setup.config.number_of_guardians, setup.config.quorum).unwrap();
    let ctx = KeyContext::standard();
    let guardians: Vec<_> = init["guardians"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| guardian_key(g).verify(&ctx, quorum).unwrap())
        .collect();
    let combiner = Combiner {
        h_e: setup.h_e,
        key: &key,
        share_keys: guardians
            .iter()
            .map(|g| (g.index(), share_public_key(&guardians, g.index())))
            .collect(),
        quorum: quorum.quorum() as usize,
    };
    let present: Vec<DecryptingGuardian<G>> = std::fs::read_dir(dir.join("private_data/trustees"))
        .unwrap()
        .map(|e| {
            let t = json(&e.unwrap().path());
            DecryptingGuardian::new(
                t["x_coordinate"].as_u64().unwrap() as u32,
                SecretScalar::new(ScalarQ::from_hex(str_at(&t, "key_share")).unwrap()),
            )
        })
        .collect();
    let batch = ElectionBatch::new(
        recorded,
        challenged.iter().map(|v| v.ballot().clone()).collect(),
        entente_record::Layout::Json20,
    )
    .unwrap();
    let dlog = DlogTable::new(&key, batch.bound(1));
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    let results =
        decrypt_in_process(&combiner, &present, batch.targets(), &dlog, &mut rng).unwrap();
    let result = batch.assemble(results).unwrap();

    // Equal values to the record's; both sides' proofs hold.
    let same = |ours: &DecryptedTally<G>, file: &Path| {
        let theirs: DecryptedTallyJson = serde_json::from_value(json(file)).unwrap();
        let theirs = theirs.read::<G>().unwrap();
        theirs.verify(&setup.h_e, &key).unwrap();
        ours.verify(&setup.h_e, &key).unwrap();
        assert_eq!(ours.id, theirs.id);
        assert_eq!(ours.election_id, theirs.election_id);
        assert_eq!(ours.contests.len(), theirs.contests.len());
        for (c, tc) in ours.contests.iter().zip(&theirs.contests) {
            assert_eq!(c.contest_id, tc.contest_id);
            assert_eq!(c.selections.len(), tc.selections.len());
            for (s, ts) in c.selections.iter().zip(&tc.selections) {
                assert_eq!(s.selection_id, ts.selection_id);
                assert_eq!(s.ciphertext, ts.ciphertext);
                assert_eq!(
                    s.decryption.value, ts.decryption.value,
                    "{}",
                    s.selection_id
                );
                assert_eq!(s.decryption.k_to_t, ts.decryption.k_to_t);
            }
            match (&c.contest_data, &tc.contest_data) {
                (Some(d), Some(td)) => {
                    assert_eq!(d.data, td.data);
                    assert_eq!(d.encrypted, td.encrypted);
                    assert_eq!(d.proof.beta, td.proof.beta);
                }
                (None, None) => {}
                _ => panic!("contest {}: contest data on one side only", c.contest_id),
            }
        }
    };
    same(&result.tally, &dir.join("tally.json"));
    let recorded_dballots = std::fs::read_dir(dir.join("challenged_ballots"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(result.challenged.len(), recorded_dballots);
    for d in &result.challenged {
        same(
            d,
            &dir.join(format!("challenged_ballots/dballot-{}.json", d.id)),
        );
    }
    // Written back, our results read as the records' do.
    let back: DecryptedTallyJson = serde_json::from_str(
        &serde_json::to_string(&DecryptedTallyJson::write(&result.tally)).unwrap(),
    )
    .unwrap();
    assert_eq!(back.read::<G>().unwrap(), result.tally);
}

#[test]
fn the_all_available_record_tally_aggregates_and_decrypts() {
    record_tally_aggregates_and_decrypts("allAvailableJson");
}

#[test]
fn the_chained_record_tally_and_challenged_ballots_decrypt() {
    record_tally_aggregates_and_decrypts("chainedJson");
}
