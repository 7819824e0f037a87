//! The server's every route, driven through its router as a client would reach it: the method,
//! path and query, headers and body come from the fuzzer. With the input's flag, the harness
//! signs the body as the registered device, or as the administrator for its steps (a fresh
//! nonce each time), so that the writes are tried past the signature check: the envelope, the
//! ballot's parse and its check, a print run's check.

#![no_main]

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use axum::http::Request;
use ed25519_dalek::SigningKey;
use entente_board::note::NoteSigner;
use entente_board::{Board, BoardConfig, SqliteStorage};
use entente_server::{AppState, Envelope, RolesFile, router};
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

const ORIGIN: &str = "board.example/fuzz";

fn log_signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[11; 32])).expect("a valid name")
}

fn device() -> NoteSigner {
    NoteSigner::new("device.booth-1", SigningKey::from_bytes(&[12; 32])).expect("a valid name")
}

fn admin() -> NoteSigner {
    NoteSigner::new("administrator", SigningKey::from_bytes(&[13; 32])).expect("a valid name")
}

struct Served {
    app: axum::Router,
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

/// One board for the whole run, over egk's conformance election, with one device registered.
static SERVED: LazyLock<Served> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = dir.path().join("board.db");
    let config = BoardConfig {
        origin: ORIGIN.into(),
        log_key: log_signer().verifier_key(),
        witnesses: vec![],
    };
    drop(Board::init(SqliteStorage::open(&db).expect("a new board"), config).expect("init"));
    let db: entente_board::BoardDb = db.into();
    let (seq, thread) = entente_server::start_board(&db, log_signer()).expect("the board");
    std::mem::forget(thread);
    let record = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/conformance/egk/records/allAvailableJson");
    let election = entente_server::Election::read(&record).expect("the conformance election");
    let roles = RolesFile {
        administrator: Some(admin().verifier_key()),
        devices: vec![device().verifier_key()],
        ..RolesFile::default()
    };
    let state = AppState::new(&db, seq, &roles, Some(election)).expect("the state");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    Served {
        app: router(state),
        runtime,
        _dir: dir,
    }
});

static NONCE: AtomicU64 = AtomicU64::new(1);

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    // "METHOD PATH\nName: value\n…\n\nbody"
    let (head, body) = match rest.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&rest[..at], &rest[at + 2..]),
        None => (rest, &[][..]),
    };
    let Ok(head) = std::str::from_utf8(head) else {
        return;
    };
    let mut lines = head.lines();
    let Some((method, path)) = lines.next().and_then(|l| l.split_once(' ')) else {
        return;
    };
    let mut req = Request::builder().method(method).uri(path);
    for line in lines {
        if let Some((name, value)) = line.split_once(": ") {
            req = req.header(name, value);
        }
    }
    let body = if flags & 1 == 1 {
        // Signed as a client sends it, the signed fields ahead of the body: the
        // administrator's steps by the administrator, anything else by the device.
        // (No step that closes the box or the device: the ballots' checks stay reachable.)
        let kinds = [
            "ballot",
            "manifest",
            "challenge",
            "decryption",
            "print-run",
            "election",
        ];
        let kind = kinds[usize::from(flags >> 1) % kinds.len()];
        let signer = match kind {
            "print-run" | "election" => admin(),
            _ => device(),
        };
        let nonce = NONCE.fetch_add(1, Ordering::Relaxed);
        let env = Envelope::sign(&signer, ORIGIN, kind, nonce, body);
        if let Ok(headers) = env.headers() {
            for (name, value) in headers {
                req = req.header(name, value);
            }
        }
        serde_json::to_vec(&env).expect("an envelope serializes")
    } else {
        body.to_vec()
    };
    let Ok(req) = req.body(Body::from(body)) else {
        return;
    };
    let served = &*SERVED;
    served.runtime.block_on(async {
        // The router's error type is Infallible: every request gets an answer.
        let Ok(resp) = served.app.clone().oneshot(req).await;
        let status = resp.status();
        let _ = resp.into_body().collect().await;
        assert!(
            status != axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "a request from outside is answered 500"
        );
    });
});
