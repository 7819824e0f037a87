//! The crate's only `unsafe` code, in two halves, each argued where it is written:
//! - [`simd`]: the IFMA lanes as AVX-512 registers;
//! - [`mpn`]: GMP's low-level multiplication (`mpn_*`, through `gmp-mpfr-sys`, the bindings
//!   `rug` itself is built on), for the GMP backend's Montgomery products.
//!
//! Everything outside this module is safe code calling the safe functions these two export.

pub(crate) mod mpn;
pub(crate) mod simd;
