//! A device's ballot chain as the records store it (`encrypted_ballots/<device>/ballot_chain.json`):
//! the chain's start H_0 (the records' `baux0`), the ballots in order, the last confirmation code
//! and, once closed, the closing hash (spec 2.0 §3.4.3).
#![allow(missing_docs)] // the fields are the records' keys

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BallotChainJson {
    pub encrypting_device: String,
    /// H_0 in hex for a chained device; B_aux for an unchained one.
    pub baux0: String,
    pub ballot_ids: Vec<String>,
    pub last_confirmation_code: String,
    pub chaining: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closing_hash: Option<String>,
}
