//! `/`: what is in the case — sources with their hashes, date range,
//! verification results, analyses.

use leaktrace_store::{MessageRow, RunRow, SourceRow};
use maud::{Markup, html};

use crate::app::App;
use crate::error::PageResult;
use crate::layout::{count, enc, opt_time, page as shell, size, verdict_badge};

/// Messages listed on the overview.
const MESSAGES_LISTED: usize = 200;

/// Sources with their custody facts.
pub fn sources_table(sources: &[SourceRow]) -> Markup {
    html! {
        table.sources {
            thead { tr {
                th { "#" } th { "File" } th { "Kind" } th { "SHA-256" } th.num { "Size" } th.num { "Records" }
                th.num { "Rejected" } th { "Ingested" }
            } }
            tbody {
                @for s in sources {
                    tr {
                        td { (s.id) }
                        td { (s.path) }
                        td { (s.kind) " · " (s.format) @if s.compression != "none" { " · " (s.compression) } }
                        td.hash { (s.sha256) }
                        td.num { (size(s.size)) }
                        td.num { (count(if s.posts > 0 { s.posts } else { s.rows })) }
                        td.num { (count(s.rejected)) }
                        td { (s.ingested_at) br; span.muted { (s.tool_version) } }
                    }
                }
            }
        }
    }
}

/// Messages per verdict, in the order reporters sort them.
pub fn verdict_order(mut counts: Vec<(Option<String>, i64)>) -> Vec<(Option<String>, i64)> {
    let rank = |v: &Option<String>| match v.as_deref() {
        Some("verified") => 0,
        Some("weak") => 1,
        Some("consistent") => 2,
        Some("unverified") => 3,
        Some("unsigned") => 4,
        Some(_) => 5,
        None => 6,
    };
    counts.sort_by_key(|(v, _)| rank(v));
    counts
}

/// Messages with their badges.
pub fn messages_table(msgs: &[MessageRow], link: bool) -> Markup {
    html! {
        table.messages {
            thead { tr { th { "DKIM" } th { "Date" } th { "From" } th { "Subject" } th { "Reasons" } } }
            tbody {
                @for m in msgs {
                    tr {
                        td { (verdict_badge(m.verdict.as_deref())) }
                        td { (m.headers.date.clone().unwrap_or_default()) }
                        td { (m.headers.from.clone().unwrap_or_default()) }
                        td {
                            @let subject = m.headers.subject.clone().unwrap_or_else(|| "(no subject)".into());
                            @if link { a href={ "/email/" (m.item_id) } { (subject) } } @else { (subject) }
                        }
                        td.reason { (m.flags.join(", ")) }
                    }
                }
            }
        }
    }
}

fn run_line(r: &RunRow) -> Markup {
    let networkish = r.kind == "coord" || r.kind == "clusters";
    html! {
        tr {
            td { (r.id) }
            td { (r.kind) }
            td { (r.created_at) }
            td.mono { (serde_json::to_string(&r.params).unwrap_or_default().chars().take(160).collect::<String>()) }
            td { @if networkish { a href={ "/network?run=" (r.id) } { "network" } } }
        }
    }
}

pub fn page(app: &App, _: ()) -> PageResult {
    app.cache.overview(app.dir(), || make(app))
}

fn make(app: &App) -> PageResult {
    let case = app.case()?;
    let s = case.summary()?;
    let sources = case.sources()?;
    let msgs = case.messages_first(MESSAGES_LISTED)?;
    let (verdicts, mail_first, mail_last) = case.message_counts()?;
    let n_msgs: i64 = verdicts.iter().map(|v| v.1).sum();
    let runs = case.runs()?;
    let hashtags = case.top_facets("hashtag", 12)?;
    let domains = case.top_facets("domain", 12)?;
    let label_keys = case.label_keys()?;
    let first = sources.iter().filter_map(|s| s.first_post).chain(mail_first).min();
    let last = sources.iter().filter_map(|s| s.last_post).chain(mail_last).max();
    let title = case.root().file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "case".into());
    Ok(shell(
        &title,
        "/",
        html! {
            h1 { "Case " (title) }
            div.cards {
                div.card { div.n { (count(s.sources)) } div.l { "sources" } }
                div.card { div.n { (count(s.posts)) } div.l { "posts" } }
                div.card { div.n { (count(s.accounts)) } div.l { "accounts (" (count(s.labelled_accounts)) " labelled)" } }
                div.card { div.n { (count(n_msgs)) } div.l { "emails" } }
                div.card { div.n { (count(runs.len() as i64)) } div.l { "analysis runs" } }
            }
            p { "From " strong { (opt_time(first)) } " to " strong { (opt_time(last)) } "." }
            @if s.unfinished > 0 { p.error { (s.unfinished) " ingest(s) were interrupted; the next write to the case cleans them up." } }
            h2 { "Sources (chain of custody)" }
            p.muted { "Each file is kept byte-for-byte in the case's evidence folder under its SHA-256." }
            (sources_table(&sources))
            @if !msgs.is_empty() {
                h2 { "Email verification" }
                div.cards {
                    @for (v, n) in verdict_order(verdicts) {
                        div.card { div.n { (count(n)) } div.l { (verdict_badge(v.as_deref())) } }
                    }
                }
                (messages_table(&msgs, true))
                @if n_msgs > msgs.len() as i64 { p.muted { "First " (msgs.len()) " of " (count(n_msgs)) "; search finds the others." } }
            }
            h2 { "Analyses" }
            @if runs.is_empty() {
                p.muted { "No stored runs yet: try " code { "leaktrace clusters CASE --network co-retweet --window 10m" } "." }
            } @else {
                table { thead { tr { th { "#" } th { "Kind" } th { "When" } th { "Parameters" } th {} } } tbody { @for r in runs.iter().rev() { (run_line(r)) } } }
            }
            @if !hashtags.is_empty() || !domains.is_empty() {
                h2 { "Most used hashtags and domains" }
                div.layout2 {
                    ul { @for f in &hashtags { li { a href={ "/search?q=" (enc(&format!("hashtag:{}", f.value))) } { "#" (f.value) } " " span.muted { (count(f.count)) } } } }
                    ul { @for f in &domains { li { a href={ "/search?q=" (enc(&format!("domain:{}", f.value))) } { (f.value) } " " span.muted { (count(f.count)) } } } }
                }
            }
            @for k in &label_keys {
                h2 { "Account label " code { (k) } }
                table { tbody { @for (v, n) in case.label_distribution(k)? { tr { td { (v) } td.num { (count(n)) } } } } }
            }
        },
    ))
}
