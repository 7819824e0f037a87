//! The roles' one error: a signed write refused, a log that does not read as an election's, or
//! what a role could not do, with where it happened. Errors of the libraries below keep their
//! own type inside it, so that a caller can still tell a board's error from a protocol's.

use std::fmt::Display;

use thiserror::Error;

use crate::protocol::role::Role;

/// Why a role refused or failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RolesError {
    // Signed writes (see `protocol::envelope`).
    /// The author has no registered key.
    #[error("{0:?} is not a registered author")]
    UnknownAuthor(String),
    /// The author's role may not write this.
    #[error("{author:?} ({role:?}) may not write {kind:?}")]
    Forbidden {
        /// Who.
        author: String,
        /// Their role.
        role: Role,
        /// What they tried to write.
        kind: String,
    },
    /// The body or signature is not base64, or the signature does not verify.
    #[error("the signature of {0:?} does not verify")]
    BadSignature(String),
    /// A nonce the author used already, or one too far below its latest: a replayed write.
    #[error(
        "nonce {nonce} of {author:?} was used already or is too old (its latest is {last}): a replay"
    )]
    Replay {
        /// Who.
        author: String,
        /// The nonce sent.
        nonce: u64,
        /// The last nonce accepted.
        last: u64,
    },
    /// The roles file holds a key that does not parse.
    #[error("the roles file: {0}")]
    BadRoles(String),

    // The log read as an election's (see `protocol::log_view`).
    /// An entry that does not fit the election's log.
    #[error("log entry {index}: {reason}")]
    LogEntry {
        /// The entry.
        index: u64,
        /// What is wrong with it.
        reason: String,
    },

    // What a role could not do.
    /// Refused or impossible, in words: a check that failed, an answer the server should not
    /// have given, an input that does not fit.
    #[error("{0}")]
    Refused(String),
    /// Where it happened, around why.
    #[error("{context}")]
    Context {
        /// What was being done.
        context: String,
        /// Why it failed.
        #[source]
        source: Box<RolesError>,
    },
    /// Reading or writing a file, or the network below HTTP.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// JSON that does not parse or does not fit.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// HTTP with the server.
    #[error(transparent)]
    Http(#[from] ureq::Error),
    /// The board, its proofs, notes or a witness.
    #[error(transparent)]
    Board(#[from] entente_board::BoardError),
    /// The protocol's cryptography.
    #[error(transparent)]
    Core(#[from] entente_core::CoreError),
    /// The record's data.
    #[error(transparent)]
    Record(#[from] entente_record::RecordError),
    /// The group's arithmetic or encodings.
    #[error(transparent)]
    Group(#[from] entente_group::GroupError),
    /// A record the verifier cannot read.
    #[error(transparent)]
    Verify(#[from] entente_verify::ReadError),
    /// Anything else a library below said (a thread pool, a key file's sealing).
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync>),
}

/// Errors of libraries below whose types the roles do not name: kept whole, as their source.
macro_rules! from_other {
    ($($t:ty),* $(,)?) => {
        $(impl From<$t> for RolesError {
            fn from(e: $t) -> Self {
                Self::other(e)
            }
        })*
    };
}

from_other!(
    std::string::FromUtf8Error,
    std::num::ParseIntError,
    hex::FromHexError,
    rand::rand_core::OsError,
    base64::DecodeError,
    std::time::SystemTimeError,
    std::array::TryFromSliceError,
);

/// Results of the roles.
pub type Result<T, E = RolesError> = std::result::Result<T, E>;

impl RolesError {
    /// An error from a library below whose type the roles do not name.
    pub fn other(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Other(Box::new(e))
    }

    /// Whether this is a signed write's refusal by the roles in force (unknown author, bad
    /// signature, a role that may not write it, a replay).
    pub fn is_refused_write(&self) -> bool {
        matches!(
            self,
            Self::UnknownAuthor(_)
                | Self::Forbidden { .. }
                | Self::BadSignature(_)
                | Self::Replay { .. }
                | Self::BadRoles(_)
        )
    }
}

/// The whole chain of an error, each cause after a colon, as a person reads it.
pub fn report(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let next = c.to_string();
        // A wrapper that repeats its cause says nothing new.
        if !text.ends_with(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        cause = c.source();
    }
    text
}

/// Says where an error happened (as `anyhow::Context` does, into [`RolesError::Context`]).
pub trait Context<T> {
    /// Wraps the error in `context`.
    fn context<C: Display>(self, context: C) -> Result<T>;
    /// Wraps the error in the context `f` makes, only when there is an error.
    fn with_context<C: Display, F: FnOnce() -> C>(self, f: F) -> Result<T>;
}

impl<T, E: Into<RolesError>> Context<T> for std::result::Result<T, E> {
    fn context<C: Display>(self, context: C) -> Result<T> {
        self.map_err(|e| RolesError::Context {
            context: context.to_string(),
            source: Box::new(e.into()),
        })
    }

    fn with_context<C: Display, F: FnOnce() -> C>(self, f: F) -> Result<T> {
        self.map_err(|e| RolesError::Context {
            context: f().to_string(),
            source: Box::new(e.into()),
        })
    }
}

impl<T> Context<T> for Option<T> {
    fn context<C: Display>(self, context: C) -> Result<T> {
        self.ok_or_else(|| RolesError::Refused(context.to_string()))
    }

    fn with_context<C: Display, F: FnOnce() -> C>(self, f: F) -> Result<T> {
        self.ok_or_else(|| RolesError::Refused(f().to_string()))
    }
}

/// A [`RolesError::Refused`] from a format string.
macro_rules! refused {
    ($($arg:tt)*) => {
        $crate::error::RolesError::Refused(format!($($arg)*))
    };
}

/// Returns a [`RolesError::Refused`] from a format string.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::refused!($($arg)*).into())
    };
}

/// Returns a [`RolesError::Refused`] unless the condition holds.
macro_rules! ensure {
    ($cond:expr, $($arg:tt)*) => {
        if !$cond {
            $crate::error::bail!($($arg)*);
        }
    };
}

pub(crate) use {bail, ensure, refused};
