//! Full-text search over a case: a tantivy index in `DIR/index/` holding
//! posts, articles and (when the mail tables land) emails, built one
//! source at a time as sources are added.
//!
//! This crate reads the case through `leaktrace_store` and writes only its
//! own index folder. It never parses evidence formats (it indexes what
//! ingest stored) and never renders results (views do): searches return
//! plain values that serialise to JSON.
//!
//! ```no_run
//! use leaktrace_search::{CaseIndex, Request};
//! let case = leaktrace_store::Case::open("mycase".as_ref())?;
//! let index = CaseIndex::open(case.root())?;
//! let found = index.search(&case, &Request { query: "hashtag:podestaemails AND wikileaks".into(), ..Default::default() })?;
//! println!("{} hits", found.total);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod documents;
mod facets;
pub mod index;
pub mod query;
pub mod schema;

use std::collections::BTreeMap;
use std::ops::Bound;

use leaktrace_store::Case;
use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, QueryParser, RangeQuery, TermQuery, TermSetQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DateTime, DocAddress, Order, Searcher, TantivyDocument, Term};

pub use index::{CaseIndex, Indexed};

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Store(#[from] leaktrace_store::StoreError),
    #[error("{path}: {reason}")]
    Index { path: String, reason: String },
    /// The query is wrong; the message says how.
    #[error("query: {0}")]
    Query(String),
}

pub type Result<T> = std::result::Result<T, SearchError>;

/// The kinds of documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DocKind {
    Post,
    Article,
    Email,
}

