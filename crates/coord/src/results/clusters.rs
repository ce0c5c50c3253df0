//! A clustering's results in the case: `analyses/clusters/<run-id>/` holds
//! `clusters.json` (the summaries, with the parameters of the networks and
//! of the clustering), `membership.csv` (account, cluster, label), and the
//! networks behind the clusters as `edges.parquet` and `evidence.parquet`,
//! so views can draw them and show each edge's evidence.

use std::collections::HashMap;
use std::path::Path;

use leaktrace_store::{Case, RunRow, WriteLock};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{params_json, write_edges_parquet, write_evidence_parquet};
use crate::cluster::{ClusterParams, ClusterResult, ClusterSummary};
use crate::metrics::{adjusted_rand_index, normalized_mutual_info};
use crate::{CoordResult, Params, Result, io_err};

/// The `kind` of clustering runs in the catalog.
pub const CLUSTERS_RUN_KIND: &str = "clusters";

/// How well a clustering recovers an account label, over the clustered
/// accounts that have the label.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgreementScores {
    /// Clustered accounts with the label.
    pub accounts: usize,
    /// Accounts with the label in the case.
    pub labelled_accounts: usize,
    /// Adjusted Rand index (None when it is not a number).
    pub ari: Option<f64>,
    /// Normalised mutual information (None when it is not a number).
    pub nmi: Option<f64>,
}

/// The label compared with, and the scores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabelAgreement {
    pub label: String,
    pub scores: AgreementScores,
}

/// Agreement of a clustering with a label (account → value).
pub fn agreement(r: &CoordResult, c: &ClusterResult, labels: &HashMap<String, String>) -> AgreementScores {
    let pairs: Vec<(u32, String)> = c
        .membership
        .iter()
        .enumerate()
        .filter_map(|(i, m)| Some((((*m)?), labels.get(r.account(i as u32))?.clone())))
        .collect();
    let finite = |x: f64| x.is_finite().then_some(x);
    AgreementScores {
        accounts: pairs.len(),
        labelled_accounts: labels.len(),
        ari: finite(adjusted_rand_index(&pairs)),
        nmi: finite(normalized_mutual_info(&pairs)),
    }
}

/// `clusters.json`: what a clustering found and how it was made. Fields in
/// the order they are written (alphabetical).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredClusters {
    pub agreement: Option<LabelAgreement>,
    pub clustering: ClusterParams,
    pub clusters: Vec<ClusterSummary>,
    /// The label the clusters were summarised by.
    pub label: Option<String>,
    /// The networks' parameters as stored with coord runs.
    pub networks: serde_json::Value,
}

impl StoredClusters {
    pub fn new(
        params: &Params,
        clustering: ClusterParams,
        clusters: &ClusterResult,
        label: Option<String>,
        agreement: Option<LabelAgreement>,
    ) -> StoredClusters {
        StoredClusters {
            agreement,
            clustering,
            clusters: clusters.clusters.clone(),
            label,
            networks: params_json(params),
        }
    }

    /// As written to `clusters.json` and `--out FILE.json`.
    pub fn to_json_pretty(&self) -> Result<String> {
        // Through a Value, whose maps are ordered by key at every depth, as
        // the file has always been.
        Ok(serde_json::to_string_pretty(&serde_json::to_value(self)?)? + "\n")
    }
}

/// `account,cluster,label` for every clustered account.
pub fn write_membership(
    r: &CoordResult,
    c: &ClusterResult,
    labels: Option<&HashMap<String, String>>,
    path: &Path,
) -> Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(["account", "cluster", "label"])?;
    for (i, m) in c.membership.iter().enumerate() {
        if let Some(m) = m {
            let a = r.account(i as u32);
            let l = labels.and_then(|l| l.get(a)).map(String::as_str).unwrap_or("");
            w.write_record([a, &m.to_string(), l])?;
        }
    }
    w.flush().map_err(io_err(path))?;
    Ok(())
}

/// Store a clustering and the networks behind it in the case.
pub fn save_clusters(
    case: &Case,
    lock: &WriteLock,
    result: &CoordResult,
    clusters: &ClusterResult,
    doc: &StoredClusters,
    labels: Option<&HashMap<String, String>>,
) -> Result<RunRow> {
    let stored_params = json!({"networks": doc.networks, "clustering": doc.clustering});
    let summary = json!({"clusters": doc.clusters.len(), "agreement": doc.agreement});
    case.record_run(lock, CLUSTERS_RUN_KIND, &stored_params, |dir| {
        let p = dir.join("clusters.json");
        std::fs::write(&p, doc.to_json_pretty()?).map_err(io_err(&p))?;
        write_membership(result, clusters, labels, &dir.join("membership.csv"))?;
        write_edges_parquet(result, &dir.join("edges.parquet"))?;
        write_evidence_parquet(result, &dir.join("evidence.parquet"))?;
        Ok(summary)
    })
}

/// The clustering stored in a run's folder, if the run is a clustering.
pub fn load_clusters(dir: &Path) -> Result<Option<StoredClusters>> {
    let p = dir.join("clusters.json");
    if !p.exists() {
        return Ok(None);
    }
    let bytes = std::fs::read(&p).map_err(io_err(&p))?;
    Ok(Some(serde_json::from_slice(&bytes)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `clusters.json` as leaktrace wrote it before cluster profiles,
    /// significance and window estimates existed.
    const OLD: &str = r#"{
  "agreement": null,
  "clustering": {"method": "louvain", "min_size": 2, "resolution": 1.0, "top_objects": 10},
  "clusters": [{"accounts": ["a", "b"], "density": 1.0, "first_ms": 1, "id": 0, "internal_weight": 3.0,
                "labels": [["LeftTroll", 2]], "last_ms": 2, "size": 2,
                "top_objects": [["co-retweet", "post 1", 2]]}],
  "label": "account_category",
  "networks": {"compat": null, "evidence": true, "min_tokens": 5, "min_weight": 2, "networks": ["co-retweet"],
               "similarity": 0.8, "sync_max_p": 1e-6, "window_ms": 600000, "window_s": 600.0}
}"#;

    #[test]
    fn clusters_stored_before_profiles_still_read() {
        let c: StoredClusters = serde_json::from_str(OLD).unwrap();
        assert_eq!(c.clusters[0].accounts, ["a", "b"]);
        assert!(c.clusters[0].profile.is_none());
        let p: Params = serde_json::from_value(c.networks.clone()).unwrap();
        assert_eq!((p.window_ms, p.significance, p.fast_window_ms, p.window_auto), (600_000, None, None, None));
        // And what is written now reads back whole.
        let again: StoredClusters = serde_json::from_str(&c.to_json_pretty().unwrap()).unwrap();
        assert_eq!(again.clusters[0].labels, c.clusters[0].labels);
    }
}
