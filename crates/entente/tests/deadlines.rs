//! A client command's `--timeout` bounds the whole command: a server that accepts the
//! connection and never answers cannot hold it past its deadline.

use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{ok, s};

const PASS: &str = "deadline test passphrase";

/// A server that accepts every connection, reads what comes, answers nothing, closes nothing.
fn silent_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = conn.set_read_timeout(Some(Duration::from_millis(200)));
            let _ = conn.read(&mut buf);
            held.push(conn);
        }
    });
    format!("http://{addr}")
}

/// Runs `entente ARGS` against a silent server; it must give up within 60 s (far more than
/// the 2 s asked for, far less than a request's own limit), with status 2 and a message that
/// says the server did not answer in time.
fn gives_up(args: &[&str]) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_entente"))
        .arg("--insecure-http")
        .args(args)
        .env("ENTENTE_PASSPHRASE", PASS)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("{args:?} was still waiting after 60 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(2), "{args:?}: {err}");
    assert!(
        err.contains("did not answer in time") || err.contains("time ran out"),
        "{args:?}: {err}"
    );
}

#[test]
fn every_client_command_gives_up_at_its_timeout_on_a_server_that_never_answers() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let keygen = |file: &str, name: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_entente"))
            .args(["keygen", "--out", s(&d.join(file)), "--name", name])
            .args(["--role", "log", "--scrypt-log-n", "2"])
            .env("ENTENTE_PASSPHRASE", PASS)
            .output()
            .unwrap();
        ok(&out).trim().to_owned()
    };
    let vkey = keygen("log.key", "board.example/silent");
    keygen("role.key", "guardian.silent");
    let server = silent_server();
    let record = d.join("record");
    gives_up(&[
        "export",
        "--server",
        &server,
        "--log",
        &vkey,
        "--dir",
        s(&record),
        "--timeout",
        "2",
    ]);
    let role = |state: &str| -> Vec<String> {
        [
            "--server",
            &server,
            "--log",
            &vkey,
            "--key",
            s(&d.join("role.key")),
            "--state",
            s(&d.join(state)),
            "--timeout",
            "2",
        ]
        .iter()
        .map(|a| a.to_string())
        .collect()
    };
    for (command, state) in [
        (vec!["device"], "device"),
        (vec!["guardian", "ceremony"], "guardian"),
        (vec!["admin", "create", "--quorum", "2"], "admin"),
    ] {
        let mut args: Vec<String> = command.iter().map(|c| c.to_string()).collect();
        args.extend(role(state));
        gives_up(&args.iter().map(String::as_str).collect::<Vec<_>>());
    }
}
