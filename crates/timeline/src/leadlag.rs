//! Lead/lag: how long after a leader's first action on an object each
//! follower first acted on the same object, and whether that is closer
//! than chance.
//!
//! For every object the leader acted on (for declared events: the objects
//! each event is about, at the event's time), and every follower that
//! acted on it too, the delay is the follower's first action minus the
//! leader's first action. Negative delays (the follower was earlier) are
//! kept and counted; zero delays are ties (with whole-minute data, "the
//! same minute").
//!
//! The test: the statistic is the median absolute delay. The baseline
//! moves each follower's times while keeping everything else: either a
//! circular shift of all of a follower's first-action times by one random
//! offset within the observed time range (keeping the follower's own
//! rhythm; the default), or a shuffle of follower times across all pairs.
//! Offsets are whole multiples of the data's time resolution (whole
//! minutes when every time involved falls on a minute), so whole-minute
//! data is compared with whole-minute baselines. The p-value
//! is (1 + #baselines with a median at most the observed) / (1 + N): the
//! chance of followers being this close to the leader if their timing had
//! nothing to do with it.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::declared::DeclaredEvent;
use crate::first::resolution_ms;
use crate::objects::{Object, ObjectKind, objects_of};
use crate::posts::CasePost;
use crate::rng::{Below, SplitMix64};
use crate::stats::{Summary, median_in_place, summarize};

