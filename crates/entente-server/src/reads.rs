//! The board's public read API: the checkpoint, tlog-tiles and entry bundles, entries, proofs, lookups, the election's setup and the status.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use entente_board::tiles::TILE_WIDTH;
use entente_board::{AnyStorage, Board, NodeRead, Storage};
use serde::Deserialize;

use entente_roles::protocol::{ConsistencyJson, EntryJson, InclusionJson, normalise_code};

use crate::proofs::{b64s, inclusion_of, latest_size, proof_error};
use crate::respond::{ApiError, ApiResult, blocking, note_response};
use crate::state::AppState;

/// GET /checkpoint: the latest checkpoint with its cosignatures (tlog-tiles).
pub(crate) async fn checkpoint(State(st): State<Arc<AppState>>) -> ApiResult<Response> {
    let note = blocking(move || st.read(|b| b.latest_checkpoint().map_err(ApiError::internal)))
        .await?
        .ok_or_else(|| ApiError::not_found("the log has signed no checkpoint yet"))?
        .1;
    Ok(note_response(note))
}

/// `<N>[.p/<W>]` of a tile path: the index and width.
fn parse_index(parts: &[&str]) -> Option<(u64, u64)> {
    let (index_parts, width) = match parts {
        [rest @ .., last_index, w_text] if last_index.ends_with(".p") => {
            let w: u64 = w_text
                .parse()
                .ok()
                .filter(|w| (1..TILE_WIDTH).contains(w))?;
            if w.to_string() != *w_text {
                return None; // no leading zeros
            }
            let mut v = rest.to_vec();
            v.push(last_index.strip_suffix(".p")?);
            (v, w)
        }
        _ => (parts.to_vec(), TILE_WIDTH),
    };
    let (last, rest) = index_parts.split_last()?;
    let mut n = 0u64;
    for p in rest {
        let digits = p.strip_prefix('x')?;
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        n = n.checked_mul(1000)?.checked_add(digits.parse().ok()?)?;
    }
    if last.len() != 3 || !last.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n = n.checked_mul(1000)?.checked_add(last.parse().ok()?)?;
    Some((n, width))
}

fn octets(bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        bytes,
    )
        .into_response()
}

/// The bytes of hash tile (level, n, width), if the board is large enough to have it.
fn tile_bytes(b: &Board<AnyStorage>, level: u32, n: u64, width: u64) -> ApiResult<Vec<u8>> {
    let size = b.storage().size().map_err(ApiError::internal)?;
    let available = if level >= 8 { 0 } else { size >> (8 * level) };
    if n.saturating_mul(TILE_WIDTH).saturating_add(width) > available {
        return Err(ApiError::not_found("no such tile in the log yet"));
    }
    let hashes = b
        .storage()
        .nodes(8 * level, n * TILE_WIDTH, n * TILE_WIDTH + width)
        .map_err(ApiError::internal)?;
    Ok(hashes.concat())
}

/// The entries of bundle (n, width), if the board has them.
fn bundle_entries(b: &Board<AnyStorage>, n: u64, width: u64) -> ApiResult<Vec<Vec<u8>>> {
    let size = b.storage().size().map_err(ApiError::internal)?;
    if n.saturating_mul(TILE_WIDTH).saturating_add(width) > size {
        return Err(ApiError::not_found("no such entry bundle in the log yet"));
    }
    b.storage()
        .entry_data(n * TILE_WIDTH, n * TILE_WIDTH + width)
        .map_err(ApiError::internal)
}

