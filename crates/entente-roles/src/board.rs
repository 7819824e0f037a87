//! `entente keygen`, `entente board …` and `entente witness cosign`: the bulletin board run by
//! hand. Keys are Ed25519, the secret sealed with a passphrase (age, scrypt) like a guardian's,
//! the public key written beside it as a signed-note verifier key.

use std::path::{Path, PathBuf};

use crate::error::{Context, Result, bail, ensure};
use age::secrecy::SecretString;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::SigningKey;
use entente_board::BoardError;
use entente_board::note::{Checkpoint, NoteSigner, NoteVerifier, SignedNote};
use entente_board::witness::Witness;
use entente_board::witness_dir::WitnessDir;
use entente_board::{AnyStorage, Board, BoardConfig, BoardDb, Entry, Hash, tiles};
use entente_core::keys::store::{open_bytes, seal_bytes};
use rand::TryRngCore;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::protocol::{ConsistencyJson, InclusionJson};

/// What a key signs: a log's checkpoints (signed-note Ed25519) or a witness's cosignatures
/// (cosignature/v1): the two have different verifier keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A log (the board): signs checkpoints.
    Log,
    /// A witness: cosigns checkpoints.
    Witness,
}

/// The sealed content of a key file.
#[derive(Serialize, Deserialize)]
struct KeyFile {
    entente_key: u32,
    name: String,
    role: Role,
    /// The Ed25519 secret (32 bytes, hex).
    secret: String,
}

/// A key, opened.
pub struct Key {
    /// Its name (a log's origin, a witness's name).
    pub name: String,
    /// What it signs.
    pub role: Role,
    /// The secret.
    pub signing: SigningKey,
}

impl Key {
    /// The verifier key others use: signed-note for a log, cosignature/v1 for a witness.
    pub fn verifier_key(&self) -> Result<String> {
        Ok(match self.role {
            Role::Log => NoteSigner::new(&self.name, self.signing.clone())?.verifier_key(),
            Role::Witness => Witness::new(&self.name, self.signing.clone(), vec![]).verifier_key(),
        })
    }
}

/// `FILE.pub`: where the public half of a key file is.
pub fn public_path(file: &Path) -> PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push(".pub");
    PathBuf::from(s)
}

/// `entente keygen`: a new key pair; the secret sealed in `out`, the verifier key in
/// `out.pub`. Refuses to overwrite either.
pub fn keygen(
    out: &Path,
    name: &str,
    role: Role,
    passphrase: &SecretString,
    work_factor: Option<u8>,
) -> Result<String> {
    let public = public_path(out);
    for f in [out, public.as_path()] {
        ensure!(
            !f.exists(),
            "{} exists: a key file is never overwritten (move it away first)",
            f.display()
        );
    }
    let mut seed = Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng
        .try_fill_bytes(&mut seed[..])
        .context("the operating system's random generator failed")?;
    let key = Key {
        name: name.to_owned(),
        role,
        signing: SigningKey::from_bytes(&seed),
    };
    let vkey = key
        .verifier_key()
        .with_context(|| format!("{name:?} cannot name a key (no spaces or '+')"))?;
    let content = Zeroizing::new(serde_json::to_vec(&KeyFile {
        entente_key: 1,
        name: name.to_owned(),
        role,
        secret: hex::encode(&seed[..]),
    })?);
    let sealed = seal_bytes(&content, passphrase, work_factor)?;
    std::fs::write(out, sealed).with_context(|| format!("cannot write {}", out.display()))?;
    std::fs::write(&public, format!("{vkey}\n"))
        .with_context(|| format!("cannot write {}", public.display()))?;
    Ok(vkey)
}

