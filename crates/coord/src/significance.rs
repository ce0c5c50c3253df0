//! Could an edge be chance? Each edge of an object network is tested
//! against a null model: the observed actions are randomised R times, the
//! edge's weight (distinct objects co-acted on within the window) is
//! counted in each randomisation, and its p-value is (r + 1) / (R + 1),
//! r being the randomisations whose weight for that pair reaches the
//! observed one. The p-values of a network's edges are then corrected for
//! multiple testing with Benjamini–Hochberg (false discovery rate): an
//! edge is significant at level P when its q-value is at most P. The
//! family is every pair of accounts that co-acted at least once within the
//! window: the pairs that did not reach `--min-weight` are not randomised
//! but count in the correction with p = 1, so that screening pairs by
//! weight first does not make the survivors look stronger than they are.
//! With R randomisations the smallest p-value is 1 / (R + 1), so among m
//! pairs an edge can only be significant at level P when enough edges
//! reach that floor together (k of them, with m / ((R + 1) k) ≤ P): raise
//! R when a network has many pairs and few strong edges.
//!
//! Two null models:
//!
//! - `swap` (the default): who acted on what is randomised, keeping each
//!   account's number of actions and each object's popularity and
//!   timeline. The account of every action is drawn without replacement
//!   from all the actions' accounts (a uniform permutation), while objects
//!   and times stay where they were: an object's burst of actions keeps
//!   its shape, only the accounts in it change. This is the limit of
//!   degree-preserving swaps of the account–object graph (as coordinationz
//!   uses) run until they mix, on the multigraph (an account may draw two
//!   actions on one object; they count once, as observed ones do).
//! - `shift`: each account's times move together, circularly, by one
//!   random offset (a whole number of the data's time steps) around the
//!   span of the network's actions; objects stay with their actions, so
//!   each account keeps its own rhythm and objects, and only the timing
//!   between accounts is broken. Distances are measured around that
//!   circle, so the null weight of a pair depends only on the difference
//!   of its two offsets. The span is the whole network's: accounts that
//!   were active in the same weeks of a long case look coordinated against
//!   it (on the IRA sample, 2012 to 2018, every co-retweet edge is), so
//!   `--shift-max D` bounds the offsets instead: each account moves by a
//!   uniform offset in [−D, D] (whole steps), without wrapping, keeping its
//!   place in the calendar to within D.
//!
//! How it stays tractable: only pairs that are edges of the observed
//! network are counted. For `swap`, times do not move, so the pairs of
//! action slots within the window of each other on the same object are
//! fixed; each randomisation only draws the accounts of the slots that
//! take part in such a pair (a partial Fisher–Yates shuffle, undone after)
//! and looks their pairs up among the edges. For `shift`, each edge's null
//! weight is a step function of the offset difference, built once from
//! the two accounts' actions on their shared objects; each randomisation
//! is a binary search per edge. Randomisations run in parallel, each from
//! its own seeded stream (see [`crate::rng`]), so results do not depend on
//! the number of threads. Memory is a few integers per action and per edge.

use std::ops::Range;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::engine::{Action, pair_key};
use crate::rng::{SplitMix64, keyed};
use crate::window::time_step;
use crate::{CoordError, Edge, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NullModel {
    Swap,
    Shift,
}

impl NullModel {
    pub fn name(self) -> &'static str {
        match self {
            NullModel::Swap => "swap",
            NullModel::Shift => "shift",
        }
    }

    pub fn parse(s: &str) -> Option<NullModel> {
        match s.trim() {
            "swap" => Some(NullModel::Swap),
            "shift" => Some(NullModel::Shift),
            _ => None,
        }
    }
}

/// How edges are tested, stored with the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Significance {
    /// Keep (or flag) edges whose q-value is at most this.
    pub level: f64,
    pub null: NullModel,
    pub randomisations: u32,
    pub seed: u64,
    /// Keep every edge, with its p- and q-value, instead of dropping the
    /// edges that are not significant.
    #[serde(default)]
    pub flag_only: bool,
    /// Shift: offsets in [−D, D] instead of around the whole span.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shift_max_ms: Option<i64>,
}

