//! Adding one source to a case, all or nothing.
//!
//! The sequence, and what a crash at each point leaves:
//! 1. catalog row inserted as `pending` — invisible to readers;
//! 2. posts streamed to `tmp/source-<id>/` — invisible;
//! 3. that folder renamed to `posts/source=<id>/` — the catalog still says
//!    pending, so readers of the case ignore it;
//! 4. one catalog transaction adds rejects, accounts, labels and facets and
//!    marks the source `complete` — the commit point.
//!
//! A later writer removes the leftovers of 1–3 (see `Case::lock_for_write`).

use std::path::{Path, PathBuf};

use leaktrace_model::{AccountInfo, Post};
use rustc_hash::FxHashMap as HashMap;

use crate::catalog::{AccountAgg, Catalog, MAX_REJECTS_KEPT, SourceMeta, SourceStats};
use crate::crash_point;
use crate::durable::sync_dir;
use crate::error::{Result, io_err};
use crate::lock::WriteLock;
use crate::posts::{PART_FILE, PostTableWriter, partition_dir};

/// Facets counted per source at ingest, for `info` and the UI. (Mentions
/// are not: they are as many as hashtags and domains together, and
/// analyses read them from the posts table.)
const FACETS: [&str; 4] = ["hashtag", "domain", "language", "kind"];

/// What adding a source achieved.
#[derive(Clone, Debug)]
pub struct AddedSource {
    pub id: i64,
    pub rows: u64,
    pub posts: u64,
    pub rejected: u64,
}

/// An ingest in progress. Dropping it without [`SourceWriter::finish`]
/// leaves the case as it was before `begin`.
pub struct SourceWriter<'c> {
    catalog: &'c Catalog,
    root: &'c Path,
    id: i64,
    staging: PathBuf,
    table: Option<PostTableWriter>,
    stats: SourceStats,
    finished: bool,
}

fn bump(map: &mut HashMap<String, i64>, v: &str) {
    if let Some(n) = map.get_mut(v) {
        *n += 1;
    } else {
        map.insert(v.to_string(), 1);
    }
}

impl<'c> SourceWriter<'c> {
    pub(crate) fn begin(
        catalog: &'c Catalog,
        root: &'c Path,
        _lock: &'c WriteLock,
        meta: SourceMeta,
    ) -> Result<SourceWriter<'c>> {
        let id = catalog.insert_pending(&meta)?;
        let staging = root.join("tmp").join(format!("source-{id}"));
        std::fs::create_dir_all(&staging).map_err(io_err(&staging))?;
        let table = PostTableWriter::create(&staging.join(PART_FILE))?;
        let mut stats = SourceStats::default();
        for f in FACETS {
            stats.facets.insert(f, HashMap::default());
        }
        Ok(SourceWriter { catalog, root, id, staging, table: Some(table), stats, finished: false })
    }

    pub fn id(&self) -> i64 {
        self.id
    }

    pub fn posts(&self) -> u64 {
        self.stats.posts
    }

    pub fn rejected(&self) -> u64 {
        self.stats.rejected
    }

    pub fn add_post(&mut self, p: Post) -> Result<()> {
        let s = &mut self.stats;
        s.rows += 1;
        s.posts += 1;
        s.first = Some(s.first.map_or(p.time_ms, |f| f.min(p.time_ms)));
        s.last = Some(s.last.map_or(p.time_ms, |l| l.max(p.time_ms)));
        if !s.accounts.contains_key(&p.account) {
            s.accounts.insert(p.account.clone(), AccountAgg::default());
        }
        let a = s.accounts.get_mut(&p.account).expect("inserted above");
        if a.name.is_none() {
            a.name.clone_from(&p.account_name);
        }
        a.posts += 1;
        a.first = Some(a.first.map_or(p.time_ms, |f| f.min(p.time_ms)));
        a.last = Some(a.last.map_or(p.time_ms, |l| l.max(p.time_ms)));
        let f = &mut s.facets;
        for h in &p.hashtags {
            bump(f.get_mut("hashtag").expect("facet"), h);
        }
        for d in &p.domains {
            bump(f.get_mut("domain").expect("facet"), d);
        }
        if let Some(l) = &p.language {
            bump(f.get_mut("language").expect("facet"), l);
        }
        bump(f.get_mut("kind").expect("facet"), p.kind.as_str());
        if s.posts == 1000 {
            crash_point("mid-posts");
        }
        self.table.as_mut().expect("writer open").push(p)
    }

    pub fn add_account(&mut self, info: AccountInfo) {
        if !info.labels.is_empty() {
            self.stats.labels.push(info);
        }
    }

    pub fn add_reject(&mut self, line: u64, reason: String) {
        self.stats.rows += 1;
        self.stats.rejected += 1;
        if self.stats.rejects.len() < MAX_REJECTS_KEPT {
            self.stats.rejects.push((line, reason));
        }
    }

    /// Commit the source: after this returns, it is in the case for good.
    pub fn finish(mut self) -> Result<AddedSource> {
        self.table.take().expect("writer open").finish()?;
        let root = self.root;
        let posts_dir = root.join("posts");
        if self.stats.posts > 0 {
            crash_point("before-rename");
            let dest = partition_dir(root, self.id);
            std::fs::rename(&self.staging, &dest).map_err(io_err(&dest))?;
            sync_dir(&posts_dir)?;
            crash_point("after-rename");
        } else {
            std::fs::remove_dir_all(&self.staging).map_err(io_err(&self.staging))?;
        }
        self.catalog.complete_source(self.id, &self.stats)?;
        self.finished = true;
        Ok(AddedSource { id: self.id, rows: self.stats.rows, posts: self.stats.posts, rejected: self.stats.rejected })
    }
}

impl Drop for SourceWriter<'_> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        // Best effort: a failed ingest leaves nothing behind. If this fails
        // too, the next writer's recovery removes the rest.
        drop(self.table.take());
        let _ = std::fs::remove_dir_all(&self.staging);
        let _ = std::fs::remove_dir_all(partition_dir(self.root, self.id));
        let _ = self.catalog.delete_source(self.id);
    }
}
