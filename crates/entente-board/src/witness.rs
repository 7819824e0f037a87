//! Witnesses and cosignatures (C2SP `tlog-cosignature` v1, the checks of `tlog-witness`): a
//! witness keeps the latest checkpoint it cosigned for each log, accepts a new one only with a
//! valid consistency proof from it, and then cosigns. Two checkpoints of one size with different
//! roots, or a smaller one after a larger one, are evidence that the log shows different
//! histories: the witness refuses and keeps both signed notes.

use std::collections::BTreeMap;

use crate::error::BoardError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

use crate::Hash;
use crate::merkle::verify_consistency;
use crate::note::{Checkpoint, NoteVerifier, SignedNote, key_id};

/// The signature type of cosignature/v1 keys in key ids.
const COSIGNATURE_V1: u8 = 0x04;

/// The message a cosignature signs: "cosignature/v1\ntime <t>\n" and the checkpoint body.
fn cosigned_message(body: &str, time: u64) -> String {
    format!("cosignature/v1\ntime {time}\n{body}")
}

/// A note or checkpoint error, as a witness reports it: the note is not a checkpoint signed by
/// a log it follows.
fn not_from_known_log(e: BoardError) -> BoardError {
    BoardError::NotFromKnownLog(Box::new(e))
}

/// Two signed checkpoints of one log that cannot both be true.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The checkpoint the witness had cosigned.
    pub held: String,
    /// The one it was offered.
    pub offered: String,
}

/// A witness: its key, the logs it follows, the latest checkpoint of each, and any evidence.
pub struct Witness {
    name: String,
    key: SigningKey,
    logs: BTreeMap<String, NoteVerifier>,
    latest: BTreeMap<String, (Checkpoint, String)>,
    evidence: Vec<Evidence>,
}

impl Witness {
    /// A witness named `name` that follows the logs whose verifier keys are given; a log's
    /// origin is its key name.
    pub fn new(name: &str, key: SigningKey, logs: Vec<NoteVerifier>) -> Self {
        Self {
            name: name.to_owned(),
            key,
            logs: logs.into_iter().map(|v| (v.name().to_owned(), v)).collect(),
            latest: BTreeMap::new(),
            evidence: Vec::new(),
        }
    }

    /// The witness's verifier key for cosignatures: `<name>+<hex key id>+<base64(0x04 ‖ key)>`.
    pub fn verifier_key(&self) -> String {
        let public = self.key.verifying_key().to_bytes();
        let mut typed = vec![COSIGNATURE_V1];
        typed.extend_from_slice(&public);
        let id = key_id(&self.name, COSIGNATURE_V1, &public);
        format!(
            "{}+{}+{}",
            self.name,
            id.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            B64.encode(typed)
        )
    }

    /// The evidence of split views collected so far.
    pub fn evidence(&self) -> &[Evidence] {
        &self.evidence
    }

    /// Takes `note` as the latest checkpoint this witness cosigned for its log (a witness
    /// restarting from its saved state). The note must be signed by a log it follows.
    pub fn restore(&mut self, note: &str) -> Result<(), BoardError> {
        let parsed = SignedNote::parse(note).map_err(not_from_known_log)?;
        let origin = parsed.text.split('\n').next().unwrap_or("").to_owned();
        let log = self
            .logs
            .get(&origin)
            .ok_or_else(|| BoardError::UnknownLog(crate::error::shown(&origin)))?;
        let cp = Checkpoint::open(note, log).map_err(not_from_known_log)?;
        self.latest.insert(origin, (cp, note.to_owned()));
        Ok(())
    }

    /// The signed note of the latest checkpoint cosigned for `origin`.
    pub fn latest_note(&self, origin: &str) -> Option<&str> {
        self.latest.get(origin).map(|(_, n)| n.as_str())
    }

    /// The latest checkpoint cosigned for `origin`.
    pub fn latest(&self, origin: &str) -> Option<&Checkpoint> {
        self.latest.get(origin).map(|(c, _)| c)
    }

