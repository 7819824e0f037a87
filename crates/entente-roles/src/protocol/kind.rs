//! The kinds of the protocol's entries: one per step of an election on the log.

/// Manifest, configuration, constants.
pub const ELECTION: &str = "election";
/// A guardian's commitments and proofs.
pub const GUARDIAN_KEY: &str = "guardian-key";
/// A guardian's encrypted shares for the others.
pub const KEY_SHARES: &str = "key-shares";
/// A guardian's acceptance of the shares it received, or its complaints.
pub const SHARE_VERDICT: &str = "share-verdict";
/// An accused guardian's share and nonce, published to settle a complaint (§3.2.2).
pub const SHARE_REVEAL: &str = "share-reveal";
/// The administrator stops a key ceremony whose accused did not settle the complaints.
pub const CEREMONY_STOP: &str = "ceremony-stop";
/// K and H_E with the guardians' keys.
pub const ELECTION_INITIALIZED: &str = "election-initialized";
/// The administrator commits a print run of pre-encrypted paper ballots: each one's id, style
/// and confirmation code. A scanning station's ballot is accepted only if it is one of them,
/// and only once.
pub const PRINT_RUN: &str = "print-run";
/// An encrypted ballot (POST /ballots).
pub const BALLOT: &str = "ballot";
/// A device's signed list of every ballot it submitted (its `ballot_chain.json`): no
/// ballot of it can then vanish from the log unnoticed, nor be added.
pub const DEVICE_CLOSE: &str = "device-close";
/// The ballot box closes.
pub const CLOSE: &str = "close";
/// The encrypted tally.
pub const ENCRYPTED_TALLY: &str = "encrypted-tally";
/// A guardian's partial decryptions with commitments.
pub const DECRYPTION_COMMIT: &str = "decryption-commit";
/// The guardians who decrypt.
pub const DECRYPTION_SET: &str = "decryption-set";
/// A guardian's responses to the joint challenges.
pub const DECRYPTION_RESPONSE: &str = "decryption-response";
/// Guardians of the set left out for a wrong or missing response: a new round begins.
pub const DECRYPTION_EXCLUDE: &str = "decryption-exclude";
/// The decrypted tally and challenged ballots.
pub const RESULT: &str = "result";

/// Every kind of the protocol but ballots, in protocol order.
pub const STEPS: [&str; 16] = [
    ELECTION,
    GUARDIAN_KEY,
    KEY_SHARES,
    SHARE_VERDICT,
    SHARE_REVEAL,
    CEREMONY_STOP,
    ELECTION_INITIALIZED,
    PRINT_RUN,
    DEVICE_CLOSE,
    CLOSE,
    ENCRYPTED_TALLY,
    DECRYPTION_COMMIT,
    DECRYPTION_SET,
    DECRYPTION_RESPONSE,
    DECRYPTION_EXCLUDE,
    RESULT,
];
