//! Large products for the half-gcd, by number-theoretic transforms whose
//! transforms can be shared between products.
//!
//! dashu-int multiplies large numbers with its own scalar three-prime NTT,
//! one product at a time. The half-gcd's products come in groups that share
//! operands (a 2×2 matrix times a vector: four products over six numbers,
//! combined into two sums), which a multiplication API cannot exploit: each
//! number is transformed once here, the sums are formed pointwise, and only
//! the two results are transformed back (8 transforms instead of 12).
//! No crate offers such an interface for integers, so the integer side
//! (splitting into residues, the Chinese remainder recombination, the carries)
//! is written here; the transforms themselves are tfhe-ntt's (BSD-3-Clause-Clear,
//! pure Rust, AVX2/AVX-512 kernels chosen at run time): negacyclic transforms of
//! power-of-two length modulo three 62-bit primes, with one 64-bit word of the
//! numbers per coefficient. A product of l words needs a transform of at least
//! l coefficients (negacyclic wrap-around then never happens), and its
//! coefficients stay below l · 2^128 · terms, far below the primes' product
//! (about 2^186) over half.

use std::sync::{Arc, Mutex, OnceLock};

use dashu_int::{IBig, Sign, UBig};
use tfhe_ntt::prime64::Plan;

/// Primes c · 2^32 + 1 just below 2^62 (tfhe-ntt's fastest 64-bit kernels
/// take moduli under 2^62; 2^32 | p − 1 allows transforms up to 2^31 long).
const PRIMES: [u64; 3] = [0x3fff_ffee_0000_0001, 0x3fff_ffb4_0000_0001, 0x3fff_ffa0_0000_0001];

/// Below this many words in the smaller operand of some product, dashu's own
/// multiplication (schoolbook, Karatsuba) is used. Low: a single balanced
/// product breaks even with dashu's near 1000 words, but the half-gcd's
/// products come four or eight to a group, share their transforms and are
/// unbalanced, and the whole recovery of the 1024-bit pair measured 17.3 s
/// CPU with 1024 here, 14.4 s with 128, 13.5 s with 64 and no better below.
pub(super) const THRESHOLD: usize = 64;

/// Transforms up to this long keep their plans for the life of the process
/// (about 100 MB for all of them together).
const KEEP_PLANS_UP_TO: usize = 1 << 19;

/// Plans for transforms of length n. A plan holds four tables of twiddle
/// factors as long as the transform (96 bytes a coefficient for the three
/// primes) and making one costs more than a transform, so they are kept: all
/// up to KEEP_PLANS_UP_TO long, shared by all threads, and of the longer ones
/// (200 MB at 2^21, the top of a 2048-bit key's gcd) only the last one each
/// thread used, which bounds the memory they take at a cost of a few per cent
/// of the time (per thread: groups recovered in parallel do not take each
/// other's plan away).
fn plans(n: usize) -> Arc<[Plan; 3]> {
    static SMALL: Mutex<Vec<Option<Arc<[Plan; 3]>>>> = Mutex::new(Vec::new());
    thread_local! {
        static LARGE: std::cell::RefCell<Option<(usize, Arc<[Plan; 3]>)>> = const { std::cell::RefCell::new(None) };
    }
    let make =
        || Arc::new(PRIMES.map(|p| Plan::try_new(n, p).expect("2n divides p - 1 for every transform length used")));
    if n > KEEP_PLANS_UP_TO {
        return LARGE.with(|large| {
            let mut large = large.borrow_mut();
            if let Some((m, p)) = large.as_ref()
                && *m == n
            {
                return p.clone();
            }
            // The old plan goes before the new one is made.
            *large = None;
            let p = make();
            *large = Some((n, p.clone()));
            p
        });
    }
    let log = n.trailing_zeros() as usize;
    let mut cache = SMALL.lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() <= log {
        cache.resize(log + 1, None);
    }
    cache[log].get_or_insert_with(make).clone()
}

/// a · w mod p for a fixed w < p with w' = ⌊w · 2^64 / p⌋ (Shoup), p < 2^63.
#[inline(always)]
fn mul_shoup(a: u64, w: u64, w_shoup: u64, p: u64) -> u64 {
    let q = ((u128::from(a) * u128::from(w_shoup)) >> 64) as u64;
    let r = a.wrapping_mul(w).wrapping_sub(q.wrapping_mul(p));
    if r >= p { r - p } else { r }
}

