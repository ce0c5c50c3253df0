//! From posts to the actions of each network, and from actions to edges.

use leaktrace_model::PostKind;
use leaktrace_store::Case;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::engine::{self, Action, pair_key};
use crate::images;
use crate::similar::{self, Doc};
use crate::table::{ListColumn, NO_ID, Need, PostTable, TextForm};
use crate::{Compat, CoordError, CoordResult, Edge, Evidence, Network, NetworkResult, Params, Result, text};

/// Compute the networks of `params` over the posts of a case.
pub fn compute(case: &Case, params: &Params) -> Result<CoordResult> {
    params.validate()?;
    if case.summary()?.posts == 0 {
        return Err(CoordError::Input(format!(
            "{}: the case has no posts; add some with `leaktrace ingest`",
            case.root().display()
        )));
    }
    let table = PostTable::load(case, need_of(params))?;
    compute_table(table, params)
}

/// The columns the networks of `params` read.
fn need_of(params: &Params) -> Need {
    let has = |n: Network| params.networks.contains(&n);
    let form = form(params);
    Need {
        // Reposted and replied-to posts are shown by their text in the
        // evidence, co-tweet objects by their normalised text; ids alone
        // (derived ones especially) mean nothing to a reader.
        text: params.evidence
            && [Network::CoRetweet, Network::CoReply, Network::CoTweet, Network::CoSimilarText].into_iter().any(has),
        urls: has(Network::CoLink),
        domains: has(Network::CoDomain),
        hashtags: has(Network::CoHashtag),
        mentions: has(Network::CoMention),
        images: has(Network::CoImage),
        tweet_keys: has(Network::CoTweet).then_some(form),
        tokens: has(Network::CoSimilarText).then_some(form),
    }
}

/// Compute the networks of `params` over posts already in memory (with
/// their texts, or the columns derived from them).
pub fn compute_table(mut table: PostTable, params: &Params) -> Result<CoordResult> {
    params.validate()?;
    if table.is_empty() {
        return Err(CoordError::Input("no posts to analyse".into()));
    }
    table.derive(need_of(params))?;
    let mut params = params.clone();
    if params.window_auto.as_ref().is_some_and(|a| a.estimate_ms.is_none()) {
        let mut all = Vec::new();
        for n in params.object_networks() {
            let mut acts = actions(&table, n, &params)?;
            engine::sort(&mut acts);
            all.push(acts);
        }
        let mut auto = params.window_auto.take().expect("checked");
        params.window_ms = crate::window::estimate(&mut auto, &all)?;
        params.window_auto = Some(auto);
        params.validate()?;
    }
    let params = &params;
    let mut networks = Vec::new();
    for (i, &n) in params.networks.iter().enumerate() {
        let mut r = network(&table, n, params, i as u64)?;
        if params.evidence || params.fast_window_ms.is_some() {
            crate::symmetry::fill(&mut r, |p| table.time_ms[p as usize], params.fast_window_ms);
            if !params.evidence {
                r.evidence = Vec::new();
            }
        }
        // Deterministic order: by account key, then the other account key.
        let name = |i: u32| table.accounts.name(i as usize).as_bytes();
        r.edges.par_sort_by(|a, b| (name(a.source), name(a.target)).cmp(&(name(b.source), name(b.target))));
        r.evidence.par_sort_by_key(|e| (e.source, e.target, table.time_ms[e.post_1 as usize], e.post_1, e.post_2));
        networks.push(r);
    }
    Ok(CoordResult { params: params.clone(), posts_read: table.len(), posts: table, engine: None, networks })
}

fn qut(params: &Params) -> bool {
    params.compat == Some(Compat::Qut)
}

/// The text normalisation of the run.
fn form(params: &Params) -> TextForm {
    if qut(params) { TextForm::Toolkit } else { TextForm::Own }
}

/// One network; `key` separates its random streams from the other
/// networks' of the run.
fn network(t: &PostTable, n: Network, params: &Params, key: u64) -> Result<NetworkResult> {
    match n {
        Network::CoSimilarText => similar_network(t, params),
        Network::Sync => sync_network(t, params),
        Network::CoImage => image_network(t, params),
        _ => {
            let acts = actions(t, n, params)?;
            Ok(object_network(t, n, acts, params, key))
        }
    }
}

/// Keep the co-actions behind edges: asked for, or needed for the fast
/// weights (then dropped once they are computed).
fn wants_evidence(params: &Params) -> bool {
    params.evidence || params.fast_window_ms.is_some()
}

/// Objects interned per network, with labels for the evidence.
#[derive(Default)]
struct Objects {
    ids: FxHashMap<i64, u32>,
    labels: Vec<String>,
}

