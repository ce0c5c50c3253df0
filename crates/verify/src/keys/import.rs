//! Reading key records in the forms they are handed over in, for
//! `leaktrace keys import`: `dig` output, zone-file records, our archive
//! lines, and the JSON answers of the public DKIM archive's HTTP API
//! (`[{"domain", "selector", "value", "firstSeenAt", "lastSeenAt", …}]`).
//!
//! This only reads: every record found is returned with its line, and
//! everything that is not a record is returned refused, with its line and
//! why. Whether a record may be archived is decided when it is written
//! ([`super::KeyArchive::append_imported`], the same check as a key fetched
//! from DNS), so no format has a second, looser check.
//!
//! Zone files are split here rather than by hickory's zone parser (already
//! linked through mail-auth): that parser merges records by name without
//! their line numbers, which a refused record must be named by, and it
//! follows `$INCLUDE` to other files, which an import must never do.

use super::{Imported, join_txt_strings, normalise_name, parse_line};

/// The largest file read by an import. A JSON answer is parsed whole, and
/// its tree takes many times the file's size: 16 MiB (some 30,000 keys) keeps
/// that within a few hundred MiB.
pub const MAX_IMPORT_BYTES: u64 = 16 << 20;
/// The most records one import takes (its files together).
pub const MAX_IMPORT_RECORDS: usize = 100_000;
/// The most lines one zone-file record in parentheses may span.
const MAX_ENTRY_LINES: usize = 64;
/// The longest record (all its lines) read from a zone file.
const MAX_ENTRY_BYTES: usize = super::MAX_RECORD_BYTES + 1024;

/// A line that holds no record to import, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Refused {
    pub line: u64,
    pub reason: String,
}

/// What one file holds.
#[derive(Debug, Default)]
pub struct ImportFile {
    /// `"json"` or `"text"` (dig output, zone-file and archive lines).
    pub format: &'static str,
    pub records: Vec<Imported>,
    pub refused: Vec<Refused>,
    /// Records of other types (A, MX, SOA, …) under names that are not DKIM
    /// key names, as a zone file has many: counted, not listed.
    pub skipped: usize,
}

/// Options of an import.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// The origin of relative names in zone files without `$ORIGIN`.
    pub origin: Option<String>,
    /// Only names under these domains are taken (e.g. the domain a JSON
    /// answer was asked for); others are refused.
    pub domains: Vec<String>,
}

/// Read one file's text. `file` is how the records' provenance names it.
/// An error (a JSON file that does not parse, a file with more than
/// [`MAX_IMPORT_RECORDS`] records) names the line.
pub fn parse(text: &str, file: &str, opts: &ImportOptions) -> Result<ImportFile, Refused> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out =
        if text.trim_start().starts_with(['[', '{']) { parse_json(text, file)? } else { parse_text(text, file, opts) };
    if out.records.len() > MAX_IMPORT_RECORDS {
        return Err(Refused {
            line: out.records[MAX_IMPORT_RECORDS].line,
            reason: format!("more than {MAX_IMPORT_RECORDS} records in one import"),
        });
    }
    if !opts.domains.is_empty() {
        let (keep, outside): (Vec<_>, Vec<_>) =
            out.records.into_iter().partition(|r| under_any(&normalise_name(&r.name), &opts.domains));
        out.records = keep;
        out.refused.extend(outside.into_iter().map(|r| Refused {
            line: r.line,
            reason: format!("{} is not under {} (--domain)", r.name.trim_end_matches('.'), opts.domains.join(", ")),
        }));
        out.refused.sort_by_key(|r| r.line);
    }
    Ok(out)
}

/// Is `name` one of `domains` or under one of them?
fn under_any(name: &str, domains: &[String]) -> bool {
    domains.iter().any(|d| {
        let d = normalise_name(d);
        name == d || name.ends_with(&format!(".{d}"))
    })
}

/// Resource-record types a zone file or `dig` prints, to tell `name TYPE …`
/// from an archive line `name value`.
const RR_TYPES: [&str; 22] = [
    "A", "AAAA", "CAA", "CNAME", "DNAME", "DNSKEY", "DS", "HINFO", "HTTPS", "MX", "NAPTR", "NS", "NSEC", "NSEC3",
    "PTR", "RRSIG", "SOA", "SPF", "SRV", "SSHFP", "SVCB", "TXT",
];

