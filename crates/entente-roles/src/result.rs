//! The decrypted result as people read it: each contest's options with their counts, as rows
//! and as a table.

use entente_group::Group;
use entente_record::manifest::Manifest;
use entente_record::tally::DecryptedTally;

/// One contest's result, named as the manifest names it.
pub struct ContestResult {
    /// The contest's name.
    pub title: String,
    /// Each option: its name (the candidate's, where the manifest gives one) and its votes.
    pub options: Vec<(String, u64)>,
}

impl ContestResult {
    /// Votes in the contest.
    pub fn total(&self) -> u64 {
        self.options.iter().map(|(_, v)| v).sum()
    }

    /// An option's share of the votes (0 when there are none).
    pub fn share(&self, votes: u64) -> f64 {
        match self.total() {
            0 => 0.0,
            t => votes as f64 / t as f64,
        }
    }
}

/// The decrypted tally, contest by contest, with the manifest's names.
pub fn result_rows<G: Group>(manifest: &Manifest, tally: &DecryptedTally<G>) -> Vec<ContestResult> {
    tally
        .contests
        .iter()
        .map(|c| {
            let contest = manifest.contests.iter().find(|m| m.id == c.contest_id);
            ContestResult {
                title: contest.map_or(c.contest_id.clone(), |m| m.name.clone()),
                options: c
                    .selections
                    .iter()
                    .map(|sel| {
                        let name = contest
                            .and_then(|m| m.options.iter().find(|o| o.id == sel.selection_id))
                            .and_then(|o| o.candidate.as_ref())
                            .and_then(|cand| manifest.candidate_names.get(cand).cloned())
                            .unwrap_or_else(|| sel.selection_id.clone());
                        (name, sel.decryption.value)
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The result as a text table with bars.
pub fn result_table<G: Group>(manifest: &Manifest, tally: &DecryptedTally<G>) -> String {
    let mut s = String::new();
    for c in result_rows(manifest, tally) {
        s.push_str(&format!("{}\n", c.title));
        let width = c
            .options
            .iter()
            .map(|(n, _)| n.chars().count())
            .max()
            .unwrap_or(0);
        for (name, v) in &c.options {
            let share = c.share(*v);
            let bar = "#".repeat((share * 30.0).round() as usize);
            s.push_str(&format!(
                "  {name:<width$}  {v:>7}  {:>5.1}%  {bar}\n",
                share * 100.0
            ));
        }
    }
    s
}