impl Objects {
    fn post(&mut self, id: i64) -> u32 {
        let next = self.labels.len() as u32;
        *self.ids.entry(id).or_insert_with(|| {
            self.labels.push(id.to_string());
            next
        })
    }
}

/// The actions of an object network. Objects are ids the table already
/// has (repost targets, co-tweet keys, entity values), so nothing is
/// interned here; messages are rows (the toolkit's distinct messages).
fn actions(t: &PostTable, n: Network, params: &Params) -> Result<Vec<Action>> {
    // The columns as plain slices, looked up once (mapped columns check
    // their bounds on each lookup).
    let (first, kind, time, account) = (&t.first[..], &t.kind[..], &*t.time_ms, &*t.account);
    let rows = (0..t.len()).filter(|&r| first[r]);
    let act =
        |row: usize, obj: u32| Action { obj, t: time[row], acct: account[row], post: row as u32, msg: row as u32 };
    // At most one action per row, or per list value: room reserved up front
    // (pages never written are never touched) instead of copies as it grows.
    let mut acts = Vec::new();
    match n {
        Network::CoRetweet | Network::CoReply => {
            let want = if n == Network::CoRetweet { PostKind::Repost } else { PostKind::Reply };
            let target = &*t.target_obj;
            acts.reserve(t.len());
            acts.extend(rows.filter(|&r| kind[r] == want && target[r] != NO_ID).map(|r| act(r, target[r])));
        }
        Network::CoTweet => {
            let keys = t.tweet_keys.as_ref().filter(|k| k.form == form(params));
            let keys = &*keys.ok_or_else(|| CoordError::Input("co-tweet keys not loaded".into()))?.ids;
            acts.reserve(t.len());
            acts.extend(rows.filter(|&r| keys[r] != NO_ID).map(|r| act(r, keys[r])));
        }
        Network::CoLink if qut(params) => return Ok(qut_link_actions(t)),
        Network::CoLink | Network::CoDomain | Network::CoHashtag | Network::CoMention => {
            let col = list_column(t, n)?;
            acts.reserve(col.parts().1.len());
            for row in rows.filter(|&r| kind[r] != PostKind::Repost) {
                let vals = col.of(row);
                for (i, &v) in vals.iter().enumerate() {
                    if !vals[..i].contains(&v) {
                        acts.push(act(row, v));
                    }
                }
            }
        }
        Network::CoSimilarText | Network::Sync | Network::CoImage => unreachable!("not an object network"),
    }
    Ok(acts)
}

/// The label of every object the evidence names (empty for the others):
/// the repost or reply target's id, the normalised text, the entity value.
fn object_labels(t: &PostTable, n: Network, params: &Params, acts: &[Action], evidence: &[Evidence]) -> Vec<String> {
    let size = acts.iter().map(|a| a.obj as usize + 1).max().unwrap_or(0);
    let mut wanted = vec![false; size];
    for e in evidence {
        wanted[e.object as usize] = true;
    }
    let mut labels: Vec<Option<String>> = vec![None; size];
    for a in acts {
        let slot = &mut labels[a.obj as usize];
        if slot.is_some() || !wanted[a.obj as usize] {
            continue;
        }
        let row = a.post as usize;
        *slot = Some(match n {
            Network::CoRetweet | Network::CoReply => t.target(row).map(|v| v.to_string()).unwrap_or_default(),
            Network::CoTweet if qut(params) => text::qut_tweet_key(t.text(row)),
            Network::CoTweet => text::tweet_key(t.text(row)),
            // The toolkit's URL-less message has the URL '' (one past the dictionary).
            _ => list_column(t, n)
                .ok()
                .filter(|c| (a.obj as usize) < c.dict.len())
                .map(|c| c.dict.name(a.obj as usize).to_string())
                .unwrap_or_default(),
        });
    }
    labels.into_iter().map(Option::unwrap_or_default).collect()
}

fn list_column(t: &PostTable, n: Network) -> Result<&ListColumn> {
    let col = match n {
        Network::CoLink => &t.urls,
        Network::CoDomain => &t.domains,
        Network::CoHashtag => &t.hashtags,
        Network::CoMention => &t.mentions,
        _ => &None,
    };
    col.as_ref().ok_or_else(|| CoordError::Input(format!("{}: entity column not loaded", n.name())))
}

