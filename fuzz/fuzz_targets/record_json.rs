//! Every kind of record JSON a verifier, a guardian or the server reads from outside, in both
//! layouts and both groups: the first byte picks the kind, the rest is the file. A parse may
//! refuse anything; it must never panic, hang or allocate without bound.

#![no_main]

use entente_group::{P256, P4096};
use entente_record::ballot::json::EncryptedBallotJson;
use entente_record::election::{ElectionConfigured, ElectionInitializedJson, parse_json};
use entente_record::layout::{RecordKind, to_20};
use entente_record::manifest::Manifest;
use entente_record::tally::{DecryptedTallyJson, EncryptedTallyJson};
use libfuzzer_sys::fuzz_target;

fn ballot(bytes: &[u8]) {
    if let Ok(json) = parse_json::<EncryptedBallotJson>("fuzz", bytes) {
        let _ = json.read_unchecked::<P4096>();
        let _ = json.read_unchecked::<P256>();
    }
}

/// A 2.1-layout file: base64 values rewritten to hex, `votes_allowed` filled in, then read as
/// the 2.0 readers do.
fn layout_21(bytes: &[u8], read: impl Fn(&[u8])) {
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return;
    };
    if to_20(&mut value, &|id| (id.len() % 3 != 0).then_some(1)).is_ok() {
        if let Ok(rewritten) = serde_json::to_vec(&value) {
            read(&rewritten);
        }
    }
}

fn tally(bytes: &[u8]) {
    if let Ok(json) = parse_json::<EncryptedTallyJson>("fuzz", bytes) {
        let _ = json.read::<P4096>();
        let _ = json.read::<P256>();
    }
}

fn decrypted(bytes: &[u8]) {
    if let Ok(json) = parse_json::<DecryptedTallyJson>("fuzz", bytes) {
        let _ = json.read::<P4096>();
        let _ = json.read::<P256>();
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    match kind % 10 {
        0 => ballot(rest),
        1 => layout_21(rest, ballot),
        2 => tally(rest),
        3 => layout_21(rest, tally),
        4 => decrypted(rest),
        5 => layout_21(rest, decrypted),
        6 => {
            let _ = Manifest::from_json(rest);
        }
        7 => {
            // The manifest, the configuration and the constants, split at NUL bytes.
            let mut parts = rest.splitn(3, |&b| b == 0);
            let manifest = parts.next().unwrap_or_default();
            let config = parts.next().unwrap_or_default();
            let constants = parts.next().unwrap_or_default();
            let _ = ElectionConfigured::from_bytes(manifest, config, constants);
        }
        8 => {
            let _ = parse_json::<ElectionInitializedJson>("fuzz", rest);
        }
        _ => {
            if let Ok(value) = serde_json::from_slice::<serde_json::Value>(rest) {
                let _ = RecordKind::of_constants(&value);
            }
        }
    }
});
