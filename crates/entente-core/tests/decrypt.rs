//! Threshold decryption (spec 2.0 §3.6) after a real key ceremony, with guardians absent.

use entente_core::CoreError;
use entente_core::decrypt::{
    Combiner, DecryptingGuardian, DlogTable, decrypt_vote_in_process, share_public_key,
};
use entente_core::keys::{KeyContext, Quorum, run_local};
use entente_group::{P4096, Scalar, ScalarQ, SecretScalar};
use entente_record::HashValue;
use entente_record::ballot::{Ciphertext, PublicKey};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

type G = P4096;

#[test]
fn any_quorum_decrypts_a_tally_and_fewer_cannot() {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let quorum = Quorum::new(5, 3).unwrap();
    let h_b = HashValue([3; 32]);
    let (guardians, joint) =
        run_local::<G, _>(KeyContext::standard(), quorum, &h_b, &mut rng).unwrap();
    let key = PublicKey::new(joint.key.clone());
    let h_e = joint.extended_base_hash;

    // A tally of 7 votes: the product of encryptions of 1,1,0,1,1,1,0,1,1.
    let votes = [1u64, 1, 0, 1, 1, 1, 0, 1, 1];
    let tally = votes.iter().fold(Ciphertext::<G>::zero(), |acc, &v| {
        acc.add(&key.encrypt(v, &ScalarQ::random(&mut rng)))
    });
    let combiner = Combiner {
        h_e,
        key: &key,
        share_keys: (1..=5)
            .map(|i| (i, share_public_key(&joint.guardians, i)))
            .collect(),
        quorum: 3,
    };
    let dlog = DlogTable::new(&key, votes.len() as u64);
    let present = |set: &[u32]| -> Vec<DecryptingGuardian<G>> {
        set.iter()
            .map(|&i| DecryptingGuardian::new(i, guardians[i as usize - 1].key_share().unwrap()))
            .collect()
    };
    // Every one of the ten 3-guardian subsets, and larger sets, decrypt the same tally.
    let mut subsets = Vec::new();
    for a in 1..=5u32 {
        for b in a + 1..=5 {
            for c in b + 1..=5 {
                subsets.push(vec![a, b, c]);
            }
        }
    }
    assert_eq!(subsets.len(), 10);
    subsets.push(vec![1, 3, 4, 5]);
    subsets.push(vec![1, 2, 3, 4, 5]);
    for set in &subsets {
        let d = decrypt_vote_in_process(&combiner, &present(set), &tally, &dlog, &mut rng).unwrap();
        assert_eq!(d.value, 7, "guardians {set:?}");
        d.verify(&h_e, &key, &tally).unwrap();
    }

    // Two guardians are not a quorum; the error says how many more are needed.
    let err = decrypt_vote_in_process(&combiner, &present(&[1, 2]), &tally, &dlog, &mut rng)
        .err()
        .unwrap();
    assert_eq!(
        err,
        CoreError::NotEnoughGuardians {
            present: 2,
            quorum: 3
        }
    );
    assert!(err.to_string().contains("1 more needed"), "{err}");

    // A guardian who uses another share is caught by its proof, and named.
    let mut liars = present(&[1, 2, 4]);
    liars[2] = DecryptingGuardian::new(4, SecretScalar::new(ScalarQ::from_u64(12345)));
    let err = decrypt_vote_in_process(&combiner, &liars, &tally, &dlog, &mut rng)
        .err()
        .unwrap();
    assert_eq!(
        err,
        CoreError::BadShare {
            guardian: 4,
            item: 0
        }
    );

    // A tally above the bound is an error, not a hang.
    let small = DlogTable::new(&key, 5);
    let err = decrypt_vote_in_process(&combiner, &present(&[1, 2, 3]), &tally, &small, &mut rng)
        .err()
        .unwrap();
    assert_eq!(err, CoreError::OutOfBound { item: 0, bound: 5 });

    // A published decryption with another value or a changed proof does not verify.
    let mut d =
        decrypt_vote_in_process(&combiner, &present(&[3, 4, 5]), &tally, &dlog, &mut rng).unwrap();
    d.value = 6;
    assert!(d.verify(&h_e, &key, &tally).is_err());
    d.value = 7;
    d.response = d.response.add(&ScalarQ::one());
    assert!(d.verify(&h_e, &key, &tally).is_err());

    // Duplicates and strangers are refused.
    let twice = present(&[1, 1, 2]);
    assert_eq!(
        decrypt_vote_in_process(&combiner, &twice, &tally, &dlog, &mut rng).err(),
        Some(CoreError::DuplicateGuardian(1))
    );
}

#[test]
fn baby_step_giant_step_finds_every_value_in_its_bound() {
    let mut rng = ChaCha20Rng::seed_from_u64(6);
    let key = PublicKey::<G>::new(<G as entente_group::Group>::vartime_g_pow(
        &ScalarQ::random(&mut rng),
    ));
    let dlog = DlogTable::new(&key, 50);
    for t in 0..=50u64 {
        assert_eq!(dlog.find(&key.pow(&ScalarQ::from_u64(t))), Some(t));
    }
    assert_eq!(dlog.find(&key.pow(&ScalarQ::from_u64(51))), None);
    assert_eq!(dlog.find(&key.pow(&ScalarQ::from_u64(5000))), None);
}

