//! `leaktrace leadlag DIR --leader SPEC --followers SPEC [--objects ..] [--permutations N] [--seed N] [--json | --csv]`

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use leaktrace_store::Case;
use leaktrace_timeline::declared::read_events;
use leaktrace_timeline::leadlag::{Baseline, LeadLag, Leader, Params, lead_lag};
use leaktrace_timeline::objects::ObjectKind;
use leaktrace_timeline::posts::{PostFilter, load_posts_where};
use leaktrace_timeline::runs::save_run;

use super::flags::{AnalysisOutput, TimeRange};

use crate::text::rfc3339_ms;
use crate::text::{csv_field, duration};

/// How fast followers act after a leader, and whether that is chance.
///
/// For every object (URL, hashtag, reposted post, …) the leader acted on,
/// the delay of each follower is the time of the follower's first action
/// on it minus the leader's first action on it. Prints n, median and
/// quartiles of the delays, how many came before, at the same time as
/// (a tie: with whole-minute data, the same minute) and after the leader,
/// and a permutation test: the median absolute delay against baselines in
/// which each follower's times are circularly shifted by a random offset
/// within the observed range (or shuffled across pairs, --baseline
/// shuffle). p is the share of baselines at least as close; a small p
/// means the followers are closer to the leader than their own rhythm
/// explains.
///
/// --leader:     ACCOUNT[,ACCOUNT…] or events:FILE (declared events, see
///               `leaktrace timeline --help`; each event is about the
///               objects in its 5th column, else its source URL)
/// --followers:  ACCOUNT[,ACCOUNT…] or a label, KEY=VALUE
///               (account_category=RightTroll); the leader's accounts are
///               never their own followers
///
/// The run is stored in the case under analyses/leadlag/<run-id>/ with its
/// parameters (and a copy of the events file).
///
/// Examples:
///   leaktrace leadlag mycase --leader ten_gop --followers account_category=RightTroll
///   leaktrace leadlag mycase --leader events:releases.csv --followers a,b,c --objects url,hashtag
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The case folder.
    pub dir: PathBuf,
    /// Leader: accounts, or events:FILE.
    #[arg(long, value_name = "SPEC")]
    pub leader: String,
    /// Followers: accounts, or KEY=VALUE of an account label.
    #[arg(long, value_name = "SPEC")]
    pub followers: String,
    /// Objects compared, comma-separated: url, hashtag, domain, text, repost.
    #[arg(long, value_name = "KINDS", default_value = "url,hashtag,repost")]
    pub objects: String,
    /// Baselines drawn for the test (0: no test).
    #[arg(long, default_value_t = 999)]
    pub permutations: u32,
    /// Seed of the baselines (the same seed gives the same p-value).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// circular-shift (default) or shuffle.
    #[arg(long, default_value = "circular-shift")]
    pub baseline: String,
    #[command(flatten)]
    pub range: TimeRange,
    #[command(flatten)]
    pub output: AnalysisOutput,
}

fn accounts(spec: &str) -> BTreeSet<String> {
    spec.split(',').map(|s| s.trim().trim_start_matches('@').to_lowercase()).filter(|s| !s.is_empty()).collect()
}

/// Accounts named by SPEC: a list, or KEY=VALUE of a label.
pub fn account_set(case: &Case, spec: &str, what: &str) -> Result<BTreeSet<String>> {
    let spec = spec.strip_prefix("label:").unwrap_or(spec);
    if let Some((key, value)) = spec.split_once('=') {
        let set: BTreeSet<String> = case
            .account_labels(key.trim())?
            .into_iter()
            .filter(|(_, v)| v.eq_ignore_ascii_case(value.trim()))
            .map(|(a, _)| a.to_lowercase())
            .collect();
        if set.is_empty() {
            let keys = case.label_keys()?;
            bail!(
                "{what} {spec}: no account in the case has label {key} = {value} (label keys: {})",
                if keys.is_empty() { "none; add them with ingest --accounts".to_string() } else { keys.join(", ") }
            );
        }
        return Ok(set);
    }
    let set = accounts(spec);
    if set.is_empty() {
        bail!("{what}: give accounts (a,b,c) or a label (KEY=VALUE)");
    }
    Ok(set)
}

