//! News articles and blog posts as sources: title, outlet, author, URL,
//! publication date when the file states one, and the body text as
//! paragraphs (separated by blank lines).
//!
//! Two inputs:
//! - plain text, optionally opening with a header block (`Title:`,
//!   `Outlet:`, `Date:`/`Published:`, `Author:`, `URL:`, then a blank
//!   line); without one, the first line is the title and a date line among
//!   the first lines is the publication date;
//! - HTML, read by the small tag scanner below: `<meta>` (Open Graph,
//!   `article:published_time`, …), `<title>`/`<h1>`, `<time datetime>`,
//!   and the text of `<article>` (else `<main>`, else `<body>`), without
//!   scripts, styles, navigation, forms and embedded frames.
//!
//! A hand-written scanner instead of an HTML5 parser crate (html5ever via
//! `scraper` or `html2text`): those bring string interning, code
//! generation and a long cold build for what is, here, "get the prose
//! out"; malformed markup only costs a paragraph break in the wrong place.
//! Leaked HTML is only read, never executed or fetched from.

use chrono::{DateTime, NaiveDate};

/// What the reader gives: the catalog's contract for an article's `meta`.
pub use leaktrace_model::meta::{ArticleMeta, Published};

#[derive(Debug, thiserror::Error)]
#[error("{file}: {reason}")]
pub struct ArticleError {
    pub file: String,
    pub reason: String,
}

/// Whether bytes look like HTML (a tag among the first non-blank bytes).
pub fn looks_like_html(head: &[u8]) -> bool {
    let s = String::from_utf8_lossy(&head[..head.len().min(4096)]).to_ascii_lowercase();
    let t = s.trim_start_matches('\u{feff}').trim_start();
    t.starts_with("<!doctype html")
        || t.starts_with("<html")
        || s.contains("<body")
        || s.contains("<p>")
        || (t.starts_with('<') && (s.contains("</p>") || s.contains("<head")))
}

/// Parse an article. `display` names the file in errors.
pub fn parse_article(bytes: &[u8], display: &str) -> Result<ArticleMeta, ArticleError> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_start_matches('\u{feff}');
    let a = if looks_like_html(bytes) { parse_html(text) } else { parse_text(text) };
    if a.body.trim().is_empty() {
        return Err(ArticleError { file: display.to_string(), reason: "no article text found".into() });
    }
    Ok(a)
}

// ------------------------------------------------------------------ dates

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn month_of(w: &str) -> Option<u32> {
    let w = w.trim_end_matches('.').to_ascii_lowercase();
    if w.len() < 3 {
        return None;
    }
    MONTHS.iter().position(|m| m.starts_with(&w) && (w.len() == 3 || w == "sept" || *m == w)).map(|i| i as u32 + 1)
}

/// A publication date written as `2017-11-14`, `2017-11-14T10:30:00-05:00`,
/// `November 14, 2017`, `Nov. 14, 2017`, `14 November 2017`, possibly after
/// `Published`, `Posted`, `Updated` or a weekday.
pub fn parse_published(s: &str, found_in: &str) -> Option<Published> {
    let raw = s.trim();
    if raw.is_empty() || raw.len() > 120 {
        return None;
    }
    let make = |d: NaiveDate, utc: Option<String>| Published {
        date: d.format("%Y-%m-%d").to_string(),
        utc,
        raw: raw.to_string(),
        found_in: found_in.to_string(),
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        let utc = t.with_timezone(&chrono::Utc).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        return Some(make(t.date_naive(), Some(utc)));
    }
    // ISO date at the start of a word sequence (`2017-11-14 10:30`).
    let words: Vec<&str> =
        raw.split(|c: char| c.is_whitespace() || c == ',' || c == '|').filter(|w| !w.is_empty()).collect();
    for w in &words {
        if let Some(head) = w.get(..10)
            && let Ok(d) = NaiveDate::parse_from_str(head, "%Y-%m-%d")
        {
            return Some(make(d, None));
        }
    }
    for i in 0..words.len() {
        let num = |k: usize| {
            words
                .get(k)
                .and_then(|w| w.trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '.').parse::<u32>().ok())
        };
        if let Some(m) = month_of(words[i]) {
            if let (Some(d), Some(y)) = (num(i + 1), num(i + 2))
                && let Some(date) = NaiveDate::from_ymd_opt(y as i32, m, d)
            {
                return Some(make(date, None));
            }
        } else if let (Some(d), Some(m), Some(y)) = (num(i), words.get(i + 1).and_then(|w| month_of(w)), num(i + 2))
            && let Some(date) = NaiveDate::from_ymd_opt(y as i32, m, d)
        {
            return Some(make(date, None));
        }
    }
    None
}

