//! `leaktrace coord DIR --network NAME[,NAME…] --window DURATION [--min-weight K] [--compat qut] [--engine spark …] [--out FILE]`

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use leaktrace_coord::export::{self, NodeAttrs};
use leaktrace_coord::save_run;
use leaktrace_store::Case;

use super::flags::network::{EngineArgs, NetworkArgs};

use crate::text::thousands;

/// Find accounts that acted in concert: co-action networks.
///
/// Two accounts are linked when both did the same thing to the same object
/// within --window of each other (boundary included):
///
///   co-retweet       reposted the same post
///   co-tweet         posted the same text (case, whitespace, URLs and a
///                    leading "RT @x:" ignored)
///   co-similar-text  posted near-duplicate texts (Jaccard similarity of
///                    word sets >= --similarity; MinHash/LSH candidates)
///   co-link          shared the same URL (normalised)
///   co-domain        linked to the same web domain
///   co-hashtag       used the same hashtag
///   co-mention       mentioned the same account
///   co-reply         replied to the same post
///   sync             were active in the same time buckets (of --window's
///                    size) far more often than chance (--sync-p)
///   co-image         posted the same or a near-identical image: perceptual
///                    hashes computed at ingest (Telegram photos, hashes
///                    in a CSV) at most --image-distance bits apart
///                    (default 6 of 64; re-encoded and resized copies
///                    differ by 0, small edits by a few)
///
/// Reposts count only for co-retweet. An edge's weight is the number of
/// distinct objects the two accounts co-acted on; its events, the pairs of
/// posts behind it. Edges lighter than --min-weight are dropped.
///
/// Every run is stored in the case under analyses/coord/<run-id>/
/// (edges.parquet, evidence.parquet: every pair of posts behind every edge,
/// params.json) and listed with its parameters, so it can be re-run.
///
/// --compat qut reproduces the edge lists of the QUT Coordination Network
/// Toolkit 1.5.2 exactly (co-retweet, co-tweet, co-link, co-similar-text):
/// directed edges whose weight is the number of distinct messages of the
/// source matched by the target, the toolkit's text rules, its empty-URL
/// links; with a .csv output, its columns source,target,weight,edge_type.
///
/// DURATION: seconds (60, 60s) or 10m, 1h, 2d.
///
/// Memory: the table of account pairs is built in as many passes as
/// --memory allows (default: half the memory available), so a network of
/// any size fits; more passes cost time, never change the edges.
///
/// Cache: the first run keeps the posts' accounts, times and entities,
/// already numbered, in <case>/cache/coord/, and the first co-tweet or
/// co-similar-text run the normalised texts and word sets (numbered too);
/// later runs (other windows, networks, clusters) start from there until a
/// source is added. It is derived data: delete it at will, it is rebuilt
/// when needed.
///
/// Spark: --engine spark runs the same computation as an Apache Spark job
/// (--master local[N], spark://HOST:PORT, yarn, k8s://...), for archives
/// beyond one machine. The edges and evidence are the native engine's,
/// exactly; only they come back, and the run is stored like any other.
/// Needs spark-submit (`pip install pyspark`, or SPARK_HOME) and Java 17.
/// --posts URL reads a posts table the cluster can reach (write one with
/// `leaktrace export CASE --format parquet --out DIR` and copy it there).
///
/// Examples:
///   leaktrace coord mycase --network co-retweet,co-link --window 60s --out edges.gexf
///   leaktrace coord mycase --network co-retweet --window 60 --compat qut --out qut.csv
///   leaktrace coord mycase --network co-retweet --window 60 --engine spark --master spark://head:7077 \
///       --conf spark.executor.memory=8g --posts s3a://bucket/case-posts/
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The case folder.
    pub dir: PathBuf,
    #[command(flatten)]
    pub net: NetworkArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Also write the network here: .csv, .gexf, .graphml, .parquet or .json.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Do not store the run in the case (only --out).
    #[arg(long)]
    pub no_store: bool,
    /// Fail instead of waiting when another process writes the case.
    #[arg(long)]
    pub no_wait: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// No progress display.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: Args) -> Result<()> {
    let params = args.net.params()?;
    args.net.set_memory();
    args.engine.check(&params)?;
    if let Some(out) = &args.out {
        export::Format::from_path(out)?;
    }
    let case = Case::open(&args.dir)?;
    let started = Instant::now();
    let result = args.engine.compute(&case, &params, args.quiet)?;
    let computed = started.elapsed();
    let run = if args.no_store {
        None
    } else {
        let lock = case.lock_for_write(!args.no_wait, |msg| eprintln!("leaktrace: {msg}"))?;
        Some(save_run(&case, &lock, &result)?)
    };
    if let Some(out) = &args.out {
        export::write(&result, &NodeAttrs::default(), out)?;
    }
    let summary = leaktrace_coord::results_summary(&result);
    // Everything is written; freeing millions of strings one by one would
    // only delay the exit (a fifth of a co-link run on the IRA sample).
    let posts = result.posts_read;
    let params = result.params.clone();
    std::mem::forget(result);
    if args.json {
        let mut v = summary;
        v["run"] = serde_json::json!(run.as_ref().map(|r| r.id));
        v["output"] = serde_json::json!(run.as_ref().map(|r| r.output.clone()));
        v["seconds"] = serde_json::json!(computed.as_secs_f64());
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    print_window(&params);
    println!(
        "{} posts, window {} s, min weight {}{}",
        thousands(posts as i64),
        params.window_ms as f64 / 1000.0,
        params.min_weight,
        if params.compat.is_some() { ", compat qut" } else { "" }
    );
    for n in summary["networks"].as_array().into_iter().flatten() {
        println!(
            "  {:<16} {:>10} edges  {:>8} accounts  {:>10} evidence rows",
            n["network"].as_str().unwrap_or(""),
            thousands(n["edges"].as_i64().unwrap_or(0)),
            thousands(n["accounts"].as_i64().unwrap_or(0)),
            thousands(n["evidence"].as_i64().unwrap_or(0)),
        );
        print_network_tests(n, &params);
    }
    println!("computed in {:.2} s", computed.as_secs_f64());
    if let Some(r) = &run {
        println!("stored as run #{} in {}", r.id, args.dir.join(&r.output).display());
    }
    if let Some(out) = &args.out {
        println!("wrote {}", out.display());
    }
    Ok(())
}

