//! `leaktrace verify FILE|DIR... --keys ARCHIVE [--online [--dns-server ADDR:PORT]] [--json] [--sort-into OUTDIR]`

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use leaktrace_ingest::decompress::peek;
use leaktrace_ingest::mail::{self, MboxReader, MboxVariant, RawMessage};
use leaktrace_ingest::open_decompressed;
use leaktrace_verify::keys::FetchedKeyError;
use leaktrace_verify::{KeyArchive, MessageReport, Options, Verdict, Verifier};
use serde::Serialize;

use crate::text::thousands;

/// Messages verified together on all cores; bounds memory on huge mboxes.
const BATCH: usize = 4096;
/// A batch is verified once its messages reach this many bytes, whatever
/// their number, so memory is bounded by it, not by the mailbox.
pub const BATCH_BYTES: usize = 16 << 20;
/// Per-message lines printed before only the summary is.
const LINES_SHOWN: usize = 100;

/// Check the DKIM and ARC signatures of email offline, against archived keys.
///
/// Reads .eml files, mbox files (mboxo, mboxrd, mboxcl, mboxcl2; .gz and .zst
/// too), maildirs and folders of .eml files, or the mail of a case folder.
/// Each message is one of:
///
///   verified     a DKIM signature checks out in full: signed headers and body
///   weak         a signature checks out, but only with SHA-1 (a=rsa-sha1),
///                which RFC 8301 forbids accepting: SHA-1 collisions can be
///                computed, so it is consistent with authenticity, not proof
///   consistent   a signature checks out, but only with a key recovered from
///                the evidence itself (`leaktrace keys recover`): the messages
///                are consistent with one key, which does not show that the
///                domain ever published it (reason key_recovered)
///   unverified   signed, but no signature checks out (the reason says why)
///   unsigned     no DKIM signature
///
/// Keys come from --keys: a file with one record per line,
/// `selector._domainkey.domain TXT-value` (dig output works too), or a folder
/// of `selector._domainkey.domain.txt` files. Each signature's key_source
/// names the record used: file and line, and for a fetched key the DNS server
/// and date. No DNS query is ever made unless --online is given; then keys
/// missing from the archive are looked up and added to it, each after a line
/// saying which server gave it on which date. They are looked up through the
/// system's resolver, or with --dns-server ADDR:PORT through that DNS server
/// alone (e.g. a newsroom's own resolver). A fetched value is archived only
/// if it is one DKIM key record for the name asked (printable text, a usable
/// key or a revocation); anything else is refused, said, and not used.
///
/// For each signature, the header signature and the body hash are judged
/// apart ("headers authentic, body altered"), with a reason word:
/// pass, body_hash_mismatch, signature_mismatch, key_not_found, key_revoked,
/// key_too_weak (RSA under 1024 bits), sha1_not_accepted, expired (x= before the message's own
/// Date), partial_body (l= leaves unsigned text), duplicate_signed_header (an
/// unsigned copy of a signed field such as From added above it), … Also shown:
/// ARC chains, the Received chain with clock skew, time zones, Message-ID vs
/// From domain, and attachment metadata (Office documents, PDF, photo EXIF).
///
/// The exit status is 0 when every input was read, whatever the verdicts.
///
/// Examples:
///   leaktrace verify leak.mbox --keys keys.txt
///   leaktrace verify maildir/ --keys keys/ --json > report.json
///   leaktrace verify dump.mbox.gz --keys keys.txt --sort-into sorted/
///   leaktrace verify leak.mbox --keys keys.txt --online --dns-server 192.0.2.53:53
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Message files, mbox files, maildirs, folders of .eml, or a case folder.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// The key archive (file or folder). Without it every signature is key_not_found.
    #[arg(long, value_name = "ARCHIVE")]
    pub keys: Option<PathBuf>,
    /// Look up keys missing from the archive in DNS and append them to the archive.
    #[arg(long)]
    pub online: bool,
    /// With --online: ask this DNS server instead of the system's, e.g. a newsroom's own
    /// resolver (IP address and port, such as 192.0.2.53:53 or [2001:db8::53]:53; the
    /// port defaults to 53). UDP, and TCP on the same port for long answers.
    #[arg(long, value_name = "ADDR:PORT", value_parser = parse_dns_server)]
    pub dns_server: Option<SocketAddr>,
    /// Print one JSON array with an object per message (summary on stderr).
    #[arg(long)]
    pub json: bool,
    /// Copy every message into OUTDIR/verified, weak, consistent, unverified or unsigned,
    /// and write OUTDIR/report.csv and OUTDIR/report.json. OUTDIR must be new or empty.
    #[arg(long, value_name = "OUTDIR")]
    pub sort_into: Option<PathBuf>,
    /// How an mbox protected body lines starting "From ": mboxo, mboxrd, mboxcl or
    /// mboxcl2 (default: mboxcl2 when messages carry Content-Length, else mboxrd).
    #[arg(long, value_name = "VARIANT", value_parser = parse_variant)]
    pub mbox_variant: Option<MboxVariant>,
    /// Also ask mail-auth, an independent implementation, about every DKIM signature
    /// (its verdict goes in `mail_auth`; about four times slower).
    #[arg(long)]
    pub second_opinion: bool,
    /// Only the summary, no line per message.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `ADDR:PORT` or a bare IP address (port 53). Not a host name: finding it would take a DNS query.
