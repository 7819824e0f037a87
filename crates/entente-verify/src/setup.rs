//! Verifications 1 to 4: the parameters, the guardians' keys and proofs, the joint key and the
//! extended base hash; and what the later verifications need of the setup.

use std::path::Path;

use entente_group::{Group, P256, P4096, Scalar};
use entente_record::ballot::PublicKey;
use entente_record::election::{ElectionConfigJson, ElectionInitializedJson, read_json};
use entente_record::manifest::Manifest;
use entente_record::{HashValue, Layout, RecordKind, Revision, keys, params};
use rayon::prelude::*;

use crate::{Check, ReadError};

/// What Verification 1 checks of a group: that the record states its constants, and H_P.
pub(crate) trait RecordGroup: Group {
    /// Checks the constants `constants.json` states (1.B–1.E); returns the group's H_P.
    fn check_constants(
        constants: &serde_json::Value,
        kind: RecordKind,
        path: &Path,
        v1: &mut Check,
    ) -> Result<HashValue, ReadError>;
}

/// Compares each constant the record states (hex, leading zeros or not) with the group's.
fn compare_constants(
    stated: &serde_json::Value,
    expected: &[(&str, &str, Vec<u8>)],
    path: &Path,
    v1: &mut Check,
    what: &str,
) -> Result<(), ReadError> {
    let strip = |b: &[u8]| {
        b.iter()
            .skip_while(|&&x| x == 0)
            .copied()
            .collect::<Vec<u8>>()
    };
    for (label, field, value) in expected {
        let text = stated[*field]
            .as_str()
            .ok_or_else(|| ReadError::file(path, format!("{field}: missing or not a string")))?;
        // egk-ec writes "1" for P-256's cofactor: hex without leading zeros, any length.
        let padded = if text.len() % 2 == 1 {
            format!("0{text}")
        } else {
            text.to_owned()
        };
        let bytes =
            ::hex::decode(&padded).map_err(|e| ReadError::file(path, format!("{field}: {e}")))?;
        v1.expect(
            strip(&bytes) == strip(value),
            || format!("constants.json: {field}"),
            &format!("{label}: not {what}"),
        );
    }
    Ok(())
}

impl RecordGroup for P4096 {
    fn check_constants(
        constants: &serde_json::Value,
        kind: RecordKind,
        path: &Path,
        v1: &mut Check,
    ) -> Result<HashValue, ReadError> {
        let c = P4096::constants();
        let (stated, names) = match kind.layout {
            Layout::Json20 => (
                constants,
                ["large_prime", "small_prime", "cofactor", "generator"],
            ),
            Layout::Json21 => (
                &constants["constants"],
                ["largePrime", "smallPrime", "cofactor", "generator"],
            ),
        };
        compare_constants(
            stated,
            &[
                ("1.B", names[0], c.p_bytes()),
                ("1.C", names[1], c.q_bytes()),
                ("1.D", names[2], c.r_bytes()),
                ("1.E", names[3], c.g_bytes()),
            ],
            path,
            v1,
            "the standard value of spec 2.0 §3.1.1",
        )?;
        // egk-ec's 4096-bit 2.1 records keep the 2.0 H_P (its README, fact 3).
        Ok(params::standard_parameter_base_hash())
    }
}

impl RecordGroup for P256 {
    fn check_constants(
        constants: &serde_json::Value,
        _kind: RecordKind,
        path: &Path,
        v1: &mut Check,
    ) -> Result<HashValue, ReadError> {
        let c = entente_group::p256::constants();
        compare_constants(
            &constants["constants"],
            &[
                ("1.B", "primeModulus", c.p.to_vec()),
                ("1.C", "order", c.n.to_vec()),
                ("1.D", "h", c.h.to_vec()),
                ("1.E", "g.x", c.g_x.to_vec()),
                ("1.E", "g.y", c.g_y.to_vec()),
                ("1.E", "a", c.a.to_vec()),
                ("1.E", "b", c.b.to_vec()),
            ],
            path,
            v1,
            "P-256's (SEC 2 §2.4.2)",
        )?;
        Ok(params::p256_parameter_base_hash())
    }
}

/// One guardian's coefficient commitment K_ij with its Schnorr proof, as read.
struct Coefficient<G: Group> {
    who: String,
    i: u32,
    j: u32,
    commitment: <G as Group>::Element,
    challenge: <G as Group>::Scalar,
    response: <G as Group>::Scalar,
}

