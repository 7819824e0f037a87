//! Reading the vectors' values: every hex string becomes a checked element, scalar or hash,
//! and every error names the JSON path of the value.

use anyhow::{Context, Result, anyhow};
use entente_group::{Group, P4096, Scalar, ScalarQ, SecretScalar};
use entente_record::HashValue;
use serde::de::DeserializeOwned;

pub type G = P4096;

/// Parses a whole vector; a structural error names the JSON path.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        anyhow!("at {path}: {}", e.into_inner())
    })
}

pub fn element(path: &str, hex: &str) -> Result<<G as Group>::Element> {
    G::element_from_hex(hex).with_context(|| format!("{path} is not a valid group element"))
}

pub fn scalar(path: &str, hex: &str) -> Result<ScalarQ> {
    ScalarQ::from_hex(hex).with_context(|| format!("{path} is not a valid integer mod q"))
}

pub fn secret(path: &str, hex: &str) -> Result<SecretScalar<ScalarQ>> {
    scalar(path, hex).map(SecretScalar::new)
}

pub fn hash(path: &str, hex: &str) -> Result<HashValue> {
    HashValue::from_hex(hex).with_context(|| format!("{path} is not a 32-byte hash"))
}

pub fn bytes32(path: &str, hex: &str) -> Result<[u8; 32]> {
    entente_group::hex::decode_array(hex).with_context(|| format!("{path} is not 32 bytes of hex"))
}

/// Compares a computed value with the vector's; the error names the path and both values.
pub fn expect_eq<T: PartialEq + std::fmt::Debug>(path: &str, computed: &T, expected: &T) -> Result<()> {
    if computed == expected {
        Ok(())
    } else {
        Err(anyhow!("{path}: computed {computed:?}, vector says {expected:?}"))
    }
}
