//! `leaktrace keys recover FILE|DIR|CASE... [--out FILE] [--keys ARCHIVE]`, `leaktrace keys import FILE... --out ARCHIVE`
//! and `leaktrace keys list ARCHIVE|--bundled`

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use leaktrace_store::Case;
use leaktrace_verify::keys::import::{self, ImportOptions, MAX_IMPORT_BYTES, MAX_IMPORT_RECORDS};
use leaktrace_verify::keys::{ImportResult, KeyState, PublicKey, bundled};
use leaktrace_verify::recover::{self, Group, Outcome, Stage};
use leaktrace_verify::{KeyArchive, MIN_RSA_BITS};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use leaktrace_verify::recover::RECOVERED_MEANING;

#[derive(Subcommand)]
pub enum KeysCommand {
    Recover(RecoverArgs),
    Import(ImportArgs),
    List(ListArgs),
}

/// Recover RSA DKIM keys from the signatures in the leak itself, offline.
///
/// Keys rotate and old ones vanish from DNS, so a leak's signatures often
/// cannot be checked against a published key. But two different messages
/// signed with the same RSA key (same d= and s=) give it away: with
/// signatures s1, s2 and the PKCS#1 encodings m1, m2 of their signed-header
/// hashes, the key's modulus n divides gcd(s1^65537 - m1, s2^65537 - m2).
/// For every domain and selector with two or more RSA signatures this
/// computes that gcd, divides out small factors, and keeps n only if it has
/// the signatures' size and every signature it is credited with verifies
/// under it. A mix of keys under one selector is split into its keys.
///
/// WHAT THIS PROVES. A recovered key shows that the signatures are consistent
/// with one key. It does not show that the key belonged to the domain:
/// whoever assembled the messages could have signed them all with their own
/// key under d=gmail.com and "recovered" it here. So `leaktrace verify --keys
/// RECOVERED` gives such messages the verdict `consistent`, never `verified`.
/// Only when the same key is also in an independent archive (--keys here, or
/// the archive given to verify) is it corroborated, and the report names
/// that record.
///
/// Each key is written as an archive line `selector._domainkey.domain
/// v=DKIM1; k=rsa; n=leaktrace-recovered; p=...`, after comment lines with its
/// provenance: the date, the size, how many signatures verify, the SHA-256 of
/// each message it was recovered from. Ed25519 keys cannot be recovered;
/// neither can a selector with one signature.
///
/// Cost: a 2048-bit key means numbers of 134 million bits; one pair takes
/// about half a minute of one core and 700 MB of memory. Selectors are
/// worked on in parallel.
///
/// Examples:
///   leaktrace keys recover leak.mbox --out recovered-keys.txt
///   leaktrace keys recover case/ --keys archive.txt --out recovered-keys.txt
///   leaktrace verify leak.mbox --keys recovered-keys.txt
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct RecoverArgs {
    /// Message files, mbox files, maildirs, folders of .eml, or a case folder.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Write the recovered keys to this new archive file (default: print them).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// An independent key archive: a recovered key with the same modulus there is corroborated.
    /// The bundled archive is consulted too, after it.
    #[arg(long, value_name = "ARCHIVE")]
    pub keys: Option<PathBuf>,
    /// Do not consult the bundled archive of historical provider keys.
    #[arg(long)]
    pub no_bundled_keys: bool,
    /// No progress bars.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Add key records from files, offline, to a key archive, with where they came from.
///
/// Reads the forms keys are handed over in, mixed freely:
///   dig output        the whole answer of `dig TXT s._domainkey.example.org`
///                     (`dig +short` output names no record and is refused)
///   zone-file lines   `s._domainkey IN TXT ( "v=DKIM1; k=rsa; " "p=…" )`, with
///                     $ORIGIN (or --origin) for relative names; $INCLUDE is
///                     not followed
///   archive lines     `selector._domainkey.domain TXT-value`, as leaktrace writes
///   JSON              an answer of the public DKIM archive's HTTP API saved to a
///                     file: [{"domain", "selector", "value", "firstSeenAt",
///                     "lastSeenAt", …}]
///
/// Every record is checked as a key fetched from DNS is: the name must be a
/// DNS name under _domainkey, and the value one DKIM key record for it
/// (printable text, no line break, a usable key or a revocation), nothing
/// else. A record that fails is listed with FILE:LINE and why, and not
/// written. The others are added to ARCHIVE (created if missing) in one
/// atomic rewrite, each after a comment line: imported from FILE:LINE on
/// DATE, and when the source says so, first and last seen. A record that the
/// public archive marks as recovered from signatures (gcd_recovered) is
/// written with that said, and is read back as a recovered key: it does not
/// corroborate a key recovered here. A record already in ARCHIVE is not
/// written twice. Nothing is looked up on the network.
///
/// Bounds: files of at most 16 MiB, at most 100,000 records per import.
///
/// Examples:
///   dig TXT 20161025._domainkey.gmail.com > gmail.dig
///   leaktrace keys import gmail.dig --out keys.txt
///   leaktrace keys import gmail-com.json --domain gmail.com --out keys.txt
///   leaktrace keys import default.txt --origin example.org --out keys.txt
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct ImportArgs {
    /// Files of key records: dig output, zone-file lines, archive lines or JSON answers.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The key archive to add them to (a file, or a folder: its fetched-keys.txt).
    #[arg(long, value_name = "ARCHIVE")]
    pub out: PathBuf,
    /// The domain of relative names in zone files that have no $ORIGIN.
    #[arg(long, value_name = "DOMAIN")]
    pub origin: Option<String>,
    /// Take only records of this domain and its subdomains (e.g. the domain a JSON answer
    /// was asked for); others are refused. May be given more than once.
    #[arg(long, value_name = "DOMAIN")]
    pub domain: Vec<String>,
}

/// Show what a key archive holds, by domain and selector, with provenance.
///
/// For each record: key type and size, revoked or unusable (and why), where it
/// was read (file:line), and whether it was recovered from evidence.
/// --bundled shows the archive compiled into leaktrace, with the public
/// source of each key.
///
/// Examples:
///   leaktrace keys list keys.txt
///   leaktrace keys list --bundled
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct ListArgs {
    /// The key archive (file or folder).
    #[arg(required_unless_present = "bundled", conflicts_with = "bundled")]
    pub archive: Option<PathBuf>,
    /// Show the bundled archive instead.
    #[arg(long)]
    pub bundled: bool,
}

pub fn run(cmd: KeysCommand) -> Result<()> {
    match cmd {
        KeysCommand::Recover(a) => run_recover(a),
        KeysCommand::Import(a) => run_import(a),
        KeysCommand::List(a) => run_list(a),
    }
}

/// Where a message came from, for provenance lines.
struct MessageInfo {
    sha256: String,
    source: String,
}

fn run_recover(args: RecoverArgs) -> Result<()> {
    if let Some(out) = &args.out
        && out.exists()
    {
        bail!("{}: already exists; recovered keys are written to a new file", out.display());
    }
    let mut independent = match &args.keys {
        Some(p) if !p.exists() => bail!("{}: no such key archive", p.display()),
        Some(p) => KeyArchive::load(p)?,
        None => KeyArchive::empty(),
    };
    if !args.no_bundled_keys {
        independent.extend_after(&bundled::archive());
    }
    let mut messages: Vec<MessageInfo> = Vec::new();
    let mut sigs = Vec::new();
    let mut take = |bytes: &[u8], source: String| {
        let n = messages.len();
        sigs.extend(recover::signatures(bytes, n));
        messages.push(MessageInfo { sha256: hex::encode(Sha256::digest(bytes)), source });
    };
    for input in &args.inputs {
        if !input.exists() {
            bail!("{}: no such file or folder", input.display());
        }
        if input.join("catalog.sqlite").is_file() {
            let case = Case::open(input)?;
            let sources: Vec<(i64, String)> =
                case.sources()?.into_iter().filter(|s| s.kind == "mail").map(|s| (s.id, s.path)).collect();
            for (id, path) in &sources {
                case.each_message_of_source(*id, |r| -> Result<()> {
                    let evidence = case.evidence_path(&r.sha256);
                    let mut bytes = Vec::new();
                    File::open(&evidence)
                        .and_then(|mut f| f.read_to_end(&mut bytes))
                        .with_context(|| format!("{}: cannot read stored message", evidence.display()))?;
                    take(&bytes, format!("{path} (case item {})", r.item_id));
                    Ok(())
                })?;
            }
        } else {
            leaktrace_ingest::mail::for_each_message(input, None, &mut |item| -> Result<()> {
                take(&item.raw.bytes, format!("{}:{}", item.source, item.index));
                Ok(())
            })?;
        }
    }
    let groups = recover::group(sigs);
    eprintln!(
        "leaktrace: {} messages, {} DKIM signatures under {} selectors",
        messages.len(),
        groups.iter().map(|g| g.signatures.len()).sum::<usize>(),
        groups.len()
    );
    let multi =
        if args.quiet { MultiProgress::with_draw_target(ProgressDrawTarget::hidden()) } else { MultiProgress::new() };
    let style = ProgressStyle::with_template("{spinner} {prefix}: {msg} ({elapsed})").expect("valid template");
    let outcomes: Vec<Outcome> = groups
        .par_iter()
        .map(|g| {
            let bar = multi.add(ProgressBar::new_spinner());
            bar.set_style(style.clone());
            bar.set_prefix(g.name());
            bar.enable_steady_tick(Duration::from_millis(200));
            let rsa = g.signatures.len();
            let mut on = |s: Stage| {
                bar.set_message(match s {
                    Stage::Power(i) => format!("s^65537 for signature {i} ({rsa} in the group)"),
                    Stage::Gcd(i) => format!("gcd of pair {i}"),
                    Stage::Check => "checking every signature against the candidate".into(),
                })
            };
            let o = recover::recover(g, &mut on);
            bar.finish_and_clear();
            o
        })
        .collect();

    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut text = String::new();
    let mut recovered = 0usize;
    for (g, o) in groups.iter().zip(&outcomes) {
        let distinct_messages: std::collections::BTreeSet<usize> = g.signatures.iter().map(|s| s.message).collect();
        eprintln!("{}: {} signature(s) in {} message(s)", g.name(), g.signatures.len(), distinct_messages.len());
        for k in &o.keys {
            recovered += 1;
            let corroborated = corroborating(&independent, g, &k.modulus);
            let weak = if k.bits < MIN_RSA_BITS {
                format!(" (under {MIN_RSA_BITS} bits: too weak to prove anything)")
            } else {
                String::new()
            };
            eprintln!(
                "  recovered a {}-bit RSA key{weak}: {} of {} signatures verify with it; {}",
                k.bits,
                k.verifies.len(),
                g.signatures.len(),
                match &corroborated {
                    Some(o) => format!("corroborated: the same key is in {o}"),
                    None => "NOT corroborated: found in no independent source".into(),
                }
            );
            text.push_str(&provenance(g, k, &messages, &now, corroborated.as_deref()));
        }
        for n in &o.notes {
            eprintln!("  {n}");
        }
    }
    match &args.out {
        Some(path) => {
            let mut f = File::create_new(path).with_context(|| format!("{}: cannot create", path.display()))?;
            f.write_all(text.as_bytes()).with_context(|| format!("{}: cannot write", path.display()))?;
            eprintln!("leaktrace: {recovered} key(s) written to {}", path.display());
            if recovered > 0 {
                eprintln!("next: leaktrace verify {} --keys {}", args.inputs[0].display(), path.display());
            }
        }
        None => print!("{text}"),
    }
    if recovered > 0 {
        eprintln!("note: {RECOVERED_MEANING}");
    }
    Ok(())
}

/// The origin of an independent record of the group's name with this modulus.
fn corroborating(archive: &KeyArchive, g: &Group, modulus: &[u8]) -> Option<String> {
    archive
        .lookup(&g.selector, &g.domain)
        .iter()
        .find(|r| !r.recovered && r.rsa_modulus().is_some_and(|m| m == modulus))
        .map(|r| r.origin.clone())
}

/// Comment lines and the record line for one recovered key.
fn provenance(
    g: &Group,
    k: &recover::Recovered,
    messages: &[MessageInfo],
    now: &str,
    corroborated: Option<&str>,
) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "# Recovered by leaktrace {} on {now} from the signatures of the evidence: {}-bit RSA, e=65537.\n",
        env!("CARGO_PKG_VERSION"),
        k.bits
    ));
    match corroborated {
        Some(o) => s.push_str(&format!("# Corroborated: the same key is in an independent archive ({o}).\n")),
        None => s.push_str(
            "# NOT CORROBORATED: these signatures are consistent with this key; that does not show the domain published it.\n",
        ),
    }
    s.push_str(&format!(
        "# {} of the {} signatures of this selector verify with it. Messages (SHA-256, where read):\n",
        k.verifies.len(),
        g.signatures.len()
    ));
    let mut seen: BTreeMap<usize, ()> = BTreeMap::new();
    for &i in &k.verifies {
        let m = g.signatures[i].message;
        if seen.insert(m, ()).is_none() {
            let info = &messages[m];
            s.push_str(&format!("#   {} {}\n", info.sha256, info.source.replace(['\n', '\r'], " ")));
        }
    }
    s.push_str(&format!("{} {}\n\n", g.name(), k.record_value));
    s
}

