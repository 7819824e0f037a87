//! `entente admin create|tally` and `entente export`: the administrator's steps of an election
//! on the log, and the record export that anyone can run.
//!
//! The administrator holds no secret of the election: it publishes the manifest and
//! configuration, the joint key once the guardians' ceremony is clean (checked by the server
//! and by every guardian against the logged keys), closes the ballot box, publishes the
//! encrypted tally (computed from the logged ballots; every guardian checks it), chooses the
//! decrypting guardians among those who committed, and publishes the combined result (which
//! the verifier checks). Its working copy of the record lives in its state directory.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::error::{Context, Result, bail, ensure};
use crate::protocol::RolesFile;
use crate::protocol::{
    CeremonyStopJson, DecryptionSetJson, ElectionBody, ExcludedJson, ExclusionJson, FileJson,
    LogView, ResultJson, ceremony_blocking, kind,
};
use entente_board::note::NoteSigner;
use entente_core::keys::{GuardianPublicKey, JointKey, KeyContext, Quorum};
use entente_core::tally::EncryptedTally;
use entente_record::election::{ElectionConfigured, GuardianJson, parse_json};
use entente_record::{GroupKind, HashValue, KnownGroup, with_group};

use crate::board::{Key, Role};
use crate::client::{Client, LOG_DIR};
use crate::files::materialize;

/// What the administrator's commands need.
pub struct AdminOptions {
    /// The server.
    pub client: Client,
    /// The administrator's signing key.
    pub key: Key,
    /// The state directory (`nonce`, `log/`, `record/`).
    pub state: PathBuf,
    /// How long to wait for the guardians at each step.
    pub timeout: Duration,
    /// Threads for the tally and the combination (0: all cores).
    pub threads: usize,
}

impl AdminOptions {
    fn signer(&self) -> Result<NoteSigner> {
        ensure!(
            self.key.role == Role::Log,
            "the administrator signs with an Ed25519 signing key (`entente keygen`), not a \
             witness key"
        );
        Ok(NoteSigner::new(&self.key.name, self.key.signing.clone())?)
    }

    fn log_dir(&self) -> PathBuf {
        self.state.join(LOG_DIR)
    }

    /// The working copy of the record.
    pub fn record_dir(&self) -> PathBuf {
        self.state.join("record")
    }
}

/// `entente admin create`: publishes the election (manifest, configuration for n guardians
/// and quorum k, and its definition of who writes: `roles`, or those on the log, with every
/// device given the styles `roles` lists for it or else every style of the manifest) in
/// `group` (its record in that group's layout), then, unless `wait` is false, waits for the
/// key ceremony and publishes the joint key. Returns H_E when it waited.
pub fn create(
    opts: &AdminOptions,
    manifest: &[u8],
    quorum: u32,
    group: GroupKind,
    baux0: &str,
    roles: Option<&RolesFile>,
    wait: bool,
) -> Result<Option<HashValue>> {
    let signer = opts.signer()?;
    let m = opts.client.mirror(&opts.log_dir())?;
    let mut definition = roles.cloned().unwrap_or_else(|| m.view.roles.clone());
    if let Some(field) = m.view.roles.differs_from(&definition) {
        bail!(
            "the board's operator registered other {field} than the roles given: the server \
             would refuse this election's definition"
        );
    }
    let parsed = entente_record::manifest::Manifest::from_json(manifest)
        .context("the manifest does not read")?;
    for key in &definition.devices {
        let name = entente_board::note::NoteVerifier::parse(key)
            .context("a device key of the roles")?
            .name()
            .to_owned();
        definition
            .styles
            .entry(name)
            .or_insert_with(|| parsed.styles.keys().cloned().collect());
    }
    let n = definition.guardians.len() as u32;
    let q = Quorum::new(n, quorum).with_context(|| {
        format!("quorum {quorum} with the {n} guardians of the roles file on the log")
    })?;
    if m.view.of(kind::ELECTION).next().is_none() {
        let config =
            crate::election::config_json(manifest, q, group, baux0, "entente admin create")?;
        let body = ElectionBody {
            manifest: String::from_utf8(manifest.to_vec())
                .context("the manifest is not UTF-8 text")?,
            election_config: String::from_utf8(crate::election::setup_file(&config, group)?)
                .context("election_config.json is not UTF-8")?,
            constants: serde_json::to_string_pretty(&crate::election::constants_json(group))?,
            definition,
        };
        opts.client.post_step(
            &signer,
            &opts.state,
            kind::ELECTION,
            &serde_json::to_vec(&body)?,
        )?;
    }
    if !wait {
        return Ok(None);
    }
    initialize(opts).map(Some)
}

