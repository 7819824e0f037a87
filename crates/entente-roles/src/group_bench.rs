//! `entente bench`: the cost of the group operations in GMP-me, measured in one run (DESIGN.md:
//! the cost divided by that of rug's `pow_mod`, a variable-base 4096-bit exponentiation with a
//! 256-bit exponent in GMP as the `rug` crate builds it, measured in the same run: a fixed
//! yardstick, so that the ratio holds from one machine to the next and does not shrink when
//! Entente's own arithmetic gets faster).

use entente_core::decrypt::{DecryptingGuardian, NonceSeed, Target};
use entente_group::SecretScalar;
use std::hint::black_box;
use std::time::{Duration, Instant};

use entente_core::ballot::{ProofNonces, prove_range};
use entente_group::modp::{exponent_limbs, pow_on};
use entente_group::{Backend, Group, P4096, Scalar, ScalarQ};
use entente_record::ballot::PublicKey;
use entente_record::{HashValue, Hasher};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::verify_bench::{PairRound, median};

/// One measured operation.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// What was measured.
    pub name: &'static str,
    /// Time per operation: the median over the rounds.
    pub per_op: Duration,
    /// Cost in GMP-me.
    pub ratio: f64,
}

type G = P4096;

/// Mean time per call of one batch of `per_batch` calls.
fn batch(per_batch: usize, offset: usize, op: &mut impl FnMut(usize)) -> Duration {
    let start = Instant::now();
    for i in 0..per_batch {
        op(offset + i);
    }
    start.elapsed() / per_batch as u32
}

/// Measures `op` against the reference exponentiation: rounds alternate a batch of each, so
/// that a slower or faster moment of a shared machine affects both sides of a ratio alike.
/// Reports the median time and the median of the per-round ratios.
struct Bencher<R: FnMut(usize)> {
    reference: R,
    reference_batch: usize,
    rounds: usize,
}

impl<R: FnMut(usize)> Bencher<R> {
    fn measure(
        &mut self,
        name: &'static str,
        per_batch: usize,
        mut op: impl FnMut(usize),
    ) -> Measurement {
        let mut times = Vec::with_capacity(self.rounds);
        let mut ratios = Vec::with_capacity(self.rounds);
        for round in 0..self.rounds {
            let reference = batch(self.reference_batch, round, &mut self.reference);
            let t = batch(per_batch, round * per_batch, &mut op);
            times.push(t.as_secs_f64());
            ratios.push(t.as_secs_f64() / reference.as_secs_f64());
        }
        Measurement {
            name,
            per_op: Duration::from_secs_f64(median(times)),
            ratio: median(ratios),
        }
    }
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
    let input = vec![0x5a_u8; 7 * 512];

