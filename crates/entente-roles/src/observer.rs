//! The observer's check of a record exported with its log: the log's signature, tiles and
//! cosignatures, that the record holds exactly what the log holds, and what the log says of
//! every party (disagreements, devices closed, guardians left out).

use std::path::Path;

use crate::error::{Context, Result};

use crate::client::LOG_KEY_FILE;

/// What the check of a record against its log found.
pub struct LogCheck {
    /// The log's size at its checkpoint.
    pub size: u64,
    /// Artifacts the log holds.
    pub artifacts: usize,
    /// The witnesses whose cosignatures the checkpoint carries.
    pub cosigned_by: Vec<String>,
    /// The witnesses of the election's definition.
    pub witnesses: usize,
    /// Where the log's key came from.
    pub key_from: String,
    /// What does not hold.
    pub failures: Vec<String>,
    /// What holds but limits what the log shows (e.g. a device that never closed).
    pub notes: Vec<String>,
    /// Who wrote each protocol step (kind, log index, author) and each ballot (id → index,
    /// device): whom a failing verification names.
    authors: Vec<(String, u64, String)>,
    ballots: std::collections::BTreeMap<String, (u64, String)>,
    /// The record holds exactly the log's artifacts: what fails in it, its author wrote.
    record_is_the_log: bool,
    /// The tiles verified up to a checkpoint signed by the log's key: until they do, the
    /// summary claims nothing of the checkpoint.
    signed: bool,
}

impl LogCheck {
    /// Names, from the log, who wrote what each failing verification of `report` checked:
    /// the administrator for the election, the joint key, the tally and the published result,
    /// guardian i for its key, a ballot's device for the ballot. The lines go under the log's.
    /// (Only when the record is exactly the log: a record changed after its export is the
    /// exporter's doing, which the log check already names.)
    pub fn blame(&mut self, report: &entente_verify::Report) {
        use crate::protocol::kind;
        if !self.record_is_the_log {
            return;
        }
        for c in report
            .checks
            .iter()
            .filter(|c| c.status == entente_verify::Status::Fail)
        {
            let step = match c.number {
                1 => Some(kind::ELECTION),
                2 | 3 => Some(kind::GUARDIAN_KEY),
                4 => Some(kind::ELECTION_INITIALIZED),
                8 => Some(kind::ENCRYPTED_TALLY),
                9..=14 => Some(kind::RESULT),
                _ => None,
            };
            let mut named = std::collections::BTreeSet::new();
            for f in &c.failures {
                let found = match step {
                    Some(k) => self
                        .authors
                        .iter()
                        .filter(|(kk, _, author)| {
                            // Verifications 2 and 3 name a guardian by its id, which is
                            // its key's name ("guardian NAME (index i)").
                            kk == k
                                && (k != kind::GUARDIAN_KEY
                                    || f.object.starts_with(&format!("guardian {author} ")))
                        })
                        .map(|(_, i, a)| format!("the {k} entry signed by {a} (log entry {i})"))
                        .collect::<Vec<_>>(),
                    None => self
                        .ballots
                        .iter()
                        .filter(|(id, _)| f.object.contains(&format!("ballot {id}")))
                        .map(|(id, (i, d))| {
                            format!("ballot {id}, signed by device {d} (log entry {i})")
                        })
                        .collect(),
                };
                named.extend(found);
            }
            for who in named {
                self.failures
                    .push(format!("Verification {} fails on {who}", c.number));
            }
        }
    }

    /// The report's line (and the failures under it).
    pub fn text(&self) -> String {
        let status = if self.failures.is_empty() {
            "PASS"
        } else {
            "FAIL"
        };
        if !self.signed {
            // Nothing of the log was verified: no count or signature to claim.
            let mut s = format!("Log: the record's log does not verify  {status}\n");
            for f in &self.failures {
                s.push_str(&format!("    {f}\n"));
            }
            return s;
        }
        let mut s = format!(
            "Log: the record holds the {} artifacts of the log ({} entries, checkpoint signed by \
             the log ({}), cosigned by {} of {} witnesses{})  {status}\n",
            self.artifacts,
            self.size,
            self.key_from,
            self.cosigned_by.len(),
            self.witnesses,
            if self.cosigned_by.is_empty() {
                String::new()
            } else {
                format!(": {}", self.cosigned_by.join(", "))
            }
        );
        for f in &self.failures {
            s.push_str(&format!("    {f}\n"));
        }
        for n in &self.notes {
            s.push_str(&format!("    note: {n}\n"));
        }
        s
    }
}

