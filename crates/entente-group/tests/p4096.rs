//! Facts particular to the ElectionGuard 2.0 standard group.

use entente_group::{Group, GroupError, P4096, Scalar, ScalarQ};
use rug::Integer;

/// g exactly as printed in spec 2.0 §3.1.1 (the code derives it as 2^r mod p).
const G_SPEC: &str = "36036FED214F3B50DC566D3A312FE4131FEE1C2BCE6D02EA39B477AC05F7F885F38CFE77A7E45ACF4029114C4D7A9BFE058BF2F995D2479D3DDA618FFD910D3C4236AB2CFDD783A5016F7465CF59BBF45D24A22F130F2D04FE93B2D58BB9C1D1D27FC9A17D2AF49A779F3FFBDCA22900C14202EE6C99616034BE35CBCDD3E7BB7996ADFE534B63CCA41E21FF5DC778EBB1B86C53BFBE99987D7AEA0756237FB40922139F90A62F2AA8D9AD34DFF799E33C857A6468D001ACF3B681DB87DC4242755E2AC5A5027DB81984F033C4D178371F273DBB4FCEA1E628C23E52759BC7765728035CEA26B44C49A65666889820A45C33DD37EA4A1D00CB62305CD541BE1E8A92685A07012B1A20A746C3591A2DB3815000D2AACCFE43DC49E828C1ED7387466AFD8E4BF1935593B2A442EEC271C50AD39F733797A1EA11802A2557916534662A6B7E9A9E449A24C8CFF809E79A4D806EB681119330E6C57985E39B200B4893639FDFDEA49F76AD1ACD997EBA13657541E79EC57437E504EDA9DD011061516C643FB30D6D58AFCCD28B73FEDA29EC12B01A5EB86399A593A9D5F450DE39CB92962C5EC6925348DB54D128FD99C14B457F883EC20112A75A6A0581D3D80A3B4EF09EC86F9552FFDA1653F133AA2534983A6F31B0EE4697935A6B1EA2F75B85E7EBA151BA486094D68722B054633FEC51CA3F29B31E77E317B178B6B9D8AE0F";

#[test]
fn constants_match_the_spec() {
    let c = P4096::constants();
    assert_eq!(P4096::element_to_hex(P4096::generator()), G_SPEC);
    assert_eq!(c.p.significant_bits(), 4096);
    assert_eq!(Integer::from(&c.q * &c.r) + 1u32, c.p);
    assert_eq!(c.q, (Integer::from(1u32) << 256u32) - 189u32);
    // r = 2 * (r/2) with r/2 prime, and q does not divide r (spec §3.1, footnote 19).
    assert!(c.r.is_even());
    assert_ne!(Integer::from(&c.r % &c.q), 0, "q must not divide r");
    assert_eq!(
        P4096::vartime_pow(P4096::generator(), &ScalarQ::zero()),
        P4096::identity()
    );
}

#[test]
fn membership_is_checked() {
    let c = P4096::constants();
    let enc = |x: &Integer| {
        let mut out = vec![0u8; 512];
        x.write_digits(&mut out, rug::integer::Order::Msf);
        out
    };
    assert_eq!(
        P4096::element_from_bytes(&enc(&Integer::new())),
        Err(GroupError::ElementRange)
    );
    assert_eq!(
        P4096::element_from_bytes(&enc(&c.p)),
        Err(GroupError::ElementRange)
    );
    // p - 1 has order 2: in range, not in the order-q subgroup.
    assert_eq!(
        P4096::element_from_bytes(&enc(&Integer::from(&c.p - 1u32))),
        Err(GroupError::NotInSubgroup)
    );
    // 2 generates a larger group; 2^r = g is in the subgroup.
    assert_eq!(
        P4096::element_from_bytes(&enc(&Integer::from(2u32))),
        Err(GroupError::NotInSubgroup)
    );
    assert!(P4096::element_from_bytes(&enc(&c.g)).is_ok());
    assert!(P4096::element_from_bytes(&enc(&Integer::from(1u32))).is_ok());
}

