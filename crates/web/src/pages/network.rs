//! `/network`: a stored run's coordination network, or one of its clusters,
//! drawn as a graph, with the clusters' legend and table; `/edge`: the
//! evidence behind the edges between two accounts, as a page or as a
//! fragment for the panel beside the graph.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;

use leaktrace_coord::Network;
use leaktrace_coord::results::{StoredEdge, StoredEvidence};
use maud::{Markup, html};
use serde::{Deserialize, Deserializer};

use leaktrace_coord::cluster::ClusterSummary;
use leaktrace_coord::labels::{KINDS, Term};

use crate::app::App;
use crate::data::{GraphRun, run_title};
use crate::error::{PageResult, WebError};
use crate::graph;
use crate::layout::{account_link, count, duration, enc, page as shell, time, time_s};

const DEFAULT_MAX_NODES: usize = 300;
/// The layout is quadratic in the nodes; beyond this a drawing is unreadable anyway.
const MAX_NODES_LIMIT: usize = 1000;
/// Lines drawn at most (the heaviest pairs): beyond this a drawing is a
/// hairball and the page gets slow to render.
const MAX_PAIRS_DRAWN: usize = 3000;
/// Nodes drawn with their name; the others have it as a tooltip.
const LABELLED: usize = 40;
const MAX_EVIDENCE_ROWS: usize = 500;
/// Cluster colours (Tableau 10 without its grey, which marks accounts in no cluster).
const PALETTE: [&str; 10] =
    ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#17becf"];
const NO_CLUSTER: &str = "#b8bec6";

/// Form fields left empty arrive as `name=`: read them as absent.
fn blank_none<'de, D: Deserializer<'de>, T: FromStr>(d: D) -> Result<Option<T>, D::Error>
where
    T::Err: std::fmt::Display,
{
    match Option::<String>::deserialize(d)?.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    #[serde(default, deserialize_with = "blank_none")]
    pub run: Option<i64>,
    #[serde(default, deserialize_with = "blank_none")]
    pub cluster: Option<u32>,
    /// A network name; empty or `all` for every network of the run.
    pub network: Option<String>,
    #[serde(default, deserialize_with = "blank_none")]
    pub min_weight: Option<u64>,
    #[serde(default, deserialize_with = "blank_none")]
    pub max_nodes: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
pub struct EdgeParams {
    #[serde(default, deserialize_with = "blank_none")]
    pub run: Option<i64>,
    #[serde(default)]
    pub a: String,
    #[serde(default)]
    pub b: String,
    pub network: Option<String>,
    /// `1`: only the inner markup, for the evidence panel of `/network`.
    pub fragment: Option<String>,
}

/// The network named in a request, if one is (empty and `all` mean every network).
fn network_param(p: Option<&str>) -> PageResult<Option<Network>> {
    match p.map(str::trim).filter(|s| !s.is_empty() && *s != "all") {
        None => Ok(None),
        Some(s) => Network::parse(s).map(Some).ok_or_else(|| WebError::BadRequest(format!("unknown network {s:?}"))),
    }
}

/// The part of a run's network that is drawn.
#[derive(Debug)]
struct Drawing<'a> {
    /// Accounts, heaviest first (then by name).
    nodes: Vec<&'a str>,
    /// Weighted degree of each node in the filtered network.
    degree: Vec<u64>,
    /// Pairs of drawn nodes (`i < j`) with the stored edges between them
    /// (one per network and direction).
    pairs: Vec<(u32, u32, Vec<&'a StoredEdge>)>,
    /// Accounts and stored edges that pass the filters, before the node limit.
    total_nodes: usize,
    total_edges: usize,
    /// Stored edges among the drawn nodes.
    shown_edges: usize,
}

/// The heaviest `max_nodes` accounts (by weighted degree over the edges
/// `keep` accepts) and the kept edges among them. With `members` (a
/// cluster), only those accounts and the edges among them, including
/// members left without an edge by the filter.
fn select<'a>(
    edges: &'a [StoredEdge],
    keep: impl Fn(&StoredEdge) -> bool,
    members: Option<&'a [String]>,
    max_nodes: usize,
) -> Drawing<'a> {
    let member: Option<BTreeSet<&str>> = members.map(|m| m.iter().map(String::as_str).collect());
    let inside = |a: &str| member.as_ref().is_none_or(|m| m.contains(a));
    let kept: Vec<&StoredEdge> =
        edges.iter().filter(|e| e.source != e.target && inside(&e.source) && inside(&e.target) && keep(e)).collect();
    let mut degree: HashMap<&str, u64> = members.unwrap_or_default().iter().map(|a| (a.as_str(), 0)).collect();
    for e in &kept {
        *degree.entry(&e.source).or_default() += e.weight;
        *degree.entry(&e.target).or_default() += e.weight;
    }
    let mut ranked: Vec<(&str, u64)> = degree.into_iter().collect();
    ranked.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(y.0)));
    let total_nodes = ranked.len();
    ranked.truncate(max_nodes);
    let index: HashMap<&str, u32> = ranked.iter().enumerate().map(|(i, (a, _))| (*a, i as u32)).collect();
    let mut pairs: BTreeMap<(u32, u32), Vec<&StoredEdge>> = BTreeMap::new();
    for e in &kept {
        if let (Some(&i), Some(&j)) = (index.get(e.source.as_str()), index.get(e.target.as_str())) {
            pairs.entry((i.min(j), i.max(j))).or_default().push(e);
        }
    }
    let mut pairs: Vec<(u32, u32, Vec<&StoredEdge>)> = pairs.into_iter().map(|((i, j), v)| (i, j, v)).collect();
    if pairs.len() > MAX_PAIRS_DRAWN {
        // Dense clusters: draw the strongest links only (the page says how many).
        let w = |p: &(u32, u32, Vec<&StoredEdge>)| p.2.iter().map(|e| e.weight).sum::<u64>();
        pairs.sort_by(|x, y| w(y).cmp(&w(x)).then((x.0, x.1).cmp(&(y.0, y.1))));
        pairs.truncate(MAX_PAIRS_DRAWN);
        pairs.sort_by_key(|p| (p.0, p.1));
    }
    Drawing {
        nodes: ranked.iter().map(|r| r.0).collect(),
        degree: ranked.iter().map(|r| r.1).collect(),
        shown_edges: pairs.iter().map(|p| p.2.len()).sum(),
        pairs,
        total_nodes,
        total_edges: kept.len(),
    }
}

