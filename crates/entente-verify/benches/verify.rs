//! Criterion benchmark of the verifier's inner loop, in GMP-me (DESIGN.md): one
//! 0..1 selection of a real record (egk's allAvailable record) checked as Verification 5 asks,
//! its range proof and the subgroup membership of α and β included, with the membership checks
//! batched as `entente verify` does and, for comparison, one by one. Each figure is the work's
//! time over that of the unit's exponentiations alternated with it (`measure::beside`).

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use entente_group::measure::{self, GmpMe, Yardstick};
use entente_group::{Group, P4096};
use entente_record::ballot::json::EncryptedBallotJson;
use entente_record::ballot::{Ciphertext, EncryptedBallot, RangeProof};
use entente_record::election::{ElectionSetup, read_json};

type G = P4096;

/// Selections whose α and β share one batched membership test: about what the verifier's
/// batches of eight ballots hold for a small manifest.
const BATCH: usize = 128;

/// A selection's ciphertext and its range proof.
type Selection = (Ciphertext<G>, RangeProof<G>);

fn selections() -> (ElectionSetup<G>, Vec<Selection>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/egk/records/allAvailableJson");
    let setup = ElectionSetup::<G>::read(&dir).expect("the conformance record is readable");
    let mut out = Vec::new();
    let ballots = dir.join("encrypted_ballots/runWorkflowAllAvailableJson");
    let mut files: Vec<_> = std::fs::read_dir(&ballots)
        .expect("the record's ballots")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    files.sort();
    for f in files {
        let json: EncryptedBallotJson = read_json(&f).expect("a ballot");
        let b: EncryptedBallot<G> = json.read().expect("a valid ballot");
        for c in b.contests {
            for s in c.selections {
                out.push((s.ciphertext, s.proof));
            }
        }
    }
    (setup, out)
}

/// Times `work(i)` for each iteration, alternated with one exponentiation of the unit, and
/// returns the work's time scaled by the yardstick's (`measure::beside`): a ratio measured in
/// the same moments, not against a calibration minutes old.
fn alternating(iters: u64, yardstick: &mut Yardstick, mut work: impl FnMut(usize)) -> Duration {
    let (mut spent, mut unit) = (Duration::ZERO, Duration::ZERO);
    for i in 0..iters as usize {
        let t = Instant::now();
        work(i);
        spent += t.elapsed();
        unit += yardstick.time_one();
    }
    // Criterion divides by the iterations: the total work against the mean yardstick.
    measure::beside(spent, unit / iters.max(1) as u32)
}

fn bench(c: &mut Criterion<GmpMe>) {
    let (setup, sel) = selections();
    let key = setup.public_key();
    let mut rng = rand::rng();
    let mut yardstick = Yardstick::new();
    let mut g = c.benchmark_group("verification");
    g.bench_function(
        "one 0..1 selection: range proof and batched membership of α, β",
        |b| {
            b.iter_custom(|iters| {
                alternating(iters, &mut yardstick, |i| {
                    // One batch of BATCH selections per iteration, counted as one selection.
                    let start = (i * BATCH) % (sel.len() - BATCH);
                    let part = &sel[start..start + BATCH];
                    let elements: Vec<_> = part
                        .iter()
                        .flat_map(|(ct, _)| [&ct.alpha, &ct.beta])
                        .collect();
                    assert!(G::batch_is_member(&elements, &mut rng));
                    for (ct, proof) in part {
                        black_box(proof.verify(&setup.h_e, &key, ct).is_ok());
                    }
                }) / BATCH as u32
            })
        },
    );
    g.bench_function(
        "one 0..1 selection: range proof and membership of α, β one by one",
        |b| {
            b.iter_custom(|iters| {
                alternating(iters, &mut yardstick, |i| {
                    let (ct, proof) = &sel[i % sel.len()];
                    for e in [&ct.alpha, &ct.beta] {
                        black_box(G::element_from_bytes(&G::element_to_bytes(e)).is_ok());
                    }
                    black_box(proof.verify(&setup.h_e, &key, ct).is_ok());
                })
            })
        },
    );
    g.bench_function(
        "one 0..1 selection: range proof with the membership of α, β from its chains",
        |b| {
            b.iter_custom(|iters| {
                alternating(iters, &mut yardstick, |i| {
                    let (ct, proof) = &sel[i % sel.len()];
                    black_box(proof.verify_checked(&setup.h_e, &key, ct).is_ok());
                })
            })
        },
    );
    g.bench_function(
        "reference: one variable-base exponentiation (= 1 by construction)",
        |b| {
            b.iter_custom(|iters| {
                alternating(iters, &mut yardstick, |i| {
                    let (ct, proof) = &sel[i % sel.len()];
                    black_box(G::vartime_pow(&ct.alpha, &proof.pairs[0].challenge));
                })
            })
        },
    );
    g.finish();
}

criterion_group! {
    name = benches;
    config = entente_group::measure::criterion(20);
    targets = bench
}
criterion_main!(benches);