/// GET /tile/<L>/<N>[.p/<W>] and /tile/entries/<N>[.p/<W>] (C2SP tlog-tiles), from the
/// database: a mirror of `entente board export` served live.
pub(crate) async fn tile(
    State(st): State<Arc<AppState>>,
    UrlPath(path): UrlPath<String>,
) -> ApiResult<Response> {
    let parts: Vec<&str> = path.split('/').collect();
    let not_tile = || ApiError::not_found(format!("/tile/{path} is not a tile path"));
    let (first, rest) = parts.split_first().ok_or_else(not_tile)?;
    let (n, width) = parse_index(rest).ok_or_else(not_tile)?;
    if *first == "entries" {
        let entries = blocking(move || st.read(|b| bundle_entries(b, n, width))).await?;
        if entries.iter().any(|e| e.len() > usize::from(u16::MAX)) {
            return Err(ApiError::not_found(
                "this bundle holds an entry beyond 64 KiB: it is served at /entente/entries/",
            ));
        }
        let mut out = Vec::new();
        for e in entries {
            out.extend_from_slice(&(e.len() as u16).to_be_bytes());
            out.extend_from_slice(&e);
        }
        return Ok(octets(out));
    }
    let level: u32 = first
        .parse()
        .ok()
        .filter(|l: &u32| *l <= 63 && l.to_string() == *first)
        .ok_or_else(not_tile)?;
    let bytes = blocking(move || st.read(|b| tile_bytes(b, level, n, width))).await?;
    Ok(octets(bytes))
}

/// GET /entente/entries/<N>[.p/<W>]: an entry bundle with 32-bit lengths.
pub(crate) async fn large_bundle(
    State(st): State<Arc<AppState>>,
    UrlPath(path): UrlPath<String>,
) -> ApiResult<Response> {
    let parts: Vec<&str> = path.split('/').collect();
    let (n, width) = parse_index(&parts)
        .ok_or_else(|| ApiError::not_found(format!("/entente/entries/{path} is not a bundle")))?;
    let entries = blocking(move || st.read(|b| bundle_entries(b, n, width))).await?;
    let mut out = Vec::new();
    for e in entries {
        out.extend_from_slice(&(e.len() as u32).to_be_bytes());
        out.extend_from_slice(&e);
    }
    Ok(octets(out))
}

pub(crate) async fn entry(
    State(st): State<Arc<AppState>>,
    UrlPath(index): UrlPath<u64>,
) -> ApiResult<Json<EntryJson>> {
    let e = blocking(move || st.read(|b| b.entry(index).map_err(ApiError::internal)))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no entry {index}")))?;
    Ok(Json(EntryJson {
        index: e.index,
        kind: e.entry.kind,
        appended_at: e.appended_at,
        keys: e.entry.keys,
        data: B64.encode(e.entry.data),
        body: e.entry.body.map(|b| B64.encode(b)),
    }))
}

/// GET /entente/bodies/<aa>/<bb>/<hex SHA-256>: the body of a signed write, kept beside its
/// entry (`entente_board::tiles::body_path`); its reader checks it against the entry.
pub(crate) async fn body(
    State(st): State<Arc<AppState>>,
    UrlPath(path): UrlPath<String>,
) -> ApiResult<Response> {
    let not_body = || ApiError::not_found(format!("/entente/bodies/{path} is not a body path"));
    let digest = entente_board::tiles::body_of_path(&path).ok_or_else(not_body)?;
    let found =
        blocking(move || st.read(|b| b.storage().body(&digest).map_err(ApiError::internal)))
            .await?;
    Ok(octets(found.ok_or_else(|| {
        ApiError::not_found("the board holds no body of this SHA-256")
    })?))
}

#[derive(Deserialize)]
pub(crate) struct InclusionQuery {
    index: u64,
    size: Option<u64>,
}

/// GET /proof/inclusion?index=I[&size=N] (default: the latest checkpoint's size).
pub(crate) async fn inclusion(
    State(st): State<Arc<AppState>>,
    Query(q): Query<InclusionQuery>,
) -> ApiResult<Json<InclusionJson>> {
    blocking(move || {
        st.read(|b| {
            let size = match q.size {
                Some(s) => s,
                None => latest_size(b)?,
            };
            inclusion_of(b, q.index, size)
        })
    })
    .await
    .map(Json)
}

#[derive(Deserialize)]
pub(crate) struct ConsistencyQuery {
    from: u64,
    to: Option<u64>,
}

