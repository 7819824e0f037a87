//! Criterion benchmark of ballot encryption, reported in GMP-me: the unit is one
//! variable-base 4096-bit exponentiation with a 256-bit exponent, calibrated at the start of
//! the same run (DESIGN.md), so that the figures compare across machines.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use entente_core::ballot::{ProofNonces, prove_range};
use entente_group::measure::GmpMe;
use entente_group::{Group, P4096, Scalar, ScalarQ};
use entente_record::HashValue;
use entente_record::ballot::PublicKey;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

type G = P4096;

fn bench(c: &mut Criterion<GmpMe>) {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let key = PublicKey::<G>::new(G::vartime_g_pow(&ScalarQ::random(&mut rng)));
    let h_e = HashValue([7; 32]);
    let nonces: Vec<ScalarQ> = (0..32).map(|_| ScalarQ::random(&mut rng)).collect();
    let proof_nonces: Vec<ProofNonces<ScalarQ>> =
        (0..32).map(|_| ProofNonces::random(1, &mut rng)).collect();

    let mut g = c.benchmark_group("ballot encryption");
    g.bench_function("one selection: Enc(σ, ξ) and its 0..1 range proof", |b| {
        let mut i = 0usize;
        b.iter(|| {
            i += 1;
            let vote = (i % 2) as u32;
            let xi = &nonces[i % 32];
            let ct = key.encrypt(u64::from(vote), xi);
            let proof = prove_range(&h_e, &key, &ct, vote, 1, xi, &proof_nonces[i % 32]);
            black_box((ct, proof.expect("0 or 1 is in the range 0..=1")))
        })
    });
    g.bench_function(
        "reference: one variable-base exponentiation (= 1 by construction)",
        |b| {
            let mut i = 0usize;
            b.iter(|| {
                i += 1;
                black_box(G::vartime_pow(key.element(), &nonces[i % 32]))
            })
        },
    );
    g.finish();
}

criterion_group! {
    name = benches;
    config = entente_group::measure::criterion(30);
    targets = bench
}
criterion_main!(benches);
