//! `leaktrace demo [--case DIR]`

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use leaktrace_ingest::ParseOptions;
use leaktrace_store::Case;

use super::{clusters, info, ingest};

/// Sample data compiled into the binary (see examples/README.md for provenance).
const SAMPLE_TWEETS: (&str, &[u8]) =
    ("tweets-2016-10-06_07.csv.gz", include_bytes!("../../../../examples/ira/tweets-2016-10-06_07.csv.gz"));
const SAMPLE_AUTHORS: (&str, &[u8]) = ("authors.csv", include_bytes!("../../../../examples/ira/authors.csv"));

/// Build a case from the sample data bundled in leaktrace and show what is in it.
///
/// The sample is every tweet that a 35% sample of the Internet Research
/// Agency accounts published on 6 and 7 October 2016 (FiveThirtyEight's
/// release of the Clemson University data), with the Clemson account
/// categories, then looks for clusters of accounts that reposted, posted or
/// linked the same things within ten minutes of each other. The case is
/// written to --case (default ./demo-case); running the demo again reuses it
/// and adds nothing twice.
#[derive(clap::Args)]
pub struct Args {
    /// Where to build the demo case.
    #[arg(long, default_value = "demo-case")]
    pub case: PathBuf,
    /// No progress bars.
    #[arg(long, short)]
    pub quiet: bool,
}

fn write_sample(dir: &Path, (name, bytes): (&str, &[u8])) -> Result<PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, bytes).with_context(|| path.display().to_string())?;
    Ok(path)
}

pub fn run(args: Args) -> Result<()> {
    let case = if args.case.join("catalog.sqlite").exists() {
        println!("using the existing demo case {}", args.case.display());
        Case::open(&args.case)?
    } else {
        println!("creating the demo case {}", args.case.display());
        Case::init(&args.case)?
    };
    let samples = tempfile::tempdir().context("cannot create a temporary folder for the sample files")?;
    let tweets = write_sample(samples.path(), SAMPLE_TWEETS)?;
    let authors = write_sample(samples.path(), SAMPLE_AUTHORS)?;
    {
        let lock = case.lock_for_write(true, |msg| eprintln!("leaktrace: {msg}"))?;
        ingest::ingest_social(&case, &lock, &tweets, None, &ParseOptions::default(), false, args.quiet)?;
        ingest::ingest_accounts(&case, &lock, &authors, None)?;
    }
    println!();
    info::run(info::Args { dir: args.case.clone(), json: false, top: 8, rejects: false })?;
    println!();
    println!(
        "== Which accounts acted in concert? (co-retweet, co-tweet, co-similar-text and co-link within 10 minutes)"
    );
    println!();
    clusters::run(clusters::Args {
        dir: args.case.clone(),
        run: None,
        network: vec!["co-retweet,co-tweet,co-similar-text,co-link".into()],
        window: Some("10m".into()),
        min_weight: 2,
        similarity: 0.8,
        method: "louvain".into(),
        resolution: 1.0,
        min_size: 2,
        label: Some("account_category".into()),
        compare_label: None,
        top: 5,
        out: None,
        no_store: false,
        json: false,
    })?;
    println!();
    println!("Next: draw the network in Gephi with");
    println!("  leaktrace coord {} --network co-retweet --window 10m --out network.gexf", args.case.display());
    println!("The case folder holds the evidence byte-for-byte and tables you can open directly, e.g.");
    println!("  duckdb -c \"SELECT kind, count(*) FROM '{}/posts/*/*.parquet' GROUP BY kind\"", args.case.display());
    Ok(())
}
