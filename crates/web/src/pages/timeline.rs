//! `/timeline`: one time axis for posts, emails, articles and declared
//! events; the cascade of an object (who was first, who followed); and the
//! stored lead/lag runs as delay distributions.

use leaktrace_store::{Case, RunRow};
use leaktrace_timeline::events::{self, Event, Provenance};
use leaktrace_timeline::objects::Object;
use maud::{Markup, html};
use serde::Deserialize;

use crate::app::App;
use crate::charts::{self, Mark};
use crate::error::PageResult;
use crate::layout::{account_link, count, duration, page as shell, time, time_s};

/// Events listed under the chart.
const MAX_EVENTS: usize = 500;
/// Accounts listed in a cascade's order.
const MAX_ORDER: usize = 200;

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    /// A URL, #hashtag, domain:HOST, repost:ID or text (as `leaktrace first`).
    pub object: Option<String>,
}

/// Events that are not posts: emails sent, article statements, and the
/// declared events of stored timeline runs. Sorted by time.
pub fn case_events(case: &Case) -> PageResult<Vec<Event>> {
    let mut out = Vec::new();
    for e in events::case_emails(case)? {
        out.extend(events::from_email(&e));
    }
    for a in events::case_articles(case)? {
        out.extend(events::from_article(&a).0);
    }
    for run in case.runs()?.into_iter().filter(|r| r.kind == "timeline") {
        out.extend(declared_of(case, &run));
    }
    out.sort_by(|a, b| (a.time_ms, a.kind, &a.who, &a.reference).cmp(&(b.time_ms, b.kind, &b.who, &b.reference)));
    out.dedup_by(|a, b| a.kind == b.kind && a.time_ms == b.time_ms && a.what == b.what && a.who == b.who);
    Ok(out)
}

/// The declared events a stored timeline run read (its result.json).
fn declared_of(case: &Case, run: &RunRow) -> Vec<Event> {
    let path = case.root().join(&run.output).join("result.json");
    let Ok(doc) = std::fs::read(&path).map(|b| serde_json::from_slice::<serde_json::Value>(&b)) else {
        return Vec::new();
    };
    let Ok(doc) = doc else { return Vec::new() };
    doc["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["kind"] == "declared")
        .filter_map(|e| {
            Some(Event {
                time_ms: e["time_ms"].as_i64()?,
                time_resolution_s: e["time_resolution_s"].as_u64().unwrap_or(60) as u32,
                kind: "declared",
                who: e["who"].as_str().unwrap_or_default().to_string(),
                what: e["what"].as_str().unwrap_or_default().to_string(),
                reference: e["reference"].as_str().unwrap_or_default().to_string(),
                claim: false,
                provenance: Provenance {
                    file: e["provenance"]["file"].as_str().map(str::to_string),
                    line: e["provenance"]["line"].as_u64(),
                    cites: e["provenance"]["cites"].as_str().map(str::to_string),
                    ..Default::default()
                },
            })
        })
        .collect()
}

/// The events table (shared with the report).
pub fn events_table(evs: &[Event], link: bool) -> Markup {
    html! {
        table.events {
            thead { tr { th { "Time (UTC)" } th { "Kind" } th { "Who" } th { "What" } th { "Source" } } }
            tbody { @for e in evs.iter().take(MAX_EVENTS) { tr {
                td { (if e.time_resolution_s >= 86_400 { time(e.time_ms)[..10].to_string() } else { time(e.time_ms) }) }
                td { (e.kind) @if e.claim { " " span.badge.none title="A statement the article makes, not an established fact" { "claim" } } }
                td { (e.who) }
                td {
                    @if link && e.kind == "email" && e.provenance.item.is_some() {
                        a href={ "/email/" (e.provenance.item.unwrap_or_default()) } { (e.what) }
                    } @else { (e.what) }
                }
                td.muted { (e.provenance.describe()) }
            } } }
        }
        @if evs.len() > MAX_EVENTS { p.muted { "First " (MAX_EVENTS) " of " (count(evs.len() as i64)) " events." } }
    }
}

fn marks(evs: &[Event]) -> Vec<Mark<'_>> {
    evs.iter().filter(|e| e.kind != "claim").map(|e| Mark { ms: e.time_ms, label: &e.what }).collect()
}

