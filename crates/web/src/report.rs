//! `leaktrace report`: one self-contained HTML file (inline CSS and SVG, no
//! script, loads nothing) that an editor can open offline and a lawyer can
//! check: sources and custody hashes, verification results, the top
//! clusters with the evidence behind them, the timeline, and the parameters
//! of every analysis.

use std::path::Path;

use anyhow::Context;
use leaktrace_store::{Case, MessageRow};
use leaktrace_verify::keys::bundled;
use leaktrace_verify::recover::RECOVERED_MEANING;
use maud::{Markup, html};

use crate::charts;
use leaktrace_coord::cluster::ClusterSummary;

use crate::data::{Cache, GraphRun};
use crate::error::WebError;
use crate::layout::{count, duration, opt_time, standalone, time_s};
use crate::pages::account::partners;
use crate::pages::network::{about, label_shares, posting, tests_note};
use crate::pages::overview::{messages_table, sources_table, verdict_order};
use crate::pages::timeline::{case_events, events_table, leadlag_runs};

/// Messages listed with their verdicts.
const MESSAGES_LISTED: usize = 1000;
/// Clusters described in full.
const TOP_CLUSTERS: usize = 5;
/// Edges (with their evidence) shown per cluster.
const EDGES_PER_CLUSTER: usize = 3;
/// Co-actions shown per edge.
const EVIDENCE_PER_EDGE: usize = 5;

/// The heaviest edges among a cluster's accounts: (a, b, network, weight), a < b.
fn heaviest_inside<'g>(g: &'g GraphRun, c: &'g ClusterSummary) -> Vec<(&'g str, &'g str, &'g str, u64)> {
    let mut inside: Vec<(&str, &str, &str, u64)> = c
        .accounts
        .iter()
        .flat_map(|a| {
            partners(g, a)
                .into_iter()
                .filter(|p| a.as_str() < p.0 && c.accounts.iter().any(|x| x == p.0))
                .map(move |p| (a.as_str(), p.0, p.1, p.2))
        })
        .collect();
    inside.sort_by(|x, y| y.3.cmp(&x.3).then(x.0.cmp(y.0)).then(x.1.cmp(y.1)));
    inside.truncate(EDGES_PER_CLUSTER);
    inside
}

fn cluster_section(g: &GraphRun) -> anyhow::Result<Markup> {
    Ok(html! {
        p { "From " (g.title()) ", stored " (g.run.created_at) "." }
        (tests_note(&g.run.params))
        @for c in g.clusters.iter().take(TOP_CLUSTERS) {
            h3 { "Cluster " (c.id) ": " (c.size) " accounts" }
            dl.kv {
                dt { "Accounts" } dd { (c.accounts.join(", ")) }
                dt { "Density" } dd { (format!("{:.2}", c.density)) }
                dt { "Co-actions from" } dd { (opt_time(c.first_ms)) " to " (opt_time(c.last_ms)) }
                @if !c.labels.is_empty() {
                    dt { (g.label.clone().unwrap_or_else(|| "label".into())) }
                    dd { (label_shares(c)) }
                }
                @if c.profile.is_some() {
                    dt { "About" } dd { (about(c)) }
                    dt { "Its accounts' posts" } dd { (posting(c)) }
                }
                @if !c.top_objects.is_empty() {
                    dt { "Most shared" }
                    dd { ul { @for (net, obj, n) in c.top_objects.iter().take(5) { li { (net) " " code { (obj) } " (" (n) " accounts)" } } } }
                }
            }
            // The heaviest edges inside the cluster, with the posts behind them.
            @for (a, b, net, w) in heaviest_inside(g, c) {
                p { strong { (a) " – " (b) } " · " (net) ", " (w) " objects" (edge_stats(g, a, b, net)) }
                table {
                    thead { tr { th { "Object" } th { (a) } th { (b) } th.num { "Apart" } } }
                    tbody { @for e in g.evidence(a, b, Some(net)).map_err(WebError::into_anyhow)?.iter().take(EVIDENCE_PER_EDGE) { tr {
                        td.mono { (e.object.chars().take(120).collect::<String>()) }
                        @let (ta, tb) = if e.source == *a { (e.time_1_ms, e.time_2_ms) } else { (e.time_2_ms, e.time_1_ms) };
                        td { (time_s(ta)) }
                        td { (time_s(tb)) }
                        td.num { (duration((ta - tb).abs())) }
                    } } }
                }
            }
        }
        @if g.clusters.len() > TOP_CLUSTERS { p.muted { (g.clusters.len() - TOP_CLUSTERS) " smaller clusters are in the case." } }
    })
}

/// ", p 1.0e-3, q 2.4e-3, symmetry 0.50, fast weight 3" of a stored edge, as far as the run has them.
fn edge_stats(g: &GraphRun, a: &str, b: &str, net: &str) -> String {
    let Some(e) = g
        .edges
        .iter()
        .find(|e| e.network.name() == net && ((e.source == a && e.target == b) || (e.source == b && e.target == a)))
    else {
        return String::new();
    };
    let mut out = String::new();
    if let Some(p) = e.p_value {
        out.push_str(&format!(", p {p:.1e}"));
    }
    if let Some(q) = e.q_value {
        out.push_str(&format!(", q {q:.1e}"));
    }
    if let Some(s) = e.symmetry {
        out.push_str(&format!(", symmetry {s:.2}"));
    }
    if let Some(f) = e.fast_weight {
        out.push_str(&format!(", fast weight {f}"));
    }
    out
}

