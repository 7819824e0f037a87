//! The spec 2.0.0 path against complete election records written by another implementation
//! (egk): parameters, base hashes, guardian keys and proofs, joint key, H_E, key shares.

use std::path::{Path, PathBuf};

use entente_core::keys::{GuardianPublicKey, JointKey, KeyContext, Quorum, SchnorrProof};
use entente_group::{Group, P4096, Scalar, ScalarQ};
use entente_record::{HashValue, params};
use serde_json::Value;

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

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn str_at<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is not a string"))
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
            let index = g["x_coordinate"].as_u64().unwrap() as u32;
            let mut key = GuardianPublicKey::<G> {
                index,
                commitments: vec![],
                proofs: vec![],
            };
            for p in g["coefficient_proofs"].as_array().unwrap() {
                key.commitments
                    .push(G::element_from_hex(str_at(p, "public_key")).unwrap());
                key.proofs.push(SchnorrProof {
                    challenge: ScalarQ::from_hex(str_at(p, "challenge")).unwrap(),
                    response: ScalarQ::from_hex(str_at(p, "response")).unwrap(),
                });
            }
            verified.push(key.verify(&ctx, quorum).unwrap());
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
    let key = GuardianPublicKey::<G> {
        index: g["x_coordinate"].as_u64().unwrap() as u32,
        commitments: g["coefficient_proofs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| G::element_from_hex(str_at(p, "public_key")).unwrap())
            .collect(),
        proofs: g["coefficient_proofs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| SchnorrProof {
                challenge: ScalarQ::from_hex(str_at(q, "challenge")).unwrap(),
                response: ScalarQ::from_hex(str_at(q, "response")).unwrap(),
            })
            .collect(),
    };
    let mut bad = key.clone();
    bad.proofs[1].challenge = ScalarQ::from_hex(str_at(p, "challenge"))
        .unwrap()
        .add(&ScalarQ::one());
    let quorum = Quorum::new(3, 3).unwrap();
    assert!(key.verify(&KeyContext::standard(), quorum).is_ok());
    assert!(bad.verify(&KeyContext::standard(), quorum).is_err());
}
