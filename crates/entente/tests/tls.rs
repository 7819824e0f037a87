//! TLS: a server with a certificate of one CA; a client that trusts that CA reads from it, a
//! client that trusts another CA (or only the system's roots) refuses it and says why, and
//! plain HTTP is refused unless asked for, and never served beyond loopback.

mod common;

use std::process::{Command, Output};

use entente_roles::throwaway_ca::ThrowawayCa;

use common::s;

const PASS: &str = "tls test passphrase";
const ORIGIN: &str = "board.example/tls-test";

/// `entente ARGS` with no trust flag but those given.
fn entente(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_entente"))
        .args(args)
        .env("ENTENTE_PASSPHRASE", PASS)
        .output()
        .unwrap()
}

#[test]
fn a_client_reads_a_server_its_ca_signed_and_refuses_one_it_did_not() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let ours = ThrowawayCa::new(&d.join("ca-ours")).unwrap();
    let theirs = ThrowawayCa::new(&d.join("ca-theirs")).unwrap();
    let id = ours.issue("server").unwrap();
    let (db, roles, vkey) = common::board(PASS, d, ORIGIN, &[]);
    let (_server, addr) = common::start(
        PASS,
        &[
            "serve",
            "--db",
            s(&db),
            "--listen",
            "127.0.0.1:0",
            "--roles",
            s(&roles),
            "--tls-cert",
            s(&id.cert),
            "--tls-key",
            s(&id.key),
        ],
        false,
    );
    let url = format!("https://{addr}");

    // Trusting our CA: the log's signed checkpoint is read over TLS.
    entente_roles::net::configure(
        entente_roles::net::Trust::system()
            .with_ca_file(&ours.cert_file())
            .unwrap(),
    );
    let client = entente_roles::client::Client::new(&url, &vkey).unwrap();
    assert_eq!(client.origin().unwrap(), ORIGIN);

    // Trusting another CA, or only the system's roots: refused, the certificate's problem named.
    let dir = d.join("export");
    let other = theirs.cert_file();
    for trust in [vec!["--ca", s(&other)], vec![]] {
        let mut args = trust.clone();
        args.extend(["export", "--server", &url, "--log", &vkey, "--dir", s(&dir)]);
        let err = common::failed_with(&entente(&args), 2);
        assert!(
            err.contains("the server's certificate is refused (UnknownIssuer)")
                && err.contains("not signed by a CA this command trusts"),
            "{trust:?}: {err}"
        );
        assert!(!dir.join("manifest.json").exists());
    }
    // Plain HTTP to a server that speaks TLS, when allowed: fails, and says it.
    let plain = format!("http://{addr}");
    let args = [
        "export",
        "--server",
        &plain,
        "--log",
        &vkey,
        "--dir",
        s(&dir),
    ];
    let err = common::failed_with(&entente(&args), 2);
    assert!(err.contains("is plain HTTP"), "{err}");
}

#[test]
fn plain_http_is_served_only_when_asked_and_only_on_loopback() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let (db, roles, _) = common::board(PASS, d, ORIGIN, &[]);
    let serve = |extra: &[&str], listen: &str| {
        let mut args = vec![
            "serve",
            "--db",
            s(&db),
            "--roles",
            s(&roles),
            "--listen",
            listen,
        ];
        args.extend(extra);
        entente(&args)
    };
    let err = common::failed_with(&serve(&[], "127.0.0.1:0"), 2);
    assert!(
        err.contains("--tls-cert") && err.contains("--insecure-http"),
        "{err}"
    );
    let err = common::failed_with(&serve(&["--insecure-http"], "0.0.0.0:0"), 2);
    assert!(err.contains("loopback address only"), "{err}");
    // A certificate file that holds no certificate is named, before anything is served.
    let junk = d.join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let err = common::failed_with(
        &serve(
            &["--tls-cert", s(&junk), "--tls-key", s(&junk)],
            "127.0.0.1:0",
        ),
        2,
    );
    assert!(err.contains("junk.pem"), "{err}");
    // A witness is served the same way.
    let err = common::failed_with(
        &entente(&[
            "witness",
            "serve",
            "--state",
            s(&d.join("w")),
            "--key",
            s(&d.join("w.key")),
            "--listen",
            "10.1.2.3:0",
            "--insecure-http",
        ]),
        2,
    );
    assert!(err.contains("loopback address only"), "{err}");
}
