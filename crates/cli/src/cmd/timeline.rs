//! `leaktrace timeline DIR [--account ..] [--query ..] [--from ..] [--to ..] [--events FILE] [--bursts] [--json | --csv]`

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{Result, anyhow};
use leaktrace_search::{CaseIndex, DocKind, PostQuery, Request};
use leaktrace_store::Case;
use leaktrace_timeline::bursts::{Burst, BurstParams, bucket_counts, bursts};
use leaktrace_timeline::dates::Claim;
use leaktrace_timeline::declared::read_events;
use leaktrace_timeline::events::{self, Event};
use leaktrace_timeline::posts::{PostFilter, load_posts_where, post_times};
use leaktrace_timeline::runs::save_run;
use leaktrace_timeline::select;

use super::flags::{AnalysisOutput, TimeRange};
use serde::Serialize;

use crate::cmd::leadlag::account_set;
use crate::text::{csv_field, duration};
use crate::text::{rfc3339_ms, thousands};

/// One time axis for the posts, emails, articles and declared events of a case.
///
/// Rows are posts (UTC, with the source's resolution: IRA times are whole
/// minutes), emails (their Date field), articles (their publication date), the dated statements found
/// in articles (marked CLAIM: what the article says, resolved against its
/// own date where the text allows; see `leaktrace ingest --help`), and
/// declared events from --events FILE, a CSV you write:
///
///   time,kind,label,source,objects
///   2016-10-07 16:32 ET,release,Podesta emails part 1,https://wikileaks.org/podesta-emails/
///   2016-10-08 07:00 PT,release,Batch 2,https://…,#podestaemails url:https://…
///
/// or the same as TOML (a .toml file), one table per event:
///
///   [[event]]
///   time = "2016-10-07 16:32 ET"        (or 2016-10-07T16:32:00-04:00)
///   kind = "release"
///   label = "Podesta emails part 1"
///   source = "https://wikileaks.org/podesta-emails/"
///   objects = ["#podestaemails"]
///
/// Every time needs its zone (ET, CT, MT, PT with US daylight saving; EST,
/// EDT, PDT, …; UTC; +02:00). Lines starting with # are comments.
///
/// --bursts finds periods of unusually many selected posts (Kleinberg's
/// two-state model over --bucket-sized counts; with --account or --query,
/// against the share of all posts in each bucket).
///
/// The run is stored in the case under analyses/timeline/<run-id>/.
///
/// Examples:
///   leaktrace timeline mycase --query 'hashtag:podestaemails' --events releases.csv --bursts
///   leaktrace timeline mycase --account ten_gop --from 2016-10-07 --to 2016-10-08 --csv
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The case folder.
    pub dir: PathBuf,
    /// Only posts of these accounts (comma-separated), or of a label (KEY=VALUE).
    #[arg(long, value_name = "SPEC")]
    pub account: Option<String>,
    /// Only posts and articles matching this search (see `leaktrace search --help`).
    #[arg(long, value_name = "QUERY")]
    pub query: Option<String>,
    #[command(flatten)]
    pub range: TimeRange,
    /// Declared events (CSV or TOML, see above).
    #[arg(long, value_name = "FILE")]
    pub events: Vec<PathBuf>,
    /// Leave out posts (articles, statements and declared events only).
    #[arg(long)]
    pub no_posts: bool,
    /// Find bursts of the selected posts.
    #[arg(long)]
    pub bursts: bool,
    /// Bucket for --bursts: 10m, 1h, 1d.
    #[arg(long, default_value = "1h")]
    pub bucket: String,
    /// Rows shown in text output (0: all); --json and --csv give all rows.
    #[arg(long, default_value_t = 200)]
    pub limit: usize,
    #[command(flatten)]
    pub output: AnalysisOutput,
}

#[derive(Serialize)]
struct TimelineResult {
    events: Vec<Event>,
    /// Article statements whose time could not be resolved, with why.
    unresolved_claims: Vec<Claim>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bursts: Option<Vec<Burst>>,
}

fn parse_bucket(s: &str) -> Result<i64> {
    let s = s.trim();
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = n.parse().map_err(|_| anyhow!("--bucket {s:?}: write 10m, 1h or 1d"))?;
    let ms = match unit {
        "s" => 1000,
        "m" | "min" => 60_000,
        "h" | "" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(anyhow!("--bucket {s:?}: write 10m, 1h or 1d")),
    };
    if n <= 0 {
        return Err(anyhow!("--bucket must be positive"));
    }
    Ok(n * ms)
}

