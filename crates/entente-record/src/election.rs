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
use crate::layout::KnownGroup;
use crate::manifest::Manifest;
use crate::{HashValue, RecordError, RecordKind, params};

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

pub use crate::files::{MAX_RECORD_FILE, parse_json, read_file};

/// What an encryption device (and a verifier) needs of the setup, checked: the manifest matches
/// H_M, H_B follows from H_P, H_M, n, k, and H_E from H_B and K.
pub struct ElectionSetup<G: Group> {
    /// What the record is: its layout and group (from `constants.json`).
    pub kind: RecordKind,
    pub manifest: Manifest,
    pub manifest_bytes: Vec<u8>,
    pub config: ElectionConfigJson,
    pub initialized: ElectionInitializedJson,
    pub h_p: HashValue,
    pub h_b: HashValue,
    pub h_e: HashValue,
    pub joint_key: G::Element,
}

/// A manifest and configuration whose hashes check: H_P its group's (the standard one for the
/// 4096-bit group), H_M of the manifest's bytes, H_B of H_P, H_M, n and k (spec 2.0
/// Verification 1.F–1.H). What exists of an election before its key ceremony.
pub struct ElectionConfigured {
    /// What the election's record is, from its `constants.json`.
    pub kind: RecordKind,
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
    /// Checks `manifest.json`, `election_config.json` and `constants.json` given as bytes: the
    /// constants say the layout and group (they must be the group's own, as
    /// [`crate::layout::constants_json`] writes them).
    pub fn from_bytes(
        manifest_bytes: &[u8],
        config: &[u8],
        constants: &[u8],
    ) -> Result<Self, RecordError> {
        let constants: serde_json::Value = parse_json("constants.json", constants)?;
        let kind = RecordKind::of_constants(&constants)?;
        if !same_constants(&constants, &crate::layout::constants_json(kind)) {
            return Err(RecordError::Json(
                "constants.json: the constants are not the group's own".into(),
            ));
        }
        let manifest = Manifest::from_json(manifest_bytes)?;
        let config: ElectionConfigJson =
            crate::layout::parse_in("election_config.json", config, kind.layout, &|_| None)?;
        let h_p = kind.group.parameter_base_hash();
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
            kind,
            manifest,
            manifest_bytes: manifest_bytes.to_vec(),
            config,
            h_p,
            h_m,
            h_b,
        })
    }
}

/// Whether two `constants.json` state the same constants, whatever their names, the case of
/// their hex or its leading zeros (egk's records write the 2.0 constants in upper case, with
/// leading zeros; 2.1's in lower case without).
fn same_constants(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    let values = |v: &serde_json::Value| -> Option<Vec<(String, String)>> {
        let map = v.get("constants").unwrap_or(v).as_object()?;
        let mut out: Vec<(String, String)> = map
            .iter()
            .filter(|(k, _)| k.as_str() != "name")
            .map(|(k, v)| {
                let text = v.as_str().unwrap_or_default().to_ascii_lowercase();
                (k.clone(), text.trim_start_matches('0').to_owned())
            })
            .collect();
        out.sort();
        Some(out)
    };
    values(a).is_some() && values(a) == values(b)
}

impl<G: KnownGroup> ElectionSetup<G> {
    /// Reads `manifest.json`, `election_config.json` and `election_initialized.json` from a
    /// record directory and checks the hashes that bind them (spec 2.0 Verification 1.F–1.H,
    /// 4.A; H_P must be the standard one).
    pub fn read(dir: &Path) -> Result<Self, RecordError> {
        let read = |name: &str| read_file(&dir.join(name));
        let named = |name: &str| dir.join(name).display().to_string();
        let configured = ElectionConfigured::from_bytes(
            &read("manifest.json")?,
            &read("election_config.json")?,
            &read("constants.json")?,
        )
        .map_err(|e| match e {
            RecordError::Json(m) => {
                let file = ["election_config.json", "constants.json"]
                    .into_iter()
                    .find(|f| m.starts_with(f));
                match file {
                    Some(f) => RecordError::Json(m.replacen(f, &named(f), 1)),
                    None => RecordError::Json(m),
                }
            }
            other => other,
        })?;
        let path = dir.join("election_initialized.json");
        let initialized: ElectionInitializedJson = crate::layout::parse_in(
            &path.display().to_string(),
            &read_file(&path)?,
            configured.kind.layout,
            &|_| None,
        )?;
        Self::initialized(configured, initialized)
    }

    /// The setup once the key ceremony has given K: checks H_E (Verification 4.A).
    pub fn initialized(
        configured: ElectionConfigured,
        initialized: ElectionInitializedJson,
    ) -> Result<Self, RecordError> {
        if configured.kind.group != G::KIND {
            return Err(RecordError::Json(format!(
                "constants.json: the election is in the group {:?}, not {:?}",
                configured.kind.group,
                G::KIND
            )));
        }
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
            kind: configured.kind,
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

impl<G: Group> ElectionSetup<G> {
    /// A file of this election's record (a ballot, a tally, a decryption; `name` for messages)
    /// read into the 2.0 form the readers take, whatever the record's layout.
    pub fn parse<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
        bytes: &[u8],
    ) -> Result<T, RecordError> {
        crate::layout::parse_for(name, bytes, self.kind.layout, &self.manifest)
    }

    /// [`ElectionSetup::parse`] of a file, read as [`read_file`] reads it.
    pub fn read_record_file<T: serde::de::DeserializeOwned>(
        &self,
        path: &Path,
    ) -> Result<T, RecordError> {
        self.parse(&path.display().to_string(), &read_file(path)?)
    }

    /// The bytes of a record file (built in the 2.0 form) in this election's layout.
    pub fn record_bytes<T: Serialize>(
        &self,
        value: &T,
        pretty: bool,
    ) -> Result<Vec<u8>, RecordError> {
        crate::layout::write_in(value, self.kind.layout, pretty)
    }
}
