//! Small formatting helpers for people-facing output.

use chrono::{DateTime, SecondsFormat, Utc};

/// `1234567` → `1,234,567`.
pub fn thousands(n: impl Into<i128>) -> String {
    let n: i128 = n.into();
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// UTC milliseconds as RFC 3339 (`2016-10-07T20:32:00Z`).
pub fn rfc3339_ms(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_else(|| format!("{ms} ms"))
}

/// A memory size: `512M`, `8G`, `8GiB`, `1.5g`, or bytes.
pub fn parse_size(s: &str) -> anyhow::Result<u64> {
    let t = s.trim().to_ascii_lowercase();
    let t = t.strip_suffix("ib").or_else(|| t.strip_suffix('b')).unwrap_or(&t);
    let (num, mult) = match t.char_indices().last() {
        Some((i, 'k')) => (&t[..i], 1u64 << 10),
        Some((i, 'm')) => (&t[..i], 1 << 20),
        Some((i, 'g')) => (&t[..i], 1 << 30),
        Some((i, 't')) => (&t[..i], 1 << 40),
        _ => (t, 1),
    };
    match num.trim().parse::<f64>() {
        Ok(n) if n > 0.0 && n.is_finite() => Ok((n * mult as f64) as u64),
        _ => anyhow::bail!("{s:?} is not a memory size; write it as 512M, 8G or a number of bytes"),
    }
}

/// Quote a CSV field when it needs it.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// Milliseconds as "3 min", "1 h 05 min", "40 s", "-10 min".
pub fn duration(ms: f64) -> String {
    let sign = if ms < 0.0 { "-" } else { "" };
    let s = (ms.abs() / 1000.0).round() as i64;
    let body = if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        if s % 60 == 0 { format!("{} min", s / 60) } else { format!("{} min {:02} s", s / 60, s % 60) }
    } else if s < 86_400 {
        format!("{} h {:02} min", s / 3600, (s % 3600) / 60)
    } else {
        format!("{} d {:02} h", s / 86_400, (s % 86_400) / 3600)
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(825112), "825,112");
        assert_eq!(thousands(-1234), "-1,234");
        assert_eq!(rfc3339_ms(1504813920000), "2017-09-07T19:52:00Z");
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512M").unwrap(), 512 << 20);
        assert_eq!(parse_size("8GiB").unwrap(), 8 << 30);
        assert_eq!(parse_size("1.5g").unwrap(), 3 << 29);
        assert_eq!(parse_size("4096").unwrap(), 4096);
        for bad in ["", "G", "-1G", "0", "lots"] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
    }
}