    // The unit: rug's pow_mod on plain integers, outside Entente's arithmetic.
    let p = &G::constants().p;
    let plain: Vec<rug::Integer> = bases.iter().map(|b| b.to_integer()).collect();
    let exp_ints: Vec<rug::Integer> = exps
        .iter()
        .map(|e| rug::Integer::from_digits(&e.to_bytes(), rug::integer::Order::Msf))
        .collect();
    let exp_limbs: Vec<[u64; 4]> = exps.iter().map(|e| exponent_limbs(&e.to_bytes())).collect();
    let mut b = Bencher {
        reference: |i: usize| {
            black_box(rug::Integer::from(
                plain[i % 8]
                    .pow_mod_ref(&exp_ints[(i * 7) % n], p)
                    .expect("exponent is non-negative"),
            ));
        },
        reference_batch: 10,
        rounds: 11 * scale,
    };
    let backend = Backend::current();
    let mut out = vec![
        b.measure("modexp, rug pow_mod (the unit: 1 +- noise)", 10, |i| {
            black_box(rug::Integer::from(
                plain[(i + 3) % 8]
                    .pow_mod_ref(&exp_ints[i % n], p)
                    .expect("exponent is non-negative"),
            ));
        }),
        b.measure(
            "modexp, variable base, 256-bit exponent (chosen backend)",
            10,
            |i| {
                black_box(G::vartime_pow(&bases[(i + 3) % 8], &exps[i % n]));
            },
        ),
        b.measure("modexp, constant time (chosen backend)", 10, |i| {
            black_box(G::pow(&bases[i % 8], &exps[i % n]));
        }),
        b.measure("modexp, constant time, rug secure_pow_mod", 10, |i| {
            black_box(rug::Integer::from(
                plain[i % 8].secure_pow_mod_ref(&exp_ints[i % n], p),
            ));
        }),
    ];
    // Every other backend this CPU runs, in the same rounds.
    for other in [Backend::Ifma, Backend::Portable] {
        if other == backend || !other.is_supported() {
            continue;
        }
        let (vartime, secret) = match other {
            Backend::Ifma => (
                "modexp, variable base, ifma backend",
                "modexp, constant time, ifma backend",
            ),
            _ => (
                "modexp, variable base, portable backend",
                "modexp, constant time, portable backend",
            ),
        };
        out.push(b.measure(vartime, 10, |i| {
            black_box(pow_on(other, &plain[(i + 3) % 8], &exp_limbs[i % n], false));
        }));
        out.push(b.measure(secret, 10, |i| {
            black_box(pow_on(other, &plain[i % 8], &exp_limbs[i % n], true));
        }));
    }
    out.extend([
        b.measure("fixed base g, 10-bit table", 50, |i| {
            black_box(G::vartime_g_pow(&exps[i % n]));
        }),
        b.measure(
            "fixed base K (any long-lived base), 10-bit table",
            50,
            |i| {
                black_box(G::vartime_table_pow(&k_table, &exps[i % n]));
            },
        ),
    ]);
    for (terms, name) in [
        (2usize, "multi-exponentiation, 2 terms (Straus)"),
        (3, "multi-exponentiation, 3 terms (Straus)"),
        (5, "multi-exponentiation, 5 terms (Straus)"),
    ] {
        out.push(b.measure(name, 5, |i| {
            let t: Vec<_> = (0..terms)
                .map(|j| (&bases[(i + j) % 8], &exps[(i + j) % n]))
                .collect();
            black_box(G::vartime_multi_pow(&t));
        }));
    }
    // One selection of a ballot: Enc(σ, ξ) and its 0..1 range proof (spec 2.0 eq. (24),
    // (44)-(48)): six fixed-base exponentiations and one hash.
    let joint_key = PublicKey::<G>::new(bases[1].clone());
    let h_e = HashValue([9; 32]);
    let mut nonce_rng = StdRng::seed_from_u64(7);
    let proof_nonces: Vec<ProofNonces<ScalarQ>> = (0..16)
        .map(|_| ProofNonces::random(1, &mut nonce_rng))
        .collect();
    out.push(
        b.measure("encrypt one selection with its 0..1 range proof", 20, |i| {
            let vote = (i % 2) as u32;
            let ct = joint_key.encrypt(u64::from(vote), &exps[i % n]);
            let proof = prove_range(
                &h_e,
                &joint_key,
                &ct,
                vote,
                1,
                &exps[i % n],
                &proof_nonces[i % 16],
            );
            black_box((ct, proof.expect("0 or 1 is in the range 0..=1")));
        }),
    );
    // The same selection checked as the tally and a verifier do (Verification 5): four
    // variable-base exponentiations, four fixed-base ones and a hash.
    let proven: Vec<_> = (0..8)
        .map(|i| {
            let vote = (i % 2) as u32;
            let ct = joint_key.encrypt(u64::from(vote), &exps[i]);
            let proof = prove_range(&h_e, &joint_key, &ct, vote, 1, &exps[i], &proof_nonces[i])
                .expect("0 or 1 is in the range 0..=1");
            (ct, proof)
        })
        .collect();
    out.push(b.measure("check one selection's 0..1 range proof", 5, |i| {
        let (ct, proof) = &proven[i % 8];
        black_box(proof.verify(&h_e, &joint_key, ct).is_ok());
    }));
    // The same selection on P-256 (egk-ec's curve), for the choice of group: point arithmetic
    // in place of 4096-bit exponentiations, in the same unit.
    out.extend(p256_selection(&mut b));
    // Decryption, per guardian and item (spec 2.0 §3.6): the partial decryption A^{P(i)} with
    // its commitment (constant time), and the check of its answer (eq. (74), (75)).
    let guardian = DecryptingGuardian::<G>::new(1, SecretScalar::new(exps[5]));
    let targets: Vec<Target<G>> = proven
        .iter()
        .map(|(ct, _)| Target::Vote(ct.clone()))
        .collect();
    let seed = NonceSeed::random(&mut rng);
    out.push(b.measure(
        "one guardian's partial decryption with commitment",
        5,
        |i| {
            black_box(guardian.commit(&targets[i % 8..i % 8 + 1], &seed));
        },
    ));
    out.push(
        b.measure("group membership check (x^q mod p = 1)", 10, |i| {
            black_box(G::element_from_bytes(&encoded[i % 8]).is_ok());
        }),
    );
    out.push(b.measure("modular multiplication", 500, |i| {
        black_box(G::mul(&bases[i % 8], &bases[(i + 1) % 8]));
    }));
    out.push(b.measure(
        "H = HMAC-SHA-256 over 3585 bytes (a range-proof challenge)",
        500,
        |_| {
            black_box(Hasher::new(&key, 0x21).bytes(&input).finish());
        },
    ));
    b.rounds = 3;
    out.push(
        b.measure("fixed-base table build (13 MiB, once per base)", 1, |i| {
            black_box(G::table(&bases[i % 8]));
        }),
    );
    out
}

