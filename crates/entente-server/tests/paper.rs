//! Paper ballots at the board: a scanning station's pre-encrypted ballots are taken only from a
//! scanner of the roles and only if a print run the administrator committed holds them (id,
//! style, code), once; no booth submits one or takes a printed id; the rules survive a restart.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use ed25519_dalek::SigningKey;
use entente_board::note::NoteSigner;
use entente_group::P4096;
use entente_record::election::ElectionSetup;
use entente_roles::paper::{MarkedPaper, PrintRun};
use entente_roles::protocol::{PrintRunJson, PrintedCodeJson};
use entente_server::Envelope;
use rand::TryRngCore;
use serde_json::Value;

mod common;
use common::*;

fn scanner() -> NoteSigner {
    NoteSigner::new("device.scanner-1", SigningKey::from_bytes(&[14; 32])).unwrap()
}

/// The roles: the administrator, a booth and a scanning station.
fn paper_roles() -> entente_server::RolesFile {
    let mut roles = roles();
    roles.devices.push(scanner().verifier_key());
    roles.scanners.insert(scanner().name().to_owned());
    roles
}

/// Three paper ballots printed for the conformance election (its key, no secret needed), and
/// the first two of them marked and recorded by the scanner: the print run and the two
/// recorded ballots' files.
fn printed() -> (PrintRun, Vec<Vec<u8>>) {
    let setup = ElectionSetup::<P4096>::read(&record()).unwrap();
    let ids: Vec<String> = (1..=3).map(|i| format!("paper-{i}")).collect();
    let mut rng = rand::rngs::OsRng.unwrap_err();
    let run =
        entente_roles::paper::print_run(&setup, &setup.public_key(), "ballotStyle", &ids, &mut rng)
            .unwrap();
    let marked: Vec<MarkedPaper> = run.ballots[..2]
        .iter()
        .map(|b| MarkedPaper {
            ballot_id: b.ballot_id.clone(),
            marks: b
                .contests
                .iter()
                .map(|c| (c.contest_id.clone(), vec![c.options[0].short_code.clone()]))
                .collect::<BTreeMap<_, _>>(),
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    entente_roles::paper::record_marked(&setup, dir.path(), scanner().name(), &run, &marked, 2)
        .unwrap();
    let files = marked
        .iter()
        .map(|m| {
            let path = dir
                .path()
                .join("encrypted_ballots")
                .join(scanner().name())
                .join(format!("eballot-{}.json", m.ballot_id));
            std::fs::read(path).unwrap()
        })
        .collect();
    (run, files)
}

/// The committed form of some ballots of a run, for the election `h_e`.
fn commitment(h_e: &str, ballots: &[(&str, &str)]) -> Vec<u8> {
    serde_json::to_vec(&PrintRunJson {
        election: h_e.to_owned(),
        ballots: ballots
            .iter()
            .map(|(id, code)| PrintedCodeJson {
                ballot_id: (*id).to_owned(),
                ballot_style: "ballotStyle".into(),
                confirmation_code: (*code).to_owned(),
            })
            .collect(),
    })
    .unwrap()
}

fn error(body: &Value) -> &str {
    body["error"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scanner_records_only_committed_paper_ballots_once_and_a_booth_none() {
    let (run, files) = printed();
    let s = open_with(new_board(), &paper_roles());
    let h_e = run.election.to_ascii_lowercase();
    let code = |i: usize| run.ballots[i].confirmation_code.to_ascii_lowercase();
    let mut nonce = 0;
    let mut sign = |who: &NoteSigner, kind: &str, body: &[u8]| {
        nonce += 1;
        Envelope::sign(who, ORIGIN, kind, nonce, body)
    };

    // Before any print run is committed, no paper ballot is taken.
    let (status, body) = post(&s.app, "/ballots", &sign(&scanner(), "ballot", &files[0])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(error(&body).contains("in no print run"), "{body}");

    // Only the administrator commits a print run, and only for this election.
    let run_1 = commitment(&h_e, &[("paper-1", &code(0)), ("paper-2", &code(2))]);
    let (status, body) = post(&s.app, "/entries", &sign(&scanner(), "print-run", &run_1)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let other = commitment(&"ab".repeat(32), &[("paper-1", &code(0))]);
    let (status, body) = post(&s.app, "/entries", &sign(&admin(), "print-run", &other)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(error(&body).contains("another election"), "{body}");
    // paper-2 is committed with paper-3's code: its recorded ballot is not the one printed.
    let (status, body) = post(&s.app, "/entries", &sign(&admin(), "print-run", &run_1)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // An id or a code printed again is refused.
    let again = commitment(&h_e, &[("paper-9", &code(0))]);
    let (status, body) = post(&s.app, "/entries", &sign(&admin(), "print-run", &again)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(error(&body).contains("printed twice"), "{body}");

    // A booth may not record a paper ballot, nor a scanner cast a booth's.
    let (status, body) = post(&s.app, "/ballots", &sign(&device(), "ballot", &files[0])).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(error(&body).contains("not a scanning station"), "{body}");
    let booth = &ballots()[0];
    let (status, body) = post(&s.app, "/ballots", &sign(&scanner(), "ballot", booth)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(error(&body).contains("paper ballots only"), "{body}");

    // The committed ballot is taken once.
    let (status, body) = post(&s.app, "/ballots", &sign(&scanner(), "ballot", &files[0])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = post(&s.app, "/ballots", &sign(&scanner(), "ballot", &files[0])).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // A booth ballot in a printed id is refused: it would keep that paper ballot out.
    let booth_id: Value = serde_json::from_slice(booth).unwrap();
    let booth_id = booth_id["ballot_id"].as_str().unwrap();
    let taken = commitment(&h_e, &[(booth_id, &"cd".repeat(32))]);
    let (status, body) = post(&s.app, "/entries", &sign(&admin(), "print-run", &taken)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = post(&s.app, "/ballots", &sign(&device(), "ballot", booth)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        error(&body).contains("belongs to a committed print run"),
        "{body}"
    );

    // After a restart the print runs are replayed from the log: paper-2's recorded ballot is
    // still not what was committed.
    let s = open_with(
        {
            let Server { dir, app, state } = s;
            drop((app, state));
            dir
        },
        &paper_roles(),
    );
    let (status, body) = post(&s.app, "/ballots", &sign(&scanner(), "ballot", &files[1])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        error(&body).contains("not the one its print run committed"),
        "{body}"
    );
    let (status, body) = post(&s.app, "/ballots", &sign(&scanner(), "ballot", &files[0])).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // After the box closes no print run is taken.
    let (status, body) = post(&s.app, "/entries", &sign(&admin(), "close", b"{}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let late = commitment(&h_e, &[("paper-3", &code(1))]);
    let (status, body) = post(&s.app, "/entries", &sign(&admin(), "print-run", &late)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}
