//! The index folder `DIR/index/`: created on first use, extended one
//! source at a time, rebuilt on request.
//!
//! Which sources it holds is recorded in the payload of its last commit,
//! written atomically with the documents, so the index and its list
//! cannot disagree: a source is indexed completely or not at all. Adding a
//! source writes new segments and never rewrites the others (merging is
//! off, except that the segments of the source just added are merged: into
//! one below a million documents, else into a few of at most about five
//! million each, merged in parallel).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use leaktrace_store::{Case, WriteLock};
use serde::{Deserialize, Serialize};
use tantivy::directory::MmapDirectory;
use tantivy::index::SegmentId;
use tantivy::indexer::NoMergePolicy;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument};

use crate::documents::{source_documents, to_tantivy};
use crate::schema::{self, Fields, SCHEMA_VERSION};
use crate::{Result, SearchError};

pub const DIR: &str = "index";
const WRITER_MEMORY: usize = 200_000_000;
/// Segments of an addition are merged up to about this many documents each.
const MERGED_SEGMENT_DOCS: u64 = 5_000_000;
/// Below this many documents an addition is merged into one segment.
const SPLIT_MERGE_DOCS: u64 = 1_000_000;

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4)
}

/// The segments of one addition (id, documents) split into groups to merge:
/// one group for a small addition; otherwise at least one per thread and
/// enough that none holds much over `MERGED_SEGMENT_DOCS`, each taking
/// segments in order until it has its share of the documents.
fn merge_groups(segments: &[(SegmentId, u64)], threads: usize) -> Vec<Vec<SegmentId>> {
    let total: u64 = segments.iter().map(|s| s.1).sum();
    let groups = if total < SPLIT_MERGE_DOCS {
        1
    } else {
        (total.div_ceil(MERGED_SEGMENT_DOCS) as usize).max(threads).min(segments.len().max(1))
    };
    let share = total.div_ceil(groups as u64).max(1);
    let mut out: Vec<Vec<SegmentId>> = vec![Vec::new()];
    let mut docs = 0u64;
    for &(id, n) in segments {
        if docs >= share && out.len() < groups {
            out.push(Vec::new());
            docs = 0;
        }
        out.last_mut().expect("non-empty").push(id);
        docs += n;
    }
    out.retain(|g| !g.is_empty());
    out
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Payload {
    schema: u32,
    sources: BTreeSet<i64>,
}

/// (account, value) pairs of one label key.
pub type Labels = Arc<Vec<(String, String)>>;

/// The case's full-text index.
pub struct CaseIndex {
    pub(crate) index: Index,
    pub(crate) fields: Fields,
    path: PathBuf,
    /// Account labels per key, read from the catalog once per open index
    /// (label queries and facets read them at query time).
    labels: Mutex<HashMap<String, Labels>>,
    /// The label keys, read with the labels.
    label_keys: Mutex<Option<Vec<String>>>,
    /// One reader for the life of this value (opening one per query costs
    /// more than the query), reloaded when the index has a newer commit.
    reader: Mutex<Option<IndexReader>>,
}

fn tantivy_err(path: &Path) -> impl FnOnce(tantivy::TantivyError) -> SearchError + '_ {
    move |e| SearchError::Index { path: path.display().to_string(), reason: e.to_string() }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> SearchError + '_ {
    move |e| SearchError::Index { path: path.display().to_string(), reason: e.to_string() }
}

/// What indexing added.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Indexed {
    pub sources: Vec<i64>,
    pub documents: u64,
    pub seconds: f64,
}

impl CaseIndex {
    /// Open the index of the case at `root`, creating an empty one if there
    /// is none (or an index of another schema version: rebuild it).
    pub fn open(root: &Path) -> Result<CaseIndex> {
        let path = root.join(DIR);
        std::fs::create_dir_all(&path).map_err(io_err(&path))?;
        let dir = MmapDirectory::open(&path)
            .map_err(|e| SearchError::Index { path: path.display().to_string(), reason: e.to_string() })?;
        let (schema, fields) = schema::build();
        let index = Index::open_or_create(dir, schema).map_err(|e| SearchError::Index {
            path: path.display().to_string(),
            reason: format!("{e}; rebuild it with `leaktrace search {} --reindex`", root.display()),
        })?;
        schema::register_tokenizers(&index);
        Ok(CaseIndex {
            index,
            fields,
            path,
            labels: Mutex::default(),
            label_keys: Mutex::default(),
            reader: Mutex::default(),
        })
    }

    fn payload(&self) -> Result<Payload> {
        let metas = self.index.load_metas().map_err(tantivy_err(&self.path))?;
        Ok(metas.payload.and_then(|p| serde_json::from_str(&p).ok()).unwrap_or_default())
    }

