//! A run's results in the case: `analyses/coord/<run-id>/` holds
//! `edges.parquet`, `evidence.parquet` and `params.json`, and the catalog's
//! `runs` table lists the run with its parameters and a summary. Clustering
//! runs, which keep the same tables beside their clusters, are in
//! `clusters.rs`.

mod clusters;

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, TimestampMillisecondBuilder};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use leaktrace_store::{Case, RunRow, WriteLock};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde::Serialize;
use serde_json::json;

use crate::{CoordError, CoordResult, Network, Params, Result, io_err};

pub use clusters::{
    AgreementScores, CLUSTERS_RUN_KIND, LabelAgreement, StoredClusters, agreement, load_clusters, save_clusters,
    write_membership,
};

/// The `kind` of coordination runs in the catalog.
pub const RUN_KIND: &str = "coord";

const BATCH: usize = 64 * 1024;

pub(crate) fn edges_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("network", DataType::Utf8, false),
        Field::new("directed", DataType::Boolean, false),
        Field::new("source", DataType::Utf8, false),
        Field::new("target", DataType::Utf8, false),
        Field::new("weight", DataType::Int64, false),
        Field::new("events", DataType::Int64, false),
        Field::new("p_value", DataType::Float64, true),
        Field::new("q_value", DataType::Float64, true),
        Field::new("symmetry", DataType::Float64, true),
        Field::new("fast_weight", DataType::Int64, true),
    ]))
}

fn evidence_schema() -> SchemaRef {
    let ts = DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
    Arc::new(Schema::new(vec![
        Field::new("network", DataType::Utf8, false),
        Field::new("source", DataType::Utf8, false),
        Field::new("target", DataType::Utf8, false),
        Field::new("object", DataType::Utf8, false),
        Field::new("post_1", DataType::Int64, false),
        Field::new("time_1", ts.clone(), false),
        Field::new("post_2", DataType::Int64, false),
        Field::new("time_2", ts, false),
        Field::new("similarity", DataType::Float64, true),
    ]))
}

fn writer(path: &Path, schema: SchemaRef) -> Result<ArrowWriter<File>> {
    let file = File::create(path).map_err(io_err(path))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
        .set_created_by(leaktrace_store::TOOL_VERSION.to_string())
        .build();
    Ok(ArrowWriter::try_new(file, schema, Some(props))?)
}

/// Write the edges of every network as one Parquet table.
pub fn write_edges_parquet(r: &CoordResult, path: &Path) -> Result<()> {
    let schema = edges_schema();
    let mut w = writer(path, schema.clone())?;
    for n in &r.networks {
        for chunk in n.edges.chunks(BATCH) {
            let (mut net, mut dir, mut s, mut t) =
                (StringBuilder::new(), BooleanBuilder::new(), StringBuilder::new(), StringBuilder::new());
            let (mut wt, mut ev, mut p) = (Int64Builder::new(), Int64Builder::new(), Float64Builder::new());
            let (mut q, mut sym, mut fast) = (Float64Builder::new(), Float64Builder::new(), Int64Builder::new());
            for e in chunk {
                net.append_value(n.network.name());
                dir.append_value(n.directed);
                s.append_value(r.account(e.source));
                t.append_value(r.account(e.target));
                wt.append_value(e.weight as i64);
                ev.append_value(e.events as i64);
                p.append_option(e.p_value);
                q.append_option(e.q_value);
                sym.append_option(e.symmetry);
                fast.append_option(e.fast_weight.map(|w| w as i64));
            }
            let cols: Vec<ArrayRef> = vec![
                Arc::new(net.finish()),
                Arc::new(dir.finish()),
                Arc::new(s.finish()),
                Arc::new(t.finish()),
                Arc::new(wt.finish()),
                Arc::new(ev.finish()),
                Arc::new(p.finish()),
                Arc::new(q.finish()),
                Arc::new(sym.finish()),
                Arc::new(fast.finish()),
            ];
            w.write(&RecordBatch::try_new(schema.clone(), cols)?)?;
        }
    }
    w.close()?;
    Ok(())
}

