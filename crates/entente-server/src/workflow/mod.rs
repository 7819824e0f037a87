//! The election's protocol on the log: which signed write may come when, from whom, and what the
//! server checks of it before it is appended. Each step is one entry (its kind below); the
//! state is nothing but what the entries so far imply, so a restarted server rebuilds it by
//! reading them again, and anyone can replay it from the log.
//!
//! | kind | author | when | checked here |
//! | --- | --- | --- | --- |
//! | `election` | administrator | first | manifest, config hashes (Verification 1.F–1.H), the standard group; its definition of who writes (guardians, devices with their ballot styles, witnesses) is the roles in force |
//! | `guardian-key` | guardian i | after `election` | its index is i; k commitments with valid Schnorr proofs (Verification 2, 3.A) |
//! | `key-shares` | guardian i | all n keys in | one share for each other guardian, well formed (only the recipient can check it) |
//! | `share-verdict` | guardian l | all n share messages in | names the election's definition (its hash); accepts all, or complains about senders: each complaint is a dispute |
//! | `share-reveal` | guardian i, accused | a dispute against it is open | P_i(l) and its nonce redo the published encryption and eq. (21) (§3.2.2): the complaint is dismissed; anything else is refused |
//! | `ceremony-stop` | administrator | created, not initialized | names only guardians who block the ceremony: an accused who has not settled a complaint, or one missing the step everyone waits for (its key, its shares, its verdict); the ceremony stops, to restart without them |
//! | `election-initialized` | administrator | all n verdicts clean | K = prod K_i and H_E (Verification 3.B, 4.A) from the logged keys |
//! | `print-run` | administrator | initialized, not closed | for this election; each pre-encrypted ballot's id, style and confirmation code, none printed before |
//! | `ballot` (POST /ballots) | device | initialized, not closed, device not closed | proofs, election, a style the definition lets this device issue, uniqueness; a pre-encrypted one only from a scanning station and of a committed print run, with its style and code ([`paper`]) |
//! | `device-close` | device | initialized | its chain (`ballot_chain.json`) lists exactly the ballots this device has on the log; none may follow |
//! | `close` | administrator | initialized | no ballot after it |
//! | `encrypted-tally` | administrator | closed | for this election (the guardians check it is the product of the cast ballots) |
//! | `decryption-commit` | guardian | tally in, no set yet | for this election and this guardian |
//! | `decryption-set` | administrator | ≥ k commits | the guardians who decrypt: k or more who committed |
//! | `decryption-response` | guardian in the set | set fixed | for this guardian (the combiner checks it) |
//! | `decryption-exclude` | administrator | set fixed, no result | leaves out guardians of the set who answered wrongly or not at all while a quorum remains; a new round begins (new commitments, a new set), the excluded never commit again |
//! | `result` | administrator | every response of the set in | tally.json and the challenged ballots' decryptions (the verifier checks them) |
//!
//! What the server cannot check (a share's plaintext, a decryption's correctness before it is
//! combined) is checked by the guardians and the verifier, from the same log.
//!
//! **Who may write is the election's, not the operator's.** The `election` entry carries the
//! election's definition, signed by the administrator: the guardians, the devices with the
//! ballot styles each may issue, and the witnesses whose cosignatures publish a checkpoint.
//! Every guardian's verdict names the definition's hash, so the parties agree on it before any
//! ballot exists. After it, a roles file that differs is refused (the server does not start
//! on it), and a reader of the log ([`LogView`]) takes the roles from the definition, never
//! from a later operator entry.

mod check;
mod paper;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use entente_core::keys::{Quorum, SharesJson};
use entente_record::election::{ElectionConfigured, GuardianJson};

use crate::election::Election;
use entente_roles::protocol::{ElectionBody, RolesFile};

use crate::error::{WorkflowError, out_of_order};

/// A checked write and what it changes.
pub struct Change {
    effect: Effect,
    /// Index keys to store with the entry (besides its author).
    pub keys: Vec<(String, String)>,
}

