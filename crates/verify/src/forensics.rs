//! Header forensics: the Received chain (hops, order, clock skew), Date
//! against the first Received, Message-ID domain against From, the mail
//! program, and the time-zone offsets a sender's machines used.

use chrono::{DateTime, FixedOffset};

use crate::date;
use crate::report::{Forensics, Hop};

/// One parsed Received field.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Received {
    pub from: Option<String>,
    pub by: Option<String>,
    pub with: Option<String>,
    pub ip: Option<String>,
    /// Unix seconds and the offset as written.
    pub time: Option<(i64, String)>,
    pub time_text: Option<String>,
}

/// Parse a Received field value (RFC 5321 §4.4): `from X (…) by Y with Z
/// id … for …; date`. Lenient: every part is optional.
pub fn parse_received(value: &str) -> Received {
    parse_received_dated(value).0
}

/// [`parse_received`], and its date as parsed: [`analyse`] needs the date's
/// offset too, and would otherwise parse the text a second time.
fn parse_received_dated(value: &str) -> (Received, Option<DateTime<FixedOffset>>) {
    let value = crate::collapse_spaces(value);
    let (clauses, date_part) = match value.rfind(';') {
        Some(p) => (&value[..p], Some(value[p + 1..].trim())),
        None => (value.as_str(), None),
    };
    let mut r = Received::default();
    let words: Vec<&str> = clauses.split(' ').collect();
    let next_word = |key: &str| {
        words
            .iter()
            .position(|w| w.eq_ignore_ascii_case(key))
            .and_then(|i| words.get(i + 1))
            .map(|w| w.trim_matches(|c: char| c == '(' || c == ')' || c == ';' || c == ',').to_string())
    };
    r.from = next_word("from").filter(|s| !s.is_empty());
    r.by = next_word("by").filter(|s| !s.is_empty());
    r.with = next_word("with").filter(|s| !s.is_empty());
    r.ip = find_ip(clauses);
    let mut parsed = None;
    if let Some(d) = date_part {
        r.time_text = Some(d.to_string());
        parsed = date::parse(d);
        r.time = parsed.map(|t| (t.timestamp(), date::offset_string(&t)));
    }
    (r, parsed)
}

/// The first bracketed address (`[192.0.2.1]`, `[IPv6:2001:db8::1]`), else
/// the first bare IPv4 address in a comment.
fn find_ip(s: &str) -> Option<String> {
    let mut rest = s;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(']') else { break };
        let inner = after[..close].trim_start_matches("IPv6:").trim_start_matches("ipv6:");
        if inner.parse::<std::net::IpAddr>().is_ok() {
            return Some(inner.to_string());
        }
        rest = &after[close..];
    }
    s.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .find(|w| w.matches('.').count() == 3 && w.parse::<std::net::Ipv4Addr>().is_ok())
        .map(str::to_string)
}

/// The domain of an address in a header value: the last `<…@domain>`, or
/// the last `@domain` token.
pub fn address_domain(value: &str) -> Option<String> {
    let addr = match (value.rfind('<'), value.rfind('>')) {
        (Some(a), Some(b)) if a < b => &value[a + 1..b],
        _ => value,
    };
    let (_, dom) = addr.rsplit_once('@')?;
    let end = dom.find(|c: char| !(c.is_alphanumeric() || c == '.' || c == '-' || c == '_')).unwrap_or(dom.len());
    let dom = dom[..end].trim_end_matches('.').to_ascii_lowercase();
    (!dom.is_empty()).then_some(dom)
}

/// Header values a message needs for forensics, unfolded.
pub struct Inputs<'a> {
    /// Received values, top (newest) first, as in the message.
    pub received: Vec<String>,
    pub date: Option<&'a str>,
    pub from: Option<&'a str>,
    pub message_id: Option<&'a str>,
    pub mailer: Option<String>,
}

