//! Checkpoints and signed notes: interoperability with the signed-note reference
//! implementation (Go's golang.org/x/mod/sumdb/note example key and note), round trips, and
//! refusal of anything altered.

use ed25519_dalek::SigningKey;
use entente_board::note::{Checkpoint, NoteSigner, NoteVerifier, SignedNote};

/// The example of Go's sumdb/note documentation: its verifier key and a note it signed.
const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_NOTE: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

#[test]
fn the_reference_note_verifies_and_an_altered_one_does_not() {
    let v = NoteVerifier::parse(PETER_VKEY).unwrap();
    let note = SignedNote::parse(PETER_NOTE).unwrap();
    note.verify(&v).unwrap();
    let altered = PETER_NOTE.replacen("answer", "answers", 1);
    assert!(SignedNote::parse(&altered).unwrap().verify(&v).is_err());
    // A verifier key whose id does not match its key is refused.
    assert!(NoteVerifier::parse(&PETER_VKEY.replace("c74f20a3", "c74f20a4")).is_err());
}

#[test]
fn checkpoints_round_trip_and_refuse_alteration() {
    let signer =
        NoteSigner::new("board.example/riverside", SigningKey::from_bytes(&[7; 32])).unwrap();
    let v = NoteVerifier::parse(&signer.verifier_key()).unwrap();
    let cp = Checkpoint {
        origin: "board.example/riverside".into(),
        size: 1234,
        root: [9; 32],
    };
    let note = cp.sign(&signer);
    assert!(note.starts_with("board.example/riverside\n1234\nCQkJ"));
    assert_eq!(Checkpoint::open(&note, &v).unwrap(), cp);
    // Another size, another root, another key: refused.
    for altered in [
        note.replacen("1234", "1235", 1),
        note.replacen("CQkJ", "CQkK", 1),
    ] {
        assert!(Checkpoint::open(&altered, &v).is_err(), "{altered}");
    }
    let other =
        NoteSigner::new("board.example/riverside", SigningKey::from_bytes(&[8; 32])).unwrap();
    assert!(Checkpoint::open(&cp.sign(&other), &v).is_err());
    // Malformed texts are errors, not panics.
    for bad in [
        "",
        "\n\n",
        "origin\n01\nAAAA\n\n\u{2014} x AAAA\n",
        "no blank line\n",
    ] {
        assert!(Checkpoint::open(bad, &v).is_err(), "{bad:?}");
    }
    assert!(NoteSigner::new("has space", SigningKey::from_bytes(&[1; 32])).is_err());
}
