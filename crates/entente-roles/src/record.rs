//! Reading the parts of an election record that several commands need: the guardians' public
//! keys, the encrypted ballots of every device, the encrypted tally, and the combiner that checks
//! decryption shares against the guardians' commitments.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Context, Result, refused};
use entente_core::decrypt::{Combiner, share_public_key};
use entente_core::keys::{GuardianPublicKey, KeyContext, Quorum, VerifiedGuardianKey};
use entente_core::tally::verify_ballot;
use entente_record::KnownGroup;
use entente_record::ballot::json::{EncryptedBallotJson, read_batch};
use entente_record::ballot::{BallotCiphertexts, BallotState, EncryptedBallot, PublicKey};
use entente_record::election::ElectionSetup;
use entente_record::tally::{EncryptedTallyJson, EncryptedTallyRecord};
use rand::TryRngCore;
use rayon::prelude::*;

/// The file names of the record's tally (egk's layout).
pub const ENCRYPTED_TALLY: &str = "encrypted_tally.json";
/// The decrypted tally.
pub const TALLY: &str = "tally.json";
/// The folder of decrypted challenged ballots.
pub const CHALLENGED: &str = "challenged_ballots";

/// The setup of a record, its joint key with its table, and the guardians' checked keys.
pub struct Election<G: KnownGroup> {
    /// Manifest, config, H_E, K.
    pub setup: ElectionSetup<G>,
    /// K with its fixed-base table.
    pub key: PublicKey<G>,
    /// Every guardian's commitments, each with its Schnorr proofs checked (Verification 2).
    pub guardians: Vec<VerifiedGuardianKey<G>>,
    /// n and k.
    pub quorum: Quorum,
}

impl<G: KnownGroup> Election<G> {
    /// Reads and checks the setup of the record in `dir`, which must be in the group `G`.
    pub fn read(dir: &Path) -> Result<Self> {
        let setup = ElectionSetup::<G>::read(dir)
            .with_context(|| format!("cannot read the election setup in {}", dir.display()))?;
        let quorum = Quorum::new(setup.config.number_of_guardians, setup.config.quorum)
            .context("election_config.json: number_of_guardians / quorum")?;
        let ctx = KeyContext::of_group(setup.kind.group);
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

/// The ballots of a record as a tally's product and a decryption need them, from one pass over
/// the files: every ballot's ciphertexts (read for range only, `UncheckedBallot`: they are
/// only ever multiplied into a product compared with a checked tally), and the challenged
/// ballots whole, with every element's subgroup membership proven, since each is decrypted.
pub struct Logged<G: KnownGroup> {
    /// Every ballot's id, state and ciphertexts, in file order.
    pub ballots: Vec<BallotCiphertexts<G>>,
    /// The challenged ballots, membership checked.
    pub challenged: Vec<EncryptedBallot<G>>,
}

/// A challenged ballot as [`Logged::read`] met it: checked already, or to read with its
/// membership.
enum Challenged<G: KnownGroup> {
    Checked(Box<EncryptedBallot<G>>),
    Json(Box<EncryptedBallotJson>),
}

impl<G: KnownGroup> Logged<G> {
    /// Reads `files` of the election `setup` (in its layout) on the pool's threads; the first
    /// file that does not read is the error, naming it and the JSON path. With `check`, every
    /// ballot is also checked in full for that election (`verify_ballot`: structure, proofs,
    /// membership, codes), and the first that fails is the error.
    pub fn read(
        files: &[PathBuf],
        setup: &ElectionSetup<G>,
        check: bool,
        threads: usize,
        progress: bool,
    ) -> Result<Self> {
        let check = check.then_some(setup);
        let (pool, _) = crate::progress::pool(threads)?;
        let what = if check.is_some() {
            "checking ballots"
        } else {
            "reading ballots"
        };
        let bar = crate::progress::bar(progress, files.len(), what);
        let key = check.map(ElectionSetup::public_key);
        let read: Vec<(BallotCiphertexts<G>, Option<Challenged<G>>)> = pool
            .install(|| {
                files
                    .par_iter()
                    .map(|f| {
                        let json = setup
                            .read_record_file::<EncryptedBallotJson>(f)
                            .map_err(|e| e.to_string())?;
                        let b = json
                            .read_unchecked::<G>()
                            .map_err(|e| format!("{}: {e}", f.display()))?;
                        bar.inc(1);
                        let challenged = b.state() == BallotState::Challenged;
                        match (check, &key) {
                            (Some(setup), Some(key)) => {
                                let mut rng = rand::rngs::OsRng.unwrap_err();
                                let v =
                                    verify_ballot(&setup.h_e, key, &setup.manifest, b, &mut rng)
                                        .map_err(|e| format!("{}: {e}", f.display()))?;
                                let b = v.ballot();
                                let keep =
                                    challenged.then(|| Challenged::Checked(Box::new(b.clone())));
                                Ok((BallotCiphertexts::of(b), keep))
                            }
                            _ => Ok((
                                b.ciphertexts(),
                                challenged.then(|| Challenged::Json(Box::new(json))),
                            )),
                        }
                    })
                    .collect::<Result<_, String>>()
            })
            .map_err(|e| refused!("{e}"))?;
        bar.finish_and_clear();
        let (ballots, kept): (Vec<_>, Vec<_>) = read.into_iter().unzip();
        let mut challenged = Vec::new();
        let mut jsons = Vec::new();
        for c in kept.into_iter().flatten() {
            match c {
                Challenged::Checked(b) => challenged.push(*b),
                Challenged::Json(j) => jsons.push(*j),
            }
        }
        // Decrypted one by one, so their elements' membership is proven (in one batch).
        let refs: Vec<&EncryptedBallotJson> = jsons.iter().collect();
        for (b, j) in read_batch::<G, _>(&refs, &mut rand::rngs::OsRng.unwrap_err())
            .into_iter()
            .zip(&jsons)
        {
            challenged.push(b.map_err(|e| refused!("challenged ballot {}: {e}", j.ballot_id))?);
        }
        Ok(Self {
            ballots,
            challenged,
        })
    }
}

/// `encrypted_tally.json` of the election `setup` in `dir`.
pub fn read_encrypted_tally<G: KnownGroup>(
    dir: &Path,
    setup: &ElectionSetup<G>,
) -> Result<EncryptedTallyRecord<G>> {
    let path = dir.join(ENCRYPTED_TALLY);
    if !path.exists() {
        return Err(refused!(
            "{} has no {ENCRYPTED_TALLY}: run `entente tally --record {}` first",
            dir.display(),
            dir.display()
        ));
    }
    let json: EncryptedTallyJson = setup.read_record_file(&path)?;
    json.read().map_err(|e| refused!("{}: {e}", path.display()))
}
