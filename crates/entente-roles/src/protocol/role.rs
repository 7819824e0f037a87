//! The roles a registered key may have.

use serde::{Deserialize, Serialize};

/// A role that may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Runs the election: manifest, configuration, the other roles.
    Administrator,
    /// A guardian.
    Guardian,
    /// An encryption device.
    Device,
}
