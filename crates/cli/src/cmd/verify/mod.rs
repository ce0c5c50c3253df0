//! `leaktrace verify FILE|DIR... --keys ARCHIVE [--online [--dns-server ADDR:PORT]] [--json] [--sort-into OUTDIR]`
//!
//! The arguments and the run over mail files are here; the same batches of a
//! case's stored mail are in `case.rs`, the printed and sorted results in
//! `output.rs` and `sort.rs`, the `--online` key fetching in `fetch.rs`.

mod case;
mod fetch;
mod output;
mod sort;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::{Result, bail};
use leaktrace_ingest::mail::{MailItem, MboxVariant, for_each_message};
use leaktrace_verify::{KeyArchive, MessageReport, Options, Verifier};

pub use case::verify_case;
use fetch::Fetcher;
use output::Output;

/// Messages verified together on all cores; bounds memory on huge mboxes.
const BATCH: usize = 4096;
/// A batch is verified once its messages reach this many bytes, whatever
/// their number, so memory is bounded by it, not by the mailbox.
pub const BATCH_BYTES: usize = 16 << 20;

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
            return verify_case(p, keys, &args);
        }
    }
    let mut checker = Checker::new(keys, &args)?;
    let mut failed = 0;
    let mut batch = Batch::default();
    for input in &args.inputs {
        let r = for_each_message(input, args.mbox_variant, &mut |item| -> Result<()> {
            if batch.push(item) {
                checker.check_files(&mut batch)?;
            }
            Ok(())
        });
        if let Err(e) = r {
            eprintln!("leaktrace: error: {e:#}");
            failed += 1;
        }
    }
    checker.check_files(&mut batch)?;
    checker.finish()?;
    if failed > 0 {
        bail!("{failed} of {} inputs could not be read completely (see above)", args.inputs.len());
    }
    Ok(())
}

/// Messages read and not yet verified, bounded in number and in bytes.
#[derive(Default)]
struct Batch {
    items: Vec<MailItem>,
    bytes: usize,
}

impl Batch {
    /// Add a message; true when the batch is full and should be verified.
    fn push(&mut self, item: MailItem) -> bool {
        self.bytes += item.raw.bytes.len();
        self.items.push(item);
        self.items.len() >= BATCH || self.bytes >= BATCH_BYTES
    }

    fn take(&mut self) -> Vec<MailItem> {
        self.bytes = 0;
        std::mem::take(&mut self.items)
    }
}

/// Verifies messages a batch at a time (fetching missing keys first with
/// `--online`) and writes each result out: the one path from messages to
/// printed, sorted and recorded verdicts, for files and for a case.
struct Checker {
    verifier: Verifier,
    out: Output,
    fetcher: Fetcher,
    online: bool,
}

impl Checker {
    fn new(keys: KeyArchive, args: &Args) -> Result<Checker> {
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
    fn check(
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
    fn check_files(&mut self, batch: &mut Batch) -> Result<()> {
        let items = batch.take();
        self.check(&items, |i, r| r.malformed.extend(items[i].raw.problems.iter().cloned()))?;
        Ok(())
    }

    fn finish(self) -> Result<()> {
        self.out.finish(&self.verifier)
    }
}
