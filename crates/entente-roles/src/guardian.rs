//! `entente guardian join|ceremony|decrypt`: one guardian, one process, on the network. Its
//! secrets (the polynomial, then the shares it received) live only in its state directory,
//! sealed with its passphrase; it talks to the server only in the protocol's messages, and it
//! acts on nothing the others post before it has checked it from the log (spec 2.0 §3.2, §3.6):
//!
//! - `join`: makes its polynomial (once) and publishes its commitments with Schnorr proofs.
//! - `ceremony`: joins if needed; checks every other guardian's key (Verification 2); sends each
//!   its share encrypted to that guardian's key (eq. (14)–(19)), so the server sees only
//!   ciphertexts; decrypts and checks the shares sent to it (eq. (20), (21)) and posts its
//!   verdict, naming any guardian whose share fails; stops if anyone complained; finally checks
//!   that the joint key the administrator published is the product of the logged keys.
//! - `decrypt`: once the tally is on the log, checks that it is the product of the cast ballots,
//!   commits to its partial decryptions, and, if the administrator's decryption set includes
//!   it, answers the joint challenges (the rounds of `entente decrypt`, through the log).
//!
//! State directory: `guardian.age` (the sealed secret), `nonce`, `log/` (the mirrored log),
//! `record/` (the record files the log holds, for the decryption rounds).

use entente_core::CoreError;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{Context, Result, bail, ensure};
use crate::protocol::{
    CeremonyStopJson, ComplaintJson, DecryptionSetJson, ElectionBody, ExclusionJson, LogView,
    LoggedWrite, RevealJson, VerdictJson, kind,
};
use age::secrecy::SecretString;
use entente_board::note::NoteSigner;
use entente_core::keys::{
    Ceremony, Guardian, GuardianPublicKey, JointKey, KeyContext, Quorum, RevealedShare, SharesJson,
    store,
};
use entente_group::Scalar;
use entente_record::election::{
    ElectionConfigured, ElectionInitializedJson, GuardianJson, parse_json,
};
use entente_record::{HashValue, KnownGroup, with_group};

use crate::board::{Key, Role};
use crate::client::{Client, LOG_DIR, Mirrored};
use crate::files::materialize;
use crate::files::write_atomically;

/// What a guardian command needs.
pub struct GuardianOptions {
    /// The server.
    pub client: Client,
    /// The guardian's signing key (its name is its author name in the roles).
    pub key: Key,
    /// The passphrase of the key file, which also seals the guardian's secret.
    pub passphrase: SecretString,
    /// The scrypt work factor for the sealed secret (that of the key file).
    pub work_factor: Option<u8>,
    /// The state directory.
    pub state: PathBuf,
    /// How long to wait for the others at each step.
    pub timeout: Duration,
    /// Decryption threads (0: all cores).
    pub threads: usize,
    /// Whether `decrypt` checks every logged ballot itself (proofs, membership, codes), or
    /// relies on the server's check before it logged each one (and on `entente verify`).
    pub check_ballots: bool,
}

impl GuardianOptions {
    fn secret_path(&self) -> PathBuf {
        self.state.join("guardian.age")
    }

    fn log_dir(&self) -> PathBuf {
        self.state.join(LOG_DIR)
    }

    fn record_dir(&self) -> PathBuf {
        self.state.join("record")
    }

    fn signer(&self) -> Result<NoteSigner> {
        ensure!(
            self.key.role == Role::Log,
            "a guardian signs with an Ed25519 signing key (`entente keygen --name GUARDIAN`), \
             not a witness key"
        );
        Ok(NoteSigner::new(&self.key.name, self.key.signing.clone())?)
    }

    fn wait<T>(&self, what: &str, done: impl FnMut(&Mirrored) -> Result<Option<T>>) -> Result<T> {
        tracing::info!(guardian = self.key.name, "waiting for {what}");
        self.client
            .wait_for(&self.log_dir(), what, self.timeout, done)
    }

    fn save<G: KnownGroup>(&self, guardian: &Guardian<G>) -> Result<()> {
        let sealed = store::seal_with_work_factor(guardian, &self.passphrase, self.work_factor)
            .context("cannot seal the guardian's secret")?;
        write_atomically(&self.secret_path(), &sealed)
    }

