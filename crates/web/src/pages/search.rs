//! `/search`: full text over the case with facets and highlighted snippets.

use leaktrace_search::query::clause;
use leaktrace_search::{DocKind, Hit, Request, Sort};
use leaktrace_timeline::runs::parse_bound;
use maud::{Markup, html};
use serde::Deserialize;

use crate::app::App;
use crate::error::{PageResult, WebError};
use crate::layout::{account_link, count, enc, page as shell, snippet};

const PER_PAGE: usize = 20;
/// The last page a request may ask for (10,000 hits): further pages are
/// refused, not computed; a narrower query finds the rest.
pub const MAX_PAGE: usize = 499;

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    #[serde(default)]
    pub q: String,
    pub kind: Option<String>,
    pub after: Option<String>,
    pub before: Option<String>,
    pub sort: Option<String>,
    pub page: Option<usize>,
}

fn hit(h: &Hit) -> Markup {
    html! {
        div.hit {
            div.meta {
                span.badge.none { (h.kind) } " "
                @if let Some(t) = &h.time { (t) " · " }
                @if let Some(a) = &h.account { (account_link(a)) " · " }
                @if let Some(f) = &h.from { (f) " · " }
                @if let Some(o) = &h.outlet { (o) " · " }
                "source " (h.source)
            }
            div {
                @match h.kind.as_str() {
                    "email" => { a href={ "/email/" (h.id) } { (h.title.clone().unwrap_or_else(|| "(message)".into())) } br; },
                    "article" => { strong { (h.title.clone().unwrap_or_default()) } br; },
                    _ => {},
                }
                (snippet(&h.snippet, &h.highlights))
            }
        }
    }
}

fn link(p: &Params, page: usize, extra: Option<&str>) -> String {
    let q = match extra {
        Some(e) if p.q.trim().is_empty() => e.to_string(),
        Some(e) => format!("{} AND {e}", p.q),
        None => p.q.clone(),
    };
    let mut s = format!("/search?q={}", enc(&q));
    for (k, v) in [("kind", &p.kind), ("after", &p.after), ("before", &p.before), ("sort", &p.sort)] {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            s.push_str(&format!("&{k}={}", enc(v)));
        }
    }
    if page > 0 {
        s.push_str(&format!("&page={page}"));
    }
    s
}

fn form(p: &Params) -> Markup {
    let sel = |v: &Option<String>, x: &str| v.as_deref().unwrap_or("") == x;
    html! {
        form.filters action="/search" method="get" {
            label { "Query" input type="search" name="q" value=(p.q) size="40" autofocus; }
            label { "Kind" select name="kind" {
                option value="" selected[sel(&p.kind, "")] { "all" }
                @for k in ["post", "email", "article"] { option value=(k) selected[sel(&p.kind, k)] { (k) } }
            } }
            label { "After" input type="text" name="after" placeholder="2016-10-01" value=[p.after.as_deref()] size="12"; }
            label { "Before" input type="text" name="before" placeholder="2016-11-09" value=[p.before.as_deref()] size="12"; }
            label { "Sort" select name="sort" {
                @for (v, l) in [("relevance", "relevance"), ("time", "oldest first"), ("newest", "newest first")] {
                    option value=(v) selected[sel(&p.sort, v)] { (l) }
                }
            } }
            button type="submit" { "Search" }
        }
        p.muted { "Phrases in quotes, AND / OR / NOT, prefix*, fuzzy~1, and fields: account: hashtag: url: domain: from: to: subject: label:KEY=VALUE." }
    }
}

/// The search page, kept for the same parameters while the case is unchanged.
pub fn page(app: &App, p: Params) -> PageResult {
    let key = format!("search {p:?}");
    app.cache.page(app.dir(), key, || make(app, p))
}

fn make(app: &App, p: Params) -> PageResult {
    let title = if p.q.is_empty() { "Search".to_string() } else { format!("Search: {}", p.q) };
    if p.q.trim().is_empty() {
        return Ok(shell(&title, "/search", html! { h1 { "Search" } (form(&p)) }));
    }
    let index = app.index.as_ref().ok_or_else(|| {
        WebError::NotFound("this case has no search index; build it with `leaktrace search CASE --reindex x`".into())
    })?;
    let bound = |s: &Option<String>| -> PageResult<Option<i64>> {
        s.as_deref().filter(|s| !s.trim().is_empty()).map(|s| parse_bound(s).map_err(WebError::BadRequest)).transpose()
    };
    let kinds = match p.kind.as_deref().filter(|k| !k.is_empty()) {
        Some(k) => vec![DocKind::parse(k).ok_or_else(|| WebError::BadRequest(format!("unknown kind {k:?}")))?],
        None => Vec::new(),
    };
    let pg = p.page.unwrap_or(0);
    if pg > MAX_PAGE {
        return Err(WebError::BadRequest(format!(
            "page {pg} is past the last page shown ({MAX_PAGE}): narrow the search with a time range, a kind or a field"
        )));
    }
    let req = Request {
        query: p.q.clone(),
        kinds,
        after_ms: bound(&p.after)?,
        before_ms: bound(&p.before)?,
        limit: PER_PAGE,
        offset: pg * PER_PAGE,
        sort: match p.sort.as_deref() {
            Some("time") => Sort::Time,
            Some("newest") => Sort::Newest,
            _ => Sort::Relevance,
        },
        facets: true,
        snippet_chars: 240,
    };
    let resp = match index.search(&*app.case()?, &req) {
        Ok(r) => r,
        Err(leaktrace_search::SearchError::Query(m)) => {
            return Ok(shell(&title, "/search", html! { h1 { "Search" } (form(&p)) p.error { (m) } }));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(shell(
        &title,
        "/search",
        html! {
            h1 { "Search" }
            (form(&p))
            div.layout2 {
                aside.facets {
                    @for (field, values) in resp.facets.iter().flatten() {
                        @if !values.is_empty() {
                            h3 { (field) }
                            ul { @for (v, n) in values.iter().take(10) {
                                li { a href=(link(&p, 0, Some(&clause(field, v)))) { (v) } span.muted { (count(*n as i64)) } }
                            } }
                        }
                    }
                }
                section {
                    p { strong { (count(resp.total as i64)) } " results" @if resp.total > 0 { ", " (pg * PER_PAGE + 1) "–" (pg * PER_PAGE + resp.hits.len()) } }
                    @for h in &resp.hits { (hit(h)) }
                    p.pager {
                        @if pg > 0 { a href=(link(&p, pg - 1, None)) { "← previous" } }
                        @if (pg + 1) * PER_PAGE < resp.total { a href=(link(&p, pg + 1, None)) { "next →" } }
                    }
                }
            }
        },
    ))
}