/// Contest data (§3.6.4) and a batch of several items: a guardian who lies on one item of the
/// batch is named with that item, and the two-round protocol refuses unpaired messages.
#[test]
fn contest_data_and_batches_decrypt_with_proofs() {
    use entente_core::decrypt::{Commitments, Decrypted, NonceSeed, Target, decrypt_in_process};
    use entente_record::ballot::contest_data::{self, KdfLayout};
    use entente_record::ballot::{ContestData, ContestStatus, EncryptedContestData};
    use std::collections::BTreeMap;

    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let quorum = Quorum::new(4, 2).unwrap();
    let (guardians, joint) = run_local::<G, _>(
        KeyContext::standard(),
        quorum,
        &HashValue([4; 32]),
        &mut rng,
    )
    .unwrap();
    let key = PublicKey::new(joint.key.clone());
    let h_e = joint.extended_base_hash;
    let combiner = Combiner {
        h_e,
        key: &key,
        share_keys: (1..=4)
            .map(|i| (i, share_public_key(&joint.guardians, i)))
            .collect(),
        quorum: 2,
    };
    // Contest data encrypted as a device does (eq. (50)–(55)), with the records' key layout.
    let data = ContestData {
        status: ContestStatus::OverVote,
        over_votes: vec![1, 2],
        write_ins: vec!["Ada".into()],
    };
    let plain = data.encode(1);
    let xi = ScalarQ::random(&mut rng);
    let c0 = <G as entente_group::Group>::g_pow(&xi);
    let k = contest_data::secret_key::<G>(&h_e, key.element(), &c0, &key.pow(&xi));
    let keys = contest_data::keys(&k, KdfLayout::Records, "mayor", 1, plain.len() as u32);
    let c1 = contest_data::xor_blocks(&plain, &keys);
    let c2 = EncryptedContestData::<G>::mac(&keys[0], &c0, &c1);
    let encrypted = EncryptedContestData {
        c0,
        c1,
        c2,
        num_bytes: plain.len() as u32,
    };
    let targets = vec![
        Target::Vote(key.encrypt(1, &ScalarQ::random(&mut rng))),
        Target::ContestData {
            data: encrypted.clone(),
            contest_id: "mayor".into(),
            contest_index: 1,
        },
        Target::Vote(key.encrypt(0, &ScalarQ::random(&mut rng))),
    ];
    let dlog = DlogTable::new(&key, 1);
    let guardian =
        |i: u32| DecryptingGuardian::new(i, guardians[i as usize - 1].key_share().unwrap());
    let out = decrypt_in_process(
        &combiner,
        &[guardian(2), guardian(4)],
        &targets,
        &dlog,
        &mut rng,
    )
    .unwrap();
    match &out[..] {
        [
            Decrypted::Vote(one),
            Decrypted::ContestData { proof, bytes },
            Decrypted::Vote(zero),
        ] => {
            assert_eq!((one.value, zero.value), (1, 0));
            assert_eq!(ContestData::decode(bytes).unwrap(), data);
            encrypted
                .verify_decryption(&h_e, &key, &proof.beta, &proof.challenge, &proof.response)
                .unwrap();
            // Another β, or another response, fails Verification 11.
            let other = <G as entente_group::Group>::g_pow(&ScalarQ::from_u64(3));
            assert!(
                encrypted
                    .verify_decryption(&h_e, &key, &other, &proof.challenge, &proof.response)
                    .is_err()
            );
            let v: ScalarQ = Scalar::add(&proof.response, &ScalarQ::one());
            assert!(
                encrypted
                    .verify_decryption(&h_e, &key, &proof.beta, &proof.challenge, &v)
                    .is_err()
            );
        }
        other => panic!("unexpected results {other:?}"),
    }

    // By hand, as separate processes would: guardian 3 answers item 1 with a wrong response.
    let present = [guardian(1), guardian(3)];
    let seeds: Vec<NonceSeed> = present
        .iter()
        .map(|_| NonceSeed::random(&mut rng))
        .collect();
    let commitments: Commitments<G> = present
        .iter()
        .zip(&seeds)
        .map(|(g, s)| (g.index(), g.commit(&targets, s)))
        .collect();
    let challenges = combiner.challenges(&targets, &commitments).unwrap();
    let mut responses: BTreeMap<u32, Vec<ScalarQ>> = present
        .iter()
        .zip(seeds)
        .map(|(g, s)| {
            let cs: Vec<ScalarQ> = challenges
                .iter()
                .map(|c| c.per_guardian[&g.index()])
                .collect();
            (g.index(), g.respond(s, &cs))
        })
        .collect();
    let honest = responses.clone();
    responses.get_mut(&3).unwrap()[1] = ScalarQ::from_u64(99);
    assert_eq!(
        combiner
            .finish(&targets, &commitments, &challenges, &responses, &dlog)
            .err(),
        Some(CoreError::BadShare {
            guardian: 3,
            item: 1
        })
    );
    // A missing response, or a short one, is refused and named.
    let mut missing = honest.clone();
    missing.remove(&1);
    assert_eq!(
        combiner
            .finish(&targets, &commitments, &challenges, &missing, &dlog)
            .err(),
        Some(CoreError::Unpaired(1))
    );
    let mut short = honest.clone();
    short.get_mut(&1).unwrap().pop();
    assert!(matches!(
        combiner.finish(&targets, &commitments, &challenges, &short, &dlog),
        Err(CoreError::WrongCount { guardian: 1, .. })
    ));
    assert!(
        combiner
            .finish(&targets, &commitments, &challenges, &honest, &dlog)
            .is_ok()
    );
    // One guardian's commitments alone are not a quorum.
    let mut alone = commitments.clone();
    alone.remove(&3);
    assert_eq!(
        combiner.challenges(&targets, &alone).err(),
        Some(CoreError::NotEnoughGuardians {
            present: 1,
            quorum: 2
        })
    );
}
