//! `entente board …`: the bulletin board run by hand, on its SQLite file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use entente_board::BoardDb;
use entente_roles::board;

use crate::args::Passphrase;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Create a board in a new SQLite file or an empty PostgreSQL database: its origin (the log's unique name, e.g.
    /// board.example/riverside-2026), the log's key (from `entente keygen --role log --name
    /// ORIGIN`) and the witnesses whose cosignatures publish a checkpoint.
    Init {
        /// The board's database: a new file, or a postgres:// URL of a database without a
        /// board.
        #[arg(long)]
        db: BoardDb,
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
        /// The board's database (a file, or a postgres:// URL).
        #[arg(long)]
        db: BoardDb,
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
        /// The board's database (a file, or a postgres:// URL).
        #[arg(long)]
        db: BoardDb,
        /// The log's key file (default: the one given to `board init`).
        #[arg(long)]
        key: Option<PathBuf>,
        #[command(flatten)]
        passphrase: Passphrase,
    },
    /// Add the cosignatures found in notes (from `entente witness cosign`) to the board's
    /// checkpoint; says which witnesses are still missing.
    Cosign {
        /// The board's database (a file, or a postgres:// URL).
        #[arg(long)]
        db: BoardDb,
        /// Cosigned notes.
        #[arg(required = true)]
        notes: Vec<PathBuf>,
    },
    /// Print the indices of the entries found by a key: ballot_id=ID, confirmation_code=CODE
    /// (any case, spaces and dashes ignored) or file=NAME. Exit status 1 when none is found.
    Find {
        /// The board's database (a file, or a postgres:// URL).
        #[arg(long)]
        db: BoardDb,
        /// NAME=VALUE.
        #[arg(long)]
        key: String,
    },
    /// Print a proof as JSON: inclusion of entry --index in the tree of --size (default: the
    /// current size), or consistency --from M --to N.
    Prove {
        /// The board's database (a file, or a postgres:// URL).
        #[arg(long)]
        db: BoardDb,
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
        /// The board's database (a file, or a postgres:// URL).
        #[arg(long)]
        db: BoardDb,
        /// The directory.
        dir: PathBuf,
    },
}

pub fn exec(command: Command) -> Result<ExitCode> {
    match command {
        Command::Init {
            db,
            origin,
            key,
            witnesses,
        } => {
            let vkey = board::init(&db, &origin, &key, &witnesses)?;
            eprintln!(
                "board {origin} created in {db} ({} witnesses)",
                witnesses.len()
            );
            println!("{vkey}");
        }
        Command::Append { db, kind, files } => {
            let (first, n) = board::append(&db, &kind, &files)?;
            eprintln!(
                "appended {n} entries (durable), indices {first}..{}",
                first + n
            );
            println!("{first}");
        }
        Command::Checkpoint {
            db,
            key,
            passphrase,
        } => {
            let note = board::checkpoint(&db, key.as_deref(), |file| {
                passphrase.get(&format!("the log key {}", file.display()), false)
            })?;
            print!("{note}");
        }
        Command::Cosign { db, notes } => {
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
        Command::Find { db, key } => {
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
        Command::Prove {
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
                (None, None) => bail!("give --index I or --from M"),
            };
            println!("{json}");
        }
        Command::Export { db, dir } => {
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
