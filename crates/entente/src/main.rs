//! `entente`: the command line of an Entente election.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use entente::encrypt::{self, Challenge, EncryptOptions};
use entente::{bench, decrypt, demo, open, tally, testvectors};
use entente_server::RolesFile;

/// Entente: election integrity that rival parties can run together (ElectionGuard 2.0).
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a joint election end to end on this machine, every role in its own process over
    /// loopback: the board server (SQLite in a temporary folder), two parties' witnesses, n
    /// guardians (two parties' and a neutral observer), the administrator and an encryption
    /// device that casts random valid ballots and challenges a few; the tally is decrypted with
    /// one guardian left out, the record exported with its log (cosigned by both witnesses) and
    /// verified. Prints the time of each phase, the result and the verifier's report. With
    /// --in-process, the same election in one process, without the board.
    Demo {
        /// Number of guardians n.
        #[arg(long, default_value_t = 5)]
        guardians: u32,
        /// Quorum k: how many guardians are needed to decrypt (1 <= k <= n).
        #[arg(long, default_value_t = 3)]
        quorum: u32,
        /// Number of ballots to encrypt.
        #[arg(long, default_value_t = 1000)]
        ballots: usize,
        /// Write the election record here (default: a temporary directory, removed after).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Encryption threads (default: all cores).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Run the election on this manifest (ElectionGuard JSON) instead of the built-in one;
        /// random ballots use its first ballot style.
        #[arg(long)]
        manifest: Option<PathBuf>,
        /// Also write each guardian's secret, passphrase-sealed, to
        /// DIR/private_data/guardians/guardian-<i>.age, for `entente decrypt` by hand.
        #[arg(long, requires_all = ["dir", "in_process"])]
        seal_guardians: bool,
        /// The passphrase for --seal-guardians (else ENTENTE_PASSPHRASE, else the terminal).
        #[arg(long, requires = "seal_guardians")]
        passphrase_file: Option<PathBuf>,
        /// scrypt work factor (log2 N) for --seal-guardians; default: about a second of work.
        /// Lower values make a stolen file cheaper to attack: for tests and throwaway demos.
        #[arg(long, requires = "seal_guardians", value_parser = clap::value_parser!(u8).range(1..=30))]
        scrypt_log_n: Option<u8>,
        /// Run the election in one process (no server, witnesses or log): the cryptography
        /// alone, faster.
        #[arg(long)]
        in_process: bool,
        /// Afterwards, keep the board and its witnesses running and serve its pages: the
        /// voter's page (/ and /ballot/CODE), the board (/board) and the verification report
        /// (/report). Stops at the end of input (ctrl-d) or ctrl-c.
        #[arg(long, conflicts_with = "in_process")]
        serve: bool,
        /// A drill: guardian 1 answers the decryption wrongly and guardian 2 never answers
        /// (the administrator waits 20 s for it); the others finish without them, and the log
        /// and the verifier name both. Needs at least quorum + 2 guardians.
        #[arg(long, conflicts_with = "in_process")]
        drill: bool,
    },
    /// Check every *TestVector.json in DIR: one PASS/FAIL/SKIP line per file, then a summary.
    /// Exit status 0 when nothing failed, 1 when something failed, 2 when DIR cannot be read.
    Testvectors {
        /// Directory holding ElectionGuard test-vector files.
        dir: PathBuf,
    },
    /// Encrypt plaintext ballots as an encryption device: check each against the manifest,
    /// encrypt on all cores, chain the confirmation codes, and write
    /// RECORD/encrypted_ballots/DEVICE/eballot-<id>.json and the device's ballot_chain.json.
    /// Prints one line per ballot: id, CAST or CHALLENGED, confirmation code.
    Encrypt {
        /// The election record directory (manifest.json, election_config.json,
        /// election_initialized.json).
        #[arg(long)]
        record: PathBuf,
        /// The encryption device's id.
        #[arg(long)]
        device: String,
        /// Challenge this ballot instead of casting it (repeatable); its primary nonce is
        /// published so that the voter can open it.
        #[arg(long = "challenge", value_name = "BALLOT_ID")]
        challenge: Vec<String>,
        /// Challenge the ballots whose ids this file lists, one per line.
        #[arg(long, value_name = "FILE")]
        challenge_list: Option<PathBuf>,
        /// Challenge every ballot of this run.
        #[arg(long, conflicts_with_all = ["challenge", "challenge_list"])]
        challenge_all: bool,
        /// Worker threads (default: all cores).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Plaintext ballot files (pballot-*.json), or directories of them.
        #[arg(required = true)]
        ballots: Vec<PathBuf>,
    },
    /// Close a device's confirmation-code chain (spec 2.0 eq. (61)); prints the closing hash.
    CloseChain {
        /// The election record directory.
        #[arg(long)]
        record: PathBuf,
        /// The encryption device's id.
        #[arg(long)]
        device: String,
    },
    /// Open a challenged ballot with the primary nonce the device revealed, after checking its
    /// proofs and confirmation code, and print the choices it encrypted.
    Open {
        /// The challenged ballot (eballot-<id>.json).
        ballot: PathBuf,
        /// The election record directory.
        #[arg(long)]
        record: PathBuf,
    },
    /// Check every encrypted ballot of the record (election, ballot style, proofs, contest
    /// hashes, confirmation code) on all cores and multiply the cast ones into the encrypted
    /// tally (spec 2.0 §3.5), written as RECORD/encrypted_tally.json. A ballot that fails, or
    /// whose id occurs twice, is named and not counted; the exit status is then 1.
    Tally {
        /// The election record directory.
        #[arg(long)]
        record: PathBuf,
        /// The tally's name in the record.
        #[arg(long, default_value = "tally")]
        tally_id: String,
        /// Worker threads (default: all cores).
        #[arg(long, default_value_t = 0)]
        threads: usize,
    },
    /// Decrypt the record's tally and challenged ballots with a quorum of guardians, each from
    /// its own secret file, in two rounds (commit, respond) and a combine step (spec 2.0 §3.6).
    Decrypt {
        #[command(subcommand)]
        step: DecryptStep,
    },
    /// Verify a complete ElectionGuard 2.0 election record (spec 2.0 §6, Verifications 1 to
    /// 18): one line per verification with how many objects it checked and PASS or FAIL, each
    /// failing object and equation under it, and a summary. Reads the public record only.
    /// Exit status 0 when everything holds, 1 when a check fails, 2 when the record cannot be
    /// read (the message names the file and the JSON path).
    Verify {
        /// The record directory.
        record: PathBuf,
        /// Also write the report as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Also write the report as one self-contained HTML page (the result with a chart,
        /// each verification, the failures, the log's checkpoint) to this file.
        #[arg(long)]
        html: Option<PathBuf>,
        /// Worker threads (default: all cores).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// The log's verifier key (or its .pub file), for a record exported with its log
        /// (RECORD/log/): its tiles, signatures and cosignatures are checked, and that the
        /// record holds exactly what the log holds. Default: the key RECORD/log/key names.
        #[arg(long)]
        log: Option<String>,
        /// A witness this verifier trusts (its cosignature verifier key, or its .pub file;
        /// repeat for several): the election's definition must name it and the log's
        /// checkpoint must carry its cosignature.
        #[arg(long = "witness", value_name = "KEY")]
        witnesses: Vec<String>,
        /// A checkpoint of this log that you saw before (your witness's, or the one of the last
        /// record you verified, `RECORD/log/checkpoint`): the record's log must extend it, so a
        /// log rebuilt under the same key since then fails.
        #[arg(long, value_name = "CHECKPOINT")]
        since: Option<PathBuf>,
    },
    /// Make an Ed25519 key pair for a log or a witness: the secret sealed with a passphrase in
    /// FILE, the verifier key in FILE.pub.
    Keygen {
        /// The key file to write (never overwritten).
        #[arg(long)]
        out: PathBuf,
        /// The key's name: a witness's or a device's name (default: the file's name without its
        /// extension). A log's key signs under the log's origin, whatever its name.
        #[arg(long)]
        name: Option<String>,
        /// What the key signs: log (checkpoints, or the signed requests of a device, a guardian
        /// or the administrator) or witness (cosignatures).
        #[arg(long, value_enum, default_value = "log")]
        role: entente::board::Role,
        /// Read the passphrase from this file (else ENTENTE_PASSPHRASE, else the terminal).
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
        /// scrypt work factor (log2 N); default: about a second of work.
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=30))]
        scrypt_log_n: Option<u8>,
    },
    /// The bulletin board: an append-only Merkle log (RFC 9162) with signed checkpoints.
    Board {
        #[command(subcommand)]
        command: BoardCommand,
    },
    /// Serve the board over HTTP: anyone reads the checkpoint, the tlog-tiles, entries, proofs
    /// and a ballot by its confirmation code (GET /checkpoint, /tile/…, /entries/I,
    /// /proof/inclusion, /proof/consistency, /lookup?confirmation_code=, /status), and the
    /// pages that check them in the browser (/ and /ballot/CODE for voters, /board,
    /// /report); the roles of
    /// ROLES write in signed envelopes (POST /ballots from devices, checked against the
    /// election of --record before they are logged; POST /entries from the administrator).
    /// Each write is acknowledged only once durable, with its inclusion proof in a signed
    /// checkpoint.
    Serve {
        /// The board's database (`entente board init`).
        #[arg(long)]
        db: PathBuf,
        /// The address to listen on (port 0: any free port; the first line printed says which).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// The roles file: {"administrator": VKEY, "devices": [VKEY…], "guardians": […],
        /// "witnesses": […]}, each a signed-note verifier key.
        #[arg(long)]
        roles: PathBuf,
        /// The election whose ballots are accepted (manifest, config, election initialized).
        #[arg(long)]
        record: Option<PathBuf>,
        /// Serve the verification report of the election's record at /report, kept in this
        /// file: once the result is in a checkpoint every witness cosigned, the server exports
        /// its record and verifies it as any party would (`entente export`, `entente verify
        /// --html`, one thread), and again whenever that checkpoint grows.
        #[arg(long)]
        report: Option<PathBuf>,
        /// A witness's tlog-witness URL prefix (its /add-checkpoint is asked to cosign every
        /// new checkpoint); repeat for each party's witness.
        #[arg(long = "witness")]
        witnesses: Vec<String>,
        /// The log's key file (default: the one given to `board init`).
        #[arg(long)]
        key: Option<PathBuf>,
        /// Read the key's passphrase from this file (else ENTENTE_PASSPHRASE, else the
        /// terminal).
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
    },
    /// An encryption device on the network: fetch the election's setup from the server,
    /// encrypt the plaintext ballots (files or directories of pballot-*.json) with this
    /// device's confirmation-code chain (kept in --state), submit each in an envelope signed
    /// with the device's key, and check each receipt's inclusion proof against a checkpoint
    /// signed by the log. Prints one line per ballot: id, confirmation code, board index.
    /// Without ballots it submits what an earlier run left pending.
    Device {
        /// The server's URL (e.g. http://127.0.0.1:8080).
        #[arg(long)]
        server: String,
        /// The device's key file (`entente keygen --name DEVICE`; the name is the device's id).
        #[arg(long)]
        key: PathBuf,
        /// Read the key's passphrase from this file (else ENTENTE_PASSPHRASE, else the
        /// terminal).
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
        /// The device's state directory (setup, chain, what was submitted).
        #[arg(long)]
        state: PathBuf,
        /// The log's verifier key (or its .pub file), to check receipts.
        #[arg(long)]
        log: String,
        /// A ballot the voter challenged instead of casting (repeatable).
        #[arg(long = "challenge", value_name = "BALLOT_ID")]
        challenge: Vec<String>,
        /// Every ballot is challenged.
        #[arg(long, conflicts_with = "challenge")]
        challenge_all: bool,
        /// Encryption threads (default: all cores).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Ballots submitted at once (the server checks them on its cores meanwhile).
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
        in_flight: u16,
        /// Then close this device: post its signed chain (`ballot_chain.json`, closed with
        /// eq. (61) where the election chains codes), listing every ballot it submitted, so
        /// that none can vanish from the log unnoticed; it submits no ballot after.
        #[arg(long)]
        close: bool,
        /// Plaintext ballots: files, directories of pballot-*.json, or - for stdin (a JSON
        /// array of ballots, or one ballot per line).
        ballots: Vec<PathBuf>,
    },
    /// A guardian on the network: one guardian per process, its secret sealed in its state
    /// directory, every other guardian's message checked from the log before it acts.
    Guardian {
        #[command(subcommand)]
        command: GuardianCommand,
    },
    /// The administrator's steps on the network: create the election, then close, tally and
    /// have it decrypted. Holds no secret of the election.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Export the election record from the server's log into DIR, with the log itself as
    /// tlog-tiles in DIR/log (its checkpoint signed by the log and cosigned by every witness of
    /// the roles file). Needs no key: anyone can export, and `entente verify DIR` then checks
    /// the record and that it holds what the log holds.
    Export {
        /// The server's URL.
        #[arg(long)]
        server: String,
        /// The log's verifier key (or its .pub file).
        #[arg(long)]
        log: String,
        /// Where to write the record.
        #[arg(long)]
        dir: PathBuf,
        /// Seconds to wait for the witnesses' cosignatures of the whole log.
        #[arg(long, default_value_t = 120)]
        timeout: u64,
    },
    /// A party's witness, run by hand.
    Witness {
        #[command(subcommand)]
        command: WitnessCommand,
    },
    /// Measure the group operations in GMP-me (one variable-base 4096-bit exponentiation with
    /// a 256-bit exponent by rug's pow_mod = 1), all in one run, on the arithmetic backend
    /// chosen for this CPU (ENTENTE_BACKEND=ifma|portable|gmp|ifma-emulated forces one).
    Bench {
        /// Multiply the number of repetitions (1 takes about ten seconds).
        #[arg(long, default_value_t = 1)]
        scale: usize,
        /// Instead of the group operations, measure how `entente verify` scales: verify this
        /// record alternately on one thread and on `--threads`, and report ballots per second
        /// and the median ratio of the rounds.
        #[arg(long, value_name = "RECORD")]
        verify: Option<PathBuf>,
        /// With --verify: the threads compared with one.
        #[arg(long, default_value_t = 2, requires = "verify")]
        threads: usize,
        /// With --verify: the number of rounds (each verifies the record twice).
        #[arg(long, default_value_t = 3, requires = "verify")]
        rounds: usize,
        /// With --verify: instead of threads, compare backends: verify on one thread
        /// alternately with the chosen backend and with this one (ifma, portable, gmp or
        /// ifma-emulated), each in its own process, and report the median ratio.
        #[arg(long, value_name = "BACKEND", requires = "verify", value_parser = parse_backend)]
        against: Option<entente_group::Backend>,
        /// With --verify: verify once on --threads and print ballots per second (for the
        /// child processes of --against).
        #[arg(long, requires = "verify", conflicts_with = "against", hide = true)]
        single: bool,
        /// Instead, load the board server on loopback: concurrent devices submit pre-encrypted
        /// ballots, the server is killed and restarted halfway; reports ballots per second and
        /// p50/p99 latency, and checks that every acknowledged ballot is in the log and the
        /// tally.
        #[arg(long, conflicts_with = "verify")]
        load: bool,
        /// With --load: concurrent devices.
        #[arg(long, default_value_t = 4, requires = "load")]
        devices: usize,
        /// With --load: ballots per device.
        #[arg(long, default_value_t = 100, requires = "load")]
        ballots: usize,
        /// With --load: stop submitting after this many seconds.
        #[arg(long, default_value_t = 240, requires = "load")]
        seconds: u64,
        /// With --load: do not kill the server halfway.
        #[arg(long, requires = "load")]
        no_kill: bool,
    },
}