pub fn run(args: Args) -> Result<()> {
    let case = Case::open(&args.dir)?;
    let (from_ms, to_ms) = args.range.bounds()?;
    let in_range = |t: i64| from_ms.is_none_or(|f| t >= f) && to_ms.is_none_or(|e| t < e);
    let accounts = args.account.as_deref().map(|a| account_set(&case, a, "--account")).transpose()?;
    // Documents selected by --query, by kind.
    let selected: Option<(BTreeSet<i64>, BTreeSet<i64>, BTreeSet<i64>)> = match &args.query {
        Some(q) => {
            let index = CaseIndex::open(case.root())?;
            if index.missing_sources(&case)?.is_none_or(|m| !m.is_empty()) {
                let lock = case.lock_for_write(true, |msg| eprintln!("leaktrace: {msg}"))?;
                index.catch_up(&case, &lock, |_| {})?;
            }
            let ids = index.matching_ids(&case, &Request { query: q.clone(), ..Default::default() })?;
            let pick = |k: DocKind| ids.iter().filter(|(kind, _)| *kind == k).map(|(_, id)| *id).collect();
            Some((pick(DocKind::Post), pick(DocKind::Article), pick(DocKind::Email)))
        }
        None => None,
    };
    let mut rows: Vec<Event> = Vec::new();
    let mut burst_out = None;
    if !args.no_posts || args.bursts {
        let filtered = accounts.is_some() || selected.is_some();
        let range = PostFilter { from_ms, to_ms, ..Default::default() };
        let by_account = PostFilter { accounts: accounts.clone().unwrap_or_default(), ..range.clone() };
        // With a query or accounts, the index finds the posts and only they
        // are read; the bursts' baseline then reads every post's time alone.
        let fast = if filtered {
            let q = PostQuery {
                any: Vec::new(),
                accounts: accounts.iter().flatten().cloned().collect(),
                query: args.query.clone(),
            };
            select::posts(&case, &q, &by_account, true)?
        } else {
            None
        };
        if filtered && fast.is_none() {
            super::slow_read_note(&case);
        }
        let mut all_times: Vec<i64> = Vec::new();
        let chosen = match fast {
            Some(p) => {
                if args.bursts {
                    all_times = post_times(&case, &range)?;
                }
                p
            }
            None => load_posts_where(&case, &range, |p| {
                if args.bursts && filtered {
                    all_times.push(p.time_ms);
                }
                by_account.keeps(p) && selected.as_ref().is_none_or(|(posts, _, _)| posts.contains(&p.id))
            })?,
        };
        if args.bursts {
            let params = BurstParams { bucket_ms: parse_bucket(&args.bucket)?, ..Default::default() };
            let times: Vec<i64> = chosen.iter().map(|cp| cp.post.time_ms).collect();
            let counts = bucket_counts(&times, params.bucket_ms, None);
            let starts: Vec<i64> = counts.iter().map(|c| c.0).collect();
            let n: Vec<u64> = counts.iter().map(|c| c.1).collect();
            let totals: Option<Vec<u64>> = (filtered && !starts.is_empty()).then(|| {
                let origin = starts[0];
                let mut t = vec![0u64; starts.len()];
                for &x in &all_times {
                    let i = (x - origin).div_euclid(params.bucket_ms);
                    if i >= 0 && (i as usize) < t.len() {
                        t[i as usize] += 1;
                    }
                }
                t
            });
            burst_out = Some(bursts(&starts, &n, totals.as_deref(), &params));
        }
        if !args.no_posts {
            rows.extend(chosen.iter().map(events::from_post));
        }
    }
    let mut unresolved = Vec::new();
    if accounts.is_none() {
        for a in events::case_articles(&case)? {
            if selected.as_ref().is_some_and(|(_, arts, _)| !arts.contains(&a.item)) {
                continue;
            }
            let (evs, un) = events::from_article(&a);
            rows.extend(evs.into_iter().filter(|e| in_range(e.time_ms)));
            unresolved.extend(un);
        }
    }
    if accounts.is_none() {
        for e in events::case_emails(&case)? {
            if selected.as_ref().is_some_and(|(_, _, mails)| !mails.contains(&e.item)) {
                continue;
            }
            rows.extend(events::from_email(&e).into_iter().filter(|e| in_range(e.time_ms)));
        }
    }
    let mut declared_params = Vec::new();
    for f in &args.events {
        let evs = read_events(f)?;
        declared_params
            .push(serde_json::json!({"file": f.display().to_string(), "content": std::fs::read_to_string(f)?}));
        rows.extend(evs.iter().filter(|e| in_range(e.time_ms)).map(events::from_declared));
    }
    events::sort(&mut rows);
    let result = TimelineResult { events: rows, unresolved_claims: unresolved, bursts: burst_out };
    let csv = events_csv(&result.events);
    let run = if args.output.no_store {
        None
    } else {
        let lock = case.lock_for_write(true, |msg| eprintln!("leaktrace: {msg}"))?;
        let params = serde_json::json!({
            "analysis": "timeline", "account": args.account, "query": args.query, "from": args.range.from, "to": args.range.to,
            "events": declared_params, "no_posts": args.no_posts, "bursts": args.bursts, "bucket": args.bucket,
        });
        let summary = serde_json::json!({
            "events": result.events.len(),
            "claims": result.events.iter().filter(|e| e.claim).count(),
            "unresolved_claims": result.unresolved_claims.len(),
            "bursts": result.bursts.as_ref().map(Vec::len),
        });
        Some(save_run(&case, &lock, "timeline", &params, &result, Some(&csv), summary)?)
    };
    super::present(&case, &result, run.as_ref(), args.output.json, args.output.csv.then_some(csv.as_str()), || {
        print_text(&result, args.limit)
    })
}

