//! Contest data (spec 2.0 §3.3.6, §3.3.7): what a contest's selections cannot say (an overvote
//! and the options it chose, an undervote, a null vote, write-in texts), encoded in a fixed
//! number of 32-byte blocks and encrypted with hashed ElGamal under K.
//!
//! The spec leaves the encoding open; the conformance records use a protocol-buffers message
//! (`ContestData`: status = 1, over_votes = 2, write_ins = 3, filler = 4) padded with a filler
//! string to exactly (1 + L) · 32 bytes, and derive the keys with egk's labels (see
//! docs/spec-notes.md). Entente writes that form and reads it and the spec's.

use entente_group::Group;
use prost::Message;

use crate::RecordError;
use crate::hash::{hmac, verify_hmac};
use crate::{HashValue, Hasher};

/// The protocol-buffers message of the records.
#[derive(Clone, PartialEq, prost::Message)]
struct ContestDataMessage {
    #[prost(enumeration = "ContestStatus", tag = "1")]
    status: i32,
    #[prost(uint32, repeated, tag = "2")]
    over_votes: Vec<u32>,
    #[prost(string, repeated, tag = "3")]
    write_ins: Vec<String>,
    #[prost(string, tag = "4")]
    filler: String,
}

/// How the voter filled in a contest (spec 2.0 §3.3.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum ContestStatus {
    /// As many selections as allowed.
    Normal = 0,
    /// No selection.
    NullVote = 1,
    /// More selections than allowed: every selection is encrypted as 0.
    OverVote = 2,
    /// Fewer selections than allowed.
    UnderVote = 3,
}

impl ContestStatus {
    /// The name the records' JSON uses.
    pub fn record_name(self) -> &'static str {
        match self {
            ContestStatus::Normal => "normal",
            ContestStatus::NullVote => "null_vote",
            ContestStatus::OverVote => "over_vote",
            ContestStatus::UnderVote => "under_vote",
        }
    }

    /// The status a record's name stands for.
    pub fn from_record_name(name: &str) -> Option<Self> {
        [
            Self::Normal,
            Self::NullVote,
            Self::OverVote,
            Self::UnderVote,
        ]
        .into_iter()
        .find(|s| s.record_name() == name)
    }
}

/// The plaintext contest data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContestData {
    /// Normal, null vote, overvote or undervote.
    pub status: ContestStatus,
    /// On an overvote, the sequence orders of the options the voter chose.
    pub over_votes: Vec<u32>,
    /// Write-in texts.
    pub write_ins: Vec<String>,
}

/// Write-ins longer than this are cut (and marked with "*") when the data does not fit.
const CHOP_WRITE_INS: usize = 30;

impl ContestData {
    fn message(&self, filler: String) -> ContestDataMessage {
        ContestDataMessage {
            status: self.status as i32,
            over_votes: self.over_votes.clone(),
            write_ins: self.write_ins.clone(),
            filler,
        }
    }

    /// Encodes as a record of `layout` holds it: [`ContestData::encode`] in 2.0,
    /// [`ContestData::encode_21`] in egk-ec's 2.1.
    pub fn encode_in(&self, layout: crate::Layout, limit: u32) -> Vec<u8> {
        match layout {
            crate::Layout::Json20 => self.encode(limit),
            crate::Layout::Json21 => self.encode_21(limit),
        }
    }

    /// Decodes as a record of `layout` holds it: [`ContestData::decode`] in 2.0,
    /// [`ContestData::decode_21`] in egk-ec's 2.1.
    pub fn decode_in(layout: crate::Layout, bytes: &[u8]) -> Result<Self, RecordError> {
        match layout {
            crate::Layout::Json20 => Self::decode(bytes),
            crate::Layout::Json21 => Self::decode_21(bytes),
        }
    }

