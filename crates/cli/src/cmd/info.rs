//! `leaktrace info DIR [--json]`

use std::path::PathBuf;

use anyhow::Result;
use leaktrace_store::{Case, FacetCount, RejectRow, SourceRow};
use serde::Serialize;

use crate::text::{rfc3339_ms, thousands};

/// Summarise a case.
///
/// Prints its sources with their SHA-256 hashes (chain of custody), post
/// and account counts, date range, top hashtags and domains, account
/// labels, and rejected rows.
///
/// With --json the summary is one JSON object for scripts; it has at least
/// `posts`, `accounts`, `sources` (each with `sha256`, `format`, `rows`,
/// `rejected`) and `first_post` / `last_post` (RFC 3339).
#[derive(clap::Args)]
pub struct Args {
    /// The case folder.
    pub dir: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// How many top hashtags, domains and label values to show.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// List the rejected rows of every source (up to 10,000 per source are kept).
    #[arg(long)]
    pub rejects: bool,
}

#[derive(Serialize)]
struct SourceInfo {
    #[serde(flatten)]
    row: SourceRow,
    first_post: Option<String>,
    last_post: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rejects_sample: Vec<RejectRow>,
}

#[derive(Serialize)]
struct LabelInfo {
    key: String,
    values: Vec<FacetCount>,
}

#[derive(Serialize)]
struct Info {
    case: String,
    schema_version: i64,
    posts: i64,
    accounts: i64,
    labelled_accounts: i64,
    rejected: i64,
    first_post: Option<String>,
    last_post: Option<String>,
    unfinished_ingests: i64,
    sources: Vec<SourceInfo>,
    top_hashtags: Vec<FacetCount>,
    top_domains: Vec<FacetCount>,
    top_languages: Vec<FacetCount>,
    kinds: Vec<FacetCount>,
    labels: Vec<LabelInfo>,
}

/// Label keys worth showing as a distribution: few distinct values.
const MAX_LABEL_VALUES: usize = 30;

fn gather(case: &Case, top: usize, all_rejects: bool) -> Result<Info> {
    let s = case.summary()?;
    let sample = if all_rejects { 10_000 } else { 5 };
    let sources = case
        .sources()?
        .into_iter()
        .map(|row| {
            let rejects_sample = if row.rejected > 0 { case.rejects(row.id, sample)? } else { Vec::new() };
            Ok(SourceInfo {
                first_post: row.first_post.map(rfc3339_ms),
                last_post: row.last_post.map(rfc3339_ms),
                row,
                rejects_sample,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut labels = Vec::new();
    for key in case.label_keys()? {
        let dist = case.label_distribution(&key)?;
        let labelled: i64 = dist.iter().map(|(_, n)| n).sum();
        // A key whose every value is unique (a name, an id) is no grouping.
        if dist.is_empty() || dist.len() > MAX_LABEL_VALUES || dist.len() as i64 >= labelled {
            continue;
        }
        labels.push(LabelInfo {
            key,
            values: dist.into_iter().take(top).map(|(value, count)| FacetCount { value, count }).collect(),
        });
    }
    Ok(Info {
        case: case.root().display().to_string(),
        schema_version: s.schema_version,
        posts: s.posts,
        accounts: s.accounts,
        labelled_accounts: s.labelled_accounts,
        rejected: s.rejected,
        first_post: s.first_post.map(rfc3339_ms),
        last_post: s.last_post.map(rfc3339_ms),
        unfinished_ingests: s.unfinished,
        sources,
        top_hashtags: case.top_facets("hashtag", top)?,
        top_domains: case.top_facets("domain", top)?,
        top_languages: case.top_facets("language", top)?,
        kinds: case.top_facets("kind", 10)?,
        labels,
    })
}

fn facet_line(label: &str, prefix: &str, facets: &[FacetCount]) {
    if facets.is_empty() {
        return;
    }
    let items: Vec<String> = facets.iter().map(|f| format!("{prefix}{} ({})", f.value, thousands(f.count))).collect();
    println!("{label:<14}{}", items.join(", "));
}

pub fn run(args: Args) -> Result<()> {
    let case = Case::open(&args.dir)?;
    let info = gather(&case, args.top, args.rejects)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&info)?);
        return Ok(());
    }
    println!("Case {} (catalog schema {})", info.case, info.schema_version);
    println!();
    println!("Sources ({}):", info.sources.len());
    for s in &info.sources {
        let r = &s.row;
        // A mailbox keeps every message; its `rejected` counts the messages
        // flagged as malformed, which are kept too.
        let mail = r.kind == "mail";
        let what = match r.kind.as_str() {
            "social" => format!("{} posts, {} rejected", thousands(r.posts), thousands(r.rejected)),
            "mail" => {
                format!("{} messages, {} of them flagged as malformed (kept)", thousands(r.rows), thousands(r.rejected))
            }
            _ => format!("{} rows, {} rejected", thousands(r.rows - r.rejected), thousands(r.rejected)),
        };
        let (one, many) = if mail { ("flagged", "flagged messages") } else { ("rejected", "rejected rows") };
        println!("  #{} {} [{} {}] {}", r.id, r.path, r.kind, r.format, what);
        println!(
            "      sha256 {}  {} bytes  ingested {} by {}",
            r.sha256,
            thousands(r.size),
            r.ingested_at,
            r.tool_version
        );
        for rej in &s.rejects_sample {
            println!("      {one} line {}: {}", rej.line, rej.reason);
        }
        if !args.rejects && r.rejected > s.rejects_sample.len() as i64 {
            println!(
                "      … {} more {many} (--rejects lists them)",
                thousands(r.rejected - s.rejects_sample.len() as i64)
            );
        }
    }
    if info.unfinished_ingests > 0 {
        println!(
            "  ({} interrupted ingest(s) left no data; they are cleaned up by the next ingest)",
            info.unfinished_ingests
        );
    }
    println!();
    println!(
        "{:<14}{} from {} accounts ({} with labels)",
        "Posts",
        thousands(info.posts),
        thousands(info.accounts),
        thousands(info.labelled_accounts)
    );
    if let (Some(a), Some(b)) = (&info.first_post, &info.last_post) {
        println!("{:<14}{a} to {b}", "Date range");
    }
    println!("{:<14}{}", "Rejected rows", thousands(info.rejected));
    facet_line("Kinds", "", &info.kinds);
    facet_line("Hashtags", "#", &info.top_hashtags);
    facet_line("Domains", "", &info.top_domains);
    facet_line("Languages", "", &info.top_languages);
    if !info.labels.is_empty() {
        println!("Account labels");
        for l in &info.labels {
            let items: Vec<String> = l.values.iter().map(|f| format!("{} ({})", f.value, thousands(f.count))).collect();
            println!("  {:<20}{}", l.key, items.join(", "));
        }
    }
    Ok(())
}