    fn load<G: KnownGroup>(&self) -> Result<Option<Guardian<G>>> {
        let path = self.secret_path();
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(
                store::open(&bytes, &self.passphrase)
                    .with_context(|| format!("cannot open {}", path.display()))?,
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }
}

/// The election as created on the log, checked, with this guardian's index.
struct Created {
    configured: ElectionConfigured,
    quorum: Quorum,
    index: u32,
    /// The hash of the election's definition, which this guardian's verdict agrees to.
    definition: String,
}

fn created(view: &LogView, name: &str) -> Result<Option<Created>> {
    let Some(w) = view.of(kind::ELECTION).next() else {
        return Ok(None);
    };
    let body: ElectionBody = parse_json("election", &w.body)?;
    let configured = ElectionConfigured::from_bytes(
        body.manifest.as_bytes(),
        body.election_config.as_bytes(),
        body.constants.as_bytes(),
    )
    .context("the election on the log does not check")?;
    let quorum = Quorum::new(
        configured.config.number_of_guardians,
        configured.config.quorum,
    )?;
    let index = view.guardian_index(name).with_context(|| {
        format!("{name:?} is not a guardian of this election (its definition on the log)")
    })?;
    let definition = view
        .definition()
        .context("the election on the log has no definition of who writes")?
        .to_owned();
    tracing::info!(
        devices = ?body.definition.styles,
        witnesses = body.definition.witnesses.len(),
        "the election's definition {definition}"
    );
    Ok(Some(Created {
        configured,
        quorum,
        index,
        definition,
    }))
}

/// Every guardian key on the log, each checked (Verification 2) and its index that of its
/// author; a bad one is named.
fn logged_keys<G: KnownGroup>(view: &LogView, c: &Created) -> Result<Ceremony<G>> {
    let mut ceremony = Ceremony::new(KeyContext::of_group(G::KIND), c.quorum);
    for w in view.of(kind::GUARDIAN_KEY) {
        let json: GuardianJson = parse_json("guardian key", &w.body)?;
        let author = view.guardian_index(&w.author);
        ensure!(
            author == Some(json.x_coordinate),
            "entry {}: {} posted the key of guardian {}",
            w.index,
            w.author,
            json.x_coordinate
        );
        ceremony
            .publish_key(GuardianPublicKey::from_json(&json)?)
            .with_context(|| {
                format!("entry {}: the key of {} does not check", w.index, w.author)
            })?;
    }
    Ok(ceremony)
}

/// `entente guardian join`: this guardian's polynomial (made once, sealed) and its published
/// key. Returns its index.
pub fn join(opts: &GuardianOptions) -> Result<u32> {
    let name = opts.key.name.clone();
    let c = opts.wait("the election to be created", |m| created(&m.view, &name))?;
    with_group!(c.configured.kind.group, |G| join_in::<G>(opts, &c))
}

fn join_in<G: KnownGroup>(opts: &GuardianOptions, c: &Created) -> Result<u32> {
    let signer = opts.signer()?;
    let guardian = match opts.load::<G>()? {
        Some(g) => {
            ensure!(
                g.index() == c.index && g.quorum() == c.quorum,
                "{} holds guardian {} of another election",
                opts.secret_path().display(),
                g.index()
            );
            g
        }
        None => {
            let g = Guardian::<G>::new(c.quorum, c.index, &mut os_rng())?;
            // Sealed before anything is published: a key on the log always has its secret.
            opts.save(&g)?;
            g
        }
    };
    let m = opts.client.mirror(&opts.log_dir())?;
    let mine = m
        .view
        .of(kind::GUARDIAN_KEY)
        .any(|w| w.author == opts.key.name);
    if !mine {
        let ctx = KeyContext::of_group(G::KIND);
        let key = guardian.public_key(&ctx, &mut os_rng());
        let verified = key.verify(&ctx, c.quorum)?;
        let json = verified.to_json(&opts.key.name);
        opts.client.post_step(
            &signer,
            &opts.state,
            kind::GUARDIAN_KEY,
            &serde_json::to_vec_pretty(&json)?,
        )?;
        tracing::info!(guardian = c.index, "key published");
    }
    Ok(c.index)
}

fn os_rng() -> impl rand::CryptoRng {
    use rand::TryRngCore;
    rand::rngs::OsRng.unwrap_err()
}

/// The outcome of a ceremony for one guardian.
pub struct CeremonyDone {
    /// Its index.
    pub index: u32,
    /// H_E, as it computed it and found it published.
    pub extended_base_hash: HashValue,
}

/// How a key ceremony ended for one guardian.
pub enum CeremonyOutcome {
    /// K and H_E agreed.
    Done(Box<CeremonyDone>),
    /// Someone complained: what each complaint says (the evidence is on the log).
    Stopped(Vec<String>),
}

/// `entente guardian ceremony`: the whole key ceremony for this guardian; stops at the first
/// complaint by anyone.
pub fn ceremony(opts: &GuardianOptions) -> Result<CeremonyOutcome> {
    let name = opts.key.name.clone();
    let c = opts.wait("the election to be created", |m| created(&m.view, &name))?;
    with_group!(c.configured.kind.group, |G| ceremony_in::<G>(opts, &c))
}

fn ceremony_in<G: KnownGroup>(opts: &GuardianOptions, c: &Created) -> Result<CeremonyOutcome> {
    let i = join_in::<G>(opts, c)?;
    let signer = opts.signer()?;
    let name = opts.key.name.clone();
    let n = c.quorum.guardians() as usize;
    // Every key, checked.
    let ceremony = opts.wait("every guardian's key", |m| {
        let cer = logged_keys::<G>(&m.view, c)?;
        Ok((cer.keys().count() == n).then_some(cer))
    })?;
    let ctx = KeyContext::of_group(G::KIND);
    let mut guardian = opts
        .load::<G>()?
        .context("the guardian's secret is missing")?;
    // My shares, encrypted to each other guardian's checked key.
    let m = opts.client.mirror(&opts.log_dir())?;
    if !m.view.of(kind::KEY_SHARES).any(|w| w.author == name) {
        let mut shares = Vec::with_capacity(n - 1);
        for k in ceremony.keys().filter(|k| k.index() != i) {
            shares.push(guardian.share_for(&ctx, k));
        }
        opts.client.post_step(
            &signer,
            &opts.state,
            kind::KEY_SHARES,
            &serde_json::to_vec_pretty(&SharesJson::write(i, &shares))?,
        )?;
        tracing::info!(guardian = i, "shares sent");
    }
    // The shares sent to me, each decrypted and checked against its sender's commitments.
    let messages = opts.wait("every guardian's shares", |m| {
        let all: Vec<_> = m.view.of(kind::KEY_SHARES).cloned().collect();
        Ok((all.len() == n).then_some(all))
    })?;
    let m = opts.client.mirror(&opts.log_dir())?;
    if !m.view.of(kind::SHARE_VERDICT).any(|w| w.author == name) {
        let mut complaints = Vec::new();
        for w in &messages {
            let sender = m.view.guardian_index(&w.author).unwrap_or(0);
            if sender == i {
                continue;
            }
            let verdict = check_share(&ceremony, &mut guardian, &ctx, w.index, sender, &w.body);
            if let Err(reason) = verdict {
                tracing::warn!(guardian = i, accused = sender, "{reason}");
                complaints.push(ComplaintJson { sender, reason });
            }
        }
        // The received shares are sealed before the verdict is published.
        opts.save(&guardian)?;
        opts.client.post_step(
            &signer,
            &opts.state,
            kind::SHARE_VERDICT,
            &serde_json::to_vec_pretty(&VerdictJson {
                guardian: i,
                election: c.definition.clone(),
                complaints,
            })?,
        )?;
    }
    // Everyone's verdict, then every complaint settled (spec 2.0 §3.2.2): an accused guardian
    // publishes the disputed share with its nonce, which the server logs only if it redoes the
    // published encryption and eq. (21), so the complaint is dismissed and its accuser takes
    // the share. An accused who cannot is left out by the administrator's `ceremony-stop`.
    let mut guardian = opts
        .load::<G>()?
        .context("the guardian's secret is missing")?;
    loop {
        let m = opts.client.mirror(&opts.log_dir())?;
        if let Some(w) = m.view.of(kind::CEREMONY_STOP).next() {
            let stop: CeremonyStopJson = parse_json("ceremony stop", &w.body)?;
            let mut why = m
                .view
                .unsettled_complaints()?
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>();
            why.extend(stop.guardians.iter().map(|g| {
                format!(
                    "the administrator stopped the ceremony to leave out guardian {}: {} (log \
                     entry {})",
                    g.guardian, g.reason, w.index
                )
            }));
            return Ok(CeremonyOutcome::Stopped(why));
        }
        let open = m.view.unsettled_complaints()?;
        for d in open.iter().filter(|d| d.accused == i) {
            if m.view.of(kind::SHARE_REVEAL).any(|w| {
                parse_json::<RevealJson>("share reveal", &w.body)
                    .is_ok_and(|r| r.guardian == i && r.recipient == d.accuser)
            }) {
                continue;
            }
            let revealed = guardian.reveal_for(ceremony.key(d.accuser)?);
            tracing::warn!(
                guardian = i,
                accuser = d.accuser,
                "publishing the disputed share"
            );
            opts.client.post_step(
                &signer,
                &opts.state,
                kind::SHARE_REVEAL,
                &serde_json::to_vec_pretty(&RevealJson {
                    guardian: i,
                    recipient: d.accuser,
                    share: revealed.value.to_hex(),
                    nonce: revealed.nonce.to_hex(),
                })?,
            )?;
        }
        // Shares revealed to settle this guardian's own complaints: taken once they check.
        let mut took = false;
        for w in m.view.of(kind::SHARE_REVEAL) {
            let r: RevealJson = parse_json("share reveal", &w.body)?;
            if r.recipient != i || guardian.received_shares().contains_key(&r.guardian) {
                continue;
            }
            let sender = ceremony.key(r.guardian)?;
            let shares: SharesJson = m
                .view
                .of(kind::KEY_SHARES)
                .find(|s| m.view.guardian_index(&s.author) == Some(r.guardian))
                .map(|s| parse_json("key shares", &s.body))
                .transpose()?
                .context("the accused's shares are not on the log")?;
            let share = shares
                .read::<G>()?
                .into_iter()
                .find(|s| s.recipient == i)
                .context("the accused sent this guardian no share")?;
            let revealed = RevealedShare {
                sender: r.guardian,
                recipient: i,
                value: Scalar::from_hex(&r.share)?,
                nonce: Scalar::from_hex(&r.nonce)?,
            };
            guardian
                .accept_revealed(&ctx, sender, ceremony.key(i)?, &share, &revealed)
                .with_context(|| format!("log entry {}: the revealed share", w.index))?;
            tracing::info!(guardian = i, accused = r.guardian, "complaint settled");
            took = true;
        }
        if took {
            opts.save(&guardian)?;
        }
        let verdicts = m.view.of(kind::SHARE_VERDICT).count();
        if open.is_empty() && verdicts == n {
            break;
        }
        let before = (verdicts, open.len());
        opts.wait(
            "every guardian's verdict, and every complaint settled",
            |m| {
                let stopped = m.view.of(kind::CEREMONY_STOP).next().is_some();
                let now = (
                    m.view.of(kind::SHARE_VERDICT).count(),
                    m.view.unsettled_complaints()?.len(),
                );
                Ok((stopped || now != before).then_some(()))
            },
        )?;
    }
    guardian
        .key_share()
        .context("this guardian did not keep every share")?;
    let joint = JointKey::combine(&ctx, &c.configured.h_b, ceremony.keys().cloned().collect())?;
    // The administrator's joint key must be the one the logged keys give.
    let published: ElectionInitializedJson = opts.wait("the joint key", |m| {
        m.view
            .of(kind::ELECTION_INITIALIZED)
            .next()
            .map(|w| {
                entente_record::layout::parse_in(
                    "election_initialized.json",
                    &w.body,
                    c.configured.kind.layout,
                    &|_| None,
                )
                .map_err(Into::into)
            })
            .transpose()
    })?;
    ensure!(
        published
            .joint_public_key
            .eq_ignore_ascii_case(&G::element_to_hex(&joint.key))
            && published
                .extended_base_hash
                .eq_ignore_ascii_case(&joint.extended_base_hash.to_hex()),
        "the joint key on the log is not the product of the guardians' keys: do not use this \
         election"
    );
    Ok(CeremonyOutcome::Done(Box::new(CeremonyDone {
        index: i,
        extended_base_hash: joint.extended_base_hash,
    })))
}

/// Decrypts and checks one share; the error is the complaint's reason.
fn check_share<G: KnownGroup>(
    ceremony: &Ceremony<G>,
    guardian: &mut Guardian<G>,
    ctx: &KeyContext,
    entry: u64,
    sender: u32,
    body: &[u8],
) -> std::result::Result<(), String> {
    let json: SharesJson = parse_json("key shares", body).map_err(|e| e.to_string())?;
    if json.guardian != sender {
        return Err(format!("entry {entry} claims another sender"));
    }
    let shares = json.read::<G>().map_err(|e| e.to_string())?;
    let share = shares
        .iter()
        .find(|s| s.recipient == guardian.index())
        .ok_or_else(|| format!("entry {entry} holds no share for me"))?;
    let key = ceremony.key(sender).map_err(|e| e.to_string())?;
    match guardian.receive_share(ctx, key, share) {
        Ok(()) => Ok(()),
        Err(CoreError::Complaint { reason, .. }) => Err(reason.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// What `entente guardian decrypt` did.
pub enum DecryptDone {
    /// Answered the challenges of the decryption set.
    Responded {
        /// This guardian.
        index: u32,
        /// The set.
        set: Vec<u32>,
    },
    /// Left out for the fault it played in a drill.
    Excluded {
        /// This guardian.
        index: u32,
        /// Why, as the administrator's exclusion on the log says.
        why: String,
    },
    /// Committed, but the set was fixed without this guardian.
    NotChosen {
        /// This guardian.
        index: u32,
        /// The set.
        set: Vec<u32>,
    },
}

/// Where the decryption is on the log: its round (each `decryption-exclude` ends one) and the
/// round's writes.
struct Round<'a> {
    number: usize,
    writes: Vec<&'a LoggedWrite>,
    result: bool,
    /// Guardians left out so far, with the exclusion's log entry and why.
    excluded: BTreeMap<u32, (u64, String)>,
}

fn round_of(view: &LogView) -> Result<Round<'_>> {
    let mut round = Round {
        number: 0,
        writes: Vec::new(),
        result: false,
        excluded: BTreeMap::new(),
    };
    for w in &view.writes {
        match w.kind.as_str() {
            kind::DECRYPTION_EXCLUDE => {
                let e: ExclusionJson = parse_json("exclusion", &w.body)?;
                for x in e.excluded {
                    round.excluded.insert(x.guardian, (w.index, x.reason));
                }
                round.number += 1;
                round.writes.clear();
            }
            kind::DECRYPTION_COMMIT | kind::DECRYPTION_SET | kind::DECRYPTION_RESPONSE => {
                round.writes.push(w)
            }
            kind::RESULT => round.result = true,
            _ => {}
        }
    }
    Ok(round)
}

impl Round<'_> {
    fn wrote(&self, kind: &str, author: &str) -> bool {
        self.writes
            .iter()
            .any(|w| w.kind == kind && w.author == author)
    }

    fn set(&self) -> Result<Option<DecryptionSetJson>> {
        self.writes
            .iter()
            .find(|w| w.kind == kind::DECRYPTION_SET)
            .map(|w| parse_json("decryption set", &w.body).map_err(Into::into))
            .transpose()
    }
}

/// A fault a guardian plays on purpose, to show (in a drill, the demo and the tests) that the
/// others finish without it and that it is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Drill {
    /// Answer the challenges with a response that fails its proof.
    WrongResponse,
    /// Commit, then never answer.
    Silent,
}

