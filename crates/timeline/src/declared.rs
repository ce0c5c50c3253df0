//! Declared events: the moments an investigator knows from elsewhere
//! ("2016-10-07 16:32 ET, release, Podesta emails part 1, https://…"),
//! read from a CSV or TOML file they write. Every time carries its zone explicitly; every
//! event keeps the file and line it came from and the source it cites.
//!
//! Or TOML (a `.toml` file): one `[[event]]` table per event with the same
//! keys, `objects` being a list.
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

/// One event's fields as written, in either file format.
struct Fields<'a> {
    written: &'a str,
    kind: &'a str,
    label: &'a str,
    source: &'a str,
    objects: &'a [&'a str],
}

fn event(f: Fields<'_>, file: &str, line: u64) -> std::result::Result<DeclaredEvent, String> {
    let (time_ms, res) = parse_zoned_time(f.written)?;
    let mut objects = Vec::new();
    for spec in f.objects {
        if !(spec.starts_with('#') || spec.contains(':')) {
            return Err(format!("{spec:?}: objects are #hashtag, url:…, domain:…, repost:ID or text:…"));
        }
        objects.push(Object::parse(spec)?);
    }
    if objects.is_empty()
        && (f.source.starts_with("http://") || f.source.starts_with("https://"))
        && let Ok(o @ Object::Url(_)) = Object::parse(f.source)
    {
        objects.push(o);
    }
    if f.kind.trim().is_empty() {
        return Err("empty kind (release, statement, meeting, …)".into());
    }
    Ok(DeclaredEvent {
        time_ms,
        time_resolution_s: res,
        written: f.written.to_string(),
        kind: f.kind.trim().to_string(),
        label: f.label.trim().to_string(),
        source: f.source.trim().to_string(),
        objects,
        file: file.to_string(),
        line,
    })
}

/// A time in a TOML file: a string with its zone (`"2016-10-07 16:32 ET"`)
/// or a TOML offset date-time (`2016-10-07T16:32:00-04:00`).
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum TomlTime {
    Text(String),
    Datetime(toml::value::Datetime),
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlEvent {
    time: TomlTime,
    kind: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    objects: Vec<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlEvents {
    #[serde(default)]
    event: Vec<toml::Spanned<TomlEvent>>,
}

/// Read declared events from TOML text: an `[[event]]` table per event with
/// `time`, `kind`, `label`, `source` and `objects` (a list).
pub fn parse_toml_events(text: &str, file: &str) -> Result<Vec<DeclaredEvent>> {
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() as u64 + 1;
    let err = |line: u64, reason: String| TimelineError::Input { file: file.to_string(), line, reason };
    let doc: TomlEvents = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(0, |s| line_of(s.start));
        err(line, e.message().to_string())
    })?;
    let mut out = Vec::new();
    for spanned in doc.event {
        let line = line_of(spanned.span().start);
        let e = spanned.into_inner();
        let written = match e.time {
            TomlTime::Text(s) => s,
            TomlTime::Datetime(d) => d.to_string(),
        };
        let objects: Vec<&str> = e.objects.iter().map(String::as_str).collect();
        let fields = Fields { written: &written, kind: &e.kind, label: &e.label, source: &e.source, objects: &objects };
        out.push(event(fields, file, line).map_err(|r| err(line, r))?);
    }
    out.sort_by_key(|e| (e.time_ms, e.line));
    Ok(out)
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
        let objects: Vec<&str> = rec.get(4).map(String::as_str).unwrap_or("").split_whitespace().collect();
        let fields = Fields {
            written: &rec[0],
            kind: &rec[1],
            label: &rec[2],
            source: rec.get(3).map(String::as_str).unwrap_or(""),
            objects: &objects,
        };
        out.push(event(fields, file, line).map_err(|e| err(line, e))?);
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
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml")) {
        parse_toml_events(&text, &display)
    } else {
        parse_events(&text, &display)
    }
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

    #[test]
    fn toml_events_read_like_csv_ones() {
        let toml = r##"
# Releases we know of.
[[event]]
time = "2016-10-07 16:32 ET"
kind = "release"
label = "Podesta emails, part 1"
source = "https://wikileaks.org/podesta-emails/"
objects = ["#podestaemails", "domain:wikileaks.org"]

[[event]]
time = 2016-10-07T16:00:00-04:00
kind = "statement"
label = "DHS/ODNI joint statement"
"##;
        let ev = parse_toml_events(toml, "events.toml").unwrap();
        assert_eq!(ev.len(), 2);
        // Sorted by time: the statement came first.
        assert_eq!(
            (ev[0].kind.as_str(), utc(ev[0].time_ms), ev[0].time_resolution_s),
            ("statement", "2016-10-07 20:00:00".into(), 1)
        );
        // Each event's line is its `[[event]]` header.
        assert_eq!(ev[0].line, 10);
        assert_eq!((utc(ev[1].time_ms), ev[1].time_resolution_s, ev[1].line), ("2016-10-07 20:32:00".into(), 60, 3));
        assert_eq!(
            ev[1].objects,
            vec![Object::Hashtag("podestaemails".into()), Object::Domain("wikileaks.org".into())]
        );
        assert_eq!(ev[1].file, "events.toml");
        // The same event written as CSV gives the same event.
        let csv = "2016-10-07 16:32 ET,release,\"Podesta emails, part 1\",https://wikileaks.org/podesta-emails/,#podestaemails domain:wikileaks.org\n";
        let c = parse_events(csv, "events.toml").unwrap();
        assert_eq!((c[0].time_ms, &c[0].objects, &c[0].label), (ev[1].time_ms, &ev[1].objects, &ev[1].label));
    }

    #[test]
    fn toml_errors_name_the_line() {
        let no_zone = "[[event]]\nkind = \"release\"\n\n[[event]]\ntime = \"2016-10-07 16:32\"\nkind = \"release\"\n";
        let e = parse_toml_events(no_zone, "e.toml").unwrap_err().to_string();
        assert!(e.contains("e.toml") && e.contains("time"), "{e}");
        let bad_time = "[[event]]\ntime = \"2016-10-07 16:32\"\nkind = \"release\"\n";
        let e = parse_toml_events(bad_time, "e.toml").unwrap_err().to_string();
        assert!(e.contains("e.toml: line 1:") && e.contains("no time zone"), "{e}");
        let unknown = "[[event]]\ntime = \"2016-10-07 UTC\"\nkind = \"x\"\nlabl = \"typo\"\n";
        let e = parse_toml_events(unknown, "e.toml").unwrap_err().to_string();
        assert!(e.contains("e.toml: line 4:") && e.contains("labl"), "{e}");
        let local = "[[event]]\ntime = 2016-10-07T16:32:00\nkind = \"x\"\n";
        assert!(parse_toml_events(local, "e.toml").unwrap_err().to_string().contains("no time zone"));
    }
}
