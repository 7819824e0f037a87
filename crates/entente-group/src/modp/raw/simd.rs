//! The IFMA lanes as AVX-512 registers (one of the two halves of the crate's `unsafe`, see `raw`).
//!
//! Soundness rests on one fact: every function here that executes an AVX-512 instruction is
//! reached only through [`Ifma::montmul`], and a value of [`Ifma`] exists only once
//! [`Ifma::detect`] has seen the CPU report AVX-512F and AVX-512 IFMA. [`Zmm`] is private to
//! this module, so no other path can execute its instructions. The register operations are the
//! same functions as [`crate::modp::ifma::Emulated`]'s, and the tests compare the two on every CPU
//! that has IFMA.

use crate::modp::ifma::{Limbs52, MontMul52};

/// Proof that this CPU executes AVX-512F and AVX-512 IFMA instructions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ifma(());

impl Ifma {
    /// `Some` when the CPU has AVX-512F and AVX-512 IFMA.
    pub(crate) fn detect() -> Option<Ifma> {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512ifma")
            {
                return Some(Ifma(()));
            }
        }
        None
    }
}

impl MontMul52 for Ifma {
    fn montmul(self, a: &Limbs52, b: &Limbs52, p: &Limbs52) -> Limbs52 {
        #[cfg(target_arch = "x86_64")]
        {
            // SAFETY: `self` exists only when `detect` saw AVX-512F and IFMA on this CPU, the
            // features `montmul_zmm` is compiled for; its memory accesses are the bounds-checked
            // slices of `Zmm::load` and `Zmm::store`.
            unsafe { x86::montmul_zmm(a, b, p) }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = (a, b, p);
            unreachable!("Ifma is never constructed off x86_64")
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::{
        __m512i, _mm_cvtsi128_si64, _mm512_add_epi64, _mm512_alignr_epi64, _mm512_castsi512_si128,
        _mm512_loadu_si512, _mm512_madd52hi_epu64, _mm512_madd52lo_epu64, _mm512_maskz_set1_epi64,
        _mm512_set1_epi64, _mm512_setzero_si512, _mm512_storeu_si512,
    };

    use crate::modp::ifma::{Lanes, Limbs52, montmul};

    /// The product on AVX-512 registers: `montmul` with every lane operation inlined into
    /// this function, which is compiled for the two features.
    ///
    /// # Safety
    /// The CPU must support AVX-512F and AVX-512 IFMA.
    #[target_feature(enable = "avx512f,avx512ifma")]
    pub(super) unsafe fn montmul_zmm(a: &Limbs52, b: &Limbs52, p: &Limbs52) -> Limbs52 {
        montmul::<Zmm>(a, b, p)
    }

    /// Eight lanes in an AVX-512 register.
    #[derive(Clone, Copy)]
    pub(super) struct Zmm(__m512i);

    // SAFETY (every block below): `Zmm` is private to this module and its methods run only
    // inside `montmul_zmm`, whose caller has proved the CPU has AVX-512F and IFMA (see the
    // module's documentation). Loads and stores go through slices checked to hold 8 limbs, and
    // the unaligned forms (`loadu`, `storeu`) need no alignment.
    impl Lanes for Zmm {
        #[inline(always)]
        fn zero() -> Self {
            Zmm(unsafe { _mm512_setzero_si512() })
        }
        #[inline(always)]
        fn load(x: &[u64]) -> Self {
            let x = &x[..8];
            Zmm(unsafe { _mm512_loadu_si512(x.as_ptr().cast()) })
        }
        #[inline(always)]
        fn store(self, out: &mut [u64]) {
            let out = &mut out[..8];
            unsafe { _mm512_storeu_si512(out.as_mut_ptr().cast(), self.0) }
        }
        #[inline(always)]
        fn splat(x: u64) -> Self {
            Zmm(unsafe { _mm512_set1_epi64(x as i64) })
        }
        #[inline(always)]
        fn madd52lo(self, b: Self, c: Self) -> Self {
            Zmm(unsafe { _mm512_madd52lo_epu64(self.0, b.0, c.0) })
        }
        #[inline(always)]
        fn madd52hi(self, b: Self, c: Self) -> Self {
            Zmm(unsafe { _mm512_madd52hi_epu64(self.0, b.0, c.0) })
        }
        #[inline(always)]
        fn lane0(self) -> u64 {
            unsafe { _mm_cvtsi128_si64(_mm512_castsi512_si128(self.0)) as u64 }
        }
        #[inline(always)]
        fn add_lane0(self, x: u64) -> Self {
            // Mask 1: x in lane 0, zeros elsewhere.
            Zmm(unsafe { _mm512_add_epi64(self.0, _mm512_maskz_set1_epi64(1, x as i64)) })
        }
        #[inline(always)]
        fn shift_down(lo: Self, hi: Self) -> Self {
            // valignq concatenates hi:lo and shifts right by one lane.
            Zmm(unsafe { _mm512_alignr_epi64::<1>(hi.0, lo.0) })
        }
    }
}
