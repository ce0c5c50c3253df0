//! Near-identical images: pairs of (post, image) whose 64-bit perceptual
//! hashes differ in at most `d` bits, posted by different accounts within
//! the window of each other. Never compares all pairs.
//!
//! Candidates come from the pigeonhole principle: cut the 64 bits into
//! `d + 1` bands; two hashes that differ in at most `d` bits agree exactly on
//! at least one band. For each band the images are sorted by (band value,
//! time), and only images with the same band value within the window are
//! compared, then checked by their full Hamming distance. So nothing within
//! the distance is missed (the join is exact, which the Spark job reproduces
//! with the same bands), and with `d = 0` it is grouping by the exact hash.
//! A pair that agrees on several bands is kept only from the first of them.

use rayon::prelude::*;

/// One image of one post.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Item {
    pub row: u32,
    pub t: i64,
    pub acct: u32,
    pub hash: i64,
}

/// The bit ranges `[start, end)` of the `d + 1` bands, as equal as can be.
pub(crate) fn bands(d: u32) -> Vec<(u32, u32)> {
    let n = d + 1;
    (0..n).map(|i| (i * 64 / n, (i + 1) * 64 / n)).collect()
}

fn band_value(h: i64, (start, end): (u32, u32)) -> u64 {
    let width = end - start;
    let v = (h as u64) >> start;
    if width >= 64 { v } else { v & ((1u64 << width) - 1) }
}

/// Pairs of items (indices into `items`, the earlier by position first) of
/// different accounts, within `window_ms`, at most `d` bits apart, with
/// their distance.
pub(crate) fn pairs(items: &[Item], window_ms: i64, d: u32) -> Vec<(u32, u32, u32)> {
    let bands = bands(d);
    let per_band: Vec<Vec<(u32, u32, u32)>> = bands
        .par_iter()
        .enumerate()
        .map(|(b, &band)| {
            let mut keyed: Vec<(u64, i64, u32)> =
                items.iter().enumerate().map(|(i, it)| (band_value(it.hash, band), it.t, i as u32)).collect();
            keyed.sort_unstable();
            let mut out = Vec::new();
            for (x, &(v, t, i)) in keyed.iter().enumerate() {
                for &(w, u, j) in &keyed[x + 1..] {
                    if w != v || u - t > window_ms {
                        break;
                    }
                    let (a, c) = (&items[i as usize], &items[j as usize]);
                    if a.acct == c.acct {
                        continue;
                    }
                    let dist = (a.hash ^ c.hash).count_ones();
                    // Kept from the first band the two agree on only.
                    let first = bands[..b].iter().all(|&e| band_value(a.hash, e) != band_value(c.hash, e));
                    if dist <= d && first {
                        out.push((i.min(j), i.max(j), dist));
                    }
                }
            }
            out
        })
        .collect();
    let mut all: Vec<(u32, u32, u32)> = per_band.into_iter().flatten().collect();
    all.par_sort_unstable();
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pair within the distance, by comparing all pairs.
    fn brute(items: &[Item], window_ms: i64, d: u32) -> Vec<(u32, u32, u32)> {
        let mut out = Vec::new();
        for i in 0..items.len() {
            for j in i + 1..items.len() {
                let (a, b) = (&items[i], &items[j]);
                let dist = (a.hash ^ b.hash).count_ones();
                if a.acct != b.acct && (a.t - b.t).abs() <= window_ms && dist <= d {
                    out.push((i as u32, j as u32, dist));
                }
            }
        }
        out.sort_unstable();
        out
    }

    #[test]
    fn the_banded_join_finds_exactly_the_pairs_within_the_distance() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        // A few base pictures, and copies with 0..=10 bits flipped.
        let bases: Vec<i64> = (0..6).map(|_| next() as i64).collect();
        let items: Vec<Item> = (0..600u32)
            .map(|r| {
                let mut h = bases[(next() % 6) as usize];
                for _ in 0..next() % 11 {
                    h ^= 1 << (next() % 64);
                }
                Item { row: r, t: (next() % 3_600_000) as i64, acct: (next() % 40) as u32, hash: h }
            })
            .collect();
        for d in [0, 3, 6, 10] {
            let want = brute(&items, 600_000, d);
            assert!(!want.is_empty(), "d = {d}");
            assert_eq!(pairs(&items, 600_000, d), want, "d = {d}");
        }
        assert_eq!(bands(0), vec![(0, 64)]);
        assert_eq!(bands(6).len(), 7);
    }
}