/// `entente guardian decrypt`: the decryption through the log, round after round until the
/// result is published. In each round this guardian commits afresh (new nonces: a nonce never
/// answers two sets of challenges), and answers the challenges if the administrator put it in
/// the round's set. A round ends with the result, or with an exclusion of guardians who
/// answered wrongly or not at all; the others then begin the next. A guardian left out stops,
/// saying why and where the log says so.
pub fn decrypt(opts: &GuardianOptions, drill: Option<Drill>) -> Result<DecryptDone> {
    let name = opts.key.name.clone();
    let c = opts.wait("the election to be created", |m| created(&m.view, &name))?;
    with_group!(c.configured.kind.group, |G| decrypt_in::<G>(opts, drill))
}

fn decrypt_in<G: KnownGroup>(opts: &GuardianOptions, drill: Option<Drill>) -> Result<DecryptDone> {
    let signer = opts.signer()?;
    let name = opts.key.name.clone();
    let record = opts.record_dir();
    let secret_path = opts.secret_path();
    let secret = crate::decrypt::GuardianSecret {
        path: &secret_path,
        passphrase_file: None,
    };
    opts.wait("the encrypted tally", |m| {
        Ok(m.view
            .of(kind::ENCRYPTED_TALLY)
            .next()
            .is_some()
            .then_some(()))
    })?;
    let mut index = None;
    let mut answered: Option<Vec<u32>> = None;
    // The ballots and the tally, read and checked once: the log cannot change them later.
    let mut prepared: Option<crate::decrypt::Prepared<G>> = None;
    loop {
        let m = opts.client.mirror(&opts.log_dir())?;
        let round = round_of(&m.view)?;
        if round.result {
            let i = index.unwrap_or_else(|| m.view.guardian_index(&name).unwrap_or(0));
            return Ok(match answered {
                Some(set) => DecryptDone::Responded { index: i, set },
                None => DecryptDone::NotChosen {
                    index: i,
                    set: round.set()?.map(|s| s.guardians).unwrap_or_default(),
                },
            });
        }
        if let Some(i) = m.view.guardian_index(&name)
            && let Some((at, why)) = round.excluded.get(&i)
        {
            if drill.is_some() {
                return Ok(DecryptDone::Excluded {
                    index: i,
                    why: format!("{why} (log entry {at})"),
                });
            }
            bail!(
                "guardian {i} was left out of the decryption by the administrator: {why} (log \
                 entry {at})"
            );
        }
        let number = round.number;
        if !round.wrote(kind::DECRYPTION_COMMIT, &name) {
            if round.set()?.is_some() {
                // The set of this round was fixed without this guardian: wait for the next
                // round or the result.
                wait_round_change(opts, number)?;
                continue;
            }
            // Round 1 of the proof: checks that the tally is the product of exactly the
            // logged cast ballots (of a checkpoint every party's witness cosigned), then
            // commits.
            let m = opts.client.mirror_witnessed(
                &opts.log_dir(),
                "the encrypted tally",
                opts.timeout,
                |m| m.view.of(kind::ENCRYPTED_TALLY).next().is_some(),
            )?;
            materialize(&m.view, &record)?;
            // The server checks each paper ballot against the print runs before it logs it;
            // the tally this guardian decrypts counts them, so it checks that again.
            let (failures, _) = crate::protocol::paper::check(&m.view);
            ensure!(
                failures.is_empty(),
                "the log's paper ballots break its print runs: this guardian refuses to decrypt \
                 a tally that counts them:\n  {}",
                failures.join("\n  ")
            );
            let p = match prepared.take() {
                Some(p) => p,
                None => prepare(opts, &record)?,
            };
            let i = crate::decrypt::commit_prepared(
                &record,
                &p,
                &secret,
                &opts.passphrase,
                opts.threads,
            )?;
            prepared = Some(p);
            index = Some(i);
            let bytes = round_file(&record, &format!("commit-guardian-{i}.json"))?;
            opts.client
                .post_step(&signer, &opts.state, kind::DECRYPTION_COMMIT, &bytes)?;
            tracing::info!(guardian = i, round = number, "decryption committed");
        }
        let set = opts.wait("the administrator to fix the decrypting guardians", |m| {
            let r = round_of(&m.view)?;
            if r.number != number || r.result {
                return Ok(Some(None));
            }
            r.set().map(|s| s.map(Some))
        })?;
        let Some(set) = set else { continue };
        let i = m.view.guardian_index(&name).unwrap_or(0);
        if set.guardians.contains(&i) && drill == Some(Drill::Silent) {
            tracing::warn!(guardian = i, "drill: silent, this guardian does not answer");
        } else if set.guardians.contains(&i) {
            let m = opts.client.mirror(&opts.log_dir())?;
            let r = round_of(&m.view)?;
            if r.number == number && !r.wrote(kind::DECRYPTION_RESPONSE, &name) {
                materialize(&m.view, &record)?;
                let p = match prepared.take() {
                    Some(p) => p,
                    None => prepare(opts, &record)?,
                };
                let responded = crate::decrypt::respond_prepared(
                    &record,
                    &p,
                    &secret,
                    &opts.passphrase,
                    opts.threads,
                );
                prepared = Some(p);
                let (i, responded) = responded?;
                let expected: BTreeSet<u32> = set.guardians.iter().copied().collect();
                ensure!(
                    responded.iter().copied().collect::<BTreeSet<u32>>() == expected,
                    "the commitments answered are not the decryption set's"
                );
                let mut bytes = round_file(&record, &format!("response-guardian-{i}.json"))?;
                if drill == Some(Drill::WrongResponse) {
                    tracing::warn!(guardian = i, "drill: this guardian answers wrongly");
                    bytes = crate::decrypt::drill_wrong_response::<G>(&bytes)?;
                }
                opts.client
                    .post_step(&signer, &opts.state, kind::DECRYPTION_RESPONSE, &bytes)?;
                tracing::info!(guardian = i, round = number, "decryption answered");
            }
            answered = Some(set.guardians.clone());
        } else {
            answered = None;
        }
        wait_round_change(opts, number)?;
    }
}

