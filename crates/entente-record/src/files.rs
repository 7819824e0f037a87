//! Reading a record's files: only regular files, of bounded size, never waiting on a FIFO.

use std::path::Path;

use crate::RecordError;

/// The largest file of a record that is read: a ballot of a long general election is a few
/// megabytes, a tally or a decryption of one some tens; anything larger is refused unread.
pub const MAX_RECORD_FILE: u64 = 256 << 20;

/// A record file's bytes: only a regular file (a FIFO, a device or a directory where a file
/// belongs is refused, naming it, without waiting on it), at most [`MAX_RECORD_FILE`] bytes.
pub fn read_file(path: &Path) -> Result<Vec<u8>, RecordError> {
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
    if meta.len() > MAX_RECORD_FILE {
        return Err(fail(format!(
            "is {} bytes; a record's file may be at most {MAX_RECORD_FILE}",
            meta.len()
        )));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_RECORD_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_RECORD_FILE {
        return Err(fail(format!(
            "grew past {MAX_RECORD_FILE} bytes while it was read"
        )));
    }
    Ok(bytes)
}