    /// Encodes into exactly (1 + L) · 32 bytes (the records' size). Data that does not fit is
    /// cut as the records' writer does: write-ins beyond L become "*", long write-ins are cut
    /// to 30 characters plus "*", a long overvote list is cut to L + 1 entries plus u32::MAX.
    pub fn encode(&self, limit: u32) -> Vec<u8> {
        let size = (1 + limit as usize) * 32;
        let mut data = self.fit(limit, size, |d| d.message(String::new()).encoded_len());
        // Fill up with a filler string; its tag and length take 2 or 3 bytes.
        loop {
            let mut bytes = data.message(String::new()).encode_to_vec();
            let free = size.saturating_sub(bytes.len());
            let filler = (0..=free).rev().find(|&n| {
                let tagged = ContestDataMessage {
                    filler: "*".repeat(n),
                    ..Default::default()
                }
                .encoded_len();
                bytes.len() + tagged == size
            });
            match filler {
                Some(n) => return data.message("*".repeat(n)).encode_to_vec(),
                None if free == 0 => {
                    bytes.resize(size, 0);
                    return bytes;
                }
                // No filler length fits exactly (1 byte free, or 130): give up one character of
                // the longest write-in, or one overvote entry, and try again.
                None => {
                    if let Some(w) = data.write_ins.iter_mut().max_by_key(|w| w.len()) {
                        w.pop();
                    } else {
                        data.over_votes.pop();
                    }
                }
            }
        }
    }

    /// The data cut to fit `size` bytes as `len` measures it, as the records' writer cuts:
    /// write-ins beyond L become "*", long write-ins are cut to 30 characters plus "*", a long
    /// overvote list is cut to L + 1 entries plus u32::MAX, and only then (absurd write-ins)
    /// write-ins are dropped, the marker kept.
    fn fit(&self, limit: u32, size: usize, len: impl Fn(&ContestData) -> usize) -> ContestData {
        let mut data = self.clone();
        if len(&data) > size && data.write_ins.len() > limit as usize {
            data.write_ins.truncate(limit as usize);
            data.write_ins.push("*".to_owned());
        }
        if len(&data) > size {
            for w in &mut data.write_ins {
                if w.chars().count() > CHOP_WRITE_INS {
                    *w = w.chars().take(CHOP_WRITE_INS).collect::<String>() + "*";
                }
            }
        }
        if len(&data) > size && data.over_votes.len() > limit as usize + 1 {
            data.over_votes.truncate(limit as usize + 1);
            data.over_votes.push(u32::MAX);
        }
        while len(&data) > size && !data.write_ins.is_empty() {
            data.write_ins.pop();
            if data.write_ins.is_empty() {
                data.write_ins.push("*".to_owned());
                break;
            }
        }
        data
    }

    /// Encodes as egk-ec's 2.1 layout writes it (see [`ContestData::decode_21`]) into exactly
    /// numBytes = 32 · (L + 1) − 2 bytes, zero padded; data that does not fit is cut as
    /// [`ContestData::encode`] cuts it.
    pub fn encode_21(&self, limit: u32) -> Vec<u8> {
        let size = 32 * (limit as usize + 1) - 2;
        let mut bytes = self.fit(limit, size, |d| d.bytes_21().len()).bytes_21();
        // Once cut, it fits: at most L + 2 overvotes of at most 5 bytes, one write-in "*" and a
        // status name of at most 11 bytes take at most 5L + 20 < 32L + 30 bytes.
        debug_assert!(bytes.len() <= size);
        bytes.resize(size, 0);
        bytes
    }

    /// The 2.1 encoding, unpadded.
    fn bytes_21(&self) -> Vec<u8> {
        fn varint(out: &mut Vec<u8>, mut n: u64) {
            while n >= 0x80 {
                out.push((n as u8 & 0x7F) | 0x80);
                n >>= 7;
            }
            out.push(n as u8);
        }
        let mut out = Vec::new();
        varint(&mut out, self.over_votes.len() as u64);
        for &o in &self.over_votes {
            varint(&mut out, u64::from(o));
        }
        varint(&mut out, self.write_ins.len() as u64);
        for w in &self.write_ins {
            varint(&mut out, w.len() as u64);
            out.extend(w.as_bytes());
        }
        let name = self.status.record_name();
        varint(&mut out, name.len() as u64);
        out.extend(name.as_bytes());
        out
    }

