//! The one path from messages to printed, sorted and recorded verdicts:
//! messages are verified a batch at a time, bounded in number and in bytes,
//! for mail files and for a case's stored mail alike.

use anyhow::Result;
use leaktrace_ingest::mail::MailItem;
use leaktrace_verify::{KeyArchive, MessageReport, Options, Verifier};

use super::args::Args;
use super::fetch::Fetcher;
use super::output::Output;

/// Messages verified together on all cores; bounds memory on huge mboxes.
const BATCH: usize = 4096;
/// A batch is verified once its messages reach this many bytes, whatever
/// their number, so memory is bounded by it, not by the mailbox.
pub const BATCH_BYTES: usize = 16 << 20;

/// Messages read and not yet verified, bounded in number and in bytes.
#[derive(Default)]
pub(super) struct Batch {
    items: Vec<MailItem>,
    bytes: usize,
}

impl Batch {
    /// Add a message; true when the batch is full and should be verified.
    pub(super) fn push(&mut self, item: MailItem) -> bool {
        self.bytes += item.raw.bytes.len();
        self.items.push(item);
        self.items.len() >= BATCH || self.bytes >= BATCH_BYTES
    }

    pub(super) fn take(&mut self) -> Vec<MailItem> {
        self.bytes = 0;
        std::mem::take(&mut self.items)
    }
}

/// Verifies messages a batch at a time (fetching missing keys first with
/// `--online`) and writes each result out: the one path from messages to
/// printed, sorted and recorded verdicts, for files and for a case.
pub(super) struct Checker {
    verifier: Verifier,
    out: Output,
    fetcher: Fetcher,
    online: bool,
}

impl Checker {
    pub(super) fn new(keys: KeyArchive, args: &Args) -> Result<Checker> {
        let opts = Options { second_opinion: args.second_opinion, attachments: true };
        Ok(Checker {
            verifier: Verifier::new(keys, opts),
            out: Output::new(args)?,
            fetcher: Fetcher::new(args.dns_server),
            online: args.online,
        })
    }

    /// Verify `items`; `amend` adds to each report what was found before
    /// verification (container and MIME problems); each report is written
    /// out, and all come back in order.
    pub(super) fn check(
        &mut self,
        items: &[MailItem],
        mut amend: impl FnMut(usize, &mut MessageReport),
    ) -> Result<Vec<MessageReport>> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        if self.online {
            self.fetcher.fetch_missing(&mut self.verifier, items)?;
        }
        let raws: Vec<&[u8]> = items.iter().map(|i| i.raw.bytes.as_slice()).collect();
        let mut reports = self.verifier.verify_all(&raws);
        for (i, (item, report)) in items.iter().zip(&mut reports).enumerate() {
            amend(i, report);
            self.out.message(item, report)?;
        }
        Ok(reports)
    }

    /// A batch of messages read from files: the container's problems join
    /// each report's.
    pub(super) fn check_files(&mut self, batch: &mut Batch) -> Result<()> {
        let items = batch.take();
        self.check(&items, |i, r| r.malformed.extend(items[i].raw.problems.iter().cloned()))?;
        Ok(())
    }

    pub(super) fn finish(self) -> Result<()> {
        self.out.finish(&self.verifier)
    }
}