fn run_import(args: ImportArgs) -> Result<()> {
    let opts = ImportOptions { origin: args.origin.clone(), domains: args.domain.clone() };
    let mut found = Vec::new();
    let mut refused: Vec<(String, u64, String)> = Vec::new();
    let mut skipped = 0;
    for file in &args.files {
        let shown = file.display().to_string();
        let mut bytes = Vec::new();
        File::open(file)
            .and_then(|f| f.take(MAX_IMPORT_BYTES + 1).read_to_end(&mut bytes))
            .with_context(|| format!("{shown}: cannot read"))?;
        if bytes.len() as u64 > MAX_IMPORT_BYTES {
            bail!("{shown}: more than {} MiB: not a file of key records", MAX_IMPORT_BYTES >> 20);
        }
        let text = String::from_utf8_lossy(&bytes);
        let parsed =
            import::parse(&text, &shown, &opts).map_err(|e| anyhow::anyhow!("{shown}:{}: {}", e.line, e.reason))?;
        eprintln!("leaktrace: {shown}: {} record(s) read ({})", parsed.records.len(), parsed.format);
        refused.extend(parsed.refused.into_iter().map(|r| (shown.clone(), r.line, r.reason)));
        skipped += parsed.skipped;
        found.extend(parsed.records);
        if found.len() > MAX_IMPORT_RECORDS {
            let at = &found[MAX_IMPORT_RECORDS];
            bail!("{}:{}: more than {MAX_IMPORT_RECORDS} records in one import", at.file, at.line);
        }
    }
    let mut archive = KeyArchive::load(&args.out)?;
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let results = archive
        .append_imported(&found, &today)
        .with_context(|| format!("{}: cannot write the key archive", args.out.display()))?;
    let (mut written, mut already) = (0, 0);
    for (r, result) in found.iter().zip(results) {
        match result {
            ImportResult::Written => written += 1,
            ImportResult::AlreadyThere(_) | ImportResult::Duplicate => already += 1,
            ImportResult::Refused(why) => refused.push((r.file.clone(), r.line, why)),
        }
    }
    refused.sort();
    for (file, line, why) in &refused {
        eprintln!("{file}:{line}: refused: {why}");
    }
    eprintln!(
        "leaktrace: {written} record(s) added to {}, {already} already there, {} refused{}{}",
        args.out.display(),
        refused.len(),
        if refused.is_empty() { "" } else { " (listed above, not written)" },
        if skipped > 0 {
            format!("; {skipped} record(s) of other types under other names skipped")
        } else {
            String::new()
        },
    );
    Ok(())
}

