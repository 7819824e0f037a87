//! The key ceremony, spec 2.0 §3.2: each guardian's secret polynomial and its commitments
//! with Schnorr proofs, the verifiable sharing of the polynomials among the guardians, the
//! joint election key K and the extended base hash H_E.
//!
//! The guardian's secrets ([`Guardian`]) and what is published ([`Ceremony`]) are separate
//! types: a guardian's process holds the first, the board the second.

mod ceremony;
mod complaint;
mod context;
mod guardian;
mod json;
mod polynomial;
mod public;
mod schnorr;
mod share;
pub mod store;

pub use ceremony::{Ceremony, JointKey, run_local};
pub use complaint::ComplaintReason;
pub use context::{KeyContext, Quorum};
pub use guardian::Guardian;
pub use json::{ShareJson, SharesJson};
pub use polynomial::SecretPolynomial;
pub use public::{GuardianPublicKey, VerifiedGuardianKey};
pub use schnorr::SchnorrProof;
pub use share::{EncryptedShare, RevealedShare};
