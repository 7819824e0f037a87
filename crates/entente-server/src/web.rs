//! The pages people read: the voter's page (`/`, `/ballot/<code>`), the board page (`/board`)
//! and the verification report (`/report`), with the few reads their scripts need beyond the
//! board's own (`/keys`, `/steps`, `/checkpoint/published`).
//!
//! The pages ask the reader to trust nothing the server says: their scripts (`web/*.js`, built
//! into the binary) fetch entries, inclusion proofs and the cosigned checkpoint, and check the
//! hashes and signatures in the browser. Everything is served from here, under a Content
//! Security Policy that allows nothing from elsewhere, so a page works offline from the
//! server's files alone.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use crate::respond::{ApiError, ApiResult, blocking, note_response};
use crate::state::AppState;
use entente_roles::protocol::ROLES_KIND;
use entente_roles::protocol::kind;

/// What a page may load: its own server's files and reads, nothing else.
const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";
/// The report is one self-contained file with its style inline and no script.
const REPORT_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// A file of the pages: its name under /assets/, its type and its bytes.
pub(crate) struct Asset {
    pub(crate) name: &'static str,
    mime: &'static str,
    pub(crate) text: &'static str,
}

pub(crate) const VOTER_PAGE: &str = include_str!("../web/voter.html");
pub(crate) const BOARD_PAGE: &str = include_str!("../web/board.html");
pub(crate) const ASSETS: [Asset; 4] = [
    Asset {
        name: "entente.css",
        mime: "text/css; charset=utf-8",
        text: include_str!("../web/entente.css"),
    },
    Asset {
        name: "log.js",
        mime: "text/javascript; charset=utf-8",
        text: include_str!("../web/log.js"),
    },
    Asset {
        name: "voter.js",
        mime: "text/javascript; charset=utf-8",
        text: include_str!("../web/voter.js"),
    },
    Asset {
        name: "board.js",
        mime: "text/javascript; charset=utf-8",
        text: include_str!("../web/board.js"),
    },
];

/// The pages' routes.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(voter))
        .route("/ballot/{code}", get(voter))
        .route("/board", get(board))
        .route("/report", get(report))
        .route("/assets/{name}", get(asset))
        .route("/keys", get(keys))
        .route("/steps", get(steps))
        .route("/checkpoint/published", get(published))
}

fn page(policy: &'static str, body: String) -> Response {
    let mut r = (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(policy),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // A browser that saw the pages over HTTPS never loads them over plain HTTP again, where
    // anyone on the path could serve other scripts (ignored over plain HTTP, as RFC 6797 says).
    h.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000"),
    );
    r
}

/// GET / and /ballot/<code>: the voter's page (its script reads the code from the address).
async fn voter() -> Response {
    page(PAGE_POLICY, VOTER_PAGE.to_owned())
}

/// GET /board: the election at a glance.
async fn board() -> Response {
    page(PAGE_POLICY, BOARD_PAGE.to_owned())
}

/// GET /report: the latest verification report of the election's record, as `entente verify
/// --html` wrote it.
async fn report(State(st): State<Arc<AppState>>) -> ApiResult<Response> {
    let Some(file) = st.report_file().map(ToOwned::to_owned) else {
        return Ok(page(
            REPORT_POLICY,
            no_report("This server publishes no report."),
        ));
    };
    let path = file.clone();
    let text = blocking(move || Ok(std::fs::read_to_string(path))).await?;
    Ok(match text {
        Ok(html) => page(REPORT_POLICY, html),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => page(
            REPORT_POLICY,
            no_report("No report yet: the record is verified once the election is decrypted."),
        ),
        Err(e) => return Err(ApiError::internal(format!("{}: {e}", file.display()))),
    })
}

fn no_report(why: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Verification report</title></head><body><main><h1>Verification report</h1>\
         <p>{why}</p><p>Anyone can verify the election themselves: <code>entente export</code> \
         then <code>entente verify</code>.</p><p><a href=\"/board\">The board</a></p></main>\
         </body></html>"
    )
}

async fn asset(UrlPath(name): UrlPath<String>) -> ApiResult<Response> {
    let a = ASSETS
        .iter()
        .find(|a| a.name == name)
        .ok_or_else(|| ApiError::not_found(format!("no file {name:?}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, a.mime),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        a.text,
    )
        .into_response())
}

/// The keys a page checks signatures with. A page keeps the first keys it sees and warns when
/// they change; a reader compares their ids with the ones each party publishes.
#[derive(Serialize)]
struct KeysJson {
    origin: String,
    log: String,
    witnesses: Vec<String>,
}

/// GET /keys: the log's verifier key and the witnesses' cosignature keys.
async fn keys(State(st): State<Arc<AppState>>) -> ApiResult<Json<KeysJson>> {
    blocking(move || {
        st.read(|b| {
            let c = b.config();
            Ok(Json(KeysJson {
                origin: c.origin.clone(),
                log: c.log_key.clone(),
                witnesses: c.witnesses.clone(),
            }))
        })
    })
    .await
}

/// A protocol step's place in the log.
#[derive(Serialize)]
struct StepJson {
    index: u64,
    kind: &'static str,
}

/// GET /steps: where each step of the protocol (and each roles file) is in the log, in log
/// order. Only an index: a page fetches each entry and checks its inclusion itself.
async fn steps(State(st): State<Arc<AppState>>) -> ApiResult<Json<Vec<StepJson>>> {
    blocking(move || {
        st.read(|b| {
            let mut out = Vec::new();
            for k in std::iter::once(ROLES_KIND).chain(kind::STEPS) {
                for index in b.find("step", k).map_err(ApiError::internal)? {
                    out.push(StepJson { index, kind: k });
                }
            }
            out.sort_unstable_by_key(|s| s.index);
            Ok(Json(out))
        })
    })
    .await
}

/// GET /checkpoint/published: the latest checkpoint cosigned by every witness.
async fn published(State(st): State<Arc<AppState>>) -> ApiResult<Response> {
    let note = blocking(move || st.read(|b| b.published().map_err(ApiError::internal)))
        .await?
        .ok_or_else(|| ApiError::not_found("no checkpoint is cosigned by every witness yet"))?
        .1;
    Ok(note_response(note))
}
