//! A party's witness as an HTTP service: C2SP tlog-witness `POST /add-checkpoint`, over the
//! witness's state directory. A split view is answered as the specification says, logged as
//! an alarm, kept as evidence, and reported to whoever runs the service (which then stops
//! with a non-zero status: a witness that has seen two histories must get a human's eyes).

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use entente_board::BoardError;
use entente_board::Hash;
use entente_board::witness_dir::WitnessDir;
use tokio::sync::watch;

/// The witness service's state.
pub struct WitnessService {
    dir: Mutex<WitnessDir>,
    alarm: watch::Sender<Option<String>>,
}

impl WitnessService {
    /// The service over a witness directory; the receiver is told of a split view.
    pub fn new(dir: WitnessDir) -> (Arc<Self>, watch::Receiver<Option<String>>) {
        let (alarm, rx) = watch::channel(None);
        (
            Arc::new(Self {
                dir: Mutex::new(dir),
                alarm,
            }),
            rx,
        )
    }
}

/// The largest add-checkpoint request: a checkpoint note with its signatures and at most 63
/// proof lines are a few kilobytes.
const MAX_REQUEST: usize = 64 << 10;
/// The longest a request may take to arrive and be answered.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The router: `POST /add-checkpoint`, its body at most [`MAX_REQUEST`], requests at once
/// capped as the board's are.
pub fn witness_router(svc: Arc<WitnessService>) -> Router {
    let app = Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_REQUEST))
        // A request whose body trickles in is cut off: a witness answers in milliseconds.
        .layer(axum::middleware::from_fn(
            |req: axum::extract::Request, next: axum::middleware::Next| async move {
                tokio::time::timeout(REQUEST_TIMEOUT, next.run(req))
                    .await
                    .unwrap_or_else(|_| {
                        text(
                            StatusCode::REQUEST_TIMEOUT,
                            "the request did not arrive in time".into(),
                        )
                    })
            },
        ))
        .with_state(svc);
    crate::listen::request_cap(app, crate::Limits::default().max_requests)
}

fn text(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

/// The request body: "old N", proof lines, an empty line, the checkpoint note.
fn parse(body: &str) -> Result<(u64, Vec<Hash>, &str), String> {
    let (old_line, mut rest) = body.split_once('\n').ok_or("no old size line")?;
    let old = old_line
        .strip_prefix("old ")
        .filter(|n| *n == "0" || !n.starts_with('0'))
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or("the first line is not \"old <size>\"")?;
    let mut proof = Vec::new();
    loop {
        let (line, tail) = rest
            .split_once('\n')
            .ok_or("no empty line before the checkpoint")?;
        rest = tail;
        if line.is_empty() {
            break;
        }
        if proof.len() == 63 {
            return Err("more than 63 consistency proof lines".into());
        }
        let h: Hash = B64
            .decode(line)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or("a proof line is not a base64 hash")?;
        proof.push(h);
    }
    Ok((old, proof, rest))
}

async fn add_checkpoint(State(svc): State<Arc<WitnessService>>, body: Bytes) -> Response {
    let Ok(body) = std::str::from_utf8(&body) else {
        return text(StatusCode::BAD_REQUEST, "the body is not UTF-8\n".into());
    };
    let (old, proof, note) = match parse(body) {
        Ok(p) => p,
        Err(e) => return text(StatusCode::BAD_REQUEST, format!("{e}\n")),
    };
    let time = entente_board::board::now();
    // Checking the old size and saving the new checkpoint happen under one lock (the race of
    // tlog-witness: a smaller request must not roll back a larger one).
    let outcome = match svc.dir.lock() {
        Ok(mut dir) => dir.add_checkpoint(note, old, &proof, time),
        Err(_) => return text(StatusCode::INTERNAL_SERVER_ERROR, "poisoned state\n".into()),
    };
    match outcome {
        Ok(line) => text(StatusCode::OK, line),
        Err(e) => match e {
            BoardError::UnknownLog(o) => text(
                StatusCode::NOT_FOUND,
                format!("this witness follows no log {o:?}\n"),
            ),
            BoardError::NotFromKnownLog(note) if matches!(*note, BoardError::NotSigned(_)) => text(
                StatusCode::FORBIDDEN,
                "no signature by a key this witness trusts for the log\n".into(),
            ),
            BoardError::NotFromKnownLog(note) => text(StatusCode::BAD_REQUEST, format!("{note}\n")),
            e @ BoardError::OldSize { .. } => text(StatusCode::BAD_REQUEST, format!("{e}\n")),
            BoardError::Conflict { held, .. } => (
                StatusCode::CONFLICT,
                [(header::CONTENT_TYPE, "text/x.tlog.size")],
                format!("{held}\n"),
            )
                .into_response(),
            BoardError::SplitView(why) => {
                let msg = format!("SPLIT VIEW: the log showed this witness two histories: {why}");
                tracing::error!("{msg}; the evidence is kept");
                let _ = svc.alarm.send(Some(msg.clone()));
                // Same size with another root is a 409; a proof that shows the tree does not
                // extend the held one is a 422 (tlog-witness).
                let status = if why.starts_with("two roots") {
                    StatusCode::CONFLICT
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                };
                text(status, format!("{msg}\n"))
            }
            BoardError::ConsistencyFails(p) => text(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("the consistency proof does not verify: {p}\n"),
            ),
            // The witness's own state failed it: not the submitter's doing.
            e @ (BoardError::Io { .. } | BoardError::StateDamaged { .. }) => {
                tracing::error!("witness state: {e}");
                text(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n"))
            }
            other => text(StatusCode::BAD_REQUEST, format!("{other}\n")),
        },
    }
}
