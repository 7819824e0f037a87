//! The roles of an Entente election as a library, each driven without the command line.
#![forbid(unsafe_code)]

pub mod admin;
pub mod board;
pub mod client;
pub mod decrypt;
pub mod demo;
pub mod device;
pub mod election;
pub mod encrypt;
pub mod export;
pub mod files;
pub mod guardian;
pub mod html;
pub mod load;
pub mod netdemo;
pub mod observer;
pub mod open;
pub mod passphrase;
pub mod progress;
pub mod protocol;
pub mod record;
pub mod tally;
pub mod verify;
