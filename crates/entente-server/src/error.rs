//! The server's error: why a write does not fit the protocol.

use thiserror::Error;

/// Why a write does not fit the protocol.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum WorkflowError {
    /// The step is not the protocol's next for this author (answered 409).
    #[error("out of order: {0}")]
    OutOfOrder(String),
    /// The content is wrong (answered 422).
    #[error("{0}")]
    Invalid(String),
    /// The author's role may not take this step (answered 403).
    #[error("{0}")]
    NotYours(String),
    /// The key ceremony stopped on a complaint (answered 409).
    #[error("the key ceremony has stopped: {0}")]
    Stopped(String),
    /// Not a kind of the protocol (answered 400).
    #[error("{0:?} is not a step of the election's protocol")]
    UnknownKind(String),
}

pub(crate) fn invalid(what: impl std::fmt::Display) -> WorkflowError {
    WorkflowError::Invalid(what.to_string())
}

pub(crate) fn out_of_order(what: impl Into<String>) -> WorkflowError {
    WorkflowError::OutOfOrder(what.into())
}