fn parse_dns_server(s: &str) -> std::result::Result<SocketAddr, String> {
    s.parse::<SocketAddr>().or_else(|_| s.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53))).map_err(|_| {
        format!("{s:?} is not an IP address and port such as 192.0.2.53:53 or [2001:db8::53]:53 (not a host name)")
    })
}

fn parse_variant(s: &str) -> std::result::Result<MboxVariant, String> {
    MboxVariant::from_name(s).ok_or_else(|| {
        format!("unknown mbox variant {s:?}; one of {}", MboxVariant::ALL.map(MboxVariant::name).join(", "))
    })
}

/// One message with where it came from.
pub struct Item {
    pub source: String,
    /// 1-based position in its source.
    pub index: u64,
    pub raw: RawMessage,
    pub container: &'static str,
}

/// A report line of `--json` and report.json.
#[derive(Serialize)]
struct Row<'a> {
    #[serde(flatten)]
    report: &'a MessageReport,
    source: &'a str,
    index: u64,
    offset: u64,
    line: u64,
    container: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    envelope: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sorted_to: Option<String>,
}

pub fn run(args: Args) -> Result<()> {
    if let Some(server) = args.dns_server
        && !args.online
    {
        bail!(
            "--dns-server {server} needs --online: without --online no DNS query is made \
             (add --online to fetch missing keys from that server, or drop --dns-server)"
        );
    }
    let keys = match &args.keys {
        Some(p) if !p.exists() && !args.online => bail!("{}: no such key archive", p.display()),
        Some(p) => KeyArchive::load(p)?,
        None => {
            if args.online {
                bail!("--online needs --keys ARCHIVE: the file fetched keys are written to");
            }
            eprintln!("leaktrace: no --keys given: every signature will be reported key_not_found");
            KeyArchive::empty()
        }
    };
    for p in &args.inputs {
        if !p.exists() {
            bail!("{}: no such file or folder", p.display());
        }
        if p.join("catalog.sqlite").is_file() {
            return crate::cmd::ingest_mail::verify_case(p, keys, &args);
        }
    }
    let opts = Options { second_opinion: args.second_opinion, attachments: true };
    let mut verifier = Verifier::new(keys, opts);
    let mut out = Output::new(&args)?;
    let mut failed = 0;
    let mut batch: Vec<Item> = Vec::with_capacity(BATCH);
    let mut bytes = 0usize;
    let mut fetcher = Fetcher::new(args.dns_server);
    for input in &args.inputs {
        let r = for_each_message(input, args.mbox_variant, &mut |item| {
            bytes += item.raw.bytes.len();
            batch.push(item);
            if batch.len() >= BATCH || bytes >= BATCH_BYTES {
                flush(&mut verifier, &mut batch, &mut out, &mut fetcher, args.online)?;
                bytes = 0;
            }
            Ok(())
        });
        if let Err(e) = r {
            eprintln!("leaktrace: error: {e:#}");
            failed += 1;
        }
    }
    flush(&mut verifier, &mut batch, &mut out, &mut fetcher, args.online)?;
    out.finish(&verifier)?;
    if failed > 0 {
        bail!("{failed} of {} inputs could not be read completely (see above)", args.inputs.len());
    }
    Ok(())
}

/// Verify and write out a batch.
pub fn flush(
    verifier: &mut Verifier,
    batch: &mut Vec<Item>,
    out: &mut Output,
    fetcher: &mut Fetcher,
    online: bool,
) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    if online {
        fetcher.fetch_missing(verifier, batch)?;
    }
    let raws: Vec<&[u8]> = batch.iter().map(|i| i.raw.bytes.as_slice()).collect();
    let reports = verifier.verify_all(&raws);
    for (item, mut report) in batch.drain(..).zip(reports) {
        report.malformed.extend(item.raw.problems.iter().cloned());
        out.message(&item, &report)?;
    }
    Ok(())
}

/// Keys fetched from DNS for `--online`, each name asked once per run.
/// `Default` asks the system's resolver.
#[derive(Default)]
pub struct Fetcher {
    asked: HashSet<String>,
    /// `--dns-server`: the one DNS server to ask instead of the system's resolver.
    server: Option<SocketAddr>,
}