#[test]
fn scalar_hash_reduction_matches_gmp() {
    let q = &P4096::constants().q;
    for top in [0x00u8, 0x7f, 0xff] {
        let mut bytes = [0xffu8; 32];
        bytes[0] = top;
        let expected = Integer::from_digits(&bytes, rug::integer::Order::Msf) % q;
        let got = Integer::from_digits(
            &ScalarQ::from_hash(&bytes).to_bytes(),
            rug::integer::Order::Msf,
        );
        assert_eq!(got, expected);
    }
    // q itself reduces to 0, q - 1 stays.
    let q_bytes = {
        let mut b = [0u8; 32];
        q.write_digits(&mut b, rug::integer::Order::Msf);
        b
    };
    assert!(ScalarQ::from_hash(&q_bytes).is_zero());
}

/// The batched membership test accepts members and refuses any batch with a non-member: one
/// with an order-2 component (-x, a non-residue) or one of order r' (9 = 3^2, a residue that is
/// not in the order-q subgroup), wherever it sits in the batch.
#[test]
fn batch_membership_finds_any_non_member() {
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(11);
    let members: Vec<_> = (0..40)
        .map(|_| P4096::vartime_g_pow(&ScalarQ::random(&mut rng)))
        .collect();
    let refs: Vec<&_> = members.iter().collect();
    for n in [0usize, 1, 2, 3, 17, 40] {
        assert!(P4096::batch_is_member(&refs[..n], &mut rng), "n = {n}");
    }
    let mut nine = vec![0u8; P4096::ELEMENT_BYTES];
    *nine.last_mut().unwrap() = 9;
    let nine = P4096::element_from_bytes_unchecked(&nine).unwrap();
    assert!(P4096::element_from_bytes(&P4096::element_to_bytes(&nine)).is_err());
    // p - g^x: the same element times -1.
    let p = P4096::constants().p_bytes();
    let minus = {
        let x = P4096::element_to_bytes(&members[0]);
        let (mut out, mut borrow) = (vec![0u8; p.len()], 0i16);
        for i in (0..p.len()).rev() {
            let d = i16::from(p[i]) - i16::from(x[i]) - borrow;
            borrow = i16::from(d < 0);
            out[i] = d.rem_euclid(256) as u8;
        }
        P4096::element_from_bytes_unchecked(&out).unwrap()
    };
    for bad in [&nine, &minus] {
        for at in [0usize, 5, 39] {
            let mut batch = refs.clone();
            batch[at] = bad;
            assert!(!P4096::batch_is_member(&batch, &mut rng), "at {at}");
        }
        assert!(!P4096::batch_is_member(&[bad], &mut rng));
    }
}

/// One squaring chain gives the same powers as separate exponentiations, for any exponents
/// (0, 1, q - 1, random), and its membership check is exact: members pass, an element of order
/// 2q (-x) and one outside the order-q subgroup (9) fail, whatever the exponents.
#[test]
fn shared_chain_powers_and_membership() {
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(256);
    let q_minus_1 = ScalarQ::zero().sub(&ScalarQ::one());
    for round in 0..6 {
        let base = P4096::vartime_g_pow(&ScalarQ::random(&mut rng));
        let mut exps = vec![ScalarQ::zero(), ScalarQ::one(), q_minus_1];
        exps.extend((0..round).map(|_| ScalarQ::random(&mut rng)));
        let refs: Vec<&ScalarQ> = exps.iter().collect();
        let separate: Vec<_> = exps.iter().map(|e| P4096::vartime_pow(&base, e)).collect();
        assert_eq!(P4096::vartime_pow_many(&base, &refs), separate);
        assert_eq!(
            P4096::vartime_pow_many_checked(&base, &refs),
            Some(separate)
        );
        assert_eq!(
            P4096::vartime_pow_many_checked(&base, &[]),
            Some(Vec::new())
        );
    }
    let mut nine = vec![0u8; P4096::ELEMENT_BYTES];
    *nine.last_mut().unwrap() = 9;
    let nine = P4096::element_from_bytes_unchecked(&nine).unwrap();
    let p_minus_1 = {
        let mut bytes = P4096::constants().p_bytes();
        *bytes.last_mut().unwrap() -= 1;
        P4096::element_from_bytes_unchecked(&bytes).unwrap()
    };
    let c = ScalarQ::random(&mut rng);
    for bad in [&nine, &p_minus_1] {
        assert_eq!(P4096::vartime_pow_many_checked(bad, &[&c, &c]), None);
        assert_eq!(P4096::vartime_pow_many_checked(bad, &[]), None);
        // The powers themselves are still right: only the membership fails.
        assert_eq!(
            P4096::vartime_pow_many(bad, &[&c]),
            vec![P4096::vartime_pow(bad, &c)]
        );
    }
}
