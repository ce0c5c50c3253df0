//! `leaktrace search DIR QUERY [--kind email|post|article] [--from ADDR] [--after T] [--before T] [--limit N] [--sort relevance|time|newest] [--facets] [--json]`

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use leaktrace_search::schema::FIELDS;
use leaktrace_search::{CaseIndex, DocKind, Request, Response, Sort};
use leaktrace_store::{Case, StoreError, WriteLock};
use leaktrace_timeline::runs::parse_bound;

use crate::text::thousands;

/// Search the posts, articles and emails of a case.
///
/// The index lives in the case (DIR/index/) and grows with every ingest;
/// sources added by an older leaktrace are indexed at the first search.
///
/// Query syntax:
///   leak podesta            both words (AND is the default)
///   leak OR podesta         either;  -word or NOT word excludes
///   "access hollywood"      a phrase
///   podest*                 a prefix;  podesta~1  a fuzzy match (1 or 2 edits)
///   field:value             one field (list them with --fields), e.g.
///                           account:ten_gop  hashtag:podestaemails  domain:wikileaks.org
///                           label:RightTroll  label:account_category=LeftTroll
///                           url:"https://wikileaks.org/podesta-emails/"  type:repost
///                           time:[2016-10-07T00:00:00Z TO 2016-10-08T00:00:00Z]
/// A field that does not exist is an error, not an empty result.
///
/// Examples:
///   leaktrace search mycase 'wikileaks AND hashtag:podestaemails' --sort time
///   leaktrace search mycase 'label:RightTroll "crooked hillary"' --facets --json
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The case folder.
    pub dir: PathBuf,
    /// What to find (see above).
    #[arg(required_unless_present_any = ["reindex", "fields"])]
    pub query: Option<String>,
    /// Only these kinds of documents: post, article, email (comma-separated).
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,
    /// Hits to show.
    #[arg(long, short = 'n', default_value_t = 20)]
    pub limit: usize,
    /// Skip this many hits first (paging).
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// Only emails from this sender: an address, a domain, or a word of the name (same as adding from:"X").
    #[arg(long, value_name = "ADDR")]
    pub from: Option<String>,
    /// Only documents at or after this time (2016-10-07, or 2016-10-07 16:32 ET, RFC 3339).
    #[arg(long, value_name = "TIME")]
    pub after: Option<String>,
    /// Only documents before this time.
    #[arg(long, value_name = "TIME")]
    pub before: Option<String>,
    /// relevance (default), time (oldest first) or newest.
    #[arg(long, default_value = "relevance")]
    pub sort: String,
    /// Also count the matching documents per kind, account, label, hashtag, domain, language, source, ….
    #[arg(long)]
    pub facets: bool,
    /// Print JSON: {"total", "hits": [{"kind", "id", "time", "score", "snippet", "account" | "from", …}], "facets"}.
    #[arg(long)]
    pub json: bool,
    /// Rebuild the index from the case.
    #[arg(long)]
    pub reindex: bool,
    /// List the fields a query can name.
    #[arg(long)]
    pub fields: bool,
}

/// Index the sources of the case the index does not hold yet. Called by
/// `ingest` after it adds sources; failures are reported, not fatal (the
/// next search catches up).
pub fn index_new_sources(case: &Case, lock: &WriteLock, quiet: bool) {
    let result = CaseIndex::open(case.root()).and_then(|ix| ix.catch_up(case, lock, |_| {}));
    match result {
        Ok(done) if done.documents > 0 && !quiet => eprintln!(
            "leaktrace: indexed {} documents of {} new source(s) for search in {:.1} s",
            thousands(done.documents as i64),
            done.sources.len(),
            done.seconds
        ),
        Ok(_) => {}
        Err(e) => {
            eprintln!("leaktrace: warning: search index not updated ({e}); the next `leaktrace search` will retry")
        }
    }
}

