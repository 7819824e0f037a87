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
    pub baux0: Vec<u8>,
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub metadata: serde_json::Map<String, serde_json::Value>,
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
    let bytes = std::fs::read(path)
        .map_err(|e| RecordError::Json(format!("{}: cannot read: {e}", path.display())))?;
    let de = &mut serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        RecordError::Json(format!(
            "{}: at {}: {}",
            path.display(),
            e.path(),
            e.inner()
        ))
    })
}

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

impl<G: Group> ElectionSetup<G> {
    /// Reads `manifest.json`, `election_config.json` and `election_initialized.json` from a
    /// record directory and checks the hashes that bind them (spec 2.0 Verification 1.F–1.H,
    /// 4.A; H_P must be the standard one).
    pub fn read(dir: &Path) -> Result<Self, RecordError> {
        let manifest_path = dir.join("manifest.json");
        let manifest_bytes = std::fs::read(&manifest_path).map_err(|e| {
            RecordError::Json(format!("{}: cannot read: {e}", manifest_path.display()))
        })?;
        let manifest = Manifest::from_json(&manifest_bytes)?;
        let config: ElectionConfigJson = read_json(&dir.join("election_config.json"))?;
        let initialized: ElectionInitializedJson =
            read_json(&dir.join("election_initialized.json"))?;
        let field = |path: &str, r: Result<HashValue, entente_group::GroupError>| {
            r.map_err(|e| RecordError::Field {
                path: path.to_owned(),
                reason: e.to_string(),
            })
        };
        let mismatch = |path: &str, computed: &HashValue, stated: &HashValue| RecordError::Field {
            path: path.to_owned(),
            reason: format!("the record states {stated}, the computation gives {computed}"),
        };
        let h_p = params::standard_parameter_base_hash();
        let stated = field(
            "election_config.json: parameter_base_hash",
            HashValue::from_hex(&config.parameter_base_hash),
        )?;
        if stated != h_p {
            return Err(mismatch(
                "election_config.json: parameter_base_hash",
                &h_p,
                &stated,
            ));
        }
        let h_m = params::manifest_hash(&h_p, &manifest_bytes)?;
        let stated = field(
            "election_config.json: manifest_hash",
            HashValue::from_hex(&config.manifest_hash),
        )?;
        if stated != h_m {
            return Err(mismatch(
                "election_config.json: manifest_hash",
                &h_m,
                &stated,
            ));
        }
        let h_b = params::election_base_hash(&h_p, &h_m, config.number_of_guardians, config.quorum);
        let stated = field(
            "election_config.json: election_base_hash",
            HashValue::from_hex(&config.election_base_hash),
        )?;
        if stated != h_b {
            return Err(mismatch(
                "election_config.json: election_base_hash",
                &h_b,
                &stated,
            ));
        }
        let joint_key =
            G::element_from_hex(&initialized.joint_public_key).map_err(|e| RecordError::Field {
                path: "election_initialized.json: joint_public_key".into(),
                reason: e.to_string(),
            })?;
        let h_e = params::extended_base_hash::<G>(&h_b, &joint_key);
        let stated = field(
            "election_initialized.json: extended_base_hash",
            HashValue::from_hex(&initialized.extended_base_hash),
        )?;
        if stated != h_e {
            return Err(mismatch(
                "election_initialized.json: extended_base_hash",
                &h_e,
                &stated,
            ));
        }
        Ok(Self {
            manifest,
            manifest_bytes,
            config,
            initialized,
            h_p,
            h_b,
            h_e,
            joint_key,
        })
    }

    /// K with its fixed-base table.
    pub fn public_key(&self) -> PublicKey<G> {
        PublicKey::new(self.joint_key.clone())
    }
}
