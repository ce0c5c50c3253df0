//! What pages read from the case more than once, loaded on first use and
//! kept for the life of the server (the case does not change under a
//! running server except by new runs and sources, which get new ids).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use arrow_array::{Array, StringArray, TimestampMillisecondArray};
use leaktrace_coord::cluster::ClusterSummary;
use leaktrace_coord::results::{StoredEdge, StoredEvidence, load_clusters, read_edges, read_evidence};
use leaktrace_store::{Case, RunRow, posts};
use leaktrace_timeline::first::{FirstAppearance, first_appearance};
use leaktrace_timeline::objects::Object;
use leaktrace_timeline::posts::{PostFilter, load_posts_where};
use leaktrace_timeline::select;
use rustc_hash::FxHashMap;

use crate::charts::Histogram;
use crate::error::{PageResult, WebError};

/// Cascades kept after they are asked for (each holds only its object's posts).
const CASCADES_KEPT: usize = 16;

/// Every post's account and time, grouped by account: the activity charts.
#[derive(Default)]
pub struct Activity {
    /// Account key (lower-cased) → index.
    pub index: FxHashMap<String, u32>,
    /// Per account: key as stored, display name, sorted times (UTC ms).
    pub accounts: Vec<(String, Option<String>, Vec<i64>)>,
    /// Every post's time, binned for the case's activity chart.
    pub histogram: Option<Histogram>,
}

impl Activity {
    fn load(case: &Case) -> PageResult<Activity> {
        let mut a = Activity::default();
        let files = case.post_files()?;
        let cols = ["account", "account_name", "time"];
        let readers = files.iter().map(|f| posts::stream_batches(f, Some(&cols))).collect::<Result<Vec<_>, _>>()?;
        for batch in readers.into_iter().flatten() {
            let batch = batch?;
            let bad = || WebError::Internal(anyhow::anyhow!("posts table without account/time columns"));
            let acc = batch.column(0).as_any().downcast_ref::<StringArray>().ok_or_else(bad)?;
            let name = batch.column(1).as_any().downcast_ref::<StringArray>().ok_or_else(bad)?;
            let time = batch.column(2).as_any().downcast_ref::<TimestampMillisecondArray>().ok_or_else(bad)?;
            for i in 0..batch.num_rows() {
                let key = acc.value(i);
                let ix = match a.index.get(key) {
                    Some(&ix) => ix,
                    None => {
                        let ix = a.accounts.len() as u32;
                        let n = name.is_valid(i).then(|| name.value(i).to_string());
                        a.accounts.push((key.to_string(), n.clone(), Vec::new()));
                        a.index.insert(key.to_string(), ix);
                        if let Some(n) = n {
                            a.index.entry(n.to_lowercase()).or_insert(ix);
                        }
                        a.index.entry(key.to_lowercase()).or_insert(ix);
                        ix
                    }
                };
                a.accounts[ix as usize].2.push(time.value(i));
            }
        }
        for (_, _, t) in &mut a.accounts {
            t.sort_unstable();
        }
        a.histogram = Histogram::of(a.accounts.iter().flat_map(|x| x.2.iter().copied()));
        Ok(a)
    }

    /// An account by key or handle (case-insensitive).
    pub fn find(&self, account: &str) -> Option<&(String, Option<String>, Vec<i64>)> {
        let ix = self.index.get(account).or_else(|| self.index.get(&account.to_lowercase()))?;
        Some(&self.accounts[*ix as usize])
    }
}

/// A stored run that has a network: its edges, and its clusters when it is
/// a clustering.
pub struct GraphRun {
    pub run: RunRow,
    pub dir: PathBuf,
    pub edges: Vec<StoredEdge>,
    pub clusters: Vec<ClusterSummary>,
    /// Account → cluster id.
    pub membership: HashMap<String, u32>,
    /// The label the clusters were summarised by.
    pub label: Option<String>,
}

