//! ElectionGuard 2.0 on the NIST P-256 curve, as egk-ec runs it (its "2.1" extension; neither
//! the 2.0 nor the 2.1 specification defines a curve): the group's "multiplication" is point
//! addition, "exponentiation" scalar multiplication, and the order q is the curve's order n
//! (cofactor 1: every point on the curve is in the group).
//!
//! The arithmetic is RustCrypto's `p256` (constant-time scalar multiplication; its `_vartime`
//! paths only for public values). What is written here is egk-ec's encoding, checked against
//! its records (`../shared/conformance/egk-ec/README.md`):
//!
//! - an element is 33 bytes: SEC1 compressed (0x02 for even y, 0x03 for odd, then x), and the
//!   point at infinity (the identity) 33 bytes of 0xFF; decoding is strict (prefix 02 or 03,
//!   x < p, on the curve), and that decoding is the membership check;
//! - a scalar is 32 bytes big-endian below n;
//! - a hash becomes a scalar by RFC 9380 `expand_message_xmd` with SHA-256 over its 32 bytes,
//!   DST "QUUX-V01-CS02-with-P256_XMD:SHA-256_SSWU_RO_", 48 bytes, reduced mod n (where the 4096-bit
//!   group takes the 32 bytes mod q).

use p256::elliptic_curve::BatchNormalize;
use p256::elliptic_curve::ff::{Field, PrimeField};
use p256::elliptic_curve::group::Group as _;
use p256::elliptic_curve::ops::LinearCombination;
use p256::elliptic_curve::sec1::{FromSec1Point, ToSec1Point};
use p256::{AffinePoint, ProjectivePoint};
use rand::{CryptoRng, RngCore};
use zeroize::Zeroize;

use crate::GroupError;
use crate::group::{Group, Scalar};

/// The domain separation tag of egk-ec's hash to scalar.
const HASH_TO_SCALAR_DST: &[u8] = b"QUUX-V01-CS02-with-P256_XMD:SHA-256_SSWU_RO_";

/// The encoding of the point at infinity (egk-ec's: neither SEC1's one byte 0x00 nor 33 zeros).
const INFINITY: [u8; 33] = [0xFF; 33];

/// P-256's constants as egk-ec's `constants.json` names them (a, b, the field's prime p, the
/// generator's coordinates, the cofactor h, the order n), each 32 bytes big-endian.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurveConstants {
    /// The curve's a (= p − 3).
    pub a: [u8; 32],
    /// The curve's b.
    pub b: [u8; 32],
    /// The field's prime.
    pub p: [u8; 32],
    /// The generator's x.
    pub g_x: [u8; 32],
    /// The generator's y.
    pub g_y: [u8; 32],
    /// The cofactor (1).
    pub h: [u8; 32],
    /// The group's order n.
    pub n: [u8; 32],
}

fn be32(hex: &str) -> [u8; 32] {
    let bytes = crate::hex::decode_exact(hex, 32).expect("a constant of this file");
    let mut out = [0u8; 32];
    out.copy_from_slice(&bytes);
    out
}

/// P-256's constants (SEC 2 §2.4.2; NIST SP 800-186 §3.2.1.3).
pub fn constants() -> &'static CurveConstants {
    static C: std::sync::LazyLock<CurveConstants> = std::sync::LazyLock::new(|| {
        let mut h = [0u8; 32];
        h[31] = 1;
        CurveConstants {
            a: be32("ffffffff00000001000000000000000000000000fffffffffffffffffffffffc"),
            b: be32("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b"),
            p: be32("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff"),
            g_x: be32("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"),
            g_y: be32("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"),
            h,
            n: be32("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"),
        }
    });
    &C
}

/// The group of P-256's points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct P256;

/// An integer mod n, the curve's order.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ScalarN(p256::Scalar);

impl std::fmt::Debug for ScalarN {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ScalarN({})", self.to_hex())
    }
}

impl Zeroize for ScalarN {
    fn zeroize(&mut self) {
        self.0 = p256::Scalar::ZERO;
    }
}

impl ScalarN {
    /// A 48-byte string read big-endian and reduced mod n (RFC 9380's hash_to_field reduction:
    /// its bias is below 2^-128).
    fn reduce48(bytes: &[u8; 48]) -> Self {
        let mut wide = [0u8; 64];
        wide[16..].copy_from_slice(bytes);
        Self(
            <p256::Scalar as p256::elliptic_curve::ff::FromUniformBytes<64>>::from_uniform_bytes(
                &wide,
            ),
        )
    }
}

