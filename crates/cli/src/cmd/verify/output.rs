//! Where verdicts go: a line per message or one JSON array on stdout, the
//! sorted folders (`--sort-into`), and the summary at the end.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};

use anyhow::Result;
use leaktrace_ingest::mail::MailItem;
use leaktrace_verify::{MessageReport, Verdict, Verifier};

use super::args::Args;
use super::sort::{Row, Sorter};
use crate::text::thousands;

/// Per-message lines printed before only the summary is.
const LINES_SHOWN: usize = 100;

/// Where results go: stdout (text or JSON) and the sort folder.
pub struct Output {
    json: bool,
    quiet: bool,
    stdout: BufWriter<std::io::Stdout>,
    first_json: bool,
    sort: Option<Sorter>,
    counts: BTreeMap<&'static str, u64>,
    reasons: BTreeMap<String, u64>,
    missing_keys: BTreeMap<String, u64>,
    fingerprints: BTreeMap<(String, String), u64>,
    shown: usize,
    total: u64,
}

impl Output {
    pub fn new(args: &Args) -> Result<Output> {
        let sort = match &args.sort_into {
            Some(dir) => Some(Sorter::create(dir)?),
            None => None,
        };
        let mut stdout = BufWriter::new(std::io::stdout());
        if args.json {
            stdout.write_all(b"[")?;
        }
        Ok(Output {
            json: args.json,
            quiet: args.quiet,
            stdout,
            first_json: true,
            sort,
            counts: BTreeMap::new(),
            reasons: BTreeMap::new(),
            missing_keys: BTreeMap::new(),
            fingerprints: BTreeMap::new(),
            shown: 0,
            total: 0,
        })
    }

    pub fn message(&mut self, item: &MailItem, report: &MessageReport) -> Result<()> {
        self.total += 1;
        *self.counts.entry(report.verdict.as_str()).or_default() += 1;
        for s in &report.signatures {
            *self.reasons.entry(s.reason.clone()).or_default() += 1;
            if s.reason == "key_not_found" {
                *self.missing_keys.entry(format!("{}._domainkey.{}", s.selector, s.domain)).or_default() += 1;
            }
        }
        for a in &report.attachments {
            for (k, v) in &a.metadata {
                if matches!(
                    k.as_str(),
                    "creator"
                        | "lastModifiedBy"
                        | "author"
                        | "company"
                        | "application"
                        | "producer"
                        | "xmp:creatorTool"
                        | "wordLanguage"
                        | "appLanguage"
                        | "make"
                        | "model"
                        | "software"
                        | "artist"
                ) {
                    *self.fingerprints.entry((k.clone(), v.clone())).or_default() += 1;
                }
            }
        }
        let sorted_to = match &mut self.sort {
            Some(s) => Some(s.write(item, report)?),
            None => None,
        };
        let row = Row {
            report,
            source: &item.source,
            index: item.index,
            offset: item.raw.offset,
            line: item.raw.line,
            container: item.container,
            envelope: item.raw.envelope.as_deref(),
            sorted_to,
        };
        if let Some(s) = &mut self.sort {
            s.json_row(&row)?;
        }
        if self.json {
            if !self.first_json {
                self.stdout.write_all(b",")?;
            }
            self.first_json = false;
            self.stdout.write_all(b"\n")?;
            serde_json::to_writer(&mut self.stdout, &row)?;
        } else if !self.quiet {
            if self.shown < LINES_SHOWN {
                self.shown += 1;
                writeln!(self.stdout, "{}", text_line(item, report))?;
            } else if self.shown == LINES_SHOWN {
                self.shown += 1;
                writeln!(self.stdout, "… (more messages: see the summary; --json or --sort-into list them all)")?;
            }
        }
        Ok(())
    }

    pub fn finish(mut self, verifier: &Verifier) -> Result<()> {
        if self.json {
            self.stdout.write_all(b"\n]\n")?;
        }
        self.stdout.flush()?;
        if let Some(s) = self.sort.take() {
            s.finish()?;
        }
        let mut summary = Vec::new();
        let n = |k: &str| self.counts.get(k).copied().unwrap_or(0) as i64;
        // `weak` only when there is one, so the usual line stays as scripts know it.
        let weak = match n("weak") {
            0 => String::new(),
            w => format!(", {} weak (SHA-1 only: not proof)", thousands(w)),
        };
        let weak = match n("consistent") {
            0 => weak,
            c => {
                format!("{weak}, {} consistent (only with a key recovered from the evidence: not proof)", thousands(c))
            }
        };
        writeln!(
            summary,
            "{} messages: {} verified{weak}, {} unverified, {} unsigned",
            thousands(self.total as i64),
            thousands(n("verified")),
            thousands(n("unverified")),
            thousands(n("unsigned"))
        )?;
        if !self.reasons.is_empty() {
            let r: Vec<String> = self.reasons.iter().map(|(k, v)| format!("{k} {}", thousands(*v as i64))).collect();
            writeln!(summary, "signatures: {}", r.join(", "))?;
        }
        if !self.missing_keys.is_empty() {
            let mut m: Vec<_> = self.missing_keys.iter().collect();
            m.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            let list: Vec<String> = m.iter().take(10).map(|(k, v)| format!("{k} ({v})")).collect();
            writeln!(
                summary,
                "keys not in the archive ({} of {} names known): {}{}",
                m.len(),
                verifier.keys().len() + m.len(),
                list.join(", "),
                if m.len() > 10 { ", …" } else { "" }
            )?;
        }
        if !self.fingerprints.is_empty() {
            let mut f: Vec<_> = self.fingerprints.iter().collect();
            f.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            let list: Vec<String> = f.iter().take(12).map(|((k, v), c)| format!("{k}={v:?} ×{c}")).collect();
            writeln!(summary, "attachment fingerprints: {}", list.join(", "))?;
        }
        let text = String::from_utf8(summary)?;
        if self.json {
            eprint!("{text}");
        } else {
            print!("{text}");
        }
        Ok(())
    }
}

fn text_line(item: &MailItem, r: &MessageReport) -> String {
    let place = if item.container.starts_with("mbox") {
        format!("{}:{} (#{})", item.source, item.raw.line, item.index)
    } else {
        item.source.clone()
    };
    let sigs: Vec<String> = r
        .signatures
        .iter()
        .map(|s| {
            if s.reason == "pass" {
                format!("d={} s={} pass", s.domain, s.selector)
            } else {
                format!("d={} s={} {}", s.domain, s.selector, s.reason)
            }
        })
        .collect();
    let verdict = match r.verdict {
        Verdict::Verified => "verified  ",
        Verdict::Weak => "weak      ",
        Verdict::Consistent => "consistent",
        Verdict::Unverified => "unverified",
        Verdict::Unsigned => "unsigned  ",
    };
    let subject = r.subject.as_deref().unwrap_or("");
    let subject: String = subject.chars().take(60).collect();
    let mut line = format!("{verdict} {place}  {}  {subject:?}", r.from.as_deref().unwrap_or("(no From)"));
    if !sigs.is_empty() {
        line.push_str("  ");
        line.push_str(&sigs.join("; "));
    }
    if !r.malformed.is_empty() {
        line.push_str(&format!("  [malformed: {}]", r.malformed.join("; ")));
    }
    line
}
