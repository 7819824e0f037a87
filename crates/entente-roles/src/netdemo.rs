//! `entente demo`: a joint election on one machine with every role in its own process, talking
//! over loopback exactly as they would across countries. The demo starts the board server
//! (SQLite in a temporary folder), one witness per party, n guardian processes (two parties'
//! guardians and a neutral observer), the administrator and an encryption device; runs the key
//! ceremony, the voting, the tally and its decryption with one guardian left out; exports the
//! record with its log (`log/`, checkpoint cosigned by both witnesses); and verifies it,
//! including that the record holds exactly what the log holds. The only thing the processes
//! share is the board, and each believes only what the log proves.
//!
//! The demo's orchestration is the only place that knows every key: it makes them (one
//! throwaway passphrase, cheap scrypt) so that the demo runs unattended.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Context, Result, bail, ensure};
use crate::protocol::RolesFile;
use age::secrecy::SecretString;
use entente_core::keys::Quorum;
use entente_record::ballot::PlaintextBallot;
use entente_record::ballot::json::EncryptedBallotJson;
use entente_record::election::{ElectionInitializedJson, read_json};
use entente_record::manifest::Manifest;
use entente_record::tally::DecryptedTallyJson;
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::board::Role;
use crate::client::Client;
use crate::files::write_atomically;
use crate::stage::{Proc, Stage};

/// How long a drill's administrator waits for a guardian's answer (seconds).
const DRILL_TIMEOUT: u64 = 20;

/// The exclusions of the decryption in an exported record, one line per guardian left out.
fn exclusions(record: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for round in 0.. {
        let path = record.join(format!("decryption/round-{round}/exclusion.json"));
        if !path.exists() {
            break;
        }
        let e: crate::protocol::ExclusionJson = read_json(&path)?;
        for x in e.excluded {
            out.push(format!(
                "guardian {} in round {round}: {}",
                x.guardian, x.reason
            ));
        }
    }
    Ok(out)
}

/// What `entente demo` is asked to do.
pub struct NetDemoOptions {
    /// n.
    pub guardians: u32,
    /// k.
    pub quorum: u32,
    /// Ballots to cast (a few are challenged).
    pub ballots: usize,
    /// Where to export the record (a temporary directory if none).
    pub dir: Option<PathBuf>,
    /// A manifest file instead of the built-in one.
    pub manifest: Option<PathBuf>,
    /// Progress bars.
    pub progress: bool,
    /// Threads for the device's encryption and the verifier (0: all cores).
    pub threads: usize,
    /// Keep the board, its witnesses and its pages running afterwards, with the verification
    /// report served at /report.
    pub serve: bool,
    /// A drill: guardian 1 answers the decryption wrongly and guardian 2 never answers; the
    /// others finish without them, and both are named on the log and by the verifier.
    pub drill: bool,
    /// The election's group (its record in that group's layout).
    pub group: entente_record::GroupKind,
    /// Pre-encrypted paper ballots printed, committed, marked and recorded by a scanning
    /// station (spec 2.0 §4).
    pub paper: usize,
    /// The board's database (default: a SQLite file in the demo's work folder); a PostgreSQL
    /// database must hold no board yet.
    pub board_db: Option<entente_board::BoardDb>,
    /// Servers on the board (more than one: on PostgreSQL); the roles are spread over them.
    pub servers: usize,
}

/// One phase and how long it took.
pub struct Phase {
    /// Its name.
    pub name: &'static str,
    /// Wall time.
    pub time: Duration,
}

/// The demo's phases: each announced on stderr as it starts and timed when it ends, so that
/// whoever watches (a terminal, a CI log, a pipe) sees where the election is.
#[derive(Default)]
struct Phases {
    done: Vec<Phase>,
    current: Option<(&'static str, Instant)>,
}

impl Phases {
    /// Ends the current phase, if any, and starts `name`.
    fn start(&mut self, name: &'static str) {
        self.finish();
        eprintln!("demo: {name}…");
        self.current = Some((name, Instant::now()));
    }

