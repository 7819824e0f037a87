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

/// K^v from (α, β) = (g^ξ, K^(ξ+v)) with the secret s of K = g^s: β / α^s.
fn vote_power(
    ct: &entente_record::ballot::Ciphertext<G>,
    secret: &<G as Group>::Scalar,
) -> <G as Group>::Element {
    G::mul(&ct.beta, &G::inv(&G::pow(&ct.alpha, secret)))
}

/// The recording tool (spec 2.0 §4.3): marks in, a ballot out whose selections encrypt exactly
/// the marked options, with L vectors published (nulls for the votes not made), which passes
/// Verifications 15 to 18; an overvote records nothing; bad marks are refused.
#[test]
fn recorded_ballots_count_what_was_marked_and_verify() {
    use entente_core::ballot::{Encryptor, MarkedBallot, ProofNonces, Station};
    use std::collections::BTreeMap;
    let mut rng = ChaCha20Rng::seed_from_u64(29);
    let secret = <G as Group>::Scalar::random(&mut rng);
    let key = PublicKey::<G>::new(G::g_pow(&secret));
    let h_e = HashValue([9; 32]);
    let manifest = manifest();
    let style = manifest.styles.keys().next().unwrap().clone();
    let mut primary = [0u8; 32];
    rng.fill_bytes(&mut primary);
    let revision = Revision::V2_0_0;
    let pre = preencrypt::<G>(revision, &h_e, &key, &manifest, &style, &primary, b"aux").unwrap();
    let encryptor = Encryptor {
        revision,
        h_e,
        key: &key,
        manifest: &manifest,
        layout: entente_record::Layout::Json20,
    };
    // Contest i: the first min(i, L + 1) options marked, so that some contests are null votes,
    // some under-votes, some full and (where L + 1 options exist) some overvoted.
    let mut marks = BTreeMap::new();
    for (i, c) in pre.contests.iter().enumerate() {
        let m = manifest.contest(&c.contest_id).unwrap();
        let n = i.min(m.limit as usize + 1).min(m.options.len());
        marks.insert(
            c.contest_id.clone(),
            c.selections[..n]
                .iter()
                .map(|s| s.short_code.clone())
                .collect::<Vec<_>>(),
        );
    }
    let marked = MarkedBallot {
        ballot_id: "paper-1".into(),
        style: style.clone(),
        primary_nonce: primary.into(),
        code_baux: b"aux".to_vec(),
        marks: marks.clone(),
    };
    let station = || Station {
        device: "scanner",
        timestamp: 0,
    };
    let mut proof_rng = ChaCha20Rng::seed_from_u64(30);
    let ballot = encryptor
        .record_preencrypted(&marked, station(), |site| {
            ProofNonces::random(site.limit(), &mut proof_rng)
        })
        .unwrap();
    assert!(ballot.is_preencrypt);
    assert_eq!(ballot.confirmation_code, pre.confirmation_code);
    let (_, failures) = ballot.check(revision, &h_e, &key);
    assert!(failures.is_empty(), "{failures:?}");
    let mut overvoted = 0;
    for (c, pc) in ballot.contests.iter().zip(&pre.contests) {
        let m = manifest.contest(&c.contest_id).unwrap();
        let codes = &marks[&c.contest_id];
        let over = codes.len() > m.limit as usize;
        overvoted += usize::from(over);
        for (k, s) in c.selections.iter().enumerate() {
            let voted = !over && codes.contains(&pc.selections[k].short_code);
            let expected = if voted {
                key.pow(&<G as Group>::Scalar::one())
            } else {
                G::identity()
            };
            assert_eq!(
                vote_power(&s.ciphertext, &secret),
                expected,
                "{} {k}",
                c.contest_id
            );
        }
        let p = c.pre_encryption.as_ref().unwrap();
        assert_eq!(p.selected.len(), m.limit as usize);
        assert_eq!(p.contest_hash, pc.contest_hash);
    }
    assert!(overvoted > 0, "the manifest gives no contest to overvote");

    // A code of another contest, a code twice, a contest not on the style: refused.
    let first = &pre.contests[0];
    let second = &pre.contests[1];
    let refuse = |marks: BTreeMap<String, Vec<String>>| {
        let mut rng = ChaCha20Rng::seed_from_u64(31);
        let m = MarkedBallot {
            marks,
            ..marked.clone()
        };
        encryptor
            .record_preencrypted(&m, station(), |site| {
                ProofNonces::random(site.limit(), &mut rng)
            })
            .unwrap_err()
            .to_string()
    };
    let foreign = BTreeMap::from([(
        first.contest_id.clone(),
        vec![second.selections[0].short_code.clone()],
    )]);
    assert!(refuse(foreign).contains("not a short code of this contest"));
    let twice = BTreeMap::from([(
        second.contest_id.clone(),
        vec![second.selections[0].short_code.clone(); 2],
    )]);
    assert!(refuse(twice).contains("marked twice"));
    let unknown = BTreeMap::from([("no-such-contest".to_owned(), Vec::new())]);
    assert!(refuse(unknown).contains("is not on ballot style"));
}
