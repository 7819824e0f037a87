use crate::CoreError;
use entente_group::{Group, Scalar, SecretScalar};
use rand::{CryptoRng, RngCore};

/// A guardian's secret polynomial P_i(x) = sum_j a_{i,j} x^j mod q, spec 2.0 §3.2.2 eq. (9).
/// The constant term a_{i,0} is the guardian's secret key s_i. Zeroized on drop.
pub struct SecretPolynomial<G: Group> {
    index: u32,
    coefficients: Vec<SecretScalar<G::Scalar>>,
}

impl<G: Group> SecretPolynomial<G> {
    /// k coefficients drawn uniformly from [1, q) (spec 2.0 §3.2.2: 0 < a_{i,j} < q).
    pub fn random<R: CryptoRng + RngCore + ?Sized>(index: u32, k: u32, rng: &mut R) -> Self {
        let coefficients = (0..k).map(|_| SecretScalar::random_nonzero(rng)).collect();
        Self {
            index,
            coefficients,
        }
    }

    /// A polynomial with given coefficients (test vectors, or a guardian's stored secret).
    pub fn from_coefficients(
        index: u32,
        coefficients: Vec<SecretScalar<G::Scalar>>,
    ) -> Result<Self, CoreError> {
        if coefficients.is_empty() {
            return Err(CoreError::CoefficientCount {
                index,
                what: "polynomial",
                expected: 1,
                actual: 0,
            });
        }
        Ok(Self {
            index,
            coefficients,
        })
    }

    /// The guardian's index i.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The number of coefficients, k.
    pub fn degree_plus_one(&self) -> usize {
        self.coefficients.len()
    }

    /// The coefficients a_{i,0..k}.
    pub fn coefficients(&self) -> &[SecretScalar<G::Scalar>] {
        &self.coefficients
    }

    /// The secret key s_i = a_{i,0}.
    pub fn secret_key(&self) -> &SecretScalar<G::Scalar> {
        &self.coefficients[0]
    }

    /// P_i(x) mod q by Horner's rule, eq. (9).
    pub fn evaluate(&self, x: u32) -> SecretScalar<G::Scalar> {
        let x = G::Scalar::from_u64(u64::from(x));
        let mut acc = G::Scalar::zero();
        for a in self.coefficients.iter().rev() {
            acc = acc.mul(&x).add(a.expose());
        }
        SecretScalar::new(acc)
    }

    /// The commitments K_{i,j} = g^{a_{i,j}}, eq. (10), computed in constant time.
    pub fn commitments(&self) -> Vec<G::Element> {
        self.coefficients
            .iter()
            .map(|a| G::g_pow(a.expose()))
            .collect()
    }
}
