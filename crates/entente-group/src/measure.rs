//! Criterion's measurement in GMP-me: wall time divided by the cost of one variable-base
//! 4096-bit exponentiation with a 256-bit exponent by rug's `pow_mod` (GMP as the `rug` crate
//! builds it), calibrated at the start of the same run (DESIGN.md), so that benchmark figures
//! compare across machines and do not shrink when Entente's own arithmetic gets faster.
//! Behind the `criterion` feature, for the workspace's benchmarks.

use std::hint::black_box;
use std::sync::OnceLock;
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
        let mut yardstick = Yardstick::new();
        // The median of 15 batches of 20: robust to a moment of contention.
        let mut times: Vec<f64> = (0..15)
            .map(|_| {
                (0..20)
                    .map(|_| yardstick.time_one().as_secs_f64() * 1e9)
                    .sum::<f64>()
                    / 20.0
            })
            .collect();
        times.sort_by(f64::total_cmp);
        let unit = times[times.len() / 2];
        // The first calibration of the process is the one criterion divides by.
        let unit = *UNIT_NS.get_or_init(|| unit);
        eprintln!(
            "calibration: one 4096-bit exponentiation by rug's pow_mod (1 GMP-me) = {:.1} µs",
            unit / 1e3
        );
        Self { unit }
    }
}

/// The unit criterion divides by, once calibrated.
static UNIT_NS: OnceLock<f64> = OnceLock::new();

/// The unit's exponentiation, to be timed beside the work a benchmark measures. On a shared
/// machine the speed drifts between the calibration at start and a benchmark minutes later (a
/// reference row read 1.1 to 1.3 GMP-me); alternating the work with the yardstick and scaling
/// by it ([`beside`]) makes each figure a ratio measured in the same moments.
pub struct Yardstick {
    base: rug::Integer,
    exps: Vec<rug::Integer>,
    next: usize,
}

impl Yardstick {
    /// A fixed base (a subgroup element) and 32 exponents below q, from a fixed seed.
    pub fn new() -> Self {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let base = P4096::vartime_g_pow(&ScalarQ::random(&mut rng)).to_integer();
        let exps = (0..32)
            .map(|_| {
                let e = ScalarQ::random(&mut rng).to_bytes();
                rug::Integer::from_digits(&e, rug::integer::Order::Msf)
            })
            .collect();
        Self {
            base,
            exps,
            next: 0,
        }
    }

    /// The time of one exponentiation by rug's `pow_mod`, now.
    pub fn time_one(&mut self) -> Duration {
        let p = &P4096::constants().p;
        let e = &self.exps[self.next % self.exps.len()];
        self.next += 1;
        let start = Instant::now();
        black_box(rug::Integer::from(
            self.base
                .pow_mod_ref(black_box(e), p)
                .expect("exponent is non-negative"),
        ));
        start.elapsed()
    }
}

impl Default for Yardstick {
    fn default() -> Self {
        Self::new()
    }
}

/// `work` scaled so that criterion's GMP-me reads `work ÷ yardstick`: the work's cost in
/// exponentiations, `yardstick` being the mean time of the exponentiations alternated with it,
/// whatever the machine's speed did since the calibration.
pub fn beside(work: Duration, yardstick: Duration) -> Duration {
    let unit = UNIT_NS
        .get()
        .copied()
        .unwrap_or(yardstick.as_nanos() as f64);
    Duration::from_secs_f64(work.as_secs_f64() * unit * 1e-9 / yardstick.as_secs_f64().max(1e-12))
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
