//! `/account/{name}`: one account — activity over time, labels, its
//! coordination partners with the evidence behind each edge, its cluster,
//! and its latest posts.

use leaktrace_search::query::clause;
use leaktrace_search::{DocKind, Request, Sort};
use maud::{Markup, html};
use serde::Deserialize;

use crate::app::App;
use crate::charts;
use crate::data::GraphRun;
use crate::error::{PageResult, WebError};
use crate::layout::{account_link, count, enc, opt_time, page as shell, snippet};

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    pub run: Option<i64>,
}

/// The account's edges in a run: partner, network, weight, events.
pub fn partners<'a>(g: &'a GraphRun, account: &str) -> Vec<(&'a str, &'a str, u64, u64)> {
    let mut out: Vec<(&str, &str, u64, u64)> = g
        .edges
        .iter()
        .filter_map(|e| {
            let other = if e.source == account {
                &e.target
            } else if e.target == account {
                &e.source
            } else {
                return None;
            };
            Some((other.as_str(), e.network.name(), e.weight, e.events))
        })
        .collect();
    out.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)).then(a.1.cmp(b.1)));
    out
}

fn coordination(g: &GraphRun, account: &str) -> Markup {
    let p = partners(g, account);
    let cluster = g.membership.get(account).and_then(|c| g.clusters.iter().find(|x| x.id == *c));
    html! {
        h2 { "Coordination partners" }
        p.muted { "From " a href={ "/network?run=" (g.run.id) } { (g.title()) } "." }
        @if let Some(c) = cluster {
            p { "In " a href={ "/network?run=" (g.run.id) "&cluster=" (c.id) } { "cluster " (c.id) } " with " (c.size - 1) " other accounts." }
        }
        @if p.is_empty() {
            p.muted { "No edges for this account in this run." }
        } @else {
            table {
                thead { tr { th { "Partner" } th { "Network" } th.num { "Objects" } th.num { "Co-actions" } th { "Evidence" } } }
                tbody { @for (other, net, w, ev) in p.iter().take(200) { tr {
                    td { (account_link(other)) } td { (net) } td.num { (w) } td.num { (ev) }
                    td { a href={ "/edge?run=" (g.run.id) "&a=" (enc(account)) "&b=" (enc(other)) "&network=" (net) } { "show" } }
                } } }
            }
            @if p.len() > 200 { p.muted { "Top 200 of " (p.len()) " edges." } }
        }
    }
}

/// The account page, kept for the same account and parameters while the case is unchanged.
pub fn page(app: &App, name: String, q: Params) -> PageResult {
    let key = format!("account {name:?} {q:?}");
    app.cache.page(app.dir(), key, || make(app, name, q))
}

fn make(app: &App, name: String, q: Params) -> PageResult {
    let case = app.case()?;
    let activity = app.cache.activity(&case)?;
    let Some((key, display, times)) = activity.find(&name) else {
        return Err(WebError::NotFound(format!("no account {name:?} in this case")));
    };
    let labels = case.labels_of(key, display.as_deref())?;
    let graph = match q.run {
        Some(id) => Some(app.cache.graph_run(&case, id)?),
        None => app.cache.default_graph_run(&case)?,
    };
    let recent = match &app.index {
        Some(ix) => {
            let req = Request {
                query: clause("account", key),
                kinds: vec![DocKind::Post],
                limit: 50,
                sort: Sort::Newest,
                snippet_chars: 400,
                ..Default::default()
            };
            Some(ix.search(&case, &req)?)
        }
        None => None,
    };
    let title = display.clone().unwrap_or_else(|| key.clone());
    Ok(shell(
        &title,
        "",
        html! {
            h1 { (title) @if display.is_some() { " " span.muted.mono { (key) } } }
            div.cards {
                div.card { div.n { (count(times.len() as i64)) } div.l { "posts" } }
                div.card { div.n { (opt_time(times.first().copied())) } div.l { "first" } }
                div.card { div.n { (opt_time(times.last().copied())) } div.l { "last" } }
            }
            @if !labels.is_empty() {
                dl.kv { @for (k, v) in &labels { dt { (k) } dd { (v) } } }
            }
            h2 { "Activity" }
            (charts::activity(times, &[], "Posts"))
            @if let Some(g) = &graph { (coordination(g, key)) }
            @if let Some(r) = &recent {
                h2 { "Latest posts" }
                @for h in &r.hits {
                    div.hit {
                        div.meta { (h.time.clone().unwrap_or_default()) " · post " (h.id) " · source " (h.source) }
                        div { (snippet(&h.snippet, &h.highlights)) }
                    }
                }
                @if r.total > r.hits.len() { p { a href={ "/search?sort=newest&q=" (enc(&clause("account", key))) } { "All " (count(r.total as i64)) " posts" } } }
            }
        },
    ))
}
