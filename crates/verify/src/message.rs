//! A message's header fields and attachments, decoded, for the case
//! catalog (`leaktrace ingest`): who, when, which thread, and the
//! attachment bytes to store.

use std::collections::HashSet;

use leaktrace_model::MailHeaders;
use mail_parser::{HeaderValue, MimeHeaders};

/// One attachment with its bytes (decoded from its transfer encoding).
pub struct AttachmentBytes {
    pub name: Option<String>,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Header fields and attachments of one message.
#[derive(Default)]
pub struct ParsedMail {
    /// The fields the catalog records.
    pub headers: MailHeaders,
    pub attachments: Vec<AttachmentBytes>,
    /// The plain-text body (the HTML one as text when there is no plain one),
    /// cut at 1 MiB.
    pub text: Option<String>,
    /// The time of the oldest (lowest) Received field that has one, UTC ms.
    pub first_received_ms: Option<i64>,
    /// What could not be read.
    pub problems: Vec<String>,
}

fn ids(v: &HeaderValue<'_>) -> Vec<String> {
    let raw: Vec<String> = match v {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    };
    raw.into_iter()
        .map(|s| s.trim().trim_start_matches('<').trim_end_matches('>').to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Parse a message (CRLF or bare LF).
pub fn parse_mail(raw: &[u8]) -> ParsedMail {
    let crlf = crate::canon::to_crlf(raw);
    let mut out = ParsedMail::default();
    let split = crate::canon::split(&crlf);
    let first = |name: &str| {
        split.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name.as_bytes())).map(|h| crate::unfold(h.value))
    };
    out.headers.date = first("date");
    out.first_received_ms = split
        .headers
        .iter()
        .rev()
        .filter(|h| h.name.eq_ignore_ascii_case(b"received"))
        .find_map(|h| crate::forensics::parse_received(&crate::utf8_lossy(h.value)).time)
        .map(|(ts, _)| ts * 1000);
    out.headers.date_ms = out.headers.date.as_deref().and_then(crate::date::parse).map(|d| d.timestamp_millis());
    let Some(msg) = crate::mime_parser().parse(&crlf[..]) else {
        out.problems.push("MIME structure cannot be parsed".into());
        out.headers.from = first("from");
        out.headers.subject = first("subject");
        return out;
    };
    out.headers.message_id = msg.message_id().map(str::to_string);
    out.headers.from = msg.from().map(crate::address_list).or_else(|| first("from"));
    out.headers.to = msg.to().map(crate::address_list);
    out.headers.cc = msg.cc().map(crate::address_list);
    out.headers.subject = msg.subject().map(str::to_string);
    out.headers.in_reply_to = ids(msg.in_reply_to());
    out.headers.references = ids(msg.references());
    collect(&msg, &mut out.attachments, 0);
    // mail-parser reads an unterminated multipart to the end without a word;
    // a missing closing boundary usually means a truncated message. The
    // closing delimiters (`--b--` on a line of their own, RFC 2046 §5.1.1)
    // are found in one pass, however many parts a hostile message nests.
    let mut closed: Option<HashSet<&[u8]>> = None;
    let mut unclosed = 0usize;
    for part in &msg.parts {
        if let mail_parser::PartType::Multipart(_) = part.body
            && let Some(b) = part.content_type().and_then(|c| c.attribute("boundary"))
            && !closed.get_or_insert_with(|| closing_delimiters(&crlf)).contains(b.as_bytes())
        {
            unclosed += 1;
            if unclosed <= MAX_BOUNDARY_PROBLEMS {
                out.problems.push(format!("multipart boundary {b:?} is never closed (the message may be truncated)"));
            }
        }
    }
    if unclosed > MAX_BOUNDARY_PROBLEMS {
        out.problems.push(format!("{unclosed} multipart boundaries in all are never closed"));
    }
    out.text = msg.body_text(0).map(|t| {
        let mut t = t.into_owned();
        if t.len() > 1 << 20 {
            let mut cut = 1 << 20;
            while !t.is_char_boundary(cut) {
                cut -= 1;
            }
            t.truncate(cut);
        }
        t
    });
    out
}

/// Unclosed boundaries named one by one in a message's problems; past this,
/// one line counts them.
const MAX_BOUNDARY_PROBLEMS: usize = 10;

/// The `b` of every line `--b--` (trailing white space allowed).
fn closing_delimiters(crlf: &[u8]) -> HashSet<&[u8]> {
    crlf.split(|&b| b == b'\n')
        .filter_map(|l| {
            let end = l.iter().rposition(|b| !b.is_ascii_whitespace())? + 1;
            l[..end].strip_prefix(b"--")?.strip_suffix(b"--")
        })
        .collect()
}

fn collect(msg: &mail_parser::Message<'_>, out: &mut Vec<AttachmentBytes>, depth: usize) {
    for part in msg.attachments() {
        if let Some(inner) = part.message()
            && depth < 3
        {
            collect(inner, out, depth + 1);
        }
        out.push(AttachmentBytes {
            name: part.attachment_name().map(str::to_string),
            content_type: crate::content_type(part),
            bytes: part.contents().to_vec(),
        });
    }
}

/// Subject for threading: without `Re:`/`Fwd:`/`AW:`… prefixes, `[list]`
/// tags and case.
pub fn normalise_subject(s: &str) -> String {
    let mut s = s.trim();
    loop {
        let before = s;
        if s.starts_with('[')
            && let Some(end) = s.find(']')
        {
            s = s[end + 1..].trim_start();
        }
        for p in ["re:", "fw:", "fwd:", "aw:", "wg:", "sv:", "vs:", "antw:", "tr:", "réf:", "ответ:", "re :"] {
            if s.len() >= p.len() && s.is_char_boundary(p.len()) && s[..p.len()].to_lowercase() == p {
                s = s[p.len()..].trim_start();
            }
        }
        if s == before {
            break;
        }
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Thread of each message: messages linked by Message-ID / In-Reply-To /
/// References share one thread id, the id of the oldest ancestor mentioned
/// (the one every reply points back to); a message linked to nothing falls
/// back to its normalised subject (`subject:…`), and without one to its own
/// id. Input per message: (message_id, in_reply_to and references, subject).
pub fn threads(msgs: &[(Option<String>, Vec<String>, Option<String>)]) -> Vec<String> {
    use std::collections::HashMap;
    struct Forest {
        index: HashMap<String, usize>,
        names: Vec<String>,
        parent: Vec<usize>,
    }
    impl Forest {
        fn node(&mut self, s: &str) -> usize {
            if let Some(&i) = self.index.get(s) {
                return i;
            }
            let i = self.parent.len();
            self.parent.push(i);
            self.index.insert(s.to_string(), i);
            self.names.push(s.to_string());
            i
        }
        fn find(&mut self, mut i: usize) -> usize {
            while self.parent[i] != i {
                self.parent[i] = self.parent[self.parent[i]];
                i = self.parent[i];
            }
            i
        }
    }
    let mut f = Forest { index: HashMap::new(), names: Vec::new(), parent: Vec::new() };
    let mut own = Vec::with_capacity(msgs.len());
    for (mid, links, _) in msgs {
        let me = mid.as_deref().filter(|m| !m.is_empty()).map(|m| f.node(m));
        own.push(me);
        let Some(me) = me else { continue };
        for l in links {
            let other = f.node(l);
            let (a, b) = (f.find(me), f.find(other));
            if a != b {
                // The referenced side stays the root: chains end at the oldest ancestor.
                f.parent[a] = b;
            }
        }
    }
    let mut size = vec![0usize; f.parent.len()];
    for i in 0..f.parent.len() {
        let r = f.find(i);
        size[r] += 1;
    }
    msgs.iter()
        .zip(&own)
        .map(|((mid, _, subject), me)| {
            if let Some(m) = me {
                let r = f.find(*m);
                if size[r] > 1 {
                    return f.names[r].clone();
                }
            }
            match subject.as_deref().map(normalise_subject).filter(|s| !s.is_empty()) {
                Some(s) => format!("subject:{s}"),
                None => mid.clone().unwrap_or_default(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_by_references_then_subject() {
        let m = |id: &str, links: &[&str], subj: &str| {
            (Some(id.to_string()), links.iter().map(|s| s.to_string()).collect(), Some(subj.to_string()))
        };
        let t = threads(&[
            m("b", &["a"], "Re: Plan"),
            m("c", &["a", "b"], "Re: Re: Plan"),
            m("a", &[], "Plan"),
            m("x", &[], "AW: [leak] Budget"),
            m("y", &[], "Budget"),
            m("z", &[], ""),
        ]);
        assert_eq!(t, ["a", "a", "a", "subject:budget", "subject:budget", "z"]);
        assert_eq!(normalise_subject("Re: FWD: [list] Re:  Hello  World"), "hello world");
    }

    #[test]
    fn parse_fields_and_attachments() {
        let raw = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/mail/generated/attachments.eml"))
            .unwrap();
        let p = parse_mail(&raw);
        assert_eq!(p.headers.message_id.as_deref(), Some("17.fixture@leaktrace.test"));
        assert_eq!(p.headers.subject.as_deref(), Some("Plan and budget"));
        assert_eq!(p.headers.date_ms, Some(1_700_000_000_000));
        assert_eq!(p.attachments.len(), 2);
        assert!(p.attachments[1].bytes.starts_with(b"%PDF-1.4"));
        assert_eq!(p.text.as_deref(), Some("See the attached files."));
        assert_eq!(p.first_received_ms, Some(1_700_000_000_000));
    }

    #[test]
    fn an_unclosed_multipart_is_a_problem() {
        let head = "From: a@example.org\r\nSubject: s\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n--XYZ\r\nContent-Type: text/plain\r\n\r\nhello\r\n";
        let open = parse_mail(head.as_bytes());
        assert!(open.problems.iter().any(|p| p.contains("\"XYZ\" is never closed")), "{:?}", open.problems);
        // mail-parser gives no text for the unterminated part; the message's
        // bytes are kept whole in the evidence store all the same.
        let closed = parse_mail(format!("{head}--XYZ--\r\n").as_bytes());
        assert!(closed.problems.is_empty(), "{:?}", closed.problems);
    }
}
