//! The reference backend: plain integers mod p in GMP (R = 1). Exponentiations with a whole
//! public exponent call GMP itself (`mpz_powm`, in `p4096.rs`); the algorithms of
//! `exp.rs` run on it only for tables, multi-exponentiation and batches.

use rug::{Complete, Integer};

use super::{Kernel, Limbs, integer_of, limbs_of};

/// The GMP kernel.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Gmp;

fn p() -> &'static Integer {
    &crate::constants::constants().p
}

impl Kernel for Gmp {
    type W = Integer;
    fn load(self, x: &Limbs) -> Integer {
        integer_of(x)
    }
    fn store(self, w: &Integer) -> Limbs {
        limbs_of(w)
    }
    fn enter(self, x: &Limbs) -> Integer {
        integer_of(x)
    }
    fn leave(self, w: &Integer) -> Limbs {
        limbs_of(w)
    }
    fn mul(self, a: &Integer, b: &Integer) -> Integer {
        let mut r = (a * b).complete();
        r %= p();
        r
    }
    fn sqr(self, a: &Integer) -> Integer {
        let mut r = a.square_ref().complete();
        r %= p();
        r
    }
    fn one(self) -> Integer {
        Integer::from(1u32)
    }
    /// Not constant-time: GMP integers have no fixed size to mask. Secret exponents on this
    /// backend go to the portable kernel (`P4096::pow`), never through this one.
    fn select(self, table: &[Integer], index: usize) -> Integer {
        table[index].clone()
    }
}
