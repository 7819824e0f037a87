//! The harness's one error: why a vector does not pass, with where in it. A failure is read by a
//! person on one line, so each variant's text holds its whole cause.

use std::path::PathBuf;

use thiserror::Error;

/// Why a vector does not pass, or the vectors cannot be found.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConformanceError {
    /// The directory or file cannot be read.
    #[error("cannot read {path}: {reason}")]
    Unreadable {
        /// What was read.
        path: PathBuf,
        /// Why not.
        reason: String,
    },
    /// A directory without test vectors.
    #[error("no *TestVector.json files in {0}")]
    NoVectors(PathBuf),
    /// A value the vector gives that Entente does not reproduce, or that does not read.
    #[error("{0}")]
    Differs(String),
    /// Where in the vector, around why.
    #[error("{at}: {inner}")]
    At {
        /// The place (a JSON path, an object of the vector).
        at: String,
        /// What is wrong there.
        inner: Box<ConformanceError>,
    },
}

/// Results of the harness.
pub type Result<T, E = ConformanceError> = std::result::Result<T, E>;

/// The libraries' errors say what is wrong; the harness adds where.
macro_rules! differs_from {
    ($($t:ty),* $(,)?) => {
        $(impl From<$t> for ConformanceError {
            fn from(e: $t) -> Self {
                Self::Differs(e.to_string())
            }
        })*
    };
}

differs_from!(
    serde_json::Error,
    entente_core::CoreError,
    entente_record::RecordError,
    entente_group::GroupError,
    hex::FromHexError,
);

/// Names the place of a failure in the vector.
pub trait At<T> {
    /// The failure, if any, at the place `place` names.
    fn at(self, place: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: Into<ConformanceError>> At<T> for std::result::Result<T, E> {
    fn at(self, place: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| ConformanceError::At {
            at: place(),
            inner: Box::new(e.into()),
        })
    }
}

impl<T> At<T> for Option<T> {
    fn at(self, place: impl FnOnce() -> String) -> Result<T> {
        self.ok_or_else(|| ConformanceError::Differs(place()))
    }
}

/// A [`ConformanceError::Differs`] from a format string.
macro_rules! differs {
    ($($arg:tt)*) => {
        $crate::error::ConformanceError::Differs(format!($($arg)*))
    };
}

pub(crate) use differs;
