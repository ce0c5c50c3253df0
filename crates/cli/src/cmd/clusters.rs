//! `leaktrace clusters DIR (--run ID | --network NAME[,NAME…] --window DURATION) [--method louvain|components] [--resolution R] [--label KEY] [--out FILE]`

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use leaktrace_coord::Params;
use leaktrace_coord::cluster::{AccountGraph, ClusterParams, Method, cluster};
use leaktrace_coord::export::{self, NodeAttrs};
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
/// co-actions, and the distribution of an account label (--label, default
/// account_category when the case has it). --compare-label KEY measures how
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
    #[arg(long, value_name = "ID", conflicts_with_all = ["network", "window"])]
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
    args.engine.spark()?;
    let case = Case::open(&args.dir)?;
    let mut params: Params = match explicit {
        Some(p) => p,
        None => {
            let id = args.run.expect("checked");
            let run = case.run(id)?.filter(|r| r.kind == leaktrace_coord::RUN_KIND);
            let run = run.with_context(|| format!("no coord run #{id} in {}", args.dir.display()))?;
            serde_json::from_value(run.params.clone()).with_context(|| format!("run #{id}: unreadable parameters"))?
        }
    };
    if args.net.no_evidence {
        params.evidence = false;
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
    let clusters = cluster(&result, &graph, &cparams, label_map.as_ref());
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
    for n in &result.networks {
        println!(
            "  {:<16} {:>12} edges {:>14} evidence rows",
            n.network.name(),
            thousands(n.edges.len() as i64),
            thousands(n.evidence.len() as i64)
        );
    }
    for c in clusters.clusters.iter().take(args.top) {
        let span = match (c.first_ms, c.last_ms) {
            (Some(a), Some(b)) => format!("{} .. {}", rfc3339_ms(a), rfc3339_ms(b)),
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
            let l: Vec<String> = c.labels.iter().take(5).map(|(v, n)| format!("{v} {n}")).collect();
            println!("  {}: {}", label_key.as_deref().unwrap_or("label"), l.join(", "));
        }
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