/// GET /proof/consistency?from=M[&to=N]: RFC 9162 §2.1.4 (default N: the latest checkpoint).
pub(crate) async fn consistency(
    State(st): State<Arc<AppState>>,
    Query(q): Query<ConsistencyQuery>,
) -> ApiResult<Json<ConsistencyJson>> {
    blocking(move || {
        st.read(|b| {
            let to = match q.to {
                Some(t) => t,
                None => latest_size(b)?,
            };
            let hashes = b.consistency_proof(q.from, to).map_err(proof_error)?;
            Ok(Json(ConsistencyJson {
                from: q.from,
                to,
                hashes: b64s(&hashes),
            }))
        })
    })
    .await
}

#[derive(Deserialize)]
pub(crate) struct LookupQuery {
    confirmation_code: Option<String>,
    ballot_id: Option<String>,
}

/// GET /lookup?confirmation_code=… or ?ballot_id=…: the entry and its inclusion proof in the
/// latest checkpoint.
pub(crate) async fn lookup(
    State(st): State<Arc<AppState>>,
    Query(q): Query<LookupQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let (name, value) = match (q.confirmation_code, q.ballot_id) {
        (Some(c), _) => (
            "confirmation_code",
            normalise_code(&c).ok_or_else(|| {
                ApiError::bad(
                    "a confirmation code is 64 hexadecimal digits (spaces and dashes are ignored)",
                )
            })?,
        ),
        (None, Some(id)) => ("ballot_id", id),
        (None, None) => return Err(ApiError::bad("give confirmation_code or ballot_id")),
    };
    blocking(move || {
        st.read(|b| {
            let found = b.find(name, &value).map_err(ApiError::internal)?;
            let &index = found
                .first()
                .ok_or_else(|| ApiError::not_found(format!("no ballot with {name} {value}")))?;
            let e = b
                .entry(index)
                .map_err(ApiError::internal)?
                .ok_or_else(|| ApiError::internal("an indexed entry is missing"))?;
            let size = latest_size(b)?;
            let proof = (index < size)
                .then(|| inclusion_of(b, index, size))
                .transpose()?;
            Ok(Json(serde_json::json!({
                "index": index,
                "kind": e.entry.kind,
                "appended_at": e.appended_at,
                "keys": e.entry.keys,
                "data": B64.encode(&e.entry.data),
                "body": e.entry.body.as_ref().map(|b| B64.encode(b)),
                "inclusion": proof,
            })))
        })
    })
    .await
}

/// GET /election/<file>: the election's setup files (manifest, config, election initialized),
/// for devices and anyone else.
pub(crate) async fn election_file(
    State(st): State<Arc<AppState>>,
    UrlPath(file): UrlPath<String>,
) -> ApiResult<Response> {
    let election = st
        .workflow
        .read()
        .map_err(ApiError::internal)?
        .election()
        .ok_or_else(|| ApiError::not_found("the election is not set up yet"))?;
    let (_, bytes) = election
        .files
        .iter()
        .find(|(n, _)| *n == file)
        .ok_or_else(|| ApiError::not_found(format!("no election file {file:?}")))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], bytes.clone()).into_response())
}

/// GET /status: the log's size, the latest checkpoint's, and the sequencer's queue.
pub(crate) async fn status(State(st): State<Arc<AppState>>) -> ApiResult<Json<serde_json::Value>> {
    let queue = st.sequencer.queue_depth();
    let phase = st.workflow.read().map_err(ApiError::internal)?.phase();
    blocking(move || {
        st.read(|b| {
            let size = b.storage().size().map_err(ApiError::internal)?;
            let cp = b
                .latest_checkpoint()
                .map_err(ApiError::internal)?
                .map(|c| c.0);
            let published = b.published().map_err(ApiError::internal)?.map(|c| c.0);
            Ok(Json(serde_json::json!({
                "origin": b.config().origin,
                "size": size,
                "checkpoint_size": cp,
                "published_size": published,
                "witnesses": b.config().witnesses.len(),
                "queue_depth": queue,
                "phase": phase,
            })))
        })
    })
    .await
}
