//! The server under abuse, on loopback, as a hostile party would try it: large unsigned bodies,
//! connections that say nothing or half a request, junk; meanwhile a legitimate device's
//! ballot is still taken in time, the server's memory stays bounded, and nothing it
//! acknowledged is lost. And each slow or unauthenticated request gets its clear answer.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::SigningKey;
use entente_board::note::NoteSigner;
use entente_roles::protocol::Envelope;
use serde_json::Value;

use common::{Running, http, post_write, s};

const PASS: &str = "abuse test passphrase";
const ORIGIN: &str = "board.example/abuse-test";
/// The server's header timeout in these tests (seconds): short, so that the test is.
const HEADER_TIMEOUT: u64 = 2;
/// Its body timeout (seconds).
const BODY_TIMEOUT: u64 = 3;

fn device() -> NoteSigner {
    NoteSigner::new("device.booth-1", SigningKey::from_bytes(&[41; 32])).unwrap()
}

/// A served board that takes ballots of the conformance record from `device()`.
fn serve(d: &Path) -> (Running, String) {
    let (db, roles, _) = common::board(PASS, d, ORIGIN, &[device().verifier_key()]);
    let record = common::conformance_record();
    common::start(
        PASS,
        &[
            "serve",
            "--db",
            s(&db),
            "--listen",
            "127.0.0.1:0",
            "--roles",
            s(&roles),
            "--record",
            s(&record),
            "--header-timeout",
            &HEADER_TIMEOUT.to_string(),
            "--body-timeout",
            &BODY_TIMEOUT.to_string(),
        ],
        false,
    )
}

/// The conformance record's ballots, in a fixed order.
fn ballots() -> Vec<Vec<u8>> {
    let files = entente_roles::record::ballot_files(&common::conformance_record()).unwrap();
    files.iter().map(|f| std::fs::read(f).unwrap()).collect()
}

