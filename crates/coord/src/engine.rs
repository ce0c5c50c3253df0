//! The co-action engine: actions (account, object, time, post) sorted by
//! object and time, a sliding window over each object's actions, and
//! sort-based aggregation of the account pairs found. No pair of actions
//! on different objects is ever compared, and the work is proportional to
//! the number of co-actions found, not to the square of the posts.
//!
//! Memory is bounded: the table of account pairs is built in as many
//! passes as the memory limit requires, each pass keeping the pairs of one
//! hash share (every pair falls in exactly one share, so the edges are the
//! same whatever the number of passes). A pass re-scans the windows, which
//! costs far less than the sort it saves memory for.

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use rustc_hash::FxHashSet;

use crate::{Edge, Evidence};

/// One account acting on one object at one time, through one post.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Action {
    pub obj: u32,
    pub t: i64,
    pub acct: u32,
    pub post: u32,
    /// The message whose distinct count makes a directed (QUT) weight.
    pub msg: u32,
}

pub(crate) fn pair_key(a: u32, b: u32) -> u64 {
    ((a as u64) << 32) | b as u64
}

pub(crate) fn unpair(k: u64) -> (u32, u32) {
    ((k >> 32) as u32, k as u32)
}

/// Sort actions by object, time, account, post.
pub(crate) fn sort(acts: &mut [Action]) {
    acts.par_sort_unstable();
}

/// Ranges of actions on the same object, for objects with two or more.
fn groups(acts: &[Action]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut s = 0;
    for i in 1..=acts.len() {
        if i == acts.len() || acts[i].obj != acts[s].obj {
            if i - s >= 2 {
                out.push(s..i);
            }
            s = i;
        }
    }
    out
}

/// Sum runs of equal keys of a sorted slice: (key, number of entries, sum of values).
fn runs(sorted: &[(u64, u64)]) -> Vec<(u64, u64, u64)> {
    let mut out: Vec<(u64, u64, u64)> = Vec::new();
    for &(k, v) in sorted {
        match out.last_mut() {
            Some(last) if last.0 == k => {
                last.1 += 1;
                last.2 += v;
            }
            _ => out.push((k, 1, v)),
        }
    }
    out
}

static MEMORY_LIMIT: AtomicU64 = AtomicU64::new(0);

/// Limit the memory of the pair tables (bytes; 0: automatic, half of the
/// memory available when a network is computed).
pub fn set_memory_limit(bytes: u64) {
    MEMORY_LIMIT.store(bytes, Ordering::Relaxed);
}

fn memory_limit() -> u64 {
    match MEMORY_LIMIT.load(Ordering::Relaxed) {
        0 => (available_memory().unwrap_or(8 << 30) / 2).max(256 << 20),
        n => n,
    }
}

/// MemAvailable of /proc/meminfo (Linux), in bytes. Read by hand: one line
/// of one file does not justify a system-information crate.
fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Passes needed for at most `entries` pair entries: each entry is 16
/// bytes, held twice while the per-thread parts are gathered and sorted.
fn passes_for(entries: u64) -> u64 {
    (entries * 32).div_ceil(memory_limit()).max(1)
}

/// The pass (of `passes`) that keeps account pair `k`.
fn share(k: u64, passes: u64) -> u64 {
    if passes == 1 { 0 } else { (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) % passes }
}

/// Gather the per-thread parts of one pass, sort them, and sum runs of equal
/// account pairs into edges of at least `min_weight`. Returns the number of
/// pairs seen, lighter ones included.
fn aggregate(parts: Vec<Vec<(u64, u64)>>, min_weight: u64, edges: &mut Vec<Edge>) -> usize {
    let mut all: Vec<(u64, u64)> = Vec::with_capacity(parts.iter().map(Vec::len).sum());
    for p in parts {
        all.extend(p);
    }
    all.par_sort_unstable_by_key(|e| e.0);
    let runs = runs(&all);
    let seen = runs.len();
    edges.extend(runs.into_iter().filter(|&(_, n, _)| n >= min_weight).map(|(k, n, events)| {
        let (s, t) = unpair(k);
        Edge::new(s, t, n, events)
    }));
    seen
}