/// The toolkit's `message_url` table: for every row that is not a repost,
/// each of its space-separated URLs (an empty field is the one URL `''`),
/// keyed by (message id, URL) with the first row's time and account — also
/// for a later row repeating an id, whose URLs the toolkit still adds.
/// Objects are the URL dictionary's ids, `''` the id one past them.
fn qut_link_actions(t: &PostTable) -> Vec<Action> {
    let col = t.urls.as_ref().expect("urls loaded for co-link");
    let empty = col.dict.len() as u32;
    // Ids that some row repeats: only their rows need the cross-row checks.
    let repeated: FxHashSet<i64> = (0..t.len()).filter(|&r| !t.first[r]).map(|r| t.id[r]).collect();
    let mut seen: FxHashSet<(i64, u32)> = FxHashSet::default();
    let mut msgs: FxHashMap<(i64, u32), u32> = FxHashMap::default();
    let mut acts = Vec::new();
    for row in 0..t.len() {
        if t.is_repost(row, TextForm::Toolkit) {
            continue;
        }
        let (id, acct) = (t.id[row], t.account[row]);
        let shared = !repeated.is_empty() && repeated.contains(&id);
        // A message is the first row with its (id, account).
        let msg = if shared { *msgs.entry((id, acct)).or_insert(row as u32) } else { row as u32 };
        let urls = col.of(row);
        let mut push = |obj: u32, fresh: bool| {
            if fresh && (!shared || seen.insert((id, obj))) {
                acts.push(Action { obj, t: t.time_ms[row], acct, post: row as u32, msg });
            }
        };
        if urls.is_empty() {
            push(empty, true);
        }
        for (i, &u) in urls.iter().enumerate() {
            push(u, !urls[..i].contains(&u));
        }
    }
    acts
}

fn retained(edges: &[Edge]) -> FxHashSet<u64> {
    edges.iter().map(|e| pair_key(e.source, e.target)).collect()
}

fn object_network(t: &PostTable, n: Network, mut acts: Vec<Action>, params: &Params, key: u64) -> NetworkResult {
    let n_msgs = t.len();
    engine::sort(&mut acts);
    let directed = qut(params);
    let mut significance = None;
    let edges = if directed {
        engine::directed(&acts, n_msgs, params.window_ms, params.min_weight)
    } else {
        let (mut edges, pairs) = engine::undirected_counted(&acts, params.window_ms, params.min_weight);
        if let Some(sig) = &params.significance {
            significance = Some(crate::significance::apply(&mut edges, pairs, &acts, params.window_ms, sig, key));
        }
        edges
    };
    let (evidence, objects) = if wants_evidence(params) {
        let keep = retained(&edges);
        let evidence = if directed {
            engine::directed_evidence(&acts, params.window_ms, &keep)
        } else {
            engine::undirected_evidence(&acts, params.window_ms, &keep)
        };
        let labels = if params.evidence { object_labels(t, n, params, &acts, &evidence) } else { Vec::new() };
        (evidence, labels)
    } else {
        (Vec::new(), Vec::new())
    };
    NetworkResult { network: n, directed, edges, objects, evidence, significance }
}