/// Opens a key file with its passphrase.
pub fn open_key(file: &Path, passphrase: &SecretString) -> Result<Key> {
    let sealed = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let plain = open_bytes(&sealed, passphrase)
        .with_context(|| format!("cannot open {}", file.display()))?;
    if entente_core::keys::store::is_guardian_secret(&plain) {
        bail!(
            "{} is a guardian's secret (from the key ceremony), not a signing key made by \
             `entente keygen`",
            file.display()
        );
    }
    let k: KeyFile = serde_json::from_slice(&plain)
        .with_context(|| format!("{} is not an Entente signing key file", file.display()))?;
    let bytes = Zeroizing::new(hex::decode(&k.secret).context("the key's secret is not hex")?);
    let secret: [u8; 32] = bytes[..]
        .try_into()
        .context("the key's secret is not 32 bytes")?;
    Ok(Key {
        name: k.name,
        role: k.role,
        signing: SigningKey::from_bytes(&secret),
    })
}

/// Opens a key file, asking for its passphrase as the conventions say (`--passphrase-file`,
/// else `ENTENTE_PASSPHRASE`, else the terminal); `what` names the key in the prompt.
pub fn open_key_asking(file: &Path, passphrase_file: Option<&Path>, what: &str) -> Result<Key> {
    let passphrase = crate::passphrase::get(
        passphrase_file,
        &format!("the {what} key {}", file.display()),
        false,
    )?;
    open_key(file, &passphrase)
}

/// A verifier key given on the command line: the key itself, or a `.pub` file holding it.
pub fn read_vkey(arg: &str) -> Result<String> {
    let path = Path::new(arg);
    if path.exists() {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let line = text.lines().next().unwrap_or("").trim().to_owned();
        ensure!(!line.is_empty(), "{} is empty", path.display());
        return Ok(line);
    }
    Ok(arg.to_owned())
}

/// A verifier key's fingerprint, as a party pins it in the link to the pages it hands out
/// (`/#pin=F1,F2,…`): the first 16 bytes of SHA-256 of the key's line, in hex. The pages refuse
/// a server whose keys lack one; 128 bits, where a 4-byte key id could be ground to match.
pub fn fingerprint(vkey: &str) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(vkey.trim().as_bytes())[..16])
}

/// The board in `db`, which must exist (an empty file, or a database without the board's
/// tables, is not a board).
pub fn open_board(db: &BoardDb) -> Result<Board<AnyStorage>> {
    if let BoardDb::File(path) = db {
        ensure!(
            path.exists(),
            "{} does not exist: create the board with `entente board init`",
            path.display()
        );
    }
    let storage = db
        .open_existing()
        .with_context(|| format!("cannot open {db}"))?;
    Board::open(storage).with_context(|| format!("{db}"))
}

/// The board's lock for a writer by hand ([`BoardDb::lock_write`]): refused while a server
/// serves the board, waiting (and saying so) behind another writer.
fn write_lock(db: &BoardDb) -> Result<entente_board::DbLock> {
    Ok(db.lock_write(|who| eprintln!("{db} is {who}; waiting…"))?)
}

/// The setting that remembers which key file signs the board's checkpoints.
const KEY_FILE: &str = "key_file";