/// The window estimate, when the window was estimated.
pub fn print_window(params: &leaktrace_coord::Params) {
    if let Some(a) = &params.window_auto {
        println!(
            "window estimated from the data: {} s. Of {} objects acted on twice or more, the {} quickest \
             (q = {}: by the delay of their second action) passed p = {} of their actions within that time \
             (its {:.0}th percentile over them, as CooRnet estimates it)",
            params.window_ms as f64 / 1000.0,
            thousands(a.objects.unwrap_or(0) as i64),
            thousands(a.quickest.unwrap_or(0) as i64),
            a.q,
            a.p,
            a.p * 100.0
        );
    }
}

/// What the significance test and the fast window did to one network of a
/// summary (see `leaktrace_coord::results_summary`).
pub fn print_network_tests(n: &serde_json::Value, params: &leaktrace_coord::Params) {
    if let (Some(t), Some(s)) = (n.get("significance"), &params.significance) {
        println!(
            "  {:<16} {} of {} edges significant at q <= {} ({} null, {} randomisations, seed {}; \
             Benjamini-Hochberg over {} pairs that co-acted){}",
            "",
            thousands(t["significant"].as_i64().unwrap_or(0)),
            thousands(t["tested"].as_i64().unwrap_or(0)),
            s.level,
            match s.shift_max_ms {
                Some(d) => format!("shift, at most {} s,", d as f64 / 1000.0),
                None => s.null.name().to_string(),
            },
            thousands(s.randomisations as i64),
            s.seed,
            thousands(t["pairs"].as_i64().unwrap_or(0)),
            if s.flag_only { "; every edge kept, flagged by its q-value" } else { "; the others dropped" }
        );
    }
    if let (Some(f), Some(w)) = (n.get("fast_edges"), params.fast_window_ms) {
        println!(
            "  {:<16} fast sub-network: {} edges of weight {}+ within {} s",
            "",
            thousands(f.as_i64().unwrap_or(0)),
            params.min_weight,
            w as f64 / 1000.0
        );
    }
}
