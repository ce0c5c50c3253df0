//! Mail into a case (`leaktrace ingest DIR box.mbox | maildir/ | folder/`)
//! and `leaktrace verify DIR` over a case's mail.

use rayon::prelude::*;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, bail};
use leaktrace_ingest::decompress::peek;
use leaktrace_ingest::mail::{self, RawMessage};
use leaktrace_ingest::open_decompressed;
use leaktrace_store::{Case, NewAttachment, NewMessage, SourceMeta, WriteLock};
use leaktrace_verify::message::{ParsedMail, parse_mail, threads};
use leaktrace_verify::{KeyArchive, Options, Verifier};
use sha2::{Digest, Sha256};

use crate::cmd::verify::{self, Fetcher, Item, Output};
use crate::text::thousands;

/// Is this input mail: an mbox or a message file (also compressed), a
/// maildir, or a folder of message files?
pub fn is_mail(path: &Path) -> bool {
    if path.is_dir() {
        return mail::is_maildir(path) || mail::message_files(path).is_ok_and(|f| !f.is_empty());
    }
    let Ok(file) = File::open(path) else { return false };
    let Ok((_, reader)) = open_decompressed(Box::new(file)) else { return false };
    let Ok((head, _)) = peek(reader, 64 * 1024) else { return false };
    mail::looks_like_mbox(&head) || mail::looks_like_message(&head)
}

/// Add a mailbox (file or folder) to the case: every message and attachment
/// stored content-addressed, messages and threads in the catalog. Messages
/// are read, stored and recorded a batch at a time, so memory stays flat in
/// the size of the mailbox; the catalog gets all of it or none.
pub fn ingest_mail(case: &Case, lock: &WriteLock, path: &Path, quiet: bool) -> Result<()> {
    let display = path.display().to_string();
    // For a folder: the hash of each file, in order, from a first pass that
    // keeps no message; the second pass checks each file against it.
    let mut hashes: Option<Vec<String>> = None;
    let (meta, input) = if path.is_dir() {
        // The folder's "original" is the list of its files and their hashes.
        let mut manifest = String::new();
        let mut shas = Vec::new();
        let container = if mail::is_maildir(path) { "maildir" } else { "eml-folder" };
        verify::for_each_message(path, None, &mut |item| {
            let rel = Path::new(&item.source).strip_prefix(path).map(|p| p.display().to_string());
            let sha = hex::encode(Sha256::digest(&item.raw.bytes));
            manifest.push_str(&format!("{sha}  {}\n", rel.unwrap_or_else(|_| item.source.clone())));
            shas.push(sha);
            Ok(())
        })?;
        hashes = Some(shas);
        let stored = case.store_evidence_bytes(lock, manifest.as_bytes())?;
        if let Some(existing) = case.source_by_sha(&stored.sha256_hex)? {
            println!("{display}: already in the case as source #{} ({}); nothing added", existing.id, existing.path);
            return Ok(());
        }
        let meta = SourceMeta {
            path: display.clone(),
            sha256_hex: stored.sha256_hex,
            size: stored.size,
            kind: "mail".into(),
            format: container.into(),
            compression: "none".into(),
        };
        (meta, path.to_path_buf())
    } else {
        let stored = case.store_evidence(lock, path)?;
        if let Some(existing) = case.source_by_sha(&stored.sha256_hex)? {
            println!(
                "{display}: already in the case as source #{} ({}, sha256 {}); nothing added",
                existing.id,
                existing.path,
                &stored.sha256_hex[..16]
            );
            return Ok(());
        }
        let compression = {
            let f = File::open(&stored.path)?;
            open_decompressed(Box::new(f))?.0.name().to_string()
        };
        let meta = SourceMeta {
            path: display.clone(),
            sha256_hex: stored.sha256_hex,
            size: stored.size,
            kind: "mail".into(),
            // The container is named once the first message is read.
            format: "eml".into(),
            compression,
        };
        // Parse the stored copy, so the bytes parsed are the bytes hashed.
        (meta, stored.path)
    };
    let folder = hashes.is_some();
    let folder_format = meta.format.clone();
    let mut writer = case.begin_mail_source(lock, meta)?;
    let mut ingest =
        MailIngest { case, lock, writer: &mut writer, format: None, attachments: 0, flagged: (Vec::new(), 0) };
    let mut batch: Vec<Item> = Vec::with_capacity(BATCH);
    let (mut n, mut bytes) = (0usize, 0usize);
    verify::for_each_message(&input, None, &mut |mut item| {
        if let Some(shas) = &hashes {
            let sha = hex::encode(Sha256::digest(&item.raw.bytes));
            if shas.get(n) != Some(&sha) {
                bail!(
                    "{}: changed while it was being added (hash differs from the first read); run the ingest again",
                    item.source
                );
            }
        } else {
            item.source.clone_from(&display);
        }
        n += 1;
        bytes += item.raw.bytes.len();
        batch.push(item);
        if batch.len() >= BATCH || bytes >= verify::BATCH_BYTES {
            ingest.batch(&mut batch)?;
            bytes = 0;
        }
        Ok(())
    })?;
    ingest.batch(&mut batch)?;
    if folder && hashes.as_ref().is_some_and(|h| h.len() != n) {
        bail!("{display}: its files changed while it was being added; run the ingest again");
    }
    let (format, attachments, flagged_shown) =
        (ingest.format.take(), ingest.attachments, std::mem::take(&mut ingest.flagged));
    let format = if folder { folder_format } else { format.unwrap_or_else(|| "eml".into()) };
    if !folder {
        writer.set_format(&format)?;
    }
    let messages = writer.messages();
    let flagged_count = flagged_shown.1;
    let id = writer.finish()?;
    println!(
        "{display}: added source #{id} ({format}): {} messages, {} attachments, {} flagged as malformed",
        thousands(messages),
        thousands(attachments as i64),
        thousands(flagged_count as i64)
    );
    if !quiet {
        for (line, flags) in &flagged_shown.0 {
            eprintln!("leaktrace: flagged {display}: line {line}: {flags}");
        }
    }
    Ok(())
}

