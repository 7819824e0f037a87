//! The key ceremony's public messages in JSON: a guardian's key as `election_initialized.json`
//! lists it (egk's layout), and a guardian's encrypted shares as Entente posts them on the
//! board. Reading checks the form of every value; the proofs are checked by
//! [`GuardianPublicKey::verify`] and the shares by their recipient.

use crate::CoreError;
use entente_group::{Group, Scalar};
use entente_record::election::{GuardianJson, SchnorrProofJson};
use serde::{Deserialize, Serialize};

use super::{EncryptedShare, GuardianPublicKey, SchnorrProof, VerifiedGuardianKey};

fn encoding(object: String) -> impl FnOnce(entente_group::GroupError) -> CoreError {
    move |source| CoreError::Encoding { object, source }
}

impl<G: Group> GuardianPublicKey<G> {
    /// Reads a guardian's commitments and proofs (not yet verified).
    pub fn from_json(json: &GuardianJson) -> Result<Self, CoreError> {
        let mut commitments = Vec::with_capacity(json.coefficient_proofs.len());
        let mut proofs = Vec::with_capacity(json.coefficient_proofs.len());
        for (j, p) in json.coefficient_proofs.iter().enumerate() {
            let at = |what: &str| {
                format!(
                    "guardian {}: coefficient_proofs[{j}].{what}",
                    json.guardian_id
                )
            };
            commitments
                .push(G::element_from_hex(&p.public_key).map_err(encoding(at("public_key")))?);
            proofs.push(SchnorrProof {
                challenge: Scalar::from_hex(&p.challenge).map_err(encoding(at("challenge")))?,
                response: Scalar::from_hex(&p.response).map_err(encoding(at("response")))?,
            });
        }
        Ok(Self {
            index: json.x_coordinate,
            commitments,
            proofs,
        })
    }
}

impl<G: Group> VerifiedGuardianKey<G> {
    /// The key as `election_initialized.json` lists it.
    pub fn to_json(&self, guardian_id: &str) -> GuardianJson {
        GuardianJson {
            guardian_id: guardian_id.to_owned(),
            x_coordinate: self.index(),
            coefficient_proofs: self
                .commitments()
                .iter()
                .zip(&self.record().proofs)
                .map(|(k, p)| SchnorrProofJson {
                    public_key: G::element_to_hex(k),
                    challenge: p.challenge.to_hex(),
                    response: p.response.to_hex(),
                })
                .collect(),
        }
    }
}

/// One encrypted share E_l(P_i(l)) (spec 2.0 eq. (18)) in JSON, hex-encoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareJson {
    /// The recipient l.
    pub recipient: u32,
    /// C_{i,l,0}.
    pub c0: String,
    /// C_{i,l,1}.
    pub c1: String,
    /// C_{i,l,2}.
    pub c2: String,
}

/// Guardian i's shares for every other guardian, as posted in one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharesJson {
    /// The sender i.
    pub guardian: u32,
    /// One share per other guardian.
    pub shares: Vec<ShareJson>,
}

fn bytes32(object: String, hex: &str) -> Result<[u8; 32], CoreError> {
    entente_group::hex::decode_array::<32>(hex).map_err(encoding(object))
}

impl SharesJson {
    /// The message for `shares`, all from one sender.
    pub fn write<G: Group>(sender: u32, shares: &[EncryptedShare<G>]) -> Self {
        Self {
            guardian: sender,
            shares: shares
                .iter()
                .map(|s| ShareJson {
                    recipient: s.recipient,
                    c0: G::element_to_hex(&s.c0),
                    c1: entente_group::hex::encode(&s.c1),
                    c2: entente_group::hex::encode(&s.c2),
                })
                .collect(),
        }
    }

    /// Reads the shares (their form only: their recipients check them).
    pub fn read<G: Group>(&self) -> Result<Vec<EncryptedShare<G>>, CoreError> {
        self.shares
            .iter()
            .map(|s| {
                let at = |what: &str| {
                    format!(
                        "share from guardian {} to guardian {}: {what}",
                        self.guardian, s.recipient
                    )
                };
                Ok(EncryptedShare {
                    sender: self.guardian,
                    recipient: s.recipient,
                    c0: G::element_from_hex(&s.c0).map_err(encoding(at("c0")))?,
                    c1: bytes32(at("c1"), &s.c1)?,
                    c2: bytes32(at("c2"), &s.c2)?,
                })
            })
            .collect()
    }
}
