//! The decryption's messages as files in a round's folder (`decryption/`): each guardian's
//! commitments (round 1), its responses (round 2), and the state it keeps sealed between
//! them; read and checked against the batch they must answer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Context, Result, bail};
use entente_core::decrypt::{Commitments, PartialDecryption};
use entente_group::{Group, Scalar};
use entente_record::KnownGroup;
use entente_record::election::read_json;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

pub(super) const COMMIT_FORMAT: &str = "entente-decryption-commit/1";
pub(super) const RESPONSE_FORMAT: &str = "entente-decryption-response/1";
pub(super) const STATE_FORMAT: &str = "entente-decryption-round/1";

/// A guardian's round-1 message.
#[derive(Serialize, Deserialize)]
pub(super) struct CommitFile {
    pub(super) format: String,
    pub(super) guardian: u32,
    /// What is decrypted: the digest of the batch.
    pub(super) batch: String,
    pub(super) items: Vec<CommitItem>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct CommitItem {
    pub(super) share: String,
    pub(super) a: String,
    pub(super) b: String,
}

/// A guardian's round-2 message.
#[derive(Serialize, Deserialize)]
pub(super) struct ResponseFile {
    pub(super) format: String,
    pub(super) guardian: u32,
    pub(super) batch: String,
    /// The guardians whose commitments the challenges were computed from.
    pub(super) answered: Vec<u32>,
    pub(super) responses: Vec<String>,
}

/// What a guardian keeps, sealed, between the rounds.
#[derive(Serialize, Deserialize)]
pub(super) struct RoundState {
    pub(super) format: String,
    pub(super) guardian: u32,
    pub(super) batch: String,
    /// SHA-256 of the commitment file it published.
    pub(super) commitment: String,
    pub(super) seed: Zeroizing<String>,
}

pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    entente_group::hex::encode(&Sha256::digest(bytes))
}

fn element<G: KnownGroup>(path: &Path, what: &str, hex: &str) -> Result<<G as Group>::Element> {
    G::element_from_hex(hex).with_context(|| format!("{}: {what}", path.display()))
}

/// An element decoded with its range checked, its membership left to [`members`].
fn unchecked<G: KnownGroup>(path: &Path, what: &str, hex: &str) -> Result<<G as Group>::Element> {
    entente_group::hex::decode_exact(hex, G::ELEMENT_BYTES)
        .and_then(|bytes| G::element_from_bytes_unchecked(&bytes))
        .with_context(|| format!("{}: {what}", path.display()))
}

