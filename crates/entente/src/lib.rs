//! The `entente` command line: every role of an Entente election as a subcommand.
//! The library part holds the commands' logic so that tests can drive it directly.
#![forbid(unsafe_code)]

pub mod admin;
pub mod bench;
pub mod board;
pub mod client;
pub mod decrypt;
pub mod demo;
pub mod device;
pub mod encrypt;
pub mod guardian;
pub mod html;
pub mod load;
pub mod netdemo;
pub mod open;
pub mod passphrase;
pub mod progress;
pub mod record;
pub mod tally;
pub mod testvectors;
pub mod verify;
