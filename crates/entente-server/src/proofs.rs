//! Inclusion and consistency proofs as the API serves them.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use entente_board::{AnyStorage, Board, Hash};
use entente_roles::protocol::InclusionJson;

use crate::respond::{ApiError, ApiResult};

pub(crate) fn b64s(h: &[Hash]) -> Vec<String> {
    h.iter().map(|h| B64.encode(h)).collect()
}

pub(crate) fn proof_error(e: entente_board::BoardError) -> ApiError {
    match e {
        p if p.is_outside_the_log() => ApiError::bad(p.to_string()),
        other => ApiError::internal(other),
    }
}

pub(crate) fn inclusion_of(
    b: &Board<AnyStorage>,
    index: u64,
    size: u64,
) -> ApiResult<InclusionJson> {
    Ok(InclusionJson {
        index,
        size,
        leaf_hash: B64.encode(b.leaf_hash(index).map_err(proof_error)?),
        root: B64.encode(b.root(size).map_err(proof_error)?),
        hashes: b64s(&b.inclusion_proof(index, size).map_err(proof_error)?),
        checkpoint: b.checkpoint_at(size).map_err(ApiError::internal)?,
    })
}

/// [`inclusion_of`] for an append's receipt: the leaf hash of the entry just appended and the
/// root of the checkpoint just signed (`note`, of `cp`) are known, so only the proof's nodes
/// are read.
pub(crate) fn inclusion_in(
    b: &Board<AnyStorage>,
    index: u64,
    leaf: &Hash,
    cp: &entente_board::note::Checkpoint,
    note: &str,
) -> ApiResult<InclusionJson> {
    let hashes = b.inclusion_proof(index, cp.size).map_err(proof_error)?;
    Ok(inclusion_from(index, leaf, cp, note, &hashes))
}

/// The inclusion proof of entry `index` (leaf hash `leaf`) in checkpoint `cp`, by its hashes.
pub(crate) fn inclusion_from(
    index: u64,
    leaf: &Hash,
    cp: &entente_board::note::Checkpoint,
    note: &str,
    hashes: &[Hash],
) -> InclusionJson {
    InclusionJson {
        index,
        size: cp.size,
        leaf_hash: B64.encode(leaf),
        root: B64.encode(cp.root),
        hashes: b64s(hashes),
        checkpoint: Some(note.to_owned()),
    }
}

pub(crate) fn latest_size(b: &Board<AnyStorage>) -> ApiResult<u64> {
    Ok(b.latest_checkpoint()
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("the log has signed no checkpoint yet"))?
        .0)
}