    /// Sources whose documents are in the index; `None` when the index was
    /// built by another schema version and must be rebuilt.
    pub fn indexed_sources(&self) -> Result<Option<BTreeSet<i64>>> {
        let p = self.payload()?;
        let empty = self.index.searchable_segment_ids().map_err(tantivy_err(&self.path))?.is_empty();
        if p.schema != SCHEMA_VERSION && !(empty && p.sources.is_empty()) {
            return Ok(None);
        }
        Ok(Some(p.sources))
    }

    /// Complete sources of the case not yet in the index.
    pub fn missing_sources(&self, case: &Case) -> Result<Option<Vec<i64>>> {
        let Some(have) = self.indexed_sources()? else { return Ok(None) };
        Ok(Some(case.sources()?.into_iter().map(|s| s.id).filter(|id| !have.contains(id)).collect()))
    }

    /// (account, value) of label `key`, cached for the life of this value.
    pub fn labels(&self, case: &Case, key: &str) -> Result<Labels> {
        if let Some(v) = self.labels.lock().expect("label cache").get(key) {
            return Ok(v.clone());
        }
        let v = Arc::new(case.account_labels(key)?);
        self.labels.lock().expect("label cache").insert(key.to_string(), v.clone());
        Ok(v)
    }

    /// The case's label keys, cached like the labels.
    pub fn label_keys(&self, case: &Case) -> Result<Vec<String>> {
        let mut cached = self.label_keys.lock().expect("label key cache");
        if let Some(k) = cached.as_ref() {
            return Ok(k.clone());
        }
        let k = case.label_keys()?;
        *cached = Some(k.clone());
        Ok(k)
    }

    pub fn segment_ids(&self) -> Result<Vec<SegmentId>> {
        self.index.searchable_segment_ids().map_err(tantivy_err(&self.path))
    }

    pub fn num_docs(&self) -> Result<u64> {
        Ok(self.reader()?.searcher().num_docs())
    }

    pub(crate) fn reader(&self) -> Result<IndexReader> {
        let mut cached = self.reader.lock().expect("reader cache");
        match cached.as_ref() {
            Some(r) => {
                // Cheap when nothing changed: reads meta.json, keeps open segments.
                r.reload().map_err(tantivy_err(&self.path))?;
                Ok(r.clone())
            }
            None => {
                let r: IndexReader = self
                    .index
                    .reader_builder()
                    .reload_policy(ReloadPolicy::Manual)
                    .try_into()
                    .map_err(tantivy_err(&self.path))?;
                *cached = Some(r.clone());
                Ok(r)
            }
        }
    }

    fn writer(&self) -> Result<IndexWriter<TantivyDocument>> {
        let w = self.index.writer_with_num_threads(threads(), WRITER_MEMORY).map_err(tantivy_err(&self.path))?;
        w.set_merge_policy(Box::new(NoMergePolicy));
        Ok(w)
    }

