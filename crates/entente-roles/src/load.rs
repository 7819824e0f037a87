//! `entente bench --load`: the board server under load, on loopback. Several encryption
//! devices (threads of this process, each with its own key and chain) submit pre-encrypted
//! ballots at once to one or more `entente serve` processes on one board (several share a
//! PostgreSQL database); at a quarter, half and three quarters of the way, a server is killed
//! (SIGKILL, each time the next) and restarted on the same port, and the devices carry on,
//! moving to another server while theirs is down. Reports ballots per second and the latency of
//! an acknowledged submission (p50, p99), then checks that every acknowledged ballot is in the
//! log at its acknowledged index, byte for byte, and in the encrypted tally computed from the
//! log, and that every checkpoint any server handed out (in a receipt or at /checkpoint) is
//! one of the final log's: a witness following any server sees one log.
//!
//! Bounded in count (`--devices` × `--ballots`) and in time (`--seconds`): devices stop
//! submitting when the time is up.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::{Context, Result, ensure, refused};
use crate::protocol::Receipt;
use crate::protocol::{Envelope, RolesFile};
use age::secrecy::SecretString;
use entente_board::note::NoteSigner;
use entente_core::keys::{KeyContext, Quorum, run_local};
use entente_group::P4096;
use entente_record::ballot::PlaintextBallot;
use entente_record::ballot::chain::BallotChainJson;
use entente_record::election::{ElectionSetup, read_json};
use entente_record::manifest::Manifest;
use entente_record::tally::EncryptedTallyJson;
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::board::Role;
use crate::client::{Client, check_receipt};
use crate::encrypt::{Challenge, encrypt_into_record};
use crate::files::write_atomically;
use crate::stage::Stage;

/// What `entente bench --load` is asked to do.
pub struct LoadOptions {
    /// Concurrent devices.
    pub devices: usize,
    /// Ballots per device.
    pub ballots: usize,
    /// Stop submitting after this long.
    pub limit: Duration,
    /// Kill and restart the server when half the ballots are acknowledged.
    pub kill: bool,
    /// Progress bars.
    pub progress: bool,
    /// The board's database (default: a SQLite file in the run's work folder); a
    /// PostgreSQL database must hold no board yet.
    pub db: Option<entente_board::BoardDb>,
    /// Servers on the board (more than one: on PostgreSQL).
    pub servers: usize,
    /// Ballots each server checks at once (0: one per core).
    pub check_threads: usize,
}

/// What the load run measured and checked.
pub struct LoadReport {
    /// Ballots acknowledged.
    pub acknowledged: usize,
    /// Ballots submitted but not acknowledged when time ran out.
    pub unacknowledged: usize,
    /// Ballots the server logged but whose answer was lost when it was killed (found on the
    /// board when submitted again; also checked to be in the tally).
    pub answer_lost: usize,
    /// Submission wall time (first submission to last answer).
    pub wall: Duration,
    /// Latency of acknowledged submissions: p50, p99, max.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Slowest.
    pub max: Duration,
    /// Servers on the board.
    pub servers: usize,
    /// How many times a server was killed and restarted.
    pub kills: usize,
    /// Distinct checkpoints handed out during the run, each checked against the final log.
    pub checkpoints: usize,
    /// The server's deepest queue seen on /status.
    pub max_queue: u64,
    /// The log's size at the end.
    pub log_size: u64,
    /// Cast ballots in the tally computed from the log.
    pub tallied: usize,
}

