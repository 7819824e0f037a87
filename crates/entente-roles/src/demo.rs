//! `entente demo`: an election run end to end in one process: the key ceremony of n guardians
//! with quorum k over a built-in manifest (K and H_E); an encryption device that encrypts random
//! valid ballots, chains their confirmation codes and challenges a few; one challenged ballot
//! opened for its voter; the tally of the cast ballots, each checked first; and the decryption
//! of the tally and of every challenged ballot by a quorum with one guardian absent, checked
//! against the plaintext ballots. The election record is written to `--dir` (or to a temporary
//! directory that is removed afterwards).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use std::collections::BTreeMap;

use crate::error::{Context, Result, bail, refused};
use entente_core::decrypt::{DlogTable, ElectionBatch, decrypt_in_process};
use entente_core::keys::Guardian;
use entente_core::keys::{KeyContext, Quorum, run_local};
use entente_record::ballot::{BallotState, PlaintextBallot, PlaintextContest, PlaintextSelection};
use entente_record::election::ElectionSetup;
use entente_record::manifest::Manifest;
use entente_record::{GroupKind, HashValue, KnownGroup, hash::fingerprint, params, with_group};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng, TryRngCore};

use crate::election::{DEMO_MANIFEST, config_json, write_setup};
use crate::encrypt::{self, Challenge, EncryptReport};

/// The demo's polling-place device: its id and B_aux,0.
const DEVICE: &str = "riverside-booth-1";

/// What `entente demo` is asked to do.
pub struct DemoOptions {
    /// n.
    pub guardians: u32,
    /// k.
    pub quorum: u32,
    /// How many ballots to encrypt.
    pub ballots: usize,
    /// Where to write the record (a temporary directory if none).
    pub dir: Option<PathBuf>,
    /// Encryption threads (0: all cores).
    pub threads: usize,
    /// Show progress bars.
    pub progress: bool,
    /// A manifest file instead of the built-in one.
    pub manifest: Option<PathBuf>,
    /// Write each guardian's secret, sealed with this passphrase, to
    /// `<dir>/private_data/guardians/guardian-<i>.age` (for `entente decrypt` by hand).
    pub seal_passphrase: Option<age::secrecy::SecretString>,
    /// The scrypt work factor (log2 N) for the sealed secrets; `None`: age's, about a second.
    pub scrypt_log_n: Option<u8>,
    /// The election's group (its record in that group's layout).
    pub group: GroupKind,
    /// Hand-marked pre-encrypted paper ballots to add, recorded by a scanning station.
    pub paper: usize,
}

/// The demo's scanning station of paper ballots.
pub(crate) const SCANNER: &str = "riverside-scanner-1";

/// A guardian's public key as the demo reports it.
pub struct GuardianSummary {
    /// Its index.
    pub index: u32,
    /// Its coefficient commitments (k).
    pub commitments: usize,
    /// Its Schnorr proofs, each verified.
    pub proofs: usize,
    /// Its public key's fingerprint.
    pub fingerprint: String,
}

/// The demo's tally and decryption.
pub struct TallyOutcome {
    /// Cast ballots counted.
    pub counted: usize,
    /// Checking and adding up, wall time.
    pub tally_time: Duration,
    /// Guardians who decrypted.
    pub present: Vec<u32>,
    /// Guardians absent.
    pub absent: Vec<u32>,
    /// Decryption wall time.
    pub decrypt_time: Duration,
    /// Challenged ballots decrypted.
    pub challenged: usize,
    /// The result table.
    pub table: String,
}

/// What the demo produced.
pub struct DemoOutcome {
    /// The manifest's election_scope_id.
    pub election: String,
    /// n and k.
    pub quorum: Quorum,
    /// The parameter base hash.
    pub h_p: HashValue,
    /// The manifest hash.
    pub h_m: HashValue,
    /// The election base hash.
    pub h_b: HashValue,
    /// The group.
    pub group: GroupKind,
    /// Each guardian's key.
    pub guardian_keys: Vec<GuardianSummary>,
    /// K's fingerprint.
    pub key_fingerprint: String,
    /// H_E.
    pub h_e: HashValue,
    /// Wall time of the ceremony.
    pub ceremony_time: Duration,
    /// The encryption run, if ballots were asked for.
    pub encryption: Option<EncryptReport>,
    /// One challenged ballot, opened for its voter.
    pub opened: Option<String>,
    /// The tally and its decryption, if ballots were cast.
    pub tally: Option<TallyOutcome>,
    /// The verifier's report on the record, if it went that far.
    pub verification: Option<String>,
    /// Where the sealed guardian secrets are, if asked for.
    pub sealed: Option<PathBuf>,
    /// Where the record is, if it was kept.
    pub record: Option<PathBuf>,
}