    /// The plaintext as egk-ec's 2.1 layout writes it (its README, fact 7; no protobuf):
    /// varint(count of over-votes), each a varint; varint(count of write-ins), each
    /// varint(length) ‖ UTF-8; varint(length) ‖ the status's name; then zero bytes.
    pub fn decode_21(bytes: &[u8]) -> Result<Self, RecordError> {
        let bad = |why: &str| RecordError::ContestDataFormat(format!("2.1 contest data: {why}"));
        let mut at = 0usize;
        let varint = |at: &mut usize| -> Result<u64, RecordError> {
            let mut value = 0u64;
            for shift in (0..64).step_by(7) {
                let b = *bytes.get(*at).ok_or_else(|| bad("cut short"))?;
                *at += 1;
                value |= u64::from(b & 0x7F) << shift;
                if b & 0x80 == 0 {
                    return Ok(value);
                }
            }
            Err(bad("a varint longer than 64 bits"))
        };
        let count = |n: u64| -> Result<usize, RecordError> {
            usize::try_from(n)
                .ok()
                .filter(|&n| n <= bytes.len())
                .ok_or_else(|| bad("a count longer than the data"))
        };
        let n_over = count(varint(&mut at)?)?;
        let mut over_votes = Vec::with_capacity(n_over);
        for _ in 0..n_over {
            over_votes.push(u32::try_from(varint(&mut at)?).map_err(|_| bad("an over-vote"))?);
        }
        let text = |at: &mut usize| -> Result<String, RecordError> {
            let len = count(varint(at)?)?;
            let end = at
                .checked_add(len)
                .filter(|&e| e <= bytes.len())
                .ok_or_else(|| bad("a text cut short"))?;
            let s = std::str::from_utf8(&bytes[*at..end])
                .map_err(|_| bad("a text that is not UTF-8"))?;
            *at = end;
            Ok(s.to_owned())
        };
        let n_write_ins = count(varint(&mut at)?)?;
        let mut write_ins = Vec::with_capacity(n_write_ins);
        for _ in 0..n_write_ins {
            write_ins.push(text(&mut at)?);
        }
        let name = text(&mut at)?;
        let status = ContestStatus::from_record_name(&name)
            .ok_or_else(|| bad(&format!("unknown status {name:?}")))?;
        if bytes[at..].iter().any(|&b| b != 0) {
            return Err(bad("bytes after the status that are not zero padding"));
        }
        Ok(Self {
            status,
            over_votes,
            write_ins,
        })
    }

    /// Decodes the records' form: the 2.0 records' protobuf (trailing zero bytes, padding to
    /// the block size, are allowed).
    pub fn decode(bytes: &[u8]) -> Result<Self, RecordError> {
        let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        let msg = ContestDataMessage::decode(&bytes[..end])
            .map_err(|e| RecordError::ContestDataFormat(e.to_string()))?;
        let status = ContestStatus::try_from(msg.status).map_err(|_| {
            RecordError::ContestDataFormat(format!("unknown status {}", msg.status))
        })?;
        Ok(Self {
            status,
            over_votes: msg.over_votes,
            write_ins: msg.write_ins,
        })
    }
}

/// Hashed-ElGamal ciphertext of contest data, C_D = (C_0, C_1, C_2), eq. (53)–(55).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedContestData<G: Group> {
    /// C_0 = α = g^ξ.
    pub c0: G::Element,
    /// C_1: the blocks XOR the keys.
    pub c1: Vec<u8>,
    /// C_2: the MAC.
    pub c2: [u8; 32],
    /// The plaintext length in bytes (the records' `numBytes`).
    pub num_bytes: u32,
}

