//! A subquadratic gcd for numbers of a hundred million bits and more.
//!
//! Written here because no crate we can link offers one: dashu-int, num-bigint
//! and ibig have Lehmer or binary gcds (quadratic: hours at 134M bits), GMP
//! (rug) and malachite are LGPL, which a statically linked Apache-2.0 binary
//! cannot take. The numbers are dashu-int's (MIT OR Apache-2.0, pure Rust),
//! and so are the small products, the additions and the divisions; the large
//! products, where the time goes, are [`super::ntt`]'s, which transforms each
//! operand of a matrix step once. This file adds the half-gcd recursion.
//!
//! The recursion follows Möller, "On Schönhage's algorithm and subquadratic
//! integer gcd computation" (Math. Comp. 77, 2008): reduce the top half of
//! the numbers, apply the matrix found to the whole numbers, one Euclid step,
//! reduce the top half of what is left. Every matrix is a product of Euclid
//! quotient matrices (non-negative entries, determinant ±1) and is applied to
//! the numbers exactly, so a step the low bits would have changed can only
//! cost time, never the result: the gcd of the numbers is kept whatever the
//! matrices are, and a matrix that would make a number negative is refused.

use dashu_base::BitTest;
use dashu_int::ops::{DivRem, Gcd};
use dashu_int::{IBig, UBig};

use super::ntt;

/// Below this many bits, the half-gcd runs word-sized Lehmer steps.
const HGCD_THRESHOLD: usize = 64 * 40;
/// Below this many bits, the gcd is left to dashu's Lehmer gcd.
const GCD_THRESHOLD: usize = 64 * 200;
/// Bits kept above the half-way point when a half-gcd of the top part is
/// applied to the whole numbers: its last quotients are the ones the low bits
/// can change, and a few spare bits make a refused matrix rare.
const MARGIN: usize = 64;

/// A product of Euclid quotient matrices [[q,1],[1,0]]: entries are never
/// negative, the determinant is ±1 (`neg`: −1).
#[derive(Clone, Debug)]
struct Mat {
    m: [[UBig; 2]; 2],
    neg: bool,
}

impl Mat {
    fn identity() -> Mat {
        Mat { m: [[UBig::ONE, UBig::ZERO], [UBig::ZERO, UBig::ONE]], neg: false }
    }

    /// self · o: eight products of eight numbers, each transformed once.
    fn mul(&self, o: &Mat) -> Mat {
        let [[a, b], [c, d]] = &self.m;
        let [[e, f], [g, h]] = &o.m;
        let r = ntt::sums_of_products(
            &[a, b, c, d, e, f, g, h],
            &[
                &[(0, 4, false), (1, 6, false)],
                &[(0, 5, false), (1, 7, false)],
                &[(2, 4, false), (3, 6, false)],
                &[(2, 5, false), (3, 7, false)],
            ],
        );
        let mut r = r.into_iter().map(|x| UBig::try_from(x).expect("products of non-negative entries"));
        let mut next = || r.next().unwrap_or_default();
        Mat { m: [[next(), next()], [next(), next()]], neg: self.neg != o.neg }
    }

    /// self · [[q,1],[1,0]].
    fn push_quotient(&mut self, q: &UBig) {
        for row in self.m.iter_mut() {
            let first = q * &row[0] + &row[1];
            row[1] = std::mem::replace(&mut row[0], first);
        }
        self.neg = !self.neg;
    }

    /// (α, β) with (a, b) = self · (α, β), for (a, b) = 2^p (a1, b1) + (a0, b0)
    /// when (a1, b1) = self · (α1, β1) is known: α = 2^p α1 + (M⁻¹ (a0, b0))₀
    /// and so on, products half as long as with the whole numbers. None when
    /// either would be negative.
    fn apply_inverse_split(&self, hi: (UBig, UBig), a0: &UBig, b0: &UBig, p: usize) -> Option<(UBig, UBig)> {
        let [[m00, m01], [m10, m11]] = &self.m;
        // M⁻¹ = ±[[m11, −m01], [−m10, m00]]: four products over six numbers.
        let n = self.neg;
        let mut d =
            ntt::sums_of_products(&[m00, m01, m10, m11, a0, b0], &[&[(3, 4, n), (1, 5, !n)], &[(0, 5, n), (2, 4, !n)]])
                .into_iter();
        let (da, db) = (d.next().unwrap_or_default(), d.next().unwrap_or_default());
        let alpha = IBig::from(hi.0 << p) + da;
        let beta = IBig::from(hi.1 << p) + db;
        Some((UBig::try_from(alpha).ok()?, UBig::try_from(beta).ok()?))
    }
}

