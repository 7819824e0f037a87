//! A guardian's secrets at rest: JSON inside an `age` file encrypted with a passphrase
//! (scrypt + ChaCha20-Poly1305, the age v1 format). Nothing here is home-made cryptography:
//! age authenticates the whole file, so a stored secret is either read back exactly or refused.

use crate::CoreError;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::iter;

use age::secrecy::SecretString;
use entente_group::{Group, Scalar, SecretScalar};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{Guardian, Quorum, SecretPolynomial};

const FORMAT: &str = "entente-guardian-secret/1";

#[derive(Serialize, Deserialize)]
struct SecretFile {
    format: String,
    group: String,
    guardians: u32,
    quorum: u32,
    index: u32,
    coefficients: Vec<Zeroizing<String>>,
    received_shares: BTreeMap<u32, Zeroizing<String>>,
}

/// Encrypts a guardian's secrets with a passphrase; age picks the scrypt work factor that
/// takes about a second here.
pub fn seal<G: Group>(
    guardian: &Guardian<G>,
    passphrase: &SecretString,
) -> Result<Vec<u8>, CoreError> {
    seal_with_work_factor(guardian, passphrase, None)
}

/// As [`seal`] with an explicit scrypt work factor (log2 N); tests use a small one.
pub fn seal_with_work_factor<G: Group>(
    guardian: &Guardian<G>,
    passphrase: &SecretString,
    work_factor: Option<u8>,
) -> Result<Vec<u8>, CoreError> {
    let content = SecretFile {
        format: FORMAT.to_owned(),
        group: G::NAME.to_owned(),
        guardians: guardian.quorum().guardians(),
        quorum: guardian.quorum().quorum(),
        index: guardian.index(),
        coefficients: guardian
            .polynomial()
            .coefficients()
            .iter()
            .map(|a| Zeroizing::new(a.expose().to_hex()))
            .collect(),
        received_shares: guardian
            .received_shares()
            .iter()
            .map(|(i, s)| (*i, Zeroizing::new(s.expose().to_hex())))
            .collect(),
    };
    let plain = Zeroizing::new(
        serde_json::to_vec(&content).map_err(|e| CoreError::SecretFormat(e.to_string()))?,
    );
    seal_bytes(&plain, passphrase, work_factor)
}

/// Encrypts secret bytes with a passphrase (age, scrypt): the guardian secret, and a guardian's
/// nonce seed between the rounds of a decryption. `work_factor` is log2 of scrypt's N (age
/// picks about a second's worth when it is `None`).
pub fn seal_bytes(
    plain: &[u8],
    passphrase: &SecretString,
    work_factor: Option<u8>,
) -> Result<Vec<u8>, CoreError> {
    let mut recipient = age::scrypt::Recipient::new(passphrase.clone());
    if let Some(w) = work_factor {
        recipient.set_work_factor(w);
    }
    let encryptor = age::Encryptor::with_recipients(iter::once(&recipient as &dyn age::Recipient))
        .map_err(|e| CoreError::SecretEncrypt(e.to_string()))?;
    let mut out = Vec::new();
    let mut writer = encryptor.wrap_output(&mut out).map_err(io)?;
    writer.write_all(plain).map_err(io)?;
    writer.finish().map_err(io)?;
    Ok(out)
}

/// The scrypt work factor (log2 N) that an age passphrase file was sealed with, read from its
/// header (`-> scrypt <salt> <log2 N>`), so that what is sealed beside a secret costs an attacker
/// as much as the secret itself.
pub fn work_factor_of(sealed: &[u8]) -> Option<u8> {
    let header_end = sealed
        .windows(4)
        .position(|w| w == b"\n---")
        .unwrap_or(sealed.len());
    let header = std::str::from_utf8(&sealed[..header_end]).ok()?;
    header
        .lines()
        .find_map(|l| l.strip_prefix("-> scrypt "))
        .and_then(|args| args.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
}

/// Reading or writing a secret's bytes failed.
fn io(e: std::io::Error) -> CoreError {
    CoreError::SecretIo(e.to_string())
}

/// Why a sealed file does not open, said once and without blaming the passphrase for a file
/// that is cut short or changed.
fn decrypt(e: age::DecryptError) -> CoreError {
    use age::DecryptError as E;
    CoreError::SecretDecrypt(match e {
        E::DecryptionFailed | E::NoMatchingKeys | E::KeyDecryptionFailed => {
            "the passphrase is wrong".to_owned()
        }
        E::InvalidHeader | E::UnknownFormat => {
            "it is not a passphrase-sealed (age) file: its header does not parse".to_owned()
        }
        E::InvalidMac => "its header was changed (its MAC does not match)".to_owned(),
        E::ExcessiveWork { required, target } => format!(
            "it asks for scrypt work 2^{required}, more than this machine allows (2^{target})"
        ),
        E::Io(e) => stream(e),
        // The plugin variants, which exist only with age's `plugin` feature.
        #[allow(unreachable_patterns)]
        other => other.to_string(),
    })
}

/// A read of the sealed payload failed: cut short, or changed.
fn stream(e: std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::UnexpectedEof => "the file ends early: it was cut short".to_owned(),
        // The stream cannot tell a last chunk cut short from a changed one.
        std::io::ErrorKind::InvalidData => {
            "its sealed content does not authenticate: the file was changed or cut short".to_owned()
        }
        _ => e.to_string(),
    }
}

