//! The page shell, the embedded assets and small formatting helpers shared
//! by the server's pages and the report. It uses no other module of this
//! crate, so that any of them can use it.

use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// The stylesheet (also inlined into reports). System fonts only: nothing
/// to download.
pub const CSS: &str = include_str!("../assets/app.css");
/// Pan, zoom and click on the network view; every page works without it.
pub const JS: &str = include_str!("../assets/app.js");

const NAV: [(&str, &str); 4] =
    [("/", "Case"), ("/search", "Search"), ("/network", "Network"), ("/timeline", "Timeline")];

/// What every document's head starts with.
fn head_common() -> Markup {
    html! {
        meta charset="utf-8";
        meta name="viewport" content="width=device-width, initial-scale=1";
    }
}

/// A page of the web UI.
pub fn page(title: &str, active: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                (head_common())
                meta name="referrer" content="no-referrer";
                title { (title) " · leaktrace" }
                link rel="stylesheet" href="/assets/app.css";
                script src="/assets/app.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/" { "leaktrace" }
                    nav {
                        @for (href, label) in NAV {
                            a href=(href) class=[(href == active).then_some("active")] { (label) }
                        }
                    }
                    form.quick action="/search" method="get" {
                        input type="search" name="q" placeholder="Search the case" aria-label="Search the case";
                    }
                }
                main { (body) }
            }
        }
    }
}

/// A self-contained document (the report): the CSS inline, no script.
pub fn standalone(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                (head_common())
                meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:";
                title { (title) }
                style { (PreEscaped(CSS)) }
            }
            body.report { main { (body) } }
        }
    }
}

/// UTC time to the minute, as reporters quote it.
pub fn time(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map_or_else(|| ms.to_string(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
}

/// UTC time to the second.
pub fn time_s(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map_or_else(|| ms.to_string(), |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
}

pub fn opt_time(ms: Option<i64>) -> String {
    ms.map_or_else(|| "—".to_string(), time)
}

/// 1234567 → "1,234,567".
pub fn count(n: impl Into<i64>) -> String {
    let n: i64 = n.into();
    let s = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3 + 1);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Bytes in KiB/MiB/GiB.
pub fn size(n: i64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut x = n as f64;
    let mut u = 0;
    while x >= 1024.0 && u + 1 < units.len() {
        x /= 1024.0;
        u += 1;
    }
    if u == 0 { format!("{n} bytes") } else { format!("{x:.1} {}", units[u]) }
}

/// A duration in the largest sensible unit: "14 min", "3.5 h", "45 s".
pub fn duration(ms: i64) -> String {
    let s = ms as f64 / 1000.0;
    let a = s.abs();
    if a < 120.0 {
        format!("{s:.0} s")
    } else if a < 7200.0 {
        format!("{:.0} min", s / 60.0)
    } else if a < 172_800.0 {
        format!("{:.1} h", s / 3600.0)
    } else {
        format!("{:.1} days", s / 86_400.0)
    }
}

/// The DKIM verdict as a badge.
pub fn verdict_badge(verdict: Option<&str>) -> Markup {
    let (class, label) = match verdict {
        Some("verified") => ("badge ok", "verified"),
        Some("weak") => ("badge bad", "SHA-1 only, not proof"),
        Some("consistent") => ("badge bad", "key recovered from the leak, not proof"),
        Some("unverified") => ("badge bad", "signed, not verified"),
        Some("unsigned") => ("badge none", "unsigned"),
        Some(other) => ("badge none", other),
        None => ("badge none", "not checked"),
    };
    html! { span class=(class) title="DKIM verdict" { (label) } }
}

/// A URL path segment or query value, percent-encoded.
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Link to an account page.
pub fn account_link(account: &str) -> Markup {
    html! { a.account href={ "/account/" (enc(account)) } { (account) } }
}

/// A search hit's snippet with its matched byte ranges marked.
pub fn snippet(text: &str, highlights: &[(usize, usize)]) -> Markup {
    let mut pieces = Vec::new();
    let mut at = 0;
    for &(a, b) in highlights {
        if a < at || b > text.len() || !text.is_char_boundary(a) || !text.is_char_boundary(b) {
            continue;
        }
        pieces.push((&text[at..a], false));
        pieces.push((&text[a..b], true));
        at = b;
    }
    pieces.push((&text[at..], false));
    html! { @for (p, m) in pieces { @if m { mark { (p) } } @else { (p) } } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(count(-1000), "-1,000");
        assert_eq!(count(12), "12");
        assert_eq!(size(2048), "2.0 KiB");
        assert_eq!(duration(14 * 60_000), "14 min");
        assert_eq!(duration(45_000), "45 s");
        assert_eq!(time(1_475_762_400_000), "2016-10-06 14:00 UTC");
        assert_eq!(enc("a b/\"<"), "a%20b%2F%22%3C");
    }
}
