//! `leaktrace verify CASE`: the case's stored messages verified as files
//! are, and each verdict, its flags and its report recorded in the catalog.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, bail};
use leaktrace_ingest::mail::{MailItem, RawMessage, container_name};
use leaktrace_store::{Case, WriteLock};
use leaktrace_verify::KeyArchive;

use super::args::Args;
use super::check::{Batch, Checker};
use crate::text::thousands;

/// Verify every message of the case, print or sort as for files, and record
/// the verdicts in the catalog.
pub fn verify_case(dir: &Path, keys: KeyArchive, args: &Args) -> Result<()> {
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
    let mut run = CaseVerify {
        case: &case,
        lock: case.lock_for_write(true, |msg| eprintln!("leaktrace: {msg}"))?,
        checker: Checker::new(keys, args)?,
        batch: Batch::default(),
        rows: Vec::new(),
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
            let raw = RawMessage {
                bytes,
                offset: r.offset.unwrap_or(0) as u64,
                line: r.meta.line.max(1),
                envelope: r.meta.envelope,
                unquoted: 0,
                problems: Vec::new(),
            };
            let source = r.meta.file.unwrap_or_else(|| path.clone());
            let container = container_name(&r.meta.container);
            let item = MailItem { source, index: r.meta.index, raw, container };
            run.rows.push((r.item_id, r.flags));
            if run.batch.push(item) {
                run.flush()?;
            }
            Ok(())
        })?;
    }
    run.flush()?;
    let recorded = run.recorded;
    run.checker.finish()?;
    eprintln!("leaktrace: verdicts of {} messages recorded in the case", thousands(recorded as i64));
    Ok(())
}

/// The messages read but not yet verified, and where their results go.
struct CaseVerify<'a> {
    case: &'a Case,
    lock: WriteLock,
    checker: Checker,
    batch: Batch,
    /// The item id of each message of the batch, and the flags ingest gave it.
    rows: Vec<(i64, Vec<String>)>,
    recorded: usize,
}

impl CaseVerify<'_> {
    /// Verify the batch, print its results and record its verdicts.
    fn flush(&mut self) -> Result<()> {
        let items = self.batch.take();
        let rows = std::mem::take(&mut self.rows);
        // Problems found at ingest (container, MIME) stay with the message.
        let reports = self.checker.check(&items, |i, report| {
            for f in &rows[i].1 {
                if !report.malformed.contains(f) {
                    report.malformed.push(f.clone());
                }
            }
        })?;
        if reports.is_empty() {
            return Ok(());
        }
        let mut verdicts = Vec::with_capacity(reports.len());
        for (report, (item_id, _)) in reports.into_iter().zip(rows) {
            let mut flags = report.malformed.clone();
            for s in &report.signatures {
                if s.reason != "pass" {
                    flags.push(format!("dkim {}/{}: {}", s.domain, s.selector, s.reason));
                }
                flags.extend(s.warnings.iter().map(|w| format!("dkim {}/{}: {w}", s.domain, s.selector)));
            }
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