/// The state of one mailbox being added, a batch at a time.
struct MailIngest<'a> {
    case: &'a Case,
    lock: &'a WriteLock,
    writer: &'a mut leaktrace_store::MailWriter,
    /// The container of the first message.
    format: Option<String>,
    attachments: usize,
    /// The first flagged messages (line, flags) to show, and how many were flagged.
    flagged: (Vec<(u64, String)>, usize),
}

impl MailIngest<'_> {
    /// Parse a batch (on every core), store its messages and attachments with
    /// one sync, and record them; the batch is emptied.
    fn batch(&mut self, batch: &mut Vec<Item>) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        self.format.get_or_insert_with(|| batch[0].container.to_string());
        // The checks that need no key (forensics, attachment fingerprints) are
        // made once here and kept with the message, for its page.
        let keyless = Verifier::new(KeyArchive::empty(), Options { second_opinion: false, attachments: true });
        let (parsed, reports): (Vec<ParsedMail>, Vec<String>) = batch
            .par_iter()
            .map(|i| {
                let report = serde_json::to_string(&keyless.verify(&i.raw.bytes)).expect("a report serialises");
                (parse_mail(&i.raw.bytes), report)
            })
            .unzip();
        let mut blobs: Vec<&[u8]> = Vec::new();
        for (item, p) in batch.iter().zip(&parsed) {
            blobs.push(&item.raw.bytes);
            blobs.extend(p.attachments.iter().map(|a| a.bytes.as_slice()));
        }
        let mut stored = self.case.store_evidence_batch(self.lock, &blobs)?.into_iter();
        for ((item, p), report) in batch.iter().zip(&parsed).zip(reports) {
            let sha = stored.next().expect("one per message").sha256_hex;
            let atts: Vec<String> =
                p.attachments.iter().map(|_| stored.next().expect("one per attachment").sha256_hex).collect();
            let mut m = new_message(item, p, sha, atts);
            m.report = Some(report);
            self.attachments += m.attachments.len();
            if !m.flags.is_empty() {
                if self.flagged.0.len() < 5 {
                    self.flagged.0.push((item.raw.line, m.flags.join("; ")));
                }
                self.flagged.1 += 1;
            }
            self.writer.add(&m)?;
        }
        batch.clear();
        Ok(())
    }
}

/// Messages parsed and stored together (one file-system sync per batch).
const BATCH: usize = 1024;

/// Text of all attachments kept for search, at most this many bytes per message.
const MAX_ATTACHMENT_TEXT: usize = 1 << 20;

