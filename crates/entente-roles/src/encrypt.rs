//! `entente encrypt`: an encryption device. Reads the election's setup from a record directory,
//! checks every plaintext ballot against the manifest (nothing is written if one is bad),
//! encrypts them on all cores, then chains their confirmation codes in input order and writes
//! `encrypted_ballots/<device>/eballot-<id>.json` and the device's `ballot_chain.json`.
//!
//! A device that restarts continues its chain from what it has written: the chain file names
//! the last confirmation code, and ballot files written after it (a crash between the ballot
//! files and the chain file) are found by following B_aux and taken into the chain, so that a
//! chain never forks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::error::{Context, Result, bail, refused};
use entente_core::ballot::{BallotContext, Encryptor, ProofNonces, check_plaintext};
use entente_record::ballot::chain::BallotChainJson;
use entente_record::ballot::hashes;
use entente_record::ballot::json::EncryptedBallotJson;
use entente_record::ballot::{BallotState, EncryptedBallot, PlaintextBallot, PublicKey};
use entente_record::election::{ElectionSetup, read_json};
use entente_record::{HashValue, KnownGroup, Revision, with_group};
use rand::TryRngCore;
use rayon::prelude::*;
use zeroize::Zeroizing;

use crate::files::write_atomically;

/// Which ballots the voters challenged instead of casting.
#[derive(Debug, Clone, Default)]
pub enum Challenge {
    /// All cast.
    #[default]
    None,
    /// All challenged.
    All,
    /// These ballot ids challenged, the rest cast.
    Ids(BTreeSet<String>),
}

impl Challenge {
    /// Every ballot challenged when `all`, else those of `ids` (none: every ballot cast).
    pub fn of(all: bool, ids: impl IntoIterator<Item = String>) -> Self {
        let ids: BTreeSet<String> = ids.into_iter().collect();
        if all {
            Challenge::All
        } else if ids.is_empty() {
            Challenge::None
        } else {
            Challenge::Ids(ids)
        }
    }
}

/// What `entente encrypt` was asked to do.
pub struct EncryptOptions {
    /// The record directory with manifest.json, election_config.json, election_initialized.json.
    pub record: PathBuf,
    /// The device's id; ballots go to `<record>/encrypted_ballots/<device>/`.
    pub device: String,
    /// Plaintext ballot files, or directories of them.
    pub inputs: Vec<PathBuf>,
    /// Cast or challenge.
    pub challenge: Challenge,
    /// Worker threads (0: all cores).
    pub threads: usize,
    /// Show a progress bar (when stderr is a terminal).
    pub progress: bool,
}

/// One written ballot.
#[derive(Debug, Clone)]
pub struct Written {
    /// Its id.
    pub ballot_id: String,
    /// Cast or challenged.
    pub state: BallotState,
    /// Its confirmation code.
    pub confirmation_code: HashValue,
}

/// What a run did.
#[derive(Debug)]
pub struct EncryptReport {
    /// The ballots, in chain order.
    pub ballots: Vec<Written>,
    /// Wall time of the encryption itself (not reading or writing).
    pub encrypt_time: Duration,
    /// Threads used.
    pub threads: usize,
    /// The device directory.
    pub device_dir: PathBuf,
}

/// Plaintext ballot files: the files named, and the `*.json` files of the directories named.
pub fn ballot_paths(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(input)
                .with_context(|| format!("cannot read directory {}", input.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(input.clone());
        }
    }
    if out.is_empty() {
        bail!("no plaintext ballots given");
    }
    Ok(out)
}

/// The device's chain as found on disk, with any ballots written after the chain file.
struct ChainState {
    json: BallotChainJson,
    /// The ids already on this device (to refuse duplicates).
    ids: BTreeSet<String>,
    /// The B_aux,0 of the election.
    device_info: Vec<u8>,
}