fn euclid_step(m: &mut Mat, a: &mut UBig, b: &mut UBig) {
    let (q, r) = (&*a).div_rem(&*b);
    m.push_quotient(&q);
    *a = std::mem::replace(b, r);
}

/// One Lehmer step (Knuth, TAOCP vol. 2, §4.5.2, Algorithm L) on the top 64
/// bits: the quotients both bounds agree on, applied to the whole numbers,
/// stopping before b would fall under 2^s. False when no quotient was decided.
fn lehmer_step(m: &mut Mat, a: &mut UBig, b: &mut UBig, s: usize) -> bool {
    let h = a.bit_len().saturating_sub(64);
    let (Ok(x), Ok(y)) = (u64::try_from(&(&*a >> h)), u64::try_from(&(&*b >> h))) else {
        return false;
    };
    let (mut x, mut y) = (i128::from(x), i128::from(y));
    // Remainders stay above 2^s, with room for the cofactors' error.
    let floor: i128 = if s > h { (1i128 << (s - h)) + (1i128 << 34) } else { 1i128 << 34 };
    let (mut ca, mut cb, mut cc, mut cd) = (1i128, 0i128, 0i128, 1i128);
    let mut steps = 0u32;
    while y + cc != 0 && y + cd != 0 {
        let q = (x + ca) / (y + cc);
        if q != (x + cb) / (y + cd) || x - q * y < floor {
            break;
        }
        (ca, cc) = (cc, ca - q * cc);
        (cb, cd) = (cd, cb - q * cd);
        (x, y) = (y, x - q * y);
        steps += 1;
    }
    if cb == 0 {
        return false;
    }
    // (a', b') = L (a, b) with L = [[ca, cb], [cc, cd]].
    let (ai, bi) = (IBig::from(a.clone()), IBig::from(b.clone()));
    let na = IBig::from(ca) * &ai + IBig::from(cb) * &bi;
    let nb = IBig::from(cc) * &ai + IBig::from(cd) * &bi;
    let (Ok(na), Ok(nb)) = (UBig::try_from(na), UBig::try_from(nb)) else {
        // Algorithm L's agreeing bounds make this impossible; a step not
        // taken only costs time.
        return false;
    };
    *a = na;
    *b = nb;
    // M ← M · L⁻¹, L⁻¹ = [[|cd|, |cb|], [|cc|, |ca|]], determinant (−1)^steps.
    let inv = Mat {
        m: [
            [UBig::from(cd.unsigned_abs()), UBig::from(cb.unsigned_abs())],
            [UBig::from(cc.unsigned_abs()), UBig::from(ca.unsigned_abs())],
        ],
        neg: steps % 2 == 1,
    };
    *m = m.mul(&inv);
    true
}

/// Steps until b < 2^s.
fn finish(mut m: Mat, mut a: UBig, mut b: UBig, s: usize) -> (Mat, UBig, UBig) {
    while b.bit_len() > s {
        if !lehmer_step(&mut m, &mut a, &mut b, s) {
            euclid_step(&mut m, &mut a, &mut b);
        }
    }
    (m, a, b)
}

/// For a > b: M and (α, β) with (a, b) = M (α, β) and α ≥ 2^s > β. Without
/// `want` (the caller needs only α and β) M is not formed and the matrix
/// returned means nothing: the product of the two halves' matrices, the
/// largest one here, is never computed.
fn hgcd(a: UBig, b: UBig, s: usize, want: bool) -> (Mat, UBig, UBig) {
    let n = a.bit_len();
    if b.bit_len() <= s {
        return (Mat::identity(), a, b);
    }
    if n < HGCD_THRESHOLD {
        return finish(Mat::identity(), a, b, s);
    }
    let mut m = Mat::identity();
    let (mut a, mut b) = (a, b);
    // The first half of the reduction, found from the top d bits.
    let d = n - s;
    if d > 2 * MARGIN + 64 {
        let (a0, a1) = a.clone().split_bits(s);
        let (b0, b1) = b.clone().split_bits(s);
        let (m1, x1, y1) = hgcd(a1, b1, d / 2 + 1 + MARGIN, true);
        if let Some((x, y)) = m1.apply_inverse_split((x1, y1), &a0, &b0, s)
            && x > y
        {
            if want {
                m = m1;
            }
            a = x;
            b = y;
        }
        if b.bit_len() <= s {
            return (m, a, b);
        }
        euclid_step(&mut m, &mut a, &mut b);
    }
    // The second half, from the top 2d' bits of what is left.
    let dd = a.bit_len().saturating_sub(s);
    if b.bit_len() > s && dd > 2 * MARGIN + 64 {
        let p2 = a.bit_len().saturating_sub(2 * dd);
        let (a0, a1) = a.clone().split_bits(p2);
        let (b0, b1) = b.clone().split_bits(p2);
        let (m2, x1, y1) = hgcd(a1, b1, dd + 1 + MARGIN, true);
        if let Some((x, y)) = m2.apply_inverse_split((x1, y1), &a0, &b0, p2)
            && x > y
        {
            if want {
                m = m.mul(&m2);
            }
            a = x;
            b = y;
        }
    }
    finish(m, a, b, s)
}

