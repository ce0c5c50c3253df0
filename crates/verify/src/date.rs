//! RFC 5322 dates as mail really writes them: optional weekday, one- or
//! two-digit days, two-digit years, seconds left out, named zones, trailing
//! comments such as `(PST)`.
//!
//! Hand-written because chrono's `DateTime::parse_from_rfc2822` refuses
//! forms that mail programs do write and a verdict must still read: a
//! weekday that contradicts the date, a weekday spelled out or without its
//! comma, no zone, a full month name, a one-digit hour, fractional seconds,
//! a comma or comment between the parts.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/// Parse a date; `None` when it is not one.
pub fn parse(s: &str) -> Option<DateTime<FixedOffset>> {
    // Comments go; commas separate like spaces.
    let mut clean = String::with_capacity(s.len());
    let mut depth = 0u32;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => clean.push(' '),
            c if depth == 0 => clean.push(c),
            _ => {}
        }
    }
    let mut tokens: Vec<&str> = clean.split_whitespace().collect();
    if tokens.first().is_some_and(|t| t.chars().all(|c| c.is_ascii_alphabetic())) {
        tokens.remove(0);
    }
    let mut it = tokens.into_iter();
    let (day, month) = {
        let a = it.next()?;
        let b = it.next()?;
        // "7 Nov" or (rarely) "Nov 7".
        match (a.parse::<u32>(), month_of(b)) {
            (Ok(d), Some(m)) => (d, m),
            _ => (b.parse::<u32>().ok()?, month_of(a)?),
        }
    };
    let year_tok = it.next()?;
    let mut year: i32 = year_tok.parse().ok()?;
    if year_tok.len() <= 2 {
        year += if year < 50 { 2000 } else { 1900 };
    } else if year_tok.len() == 3 {
        year += 1900;
    }
    let time = it.next()?;
    let mut hms = time.split(':');
    let h: u32 = hms.next()?.parse().ok()?;
    let m: u32 = hms.next()?.parse().ok()?;
    let sec: u32 = match hms.next() {
        Some(x) => x.split('.').next()?.parse().ok()?,
        None => 0,
    };
    let offset = match it.next() {
        Some(z) => zone_seconds(z)?,
        None => 0,
    };
    let naive = NaiveDate::from_ymd_opt(year, month, day)?.and_hms_opt(h, m, sec.min(59))?;
    let tz = FixedOffset::east_opt(offset)?;
    tz.from_local_datetime(&naive).single()
}

fn month_of(s: &str) -> Option<u32> {
    let l = s.get(..3)?.to_ascii_lowercase();
    MONTHS.iter().position(|m| *m == l).map(|i| i as u32 + 1)
}

fn zone_seconds(z: &str) -> Option<i32> {
    let b = z.as_bytes();
    if (b[0] == b'+' || b[0] == b'-') && b.len() >= 5 && b[1..5].iter().all(u8::is_ascii_digit) {
        let hh: i32 = z[1..3].parse().ok()?;
        let mm: i32 = z[3..5].parse().ok()?;
        if hh > 23 || mm > 59 {
            return None;
        }
        let s = hh * 3600 + mm * 60;
        return Some(if b[0] == b'-' { -s } else { s });
    }
    let h = match z.to_ascii_uppercase().as_str() {
        "UT" | "UTC" | "GMT" | "Z" => 0,
        "EDT" => -4,
        "EST" | "CDT" => -5,
        "CST" | "MDT" => -6,
        "MST" | "PDT" => -7,
        "PST" => -8,
        // RFC 5322 §4.3: other (military) zones carry no information.
        _ => 0,
    };
    Some(h * 3600)
}

/// `+0300` style offset of a parsed date.
pub fn offset_string(d: &DateTime<FixedOffset>) -> String {
    let secs = d.offset().local_minus_utc();
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.abs();
    format!("{sign}{:02}{:02}", a / 3600, (a % 3600) / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_mail_writes() {
        let d = parse("Mon, 7 Nov 2022 23:51:18 -0800 (PST)").unwrap();
        assert_eq!(d.to_rfc3339(), "2022-11-07T23:51:18-08:00");
        assert_eq!(parse("29 May 2017 14:02 +0300").unwrap().to_rfc3339(), "2017-05-29T14:02:00+03:00");
        assert_eq!(parse("Thu, 1 Jan 98 00:00:00 GMT").unwrap().timestamp(), 883612800);
        assert_eq!(parse("Tue, 15 Mar 2021 10:00:00 EST").unwrap().to_rfc3339(), "2021-03-15T10:00:00-05:00");
        assert_eq!(offset_string(&parse("1 Jan 2020 00:00:00 -0330").unwrap()), "-0330");
        assert!(parse("yesterday").is_none());
        assert!(parse("").is_none());
        assert!(parse("32 Jan 2020 00:00:00 +0000").is_none());
    }

    #[test]
    fn forms_chrono_refuses() {
        for (s, want) in [
            // 15 March 2021 was a Monday.
            ("Tue, 15 Mar 2021 10:00:00 EST", "2021-03-15T10:00:00-05:00"),
            ("Mon 7 Nov 2022 23:51:18 -0800", "2022-11-07T23:51:18-08:00"),
            ("Monday, 7 Nov 2022 23:51:18 -0800", "2022-11-07T23:51:18-08:00"),
            ("7 Nov 2022 23:51:18", "2022-11-07T23:51:18+00:00"),
            ("7 November 2022 23:51:18 -0800", "2022-11-07T23:51:18-08:00"),
            ("7 Nov 2022 9:51:18 -0800", "2022-11-07T09:51:18-08:00"),
            ("7 Nov 2022 23:51:18.123 -0800", "2022-11-07T23:51:18-08:00"),
            ("7 Nov, 2022 23:51:18 -0800", "2022-11-07T23:51:18-08:00"),
            ("7 (c) Nov 2022 23:51:18 -0800", "2022-11-07T23:51:18-08:00"),
        ] {
            assert!(DateTime::parse_from_rfc2822(s).is_err(), "chrono now reads {s:?}: the module doc is out of date");
            assert_eq!(parse(s).map(|d| d.to_rfc3339()).as_deref(), Some(want), "{s:?}");
        }
    }
}
