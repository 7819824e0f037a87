//! `entente bench`: the cost of the group operations in modexp-equivalents, measured in one
//! run (DESIGN.md: the cost divided by that of one variable-base 4096-bit exponentiation with
//! a 256-bit exponent, so that the ratio holds from one machine to the next).

use std::hint::black_box;
use std::time::{Duration, Instant};

use entente_group::{Group, P4096, Scalar, ScalarQ};
use entente_record::Hasher;
use rand::SeedableRng;
use rand::rngs::StdRng;

/// One measured operation.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// What was measured.
    pub name: &'static str,
    /// Time per operation: the best of several batches, which discounts a noisy neighbour.
    pub per_op: Duration,
    /// Cost in modexp-equivalents.
    pub ratio: f64,
}

type G = P4096;

/// Best time per call over `batches` batches of `per_batch` calls.
fn time_per_op(batches: usize, per_batch: usize, mut op: impl FnMut(usize)) -> Duration {
    let mut best = Duration::MAX;
    let mut i = 0;
    for _ in 0..batches {
        let start = Instant::now();
        for _ in 0..per_batch {
            op(i);
            i += 1;
        }
        best = best.min(start.elapsed() / per_batch as u32);
    }
    best
}

/// Measures every operation; `scale` multiplies the number of repetitions (1 = about 10 s).
pub fn run(scale: usize) -> Vec<Measurement> {
    let scale = scale.max(1);
    // The inputs are random, not secret: a seeded generator keeps runs comparable.
    let mut rng = StdRng::seed_from_u64(2017);
    let exps: Vec<ScalarQ> = (0..64).map(|_| ScalarQ::random(&mut rng)).collect();
    let bases: Vec<_> = (0..8)
        .map(|_| G::vartime_g_pow(&ScalarQ::random(&mut rng)))
        .collect();
    let n = exps.len();
    let k_table = G::table(&bases[0]);
    let encoded: Vec<Vec<u8>> = bases.iter().map(G::element_to_bytes).collect();
    let key = [7u8; 32];
    let mut out = Vec::new();

    let modexp = time_per_op(5, 40 * scale, |i| {
        black_box(G::vartime_pow(&bases[i % 8], &exps[i % n]));
    });
    let mut push = |name, per_op: Duration| {
        out.push(Measurement {
            name,
            per_op,
            ratio: per_op.as_secs_f64() / modexp.as_secs_f64(),
        })
    };
    push("modexp, variable base, 256-bit exponent (GMP mpz_powm)", modexp);
    push(
        "modexp, constant time (GMP mpz_powm_sec)",
        time_per_op(5, 30 * scale, |i| {
            black_box(G::pow(&bases[i % 8], &exps[i % n]));
        }),
    );
    push(
        "fixed base g, 8-bit table",
        time_per_op(5, 200 * scale, |i| {
            black_box(G::vartime_g_pow(&exps[i % n]));
        }),
    );
    push(
        "fixed base K (any long-lived base), 8-bit table",
        time_per_op(5, 200 * scale, |i| {
            black_box(G::vartime_table_pow(&k_table, &exps[i % n]));
        }),
    );
    push(
        "fixed-base table build (4 MiB, once per base)",
        time_per_op(2, scale, |i| {
            black_box(G::table(&bases[i % 8]));
        }),
    );
    for terms in [2usize, 3, 5] {
        let name: &'static str = match terms {
            2 => "multi-exponentiation, 2 terms (Straus)",
            3 => "multi-exponentiation, 3 terms (Straus)",
            _ => "multi-exponentiation, 5 terms (Straus)",
        };
        push(
            name,
            time_per_op(5, 20 * scale, |i| {
                let t: Vec<_> = (0..terms)
                    .map(|j| (&bases[(i + j) % 8], &exps[(i + j) % n]))
                    .collect();
                black_box(G::vartime_multi_pow(&t));
            }),
        );
    }
    push(
        "group membership check (x^q mod p = 1)",
        time_per_op(5, 40 * scale, |i| {
            black_box(G::element_from_bytes(&encoded[i % 8]).is_ok());
        }),
    );
    push(
        "modular multiplication",
        time_per_op(5, 2000 * scale, |i| {
            black_box(G::mul(&bases[i % 8], &bases[(i + 1) % 8]));
        }),
    );
    let input = vec![0x5a_u8; 7 * 512 + 1];
    push(
        "H = HMAC-SHA-256 over 3585 bytes (a range-proof challenge)",
        time_per_op(5, 2000 * scale, |_| {
            black_box(Hasher::new(&key, 0x21).bytes(&input[1..]).finish());
        }),
    );
    out
}

/// The report, one line per operation.
pub fn report(measurements: &[Measurement]) -> String {
    let mut s = String::from("operation                                                     time/op    modexp-equivalents\n");
    for m in measurements {
        s.push_str(&format!(
            "{:<60} {:>9.1} µs {:>8.3}\n",
            m.name,
            m.per_op.as_secs_f64() * 1e6,
            m.ratio
        ));
    }
    s
}
