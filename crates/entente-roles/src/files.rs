//! Files written whole or not at all, and the record's files written from the log.

use std::path::Path;

use crate::error::{Context, Result, refused};
use crate::protocol::LogView;

/// Writes a file so that it is either wholly there or not at all: a temporary file in the same
/// directory, synced, then renamed over the target.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    write_renamed(path, bytes, true)
}

/// Writes a file the program derives again from what it checks, without waiting for the disk:
/// a body of the log's mirror (kept under its SHA-256 and hashed again whenever it is read) or
/// a record file written from the verified log (compared with the log at every write). After a
/// crash such a file may be short or empty; the next reading finds it is not what it should be
/// and writes it again. A sync per file cost about a millisecond each on a virtual disk, and a
/// role writes one per ballot, twice: the tally and decryption phase of a 1,000-ballot demo
/// spent most of its time in them.
pub fn write_derived(path: &Path, bytes: &[u8]) -> Result<()> {
    write_renamed(path, bytes, false)
}

/// A temporary file in the same directory, synced if `sync`, then renamed over the target.
fn write_renamed(path: &Path, bytes: &[u8], sync: bool) -> Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .ok_or_else(|| refused!("{} has no directory", path.display()))?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    let mut f =
        std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    f.write_all(bytes)?;
    if sync {
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Waits until every file and folder under `dir` is on disk: for a result handed to someone
/// (an exported record) whose files were written without waiting, one by one.
pub fn sync_tree(dir: &Path) -> Result<()> {
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder)
            .with_context(|| format!("cannot read {}", folder.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot read {}", folder.display()))?;
            // Links are not followed: what they name is not this tree's to sync.
            let kind = entry
                .file_type()
                .with_context(|| format!("cannot read {}", entry.path().display()))?;
            if kind.is_dir() {
                folders.push(entry.path());
            } else if kind.is_file() {
                sync_path(&entry.path())?;
            }
        }
        sync_path(&folder)?;
    }
    Ok(())
}

fn sync_path(path: &Path) -> Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot write {} to disk", path.display()))
}

/// Writes the record files the log holds under `dir` (only those that differ from what is
/// there), and returns how many the log holds.
pub fn materialize(view: &LogView, dir: &Path) -> Result<usize> {
    let files = view.record_files().context("the log's record")?;
    for (rel, bytes) in &files {
        let path = dir.join(rel);
        if std::fs::read(&path).is_ok_and(|held| held == *bytes) {
            continue;
        }
        write_derived(&path, bytes)?;
    }
    // A commitment moved under decryption/unused/ when the set was fixed must not stay where
    // the decryption reads commitments.
    let round = dir.join("decryption");
    if let Ok(read) = std::fs::read_dir(&round) {
        for f in read.flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            let rel = format!("decryption/{name}");
            if f.path().is_file() && !files.contains_key(&rel) {
                std::fs::remove_file(f.path())
                    .with_context(|| format!("cannot remove {}", f.path().display()))?;
            }
        }
    }
    Ok(files.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_files_replace_whole_and_a_tree_syncs_without_following_links() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("a/b/c.json");
        write_derived(&file, b"first").unwrap();
        write_derived(&file, b"second").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"second");
        // Only the file itself: no temporary file is left beside it.
        assert_eq!(
            std::fs::read_dir(file.parent().unwrap()).unwrap().count(),
            1
        );
        // A link back up the tree would loop forever if followed.
        std::os::unix::fs::symlink(tmp.path(), tmp.path().join("a/b/loop")).unwrap();
        sync_tree(tmp.path()).unwrap();
        let missing = tmp.path().join("gone");
        let err = format!("{:#}", sync_tree(&missing).unwrap_err());
        assert!(err.contains("cannot read") && err.contains("gone"), "{err}");
    }
}