fn similar_network(t: &PostTable, params: &Params) -> Result<NetworkResult> {
    let compat = qut(params);
    let toks = t.tokens.as_ref().filter(|k| k.form == form(params));
    let toks = toks.ok_or_else(|| CoordError::Input("token sets not loaded".into()))?;
    // Rows that are not reposts have their tokens; reposts have none.
    let docs: Vec<Doc> = (0..t.len())
        .filter(|&r| t.first[r] && toks.of(r).len() >= params.min_tokens.max(1))
        .map(|r| Doc { row: r as u32, t: t.time_ms[r], tokens: toks.of(r) })
        .collect();
    let pairs = if compat {
        similar::exact_pairs(&docs, toks.vocab, params.window_ms, params.similarity)
    } else {
        similar::lsh_pairs(&docs, params.window_ms, params.similarity)
    };
    let mut objects = Objects::default();
    let mut edges: Vec<Edge>;
    let mut evidence = Vec::new();
    if compat {
        // Directed: u1→u2 counts distinct messages of u1 with a similar
        // message of u2 in the window.
        let mut hits: Vec<(u32, u32)> = Vec::with_capacity(pairs.len() * 2);
        for &(a, b, _) in &pairs {
            let (ua, ub) = (t.account[a as usize], t.account[b as usize]);
            if ua != ub {
                hits.push((a, ub));
                hits.push((b, ua));
            }
        }
        hits.par_sort_unstable();
        let mut per_pair: Vec<(u64, u64)> = Vec::new();
        let mut i = 0;
        while i < hits.len() {
            let mut j = i;
            while j < hits.len() && hits[j] == hits[i] {
                j += 1;
            }
            let (row, u2) = hits[i];
            per_pair.push((pair_key(t.account[row as usize], u2), (j - i) as u64));
            i = j;
        }
        per_pair.par_sort_unstable_by_key(|e| e.0);
        edges = Vec::new();
        let mut i = 0;
        while i < per_pair.len() {
            let (k, mut msgs, mut events) = (per_pair[i].0, 0u64, 0u64);
            while i < per_pair.len() && per_pair[i].0 == k {
                msgs += 1;
                events += per_pair[i].1;
                i += 1;
            }
            if msgs >= params.min_weight {
                let (s, tg) = engine::unpair(k);
                edges.push(Edge::new(s, tg, msgs, events));
            }
        }
        if wants_evidence(params) {
            let keep = retained(&edges);
            for &(a, b, s) in &pairs {
                for (x, y) in [(a, b), (b, a)] {
                    let (ux, uy) = (t.account[x as usize], t.account[y as usize]);
                    if ux != uy && keep.contains(&pair_key(ux, uy)) {
                        let object = objects.post(t.id[x as usize]);
                        evidence.push(Evidence {
                            source: ux,
                            target: uy,
                            object,
                            post_1: x,
                            post_2: y,
                            similarity: Some(s),
                        });
                    }
                }
            }
        }
    } else {
        // Undirected; the object of a pair is its earlier post (the text
        // the other echoed).
        let earlier = |a: u32, b: u32| {
            let (ka, kb) = ((t.time_ms[a as usize], t.id[a as usize]), (t.time_ms[b as usize], t.id[b as usize]));
            if ka <= kb { a } else { b }
        };
        let mut keyed: Vec<(u64, u32)> = pairs
            .iter()
            .filter_map(|&(a, b, _)| {
                let (ua, ub) = (t.account[a as usize], t.account[b as usize]);
                (ua != ub).then(|| (pair_key(ua.min(ub), ua.max(ub)), earlier(a, b)))
            })
            .collect();
        keyed.par_sort_unstable();
        edges = Vec::new();
        let mut i = 0;
        while i < keyed.len() {
            let k = keyed[i].0;
            let (mut objects_n, mut events) = (0u64, 0u64);
            let mut last = None;
            while i < keyed.len() && keyed[i].0 == k {
                if last != Some(keyed[i].1) {
                    objects_n += 1;
                    last = Some(keyed[i].1);
                }
                events += 1;
                i += 1;
            }
            if objects_n >= params.min_weight {
                let (s, tg) = engine::unpair(k);
                edges.push(Edge::new(s, tg, objects_n, events));
            }
        }
        if wants_evidence(params) {
            let keep = retained(&edges);
            for &(a, b, s) in &pairs {
                let (ua, ub) = (t.account[a as usize], t.account[b as usize]);
                if ua == ub || !keep.contains(&pair_key(ua.min(ub), ua.max(ub))) {
                    continue;
                }
                let (x, y) = if ua < ub { (a, b) } else { (b, a) };
                let object = objects.post(t.id[earlier(a, b) as usize]);
                evidence.push(Evidence {
                    source: ua.min(ub),
                    target: ua.max(ub),
                    object,
                    post_1: x,
                    post_2: y,
                    similarity: Some(s),
                });
            }
        }
    }
    Ok(NetworkResult {
        network: Network::CoSimilarText,
        directed: compat,
        edges,
        objects: objects.labels,
        evidence,
        significance: None,
    })
}

