//! Exponentiation algorithms, written once over a [`Kernel`] and run on whichever backend the
//! process chose. Exponents are little-endian 64-bit limbs.

use super::Kernel;

/// Bit `i` of a little-endian exponent (0 beyond its end).
fn bit(e: &[u64], i: usize) -> u64 {
    e.get(i / 64).map_or(0, |limb| (limb >> (i % 64)) & 1)
}

fn bit_length(e: &[u64]) -> usize {
    for (i, limb) in e.iter().enumerate().rev() {
        if *limb != 0 {
            return 64 * i + (64 - limb.leading_zeros() as usize);
        }
    }
    0
}

/// Window width of the sliding-window exponentiation: 16 odd powers for a 256-bit exponent,
/// about 256 squarings and 43 products.
const SLIDING_BITS: usize = 5;

/// Exponents of at most this many bits skip the sliding window's table of 16 odd powers.
const SHORT_BITS: usize = 16;

/// `base^e` for a **public** exponent: left-to-right sliding windows over odd powers
/// (Handbook of Applied Cryptography Alg. 14.85). Its time depends on e.
pub(crate) fn pow_vartime<K: Kernel>(k: K, base: &K::W, e: &[u64]) -> K::W {
    let bits = bit_length(e);
    if bits == 0 {
        return k.one();
    }
    if bits <= SHORT_BITS {
        // A short exponent (189 for the membership identity): left-to-right binary, no table.
        let mut acc = base.clone();
        for i in (0..bits - 1).rev() {
            acc = k.sqr(&acc);
            if bit(e, i) == 1 {
                acc = k.mul(&acc, base);
            }
        }
        return acc;
    }
    // odd[i] = base^(2i+1).
    let square = k.sqr(base);
    let mut odd = Vec::with_capacity(1 << (SLIDING_BITS - 1));
    odd.push(base.clone());
    for i in 1..1 << (SLIDING_BITS - 1) {
        let next = k.mul(&odd[i - 1], &square);
        odd.push(next);
    }
    let mut acc: Option<K::W> = None;
    let mut i = bits as isize - 1;
    while i >= 0 {
        if bit(e, i as usize) == 0 {
            acc = acc.map(|a| k.sqr(&a));
            i -= 1;
            continue;
        }
        // The longest window [j, i] of at most SLIDING_BITS bits that ends in a 1.
        let mut j = (i - SLIDING_BITS as isize + 1).max(0);
        while bit(e, j as usize) == 0 {
            j += 1;
        }
        let mut value = 0usize;
        for b in (j..=i).rev() {
            value = (value << 1) | bit(e, b as usize) as usize;
        }
        acc = Some(match acc {
            None => odd[value >> 1].clone(),
            Some(mut a) => {
                for _ in j..=i {
                    a = k.sqr(&a);
                }
                k.mul(&a, &odd[value >> 1])
            }
        });
        i = j - 1;
    }
    acc.unwrap_or_else(|| k.one())
}

/// Window width of the constant-time exponentiation.
const FIXED_BITS: usize = 4;

/// `base^e` for a **secret** exponent, in constant time: fixed 4-bit windows over every digit
/// of the exponent's full width (leading zeros included), each table entry fetched by
/// [`Kernel::select`]'s masked scan, and products and squares whose instructions do not depend
/// on their operands. Neither a branch nor a memory address depends on `e`.
///
/// Used by `P4096::pow` and `P4096::g_pow`, whose callers are: a guardian's polynomial
/// commitments g^(a_j) and Schnorr proof nonces (entente-core `keys::polynomial`,
/// `keys::schnorr`); share encryption with its nonce and decryption with the recipient's
/// secret key (`keys::share`); the partial decryption M_i = A^(P(i)) with its commitment nonces
/// (`decrypt`). Ballot encryption raises g and K to its nonces through their fixed-base tables
/// (`vartime_table_pow`), whose table addresses depend on the nonce's digits.
pub(crate) fn pow_secret<K: Kernel>(k: K, base: &K::W, e: &[u64]) -> K::W {
    let mut table = Vec::with_capacity(1 << FIXED_BITS);
    table.push(k.one());
    table.push(base.clone());
    for i in 2..1 << FIXED_BITS {
        let next = k.mul(&table[i - 1], base);
        table.push(next);
    }
    let digits = 64 * e.len() / FIXED_BITS;
    let digit = |i: usize| {
        let bit = FIXED_BITS * i;
        ((e[bit / 64] >> (bit % 64)) & ((1 << FIXED_BITS) - 1)) as usize
    };
    let mut acc = k.select(&table, digit(digits - 1));
    for i in (0..digits - 1).rev() {
        for _ in 0..FIXED_BITS {
            acc = k.sqr(&acc);
        }
        acc = k.mul(&acc, &k.select(&table, digit(i)));
    }
    acc
}

