//! Several servers on one PostgreSQL board (issue 24), in one process: two `AppState`s, each
//! with its own sequencer and connections, as two `entente serve` processes would have. What
//! one server logs binds the other: a ballot logged through one is a duplicate at the other, a
//! ballot box closed through one is closed at the other, and a step logged through one is not
//! logged again through the other; both sign one log. A step that a server logged without the
//! protocol's checks stops the others' writes, naming the entry.

use std::sync::Arc;

use axum::http::StatusCode;
use entente_board::pg_cluster::ThrowawayCluster;
use entente_board::{Board, BoardConfig, BoardDb, Entry, PgStorage};
use entente_roles::protocol::kind;
use entente_server::{AppState, Election, Envelope, router};

mod common;
use common::{ORIGIN, admin, ballots, device, get, log_signer, post, record, roles};

/// A server over the board at `db`, as `entente serve` starts one.
fn server(db: &BoardDb) -> axum::Router {
    let (seq, _thread) = entente_server::start_board(db, log_signer()).unwrap();
    let election = Election::read(&record()).unwrap();
    let state: Arc<AppState> = AppState::new(db, seq, &roles(), Some(election)).unwrap();
    router(state)
}

fn error(body: &serde_json::Value) -> String {
    body["error"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn what_one_server_logs_binds_the_other() {
    // The servers are set up outside the runtime, as `entente serve` sets them up: the
    // PostgreSQL client blocks (the handlers call it from blocking tasks).
    let pg = ThrowawayCluster::start()
        .unwrap_or_else(|e| panic!("the PostgreSQL tests need it (.ci/run installs it): {e}"));
    let url = pg.new_database("two_servers").unwrap();
    let config = BoardConfig {
        origin: ORIGIN.into(),
        log_key: log_signer().verifier_key(),
        witnesses: vec![],
    };
    Board::init(PgStorage::connect(&url).unwrap(), config).unwrap();
    let db: BoardDb = url.parse().unwrap();
    // Started at once with one roles file, they log it once.
    let (a, b) = std::thread::scope(|scope| {
        let a = scope.spawn(|| server(&db));
        let b = scope.spawn(|| server(&db));
        (a.join().unwrap(), b.join().unwrap())
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(two_servers(&a, &b));
    // A server that skips the protocol's checks logs a second close of the ballot box (signed
    // by the administrator, so only the protocol refuses it): the honest servers take no more
    // writes, and say which entry and why.
    let mut rogue = Board::open(PgStorage::connect(&url).unwrap()).unwrap();
    let again = Envelope::sign(&admin(), ORIGIN, kind::CLOSE, 7, b"{}");
    let logged = again.logged().unwrap();
    let mut entry = Entry::new(kind::CLOSE, logged.to_bytes())
        .with_key("author", again.author.clone())
        .with_key("step", kind::CLOSE);
    entry.body = Some(b"{}".to_vec());
    assert_eq!(rogue.append(&[entry]).unwrap(), 3);
    runtime.block_on(async {
        let next = Envelope::sign(&admin(), ORIGIN, kind::CLOSE, 8, b"{}");
        for server in [&a, &b] {
            let (status, body) = post(server, "/entries", &next).await;
            assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
            let said = error(&body);
            assert!(
                said.contains("entry 3 (close) does not replay")
                    && said.contains("logged a write the protocol refuses"),
                "{said}"
            );
        }
    });
    // Dropped outside the runtime, as a server's state is: their connections block.
    drop(runtime);
}

async fn two_servers(a: &axum::Router, b: &axum::Router) {
    let ballots = ballots();

    // A ballot logged through one server is a duplicate at the other (whose own records of
    // what is in flight know nothing of it).
    let first = Envelope::sign(&device(), ORIGIN, "ballot", 1, &ballots[0]);
    let (status, body) = post(a, "/ballots", &first).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let again = Envelope::sign(&device(), ORIGIN, "ballot", 2, &ballots[0]);
    let (status, body) = post(b, "/ballots", &again).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(error(&body).contains("on the board already"), "{body}");

    // The administrator closes the ballot box through the other server: the first server,
    // which last saw it open, refuses the next ballot.
    let close = Envelope::sign(&admin(), ORIGIN, kind::CLOSE, 1, b"{}");
    let (status, body) = post(b, "/entries", &close).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let late = Envelope::sign(&device(), ORIGIN, "ballot", 3, &ballots[1]);
    let (status, body) = post(a, "/ballots", &late).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(error(&body).contains("closed"), "{body}");

    // The same step sent to the first server is not logged twice.
    let (status, body) = post(a, "/entries", &close).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // Both serve one log: the same latest checkpoint, which holds the roles once, one ballot
    // and the close.
    let (_, note_a) = get(a, "/checkpoint").await;
    let (_, note_b) = get(b, "/checkpoint").await;
    assert_eq!(note_a, note_b);
    let text = String::from_utf8(note_a).unwrap();
    assert_eq!(text.lines().nth(1), Some("3"), "{text}");
}
