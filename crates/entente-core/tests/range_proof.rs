//! Range proofs checked with the membership of their ciphertext on the same squaring chains.

use entente_core::ballot::{ProofNonces, prove_range};
use entente_group::{Group, P4096, Scalar, ScalarQ};
use entente_record::ballot::{Ciphertext, PublicKey};
use entente_record::{HashValue, RecordError};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

type G = P4096;

/// `x` times -1 mod p: the same ciphertext component moved out of the order-q subgroup.
fn negated(x: &<G as Group>::Element) -> <G as Group>::Element {
    let p = G::constants().p_bytes();
    let x = G::element_to_bytes(x);
    let (mut out, mut borrow) = (vec![0u8; p.len()], 0i16);
    for i in (0..p.len()).rev() {
        let d = i16::from(p[i]) - i16::from(x[i]) - borrow;
        borrow = i16::from(d < 0);
        out[i] = d.rem_euclid(256) as u8;
    }
    G::element_from_bytes_unchecked(&out).unwrap()
}

#[test]
fn a_proof_checked_with_membership_accepts_what_verify_accepts_and_names_a_non_member() {
    let mut rng = ChaCha20Rng::seed_from_u64(44);
    let key = PublicKey::<G>::new(G::vartime_g_pow(&ScalarQ::random(&mut rng)));
    let h_e = HashValue([3; 32]);
    for (vote, limit) in [(0, 1), (1, 1), (2, 3)] {
        let nonce = ScalarQ::random(&mut rng);
        let ct = key.encrypt(u64::from(vote), &nonce);
        let nonces = ProofNonces::random(limit, &mut rng);
        let proof = prove_range(&h_e, &key, &ct, vote, limit, &nonce, &nonces).unwrap();
        assert_eq!(proof.verify(&h_e, &key, &ct), Ok(()));
        assert_eq!(proof.verify_checked(&h_e, &key, &ct), Ok(()));
        // Another election's hash: both refuse the proof.
        let other = HashValue([4; 32]);
        assert_eq!(
            proof.verify_checked(&other, &key, &ct),
            Err(RecordError::ProofFails)
        );
        // α or β out of the subgroup: named as such, whatever the proof.
        let bad_alpha = Ciphertext {
            alpha: negated(&ct.alpha),
            beta: ct.beta.clone(),
        };
        let bad_beta = Ciphertext {
            alpha: ct.alpha.clone(),
            beta: negated(&ct.beta),
        };
        for (bad, path) in [(bad_alpha, "pad"), (bad_beta, "data")] {
            assert_eq!(
                proof.verify_checked(&h_e, &key, &bad),
                Err(RecordError::NotInGroup { path: path.into() })
            );
        }
    }
}