fn colour(cluster: Option<u32>) -> &'static str {
    cluster.map_or(NO_CLUSTER, |c| PALETTE[c as usize % PALETTE.len()])
}

/// A coordinate or size in an SVG attribute.
fn f1(x: f64) -> String {
    format!("{x:.1}")
}

fn swatch(fill: &str) -> Markup {
    html! {
        svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true" { circle cx="6" cy="6" r="6" fill=(fill) {} }
    }
}

/// Query string of the link to the evidence between two accounts.
fn edge_href(run: i64, a: &str, b: &str, network: Option<&str>) -> String {
    let net = network.map(|n| format!("&network={}", enc(n))).unwrap_or_default();
    format!("/edge?run={run}&a={}&b={}{net}", enc(a), enc(b))
}

/// The drawing as SVG: edges under nodes, every item a link that the
/// script opens in the evidence panel.
fn svg(run: i64, d: &Drawing<'_>, membership: &HashMap<String, u32>) -> Markup {
    let weights: Vec<(u32, u32, f64)> =
        d.pairs.iter().map(|(i, j, es)| (*i, *j, es.iter().map(|e| e.weight).sum::<u64>() as f64)).collect();
    let pos = graph::layout(d.nodes.len(), &weights);
    let max_w = weights.iter().map(|w| w.2).fold(1.0, f64::max);
    let max_deg = d.degree.iter().copied().max().unwrap_or(0).max(1) as f64;
    // Smaller nodes when there are many, so a dense drawing stays legible.
    let r_max = (120.0 / (d.nodes.len() as f64).sqrt()).clamp(4.0, 14.0);
    let radius = |i: usize| r_max * (0.3 + 0.7 * (d.degree[i] as f64 / max_deg).sqrt());
    html! {
        svg.graph xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {} {}", graph::WIDTH, graph::HEIGHT))
            role="img" aria-label="Coordination network" {
            @for ((i, j, es), w) in d.pairs.iter().zip(&weights) {
                @let (a, b) = (d.nodes[*i as usize], d.nodes[*j as usize]);
                @let (p, q) = (pos[*i as usize], pos[*j as usize]);
                @let one_net = es.iter().all(|e| e.network == es[0].network).then(|| es[0].network.name());
                a href=(edge_href(run, a, b, one_net)) {
                    line.edge x1=(f1(p.0)) y1=(f1(p.1)) x2=(f1(q.0)) y2=(f1(q.1))
                        stroke-width=(f1(0.6 + 3.4 * (1.0 + w.2).ln() / (1.0 + max_w).ln())) {
                        title {
                            (a) " – " (b) ": "
                            @for (k, e) in es.iter().enumerate() {
                                @if k > 0 { "; " }
                                (e.network.name()) ", weight " (e.weight) ", " (e.events) " events"
                                @if e.directed { " (" (e.source) " → " (e.target) ")" }
                            }
                        }
                    }
                }
            }
            @for (i, account) in d.nodes.iter().enumerate() {
                @let c = membership.get(*account).copied();
                @let (p, r) = (pos[i], radius(i));
                a href={ "/account/" (enc(account)) "?run=" (run) } {
                    g.node {
                        title {
                            (account) @if let Some(c) = c { " · cluster " (c) } " · weighted degree " (d.degree[i])
                        }
                        circle cx=(f1(p.0)) cy=(f1(p.1)) r=(f1(r)) fill=(colour(c)) {}
                        @if i < LABELLED { text x=(f1(p.0 + r + 2.0)) y=(f1(p.1 + 3.5)) { (account) } }
                    }
                }
            }
        }
    }
}