pub fn analyse(inp: &Inputs<'_>) -> Forensics {
    let mut f = Forensics::default();
    let mut notes = Vec::new();
    let date = inp.date.and_then(date::parse);
    if let Some(d) = &date {
        f.timezones.push(date::offset_string(d));
    } else if inp.date.is_some() {
        notes.push("The Date header cannot be read as a date.".to_string());
    } else {
        notes.push("The message has no Date header.".to_string());
    }
    let mut prev: Option<i64> = None;
    for (i, v) in inp.received.iter().rev().enumerate() {
        let (r, parsed) = parse_received_dated(v);
        let mut hop = Hop { index: i + 1, from: r.from, by: r.by, with: r.with, ip: r.ip, time: None, delay_s: None };
        if let Some((ts, off)) = &r.time {
            // The time in the hop's own offset. `r.time` is `Some` only when
            // the date was parsed.
            hop.time = chrono::DateTime::from_timestamp(*ts, 0)
                .zip(parsed)
                .map(|(utc, t)| utc.with_timezone(t.offset()).to_rfc3339());
            if !f.timezones.contains(off) {
                f.timezones.push(off.clone());
            }
            if let Some(p) = prev {
                let d = ts - p;
                hop.delay_s = Some(d);
                if d < -60 {
                    notes.push(format!(
                        "Received hop {} is stamped {} s before hop {}: the servers' clocks disagree, or the Received fields were reordered or forged.",
                        i + 1,
                        -d,
                        i
                    ));
                }
            }
            prev = Some(*ts);
        } else if r.time_text.is_some() {
            notes.push(format!("Received hop {} has a date that cannot be read.", i + 1));
        }
        f.received.push(hop);
    }
    let first_received = f.received.iter().find_map(|h| {
        h.time.as_deref().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()).map(|t| t.timestamp())
    });
    if let (Some(d), Some(r)) = (&date, first_received) {
        let delta = r - d.timestamp();
        f.date_to_first_received_s = Some(delta);
        if delta < -300 {
            notes.push(format!(
                "The Date header is {} s after the first server received the message: the sender's clock was wrong, or Date was changed.",
                -delta
            ));
        } else if delta > 86_400 {
            notes.push(format!("The first Received is {} h after the Date header.", delta / 3600));
        }
    }
    f.from_domain = inp.from.and_then(address_domain);
    f.message_id_domain = inp.message_id.and_then(address_domain);
    if let (Some(m), Some(fr)) = (&f.message_id_domain, &f.from_domain) {
        let same = crate::dkim::alignment(m, Some(fr)) != "none";
        f.message_id_matches_from = Some(same);
        if !same {
            notes.push(format!("The Message-ID was made at {m}, not at the From domain {fr}."));
        }
    }
    f.mailer.clone_from(&inp.mailer);
    f.notes = notes;
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_fields() {
        let r = parse_received(
            "from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])\r\n        by mx.google.com with SMTPS id x12;\r\n        Mon, 07 Nov 2022 23:51:18 -0800 (PST)",
        );
        assert_eq!(r.from.as_deref(), Some("mail-sor-f41.google.com"));
        assert_eq!(r.by.as_deref(), Some("mx.google.com"));
        assert_eq!(r.with.as_deref(), Some("SMTPS"));
        assert_eq!(r.ip.as_deref(), Some("209.85.220.41"));
        assert_eq!(r.time.as_ref().map(|t| t.1.as_str()), Some("-0800"));
        let r = parse_received("by 2002:adf:b343:0:0:0:0:0 with SMTP id k3csp2230702wrd");
        assert_eq!(r.time, None);
        assert_eq!(parse_received(""), Received::default());
    }

    #[test]
    fn chain_order_and_skew() {
        let inp = Inputs {
            received: vec![
                "from b by c; Mon, 1 Jan 2024 10:00:00 +0000".into(),
                "from a by b; Mon, 1 Jan 2024 10:05:00 +0000".into(),
            ],
            date: Some("Mon, 1 Jan 2024 12:59:00 +0300"),
            from: Some("Ann <ann@example.org>"),
            message_id: Some("<123@mail.other.net>"),
            mailer: None,
        };
        let f = analyse(&inp);
        assert_eq!(f.received.len(), 2);
        assert_eq!(f.received[0].from.as_deref(), Some("a"));
        assert_eq!(f.received[1].delay_s, Some(-300));
        assert_eq!(f.date_to_first_received_s, Some(6 * 60));
        assert_eq!(f.timezones, ["+0300", "+0000"]);
        assert_eq!(f.message_id_matches_from, Some(false));
        assert!(f.notes.iter().any(|n| n.contains("before hop 1")), "{:?}", f.notes);
    }

    #[test]
    fn domains_of_addresses() {
        assert_eq!(address_domain("\"A, B\" <a.b@Mail.Example.org>").as_deref(), Some("mail.example.org"));
        assert_eq!(address_domain("x@y.z (comment)").as_deref(), Some("y.z"));
        assert_eq!(address_domain("nobody"), None);
    }
}