impl Fetcher {
    pub fn new(server: Option<SocketAddr>) -> Fetcher {
        Fetcher { asked: HashSet::new(), server }
    }

    pub fn fetch_missing(&mut self, verifier: &mut Verifier, batch: &[Item]) -> Result<()> {
        let mut names = Vec::new();
        for item in batch {
            for (s, d) in leaktrace_verify::key_names(&item.raw.bytes) {
                let name = format!("{s}._domainkey.{d}").to_ascii_lowercase();
                if verifier.keys().lookup(&s, &d).is_empty() && self.asked.insert(name.clone()) {
                    // s= and d= come from the message: only a well-formed
                    // DNS name is asked for.
                    if leaktrace_verify::keys::is_key_name(&name) {
                        names.push(name);
                    } else {
                        eprintln!("leaktrace: {name:?}: not a DNS name, not looked up");
                    }
                }
            }
        }
        if names.is_empty() {
            return Ok(());
        }
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        let from = match self.server {
            Some(addr) => format!("DNS server {addr}"),
            None => "the system's DNS resolver".to_string(),
        };
        for (name, r) in leaktrace_verify::online::fetch_keys(&names, self.server).map_err(anyhow::Error::msg)? {
            match r {
                Ok(Some(value)) => match verifier.keys_mut().append_fetched(&name, &value, &today, &from) {
                    Ok(()) => eprintln!("leaktrace: fetched {name} from DNS and added it to the archive"),
                    // The message is then judged as if DNS had no key.
                    Err(FetchedKeyError::Refused(why)) => {
                        eprintln!("leaktrace: {name}: the record from {from} was not archived and not used: {why}")
                    }
                    Err(e) => return Err(e).with_context(|| format!("cannot append the key of {name} to the archive")),
                },
                Ok(None) => eprintln!("leaktrace: {name}: no key published in DNS today"),
                Err(e) => eprintln!("leaktrace: {name}: DNS lookup failed: {e}"),
            }
        }
        Ok(())
    }
}

/// Call `f` with every message of `input` (a file or a folder), in order.
pub fn for_each_message(
    input: &Path,
    variant: Option<MboxVariant>,
    f: &mut dyn FnMut(Item) -> Result<()>,
) -> Result<()> {
    let display = input.display().to_string();
    if input.is_dir() {
        let container = if mail::is_maildir(input) { "maildir" } else { "eml-folder" };
        let files = mail::message_files(input).map_err(|(p, e)| anyhow::anyhow!("{}: {e}", p.display()))?;
        if files.is_empty() {
            bail!("{display}: no message files found (expected a maildir or .eml files)");
        }
        for (i, file) in files.iter().enumerate() {
            let raw = read_message_file(file)?;
            f(Item { source: file.display().to_string(), index: i as u64 + 1, raw, container })?;
        }
        return Ok(());
    }
    let file = File::open(input).with_context(|| format!("{display}: cannot open"))?;
    let (_, reader) = open_decompressed(Box::new(file)).with_context(|| display.clone())?;
    let (head, reader) =
        peek(reader, 64 * 1024).map_err(|(e, line)| leaktrace_ingest::csvsrc::read_stopped(&display, line, &e))?;
    if mail::looks_like_mbox(&head) {
        let mbox = MboxReader::new(BufReader::with_capacity(1 << 20, reader), &display, variant)?;
        let container = mbox.variant().name();
        for (i, m) in mbox.enumerate() {
            let raw = m?;
            f(Item { source: display.clone(), index: i as u64 + 1, raw, container })?;
        }
        Ok(())
    } else if mail::looks_like_message(&head) {
        let raw = read_message(reader, &display)?;
        f(Item { source: display, index: 1, raw, container: "eml" })
    } else {
        bail!("{display}: neither a message nor an mbox: it starts {}", leaktrace_ingest::first_line_excerpt(&head))
    }
}

fn read_message_file(path: &Path) -> Result<RawMessage> {
    let file = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let (_, reader) = open_decompressed(Box::new(file)).with_context(|| path.display().to_string())?;
    read_message(reader, &path.display().to_string())
}

/// One message file's bytes, at most `mail::MAX_MESSAGE` of them: the rest of
/// a larger one (a decompression bomb, say) is read, not kept, and flagged.
fn read_message(reader: Box<dyn Read>, display: &str) -> Result<RawMessage> {
    let mut bytes = Vec::new();
    let mut reader = BufReader::new(reader);
    (&mut reader).take(mail::MAX_MESSAGE as u64).read_to_end(&mut bytes).with_context(|| display.to_string())?;
    let mut problems = Vec::new();
    let rest = std::io::copy(&mut reader, &mut std::io::sink()).with_context(|| display.to_string())?;
    if rest > 0 {
        problems.push(format!("larger than {} MiB; the rest was not kept", mail::MAX_MESSAGE >> 20));
    }
    Ok(RawMessage { bytes, offset: 0, line: 1, envelope: None, unquoted: 0, problems })
}

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

