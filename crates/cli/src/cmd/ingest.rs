//! `leaktrace ingest DIR FILE... [--format NAME] [--accounts FILE] [--quiet] [--strict]`

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use leaktrace_ingest::accounts::read_account_file;
use leaktrace_ingest::decompress::peek;
use leaktrace_ingest::social::generic::ColumnMap;
use leaktrace_ingest::time::TimeFormat;
use leaktrace_ingest::{
    Event, Format, IngestError, ParseOptions, SourceContext, detect, first_line_excerpt, open_decompressed, open_parser,
};
use leaktrace_store::{Case, SourceMeta, WriteLock};

use crate::progress::{CountingReader, bytes_bar};
use crate::text::thousands;

/// Records read before deciding that a file is not the format it seemed:
/// when every one of them is rejected, the ingest stops.
const FORMAT_PROBE: u64 = 100;
/// Rejected rows printed per file (all are counted and kept in the catalog).
const REJECTS_SHOWN: u64 = 5;

/// Add evidence files to a case.
///
/// Each file is first copied into the case byte-for-byte and hashed
/// (SHA-256); a file already in the case is skipped. Then its posts are
/// read into the case's tables. Formats are recognised from the header;
/// name one with --format when they are not:
///
///   ira538            FiveThirtyEight IRA tweets, original 21 columns
///   ira-by-author     the per-author layout of the same data
///   platform-archive  Twitter/X transparency archive CSV (tweetid, userid, ...)
///   twitter-v2        API v2 JSONL as written by twarc2
///   twitter-v1        API v1.1 JSONL
///   qut               QUT Coordination Network Toolkit input CSV
///   csv               any CSV, with --map
///   telegram          Telegram Desktop JSON export (result.json: a chat's
///                     "Export chat history", or a whole account's);
///                     photos next to it are hashed for co-image
///   bluesky           Bluesky JSON lines (Jetstream events, repository
///                     records, post views)
///   meta-cl           Meta Content Library CSV (Facebook, Instagram posts)
///   tiktok            TikTok Research API video JSON (responses or videos,
///                     one per line)
///
/// .gz and .zst files are read transparently. A malformed row is reported
/// with its line and reason, counted, and skipped; the rest of the file is
/// read (use --strict to stop at the first). If the ingest is interrupted,
/// the case keeps none of that file; run the same command again.
///
/// Examples:
///   leaktrace ingest mycase tweets.csv.gz --accounts authors.csv
///   leaktrace ingest mycase export.csv --format csv \
///       --map author=user,time=created_at,text=body --time-format '%d/%m/%Y %H:%M'
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The case folder (see `leaktrace case init`).
    pub dir: PathBuf,
    /// Files to add.
    pub files: Vec<PathBuf>,
    /// Format of FILEs, when it cannot be recognised from the header.
    #[arg(long, value_name = "NAME", value_parser = parse_format)]
    pub format: Option<Format>,
    /// A CSV of account attributes keyed by account (e.g. the Clemson authors.csv);
    /// its other columns become account labels (account_category, ...).
    #[arg(long, value_name = "FILE")]
    pub accounts: Vec<PathBuf>,
    /// Column of --accounts holding the account key (default: author_id, account,
    /// userid, user_id, author, username, screen_name or handle, else the first column).
    #[arg(long, value_name = "COLUMN")]
    pub accounts_key: Option<String>,
    /// Column mapping for --format csv: FIELD=COLUMN,... with fields id, author,
    /// author_name, time, text, language, kind, repost_of, reply_to, quote_of,
    /// target_account, urls, hashtags, mentions, followers, following,
    /// image_hashes (64-bit perceptual hashes as 16 hex digits, for co-image)
    /// (author, time and text are required).
    #[arg(long, value_name = "SPEC")]
    pub map: Option<String>,
    /// How --format csv writes times: auto, epoch, epoch_ms, or a strftime
    /// pattern such as '%Y-%m-%d %H:%M:%S' (times without a zone are UTC).
    #[arg(long, value_name = "FMT", default_value = "auto")]
    pub time_format: String,
    /// Stop at the first malformed row (nothing of that file is kept).
    #[arg(long)]
    pub strict: bool,
    /// No progress bars; only errors and the final summary lines.
    #[arg(long, short)]
    pub quiet: bool,
    /// Fail at once if another process is writing the case, instead of waiting.
    #[arg(long)]
    pub no_wait: bool,
    /// Do not add the new sources to the search index now (for very large
    /// ingests); `leaktrace search` indexes them the next time it runs.
    #[arg(long)]
    pub no_index: bool,
}

