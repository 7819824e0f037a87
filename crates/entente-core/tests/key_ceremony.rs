//! The key ceremony end to end, its complaints and its refusals (spec 2.0 §3.2).

use entente_core::CoreError;
use entente_core::keys::{
    Ceremony, ComplaintReason, EncryptedShare, Guardian, KeyContext, Quorum, run_local, store,
};
use entente_group::{Group, P4096, Scalar, ScalarQ, SecretScalar};
use entente_record::HashValue;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

type G = P4096;

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// Lagrange coefficient w_i = prod_{l != i} l / (l - i) mod q (spec 2.0 eq. (67)).
fn lagrange(i: u32, set: &[u32]) -> ScalarQ {
    let mut num = ScalarQ::one();
    let mut den = ScalarQ::one();
    for &l in set.iter().filter(|&&l| l != i) {
        num = num.mul(&ScalarQ::from_u64(l.into()));
        den = den.mul(&ScalarQ::from_u64(l.into()).sub(&ScalarQ::from_u64(i.into())));
    }
    // den^(q-2) = den^-1 by Fermat; q - 2 as a scalar is -2.
    let inv = pow_scalar(&den, &ScalarQ::from_u64(2).neg());
    num.mul(&inv)
}

fn pow_scalar(base: &ScalarQ, e: &ScalarQ) -> ScalarQ {
    let mut acc = ScalarQ::one();
    for byte in e.to_bytes() {
        for bit in (0..8).rev() {
            acc = acc.mul(&acc);
            if (byte >> bit) & 1 == 1 {
                acc = acc.mul(base);
            }
        }
    }
    acc
}

#[test]
fn five_guardians_quorum_three() {
    let ctx = KeyContext::standard();
    let quorum = Quorum::new(5, 3).unwrap();
    let h_b = HashValue([9; 32]);
    let (guardians, joint) = run_local::<G, _>(ctx, quorum, &h_b, &mut rng(1)).unwrap();

    // K is the product of the guardians' public keys and H_E follows eq. (23).
    let secret_sum = guardians.iter().fold(ScalarQ::zero(), |acc, g| {
        acc.add(g.polynomial().secret_key().expose())
    });
    assert_eq!(joint.key, G::g_pow(&secret_sum));
    assert_eq!(
        joint.extended_base_hash,
        entente_record::params::extended_base_hash::<G>(&h_b, &joint.key)
    );

    // Each key share P(i) matches the commitments: g^{P(i)} = prod_j g^{P_j(i)} (eq. (22), (13)).
    let shares: Vec<_> = guardians.iter().map(|g| g.key_share().unwrap()).collect();
    for (g, share) in guardians.iter().zip(&shares) {
        let expected = joint.guardians.iter().fold(G::identity(), |acc, k| {
            G::mul(&acc, &k.commitment_at(g.index()))
        });
        assert_eq!(G::g_pow(share.expose()), expected);
    }

    // Any k key shares interpolate to the joint secret; k - 1 do not.
    for set in [[1u32, 2, 3], [2, 4, 5], [1, 3, 5]] {
        let s = set.iter().fold(ScalarQ::zero(), |acc, &i| {
            acc.add(&shares[i as usize - 1].expose().mul(&lagrange(i, &set)))
        });
        assert_eq!(s, secret_sum);
    }
    let two = [1u32, 2];
    let s = two.iter().fold(ScalarQ::zero(), |acc, &i| {
        acc.add(&shares[i as usize - 1].expose().mul(&lagrange(i, &two)))
    });
    assert_ne!(s, secret_sum);
}

/// Runs the ceremony by hand for 3 guardians, letting `tamper` change the share that guardian
/// 2 sends to guardian 3; returns the ceremony and the first error.
fn ceremony_with_tampered_share(
    tamper: impl Fn(&mut EncryptedShare<G>, &KeyContext, &Guardian<G>, &Ceremony<G>),
) -> (Ceremony<G>, CoreError) {
    let ctx = KeyContext::standard();
    let quorum = Quorum::new(3, 2).unwrap();
    let mut rng = rng(2);
    let mut guardians: Vec<Guardian<G>> = (1..=3)
        .map(|i| Guardian::new(quorum, i, &mut rng).unwrap())
        .collect();
    let mut ceremony = Ceremony::new(ctx, quorum);
    for g in &guardians {
        ceremony.publish_key(g.public_key(&ctx, &mut rng)).unwrap();
    }
    for s in 0..3 {
        for r in 0..3 {
            if s == r {
                continue;
            }
            let mut share = guardians[s].share_for(&ctx, ceremony.key(r as u32 + 1).unwrap());
            if s == 1 && r == 2 {
                tamper(&mut share, &ctx, &guardians[s], &ceremony);
            }
            let sender = ceremony.key(s as u32 + 1).unwrap().clone();
            if let Err(e) = guardians[r].receive_share(&ctx, &sender, &share) {
                return (ceremony, e);
            }
            ceremony.record_share(share).unwrap();
        }
    }
    panic!("the tampered share was accepted");
}