fn is_class(t: &str) -> bool {
    ["IN", "CH", "HS", "CS"].iter().any(|c| t.eq_ignore_ascii_case(c))
}

/// A TTL as zone files write it: `3600`, `1h`, `1h30m`.
fn is_ttl(t: &str) -> bool {
    t.as_bytes().first().is_some_and(u8::is_ascii_digit)
        && t.bytes().all(|b| b.is_ascii_digit() || b"smhdwSMHDW".contains(&b))
}

fn is_type(t: &str) -> bool {
    // `TYPE65534`: the generic form of a type without a name (RFC 3597).
    let generic = t.len() > 4
        && t.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("TYPE"))
        && t[4..].bytes().all(|b| b.is_ascii_digit());
    generic || RR_TYPES.iter().any(|r| t.eq_ignore_ascii_case(r))
}

/// `text` without its zone-file comment (`;` outside a quoted string), and
/// the change in parenthesis depth outside quoted strings.
fn strip_comment(text: &str) -> (&str, i32) {
    let (mut quoted, mut escaped, mut depth) = (false, false, 0);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => return (&text[..i], depth),
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            _ => {}
        }
    }
    (text, depth)
}

/// Archive lines, `dig` output and zone-file records.
fn parse_text(text: &str, file: &str, opts: &ImportOptions) -> ImportFile {
    let mut out = ImportFile { format: "text", ..ImportFile::default() };
    let mut origin = opts.origin.as_deref().map(normalise_name);
    let mut last_owner: Option<String> = None;
    let mut lines = text.lines().enumerate().map(|(i, l)| (i as u64 + 1, l));
    while let Some((line_no, raw)) = lines.next() {
        let refuse = |out: &mut ImportFile, reason: String| out.refused.push(Refused { line: line_no, reason });
        let line = raw.trim();
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if let Some(directive) = line.strip_prefix('$') {
            let mut words = strip_comment(directive).0.split_whitespace();
            match (words.next().map(str::to_ascii_uppercase).as_deref(), words.next()) {
                (Some("ORIGIN"), Some(o)) => origin = Some(normalise_name(o)),
                (Some("TTL"), _) => {}
                (d, _) => refuse(
                    &mut out,
                    format!("${} is not followed: an import reads only the files it is given", d.unwrap_or_default()),
                ),
            }
            continue;
        }
        if line.starts_with('"') {
            refuse(&mut out, "a TXT value without a name (as `dig +short` prints): which name it belongs to is not in the file; save the full `dig` answer instead".into());
            continue;
        }
        // A zone-file record whose owner is left blank belongs to the name before it.
        let blank_owner = raw.starts_with([' ', '\t']);
        let mut tokens = line.split_whitespace();
        let owner = if blank_owner { None } else { tokens.next() };
        let mut rest: Vec<&str> = Vec::new();
        let mut t = tokens.next();
        while let Some(tok) = t.filter(|t| is_ttl(t) || is_class(t)) {
            rest.push(tok);
            t = tokens.next();
        }
        let rtype = t.filter(|t| is_type(t));
        if rtype.is_none() {
            // `name value`: our own archive line, whose bare value keeps its `;`.
            match (owner, blank_owner) {
                (Some(_), false) => match parse_line(line) {
                    Ok((name, value)) => out.records.push(record(name, value, file, line_no)),
                    Err(e) => refuse(&mut out, e),
                },
                _ => refuse(&mut out, "a line that is neither a record nor a comment".into()),
            }
            continue;
        }
        // `name [TTL] [class] TYPE rdata`, the rdata possibly in parentheses
        // over several lines, comments after `;`.
        let (first, mut depth) = strip_comment(line);
        let mut entry = first.to_string();
        let mut spanned = 1;
        while depth > 0 {
            let Some((_, next)) = lines.next() else { break };
            spanned += 1;
            let (part, d) = strip_comment(next);
            entry.push(' ');
            entry.push_str(part);
            depth += d;
            if spanned > MAX_ENTRY_LINES || entry.len() > MAX_ENTRY_BYTES {
                break;
            }
        }
        if depth != 0 {
            refuse(
                &mut out,
                format!(
                    "a parenthesis opened here is not closed within {MAX_ENTRY_LINES} lines or {MAX_ENTRY_BYTES} bytes"
                ),
            );
            continue;
        }
        let owner_name = match owner {
            Some(o) => {
                let n = absolute(o, origin.as_deref());
                last_owner = n.clone();
                n
            }
            None => last_owner.clone(),
        };
        let Some(name) = owner_name else {
            refuse(
                &mut out,
                format!("the name {:?} is relative and no $ORIGIN (or --origin) gives its domain", owner.unwrap_or("")),
            );
            continue;
        };
        let rtype = rtype.unwrap_or_default();
        let is_key_name = name.contains("._domainkey.");
        if !rtype.eq_ignore_ascii_case("TXT") {
            if is_key_name {
                refuse(&mut out, format!("{name} is a {} record, not a TXT key record", rtype.to_ascii_uppercase()));
            } else {
                out.skipped += 1;
            }
            continue;
        }
        // The rdata: what follows the type, without the parentheses around it
        // (the strings inside are joined as one value).
        let skip = usize::from(!blank_owner) + rest.len() + 1;
        let rdata = skip_tokens(&entry, skip).trim().trim_start_matches('(').trim_end_matches(')');
        let value = join_txt_strings(rdata.trim());
        if value.is_empty() {
            refuse(&mut out, format!("no TXT value for {name}"));
            continue;
        }
        out.records.push(record(name, value, file, line_no));
    }
    out
}