/// The record files that an export from the log writes: every file of the record but the log
/// itself and private data.
fn record_artifacts(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, rel: &str, out: &mut Vec<String>) {
        let Ok(read) = std::fs::read_dir(root.join(rel)) else {
            return;
        };
        for e in read.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let r = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if rel.is_empty() && (name == crate::client::LOG_DIR || name == "private_data") {
                continue;
            }
            if e.path().is_dir() {
                walk(root, &r, out);
            } else if name.ends_with(".json") {
                out.push(r);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out
}

/// Checks a record exported with its log (`RECORD/log/`, tlog-tiles): the tiles verify up to a
/// checkpoint signed by the log, every entry is a signed write of a role that the roles in
/// force registered (the election's definition, once logged: never a later operator entry),
/// every guardian's verdict agrees to that definition, the record holds exactly the artifacts
/// the log holds, byte for byte, and the checkpoint is cosigned by every witness of the
/// definition and by every witness in `pinned` (cosignature verifier keys the verifier
/// trusts, which the definition must name). `None` when the record has no log.
///
/// With `since` (a checkpoint of this log that the verifier saw before: its witness's, or the
/// last record it verified), the record's log must extend it, recomputed from the tiles: a log
/// rebuilt under the same key after that checkpoint fails.
pub fn check_log(
    dir: &Path,
    log_key: Option<&str>,
    pinned: &[String],
    since: Option<&Path>,
) -> Result<Option<LogCheck>> {
    let log_dir = dir.join(crate::client::LOG_DIR);
    if !log_dir.join("checkpoint").exists() {
        return Ok(None);
    }
    let (vkey, key_from) = match log_key {
        Some(k) => (crate::board::read_vkey(k)?, "key given".to_owned()),
        None => {
            let path = log_dir.join(LOG_KEY_FILE);
            let text = std::fs::read_to_string(&path).with_context(|| {
                format!(
                    "{} is missing: give the log's key with --log",
                    path.display()
                )
            })?;
            (
                text.trim().to_owned(),
                "key named by the record; pin it with --log".to_owned(),
            )
        }
    };
    let verifier = entente_board::note::NoteVerifier::parse(&vkey)
        .context("the log's verifier key does not parse")?;
    let mut check = LogCheck {
        size: 0,
        artifacts: 0,
        cosigned_by: Vec::new(),
        witnesses: 0,
        key_from,
        failures: Vec::new(),
        notes: Vec::new(),
        authors: Vec::new(),
        ballots: Default::default(),
        record_is_the_log: false,
        signed: false,
    };
    let verified = match since {
        None => entente_board::tiles::verify_export(&log_dir, &verifier),
        Some(path) => {
            let held = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let held =
                entente_board::note::Checkpoint::open(&held, &verifier).with_context(|| {
                    format!("{} is not a checkpoint signed by the log", path.display())
                })?;
            let note_path = log_dir.join("checkpoint");
            let note = std::fs::read_to_string(&note_path)
                .with_context(|| format!("cannot read {}", note_path.display()))?;
            entente_board::tiles::verify_extension(&log_dir, note, &verifier, &held)
        }
    };
    let exported = match verified {
        Ok(e) => e,
        Err(e) => {
            check.failures.push(format!("the log does not verify: {e}"));
            return Ok(Some(check));
        }
    };
    check.size = exported.checkpoint.size;
    check.signed = true;
    let entries = match crate::client::exported_bodies(&log_dir, 0, exported.entries) {
        Ok(entries) => entries,
        Err(e) => {
            check.failures.push(format!("the log's bodies: {e}"));
            return Ok(Some(check));
        }
    };
    let view = match crate::protocol::LogView::read(&exported.checkpoint.origin, &entries) {
        Ok(v) => v,
        Err(e) => {
            check
                .failures
                .push(format!("the log is not an election's log: {e}"));
            return Ok(Some(check));
        }
    };
    check.witnesses = view.roles.witnesses.len();
    check.cosigned_by = crate::client::cosigners(&exported.note, &view.roles.witnesses)?;
    if check.cosigned_by.len() < check.witnesses {
        check.failures.push(format!(
            "the checkpoint is cosigned by {} of the {} witnesses",
            check.cosigned_by.len(),
            check.witnesses
        ));
    }
    for pin in pinned {
        let key = crate::board::read_vkey(pin)?;
        let name = entente_board::witness::CosignatureVerifier::parse(&key)
            .with_context(|| format!("--witness {pin} is not a witness's verifier key"))?
            .name()
            .to_owned();
        if !view.roles.witnesses.contains(&key) {
            check.failures.push(format!(
                "the witness {name} given with --witness is not a witness of the election's \
                 definition"
            ));
        } else if crate::client::cosigners(&exported.note, std::slice::from_ref(&key))?.is_empty() {
            check.failures.push(format!(
                "the checkpoint is not cosigned by the witness {name} given with --witness"
            ));
        }
    }
    check.failures.extend(agreement_failures(&view));
    for w in &view.writes {
        if w.kind == crate::protocol::kind::BALLOT {
            #[derive(serde::Deserialize)]
            struct Named {
                ballot_id: String,
            }
            if let Ok(n) = serde_json::from_slice::<Named>(&w.body) {
                check
                    .ballots
                    .insert(n.ballot_id, (w.index, w.author.clone()));
            }
        } else {
            check
                .authors
                .push((w.kind.clone(), w.index, w.author.clone()));
        }
    }
    let (failures, notes) = device_completeness(&view);
    check.failures.extend(failures);
    check.notes.extend(notes);
    let (failures, notes) = crate::protocol::paper::check(&view);
    check.failures.extend(failures);
    check.notes.extend(notes);
    let (failures, notes) = exclusions(dir, &view);
    check.failures.extend(failures);
    check.notes.extend(notes);
    let files = match view.record_files() {
        Ok(f) => f,
        Err(e) => {
            check.failures.push(e.to_string());
            return Ok(Some(check));
        }
    };
    check.artifacts = files.len();
    let before = check.failures.len();
    for (rel, bytes) in &files {
        match std::fs::read(dir.join(rel)) {
            Ok(held) if held == *bytes => {}
            Ok(_) => check.failures.push(format!("{rel} differs from the log's")),
            Err(_) => check
                .failures
                .push(format!("{rel} is on the log but not in the record")),
        }
    }
    for rel in record_artifacts(dir) {
        if !files.contains_key(&rel) {
            check
                .failures
                .push(format!("{rel} is in the record but not on the log"));
        }
    }
    check.record_is_the_log = check.failures.len() == before;
    Ok(Some(check))
}

/// Where the log's guardians do not agree to the election's definition: each verdict must name
/// the hash of the logged `election` entry (the server refuses any other, so a failure here
/// is the operator's).
fn agreement_failures(view: &crate::protocol::LogView) -> Vec<String> {
    use crate::protocol::{VerdictJson, kind};
    let mut out = Vec::new();
    if view.of(kind::ELECTION).next().is_none() {
        return out;
    }
    for w in view.of(kind::SHARE_VERDICT) {
        match serde_json::from_slice::<VerdictJson>(&w.body) {
            Ok(v) if Some(v.election.as_str()) == view.definition() => {}
            Ok(v) => out.push(format!(
                "log entry {}: guardian {}'s verdict names another election than the log's \
                 definition",
                w.index, v.guardian
            )),
            Err(e) => out.push(format!(
                "log entry {}: {}'s verdict does not read: {e}",
                w.index, w.author
            )),
        }
    }
    out
}

/// Every device's ballots against its signed close (`device-close`, its chain): a ballot the
/// close lists that the log lacks was removed from the log, which only the log's operator can
/// do (the device signed for it), and a ballot of the device the close does not list was
/// added behind its back. Returns the failures and, as notes, the devices of the definition
/// that never closed (their ballots' completeness rests on their receipts alone).
fn device_completeness(view: &crate::protocol::LogView) -> (Vec<String>, Vec<String>) {
    use crate::protocol::kind;
    use entente_record::ballot::chain::BallotChainJson;
    #[derive(serde::Deserialize)]
    struct Named {
        ballot_id: String,
    }
    let (mut failures, mut notes) = (Vec::new(), Vec::new());
    let mut closed = std::collections::BTreeSet::new();
    for close in view.of(kind::DEVICE_CLOSE) {
        let device = close.author.as_str();
        closed.insert(device.to_owned());
        let chain: BallotChainJson = match serde_json::from_slice(&close.body) {
            Ok(c) => c,
            Err(e) => {
                failures.push(format!(
                    "log entry {}: device {device}'s close does not read: {e}",
                    close.index
                ));
                continue;
            }
        };
        let logged: std::collections::BTreeSet<String> = view
            .of(kind::BALLOT)
            .filter(|w| w.author == device)
            .filter_map(|w| serde_json::from_slice::<Named>(&w.body).ok())
            .map(|n| n.ballot_id)
            .collect();
        for id in chain.ballot_ids.iter().filter(|id| !logged.contains(*id)) {
            failures.push(format!(
                "the log lacks ballot {id}, which device {device} submitted and listed in its \
                 signed close (log entry {}): an acknowledged ballot was removed from the log, \
                 which only the log's operator can do",
                close.index
            ));
        }
        for id in logged.iter().filter(|id| !chain.ballot_ids.contains(id)) {
            failures.push(format!(
                "the log holds ballot {id} of device {device}, which its signed close (log \
                 entry {}) does not list",
                close.index
            ));
        }
    }
    for key in &view.roles.devices {
        let name = key.split('+').next().unwrap_or_default();
        if !closed.contains(name) {
            notes.push(format!(
                "device {name} posted no close: that none of its ballots is missing rests on \
                 its receipts"
            ));
        }
    }
    (failures, notes)
}

/// The decryption's exclusions, each named (a note), and each checked against the round it
/// ended: a guardian left out for its response must have a response there that fails its
/// proof, and one left out for silence must have none. An administrator who left out a
/// guardian whose response holds is named (a failure).
fn exclusions(dir: &Path, view: &crate::protocol::LogView) -> (Vec<String>, Vec<String>) {
    use crate::protocol::{ExclusionJson, kind};
    let (mut failures, mut notes) = (Vec::new(), Vec::new());
    for w in view.of(kind::DECRYPTION_EXCLUDE) {
        let e: ExclusionJson = match serde_json::from_slice(&w.body) {
            Ok(e) => e,
            Err(err) => {
                failures.push(format!(
                    "log entry {}: the exclusion does not read: {err}",
                    w.index
                ));
                continue;
            }
        };
        let round = dir.join(format!("decryption/round-{}", e.round));
        let failing = crate::decrypt::failing_responses_in(dir, &round, 0);
        for x in &e.excluded {
            notes.push(format!(
                "guardian {} was left out of the decryption in round {} by {} (log entry {}): {}",
                x.guardian, e.round, w.author, w.index, x.reason
            ));
            let answered = round
                .join(format!("response-guardian-{}.json", x.guardian))
                .exists();
            match &failing {
                Err(err) => failures.push(format!(
                    "the exclusion of guardian {} (log entry {}) cannot be checked: {}",
                    x.guardian,
                    w.index,
                    crate::error::report(err)
                )),
                Ok(f) if answered && !f.contains_key(&x.guardian) => failures.push(format!(
                    "{} left out guardian {} (log entry {}), whose response in round {} holds",
                    w.author, x.guardian, w.index, e.round
                )),
                Ok(_) => {}
            }
        }
    }
    (failures, notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use entente_verify::{Check, Failure, Report, Status};

    fn failing(number: u8, object: &str) -> Check {
        Check {
            number,
            name: "a verification",
            checked: 1,
            status: Status::Fail,
            note: None,
            failures: vec![Failure {
                object: object.into(),
                equation: "does not hold".into(),
            }],
            more_failures: 0,
        }
    }

    fn log_check(record_is_the_log: bool) -> LogCheck {
        LogCheck {
            signed: true,
            size: 9,
            artifacts: 8,
            cosigned_by: Vec::new(),
            witnesses: 0,
            key_from: "key given".into(),
            failures: Vec::new(),
            notes: Vec::new(),
            authors: vec![
                ("election".into(), 1, "administrator".into()),
                ("guardian-key".into(), 2, "guardian-a".into()),
                ("guardian-key".into(), 3, "guardian-b".into()),
                ("result".into(), 8, "administrator".into()),
            ],
            ballots: [
                ("b-1".to_owned(), (5, "device.booth-1".to_owned())),
                ("b-2".to_owned(), (6, "device.booth-2".to_owned())),
            ]
            .into(),
            record_is_the_log,
        }
    }

    fn report(checks: Vec<Check>) -> Report {
        Report {
            record: "rec".into(),
            kind: "ElectionGuard 2.0".into(),
            guardians: 2,
            quorum: 2,
            ballots: 2,
            checks,
            seconds: 0.0,
            threads: 1,
        }
    }

    #[test]
    fn a_failing_verification_names_who_wrote_what_it_checked() {
        let mut check = log_check(true);
        check.blame(&report(vec![
            failing(6, "device device.booth-2, ballot b-2, contest c-1"),
            failing(11, "tally contest c-1"),
            failing(2, "guardian guardian-b (index 2)"),
        ]));
        assert_eq!(
            check.failures,
            [
                "Verification 6 fails on ballot b-2, signed by device device.booth-2 (log entry 6)",
                "Verification 11 fails on the result entry signed by administrator (log entry 8)",
                "Verification 2 fails on the guardian-key entry signed by guardian-b (log entry 3)",
            ]
        );
        // A record that differs from its log: the exporter changed it, nobody on the log did.
        let mut check = log_check(false);
        check.blame(&report(vec![failing(6, "ballot b-2")]));
        assert!(check.failures.is_empty());
    }
}

#[cfg(test)]
mod device_tests {
    use crate::protocol::{ElectionBody, LogView, kind};
    use crate::protocol::{Envelope, RolesFile};
    use ed25519_dalek::SigningKey;
    use entente_board::note::NoteSigner;

    const ORIGIN: &str = "board.example/device-close";

    /// A log: roles, the election defining two devices, the ballots `(device, id)`, then each
    /// device's close listing `closes`.
    fn log(ballots: &[(usize, &str)], closes: &[(usize, &[&str])]) -> LogView {
        let admin = NoteSigner::new("administrator", SigningKey::from_bytes(&[1; 32])).unwrap();
        let devices: Vec<NoteSigner> = (0..2)
            .map(|d| {
                NoteSigner::new(
                    &format!("device.booth-{d}"),
                    SigningKey::from_bytes(&[10 + d as u8; 32]),
                )
                .unwrap()
            })
            .collect();
        let roles = RolesFile {
            administrator: Some(admin.verifier_key()),
            devices: devices.iter().map(|d| d.verifier_key()).collect(),
            ..RolesFile::default()
        };
        let body = ElectionBody {
            manifest: "{}".into(),
            election_config: "{}".into(),
            constants: "{}".into(),
            definition: roles.clone(),
        };
        let sign = |who: &NoteSigner, kind: &str, nonce: u64, body: &[u8]| {
            serde_json::to_vec(&Envelope::sign(who, ORIGIN, kind, nonce, body)).unwrap()
        };
        let mut entries = vec![
            serde_json::to_vec(&roles).unwrap(),
            sign(
                &admin,
                kind::ELECTION,
                1,
                &serde_json::to_vec(&body).unwrap(),
            ),
        ];
        for (n, (d, id)) in ballots.iter().enumerate() {
            let ballot = serde_json::json!({ "ballot_id": id });
            entries.push(sign(
                &devices[*d],
                kind::BALLOT,
                n as u64 + 1,
                &serde_json::to_vec(&ballot).unwrap(),
            ));
        }
        for (d, ids) in closes {
            let chain = serde_json::json!({
                "encrypting_device": devices[*d].name(),
                "baux0": "00",
                "ballot_ids": ids,
                "last_confirmation_code": "00",
                "chaining": false,
            });
            entries.push(sign(
                &devices[*d],
                kind::DEVICE_CLOSE,
                100,
                &serde_json::to_vec(&chain).unwrap(),
            ));
        }
        LogView::read(ORIGIN, &entries).unwrap()
    }

    #[test]
    fn a_ballot_a_device_signed_for_that_the_log_lacks_is_the_logs_loss() {
        let (failures, notes) = super::device_completeness(&log(
            &[(0, "b-1"), (0, "b-2"), (1, "b-3")],
            &[(0, &["b-1", "b-2"])],
        ));
        assert!(failures.is_empty(), "{failures:?}");
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].contains("device.booth-1 posted no close"),
            "{notes:?}"
        );
        // The operator rebuilt the log without b-2 (its device's last ballot): the device's
        // signed close still lists it, so the log is to blame, not the device.
        let (failures, _) =
            super::device_completeness(&log(&[(0, "b-1"), (1, "b-3")], &[(0, &["b-1", "b-2"])]));
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert!(
            failures[0].contains("the log lacks ballot b-2")
                && failures[0].contains("only the log's operator can do"),
            "{failures:?}"
        );
        // A ballot of the device that its close does not list.
        let (failures, _) =
            super::device_completeness(&log(&[(0, "b-1"), (0, "b-2")], &[(0, &["b-1"])]));
        assert!(
            failures[0].contains("holds ballot b-2 of device device.booth-0"),
            "{failures:?}"
        );
    }
}