    /// Ends the current phase.
    fn finish(&mut self) {
        if let Some((name, start)) = self.current.take() {
            let time = start.elapsed();
            eprintln!("demo: {name} took {:.1} s", time.as_secs_f64());
            self.done.push(Phase { name, time });
        }
    }
}

/// What the demo did.
pub struct NetDemoOutcome {
    /// The manifest's election_scope_id.
    pub election: String,
    /// The guardians' names, guardian 1 first.
    pub guardians: Vec<String>,
    /// n and k.
    pub quorum: Quorum,
    /// The guardian left out of the decryption, if any.
    pub absent: Option<String>,
    /// The guardians the administrator left out for a wrong or missing answer (a drill), and
    /// why, as the log says.
    pub excluded: Vec<String>,
    /// The phases in order.
    pub phases: Vec<Phase>,
    /// Ballots cast (by the booth and the scanning station) and challenged.
    pub cast: usize,
    /// Of the cast ballots, those marked on paper.
    pub paper: usize,
    /// Challenged ballots.
    pub challenged: usize,
    /// The result table.
    pub table: String,
    /// The verifier's report and the log check.
    pub verification: String,
    /// Where the record is, if kept.
    pub record: Option<PathBuf>,
    /// H_E.
    pub h_e: String,
    /// The election's group.
    pub group: entente_record::GroupKind,
    /// The record's size in bytes (its files and its log), if it was written.
    pub record_bytes: u64,
    /// The board's servers (several share one PostgreSQL database).
    pub servers: usize,
    /// The board still running, with --serve.
    pub served: Option<Served>,
}

/// The board, its witnesses and its folder, kept after the demo (`--serve`); dropping it stops
/// them and removes the folder.
pub struct Served {
    /// The board's URL.
    pub url: String,
    /// The fingerprints of the log's and the witnesses' keys, for a link that pins them.
    pub pins: Vec<String>,
    /// ("cast" or "challenged", confirmation code) of a ballot of each kind, if any.
    pub examples: Vec<(&'static str, String)>,
    /// The demo's throw-away CA, which signed the board's certificate.
    pub ca: PathBuf,
    /// Base64 of the SHA-256 of the public keys of the board's certificate and the witnesses',
    /// for a browser told to trust them.
    pub spki_sha256: Vec<String>,
    /// Each party's copy of the pages, served by its witness: (party, URL).
    pub party_pages: Vec<(String, String)>,
    _procs: Vec<Proc>,
    _work: tempfile::TempDir,
}

/// Waits for every process of `procs` to finish, advancing `bar` as they do; the first failure
/// stops the demo with its log.
fn wait_all(procs: &mut [Proc], bar: &indicatif::ProgressBar) -> Result<()> {
    let mut done = BTreeSet::new();
    while done.len() < procs.len() {
        for (i, p) in procs.iter_mut().enumerate() {
            if !done.contains(&i) && p.finished()? {
                done.insert(i);
                bar.inc(1);
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// The guardians' names: two parties' guardians in turn, and a neutral observer when n is odd.
pub fn guardian_names(n: u32) -> Vec<String> {
    (1..=n)
        .map(|i| {
            if n % 2 == 1 && i == n {
                "guardian-observer".to_owned()
            } else {
                let party = if i % 2 == 1 { "harbour" } else { "highland" };
                format!("guardian-{party}-{}", i.div_ceil(2))
            }
        })
        .collect()
}

/// Who answers for each key of the demo: the parties' guardians and witnesses, the neutral
/// observer, the election office's administrator and device.
fn demo_parties(guardians: &[String], parties: &[&str], device: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for g in guardians {
        let party = parties
            .iter()
            .find(|p| g.starts_with(&format!("guardian-{p}-")))
            .map_or("neutral observer", |p| p);
        out.insert(g.clone(), party.to_owned());
    }
    for p in parties {
        out.insert(format!("witness.{p}.example"), (*p).to_owned());
    }
    out.insert("administrator".into(), "election office".into());
    out.insert(device.into(), "election office".into());
    out.insert(crate::demo::SCANNER.into(), "election office".into());
    out
}

/// Runs the demo.
pub fn run(opts: &NetDemoOptions) -> Result<NetDemoOutcome> {
    let quorum =
        Quorum::new(opts.guardians, opts.quorum).context("invalid --guardians / --quorum")?;
    ensure!(
        opts.servers <= 1 || matches!(opts.board_db, Some(entente_board::BoardDb::Postgres(_))),
        "several servers share a board on PostgreSQL only: give --db postgres://…"
    );
    ensure!(
        !opts.drill || opts.guardians >= opts.quorum + 2,
        "a drill leaves two guardians out of the decryption: it needs at least quorum + 2 \
         guardians ({} with quorum {})",
        opts.guardians,
        opts.quorum
    );
    let manifest_bytes = match &opts.manifest {
        None => crate::election::DEMO_MANIFEST.as_bytes().to_vec(),
        Some(path) => std::fs::read(path)
            .with_context(|| format!("cannot read the manifest {}", path.display()))?,
    };
    let manifest = Manifest::from_json(&manifest_bytes).with_context(|| match &opts.manifest {
        Some(p) => format!("{} is not a usable manifest", p.display()),
        None => "the built-in manifest is not usable".to_owned(),
    })?;
    if let Some(d) = &opts.dir
        && d.join("election_config.json").exists()
    {
        bail!(
            "{} already holds an election record; choose an empty --dir",
            d.display()
        );
    }
    let work = tempfile::tempdir().context("cannot create a temporary directory")?;
    let mut phases = Phases::default();
    phases.start("start the board, 2 witnesses");
    // Every connection over TLS, as across a network: a throw-away CA certifies each server,
    // and every process, this one included, trusts that CA alone.
    let ca = crate::throwaway_ca::ThrowawayCa::new(&work.path().join("tls"))?;
    crate::net::configure(crate::net::current().with_ca_file(&ca.cert_file())?);

    // Keys and the board. A throwaway passphrase for all (cheap scrypt: nothing here is secret
    // beyond the demo).
    let passphrase_file = work.path().join("passphrase");
    let pass = format!("entente-demo-{}", rand::random::<u64>());
    write_atomically(&passphrase_file, pass.as_bytes())?;
    let passphrase = SecretString::from(pass);
    let keys = work.path().join("keys");
    std::fs::create_dir_all(&keys)?;
    let origin = format!("entente.demo/{}", manifest.election_scope_id);
    let keygen = |file: &str, name: &str, role: Role| {
        crate::board::keygen(&keys.join(file), name, role, &passphrase, Some(4))
            .map(|v| v.trim().to_owned())
    };
    keygen("log.key", &origin, Role::Log)?;
    let admin = keygen("admin.key", "administrator", Role::Log)?;
    let names = guardian_names(opts.guardians);
    let guardians = names
        .iter()
        .map(|g| keygen(&format!("{g}.key"), g, Role::Log))
        .collect::<Result<Vec<_>>>()?;
    let device_name = "riverside-booth-1";
    let device = keygen("device.key", device_name, Role::Log)?;
    let scanner = if opts.paper > 0 {
        let key = format!("{}.key", crate::netdemo_paper::SCANNER_KEY);
        Some(keygen(&key, crate::demo::SCANNER, Role::Log)?)
    } else {
        None
    };
    let parties = ["harbour", "highland"];
    let witnesses = parties
        .iter()
        .map(|p| {
            keygen(
                &format!("witness-{p}.key"),
                &format!("witness.{p}.example"),
                Role::Witness,
            )
        })
        .collect::<Result<Vec<_>>>()?;
    let db = opts
        .board_db
        .clone()
        .unwrap_or_else(|| work.path().join("board.db").into());
    crate::board::init(&db, &origin, &keys.join("log.key"), &witnesses)?;
    let roles = work.path().join("roles.json");
    write_atomically(
        &roles,
        &serde_json::to_vec_pretty(&RolesFile {
            administrator: Some(admin),
            guardians,
            devices: std::iter::once(device).chain(scanner.clone()).collect(),
            witnesses: witnesses.clone(),
            parties: demo_parties(&names, &parties, device_name),
            // The administrator's definition gives each device every style of the manifest.
            styles: Default::default(),
            scanners: scanner
                .iter()
                .map(|_| crate::demo::SCANNER.to_owned())
                .collect(),
        })?,
    )?;
    let log_pub = crate::board::public_path(&keys.join("log.key"));
    let mut stage = Stage::new(work.path(), &passphrase_file, &log_pub).with_ca(&ca.cert_file());
    let pf = passphrase_file.to_string_lossy().into_owned();
    let tls_args = |name: &str| -> Result<(Vec<String>, String)> {
        let id = ca.issue(name)?;
        Ok((
            vec![
                "--tls-cert".into(),
                id.cert.to_string_lossy().into_owned(),
                "--tls-key".into(),
                id.key.to_string_lossy().into_owned(),
            ],
            id.spki_sha256,
        ))
    };
    let mut witness_urls = Vec::new();
    let mut running = Vec::new();
    let mut spkis = Vec::new();
    for p in parties {
        let (tls, spki) = tls_args(&format!("witness-{p}"))?;
        spkis.push(spki);
        // Each party serves its own copy of the pages from its witness (exported below, once
        // the board's address is known; the witness reads the folder on each request).
        let pages = work.path().join(format!("pages-{p}"));
        std::fs::create_dir_all(&pages)?;
        let (proc, url) = stage.start_listening(
            &format!("witness-{p}"),
            &[
                "witness".into(),
                "serve".into(),
                "--state".into(),
                stage.s(&format!("state/witness-{p}")),
                "--key".into(),
                stage.s(&format!("keys/witness-{p}.key")),
                "--passphrase-file".into(),
                pf.clone(),
                "--log".into(),
                log_pub.to_string_lossy().into_owned(),
                "--listen".into(),
                "127.0.0.1:0".into(),
                "--pages".into(),
                pages.to_string_lossy().into_owned(),
            ]
            .into_iter()
            .chain(tls)
            .collect::<Vec<String>>(),
        )?;
        running.push(proc);
        witness_urls.push(url);
    }
    let mut server_args = vec![
        "serve".to_owned(),
        "--db".into(),
        db.argument(),
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--roles".into(),
        roles.to_string_lossy().into_owned(),
        "--passphrase-file".into(),
        pf.clone(),
    ];
    let (server_tls, server_spki) = tls_args("server")?;
    server_args.extend(server_tls);
    for w in &witness_urls {
        server_args.extend(["--witness".to_owned(), w.clone()]);
    }
    let report_file = work.path().join("report.html");
    if opts.serve {
        server_args.extend([
            "--report".to_owned(),
            report_file.to_string_lossy().into_owned(),
        ]);
    }
    let (server, url) = stage.start_listening("server", &server_args)?;
    running.push(server);
    stage.server = url;
    // The others once the first has logged the roles; only the first keeps the report.
    if opts.servers > 1 {
        let at = server_args.iter().position(|a| a == "--report");
        let args: Vec<String> = match at {
            Some(i) => [&server_args[..i], &server_args[i + 2..]].concat(),
            None => server_args.clone(),
        };
        for k in 1..opts.servers {
            let (server, url) = stage.start_listening(&format!("server-{k}"), &args)?;
            running.push(server);
            stage.others.push(url);
        }
    }
    // Each party's copy of the pages, pinning the log's key and its own witness's.
    let mut party_pages = Vec::new();
    for ((p, url), witness) in parties.iter().zip(&witness_urls).zip(&witnesses) {
        let mut export = stage.spawn(
            &format!("pages-{p}"),
            &[
                "pages".into(),
                "export".into(),
                "--board".into(),
                stage.server.clone(),
                "--log".into(),
                log_pub.to_string_lossy().into_owned(),
                "--pin".into(),
                witness.clone(),
                "--served-by".into(),
                format!("witness.{p}.example"),
                "--out".into(),
                stage.s(&format!("pages-{p}")),
            ],
        )?;
        while !export.finished()? {
            std::thread::sleep(Duration::from_millis(20));
        }
        party_pages.push((p.to_string(), format!("{url}/")));
    }
    let client = Client::new(&stage.server, &log_pub.to_string_lossy())?;
    phases.start("key ceremony");

    // The key ceremony: the administrator publishes the election and waits; each guardian runs
    // its own process.
    let bar = crate::progress::bar(
        opts.progress,
        names.len() + 1,
        "key ceremony: guardians and administrator done",
    );
    let manifest_file = work.path().join("manifest.json");
    write_atomically(&manifest_file, &manifest_bytes)?;
    let mut admin_args = vec!["admin".to_owned(), "create".into()];
    admin_args.extend(stage.net("admin", "admin"));
    admin_args.extend([
        "--quorum".into(),
        opts.quorum.to_string(),
        "--baux0".into(),
        device_name.into(),
        "--group".into(),
        match opts.group {
            entente_record::GroupKind::P4096 => "p4096",
            entente_record::GroupKind::P256 => "p256",
        }
        .into(),
        "--manifest".into(),
        manifest_file.to_string_lossy().into_owned(),
    ]);
    let mut ceremony = vec![stage.spawn("administrator", &admin_args)?];
    for g in &names {
        let mut args = vec!["guardian".to_owned(), "ceremony".into()];
        args.extend(stage.net(g, g));
        ceremony.push(stage.spawn(g, &args)?);
    }
    wait_all(&mut ceremony, &bar)?;
    bar.finish_and_clear();
    phases.start("voting");

    // Voting: random valid ballots, about one in two hundred challenged.
    let mut choices = StdRng::from_os_rng();
    let ballots: Vec<PlaintextBallot> = (1..=opts.ballots)
        .map(|i| crate::demo::random_ballot(&manifest, format!("ballot-{i:06}"), &mut choices))
        .collect();
    let challenged: BTreeSet<String> = ballots
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 200 == 7 || *i == 0 && opts.ballots < 8)
        .map(|(_, b)| b.ballot_id.clone())
        .collect();
    let mut expected = crate::demo::expected_counts(&ballots, &challenged);
    let ballot_dir = work.path().join("ballots");
    for b in &ballots {
        write_atomically(
            &ballot_dir.join(format!("pballot-{}.json", b.ballot_id)),
            &serde_json::to_vec(b)?,
        )?;
    }
    let before = board_size(&client)?;
    let mut device_args = vec![
        "device".to_owned(),
        "--server".into(),
        stage.server_for("device"),
        "--key".into(),
        stage.s("keys/device.key"),
        "--passphrase-file".into(),
        pf.clone(),
        "--state".into(),
        stage.s("state/device"),
        "--log".into(),
        log_pub.to_string_lossy().into_owned(),
        "--threads".into(),
        opts.threads.to_string(),
        // The device signs off its ballots when it is done: none can then vanish unnoticed.
        "--close".into(),
    ];
    for id in &challenged {
        device_args.extend(["--challenge".to_owned(), id.clone()]);
    }
    device_args.push(ballot_dir.to_string_lossy().into_owned());
    // The paper ballots are printed and committed before the booth opens; the scanning station
    // records them while the booth votes.
    let mut voting = Vec::new();
    if opts.paper > 0 {
        voting.push(crate::netdemo_paper::start(
            &stage,
            &manifest,
            opts.paper,
            opts.threads,
            &mut expected,
        )?);
    }
    if !ballots.is_empty() {
        voting.push(stage.spawn(device_name, &device_args)?);
    }
    let total = ballots.len() + opts.paper;
    let bar = crate::progress::bar(opts.progress, total, "voting: ballots on the board");
    let mut done = vec![false; voting.len()];
    while done.iter().any(|d| !d) {
        for (p, d) in voting.iter_mut().zip(&mut done) {
            *d = *d || p.finished()?;
        }
        bar.set_position(
            board_size(&client)?
                .saturating_sub(before)
                .min(total as u64),
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    bar.finish_and_clear();
    phases.start("tally and decryption");

    // Tally and decryption, with one guardian (the last) left out when the quorum allows.
    // In a drill every guardian comes, and the first two play their faults.
    let present = if names.len() > opts.quorum as usize && !opts.drill {
        names.len() - 1
    } else {
        names.len()
    };
    let absent = (present < names.len()).then(|| names[names.len() - 1].clone());
    let bar = crate::progress::bar(
        opts.progress,
        present + 1,
        "tally and decryption: guardians and administrator done",
    );
    let mut tally_args = vec!["admin".to_owned(), "tally".into()];
    tally_args.extend(stage.net("admin", "admin"));
    tally_args.extend([
        "--guardians".into(),
        present.to_string(),
        "--tally-id".into(),
        "riverside-demo".into(),
    ]);
    if opts.drill {
        // How long the administrator waits for an answer before leaving its guardian out.
        tally_args.extend(["--timeout".into(), DRILL_TIMEOUT.to_string()]);
    }
    let mut decryption = vec![stage.spawn("administrator-tally", &tally_args)?];
    for (i, g) in names[..present].iter().enumerate() {
        // Five guardians and the server share this machine's cores: the guardians rely on the
        // server's check of each ballot and check the tally's product (README, who checks
        // what); a guardian on its own machine checks every ballot too.
        let mut args = vec![
            "guardian".to_owned(),
            "decrypt".into(),
            "--trust-server-checks".into(),
        ];
        args.extend(stage.net(g, g));
        match i {
            0 if opts.drill => args.extend(["--drill".into(), "wrong-response".into()]),
            1 if opts.drill => args.extend(["--drill".into(), "silent".into()]),
            _ => {}
        }
        decryption.push(stage.spawn(&format!("{g}-decrypt"), &args)?);
    }
    wait_all(&mut decryption, &bar)?;
    bar.finish_and_clear();
    phases.start("export the record and its log");

    // The record, exported by anyone from the log once both witnesses have cosigned it.
    let kept;
    let record = match &opts.dir {
        Some(d) => d.clone(),
        None => {
            kept = tempfile::tempdir().context("cannot create a temporary directory")?;
            kept.path().join("record")
        }
    };
    // Any party can export: here the demo does it itself, through the same client a party's
    // tool would use, believing only what the log proves.
    let exporter = Client::new(&stage.server, &log_pub.to_string_lossy())?;
    crate::export::export(&exporter, &record, Duration::from_secs(120))
        .context("the record cannot be exported from the log")?;
    if !opts.serve {
        running.clear();
    }
    phases.start("verify");

    let kind = entente_record::RecordKind::of_record(&record)?;
    ensure!(
        kind == entente_record::RecordKind::written_for(opts.group),
        "the exported record is of another kind ({kind:?}) than the election's"
    );
    let read = |name: &str| -> Result<Vec<u8>> {
        Ok(entente_record::election::read_file(&record.join(name))?)
    };
    let initialized: ElectionInitializedJson = entente_record::layout::parse_for(
        "election_initialized.json",
        &read("election_initialized.json")?,
        kind.layout,
        &manifest,
    )?;
    let h_e = initialized.extended_base_hash;
    // The tally must be what the plaintext ballots say.
    let tally: DecryptedTallyJson = entente_record::layout::parse_for(
        crate::record::TALLY,
        &read(crate::record::TALLY)?,
        kind.layout,
        &manifest,
    )?;
    let table = entente_record::with_group!(kind.group, |G| check_counts::<G>(
        &tally, &manifest, &expected
    ))?;

    let report = crate::verify::run(&record, opts.threads, opts.progress)
        .context("the verifier cannot read the exported record")?;
    let log =
        crate::observer::check_log(&record, Some(&log_pub.to_string_lossy()), &witnesses, None)?
            .context("the exported record has no log")?;
    ensure!(
        report.holds() && log.failures.is_empty(),
        "the exported record fails verification:\n{}{}",
        report.text(),
        log.text()
    );
    phases.finish();
    Ok(NetDemoOutcome {
        election: manifest.election_scope_id.clone(),
        guardians: names,
        quorum,
        absent,
        excluded: exclusions(&record)?,
        phases: phases.done,
        cast: ballots.len() - challenged.len() + opts.paper,
        paper: opts.paper,
        challenged: challenged.len(),
        table,
        verification: format!("{}{}", report.text(), log.text()),
        record: opts.dir.clone(),
        h_e,
        group: opts.group,
        record_bytes: dir_bytes(&record),
        servers: opts.servers.max(1),
        served: if opts.serve {
            Some(Served {
                url: stage.server.clone(),
                pins: std::iter::once(crate::board::read_vkey(&log_pub.to_string_lossy())?)
                    .chain(witnesses.iter().cloned())
                    .map(|k| crate::board::fingerprint(&k))
                    .collect(),
                examples: example_codes(
                    &record,
                    (kind.layout, &manifest),
                    device_name,
                    &ballots,
                    &challenged,
                )?,
                ca: ca.cert_file(),
                spki_sha256: std::iter::once(server_spki).chain(spkis).collect(),
                party_pages,
                _procs: running,
                _work: work,
            })
        } else {
            None
        },
    })
}

/// A cast ballot's and a challenged ballot's confirmation codes, to try the voter's page with.
fn example_codes(
    record: &std::path::Path,
    (layout, manifest): (entente_record::Layout, &Manifest),
    device: &str,
    ballots: &[PlaintextBallot],
    challenged: &BTreeSet<String>,
) -> Result<Vec<(&'static str, String)>> {
    let cast = ballots.iter().find(|b| !challenged.contains(&b.ballot_id));
    let spoiled = ballots.iter().find(|b| challenged.contains(&b.ballot_id));
    let mut out = Vec::new();
    for (what, ballot) in [("cast", cast), ("challenged", spoiled)] {
        if let Some(b) = ballot {
            let file = record
                .join("encrypted_ballots")
                .join(device)
                .join(format!("eballot-{}.json", b.ballot_id));
            let json: EncryptedBallotJson = entente_record::layout::parse_for(
                &file.display().to_string(),
                &entente_record::election::read_file(&file)?,
                layout,
                manifest,
            )?;
            out.push((what, json.confirmation_code.to_ascii_lowercase()));
        }
    }
    Ok(out)
}

/// The bytes of every file under `dir` (0 if it cannot be read).
fn dir_bytes(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map_or(0, |m| m.len()),
            _ => 0,
        })
        .sum()
}

fn board_size(client: &Client) -> Result<u64> {
    let (status, body) = client.get("/status")?;
    ensure!(status == 200, "GET /status: {status}");
    let v: serde_json::Value = serde_json::from_slice(&body)?;
    Ok(v["size"].as_u64().unwrap_or(0))
}

/// Checks the decrypted tally (as read, in the election's group `G`) against the counts of the
/// plaintext ballots; returns its result table.
fn check_counts<G: entente_group::Group>(
    tally: &DecryptedTallyJson,
    manifest: &Manifest,
    expected: &BTreeMap<(String, String), u64>,
) -> Result<String> {
    let tally = tally.read::<G>()?;
    for c in &tally.contests {
        for s in &c.selections {
            let want = expected
                .get(&(c.contest_id.clone(), s.selection_id.clone()))
                .copied()
                .unwrap_or(0);
            ensure!(
                s.decryption.value == want,
                "contest {}, option {}: decrypted {}, the ballots say {want}",
                c.contest_id,
                s.selection_id,
                s.decryption.value
            );
        }
    }
    Ok(crate::result::result_table(manifest, &tally))
}
