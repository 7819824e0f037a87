//! Signed writes. Every write to the board is an envelope signed by its author's Ed25519 key,
//! registered for a role in the election's roles file; the server checks it before it appends,
//! and appends the whole envelope, so that anyone can check every write later from the log.
//!
//! The signed message is domain-separated and binds the log it is written to (its origin line:
//! one log holds one election, so a write cannot be replayed on another election that reuses
//! the author's key), the author, the kind of write, a nonce that the author never uses twice
//! (the server keeps a window of each author's recent nonces, so that a device may have a few
//! ballots in flight, and refuses a replay; a protocol step's nonce must exceed its author's
//! previous step's, so that a step that was refused can never be logged later) and the SHA-256
//! of the body:
//!
//! ```text
//! entente write v2\n<origin>\n<author>\n<kind>\n<nonce>\n<hex SHA-256 of body>\n
//! ```
//!
//! The log keeps a write as a [`LoggedEnvelope`]: the envelope with its body's SHA-256 in place
//! of the body, which the board keeps beside the entry (`entente/bodies/…` of the tlog-tiles),
//! so that every entry fits a standard tlog-tiles bundle (64 KiB) however large its body. The
//! signature covers the digest, so the logged entry binds the body as the envelope did: a
//! reader joins each entry with its body ([`join_bodies`]) and refuses a body whose SHA-256 is
//! not the one its entry names.

use std::collections::{BTreeMap, BTreeSet};

use super::role::Role;
use crate::error::RolesError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use entente_board::note::{NoteSigner, NoteVerifier};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A write as sent and as logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// The author's key name.
    pub author: String,
    /// What is written ("ballot", "manifest", …).
    pub kind: String,
    /// Unused by the author, and above its latest write's or at most 63 below it.
    pub nonce: u64,
    /// The body, base64.
    pub body: String,
    /// The Ed25519 signature of [`message`], base64.
    pub signature: String,
}

/// A signed write as the log keeps it: the [`Envelope`] with its body's hex SHA-256 in place
/// of the body (a few hundred bytes whatever the body's size).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoggedEnvelope {
    /// The author's key name.
    pub author: String,
    /// What is written.
    pub kind: String,
    /// The author's nonce.
    pub nonce: u64,
    /// The lower-case hex SHA-256 of the body.
    pub digest: String,
    /// The Ed25519 signature, base64, as in the envelope.
    pub signature: String,
}

impl LoggedEnvelope {
    /// Whether `env` is the write these headers announced.
    pub fn announce(&self, env: &Envelope) -> bool {
        self.author == env.author
            && self.kind == env.kind
            && self.nonce == env.nonce
            && self.signature == env.signature
    }

    /// The entry's bytes: its JSON, as the server appends it and a writer checks its receipt.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Strings and a number only: serialising cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The SHA-256 the entry names, as bytes: `None` if it is not 64 lower-case hex digits.
    pub fn digest_bytes(&self) -> Option<[u8; 32]> {
        if self.digest.len() != 64 || self.digest.bytes().any(|b| b.is_ascii_uppercase()) {
            return None;
        }
        let bytes = hex::decode(&self.digest).ok()?;
        bytes.try_into().ok()
    }

    /// The envelope this entry logs, with `body`: an error if `body`'s SHA-256 is not the one
    /// the entry names (the signature is checked where the envelope is read, [`Roles::check`]).
    pub fn with_body(self, body: &[u8]) -> Result<Envelope, RolesError> {
        if hex_digest(body) != self.digest {
            return Err(RolesError::Refused(format!(
                "{}'s {} (nonce {}): its body is not the one its log entry names by SHA-256",
                self.author, self.kind, self.nonce
            )));
        }
        Ok(Envelope {
            author: self.author,
            kind: self.kind,
            nonce: self.nonce,
            body: B64.encode(body),
            signature: self.signature,
        })
    }
}

/// Joins each logged write of `entries` with its body, read by `body` from its SHA-256 (from a
/// mirror's `entente/bodies/`, the server, the board's database), into the envelope as it was
/// sent; the roles files the server logs stay as they are. An error names the entry (counting
/// from `first`) whose body is missing or not the one it names.
pub fn join_bodies(
    first: u64,
    entries: Vec<Vec<u8>>,
    mut body: impl FnMut(&[u8; 32]) -> Result<Vec<u8>, RolesError>,
) -> Result<Vec<Vec<u8>>, RolesError> {
    let mut out = Vec::with_capacity(entries.len());
    for (i, data) in entries.into_iter().enumerate() {
        let index = first + i as u64;
        let Ok(logged) = serde_json::from_slice::<LoggedEnvelope>(&data) else {
            out.push(data);
            continue;
        };
        let fail = |reason: String| RolesError::LogEntry { index, reason };
        let digest = logged
            .digest_bytes()
            .ok_or_else(|| fail("its body's SHA-256 is not 64 lower-case hex digits".into()))?;
        let bytes = body(&digest).map_err(|e| fail(format!("its body: {e}")))?;
        let env = logged.with_body(&bytes).map_err(|e| fail(e.to_string()))?;
        out.push(serde_json::to_vec(&env).map_err(|e| fail(e.to_string()))?);
    }
    Ok(out)
}

