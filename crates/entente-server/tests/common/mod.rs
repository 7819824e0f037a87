//! What the server's tests share: the conformance election the board serves, the signers of
//! its roles, a board in a temporary folder and calls through the router.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use ed25519_dalek::SigningKey;
use entente_board::note::NoteSigner;
use entente_board::{Board, BoardConfig, SqliteStorage};
use entente_server::{AppState, Election, Envelope, RolesFile, router};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub const ORIGIN: &str = "board.example/server-test";

pub fn log_signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[11; 32])).unwrap()
}
pub fn device() -> NoteSigner {
    NoteSigner::new("device.booth-1", SigningKey::from_bytes(&[12; 32])).unwrap()
}
pub fn admin() -> NoteSigner {
    NoteSigner::new("administrator", SigningKey::from_bytes(&[13; 32])).unwrap()
}

pub fn record() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/egk/records/allAvailableJson")
}

pub fn ballots() -> Vec<Vec<u8>> {
    let dir = record().join("encrypted_ballots/runWorkflowAllAvailableJson");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("eballot")
        })
        .collect();
    files.sort();
    files
        .iter()
        .take(3)
        .map(|f| std::fs::read(f).unwrap())
        .collect()
}

pub struct Server {
    pub dir: tempfile::TempDir,
    pub app: axum::Router,
    pub state: Arc<AppState>,
}

pub fn server() -> Server {
    open(new_board())
}

/// A new board in a temporary folder.
pub fn new_board() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("board.db");
    drop(
        Board::init(
            SqliteStorage::open(&db).unwrap(),
            BoardConfig {
                origin: ORIGIN.into(),
                log_key: log_signer().verifier_key(),
                witnesses: vec![],
            },
        )
        .unwrap(),
    );
    dir
}

/// The roles of these tests: the administrator and one device.
pub fn roles() -> RolesFile {
    RolesFile {
        administrator: Some(admin().verifier_key()),
        devices: vec![device().verifier_key()],
        ..RolesFile::default()
    }
}

/// The service over the board in `dir` (as after a restart).
pub fn open(dir: tempfile::TempDir) -> Server {
    open_with(dir, &roles())
}

/// The service over the board in `dir` with `roles`.
pub fn open_with(dir: tempfile::TempDir, roles: &RolesFile) -> Server {
    let db: entente_board::BoardDb = dir.path().join("board.db").into();
    let (seq, _thread) = entente_server::start_board(&db, log_signer()).unwrap();
    let election = Election::read(&record()).unwrap();
    let state: Arc<AppState> = AppState::new(&db, seq, roles, Some(election)).unwrap();
    Server {
        dir,
        app: router(state.clone()),
        state,
    }
}

pub async fn call(app: &axum::Router, req: Request<Body>) -> (StatusCode, Vec<u8>) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, body)
}

pub async fn post(app: &axum::Router, path: &str, env: &Envelope) -> (StatusCode, Value) {
    let mut req = Request::post(path).header("content-type", "application/json");
    // As a client sends it: the signed fields announced ahead of the body.
    if let Ok(headers) = env.headers() {
        for (name, value) in headers {
            req = req.header(name, value);
        }
    }
    let req = req
        .body(Body::from(serde_json::to_vec(env).unwrap()))
        .unwrap();
    let (status, body) = call(app, req).await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

pub async fn get(app: &axum::Router, path: &str) -> (StatusCode, Vec<u8>) {
    call(app, Request::get(path).body(Body::empty()).unwrap()).await
}