/// Pairs of actions on the same object within the window, the same
/// account's included: an upper bound of the pair entries of a pass.
fn window_pairs(acts: &[Action], gs: &[Range<usize>], window_ms: i64) -> u64 {
    gs.par_iter()
        .map(|g| {
            let a = &acts[g.clone()];
            let (mut n, mut h) = (0u64, 0usize);
            for i in 0..a.len() {
                h = h.max(i);
                while h + 1 < a.len() && a[h + 1].t - a[i].t <= window_ms {
                    h += 1;
                }
                n += (h - i) as u64;
            }
            n
        })
        .sum()
}

/// Undirected co-action edges. For each pair of accounts a < b: `weight` is
/// the number of distinct objects on which they acted within `window_ms` of
/// each other, `events` the number of such pairs of actions.
pub(crate) fn undirected(acts: &[Action], window_ms: i64, min_weight: u64) -> Vec<Edge> {
    undirected_counted(acts, window_ms, min_weight).0
}

/// [`undirected`], and the number of account pairs that co-acted at least
/// once (the family of the significance test).
pub(crate) fn undirected_counted(acts: &[Action], window_ms: i64, min_weight: u64) -> (Vec<Edge>, usize) {
    let passes = passes_for(window_pairs(acts, &groups(acts), window_ms));
    undirected_in(acts, window_ms, min_weight, passes)
}

fn undirected_in(acts: &[Action], window_ms: i64, min_weight: u64, passes: u64) -> (Vec<Edge>, usize) {
    let gs = groups(acts);
    let mut edges = Vec::new();
    let mut seen = 0;
    for pass in 0..passes {
        let parts: Vec<Vec<(u64, u64)>> = gs
            .par_iter()
            .fold(
                || (Vec::new(), Vec::new()),
                |(mut out, mut buf): (Vec<(u64, u64)>, Vec<u64>), g| {
                    buf.clear();
                    let a = &acts[g.clone()];
                    for i in 0..a.len() {
                        for b in &a[i + 1..] {
                            if b.t - a[i].t > window_ms {
                                break;
                            }
                            if b.acct != a[i].acct {
                                let k = pair_key(a[i].acct.min(b.acct), a[i].acct.max(b.acct));
                                if share(k, passes) == pass {
                                    buf.push(k);
                                }
                            }
                        }
                    }
                    buf.sort_unstable();
                    // One entry per (object, pair): its events in the value.
                    out.extend(buf.chunk_by(|a, b| a == b).map(|run| (run[0], run.len() as u64)));
                    (out, buf)
                },
            )
            .map(|(out, _)| out)
            .collect();
        seen += aggregate(parts, min_weight, &mut edges);
    }
    if passes > 1 {
        edges.par_sort_unstable_by_key(|e| (e.source, e.target));
    }
    (edges, seen)
}

/// The pairs of actions behind the kept undirected edges.
pub(crate) fn undirected_evidence(acts: &[Action], window_ms: i64, keep: &FxHashSet<u64>) -> Vec<Evidence> {
    let gs = groups(acts);
    let parts: Vec<Vec<Evidence>> = gs
        .par_iter()
        .fold(Vec::new, |mut out, g| {
            let a = &acts[g.clone()];
            for i in 0..a.len() {
                for b in &a[i + 1..] {
                    if b.t - a[i].t > window_ms {
                        break;
                    }
                    if b.acct == a[i].acct {
                        continue;
                    }
                    let (x, y) = if a[i].acct < b.acct { (&a[i], b) } else { (b, &a[i]) };
                    if keep.contains(&pair_key(x.acct, y.acct)) {
                        out.push(Evidence {
                            source: x.acct,
                            target: y.acct,
                            object: x.obj,
                            post_1: x.post,
                            post_2: y.post,
                            similarity: None,
                        });
                    }
                }
            }
            out
        })
        .collect();
    parts.into_iter().flatten().collect()
}

