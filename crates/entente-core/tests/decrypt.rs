//! Threshold decryption (spec 2.0 §3.6) after a real key ceremony, with guardians absent.

use entente_core::decrypt::{
    Combiner, DecryptError, DecryptingGuardian, DlogTable, decrypt_in_process, share_public_key,
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
    for set in [
        &[1u32, 2, 3][..],
        &[2, 4, 5],
        &[1, 3, 4, 5],
        &[1, 2, 3, 4, 5],
    ] {
        let d = decrypt_in_process(&combiner, &present(set), &tally, &dlog, &mut rng).unwrap();
        assert_eq!(d.value, 7, "guardians {set:?}");
        d.verify(&h_e, &key, &tally).unwrap();
    }

    // Two guardians are not a quorum; the error says how many more are needed.
    let err = decrypt_in_process(&combiner, &present(&[1, 2]), &tally, &dlog, &mut rng)
        .err()
        .unwrap();
    assert_eq!(
        err,
        DecryptError::NotEnoughGuardians {
            present: 2,
            quorum: 3
        }
    );
    assert!(err.to_string().contains("1 more needed"), "{err}");

    // A guardian who uses another share is caught by its proof, and named.
    let mut liars = present(&[1, 2, 4]);
    liars[2] = DecryptingGuardian::new(4, SecretScalar::new(ScalarQ::from_u64(12345)));
    let err = decrypt_in_process(&combiner, &liars, &tally, &dlog, &mut rng)
        .err()
        .unwrap();
    assert_eq!(err, DecryptError::BadShare(4));

    // A tally above the bound is an error, not a hang.
    let small = DlogTable::new(&key, 5);
    let err = decrypt_in_process(&combiner, &present(&[1, 2, 3]), &tally, &small, &mut rng)
        .err()
        .unwrap();
    assert_eq!(err, DecryptError::OutOfBound { bound: 5 });

    // A published decryption with another value or a changed proof does not verify.
    let mut d =
        decrypt_in_process(&combiner, &present(&[3, 4, 5]), &tally, &dlog, &mut rng).unwrap();
    d.value = 6;
    assert!(d.verify(&h_e, &key, &tally).is_err());
    d.value = 7;
    d.response = d.response.add(&ScalarQ::one());
    assert!(d.verify(&h_e, &key, &tally).is_err());

    // Duplicates and strangers are refused.
    let twice = present(&[1, 1, 2]);
    assert_eq!(
        decrypt_in_process(&combiner, &twice, &tally, &dlog, &mut rng).err(),
        Some(DecryptError::DuplicateGuardian(1))
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
