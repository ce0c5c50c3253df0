//! Timestamps as they appear in social-media exports, to UTC milliseconds
//! with the resolution the source actually had.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// A parsed instant: UTC milliseconds since the epoch and the source's
/// resolution in seconds (60 for whole minutes, 1 for seconds, 0 for
/// sub-second).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instant {
    pub ms: i64,
    pub resolution_s: u32,
}

/// How a generic CSV writes its times (`--time-format`).
#[derive(Clone, Debug, Default, PartialEq)]
pub enum TimeFormat {
    /// Any of the layouts [`parse_auto`] knows.
    #[default]
    Auto,
    /// Seconds since the Unix epoch (fractions allowed).
    Epoch,
    /// Milliseconds since the Unix epoch.
    EpochMs,
    /// A chrono/strftime pattern; without a zone in the pattern, UTC.
    Pattern(String),
}

impl TimeFormat {
    pub fn parse_arg(s: &str) -> TimeFormat {
        match s {
            "auto" => TimeFormat::Auto,
            "epoch" | "unix" => TimeFormat::Epoch,
            "epoch_ms" | "epoch-ms" | "unix_ms" => TimeFormat::EpochMs,
            p => TimeFormat::Pattern(p.to_string()),
        }
    }

    pub fn parse(&self, s: &str) -> Option<Instant> {
        let s = s.trim();
        match self {
            TimeFormat::Auto => parse_auto(s),
            TimeFormat::Epoch => parse_epoch(s),
            TimeFormat::EpochMs => {
                let ms: i64 = s.parse().ok()?;
                Some(Instant { ms, resolution_s: 0 })
            }
            TimeFormat::Pattern(p) => {
                if let Ok(dt) = DateTime::parse_from_str(s, p) {
                    return Some(Instant { ms: dt.timestamp_millis(), resolution_s: pattern_resolution(p) });
                }
                let dt = NaiveDateTime::parse_from_str(s, p).ok()?;
                Some(Instant { ms: dt.and_utc().timestamp_millis(), resolution_s: pattern_resolution(p) })
            }
        }
    }
}

fn pattern_resolution(p: &str) -> u32 {
    if p.contains("%f") || p.contains("%.f") || p.contains("%3f") {
        0
    } else if p.contains("%S") || p.contains("%T") || p.contains("%s") {
        1
    } else if p.contains("%M") || p.contains("%R") {
        60
    } else {
        86400
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |a, d| a * 10 + (d - b'0') as u32))
}

fn civil_ms(y: u32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<i64> {
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(y as i32, mo, d)?;
    let days = date.signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1)?).num_days();
    Some(((days * 86400) + (h * 3600 + mi * 60 + s) as i64) * 1000)
}

/// `YYYY-MM-DD HH:MM[:SS]`, naive, read as UTC. The hot path for the IRA
/// and archive data, so parsed by hand.
pub fn parse_iso_naive(s: &str) -> Option<Instant> {
    let b = s.as_bytes();
    if b.len() < 16 || b[4] != b'-' || b[7] != b'-' || !(b[10] == b' ' || b[10] == b'T') || b[13] != b':' {
        return None;
    }
    let (y, mo, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let (h, mi) = (digits(&b[11..13])?, digits(&b[14..16])?);
    match b.len() {
        16 => Some(Instant { ms: civil_ms(y, mo, d, h, mi, 0)?, resolution_s: 60 }),
        19 if b[16] == b':' => Some(Instant { ms: civil_ms(y, mo, d, h, mi, digits(&b[17..19])?)?, resolution_s: 1 }),
        _ => None,
    }
}

/// `M/D/YYYY H:MM[:SS]` (US order), as in the FiveThirtyEight CSVs; UTC.
pub fn parse_us_naive(s: &str) -> Option<Instant> {
    let (date, time) = s.split_once(' ')?;
    let mut dp = date.split('/');
    let (mo, d, y) = (digits(dp.next()?.as_bytes())?, digits(dp.next()?.as_bytes())?, digits(dp.next()?.as_bytes())?);
    if dp.next().is_some() || y < 1000 {
        return None;
    }
    let mut tp = time.split(':');
    let (h, mi) = (digits(tp.next()?.as_bytes())?, digits(tp.next()?.as_bytes())?);
    let (sec, res) = match tp.next() {
        Some(x) => (digits(x.as_bytes())?, 1),
        None => (0, 60),
    };
    if tp.next().is_some() {
        return None;
    }
    Some(Instant { ms: civil_ms(y, mo, d, h, mi, sec)?, resolution_s: res })
}

/// Seconds since the epoch, optionally with a fraction.
pub fn parse_epoch(s: &str) -> Option<Instant> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let neg = int.starts_with('-');
    let secs: i64 = int.parse().ok()?;
    let mut ms = secs.checked_mul(1000)?;
    let mut res = 1;
    if let Some(f) = frac {
        let f3: String = f.chars().chain("000".chars()).take(3).collect();
        let extra: i64 = f3.parse().ok()?;
        if !f.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        ms = ms.checked_add(if neg { -extra } else { extra })?;
        if !f.trim_end_matches('0').is_empty() {
            res = 0;
        }
    }
    Some(Instant { ms, resolution_s: res })
}