/// Append an attachment's name and, when it is text (text/*, .txt, .csv,
/// .md, .json, .xml), its content, for the search index. Other formats
/// (PDF, Office) are not extracted here.
fn add_attachment_text(out: &mut String, name: Option<&str>, content_type: &str, bytes: &[u8]) {
    if out.len() >= MAX_ATTACHMENT_TEXT {
        return;
    }
    if let Some(n) = name {
        out.push_str(n);
        out.push('\n');
    }
    let ext = name.and_then(|n| n.rsplit_once('.')).map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let texty = content_type.to_ascii_lowercase().starts_with("text/")
        || ["txt", "csv", "tsv", "md", "json", "xml", "log"].contains(&ext.as_str());
    if texty {
        let room = MAX_ATTACHMENT_TEXT.saturating_sub(out.len());
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(room)]);
        out.push_str(&text);
        out.push('\n');
    }
}

/// A message as the catalog records it; its bytes and its attachments' are
/// already stored under `sha` and `attachment_shas`.
fn new_message(item: &Item, p: &ParsedMail, sha: String, attachment_shas: Vec<String>) -> NewMessage {
    let raw: &RawMessage = &item.raw;
    let mut flags = raw.problems.clone();
    flags.extend(p.problems.iter().cloned());
    if p.from.is_none() {
        flags.push("no From field".into());
    }
    if p.date.is_none() {
        flags.push("no Date field".into());
    }
    let mut atts = Vec::with_capacity(p.attachments.len());
    let mut attachment_text = String::new();
    for (a, sha) in p.attachments.iter().zip(attachment_shas) {
        add_attachment_text(&mut attachment_text, a.name.as_deref(), &a.content_type, &a.bytes);
        atts.push(NewAttachment {
            sha256: sha,
            name: a.name.clone(),
            content_type: a.content_type.clone(),
            size: a.bytes.len() as u64,
        });
    }
    NewMessage {
        sha256: sha,
        offset: raw.offset as i64,
        line: raw.line as i64,
        message_id: p.message_id.clone(),
        from: p.from.clone(),
        to: p.to.clone(),
        cc: p.cc.clone(),
        subject: p.subject.clone(),
        date: p.date.clone(),
        date_ms: p.date_ms,
        in_reply_to: p.in_reply_to.clone(),
        references: p.references.clone(),
        flags,
        meta: serde_json::json!({
            "container": item.container,
            "index": item.index,
            "envelope": raw.envelope,
            "unquoted": raw.unquoted,
            "first_received_ms": p.first_received_ms,
            "text": &p.text,
            "attachment_text": (!attachment_text.is_empty()).then_some(&attachment_text),
            "file": if item.container == "maildir" || item.container == "eml-folder" { Some(&item.source) } else { None },
        }),
        attachments: atts,
        report: None,
    }
}

/// Recompute the thread of every message in the case (a new mailbox can join
/// threads of earlier ones). Called once after all the mail of an ingest.
pub fn update_threads(case: &Case, lock: &WriteLock) -> Result<()> {
    let rows = case.thread_links()?;
    let input: Vec<_> =
        rows.iter().map(|(_, id, links, subject)| (id.clone(), links.clone(), subject.clone())).collect();
    let ids: Vec<(i64, String)> = rows.iter().map(|r| r.0).zip(threads(&input)).collect();
    case.set_thread_ids(lock, &ids)?;
    Ok(())
}

