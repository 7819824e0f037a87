//! Criterion benchmark of H = HMAC-SHA-256 over the input sizes the protocol uses.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use entente_record::Hasher;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("H (HMAC-SHA-256)");
    let key = [3u8; 32];
    // 41 bytes: a nonce derivation (eq. (25)); 1033: a Schnorr challenge (eq. (12));
    // 3585: a 0/1 range-proof challenge (eq. (28)).
    for len in [41usize, 1033, 3585] {
        let input = vec![0xa5u8; len - 1];
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_with_input(BenchmarkId::from_parameter(len), &input, |b, input| {
            b.iter(|| Hasher::new(&key, 0x21).bytes(black_box(input)).finish())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