/// RFC 3339 / ISO 8601 with an offset (`2020-01-02T03:04:05.000Z`).
pub fn parse_rfc3339(s: &str) -> Option<Instant> {
    let dt = DateTime::parse_from_rfc3339(s).ok()?;
    let res = if dt.timestamp_subsec_millis() != 0 { 0 } else { 1 };
    Some(Instant { ms: dt.with_timezone(&Utc).timestamp_millis(), resolution_s: res })
}

/// The v1.1 API's `Wed Oct 10 20:19:24 +0000 2018`.
pub fn parse_twitter_v1(s: &str) -> Option<Instant> {
    let dt = DateTime::parse_from_str(s, "%a %b %d %H:%M:%S %z %Y").ok()?;
    Some(Instant { ms: dt.timestamp_millis(), resolution_s: 1 })
}

/// Try every layout leaktrace knows.
pub fn parse_auto(s: &str) -> Option<Instant> {
    let s = s.trim();
    parse_iso_naive(s)
        .or_else(|| parse_rfc3339(s))
        .or_else(|| parse_us_naive(s))
        .or_else(|| parse_twitter_v1(s))
        .or_else(|| if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') { parse_epoch(s) } else { None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts() {
        let base = 1504813920000; // 2017-09-07 19:52:00 UTC
        assert_eq!(parse_auto("2017-09-07 19:52:00"), Some(Instant { ms: base, resolution_s: 1 }));
        assert_eq!(parse_auto("2017-09-07 19:52"), Some(Instant { ms: base, resolution_s: 60 }));
        assert_eq!(parse_auto("9/7/2017 19:52"), Some(Instant { ms: base, resolution_s: 60 }));
        assert_eq!(parse_auto("2017-09-07T21:52:00+02:00"), Some(Instant { ms: base, resolution_s: 1 }));
        assert_eq!(parse_auto("2017-09-07T19:52:00.250Z"), Some(Instant { ms: base + 250, resolution_s: 0 }));
        assert_eq!(parse_auto("Thu Sep 07 19:52:00 +0000 2017"), Some(Instant { ms: base, resolution_s: 1 }));
        assert_eq!(parse_auto("1504813920"), Some(Instant { ms: base, resolution_s: 1 }));
        assert_eq!(parse_auto("1504813920.5"), Some(Instant { ms: base + 500, resolution_s: 0 }));
    }

    #[test]
    fn nonsense_is_rejected() {
        for s in [
            "",
            "9223372036854775.999",
            "2017-13-07 19:52:00",
            "2017-02-30 10:00",
            "2017-09-07 24:00",
            "yesterday",
            "9/7/17 19:52",
            "1.2.3",
        ] {
            assert_eq!(parse_auto(s), None, "{s}");
        }
    }

    #[test]
    fn explicit_formats() {
        let f = TimeFormat::parse_arg("%d.%m.%Y %H:%M");
        assert_eq!(f.parse("07.09.2017 19:52"), Some(Instant { ms: 1504813920000, resolution_s: 60 }));
        assert_eq!(TimeFormat::EpochMs.parse("1504813920123"), Some(Instant { ms: 1504813920123, resolution_s: 0 }));
    }
}