fn parse_format(s: &str) -> std::result::Result<Format, String> {
    Format::from_name(s)
        .ok_or_else(|| format!("unknown format {s:?}; one of {}", Format::ALL.map(Format::name).join(", ")))
}

pub fn run(args: Args) -> Result<()> {
    if args.files.is_empty() && args.accounts.is_empty() {
        bail!("nothing to ingest: give FILEs and/or --accounts FILE");
    }
    if args.map.is_some() && args.format.is_some_and(|f| f != Format::Csv) {
        bail!("--map goes with --format csv");
    }
    let map = match &args.map {
        Some(spec) => Some(ColumnMap::parse(spec, TimeFormat::parse_arg(&args.time_format))?),
        None => None,
    };
    let format = match (&map, args.format) {
        (Some(_), None) => Some(Format::Csv),
        (_, f) => f,
    };
    for f in args.files.iter().chain(&args.accounts) {
        if !(f.is_file() || f.is_dir() && leaktrace_ingest::mail::is_mail(f)) {
            bail!("{}: no such file", f.display());
        }
    }
    let case = Case::open(&args.dir)?;
    let lock = case.lock_for_write(!args.no_wait, |msg| eprintln!("leaktrace: {msg}"))?;
    let opts = ParseOptions { map };
    let mut failed = 0;
    let mut mail = false;
    for file in &args.files {
        let added = if crate::cmd::ingest_article::is_article(file, format) {
            crate::cmd::ingest_article::ingest_article(&case, &lock, file)
        } else if format.is_none() && leaktrace_ingest::mail::is_mail(file) {
            mail = true;
            crate::cmd::ingest_mail::ingest_mail(&case, &lock, file, args.quiet)
        } else {
            ingest_social(&case, &lock, file, format, &opts, args.strict, args.quiet)
        };
        if let Err(e) = added {
            eprintln!("leaktrace: error: {e:#}");
            failed += 1;
        }
    }
    for file in &args.accounts {
        if let Err(e) = ingest_accounts(&case, &lock, file, args.accounts_key.as_deref()) {
            eprintln!("leaktrace: error: {e:#}");
            failed += 1;
        }
    }
    if mail {
        // Once for all the mailboxes: a new one can join threads of earlier ones.
        crate::cmd::ingest_mail::update_threads(&case, &lock)?;
    }
    if !args.no_index {
        crate::cmd::search::index_new_sources(&case, &lock, args.quiet);
    }
    if failed > 0 {
        bail!("{failed} of {} files were not ingested (see above)", args.files.len() + args.accounts.len());
    }
    Ok(())
}

/// Store the original and return its custody record, or `None` (after
/// saying so) when the case already holds the same bytes.
fn store_original(case: &Case, lock: &WriteLock, file: &Path) -> Result<Option<leaktrace_store::StoredFile>> {
    let stored = case.store_evidence(lock, file)?;
    if let Some(existing) = case.source_by_sha(&stored.sha256_hex)? {
        println!(
            "{}: already in the case as source #{} ({}, sha256 {}); nothing added",
            file.display(),
            existing.id,
            existing.path,
            &stored.sha256_hex[..16]
        );
        return Ok(None);
    }
    Ok(Some(stored))
}

