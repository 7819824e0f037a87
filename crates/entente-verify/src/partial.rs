//! A shard's partial result, as `verify --shard` writes it and `verify --merge` reads it: JSON
//! Lines, a header (which record, which shard, the counts, the product of the shard's cast
//! ballots, shard 0's tally checks) and then one line per ballot in the record's order (its id,
//! code, B_aux, state and failures, and a challenged ballot's checks of its decryption).

use std::fmt;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use entente_record::HashValue;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ballots::{Device, OwnChecks, Read, Seen, Summary};
use crate::{Check, Failure, ReadError, Status};

/// The format a partial's header names.
pub(crate) const FORMAT: &str = "entente-verify-partial/1";

/// A verification as the partial carries it.
#[derive(Serialize, Deserialize)]
pub(crate) struct CheckJson {
    pub(crate) number: u8,
    pub(crate) checked: u64,
    pub(crate) status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) failures: Vec<Failure>,
    #[serde(default)]
    pub(crate) more_failures: u64,
}

impl CheckJson {
    pub(crate) fn of(c: &Check) -> Self {
        Self {
            number: c.number,
            checked: c.checked,
            status: c.status,
            note: c.note.clone(),
            failures: c.failures.clone(),
            more_failures: c.more_failures,
        }
    }

    pub(crate) fn into_check(self, expected: u8) -> Result<Check, String> {
        if self.number != expected {
            return Err(format!(
                "verification {} where {expected} belongs",
                self.number
            ));
        }
        let mut c = Check::new(expected);
        c.checked = self.checked;
        c.status = self.status;
        c.note = self.note;
        c.failures = self.failures;
        c.more_failures = self.more_failures;
        if !c.failures.is_empty() || c.more_failures > 0 {
            c.status = Status::Fail;
        }
        Ok(c)
    }
}

/// One selection's product over the shard's cast ballots.
#[derive(Serialize, Deserialize)]
pub(crate) struct ProductJson {
    pub(crate) contest: String,
    pub(crate) selection: String,
    pub(crate) pad: String,
    pub(crate) data: String,
}

/// A partial's first line.
#[derive(Serialize, Deserialize)]
pub(crate) struct Header {
    pub(crate) format: String,
    /// The record's digest ([`fingerprint`]).
    pub(crate) record: String,
    pub(crate) shard: u64,
    pub(crate) shards: u64,
    pub(crate) first: u64,
    pub(crate) end: u64,
    /// The record's ballots.
    pub(crate) ballots: u64,
    /// Objects checked by 5, 6, 7, 15, 16, 17 and 18.
    pub(crate) counts: [u64; 7],
    /// The product of the shard's cast ballots that the tally lists.
    pub(crate) product: Vec<ProductJson>,
    /// Verifications 9 to 11 (shard 0 of a record with a tally).
    #[serde(default)]
    pub(crate) tally: Vec<CheckJson>,
    pub(crate) seconds: f64,
}

/// A challenged ballot's Verifications 12 to 14, checked against the decryption named.
#[derive(Serialize, Deserialize)]
pub(crate) struct ChallengedJson {
    /// The file name in `challenged_ballots/`.
    pub(crate) decryption: String,
    pub(crate) checks: Vec<CheckJson>,
}

/// One ballot's line.
#[derive(Serialize, Deserialize)]
pub(crate) struct Line {
    pub(crate) at: u64,
    pub(crate) device: usize,
    pub(crate) id: String,
    /// The JSON path of an element outside the group (5.A): the ballot was not checked further.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) not_in_group: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) code: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) baux: String,
    #[serde(default)]
    pub(crate) pre: bool,
    #[serde(default)]
    pub(crate) cast: bool,
    /// (verification, object, equation) in the order found.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) failures: Vec<(u8, String, String)>,
    /// (verification, failures beyond those kept).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) more: Vec<(u8, u64)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) challenged: Option<ChallengedJson>,
}

/// The verifications a ballot carries, with their numbers.
fn own_parts(own: &OwnChecks) -> [(u8, &Check); 7] {
    [
        (5, &own.v5),
        (6, &own.v6),
        (7, &own.v7),
        (15, &own.v15),
        (16, &own.v16),
        (17, &own.v17),
        (18, &own.v18),
    ]
}

