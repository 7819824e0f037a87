//! Every route of the server.

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::reads::*;
use crate::state::AppState;
use crate::writes::*;

/// The router, with its cap on requests at once (`Limits::max_requests`). The writes read
/// their own bodies, within their own limits (see `writes`); no other route reads one.
pub fn router(state: Arc<AppState>) -> Router {
    let max_requests = state.limits().max_requests;
    let app = Router::new()
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
        .with_state(state);
    crate::listen::request_cap(app, max_requests)
}
