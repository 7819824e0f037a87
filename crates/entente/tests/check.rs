//! `entente check` agrees with the voter's page: on a demo's board, a cast and a challenged
//! ballot are proven (exit 0), an unknown code and a board that tampers with its entries are
//! not (exit 1), each with its reason.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;

/// A proxy in front of `board` (https, trusting `ca`) that serves plain HTTP on loopback and
/// changes one byte of every entry bundle it passes on: a board that tampers with its log.
fn tampering_proxy(board: String, ca: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    entente_roles::net::configure(
        entente_roles::net::Trust::system()
            .with_ca_file(&ca)
            .unwrap(),
    );
    let agent = entente_roles::net::agent(std::time::Duration::from_secs(30));
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let agent = agent.clone();
            let board = board.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    return;
                }
                // The rest of the head.
                let mut header = String::new();
                while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                    header.clear();
                }
                let path = line.split(' ').nth(1).unwrap_or("/").to_owned();
                let Ok(mut resp) = agent.get(format!("{board}{path}")).call() else {
                    return;
                };
                let status = resp.status().as_u16();
                let mut body = resp
                    .body_mut()
                    .with_config()
                    .limit(1 << 30)
                    .read_to_vec()
                    .unwrap();
                if path.contains("entries/") && !body.is_empty() {
                    let at = body.len() / 2;
                    body[at] ^= 1;
                }
                let mut conn = conn;
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = conn.write_all(&body);
            });
        }
    });
    format!("http://{addr}")
}

fn check(ca: &Path, server: &str, log: &Path, code: &str) -> (i32, String) {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_entente"))
        .args(["--insecure-http", "--ca"])
        .arg(ca)
        .args(["check", code, "--server", server, "--log"])
        .arg(log)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn check_agrees_with_the_voter_s_page() {
    let tmp = tempfile::tempdir().unwrap();
    let record = tmp.path().join("record");
    let demo = common::served::serve_demo(&record, 6);
    let (url, ca) = (demo.url.clone(), demo.ca.clone());
    let log = record.join("log/key");
    let codes = common::served::ballot_codes(&record);
    let cast = &codes.iter().find(|(s, _)| s == "CAST").unwrap().1;
    let challenged = &codes
        .iter()
        .find(|(s, _)| s != "CAST" && s != "PAPER")
        .unwrap()
        .1;

    let (status, said) = check(&ca, &url, &log, &cast.to_ascii_uppercase());
    assert_eq!(status, 0, "{said}");
    assert!(
        said.contains("Your ballot is on the board (cast)"),
        "{said}"
    );
    assert!(
        said.contains("cosigned by witness.harbour.example, witness.highland.example"),
        "{said}"
    );
    let (status, said) = check(&ca, &url, &log, challenged);
    assert_eq!(status, 0, "{said}");
    assert!(said.contains("(challenged)"), "{said}");
    // Another hex digit in the first place: a code that differs whatever the cast one holds.
    let first = if cast.starts_with('0') { "1" } else { "0" };
    let unknown = format!("{first}{}", &cast[1..]);
    let (status, said) = check(&ca, &url, &log, &unknown);
    assert_eq!(status, 1, "{said}");
    assert!(said.contains("No ballot with the code"), "{said}");
    let (status, said) = check(&ca, &url, &log, "not-a-code");
    assert_eq!(status, 1, "{said}");
    assert!(said.contains("is not a confirmation code"), "{said}");
    let proxy = tampering_proxy(url.clone(), ca.clone());
    let (status, said) = check(&ca, &proxy, &log, cast);
    assert_eq!(status, 1, "{said}");
    assert!(
        said.contains("The proof fails: the board's log does not check"),
        "{said}"
    );
    drop(demo);
}
