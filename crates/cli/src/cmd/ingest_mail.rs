//! Mail into a case (`leaktrace ingest DIR box.mbox | maildir/ | folder/`):
//! every message and attachment stored, the catalog's mail tables filled.

use rayon::prelude::*;
use std::fs::File;
use std::path::Path;

use anyhow::{Result, bail};
use leaktrace_ingest::mail::{self, MailItem, RawMessage, for_each_message};
use leaktrace_ingest::open_decompressed;
use leaktrace_model::EmailMeta;
use leaktrace_store::{Case, NewAttachment, NewMessage, SourceMeta, WriteLock};
use leaktrace_verify::message::{ParsedMail, parse_mail, threads};
use leaktrace_verify::{KeyArchive, Options, Verifier};
use sha2::{Digest, Sha256};

use crate::cmd::verify::BATCH_BYTES;
use crate::text::thousands;

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
        for_each_message(path, None, &mut |item| -> Result<()> {
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
    let mut batch: Vec<MailItem> = Vec::with_capacity(BATCH);
    let (mut n, mut bytes) = (0usize, 0usize);
    for_each_message(&input, None, &mut |mut item| -> Result<()> {
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
        if batch.len() >= BATCH || bytes >= BATCH_BYTES {
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
    fn batch(&mut self, batch: &mut Vec<MailItem>) -> Result<()> {
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
fn new_message(item: &MailItem, p: &ParsedMail, sha: String, attachment_shas: Vec<String>) -> NewMessage {
    let raw: &RawMessage = &item.raw;
    let mut flags = raw.problems.clone();
    flags.extend(p.problems.iter().cloned());
    if p.headers.from.is_none() {
        flags.push("no From field".into());
    }
    if p.headers.date.is_none() {
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
    let folder = item.container == "maildir" || item.container == "eml-folder";
    NewMessage {
        sha256: sha,
        offset: raw.offset as i64,
        headers: p.headers.clone(),
        flags,
        meta: EmailMeta {
            attachment_text: (!attachment_text.is_empty()).then_some(attachment_text),
            attachments: atts.len(),
            container: item.container.to_string(),
            envelope: raw.envelope.clone(),
            file: folder.then(|| item.source.clone()),
            first_received_ms: p.first_received_ms,
            index: item.index,
            line: raw.line,
            text: p.text.clone(),
            unquoted: raw.unquoted,
        },
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
