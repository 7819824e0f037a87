//! Bounded reading (issue 22, item 2, in part): a record's file that is a FIFO, a device or too
//! large is refused at once, naming it, never waited on or read whole; `--threads` beyond the
//! machine's cores is refused.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn record_copy(tmp: &Path) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/egk/records/allAvailableJson");
    let dir = tmp.join("record");
    common::copy_dir(&from, &dir);
    dir
}

/// `entente verify DIR` within 60 s: (status, stderr).
fn verify(dir: &Path) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_entente"))
        .arg("verify")
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("entente verify still running after 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_fifo_a_device_or_a_huge_file_where_a_ballot_belongs_is_refused_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = record_copy(tmp.path());
    let ballot = common::a_ballot(&dir);
    let name = ballot.file_name().unwrap().to_string_lossy().into_owned();

    // A FIFO: refused, not waited on.
    std::fs::remove_file(&ballot).unwrap();
    let made = Command::new("mkfifo").arg(&ballot).status().unwrap();
    assert!(made.success());
    let (status, err) = verify(&dir);
    assert_eq!(status, 2, "{err}");
    assert!(
        err.contains(&name) && err.contains("not a regular file"),
        "{err}"
    );

    // A link to /dev/zero: refused, not read until memory runs out.
    std::fs::remove_file(&ballot).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &ballot).unwrap();
    let (status, err) = verify(&dir);
    assert_eq!(status, 2, "{err}");
    assert!(
        err.contains(&name) && err.contains("not a regular file"),
        "{err}"
    );

    // A sparse 1 GB file: refused by its size, unread.
    std::fs::remove_file(&ballot).unwrap();
    let f = std::fs::File::create(&ballot).unwrap();
    f.set_len(1 << 30).unwrap();
    let (status, err) = verify(&dir);
    assert_eq!(status, 2, "{err}");
    assert!(
        err.contains(&name) && err.contains("may be at most"),
        "{err}"
    );
    // The message is one line's worth, not the file.
    assert!(err.len() < 2_000, "{} bytes of error", err.len());

    // Each kind of file has its own limit, named: a 20 MB ballot is far beyond any real one.
    f.set_len(20 << 20).unwrap();
    let (status, err) = verify(&dir);
    assert_eq!(status, 2, "{err}");
    assert!(
        err.contains(&name) && err.contains("an encrypted ballot may be at most 16777216 bytes"),
        "{err}"
    );
    std::fs::remove_file(&ballot).unwrap();
    let manifest = dir.join("manifest.json");
    std::fs::File::create(&manifest)
        .unwrap()
        .set_len(17 << 20)
        .unwrap();
    let (status, err) = verify(&dir);
    assert_eq!(status, 2, "{err}");
    assert!(err.contains("a manifest may be at most"), "{err}");
}

#[test]
fn more_threads_than_cores_is_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_entente"))
        .args(["verify", "--threads", "100000", "."])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("100000 threads on a machine with"), "{err}");
}
