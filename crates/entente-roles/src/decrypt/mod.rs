//! `entente decrypt`: the guardians decrypt the record's tally and challenged ballots, each
//! guardian in its own process from its own passphrase-protected secret file, in two rounds of
//! public messages kept in the record's `decryption/` folder, then a combine step that anyone
//! can run (spec 2.0 §3.6).
//!
//! 1. `commit`: the guardian checks that what it is asked to decrypt is the product of the
//!    record's cast ballots and its challenged ballots (nothing else: decrypting a single cast
//!    ballot would reveal a vote), and publishes its partial decryptions with commitments. Its
//!    nonce seed is sealed beside its secret file.
//! 2. `respond`: once a quorum has committed, the guardian computes the joint challenges itself
//!    from every published commitment and answers them; its sealed seed is deleted first, so
//!    the same nonces can never answer other challenges.
//! 3. `combine`: every answer is checked against its guardian's commitments and public share (a
//!    guardian whose share is wrong is named), the shares are combined with the Lagrange
//!    coefficients of the guardians present, and `tally.json` and
//!    `challenged_ballots/dballot-<id>.json` are written.

use entente_core::CoreError;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::error::{Context, Result, RolesError, bail, refused};
use age::secrecy::SecretString;
use entente_core::decrypt::{
    DecryptingGuardian, DlogTable, ElectionBatch, ElectionResult, NonceSeed, Target,
    share_public_key,
};
use entente_core::keys::{Guardian, store};
use entente_group::{Group, Scalar, SecretScalar};
use entente_record::ballot::BallotState;
use entente_record::election::ElectionSetup;
use entente_record::manifest::Manifest;
use entente_record::tally::DecryptedTallyJson;
use entente_record::{KnownGroup, RecordKind, with_group};
use rand::TryRngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::files::write_atomically;

mod messages;
use crate::record::{self, Election, Logged};
pub use messages::drill_wrong_response;
use messages::{
    COMMIT_FORMAT, CommitFile, CommitItem, RESPONSE_FORMAT, ResponseFile, RoundState, STATE_FORMAT,
    read_commitments, read_responses, sha256_hex,
};

/// The record's folder of decryption messages.
pub const ROUND_DIR: &str = "decryption";

/// A guardian's secret file and where its passphrase comes from.
pub struct GuardianSecret<'a> {
    /// The age file the key ceremony wrote.
    pub path: &'a Path,
    /// `--passphrase-file`, if given.
    pub passphrase_file: Option<&'a Path>,
}

impl GuardianSecret<'_> {
    fn passphrase(&self) -> Result<SecretString> {
        crate::passphrase::get(
            self.passphrase_file,
            &format!("the guardian secret {}", self.path.display()),
            false,
        )
    }

    /// The sealed round state beside the secret file.
    fn state_path(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".decrypt-round");
        PathBuf::from(name)
    }

    /// Opens the secret and checks that it is a guardian of this election: its key share must
    /// match the share key that the record's commitments give it.
    fn open<G: KnownGroup>(
        &self,
        election: &Election<G>,
        passphrase: &SecretString,
    ) -> Result<(DecryptingGuardian<G>, Option<u8>)> {
        let bytes = std::fs::read(self.path)
            .with_context(|| format!("cannot read the guardian secret {}", self.path.display()))?;
        let guardian: Guardian<G> = store::open(&bytes, passphrase)
            .with_context(|| format!("cannot open {}", self.path.display()))?;
        let i = guardian.index();
        let share = guardian
            .key_share()
            .with_context(|| format!("{}: guardian {i} has no key share", self.path.display()))?;
        if !election.guardians.iter().any(|g| g.index() == i)
            || G::g_pow(share.expose()) != share_public_key(&election.guardians, i)
        {
            bail!(
                "{} holds the secret of guardian {i} of another election: its key share does not \
                 match this record's commitments",
                self.path.display()
            );
        }
        Ok((
            DecryptingGuardian::new(i, share),
            store::work_factor_of(&bytes),
        ))
    }
}

