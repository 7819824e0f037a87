//! The roles of an Entente election as a library: each party's part, driven by the command
//! line, by a test or by another program (a polling-place product embedding the device, a
//! party's own monitor) through a small API, one module per role.
//!
//! - [`protocol`]: the messages every party exchanges through the board (signed envelopes, the
//!   roles that may sign them, each step's kind and body, the API's answers) and the log read
//!   back as an election's ([`protocol::LogView`]); the server checks writes against the same.
//! - [`net`]: how every client reaches a server (TLS trust, plain HTTP only when told).
//! - [`client`]: the log mirror every networked role keeps, believing nothing the log's signed
//!   checkpoints do not prove; [`admin`], [`guardian`], [`device`], [`export`] and
//!   [`observer`] (a record's log checked against the record) on top of it.
//! - Pre-encrypted paper ballots: the print run and the scanning station ([`paper`]).
//! - The same roles without the network, on a record directory: [`encrypt`], [`tally`],
//!   [`decrypt`], [`open`], and the decrypted tally as people read it ([`result`]); the keys and
//!   the board run by hand: [`board`]; the election's setup JSON: [`election`].
//! - The demo's orchestration ([`demo`] in one process, [`netdemo`] with every role in its own
//!   process) and the server's load bench ([`load`]).
//!
//! It depends on `entente-group`, `entente-record`, `entente-core`, `entente-board` and the
//! verifier (`entente-verify`, which the observer and the demo run); never on `entente-server`,
//! whose clients the roles are.
#![forbid(unsafe_code)]

pub mod admin;
pub mod board;
pub mod board_record;
pub mod check;
pub mod client;
pub mod decrypt;
pub mod demo;
pub mod device;
pub mod election;
pub mod encrypt;
pub mod error;
pub mod export;
pub mod files;
pub mod follow;
pub mod group_bench;
pub mod guardian;
pub mod html;
pub mod load;
pub mod net;
pub mod netdemo;
mod netdemo_paper;
pub mod netdemo_report;
pub mod nonce;
pub mod observer;
pub mod open;
pub mod paper;
pub mod paper_pdf;
pub mod passphrase;
pub mod print_run;
pub mod progress;
pub mod protocol;
pub mod record;
pub mod result;
mod stage;
pub mod tally;
pub mod throwaway_ca;
pub mod verify;
pub mod verify_bench;

pub use error::{Result, RolesError};