/// The most randomisations a run may ask for.
pub const MAX_RANDOMISATIONS: u32 = 1_000_000;

impl Significance {
    pub fn new(level: f64) -> Significance {
        Significance {
            level,
            null: NullModel::Swap,
            randomisations: 1000,
            seed: 1,
            flag_only: false,
            shift_max_ms: None,
        }
    }

    pub fn validate(&self) -> Result<()> {
        if !(self.level > 0.0 && self.level <= 1.0) {
            return Err(CoordError::Params(format!("--significance must be in (0, 1], got {}", self.level)));
        }
        if let Some(d) = self.shift_max_ms {
            if self.null != NullModel::Shift {
                return Err(CoordError::Params("--shift-max is for --null shift".into()));
            }
            if d <= 0 {
                return Err(CoordError::Params("--shift-max must be positive".into()));
            }
        }
        if self.randomisations == 0 || self.randomisations > MAX_RANDOMISATIONS {
            return Err(CoordError::Params(format!(
                "--randomisations must be from 1 to {MAX_RANDOMISATIONS}, got {}",
                self.randomisations
            )));
        }
        Ok(())
    }
}

/// What the test did to one network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tested {
    pub null: NullModel,
    pub randomisations: u32,
    /// The family of the correction: pairs that co-acted at least once.
    pub pairs: usize,
    /// Edges (pairs of at least `--min-weight`) randomised.
    pub tested: usize,
    /// Of those, edges with a q-value at most the level.
    pub significant: usize,
}

/// Benjamini–Hochberg q-values (adjusted p-values) of `p`, in its order:
/// q of the i-th smallest is the smallest m / j · p_(j) over j ≥ i, at most 1.
pub fn bh(p: &[f64]) -> Vec<f64> {
    bh_of(p, p.len())
}

/// [`bh`] in a family of `m` tests (at least `p.len()`) of which those not
/// in `p` have p-value 1.
pub fn bh_of(p: &[f64], m: usize) -> Vec<f64> {
    let m = m.max(p.len());
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let mut q = vec![0.0; p.len()];
    let mut running = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(p[i] * m as f64 / (rank + 1) as f64);
        q[i] = running;
    }
    q
}

/// Test `edges` (undirected, source < target) of one network whose
/// actions `acts` are sorted by object then time, in a family of `pairs`
/// (the pairs that co-acted at least once): fill their p- and q-values and
/// keep (unless flagging) the significant ones. `key` separates the random
/// streams of the networks of one run.
pub(crate) fn apply(
    edges: &mut Vec<Edge>,
    pairs: usize,
    acts: &[Action],
    window_ms: i64,
    sig: &Significance,
    key: u64,
) -> Tested {
    let p = match sig.null {
        NullModel::Swap => swap_pvalues(acts, window_ms, edges, sig.randomisations, &[sig.seed, key]),
        NullModel::Shift => {
            let circle = Circle::of(acts, sig.shift_max_ms);
            shift_pvalues(acts, window_ms, edges, sig.randomisations, &[sig.seed, key], &circle)
        }
    };
    let q = bh_of(&p, pairs);
    for (e, (p, q)) in edges.iter_mut().zip(p.into_iter().zip(q)) {
        e.p_value = Some(p);
        e.q_value = Some(q);
    }
    let tested = edges.len();
    let significant = edges.iter().filter(|e| e.q_value.is_some_and(|q| q <= sig.level)).count();
    if !sig.flag_only {
        edges.retain(|e| e.q_value.is_some_and(|q| q <= sig.level));
    }
    Tested { null: sig.null, randomisations: sig.randomisations, pairs: pairs.max(tested), tested, significant }
}