#[test]
fn a_share_with_a_broken_mac_is_a_complaint_against_its_sender() {
    let (ceremony, err) = ceremony_with_tampered_share(|share, _, _, _| share.c1[0] ^= 1);
    assert_eq!(
        err,
        CoreError::Complaint {
            sender: 2,
            recipient: 3,
            reason: ComplaintReason::Mac
        }
    );
    assert!(err.to_string().contains("guardian 2"), "{err}");
    // Every valid artifact is kept: 3 keys, and the 3 shares accepted before the bad one.
    assert_eq!(ceremony.keys().count(), 3);
    assert_eq!(ceremony.shares().count(), 3);
    assert!(matches!(
        ceremony.finish(&HashValue([0; 32])),
        Err(CoreError::Incomplete { .. })
    ));
}

#[test]
fn a_share_off_the_commitments_is_a_complaint_even_with_a_valid_mac() {
    // The sender encrypts, correctly, a value from a polynomial it did not commit to.
    let (_, err) = ceremony_with_tampered_share(|share, ctx, sender, ceremony| {
        let mut other = rng(99);
        let liar = Guardian::<G>::new(sender.quorum(), sender.index(), &mut other).unwrap();
        *share = liar.share_for(ctx, ceremony.key(3).unwrap());
    });
    assert_eq!(
        err,
        CoreError::Complaint {
            sender: 2,
            recipient: 3,
            reason: ComplaintReason::Commitments
        }
    );
}

#[test]
fn bad_ceremony_inputs_are_refused() {
    assert_eq!(
        Quorum::new(3, 0),
        Err(CoreError::QuorumRange { n: 3, k: 0 })
    );
    assert_eq!(
        Quorum::new(3, 4),
        Err(CoreError::QuorumRange { n: 3, k: 4 })
    );
    assert_eq!(Quorum::new(0, 0), Err(CoreError::GuardianCount { n: 0 }));
    let quorum = Quorum::new(3, 2).unwrap();
    let ctx = KeyContext::standard();
    let mut rng = rng(3);
    assert_eq!(
        Guardian::<G>::new(quorum, 4, &mut rng).err(),
        Some(CoreError::IndexRange { index: 4, n: 3 })
    );

    let g1 = Guardian::<G>::new(quorum, 1, &mut rng).unwrap();
    let mut ceremony = Ceremony::<G>::new(ctx, quorum);
    let key = g1.public_key(&ctx, &mut rng);

    // A proof with a changed response fails and names guardian and coefficient.
    let mut forged = key.clone();
    forged.proofs[1].response = forged.proofs[1].response.add(&ScalarQ::one());
    assert_eq!(
        ceremony.publish_key(forged).err(),
        Some(CoreError::InvalidProof {
            index: 1,
            coefficient: 1
        })
    );
    // Proofs bound to another index do not transfer.
    let mut moved = key.clone();
    moved.index = 2;
    assert_eq!(
        ceremony.publish_key(moved).err(),
        Some(CoreError::InvalidProof {
            index: 2,
            coefficient: 0
        })
    );
    let mut short = key.clone();
    short.commitments.pop();
    assert!(matches!(
        ceremony.publish_key(short),
        Err(CoreError::CoefficientCount { index: 1, .. })
    ));
    ceremony.publish_key(key.clone()).unwrap();
    assert_eq!(
        ceremony.publish_key(key.clone()).err(),
        Some(CoreError::DuplicateIndex { index: 1 })
    );
    assert_eq!(ceremony.keys().count(), 1);

    // The joint key refuses the same guardian twice.
    let verified = key.verify(&ctx, quorum).unwrap();
    assert_eq!(
        entente_core::keys::JointKey::combine(
            &ctx,
            &HashValue([0; 32]),
            vec![verified.clone(), verified]
        )
        .err(),
        Some(CoreError::DuplicateIndex { index: 1 })
    );
}

