//! A print run of pre-encrypted paper ballots as the printer and the scanning stations share it
//! ([`crate::paper`] makes and records it, [`crate::paper_pdf`] prints it), and a marked
//! ballot as a scanner reads it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The file of a print run, beside its PDFs.
pub const PRINT_RUN_FILE: &str = "print_run.json";

/// A print run: the election it is for and its ballots.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PrintRun {
    /// H_E of the election, in hex.
    pub election: String,
    /// The ballots, in printing order.
    pub ballots: Vec<PrintedBallot>,
}

impl PrintRun {
    /// Its ballots by id.
    pub fn by_id(&self) -> BTreeMap<&str, &PrintedBallot> {
        self.ballots
            .iter()
            .map(|b| (b.ballot_id.as_str(), b))
            .collect()
    }
}

/// One pre-encrypted ballot as printed, with the ξ that records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintedBallot {
    /// The ballot's id, printed on it.
    pub ballot_id: String,
    /// Its style.
    pub ballot_style: String,
    /// ξ in hex: secret until the ballot is recorded (wiped from memory when dropped).
    pub primary_nonce: zeroize::Zeroizing<String>,
    /// B_aux of its confirmation code, in hex.
    pub code_baux: String,
    /// H(B), eq. (95), in hex.
    pub confirmation_code: String,
    /// The style's contests as printed.
    pub contests: Vec<PrintedContest>,
}

/// A contest as printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintedContest {
    /// Its label.
    pub contest_id: String,
    /// Its name.
    pub name: String,
    /// How many options a voter may mark (L).
    pub votes_allowed: u32,
    /// Its options in manifest order.
    pub options: Vec<PrintedOption>,
}

/// An option as printed: its name and its short code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintedOption {
    /// Its label.
    pub selection_id: String,
    /// What the voter reads.
    pub name: String,
    /// Ω(ψ) of its selection vector.
    pub short_code: String,
}

/// A marked ballot as a scanner reads it: the id and, per contest, the short codes marked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkedPaper {
    /// The printed id.
    pub ballot_id: String,
    /// Contest id to the short codes marked in it; a contest left out was not marked.
    pub marks: BTreeMap<String, Vec<String>>,
}
