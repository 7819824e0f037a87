//! The subcommands, one file each: its arguments and the function that runs it. The work
//! itself is in the libraries (the roles in `entente-roles`, the verifier in `entente-verify`,
//! the server in `entente-server`).

use std::process::ExitCode;

use anyhow::Result;

pub mod admin;
pub mod bench;
pub mod board;
pub mod check;
pub mod close_chain;
pub mod decrypt;
pub mod demo;
pub mod device;
pub mod encrypt;
pub mod export;
pub mod guardian;
pub mod keygen;
pub mod open;
pub mod pages;
pub mod pre_encrypt;
pub mod record_paper;
pub mod serve;
pub mod tally;
pub mod testvectors;
pub mod verify;
pub mod witness;

#[derive(clap::Subcommand)]
pub enum Command {
    Demo(demo::Args),
    Testvectors(testvectors::Args),
    Encrypt(encrypt::Args),
    CloseChain(close_chain::Args),
    Open(open::Args),
    PreEncrypt(pre_encrypt::Args),
    RecordPaper(record_paper::Args),
    Tally(tally::Args),
    /// Decrypt the record's tally and challenged ballots with a quorum of guardians, each from
    /// its own secret file, in two rounds (commit, respond) and a combine step (spec 2.0 §3.6).
    Decrypt {
        #[command(subcommand)]
        step: decrypt::Step,
    },
    Verify(verify::Args),
    Keygen(keygen::Args),
    /// The bulletin board: an append-only Merkle log (RFC 9162) with signed checkpoints.
    Board {
        #[command(subcommand)]
        command: board::Command,
    },
    Serve(serve::Args),
    Device(device::Args),
    /// A guardian on the network: one guardian per process, its secret sealed in its state
    /// directory, every other guardian's message checked from the log before it acts.
    Guardian {
        #[command(subcommand)]
        command: guardian::Command,
    },
    /// The administrator's steps on the network: create the election, then close, tally and
    /// have it decrypted. Holds no secret of the election.
    Admin {
        #[command(subcommand)]
        command: admin::Command,
    },
    Export(export::Args),
    Check(check::Args),
    /// A party's witness, run by hand.
    Witness {
        #[command(subcommand)]
        command: witness::Command,
    },
    Bench(bench::Args),
    /// A party's own copy of the voter's page and the board page, to serve itself.
    Pages {
        #[command(subcommand)]
        command: pages::Command,
    },
}

impl Command {
    /// Runs the command; its exit status.
    pub fn exec(self) -> Result<ExitCode> {
        match self {
            Command::Demo(args) => demo::exec(args),
            Command::Testvectors(args) => testvectors::exec(args),
            Command::Encrypt(args) => encrypt::exec(args),
            Command::CloseChain(args) => close_chain::exec(args),
            Command::Open(args) => open::exec(args),
            Command::PreEncrypt(args) => pre_encrypt::exec(args),
            Command::RecordPaper(args) => record_paper::exec(args),
            Command::Tally(args) => tally::exec(args),
            Command::Decrypt { step } => decrypt::exec(step),
            Command::Verify(args) => verify::exec(args),
            Command::Keygen(args) => keygen::exec(args),
            Command::Board { command } => board::exec(command),
            Command::Serve(args) => serve::exec(args),
            Command::Device(args) => device::exec(args),
            Command::Guardian { command } => guardian::exec(command),
            Command::Admin { command } => admin::exec(command),
            Command::Export(args) => export::exec(args),
            Command::Check(args) => check::exec(args),
            Command::Witness { command } => witness::exec(command),
            Command::Bench(args) => bench::exec(args),
            Command::Pages { command } => pages::exec(command),
        }
    }
}
