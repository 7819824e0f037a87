//! 4096-bit integers as little-endian 64-bit limbs, and the conversions every backend shares.

use rug::Integer;
use rug::integer::Order;

/// 64-bit limbs in an element: p < 2^4096.
pub(crate) const LIMBS: usize = 64;

/// An integer below 2^4096 as little-endian 64-bit limbs.
pub(crate) type Limbs = [u64; LIMBS];

/// `table[index]` by a masked scan of every entry: the memory read and the instructions are
/// the same whatever `index` is (for windows of a secret exponent).
pub(crate) fn select_limbs<const N: usize>(table: &[[u64; N]], index: usize) -> [u64; N] {
    use subtle::ConstantTimeEq;
    let mut out = [0u64; N];
    for (i, entry) in table.iter().enumerate() {
        let hit = (i as u64).ct_eq(&(index as u64));
        let mask = u64::from(hit.unwrap_u8()).wrapping_neg();
        for (o, e) in out.iter_mut().zip(entry) {
            *o |= e & mask;
        }
    }
    out
}

/// The limbs of an integer in [0, 2^4096).
pub(crate) fn limbs_of(x: &Integer) -> Limbs {
    debug_assert!(*x >= 0 && x.significant_bits() <= 4096);
    let mut out = [0u64; LIMBS];
    x.write_digits(&mut out, Order::Lsf);
    out
}

/// The integer of little-endian limbs.
pub(crate) fn integer_of(x: &Limbs) -> Integer {
    Integer::from_digits(x, Order::Lsf)
}

/// Whether `x < y`, as integers of little-endian limbs (variable time: for public values).
pub(crate) fn less_than(x: &Limbs, y: &Limbs) -> bool {
    for i in (0..LIMBS).rev() {
        if x[i] != y[i] {
            return x[i] < y[i];
        }
    }
    false
}

/// A 256-bit exponent as little-endian 64-bit limbs, from its 32 big-endian bytes.
pub fn exponent_limbs(be: &[u8; 32]) -> [u64; 4] {
    let mut limbs = [0u64; 4];
    for (i, chunk) in be.rchunks_exact(8).enumerate() {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        limbs[i] = u64::from_be_bytes(b);
    }
    limbs
}
