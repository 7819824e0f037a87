//! The load test, small enough for CI: three devices submit at once over loopback, the server
//! is SIGKILLed and restarted halfway, and afterwards every acknowledged ballot is in the log
//! at its index, byte for byte, and in the tally computed from the log. (`entente bench --load`
//! runs the same with more devices and ballots for minutes and reports the throughput.)

use std::process::Command;

#[test]
fn concurrent_devices_lose_nothing_acknowledged_when_the_server_is_killed_mid_load() {
    let out = Command::new(env!("CARGO_BIN_EXE_entente"))
        .args([
            "bench",
            "--load",
            "--devices",
            "3",
            "--ballots",
            "6",
            "--seconds",
            "120",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every ballot was acknowledged, or (at most one per device, when the kill fell between
    // its commit and its answer) found on the board when submitted again.
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
    assert_eq!(acknowledged + lost, 18, "{stdout}");
    assert!(lost <= 3, "{stdout}");
    assert!(stdout.contains("restarted mid-load: yes"), "{stdout}");
    assert!(
        stdout.contains("every acknowledged ballot is in the log"),
        "{stdout}"
    );
    assert!(stdout.contains("p50"), "{stdout}");
}
