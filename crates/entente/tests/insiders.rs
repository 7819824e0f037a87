//! Insiders who cheat alone, each against real processes on loopback: the board's operator
//! restarting its server with roles of its own, or rebuilding the log under the same key. Each
//! attempt ends refused with a clear message, or with the culprit named and the evidence kept.
//! (The server's own refusals — a device's ballot of another style, a write signed for another
//! log, a refused write's nonce, a tally that is not the product of the logged cast ballots, a
//! device's close that does not list its logged ballots — are in entente-server's tests.)

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::s;

const PASS: &str = "insiders test passphrase";
const ORIGIN: &str = "board.example/insiders";

fn run(args: &[&str]) -> String {
    common::run(PASS, args)
}

/// Keys, a board and a roles file (two guardians, one device, one witness), in `d`.
struct Election {
    d: PathBuf,
    roles: Value,
}

/// A key pair in `d` (`file`, `file.pub`); returns the verifier key.
fn keygen(d: &Path, file: &str, name: &str, witness: bool) -> String {
    let out = d.join(file);
    let mut args = vec![
        "keygen",
        "--out",
        s(&out),
        "--name",
        name,
        "--scrypt-log-n",
        "2",
    ];
    if witness {
        args.extend(["--role", "witness"]);
    }
    run(&args);
    std::fs::read_to_string(d.join(format!("{file}.pub")))
        .unwrap()
        .trim()
        .to_owned()
}

impl Election {
    fn new(d: &Path) -> Self {
        let keygen = |file: &str, name: &str, witness: bool| keygen(d, file, name, witness);
        keygen("log.key", ORIGIN, false);
        let roles = serde_json::json!({
            "administrator": keygen("admin.key", "administrator", false),
            "guardians": [
                keygen("guardian-a.key", "guardian-a", false),
                keygen("guardian-b.key", "guardian-b", false),
            ],
            "devices": [keygen("device.key", "device.booth-1", false)],
            "witnesses": [keygen("witness.key", "witness.harbour.example", true)],
        });
        let e = Self {
            d: d.to_owned(),
            roles,
        };
        e.write_roles("roles.json", &e.roles);
        e.init("board.db");
        e
    }

    fn write_roles(&self, file: &str, roles: &Value) -> PathBuf {
        let path = self.d.join(file);
        std::fs::write(&path, serde_json::to_vec(roles).unwrap()).unwrap();
        path
    }

    fn init(&self, db: &str) {
        run(&[
            "board",
            "init",
            "--db",
            s(&self.d.join(db)),
            "--origin",
            ORIGIN,
            "--key",
            s(&self.d.join("log.key")),
        ]);
    }

    fn serve_args(&self, db: &str, roles: &Path) -> Vec<String> {
        [
            "serve",
            "--db",
            s(&self.d.join(db)),
            "--roles",
            s(roles),
            "--key",
            s(&self.d.join("log.key")),
            "--listen",
            "127.0.0.1:0",
        ]
        .iter()
        .map(|a| a.to_string())
        .collect()
    }

    fn serve(&self, db: &str, roles: &Path) -> (common::Running, String) {
        let args = self.serve_args(db, roles);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (server, addr) = common::start(PASS, &args, false);
        (server, format!("http://{addr}"))
    }

    /// The administrator publishes the election (its definition: these roles) and returns.
    fn create(&self, server: &str, state: &str, quorum: &str) {
        run(&[
            "admin",
            "create",
            "--server",
            server,
            "--log",
            s(&self.d.join("log.key.pub")),
            "--key",
            s(&self.d.join("admin.key")),
            "--state",
            s(&self.d.join(state)),
            "--timeout",
            "30",
            "--quorum",
            quorum,
            "--no-wait",
        ]);
    }
}