#[derive(Subcommand)]
enum BoardCommand {
    /// Create a board in a new SQLite file: its origin (the log's unique name, e.g.
    /// board.example/riverside-2026), the log's key (from `entente keygen --role log --name
    /// ORIGIN`) and the witnesses whose cosignatures publish a checkpoint.
    Init {
        /// The board's database (a new file).
        #[arg(long)]
        db: PathBuf,
        /// The origin line of its checkpoints.
        #[arg(long)]
        origin: String,
        /// The log's key file (its public half, KEYFILE.pub, is read now; the secret when a
        /// checkpoint is signed).
        #[arg(long)]
        key: PathBuf,
        /// A witness's cosignature key, or a .pub file holding it; repeat for each party's.
        #[arg(long = "witness")]
        witnesses: Vec<String>,
    },
    /// Append files to the board: each file's bytes are one entry, byte for byte, all in one
    /// durable transaction. JSON ballots are also found by ballot id and confirmation code.
    Append {
        /// The board's database.
        #[arg(long)]
        db: PathBuf,
        /// What the files are (manifest, ballot, tally, …).
        #[arg(long, default_value = "artifact")]
        kind: String,
        /// The files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Sign a checkpoint of the board's current size (the log signs at most one per size) and
    /// print it as a signed note, with the witnesses' cosignatures gathered so far.
    Checkpoint {
        /// The board's database.
        #[arg(long)]
        db: PathBuf,
        /// The log's key file (default: the one given to `board init`).
        #[arg(long)]
        key: Option<PathBuf>,
        /// Read the key's passphrase from this file (else ENTENTE_PASSPHRASE, else the
        /// terminal).
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
    },
    /// Add the cosignatures found in notes (from `entente witness cosign`) to the board's
    /// checkpoint; says which witnesses are still missing.
    Cosign {
        /// The board's database.
        #[arg(long)]
        db: PathBuf,
        /// Cosigned notes.
        #[arg(required = true)]
        notes: Vec<PathBuf>,
    },
    /// Print the indices of the entries found by a key: ballot_id=ID, confirmation_code=CODE
    /// (any case, spaces and dashes ignored) or file=NAME. Exit status 1 when none is found.
    Find {
        /// The board's database.
        #[arg(long)]
        db: PathBuf,
        /// NAME=VALUE.
        #[arg(long)]
        key: String,
    },
    /// Print a proof as JSON: inclusion of entry --index in the tree of --size (default: the
    /// current size), or consistency --from M --to N.
    Prove {
        /// The board's database.
        #[arg(long)]
        db: PathBuf,
        /// The entry whose inclusion is proven.
        #[arg(long, conflicts_with_all = ["from", "to"], required_unless_present = "from")]
        index: Option<u64>,
        /// The tree size (default: the board's size).
        #[arg(long, requires = "index")]
        size: Option<u64>,
        /// Consistency from this size…
        #[arg(long)]
        from: Option<u64>,
        /// …to this one (default: the board's size).
        #[arg(long, requires = "from")]
        to: Option<u64>,
    },
    /// Write the board as C2SP tlog-tiles (checkpoint, tiles, entry bundles) into DIR, for any
    /// web server to mirror, and check what was written as a client would.
    Export {
        /// The board's database.
        #[arg(long)]
        db: PathBuf,
        /// The directory.
        dir: PathBuf,
    },
}

/// What every witness command needs: its state, its key, and the logs it follows.
#[derive(clap::Args)]
struct WitnessArgs {
    /// The witness's state directory (the logs it follows, what it cosigned, evidence).
    #[arg(long)]
    state: PathBuf,
    /// The witness's key file (`entente keygen --role witness`).
    #[arg(long)]
    key: PathBuf,
    /// Read the key's passphrase from this file (else ENTENTE_PASSPHRASE, else the terminal).
    #[arg(long)]
    passphrase_file: Option<PathBuf>,
    /// Follow this log (its verifier key or .pub file); remembered in STATE.
    #[arg(long = "log")]
    logs: Vec<String>,
}

impl WitnessArgs {
    /// The witness's key, opened with its passphrase.
    fn open_key(&self) -> Result<entente::board::Key> {
        entente::board::open_key_asking(&self.key, self.passphrase_file.as_deref(), "witness")
    }
}

#[derive(Subcommand)]
enum WitnessCommand {
    /// Run the witness as a service (C2SP tlog-witness, POST /add-checkpoint): it cosigns a
    /// log's checkpoint only if it extends the one it cosigned last. On a split view it answers
    /// as the specification says, keeps both signed notes in STATE/evidence/, and stops with
    /// exit status 1.
    Serve {
        #[command(flatten)]
        witness: WitnessArgs,
        /// The address to listen on (port 0: any free port; the first line printed says which).
        #[arg(long, default_value = "127.0.0.1:8081")]
        listen: String,
    },
    /// Cosign a log's checkpoint by hand: it must be signed by a log this witness follows and
    /// extend the checkpoint it cosigned last (give the consistency proof from that size). On
    /// success the note with this witness's cosignature is printed; on a split view the
    /// witness refuses, keeps both notes in STATE/evidence/ and exits with status 1.
    Cosign {
        #[command(flatten)]
        witness: WitnessArgs,
        /// The consistency proof (`entente board prove --from HELD --to SIZE`).
        #[arg(long)]
        proof: Option<PathBuf>,
        /// The signed checkpoint (a file; "-" or nothing: stdin, as in
        /// `entente board checkpoint --db F | entente witness cosign …`).
        #[arg(default_value = "-")]
        checkpoint: PathBuf,
    },
}

/// What every networked role command needs.
#[derive(clap::Args)]
struct NetArgs {
    /// The server's URL (e.g. http://127.0.0.1:8080).
    #[arg(long)]
    server: String,
    /// The log's verifier key (or its .pub file): nothing is believed unless the log proves it.
    #[arg(long)]
    log: String,
    /// This role's key file (`entente keygen --name NAME`; the name is registered in the roles).
    #[arg(long)]
    key: PathBuf,
    /// Read the key's passphrase from this file (else ENTENTE_PASSPHRASE, else the terminal).
    #[arg(long)]
    passphrase_file: Option<PathBuf>,
    /// The state directory (secrets sealed, nonce, mirrored log, working record).
    #[arg(long)]
    state: PathBuf,
    /// Seconds to wait for the others at each step.
    #[arg(long, default_value_t = 600)]
    timeout: u64,
    /// Worker threads (default: all cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

impl NetArgs {
    fn guardian(&self) -> Result<entente::guardian::GuardianOptions> {
        entente::guardian::options(
            &self.server,
            &self.log,
            &self.key,
            self.passphrase_file.as_deref(),
            &self.state,
            std::time::Duration::from_secs(self.timeout),
            self.threads,
        )
    }