/// A random valid ballot: in each contest, usually as many choices as allowed, sometimes fewer.
pub fn random_ballot(manifest: &Manifest, id: String, rng: &mut impl Rng) -> PlaintextBallot {
    let (style, listed) = manifest
        .styles
        .iter()
        .next()
        .expect("the demo manifest has a style");
    let contests = manifest
        .contests
        .iter()
        .filter(|c| listed.contains(&c.id))
        .map(|c| {
            let limit = c.limit.min(c.options.len() as u32) as usize;
            let chosen = match rng.random_range(0..100) {
                0..5 => 0,
                5..20 => rng.random_range(0..=limit),
                _ => limit,
            };
            let mut order: Vec<usize> = (0..c.options.len()).collect();
            order.shuffle(rng);
            let picked = &order[..chosen];
            PlaintextContest {
                contest_id: c.id.clone(),
                sequence_order: i64::from(c.index),
                selections: c
                    .options
                    .iter()
                    .enumerate()
                    .map(|(i, o)| PlaintextSelection {
                        selection_id: o.id.clone(),
                        sequence_order: i64::from(o.index),
                        vote: i64::from(picked.contains(&i)),
                    })
                    .collect(),
                write_ins: Vec::new(),
            }
        })
        .collect();
    PlaintextBallot {
        ballot_id: id,
        ballot_style: style.clone(),
        contests,
        sn: None,
    }
}

/// Runs the demo with randomness from the operating system.
pub fn run(opts: &DemoOptions) -> Result<DemoOutcome> {
    with_group!(opts.group, |G| run_in::<G>(opts))
}