fn p_values(ge: &[u32], r: u32) -> Vec<f64> {
    ge.iter().map(|&g| (g as f64 + 1.0) / (r as f64 + 1.0)).collect()
}

/// Edge index of every edge's account pair.
fn edge_index(edges: &[Edge]) -> FxHashMap<u64, u32> {
    edges
        .iter()
        .enumerate()
        .map(|(i, e)| (pair_key(e.source.min(e.target), e.source.max(e.target)), i as u32))
        .collect()
}

/// The fixed structure of the swap null: action slots within the window of
/// another slot on the same object, and the last slot of each one's window.
struct Slots {
    /// Objects (ranges of `acts`) with at least one pair in the window.
    groups: Vec<Range<usize>>,
    /// For every action: the last action within its window (itself if none).
    hi: Vec<u32>,
    /// For every action: its index among the drawn slots (`u32::MAX`: not drawn).
    drawn: Vec<u32>,
    /// Drawn slots.
    k: usize,
}

impl Slots {
    fn of(acts: &[Action], window_ms: i64) -> Slots {
        let n = acts.len();
        let mut hi: Vec<u32> = (0..n as u32).collect();
        let mut drawn = vec![u32::MAX; n];
        let mut groups = Vec::new();
        let mut k = 0;
        let mut s = 0;
        while s < n {
            let mut e = s + 1;
            while e < n && acts[e].obj == acts[s].obj {
                e += 1;
            }
            let mut h = s;
            let mut any = false;
            for i in s..e {
                h = h.max(i);
                while h + 1 < e && acts[h + 1].t - acts[i].t <= window_ms {
                    h += 1;
                }
                hi[i] = h as u32;
                if h > i {
                    any = true;
                    for d in &mut drawn[i..=h] {
                        if *d == u32::MAX {
                            *d = k as u32;
                            k += 1;
                        }
                    }
                }
            }
            if any {
                groups.push(s..e);
            }
            s = e;
        }
        Slots { groups, hi, drawn, k }
    }
}

/// Per randomisation, the weight of every edge: distinct objects on which
/// the labelled slots put both of its accounts within the window.
/// `label(j)` is the account of drawn slot j.
fn count_weights(
    slots: &Slots,
    index: &FxHashMap<u64, u32>,
    label: &[u32],
    counts: &mut [u32],
    touched: &mut Vec<u32>,
    found: &mut Vec<u32>,
) {
    for g in &slots.groups {
        found.clear();
        for i in g.clone() {
            let hi = slots.hi[i] as usize;
            if hi == i {
                continue;
            }
            let a = label[slots.drawn[i] as usize];
            for j in i + 1..=hi {
                let b = label[slots.drawn[j] as usize];
                if a != b
                    && let Some(&e) = index.get(&pair_key(a.min(b), a.max(b)))
                {
                    found.push(e);
                }
            }
        }
        found.sort_unstable();
        found.dedup();
        for &e in found.iter() {
            if counts[e as usize] == 0 {
                touched.push(e);
            }
            counts[e as usize] += 1;
        }
    }
}