/// Proves that every partial decryption and commitment of a file is in the order-q subgroup,
/// in one batched test (`Group::batch_is_member`, a non-member passes with probability at most
/// 2^-127) instead of an exponentiation each: a round's files hold three elements per
/// ciphertext and guardian, read by every guardian and the administrator. A failed batch is
/// searched element by element, and the first one outside is named as [`element`] would.
fn members<G: KnownGroup>(path: &Path, partials: &[PartialDecryption<G>]) -> Result<()> {
    let named: Vec<(usize, &'static str, &<G as Group>::Element)> = partials
        .iter()
        .enumerate()
        .flat_map(|(j, d)| [(j, "share", &d.share), (j, "a", &d.a), (j, "b", &d.b)])
        .collect();
    let all: Vec<&<G as Group>::Element> = named.iter().map(|(_, _, e)| *e).collect();
    let mut rng = rand::TryRngCore::unwrap_err(rand::rngs::OsRng);
    if G::batch_is_member(&all, &mut rng) {
        return Ok(());
    }
    for (j, field, e) in named {
        element::<G>(path, &format!("items[{j}].{field}"), &G::element_to_hex(e))?;
    }
    // Every element alone a member: the batch test erred (probability 2^-127).
    Ok(())
}

/// Every commitment file of the round for this batch, by guardian, with its file's digest.
pub(super) fn read_commitments<G: KnownGroup>(
    round: &Path,
    digest: &str,
    items: usize,
) -> Result<(Commitments<G>, BTreeMap<u32, String>)> {
    let mut commitments = Commitments::<G>::new();
    let mut digests = BTreeMap::new();
    for path in round_files(round, "commit-guardian-")? {
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let file: CommitFile = read_json(&path)?;
        if file.format != COMMIT_FORMAT {
            bail!(
                "{}: format {:?}, expected {COMMIT_FORMAT:?}",
                path.display(),
                file.format
            );
        }
        if file.batch != digest {
            bail!(
                "{}: guardian {} committed to another batch (the record's tally or ballots \
                 changed since): it must commit again",
                path.display(),
                file.guardian
            );
        }
        if file.items.len() != items {
            bail!(
                "{}: {} items, the batch has {items}",
                path.display(),
                file.items.len()
            );
        }
        let partials = file
            .items
            .iter()
            .enumerate()
            .map(|(j, it)| {
                Ok(PartialDecryption {
                    share: unchecked::<G>(&path, &format!("items[{j}].share"), &it.share)?,
                    a: unchecked::<G>(&path, &format!("items[{j}].a"), &it.a)?,
                    b: unchecked::<G>(&path, &format!("items[{j}].b"), &it.b)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        members(&path, &partials)?;
        if commitments.insert(file.guardian, partials).is_some() {
            bail!("guardian {} has two commitment files", file.guardian);
        }
        digests.insert(file.guardian, sha256_hex(&bytes));
    }
    Ok((commitments, digests))
}

/// The files of a round's folder (`decryption/`, or an earlier round's) that start with
/// `prefix`.
fn round_files(d: &Path, prefix: &str) -> Result<Vec<PathBuf>> {
    if !d.exists() {
        return Ok(Vec::new());
    }
    let mut out: Vec<PathBuf> = std::fs::read_dir(d)
        .with_context(|| format!("cannot read {}", d.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".json"))
        })
        .collect();
    out.sort();
    Ok(out)
}

/// Responses by guardian.
pub(super) type Responses<G> = BTreeMap<u32, Vec<<G as Group>::Scalar>>;

/// Every response of the round for this batch, by guardian, and the guardians whose response
/// file does not answer this round (another batch, other commitments than `present`'s, values
/// that do not read), each with why.
pub(super) fn read_responses<G: KnownGroup>(
    round: &Path,
    digest: &str,
    present: &[u32],
) -> Result<(Responses<G>, BTreeMap<u32, String>)> {
    let mut responses = Responses::<G>::new();
    let mut unfit = BTreeMap::new();
    for path in round_files(round, "response-guardian-")? {
        // The server logs a response only under its author's index, which names the file.
        let named: Option<u32> = path
            .file_stem()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("response-guardian-"))
            .and_then(|i| i.parse().ok());
        let read = (|| -> Result<(u32, Vec<<G as Group>::Scalar>)> {
            let file: ResponseFile = read_json(&path)?;
            if file.format != RESPONSE_FORMAT || file.batch != *digest {
                bail!("it answers another round: it must commit and respond again");
            }
            if file.answered != present {
                bail!(
                    "it answers the commitments of guardians {:?}, but the round has \
                     {present:?}: it must commit and respond again",
                    file.answered
                );
            }
            let rs = file
                .responses
                .iter()
                .enumerate()
                .map(|(j, h)| Scalar::from_hex(h).with_context(|| format!("responses[{j}]")))
                .collect::<Result<Vec<_>>>()?;
            Ok((file.guardian, rs))
        })();
        match (read, named) {
            (Ok((i, rs)), _) => {
                responses.insert(i, rs);
            }
            (Err(e), Some(i)) => {
                unfit.insert(
                    i,
                    format!("{}: {}", path.display(), crate::error::report(&e)),
                );
            }
            (Err(e), None) => return Err(e).context(path.display().to_string()),
        }
    }
    Ok((responses, unfit))
}

/// A guardian's response file with its first response changed (v + 1): a drill's wrong answer,
/// which fails its proof like any other false response.
pub fn drill_wrong_response<G: KnownGroup>(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut file: ResponseFile = serde_json::from_slice(bytes)?;
    let first = file
        .responses
        .first_mut()
        .context("a response file with no response")?;
    let v = <G as Group>::Scalar::from_hex(first)?;
    *first = v.add(&<G as Group>::Scalar::from_u64(1)).to_hex();
    Ok(serde_json::to_vec_pretty(&file)?)
}
