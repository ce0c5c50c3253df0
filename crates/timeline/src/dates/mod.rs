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

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveTime, Weekday};
use serde::Serialize;

use crate::zone::parse_zone;

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

// ---------------------------------------------------------------- tokens

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Num,
    Word,
    Punct,
}

#[derive(Clone, Debug)]
struct Tok<'a> {
    text: &'a str,
    lower: String,
    start: usize,
    end: usize,
    kind: Kind,
}

fn tokenize(text: &str, base: usize) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let mut it = text.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if c.is_whitespace() {
            continue;
        }
        let kind = if c.is_ascii_digit() {
            Kind::Num
        } else if c.is_alphabetic() {
            Kind::Word
        } else {
            Kind::Punct
        };
        let mut end = i + c.len_utf8();
        if kind != Kind::Punct {
            while let Some(&(j, d)) = it.peek() {
                let same = if kind == Kind::Num { d.is_ascii_digit() } else { d.is_alphabetic() };
                if !same {
                    break;
                }
                end = j + d.len_utf8();
                it.next();
            }
        }
        let t = &text[i..end];
        out.push(Tok { text: t, lower: t.to_lowercase(), start: base + i, end: base + end, kind });
    }
    out
}

// ------------------------------------------------------- passages, sentences

/// Passages (split on blank lines) as (byte offset, text).
fn passages(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut line_start = 0;
    let mut blank_run = false;
    for (i, c) in text.char_indices() {
        if c == '\n' {
            let line = &text[line_start..i];
            if line.trim().is_empty() {
                if !blank_run && start < line_start {
                    out.push((start, &text[start..line_start]));
                }
                blank_run = true;
                start = i + 1;
            } else {
                blank_run = false;
            }
            line_start = i + 1;
        }
    }
    if start < text.len() && !text[start..].trim().is_empty() {
        out.push((start, &text[start..]));
    }
    out.retain(|(_, p)| !p.trim().is_empty());
    out
}

const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "jr", "sr", "st", "gov", "sen", "rep", "gen", "col", "lt", "sgt", "prof", "rev", "jan",
    "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "no", "vs", "etc", "inc", "corp",
    "co", "u.s", "a.m", "p.m", "e.g", "i.e", "m", "ft", "mt",
];

fn word_before(s: &str) -> String {
    s.trim_end_matches('.')
        .rsplit(|c: char| !(c.is_alphanumeric() || c == '.'))
        .next()
        .unwrap_or("")
        .trim_start_matches('.')
        .to_lowercase()
}

fn starts_item(line: &str) -> bool {
    let t = line.trim_start();
    let first = t.split(|c: char| !c.is_alphanumeric()).next().unwrap_or("").to_lowercase();
    t.starts_with(['-', '*', '•', '–', '—', '['])
        || t.starts_with(|c: char| c.is_ascii_digit())
        || month(&first).is_some()
}

/// Sentences of a passage as (byte offset within passage, text).
fn sentences(p: &str) -> Vec<(usize, &str)> {
    let mut cuts = Vec::new();
    let b = p.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if matches!(c, b'.' | b'!' | b'?') {
            let mut j = i + 1;
            while j < b.len() && matches!(b[j], b'"' | b'\'' | b')' | b']') {
                j += 1;
            }
            let next_ok = j >= b.len()
                || (b[j].is_ascii_whitespace() && {
                    let rest = p[j..].trim_start();
                    rest.is_empty()
                        || rest
                            .starts_with(|ch: char| ch.is_uppercase() || ch.is_ascii_digit() || "\"'“‘([".contains(ch))
                });
            if next_ok && !(c == b'.' && ABBREVIATIONS.contains(&word_before(&p[..i]).as_str())) {
                cuts.push(j);
            }
        } else if c == b'\n' {
            let before = p[..i].trim_end();
            let after = p[i + 1..].lines().next().unwrap_or("");
            if before.ends_with(['.', '!', '?', ':', ';', ']']) || starts_item(after) {
                cuts.push(i + 1);
            }
        }
        i += 1;
    }
    let mut out = Vec::new();
    let mut start = 0;
    for c in cuts.into_iter().chain(std::iter::once(p.len())) {
        if c > start {
            let s = &p[start..c];
            let lead = s.len() - s.trim_start().len();
            if !s.trim().is_empty() {
                out.push((start + lead, s.trim()));
            }
            start = c;
        }
    }
    out
}

