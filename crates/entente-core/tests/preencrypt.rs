//! The encrypting tool of pre-encrypted ballots (spec 2.0 §4.2) on egk's manifest, on P-256
//! (fast; the code is generic over the group): each option's vector encrypts one at the
//! option's own position and zero elsewhere, each null vector zeros only, with the nonces of
//! eq. (96); the same primary nonce gives the same ballot, another gives another.

use std::path::PathBuf;

use entente_core::ballot::preencrypt;
use entente_group::{Group, P256, Scalar};
use entente_record::ballot::PublicKey;
use entente_record::ballot::hashes::Label;
use entente_record::ballot::preencrypted;
use entente_record::manifest::Manifest;
use entente_record::{HashValue, Revision};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

type G = P256;

fn manifest() -> Manifest {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/egk/records/allAvailableJson/manifest.json");
    Manifest::from_json(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn every_vector_encrypts_its_own_selection_and_the_ballot_is_deterministic() {
    let mut rng = ChaCha20Rng::seed_from_u64(23);
    let secret = <G as Group>::Scalar::random(&mut rng);
    let key = PublicKey::<G>::new(G::g_pow(&secret));
    let h_e = HashValue([7; 32]);
    let manifest = manifest();
    let style = manifest.styles.keys().next().unwrap().clone();
    let mut primary = [0u8; 32];
    rng.fill_bytes(&mut primary);
    let revision = Revision::V2_0_0;
    let ballot =
        preencrypt::<G>(revision, &h_e, &key, &manifest, &style, &primary, b"aux").unwrap();
    assert!(!ballot.contests.is_empty());
    for c in &ballot.contests {
        let contest = manifest.contest(&c.contest_id).unwrap();
        let m = contest.options.len();
        // One vector per option, then one null vector per vote allowed.
        assert_eq!(c.selections.len(), m + contest.limit as usize);
        for (j, s) in c.selections.iter().enumerate() {
            assert_eq!(s.vector.len(), m);
            assert_eq!(s.short_code, preencrypted::short_code(&s.selection_hash));
            for (k, (ct, o)) in s.vector.iter().zip(&contest.options).enumerate() {
                let nonce = preencrypted::nonce::<G>(
                    revision,
                    &h_e,
                    &primary,
                    Label {
                        id: &c.contest_id,
                        index: c.index,
                    },
                    Label {
                        id: &s.selection_id,
                        index: s.index,
                    },
                    Label {
                        id: &o.id,
                        index: o.index,
                    },
                );
                assert_eq!(ct.alpha, G::g_pow(&nonce));
                // β = K^ξ · K^v: v is 1 exactly at the vector's own option.
                let v = u64::from(j == k);
                assert_eq!(
                    ct,
                    &key.encrypt(v, &nonce),
                    "contest {}, {j}, {k}",
                    c.contest_id
                );
            }
        }
        let hashes: Vec<HashValue> = c.selections.iter().map(|s| s.selection_hash).collect();
        assert_eq!(
            c.contest_hash,
            preencrypted::contest_hash::<G>(
                revision,
                &h_e,
                Label {
                    id: &c.contest_id,
                    index: c.index
                },
                key.element(),
                &hashes
            )
        );
    }
    // Two selections of a contest with one short code: that ballot must not be printed.
    assert!(!ballot.has_short_code_collision());
    let mut colliding = ballot.clone();
    let first = colliding.contests[0].selections[0].short_code.clone();
    colliding.contests[0].selections[1].short_code = first;
    assert!(colliding.has_short_code_collision());
    let again = preencrypt::<G>(revision, &h_e, &key, &manifest, &style, &primary, b"aux").unwrap();
    assert_eq!(again, ballot);
    primary[0] ^= 1;
    let other = preencrypt::<G>(revision, &h_e, &key, &manifest, &style, &primary, b"aux").unwrap();
    assert_ne!(other.confirmation_code, ballot.confirmation_code);
    assert!(
        preencrypt::<G>(
            revision,
            &h_e,
            &key,
            &manifest,
            "no-such-style",
            &primary,
            b""
        )
        .is_err()
    );
}