/// Window bounds of every action: the actions on the same object within
/// `window_ms` (inclusive) before and after it.
fn bounds(acts: &[Action], window_ms: i64) -> (Vec<u32>, Vec<u32>) {
    let n = acts.len();
    let mut lo = vec![0u32; n];
    let mut hi = vec![0u32; n];
    let mut s = 0;
    while s < n {
        let mut e = s;
        while e < n && acts[e].obj == acts[s].obj {
            e += 1;
        }
        let (mut l, mut h) = (s, s);
        for i in s..e {
            while acts[i].t - acts[l].t > window_ms {
                l += 1;
            }
            if h < i {
                h = i;
            }
            while h + 1 < e && acts[h + 1].t - acts[i].t <= window_ms {
                h += 1;
            }
            lo[i] = l as u32;
            hi[i] = h as u32;
        }
        s = e;
    }
    (lo, hi)
}

/// Positions of each message's actions: CSR over `msg`.
fn by_message(acts: &[Action], n_msgs: usize) -> (Vec<usize>, Vec<u32>) {
    let mut start = vec![0usize; n_msgs + 1];
    for a in acts {
        start[a.msg as usize + 1] += 1;
    }
    for i in 0..n_msgs {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut pos = vec![0u32; acts.len()];
    for (p, a) in acts.iter().enumerate() {
        pos[fill[a.msg as usize]] = p as u32;
        fill[a.msg as usize] += 1;
    }
    (start, pos)
}

/// Directed edges as the QUT toolkit counts them: `weight` of u1→u2 is the
/// number of distinct messages of u1 with at least one action of u2 on the
/// same object within ±`window_ms` (boundary included); `events` counts the
/// matching pairs of actions. Self-loops are dropped.
pub(crate) fn directed(acts: &[Action], n_msgs: usize, window_ms: i64, min_weight: u64) -> Vec<Edge> {
    let (lo, hi) = bounds(acts, window_ms);
    let passes = passes_for((0..acts.len()).map(|p| (hi[p] - lo[p]) as u64).sum());
    directed_in(acts, n_msgs, (&lo, &hi), min_weight, passes)
}

fn directed_in(acts: &[Action], n_msgs: usize, (lo, hi): (&[u32], &[u32]), min_weight: u64, passes: u64) -> Vec<Edge> {
    // When every message has one action (reposts, replies, texts), a
    // message is its action: no grouping by message is needed.
    let mut seen = vec![false; n_msgs];
    let one_each = acts.iter().all(|a| !std::mem::replace(&mut seen[a.msg as usize], true));
    drop(seen);
    let grouped = (!one_each).then(|| by_message(acts, n_msgs));
    let units = if one_each { acts.len() } else { n_msgs };
    const CHUNK: usize = 1 << 14;
    let chunks: Vec<Range<usize>> =
        (0..units.div_ceil(CHUNK)).map(|c| c * CHUNK..((c + 1) * CHUNK).min(units)).collect();
    let mut edges = Vec::new();
    for pass in 0..passes {
        let parts: Vec<Vec<(u64, u64)>> = chunks
            .par_iter()
            .map(|r| {
                let mut out: Vec<(u64, u64)> = Vec::new();
                let mut others: Vec<u32> = Vec::new();
                for m in r.clone() {
                    let single = [m as u32];
                    let ps = match &grouped {
                        Some((start, pos)) => &pos[start[m]..start[m + 1]],
                        None => &single[..],
                    };
                    if ps.is_empty() {
                        continue;
                    }
                    let u1 = acts[ps[0] as usize].acct;
                    others.clear();
                    for &p in ps {
                        let p = p as usize;
                        others.extend(
                            acts[lo[p] as usize..=hi[p] as usize]
                                .iter()
                                .map(|q| q.acct)
                                .filter(|&u| u != u1 && share(pair_key(u1, u), passes) == pass),
                        );
                    }
                    others.sort_unstable();
                    // One entry per (message, other account): its events in the value.
                    out.extend(others.chunk_by(|a, b| a == b).map(|run| (pair_key(u1, run[0]), run.len() as u64)));
                }
                out
            })
            .collect();
        aggregate(parts, min_weight, &mut edges);
    }
    if passes > 1 {
        edges.par_sort_unstable_by_key(|e| (e.source, e.target));
    }
    edges
}

/// The pairs of actions behind the kept directed edges.
pub(crate) fn directed_evidence(acts: &[Action], window_ms: i64, keep: &FxHashSet<u64>) -> Vec<Evidence> {
    let (lo, hi) = bounds(acts, window_ms);
    let idx: Vec<usize> = (0..acts.len()).collect();
    let parts: Vec<Vec<Evidence>> = idx
        .par_chunks(1 << 14)
        .map(|ch| {
            let mut out = Vec::new();
            for &p in ch {
                let a = &acts[p];
                for q in &acts[lo[p] as usize..=hi[p] as usize] {
                    if q.acct != a.acct && keep.contains(&pair_key(a.acct, q.acct)) {
                        out.push(Evidence {
                            source: a.acct,
                            target: q.acct,
                            object: a.obj,
                            post_1: a.post,
                            post_2: q.post,
                            similarity: None,
                        });
                    }
                }
            }
            out
        })
        .collect();
    parts.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn act(obj: u32, t: i64, acct: u32, post: u32) -> Action {
        Action { obj, t, acct, post, msg: post }
    }

    #[test]
    fn window_is_inclusive_and_per_object() {
        let mut a = vec![act(0, 0, 0, 0), act(0, 60, 1, 1), act(0, 121, 2, 2), act(1, 0, 2, 3)];
        sort(&mut a);
        let e = undirected(&a, 60, 1);
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].source, e[0].target, e[0].weight, e[0].events), (0, 1, 1, 1));
        let e = undirected(&a, 61, 1);
        assert_eq!(e.len(), 2);
    }

    #[test]
    fn directed_counts_distinct_messages() {
        // Account 0 posts message 0 on objects 0 and 1; account 1 matches both.
        let mut a = vec![
            Action { obj: 0, t: 0, acct: 0, post: 0, msg: 0 },
            Action { obj: 1, t: 0, acct: 0, post: 0, msg: 0 },
            Action { obj: 0, t: 5, acct: 1, post: 1, msg: 1 },
            Action { obj: 1, t: 5, acct: 1, post: 2, msg: 2 },
        ];
        sort(&mut a);
        let mut e = directed(&a, 3, 10, 1);
        e.sort_by_key(|e| (e.source, e.target));
        assert_eq!(e.len(), 2);
        assert_eq!((e[0].source, e[0].target, e[0].weight, e[0].events), (0, 1, 1, 2));
        assert_eq!((e[1].source, e[1].target, e[1].weight, e[1].events), (1, 0, 2, 2));
    }

    /// Pseudo-random actions: 40 accounts on 25 objects over 10 minutes.
    fn random_actions(n: u32) -> Vec<Action> {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        let mut a: Vec<Action> = (0..n)
            .map(|p| Action { obj: next(25) as u32, t: next(600_000) as i64, acct: next(40) as u32, post: p, msg: p })
            .collect();
        sort(&mut a);
        a
    }

    #[test]
    fn passes_split_pairs_without_changing_edges() {
        let a = random_actions(3000);
        let one = undirected_in(&a, 30_000, 1, 1);
        assert!(one.0.len() > 100, "{}", one.0.len());
        assert_eq!(one.1, one.0.len(), "every pair has weight 1 or more");
        for passes in [2, 7] {
            assert_eq!(undirected_in(&a, 30_000, 1, passes), one);
            assert_eq!(undirected_in(&a, 30_000, 2, passes), undirected_in(&a, 30_000, 2, 1));
        }
        assert_eq!(undirected_in(&a, 30_000, 2, 3).1, one.1, "lighter pairs are counted too");
        let (lo, hi) = bounds(&a, 30_000);
        let one = directed_in(&a, a.len(), (&lo, &hi), 1, 1);
        assert!(one.len() > 100, "{}", one.len());
        for passes in [3, 5] {
            assert_eq!(directed_in(&a, a.len(), (&lo, &hi), 1, passes), one);
        }
        // The bound counts every pair in the window, so it is at least the events found.
        let events: u64 = undirected_in(&a, 30_000, 1, 1).0.iter().map(|e| e.events).sum();
        assert!(window_pairs(&a, &groups(&a), 30_000) >= events);
    }
}
