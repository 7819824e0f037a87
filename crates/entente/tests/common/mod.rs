//! What the command line's tests share, defined once: the `entente` binary with a passphrase,
//! its output checked, paths and JSON files, long-running processes that are killed when a test
//! ends (passed or failed), and a minimal HTTP client.

#![allow(dead_code)] // each test file uses its own part

pub mod served;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::Output;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

/// `entente` with `ENTENTE_PASSPHRASE` set to `pass`.
pub fn entente(pass: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_entente"));
    // The servers of these tests listen on loopback in plain HTTP (TLS has its own tests).
    c.arg("--insecure-http");
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

/// A new board for `origin` in `d`, with `devices` (verifier keys) registered in its roles
/// file: (its database, the roles file, the log's verifier key).
pub fn board(
    pass: &str,
    d: &Path,
    origin: &str,
    devices: &[String],
) -> (std::path::PathBuf, std::path::PathBuf, String) {
    let key = d.join("log.key");
    let vkey = run(
        pass,
        &[
            "keygen",
            "--out",
            s(&key),
            "--name",
            origin,
            "--scrypt-log-n",
            "2",
        ],
    )
    .trim()
    .to_owned();
    let db = d.join("board.db");
    run(
        pass,
        &[
            "board",
            "init",
            "--db",
            s(&db),
            "--origin",
            origin,
            "--key",
            s(&key),
        ],
    );
    let roles = d.join("roles.json");
    std::fs::write(
        &roles,
        serde_json::to_vec(&serde_json::json!({ "devices": devices })).unwrap(),
    )
    .unwrap();
    (db, roles, vkey)
}

/// egk's record whose election a test server takes ballots of (its own ballots are valid).
pub fn conformance_record() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/egk/records/allAvailableJson")
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
        .or_else(|| line.trim().strip_prefix("listening on https://"))
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (Running(child), addr)
}

/// One HTTP/1.1 request; returns the status and the body.
pub fn http(addr: &str, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    request(addr, method, path, &[], body)
}

/// A signed write POSTed to `path` as a client does: its headers announce it.
#[allow(dead_code)]
pub fn post_write(
    addr: &str,
    path: &str,
    env: &entente_roles::protocol::Envelope,
) -> (u16, Vec<u8>) {
    let headers = env.headers().unwrap();
    let body = serde_json::to_vec(env).unwrap();
    request(addr, "POST", path, &headers, &body)
}

/// One HTTP/1.1 request with extra headers.
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         {extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
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

/// A path as the `&str` an argument list takes.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The stdout of a run that must succeed (the test fails with its output otherwise).
pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The stderr of a run that must exit with `code`.
pub fn failed_with(out: &Output, code: i32) -> String {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The stderr of a run that must fail.
pub fn failed(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "should fail: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A JSON file's value.
pub fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// Every file under `dir`, at any depth (a mirror's or an export's bodies).
pub fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_owned()];
    while let Some(f) = folders.pop() {
        for e in std::fs::read_dir(&f).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// A base64 hash of a proof as JSON.
pub fn hash(v: &serde_json::Value) -> [u8; 32] {
    B64.decode(v.as_str().unwrap()).unwrap().try_into().unwrap()
}

/// A proof's base64 hashes as JSON.
pub fn hashes(v: &serde_json::Value) -> Vec<[u8; 32]> {
    v.as_array().unwrap().iter().map(hash).collect()
}

/// A ballot file of the record.
pub fn a_ballot(dir: &Path) -> std::path::PathBuf {
    let devices = std::fs::read_dir(dir.join("encrypted_ballots")).unwrap();
    let device = devices.flatten().next().unwrap().path();
    std::fs::read_dir(device)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("eballot-")
        })
        .unwrap()
}

/// `entente ARGS` without a passphrase: (exit status, stdout and stderr); never a panic.
pub fn status_and_text(args: &[&str]) -> (i32, String) {
    status_and_text_with(args, &[])
}

/// `entente ARGS` with the environment `env`: (exit status, stdout and stderr); never a panic.
pub fn status_and_text_with(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_entente"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("panicked"), "{text}");
    (out.status.code().unwrap_or(-1), text)
}

/// The line of Verification `n` in a verifier's report.
pub fn verification_line(text: &str, n: u32) -> String {
    text.lines()
        .find(|l| l.trim_start().starts_with(&format!("{n} ")))
        .unwrap_or_default()
        .to_owned()
}

/// Flips the low bit of the last byte of a base64 value (a 2.1 record's).
pub fn flip_base64(v: &mut serde_json::Value) {
    let mut b = B64.decode(v.as_str().unwrap()).unwrap();
    let last = b.len() - 1;
    b[last] ^= 1;
    *v = serde_json::Value::String(B64.encode(b));
}

/// The pages' checking library (`tests/browser/logjs.mjs`, in node) on the records in `dirs`:
/// its output, after asserting that it succeeded.
pub fn node_logjs(dirs: &[&Path]) -> String {
    let out = Command::new("node")
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser"))
        .arg("logjs.mjs")
        .args(dirs)
        .output()
        .expect("cannot run node (.ci/run installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Serves the files under `root` over plain HTTP on loopback, as any web server mirrors a
/// board's tiles; returns the URL.
pub fn serve_files(root: std::path::PathBuf) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let root = root.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap_or_default();
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or_default() <= 2 {
                        break;
                    }
                }
                let path = line
                    .split(' ')
                    .nth(1)
                    .unwrap_or("/")
                    .trim_start_matches('/');
                let file = root.join(path);
                let answer = match std::fs::read(&file) {
                    Ok(bytes) if !path.contains("..") && file.is_file() => bytes,
                    _ => {
                        let _ = stream.write_all(
                            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        );
                        return;
                    }
                };
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    answer.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&answer);
            });
        }
    });
    url
}