fn shoup(w: u64, p: u64) -> u64 {
    ((u128::from(w) << 64) / u128::from(p)) as u64
}

fn pow_mod(mut b: u64, mut e: u64, p: u64) -> u64 {
    let mut r = 1u64;
    while e > 0 {
        if e & 1 == 1 {
            r = (u128::from(r) * u128::from(b) % u128::from(p)) as u64;
        }
        b = (u128::from(b) * u128::from(b) % u128::from(p)) as u64;
        e >>= 1;
    }
    r
}

/// Constants of Garner's recombination x = r0 + p0 t1 + p0 p1 t2.
struct Crt {
    /// p0⁻¹ mod p1 and its Shoup companion.
    inv01: (u64, u64),
    /// p0⁻¹ mod p2.
    inv02: (u64, u64),
    /// p1⁻¹ mod p2.
    inv12: (u64, u64),
    /// p0 p1 as (low, high) words.
    p01: (u64, u64),
    /// p0 p1 p2 and half of it, as three words, low first.
    p: [u64; 3],
    half: [u64; 3],
}

fn crt() -> &'static Crt {
    static CRT: OnceLock<Crt> = OnceLock::new();
    CRT.get_or_init(|| {
        let [p0, p1, p2] = PRIMES;
        let inv = |a: u64, p: u64| {
            let i = pow_mod(a % p, p - 2, p);
            (i, shoup(i, p))
        };
        let p01 = u128::from(p0) * u128::from(p1);
        let lo = u128::from(p01 as u64) * u128::from(p2);
        let hi = u128::from((p01 >> 64) as u64) * u128::from(p2) + (lo >> 64);
        let p = [lo as u64, hi as u64, (hi >> 64) as u64];
        let half = [(p[0] >> 1) | (p[1] << 63), (p[1] >> 1) | (p[2] << 63), p[2] >> 1];
        Crt {
            inv01: inv(p0, p1),
            inv02: inv(p0, p2),
            inv12: inv(p1, p2),
            p01: (p01 as u64, (p01 >> 64) as u64),
            p,
            half,
        }
    })
}

/// x mod p for any 64-bit x and p just below 2^62.
#[inline(always)]
fn reduce(x: u64, p: u64) -> u64 {
    // x − ⌊x / 2^62⌋ p < 2^62 + 3 (2^62 − p) < 2p.
    let r = x - (x >> 62) * p;
    if r >= p { r - p } else { r }
}

/// The signed coefficients (residues r0, r1, r2) put together and added up
/// at their word positions, as a two's complement number of `len` words.
fn recombine(res: [&[u64]; 3], len: usize) -> IBig {
    let c = crt();
    let [p0, p1, p2] = PRIMES;
    let mut out = Vec::with_capacity(len);
    let mut carry: i128 = 0;
    for ((&r0, &r1), &r2) in res[0].iter().zip(res[1]).zip(res[2]) {
        let r0_1 = if r0 >= p1 { r0 - p1 } else { r0 };
        let r0_2 = reduce(r0, p2);
        let t1 = mul_shoup(if r1 >= r0_1 { r1 - r0_1 } else { r1 + p1 - r0_1 }, c.inv01.0, c.inv01.1, p1);
        let u = mul_shoup(if r2 >= r0_2 { r2 - r0_2 } else { r2 + p2 - r0_2 }, c.inv02.0, c.inv02.1, p2);
        let t1_2 = if t1 >= p2 { t1 - p2 } else { t1 };
        let t2 = mul_shoup(if u >= t1_2 { u - t1_2 } else { u + p2 - t1_2 }, c.inv12.0, c.inv12.1, p2);
        // x = r0 + p0 t1 + p0 p1 t2 < p0 p1 p2, three words.
        let a = u128::from(r0) + u128::from(p0) * u128::from(t1);
        let lo = u128::from(c.p01.0) * u128::from(t2) + (a as u64 as u128);
        let mid = u128::from(c.p01.1) * u128::from(t2) + (lo >> 64) + (a >> 64);
        let mut x = [lo as u64, mid as u64, (mid >> 64) as u64];
        // Above half the modulus: a negative coefficient, x − P.
        if (x[2], x[1], x[0]) > (c.half[2], c.half[1], c.half[0]) {
            let (w0, b0) = x[0].overflowing_sub(c.p[0]);
            let (w1, b1a) = x[1].overflowing_sub(c.p[1]);
            let (w1, b1b) = w1.overflowing_sub(u64::from(b0));
            let w2 = x[2].wrapping_sub(c.p[2]).wrapping_sub(u64::from(b1a || b1b));
            x = [w0, w1, w2];
        }
        let hi = (i128::from(x[2] as i64) << 64) | i128::from(x[1]);
        let s = u128::from(x[0]) + u128::from(carry as u64);
        out.push(s as u64);
        carry = hi + (carry >> 64) + (s >> 64) as i128;
    }
    while out.len() < len {
        out.push(carry as u64);
        carry >>= 64;
    }
    debug_assert!(carry == 0 || carry == -1);
    if carry < 0 {
        // Negative: the magnitude is the two's complement of the words.
        let mut borrow = true;
        for w in out.iter_mut() {
            *w = !*w;
            if borrow {
                (*w, borrow) = w.overflowing_add(1);
            }
        }
        IBig::from_parts(Sign::Negative, UBig::from_words(&out))
    } else {
        IBig::from_parts(Sign::Positive, UBig::from_words(&out))
    }
}