/// The digest that names a batch: every item's bytes, in order, under H_E.
fn batch_digest<G: KnownGroup>(
    h_e: &entente_record::HashValue,
    batch: &ElectionBatch<G>,
) -> String {
    let mut h = Sha256::new();
    h.update(b"entente decryption batch/1");
    h.update(h_e.as_bytes());
    for t in batch.targets() {
        match t {
            Target::Vote(ct) => {
                h.update([1]);
                h.update(G::element_to_bytes(&ct.alpha));
                h.update(G::element_to_bytes(&ct.beta));
            }
            Target::ContestData {
                data,
                contest_id,
                contest_index,
            } => {
                h.update([2]);
                h.update(G::element_to_bytes(&data.c0));
                h.update((data.c1.len() as u64).to_be_bytes());
                h.update(&data.c1);
                h.update(data.c2);
                h.update(data.num_bytes.to_be_bytes());
                h.update((contest_id.len() as u64).to_be_bytes());
                h.update(contest_id.as_bytes());
                h.update(contest_index.to_be_bytes());
            }
        }
    }
    entente_group::hex::encode(&h.finalize())
}

/// What a decryption works on, read and checked once per process (a guardian reads each ballot
/// once per election, not once per round): the record's election, and the batch the guardians
/// are asked to decrypt, with the digest that names it.
pub struct Prepared<G: KnownGroup> {
    /// The record's setup and guardians.
    pub election: Election<G>,
    /// The tally and the challenged ballots.
    pub batch: ElectionBatch<G>,
    digest: String,
}

impl<G: KnownGroup> Prepared<G> {
    /// Reads the record in `dir`: its election, its encrypted tally and every ballot, checked
    /// as [`Prepared::from_logged`] says.
    pub fn read(dir: &Path, threads: usize, progress: bool) -> Result<Self> {
        let election = Election::<G>::read(dir)?;
        let logged = Logged::read(
            &record::ballot_files(dir)?,
            &election.setup,
            false,
            threads,
            progress,
        )?;
        Self::from_logged(dir, election, &logged)
    }

    /// The batch of the record's encrypted tally and `logged`'s challenged ballots, checked:
    /// the tally must be the product of exactly the cast ballots of `logged` (eq. (62)), and no
    /// challenged ballot may reuse an encryption of a cast one.
    pub fn from_logged(dir: &Path, election: Election<G>, logged: &Logged<G>) -> Result<Self> {
        let tally = record::read_encrypted_tally(dir, &election.setup)?;
        if tally.election_id != election.setup.h_e {
            bail!(
                "{}: election_id is not this election's H_E",
                record::ENCRYPTED_TALLY
            );
        }
        entente_core::tally::check_is_product(&tally, &logged.ballots).map_err(|e| {
            refused!(
                "{}: {e} (eq. (62)); the guardians refuse to decrypt it",
                record::ENCRYPTED_TALLY
            )
        })?;
        let cast_encryptions: HashMap<Vec<u8>, &str> = logged
            .ballots
            .iter()
            .filter(|b| b.state == BallotState::Cast)
            .flat_map(|b| {
                b.contests.iter().flat_map(move |(_, selections)| {
                    selections
                        .iter()
                        .map(move |(_, ct)| (G::element_to_bytes(&ct.alpha), b.ballot_id.as_str()))
                })
            })
            .collect();
        for b in &logged.challenged {
            for c in &b.contests {
                for s in &c.selections {
                    if let Some(cast) =
                        cast_encryptions.get(&G::element_to_bytes(&s.ciphertext.alpha))
                    {
                        bail!(
                            "challenged ballot {} reuses an encryption of cast ballot {cast} \
                             (contest {}, selection {}): decrypting it would reveal a vote; \
                             the guardians refuse",
                            b.ballot_id,
                            c.contest_id,
                            s.selection_id
                        );
                    }
                }
            }
        }
        let batch =
            ElectionBatch::new(tally, logged.challenged.clone(), election.setup.kind.layout)
                .map_err(|e| refused!("{e}"))?;
        let digest = batch_digest(&election.setup.h_e, &batch);
        Ok(Self {
            election,
            batch,
            digest,
        })
    }
}

