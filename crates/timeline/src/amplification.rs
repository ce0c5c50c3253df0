//! Who amplified a declared release, and how fast: for each declared event
//! and each object it is about (a hashtag, a URL, a word, …), and for all
//! of its objects together, the accounts whose first post on it came at or
//! after the event ("followers"), the distribution of their delays, the
//! audience they had (their followers at that post, when the source says),
//! how many of them belong to a coordinated cluster, and the lead/lag
//! permutation test of [`crate::leadlag`]: each account's time moved by a
//! random circular offset within the span of the reactions, the p-value
//! being the share of such baselines whose median |delay| is at most the
//! observed one. Accounts that posted on it before the event are counted
//! apart (the object was around already), and take part in the test.

use std::collections::{BTreeMap, HashMap};

use crate::declared::DeclaredEvent;
pub use crate::leadlag::{Follower, Row};
use crate::leadlag::{LeadLag, Leader, Params, lead_lag_of};
use crate::objects::Object;
use crate::posts::CasePost;
use crate::stats::summarize;

/// The amplification table of `events` over `posts` (which must hold every
/// post on the events' objects). `clusters` maps accounts to the cluster
/// of a coordination run, when one is compared. `whole`, when given, is
/// the lead/lag of all `events` with every account following
/// ([`lead_lag_of`] with no follower set, the same `params`): with one
/// event, the row of all its objects is that result, not computed again.
/// Rows are computed in parallel and come in the events' order.
pub fn table(
    posts: &[CasePost],
    events: &[DeclaredEvent],
    clusters: Option<&HashMap<String, u32>>,
    params: &Params,
    whole: Option<&LeadLag>,
) -> Vec<Row> {
    use rayon::prelude::*;
    let mut jobs: Vec<(&DeclaredEvent, Option<Object>)> = Vec::new();
    for e in events {
        jobs.extend(e.objects.iter().cloned().map(|o| (e, Some(o))));
        if e.objects.len() > 1 {
            jobs.push((e, None));
        }
    }
    jobs.into_par_iter()
        .map(|(e, target)| {
            let objects = match &target {
                Some(o) => vec![o.clone()],
                None => e.objects.clone(),
            };
            let reuse = whole.filter(|_| events.len() == 1 && objects == e.objects);
            let computed;
            let r = match reuse {
                Some(r) => r,
                None => {
                    let ev = DeclaredEvent { objects, ..e.clone() };
                    computed = lead_lag_of(posts, &Leader::Events(vec![ev]), None, params);
                    &computed
                }
            };
            row(e, target, r, clusters)
        })
        .collect()
}

fn row(e: &DeclaredEvent, target: Option<Object>, r: &LeadLag, clusters: Option<&HashMap<String, u32>>) -> Row {
    // Each account's first pair (on any of the objects).
    let mut first: BTreeMap<&str, &crate::leadlag::Pair> = BTreeMap::new();
    for p in &r.pairs {
        let slot = first.entry(&p.follower).or_insert(p);
        if (p.follower_time_ms, p.follower_post) < (slot.follower_time_ms, slot.follower_post) {
            *slot = p;
        }
    }
    let mut accounts: Vec<Follower> = first
        .values()
        .map(|p| Follower {
            account: p.follower.clone(),
            time_ms: p.follower_time_ms,
            delay_ms: p.delay_ms,
            post: p.follower_post,
            audience: p.follower_audience,
            cluster: clusters.and_then(|c| c.get(&p.follower).copied()),
        })
        .collect();
    accounts.sort_by(|a, b| (a.delay_ms, &a.account).cmp(&(b.delay_ms, &b.account)));
    let (after, before): (Vec<Follower>, Vec<Follower>) = accounts.into_iter().partition(|f| f.delay_ms >= 0);
    let delays: Vec<i64> = after.iter().map(|f| f.delay_ms).collect();
    let audiences: Vec<i64> = after.iter().filter_map(|f| f.audience).collect();
    Row {
        event: e.label.clone(),
        event_time_ms: e.time_ms,
        event_source: e.source.clone(),
        followers: after.len(),
        before: before.len(),
        delays: summarize(&delays),
        audience: (!audiences.is_empty()).then(|| audiences.iter().sum()),
        in_clusters: clusters.map(|_| after.iter().filter(|f| f.cluster.is_some()).count()),
        test: r.test.clone(),
        accounts: if target.is_none() || e.objects.len() == 1 { after } else { Vec::new() },
        object: target,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leaktrace_model::Post;

    fn post(id: i64, account: &str, t: i64, text: &str) -> CasePost {
        let mut p = Post::new(id, account, t, text);
        p.derive_entities_from_text();
        p.followers = Some(100 * id);
        CasePost { source: 1, post: p }
    }

    fn event(objects: &[&str]) -> DeclaredEvent {
        DeclaredEvent {
            time_ms: 1_000_000,
            time_resolution_s: 60,
            written: "x".into(),
            kind: "release".into(),
            label: "batch 1".into(),
            source: "https://example.org/".into(),
            objects: objects.iter().map(|o| Object::parse(o).unwrap()).collect(),
            file: "events.csv".into(),
            line: 2,
        }
    }

    #[test]
    fn followers_delays_audience_and_clusters() {
        let posts = vec![
            post(1, "early", 400_000, "#leak before it was out"),
            post(2, "a", 1_060_000, "#leak is out"),
            post(3, "b", 1_120_000, "read the Leak #leak"),
            post(4, "a", 1_200_000, "the leak again"),
            post(5, "c", 5_000_000, "old news: leak"),
            post(6, "d", 1_100_000, "unrelated"),
        ];
        let clusters = HashMap::from([("a".to_string(), 0), ("d".to_string(), 1)]);
        let params = Params { permutations: 99, ..Default::default() };
        let events = [event(&["#leak", "word:leak"])];
        let rows = table(&posts, &events, Some(&clusters), &params, None);
        let whole = lead_lag_of(&posts, &Leader::Events(events.to_vec()), None, &params);
        assert_eq!(table(&posts, &events, Some(&clusters), &params, Some(&whole)), rows, "the whole reused");
        assert_eq!(rows.len(), 3, "one row per object and one for any of them");
        let tag = &rows[0];
        assert_eq!(tag.object, Some(Object::Hashtag("leak".into())));
        assert_eq!((tag.followers, tag.before, tag.in_clusters), (2, 1, Some(1)));
        assert_eq!(tag.delays.as_ref().unwrap().min, 60_000);
        assert_eq!(tag.audience, Some(200 + 300));
        let any = &rows[2];
        assert_eq!(any.object, None);
        let order: Vec<(&str, i64)> = any.accounts.iter().map(|f| (f.account.as_str(), f.delay_ms)).collect();
        assert_eq!(order, [("a", 60_000), ("b", 120_000), ("c", 4_000_000)]);
        assert_eq!(any.accounts[0].cluster, Some(0));
        let t = any.test.as_ref().unwrap();
        assert!(t.p_value > 0.0 && t.p_value <= 1.0);
    }
}
