//! The words dates are written with: month and weekday names, numbers
//! spelled out, units of time, zone names, and the words around a year that
//! make it a statement of when ("in 2016", "the 2016 election").

use chrono::Weekday;

pub(super) fn month(w: &str) -> Option<u32> {
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

pub(super) fn weekday(w: &str) -> Option<Weekday> {
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

pub(super) fn number_word(w: &str) -> Option<i64> {
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
pub(super) enum Unit {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

pub(super) fn unit_name(u: Unit, n: i64) -> String {
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

pub(super) fn unit(w: &str) -> Option<Unit> {
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

pub(super) fn zone_word(w: &str) -> Option<&'static str> {
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

/// A zone name in any case, as the static name a time carries.
pub(super) fn zone_word_static(z: &str) -> Option<&'static str> {
    zone_word(&z.to_ascii_lowercase())
}

/// Words before a bare year that make it a statement of when.
pub(super) const YEAR_BEFORE: &[&str] = &[
    "in", "of", "since", "during", "until", "till", "by", "from", "early", "late", "mid", "summer", "spring", "fall",
    "autumn", "winter", "through", "the",
];
/// Words after a bare year that make it a statement of when.
pub(super) const YEAR_AFTER: &[&str] = &[
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