fn round_dir(dir: &Path) -> Result<PathBuf> {
    let d = dir.join(ROUND_DIR);
    std::fs::create_dir_all(&d).with_context(|| format!("cannot create {}", d.display()))?;
    Ok(d)
}

/// Round 1 for one guardian: writes `decryption/commit-guardian-<i>.json`; returns i.
pub fn commit(
    dir: &Path,
    secret: &GuardianSecret<'_>,
    threads: usize,
    progress: bool,
) -> Result<u32> {
    commit_with(dir, secret, &secret.passphrase()?, threads, progress)
}

/// [`commit`] with the secret's passphrase already at hand (a guardian process that asked
/// for it once).
pub fn commit_with(
    dir: &Path,
    secret: &GuardianSecret<'_>,
    passphrase: &SecretString,
    threads: usize,
    progress: bool,
) -> Result<u32> {
    let kind = RecordKind::of_record(dir)?;
    with_group!(kind.group, |G| {
        let prepared = Prepared::<G>::read(dir, threads, progress)?;
        commit_prepared(dir, &prepared, secret, passphrase, threads)
    })
}

/// [`commit_with`] on a batch already read and checked.
pub fn commit_prepared<G: KnownGroup>(
    dir: &Path,
    prepared: &Prepared<G>,
    secret: &GuardianSecret<'_>,
    passphrase: &SecretString,
    threads: usize,
) -> Result<u32> {
    let (election, batch) = (&prepared.election, &prepared.batch);
    let (guardian, work_factor) = secret.open(election, passphrase)?;
    let i = guardian.index();
    let digest = prepared.digest.clone();
    let seed = NonceSeed::random(&mut rand::rngs::OsRng.unwrap_err());
    let (pool, _) = crate::progress::pool(threads)?;
    let partials = pool.install(|| guardian.commit(batch.targets(), &seed));
    let file = CommitFile {
        format: COMMIT_FORMAT.into(),
        guardian: i,
        batch: digest.clone(),
        items: partials
            .iter()
            .map(|p| CommitItem {
                share: G::element_to_hex(&p.share),
                a: G::element_to_hex(&p.a),
                b: G::element_to_hex(&p.b),
            })
            .collect(),
    };
    let bytes = serde_json::to_vec_pretty(&file)?;
    let state = RoundState {
        format: STATE_FORMAT.into(),
        guardian: i,
        batch: digest,
        commitment: sha256_hex(&bytes),
        seed: Zeroizing::new(entente_group::hex::encode(seed.expose_bytes())),
    };
    let sealed = store::seal_bytes(
        &Zeroizing::new(serde_json::to_vec(&state)?),
        passphrase,
        work_factor,
    )?;
    // The seed is kept before the commitments are published: a guardian whose commitments are
    // out can always answer them (or commit afresh, which replaces both).
    write_atomically(&secret.state_path(), &sealed)?;
    write_atomically(
        &round_dir(dir)?.join(format!("commit-guardian-{i}.json")),
        &bytes,
    )?;
    Ok(i)
}

/// Round 2 for one guardian: writes `decryption/response-guardian-<i>.json`; returns i and the
/// guardians whose commitments it answered.
pub fn respond(
    dir: &Path,
    secret: &GuardianSecret<'_>,
    threads: usize,
    progress: bool,
) -> Result<(u32, Vec<u32>)> {
    respond_with(dir, secret, &secret.passphrase()?, threads, progress)
}

