//! What `entente demo` prints when the networked demo is done.

use crate::netdemo::NetDemoOutcome;

/// The text the command prints.
pub fn report(o: &NetDemoOutcome) -> String {
    let n = o.quorum.guardians();
    let k = o.quorum.quorum();
    let mut s = if o.election == "entente-demo-2026" {
        "Entente demo: Riverside joint election".to_owned()
    } else {
        format!("Entente demo: election {}", o.election)
    };
    s.push_str(&format!(
        " (ElectionGuard 2.0, {}), every role in its own process over TLS on loopback\n\n",
        crate::demo::group_name(o.group)
    ));
    s.push_str(&format!(
        "{n} guardians, any {k} of them can decrypt, no {} of them can read a vote:\n",
        k.saturating_sub(1)
    ));
    for (i, g) in o.guardians.iter().enumerate() {
        s.push_str(&format!("  guardian {}: {g}\n", i + 1));
    }
    s.push_str(&format!("H_E (extended base hash)   {}\n\n", o.h_e));
    if o.servers > 1 {
        s.push_str(&format!(
            "The board: {} servers on one PostgreSQL database, the roles spread over them, each \
             server catching up with the steps the others logged; one log\n\n",
            o.servers
        ));
    }
    s.push_str(&format!(
        "{} ballots cast and {} challenged by the device; each acknowledged only once durable, \
         with its inclusion proof\n",
        o.cast - o.paper,
        o.challenged
    ));
    if o.paper > 0 {
        s.push_str(&format!(
            "{} pre-encrypted paper ballots printed, committed on the log, hand-marked and \
             recorded by the scanning station (Verifications 15-18)\n",
            o.paper
        ));
    }
    s.push_str(&format!(
        "Decryption: {}\n\n",
        match &o.absent {
            Some(a) => format!("{a} stayed away; the others decrypted without it"),
            None if o.excluded.is_empty() => "every guardian took part".to_owned(),
            None => "the others decrypted without the guardians left out below".to_owned(),
        }
    ));
    for e in &o.excluded {
        s.push_str(&format!("  left out: {e}\n"));
    }
    if !o.excluded.is_empty() {
        s.push('\n');
    }
    s.push_str("Phases\n");
    for p in &o.phases {
        s.push_str(&format!(
            "  {:<32} {:>8.2} s\n",
            p.name,
            p.time.as_secs_f64()
        ));
    }
    s.push_str("\nResult\n");
    s.push_str(&o.table);
    s.push_str("\nThe independent verifier (entente verify) on the exported record:\n");
    s.push_str(&o.verification);
    if let Some(dir) = &o.record {
        s.push_str(&format!(
            "\nElection record and its log ({:.2} MB) written to {}\n",
            o.record_bytes as f64 / 1e6,
            dir.display()
        ));
    }
    s
}