/// Accounts that posted the same or a near-identical image within the
/// window. Images of rows that are not reposts, each once per row; pairs
/// from [`images::pairs`] (exact within `image_distance` bits). Undirected,
/// like co-similar-text: the object of a pair is the hash of its earlier
/// image (by time, post id, hash), so `weight` counts the distinct images
/// the two accounts shared and `events` the pairs; the evidence's
/// similarity is 1 − distance / 64.
fn image_network(t: &PostTable, params: &Params) -> Result<NetworkResult> {
    let col = t.images.as_ref().ok_or_else(|| CoordError::Input("co-image: image hashes not loaded".into()))?;
    let items: Vec<images::Item> = (0..t.len())
        .filter(|&r| t.first[r] && t.kind[r] != PostKind::Repost)
        .flat_map(|r| {
            col.of(r).iter().map(move |&hash| images::Item { row: r as u32, t: t.time_ms[r], acct: t.account[r], hash })
        })
        .collect();
    let pairs = images::pairs(&items, params.window_ms, params.image_distance);
    let earlier = |a: &images::Item, b: &images::Item| {
        let key = |x: &images::Item| (x.t, t.id[x.row as usize], x.hash);
        if key(a) <= key(b) { a.hash } else { b.hash }
    };
    // (account pair, object) per matched pair of images.
    let mut keyed: Vec<(u64, i64)> = pairs
        .iter()
        .map(|&(i, j, _)| {
            let (a, b) = (&items[i as usize], &items[j as usize]);
            (pair_key(a.acct.min(b.acct), a.acct.max(b.acct)), earlier(a, b))
        })
        .collect();
    keyed.par_sort_unstable();
    let mut edges = Vec::new();
    for run in keyed.chunk_by(|x, y| x.0 == y.0) {
        let objects = run.chunk_by(|x, y| x.1 == y.1).count() as u64;
        if objects >= params.min_weight {
            let (s, tg) = engine::unpair(run[0].0);
            edges.push(Edge::new(s, tg, objects, run.len() as u64));
        }
    }
    let mut labels: FxHashMap<i64, u32> = FxHashMap::default();
    let mut objects = Vec::new();
    let mut evidence = Vec::new();
    if params.evidence {
        let keep = retained(&edges);
        for &(i, j, dist) in &pairs {
            let (a, b) = (&items[i as usize], &items[j as usize]);
            let (x, y) = if a.acct < b.acct { (a, b) } else { (b, a) };
            if !keep.contains(&pair_key(x.acct, y.acct)) {
                continue;
            }
            let h = earlier(a, b);
            let object = *labels.entry(h).or_insert_with(|| {
                objects.push(format!("{:016x}", h as u64));
                objects.len() as u32 - 1
            });
            evidence.push(Evidence {
                source: x.acct,
                target: y.acct,
                object,
                post_1: x.row,
                post_2: y.row,
                similarity: Some(1.0 - dist as f64 / 64.0),
            });
        }
    }
    Ok(NetworkResult { network: Network::CoImage, directed: false, edges, objects, evidence, significance: None })
}

/// Poisson upper tail P(X ≥ k) for mean `lambda`.
fn poisson_sf(k: u64, lambda: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    // log P(X = k), then sum terms upward until they stop mattering.
    let mut log_pk = -lambda + k as f64 * lambda.ln();
    for i in 1..=k {
        log_pk -= (i as f64).ln();
    }
    let mut term = log_pk.exp();
    let mut sum = 0.0;
    let mut i = k;
    loop {
        sum += term;
        i += 1;
        term *= lambda / i as f64;
        if term < sum * 1e-17 || i > k + 100_000 {
            break;
        }
    }
    sum.min(1.0)
}

/// Accounts active in the same time buckets (of the window's size) far
/// more often than independent accounts with their activity would be.
fn sync_network(t: &PostTable, params: &Params) -> Result<NetworkResult> {
    let size = params.window_ms;
    let mut objs = Objects::default();
    // One action per (account, bucket): the account's first post in it.
    let mut per: Vec<(u32, i64, u32)> =
        (0..t.len()).filter(|&r| t.first[r]).map(|r| (t.account[r], t.time_ms[r].div_euclid(size), r as u32)).collect();
    per.par_sort_unstable_by_key(|&(a, b, r)| (a, b, t.time_ms[r as usize], r));
    per.dedup_by_key(|&mut (a, b, _)| (a, b));
    let mut active = vec![0u64; t.accounts.len()];
    let mut buckets: FxHashSet<i64> = FxHashSet::default();
    let mut acts = Vec::with_capacity(per.len());
    for &(a, b, r) in &per {
        active[a as usize] += 1;
        buckets.insert(b);
        let label = b * size;
        let obj = objs.post(label);
        acts.push(Action { obj, t: 0, acct: a, post: r, msg: r });
    }
    let n_buckets = buckets.len().max(1) as f64;
    engine::sort(&mut acts);
    let mut edges = engine::undirected(&acts, 0, params.min_weight);
    for e in &mut edges {
        let lambda = active[e.source as usize] as f64 * active[e.target as usize] as f64 / n_buckets;
        e.p_value = Some(poisson_sf(e.weight, lambda));
    }
    edges.retain(|e| e.p_value.is_some_and(|p| p <= params.sync_max_p));
    let evidence = if params.evidence { engine::undirected_evidence(&acts, 0, &retained(&edges)) } else { Vec::new() };
    // Label buckets by their start, in UTC milliseconds.
    Ok(NetworkResult {
        network: Network::Sync,
        directed: false,
        edges,
        objects: objs.labels,
        evidence,
        significance: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_tail() {
        assert!((poisson_sf(1, 1.0) - (1.0 - (-1.0f64).exp())).abs() < 1e-12);
        assert!((poisson_sf(3, 2.0) - 0.3233235838169366).abs() < 1e-12);
        assert!(poisson_sf(50, 0.01) < 1e-100);
    }
}