/// Decrypts what [`seal_bytes`] sealed; a wrong passphrase or a changed file is refused.
pub fn open_bytes(
    bytes: &[u8],
    passphrase: &SecretString,
) -> Result<Zeroizing<Vec<u8>>, CoreError> {
    let decryptor = age::Decryptor::new(bytes).map_err(decrypt)?;
    let identity = age::scrypt::Identity::new(passphrase.clone());
    let mut reader = decryptor
        .decrypt(iter::once(&identity as &dyn age::Identity))
        .map_err(decrypt)?;
    let mut plain = Zeroizing::new(Vec::new());
    reader
        .read_to_end(&mut plain)
        .map_err(|e| CoreError::SecretDecrypt(stream(e)))?;
    Ok(plain)
}

/// What a sealed signing key (`entente keygen`'s file: name, role, secret) says it is, when
/// `plain` is one: to name the wrong kind of file given where a guardian's secret belongs.
fn signing_key_kind(plain: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(plain).ok()?;
    let (name, role) = (v.get("name")?.as_str()?, v.get("role")?.as_str()?);
    v.get("secret")?;
    Some(format!("{role} key {name:?}"))
}

/// Whether `plain` is a guardian's secret file's content (its format line), to name the wrong
/// kind of file given where a signing key belongs.
pub fn is_guardian_secret(plain: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(plain)
        .ok()
        .and_then(|v| v.get("format")?.as_str().map(|f| f == FORMAT))
        .unwrap_or(false)
}

/// Decrypts and checks a guardian's secrets.
pub fn open<G: Group>(bytes: &[u8], passphrase: &SecretString) -> Result<Guardian<G>, CoreError> {
    let plain = open_bytes(bytes, passphrase)?;
    let content: SecretFile = serde_json::from_slice(&plain).map_err(|e| {
        CoreError::SecretFormat(match signing_key_kind(&plain) {
            Some(kind) => format!(
                "this is a signing key ({kind}, made by `entente keygen`), not a guardian's secret"
            ),
            None => e.to_string(),
        })
    })?;
    if content.format != FORMAT {
        return Err(CoreError::SecretFormat(format!(
            "format is {:?}, expected {FORMAT:?}",
            content.format
        )));
    }
    if content.group != G::NAME {
        return Err(CoreError::SecretFormat(format!(
            "secret is for group {:?}, expected {:?}",
            content.group,
            G::NAME
        )));
    }
    // The content decrypted: whatever it describes wrongly is an invalid secret.
    let restore = || -> Result<Guardian<G>, CoreError> {
        let scalar = |what: String, hex: &str| {
            G::Scalar::from_hex(hex)
                .map(SecretScalar::new)
                .map_err(|source| CoreError::Encoding {
                    object: what,
                    source,
                })
        };
        let quorum = Quorum::new(content.guardians, content.quorum)?;
        let coefficients = content
            .coefficients
            .iter()
            .enumerate()
            .map(|(j, h)| scalar(format!("coefficient {j}"), h))
            .collect::<Result<Vec<_>, _>>()?;
        let polynomial = SecretPolynomial::from_coefficients(content.index, coefficients)?;
        let mut received = BTreeMap::new();
        for (sender, h) in &content.received_shares {
            quorum.check_index(*sender)?;
            received.insert(*sender, scalar(format!("share from guardian {sender}"), h)?);
        }
        Guardian::restore(quorum, polynomial, received)
    };
    restore().map_err(|e| CoreError::SecretInvalid(Box::new(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_work_factor_is_read_back_from_the_header() {
        let pass = SecretString::from("pw".to_owned());
        let sealed = seal_bytes(b"secret", &pass, Some(9)).unwrap();
        assert_eq!(work_factor_of(&sealed), Some(9));
        assert_eq!(&*open_bytes(&sealed, &pass).unwrap(), b"secret");
        assert!(open_bytes(&sealed, &SecretString::from("other".to_owned())).is_err());
        assert_eq!(work_factor_of(b"not an age file"), None);
    }
}
