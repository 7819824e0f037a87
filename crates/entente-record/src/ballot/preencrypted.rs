//! The hashes of a pre-encrypted ballot (spec 2.0 §4.1–§4.2): the nonce of each pre-encryption
//! (eq. (96)), the selection hash of each selection vector (eq. (92), (93)), the contest hash over
//! a contest's sorted selection hashes (eq. (94)), the confirmation code (eq. (95)), and the
//! short code a hash trimming function Ω gives a selection (§4.1.4).
//!
//! Contests and options are identified as in the other ballot hashes ([`super::hashes`]): by
//! their sequence order under spec 2.0.0, by their labels under egk's draft layout. A null vote's
//! label is `null1`, `null2`, … and its index follows the contest's options (§4.2.1).

use super::Ciphertext;
use super::hashes::{Label, label};
use crate::{HashValue, Hasher, Revision};
use entente_group::Group;

/// Domain separation of selection hashes, eq. (92), (93).
const SELECTION_HASH: u8 = 0x40;
/// Domain separation of pre-encrypted contest hashes, eq. (94).
const CONTEST_HASH: u8 = 0x41;
/// Domain separation of pre-encrypted confirmation codes, eq. (95).
const CONFIRMATION: u8 = 0x42;
/// Domain separation of pre-encryption nonces, eq. (96).
const NONCE: u8 = 0x43;

/// ξ_{i,j,k} = H(H_E; 0x43, ξ, ind_c(Λ_i), ind_o(λ_j), ind_o(λ_k)) mod q, eq. (96): the nonce
/// of the k-th encryption of the j-th selection vector of contest i.
pub fn nonce<G: Group>(
    revision: Revision,
    h_e: &HashValue,
    primary: &[u8; 32],
    contest: Label<'_>,
    vector: Label<'_>,
    position: Label<'_>,
) -> G::Scalar {
    let h = Hasher::with_revision(h_e.as_bytes(), NONCE, revision).bytes(primary);
    let h = label(h, revision, contest);
    let h = label(h, revision, vector);
    label(h, revision, position).finish().to_scalar()
}

/// ψ = H(H_E; 0x40, K, α_1, β_1, …, α_m, β_m), eq. (92) (a selection) and (93) (a null vote).
pub fn selection_hash<'a, G: Group>(
    revision: Revision,
    h_e: &HashValue,
    key: &G::Element,
    vector: impl IntoIterator<Item = &'a Ciphertext<G>>,
) -> HashValue {
    let mut h = Hasher::with_revision(h_e.as_bytes(), SELECTION_HASH, revision).element::<G>(key);
    for ct in vector {
        h = h.element::<G>(&ct.alpha).element::<G>(&ct.beta);
    }
    h.finish()
}

/// χ_l = H(H_E; 0x41, ind_c(Λ_l), K, ψ_σ(1), …, ψ_σ(m+L)), eq. (94): the contest's selection
/// and null hashes in increasing order as big-endian integers, so that their order reveals
/// nothing of which vector encrypts which selection.
pub fn contest_hash<G: Group>(
    revision: Revision,
    h_e: &HashValue,
    contest: Label<'_>,
    key: &G::Element,
    selection_hashes: &[HashValue],
) -> HashValue {
    let mut sorted = selection_hashes.to_vec();
    sorted.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    let h = Hasher::with_revision(h_e.as_bytes(), CONTEST_HASH, revision);
    let mut h = label(h, revision, contest).element::<G>(key);
    for psi in &sorted {
        h = h.hash(psi);
    }
    h.finish()
}

/// H(B) = H(H_E; 0x42, χ_1, …, χ_mB, B_aux), eq. (95), the contests in sequence order; B_aux
/// without a length prefix, as the standard confirmation code ([`super::hashes`]).
pub fn confirmation_code<'a>(
    revision: Revision,
    h_e: &HashValue,
    contest_hashes: impl IntoIterator<Item = &'a HashValue>,
    aux: &[u8],
) -> HashValue {
    let mut h = Hasher::with_revision(h_e.as_bytes(), CONFIRMATION, revision);
    for chi in contest_hashes {
        h = h.hash(chi);
    }
    h.bytes(aux).finish()
}

/// The label of a contest's `n`-th null vote (1-based), following its `options` options:
/// `null<n>`, index `options + n` (§4.2.1).
pub fn null_label(n: u32, options: u32) -> (String, u32) {
    (format!("null{n}"), options + n)
}

/// Ω as egk writes short codes: the first five hex digits of the selection hash, upper case.
pub fn short_code(selection_hash: &HashValue) -> String {
    selection_hash.to_hex()[..5].to_ascii_uppercase()
}

/// A selection vector a recorded contest publishes (spec 2.0 §4.4): one the voter marked, or a
/// null vector standing in for a vote not made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectedVector<G: Group> {
    /// ψ, eq. (92) or (93).
    pub selection_hash: HashValue,
    /// Ω(ψ), as printed beside the option.
    pub short_code: String,
    /// E_1, …, E_m.
    pub encryptions: Vec<Ciphertext<G>>,
}

/// What a contest recorded from a pre-encrypted ballot publishes besides its selections and
/// proofs (spec 2.0 §4.4): χ, every selection hash of the contest sorted, and the L vectors
/// whose product its selections are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreEncryption<G: Group> {
    /// χ, eq. (94).
    pub contest_hash: HashValue,
    /// ψ of the m options and L null votes, in increasing order.
    pub selection_hashes: Vec<HashValue>,
    /// The marked vectors and as many null vectors as make L, in increasing order of ψ.
    pub selected: Vec<SelectedVector<G>>,
}