/// Swap null: p-value of every edge.
fn swap_pvalues(acts: &[Action], window_ms: i64, edges: &[Edge], r: u32, key: &[u64]) -> Vec<f64> {
    if edges.is_empty() {
        return Vec::new();
    }
    let slots = Slots::of(acts, window_ms);
    let index = edge_index(edges);
    let observed: Vec<u32> = edges.iter().map(|e| e.weight.min(u32::MAX as u64) as u32).collect();
    let pool0: Vec<u32> = acts.iter().map(|a| a.acct).collect();
    let n = pool0.len();
    let chunk = (r as usize).div_ceil(rayon::current_num_threads().max(1) * 4).max(1);
    let starts: Vec<u32> = (0..r).step_by(chunk).collect();
    let parts: Vec<Vec<u32>> = starts
        .par_iter()
        .map(|&start| {
            let mut pool = pool0.clone();
            let mut swaps: Vec<u32> = Vec::with_capacity(slots.k);
            let mut counts = vec![0u32; edges.len()];
            let mut ge = vec![0u32; edges.len()];
            let (mut touched, mut found) = (Vec::new(), Vec::new());
            for rep in start..(start + chunk as u32).min(r) {
                let mut rng: SplitMix64 = keyed(&[key[0], key[1], rep as u64]);
                // The first k entries of a uniform shuffle of every account
                // label: the accounts of the drawn slots.
                swaps.clear();
                for i in 0..slots.k {
                    let j = i + rng.below((n - i) as u64) as usize;
                    pool.swap(i, j);
                    swaps.push(j as u32);
                }
                touched.clear();
                count_weights(&slots, &index, &pool[..slots.k], &mut counts, &mut touched, &mut found);
                for &e in &touched {
                    if counts[e as usize] >= observed[e as usize] {
                        ge[e as usize] += 1;
                    }
                    counts[e as usize] = 0;
                }
                // Undo, so every randomisation starts from the same labels
                // and depends on its own stream only.
                for (i, &j) in swaps.iter().enumerate().rev() {
                    pool.swap(i, j as usize);
                }
            }
            ge
        })
        .collect();
    let mut ge = vec![0u32; edges.len()];
    for p in parts {
        for (g, x) in ge.iter_mut().zip(p) {
            *g += x;
        }
    }
    p_values(&ge, r)
}

/// The circle of the shift null: times relative to `lo`, on `len` ms, in
/// offsets of whole `step`s (`slots` of them).
#[derive(Clone, Copy, Debug)]
struct Circle {
    lo: i64,
    len: i64,
    step: i64,
    slots: u64,
}

/// A "circle" too long to wrap: shifts bounded by `--shift-max`.
const NO_WRAP: i64 = 1 << 62;

impl Circle {
    /// Around the span of the actions; or, with `max`, offsets in [0, 2·max]
    /// on a line (their differences, all that matters, in [−2·max, 2·max]).
    fn of(acts: &[Action], max: Option<i64>) -> Circle {
        let lo = acts.iter().map(|a| a.t).min().unwrap_or(0);
        let hi = acts.iter().map(|a| a.t).max().unwrap_or(0);
        let step = time_step(acts.iter().map(|a| a.t - lo));
        match max {
            Some(d) => Circle { lo, len: NO_WRAP, step, slots: (2 * (d / step).max(1) + 1) as u64 },
            None => {
                let slots = ((hi - lo) / step + 1) as u64;
                Circle { lo, len: slots as i64 * step, step, slots }
            }
        }
    }

    /// The offset of `account` in randomisation `rep`, a whole number of steps.
    fn offset(&self, key: &[u64], rep: u32, account: u32) -> i64 {
        keyed(&[key[0], key[1], rep as u64, account as u64]).below(self.slots) as i64 * self.step
    }
}

/// Objects of one edge with many pairs of actions are checked per
/// randomisation instead of being unfolded into arcs.
const HEAVY_PAIRS: usize = 256;

/// The null weight of one edge as a function of the offset difference d
/// (the second account's offset minus the first's): arcs of d where an
/// object counts, and objects checked directly.
struct EdgeNull {
    /// Sorted breakpoints: from `pos` on (until the next), `count` objects.
    steps: Vec<(i64, u32)>,
    /// (first account's times, second account's times), sorted, relative to lo.
    heavy: Vec<(Vec<i64>, Vec<i64>)>,
}

/// Circular distance on a circle of length `len`.
fn circ(x: i64, len: i64) -> i64 {
    let r = x.rem_euclid(len);
    r.min(len - r)
}

