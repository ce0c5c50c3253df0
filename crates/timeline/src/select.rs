//! Reading only the posts a question is about. The search index finds the
//! rows (source, row) of the posts that have an object, are by some
//! accounts or match a query; only those rows are read from the posts
//! tables ([`leaktrace_store::posts::read_rows`]). A cascade of one
//! hashtag in millions of posts reads its own posts, not the case.
//!
//! The index answers a superset where it cannot be exact (a URL's path
//! is indexed lower-cased; a text object is found by its words); every
//! caller still checks each post it reads (`Object::in_post`, the
//! filters), so answers are those of reading every post. When the index is
//! missing, of another version, or lacks a source, `None` is returned and
//! callers read the posts tables whole as before.

use std::collections::BTreeSet;

use leaktrace_search::{CaseIndex, PostQuery, PostTerm};
use leaktrace_store::{Case, posts};

use crate::Result;
use crate::objects::{Object, words};
use crate::posts::{CasePost, PostFilter, sort_posts};

/// The index term that finds an object's posts, if the index can.
pub fn term_of(o: &Object) -> Option<PostTerm> {
    Some(match o {
        Object::Hashtag(h) => PostTerm::Hashtag(h.clone()),
        Object::Url(u) => PostTerm::Url(u.clone()),
        Object::Domain(d) => PostTerm::Domain(d.clone()),
        Object::Repost(id) => PostTerm::Post(*id),
        Object::Word(w) => PostTerm::Word(w.clone()),
        // Lower-casing outside ASCII can split words differently from the
        // index's tokenizer; such texts are read the slow, exact way.
        Object::Text(t) if t.is_ascii() => {
            let ws: Vec<String> = words(t).collect();
            if ws.is_empty() {
                return None;
            }
            PostTerm::AllWords(ws)
        }
        Object::Text(_) => return None,
    })
}

/// The posts at `rows` (source, row; sorted), in the timeline's order.
pub fn read_rows(case: &Case, rows: &[(i64, u64)]) -> Result<Vec<CasePost>> {
    let mut out = Vec::with_capacity(rows.len());
    for group in rows.chunk_by(|a, b| a.0 == b.0) {
        let source = group[0].0;
        let file = posts::partition_dir(case.root(), source).join(posts::PART_FILE);
        let rows: Vec<u64> = group.iter().map(|r| r.1).collect();
        for batch in posts::read_rows(&file, &rows, Some(crate::posts::COLUMNS))? {
            out.extend(posts::posts_from_batch(&batch).into_iter().map(|post| CasePost { source, post }));
        }
    }
    sort_posts(&mut out);
    Ok(out)
}

/// The index, if it can answer for this case.
pub fn index(case: &Case) -> Result<Option<CaseIndex>> {
    Ok(CaseIndex::covering(case)?)
}

/// The posts that `q` finds and `filter` keeps, or `None` without an index
/// that covers the case.
pub fn posts(case: &Case, q: &PostQuery, filter: &PostFilter) -> Result<Option<Vec<CasePost>>> {
    let Some(ix) = index(case)? else { return Ok(None) };
    let rows = ix.post_rows(case, q)?;
    let mut out = read_rows(case, &rows)?;
    out.retain(|cp| filter.keeps(&cp.post));
    Ok(Some(out))
}

/// The posts that act on any of `objects` (and that `filter` keeps), or
/// `None` when the index cannot say (no index, or an object it cannot find).
pub fn posts_with(case: &Case, objects: &[Object], filter: &PostFilter) -> Result<Option<Vec<CasePost>>> {
    let Some(any) = objects.iter().map(term_of).collect::<Option<Vec<PostTerm>>>() else { return Ok(None) };
    let q = PostQuery { any, accounts: accounts(&filter.accounts), query: None };
    let Some(mut out) = posts(case, &q, filter)? else { return Ok(None) };
    out.retain(|cp| objects.iter().any(|o| o.in_post(&cp.post)));
    Ok(Some(out))
}

fn accounts(set: &BTreeSet<String>) -> Vec<String> {
    set.iter().cloned().collect()
}
