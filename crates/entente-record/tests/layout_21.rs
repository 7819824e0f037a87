//! egk-ec's 2.1 contest data, opened and written again: every challenged ballot's contest data
//! in egk-ec's records (P-256 and the 4096-bit group), decrypted with the β its decryption
//! states, is byte for byte what Entente's 2.1 encoder writes for the data it says.

use std::path::{Path, PathBuf};

use entente_group::{Group, P256, P4096};
use entente_record::tally::DecryptedTallyJson;
use entente_record::{HashValue, Layout};

fn records() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/egk-ec/records")
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The contests whose data opened and re-encoded to the same bytes.
fn reencode<G: Group>(dir: &Path) -> usize {
    let init = json(&dir.join("election_initialized.json"));
    let b64 = |key: &str| Layout::Json21.bytes(init[key].as_str().unwrap()).unwrap();
    let h_e = HashValue(b64("extended_base_hash").try_into().unwrap());
    let key = G::element_from_bytes(&b64("joint_public_key")).unwrap();
    let mut checked = 0;
    for f in std::fs::read_dir(dir.join("challenged_ballots")).unwrap() {
        let mut value = json(&f.unwrap().path());
        entente_record::layout::to_20(&mut value, &|_| Some(1)).unwrap();
        let ballot = serde_json::from_value::<DecryptedTallyJson>(value)
            .unwrap()
            .read::<G>()
            .unwrap();
        for (i, c) in ballot.contests.iter().enumerate() {
            let d = c.contest_data.as_ref().unwrap();
            // The contest's index in its ballot (the spec's KDF context; the records' holds its id).
            let plain = d
                .encrypted
                .decrypt_with_beta(&h_e, &key, &d.proof.beta, &c.contest_id, i as u32)
                .unwrap();
            let limit = (d.encrypted.num_bytes + 2) / 32 - 1;
            assert_eq!(
                d.data.encode_21(limit),
                plain,
                "{} {}",
                ballot.id,
                c.contest_id
            );
            checked += 1;
        }
    }
    checked
}

#[test]
fn egk_ec_contest_data_is_what_the_2_1_encoder_writes() {
    let p256 = reencode::<P256>(&records().join("allAvailableEc"));
    let p4096 = reencode::<P4096>(&records().join("allAvailable"));
    assert!(p256 > 20 && p4096 > 20, "{p256} and {p4096} contests");
}

/// Every record of either implementation reads as the election setup of its own group (its
/// hashes checked, the 2.1 values read), and as no other group's; its setup files, read into
/// 2.0 and written back in 2.1, are the files egk-ec wrote.
#[test]
fn each_record_reads_as_the_setup_of_its_own_group_only() {
    use entente_record::election::ElectionSetup;
    let conformance = records().join("../..");
    let egk = conformance.join("egk/records");
    for (dir, p256) in [
        (records().join("allAvailableEc"), true),
        (records().join("allAvailable"), false),
        (egk.join("allAvailableJson"), false),
        (egk.join("chainedJson"), false),
    ] {
        let (ok, other) = if p256 {
            (
                ElectionSetup::<P256>::read(&dir).map(|s| s.h_e),
                ElectionSetup::<P4096>::read(&dir).map(|s| s.h_e),
            )
        } else {
            (
                ElectionSetup::<P4096>::read(&dir).map(|s| s.h_e),
                ElectionSetup::<P256>::read(&dir).map(|s| s.h_e),
            )
        };
        let h_e = ok.unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let stated = json(&dir.join("election_initialized.json"))["extended_base_hash"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            stated.eq_ignore_ascii_case(&h_e.to_hex())
                || Layout::Json21.bytes(&stated).unwrap() == h_e.0,
            "{}",
            dir.display()
        );
        assert!(other.is_err(), "{} read as another group", dir.display());
    }
    for rec in ["allAvailableEc", "allAvailable"] {
        for f in ["election_config.json", "election_initialized.json"] {
            let original = json(&records().join(rec).join(f));
            let mut value = original.clone();
            entente_record::layout::to_20(&mut value, &|_| None).unwrap();
            assert_ne!(value, original);
            entente_record::layout::to_21(&mut value).unwrap();
            assert_eq!(value, original, "{rec}/{f}");
        }
    }
}
