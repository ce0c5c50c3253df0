//! `leaktrace clusters DIR (--run ID | --network NAME[,NAME…] --window DURATION) [--method louvain|components] [--resolution R] [--label KEY] [--out FILE]`

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use leaktrace_coord::Params;
use leaktrace_coord::cluster::{AccountGraph, ClusterParams, ClusterSummary, Method, cluster};
use leaktrace_coord::export::{self, NodeAttrs};
use leaktrace_coord::labels::{KINDS, profiles};
use leaktrace_coord::results::{LabelAgreement, StoredClusters, agreement, save_clusters, write_membership};
use leaktrace_store::Case;

use super::flags::network::{EngineArgs, NetworkArgs};
use crate::text::{rfc3339_ms, thousands};

/// Find clusters of coordinated accounts in one co-action network or several
/// combined (their edge weights summed).
///
/// Give the networks as for `leaktrace coord` (--network, --window, and
/// every other network flag, --engine spark included), or
/// --run ID to re-compute the networks of a stored coord run with its
/// stored parameters. Louvain communities (--resolution: higher gives
/// smaller clusters; every community is also split into its connected
/// parts) or plain connected components (--method components).
///
/// Per cluster: its accounts, size, density (share of its account pairs that
/// are linked), the objects most shared inside it, the time span of its
/// co-actions, the distribution of an account label (--label, default
/// account_category when the case has it), and what it is about: the
/// hashtags, words, domains and reposted accounts most distinctive of its
/// accounts' posts against the rest of the case (log-odds ratio with an
/// informative Dirichlet prior, Monroe et al. 2008; z >= 1.96), its active
/// hours (UTC) and its first and last post. --compare-label KEY measures how
/// well the clusters recover that label (adjusted Rand index and normalised
/// mutual information over the clustered accounts).
///
/// The clustering is stored in the case as a run (analyses/clusters/<id>/).
/// --out writes clusters as .json (summaries) or .csv (account,cluster,label),
/// or the network with cluster attributes as .gexf or .graphml.
///
/// Examples:
///   leaktrace clusters mycase --network co-retweet,co-tweet,co-link --window 10m --out clusters.gexf
///   leaktrace clusters mycase --run 3 --resolution 0.5 --compare-label account_category
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The case folder.
    pub dir: PathBuf,
    /// Re-compute the networks of this stored coord run.
    #[arg(long, value_name = "ID", conflicts_with_all = ["network", "window", "rapid_q", "rapid_p"])]
    pub run: Option<i64>,
    #[command(flatten)]
    pub net: NetworkArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// louvain or components.
    #[arg(long, value_name = "METHOD", default_value = "louvain")]
    pub method: String,
    /// Louvain resolution (> 0).
    #[arg(long, value_name = "R", default_value_t = 1.0, allow_hyphen_values = true)]
    pub resolution: f64,
    /// Report clusters of at least this many accounts.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub min_size: usize,
    /// Account label whose distribution to show per cluster.
    #[arg(long, value_name = "KEY")]
    pub label: Option<String>,
    /// Measure agreement of the clusters with this account label (ARI, NMI).
    #[arg(long, value_name = "KEY")]
    pub compare_label: Option<String>,
    /// Clusters to print.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Write clusters (.json, .csv) or the network with clusters (.gexf, .graphml).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Do not store the clustering in the case.
    #[arg(long)]
    pub no_store: bool,
    /// Do not profile the clusters (distinctive hashtags, words, domains and
    /// reposted accounts, active hours: one more pass over the posts).
    #[arg(long)]
    pub no_profile: bool,
    /// Print the clusters as JSON.
    #[arg(long)]
    pub json: bool,
    /// No progress display.
    #[arg(long, short)]
    pub quiet: bool,
}

fn labels(case: &Case, key: &str) -> Result<HashMap<String, String>> {
    Ok(case.account_labels(key)?.into_iter().collect())
}

