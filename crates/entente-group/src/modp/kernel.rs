//! What the exponentiation algorithms need from a backend.

use super::limbs::Limbs;

/// What the exponentiation algorithms need from a backend: a working form `W` of values mod
/// p, its product and square, and the conversions from and to the element form.
pub(crate) trait Kernel: Copy {
    /// A value mod p in the backend's working form.
    type W: Clone;
    /// The element form (fully reduced, backend's Montgomery form) into the working form.
    fn load(self, x: &Limbs) -> Self::W;
    /// The working form into the element form, fully reduced.
    fn store(self, w: &Self::W) -> Limbs;
    /// A plain integer in [0, p) into the working form (into Montgomery form).
    fn enter(self, x: &Limbs) -> Self::W;
    /// The plain integer in [0, p) of a working value (out of Montgomery form).
    fn leave(self, w: &Self::W) -> Limbs;
    /// The product.
    fn mul(self, a: &Self::W, b: &Self::W) -> Self::W;
    /// The square.
    fn sqr(self, a: &Self::W) -> Self::W;
    /// The identity in working form.
    fn one(self) -> Self::W;
    /// `table[index]`, reading every entry, with no branch or address depending on `index`.
    fn select(self, table: &[Self::W], index: usize) -> Self::W;
}
