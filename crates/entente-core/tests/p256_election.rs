//! The whole election's cryptography on P-256, in memory: a key ceremony of 5 guardians
//! (quorum 3) bound to P-256's H_P, egk's conformance ballots encrypted with their proofs,
//! written as JSON and read back, checked as the server and the verifier check them, added up,
//! and the tally decrypted by 3 guardians to the counts the plaintext ballots give. The
//! protocol code is written against the `Group` trait; this pins that it holds on the curve.

use std::collections::BTreeMap;
use std::path::PathBuf;

use entente_core::ballot::{BallotContext, Encryptor, ProofNonces};
use entente_core::decrypt::{
    Combiner, DecryptingGuardian, DlogTable, decrypt_vote_in_process, share_public_key,
};
use entente_core::keys::{KeyContext, Quorum, run_local};
use entente_core::tally::{EncryptedTally, verify_ballot};
use entente_group::P256;
use entente_record::ballot::json::EncryptedBallotJson;
use entente_record::ballot::{BallotState, PlaintextBallot, PublicKey};
use entente_record::manifest::Manifest;
use entente_record::{Revision, params};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

type G = P256;

fn record() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/egk/records/allAvailableJson")
}

#[test]
fn an_election_on_p256_encrypts_checks_tallies_and_decrypts() {
    let mut rng = ChaCha20Rng::seed_from_u64(256);
    let manifest_bytes = std::fs::read(record().join("manifest.json")).unwrap();
    let manifest = Manifest::from_json(&manifest_bytes).unwrap();
    let ctx = KeyContext {
        revision: Revision::V2_0_0,
        h_p: params::p256_parameter_base_hash(),
    };
    let quorum = Quorum::new(5, 3).unwrap();
    let h_m = params::manifest_hash(&ctx.h_p, &manifest_bytes).unwrap();
    let h_b = params::election_base_hash(&ctx.h_p, &h_m, 5, 3);
    let (guardians, joint) = run_local::<G, _>(ctx, quorum, &h_b, &mut rng).unwrap();
    let key = PublicKey::new(joint.key);
    let h_e = joint.extended_base_hash;
    let encryptor = Encryptor {
        revision: Revision::V2_0_0,
        h_e,
        key: &key,
        manifest: &manifest,
        layout: entente_record::Layout::Json21,
    };

    // egk's plaintext ballots, every one cast, in id order.
    let mut inputs: Vec<PlaintextBallot> = std::fs::read_dir(record().join("private_data/input"))
        .unwrap()
        .map(|f| serde_json::from_slice(&std::fs::read(f.unwrap().path()).unwrap()).unwrap())
        .collect();
    inputs.sort_by(|a, b| a.ballot_id.cmp(&b.ballot_id));
    assert!(inputs.len() >= 10);
    let mut tally = EncryptedTally::<G>::new(&manifest);
    let mut expected: BTreeMap<(String, String), u64> = BTreeMap::new();
    for input in &inputs {
        let mut nonce = [0u8; 32];
        rng.fill_bytes(&mut nonce);
        let ballot = encryptor
            .encrypt(
                input,
                BallotContext {
                    primary_nonce: &nonce,
                    code_baux: b"p256-test".to_vec(),
                    device: "p256-booth",
                    timestamp: 1_700_000_000,
                },
                |site| ProofNonces::random(site.limit(), &mut rng),
            )
            .unwrap();
        assert_eq!(ballot.state, BallotState::Cast);
        // As a record holds it: its JSON, read back with P-256's strict decoding.
        let json = EncryptedBallotJson::write(&ballot);
        let text = serde_json::to_vec(&json).unwrap();
        let read: EncryptedBallotJson = serde_json::from_slice(&text).unwrap();
        let unchecked = read.read_unchecked::<G>().unwrap();
        let verified = verify_ballot(&h_e, &key, &manifest, unchecked, &mut rng).unwrap();
        tally.add(&verified).unwrap();
        for c in &input.contests {
            let limit = manifest.contest(&c.contest_id).unwrap().limit;
            let total: i64 = c.selections.iter().map(|s| s.vote).sum();
            // §3.3.3: an overvoted contest counts nothing.
            if total > i64::from(limit) {
                continue;
            }
            for s in &c.selections {
                *expected
                    .entry((c.contest_id.clone(), s.selection_id.clone()))
                    .or_default() += s.vote as u64;
            }
        }
    }

    // A changed byte of a ballot's point is refused when read or when its proof is checked.
    let mut bad = EncryptedBallotJson::write(
        &encryptor
            .encrypt(
                &inputs[0],
                BallotContext {
                    primary_nonce: &[7; 32],
                    code_baux: b"p256-test".to_vec(),
                    device: "p256-booth",
                    timestamp: 1_700_000_000,
                },
                |site| ProofNonces::random(site.limit(), &mut rng),
            )
            .unwrap(),
    );
    let mut value = serde_json::to_value(&bad).unwrap();
    let pad = value["contests"][0]["selections"][0]["encrypted_vote"]["pad"]
        .as_str()
        .unwrap()
        .to_owned();
    let last = if pad.ends_with('0') { "1" } else { "0" };
    value["contests"][0]["selections"][0]["encrypted_vote"]["pad"] =
        format!("{}{last}", &pad[..pad.len() - 1]).into();
    bad = serde_json::from_value(value).unwrap();
    let refused = bad
        .read_unchecked::<G>()
        .map_err(|e| e.to_string())
        .and_then(|u| {
            verify_ballot(&h_e, &key, &manifest, u, &mut rng)
                .map(|_| ())
                .map_err(|e| e.to_string())
        });
    assert!(refused.is_err(), "a changed point was accepted");

    // Three guardians of five decrypt every selection of the tally to its count.
    let combiner = Combiner {
        h_e,
        key: &key,
        share_keys: (1..=5)
            .map(|i| (i, share_public_key(&joint.guardians, i)))
            .collect(),
        quorum: 3,
    };
    let present: Vec<DecryptingGuardian<G>> = [2u32, 4, 5]
        .iter()
        .map(|&i| DecryptingGuardian::new(i, guardians[i as usize - 1].key_share().unwrap()))
        .collect();
    let dlog = DlogTable::new(&key, inputs.len() as u64);
    let mut decrypted = 0;
    for c in &tally.contests {
        for s in &c.selections {
            let d = decrypt_vote_in_process(&combiner, &present, &s.ciphertext, &dlog, &mut rng)
                .unwrap();
            d.verify(&h_e, &key, &s.ciphertext).unwrap();
            let want = expected
                .get(&(c.contest_id.clone(), s.selection_id.clone()))
                .copied()
                .unwrap_or(0);
            assert_eq!(d.value, want, "{} {}", c.contest_id, s.selection_id);
            decrypted += 1;
        }
    }
    assert!(decrypted > 10, "{decrypted} selections");
}