/// `s` after its first `n` white-space separated tokens.
fn skip_tokens(mut s: &str, n: usize) -> &str {
    for _ in 0..n {
        s = s.trim_start();
        let end = s.find(char::is_whitespace).unwrap_or(s.len());
        s = &s[end..];
    }
    s.trim_start()
}

/// A zone-file owner as an absolute name: `@` is the origin; a name ending
/// with `.` is absolute; any other is relative to the origin when there is
/// one, else taken as it is (archive lines and `dig` answers name the full
/// name without the dot). `None`: `@` without an origin.
fn absolute(owner: &str, origin: Option<&str>) -> Option<String> {
    match (owner, origin) {
        ("@", Some(o)) => Some(o.to_string()),
        ("@", None) => None,
        (o, _) if o.ends_with('.') => Some(o.trim_end_matches('.').to_string()),
        (o, Some(orig)) => Some(format!("{o}.{orig}")),
        (o, None) => Some(o.to_string()),
    }
}

fn record(name: String, value: String, file: &str, line: u64) -> Imported {
    Imported { name, value, file: file.to_string(), line, first_seen: None, last_seen: None, note: None }
}

/// The public DKIM archive's answer: an array of key objects (or one).
fn parse_json(text: &str, file: &str) -> Result<ImportFile, Refused> {
    let mut out = ImportFile { format: "json", ..ImportFile::default() };
    let doc: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Refused { line: e.line() as u64, reason: format!("not valid JSON: {e}") })?;
    let items = match &doc {
        serde_json::Value::Array(a) => a.as_slice(),
        one @ serde_json::Value::Object(_) => std::slice::from_ref(one),
        _ => return Err(Refused { line: 1, reason: "a JSON answer is an array of key objects".into() }),
    };
    let lines = element_lines(text, items.len());
    for (i, item) in items.iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(1);
        let refuse = |reason: String| Refused { line, reason: format!("key object {}: {reason}", i + 1) };
        let text_field = |k: &str| item.get(k).and_then(serde_json::Value::as_str);
        let (Some(domain), Some(selector), Some(value)) =
            (text_field("domain"), text_field("selector"), text_field("value"))
        else {
            out.refused.push(refuse("it needs the strings \"domain\", \"selector\" and \"value\"".into()));
            continue;
        };
        let mut seen = [None, None];
        let mut bad_date = None;
        for (slot, key) in seen.iter_mut().zip(["firstSeenAt", "lastSeenAt"]) {
            match item.get(key) {
                None | Some(serde_json::Value::Null) => {}
                Some(v) => match v.as_str().and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()) {
                    Some(t) => *slot = Some(t.to_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                    None => bad_date = Some(key),
                },
            }
        }
        if let Some(key) = bad_date {
            out.refused.push(refuse(format!("{key} is not an RFC 3339 date")));
            continue;
        }
        // Observations whose every source is `gcd_recovered` were not seen in
        // DNS: the archive recovered the key from signatures.
        let sources: Vec<&str> = item
            .get("observations")
            .and_then(serde_json::Value::as_array)
            .map(|o| o.iter().filter_map(|x| x.get("source").and_then(serde_json::Value::as_str)).collect())
            .unwrap_or_default();
        let recovered = !sources.is_empty() && sources.iter().all(|s| *s == "gcd_recovered");
        let [first_seen, last_seen] = seen;
        out.records.push(Imported {
            name: format!("{selector}._domainkey.{domain}"),
            value: value.to_string(),
            file: file.to_string(),
            line,
            first_seen,
            last_seen,
            note: recovered.then(|| super::ARCHIVE_RECOVERED_NOTE.to_string()),
        });
    }
    Ok(out)
}

