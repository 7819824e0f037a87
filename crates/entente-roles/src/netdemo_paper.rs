//! The networked demo's paper ballots (`entente demo --paper N`): the printer pre-encrypts a
//! print run from the setup the board publishes, the administrator commits it on the log, the
//! voters mark their ballots, and a scanning station records and submits them while the booth
//! votes. Each is its own `entente` process, as the other roles are.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Context, Result, ensure};
use crate::files::write_atomically;
use crate::paper::{MarkedPaper, PRINT_RUN_FILE, PrintRun};
use crate::stage::{Proc, Stage};
use entente_record::manifest::Manifest;
use rand::SeedableRng;

/// The scanning station's key file, in the stage's `keys/`.
pub(crate) const SCANNER_KEY: &str = "scanner";

/// Waits for a process the next step needs.
fn wait(mut p: Proc) -> Result<()> {
    while !p.finished()? {
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// Prints `count` paper ballots of the manifest's first style, commits the run on the log,
/// marks each at random (adding the votes to `expected`), and starts the scanning station on
/// them. Returns the station's process, to be waited for with the booth's.
pub(crate) fn start(
    stage: &Stage,
    manifest: &Manifest,
    count: usize,
    threads: usize,
    expected: &mut BTreeMap<(String, String), u64>,
) -> Result<Proc> {
    let style = manifest
        .styles
        .keys()
        .next()
        .context("the manifest has no ballot style")?;
    // The printer works from what the board publishes, as any device does.
    let printer = stage.path("state/printer");
    crate::device::fetch_setup(
        &crate::net::agent(Duration::from_secs(120)),
        &stage.server,
        &printer,
        None,
    )
    .context("the printer cannot fetch the election's setup")?;
    let out = stage.path("print-run");
    wait(stage.spawn(
        "printer",
        &[
            "pre-encrypt".into(),
            "--record".into(),
            printer.to_string_lossy().into_owned(),
            "--style".into(),
            style.clone(),
            "--count".into(),
            count.to_string(),
            "--prefix".into(),
            "paper-".into(),
            "--out".into(),
            out.to_string_lossy().into_owned(),
        ],
    )?)?;
    let run_file = out.join(PRINT_RUN_FILE);
    let mut args = vec!["admin".to_owned(), "print-run".into()];
    args.extend(stage.net("admin", "admin"));
    args.push(run_file.to_string_lossy().into_owned());
    wait(stage.spawn("administrator-print-run", &args)?)?;

    // The voters mark their ballots; the station reads the marks.
    let run: PrintRun = entente_record::election::read_json(&run_file)?;
    ensure!(
        run.ballots.len() == count,
        "the printer printed {} ballots, not {count}",
        run.ballots.len()
    );
    let mut choices = rand::rngs::StdRng::from_os_rng();
    let marked: Vec<MarkedPaper> = run
        .ballots
        .iter()
        .map(|b| crate::paper::random_marks(b, &mut choices))
        .collect();
    crate::paper::count_marks(&run, &marked, expected);
    let marked_file: PathBuf = stage.path("marked-paper.json");
    write_atomically(&marked_file, &serde_json::to_vec(&marked)?)?;
    let mut args = vec!["device".to_owned()];
    args.extend(stage.net(SCANNER_KEY, "scanner"));
    args.extend([
        "--pre-encrypted".into(),
        run_file.to_string_lossy().into_owned(),
        "--threads".into(),
        threads.to_string(),
        "--close".into(),
        marked_file.to_string_lossy().into_owned(),
    ]);
    stage.spawn(crate::demo::SCANNER, &args)
}
