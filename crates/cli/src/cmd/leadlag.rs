//! `leaktrace leadlag DIR --leader SPEC --followers SPEC [--objects ..] [--permutations N] [--seed N] [--json | --csv]`

use std::collections::BTreeSet;
use std::path::PathBuf;

use std::collections::HashMap;

use anyhow::{Context, Result, anyhow, bail};
use leaktrace_coord::results::{CLUSTERS_RUN_KIND, load_clusters};
use leaktrace_search::PostQuery;
use leaktrace_store::Case;
use leaktrace_timeline::amplification::{self, Row};
use leaktrace_timeline::declared::read_events;
use leaktrace_timeline::leadlag::{Baseline, LeadLag, Leader, Params, lead_lag_of};
use leaktrace_timeline::objects::{Object, ObjectKind, objects_of};
use leaktrace_timeline::posts::{CasePost, PostFilter, load_posts_where};
use leaktrace_timeline::runs::save_run;
use leaktrace_timeline::select;

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
///               (account_category=RightTroll), or all (the default with
///               events:FILE); the leader's accounts are never their own
///               followers
///
/// With events:FILE, an amplification table too: for each declared event
/// and each of its objects (and all of them together), the accounts whose
/// first post on it came at or after the event, their delays, their
/// audience (followers at that post, when the source has it), how many of
/// them are in a cluster of the newest clustering run (or --clusters ID),
/// and the test above for that object. Objects: #hashtag, url:…, domain:…,
/// word:W (posts whose text has the word), repost:ID, text:….
///
/// The posts are found through the search index when it covers the case
/// (only they are read), else by reading every post.
///
/// The run is stored in the case under analyses/leadlag/<run-id>/ with its
/// parameters (and a copy of the events file).
///
/// Examples:
///   leaktrace leadlag mycase --leader ten_gop --followers account_category=RightTroll
///   leaktrace leadlag mycase --leader events:releases.csv --followers a,b,c --objects url,hashtag
///   leaktrace leadlag mycase --leader events:examples/events/podesta-2016.csv
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The case folder.
    pub dir: PathBuf,
    /// Leader: accounts, or events:FILE.
    #[arg(long, value_name = "SPEC")]
    pub leader: String,
    /// Followers: accounts, KEY=VALUE of an account label, or all [default with events:FILE].
    #[arg(long, value_name = "SPEC")]
    pub followers: Option<String>,
    /// The clustering whose clusters the amplification table counts
    /// followers in [default: the newest clusters run].
    #[arg(long, value_name = "ID")]
    pub clusters: Option<i64>,
    /// Objects compared, comma-separated: url, hashtag, domain, text, repost, word.
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
                .ok_or_else(|| anyhow!("--objects: unknown kind {k:?} (url, hashtag, domain, text, repost, word)"))?,
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
    let events = matches!(leader, Leader::Events(_));
    let followers: Option<BTreeSet<String>> = match args.followers.as_deref().map(str::trim) {
        None | Some("all") if events => None,
        None | Some("all") => {
            bail!("--followers: give accounts (a,b,c) or a label (KEY=VALUE); all is for --leader events:FILE")
        }
        Some(spec) => Some(account_set(&case, spec, "--followers")?),
    };
    let params = Params { objects, permutations: args.permutations, seed: args.seed, baseline };
    let (from_ms, to_ms) = args.range.bounds()?;
    let clusters = if events { cluster_membership(&case, args.clusters)? } else { None };
    let filter = PostFilter { from_ms, to_ms, ..Default::default() };
    let posts = match indexed_posts(&case, &leader, followers.as_ref(), &params, &filter)? {
        Some(p) => p,
        None => {
            super::slow_read_note(&case);
            // Only the leader's and the followers' posts matter; the others
            // are passed over as they are read.
            let mut wanted = PostFilter { accounts: followers.clone().unwrap_or_default(), ..Default::default() };
            if let Leader::Accounts(set) = &leader {
                wanted.accounts.extend(set.iter().cloned());
            }
            let event_objects: Vec<Object> = match &leader {
                Leader::Events(evs) => evs.iter().flat_map(|e| e.objects.iter().cloned()).collect(),
                Leader::Accounts(_) => Vec::new(),
            };
            load_posts_where(&case, &filter, |p| {
                (followers.is_none() || wanted.keeps(p)) && (!events || event_objects.iter().any(|o| o.in_post(p)))
            })?
        }
    };
    let mut r = lead_lag_of(&posts, &leader, followers.as_ref(), &params);
    if let Leader::Events(evs) = &leader {
        // With every account following, the lead/lag just computed is the
        // table's row of all the objects of a single event.
        let whole = followers.is_none().then_some(&r);
        let rows = amplification::table(&posts, evs, clusters.as_ref().map(|c| &c.1), &params, whole);
        r.amplification = rows;
    }
    let csv = pairs_csv(&r);
    let run = if args.output.no_store {
        None
    } else {
        let lock = case.lock_for_write(true, |msg| eprintln!("leaktrace: {msg}"))?;
        let p = serde_json::json!({
            "analysis": "leadlag",
            "leader": leader_params,
            "followers": args.followers.as_deref().unwrap_or("all"),
            "followers_resolved": followers,
            "clusters_run": clusters.as_ref().map(|c| c.0),
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
        print_text(&r);
        if !r.amplification.is_empty() {
            print_amplification(&r.amplification, clusters.as_ref().map(|c| c.0), 12);
        }
    })
}

