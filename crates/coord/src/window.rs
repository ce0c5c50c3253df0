//! `--window auto`: the "rapid" co-action interval estimated from the data,
//! as CooRnet's `estimate_coord_interval` does it.
//!
//! For every object acted on at least twice (a reposted post, a URL, a
//! hashtag, … of the run's object networks, pooled), its actions are ranked
//! by time. The objects whose second action came quickest are kept: those
//! whose delay from the first action to the second is at most the `q`
//! quantile of that delay over all objects. For each kept object, the time
//! from its first action to the first action past the share `p` of its
//! actions (rank / count > p) is taken, and the estimate is the `p`
//! quantile of those times. Quantiles are R's default (type 7, linear
//! between order statistics), as in CooRnet; CooRnet's defaults are
//! q = 0.1 and p = 0.5. An estimate of zero (every kept object reached half
//! its actions within the data's resolution) becomes one step of that
//! resolution, the narrowest window the data can tell apart (CooRnet, whose
//! data has seconds, uses one second).

use serde::{Deserialize, Serialize};

use crate::engine::Action;
use crate::{CoordError, Result};

/// The parameters and the result of a window estimate, stored with the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowAuto {
    /// The quickest share of objects kept (by the delay of their second action).
    pub q: f64,
    /// The share of an object's actions to reach; also the quantile taken
    /// over the kept objects.
    pub p: f64,
    /// The estimate (None until it is made).
    #[serde(default)]
    pub estimate_ms: Option<i64>,
    /// Objects acted on at least twice, and of those, kept as quickest.
    #[serde(default)]
    pub objects: Option<u64>,
    #[serde(default)]
    pub quickest: Option<u64>,
}

impl WindowAuto {
    /// CooRnet's defaults.
    pub fn new(q: f64, p: f64) -> WindowAuto {
        WindowAuto { q, p, estimate_ms: None, objects: None, quickest: None }
    }

    pub fn validate(&self) -> Result<()> {
        for (name, v) in [("q", self.q), ("p", self.p)] {
            if !(v > 0.0 && v < 1.0) {
                return Err(CoordError::Params(format!("--window auto: {name} must be in (0, 1), got {v}")));
            }
        }
        Ok(())
    }
}

/// R's default quantile (type 7) of sorted values.
pub(crate) fn quantile7(sorted: &[i64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let (lo, hi) = (sorted[h.floor() as usize] as f64, sorted[h.ceil() as usize] as f64);
    lo + (h - h.floor()) * (hi - lo)
}

/// The step of the times: a minute when every time falls on a whole
/// minute, a second when every one falls on a whole second, else a
/// millisecond.
pub(crate) fn time_step(times: impl Iterator<Item = i64>) -> i64 {
    let (mut minute, mut second) = (true, true);
    for t in times {
        minute &= t.rem_euclid(60_000) == 0;
        second &= t.rem_euclid(1000) == 0;
        if !second {
            return 1;
        }
    }
    if minute { 60_000 } else { 1000 }
}

/// Estimate the window from the actions of each object network (each
/// sorted by object then time). Fills `auto`'s estimate and counts.
pub(crate) fn estimate(auto: &mut WindowAuto, networks: &[Vec<Action>]) -> Result<i64> {
    let mut second: Vec<i64> = Vec::new();
    // Per object: delay to its second action, time to pass the share p.
    let mut per_object: Vec<(i64, i64)> = Vec::new();
    for acts in networks {
        for g in acts.chunk_by(|a, b| a.obj == b.obj).filter(|g| g.len() >= 2) {
            let n = g.len();
            // First rank k (1-based) with k / n > p.
            let k = ((auto.p * n as f64).floor() as usize + 1).min(n);
            let d2 = g[1].t - g[0].t;
            second.push(d2);
            per_object.push((d2, g[k - 1].t - g[0].t));
        }
    }
    if second.is_empty() {
        return Err(CoordError::Input(
            "--window auto: no object was acted on twice; give the window (--window 60, 10m, …)".into(),
        ));
    }
    second.sort_unstable();
    let cut = quantile7(&second, auto.q);
    let mut reach: Vec<i64> = per_object.iter().filter(|(d2, _)| *d2 as f64 <= cut).map(|x| x.1).collect();
    reach.sort_unstable();
    let step = time_step(networks.iter().flatten().map(|a| a.t));
    let est = (quantile7(&reach, auto.p).ceil() as i64).max(step);
    auto.estimate_ms = Some(est);
    auto.objects = Some(second.len() as u64);
    auto.quickest = Some(reach.len() as u64);
    Ok(est)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn act(obj: u32, t: i64) -> Action {
        Action { obj, t, acct: obj, post: 0, msg: 0 }
    }

    #[test]
    fn quantiles_are_r_type_7() {
        let v = [1, 2, 3, 4, 10];
        assert_eq!(quantile7(&v, 0.5), 3.0);
        assert!((quantile7(&v, 0.1) - 1.4).abs() < 1e-12);
        assert!((quantile7(&v, 0.9) - 7.6).abs() < 1e-12);
    }

    #[test]
    fn recovers_a_planted_rapid_interval() {
        // 90 slow objects: second action after 10+ minutes, the rest over hours.
        // 10 rapid ones (the quickest tenth): 9 actions every 5 s, so half of
        // them plus one (the 5th, rank 5 / 9 > 0.5) comes 20 s after the first.
        let mut acts = Vec::new();
        for o in 0..100u32 {
            let t0 = o as i64 * 1_000_000;
            if o % 10 == 3 {
                acts.extend((0..9).map(|i| act(o, t0 + i * 5_000)));
            } else {
                acts.extend((0..6).map(|i| act(o, t0 + 600_000 + i * 3_600_000 + o as i64)));
                acts.push(act(o, t0));
            }
        }
        acts.sort();
        let mut auto = WindowAuto::new(0.1, 0.5);
        assert_eq!(estimate(&mut auto, &[acts]).unwrap(), 20_000);
        assert_eq!((auto.objects, auto.quickest, auto.estimate_ms), (Some(100), Some(10), Some(20_000)));
    }

    #[test]
    fn zero_becomes_the_data_step() {
        // Whole minutes, everything in the same minute.
        let acts: Vec<Action> = (0..4).flat_map(|o| (0..3).map(move |_| act(o, 60_000 * o as i64))).collect();
        let mut auto = WindowAuto::new(0.1, 0.5);
        assert_eq!(estimate(&mut auto, &[acts]).unwrap(), 60_000);
        assert!(estimate(&mut WindowAuto::new(0.1, 0.5), &[vec![act(0, 0)]]).is_err());
        assert!(WindowAuto::new(0.0, 0.5).validate().is_err() && WindowAuto::new(0.1, 1.0).validate().is_err());
    }
}