/// One term of a sum of products: operands `.0` and `.1` (indices into the
/// operand list), subtracted when `.2`.
pub(super) type Term = (usize, usize, bool);

/// Σ ± x · y for each list of terms, every operand transformed once.
pub(super) fn sums_of_products(ops: &[&UBig], sums: &[&[Term]]) -> Vec<IBig> {
    let words: Vec<&[u64]> = ops.iter().map(|x| x.as_words()).collect();
    let smallest = sums.iter().flat_map(|s| s.iter()).map(|&(i, j, _)| words[i].len().min(words[j].len())).min();
    if smallest.is_none_or(|l| l < THRESHOLD) {
        return sums
            .iter()
            .map(|s| {
                s.iter().fold(IBig::ZERO, |acc, &(i, j, neg)| {
                    let p = IBig::from(ops[i] * ops[j]);
                    if neg { acc - p } else { acc + p }
                })
            })
            .collect();
    }
    // Coefficients of each product; the sums have as many.
    let lens: Vec<usize> =
        sums.iter().map(|s| s.iter().map(|&(i, j, _)| words[i].len() + words[j].len()).max().unwrap_or(0)).collect();
    let n = lens.iter().copied().max().unwrap_or(0).next_power_of_two().max(16);
    let plans = plans(n);
    let used: Vec<bool> =
        (0..ops.len()).map(|k| sums.iter().any(|s| s.iter().any(|&(i, j, _)| i == k || j == k))).collect();
    let mut residues: Vec<[Vec<u64>; 3]> = sums.iter().map(|_| Default::default()).collect();
    let mut fwd: Vec<Vec<u64>> = Vec::with_capacity(ops.len());
    let mut neg = vec![0u64; n];
    for (q, (plan, &p)) in plans.iter().zip(PRIMES.iter()).enumerate() {
        fwd.clear();
        for (w, &u) in words.iter().zip(&used) {
            if !u {
                fwd.push(Vec::new());
                continue;
            }
            let mut buf = vec![0u64; n];
            for (b, &x) in buf.iter_mut().zip(w.iter()) {
                *b = reduce(x, p);
            }
            plan.fwd(&mut buf);
            fwd.push(buf);
        }
        for ((s, &len), out) in sums.iter().zip(&lens).zip(residues.iter_mut()) {
            let mut pos = vec![0u64; n];
            let mut any_neg = false;
            neg.fill(0);
            for &(i, j, minus) in s.iter() {
                if minus {
                    plan.mul_accumulate(&mut neg, &fwd[i], &fwd[j]);
                    any_neg = true;
                } else {
                    plan.mul_accumulate(&mut pos, &fwd[i], &fwd[j]);
                }
            }
            if any_neg {
                for (a, &b) in pos.iter_mut().zip(neg.iter()) {
                    *a = if *a >= b { *a - b } else { *a + p - b };
                }
            }
            plan.normalize(&mut pos);
            plan.inv(&mut pos);
            pos.truncate(len);
            out[q] = pos;
        }
    }
    drop(fwd);
    residues.iter().zip(&lens).map(|(r, &len)| recombine([&r[0], &r[1], &r[2]], len + 3)).collect()
}

/// x · y.
pub(super) fn mul(x: &UBig, y: &UBig) -> UBig {
    let r = sums_of_products(&[x, y], &[&[(0, 1, false)]]);
    UBig::try_from(r.into_iter().next().unwrap_or_default()).unwrap_or_default()
}

