//! A party's witness: it cosigns only checkpoints that extend what it cosigned before, and keeps
//! the evidence when a log shows it two histories.

use ed25519_dalek::SigningKey;
use entente_board::BoardError;
use entente_board::note::{Checkpoint, NoteSigner, NoteVerifier};
use entente_board::witness::{CosignatureVerifier, Witness};
use entente_board::{MemoryStore, MerkleLog};

const ORIGIN: &str = "board.example/riverside";

fn log_with(entries: &[&str]) -> MerkleLog<MemoryStore> {
    let mut log = MerkleLog::new(MemoryStore::default());
    for e in entries {
        log.append(e.as_bytes()).unwrap();
    }
    log
}

fn checkpoint(log: &MerkleLog<MemoryStore>, size: u64, signer: &NoteSigner) -> String {
    Checkpoint {
        origin: ORIGIN.into(),
        size,
        root: log.root(size).unwrap(),
    }
    .sign(signer)
}

#[test]
fn a_witness_cosigns_consistent_growth_and_catches_split_views() {
    let signer = NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[1; 32])).unwrap();
    let log_key = NoteVerifier::parse(&signer.verifier_key()).unwrap();
    let mut w = Witness::new(
        "witness.party-a.example",
        SigningKey::from_bytes(&[2; 32]),
        vec![log_key],
    );
    let cosig = CosignatureVerifier::parse(&w.verifier_key()).unwrap();

    let entries: Vec<String> = (0..12).map(|i| format!("entry {i}")).collect();
    let refs: Vec<&str> = entries.iter().map(String::as_str).collect();
    let log = log_with(&refs);

    // First checkpoint: from nothing.
    let n5 = checkpoint(&log, 5, &signer);
    let line = w.add_checkpoint(&n5, 0, &[], 1_700_000_000).unwrap();
    assert_eq!(cosig.verify(&format!("{n5}{line}")).unwrap(), 1_700_000_000);
    // A cosignature does not carry over to another checkpoint.
    let n10 = checkpoint(&log, 10, &signer);
    assert!(cosig.verify(&format!("{n10}{line}")).is_err());

    // Growth with a consistency proof; a wrong old size is a conflict, not evidence.
    let proof = log.consistency_proof(5, 10).unwrap();
    assert!(matches!(
        w.add_checkpoint(&n10, 4, &proof, 1_700_000_001),
        Err(BoardError::Conflict {
            held: 5,
            claimed: 4
        })
    ));
    let line = w.add_checkpoint(&n10, 5, &proof, 1_700_000_001).unwrap();
    cosig.verify(&format!("{n10}{line}")).unwrap();
    assert_eq!(w.latest(ORIGIN).unwrap().size, 10);
    assert!(w.evidence().is_empty());

    // The operator shows another history: entry 7 changed.
    let mut forked_entries = refs.clone();
    forked_entries[7] = "entry 7, rewritten";
    let forked = log_with(&forked_entries);
    let f10 = checkpoint(&forked, 10, &signer);
    assert!(matches!(
        w.add_checkpoint(&f10, 10, &[], 1_700_000_002),
        Err(BoardError::SplitView(_))
    ));
    let f12 = checkpoint(&forked, 12, &signer);
    let fproof = forked.consistency_proof(10, 12).unwrap();
    assert!(matches!(
        w.add_checkpoint(&f12, 10, &fproof, 1_700_000_003),
        Err(BoardError::SplitView(_))
    ));
    // A smaller tree after a larger one is refused (400 or 409 in tlog-witness), but is no
    // evidence: a log may show an old checkpoint again.
    let n8 = checkpoint(&log, 8, &signer);
    assert!(matches!(
        w.add_checkpoint(&n8, 10, &[], 1_700_000_004),
        Err(BoardError::OldSize { old: 10, size: 8 })
    ));
    assert!(matches!(
        w.add_checkpoint(&n8, 0, &[], 1_700_000_004),
        Err(BoardError::Conflict {
            held: 10,
            claimed: 0
        })
    ));
    let evidence = w.evidence();
    assert_eq!(evidence.len(), 2);
    assert!(evidence.iter().all(|e| e.held == n10));
    assert_eq!(evidence[0].offered, f10);
    // Nothing refused moved the witness.
    assert_eq!(w.latest(ORIGIN).unwrap().root, log.root(10).unwrap());

    // A checkpoint by another key, or of an unknown log, is refused.
    let stranger = NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[9; 32])).unwrap();
    assert!(
        w.add_checkpoint(
            &checkpoint(&log, 12, &stranger),
            10,
            &log.consistency_proof(10, 12).unwrap(),
            5
        )
        .is_err()
    );
    let other = NoteSigner::new("other.example/log", SigningKey::from_bytes(&[1; 32])).unwrap();
    let foreign = Checkpoint {
        origin: "other.example/log".into(),
        size: 1,
        root: log.root(1).unwrap(),
    }
    .sign(&other);
    assert!(matches!(
        w.add_checkpoint(&foreign, 0, &[], 6),
        Err(BoardError::UnknownLog(o)) if o == "other.example/log"
    ));
}

/// A checkpoint of a log the witness does not follow, with an origin line of megabytes: refused,
/// the origin named by its start and length, not echoed whole.
#[test]
fn an_unknown_log_s_huge_origin_is_named_not_echoed() {
    let origin = "x".repeat(20 << 20);
    let signer = NoteSigner::new("other.example", SigningKey::from_bytes(&[3; 32])).unwrap();
    let mut w = Witness::new(
        "witness.party-a.example",
        SigningKey::from_bytes(&[2; 32]),
        vec![NoteVerifier::parse(&signer.verifier_key()).unwrap()],
    );
    let log = log_with(&["a"]);
    let note = Checkpoint {
        origin: origin.clone(),
        size: 1,
        root: log.root(1).unwrap(),
    }
    .sign(&signer);
    let err = w.add_checkpoint(&note, 0, &[], 1_700_000_000).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, BoardError::UnknownLog(_)), "{text:.200}");
    assert!(text.len() < 400, "{} bytes", text.len());
    assert!(
        text.contains(&format!("({} bytes)", origin.len())),
        "{text}"
    );
}
