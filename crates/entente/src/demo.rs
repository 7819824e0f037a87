//! `entente demo`: an election run end to end in one process. At this stage: the key
//! ceremony of n guardians with quorum k over a built-in manifest, ending with the joint key
//! K and the extended base hash H_E.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use entente_core::keys::{JointKey, KeyContext, Quorum, run_local};
use entente_group::{Group, P4096};
use entente_record::{HashValue, hash::fingerprint, params};
use rand::TryRngCore;

/// The demo election's manifest, hashed byte for byte into H_M (spec 2.0 §3.1.4).
pub const DEMO_MANIFEST: &str = include_str!("../assets/demo-manifest.json");

/// What the demo produced.
pub struct DemoOutcome {
    /// n and k.
    pub quorum: Quorum,
    /// H_P, H_M, H_B.
    pub h_p: HashValue,
    /// The manifest hash.
    pub h_m: HashValue,
    /// The election base hash.
    pub h_b: HashValue,
    /// K and H_E.
    pub joint: JointKey<P4096>,
    /// Wall time of the ceremony.
    pub ceremony_time: Duration,
}

/// Runs the key ceremony with randomness from the operating system.
pub fn run(guardians: u32, quorum: u32) -> Result<DemoOutcome> {
    let quorum = Quorum::new(guardians, quorum).context("invalid --guardians / --quorum")?;
    let ctx = KeyContext::standard();
    let h_m = params::manifest_hash(&ctx.h_p, DEMO_MANIFEST.as_bytes())?;
    let h_b = params::election_base_hash(&ctx.h_p, &h_m, quorum.guardians(), quorum.quorum());
    let start = Instant::now();
    let mut rng = rand::rngs::OsRng.unwrap_err();
    let (_guardians, joint) =
        run_local::<P4096, _>(ctx, quorum, &h_b, &mut rng).context("key ceremony failed")?;
    Ok(DemoOutcome {
        quorum,
        h_p: ctx.h_p,
        h_m,
        h_b,
        joint,
        ceremony_time: start.elapsed(),
    })
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
    s
}
