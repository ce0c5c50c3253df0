//! Is this email authentic? DKIM and ARC verification against archived
//! keys, header forensics and attachment fingerprints, for leaked mail.
//!
//! [`Verifier::verify`] takes one message's bytes and returns a
//! [`MessageReport`]: a verdict (verified / weak / unverified / unsigned), every
//! DKIM signature with its header-signature and body-hash results kept apart
//! and a stable reason word, the ARC chain, the Received chain and other
//! header fingerprints, and the metadata inside attachments.
//!
//! Keys come from a [`KeyArchive`] (keys that signed old mail are usually no
//! longer in DNS). Signature expiry is judged against the message's own
//! Date. Bare-LF files are verified as the CRLF mail they were on the wire.
//! With [`Options::second_opinion`], every signature is also given to
//! mail-auth, an independent implementation (four times the cost).
//!
//! Invariants: this crate never modifies evidence (it reads bytes and returns
//! reports) and never touches the network — the only code that can is
//! [`online::fetch_keys`], which the command line calls for `--online` only.
//!
//! ```
//! use leaktrace_verify::{KeyArchive, Options, Verdict, Verifier};
//! let v = Verifier::new(KeyArchive::empty(), Options::default());
//! let r = v.verify(b"From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n");
//! assert_eq!(r.verdict, Verdict::Unsigned);
//! ```

mod alg;
mod arc;
pub mod canon;
pub mod date;
mod dkim;
pub mod fingerprint;
pub mod forensics;
pub mod keys;
mod mailauth;
pub mod message;
pub mod recover;
pub mod report;
mod rsa_verify;
mod tags;

use std::borrow::Cow;
use std::sync::LazyLock;

use mail_parser::{MessageParser, MimeHeaders};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

pub use dkim::{MIN_RSA_BITS, alignment};
pub use keys::{KeyArchive, KeyArchiveError, KeyRecord};
pub use report::{
    ArcInstance, ArcReport, Attachment, Check, Forensics, Hop, MessageReport, SigResult, SignatureReport, Verdict,
};

/// Header lines that are not fields, named one by one in a report's
/// `malformed`; past this, one line counts them (a hostile header of a
/// million such lines must not make a report of a million sentences).
pub const MAX_STRAY_LINES_NAMED: usize = 20;

/// DKIM-Signature fields checked per message (real mail has one to three;
/// each check reads every header field).
pub const MAX_SIGNATURES: usize = 50;

/// Attachments larger than this are hashed but not opened for metadata.
const MAX_FINGERPRINT_BYTES: usize = 64 << 20;

/// What to do besides DKIM.
#[derive(Clone, Debug)]
pub struct Options {
    /// Also ask mail-auth about every DKIM signature (its verdict goes in
    /// `mail_auth`). ARC chains always go to mail-auth.
    pub second_opinion: bool,
    /// Read attachments for metadata.
    pub attachments: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options { second_opinion: false, attachments: true }
    }
}

/// Verifies messages against one key archive. Cheap to share between
/// threads: keys are parsed once.
pub struct Verifier {
    keys: KeyArchive,
    opts: Options,
    auth: Option<mail_auth::MessageAuthenticator>,
    now: i64,
}

impl Verifier {
    pub fn new(keys: KeyArchive, opts: Options) -> Verifier {
        Verifier { keys, opts, auth: mailauth::offline_authenticator(), now: chrono::Utc::now().timestamp() }
    }

    pub fn keys(&self) -> &KeyArchive {
        &self.keys
    }

    /// For `--online`: add fetched keys between batches.
    pub fn keys_mut(&mut self) -> &mut KeyArchive {
        &mut self.keys
    }

    /// Verify many messages on all cores; reports in input order.
    pub fn verify_all<B: AsRef<[u8]> + Sync>(&self, messages: &[B]) -> Vec<MessageReport> {
        messages.par_iter().map(|m| self.verify(m.as_ref())).collect()
    }

