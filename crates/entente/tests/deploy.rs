//! `deploy/`: the Slurm script and the Kubernetes jobs run exactly `entente verify --shard` and
//! `--merge`, and what they run verifies a record as one `entente verify` does. No cluster runs
//! here: Slurm's `sbatch` is stood in for by a script that runs each array task and the merge
//! as Slurm would (the task's index in SLURM_ARRAY_TASK_ID, the merge after every task), and the
//! Kubernetes jobs' commands are run by `sh` with JOB_COMPLETION_INDEX set as the Indexed Job
//! sets it, on the paths their volumes mount.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{s, status_and_text};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn record() -> PathBuf {
    repo().join("../shared/conformance/egk/records/chainedJson")
}

/// A folder on PATH with `entente` and a stand-in for `sbatch`.
fn bin(dir: &Path) -> String {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_entente"), bin.join("entente")).unwrap();
    // sbatch --parsable [--array=0-K%P] [--dependency=…] [--output=F] --wrap=CMD: runs CMD
    // (each array task with its SLURM_ARRAY_TASK_ID, its %a in F replaced), prints a job id,
    // and fails as sbatch's job would when a task fails.
    let sbatch = r#"#!/bin/sh
array= output=/dev/null wrap=
for a in "$@"; do
    case "$a" in
        --array=*) array=${a#--array=} ;;
        --output=*) output=${a#--output=} ;;
        --wrap=*) wrap=${a#--wrap=} ;;
    esac
done
if [ -n "$array" ]; then
    range=${array%%\%*}
    i=${range%-*}
    while [ "$i" -le "${range#*-}" ]; do
        out=$(echo "$output" | sed "s/%a/$i/g")
        SLURM_ARRAY_TASK_ID=$i sh -c "$wrap" > "$out" 2>&1 || { echo "task $i failed" >&2; exit 1; }
        i=$((i + 1))
    done
else
    sh -c "$wrap" > "$output" 2>&1 || true
fi
echo "$$"
"#;
    let path = bin.join("sbatch");
    std::fs::write(&path, sbatch).unwrap();
    Command::new("chmod").arg("+x").arg(&path).status().unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// The single run's report without its timing line.
fn single_report(record: &Path) -> String {
    let (code, text) = status_and_text(&["verify", s(record)]);
    assert_eq!(code, 0, "{text}");
    timeless(&text)
}

fn timeless(text: &str) -> String {
    text.lines()
        .filter(|l| !l.contains(" s on ") && !l.starts_with("Verifying "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_slurm_script_runs_the_shards_then_the_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let partials = tmp.path().join("partials");
    let out = Command::new("sh")
        .arg(repo().join("deploy/slurm/verify.sh"))
        .args([s(&record()), s(&partials), "5", "2"])
        .env("PATH", bin(tmp.path()))
        .output()
        .unwrap();
    common::ok(&out);
    for i in 0..5 {
        assert!(partials.join(format!("shard-{i}-of-5.jsonl")).is_file());
    }
    let report = std::fs::read_to_string(partials.join("report.txt")).unwrap();
    assert_eq!(timeless(&report), single_report(&record()), "{report}");
    assert!(partials.join("report.json").is_file());
    assert!(partials.join("report.html").is_file());
    // Without its arguments it says how to call it.
    let out = Command::new("sh")
        .arg(repo().join("deploy/slurm/verify.sh"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage"));
}

/// A job file's container command: the folded `args` block after `- >-`, joined as YAML
/// folds it; and the value after `key:` on its first line that has it.
fn job_command(yaml: &str) -> String {
    let mut lines = yaml.lines().skip_while(|l| l.trim() != "- >-").skip(1);
    let indent = |l: &str| l.len() - l.trim_start().len();
    let first = lines.next().unwrap();
    let depth = indent(first);
    std::iter::once(first)
        .chain(lines.take_while(|l| indent(l) == depth && !l.trim().is_empty()))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

fn value_of<'a>(yaml: &'a str, key: &str) -> &'a str {
    let line = yaml
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{key}:")))
        .unwrap();
    let value = line.split_once(':').unwrap().1;
    value.split('#').next().unwrap().trim().trim_matches('"')
}

#[test]
fn the_kubernetes_jobs_run_the_shards_then_the_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = repo().join("deploy/kubernetes");
    let shards_yaml = std::fs::read_to_string(dir.join("verify-shards.yaml")).unwrap();
    let merge_yaml = std::fs::read_to_string(dir.join("verify-merge.yaml")).unwrap();
    let n: u64 = value_of(&shards_yaml, "completions").parse().unwrap();
    assert_eq!(value_of(&shards_yaml, "completionMode"), "Indexed");
    assert_eq!(
        value_of(&shards_yaml, "value"),
        n.to_string(),
        "SHARDS is N"
    );
    // The record's folder, where the volume mounts it, in both jobs.
    for yaml in [&shards_yaml, &merge_yaml] {
        assert!(yaml.contains("value: \"/record\""), "{yaml}");
    }
    // The pods' paths, as the volumes mount them, under a temporary folder.
    let at = |cmd: String| {
        cmd.replace("/record", s(&record()))
            .replace("/partials", s(&tmp.path().join("partials")))
    };
    let shard_cmd = at(job_command(&shards_yaml));
    let merge_cmd = at(job_command(&merge_yaml));
    assert!(shard_cmd.starts_with("exec entente verify "), "{shard_cmd}");
    assert!(merge_cmd.contains(" --merge "), "{merge_cmd}");
    std::fs::create_dir_all(tmp.path().join("partials")).unwrap();
    let path = bin(tmp.path());
    // N pods would take a minute here: the same command with N = 6, each index as a pod.
    let shard_cmd = shard_cmd.replace("${SHARDS}", "6");
    for i in 0..6 {
        let out = Command::new("sh")
            .args(["-c", &shard_cmd])
            .env("PATH", &path)
            .env("JOB_COMPLETION_INDEX", i.to_string())
            .env("RECORD", record())
            .output()
            .unwrap();
        common::ok(&out);
    }
    let out = Command::new("sh")
        .args(["-c", &merge_cmd])
        .env("PATH", &path)
        .env("RECORD", record())
        .output()
        .unwrap();
    let report = common::ok(&out);
    assert_eq!(timeless(&report), single_report(&record()), "{report}");
    assert!(tmp.path().join("partials/report.html").is_file());
}

/// The Slurm script given a board's URL (and its log key in ENTENTE_LOG_KEY): each task reads
/// the record from the board and fetches its own shard's ballots only, and the merge reports
/// what a single run on the exported folder reports. Without the key it says what it needs.
#[test]
fn the_slurm_script_reads_the_record_from_a_board() {
    let tmp = tempfile::tempdir().unwrap();
    let exported = tmp.path().join("record");
    let (code, text) = status_and_text(&["demo", "--ballots", "6", "--dir", s(&exported)]);
    assert_eq!(code, 0, "{text}");
    let url = common::serve_files(exported.join("log"));
    let key = std::fs::read_to_string(exported.join("log/key")).unwrap();
    let partials = tmp.path().join("partials");
    let path = bin(tmp.path());
    let slurm = |key: Option<&str>| {
        let mut c = Command::new("sh");
        c.arg(repo().join("deploy/slurm/verify.sh"))
            .args([url.as_str(), s(&partials), "3", "2"])
            .env("PATH", &path)
            .env("ENTENTE_ARGS", "--insecure-http");
        if let Some(k) = key {
            c.env("ENTENTE_LOG_KEY", k.trim());
        }
        c.output().unwrap()
    };
    let out = slurm(None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ENTENTE_LOG_KEY"));
    common::ok(&slurm(Some(&key)));
    for i in 0..3 {
        let log = std::fs::read_to_string(partials.join(format!("shard-{i}.log"))).unwrap();
        assert!(log.contains("2 of its 6 ballots"), "{log}");
    }
    let report = std::fs::read_to_string(partials.join("report.txt")).unwrap();
    let without_log = |t: &str| {
        timeless(t)
            .lines()
            .filter(|l| !l.starts_with("Log:"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(without_log(&report), without_log(&single_report(&exported)));
    assert!(partials.join("report.html").is_file());
}