enum Effect {
    Election(Box<ElectionConfigured>, Box<ElectionBody>, String),
    Key(u32, Box<GuardianJson>),
    Shares(u32, Box<SharesJson>),
    Verdict(u32, Vec<u32>),
    Reveal(u32, u32),
    CeremonyStop(String),
    Initialized(Arc<Election>),
    PrintRun(Vec<(String, Printed)>),
    DeviceClose(String),
    Close,
    Tally,
    Commit(u32),
    Set(Vec<u32>),
    Response(u32),
    Exclude(BTreeMap<u32, String>),
    Result,
}

/// A ballot of a committed print run: its style and confirmation code (lower-case hex).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Printed {
    style: String,
    code: String,
}

/// Where an election is in its protocol.
#[derive(Default)]
pub struct Workflow {
    configured: Option<ElectionConfigured>,
    /// The election's definition of who writes, and its hash (from the `election` entry).
    definition: Option<(RolesFile, String)>,
    /// Each device's ballot styles (the definition's; or, for an election set up outside the
    /// log, the roles file's, where a device left out issues any style).
    styles: BTreeMap<String, Vec<String>>,
    /// The setup files as the administrator published them (name, bytes).
    files: Vec<(String, Vec<u8>)>,
    quorum: Option<Quorum>,
    /// Each guardian's logged key, checked when it was logged (Verification 2).
    keys: BTreeMap<u32, GuardianJson>,
    shares: BTreeSet<u32>,
    /// Each guardian's logged share message (to check a share revealed for a dispute).
    share_messages: BTreeMap<u32, SharesJson>,
    verdicts: BTreeSet<u32>,
    /// Open complaints: (accused, accuser).
    disputes: BTreeSet<(u32, u32)>,
    stopped: Option<String>,
    election: Option<Arc<Election>>,
    /// The scanning stations of the definition.
    scanners: BTreeSet<String>,
    /// Every ballot of the committed print runs, by id, and their codes.
    printed: BTreeMap<String, Printed>,
    printed_codes: BTreeSet<String>,
    /// The devices that closed their chains.
    devices_closed: BTreeSet<String>,
    closed: bool,
    tally: bool,
    commits: BTreeSet<u32>,
    set: Option<Vec<u32>>,
    responses: BTreeSet<u32>,
    /// The decryption's round: each exclusion begins a new one.
    round: u32,
    /// Guardians left out of the decryption, and why.
    excluded: BTreeMap<u32, String>,
    result: bool,
}

impl Workflow {
    /// An election not yet created.
    pub fn new() -> Self {
        Self::default()
    }

    /// An election set up outside the log (`entente serve --record`): ballots are accepted
    /// at once, from the devices of `roles` with the styles it lists; the protocol's earlier
    /// steps are not on this log.
    pub fn with_election(election: Election, roles: &RolesFile) -> Self {
        Self {
            election: Some(Arc::new(election)),
            styles: roles.styles.clone(),
            scanners: roles.scanners.clone(),
            ..Self::default()
        }
    }

    /// The election's definition of who writes (from its `election` entry), and its hash.
    pub fn definition(&self) -> Option<(&RolesFile, &str)> {
        self.definition.as_ref().map(|(r, h)| (r, h.as_str()))
    }

    /// Refuses a ballot from a device that closed its chain.
    pub fn check_device_open(&self, device: &str) -> Result<(), WorkflowError> {
        if self.devices_closed.contains(device) {
            return Err(out_of_order(format!(
                "device {device:?} has closed its chain: it submits no more ballots"
            )));
        }
        Ok(())
    }

    /// Refuses a ballot of `style` from `device` unless the election lets that device issue
    /// it (answered 403: a device is fixed to its polling place's styles).
    pub fn check_style(&self, device: &str, style: &str) -> Result<(), WorkflowError> {
        if self.definition.is_none() && !self.styles.contains_key(device) {
            return Ok(());
        }
        match self.styles.get(device) {
            Some(styles) if styles.iter().any(|s| s == style) => Ok(()),
            Some(styles) => Err(WorkflowError::NotYours(format!(
                "device {device:?} may issue ballot styles {styles:?}, not {style:?}"
            ))),
            None => Err(WorkflowError::NotYours(format!(
                "device {device:?} is not a device of the election's definition"
            ))),
        }
    }

    /// The election once its key ceremony is done: what ballots are checked against.
    pub fn election(&self) -> Option<Arc<Election>> {
        self.election.clone()
    }

