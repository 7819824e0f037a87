//! Reading the vectors' values: every hex string becomes a checked element, scalar or hash,
//! and every error names the JSON path of the value.

use crate::error::{At, Result, differs};
use entente_core::keys::{Guardian, KeyContext, Quorum, SecretPolynomial};
use entente_group::{Group, P4096, Scalar, ScalarQ, SecretScalar};
use entente_record::HashValue;
use entente_record::{Revision, params};
use serde::de::DeserializeOwned;

pub type G = P4096;

/// Parses a whole vector; a structural error names the JSON path.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        differs!("at {path}: {}", e.into_inner())
    })
}

pub fn element(path: &str, hex: &str) -> Result<<G as Group>::Element> {
    G::element_from_hex(hex).at(|| format!("{path} is not a valid group element"))
}

pub fn scalar(path: &str, hex: &str) -> Result<ScalarQ> {
    ScalarQ::from_hex(hex).at(|| format!("{path} is not a valid integer mod q"))
}

pub fn secret(path: &str, hex: &str) -> Result<SecretScalar<ScalarQ>> {
    scalar(path, hex).map(SecretScalar::new)
}

/// A list of secret scalars; errors name `path[j]`.
pub fn secrets(path: &str, hexes: &[String]) -> Result<Vec<SecretScalar<ScalarQ>>> {
    hexes
        .iter()
        .enumerate()
        .map(|(j, h)| secret(&format!("{path}[{j}]"), h))
        .collect()
}

/// The key-ceremony context of a vector's layout, and the quorum its guardians imply: n
/// guardians, k = the first guardian's number of coefficients.
pub fn ceremony(
    revision: Revision,
    guardians: usize,
    coefficients: Option<usize>,
) -> Result<(KeyContext, Quorum)> {
    let ctx = KeyContext {
        revision,
        h_p: params::parameter_base_hash_for(revision),
    };
    let quorum = Quorum::new(guardians as u32, coefficients.unwrap_or(0) as u32)?;
    Ok((ctx, quorum))
}

/// A guardian from a vector's coordinate and polynomial coefficients; errors name `path`.
pub fn guardian(
    path: &str,
    coordinate: u32,
    coefficients: &[String],
    quorum: Quorum,
) -> Result<Guardian<G>> {
    let coefficients = secrets(&format!("{path}.polynomial_coefficients"), coefficients)?;
    let polynomial = SecretPolynomial::from_coefficients(coordinate, coefficients)?;
    Guardian::from_polynomial(quorum, polynomial).at(|| format!("{path}.coordinate"))
}

pub fn hash(path: &str, hex: &str) -> Result<HashValue> {
    HashValue::from_hex(hex).at(|| format!("{path} is not a 32-byte hash"))
}

pub fn bytes32(path: &str, hex: &str) -> Result<[u8; 32]> {
    entente_group::hex::decode_array(hex).at(|| format!("{path} is not 32 bytes of hex"))
}

/// A value as the vectors write it, for comparison and for messages.
pub trait Shown {
    fn shown(&self) -> String;
}

impl Shown for entente_group::Element4096 {
    fn shown(&self) -> String {
        G::element_to_hex(self)
    }
}
impl Shown for ScalarQ {
    fn shown(&self) -> String {
        self.to_hex()
    }
}
impl Shown for HashValue {
    fn shown(&self) -> String {
        self.to_hex()
    }
}
impl Shown for [u8; 32] {
    fn shown(&self) -> String {
        entente_group::hex::encode(self)
    }
}
impl Shown for usize {
    fn shown(&self) -> String {
        self.to_string()
    }
}
impl Shown for u32 {
    fn shown(&self) -> String {
        self.to_string()
    }
}
impl Shown for String {
    fn shown(&self) -> String {
        format!("{self:?}")
    }
}

/// Long hex cut to its ends, so that a report line stays readable.
fn abbreviated(s: String) -> String {
    if s.len() > 40 {
        format!("{}…{} ({} digits)", &s[..16], &s[s.len() - 8..], s.len())
    } else {
        s
    }
}

/// Compares a computed value with the vector's; the error names the path and both values.
pub fn expect_eq<T: PartialEq + Shown + ?Sized>(
    path: &str,
    computed: &T,
    expected: &T,
) -> Result<()> {
    if computed == expected {
        Ok(())
    } else {
        Err(differs!(
            "{path}: computed {}, vector says {}",
            abbreviated(computed.shown()),
            abbreviated(expected.shown())
        ))
    }
}
