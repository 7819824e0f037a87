//! The service's HTTP API, driven through its router: ballots from a registered device are
//! checked, logged and answered with an inclusion proof in a signed checkpoint; bad ballots,
//! unknown keys, wrong signatures, replays and duplicates are refused with a 4xx and change
//! nothing; the public reads (lookup by code, tiles, proofs, status) serve what was logged;
//! the pages and what their scripts read are served from here alone.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::SigningKey;
use entente_board::note::{Checkpoint, NoteSigner, NoteVerifier};
use entente_board::{Hash, leaf_hash, verify_inclusion};
use entente_roles::protocol::{InclusionJson, Receipt};
use entente_server::{Election, Envelope};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

mod common;
use common::*;

fn hashes(v: &[String]) -> Vec<Hash> {
    v.iter()
        .map(|h| B64.decode(h).unwrap().try_into().unwrap())
        .collect()
}

fn check_receipt(r: &Receipt, env: &Envelope) {
    let log = NoteVerifier::parse(&log_signer().verifier_key()).unwrap();
    let cp = Checkpoint::open(&r.checkpoint, &log).unwrap();
    let InclusionJson { index, size, .. } = r.inclusion;
    assert_eq!((index, size), (r.index, cp.size));
    // The log keeps the write by its body's SHA-256, the body beside it.
    let leaf = leaf_hash(&env.logged().unwrap().to_bytes());
    verify_inclusion(index, size, &leaf, &hashes(&r.inclusion.hashes), &cp.root).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ballots_are_checked_logged_and_proven() {
    let s = server();
    let ballots = ballots();
    let env = Envelope::sign(&device(), ORIGIN, "ballot", 1, &ballots[0]);
    let (status, body) = post(&s.app, "/ballots", &env).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let receipt: Receipt = serde_json::from_value(body).unwrap();
    // Entry 0 is the roles file, logged by the server when it starts.
    assert_eq!(receipt.index, 1);
    check_receipt(&receipt, &env);
    let code = receipt.confirmation_code.clone().unwrap();
    let stated: Value = serde_json::from_slice(&ballots[0]).unwrap();
    assert_eq!(
        code,
        stated["confirmation_code"]
            .as_str()
            .unwrap()
            .to_ascii_lowercase()
    );

    // Found by its code as a receipt prints it (upper case, in groups with dashes).
    let printed = code
        .to_ascii_uppercase()
        .as_bytes()
        .chunks(8)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("-");
    let (status, body) = get(&s.app, &format!("/lookup?confirmation_code={printed}")).await;
    assert_eq!(status, StatusCode::OK);
    let found: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(found["index"], 1);
    assert_eq!(
        B64.decode(found["data"].as_str().unwrap()).unwrap(),
        env.logged().unwrap().to_bytes()
    );
    assert_eq!(found["body"].as_str(), Some(env.body.as_str()));
    let (status, _) = get(
        &s.app,
        &format!("/lookup?confirmation_code={}", "0".repeat(64)),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(&s.app, "/lookup?confirmation_code=not-a-code").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The same ballot again, properly signed with a new nonce: a duplicate, refused.
    let again = Envelope::sign(&device(), ORIGIN, "ballot", 2, &ballots[0]);
    let (status, body) = post(&s.app, "/ballots", &again).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("on the board already")
    );

    // A replayed envelope (the nonce of the first) of another ballot: refused.
    let replay = Envelope::sign(&device(), ORIGIN, "ballot", 1, &ballots[1]);
    let (status, body) = post(&s.app, "/ballots", &replay).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"].as_str().unwrap().contains("replay"));

    // A changed body under the old signature; an unknown key; the wrong role.
    let mut forged = Envelope::sign(&device(), ORIGIN, "ballot", 3, &ballots[1]);
    forged.body = B64.encode(&ballots[2]);
    assert_eq!(
        post(&s.app, "/ballots", &forged).await.0,
        StatusCode::UNAUTHORIZED
    );
    let stranger = NoteSigner::new("device.booth-1", SigningKey::from_bytes(&[99; 32])).unwrap();
    let env = Envelope::sign(&stranger, ORIGIN, "ballot", 3, &ballots[1]);
    assert_eq!(
        post(&s.app, "/ballots", &env).await.0,
        StatusCode::UNAUTHORIZED
    );
    let env = Envelope::sign(&admin(), ORIGIN, "ballot", 1, &ballots[1]);
    assert_eq!(
        post(&s.app, "/ballots", &env).await.0,
        StatusCode::FORBIDDEN
    );

    // A ballot whose proof was changed: 422 naming what failed, nothing stored.
    let mut bad: Value = serde_json::from_slice(&ballots[1]).unwrap();
    let response = &mut bad["contests"][0]["selections"][0]["proof"]["proofs"][0]["response"];
    let digits = response.as_str().unwrap().to_owned();
    let flipped = if digits.ends_with('1') { "2" } else { "1" };
    *response = Value::String(format!("{}{flipped}", &digits[..digits.len() - 1]));
    let env = Envelope::sign(
        &device(),
        ORIGIN,
        "ballot",
        4,
        &serde_json::to_vec(&bad).unwrap(),
    );
    let (status, body) = post(&s.app, "/ballots", &env).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let named = bad["contests"][0]["contest_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(body["error"].as_str().unwrap().contains(&named), "{body}");
    let (_, st) = get(&s.app, "/status").await;
    let st: Value = serde_json::from_slice(&st).unwrap();
    assert_eq!(st["size"], 2);

    // Not JSON of a ballot at all.
    let env = Envelope::sign(&device(), ORIGIN, "ballot", 5, b"{\"ballot_id\": 7}");
    assert_eq!(
        post(&s.app, "/ballots", &env).await.0,
        StatusCode::BAD_REQUEST
    );

    // The next valid ballot goes on, at index 2, with its proof.
    let env = Envelope::sign(&device(), ORIGIN, "ballot", 6, &ballots[1]);
    let (status, body) = post(&s.app, "/ballots", &env).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let receipt: Receipt = serde_json::from_value(body).unwrap();
    assert_eq!(receipt.index, 2);
    check_receipt(&receipt, &env);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_administrator_publishes_and_anyone_reads_tiles_and_proofs() {
    let s = server();
    // With the election set up outside the log, the administrator's next step is to close the
    // ballot box; creating the election again is out of order.
    let env = Envelope::sign(&admin(), ORIGIN, "election", 1, b"{}");
    let (status, body) = post(&s.app, "/entries", &env).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let env = Envelope::sign(&admin(), ORIGIN, "close", 2, b"{}");
    let (status, body) = post(&s.app, "/entries", &env).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    check_receipt(&serde_json::from_value(body).unwrap(), &env);
    // A replay of the last write: refused, nothing appended.
    assert_eq!(post(&s.app, "/entries", &env).await.0, StatusCode::CONFLICT);
    // After a restart the protocol's state and the administrator's last nonce are read back
    // from the log: closing again is out of order, and the nonce of a logged write is a replay.
    let s = open({
        let Server { dir, app, state } = s;
        drop((app, state));
        dir
    });
    let env = Envelope::sign(&admin(), ORIGIN, "close", 3, b"{}");
    let (status, body) = post(&s.app, "/entries", &env).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("closed already"),
        "{body}"
    );
    let env = Envelope::sign(&admin(), ORIGIN, "encrypted-tally", 2, b"{}");
    let (status, body) = post(&s.app, "/entries", &env).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"].as_str().unwrap().contains("replay"), "{body}");
    // A device may not take the administrator's steps; a kind outside the protocol is refused.
    let env = Envelope::sign(&device(), ORIGIN, "close", 1, b"{}");
    assert_eq!(
        post(&s.app, "/entries", &env).await.0,
        StatusCode::FORBIDDEN
    );
    let env = Envelope::sign(&admin(), ORIGIN, "manifest", 9, b"{}");
    assert_eq!(
        post(&s.app, "/entries", &env).await.0,
        StatusCode::BAD_REQUEST
    );
    // The ballot box is closed: a valid ballot is refused and not stored. (Nonce 1 was spent
    // by the device's refused `close`: a refused write spends its nonce.)
    let env = Envelope::sign(&device(), ORIGIN, "ballot", 2, &ballots()[0]);
    let (status, body) = post(&s.app, "/ballots", &env).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"].as_str().unwrap().contains("closed"), "{body}");

    // Entries: the roles file (0) and the close (1).
    // The level-0 tile holds the three leaf hashes; the bundle holds the three envelopes.
    let (status, tile) = get(&s.app, "/tile/0/000.p/2").await;
    assert_eq!(status, StatusCode::OK);
    let (status, bundle) = get(&s.app, "/tile/entries/000.p/2").await;
    assert_eq!(status, StatusCode::OK);
    let mut rest = &bundle[..];
    for i in 0..2 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        assert_eq!(leaf_hash(&rest[2..2 + len]), tile[32 * i..32 * (i + 1)]);
        rest = &rest[2 + len..];
    }
    assert!(rest.is_empty());
    // Tiles beyond the log, and malformed paths, are not found.
    for path in [
        "/tile/0/000.p/3",
        "/tile/0/000",
        "/tile/1/000.p/1",
        "/tile/0/0",
        "/tile/00/000.p/1",
        "/tile/0/000.p/03",
    ] {
        assert_eq!(get(&s.app, path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, body) = get(&s.app, "/checkpoint").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        String::from_utf8(body)
            .unwrap()
            .starts_with(&format!("{ORIGIN}\n2\n"))
    );
    let (status, body) = get(&s.app, "/proof/consistency?from=1&to=2").await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let (status, _) = get(&s.app, "/proof/inclusion?index=5").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = get(&s.app, "/entries/1").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = get(&s.app, "/entries/2").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// (status, content type, content security policy, body).
async fn get_page(app: &axum::Router, path: &str) -> (StatusCode, String, String, String) {
    let resp = app
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (status, mime, csp) = (
        resp.status(),
        header("content-type"),
        header("content-security-policy"),
    );
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, mime, csp, String::from_utf8(body.to_vec()).unwrap())
}

/// Every `src="…"` and `href="…"` of a page.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for part in html.split(attr).skip(1) {
            out.push(part.split('"').next().unwrap().to_owned());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_and_what_their_scripts_read_come_from_this_server_alone() {
    let s = server();
    let env = Envelope::sign(&device(), ORIGIN, "ballot", 1, &ballots()[0]);
    assert_eq!(post(&s.app, "/ballots", &env).await.0, StatusCode::OK);

    for path in ["/", "/ballot/ABCD-0123", "/board"] {
        let (status, mime, csp, html) = get_page(&s.app, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(mime.starts_with("text/html"), "{path}: {mime}");
        // The policy lets a page load nothing but this server's own files.
        assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"));
        assert!(!csp.contains("http") && !csp.contains('*'), "{csp}");
        assert!(html.contains("<html lang=\"en\">") && html.contains("name=\"viewport\""));
        let links = links(&html);
        assert!(
            links.iter().any(|l| l.ends_with(".js")),
            "{path} has no script"
        );
        for l in links {
            assert!(
                l.starts_with('/') && !l.starts_with("//"),
                "{path} links {l}"
            );
            if l.starts_with("/assets/") {
                let (status, mime, _, text) = get_page(&s.app, &l).await;
                assert_eq!(status, StatusCode::OK, "{l}");
                assert!(mime.starts_with("text/"), "{l}: {mime}");
                // Scripts import each other by relative paths and fetch this server's paths.
                assert!(
                    !text.contains("http://") && !text.contains("https://"),
                    "{l}"
                );
            }
        }
    }
    assert_eq!(
        get(&s.app, "/assets/secret.key").await.0,
        StatusCode::NOT_FOUND
    );

    // The keys a page checks with, the steps it fetches, and the published checkpoint (with no
    // witnesses named, every checkpoint the log signs is published).
    let (status, body) = get(&s.app, "/keys").await;
    assert_eq!(status, StatusCode::OK);
    let keys: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(keys["origin"], ORIGIN);
    assert_eq!(keys["log"], log_signer().verifier_key());
    assert_eq!(keys["witnesses"], serde_json::json!([]));
    let (_, body) = get(&s.app, "/steps").await;
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        serde_json::json!([{ "index": 0, "kind": "roles" }])
    );
    let published = get(&s.app, "/checkpoint/published").await;
    assert_eq!(published.0, StatusCode::OK);
    assert_eq!(published.1, get(&s.app, "/checkpoint").await.1);

    // The report: a page saying there is none, then the file as written, with no script.
    let (status, _, _, html) = get_page(&s.app, "/report").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("publishes no report"));
    let file = s.dir.path().join("report.html");
    s.state.serve_report(file.clone());
    assert!(
        get_page(&s.app, "/report")
            .await
            .3
            .contains("No report yet")
    );
    std::fs::write(
        &file,
        "<!doctype html><title>r</title><p>Every check holds.",
    )
    .unwrap();
    let (status, _, csp, html) = get_page(&s.app, "/report").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Every check holds."));
    assert!(csp.contains("default-src 'none'") && !csp.contains("script-src"));
}

/// The service over a new board whose roles let the device issue only `styles`.
fn server_with_styles(styles: &[&str]) -> Server {
    let mut roles = roles();
    roles.styles.insert(
        device().name().to_owned(),
        styles.iter().map(|s| s.to_string()).collect(),
    );
    open_with(new_board(), &roles)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_issues_only_the_ballot_styles_it_is_given() {
    let s = server_with_styles(&["another-polling-place"]);
    let env = Envelope::sign(&device(), ORIGIN, "ballot", 1, &ballots()[0]);
    let (status, body) = post(&s.app, "/ballots", &env).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(
        error.contains("may issue ballot styles") && error.contains("ballotStyle"),
        "{error}"
    );
    let s = server_with_styles(&["ballotStyle"]);
    let env = Envelope::sign(&device(), ORIGIN, "ballot", 1, &ballots()[0]);
    assert_eq!(post(&s.app, "/ballots", &env).await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_signed_for_another_log_is_refused_and_a_refused_write_spends_its_nonce() {
    let s = server();
    // The same device key, the same ballot, signed for another election's log.
    let env = Envelope::sign(
        &device(),
        "board.example/another-election",
        "ballot",
        1,
        &ballots()[0],
    );
    let (status, body) = post(&s.app, "/ballots", &env).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    // A step refused as out of order cannot be held back and logged later: its nonce is spent,
    // and so is every nonce below the author's latest step.
    let early = Envelope::sign(&admin(), ORIGIN, "encrypted-tally", 7, b"{}");
    assert_eq!(
        post(&s.app, "/entries", &early).await.0,
        StatusCode::CONFLICT
    );
    let close = Envelope::sign(&admin(), ORIGIN, "close", 8, b"{}");
    assert_eq!(post(&s.app, "/entries", &close).await.0, StatusCode::OK);
    let (status, body) = post(&s.app, "/entries", &early).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"].as_str().unwrap().contains("replay"), "{body}");
    let below = Envelope::sign(&admin(), ORIGIN, "encrypted-tally", 6, b"{}");
    let (status, body) = post(&s.app, "/entries", &below).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"].as_str().unwrap().contains("replay"), "{body}");
}

/// `encrypted_tally.json` of the given ballots (as the record holds them), for this election.
fn tally_of(ballots: &[&[u8]], extra: Option<&[u8]>) -> Vec<u8> {
    use entente_core::tally::{EncryptedTally, verify_ballot};
    use entente_group::P4096;
    use entente_record::ballot::json::EncryptedBallotJson;
    use entente_record::tally::EncryptedTallyJson;
    let election = Election::read(&record()).unwrap();
    let mut tally = EncryptedTally::<P4096>::new(&election.manifest);
    for b in ballots {
        let json: EncryptedBallotJson = serde_json::from_slice(b).unwrap();
        let verified = verify_ballot(
            &election.h_e,
            election.key::<entente_group::P4096>().unwrap(),
            &election.manifest,
            json.read_unchecked::<P4096>().unwrap(),
            &mut rand::rng(),
        )
        .unwrap();
        tally.add(&verified).unwrap();
    }
    let mut rec = tally.record("tally", &election.h_e);
    if let Some(id) = extra {
        rec.cast_ballot_ids
            .push(String::from_utf8(id.to_vec()).unwrap());
    }
    serde_json::to_vec(&EncryptedTallyJson::write(&rec)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_logs_only_a_tally_of_exactly_the_logged_cast_ballots() {
    let s = server();
    let ballots = ballots();
    for (n, b) in ballots.iter().enumerate() {
        let env = Envelope::sign(&device(), ORIGIN, "ballot", n as u64 + 1, b);
        assert_eq!(post(&s.app, "/ballots", &env).await.0, StatusCode::OK);
    }
    let close = Envelope::sign(&admin(), ORIGIN, "close", 1, b"{}");
    assert_eq!(post(&s.app, "/entries", &close).await.0, StatusCode::OK);
    let all: Vec<&[u8]> = ballots.iter().map(Vec::as_slice).collect();
    let mut nonce = 1;
    let mut refused = |tally: Vec<u8>, why: &'static str| {
        nonce += 1;
        let env = Envelope::sign(&admin(), ORIGIN, "encrypted-tally", nonce, &tally);
        let app = s.app.clone();
        async move {
            let (status, body) = post(&app, "/entries", &env).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            let error = body["error"].as_str().unwrap().to_owned();
            assert!(error.contains(why), "{error}");
        }
    };
    // One cast ballot left out.
    refused(tally_of(&all[..2], None), "leaves out 1 cast ballots").await;
    // A ballot counted twice (its id listed twice).
    let first: Value = serde_json::from_slice(all[0]).unwrap();
    let id = first["ballot_id"].as_str().unwrap().as_bytes().to_vec();
    refused(tally_of(&all, Some(&id)), "listed twice").await;
    // A ballot that is not on the log.
    refused(tally_of(&all, Some(b"id-999")), "not a ballot of the log").await;
    // The product of them all is logged.
    let env = Envelope::sign(
        &admin(),
        ORIGIN,
        "encrypted-tally",
        10,
        &tally_of(&all, None),
    );
    let (status, body) = post(&s.app, "/entries", &env).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_closes_with_exactly_its_logged_ballots_and_submits_none_after() {
    let s = server();
    let ballots = ballots();
    let mut ids = Vec::new();
    let mut last = String::new();
    for (n, b) in ballots.iter().take(2).enumerate() {
        let env = Envelope::sign(&device(), ORIGIN, "ballot", n as u64 + 1, b);
        let (status, body) = post(&s.app, "/ballots", &env).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let v: Value = serde_json::from_slice(b).unwrap();
        ids.push(v["ballot_id"].as_str().unwrap().to_owned());
        last = v["confirmation_code"].as_str().unwrap().to_owned();
    }
    let chain = |ids: &[String], last: &str| {
        serde_json::to_vec(&serde_json::json!({
            "encrypting_device": device().name(),
            "baux0": "00",
            "ballot_ids": ids,
            "last_confirmation_code": last,
            "chaining": false,
        }))
        .unwrap()
    };
    let mut nonce = 10;
    let mut close = |body: Vec<u8>| {
        nonce += 1;
        Envelope::sign(&device(), ORIGIN, "device-close", nonce, &body)
    };
    // A chain that leaves out a submitted ballot, or lists one never submitted: refused.
    let (status, body) = post(&s.app, "/entries", &close(chain(&ids[..1], &last))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("leaves out"),
        "{body}"
    );
    let mut more = ids.clone();
    more.push("id-999".into());
    let (status, body) = post(&s.app, "/entries", &close(chain(&more, &last))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("not submitted"),
        "{body}"
    );
    // The true chain closes the device; its third ballot is then refused.
    let (status, body) = post(&s.app, "/entries", &close(chain(&ids, &last))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let env = Envelope::sign(&device(), ORIGIN, "ballot", 100, &ballots[2]);
    let (status, body) = post(&s.app, "/ballots", &env).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("closed its chain"),
        "{body}"
    );
}

#[tokio::test]
async fn indices_and_sizes_out_of_range_are_the_client_s_error_never_the_server_s() {
    let s = server();
    let size: u64 = {
        let (status, body) = get(&s.app, "/checkpoint").await;
        assert_eq!(status, StatusCode::OK);
        let text = String::from_utf8(body).unwrap();
        text.lines().nth(1).unwrap().parse().unwrap()
    };
    let huge = i64::MAX as u64 + 1;
    for (path, expected) in [
        (format!("/entries/{size}"), StatusCode::NOT_FOUND),
        (format!("/entries/{huge}"), StatusCode::NOT_FOUND),
        (format!("/entries/{}", u64::MAX), StatusCode::NOT_FOUND),
        (
            format!("/proof/inclusion?index={huge}&size={size}"),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/proof/inclusion?index=0&size={huge}"),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/proof/consistency?from=1&to={huge}"),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/proof/consistency?from={huge}&to=1"),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/tile/0/x999/x999/x999/x999/x999/x999/999".to_owned(),
            StatusCode::NOT_FOUND,
        ),
        (
            "/tile/entries/x999/x999/x999/x999/x999/x999/999".to_owned(),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let (status, body) = get(&s.app, &path).await;
        assert_eq!(
            status,
            expected,
            "{path}: {}",
            String::from_utf8_lossy(&body)
        );
        let text = String::from_utf8_lossy(&body);
        assert!(!text.contains("damaged"), "{path}: {text}");
    }
    // Numbers that are no u64 at all are refused as such.
    let (status, _) = get(&s.app, "/entries/18446744073709551616").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// The board's reads may be made from any origin (a party's copy of the pages), without
/// credentials; a write's answer allows no other origin.
#[tokio::test]
async fn reads_are_open_to_every_origin_and_writes_are_not() {
    let s = server();
    for path in ["/checkpoint", "/keys", "/steps", "/status", "/entries/0"] {
        let resp = s
            .app
            .clone()
            .oneshot(
                Request::get(path)
                    .header("origin", "https://witness.harbour.example")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        assert_eq!(
            resp.headers()
                .get("access-control-allow-origin")
                .map(|v| v.to_str().unwrap()),
            Some("*"),
            "{path}"
        );
        assert!(
            resp.headers()
                .get("access-control-allow-credentials")
                .is_none()
        );
    }
    let resp = s
        .app
        .clone()
        .oneshot(
            Request::post("/ballots")
                .header("origin", "https://elsewhere.example")
                .body(Body::from("{}"))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp.headers().get("access-control-allow-origin").is_none());
}