/// `entente board init`.
pub fn init(db: &BoardDb, origin: &str, key_file: &Path, witnesses: &[String]) -> Result<String> {
    // A database is checked and made a board under the writer's lock: two `init`s at once on
    // one empty database do not both find it empty (the second waits, then is refused).
    let _lock = match db {
        BoardDb::Postgres(_) => Some(
            db.lock_write(|who| eprintln!("waiting: the board in {db} is {who}"))
                .with_context(|| format!("cannot reach {db}"))?,
        ),
        BoardDb::File(_) => None,
    };
    match db {
        BoardDb::File(path) => ensure!(
            !path.exists(),
            "{} exists: a board is created in a new file",
            path.display()
        ),
        BoardDb::Postgres(_) => match db.open_existing() {
            Err(entente_board::BoardError::NotInitialised) => {}
            Ok(_) => ensure!(
                false,
                "{db} holds a board already: a board is created in a database without one"
            ),
            Err(e) => return Err(e).context(format!("cannot reach {db}")),
        },
    }
    let public = public_path(key_file);
    let log_key = read_vkey(&public.to_string_lossy())
        .with_context(|| format!("the log's public key {}", public.display()))?;
    let parsed = NoteVerifier::parse(&log_key).with_context(|| {
        format!(
            "{} is not a log key (make one with `entente keygen --role log`)",
            public.display()
        )
    })?;
    // A log signs its checkpoints under its origin (the key's name in every signature line
    // and key id), whatever the key file was first called.
    let log_key = parsed
        .renamed(origin)
        .with_context(|| format!("{origin:?} cannot name a log"))?;
    let witnesses = witnesses
        .iter()
        .map(|w| read_vkey(w))
        .collect::<Result<Vec<_>>>()?;
    let result = (|| -> Result<()> {
        let storage = db.open()?;
        let mut board = Board::init(
            storage,
            BoardConfig {
                origin: origin.to_owned(),
                log_key: log_key.clone(),
                witnesses,
            },
        )?;
        let absolute = std::path::absolute(key_file)?;
        board.set_operator_setting(KEY_FILE, &absolute.to_string_lossy())?;
        Ok(())
    })();
    if let Err(e) = result {
        // Nothing half made is left behind in a file (a database keeps its empty tables).
        if let BoardDb::File(path) = db {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = path.as_os_str().to_owned();
                p.push(suffix);
                let _ = std::fs::remove_file(PathBuf::from(p));
            }
        }
        return Err(e).context(format!("cannot create the board in {db}"));
    }
    Ok(log_key)
}

/// The index keys of an artifact: its file name, and for an ElectionGuard JSON ballot its id
/// and confirmation code (so a voter's code finds it).
fn keys_of(path: &Path, data: &[u8]) -> Vec<(String, String)> {
    let mut keys = Vec::new();
    if let Some(name) = path.file_name() {
        keys.push(("file".to_owned(), name.to_string_lossy().into_owned()));
    }
    if let Ok(serde_json::Value::Object(o)) = serde_json::from_slice::<serde_json::Value>(data) {
        for (field, key) in [
            ("ballot_id", "ballot_id"),
            ("confirmation_code", "confirmation_code"),
        ] {
            if let Some(v) = o.get(field).and_then(|v| v.as_str()) {
                // A code is found by its lower-case hex, as a voter's receipt shows it,
                // whether the ballot writes hex (2.0) or base64 (egk-ec's 2.1).
                let v = if key != "confirmation_code" {
                    Some(v.to_owned())
                } else if v.len() == 64 {
                    Some(v.to_ascii_lowercase())
                } else {
                    entente_record::Layout::Json21
                        .bytes(v)
                        .ok()
                        .filter(|b| b.len() == 32)
                        .map(|b| entente_group::hex::encode(&b).to_ascii_lowercase())
                };
                keys.extend(v.map(|v| (key.to_owned(), v)));
            }
        }
    }
    keys
}