pub fn run(args: Args) -> Result<()> {
    let case = Case::open(&args.dir)?;
    let mut objects = Vec::new();
    for k in args.objects.split(',').filter(|s| !s.trim().is_empty()) {
        objects.push(
            ObjectKind::parse(k)
                .ok_or_else(|| anyhow!("--objects: unknown kind {k:?} (url, hashtag, domain, text, repost)"))?,
        );
    }
    let baseline = Baseline::parse(&args.baseline).ok_or_else(|| anyhow!("--baseline: circular-shift or shuffle"))?;
    let mut leader_params = serde_json::json!({ "spec": args.leader });
    let leader = match args.leader.strip_prefix("events:") {
        Some(file) => {
            let path = PathBuf::from(file);
            let events = read_events(&path)?;
            if events.is_empty() {
                bail!("{file}: no events");
            }
            // The file as it was, so the run can be repeated after it changes.
            leader_params["events_file"] = serde_json::json!(std::fs::read_to_string(&path)?);
            leader_params["events"] = serde_json::to_value(&events)?;
            Leader::Events(events)
        }
        None => Leader::Accounts(account_set(&case, &args.leader, "--leader")?),
    };
    let followers = account_set(&case, &args.followers, "--followers")?;
    let params = Params { objects, permutations: args.permutations, seed: args.seed, baseline };
    let (from_ms, to_ms) = args.range.bounds()?;
    let filter = PostFilter { from_ms, to_ms, ..Default::default() };
    // Only the leader's and the followers' posts matter; the others are
    // passed over as they are read.
    let mut wanted = PostFilter { accounts: followers.clone(), ..Default::default() };
    if let Leader::Accounts(set) = &leader {
        wanted.accounts.extend(set.iter().cloned());
    }
    let posts = load_posts_where(&case, &filter, |p| wanted.keeps(p))?;
    let r = lead_lag(&posts, &leader, &followers, &params);
    let csv = pairs_csv(&r);
    let run = if args.output.no_store {
        None
    } else {
        let lock = case.lock_for_write(true, |msg| eprintln!("leaktrace: {msg}"))?;
        let p = serde_json::json!({
            "analysis": "leadlag",
            "leader": leader_params,
            "followers": args.followers,
            "followers_resolved": followers,
            "params": params,
            "from": args.range.from, "to": args.range.to,
        });
        let summary = serde_json::json!({
            "n": r.n,
            "median_delay_ms": r.delays.as_ref().map(|d| d.median),
            "p_value": r.test.as_ref().map(|t| t.p_value),
        });
        Some(save_run(&case, &lock, "leadlag", &p, &r, Some(&csv), summary)?)
    };
    super::present(&case, &r, run.as_ref(), args.output.json, args.output.csv.then_some(csv.as_str()), || {
        print_text(&r)
    })
}

fn pairs_csv(r: &LeadLag) -> String {
    let mut w =
        String::from("object,follower,leader_time,leader_ref,follower_time,follower_post,follower_source,delay_s\n");
    for p in &r.pairs {
        w.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            csv_field(&p.object.to_string()),
            csv_field(&p.follower),
            rfc3339_ms(p.leader_time_ms),
            csv_field(&p.leader_ref),
            rfc3339_ms(p.follower_time_ms),
            p.follower_post,
            p.follower_source,
            p.delay_ms as f64 / 1000.0
        ));
    }
    w
}

fn print_text(r: &LeadLag) {
    println!(
        "Leader objects: {} ({} also acted on by followers); followers seen: {}",
        r.leader_objects, r.shared_objects, r.followers_seen
    );
    let Some(d) = &r.delays else {
        println!("No follower acted on any of the leader's objects.");
        return;
    };
    println!(
        "Delays (n = {}): median {}, quartiles {} – {}, range {} – {}",
        d.n,
        duration(d.median),
        duration(d.q1),
        duration(d.q3),
        duration(d.min as f64),
        duration(d.max as f64)
    );
    println!("  before the leader: {}, same time: {}, after: {}", r.before, r.same_time, r.after);
    if let Some(t) = &r.test {
        println!(
            "Test ({:?} baseline, {} draws, seed {}, step {}): median |delay| {} vs baseline median {} (5th percentile {}); p = {:.4}",
            t.baseline,
            t.permutations,
            t.seed,
            duration(t.step_ms as f64),
            duration(t.observed),
            duration(t.baseline_median),
            duration(t.baseline_p05),
            t.p_value
        );
    }
    println!("\n  {:<24} {:>5} {:>14}", "follower", "n", "median delay");
    for f in r.per_follower.iter().take(30) {
        println!("  {:<24} {:>5} {:>14}", f.follower, f.n, duration(f.median_delay_ms));
    }
    if r.per_follower.len() > 30 {
        println!("  … {} more followers (--csv, --json)", r.per_follower.len() - 30);
    }
}