/// "2016-10-06 14:00 UTC – 2016-10-08 18:30 UTC (2.2 days)".
fn active_span(first: Option<i64>, last: Option<i64>) -> Markup {
    html! {
        @match (first, last) {
            (Some(f), Some(l)) => { (time(f)) " – " (time(l)) " " span.muted { "(" (duration(l - f)) ")" } },
            _ => span.muted { "—" },
        }
    }
}

fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn legend(g: &GraphRun, d: &Drawing<'_>) -> Markup {
    let shown: BTreeSet<u32> = d.nodes.iter().filter_map(|a| g.membership.get(*a).copied()).collect();
    let unclustered = d.nodes.iter().any(|a| !g.membership.contains_key(*a));
    let clusters: Vec<&ClusterSummary> = g.clusters.iter().filter(|c| shown.contains(&c.id)).collect();
    html! {
        @if !clusters.is_empty() || (unclustered && !g.clusters.is_empty()) {
            div.legend {
                @for c in clusters.iter().take(20) {
                    span {
                        (swatch(colour(Some(c.id)))) "cluster " (c.id) " · " (c.size)
                        @if let Some((v, _)) = c.labels.first() { " · " (v) }
                    }
                }
                @if clusters.len() > 20 { span.muted { "and " (clusters.len() - 20) " more" } }
                @if unclustered { span { (swatch(NO_CLUSTER)) "in no cluster" } }
            }
        }
    }
}

/// A cluster's label distribution as shares: "LeftTroll 83% (5)".
pub fn label_shares(c: &ClusterSummary) -> Markup {
    html! {
        @for (k, (v, n)) in c.labels.iter().enumerate() {
            @if k > 0 { ", " }
            (v) " " (format!("{:.0}%", 100.0 * *n as f64 / c.size.max(1) as f64)) " " span.muted { "(" (n) ")" }
        }
    }
}