fn when(e: &Event) -> String {
    let t = rfc3339_ms(e.time_ms);
    match e.time_resolution_s {
        r if r >= 86_400 * 28 => t[..7].to_string(),
        r if r >= 86_400 => t[..10].to_string(),
        60 => t[..16].replace('T', " "),
        _ => t.replace('T', " ").trim_end_matches('Z').to_string(),
    }
}

fn events_csv(rows: &[Event]) -> String {
    let mut w = String::from("time,resolution_s,kind,claim,who,what,reference,provenance\n");
    for e in rows {
        w.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            rfc3339_ms(e.time_ms),
            e.time_resolution_s,
            e.kind,
            e.claim,
            csv_field(&e.who),
            csv_field(&e.what),
            csv_field(&e.reference),
            csv_field(&e.provenance.describe())
        ));
    }
    w
}

fn one_line(s: &str, max: usize) -> String {
    let s: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > max { format!("{}…", s.chars().take(max - 1).collect::<String>()) } else { s }
}

fn print_text(r: &TimelineResult, limit: usize) {
    let shown = if limit == 0 { r.events.len() } else { limit.min(r.events.len()) };
    println!("{} events (times UTC)", thousands(r.events.len() as i64));
    for e in &r.events[..shown] {
        let kind = if e.claim { "CLAIM".to_string() } else { e.kind.to_string() };
        println!("{:<19}  {:<8} {:<22} {}", when(e), kind, one_line(&e.who, 22), one_line(&e.what, 90));
        if e.claim || e.kind == "declared" {
            println!("{:<19}  {:<8} {:<22} ↳ {} ({})", "", "", "", e.reference, e.provenance.describe());
        }
    }
    if shown < r.events.len() {
        println!("… {} more (--limit 0, --csv, --json)", r.events.len() - shown);
    }
    if !r.unresolved_claims.is_empty() {
        println!("\n{} dated statement(s) could not be placed:", r.unresolved_claims.len());
        for c in r.unresolved_claims.iter().take(20) {
            println!("  \"{}\": {} — {}", c.expression, c.basis, one_line(&c.sentence, 80));
        }
    }
    if let Some(b) = &r.bursts {
        println!("\nBursts ({}):", b.len());
        for x in b {
            println!(
                "  {} – {}  ({})  {} posts, {:.1}× the base rate, weight {:.1}",
                rfc3339_ms(x.start_ms),
                rfc3339_ms(x.end_ms),
                duration((x.end_ms - x.start_ms) as f64),
                thousands(x.events as i64),
                x.intensity,
                x.weight
            );
        }
    }
}