pub fn run(args: Args) -> Result<()> {
    let method = Method::parse(&args.method)
        .with_context(|| format!("unknown --method {:?}; use louvain or components", args.method))?;
    if !(args.resolution > 0.0 && args.resolution.is_finite()) {
        bail!("--resolution must be positive, got {}", args.resolution);
    }
    if let Some(out) = &args.out {
        let ext = out.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !["json", "csv", "gexf", "graphml"].contains(&ext) {
            bail!("{}: unknown output format; use .json, .csv, .gexf or .graphml", out.display());
        }
    }
    let explicit = match args.run {
        Some(_) => None,
        None if args.net.given() => Some(args.net.params()?),
        None => bail!("give --network and --window, or --run ID of a stored coord run"),
    };
    if let Some(p) = &explicit {
        args.engine.check(p)?;
    }
    let case = Case::open(&args.dir)?;
    let mut params: Params = match explicit.clone() {
        Some(p) => p,
        None => {
            let id = args.run.expect("checked");
            let run = case.run(id)?.filter(|r| r.kind == leaktrace_coord::RUN_KIND);
            let run = run.with_context(|| format!("no coord run #{id} in {}", args.dir.display()))?;
            serde_json::from_value(run.params.clone()).with_context(|| format!("run #{id}: unreadable parameters"))?
        }
    };
    if explicit.is_none() {
        args.net.apply_to_stored(&mut params)?;
        args.engine.check(&params)?;
    }
    args.net.set_memory();
    let label_key = match &args.label {
        Some(k) => Some(k.clone()),
        None => case.label_keys()?.into_iter().find(|k| k == "account_category"),
    };
    let result = args.engine.compute(&case, &params, args.quiet)?;
    let graph = AccountGraph::from_result(&result);
    let cparams =
        ClusterParams { method, resolution: args.resolution, min_size: args.min_size.max(1), top_objects: 10 };
    let label_map = label_key.as_deref().map(|k| labels(&case, k)).transpose()?;
    // The parameters as computed (a window estimate filled in).
    let params = result.params.clone();
    let mut clusters = cluster(&result, &graph, &cparams, label_map.as_ref());
    if !args.no_profile {
        let cluster_of: HashMap<String, u32> =
            clusters.clusters.iter().flat_map(|c| c.accounts.iter().map(move |a| (a.clone(), c.id))).collect();
        let profiles = profiles(&case, &cluster_of, clusters.clusters.len(), TERMS_PER_KIND)?;
        for (c, p) in clusters.clusters.iter_mut().zip(profiles) {
            c.profile = Some(p);
        }
    }
    let compare = match &args.compare_label {
        Some(k) => Some(LabelAgreement { label: k.clone(), scores: agreement(&result, &clusters, &labels(&case, k)?) }),
        None => None,
    };
    let doc = StoredClusters::new(&params, cparams.clone(), &clusters, label_key.clone(), compare.clone());
    let run = if args.no_store {
        None
    } else {
        let lock = case.lock_for_write(true, |msg| eprintln!("leaktrace: {msg}"))?;
        Some(save_clusters(&case, &lock, &result, &clusters, &doc, label_map.as_ref())?)
    };
    if let Some(out) = &args.out {
        match out.extension().and_then(|e| e.to_str()).unwrap_or("") {
            "json" => std::fs::write(out, doc.to_json_pretty()?)?,
            "csv" => write_membership(&result, &clusters, label_map.as_ref(), out)?,
            _ => {
                let mut attrs = NodeAttrs::default().with_clusters(&result, &clusters);
                if let (Some(k), Some(m)) = (&label_key, &label_map) {
                    attrs = attrs.with_label(k, m.iter().map(|(a, b)| (a.clone(), b.clone())).collect());
                }
                export::write(&result, &attrs, out)?;
            }
        }
    }
    if args.json {
        print!("{}", doc.to_json_pretty()?);
        return Ok(());
    }
    let clustered: usize = clusters.clusters.iter().map(|c| c.size).sum();
    println!(
        "{} clusters of {}+ accounts ({} accounts) from {} ({:?}, resolution {})",
        thousands(clusters.clusters.len() as i64),
        cparams.min_size,
        thousands(clustered as i64),
        params.networks.iter().map(|n| n.name()).collect::<Vec<_>>().join("+"),
        method,
        cparams.resolution
    );
    super::coord::print_window(&params);
    let summary = leaktrace_coord::results_summary(&result);
    for (n, s) in result.networks.iter().zip(summary["networks"].as_array().into_iter().flatten()) {
        println!(
            "  {:<16} {:>12} edges {:>14} evidence rows",
            n.network.name(),
            thousands(n.edges.len() as i64),
            thousands(n.evidence.len() as i64)
        );
        super::coord::print_network_tests(s, &params);
    }
    for c in clusters.clusters.iter().take(args.top) {
        print_cluster(c, label_key.as_deref());
    }
    if let Some(LabelAgreement { label, scores }) = &compare {
        println!(
            "\nagreement with {label} over {} clustered accounts: ARI {:.3}, NMI {:.3}",
            scores.accounts,
            scores.ari.unwrap_or(0.0),
            scores.nmi.unwrap_or(0.0)
        );
    }
    if let Some(r) = &run {
        println!("\nstored as run #{} in {}", r.id, args.dir.join(&r.output).display());
    }
    Ok(())
}

/// Distinctive terms of a profile shown per kind.
const TERMS_PER_KIND: usize = 5;

fn print_cluster(c: &ClusterSummary, label_key: Option<&str>) {
    let span = match (c.first_ms, c.last_ms) {
        (Some(a), Some(b)) => format!("co-actions {} .. {}", rfc3339_ms(a), rfc3339_ms(b)),
        _ => "-".into(),
    };
    println!("\ncluster {}: {} accounts, density {:.2}, {}", c.id, c.size, c.density, span);
    let shown: Vec<&str> = c.accounts.iter().take(12).map(String::as_str).collect();
    println!("  accounts: {}{}", shown.join(", "), if c.size > 12 { ", ..." } else { "" });
    for (net, obj, n) in c.top_objects.iter().take(3) {
        let obj: String = obj.chars().take(70).collect();
        println!("  shared:   {net} {obj:?} ({n} accounts)");
    }
    if !c.labels.is_empty() {
        let l: Vec<String> = c
            .labels
            .iter()
            .take(5)
            .map(|(v, n)| format!("{v} {n} ({:.0}%)", 100.0 * *n as f64 / c.size.max(1) as f64))
            .collect();
        println!("  {}: {}", label_key.unwrap_or("label"), l.join(", "));
    }
    if let Some(p) = &c.profile {
        for kind in KINDS {
            let terms: Vec<String> =
                p.of_kind(kind).map(|t| format!("{} ({}, z {:.1})", t.term, t.posts, t.z)).collect();
            if !terms.is_empty() {
                let name = if kind == "account" { "reposted" } else { kind };
                println!("  {name:<9} {}", terms.join(", "));
            }
        }
        let (hours, share) = p.peak_hours();
        if let (Some(f), Some(l)) = (p.first_post_ms, p.last_post_ms) {
            println!(
                "  posts:    {} from {} to {}; half of them in the hours (UTC) {} ({:.0}%)",
                thousands(p.posts as i64),
                rfc3339_ms(f),
                rfc3339_ms(l),
                hours.iter().map(|h| format!("{h:02}")).collect::<Vec<_>>().join(" "),
                share * 100.0
            );
        }
    }
}
