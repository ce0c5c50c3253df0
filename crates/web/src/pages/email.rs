//! `/email/{id}`: one message — headers, text body, the HTML body in a
//! sandboxed frame, attachments with their fingerprints, the DKIM verdict
//! with its reasons, header forensics; `/evidence/{sha256}` serves original
//! bytes (as text or as a download), addressed by hash only.

use std::collections::HashSet;
use std::sync::Mutex;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use leaktrace_store::MessageRow;
use leaktrace_verify::MessageReport;
use leaktrace_verify::keys::bundled;
use leaktrace_verify::recover::RECOVERED_MEANING;
use mail_parser::{MessageParser, PartType};
use maud::{Markup, html};
use serde::Deserialize;

use crate::app::App;
use crate::error::{PageResult, WebError};
use crate::layout::{page as shell, size, verdict_badge};
use crate::security::LEAKED_HTML_CSP;

/// Header values longer than this are cut on the page (the original is a
/// click away).
const MAX_HEADER_SHOWN: usize = 4096;
/// Text bodies longer than this are cut on the page.
const MAX_BODY_SHOWN: usize = 512 * 1024;
/// Evidence larger than this is not served through the browser.
const MAX_SERVED: u64 = 512 << 20;

fn message_row(app: &App, id: i64) -> PageResult<MessageRow> {
    app.case()?.message(id)?.ok_or_else(|| WebError::NotFound(format!("no email #{id} in this case")))
}

fn raw_bytes(app: &App, sha: &str) -> PageResult<Vec<u8>> {
    let path = app.case()?.evidence_path(sha);
    let meta = std::fs::metadata(&path).map_err(|e| WebError::NotFound(format!("evidence {sha}: {e}")))?;
    if meta.len() > MAX_SERVED {
        // The page names no path: it may be shared with people who are not
        // to learn where the case lives.
        return Err(WebError::BadRequest(format!(
            "evidence {sha} is {}, too large to show here; it is the file of that name under the case folder's evidence/",
            size(meta.len() as i64),
        )));
    }
    Ok(std::fs::read(&path)?)
}

fn cut(s: &str, max: usize) -> (&str, bool) {
    if s.len() <= max {
        return (s, false);
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    (&s[..end], true)
}

/// Schemes whose URLs the sanitiser reports (all are removed).
const URL_SCHEMES_SEEN: [&str; 12] =
    ["http", "https", "ftp", "mailto", "javascript", "vbscript", "data", "cid", "file", "tel", "ws", "wss"];

/// Leaked HTML made inert: no scripts, styles sheets, forms, frames or
/// URLs of any kind survive; the URLs that were there are returned so the
/// page can list them as text (tracking pixels and phishing links are
/// evidence too).
pub fn sanitise_html(html: &str) -> (String, Vec<(String, String)>) {
    let seen = std::sync::Arc::new(Mutex::new(Vec::new()));
    let into = seen.clone();
    let clean = ammonia::Builder::default()
        // Let every URL reach the filter below (which records and drops it):
        // ammonia checks schemes before the filter sees the attribute.
        .url_schemes(HashSet::from(URL_SCHEMES_SEEN))
        .url_relative(ammonia::UrlRelative::PassThrough)
        .attribute_filter(move |element, attribute, value| {
            if ["href", "src", "srcset", "background", "action", "poster", "cite", "longdesc"].contains(&attribute) {
                into.lock().expect("sanitiser lock").push((format!("{element} {attribute}"), value.to_string()));
                return None;
            }
            Some(value.into())
        })
        .clean(html)
        .to_string();
    let mut urls = std::mem::take(&mut *seen.lock().expect("sanitiser lock"));
    // Attributes ammonia drops before the filter (srcset, background on
    // tags it removes, object data, CSS url(...)) still name remote things.
    for u in urls_in_text(html) {
        if !urls.iter().any(|(_, seen)| *seen == u) {
            urls.push(("in the markup".to_string(), u));
        }
    }
    (clean, urls)
}

/// Absolute URLs written anywhere in a text (http, https, ftp, javascript,
/// data, …), in order, each once; cut at a quote, bracket or space.
fn urls_in_text(text: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let mut out: Vec<String> = Vec::new();
    for scheme in ["http://", "https://", "ftp://", "//", "javascript:", "vbscript:", "data:"] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(scheme).map(|i| i + from) {
            from = i + scheme.len();
            // "//" alone only as a protocol-relative URL in an attribute or url().
            if scheme == "//" && !(i > 0 && matches!(lower.as_bytes()[i - 1], b'"' | b'\'' | b'(' | b'=')) {
                continue;
            }
            if scheme != "//" && i > 0 && lower.as_bytes()[i - 1].is_ascii_alphanumeric() {
                continue;
            }
            let script = matches!(scheme, "javascript:" | "vbscript:" | "data:");
            let end = text[i..]
                .find(|c: char| {
                    c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>') || (!script && matches!(c, ')' | ','))
                })
                .map_or(text.len(), |e| i + e);
            let u = text[i..end].to_string();
            if u.len() > scheme.len() && !out.contains(&u) {
                out.push(u);
            }
            if out.len() >= 1000 {
                return out;
            }
        }
    }
    out
}