/// gcd(a, b) in O(M(n) log n) for n-bit numbers.
pub fn gcd(a: UBig, b: UBig) -> UBig {
    let (mut a, mut b) = if a >= b { (a, b) } else { (b, a) };
    loop {
        if b == UBig::ZERO {
            return a;
        }
        if a.bit_len() < GCD_THRESHOLD {
            return (&a).gcd(&b);
        }
        if a.bit_len() - b.bit_len() > 64 {
            let r = &a % &b;
            a = std::mem::replace(&mut b, r);
            continue;
        }
        let s = a.bit_len() / 2 + 1;
        let (_, x, y) = hgcd(a, b, s, false);
        if y == UBig::ZERO {
            // Equal inputs (or one a multiple of the other) end the
            // reduction with nothing left: x is the gcd.
            return x;
        }
        let r = &x % &y;
        a = y;
        b = r;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rnd(bits: usize, seed: u64) -> UBig {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let words: Vec<u64> = (0..bits.div_ceil(64))
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            })
            .collect();
        UBig::from_words(&words) >> (bits.div_ceil(64) * 64 - bits)
    }

    #[test]
    fn agrees_with_lehmer_on_numbers_with_a_planted_factor() {
        // Sizes on both sides of every threshold, common factors from 1 bit up.
        for seed in 0..40u64 {
            let bits = 200 + (seed as usize * 7919) % 90_000;
            // Never zero: a 1-bit draw can be 0, and gcd(0, 0) is undefined.
            let g = rnd(1 + (seed as usize * 104_729) % 3000, seed + 1000) + UBig::ONE;
            let a = rnd(bits, seed * 2 + 1) * &g;
            let b = rnd(bits + (seed as usize % 5) * 10, seed * 2 + 2) * &g;
            let want = (&a).gcd(&b);
            assert!((&want % &g) == UBig::ZERO);
            assert_eq!(gcd(a.clone(), b.clone()), want, "seed {seed}, {bits} bits");
            assert_eq!(gcd(b, a), want, "seed {seed}, swapped");
        }
    }

    #[test]
    fn agrees_with_lehmer_where_the_products_go_through_the_transforms() {
        // Large enough that the matrices' products take ntt's transforms (over
        // ntt::THRESHOLD words) at the top levels and dashu's below.
        for (seed, bits) in [(1u64, 150_000usize), (2, 500_000), (3, 1_200_000)] {
            let g = rnd(1000 * seed as usize, seed + 77) + UBig::ONE;
            let a = rnd(bits, seed * 2 + 101) * &g;
            let b = rnd(bits - 3, seed * 2 + 102) * &g;
            let want = (&a).gcd(&b);
            assert_eq!(gcd(a, b), want, "{bits} bits");
        }
    }

    #[test]
    fn edge_cases() {
        let x = rnd(50_000, 9);
        assert_eq!(gcd(x.clone(), UBig::ZERO), x);
        assert_eq!(gcd(UBig::ZERO, x.clone()), x);
        assert_eq!(gcd(x.clone(), x.clone()), x);
        assert_eq!(gcd(&x * UBig::from(3u8), x.clone()), x);
        // Fibonacci numbers: every quotient is 1, the longest Euclid there is.
        let (mut f0, mut f1) = (UBig::ONE, UBig::ONE);
        for _ in 0..30_000 {
            let f2 = &f0 + &f1;
            f0 = std::mem::replace(&mut f1, f2);
        }
        assert_eq!(gcd(f1, f0), UBig::ONE);
    }
}
