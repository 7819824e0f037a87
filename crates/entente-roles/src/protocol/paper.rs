//! Paper ballots against the print runs, from the log alone: what the server checks before it
//! logs a scanning station's ballot, checked again by whoever relies on it (the observer of an
//! exported record, each guardian before it decrypts). A server that logged a ballot of no
//! print run, or a booth's ballot in a printed id, is named here.

use std::collections::BTreeMap;

use entente_record::Layout;
use serde::Deserialize;

use super::kind;
use super::log_view::LogView;
use super::messages::{ElectionBody, PrintRunJson};

/// The fields of a logged ballot that the paper rules read (the same names in both layouts).
#[derive(Deserialize)]
struct BallotHead {
    ballot_id: String,
    ballot_style_id: String,
    confirmation_code: String,
    #[serde(default)]
    is_preencrypt: bool,
}

/// A committed ballot: its print run's log entry, style and code (lower-case hex).
struct Committed {
    at: u64,
    style: String,
    code: String,
}

/// The paper rules over a whole log: every print run from the administrator, for this
/// election, no id or code printed twice; every pre-encrypted ballot from a scanning station
/// of the definition and committed, with its style and code, by a print run logged before it;
/// no other ballot from a scanning station or in an id printed before it. Returns the
/// failures and, as notes, how many ballots of the runs were recorded (what a paper count
/// must match).
pub fn check(view: &LogView) -> (Vec<String>, Vec<String>) {
    let (mut failures, mut notes) = (Vec::new(), Vec::new());
    let runs: Vec<_> = view.of(kind::PRINT_RUN).collect();
    let scanners = &view.roles.scanners;
    // Each ballot read once (the few fields the rules need).
    let ballots: Vec<_> = view
        .of(kind::BALLOT)
        .map(|w| (w, serde_json::from_slice::<BallotHead>(&w.body).ok()))
        .collect();
    let pre_ballots = ballots
        .iter()
        .any(|(_, h)| h.as_ref().is_some_and(|h| h.is_preencrypt));
    if runs.is_empty() && scanners.is_empty() && !pre_ballots {
        return (failures, notes);
    }
    let Some((layout, h_e)) = election(view) else {
        failures.push("paper ballots: the log holds no initialized election".into());
        return (failures, notes);
    };
    let admin = view
        .roles
        .administrator
        .as_deref()
        .and_then(|k| k.split('+').next())
        .unwrap_or_default();
    let mut printed: BTreeMap<String, Committed> = BTreeMap::new();
    let mut codes: BTreeMap<String, String> = BTreeMap::new();
    for w in &runs {
        let at = w.index;
        if w.author != admin {
            failures.push(format!(
                "log entry {at}: a print run signed by {}, not the administrator",
                w.author
            ));
            continue;
        }
        let run: PrintRunJson = match serde_json::from_slice(&w.body) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("log entry {at}: the print run does not read: {e}"));
                continue;
            }
        };
        if !run.election.eq_ignore_ascii_case(&h_e) {
            failures.push(format!(
                "log entry {at}: the print run is for another election than this one's H_E"
            ));
            continue;
        }
        for b in run.ballots {
            let code = b.confirmation_code.to_ascii_lowercase();
            if let Some(other) = codes.insert(code.clone(), b.ballot_id.clone()) {
                failures.push(format!(
                    "log entry {at}: ballot {} is printed with the code of ballot {other}",
                    b.ballot_id
                ));
            }
            let committed = Committed {
                at,
                style: b.ballot_style,
                code,
            };
            if let Some(first) = printed.insert(b.ballot_id.clone(), committed) {
                failures.push(format!(
                    "log entry {at}: ballot {} is printed twice (first in log entry {})",
                    b.ballot_id, first.at
                ));
            }
        }
    }
    let mut recorded: BTreeMap<u64, usize> = BTreeMap::new();
    for (w, h) in ballots {
        let Some(h) = h else {
            failures.push(format!(
                "log entry {}: a ballot that does not read",
                w.index
            ));
            continue;
        };
        let (id, device) = (&h.ballot_id, &w.author);
        let at = w.index;
        let scanner = scanners.contains(device);
        let committed = printed.get(id).filter(|c| c.at < at);
        if !h.is_preencrypt {
            if scanner {
                failures.push(format!(
                    "ballot {id} (log entry {at}) is not pre-encrypted, yet scanning station \
                     {device} submitted it"
                ));
            }
            if committed.is_some() {
                failures.push(format!(
                    "ballot {id} (log entry {at}) of device {device} takes the id of a printed \
                     paper ballot"
                ));
            }
            continue;
        }
        if !scanner {
            failures.push(format!(
                "ballot {id} (log entry {at}) is pre-encrypted, yet device {device} is not a \
                 scanning station of the election's definition"
            ));
        }
        let Some(c) = committed else {
            failures.push(format!(
                "ballot {id} (log entry {at}) of scanning station {device} is in no print run \
                 committed before it: a paper ballot nobody printed"
            ));
            continue;
        };
        let code = layout
            .bytes(&h.confirmation_code)
            .map(hex::encode)
            .unwrap_or_default();
        if c.style != h.ballot_style_id || c.code != code {
            failures.push(format!(
                "ballot {id} (log entry {at}) is not the ballot its print run (log entry {}) \
                 committed: another {}",
                c.at,
                if c.style != h.ballot_style_id {
                    "style"
                } else {
                    "confirmation code"
                }
            ));
            continue;
        }
        *recorded.entry(c.at).or_default() += 1;
    }
    for w in &runs {
        let committed = printed.values().filter(|c| c.at == w.index).count();
        notes.push(format!(
            "print run of log entry {}: {} of its {committed} paper ballots recorded (the paper \
             ballots counted in the boxes must match)",
            w.index,
            recorded.get(&w.index).copied().unwrap_or(0)
        ));
    }
    (failures, notes)
}