struct Parsed {
    headers: Vec<(String, String)>,
    text: Option<String>,
    html: Option<String>,
}

fn parse(raw: &[u8]) -> Parsed {
    let Some(msg) = MessageParser::default().parse(raw) else {
        return Parsed { headers: Vec::new(), text: Some(String::from_utf8_lossy(raw).into_owned()), html: None };
    };
    let headers = msg
        .headers()
        .iter()
        .map(|h| {
            let v = raw.get(h.offset_start as usize..h.offset_end as usize).unwrap_or_default();
            (h.name().to_string(), String::from_utf8_lossy(v).trim().to_string())
        })
        .collect();
    // The body parts mail-parser chose (for multipart/mixed the HTML part
    // may sit in text_body and html_body may hold the text part converted);
    // take the first that really is HTML, and the first that really is text.
    let body_parts: Vec<&mail_parser::MessagePart<'_>> =
        msg.html_body.iter().chain(&msg.text_body).filter_map(|i| msg.parts.get(*i as usize)).collect();
    let html = body_parts.iter().find_map(|p| match &p.body {
        PartType::Html(h) => Some(h.to_string()),
        _ => None,
    });
    let text = body_parts.iter().find_map(|p| match &p.body {
        PartType::Text(t) => Some(t.to_string()),
        _ => None,
    });
    let text = text.or_else(|| html.is_none().then(|| msg.body_text(0).map(|t| t.into_owned())).flatten());
    Parsed { headers, text, html }
}

/// The report kept with the message: the last `leaktrace verify`'s (with its
/// keys), else the checks made at ingest without keys. Never computed here:
/// fingerprinting a hostile attachment on every view would let one page
/// request cost what an ingest costs.
fn stored_report(app: &App, id: i64) -> PageResult<Option<MessageReport>> {
    let json = app.case()?.message_report(id)?;
    Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
}

fn forensics(r: &MessageReport) -> Markup {
    let f = &r.forensics;
    html! {
        h2 { "Header forensics" }
        dl.kv {
            dt { "Date → first Received" } dd { @match f.date_to_first_received_s { Some(s) => { (s) " s" }, None => { "—" } } }
            dt { "Time zones seen" } dd { (f.timezones.join(", ")) }
            dt { "Message-ID domain" } dd { (f.message_id_domain.clone().unwrap_or_default())
                @match f.message_id_matches_from { Some(true) => { " (matches From)" }, Some(false) => { span.reason { " (differs from From: " (f.from_domain.clone().unwrap_or_default()) ")" } }, None => {} } }
            dt { "Mailer" } dd { (f.mailer.clone().unwrap_or_else(|| "—".into())) }
        }
        @if !f.notes.is_empty() { ul { @for n in &f.notes { li { (n) } } } }
        @if !f.received.is_empty() {
            table {
                thead { tr { th { "Hop" } th { "From" } th { "By" } th { "With" } th { "IP" } th { "Time" } th.num { "Delay" } } }
                tbody { @for h in &f.received { tr {
                    td { (h.index) } td { (h.from.clone().unwrap_or_default()) } td { (h.by.clone().unwrap_or_default()) }
                    td { (h.with.clone().unwrap_or_default()) } td { (h.ip.clone().unwrap_or_default()) }
                    td { (h.time.clone().unwrap_or_default()) }
                    td.num class=[h.delay_s.filter(|d| *d < 0).map(|_| "reason")] { @if let Some(d) = h.delay_s { (d) " s" } }
                } } }
            }
        }
    }
}

