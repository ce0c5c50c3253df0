//! `leaktrace demo [--case DIR]`

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use leaktrace_ingest::ParseOptions;
use leaktrace_store::Case;
use leaktrace_verify::KeyArchive;

use super::{clusters, info, ingest, ingest_mail, leadlag, search, serve, timeline, verify};

/// The networks the demo clusters on.
const DEMO_NETWORKS: &str = "co-retweet,co-tweet,co-similar-text,co-link";

/// Sample data compiled into the binary (see examples/README.md for provenance).
const SAMPLE_TWEETS: (&str, &[u8]) =
    ("tweets-2016-10-06_08.csv.gz", include_bytes!("../../../../examples/ira/tweets-2016-10-06_08.csv.gz"));
const SAMPLE_AUTHORS: (&str, &[u8]) = ("authors.csv", include_bytes!("../../../../examples/ira/authors.csv"));
const SAMPLE_EMAIL: (&str, &[u8]) = ("zobnin-2017.eml", include_bytes!("../../../../examples/mail/zobnin-2017.eml"));
/// The release the demo declares (see examples/README.md).
const SAMPLE_EVENTS: (&str, &[u8]) =
    ("podesta-2016.csv", include_bytes!("../../../../examples/events/podesta-2016.csv"));
const SAMPLE_KEY: (&str, &[u8]) = (
    "20161025._domainkey.gmail.com.txt",
    include_bytes!("../../../../examples/mail/20161025._domainkey.gmail.com.txt"),
);

