//! What the board's HTTP API serves and answers, as its clients read it.

use serde::{Deserialize, Serialize};

/// The files of a record that make its setup.
pub const SETUP_FILES: [&str; 4] = [
    "manifest.json",
    "election_config.json",
    "election_initialized.json",
    "constants.json",
];

/// The kind of the entries that hold the roles file (appended by the server itself).
pub const ROLES_KIND: &str = "roles";

/// The largest request body accepted.
pub const MAX_BODY: usize = 32 << 20;

/// An entry as served.
#[derive(Debug, Serialize, Deserialize)]
pub struct EntryJson {
    /// Its index.
    pub index: u64,
    /// Its kind.
    pub kind: String,
    /// When it was appended (seconds since the epoch, by the server's clock).
    pub appended_at: u64,
    /// Its index keys.
    pub keys: Vec<(String, String)>,
    /// Its bytes, base64.
    pub data: String,
    /// The body kept beside it (a signed write's: the entry names its SHA-256), base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// An inclusion proof, in the one shape the server's `/proof/inclusion`, its receipts,
/// `/lookup` and `entente board prove` all use (hashes in base64).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionJson {
    /// The entry's index.
    pub index: u64,
    /// The tree size the proof is for.
    pub size: u64,
    /// The entry's leaf hash (RFC 9162 §2.1.1).
    pub leaf_hash: String,
    /// The root of that tree.
    pub root: String,
    /// The proof's hashes, innermost first.
    pub hashes: Vec<String>,
    /// The log's signed checkpoint of that size, when it signed one.
    pub checkpoint: Option<String>,
}

/// A consistency proof between two sizes of the log (RFC 9162 §2.1.4), as the server's
/// `/proof/consistency` and `entente board prove --from` give it (hashes in base64).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyJson {
    /// The smaller size.
    pub from: u64,
    /// The larger size.
    pub to: u64,
    /// The proof's hashes.
    pub hashes: Vec<String>,
}

/// A confirmation code as a receipt may print it: any case, with spaces or dashes.
pub fn normalise_code(code: &str) -> Option<String> {
    let hex: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_ascii_lowercase();
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then_some(hex)
}

/// The answer to an accepted write: where it is and the proof that it is there.
#[derive(Debug, Serialize, Deserialize)]
pub struct Receipt {
    /// The entry's index.
    pub index: u64,
    /// The ballot's confirmation code (ballots only).
    pub confirmation_code: Option<String>,
    /// A checkpoint that includes the entry.
    pub checkpoint: String,
    /// The entry's inclusion proof in that checkpoint's tree.
    pub inclusion: InclusionJson,
}
