//! The bulletin board of an Entente election, a transparency log that knows nothing of elections
//! (it depends on no other Entente crate): everything any party publishes is one entry of an
//! append-only Merkle log in the manner of Certificate Transparency (RFC 9162), so that the
//! operator cannot rewrite history, and (with checkpoints cosigned by each party's witness, to
//! come) cannot show two parties two histories.
//!
//! This part is the log itself: RFC 9162 §2.1 hashing, inclusion proofs (§2.1.3) and
//! consistency proofs (§2.1.4), generated from the stored hashes of complete subtrees in
//! O(log n) reads, and verified by the RFC's algorithms.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod board;
pub mod db;
mod error;
pub mod lock;
pub mod merkle;
pub mod note;
pub mod pg;
pub mod pg_cluster;
pub mod sequencer;
pub mod store;
pub mod tiles;
pub mod witness;
pub mod witness_dir;

pub use board::{Board, BoardConfig};
pub use db::{AnyStorage, BoardDb, DbLock};
pub use error::BoardError;
pub use lock::BoardLock;
pub use merkle::{
    Hash, MemoryStore, MerkleLog, NodeRead, NodeStore, RootBuilder, empty_root, leaf_hash,
    node_hash, verify_consistency, verify_inclusion,
};
pub use pg::PgStorage;
pub use sequencer::Sequencer;
pub use store::{Entry, SqliteStorage, Storage, StoredEntry};
