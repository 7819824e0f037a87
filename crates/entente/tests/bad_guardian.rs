//! A guardian who posts a bad share: two honest guardians run `entente guardian ceremony` in
//! their own processes, the third guardian (played by this test) publishes a valid key but
//! shares that cannot decrypt. The honest guardians name it, the ceremony stops for everyone
//! (administrator included) with the evidence on the log, and the server refuses any further
//! step of the ceremony.

use std::process::Output;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use entente_board::note::NoteSigner;
use entente_core::keys::{Guardian, KeyContext, Quorum, ShareJson, SharesJson};
use entente_group::{Group, P4096, Scalar};
use entente_roles::protocol::Envelope;
use rand::SeedableRng;
use serde_json::Value;

mod common;
use common::http;
use common::s;

const PASS: &str = "bad guardian test passphrase";
const ORIGIN: &str = "board.example/bad-guardian";

fn entente() -> std::process::Command {
    common::entente(PASS)
}

fn run(args: &[&str]) -> String {
    common::run(PASS, args)
}

fn status(addr: &str) -> Value {
    serde_json::from_slice(&http(addr, "GET", "/status", b"").1).unwrap()
}

fn wait_for_phase(addr: &str, phase: &str) {
    let start = Instant::now();
    while !status(addr)["phase"].as_str().unwrap().contains(phase) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {phase:?}: {}",
            status(addr)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn post(addr: &str, env: &Envelope) -> (u16, String) {
    let (status, body) = common::post_write(addr, "/entries", env);
    (status, String::from_utf8(body).unwrap())
}

/// Three guardians of an election on a served board: two honest ones (`entente guardian
/// ceremony`, each in its own process) and the third played by the test, with the
/// administrator (`entente admin create`) in its own process.
struct Election {
    _tmp: tempfile::TempDir,
    d: std::path::PathBuf,
    _server: common::Running,
    addr: String,
    server: String,
    log: std::path::PathBuf,
    cheat: NoteSigner,
    guardians: Vec<std::thread::JoinHandle<Output>>,
    administrator: std::thread::JoinHandle<Output>,
}

impl Election {
    /// Starts it all; the administrator waits `admin_timeout` seconds for the guardians to
    /// settle any complaint.
    fn start(admin_timeout: &str) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().to_owned();
        let keygen = |file: &str, name: &str| {
            run(&[
                "keygen",
                "--out",
                s(&d.join(file)),
                "--name",
                name,
                "--scrypt-log-n",
                "2",
            ])
            .trim()
            .to_owned()
        };
        keygen("log.key", ORIGIN);
        let admin = keygen("admin.key", "administrator");
        let honest: Vec<String> = ["guardian-a", "guardian-b"]
            .iter()
            .map(|g| keygen(&format!("{g}.key"), g))
            .collect();
        let cheat = NoteSigner::new("guardian-c", SigningKey::from_bytes(&[31; 32])).unwrap();
        std::fs::write(
            d.join("roles.json"),
            serde_json::to_vec(&serde_json::json!({
                "administrator": admin,
                "guardians": [honest[0], honest[1], cheat.verifier_key()],
            }))
            .unwrap(),
        )
        .unwrap();
        let db = d.join("board.db");
        run(&[
            "board",
            "init",
            "--db",
            s(&db),
            "--origin",
            ORIGIN,
            "--key",
            s(&d.join("log.key")),
        ]);
        let (server_proc, addr) = common::start(
            PASS,
            &[
                "serve",
                "--db",
                s(&db),
                "--roles",
                s(&d.join("roles.json")),
                "--listen",
                "127.0.0.1:0",
            ],
            false,
        );
        let server = format!("http://{addr}");
        let log = d.join("log.key.pub");
        let role = |key: &str, state: &str, cmd: &[&str], timeout: &str| {
            let mut args: Vec<String> = cmd.iter().map(|a| a.to_string()).collect();
            for a in [
                "--server",
                &server,
                "--log",
                s(&log),
                "--key",
                s(&d.join(key)),
                "--state",
                s(&d.join(state)),
                "--timeout",
                timeout,
            ] {
                args.push(a.to_owned());
            }
            std::thread::spawn(move || entente().args(&args).output().unwrap())
        };
        let administrator = role(
            "admin.key",
            "admin",
            &["admin", "create", "--quorum", "2"],
            admin_timeout,
        );
        let guardians = ["guardian-a", "guardian-b"]
            .iter()
            .map(|g| role(&format!("{g}.key"), g, &["guardian", "ceremony"], "60"))
            .collect();
        Self {
            _tmp: tmp,
            d,
            _server: server_proc,
            addr,
            server,
            log,
            cheat,
            guardians,
            administrator,
        }
    }

    /// What the log holds, read by a client that checks it.
    fn view(&self) -> entente_roles::protocol::LogView {
        std::sync::Arc::unwrap_or_clone(
            client(&self.server, s(&self.log))
                .unwrap()
                .mirror(&self.d.join("test-mirror"))
                .unwrap()
                .view,
        )
    }

    /// The cheat's key: valid, published once the election is created.
    fn publish_cheat_key(&self) -> Guardian<P4096> {
        wait_for_phase(&self.addr, "guardian keys");
        let quorum = Quorum::new(3, 2).unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let me = Guardian::<P4096>::new(quorum, 3, &mut rng).unwrap();
        let key = me
            .public_key(&KeyContext::standard(), &mut rng)
            .verify(&KeyContext::standard(), quorum)
            .unwrap()
            .to_json("guardian-c");
        let env = Envelope::sign(
            &self.cheat,
            ORIGIN,
            "guardian-key",
            1,
            &serde_json::to_vec(&key).unwrap(),
        );
        assert_eq!(post(&self.addr, &env).0, 200);
        me
    }
}