/// Window width of the simultaneous multi-exponentiation.
const MULTI_BITS: usize = 4;

/// Window width of the shared-chain exponentiation.
const CHAIN_BITS: usize = 4;

/// `acc * x`, or `x` where nothing was multiplied yet.
fn times<K: Kernel>(k: K, acc: Option<K::W>, x: &K::W) -> K::W {
    match acc {
        None => x.clone(),
        Some(a) => k.mul(&a, x),
    }
}

/// `(prod_{d>=1} buckets[d], prod_{d>=1} buckets[d]^d)` as running products from the top bucket
/// down: each bucket enters the running product once and is then counted in the total d times,
/// about two products per bucket (None where every bucket is empty).
fn bucket_powers<K: Kernel>(k: K, buckets: &[Option<K::W>]) -> (Option<K::W>, Option<K::W>) {
    let (mut running, mut total) = (None, None);
    for bucket in buckets.iter().skip(1).rev() {
        if let Some(b) = bucket {
            running = Some(times(k, running, b));
        }
        if let Some(r) = &running {
            total = Some(times(k, total, r));
        }
    }
    (running, total)
}

/// The odd windows of a right-to-left sliding-window recoding of `e` (256 bits): pairs
/// `(i, d)`, d odd and below 2^CHAIN_BITS, with `e = sum d * 2^i` and no two windows
/// overlapping. About 256 / (CHAIN_BITS + 1) of them, against 64 digits of fixed windows.
fn odd_windows(e: &[u64; 4]) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(256 / (CHAIN_BITS + 1) + 2);
    let mut i = 0;
    while i < 256 {
        if bit(e, i) == 0 {
            i += 1;
            continue;
        }
        let d = (0..CHAIN_BITS)
            .filter(|b| i + b < 256)
            .fold(0, |d, b| d | (bit(e, i + b) << b));
        out.push((i, d as usize));
        i += CHAIN_BITS;
    }
    out
}

/// `prod_j buckets[j]^(2j+1)`, the odd digits' buckets combined: with `R_j = prod_{i>=j}
/// buckets[i]` it is `R_0 * (prod_{j>=1} R_j)^2`, about two products per bucket and a square.
fn combine_odd<K: Kernel>(k: K, buckets: &[Option<K::W>]) -> K::W {
    let (mut running, total) = bucket_powers(k, buckets);
    if let Some(b0) = buckets.first().and_then(Option::as_ref) {
        running = Some(times(k, running, b0));
    }
    match (running, total) {
        (None, _) => k.one(),
        (Some(r), None) => r,
        (Some(r), Some(t)) => k.mul(&r, &k.sqr(&t)),
    }
}

/// `base^e` for each **public** exponent of `exps` (at most 256 bits each), from one squaring
/// chain, and `base^(2^256)`, the chain's end. Yao's method (Handbook of Applied Cryptography
/// Alg. 14.109) over sliding windows of odd digits, the transpose of the sliding-window
/// exponentiation: each chain value `base^(2^i)` where a window of e starts is multiplied into
/// the bucket of that window's odd digit, and the buckets are combined at the end. The 256
/// squarings, the bulk of an exponentiation, are shared; each exponent costs about 43 products
/// for its windows and 17 to combine (fixed 4-bit digits cost about 45 and 28). The chain's end
/// gives the membership identity of `P4096::vartime_pow_many_checked` for five more products.
pub(crate) fn pow_many_vartime<K: Kernel>(
    k: K,
    base: &K::W,
    exps: &[[u64; 4]],
) -> (Vec<K::W>, K::W) {
    const BUCKETS: usize = 1 << (CHAIN_BITS - 1);
    let windows: Vec<Vec<(usize, usize)>> = exps.iter().map(odd_windows).collect();
    let mut next = vec![0; exps.len()];
    let mut buckets: Vec<Vec<Option<K::W>>> = vec![vec![None; BUCKETS]; exps.len()];
    // x = base^(2^i) at step i; the chain is not kept, each value is used as it passes.
    let mut x = base.clone();
    for i in 0..256 {
        for ((w, at), b) in windows.iter().zip(&mut next).zip(&mut buckets) {
            if let Some(&(start, d)) = w.get(*at)
                && start == i
            {
                *at += 1;
                let slot = &mut b[d >> 1];
                *slot = Some(times(k, slot.take(), &x));
            }
        }
        x = k.sqr(&x);
    }
    let powers = buckets.iter().map(|b| combine_odd(k, b)).collect();
    (powers, x)
}

