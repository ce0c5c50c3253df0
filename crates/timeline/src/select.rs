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

use std::collections::{BTreeSet, HashMap};

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

/// Does checking that a post has one of `objects` need its text?
pub fn needs_text(objects: &[Object]) -> bool {
    objects.iter().any(|o| matches!(o, Object::Text(_) | Object::Word(_)))
}

/// The posts at `rows` (source, row; sorted), in the timeline's order;
/// without `text`, their texts are left empty (the text column is most of
/// what a posts table holds: reading it for many rows is most of the time).
pub fn read_rows(case: &Case, rows: &[(i64, u64)], text: bool) -> Result<Vec<CasePost>> {
    read_rows_of(case, rows, &all_columns(text))
}

/// The columns the timeline reads, with or without the text.
fn all_columns(text: bool) -> Vec<&'static str> {
    crate::posts::COLUMNS.iter().copied().filter(|c| text || *c != "text").collect()
}

/// The columns of the posts tables that lead/lag reads: those of
/// [`read_rows`] but for the line, the derived-id flag and the reposted
/// account, which it does not use (each column read costs a page
/// decompression for every wanted row in a page of its own).
pub const LEAD_LAG_COLUMNS: &[&str] = &[
    "id",
    "account",
    "account_name",
    "time",
    "time_resolution_s",
    "kind",
    "target_post",
    "hashtags",
    "urls",
    "domains",
    "followers",
];

/// [`read_rows`] of some columns only (a post's other fields are left
/// empty); `text` is added when `text` is true.
pub fn read_rows_with(case: &Case, rows: &[(i64, u64)], columns: &[&str], text: bool) -> Result<Vec<CasePost>> {
    let mut columns = columns.to_vec();
    add_text(&mut columns, text);
    read_rows_of(case, rows, &columns)
}

fn add_text(columns: &mut Vec<&str>, text: bool) {
    if text && !columns.contains(&"text") {
        columns.push("text");
    }
}

fn read_rows_of(case: &Case, rows: &[(i64, u64)], columns: &[&str]) -> Result<Vec<CasePost>> {
    let mut out = Vec::with_capacity(rows.len());
    for group in rows.chunk_by(|a, b| a.0 == b.0) {
        let source = group[0].0;
        let file = posts::partition_dir(case.root(), source).join(posts::PART_FILE);
        let rows: Vec<u64> = group.iter().map(|r| r.1).collect();
        for batch in posts::read_rows(&file, &rows, Some(columns))? {
            out.extend(posts::posts_from_batch(&batch).into_iter().map(|post| CasePost { source, post }));
        }
    }
    sort_posts(&mut out);
    Ok(out)
}

/// The index, if it can answer for this case. `LEAKTRACE_EVERY_POST=1`
/// reads every post anyway, so that benchmarks and checks can compare the
/// two ways on one case (`bench/timeline/bench.sh`).
pub fn index(case: &Case) -> Result<Option<CaseIndex>> {
    if std::env::var_os("LEAKTRACE_EVERY_POST").is_some_and(|v| v == "1") {
        return Ok(None);
    }
    Ok(CaseIndex::covering(case)?)
}

/// The posts that `q` finds and `filter` keeps (with their texts or not),
/// or `None` without an index that covers the case.
pub fn posts(case: &Case, q: &PostQuery, filter: &PostFilter, text: bool) -> Result<Option<Vec<CasePost>>> {
    posts_of(case, q, filter, &all_columns(text))
}

/// [`posts`] with only `columns` read.
fn posts_of(case: &Case, q: &PostQuery, filter: &PostFilter, columns: &[&str]) -> Result<Option<Vec<CasePost>>> {
    let Some(ix) = index(case)? else { return Ok(None) };
    let rows = ix.post_rows(case, q)?;
    let mut out = read_rows_of(case, &rows, columns)?;
    out.retain(|cp| filter.keeps(&cp.post));
    Ok(Some(out))
}

/// The posts that act on any of `objects` (and that `filter` keeps), or
/// `None` when the index cannot say (no index, or an object it cannot find).
/// Only the fields a first appearance shows are read ([`FIRST_COLUMNS`]),
/// and those the objects are found in; texts only when `text` is asked for
/// or the objects need them ([`fill_first_texts`] adds those of the first
/// posts later). A URL shared by a million posts reads 8 of the 15 columns.
pub fn posts_with(case: &Case, objects: &[Object], filter: &PostFilter, text: bool) -> Result<Option<Vec<CasePost>>> {
    let Some(any) = objects.iter().map(term_of).collect::<Option<Vec<PostTerm>>>() else { return Ok(None) };
    let q = PostQuery { any, accounts: accounts(&filter.accounts), query: None };
    let mut columns = FIRST_COLUMNS.to_vec();
    add_object_columns(&mut columns, objects);
    add_text(&mut columns, text);
    let Some(mut out) = posts_of(case, &q, filter, &columns)? else { return Ok(None) };
    out.retain(|cp| objects.iter().any(|o| o.in_post(&cp.post)));
    Ok(Some(out))
}

/// Add to `columns` those that `objects` are found in (see
/// [`Object::in_post`]), each once.
pub fn add_object_columns(columns: &mut Vec<&'static str>, objects: &[Object]) {
    for o in objects {
        let needs: &[&'static str] = match o {
            Object::Url(_) => &["urls"],
            Object::Hashtag(_) => &["hashtags"],
            Object::Domain(_) => &["domains"],
            Object::Repost(_) => &["kind", "target_post"],
            Object::Text(_) | Object::Word(_) => &["text"],
        };
        for c in needs {
            if !columns.contains(c) {
                columns.push(c);
            }
        }
    }
}

/// What a first appearance shows of a post (and what a [`PostFilter`]
/// checks): see [`crate::first`].
pub const FIRST_COLUMNS: &[&str] = &["id", "account", "account_name", "time", "time_resolution_s", "kind", "line"];

/// The texts of some posts, by (source, post id), found through the index.
pub fn texts(case: &Case, posts: &[(i64, i64)]) -> Result<HashMap<(i64, i64), String>> {
    let Some(ix) = index(case)? else { return Ok(HashMap::new()) };
    let q = PostQuery { any: posts.iter().map(|p| PostTerm::Id(p.1)).collect(), ..Default::default() };
    let wanted: BTreeSet<(i64, i64)> = posts.iter().copied().collect();
    let rows = if wanted.is_empty() { Vec::new() } else { ix.post_rows(case, &q)? };
    Ok(read_rows(case, &rows, true)?
        .into_iter()
        .filter(|cp| wanted.contains(&(cp.source, cp.post.id)))
        .map(|cp| ((cp.source, cp.post.id), cp.post.text))
        .collect())
}

fn accounts(set: &BTreeSet<String>) -> Vec<String> {
    set.iter().cloned().collect()
}

/// Put the texts back into a first appearance computed from posts read
/// without them (the first posts are shown with their text).
pub fn fill_first_texts(case: &Case, f: &mut crate::first::FirstAppearance) -> Result<()> {
    let missing: Vec<(i64, i64)> = f.first.iter().filter(|a| a.text.is_empty()).map(|a| (a.source, a.id)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let texts = texts(case, &missing)?;
    for a in &mut f.first {
        if let Some(t) = texts.get(&(a.source, a.id)) {
            a.text = t.clone();
        }
    }
    Ok(())
}
