//! The Entente election service over HTTP (axum on tokio). This part is the board on the
//! network: anyone reads the checkpoint, the tlog-tiles, entries, proofs and a ballot by its
//! confirmation code; registered roles write in signed envelopes (devices submit ballots, the
//! administrator publishes artifacts), each write checked before it is appended, appended
//! through the group-commit sequencer, and acknowledged only once it is durable, with its
//! inclusion proof in a signed checkpoint.
//!
//! It depends on the group, the record, the protocol (`entente-core`), the board and the
//! protocol's messages in `entente-roles`; no library depends on it, so no role can reach the
//! operator's code.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cosigner;
pub mod election;
mod error;
pub mod listen;
pub mod pages;
mod proofs;
mod reads;
mod respond;
pub mod result;
mod router;
pub mod state;
mod web;
pub mod witness_http;
pub mod workflow;
mod writes;

use std::net::SocketAddr;
use std::sync::Arc;

use entente_board::note::NoteSigner;
use entente_board::{AnyStorage, Board, BoardDb, Sequencer};

pub use election::Election;
pub use entente_roles::protocol::{Envelope, Roles, RolesFile};
pub use error::WorkflowError;
pub use listen::{Limits, tls_config};
pub use router::router;
/// A server's TLS configuration (rustls).
pub use rustls::ServerConfig as TlsServerConfig;
pub use state::AppState;

/// Appends waiting at once that one transaction takes at most.
pub const MAX_BATCH: usize = 4096;

/// Opens the board in `db` and starts its sequencer with the log's signer.
pub fn start_board(
    db: &BoardDb,
    signer: NoteSigner,
) -> Result<
    (
        Sequencer,
        entente_board::sequencer::SequencerThread<AnyStorage>,
    ),
    String,
> {
    let storage = db.open_existing().map_err(|e| format!("{db}: {e}"))?;
    let board = Board::open(storage).map_err(|e| format!("{db}: {e}"))?;
    if signer.verifier_key() != board.config().log_key {
        return Err(format!(
            "the key given is not the log's ({})",
            board.config().log_key
        ));
    }
    // Watching the protocol's steps: another server's step refuses a write checked before it.
    let setup = entente_board::sequencer::Setup {
        max_batch: MAX_BATCH,
        signer: Some(signer),
        watch: Some("step".into()),
    };
    Sequencer::start_with(board, setup).map_err(|e| e.to_string())
}

/// Serves `state` on `listener` (over TLS when `tls` is given) within `state`'s limits, until
/// `shutdown` completes (ctrl-c, say: a handler registered before the address is made known,
/// so that whoever learns it may stop the server at once).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let addr: Option<SocketAddr> = listener.local_addr().ok();
    tracing::info!(?addr, tls = tls.is_some(), "serving the board");
    let limits = state.limits();
    listen::serve_app(listener, router(state), tls, limits, shutdown).await
}
