//! Why a guardian complains about a share it received.

/// What was wrong with a received share (spec 2.0 §3.2.2, "Share decryption" and
/// "Share verification").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ComplaintReason {
    /// The MAC C_{i,l,2} does not verify under the derived key k_0 (eq. (19)).
    Mac,
    /// The decrypted value is not an integer below q.
    NotAScalar,
    /// g^{P_i(l)} differs from the product of the commitments (eq. (21)).
    Commitments,
    /// A share published to answer a complaint (§3.2.2) does not reproduce the encryption the
    /// sender published with its nonce.
    Reveal,
}

impl std::fmt::Display for ComplaintReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Mac => "MAC does not verify (eq. (19))",
            Self::NotAScalar => "decrypted value is not below q",
            Self::Commitments => "value does not match the sender's commitments (eq. (21))",
            Self::Reveal => {
                "the published share and nonce do not reproduce the encrypted share (eq. (14)-(19))"
            }
        })
    }
}
