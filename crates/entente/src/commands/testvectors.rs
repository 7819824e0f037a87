//! `entente testvectors DIR`: egk's published test vectors, reproduced.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use entente_conformance as conformance;

/// Check every *TestVector.json in DIR: one PASS/FAIL/SKIP line per file, then a summary.
/// Exit status 0 when nothing failed, 1 when something failed, 2 when DIR cannot be read.
#[derive(clap::Args)]
pub struct Args {
    /// Directory holding ElectionGuard test-vector files.
    pub dir: PathBuf,
}

pub fn exec(args: Args) -> Result<ExitCode> {
    let files = conformance::vector_files(&args.dir)?;
    let mut results = Vec::with_capacity(files.len());
    for file in &files {
        let result = conformance::check_file(file);
        println!("{result}");
        if let Some(note) = result.layout_note() {
            eprintln!("{note}");
        }
        results.push(result);
    }
    let (passed, failed, skipped) = conformance::summary(&results);
    println!("{passed} passed, {failed} failed, {skipped} skipped");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