impl Scalar for ScalarN {
    fn zero() -> Self {
        Self(p256::Scalar::ZERO)
    }
    fn one() -> Self {
        Self(p256::Scalar::ONE)
    }
    fn from_u64(v: u64) -> Self {
        Self(p256::Scalar::from(v))
    }
    fn add(&self, rhs: &Self) -> Self {
        Self(self.0 + rhs.0)
    }
    fn sub(&self, rhs: &Self) -> Self {
        Self(self.0 - rhs.0)
    }
    fn mul(&self, rhs: &Self) -> Self {
        Self(self.0 * rhs.0)
    }
    fn is_zero(&self) -> bool {
        bool::from(self.0.is_zero())
    }
    fn random<R: CryptoRng + RngCore + ?Sized>(rng: &mut R) -> Self {
        // 48 uniform bytes reduced mod n: statistically uniform (bias below 2^-128), without
        // the `rand_core` version p256's own `random` is tied to.
        let mut bytes = [0u8; 48];
        rng.fill_bytes(&mut bytes);
        let s = Self::reduce48(&bytes);
        bytes.zeroize();
        s
    }
    /// egk-ec's hash to scalar (the README's fact 4): `expand_message_xmd` (RFC 9380 §5.3.1,
    /// SHA-256) over the 32-byte hash, 48 bytes, reduced mod n.
    fn from_hash(bytes: &[u8; 32]) -> Self {
        let okm = expand_message_xmd_48(bytes, HASH_TO_SCALAR_DST);
        Self::reduce48(&okm)
    }
    fn from_canonical_bytes(bytes: &[u8]) -> Result<Self, GroupError> {
        let arr: [u8; 32] = bytes.try_into().map_err(|_| GroupError::Length {
            expected: 32,
            actual: bytes.len(),
        })?;
        p256::Scalar::from_repr(arr.into())
            .into_option()
            .map(Self)
            .ok_or(GroupError::ScalarRange)
    }
    fn to_bytes(&self) -> [u8; 32] {
        let repr = self.0.to_repr();
        let mut out = [0u8; 32];
        out.copy_from_slice(&repr);
        out
    }
}

/// RFC 9380 §5.3.1 `expand_message_xmd` with SHA-256, 48 bytes of output. Through the
/// `hash2curve` crate of the same RustCrypto family as `p256`.
fn expand_message_xmd_48(msg: &[u8], dst: &[u8]) -> [u8; 48] {
    use p256::hash2curve::{ExpandMsg, ExpandMsgXmd, Expander};
    let len = std::num::NonZeroU16::new(48).expect("48 is not zero");
    let mut out = [0u8; 48];
    let dsts = [dst];
    // 48 bytes and a 44-byte DST are within every bound of RFC 9380 §5.3.1 (ell = 2 ≤ 255,
    // DST ≤ 255 bytes): the expansion cannot fail.
    let mut expander = <ExpandMsgXmd<sha2_11::Sha256> as ExpandMsg<
        p256::elliptic_curve::consts::U16,
    >>::expand_message(&[msg], &dsts, len)
    .expect("expand_message_xmd takes 48 bytes under a short DST");
    expander
        .fill_bytes(&mut out)
        .expect("48 bytes were asked for");
    out
}

/// A point of the curve (affine; the identity is the point at infinity).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PointP256(AffinePoint);

fn to_point(p: ProjectivePoint) -> PointP256 {
    PointP256(p.to_affine())
}

static GENERATOR: std::sync::LazyLock<PointP256> =
    std::sync::LazyLock::new(|| PointP256(AffinePoint::GENERATOR));

impl Group for P256 {
    type Scalar = ScalarN;
    type Element = PointP256;
    type Table = ProjectivePoint;

    const NAME: &'static str = "P-256";
    const ELEMENT_BYTES: usize = 33;