struct Sorter {
    dir: PathBuf,
    csv: csv_writer::Csv,
    json: BufWriter<File>,
    first: bool,
    names: HashSet<String>,
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

    pub fn message(&mut self, item: &Item, report: &MessageReport) -> Result<()> {
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

fn text_line(item: &Item, r: &MessageReport) -> String {
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

impl Sorter {
    fn create(dir: &Path) -> Result<Sorter> {
        if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
            bail!("{}: exists and is not empty; --sort-into needs a new or empty folder", dir.display());
        }
        for sub in ["verified", "weak", "consistent", "unverified", "unsigned"] {
            std::fs::create_dir_all(dir.join(sub)).with_context(|| format!("{}: cannot create", dir.display()))?;
        }
        let csv = csv_writer::Csv::create(&dir.join("report.csv"))?;
        let mut json = BufWriter::new(File::create(dir.join("report.json"))?);
        json.write_all(b"[")?;
        Ok(Sorter { dir: dir.to_path_buf(), csv, json, first: true, names: HashSet::new() })
    }

    /// Copy the message; returns its path relative to the folder.
    fn write(&mut self, item: &Item, r: &MessageReport) -> Result<String> {
        let base = Path::new(&item.source).file_name().and_then(|n| n.to_str()).unwrap_or("message").to_string();
        let first = if item.container.starts_with("mbox") {
            let stem = base.trim_end_matches(".gz").trim_end_matches(".zst");
            format!("{stem}-{:06}.eml", item.index)
        } else {
            base
        };
        // Same file name from two folders: number the later ones.
        let mut name = first.clone();
        let mut k = 2;
        while !self.names.insert(name.clone()) {
            name = format!("{k}-{first}");
            k += 1;
        }
        let rel = format!("{}/{name}", r.verdict.as_str());
        let path = self.dir.join(&rel);
        std::fs::write(&path, &item.raw.bytes).with_context(|| format!("{}: cannot write", path.display()))?;
        self.csv.row(&rel, item, r)?;
        Ok(rel)
    }

    fn json_row(&mut self, row: &Row<'_>) -> Result<()> {
        if !self.first {
            self.json.write_all(b",")?;
        }
        self.first = false;
        self.json.write_all(b"\n")?;
        serde_json::to_writer(&mut self.json, row)?;
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        self.json.write_all(b"\n]\n")?;
        self.json.flush()?;
        self.csv.finish()
    }
}

/// report.csv: one flat row per message.
mod csv_writer {
    use super::*;

    pub struct Csv {
        out: csv::Writer<File>,
    }

    impl Csv {
        pub fn create(path: &Path) -> Result<Csv> {
            let mut out = csv::Writer::from_path(path).with_context(|| format!("{}: cannot create", path.display()))?;
            out.write_record([
                "file",
                "verdict",
                "source",
                "index",
                "offset",
                "line",
                "message_id",
                "from",
                "to",
                "subject",
                "date",
                "signatures",
                "reasons",
                "malformed",
                "attachments",
            ])?;
            Ok(Csv { out })
        }

        pub fn row(&mut self, file: &str, item: &Item, r: &MessageReport) -> Result<()> {
            let sigs: Vec<String> = r
                .signatures
                .iter()
                .map(|s| format!("{}/{}/{}", s.domain, s.selector, if s.reason == "pass" { "pass" } else { "fail" }))
                .collect();
            let reasons: Vec<&str> = r.signatures.iter().map(|s| s.reason.as_str()).collect();
            let atts: Vec<String> =
                r.attachments.iter().map(|a| a.name.clone().unwrap_or_else(|| a.content_type.clone())).collect();
            self.out.write_record([
                file,
                r.verdict.as_str(),
                &item.source,
                &item.index.to_string(),
                &item.raw.offset.to_string(),
                &item.raw.line.to_string(),
                r.message_id.as_deref().unwrap_or(""),
                r.from.as_deref().unwrap_or(""),
                r.to.as_deref().unwrap_or(""),
                r.subject.as_deref().unwrap_or(""),
                r.date.as_deref().unwrap_or(""),
                &sigs.join(" "),
                &reasons.join(" "),
                &r.malformed.join("; "),
                &atts.join("; "),
            ])?;
            Ok(())
        }

        pub fn finish(mut self) -> Result<()> {
            self.out.flush()?;
            Ok(())
        }
    }
}