/// The message an envelope's signature covers, for the log of `origin`.
pub fn message(origin: &str, author: &str, kind: &str, nonce: u64, body: &[u8]) -> Vec<u8> {
    message_of_digest(origin, author, kind, nonce, &hex_digest(body))
}

/// The message for a body known by its hex SHA-256 only (a write's headers, checked before
/// its body is read).
fn message_of_digest(origin: &str, author: &str, kind: &str, nonce: u64, digest: &str) -> Vec<u8> {
    format!("entente write v2\n{origin}\n{author}\n{kind}\n{nonce}\n{digest}\n").into_bytes()
}

fn hex_digest(body: &[u8]) -> String {
    Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The HTTP headers that carry an envelope's signed fields ahead of its body, so that the
/// server can refuse a write whose author is not registered, or whose signature does not
/// verify, before it reads a byte of the body (which may be megabytes): the signature covers
/// the body's digest, so it can be checked first and the body matched to it after.
pub mod header {
    /// The author's key name.
    pub const AUTHOR: &str = "entente-author";
    /// The kind of write.
    pub const KIND: &str = "entente-kind";
    /// The nonce, in decimal.
    pub const NONCE: &str = "entente-nonce";
    /// The hex SHA-256 of the body (the decoded body the signature covers).
    pub const DIGEST: &str = "entente-digest";
    /// The signature, base64, as in the envelope.
    pub const SIGNATURE: &str = "entente-signature";
}

/// An envelope's signed fields as read from a write's headers, before its body: the very
/// fields the log keeps of the write ([`LoggedEnvelope`]).
pub type WriteHeaders = LoggedEnvelope;

impl Envelope {
    /// A write for the log of `origin`, signed by `signer` (the client side).
    pub fn sign(signer: &NoteSigner, origin: &str, kind: &str, nonce: u64, body: &[u8]) -> Self {
        let sig = signer.sign_bytes(&message(origin, signer.name(), kind, nonce, body));
        Self {
            author: signer.name().to_owned(),
            kind: kind.to_owned(),
            nonce,
            body: B64.encode(body),
            signature: B64.encode(sig),
        }
    }

    /// The entry the log keeps for this write (see [`LoggedEnvelope`]); an error if its body
    /// is not base64.
    pub fn logged(&self) -> Result<LoggedEnvelope, RolesError> {
        let body = B64
            .decode(&self.body)
            .map_err(|_| RolesError::BadSignature(self.author.clone()))?;
        Ok(LoggedEnvelope {
            author: self.author.clone(),
            kind: self.kind.clone(),
            nonce: self.nonce,
            digest: hex_digest(&body),
            signature: self.signature.clone(),
        })
    }

    /// The write as the log keeps it, and its body: [`Self::logged`] with the body decoded
    /// once.
    pub fn split(self) -> Result<(LoggedEnvelope, Vec<u8>), RolesError> {
        let body = B64
            .decode(&self.body)
            .map_err(|_| RolesError::BadSignature(self.author.clone()))?;
        let logged = LoggedEnvelope {
            digest: hex_digest(&body),
            author: self.author,
            kind: self.kind,
            nonce: self.nonce,
            signature: self.signature,
        };
        Ok((logged, body))
    }

    /// The headers that announce this write (see [`header`]); an error if its body is not
    /// base64.
    pub fn headers(&self) -> Result<[(&'static str, String); 5], RolesError> {
        let body = B64
            .decode(&self.body)
            .map_err(|_| RolesError::BadSignature(self.author.clone()))?;
        Ok([
            (header::AUTHOR, self.author.clone()),
            (header::KIND, self.kind.clone()),
            (header::NONCE, self.nonce.to_string()),
            (header::DIGEST, hex_digest(&body)),
            (header::SIGNATURE, self.signature.clone()),
        ])
    }
}

/// The election's roles file: each role's verifier keys (signed-note Ed25519 form; the key's
/// name is the author's name).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolesFile {
    /// The administrator's key.
    pub administrator: Option<String>,
    /// The guardians' keys.
    #[serde(default)]
    pub guardians: Vec<String>,
    /// The encryption devices' keys.
    #[serde(default)]
    pub devices: Vec<String>,
    /// The witnesses' cosignature keys (their cosignatures publish a checkpoint).
    #[serde(default)]
    pub witnesses: Vec<String>,
    /// Who answers for each key: key name (a guardian's, a witness's…) → party, for people
    /// reading the board. Nothing is checked against it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parties: BTreeMap<String, String>,
    /// The ballot styles each device may issue: device key name → style ids. An election's
    /// definition lists every device; a roles file of an election set up outside the log
    /// (`entente serve --record`) may leave a device out, which then issues any style.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub styles: BTreeMap<String, Vec<String>>,
    /// The devices that are scanning stations (by key name): they record hand-marked
    /// pre-encrypted ballots of committed print runs, and only those; no other device may.
    /// Like the styles, the election's definition decides it (not compared with the operator's
    /// roles: it changes what a device may write, not who writes).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub scanners: BTreeSet<String>,
}

impl RolesFile {
    /// The first part of the roles that decides who may write or cosign (administrator,
    /// guardians, devices, witnesses) in which `other` differs from these, if any. Parties
    /// are for readers and are not compared.
    pub fn differs_from(&self, other: &RolesFile) -> Option<&'static str> {
        if self.administrator != other.administrator {
            Some("administrator")
        } else if self.guardians != other.guardians {
            Some("guardians")
        } else if self.devices != other.devices {
            Some("devices")
        } else if self.witnesses != other.witnesses {
            Some("witnesses")
        } else {
            None
        }
    }
}

