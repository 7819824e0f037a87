//! `entente open`: shows a voter what a challenged ballot encrypted, from the primary nonce the
//! device revealed (spec 2.0 §3.3.2), after checking the ballot's proofs and confirmation code.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::{Context, Result, bail, refused};
use entente_core::ballot::{OpenedBallot, decrypt_with_nonce};
use entente_record::ballot::json::EncryptedBallotJson;
use entente_record::ballot::{BallotState, ContestStatus, EncryptedBallot};
use entente_record::election::ElectionSetup;
use entente_record::{KnownGroup, RecordKind, Revision, with_group};

/// Checks and opens a challenged ballot file; returns the text to show.
pub fn run(ballot_file: &Path, record: &Path) -> Result<String> {
    let kind = RecordKind::of_record(record)
        .with_context(|| format!("cannot use the election record in {}", record.display()))?;
    with_group!(kind.group, |G| run_in::<G>(ballot_file, record))
}

fn run_in<G: KnownGroup>(ballot_file: &Path, record: &Path) -> Result<String> {
    let setup = ElectionSetup::<G>::read(record)
        .with_context(|| format!("cannot use the election record in {}", record.display()))?;
    let json: EncryptedBallotJson = setup.read_record_file(ballot_file)?;
    let ballot: EncryptedBallot<G> = json
        .read()
        .map_err(|e| refused!("{}: {e}", ballot_file.display()))?;
    if ballot.state != BallotState::Challenged {
        bail!(
            "ballot {} was cast, not challenged: its nonce is erased and it cannot be opened",
            ballot.ballot_id
        );
    }
    let nonce_hex = json
        .primary_nonce
        .as_deref()
        .ok_or_else(|| refused!("ballot {} carries no primary nonce", ballot.ballot_id))?;
    let primary: [u8; 32] = entente_group::hex::decode_array(nonce_hex)
        .map_err(|e| refused!("{}: primary_nonce: {e}", ballot_file.display()))?;
    if ballot.election_id.is_some_and(|id| id != setup.h_e) {
        bail!(
            "ballot {} belongs to another election (its election_id is not H_E)",
            ballot.ballot_id
        );
    }
    let key = setup.public_key();
    ballot.verify_proofs_and_codes(Revision::V2_0_0, &setup.h_e, &key)?;
    let opened = decrypt_with_nonce(
        Revision::V2_0_0,
        setup.kind.layout,
        &setup.h_e,
        &key,
        &ballot,
        &primary,
    )?;
    Ok(describe(&setup, &ballot, &opened))
}

fn describe<G: KnownGroup>(
    setup: &ElectionSetup<G>,
    ballot: &EncryptedBallot<G>,
    opened: &OpenedBallot,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Challenged ballot {}", ballot.ballot_id);
    let _ = writeln!(s, "Confirmation code {}", ballot.confirmation_code);
    let _ = writeln!(
        s,
        "Its proofs and confirmation code check out. It encrypted these choices:\n"
    );
    for (pc, (_, data)) in opened.plaintext.contests.iter().zip(&opened.contest_data) {
        let contest = setup.manifest.contest(&pc.contest_id);
        let _ = writeln!(
            s,
            "  {}",
            contest.map_or(pc.contest_id.as_str(), |c| c.name.as_str())
        );
        let chosen: Vec<String> = pc
            .selections
            .iter()
            .filter(|sel| sel.vote > 0)
            .map(|sel| {
                let name = contest
                    .and_then(|c| c.options.iter().find(|o| o.id == sel.selection_id))
                    .map_or_else(
                        || sel.selection_id.clone(),
                        |o| setup.manifest.option_name(o),
                    );
                if sel.vote > 1 {
                    format!("{name} ({} votes)", sel.vote)
                } else {
                    name
                }
            })
            .collect();
        match data.status {
            ContestStatus::OverVote => {
                let _ = writeln!(
                    s,
                    "    over-vote: more choices than allowed, so none counts (chose options {:?})",
                    data.over_votes
                );
            }
            ContestStatus::NullVote if data.write_ins.is_empty() => {
                let _ = writeln!(s, "    no choice");
            }
            _ => {
                for c in &chosen {
                    let _ = writeln!(s, "    {c}");
                }
            }
        }
        for w in &data.write_ins {
            let _ = writeln!(s, "    write-in: {w}");
        }
    }
    s
}