pub fn run(args: Args) -> Result<()> {
    if args.fields {
        for (f, what) in FIELDS {
            println!("{f:<14} {what}");
        }
        return Ok(());
    }
    let case = Case::open(&args.dir)?;
    if args.reindex {
        let lock = case.lock_for_write(true, |msg| eprintln!("leaktrace: {msg}"))?;
        let done = CaseIndex::rebuild(&case, &lock, |_| {})?;
        eprintln!(
            "leaktrace: index rebuilt: {} documents from {} sources in {:.1} s",
            thousands(done.documents as i64),
            done.sources.len(),
            done.seconds
        );
        if args.query.is_none() {
            return Ok(());
        }
    }
    let index = CaseIndex::open(case.root())?;
    match index.missing_sources(&case)? {
        None => bail!(
            "{}: the search index was built by another version; run `leaktrace search {} --reindex`",
            case.root().join("index").display(),
            args.dir.display()
        ),
        Some(missing) if !missing.is_empty() => match case.lock_for_write(false, |_| {}) {
            Ok(lock) => {
                let done = index.catch_up(&case, &lock, |_| {})?;
                eprintln!(
                    "leaktrace: indexed {} documents of {} source(s) not yet in the index",
                    thousands(done.documents as i64),
                    done.sources.len()
                );
            }
            Err(StoreError::Busy { .. }) => {
                eprintln!(
                    "leaktrace: warning: {} source(s) are not indexed yet (another process is writing the case); results leave them out",
                    missing.len()
                );
            }
            Err(e) => return Err(e.into()),
        },
        Some(_) => {}
    }
    let mut kinds = Vec::new();
    for k in args.kind.as_deref().unwrap_or("").split(',').filter(|s| !s.is_empty()) {
        kinds.push(DocKind::parse(k.trim()).ok_or_else(|| anyhow!("--kind: {k:?} is not post, article or email"))?);
    }
    let sort = match args.sort.as_str() {
        "relevance" | "score" => Sort::Relevance,
        "time" | "oldest" => Sort::Time,
        "newest" => Sort::Newest,
        s => bail!("--sort: {s:?} is not relevance, time or newest"),
    };
    let mut query = args.query.clone().unwrap_or_default();
    if let Some(from) = &args.from {
        query =
            format!("({}) AND from:\"{}\"", if query.trim().is_empty() { "*" } else { &query }, from.replace('"', ""));
    }
    let req = Request {
        query,
        kinds,
        after_ms: args.after.as_deref().map(parse_bound).transpose().map_err(|e| anyhow!("--after: {e}"))?,
        before_ms: args.before.as_deref().map(parse_bound).transpose().map_err(|e| anyhow!("--before: {e}"))?,
        limit: args.limit,
        offset: args.offset,
        sort,
        facets: args.facets,
        ..Default::default()
    };
    let found = index.search(&case, &req)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&found)?);
    } else {
        print_text(&found, &req);
    }
    Ok(())
}

fn marked(snippet: &str, highlights: &[(usize, usize)], tty: bool) -> String {
    let (on, off) = if tty { ("\x1b[1m", "\x1b[0m") } else { ("**", "**") };
    let mut out = String::new();
    let mut at = 0;
    for &(a, b) in highlights {
        if a < at || b > snippet.len() || !snippet.is_char_boundary(a) || !snippet.is_char_boundary(b) {
            continue;
        }
        out.push_str(&snippet[at..a]);
        out.push_str(on);
        out.push_str(&snippet[a..b]);
        out.push_str(off);
        at = b;
    }
    out.push_str(&snippet[at..]);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn print_text(r: &Response, req: &Request) {
    let tty = std::io::stdout().is_terminal();
    println!(
        "{} hit{}{}",
        thousands(r.total as i64),
        if r.total == 1 { "" } else { "s" },
        if r.total > r.hits.len() + req.offset {
            format!(", showing {}–{}", req.offset + 1, req.offset + r.hits.len())
        } else {
            String::new()
        }
    );
    for h in &r.hits {
        let who = h.account.as_deref().or(h.from.as_deref()).or(h.outlet.as_deref()).unwrap_or("");
        println!(
            "\n{} {}  {}  {}{}",
            h.kind,
            h.id,
            h.time.as_deref().unwrap_or("(no date)"),
            who,
            if req.sort == Sort::Relevance { format!("  score {:.2}", h.score) } else { String::new() }
        );
        if let Some(t) = &h.title {
            println!("  {t}");
        }
        println!("  {}", marked(&h.snippet, &h.highlights, tty));
    }
    if let Some(facets) = &r.facets {
        println!();
        for (name, values) in facets {
            let list: Vec<String> = values.iter().map(|(v, n)| format!("{v} ({})", thousands(*n as i64))).collect();
            println!("{name}: {}", list.join(", "));
        }
    }
}
