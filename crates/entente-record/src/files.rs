//! Reading a record's files: only regular files, of bounded size, never waiting on a FIFO.

use std::path::Path;

use crate::RecordError;

/// The largest file of a record that is read: a ballot of a long general election is a few
/// megabytes, a tally or a decryption of one some tens; anything larger is refused unread.
pub const MAX_RECORD_FILE: u64 = 256 << 20;

/// The size limit of a record's file by its kind, known from its name, and the kind's name
/// for messages. Each is far above what a real election writes (egk's largest ballot is
/// 346 KB; a demo ballot 45 KB; a P-256 one a few KB) and far below what would hurt a reader:
/// the parsed form takes a few times the bytes.
pub fn limit_of(path: &Path) -> (u64, &'static str) {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    const MIB: u64 = 1 << 20;
    if name.starts_with("eballot-") {
        (16 * MIB, "an encrypted ballot")
    } else if name.starts_with("dballot-") {
        (64 * MIB, "a challenged ballot's decryption")
    } else {
        match name {
            "manifest.json" => (16 * MIB, "a manifest"),
            "election_config.json" | "constants.json" | "election_initialized.json" => {
                (16 * MIB, "a setup file")
            }
            "ballot_chain.json" => (64 * MIB, "a device's ballot chain"),
            _ => (MAX_RECORD_FILE, "a record's file"),
        }
    }
}

/// A record file's bytes: only a regular file (a FIFO, a device or a directory where a file
/// belongs is refused, naming it, without waiting on it), at most its kind's limit
/// ([`limit_of`]; [`MAX_RECORD_FILE`] for any other file).
pub fn read_file(path: &Path) -> Result<Vec<u8>, RecordError> {
    let (limit, kind) = limit_of(path);
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let fail = |why: String| RecordError::Json(format!("{}: {why}", path.display()));
    // Non-blocking, so that opening a FIFO does not wait for a writer; the kind is then read
    // from the open file, so that it cannot change between the check and the read.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| fail(format!("cannot read: {e}")))?;
    let meta = file
        .metadata()
        .map_err(|e| fail(format!("cannot read: {e}")))?;
    if !meta.is_file() {
        return Err(fail(
            "is not a regular file (a FIFO, a device or a directory): a record holds files".into(),
        ));
    }
    if meta.len() > limit {
        return Err(fail(format!(
            "is {} bytes; {kind} may be at most {limit} bytes",
            meta.len()
        )));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("cannot read: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(fail(format!(
            "grew past {limit} bytes while it was read ({kind} may be at most that)"
        )));
    }
    Ok(bytes)
}

/// Parses JSON bytes; errors name the file and the JSON path.
pub fn parse_json<T: serde::de::DeserializeOwned>(
    name: &str,
    bytes: &[u8],
) -> Result<T, RecordError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| json_error(name, e))
}

/// A JSON value (of the file `name`) as `T`; errors as [`parse_json`]'s.
pub(crate) fn from_value<T: serde::de::DeserializeOwned>(
    name: &str,
    value: serde_json::Value,
) -> Result<T, RecordError> {
    serde_path_to_error::deserialize(value).map_err(|e| json_error(name, e))
}

fn json_error(name: &str, e: serde_path_to_error::Error<serde_json::Error>) -> RecordError {
    RecordError::Json(format!("{name}: at {}: {}", e.path(), e.inner()))
}
