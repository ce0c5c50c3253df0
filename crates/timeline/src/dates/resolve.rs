//! Resolving what the grammar found to a point on the time axis: a date
//! with its year as written or from the article's context, words such as
//! "yesterday" against the article's date, relative phrases against the
//! nearest earlier resolved expression of the passage, times of day in
//! their zone. Each resolution says on what basis it was made, or why none
//! could be.

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveTime, Weekday};

use super::grammar::{Anchor, DateExpr, Found, TimeOfDay};
use super::words::{Unit, unit_name, zone_word_static};
use super::{Precision, When};
use crate::zone::parse_zone;

/// A resolved point with its basis, or why there is none.
type Resolution = Result<(When, String), String>;

/// What the reading of an article knows when it reaches an expression.
pub(super) struct Reading {
    article: Option<NaiveDate>,
    /// The year last stated in the article, and the expression that stated it.
    year: Option<(i32, String)>,
    /// The expressions resolved so far in the current passage, with their text.
    anchors: Vec<(When, String)>,
}

impl Reading {
    pub(super) fn new(article: Option<NaiveDate>) -> Reading {
        Reading { article, year: None, anchors: Vec::new() }
    }

    /// Relative phrases do not look back across passages.
    pub(super) fn start_passage(&mut self) {
        self.anchors.clear();
    }

    /// Resolve one expression, written as `expression`, with the time of
    /// day joined to it if any: its point (or `None`) and basis. `None`
    /// when the expression only sets the year context and makes no claim.
    pub(super) fn resolve(
        &mut self,
        found: &Found,
        time: Option<&TimeOfDay>,
        expression: &str,
    ) -> Option<(Option<When>, String)> {
        let result = match found {
            Found::Year(year) => {
                self.year = Some((*year, format!("\"{expression}\"")));
                return None;
            }
            Found::Date(d) => self.date(d, time, expression),
            Found::Time(t) => self.time_alone(t),
            Found::Deictic { days_back, what } => self.deictic(*days_back, what),
            Found::Weekday(wd) => self.weekday(*wd),
            Found::Relative { amount, unit, sign, anchor } => self.relative(*amount, *unit, *sign, anchor),
        };
        Some(match result {
            Ok((w, basis)) => {
                self.anchors.push((w.clone(), expression.to_string()));
                (Some(w), basis)
            }
            Err(reason) => (None, reason),
        })
    }

    /// A written date, with the time of day next to it if any; a date with
    /// a year also sets the year context.
    fn date(&mut self, d: &DateExpr, time: Option<&TimeOfDay>, expression: &str) -> Resolution {
        let day = match *d {
            DateExpr::MonthYear { year, month } => {
                self.year = Some((year, format!("\"{expression}\"")));
                let d = NaiveDate::from_ymd_opt(year, month, 1).expect("valid month");
                return Ok((when(d, None, None, Precision::Month).0, "as written (month)".into()));
            }
            DateExpr::Full(d) => {
                self.year = Some((d.year(), format!("\"{expression}\"")));
                Ok((d, "as written".to_string()))
            }
            DateExpr::NoYear { month, day } => self.resolve_no_year(month, day),
        };
        day.map(|(d, basis)| {
            let (t, z) = time.map_or((None, None), |t| (Some(t.time), t.zone));
            let (w, problem) = when(d, t, z, if t.is_some() { Precision::Minute } else { Precision::Day });
            (w, problem.map_or(basis.clone(), |p| format!("{basis}; {p}; placed as UTC")))
        })
    }

    /// A time of day with no date next to it: on the day of the nearest
    /// earlier resolved expression of the passage.
    fn time_alone(&self, t: &TimeOfDay) -> Resolution {
        match self.anchors.last() {
            Some((w, e)) if w.precision != Precision::Month => {
                let zone = t.zone.or(w.zone.as_deref().and_then(zone_word_static));
                let (w2, _) = when(w.date, Some(t.time), zone, Precision::Minute);
                Ok((w2, format!("time of day on the day of \"{e}\", earlier in the passage")))
            }
            _ => Err("a time of day, and no date for it in this passage".into()),
        }
    }

    /// "yesterday", "two days ago": counted back from the article's date.
    fn deictic(&self, days_back: i64, what: &str) -> Resolution {
        match self.article {
            Some(a) => Ok((
                when(a - Duration::days(days_back), None, None, Precision::Day).0,
                format!("relative to the article's date ({a})"),
            )),
            None => Err(format!("\"{what}\" needs the article's date, which is not known")),
        }
    }

    /// "on Monday": the latest such day on or before the article's date.
    fn weekday(&self, wd: Weekday) -> Resolution {
        match self.article {
            Some(a) => {
                let mut d = a;
                while d.weekday() != wd {
                    d -= Duration::days(1);
                }
                Ok((
                    when(d, None, None, Precision::Day).0,
                    format!("the latest {wd:?} on or before the article's date ({a})"),
                ))
            }
            None => Err("a weekday, and the article's date is not known".into()),
        }
    }

    /// "15 minutes later", "two days before November 8": shifted from its anchor.
    fn relative(&self, amount: i64, u: Unit, sign: i64, anchor: &Anchor) -> Resolution {
        let phrase = format!("{amount} {} {}", unit_name(u, amount), if sign > 0 { "after" } else { "before" });
        let out_of_range = || "out of range".to_string();
        let from_day = |d: NaiveDate| shift(&when(d, None, None, Precision::Day).0, amount, u, sign);
        match anchor {
            Anchor::Previous => match self.anchors.last() {
                Some((w, e)) => shift(w, amount, u, sign)
                    .map(|w2| (w2, format!("{phrase} \"{e}\", earlier in the passage")))
                    .ok_or_else(out_of_range),
                None => Err("relative to an earlier moment, and this passage states none".into()),
            },
            Anchor::Article => match self.article {
                Some(a) => {
                    from_day(a).map(|w2| (w2, format!("{phrase} the article's date ({a})"))).ok_or_else(out_of_range)
                }
                None => Err("relative to the article's date, which is not known".into()),
            },
            Anchor::Named(name) => Err(format!("relative to \"{name}\", which this passage does not date")),
            Anchor::Date(DateExpr::Full(d)) => {
                from_day(*d).map(|w2| (w2, format!("{phrase} the date named"))).ok_or_else(out_of_range)
            }
            Anchor::Date(DateExpr::NoYear { month, day }) => self
                .resolve_no_year(*month, *day)
                .and_then(|(d, _)| from_day(d).ok_or_else(out_of_range))
                .map(|w2| (w2, format!("{phrase} the date named"))),
            Anchor::Date(DateExpr::MonthYear { .. }) => Err("relative to a date that could not be read".into()),
        }
    }

    /// The year of a date written without one: from the article's context,
    /// else the nearest such day to the article's date.
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

/// UTC milliseconds of a local date and time; a problem with the zone (a
/// local time that does not exist, say) places it as if UTC and says why.
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

/// `w` moved by `amount` units in the direction of `sign`; `None` off the calendar.
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