/// Read one social-media file into the case. Used by `ingest` and `demo`.
pub fn ingest_social(
    case: &Case,
    lock: &WriteLock,
    file: &Path,
    format: Option<Format>,
    opts: &ParseOptions,
    strict: bool,
    quiet: bool,
) -> Result<()> {
    let display = file.display().to_string();
    let Some(stored) = store_original(case, lock, file)? else { return Ok(()) };
    let started = Instant::now();
    let raw =
        File::open(&stored.path).with_context(|| format!("{}: cannot read stored copy", stored.path.display()))?;
    let (counting, read_bytes) = CountingReader::new(raw);
    let (compression, input) = open_decompressed(Box::new(counting)).with_context(|| display.clone())?;
    let (head, input) =
        peek(input, 64 * 1024).map_err(|(e, line)| leaktrace_ingest::csvsrc::read_stopped(&display, line, &e))?;
    let format = match format.or_else(|| detect(&head)) {
        Some(f) => f,
        None => {
            return Err(IngestError::Undetected {
                file: display,
                found: first_line_excerpt(&head),
                names: Format::ALL.map(Format::name).join(", "),
            }
            .into());
        }
    };
    // Media paths in an export are relative to the file as the user gave it
    // (a Telegram export's photos/ beside result.json).
    let mut ctx = SourceContext::new(display.clone(), stored.sha256);
    if let Some(dir) = file.parent() {
        ctx = ctx.with_media_dir(if dir.as_os_str().is_empty() { Path::new(".") } else { dir });
    }
    let events = open_parser(format, input, &ctx, opts)?;
    let meta = SourceMeta {
        path: display.clone(),
        sha256_hex: stored.sha256_hex.clone(),
        size: stored.size,
        kind: "social".into(),
        format: format.name().into(),
        compression: compression.name().into(),
    };
    let mut writer = case.begin_source(lock, meta)?;
    let bar = bytes_bar(stored.size, &display, quiet);
    let mut first_reject: Option<String> = None;
    for (n, event) in events.enumerate() {
        match event? {
            Event::Post(p) => writer.add_post(p)?,
            Event::Account(a) => writer.add_account(a),
            Event::Reject(r) => {
                let msg = format!("{display}: line {}: {}", r.line, r.reason);
                if strict {
                    bar.finish_and_clear();
                    bail!("{msg} (--strict: nothing of this file was kept)");
                }
                if writer.rejected() < REJECTS_SHOWN {
                    bar.suspend(|| eprintln!("leaktrace: rejected {msg}"));
                }
                first_reject.get_or_insert(msg);
                writer.add_reject(r.line, r.reason);
            }
        }
        if writer.posts() == 0 && writer.rejected() >= FORMAT_PROBE {
            bar.finish_and_clear();
            bail!(
                "{display}: not {format} input: the first {FORMAT_PROBE} records were all rejected (first: {}); expected {}",
                first_reject.unwrap_or_default(),
                format.expectation()
            );
        }
        if n % 8192 == 0 {
            bar.set_position(read_bytes.load(Ordering::Relaxed));
            let secs = started.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!(
                "{} posts ({}/s)",
                thousands(writer.posts() as i64),
                thousands((writer.posts() as f64 / secs) as i64)
            ));
        }
    }
    let added = writer.finish()?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{display}: added source #{} ({format}, sha256 {}): {} posts from {} records, {} rejected, in {:.1} s ({}/s)",
        added.id,
        &stored.sha256_hex[..16],
        thousands(added.posts as i64),
        thousands(added.rows as i64),
        thousands(added.rejected as i64),
        secs,
        thousands((added.posts as f64 / secs.max(1e-3)) as i64),
    );
    let skipped = ctx.skipped.load(Ordering::Relaxed);
    if skipped > 0 {
        println!("  {} service messages (joins, pins, calls) are not posts: skipped", thousands(skipped as i64));
    }
    let (hashed, failed) = (ctx.media.hashed.load(Ordering::Relaxed), ctx.media.failed.load(Ordering::Relaxed));
    if hashed + failed > 0 {
        let first = ctx.media.first_failure.lock().map(|f| f.clone()).unwrap_or_default();
        let why = first.map(|f| format!(" (first: {f})")).unwrap_or_default();
        println!(
            "  {} images hashed for co-image, {} could not be read{why}",
            thousands(hashed as i64),
            thousands(failed as i64)
        );
    }
    if added.rejected > REJECTS_SHOWN {
        println!("  (all rejected rows are listed by `leaktrace info {} --rejects`)", case.root().display());
    }
    Ok(())
}

/// Read an account attribute file into the case's account labels.
pub fn ingest_accounts(case: &Case, lock: &WriteLock, file: &Path, key: Option<&str>) -> Result<()> {
    let display = file.display().to_string();
    let Some(stored) = store_original(case, lock, file)? else { return Ok(()) };
    let raw =
        File::open(&stored.path).with_context(|| format!("{}: cannot read stored copy", stored.path.display()))?;
    let (compression, input) = open_decompressed(Box::new(raw)).with_context(|| display.clone())?;
    let parsed = read_account_file(input, &display, key)?;
    for r in parsed.rejects.iter().take(REJECTS_SHOWN as usize) {
        eprintln!("leaktrace: rejected {display}: line {}: {}", r.line, r.reason);
    }
    let meta = SourceMeta {
        path: display.clone(),
        sha256_hex: stored.sha256_hex.clone(),
        size: stored.size,
        kind: "accounts".into(),
        format: "accounts-csv".into(),
        compression: compression.name().into(),
    };
    let rejects: Vec<(u64, String)> = parsed.rejects.iter().map(|r| (r.line, r.reason.clone())).collect();
    let id = case.add_account_labels(lock, meta, &parsed.accounts, &rejects)?;
    println!(
        "{display}: added source #{id} (account labels keyed by {}, sha256 {}): {} accounts, {} rejected",
        parsed.key_column,
        &stored.sha256_hex[..16],
        thousands(parsed.accounts.len() as i64),
        thousands(rejects.len() as i64)
    );
    Ok(())
}
