//! `ShareEncryptionTestVector.json`: the guardians' shares P_i(l) (spec 2.0 eq. (9)), their
//! hashed-ElGamal encryption (eq. (14)–(19)), decryption and verification (eq. (20), (21)),
//! and each guardian's key share P(l) (eq. (22)).

use std::collections::BTreeMap;

use crate::error::{At, Result, differs};
use entente_core::keys::{EncryptedShare, Guardian, VerifiedGuardianKey};
use entente_record::Revision;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Deserialize;

use super::json::{G, bytes32, ceremony, element, expect_eq, guardian, scalar, secret};

#[derive(Deserialize)]
pub struct Vector {
    guardians: Vec<GuardianVector>,
    expected_guardian_shares: Vec<GuardianShares>,
}

#[derive(Deserialize)]
struct GuardianVector {
    name: String,
    coordinate: u32,
    polynomial_coefficients: Vec<String>,
}

/// What guardian `name` sends (nonces, by recipient) and receives (shares, by sender).
#[derive(Deserialize)]
struct GuardianShares {
    name: String,
    share_nonces: BTreeMap<String, String>,
    expected_shares: Vec<ShareVector>,
    expected_my_share_of_secret: String,
}

#[derive(Deserialize)]
struct ShareVector {
    #[serde(rename = "ownerXcoord")]
    owner_x_coord: u32,
    #[serde(rename = "polynomialOwner")]
    polynomial_owner: String,
    #[serde(rename = "secretShareFor")]
    secret_share_for: String,
    #[serde(rename = "yCoordinate")]
    y_coordinate: String,
    #[serde(rename = "encryptedCoordinate")]
    encrypted_coordinate: Ciphertext,
}

#[derive(Deserialize)]
struct Ciphertext {
    c0: String,
    c1: String,
    c2: String,
    #[serde(rename = "numBytes")]
    num_bytes: usize,
}

pub fn check(v: &Vector, revision: Revision) -> Result<()> {
    let (ctx, quorum) = ceremony(
        revision,
        v.guardians.len(),
        v.guardians.first().map(|g| g.polynomial_coefficients.len()),
    )?;

    // The guardians, and their public keys with proofs (the proofs' nonces are not part of the
    // vector and do not enter any expected value; a fixed seed keeps failures reproducible).
    let mut rng = StdRng::seed_from_u64(0);
    let mut guardians: BTreeMap<String, Guardian<G>> = BTreeMap::new();
    let mut keys: BTreeMap<String, VerifiedGuardianKey<G>> = BTreeMap::new();
    for (gi, gv) in v.guardians.iter().enumerate() {
        let guardian = guardian(
            &format!("guardians[{gi}]"),
            gv.coordinate,
            &gv.polynomial_coefficients,
            quorum,
        )?;
        let key = guardian.public_key(&ctx, &mut rng).verify(&ctx, quorum)?;
        if let Some(other) = v.guardians[..gi]
            .iter()
            .position(|o| o.coordinate == gv.coordinate)
        {
            return Err(differs!(
                "guardians[{gi}].coordinate {} is also guardians[{other}]'s",
                gv.coordinate
            ));
        }
        if guardians.insert(gv.name.clone(), guardian).is_some() {
            return Err(differs!("guardians[{gi}].name {:?} appears twice", gv.name));
        }
        keys.insert(gv.name.clone(), key);
    }
    let nonces: BTreeMap<&str, &BTreeMap<String, String>> = v
        .expected_guardian_shares
        .iter()
        .map(|s| (s.name.as_str(), &s.share_nonces))
        .collect();

    for (ri, received) in v.expected_guardian_shares.iter().enumerate() {
        let at = |field: &str| format!("expected_guardian_shares[{ri}].{field}");
        let recipient = &received.name;
        let recipient_key = keys
            .get(recipient)
            .ok_or_else(|| differs!("{}: no guardian named {recipient:?}", at("name")))?
            .clone();
        expect_eq(
            &at("expected_shares (count)"),
            &received.expected_shares.len(),
            &(v.guardians.len() - 1),
        )?;
        for (si, sv) in received.expected_shares.iter().enumerate() {
            let s = |field: &str| at(&format!("expected_shares[{si}].{field}"));
            expect_eq(&s("secretShareFor"), &sv.secret_share_for, recipient)?;
            let sender_name = &sv.polynomial_owner;
            let sender = guardians.get(sender_name).ok_or_else(|| {
                differs!(
                    "{}: no guardian named {sender_name:?}",
                    s("polynomialOwner")
                )
            })?;
            expect_eq(&s("ownerXcoord"), &sv.owner_x_coord, &sender.index())?;

            // P_i(l), eq. (9).
            let value = sender.polynomial().evaluate(recipient_key.index());
            expect_eq(
                &s("yCoordinate"),
                value.expose(),
                &scalar(&s("yCoordinate"), &sv.y_coordinate)?,
            )?;

            // E_l(P_i(l)) with the sender's nonce for this recipient, eq. (14)–(19).
            let nonce_hex = nonces
                .get(sender_name.as_str())
                .and_then(|n| n.get(recipient))
                .ok_or_else(|| {
                    differs!(
                        "{}: no share nonce from {sender_name:?} for {recipient:?}",
                        s("polynomialOwner")
                    )
                })?;
            let nonce = secret(
                &format!("share_nonces of {sender_name} for {recipient}"),
                nonce_hex,
            )?;
            let computed =
                EncryptedShare::encrypt(&ctx, sender.polynomial(), &recipient_key, &nonce);
            let c = &sv.encrypted_coordinate;
            expect_eq(&s("encryptedCoordinate.numBytes"), &c.num_bytes, &32)?;
            let expected = EncryptedShare::<G> {
                sender: sender.index(),
                recipient: recipient_key.index(),
                c0: element(&s("encryptedCoordinate.c0"), &c.c0)?,
                c1: bytes32(&s("encryptedCoordinate.c1"), &c.c1)?,
                c2: bytes32(&s("encryptedCoordinate.c2"), &c.c2)?,
            };
            expect_eq(&s("encryptedCoordinate.c0"), &computed.c0, &expected.c0)?;
            expect_eq(&s("encryptedCoordinate.c1"), &computed.c1, &expected.c1)?;
            expect_eq(&s("encryptedCoordinate.c2"), &computed.c2, &expected.c2)?;

            // The recipient decrypts the vector's ciphertext and checks it (eq. (20), (21)).
            let sender_key = keys[sender_name].clone();
            guardians
                .get_mut(recipient)
                .ok_or_else(|| differs!("{}: no guardian named {recipient:?}", at("name")))?
                .receive_share(&ctx, &sender_key, &expected)
                .at(|| s("encryptedCoordinate"))?;
        }
        let share = guardians[recipient].key_share()?;
        expect_eq(
            &at("expected_my_share_of_secret"),
            share.expose(),
            &scalar(
                &at("expected_my_share_of_secret"),
                &received.expected_my_share_of_secret,
            )?,
        )?;
    }
    Ok(())
}
