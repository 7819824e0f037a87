//! The encrypting tool of pre-encrypted ballots (spec 2.0 §4.2): from the manifest, a ballot
//! style and a primary nonce ξ, every contest of the style gets one selection vector per option
//! (an encryption of one at the option's position, of zero elsewhere, eq. (91)) and L null
//! vectors (all zeros), each encryption's nonce derived from ξ (eq. (96)); each vector's hash
//! and short code, each contest's hash and the ballot's confirmation code (eq. (92)–(95)).
//! Everything is deterministic in ξ, so the recording tool and a verifier regenerate it.

use entente_group::Group;
use entente_record::ballot::hashes::Label;
use entente_record::ballot::preencrypted::{self, null_label};
use entente_record::ballot::{Ciphertext, PublicKey};
use entente_record::manifest::Manifest;
use entente_record::{HashValue, RecordError, Revision};

/// One selection vector Ψ (an option's, or a null vote's) with its hash ψ and short code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreEncryptedSelection<G: Group> {
    /// The option's label, or `null<n>` for a null vote.
    pub selection_id: String,
    /// Its position's index: the option's sequence order, or a null vote's after the options.
    pub index: u32,
    /// E_1, …, E_m: one encryption per option of the contest.
    pub vector: Vec<Ciphertext<G>>,
    /// ψ, eq. (92) or (93).
    pub selection_hash: HashValue,
    /// Ω(ψ).
    pub short_code: String,
}

/// A contest of a pre-encrypted ballot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreEncryptedContest<G: Group> {
    /// Its label.
    pub contest_id: String,
    /// Its sequence order.
    pub index: u32,
    /// The options' vectors in manifest order, then the L null vectors.
    pub selections: Vec<PreEncryptedSelection<G>>,
    /// χ, eq. (94).
    pub contest_hash: HashValue,
}

/// A pre-encrypted ballot as printed (its short codes and confirmation code) and as the
/// recording tool regenerates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreEncryptedBallot<G: Group> {
    /// The ballot style.
    pub style: String,
    /// The style's contests, in manifest order.
    pub contests: Vec<PreEncryptedContest<G>>,
    /// H(B), eq. (95).
    pub confirmation_code: HashValue,
}

impl<G: Group> PreEncryptedBallot<G> {
    /// Whether two selections of one contest share a short code: such a ballot must not be
    /// printed (§4.1.4); the caller draws another primary nonce.
    pub fn has_short_code_collision(&self) -> bool {
        self.contests.iter().any(|c| {
            let mut codes: Vec<&str> = c.selections.iter().map(|s| s.short_code.as_str()).collect();
            codes.sort_unstable();
            codes.windows(2).any(|w| w[0] == w[1])
        })
    }
}

/// The pre-encrypted ballot of `style` for primary nonce ξ = `primary` under K and H_E, with
/// `aux` as B_aux. An unknown style is an error.
pub fn preencrypt<G: Group>(
    revision: Revision,
    h_e: &HashValue,
    key: &PublicKey<G>,
    manifest: &Manifest,
    style: &str,
    primary: &[u8; 32],
    aux: &[u8],
) -> Result<PreEncryptedBallot<G>, RecordError> {
    let listed = manifest.styles.get(style).ok_or_else(|| {
        RecordError::Invalid(format!("ballot style {style:?} is not in the manifest"))
    })?;
    let mut contests = Vec::new();
    for c in manifest.contests.iter().filter(|c| listed.contains(&c.id)) {
        let contest = Label {
            id: &c.id,
            index: c.index,
        };
        let m = c.options.len() as u32;
        let positions: Vec<(String, u32)> = c
            .options
            .iter()
            .map(|o| (o.id.clone(), o.index))
            .chain((1..=c.limit).map(|n| null_label(n, m)))
            .collect();
        let mut selections = Vec::with_capacity(positions.len());
        for (selection_id, index) in positions {
            let vector_label = Label {
                id: &selection_id,
                index,
            };
            let vector: Vec<Ciphertext<G>> = c
                .options
                .iter()
                .map(|o| {
                    let position = Label {
                        id: &o.id,
                        index: o.index,
                    };
                    let nonce = preencrypted::nonce::<G>(
                        revision,
                        h_e,
                        primary,
                        contest,
                        vector_label,
                        position,
                    );
                    key.encrypt(u64::from(o.id == selection_id), &nonce)
                })
                .collect();
            let selection_hash =
                preencrypted::selection_hash::<G>(revision, h_e, key.element(), &vector);
            selections.push(PreEncryptedSelection {
                short_code: preencrypted::short_code(&selection_hash),
                selection_id,
                index,
                vector,
                selection_hash,
            });
        }
        let hashes: Vec<HashValue> = selections.iter().map(|s| s.selection_hash).collect();
        contests.push(PreEncryptedContest {
            contest_hash: preencrypted::contest_hash::<G>(
                revision,
                h_e,
                contest,
                key.element(),
                &hashes,
            ),
            contest_id: c.id.clone(),
            index: c.index,
            selections,
        });
    }
    let confirmation_code = preencrypted::confirmation_code(
        revision,
        h_e,
        contests.iter().map(|c| &c.contest_hash),
        aux,
    );
    Ok(PreEncryptedBallot {
        style: style.to_owned(),
        contests,
        confirmation_code,
    })
}
