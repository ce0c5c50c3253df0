//! Mail into a case (`leaktrace ingest DIR box.mbox | maildir/ | folder/`)
//! and `leaktrace verify DIR` over a case's mail.

use rayon::prelude::*;
use std::collections::HashMap;
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
/// stored content-addressed, messages and threads in the catalog.
pub fn ingest_mail(case: &Case, lock: &WriteLock, path: &Path, quiet: bool) -> Result<()> {
    let display = path.display().to_string();
    let (meta, mut items) = if path.is_dir() {
        // The folder's "original" is the list of its files and their hashes.
        let mut manifest = String::new();
        let mut items = Vec::new();
        let container = if mail::is_maildir(path) { "maildir" } else { "eml-folder" };
        verify::for_each_message(path, None, &mut |item| {
            let rel = Path::new(&item.source).strip_prefix(path).map(|p| p.display().to_string());
            // Stored below with the attachments, in batches; hashed here for the manifest.
            let sha = hex::encode(Sha256::digest(&item.raw.bytes));
            manifest.push_str(&format!("{sha}  {}\n", rel.unwrap_or_else(|_| item.source.clone())));
            items.push(item);
            Ok(())
        })?;
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
        (meta, items)
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
        // Parse the stored copy, so the bytes parsed are the bytes hashed.
        let mut items = Vec::new();
        verify::for_each_message(&stored.path, None, &mut |mut item| {
            item.source.clone_from(&display);
            items.push(item);
            Ok(())
        })?;
        let compression = {
            let f = File::open(&stored.path)?;
            open_decompressed(Box::new(f))?.0.name().to_string()
        };
        let meta = SourceMeta {
            path: display.clone(),
            sha256_hex: stored.sha256_hex,
            size: stored.size,
            kind: "mail".into(),
            format: items.first().map_or("eml", |i| i.container).into(),
            compression,
        };
        (meta, items)
    };
    let format = meta.format.clone();
    let mut messages = Vec::with_capacity(items.len());
    let mut attachments = 0;
    for chunk in items.chunks_mut(BATCH) {
        // Parse a batch (on every core), store its messages and attachments
        // with one sync, then describe them for the catalog.
        // The checks that need no key (forensics, attachment fingerprints) are
        // made once here and kept with the message, for its page.
        let keyless = Verifier::new(KeyArchive::empty(), Options { second_opinion: false, attachments: true });
        let (parsed, reports): (Vec<ParsedMail>, Vec<String>) = chunk
            .par_iter()
            .map(|i| {
                let report = serde_json::to_string(&keyless.verify(&i.raw.bytes)).expect("a report serialises");
                (parse_mail(&i.raw.bytes), report)
            })
            .unzip();
        let mut reports = reports.into_iter();
        let mut blobs: Vec<&[u8]> = Vec::new();
        for (item, p) in chunk.iter().zip(&parsed) {
            blobs.push(&item.raw.bytes);
            blobs.extend(p.attachments.iter().map(|a| a.bytes.as_slice()));
        }
        let mut stored = case.store_evidence_batch(lock, &blobs)?.into_iter();
        for (item, p) in chunk.iter().zip(&parsed) {
            let sha = stored.next().expect("one per message").sha256_hex;
            let atts: Vec<String> =
                p.attachments.iter().map(|_| stored.next().expect("one per attachment").sha256_hex).collect();
            let mut m = new_message(item, p, sha, atts);
            m.report = reports.next();
            attachments += m.attachments.len();
            messages.push(m);
        }
        drop(parsed);
        // The stored copy is the evidence now; only each message's line is needed below.
        for item in chunk.iter_mut() {
            item.raw.bytes = Vec::new();
        }
    }
    let flagged = messages.iter().filter(|m| !m.flags.is_empty()).count();
    let id = case.add_mail_source(lock, meta, &messages)?;
    println!(
        "{display}: added source #{id} ({format}): {} messages, {} attachments, {} flagged as malformed",
        thousands(messages.len() as i64),
        thousands(attachments as i64),
        thousands(flagged as i64)
    );
    if !quiet {
        for (item, m) in items.iter().zip(&messages).filter(|(_, m)| !m.flags.is_empty()).take(5) {
            eprintln!("leaktrace: flagged {display}: line {}: {}", item.raw.line, m.flags.join("; "));
        }
    }
    Ok(())
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
    let rows = case.messages()?;
    if rows.is_empty() {
        bail!("{}: the case has no mail; add some with `leaktrace ingest {} box.mbox`", dir.display(), dir.display());
    }
    let sources: HashMap<i64, String> = case.sources()?.into_iter().map(|s| (s.id, s.path)).collect();
    let opts = Options { second_opinion: args.second_opinion, attachments: true };
    let mut verifier = Verifier::new(keys, opts);
    let mut out = Output::new(args)?;
    let mut fetcher = Fetcher::new(args.dns_server);
    let mut verdicts = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(4096) {
        let mut batch = Vec::with_capacity(chunk.len());
        for r in chunk {
            let path = case.evidence_path(&r.sha256);
            let mut bytes = Vec::new();
            File::open(&path)
                .and_then(|mut f| f.read_to_end(&mut bytes))
                .with_context(|| format!("{}: cannot read stored message (item {})", path.display(), r.item_id))?;
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
            let source = r.meta["file"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| sources.get(&r.source_id).cloned().unwrap_or_default());
            batch.push(Item { source, index: r.meta["index"].as_u64().unwrap_or(0), raw, container });
        }
        if args.online {
            fetcher.fetch_missing(&mut verifier, &batch)?;
        }
        let raws: Vec<&[u8]> = batch.iter().map(|i| i.raw.bytes.as_slice()).collect();
        let reports = verifier.verify_all(&raws);
        for ((item, mut report), r) in batch.iter().zip(reports).zip(chunk) {
            // Problems found at ingest (container, MIME) stay with the message.
            for f in &r.flags {
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
            out.message(item, &report)?;
            verdicts.push(leaktrace_store::Verdict {
                item_id: r.item_id,
                verdict: report.verdict.as_str().to_string(),
                flags,
                report: Some(serde_json::to_string(&report)?),
            });
        }
    }
    out.finish(&verifier)?;
    let lock = case.lock_for_write(true, |msg| eprintln!("leaktrace: {msg}"))?;
    case.set_verdicts(&lock, &verdicts)?;
    eprintln!("leaktrace: verdicts of {} messages recorded in the case", thousands(verdicts.len() as i64));
    Ok(())
}
