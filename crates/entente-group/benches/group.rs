//! Criterion benchmarks of the group operations. `entente bench` prints the same operations
//! as ratios to rug's `pow_mod` (GMP-me), measured in one run.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use entente_group::{Group, P4096, Scalar, ScalarQ};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::hint::black_box;

type G = P4096;

fn bench(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let e = ScalarQ::random(&mut rng);
    let base = G::vartime_g_pow(&ScalarQ::random(&mut rng));
    let table = G::table(&base);

    let mut g = c.benchmark_group("p4096 exponentiation (256-bit exponent)");
    g.bench_function("variable base (chosen backend)", |b| {
        b.iter(|| G::vartime_pow(black_box(&base), black_box(&e)))
    });
    g.bench_function("variable base, constant time (chosen backend)", |b| {
        b.iter(|| G::pow(black_box(&base), black_box(&e)))
    });
    g.bench_function("fixed base g, 10-bit table", |b| {
        b.iter(|| G::vartime_g_pow(black_box(&e)))
    });
    g.bench_function("fixed base K, 10-bit table", |b| {
        b.iter(|| G::vartime_table_pow(black_box(&table), black_box(&e)))
    });
    g.finish();

    let mut g = c.benchmark_group("p4096 multi-exponentiation");
    g.sample_size(20);
    let bases: Vec<_> = (0..6)
        .map(|_| G::vartime_g_pow(&ScalarQ::random(&mut rng)))
        .collect();
    let exps: Vec<_> = (0..6).map(|_| ScalarQ::random(&mut rng)).collect();
    for n in [2usize, 4, 6] {
        let terms: Vec<_> = bases.iter().zip(&exps).take(n).collect();
        g.bench_with_input(
            BenchmarkId::new("Straus, 4-bit windows", n),
            &terms,
            |b, t| b.iter(|| G::vartime_multi_pow(black_box(t))),
        );
        g.bench_with_input(
            BenchmarkId::new("separate exponentiations", n),
            &terms,
            |b, t| {
                b.iter(|| {
                    t.iter().fold(G::identity(), |acc, (x, e)| {
                        G::mul(&acc, &G::vartime_pow(x, e))
                    })
                })
            },
        );
    }
    g.finish();

    let mut g = c.benchmark_group("p4096 misc");
    g.sample_size(10);
    g.bench_function("fixed-base table build", |b| {
        b.iter(|| G::table(black_box(&base)))
    });
    let bytes = G::element_to_bytes(&base);
    g.bench_function("decode + membership check", |b| {
        b.iter(|| G::element_from_bytes(black_box(&bytes)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