impl DocKind {
    pub fn name(self) -> &'static str {
        match self {
            DocKind::Post => "post",
            DocKind::Article => "article",
            DocKind::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<DocKind> {
        [DocKind::Post, DocKind::Article, DocKind::Email].into_iter().find(|k| k.name() == s)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    #[default]
    Relevance,
    /// Oldest first.
    Time,
    /// Newest first.
    Newest,
}

/// The furthest hit a search returns (`offset + limit`): the index keeps
/// that many candidates (32 bytes each) while it searches.
pub const MAX_RESULT_WINDOW: usize = 1_000_000;

#[derive(Clone, Debug)]
pub struct Request {
    pub query: String,
    /// Only these kinds; all when empty.
    pub kinds: Vec<DocKind>,
    /// UTC ms, inclusive.
    pub after_ms: Option<i64>,
    /// UTC ms, exclusive.
    pub before_ms: Option<i64>,
    pub limit: usize,
    pub offset: usize,
    pub sort: Sort,
    pub facets: bool,
    /// Snippet length in characters.
    pub snippet_chars: usize,
}

impl Default for Request {
    fn default() -> Request {
        Request {
            query: String::new(),
            kinds: Vec::new(),
            after_ms: None,
            before_ms: None,
            limit: 20,
            offset: 0,
            sort: Sort::Relevance,
            facets: false,
            snippet_chars: 160,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Hit {
    pub kind: String,
    pub id: i64,
    /// RFC 3339, UTC.
    pub time: Option<String>,
    pub score: f32,
    /// The best fragment of the text (plain text).
    pub snippet: String,
    /// Byte ranges of `snippet` that matched.
    pub highlights: Vec<(usize, usize)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outlet: Option<String>,
    pub source: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Response {
    pub total: usize,
    pub hits: Vec<Hit>,
    /// Per field, values and the number of matching documents, most first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<BTreeMap<String, Vec<(String, u64)>>>,
}

impl CaseIndex {
    fn compile(&self, case: &Case, req: &Request) -> Result<Box<dyn Query>> {
        let f = &self.fields;
        let default_fields = query::default_fields(&self.index.schema());
        let mut parser = QueryParser::for_index(&self.index, default_fields.clone());
        parser.set_conjunction_by_default();
        let compiler = query::Compiler { parser, labels: self, index: &self.index, case, default_fields };
        let mut must: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, compiler.compile(&req.query)?)];
        if !req.kinds.is_empty() {
            let kinds: Vec<(Occur, Box<dyn Query>)> = req
                .kinds
                .iter()
                .map(|k| {
                    let q: Box<dyn Query> =
                        Box::new(TermQuery::new(Term::from_field_text(f.kind, k.name()), IndexRecordOption::Basic));
                    (Occur::Should, q)
                })
                .collect();
            must.push((Occur::Must, Box::new(BooleanQuery::new(kinds))));
        }
        if req.after_ms.is_some() || req.before_ms.is_some() {
            let t = |ms: i64| Term::from_field_date(f.time, DateTime::from_timestamp_millis(ms));
            let lo = req.after_ms.map_or(Bound::Unbounded, |ms| Bound::Included(t(ms)));
            let hi = req.before_ms.map_or(Bound::Unbounded, |ms| Bound::Excluded(t(ms)));
            must.push((Occur::Must, Box::new(RangeQuery::new(lo, hi))));
        }
        Ok(if must.len() == 1 { must.pop().expect("one").1 } else { Box::new(BooleanQuery::new(must)) })
    }

    /// The query a request compiles to, for `search --explain`.
    pub fn explain(&self, case: &Case, req: &Request) -> Result<String> {
        Ok(format!("{:#?}", self.compile(case, req)?))
    }

    /// Run a search. A request for hits past [`MAX_RESULT_WINDOW`] is
    /// refused: the index keeps `offset + limit` candidates in memory.
    pub fn search(&self, case: &Case, req: &Request) -> Result<Response> {
        match req.offset.checked_add(req.limit) {
            Some(w) if w <= MAX_RESULT_WINDOW => {}
            _ => {
                return Err(SearchError::Query(format!(
                    "results {} to {} asked for: at most the first {MAX_RESULT_WINDOW} of a search can be shown; narrow the query (a time range, a kind, a field)",
                    req.offset.saturating_add(1),
                    req.offset.saturating_add(req.limit)
                )));
            }
        }
        let q = self.compile(case, req)?;
        let searcher = self.reader()?.searcher();
        let err = |e: tantivy::TantivyError| SearchError::Query(e.to_string());
        let limit = req.limit.max(1);
        let (total, found): (usize, Vec<(f32, DocAddress)>) = match req.sort {
            Sort::Relevance => {
                let (top, n) = searcher
                    .search(&q, &(TopDocs::with_limit(limit).and_offset(req.offset).order_by_score(), Count))
                    .map_err(err)?;
                (n, top)
            }
            Sort::Time | Sort::Newest => {
                let order = if req.sort == Sort::Time { Order::Asc } else { Order::Desc };
                let (top, n) = searcher
                    .search(
                        &q,
                        &(
                            TopDocs::with_limit(limit)
                                .and_offset(req.offset)
                                .order_by_fast_field::<DateTime>("time", order),
                            Count,
                        ),
                    )
                    .map_err(err)?;
                (n, top.into_iter().map(|(_, a)| (0.0, a)).collect())
            }
        };
        let hits = self.hits(&searcher, &*q, &found, req.snippet_chars)?;
        let facets = if req.facets { Some(facets::count(self, &searcher, &*q, case)?) } else { None };
        Ok(Response { total, hits, facets })
    }

    fn hits(&self, searcher: &Searcher, q: &dyn Query, found: &[(f32, DocAddress)], chars: usize) -> Result<Vec<Hit>> {
        let f = &self.fields;
        let err = |e: tantivy::TantivyError| SearchError::Query(e.to_string());
        let mut gens = Vec::new();
        for field in [f.text, f.title, f.subject, f.attachment] {
            let mut g = SnippetGenerator::create(searcher, q, field).map_err(err)?;
            g.set_max_num_chars(chars);
            gens.push((field, g));
        }
        let mut out = Vec::with_capacity(found.len());
        for &(score, addr) in found {
            let doc: TantivyDocument = searcher.doc(addr).map_err(err)?;
            let s = |field| doc.get_first(field).and_then(|v| v.as_str()).map(str::to_string);
            let mut snippet = None;
            for (field, g) in &gens {
                let sn = g.snippet_from_doc(&doc);
                if !sn.highlighted().is_empty() {
                    snippet =
                        Some((sn.fragment().to_string(), sn.highlighted().iter().map(|r| (r.start, r.end)).collect()));
                    break;
                }
                let text = s(*field).unwrap_or_default();
                if snippet.is_none() && !text.trim().is_empty() {
                    let mut end = text.len().min(chars);
                    while !text.is_char_boundary(end) {
                        end -= 1;
                    }
                    snippet = Some((text[..end].to_string(), Vec::new()));
                }
            }
            let (snippet, highlights) = snippet.unwrap_or_default();
            let kind = s(f.kind).unwrap_or_default();
            out.push(Hit {
                id: doc.get_first(f.id).and_then(|v| v.as_i64()).unwrap_or_default(),
                time: doc.get_first(f.time).and_then(|v| v.as_datetime()).and_then(|t| {
                    chrono::DateTime::from_timestamp_millis(t.into_timestamp_millis())
                        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                }),
                score,
                snippet,
                highlights,
                account: if kind == "post" { s(f.account) } else { None },
                from: s(f.from),
                title: s(f.title),
                outlet: s(f.outlet),
                source: doc.get_first(f.source).and_then(|v| v.as_i64()).unwrap_or_default(),
                kind,
            });
        }
        Ok(out)
    }

    /// (kind, id) of every document matching `req` (no limit), for
    /// analyses that select by query (`timeline --query`).
    pub fn matching_ids(&self, case: &Case, req: &Request) -> Result<Vec<(DocKind, i64)>> {
        let q = self.compile(case, req)?;
        let searcher = self.reader()?.searcher();
        facets::ids(&searcher, &*q)
    }

    /// (source, row in its posts table) of every post matching `q`, sorted:
    /// what an analysis then reads from the posts tables instead of every
    /// post of the case. A superset of the posts the analysis wants where
    /// the index cannot be exact (URL case, text objects): the analysis
    /// checks each post it reads.
    pub fn post_rows(&self, case: &Case, q: &PostQuery) -> Result<Vec<(i64, u64)>> {
        let f = &self.fields;
        let term = |field, v: &str| Term::from_field_text(field, &v.to_lowercase());
        let mut must: Vec<(Occur, Box<dyn Query>)> = vec![(
            Occur::Must,
            Box::new(TermQuery::new(Term::from_field_text(f.kind, "post"), IndexRecordOption::Basic)),
        )];
        if !q.any.is_empty() {
            let mut set = Vec::new();
            let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for t in &q.any {
                match t {
                    PostTerm::Hashtag(v) => set.push(term(f.hashtag, v)),
                    PostTerm::Url(v) => set.push(term(f.url, v)),
                    PostTerm::Domain(v) => set.push(term(f.domain, v)),
                    PostTerm::Word(v) => set.push(term(f.text, v)),
                    PostTerm::Post(id) => {
                        set.push(Term::from_field_i64(f.id, *id));
                        set.push(Term::from_field_i64(f.target, *id));
                    }
                    PostTerm::Id(id) => set.push(Term::from_field_i64(f.id, *id)),
                    PostTerm::AllWords(ws) if !ws.is_empty() => {
                        let all: Vec<(Occur, Box<dyn Query>)> = ws
                            .iter()
                            .map(|w| {
                                let q: Box<dyn Query> =
                                    Box::new(TermQuery::new(term(f.text, w), IndexRecordOption::Basic));
                                (Occur::Must, q)
                            })
                            .collect();
                        should.push((Occur::Should, Box::new(BooleanQuery::new(all))));
                    }
                    PostTerm::AllWords(_) => {}
                }
            }
            if !set.is_empty() {
                should.push((Occur::Should, Box::new(TermSetQuery::new(set))));
            }
            if should.is_empty() {
                return Ok(Vec::new());
            }
            must.push((Occur::Must, Box::new(BooleanQuery::new(should))));
        }
        if !q.accounts.is_empty() {
            let set = q.accounts.iter().map(|a| term(f.account, a));
            must.push((Occur::Must, Box::new(TermSetQuery::new(set))));
        }
        if let Some(text) = q.query.as_deref().filter(|t| !t.trim().is_empty()) {
            must.push((Occur::Must, self.compile(case, &Request { query: text.to_string(), ..Default::default() })?));
        }
        let query = BooleanQuery::new(must);
        let searcher = self.reader()?.searcher();
        let mut rows = facets::rows(&searcher, &query)?;
        rows.sort_unstable();
        rows.dedup();
        Ok(rows)
    }

    /// The index of the case at `root` if it exists, was built by this
    /// version and holds every source of the case; else `None` (without
    /// creating or changing anything), for analyses that can also read the
    /// posts tables whole.
    pub fn covering(case: &Case) -> Result<Option<CaseIndex>> {
        if !case.root().join(index::DIR).join("meta.json").is_file() {
            return Ok(None);
        }
        let Ok(ix) = CaseIndex::open(case.root()) else { return Ok(None) };
        Ok(match ix.missing_sources(case)? {
            Some(m) if m.is_empty() => Some(ix),
            _ => None,
        })
    }
}

/// What posts an analysis wants from the index (see [`CaseIndex::post_rows`]).
#[derive(Clone, Debug, Default)]
pub struct PostQuery {
    /// Posts with any of these; none: no restriction by content.
    pub any: Vec<PostTerm>,
    /// And by one of these accounts (keys or handles); none: any account.
    pub accounts: Vec<String>,
    /// And matching this query (the search grammar).
    pub query: Option<String>,
}

/// One thing a post can have.
#[derive(Clone, Debug, PartialEq)]
pub enum PostTerm {
    Hashtag(String),
    Url(String),
    Domain(String),
    /// A word of the text, as the index splits and lower-cases it.
    Word(String),
    /// Every one of these words.
    AllWords(Vec<String>),
    /// The post itself, or a post that reposts, quotes or replies to it.
    Post(i64),
    /// The post of this id alone.
    Id(i64),
}
