//! Arithmetic mod the ElectionGuard prime p (spec 2.0 §3.1.1), in Montgomery form, on the
//! fastest backend this CPU has.
//!
//! The backends compute the same functions:
//! - [`Backend::Ifma`]: 52-bit limbs on AVX-512 IFMA (`vpmadd52luq`/`vpmadd52huq`), R = 2^4160;
//! - [`Backend::Portable`]: 64-bit limbs with 128-bit products in safe Rust, R = 2^4096;
//! - [`Backend::Gmp`]: GMP through `rug`, the reference the others are tested against (R = 1);
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

pub(crate) mod exp;
pub(crate) mod gmp;
pub(crate) mod ifma;
pub(crate) mod portable;
#[allow(unsafe_code)]
pub(crate) mod simd;
#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::LazyLock;

use rug::Integer;
use rug::integer::Order;

use crate::GroupError;

/// Runs `$body` with `$k` bound to the current backend's kernel.
macro_rules! with_kernel {
    (|$k:ident| $body:expr) => {
        match $crate::modp::Backend::current() {
            $crate::modp::Backend::Portable => {
                let $k = $crate::modp::portable::Portable;
                $body
            }
            $crate::modp::Backend::Ifma => {
                let $k = $crate::modp::ifma::kernel();
                $body
            }
            $crate::modp::Backend::IfmaEmulated => {
                let $k = $crate::modp::ifma::Ifma52($crate::modp::ifma::Emulator);
                $body
            }
            $crate::modp::Backend::Gmp => {
                let $k = $crate::modp::gmp::Gmp;
                $body
            }
        }
    };
}
pub(crate) use with_kernel;

/// 64-bit limbs in an element: p < 2^4096.
pub(crate) const LIMBS: usize = 64;

/// An integer below 2^4096 as little-endian 64-bit limbs.
pub(crate) type Limbs = [u64; LIMBS];

/// The arithmetic a process runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// AVX-512 IFMA, 52-bit limbs.
    Ifma,
    /// 64-bit limbs in safe Rust, any CPU.
    Portable,
    /// GMP (`mpz_powm`) for public exponents, the reference the tests compare against; secret
    /// exponents still run on the portable constant-time code.
    Gmp,
    /// The IFMA backend's arithmetic on lanes emulated by plain arrays: slow, never chosen by
    /// detection, for running the whole program through that arithmetic on any CPU.
    IfmaEmulated,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The environment variable that forces a backend.
pub const BACKEND_VAR: &str = "ENTENTE_BACKEND";

impl Backend {
    /// The name `ENTENTE_BACKEND` takes.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Ifma => "ifma",
            Backend::Portable => "portable",
            Backend::Gmp => "gmp",
            Backend::IfmaEmulated => "ifma-emulated",
        }
    }

    /// A longer description, for `entente bench` and logs.
    pub fn describe(self) -> &'static str {
        match self {
            Backend::Ifma => "AVX-512 IFMA, 52-bit limbs, Montgomery form",
            Backend::Portable => "portable 64-bit limbs, Montgomery form",
            Backend::Gmp => "GMP mpz_powm; secrets on the portable constant-time code",
            Backend::IfmaEmulated => "IFMA arithmetic on emulated lanes (for tests; slow)",
        }
    }

    /// Whether this CPU can run the backend.
    pub fn is_supported(self) -> bool {
        match self {
            Backend::Ifma => simd::Ifma::detect().is_some(),
            Backend::Portable | Backend::Gmp | Backend::IfmaEmulated => true,
        }
    }

    /// The fastest backend this CPU supports: IFMA where the CPU has it; elsewhere the faster of
    /// the portable backend and GMP, measured once per process (see [`Backend::calibrate`]).
    pub fn detect() -> Backend {
        match Backend::calibration() {
            None => Backend::Ifma,
            Some((choice, _, _)) => choice,
        }
    }

    /// Without IFMA, the process's one measurement of [`Backend::calibrate`]: the faster
    /// backend and the seconds of one exponentiation on portable and on GMP. `None` on a CPU
    /// with IFMA, where nothing is measured.
    pub fn calibration() -> Option<(Backend, f64, f64)> {
        if Backend::Ifma.is_supported() {
            return None;
        }
        static MEASURED: LazyLock<(Backend, f64, f64)> = LazyLock::new(|| {
            let (choice, portable, gmp) = Backend::calibrate();
            tracing::debug!(
                backend = choice.name(),
                portable_us = portable * 1e6,
                gmp_us = gmp * 1e6,
                "no AVX-512 IFMA: chose the faster of portable and GMP"
            );
            (choice, portable, gmp)
        });
        Some(*MEASURED)
    }

    /// Times a variable-base exponentiation on the portable backend and on GMP, alternately,
    /// three rounds, and returns the faster by the median of the rounds' ratios with the two
    /// median times in seconds. Without IFMA the winner depends on the CPU: GMP's fat build
    /// runs assembly on the CPUs its dispatch knows (it won on this project's AMD Zen 3) and
    /// generic kernels on the others (the development machine's Intel family 6 model 0xA7).
    /// Both compute the same values, so the choice only ever changes the speed.
    pub fn calibrate() -> (Backend, f64, f64) {
        use std::hint::black_box;
        use std::time::Instant;
        let c = crate::P4096::constants();
        // A fixed public base and exponent: g^(q − 2).
        let e = Integer::from(&c.q - 2u32);
        let mut e_limbs = [0u64; 4];
        e.write_digits(&mut e_limbs, Order::Lsf);
        let time = |backend: Backend| {
            let start = Instant::now();
            black_box(pow_on(backend, black_box(&c.g), &e_limbs, false));
            start.elapsed().as_secs_f64()
        };
        // One call each first: the constants' set-up is not part of the race.
        time(Backend::Portable);
        time(Backend::Gmp);
        let rounds: Vec<(f64, f64)> = (0..3)
            .map(|_| (time(Backend::Portable), time(Backend::Gmp)))
            .collect();
        let median = |f: &dyn Fn(&(f64, f64)) -> f64| {
            let mut v: Vec<f64> = rounds.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let ratio = median(&|(p, g)| p / g);
        let (portable, gmp) = (median(&|r| r.0), median(&|r| r.1));
        let choice = if ratio <= 1.0 {
            Backend::Portable
        } else {
            Backend::Gmp
        };
        (choice, portable, gmp)
    }

    /// The backend `ENTENTE_BACKEND` asks for, or the detected one when it is unset or empty.
    /// An unknown name, or a backend this CPU cannot run, is an error: a forced backend never
    /// falls back silently.
    pub fn from_env() -> Result<Backend, GroupError> {
        Backend::parse(&std::env::var(BACKEND_VAR).unwrap_or_default())
    }

    /// The backend a value of `ENTENTE_BACKEND` asks for (see [`Backend::from_env`]).
    pub fn parse(value: &str) -> Result<Backend, GroupError> {
        let backend = match value.trim() {
            "" => return Ok(Backend::detect()),
            "ifma" => Backend::Ifma,
            "portable" => Backend::Portable,
            "gmp" => Backend::Gmp,
            "ifma-emulated" => Backend::IfmaEmulated,
            other => {
                return Err(GroupError::Backend(format!(
                    "{BACKEND_VAR}={other:?} is not a backend (ifma, portable, gmp or ifma-emulated)"
                )));
            }
        };
        if !backend.is_supported() {
            return Err(GroupError::Backend(format!(
                "{BACKEND_VAR}={} but this CPU lacks AVX-512 IFMA",
                backend.name()
            )));
        }
        Ok(backend)
    }

    /// The process's backend, chosen at first use. A program should call
    /// [`Backend::from_env`] at start to report a bad `ENTENTE_BACKEND` as an error; here it
    /// can only stop the process.
    pub fn current() -> Backend {
        static CURRENT: LazyLock<Backend> = LazyLock::new(|| match Backend::from_env() {
            Ok(b) => b,
            Err(e) => panic!("{e}"),
        });
        *CURRENT
    }
}

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