/// x^e by squaring, the squares transformed once each.
pub(super) fn pow(x: &UBig, e: usize) -> UBig {
    if e == 0 {
        return UBig::ONE;
    }
    let mut r = x.clone();
    for bit in (0..usize::BITS - 1 - e.leading_zeros()).rev() {
        let sq = sums_of_products(&[&r], &[&[(0, 0, false)]]);
        r = UBig::try_from(sq.into_iter().next().unwrap_or_default()).unwrap_or_default();
        if (e >> bit) & 1 == 1 {
            r = mul(&r, x);
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rnd(words: usize, seed: u64) -> UBig {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let w: Vec<u64> = (0..words)
            .map(|k| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Some all-ones words: the largest coefficients there are.
                if (seed + k as u64).is_multiple_of(7) { u64::MAX } else { x }
            })
            .collect();
        UBig::from_words(&w)
    }

    #[test]
    fn products_agree_with_dashu_across_sizes() {
        for (k, &(la, lb)) in [
            (THRESHOLD, THRESHOLD),
            (THRESHOLD + 1, 3 * THRESHOLD),
            (THRESHOLD, 50_000),
            (1000, 1000),
            (4000, 4000),
            (8192, 8192),
            (8193, 100),
            (8193, 2000),
            (20_000, 13_001),
            (65_536, 65_536),
            (100_000, 3000),
        ]
        .iter()
        .enumerate()
        {
            let (a, b) = (rnd(la, 2 * k as u64 + 1), rnd(lb, 2 * k as u64 + 2));
            assert_eq!(mul(&a, &b), &a * &b, "{la} x {lb} words");
        }
        let x = rnd(40, 5);
        assert_eq!(pow(&x, 65537), x.pow(65537), "a power");
        let ones = UBig::from_words(&vec![u64::MAX; 70_000]);
        assert_eq!(mul(&ones, &ones), &ones * &ones, "all ones");
    }

    #[test]
    fn signed_sums_agree_with_dashu() {
        for seed in 0..6u64 {
            let l = 2000 + (seed as usize * 7919) % 30_000;
            let ops: Vec<UBig> = (0..6).map(|k| rnd(l - k * (seed as usize % 3) * 100, seed * 10 + k as u64)).collect();
            let refs: Vec<&UBig> = ops.iter().collect();
            let sums: [&[Term]; 3] =
                [&[(0, 1, false), (2, 3, true)], &[(4, 5, true), (0, 3, false)], &[(1, 2, true), (3, 4, true)]];
            let got = sums_of_products(&refs, &sums);
            for (s, g) in sums.iter().zip(got) {
                let want = s.iter().fold(IBig::ZERO, |acc, &(i, j, neg)| {
                    let p = IBig::from(&ops[i] * &ops[j]);
                    if neg { acc - p } else { acc + p }
                });
                assert_eq!(g, want, "seed {seed}");
            }
        }
        // Equal terms cancel to zero.
        let x = rnd(5000, 3);
        let got = sums_of_products(&[&x, &x], &[&[(0, 1, false), (1, 0, true)]]);
        assert_eq!(got[0], IBig::ZERO);
    }
}

#[cfg(test)]
mod timing {
    use super::*;
    use std::time::Instant;

    /// `cargo test -p leaktrace-verify --release ntt_timing -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn ntt_timing() {
        for log in [10usize, 11, 12, 13, 14, 16, 18, 20, 21] {
            let l = (1usize << log) * 3 / 4;
            let a = UBig::from_words(&(0..l as u64).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).collect::<Vec<_>>());
            let b = UBig::from_words(&(0..l as u64).map(|i| i.wrapping_mul(0x1234_5678_9ABC_DEF1)).collect::<Vec<_>>());
            let reps = (1usize << 22 >> log).clamp(1, 200);
            let _ = mul(&a, &b);
            let t = Instant::now();
            for _ in 0..reps {
                std::hint::black_box(mul(&a, &b));
            }
            let ours = t.elapsed().as_secs_f64() / reps as f64;
            let t = Instant::now();
            for _ in 0..reps {
                std::hint::black_box(&a * &b);
            }
            let theirs = t.elapsed().as_secs_f64() / reps as f64;
            println!(
                "{l:>9} words: ntt {:>9.3} ms, dashu {:>9.3} ms, ratio {:.2}",
                ours * 1e3,
                theirs * 1e3,
                theirs / ours
            );
        }
    }
}