    /// The election whose ballots are accepted now, or why none are.
    pub fn open_election(&self) -> Result<Arc<Election>, WorkflowError> {
        if self.closed {
            return Err(out_of_order("the ballot box is closed"));
        }
        self.election.clone().ok_or_else(|| {
            out_of_order("the election's key ceremony is not done: no ballot is accepted yet")
        })
    }

    /// A word for where the election is (for /status).
    pub fn phase(&self) -> String {
        let n = self.quorum.map_or(0, |q| q.guardians() as usize);
        if let Some(why) = &self.stopped {
            return format!("key ceremony stopped: {why}");
        }
        if let Some((i, l)) = self.disputes.iter().next() {
            return format!(
                "key ceremony disputed: guardian {l} complains about guardian {i}'s share, which \
                 guardian {i} must publish (spec 2.0 §3.2.2)"
            );
        }
        // After an exclusion: which round, and who was left out.
        let round = if self.excluded.is_empty() {
            String::new()
        } else {
            format!(
                " (round {}; guardians {:?} left out)",
                self.round + 1,
                self.excluded.keys().collect::<Vec<_>>()
            )
        };
        if self.result {
            "result published".into()
        } else if let Some(set) = &self.set {
            format!(
                "decrypting: {} of {} responses{round}",
                self.responses.len(),
                set.len()
            )
        } else if self.tally {
            format!(
                "decrypting: {} guardians committed{round}",
                self.commits.len()
            )
        } else if self.closed {
            "closed: tally pending".into()
        } else if self.election.is_some() {
            "open for ballots".into()
        } else if self.verdicts.len() == n && n > 0 {
            "key ceremony done: joint key pending".into()
        } else if self.shares.len() == n && n > 0 {
            format!("key ceremony: {} of {n} verdicts", self.verdicts.len())
        } else if self.keys.len() == n && n > 0 {
            format!("key ceremony: {} of {n} share messages", self.shares.len())
        } else if self.configured.is_some() {
            format!("key ceremony: {} of {n} guardian keys", self.keys.len())
        } else {
            "not created".into()
        }
    }
}

impl Workflow {
    /// Applies a checked change (after its entry is durable).
    pub fn apply(&mut self, change: Change) {
        match change.effect {
            Effect::Election(c, body, hash) => {
                self.quorum = Quorum::new(c.config.number_of_guardians, c.config.quorum).ok();
                let body = *body;
                self.styles = body.definition.styles.clone();
                self.scanners = body.definition.scanners.clone();
                self.definition = Some((body.definition, hash));
                self.configured = Some(*c);
                self.files = vec![
                    ("manifest.json".into(), body.manifest.into_bytes()),
                    (
                        "election_config.json".into(),
                        body.election_config.into_bytes(),
                    ),
                    ("constants.json".into(), body.constants.into_bytes()),
                ];
            }
            Effect::Key(i, j) => {
                self.keys.insert(i, *j);
            }
            Effect::Shares(i, json) => {
                self.shares.insert(i);
                self.share_messages.insert(i, *json);
            }
            Effect::Verdict(l, accused) => {
                self.verdicts.insert(l);
                self.disputes.extend(accused.into_iter().map(|i| (i, l)));
            }
            Effect::Reveal(i, l) => {
                self.disputes.remove(&(i, l));
            }
            Effect::CeremonyStop(why) => self.stopped = Some(why),
            Effect::Initialized(e) => self.election = Some(e),
            Effect::PrintRun(ballots) => {
                for (id, printed) in ballots {
                    self.printed_codes.insert(printed.code.clone());
                    self.printed.insert(id, printed);
                }
            }
            Effect::DeviceClose(d) => {
                self.devices_closed.insert(d);
            }
            Effect::Close => self.closed = true,
            Effect::Tally => self.tally = true,
            Effect::Commit(i) => {
                self.commits.insert(i);
            }
            Effect::Set(s) => self.set = Some(s),
            Effect::Response(i) => {
                self.responses.insert(i);
            }
            Effect::Exclude(out) => {
                self.excluded.extend(out);
                self.round += 1;
                self.commits.clear();
                self.set = None;
                self.responses.clear();
            }
            Effect::Result => self.result = true,
        }
    }
}
