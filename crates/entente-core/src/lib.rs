//! The ElectionGuard 2.0 protocol, as Entente runs it: the computations that hold secrets or make
//! proofs (key ceremony, encryption, tally, decryption). It depends on `entente-group` and
//! `entente-record` only.
//!
//! Everything here is generic over the [`entente_group::Group`] it runs in; the hashes and the
//! record types come from [`entente_record`]. So far: the key ceremony (spec 2.0 §3.2) in
//! [`keys`]. A check that passed returns a token the next stage requires: a
//! [`keys::VerifiedGuardianKey`] is what shares are encrypted to and what the joint key is
//! made of; a share becomes part of a guardian's key share only after it decrypted, its MAC
//! held and it matched the sender's commitments.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ballot;
pub mod decrypt;
mod error;
pub mod keys;
pub mod tally;

pub use error::CoreError;