// ------------------------------------------------------------- vocabulary

fn month(w: &str) -> Option<u32> {
    Some(match w {
        "january" | "jan" => 1,
        "february" | "feb" => 2,
        "march" | "mar" => 3,
        "april" | "apr" => 4,
        "may" => 5,
        "june" | "jun" => 6,
        "july" | "jul" => 7,
        "august" | "aug" => 8,
        "september" | "sep" | "sept" => 9,
        "october" | "oct" => 10,
        "november" | "nov" => 11,
        "december" | "dec" => 12,
        _ => return None,
    })
}

fn weekday(w: &str) -> Option<Weekday> {
    Some(match w {
        "monday" => Weekday::Mon,
        "tuesday" => Weekday::Tue,
        "wednesday" => Weekday::Wed,
        "thursday" => Weekday::Thu,
        "friday" => Weekday::Fri,
        "saturday" => Weekday::Sat,
        "sunday" => Weekday::Sun,
        _ => return None,
    })
}

fn number_word(w: &str) -> Option<i64> {
    const WORDS: [&str; 21] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
    ];
    match w {
        "a" | "an" => Some(1),
        "thirty" => Some(30),
        "forty" => Some(40),
        "fifty" => Some(50),
        "sixty" => Some(60),
        "ninety" => Some(90),
        _ => WORDS.iter().position(|x| *x == w).map(|i| i as i64),
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Unit {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

fn unit_name(u: Unit, n: i64) -> String {
    let name = match u {
        Unit::Minute => "minute",
        Unit::Hour => "hour",
        Unit::Day => "day",
        Unit::Week => "week",
        Unit::Month => "month",
        Unit::Year => "year",
    };
    if n == 1 { name.to_string() } else { format!("{name}s") }
}

fn unit(w: &str) -> Option<Unit> {
    Some(match w {
        "minute" | "minutes" | "min" | "mins" => Unit::Minute,
        "hour" | "hours" | "hr" | "hrs" => Unit::Hour,
        "day" | "days" => Unit::Day,
        "week" | "weeks" => Unit::Week,
        "month" | "months" => Unit::Month,
        "year" | "years" => Unit::Year,
        _ => return None,
    })
}

fn zone_word(w: &str) -> Option<&'static str> {
    Some(match w {
        "et" => "ET",
        "est" => "EST",
        "edt" => "EDT",
        "ct" => "CT",
        "cst" => "CST",
        "cdt" => "CDT",
        "pt" => "PT",
        "pst" => "PST",
        "pdt" => "PDT",
        "mt" => "MT",
        "utc" => "UTC",
        "gmt" => "GMT",
        "bst" => "BST",
        "cet" => "CET",
        "cest" => "CEST",
        "msk" => "MSK",
        "eastern" => "ET",
        "pacific" => "PT",
        _ => return None,
    })
}

const YEAR_BEFORE: &[&str] = &[
    "in", "of", "since", "during", "until", "till", "by", "from", "early", "late", "mid", "summer", "spring", "fall",
    "autumn", "winter", "through", "the",
];
const YEAR_AFTER: &[&str] = &[
    "election",
    "elections",
    "campaign",
    "race",
    "vote",
    "presidential",
    "primary",
    "primaries",
    "cycle",
    "convention",
];

// ------------------------------------------------------------ expressions

/// A time of day found in a sentence: token range, time, zone.
struct TimeOfDay {
    from: usize,
    to: usize,
    time: NaiveTime,
    zone: Option<&'static str>,
}

/// The day a date expression names, and whether its year was written.
enum DateExpr {
    Full(NaiveDate),
    NoYear { month: u32, day: u32 },
    MonthYear { year: i32, month: u32 },
}

enum Found {
    Date(DateExpr),
    Deictic { days_back: i64, what: &'static str },
    Weekday(Weekday),
    Relative { amount: i64, unit: Unit, sign: i64, anchor: Anchor },
    Time(TimeOfDay),
}

enum Anchor {
    Previous,
    Article,
    /// A date named right after the phrase: token index where it starts.
    Date(usize),
    Named(String),
}

fn num(t: &Tok<'_>) -> Option<i64> {
    (t.kind == Kind::Num && t.text.len() <= 9).then(|| t.text.parse().ok()).flatten()
}

fn is_ordinal(t: Option<&Tok<'_>>) -> bool {
    t.is_some_and(|t| matches!(t.lower.as_str(), "st" | "nd" | "rd" | "th") && t.kind == Kind::Word)
}

fn glued(a: &Tok<'_>, b: Option<&Tok<'_>>) -> bool {
    b.is_some_and(|b| b.start == a.end)
}

fn year_at(toks: &[Tok<'_>], i: usize) -> Option<(i32, usize)> {
    let t = toks.get(i)?;
    let y = num(t)?;
    (t.text.len() == 4 && (1900..=2100).contains(&y)).then_some((y as i32, i + 1))
}

/// Day number at `i` (1..=31, optional glued ordinal suffix): (day, next index).
fn day_at(toks: &[Tok<'_>], i: usize) -> Option<(u32, usize)> {
    let t = toks.get(i)?;
    let d = num(t)?;
    if t.text.len() > 2 || !(1..=31).contains(&d) {
        return None;
    }
    let mut j = i + 1;
    if is_ordinal(toks.get(j)) && glued(t, toks.get(j)) {
        j += 1;
    }
    // "10:15" is a time, "10/7" a numeric date, "8,000" a number.
    if toks.get(j).is_some_and(|n| n.kind == Kind::Punct && matches!(n.text, ":" | "/") && glued(&toks[j - 1], Some(n)))
        || (toks.get(j).is_some_and(|n| n.text == ",") && glued(&toks[j - 1], toks.get(j)) && {
            toks.get(j + 1).is_some_and(|x| x.kind == Kind::Num && glued(&toks[j], Some(x)))
        })
    {
        return None;
    }
    Some((d as u32, j))
}

fn month_at(toks: &[Tok<'_>], i: usize) -> Option<(u32, usize)> {
    let t = toks.get(i)?;
    if t.kind != Kind::Word {
        return None;
    }
    let m = month(&t.lower)?;
    let mut j = i + 1;
    if toks.get(j).is_some_and(|n| n.text == "." && glued(t, Some(n))) {
        j += 1;
    }
    Some((m, j))
}

fn skip_comma(toks: &[Tok<'_>], i: usize) -> usize {
    if toks.get(i).is_some_and(|t| t.text == ",") { i + 1 } else { i }
}

/// A date expression starting at `i`: (expression, end index).
fn date_at(toks: &[Tok<'_>], i: usize) -> Option<(DateExpr, usize)> {
    // Weekday prefix: "Friday, October 7".
    if let Some(t) = toks.get(i)
        && weekday(&t.lower).is_some()
        && let Some((d, j)) = date_at(toks, skip_comma(toks, i + 1))
    {
        return Some((d, j));
    }
    // ISO: 2016-10-07.
    if let (Some((y, j)), Some(a), Some(b)) = (year_at(toks, i), toks.get(i + 1), toks.get(i + 3))
        && a.text == "-"
        && toks.get(i + 2).and_then(num).is_some()
        && b.text == "-"
        && let (Some(m), Some(d)) = (toks.get(i + 2).and_then(num), toks.get(i + 4).and_then(num))
        && let Some(date) = NaiveDate::from_ymd_opt(y, m as u32, d as u32)
    {
        let _ = j;
        return Some((DateExpr::Full(date), i + 5));
    }
    // US numeric: 10/7/2016.
    if let (Some(m), Some(s1), Some(d), Some(s2)) =
        (toks.get(i).and_then(num), toks.get(i + 1), toks.get(i + 2).and_then(num), toks.get(i + 3))
        && s1.text == "/"
        && s2.text == "/"
        && let Some((y, j)) = year_at(toks, i + 4)
        && let Some(date) = NaiveDate::from_ymd_opt(y, m as u32, d as u32)
    {
        return Some((DateExpr::Full(date), j));
    }
    // Month day[,] [year] / Month year.
    if let Some((m, j)) = month_at(toks, i) {
        if let Some((d, k)) = day_at(toks, j) {
            let k2 = skip_comma(toks, k);
            if let Some((y, l)) = year_at(toks, k2) {
                return NaiveDate::from_ymd_opt(y, m, d).map(|date| (DateExpr::Full(date), l));
            }
            return valid_no_year(m, d).then_some((DateExpr::NoYear { month: m, day: d }, k));
        }
        if let Some((y, k)) = year_at(toks, skip_comma(toks, j)) {
            return Some((DateExpr::MonthYear { year: y, month: m }, k));
        }
        return None;
    }
    // day [of] Month [year].
    if let Some((d, j)) = day_at(toks, i) {
        let j = if toks.get(j).is_some_and(|t| t.lower == "of") { j + 1 } else { j };
        if let Some((m, k)) = month_at(toks, j) {
            if let Some((y, l)) = year_at(toks, skip_comma(toks, k)) {
                return NaiveDate::from_ymd_opt(y, m, d).map(|date| (DateExpr::Full(date), l));
            }
            return valid_no_year(m, d).then_some((DateExpr::NoYear { month: m, day: d }, k));
        }
    }
    None
}

fn valid_no_year(m: u32, d: u32) -> bool {
    NaiveDate::from_ymd_opt(2016, m, d).is_some()
}

/// A time of day starting at `i`: "12:15pm", "4:03 p.m. ET", "4pm", "16:32", "noon".
fn time_at(toks: &[Tok<'_>], i: usize) -> Option<TimeOfDay> {
    let t = toks.get(i)?;
    let (mut h, mut m, mut j);
    if t.lower == "noon" || t.lower == "midnight" {
        (h, m, j) = (if t.lower == "noon" { 12 } else { 0 }, 0, i + 1);
    } else {
        h = num(t)?;
        if t.text.len() > 2 {
            return None;
        }
        m = 0;
        j = i + 1;
        let colon = toks.get(j).is_some_and(|c| c.text == ":" && glued(t, Some(c)));
        if colon {
            let mm = toks.get(j + 1).filter(|x| x.text.len() == 2).and_then(num)?;
            m = mm;
            j += 2;
        }
        // am / pm / a.m. / p.m.
        let mut meridiem = None;
        if let Some(w) = toks.get(j) {
            match w.lower.as_str() {
                "am" | "pm" => {
                    meridiem = Some(w.lower == "pm");
                    j += 1;
                }
                "a" | "p"
                    if toks.get(j + 1).is_some_and(|x| x.text == ".")
                        && toks.get(j + 2).is_some_and(|x| x.lower == "m") =>
                {
                    meridiem = Some(w.lower == "p");
                    j += 3;
                    if toks.get(j).is_some_and(|x| x.text == ".") {
                        j += 1;
                    }
                }
                _ => {}
            }
        }
        match meridiem {
            Some(pm) => {
                if !(1..=12).contains(&h) {
                    return None;
                }
                h = (h % 12) + if pm { 12 } else { 0 };
            }
            None if !colon => return None,
            None => {}
        }
    }
    let time = NaiveTime::from_hms_opt(h as u32, m as u32, 0)?;
    let mut zone = None;
    let mut k = j;
    if toks.get(k).is_some_and(|x| x.text == "(") {
        k += 1;
    }
    if let Some(z) = toks.get(k).and_then(|x| zone_word(&x.lower).filter(|_| x.kind == Kind::Word)) {
        zone = Some(z);
        j = k + 1;
        if toks.get(j).is_some_and(|x| x.lower == "time") {
            j += 1;
        }
        if k > i && toks[k - 1].text == "(" && toks.get(j).is_some_and(|x| x.text == ")") {
            j += 1;
        }
    }
    Some(TimeOfDay { from: i, to: j, time, zone })
}

/// A relative phrase at `i`: (found, end index).
fn relative_at(toks: &[Tok<'_>], i: usize) -> Option<(Found, usize)> {
    let t = toks.get(i)?;
    let w = t.lower.as_str();
    match w {
        "yesterday" => return Some((Found::Deictic { days_back: 1, what: "yesterday" }, i + 1)),
        "today" => return Some((Found::Deictic { days_back: 0, what: "today" }, i + 1)),
        "tomorrow" => return Some((Found::Deictic { days_back: -1, what: "tomorrow" }, i + 1)),
        "last" if toks.get(i + 1).is_some_and(|x| x.lower == "night") => {
            return Some((Found::Deictic { days_back: 1, what: "last night" }, i + 2));
        }
        "the" => {
            // the next / following / previous day, the day before / after.
            let a = toks.get(i + 1).map(|x| x.lower.as_str());
            let b = toks.get(i + 2).map(|x| x.lower.as_str());
            let (sign, end) = match (a, b) {
                (Some("next" | "following"), Some("day" | "morning" | "evening" | "night")) => (1, i + 3),
                (Some("previous"), Some("day" | "evening" | "night")) => (-1, i + 3),
                (Some("day" | "night"), Some("before")) => (-1, i + 3),
                (Some("day"), Some("after")) => (1, i + 3),
                _ => return None,
            };
            let anchor = anchor_after(toks, end, matches!(b, Some("before" | "after")));
            return Some((Found::Relative { amount: 1, unit: Unit::Day, sign, anchor: anchor.0 }, anchor.1));
        }
        _ => {}
    }
    if let Some(wd) = weekday(w) {
        if date_at(toks, i).is_some() {
            return None;
        }
        return Some((Found::Weekday(wd), i + 1));
    }
    let amount = num(t).filter(|_| t.text.len() <= 3).or_else(|| number_word(w))?;
    let u = unit(&toks.get(i + 1)?.lower)?;
    let dir = toks.get(i + 2)?.lower.as_str();
    let (sign, takes_object) = match dir {
        "later" | "afterwards" | "afterward" => (1, false),
        "after" => (1, true),
        "earlier" => (-1, false),
        "before" | "prior" => (-1, true),
        "ago" => {
            let days = match u {
                Unit::Day => amount,
                Unit::Week => amount * 7,
                _ => return Some((Found::Relative { amount, unit: u, sign: -1, anchor: Anchor::Article }, i + 3)),
            };
            return Some((Found::Deictic { days_back: days, what: "ago" }, i + 3));
        }
        _ => return None,
    };
    let mut end = i + 3;
    if dir == "prior" && toks.get(end).is_some_and(|x| x.lower == "to") {
        end += 1;
    }
    let (anchor, end) = anchor_after(toks, end, takes_object);
    Some((Found::Relative { amount, unit: u, sign, anchor }, end))
}

/// What a relative phrase is relative to, looking at the words after it.
fn anchor_after(toks: &[Tok<'_>], i: usize, takes_object: bool) -> (Anchor, usize) {
    if !takes_object {
        return (Anchor::Previous, i);
    }
    match toks.get(i).map(|t| t.lower.as_str()) {
        Some("that" | "this" | "it" | "then") => (Anchor::Previous, i + 1),
        Some("the") => {
            let mut j = i + 1;
            let mut words = vec!["the"];
            while let Some(t) = toks.get(j) {
                if t.kind != Kind::Word
                    || words.len() >= 4
                    || matches!(t.lower.as_str(), "and" | "on" | "in" | "at" | "when")
                {
                    break;
                }
                words.push(t.text);
                j += 1;
            }
            if date_at(toks, i + 1).is_some() {
                return (Anchor::Date(i + 1), i + 1);
            }
            (Anchor::Named(words.join(" ")), j)
        }
        Some(_) if date_at(toks, i).is_some() => (Anchor::Date(i), i),
        _ => (Anchor::Previous, i),
    }
}

// ------------------------------------------------------------- resolving

fn place(date: NaiveDate, time: Option<NaiveTime>, zone: Option<&str>) -> (i64, Option<String>) {
    let local = date.and_time(time.unwrap_or(NaiveTime::MIN));
    match (time, zone.and_then(parse_zone)) {
        (Some(_), Some(z)) => match z.to_utc_ms(local) {
            Ok(ms) => (ms, None),
            Err(e) => (local.and_utc().timestamp_millis(), Some(e)),
        },
        _ => (local.and_utc().timestamp_millis(), None),
    }
}

fn when(date: NaiveDate, time: Option<NaiveTime>, zone: Option<&str>, precision: Precision) -> (When, Option<String>) {
    let (utc_ms, problem) = place(date, time, zone);
    (When { date, time, zone: zone.map(str::to_string), utc_ms, precision }, problem)
}

fn fmt_when(w: &When) -> String {
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

fn shift(w: &When, amount: i64, u: Unit, sign: i64) -> Option<When> {
    let n = amount * sign;
    let local = w.date.and_time(w.time.unwrap_or(NaiveTime::MIN));
    let moved = match u {
        Unit::Minute => local.checked_add_signed(Duration::try_minutes(n)?)?,
        Unit::Hour => local.checked_add_signed(Duration::try_hours(n)?)?,
        Unit::Day => local.checked_add_signed(Duration::try_days(n)?)?,
        Unit::Week => local.checked_add_signed(Duration::try_weeks(n)?)?,
        Unit::Month | Unit::Year => {
            let months = u32::try_from((if u == Unit::Year { 12 } else { 1 }) * amount).ok()?;
            if sign > 0 {
                local.checked_add_months(Months::new(months))?
            } else {
                local.checked_sub_months(Months::new(months))?
            }
        }
    };
    let (time, precision) = match (w.time, w.precision) {
        (Some(_), _) => (Some(moved.time()), Precision::Minute),
        (None, Precision::Month) if matches!(u, Unit::Month | Unit::Year) => (None, Precision::Month),
        // An anchor known to the day: minutes or hours later is placed on
        // the day it falls on, without a time.
        (None, _) => (None, Precision::Day),
    };
    Some(when(moved.date(), time, w.zone.as_deref(), precision).0)
}

struct Ctx {
    article: Option<NaiveDate>,
    year: Option<(i32, String)>,
}

impl Ctx {
    fn resolve_no_year(&self, month: u32, day: u32) -> Result<(NaiveDate, String), String> {
        if let Some((y, from)) = &self.year
            && let Some(d) = NaiveDate::from_ymd_opt(*y, month, day)
        {
            return Ok((d, format!("year {y} from the article's context ({from})")));
        }
        let Some(a) = self.article else {
            return Err("no year, and neither the article's context nor its date gives one".into());
        };
        // The nearest such day to the article's date, earlier on a tie: an
        // article of 10 October 2016 means 19 October 2016 by "October 19"
        // (an upcoming debate), one of 3 January 2017 means 30 December 2016
        // by "December 30".
        let best = [a.year() - 1, a.year(), a.year() + 1]
            .into_iter()
            .filter_map(|y| NaiveDate::from_ymd_opt(y, month, day))
            .min_by_key(|d| ((*d - a).num_days().abs(), *d));
        let Some(d) = best else { return Err("no valid year".into()) };
        let how = match (d - a).num_days() {
            0 => "the article's own day".to_string(),
            n if n < 0 => format!("the nearest such day, {} days before it", -n),
            n => format!("the nearest such day, {n} days after it"),
        };
        Ok((d, format!("year assumed from the article's date ({a}): {how}")))
    }
}

/// Find and resolve the dated statements of `text`, written on `article_date`.
pub fn extract(text: &str, article_date: Option<NaiveDate>) -> Vec<Claim> {
    let mut ctx = Ctx { article: article_date, year: None };
    let mut out = Vec::new();
    for (pi, (poff, ptext)) in passages(text).into_iter().enumerate() {
        // Resolved expressions of this passage, for relative phrases.
        let mut anchors: Vec<(When, String)> = Vec::new();
        for (soff, stext) in sentences(ptext) {
            let base = poff + soff;
            let toks = tokenize(stext, base);
            let sentence = stext.split_whitespace().collect::<Vec<_>>().join(" ");
            let mut found: Vec<(usize, usize, Found)> = Vec::new();
            let mut i = 0;
            while i < toks.len() {
                if let Some((d, j)) = date_at(&toks, i) {
                    found.push((i, j, Found::Date(d)));
                    i = j;
                } else if let Some(t) = time_at(&toks, i) {
                    let (a, b) = (t.from, t.to);
                    found.push((a, b, Found::Time(t)));
                    i = b;
                } else if let Some((f, j)) = relative_at(&toks, i) {
                    found.push((i, j, f));
                    i = j;
                } else {
                    // A year standing alone sets the context.
                    if let Some((y, _)) = year_at(&toks, i) {
                        let before = i.checked_sub(1).map(|k| toks[k].lower.as_str());
                        let after = toks.get(i + 1).map(|t| t.lower.as_str());
                        if before.is_some_and(|b| YEAR_BEFORE.contains(&b))
                            || after.is_some_and(|a| YEAR_AFTER.contains(&a))
                        {
                            found.push((i, i + 1, Found::Date(DateExpr::MonthYear { year: y, month: 0 })));
                        }
                    }
                    i += 1;
                }
            }
            // Join each time to the nearest date in the sentence.
            let mut joined: Vec<Option<usize>> = vec![None; found.len()];
            for (ti, (a, b, f)) in found.iter().enumerate() {
                if !matches!(f, Found::Time(_)) {
                    continue;
                }
                let best = found
                    .iter()
                    .enumerate()
                    .filter(|(_, (_, _, g))| matches!(g, Found::Date(DateExpr::Full(_) | DateExpr::NoYear { .. })))
                    .map(|(di, (c, d, _))| (di, if *c >= *b { c - b } else { a.saturating_sub(*d) }))
                    .filter(|(_, dist)| *dist <= 4)
                    .min_by_key(|(_, dist)| *dist);
                if let Some((di, _)) = best
                    && !joined.contains(&Some(di))
                {
                    joined[ti] = Some(di);
                }
            }
            for (fi, (a, b, f)) in found.iter().enumerate() {
                let time_here = joined.iter().position(|j| *j == Some(fi)).and_then(|ti| match &found[ti].2 {
                    Found::Time(t) => Some((ti, t)),
                    _ => None,
                });
                if matches!(f, Found::Time(_)) && joined[fi].is_some() {
                    continue;
                }
                let (mut lo, mut hi) = (*a, *b);
                if let Some((ti, _)) = time_here {
                    lo = lo.min(found[ti].0);
                    hi = hi.max(found[ti].1);
                }
                let expr_start = toks[lo].start;
                let expr_end = toks[hi - 1].end;
                let expression = text[expr_start..expr_end].to_string();
                let result: Result<(When, String), String>;
                match f {
                    Found::Date(DateExpr::MonthYear { year, month: 0 }) => {
                        ctx.year = Some((*year, format!("\"{expression}\"")));
                        continue;
                    }
                    Found::Date(DateExpr::MonthYear { year, month }) => {
                        ctx.year = Some((*year, format!("\"{expression}\"")));
                        let d = NaiveDate::from_ymd_opt(*year, *month, 1).expect("valid month");
                        result = Ok((when(d, None, None, Precision::Month).0, "as written (month)".into()));
                    }
                    Found::Date(de) => {
                        let day = match de {
                            DateExpr::Full(d) => {
                                ctx.year = Some((d.year(), format!("\"{expression}\"")));
                                Ok((*d, "as written".to_string()))
                            }
                            DateExpr::NoYear { month, day } => ctx.resolve_no_year(*month, *day),
                            DateExpr::MonthYear { .. } => unreachable!("handled above"),
                        };
                        result = day.map(|(d, basis)| {
                            let (t, z) = time_here.map_or((None, None), |(_, t)| (Some(t.time), t.zone));
                            let (w, problem) =
                                when(d, t, z, if t.is_some() { Precision::Minute } else { Precision::Day });
                            (w, problem.map_or(basis.clone(), |p| format!("{basis}; {p}; placed as UTC")))
                        });
                    }
                    Found::Time(t) => {
                        result = match anchors.last() {
                            Some((w, e)) if w.precision != Precision::Month => {
                                let zone = t.zone.or(w.zone.as_deref().and_then(zone_word_static));
                                let (w2, _) = when(w.date, Some(t.time), zone, Precision::Minute);
                                Ok((w2, format!("time of day on the day of \"{e}\", earlier in the passage")))
                            }
                            _ => Err("a time of day, and no date for it in this passage".into()),
                        };
                    }
                    Found::Deictic { days_back, what } => {
                        result = match ctx.article {
                            Some(a) => Ok((
                                when(a - Duration::days(*days_back), None, None, Precision::Day).0,
                                format!("relative to the article's date ({a})"),
                            )),
                            None => Err(format!("\"{what}\" needs the article's date, which is not known")),
                        };
                    }
                    Found::Weekday(wd) => {
                        result = match ctx.article {
                            Some(a) => {
                                let mut d = a;
                                while d.weekday() != *wd {
                                    d -= Duration::days(1);
                                }
                                Ok((
                                    when(d, None, None, Precision::Day).0,
                                    format!("the latest {wd:?} on or before the article's date ({a})"),
                                ))
                            }
                            None => Err("a weekday, and the article's date is not known".into()),
                        };
                    }
                    Found::Relative { amount, unit: u, sign, anchor } => {
                        let phrase = format!(
                            "{amount} {} {}",
                            unit_name(*u, *amount),
                            if *sign > 0 { "after" } else { "before" }
                        );
                        result = match anchor {
                            Anchor::Previous => match anchors.last() {
                                Some((w, e)) => shift(w, *amount, *u, *sign)
                                    .map(|w2| (w2, format!("{phrase} \"{e}\", earlier in the passage")))
                                    .ok_or_else(|| "out of range".to_string()),
                                None => Err("relative to an earlier moment, and this passage states none".into()),
                            },
                            Anchor::Article => match ctx.article {
                                Some(a) => shift(&when(a, None, None, Precision::Day).0, *amount, *u, *sign)
                                    .map(|w2| (w2, format!("{phrase} the article's date ({a})")))
                                    .ok_or_else(|| "out of range".to_string()),
                                None => Err("relative to the article's date, which is not known".into()),
                            },
                            Anchor::Named(name) => {
                                Err(format!("relative to \"{name}\", which this passage does not date"))
                            }
                            Anchor::Date(k) => match date_at(&toks, *k) {
                                Some((DateExpr::Full(d), _)) => {
                                    shift(&when(d, None, None, Precision::Day).0, *amount, *u, *sign)
                                        .map(|w2| (w2, format!("{phrase} the date named")))
                                        .ok_or_else(|| "out of range".to_string())
                                }
                                Some((DateExpr::NoYear { month, day }, _)) => ctx
                                    .resolve_no_year(month, day)
                                    .and_then(|(d, _)| {
                                        shift(&when(d, None, None, Precision::Day).0, *amount, *u, *sign)
                                            .ok_or_else(|| "out of range".to_string())
                                    })
                                    .map(|w2| (w2, format!("{phrase} the date named"))),
                                _ => Err("relative to a date that could not be read".into()),
                            },
                        };
                    }
                }
                let (when_, basis) = match result {
                    Ok((w, basis)) => {
                        anchors.push((w.clone(), expression.clone()));
                        (Some(w), basis)
                    }
                    Err(reason) => (None, reason),
                };
                out.push(Claim {
                    passage: pi,
                    sentence: sentence.clone(),
                    sentence_offset: base,
                    expression,
                    offset: expr_start,
                    when: when_,
                    basis,
                });
            }
        }
    }
    out
}

fn zone_word_static(z: &str) -> Option<&'static str> {
    zone_word(&z.to_ascii_lowercase())
}

/// "2016-11-10 12:15 ET", "2016-10-07", "2016-07" — a claim's time as read.
pub fn describe(w: &When) -> String {
    fmt_when(w)
}
