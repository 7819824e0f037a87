//! The hashes that bind everything in an election to its parameters, its manifest, its
//! guardians and its key (spec 2.0 §3.1.2, §3.1.4, §3.1.5, §3.2.3).

use std::sync::LazyLock;

use entente_group::{Group, P4096};

use crate::RecordError;
use crate::hash::{HashValue, Hasher, Revision, domain};

/// The specification version Entente implements, as hashed into H_P.
pub const SPEC_VERSION: &str = "v2.0.0";

/// The version byte array `ver`: the UTF-8 version string padded with 0x00 to 32 bytes
/// (spec 2.0 §3.1.2). `None` if the string is longer than 32 bytes.
pub fn version_bytes(version: &str) -> Option<[u8; 32]> {
    let bytes = version.as_bytes();
    let mut out = [0u8; 32];
    out.get_mut(..bytes.len())?.copy_from_slice(bytes);
    Some(out)
}

/// H_P = H(ver; 0x00, p, q, g), spec 2.0 §3.1.2 eq. (4), over the canonical encodings
/// b(p, l_p), b(q, 32), b(g, l_p) given as bytes.
pub fn parameter_base_hash(version: &[u8; 32], p: &[u8], q: &[u8], g: &[u8]) -> HashValue {
    Hasher::new(version, domain::PARAMETER_BASE)
        .bytes(p)
        .bytes(q)
        .bytes(g)
        .finish()
}

static STANDARD_H_P: LazyLock<HashValue> = LazyLock::new(|| {
    let c = P4096::constants();
    let ver = version_bytes(SPEC_VERSION).expect("the version string is short");
    parameter_base_hash(&ver, &c.p_bytes(), &c.q_bytes(), &c.g_bytes())
});

/// H_P of the standard parameters under spec 2.0.0: eq. (5),
/// `2B3B025E50E09C119CBA7E9448ACD1CABC9447EF39BF06327D81C665CDD86296`.
pub fn standard_parameter_base_hash() -> HashValue {
    *STANDARD_H_P
}

/// H_P of the standard parameters under the version string of `revision`: "v2.0.0" for spec
/// 2.0.0, "v2.0" for egk's draft test vectors (docs/spec-notes.md).
pub fn parameter_base_hash_for(revision: Revision) -> HashValue {
    match revision {
        Revision::V2_0_0 => standard_parameter_base_hash(),
        Revision::EgkDraft1_9 => {
            let c = P4096::constants();
            let ver = version_bytes("v2.0").expect("the version string is short");
            parameter_base_hash(&ver, &c.p_bytes(), &c.q_bytes(), &c.g_bytes())
        }
    }
}

/// The version string egk-ec's P-256 records hash into H_P.
pub const P256_VERSION: &str = "v2.1.0";

/// H_P of the P-256 group as egk-ec computes it (neither the 2.0 nor the 2.1 specification
/// defines a curve; `../shared/conformance/egk-ec/README.md`, fact 3): H(ver; 0x00, a, b, p,
/// g.x, g.y, h) with "v2.1.0" as ver and each constant 32 bytes big-endian. The order n is not
/// hashed.
pub fn p256_parameter_base_hash() -> HashValue {
    static H_P: LazyLock<HashValue> = LazyLock::new(|| {
        let c = entente_group::p256::constants();
        let ver = version_bytes(P256_VERSION).expect("the version string is short");
        Hasher::new(&ver, domain::PARAMETER_BASE)
            .bytes(&c.a)
            .bytes(&c.b)
            .bytes(&c.p)
            .bytes(&c.g_x)
            .bytes(&c.g_y)
            .bytes(&c.h)
            .finish()
    });
    *H_P
}

/// H_M = H(H_P; 0x01, manifest), spec 2.0 §3.1.4 eq. (6): the manifest file's bytes exactly
/// as stored, preceded by their 4-byte length (§5.1.5).
pub fn manifest_hash(h_p: &HashValue, manifest: &[u8]) -> Result<HashValue, RecordError> {
    Ok(Hasher::new(h_p.as_bytes(), domain::MANIFEST)
        .with_length(manifest)?
        .finish())
}

/// H_B = H(H_P; 0x02, H_M, n, k), spec 2.0 §3.1.5 eq. (7).
pub fn election_base_hash(h_p: &HashValue, h_m: &HashValue, n: u32, k: u32) -> HashValue {
    Hasher::new(h_p.as_bytes(), domain::ELECTION_BASE)
        .hash(h_m)
        .index(n)
        .index(k)
        .finish()
}

/// H_B in egk's draft-1.9 layout, H(H_P; 0x02, n, k, date, info, H_M) with 2-byte integers and
/// unprefixed strings: what `ParametersTestVector.json` was generated with (docs/spec-notes.md).
pub fn election_base_hash_egk_draft(
    h_p: &HashValue,
    n: u32,
    k: u32,
    date: &str,
    info: &str,
    h_m: &HashValue,
) -> HashValue {
    Hasher::with_revision(h_p.as_bytes(), domain::ELECTION_BASE, Revision::EgkDraft1_9)
        .index(n)
        .index(k)
        .bytes(date.as_bytes())
        .bytes(info.as_bytes())
        .hash(h_m)
        .finish()
}

/// H_E = H(H_B; 0x12, K), spec 2.0 §3.2.3 eq. (23).
pub fn extended_base_hash<G: Group>(h_b: &HashValue, joint_key: &G::Element) -> HashValue {
    Hasher::new(h_b.as_bytes(), domain::EXTENDED_BASE)
        .element::<G>(joint_key)
        .finish()
}

/// H_E in egk's draft-1.9 layout, H(H_B; 0x12, K, K_{1,0}, …, K_{n,k-1}): every guardian's
/// commitments follow K, in guardian order (`KeyCeremonyTestVector.json`; docs/spec-notes.md).
pub fn extended_base_hash_egk_draft<'a, G: Group>(
    h_b: &HashValue,
    joint_key: &G::Element,
    commitments: impl IntoIterator<Item = &'a G::Element>,
) -> HashValue {
    let mut h = Hasher::with_revision(h_b.as_bytes(), domain::EXTENDED_BASE, Revision::EgkDraft1_9)
        .element::<G>(joint_key);
    for c in commitments {
        h = h.element::<G>(c);
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_h_p_is_eq_5() {
        assert_eq!(
            standard_parameter_base_hash().to_hex(),
            "2B3B025E50E09C119CBA7E9448ACD1CABC9447EF39BF06327D81C665CDD86296"
        );
    }

    #[test]
    fn version_bytes_pad_and_bound() {
        let v = version_bytes("v2.0.0").unwrap();
        assert_eq!(&v[..6], b"v2.0.0");
        assert!(v[6..].iter().all(|&b| b == 0));
        assert!(version_bytes(&"x".repeat(33)).is_none());
        assert!(version_bytes(&"x".repeat(32)).is_some());
    }
}
