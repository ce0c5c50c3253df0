//! The flags of `leaktrace verify`, and their documentation (its `--help`).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use leaktrace_ingest::mail::MboxVariant;

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
/// and date. After the --keys archive, leaktrace's bundled archive is
/// consulted: historical keys of large providers (Gmail's 20120113 and
/// 20161025, Yahoo, Google, Comcast, …), each copied from a public source;
/// a verdict that used one says "bundled archive (source: …)" in key_source
/// (`leaktrace keys list --bundled` shows them all; --no-bundled-keys leaves
/// them out). No DNS query is ever made unless --online is given; then keys
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
    /// The key archive (file or folder). Without it only the bundled archive is consulted.
    #[arg(long, value_name = "ARCHIVE")]
    pub keys: Option<PathBuf>,
    /// Do not consult the bundled archive of historical provider keys (only --keys).
    #[arg(long)]
    pub no_bundled_keys: bool,
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