impl GraphRun {
    fn load(case: &Case, run: RunRow) -> PageResult<GraphRun> {
        let dir = case.root().join(&run.output);
        let edges = read_edges(&dir.join("edges.parquet"))?;
        let (clusters, label) = match load_clusters(&dir)? {
            Some(c) => (c.clusters, c.label),
            None => (Vec::new(), None),
        };
        let membership =
            clusters.iter().flat_map(|c: &ClusterSummary| c.accounts.iter().map(|a| (a.clone(), c.id))).collect();
        Ok(GraphRun { run, dir, edges, clusters, membership, label })
    }

    /// The co-actions behind the edges between `a` and `b` (either
    /// direction), optionally of one network.
    pub fn evidence(&self, a: &str, b: &str, network: Option<&str>) -> PageResult<Vec<StoredEvidence>> {
        let path = self.dir.join("evidence.parquet");
        if !path.exists() {
            return Ok(Vec::new());
        }
        Ok(read_evidence(&path, |n, s, t| {
            network.is_none_or(|x| x == n) && ((s == a && t == b) || (s == b && t == a))
        })?)
    }

    /// A short description: "clusters #4: co-retweet+co-link within 10 min".
    pub fn title(&self) -> String {
        run_title(&self.run)
    }
}

/// The server's caches.
#[derive(Default)]
pub struct Cache {
    /// The overview page, with the state of the catalog it was made from.
    overview: Mutex<Vec<KeptPage>>,
    activity: OnceLock<Arc<Activity>>,
    /// The most recently asked cascades, newest last.
    cascades: Mutex<Vec<(String, Arc<FirstAppearance>)>>,
    runs: Mutex<HashMap<i64, Arc<GraphRun>>>,
    /// Pages made from what the case holds and what was asked alone
    /// (network drawings, search results), keyed by the request's
    /// parameters, with the state of the catalog each was made from; the
    /// most recently asked `PAGES_KEPT`, newest last.
    pages: Mutex<Vec<KeptPage>>,
}

/// A page as made, by its key, with the state of the catalog it was made from.
type KeptPage = (String, CatalogStamp, maud::Markup);

/// The page `key` names from `slot` if the catalog is as it was when the
/// page was made; else `make` makes it, and it is kept (errors and pages
/// over `max_bytes` are not) as the newest of at most `capacity`, the least
/// recently asked going first.
fn kept(
    slot: &Mutex<Vec<KeptPage>>,
    capacity: usize,
    max_bytes: usize,
    dir: &Path,
    key: String,
    make: impl FnOnce() -> PageResult<maud::Markup>,
) -> PageResult<maud::Markup> {
    let stamp = CatalogStamp::of(dir);
    {
        let mut pages = slot.lock().expect("cache lock");
        if let Some(i) = pages.iter().position(|(k, s, _)| *k == key && *s == stamp) {
            let hit = pages.remove(i);
            let page = hit.2.clone();
            pages.push(hit);
            return Ok(page);
        }
    }
    let page = make()?;
    if page.0.len() <= max_bytes {
        // The stamp taken before making it: a change meanwhile is seen next time.
        let mut pages = slot.lock().expect("cache lock");
        pages.retain(|(k, _, _)| *k != key);
        if pages.len() >= capacity {
            pages.remove(0);
        }
        pages.push((key, stamp, page.clone()));
    }
    Ok(page)
}

/// Pages kept by [`Cache::page`] (a network page of 1,000 accounts is about
/// 1 MB, so at most some 32 MB).
const PAGES_KEPT: usize = 32;
/// A page larger than this is made again when asked again rather than kept.
const MAX_KEPT_PAGE_BYTES: usize = 4 << 20;

/// Sizes and modification times of the catalog and its write-ahead log:
/// any change to the case (an ingest, a verify, a run) changes one of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogStamp(Vec<Option<(u64, std::time::SystemTime)>>);

