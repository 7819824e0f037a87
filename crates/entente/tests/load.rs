//! The load test, small enough for CI: devices submit at once over loopback, a server is
//! SIGKILLed and restarted at each quarter, and afterwards every acknowledged ballot is in the
//! log at its index, byte for byte, and in the tally computed from the log, and every
//! checkpoint any server handed out is the final log's. Once with one server on SQLite, once
//! with three servers on one PostgreSQL database (a throw-away cluster), killed one after
//! another while the others go on. (`entente bench --load` runs the same with more devices and
//! ballots for minutes and reports the throughput.)

use std::process::Command;

use entente_board::pg_cluster::ThrowawayCluster;

/// Runs `entente bench --load` with `args`; checks that it succeeded and that every ballot
/// (`devices` × `ballots`) was acknowledged, or (at most one per device and kill, when the
/// kill fell between its commit and its answer) found on the board when submitted again.
/// Returns its report.
fn load(args: &[&str], devices: usize, ballots: usize) -> String {
    let (d, b) = (devices.to_string(), ballots.to_string());
    let out = Command::new(env!("CARGO_BIN_EXE_entente"))
        .args(["bench", "--load", "--devices", &d, "--ballots", &b])
        .args(["--seconds", "240"])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let number = |after: &str| -> usize {
        let at = stdout
            .find(after)
            .unwrap_or_else(|| panic!("{after:?}: {stdout}"));
        stdout[..at]
            .split_whitespace()
            .last()
            .unwrap()
            .parse()
            .unwrap()
    };
    let acknowledged = number(" ballots acknowledged");
    let lost = number(" logged with their answer lost");
    assert_eq!(acknowledged + lost, devices * ballots, "{stdout}");
    assert!(lost <= devices * 3, "{stdout}");
    assert!(stdout.contains("restarted mid-load: 3"), "{stdout}");
    assert!(
        stdout.contains("every acknowledged ballot is in the log"),
        "{stdout}"
    );
    assert!(stdout.contains("(no fork)"), "{stdout}");
    assert!(stdout.contains("p50"), "{stdout}");
    stdout
}

#[test]
fn concurrent_devices_lose_nothing_acknowledged_when_the_server_is_killed_mid_load() {
    let report = load(&[], 3, 6);
    assert!(report.contains("servers on the board: 1;"), "{report}");
}

#[test]
fn three_servers_on_one_postgres_board_lose_nothing_when_killed_one_after_another() {
    let pg = ThrowawayCluster::start()
        .unwrap_or_else(|e| panic!("the PostgreSQL tests need it (.ci/run installs it): {e}"));
    let url = pg.new_database("load").unwrap();
    let args = ["--servers", "3", "--check-threads", "1", "--db", &url];
    let report = load(&args, 3, 8);
    assert!(report.contains("servers on the board: 3;"), "{report}");
}
