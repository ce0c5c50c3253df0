//! Network exports: edge CSV, GEXF 1.3 (Gephi), GraphML, Parquet, JSON.
//!
//! GEXF is written here: the Rust GEXF crates are unmaintained, and the
//! format needs only a few elements. Nodes carry the account handle as
//! label and, when given, the cluster and label attributes; edges carry
//! `weight` (Gephi reads it as the edge weight), `events` and `network`,
//! and, when the run computed them, `p_value`, `q_value`, `symmetry` and
//! `fast_weight`.

use std::io::Write;
use std::path::Path;

use std::collections::HashMap;

use crate::cluster::ClusterResult;
use crate::{Compat, CoordError, CoordResult, Result, io_err, qut};

/// Output formats, chosen by file extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Gexf,
    Graphml,
    Parquet,
    Json,
}

impl Format {
    pub fn from_path(p: &Path) -> Result<Format> {
        let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        Ok(match ext.as_str() {
            "csv" => Format::Csv,
            "gexf" => Format::Gexf,
            "graphml" => Format::Graphml,
            "parquet" => Format::Parquet,
            "json" => Format::Json,
            _ => {
                return Err(CoordError::Params(format!(
                    "{}: unknown output format; use .csv, .gexf, .graphml, .parquet or .json",
                    p.display()
                )));
            }
        })
    }
}

/// Node attributes for exports: per account, the value of each attribute.
#[derive(Clone, Debug, Default)]
pub struct NodeAttrs {
    /// (attribute name, account key → value)
    pub columns: Vec<(String, HashMap<String, String>)>,
}

impl NodeAttrs {
    /// Cluster ids from a clustering, as attribute `cluster`.
    pub fn with_clusters(mut self, r: &CoordResult, c: &ClusterResult) -> NodeAttrs {
        let m = c
            .membership
            .iter()
            .enumerate()
            .filter_map(|(i, x)| x.map(|x| (r.account(i as u32).to_string(), x.to_string())))
            .collect();
        self.columns.push(("cluster".into(), m));
        self
    }

    pub fn with_label(mut self, key: &str, values: HashMap<String, String>) -> NodeAttrs {
        self.columns.push((key.to_string(), values));
        self
    }
}

fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            // Characters XML 1.0 cannot hold at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => o.push('\u{fffd}'),
            c => o.push(c),
        }
    }
    o
}

/// Accounts that appear in at least one edge, in account order.
fn nodes(r: &CoordResult) -> Vec<u32> {
    let mut v: Vec<u32> = r.networks.iter().flat_map(|n| n.edges.iter().flat_map(|e| [e.source, e.target])).collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn directed(r: &CoordResult) -> bool {
    r.networks.iter().any(|n| n.directed)
}

/// Write the result in the format of `path`'s extension.
pub fn write(r: &CoordResult, attrs: &NodeAttrs, path: &Path) -> Result<()> {
    let fmt = Format::from_path(path)?;
    if fmt == Format::Parquet {
        return crate::results::write_edges_parquet(r, path);
    }
    let file = std::fs::File::create(path).map_err(io_err(path))?;
    let mut w = std::io::BufWriter::new(file);
    match fmt {
        Format::Csv if r.params.compat == Some(Compat::Qut) => qut::write_edges_csv(r, &mut w)?,
        Format::Csv => write_csv(r, &mut w)?,
        Format::Gexf => write_gexf(r, attrs, &mut w).map_err(io_err(path))?,
        Format::Graphml => write_graphml(r, attrs, &mut w).map_err(io_err(path))?,
        Format::Json => write_json(r, attrs, &mut w)?,
        Format::Parquet => unreachable!(),
    }
    w.flush().map_err(io_err(path))?;
    Ok(())
}

/// The columns of the edge CSV.
pub const CSV_COLUMNS: [&str; 9] =
    ["network", "source", "target", "weight", "events", "p_value", "q_value", "symmetry", "fast_weight"];

/// One row per edge, [`CSV_COLUMNS`]; a value the run did not compute is empty.
pub fn write_csv(r: &CoordResult, out: impl Write) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(CSV_COLUMNS)?;
    let float = |x: Option<f64>| x.map(|p| format!("{p:e}")).unwrap_or_default();
    for n in &r.networks {
        for e in &n.edges {
            w.write_record([
                n.network.name(),
                r.account(e.source),
                r.account(e.target),
                &e.weight.to_string(),
                &e.events.to_string(),
                &float(e.p_value),
                &float(e.q_value),
                &e.symmetry.map(|s| format!("{s:.4}")).unwrap_or_default(),
                &e.fast_weight.map(|f| f.to_string()).unwrap_or_default(),
            ])?;
        }
    }
    w.flush().map_err(csv::Error::from)?;
    Ok(())
}

