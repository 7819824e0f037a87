//! Checkpoints as signed notes: the C2SP `tlog-checkpoint` body (origin, tree size, root hash)
//! and the C2SP `signed-note` envelope with Ed25519 signatures, key ids and verifier keys.
//!
//! Written here on `ed25519-dalek` and `base64`: the format is a few lines of text, and owning it
//! lets the board check exactly what the specifications require of every line.

use crate::error::BoardError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::Hash;

/// The signature type byte of Ed25519 in signed-note key ids and verifier keys.
const ED25519: u8 = 0x01;
/// U+2014 EM DASH and a space: how every signature line begins.
const DASH: &str = "\u{2014} ";

/// The 4-byte key id of signed-note: SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4].
pub fn key_id(name: &str, signature_type: u8, public_key: &[u8]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', signature_type]);
    h.update(public_key);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

fn check_name(name: &str) -> Result<(), BoardError> {
    if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c == '+') {
        return Err(BoardError::KeyName(name.to_owned()));
    }
    Ok(())
}

/// An Ed25519 signer with its key name.
pub struct NoteSigner {
    name: String,
    key: SigningKey,
}

impl NoteSigner {
    /// A signer named `name` (no spaces, no '+').
    pub fn new(name: &str, key: SigningKey) -> Result<Self, BoardError> {
        check_name(name)?;
        Ok(Self {
            name: name.to_owned(),
            key,
        })
    }

    /// The verifier key: `<name>+<hex key id>+<base64(0x01 ‖ public key)>`.
    pub fn verifier_key(&self) -> String {
        let public = self.key.verifying_key().to_bytes();
        let mut typed = vec![ED25519];
        typed.extend_from_slice(&public);
        format!(
            "{}+{}+{}",
            self.name,
            hex_lower(&key_id(&self.name, ED25519, &public)),
            B64.encode(typed)
        )
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn check_name_of(name: &str) -> Result<(), BoardError> {
        check_name(name)
    }

    /// An Ed25519 signature of `message` with this key (for signed requests: the verifier
    /// checks it with [`NoteVerifier::verify_bytes`]).
    pub fn sign_bytes(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }

    /// The signature line for `text` (which must end in a newline).
    pub fn sign_line(&self, text: &str) -> String {
        let public = self.key.verifying_key().to_bytes();
        let mut sig = key_id(&self.name, ED25519, &public).to_vec();
        sig.extend_from_slice(&self.key.sign(text.as_bytes()).to_bytes());
        format!("{DASH}{} {}\n", self.name, B64.encode(sig))
    }
}

fn hex_lower(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A verifier key, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    id: [u8; 4],
    key: VerifyingKey,
}

impl NoteVerifier {
    /// Parses `<name>+<hex key id>+<base64(0x01 ‖ public key)>`; the id must match the key.
    pub fn parse(vkey: &str) -> Result<Self, BoardError> {
        let bad = |why: &str| BoardError::VerifierKey(format!("{why} in {vkey:?}"));
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected name+id+key"));
        };
        check_name(name)?;
        if id.len() != 8 {
            return Err(bad("the key id is not 8 hex digits"));
        }
        let id = u32::from_str_radix(id, 16)
            .map_err(|_| bad("the key id is not hex"))?
            .to_be_bytes();
        let typed = B64.decode(key).map_err(|_| bad("the key is not base64"))?;
        let Some((&ED25519, public)) = typed.split_first() else {
            return Err(bad("not an Ed25519 key"));
        };
        let public: [u8; 32] = public.try_into().map_err(|_| bad("not 32 key bytes"))?;
        if key_id(name, ED25519, &public) != id {
            return Err(bad("the key id does not match the key"));
        }
        let key =
            VerifyingKey::from_bytes(&public).map_err(|_| bad("not a valid Ed25519 point"))?;
        Ok(Self {
            name: name.to_owned(),
            id,
            key,
        })
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The verifier key of the same public key under another name (a log signs its
    /// checkpoints under its origin, whatever the key was first called).
    pub fn renamed(&self, name: &str) -> Result<String, BoardError> {
        NoteSigner::check_name_of(name)?;
        let public = self.key.to_bytes();
        let mut typed = vec![ED25519];
        typed.extend_from_slice(&public);
        Ok(format!(
            "{name}+{}+{}",
            hex_lower(&key_id(name, ED25519, &public)),
            B64.encode(typed)
        ))
    }

    /// Checks that `signature` is this key's Ed25519 signature of `message` (strict
    /// verification: no malleable or small-order encodings).
    pub fn verify_bytes(&self, message: &[u8], signature: &[u8]) -> Result<(), BoardError> {
        let sig = Signature::from_slice(signature)
            .map_err(|_| BoardError::NotSigned(self.name.clone()))?;
        self.key
            .verify_strict(message, &sig)
            .map_err(|_| BoardError::NotSigned(self.name.clone()))
    }
}

/// A signed note split into its text and signature lines (name, key id, signature bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNote {
    /// The signed text, ending in a newline.
    pub text: String,
    /// (key name, key id, signature) of every line, in order.
    pub signatures: Vec<(String, [u8; 4], Vec<u8>)>,
}

impl SignedNote {
    /// Parses a signed note: text, a blank line, then signature lines.
    pub fn parse(note: &str) -> Result<Self, BoardError> {
        let bad = |why: &str| BoardError::MalformedNote(why.to_owned());
        if note.chars().any(|c| (c as u32) < 0x20 && c != '\n') {
            return Err(bad("control characters other than newline"));
        }
        let split = note
            .rfind("\n\n")
            .ok_or_else(|| bad("no blank line before the signatures"))?;
        let (text, sigs) = (&note[..split + 1], &note[split + 2..]);
        if !sigs.ends_with('\n') || sigs.is_empty() {
            return Err(bad("the signatures must end in a newline"));
        }
        let mut signatures = Vec::new();
        for line in sigs[..sigs.len() - 1].split('\n') {
            let rest = line
                .strip_prefix(DASH)
                .ok_or_else(|| bad("a signature line does not start with an em dash"))?;
            let (name, sig) = rest
                .split_once(' ')
                .ok_or_else(|| bad("a signature line has no signature"))?;
            check_name(name)?;
            let raw = B64
                .decode(sig)
                .map_err(|_| bad("a signature is not base64"))?;
            if raw.len() < 5 {
                return Err(bad("a signature is too short"));
            }
            let id = [raw[0], raw[1], raw[2], raw[3]];
            signatures.push((name.to_owned(), id, raw[4..].to_vec()));
        }
        if signatures.len() > 100 {
            return Err(bad("more than 100 signatures"));
        }
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }

