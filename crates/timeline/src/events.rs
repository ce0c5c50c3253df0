//! The one time axis: every kind of event reduced to the same row, with
//! its provenance.
//!
//! Sources of events, and where each comes from:
//! - posts: the case's posts tables ([`from_post`]);
//! - declared events: a file the user writes ([`from_declared`]);
//! - articles and their dated statements: the catalog's `items` of kind
//!   `article` ([`case_articles`], [`from_article`]);
//! - emails: the catalog's `messages` ([`case_emails`], [`from_email`]);
//!   the first `Received` time joins [`EmailSent`] when the mail ingest
//!   records it.

use chrono::NaiveDate;
use leaktrace_model::ArticleMeta;
use leaktrace_store::Case;
use serde::Serialize;

use crate::Result;
use crate::dates::{Claim, Precision, extract};
use crate::declared::DeclaredEvent;
use crate::posts::CasePost;

/// Where an event on the axis comes from.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Provenance {
    /// Case source id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<i64>,
    /// Catalog item id (articles, emails).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<i64>,
    /// A file outside the case (declared events).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line in the source or file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Byte offset in the item's text (article statements).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<usize>,
    /// What the event itself cites (a URL, a document).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cites: Option<String>,
}

impl Provenance {
    /// Where the event comes from, as one phrase: "source #3, line 12",
    /// "events.csv, line 4, https://…".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = self.source {
            parts.push(format!("source #{s}"));
        }
        if let Some(i) = self.item {
            parts.push(format!("item #{i}"));
        }
        if let Some(f) = &self.file {
            parts.push(f.clone());
        }
        if let Some(l) = self.line {
            parts.push(format!("line {l}"));
        }
        if let Some(o) = self.offset {
            parts.push(format!("offset {o}"));
        }
        if let Some(c) = &self.cites {
            parts.push(c.clone());
        }
        parts.join(", ")
    }
}

/// One row of the timeline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    pub time_ms: i64,
    /// Seconds: 60 for whole minutes, 86400 for a date only.
    pub time_resolution_s: u32,
    /// `post`, `declared`, `article`, `claim`, `email`.
    pub kind: &'static str,
    /// Account, outlet, event kind, sender.
    pub who: String,
    /// Text, label, sentence, subject.
    pub what: String,
    /// Post id, item id, or the statement's expression.
    pub reference: String,
    /// True for statements an article makes (not established facts).
    pub claim: bool,
    pub provenance: Provenance,
}

pub fn from_post(cp: &CasePost) -> Event {
    let p = &cp.post;
    Event {
        time_ms: p.time_ms,
        time_resolution_s: p.time_resolution_s,
        kind: "post",
        who: p.account_name.clone().unwrap_or_else(|| p.account.clone()),
        what: p.text.clone(),
        reference: p.id.to_string(),
        claim: false,
        provenance: Provenance { source: Some(cp.source), line: Some(p.line), ..Default::default() },
    }
}

pub fn from_declared(e: &DeclaredEvent) -> Event {
    Event {
        time_ms: e.time_ms,
        time_resolution_s: e.time_resolution_s,
        kind: "declared",
        who: e.kind.clone(),
        what: e.label.clone(),
        reference: e.written.clone(),
        claim: false,
        provenance: Provenance {
            file: Some(e.file.clone()),
            line: Some(e.line),
            cites: (!e.source.is_empty()).then(|| e.source.clone()),
            ..Default::default()
        },
    }
}

/// An article as the catalog holds it (`items` of kind `article`; the
/// keys of its `meta` are listed in ARCHITECTURE.md).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Article {
    pub item: i64,
    pub source: i64,
    pub title: Option<String>,
    pub outlet: Option<String>,
    pub published: Option<NaiveDate>,
    pub body: String,
}