/// `leaktrace verify CASE`: verify every message of the case, print or sort
/// as for files, and record the verdicts in the catalog.
pub fn verify_case(dir: &Path, keys: KeyArchive, args: &verify::Args) -> Result<()> {
    if args.inputs.len() > 1 {
        bail!("give a case folder alone (verify one case at a time)");
    }
    let case = Case::open(dir)?;
    let (counts, _, _) = case.message_counts()?;
    if counts.iter().map(|c| c.1).sum::<i64>() == 0 {
        bail!("{}: the case has no mail; add some with `leaktrace ingest {} box.mbox`", dir.display(), dir.display());
    }
    let mail_sources: Vec<(i64, String)> =
        case.sources()?.into_iter().filter(|s| s.kind == "mail").map(|s| (s.id, s.path)).collect();
    let opts = Options { second_opinion: args.second_opinion, attachments: true };
    let mut run = CaseVerify {
        case: &case,
        lock: case.lock_for_write(true, |msg| eprintln!("leaktrace: {msg}"))?,
        verifier: Verifier::new(keys, opts),
        out: Output::new(args)?,
        fetcher: Fetcher::new(args.dns_server),
        online: args.online,
        batch: Vec::new(),
        bytes: 0,
        recorded: 0,
    };
    // Messages are read from the catalog one row at a time and verified a
    // batch at a time, and each batch's verdicts are recorded before the next
    // is read: memory is flat in the size of the case.
    for (id, path) in &mail_sources {
        case.each_message_of_source(*id, |r| -> Result<()> {
            let evidence = case.evidence_path(&r.sha256);
            let mut bytes = Vec::new();
            File::open(&evidence)
                .and_then(|mut f| f.read_to_end(&mut bytes))
                .with_context(|| format!("{}: cannot read stored message (item {})", evidence.display(), r.item_id))?;
            let container: &'static str = match r.meta["container"].as_str() {
                Some("mboxo") => "mboxo",
                Some("mboxrd") => "mboxrd",
                Some("mboxcl") => "mboxcl",
                Some("mboxcl2") => "mboxcl2",
                Some("maildir") => "maildir",
                Some("eml-folder") => "eml-folder",
                _ => "eml",
            };
            let raw = RawMessage {
                bytes,
                offset: r.offset.unwrap_or(0) as u64,
                line: r.meta["line"].as_u64().unwrap_or(1),
                envelope: r.meta["envelope"].as_str().map(str::to_string),
                unquoted: 0,
                problems: Vec::new(),
            };
            let source = r.meta["file"].as_str().map_or_else(|| path.clone(), str::to_string);
            run.bytes += raw.bytes.len();
            let item = Item { source, index: r.meta["index"].as_u64().unwrap_or(0), raw, container };
            run.batch.push((item, r.item_id, r.flags));
            if run.batch.len() >= 4096 || run.bytes >= verify::BATCH_BYTES {
                run.flush()?;
            }
            Ok(())
        })?;
    }
    run.flush()?;
    let recorded = run.recorded;
    run.out.finish(&run.verifier)?;
    eprintln!("leaktrace: verdicts of {} messages recorded in the case", thousands(recorded as i64));
    Ok(())
}

/// `leaktrace verify CASE`: the messages read but not yet verified, and
/// where their results go.
struct CaseVerify<'a> {
    case: &'a Case,
    lock: WriteLock,
    verifier: Verifier,
    out: Output,
    fetcher: Fetcher,
    online: bool,
    /// Each message with its item id and the flags ingest gave it.
    batch: Vec<(Item, i64, Vec<String>)>,
    bytes: usize,
    recorded: usize,
}

impl CaseVerify<'_> {
    /// Verify the batch, print its results and record its verdicts.
    fn flush(&mut self) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let (items, rest): (Vec<Item>, Vec<(i64, Vec<String>)>) =
            std::mem::take(&mut self.batch).into_iter().map(|(i, id, f)| (i, (id, f))).unzip();
        self.bytes = 0;
        if self.online {
            self.fetcher.fetch_missing(&mut self.verifier, &items)?;
        }
        let raws: Vec<&[u8]> = items.iter().map(|i| i.raw.bytes.as_slice()).collect();
        let reports = self.verifier.verify_all(&raws);
        let mut verdicts = Vec::with_capacity(items.len());
        for ((item, mut report), (item_id, ingest_flags)) in items.iter().zip(reports).zip(rest) {
            // Problems found at ingest (container, MIME) stay with the message.
            for f in &ingest_flags {
                if !report.malformed.contains(f) {
                    report.malformed.push(f.clone());
                }
            }
            let mut flags = report.malformed.clone();
            for s in &report.signatures {
                if s.reason != "pass" {
                    flags.push(format!("dkim {}/{}: {}", s.domain, s.selector, s.reason));
                }
                flags.extend(s.warnings.iter().map(|w| format!("dkim {}/{}: {w}", s.domain, s.selector)));
            }
            self.out.message(item, &report)?;
            verdicts.push(leaktrace_store::Verdict {
                item_id,
                verdict: report.verdict.as_str().to_string(),
                flags,
                report: Some(serde_json::to_string(&report)?),
            });
        }
        self.case.set_verdicts(&self.lock, &verdicts)?;
        self.recorded += verdicts.len();
        Ok(())
    }
}