#[test]
fn secrets_round_trip_through_a_passphrase_file() {
    let quorum = Quorum::new(3, 2).unwrap();
    let mut rng = rng(4);
    let g = Guardian::<G>::new(quorum, 2, &mut rng).unwrap();
    let pass = age::secrecy::SecretString::from("correct horse".to_owned());
    let sealed = store::seal_with_work_factor(&g, &pass, Some(10)).unwrap();
    assert!(
        !sealed
            .windows(64)
            .any(|w| w == g.polynomial().secret_key().expose().to_hex().as_bytes())
    );
    let back: Guardian<G> = store::open(&sealed, &pass).unwrap();
    assert_eq!(back.index(), 2);
    assert_eq!(
        back.polynomial().secret_key().expose(),
        g.polynomial().secret_key().expose()
    );
    let wrong = age::secrecy::SecretString::from("battery staple".to_owned());
    assert!(matches!(
        store::open::<G>(&sealed, &wrong),
        Err(CoreError::SecretDecrypt(_))
    ));
    let mut corrupt = sealed.clone();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 1;
    assert!(store::open::<G>(&corrupt, &pass).is_err());
}

#[test]
fn secret_scalars_do_not_print() {
    let s = SecretScalar::new(ScalarQ::from_u64(42));
    assert_eq!(format!("{s:?}"), "SecretScalar(<redacted>)");
}

#[test]
fn a_complaint_is_settled_by_the_revealed_share_and_nonce() {
    // Spec 2.0 §3.2.2: when l complains about i's share, i publishes P_i(l) and the nonce that
    // encrypted it; everyone redoes the encryption and eq. (21) and decides the same way.
    let ctx = KeyContext::standard();
    let quorum = Quorum::new(3, 2).unwrap();
    let mut r = rng(5);
    let mut guardians: Vec<Guardian<G>> = (1..=3)
        .map(|i| Guardian::new(quorum, i, &mut r).unwrap())
        .collect();
    let mut ceremony = Ceremony::<G>::new(ctx, quorum);
    for g in &guardians {
        ceremony.publish_key(g.public_key(&ctx, &mut r)).unwrap();
    }
    let (k1, k3) = (
        ceremony.key(1).unwrap().clone(),
        ceremony.key(3).unwrap().clone(),
    );
    // A false complaint by guardian 3 about guardian 1's good share: the reveal holds, and 3
    // takes the revealed share.
    let share = guardians[0].share_for(&ctx, &k3);
    let revealed = guardians[0].reveal_for(&k3);
    share.check_reveal(&ctx, &k1, &k3, &revealed).unwrap();
    guardians[2]
        .accept_revealed(&ctx, &k1, &k3, &share, &revealed)
        .unwrap();
    assert_eq!(guardians[2].received_shares()[&1].expose(), &revealed.value);
    // The same share encrypted again is the same ciphertext: the nonce is derived, not drawn.
    assert_eq!(guardians[0].share_for(&ctx, &k3), share);
    // A reveal of another value, or with another nonce, or for a share that was junk: the
    // accused is the liar.
    let mut wrong = revealed.clone();
    wrong.value = wrong.value.add(&ScalarQ::one());
    assert_eq!(
        share.check_reveal(&ctx, &k1, &k3, &wrong),
        Err(CoreError::Complaint {
            sender: 1,
            recipient: 3,
            reason: ComplaintReason::Reveal
        })
    );
    let mut wrong = revealed.clone();
    wrong.nonce = wrong.nonce.add(&ScalarQ::one());
    assert!(share.check_reveal(&ctx, &k1, &k3, &wrong).is_err());
    let mut junk = share.clone();
    junk.c1[0] ^= 1;
    assert!(junk.check_reveal(&ctx, &k1, &k3, &revealed).is_err());
    // A guardian who encrypted a value off its commitments cannot reveal its way out: the value
    // that matches the encryption fails eq. (21).
    let liar = Guardian::<G>::new(quorum, 1, &mut rng(77)).unwrap();
    let off = liar.share_for(&ctx, &k3);
    let reveal = liar.reveal_for(&k3);
    assert_eq!(
        off.check_reveal(&ctx, &k1, &k3, &reveal),
        Err(CoreError::Complaint {
            sender: 1,
            recipient: 3,
            reason: ComplaintReason::Commitments
        })
    );
}