/// The case's articles.
pub fn case_articles(case: &Case) -> Result<Vec<Article>> {
    Ok(case
        .items(Some("article"))?
        .into_iter()
        .map(|it| {
            // A meta that does not read as an article counts as one without text.
            let a: ArticleMeta = serde_json::from_value(it.meta).unwrap_or_default();
            Article {
                item: it.id,
                source: it.source_id,
                published: a.published.as_ref().and_then(|p| p.day()),
                title: a.title,
                outlet: a.outlet,
                body: a.body,
            }
        })
        .collect())
}

/// The article's publication (when dated) and its dated statements; the
/// statements that could not be resolved are returned apart.
pub fn from_article(a: &Article) -> (Vec<Event>, Vec<Claim>) {
    let who = a.outlet.clone().or_else(|| a.title.clone()).unwrap_or_else(|| format!("article #{}", a.item));
    let mut events = Vec::new();
    if let Some(d) = a.published {
        events.push(Event {
            time_ms: d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp_millis(),
            time_resolution_s: 86_400,
            kind: "article",
            who: who.clone(),
            what: a.title.clone().unwrap_or_default(),
            reference: a.item.to_string(),
            claim: false,
            provenance: Provenance { source: Some(a.source), item: Some(a.item), ..Default::default() },
        });
    }
    let mut unresolved = Vec::new();
    for c in extract(&a.body, a.published) {
        let Some(w) = &c.when else {
            unresolved.push(c);
            continue;
        };
        events.push(Event {
            time_ms: w.utc_ms,
            time_resolution_s: match w.precision {
                Precision::Minute => 60,
                Precision::Day => 86_400,
                Precision::Month => 31 * 86_400,
            },
            kind: "claim",
            who: who.clone(),
            what: c.sentence.clone(),
            reference: format!("{} [{}]", c.expression, crate::dates::describe(w)),
            claim: true,
            provenance: Provenance {
                source: Some(a.source),
                item: Some(a.item),
                offset: Some(c.offset),
                ..Default::default()
            },
        });
    }
    (events, unresolved)
}

/// An email as the timeline needs it (filled from the mail tables when
/// they exist).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EmailSent {
    pub item: i64,
    pub source: i64,
    pub from: String,
    pub subject: String,
    /// The Date header, UTC ms.
    pub date_ms: Option<i64>,
    /// The earliest Received header's time, UTC ms.
    pub first_received_ms: Option<i64>,
}

/// The case's emails (their Date fields).
pub fn case_emails(case: &Case) -> Result<Vec<EmailSent>> {
    Ok(case
        .messages()?
        .into_iter()
        .map(|m| EmailSent {
            item: m.item_id,
            source: m.source_id,
            from: m.headers.from.unwrap_or_default(),
            subject: m.headers.subject.unwrap_or_default(),
            date_ms: m.headers.date_ms,
            first_received_ms: m.meta.first_received_ms,
        })
        .collect())
}

/// An email's Date, and its first Received as well when the two disagree
/// by more than a minute.
pub fn from_email(e: &EmailSent) -> Vec<Event> {
    let ev = |t: i64, what: &str| Event {
        time_ms: t,
        time_resolution_s: 1,
        kind: "email",
        who: e.from.clone(),
        what: format!("{}{what}", e.subject),
        reference: e.item.to_string(),
        claim: false,
        provenance: Provenance { source: Some(e.source), item: Some(e.item), ..Default::default() },
    };
    let mut out = Vec::new();
    if let Some(d) = e.date_ms {
        out.push(ev(d, ""));
    }
    if let Some(r) = e.first_received_ms
        && e.date_ms.is_none_or(|d| (d - r).abs() > 60_000)
    {
        out.push(ev(r, " (first Received)"));
    }
    out
}

/// Sort events on the axis: time, then kind, then who, then reference.
pub fn sort(events: &mut [Event]) {
    events.sort_by(|a, b| (a.time_ms, a.kind, &a.who, &a.reference).cmp(&(b.time_ms, b.kind, &b.who, &b.reference)));
}