/// Is some b within w of some a + d, around the circle?
fn meets(a: &[i64], b: &[i64], d: i64, w: i64, len: i64) -> bool {
    // Iterate the shorter list, search the longer one.
    // b + d meets a: an a-time x wants a b-time near x - d; a b-time y an
    // a-time near y + d.
    let (short, long, sign) = if a.len() <= b.len() { (a, b, -1) } else { (b, a, 1) };
    for &x in short {
        let c = (x + sign * d).rem_euclid(len);
        let i = long.partition_point(|&y| y < c);
        let near =
            [i.checked_sub(1).map(|j| long[j]), long.get(i).copied(), long.first().copied(), long.last().copied()];
        if near.into_iter().flatten().any(|y| circ(y - c, len) <= w) {
            return true;
        }
    }
    false
}

impl EdgeNull {
    /// From the two accounts' actions (each sorted by object then time).
    fn build(a: &[Action], b: &[Action], w: i64, c: &Circle) -> EdgeNull {
        let mut events: Vec<(i64, i32)> = Vec::new();
        let mut heavy = Vec::new();
        let mut arcs: Vec<(i64, i64)> = Vec::new();
        let (mut i, mut j) = (0, 0);
        // A window of half the circle or more covers it.
        let w = w.min(c.len);
        while i < a.len() && j < b.len() {
            let (oa, ob) = (a[i].obj, b[j].obj);
            if oa != ob {
                if oa < ob {
                    i += 1
                } else {
                    j += 1
                }
                continue;
            }
            let ie = i + a[i..].iter().take_while(|x| x.obj == oa).count();
            let je = j + b[j..].iter().take_while(|x| x.obj == ob).count();
            let ta: Vec<i64> = a[i..ie].iter().map(|x| x.t - c.lo).collect();
            let tb: Vec<i64> = b[j..je].iter().map(|x| x.t - c.lo).collect();
            if ta.len() * tb.len() > HEAVY_PAIRS {
                heavy.push((ta, tb));
            } else {
                // (tb + d) - ta within w ⇔ d ∈ [ta - tb - w, ta - tb + w] (mod len).
                arcs.clear();
                for &x in &ta {
                    for &y in &tb {
                        let start = (x - y - w).rem_euclid(c.len);
                        let end = start + 2 * w; // inclusive; may pass len
                        if 2 * w + 1 >= c.len {
                            arcs.push((0, c.len - 1));
                        } else if end >= c.len {
                            arcs.push((start, c.len - 1));
                            arcs.push((0, end - c.len));
                        } else {
                            arcs.push((start, end));
                        }
                    }
                }
                arcs.sort_unstable();
                // Merge, so an object covered twice counts once.
                let mut cur = arcs[0];
                for &(s, e) in &arcs[1..] {
                    if s <= cur.1 + 1 {
                        cur.1 = cur.1.max(e);
                    } else {
                        events.push((cur.0, 1));
                        events.push((cur.1 + 1, -1));
                        cur = (s, e);
                    }
                }
                events.push((cur.0, 1));
                events.push((cur.1 + 1, -1));
            }
            i = ie;
            j = je;
        }
        events.sort_unstable();
        let mut steps: Vec<(i64, u32)> = Vec::with_capacity(events.len());
        let mut level: i64 = 0;
        for g in events.chunk_by(|x, y| x.0 == y.0) {
            level += g.iter().map(|x| x.1 as i64).sum::<i64>();
            steps.push((g[0].0, level as u32));
        }
        EdgeNull { steps, heavy }
    }

    /// The edge's weight when the second account's offset minus the
    /// first's is `d`.
    fn weight(&self, d: i64, w: i64, len: i64) -> u32 {
        let d = d.rem_euclid(len);
        let i = self.steps.partition_point(|s| s.0 <= d);
        let base = if i == 0 { 0 } else { self.steps[i - 1].1 };
        base + self.heavy.iter().filter(|(a, b)| meets(a, b, d, w, len)).count() as u32
    }
}

