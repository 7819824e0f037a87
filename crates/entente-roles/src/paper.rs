//! Pre-encrypted paper ballots (spec 2.0 §4): the print run and the scanning station.
//!
//! A print run ([`print_run`]) draws a primary nonce ξ per ballot, pre-encrypts every option of
//! the style (`entente_core::ballot::preencrypt`) and keeps, per ballot, what the printer puts on
//! paper (each option's short code, the confirmation code, the id) and what the scanning station
//! needs to record it (ξ). A ballot whose short codes collide within a contest is drawn again
//! (§4.1.4). The run's file holds the ξ of every ballot: whoever holds it can open every
//! ballot of the run, so it goes from the printer to the scanning stations only, as the spec's
//! "local database" of nonces (§4.3.1).
//!
//! A scanning station ([`record_marked`]) takes each marked ballot's id and the short codes
//! read off it, regenerates the ballot from ξ, records it (§4.3) and writes it into the record
//! as its device, one file per ballot as `entente encrypt` does. Its ballots' codes were fixed
//! at printing, so they cannot continue a chain in scanning order: the station's chain file
//! says it does not chain, and lists its ballots.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use entente_core::ballot::{Encryptor, MarkedBallot, PreEncryptedBallot, ProofNonces, Station};
use entente_record::ballot::chain::BallotChainJson;
use entente_record::ballot::json::EncryptedBallotJson;
use entente_record::ballot::{BallotState, PublicKey};
use entente_record::election::ElectionSetup;
use entente_record::manifest::Manifest;
use entente_record::{KnownGroup, Revision};
use rand::{CryptoRng, Rng, RngCore, TryRngCore};
use rayon::prelude::*;

use crate::encrypt::Written;
use crate::error::{Context, Result, bail, ensure};
use crate::files::write_atomically;

pub use crate::print_run::{
    MarkedPaper, PRINT_RUN_FILE, PrintRun, PrintedBallot, PrintedContest, PrintedOption,
};

/// How many times a ballot is drawn again when its short codes collide, before the run gives
/// up (with five hex digits a collision within a contest of m options has probability about
/// m² / 2^21: a second draw almost never collides too).
const DRAWS: usize = 64;

