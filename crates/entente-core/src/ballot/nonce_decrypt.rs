//! Decrypting a challenged ballot from its primary nonce (spec 2.0 §3.3.2: the ballot nonce
//! re-derives every selection nonce, so it opens the whole ballot). This is what lets a voter
//! who challenged a ballot see what the device encrypted, without any guardian.

use entente_group::{Group, Scalar};
use entente_record::RecordError;
use entente_record::ballot::hashes::{self, Label};
use entente_record::ballot::{
    ContestData, EncryptedBallot, PlaintextBallot, PlaintextContest, PlaintextSelection, PublicKey,
};
use entente_record::{HashValue, Layout, Revision};

/// A ballot opened with its primary nonce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedBallot {
    /// The values the selections encrypt, in the plaintext-ballot form.
    pub plaintext: PlaintextBallot,
    /// Each contest's decrypted contest data (overvote, undervote, write-ins), by contest.
    pub contest_data: Vec<(String, ContestData)>,
}

/// Opens every selection and the contest data of `ballot` with its primary nonce ξ_B. Each
/// selection's nonce ξ must reproduce its α = g^ξ; its value t is found from β / K^ξ = K^t with
/// t in the range its proof covers; the contest data is decoded as a record of `layout` encodes
/// it. Any mismatch is an error naming the contest and selection.
pub fn decrypt_with_nonce<G: Group>(
    revision: Revision,
    layout: Layout,
    h_e: &HashValue,
    key: &PublicKey<G>,
    ballot: &EncryptedBallot<G>,
    primary: &[u8; 32],
) -> Result<OpenedBallot, RecordError> {
    let mut contests = Vec::with_capacity(ballot.contests.len());
    let mut datas = Vec::with_capacity(ballot.contests.len());
    for c in &ballot.contests {
        let clabel = Label {
            id: &c.contest_id,
            index: c.sequence_order,
        };
        let mut selections = Vec::with_capacity(c.selections.len());
        for s in &c.selections {
            let at = || format!("contest {}, selection {}", c.contest_id, s.selection_id);
            let nonce = hashes::selection_nonce::<G>(
                revision,
                h_e,
                primary,
                clabel,
                Label {
                    id: &s.selection_id,
                    index: s.sequence_order,
                },
            );
            if G::vartime_g_pow(&nonce) != s.ciphertext.alpha {
                return Err(RecordError::Invalid(format!(
                    "{}: the primary nonce does not reproduce alpha",
                    at()
                )));
            }
            // β / K^ξ = K^t.
            let k_t = G::mul(&s.ciphertext.beta, &G::inv(&key.pow(&nonce)));
            let limit = s.proof.limit();
            let vote = (0..=limit)
                .find(|&t| key.pow(&G::Scalar::from_u64(u64::from(t))) == k_t)
                .ok_or_else(|| {
                    RecordError::Invalid(format!("{}: the value is not in 0..={limit}", at()))
                })?;
            selections.push(PlaintextSelection {
                selection_id: s.selection_id.clone(),
                sequence_order: i64::from(s.sequence_order),
                vote: i64::from(vote),
            });
        }
        // The contest data: the spec's nonce derivation first, then egk's (without the string's
        // length); the MAC tells which one the device used.
        let data = [true, false]
            .into_iter()
            .find_map(|with_length| {
                let nonce =
                    hashes::contest_data_nonce::<G>(revision, h_e, primary, clabel, with_length);
                if G::vartime_g_pow(&nonce) != c.contest_data.c0 {
                    return None;
                }
                c.contest_data
                    .decrypt_with_beta(
                        h_e,
                        key.element(),
                        &key.pow(&nonce),
                        &c.contest_id,
                        c.sequence_order,
                    )
                    .ok()
            })
            .ok_or_else(|| {
                RecordError::Invalid(format!(
                    "contest {}: the primary nonce does not open the contest data",
                    c.contest_id
                ))
            })?;
        let data = ContestData::decode_in(layout, &data)?;
        contests.push(PlaintextContest {
            contest_id: c.contest_id.clone(),
            sequence_order: i64::from(c.sequence_order),
            selections,
            write_ins: data.write_ins.clone(),
        });
        datas.push((c.contest_id.clone(), data));
    }
    Ok(OpenedBallot {
        plaintext: PlaintextBallot {
            ballot_id: ballot.ballot_id.clone(),
            ballot_style: ballot.ballot_style_id.clone(),
            contests,
            sn: None,
        },
        contest_data: datas,
    })
}
