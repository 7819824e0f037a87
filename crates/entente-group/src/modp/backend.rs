//! Which arithmetic the process runs on: the backends, their detection and calibration, and the
//! dispatch of every operation to the chosen one.

use std::fmt;
use std::sync::LazyLock;

use rug::Integer;
use rug::integer::Order;

use super::kernel::Kernel;
use super::limbs::{Limbs, integer_of, limbs_of};
use super::{exp, ifma, portable, simd};
use crate::GroupError;

/// Runs `$body` with `$k` bound to the current backend's kernel.
macro_rules! with_kernel {
    (|$k:ident| $body:expr) => {
        match $crate::modp::backend::Backend::current() {
            $crate::modp::backend::Backend::Portable => {
                let $k = $crate::modp::portable::Portable;
                $body
            }
            $crate::modp::backend::Backend::Ifma => {
                let $k = $crate::modp::backend::ifma_kernel();
                $body
            }
            $crate::modp::backend::Backend::IfmaEmulated => {
                let $k = $crate::modp::ifma::Ifma52($crate::modp::ifma::Emulator);
                $body
            }
            $crate::modp::backend::Backend::Gmp => {
                let $k = $crate::modp::gmp::Gmp;
                $body
            }
        }
    };
}
pub(crate) use with_kernel;

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
        let c = crate::constants::constants();
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

/// The production IFMA kernel. Only reached when [`Backend::current`] is IFMA, which it is
/// only when the CPU has the instructions.
pub(crate) fn ifma_kernel() -> ifma::Ifma52<simd::Ifma> {
    ifma::Ifma52(simd::Ifma::detect().expect("the IFMA backend is chosen only on IFMA CPUs"))
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
    let p = &crate::constants::constants().p;
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