/// Which key derivation the ciphertext was made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KdfLayout {
    /// The records': label "share_enc_keys", context "contest_data" ‖ contest label, length
    /// 8 · numBytes.
    Records,
    /// Spec 2.0 eq. (52): label "data_enc_keys", context "contest_data" ‖ b(ind_c, 4), length
    /// (b_D + 1) · 256.
    Spec,
}

/// k = H(H_E; 0x22, K, α, β), eq. (51).
pub fn secret_key<G: Group>(
    h_e: &HashValue,
    key: &G::Element,
    alpha: &G::Element,
    beta: &G::Element,
) -> [u8; 32] {
    Hasher::new(h_e.as_bytes(), 0x22)
        .element::<G>(key)
        .element::<G>(alpha)
        .element::<G>(beta)
        .finish()
        .0
}

/// k_0 (the MAC key) and k_1..k_bD, eq. (52), in the given layout.
pub fn keys(
    k: &[u8; 32],
    layout: KdfLayout,
    contest_id: &str,
    contest_index: u32,
    num_bytes: u32,
) -> Vec<[u8; 32]> {
    let blocks = num_bytes.div_ceil(32);
    (0..=blocks)
        .map(|i| {
            let i = i.to_be_bytes();
            match layout {
                KdfLayout::Records => hmac(
                    k,
                    &[
                        &i,
                        b"share_enc_keys",
                        &[0],
                        b"contest_data",
                        contest_id.as_bytes(),
                        &(num_bytes * 8).to_be_bytes(),
                    ],
                ),
                KdfLayout::Spec => hmac(
                    k,
                    &[
                        &i,
                        b"data_enc_keys",
                        &[0],
                        b"contest_data",
                        &contest_index.to_be_bytes(),
                        &((blocks + 1) * 256).to_be_bytes(),
                    ],
                ),
            }
        })
        .collect()
}

/// XOR of the blocks with k_1, k_2, … (eq. (54) and its inverse).
pub fn xor_blocks(data: &[u8], keys: &[[u8; 32]]) -> Vec<u8> {
    data.chunks(32)
        .zip(&keys[1..])
        .flat_map(|(block, k)| block.iter().zip(k).map(|(a, b)| a ^ b).collect::<Vec<_>>())
        .collect()
}

impl<G: Group> EncryptedContestData<G> {
    /// C_2 = HMAC(k_0, b(C_0, l_p) ‖ C_1), eq. (55).
    pub fn mac(mac_key: &[u8; 32], c0: &G::Element, c1: &[u8]) -> [u8; 32] {
        hmac(mac_key, &[&G::element_to_bytes(c0), c1])
    }

    /// Decrypts with β = K^ξ (from the nonce) or β = C_0^s (from the guardians): tries the
    /// records' key derivation, then the spec's; the MAC decides.
    pub fn decrypt_with_beta(
        &self,
        h_e: &HashValue,
        key: &G::Element,
        beta: &G::Element,
        contest_id: &str,
        contest_index: u32,
    ) -> Result<Vec<u8>, RecordError> {
        if self.c1.len() != (self.num_bytes as usize).div_ceil(32) * 32 {
            return Err(RecordError::ContestDataFormat(format!(
                "c1 has {} bytes, numBytes {} needs {}",
                self.c1.len(),
                self.num_bytes,
                (self.num_bytes as usize).div_ceil(32) * 32
            )));
        }
        let k = secret_key::<G>(h_e, key, &self.c0, beta);
        for layout in [KdfLayout::Records, KdfLayout::Spec] {
            let ks = keys(&k, layout, contest_id, contest_index, self.num_bytes);
            if verify_hmac(
                &ks[0],
                &[&G::element_to_bytes(&self.c0), &self.c1],
                &self.c2,
            ) {
                let mut plain = xor_blocks(&self.c1, &ks);
                plain.truncate(self.num_bytes as usize);
                return Ok(plain);
            }
        }
        Err(RecordError::ContestDataMac)
    }
}