impl Line {
    pub(crate) fn of(
        s: &Summary,
        challenged: Option<ChallengedJson>,
        counts: &mut [u64; 7],
    ) -> Self {
        let mut line = Line {
            at: s.at,
            device: s.device,
            id: s.id.clone(),
            not_in_group: None,
            code: String::new(),
            baux: String::new(),
            pre: false,
            cast: false,
            failures: Vec::new(),
            more: Vec::new(),
            challenged,
        };
        match &s.read {
            Read::NotInGroup { path } => line.not_in_group = Some(path.clone()),
            Read::Checked(seen) => {
                line.code = seen.code.to_hex();
                line.baux = hex::encode(&seen.baux);
                line.pre = seen.pre;
                line.cast = seen.cast;
                for (k, (n, c)) in own_parts(&seen.own).into_iter().enumerate() {
                    counts[k] += c.checked;
                    for f in &c.failures {
                        line.failures
                            .push((n, f.object.clone(), f.equation.clone()));
                    }
                    if c.more_failures > 0 {
                        line.more.push((n, c.more_failures));
                    }
                }
            }
        }
        line
    }

    pub(crate) fn into_summary(self) -> Result<(Summary, Option<ChallengedJson>), String> {
        let read = match self.not_in_group {
            Some(path) => Read::NotInGroup { path },
            None => {
                let mut own = OwnChecks::new();
                for (n, object, equation) in self.failures {
                    check_of(&mut own, n)?.fail(object, equation);
                }
                for (n, more) in self.more {
                    let c = check_of(&mut own, n)?;
                    c.more_failures += more;
                    c.status = Status::Fail;
                }
                Read::Checked(Box::new(Seen {
                    own,
                    code: HashValue::from_hex(&self.code).map_err(|e| format!("code: {e}"))?,
                    baux: hex::decode(&self.baux).map_err(|e| format!("baux: {e}"))?,
                    pre: self.pre,
                    cast: self.cast,
                }))
            }
        };
        let summary = Summary {
            at: self.at,
            device: self.device,
            id: self.id,
            read,
        };
        Ok((summary, self.challenged))
    }
}

fn check_of(own: &mut OwnChecks, n: u8) -> Result<&mut Check, String> {
    match n {
        5 | 6 | 7 | 15 | 16 | 17 | 18 => Ok(own.of(n)),
        _ => Err(format!("verification {n} is not one a ballot carries")),
    }
}

/// What binds a partial to its record: the setup files, both tallies and the list of ballot
/// files (by device and name, so that the record may sit at another path on each machine).
pub(crate) fn fingerprint(dir: &Path, devices: &[Device]) -> Result<String, ReadError> {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    field(FORMAT.as_bytes());
    for name in [
        "constants.json",
        "manifest.json",
        "election_config.json",
        "election_initialized.json",
        "encrypted_tally.json",
        "tally.json",
    ] {
        let path = dir.join(name);
        match std::fs::read(&path) {
            Ok(bytes) => field(&Sha256::digest(&bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => field(b"absent"),
            Err(e) => return Err(ReadError::file(&path, e)),
        }
    }
    for d in devices {
        field(d.name.as_bytes());
        field(&(d.files.len() as u64).to_be_bytes());
        for f in &d.files {
            field(f.file_name().unwrap_or_default().as_encoded_bytes());
        }
    }
    Ok(hex::encode(h.finalize()))
}

/// Writes the partial next to `out` and moves it into place, so that a partial that exists is
/// whole.
pub(crate) fn write_partial(out: &Path, header: &Header, lines: &[Line]) -> Result<(), ReadError> {
    let err = |e: &dyn fmt::Display| ReadError::Partial {
        file: out.to_owned(),
        reason: format!("cannot write it: {e}"),
    };
    let name = out.file_name().unwrap_or_default().to_string_lossy();
    let tmp = out.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let write = || -> Result<(), Box<dyn std::error::Error>> {
        if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let mut w = BufWriter::new(std::fs::File::create(&tmp)?);
        serde_json::to_writer(&mut w, header)?;
        w.write_all(b"\n")?;
        for l in lines {
            serde_json::to_writer(&mut w, l)?;
            w.write_all(b"\n")?;
        }
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, out)?;
        Ok(())
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        err(&e)
    })
}

/// A partial opened for the merge: its header, and its lines still to read.
pub(crate) struct Partial {
    pub(crate) path: PathBuf,
    pub(crate) header: Header,
    pub(crate) lines: std::io::Lines<BufReader<std::fs::File>>,
}

pub(crate) fn open_partial(path: &Path) -> Result<Partial, ReadError> {
    let err = |reason: String| ReadError::Partial {
        file: path.to_owned(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| err(e.to_string()))?;
    let mut lines = BufReader::new(file).lines();
    let first = lines
        .next()
        .ok_or_else(|| err("empty: not a partial result of `verify --shard`".into()))?
        .map_err(|e| err(e.to_string()))?;
    let header: Header = serde_json::from_str(&first)
        .map_err(|e| err(format!("not a partial result of `verify --shard`: {e}")))?;
    if header.format != FORMAT {
        return Err(err(format!(
            "format {:?}, this verifier reads {FORMAT:?}",
            header.format
        )));
    }
    Ok(Partial {
        path: path.to_owned(),
        header,
        lines,
    })
}