/// The newest clustering run (or run `id`): its id and each clustered
/// account's cluster.
pub fn cluster_membership(case: &Case, id: Option<i64>) -> Result<Option<(i64, HashMap<String, u32>)>> {
    let mut runs: Vec<_> = case.runs()?.into_iter().filter(|r| r.kind == CLUSTERS_RUN_KIND).collect();
    runs.sort_by_key(|r| std::cmp::Reverse(r.id));
    let run = match id {
        Some(id) => {
            Some(runs.into_iter().find(|r| r.id == id).with_context(|| format!("--clusters: no clusters run #{id}"))?)
        }
        None => runs.into_iter().next(),
    };
    let Some(run) = run else { return Ok(None) };
    let Some(doc) = load_clusters(&case.root().join(&run.output))? else { return Ok(None) };
    let map = doc.clusters.iter().flat_map(|c| c.accounts.iter().map(move |a| (a.clone(), c.id))).collect();
    Ok(Some((run.id, map)))
}

/// The posts lead/lag needs, found through the search index: with events,
/// the posts on their objects; with leader accounts, their posts, then
/// the followers' posts on the objects those have. `None` when the index
/// cannot answer (missing, stale, or an object it cannot find).
fn indexed_posts(
    case: &Case,
    leader: &Leader,
    followers: Option<&BTreeSet<String>>,
    params: &Params,
    filter: &PostFilter,
) -> Result<Option<Vec<CasePost>>> {
    let Some(ix) = select::index(case)? else { return Ok(None) };
    // Texts are read only when objects are made from them.
    let text = match leader {
        Leader::Events(evs) => evs.iter().any(|e| select::needs_text(&e.objects)),
        Leader::Accounts(_) => params.objects.iter().any(|k| matches!(k, ObjectKind::Text | ObjectKind::Word)),
    };
    let accounts = |s: Option<&BTreeSet<String>>| s.map(|s| s.iter().cloned().collect()).unwrap_or_default();
    let terms = |objects: &mut dyn Iterator<Item = &Object>| objects.map(select::term_of).collect::<Option<Vec<_>>>();
    let mut rows = Vec::new();
    match leader {
        Leader::Events(evs) => {
            let Some(any) = terms(&mut evs.iter().flat_map(|e| e.objects.iter())) else { return Ok(None) };
            rows.extend(ix.post_rows(case, &PostQuery { any, accounts: accounts(followers), query: None })?);
        }
        Leader::Accounts(set) => {
            let mine = ix.post_rows(case, &PostQuery { any: vec![], accounts: accounts(Some(set)), query: None })?;
            let mut objects: BTreeSet<Object> = BTreeSet::new();
            for cp in select::read_rows_with(case, &mine, select::LEAD_LAG_COLUMNS, text)?
                .iter()
                .filter(|cp| filter.keeps(&cp.post))
            {
                objects.extend(objects_of(&cp.post, &params.objects));
            }
            let Some(any) = terms(&mut objects.iter()) else { return Ok(None) };
            if !any.is_empty() {
                rows.extend(ix.post_rows(case, &PostQuery { any, accounts: accounts(followers), query: None })?);
            }
            rows.extend(mine);
        }
    }
    rows.sort_unstable();
    rows.dedup();
    // For declared events, only what their objects are found in, and what
    // a pair shows (post, account, time, audience); every column read costs
    // a page for each post.
    let columns: Vec<&str> = match leader {
        Leader::Events(evs) => {
            let mut c = vec!["id", "account", "time", "time_resolution_s", "followers"];
            if followers.is_some() {
                c.push("account_name");
            }
            let objects: Vec<Object> = evs.iter().flat_map(|e| e.objects.iter().cloned()).collect();
            select::add_object_columns(&mut c, &objects);
            c
        }
        Leader::Accounts(_) => select::LEAD_LAG_COLUMNS.to_vec(),
    };
    let mut posts = select::read_rows_with(case, &rows, &columns, text)?;
    posts.retain(|cp| filter.keeps(&cp.post));
    Ok(Some(posts))
}

