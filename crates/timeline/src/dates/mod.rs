//! Dated statements in prose: find date and time expressions in an
//! article ("Oct 12", "July 22, 2016", "UPDATE [November 10, 2016 @
//! 12:15pm ET]", "15 minutes later", "two days ago") and resolve them to a
//! point on the time axis where the text allows it, keeping the sentence
//! around each as a candidate timeline event. Every result is a claim made
//! by the article, with the basis of its resolution, never a fact.
//!
//! This lives with the timeline, not with ingest, because resolving is
//! interpretation: it depends on anchors and on the article's date, and
//! improving it must not require ingesting the evidence again. Ingest
//! stores the article's text and date; this reads them.
//!
//! Rules, in the order they apply:
//! - A date with a year is taken as written.
//! - A date without a year takes the year last stated in the article before
//!   it (a full date, or a year such as "in 2016" or "the 2016 election");
//!   failing that, the such day nearest the article's date (earlier on a
//!   tie), so an upcoming date in a preview reads as upcoming.
//! - "yesterday", "today", "two days ago", "on Monday" resolve against the
//!   article's date.
//! - A relative phrase ("15 minutes later", "the next day", "two days after
//!   that") resolves only against the nearest earlier resolved expression
//!   in the same passage (paragraph), or against a date it names
//!   ("two days before November 8"). One that names an undated event ("two
//!   days before the vote") or has no anchor stays unresolved, with why.
//! - A time ("12:15pm ET") joins the date next to it in the sentence;
//!   alone, it takes the day of the nearest earlier resolved expression in
//!   the passage. Zones are converted (ET and PT with US daylight saving);
//!   a time without a zone is kept as local time and marked so.
//!
//! Hand-written because the Rust crates for English dates (chrono-english,
//! date_time_parser, partial-date) read one date out of a short string
//! against a given "now": none finds every expression in running prose with
//! its offset and sentence, takes a year-less date's year from the article's
//! own context, anchors a relative phrase on an earlier expression, or says
//! on what basis it resolved each, which is the provenance a claim needs.

mod grammar;
mod resolve;
mod segment;
mod tokens;
mod words;

use chrono::{NaiveDate, NaiveTime};
use serde::Serialize;

use grammar::Found;
use resolve::Reading;
use tokens::{Tok, tokenize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    Month,
    Day,
    Minute,
}

/// A resolved point in time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct When {
    /// Local date as the article means it.
    pub date: NaiveDate,
    /// Local time, when stated.
    pub time: Option<NaiveTime>,
    /// The zone as written, when stated.
    pub zone: Option<String>,
    /// For placing on the axis: UTC when the zone is known; a date alone
    /// (or a time without zone) is placed as if UTC.
    pub utc_ms: i64,
    pub precision: Precision,
}

/// One dated (or undatable) statement found in a text.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Claim {
    /// Paragraph number, from 0.
    pub passage: usize,
    /// The sentence holding the expression, whitespace collapsed.
    pub sentence: String,
    /// Byte offset of the sentence in the text.
    pub sentence_offset: usize,
    /// The expression as written.
    pub expression: String,
    /// Byte offset of the expression in the text.
    pub offset: usize,
    pub when: Option<When>,
    /// How it was resolved, or why it could not be.
    pub basis: String,
}

/// Find and resolve the dated statements of `text`, written on `article_date`.
pub fn extract(text: &str, article_date: Option<NaiveDate>) -> Vec<Claim> {
    let mut reading = Reading::new(article_date);
    let mut out = Vec::new();
    for (passage, (poff, ptext)) in segment::passages(text).into_iter().enumerate() {
        reading.start_passage();
        for (soff, stext) in segment::sentences(ptext) {
            read_sentence(text, passage, poff + soff, stext, &mut reading, &mut out);
        }
    }
    out
}

/// The claims of one sentence of passage `passage`, which starts at byte
/// `base` of `text`, in the order they are written.
fn read_sentence(text: &str, passage: usize, base: usize, stext: &str, reading: &mut Reading, out: &mut Vec<Claim>) {
    let toks = tokenize(stext, base);
    let sentence = stext.split_whitespace().collect::<Vec<_>>().join(" ");
    let found = grammar::scan(&toks);
    let joined = grammar::join_times(&found);
    for (fi, e) in found.iter().enumerate() {
        // A time joined to a date is read as part of that date.
        if matches!(e.found, Found::Time(_)) && joined[fi].is_some() {
            continue;
        }
        let time = joined.iter().position(|j| *j == Some(fi)).map(|ti| &found[ti]);
        let (lo, hi) = time.map_or((e.from, e.to), |t| (e.from.min(t.from), e.to.max(t.to)));
        let (offset, expression) = span(text, &toks, lo, hi);
        let time_of_day = time.and_then(|t| match &t.found {
            Found::Time(t) => Some(t),
            _ => None,
        });
        let Some((when, basis)) = reading.resolve(&e.found, time_of_day, &expression) else { continue };
        out.push(Claim { passage, sentence: sentence.clone(), sentence_offset: base, expression, offset, when, basis });
    }
}

/// Byte offset and text of tokens `lo..hi`, as written.
fn span(text: &str, toks: &[Tok<'_>], lo: usize, hi: usize) -> (usize, String) {
    let start = toks[lo].start;
    (start, text[start..toks[hi - 1].end].to_string())
}

/// "2016-11-10 12:15 ET", "2016-10-07", "2016-07" — a claim's time as read.
pub fn describe(w: &When) -> String {
    let mut s = match w.precision {
        Precision::Month => w.date.format("%Y-%m").to_string(),
        _ => w.date.format("%Y-%m-%d").to_string(),
    };
    if let Some(t) = w.time {
        s.push_str(&t.format(" %H:%M").to_string());
        match &w.zone {
            Some(z) => s.push_str(&format!(" {z}")),
            None => s.push_str(" (zone not stated)"),
        }
    }
    s
}
