//! The `entente` command line: every role of an Entente election as a subcommand.
//! The library part holds the commands' logic so that tests can drive it directly.
#![forbid(unsafe_code)]

pub mod bench;
pub mod demo;
pub mod encrypt;
pub mod open;
pub mod testvectors;