// ------------------------------------------------------------------- text

fn parse_text(text: &str) -> ArticleMeta {
    let mut a = ArticleMeta {
        format: "text".into(),
        title: None,
        outlet: None,
        author: None,
        url: None,
        published: None,
        body: String::new(),
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut body_from = 0;
    // A header block: `Key: value` lines up to the first blank line.
    let mut header_keys = 0;
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            if header_keys > 0 {
                body_from = i + 1;
            }
            break;
        }
        let Some((k, v)) = line.split_once(':') else { break };
        let v = v.trim().to_string();
        match k.trim().to_ascii_lowercase().as_str() {
            "title" | "headline" => a.title = Some(v),
            "outlet" | "publication" | "site" | "publisher" => a.outlet = Some(v),
            "author" | "by" | "byline" => a.author = Some(v),
            "url" | "link" | "source" => a.url = Some(v),
            "date" | "published" | "publish date" | "posted" => {
                a.published = parse_published(&v, &format!("header {} (line {})", k.trim(), i + 1));
            }
            _ => break,
        }
        header_keys += 1;
    }
    if header_keys == 0 {
        // No header: the first non-empty line is the title; a line among the
        // next few that is only a date (maybe after "Published") is the date.
        let mut i = 0;
        while i < lines.len() && lines[i].trim().is_empty() {
            i += 1;
        }
        if i < lines.len() {
            a.title = Some(lines[i].trim().to_string());
            body_from = i + 1;
            for (j, line) in lines.iter().enumerate().skip(i + 1).take(5) {
                let l = line.trim();
                let lower = l.to_ascii_lowercase();
                let stripped = ["published", "posted", "updated", "by", "date"]
                    .iter()
                    .find_map(|p| lower.strip_prefix(p).map(|_| l[p.len()..].trim_start_matches([':', ' '])))
                    .unwrap_or(l);
                if l.split_whitespace().count() <= 8
                    && let Some(p) = parse_published(stripped, &format!("line {}", j + 1))
                {
                    a.published = Some(p);
                    body_from = j + 1;
                    break;
                }
            }
        }
    }
    a.body = paragraphs(lines.get(body_from..).unwrap_or(&[]).iter().copied());
    a
}

/// Join lines into paragraphs (blank-line separated); keep single line
/// breaks inside a paragraph, trim trailing space.
fn paragraphs<'a>(lines: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    let mut blank = true;
    for l in lines {
        let l = l.trim_end();
        if l.trim().is_empty() {
            blank = true;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank { "\n\n" } else { "\n" });
        }
        out.push_str(l.trim_start());
        blank = false;
    }
    out
}

// ------------------------------------------------------------------- html

/// Elements whose content is never article text.
const SKIP: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "nav", "footer", "aside", "form", "iframe", "button", "select",
    "object", "canvas",
];
/// Elements that start a new paragraph.
const BLOCK: &[&str] = &[
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "blockquote",
    "section",
    "article",
    "main",
    "tr",
    "pre",
    "ul",
    "ol",
    "table",
    "figure",
    "figcaption",
    "hr",
    "dd",
    "dt",
    "header",
    "address",
    "details",
    "summary",
    "body",
];

fn decode_entity(name: &str) -> Option<char> {
    if let Some(n) = name.strip_prefix('#') {
        let code = match n.strip_prefix(['x', 'X']) {
            Some(h) => u32::from_str_radix(h, 16).ok()?,
            None => n.parse().ok()?,
        };
        return char::from_u32(code).filter(|c| *c != '\0');
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "mdash" => '—',
        "ndash" => '–',
        "hellip" => '…',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "middot" => '·',
        "bull" => '•',
        "eacute" => 'é',
        "egrave" => 'è',
        "aacute" => 'á',
        "agrave" => 'à',
        "oacute" => 'ó',
        "uacute" => 'ú',
        "iacute" => 'í',
        "ntilde" => 'ñ',
        "ouml" => 'ö',
        "uuml" => 'ü',
        "auml" => 'ä',
        "ccedil" => 'ç',
        "szlig" => 'ß',
        "deg" => '°',
        "euro" => '€',
        "pound" => '£',
        "thinsp" | "ensp" | "emsp" => ' ',
        "zwj" | "zwnj" | "shy" => '\u{200b}',
        _ => return None,
    })
}