fn cascade(app: &App, case: &Case, spec: &str, evs: &[Event]) -> PageResult {
    let object = match Object::parse(spec) {
        Ok(o) => o,
        Err(e) => return Ok(html! { p.error { (e) } }),
    };
    let f = app.cache.cascade(case, &object)?;
    if f.posts == 0 {
        return Ok(html! { p { "No post in the case has " code { (spec) } "." } });
    }
    let points: Vec<(i64, u64)> = f.cascade.iter().map(|c| (c.time_ms, c.cumulative_accounts as u64)).collect();
    Ok(html! {
        p { strong { (count(f.posts as i64)) } " posts by " strong { (count(f.accounts as i64)) } " accounts." }
        h3 { @if f.tie { "First (tied: these cannot be told apart in time)" } @else { "First" } }
        table { tbody { @for a in &f.first { tr {
            td { (time_s(a.time_ms)) @if a.time_resolution_s >= 60 { span.muted { " (to the minute)" } } }
            td { (account_link(&a.account)) }
            td { (a.kind) " " (a.id) }
            td { (a.text) }
            td.muted { "source " (a.source) ", line " (a.line) }
        } } } }
        (charts::cumulative(&points, &marks(evs), "Accounts that posted it, cumulative (red: events on the axis)"))
        h3 { "Accounts in order" }
        table {
            thead { tr { th.num { "#" } th { "Account" } th { "Time (UTC)" } th.num { "After the first" } th { "Post" } } }
            tbody { @for o in f.order.iter().take(MAX_ORDER) { tr {
                td.num { (o.rank) @if o.tied { "=" } }
                td { (account_link(&o.account)) }
                td { (time_s(o.time_ms)) }
                td.num { (duration(o.delay_ms)) }
                td { (o.kind) " " (o.id) }
            } } }
        }
        @if f.order.len() > MAX_ORDER { p.muted { "First " (MAX_ORDER) " of " (count(f.order.len() as i64)) " accounts." } }
    })
}

/// The stored lead/lag runs, newest first, as delay charts.
/// With `link`, accounts link to their pages (not in the report, which links nowhere).
pub fn leadlag_runs(case: &Case, max: usize, link: bool) -> PageResult {
    let mut runs: Vec<RunRow> = case.runs()?.into_iter().filter(|r| r.kind == "leadlag").collect();
    runs.sort_by_key(|r| std::cmp::Reverse(r.id));
    Ok(html! {
        @if runs.is_empty() {
            p.muted { "No lead/lag run stored; try " code { "leaktrace leadlag CASE --leader ACCOUNT --followers ACCOUNTS" } "." }
        }
        @for run in runs.iter().take(max) {
            @let doc = std::fs::read(case.root().join(&run.output).join("result.json")).ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok()).unwrap_or_default();
            @let delays: Vec<i64> = doc["pairs"].as_array().into_iter().flatten()
                .filter_map(|p| p["delay_ms"].as_i64()).filter(|d| *d >= 0).collect();
            h3 { "Run #" (run.id) ": " (leader_line(&run.params)) }
            p {
                (doc["n"].as_u64().unwrap_or(0)) " pairs on " (doc["shared_objects"].as_u64().unwrap_or(0)) " shared objects; "
                (doc["after"].as_u64().unwrap_or(0)) " followers after the leader, "
                (doc["same_time"].as_u64().unwrap_or(0)) " at the same time, "
                (doc["before"].as_u64().unwrap_or(0)) " before."
                @if let Some(m) = doc["delays"]["median"].as_f64() {
                    " Median delay " strong { (duration(m as i64)) }
                    " (quartiles " (duration(doc["delays"]["q1"].as_f64().unwrap_or(0.0) as i64)) " – "
                    (duration(doc["delays"]["q3"].as_f64().unwrap_or(0.0) as i64)) ")."
                }
                @if let Some(p) = doc["test"]["p_value"].as_f64() {
                    " Against " (doc["test"]["baseline"].as_str().unwrap_or("a shuffled baseline")) ": p = " (format!("{p:.4}"))
                    @if p < 0.05 { " — faster than chance." } @else { " — not distinguishable from chance." }
                }
            }
            (charts::delays(&delays, "Delay from the leader's first action to each follower's, per object"))
            @if let Some(rows) = doc["amplification"].as_array().filter(|a| !a.is_empty()) {
                (amplification_table(rows, run.params["clusters_run"].as_i64(), link))
            }
        }
    })
}

