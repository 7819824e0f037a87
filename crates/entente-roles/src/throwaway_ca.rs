//! A throw-away certificate authority, for a demo or a test that runs every server of an
//! election on one machine over TLS exactly as across a network: the CA signs one certificate
//! per server (its own key, for `localhost` and `127.0.0.1`), and every client is given the
//! CA's certificate (`--ca`). Nothing else trusts it: it lives and dies with the demo's folder.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PublicKeyData,
};
use sha2::{Digest, Sha256};

use crate::error::{Result, refused};
use crate::files::write_atomically;

/// The names every certificate of the CA is for: the loopback a demo listens on.
const NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// A CA in a folder: `ca.pem`, and a `NAME.pem` and `NAME.key` for each server it certified.
pub struct ThrowawayCa {
    dir: PathBuf,
    issuer: Issuer<'static, KeyPair>,
}

/// A server's TLS identity made by the CA.
pub struct Identity {
    /// Its certificate (PEM).
    pub cert: PathBuf,
    /// Its private key (PEM; only the server reads it).
    pub key: PathBuf,
    /// Base64 of the SHA-256 of its public key (SubjectPublicKeyInfo): what a browser is told
    /// to trust for this server (Chromium's `--ignore-certificate-errors-spki-list`).
    pub spki_sha256: String,
}

fn tls_error(e: rcgen::Error) -> crate::RolesError {
    refused!("cannot make the demo's certificates: {e}")
}

impl ThrowawayCa {
    /// A new CA whose files are kept in `dir`.
    pub fn new(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let key = KeyPair::generate().map_err(tls_error)?;
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(tls_error)?;
        // Its own name: two throw-away CAs are never taken for one another.
        params.distinguished_name.push(
            DnType::CommonName,
            format!(
                "Entente demo CA {:016x} (throw-away)",
                rand::random::<u64>()
            ),
        );
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).map_err(tls_error)?;
        write_atomically(&dir.join("ca.pem"), cert.pem().as_bytes())?;
        Ok(Self {
            dir: dir.to_owned(),
            issuer: Issuer::new(params, key),
        })
    }

    /// The CA's certificate, for the clients' `--ca`.
    pub fn cert_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// A certificate and key for the server `name` (a file name), for loopback.
    pub fn issue(&self, name: &str) -> Result<Identity> {
        let key = KeyPair::generate().map_err(tls_error)?;
        let names: Vec<String> = NAMES.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).map_err(tls_error)?;
        params
            .distinguished_name
            .push(DnType::CommonName, format!("{name} (Entente demo)"));
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let cert = params.signed_by(&key, &self.issuer).map_err(tls_error)?;
        let out = Identity {
            cert: self.dir.join(format!("{name}.pem")),
            key: self.dir.join(format!("{name}.key")),
            spki_sha256: B64.encode(Sha256::digest(key.subject_public_key_info())),
        };
        write_atomically(&out.cert, cert.pem().as_bytes())?;
        write_atomically(&out.key, key.serialize_pem().as_bytes())?;
        Ok(out)
    }
}
