//! Time zones as investigators write them next to a time: `ET`, `EDT`,
//! `PT`, `UTC`, `+02:00`. The US zones follow the US daylight-saving rules
//! (1987–2006: first Sunday of April to last Sunday of October; since 2007:
//! second Sunday of March to first Sunday of November), written out here
//! rather than pulling in the whole IANA database (chrono-tz) for four
//! zones. A local time that does not exist (the skipped spring hour) or
//! that happens twice (the repeated autumn hour) is an error that says
//! which fixed abbreviation to write instead.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};

/// A zone as written: a fixed offset or a US zone with daylight saving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zone {
    /// Seconds east of UTC.
    Fixed(i32),
    /// A US zone: standard offset (seconds east of UTC), daylight one hour more.
    Us { standard: i32, name: &'static str },
}

const H: i32 = 3600;

/// Parse a zone name or offset. Case-insensitive for names.
pub fn parse_zone(s: &str) -> Option<Zone> {
    let t = s.trim();
    let fixed = |h: i32| Some(Zone::Fixed(h * H));
    match t.to_ascii_uppercase().as_str() {
        "UTC" | "GMT" | "Z" | "UT" => return fixed(0),
        "EST" => return fixed(-5),
        "EDT" => return fixed(-4),
        "CST" => return fixed(-6),
        "CDT" => return fixed(-5),
        "MST" => return fixed(-7),
        "MDT" => return fixed(-6),
        "PST" => return fixed(-8),
        "PDT" => return fixed(-7),
        "BST" => return fixed(1),
        "CET" => return fixed(1),
        "CEST" => return fixed(2),
        "MSK" => return fixed(3),
        "ET" => return Some(Zone::Us { standard: -5 * H, name: "ET" }),
        "CT" => return Some(Zone::Us { standard: -6 * H, name: "CT" }),
        "MT" => return Some(Zone::Us { standard: -7 * H, name: "MT" }),
        "PT" => return Some(Zone::Us { standard: -8 * H, name: "PT" }),
        _ => {}
    }
    parse_offset(t).map(Zone::Fixed)
}

/// `+02:00`, `-0400`, `+5`, `UTC+3`, `GMT-04:00` → seconds east of UTC.
fn parse_offset(s: &str) -> Option<i32> {
    let s = s.strip_prefix("UTC").or_else(|| s.strip_prefix("GMT")).unwrap_or(s);
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        3 => (digits[..1].parse::<i32>().ok()?, digits[1..].parse::<i32>().ok()?),
        _ => (digits[..2].parse::<i32>().ok()?, digits[2..].parse::<i32>().ok()?),
    };
    if h > 14 || m > 59 || (rest.contains(':') && digits.len() < 3) {
        return None;
    }
    Some(sign * (h * H + m * 60))
}

fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u8) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n).expect("valid nth weekday")
}

fn last_weekday(year: i32, month: u32, weekday: Weekday) -> NaiveDate {
    let mut d = NaiveDate::from_ymd_opt(year, month + 1, 1).expect("month + 1 <= 12") - Duration::days(1);
    while d.weekday() != weekday {
        d -= Duration::days(1);
    }
    d
}

/// Local dates on which US daylight saving time starts and ends (both at
/// 02:00 local clock time).
fn us_dst_dates(year: i32) -> (NaiveDate, NaiveDate) {
    if year >= 2007 {
        (nth_weekday(year, 3, Weekday::Sun, 2), nth_weekday(year, 11, Weekday::Sun, 1))
    } else if year >= 1987 {
        (nth_weekday(year, 4, Weekday::Sun, 1), last_weekday(year, 10, Weekday::Sun))
    } else {
        (last_weekday(year, 4, Weekday::Sun), last_weekday(year, 10, Weekday::Sun))
    }
}

impl Zone {
    /// Seconds east of UTC for a local clock time in this zone.
    pub fn offset_for_local(&self, local: NaiveDateTime) -> Result<i32, String> {
        match *self {
            Zone::Fixed(o) => Ok(o),
            Zone::Us { standard, name } => {
                let (start, end) = us_dst_dates(local.year());
                let two = chrono::NaiveTime::from_hms_opt(2, 0, 0).expect("02:00");
                let three = chrono::NaiveTime::from_hms_opt(3, 0, 0).expect("03:00");
                let one = chrono::NaiveTime::from_hms_opt(1, 0, 0).expect("01:00");
                let (std_abbr, dst_abbr) = abbreviations(name);
                if local.date() == start && local.time() >= two && local.time() < three {
                    return Err(format!(
                        "{local} does not exist in {name} (clocks jumped from 02:00 to 03:00 that night); write {std_abbr} or {dst_abbr}"
                    ));
                }
                if local.date() == end && local.time() >= one && local.time() < two {
                    return Err(format!(
                        "{local} happened twice in {name} (clocks went back from 02:00 to 01:00 that night); write {dst_abbr} or {std_abbr}"
                    ));
                }
                let dst = local >= start.and_time(two) && local < end.and_time(two);
                Ok(if dst { standard + H } else { standard })
            }
        }
    }

    /// Local clock time in this zone → UTC milliseconds.
    pub fn to_utc_ms(&self, local: NaiveDateTime) -> Result<i64, String> {
        let off = self.offset_for_local(local)?;
        Ok((local - Duration::seconds(off as i64)).and_utc().timestamp_millis())
    }
}

fn abbreviations(name: &str) -> (&'static str, &'static str) {
    match name {
        "ET" => ("EST", "EDT"),
        "CT" => ("CST", "CDT"),
        "MT" => ("MST", "MDT"),
        _ => ("PST", "PDT"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn utc(ms: i64) -> String {
        chrono::DateTime::from_timestamp_millis(ms).unwrap().format("%Y-%m-%d %H:%M").to_string()
    }

    #[test]
    fn us_eastern_follows_daylight_saving() {
        let et = parse_zone("ET").unwrap();
        assert_eq!(utc(et.to_utc_ms(local("2016-10-07 16:32")).unwrap()), "2016-10-07 20:32");
        // DST ended on 2016-11-06.
        assert_eq!(utc(et.to_utc_ms(local("2016-11-10 12:15")).unwrap()), "2016-11-10 17:15");
        assert_eq!(utc(et.to_utc_ms(local("2016-03-13 03:00")).unwrap()), "2016-03-13 07:00");
        assert!(et.to_utc_ms(local("2016-03-13 02:30")).unwrap_err().contains("does not exist"));
        assert!(et.to_utc_ms(local("2016-11-06 01:30")).unwrap_err().contains("twice"));
        // 2006 rules: DST until the last Sunday of October (the 29th).
        assert_eq!(utc(et.to_utc_ms(local("2006-10-30 12:00")).unwrap()), "2006-10-30 17:00");
        assert_eq!(utc(parse_zone("pt").unwrap().to_utc_ms(local("2016-07-22 10:00")).unwrap()), "2016-07-22 17:00");
    }

    #[test]
    fn fixed_offsets() {
        assert_eq!(parse_zone("+02:00"), Some(Zone::Fixed(7200)));
        assert_eq!(parse_zone("-0430"), Some(Zone::Fixed(-(4 * 3600 + 1800))));
        assert_eq!(parse_zone("UTC+3"), Some(Zone::Fixed(3 * 3600)));
        assert_eq!(parse_zone("EST"), Some(Zone::Fixed(-5 * 3600)));
        assert_eq!(parse_zone("Eastern"), None);
        assert_eq!(parse_zone("+25"), None);
    }
}