/// Build a case from the sample data bundled in leaktrace, analyse it, and
/// open it in the browser.
///
/// The sample is every tweet that a 35% sample of the Internet Research
/// Agency accounts published on 6, 7 and 8 October 2016 (FiveThirtyEight's
/// release of the Clemson University data), with the Clemson account
/// categories, and a real leaked email with the archived DKIM key that
/// proves it authentic. The demo verifies the email offline, looks for
/// clusters of accounts that reposted, posted or linked the same things
/// within ten minutes of each other, declares the first release of the
/// Podesta emails (WikiLeaks, 7 October 2016, about 16:32 ET) and shows who
/// posted about it and how fast, and then serves the case (as `leaktrace
/// serve` does) and prints the URL to open. The case is written
/// to --case (default ./demo-case); running the demo again reuses it and
/// adds nothing twice.
#[derive(clap::Args)]
pub struct Args {
    /// Where to build the demo case.
    #[arg(long, default_value = "demo-case")]
    pub case: PathBuf,
    /// No progress bars.
    #[arg(long, short)]
    pub quiet: bool,
    /// Where to serve the case (port 0: any free port).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Required when --bind is not a loopback address (see `leaktrace serve --help`).
    #[arg(long, value_name = "T", env = "LEAKTRACE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Build and analyse the case, then stop instead of serving it.
    #[arg(long)]
    pub no_serve: bool,
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
    let mut bind = args.bind;
    if !args.no_serve {
        // Fail before the work if the server could not start; if the port is
        // taken (another demo still running), take any free one instead.
        leaktrace_web::check_bind(&bind, args.token.as_deref())?;
        if std::net::TcpListener::bind(bind).is_err() {
            eprintln!("leaktrace: {bind} is in use; the demo will serve on a free port instead");
            bind.set_port(0);
        }
    }
    let samples = tempfile::tempdir().context("cannot create a temporary folder for the sample files")?;
    let tweets = write_sample(samples.path(), SAMPLE_TWEETS)?;
    let authors = write_sample(samples.path(), SAMPLE_AUTHORS)?;
    let mail_dir = samples.path().join("mail");
    let keys_dir = samples.path().join("keys");
    for d in [&mail_dir, &keys_dir] {
        std::fs::create_dir_all(d).with_context(|| d.display().to_string())?;
    }
    write_sample(&mail_dir, SAMPLE_EMAIL)?;
    write_sample(&keys_dir, SAMPLE_KEY)?;
    // Kept in the case folder: the stored runs name it, and a reader can
    // run the same commands on it.
    let events = write_sample(&args.case, SAMPLE_EVENTS)?;
    {
        let lock = case.lock_for_write(true, |msg| eprintln!("leaktrace: {msg}"))?;
        ingest::ingest_social(&case, &lock, &tweets, None, &ParseOptions::default(), false, args.quiet)?;
        ingest::ingest_accounts(&case, &lock, &authors, None)?;
        ingest_mail::ingest_mail(&case, &lock, &mail_dir, args.quiet)?;
        ingest_mail::update_threads(&case, &lock)?;
        search::index_new_sources(&case, &lock, args.quiet);
    }
    println!();
    println!("== Is the leaked email authentic? (DKIM, offline, against the archived Gmail key)");
    println!();
    let keys = KeyArchive::load(&keys_dir)?;
    verify::verify_case(
        &args.case,
        keys,
        &verify::Args {
            inputs: vec![args.case.clone()],
            keys: Some(keys_dir.clone()),
            // The demo shows the key archived with the message doing the work.
            no_bundled_keys: true,
            online: false,
            dns_server: None,
            json: false,
            sort_into: None,
            mbox_variant: None,
            second_opinion: false,
            quiet: false,
        },
    )?;
    println!();
    info::run(info::Args { dir: args.case.clone(), json: false, top: 8, rejects: false })?;
    println!();
    println!(
        "== Which accounts acted in concert? (co-retweet, co-tweet, co-similar-text and co-link within 10 minutes)"
    );
    println!();
    let case = args.case.display().to_string();
    clusters::run(parsed::<clusters::Args>(&[
        &case,
        "--network",
        DEMO_NETWORKS,
        "--window",
        "10m",
        "--label",
        "account_category",
        "--top",
        "5",
    ]))?;
    println!();
    println!("== The leak's story: who posted about the declared release, and how fast?");
    println!();
    let evs = leaktrace_timeline::declared::read_events(&events)?;
    for e in &evs {
        let utc = crate::text::rfc3339_ms(e.time_ms);
        println!(
            "Declared {}: {} at {} {} UTC (written {}), {}",
            e.kind,
            e.label,
            &utc[..10],
            &utc[11..16],
            e.written,
            e.source
        );
        let objects: Vec<String> = e.objects.iter().map(|o| o.to_string()).collect();
        println!("  about: {}", objects.join(" "));
    }
    let events_arg = format!("events:{}", events.display());
    let ev_path = events.display().to_string();
    // The declared event on the case's timeline (the web UI shows it).
    timeline::run(parsed::<timeline::Args>(&[&case, "--events", &ev_path, "--no-posts", "--limit", "0"]))?;
    println!();
    leadlag::run(parsed::<leadlag::Args>(&[&case, "--leader", &events_arg]))?;
    println!();
    println!("Next: draw the network in Gephi with");
    println!("  leaktrace coord {} --network co-retweet --window 10m --out network.gexf", args.case.display());
    println!("The case folder holds the evidence byte-for-byte and tables you can open directly, e.g.");
    println!("  duckdb -c \"SELECT kind, count(*) FROM '{}/posts/*/*.parquet' GROUP BY kind\"", args.case.display());
    println!("A report to send an editor: leaktrace report {} --out report.html", args.case.display());
    if args.no_serve {
        println!("See it in the browser: leaktrace serve {}", args.case.display());
        return Ok(());
    }
    println!();
    println!("== Open this address in your browser (Ctrl-C stops the server):");
    serve::serve(&args.case, bind, args.token)
}

/// A command's arguments as the command line gives them: every flag keeps
/// the default it has there.
fn parsed<A: clap::Args>(argv: &[&str]) -> A {
    #[derive(clap::Parser)]
    struct Line<A: clap::Args> {
        #[command(flatten)]
        args: A,
    }
    <Line<A> as clap::Parser>::try_parse_from(std::iter::once("demo").chain(argv.iter().copied()))
        .expect("the demo's flags are valid")
        .args
}
