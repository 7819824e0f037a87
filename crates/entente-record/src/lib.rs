//! What is public in an Entente election.
//!
//! This crate holds the ElectionGuard hash function `H` with its byte layouts and domain
//! separation (spec 2.0 §5), the hashes that bind an election to its parameters (`H_P`,
//! `H_M`, `H_B`, `H_E`: §3.1.2–§3.2.3), and, as the record grows, the election-record types and
//! their JSON. It depends on `entente-group` only, so that the verifier can read and hash
//! everything without linking any code that encrypts or decrypts.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ballot;
pub mod election;
mod error;
pub mod files;
pub mod hash;
pub mod keys;
pub mod layout;
pub mod manifest;
pub mod params;
pub mod tally;

pub use error::RecordError;
pub use hash::{HashValue, Hasher, Revision, domain};
pub use layout::{GroupKind, KnownGroup, Layout, RecordKind};
