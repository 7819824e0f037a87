//! What the network tests share: the `entente` binary with a passphrase, long-running
//! processes that are killed when a test ends (passed or failed), and a minimal HTTP client.

#![allow(dead_code)] // each test file uses its own part

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

/// `entente` with `ENTENTE_PASSPHRASE` set to `pass`.
pub fn entente(pass: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_entente"));
    c.env("ENTENTE_PASSPHRASE", pass);
    c
}

/// Runs `entente ARGS` with passphrase `pass`; returns its stdout, failing the test (with its
/// stderr) if it fails.
pub fn run(pass: &str, args: &[&str]) -> String {
    let out = entente(pass).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A child process that is killed when dropped (also when a test fails), so that no server
/// outlives its test.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl std::ops::Deref for Running {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Running {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

/// Starts `entente ARGS` (a server that prints "listening on http://ADDR" first); returns it
/// and its address. With `capture_stderr` its stderr is kept for the test to read (only for
/// processes that write little there: an unread pipe that fills up blocks the writer).
pub fn start(pass: &str, args: &[&str], capture_stderr: bool) -> (Running, String) {
    let mut child = entente(pass)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(if capture_stderr {
            Stdio::piped()
        } else {
            Stdio::inherit()
        })
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (Running(child), addr)
}

/// One HTTP/1.1 request; returns the status and the body.
pub fn http(addr: &str, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let split = resp.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&resp[..split]).into_owned();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, resp[split + 4..].to_vec())
}