/// [`respond`] with the secret's passphrase already at hand.
pub fn respond_with(
    dir: &Path,
    secret: &GuardianSecret<'_>,
    passphrase: &SecretString,
    threads: usize,
    progress: bool,
) -> Result<(u32, Vec<u32>)> {
    let kind = RecordKind::of_record(dir)?;
    with_group!(kind.group, |G| {
        let prepared = Prepared::<G>::read(dir, threads, progress)?;
        respond_prepared(dir, &prepared, secret, passphrase, threads)
    })
}

/// [`respond_with`] on a batch already read and checked.
pub fn respond_prepared<G: KnownGroup>(
    dir: &Path,
    prepared: &Prepared<G>,
    secret: &GuardianSecret<'_>,
    passphrase: &SecretString,
    threads: usize,
) -> Result<(u32, Vec<u32>)> {
    let (election, batch) = (&prepared.election, &prepared.batch);
    let (guardian, _) = secret.open(election, passphrase)?;
    let i = guardian.index();
    let state_path = secret.state_path();
    if !state_path.exists() {
        bail!(
            "guardian {i} has no open decryption round ({} is missing): run `entente decrypt \
             commit` first; each round's nonces answer one set of challenges only",
            state_path.display()
        );
    }
    let sealed = std::fs::read(&state_path)
        .with_context(|| format!("cannot read {}", state_path.display()))?;
    let plain = store::open_bytes(&sealed, passphrase)
        .with_context(|| format!("cannot open {}", state_path.display()))?;
    let state: RoundState = serde_json::from_slice(&plain)
        .with_context(|| format!("{}: not a decryption round state", state_path.display()))?;
    if state.format != STATE_FORMAT || state.guardian != i {
        bail!("{} is not guardian {i}'s round state", state_path.display());
    }
    let digest = prepared.digest.clone();
    if digest != state.batch {
        bail!(
            "the record's tally or challenged ballots changed since guardian {i} committed: run \
             `entente decrypt commit` again"
        );
    }
    let (commitments, digests) =
        read_commitments(&dir.join(ROUND_DIR), &digest, batch.targets().len())?;
    if digests.get(&i) != Some(&state.commitment) {
        bail!(
            "guardian {i}'s commitment file in {} is not the one it wrote: run `entente decrypt \
             commit` again",
            dir.join(ROUND_DIR).display()
        );
    }
    let combiner = election.combiner();
    let (pool, _) = crate::progress::pool(threads)?;
    let challenges = pool
        .install(|| combiner.challenges(batch.targets(), &commitments))
        .map_err(|e| explain(e, batch))?;
    let seed_bytes: [u8; 32] = entente_group::hex::decode_array(&state.seed)
        .map_err(|e| refused!("{}: seed: {e}", state_path.display()))?;
    let seed = NonceSeed::from_bytes(seed_bytes);
    // The seed goes before any answer leaves: a crash here costs a new commit, never a nonce
    // used twice.
    std::fs::remove_file(&state_path)
        .with_context(|| format!("cannot remove {}", state_path.display()))?;
    if let Some(parent) = state_path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::File::open(parent).and_then(|d| d.sync_all()).ok();
    }
    let cs: Vec<<G as Group>::Scalar> = challenges
        .iter()
        .map(|c| c.per_guardian[&i].clone())
        .collect();
    let responses = guardian.respond(seed, &cs);
    let answered: Vec<u32> = commitments.keys().copied().collect();
    let file = ResponseFile {
        format: RESPONSE_FORMAT.into(),
        guardian: i,
        batch: digest,
        answered: answered.clone(),
        responses: responses.iter().map(Scalar::to_hex).collect(),
    };
    write_atomically(
        &round_dir(dir)?.join(format!("response-guardian-{i}.json")),
        &serde_json::to_vec_pretty(&file)?,
    )?;
    Ok((i, answered))
}

