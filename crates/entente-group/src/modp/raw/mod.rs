//! The crate's only `unsafe` code, in three parts, each argued where it is written:
//! - [`simd`]: the IFMA lanes as AVX-512 registers;
//! - [`mpn`]: GMP's low-level multiplication (`mpn_*`, through `gmp-mpfr-sys`, the bindings
//!   `rug` itself is built on), for the GMP backend's Montgomery products;
//! - [`cache`]: a prefetch of the next fixed-base table entry.
//!
//! Everything outside this module is safe code calling the safe functions these export.

pub(crate) mod cache;
pub(crate) mod mpn;
pub(crate) mod simd;
