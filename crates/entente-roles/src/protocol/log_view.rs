//! A log read as an election's: the roles in force and every signed write, checked.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::RolesError;
use serde::Deserialize;

use super::envelope::{Envelope, LoggedEnvelope, Roles, RolesFile};
use super::kind;
use super::messages::{
    DecryptionSetJson, ElectionBody, ResultJson, RevealJson, VerdictJson, definition_hash,
};
use super::role::Role;

/// The record's folder of the committed print runs (`print-run-<n>.json` in log order): what
/// the board held of each paper ballot before a scanning station recorded it.
pub const PRINT_RUNS: &str = "print_runs";

/// One write of the log, its signature checked against the roles logged before it.
#[derive(Debug, Clone)]
pub struct LoggedWrite {
    /// Its index in the log.
    pub index: u64,
    /// Its kind.
    pub kind: String,
    /// Its author.
    pub author: String,
    /// Its author's nonce.
    pub nonce: u64,
    /// Its body; empty for a ballot read from its headers alone ([`LogView::defer_ballot`]).
    pub body: Vec<u8>,
    /// The SHA-256 of the body of a ballot read from its headers alone, which its signature
    /// covers: its body is fetched and matched to it where it is needed.
    pub deferred: Option<[u8; 32]>,
}

/// A log read from its entries: the roles in force and every write, signatures checked.
#[derive(Debug, Clone, Default)]
pub struct LogView {
    /// The roles in force: the election's definition once its `election` entry is logged,
    /// before it the last roles file the operator logged.
    pub roles: RolesFile,
    /// Every signed write, in log order.
    pub writes: Vec<LoggedWrite>,
    /// The roles in force, parsed (for guardian indices).
    parsed: Roles,
    /// The election's definition hash, once defined.
    definition: Option<String>,
    /// Entries read so far.
    read: u64,
    /// Whether a roles file came before.
    seen_roles: bool,
    /// Every nonce of each author.
    nonces: BTreeMap<String, BTreeSet<u64>>,
    /// Each author's last protocol step's nonce.
    last_step: BTreeMap<String, u64>,
}

/// A complaint of the key ceremony not yet settled: guardian `accuser` says `accused`'s share
/// is bad.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsettled {
    /// The accused sender.
    pub accused: u32,
    /// The complaining recipient.
    pub accuser: u32,
    /// Why, as the complaint says.
    pub reason: String,
    /// The verdict's log entry.
    pub at: u64,
}

impl std::fmt::Display for Unsettled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "guardian {} says the share guardian {} sent it is bad: {} (log entry {})",
            self.accuser, self.accused, self.reason, self.at
        )
    }
}

impl LogView {
    /// Reads every entry of the log of `origin`: a roles file (logged by the server) or a
    /// signed write, whose author must be registered by the roles in force before it and whose
    /// signature must verify. Once the `election` entry defines who writes, a roles file that
    /// changes it is the operator's attempt to change the election and fails the read, and so
    /// does a write whose nonce was used before (a replay) or a protocol step whose nonce does
    /// not exceed its author's previous step's (a step held back and logged late).
    pub fn read(origin: &str, entries: &[Vec<u8>]) -> Result<Self, RolesError> {
        let mut view = LogView::default();
        view.extend(origin, entries)?;
        Ok(view)
    }

    /// Reads the entries that follow those read so far, as [`LogView::read`] reads a log. On an
    /// error the view is left part-read: the caller drops it.
    pub fn extend(&mut self, origin: &str, entries: &[Vec<u8>]) -> Result<(), RolesError> {
        let view = self;
        for data in entries {
            let index = view.read;
            view.read += 1;
            let fail = |reason: String| RolesError::LogEntry { index, reason };
            if let Ok(file) = serde_json::from_slice::<RolesFile>(data) {
                if view.definition.is_some() {
                    if let Some(field) = view.roles.differs_from(&file) {
                        return Err(fail(format!(
                            "the operator's roles entry changes the {field} that the election's \
                             definition fixed"
                        )));
                    }
                    continue;
                }
                view.parsed = Roles::new(&file).map_err(|e| fail(e.to_string()))?;
                view.roles = file;
                view.seen_roles = true;
                continue;
            }
            let env: Envelope = serde_json::from_slice(data)
                .map_err(|e| fail(format!("neither a roles file nor a signed write: {e}")))?;
            let (headers, body) = env.split().map_err(|e| fail(e.to_string()))?;
            view.take_write(origin, index, headers, Some(body))?;
        }
        Ok(())
    }