/// A decryption error with the item named as the record names it.
fn explain<G: KnownGroup>(e: CoreError, batch: &ElectionBatch<G>) -> RolesError {
    match e {
        CoreError::BadShare { guardian, item } => refused!(
            "guardian {guardian}'s decryption share of {} fails its proof (spec 2.0 eq. (74)/(75) \
             or (83)/(84)): its decryption is refused",
            batch.describe(item)
        ),
        CoreError::OutOfBound { item, bound } => refused!(
            "{}: the decrypted value is not in 0..={bound}: not a tally of these ballots",
            batch.describe(item)
        ),
        CoreError::ContestData { item, reason } => {
            refused!("{}: {reason}", batch.describe(item))
        }
        other => refused!("{other}"),
    }
}

/// The combine step's outcome.
pub struct Combined<G: KnownGroup> {
    /// The tally and challenged ballots, decrypted with proofs.
    pub result: ElectionResult<G>,
    /// The guardians whose shares were combined.
    pub present: Vec<u32>,
    /// The guardians absent.
    pub absent: Vec<u32>,
    /// The election's manifest, for naming contests and options.
    pub manifest: Manifest,
}

/// What [`combine`] did, as people read it.
pub struct CombineReport {
    /// The guardians whose shares were combined.
    pub present: Vec<u32>,
    /// The guardians absent.
    pub absent: Vec<u32>,
    /// The result, contest by contest ([`crate::result::result_table`]).
    pub table: String,
    /// How many challenged ballots were decrypted.
    pub challenged: usize,
}

/// Checks every guardian's answers, combines them and writes `tally.json` and
/// `challenged_ballots/`.
pub fn combine(dir: &Path, threads: usize, progress: bool) -> Result<CombineReport> {
    let kind = RecordKind::of_record(dir)?;
    with_group!(kind.group, |G| combine_in::<G>(dir, threads, progress))
}

fn combine_in<G: KnownGroup>(dir: &Path, threads: usize, progress: bool) -> Result<CombineReport> {
    let out = combine_prepared(dir, &Prepared::<G>::read(dir, threads, progress)?, threads)?;
    Ok(CombineReport {
        table: crate::result::result_table(&out.manifest, &out.result.tally),
        challenged: out.result.challenged.len(),
        present: out.present,
        absent: out.absent,
    })
}

/// [`combine`] on a batch already read and checked.
pub fn combine_prepared<G: KnownGroup>(
    dir: &Path,
    prepared: &Prepared<G>,
    threads: usize,
) -> Result<Combined<G>> {
    let (election, batch, digest) = (&prepared.election, &prepared.batch, &prepared.digest);
    let n = batch.targets().len();
    let (commitments, _) = read_commitments(&dir.join(ROUND_DIR), digest, n)?;
    let present: Vec<u32> = commitments.keys().copied().collect();
    let combiner = election.combiner();
    combiner
        .present(&present)
        .map_err(|e| refused!("{e} (guardians {present:?} have committed)"))?;
    let (responses, unfit) = read_responses::<G>(&dir.join(ROUND_DIR), digest, &present)?;
    if let Some((i, why)) = unfit.iter().next() {
        bail!("guardian {i}'s response does not fit the round: {why}");
    }
    if let Some(missing) = present.iter().find(|i| !responses.contains_key(i)) {
        bail!("guardian {missing} has committed but not responded yet (`entente decrypt respond`)");
    }
    let max_limit = election.setup.manifest.largest_option_limit();
    let dlog = DlogTable::new(&election.key, batch.bound(max_limit));
    let (pool, _) = crate::progress::pool(threads)?;
    let results = pool.install(|| {
        let challenges = combiner.challenges(batch.targets(), &commitments)?;
        combiner.finish(
            batch.targets(),
            &commitments,
            &challenges,
            &responses,
            &dlog,
        )
    });
    let results = results.map_err(|e| explain(e, batch))?;
    let result = batch.assemble(results).map_err(|e| explain(e, batch))?;
    write_result(dir, &election.setup, &result)?;
    let absent = election
        .guardians
        .iter()
        .map(|g| g.index())
        .filter(|i| !present.contains(i))
        .collect();
    Ok(Combined {
        result,
        present,
        absent,
        manifest: election.setup.manifest.clone(),
    })
}

