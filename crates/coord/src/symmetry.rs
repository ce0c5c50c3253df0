//! What an edge is made of, from the co-actions behind it (its evidence):
//! CooRTweet's edge symmetry score, and the edge's weight within a
//! narrower "fast" window.
//!
//! Symmetry: the numbers of distinct posts of each account among the
//! edge's co-actions, the smaller over the larger. An edge between an
//! account that retweeted a hundred posts and one that retweeted one of
//! them (within the window of all hundred) has weight 1 but a hundred
//! co-actions carried by one side; its symmetry is 1/100.
//!
//! Fast weight: distinct objects with a co-action whose two posts are at
//! most the fast window apart. Every such co-action is also within the
//! run's window, so it is in the evidence: the fast weight is exactly the
//! weight the network would have at the fast window. Both are computed
//! the same way for the native engine and for Spark's returned evidence.

use crate::engine::pair_key;
use crate::{Network, NetworkResult};

/// Fill the symmetry (and, with `fast_window_ms`, the fast weight) of every
/// edge of `n` from its evidence; `time(post)` is a post's time.
/// One co-action: account pair, the two posts, the object, within the fast window.
type Row = (u64, u32, u32, u32, bool);

pub(crate) fn fill(n: &mut NetworkResult, time: impl Fn(u32) -> i64, fast_window_ms: Option<i64>) {
    let mut rows: Vec<Row> = n
        .evidence
        .iter()
        .map(|e| {
            let fast = fast_window_ms.is_some_and(|f| (time(e.post_1) - time(e.post_2)).abs() <= f);
            (pair_key(e.source, e.target), e.post_1, e.post_2, e.object, fast)
        })
        .collect();
    let distinct = |rows: &mut Vec<Row>, by: fn(&Row) -> (u64, u32)| {
        rows.sort_unstable_by_key(by);
        let mut out: Vec<(u64, u64)> = Vec::new();
        for g in rows.chunk_by(|a, b| a.0 == b.0) {
            let mut k = 0;
            let mut last = None;
            for r in g {
                let v = by(r).1;
                if last != Some(v) {
                    k += 1;
                    last = Some(v);
                }
            }
            out.push((g[0].0, k));
        }
        out
    };
    let ones = distinct(&mut rows, |r| (r.0, r.1));
    let twos = distinct(&mut rows, |r| (r.0, r.2));
    let fast = if fast_window_ms.is_some() && n.network != Network::Sync {
        rows.retain(|r| r.4);
        Some(distinct(&mut rows, |r| (r.0, r.3)))
    } else {
        None
    };
    let find = |v: &[(u64, u64)], k: u64| v.binary_search_by_key(&k, |x| x.0).ok().map(|i| v[i].1);
    for e in &mut n.edges {
        let k = pair_key(e.source, e.target);
        if let (Some(a), Some(b)) = (find(&ones, k), find(&twos, k)) {
            e.symmetry = Some(a.min(b) as f64 / a.max(b) as f64);
        }
        if let Some(f) = &fast {
            e.fast_weight = Some(find(f, k).unwrap_or(0));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Action, pair_key, sort, undirected, undirected_evidence};
    use crate::rng::SplitMix64;

    fn network(acts: &[Action], w: i64) -> NetworkResult {
        let edges = undirected(acts, w, 1);
        let keep = edges.iter().map(|e| pair_key(e.source, e.target)).collect();
        let evidence = undirected_evidence(acts, w, &keep);
        NetworkResult {
            network: Network::CoRetweet,
            directed: false,
            edges,
            objects: Vec::new(),
            evidence,
            significance: None,
        }
    }

    #[test]
    fn fast_weights_are_the_network_at_the_fast_window() {
        let mut rng = SplitMix64::new(3);
        let mut acts: Vec<Action> = (0..4000u32)
            .map(|p| Action {
                obj: rng.below(60) as u32,
                t: rng.below(3_600) as i64 * 1000,
                acct: rng.below(50) as u32,
                post: p,
                msg: p,
            })
            .collect();
        sort(&mut acts);
        let mut n = network(&acts, 60_000);
        let times: Vec<i64> = {
            let mut t = vec![0; acts.len()];
            for a in &acts {
                t[a.post as usize] = a.t;
            }
            t
        };
        fill(&mut n, |p| times[p as usize], Some(10_000));
        let fast: std::collections::HashMap<(u32, u32), u64> =
            undirected(&acts, 10_000, 1).into_iter().map(|e| ((e.source, e.target), e.weight)).collect();
        assert!(fast.len() > 50);
        for e in &n.edges {
            assert_eq!(e.fast_weight, Some(fast.get(&(e.source, e.target)).copied().unwrap_or(0)), "{e:?}");
            let s = e.symmetry.unwrap();
            assert!(s > 0.0 && s <= 1.0);
        }
    }

    #[test]
    fn one_hyperactive_account_makes_an_edge_lopsided() {
        // Account 0 reposts object 0 ten times within a minute; account 1 once.
        let mut acts: Vec<Action> =
            (0..10u32).map(|i| Action { obj: 0, t: i as i64 * 1000, acct: 0, post: i, msg: i }).collect();
        acts.push(Action { obj: 0, t: 5000, acct: 1, post: 10, msg: 10 });
        // Accounts 2 and 3 once each, on object 1.
        acts.push(Action { obj: 1, t: 0, acct: 2, post: 11, msg: 11 });
        acts.push(Action { obj: 1, t: 1000, acct: 3, post: 12, msg: 12 });
        sort(&mut acts);
        let mut n = network(&acts, 60_000);
        fill(&mut n, |p| if p < 10 { p as i64 * 1000 } else { 0 }, None);
        let sym: Vec<(u32, u32, Option<f64>)> = n.edges.iter().map(|e| (e.source, e.target, e.symmetry)).collect();
        assert_eq!(sym, [(0, 1, Some(0.1)), (2, 3, Some(1.0))]);
        assert!(n.edges.iter().all(|e| e.fast_weight.is_none()));
    }
}
