//! The command line as a user meets it.

use std::process::Command;

fn entente(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_entente"))
        .args(args)
        .output()
        .expect("the entente binary runs")
}

#[test]
fn demo_runs_a_key_ceremony_and_prints_k_and_h_e() {
    let out = entente(&["demo"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("5 guardians, any 3 of them can decrypt"),
        "{stdout}"
    );
    assert!(
        stdout.contains("20 encrypted key shares exchanged"),
        "{stdout}"
    );
    assert!(
        stdout.contains("H_P (parameter base hash)  2B3B025E50E09C119CBA7E9448ACD1CABC9447EF39BF06327D81C665CDD86296"),
        "{stdout}"
    );
    let k_line = stdout.lines().find(|l| l.starts_with("K ")).unwrap();
    assert_eq!(
        k_line.split("fingerprint ").nth(1).unwrap().len(),
        39,
        "{k_line}"
    );
    let h_e = stdout.lines().find(|l| l.starts_with("H_E")).unwrap();
    assert_eq!(h_e.split_whitespace().last().unwrap().len(), 64, "{h_e}");

    // Randomness comes from the OS: two runs give different keys.
    let again = String::from_utf8(entente(&["demo"]).stdout).unwrap();
    assert_ne!(
        again.lines().find(|l| l.starts_with("H_E")),
        stdout.lines().find(|l| l.starts_with("H_E"))
    );
}

#[test]
fn demo_refuses_an_impossible_quorum() {
    for (n, k) in [("5", "0"), ("2", "3"), ("0", "0")] {
        let out = entente(&["demo", "--guardians", n, "--quorum", k]);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.contains("invalid --guardians / --quorum"),
            "{stderr}"
        );
    }
}

#[test]
fn every_command_has_help() {
    for cmd in [
        &["--help"][..],
        &["demo", "--help"],
        &["testvectors", "--help"],
        &["bench", "--help"],
    ] {
        let out = entente(cmd);
        assert!(out.status.success());
        assert!(
            String::from_utf8(out.stdout)
                .unwrap()
                .contains("Usage: entente")
        );
    }
}
