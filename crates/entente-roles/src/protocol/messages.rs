//! The bodies of the protocol's signed writes, as they are logged.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::envelope::RolesFile;

/// The body of an `election` write: the three setup files as they are published.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectionBody {
    /// `manifest.json`, byte for byte (H_M hashes these bytes).
    pub manifest: String,
    /// `election_config.json`.
    pub election_config: String,
    /// `constants.json`.
    pub constants: String,
    /// Who may write and cosign: the roles that are in force from this entry on (every device
    /// with its ballot styles).
    pub definition: RolesFile,
}

/// The hash by which guardians name the election's definition: hex SHA-256 of the `election`
/// entry's body, as logged.
pub fn definition_hash(election_body: &[u8]) -> String {
    Sha256::digest(election_body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A complaint about a received share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplaintJson {
    /// The guardian whose share failed.
    pub sender: u32,
    /// Why (eq. (19) or (21)).
    pub reason: String,
}

/// The body of a `share-verdict` write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerdictJson {
    /// The recipient who checked its shares.
    pub guardian: u32,
    /// The election this guardian agrees to: [`definition_hash`] of the `election` entry.
    pub election: String,
    /// Empty: every share checked.
    pub complaints: Vec<ComplaintJson>,
}

/// The body of a `share-reveal` write: the accused guardian's share for its accuser, and the
/// nonce that encrypted it (spec 2.0 §3.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevealJson {
    /// The accused sender i.
    pub guardian: u32,
    /// The accuser l.
    pub recipient: u32,
    /// P_i(l), hex.
    pub share: String,
    /// xi_{i,l}, hex.
    pub nonce: String,
}

/// The body of a `ceremony-stop` write: the accused who did not settle, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CeremonyStopJson {
    /// The guardians to leave out of a restarted ceremony.
    pub guardians: Vec<ExcludedJson>,
}

/// The body of a `decryption-set` write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecryptionSetJson {
    /// The guardians whose commitments the challenges are computed from, ascending.
    pub guardians: Vec<u32>,
}

/// A guardian left out of the decryption, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExcludedJson {
    /// The guardian.
    pub guardian: u32,
    /// Why: its response fails its proof (which anyone can check from the log), or it did not
    /// answer before the administrator's deadline.
    pub reason: String,
}

/// The body of a `decryption-exclude` write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExclusionJson {
    /// The round it ends (0 for the first set).
    pub round: u32,
    /// Whom it leaves out.
    pub excluded: Vec<ExcludedJson>,
}

/// A named file of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileJson {
    /// Its name in its folder.
    pub name: String,
    /// Its text.
    pub text: String,
}

/// The body of a `result` write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultJson {
    /// `tally.json`.
    pub tally: String,
    /// `challenged_ballots/dballot-<id>.json`.
    pub challenged: Vec<FileJson>,
}

/// The body of a `print-run` write: what the board must know of each pre-encrypted ballot of a
/// print run before a scanning station may record it. Never ξ: the codes alone do not tell
/// which option a short code stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrintRunJson {
    /// H_E of the election, in lower-case hex.
    pub election: String,
    /// Every ballot of the run.
    pub ballots: Vec<PrintedCodeJson>,
}

/// One ballot of a committed print run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrintedCodeJson {
    /// Its printed id.
    pub ballot_id: String,
    /// Its style.
    pub ballot_style: String,
    /// Its confirmation code H(B) (eq. (95)), in lower-case hex.
    pub confirmation_code: String,
}
