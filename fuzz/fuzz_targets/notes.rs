//! Signed notes, checkpoints, verifier keys and cosignatures (C2SP signed-note, tlog-checkpoint,
//! tlog-cosignature), as a client, a witness and the server read them from outside.

#![no_main]

use std::sync::LazyLock;

use ed25519_dalek::SigningKey;
use entente_board::note::{Checkpoint, NoteSigner, NoteVerifier, SignedNote};
use entente_board::witness::CosignatureVerifier;
use libfuzzer_sys::fuzz_target;

/// A fixed log key, so that a note the fuzzer keeps signed (from the seed corpus) gets past
/// its signature into the checkpoint's body.
static LOG: LazyLock<NoteVerifier> = LazyLock::new(|| {
    let signer = NoteSigner::new("board.example/fuzz", SigningKey::from_bytes(&[7; 32]))
        .expect("a valid name");
    NoteVerifier::parse(&signer.verifier_key()).expect("its own key parses")
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(note) = SignedNote::parse(text) {
        let _ = note.render();
        let _ = note.verify(&LOG);
    }
    let _ = Checkpoint::parse(text);
    let _ = Checkpoint::open(text, &LOG);
    let first = text.lines().next().unwrap_or("");
    let _ = NoteVerifier::parse(first);
    if let Ok(witness) = CosignatureVerifier::parse(first) {
        let _ = witness.verify(text);
    }
});
