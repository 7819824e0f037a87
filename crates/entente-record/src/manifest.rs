//! The election manifest (spec 2.0 §3.1.3) in the JSON of the conformance records, and the view
//! of it that encryption and verification need: contests with their limits and options, and
//! which contests each ballot style lists.
//!
//! The manifest's bytes are hashed as stored (H_M, §3.1.4), so reading never rewrites them.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::RecordError;

/// The parts of the records' manifest JSON that the protocol uses; other fields are allowed and
/// ignored (they are still covered by H_M, which hashes the file's bytes).
#[derive(Debug, Clone, Deserialize)]
pub struct ManifestJson {
    /// The election's identifier.
    pub election_scope_id: String,
    /// The spec version the manifest declares.
    #[serde(default)]
    pub spec_version: Option<String>,
    /// The contests.
    pub contests: Vec<ContestJson>,
    /// The ballot styles.
    pub ballot_styles: Vec<BallotStyleJson>,
    /// The candidates (for display names).
    #[serde(default)]
    pub candidates: Vec<CandidateJson>,
}

/// A candidate as the manifest JSON writes it.
#[derive(Debug, Clone, Deserialize)]
pub struct CandidateJson {
    /// The candidate's id.
    pub object_id: String,
    /// Display name, where given as a string.
    #[serde(default)]
    pub name: Option<serde_json::Value>,
}

/// A contest as the manifest JSON writes it.
#[derive(Debug, Clone, Deserialize)]
pub struct ContestJson {
    /// Λ, the contest's label.
    pub object_id: String,
    /// ind_c.
    pub sequence_order: i64,
    /// The district; a ballot style lists the contest when it lists the district.
    pub electoral_district_id: String,
    /// L, the contest selection limit.
    pub votes_allowed: i64,
    /// R, the option selection limit (absent in the records: 1).
    #[serde(default)]
    pub option_selection_limit: Option<i64>,
    /// The options.
    pub ballot_selections: Vec<SelectionJson>,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
}

/// An option as the manifest JSON writes it.
#[derive(Debug, Clone, Deserialize)]
pub struct SelectionJson {
    /// λ, the option's label.
    pub object_id: String,
    /// ind_o.
    pub sequence_order: i64,
    /// The candidate it stands for.
    #[serde(default)]
    pub candidate_id: Option<String>,
}

/// A ballot style as the manifest JSON writes it.
#[derive(Debug, Clone, Deserialize)]
pub struct BallotStyleJson {
    /// The style's label.
    pub object_id: String,
    /// The districts whose contests appear on it.
    #[serde(default)]
    pub geopolitical_unit_ids: Vec<String>,
}

/// A contest, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contest {
    /// Λ.
    pub id: String,
    /// ind_c.
    pub index: u32,
    /// L.
    pub limit: u32,
    /// R.
    pub option_limit: u32,
    /// The options in manifest order.
    pub options: Vec<ContestOption>,
    /// Display name (falls back to the label).
    pub name: String,
}

/// An option, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContestOption {
    /// λ.
    pub id: String,
    /// ind_o.
    pub index: u32,
    /// The candidate's id, where the manifest gives one.
    pub candidate: Option<String>,
}

/// The manifest, checked: labels unique, indices in 0..2^31, limits at least 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The election's identifier.
    pub election_scope_id: String,
    /// Contests in manifest order.
    pub contests: Vec<Contest>,
    /// For each ballot style, the labels of its contests.
    pub styles: BTreeMap<String, BTreeSet<String>>,
    /// Candidates' display names, by candidate id (where the manifest gives one).
    pub candidate_names: BTreeMap<String, String>,
}

fn index(what: String, v: i64) -> Result<u32, RecordError> {
    u32::try_from(v)
        .ok()
        .filter(|&i| i < 1 << 31)
        .ok_or(RecordError::Manifest(format!(
            "{what}: sequence_order {v} is not in 0..2^31"
        )))
}

