//! The hashes of a pre-encrypted ballot (spec 2.0 §4.1–§4.2): the nonce of each pre-encryption
//! (eq. (96)), the selection hash of each selection vector (eq. (92), (93)), the contest hash over
//! a contest's sorted selection hashes (eq. (94)), the confirmation code (eq. (95)), and the
//! short code a hash trimming function Ω gives a selection (§4.1.4).
//!
//! Contests and options are identified as in the other ballot hashes ([`super::hashes`]): by
//! their sequence order under spec 2.0.0, by their labels under egk's draft layout. A null vote's
//! label is `null1`, `null2`, … and its index follows the contest's options (§4.2.1).

use super::hashes::{Label, label};
use super::json::{CiphertextJson, Membership, hash as json_hash};
use super::{BallotFailure, Ciphertext, EncryptedBallot, EncryptedContest};
use crate::{HashValue, Hasher, RecordError, Revision};
use entente_group::Group;
use serde::{Deserialize, Serialize};

/// Domain separation of selection hashes, eq. (92), (93).
const SELECTION_HASH: u8 = 0x40;
/// Domain separation of pre-encrypted contest hashes, eq. (94).
const CONTEST_HASH: u8 = 0x41;
/// Domain separation of pre-encrypted confirmation codes, eq. (95).
const CONFIRMATION: u8 = 0x42;
/// Domain separation of pre-encryption nonces, eq. (96).
const NONCE: u8 = 0x43;

/// ξ_{i,j,k} = H(H_E; 0x43, ξ, ind_c(Λ_i), ind_o(λ_j), ind_o(λ_k)) mod q, eq. (96): the nonce
/// of the k-th encryption of the j-th selection vector of contest i.
pub fn nonce<G: Group>(
    revision: Revision,
    h_e: &HashValue,
    primary: &[u8; 32],
    contest: Label<'_>,
    vector: Label<'_>,
    position: Label<'_>,
) -> G::Scalar {
    let h = Hasher::with_revision(h_e.as_bytes(), NONCE, revision).bytes(primary);
    let h = label(h, revision, contest);
    let h = label(h, revision, vector);
    label(h, revision, position).finish().to_scalar()
}

/// ψ = H(H_E; 0x40, K, α_1, β_1, …, α_m, β_m), eq. (92) (a selection) and (93) (a null vote).
pub fn selection_hash<'a, G: Group>(
    revision: Revision,
    h_e: &HashValue,
    key: &G::Element,
    vector: impl IntoIterator<Item = &'a Ciphertext<G>>,
) -> HashValue {
    let mut h = Hasher::with_revision(h_e.as_bytes(), SELECTION_HASH, revision).element::<G>(key);
    for ct in vector {
        h = h.element::<G>(&ct.alpha).element::<G>(&ct.beta);
    }
    h.finish()
}

/// χ_l = H(H_E; 0x41, ind_c(Λ_l), K, ψ_σ(1), …, ψ_σ(m+L)), eq. (94): the contest's selection
/// and null hashes in increasing order as big-endian integers, so that their order reveals
/// nothing of which vector encrypts which selection.
pub fn contest_hash<G: Group>(
    revision: Revision,
    h_e: &HashValue,
    contest: Label<'_>,
    key: &G::Element,
    selection_hashes: &[HashValue],
) -> HashValue {
    let mut sorted = selection_hashes.to_vec();
    sorted.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    let h = Hasher::with_revision(h_e.as_bytes(), CONTEST_HASH, revision);
    let mut h = label(h, revision, contest).element::<G>(key);
    for psi in &sorted {
        h = h.hash(psi);
    }
    h.finish()
}

/// H(B) = H(H_E; 0x42, χ_1, …, χ_mB, B_aux), eq. (95), the contests in sequence order; B_aux
/// without a length prefix, as the standard confirmation code ([`super::hashes`]).
pub fn confirmation_code<'a>(
    revision: Revision,
    h_e: &HashValue,
    contest_hashes: impl IntoIterator<Item = &'a HashValue>,
    aux: &[u8],
) -> HashValue {
    let mut h = Hasher::with_revision(h_e.as_bytes(), CONFIRMATION, revision);
    for chi in contest_hashes {
        h = h.hash(chi);
    }
    h.bytes(aux).finish()
}

/// The label of a contest's `n`-th null vote (1-based), following its `options` options:
/// `null<n>`, index `options + n` (§4.2.1).
pub fn null_label(n: u32, options: u32) -> (String, u32) {
    (format!("null{n}"), options + n)
}