fn run_in<G: KnownGroup>(opts: &DemoOptions) -> Result<DemoOutcome> {
    let quorum =
        Quorum::new(opts.guardians, opts.quorum).context("invalid --guardians / --quorum")?;
    let ctx = KeyContext::of_group(G::KIND);
    let manifest_bytes = match &opts.manifest {
        None => DEMO_MANIFEST.as_bytes().to_vec(),
        Some(path) => {
            let bytes = std::fs::read(path)
                .with_context(|| format!("cannot read the manifest {}", path.display()))?;
            Manifest::from_json(&bytes)
                .with_context(|| format!("{} is not a usable manifest", path.display()))?;
            bytes
        }
    };
    let h_m = params::manifest_hash(&ctx.h_p, &manifest_bytes)?;
    let h_b = params::election_base_hash(&ctx.h_p, &h_m, quorum.guardians(), quorum.quorum());
    let start = Instant::now();
    let mut rng = rand::rngs::OsRng.unwrap_err();
    let (guardians, joint) =
        run_local::<G, _>(ctx, quorum, &h_b, &mut rng).context("key ceremony failed")?;
    let ceremony_time = start.elapsed();

    let mut outcome = DemoOutcome {
        election: Manifest::from_json(&manifest_bytes)?.election_scope_id,
        quorum,
        h_p: ctx.h_p,
        h_m,
        h_b,
        group: G::KIND,
        guardian_keys: joint
            .guardians
            .iter()
            .map(|g| GuardianSummary {
                index: g.index(),
                commitments: g.commitments().len(),
                proofs: g.record().proofs.len(),
                fingerprint: fingerprint(&G::element_to_bytes(g.public_key())),
            })
            .collect(),
        key_fingerprint: fingerprint(&G::element_to_bytes(&joint.key)),
        h_e: joint.extended_base_hash,
        ceremony_time,
        encryption: None,
        opened: None,
        tally: None,
        verification: None,
        sealed: None,
        record: opts.dir.clone(),
    };
    if opts.ballots == 0 && opts.dir.is_none() {
        return Ok(outcome);
    }
    let temp;
    let dir = match &opts.dir {
        Some(d) => {
            if d.join("election_config.json").exists() {
                bail!(
                    "{} already holds an election record; choose an empty --dir",
                    d.display()
                );
            }
            d.clone()
        }
        None => {
            temp = tempfile::tempdir().context("cannot create a temporary directory")?;
            temp.path().to_path_buf()
        }
    };
    let config = config_json(&manifest_bytes, quorum, G::KIND, DEVICE, "entente demo")?;
    write_setup(&dir, &manifest_bytes, &joint, &config)?;
    if let Some(passphrase) = &opts.seal_passphrase {
        let sealed = dir.join("private_data/guardians");
        std::fs::create_dir_all(&sealed)
            .with_context(|| format!("cannot create {}", sealed.display()))?;
        for g in &guardians {
            let bytes =
                entente_core::keys::store::seal_with_work_factor(g, passphrase, opts.scrypt_log_n)
                    .with_context(|| format!("cannot seal guardian {}'s secret", g.index()))?;
            crate::files::write_atomically(
                &sealed.join(format!("guardian-{}.age", g.index())),
                &bytes,
            )?;
        }
        outcome.sealed = Some(sealed);
    }
    if opts.ballots > 0 {
        let setup = ElectionSetup::<G>::read(&dir)?;
        // The voters' choices are not secret in a demo; a generator seeded from the OS.
        let mut choices = StdRng::from_os_rng();
        let ballots: Vec<PlaintextBallot> = (1..=opts.ballots)
            .map(|i| random_ballot(&setup.manifest, format!("ballot-{i:06}"), &mut choices))
            .collect();
        // A few voters challenge their ballot: about one in two hundred, at least one.
        let challenged: std::collections::BTreeSet<String> = ballots
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 200 == 7 || *i == 0 && opts.ballots < 8)
            .map(|(_, b)| b.ballot_id.clone())
            .collect();
        let mut expected = expected_counts(&ballots, &challenged);
        let report = encrypt::encrypt_into_record(
            &setup,
            &dir,
            DEVICE,
            ballots,
            &Challenge::Ids(challenged),
            opts.threads,
            opts.progress,
        )?;
        if let Some(first) = report
            .ballots
            .iter()
            .find(|b| b.state == BallotState::Challenged)
        {
            let file = report
                .device_dir
                .join(format!("eballot-{}.json", first.ballot_id));
            outcome.opened = Some(crate::open::run(&file, &dir)?);
        }
        outcome.encryption = Some(report);
        if opts.paper > 0 {
            add_paper(&dir, &setup, opts, &mut expected)?;
        }
        outcome.tally = Some(tally_and_decrypt(
            &dir, &setup, &guardians, opts, &expected,
        )?);
        // Last, the independent verifier on the record as written: every step checked again
        // from the public files alone.
        let report = crate::verify::run(&dir, opts.threads, opts.progress)
            .context("the verifier cannot read the demo's own record")?;
        if !report.holds() {
            bail!(
                "the demo's own record fails verification:\n{}",
                report.text()
            );
        }
        outcome.verification = Some(report.text());
    }
    Ok(outcome)
}

/// Prints `opts.paper` pre-encrypted ballots, marks them at random and records them as the
/// scanning station, adding their votes to `expected` (an overvoted contest counts nothing).
fn add_paper<G: KnownGroup>(
    dir: &Path,
    setup: &ElectionSetup<G>,
    opts: &DemoOptions,
    expected: &mut BTreeMap<(String, String), u64>,
) -> Result<()> {
    let style = setup
        .manifest
        .styles
        .keys()
        .next()
        .context("the manifest has no ballot style")?;
    let ids: Vec<String> = (1..=opts.paper).map(|i| format!("paper-{i:06}")).collect();
    let mut rng = rand::rngs::OsRng.unwrap_err();
    let run = crate::paper::print_run(setup, &setup.public_key(), style, &ids, &mut rng)?;
    let mut choices = StdRng::from_os_rng();
    let marked: Vec<crate::paper::MarkedPaper> = run
        .ballots
        .iter()
        .map(|b| crate::paper::random_marks(b, &mut choices))
        .collect();
    crate::paper::count_marks(&run, &marked, expected);
    crate::paper::record_marked(setup, dir, SCANNER, &run, &marked, opts.threads)?;
    Ok(())
}

/// The demo's tally name.
const TALLY_ID: &str = "riverside-demo";