impl LoadReport {
    /// Ballots acknowledged per second.
    pub fn rate(&self) -> f64 {
        self.acknowledged as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    /// The report's text.
    pub fn text(&self) -> String {
        format!(
            "{} ballots acknowledged in {:.2} s: {:.1} ballots/s\n\
             latency of an acknowledged submission: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms\n\
             servers on the board: {}; deepest queue seen: {}\n\
             servers killed (SIGKILL) and restarted mid-load: {}\n\
             every one of the {} checkpoints handed out is the final log's at its size (no fork)\n\
             afterwards: every acknowledged ballot is in the log ({} entries) at its index, byte \
             for byte, and among the {} cast ballots of the tally computed from the log; {} \
             logged with their answer lost in the kill (on the board and in the tally too); {} \
             submitted without an answer before the time limit\n",
            self.acknowledged,
            self.wall.as_secs_f64(),
            self.rate(),
            self.p50.as_secs_f64() * 1e3,
            self.p99.as_secs_f64() * 1e3,
            self.max.as_secs_f64() * 1e3,
            self.servers,
            self.max_queue,
            self.kills,
            self.checkpoints,
            self.log_size,
            self.tallied,
            self.answer_lost,
            self.unacknowledged,
        )
    }
}

/// One acknowledged ballot.
struct Ack {
    id: String,
    index: u64,
    envelope: Vec<u8>,
    latency: Duration,
    /// The checkpoint of its receipt.
    checkpoint: String,
}

/// The load test's log.
const ORIGIN: &str = "board.example/load";

/// Runs the load test.
pub fn run(opts: &LoadOptions) -> Result<LoadReport> {
    ensure!(
        opts.devices > 0 && opts.ballots > 0 && opts.servers > 0,
        "--devices, --ballots and --servers must be positive"
    );
    ensure!(
        opts.servers == 1 || matches!(opts.db, Some(entente_board::BoardDb::Postgres(_))),
        "several servers share a board on PostgreSQL only: give --db postgres://…"
    );
    let work = tempfile::tempdir().context("cannot create a temporary directory")?;
    let w = work.path();
    // The election, set up in one process (the load is on the board, not the ceremony).
    let manifest_bytes = crate::election::DEMO_MANIFEST.as_bytes();
    let manifest = Manifest::from_json(manifest_bytes)?;
    let quorum = Quorum::new(3, 2)?;
    let record = w.join("election");
    let config = crate::election::config_json(
        manifest_bytes,
        quorum,
        entente_record::GroupKind::P4096,
        "load",
        "entente bench --load",
    )?;
    let h_b = entente_record::HashValue::from_hex(&config.election_base_hash)?;
    let (_, joint) = run_local::<P4096, _>(
        KeyContext::standard(),
        quorum,
        &h_b,
        &mut StdRng::from_os_rng(),
    )?;
    crate::election::write_setup(&record, manifest_bytes, &joint, &config)?;
    let setup = ElectionSetup::<P4096>::read(&record)?;

    // Keys, roles, board.
    let pass = format!("entente-load-{}", rand::random::<u64>());
    let passphrase_file = w.join("passphrase");
    write_atomically(&passphrase_file, pass.as_bytes())?;
    let passphrase = SecretString::from(pass);
    let keys = w.join("keys");
    std::fs::create_dir_all(&keys)?;
    let keygen = |file: &str, name: &str| {
        crate::board::keygen(&keys.join(file), name, Role::Log, &passphrase, Some(4))
            .map(|v| v.trim().to_owned())
    };
    keygen("log.key", ORIGIN)?;
    let names: Vec<String> = (1..=opts.devices).map(|d| format!("booth-{d}")).collect();
    let devices = names
        .iter()
        .map(|n| keygen(&format!("{n}.key"), n))
        .collect::<Result<Vec<_>>>()?;
    let db = opts.db.clone().unwrap_or_else(|| w.join("board.db").into());
    crate::board::init(&db, ORIGIN, &keys.join("log.key"), &[])?;
    let db = db.argument();
    let roles = w.join("roles.json");
    write_atomically(
        &roles,
        &serde_json::to_vec(&RolesFile {
            devices,
            ..RolesFile::default()
        })?,
    )?;
    let log_pub = crate::board::public_path(&keys.join("log.key"));

    // Every device's ballots, encrypted before the clock starts.
    let bar = crate::progress::bar(opts.progress, opts.devices * opts.ballots, "encrypting");
    let mut choices = StdRng::from_os_rng();
    for name in &names {
        let ballots: Vec<PlaintextBallot> = (1..=opts.ballots)
            .map(|i| crate::demo::random_ballot(&manifest, format!("{name}-{i:05}"), &mut choices))
            .collect();
        encrypt_into_record(
            &setup,
            &w.join("devices"),
            name,
            ballots,
            &Challenge::None,
            0,
            false,
        )?;
        bar.inc(opts.ballots as u64);
    }
    bar.finish_and_clear();

    // Over TLS, as a real server is reached (the handshakes are part of what is measured).
    let ca = crate::throwaway_ca::ThrowawayCa::new(&w.join("tls"))?;
    crate::net::configure(crate::net::current().with_ca_file(&ca.cert_file())?);
    let tls = ca.issue("server")?;
    let stage = Stage::new(w, &passphrase_file, &log_pub).with_ca(&ca.cert_file());
    let server_args = |listen: &str| -> Vec<String> {
        [
            "serve",
            "--db",
            &db,
            "--listen",
            listen,
            "--roles",
            &roles.to_string_lossy(),
            "--record",
            &record.to_string_lossy(),
            "--passphrase-file",
            &passphrase_file.to_string_lossy(),
            "--tls-cert",
            &tls.cert.to_string_lossy(),
            "--tls-key",
            &tls.key.to_string_lossy(),
            "--check-threads",
            &opts.check_threads.to_string(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    // The first server logs the roles; the others then find them on the board.
    let mut servers = Vec::new();
    let mut urls = Vec::new();
    for k in 0..opts.servers {
        let (server, url) =
            stage.start_listening(&format!("server-{k}"), &server_args("127.0.0.1:0"))?;
        servers.push(Some(server));
        urls.push(url);
    }
    let client = Client::new(&urls[0], &log_pub.to_string_lossy())?;
    let readers = urls
        .iter()
        .map(|u| Client::new(u, &log_pub.to_string_lossy()))
        .collect::<Result<Vec<_>>>()?;
    let handed_out: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

    let total = opts.devices * opts.ballots;
    let acked = Arc::new(AtomicUsize::new(0));
    let acks: Arc<Mutex<Vec<Ack>>> = Arc::new(Mutex::new(Vec::new()));
    let lost: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let bar = crate::progress::bar(opts.progress, total, "ballots acknowledged");
    let start = Instant::now();
    let mut kills = 0;
    let kills_done = Arc::new(AtomicUsize::new(0));
    let mut max_queue = 0;
    let unanswered = std::thread::scope(|scope| -> Result<usize> {
        let mut handles = Vec::new();
        for (d, name) in names.iter().enumerate() {
            let (acks, acked, lost) = (acks.clone(), acked.clone(), lost.clone());
            let kills_done = kills_done.clone();
            let kill = opts.kill;
            // Each device starts on its own server and moves on when that one is down.
            let mut urls = urls.clone();
            urls.rotate_left(d % opts.servers);
            let key = keys.join(format!("{name}.key"));
            let dir = w.join("devices/encrypted_ballots").join(name);
            let log = client.log().clone();
            let passphrase = passphrase.clone();
            let limit = opts.limit;
            handles.push(scope.spawn(move || -> Result<usize> {
                let key = crate::board::open_key(&key, &passphrase)?;
                let signer = NoteSigner::new(&key.name, key.signing)?;
                let chain: BallotChainJson = read_json(&dir.join("ballot_chain.json"))?;
                let out = Outcomes {
                    acks: &acks,
                    acked: &acked,
                    lost: &lost,
                    kills: kill.then_some((&*kills_done, total)),
                };
                submit_all(&signer, &dir, &chain, &urls, &log, limit, start, &out)
            }));
        }
        // Watch the queues and the checkpoints; kill and restart a server at each quarter.
        while handles.iter().any(|h| !h.is_finished()) {
            bar.set_position(acked.load(Ordering::Relaxed) as u64);
            for reader in &readers {
                if let Ok((200, body)) = reader.get("/status")
                    && let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body)
                {
                    max_queue = max_queue.max(v["queue_depth"].as_u64().unwrap_or(0));
                }
                if let Ok((200, note)) = reader.get("/checkpoint") {
                    handed_out
                        .lock()
                        .map_err(|_| refused!("poisoned"))?
                        .insert(String::from_utf8_lossy(&note).into_owned());
                }
            }
            if opts.kill
                && kills < KILLS
                && acked.load(Ordering::Relaxed) >= total * (kills + 1) / 4
            {
                let k = kills % opts.servers;
                drop(servers[k].take()); // SIGKILL, then wait
                let addr = urls[k].trim_start_matches("https://");
                let restart = stage
                    .start_listening(&format!("server-{k}-restart-{kills}"), &server_args(addr))
                    // The devices waiting for this kill go on (and fail) rather than wait.
                    .inspect_err(|_| kills_done.store(KILLS, Ordering::Release))?;
                servers[k] = Some(restart.0);
                kills += 1;
                kills_done.store(kills, Ordering::Release);
            }
            // Devices wait at a quarter for its kill: look often while one is to come, and
            // otherwise four times a second (each look asks every server twice, on the cores
            // the servers measured use).
            let tick = if opts.kill && kills < KILLS { 10 } else { 250 };
            std::thread::sleep(Duration::from_millis(tick));
        }
        let mut unanswered = 0;
        for h in handles {
            unanswered += h
                .join()
                .map_err(|_| refused!("a device thread panicked"))??;
        }
        Ok(unanswered)
    })?;
    let wall = start.elapsed();
    bar.finish_and_clear();

    // Every acknowledged ballot is in the log, at its index, as sent.
    let acks = std::mem::take(&mut *acks.lock().map_err(|_| refused!("poisoned"))?);
    let mirror = w.join("mirror");
    client.mirror(&mirror)?;
    let exported = entente_board::tiles::verify_export(&mirror, client.log())?;
    let entries = crate::client::exported_bodies(&mirror, 0, exported.entries)?;
    for a in &acks {
        ensure!(
            entries.get(a.index as usize) == Some(&a.envelope),
            "ballot {} was acknowledged at index {} but the log does not hold it there",
            a.id,
            a.index
        );
    }
    // Every checkpoint handed out, by any server, is the final log's at its size.
    let mut notes = std::mem::take(&mut *handed_out.lock().map_err(|_| refused!("poisoned"))?);
    notes.extend(acks.iter().map(|a| a.checkpoint.clone()));
    let checkpoints = check_one_log(&mirror, &notes, client.log())?;
    // And in the tally computed from the log.
    let view = crate::protocol::LogView::read(ORIGIN, &entries)?;
    let tallied_dir = w.join("tallied");
    crate::files::materialize(&view, &tallied_dir)?;
    for f in [
        "manifest.json",
        "election_config.json",
        "election_initialized.json",
        "constants.json",
    ] {
        std::fs::copy(record.join(f), tallied_dir.join(f))?;
    }
    let agg = crate::tally::run(&crate::tally::TallyOptions {
        record: tallied_dir.clone(),
        tally_id: "load".into(),
        threads: 0,
        progress: false,
    })?;
    ensure!(
        agg.refused.is_empty(),
        "the log holds ballots that do not check"
    );
    let tally: EncryptedTallyJson = read_json(&tallied_dir.join(crate::record::ENCRYPTED_TALLY))?;
    let counted: BTreeSet<&String> = tally.cast_ballot_ids.iter().collect();
    for a in &acks {
        ensure!(
            counted.contains(&a.id),
            "acknowledged ballot {} is not in the tally",
            a.id
        );
    }
    let lost = std::mem::take(&mut *lost.lock().map_err(|_| refused!("poisoned"))?);
    for id in &lost {
        ensure!(
            counted.contains(id),
            "ballot {id}, found on the board, is not in the tally"
        );
    }
    let mut latencies: Vec<Duration> = acks.iter().map(|a| a.latency).collect();
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or_default()
    };
    drop(servers);
    Ok(LoadReport {
        acknowledged: acks.len(),
        unacknowledged: unanswered,
        answer_lost: lost.len(),
        wall,
        p50: pct(0.50),
        p99: pct(0.99),
        max: latencies.last().copied().unwrap_or_default(),
        servers: opts.servers,
        kills,
        checkpoints,
        max_queue,
        log_size: exported.checkpoint.size,
        tallied: counted.len(),
    })
}

/// Where the devices put what happened to their ballots.
struct Outcomes<'a> {
    acks: &'a Mutex<Vec<Ack>>,
    acked: &'a AtomicUsize,
    lost: &'a Mutex<Vec<String>>,
    /// With kills: the kills done so far and the ballots in all. A device waits at each
    /// quarter until its kill is done, so that a load faster than the watcher's look still
    /// meets every kill.
    kills: Option<(&'a AtomicUsize, usize)>,
}

impl Outcomes<'_> {
    /// Waits while a kill is due and not yet done (or until `deadline`).
    fn wait_for_kill(&self, deadline: impl Fn() -> bool) {
        let Some((done, total)) = self.kills else {
            return;
        };
        loop {
            let k = done.load(Ordering::Acquire);
            if k >= KILLS || self.acked.load(Ordering::Acquire) < total * (k + 1) / 4 || deadline()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// Servers killed and restarted in a run with kills: one at each quarter.
const KILLS: usize = 3;

/// One device: submits its chain in order to the first of `urls`; a submission that fails for
/// want of a server is tried again (with a new nonce) on the next, until one answers. Returns how many were left without
/// an answer when the time ran out.
#[allow(clippy::too_many_arguments)]
fn submit_all(
    signer: &NoteSigner,
    dir: &Path,
    chain: &BallotChainJson,
    urls: &[String],
    log: &entente_board::note::NoteVerifier,
    limit: Duration,
    start: Instant,
    out: &Outcomes<'_>,
) -> Result<usize> {
    let agent = crate::net::agent(Duration::from_secs(30));
    let mut nonce = 0u64;
    let mut server = 0;
    for (done, id) in chain.ballot_ids.iter().enumerate() {
        out.wait_for_kill(|| start.elapsed() > limit);
        let path: PathBuf = dir.join(format!("eballot-{id}.json"));
        let body =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        loop {
            if start.elapsed() > limit {
                return Ok(chain.ballot_ids.len() - done);
            }
            nonce += 1;
            let env = Envelope::sign(signer, ORIGIN, "ballot", nonce, &body);
            let bytes = serde_json::to_vec(&env)?;
            let sent = Instant::now();
            let answer = crate::net::post_write(
                &agent,
                &format!("{}/ballots", urls[server % urls.len()]),
                &env,
                &bytes,
                Duration::from_secs(30),
            );
            let Ok((status, text)) = answer else {
                // The server is down (killed): try the next (the same, when it is the only
                // one, once it is back).
                server += 1;
                std::thread::sleep(Duration::from_millis(100));
                continue;
            };
            if status == 409 && text.contains("on the board already") {
                // Logged before the server died, its answer lost: not acknowledged to us, but
                // on the board.
                out.lost
                    .lock()
                    .map_err(|_| refused!("poisoned"))?
                    .push(id.clone());
                break;
            }
            ensure!(status == 200, "ballot {id}: {status} {text}");
            let receipt: Receipt = serde_json::from_str(&text)?;
            check_receipt(&receipt, &env.logged()?.to_bytes(), log)?;
            out.acks
                .lock()
                .map_err(|_| refused!("poisoned"))?
                .push(Ack {
                    id: id.clone(),
                    index: receipt.index,
                    envelope: bytes,
                    latency: sent.elapsed(),
                    checkpoint: receipt.checkpoint.clone(),
                });
            out.acked.fetch_add(1, Ordering::Relaxed);
            break;
        }
    }
    Ok(0)
}

/// Checks that each of `notes` (signed checkpoints of the log, any server's) is the tree of the
/// log mirrored in `mirror` at its size, and that no two notes give one size two roots: what a
/// witness of any server would check. Returns how many distinct checkpoints there were.
fn check_one_log(
    mirror: &Path,
    notes: &BTreeSet<String>,
    log: &entente_board::note::NoteVerifier,
) -> Result<usize> {
    use entente_board::note::{Checkpoint, SignedNote};
    let final_note = std::fs::read_to_string(mirror.join("checkpoint"))?;
    let mut roots = std::collections::BTreeMap::new();
    for note in notes {
        let signed = SignedNote::parse(note)?;
        signed
            .verify(log)
            .map_err(|e| refused!("a checkpoint handed out is not the log's: {e}"))?;
        let cp = Checkpoint::parse(&signed.text)?;
        if let Some(root) = roots.insert(cp.size, cp.root)
            && root != cp.root
        {
            return Err(refused!(
                "two checkpoints of size {} with two roots: a fork",
                cp.size
            ));
        }
        entente_board::tiles::verify_extension(mirror, final_note.clone(), log, &cp)
            .map_err(|e| refused!("checkpoint of size {} is not the final log's: {e}", cp.size))?;
    }
    Ok(roots.len())
}

/// `entente bench --load`: one run's report, or with several server counts, [`scaling`]'s.
pub fn run_or_compare(mut opts: LoadOptions, servers: &[usize], rounds: usize) -> Result<String> {
    if servers.len() <= 1 {
        return Ok(run(&opts)?.text());
    }
    ensure!(
        opts.db.is_none(),
        "a comparison of server counts makes its own databases: leave out --db"
    );
    opts.progress = false;
    Ok(scaling_report(&scaling(&opts, servers, rounds)?, servers))
}

/// `entente bench --load --servers 1,2,3`: the same load against each number of servers on one
/// PostgreSQL board, a new database of a throw-away cluster for each run, in alternating
/// rounds (the machine's noise falls on every count alike). Returns each round's reports, in
/// the order of `servers`.
pub fn scaling(
    opts: &LoadOptions,
    servers: &[usize],
    rounds: usize,
) -> Result<Vec<Vec<LoadReport>>> {
    ensure!(!servers.is_empty(), "--servers names no count");
    let cluster =
        entente_board::pg_cluster::ThrowawayCluster::start().map_err(|e| refused!("{e}"))?;
    let mut out = Vec::new();
    for round in 0..rounds.max(1) {
        let mut row = Vec::new();
        for &n in servers {
            let url = cluster
                .new_database(&format!("load_{round}_{n}"))
                .map_err(|e| refused!("{e}"))?;
            let report = run(&LoadOptions {
                devices: opts.devices,
                ballots: opts.ballots,
                limit: opts.limit,
                kill: opts.kill,
                progress: opts.progress,
                db: Some(entente_board::BoardDb::Postgres(url)),
                servers: n,
                check_threads: opts.check_threads,
            })?;
            tracing::info!(round, servers = n, rate = report.rate(), "load run done");
            row.push(report);
        }
        out.push(row);
    }
    Ok(out)
}

/// The text of [`scaling`]'s rounds: per number of servers, the median rate and latencies;
/// per count after the first, its rate over the first's in each round, and their median.
pub fn scaling_report(rounds: &[Vec<LoadReport>], servers: &[usize]) -> String {
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        match v.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    };
    let mut out = format!(
        "{} rounds, each server on one board in PostgreSQL\n",
        rounds.len()
    );
    for (i, n) in servers.iter().enumerate() {
        let of = |f: &dyn Fn(&LoadReport) -> f64| {
            median(rounds.iter().filter_map(|r| r.get(i)).map(f).collect())
        };
        out.push_str(&format!(
            "{n} server(s): {:.2} ballots/s, p50 {:.0} ms, p99 {:.0} ms (medians)\n",
            of(&|r| r.rate()),
            of(&|r| r.p50.as_secs_f64() * 1e3),
            of(&|r| r.p99.as_secs_f64() * 1e3),
        ));
    }
    for (i, n) in servers.iter().enumerate().skip(1) {
        let ratios: Vec<f64> = rounds
            .iter()
            .filter_map(|r| Some(r.get(i)?.rate() / r.first()?.rate()))
            .collect();
        let listed: Vec<String> = ratios.iter().map(|x| format!("{x:.3}")).collect();
        out.push_str(&format!(
            "{n} servers / {}: {} (median {:.3})\n",
            servers[0],
            listed.join(", "),
            median(ratios.clone())
        ));
    }
    out
}