/// Ω as egk writes short codes: the first five hex digits of the selection hash, upper case.
pub fn short_code(selection_hash: &HashValue) -> String {
    selection_hash.to_hex()[..5].to_ascii_uppercase()
}

/// A selection vector a recorded contest publishes (spec 2.0 §4.4): one the voter marked, or a
/// null vector standing in for a vote not made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectedVector<G: Group> {
    /// ψ, eq. (92) or (93).
    pub selection_hash: HashValue,
    /// Ω(ψ), as printed beside the option.
    pub short_code: String,
    /// E_1, …, E_m.
    pub encryptions: Vec<Ciphertext<G>>,
}

/// What a contest recorded from a pre-encrypted ballot publishes besides its selections and
/// proofs (spec 2.0 §4.4): χ, every selection hash of the contest sorted, and the L vectors
/// whose product its selections are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreEncryption<G: Group> {
    /// χ, eq. (94).
    pub contest_hash: HashValue,
    /// ψ of the m options and L null votes, in increasing order.
    pub selection_hashes: Vec<HashValue>,
    /// The marked vectors and as many null vectors as make L, in increasing order of ψ.
    pub selected: Vec<SelectedVector<G>>,
}

/// [`PreEncryption`] as egk's records write it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreEncryptionJson {
    /// χ.
    pub preencryption_hash: String,
    /// Every ψ of the contest, sorted.
    pub all_selection_hashes: Vec<String>,
    /// The L published vectors.
    pub selected_vectors: Vec<SelectedVectorJson>,
}

/// [`SelectedVector`] as egk's records write it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectedVectorJson {
    /// ψ.
    pub selection_hash: String,
    /// Ω(ψ).
    pub short_code: String,
    /// E_1, …, E_m.
    pub encryptions: Vec<CiphertextJson>,
}

impl PreEncryptionJson {
    pub(crate) fn read_as<G: Group>(
        &self,
        path: &str,
        m: Membership,
    ) -> Result<PreEncryption<G>, RecordError> {
        let selection_hashes = self
            .all_selection_hashes
            .iter()
            .enumerate()
            .map(|(i, h)| json_hash(&format!("{path}.all_selection_hashes[{i}]"), h))
            .collect::<Result<_, _>>()?;
        let selected = self
            .selected_vectors
            .iter()
            .enumerate()
            .map(|(j, v)| {
                let at = format!("{path}.selected_vectors[{j}]");
                Ok(SelectedVector {
                    selection_hash: json_hash(&format!("{at}.selection_hash"), &v.selection_hash)?,
                    short_code: v.short_code.clone(),
                    encryptions: v
                        .encryptions
                        .iter()
                        .enumerate()
                        .map(|(k, e)| e.read_as(&format!("{at}.encryptions[{k}]"), m))
                        .collect::<Result<_, _>>()?,
                })
            })
            .collect::<Result<_, RecordError>>()?;
        Ok(PreEncryption {
            contest_hash: json_hash(
                &format!("{path}.preencryption_hash"),
                &self.preencryption_hash,
            )?,
            selection_hashes,
            selected,
        })
    }

    /// The JSON of `p`.
    pub fn write<G: Group>(p: &PreEncryption<G>) -> Self {
        Self {
            preencryption_hash: p.contest_hash.to_hex(),
            all_selection_hashes: p.selection_hashes.iter().map(HashValue::to_hex).collect(),
            selected_vectors: p
                .selected
                .iter()
                .map(|v| SelectedVectorJson {
                    selection_hash: v.selection_hash.to_hex(),
                    short_code: v.short_code.clone(),
                    encryptions: v.encryptions.iter().map(CiphertextJson::write).collect(),
                })
                .collect(),
        }
    }
}

/// Verifications 17 and 18 (spec 2.0 §6.2.8) of a ballot recorded from a pre-encrypted ballot,
/// its failures added to `failures`: per contest 17.A, 17.B, 18.A and the product of the
/// selected vectors; then 17.C, the confirmation code over the contests' χ (eq. (95)), which
/// replaces the standard code's eq. (58). (17.D, unique codes, is the record's to check.)
pub(crate) fn check_ballot<G: Group>(
    revision: Revision,
    h_e: &HashValue,
    key: &G::Element,
    b: &EncryptedBallot<G>,
    failures: &mut Vec<BallotFailure>,
) {
    let mut chis = Vec::with_capacity(b.contests.len());
    for c in &b.contests {
        match &c.pre_encryption {
            Some(p) => {
                check_contest(revision, h_e, key, c, p, failures);
                chis.push(p.contest_hash);
            }
            None => failures.push(BallotFailure::new(
                17,
                Some(&c.contest_id),
                None,
                "17.B: the contest of a pre-encrypted ballot publishes no pre-encryption".into(),
            )),
        }
    }
    if chis.len() == b.contests.len()
        && confirmation_code(revision, h_e, &chis, &b.code_baux) != b.confirmation_code
    {
        failures.push(BallotFailure::new(
            17,
            None,
            None,
            "17.C: the confirmation code does not match the contests' pre-encryption hashes \
             (eq. (95))"
                .into(),
        ));
    }
}

