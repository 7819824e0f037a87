//! `entente demo`: an election run end to end in one process, so far: the key ceremony of n
//! guardians with quorum k over a built-in manifest (K and H_E), then an encryption device that
//! encrypts random valid ballots, chains their confirmation codes and challenges a few, and one
//! challenged ballot opened for its voter. The election record is written to `--dir` (or to a
//! temporary directory that is removed afterwards).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use entente_core::keys::{JointKey, KeyContext, Quorum, run_local};
use entente_group::{Group, P4096, Scalar};
use entente_record::ballot::{BallotState, PlaintextBallot, PlaintextContest, PlaintextSelection};
use entente_record::election::{
    ElectionConfigJson, ElectionInitializedJson, ElectionSetup, GuardianJson, SchnorrProofJson,
};
use entente_record::manifest::Manifest;
use entente_record::{HashValue, hash::fingerprint, params};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng, TryRngCore};

use crate::encrypt::{self, Challenge, EncryptReport};

/// The demo election's manifest, hashed byte for byte into H_M (spec 2.0 §3.1.4).
pub const DEMO_MANIFEST: &str = include_str!("../assets/demo-manifest.json");

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
}

/// What the demo produced.
pub struct DemoOutcome {
    /// n and k.
    pub quorum: Quorum,
    /// The parameter base hash.
    pub h_p: HashValue,
    /// The manifest hash.
    pub h_m: HashValue,
    /// The election base hash.
    pub h_b: HashValue,
    /// K and H_E.
    pub joint: JointKey<P4096>,
    /// Wall time of the ceremony.
    pub ceremony_time: Duration,
    /// The encryption run, if ballots were asked for.
    pub encryption: Option<EncryptReport>,
    /// One challenged ballot, opened for its voter.
    pub opened: Option<String>,
    /// Where the record is, if it was kept.
    pub record: Option<PathBuf>,
}

/// The record files of the setup, in the conformance records' JSON.
fn write_setup(
    dir: &Path,
    quorum: Quorum,
    h_p: &HashValue,
    h_m: &HashValue,
    h_b: &HashValue,
    joint: &JointKey<P4096>,
) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let c = P4096::constants();
    let constants = serde_json::json!({
        "name": "ElectionGuard 2.0 standard group, 4096 bits",
        "large_prime": entente_group::hex::encode(&c.p_bytes()),
        "small_prime": entente_group::hex::encode(&c.q_bytes()),
        "cofactor": entente_group::hex::encode(&c.r_bytes()),
        "generator": entente_group::hex::encode(&c.g_bytes()),
    });
    let config = ElectionConfigJson {
        config_version: params::SPEC_VERSION.to_owned(),
        number_of_guardians: quorum.guardians(),
        quorum: quorum.quorum(),
        parameter_base_hash: h_p.to_hex(),
        manifest_hash: h_m.to_hex(),
        election_base_hash: h_b.to_hex(),
        chain_confirmation_codes: true,
        baux0: DEVICE.as_bytes().to_vec(),
        metadata: serde_json::Map::from_iter([("Created by".to_owned(), "entente demo".into())]),
    };
    let initialized = ElectionInitializedJson {
        joint_public_key: P4096::element_to_hex(&joint.key),
        extended_base_hash: joint.extended_base_hash.to_hex(),
        guardians: joint
            .guardians
            .iter()
            .map(|g| GuardianJson {
                guardian_id: format!("guardian{}", g.index()),
                x_coordinate: g.index(),
                coefficient_proofs: g
                    .commitments()
                    .iter()
                    .zip(&g.record().proofs)
                    .map(|(k, p)| SchnorrProofJson {
                        public_key: P4096::element_to_hex(k),
                        challenge: p.challenge.to_hex(),
                        response: p.response.to_hex(),
                    })
                    .collect(),
            })
            .collect(),
        metadata: serde_json::Map::new(),
    };
    let write = |name: &str, bytes: Vec<u8>| {
        encrypt::write_atomically(&dir.join(name), &bytes)
            .with_context(|| format!("cannot write {name}"))
    };
    write("constants.json", serde_json::to_vec_pretty(&constants)?)?;
    write("manifest.json", DEMO_MANIFEST.as_bytes().to_vec())?;
    write("election_config.json", serde_json::to_vec_pretty(&config)?)?;
    write(
        "election_initialized.json",
        serde_json::to_vec_pretty(&initialized)?,
    )?;
    Ok(())
}

/// A random valid ballot: in each contest, usually as many choices as allowed, sometimes fewer.
fn random_ballot(manifest: &Manifest, id: String, rng: &mut impl Rng) -> PlaintextBallot {
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
    let quorum =
        Quorum::new(opts.guardians, opts.quorum).context("invalid --guardians / --quorum")?;
    let ctx = KeyContext::standard();
    let h_m = params::manifest_hash(&ctx.h_p, DEMO_MANIFEST.as_bytes())?;
    let h_b = params::election_base_hash(&ctx.h_p, &h_m, quorum.guardians(), quorum.quorum());
    let start = Instant::now();
    let mut rng = rand::rngs::OsRng.unwrap_err();
    let (_guardians, joint) =
        run_local::<P4096, _>(ctx, quorum, &h_b, &mut rng).context("key ceremony failed")?;
    let ceremony_time = start.elapsed();

    let mut outcome = DemoOutcome {
        quorum,
        h_p: ctx.h_p,
        h_m,
        h_b,
        joint,
        ceremony_time,
        encryption: None,
        opened: None,
        record: opts.dir.clone(),
    };
    if opts.ballots == 0 && opts.dir.is_none() {
        return Ok(outcome);
    }
    let temp;
    let dir = match &opts.dir {
        Some(d) => {
            if d.join("election_config.json").exists() {
                anyhow::bail!(
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
    write_setup(&dir, quorum, &outcome.h_p, &h_m, &h_b, &outcome.joint)?;
    if opts.ballots > 0 {
        let setup = ElectionSetup::<P4096>::read(&dir)?;
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
    }
    Ok(outcome)
}

/// The text the command prints.
pub fn report(o: &DemoOutcome) -> String {
    let n = o.quorum.guardians();
    let k = o.quorum.quorum();
    let mut s = String::new();
    s.push_str(
        "Entente demo: Riverside joint election (ElectionGuard 2.0, standard 4096-bit group)\n\n",
    );
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
    for g in &o.joint.guardians {
        s.push_str(&format!(
            "  guardian {}: {} commitments, {} Schnorr proofs verified; public key {}\n",
            g.index(),
            g.commitments().len(),
            g.record().proofs.len(),
            fingerprint(&P4096::element_to_bytes(g.public_key()))
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
        fingerprint(&P4096::element_to_bytes(&o.joint.key))
    ));
    s.push_str(&format!(
        "H_E (extended base hash)   {}\n",
        o.joint.extended_base_hash
    ));
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
    if let Some(dir) = &o.record {
        s.push_str(&format!("\nElection record written to {}\n", dir.display()));
    }
    s
}