impl ChainState {
    fn load<G: KnownGroup>(dir: &Path, device: &str, setup: &ElectionSetup<G>) -> Result<Self> {
        let device_info = setup.config.baux0.clone();
        let chaining = setup.config.chain_confirmation_codes;
        let path = dir.join("ballot_chain.json");
        let mut json: BallotChainJson = if path.exists() {
            read_json(&path)?
        } else {
            let start = if chaining {
                hashes::chain_start(&setup.h_e, &device_info)
            } else {
                HashValue([0; 32])
            };
            BallotChainJson {
                encrypting_device: device.to_owned(),
                baux0: if chaining {
                    start.to_hex()
                } else {
                    hex::encode_upper(&device_info)
                },
                ballot_ids: Vec::new(),
                last_confirmation_code: start.to_hex(),
                chaining,
                closing_hash: None,
            }
        };
        if json.chaining != chaining {
            bail!(
                "{}: chaining is {}, the election config says {chaining}",
                path.display(),
                json.chaining
            );
        }
        if json.closing_hash.is_some() {
            bail!("the chain of device {device} is closed; a closed chain takes no more ballots");
        }
        let mut ids: BTreeSet<String> = json.ballot_ids.iter().cloned().collect();
        // Ballot files that the chain file does not list yet.
        let mut orphans: BTreeMap<String, (String, String)> = BTreeMap::new();
        if dir.is_dir() {
            for entry in std::fs::read_dir(dir)? {
                let p = entry?.path();
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if !(name.starts_with("eballot-") && name.ends_with(".json")) {
                    continue;
                }
                let b: EncryptedBallotJson = setup.read_record_file(&p)?;
                if !ids.contains(&b.ballot_id) {
                    orphans.insert(
                        b.code_baux.to_uppercase(),
                        (b.ballot_id, b.confirmation_code),
                    );
                }
            }
        }
        if chaining {
            // Follow B_aux from the last listed code.
            loop {
                let last = HashValue::from_hex(&json.last_confirmation_code)
                    .map_err(|e| refused!("{}: last_confirmation_code: {e}", path.display()))?;
                let aux = hashes::chain_aux(&last, json.ballot_ids.is_empty(), &device_info);
                let Some((id, code)) = orphans.remove(&hex::encode_upper(&aux)) else {
                    break;
                };
                json.ballot_ids.push(id.clone());
                json.last_confirmation_code = code;
                ids.insert(id);
            }
        } else {
            for (_, (id, code)) in std::mem::take(&mut orphans) {
                json.ballot_ids.push(id.clone());
                json.last_confirmation_code = code;
                ids.insert(id);
            }
        }
        if !orphans.is_empty() {
            let names: Vec<_> = orphans.values().map(|(id, _)| id.as_str()).collect();
            bail!(
                "{}: ballots {names:?} are on disk but not in the chain and do not continue it; \
                 the device directory has been altered",
                dir.display()
            );
        }
        Ok(Self {
            json,
            ids,
            device_info,
        })
    }
}

/// Encrypts and writes the ballots; see the module docs.
pub fn run(opts: &EncryptOptions) -> Result<EncryptReport> {
    let kind = entente_record::RecordKind::of_record(&opts.record).with_context(|| {
        format!(
            "cannot use the election record in {}",
            opts.record.display()
        )
    })?;
    with_group!(kind.group, |G| run_in::<G>(opts))
}

fn run_in<G: KnownGroup>(opts: &EncryptOptions) -> Result<EncryptReport> {
    let setup = ElectionSetup::<G>::read(&opts.record).with_context(|| {
        format!(
            "cannot use the election record in {}",
            opts.record.display()
        )
    })?;
    let paths = ballot_paths(&opts.inputs)?;
    let mut ballots = Vec::with_capacity(paths.len());
    for p in &paths {
        let b: PlaintextBallot = read_json(p)?;
        check_plaintext(&setup.manifest, &b).with_context(|| format!("{}", p.display()))?;
        ballots.push(b);
    }
    encrypt_into_record(
        &setup,
        &opts.record,
        &opts.device,
        ballots,
        &opts.challenge,
        opts.threads,
        opts.progress,
    )
}

/// The ballots of a parallel run, each with its primary nonce (zeroized when dropped), the wall
/// time and the number of threads.
pub type ParallelRun<G> = (
    Vec<(EncryptedBallot<G>, Zeroizing<[u8; 32]>)>,
    Duration,
    usize,
);