fn print_amplification(rows: &[Row], clusters_run: Option<i64>, shown: usize) {
    println!(
        "\nAmplification of the declared events: followers are accounts whose first post on the object came \
         at or after the event (before: had posted on it already); first and median delay after the event; \
         audience: their followers at that post; p: the test above, per object"
    );
    println!(
        "  {:<34} {:>9} {:>7} {:>12} {:>12} {:>10} {:>11} {:>7}",
        "event / object", "followers", "before", "first", "median", "audience", "in clusters", "p"
    );
    let mut last_event = "";
    for r in rows {
        if r.event != last_event {
            println!("  {} ({})", r.event, rfc3339_ms(r.event_time_ms));
            last_event = &r.event;
        }
        let what = r.object.as_ref().map_or("any of them".to_string(), |o| o.to_string());
        let d = r.delays.as_ref();
        println!(
            "    {:<32} {:>9} {:>7} {:>12} {:>12} {:>10} {:>11} {:>7}",
            what.chars().take(32).collect::<String>(),
            r.followers,
            r.before,
            d.map_or("-".into(), |d| duration(d.min as f64)),
            d.map_or("-".into(), |d| duration(d.median)),
            r.audience.map_or("-".into(), |a| a.to_string()),
            match (r.in_clusters, r.followers) {
                (Some(n), f) if f > 0 => format!("{n} ({:.0}%)", 100.0 * n as f64 / f as f64),
                (Some(n), _) => n.to_string(),
                (None, _) => "-".into(),
            },
            r.test.as_ref().map_or("-".into(), |t| format!("{:.3}", t.p_value))
        );
        for f in r.accounts.iter().take(shown) {
            println!(
                "      {:<24} {}  +{}{}",
                f.account,
                rfc3339_ms(f.time_ms),
                duration(f.delay_ms as f64),
                f.cluster.map(|c| format!("  cluster {c}")).unwrap_or_default()
            );
        }
        if r.accounts.len() > shown {
            println!("      … {} more (--json)", r.accounts.len() - shown);
        }
    }
    match clusters_run {
        Some(id) => println!("  (clusters: clustering run #{id})"),
        None => println!("  (no clustering run in the case: `leaktrace clusters` counts followers in clusters)"),
    }
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