    /// Reads the entries that follow as [`LogView::extend`] does, except that a ballot is read
    /// from its headers alone ([`LogView::defer_ballot`]); any other write is first joined with
    /// its body from `body`. For a reader that acts on the election's steps, not its ballots:
    /// a device waiting for its close to be cosigned need not fetch every ballot of the day.
    pub fn extend_with_ballot_headers(
        &mut self,
        origin: &str,
        entries: Vec<Vec<u8>>,
        mut body: impl FnMut(&[u8; 32]) -> Result<Vec<u8>, RolesError>,
    ) -> Result<(), RolesError> {
        for entry in entries {
            match serde_json::from_slice::<LoggedEnvelope>(&entry) {
                Ok(headers) if headers.kind == kind::BALLOT => {
                    self.defer_ballot(origin, headers)?
                }
                _ => {
                    let joined = super::envelope::join_bodies(self.len(), vec![entry], &mut body)?;
                    self.extend(origin, &joined)?;
                }
            }
        }
        Ok(())
    }

    /// Reads the next entry, a ballot, from its headers alone (its signature covers its body's
    /// SHA-256, so it is checked as [`LogView::extend`] checks the whole write): for a reader
    /// that fetches only some ballots' bodies, each matched to its digest when it is.
    pub fn defer_ballot(
        &mut self,
        origin: &str,
        headers: LoggedEnvelope,
    ) -> Result<(), RolesError> {
        let index = self.read;
        self.read += 1;
        if headers.kind != kind::BALLOT {
            return Err(RolesError::LogEntry {
                index,
                reason: format!("a {} read without its body", headers.kind),
            });
        }
        self.take_write(origin, index, headers, None)
    }

    /// A signed write at `index` (its body, unless it is a deferred ballot): its author and
    /// signature by the roles in force, its nonce never used before, a protocol step's above
    /// its author's previous step's.
    fn take_write(
        &mut self,
        origin: &str,
        index: u64,
        env: LoggedEnvelope,
        body: Option<Vec<u8>>,
    ) -> Result<(), RolesError> {
        let view = self;
        let fail = |reason: String| RolesError::LogEntry { index, reason };
        if !view.seen_roles {
            return Err(fail("a write before any roles file".into()));
        }
        view.parsed
            .check_headers(
                origin,
                &env,
                &[Role::Administrator, Role::Guardian, Role::Device],
            )
            .map_err(|e| fail(e.to_string()))?;
        if !view
            .nonces
            .entry(env.author.clone())
            .or_default()
            .insert(env.nonce)
        {
            return Err(fail(format!(
                "{:?} wrote nonce {} twice: a replayed write",
                env.author, env.nonce
            )));
        }
        if env.kind != kind::BALLOT {
            let last = view.last_step.insert(env.author.clone(), env.nonce);
            if let Some(last) = last.filter(|&l| l >= env.nonce) {
                return Err(fail(format!(
                    "{:?}'s {} has nonce {}, not above its previous step's {last}: a write \
                     held back and logged out of its order",
                    env.author, env.kind, env.nonce
                )));
            }
        }
        let deferred = match body {
            Some(_) => None,
            None => Some(
                env.digest_bytes()
                    .ok_or_else(|| fail("its body's SHA-256 is not 64 hex digits".into()))?,
            ),
        };
        let body = body.unwrap_or_default();
        if env.kind == kind::ELECTION && view.definition.is_none() {
            let b: ElectionBody =
                serde_json::from_slice(&body).map_err(|e| fail(format!("election: {e}")))?;
            if let Some(field) = view.roles.differs_from(&b.definition) {
                return Err(fail(format!(
                    "the election's definition names other {field} than the roles in force"
                )));
            }
            view.parsed = Roles::new(&b.definition).map_err(|e| fail(e.to_string()))?;
            view.roles = b.definition;
            view.definition = Some(definition_hash(&body));
        }
        view.writes.push(LoggedWrite {
            index,
            kind: env.kind,
            author: env.author,
            nonce: env.nonce,
            body,
            deferred,
        });
        Ok(())
    }

