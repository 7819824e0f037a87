//! Plaintext ballots in the records' `private_data/input/pballot-*.json` form (and the test
//! vectors', which add `votes_allowed` and omit `write_ins`).

use serde::{Deserialize, Serialize};

/// A voter's choices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaintextBallot {
    /// The ballot's unique id.
    pub ballot_id: String,
    /// Its ballot style's label.
    pub ballot_style: String,
    /// The contests the voter saw (a contest left out is a null vote).
    pub contests: Vec<PlaintextContest>,
    /// The paper ballot's serial number, where there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sn: Option<i64>,
}

/// The choices in one contest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaintextContest {
    /// Λ.
    pub contest_id: String,
    /// ind_c as the ballot states it (checked against the manifest).
    pub sequence_order: i64,
    /// The selections (an option left out is 0).
    pub selections: Vec<PlaintextSelection>,
    /// Write-in texts.
    #[serde(default)]
    pub write_ins: Vec<String>,
}

/// One selection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaintextSelection {
    /// λ.
    pub selection_id: String,
    /// ind_o as the ballot states it (checked against the manifest).
    pub sequence_order: i64,
    /// The value assigned, 0..=R.
    pub vote: i64,
}
