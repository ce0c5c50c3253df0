//! `leaktrace first DIR OBJECT [--from ..] [--to ..] [--json | --csv] [--no-store]`

use std::path::PathBuf;

use anyhow::{Result, anyhow};
use leaktrace_store::Case;
use leaktrace_timeline::first::{FirstAppearance, first_appearance};
use leaktrace_timeline::objects::Object;
use leaktrace_timeline::posts::{PostFilter, load_posts_where};
use leaktrace_timeline::runs::save_run;
use leaktrace_timeline::select;

use super::flags::{AnalysisOutput, TimeRange};

use crate::text::{csv_field, duration, rfc3339_ms, thousands};

/// Who posted something first, and how it spread.
///
/// OBJECT is what to follow:
///
///   https://…         a URL (normalised: lower-case host, no utm_*, no fragment)
///   #tag              a hashtag (or hashtag:tag)
///   domain:HOST       links to a web domain
///   repost:ID         a post and every repost of it
///   word:W            posts whose text has the word W (word:podesta)
///   text:…            a text (case, spaces, URLs and a leading "RT @x:" ignored);
///                     anything else is taken as a text too
///
/// Prints the first post(s) — several when they cannot be ordered: the same
/// timestamp, or within the first post's time resolution (IRA times are
/// whole minutes), listed by account then id — then the accounts in the
/// order they first posted it, with their delay, and the cumulative count
/// over time. The run is stored in the case under analyses/first/<run-id>/.
///
/// The posts are found through the search index (only they are read), or,
/// when the index does not cover every source, by reading every post.
///
/// Examples:
///   leaktrace first mycase https://wikileaks.org/podesta-emails/
///   leaktrace first mycase '#PodestaEmails' --json
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The case folder.
    pub dir: PathBuf,
    /// URL, #hashtag, domain:HOST, repost:ID or text.
    pub object: String,
    #[command(flatten)]
    pub range: TimeRange,
    /// Accounts listed in text output (all are in --json and --csv).
    #[arg(long, default_value_t = 25)]
    pub limit: usize,
    #[command(flatten)]
    pub output: AnalysisOutput,
}

pub fn run(args: Args) -> Result<()> {
    let object = Object::parse(&args.object).map_err(|e| anyhow!(e))?;
    let case = Case::open(&args.dir)?;
    let (from_ms, to_ms) = args.range.bounds()?;
    let filter = PostFilter { from_ms, to_ms, ..Default::default() };
    // Through the index, without texts but those of the first posts.
    let f = match select::posts_with(&case, std::slice::from_ref(&object), &filter, false)? {
        Some(posts) => {
            let mut f = first_appearance(&posts, &object);
            select::fill_first_texts(&case, &mut f)?;
            f
        }
        None => {
            super::slow_read_note(&case);
            first_appearance(&load_posts_where(&case, &filter, |p| object.in_post(p))?, &object)
        }
    };
    let csv = accounts_csv(&f);
    let run = if args.output.no_store {
        None
    } else {
        let lock = case.lock_for_write(true, |msg| eprintln!("leaktrace: {msg}"))?;
        let params = serde_json::json!({
            "analysis": "first", "object": object.to_string(), "from": args.range.from, "to": args.range.to,
        });
        let summary = serde_json::json!({"posts": f.posts, "accounts": f.accounts, "tie": f.tie});
        Some(save_run(&case, &lock, "first", &params, &f, Some(&csv), summary)?)
    };
    super::present(&case, &f, run.as_ref(), args.output.json, args.output.csv.then_some(csv.as_str()), || {
        print_text(&f, args.limit)
    })
}

fn accounts_csv(f: &FirstAppearance) -> String {
    let mut w = String::from("rank,account,account_name,time,delay_s,post,kind,tied\n");
    for e in &f.order {
        w.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            e.rank,
            csv_field(&e.account),
            csv_field(e.account_name.as_deref().unwrap_or("")),
            rfc3339_ms(e.time_ms),
            e.delay_ms / 1000,
            e.id,
            e.kind,
            e.tied
        ));
    }
    w
}

fn one_line(s: &str, max: usize) -> String {
    let s: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > max { format!("{}…", s.chars().take(max - 1).collect::<String>()) } else { s }
}

fn print_text(f: &FirstAppearance, limit: usize) {
    println!("{}: {} posts by {} accounts", f.object, thousands(f.posts as i64), thousands(f.accounts as i64));
    if f.posts == 0 {
        println!("No post in the case has it.");
        return;
    }
    let minutes = f.first.iter().any(|a| a.time_resolution_s >= 60);
    println!(
        "\nFirst{}:",
        if f.tie {
            format!(
                " — a tie: {} accounts at the same time{}",
                f.first.iter().map(|a| &a.account).collect::<std::collections::BTreeSet<_>>().len(),
                if minutes { " (the source has whole minutes only)" } else { "" }
            )
        } else {
            String::new()
        }
    );
    for a in &f.first {
        println!(
            "  {}  {}  {} {} (source #{}, line {})  {}",
            rfc3339_ms(a.time_ms),
            a.account_name.as_deref().unwrap_or(&a.account),
            a.kind,
            a.id,
            a.source,
            a.line,
            one_line(&a.text, 80)
        );
    }
    println!("\nAccounts in order:\n  {:>4}  {:<20}  {:>10}  {:<24} post", "rank", "time (UTC)", "delay", "account");
    for e in f.order.iter().take(limit) {
        println!(
            "  {:>4}{} {:<20}  {:>10}  {:<24} {} {}",
            e.rank,
            if e.tied { "=" } else { " " },
            rfc3339_ms(e.time_ms),
            duration(e.delay_ms as f64),
            e.account_name.as_deref().unwrap_or(&e.account),
            e.kind,
            e.id
        );
    }
    if f.order.len() > limit {
        println!("  … {} more (--limit, --csv, --json)", f.order.len() - limit);
    }
    println!("\nCascade:\n  {:<20}  {:>6}  {:>10}  {:>8}", "time (UTC)", "posts", "cumulative", "accounts");
    let step = (f.cascade.len() / limit.max(1)).max(1);
    for (i, c) in f.cascade.iter().enumerate() {
        if i % step == 0 || i + 1 == f.cascade.len() {
            println!(
                "  {:<20}  {:>6}  {:>10}  {:>8}",
                rfc3339_ms(c.time_ms),
                c.posts,
                c.cumulative_posts,
                c.cumulative_accounts
            );
        }
    }
}