/// How C_1 enters the challenge of eq. (81).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum C1Encoding {
    /// The spec's: C_1's bytes. Entente writes this.
    Bytes,
    /// egk's records: the text of C_1 in upper-case hex (docs/spec-notes.md).
    HexText,
}

/// c = H(H_E; 0x31, K, C_0, C_1, C_2, a, b, β), eq. (81), with C_1 as `encoding` says.
pub fn decryption_challenge<G: Group>(
    h_e: &HashValue,
    key: &G::Element,
    data: &EncryptedContestData<G>,
    a: &G::Element,
    b: &G::Element,
    beta: &G::Element,
    encoding: C1Encoding,
) -> G::Scalar {
    let h = Hasher::new(h_e.as_bytes(), 0x31)
        .element::<G>(key)
        .element::<G>(&data.c0);
    let h = match encoding {
        C1Encoding::Bytes => h.bytes(&data.c1),
        C1Encoding::HexText => h.bytes(
            entente_group::hex::encode(&data.c1)
                .to_uppercase()
                .as_bytes(),
        ),
    };
    h.bytes(&data.c2)
        .element::<G>(a)
        .element::<G>(b)
        .element::<G>(beta)
        .finish()
        .to_scalar()
}

/// A contest-data decryption as published (spec 2.0 §3.6.4): β = C_0^s and the proof (c, v)
/// of eq. (81), (85).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContestDataDecryption<G: Group> {
    /// β.
    pub beta: G::Element,
    /// c.
    pub challenge: G::Scalar,
    /// v.
    pub response: G::Scalar,
}