    fn admin(&self) -> Result<entente::admin::AdminOptions> {
        Ok(entente::admin::AdminOptions {
            client: entente::client::Client::new(&self.server, &self.log)?,
            key: entente::board::open_key_asking(
                &self.key,
                self.passphrase_file.as_deref(),
                "administrator",
            )?,
            state: self.state.clone(),
            timeout: std::time::Duration::from_secs(self.timeout),
            threads: self.threads,
        })
    }
}

#[derive(Subcommand)]
enum GuardianCommand {
    /// Make this guardian's secret polynomial (once, sealed in STATE/guardian.age) and publish
    /// its commitments with Schnorr proofs (spec 2.0 §3.2.1).
    Join {
        #[command(flatten)]
        net: NetArgs,
    },
    /// Run this guardian's whole key ceremony: join if needed, check every key, send each other
    /// guardian its share encrypted to it, check the shares received and publish the verdict
    /// (naming any guardian whose share fails), then check the joint key. Exit status 1 if the
    /// ceremony stopped on a complaint.
    Ceremony {
        #[command(flatten)]
        net: NetArgs,
    },
    /// Decrypt with the other guardians once the tally is on the log: check that the tally is
    /// the product of the logged cast ballots, commit, and answer the joint challenges if the
    /// administrator chose this guardian.
    Decrypt {
        #[command(flatten)]
        net: NetArgs,
        /// Play a fault on purpose, for a drill: answer wrongly, or never answer (the others
        /// then finish without this guardian, and name it).
        #[arg(long, value_enum, hide = true)]
        drill: Option<entente::guardian::Drill>,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Publish the election (manifest, configuration for the roles' guardians with quorum k),
    /// wait for the guardians' key ceremony and publish the joint key.
    Create {
        #[command(flatten)]
        net: NetArgs,
        /// The manifest (ElectionGuard JSON; default: the demo's).
        #[arg(long)]
        manifest: Option<PathBuf>,
        /// Quorum k.
        #[arg(long)]
        quorum: u32,
        /// B_aux,0 of the confirmation-code chains.
        #[arg(long, default_value = "entente")]
        baux0: String,
        /// Publish the election and return without waiting for the ceremony.
        #[arg(long)]
        no_wait: bool,
        /// The election's definition of who writes and cosigns, as the administrator decided
        /// it: a roles file (administrator, guardians, devices, witnesses, and `styles`:
        /// device name → the ballot styles it may issue; a device left out issues every style
        /// of the manifest). The server refuses it unless its own roles agree. Default: the
        /// roles the board's operator logged.
        #[arg(long)]
        roles: Option<PathBuf>,
    },
    /// Close the ballot box, publish the encrypted tally, fix the decrypting guardians (when
    /// --guardians of them have committed, or at the timeout if at least k have), combine their
    /// answers and publish the result; prints the result table.
    Tally {
        #[command(flatten)]
        net: NetArgs,
        /// The tally's name in the record.
        #[arg(long, default_value = "tally")]
        tally_id: String,
        /// How many committed guardians to wait for (default: all n).
        #[arg(long)]
        guardians: Option<usize>,
    },
}

#[derive(Subcommand)]
enum DecryptStep {
    /// Round 1, run by each guardian present: check that the encrypted tally is the product of
    /// the record's cast ballots, then publish this guardian's partial decryptions and
    /// commitments in RECORD/decryption/. Its nonces are sealed beside the secret file.
    Commit {
        #[command(flatten)]
        guardian: GuardianArgs,
    },
    /// Round 2, run by each guardian once a quorum has committed: compute the joint challenges
    /// from every commitment and publish this guardian's answers (its nonces are then erased).
    Respond {
        #[command(flatten)]
        guardian: GuardianArgs,
    },
    /// Check every guardian's answers against its commitments and public share, combine them
    /// with the Lagrange coefficients of the guardians present, and write RECORD/tally.json and
    /// RECORD/challenged_ballots/dballot-<id>.json. Needs no secret; anyone can run it.
    Combine {
        /// The election record directory.
        #[arg(long)]
        record: PathBuf,
        /// Worker threads (default: all cores).
        #[arg(long, default_value_t = 0)]
        threads: usize,
    },
}

#[derive(clap::Args)]
struct GuardianArgs {
    /// The election record directory.
    #[arg(long)]
    record: PathBuf,
    /// The guardian's secret file (age, passphrase-encrypted).
    #[arg(long)]
    guardian: PathBuf,
    /// Read the passphrase from this file (else ENTENTE_PASSPHRASE, else the terminal).
    #[arg(long)]
    passphrase_file: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    // A bad ENTENTE_BACKEND is an error before any work, never a silent fallback.
    let backend = entente_group::Backend::from_env().context("choosing the arithmetic backend")?;
    tracing::debug!(backend = backend.name(), "arithmetic backend");
    match cli.command {
        Command::Demo {
            guardians,
            quorum,
            ballots,
            dir,
            threads,
            seal_guardians,
            passphrase_file,
            scrypt_log_n,
            manifest,
            in_process,
            serve,
            drill,
        } => {
            if !in_process {
                let outcome = entente::netdemo::run(&entente::netdemo::NetDemoOptions {
                    guardians,
                    quorum,
                    ballots,
                    dir,
                    manifest,
                    progress: stderr_is_terminal(),
                    threads,
                    serve,
                    drill,
                })?;
                print!("{}", entente::netdemo::report(&outcome));
                if let Some(served) = &outcome.served {
                    let mut text = format!(
                        "\nServing the board at {url}\n  check a ballot:       {url}/\n  \
                         the board:            {url}/board\n  verification report:  {url}/report \
                         (once the board has verified its record)\n",
                        url = served.url
                    );
                    for (what, code) in &served.examples {
                        let pad = " ".repeat(12 - what.len());
                        text.push_str(&format!(
                            "  a {what} ballot:{pad}{}/ballot/{code}\n",
                            served.url
                        ));
                    }
                    text.push_str(&format!(
                        "  with the log's and the witnesses' keys pinned, as a party's link \
                         would: {}/#pin={}\nStop with ctrl-d or ctrl-c.\n",
                        served.url,
                        served.pins.join(",")
                    ));
                    // Whoever reads the output may stop reading once the board is up: the board
                    // is served all the same, so a closed output is no reason to stop.
                    use std::io::Write;
                    let mut out = std::io::stdout().lock();
                    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
                    drop(out);
                    // Until the end of input: then the board and witnesses are stopped.
                    std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink())?;
                }
                return Ok(ExitCode::SUCCESS);
            }
            let seal_passphrase = if seal_guardians {
                Some(entente::passphrase::get(
                    passphrase_file.as_deref(),
                    "the demo's guardian secrets",
                    true,
                )?)
            } else {
                None
            };
            let outcome = demo::run(&demo::DemoOptions {
                seal_passphrase,
                scrypt_log_n,
                manifest,
                guardians,
                quorum,
                ballots,
                dir,
                threads,
                progress: stderr_is_terminal(),
            })?;
            print!("{}", demo::report(&outcome));
            Ok(ExitCode::SUCCESS)
        }
        Command::Testvectors { dir } => {
            let files = testvectors::vector_files(&dir)?;
            let mut results = Vec::with_capacity(files.len());
            for file in &files {
                let result = testvectors::check_file(file);
                println!("{result}");
                if let Some(note) = result.layout_note() {
                    eprintln!("{note}");
                }
                results.push(result);
            }
            let (passed, failed, skipped) = testvectors::summary(&results);
            println!("{passed} passed, {failed} failed, {skipped} skipped");
            Ok(if failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Encrypt {
            record,
            device,
            mut challenge,
            challenge_list,
            challenge_all,
            threads,
            ballots,
        } => {
            if let Some(list) = challenge_list {
                let text = std::fs::read_to_string(&list)
                    .with_context(|| format!("cannot read {}", list.display()))?;
                challenge.extend(
                    text.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_owned),
                );
            }
            let challenge = if challenge_all {
                Challenge::All
            } else if challenge.is_empty() {
                Challenge::None
            } else {
                Challenge::Ids(challenge.into_iter().collect())
            };
            let report = encrypt::run(&EncryptOptions {
                record,
                device,
                inputs: ballots,
                challenge,
                threads,
                progress: stderr_is_terminal(),
            })?;
            for b in &report.ballots {
                let state = match b.state {
                    entente_record::ballot::BallotState::Cast => "CAST",
                    entente_record::ballot::BallotState::Challenged => "CHALLENGED",
                };
                println!("{} {state} {}", b.ballot_id, b.confirmation_code);
            }
            eprintln!(
                "{} ballots encrypted in {:.2} s on {} threads ({:.1} ballots/s), written to {}",
                report.ballots.len(),
                report.encrypt_time.as_secs_f64(),
                report.threads,
                report.ballots.len() as f64 / report.encrypt_time.as_secs_f64().max(1e-9),
                report.device_dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::CloseChain { record, device } => {
            println!("{}", encrypt::close(&record, &device)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Open { ballot, record } => {
            print!("{}", open::run(&ballot, &record)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Tally {
            record,
            tally_id,
            threads,
        } => {
            let agg = tally::run(&tally::TallyOptions {
                record: record.clone(),
                tally_id,
                threads,
                progress: stderr_is_terminal(),
            })?;
            for r in &agg.refused {
                eprintln!("refused {}: {}", r.file.display(), r.reason);
            }
            println!(
                "{} cast ballots counted, {} challenged ballots set aside for decryption, {} refused; \
                 checked in {:.2} s on {} threads; written to {}",
                agg.tally.len(),
                agg.challenged.len(),
                agg.refused.len(),
                agg.time.as_secs_f64(),
                agg.threads,
                record.join(entente::record::ENCRYPTED_TALLY).display()
            );
            Ok(if agg.refused.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Guardian { command } => match command {
            GuardianCommand::Join { net } => {
                let i = entente::guardian::join(&net.guardian()?)?;
                println!("guardian {i} joined: its key is on the log");
                Ok(ExitCode::SUCCESS)
            }
            GuardianCommand::Ceremony { net } => {
                match entente::guardian::ceremony(&net.guardian()?)? {
                    entente::guardian::CeremonyOutcome::Done(done) => {
                        println!(
                            "guardian {}: key ceremony done; K and H_E = {} checked",
                            done.index, done.joint.extended_base_hash
                        );
                        Ok(ExitCode::SUCCESS)
                    }
                    entente::guardian::CeremonyOutcome::Stopped(accusations) => {
                        eprintln!(
                            "error: the key ceremony stopped; the evidence is on the log:\n  {}",
                            accusations.join("\n  ")
                        );
                        Ok(ExitCode::FAILURE)
                    }
                }
            }
            GuardianCommand::Decrypt { net, drill } => {
                match entente::guardian::decrypt(&net.guardian()?, drill)? {
                    entente::guardian::DecryptDone::Excluded { index, why } => {
                        println!("guardian {index} (drill) was left out: {why}")
                    }
                    entente::guardian::DecryptDone::Responded { index, set } => {
                        println!("guardian {index} decrypted with guardians {set:?}")
                    }
                    entente::guardian::DecryptDone::NotChosen { index, set } => println!(
                        "guardian {index} committed; the decryption went ahead with guardians \
                         {set:?}"
                    ),
                }
                Ok(ExitCode::SUCCESS)
            }
        },
        Command::Admin { command } => match command {
            AdminCommand::Create {
                net,
                manifest,
                quorum,
                baux0,
                no_wait,
                roles,
            } => {
                let roles = roles
                    .map(|p| -> Result<RolesFile> {
                        let text = std::fs::read(&p)
                            .with_context(|| format!("cannot read {}", p.display()))?;
                        serde_json::from_slice(&text)
                            .with_context(|| format!("{} is not a roles file", p.display()))
                    })
                    .transpose()?;
                let bytes = match &manifest {
                    Some(p) => {
                        std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?
                    }
                    None => demo::DEMO_MANIFEST.as_bytes().to_vec(),
                };
                match entente::admin::create(
                    &net.admin()?,
                    &bytes,
                    quorum,
                    &baux0,
                    roles.as_ref(),
                    !no_wait,
                )? {
                    Some(joint) => {
                        println!("election initialized: H_E = {}", joint.extended_base_hash)
                    }
                    None => println!("election published; the guardians' ceremony is next"),
                }
                Ok(ExitCode::SUCCESS)
            }
            AdminCommand::Tally {
                net,
                tally_id,
                guardians,
            } => {
                let t = entente::admin::tally(&net.admin()?, &tally_id, guardians)?;
                print!("{}", t.table);
                println!(
                    "{} cast ballots counted, {} challenged ballots decrypted, by guardians {:?} \
                     (absent: {:?})",
                    t.counted, t.challenged, t.present, t.absent
                );
                Ok(ExitCode::SUCCESS)
            }
        },
        Command::Export {
            server,
            log,
            dir,
            timeout,
        } => {
            let client = entente::client::Client::new(&server, &log)?;
            let e = entente::admin::export(&client, &dir, std::time::Duration::from_secs(timeout))?;
            println!(
                "{} record files written to {} from a log of {} entries; its checkpoint is \
                 cosigned by {}",
                e.files,
                dir.display(),
                e.size,
                if e.cosigned_by.is_empty() {
                    "no witness".to_owned()
                } else {
                    e.cosigned_by.join(", ")
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Decrypt { step } => match step {
            DecryptStep::Commit { guardian } => {
                let i = decrypt::commit(
                    &guardian.record,
                    &decrypt::GuardianSecret {
                        path: &guardian.guardian,
                        passphrase_file: guardian.passphrase_file.as_deref(),
                    },
                    guardian.threads,
                    stderr_is_terminal(),
                )?;
                println!("guardian {i} committed (round 1)");
                Ok(ExitCode::SUCCESS)
            }
            DecryptStep::Respond { guardian } => {
                let (i, answered) = decrypt::respond(
                    &guardian.record,
                    &decrypt::GuardianSecret {
                        path: &guardian.guardian,
                        passphrase_file: guardian.passphrase_file.as_deref(),
                    },
                    guardian.threads,
                    stderr_is_terminal(),
                )?;
                println!("guardian {i} responded (round 2), with guardians {answered:?}");
                Ok(ExitCode::SUCCESS)
            }
            DecryptStep::Combine { record, threads } => {
                let out = decrypt::combine(&record, threads, stderr_is_terminal())?;
                println!(
                    "Decrypted by guardians {:?} (absent: {:?}); every share's proof checked\n",
                    out.present, out.absent
                );
                print!(
                    "{}",
                    decrypt::result_table(&out.manifest, &out.result.tally)
                );
                println!(
                    "\n{} challenged ballots decrypted; written to {} and {}",
                    out.result.challenged.len(),
                    record.join(entente::record::TALLY).display(),
                    record.join(entente::record::CHALLENGED).display()
                );
                Ok(ExitCode::SUCCESS)
            }
        },
        Command::Verify {
            record,
            json,
            html,
            threads,
            log,
            witnesses,
            since,
        } => {
            let report = match entente::verify::run(&record, threads, stderr_is_terminal()) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("error: the record cannot be read: {e}");
                    return Ok(ExitCode::from(2));
                }
            };
            print!("{}", report.text());
            if let Some(path) = json {
                entente::verify::write_json(&report, &path)?;
            }
            // A record exported from the log also holds the log: the two must agree.
            let mut log = match entente::verify::check_log(
                &record,
                log.as_deref(),
                &witnesses,
                since.as_deref(),
            ) {
                Ok(l) => l,
                Err(e) => {
                    eprintln!("error: the record's log cannot be read: {e:#}");
                    return Ok(ExitCode::from(2));
                }
            };
            if let Some(l) = &mut log {
                l.blame(&report);
                print!("{}", l.text());
            }
            if let Some(path) = html {
                entente::verify::write_html(&record, &report, log.as_ref(), &path)?;
            }
            let log_holds = log.is_none_or(|l| l.failures.is_empty());
            Ok(if report.holds() && log_holds {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Keygen {
            out,
            name,
            role,
            passphrase_file,
            scrypt_log_n,
        } => {
            let passphrase = entente::passphrase::get(
                passphrase_file.as_deref(),
                &format!("the new key {}", out.display()),
                true,
            )?;
            let name = match name {
                Some(n) => n,
                None => out
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .filter(|s| !s.is_empty())
                    .context("give --name (the file has no name to take one from)")?,
            };
            let vkey = entente::board::keygen(&out, &name, role, &passphrase, scrypt_log_n)?;
            eprintln!(
                "wrote {} (sealed) and {}\nits fingerprint, for a link that pins it (/#pin=…): {}",
                out.display(),
                entente::board::public_path(&out).display(),
                entente::board::fingerprint(&vkey)
            );
            println!("{vkey}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Board { command } => run_board(command),
        Command::Device {
            server,
            key,
            passphrase_file,
            state,
            log,
            challenge,
            challenge_all,
            threads,
            in_flight,
            close,
            ballots,
        } => {
            let in_flight = usize::from(in_flight);
            let key = entente::board::open_key_asking(&key, passphrase_file.as_deref(), "device")?;
            let challenge = if challenge_all {
                Challenge::All
            } else if challenge.is_empty() {
                Challenge::None
            } else {
                Challenge::Ids(challenge.into_iter().collect())
            };
            let acked = entente::device::run(
                key,
                &entente::device::DeviceOptions {
                    server,
                    state,
                    log_key: log,
                    inputs: ballots,
                    challenge,
                    threads,
                    progress: stderr_is_terminal(),
                    in_flight,
                    close,
                },
            )?;
            for a in &acked {
                println!(
                    "{} {} index {} (proven in checkpoint {})",
                    a.ballot_id, a.confirmation_code, a.index, a.checkpoint_size
                );
            }
            eprintln!("{} ballots submitted and proven on the board", acked.len());
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            db,
            listen,
            roles,
            record,
            report,
            witnesses,
            key,
            passphrase_file,
        } => {
            entente::board::serve(
                entente::board::ServeOptions {
                    db: &db,
                    listen: &listen,
                    roles: &roles,
                    record: record.as_deref(),
                    report,
                    witnesses,
                    key_file: key.as_deref(),
                },
                |f| {
                    entente::passphrase::get(
                        passphrase_file.as_deref(),
                        &format!("the log key {}", f.display()),
                        false,
                    )
                },
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Witness {
            command: WitnessCommand::Serve { witness, listen },
        } => {
            let key = witness.open_key()?;
            let ok = entente::board::witness_serve(&witness.state, key, &witness.logs, &listen)?;
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Witness {
            command:
                WitnessCommand::Cosign {
                    witness,
                    proof,
                    checkpoint,
                },
        } => {
            let note = if checkpoint.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin()).context("cannot read stdin")?
            } else {
                std::fs::read_to_string(&checkpoint)
                    .with_context(|| format!("cannot read {}", checkpoint.display()))?
            };
            let key = witness.open_key()?;
            let (state, logs) = (&witness.state, &witness.logs);
            match entente::board::witness_cosign(state, key, logs, &note, proof.as_deref())? {
                entente::board::Cosigned::Note(n) => {
                    print!("{n}");
                    Ok(ExitCode::SUCCESS)
                }
                entente::board::Cosigned::SplitView { reason, evidence } => {
                    eprintln!(
                        "SPLIT VIEW: the log showed this witness two histories ({reason}); \
                         refused, evidence kept in {}",
                        evidence.display()
                    );
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Bench {
            verify: Some(record),
            threads,
            single: true,
            ..
        } => {
            println!("{:.3}", bench::verify_once(&record, threads)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            verify: Some(record),
            against: Some(against),
            rounds,
            ..
        } => {
            let rounds = bench::verify_backends(&record, against, rounds)?;
            print!("{}", bench::backends_report(&rounds, against));
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            verify: Some(record),
            threads,
            rounds,
            ..
        } => {
            let rounds = bench::verify_scaling(&record, threads, rounds)?;
            print!("{}", bench::scaling_report(&rounds, threads));
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            load: true,
            devices,
            ballots,
            seconds,
            no_kill,
            ..
        } => {
            let report = entente::load::run(&entente::load::LoadOptions {
                devices,
                ballots,
                limit: std::time::Duration::from_secs(seconds),
                kill: !no_kill,
                progress: stderr_is_terminal(),
            })?;
            print!("{}", report.text());
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench { scale, .. } => {
            eprintln!("measuring (about {} s)…", 10 * scale.max(1));
            print!("{}", bench::report(&bench::run(scale)));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `--against`'s value: a backend this CPU can run.
fn parse_backend(value: &str) -> std::result::Result<entente_group::Backend, String> {
    let backend = entente_group::Backend::parse(value).map_err(|e| e.to_string())?;
    if value.trim().is_empty() {
        return Err("name a backend: ifma, portable, gmp or ifma-emulated".into());
    }
    Ok(backend)
}

fn run_board(command: BoardCommand) -> Result<ExitCode> {
    use entente::board;
    match command {
        BoardCommand::Init {
            db,
            origin,
            key,
            witnesses,
        } => {
            let vkey = board::init(&db, &origin, &key, &witnesses)?;
            eprintln!(
                "board {origin} created in {} ({} witnesses)",
                db.display(),
                witnesses.len()
            );
            println!("{vkey}");
        }
        BoardCommand::Append { db, kind, files } => {
            let (first, n) = board::append(&db, &kind, &files)?;
            eprintln!(
                "appended {n} entries (durable), indices {first}..{}",
                first + n
            );
            println!("{first}");
        }
        BoardCommand::Checkpoint {
            db,
            key,
            passphrase_file,
        } => {
            let note = board::checkpoint(&db, key.as_deref(), |file| {
                entente::passphrase::get(
                    passphrase_file.as_deref(),
                    &format!("the log key {}", file.display()),
                    false,
                )
            })?;
            print!("{note}");
        }
        BoardCommand::Cosign { db, notes } => {
            let (added, missing) = board::add_cosignatures(&db, &notes)?;
            if added.is_empty() {
                eprintln!("no new valid cosignature by a witness of this board");
            } else {
                eprintln!("added the cosignatures of {}", added.join(", "));
            }
            if missing.is_empty() {
                eprintln!("the latest checkpoint is published: every witness has cosigned it");
            } else {
                eprintln!(
                    "the latest checkpoint still lacks the cosignatures of {}",
                    missing.join(", ")
                );
            }
        }
        BoardCommand::Find { db, key } => {
            let (name, value) = key
                .split_once('=')
                .context("--key is NAME=VALUE (ballot_id=…, confirmation_code=…, file=…)")?;
            let found = board::find(&db, name, value)?;
            if found.is_empty() {
                eprintln!("no entry with {name} = {value}");
                return Ok(ExitCode::FAILURE);
            }
            for i in found {
                println!("{i}");
            }
        }
        BoardCommand::Prove {
            db,
            index,
            size,
            from,
            to,
        } => {
            let json = match (index, from) {
                (Some(i), _) => {
                    serde_json::to_string_pretty(&board::prove_inclusion(&db, i, size)?)?
                }
                (None, Some(m)) => {
                    serde_json::to_string_pretty(&board::prove_consistency(&db, m, to)?)?
                }
                (None, None) => anyhow::bail!("give --index I or --from M"),
            };
            println!("{json}");
        }
        BoardCommand::Export { db, dir } => {
            let out = board::export(&db, &dir)?;
            eprintln!(
                "exported the checkpoint of size {} to {}: {} files written, {} full tiles kept; \
                 the export verifies",
                out.size,
                dir.display(),
                out.written,
                out.kept
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn stderr_is_terminal() -> bool {
    std::io::IsTerminal::is_terminal(&std::io::stderr())
}
