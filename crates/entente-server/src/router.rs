//! Every route of the server.

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use entente_roles::protocol::MAX_BODY;

use crate::reads::*;
use crate::state::AppState;
use crate::writes::*;

/// The router.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/checkpoint", get(checkpoint))
        .route("/tile/{*path}", get(tile))
        .route("/entente/entries/{*path}", get(large_bundle))
        .route("/entries/{index}", get(entry))
        .route("/proof/inclusion", get(inclusion))
        .route("/proof/consistency", get(consistency))
        .route("/lookup", get(lookup))
        .route("/status", get(status))
        .route("/election/{file}", get(election_file))
        .route("/ballots", post(submit_ballot))
        .route("/entries", post(submit_entry))
        .merge(crate::web::routes())
        // A ballot of a long general election runs to megabytes of JSON (base64 in its
        // envelope); axum's 2 MB default would refuse it.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}