/// `entente board append`: each file's bytes are one entry, byte for byte, all appended in one
/// durable transaction (all or none). Returns the first index and the count.
pub fn append(db: &BoardDb, kind: &str, files: &[PathBuf]) -> Result<(u64, u64)> {
    let _lock = write_lock(db)?;
    ensure!(!files.is_empty(), "no files to append");
    let mut board = open_board(db)?;
    let entries = files
        .iter()
        .map(|f| {
            let data = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
            let keys = keys_of(f, &data);
            Ok(Entry {
                keys,
                ..Entry::new(kind, data)
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let first = board
        .append(&entries)
        .with_context(|| format!("appending to {db}"))?;
    Ok((first, entries.len() as u64))
}

/// `entente board checkpoint`: signs the current size (once per size) and returns the note
/// with the cosignatures gathered so far.
pub fn checkpoint(
    db: &BoardDb,
    key_file: Option<&Path>,
    passphrase: impl FnOnce(&Path) -> Result<SecretString>,
) -> Result<String> {
    let _lock = write_lock(db)?;
    let mut board = open_board(db)?;
    if let Some(note) = board.checkpoint_at(board.size())? {
        return Ok(note);
    }
    let signer = log_signer(&board, key_file, passphrase)?;
    Ok(board.checkpoint(&signer)?)
}

/// The log's signer for `board`: the key file given, else the one recorded at `board init`,
/// opened with its passphrase, signing under the board's origin.
pub fn log_signer(
    board: &Board<AnyStorage>,
    key_file: Option<&Path>,
    passphrase: impl FnOnce(&Path) -> Result<SecretString>,
) -> Result<NoteSigner> {
    let file = match (key_file, board.operator_setting(KEY_FILE)?) {
        (Some(f), _) => f.to_owned(),
        (None, Some(f)) => PathBuf::from(f),
        (None, None) => bail!("no key file: give --key"),
    };
    let key = open_key(&file, &passphrase(&file)?)?;
    ensure!(
        key.role == Role::Log,
        "{} is a witness key; a checkpoint is signed with the log's key",
        file.display()
    );
    Ok(NoteSigner::new(&board.config().origin, key.signing)?)
}

/// `entente board cosign`: adds the cosignatures of the board's witnesses found in notes;
/// returns the witnesses added and those the latest checkpoint still lacks.
pub fn add_cosignatures(db: &BoardDb, notes: &[PathBuf]) -> Result<(Vec<String>, Vec<String>)> {
    let _lock = write_lock(db)?;
    let mut board = open_board(db)?;
    let mut added = Vec::new();
    for n in notes {
        let text =
            std::fs::read_to_string(n).with_context(|| format!("cannot read {}", n.display()))?;
        added.extend(
            board
                .add_cosignatures(&text)
                .with_context(|| format!("{}", n.display()))?,
        );
    }
    let missing = match board.latest_checkpoint()? {
        Some((_, note)) => board.missing_cosignatures(&note)?,
        None => Vec::new(),
    };
    Ok((added, missing))
}

/// `entente board find`: the indices of the entries found by `name` = `value` (a confirmation
/// code in any case, with or without spaces and dashes).
pub fn find(db: &BoardDb, name: &str, value: &str) -> Result<Vec<u64>> {
    let board = open_board(db)?;
    let value = if name == "confirmation_code" {
        value
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect::<String>()
            .to_ascii_lowercase()
    } else {
        value.to_owned()
    };
    Ok(board.find(name, &value)?)
}

fn b64(h: &Hash) -> String {
    B64.encode(h)
}

/// `entente board prove --index I [--size N]`.
pub fn prove_inclusion(db: &BoardDb, index: u64, size: Option<u64>) -> Result<InclusionJson> {
    let board = open_board(db)?;
    let size = size.unwrap_or(board.size());
    let hashes = board.inclusion_proof(index, size)?;
    Ok(InclusionJson {
        index,
        size,
        leaf_hash: b64(&board.leaf_hash(index)?),
        root: b64(&board.root(size)?),
        hashes: hashes.iter().map(b64).collect(),
        checkpoint: board.checkpoint_at(size)?,
    })
}

/// `entente board prove --from M --to N`.
pub fn prove_consistency(db: &BoardDb, from: u64, to: Option<u64>) -> Result<ConsistencyJson> {
    let board = open_board(db)?;
    let to = to.unwrap_or(board.size());
    let hashes = board.consistency_proof(from, to)?;
    Ok(ConsistencyJson {
        from,
        to,
        hashes: hashes.iter().map(b64).collect(),
    })
}

/// `entente board export`.
pub fn export(db: &BoardDb, dir: &Path) -> Result<tiles::Exported> {
    let board = open_board(db)?;
    let out = tiles::export(&board, dir)?;
    // Check what was written as a client would, against the log's key alone.
    let key = NoteVerifier::parse(&board.config().log_key)?;
    tiles::verify_export(dir, &key).context("the export does not verify")?;
    Ok(out)
}

/// What `entente witness cosign` did.
pub enum Cosigned {
    /// The note with this witness's cosignature line added.
    Note(String),
    /// A split view: the witness refused and kept the evidence in this file.
    SplitView {
        /// Why.
        reason: String,
        /// The evidence file.
        evidence: PathBuf,
    },
}

/// `entente witness cosign`: checks `note` (signed by a log the witness follows) against the
/// checkpoint the witness holds, with `proof` from it, and cosigns.
pub fn witness_cosign(
    state: &Path,
    key: Key,
    follow: &[String],
    note: &str,
    proof: Option<&Path>,
) -> Result<Cosigned> {
    let proof = match proof {
        None => None,
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            let proof: ConsistencyJson = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a consistency proof", p.display()))?;
            Some((proof, p.display().to_string()))
        }
    };
    witness_cosign_with(state, key, follow, note, proof)
}

/// The size of the checkpoint of `origin` that the witness in `state` cosigned last (0 for
/// none yet): where a consistency proof for its next cosignature starts.
pub fn witness_held(state: &Path, key: &Key, follow: &[String], origin: &str) -> Result<u64> {
    let follow = follow
        .iter()
        .map(|f| read_vkey(f))
        .collect::<Result<Vec<_>>>()?;
    let dir = WitnessDir::open(state, &key.name, key.signing.clone(), &follow)?;
    Ok(dir.witness().latest(origin).map_or(0, |c| c.size))
}

/// [`witness_cosign`] with the consistency proof given as parsed (and where it came from, for
/// messages): what a witness that follows a log fetches from the log itself.
pub fn witness_cosign_with(
    state: &Path,
    key: Key,
    follow: &[String],
    note: &str,
    proof: Option<(ConsistencyJson, String)>,
) -> Result<Cosigned> {
    ensure!(
        key.role == Role::Witness,
        "this is a log key; a witness cosigns with a witness key (`entente keygen --role witness`)"
    );
    let follow = follow
        .iter()
        .map(|f| read_vkey(f))
        .collect::<Result<Vec<_>>>()?;
    let mut dir = WitnessDir::open(state, &key.name, key.signing, &follow)?;
    let origin = note.split('\n').next().unwrap_or("");
    let held = dir.witness().latest(origin).map_or(0, |c| c.size);
    let (old_size, hashes) = match &proof {
        None => (held, Vec::new()),
        Some((proof, from)) => {
            let hashes = proof
                .hashes
                .iter()
                .map(|h| {
                    B64.decode(h)
                        .ok()
                        .and_then(|b| Hash::try_from(b).ok())
                        .with_context(|| format!("{from}: {h:?} is not a hash"))
                })
                .collect::<Result<Vec<_>>>()?;
            (proof.from, hashes)
        }
    };
    if proof.is_none() {
        // The same size again needs no proof; a larger one does.
        let size = SignedNote::parse(note)
            .ok()
            .and_then(|n| Checkpoint::parse(&n.text).ok())
            .map_or(0, |c| c.size);
        ensure!(
            held == 0 || size <= held,
            "the witness holds size {held}: give --proof with the output of \
             `entente board prove --from {held} --to {size}`"
        );
    }
    let time = entente_board::board::now();
    match dir.add_checkpoint(note, old_size, &hashes, time) {
        Ok(line) => Ok(Cosigned::Note(format!("{note}{line}"))),
        Err(BoardError::SplitView(reason)) => {
            let evidence = dir
                .evidence_files()?
                .pop()
                .unwrap_or_else(|| state.join("evidence"));
            Ok(Cosigned::SplitView { reason, evidence })
        }
        Err(BoardError::UnknownLog(o)) => {
            bail!(
                "this witness follows no log {o:?}: give the log's verifier key with --log \
                 (it is remembered in {})",
                state.display()
            )
        }
        Err(e) => Err(e.into()),
    }
}