/// Write the evidence (pairs of posts behind each edge) as Parquet.
pub fn write_evidence_parquet(r: &CoordResult, path: &Path) -> Result<u64> {
    let schema = evidence_schema();
    let mut w = writer(path, schema.clone())?;
    let p = &r.posts;
    let mut rows = 0u64;
    for n in &r.networks {
        for chunk in n.evidence.chunks(BATCH) {
            let (mut net, mut s, mut t, mut o) =
                (StringBuilder::new(), StringBuilder::new(), StringBuilder::new(), StringBuilder::new());
            let (mut p1, mut p2) = (Int64Builder::new(), Int64Builder::new());
            let mut t1 = TimestampMillisecondBuilder::new().with_timezone("UTC");
            let mut t2 = TimestampMillisecondBuilder::new().with_timezone("UTC");
            let mut sim = Float64Builder::new();
            for e in chunk {
                net.append_value(n.network.name());
                s.append_value(r.account(e.source));
                t.append_value(r.account(e.target));
                o.append_value(&n.objects[e.object as usize]);
                p1.append_value(p.id[e.post_1 as usize]);
                t1.append_value(p.time_ms[e.post_1 as usize]);
                p2.append_value(p.id[e.post_2 as usize]);
                t2.append_value(p.time_ms[e.post_2 as usize]);
                sim.append_option(e.similarity);
            }
            rows += chunk.len() as u64;
            let cols: Vec<ArrayRef> = vec![
                Arc::new(net.finish()),
                Arc::new(s.finish()),
                Arc::new(t.finish()),
                Arc::new(o.finish()),
                Arc::new(p1.finish()),
                Arc::new(t1.finish()),
                Arc::new(p2.finish()),
                Arc::new(t2.finish()),
                Arc::new(sim.finish()),
            ];
            w.write(&RecordBatch::try_new(schema.clone(), cols)?)?;
        }
    }
    w.close()?;
    Ok(rows)
}

/// The parameters as stored with a run (also readable by people).
pub fn params_json(p: &Params) -> serde_json::Value {
    let mut v = serde_json::to_value(p).expect("params serialise");
    v["window_s"] = json!(p.window_ms as f64 / 1000.0);
    v
}

/// Per network: edges, accounts with an edge, evidence rows.
pub fn summary_json(r: &CoordResult) -> serde_json::Value {
    let nets: Vec<serde_json::Value> = r
        .networks
        .iter()
        .map(|n| {
            let mut acc: Vec<u32> = n.edges.iter().flat_map(|e| [e.source, e.target]).collect();
            acc.sort_unstable();
            acc.dedup();
            let mut v = json!({
                "network": n.network.name(),
                "directed": n.directed,
                "edges": n.edges.len(),
                "accounts": acc.len(),
                "evidence": n.evidence.len(),
            });
            if let Some(t) = &n.significance {
                v["significance"] = json!(t);
            }
            if r.params.fast_window_ms.is_some() && n.network != Network::Sync {
                let fast = n.edges.iter().filter(|e| e.fast_weight.is_some_and(|w| w >= r.params.min_weight)).count();
                v["fast_edges"] = json!(fast);
            }
            v
        })
        .collect();
    let mut v = json!({ "posts": r.posts_read, "networks": nets });
    if let Some(a) = &r.params.window_auto {
        v["window_auto"] = json!(a);
    }
    if let Some(e) = &r.engine {
        v["engine"] = e.clone();
    }
    v
}

/// Store a run's results in the case and list it in the catalog.
pub fn save_run(case: &Case, lock: &WriteLock, r: &CoordResult) -> Result<RunRow> {
    let params = params_json(&r.params);
    case.record_run(lock, RUN_KIND, &params, |dir| {
        write_edges_parquet(r, &dir.join("edges.parquet"))?;
        write_evidence_parquet(r, &dir.join("evidence.parquet"))?;
        let p = dir.join("params.json");
        std::fs::write(&p, serde_json::to_string_pretty(&params)? + "\n").map_err(io_err(&p))?;
        Ok::<_, CoordError>(summary_json(r))
    })
}

/// An edge as read back from a stored run.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEdge {
    pub network: Network,
    pub directed: bool,
    pub source: String,
    pub target: String,
    pub weight: u64,
    pub events: u64,
    pub p_value: Option<f64>,
    /// The q-value of `p_value` (runs with `--significance`).
    pub q_value: Option<f64>,
    pub symmetry: Option<f64>,
    pub fast_weight: Option<u64>,
}

/// The edges of a stored run, and its parameters.
pub fn load_run(case: &Case, id: i64) -> Result<(RunRow, Vec<StoredEdge>)> {
    let run = case
        .run(id)?
        .filter(|r| r.kind == RUN_KIND)
        .ok_or_else(|| CoordError::Params(format!("no coordination run #{id} in this case")))?;
    let edges = read_edges(&case.root().join(&run.output).join("edges.parquet"))?;
    Ok((run, edges))
}

