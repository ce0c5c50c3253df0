//! Declared events: the moments an investigator knows from elsewhere
//! ("2016-10-07 16:32 ET, release, Podesta emails part 1, https://…"),
//! read from a CSV they write. Every time carries its zone explicitly; every
//! event keeps the file and line it came from and the source it cites.
//!
//! Columns: `time, kind, label, source[, objects]`. A first row starting
//! with `time` is a header; lines starting with `#` are comments. `objects`
//! lists what the event is about, space-separated (`#podestaemails
//! url:https://wikileaks.org/podesta-emails/ domain:wikileaks.org`); when it
//! is empty and `source` is a URL, the event is about that URL.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::Serialize;

use crate::objects::Object;
use crate::zone::parse_zone;
use crate::{Result, TimelineError};

/// One declared event.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeclaredEvent {
    pub time_ms: i64,
    /// Seconds: 60 for `HH:MM`, 1 for `HH:MM:SS`, 86400 for a date alone.
    pub time_resolution_s: u32,
    /// The time exactly as written.
    pub written: String,
    pub kind: String,
    pub label: String,
    /// What the user cites for it (a URL, a document).
    pub source: String,
    pub objects: Vec<Object>,
    /// The events file and line this came from.
    pub file: String,
    pub line: u64,
}

/// Parse a time with an explicit zone: `2016-10-07 16:32 ET`,
/// `2016-10-07T16:32:00-04:00`, `2016-10-07 20:32:05 UTC`, `2016-10-07 ET`.
/// Returns (UTC ms, resolution in seconds).
pub fn parse_zoned_time(s: &str) -> std::result::Result<(i64, u32), String> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok((t.timestamp_millis(), if t.timestamp_subsec_millis() == 0 { 1 } else { 0 }));
    }
    // Split off the zone: the last whitespace-separated word, or a
    // trailing ±hh:mm / Z glued to the time.
    let (clock, zone) = match s.rsplit_once(char::is_whitespace) {
        Some((c, z)) if parse_zone(z).is_some() => (c.trim(), z),
        _ => match glued_offset(s) {
            Some(i) => (s[..i].trim(), &s[i..]),
            None => {
                return Err(format!(
                    "{s:?}: no time zone; write one after the time (ET, PT, UTC, +02:00, …) so the event is placed exactly"
                ));
            }
        },
    };
    let z = parse_zone(zone).ok_or_else(|| format!("{zone:?}: unknown time zone"))?;
    let clock = clock.replace('T', " ");
    let (local, res) = if let Ok(t) = NaiveDateTime::parse_from_str(&clock, "%Y-%m-%d %H:%M:%S") {
        (t, 1)
    } else if let Ok(t) = NaiveDateTime::parse_from_str(&clock, "%Y-%m-%d %H:%M") {
        (t, 60)
    } else if let Ok(d) = NaiveDate::parse_from_str(&clock, "%Y-%m-%d") {
        (d.and_time(NaiveTime::MIN), 86_400)
    } else {
        return Err(format!("{clock:?}: expected YYYY-MM-DD HH:MM[:SS] followed by a time zone"));
    };
    Ok((z.to_utc_ms(local)?, res))
}

/// Byte index where a zone glued to the clock starts (`…16:32Z`, `…16:32-04:00`).
fn glued_offset(s: &str) -> Option<usize> {
    if s.ends_with(['Z', 'z']) && s.len() > 1 {
        return Some(s.len() - 1);
    }
    let colon = s.find(':')?;
    let i = s[colon..].rfind(['+', '-'])? + colon;
    parse_zone(&s[i..]).is_some().then_some(i)
}

/// Split one line into fields: commas separate; a field may be quoted
/// (`"a, b"`, with `""` for a quote) even after spaces, as people type.
fn split_line(line: &str) -> std::result::Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
            chars.next();
        }
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("a quoted field is not closed on its line".into()),
                }
            }
            while chars.peek().is_some_and(|c| *c != ',') {
                let c = chars.next().expect("peeked");
                if !c.is_whitespace() {
                    return Err(format!("unexpected {c:?} after a quoted field"));
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                field.push(c);
                chars.next();
            }
        }
        out.push(field.trim().to_string());
        if chars.next().is_none() {
            return Ok(out);
        }
    }
}

