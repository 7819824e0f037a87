//! The checks a ballot carries in itself (spec 2.0 Verifications 5, 6, 7.A, 7.B), and for a
//! ballot recorded from a pre-encrypted one Verifications 15 to 18 (§6.2.8) in place of 5, 6
//! and 7.B.

use entente_group::Group;

use super::hashes::{self, Label};
use super::preencrypted::{
    PreEncryption, confirmation_code, contest_hash, selection_hash, short_code,
};
use super::{
    BallotCounts, BallotFailure, Ciphertext, EncryptedBallot, EncryptedContest, PublicKey,
};
use crate::{HashValue, RecordError, Revision};

impl<G: Group> EncryptedBallot<G> {
    /// Every check a ballot carries in itself (spec 2.0 Verifications 5, 6, 7.A, 7.B): every
    /// selection's and contest's range proof, every contest hash, and the confirmation code from
    /// the ballot's own B_aux; for a ballot recorded from a pre-encrypted one, Verifications 15
    /// to 18 instead of 5, 6 and 7.B; all failures, each with its verification and place. The
    /// checks against a manifest and a device chain are the caller's.
    pub fn check(
        &self,
        revision: Revision,
        h_e: &HashValue,
        key: &PublicKey<G>,
    ) -> (BallotCounts, Vec<BallotFailure>) {
        match self.check_with(revision, h_e, key, false) {
            Ok(out) => out,
            // Only the chains' membership test stops a check, and it is not asked for here.
            Err(path) => (
                BallotCounts::default(),
                vec![BallotFailure::new(
                    5,
                    None,
                    None,
                    format!("5.A: {path} is not in Z_p^r"),
                )],
            ),
        }
    }

    /// [`EncryptedBallot::check`]; with `membership`, every selection's α and β is also proven
    /// in the group by the squaring chains its range proof raises them on
    /// (`RangeProof::verify_checked`), and the first that is not stops the check: its JSON path
    /// is the error.
    pub(crate) fn check_with(
        &self,
        revision: Revision,
        h_e: &HashValue,
        key: &PublicKey<G>,
        membership: bool,
    ) -> Result<(BallotCounts, Vec<BallotFailure>), String> {
        let mut counts = BallotCounts::default();
        let mut failures = Vec::new();
        // A ballot recorded from a pre-encrypted one carries the same proofs, checked as
        // Verifications 15 and 16 (spec 2.0 §6.2.8) where a standard ballot's are 5 and 6.
        let (selection_check, contest_check) = if self.is_preencrypt {
            ((15, "15.D"), (16, "16.C"))
        } else {
            ((5, "5.D"), (6, "6.D"))
        };
        for (ci, c) in self.contests.iter().enumerate() {
            for (si, s) in c.selections.iter().enumerate() {
                counts.selections += 1;
                let verified = if membership {
                    s.proof.verify_checked(h_e, key, &s.ciphertext)
                } else {
                    s.proof.verify(h_e, key, &s.ciphertext)
                };
                match verified {
                    Ok(()) => {}
                    Err(RecordError::NotInGroup { path }) => {
                        return Err(format!(
                            "contests[{ci}].selections[{si}].encrypted_vote.{path}"
                        ));
                    }
                    Err(e) => failures.push(BallotFailure::new(
                        selection_check.0,
                        Some(&c.contest_id),
                        Some(&s.selection_id),
                        format!("{}: {e}", selection_check.1),
                    )),
                }
            }
            counts.contests += 1;
            // The product of members is a member: (ᾱ, β̄) needs no test of its own.
            if let Err(e) = c.proof.verify(h_e, key, &c.total()) {
                failures.push(BallotFailure::new(
                    contest_check.0,
                    Some(&c.contest_id),
                    None,
                    format!("{}: {e}", contest_check.1),
                ));
            }
            let chi = hashes::contest_hash::<G>(
                revision,
                h_e,
                hashes::Label {
                    id: &c.contest_id,
                    index: c.sequence_order,
                },
                key.element(),
                c.selections.iter().map(|s| &s.ciphertext),
            );
            if chi != c.contest_hash {
                failures.push(BallotFailure::new(
                    7,
                    Some(&c.contest_id),
                    None,
                    "7.A: the contest hash does not match its encryptions (eq. (57))".into(),
                ));
            }
            if !self.is_preencrypt && c.pre_encryption.is_some() {
                failures.push(BallotFailure::new(
                    17,
                    Some(&c.contest_id),
                    None,
                    "pre-encryption data on a ballot not marked is_preencrypt".into(),
                ));
            }
        }
        if self.is_preencrypt {
            check_ballot(revision, h_e, key.element(), self, &mut failures);
            return Ok((counts, failures));
        }
        let code = hashes::confirmation_code(
            h_e,
            self.contests.iter().map(|c| &c.contest_hash),
            &self.code_baux,
        );
        if code != self.confirmation_code {
            failures.push(BallotFailure::new(
                7,
                None,
                None,
                "7.B: the confirmation code does not match the ballot's contest hashes (eq. (58))"
                    .into(),
            ));
        }
        Ok((counts, failures))
    }

    /// [`EncryptedBallot::check`], stopping at the first failure.
    pub fn verify_proofs_and_codes(
        &self,
        revision: Revision,
        h_e: &HashValue,
        key: &PublicKey<G>,
    ) -> Result<(), RecordError> {
        match self.check(revision, h_e, key).1.into_iter().next() {
            None => Ok(()),
            Some(f) => Err(RecordError::Invalid(format!(
                "{} (Verification {})",
                f.describe(),
                f.verification
            ))),
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
