//! `ParametersTestVector.json`: H_P (spec 2.0 §3.1.2 eq. (4)) and H_B (§3.1.5 eq. (7)).

use crate::error::{Result, differs};
use entente_core::keys::Quorum;
use entente_group::P4096;
use entente_record::{Revision, params};
use serde::Deserialize;

use super::json::{expect_eq, hash};

#[derive(Deserialize)]
pub struct Vector {
    parameter_base_hash: ParameterBase,
    election_base_hash: ElectionBase,
}

#[derive(Deserialize)]
struct ParameterBase {
    #[serde(rename = "protocolVersion")]
    protocol_version: String,
    primes: Primes,
    expected: String,
}

#[derive(Deserialize)]
struct Primes {
    large_prime: String,
    small_prime: String,
    generator: String,
}

#[derive(Deserialize)]
struct ElectionBase {
    #[serde(rename = "parameterBaseHash")]
    parameter_base_hash: String,
    #[serde(rename = "numberOfGuardians")]
    number_of_guardians: u32,
    quorum: u32,
    date: Option<String>,
    jurisdiction_info: Option<String>,
    manifest_hash: String,
    expected: String,
}

pub fn check(v: &Vector) -> Result<Revision> {
    // The primes must be the standard ones (Verification 1.B, 1.C, 1.E), in canonical widths.
    let c = P4096::constants();
    let primes = &v.parameter_base_hash.primes;
    let p = entente_group::hex::decode_exact(&primes.large_prime, 512);
    let q = entente_group::hex::decode_exact(&primes.small_prime, 32);
    let g = entente_group::hex::decode_exact(&primes.generator, 512);
    for (path, value, standard) in [
        ("parameter_base_hash.primes.large_prime", &p, c.p_bytes()),
        ("parameter_base_hash.primes.small_prime", &q, c.q_bytes()),
        ("parameter_base_hash.primes.generator", &g, c.g_bytes()),
    ] {
        match value {
            Ok(bytes) if *bytes == standard => {}
            Ok(_) => {
                return Err(differs!(
                    "{path} is not the spec 2.0 standard value (§3.1.1)"
                ));
            }
            Err(e) => return Err(differs!("{path}: {e}")),
        }
    }
    let version = &v.parameter_base_hash.protocol_version;
    let Some(ver) = params::version_bytes(version) else {
        return Err(differs!(
            "parameter_base_hash.protocolVersion {version:?} is longer than 32 bytes"
        ));
    };
    let (p, q, g) = (p?, q?, g?);
    let h_p = params::parameter_base_hash(&ver, &p, &q, &g);
    expect_eq(
        "parameter_base_hash.expected",
        &h_p,
        &hash(
            "parameter_base_hash.expected",
            &v.parameter_base_hash.expected,
        )?,
    )?;

    let e = &v.election_base_hash;
    Quorum::new(e.number_of_guardians, e.quorum)?;
    let h_p = hash(
        "election_base_hash.parameterBaseHash",
        &e.parameter_base_hash,
    )?;
    let h_m = hash("election_base_hash.manifest_hash", &e.manifest_hash)?;
    let expected = hash("election_base_hash.expected", &e.expected)?;
    let v2 = params::election_base_hash(&h_p, &h_m, e.number_of_guardians, e.quorum);
    let h_b_revision = if v2 == expected {
        Revision::V2_0_0
    } else {
        let (Some(date), Some(info)) = (&e.date, &e.jurisdiction_info) else {
            return Err(differs!(
                "election_base_hash.expected: computed {v2:?}, vector says {expected:?}"
            ));
        };
        let draft = params::election_base_hash_egk_draft(
            &h_p,
            e.number_of_guardians,
            e.quorum,
            date,
            info,
            &h_m,
        );
        expect_eq(
            "election_base_hash.expected (either layout)",
            &draft,
            &expected,
        )?;
        Revision::EgkDraft1_9
    };
    Ok(
        if version == params::SPEC_VERSION && h_b_revision == Revision::V2_0_0 {
            Revision::V2_0_0
        } else {
            Revision::EgkDraft1_9
        },
    )
}
