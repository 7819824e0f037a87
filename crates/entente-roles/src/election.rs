//! The election's setup as its administrator publishes it: the manifest (the demo's built in),
//! the configuration, the constants and, after the key ceremony, the election initialized.

use crate::error::{Context, Result};
use entente_core::keys::{JointKey, Quorum};
use entente_group::{Group, P4096};
use entente_record::election::{ElectionConfigJson, ElectionInitializedJson};
use entente_record::params;
use std::path::Path;

/// The demo election's manifest, hashed byte for byte into H_M (spec 2.0 §3.1.4).
pub const DEMO_MANIFEST: &str = include_str!("../assets/demo-manifest.json");

/// `constants.json`: the standard group, as the conformance records write it.
pub fn constants_json() -> serde_json::Value {
    entente_record::layout::constants_json(entente_record::RecordKind {
        layout: entente_record::Layout::Json20,
        group: entente_record::GroupKind::P4096,
    })
}

/// `election_config.json` for a manifest and n, k: H_P, H_M, H_B (spec 2.0 §3.1), chained
/// confirmation codes starting from B_aux,0 = `baux0`.
pub fn config_json(
    manifest: &[u8],
    quorum: Quorum,
    baux0: &str,
    created_by: &str,
) -> Result<ElectionConfigJson> {
    let h_p = params::standard_parameter_base_hash();
    let h_m = params::manifest_hash(&h_p, manifest)?;
    let h_b = params::election_base_hash(&h_p, &h_m, quorum.guardians(), quorum.quorum());
    Ok(ElectionConfigJson {
        config_version: params::SPEC_VERSION.to_owned(),
        number_of_guardians: quorum.guardians(),
        quorum: quorum.quorum(),
        parameter_base_hash: h_p.to_hex(),
        manifest_hash: h_m.to_hex(),
        election_base_hash: h_b.to_hex(),
        chain_confirmation_codes: true,
        baux0: baux0.as_bytes().to_vec(),
        metadata: serde_json::Map::from_iter([("Created by".to_owned(), created_by.into())]),
    })
}

/// `election_initialized.json` for a joint key; guardian i is named `name(i)`.
pub fn initialized_json(
    joint: &JointKey<P4096>,
    name: impl Fn(u32) -> String,
) -> ElectionInitializedJson {
    ElectionInitializedJson {
        joint_public_key: P4096::element_to_hex(&joint.key),
        extended_base_hash: joint.extended_base_hash.to_hex(),
        guardians: joint
            .guardians
            .iter()
            .map(|g| g.to_json(&name(g.index())))
            .collect(),
        metadata: serde_json::Map::new(),
    }
}

/// The record files of the setup, in the conformance records' JSON.
pub fn write_setup(
    dir: &Path,
    manifest: &[u8],
    joint: &JointKey<P4096>,
    config: &ElectionConfigJson,
) -> Result<()> {
    let initialized = initialized_json(joint, |i| format!("guardian{i}"));
    let write = |name: &str, bytes: Vec<u8>| {
        crate::files::write_atomically(&dir.join(name), &bytes)
            .with_context(|| format!("cannot write {name}"))
    };
    write(
        "constants.json",
        serde_json::to_vec_pretty(&constants_json())?,
    )?;
    write("manifest.json", manifest.to_vec())?;
    write("election_config.json", serde_json::to_vec_pretty(config)?)?;
    write(
        "election_initialized.json",
        serde_json::to_vec_pretty(&initialized)?,
    )?;
    Ok(())
}
