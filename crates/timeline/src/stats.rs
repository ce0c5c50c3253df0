//! Order statistics used in reports.

use serde::Serialize;

/// Five-number summary of a sample (milliseconds), with quartiles by linear
/// interpolation between order statistics (Hyndman & Fan type 7, the
/// default of R and NumPy), so readers can reproduce them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub n: usize,
    pub min: i64,
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    pub max: i64,
    pub mean: f64,
}

/// Quantile `p` (0..=1) of sorted values, type 7.
pub fn quantile(sorted: &[i64], p: f64) -> f64 {
    assert!(!sorted.is_empty());
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] as f64 + (h - lo as f64) * (sorted[hi] - sorted[lo]) as f64
}

pub fn summarize(values: &[i64]) -> Option<Summary> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_unstable();
    Some(Summary {
        n: v.len(),
        min: v[0],
        q1: quantile(&v, 0.25),
        median: quantile(&v, 0.5),
        q3: quantile(&v, 0.75),
        max: v[v.len() - 1],
        mean: v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64,
    })
}

/// Median of unsorted values (sorts in place).
pub fn median_in_place(v: &mut [i64]) -> f64 {
    v.sort_unstable();
    quantile(v, 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type7_quartiles() {
        let s = summarize(&[4, 1, 3, 2]).unwrap();
        assert_eq!((s.min, s.q1, s.median, s.q3, s.max), (1, 1.75, 2.5, 3.25, 4));
        assert_eq!(summarize(&[7]).unwrap().median, 7.0);
    }
}