/// Decode character references; unknown ones stay as written.
pub fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let end = after.char_indices().take(12).find(|(_, c)| *c == ';').map(|(j, _)| j);
        match end.and_then(|j| decode_entity(&after[..j]).map(|c| (j, c))) {
            Some((j, c)) => {
                if c != '\u{200b}' {
                    out.push(c);
                }
                rest = &after[j + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Attribute value of `name` in a tag's inner text (`meta property="x" …`).
fn attr(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = lower[from..].find(name) {
        let at = from + pos;
        from = at + name.len();
        let before_ok = at == 0 || lower.as_bytes()[at - 1].is_ascii_whitespace();
        let rest = lower[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let vstart = tag.len() - rest.len() + 1;
        let v = tag[vstart..].trim_start();
        let val = match v.chars().next() {
            Some(q @ ('"' | '\'')) => v[1..].split(q).next().unwrap_or(""),
            _ => v.split(|c: char| c.is_whitespace() || c == '>').next().unwrap_or(""),
        };
        return Some(decode_entities(val).trim().to_string());
    }
    None
}

#[derive(Default)]
struct Text {
    buf: String,
    /// A paragraph break is due before the next text.
    brk: bool,
}

impl Text {
    fn push(&mut self, s: &str, pre: bool) {
        if s.trim().is_empty() && !pre {
            if !self.buf.is_empty() && !self.buf.ends_with([' ', '\n']) {
                self.buf.push(' ');
            }
            return;
        }
        if self.brk {
            let t = self.buf.trim_end().len();
            self.buf.truncate(t);
            if !self.buf.is_empty() {
                self.buf.push_str("\n\n");
            }
            self.brk = false;
        }
        if pre {
            self.buf.push_str(s);
            return;
        }
        let starts_space = s.starts_with(char::is_whitespace);
        if starts_space && !self.buf.is_empty() && !self.buf.ends_with([' ', '\n']) {
            self.buf.push(' ');
        }
        let words: Vec<&str> = s.split_whitespace().collect();
        self.buf.push_str(&words.join(" "));
        if s.ends_with(char::is_whitespace) {
            self.buf.push(' ');
        }
    }

    fn line_break(&mut self) {
        let t = self.buf.trim_end_matches(' ').len();
        self.buf.truncate(t);
        if !self.buf.is_empty() && !self.buf.ends_with('\n') {
            self.buf.push('\n');
        }
    }

    fn finish(self) -> String {
        self.buf.lines().map(str::trim).collect::<Vec<_>>().join("\n").trim().to_string()
    }
}

fn parse_html(html: &str) -> ArticleMeta {
    let mut a = ArticleMeta {
        format: "html".into(),
        title: None,
        outlet: None,
        author: None,
        url: None,
        published: None,
        body: String::new(),
    };
    let (mut title_tag, mut h1, mut og_title, mut time_dt): (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    ) = (None, None, None, None);
    let mut body = Text::default();
    let mut article = Text::default();
    let mut main = Text::default();
    let (mut in_article, mut in_main, mut in_body, mut in_pre) = (0usize, 0usize, false, 0usize);
    let mut capture: Option<(&'static str, String)> = None;
    let mut skip: Option<String> = None;
    let mut i = 0;
    let b = html.as_bytes();
    while i < b.len() {
        if b[i] != b'<' {
            let end = html[i..].find('<').map_or(html.len(), |j| i + j);
            if skip.is_none() {
                let text = decode_entities(&html[i..end]);
                if let Some((_, c)) = capture.as_mut() {
                    c.push_str(&text);
                }
                let pre = in_pre > 0;
                if in_body || (in_article == 0 && in_main == 0) {
                    body.push(&text, pre);
                }
                if in_article > 0 {
                    article.push(&text, pre);
                }
                if in_main > 0 {
                    main.push(&text, pre);
                }
            }
            i = end;
            continue;
        }
        // Comments, doctype, CDATA.
        if html[i..].starts_with("<!--") {
            i = html[i + 4..].find("-->").map_or(html.len(), |j| i + 4 + j + 3);
            continue;
        }
        if html[i..].starts_with("<!") || html[i..].starts_with("<?") {
            i = html[i..].find('>').map_or(html.len(), |j| i + j + 1);
            continue;
        }
        // A tag: find its end, respecting quoted attribute values.
        let mut j = i + 1;
        let mut quote = None;
        while j < b.len() {
            match (quote, b[j]) {
                (None, b'"' | b'\'') => quote = Some(b[j]),
                (Some(q), c) if c == q => quote = None,
                (None, b'>') => break,
                _ => {}
            }
            j += 1;
        }
        let inner = &html[i + 1..j.min(b.len())];
        i = (j + 1).min(b.len());
        let closing = inner.starts_with('/');
        let name: String = inner
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() {
            // A lone `<` in text.
            if skip.is_none() {
                body.push("<", false);
            }
            continue;
        }
        if let Some(s) = &skip {
            if closing && name == *s {
                skip = None;
            }
            continue;
        }
        if !closing && SKIP.contains(&name.as_str()) && !inner.ends_with('/') {
            skip = Some(name);
            continue;
        }
        let block = BLOCK.contains(&name.as_str());
        if block {
            body.brk = true;
            article.brk = true;
            main.brk = true;
        }
        match (name.as_str(), closing) {
            ("br", _) => {
                body.line_break();
                article.line_break();
                main.line_break();
            }
            ("body", false) => in_body = true,
            ("article", false) => in_article += 1,
            ("article", true) => in_article = in_article.saturating_sub(1),
            ("main", false) => in_main += 1,
            ("main", true) => in_main = in_main.saturating_sub(1),
            ("pre", false) => in_pre += 1,
            ("pre", true) => in_pre = in_pre.saturating_sub(1),
            ("title", false) if title_tag.is_none() => capture = Some(("title", String::new())),
            ("h1", false) if h1.is_none() => capture = Some(("h1", String::new())),
            ("title" | "h1", true) => {
                if let Some((which, text)) = capture.take() {
                    let t = text.split_whitespace().collect::<Vec<_>>().join(" ");
                    if !t.is_empty() {
                        if which == "title" { title_tag = Some(t) } else { h1 = Some(t) }
                    }
                }
            }
            ("time", false) if time_dt.is_none() => time_dt = attr(inner, "datetime"),
            ("meta", _) => {
                let key = attr(inner, "property").or_else(|| attr(inner, "name")).or_else(|| attr(inner, "itemprop"));
                let content = attr(inner, "content").filter(|c| !c.is_empty());
                if let (Some(k), Some(c)) = (key, content) {
                    match k.to_ascii_lowercase().as_str() {
                        "og:title" | "twitter:title" if og_title.is_none() => og_title = Some(c),
                        "og:site_name" | "application-name" | "publisher" if a.outlet.is_none() => a.outlet = Some(c),
                        "author" | "article:author" | "byl" if a.author.is_none() => a.author = Some(c),
                        "og:url" if a.url.is_none() => a.url = Some(c),
                        "article:published_time"
                        | "og:article:published_time"
                        | "datepublished"
                        | "date"
                        | "pubdate"
                        | "publish-date"
                        | "dc.date"
                        | "dc.date.issued"
                        | "parsely-pub-date"
                        | "sailthru.date"
                            if a.published.is_none() =>
                        {
                            a.published = parse_published(&c, &format!("meta {k}"));
                        }
                        _ => {}
                    }
                }
            }
            ("link", _)
                if a.url.is_none() && attr(inner, "rel").is_some_and(|r| r.eq_ignore_ascii_case("canonical")) =>
            {
                a.url = attr(inner, "href");
            }
            _ => {}
        }
    }
    if a.published.is_none() {
        a.published = time_dt.and_then(|t| parse_published(&t, "<time datetime>"));
    }
    a.title = og_title.or(h1).or(title_tag);
    let (article, main, body) = (article.finish(), main.finish(), body.finish());
    a.body = if !article.is_empty() {
        article
    } else if !main.is_empty() {
        main
    } else {
        body
    };
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_with_a_header_block() {
        let a = parse_article(
            b"Title: The leaks, a timeline\nOutlet: Example Post\nDate: November 14, 2017\n\nFirst paragraph\ncontinues.\n\nSecond.\n",
            "a.txt",
        )
        .unwrap();
        assert_eq!(a.title.as_deref(), Some("The leaks, a timeline"));
        assert_eq!(a.outlet.as_deref(), Some("Example Post"));
        assert_eq!(a.published.as_ref().unwrap().date, "2017-11-14");
        assert_eq!(a.body, "First paragraph\ncontinues.\n\nSecond.");
    }

    #[test]
    fn text_without_header() {
        let a = parse_article(b"\nA headline\nPublished Nov. 14, 2017\n\nBody here.\n", "b.txt").unwrap();
        assert_eq!((a.title.as_deref(), a.published.unwrap().found_in.as_str()), (Some("A headline"), "line 3"));
        assert_eq!(a.body, "Body here.");
        assert!(parse_article(b"   \n", "c.txt").unwrap_err().to_string().starts_with("c.txt: "));
    }

    #[test]
    fn html_meta_title_and_article_text() {
        let html = r#"<!DOCTYPE html><html><head><title>Leaks &amp; more - Example</title>
            <meta property="og:site_name" content="Example Times">
            <meta property="article:published_time" content="2017-11-14T09:30:00-05:00">
            <script>var x = "<p>not text</p>";</script><style>p{}</style></head>
            <body><nav><a href="/">Home</a></nav><article><h1>Leaks &amp; more</h1>
            <p>On October 7th, the <b>first</b> batch was released.</p><p>Line one<br>line two &#8212; done</p>
            <!-- <p>hidden</p> --></article><footer>(c) Example</footer></body></html>"#;
        let a = parse_article(html.as_bytes(), "a.html").unwrap();
        assert_eq!(a.format, "html");
        assert_eq!(a.title.as_deref(), Some("Leaks & more"));
        assert_eq!(a.outlet.as_deref(), Some("Example Times"));
        let p = a.published.unwrap();
        assert_eq!((p.date.as_str(), p.utc.as_deref()), ("2017-11-14", Some("2017-11-14T14:30:00Z")));
        assert_eq!(
            a.body,
            "Leaks & more\n\nOn October 7th, the first batch was released.\n\nLine one\nline two — done"
        );
    }

    #[test]
    fn published_date_layouts() {
        for s in [
            "2017-11-14",
            "November 14, 2017",
            "Tuesday, 14 November 2017",
            "Nov 14 2017 10:00 ET",
            "2017-11-14T10:00:00Z",
        ] {
            assert_eq!(parse_published(s, "t").map(|p| p.date), Some("2017-11-14".into()), "{s}");
        }
        assert!(parse_published("soon", "t").is_none());
    }

    #[test]
    fn generated_markup_never_panics() {
        const PIECES: &[&str] = &[
            "<p>",
            "</p>",
            "<article>",
            "</article>",
            "<script>",
            "</script>",
            "<!--",
            "-->",
            "<br>",
            "<meta property=\"og:title\" content=\"T\">",
            "<meta name=date content='2016-10-08'>",
            "&amp;",
            "&#x2014;",
            "&#99999999;",
            "&",
            ";",
            "<",
            ">",
            "\"",
            "'",
            "é",
            "text",
            " ",
            "\n",
            "<time datetime=\"2016-10-07\">",
            "<h1>",
            "</h1>",
            "<title>",
            "</title>",
            "<pre>",
            "</pre>",
            "<!DOCTYPE html>",
            "<a href=x>",
            "Title: x\n",
            "Date: 2017-11-1é\n",
            "\n\n",
        ];
        let mut x: u64 = 1;
        for i in 0..2000 {
            let mut doc = String::new();
            for _ in 0..(1 + i % 50) {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                doc.push_str(PIECES[(x >> 33) as usize % PIECES.len()]);
            }
            if let Ok(a) = parse_article(doc.as_bytes(), "gen") {
                assert!(!a.body.trim().is_empty());
            }
        }
    }
}
