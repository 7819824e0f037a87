//! Reading the parts of an election record that several commands need: the guardians' public
//! keys, the encrypted ballots of every device, the encrypted tally, and the combiner that checks
//! decryption shares against the guardians' commitments.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Context, Result, refused};
use entente_core::decrypt::{Combiner, share_public_key};
use entente_core::keys::{GuardianPublicKey, KeyContext, Quorum, VerifiedGuardianKey};
use entente_group::P4096;
use entente_record::ballot::json::{EncryptedBallotJson, read_batch};
use entente_record::ballot::{EncryptedBallot, PublicKey};
use entente_record::election::{ElectionSetup, read_json};
use entente_record::tally::{EncryptedTallyJson, EncryptedTallyRecord};
use rand::TryRngCore;

type G = P4096;

/// The file names of the record's tally (egk's layout).
pub const ENCRYPTED_TALLY: &str = "encrypted_tally.json";
/// The decrypted tally.
pub const TALLY: &str = "tally.json";
/// The folder of decrypted challenged ballots.
pub const CHALLENGED: &str = "challenged_ballots";

/// The setup of a record, its joint key with its table, and the guardians' checked keys.
pub struct Election {
    /// Manifest, config, H_E, K.
    pub setup: ElectionSetup<G>,
    /// K with its fixed-base table.
    pub key: PublicKey<G>,
    /// Every guardian's commitments, each with its Schnorr proofs checked (Verification 2).
    pub guardians: Vec<VerifiedGuardianKey<G>>,
    /// n and k.
    pub quorum: Quorum,
}

impl Election {
    /// Reads and checks the setup of the record in `dir`.
    pub fn read(dir: &Path) -> Result<Self> {
        let setup = ElectionSetup::<G>::read(dir)
            .with_context(|| format!("cannot read the election setup in {}", dir.display()))?;
        let quorum = Quorum::new(setup.config.number_of_guardians, setup.config.quorum)
            .context("election_config.json: number_of_guardians / quorum")?;
        let ctx = KeyContext::standard();
        let guardians = setup
            .initialized
            .guardians
            .iter()
            .enumerate()
            .map(|(gi, g)| {
                GuardianPublicKey::from_json(g)
                    .and_then(|k| k.verify(&ctx, quorum))
                    .with_context(|| {
                        format!(
                            "election_initialized.json: guardians[{gi}] ({})",
                            g.guardian_id
                        )
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        if guardians.len() != quorum.guardians() as usize {
            return Err(refused!(
                "election_initialized.json lists {} guardians, the config says {}",
                guardians.len(),
                quorum.guardians()
            ));
        }
        let key = setup.public_key();
        Ok(Self {
            setup,
            key,
            guardians,
            quorum,
        })
    }

    /// The combiner: g^{P(i)} of every guardian from the commitments (eq. (74)).
    pub fn combiner(&self) -> Combiner<'_, G> {
        Combiner {
            h_e: self.setup.h_e,
            key: &self.key,
            share_keys: self
                .guardians
                .iter()
                .map(|g| (g.index(), share_public_key(&self.guardians, g.index())))
                .collect::<BTreeMap<_, _>>(),
            quorum: self.quorum.quorum() as usize,
        }
    }
}

/// Every encrypted ballot file of the record (`encrypted_ballots/<device>/eballot-*.json`),
/// sorted. A record without ballots has none.
pub fn ballot_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let root = dir.join("encrypted_ballots");
    if !root.exists() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for device in
        std::fs::read_dir(&root).with_context(|| format!("cannot read {}", root.display()))?
    {
        let device = device?.path();
        if !device.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&device)
            .with_context(|| format!("cannot read {}", device.display()))?
        {
            let f = f?.path();
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.starts_with("eballot-") && name.ends_with(".json") {
                out.push(f);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// How many ballot files share one batched membership test when read.
pub const MEMBERSHIP_BATCH: usize = 8;

/// Reads a few ballot files (at most [`MEMBERSHIP_BATCH`] at a time, for one batched test of
/// their elements' subgroup membership, `Group::batch_is_member`, instead of one exponentiation
/// each). Each result is the ballot or why it cannot be read, naming the file and JSON path.
pub fn read_ballots(files: &[PathBuf]) -> Vec<Result<EncryptedBallot<G>, String>> {
    let jsons: Vec<Result<EncryptedBallotJson, String>> = files
        .iter()
        .map(|f| read_json::<EncryptedBallotJson>(f).map_err(|e| e.to_string()))
        .collect();
    let ok: Vec<&EncryptedBallotJson> = jsons.iter().filter_map(|j| j.as_ref().ok()).collect();
    let mut read = read_batch::<G, _>(&ok, &mut rand::rngs::OsRng.unwrap_err()).into_iter();
    jsons
        .into_iter()
        .zip(files)
        .map(|(j, f)| match j {
            Err(e) => Err(e),
            Ok(_) => match read.next() {
                Some(Ok(b)) => Ok(b),
                Some(Err(e)) => Err(format!("{}: {e}", f.display())),
                None => Err(format!("{}: not read", f.display())),
            },
        })
        .collect()
}

/// `encrypted_tally.json`.
pub fn read_encrypted_tally(dir: &Path) -> Result<EncryptedTallyRecord<G>> {
    let path = dir.join(ENCRYPTED_TALLY);
    if !path.exists() {
        return Err(refused!(
            "{} has no {ENCRYPTED_TALLY}: run `entente tally --record {}` first",
            dir.display(),
            dir.display()
        ));
    }
    let json: EncryptedTallyJson = read_json(&path)?;
    json.read().map_err(|e| refused!("{}: {e}", path.display()))
}
