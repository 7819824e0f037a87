//! The ballot's derived nonces and its hashes: selection nonces (spec 2.0 §3.3.2 eq. (25)), the
//! contest-data nonce (eq. (50)), contest hashes (§3.4.1 eq. (57)), the confirmation code
//! (§3.4.2 eq. (58)) and the hash chain of a device (§3.4.3 eq. (59)–(61)).
//!
//! Contests and options are identified by their manifest sequence order (the records' and
//! vectors' `sequence_order`). Under egk's draft layout they are identified by their labels,
//! hashed as raw UTF-8.

use super::Ciphertext;
use crate::{HashValue, Hasher, Revision};
use entente_group::Group;

/// Domain separation of nonce derivation, eq. (25), (50).
const NONCE: u8 = 0x20;
/// Domain separation of contest hashes, eq. (57).
const CONTEST_HASH: u8 = 0x23;
/// Domain separation of confirmation codes and the chain, eq. (58)–(61).
const CONFIRMATION: u8 = 0x24;

/// How a contest or option is named in hashes.
#[derive(Debug, Clone, Copy)]
pub struct Label<'a> {
    /// Its manifest label (object id).
    pub id: &'a str,
    /// Its sequence order, ind_c or ind_o.
    pub index: u32,
}

/// Hashes a contest's or option's identity as `revision` does (see the module docs).
pub(crate) fn label(h: Hasher, revision: Revision, l: Label<'_>) -> Hasher {
    match revision {
        Revision::V2_0_0 => h.index(l.index),
        Revision::EgkDraft1_9 => h.bytes(l.id.as_bytes()),
    }
}

/// ξ_{i,j} = H(H_E; 0x20, ξ_B, ind_c(Λ_i), ind_o(λ_j)) mod q, eq. (25).
pub fn selection_nonce<G: Group>(
    revision: Revision,
    h_e: &HashValue,
    primary: &[u8; 32],
    contest: Label<'_>,
    option: Label<'_>,
) -> G::Scalar {
    let h = Hasher::with_revision(h_e.as_bytes(), NONCE, revision).bytes(primary);
    let h = label(h, revision, contest);
    label(h, revision, option).finish().to_scalar()
}

/// ξ = H(H_E; 0x20, ξ_B, ind_c(Λ), "contest_data") mod q, eq. (50).
///
/// `with_length` follows the spec's byte table (§5.5.3: the string carries its 4-byte length,
/// §5.1.4); egk hashes the raw string. Entente writes the spec's form and reads both.
pub fn contest_data_nonce<G: Group>(
    revision: Revision,
    h_e: &HashValue,
    primary: &[u8; 32],
    contest: Label<'_>,
    with_length: bool,
) -> G::Scalar {
    let h = Hasher::with_revision(h_e.as_bytes(), NONCE, revision).bytes(primary);
    let h = label(h, revision, contest);
    let h = if with_length && revision == Revision::V2_0_0 {
        h.bytes(&12u32.to_be_bytes()).bytes(b"contest_data")
    } else {
        h.bytes(b"contest_data")
    };
    h.finish().to_scalar()
}

/// χ_l = H(H_E; 0x23, ind_c(Λ_l), K, α_1, β_1, …, α_m, β_m), eq. (57).
pub fn contest_hash<'a, G: Group>(
    revision: Revision,
    h_e: &HashValue,
    contest: Label<'_>,
    key: &G::Element,
    ciphertexts: impl IntoIterator<Item = &'a Ciphertext<G>>,
) -> HashValue {
    let h = Hasher::with_revision(h_e.as_bytes(), CONTEST_HASH, revision);
    let mut h = label(h, revision, contest).element::<G>(key);
    for ct in ciphertexts {
        h = h.element::<G>(&ct.alpha).element::<G>(&ct.beta);
    }
    h.finish()
}

/// H(B) = H(H_E; 0x24, χ_1, …, χ_m, B_aux), eq. (58). B_aux is hashed without a length prefix,
/// as in the conformance records (the §5.5.3 table adds b(len(B_aux), 4); docs/spec-notes.md).
pub fn confirmation_code<'a>(
    h_e: &HashValue,
    contest_hashes: impl IntoIterator<Item = &'a HashValue>,
    aux: &[u8],
) -> HashValue {
    let mut h = Hasher::new(h_e.as_bytes(), CONFIRMATION);
    for chi in contest_hashes {
        h = h.hash(chi);
    }
    h.bytes(aux).finish()
}

/// H_0 = H(H_E; 0x24, B_aux,0), eq. (59), without a length prefix as in the records.
pub fn chain_start(h_e: &HashValue, device: &[u8]) -> HashValue {
    Hasher::new(h_e.as_bytes(), CONFIRMATION)
        .bytes(device)
        .finish()
}

/// The B_aux of the next ballot of a chain (eq. (60)): H_0 alone for the first ballot (as the
/// records do), H_{j-1} ‖ B_aux,0 after it.
pub fn chain_aux(previous: &HashValue, is_first: bool, device: &[u8]) -> Vec<u8> {
    let mut aux = previous.as_bytes().to_vec();
    if !is_first {
        aux.extend_from_slice(device);
    }
    aux
}

/// The closing hash H = H(H_E; 0x24, H(B_ℓ) ‖ B_aux,0 ‖ "CLOSE"), eq. (61).
pub fn chain_close(h_e: &HashValue, last: &HashValue, device: &[u8]) -> HashValue {
    Hasher::new(h_e.as_bytes(), CONFIRMATION)
        .hash(last)
        .bytes(device)
        .bytes(b"CLOSE")
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_aux_layout() {
        let h = HashValue([1; 32]);
        assert_eq!(chain_aux(&h, true, b"dev"), vec![1; 32]);
        let mut second = vec![1; 32];
        second.extend_from_slice(b"dev");
        assert_eq!(chain_aux(&h, false, b"dev"), second);
    }
}