/// Read declared events from CSV text. `file` names it in errors and provenance.
pub fn parse_events(text: &str, file: &str) -> Result<Vec<DeclaredEvent>> {
    let mut out = Vec::new();
    let err = |line: u64, reason: String| TimelineError::Input { file: file.to_string(), line, reason };
    let mut seen_record = false;
    for (i, raw) in text.lines().enumerate() {
        let line = i as u64 + 1;
        let t = raw.trim().trim_start_matches('\u{feff}');
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let rec = split_line(t).map_err(|e| err(line, e))?;
        if !seen_record && rec[0].eq_ignore_ascii_case("time") {
            seen_record = true;
            continue;
        }
        seen_record = true;
        if rec.len() < 3 {
            return Err(err(
                line,
                format!("expected time, kind, label, source[, objects]; found {} field(s)", rec.len()),
            ));
        }
        let written = rec[0].clone();
        let (time_ms, res) = parse_zoned_time(&written).map_err(|e| err(line, e))?;
        let source = rec.get(3).cloned().unwrap_or_default();
        let mut objects = Vec::new();
        for spec in rec.get(4).map(String::as_str).unwrap_or("").split_whitespace() {
            if !(spec.starts_with('#') || spec.contains(':')) {
                return Err(err(line, format!("{spec:?}: objects are #hashtag, url:…, domain:…, repost:ID or text:…")));
            }
            objects.push(Object::parse(spec).map_err(|e| err(line, e))?);
        }
        if objects.is_empty()
            && (source.starts_with("http://") || source.starts_with("https://"))
            && let Ok(o @ Object::Url(_)) = Object::parse(&source)
        {
            objects.push(o);
        }
        if rec[1].is_empty() {
            return Err(err(line, "empty kind (release, statement, meeting, …)".into()));
        }
        out.push(DeclaredEvent {
            time_ms,
            time_resolution_s: res,
            written,
            kind: rec[1].clone(),
            label: rec[2].clone(),
            source,
            objects,
            file: file.to_string(),
            line,
        });
    }
    out.sort_by_key(|e| (e.time_ms, e.line));
    Ok(out)
}

/// Read declared events from a file.
pub fn read_events(path: &std::path::Path) -> Result<Vec<DeclaredEvent>> {
    let display = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| TimelineError::Input {
        file: display.clone(),
        line: 0,
        reason: e.to_string(),
    })?;
    parse_events(&text, &display)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(ms: i64) -> String {
        chrono::DateTime::from_timestamp_millis(ms).unwrap().format("%Y-%m-%d %H:%M:%S").to_string()
    }

    #[test]
    fn zoned_times() {
        let t = |s: &str| parse_zoned_time(s).map(|(ms, r)| (utc(ms), r));
        assert_eq!(t("2016-10-07 16:32 ET").unwrap(), ("2016-10-07 20:32:00".into(), 60));
        assert_eq!(t("2016-10-07 16:32 EDT").unwrap(), ("2016-10-07 20:32:00".into(), 60));
        assert_eq!(t("2016-10-07 13:32:05 PT").unwrap(), ("2016-10-07 20:32:05".into(), 1));
        assert_eq!(t("2016-10-07T16:32:00-04:00").unwrap(), ("2016-10-07 20:32:00".into(), 1));
        assert_eq!(t("2016-10-07 16:32-04:00").unwrap(), ("2016-10-07 20:32:00".into(), 60));
        assert_eq!(t("2016-10-07 20:32Z").unwrap(), ("2016-10-07 20:32:00".into(), 60));
        assert_eq!(t("2016-10-07 UTC").unwrap(), ("2016-10-07 00:00:00".into(), 86_400));
        assert!(t("2016-10-07 16:32").unwrap_err().contains("no time zone"));
        assert!(t("2016-11-06 01:30 ET").unwrap_err().contains("twice"));
    }

    #[test]
    fn events_keep_their_line_and_source() {
        let csv = "time,kind,label,source,objects\n\
                   # the first release\n\
                   2016-10-07 16:32 ET, release, Podesta emails part 1, https://wikileaks.org/podesta-emails/\n\
                   2016-10-07 16:03 ET, report, \"Access Hollywood tape, published\", https://example.org/wapo, #trumptape\n";
        let ev = parse_events(csv, "events.csv").unwrap();
        assert_eq!(ev.len(), 2);
        assert_eq!(
            (ev[0].label.as_str(), ev[0].line, utc(ev[0].time_ms)),
            ("Access Hollywood tape, published", 4, "2016-10-07 20:03:00".into())
        );
        assert_eq!(ev[0].objects, vec![Object::Hashtag("trumptape".into())]);
        assert_eq!(ev[1].objects, vec![Object::Url("https://wikileaks.org/podesta-emails/".into())]);
        assert_eq!(ev[1].line, 3);
        let bad = parse_events("2016-10-07 16:32, release, x\n", "e.csv").unwrap_err().to_string();
        assert!(bad.starts_with("e.csv: line 1: "), "{bad}");
    }
}