fn run_list(args: ListArgs) -> Result<()> {
    let archive = match &args.archive {
        None => bundled::archive(),
        Some(p) if !p.exists() => bail!("{}: no such key archive", p.display()),
        Some(p) => KeyArchive::load(p)?,
    };
    let mut names: Vec<(&str, _)> = archive.records().collect();
    names.sort_by(|a, b| {
        let key = |n: &str| n.split_once("._domainkey.").map(|(s, d)| (d.to_string(), s.to_string()));
        key(a.0).cmp(&key(b.0)).then(a.0.cmp(b.0))
    });
    let mut by_domain: BTreeMap<String, usize> = BTreeMap::new();
    for (name, records) in &names {
        let (selector, domain) = name.split_once("._domainkey.").unwrap_or(("?", name));
        *by_domain.entry(domain.to_string()).or_default() += records.len();
        for r in records.iter() {
            let what = match &r.state {
                KeyState::Usable(PublicKey::Rsa { bits, .. }) => format!("rsa {bits} bits"),
                KeyState::Usable(PublicKey::Ed25519(_)) => "ed25519".to_string(),
                KeyState::Revoked => "revoked (empty p=)".to_string(),
                KeyState::Invalid(why) => format!("unusable: {why}"),
            };
            let prov = if r.recovered { "recovered from evidence, not corroborated by itself" } else { "archived" };
            println!("{domain}\t{selector}\t{what}\t{prov}\t{}", r.origin);
        }
    }
    eprintln!("leaktrace: {} records for {} selectors of {} domains", archive.len(), names.len(), by_domain.len());
    Ok(())
}