/// What the ballot and tally checks use: the stated H_E and K (Verifications 3 and 4 say
/// whether they are right).
pub(crate) struct Setup<G: Group> {
    pub manifest: Manifest,
    pub h_e: HashValue,
    pub key: PublicKey<G>,
    /// (n, k).
    pub quorum: (u32, u32),
    /// Whether the devices chain their confirmation codes.
    pub chaining: bool,
    /// B_aux,0.
    pub baux0: Vec<u8>,
}

/// Reads the setup (manifest, config, constants, guardians) of a record of `kind` and runs
/// Verifications 1 to 4.
pub(crate) fn read_and_check<G: RecordGroup>(
    dir: &Path,
    kind: RecordKind,
) -> Result<(Setup<G>, Vec<Check>), ReadError> {
    let layout = kind.layout;
    let hash = |file: &Path, field: &str, text: &str| -> Result<HashValue, ReadError> {
        layout
            .bytes(text)
            .and_then(|b| {
                <[u8; 32]>::try_from(b.as_slice())
                    .map(HashValue)
                    .map_err(|_| format!("{} bytes, a hash is 32", b.len()))
            })
            .map_err(|e| ReadError::file(file, format!("{field}: {e}")))
    };
    let scalar = |file: &Path, field: &str, text: &str| -> Result<G::Scalar, ReadError> {
        layout
            .bytes(text)
            .and_then(|b| G::Scalar::from_canonical_bytes(&b).map_err(|e| e.to_string()))
            .map_err(|e| ReadError::file(file, format!("{field}: {e}")))
    };
    let manifest_path = dir.join("manifest.json");
    let manifest_bytes = entente_record::election::read_file(&manifest_path)
        .map_err(|e| ReadError::file(&manifest_path, e))?;
    let manifest =
        Manifest::from_json(&manifest_bytes).map_err(|e| ReadError::file(&manifest_path, e))?;
    let config_path = dir.join("election_config.json");
    let config: ElectionConfigJson =
        read_json(&config_path).map_err(|e| ReadError::file(&config_path, e))?;
    let init_path = dir.join("election_initialized.json");
    let init: ElectionInitializedJson =
        read_json(&init_path).map_err(|e| ReadError::file(&init_path, e))?;
    let constants_path = dir.join("constants.json");
    let constants: serde_json::Value =
        read_json(&constants_path).map_err(|e| ReadError::file(&constants_path, e))?;

    // Verification 1: the parameters and the hashes that bind the election to them.
    let mut v1 = Check::new(1);
    v1.checked = 8;
    v1.expect(
        config.config_version.trim_start_matches('v') == layout.config_version(),
        || {
            format!(
                "election_config.json: config_version {:?}",
                config.config_version
            )
        },
        &format!(
            "1.A: the record is not of ElectionGuard {} as its layout says",
            layout.config_version()
        ),
    );
    let h_p = G::check_constants(&constants, kind, &constants_path, &mut v1)?;
    let stated_h_p = hash(
        &config_path,
        "parameter_base_hash",
        &config.parameter_base_hash,
    )?;
    v1.expect(
        stated_h_p == h_p,
        || "election_config.json: parameter_base_hash".into(),
        "1.F: H_P is not H(ver; 0x00, p, q, g) of eq. (4)",
    );
    let h_m = params::manifest_hash(&h_p, &manifest_bytes)
        .map_err(|e| ReadError::file(&manifest_path, e))?;
    let stated_h_m = hash(&config_path, "manifest_hash", &config.manifest_hash)?;
    v1.expect(
        stated_h_m == h_m,
        || "election_config.json: manifest_hash".into(),
        "1.G: H_M is not H(H_P; 0x01, manifest) of eq. (5)",
    );
    let (n, k) = (config.number_of_guardians, config.quorum);
    let h_b = params::election_base_hash(&h_p, &h_m, n, k);
    let stated_h_b = hash(
        &config_path,
        "election_base_hash",
        &config.election_base_hash,
    )?;
    v1.expect(
        stated_h_b == h_b,
        || "election_config.json: election_base_hash".into(),
        "1.H: H_B is not H(H_P; 0x02, H_M, n, k) of eq. (6)",
    );

    // Verification 2: every coefficient commitment with its Schnorr proof.
    let mut v2 = Check::new(2);
    let mut public_keys = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut coefficients: Vec<Coefficient<G>> = Vec::new();
    if init.guardians.len() != n as usize {
        v2.fail(
            "election_initialized.json: guardians",
            format!(
                "{} guardians, the config says n = {n}",
                init.guardians.len()
            ),
        );
    }
    for (gi, g) in init.guardians.iter().enumerate() {
        let who = format!("guardian {} (index {})", g.guardian_id, g.x_coordinate);
        if g.x_coordinate == 0 || g.x_coordinate > n || !seen.insert(g.x_coordinate) {
            v2.fail(&who, format!("the index must be unique and in 1..={n}"));
        }
        if g.coefficient_proofs.len() != k as usize {
            v2.fail(
                &who,
                format!(
                    "{} commitments, a quorum of {k} needs {k}",
                    g.coefficient_proofs.len()
                ),
            );
        }
        for (j, p) in g.coefficient_proofs.iter().enumerate() {
            let at = |f: &str| format!("guardians[{gi}].coefficient_proofs[{j}].{f}");
            // In Z_p, or the record is unreadable; in the subgroup, or 2.A fails (below).
            let commitment = layout
                .bytes(&p.public_key)
                .and_then(|b| G::element_from_bytes_unchecked(&b).map_err(|e| e.to_string()))
                .map_err(|e| ReadError::file(&init_path, format!("{}: {e}", at("public_key"))))?;
            let challenge = scalar(&init_path, &at("challenge"), &p.challenge)?;
            let response = scalar(&init_path, &at("response"), &p.response)?;
            coefficients.push(Coefficient {
                who: who.clone(),
                i: g.x_coordinate,
                j: j as u32,
                commitment,
                challenge,
                response,
            });
        }
    }
    // Each commitment's membership and proof on its own core.
    let outcomes: Vec<(bool, bool)> = coefficients
        .par_iter()
        .map(|c| {
            let member = G::element_from_bytes(&G::element_to_bytes(&c.commitment)).is_ok();
            let holds = member
                && keys::coefficient_proof_holds::<G>(
                    &h_p,
                    Revision::V2_0_0,
                    c.i,
                    c.j,
                    &c.commitment,
                    &c.challenge,
                    &c.response,
                );
            (member, holds)
        })
        .collect();
    for (c, (member, holds)) in coefficients.into_iter().zip(outcomes) {
        v2.checked += 1;
        let object = || format!("{}, coefficient {}", c.who, c.j);
        if !member {
            v2.fail(
                object(),
                "2.A: the commitment K_ij is not in Z_p^r (the order-q subgroup)",
            );
            continue;
        }
        v2.expect(
            holds,
            object,
            "2.C: c is not H(H_P; 0x10, i, j, K_ij, g^v K_ij^c) (eq. (12))",
        );
        if c.j == 0 {
            public_keys.push(c.commitment);
        }
    }

    // Verification 3: K is the product of the guardians' keys, and not 1.
    let mut v3 = Check::new(3);
    v3.checked = 1;
    let key = layout
        .bytes(&init.joint_public_key)
        .and_then(|b| G::element_from_bytes(&b).map_err(|e| e.to_string()))
        .map_err(|e| ReadError::file(&init_path, format!("joint_public_key: {e}")))?;
    let product = public_keys.iter().fold(G::identity(), |a, k| G::mul(&a, k));
    v3.expect(
        product == key,
        || "election_initialized.json: joint_public_key".into(),
        "3.B: K is not the product of the guardians' public keys K_i",
    );
    v3.expect(
        key != G::identity(),
        || "election_initialized.json: joint_public_key".into(),
        "3.B: K = 1",
    );

    // Verification 4: H_E from H_B and K.
    let mut v4 = Check::new(4);
    v4.checked = 1;
    let h_e = hash(&init_path, "extended_base_hash", &init.extended_base_hash)?;
    v4.expect(
        params::extended_base_hash::<G>(&stated_h_b, &key) == h_e,
        || "election_initialized.json: extended_base_hash".into(),
        "4.A: H_E is not H(H_B; 0x12, K) (eq. (23))",
    );

    Ok((
        Setup {
            manifest,
            h_e,
            key: PublicKey::new(key),
            quorum: (n, k),
            chaining: config.chain_confirmation_codes,
            baux0: config.baux0.clone(),
        },
        vec![v1, v2, v3, v4],
    ))
}