/// The element form of a plain integer in [0, p) on this process's backend.
pub(crate) fn to_element_form(plain: &Limbs) -> Limbs {
    with_kernel!(|k| k.store(&k.enter(plain)))
}

/// The plain integer in [0, p) of an element form.
pub(crate) fn from_element_form(x: &Limbs) -> Limbs {
    with_kernel!(|k| k.leave(&k.load(x)))
}

/// The element form of 1.
pub(crate) fn one_element_form() -> Limbs {
    with_kernel!(|k| k.store(&k.one()))
}

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

/// p, R² mod p and R mod p for the portable backend (R = 2^4096).
pub(crate) struct PortableConstants {
    pub p: Limbs,
    pub r2: Limbs,
    pub one: Limbs,
}

pub(crate) fn portable_constants() -> &'static PortableConstants {
    static C: LazyLock<PortableConstants> = LazyLock::new(|| {
        let p = &crate::P4096::constants().p;
        let r = Integer::from(1u32) << 4096u32;
        PortableConstants {
            p: limbs_of(p),
            r2: limbs_of(&(Integer::from(&r * &r) % p)),
            one: limbs_of(&(r % p)),
        }
    });
    &C
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

/// `base^e mod p` for a base in [1, p), on the given backend whatever the process's: for
/// benchmarks that compare the backends in one run. `secret` selects the constant-time
/// exponentiation. `None` when this CPU cannot run the backend.
pub fn pow_on(backend: Backend, base: &Integer, e: &[u64; 4], secret: bool) -> Option<Integer> {
    fn run<K: Kernel>(k: K, base: &Integer, e: &[u64; 4], secret: bool) -> Integer {
        let b = k.enter(&limbs_of(base));
        let r = if secret {
            exp::pow_secret(k, &b, e)
        } else {
            exp::pow_vartime(k, &b, e)
        };
        integer_of(&k.leave(&r))
    }
    let p = &crate::P4096::constants().p;
    match backend {
        Backend::Portable => Some(run(portable::Portable, base, e, secret)),
        Backend::Ifma => simd::Ifma::detect().map(|t| run(ifma::Ifma52(t), base, e, secret)),
        Backend::IfmaEmulated => Some(run(ifma::Ifma52(ifma::Emulator), base, e, secret)),
        Backend::Gmp => {
            let e = Integer::from_digits(e, Order::Lsf);
            Some(if secret {
                Integer::from(base.secure_pow_mod_ref(&e, p))
            } else {
                Integer::from(base.pow_mod_ref(&e, p).expect("e >= 0"))
            })
        }
    }
}