/// Read an `edges.parquet` written by [`write_edges_parquet`] (coord and
/// clusters runs both keep one). Columns are found by name: tables written
/// before `q_value`, `symmetry` and `fast_weight` existed read with them empty.
pub fn read_edges(path: &Path) -> Result<Vec<StoredEdge>> {
    let file = File::open(path).map_err(io_err(path))?;
    let mut out = Vec::new();
    for b in ParquetRecordBatchReaderBuilder::try_new(file)?.build()? {
        let b = b?;
        let col = |name: &str| b.column_by_name(name).cloned();
        let s = |n: &str| col(n).and_then(|c| c.as_any().downcast_ref::<StringArray>().cloned());
        let i64s = |n: &str| col(n).and_then(|c| c.as_any().downcast_ref::<Int64Array>().cloned());
        let f64s = |n: &str| col(n).and_then(|c| c.as_any().downcast_ref::<Float64Array>().cloned());
        let (net, src, tgt) = (s("network"), s("source"), s("target"));
        let dir = col("directed").and_then(|c| c.as_any().downcast_ref::<BooleanArray>().cloned());
        let (wt, ev, pv) = (i64s("weight"), i64s("events"), f64s("p_value"));
        let (qv, sym, fast) = (f64s("q_value"), f64s("symmetry"), i64s("fast_weight"));
        let (Some(net), Some(dir), Some(src), Some(tgt), Some(wt), Some(ev), Some(pv)) =
            (net, dir, src, tgt, wt, ev, pv)
        else {
            return Err(CoordError::Input(format!("{}: not an edges table", path.display())));
        };
        let opt_f = |a: &Option<Float64Array>, i: usize| a.as_ref().filter(|a| a.is_valid(i)).map(|a| a.value(i));
        for i in 0..b.num_rows() {
            out.push(StoredEdge {
                network: Network::parse(net.value(i))
                    .ok_or_else(|| CoordError::Input(format!("{}: unknown network", path.display())))?,
                directed: dir.value(i),
                source: src.value(i).to_string(),
                target: tgt.value(i).to_string(),
                weight: wt.value(i) as u64,
                events: ev.value(i) as u64,
                p_value: pv.is_valid(i).then(|| pv.value(i)),
                q_value: opt_f(&qv, i),
                symmetry: opt_f(&sym, i),
                fast_weight: fast.as_ref().filter(|a| a.is_valid(i)).map(|a| a.value(i) as u64),
            });
        }
    }
    Ok(out)
}

/// One co-action as read back from `evidence.parquet`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StoredEvidence {
    pub network: String,
    pub source: String,
    pub target: String,
    pub object: String,
    pub post_1: i64,
    pub time_1_ms: i64,
    pub post_2: i64,
    pub time_2_ms: i64,
    pub similarity: Option<f64>,
}

/// The co-actions in an `evidence.parquet` for which `keep(network, source,
/// target)` holds, in file order.
pub fn read_evidence(path: &Path, mut keep: impl FnMut(&str, &str, &str) -> bool) -> Result<Vec<StoredEvidence>> {
    let file = File::open(path).map_err(io_err(path))?;
    let bad = || CoordError::Input(format!("{}: not an evidence table", path.display()));
    let mut out = Vec::new();
    for b in ParquetRecordBatchReaderBuilder::try_new(file)?.build()? {
        let b = b?;
        let s = |i: usize| b.column(i).as_any().downcast_ref::<StringArray>().ok_or_else(bad);
        let n = |i: usize| b.column(i).as_any().downcast_ref::<Int64Array>().ok_or_else(bad);
        let t = |i: usize| b.column(i).as_any().downcast_ref::<TimestampMillisecondArray>().ok_or_else(bad);
        let (net, src, tgt, obj) = (s(0)?, s(1)?, s(2)?, s(3)?);
        let (p1, t1, p2, t2) = (n(4)?, t(5)?, n(6)?, t(7)?);
        let sim = b.column(8).as_any().downcast_ref::<Float64Array>().ok_or_else(bad)?;
        for i in 0..b.num_rows() {
            if !keep(net.value(i), src.value(i), tgt.value(i)) {
                continue;
            }
            out.push(StoredEvidence {
                network: net.value(i).to_string(),
                source: src.value(i).to_string(),
                target: tgt.value(i).to_string(),
                object: obj.value(i).to_string(),
                post_1: p1.value(i),
                time_1_ms: t1.value(i),
                post_2: p2.value(i),
                time_2_ms: t2.value(i),
                similarity: sim.is_valid(i).then(|| sim.value(i)),
            });
        }
    }
    Ok(out)
}