#[test]
fn a_guardian_who_sends_a_bad_share_is_named_and_the_ceremony_stops() {
    let e = Election::start("10");
    let (addr, server, log, d, cheat) = (&e.addr, &e.server, &e.log, &e.d, &e.cheat);
    e.publish_cheat_key();
    // …then sends shares that are well formed but encrypt nothing its recipients can use.
    wait_for_phase(addr, "share messages");
    let junk = P4096::element_to_hex(&P4096::g_pow(&Scalar::from_u64(5)));
    let shares = SharesJson {
        guardian: 3,
        shares: [1, 2]
            .iter()
            .map(|&recipient| ShareJson {
                recipient,
                c0: junk.clone(),
                c1: "11".repeat(32),
                c2: "22".repeat(32),
            })
            .collect(),
    };
    let env = Envelope::sign(
        cheat,
        ORIGIN,
        "key-shares",
        2,
        &serde_json::to_vec(&shares).unwrap(),
    );
    assert_eq!(post(addr, &env).0, 200);

    // Both honest guardians name guardian 3, which cannot publish a share that settles their
    // complaints: the administrator stops the ceremony on the log, and everyone exits 1.
    let Election {
        guardians,
        administrator,
        ..
    } = e;
    for g in guardians {
        let out = g.join().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("key ceremony stopped"), "{stderr}");
        assert!(
            stderr.contains("the share guardian 3 sent it is bad: MAC does not verify"),
            "{stderr}"
        );
    }
    let out = administrator.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("guardian 3: did not settle the complaints of guardians [1, 2]"),
        "{stderr}"
    );
    assert!(
        status(addr)["phase"]
            .as_str()
            .unwrap()
            .contains("key ceremony stopped")
    );

    // The server refuses to go on: the joint key cannot be published.
    let admin_key =
        entente_roles::board::open_key(&d.join("admin.key"), &PASS.to_owned().into()).unwrap();
    let admin_signer = NoteSigner::new("administrator", admin_key.signing).unwrap();
    let env = Envelope::sign(
        &admin_signer,
        ORIGIN,
        "election-initialized",
        u64::MAX,
        b"{}",
    );
    let (code, body) = post(addr, &env);
    assert_eq!(code, 409, "{body}");
    assert!(body.contains("key ceremony has stopped"), "{body}");

    // The evidence is on the log: anyone exports it, and it verifies against the log.
    let record = d.join("record");
    run(&[
        "export",
        "--server",
        server,
        "--log",
        s(log),
        "--dir",
        s(&record),
    ]);
    let shares = std::fs::read_to_string(record.join("key_ceremony/shares-3.json")).unwrap();
    assert!(shares.contains(&"11".repeat(32)));
    for v in ["verdict-1.json", "verdict-2.json"] {
        let verdict: Value =
            serde_json::from_slice(&std::fs::read(record.join("key_ceremony").join(v)).unwrap())
                .unwrap();
        assert_eq!(verdict["complaints"][0]["sender"], 3, "{verdict}");
    }
    let out = entente()
        .args(["verify", s(&record), "--log", s(log)])
        .output()
        .unwrap();
    // A record without a joint key is not an election the verifier can check: exit 2, saying
    // which file is missing.
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("election_initialized.json"));
}

