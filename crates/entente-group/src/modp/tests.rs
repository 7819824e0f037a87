//! Every backend against GMP: products, squares, conversions and every exponentiation, on
//! random values and on the edges.

use proptest::prelude::*;
use rug::Integer;
use rug::integer::Order;

use super::exp;
use super::gmp::Gmp;
use super::ifma::{self, Emulated, Emulator, Ifma52, Lanes, MontMul52};
use super::portable::Portable;
use super::simd::Ifma;
use super::{Backend, Kernel, Limbs, integer_of, limbs_of, select_limbs};
use crate::P4096;

fn p() -> &'static Integer {
    &P4096::constants().p
}

fn q() -> &'static Integer {
    &P4096::constants().q
}

/// A value in [0, p) from 64 random limbs (reduced: the bias does not matter here).
fn residue(limbs: &Limbs) -> Integer {
    integer_of(limbs) % p()
}

/// The values at the edges of [0, p).
fn edges() -> Vec<Integer> {
    let p = p();
    vec![
        Integer::from(0u32),
        Integer::from(1u32),
        Integer::from(2u32),
        Integer::from(p - 1u32),
        Integer::from(p - 2u32),
        Integer::from(1u32) << 4095u32,
        (Integer::from(1u32) << 4096u32) % p,
        P4096::constants().g.clone(),
    ]
}

/// The exponents at the edges: 0, 1, q−1, 2^256−1, a 512-bit one.
fn edge_exponents() -> Vec<Vec<u64>> {
    let q1 = Integer::from(q() - 1u32);
    let mut q1_limbs = [0u64; 4];
    q1.write_digits(&mut q1_limbs, Order::Lsf);
    vec![
        vec![0, 0, 0, 0],
        vec![1, 0, 0, 0],
        q1_limbs.to_vec(),
        vec![u64::MAX; 4],
        vec![
            0x0123_4567_89ab_cdef,
            u64::MAX,
            0,
            1 << 63,
            7,
            0,
            u64::MAX,
            1 << 62,
        ],
    ]
}

/// Checks one kernel's operations on x and y (plain values in [0, p)) against GMP.
fn check_kernel<K: Kernel>(k: K, name: &str, x: &Integer, y: &Integer) {
    let (xl, yl) = (limbs_of(x), limbs_of(y));
    let (xw, yw) = (k.enter(&xl), k.enter(&yl));
    assert_eq!(integer_of(&k.leave(&xw)), *x, "{name}: round trip");
    assert_eq!(
        integer_of(&k.leave(&k.load(&k.store(&xw)))),
        *x,
        "{name}: store and load"
    );
    let product = Integer::from(x * y) % p();
    assert_eq!(
        integer_of(&k.leave(&k.mul(&xw, &yw))),
        product,
        "{name}: mul"
    );
    let square = Integer::from(x * x) % p();
    assert_eq!(integer_of(&k.leave(&k.sqr(&xw))), square, "{name}: sqr");
}

fn check_pow<K: Kernel>(k: K, name: &str, x: &Integer, e: &[u64]) {
    let ei = Integer::from_digits(e, Order::Lsf);
    let expect = Integer::from(x.pow_mod_ref(&ei, p()).expect("e >= 0"));
    let xw = k.enter(&limbs_of(x));
    let got = integer_of(&k.leave(&exp::pow_vartime(k, &xw, e)));
    assert_eq!(got, expect, "{name}: pow_vartime, e = {ei:x}");
    let got = integer_of(&k.leave(&exp::pow_secret(k, &xw, e)));
    assert_eq!(got, expect, "{name}: pow_secret, e = {ei:x}");
}

/// Runs `f` on every kernel this CPU can run, the emulated IFMA one included.
fn each_kernel(mut f: impl FnMut(&dyn Fn(&Integer, &Integer), &dyn Fn(&Integer, &[u64]))) {
    f(&|x, y| check_kernel(Portable, "portable", x, y), &|x, e| {
        check_pow(Portable, "portable", x, e)
    });
    f(&|x, y| check_kernel(Gmp, "gmp", x, y), &|x, e| {
        check_pow(Gmp, "gmp", x, e)
    });
    f(
        &|x, y| check_kernel(Ifma52(Emulator), "ifma (emulated)", x, y),
        &|x, e| check_pow(Ifma52(Emulator), "ifma (emulated)", x, e),
    );
    if let Some(token) = Ifma::detect() {
        f(
            &|x, y| check_kernel(Ifma52(token), "ifma", x, y),
            &|x, e| check_pow(Ifma52(token), "ifma", x, e),
        );
    }
}

