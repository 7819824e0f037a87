//! The P-256 group against egk-ec's P-256 record (`../shared/conformance/egk-ec/`): its H_P is
//! the one computed here, and every guardian's Schnorr proofs of its coefficient commitments
//! verify with this group's encodings and hash to scalar, and fail when a byte changes. This
//! pins the facts of the README that every later check of a P-256 record relies on.

use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use entente_group::{Group, P256, Scalar, ScalarN};
use entente_record::hash::Revision;
use entente_record::keys::coefficient_proof_holds;
use entente_record::params::p256_parameter_base_hash;
use serde_json::Value;

fn record() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/egk-ec/records/allAvailableEc")
}

fn json(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(record().join(name)).unwrap()).unwrap()
}

fn b64(v: &Value) -> Vec<u8> {
    B64.decode(v.as_str().unwrap()).unwrap()
}

#[test]
fn the_p256_record_s_parameter_base_hash_is_ours() {
    let config = json("election_config.json");
    assert_eq!(
        b64(&config["parameter_base_hash"]),
        p256_parameter_base_hash().as_bytes().to_vec()
    );
    let constants = json("constants.json");
    assert_eq!(constants["name"], "P-256");
    assert_eq!(constants["type"], "EllipticCurve");
}

#[test]
fn every_guardian_s_coefficient_proofs_verify_on_p256_and_a_changed_byte_fails() {
    let h_p = p256_parameter_base_hash();
    let init = json("election_initialized.json");
    let mut checked = 0;
    for g in init["guardians"].as_array().unwrap() {
        let i = g["x_coordinate"].as_u64().unwrap() as u32;
        for (j, p) in g["coefficient_proofs"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            let k = P256::element_from_bytes(&b64(&p["public_key"])).unwrap();
            let c = ScalarN::from_canonical_bytes(&b64(&p["challenge"])).unwrap();
            let v = ScalarN::from_canonical_bytes(&b64(&p["response"])).unwrap();
            assert!(
                coefficient_proof_holds::<P256>(&h_p, Revision::V2_0_0, i, j as u32, &k, &c, &v),
                "guardian {i}, coefficient {j}"
            );
            // A changed response, or another guardian's index: no longer a proof.
            let v2 = v.add(&ScalarN::one());
            assert!(!coefficient_proof_holds::<P256>(
                &h_p,
                Revision::V2_0_0,
                i,
                j as u32,
                &k,
                &c,
                &v2
            ));
            assert!(!coefficient_proof_holds::<P256>(
                &h_p,
                Revision::V2_0_0,
                i + 1,
                j as u32,
                &k,
                &c,
                &v
            ));
            checked += 1;
        }
    }
    assert_eq!(checked, 9, "3 guardians of quorum 3");
}