    /// Index these sources of the case (those already in are skipped), in
    /// one commit. Needs the case's write lock. `progress` is called with the
    /// running document count.
    pub fn add_sources(
        &self,
        case: &Case,
        _lock: &WriteLock,
        ids: &[i64],
        mut progress: impl FnMut(u64),
    ) -> Result<Indexed> {
        let started = std::time::Instant::now();
        let mut payload = self.payload()?;
        if self.indexed_sources()?.is_none() {
            return Err(SearchError::Index {
                path: self.path.display().to_string(),
                reason: format!(
                    "built by another version of leaktrace; rebuild it with `leaktrace search {} --reindex`",
                    case.root().display()
                ),
            });
        }
        let todo: Vec<_> =
            case.sources()?.into_iter().filter(|s| ids.contains(&s.id) && !payload.sources.contains(&s.id)).collect();
        if todo.is_empty() {
            return Ok(Indexed::default());
        }
        let before: BTreeSet<SegmentId> = self.segment_ids()?.into_iter().collect();
        let mut writer = self.writer()?;
        let mut n = 0u64;
        for s in &todo {
            source_documents(case, s, |doc| {
                writer.add_document(to_tantivy(&self.fields, s, &doc)).map_err(tantivy_err(&self.path))?;
                n += 1;
                if n.is_multiple_of(10_000) {
                    progress(n);
                }
                Ok(())
            })?;
        }
        payload.schema = SCHEMA_VERSION;
        payload.sources.extend(todo.iter().map(|s| s.id));
        let mut commit = writer.prepare_commit().map_err(tantivy_err(&self.path))?;
        commit.set_payload(&serde_json::to_string(&payload).expect("payload serialises"));
        commit.commit().map_err(tantivy_err(&self.path))?;
        // Merge only what this commit wrote, into a few segments of bounded
        // size merged side by side (one merge of everything is one thread's
        // work, and grows with the source).
        let new: Vec<(SegmentId, u64)> = self
            .index
            .searchable_segment_metas()
            .map_err(tantivy_err(&self.path))?
            .into_iter()
            .filter(|m| !before.contains(&m.id()))
            .map(|m| (m.id(), m.num_docs() as u64))
            .collect();
        let merges: Vec<_> =
            merge_groups(&new, threads()).into_iter().filter(|g| g.len() > 1).map(|g| writer.merge(&g)).collect();
        for m in merges {
            m.wait().map_err(tantivy_err(&self.path))?;
        }
        writer.wait_merging_threads().map_err(tantivy_err(&self.path))?;
        progress(n);
        Ok(Indexed {
            sources: todo.iter().map(|s| s.id).collect(),
            documents: n,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// Index every complete source the index does not hold yet.
    pub fn catch_up(&self, case: &Case, lock: &WriteLock, progress: impl FnMut(u64)) -> Result<Indexed> {
        match self.missing_sources(case)? {
            Some(ids) => self.add_sources(case, lock, &ids, progress),
            None => Err(SearchError::Index {
                path: self.path.display().to_string(),
                reason: "built by another version of leaktrace; rebuild it with --reindex".into(),
            }),
        }
    }

    /// Build the index again from the case, beside the old one, then swap.
    pub fn rebuild(case: &Case, lock: &WriteLock, progress: impl FnMut(u64)) -> Result<Indexed> {
        let root = case.root();
        let live = root.join(DIR);
        let fresh = root.join("tmp").join("index-rebuild");
        let old = root.join("tmp").join("index-old");
        for p in [&fresh, &old] {
            if p.exists() {
                std::fs::remove_dir_all(p).map_err(io_err(p))?;
            }
        }
        std::fs::create_dir_all(&fresh).map_err(io_err(&fresh))?;
        let done = {
            let ix = CaseIndex::open_at(&fresh)?;
            let ids: Vec<i64> = case.sources()?.into_iter().map(|s| s.id).collect();
            let done = ix.add_sources(case, lock, &ids, progress)?;
            if done.documents == 0 {
                // An empty case: commit the payload so the index says so.
                let mut w = ix.writer()?;
                let mut c = w.prepare_commit().map_err(tantivy_err(&fresh))?;
                c.set_payload(
                    &serde_json::to_string(&Payload { schema: SCHEMA_VERSION, sources: ids.into_iter().collect() })
                        .expect("json"),
                );
                c.commit().map_err(tantivy_err(&fresh))?;
            }
            done
        };
        if live.exists() {
            std::fs::rename(&live, &old).map_err(io_err(&live))?;
        }
        std::fs::rename(&fresh, &live).map_err(io_err(&live))?;
        if old.exists() {
            std::fs::remove_dir_all(&old).map_err(io_err(&old))?;
        }
        Ok(done)
    }

    fn open_at(path: &Path) -> Result<CaseIndex> {
        let dir = MmapDirectory::open(path)
            .map_err(|e| SearchError::Index { path: path.display().to_string(), reason: e.to_string() })?;
        let (schema, fields) = schema::build();
        let index = Index::open_or_create(dir, schema).map_err(tantivy_err(path))?;
        schema::register_tokenizers(&index);
        Ok(CaseIndex {
            index,
            fields,
            path: path.to_path_buf(),
            labels: Mutex::default(),
            label_keys: Mutex::default(),
            reader: Mutex::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(docs: &[u64]) -> Vec<(SegmentId, u64)> {
        docs.iter().map(|&n| (SegmentId::generate_random(), n)).collect()
    }

    fn sizes(segments: &[(SegmentId, u64)], groups: &[Vec<SegmentId>]) -> Vec<u64> {
        groups.iter().map(|g| g.iter().map(|id| segments.iter().find(|s| s.0 == *id).unwrap().1).sum()).collect()
    }

    #[test]
    fn merge_groups_keep_every_segment_once_and_bound_their_size() {
        // Small additions: one group.
        let s = segs(&[100_000; 5]);
        assert_eq!(merge_groups(&s, 2).len(), 1);
        assert_eq!(merge_groups(&segs(&[7]), 4).len(), 1);
        assert!(merge_groups(&[], 2).is_empty());
        // A large one: one group per thread at least, none far above the bound.
        for (docs, threads, want) in
            [(vec![250_000u64; 20], 2, 2), (vec![250_000; 200], 2, 10), (vec![400_000; 30], 4, 4)]
        {
            let s = segs(&docs);
            let g = merge_groups(&s, threads);
            assert_eq!(g.len(), want, "{} segments, {threads} threads", docs.len());
            let mut all: Vec<SegmentId> = g.concat();
            all.sort();
            let mut ids: Vec<SegmentId> = s.iter().map(|x| x.0).collect();
            ids.sort();
            assert_eq!(all, ids, "every segment in exactly one group");
            let per = sizes(&s, &g);
            let biggest = docs.iter().max().unwrap();
            assert!(per.iter().all(|&n| n <= MERGED_SEGMENT_DOCS + biggest), "{per:?}");
        }
        // Fewer segments than threads: no empty group.
        let s = segs(&[3_000_000]);
        assert_eq!(merge_groups(&s, 4).len(), 1);
    }
}
