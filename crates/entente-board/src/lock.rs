//! One writer per board: the server holds its database exclusively while it serves it, and a
//! writer by hand (`entente board append`, `checkpoint`, `cosign`) takes the same lock, so that
//! no two processes sequence one log (each would number entries from the size it read, and the
//! second's commit would fail, or worse, log what no role signed while a server serves).
//!
//! The lock is an advisory exclusive lock (`flock`, through `std::fs::File::lock`) on
//! `<db>.lock` beside the database, which names its holder. The kernel releases it when the
//! holder's process ends, however it ends: a crashed server leaves no stale lock behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::BoardError;

/// An exclusive hold on a board's database, released when dropped.
#[derive(Debug)]
pub struct BoardLock {
    _file: File,
}

/// Who holds a board: what its lock file says.
fn holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.rewind().and_then(|()| file.read_to_string(&mut text));
    text.trim().to_owned()
}

fn lock_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}

fn open(db: &Path) -> Result<File, BoardError> {
    let path = lock_path(db);
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| BoardError::Busy(format!("cannot open {}: {e}", path.display())))
}

fn held(mut file: File, role: &str) -> Result<BoardLock, BoardError> {
    let me = format!("{role} {}", std::process::id());
    file.set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| file.write_all(me.as_bytes()))
        .map_err(|e| BoardError::Busy(format!("cannot write the board's lock file: {e}")))?;
    Ok(BoardLock { _file: file })
}

impl BoardLock {
    /// The server's hold, for as long as it serves: refused if any process holds the board.
    pub fn serve(db: &Path) -> Result<Self, BoardError> {
        let mut file = open(db)?;
        match file.try_lock() {
            Ok(()) => held(file, "served by process"),
            Err(TryLockError::WouldBlock) => Err(BoardError::Busy(format!(
                "{} is {}: one process writes a board at a time",
                db.display(),
                describe(&holder(&mut file))
            ))),
            Err(TryLockError::Error(e)) => Err(BoardError::Busy(format!(
                "cannot lock {}: {e}",
                lock_path(db).display()
            ))),
        }
    }

    /// A writer's hold by hand: refused while a server serves the board; behind another
    /// writer it waits (calling `waiting` once, to say so) until that one is done.
    pub fn write(db: &Path, waiting: impl FnOnce(&str)) -> Result<Self, BoardError> {
        let mut file = open(db)?;
        match file.try_lock() {
            Ok(()) => return held(file, "written by process"),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => {
                return Err(BoardError::Busy(format!(
                    "cannot lock {}: {e}",
                    lock_path(db).display()
                )));
            }
        }
        let who = holder(&mut file);
        if who.starts_with("served") {
            return Err(BoardError::Busy(format!(
                "{} is {}: write to it through the server, or stop the server first",
                db.display(),
                describe(&who)
            )));
        }
        waiting(&describe(&who));
        file.lock().map_err(|e| {
            BoardError::Busy(format!("cannot lock {}: {e}", lock_path(db).display()))
        })?;
        held(file, "written by process")
    }
}

fn describe(who: &str) -> String {
    if who.is_empty() {
        "held by another process".to_owned()
    } else {
        who.to_owned()
    }
}