impl<G: Group> EncryptedContestData<G> {
    /// Verification 11: with a = g^v K^c and b = C_0^v β^c, the challenge c is
    /// H(H_E; 0x31, K, C_0, C_1, C_2, a, b, β): β = C_0^s for the s behind K. The challenge may
    /// hash C_1 as the spec says or as egk's records do; either proves the same statement.
    pub fn verify_decryption(
        &self,
        h_e: &HashValue,
        key: &super::PublicKey<G>,
        beta: &G::Element,
        challenge: &G::Scalar,
        response: &G::Scalar,
    ) -> Result<(), RecordError> {
        let a = G::mul(&G::vartime_g_pow(response), &key.pow(challenge));
        let b = G::vartime_multi_pow(&[(&self.c0, response), (beta, challenge)]);
        let holds = |encoding| {
            decryption_challenge::<G>(h_e, key.element(), self, &a, &b, beta, encoding)
                == *challenge
        };
        if holds(C1Encoding::Bytes) || holds(C1Encoding::HexText) {
            Ok(())
        } else {
            Err(RecordError::DecryptionProof)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_has_the_fixed_size_and_round_trips() {
        for limit in [1u32, 2, 3] {
            for data in [
                ContestData {
                    status: ContestStatus::NullVote,
                    over_votes: vec![],
                    write_ins: vec![],
                },
                ContestData {
                    status: ContestStatus::OverVote,
                    over_votes: vec![1, 2, 3, 4, 5, 6, 7, 8, 9],
                    write_ins: vec![],
                },
                ContestData {
                    status: ContestStatus::Normal,
                    over_votes: vec![],
                    write_ins: vec!["Ada Lovelace".into()],
                },
            ] {
                let bytes = data.encode(limit);
                assert_eq!(bytes.len(), (1 + limit as usize) * 32);
                let back = ContestData::decode(&bytes).unwrap();
                assert_eq!(back.status, data.status);
                if data.over_votes.len() <= limit as usize + 1 {
                    assert_eq!(back, data);
                }
            }
        }
    }

    #[test]
    fn every_free_size_is_filled_exactly() {
        // Write-ins of every length exercise every amount of free space, 1 and 130 included.
        for n in 0..200 {
            let data = ContestData {
                status: ContestStatus::Normal,
                over_votes: vec![],
                write_ins: vec!["w".repeat(n)],
            };
            for limit in [1u32, 4, 8] {
                let bytes = data.encode(limit);
                assert_eq!(
                    bytes.len(),
                    (1 + limit as usize) * 32,
                    "n = {n}, L = {limit}"
                );
                let back = ContestData::decode(&bytes).unwrap();
                assert_eq!(back.status, ContestStatus::Normal);
            }
        }
    }

    #[test]
    fn records_null_vote_encoding() {
        // The first bytes the conformance vector decrypts to: status null_vote, then a filler
        // of 60 '*' (64 bytes in all, L = 1).
        let data = ContestData {
            status: ContestStatus::NullVote,
            over_votes: vec![],
            write_ins: vec![],
        };
        let bytes = data.encode(1);
        assert_eq!(&bytes[..4], &[0x08, 0x01, 0x22, 0x3c]);
        assert!(bytes[4..].iter().all(|&b| b == b'*'));
    }

    /// The 2.1 encoder writes what the reader reads, at exactly 32 · (L + 1) − 2 bytes, and
    /// cuts what does not fit as the 2.0 encoder does.
    #[test]
    fn the_2_1_contest_data_is_written_to_its_size() {
        let data = ContestData {
            status: ContestStatus::OverVote,
            over_votes: vec![3, 300],
            write_ins: vec!["Zoë".into()],
        };
        let bytes = data.encode_21(1);
        assert_eq!(bytes.len(), 62);
        let mut expected = vec![2, 3, 0xAC, 0x02, 1, 4];
        expected.extend("Zoë".as_bytes());
        expected.push(9);
        expected.extend(b"over_vote");
        expected.resize(62, 0);
        assert_eq!(bytes, expected);
        assert_eq!(ContestData::decode_21(&bytes).unwrap(), data);
        let long = ContestData {
            status: ContestStatus::OverVote,
            over_votes: (0..40).collect(),
            write_ins: vec!["x".repeat(200); 5],
        };
        for limit in [1, 2, 5] {
            let bytes = long.encode_21(limit);
            assert_eq!(bytes.len(), 32 * (limit as usize + 1) - 2);
            let read = ContestData::decode_21(&bytes).unwrap();
            assert_eq!(read.status, ContestStatus::OverVote);
            assert_eq!(read.over_votes.last(), Some(&u32::MAX), "L = {limit}");
            assert_eq!(read.over_votes.len(), limit as usize + 2, "L = {limit}");
        }
    }

    /// egk-ec's 2.1 plaintext: varint counts and lengths, the status by name, zero padding;
    /// anything else is refused.
    #[test]
    fn the_2_1_contest_data_is_read_and_anything_else_refused() {
        // 2 over-votes (3, 300), 1 write-in "Zoë", status "over_vote", then zeros.
        let mut bytes = vec![2, 3, 0xAC, 0x02, 1, 4];
        bytes.extend("Zoë".as_bytes());
        bytes.push(9);
        bytes.extend(b"over_vote");
        bytes.extend([0u8; 20]);
        assert_eq!(
            ContestData::decode_21(&bytes).unwrap(),
            ContestData {
                status: ContestStatus::OverVote,
                over_votes: vec![3, 300],
                write_ins: vec!["Zoë".into()],
            }
        );
        let mut normal = vec![0, 0, 6];
        normal.extend(b"normal");
        normal.extend([0u8; 54]);
        assert_eq!(
            ContestData::decode_21(&normal).unwrap().status,
            ContestStatus::Normal
        );
        let mut trailing = normal.clone();
        trailing[20] = 1;
        let mut unknown = vec![0, 0, 5];
        unknown.extend(b"weird");
        for bad in [
            &bytes[..5],
            &[0x80; 12][..],
            &[0, 0, 200, b'n'][..],
            &trailing[..],
            &unknown[..],
            &[0, 1, 2, 0xFF, 0xFE, 0][..],
        ] {
            assert!(ContestData::decode_21(bad).is_err(), "{bad:?}");
        }
    }
}