    /// Verify one message (its bytes as stored: CRLF or bare LF).
    pub fn verify(&self, raw: &[u8]) -> MessageReport {
        let line_endings = canon::line_endings(raw);
        let crlf = canon::to_crlf(raw);
        let split = canon::split(&crlf);
        let names = dkim::lower_names(&split);
        let first = |name: &str| names.iter().position(|n| n == name).map(|i| unfold(split.headers[i].value));
        let count = |name: &str| names.iter().filter(|n| *n == name).count();

        let mut malformed = Vec::new();
        for l in split.stray_lines.iter().take(MAX_STRAY_LINES_NAMED) {
            malformed.push(format!("header line {l} is not a field (no colon)"));
        }
        if split.stray_lines.len() > MAX_STRAY_LINES_NAMED {
            malformed.push(format!("{} header lines in all are not fields (no colon)", split.stray_lines.len()));
        }
        if split.headers.is_empty() {
            malformed.push("no header fields".into());
        }
        for (name, label) in [("from", "From"), ("date", "Date")] {
            match count(name) {
                0 => malformed.push(format!("no {label} field")),
                1 => {}
                n => malformed.push(format!("{n} {label} fields")),
            }
        }

        let date_raw = first("date");
        let from_raw = first("from");
        let from_domain = from_raw.as_deref().and_then(forensics::address_domain);
        let bodies = dkim::Bodies::new(split.body);
        let ctx = dkim::MessageContext {
            split: &split,
            names: &names,
            bodies: &bodies,
            date: date_raw.as_deref().and_then(date::parse).map(|d| d.timestamp()),
            from_domain: from_domain.as_deref(),
            now: self.now,
        };
        let mut sig_fields: Vec<usize> = (0..names.len()).filter(|&i| names[i] == "dkim-signature").collect();
        if sig_fields.len() > MAX_SIGNATURES {
            malformed.push(format!(
                "{} DKIM-Signature fields: only the first {MAX_SIGNATURES} were checked",
                sig_fields.len()
            ));
            sig_fields.truncate(MAX_SIGNATURES);
        }
        let mut signatures: Vec<SignatureReport> =
            sig_fields.iter().map(|&i| dkim::verify_signature(&ctx, i, &self.keys)).collect();

        let has_arc = names.iter().any(|n| n == "arc-seal" || n == "arc-message-signature");
        let mut arc = None;
        if (self.opts.second_opinion && !sig_fields.is_empty()) || has_arc {
            let op = self.auth.as_ref().and_then(|a| mailauth::opinion(a, &crlf, &self.keys, self.opts.second_opinion));
            if let Some(op) = &op
                && self.opts.second_opinion
            {
                let mut unparsed = op.unparsed.iter();
                for (rep, &i) in signatures.iter_mut().zip(&sig_fields) {
                    let b = tags::parse_tags(split.headers[i].value).map(|t| t.b).unwrap_or_default();
                    rep.mail_auth = op.dkim.iter().find(|(ob, _)| !b.is_empty() && *ob == b).map(|(_, w)| w.clone());
                    if rep.mail_auth.is_none() {
                        rep.mail_auth = Some(unparsed.next().cloned().unwrap_or_else(|| "not reported".into()));
                    }
                }
            }
            if has_arc {
                let instances = arc::instances(&ctx, &self.keys);
                let (result, reason) = op
                    .and_then(|o| o.arc)
                    .unwrap_or_else(|| ("permerror".into(), "mail-auth could not parse the message".into()));
                arc = Some(ArcReport {
                    result,
                    reason,
                    cv: instances.last().map(|i| i.cv.clone()).unwrap_or_default(),
                    instances,
                });
            }
        }

        let verdict = if signatures.is_empty() {
            Verdict::Unsigned
        } else if signatures.iter().any(|s| s.result == SigResult::Pass) {
            Verdict::Verified
        } else if signatures.iter().any(|s| s.result == SigResult::Weak) {
            Verdict::Weak
        } else if signatures.iter().any(|s| s.result == SigResult::Consistent) {
            Verdict::Consistent
        } else {
            Verdict::Unverified
        };

        let received: Vec<String> = names
            .iter()
            .enumerate()
            .filter(|(_, n)| *n == "received")
            .map(|(i, _)| unfold(split.headers[i].value))
            .collect();
        let mailer = first("x-mailer").or_else(|| first("user-agent"));
        let message_id_raw = first("message-id");
        let forensics = forensics::analyse(&forensics::Inputs {
            received,
            date: date_raw.as_deref(),
            from: from_raw.as_deref(),
            message_id: message_id_raw.as_deref(),
            mailer,
        });

        let parsed = mime_parser().parse(&crlf[..]);
        let mut attachments = Vec::new();
        // Decoded by mail-parser when it can, else as written (unfolded only
        // when needed).
        let (from, to, subject) = match &parsed {
            Some(msg) => {
                collect_attachments(msg, self.opts.attachments, &mut attachments, 0);
                (
                    // With several From fields, the one mail programs show (the topmost) is kept as written.
                    match msg.from() {
                        Some(a) if count("from") == 1 => Some(address_list(a)),
                        _ => from_raw,
                    },
                    msg.to().map(address_list).or_else(|| first("to")),
                    msg.subject().map(str::to_string).or_else(|| first("subject")),
                )
            }
            None => {
                malformed.push("MIME structure cannot be parsed".into());
                (from_raw, first("to"), first("subject"))
            }
        };
        let message_id = message_id_raw.map(|m| m.trim().trim_start_matches('<').trim_end_matches('>').to_string());

        MessageReport {
            verdict,
            message_id,
            from,
            to,
            subject,
            date: date_raw,
            signatures,
            arc,
            line_endings: line_endings.into(),
            malformed,
            forensics,
            attachments,
        }
    }
}