/// The guardians of the record's current round (`decryption/`) whose responses fail their
/// proofs, each with the item it fails on (as the record names it): the responses that are in
/// are judged, whoever is still silent.
pub fn failing_responses(dir: &Path, threads: usize) -> Result<BTreeMap<u32, String>> {
    failing_responses_in(dir, &dir.join(ROUND_DIR), threads)
}

/// [`failing_responses`] on a batch already read and checked.
pub fn failing_responses_prepared<G: KnownGroup>(
    dir: &Path,
    prepared: &Prepared<G>,
    threads: usize,
) -> Result<BTreeMap<u32, String>> {
    failing_in(
        &prepared.election,
        &prepared.batch,
        &prepared.digest,
        &dir.join(ROUND_DIR),
        threads,
    )
}

/// [`failing_responses`] of the round whose messages are in `round` (an earlier round's
/// folder, `decryption/round-<r>/`, to check an exclusion after the fact).
pub fn failing_responses_in(
    dir: &Path,
    round: &Path,
    threads: usize,
) -> Result<BTreeMap<u32, String>> {
    let kind = RecordKind::of_record(dir)?;
    with_group!(kind.group, |G| {
        let p = Prepared::<G>::read(dir, threads, false)?;
        failing_in(&p.election, &p.batch, &p.digest, round, threads)
    })
}

fn failing_in<G: KnownGroup>(
    election: &Election<G>,
    batch: &ElectionBatch<G>,
    digest: &str,
    round: &Path,
    threads: usize,
) -> Result<BTreeMap<u32, String>> {
    let (commitments, _) = read_commitments(round, digest, batch.targets().len())?;
    let present: Vec<u32> = commitments.keys().copied().collect();
    let (responses, unfit) = read_responses::<G>(round, digest, &present)?;
    let combiner = election.combiner();
    let (pool, _) = crate::progress::pool(threads)?;
    let failing = pool.install(|| -> Result<BTreeMap<u32, usize>> {
        let challenges = combiner
            .challenges(batch.targets(), &commitments)
            .map_err(|e| explain(e, batch))?;
        Ok(combiner.failing_responses(batch.targets(), &commitments, &challenges, &responses))
    })?;
    let mut out: BTreeMap<u32, String> = failing
        .into_iter()
        .map(|(i, item)| {
            (
                i,
                format!(
                    "its response for {} fails its proof (spec 2.0 eq. (74)/(75) or (83)/(84))",
                    batch.describe(item)
                ),
            )
        })
        .collect();
    out.extend(unfit);
    Ok(out)
}

/// Writes `tally.json` and `challenged_ballots/dballot-<id>.json`.
pub fn write_result<G: KnownGroup>(
    dir: &Path,
    setup: &ElectionSetup<G>,
    result: &ElectionResult<G>,
) -> Result<()> {
    write_atomically(
        &dir.join(record::TALLY),
        &setup.record_bytes(&DecryptedTallyJson::write(&result.tally), true)?,
    )?;
    if !result.challenged.is_empty() {
        let d = dir.join(record::CHALLENGED);
        std::fs::create_dir_all(&d).with_context(|| format!("cannot create {}", d.display()))?;
        for b in &result.challenged {
            write_atomically(
                &d.join(format!("dballot-{}.json", b.id)),
                &setup.record_bytes(&DecryptedTallyJson::write(b), true)?,
            )?;
        }
    }
    Ok(())
}

/// The key share of an in-process guardian (the demo).
pub fn in_process<G: KnownGroup>(guardian: &Guardian<G>) -> Result<DecryptingGuardian<G>> {
    let share: SecretScalar<_> = guardian
        .key_share()
        .with_context(|| format!("guardian {} has no key share", guardian.index()))?;
    Ok(DecryptingGuardian::new(guardian.index(), share))
}