impl CatalogStamp {
    pub fn of(dir: &Path) -> CatalogStamp {
        CatalogStamp(
            ["catalog.sqlite", "catalog.sqlite-wal"]
                .iter()
                .map(|f| std::fs::metadata(dir.join(f)).ok().and_then(|m| Some((m.len(), m.modified().ok()?))))
                .collect(),
        )
    }
}

impl Cache {
    /// The overview page as last made, if the catalog has not changed since;
    /// else `make` makes it and it is kept. (On a case of millions of posts
    /// the overview's counts took half a second per request.)
    pub fn overview(&self, dir: &Path, make: impl FnOnce() -> PageResult<maud::Markup>) -> PageResult<maud::Markup> {
        kept(&self.overview, 1, usize::MAX, dir, String::new(), make)
    }

    /// The page `key` names as last made, if the catalog has not changed
    /// since; else `make` makes it and it is kept (errors are not). On a case
    /// of 2.5M posts a network page took 1.9 s and a search with its facets
    /// 0.56 s of a 2-core machine per request under load, for the same
    /// answer each time.
    pub fn page(
        &self,
        dir: &Path,
        key: String,
        make: impl FnOnce() -> PageResult<maud::Markup>,
    ) -> PageResult<maud::Markup> {
        kept(&self.pages, PAGES_KEPT, MAX_KEPT_PAGE_BYTES, dir, key, make)
    }

    pub fn activity(&self, case: &Case) -> PageResult<Arc<Activity>> {
        if let Some(a) = self.activity.get() {
            return Ok(a.clone());
        }
        let a = Arc::new(Activity::load(case)?);
        Ok(self.activity.get_or_init(|| a).clone())
    }

    /// The first appearance and cascade of an object. The posts are read
    /// again for each new object, only its own (from the rows the search
    /// index finds, or keeping them as every post streams by: every post of
    /// a large case with its text would not fit in memory); the last
    /// `CASCADES_KEPT` answers are kept.
    pub fn cascade(&self, case: &Case, object: &Object) -> PageResult<Arc<FirstAppearance>> {
        let key = object.to_string();
        if let Some((_, f)) = self.cascades.lock().expect("cache lock").iter().find(|(k, _)| *k == key) {
            return Ok(f.clone());
        }
        // Through the search index when it covers the case (only the
        // object's posts are read), else a pass over every post.
        let objects = std::slice::from_ref(object);
        let f = match select::posts_with(case, objects, &PostFilter::default(), false)? {
            Some(posts) => {
                let mut f = first_appearance(&posts, object);
                select::fill_first_texts(case, &mut f)?;
                f
            }
            None => first_appearance(&load_posts_where(case, &PostFilter::default(), |p| object.in_post(p))?, object),
        };
        let f = Arc::new(f);
        let mut kept = self.cascades.lock().expect("cache lock");
        kept.retain(|(k, _)| *k != key);
        if kept.len() >= CASCADES_KEPT {
            kept.remove(0);
        }
        kept.push((key, f.clone()));
        Ok(f)
    }

    /// A stored coord or clusters run with its network.
    pub fn graph_run(&self, case: &Case, id: i64) -> PageResult<Arc<GraphRun>> {
        if let Some(r) = self.runs.lock().expect("cache lock").get(&id) {
            return Ok(r.clone());
        }
        let run = case
            .run(id)?
            .filter(|r| has_network(case.root(), r))
            .ok_or_else(|| WebError::NotFound(format!("no coordination or clusters run #{id} in this case")))?;
        let g = Arc::new(GraphRun::load(case, run)?);
        self.runs.lock().expect("cache lock").insert(id, g.clone());
        Ok(g)
    }

    /// The runs that have a network, newest first.
    pub fn graph_runs(&self, case: &Case) -> PageResult<Vec<RunRow>> {
        let mut runs: Vec<RunRow> = case.runs()?.into_iter().filter(|r| has_network(case.root(), r)).collect();
        runs.sort_by_key(|r| std::cmp::Reverse(r.id));
        Ok(runs)
    }

