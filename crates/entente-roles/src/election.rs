//! The election's setup as its administrator publishes it: the manifest (the demo's built in),
//! the configuration, the constants and, after the key ceremony, the election initialized.
//! Each file is written in the layout Entente writes for the election's group
//! ([`RecordKind::written_for`]: egk's 2.0 for the 4096-bit group, egk-ec's 2.1 for P-256).

use crate::error::{Context, Result};
use entente_core::keys::{JointKey, Quorum};
use entente_record::election::{ElectionConfigJson, ElectionInitializedJson};
use entente_record::{GroupKind, KnownGroup, RecordKind, params};
use std::path::Path;

/// The demo election's manifest, hashed byte for byte into H_M (spec 2.0 §3.1.4).
pub const DEMO_MANIFEST: &str = include_str!("../assets/demo-manifest.json");

/// `constants.json` of an election in `group`, as the record of its kind writes it.
pub fn constants_json(group: GroupKind) -> serde_json::Value {
    entente_record::layout::constants_json(RecordKind::written_for(group))
}

/// `election_config.json` (in the 2.0 form the readers take; [`setup_file`] writes it in the
/// election's layout) for a manifest, n, k and the group: H_P, H_M, H_B (spec 2.0 §3.1),
/// chained confirmation codes starting from B_aux,0 = `baux0`.
pub fn config_json(
    manifest: &[u8],
    quorum: Quorum,
    group: GroupKind,
    baux0: &str,
    created_by: &str,
) -> Result<ElectionConfigJson> {
    let h_p = group.parameter_base_hash();
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

/// `election_initialized.json` (2.0 form) for a joint key; guardian i is named `name(i)`.
pub fn initialized_json<G: KnownGroup>(
    joint: &JointKey<G>,
    name: impl Fn(u32) -> String,
) -> ElectionInitializedJson {
    ElectionInitializedJson {
        joint_public_key: G::element_to_hex(&joint.key),
        extended_base_hash: joint.extended_base_hash.to_hex(),
        guardians: joint
            .guardians
            .iter()
            .map(|g| g.to_json(&name(g.index())))
            .collect(),
        metadata: serde_json::Map::new(),
    }
}

/// A setup file (built in the 2.0 form) as the record of an election in `group` writes it,
/// indented.
pub fn setup_file<T: serde::Serialize>(value: &T, group: GroupKind) -> Result<Vec<u8>> {
    Ok(entente_record::layout::write_in(
        value,
        RecordKind::written_for(group).layout,
        true,
    )?)
}

/// The record files of the setup, each in the layout of the election's group.
pub fn write_setup<G: KnownGroup>(
    dir: &Path,
    manifest: &[u8],
    joint: &JointKey<G>,
    config: &ElectionConfigJson,
) -> Result<()> {
    let initialized = initialized_json(joint, |i| format!("guardian{i}"));
    let write = |name: &str, bytes: Vec<u8>| {
        crate::files::write_atomically(&dir.join(name), &bytes)
            .with_context(|| format!("cannot write {name}"))
    };
    write(
        "constants.json",
        serde_json::to_vec_pretty(&constants_json(G::KIND))?,
    )?;
    write("manifest.json", manifest.to_vec())?;
    write("election_config.json", setup_file(config, G::KIND)?)?;
    write(
        "election_initialized.json",
        setup_file(&initialized, G::KIND)?,
    )?;
    Ok(())
}
