//! Group and scalar laws, written once generically and run for every group backend.

use entente_group::{Group, GroupError, P4096, Scalar};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn scalar_laws<S: Scalar>() {
    let mut rng = rng(1);
    for _ in 0..200 {
        let a = S::random(&mut rng);
        let b = S::random(&mut rng);
        let c = S::random(&mut rng);
        assert_eq!(a.add(&b), b.add(&a));
        assert_eq!(a.mul(&b), b.mul(&a));
        assert_eq!(a.add(&b).sub(&b), a);
        assert_eq!(a.add(&a.neg()), S::zero());
        assert_eq!(a.mul(&b.add(&c)), a.mul(&b).add(&a.mul(&c)));
        assert_eq!(a.mul(&S::one()), a);
        assert_eq!(S::from_canonical_bytes(&a.to_bytes()).unwrap(), a);
        assert_eq!(S::from_hex(&a.to_hex()).unwrap(), a);
    }
    assert!(S::zero().is_zero());
    assert!(!S::one().is_zero());
    assert_eq!(S::from_u64(7).sub(&S::from_u64(9)), S::from_u64(2).neg());
    assert!(matches!(
        S::from_canonical_bytes(&[0u8; 31]),
        Err(GroupError::Length {
            expected: 32,
            actual: 31
        })
    ));
    // 2^256 - 1 is not below q: not canonical, but as a hash output it reduces.
    assert_eq!(
        S::from_canonical_bytes(&[0xff; 32]),
        Err(GroupError::ScalarRange)
    );
    let reduced = S::from_hash(&[0xff; 32]);
    assert!(S::from_canonical_bytes(&reduced.to_bytes()).is_ok());
}

fn group_laws<G: Group>() {
    let mut rng = rng(2);
    let g = G::generator();
    let a = G::Scalar::random(&mut rng);
    let b = G::Scalar::random(&mut rng);

    // Every exponentiation path agrees.
    let ga = G::pow(g, &a);
    assert_eq!(G::g_pow(&a), ga);
    assert_eq!(G::vartime_pow(g, &a), ga);
    assert_eq!(G::vartime_g_pow(&a), ga);
    let table = G::table(&ga);
    assert_eq!(G::vartime_table_pow(&table, &b), G::vartime_pow(&ga, &b));
    assert_eq!(G::vartime_g_pow(&G::Scalar::zero()), G::identity());

    // Homomorphism: g^a * g^b = g^(a+b); (g^a)^b = g^(ab); g^-a is the inverse.
    let gb = G::vartime_g_pow(&b);
    assert_eq!(G::mul(&ga, &gb), G::vartime_g_pow(&a.add(&b)));
    assert_eq!(G::vartime_pow(&ga, &b), G::vartime_g_pow(&a.mul(&b)));
    assert_eq!(G::mul(&ga, &G::inv(&ga)), G::identity());
    assert_eq!(G::vartime_g_pow(&a.neg()), G::inv(&ga));

    // Multi-exponentiation equals the product of single exponentiations, for 0..5 terms.
    let bases: Vec<G::Element> = (0..5)
        .map(|_| G::vartime_g_pow(&G::Scalar::random(&mut rng)))
        .collect();
    let mut exps: Vec<G::Scalar> = (0..5).map(|_| G::Scalar::random(&mut rng)).collect();
    exps[2] = G::Scalar::zero();
    exps[3] = G::Scalar::from_u64(1);
    for n in 0..=5 {
        let terms: Vec<(&G::Element, &G::Scalar)> = bases.iter().zip(&exps).take(n).collect();
        let expected = terms.iter().fold(G::identity(), |acc, (b, e)| {
            G::mul(&acc, &G::vartime_pow(b, e))
        });
        assert_eq!(G::vartime_multi_pow(&terms), expected, "{n} terms");
    }

    // Canonical encoding round-trips, has fixed width, and rejects other lengths.
    let bytes = G::element_to_bytes(&ga);
    assert_eq!(bytes.len(), G::ELEMENT_BYTES);
    assert_eq!(G::element_from_bytes(&bytes).unwrap(), ga);
    assert_eq!(G::element_from_hex(&G::element_to_hex(&ga)).unwrap(), ga);
    assert!(matches!(
        G::element_from_bytes(&bytes[1..]),
        Err(GroupError::Length { .. })
    ));
    let small = G::vartime_pow_u64(&ga, 3);
    assert_eq!(small, G::mul(&ga, &G::mul(&ga, &ga)));
}

#[test]
fn p4096_scalars() {
    scalar_laws::<<P4096 as Group>::Scalar>();
}

#[test]
fn p4096_group() {
    group_laws::<P4096>();
}
