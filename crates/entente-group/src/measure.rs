//! Criterion's measurement in GMP-me: wall time divided by the cost of one variable-base
//! 4096-bit exponentiation with a 256-bit exponent by rug's `pow_mod` (GMP as the `rug` crate
//! builds it), calibrated at the start of the same run (DESIGN.md), so that benchmark figures
//! compare across machines and do not shrink when Entente's own arithmetic gets faster.
//! Behind the `criterion` feature, for the workspace's benchmarks.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Throughput;
use criterion::measurement::{Measurement, ValueFormatter};
use rand::SeedableRng;

use crate::{Group, P4096, Scalar, ScalarQ};

/// Wall time divided by the calibrated cost of one GMP exponentiation.
pub struct GmpMe {
    unit: f64,
}

impl GmpMe {
    /// Measures the unit: the median of 15 batches of 20 exponentiations.
    pub fn calibrate() -> Self {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let base = P4096::vartime_g_pow(&ScalarQ::random(&mut rng)).to_integer();
        let p = &P4096::constants().p;
        let exps: Vec<rug::Integer> = (0..32)
            .map(|_| {
                let e = ScalarQ::random(&mut rng).to_bytes();
                rug::Integer::from_digits(&e, rug::integer::Order::Msf)
            })
            .collect();
        // The median of 15 batches of 20: robust to a moment of contention.
        let mut times: Vec<f64> = (0..15)
            .map(|_| {
                let start = Instant::now();
                for e in exps.iter().take(20) {
                    black_box(rug::Integer::from(
                        base.pow_mod_ref(e, p).expect("exponent is non-negative"),
                    ));
                }
                start.elapsed().as_secs_f64() * 1e9 / 20.0
            })
            .collect();
        times.sort_by(f64::total_cmp);
        let unit = times[times.len() / 2];
        eprintln!(
            "calibration: one 4096-bit exponentiation by rug's pow_mod (1 GMP-me) = {:.1} µs",
            unit / 1e3
        );
        Self { unit }
    }
}

struct Formatter;

impl ValueFormatter for Formatter {
    fn scale_values(&self, _typical: f64, _values: &mut [f64]) -> &'static str {
        "GMP-me"
    }
    fn scale_throughputs(
        &self,
        _typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        if let Throughput::Elements(n) = throughput {
            for v in values.iter_mut() {
                *v = *n as f64 / *v;
            }
        }
        "elements/GMP-me"
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "GMP-me"
    }
}

impl Measurement for GmpMe {
    type Intermediate = Instant;
    type Value = Duration;
    fn start(&self) -> Instant {
        Instant::now()
    }
    fn end(&self, i: Instant) -> Duration {
        i.elapsed()
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64 / self.unit
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &Formatter
    }
}

/// A criterion runner measuring in modexp-equivalents, `samples` samples per benchmark.
pub fn criterion(samples: usize) -> criterion::Criterion<GmpMe> {
    criterion::Criterion::default()
        .with_measurement(GmpMe::calibrate())
        .sample_size(samples)
}