fn signatures(r: &MessageReport, verified: bool) -> Markup {
    html! {
        @if r.signatures.is_empty() { p.muted { "No DKIM signature." } }
        @for s in &r.signatures {
            dl.kv {
                @if verified {
                    dt { "Result" } dd { strong { (s.reason) } ": " (s.explanation) }
                    @if let Some(k) = &s.key_source { dt { "Key used" } dd.mono { (k) } }
                    @if s.key_source.as_deref().is_some_and(|k| k.starts_with(bundled::ORIGIN)) {
                        dt { "Where the key comes from" } dd { (bundled::MEANING) }
                    }
                }
                dt { "Signing domain" } dd { (s.domain) " (alignment with From: " (s.from_alignment) ")" }
                dt { "Selector" } dd { (s.selector) }
                dt { "Algorithm" } dd { (s.algorithm) ", " (s.canonicalization) }
                dt { "Signed headers" } dd { (s.signed_headers.join(", ")) }
                @if let Some(t) = &s.signed_at { dt { "Signed at" } dd { (t) } }
                @if let Some(t) = &s.expires_at { dt { "Expires" } dd { (t) } }
                @if let Some(l) = s.body_length_signed { dt { "Body bytes signed (l=)" } dd { (l) " of " (s.body_length.unwrap_or(0)) } }
            }
        }
    }
}

