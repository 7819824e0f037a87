//! Every route of the server.

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, Method, header};
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
        .route("/entente/bodies/{*path}", get(body))
        .route("/entries/{index}", get(entry))
        .route("/proof/inclusion", get(inclusion))
        .route("/proof/consistency", get(consistency))
        .route("/lookup", get(lookup))
        .route("/status", get(status))
        .route("/election/{file}", get(election_file))
        .route("/ballots", post(submit_ballot))
        .route("/entries", post(submit_entry))
        .route("/cosignatures", post(submit_cosignatures))
        .merge(crate::web::routes())
        .with_state(state)
        .layer(axum::middleware::from_fn(readable_anywhere));
    crate::listen::request_cap(app, max_requests)
}

/// Every read may be made from any origin (a party's copy of the pages reads the board from
/// its own): the board is public data, read without credentials, and checked by whoever reads
/// it. Writes get no such header: a browser page elsewhere cannot make one.
async fn readable_anywhere(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let read = matches!(req.method(), &Method::GET | &Method::HEAD);
    let mut response = next.run(req).await;
    if read {
        response.headers_mut().insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    }
    response
}