/// Votes per (contest, option) over the cast ballots: what the decryption must give.
pub fn expected_counts(
    ballots: &[PlaintextBallot],
    challenged: &std::collections::BTreeSet<String>,
) -> BTreeMap<(String, String), u64> {
    let mut counts = BTreeMap::new();
    for b in ballots
        .iter()
        .filter(|b| !challenged.contains(&b.ballot_id))
    {
        for c in &b.contests {
            for s in &c.selections {
                *counts
                    .entry((c.contest_id.clone(), s.selection_id.clone()))
                    .or_default() += s.vote.max(0) as u64;
            }
        }
    }
    counts
}

/// Checks and adds up the record's ballots, then decrypts the tally and every challenged ballot
/// with all guardians but the last present (when the quorum allows), and checks the result
/// against the plaintext ballots.
fn tally_and_decrypt<G: KnownGroup>(
    dir: &Path,
    setup: &ElectionSetup<G>,
    guardians: &[Guardian<G>],
    opts: &DemoOptions,
    expected: &BTreeMap<(String, String), u64>,
) -> Result<TallyOutcome> {
    let files = crate::record::ballot_files(dir)?;
    let agg = crate::tally::aggregate(setup, &files, opts.threads, opts.progress)?;
    if let Some(r) = agg.refused.first() {
        bail!(
            "the demo's own ballot {} was refused: {}",
            r.file.display(),
            r.reason
        );
    }
    crate::tally::write_encrypted_tally(dir, &agg.tally, TALLY_ID, setup)?;

    let election = crate::record::Election::<G>::read(dir)?;
    let k = election.quorum.quorum() as usize;
    // One guardian stays home when the quorum allows it: the others decrypt without it.
    let present: Vec<&Guardian<G>> = if guardians.len() > k {
        guardians[..guardians.len() - 1].iter().collect()
    } else {
        guardians.iter().collect()
    };
    let decrypting = present
        .iter()
        .map(|g| crate::decrypt::in_process(g))
        .collect::<Result<Vec<_>>>()?;
    let batch = ElectionBatch::new(
        agg.tally.record(TALLY_ID, &setup.h_e),
        agg.challenged,
        setup.kind.layout,
    )
    .map_err(|e| refused!("{e}"))?;
    let max_limit = setup.manifest.largest_option_limit();
    let start = Instant::now();
    let dlog = DlogTable::new(&election.key, batch.bound(max_limit));
    let (pool, _) = crate::progress::pool(opts.threads)?;
    let results = pool
        .install(|| {
            decrypt_in_process(
                &election.combiner(),
                &decrypting,
                batch.targets(),
                &dlog,
                &mut rand::rngs::OsRng.unwrap_err(),
            )
        })
        .context("decryption failed")?;
    let result = batch.assemble(results).context("decryption failed")?;
    let decrypt_time = start.elapsed();
    result
        .tally
        .verify(&setup.h_e, &election.key)
        .context("the decrypted tally's own proofs")?;
    for c in &result.tally.contests {
        for s in &c.selections {
            let want = expected
                .get(&(c.contest_id.clone(), s.selection_id.clone()))
                .copied()
                .unwrap_or(0);
            if s.decryption.value != want {
                bail!(
                    "contest {}, option {}: decrypted {}, the ballots say {want}",
                    c.contest_id,
                    s.selection_id,
                    s.decryption.value
                );
            }
        }
    }
    crate::decrypt::write_result(dir, setup, &result)?;
    let present_ids: Vec<u32> = present.iter().map(|g| g.index()).collect();
    Ok(TallyOutcome {
        counted: agg.tally.len(),
        tally_time: agg.time,
        absent: guardians
            .iter()
            .map(|g| g.index())
            .filter(|i| !present_ids.contains(i))
            .collect(),
        present: present_ids,
        decrypt_time,
        challenged: result.challenged.len(),
        table: crate::result::result_table(&setup.manifest, &result.tally),
    })
}

/// How the reports name a group.
pub fn group_name(group: GroupKind) -> &'static str {
    match group {
        GroupKind::P4096 => "standard 4096-bit group",
        GroupKind::P256 => "P-256 curve, egk-ec's JSON 2.1 record layout",
    }
}

