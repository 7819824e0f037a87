//! Fixed-width, upper-case hexadecimal: the text form of elements, scalars and hashes in
//! ElectionGuard records (the conformance records write 1024 digits for an element of the
//! 4096-bit group and 64 for a scalar or a hash, upper case).

use crate::GroupError;

/// Upper-case hex of `bytes`, two digits per byte (so fixed-width input stays fixed-width).
pub fn encode(bytes: &[u8]) -> String {
    ::hex::encode_upper(bytes)
}

/// Decodes hex (either case) that must encode exactly `len` bytes.
pub fn decode_exact(text: &str, len: usize) -> Result<Vec<u8>, GroupError> {
    if text.len() != 2 * len {
        return Err(GroupError::Length {
            expected: len,
            actual: text.len() / 2,
        });
    }
    ::hex::decode(text).map_err(|e| GroupError::Hex(e.to_string()))
}

/// Decodes hex (either case) into a fixed-size array.
pub fn decode_array<const N: usize>(text: &str) -> Result<[u8; N], GroupError> {
    let v = decode_exact(text, N)?;
    let mut out = [0u8; N];
    out.copy_from_slice(&v);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_case() {
        assert_eq!(encode(&[0x0a, 0xff]), "0AFF");
        assert_eq!(decode_exact("0aFF", 2).unwrap(), vec![0x0a, 0xff]);
        assert_eq!(
            decode_exact("0AF", 2),
            Err(GroupError::Length {
                expected: 2,
                actual: 1
            })
        );
        assert!(matches!(decode_exact("0G", 1), Err(GroupError::Hex(_))));
    }
}
