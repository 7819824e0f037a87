//! Arithmetic mod the ElectionGuard prime p (spec 2.0 §3.1.1), in Montgomery form, on the
//! fastest backend this CPU has.
//!
//! The backends compute the same functions:
//! - [`Backend::Ifma`]: 52-bit limbs on AVX-512 IFMA (`vpmadd52luq`/`vpmadd52huq`), R = 2^4160;
//! - [`Backend::Portable`]: 64-bit limbs with 128-bit products in safe Rust, R = 2^4096;
//! - [`Backend::Gmp`]: GMP's assembly products (`mpn`) with a Montgomery reduction of its own,
//!   R = 2^4096, and `mpz_powm` for whole public exponents;
//! - [`Backend::IfmaEmulated`]: the IFMA arithmetic on plain arrays, so that the whole program
//!   can be run through it on a CPU without IFMA (slow; only when forced).
//!
//! The backend is chosen once per process: `ENTENTE_BACKEND=ifma|portable|gmp|ifma-emulated`
//! forces one, otherwise IFMA when `is_x86_feature_detected!("avx512ifma")` says the CPU has
//! it, else the faster of portable and GMP, timed at first use. An element holds its value in the chosen backend's form, fully reduced into
//! [0, p), so that equal elements have equal limbs; the exponentiations run on the backend's
//! own working form ([`Kernel::W`]) and only convert at their ends.
//!
//! Why own arithmetic: GMP as the `rug` crate builds it is a "fat" binary whose dispatch does
//! not know recent Intel server CPUs and runs them on generic kernels, and GMP has no IFMA code
//! at all; and the ElectionGuard prime has p ≡ −1 (mod 2^256), which makes the Montgomery
//! constant −p⁻¹ 1 in any limb size up to 256 bits (no multiplication to find a reduction
//! digit), something no generic library exploits.

pub(crate) mod backend;
pub(crate) mod exp;
pub(crate) mod gmp;
pub(crate) mod ifma;
pub(crate) mod kernel;
pub(crate) mod limbs;
pub(crate) mod portable;
#[allow(unsafe_code)]
mod raw;
#[cfg(test)]
mod tests;

pub use backend::{BACKEND_VAR, Backend, pow_on};
pub(crate) use backend::{from_element_form, one_element_form, to_element_form, with_kernel};
pub(crate) use kernel::Kernel;
pub use limbs::exponent_limbs;
pub(crate) use limbs::{LIMBS, Limbs, integer_of, less_than, limbs_of, select_limbs};
pub(crate) use raw::cache::prefetch;
pub(crate) use raw::{mpn, simd};