    /// How many entries were read.
    pub fn len(&self) -> u64 {
        self.read
    }

    /// Whether no entry was read.
    pub fn is_empty(&self) -> bool {
        self.read == 0
    }

    /// The writes of one kind.
    pub fn of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a LoggedWrite> + 'a {
        self.writes.iter().filter(move |w| w.kind == kind)
    }

    /// The election's definition hash ([`definition_hash`]), once its `election` entry is
    /// logged.
    pub fn definition(&self) -> Option<&str> {
        self.definition.as_deref()
    }

    /// The key ceremony's complaints that no logged reveal settled (the server logs only
    /// reveals that settle), in log order.
    pub fn unsettled_complaints(&self) -> Result<Vec<Unsettled>, RolesError> {
        let mut open = Vec::new();
        for w in self.of(kind::SHARE_VERDICT) {
            let v: VerdictJson =
                serde_json::from_slice(&w.body).map_err(|e| RolesError::LogEntry {
                    index: w.index,
                    reason: format!("share verdict: {e}"),
                })?;
            open.extend(v.complaints.into_iter().map(|c| Unsettled {
                accused: c.sender,
                accuser: v.guardian,
                reason: c.reason,
                at: w.index,
            }));
        }
        for w in self.of(kind::SHARE_REVEAL) {
            let r: RevealJson =
                serde_json::from_slice(&w.body).map_err(|e| RolesError::LogEntry {
                    index: w.index,
                    reason: format!("share reveal: {e}"),
                })?;
            open.retain(|d| (d.accused, d.accuser) != (r.guardian, r.recipient));
        }
        Ok(open)
    }

    /// How the election's record files read, once its `election` entry is logged: the
    /// record's kind (from its constants) and its manifest (2.1 omits each contest's limit).
    pub fn election_format(
        &self,
    ) -> Option<(
        entente_record::RecordKind,
        entente_record::manifest::Manifest,
    )> {
        let w = self.of(kind::ELECTION).next()?;
        let b: ElectionBody = serde_json::from_slice(&w.body).ok()?;
        let constants: serde_json::Value = serde_json::from_str(&b.constants).ok()?;
        let kind = entente_record::RecordKind::of_constants(&constants).ok()?;
        let manifest = entente_record::manifest::Manifest::from_json(b.manifest.as_bytes()).ok()?;
        Some((kind, manifest))
    }

    /// The guardian index of an author, by the roles in force.
    pub fn guardian_index(&self, author: &str) -> Option<u32> {
        self.parsed.guardian_index(author)
    }

    /// The election record's files that the log holds, by path in the record: the setup, the
    /// key ceremony's messages (`key_ceremony/`), the ballots
    /// (`encrypted_ballots/<device>/eballot-<id>.json`), the tally, the decryption's messages
    /// (`decryption/`; commitments of guardians left out of the decryption set under
    /// `decryption/unused/`) and the result. The same function makes an export and checks one.
    pub fn record_files(&self) -> Result<BTreeMap<String, Vec<u8>>, RolesError> {
        #[derive(Deserialize)]
        struct Named {
            ballot_id: String,
        }
        #[derive(Deserialize)]
        struct Indexed {
            #[serde(alias = "x_coordinate")]
            guardian: u32,
        }
        let mut files = BTreeMap::new();
        // The decryption's rounds (each exclusion ends one): each round's set, and the folder
        // of its messages; the last round's are where the decryption reads them.
        let mut sets: Vec<Option<DecryptionSetJson>> = vec![None];
        for w in &self.writes {
            match w.kind.as_str() {
                kind::DECRYPTION_SET => {
                    if let Some(last) = sets.last_mut() {
                        *last = serde_json::from_slice(&w.body).ok();
                    }
                }
                kind::DECRYPTION_EXCLUDE => sets.push(None),
                _ => {}
            }
        }
        let last_round = sets.len() - 1;
        let folder = |round: usize| {
            if round == last_round {
                "decryption".to_owned()
            } else {
                format!("decryption/round-{round}")
            }
        };
        let mut round = 0;
        let mut print_runs = 0;
        let plain =
            |name: &str| name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.');
        files.insert(
            "roles.json".to_owned(),
            serde_json::to_vec_pretty(&self.roles).unwrap_or_default(),
        );
        for w in &self.writes {
            let fail = |reason: String| RolesError::LogEntry {
                index: w.index,
                reason,
            };
            let guardian = || -> Result<u32, RolesError> {
                serde_json::from_slice::<Indexed>(&w.body)
                    .map(|i| i.guardian)
                    .map_err(|e| fail(format!("{}: {e}", w.kind)))
            };
            let mut put = |path: String, bytes: Vec<u8>| {
                files.insert(path, bytes);
            };
            match w.kind.as_str() {
                kind::ELECTION => {
                    let b: ElectionBody =
                        serde_json::from_slice(&w.body).map_err(|e| fail(e.to_string()))?;
                    put("manifest.json".into(), b.manifest.into_bytes());
                    put(
                        "election_config.json".into(),
                        b.election_config.into_bytes(),
                    );
                    put("constants.json".into(), b.constants.into_bytes());
                }
                kind::GUARDIAN_KEY => put(
                    format!("key_ceremony/guardian-{}.json", guardian()?),
                    w.body.clone(),
                ),
                kind::KEY_SHARES => put(
                    format!("key_ceremony/shares-{}.json", guardian()?),
                    w.body.clone(),
                ),
                kind::SHARE_VERDICT => put(
                    format!("key_ceremony/verdict-{}.json", guardian()?),
                    w.body.clone(),
                ),
                kind::SHARE_REVEAL => {
                    let r: RevealJson =
                        serde_json::from_slice(&w.body).map_err(|e| fail(e.to_string()))?;
                    put(
                        format!("key_ceremony/reveal-{}-to-{}.json", r.guardian, r.recipient),
                        w.body.clone(),
                    );
                }
                kind::CEREMONY_STOP => put("key_ceremony/stop.json".into(), w.body.clone()),
                kind::ELECTION_INITIALIZED => {
                    put("election_initialized.json".into(), w.body.clone())
                }
                // Fetched, and written, by the reader that deferred it.
                kind::BALLOT if w.deferred.is_some() => {}
                kind::BALLOT => {
                    let id = serde_json::from_slice::<Named>(&w.body)
                        .map_err(|e| fail(format!("ballot: {e}")))?
                        .ballot_id;
                    if plain(&id) || plain(&w.author) {
                        return Err(fail(format!(
                            "ballot {id:?} of {:?} cannot name a file",
                            w.author
                        )));
                    }
                    put(
                        format!("encrypted_ballots/{}/eballot-{id}.json", w.author),
                        w.body.clone(),
                    );
                }
                kind::DEVICE_CLOSE => {
                    if plain(&w.author) {
                        return Err(fail(format!("{:?} cannot name a folder", w.author)));
                    }
                    put(
                        format!("encrypted_ballots/{}/ballot_chain.json", w.author),
                        w.body.clone(),
                    );
                }
                kind::PRINT_RUN => {
                    print_runs += 1;
                    put(
                        format!("{PRINT_RUNS}/print-run-{print_runs}.json"),
                        w.body.clone(),
                    );
                }
                kind::CLOSE => {}
                kind::ENCRYPTED_TALLY => put("encrypted_tally.json".into(), w.body.clone()),
                kind::DECRYPTION_COMMIT => {
                    let i = guardian()?;
                    let used = sets[round]
                        .as_ref()
                        .is_none_or(|s| s.guardians.contains(&i));
                    let folder = if used {
                        folder(round)
                    } else {
                        format!("{}/unused", folder(round))
                    };
                    put(format!("{folder}/commit-guardian-{i}.json"), w.body.clone());
                }
                kind::DECRYPTION_SET => put(format!("{}/set.json", folder(round)), w.body.clone()),
                kind::DECRYPTION_RESPONSE => put(
                    format!("{}/response-guardian-{}.json", folder(round), guardian()?),
                    w.body.clone(),
                ),
                kind::DECRYPTION_EXCLUDE => {
                    put(
                        format!("decryption/round-{round}/exclusion.json"),
                        w.body.clone(),
                    );
                    round += 1;
                }
                kind::RESULT => {
                    let r: ResultJson =
                        serde_json::from_slice(&w.body).map_err(|e| fail(e.to_string()))?;
                    put("tally.json".into(), r.tally.into_bytes());
                    for f in r.challenged {
                        if plain(&f.name) {
                            return Err(fail(format!("{:?} cannot name a file", f.name)));
                        }
                        put(
                            format!("challenged_ballots/{}", f.name),
                            f.text.into_bytes(),
                        );
                    }
                }
                other => return Err(fail(format!("{other:?} is not a step of the protocol"))),
            }
        }
        Ok(files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::messages::ElectionBody;
    use ed25519_dalek::SigningKey;
    use entente_board::note::NoteSigner;

    /// The entry and reason of a log that does not read (any other error fails the test).
    struct Refusal {
        index: u64,
        reason: String,
    }

    impl std::fmt::Display for Refusal {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "log entry {}: {}", self.index, self.reason)
        }
    }

    fn refusal(e: RolesError) -> Refusal {
        match e {
            RolesError::LogEntry { index, reason } => Refusal { index, reason },
            other => panic!("not a log entry's refusal: {other}"),
        }
    }

    const ORIGIN: &str = "board.example/workflow-test";

    fn signer(name: &str, seed: u8) -> NoteSigner {
        NoteSigner::new(name, SigningKey::from_bytes(&[seed; 32])).unwrap()
    }

    /// A log of: the operator's roles, the administrator's `election` defining them, then
    /// `after`, each entry as the log holds it.
    fn log_with(after: Vec<Vec<u8>>) -> (Vec<Vec<u8>>, RolesFile) {
        let admin = signer("administrator", 1);
        let roles = RolesFile {
            administrator: Some(admin.verifier_key()),
            devices: vec![signer("device.booth-1", 2).verifier_key()],
            witnesses: vec!["witness.example+01234567+AAAA".into()],
            ..RolesFile::default()
        };
        let body = ElectionBody {
            manifest: "{}".into(),
            election_config: "{}".into(),
            constants: "{}".into(),
            definition: roles.clone(),
        };
        let env = Envelope::sign(
            &admin,
            ORIGIN,
            kind::ELECTION,
            1,
            &serde_json::to_vec(&body).unwrap(),
        );
        let mut entries = vec![
            serde_json::to_vec(&roles).unwrap(),
            serde_json::to_vec(&env).unwrap(),
        ];
        entries.extend(after);
        (entries, roles)
    }

    #[test]
    fn a_reader_takes_the_roles_from_the_definition_and_names_an_operator_who_changes_them() {
        let (entries, roles) = log_with(Vec::new());
        let view = LogView::read(ORIGIN, &entries).unwrap();
        assert_eq!(view.roles.devices, roles.devices);
        assert!(view.definition().is_some());
        // The same roles logged again (a restart): nothing changes.
        let (entries, _) = log_with(vec![serde_json::to_vec(&roles).unwrap()]);
        LogView::read(ORIGIN, &entries).unwrap();
        // A device of the operator's own, or the witnesses dropped: the log does not read.
        for (change, field) in [
            (
                RolesFile {
                    devices: vec![
                        roles.devices[0].clone(),
                        signer("device.operators-own", 3).verifier_key(),
                    ],
                    ..roles.clone()
                },
                "devices",
            ),
            (
                RolesFile {
                    witnesses: Vec::new(),
                    ..roles.clone()
                },
                "witnesses",
            ),
        ] {
            let (entries, _) = log_with(vec![serde_json::to_vec(&change).unwrap()]);
            let err = refusal(LogView::read(ORIGIN, &entries).unwrap_err());
            assert_eq!(err.index, 2);
            assert!(
                err.reason.contains("operator's roles entry") && err.reason.contains(field),
                "{err}"
            );
        }
        // And a write by that device, however logged, is no registered author's.
        let own = signer("device.operators-own", 3);
        let ballot = Envelope::sign(&own, ORIGIN, kind::BALLOT, 1, b"{}");
        let (entries, _) = log_with(vec![serde_json::to_vec(&ballot).unwrap()]);
        let err = refusal(LogView::read(ORIGIN, &entries).unwrap_err());
        assert!(err.reason.contains("not a registered author"), "{err}");
    }

    #[test]
    fn a_reader_refuses_writes_for_another_log_replays_and_steps_logged_late() {
        let (entries, _) = log_with(Vec::new());
        let err = refusal(LogView::read("board.example/another", &entries).unwrap_err());
        assert!(err.reason.contains("does not verify"), "{err}");
        let admin = signer("administrator", 1);
        let close = |nonce| {
            serde_json::to_vec(&Envelope::sign(&admin, ORIGIN, kind::CLOSE, nonce, b"{}")).unwrap()
        };
        // The election was nonce 1: a step signed with nonce 1 again is a replay, and a step
        // whose nonce is below the author's previous one was held back.
        let (entries, _) = log_with(vec![close(1)]);
        let err = refusal(LogView::read(ORIGIN, &entries).unwrap_err());
        assert!(err.reason.contains("twice"), "{err}");
        let (entries, _) = log_with(vec![close(5), close(3)]);
        let err = refusal(LogView::read(ORIGIN, &entries).unwrap_err());
        assert!(err.reason.contains("held back"), "{err}");
        let (entries, _) = log_with(vec![close(2), close(3)]);
        LogView::read(ORIGIN, &entries).unwrap();
    }

    #[test]
    fn a_view_extended_entry_by_entry_is_the_view_read_at_once_and_keeps_refusing() {
        let (entries, _) = log_with(vec![]);
        let whole = LogView::read(ORIGIN, &entries).unwrap();
        for split in 0..=entries.len() {
            let mut view = LogView::read(ORIGIN, &entries[..split]).unwrap();
            view.extend(ORIGIN, &entries[split..]).unwrap();
            assert_eq!(view.len(), whole.len());
            assert_eq!(view.definition(), whole.definition());
            let kinds = |v: &LogView| v.writes.iter().map(|w| w.index).collect::<Vec<_>>();
            assert_eq!(kinds(&view), kinds(&whole));
        }
        // What it read before still counts: a replay of an earlier nonce, read later, fails.
        let admin = signer("administrator", 1);
        let close = |nonce| {
            serde_json::to_vec(&Envelope::sign(&admin, ORIGIN, kind::CLOSE, nonce, b"{}")).unwrap()
        };
        let mut view = LogView::read(ORIGIN, &entries).unwrap();
        view.extend(ORIGIN, &[close(2)]).unwrap();
        let err = refusal(view.extend(ORIGIN, &[close(2)]).unwrap_err());
        assert!(err.reason.contains("twice"), "{err}");
        assert_eq!(err.index, entries.len() as u64 + 1);
    }
}