/// The text the command prints.
pub fn report(o: &DemoOutcome) -> String {
    let n = o.quorum.guardians();
    let k = o.quorum.quorum();
    let mut s = String::new();
    let group = group_name(o.group);
    s.push_str(&if o.election == "entente-demo-2026" {
        format!("Entente demo: Riverside joint election (ElectionGuard 2.0, {group})\n\n")
    } else {
        format!(
            "Entente demo: election {} (ElectionGuard 2.0, {group})\n\n",
            o.election
        )
    });
    if k == 1 {
        s.push_str(&format!(
            "Key ceremony: {n} guardians, quorum 1: any one of them can decrypt alone\n"
        ));
    } else {
        s.push_str(&format!(
            "Key ceremony: {n} guardians, any {k} of them can decrypt, no {} of them can read a vote\n",
            k - 1
        ));
    }
    for g in &o.guardian_keys {
        s.push_str(&format!(
            "  guardian {}: {} commitments, {} Schnorr proofs verified; public key {}\n",
            g.index, g.commitments, g.proofs, g.fingerprint
        ));
    }
    s.push_str(&format!(
        "  {} encrypted key shares exchanged, each decrypted and checked against its sender's commitments\n",
        n * (n - 1)
    ));
    s.push_str(&format!(
        "  done in {:.2} s\n\n",
        o.ceremony_time.as_secs_f64()
    ));
    s.push_str(&format!("H_P (parameter base hash)  {}\n", o.h_p));
    s.push_str(&format!("H_M (manifest hash)        {}\n", o.h_m));
    s.push_str(&format!("H_B (election base hash)   {}\n", o.h_b));
    s.push_str(&format!(
        "K   (joint election key)   fingerprint {}\n",
        o.key_fingerprint
    ));
    s.push_str(&format!("H_E (extended base hash)   {}\n", o.h_e));
    if let Some(e) = &o.encryption {
        let challenged = e
            .ballots
            .iter()
            .filter(|b| b.state == BallotState::Challenged)
            .count();
        s.push_str(&format!(
            "\nEncryption device {DEVICE}: {} ballots encrypted with proofs in {:.2} s on {} threads ({:.1} ballots/s)\n",
            e.ballots.len(),
            e.encrypt_time.as_secs_f64(),
            e.threads,
            e.ballots.len() as f64 / e.encrypt_time.as_secs_f64().max(1e-9)
        ));
        s.push_str(&format!(
            "  {} cast, {challenged} challenged; confirmation codes chained from H_0\n",
            e.ballots.len() - challenged
        ));
        for b in e.ballots.iter().take(3) {
            s.push_str(&format!("  {}  {}\n", b.ballot_id, b.confirmation_code));
        }
        if let Some(last) = e.ballots.last() {
            s.push_str(&format!(
                "  … last: {}  {}\n",
                last.ballot_id, last.confirmation_code
            ));
        }
    }
    if let Some(opened) = &o.opened {
        s.push_str("\nA voter checks a challenged ballot:\n");
        for line in opened.lines() {
            s.push_str(&format!("  {line}\n"));
        }
    }
    if let Some(t) = &o.tally {
        s.push_str(&format!(
            "\nTally: {} cast ballots checked (proofs, hashes, confirmation codes) and multiplied together in {:.2} s\n",
            t.counted,
            t.tally_time.as_secs_f64()
        ));
        let absent = if t.absent.is_empty() {
            "none absent".to_owned()
        } else {
            format!(
                "guardian{} {} absent",
                if t.absent.len() > 1 { "s" } else { "" },
                t.absent
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        s.push_str(&format!(
            "Decryption by guardians {} ({absent}): every share proven, the tally and {} challenged ballots decrypted in {:.2} s; matches the ballots cast\n\n",
            t.present.iter().map(u32::to_string).collect::<Vec<_>>().join(", "),
            t.challenged,
            t.decrypt_time.as_secs_f64()
        ));
        s.push_str("Result\n");
        s.push_str(&t.table);
    }
    if let Some(v) = &o.verification {
        s.push_str("\nThe independent verifier (entente verify) on the record:\n");
        s.push_str(v);
    }
    if let Some(dir) = &o.sealed {
        s.push_str(&format!(
            "\nGuardian secrets sealed with your passphrase in {}\n",
            dir.display()
        ));
    }
    if let Some(dir) = &o.record {
        s.push_str(&format!("\nElection record written to {}\n", dir.display()));
    }
    s
}