/// Who leads.
#[derive(Clone, Debug)]
pub enum Leader {
    /// Accounts (keys or handles, lower-cased).
    Accounts(BTreeSet<String>),
    /// Declared events; each is about its `objects`.
    Events(Vec<DeclaredEvent>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Baseline {
    CircularShift,
    Shuffle,
}

impl Baseline {
    pub fn parse(s: &str) -> Option<Baseline> {
        match s {
            "circular-shift" | "shift" => Some(Baseline::CircularShift),
            "shuffle" => Some(Baseline::Shuffle),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Params {
    /// Object kinds compared.
    pub objects: Vec<ObjectKind>,
    pub permutations: u32,
    pub seed: u64,
    pub baseline: Baseline,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            objects: vec![ObjectKind::Url, ObjectKind::Hashtag, ObjectKind::Repost],
            permutations: 999,
            seed: 1,
            baseline: Baseline::CircularShift,
        }
    }
}

/// One (object, follower) delay, with the posts behind it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Pair {
    pub object: Object,
    pub follower: String,
    pub leader_time_ms: i64,
    /// The leader's post id, or the declared event's label.
    pub leader_ref: String,
    pub follower_time_ms: i64,
    pub follower_post: i64,
    pub follower_source: i64,
    pub delay_ms: i64,
    /// The follower's followers at that post, when the source has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follower_audience: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FollowerSummary {
    pub follower: String,
    pub n: usize,
    pub median_delay_ms: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Test {
    pub statistic: &'static str,
    pub observed: f64,
    pub baseline: Baseline,
    pub permutations: u32,
    pub seed: u64,
    /// Baseline medians at most the observed one.
    pub as_close: u32,
    pub p_value: f64,
    /// Median and 5th percentile of the baseline statistic.
    pub baseline_median: f64,
    pub baseline_p05: f64,
    /// Step of the shifts (the coarsest time resolution among the pairs).
    pub step_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LeadLag {
    /// Objects the leader acted on (of the kinds compared).
    pub leader_objects: usize,
    /// Of those, objects at least one follower also acted on.
    pub shared_objects: usize,
    pub followers_seen: usize,
    pub n: usize,
    pub before: usize,
    pub same_time: usize,
    pub after: usize,
    pub delays: Option<Summary>,
    pub test: Option<Test>,
    pub per_follower: Vec<FollowerSummary>,
    pub pairs: Vec<Pair>,
    /// With declared events as leader: for each event and each of its
    /// objects, who followed, how fast, how many of them in a coordinated
    /// cluster, and the test (see [`crate::amplification`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub amplification: Vec<Row>,
}

fn matches_account(set: &BTreeSet<String>, cp: &CasePost) -> bool {
    set.contains(&cp.post.account.to_lowercase())
        || cp.post.account_name.as_ref().is_some_and(|n| set.contains(&n.to_lowercase()))
}

/// Compute lead/lag of `followers` behind `leader` over `posts`.
/// Leader accounts are never their own followers.
pub fn lead_lag(posts: &[CasePost], leader: &Leader, followers: &BTreeSet<String>, params: &Params) -> LeadLag {
    lead_lag_of(posts, leader, Some(followers), params)
}

/// [`lead_lag`] where `None` means every account follows.
pub fn lead_lag_of(
    posts: &[CasePost],
    leader: &Leader,
    followers: Option<&BTreeSet<String>>,
    params: &Params,
) -> LeadLag {
    // The leader's first action per object: (time, reference, resolution).
    let mut lead: BTreeMap<Object, (i64, String, i64)> = BTreeMap::new();
    let mut step = 1i64;
    let keep_first = |map: &mut BTreeMap<Object, (i64, String, i64)>, o: Object, t: i64, r: String, res: i64| {
        let e = map.entry(o).or_insert((t, r.clone(), res));
        if t < e.0 {
            *e = (t, r, res);
        }
    };
    match leader {
        Leader::Accounts(set) => {
            for cp in posts.iter().filter(|cp| matches_account(set, cp)) {
                for o in objects_of(&cp.post, &params.objects) {
                    let res = resolution_ms(cp.post.time_resolution_s);
                    keep_first(&mut lead, o, cp.post.time_ms, cp.post.id.to_string(), res);
                }
            }
        }
        Leader::Events(events) => {
            for e in events {
                for o in &e.objects {
                    keep_first(&mut lead, o.clone(), e.time_ms, e.label.clone(), resolution_ms(e.time_resolution_s));
                }
            }
        }
    }
    let leader_accounts = match leader {
        Leader::Accounts(s) => s.clone(),
        Leader::Events(_) => BTreeSet::new(),
    };
    // Each follower's first action per object the leader acted on.
    // (time, post id, source, the follower's audience at that post)
    type FirstPost = (i64, i64, i64, Option<i64>);
    let mut first: FxHashMap<(String, Object), FirstPost> = FxHashMap::default();
    let event_kinds: Vec<ObjectKind> = match leader {
        Leader::Accounts(_) => params.objects.clone(),
        Leader::Events(_) => ObjectKind::ALL.to_vec(),
    };
    for cp in posts {
        if followers.is_some_and(|f| !matches_account(f, cp)) || matches_account(&leader_accounts, cp) {
            continue;
        }
        for o in objects_of(&cp.post, &event_kinds) {
            if !lead.contains_key(&o) {
                continue;
            }
            let key = (cp.post.account.clone(), o);
            let v = (cp.post.time_ms, cp.post.id, cp.source, cp.post.followers);
            match first.get_mut(&key) {
                Some(old) if v.0 < old.0 => *old = v,
                Some(_) => {}
                None => {
                    step = step.max(resolution_ms(cp.post.time_resolution_s));
                    first.insert(key, v);
                }
            }
        }
    }
    let mut pairs: Vec<Pair> = first
        .into_iter()
        .map(|((follower, object), (t, id, source, audience))| {
            let (lt, lref, lres) = lead[&object].clone();
            step = step.max(lres.min(86_400_000));
            Pair {
                delay_ms: t - lt,
                object,
                follower,
                leader_time_ms: lt,
                leader_ref: lref,
                follower_time_ms: t,
                follower_post: id,
                follower_source: source,
                follower_audience: audience,
            }
        })
        .collect();
    pairs.sort_by(|a, b| (a.delay_ms, &a.follower, &a.object).cmp(&(b.delay_ms, &b.follower, &b.object)));
    // Data on whole minutes (the IRA releases write ":00" seconds) is
    // compared with whole-minute baselines, whatever resolution it declares.
    if !pairs.is_empty() && pairs.iter().all(|p| p.leader_time_ms % 60_000 == 0 && p.follower_time_ms % 60_000 == 0) {
        step = step.max(60_000);
    }
    let delays: Vec<i64> = pairs.iter().map(|p| p.delay_ms).collect();
    let mut by_follower: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for p in &pairs {
        by_follower.entry(&p.follower).or_default().push(p.delay_ms);
    }
    let per_follower = by_follower
        .into_iter()
        .map(|(f, mut d)| FollowerSummary {
            follower: f.to_string(),
            n: d.len(),
            median_delay_ms: median_in_place(&mut d),
        })
        .collect::<Vec<_>>();
    let shared: BTreeSet<&Object> = pairs.iter().map(|p| &p.object).collect();
    let test = (!pairs.is_empty() && params.permutations > 0).then(|| permutation_test(&pairs, step, params));
    LeadLag {
        leader_objects: lead.len(),
        shared_objects: shared.len(),
        followers_seen: per_follower.len(),
        n: pairs.len(),
        before: delays.iter().filter(|&&d| d < 0).count(),
        same_time: delays.iter().filter(|&&d| d == 0).count(),
        after: delays.iter().filter(|&&d| d > 0).count(),
        delays: summarize(&delays),
        test,
        per_follower,
        pairs,
        amplification: Vec::new(),
    }
}

/// The median of `buf` (not empty), reordering it: a selection, not a
/// sort, since this runs once per baseline draw.
fn median_of(buf: &mut [i64]) -> f64 {
    let n = buf.len();
    let (_, &mut hi, _) = buf.select_nth_unstable(n / 2);
    if !n.is_multiple_of(2) {
        return hi as f64;
    }
    let lo = *buf[..n / 2].iter().max().expect("n >= 2");
    (lo as f64 + hi as f64) / 2.0
}

fn median_abs(pairs: &[(i64, i64)], follower_times: &[i64], buf: &mut Vec<i64>) -> f64 {
    buf.clear();
    buf.extend(pairs.iter().zip(follower_times).map(|(&(lt, _), &ft)| (ft - lt).abs()));
    median_of(buf)
}

/// Baseline draws whose offsets are drawn together (in the generator's
/// order, so that a seed gives the same draws as one at a time) and then
/// measured in parallel.
const DRAWS_AT_ONCE: usize = 32;

pub(crate) fn permutation_test(pairs: &[Pair], step: i64, params: &Params) -> Test {
    use rayon::prelude::*;
    // (leader time, follower index) per pair, follower times apart.
    let mut follower_ix: BTreeMap<&str, usize> = BTreeMap::new();
    for p in pairs {
        let n = follower_ix.len();
        follower_ix.entry(&p.follower).or_insert(n);
    }
    let lt: Vec<(i64, i64)> =
        pairs.iter().map(|p| (p.leader_time_ms, follower_ix[p.follower.as_str()] as i64)).collect();
    let ft: Vec<i64> = pairs.iter().map(|p| p.follower_time_ms).collect();
    let mut buf = Vec::with_capacity(ft.len());
    let observed = median_abs(&lt, &ft, &mut buf);
    let lo = pairs.iter().map(|p| p.leader_time_ms.min(p.follower_time_ms)).min().expect("pairs");
    let hi = pairs.iter().map(|p| p.leader_time_ms.max(p.follower_time_ms)).max().expect("pairs");
    // The range, rounded up to whole steps, and at least one step.
    let slots = ((hi - lo) / step + 1).max(1);
    let span = slots * step;
    let mut rng = SplitMix64::new(params.seed);
    let mut stats = Vec::with_capacity(params.permutations as usize);
    match params.baseline {
        Baseline::CircularShift => {
            // A follower's time t moves to lo + (t - lo + offset) mod span.
            // Times relative to lo: a follower's is in [0, span) and so is
            // the offset, so the modulo is one subtraction.
            let rel: Vec<(i64, i64, usize)> =
                pairs.iter().zip(&lt).map(|(p, &(l, f))| (l - lo, p.follower_time_ms - lo, f as usize)).collect();
            let below = Below::new(slots as u64);
            let followers = follower_ix.len();
            let mut offsets = vec![0i64; DRAWS_AT_ONCE * followers];
            let mut left = params.permutations as usize;
            while left > 0 {
                let k = left.min(DRAWS_AT_ONCE);
                let offsets = &mut offsets[..k * followers];
                for o in offsets.iter_mut() {
                    *o = below.draw(&mut rng) as i64 * step;
                }
                let measured: Vec<f64> = offsets
                    .par_chunks(followers)
                    .map_init(
                        || Vec::with_capacity(rel.len()),
                        |buf: &mut Vec<i64>, off| {
                            buf.clear();
                            buf.extend(rel.iter().map(|&(l, t, f)| {
                                let s = t + off[f];
                                ((if s >= span { s - span } else { s }) - l).abs()
                            }));
                            median_of(buf)
                        },
                    )
                    .collect();
                stats.extend(measured);
                left -= k;
            }
        }
        Baseline::Shuffle => {
            let mut shifted = ft.clone();
            for _ in 0..params.permutations {
                shifted.copy_from_slice(&ft);
                rng.shuffle(&mut shifted);
                stats.push(median_abs(&lt, &shifted, &mut buf));
            }
        }
    }
    let as_close = stats.iter().filter(|&&s| s <= observed).count() as u32;
    stats.sort_by(f64::total_cmp);
    let q = |p: f64| {
        let h = (stats.len() - 1) as f64 * p;
        let (a, b) = (stats[h.floor() as usize], stats[h.ceil() as usize]);
        a + (h - h.floor()) * (b - a)
    };
    Test {
        statistic: "median |delay| (ms)",
        observed,
        baseline: params.baseline,
        permutations: params.permutations,
        seed: params.seed,
        as_close,
        p_value: (1 + as_close) as f64 / (1 + params.permutations) as f64,
        baseline_median: q(0.5),
        baseline_p05: q(0.05),
        step_ms: step,
    }
}
// The amplification table's rows (`crate::amplification` computes them;
// they are declared here, with the lead/lag result that carries them, so
// that the two modules import one way).

/// One account's first post on the object (or on any of the event's objects).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Follower {
    pub account: String,
    pub time_ms: i64,
    pub delay_ms: i64,
    pub post: i64,
    pub audience: Option<i64>,
    /// Its cluster in the clustering compared with, if it is in one.
    pub cluster: Option<u32>,
}

/// One line of the amplification table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    pub event: String,
    pub event_time_ms: i64,
    /// Where the events file says the event is documented.
    pub event_source: String,
    /// The object; `None`: any of the event's objects.
    pub object: Option<Object>,
    /// Accounts whose first post on it came at or after the event.
    pub followers: usize,
    /// Accounts that had posted on it before the event.
    pub before: usize,
    /// Delays of the followers.
    pub delays: Option<Summary>,
    /// Sum of the followers' audiences, where the source has them.
    pub audience: Option<i64>,
    /// Followers in a coordinated cluster, when a clustering was given.
    pub in_clusters: Option<usize>,
    pub test: Option<Test>,
    /// The followers, earliest first (for the "any" row; empty for objects).
    pub accounts: Vec<Follower>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The circular-shift baseline as first written: one draw at a time,
    /// `rem_euclid` for the shift.
    fn reference(pairs: &[Pair], step: i64, params: &Params) -> (f64, Vec<f64>) {
        let mut ix: BTreeMap<&str, usize> = BTreeMap::new();
        for p in pairs {
            let n = ix.len();
            ix.entry(&p.follower).or_insert(n);
        }
        let lt: Vec<(i64, i64)> = pairs.iter().map(|p| (p.leader_time_ms, ix[p.follower.as_str()] as i64)).collect();
        let ft: Vec<i64> = pairs.iter().map(|p| p.follower_time_ms).collect();
        let mut buf = Vec::new();
        let observed = median_abs(&lt, &ft, &mut buf);
        let lo = pairs.iter().map(|p| p.leader_time_ms.min(p.follower_time_ms)).min().unwrap();
        let hi = pairs.iter().map(|p| p.leader_time_ms.max(p.follower_time_ms)).max().unwrap();
        let slots = ((hi - lo) / step + 1).max(1);
        let span = slots * step;
        let mut rng = SplitMix64::new(params.seed);
        let mut shifted = ft.clone();
        let mut stats = Vec::new();
        for _ in 0..params.permutations {
            let offsets: Vec<i64> = (0..ix.len()).map(|_| rng.below(slots as u64) as i64 * step).collect();
            for (i, &(_, f)) in lt.iter().enumerate() {
                shifted[i] = lo + (ft[i] - lo + offsets[f as usize]).rem_euclid(span);
            }
            stats.push(median_abs(&lt, &shifted, &mut buf));
        }
        (observed, stats)
    }

    fn pair(follower: usize, leader_time_ms: i64, follower_time_ms: i64) -> Pair {
        Pair {
            object: Object::Repost(leader_time_ms),
            follower: format!("f{follower}"),
            leader_time_ms,
            leader_ref: "x".into(),
            follower_time_ms,
            follower_post: 1,
            follower_source: 1,
            delay_ms: follower_time_ms - leader_time_ms,
            follower_audience: None,
        }
    }

    #[test]
    fn batched_parallel_draws_give_the_draws_of_one_at_a_time() {
        let mut rng = SplitMix64::new(7);
        // Odd and even numbers of pairs, more draws than one batch and a
        // remainder, followers with several pairs, times on and off steps.
        for (n, permutations, step) in [(1, 5, 1), (2, 40, 60_000), (301, 99, 1_000), (1_000, 67, 60_000)] {
            let pairs: Vec<Pair> = (0..n)
                .map(|i| {
                    let l = rng.below(5_000) as i64 * 60_000;
                    pair(rng.below(n as u64 / 3 + 1) as usize, l, l + rng.below(7_200_000) as i64 - 600_000 + i as i64)
                })
                .collect();
            let params = Params { permutations, seed: 11, ..Default::default() };
            let (observed, mut stats) = reference(&pairs, step, &params);
            let t = permutation_test(&pairs, step, &params);
            assert_eq!(t.observed, observed);
            assert_eq!(t.as_close, stats.iter().filter(|&&s| s <= observed).count() as u32, "n = {n}");
            stats.sort_by(f64::total_cmp);
            assert_eq!(t.baseline_median, {
                let h = (stats.len() - 1) as f64 * 0.5;
                stats[h.floor() as usize] + (h - h.floor()) * (stats[h.ceil() as usize] - stats[h.floor() as usize])
            });
        }
    }
}