/// Encrypts checked ballots on `threads` threads (0: all cores), with a progress bar if asked.
/// Returns each ballot with its primary nonce (zeroized when dropped), without confirmation
/// codes (those are chained afterwards, in order), and the wall time.
pub fn encrypt_parallel<G: KnownGroup>(
    encryptor: &Encryptor<'_, G>,
    ballots: &[PlaintextBallot],
    device: &str,
    threads: usize,
    progress: bool,
) -> Result<ParallelRun<G>> {
    let (pool, threads) = crate::progress::pool(threads)?;
    let bar = crate::progress::bar(progress, ballots.len(), "encrypting ballots");
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let start = Instant::now();
    let encrypted = pool.install(|| {
        ballots
            .par_iter()
            .map(|b| {
                let mut rng = rand::rngs::OsRng.unwrap_err();
                let mut primary = Zeroizing::new([0u8; 32]);
                rand::RngCore::fill_bytes(&mut rng, primary.as_mut());
                let e = encryptor.encrypt(
                    b,
                    BallotContext {
                        primary_nonce: &primary,
                        code_baux: Vec::new(),
                        device,
                        timestamp,
                    },
                    |site| ProofNonces::random(site.limit(), &mut rng),
                );
                bar.inc(1);
                e.map(|e| (e, primary))
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    let elapsed = start.elapsed();
    bar.finish_and_clear();
    Ok((encrypted, elapsed, threads))
}

/// Encrypts ballots already checked against the manifest as device `device` of the record in
/// `record`, chains them after what the device has written, and writes them.
pub fn encrypt_into_record<G: KnownGroup>(
    setup: &ElectionSetup<G>,
    record: &Path,
    device: &str,
    ballots: Vec<PlaintextBallot>,
    challenge: &Challenge,
    threads: usize,
    progress: bool,
) -> Result<EncryptReport> {
    let mut chain = open_chain(setup, record, device)?;
    check_inputs(&chain, &ballots, challenge)?;
    let key = setup.public_key();
    encrypt_with_key(
        setup, &key, &mut chain, device, ballots, challenge, threads, progress,
    )
}

/// A device's chain of confirmation codes open for more ballots: read once (with any ballot
/// file written but not yet listed), then kept as [`encrypt_with_key`] adds ballots.
pub struct OpenChain {
    state: ChainState,
    dir: PathBuf,
    device: String,
}

/// Opens the chain of `device` in the record (a new one if it has none); the device's id
/// must be a plain name, since it names a directory.
pub fn open_chain<G: KnownGroup>(
    setup: &ElectionSetup<G>,
    record: &Path,
    device: &str,
) -> Result<OpenChain> {
    if device.is_empty() || device.contains(['/', '\\']) || device.starts_with('.') {
        bail!("--device {device:?}: a device id must be a plain name (it names a directory)");
    }
    let dir = record.join("encrypted_ballots").join(device);
    Ok(OpenChain {
        state: ChainState::load(&dir, device, setup)?,
        dir,
        device: device.to_owned(),
    })
}

/// What [`encrypt_into_record`] refuses before it encrypts anything: a device name that is not
/// a plain name, a ballot id that cannot name a file, is given twice or was encrypted on the
/// device before, a `--challenge` id not among the inputs.
pub fn check_inputs(
    chain: &OpenChain,
    ballots: &[PlaintextBallot],
    challenge: &Challenge,
) -> Result<()> {
    let (device, chain) = (chain.device.as_str(), &chain.state);
    let mut seen = BTreeSet::new();
    for b in ballots {
        if b.ballot_id.is_empty() || b.ballot_id.contains(['/', '\\']) {
            bail!("ballot_id {:?} cannot name a file", b.ballot_id);
        }
        if chain.ids.contains(&b.ballot_id) {
            bail!(
                "ballot {} was already encrypted on device {device}",
                b.ballot_id
            );
        }
        if !seen.insert(b.ballot_id.clone()) {
            bail!("ballot {} is given twice", b.ballot_id);
        }
    }
    if let Challenge::Ids(ids) = challenge
        && let Some(unknown) = ids.iter().find(|id| !seen.contains(*id))
    {
        bail!("--challenge {unknown}: no such ballot among the inputs");
    }

    Ok(())
}

/// [`encrypt_into_record`] with K's fixed-base table built already (a device that encrypts
/// its ballots a few at a time builds it once).
#[allow(clippy::too_many_arguments)]
pub fn encrypt_with_key<G: KnownGroup>(
    setup: &ElectionSetup<G>,
    key: &PublicKey<G>,
    chain: &mut OpenChain,
    device: &str,
    ballots: Vec<PlaintextBallot>,
    challenge: &Challenge,
    threads: usize,
    progress: bool,
) -> Result<EncryptReport> {
    let device_dir = chain.dir.clone();
    let chain = &mut chain.state;
    let encryptor = Encryptor {
        revision: Revision::V2_0_0,
        h_e: setup.h_e,
        key,
        manifest: &setup.manifest,
        layout: setup.kind.layout,
    };
    let (encrypted, encrypt_time, threads) =
        encrypt_parallel(&encryptor, &ballots, device, threads, progress)?;

    std::fs::create_dir_all(&device_dir)
        .with_context(|| format!("cannot create {}", device_dir.display()))?;
    let mut written = Vec::with_capacity(encrypted.len());
    let mut last = HashValue::from_hex(&chain.json.last_confirmation_code)
        .map_err(|e| refused!("ballot_chain.json: last_confirmation_code: {e}"))?;
    // The codes in chain order (each B_aux holds the previous code), then the files written on
    // every core: serializing and syncing a ballot costs more than its hashes.
    let mut files = Vec::with_capacity(encrypted.len());
    for (mut ballot, primary) in encrypted {
        ballot.code_baux = if chain.json.chaining {
            hashes::chain_aux(&last, chain.json.ballot_ids.is_empty(), &chain.device_info)
        } else {
            chain.device_info.clone()
        };
        ballot.confirmation_code = hashes::confirmation_code(
            &setup.h_e,
            ballot.contests.iter().map(|c| &c.contest_hash),
            &ballot.code_baux,
        );
        let challenged = match challenge {
            Challenge::None => false,
            Challenge::All => true,
            Challenge::Ids(ids) => ids.contains(&ballot.ballot_id),
        };
        ballot.state = if challenged {
            BallotState::Challenged
        } else {
            BallotState::Cast
        };
        last = ballot.confirmation_code;
        chain.ids.insert(ballot.ballot_id.clone());
        chain.json.ballot_ids.push(ballot.ballot_id.clone());
        chain.json.last_confirmation_code = last.to_hex();
        written.push(Written {
            ballot_id: ballot.ballot_id.clone(),
            state: ballot.state,
            confirmation_code: last,
        });
        // A challenged ballot reveals its primary nonce; a cast one's is erased (dropped here,
        // zeroized by Zeroizing) and never written.
        let nonce = challenged.then(|| hex::encode_upper(primary.as_ref()));
        drop(primary);
        files.push((ballot, nonce));
    }
    let (pool, _) = crate::progress::pool(threads)?;
    pool.install(|| {
        files.par_iter().try_for_each(|(ballot, nonce)| {
            let mut json = EncryptedBallotJson::write(ballot);
            json.primary_nonce = nonce.clone();
            let path = device_dir.join(format!("eballot-{}.json", ballot.ballot_id));
            // Compact: a record holds millions of ballots, read by programs (an indented
            // 4096-bit ballot is 12 % larger, a P-256 one 50 %).
            write_atomically(&path, &setup.record_bytes(&json, false)?)
        })
    })?;
    write_atomically(
        &device_dir.join("ballot_chain.json"),
        &serde_json::to_vec_pretty(&chain.json)?,
    )?;
    Ok(EncryptReport {
        ballots: written,
        encrypt_time,
        threads,
        device_dir,
    })
}

/// Closes a device's chain (spec 2.0 eq. (61)): no ballot can follow.
pub fn close(record: &Path, device: &str) -> Result<HashValue> {
    let kind = entente_record::RecordKind::of_record(record)?;
    with_group!(kind.group, |G| close_in::<G>(record, device))
}

fn close_in<G: KnownGroup>(record: &Path, device: &str) -> Result<HashValue> {
    let setup = ElectionSetup::<G>::read(record)?;
    let dir = record.join("encrypted_ballots").join(device);
    if !dir.join("ballot_chain.json").exists() {
        bail!("device {device} has no ballots in {}", record.display());
    }
    let mut chain = ChainState::load(&dir, device, &setup)?;
    if !chain.json.chaining {
        bail!("the election does not chain confirmation codes; there is nothing to close");
    }
    let last = HashValue::from_hex(&chain.json.last_confirmation_code)
        .map_err(|e| refused!("ballot_chain.json: last_confirmation_code: {e}"))?;
    let closing = hashes::chain_close(&setup.h_e, &last, &chain.device_info);
    chain.json.closing_hash = Some(closing.to_hex());
    write_atomically(
        &dir.join("ballot_chain.json"),
        &serde_json::to_vec_pretty(&chain.json)?,
    )?;
    Ok(closing)
}
