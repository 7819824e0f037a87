//! What every guardian's key is bound to: the key context and the quorum.

use crate::CoreError;
use entente_record::{HashValue, Revision};

/// Everything the key-ceremony hashes are bound to: the parameter base hash H_P and the byte
/// layout in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyContext {
    /// The hash layout (spec 2.0.0, or egk's draft for its published test vectors).
    pub revision: Revision,
    /// The parameter base hash H_P (spec 2.0 §3.1.2).
    pub h_p: HashValue,
}

impl KeyContext {
    /// Spec 2.0.0 with the standard parameters.
    pub fn standard() -> Self {
        Self {
            revision: Revision::V2_0_0,
            h_p: entente_record::params::standard_parameter_base_hash(),
        }
    }

    /// Spec 2.0.0 with the parameters of an election in `group` (its H_P).
    pub fn of_group(group: entente_record::GroupKind) -> Self {
        Self {
            revision: Revision::V2_0_0,
            h_p: group.parameter_base_hash(),
        }
    }
}

/// The number of guardians n and the quorum k, with 1 <= k <= n < 2^31 (spec 2.0 §3.2, §5.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quorum {
    n: u32,
    k: u32,
}

impl Quorum {
    /// Checks 1 <= k <= n and that indices fit the spec's 31-bit bound.
    pub fn new(n: u32, k: u32) -> Result<Self, CoreError> {
        if n == 0 || n >= 1 << 31 {
            return Err(CoreError::GuardianCount { n });
        }
        if k == 0 || k > n {
            return Err(CoreError::QuorumRange { n, k });
        }
        Ok(Self { n, k })
    }
    /// The number of guardians n.
    pub fn guardians(&self) -> u32 {
        self.n
    }
    /// The quorum k.
    pub fn quorum(&self) -> u32 {
        self.k
    }
    /// Checks that `index` names a guardian: 1 <= index <= n.
    pub fn check_index(&self, index: u32) -> Result<(), CoreError> {
        if index == 0 || index > self.n {
            return Err(CoreError::IndexRange { index, n: self.n });
        }
        Ok(())
    }
}
