//! Bursts: periods of unusually high activity, by Kleinberg's two-state
//! automaton ("Bursty and hierarchical structure in streams", 2002, §3,
//! the batched form). Events are counted per time bucket; each bucket is
//! in a base state or a burst state, and the cheapest state sequence is
//! found by dynamic programming (Viterbi).
//!
//! - With a total per bucket (the bucket's posts of which `counts` are the
//!   selected ones), each bucket's count is binomial with the overall rate
//!   p0 in the base state and s·p0 in the burst state, as in Kleinberg's
//!   model for documents in batches.
//! - Without totals, counts are Poisson with the mean rate λ0 and s·λ0.
//!
//! Entering the burst state costs γ·ln(n) for n buckets; leaving it is
//! free. Each burst reports its weight (the cost saved by being in the
//! burst state, Kleinberg's measure of intensity) and its rate against
//! the base rate.

use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct BurstParams {
    /// Bucket width in milliseconds.
    pub bucket_ms: i64,
    /// Rate multiplier of the burst state (Kleinberg's s); > 1.
    pub s: f64,
    /// Cost of entering a burst, in units of ln(n) (Kleinberg's γ).
    pub gamma: f64,
}

impl Default for BurstParams {
    fn default() -> BurstParams {
        BurstParams { bucket_ms: 3_600_000, s: 2.0, gamma: 1.0 }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Burst {
    /// Start of the first bucket, UTC ms.
    pub start_ms: i64,
    /// End of the last bucket (exclusive), UTC ms.
    pub end_ms: i64,
    pub events: u64,
    /// Cost saved by the burst state over these buckets.
    pub weight: f64,
    /// Observed rate in the burst divided by the base rate.
    pub intensity: f64,
}

fn ln_choose(n: u64, k: u64) -> f64 {
    (1..=k).map(|i| ((n - k + i) as f64).ln() - (i as f64).ln()).sum()
}

fn ln_factorial(n: u64) -> f64 {
    (2..=n).map(|i| (i as f64).ln()).sum()
}

/// Bucket event times: (bucket start, count), from the first to the last
/// event's bucket, empty buckets included.
pub fn bucket_counts(times_ms: &[i64], bucket_ms: i64, origin_ms: Option<i64>) -> Vec<(i64, u64)> {
    let (Some(&min), Some(&max)) = (times_ms.iter().min(), times_ms.iter().max()) else { return Vec::new() };
    let origin = origin_ms.unwrap_or(min.div_euclid(bucket_ms) * bucket_ms);
    let first = (min - origin).div_euclid(bucket_ms);
    let last = (max - origin).div_euclid(bucket_ms);
    let mut counts = vec![0u64; (last - first + 1) as usize];
    for &t in times_ms {
        counts[((t - origin).div_euclid(bucket_ms) - first) as usize] += 1;
    }
    counts.into_iter().enumerate().map(|(i, c)| (origin + (first + i as i64) * bucket_ms, c)).collect()
}

/// Find bursts in per-bucket counts. `totals`, when given, has the same
/// length as `counts` (see the module doc).
pub fn bursts(bucket_starts: &[i64], counts: &[u64], totals: Option<&[u64]>, p: &BurstParams) -> Vec<Burst> {
    let n = counts.len();
    if n == 0 || counts.iter().all(|&c| c == 0) {
        return Vec::new();
    }
    let r: u64 = counts.iter().sum();
    let cost: Box<dyn Fn(usize, usize) -> f64> = match totals {
        Some(d) => {
            let dsum: u64 = d.iter().sum();
            let p0 = r as f64 / dsum.max(1) as f64;
            let p1 = (p0 * p.s).min(0.9999);
            let ps = [p0, p1];
            Box::new(move |t: usize, q: usize| {
                let (rt, dt) = (counts[t], d[t].max(counts[t]));
                -(ln_choose(dt, rt) + rt as f64 * ps[q].ln() + (dt - rt) as f64 * (1.0 - ps[q]).ln())
            })
        }
        None => {
            let l0 = r as f64 / n as f64;
            let ls = [l0, l0 * p.s];
            Box::new(move |t: usize, q: usize| {
                let k = counts[t];
                -(k as f64 * ls[q].ln() - ls[q] - ln_factorial(k))
            })
        }
    };
    let up = p.gamma * (n as f64).ln();
    // Viterbi over two states.
    let mut best = [cost(0, 0), cost(0, 1) + up];
    let mut back: Vec<[usize; 2]> = vec![[0, 0]; n];
    for (t, from) in back.iter_mut().enumerate().skip(1) {
        let to0 = if best[0] <= best[1] { (best[0], 0) } else { (best[1], 1) };
        let to1 = if best[0] + up < best[1] { (best[0] + up, 0) } else { (best[1], 1) };
        *from = [to0.1, to1.1];
        best = [to0.0 + cost(t, 0), to1.0 + cost(t, 1)];
    }
    let mut states = vec![0usize; n];
    states[n - 1] = if best[0] <= best[1] { 0 } else { 1 };
    for t in (1..n).rev() {
        states[t - 1] = back[t][states[t]];
    }
    let bucket_ms = if n > 1 { bucket_starts[1] - bucket_starts[0] } else { 0 };
    let base_rate = match totals {
        Some(d) => r as f64 / d.iter().sum::<u64>().max(1) as f64,
        None => r as f64 / n as f64,
    };
    let mut out = Vec::new();
    let mut t = 0;
    while t < n {
        if states[t] == 0 {
            t += 1;
            continue;
        }
        let start = t;
        while t < n && states[t] == 1 {
            t += 1;
        }
        let events: u64 = counts[start..t].iter().sum();
        let weight: f64 = (start..t).map(|i| cost(i, 0) - cost(i, 1)).sum();
        let rate = match totals {
            Some(d) => events as f64 / d[start..t].iter().sum::<u64>().max(1) as f64,
            None => events as f64 / (t - start) as f64,
        };
        let width = if bucket_ms > 0 { bucket_ms } else { p.bucket_ms };
        out.push(Burst {
            start_ms: bucket_starts[start],
            end_ms: bucket_starts[t - 1] + width,
            events,
            weight,
            intensity: rate / base_rate,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clear_spike_is_one_burst() {
        let counts = [2u64, 3, 2, 2, 30, 28, 3, 2, 2, 3];
        let starts: Vec<i64> = (0..counts.len() as i64).map(|i| i * 3_600_000).collect();
        let b = bursts(&starts, &counts, None, &BurstParams::default());
        assert_eq!(b.len(), 1);
        assert_eq!((b[0].start_ms, b[0].end_ms, b[0].events), (4 * 3_600_000, 6 * 3_600_000, 58));
        assert!(b[0].intensity > 3.0 && b[0].weight > 0.0);
        // With totals rising in step, the share does not change: no burst.
        let totals: Vec<u64> = counts.iter().map(|c| c * 10).collect();
        assert!(bursts(&starts, &counts, Some(&totals), &BurstParams::default()).is_empty());
        assert!(bursts(&starts, &[1, 1, 1, 1], None, &BurstParams::default()).is_empty());
    }

    #[test]
    fn buckets_include_empty_ones() {
        let c = bucket_counts(&[0, 10, 3_600_000 * 2 + 5], 3_600_000, None);
        assert_eq!(c, vec![(0, 2), (3_600_000, 0), (7_200_000, 1)]);
    }
}
