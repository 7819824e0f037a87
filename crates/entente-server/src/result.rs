//! The `result` step checked against the log: the tally and every challenged ballot decrypted, each proof verified.

use std::collections::{BTreeMap, BTreeSet};

use entente_record::ballot::EncryptedBallot;

use crate::election::Election;

/// A `result` (spec 2.0 §3.6) against what the log holds, before it is logged: `tally.json`
/// decrypts exactly the logged encrypted tally, each challenged ballot on the log is decrypted
/// once from its own ciphertexts, and every decryption proof holds (Verifications 9–14), so a
/// forged count is refused rather than published until someone verifies.
pub fn check_result<G: crate::election::ServerGroup>(
    election: &Election,
    tally: &entente_record::tally::EncryptedTallyRecord<G>,
    challenged: &[EncryptedBallot<G>],
    body: &[u8],
) -> Result<(), String> {
    use entente_record::tally::{DecryptedTally, DecryptedTallyJson};
    let result: entente_roles::protocol::ResultJson =
        serde_json::from_slice(body).map_err(|e| format!("result: {e}"))?;
    let read = |name: &str, text: &str| -> Result<DecryptedTally<G>, String> {
        let d = election
            .parse::<DecryptedTallyJson>(name, text.as_bytes())
            .map_err(|e| e.to_string())?
            .read::<G>()
            .map_err(|e| format!("{name}: {e}"))?;
        d.verify(&election.h_e, election.key::<G>()?)
            .map_err(|e| format!("{name}: {e} (the decryption's proof fails)"))?;
        Ok(d)
    };
    // The selections of a tally or a ballot, encrypted or decrypted (their contests and
    // selections have the same fields), by (contest, selection).
    macro_rules! selections {
        ($contests:expr) => {
            $contests
                .iter()
                .flat_map(|c| {
                    c.selections.iter().map(move |s| {
                        (
                            (c.contest_id.as_str(), s.selection_id.as_str()),
                            &s.ciphertext,
                        )
                    })
                })
                .collect()
        };
    }
    // The decrypted ciphertexts must be exactly these, selection by selection.
    type Selections<'a, G> =
        BTreeMap<(&'a str, &'a str), &'a entente_record::ballot::Ciphertext<G>>;
    let same = |name: &str, d: &DecryptedTally<G>, expected: Selections<G>| -> Result<(), String> {
        let got: Selections<G> = selections!(d.contests);
        if !got.keys().eq(expected.keys()) {
            return Err(format!("{name} does not decrypt the selections it must"));
        }
        match got.iter().find(|(k, ct)| expected.get(*k) != Some(ct)) {
            Some(((c, s), _)) => Err(format!(
                "{name}: contest {c}, selection {s} is not the logged ciphertext decrypted"
            )),
            None => Ok(()),
        }
    };
    let decrypted = read("tally.json", &result.tally)?;
    same("tally.json", &decrypted, selections!(tally.contests))?;
    let mut decrypted_ids = BTreeSet::new();
    for f in &result.challenged {
        let d = read(&f.name, &f.text)?;
        let ballot = challenged
            .iter()
            .find(|b| b.ballot_id == d.id)
            .ok_or_else(|| format!("{}: {} is not a challenged ballot of the log", f.name, d.id))?;
        if f.name != format!("dballot-{}.json", d.id) || !decrypted_ids.insert(d.id.clone()) {
            return Err(format!("{}: not the one file of ballot {}", f.name, d.id));
        }
        same(&f.name, &d, selections!(ballot.contests))?;
    }
    if let Some(b) = challenged
        .iter()
        .find(|b| !decrypted_ids.contains(&b.ballot_id))
    {
        return Err(format!(
            "challenged ballot {} of the log is not decrypted",
            b.ballot_id
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    use entente_record::ballot::json::EncryptedBallotJson;
    use entente_record::tally::EncryptedTallyJson;
    use entente_roles::protocol::{FileJson, ResultJson};

    type G = entente_group::P4096;

    /// The egk record with challenged ballots: its election, logged tally and challenged
    /// ballots as the server would read them, and its published result as a `result` body.
    fn chained() -> (Election, Vec<u8>, Vec<EncryptedBallot<G>>, ResultJson) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/conformance/egk/records/chainedJson");
        let election = Election::read(&dir).unwrap();
        let tally = std::fs::read(dir.join("encrypted_tally.json")).unwrap();
        let mut challenged = Vec::new();
        for device in std::fs::read_dir(dir.join("encrypted_ballots")).unwrap() {
            for f in std::fs::read_dir(device.unwrap().path()).unwrap() {
                let path = f.unwrap().path();
                if !path.to_string_lossy().contains("eballot-") {
                    continue;
                }
                let json: EncryptedBallotJson =
                    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
                let b = json.read::<G>().unwrap();
                if b.state == entente_record::ballot::BallotState::Challenged {
                    challenged.push(b);
                }
            }
        }
        let mut files = Vec::new();
        for f in std::fs::read_dir(dir.join("challenged_ballots")).unwrap() {
            let path = f.unwrap().path();
            files.push(FileJson {
                name: path.file_name().unwrap().to_string_lossy().into_owned(),
                text: std::fs::read_to_string(&path).unwrap(),
            });
        }
        let result = ResultJson {
            tally: std::fs::read_to_string(dir.join("tally.json")).unwrap(),
            challenged: files,
        };
        (election, tally, challenged, result)
    }

    #[test]
    fn a_result_is_logged_only_if_it_decrypts_the_logged_tally_and_challenged_ballots() {
        let (election, tally, challenged, result) = chained();
        assert!(!challenged.is_empty() && !result.challenged.is_empty());
        let tally = serde_json::from_slice::<EncryptedTallyJson>(&tally)
            .unwrap()
            .read::<G>()
            .unwrap();
        let check = |r: &ResultJson, ch: &[EncryptedBallot<G>]| {
            check_result(&election, &tally, ch, &serde_json::to_vec(r).unwrap())
        };
        check(&result, &challenged).unwrap();
        // A forged count: the tally's first value changed, its proof no longer holds.
        let mut forged = result.clone();
        let mut t: serde_json::Value = serde_json::from_str(&forged.tally).unwrap();
        let sel = &mut t["contests"][0]["selections"][0];
        let v = sel["tally"].as_u64().unwrap();
        sel["tally"] = (v + 1).into();
        forged.tally = t.to_string();
        let err = check(&forged, &challenged).unwrap_err();
        assert!(err.contains("tally.json"), "{err}");
        // A challenged ballot left undecrypted, or one decrypted that is not on the log.
        let mut fewer = result.clone();
        fewer.challenged.pop();
        let err = check(&fewer, &challenged).unwrap_err();
        assert!(err.contains("is not decrypted"), "{err}");
        let err = check(&result, &challenged[1..]).unwrap_err();
        assert!(err.contains("not a challenged ballot of the log"), "{err}");
        // A decryption of another ciphertext: one challenged ballot's file under another's id.
        let mut swapped = result.clone();
        let other: serde_json::Value = serde_json::from_str(&swapped.challenged[1].text).unwrap();
        let mut first: serde_json::Value =
            serde_json::from_str(&swapped.challenged[0].text).unwrap();
        first["contests"] = other["contests"].clone();
        swapped.challenged[0].text = first.to_string();
        assert!(check(&swapped, &challenged).is_err());
    }
}