/// The decryption's batch from the guardian's copy of the log, each ballot read once and, if
/// the guardian checks the ballots itself, checked in full; refused unless the tally is the
/// product of the logged cast ballots.
fn prepare<G: KnownGroup>(
    opts: &GuardianOptions,
    record: &Path,
) -> Result<crate::decrypt::Prepared<G>> {
    let election = crate::record::Election::<G>::read(record)?;
    let files = crate::record::ballot_files(record)?;
    let logged = crate::record::Logged::read(
        &files,
        &election.setup,
        opts.check_ballots,
        opts.threads,
        false,
    )
    .context("a logged ballot does not check: this guardian refuses to decrypt")?;
    crate::decrypt::Prepared::from_logged(record, election, &logged)
}

/// A message this guardian wrote in the record's round folder, to post.
fn round_file(record: &Path, name: &str) -> Result<Vec<u8>> {
    let file = record.join(crate::decrypt::ROUND_DIR).join(name);
    std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))
}

/// Waits until the decryption leaves round `number` (an exclusion) or the result is published.
fn wait_round_change(opts: &GuardianOptions, number: usize) -> Result<()> {
    opts.wait("the result or a new round of the decryption", |m| {
        let r = round_of(&m.view)?;
        Ok((r.number != number || r.result).then_some(()))
    })
}

/// Opens the key file and reads the options common to the guardian commands.
pub fn options(
    server: &str,
    log: &str,
    key_file: &Path,
    passphrase_file: Option<&Path>,
    state: &Path,
    timeout: Duration,
    threads: usize,
) -> Result<GuardianOptions> {
    let passphrase = crate::passphrase::get(
        passphrase_file,
        &format!("the guardian key {}", key_file.display()),
        false,
    )?;
    let key = crate::board::open_key(key_file, &passphrase)?;
    let work_factor = std::fs::read(key_file)
        .ok()
        .and_then(|b| store::work_factor_of(&b));
    Ok(GuardianOptions {
        // No request outlasts a step's timeout.
        client: Client::new(server, log)?.with_request_limit(timeout),
        key,
        passphrase,
        work_factor,
        state: state.to_owned(),
        timeout,
        threads,
        check_ballots: true,
    })
}
