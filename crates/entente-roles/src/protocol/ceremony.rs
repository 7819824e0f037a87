//! The key ceremony's rule for stopping: who holds it up, as the server and the administrator
//! both compute it from the log.

use std::collections::{BTreeMap, BTreeSet};

/// The guardians who hold a key ceremony of `n` up, and how: an accused with a complaint not
/// settled (`disputes`: (accused, accuser)), or one missing the step everyone waits for, of
/// `done` = [guardians who published their key, sent their shares, gave their verdict]. The
/// server checks a `ceremony-stop` against it, and the administrator writes one from it.
pub fn ceremony_blocking(
    n: usize,
    done: [&BTreeSet<u32>; 3],
    disputes: &BTreeSet<(u32, u32)>,
) -> BTreeMap<u32, String> {
    let mut accusers: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for &(i, l) in disputes {
        accusers.entry(i).or_default().push(l);
    }
    let mut out: BTreeMap<u32, String> = accusers
        .into_iter()
        .map(|(i, by)| {
            (
                i,
                format!("did not settle the complaints of guardians {by:?} about its share"),
            )
        })
        .collect();
    let steps = [
        "did not publish its key",
        "did not send its shares",
        "did not give its verdict on its shares",
    ];
    // The first step not everyone took is the one the ceremony waits for.
    if let Some((have, what)) = done.iter().zip(steps).find(|(have, _)| have.len() < n) {
        for i in (1..=n as u32).filter(|i| !have.contains(i)) {
            out.entry(i).or_insert_with(|| what.to_owned());
        }
    }
    out
}