fn check_contest<G: Group>(
    revision: Revision,
    h_e: &HashValue,
    key: &G::Element,
    c: &EncryptedContest<G>,
    p: &PreEncryption<G>,
    failures: &mut Vec<BallotFailure>,
) {
    let mut fail = |verification: u8, what: String| {
        failures.push(BallotFailure::new(
            verification,
            Some(&c.contest_id),
            None,
            what,
        ));
    };
    let (m, limit) = (c.selections.len(), c.votes_allowed as usize);
    // 17.B: m + L hashes, sorted as eq. (94) hashes them, and χ over them.
    if p.selection_hashes.len() != m + limit {
        fail(
            17,
            format!(
                "17.B: {} selection hashes, but {m} options and limit {limit} make {}",
                p.selection_hashes.len(),
                m + limit
            ),
        );
    }
    if p.selection_hashes
        .windows(2)
        .any(|w| w[0].as_bytes() >= w[1].as_bytes())
    {
        fail(
            17,
            "17.B: the selection hashes are not in strictly increasing order".into(),
        );
    }
    let contest = Label {
        id: &c.contest_id,
        index: c.sequence_order,
    };
    if contest_hash::<G>(revision, h_e, contest, key, &p.selection_hashes) != p.contest_hash {
        fail(
            17,
            "17.B: the pre-encryption hash does not match the selection hashes (eq. (94))".into(),
        );
    }
    // 18.A over every option: codes must tell the options apart (§4.1.4), or a scanner could
    // record another option than the one whose code the voter kept.
    let mut codes: Vec<String> = p.selection_hashes.iter().map(short_code).collect();
    codes.sort_unstable();
    if let Some(w) = codes.windows(2).find(|w| w[0] == w[1]) {
        fail(
            18,
            format!(
                "18.A: two selections of the contest share the short code {} (§4.1.4)",
                w[0]
            ),
        );
    }
    // 17.A and 18.A on each published vector.
    for (j, v) in p.selected.iter().enumerate() {
        if v.encryptions.len() != m {
            fail(
                17,
                format!(
                    "17.A: selected vector {j} holds {} encryptions, the contest has {m} options",
                    v.encryptions.len()
                ),
            );
            continue;
        }
        if selection_hash::<G>(revision, h_e, key, &v.encryptions) != v.selection_hash {
            fail(
                17,
                format!(
                    "17.A: selected vector {j} ({}) does not hash to its selection hash (eq. (92))",
                    v.short_code
                ),
            );
        }
        if p.selection_hashes
            .binary_search_by(|h| h.as_bytes().cmp(v.selection_hash.as_bytes()))
            .is_err()
        {
            fail(
                17,
                format!(
                    "17.A: selected vector {j} ({}) is not among the contest's selection hashes",
                    v.short_code
                ),
            );
        }
        if v.short_code != short_code(&v.selection_hash) {
            fail(
                18,
                format!(
                    "18.A: short code {:?} of selected vector {j} is not Ω of its selection hash",
                    v.short_code
                ),
            );
        }
    }
    // 18: exactly L vectors, none twice, whose product is what the tally counts.
    if p.selected.len() != limit {
        fail(
            18,
            format!(
                "18: {} selected vectors, the contest's limit L is {limit}",
                p.selected.len()
            ),
        );
    }
    let mut hashes: Vec<&HashValue> = p.selected.iter().map(|v| &v.selection_hash).collect();
    hashes.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    if hashes.windows(2).any(|w| w[0] == w[1]) {
        fail(18, "18: a selected vector is published twice".into());
    }
    if p.selected.iter().all(|v| v.encryptions.len() == m) {
        let product = (0..m).map(|k| {
            p.selected
                .iter()
                .fold(Ciphertext::zero(), |acc, v| acc.add(&v.encryptions[k]))
        });
        if product.zip(&c.selections).any(|(ct, s)| ct != s.ciphertext) {
            fail(
                18,
                "18: the contest's selections are not the product of its selected vectors".into(),
            );
        }
    }
}