    /// The newest clustering (else the newest coord run).
    pub fn default_graph_run(&self, case: &Case) -> PageResult<Option<Arc<GraphRun>>> {
        let runs = self.graph_runs(case)?;
        let pick = runs.iter().find(|r| r.kind == "clusters").or_else(|| runs.first());
        pick.map(|r| self.graph_run(case, r.id)).transpose()
    }
}

/// A run with a network, described for people: "clusters #4: co-retweet+co-link within 10 min".
pub fn run_title(r: &RunRow) -> String {
    let p = r.params.get("networks").unwrap_or(&r.params);
    let nets: Vec<&str> =
        p["networks"].as_array().map(|a| a.iter().filter_map(|n| n.as_str()).collect()).unwrap_or_default();
    let window = p["window_ms"].as_i64().map(crate::layout::duration).unwrap_or_default();
    format!("{} #{}: {} within {}", r.kind, r.id, nets.join("+"), window)
}

fn has_network(root: &Path, r: &RunRow) -> bool {
    (r.kind == "coord" || r.kind == "clusters") && root.join(&r.output).join("edges.parquet").exists()
}

#[cfg(test)]
mod overview_cache_tests {
    use super::*;

    #[test]
    fn the_overview_is_made_again_only_when_the_catalog_changes() {
        let tmp = tempfile::tempdir().unwrap();
        let catalog = tmp.path().join("catalog.sqlite");
        std::fs::write(&catalog, b"one").unwrap();
        let cache = Cache::default();
        let made = std::cell::Cell::new(0);
        let make = || {
            made.set(made.get() + 1);
            Ok(maud::html! { p { (made.get()) } })
        };
        let first = cache.overview(tmp.path(), make).unwrap().into_string();
        assert_eq!(cache.overview(tmp.path(), make).unwrap().into_string(), first);
        assert_eq!(made.get(), 1, "kept while nothing changed");
        // A write to the catalog or its log (an ingest, a verify, a run).
        std::fs::write(tmp.path().join("catalog.sqlite-wal"), b"frames").unwrap();
        assert_ne!(cache.overview(tmp.path(), make).unwrap().into_string(), first);
        assert_eq!(made.get(), 2);
        std::fs::write(&catalog, b"one and more").unwrap();
        cache.overview(tmp.path(), make).unwrap();
        assert_eq!(made.get(), 3);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn pages_are_kept_until_the_catalog_changes_and_the_oldest_go_first() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("catalog.sqlite"), b"one").unwrap();
        let cache = Cache::default();
        let made = Cell::new(0);
        let get = |key: &str| {
            cache
                .page(dir.path(), key.to_string(), || {
                    made.set(made.get() + 1);
                    Ok(maud::PreEscaped(format!("{key} #{}", made.get())))
                })
                .unwrap()
                .0
        };
        assert_eq!(get("a"), "a #1");
        assert_eq!(get("a"), "a #1", "kept");
        assert_eq!(get("b"), "b #2");
        // Any change to the catalog (its size here) makes every page again.
        std::fs::write(dir.path().join("catalog.sqlite"), b"three").unwrap();
        assert_eq!(get("a"), "a #3");
        // Errors are not kept.
        let err = cache.page(dir.path(), "c".into(), || Err(WebError::NotFound("no".into())));
        assert!(err.is_err());
        assert_eq!(get("c"), "c #4");
        // At most PAGES_KEPT: the least recently asked goes first.
        for i in 0..PAGES_KEPT {
            get(&format!("k{i}"));
        }
        let before = made.get();
        get(&format!("k{}", PAGES_KEPT - 1));
        assert_eq!(made.get(), before, "the newest is kept");
        get("a");
        assert_eq!(made.get(), before + 1, "the oldest was dropped");
    }
}