impl Manifest {
    /// Parses and checks manifest JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Self, RecordError> {
        let de = &mut serde_json::Deserializer::from_slice(bytes);
        let json: ManifestJson = serde_path_to_error::deserialize(de)
            .map_err(|e| RecordError::Json(format!("manifest at {}: {}", e.path(), e.inner())))?;
        Self::from_parsed(json)
    }

    /// Checks parsed manifest JSON.
    pub fn from_parsed(json: ManifestJson) -> Result<Self, RecordError> {
        let mut contests = Vec::with_capacity(json.contests.len());
        let mut ids = BTreeSet::new();
        let mut indices = BTreeSet::new();
        let mut districts: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (ci, c) in json.contests.iter().enumerate() {
            let at = format!("contests[{ci}] ({})", c.object_id);
            if !ids.insert(c.object_id.clone()) {
                return Err(RecordError::Manifest(format!(
                    "{at}: contest label used twice"
                )));
            }
            let idx = index(at.clone(), c.sequence_order)?;
            if !indices.insert(idx) {
                return Err(RecordError::Manifest(format!(
                    "{at}: sequence_order {idx} used twice"
                )));
            }
            let limit = u32::try_from(c.votes_allowed)
                .ok()
                .filter(|&l| l >= 1)
                .ok_or(RecordError::Manifest(format!(
                    "{at}: votes_allowed {} must be at least 1",
                    c.votes_allowed
                )))?;
            let option_limit = match c.option_selection_limit {
                None => 1,
                Some(r) => {
                    u32::try_from(r)
                        .ok()
                        .filter(|&r| r >= 1)
                        .ok_or(RecordError::Manifest(format!(
                            "{at}: option_selection_limit {r} must be at least 1"
                        )))?
                }
            };
            let mut options = Vec::with_capacity(c.ballot_selections.len());
            let mut option_ids = BTreeSet::new();
            let mut option_indices = BTreeSet::new();
            for (si, s) in c.ballot_selections.iter().enumerate() {
                let sat = format!("{at}.ballot_selections[{si}] ({})", s.object_id);
                if !option_ids.insert(s.object_id.clone()) {
                    return Err(RecordError::Manifest(format!(
                        "{sat}: option label used twice"
                    )));
                }
                let oidx = index(sat.clone(), s.sequence_order)?;
                if !option_indices.insert(oidx) {
                    return Err(RecordError::Manifest(format!(
                        "{sat}: sequence_order {oidx} used twice"
                    )));
                }
                options.push(ContestOption {
                    id: s.object_id.clone(),
                    index: oidx,
                    candidate: s.candidate_id.clone(),
                });
            }
            if options.is_empty() {
                return Err(RecordError::Manifest(format!("{at}: no options")));
            }
            districts
                .entry(c.electoral_district_id.clone())
                .or_default()
                .push(c.object_id.clone());
            contests.push(Contest {
                id: c.object_id.clone(),
                index: idx,
                limit,
                option_limit,
                options,
                name: c.name.clone().unwrap_or_else(|| c.object_id.clone()),
            });
        }
        let mut styles = BTreeMap::new();
        for (bi, s) in json.ballot_styles.iter().enumerate() {
            let listed: BTreeSet<String> = s
                .geopolitical_unit_ids
                .iter()
                .flat_map(|u| districts.get(u).into_iter().flatten().cloned())
                .collect();
            if styles.insert(s.object_id.clone(), listed).is_some() {
                return Err(RecordError::Manifest(format!(
                    "ballot_styles[{bi}] ({}): style label used twice",
                    s.object_id
                )));
            }
        }
        let candidate_names = json
            .candidates
            .iter()
            .filter_map(|c| match &c.name {
                Some(serde_json::Value::String(n)) => Some((c.object_id.clone(), n.clone())),
                _ => None,
            })
            .collect();
        Ok(Self {
            election_scope_id: json.election_scope_id,
            contests,
            styles,
            candidate_names,
        })
    }

    /// The name to show for an option: its candidate's name, else its candidate id, else its
    /// label.
    pub fn option_name(&self, option: &ContestOption) -> String {
        option
            .candidate
            .as_ref()
            .map(|c| {
                self.candidate_names
                    .get(c)
                    .cloned()
                    .unwrap_or_else(|| c.clone())
            })
            .unwrap_or_else(|| option.id.clone())
    }

    /// A contest by label.
    pub fn contest(&self, id: &str) -> Option<&Contest> {
        self.contests.iter().find(|c| c.id == id)
    }

    /// The largest number of votes any one option may receive in a ballot (1 without
    /// contests): with the number of ballots, it bounds a decrypted count.
    pub fn largest_option_limit(&self) -> u32 {
        self.contests
            .iter()
            .map(|c| c.option_limit)
            .max()
            .unwrap_or(1)
    }
}