#[test]
fn every_backend_matches_gmp_at_the_edges() {
    let edges = edges();
    each_kernel(|ops, pow| {
        for x in &edges {
            for y in &edges {
                ops(x, y);
            }
            if *x != 0 {
                for e in edge_exponents() {
                    pow(x, &e);
                }
            }
        }
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn every_backend_matches_gmp_on_random_values(
        x in prop::array::uniform32(any::<u64>()),
        x2 in prop::array::uniform32(any::<u64>()),
        y in prop::array::uniform32(any::<u64>()),
        y2 in prop::array::uniform32(any::<u64>()),
        e in prop::array::uniform4(any::<u64>()),
    ) {
        let join = |a: [u64; 32], b: [u64; 32]| -> Limbs {
            std::array::from_fn(|i| if i < 32 { a[i] } else { b[i - 32] })
        };
        let (x, y) = (residue(&join(x, x2)), residue(&join(y, y2)));
        each_kernel(|ops, pow| {
            ops(&x, &y);
            if x != 0 {
                pow(&x, &e);
            }
        });
    }
}

#[test]
fn multi_exponentiations_match_gmp() {
    let g = &P4096::constants().g;
    let bases: Vec<Integer> = (1..=5u32)
        .map(|i| {
            Integer::from(
                g.pow_mod_ref(&Integer::from(1000 + i), p())
                    .expect("e >= 0"),
            )
        })
        .collect();
    let exps: Vec<[u64; 4]> = (0..5u64)
        .map(|i| {
            [
                i.wrapping_mul(0x9e37_79b9_7f4a_7c15),
                u64::MAX - i,
                i << 40,
                0xffff_0000 ^ i,
            ]
        })
        .collect();
    let short: Vec<u128> = (1..=5u128)
        .map(|i| i * 0x1234_5678_9abc_def0_1357)
        .collect();
    let expect_multi = bases
        .iter()
        .zip(&exps)
        .fold(Integer::from(1u32), |acc, (b, e)| {
            let e = Integer::from_digits(e, Order::Lsf);
            acc * Integer::from(b.pow_mod_ref(&e, p()).expect("e >= 0")) % p()
        });
    let expect_short = bases
        .iter()
        .zip(&short)
        .fold(Integer::from(1u32), |acc, (b, e)| {
            acc * Integer::from(b.pow_mod_ref(&Integer::from(*e), p()).expect("e >= 0")) % p()
        });
    fn run<K: Kernel>(k: K, bases: &[Integer], exps: &[[u64; 4]], short: &[u128]) -> [Integer; 2] {
        let loaded: Vec<_> = bases.iter().map(|b| k.enter(&limbs_of(b))).collect();
        let terms: Vec<_> = loaded.iter().cloned().zip(exps.iter().copied()).collect();
        [
            integer_of(&k.leave(&exp::multi_pow_vartime(k, &terms))),
            integer_of(&k.leave(&exp::multi_pow_u128(k, &loaded, short))),
        ]
    }
    let expect = [expect_multi, expect_short];
    assert_eq!(run(Portable, &bases, &exps, &short), expect, "portable");
    assert_eq!(
        run(Ifma52(Emulator), &bases, &exps, &short),
        expect,
        "ifma (emulated)"
    );
    assert_eq!(run(Gmp, &bases, &exps, &short), expect, "gmp");
    if let Some(token) = Ifma::detect() {
        assert_eq!(run(Ifma52(token), &bases, &exps, &short), expect, "ifma");
    }
}

/// The shared chain's powers (odd sliding windows, buckets combined) and its end, on every
/// kernel against GMP: exponents of every window shape at the top and bottom bits, 0, 1, q - 1,
/// all ones, a single top bit, alternating bits and runs that end at bit 255.
#[test]
fn shared_chains_match_gmp() {
    let base = Integer::from(
        P4096::constants()
            .g
            .pow_mod_ref(&Integer::from(4242u32), p())
            .expect("e >= 0"),
    );
    let mut exps: Vec<[u64; 4]> = edge_exponents()
        .into_iter()
        .filter(|e| e.len() == 4)
        .map(|e| [e[0], e[1], e[2], e[3]])
        .collect();
    exps.extend([
        [0, 0, 0, 1 << 63],
        [0x5555_5555_5555_5555; 4],
        [0xaaaa_aaaa_aaaa_aaaa; 4],
        [0, 0, 0, 0xe000_0000_0000_0000],
        [0x8000_0000_0000_0001, 0x11, 1 << 31, 0x7000_0000_0000_0000],
    ]);
    let expect: Vec<Integer> = exps
        .iter()
        .map(|e| {
            let e = Integer::from_digits(e, Order::Lsf);
            Integer::from(base.pow_mod_ref(&e, p()).expect("e >= 0"))
        })
        .collect();
    let end = Integer::from(
        base.pow_mod_ref(&(Integer::from(1u32) << 256), p())
            .expect("e >= 0"),
    );
    fn run<K: Kernel>(k: K, base: &Integer, exps: &[[u64; 4]]) -> (Vec<Integer>, Integer) {
        let (powers, end) = exp::pow_many_vartime(k, &k.enter(&limbs_of(base)), exps);
        let powers = powers.iter().map(|w| integer_of(&k.leave(w))).collect();
        (powers, integer_of(&k.leave(&end)))
    }
    let expect = (expect, end);
    assert_eq!(run(Portable, &base, &exps), expect, "portable");
    assert_eq!(
        run(Ifma52(Emulator), &base, &exps),
        expect,
        "ifma (emulated)"
    );
    assert_eq!(run(Gmp, &base, &exps), expect, "gmp");
    if let Some(token) = Ifma::detect() {
        assert_eq!(run(Ifma52(token), &base, &exps), expect, "ifma");
    }
}

#[test]
fn the_masked_scan_selects_each_entry() {
    let table: Vec<[u64; 3]> = (0..16u64).map(|i| [i, i * 7, !i]).collect();
    for (i, entry) in table.iter().enumerate() {
        assert_eq!(select_limbs(&table, i), *entry);
    }
    // An index beyond the table selects nothing rather than reading out of bounds.
    assert_eq!(select_limbs(&table, 99), [0; 3]);
}

#[test]
fn limbs_of_52_bits_round_trip() {
    let x = limbs_of(&Integer::from(p() - 12345u32));
    let (back, top) = ifma::from52(&ifma::to52(&x));
    assert_eq!((back, top), (x, 0));
    // Bit 4096 of a value below 2p comes back as `top`.
    let mut wide = ifma::to52(&x);
    wide[78] |= 1 << 40; // 52·78 + 40 = 4096
    assert_eq!(ifma::from52(&wide), (x, 1));
}

/// The registers and their emulation give the same lanes, operation by operation, on random
/// inputs (only where the CPU has IFMA).
#[test]
fn registers_match_their_emulation() {
    let Some(token) = Ifma::detect() else {
        eprintln!("this CPU has no AVX-512 IFMA: the register path is not tested here");
        return;
    };
    let c = ifma::constants();
    let mut x = c.one;
    for i in 0..50 {
        let y = ifma::to52(&limbs_of(&(Integer::from(i * 7919 + 3) << (i * 80))));
        let real = token.montmul(&x, &y, &c.p52);
        let emulated = Emulator.montmul(&x, &y, &c.p52);
        assert_eq!(real, emulated, "step {i}");
        x = real;
    }
    // One lane operation with extreme lanes, through the emulation only: the 52-bit
    // truncation of the operands.
    let a = Emulated::splat(u64::MAX);
    assert_eq!(a.madd52lo(a, a).lane0(), u64::MAX.wrapping_add(1));
}

#[test]
fn the_ifma_backend_is_taken_where_the_cpu_has_it() {
    let forced = std::env::var(super::BACKEND_VAR).unwrap_or_default();
    if forced.trim().is_empty() {
        if Ifma::detect().is_some() {
            assert_eq!(Backend::current(), Backend::Ifma);
        } else {
            // Without IFMA, the faster of the two measured.
            assert!(matches!(
                Backend::current(),
                Backend::Portable | Backend::Gmp
            ));
        }
    } else {
        assert_eq!(Backend::current().name(), forced.trim());
    }
}

#[test]
fn backend_names_parse() {
    assert_eq!(Backend::parse("portable"), Ok(Backend::Portable));
    assert_eq!(Backend::parse(" gmp "), Ok(Backend::Gmp));
    assert_eq!(Backend::parse(""), Ok(Backend::detect()));
    assert!(Backend::parse("fast").is_err());
    let ifma = Backend::parse("ifma");
    assert_eq!(ifma.is_ok(), Ifma::detect().is_some(), "{ifma:?}");
}

/// Products and squares of each kernel against GMP's `mpz_mul` and `mpz_mod`, in alternating
/// rounds (median ratios). Run with `cargo test --release -p entente-group -- --ignored
/// --nocapture kernel_speed`.
#[test]
#[ignore = "a measurement, not a test"]
fn kernel_speed() {
    use std::hint::black_box;
    use std::time::Instant;
    fn time<T>(n: usize, mut f: impl FnMut() -> T) -> f64 {
        let t = Instant::now();
        for _ in 0..n {
            black_box(f());
        }
        t.elapsed().as_secs_f64() / n as f64
    }
    let x = Integer::from(p() - 12345u32);
    let y = P4096::constants().g.clone();
    let (xl, yl) = (limbs_of(&x), limbs_of(&y));
    // Portable and GMP's kernel share the element form, so one pair of inputs serves both.
    let (xw, yw) = (Portable.enter(&xl), Portable.enter(&yl));
    let mut rows: Vec<[f64; 5]> = Vec::new();
    for _ in 0..21 {
        let reference = time(500, || Integer::from(black_box(&x) * black_box(&y)) % p());
        let pm = time(500, || Portable.mul(black_box(&xw), black_box(&yw)));
        let ps = time(500, || Portable.sqr(black_box(&xw)));
        let gm = time(500, || Gmp.mul(black_box(&xw), black_box(&yw)));
        let gs = time(500, || Gmp.sqr(black_box(&xw)));
        rows.push([
            pm / reference,
            ps / reference,
            gm / reference,
            gs / reference,
            reference,
        ]);
    }
    let median = |i: usize| {
        let mut v: Vec<f64> = rows.iter().map(|r| r[i]).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    eprintln!(
        "of a GMP product mod p by mpz_mul and mpz_mod ({:.2} µs): portable mul {:.3}, sqr {:.3}; \
         GMP's mpn with our reduction mul {:.3}, sqr {:.3}",
        median(4) * 1e6,
        median(0),
        median(1),
        median(2),
        median(3)
    );
}