    /// tlog-witness add-checkpoint: `old_size` is the size the submitter believes the witness
    /// holds, `proof` the consistency proof from it. Returns the cosignature line. The checks
    /// and their order follow C2SP tlog-witness; a checkpoint of the size held with another
    /// root, or one that the proof shows does not extend the held one, is a split view: refused,
    /// with both notes kept as evidence. (A smaller checkpoint is refused but is no evidence: a
    /// log may show an old checkpoint again.)
    pub fn add_checkpoint(
        &mut self,
        note: &str,
        old_size: u64,
        proof: &[Hash],
        time: u64,
    ) -> Result<String, BoardError> {
        let parsed = SignedNote::parse(note).map_err(not_from_known_log)?;
        let origin = parsed.text.split('\n').next().unwrap_or("").to_owned();
        let log = self
            .logs
            .get(&origin)
            .ok_or_else(|| BoardError::UnknownLog(crate::error::shown(&origin)))?;
        let cp = Checkpoint::open(note, log).map_err(not_from_known_log)?;
        let held = self.latest.get(&origin);
        if let Some((h, held_note)) = held
            && cp.size == h.size
            && cp.root != h.root
        {
            let evidence = Evidence {
                held: held_note.clone(),
                offered: note.to_owned(),
            };
            self.evidence.push(evidence);
            return Err(BoardError::SplitView(format!(
                "two roots for size {}",
                cp.size
            )));
        }
        if old_size > cp.size {
            return Err(BoardError::OldSize {
                old: old_size,
                size: cp.size,
            });
        }
        let held_size = held.map_or(0, |(h, _)| h.size);
        if old_size != held_size {
            return Err(BoardError::Conflict {
                held: held_size,
                claimed: old_size,
            });
        }
        if let Some((h, held_note)) = held
            && cp.size > h.size
        {
            match verify_consistency(h.size, cp.size, &h.root, &cp.root, proof) {
                Ok(()) => {}
                Err(BoardError::ProofMismatch) => {
                    let evidence = Evidence {
                        held: held_note.clone(),
                        offered: note.to_owned(),
                    };
                    let why = format!(
                        "size {} does not extend the size {} cosigned before",
                        cp.size, h.size
                    );
                    self.evidence.push(evidence);
                    return Err(BoardError::SplitView(why));
                }
                Err(e) => return Err(BoardError::ConsistencyFails(Box::new(e))),
            }
        } else if held.is_none() && !proof.is_empty() {
            return Err(BoardError::ConsistencyFails(Box::new(
                BoardError::ProofLength,
            )));
        }
        let line = self.cosign(&cp, time);
        self.latest.insert(origin, (cp, note.to_owned()));
        Ok(line)
    }

    /// The cosignature line: base64(key id ‖ time as 8 bytes ‖ signature).
    fn cosign(&self, cp: &Checkpoint, time: u64) -> String {
        let public = self.key.verifying_key().to_bytes();
        let sig = self.key.sign(cosigned_message(&cp.body(), time).as_bytes());
        let mut raw = key_id(&self.name, COSIGNATURE_V1, &public).to_vec();
        raw.extend_from_slice(&time.to_be_bytes());
        raw.extend_from_slice(&sig.to_bytes());
        format!("\u{2014} {} {}\n", self.name, B64.encode(raw))
    }
}

/// A witness's cosignature key, for checking its cosignatures.
pub struct CosignatureVerifier {
    name: String,
    id: [u8; 4],
    key: VerifyingKey,
}

impl CosignatureVerifier {
    /// Parses a cosignature/v1 verifier key.
    pub fn parse(vkey: &str) -> Result<Self, BoardError> {
        let bad = || BoardError::VerifierKey(vkey.to_owned());
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        let id = u32::from_str_radix(id, 16)
            .map_err(|_| bad())?
            .to_be_bytes();
        let typed = B64.decode(key).map_err(|_| bad())?;
        let Some((&COSIGNATURE_V1, public)) = typed.split_first() else {
            return Err(bad());
        };
        let public: [u8; 32] = public.try_into().map_err(|_| bad())?;
        if key_id(name, COSIGNATURE_V1, &public) != id {
            return Err(bad());
        }
        Ok(Self {
            name: name.to_owned(),
            id,
            key: VerifyingKey::from_bytes(&public).map_err(|_| bad())?,
        })
    }

    /// The witness's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the signed checkpoint note carries a valid cosignature by this witness; returns
    /// its time.
    pub fn verify(&self, note: &str) -> Result<u64, BoardError> {
        let not = || BoardError::NotSigned(self.name.clone());
        let parsed = SignedNote::parse(note)?;
        let (_, _, raw) = parsed
            .signatures
            .iter()
            .find(|(n, id, _)| *n == self.name && *id == self.id)
            .ok_or_else(not)?;
        if raw.len() != 8 + 64 {
            return Err(not());
        }
        let time = u64::from_be_bytes(raw[..8].try_into().map_err(|_| not())?);
        let sig = Signature::from_slice(&raw[8..]).map_err(|_| not())?;
        self.key
            .verify(cosigned_message(&parsed.text, time).as_bytes(), &sig)
            .map_err(|_| not())?;
        Ok(time)
    }
}