#[test]
fn the_operator_cannot_restart_the_board_with_other_devices_or_witnesses() {
    let tmp = tempfile::tempdir().unwrap();
    let e = Election::new(tmp.path());
    let roles = e.d.join("roles.json");
    {
        let (_server, url) = e.serve("board.db", &roles);
        e.create(&url, "admin", "2");
    }
    // A device of the operator's own, and no witnesses: the server does not start on either.
    let mut stuffed = e.roles.clone();
    let own = keygen(&e.d, "own-device.key", "device.operators-own", false);
    stuffed["devices"].as_array_mut().unwrap().push(own.into());
    let mut unwitnessed = e.roles.clone();
    unwitnessed["witnesses"] = serde_json::json!([]);
    for (file, roles, field) in [
        ("stuffed.json", &stuffed, "devices"),
        ("unwitnessed.json", &unwitnessed, "witnesses"),
    ] {
        let path = e.write_roles(file, roles);
        let out = common::entente(PASS)
            .args(e.serve_args("board.db", &path))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{file}: {stderr}");
        assert!(
            stderr.contains(&format!("changes the {field}"))
                && stderr.contains("election's definition"),
            "{file}: {stderr}"
        );
    }
    // The election's own roles still serve, and the definition on the log is what they say.
    let (_server, url) = e.serve("board.db", &roles);
    let record = e.d.join("record");
    let out = common::entente(PASS)
        .args([
            "export",
            "--server",
            &url,
            "--log",
            s(&e.d.join("log.key.pub")),
            "--dir",
            s(&record),
            "--timeout",
            "1",
        ])
        .output()
        .unwrap();
    // No witness runs here, so the export waits for a cosigned checkpoint in vain: the
    // definition's witness cannot be dropped to make it pass.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("cosigned by every witness"), "{stderr}");
}

#[test]
fn a_client_refuses_a_rewritten_log_and_keeps_the_evidence() {
    let tmp = tempfile::tempdir().unwrap();
    let e = Election::new(tmp.path());
    let roles = e.d.join("roles.json");
    let mirror = e.d.join("mirror");
    let log_pub = e.d.join("log.key.pub");
    let writer = e.d.join("writer");
    let held = {
        let (_server, url) = e.serve("board.db", &roles);
        e.create(&url, "admin", "2");
        let client = client(&url, s(&log_pub)).unwrap();
        // A writer holds the checkpoint of its receipt, as a device does.
        let note = String::from_utf8(client.get("/checkpoint").unwrap().1).unwrap();
        client.hold_consistent(&writer, &note).unwrap();
        client.mirror(&mirror).unwrap().size
    };
    // The operator rebuilds the log under the same key, with another election in place of the
    // one the client saw: a log of the same size and another history.
    e.init("rewritten.db");
    let (_server, url) = e.serve("rewritten.db", &roles);
    e.create(&url, "admin-again", "1");
    let client = client(&url, s(&log_pub)).unwrap();
    let err = format!("{:#}", client.mirror(&mirror).err().unwrap());
    assert!(
        err.contains(&format!("does not extend the checkpoint of size {held}"))
            && err.contains("rewrote the log"),
        "{err}"
    );
    let evidence: Vec<String> = std::fs::read_dir(mirror.join("evidence"))
        .unwrap()
        .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        evidence.contains(&format!("held-{held}.checkpoint")) && evidence.len() == 2,
        "{evidence:?}"
    );
    // The client still holds what it saw, and refuses again.
    assert!(client.mirror(&mirror).is_err());
    // A writer handed a receipt from the rewritten log refuses it too, keeping both.
    let note = String::from_utf8(client.get("/checkpoint").unwrap().1).unwrap();
    let err = format!("{:#}", client.hold_consistent(&writer, &note).unwrap_err());
    assert!(err.contains("two histories of one log"), "{err}");
    assert_eq!(
        std::fs::read_dir(writer.join("evidence")).unwrap().count(),
        2
    );
    // A verifier who saw the first checkpoint (`verify --since`) refuses the rebuilt log too.
    let rebuilt = e.d.join("rebuilt");
    run(&[
        "board",
        "export",
        "--db",
        s(&e.d.join("rewritten.db")),
        s(&rebuilt.join("log")),
    ]);
    let check = entente_roles::observer::check_log(
        &rebuilt,
        Some(s(&log_pub)),
        &[],
        Some(&mirror.join("checkpoint")),
    )
    .unwrap()
    .unwrap();
    assert!(
        check.failures.iter().any(|f| f.contains("does not extend")),
        "{}",
        check.text()
    );
}