    fn generator() -> &'static PointP256 {
        &GENERATOR
    }
    fn identity() -> PointP256 {
        PointP256(AffinePoint::IDENTITY)
    }
    fn mul(a: &PointP256, b: &PointP256) -> PointP256 {
        to_point(ProjectivePoint::from(a.0) + b.0)
    }
    fn inv(a: &PointP256) -> PointP256 {
        PointP256(-a.0)
    }
    fn pow(base: &PointP256, e: &ScalarN) -> PointP256 {
        to_point(ProjectivePoint::from(base.0) * e.0)
    }
    fn g_pow(e: &ScalarN) -> PointP256 {
        to_point(ProjectivePoint::mul_by_generator(&e.0))
    }
    fn vartime_pow(base: &PointP256, e: &ScalarN) -> PointP256 {
        to_point(ProjectivePoint::from(base.0).mul_vartime(&e.0))
    }
    fn vartime_g_pow(e: &ScalarN) -> PointP256 {
        to_point(ProjectivePoint::mul_by_generator(&e.0))
    }
    fn table(base: &PointP256) -> ProjectivePoint {
        ProjectivePoint::from(base.0)
    }
    fn vartime_table_pow(table: &ProjectivePoint, e: &ScalarN) -> PointP256 {
        to_point(table.mul_vartime(&e.0))
    }
    fn vartime_multi_pow(terms: &[(&PointP256, &ScalarN)]) -> PointP256 {
        let pairs: Vec<(ProjectivePoint, p256::Scalar)> = terms
            .iter()
            .map(|(p, s)| (ProjectivePoint::from(p.0), s.0))
            .collect();
        to_point(<ProjectivePoint as LinearCombination<
            [(ProjectivePoint, p256::Scalar)],
        >>::lincomb_vartime(&pairs))
    }
    fn vartime_pow_many(base: &PointP256, exps: &[&ScalarN]) -> Vec<PointP256> {
        let b = ProjectivePoint::from(base.0);
        let points: Vec<ProjectivePoint> = exps.iter().map(|e| b.mul_vartime(&e.0)).collect();
        // One field inversion for all of them.
        <ProjectivePoint as BatchNormalize<[ProjectivePoint]>>::batch_normalize(&points)
            .into_iter()
            .map(PointP256)
            .collect()
    }
    fn vartime_pow_many_checked(base: &PointP256, exps: &[&ScalarN]) -> Option<Vec<PointP256>> {
        // Every point decoded is on the curve, and the curve is the group (cofactor 1).
        Some(Self::vartime_pow_many(base, exps))
    }

    fn write_element(e: &PointP256, out: &mut Vec<u8>) {
        if e.0 == AffinePoint::IDENTITY {
            out.extend_from_slice(&INFINITY);
        } else {
            out.extend_from_slice(e.0.to_sec1_point(true).as_bytes());
        }
    }
    fn element_from_bytes(bytes: &[u8]) -> Result<PointP256, GroupError> {
        if bytes.len() != 33 {
            return Err(GroupError::Length {
                expected: 33,
                actual: bytes.len(),
            });
        }
        if bytes == INFINITY {
            return Ok(Self::identity());
        }
        // SEC1 decoding accepts other forms (uncompressed, 0x00 for infinity): only 02 and 03.
        if bytes[0] != 0x02 && bytes[0] != 0x03 {
            return Err(GroupError::ElementRange);
        }
        // x ≥ p, or an x with no y on the curve: no point.
        AffinePoint::from_sec1_bytes(bytes)
            .map(PointP256)
            .map_err(|_| GroupError::NotOnCurve)
    }
    fn element_from_bytes_unchecked(bytes: &[u8]) -> Result<PointP256, GroupError> {
        // Decoding is the whole check: nothing is left for later.
        Self::element_from_bytes(bytes)
    }
    fn batch_is_member<R: CryptoRng + RngCore + ?Sized>(
        _elements: &[&PointP256],
        _rng: &mut R,
    ) -> bool {
        // Every element was decoded strictly, so each is a point of the curve (the group).
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn rng() -> rand_chacha::ChaCha20Rng {
        rand_chacha::ChaCha20Rng::seed_from_u64(256)
    }

    #[test]
    fn the_group_laws_hold_on_the_curve() {
        let mut r = rng();
        let (a, b) = (ScalarN::random(&mut r), ScalarN::random(&mut r));
        let g = P256::generator();
        // g^a · g^b = g^(a+b); (g^a)^b = g^(ab); x · x^-1 = 1; the vartime paths agree.
        assert_eq!(
            P256::mul(&P256::g_pow(&a), &P256::g_pow(&b)),
            P256::g_pow(&a.add(&b))
        );
        assert_eq!(P256::pow(&P256::g_pow(&a), &b), P256::g_pow(&a.mul(&b)));
        let x = P256::g_pow(&a);
        assert_eq!(P256::mul(&x, &P256::inv(&x)), P256::identity());
        assert_eq!(P256::vartime_pow(g, &a), P256::pow(g, &a));
        assert_eq!(P256::vartime_g_pow(&b), P256::g_pow(&b));
        assert_eq!(
            P256::vartime_table_pow(&P256::table(&x), &b),
            P256::pow(&x, &b)
        );
        assert_eq!(
            P256::vartime_multi_pow(&[(g, &a), (&x, &b)]),
            P256::mul(&P256::g_pow(&a), &P256::pow(&x, &b))
        );
        assert_eq!(
            P256::vartime_pow_many(&x, &[&a, &b]),
            vec![P256::pow(&x, &a), P256::pow(&x, &b)]
        );
        // n · g = the point at infinity: g^0.
        assert_eq!(P256::g_pow(&ScalarN::zero()), P256::identity());
    }

    #[test]
    fn elements_encode_as_egk_ec_writes_them_and_decode_strictly() {
        let g = P256::element_to_bytes(P256::generator());
        assert_eq!(
            crate::hex::encode(&g),
            "036B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296"
        );
        assert_eq!(P256::element_from_bytes(&g).unwrap(), *P256::generator());
        assert_eq!(P256::element_to_bytes(&P256::identity()), vec![0xFF; 33]);
        assert_eq!(
            P256::element_from_bytes(&[0xFF; 33]).unwrap(),
            P256::identity()
        );
        // Other SEC1 forms, a bad prefix, a short string, 33 zeros: refused.
        for bad in [vec![0u8; 33], vec![0x04; 33], g[..32].to_vec(), vec![0x00]] {
            assert!(P256::element_from_bytes(&bad).is_err(), "{bad:?}");
        }
        // x = p (not below p), and an x with no point: refused as no point of the curve.
        let mut x_is_p = vec![0x02];
        x_is_p.extend(
            crate::hex::decode_exact(
                "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff",
                32,
            )
            .unwrap(),
        );
        assert_eq!(
            P256::element_from_bytes(&x_is_p),
            Err(GroupError::NotOnCurve)
        );
        // About half of all x have no point: among the first few, some decode (and encode back
        // the same) and the others are refused as no point of the curve.
        let (mut points, mut none) = (0, 0);
        for x in 1u8..=40 {
            let mut bytes = vec![0x02; 33];
            bytes[1..].fill(0);
            bytes[32] = x;
            match P256::element_from_bytes(&bytes) {
                Ok(p) => {
                    assert_eq!(P256::element_to_bytes(&p), bytes);
                    points += 1;
                }
                Err(e) => {
                    assert_eq!(e, GroupError::NotOnCurve);
                    none += 1;
                }
            }
        }
        assert!(points > 5 && none > 5, "{points} points, {none} refused");
    }

    /// The constants are the curve's: the generator they name is the library's, and n is the
    /// order (n·g is the identity; (n−1)·g is −g).
    #[test]
    fn the_constants_are_p256_s() {
        let c = constants();
        let mut g = vec![0x02 | (c.g_y[31] & 1)];
        g.extend_from_slice(&c.g_x);
        assert_eq!(P256::element_from_bytes(&g).unwrap(), *P256::generator());
        let mut n_minus_1 = c.n;
        n_minus_1[31] -= 1;
        let s = ScalarN::from_canonical_bytes(&n_minus_1).unwrap();
        assert_eq!(P256::g_pow(&s), P256::inv(P256::generator()));
        assert_eq!(
            ScalarN::from_canonical_bytes(&c.n),
            Err(GroupError::ScalarRange)
        );
    }

    #[test]
    fn scalars_are_canonical_below_n() {
        let n = crate::hex::decode_exact(
            "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
            32,
        )
        .unwrap();
        assert_eq!(
            ScalarN::from_canonical_bytes(&n),
            Err(GroupError::ScalarRange)
        );
        let mut below = n.clone();
        below[31] -= 1;
        let s = ScalarN::from_canonical_bytes(&below).unwrap();
        assert_eq!(s.add(&ScalarN::one()), ScalarN::zero());
        assert_eq!(s.to_bytes().to_vec(), below);
        assert!(ScalarN::from_canonical_bytes(&n[..31]).is_err());
    }

    /// egk-ec's hash to scalar is RFC 9380's expand_message_xmd (SHA-256, 48 bytes, egk-ec's
    /// DST) reduced mod n: the expander's output against §5.3.1's definition, computed here.
    #[test]
    fn hash_to_scalar_is_rfc_9380_expand_message_xmd() {
        use sha2::{Digest, Sha256};
        let msg = [7u8; 32];
        let dst = HASH_TO_SCALAR_DST;
        // §5.3.1 with ell = 2: b_0 = H(Z_pad ‖ msg ‖ I2OSP(48, 2) ‖ 0 ‖ DST'), b_1 = H(b_0 ‖ 1 ‖
        // DST'), b_2 = H((b_0 ⊕ b_1) ‖ 2 ‖ DST'), DST' = DST ‖ I2OSP(len(DST), 1).
        let dst_prime = [dst, &[dst.len() as u8]].concat();
        let b0 = Sha256::digest([&[0u8; 64][..], &msg, &[0, 48], &[0], &dst_prime].concat());
        let b1 = Sha256::digest([&b0[..], &[1], &dst_prime].concat());
        let x: Vec<u8> = b0.iter().zip(b1.iter()).map(|(a, b)| a ^ b).collect();
        let b2 = Sha256::digest([&x[..], &[2], &dst_prime].concat());
        let okm: Vec<u8> = [&b1[..], &b2[..16]].concat();
        assert_eq!(expand_message_xmd_48(&msg, dst).to_vec(), okm);
        let okm: [u8; 48] = okm.try_into().unwrap();
        assert_eq!(ScalarN::from_hash(&msg), ScalarN::reduce48(&okm));
    }
}
