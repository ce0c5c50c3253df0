//! Agreement between two partitions of the same items: adjusted Rand index
//! and normalised mutual information (arithmetic mean normalisation, as
//! scikit-learn's default), for measuring how well clusters recover known
//! account categories.

use std::collections::HashMap;
use std::hash::Hash;

fn comb2(n: u64) -> f64 {
    (n as f64) * (n as f64 - 1.0) / 2.0
}

/// Cell counts, row sums and column sums.
type Contingency<A, B> = (HashMap<(A, B), u64>, HashMap<A, u64>, HashMap<B, u64>);

fn contingency<A: Hash + Eq + Clone, B: Hash + Eq + Clone>(pairs: &[(A, B)]) -> Contingency<A, B> {
    let (mut n, mut a, mut b) = (HashMap::new(), HashMap::new(), HashMap::new());
    for (x, y) in pairs {
        *n.entry((x.clone(), y.clone())).or_insert(0) += 1;
        *a.entry(x.clone()).or_insert(0) += 1;
        *b.entry(y.clone()).or_insert(0) += 1;
    }
    (n, a, b)
}

/// Adjusted Rand index of two labelings given as (label_a, label_b) per item.
pub fn adjusted_rand_index<A: Hash + Eq + Clone, B: Hash + Eq + Clone>(pairs: &[(A, B)]) -> f64 {
    let n = pairs.len() as u64;
    if n < 2 {
        return 1.0;
    }
    let (nij, a, b) = contingency(pairs);
    let index: f64 = nij.values().map(|&v| comb2(v)).sum();
    let sa: f64 = a.values().map(|&v| comb2(v)).sum();
    let sb: f64 = b.values().map(|&v| comb2(v)).sum();
    let expected = sa * sb / comb2(n);
    let max = (sa + sb) / 2.0;
    if (max - expected).abs() < 1e-12 {
        return 1.0;
    }
    (index - expected) / (max - expected)
}

fn sum_sorted(mut terms: Vec<f64>) -> f64 {
    terms.sort_by(f64::total_cmp);
    terms.iter().sum()
}

/// Normalised mutual information, MI / mean(H(a), H(b)).
pub fn normalized_mutual_info<A: Hash + Eq + Clone, B: Hash + Eq + Clone>(pairs: &[(A, B)]) -> f64 {
    let n = pairs.len() as f64;
    if pairs.is_empty() {
        return 1.0;
    }
    let (nij, a, b) = contingency(pairs);
    // The maps iterate in a random order: terms are summed sorted, so the
    // same partitions always give the same bits.
    let h = |counts: Vec<u64>| -> f64 {
        sum_sorted(counts.into_iter().map(|c| c as f64 / n).filter(|&p| p > 0.0).map(|p| -p * p.ln()).collect())
    };
    let ha = h(a.values().copied().collect());
    let hb = h(b.values().copied().collect());
    let mi = sum_sorted(
        nij.iter()
            .map(|((x, y), &c)| {
                let pxy = c as f64 / n;
                pxy * (pxy / ((a[x] as f64 / n) * (b[y] as f64 / n))).ln()
            })
            .collect(),
    );
    let denom = (ha + hb) / 2.0;
    if denom <= 0.0 {
        return 1.0;
    }
    (mi / denom).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // Values from scikit-learn 1.9.1 for labels_true=[0,0,1,1,2,2], labels_pred=[0,0,1,2,2,2].
        let p: Vec<(u8, u8)> = vec![(0, 0), (0, 0), (1, 1), (1, 2), (2, 2), (2, 2)];
        assert!((adjusted_rand_index(&p) - 0.4444444444444444).abs() < 1e-9, "{}", adjusted_rand_index(&p));
        assert!((normalized_mutual_info(&p) - 0.7396673768007592).abs() < 1e-9, "{}", normalized_mutual_info(&p));
        let same: Vec<(u8, char)> = vec![(0, 'a'), (0, 'a'), (1, 'b'), (1, 'b')];
        assert_eq!(adjusted_rand_index(&same), 1.0);
        assert!((normalized_mutual_info(&same) - 1.0).abs() < 1e-12);
    }
}
