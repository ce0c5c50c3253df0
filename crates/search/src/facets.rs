//! Counting matching documents per keyword value, from the fast fields
//! (no stored document is read).

use std::collections::{BTreeMap, HashMap};

use leaktrace_store::Case;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::query::Query;
use tantivy::{DocId, Score, Searcher, SegmentOrdinal, SegmentReader};

use crate::schema::FACET_FIELDS;
use crate::{DocKind, Result, SearchError};

const TOP: usize = 10;

struct FacetCollector;

struct SegmentFacets {
    columns: Vec<Option<StrColumn>>,
    counts: Vec<Vec<u64>>,
    source: Column<i64>,
    sources: HashMap<i64, u64>,
}

type Fruit = (Vec<HashMap<String, u64>>, HashMap<i64, u64>);

impl Collector for FacetCollector {
    type Fruit = Fruit;
    type Child = SegmentFacets;

    fn for_segment(&self, _: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<SegmentFacets> {
        let ff = reader.fast_fields();
        let mut columns = Vec::new();
        let mut counts = Vec::new();
        for f in FACET_FIELDS {
            let c = ff.str(f)?;
            counts.push(vec![0; c.as_ref().map_or(0, |c| c.num_terms())]);
            columns.push(c);
        }
        Ok(SegmentFacets { columns, counts, source: ff.i64("source")?, sources: HashMap::new() })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Fruit>) -> tantivy::Result<Fruit> {
        let mut out: Vec<HashMap<String, u64>> = vec![HashMap::new(); FACET_FIELDS.len()];
        let mut sources = HashMap::new();
        for (per_field, src) in fruits {
            for (i, m) in per_field.into_iter().enumerate() {
                for (k, v) in m {
                    *out[i].entry(k).or_default() += v;
                }
            }
            for (k, v) in src {
                *sources.entry(k).or_default() += v;
            }
        }
        Ok((out, sources))
    }
}

impl SegmentCollector for SegmentFacets {
    type Fruit = Fruit;

    fn collect(&mut self, doc: DocId, _: Score) {
        for (c, counts) in self.columns.iter().zip(self.counts.iter_mut()) {
            if let Some(c) = c {
                for ord in c.term_ords(doc) {
                    counts[ord as usize] += 1;
                }
            }
        }
        for v in self.source.values_for_doc(doc) {
            *self.sources.entry(v).or_default() += 1;
        }
    }

    fn harvest(self) -> Fruit {
        let mut out = Vec::new();
        for (c, counts) in self.columns.iter().zip(self.counts) {
            let mut m = HashMap::new();
            if let Some(c) = c {
                // Decode the terms of all counted ordinals in one sorted pass
                // over the dictionary (one lookup per ordinal costs a block
                // seek each: most of a query's time with many distinct values).
                let ords: Vec<u64> = (0..counts.len() as u64).filter(|o| counts[*o as usize] > 0).collect();
                let mut at = 0;
                let _complete = c.dictionary().sorted_ords_to_term_cb(&ords, |term| {
                    if let Ok(t) = std::str::from_utf8(term) {
                        m.insert(t.to_string(), counts[ords[at] as usize]);
                    }
                    at += 1;
                });
            }
            out.push(m);
        }
        (out, self.sources)
    }
}

fn top(m: HashMap<String, u64>) -> Vec<(String, u64)> {
    let mut v: Vec<_> = m.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(TOP);
    v
}

/// Counts per facet field for all documents matching `q`, plus `source`
/// and, through the catalog, every account label key.
pub(crate) fn count(
    index: &crate::CaseIndex,
    searcher: &Searcher,
    q: &dyn Query,
    case: &Case,
) -> Result<BTreeMap<String, Vec<(String, u64)>>> {
    let (per_field, sources) = searcher.search(q, &FacetCollector).map_err(|e| SearchError::Query(e.to_string()))?;
    let mut out = BTreeMap::new();
    let mut accounts = HashMap::new();
    for (name, m) in FACET_FIELDS.iter().zip(per_field) {
        if *name == "account_key" {
            accounts = m.clone();
            out.insert("account".to_string(), top(m));
        } else if !m.is_empty() {
            out.insert(name.to_string(), top(m));
        }
    }
    out.insert("source".into(), top(sources.into_iter().map(|(k, v)| (k.to_string(), v)).collect()));
    for key in index.label_keys(case)? {
        let mut m: HashMap<String, u64> = HashMap::new();
        for (account, value) in index.labels(case, &key)?.iter() {
            if let Some(n) = accounts.get(account) {
                *m.entry(value.clone()).or_default() += n;
            }
        }
        if !m.is_empty() {
            out.insert(format!("label:{key}"), top(m));
        }
    }
    Ok(out)
}

struct IdCollector;

struct SegmentIds {
    kind: Option<StrColumn>,
    id: Column<i64>,
    out: Vec<(DocKind, i64)>,
}

impl Collector for IdCollector {
    type Fruit = Vec<(DocKind, i64)>;
    type Child = SegmentIds;

    fn for_segment(&self, _: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<SegmentIds> {
        let ff = reader.fast_fields();
        Ok(SegmentIds { kind: ff.str("kind")?, id: ff.i64("id")?, out: Vec::new() })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        Ok(fruits.into_iter().flatten().collect())
    }
}

impl SegmentCollector for SegmentIds {
    type Fruit = Vec<(DocKind, i64)>;

    fn collect(&mut self, doc: DocId, _: Score) {
        let mut kind = DocKind::Post;
        if let Some(c) = &self.kind {
            let mut s = String::new();
            if let Some(ord) = c.term_ords(doc).next()
                && c.ord_to_str(ord, &mut s).unwrap_or(false)
            {
                kind = DocKind::parse(&s).unwrap_or(DocKind::Post);
            }
        }
        if let Some(id) = self.id.first(doc) {
            self.out.push((kind, id));
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.out
    }
}

pub(crate) fn ids(searcher: &Searcher, q: &dyn Query) -> Result<Vec<(DocKind, i64)>> {
    searcher.search(q, &IdCollector).map_err(|e| SearchError::Query(e.to_string()))
}

struct RowCollector;

struct SegmentRows {
    source: Column<i64>,
    row: Option<Column<u64>>,
    out: Vec<(i64, u64)>,
}

impl Collector for RowCollector {
    type Fruit = Vec<(i64, u64)>;
    type Child = SegmentRows;

    fn for_segment(&self, _: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<SegmentRows> {
        let ff = reader.fast_fields();
        Ok(SegmentRows { source: ff.i64("source")?, row: ff.u64("row").ok(), out: Vec::new() })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        Ok(fruits.into_iter().flatten().collect())
    }
}

impl SegmentCollector for SegmentRows {
    type Fruit = Vec<(i64, u64)>;

    fn collect(&mut self, doc: DocId, _: Score) {
        if let (Some(s), Some(r)) = (self.source.first(doc), self.row.as_ref().and_then(|c| c.first(doc))) {
            self.out.push((s, r));
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.out
    }
}

/// (source, row) of every matching post (documents without a row, articles
/// and emails, are left out).
pub(crate) fn rows(searcher: &Searcher, q: &dyn Query) -> Result<Vec<(i64, u64)>> {
    searcher.search(q, &RowCollector).map_err(|e| SearchError::Query(e.to_string()))
}