/// The most ballots one `print-run` entry commits (a larger run takes several entries; the
/// server takes up to twice as many, within its limit for a step's body).
const PRINT_RUN_ENTRY: usize = 50_000;

/// `entente admin print-run`: commits a print run of pre-encrypted ballots on the log (each
/// ballot's id, style and confirmation code; never its nonce), so that the board takes a
/// scanning station's ballot only if it was printed, and only once. Returns the entries'
/// indices.
pub fn commit_print_run(opts: &AdminOptions, run: &crate::paper::PrintRun) -> Result<Vec<u64>> {
    let signer = opts.signer()?;
    ensure!(!run.ballots.is_empty(), "the print run holds no ballot");
    let mut indices = Vec::new();
    for part in run.ballots.chunks(PRINT_RUN_ENTRY) {
        let body = crate::protocol::PrintRunJson {
            election: run.election.to_ascii_lowercase(),
            ballots: part
                .iter()
                .map(|b| crate::protocol::PrintedCodeJson {
                    ballot_id: b.ballot_id.clone(),
                    ballot_style: b.ballot_style.clone(),
                    confirmation_code: b.confirmation_code.to_ascii_lowercase(),
                })
                .collect(),
        };
        let receipt = opts.client.post_step(
            &signer,
            &opts.state,
            kind::PRINT_RUN,
            &serde_json::to_vec(&body)?,
        )?;
        indices.push(receipt.index);
    }
    Ok(indices)
}

/// Waits for every guardian's clean verdict, computes K and H_E from the logged keys, and
/// publishes `election_initialized.json`. A complaint stops it, naming the accused. Returns
/// H_E.
pub fn initialize(opts: &AdminOptions) -> Result<HashValue> {
    let m = opts.client.mirror(&opts.log_dir())?;
    let group = configured(&m.view)?.kind.group;
    with_group!(group, |G| initialize_in::<G>(opts))
}

