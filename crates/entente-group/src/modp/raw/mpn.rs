//! GMP's low-level multiplication on fixed-size limb arrays, as safe functions.
//!
//! Why FFI and not `rug`: an `Integer` product mod p is `mpz_mul` and then a division
//! (`mpz_tdiv_r`), which costs about twice the product. `mpz_powm` avoids the division with
//! Montgomery's reduction, but only inside one exponentiation; the verifier's shared squaring
//! chains (`exp::pow_many_vartime`) need the products one by one. GMP's public `mpn` layer gives
//! the same assembly products, and `gmp::Gmp` reduces them itself (Montgomery, R = 2^4096, with
//! the ElectionGuard prime's shape).
//!
//! Soundness of every call below: each function takes arrays of fixed sizes, so every pointer is
//! valid for exactly the limbs GMP reads or writes (the sizes passed are the arrays' lengths);
//! an output is a `&mut` borrow, which Rust keeps distinct from every input, as `mpn_mul_n`,
//! `mpn_sqr` and `mpn_mul` require; `mpn_add_n` and `mpn_sub_n` allow the output to be their
//! first input, which is the only overlap used; GMP keeps no pointer after a call, and its `mpn`
//! functions are reentrant (their scratch space is their own), so calls from several threads
//! are sound. A GMP limb is 64 bits here, checked when the crate is compiled.

use gmp_mpfr_sys::gmp;

const _: () = assert!(std::mem::size_of::<gmp::limb_t>() == 8);

/// `out = a · b` (4096 × 4096 bits).
pub(crate) fn mul(a: &[u64; 64], b: &[u64; 64], out: &mut [u64; 128]) {
    // SAFETY: see the module's text: 64-limb inputs, a 128-limb output distinct from both.
    unsafe {
        gmp::mpn_mul_n(
            out.as_mut_ptr().cast(),
            a.as_ptr().cast(),
            b.as_ptr().cast(),
            64,
        )
    }
}

/// `out = a²`.
pub(crate) fn sqr(a: &[u64; 64], out: &mut [u64; 128]) {
    // SAFETY: see the module's text: a 64-limb input, a 128-limb output distinct from it.
    unsafe { gmp::mpn_sqr(out.as_mut_ptr().cast(), a.as_ptr().cast(), 64) }
}

/// `out = a · d` for a 60-limb `a` and a 4-limb `d`.
pub(crate) fn mul_60_4(a: &[u64; 60], d: &[u64; 4], out: &mut [u64; 64]) {
    // SAFETY: see the module's text: GMP asks s1n ≥ s2n ≥ 1 (60 ≥ 4) and an output of
    // s1n + s2n = 64 limbs, distinct from both inputs.
    unsafe {
        gmp::mpn_mul(
            out.as_mut_ptr().cast(),
            a.as_ptr().cast(),
            60,
            d.as_ptr().cast(),
            4,
        );
    }
}

/// `acc += x` on 64 limbs, returning the carry out (0 or 1).
pub(crate) fn add_64(acc: &mut [u64; 64], x: &[u64; 64]) -> u64 {
    let acc = acc.as_mut_ptr();
    // SAFETY: see the module's text: 64 limbs each; the output is the first input, which
    // `mpn_add_n` allows.
    unsafe { gmp::mpn_add_n(acc.cast(), acc.cast_const().cast(), x.as_ptr().cast(), 64) }
}

/// `acc −= x` on 64 limbs, returning the borrow out (0 or 1).
pub(crate) fn sub_64(acc: &mut [u64; 64], x: &[u64; 64]) -> u64 {
    let acc = acc.as_mut_ptr();
    // SAFETY: as for `add_64`; `mpn_sub_n` allows the output to be its first input.
    unsafe { gmp::mpn_sub_n(acc.cast(), acc.cast_const().cast(), x.as_ptr().cast(), 64) }
}

#[cfg(test)]
mod tests {
    //! Each call against `rug`'s safe arithmetic on the same values.
    use rug::Integer;
    use rug::integer::Order;

    fn int(x: &[u64]) -> Integer {
        Integer::from_digits(x, Order::Lsf)
    }

    fn limbs<const N: usize>(seed: u64) -> [u64; N] {
        // A splitmix sequence: varied limbs, all-ones and zero ones included.
        let mut s = seed;
        std::array::from_fn(|i| {
            s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            match i % 17 {
                3 => u64::MAX,
                11 => 0,
                _ => z ^ (z >> 31),
            }
        })
    }

    #[test]
    fn every_call_matches_rug() {
        for seed in 0..20u64 {
            let (a, b) = (limbs::<64>(seed), limbs::<64>(seed + 100));
            let mut out = [0u64; 128];
            super::mul(&a, &b, &mut out);
            assert_eq!(int(&out), int(&a) * int(&b));
            super::sqr(&a, &mut out);
            assert_eq!(int(&out), int(&a) * int(&a));
            let (c, d) = (limbs::<60>(seed + 7), limbs::<4>(seed + 9));
            let mut out = [0u64; 64];
            super::mul_60_4(&c, &d, &mut out);
            assert_eq!(int(&out), int(&c) * int(&d));
            let r64 = Integer::from(1u32) << 4096u32;
            let mut acc = a;
            let carry = super::add_64(&mut acc, &b);
            assert_eq!(int(&acc) + Integer::from(carry) * &r64, int(&a) + int(&b));
            let mut acc = a;
            let borrow = super::sub_64(&mut acc, &b);
            assert_eq!(int(&acc) - Integer::from(borrow) * &r64, int(&a) - int(&b));
        }
        let ones = [u64::MAX; 64];
        let mut acc = ones;
        assert_eq!(super::add_64(&mut acc, &ones), 1);
        assert_eq!(int(&acc), int(&ones) - 1u32);
    }
}
