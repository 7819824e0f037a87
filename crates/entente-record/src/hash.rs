//! The ElectionGuard hash function H = HMAC-SHA-256 (spec 2.0 §5.2, eq. (105)) and the byte
//! layouts of its inputs (§5.1, §5.3).

use std::fmt;

use entente_group::{Group, GroupError, Scalar};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::RecordError;

/// The domain-separation bytes of spec 2.0 §5.5: the first byte of H's second argument.
pub mod domain {
    /// H_P, eq. (4).
    pub const PARAMETER_BASE: u8 = 0x00;
    /// H_M, eq. (6).
    pub const MANIFEST: u8 = 0x01;
    /// H_B, eq. (7).
    pub const ELECTION_BASE: u8 = 0x02;
    /// Schnorr challenge of a guardian's coefficient commitment, eq. (12).
    pub const COEFFICIENT_PROOF: u8 = 0x10;
    /// Key of a guardian's encrypted key share, eq. (15).
    pub const SHARE_ENCRYPTION_KEY: u8 = 0x11;
    /// H_E, eq. (23).
    pub const EXTENDED_BASE: u8 = 0x12;
}

/// Which layout of the hash inputs to use.
///
/// Entente writes spec 2.0.0 only. The published ElectionGuard test vectors of egk (the
/// Kotlin implementation) were generated from its draft of spec "1.9", which encodes small
/// integers in 2 bytes instead of 4 and hashes slightly different inputs in a few places; the
/// conformance harness reads them with [`Revision::EgkDraft1_9`]. `docs/spec-notes.md` lists
/// every difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Revision {
    /// ElectionGuard Design Specification 2.0.0.
    V2_0_0,
    /// The draft "1.9" layout of egk's published test vectors.
    EgkDraft1_9,
}

impl Revision {
    /// Width in bytes of small integers such as indices (spec 2.0 §5.1.3: 4).
    pub fn index_bytes(self) -> usize {
        match self {
            Revision::V2_0_0 => 4,
            Revision::EgkDraft1_9 => 2,
        }
    }

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Revision::V2_0_0 => "spec 2.0.0",
            Revision::EgkDraft1_9 => "egk draft 1.9",
        }
    }
}

/// A 32-byte output of H (spec 2.0 §5.4); also the key of later calls of H.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HashValue(pub [u8; 32]);

impl HashValue {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Upper-case hex, 64 digits, as in the records.
    pub fn to_hex(&self) -> String {
        entente_group::hex::encode(&self.0)
    }

    /// From 64 hex digits, either case.
    pub fn from_hex(text: &str) -> Result<Self, GroupError> {
        entente_group::hex::decode_array(text).map(Self)
    }

    /// The value as an integer reduced mod q, for use as a challenge (spec 2.0 §5.4).
    pub fn to_scalar<S: Scalar>(&self) -> S {
        S::from_hash(&self.0)
    }
}

impl fmt::Debug for HashValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HashValue({})", self.to_hex())
    }
}

impl fmt::Display for HashValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// One evaluation of H(key; B1): B1 is written piece by piece in the order the spec lists
/// the inputs. Every piece has a fixed width or carries its length, so no separators are
/// needed (spec 2.0 §5.3).
pub struct Hasher {
    mac: Hmac<Sha256>,
    revision: Revision,
}

impl Hasher {
    /// Starts H(key; separator ‖ …) under spec 2.0.0.
    pub fn new(key: &[u8; 32], separator: u8) -> Self {
        Self::with_revision(key, separator, Revision::V2_0_0)
    }

    /// Starts H(key; separator ‖ …) with the small-integer width of `revision`.
    pub fn with_revision(key: &[u8; 32], separator: u8, revision: Revision) -> Self {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
        mac.update(&[separator]);
        Self { mac, revision }
    }

    /// Raw bytes, written as they are (fixed-width values, hash outputs, byte constants).
    pub fn bytes(mut self, bytes: &[u8]) -> Self {
        self.mac.update(bytes);
        self
    }