fn initialize_in<G: KnownGroup>(opts: &AdminOptions) -> Result<HashValue> {
    let signer = opts.signer()?;
    // Every verdict, and every complaint settled by its accused (spec 2.0 §3.2.2). Whoever
    // still holds the ceremony up at the timeout (an accused who has not settled, a guardian
    // missing its key, shares or verdict) is left out: the ceremony stops on the log.
    let started = Instant::now();
    let view = opts.client.wait_for(
        &opts.log_dir(),
        "the guardians' key ceremony",
        opts.timeout + Duration::from_secs(5),
        |m| {
            let n = m.view.roles.guardians.len();
            let done =
                m.view.of(kind::SHARE_VERDICT).count() == n && unsettled(&m.view)?.is_empty();
            let stopped = m.view.of(kind::CEREMONY_STOP).next().is_some();
            Ok((done || stopped || started.elapsed() > opts.timeout).then(|| m.view.clone()))
        },
    )?;
    let n = view.roles.guardians.len();
    let done = view.of(kind::SHARE_VERDICT).count() == n && unsettled(&view)?.is_empty();
    if !done && view.of(kind::CEREMONY_STOP).next().is_none() {
        let blocking = blocking(&view, n)?;
        opts.client.post_step(
            &signer,
            &opts.state,
            kind::CEREMONY_STOP,
            &serde_json::to_vec(&CeremonyStopJson {
                guardians: blocking
                    .iter()
                    .map(|(&guardian, what)| ExcludedJson {
                        guardian,
                        reason: format!("{what} within {} s", opts.timeout.as_secs()),
                    })
                    .collect(),
            })?,
        )?;
    }
    if let Some(w) = opts
        .client
        .mirror(&opts.log_dir())?
        .view
        .of(kind::CEREMONY_STOP)
        .next()
    {
        let stop: CeremonyStopJson = parse_json("ceremony stop", &w.body)?;
        bail!(
            "the key ceremony stopped (log entry {}): {}; restart it without them",
            w.index,
            stop.guardians
                .iter()
                .map(|g| format!("guardian {}: {}", g.guardian, g.reason))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    let configured = configured(&view)?;
    let q = Quorum::new(
        configured.config.number_of_guardians,
        configured.config.quorum,
    )?;
    let ctx = KeyContext::of_group(configured.kind.group);
    let mut keys = Vec::new();
    let mut names = std::collections::BTreeMap::new();
    for w in view.of(kind::GUARDIAN_KEY) {
        let json: GuardianJson = parse_json("guardian key", &w.body)?;
        names.insert(json.x_coordinate, json.guardian_id.clone());
        keys.push(
            GuardianPublicKey::<G>::from_json(&json)?
                .verify(&ctx, q)
                .with_context(|| format!("log entry {}", w.index))?,
        );
    }
    let joint = JointKey::combine(&ctx, &configured.h_b, keys)?;
    if view.of(kind::ELECTION_INITIALIZED).next().is_none() {
        let json = crate::election::initialized_json(&joint, |i| {
            names
                .get(&i)
                .cloned()
                .unwrap_or_else(|| format!("guardian{i}"))
        });
        opts.client.post_step(
            &signer,
            &opts.state,
            kind::ELECTION_INITIALIZED,
            &crate::election::setup_file(&json, G::KIND)?,
        )?;
    }
    Ok(joint.extended_base_hash)
}

/// The decryption's round now: how many exclusions the log holds.
fn round_now(view: &LogView) -> u32 {
    view.of(kind::DECRYPTION_EXCLUDE).count() as u32
}

/// The decryption's writes since the last exclusion (the current round's).
fn round_writes(view: &LogView) -> Vec<&crate::protocol::LoggedWrite> {
    let start = view
        .of(kind::DECRYPTION_EXCLUDE)
        .last()
        .map_or(0, |w| w.index + 1);
    view.writes.iter().filter(|w| w.index >= start).collect()
}

/// Who holds the key ceremony up, judged from the log as the server judges it
/// ([`ceremony_blocking`]).
fn blocking(view: &LogView, n: usize) -> Result<BTreeMap<u32, String>> {
    let did = |k: &str| -> BTreeSet<u32> {
        view.of(k)
            .filter_map(|w| view.guardian_index(&w.author))
            .collect()
    };
    let (keys, shares, verdicts) = (
        did(kind::GUARDIAN_KEY),
        did(kind::KEY_SHARES),
        did(kind::SHARE_VERDICT),
    );
    let disputes = unsettled(view)?.into_iter().collect();
    Ok(ceremony_blocking(n, [&keys, &shares, &verdicts], &disputes))
}

/// The complaints (accused, accuser) that no logged reveal settled.
fn unsettled(view: &LogView) -> Result<Vec<(u32, u32)>> {
    Ok(view
        .unsettled_complaints()?
        .into_iter()
        .map(|d| (d.accused, d.accuser))
        .collect())
}

fn configured(view: &LogView) -> Result<ElectionConfigured> {
    let w = view
        .of(kind::ELECTION)
        .next()
        .context("the election is not created on this log")?;
    let body: ElectionBody = parse_json("election", &w.body)?;
    Ok(ElectionConfigured::from_bytes(
        body.manifest.as_bytes(),
        body.election_config.as_bytes(),
        body.constants.as_bytes(),
    )?)
}

/// What `entente admin tally` did.
pub struct Tallied {
    /// Cast ballots counted.
    pub counted: usize,
    /// Challenged ballots decrypted.
    pub challenged: usize,
    /// The decrypting guardians.
    pub present: Vec<u32>,
    /// The guardians left out.
    pub absent: Vec<u32>,
    /// The guardians excluded for a wrong or missing response, and why.
    pub excluded: BTreeMap<u32, String>,
    /// The result table.
    pub table: String,
}

/// `entente admin tally`: closes the ballot box, publishes the encrypted tally, waits until
/// `wanted` guardians have committed (or `timeout`, if at least k have), fixes the decryption
/// set, waits for its responses, combines them and publishes the result.
pub fn tally(opts: &AdminOptions, tally_id: &str, wanted: Option<usize>) -> Result<Tallied> {
    let m = opts.client.mirror(&opts.log_dir())?;
    let configured = configured(&m.view)?;
    with_group!(configured.kind.group, |G| tally_in::<G>(
        opts,
        tally_id,
        wanted,
        &m.view,
        &configured
    ))
}

/// [`tally`] in the election's group, from the log as `view` holds it when the administrator
/// begins, with the election `configured` there.
fn tally_in<G: KnownGroup>(
    opts: &AdminOptions,
    tally_id: &str,
    wanted: Option<usize>,
    view: &LogView,
    configured: &ElectionConfigured,
) -> Result<Tallied> {
    let signer = opts.signer()?;
    let record = opts.record_dir();
    let (n, k) = (
        configured.config.number_of_guardians as usize,
        configured.config.quorum as usize,
    );
    if view.of(kind::CLOSE).next().is_none() {
        opts.client
            .post_step(&signer, &opts.state, kind::CLOSE, b"{}")?;
    }
    // The ballots tallied are those of a checkpoint every party's witness cosigned.
    let m = opts.client.mirror_witnessed(
        &opts.log_dir(),
        "the closed ballot box",
        opts.timeout,
        |m| m.view.of(kind::CLOSE).next().is_some(),
    )?;
    materialize(&m.view, &record)?;
    // One pass over the logged ballots: their product is the tally, and the same reading serves
    // every round of the decryption. The ballots are not checked again: the server checked each
    // before it logged it, every guardian checks the product (and, unless told to trust the
    // server, each ballot), and every verifier checks everything.
    let election = crate::record::Election::<G>::read(&record)?;
    let files = crate::record::ballot_files(&record)?;
    let logged = crate::record::Logged::read(&files, &election.setup, false, opts.threads, false)?;
    let counted = logged
        .ballots
        .iter()
        .filter(|b| b.state == entente_record::ballot::BallotState::Cast)
        .count();
    let challenged = logged.challenged.len();
    if m.view.of(kind::ENCRYPTED_TALLY).next().is_none() {
        let tally = EncryptedTally::of_logged(&election.setup.manifest, &logged.ballots)?;
        crate::tally::write_encrypted_tally(&record, &tally, tally_id, &election.setup)?;
        let bytes = std::fs::read(record.join(crate::record::ENCRYPTED_TALLY))?;
        opts.client
            .post_step(&signer, &opts.state, kind::ENCRYPTED_TALLY, &bytes)?;
    }
    let prepared = crate::decrypt::Prepared::from_logged(&record, election, &logged)?;
    // Round after round until the result: the decrypting guardians are those who committed
    // when `wanted` are in (or at the timeout, if a quorum has); if any of them answers wrongly
    // or not before the timeout, they are left out on the log and the others begin again.
    let mut excluded: BTreeMap<u32, String> = BTreeMap::new();
    let (m, combined) = loop {
        let view = opts.client.mirror(&opts.log_dir())?.view;
        let round = round_now(&view);
        let left_out: usize = view
            .of(kind::DECRYPTION_EXCLUDE)
            .filter_map(|w| serde_json::from_slice::<ExclusionJson>(&w.body).ok())
            .map(|e| e.excluded.len())
            .sum();
        let wanted = wanted
            .unwrap_or(n)
            .clamp(k, n)
            .min(n.saturating_sub(left_out));
        let started = Instant::now();
        let set =
            opts.client.wait_for(
                &opts.log_dir(),
                "the guardians' decryption commitments",
                opts.timeout + Duration::from_secs(5),
                |m| {
                    let writes = round_writes(&m.view);
                    if let Some(w) = writes.iter().find(|w| w.kind == kind::DECRYPTION_SET) {
                        return Ok(Some(
                            parse_json::<DecryptionSetJson>("set", &w.body)?.guardians,
                        ));
                    }
                    let mut committed: Vec<u32> = writes
                        .iter()
                        .filter(|w| w.kind == kind::DECRYPTION_COMMIT)
                        .filter_map(|w| m.view.guardian_index(&w.author))
                        .collect();
                    committed.sort_unstable();
                    let late = started.elapsed() > opts.timeout;
                    Ok((committed.len() >= wanted || late && committed.len() >= k)
                        .then_some(committed))
                },
            )?;
        let m = opts.client.mirror(&opts.log_dir())?;
        if !round_writes(&m.view)
            .iter()
            .any(|w| w.kind == kind::DECRYPTION_SET)
        {
            opts.client.post_step(
                &signer,
                &opts.state,
                kind::DECRYPTION_SET,
                &serde_json::to_vec(&DecryptionSetJson {
                    guardians: set.clone(),
                })?,
            )?;
        }
        let answered_by = |view: &LogView| -> Vec<u32> {
            round_writes(view)
                .iter()
                .filter(|w| w.kind == kind::DECRYPTION_RESPONSE)
                .filter_map(|w| view.guardian_index(&w.author))
                .collect()
        };
        let started = Instant::now();
        let m = opts.client.wait_for(
            &opts.log_dir(),
            "the decrypting guardians' responses",
            opts.timeout + Duration::from_secs(5),
            |m| {
                let all = answered_by(&m.view).len() == set.len();
                Ok((all || started.elapsed() > opts.timeout).then(|| m.view.clone()))
            },
        )?;
        materialize(&m, &record)?;
        let answered = answered_by(&m);
        if answered.len() == set.len() {
            match crate::decrypt::combine_prepared(&record, &prepared, opts.threads) {
                Ok(c) => break (m, c),
                Err(e) => {
                    tracing::warn!("the responses do not combine: {}", crate::error::report(&e))
                }
            }
        }
        // Who answered wrongly (each response judged on its own, as anyone can from the log),
        // and who did not answer in time.
        let mut out = crate::decrypt::failing_responses_prepared(&record, &prepared, opts.threads)?;
        for &i in set.iter().filter(|i| !answered.contains(i)) {
            out.insert(
                i,
                format!(
                    "it did not answer within {} s of the set being fixed",
                    opts.timeout.as_secs()
                ),
            );
        }
        ensure!(
            !out.is_empty(),
            "the decryption's responses do not combine, and no guardian's response fails: \
             the record this administrator holds is not the log's"
        );
        for (i, why) in &out {
            eprintln!("guardian {i} is left out of the decryption: {why}");
        }
        opts.client.post_step(
            &signer,
            &opts.state,
            kind::DECRYPTION_EXCLUDE,
            &serde_json::to_vec(&ExclusionJson {
                round,
                excluded: out
                    .iter()
                    .map(|(&guardian, reason)| ExcludedJson {
                        guardian,
                        reason: reason.clone(),
                    })
                    .collect(),
            })?,
        )?;
        excluded.extend(out);
    };
    if m.of(kind::RESULT).next().is_none() {
        let tally = std::fs::read_to_string(record.join(crate::record::TALLY))?;
        let mut files = Vec::new();
        let dir = record.join(crate::record::CHALLENGED);
        if dir.exists() {
            for f in std::fs::read_dir(&dir)? {
                let f = f?;
                files.push(FileJson {
                    name: f.file_name().to_string_lossy().into_owned(),
                    text: std::fs::read_to_string(f.path())?,
                });
            }
        }
        files.sort_by(|a, b| a.name.cmp(&b.name));
        opts.client.post_step(
            &signer,
            &opts.state,
            kind::RESULT,
            &serde_json::to_vec(&ResultJson {
                tally,
                challenged: files,
            })?,
        )?;
    }
    Ok(Tallied {
        counted,
        challenged,
        present: combined.present,
        absent: combined.absent,
        excluded,
        table: crate::result::result_table(&combined.manifest, &combined.result.tally),
    })
}
