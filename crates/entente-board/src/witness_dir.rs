//! A witness's state on disk, so that a witness run by hand (or restarted) remembers what it
//! cosigned: `logs` (the verifier keys of the logs it follows, one per line), `checkpoints/`
//! (the latest cosigned note of each log) and `evidence/` (every split view it has seen). The
//! new state is on disk before the cosignature is handed out, so a crash can never make the
//! witness cosign two histories.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::BoardError;
use ed25519_dalek::SigningKey;
use sha2::{Digest, Sha256};

use crate::Hash;
use crate::note::{NoteVerifier, SignedNote};
use crate::witness::Witness;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BoardError + '_ {
    move |source| BoardError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Writes `bytes` to `path` durably: a temporary file, fsync, rename, fsync of the directory.
fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), BoardError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io(dir))?;
    let tmp = path.with_extension("tmp");
    let mut f = fs::File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(bytes).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    fs::rename(&tmp, path).map_err(io(path))?;
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir))
}

/// A witness with its state directory.
pub struct WitnessDir {
    dir: PathBuf,
    witness: Witness,
}

impl WitnessDir {
    /// Loads the witness named `name` with `key` from `dir`. `follow` adds log verifier keys to
    /// the logs it follows (kept in `dir/logs` for next time).
    pub fn open(
        dir: &Path,
        name: &str,
        key: SigningKey,
        follow: &[String],
    ) -> Result<Self, BoardError> {
        fs::create_dir_all(dir).map_err(io(dir))?;
        let logs_path = dir.join("logs");
        let mut vkeys: Vec<String> = match fs::read_to_string(&logs_path) {
            Ok(t) => t
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io(&logs_path)(e)),
        };
        let before = vkeys.len();
        for v in follow {
            if !vkeys.contains(v) {
                vkeys.push(v.clone());
            }
        }
        let damaged = |path: &Path, e: BoardError| BoardError::StateDamaged {
            path: path.to_owned(),
            reason: e.to_string(),
        };
        let logs = vkeys
            .iter()
            .map(|v| NoteVerifier::parse(v).map_err(|e| damaged(&logs_path, e)))
            .collect::<Result<Vec<_>, _>>()?;
        if vkeys.len() != before {
            write_durably(&logs_path, (vkeys.join("\n") + "\n").as_bytes())?;
        }
        let mut witness = Witness::new(name, key, logs);
        let cps = dir.join("checkpoints");
        if cps.exists() {
            for e in fs::read_dir(&cps).map_err(io(&cps))? {
                let path = e.map_err(io(&cps))?.path();
                if path.extension().is_some_and(|x| x == "tmp") {
                    continue;
                }
                let note = fs::read_to_string(&path).map_err(io(&path))?;
                witness
                    .restore(&note)
                    .map_err(|e| BoardError::StateDamaged {
                        path: path.clone(),
                        reason: e.to_string(),
                    })?;
            }
        }
        Ok(Self {
            dir: dir.to_owned(),
            witness,
        })
    }

    /// The witness.
    pub fn witness(&self) -> &Witness {
        &self.witness
    }

    fn checkpoint_path(&self, origin: &str) -> PathBuf {
        let d = Sha256::digest(origin.as_bytes());
        let name: String = d[..8].iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join("checkpoints").join(name)
    }

    /// tlog-witness add-checkpoint with the state kept on disk: the new checkpoint is saved
    /// before the cosignature line is returned; a split view is saved under `evidence/`.
    pub fn add_checkpoint(
        &mut self,
        note: &str,
        old_size: u64,
        proof: &[Hash],
        time: u64,
    ) -> Result<String, BoardError> {
        let evidence_before = self.witness.evidence().len();
        match self.witness.add_checkpoint(note, old_size, proof, time) {
            Ok(line) => {
                let origin = SignedNote::parse(note)
                    .map_err(|e| BoardError::NotFromKnownLog(Box::new(e)))?
                    .text
                    .split('\n')
                    .next()
                    .unwrap_or("")
                    .to_owned();
                write_durably(&self.checkpoint_path(&origin), note.as_bytes())?;
                Ok(line)
            }
            Err(e) => {
                let kept = self.evidence_files()?.len();
                for (i, ev) in self.witness.evidence()[evidence_before..]
                    .iter()
                    .enumerate()
                {
                    let path = self
                        .dir
                        .join("evidence")
                        .join(format!("{:06}-at-{time}.txt", kept + i + 1));
                    let text = format!(
                        "The witness had cosigned:\n\n{}\nand was then offered:\n\n{}",
                        ev.held, ev.offered
                    );
                    write_durably(&path, text.as_bytes())?;
                }
                Err(e)
            }
        }
    }

    /// The evidence files kept so far.
    pub fn evidence_files(&self) -> Result<Vec<PathBuf>, BoardError> {
        let dir = self.dir.join("evidence");
        if !dir.exists() {
            return Ok(Vec::new());
        }
        let mut files = fs::read_dir(&dir)
            .map_err(io(&dir))?
            .map(|e| e.map(|e| e.path()).map_err(io(&dir)))
            .collect::<Result<Vec<_>, _>>()?;
        files.sort();
        Ok(files)
    }
}
