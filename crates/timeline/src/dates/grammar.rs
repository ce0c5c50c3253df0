//! The grammar of date and time expressions: which tokens of a sentence
//! make a date ("July 22, 2016", "Oct 12", "10/7/2016"), a time of day
//! ("12:15pm ET"), a relative phrase ("two days after that", "yesterday"),
//! or a year that sets the context ("in 2016"), and which time belongs to
//! which date. Nothing here resolves: that needs the article (`resolve`).

use chrono::{NaiveDate, NaiveTime, Weekday};

use super::tokens::{Kind, Tok, glued, is_ordinal, num, skip_comma};
use super::words::{Unit, YEAR_AFTER, YEAR_BEFORE, month, number_word, unit, weekday, zone_word};

/// A time of day as written, with its zone when one is named.
pub(super) struct TimeOfDay {
    pub time: NaiveTime,
    pub zone: Option<&'static str>,
}

/// The day a date expression names, and whether its year was written.
pub(super) enum DateExpr {
    Full(NaiveDate),
    NoYear { month: u32, day: u32 },
    MonthYear { year: i32, month: u32 },
}

pub(super) enum Found {
    Date(DateExpr),
    /// A year standing alone ("in 2016", "the 2016 election"): context for
    /// the dates after it, not a claim of its own.
    Year(i32),
    Deictic {
        days_back: i64,
        what: &'static str,
    },
    Weekday(Weekday),
    Relative {
        amount: i64,
        unit: Unit,
        sign: i64,
        anchor: Anchor,
    },
    Time(TimeOfDay),
}

/// What a relative phrase is counted from.
pub(super) enum Anchor {
    /// The nearest earlier resolved expression in the passage.
    Previous,
    Article,
    /// A date named right after the phrase ("two days before November 8").
    Date(DateExpr),
    /// An event named but not dated ("the vote").
    Named(String),
}

/// An expression found in a sentence: its tokens `from..to`, and what it is.
pub(super) struct Expr {
    pub from: usize,
    pub to: usize,
    pub found: Found,
}

/// The expressions of a sentence, in order; the longest reading at each
/// token wins, dates first.
pub(super) fn scan(toks: &[Tok<'_>]) -> Vec<Expr> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let at = date_at(toks, i)
            .map(|(d, j)| (Found::Date(d), j))
            .or_else(|| time_at(toks, i).map(|(t, j)| (Found::Time(t), j)))
            .or_else(|| relative_at(toks, i));
        match at {
            Some((f, j)) => {
                found.push(Expr { from: i, to: j, found: f });
                i = j;
            }
            None => {
                if let Some(y) = context_year_at(toks, i) {
                    found.push(Expr { from: i, to: i + 1, found: Found::Year(y) });
                }
                i += 1;
            }
        }
    }
    found
}

/// For each expression that is a time, the index of the date it belongs to:
/// the nearest date of the sentence within four tokens that no other time
/// has taken.
pub(super) fn join_times(found: &[Expr]) -> Vec<Option<usize>> {
    let mut joined: Vec<Option<usize>> = vec![None; found.len()];
    for (ti, t) in found.iter().enumerate() {
        if !matches!(t.found, Found::Time(_)) {
            continue;
        }
        let best = found
            .iter()
            .enumerate()
            .filter(|(_, d)| matches!(d.found, Found::Date(DateExpr::Full(_) | DateExpr::NoYear { .. })))
            .map(|(di, d)| (di, if d.from >= t.to { d.from - t.to } else { t.from.saturating_sub(d.to) }))
            .filter(|(_, dist)| *dist <= 4)
            .min_by_key(|(_, dist)| *dist);
        if let Some((di, _)) = best
            && !joined.contains(&Some(di))
        {
            joined[ti] = Some(di);
        }
    }
    joined
}

/// A year at `i` that the words around it make a statement of when.
fn context_year_at(toks: &[Tok<'_>], i: usize) -> Option<i32> {
    let (y, _) = year_at(toks, i)?;
    let before = i.checked_sub(1).map(|k| toks[k].lower.as_str());
    let after = toks.get(i + 1).map(|t| t.lower.as_str());
    (before.is_some_and(|b| YEAR_BEFORE.contains(&b)) || after.is_some_and(|a| YEAR_AFTER.contains(&a))).then_some(y)
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

/// A date expression starting at `i`: (expression, end index).
pub(super) fn date_at(toks: &[Tok<'_>], i: usize) -> Option<(DateExpr, usize)> {
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

/// Whether a month and day exist in some year (a leap year: 29 February does).
fn valid_no_year(m: u32, d: u32) -> bool {
    NaiveDate::from_ymd_opt(2016, m, d).is_some()
}

/// A time of day starting at `i`: "12:15pm", "4:03 p.m. ET", "4pm", "16:32",
/// "noon": (time, end index).
fn time_at(toks: &[Tok<'_>], i: usize) -> Option<(TimeOfDay, usize)> {
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
    Some((TimeOfDay { time, zone }, j))
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
            if let Some((d, _)) = date_at(toks, i + 1) {
                return (Anchor::Date(d), i + 1);
            }
            (Anchor::Named(words.join(" ")), j)
        }
        Some(_) => match date_at(toks, i) {
            Some((d, _)) => (Anchor::Date(d), i),
            None => (Anchor::Previous, i),
        },
        None => (Anchor::Previous, i),
    }
}