#[test]
fn a_guardian_who_answers_wrongly_and_one_who_never_answers_cannot_stop_the_result() {
    use entente_group::{Group, P4096, Scalar};
    let tmp = tempfile::tempdir().unwrap();
    let record = tmp.path().join("record");
    // Five guardians, quorum 3: guardian 1 answers wrongly, guardian 2 never answers.
    let out = common::entente(PASS)
        .args([
            "demo",
            "--guardians",
            "5",
            "--quorum",
            "3",
            "--ballots",
            "4",
            "--drill",
            "--dir",
            s(&record),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("left out: guardian 1 in round 0: its response for tally")
            && stdout.contains("fails its proof")
            && stdout.contains("left out: guardian 2 in round 0: it did not answer"),
        "{stdout}"
    );
    // The result verifies, and the verifier names both from the log.
    let verify = |dir: &Path| {
        let out = common::entente(PASS)
            .args(["verify", s(dir)])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, report) = verify(&record);
    assert_eq!(code, Some(0), "{report}");
    assert!(
        report.contains("note: guardian 1 was left out of the decryption in round 0")
            && report.contains("note: guardian 2 was left out of the decryption in round 0"),
        "{report}"
    );
    // Had guardian 1's answer held (the drill added one to its first response), leaving it out
    // would be the administrator's doing, and the verifier says so.
    let response = record.join("decryption/round-0/response-guardian-1.json");
    let mut v: Value = serde_json::from_slice(&std::fs::read(&response).unwrap()).unwrap();
    let first = <P4096 as Group>::Scalar::from_hex(v["responses"][0].as_str().unwrap()).unwrap();
    v["responses"][0] = first.sub(&Scalar::from_u64(1)).to_hex().into();
    std::fs::write(&response, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    let (code, report) = verify(&record);
    assert_eq!(code, Some(1), "{report}");
    assert!(
        report.contains("administrator left out guardian 1")
            && report.contains("whose response in round 0 holds"),
        "{report}"
    );
}

/// A mirror's bodies are written without a sync each (`files::write_derived`): one a crash cut
/// short, or emptied, is found by its hash and fetched again, never believed.
#[test]
fn a_mirror_fetches_again_a_body_a_crash_cut_short() {
    let tmp = tempfile::tempdir().unwrap();
    let e = Election::new(tmp.path());
    let roles = e.d.join("roles.json");
    let mirror = e.d.join("mirror");
    let log_pub = e.d.join("log.key.pub");
    let (_server, url) = e.serve("board.db", &roles);
    e.create(&url, "admin", "2");
    let size = client(&url, s(&log_pub))
        .unwrap()
        .mirror(&mirror)
        .unwrap()
        .size;
    let bodies = common::files_under(&mirror.join("entente/bodies"));
    assert!(!bodies.is_empty());
    let whole: Vec<Vec<u8>> = bodies.iter().map(|b| std::fs::read(b).unwrap()).collect();
    for cut in [whole[0].len() / 2, 0] {
        std::fs::write(&bodies[0], &whole[0][..cut]).unwrap();
        // A new client (nothing held in memory) reads the mirror from its files.
        let again = client(&url, s(&log_pub)).unwrap().mirror(&mirror).unwrap();
        assert_eq!(again.size, size);
        for (b, w) in bodies.iter().zip(&whole) {
            assert_eq!(&std::fs::read(b).unwrap(), w, "{}", b.display());
        }
    }
}

/// A client of a plain-HTTP test server on loopback (as `--insecure-http` allows).
fn client(server: &str, log: &str) -> entente_roles::Result<entente_roles::client::Client> {
    entente_roles::net::configure(entente_roles::net::Trust::system().allow_insecure_http(true));
    entente_roles::client::Client::new(server, log)
}