/// A field of /proc/PID/status, in kB.
fn proc_kb(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    text.lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// Whether the server closed `stream` (or answered and closed) within `within`: reads until
/// end of stream; returns what it read, or None if the connection was still open.
fn closed_within(stream: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while start.elapsed() < within {
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        match stream.read(&mut buf) {
            Ok(0) => return Some(got),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return Some(got),
        }
    }
    None
}

fn status_of(response: &[u8]) -> Option<u16> {
    let text = String::from_utf8_lossy(response);
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

/// 40 unsigned 31 MB bodies, 300 slow connections and junk at once: the server stays under
/// 300 MB, takes a device's ballots within 5 s each meanwhile, and loses none it acknowledged.
#[test]
fn the_server_holds_under_abuse_and_a_device_s_ballot_still_goes_through() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, addr) = serve(tmp.path());
    let pid = server.id();
    let ballots = ballots();
    let stop = AtomicBool::new(false);
    let refused_unread = AtomicUsize::new(0);
    let slow_closed = AtomicUsize::new(0);
    let junk_answered = AtomicUsize::new(0);
    let mut acknowledged = Vec::new();
    std::thread::scope(|scope| {
        // 40 attackers without a key, each posting 31 MB to /ballots.
        for _ in 0..40 {
            let (addr, refused_unread) = (&addr, &refused_unread);
            scope.spawn(move || {
                let mut s = TcpStream::connect(addr).unwrap();
                let len = 31 << 20;
                write!(
                    s,
                    "POST /ballots HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
                     Content-Length: {len}\r\n\r\n"
                )
                .unwrap();
                let mut reader = s.try_clone().unwrap();
                let writer = std::thread::spawn(move || {
                    let chunk = vec![b'{'; 1 << 20];
                    for _ in 0..31 {
                        if s.write_all(&chunk).is_err() {
                            return;
                        }
                    }
                });
                let answer = closed_within(&mut reader, Duration::from_secs(20))
                    .expect("an unsigned 31 MB write was still open after 20 s");
                if status_of(&answer) == Some(401) {
                    refused_unread.fetch_add(1, Ordering::Relaxed);
                }
                let _ = reader.shutdown(std::net::Shutdown::Both);
                let _ = writer.join();
            });
        }
        // 300 slow connections, opened again as soon as the server closes them: a third say
        // nothing, a third half a request head, a third a whole head and 4 of its 1,000 bytes.
        for i in 0..300 {
            let (addr, stop, slow_closed) = (&addr, &stop, &slow_closed);
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let Ok(mut s) = TcpStream::connect(addr) else {
                        std::thread::sleep(Duration::from_millis(50));
                        continue;
                    };
                    let _ = match i % 3 {
                        0 => Ok(()),
                        1 => s.write_all(b"POST /ballots HTTP/1.1\r\nHost: x\r\nContent-Le"),
                        _ => s.write_all(
                            b"POST /entries HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"a\"",
                        ),
                    };
                    let wait = Duration::from_secs(HEADER_TIMEOUT + BODY_TIMEOUT + 5);
                    if closed_within(&mut s, wait).is_some() {
                        slow_closed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
        // Junk: garbage bytes, unknown paths, indices out of range, over and over.
        for _ in 0..4 {
            let (addr, stop, junk_answered) = (&addr, &stop, &junk_answered);
            scope.spawn(move || {
                let junk: [&[u8]; 4] = [
                    b"\x16\x03\x01\x02\x00garbage\r\n\r\n",
                    b"GET /entries/9223372036854775808 HTTP/1.1\r\nHost: x\r\n\r\n",
                    b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
                    b"BREW /coffee HTCPCP/1.0\r\n\r\n",
                ];
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let Ok(mut s) = TcpStream::connect(addr) else {
                        continue;
                    };
                    let _ = s.write_all(junk[n % junk.len()]);
                    n += 1;
                    if let Some(answer) = closed_within(&mut s, Duration::from_secs(5)) {
                        let status = status_of(&answer);
                        assert_ne!(status, Some(500), "junk made the server fail");
                        junk_answered.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
        // Meanwhile, the device: its ballots one after another, each acknowledged in 5 s.
        std::thread::sleep(Duration::from_millis(500));
        for (n, ballot) in ballots.iter().take(3).enumerate() {
            let env = Envelope::sign(&device(), ORIGIN, "ballot", n as u64 + 1, ballot);
            let start = Instant::now();
            let (status, body) = post_write(&addr, "/ballots", &env);
            let took = start.elapsed();
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
            assert!(
                took < Duration::from_secs(5),
                "a legitimate ballot took {took:?} under abuse"
            );
            let receipt: Value = serde_json::from_slice(&body).unwrap();
            acknowledged.push((receipt["index"].as_u64().unwrap(), env));
        }
        // Long enough for the slow connections to be cut off at least once.
        std::thread::sleep(Duration::from_secs(HEADER_TIMEOUT + BODY_TIMEOUT + 1));
        stop.store(true, Ordering::Relaxed);
    });
    let peak_mb = proc_kb(pid, "VmHWM:") / 1024;
    assert!(peak_mb < 300, "the server's memory peaked at {peak_mb} MB");
    assert_eq!(
        refused_unread.load(Ordering::Relaxed),
        40,
        "every unsigned write is refused with 401"
    );
    assert!(
        slow_closed.load(Ordering::Relaxed) >= 300,
        "slow connections were not closed: {}",
        slow_closed.load(Ordering::Relaxed)
    );
    assert!(junk_answered.load(Ordering::Relaxed) > 0);
    // Nothing acknowledged is lost: each ballot is on the board at its index.
    for (index, env) in &acknowledged {
        let (status, body) = http(&addr, "GET", &format!("/entries/{index}"), b"");
        assert_eq!(status, 200);
        let entry: Value = serde_json::from_slice(&body).unwrap();
        let data = B64.decode(entry["data"].as_str().unwrap()).unwrap();
        assert_eq!(data, env.logged().unwrap().to_bytes());
        assert_eq!(entry["body"].as_str(), Some(env.body.as_str()));
    }
    println!("peak memory {peak_mb} MB");
}

/// Opens a connection and sends `bytes`; the server's answer and how long it took to close.
fn send_and_wait(addr: &str, bytes: &[u8]) -> (Option<Vec<u8>>, Duration) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(bytes).unwrap();
    let start = Instant::now();
    let answer = closed_within(
        &mut s,
        Duration::from_secs(HEADER_TIMEOUT + BODY_TIMEOUT + 10),
    );
    (answer, start.elapsed())
}

/// Each slow or unauthenticated request of the issue gets its answer, in bounded time, and the
/// body of a write is read only once its headers check.
#[test]
fn slow_and_unsigned_requests_get_clear_answers_in_bounded_time() {
    let tmp = tempfile::tempdir().unwrap();
    let (_server, addr) = serve(tmp.path());
    let header_bound = Duration::from_secs(HEADER_TIMEOUT) + Duration::from_millis(1500);
    // Nothing at all, and half a head: closed at the header timeout.
    for bytes in [&b""[..], b"GET /checkpoint HTTP/1.1\r\nHost: x\r\nAcc"] {
        let (answer, took) = send_and_wait(&addr, bytes);
        assert!(answer.is_some(), "{bytes:?}: still open");
        assert!(took < header_bound, "{bytes:?}: closed after {took:?}");
    }
    // A whole head and 4 bytes of the 1,000 it announced, to a route that reads no body: the
    // answer, then the connection is not left waiting for the rest.
    let (answer, took) = send_and_wait(
        &addr,
        b"GET /checkpoint HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabcd",
    );
    let answer = answer.expect("a GET with a short body was still open");
    assert_eq!(status_of(&answer), Some(200));
    assert!(took < header_bound, "closed after {took:?}");

    let ballot = &ballots()[0];
    let signed = |nonce: u64| Envelope::sign(&device(), ORIGIN, "ballot", nonce, ballot);
    let head = |env: &Envelope, path: &str, len: usize| {
        let mut h = format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len}\r\n");
        for (k, v) in env.headers().unwrap() {
            h.push_str(&format!("{k}: {v}\r\n"));
        }
        h.push_str("\r\n");
        h.into_bytes()
    };
    // A device's signed write whose body trickles: 408 at the body timeout.
    let env = signed(1);
    let mut bytes = head(&env, "/ballots", 1000);
    bytes.extend_from_slice(b"{\"au");
    let (answer, took) = send_and_wait(&addr, &bytes);
    assert_eq!(status_of(&answer.unwrap()), Some(408));
    assert!(took < Duration::from_secs(BODY_TIMEOUT + 2), "{took:?}");
    // Announced larger than a ballot may be: 413 before a byte of it is read.
    let (answer, _) = send_and_wait(&addr, &head(&signed(2), "/ballots", 100 << 20));
    let answer = answer.unwrap();
    assert_eq!(
        status_of(&answer),
        Some(413),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    // Another kind of write than a ballot, to /ballots: 400 before the body.
    let step = Envelope::sign(&device(), ORIGIN, "device_close", 3, ballot);
    let (answer, _) = send_and_wait(&addr, &head(&step, "/ballots", 10 << 20));
    assert_eq!(status_of(&answer.unwrap()), Some(400));
    // An author nobody registered: 401 before the body.
    let stranger = NoteSigner::new("device.stranger", SigningKey::from_bytes(&[7; 32])).unwrap();
    let forged = Envelope::sign(&stranger, ORIGIN, "ballot", 1, ballot);
    let (answer, _) = send_and_wait(&addr, &head(&forged, "/ballots", 10 << 20));
    assert_eq!(status_of(&answer.unwrap()), Some(401));
    // Headers that announce one write and a body that is another: 400.
    let mut bytes = head(&signed(4), "/ballots", 0);
    let other = serde_json::to_vec(&signed(5)).unwrap();
    let at = bytes.len() - 4;
    bytes.splice(
        at..,
        format!("\r\nContent-Length: {}\r\n\r\n", other.len()).into_bytes(),
    );
    let bytes = String::from_utf8(bytes)
        .unwrap()
        .replacen("Content-Length: 0\r\n", "", 1)
        .into_bytes();
    let mut all = bytes;
    all.extend_from_slice(&other);
    let (answer, _) = send_and_wait(&addr, &all);
    let answer = answer.unwrap();
    assert_eq!(
        status_of(&answer),
        Some(400),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    // The published write's own headers, replayed with a large body: its nonce is spent, so
    // 409 before the body.
    let env = signed(6);
    let (status, body) = post_write(&addr, "/ballots", &env);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let (answer, _) = send_and_wait(&addr, &head(&env, "/ballots", 5 << 20));
    assert_eq!(status_of(&answer.unwrap()), Some(409));
}