fn label(r: &CoordResult, a: u32) -> &str {
    r.posts.account_names[a as usize].as_deref().unwrap_or(r.account(a))
}

/// Edge attributes beyond weight and events, with their GEXF types.
const EDGE_EXTRAS: [(&str, &str); 4] =
    [("p_value", "double"), ("q_value", "double"), ("symmetry", "double"), ("fast_weight", "long")];

/// The extra attributes an edge has values for.
fn extras(e: &crate::Edge) -> Vec<(&'static str, String)> {
    let mut v = Vec::new();
    if let Some(p) = e.p_value {
        v.push(("p_value", format!("{p:e}")));
    }
    if let Some(q) = e.q_value {
        v.push(("q_value", format!("{q:e}")));
    }
    if let Some(s) = e.symmetry {
        v.push(("symmetry", format!("{s:.4}")));
    }
    if let Some(f) = e.fast_weight {
        v.push(("fast_weight", f.to_string()));
    }
    v
}

/// GEXF 1.3: one node per account with an edge, one edge per network edge
/// (parallel edges of different networks have distinct ids and a `network`
/// attribute; Gephi merges or keeps them as the user chooses on import).
pub fn write_gexf(r: &CoordResult, attrs: &NodeAttrs, mut w: impl Write) -> std::io::Result<()> {
    let kind = if directed(r) { "directed" } else { "undirected" };
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        w,
        r#"<gexf xmlns="http://gexf.net/1.3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd" version="1.3">"#
    )?;
    writeln!(
        w,
        "  <meta><creator>{}</creator><description>co-action network</description></meta>",
        xml_escape(leaktrace_store::TOOL_VERSION)
    )?;
    writeln!(w, r#"  <graph mode="static" defaultedgetype="{kind}">"#)?;
    writeln!(w, r#"    <attributes class="node">"#)?;
    writeln!(w, r#"      <attribute id="account" title="account" type="string"/>"#)?;
    for (i, (name, _)) in attrs.columns.iter().enumerate() {
        writeln!(w, r#"      <attribute id="a{i}" title="{}" type="string"/>"#, xml_escape(name))?;
    }
    writeln!(w, "    </attributes>")?;
    writeln!(w, r#"    <attributes class="edge">"#)?;
    writeln!(w, r#"      <attribute id="network" title="network" type="string"/>"#)?;
    writeln!(w, r#"      <attribute id="events" title="events" type="long"/>"#)?;
    for (id, ty) in EDGE_EXTRAS {
        writeln!(w, r#"      <attribute id="{id}" title="{id}" type="{ty}"/>"#)?;
    }
    writeln!(w, "    </attributes>")?;
    writeln!(w, "    <nodes>")?;
    for a in nodes(r) {
        let key = r.account(a);
        writeln!(w, r#"      <node id="{a}" label="{}">"#, xml_escape(label(r, a)))?;
        writeln!(w, "        <attvalues>")?;
        writeln!(w, r#"          <attvalue for="account" value="{}"/>"#, xml_escape(key))?;
        for (i, (_, m)) in attrs.columns.iter().enumerate() {
            if let Some(v) = m.get(key) {
                writeln!(w, r#"          <attvalue for="a{i}" value="{}"/>"#, xml_escape(v))?;
            }
        }
        writeln!(w, "        </attvalues>")?;
        writeln!(w, "      </node>")?;
    }
    writeln!(w, "    </nodes>")?;
    writeln!(w, "    <edges>")?;
    let mut id = 0u64;
    for n in &r.networks {
        for e in &n.edges {
            let extras: String =
                extras(e).into_iter().map(|(k, v)| format!(r#"<attvalue for="{k}" value="{v}"/>"#)).collect();
            writeln!(
                w,
                r#"      <edge id="{id}" source="{}" target="{}" weight="{}"><attvalues><attvalue for="network" value="{}"/><attvalue for="events" value="{}"/>{extras}</attvalues></edge>"#,
                e.source,
                e.target,
                e.weight,
                n.network.name(),
                e.events
            )?;
            id += 1;
        }
    }
    writeln!(w, "    </edges>")?;
    writeln!(w, "  </graph>")?;
    writeln!(w, "</gexf>")?;
    Ok(())
}

/// GraphML with `weight`, `events` and `network` on edges and the account,
/// handle and given attributes on nodes.
pub fn write_graphml(r: &CoordResult, attrs: &NodeAttrs, mut w: impl Write) -> std::io::Result<()> {
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        w,
        r#"<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">"#
    )?;
    writeln!(w, r#"  <key id="label" for="node" attr.name="label" attr.type="string"/>"#)?;
    for (i, (name, _)) in attrs.columns.iter().enumerate() {
        writeln!(w, r#"  <key id="a{i}" for="node" attr.name="{}" attr.type="string"/>"#, xml_escape(name))?;
    }
    writeln!(w, r#"  <key id="weight" for="edge" attr.name="weight" attr.type="long"/>"#)?;
    writeln!(w, r#"  <key id="events" for="edge" attr.name="events" attr.type="long"/>"#)?;
    writeln!(w, r#"  <key id="network" for="edge" attr.name="network" attr.type="string"/>"#)?;
    for (id, ty) in EDGE_EXTRAS {
        writeln!(w, r#"  <key id="{id}" for="edge" attr.name="{id}" attr.type="{ty}"/>"#)?;
    }
    let kind = if directed(r) { "directed" } else { "undirected" };
    writeln!(w, r#"  <graph id="G" edgedefault="{kind}">"#)?;
    for a in nodes(r) {
        let key = r.account(a);
        write!(w, r#"    <node id="{}"><data key="label">{}</data>"#, xml_escape(key), xml_escape(label(r, a)))?;
        for (i, (_, m)) in attrs.columns.iter().enumerate() {
            if let Some(v) = m.get(key) {
                write!(w, r#"<data key="a{i}">{}</data>"#, xml_escape(v))?;
            }
        }
        writeln!(w, "</node>")?;
    }
    for n in &r.networks {
        for e in &n.edges {
            let extras: String = extras(e).into_iter().map(|(k, v)| format!(r#"<data key="{k}">{v}</data>"#)).collect();
            writeln!(
                w,
                r#"    <edge source="{}" target="{}"><data key="weight">{}</data><data key="events">{}</data><data key="network">{}</data>{extras}</edge>"#,
                xml_escape(r.account(e.source)),
                xml_escape(r.account(e.target)),
                e.weight,
                e.events,
                n.network.name()
            )?;
        }
    }
    writeln!(w, "  </graph>")?;
    writeln!(w, "</graphml>")?;
    Ok(())
}

/// One JSON object: parameters, nodes (with attributes) and edges.
pub fn write_json(r: &CoordResult, attrs: &NodeAttrs, w: impl Write) -> Result<()> {
    let nodes: Vec<serde_json::Value> = nodes(r)
        .into_iter()
        .map(|a| {
            let key = r.account(a);
            let mut o = serde_json::json!({ "account": key, "label": label(r, a) });
            for (name, m) in &attrs.columns {
                if let Some(v) = m.get(key) {
                    o[name] = serde_json::json!(v);
                }
            }
            o
        })
        .collect();
    let edges: Vec<serde_json::Value> = r
        .networks
        .iter()
        .flat_map(|n| {
            n.edges.iter().map(move |e| {
                serde_json::json!({
                    "network": n.network.name(),
                    "source": r.account(e.source),
                    "target": r.account(e.target),
                    "weight": e.weight,
                    "events": e.events,
                    "p_value": e.p_value,
                    "q_value": e.q_value,
                    "symmetry": e.symmetry,
                    "fast_weight": e.fast_weight,
                })
            })
        })
        .collect();
    let doc = serde_json::json!({
        "params": crate::results::params_json(&r.params),
        "directed": directed(r),
        "nodes": nodes,
        "edges": edges,
    });
    serde_json::to_writer_pretty(w, &doc)?;
    Ok(())
}