/// Pre-encrypts one ballot of `style` per id, each from a fresh ξ, drawn again while its short
/// codes collide within a contest.
pub fn print_run<G: KnownGroup, R: RngCore + CryptoRng>(
    setup: &ElectionSetup<G>,
    key: &PublicKey<G>,
    style: &str,
    ids: &[String],
    rng: &mut R,
) -> Result<PrintRun> {
    ensure!(
        setup.manifest.styles.contains_key(style),
        "ballot style {style:?} is not in the manifest (it has {})",
        setup
            .manifest
            .styles
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut seen = BTreeSet::new();
    let mut ballots = Vec::with_capacity(ids.len());
    for id in ids {
        ensure!(
            !id.is_empty() && !id.contains(['/', '\\']),
            "ballot id {id:?} cannot name a file"
        );
        ensure!(seen.insert(id.as_str()), "ballot id {id} is given twice");
        let mut drawn = None;
        for _ in 0..DRAWS {
            let mut primary = zeroize::Zeroizing::new([0u8; 32]);
            rng.fill_bytes(primary.as_mut());
            let pre = entente_core::ballot::preencrypt(
                Revision::V2_0_0,
                &setup.h_e,
                key,
                &setup.manifest,
                style,
                &primary,
                &setup.config.baux0,
            )?;
            if !pre.has_short_code_collision() {
                drawn = Some((pre, primary));
                break;
            }
        }
        let Some((pre, primary)) = drawn else {
            bail!("ballot {id}: every one of {DRAWS} draws had colliding short codes")
        };
        ballots.push(printed(
            &setup.manifest,
            id,
            &pre,
            &primary,
            &setup.config.baux0,
        ));
    }
    Ok(PrintRun {
        election: setup.h_e.to_hex(),
        ballots,
    })
}

fn printed<G: KnownGroup>(
    manifest: &Manifest,
    id: &str,
    pre: &PreEncryptedBallot<G>,
    primary: &[u8; 32],
    baux: &[u8],
) -> PrintedBallot {
    PrintedBallot {
        ballot_id: id.to_owned(),
        ballot_style: pre.style.clone(),
        primary_nonce: hex::encode_upper(primary).into(),
        code_baux: hex::encode_upper(baux),
        confirmation_code: pre.confirmation_code.to_hex(),
        contests: pre
            .contests
            .iter()
            .filter_map(|c| {
                let m = manifest.contest(&c.contest_id)?;
                Some(PrintedContest {
                    contest_id: c.contest_id.clone(),
                    name: m.name.clone(),
                    votes_allowed: m.limit,
                    options: m
                        .options
                        .iter()
                        .zip(&c.selections)
                        .map(|(o, s)| PrintedOption {
                            selection_id: o.id.clone(),
                            name: manifest.option_name(o),
                            short_code: s.short_code.clone(),
                        })
                        .collect(),
                })
            })
            .collect(),
    }
}

/// What `entente pre-encrypt` was asked to do.
pub struct PreEncryptOptions {
    /// The election record (its setup files).
    pub record: std::path::PathBuf,
    /// The ballot style.
    pub style: String,
    /// How many ballots.
    pub count: usize,
    /// The first ballot's number (ids are `<prefix><number>`).
    pub first: usize,
    /// The ids' prefix.
    pub prefix: String,
    /// Where to write the PDFs and the print run's file (created; must not hold a run).
    pub out: std::path::PathBuf,
    /// The voter's page for a code is this URL followed by the code.
    pub page_url: Option<String>,
}

/// `entente pre-encrypt`: a print run of `count` ballots, written as `print_run.json` (secret:
/// the ξ of every ballot) and one `ballot-<id>.pdf` per ballot. Returns the run.
pub fn pre_encrypt(opts: &PreEncryptOptions) -> Result<PrintRun> {
    let kind = entente_record::RecordKind::of_record(&opts.record).with_context(|| {
        format!(
            "cannot use the election record in {}",
            opts.record.display()
        )
    })?;
    entente_record::with_group!(kind.group, |G| pre_encrypt_in::<G>(opts))
}

fn pre_encrypt_in<G: KnownGroup>(opts: &PreEncryptOptions) -> Result<PrintRun> {
    let setup = ElectionSetup::<G>::read(&opts.record).with_context(|| {
        format!(
            "cannot use the election record in {}",
            opts.record.display()
        )
    })?;
    ensure!(opts.count > 0, "--count must be at least 1");
    let run_path = opts.out.join(PRINT_RUN_FILE);
    ensure!(
        !run_path.exists(),
        "{} exists: a print run is never overwritten (its nonces may be in use); choose another \
         --out",
        run_path.display()
    );
    let ids: Vec<String> = (opts.first..opts.first + opts.count)
        .map(|i| format!("{}{i:06}", opts.prefix))
        .collect();
    let mut rng = rand::rngs::OsRng.unwrap_err();
    let run = print_run(&setup, &setup.public_key(), &opts.style, &ids, &mut rng)?;
    std::fs::create_dir_all(&opts.out)
        .with_context(|| format!("cannot create {}", opts.out.display()))?;
    for b in &run.ballots {
        let pdf = crate::paper_pdf::ballot_pdf(
            b,
            &setup.manifest.election_scope_id,
            opts.page_url.as_deref(),
        )?;
        write_atomically(&opts.out.join(format!("ballot-{}.pdf", b.ballot_id)), &pdf)?;
    }
    write_atomically(&run_path, &serde_json::to_vec_pretty(&run)?)?;
    Ok(run)
}

/// Random marks for a printed ballot, as a demo's voters make them: in each contest usually as
/// many options as allowed, sometimes fewer (an under-vote), now and then none.
pub fn random_marks(ballot: &PrintedBallot, rng: &mut impl Rng) -> MarkedPaper {
    use rand::seq::SliceRandom;
    let marks = ballot
        .contests
        .iter()
        .map(|c| {
            let limit = (c.votes_allowed as usize).min(c.options.len());
            let n = match rng.random_range(0..100) {
                0..5 => 0,
                5..30 => rng.random_range(0..=limit),
                _ => limit,
            };
            let mut codes: Vec<String> = c.options.iter().map(|o| o.short_code.clone()).collect();
            codes.shuffle(rng);
            codes.truncate(n);
            (c.contest_id.clone(), codes)
        })
        .collect();
    MarkedPaper {
        ballot_id: ballot.ballot_id.clone(),
        marks,
    }
}

/// `entente record-paper`: records marked ballots of `run` as scanning station `device` into
/// the record in `record`, in the group its constants say ([`record_marked`]).
pub fn record_paper(
    record: &Path,
    device: &str,
    run: &PrintRun,
    marked: &[MarkedPaper],
    threads: usize,
) -> Result<Vec<Written>> {
    let kind = entente_record::RecordKind::of_record(record)
        .with_context(|| format!("cannot use the election record in {}", record.display()))?;
    entente_record::with_group!(kind.group, |G| {
        let setup = ElectionSetup::<G>::read(record)?;
        record_marked(&setup, record, device, run, marked, threads)
    })
}

/// Adds the votes of marked ballots of `run` to `counts` per (contest, option), as the tally
/// must count them: an overvoted contest counts for nobody (§3.3.3).
pub fn count_marks(
    run: &PrintRun,
    marked: &[MarkedPaper],
    counts: &mut BTreeMap<(String, String), u64>,
) {
    let by_id = run.by_id();
    for m in marked {
        let Some(b) = by_id.get(m.ballot_id.as_str()) else {
            continue;
        };
        for c in &b.contests {
            let codes = m.marks.get(&c.contest_id).map_or(&[][..], Vec::as_slice);
            if codes.len() > c.votes_allowed as usize {
                continue;
            }
            for o in c.options.iter().filter(|o| codes.contains(&o.short_code)) {
                *counts
                    .entry((c.contest_id.clone(), o.selection_id.clone()))
                    .or_default() += 1;
            }
        }
    }
}

/// Records marked ballots of `run` as scanning station `device` of the record in `record`:
/// every mark is checked (the ballot is of this run and this election, not recorded before,
/// each code one of its contest's) before anything is written; then each ballot is recorded on
/// all cores and written, and the station's chain file lists it.
pub fn record_marked<G: KnownGroup>(
    setup: &ElectionSetup<G>,
    record: &Path,
    device: &str,
    run: &PrintRun,
    marked: &[MarkedPaper],
    threads: usize,
) -> Result<Vec<Written>> {
    ensure!(
        !device.is_empty() && !device.contains(['/', '\\']) && !device.starts_with('.'),
        "device {device:?}: a device id must be a plain name (it names a directory)"
    );
    ensure!(
        run.election.eq_ignore_ascii_case(&setup.h_e.to_hex()),
        "the print run is for election {}, the record is election {}",
        run.election,
        setup.h_e.to_hex()
    );
    let dir = record.join("encrypted_ballots").join(device);
    let chain_path = dir.join("ballot_chain.json");
    let mut chain: BallotChainJson = if chain_path.exists() {
        entente_record::election::read_json(&chain_path)?
    } else {
        BallotChainJson {
            encrypting_device: device.to_owned(),
            baux0: hex::encode_upper(&setup.config.baux0),
            ballot_ids: Vec::new(),
            last_confirmation_code: entente_record::HashValue([0; 32]).to_hex(),
            chaining: false,
            closing_hash: None,
        }
    };
    ensure!(
        !chain.chaining && chain.closing_hash.is_none(),
        "{}: not an open scanning station's chain",
        chain_path.display()
    );
    let by_id = run.by_id();
    let mut done: BTreeSet<&str> = chain.ballot_ids.iter().map(String::as_str).collect();
    let mut work = Vec::with_capacity(marked.len());
    for m in marked {
        let Some(printed) = by_id.get(m.ballot_id.as_str()) else {
            bail!("ballot {}: not a ballot of this print run", m.ballot_id)
        };
        ensure!(
            done.insert(m.ballot_id.as_str()),
            "ballot {} is recorded already or given twice",
            m.ballot_id
        );
        let marks = MarkedBallot {
            ballot_id: m.ballot_id.clone(),
            style: printed.ballot_style.clone(),
            primary_nonce: entente_group::hex::decode_array(&printed.primary_nonce)
                .map_err(|e| crate::error::refused!("ballot {}: primary_nonce: {e}", m.ballot_id))?
                .into(),
            code_baux: hex::decode(&printed.code_baux)
                .with_context(|| format!("ballot {}: code_baux", m.ballot_id))?,
            marks: m.marks.clone(),
        };
        work.push(marks);
    }
    let key = setup.public_key();
    let encryptor = Encryptor {
        revision: Revision::V2_0_0,
        h_e: setup.h_e,
        key: &key,
        manifest: &setup.manifest,
        layout: setup.kind.layout,
    };
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let (pool, _) = crate::progress::pool(threads)?;
    // Everything is recorded (and so every mark checked) before the first file is written.
    let recorded = pool.install(|| {
        work.par_iter()
            .map(|m| {
                let mut rng = rand::rngs::OsRng.unwrap_err();
                encryptor
                    // The error names the ballot.
                    .record_preencrypted(m, Station { device, timestamp }, |site| {
                        ProofNonces::random(site.limit(), &mut rng)
                    })
                    .map_err(Into::into)
            })
            .collect::<Result<Vec<_>>>()
    })?;
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    pool.install(|| {
        recorded.par_iter().try_for_each(|b| {
            let json = EncryptedBallotJson::write(b);
            write_atomically(
                &dir.join(format!("eballot-{}.json", b.ballot_id)),
                &setup.record_bytes(&json, false)?,
            )
        })
    })?;
    let mut written = Vec::with_capacity(recorded.len());
    for b in &recorded {
        chain.ballot_ids.push(b.ballot_id.clone());
        chain.last_confirmation_code = b.confirmation_code.to_hex();
        written.push(Written {
            ballot_id: b.ballot_id.clone(),
            state: BallotState::Cast,
            confirmation_code: b.confirmation_code,
        });
    }
    write_atomically(&chain_path, &serde_json::to_vec_pretty(&chain)?)?;
    Ok(written)
}