/// What a cluster is about (its profile), for the cluster table and the report.
pub fn about(c: &ClusterSummary) -> Markup {
    html! {
        @if let Some(p) = &c.profile {
            @for kind in KINDS {
                @let terms: Vec<&Term> = p.of_kind(kind).take(5).collect();
                @if !terms.is_empty() {
                    div {
                        span.muted { (if kind == "account" { "reposted" } else { kind }) " " }
                        @for (k, t) in terms.iter().enumerate() {
                            @if k > 0 { ", " }
                            span title={ "in " (t.posts) " of its posts; log-odds z " (format!("{:.1}", t.z)) } {
                                @if kind == "hashtag" { "#" } @if kind == "account" { "@" } (t.term)
                            }
                        }
                    }
                }
            }
        } @else { span.muted { "—" } }
    }
}

/// Posts of a cluster's accounts: count, first and last, peak hours.
pub fn posting(c: &ClusterSummary) -> Markup {
    html! {
        @if let Some(p) = &c.profile {
            @let (hours, share) = p.peak_hours();
            div { (count(p.posts as i64)) " posts" }
            div { (active_span(p.first_post_ms, p.last_post_ms)) }
            @if !hours.is_empty() {
                div.muted title="The busiest hours holding at least half of the posts" {
                    "hours (UTC) " (hours.iter().map(|h| format!("{h:02}")).collect::<Vec<_>>().join(" "))
                    " hold " (format!("{:.0}%", share * 100.0))
                }
            }
        } @else { span.muted { "—" } }
    }
}

fn cluster_table(g: &GraphRun) -> Markup {
    html! {
        h2 { "Clusters" }
        p.muted {
            "What each cluster is about: its accounts' hashtags, words, domains and reposted accounts that are most "
            "distinctive against the rest of the case (log-odds ratio with an informative Dirichlet prior, "
            "Monroe et al. 2008; hover for the count and z-score)."
        }
        table {
            thead { tr {
                th { "Cluster" } th.num { "Accounts" } th.num { "Density" } th { "Co-actions" } th { "Top objects" }
                th { "About" } th { "Posts" }
                th { @if let Some(l) = &g.label { (l) } @else { "Labels" } }
            } }
            tbody { @for c in &g.clusters { tr {
                td {
                    (swatch(colour(Some(c.id)))) " "
                    a href={ "/network?run=" (g.run.id) "&cluster=" (c.id) } { (c.id) }
                }
                td.num { (count(c.size as i64)) }
                td.num { (format!("{:.2}", c.density)) }
                td { (active_span(c.first_ms, c.last_ms)) }
                td { @for (net, obj, n) in c.top_objects.iter().take(3) {
                    div { span.muted { (net) } " " (clip(obj, 120)) " " span.muted { "(" (n) ")" } }
                } }
                td { (about(c)) }
                td { (posting(c)) }
                td { (label_shares(c)) }
            } } }
        }
    }
}

/// How a run's edges were tested and weighed, from its parameters.
pub fn tests_note(params: &serde_json::Value) -> Markup {
    let p = params.get("networks").filter(|v| v.is_object()).unwrap_or(params);
    let sig = &p["significance"];
    html! {
        @if let Some(a) = p["window_auto"].as_object() {
            p.muted {
                "Window estimated from the data: " (duration(p["window_ms"].as_i64().unwrap_or(0))) " (CooRnet's rapid "
                "interval: the quickest q = " (a.get("q").and_then(|v| v.as_f64()).unwrap_or(0.0))
                " of objects, by their second action, passing p = " (a.get("p").and_then(|v| v.as_f64()).unwrap_or(0.0))
                " of their actions)."
            }
        }
        @if let Some(level) = sig["level"].as_f64() {
            p.muted {
                "Edges tested against the " strong { (sig["null"].as_str().unwrap_or("")) } " null model ("
                @if let Some(d) = sig["shift_max_ms"].as_i64() { "offsets of at most " (duration(d)) ", " }
                (sig["randomisations"].as_u64().unwrap_or(0)) " randomisations, seed " (sig["seed"].as_u64().unwrap_or(0))
                "); p-values corrected by Benjamini–Hochberg over the pairs that co-acted; "
                @if sig["flag_only"].as_bool() == Some(true) { "every edge kept, significant when q ≤ " (level) "." }
                @else { "only edges with q ≤ " (level) " kept." }
            }
        }
        @if let Some(f) = p["fast_window_ms"].as_i64() {
            p.muted { "Fast weight: the edge's weight within " (duration(f)) "." }
        }
    }
}

