//! Clusters of accounts in one network or several combined: Louvain
//! communities (with a resolution parameter) or connected components, and a
//! summary of each cluster for an investigator.
//!
//! Louvain is written here rather than taken from `graphrs`: that crate keys
//! nodes by generic names in hash maps and copies the graph per level, while
//! the scale we need (millions of accounts) wants a compact adjacency array
//! over integer ids and a deterministic node order (so a run is
//! reproducible). After Louvain every community is split into its connected
//! components, which gives the one guarantee Leiden adds that matters for
//! reading clusters: no cluster is disconnected.

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::{CoordResult, Network};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Louvain,
    Components,
}

impl Method {
    pub fn parse(s: &str) -> Option<Method> {
        match s {
            "louvain" | "leiden" => Some(Method::Louvain),
            "components" => Some(Method::Components),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterParams {
    pub method: Method,
    /// Louvain resolution: higher gives more, smaller clusters.
    pub resolution: f64,
    /// Clusters smaller than this are not reported.
    pub min_size: usize,
    /// How many of the most shared objects to list per cluster.
    pub top_objects: usize,
}

impl Default for ClusterParams {
    fn default() -> ClusterParams {
        ClusterParams { method: Method::Louvain, resolution: 1.0, min_size: 2, top_objects: 10 }
    }
}

/// An undirected weighted graph over the accounts of a coordination result:
/// the weights of all its networks summed (a directed pair's two directions
/// are summed too).
#[derive(Clone, Debug, Default)]
pub struct AccountGraph {
    pub n: usize,
    pub edges: Vec<(u32, u32, f64)>,
}

impl AccountGraph {
    pub fn from_result(r: &CoordResult) -> AccountGraph {
        // Sort and merge rather than a hash map: half the memory on networks
        // of hundreds of millions of edges.
        let mut edges: Vec<(u32, u32, f64)> = r
            .networks
            .iter()
            .flat_map(|n| n.edges.iter())
            .map(|e| (e.source.min(e.target), e.source.max(e.target), e.weight as f64))
            .collect();
        edges.par_sort_unstable_by_key(|x| (x.0, x.1));
        edges.dedup_by(|next, kept| {
            let same = (next.0, next.1) == (kept.0, kept.1);
            if same {
                kept.2 += next.2;
            }
            same
        });
        AccountGraph { n: r.posts.accounts.len(), edges }
    }
}

/// One cluster as an investigator reads it (and as `clusters.json` stores it).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClusterSummary {
    pub id: u32,
    pub size: usize,
    pub accounts: Vec<String>,
    /// Edges inside the cluster over the pairs of its accounts.
    pub density: f64,
    /// Sum of the weights of the edges inside the cluster.
    pub internal_weight: f64,
    /// Objects most shared inside the cluster: network, object, accounts
    /// of the cluster that co-acted on it.
    pub top_objects: Vec<(String, String, u64)>,
    /// Earliest and latest co-action inside the cluster (UTC ms).
    pub first_ms: Option<i64>,
    pub last_ms: Option<i64>,
    /// Distribution of an account label (e.g. account_category), most common first.
    pub labels: Vec<(String, u64)>,
    /// What the cluster's accounts posted about, against the rest of the
    /// case (absent from clusterings stored before profiles existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<crate::labels::Profile>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ClusterResult {
    pub params: ClusterParams,
    /// Cluster of every account (None: no edge, or a cluster below min_size).
    pub membership: Vec<Option<u32>>,
    pub clusters: Vec<ClusterSummary>,
}

/// Union-find connected components; nodes without edges get None.
pub fn components(g: &AccountGraph) -> Vec<Option<u32>> {
    let mut parent: Vec<u32> = (0..g.n as u32).collect();
    fn find(p: &mut [u32], mut x: u32) -> u32 {
        while p[x as usize] != x {
            p[x as usize] = p[p[x as usize] as usize];
            x = p[x as usize];
        }
        x
    }
    let mut has = vec![false; g.n];
    for &(a, b, _) in &g.edges {
        has[a as usize] = true;
        has[b as usize] = true;
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra != rb {
            parent[ra.max(rb) as usize] = ra.min(rb);
        }
    }
    (0..g.n as u32).map(|i| has[i as usize].then(|| find(&mut parent, i))).collect()
}

/// Adjacency arrays: for node i, `nbr[off[i]..off[i+1]]` with weights.
struct Csr {
    off: Vec<usize>,
    nbr: Vec<u32>,
    w: Vec<f64>,
}

impl Csr {
    fn build(n: usize, edges: impl Iterator<Item = (u32, u32, f64)> + Clone) -> Csr {
        let mut deg = vec![0usize; n + 1];
        for (a, b, _) in edges.clone() {
            deg[a as usize + 1] += 1;
            if a != b {
                deg[b as usize + 1] += 1;
            }
        }
        for i in 0..n {
            deg[i + 1] += deg[i];
        }
        let mut fill = deg.clone();
        let m = deg[n];
        let (mut nbr, mut w) = (vec![0u32; m], vec![0f64; m]);
        for (a, b, x) in edges {
            nbr[fill[a as usize]] = b;
            w[fill[a as usize]] = x;
            fill[a as usize] += 1;
            if a != b {
                nbr[fill[b as usize]] = a;
                w[fill[b as usize]] = x;
                fill[b as usize] += 1;
            }
        }
        Csr { off: deg, nbr, w }
    }
}

/// Louvain on a graph given as CSR where a self-loop carries the weight of
/// everything inside an aggregated node (counted as it contributes to the
/// degree). Returns the community of each node.
fn louvain_level(g: &Csr, resolution: f64) -> (Vec<u32>, bool) {
    let n = g.off.len() - 1;
    let k: Vec<f64> = (0..n).map(|i| g.w[g.off[i]..g.off[i + 1]].iter().sum()).collect();
    let m2: f64 = k.iter().sum();
    let mut comm: Vec<u32> = (0..n as u32).collect();
    let mut tot = k.clone();
    let mut moved_any = false;
    if m2 == 0.0 {
        return (comm, false);
    }
    let mut w_to: Vec<f64> = vec![0.0; n];
    let mut touched: Vec<u32> = Vec::new();
    for _pass in 0..100 {
        let mut moves = 0;
        for i in 0..n {
            let ci = comm[i];
            touched.clear();
            for p in g.off[i]..g.off[i + 1] {
                let j = g.nbr[p] as usize;
                if j == i {
                    continue;
                }
                let c = comm[j];
                if w_to[c as usize] == 0.0 {
                    touched.push(c);
                }
                w_to[c as usize] += g.w[p];
            }
            tot[ci as usize] -= k[i];
            let gain = |c: u32, w: f64| w - resolution * tot[c as usize] * k[i] / m2;
            let mut best = ci;
            let mut best_gain = gain(ci, w_to[ci as usize]);
            touched.sort_unstable();
            for &c in &touched {
                let g2 = gain(c, w_to[c as usize]);
                if g2 > best_gain + 1e-12 {
                    best = c;
                    best_gain = g2;
                }
            }
            tot[best as usize] += k[i];
            if best != ci {
                comm[i] = best;
                moves += 1;
                moved_any = true;
            }
            for &c in &touched {
                w_to[c as usize] = 0.0;
            }
        }
        if moves == 0 {
            break;
        }
    }
    (comm, moved_any)
}

/// Louvain communities (each then split into connected components).
pub fn louvain(g: &AccountGraph, resolution: f64) -> Vec<Option<u32>> {
    let comp = components(g);
    let mut node_comm: Vec<u32> = (0..g.n as u32).collect();
    let mut csr = Csr::build(g.n, g.edges.iter().copied());
    loop {
        let (c, moved) = louvain_level(&csr, resolution);
        if !moved {
            break;
        }
        // Renumber densely and aggregate.
        let mut map: FxHashMap<u32, u32> = FxHashMap::default();
        let dense: Vec<u32> = c
            .iter()
            .map(|&x| {
                let next = map.len() as u32;
                *map.entry(x).or_insert(next)
            })
            .collect();
        for nc in node_comm.iter_mut() {
            *nc = dense[*nc as usize];
        }
        let n2 = map.len();
        let mut agg: FxHashMap<(u32, u32), f64> = FxHashMap::default();
        for i in 0..csr.off.len() - 1 {
            for p in csr.off[i]..csr.off[i + 1] {
                let j = csr.nbr[p] as usize;
                let (a, b) = (dense[i], dense[j]);
                if a < b || (a == b && i <= j) {
                    // Each undirected edge once; inside a community both
                    // directions add to the self-loop, as both add to degrees.
                    let x = if a == b && i != j { 2.0 * csr.w[p] } else { csr.w[p] };
                    *agg.entry((a.min(b), a.max(b))).or_default() += x;
                }
            }
        }
        let mut e: Vec<(u32, u32, f64)> = agg.into_iter().map(|((a, b), x)| (a, b, x)).collect();
        e.sort_by_key(|x| (x.0, x.1));
        csr = Csr::build(n2, e.iter().copied());
    }
    // Split communities into connected components over the original edges.
    let mut split = AccountGraph { n: g.n, edges: Vec::new() };
    for &(a, b, w) in &g.edges {
        if node_comm[a as usize] == node_comm[b as usize] {
            split.edges.push((a, b, w));
        }
    }
    let parts = components(&split);
    (0..g.n).map(|i| comp[i].and(parts[i].or(Some(i as u32)))).collect()
}

/// Cluster the graph and summarise every cluster of at least `min_size`
/// accounts. `labels` gives one label value per account key.
pub fn cluster(
    r: &CoordResult,
    g: &AccountGraph,
    params: &ClusterParams,
    labels: Option<&std::collections::HashMap<String, String>>,
) -> ClusterResult {
    let raw = match params.method {
        Method::Louvain => louvain(g, params.resolution),
        Method::Components => components(g),
    };
    // Number clusters by size (largest first), then by first account key.
    let mut members: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
    for (i, c) in raw.iter().enumerate() {
        if let Some(c) = c {
            members.entry(*c).or_default().push(i as u32);
        }
    }
    let name = |i: u32| r.posts.accounts.name(i as usize);
    let mut groups: Vec<Vec<u32>> = members.into_values().filter(|m| m.len() >= params.min_size).collect();
    for m in &mut groups {
        m.sort_by(|a, b| name(*a).cmp(name(*b)));
    }
    groups.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| name(a[0]).cmp(name(b[0]))));
    let mut membership = vec![None; g.n];
    for (cid, m) in groups.iter().enumerate() {
        for &a in m {
            membership[a as usize] = Some(cid as u32);
        }
    }
    let mut internal = vec![(0u64, 0f64); groups.len()];
    for &(a, b, w) in &g.edges {
        if let (Some(x), Some(y)) = (membership[a as usize], membership[b as usize])
            && x == y
        {
            internal[x as usize].0 += 1;
            internal[x as usize].1 += w;
        }
    }
    // (cluster, network, object, account) of co-actions inside clusters.
    let mut shared: Vec<(u32, usize, u32, u32)> = Vec::new();
    // One post per (network, object), to show what a reposted post said.
    let mut sample: FxHashMap<(usize, u32), u32> = FxHashMap::default();
    let mut span: Vec<(Option<i64>, Option<i64>)> = vec![(None, None); groups.len()];
    for (ni, n) in r.networks.iter().enumerate() {
        for e in &n.evidence {
            let (Some(x), Some(y)) = (membership[e.source as usize], membership[e.target as usize]) else { continue };
            if x != y {
                continue;
            }
            shared.push((x, ni, e.object, e.source));
            shared.push((x, ni, e.object, e.target));
            sample.entry((ni, e.object)).or_insert(e.post_1);
            for p in [e.post_1, e.post_2] {
                let t = r.posts.time_ms[p as usize];
                let s = &mut span[x as usize];
                s.0 = Some(s.0.map_or(t, |v: i64| v.min(t)));
                s.1 = Some(s.1.map_or(t, |v: i64| v.max(t)));
            }
        }
    }
    shared.sort_unstable();
    shared.dedup();
    let mut top: Vec<Vec<(String, String, u64)>> = vec![Vec::new(); groups.len()];
    let mut i = 0;
    while i < shared.len() {
        let (c, ni, o, _) = shared[i];
        let mut j = i;
        while j < shared.len() && (shared[j].0, shared[j].1, shared[j].2) == (c, ni, o) {
            j += 1;
        }
        let n = &r.networks[ni];
        let mut label = n.objects[o as usize].clone();
        if matches!(n.network, Network::CoRetweet | Network::CoReply) {
            let text = sample.get(&(ni, o)).map_or("", |&p| r.posts.text(p as usize));
            if !text.is_empty() {
                label = format!("post {label}: {}", excerpt(text, 100));
            }
        }
        top[c as usize].push((n.network.name().to_string(), label, (j - i) as u64));
        i = j;
    }
    let clusters = groups
        .iter()
        .enumerate()
        .map(|(cid, m)| {
            let mut t = std::mem::take(&mut top[cid]);
            t.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (&a.0, &a.1).cmp(&(&b.0, &b.1))));
            t.truncate(params.top_objects);
            let size = m.len();
            let pairs = (size * (size - 1) / 2).max(1) as f64;
            let mut dist: FxHashMap<String, u64> = FxHashMap::default();
            if let Some(l) = labels {
                for &a in m {
                    let v = l.get(name(a)).cloned().unwrap_or_else(|| "(none)".into());
                    *dist.entry(v).or_default() += 1;
                }
            }
            let mut labels: Vec<(String, u64)> = dist.into_iter().collect();
            labels.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            ClusterSummary {
                id: cid as u32,
                size,
                accounts: m.iter().map(|&a| name(a).to_string()).collect(),
                density: internal[cid].0 as f64 / pairs,
                internal_weight: internal[cid].1,
                top_objects: t,
                first_ms: span[cid].0,
                last_ms: span[cid].1,
                labels,
                profile: None,
            }
        })
        .collect();
    ClusterResult { params: params.clone(), membership, clusters }
}

/// The first `n` characters of `s` on one line, with `…` when cut.
fn excerpt(s: &str, n: usize) -> String {
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= n {
        one_line
    } else {
        format!("{}…", one_line.chars().take(n).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(n: usize, e: &[(u32, u32, f64)]) -> AccountGraph {
        AccountGraph { n, edges: e.to_vec() }
    }

    #[test]
    fn two_cliques_joined_by_one_edge() {
        let mut e = Vec::new();
        for base in [0u32, 5] {
            for a in 0..5 {
                for b in a + 1..5 {
                    e.push((base + a, base + b, 3.0));
                }
            }
        }
        e.push((4, 5, 1.0));
        let g = graph(11, &e);
        let c = louvain(&g, 1.0);
        assert!(c[..5].iter().all(|x| *x == c[0]));
        assert!(c[5..10].iter().all(|x| *x == c[5]));
        assert_ne!(c[0], c[5]);
        assert_eq!(c[10], None);
        let comp = components(&g);
        assert!(comp[..10].iter().all(|x| *x == comp[0]));
        // A very low resolution merges them.
        let c = louvain(&g, 0.01);
        assert!(c[..10].iter().all(|x| *x == c[0]));
    }
}
