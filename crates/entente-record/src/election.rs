//! The election's public setup in the records' JSON: `election_config.json` (parameters, n, k,
//! the base hashes, the chaining mode and B_aux,0) and `election_initialized.json` (the
//! guardians' commitments and proofs, the joint key K and H_E).
//!
//! The guardians' proofs are checked by the key ceremony (`entente-core`) and by the verifier;
//! this module reads the values, checks their form, and checks every hash that it can
//! recompute from the record alone.
#![allow(missing_docs)] // the JSON mirror structs' fields are the records' keys

use std::path::Path;

use entente_group::Group;
use serde::{Deserialize, Serialize};

use crate::ballot::PublicKey;
use crate::manifest::Manifest;
use crate::{HashValue, RecordError, params};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ElectionConfigJson {
    pub config_version: String,
    pub number_of_guardians: u32,
    pub quorum: u32,
    pub parameter_base_hash: String,
    pub manifest_hash: String,
    pub election_base_hash: String,
    pub chain_confirmation_codes: bool,
    /// B_aux,0: a JSON array of bytes (2.0), or base64 (egk-ec's 2.1).
    #[serde(deserialize_with = "bytes_or_base64")]
    pub baux0: Vec<u8>,
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

/// A byte string as either layout writes it: an array of numbers (2.0) or base64 text (2.1).
fn bytes_or_base64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Array(Vec<u8>),
        Text(String),
    }
    match Either::deserialize(d)? {
        Either::Array(bytes) => Ok(bytes),
        Either::Text(text) => crate::Layout::Json21
            .bytes(&text)
            .map_err(serde::de::Error::custom),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ElectionInitializedJson {
    pub joint_public_key: String,
    pub extended_base_hash: String,
    pub guardians: Vec<GuardianJson>,
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuardianJson {
    pub guardian_id: String,
    pub x_coordinate: u32,
    pub coefficient_proofs: Vec<SchnorrProofJson>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchnorrProofJson {
    pub public_key: String,
    pub challenge: String,
    pub response: String,
}

/// Reads a JSON file; errors name the file and the JSON path.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, RecordError> {
    let bytes = read_file(path)?;
    parse_json(&path.display().to_string(), &bytes)
}

pub use crate::files::{MAX_RECORD_FILE, read_file};

/// What an encryption device (and a verifier) needs of the setup, checked: the manifest matches
/// H_M, H_B follows from H_P, H_M, n, k, and H_E from H_B and K.
pub struct ElectionSetup<G: Group> {
    pub manifest: Manifest,
    pub manifest_bytes: Vec<u8>,
    pub config: ElectionConfigJson,
    pub initialized: ElectionInitializedJson,
    pub h_p: HashValue,
    pub h_b: HashValue,
    pub h_e: HashValue,
    pub joint_key: G::Element,
}

/// Parses JSON bytes; errors name the file and the JSON path.
pub fn parse_json<T: serde::de::DeserializeOwned>(
    name: &str,
    bytes: &[u8],
) -> Result<T, RecordError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de)
        .map_err(|e| RecordError::Json(format!("{name}: at {}: {}", e.path(), e.inner())))
}

/// A manifest and configuration whose hashes check: H_P the standard one, H_M of the manifest's
/// bytes, H_B of H_P, H_M, n and k (spec 2.0 Verification 1.F–1.H). What exists of an election
/// before its key ceremony.
pub struct ElectionConfigured {
    pub manifest: Manifest,
    pub manifest_bytes: Vec<u8>,
    pub config: ElectionConfigJson,
    pub h_p: HashValue,
    pub h_m: HashValue,
    pub h_b: HashValue,
}

fn field(
    path: &str,
    r: Result<HashValue, entente_group::GroupError>,
) -> Result<HashValue, RecordError> {
    r.map_err(|e| RecordError::Field {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

fn check_stated(path: &str, stated: &str, computed: &HashValue) -> Result<(), RecordError> {
    let stated = field(path, HashValue::from_hex(stated))?;
    if stated != *computed {
        return Err(RecordError::Field {
            path: path.to_owned(),
            reason: format!("the record states {stated}, the computation gives {computed}"),
        });
    }
    Ok(())
}

impl ElectionConfigured {
    /// Checks `manifest.json` and `election_config.json` given as bytes.
    pub fn from_bytes(manifest_bytes: &[u8], config: &[u8]) -> Result<Self, RecordError> {
        let manifest = Manifest::from_json(manifest_bytes)?;
        let config: ElectionConfigJson = parse_json("election_config.json", config)?;
        let h_p = params::standard_parameter_base_hash();
        check_stated(
            "election_config.json: parameter_base_hash",
            &config.parameter_base_hash,
            &h_p,
        )?;
        let h_m = params::manifest_hash(&h_p, manifest_bytes)?;
        check_stated(
            "election_config.json: manifest_hash",
            &config.manifest_hash,
            &h_m,
        )?;
        let h_b = params::election_base_hash(&h_p, &h_m, config.number_of_guardians, config.quorum);
        check_stated(
            "election_config.json: election_base_hash",
            &config.election_base_hash,
            &h_b,
        )?;
        Ok(Self {
            manifest,
            manifest_bytes: manifest_bytes.to_vec(),
            config,
            h_p,
            h_m,
            h_b,
        })
    }
}

impl<G: Group> ElectionSetup<G> {
    /// Reads `manifest.json`, `election_config.json` and `election_initialized.json` from a
    /// record directory and checks the hashes that bind them (spec 2.0 Verification 1.F–1.H,
    /// 4.A; H_P must be the standard one).
    pub fn read(dir: &Path) -> Result<Self, RecordError> {
        let read = |name: &str| read_file(&dir.join(name));
        let named = |name: &str| dir.join(name).display().to_string();
        let configured =
            ElectionConfigured::from_bytes(&read("manifest.json")?, &read("election_config.json")?)
                .map_err(|e| match e {
                    RecordError::Json(m) => RecordError::Json(m.replacen(
                        "election_config.json",
                        &named("election_config.json"),
                        1,
                    )),
                    other => other,
                })?;
        let initialized: ElectionInitializedJson =
            read_json(&dir.join("election_initialized.json"))?;
        Self::initialized(configured, initialized)
    }

    /// The setup once the key ceremony has given K: checks H_E (Verification 4.A).
    pub fn initialized(
        configured: ElectionConfigured,
        initialized: ElectionInitializedJson,
    ) -> Result<Self, RecordError> {
        let joint_key =
            G::element_from_hex(&initialized.joint_public_key).map_err(|e| RecordError::Field {
                path: "election_initialized.json: joint_public_key".into(),
                reason: e.to_string(),
            })?;
        let h_e = params::extended_base_hash::<G>(&configured.h_b, &joint_key);
        check_stated(
            "election_initialized.json: extended_base_hash",
            &initialized.extended_base_hash,
            &h_e,
        )?;
        Ok(Self {
            manifest: configured.manifest,
            manifest_bytes: configured.manifest_bytes,
            config: configured.config,
            initialized,
            h_p: configured.h_p,
            h_b: configured.h_b,
            h_e,
            joint_key,
        })
    }

    /// K with its fixed-base table.
    pub fn public_key(&self) -> PublicKey<G> {
        PublicKey::new(self.joint_key.clone())
    }
}