/// A run's title from its parameters, for the run selector (the same text
/// as [`GraphRun::title`] without loading every run's edges).
fn no_runs(app: &App) -> PageResult {
    let case = app.case()?;
    Ok(shell(
        "Network",
        "/network",
        html! {
            h1 { "Network" }
            p { "This case has no coordination or clusters run yet. Find coordinated accounts and group them with:" }
            pre { "leaktrace clusters CASE --network co-retweet,co-link --window 10m" }
            p.muted {
                "where CASE is this case's folder (" code { (case.root().display()) } "), then reload this page. "
                "Runs of " code { "leaktrace coord" } " appear here too, without clusters."
            }
        },
    ))
}

/// The network page, kept for the same parameters while the case is unchanged.
pub fn page(app: &App, p: Params) -> PageResult {
    let key = format!("network {p:?}");
    app.cache.page(app.dir(), key, || make(app, p))
}

fn make(app: &App, p: Params) -> PageResult {
    let case = app.case()?;
    let runs = app.cache.graph_runs(&case)?;
    let g = match p.run {
        Some(id) => app.cache.graph_run(&case, id)?,
        None => match app.cache.default_graph_run(&case)? {
            Some(g) => g,
            None => return no_runs(app),
        },
    };
    let network = network_param(p.network.as_deref())?;
    let min_weight = p.min_weight.unwrap_or(1);
    let max_nodes = p.max_nodes.unwrap_or(DEFAULT_MAX_NODES).clamp(1, MAX_NODES_LIMIT);
    let cluster = p.cluster.and_then(|id| g.clusters.iter().find(|c| c.id == id));
    // The networks to choose from: those of the run, and the one asked for.
    let present: BTreeSet<Network> = g.edges.iter().map(|e| e.network).chain(network).collect();
    let keep = |e: &StoredEdge| e.weight >= min_weight && network.is_none_or(|n| n == e.network);
    let d = select(&g.edges, keep, cluster.map(|c| c.accounts.as_slice()), max_nodes);
    let title = match cluster {
        Some(c) => format!("Cluster {} · run #{}", c.id, g.run.id),
        None => format!("Network · run #{}", g.run.id),
    };
    let unit = if cluster.is_some() { "accounts of the cluster" } else { "accounts" };
    Ok(shell(
        &title,
        "/network",
        html! {
            h1 { @if let Some(c) = cluster { "Cluster " (c.id) } @else { "Network" } }
            p.muted { (g.title()) }
            form.filters method="get" action="/network" {
                label { "Run" select name="run" {
                    @for r in &runs { option value=(r.id) selected[r.id == g.run.id] { (run_title(r)) } }
                } }
                label { "Network" select name="network" {
                    option value="" { "all" }
                    @for n in &present { option value=(n.name()) selected[network == Some(*n)] { (n.name()) } }
                } }
                label { "Minimum weight" input type="number" name="min_weight" min="1" value=(min_weight); }
                @if !g.clusters.is_empty() {
                    label { "Cluster" select name="cluster" {
                        option value="" { "whole network" }
                        @for c in &g.clusters {
                            option value=(c.id) selected[cluster.is_some_and(|x| x.id == c.id)] {
                                (c.id) " · " (c.size) " accounts"
                                @if let Some((v, _)) = c.labels.first() { " · " (v) }
                            }
                        }
                    } }
                }
                label {
                    "Accounts at most"
                    input type="number" name="max_nodes" min="1" max=(MAX_NODES_LIMIT) value=(max_nodes);
                }
                button type="submit" { "Show" }
            }
            @if let (Some(id), None) = (p.cluster, cluster) {
                p.error { "Run #" (g.run.id) " has no cluster " (id) "; showing the whole network." }
            }
            @if let Some(c) = cluster {
                p {
                    (count(c.size as i64)) " accounts, density " (format!("{:.2}", c.density))
                    ", active " (active_span(c.first_ms, c.last_ms)) ". "
                    a href={ "/network?run=" (g.run.id) } { "Whole network" }
                }
            }
            p {
                "Showing " (count(d.nodes.len() as i64)) " of " (count(d.total_nodes as i64)) " " (unit) " and "
                (count(d.shown_edges as i64)) " of " (count(d.total_edges as i64)) " edges"
                @if d.nodes.len() < d.total_nodes { " (the accounts with the highest weighted degree)" } "."
                @if d.total_edges < g.edges.len() {
                    " " span.muted { "The run has " (count(g.edges.len() as i64)) " edges before these filters." }
                }
            }
            (tests_note(&g.run.params))
            @if d.nodes.is_empty() {
                p.muted { "No edge passes these filters." }
            } @else {
                div.graph-wrap { (svg(g.run.id, &d, &g.membership)) }
                (legend(&g, &d))
                p.muted {
                    "Scroll to zoom, drag to pan, double-click to reset. "
                    "Node size: weighted degree; line width: weight."
                }
            }
            div #evidence-panel { p.muted { "Click a node or an edge to see its evidence." } }
            @if g.clusters.is_empty() {
                p.muted {
                    "This run has no clusters: "
                    code { "leaktrace clusters CASE --network co-retweet,co-link --window 10m" } " groups its accounts."
                }
            } @else {
                (cluster_table(&g))
            }
        },
    ))
}