    /// The note as text again: the text, a blank line, each signature line.
    pub fn render(&self) -> String {
        let mut out = format!("{}\n", self.text);
        for (name, id, sig) in &self.signatures {
            let mut raw = id.to_vec();
            raw.extend_from_slice(sig);
            out.push_str(&format!("{DASH}{name} {}\n", B64.encode(raw)));
        }
        out
    }

    /// Whether `verifier` signed the text: its first line with the verifier's name and key id
    /// decides (a bad signature by a known key rejects the note).
    pub fn verify(&self, verifier: &NoteVerifier) -> Result<(), BoardError> {
        let not = || BoardError::NotSigned(verifier.name.clone());
        let (_, _, sig) = self
            .signatures
            .iter()
            .find(|(n, id, _)| *n == verifier.name && *id == verifier.id)
            .ok_or_else(not)?;
        let sig = Signature::from_slice(sig).map_err(|_| not())?;
        verifier
            .key
            .verify(self.text.as_bytes(), &sig)
            .map_err(|_| not())
    }
}

/// A C2SP checkpoint: the log's origin, its size and its root hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line (its unique name).
    pub origin: String,
    /// The tree size.
    pub size: u64,
    /// The root hash of the tree of that size.
    pub root: Hash,
}

impl Checkpoint {
    /// The checkpoint text: origin, decimal size, base64 root, each on its own line.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }

    /// Parses a checkpoint text (extension lines after the root are allowed and ignored).
    pub fn parse(text: &str) -> Result<Self, BoardError> {
        let bad = |why: &str| BoardError::MalformedNote(format!("checkpoint: {why}"));
        let mut lines = text.split('\n');
        let origin = lines
            .next()
            .filter(|o| !o.is_empty())
            .ok_or_else(|| bad("no origin"))?;
        let size = lines.next().ok_or_else(|| bad("no size"))?;
        if size.is_empty() || (size.len() > 1 && size.starts_with('0')) {
            return Err(bad("the size is not a decimal without leading zeros"));
        }
        let size: u64 = size.parse().map_err(|_| bad("the size is not a number"))?;
        let root = B64
            .decode(lines.next().ok_or_else(|| bad("no root hash"))?)
            .map_err(|_| bad("the root hash is not base64"))?;
        let root: Hash = root
            .try_into()
            .map_err(|_| bad("the root hash is not 32 bytes"))?;
        if !text.ends_with('\n') {
            return Err(bad("the text does not end in a newline"));
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
        })
    }

    /// The checkpoint as a note signed by `signer`.
    pub fn sign(&self, signer: &NoteSigner) -> String {
        let body = self.body();
        format!("{body}\n{}", signer.sign_line(&body))
    }

    /// Opens a signed checkpoint: the log's signature must verify, then the body is parsed.
    pub fn open(note: &str, log: &NoteVerifier) -> Result<Self, BoardError> {
        let n = SignedNote::parse(note)?;
        n.verify(log)?;
        Self::parse(&n.text)
    }
}