/// The line each element of the top-level JSON array starts on (the text
/// has already parsed as JSON, so strings and nesting are well formed).
fn element_lines(text: &str, n: usize) -> Vec<u64> {
    let (mut line, mut depth, mut quoted, mut escaped) = (1u64, 0usize, false, false);
    let mut out = Vec::with_capacity(n);
    let mut expect_element = false;
    for c in text.chars() {
        if c == '\n' {
            line += 1;
        }
        if quoted {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => quoted = false,
                _ => {}
            }
            continue;
        }
        if expect_element && !c.is_whitespace() {
            out.push(line);
            expect_element = false;
        }
        match c {
            '"' => quoted = true,
            '[' | '{' => {
                depth += 1;
                // The top-level value's elements: after `[` and after each `,` at depth 1.
                if depth == 1 {
                    if c == '{' {
                        out.push(line);
                    } else {
                        expect_element = true;
                    }
                }
            }
            ']' | '}' => {
                depth = depth.saturating_sub(1);
                expect_element = false;
            }
            ',' if depth == 1 => expect_element = true,
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

    fn names(f: &ImportFile) -> Vec<(u64, String, String)> {
        f.records.iter().map(|r| (r.line, r.name.clone(), r.value.clone())).collect()
    }

    #[test]
    fn zone_records_with_origin_parentheses_comments_and_blank_owners() {
        let text = format!(
            "$ORIGIN example.org.\n$TTL 3600\n@ IN SOA ns hostmaster (\n  1 2 3\n  4 5 )\n\
             s1._domainkey IN TXT ( \"v=DKIM1; k=ed25519; \" ; the type\n   \"{P}\" ) ; a comment\n\
             www IN A 192.0.2.1\n\
             s2._domainkey.example.net. 300 IN TXT \"v=DKIM1; k=ed25519; {P}\"\n\
             \tIN TXT \"v=DKIM1; k=ed25519; p=\"\n"
        );
        let f = parse(&text, "z.zone", &ImportOptions::default()).unwrap();
        assert_eq!(f.refused, []);
        assert_eq!(f.skipped, 2, "SOA and A");
        assert_eq!(
            names(&f),
            [
                (6, "s1._domainkey.example.org".into(), format!("v=DKIM1; k=ed25519; {P}")),
                (9, "s2._domainkey.example.net".into(), format!("v=DKIM1; k=ed25519; {P}")),
                (10, "s2._domainkey.example.net".into(), "v=DKIM1; k=ed25519; p=".into()),
            ]
        );
    }

    #[test]
    fn dig_output_and_archive_lines() {
        let text = format!(
            "; <<>> DiG 9.18 <<>> s._domainkey.example.org TXT\n;; ANSWER SECTION:\n\
             s._domainkey.example.org. 299 IN TXT \"v=DKIM1\\; k=ed25519\\; \" \"{P}\"\n\
             t._domainkey.example.org v=DKIM1; k=ed25519; {P}\n\
             c._domainkey.example.org. 300 IN CNAME c.dkim.provider.example.\n\
             \"v=DKIM1; {P}\"\n"
        );
        let f = parse(&text, "d.txt", &ImportOptions::default()).unwrap();
        assert_eq!(
            names(&f),
            [
                (3, "s._domainkey.example.org".into(), format!("v=DKIM1; k=ed25519; {P}")),
                (4, "t._domainkey.example.org".into(), format!("v=DKIM1; k=ed25519; {P}")),
            ]
        );
        assert_eq!(f.refused.iter().map(|r| r.line).collect::<Vec<_>>(), [5, 6]);
        assert!(f.refused[0].reason.contains("CNAME"), "{:?}", f.refused);
        assert!(f.refused[1].reason.contains("dig +short"), "{:?}", f.refused);
    }

    #[test]
    fn relative_names_need_an_origin_and_include_is_not_followed() {
        let text = "s._domainkey IN TXT \"v=DKIM1; p=\"\n$INCLUDE /etc/passwd\n";
        let f = parse(text, "z", &ImportOptions::default()).unwrap();
        assert_eq!(f.records.len(), 1, "a name without a dot and no origin is taken as it is");
        assert!(f.refused[0].reason.contains("$INCLUDE"), "{:?}", f.refused);
        let f = parse("@ IN TXT \"v=DKIM1; p=\"\n", "z", &ImportOptions::default()).unwrap();
        assert!(f.refused[0].reason.contains("no $ORIGIN"), "{:?}", f.refused);
        let o = ImportOptions { origin: Some("example.org".into()), ..ImportOptions::default() };
        let f = parse(text, "z", &o).unwrap();
        assert_eq!(f.records[0].name, "s._domainkey.example.org");
    }

    #[test]
    fn an_unclosed_parenthesis_is_refused_not_read_to_the_end() {
        let mut text = "s._domainkey.e.org. IN TXT ( \"v=DKIM1; \"\n".to_string();
        text.push_str(&"\"x\"\n".repeat(200));
        let f = parse(&text, "z", &ImportOptions::default()).unwrap();
        assert!(f.records.is_empty());
        assert_eq!(f.refused[0].line, 1);
        assert!(f.refused[0].reason.contains("not closed"), "{:?}", f.refused);
    }

    #[test]
    fn json_answers_with_lines_dates_and_recovered_keys() {
        let text = format!(
            "[\n  {{\"id\": 1, \"domain\": \"example.org\", \"selector\": \"s\", \"value\": \"v=DKIM1; k=ed25519; {P}\",\n   \
             \"firstSeenAt\": \"2016-10-25T00:00:00.000Z\", \"lastSeenAt\": \"2019-01-02T03:04:05+01:00\",\n   \
             \"observations\": [{{\"source\": \"live_dns\"}}]}},\n  \
             {{\"domain\": \"example.org\", \"selector\": \"r\", \"value\": \"v=DKIM1; p=\", \"observations\": [{{\"source\": \"gcd_recovered\"}}]}},\n  \
             {{\"domain\": \"example.org\", \"selector\": 7, \"value\": \"x\"}},\n  \
             {{\"domain\": \"example.org\", \"selector\": \"d\", \"value\": \"x\", \"firstSeenAt\": \"yesterday\"}}\n]"
        );
        let f = parse(&text, "a.json", &ImportOptions::default()).unwrap();
        assert_eq!(f.format, "json");
        assert_eq!(f.records.len(), 2);
        assert_eq!((f.records[0].line, f.records[1].line), (2, 5));
        assert_eq!(f.records[0].first_seen.as_deref(), Some("2016-10-25T00:00:00Z"));
        assert_eq!(f.records[0].last_seen.as_deref(), Some("2019-01-02T02:04:05Z"));
        assert_eq!(f.records[0].note, None);
        assert_eq!(f.records[1].note.as_deref(), Some(crate::keys::ARCHIVE_RECOVERED_NOTE));
        assert_eq!(f.refused.iter().map(|r| r.line).collect::<Vec<_>>(), [6, 7]);
        assert!(f.refused[1].reason.contains("firstSeenAt"), "{:?}", f.refused);
        let e = parse("[{\"domain\": ]", "b.json", &ImportOptions::default()).unwrap_err();
        assert!(e.reason.starts_with("not valid JSON"), "{e:?}");
    }

    #[test]
    fn domains_restrict_what_is_taken() {
        let text = format!(
            "[{{\"domain\": \"attacker.example\", \"selector\": \"s\", \"value\": \"v=DKIM1; {P}\"}},\n\
             {{\"domain\": \"gmail.com\", \"selector\": \"20161025\", \"value\": \"v=DKIM1; {P}\"}}]"
        );
        let o = ImportOptions { domains: vec!["attacker.example".into()], ..ImportOptions::default() };
        let f = parse(&text, "a.json", &o).unwrap();
        assert_eq!(f.records.len(), 1);
        assert_eq!(f.refused[0].line, 2);
        assert!(f.refused[0].reason.contains("20161025._domainkey.gmail.com is not under attacker.example"));
    }
}