/// The object two posts shared, as the network names it.
fn object(network: &str, object: &str) -> Markup {
    html! {
        @match network {
            "co-retweet" | "co-reply" => span.mono { "post " (object) },
            "co-link" | "co-domain" => span.mono { (object) },
            "co-image" => span.mono title="perceptual hash of the image first posted" { "image " (object) },
            _ => span title=(object) { (clip(object, 200)) },
        }
    }
}

/// One co-action seen from `a`: a's post and time, b's post and time.
fn oriented(e: &StoredEvidence, a: &str) -> ((i64, i64), (i64, i64)) {
    let (one, two) = ((e.post_1, e.time_1_ms), (e.post_2, e.time_2_ms));
    if e.source == a { (one, two) } else { (two, one) }
}

pub fn edge(app: &App, p: EdgeParams) -> PageResult {
    let run = p.run.ok_or_else(|| WebError::BadRequest("which run? The link needs run=ID".into()))?;
    let (a, b) = (p.a.trim(), p.b.trim());
    if a.is_empty() || b.is_empty() {
        return Err(WebError::BadRequest("an edge needs two accounts: a=…&b=…".into()));
    }
    let network = network_param(p.network.as_deref())?;
    let case = app.case()?;
    let g = app.cache.graph_run(&case, run)?;
    let edges: Vec<&StoredEdge> = g
        .edges
        .iter()
        .filter(|e| (e.source == a && e.target == b) || (e.source == b && e.target == a))
        .filter(|e| network.is_none_or(|n| n == e.network))
        .collect();
    if edges.is_empty() {
        let net = network.map(|n| format!(" in {}", n.name())).unwrap_or_default();
        return Err(WebError::NotFound(format!("no edge between {a:?} and {b:?}{net} in run #{run}")));
    }
    let mut ev = g.evidence(a, b, network.map(Network::name))?;
    ev.sort_by(|x, y| {
        let first = |e: &StoredEvidence| e.time_1_ms.min(e.time_2_ms);
        first(x)
            .cmp(&first(y))
            .then_with(|| x.network.cmp(&y.network))
            .then((x.post_1, x.post_2).cmp(&(y.post_1, y.post_2)))
    });
    let total = ev.len();
    ev.truncate(MAX_EVIDENCE_ROWS);
    let directed = edges.iter().any(|e| e.directed);
    let p_values = edges.iter().any(|e| e.p_value.is_some());
    let q_values = edges.iter().any(|e| e.q_value.is_some());
    let symmetry = edges.iter().any(|e| e.symmetry.is_some());
    let fast = edges.iter().any(|e| e.fast_weight.is_some());
    let similarity = ev.iter().any(|e| e.similarity.is_some());
    let fragment = p.fragment.as_deref().is_some_and(|f| f == "1" || f == "true");
    let body = html! {
        @if fragment { h2 { (account_link(a)) " – " (account_link(b)) } }
        p.muted {
            "Run " a href={ "/network?run=" (run) } { (g.title()) }
            @if fragment { " · " a href=(edge_href(run, a, b, network.map(Network::name))) { "open as a page" } }
        }
        table {
            thead { tr {
                th { "Network" } @if directed { th { "Direction" } } th.num { "Weight" } th.num { "Events" }
                @if p_values { th.num { "p-value" } }
                @if q_values { th.num title="Benjamini–Hochberg, over the pairs that co-acted" { "q-value" } }
                @if symmetry { th.num title="The smaller account's distinct posts behind the edge over the larger's (1: balanced)" { "Symmetry" } }
                @if fast { th.num title="Weight within the run's fast window" { "Fast weight" } }
            } }
            tbody { @for e in &edges { tr {
                td { (e.network.name()) }
                @if directed { td { @if e.directed { (e.source) " → " (e.target) } @else { "both" } } }
                td.num { (e.weight) } td.num { (e.events) }
                @if p_values { td.num { @if let Some(pv) = e.p_value { (format!("{pv:.2e}")) } } }
                @if q_values { td.num { @if let Some(q) = e.q_value { (format!("{q:.2e}")) } } }
                @if symmetry { td.num { @if let Some(x) = e.symmetry { (format!("{x:.2}")) } } }
                @if fast { td.num { @if let Some(f) = e.fast_weight { (f) } } }
            } } }
        }
        (tests_note(&g.run.params))
        h3 { "Co-actions" }
        @if ev.is_empty() {
            p.muted { "No co-actions stored for this edge (the run kept no evidence)." }
        } @else {
            table {
                thead { tr {
                    th { "Network" } th { "Object" }
                    th { "Post of " (a) } th { "Time" } th { "Post of " (b) } th { "Time" } th.num { "Delay" }
                    @if similarity { th.num { "Similarity" } }
                } }
                tbody { @for e in &ev {
                    @let ((pa, ta), (pb, tb)) = oriented(e, a);
                    tr {
                        td { (e.network) } td { (object(&e.network, &e.object)) }
                        td.mono { (pa) } td { (time_s(ta)) } td.mono { (pb) } td { (time_s(tb)) }
                        td.num { (duration((tb - ta).abs())) }
                        @if similarity { td.num { @if let Some(s) = e.similarity { (format!("{s:.2}")) } } }
                    }
                } }
            }
            @if total > ev.len() {
                p.muted { "The first " (count(ev.len() as i64)) " of " (count(total as i64)) " co-actions, by time." }
            }
        }
    };
    if fragment {
        return Ok(body);
    }
    Ok(shell(&format!("{a} – {b}"), "/network", html! { h1 { (account_link(a)) " – " (account_link(b)) } (body) }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::extract::Query;

    fn edge(network: Network, s: &str, t: &str, weight: u64) -> StoredEdge {
        StoredEdge {
            network,
            directed: false,
            source: s.into(),
            target: t.into(),
            weight,
            events: weight * 2,
            p_value: None,
            q_value: None,
            symmetry: None,
            fast_weight: None,
        }
    }

    /// A star around `a`, a heavy pair c–d, and a co-link edge a–b beside the co-retweet one.
    fn sample() -> Vec<StoredEdge> {
        vec![
            edge(Network::CoRetweet, "a", "b", 5),
            edge(Network::CoRetweet, "a", "c", 3),
            edge(Network::CoRetweet, "a", "e", 1),
            edge(Network::CoRetweet, "c", "d", 10),
            edge(Network::CoLink, "a", "b", 2),
        ]
    }

    #[test]
    fn top_nodes_by_weighted_degree() {
        let edges = sample();
        let d = select(&edges, |_| true, None, 3);
        // degrees: a 11, b 7, c 13, d 10, e 1
        assert_eq!(d.nodes, ["c", "a", "d"]);
        assert_eq!(d.degree, [13, 11, 10]);
        assert_eq!((d.total_nodes, d.total_edges, d.shown_edges), (5, 5, 2));
        let pairs: Vec<(u32, u32, usize)> = d.pairs.iter().map(|(i, j, es)| (*i, *j, es.len())).collect();
        assert_eq!(pairs, [(0, 1, 1), (0, 2, 1)]);
    }

    #[test]
    fn networks_of_one_pair_share_a_line() {
        let edges = sample();
        let d = select(&edges, |_| true, None, 10);
        let ab = d.pairs.iter().find(|(i, j, _)| (d.nodes[*i as usize], d.nodes[*j as usize]) == ("a", "b"));
        let nets: Vec<&str> = ab.expect("a–b drawn").2.iter().map(|e| e.network.name()).collect();
        assert_eq!(nets, ["co-retweet", "co-link"]);
        assert_eq!(d.shown_edges, 5);
        assert_eq!(d.pairs.len(), 4);
    }

    #[test]
    fn network_and_weight_filters() {
        let edges = sample();
        let d = select(&edges, |e| e.network == Network::CoRetweet && e.weight >= 3, None, 10);
        assert_eq!(d.nodes, ["c", "d", "a", "b"]); // 13, 10, 8, 5
        assert_eq!((d.total_edges, d.shown_edges), (3, 3));
        let d = select(&edges, |e| e.weight >= 100, None, 10);
        assert!(d.nodes.is_empty() && d.pairs.is_empty());
    }

    #[test]
    fn cluster_keeps_its_members_and_the_edges_among_them() {
        let edges = sample();
        let members = vec!["a".to_string(), "b".to_string(), "e".to_string(), "z".to_string()];
        let d = select(&edges, |e| e.weight >= 2, Some(&members), 10);
        // a–e (weight 1) is filtered out: e and z stay, without edges.
        assert_eq!(d.nodes, ["a", "b", "e", "z"]);
        assert_eq!(d.degree, [7, 7, 0, 0]);
        assert_eq!((d.total_nodes, d.total_edges, d.shown_edges), (4, 2, 2));
        assert!(d.pairs.iter().all(|(i, j, _)| (*i, *j) == (0, 1)));
    }

    #[test]
    fn blank_form_fields_are_absent() {
        let uri = "/network?run=2&cluster=&network=&min_weight=&max_nodes=50".parse().unwrap();
        let Query(p) = Query::<Params>::try_from_uri(&uri).unwrap();
        assert_eq!((p.run, p.cluster, p.min_weight, p.max_nodes), (Some(2), None, None, Some(50)));
        assert_eq!(network_param(p.network.as_deref()).unwrap(), None);
        assert_eq!(network_param(Some("co-link")).unwrap(), Some(Network::CoLink));
        assert!(network_param(Some("co-nothing")).is_err());
        let uri = "/edge?a=x&b=y".parse().unwrap();
        let Query(e) = Query::<EdgeParams>::try_from_uri(&uri).unwrap();
        assert_eq!((e.run, e.a.as_str(), e.b.as_str()), (None, "x", "y"));
    }

    #[test]
    fn svg_escapes_names_and_links_every_item() {
        let edges = vec![edge(Network::CoLink, "<script>x", "a&b", 4), edge(Network::CoLink, "a&b", "c d", 1)];
        let d = select(&edges, |_| true, None, 10);
        let membership = HashMap::from([("a&b".to_string(), 3)]);
        let s = svg(7, &d, &membership).into_string();
        assert!(!s.contains("<script>"));
        assert!(s.contains("&lt;script&gt;x"));
        assert_eq!(s.matches(r#"<g class="node">"#).count(), 3);
        assert_eq!(s.matches(r#"<line class="edge""#).count(), 2);
        assert!(s.contains(r#"href="/account/a%26b?run=7""#));
        assert!(s.contains(r#"href="/edge?run=7&amp;a=a%26b&amp;b=c%20d&amp;network=co-link""#), "{s}");
        assert!(s.contains(PALETTE[3]) && s.contains(NO_CLUSTER));
    }

    #[test]
    fn clip_counts_characters() {
        assert_eq!(clip("héllo", 3), "hél…");
        assert_eq!(clip("héllo", 5), "héllo");
    }
}