/// Render the report of a case.
pub fn render(case: &Case) -> anyhow::Result<Markup> {
    let name = case.root().file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "case".into());
    let s = case.summary()?;
    let sources = case.sources()?;
    let msgs = case.messages_first(MESSAGES_LISTED)?;
    let (verdicts, _, _) = case.message_counts()?;
    let n_msgs: i64 = verdicts.iter().map(|v| v.1).sum();
    let runs = case.runs()?;
    let cache = Cache::default();
    let graph = cache.default_graph_run(case).map_err(WebError::into_anyhow)?;
    let activity = cache.activity(case).map_err(WebError::into_anyhow)?;
    let evs = case_events(case).map_err(WebError::into_anyhow)?;
    let marks: Vec<charts::Mark<'_>> =
        evs.iter().filter(|e| e.kind != "claim").map(|e| charts::Mark { ms: e.time_ms, label: &e.what }).collect();
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Ok(standalone(
        &format!("leaktrace report: {name}"),
        html! {
            h1 { "Case " (name) }
            p.muted { "Report written " (now) " by " (leaktrace_store::TOOL_VERSION) " from the case folder " code { (case.root().display()) } "." }
            div.cards {
                div.card { div.n { (count(s.sources)) } div.l { "sources" } }
                div.card { div.n { (count(s.posts)) } div.l { "posts" } }
                div.card { div.n { (count(s.accounts)) } div.l { "accounts" } }
                div.card { div.n { (count(n_msgs)) } div.l { "emails" } }
            }
            h2 { "1. Sources and chain of custody" }
            p { "Every file below is kept unchanged in the case's " code { "evidence/" } " folder under its SHA-256. "
                "Anyone can check a copy with " code { "sha256sum FILE" } " and compare it with this table." }
            (sources_table(&sources))
            h2 { "2. Are the emails authentic?" }
            @if msgs.is_empty() { p.muted { "The case has no email." } } @else {
                p { "DKIM signatures checked offline against archived keys. " strong { "verified" } ": a signature by the sending domain covers the headers and body as they are; "
                    strong { "SHA-1 only, not proof" } ": a signature matches, but only with SHA-1, which RFC 8301 forbids accepting because SHA-1 collisions can be computed; "
                    strong { "key recovered from the leak, not proof" } " (consistent): " (RECOVERED_MEANING) " "
                    strong { "signed, not verified" } ": signed, but no signature holds (the reasons say why); " strong { "unsigned" } ": nothing to check." }
                (key_sources(case, &msgs)?)
                ul { @for (v, n) in verdict_order(verdicts) { li { (crate::layout::verdict_badge(v.as_deref())) " " (count(n)) } } }
                (messages_table(&msgs, false))
                @if n_msgs > msgs.len() as i64 { p.muted { "First " (count(msgs.len() as i64)) " of " (count(n_msgs)) " messages." } }
            }
            h2 { "3. Coordinated accounts" }
            @match &graph {
                Some(g) if !g.clusters.is_empty() => { (cluster_section(g)?) },
                Some(g) => { p { (g.title()) ": " (count(g.edges.len() as i64)) " edges; no clustering stored (run " code { "leaktrace clusters" } ")." } },
                None => { p.muted { "No coordination analysis stored." } },
            }
            h2 { "4. Timeline" }
            (charts::activity_of(activity.histogram.as_ref(), &marks, "Posts in the case; red marks are emails, releases and article events in that span"))
            h3 { "Lead and lag" }
            (leadlag_runs(case, 5, false).map_err(WebError::into_anyhow)?)
            h3 { "Events" }
            @if evs.is_empty() { p.muted { "No emails, articles or declared events." } } @else { (events_table(&evs, false)) }
            h2 { "5. How to reproduce" }
            p { "Each analysis is stored in the case with the parameters that reproduce it." }
            table {
                thead { tr { th { "Run" } th { "Kind" } th { "When" } th { "Tool" } th { "Parameters" } } }
                tbody { @for r in &runs { tr {
                    td { (r.id) } td { (r.kind) } td { (r.created_at) } td { (r.tool_version) }
                    td.mono { (serde_json::to_string(&r.params).unwrap_or_default().chars().take(400).collect::<String>()) }
                } } }
            }
        },
    ))
}

/// Which keys from leaktrace's bundled archive the listed messages were
/// checked with, each with its public source, so a reader can check the key
/// where it was published.
fn key_sources(case: &Case, msgs: &[MessageRow]) -> anyhow::Result<Markup> {
    let mut from_bundle: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for m in msgs {
        let Some(json) = case.message_report(m.item_id)? else { continue };
        let Ok(r) = serde_json::from_str::<leaktrace_verify::MessageReport>(&json) else { continue };
        for s in &r.signatures {
            if let Some(k) = s.key_source.as_deref().filter(|k| k.starts_with(bundled::ORIGIN)) {
                *from_bundle.entry(format!("{}._domainkey.{}: {k}", s.selector, s.domain)).or_default() += 1;
            }
        }
    }
    Ok(html! {
        @if !from_bundle.is_empty() {
            h3 { "Keys from leaktrace's bundled archive" }
            p { (bundled::MEANING) }
            ul { @for (k, n) in &from_bundle { li { span.mono { (k) } " — " (count(*n as i64)) " signature(s)" } } }
        }
    })
}

/// Write the report of the case in `dir` to `out`.
pub fn write_report(dir: &Path, out: &Path) -> anyhow::Result<()> {
    let case = Case::open(dir)?;
    let html = render(&case)?.into_string();
    std::fs::write(out, html).with_context(|| format!("cannot write {}", out.display()))
}