/// The registered authors.
#[derive(Debug, Clone, Default)]
pub struct Roles {
    authors: BTreeMap<String, (Role, NoteVerifier)>,
    /// The guardians' names in the roles file's order: guardian i is the i-th (from 1).
    guardians: Vec<String>,
    /// The witnesses' cosignature keys.
    pub witnesses: Vec<String>,
}

impl Roles {
    /// The authors of a roles file.
    pub fn new(file: &RolesFile) -> Result<Self, RolesError> {
        let mut authors = BTreeMap::new();
        let all = file
            .administrator
            .iter()
            .map(|k| (Role::Administrator, k))
            .chain(file.guardians.iter().map(|k| (Role::Guardian, k)))
            .chain(file.devices.iter().map(|k| (Role::Device, k)));
        for (role, vkey) in all {
            let v = NoteVerifier::parse(vkey).map_err(|e| RolesError::BadRoles(e.to_string()))?;
            let name = v.name().to_owned();
            if authors.insert(name.clone(), (role, v)).is_some() {
                return Err(RolesError::BadRoles(format!(
                    "{name:?} is registered twice"
                )));
            }
        }
        let guardians = file
            .guardians
            .iter()
            .filter_map(|k| NoteVerifier::parse(k).ok().map(|v| v.name().to_owned()))
            .collect();
        Ok(Self {
            authors,
            guardians,
            witnesses: file.witnesses.clone(),
        })
    }

    /// The guardian index (x-coordinate, from 1) of a guardian author.
    pub fn guardian_index(&self, author: &str) -> Option<u32> {
        self.guardians
            .iter()
            .position(|g| g == author)
            .and_then(|p| u32::try_from(p + 1).ok())
    }

    /// The guardians' names, guardian 1 first.
    pub fn guardian_names(&self) -> &[String] {
        &self.guardians
    }

    /// The authors' names.
    pub fn authors(&self) -> impl Iterator<Item = &str> {
        self.authors.keys().map(String::as_str)
    }

    /// Checks a write's headers before its body is read: the author is registered for one of
    /// the `allowed` roles and signed the announced digest for the log of `origin`. (The body
    /// is then matched to the digest by [`Roles::check`], which checks the whole again.)
    pub fn check_headers(
        &self,
        origin: &str,
        h: &WriteHeaders,
        allowed: &[Role],
    ) -> Result<Role, RolesError> {
        let (role, key) = self
            .authors
            .get(&h.author)
            .ok_or_else(|| RolesError::UnknownAuthor(h.author.clone()))?;
        let bad = || RolesError::BadSignature(h.author.clone());
        let digest_ok = h.digest.len() == 64
            && h.digest
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !digest_ok {
            return Err(bad());
        }
        let sig = B64.decode(&h.signature).map_err(|_| bad())?;
        key.verify_bytes(
            &message_of_digest(origin, &h.author, &h.kind, h.nonce, &h.digest),
            &sig,
        )
        .map_err(|_| bad())?;
        if !allowed.contains(role) {
            return Err(RolesError::Forbidden {
                author: h.author.clone(),
                role: *role,
                kind: h.kind.clone(),
            });
        }
        Ok(*role)
    }

    /// Checks an envelope's author, role and signature for the log of `origin`; returns the
    /// author's role and the body. `allowed` says which roles may write this kind. (The nonce
    /// is checked where the write is sequenced.)
    pub fn check(
        &self,
        origin: &str,
        env: &Envelope,
        allowed: &[Role],
    ) -> Result<(Role, Vec<u8>), RolesError> {
        if !self.authors.contains_key(&env.author) {
            return Err(RolesError::UnknownAuthor(env.author.clone()));
        }
        let body = B64
            .decode(&env.body)
            .map_err(|_| RolesError::BadSignature(env.author.clone()))?;
        // The same check as of a write's headers, with the digest of the body it carries.
        let announced = WriteHeaders {
            author: env.author.clone(),
            kind: env.kind.clone(),
            nonce: env.nonce,
            digest: hex_digest(&body),
            signature: env.signature.clone(),
        };
        let role = self.check_headers(origin, &announced, allowed)?;
        Ok((role, body))
    }
}