pub fn page(app: &App, id: i64) -> PageResult {
    let m = message_row(app, id)?;
    let raw = raw_bytes(app, &m.sha256)?;
    let parsed = parse(&raw);
    let stored = stored_report(app, id)?;
    let stored_missing = stored.is_none();
    let verified = m.verdict.is_some();
    let report = stored.unwrap_or_else(|| MessageReport::empty(leaktrace_verify::canon::line_endings(&raw)));
    let subject = m.headers.subject.clone().unwrap_or_else(|| "(no subject)".into());
    let links = parsed.html.as_deref().map(|h| sanitise_html(h).1).unwrap_or_default();
    Ok(shell(
        &subject,
        "",
        html! {
            h1 { (subject) " " (verdict_badge(m.verdict.as_deref())) }
            @if !m.flags.is_empty() {
                p { "Reasons: " @for f in &m.flags { span.reason { (f) } " " } }
            }
            @if m.verdict.is_none() { p.muted { "Not verified yet: run " code { "leaktrace verify CASE --keys KEYS" } "." } }
            @if m.verdict.as_deref() == Some("consistent") {
                p.reason { strong { "What “consistent” means: " } (RECOVERED_MEANING) }
            }
            dl.kv {
                dt { "From" } dd { (m.headers.from.clone().unwrap_or_default()) }
                dt { "To" } dd { (m.headers.to.clone().unwrap_or_default()) }
                @if let Some(cc) = &m.headers.cc { dt { "Cc" } dd { (cc) } }
                dt { "Date" } dd { (m.headers.date.clone().unwrap_or_default()) }
                dt { "Message-ID" } dd.mono { (m.headers.message_id.clone().unwrap_or_default()) }
                @if let Some(t) = &m.thread_id { dt { "Thread" } dd.mono { (t) } }
                dt { "Original" } dd {
                    span.hash { (m.sha256) } br;
                    a href={ "/evidence/" (m.sha256) } { "view as text" } " · "
                    a href={ "/evidence/" (m.sha256) "?download=1" } download { "download the original bytes" }
                }
                dt { "Line endings" } dd { (report.line_endings) }
                @if !report.malformed.is_empty() { dt { "Problems" } dd.reason { (report.malformed.join("; ")) } }
            }
            h2 { "DKIM signatures" }
            @if stored_missing { p.muted { "This message was added before leaktrace kept its checks with it: run "
                code { "leaktrace verify CASE --keys KEYS" } " to see its signatures, forensics and attachment fingerprints." } }
            (signatures(&report, verified))
            @if let Some(text) = &parsed.text {
                h2 { "Text body" }
                @let (shown, was_cut) = cut(text, MAX_BODY_SHOWN);
                pre.body { (shown) }
                @if was_cut { p.muted { "Cut at " (size(MAX_BODY_SHOWN as i64)) "; the original has it all." } }
            }
            @if parsed.html.is_some() {
                h2 { "HTML body" }
                p.muted { "Shown sanitised, in a sandbox that runs no script and loads nothing from outside this machine." }
                iframe.mail sandbox="" referrerpolicy="no-referrer" title="HTML body (sandboxed)" src={ "/email/" (id) "/body" } {}
                @if !links.is_empty() {
                    h3 { "Links and remote resources in the HTML (not loaded)" }
                    table { tbody { @for (what, url) in &links { tr { td { (what) } td.mono { (cut(url, 2048).0) } } } } }
                }
            }
            @if !report.attachments.is_empty() {
                h2 { "Attachments" }
                table {
                    thead { tr { th { "Name" } th { "Type" } th.num { "Size" } th { "SHA-256" } th { "Fingerprints" } } }
                    tbody { @for a in &report.attachments { tr {
                        td { (a.name.clone().unwrap_or_else(|| "(unnamed)".into())) }
                        td { (a.content_type) }
                        td.num { (size(a.size as i64)) }
                        td.hash { a href={ "/evidence/" (a.sha256) "?download=1" } download { (a.sha256) } }
                        td {
                            @if let Some(k) = &a.kind { strong { (k) } br; }
                            @for (k, v) in &a.metadata { (k) ": " (v) br; }
                            @if let Some(e) = &a.error { span.reason { (e) } }
                        }
                    } } }
                }
            }
            (forensics(&report))
            h2 { "All header fields, in order" }
            table.headers { tbody { @for (k, v) in &parsed.headers {
                @let (shown, was_cut) = cut(v, MAX_HEADER_SHOWN);
                tr { td.mono { (k) } td.mono { (shown) @if was_cut { span.muted { " … (cut)" } } } }
            } } }
        },
    ))
}

/// The HTML body, sanitised, under a CSP that forbids scripts and remote
/// loads and sandboxes the document even when opened on its own.
pub fn html_body(app: &App, id: i64) -> PageResult<Response> {
    let m = message_row(app, id)?;
    let raw = raw_bytes(app, &m.sha256)?;
    let html = parse(&raw).html.ok_or_else(|| WebError::NotFound(format!("email #{id} has no HTML body")))?;
    let (clean, _) = sanitise_html(&html);
    let doc = format!("<!DOCTYPE html><meta charset=\"utf-8\"><meta name=\"referrer\" content=\"no-referrer\">{clean}");
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CONTENT_SECURITY_POLICY, LEAKED_HTML_CSP)], doc)
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct EvidenceParams {
    pub download: Option<String>,
}

