//! The verifier's report: one entry per verification with its number, name, how many objects it
//! checked and its status; under a failure, each failing object and the equation that did not
//! hold. Written as text for people and as JSON for programs.

use serde::{Deserialize, Serialize};

/// At most this many failures are kept per verification; the rest are counted.
const KEPT: usize = 1000;

/// Whether a verification held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// Every object checked holds.
    Pass,
    /// At least one object fails.
    Fail,
    /// The record holds nothing this verification applies to.
    NotApplicable,
}

/// One object that failed, and the equation (or rule) it failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// Device, ballot, contest, selection, guardian, or file.
    pub object: String,
    /// The spec's label (e.g. "5.D") and what did not hold.
    pub equation: String,
}

/// One verification.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Its number in spec 2.0 §6 (19: Entente's checks of what the spec assumes).
    pub number: u8,
    /// Its name in the spec.
    pub name: &'static str,
    /// How many objects it checked.
    pub checked: u64,
    /// PASS, FAIL or NOT_APPLICABLE.
    pub status: Status,
    /// Why it does not apply, when it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The failures kept (at most a thousand).
    pub failures: Vec<Failure>,
    /// Failures beyond those kept.
    pub more_failures: u64,
}

/// The verifications' names, spec 2.0 §6 (and Entente's 19th).
pub const NAMES: [&str; 19] = [
    "Parameter validation",
    "Guardian public-key validation",
    "Election public-key validation",
    "Extended base hash validation",
    "Well-formedness of selection encryptions",
    "Adherence to vote limits",
    "Validation of confirmation codes",
    "Correctness of ballot aggregation",
    "Correctness of tally decryptions",
    "Validation of correct decryption of tallies",
    "Correctness of decryptions of contest data",
    "Correctness of decryptions for challenged ballots",
    "Validation of correct decryption of challenged ballots",
    "Correctness of contest data decryptions for challenged ballots",
    "Well-formedness of selection encryptions in pre-encrypted ballots",
    "Adherence to vote limits in pre-encrypted ballots",
    "Validation of confirmation codes in pre-encrypted ballots",
    "Validation of short codes in pre-encrypted ballots",
    "Record consistency (unique ids; the tally lists each cast ballot once, no challenged one)",
];

impl Check {
    /// An empty check of verification `number`.
    pub fn new(number: u8) -> Self {
        Self {
            number,
            name: NAMES[usize::from(number) - 1],
            checked: 0,
            status: Status::Pass,
            note: None,
            failures: Vec::new(),
            more_failures: 0,
        }
    }

    /// Records a failure.
    pub fn fail(&mut self, object: impl Into<String>, equation: impl Into<String>) {
        self.status = Status::Fail;
        if self.failures.len() < KEPT {
            self.failures.push(Failure {
                object: object.into(),
                equation: equation.into(),
            });
        } else {
            self.more_failures += 1;
        }
    }

    /// Records a condition: a failure when it does not hold.
    pub fn expect(&mut self, holds: bool, object: impl FnOnce() -> String, equation: &str) {
        if !holds {
            self.fail(object(), equation);
        }
    }

    /// Joins another part of the same verification (from another thread).
    pub fn absorb(&mut self, other: Check) {
        self.checked += other.checked;
        for f in other.failures {
            self.fail(f.object, f.equation);
        }
        self.more_failures += other.more_failures;
    }

    /// Marks the verification as not applying, with the reason.
    pub fn not_applicable(mut self, why: &str) -> Self {
        if self.status == Status::Pass && self.checked == 0 {
            self.status = Status::NotApplicable;
            self.note = Some(why.to_owned());
        }
        self
    }
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The record's directory.
    pub record: String,
    /// What the record is: the protocol, its group and its layout.
    pub kind: String,
    /// n guardians.
    pub guardians: u32,
    /// k.
    pub quorum: u32,
    /// Encrypted ballots read.
    pub ballots: u64,
    /// Verifications 1 to 18, then Entente's record-consistency check.
    pub checks: Vec<Check>,
    /// Wall time.
    pub seconds: f64,
    /// Worker threads.
    pub threads: usize,
}

impl Report {
    /// Whether every verification that applies holds.
    pub fn holds(&self) -> bool {
        self.checks.iter().all(|c| c.status != Status::Fail)
    }

    /// The report for people.
    pub fn text(&self) -> String {
        let mut s = format!(
            "Verifying {} ({}; {} guardians, quorum {}; {} ballots)\n",
            self.record, self.kind, self.guardians, self.quorum, self.ballots
        );
        let width = self.checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
        for c in &self.checks {
            let status = match c.status {
                Status::Pass => "PASS".to_owned(),
                Status::Fail => "FAIL".to_owned(),
                Status::NotApplicable => format!(
                    "not applicable ({})",
                    c.note.as_deref().unwrap_or("nothing to check")
                ),
            };
            s.push_str(&format!(
                "{:>2}  {:<width$}  {:>8} checked  {status}\n",
                c.number, c.name, c.checked
            ));
            for f in &c.failures {
                s.push_str(&format!("      {}: {}\n", f.object, f.equation));
            }
            if c.more_failures > 0 {
                s.push_str(&format!("      … and {} more failures\n", c.more_failures));
            }
        }
        let failed = self
            .checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .count();
        let na = self
            .checks
            .iter()
            .filter(|c| c.status == Status::NotApplicable)
            .count();
        let applied = self.checks.len() - na;
        if failed == 0 {
            s.push_str(&format!(
                "All {applied} verifications that apply hold ({na} not applicable); "
            ));
        } else {
            s.push_str(&format!(
                "{failed} of {applied} verifications FAIL ({na} not applicable); "
            ));
        }
        s.push_str(&format!(
            "{} ballots in {:.2} s on {} threads\n",
            self.ballots, self.seconds, self.threads
        ));
        s
    }
}