/// A stored lead/lag run's amplification table (declared events as leader):
/// per event and object, who followed and how fast.
pub fn amplification_table(rows: &[serde_json::Value], clusters_run: Option<i64>, link: bool) -> Markup {
    let object = |r: &serde_json::Value| match r["object"].as_object() {
        Some(o) => format!(
            "{}:{}",
            o.get("type").and_then(|v| v.as_str()).unwrap_or(""),
            o.get("value").map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).unwrap_or_default()
        ),
        None => "any of them".to_string(),
    };
    let ms = |v: &serde_json::Value| v.as_f64().map(|x| duration(x as i64)).unwrap_or_else(|| "—".into());
    html! {
        h4 { "Amplification of the declared events" }
        p.muted {
            "Followers: accounts whose first post on the object came at or after the event; "
            "before: accounts that had posted on it already. p: the followers' median |delay| against baselines "
            "that move each account's time to a random point (circularly) in the span of the reactions."
            @if let Some(id) = clusters_run { " In clusters: of clustering run #" (id) "." }
        }
        table {
            thead { tr {
                th { "Event" } th { "Object" } th.num { "Followers" } th.num { "Before" } th.num { "First" }
                th.num { "Median delay" } th.num { "Audience" } th.num { "In clusters" } th.num { "p" }
            } }
            tbody { @for r in rows { tr {
                td { (r["event"].as_str().unwrap_or("")) br; span.muted { (time(r["event_time_ms"].as_i64().unwrap_or(0))) } }
                td.mono { (object(r)) }
                td.num { (r["followers"].as_u64().unwrap_or(0)) }
                td.num { (r["before"].as_u64().unwrap_or(0)) }
                td.num { (ms(&r["delays"]["min"])) }
                td.num { (ms(&r["delays"]["median"])) }
                td.num { @if let Some(a) = r["audience"].as_i64() { (count(a)) } @else { "—" } }
                td.num {
                    @match (r["in_clusters"].as_u64(), r["followers"].as_u64()) {
                        (Some(n), Some(f)) if f > 0 => { (n) " (" (format!("{:.0}%", 100.0 * n as f64 / f as f64)) ")" },
                        (Some(n), _) => { (n) },
                        _ => { "—" },
                    }
                }
                td.num { @if let Some(p) = r["test"]["p_value"].as_f64() { (format!("{p:.3}")) } @else { "—" } }
            } } }
        }
        @for r in rows.iter().filter(|r| r["accounts"].as_array().is_some_and(|a| !a.is_empty())) {
            p {
                strong { (r["event"].as_str().unwrap_or("")) } " (" (object(r)) "): "
                @for (k, f) in r["accounts"].as_array().into_iter().flatten().take(40).enumerate() {
                    @if k > 0 { ", " }
                    @let account = f["account"].as_str().unwrap_or("");
                    @if link { (account_link(account)) } @else { (account) }
                    " " span.muted { "+" (duration(f["delay_ms"].as_i64().unwrap_or(0)))
                        @if let Some(c) = f["cluster"].as_u64() { ", cluster " (c) } }
                }
            }
        }
    }
}

fn leader_line(params: &serde_json::Value) -> String {
    let s = |k: &str| match &params[k] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        v => v.to_string(),
    };
    let leader = params["leader"]["spec"].as_str().map(str::to_string).unwrap_or_else(|| s("leader"));
    format!("leader {leader} → followers {}", s("followers"))
}

/// The timeline page, kept for the same parameters while the case is unchanged.
pub fn page(app: &App, p: Params) -> PageResult {
    let key = format!("timeline {p:?}");
    app.cache.page(app.dir(), key, || make(app, p))
}

fn make(app: &App, p: Params) -> PageResult {
    let case = app.case()?;
    let activity = app.cache.activity(&case)?;
    let evs = case_events(&case)?;
    // Posts only: an email months away would squeeze every post into one bar
    // (events outside the posts' span are listed below the chart).
    let spec = p.object.clone().unwrap_or_default();
    let cascade_html = if spec.trim().is_empty() { None } else { Some(cascade(app, &case, &spec, &evs)?) };
    Ok(shell(
        "Timeline",
        "/timeline",
        html! {
            h1 { "Timeline" }
            (charts::activity_of(activity.histogram.as_ref(), &marks(&evs), "Posts in the case; red marks are emails, releases and article events in that span"))
            h2 { "Who was first, and who followed?" }
            form.filters action="/timeline" method="get" {
                label { "Object (a URL, #hashtag, domain:HOST, repost:ID or text)"
                    input type="text" name="object" value=(spec) size="60" placeholder="#podestaemails"; }
                button type="submit" { "Show the cascade" }
            }
            @if let Some(c) = cascade_html { (c) }
            h2 { "Lead and lag" }
            (leadlag_runs(&case, 3, true)?)
            h2 { "Events" }
            @if evs.is_empty() {
                p.muted { "No emails, articles or declared events yet. Declared events (a release, a statement) come from "
                    code { "leaktrace timeline CASE --events events.csv" } "." }
            } @else { (events_table(&evs, true)) }
        },
    ))
}