#[test]
fn a_false_complaint_is_settled_by_the_accused_and_the_ceremony_goes_on() {
    use entente_core::keys::GuardianPublicKey;
    use entente_roles::protocol::{ComplaintJson, VerdictJson};
    let e = Election::start("60");
    let me = e.publish_cheat_key();
    // The cheat sends good shares to both…
    wait_for_phase(&e.addr, "share messages");
    let view = e.view();
    let ctx = KeyContext::standard();
    let quorum = Quorum::new(3, 2).unwrap();
    let keys: Vec<_> = view
        .of("guardian-key")
        .map(|w| {
            GuardianPublicKey::<P4096>::from_json(&serde_json::from_slice(&w.body).unwrap())
                .unwrap()
                .verify(&ctx, quorum)
                .unwrap()
        })
        .filter(|k| k.index() != 3)
        .collect();
    let shares: Vec<_> = keys.iter().map(|k| me.share_for(&ctx, k)).collect();
    let env = Envelope::sign(
        &e.cheat,
        ORIGIN,
        "key-shares",
        2,
        &serde_json::to_vec(&SharesJson::write(3, &shares)).unwrap(),
    );
    assert_eq!(post(&e.addr, &env).0, 200);
    // …then falsely says guardian 1's share to it is bad.
    wait_for_phase(&e.addr, "verdicts");
    let verdict = VerdictJson {
        guardian: 3,
        election: e.view().definition().unwrap().to_owned(),
        complaints: vec![ComplaintJson {
            sender: 1,
            reason: "MAC does not verify (eq. (19))".into(),
        }],
    };
    let env = Envelope::sign(
        &e.cheat,
        ORIGIN,
        "share-verdict",
        3,
        &serde_json::to_vec(&verdict).unwrap(),
    );
    let (code, body) = post(&e.addr, &env);
    assert_eq!(code, 200, "{body}");
    // Only the accused answers a complaint: a reveal by anyone else is refused.
    let bogus = serde_json::json!({
        "guardian": 3, "recipient": 1, "share": "00".repeat(32), "nonce": "00".repeat(32),
    });
    let env = Envelope::sign(
        &e.cheat,
        ORIGIN,
        "share-reveal",
        4,
        &serde_json::to_vec(&bogus).unwrap(),
    );
    let (code, body) = post(&e.addr, &env);
    assert_eq!(code, 409, "{body}");
    assert!(
        body.contains("no complaint of guardian 1 against guardian 3"),
        "{body}"
    );
    // Guardian 1 publishes the disputed share with its nonce; the server logs it because it
    // redoes the encryption and eq. (21); the complaint is dismissed, and the ceremony ends
    // with the joint key for everyone.
    let (addr, server, log, mirror) = (
        e.addr.clone(),
        e.server.clone(),
        e.log.clone(),
        e.d.join("after"),
    );
    let Election {
        guardians,
        administrator,
        ..
    } = e;
    for g in guardians {
        let out = g.join().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
    }
    let out = administrator.join().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(status(&addr)["phase"], "open for ballots");
    let view = client(&server, s(&log))
        .unwrap()
        .mirror(&mirror)
        .unwrap()
        .view;
    let reveals: Vec<_> = view.of("share-reveal").map(|w| w.author.clone()).collect();
    assert_eq!(reveals, ["guardian-a"]);
}

/// A client of a plain-HTTP test server on loopback (as `--insecure-http` allows).
fn client(server: &str, log: &str) -> entente_roles::Result<entente_roles::client::Client> {
    entente_roles::net::configure(entente_roles::net::Trust::system().allow_insecure_http(true));
    entente_roles::client::Client::new(server, log)
}
