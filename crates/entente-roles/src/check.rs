//! `entente check`: in a terminal, what the voter's page does in a browser: is the ballot with
//! this confirmation code on the board, proven in a checkpoint the log signed and the witnesses
//! cosigned, signed by a registered device, and is its code the hash of its encryptions?
//!
//! It believes the board no more than the page does: the log is mirrored and checked against
//! the log's key (every tile, every write's signature against the election's roles), the
//! ballot found in what was checked, and its proofs and codes verified (spec 2.0 §3.4).

use std::path::Path;
use std::time::Duration;

use entente_record::ballot::json::EncryptedBallotJson;
use entente_record::election::ElectionSetup;
use entente_record::{KnownGroup, with_group};
use rand::TryRngCore;

use crate::client::{Client, Mirrored, cosigners};
use crate::error::{Result, refused};
use crate::files::materialize;
use crate::protocol::normalise_code;

/// What the check found.
#[derive(Debug)]
pub enum Verdict {
    /// The ballot is on the board, proven.
    Proven {
        /// "cast" or "challenged".
        state: String,
        /// Its ballot id.
        ballot_id: String,
        /// Its index in the log.
        index: u64,
        /// The device that signed it.
        device: String,
        /// The checkpoint's size.
        size: u64,
        /// The witnesses that cosigned that checkpoint.
        cosigned_by: Vec<String>,
    },
    /// No ballot with the code is on the board.
    NotFound,
    /// Something does not check: why.
    Failed(String),
}

impl Verdict {
    /// The exit status: 0 only for a proven ballot.
    pub fn code(&self) -> u8 {
        match self {
            Verdict::Proven { .. } => 0,
            Verdict::NotFound | Verdict::Failed(_) => 1,
        }
    }

    /// What to tell the person who asked.
    pub fn text(&self, code: &str) -> String {
        match self {
            Verdict::Proven {
                state,
                ballot_id,
                index,
                device,
                size,
                cosigned_by,
            } => format!(
                "Your ballot is on the board ({state}).\n\
                 checked: the log's signature on its checkpoint ({size} entries)\n\
                 checked: cosigned by {}\n\
                 checked: the ballot is entry {index} of that checkpoint\n\
                 checked: its confirmation code is the hash of its encryptions, and its proofs hold\n\
                 checked: device {device} signed it (ballot {ballot_id})\n",
                if cosigned_by.is_empty() {
                    "no witness yet".to_owned()
                } else {
                    cosigned_by.join(", ")
                },
            ),
            Verdict::NotFound => format!(
                "No ballot with the code {code} is on the board. Check the code against your \
                 receipt; if it is right, tell the election officials and an observer of any \
                 party.\n"
            ),
            Verdict::Failed(why) => format!("The proof fails: {why}\n"),
        }
    }
}

/// Checks the ballot with confirmation code `code` on the board `client` reads, mirroring the
/// log into `dir`. `witnesses`: cosignature keys that must have cosigned the checkpoint the
/// ballot is proven in (default: none required; those of the election are reported). Waits at
/// most `timeout` for the witnesses' cosignatures.
pub fn check(
    client: &Client,
    code: &str,
    witnesses: &[String],
    dir: &Path,
    timeout: Duration,
) -> Result<Verdict> {
    let Some(code) = normalise_code(code) else {
        return Ok(Verdict::Failed(format!(
            "{code:?} is not a confirmation code (64 hex digits; spaces and dashes are fine)"
        )));
    };
    let m = match client.mirror(&dir.join("log")) {
        Ok(m) => m,
        Err(e) => {
            return Ok(Verdict::Failed(format!(
                "the board's log does not check: {e:#}"
            )));
        }
    };
    let Some((index, json)) = find(&m, &code)? else {
        return Ok(Verdict::NotFound);
    };
    // The checkpoint to report: the latest every required witness cosigned, if it holds the
    // ballot yet.
    let m = if witnesses.is_empty() {
        m
    } else {
        match client.mirror_witnessed(&dir.join("log"), "the ballot", timeout, |w| {
            w.size > index
                && cosigners(&w.note, witnesses).is_ok_and(|c| c.len() == witnesses.len())
        }) {
            Ok(w) => w,
            Err(e) => {
                return Ok(Verdict::Failed(format!(
                    "no checkpoint holding the ballot is cosigned by every witness you named: \
                     {e:#}"
                )));
            }
        }
    };
    let election_witnesses = &m.view.roles.witnesses;
    let all: Vec<String> = election_witnesses
        .iter()
        .chain(witnesses)
        .cloned()
        .collect();
    let cosigned_by = cosigners(&m.note, &all)?;
    let work = dir.join("record");
    materialize(&m.view, &work)?;
    let Some((kind, _)) = m.view.election_format() else {
        return Ok(Verdict::Failed("the log holds no usable election".into()));
    };
    with_group!(kind.group, |G| proven::<G>(
        &m,
        &work,
        index,
        &json,
        cosigned_by
    ))
}

/// The verdict on the ballot `json` at `index` of `m`, in the election's group.
fn proven<G: KnownGroup>(
    m: &Mirrored,
    work: &Path,
    index: u64,
    json: &EncryptedBallotJson,
    cosigned_by: Vec<String>,
) -> Result<Verdict> {
    let setup = match ElectionSetup::<G>::read(work) {
        Ok(s) => s,
        Err(e) => {
            return Ok(Verdict::Failed(format!(
                "the log holds no usable election setup: {e}"
            )));
        }
    };
    let key = setup.public_key();
    let ballot = match json.read_unchecked::<G>() {
        Ok(b) => b,
        Err(e) => return Ok(Verdict::Failed(format!("the ballot does not read: {e}"))),
    };
    let mut rng = rand::rngs::OsRng.unwrap_err();
    let verified = match entente_core::tally::verify_ballot(
        &setup.h_e,
        &key,
        &setup.manifest,
        ballot,
        &mut rng,
    ) {
        Ok(v) => v,
        Err(e) => return Ok(Verdict::Failed(format!("the ballot does not check: {e}"))),
    };
    // A paper ballot must be of a print run committed before it, from a scanning station.
    let (failures, _) = crate::protocol::paper::check(&m.view);
    let named = format!("ballot {} ", json.ballot_id);
    if let Some(f) = failures.into_iter().find(|f| f.starts_with(&named)) {
        return Ok(Verdict::Failed(f));
    }
    let write = m
        .view
        .writes
        .iter()
        .find(|w| w.index == index)
        .ok_or_else(|| refused!("entry {index} vanished from the view"))?;
    let state = match verified.ballot().state {
        entente_record::ballot::BallotState::Cast => "cast",
        _ => "challenged",
    };
    Ok(Verdict::Proven {
        state: state.to_owned(),
        ballot_id: json.ballot_id.clone(),
        index,
        device: write.author.clone(),
        size: m.size,
        cosigned_by,
    })
}

/// The logged ballot with this code: its index and JSON.
fn find(m: &Mirrored, code: &str) -> Result<Option<(u64, EncryptedBallotJson)>> {
    let Some((kind, manifest)) = m.view.election_format() else {
        return Ok(None);
    };
    for w in m.view.of("ballot") {
        let Ok(json) = entente_record::layout::parse_for::<EncryptedBallotJson>(
            "ballot",
            &w.body,
            kind.layout,
            &manifest,
        ) else {
            continue;
        };
        if json.confirmation_code.eq_ignore_ascii_case(code) {
            return Ok(Some((w.index, json)));
        }
    }
    Ok(None)
}