    /// A hash output (spec 2.0 §5.4: used as input without change).
    pub fn hash(self, h: &HashValue) -> Self {
        self.bytes(&h.0)
    }

    /// A small integer such as an index, b(i, 4) (spec 2.0 §5.1.3); 2 bytes under the egk draft.
    pub fn index(self, i: u32) -> Self {
        let width = self.revision.index_bytes();
        let be = i.to_be_bytes();
        self.bytes(&be[4 - width..])
    }

    /// Variable-length data with its 4-byte length first (spec 2.0 §5.1.4, §5.1.5). Inputs of
    /// 2^32 bytes or more cannot be encoded (footnotes 40, 41).
    pub fn with_length(self, data: &[u8]) -> Result<Self, RecordError> {
        let len =
            u32::try_from(data.len()).map_err(|_| RecordError::TooLong { len: data.len() })?;
        Ok(self.bytes(&len.to_be_bytes()).bytes(data))
    }

    /// A group element, b(x, l_p) (spec 2.0 §5.1.1).
    pub fn element<G: Group>(self, e: &G::Element) -> Self {
        self.bytes(&G::element_to_bytes(e))
    }

    /// A scalar, b(x, 32) (spec 2.0 §5.1.2).
    pub fn scalar<S: Scalar>(self, s: &S) -> Self {
        self.bytes(&s.to_bytes())
    }

    /// The 32-byte result.
    pub fn finish(self) -> HashValue {
        HashValue(self.mac.finalize().into_bytes().into())
    }
}

/// A short, human-comparable fingerprint of public bytes (a key, a record): the first 16 bytes
/// of their SHA-256, in groups of four hex digits. Not part of the spec; for people to compare
/// what their screens show.
pub fn fingerprint(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = Sha256::digest(bytes);
    let hex = entente_group::hex::encode(&digest[..16]);
    hex.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("hex is ASCII"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// HMAC-SHA-256 as a keyed MAC or KDF step (spec 2.0 eq. (16), (17), (19)), over pieces.
pub fn hmac(key: &[u8; 32], pieces: &[&[u8]]) -> [u8; 32] {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
    for piece in pieces {
        mac.update(piece);
    }
    mac.finalize().into_bytes().into()
}

/// Constant-time check of a MAC tag.
pub fn verify_hmac(key: &[u8; 32], pieces: &[&[u8]], tag: &[u8; 32]) -> bool {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
    for piece in pieces {
        mac.update(piece);
    }
    mac.verify_slice(tag).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_case_2() {
        // RFC 4231 test case 2 with the key padded to 32 bytes by HMAC itself.
        let mut key = [0u8; 32];
        key[..4].copy_from_slice(b"Jefe");
        let out = hmac(&key, &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(
            entente_group::hex::encode(&out),
            "5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843"
        );
    }

    #[test]
    fn pieces_concatenate() {
        let key = [7u8; 32];
        let a = Hasher::new(&key, 0x10).index(1).index(2).finish();
        let b = Hasher::new(&key, 0x10)
            .bytes(&[0, 0, 0, 1, 0, 0, 0, 2])
            .finish();
        assert_eq!(a, b);
        let c = Hasher::with_revision(&key, 0x10, Revision::EgkDraft1_9)
            .index(1)
            .index(2)
            .finish();
        let d = Hasher::new(&key, 0x10).bytes(&[0, 1, 0, 2]).finish();
        assert_eq!(c, d);
        let e = Hasher::new(&key, 0x01)
            .with_length(b"abc")
            .unwrap()
            .finish();
        let f = Hasher::new(&key, 0x01)
            .bytes(&[0, 0, 0, 3])
            .bytes(b"abc")
            .finish();
        assert_eq!(e, f);
        assert!(verify_hmac(&key, &[b"x"], &hmac(&key, &[b"x"])));
        assert!(!verify_hmac(&key, &[b"y"], &hmac(&key, &[b"x"])));
    }
}