/// Encrypting and checking one 0..1 selection on P-256, as the two lines above do on the
/// 4096-bit group.
fn p256_selection<R: FnMut(usize)>(b: &mut Bencher<R>) -> Vec<Measurement> {
    type C = entente_group::P256;
    let mut rng = StdRng::seed_from_u64(256);
    let nonces: Vec<entente_group::ScalarN> = (0..16)
        .map(|_| entente_group::ScalarN::random(&mut rng))
        .collect();
    let key = PublicKey::<C>::new(C::g_pow(&nonces[15]));
    let h_e = HashValue([9; 32]);
    let proof_nonces: Vec<ProofNonces<entente_group::ScalarN>> =
        (0..16).map(|_| ProofNonces::random(1, &mut rng)).collect();
    let encrypt = |i: usize| {
        let vote = (i % 2) as u32;
        let ct = key.encrypt(u64::from(vote), &nonces[i % 16]);
        let proof = prove_range(
            &h_e,
            &key,
            &ct,
            vote,
            1,
            &nonces[i % 16],
            &proof_nonces[i % 16],
        )
        .expect("0 or 1 is in the range 0..=1");
        (ct, proof)
    };
    let encrypted = b.measure(
        "P-256: encrypt one selection with its 0..1 range proof",
        200,
        |i| {
            black_box(encrypt(i));
        },
    );
    let proven: Vec<_> = (0..8).map(encrypt).collect();
    let checked = b.measure("P-256: check one selection's 0..1 range proof", 200, |i| {
        let (ct, proof) = &proven[i % 8];
        black_box(proof.verify(&h_e, &key, ct).is_ok());
    });
    vec![encrypted, checked]
}

/// The backend in use and the CPU, for the report's first lines.
pub fn header() -> String {
    let backend = Backend::current();
    let forced = std::env::var(entente_group::modp::BACKEND_VAR)
        .ok()
        .filter(|v| !v.trim().is_empty());
    let how = match (forced, Backend::calibration()) {
        (Some(_), _) => "forced by ENTENTE_BACKEND".to_string(),
        (None, None) => "detected".to_string(),
        (None, Some((_, portable, gmp))) => format!(
            "the faster without IFMA, timed at start: portable {:.0} µs, gmp {:.0} µs",
            portable * 1e6,
            gmp * 1e6
        ),
    };
    format!(
        "backend: {} ({}), {how}\ncpu: {}\n",
        backend.name(),
        backend.describe(),
        cpu_name()
    )
}

/// The CPU's model name as the kernel reports it, with AVX-512 IFMA's presence.
fn cpu_name() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let ifma = if Backend::Ifma.is_supported() {
        "has"
    } else {
        "lacks"
    };
    format!("{model} ({ifma} AVX-512 IFMA)")
}

/// The report, one line per operation, and the ratios the project's goals are stated in.
pub fn report(measurements: &[Measurement]) -> String {
    let mut s = header();
    s.push_str(&format!(
        "{:<64} {:>12} {:>12}\n",
        "operation", "time/op", "GMP-me"
    ));
    for m in measurements {
        s.push_str(&format!(
            "{:<64} {:>9.1} µs {:>12.3}\n",
            m.name,
            m.per_op.as_secs_f64() * 1e6,
            m.ratio
        ));
    }
    let find = |name: &str| measurements.iter().find(|m| m.name == name);
    if let (Some(ct), Some(sec)) = (
        find("modexp, constant time (chosen backend)"),
        find("modexp, constant time, rug secure_pow_mod"),
    ) {
        s.push_str(&format!(
            "constant time against rug's secure_pow_mod: {:.3}\n",
            ct.ratio / sec.ratio
        ));
    }
    s
}

/// `verify_backends`' report: how many times as many ballots the chosen backend checks as
/// `against`, both on one thread.
pub fn backends_report(rounds: &[PairRound], against: Backend) -> String {
    // The ratio reads chosen/against: the rounds list the backend compared first.
    let swapped: Vec<PairRound> = rounds
        .iter()
        .map(|r| PairRound {
            first: r.second,
            second: r.first,
        })
        .collect();
    let mut s = header();
    s.push_str(&crate::verify_bench::pair_report(
        &swapped,
        &format!("{}, 1 thread", against.name()),
        &format!("{}, 1 thread", Backend::current().name()),
    ));
    s
}