/// mail-parser decoding only the fields reports use (it would otherwise
/// also tokenise every Received field, a tenth of the time per message);
/// other fields are skipped, not copied out as text nobody reads (the
/// DKIM-Signature alone is half a kilobyte). Built once: setting one up
/// fills a hash map of header parsers, which cost as much as a fifth of
/// parsing a small message.
pub(crate) fn mime_parser() -> &'static MessageParser {
    static PARSER: LazyLock<MessageParser> =
        LazyLock::new(|| MessageParser::new().with_minimal_headers().with_message_ids().default_header_ignore());
    &PARSER
}

/// `String::from_utf8_lossy`, quicker on the usual valid input: `from_utf8`
/// checks ASCII a word at a time, the lossy decoder a byte at a time.
pub(crate) fn utf8_lossy(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// A header value unfolded: runs of white space (`char::is_whitespace`,
/// folding included) become one space, none at either end.
pub(crate) fn unfold(v: &[u8]) -> String {
    collapse_spaces(&utf8_lossy(v))
}

/// `s.split_whitespace()` joined with single spaces, without the `Vec`.
pub(crate) fn collapse_spaces(s: &str) -> String {
    if s.is_ascii() {
        // The usual case, a byte at a time rather than a char at a time. In
        // ASCII, `char::is_whitespace` is HT, LF, VT, FF, CR and SP.
        let mut out = Vec::with_capacity(s.len());
        let mut space = false;
        for &b in s.as_bytes() {
            if matches!(b, b'\t'..=b'\r' | b' ') {
                space = !out.is_empty();
            } else {
                if space {
                    out.push(b' ');
                    space = false;
                }
                out.push(b);
            }
        }
        return String::from_utf8(out).expect("ASCII in, ASCII out");
    }
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

pub(crate) fn address_list(a: &mail_parser::Address<'_>) -> String {
    a.iter()
        .map(|x| match (x.name(), x.address()) {
            (Some(n), Some(ad)) => format!("{n} <{ad}>"),
            (None, Some(ad)) => ad.to_string(),
            (Some(n), None) => n.to_string(),
            (None, None) => String::new(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn collect_attachments(msg: &mail_parser::Message<'_>, read_meta: bool, out: &mut Vec<Attachment>, depth: usize) {
    for part in msg.attachments() {
        if let Some(inner) = part.message()
            && depth < 3
        {
            collect_attachments(inner, read_meta, out, depth + 1);
        }
        let bytes = part.contents();
        let mut a = Attachment {
            name: part.attachment_name().map(str::to_string),
            content_type: content_type(part),
            size: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(bytes)),
            ..Default::default()
        };
        if read_meta
            && bytes.len() <= MAX_FINGERPRINT_BYTES
            && let Some((kind, r)) = fingerprint::fingerprint(bytes)
        {
            a.kind = Some(kind.into());
            match r {
                Ok(f) => a.metadata = f,
                Err(e) => a.error = Some(e),
            }
        }
        out.push(a);
    }
}

pub(crate) fn content_type(part: &mail_parser::MessagePart<'_>) -> String {
    part.content_type()
        .map(|c| match &c.c_subtype {
            Some(s) => format!("{}/{}", c.c_type, s),
            None => c.c_type.to_string(),
        })
        .unwrap_or_else(|| "application/octet-stream".into())
}

/// `(selector, domain)` of every DKIM and ARC signature in a message, for
/// fetching missing keys with `--online`.
pub fn key_names(raw: &[u8]) -> Vec<(String, String)> {
    let crlf = canon::to_crlf(raw);
    let split = canon::split(&crlf);
    let mut out = Vec::new();
    for h in &split.headers {
        let n = String::from_utf8_lossy(h.name).to_ascii_lowercase();
        if n == "dkim-signature" || n == "arc-seal" || n == "arc-message-signature" {
            let tags = keys::parse_tags(&String::from_utf8_lossy(h.value));
            let get = |k: &str| tags.iter().find(|(t, _)| t == k).map(|(_, v)| v.clone());
            if let (Some(s), Some(d)) = (get("s"), get("d"))
                && !out.contains(&(s.clone(), d.clone()))
            {
                out.push((s, d));
            }
        }
    }
    out
}

/// The one place that may query DNS: `--online`.
pub mod online {
    use std::net::SocketAddr;

    use mail_auth::hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts};

    /// Per name: the record, `None` when DNS has none, or the resolver's error.
    pub type Fetched = Vec<(String, Result<Option<String>, String>)>;

    /// Look up `selector._domainkey.domain` TXT records. With `server`, only
    /// that DNS server is asked (UDP, then TCP on the same port for answers
    /// too long for UDP) and the system's resolver configuration is not read;
    /// without it, the system's resolver is used. Per name: `Ok(Some(value))`,
    /// `Ok(None)` when DNS has no such record, or `Err` for a resolver failure.
    pub fn fetch_keys(names: &[String], server: Option<SocketAddr>) -> Result<Fetched, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the DNS client: {e}"))?;
        let auth = rt.block_on(async {
            match server {
                Some(addr) => mail_auth::MessageAuthenticator::new(server_config(addr), ResolverOpts::default())
                    .map_err(|e| format!("cannot set up the DNS client for {addr}: {e}")),
                None => mail_auth::MessageAuthenticator::new_system_conf()
                    .map_err(|e| format!("cannot read the system's DNS configuration: {e}")),
            }
        })?;
        let mut out = Vec::new();
        for name in names {
            let fqdn = format!("{}.", name.trim_end_matches('.'));
            let r = rt.block_on(auth.txt_raw_lookup(fqdn));
            let r = match r {
                Ok(bytes) if bytes.is_empty() => Ok(None),
                Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
                Err(mail_auth::Error::Dns(mail_auth::DnsError::RecordNotFound(_))) => Ok(None),
                Err(e) => Err(e.to_string()),
            };
            out.push((name.clone(), r));
        }
        Ok(out)
    }

    /// One name server at `addr`: UDP first, TCP when an answer is truncated.
    fn server_config(addr: SocketAddr) -> ResolverConfig {
        let connections = [ConnectionConfig::udp(), ConnectionConfig::tcp()]
            .into_iter()
            .map(|mut c| {
                c.port = addr.port();
                c
            })
            .collect();
        ResolverConfig::from_name_servers(vec![NameServerConfig::new(addr.ip(), true, connections)])
    }
}

/// Helpers shared by the unit tests of several modules.
#[cfg(test)]
pub(crate) mod test_support {
    /// A xorshift generator from `seed`: each call gives a number below `n`
    /// (deterministic, so a failing input can be found again).
    pub(crate) fn xorshift(seed: u64) -> impl FnMut(usize) -> usize {
        let mut state = seed;
        move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What reports and the catalog read from a parsed message.
    fn read_back(m: &mail_parser::Message<'_>) -> String {
        let parts: Vec<_> =
            m.attachments().map(|p| (p.attachment_name(), content_type(p), p.contents().to_vec())).collect();
        format!(
            "{:?}",
            (
                m.from().map(address_list),
                m.to().map(address_list),
                m.cc().map(address_list),
                m.subject(),
                m.message_id(),
                m.in_reply_to(),
                m.references(),
                m.body_text(0),
                parts,
                m.parts.len(),
            )
        )
    }

    #[test]
    fn skipping_unread_fields_reads_the_same() {
        let full = MessageParser::new().with_minimal_headers().with_message_ids();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/mail");
        let mut seen = 0;
        for sub in ["generated", "mail-auth", "zobnin-2017"] {
            for entry in std::fs::read_dir(format!("{dir}/{sub}")).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "eml") {
                    let crlf = canon::to_crlf(&std::fs::read(&path).unwrap()).into_owned();
                    let (a, b) = (mime_parser().parse(&crlf[..]), full.parse(&crlf[..]));
                    assert_eq!(a.as_ref().map(read_back), b.as_ref().map(read_back), "{}", path.display());
                    seen += 1;
                }
            }
        }
        assert!(seen > 20, "{seen}");
    }

    #[test]
    fn unfold_is_split_whitespace_joined() {
        let cases: &[&[u8]] = &[
            b"",
            b"   ",
            b" a ",
            b"Mon, 7 Nov 2022\r\n\t23:51:18  -0800 ",
            b"a\x0bb\x0cc\r\nd",
            b"\xc2\xa0x\xe3\x80\x80y\xc2\x85z\xe2\x80\xa8",
            b"\xff \xfe\xe2\x82 \xe2\x82\xac",
            b"from a (b [1.2.3.4])\r\n\tby c with ESMTPS id d;\r\n Tue, 14 Nov 2023 22:00:00 +0000",
            b"\t\x0b\x0c\r\n \x1c\x1f x\x7f\x00",
        ];
        for case in cases {
            let old = String::from_utf8_lossy(case).split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(unfold(case), old, "{case:?}");
            assert_eq!(utf8_lossy(case), String::from_utf8_lossy(case));
        }
    }
}
