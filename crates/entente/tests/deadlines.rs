//! A client command's `--timeout` bounds the whole command: a server that accepts the
//! connection and never answers cannot hold it past its deadline.

use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{ok, s};

const PASS: &str = "deadline test passphrase";

#[test]
fn export_gives_up_at_its_timeout_on_a_server_that_never_answers() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("log.key");
    let out = Command::new(env!("CARGO_BIN_EXE_entente"))
        .args(["keygen", "--out", s(&key), "--name", "board.example/silent"])
        .args(["--role", "log", "--scrypt-log-n", "2"])
        .env("ENTENTE_PASSPHRASE", PASS)
        .output()
        .unwrap();
    let vkey = ok(&out).trim().to_owned();
    // Accepts every connection, reads what comes, answers nothing, closes nothing.
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
    let mut child = Command::new(env!("CARGO_BIN_EXE_entente"))
        .args([
            "--insecure-http",
            "export",
            "--server",
            &format!("http://{addr}"),
            "--log",
            &vkey,
        ])
        .args(["--dir", s(&tmp.path().join("record")), "--timeout", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Far more than the two seconds asked for, far less than a request's own 300 s limit.
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("entente export --timeout 2 was still waiting after 60 s");
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
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(
        err.contains("did not answer in time") || err.contains("time ran out"),
        "{err}"
    );
}