/// Shift null: p-value of every edge.
fn shift_pvalues(acts: &[Action], window_ms: i64, edges: &[Edge], r: u32, key: &[u64], circle: &Circle) -> Vec<f64> {
    if edges.is_empty() {
        return Vec::new();
    }
    // Each account's actions, by object then time.
    let mut by_account: Vec<Action> = acts.to_vec();
    by_account.par_sort_unstable_by_key(|a| (a.acct, a.obj, a.t, a.post));
    let mut start: FxHashMap<u32, (usize, usize)> = FxHashMap::default();
    for (i, g) in by_account.chunk_by(|x, y| x.acct == y.acct).scan(0usize, |s, g| {
        let at = *s;
        *s += g.len();
        Some((at, g))
    }) {
        start.insert(g[0].acct, (i, i + g.len()));
    }
    let of = |a: u32| start.get(&a).map_or(&by_account[0..0], |&(s, e)| &by_account[s..e]);
    let ge: Vec<u32> = edges
        .par_iter()
        .map(|e| {
            let (a, b) = (e.source.min(e.target), e.source.max(e.target));
            let null = EdgeNull::build(of(a), of(b), window_ms, circle);
            let observed = e.weight.min(u32::MAX as u64) as u32;
            (0..r)
                .filter(|&rep| {
                    let d = circle.offset(key, rep, b) - circle.offset(key, rep, a);
                    null.weight(d, window_ms, circle.len) >= observed
                })
                .count() as u32
        })
        .collect();
    p_values(&ge, r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{sort, undirected};

    fn act(obj: u32, t: i64, acct: u32, post: u32) -> Action {
        Action { obj, t, acct, post, msg: post }
    }

    /// 20 background accounts acting at random on 300 objects spread over
    /// two days, and a planted group of 6 accounts acting on the same 25
    /// objects within seconds of each other.
    fn planted() -> Vec<Action> {
        let mut rng = SplitMix64::new(42);
        let mut acts = Vec::new();
        let mut post = 0;
        for o in 0..300u32 {
            for _ in 0..40 {
                acts.push(act(o, rng.below(172_800) as i64 * 1000, 6 + rng.below(20) as u32, post));
                post += 1;
            }
        }
        for k in 0..25u32 {
            let t = rng.below(172_800) as i64 * 1000;
            for a in 0..6u32 {
                acts.push(act(300 + k, t + a as i64 * 2000, a, post));
                post += 1;
            }
        }
        sort(&mut acts);
        acts
    }

    #[test]
    fn bh_is_monotone_and_bounded() {
        let p = [0.01, 0.04, 0.03, 0.5, 0.001, 0.04];
        let q = bh(&p);
        // Two more tests with p = 1 can only raise the q-values.
        assert!(bh_of(&p, 8).iter().zip(&q).all(|(a, b)| a >= b));
        // Same order as p, never below p, at most 1.
        let mut idx: Vec<usize> = (0..p.len()).collect();
        idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
        for w in idx.windows(2) {
            assert!(q[w[0]] <= q[w[1]], "{q:?}");
        }
        for (p, q) in p.iter().zip(&q) {
            assert!(*q >= *p && *q <= 1.0);
        }
        // By hand: m = 6; sorted 0.001 0.01 0.03 0.04 0.04 0.5.
        assert!((q[4] - 0.006).abs() < 1e-12);
        assert!((q[0] - 0.03).abs() < 1e-12);
        assert!((q[1] - 0.048).abs() < 1e-12 && (q[5] - 0.048).abs() < 1e-12 && (q[2] - 0.048).abs() < 1e-12);
        assert!((q[3] - 0.5).abs() < 1e-12);
    }

    #[test]
    fn identity_labels_count_the_observed_weights() {
        let acts = planted();
        let edges = undirected(&acts, 60_000, 1);
        let slots = Slots::of(&acts, 60_000);
        let index = edge_index(&edges);
        let mut label = vec![0u32; slots.k];
        for (i, a) in acts.iter().enumerate() {
            if slots.drawn[i] != u32::MAX {
                label[slots.drawn[i] as usize] = a.acct;
            }
        }
        let mut counts = vec![0u32; edges.len()];
        let (mut touched, mut found) = (Vec::new(), Vec::new());
        count_weights(&slots, &index, &label, &mut counts, &mut touched, &mut found);
        for (e, c) in edges.iter().zip(&counts) {
            assert_eq!(e.weight, *c as u64);
        }
    }

    #[test]
    fn shift_at_zero_offset_is_the_observed_weight() {
        let acts = planted();
        let edges = undirected(&acts, 60_000, 1);
        for circle in [Circle::of(&acts, None), Circle::of(&acts, Some(3_600_000))] {
            let mut by: Vec<Action> = acts.clone();
            by.sort_by_key(|a| (a.acct, a.obj, a.t, a.post));
            let of = |x: u32| by.iter().filter(|a| a.acct == x).copied().collect::<Vec<_>>();
            for e in edges.iter().take(300) {
                let null = EdgeNull::build(&of(e.source), &of(e.target), 60_000, &circle);
                assert_eq!(null.weight(0, 60_000, circle.len) as u64, e.weight, "{e:?}");
            }
        }
    }

    #[test]
    fn a_planted_group_is_significant_and_random_pairs_are_not() {
        let acts = planted();
        let seen = crate::engine::undirected(&acts, 60_000, 1).len();
        for (null, max) in [(NullModel::Swap, None), (NullModel::Shift, None), (NullModel::Shift, Some(21_600_000))] {
            let mut edges = undirected(&acts, 60_000, 2);
            let sig = Significance { null, randomisations: 999, shift_max_ms: max, ..Significance::new(0.05) };
            let before = edges.len();
            let group = |e: &Edge| e.source < 6 && e.target < 6;
            assert_eq!(edges.iter().filter(|e| group(e)).count(), 15);
            assert!(before > 25, "{before} edges: too few chance edges to test");
            let t = apply(&mut edges, seen, &acts, 60_000, &sig, 7);
            assert_eq!((t.tested, t.pairs), (before, seen));
            for e in &edges {
                let p = e.p_value.unwrap();
                assert!((0.0..=1.0).contains(&p) && e.q_value.unwrap() >= p);
            }
            // The group's pairs are never reached by chance; the background
            // pairs that happened to co-act twice or more are chance.
            assert!(edges.iter().all(group), "{null:?}: {:?}", edges.iter().find(|e| !group(e)));
            assert_eq!(edges.len(), 15, "{null:?}");
            // Shift can land a pair's offsets within a minute of each other
            // (about 1 in 1,400 around the span, 1 in 360 within 6 hours);
            // swap never rebuilds the group.
            let most = match (null, max) {
                (NullModel::Swap, _) => 1.0,
                (_, None) => 5.0,
                _ => 12.0,
            } / 1000.0;
            assert!(edges.iter().all(|e| e.p_value.unwrap() <= most), "{null:?}: {edges:?}");
            // The same seed gives the same p-values; flagging keeps every edge.
            let mut again = undirected(&acts, 60_000, 2);
            let flag = Significance { flag_only: true, ..sig.clone() };
            apply(&mut again, seen, &acts, 60_000, &flag, 7);
            assert_eq!(again.len(), before);
            let kept: Vec<&Edge> = again.iter().filter(|e| e.q_value.unwrap() <= 0.05).collect();
            assert_eq!(kept.len(), 15);
            assert!(kept.iter().zip(&edges).all(|(a, b)| a.p_value == b.p_value && a.q_value == b.q_value));
            let chance: Vec<f64> = again.iter().filter(|e| !group(e)).map(|e| e.p_value.unwrap()).collect();
            // Chance edges are the luckiest pairs (weight 2 or more where about
            // one co-action is expected), so their p-values are small-ish, but
            // few of them look like the group.
            let strong = chance.iter().filter(|&&p| p <= 0.01).count();
            assert!(strong * 10 <= chance.len(), "{null:?}: {strong} of {} chance edges at p <= 0.01", chance.len());
        }
    }
}
