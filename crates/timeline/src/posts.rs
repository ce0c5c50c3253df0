//! The posts of a case as the timeline reads them: every column it needs,
//! with the source each came from, filtered while reading.

use std::collections::BTreeSet;

use leaktrace_model::Post;
use leaktrace_store::{Case, posts};

use crate::Result;

/// A post and the case source it came from (its provenance with `post.line`).
#[derive(Clone, Debug, PartialEq)]
pub struct CasePost {
    pub source: i64,
    pub post: Post,
}

/// Which posts to read.
#[derive(Clone, Debug, Default)]
pub struct PostFilter {
    /// Only these accounts (account keys or handles, lower-cased); all when empty.
    pub accounts: BTreeSet<String>,
    /// UTC ms, inclusive.
    pub from_ms: Option<i64>,
    /// UTC ms, exclusive.
    pub to_ms: Option<i64>,
}

impl PostFilter {
    pub fn keeps(&self, p: &Post) -> bool {
        if self.from_ms.is_some_and(|f| p.time_ms < f) || self.to_ms.is_some_and(|t| p.time_ms >= t) {
            return false;
        }
        self.accounts.is_empty()
            || self.accounts.contains(&p.account.to_lowercase())
            || p.account_name.as_ref().is_some_and(|n| self.accounts.contains(&n.to_lowercase()))
    }
}

pub(crate) const COLUMNS: &[&str] = &[
    "id",
    "id_derived",
    "account",
    "account_name",
    "time",
    "time_resolution_s",
    "text",
    "kind",
    "target_post",
    "target_account",
    "hashtags",
    "urls",
    "domains",
    "followers",
    "line",
];

/// Read the case's posts that pass `filter`, sorted by (time, account, id).
pub fn load_posts(case: &Case, filter: &PostFilter) -> Result<Vec<CasePost>> {
    load_posts_where(case, filter, |_| true)
}

/// As `load_posts`, keeping only the posts `keep` accepts as they stream by:
/// memory grows with what is kept, not with the case (a cascade of one URL
/// in fifty million posts holds that URL's posts only).
pub fn load_posts_where(
    case: &Case,
    filter: &PostFilter,
    mut keep: impl FnMut(&Post) -> bool,
) -> Result<Vec<CasePost>> {
    let mut out = Vec::new();
    for s in case.sources()?.into_iter().filter(|s| s.posts > 0) {
        if filter.from_ms.is_some_and(|f| s.last_post.is_some_and(|l| l < f))
            || filter.to_ms.is_some_and(|t| s.first_post.is_some_and(|f| f >= t))
        {
            continue;
        }
        let file = posts::partition_dir(case.root(), s.id).join(posts::PART_FILE);
        for batch in posts::stream_batches(&file, Some(COLUMNS))? {
            let batch = batch?;
            out.extend(
                posts::posts_from_batch(&batch)
                    .into_iter()
                    .filter(|p| filter.keeps(p) && keep(p))
                    .map(|post| CasePost { source: s.id, post }),
            );
        }
    }
    sort_posts(&mut out);
    Ok(out)
}

/// The timeline's one order: time, then account, then id, then source.
pub fn sort_posts(posts: &mut [CasePost]) {
    posts.sort_by(|a, b| {
        (a.post.time_ms, &a.post.account, a.post.id, a.source).cmp(&(
            b.post.time_ms,
            &b.post.account,
            b.post.id,
            b.source,
        ))
    });
}

/// The time of every post that `filter`'s range keeps (accounts are not
/// looked at), reading the time column alone: a baseline for bursts.
pub fn post_times(case: &Case, filter: &PostFilter) -> Result<Vec<i64>> {
    let mut out = Vec::new();
    for s in case.sources()?.into_iter().filter(|s| s.posts > 0) {
        let file = posts::partition_dir(case.root(), s.id).join(posts::PART_FILE);
        for batch in posts::stream_batches(&file, Some(&["time"]))? {
            let batch = batch?;
            let Some(t) = batch.column(0).as_any().downcast_ref::<arrow_array::TimestampMillisecondArray>() else {
                continue;
            };
            out.extend(
                t.values()
                    .iter()
                    .copied()
                    .filter(|&t| filter.from_ms.is_none_or(|f| t >= f) && filter.to_ms.is_none_or(|e| t < e)),
            );
        }
    }
    Ok(out)
}