/// Original bytes by SHA-256: as text/plain, or as a download. Only hashes
/// the catalog lists are served; nothing else on disk can be named.
pub fn evidence(app: &App, sha: String, q: EvidenceParams) -> PageResult<Response> {
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(WebError::BadRequest("evidence is named by its SHA-256 in lower-case hex".into()));
    }
    if !app.case()?.lists_evidence(&sha)? {
        return Err(WebError::NotFound(format!("no evidence {sha} in this case")));
    }
    let bytes = raw_bytes(app, &sha)?;
    let csp = (header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox");
    Ok(if q.download.is_some_and(|d| d != "0") {
        let disp = format!("attachment; filename=\"{sha}\"");
        (
            [
                (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                (header::CONTENT_DISPOSITION, disp),
                (csp.0, csp.1.into()),
            ],
            bytes,
        )
            .into_response()
    } else {
        ([(header::CONTENT_TYPE, "text/plain; charset=utf-8".to_string()), (csp.0, csp.1.into())], bytes)
            .into_response()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaked_html_loses_scripts_and_every_url() {
        let hostile = r#"<p onclick="x()">Hi<script>fetch('http://evil.example/')</script>
            <img src="http://tracker.example/pixel.gif"><a href="javascript:alert(1)">click</a>
            <div style="background:url(http://evil.example/bg)">x</div><style>body{background:url(http://e.example/)}</style>
            <meta http-equiv="refresh" content="0;url=http://evil.example/"><iframe src="http://evil.example/"></iframe>
            <form action="http://evil.example/"><input></form><link rel=stylesheet href="http://evil.example/s.css"></p>"#;
        let (clean, links) = sanitise_html(hostile);
        for bad in
            ["<script", "onclick", "http://", "javascript:", "url(", "<meta", "<iframe", "<form", "<link", "<style"]
        {
            assert!(!clean.to_lowercase().contains(bad), "{bad} survived: {clean}");
        }
        assert!(clean.contains("Hi") && clean.contains("click"));
        let urls: Vec<&str> = links.iter().map(|(_, u)| u.as_str()).collect();
        assert!(urls.contains(&"http://tracker.example/pixel.gif"), "{links:?}");
        assert!(urls.contains(&"javascript:alert(1)"), "{links:?}");
    }

    #[test]
    fn long_values_are_cut_on_char_boundaries() {
        let s = "é".repeat(10);
        let (c, cut_) = cut(&s, 5);
        assert!(cut_);
        assert_eq!(c, "éé");
    }

    #[test]
    fn urls_anywhere_in_the_markup_are_listed() {
        let html = r#"<img srcset="http://a.example/1x.png 1x, https://a.example/2x.png 2x">
            <table background="//b.example/bg.gif"><object data='http://c.example/o.swf'></object>
            <div style="background:url(http://d.example/u.png)">x</div><a href="javascript:alert(1)">j</a>"#;
        let (_, found) = sanitise_html(html);
        let urls: Vec<&str> = found.iter().map(|(_, u)| u.as_str()).collect();
        for u in [
            "http://a.example/1x.png",
            "https://a.example/2x.png",
            "//b.example/bg.gif",
            "http://c.example/o.swf",
            "http://d.example/u.png",
            "javascript:alert(1)",
        ] {
            assert!(urls.contains(&u), "{u} missing from {urls:?}");
        }
        assert_eq!(urls.iter().filter(|u| **u == "javascript:alert(1)").count(), 1, "listed once");
    }

    #[test]
    fn the_html_part_of_a_mixed_message_is_its_html_body() {
        let raw = b"From: a@example.org\r\nSubject: s\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nplain words\r\n\
--m\r\nContent-Type: text/html\r\n\r\n<p>html <b>words</b></p>\r\n--m--\r\n";
        let p = parse(raw);
        assert!(p.html.as_deref().is_some_and(|h| h.contains("<b>words</b>")), "{:?}", p.html);
        assert!(p.text.as_deref().is_some_and(|t| t.contains("plain words")), "{:?}", p.text);
        let plain_only = b"From: a@example.org\r\nSubject: s\r\n\r\njust text\r\n";
        let p = parse(plain_only);
        assert!(p.html.is_none(), "a text-only message has no HTML body to frame");
        assert!(p.text.as_deref().is_some_and(|t| t.contains("just text")));
    }
}
