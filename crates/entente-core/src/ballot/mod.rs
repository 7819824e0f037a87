//! Ballot encryption, spec 2.0 §3.3 and §3.4: selections under exponential ElGamal with nonces
//! derived from the ballot's primary nonce, range proofs, encrypted contest data, contest hashes
//! and the confirmation code; the decryption of a challenged ballot from its primary nonce; and
//! pre-encrypted ballots (§4).

mod encrypt;
mod nonce_decrypt;
mod preencrypt;
mod prove;
mod recording;

pub use encrypt::{BallotContext, Encryptor, ProofSite, check_plaintext};
pub use nonce_decrypt::{OpenedBallot, decrypt_with_nonce};
pub use preencrypt::{PreEncryptedBallot, PreEncryptedContest, PreEncryptedSelection, preencrypt};
pub use prove::{ProofNonces, prove_range};
pub use recording::{MarkedBallot, Station};
