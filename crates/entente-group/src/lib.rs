//! Prime-order groups for Entente: the arithmetic every other crate builds on. It depends on
//! no other Entente crate.
//!
//! ElectionGuard 2.0 (spec §3.1.1) fixes one group: the order-`q` subgroup of `Z_p^*` for a
//! 4096-bit prime `p` and the 256-bit prime `q = 2^256 - 189`. Protocol code never names that
//! group: it is written against the [`Group`] and [`Scalar`] traits, so a second group
//! (ristretto255) can be added here without touching it.
//!
//! Discipline of this crate:
//! - every value that comes from outside is decoded through a checking constructor
//!   ([`Group::element_from_bytes`], [`Scalar::from_canonical_bytes`]): canonical length, range
//!   and subgroup membership are checked before a value exists;
//! - functions whose running time depends on the exponent carry `vartime` in their name and
//!   are for public exponents only; secret exponents go through [`Group::pow`] and
//!   [`Group::g_pow`], which run in constant time on every backend (fixed 4-bit windows,
//!   table entries read by a masked scan, fixed-size Montgomery arithmetic: `modp::exp`);
//! - scalars are fixed-size and constant-time ([`crypto_bigint`]), and are zeroized on drop
//!   when they hold secrets ([`SecretScalar`]).
// `unsafe` only in `modp::raw` (the AVX-512 registers, GMP's `mpn` calls), where it is allowed
// and argued.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod constants;
mod error;
mod group;
pub mod hex;
#[cfg(feature = "criterion")]
pub mod measure;
pub mod modp;
pub mod p256;
pub mod p4096;

pub use error::GroupError;
pub use group::{Group, Scalar, SecretScalar};
pub use modp::Backend;
pub use p256::{P256, PointP256, ScalarN};
pub use p4096::{Element4096, P4096, ScalarQ};