/// The election's layout and H_E (lower-case hex), once initialized.
fn election(view: &LogView) -> Option<(Layout, String)> {
    let body: ElectionBody = serde_json::from_slice(&view.of(kind::ELECTION).next()?.body).ok()?;
    let constants: serde_json::Value = serde_json::from_str(&body.constants).ok()?;
    let layout = entente_record::RecordKind::of_constants(&constants)
        .ok()?
        .layout;
    let init: serde_json::Value =
        serde_json::from_slice(&view.of(kind::ELECTION_INITIALIZED).next()?.body).ok()?;
    let h_e = layout
        .bytes(init.get("extended_base_hash")?.as_str()?)
        .ok()?;
    Some((layout, hex::encode(h_e)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Envelope, RolesFile};
    use ed25519_dalek::SigningKey;
    use entente_board::note::NoteSigner;
    use entente_record::GroupKind;

    const ORIGIN: &str = "board.example/paper";
    const H_E: &str = "0101010101010101010101010101010101010101010101010101010101010101";

    fn signer(name: &str, seed: u8) -> NoteSigner {
        NoteSigner::new(name, SigningKey::from_bytes(&[seed; 32])).unwrap()
    }

    /// What a test log holds after the election: print runs and ballots, in log order.
    enum Step<'a> {
        /// A print run signed by the administrator (or by the booth, when `by_booth`).
        Run(&'a [(&'a str, &'a str)], bool),
        /// A ballot: by the scanner (else the booth), its id, code and whether pre-encrypted.
        Ballot(bool, &'a str, &'a str, bool),
    }

    /// A log: roles, the election (a booth and a scanning station), its initialization, then
    /// `steps`.
    fn log(steps: &[Step]) -> LogView {
        let admin = signer("administrator", 1);
        let booth = signer("booth-1", 2);
        let scanner = signer("scanner-1", 3);
        let roles = RolesFile {
            administrator: Some(admin.verifier_key()),
            devices: vec![booth.verifier_key(), scanner.verifier_key()],
            scanners: ["scanner-1".to_owned()].into(),
            ..RolesFile::default()
        };
        let body = ElectionBody {
            manifest: "{}".into(),
            election_config: "{}".into(),
            constants: crate::election::constants_json(GroupKind::P4096).to_string(),
            definition: roles.clone(),
        };
        let mut nonce = 0;
        let mut sign = |who: &NoteSigner, kind: &str, body: &[u8]| {
            nonce += 1;
            serde_json::to_vec(&Envelope::sign(who, ORIGIN, kind, nonce, body)).unwrap()
        };
        let init = serde_json::json!({ "extended_base_hash": H_E });
        let mut entries = vec![
            serde_json::to_vec(&roles).unwrap(),
            sign(&admin, kind::ELECTION, &serde_json::to_vec(&body).unwrap()),
            sign(
                &admin,
                kind::ELECTION_INITIALIZED,
                &serde_json::to_vec(&init).unwrap(),
            ),
        ];
        for step in steps {
            entries.push(match step {
                Step::Run(ballots, by_booth) => {
                    let run = serde_json::json!({
                        "election": H_E,
                        "ballots": ballots.iter().map(|(id, code)| serde_json::json!({
                            "ballot_id": id, "ballot_style": "s", "confirmation_code": code,
                        })).collect::<Vec<_>>(),
                    });
                    let who = if *by_booth { &booth } else { &admin };
                    sign(who, kind::PRINT_RUN, &serde_json::to_vec(&run).unwrap())
                }
                Step::Ballot(by_scanner, id, code, pre) => {
                    let ballot = serde_json::json!({
                        "ballot_id": id, "ballot_style_id": "s", "confirmation_code": code,
                        "is_preencrypt": pre,
                    });
                    let who = if *by_scanner { &scanner } else { &booth };
                    sign(who, kind::BALLOT, &serde_json::to_vec(&ballot).unwrap())
                }
            });
        }
        LogView::read(ORIGIN, &entries).unwrap()
    }

    const A: &str = "aa00000000000000000000000000000000000000000000000000000000000000";
    const B: &str = "bb00000000000000000000000000000000000000000000000000000000000000";

    fn failures(steps: &[Step]) -> Vec<String> {
        check(&log(steps)).0
    }

    #[test]
    fn an_honest_log_holds_and_says_how_many_paper_ballots_were_recorded() {
        let (failures, notes) = check(&log(&[
            Step::Run(&[("p-1", A), ("p-2", B)], false),
            Step::Ballot(true, "p-1", A, true),
            Step::Ballot(false, "b-1", B, false),
        ]));
        assert!(failures.is_empty(), "{failures:?}");
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("1 of its 2 paper ballots"), "{notes:?}");
    }

    #[test]
    fn what_a_server_should_have_refused_is_named_from_the_log() {
        let one = |steps: &[Step], what: &str| {
            let f = failures(steps);
            assert!(
                f.len() == 1 && f[0].contains(what),
                "expected one failure naming {what:?}: {f:?}"
            );
        };
        // Stuffing: a paper ballot nobody printed, or printed only after it was logged.
        one(&[Step::Ballot(true, "p-1", A, true)], "nobody printed");
        one(
            &[
                Step::Ballot(true, "p-1", A, true),
                Step::Run(&[("p-1", A)], false),
            ],
            "nobody printed",
        );
        // Recorded with other encryptions than those printed.
        one(
            &[
                Step::Run(&[("p-1", A)], false),
                Step::Ballot(true, "p-1", B, true),
            ],
            "confirmation code",
        );
        // Paper from a booth; a booth's ballot from a scanner or in a printed id.
        one(
            &[
                Step::Run(&[("p-1", A)], false),
                Step::Ballot(false, "p-1", A, true),
            ],
            "not a scanning station",
        );
        one(&[Step::Ballot(true, "b-1", A, false)], "not pre-encrypted");
        one(
            &[
                Step::Run(&[("p-1", A)], false),
                Step::Ballot(false, "p-1", B, false),
            ],
            "takes the id of a printed",
        );
        // Print runs: only the administrator's count, no id or code twice.
        let f = failures(&[
            Step::Run(&[("p-1", A)], true),
            Step::Ballot(true, "p-1", A, true),
        ]);
        assert!(
            f.iter().any(|f| f.contains("not the administrator"))
                && f.iter().any(|f| f.contains("nobody printed")),
            "{f:?}"
        );
        one(
            &[
                Step::Run(&[("p-1", A)], false),
                Step::Run(&[("p-1", B)], false),
            ],
            "printed twice",
        );
        one(
            &[
                Step::Run(&[("p-1", A)], false),
                Step::Run(&[("p-2", A)], false),
            ],
            "with the code of ballot p-1",
        );
    }

    #[test]
    fn a_log_without_paper_has_nothing_to_say() {
        let (failures, notes) = check(&log(&[Step::Ballot(false, "b-1", A, false)]));
        // The definition names a scanner, so the rules run, and find nothing.
        assert!(
            failures.is_empty() && notes.is_empty(),
            "{failures:?} {notes:?}"
        );
    }
}