/// `prod base_i^e_i` for public exponents of 256 bits: Straus's simultaneous exponentiation
/// with 4-bit windows, one shared chain of 252 squarings, one product per non-zero digit per
/// base, 14 products per base to precompute.
pub(crate) fn multi_pow_vartime<K: Kernel>(k: K, terms: &[(K::W, [u64; 4])]) -> K::W {
    const SIZE: usize = 1 << MULTI_BITS;
    let powers: Vec<Vec<K::W>> = terms
        .iter()
        .map(|(b, _)| {
            let mut p = Vec::with_capacity(SIZE - 1);
            p.push(b.clone());
            for i in 1..SIZE - 1 {
                let next = k.mul(&p[i - 1], b);
                p.push(next);
            }
            p
        })
        .collect();
    let mut acc: Option<K::W> = None;
    for i in (0..256 / MULTI_BITS).rev() {
        if let Some(a) = acc.as_mut() {
            for _ in 0..MULTI_BITS {
                *a = k.sqr(a);
            }
        }
        for (p, (_, e)) in powers.iter().zip(terms) {
            let bit = MULTI_BITS * i;
            let d = ((e[bit / 64] >> (bit % 64)) & (SIZE as u64 - 1)) as usize;
            if d != 0 {
                acc = Some(match acc {
                    None => p[d - 1].clone(),
                    Some(a) => k.mul(&a, &p[d - 1]),
                });
            }
        }
    }
    acc.unwrap_or_else(|| k.one())
}

/// `prod x_i^e_i` for short random exponents: Pippenger's buckets, about n + 2^(c+1) products
/// per c-bit window, so a few hundred elements cost a tenth of an exponentiation each.
pub(crate) fn multi_pow_u128<K: Kernel>(k: K, elements: &[K::W], exps: &[u128]) -> K::W {
    // Window width about log2(n) - 1, so that the buckets cost no more than the elements.
    let bits = (usize::BITS - elements.len().leading_zeros())
        .saturating_sub(1)
        .clamp(2, 12) as usize;
    let windows = 128usize.div_ceil(bits);
    let mask = (1u128 << bits) - 1;
    let mut acc: Option<K::W> = None;
    for w in (0..windows).rev() {
        if let Some(a) = acc.as_mut() {
            for _ in 0..bits {
                *a = k.sqr(a);
            }
        }
        let mut buckets: Vec<Option<K::W>> = vec![None; 1 << bits];
        for (x, e) in elements.iter().zip(exps) {
            let d = ((e >> (w * bits)) & mask) as usize;
            if d != 0 {
                buckets[d] = Some(times(k, buckets[d].take(), x));
            }
        }
        if let (_, Some(t)) = bucket_powers(k, &buckets) {
            acc = Some(match acc {
                None => t,
                Some(a) => k.mul(&a, &t),
            });
        }
    }
    acc.unwrap_or_else(|| k.one())
}

#[cfg(test)]
mod tests {
    use super::{CHAIN_BITS, odd_windows};

    /// The windows add up to the exponent, each odd, below 2^CHAIN_BITS and inside 256 bits,
    /// none overlapping the next.
    #[test]
    fn odd_windows_recode_the_exponent() {
        let mut exps = vec![[0; 4], [1, 0, 0, 0], [u64::MAX; 4], [0, 0, 0, 1 << 63]];
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..200 {
            exps.push(std::array::from_fn(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            }));
        }
        for e in exps {
            let windows = odd_windows(&e);
            let mut sum = [0u64; 4];
            for pair in windows.windows(2) {
                assert!(pair[1].0 >= pair[0].0 + CHAIN_BITS, "{e:x?}");
            }
            for (i, d) in windows {
                assert!(d % 2 == 1 && d < 1 << CHAIN_BITS && i < 256, "{e:x?}");
                // d * 2^i has no bit beyond 256 and none in common with the others.
                for b in 0..CHAIN_BITS {
                    if d >> b & 1 == 1 {
                        assert!(i + b < 256);
                        sum[(i + b) / 64] |= 1 << ((i + b) % 64);
                    }
                }
            }
            assert_eq!(sum, e);
        }
    }
}
