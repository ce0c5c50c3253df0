//! The key archive: DKIM public keys kept offline, because the keys that
//! signed leaked mail are often no longer published in DNS.
//!
//! Accepted inputs, which may be mixed:
//! - an archive file, one record per line: `selector._domainkey.domain`, white
//!   space, then the TXT value (bare, or as quoted DNS strings `"p1" "p2"`);
//!   lines starting with `;` or `#` are comments;
//! - `dig` output lines: `name. 3600 IN TXT "v=DKIM1; k=rsa; " "p=MIIB…"`;
//! - a folder of files named `selector._domainkey.domain.txt` that hold just
//!   the TXT value, and archive files named `keys.txt`, `*-keys.txt`, `*.keys`
//!   or `*.zone`; other files in the folder (messages, notes) are ignored.
//!
//! Records are written by one path only, [`KeyArchive::append_fetched`] and
//! [`KeyArchive::append_imported`] through [`encode_record`] and one atomic
//! rewrite of the file. `import` reads the formats keys are handed over in;
//! `bundled` is the small archive compiled into the program.

pub mod bundled;
pub mod import;

use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use base64ct::{Base64, Encoding};
use rsa::pkcs1::der::Decode;
use rsa::traits::PublicKeyParts;

/// Errors reading a key archive; each names the file and line.
#[derive(Debug, thiserror::Error)]
pub enum KeyArchiveError {
    #[error("{file}: {source}")]
    Io { file: String, source: std::io::Error },
    #[error("{file}: line {line}: {reason}")]
    Syntax { file: String, line: u64, reason: String },
}

/// A public key as published for one selector.
#[derive(Clone)]
pub enum PublicKey {
    Rsa { key: Box<rsa::RsaPublicKey>, bits: usize, prepared: Option<Box<crate::rsa_verify::PreparedKey>> },
    Ed25519(ed25519_dalek::VerifyingKey),
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PublicKey::Rsa { bits, .. } => write!(f, "RSA {bits} bits"),
            PublicKey::Ed25519(_) => f.write_str("Ed25519"),
        }
    }
}

/// What a key record says, parsed.
#[derive(Clone, Debug)]
pub enum KeyState {
    Usable(PublicKey),
    /// `p=` is empty: the domain withdrew the key (RFC 6376 §3.6.1).
    Revoked,
    /// The record cannot be used, with the reason.
    Invalid(String),
}

/// One archived DKIM key record.
pub struct KeyRecord {
    /// `selector._domainkey.domain`, lower-case, no trailing dot.
    pub name: String,
    /// The TXT value, strings joined.
    pub value: String,
    /// Where the record was read from: `file:line`.
    pub origin: String,
    /// `k=` (default `rsa`).
    pub key_type: String,
    /// `h=`: hash algorithms the key may be used with (empty: any).
    pub hashes: Vec<String>,
    /// `t=` flags (`y` testing, `s` strict identity).
    pub flags: Vec<String>,
    pub state: KeyState,
    /// The record was recovered from signatures in the evidence (`n=` is
    /// [`RECOVERED_NOTE`]): it shows the signatures are
    /// consistent with one key, not that the domain published it.
    pub recovered: bool,
    mail_auth: OnceLock<mail_auth::Txt>,
}

impl fmt::Debug for KeyRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRecord")
            .field("name", &self.name)
            .field("origin", &self.origin)
            .field("state", &self.state)
            .finish()
    }
}

impl KeyRecord {
    /// Parse a TXT value published at `name`.
    pub fn parse(name: &str, value: &str, origin: String) -> KeyRecord {
        let tags = parse_tags(value);
        let get = |t: &str| tags.iter().find(|(k, _)| k == t).map(|(_, v)| v.as_str());
        let key_type = get("k").unwrap_or("rsa").to_ascii_lowercase();
        let hashes = get("h")
            .map(|h| h.split(':').map(|s| s.trim().to_ascii_lowercase()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        let flags = get("t")
            .map(|h| h.split(':').map(|s| s.trim().to_ascii_lowercase()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        let state = match (get("v"), get("p")) {
            (Some(v), _) if v != "DKIM1" => KeyState::Invalid(format!("v={v} is not DKIM1")),
            (_, None) => KeyState::Invalid("the record has no p= tag".into()),
            (_, Some("")) => KeyState::Revoked,
            (_, Some(p)) => match decode_key(&key_type, p) {
                Ok(k) => KeyState::Usable(k),
                Err(e) => KeyState::Invalid(e),
            },
        };
        let recovered = get("n") == Some(RECOVERED_NOTE);
        KeyRecord {
            name: normalise_name(name),
            value: value.to_string(),
            origin,
            key_type,
            hashes,
            flags,
            state,
            recovered,
            mail_auth: OnceLock::new(),
        }
    }

    /// The record as mail-auth parses it (cached; parsed once per run).
    pub(crate) fn mail_auth_txt(&self) -> mail_auth::Txt {
        self.mail_auth
            .get_or_init(|| {
                use mail_auth::common::parse::TxtRecordParser;
                // A record mail-auth cannot use (revoked, damaged) is kept as
                // its error, so it reports the reason rather than "not found".
                mail_auth::common::verify::DomainKey::parse(self.value.as_bytes()).into()
            })
            .clone()
    }

    /// The RSA modulus, big-endian, of a usable RSA record.
    pub fn rsa_modulus(&self) -> Option<Vec<u8>> {
        match &self.state {
            KeyState::Usable(PublicKey::Rsa { key, .. }) => Some(key.n().to_bytes_be()),
            _ => None,
        }
    }

    pub fn is_testing(&self) -> bool {
        self.flags.iter().any(|f| f == "y")
    }
}

/// `tag=value; …` with white space removed from values (as DKIM records and
/// signatures are read: FWS inside a value is not significant for the tags
/// read here).
pub(crate) fn parse_tags(s: &str) -> Vec<(String, String)> {
    s.split(';')
        .filter_map(|part| {
            let (k, v) = part.split_once('=')?;
            let v: String = v.chars().filter(|c| !c.is_whitespace()).collect();
            Some((k.trim().to_ascii_lowercase(), v))
        })
        .collect()
}

fn decode_key(key_type: &str, p: &str) -> Result<PublicKey, String> {
    let der = Base64::decode_vec(p).map_err(|_| "p= is not valid base64".to_string())?;
    match key_type {
        "rsa" => {
            // Published keys are SubjectPublicKeyInfo; a few domains publish the
            // bare PKCS#1 RSAPublicKey. Keys are accepted up to 16384 bits (the
            // rsa crate's default limit of 4096 would turn real keys into errors).
            let pkcs1 = match rsa::pkcs8::spki::SubjectPublicKeyInfoRef::try_from(der.as_slice()) {
                Ok(spki) => spki.subject_public_key.raw_bytes().to_vec(),
                Err(_) => der,
            };
            let k = rsa::pkcs1::RsaPublicKey::from_der(&pkcs1).map_err(|e| format!("p= is not an RSA key ({e})"))?;
            let n = rsa::BigUint::from_bytes_be(k.modulus.as_bytes());
            let e = rsa::BigUint::from_bytes_be(k.public_exponent.as_bytes());
            let key = rsa::RsaPublicKey::new_with_max_size(n, e, 16384)
                .map_err(|e| format!("p= is not a usable RSA key ({e})"))?;
            let bits = key.n().bits();
            let prepared = crate::rsa_verify::PreparedKey::new(&key).map(Box::new);
            Ok(PublicKey::Rsa { key: Box::new(key), bits, prepared })
        }
        "ed25519" => {
            let raw: [u8; 32] =
                der.as_slice().try_into().map_err(|_| format!("an Ed25519 key is 32 bytes, p= has {}", der.len()))?;
            ed25519_dalek::VerifyingKey::from_bytes(&raw)
                .map(PublicKey::Ed25519)
                .map_err(|_| "p= is not a valid Ed25519 point".to_string())
        }
        other => Err(format!("unknown key type k={other}")),
    }
}

pub(crate) fn normalise_name(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// Keys by `selector._domainkey.domain`. A name may have several records
/// (keys archived at different times); verification tries each.
#[derive(Debug, Default)]
pub struct KeyArchive {
    records: HashMap<String, Vec<Arc<KeyRecord>>>,
    /// Where fetched keys are appended (the file given, or a file in the folder given).
    append_to: Option<PathBuf>,
}

impl KeyArchive {
    /// An archive with no keys: every signature is reported `key_not_found`.
    pub fn empty() -> KeyArchive {
        KeyArchive::default()
    }

    /// Read a file or a folder of key files. A missing file is an empty
    /// archive that `--online` may create.
    pub fn load(path: &Path) -> Result<KeyArchive, KeyArchiveError> {
        let mut archive = KeyArchive::default();
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|source| KeyArchiveError::Io { file: path.display().to_string(), source })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            entries.sort();
            for file in entries {
                let text = read_text(&file)?;
                let fname = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
                match fname.strip_suffix(".txt").filter(|n| n.contains("._domainkey.")) {
                    Some(name) => {
                        let value = join_txt_strings(text.trim());
                        archive.insert(KeyRecord::parse(name, &value, format!("{}", file.display())));
                    }
                    None if is_archive_name(fname) => archive.parse_into(&text, &file.display().to_string())?,
                    // Messages and notes often sit beside the keys.
                    None => {}
                }
            }
            archive.append_to = Some(path.join("fetched-keys.txt"));
        } else {
            if path.exists() {
                let text = read_text(path)?;
                archive.parse_into(&text, &path.display().to_string())?;
            }
            archive.append_to = Some(path.to_path_buf());
        }
        Ok(archive)
    }

    /// Parse archive text (the line formats above) from a string.
    pub fn parse(text: &str, origin: &str) -> Result<KeyArchive, KeyArchiveError> {
        let mut archive = KeyArchive::default();
        archive.parse_into(text, origin)?;
        Ok(archive)
    }

    fn parse_into(&mut self, text: &str, origin: &str) -> Result<(), KeyArchiveError> {
        // The provenance comment `append_fetched` writes right before a
        // fetched record; it belongs to the next line only.
        let mut provenance: Option<&str> = None;
        for (i, line) in text.lines().enumerate() {
            let line_no = i as u64 + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
                provenance = provenance_of_comment(line);
                continue;
            }
            let syntax = |reason| KeyArchiveError::Syntax { file: origin.to_string(), line: line_no, reason };
            if line.len() > MAX_RECORD_BYTES + 1024 {
                return Err(syntax(format!(
                    "the line is {} bytes, more than a key record ({MAX_RECORD_BYTES} bytes) with its name",
                    line.len()
                )));
            }
            let (name, value) = parse_line(line).map_err(syntax)?;
            let place = match provenance.take() {
                Some(p) => format!("{origin}:{line_no}, {p}"),
                None => format!("{origin}:{line_no}"),
            };
            let mut record = KeyRecord::parse(&name, &value, place);
            // An imported record the public archive itself recovered from
            // signatures is no more independent than one recovered here.
            record.recovered |= record.origin.contains(ARCHIVE_RECOVERED_NOTE);
            self.insert(record);
        }
        Ok(())
    }

    pub fn insert(&mut self, record: KeyRecord) {
        self.insert_shared(Arc::new(record));
    }

    fn insert_shared(&mut self, record: Arc<KeyRecord>) {
        let list = self.records.entry(record.name.clone()).or_default();
        if !list.iter().any(|r| r.value == record.value) {
            list.push(record);
        }
    }

    /// Add `other`'s records after this archive's own: a name's records
    /// already here are tried first, and a record with the same value as one
    /// here is not added (the one here is named). This is how the bundled
    /// archive comes last, after every `--keys` archive.
    pub fn extend_after(&mut self, other: &KeyArchive) {
        let mut names: Vec<&String> = other.records.keys().collect();
        names.sort();
        for name in names {
            for r in &other.records[name] {
                self.insert_shared(r.clone());
            }
        }
    }

    /// Is this exact record (name and value) in the archive? Its origin if so.
    pub fn find_exact(&self, name: &str, value: &str) -> Option<&str> {
        self.records.get(&normalise_name(name))?.iter().find(|r| r.value == value).map(|r| r.origin.as_str())
    }

    /// Records for `selector._domainkey.domain` (case and a trailing dot ignored).
    pub fn lookup(&self, selector: &str, domain: &str) -> &[Arc<KeyRecord>] {
        let mut name = format!("{}._domainkey.{}", selector, domain.trim_end_matches('.'));
        name.make_ascii_lowercase();
        self.records.get(&name).map_or(&[], Vec::as_slice)
    }

    /// Every record, by name (in no particular order of names; a name's
    /// records in the order read).
    pub fn records(&self) -> impl Iterator<Item = (&str, &[Arc<KeyRecord>])> {
        self.records.iter().map(|(n, r)| (n.as_str(), r.as_slice()))
    }

    /// Number of distinct names with at least one record.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Record a key fetched from DNS for `name`, the name that was asked:
    /// check that it is a DKIM key record, write it to the archive file with
    /// where and when it was fetched, and keep it for this run.
    ///
    /// `server` says which DNS server answered (`DNS server 192.0.2.53:53`,
    /// or the system's resolver). The record is refused, and nothing is
    /// written, when the name is not a DNS name under `_domainkey`, or the
    /// value is not one DKIM key record ([`check_fetched`]). The file is
    /// replaced whole (a new file renamed over it, under a lock), so a crash
    /// leaves the old archive or the new one, never half a line; and the line
    /// written is encoded so that reading it back gives exactly `name` and
    /// `value` ([`encode_record`]).
    pub fn append_fetched(&mut self, name: &str, value: &str, date: &str, server: &str) -> Result<(), FetchedKeyError> {
        let block = fetched_block(name, value, date, server).map_err(FetchedKeyError::Refused)?;
        let provenance = fetched_provenance(date, server);
        self.append_blocks(vec![(normalise_name(name), value.to_string(), provenance, block)])
            .map_err(FetchedKeyError::Io)?;
        Ok(())
    }

    /// Write imported records to the archive file, each after a comment line
    /// saying where it was imported from and when (and when the source says
    /// it was first and last seen), all in one atomic rewrite of the file, as
    /// [`append_fetched`](Self::append_fetched) does. Each record is checked
    /// as a fetched one is ([`check_fetched`]): one that fails is refused,
    /// with the reason, and not written; one already in the archive with the
    /// same value is not written twice.
    pub fn append_imported(&mut self, records: &[Imported], date: &str) -> std::io::Result<Vec<ImportResult>> {
        let mut results = Vec::with_capacity(records.len());
        let mut blocks = Vec::new();
        let mut seen: std::collections::HashSet<(String, &str)> = std::collections::HashSet::new();
        for r in records {
            let name = normalise_name(&r.name);
            let provenance = r.provenance(date);
            let result = match provenance_block(&r.name, &r.value, &provenance, IMPORT_END) {
                Err(why) => ImportResult::Refused(why),
                Ok(_) if !seen.insert((name.clone(), r.value.as_str())) => ImportResult::Duplicate,
                Ok(_) if self.find_exact(&name, &r.value).is_some() => {
                    ImportResult::AlreadyThere(self.find_exact(&name, &r.value).unwrap_or_default().to_string())
                }
                Ok(block) => {
                    blocks.push((name, r.value.clone(), provenance, block));
                    ImportResult::Written
                }
            };
            results.push(result);
        }
        if !blocks.is_empty() {
            self.append_blocks(blocks)?;
        }
        Ok(results)
    }

    /// Append blocks of one provenance comment line and one record line each
    /// to the archive file in one atomic rewrite, and keep the records for
    /// this run with the `file:line` they were written at.
    fn append_blocks(&mut self, blocks: Vec<(String, String, String, String)>) -> std::io::Result<()> {
        let data: String = blocks.iter().map(|b| b.3.as_str()).collect();
        let lines_written = data.matches('\n').count();
        let first_line = match &self.append_to {
            Some(path) => Some(append_atomically(path, data.as_bytes())? + 1 - lines_written),
            None => None,
        };
        let mut line = first_line;
        for (name, value, provenance, block) in blocks {
            let record_line = line.map(|l| l + block.matches('\n').count() - 1);
            let origin = match (&self.append_to, record_line) {
                (Some(path), Some(at)) => format!("{}:{at}, {provenance}", path.display()),
                _ => provenance,
            };
            let mut record = KeyRecord::parse(&name, &value, origin);
            record.recovered |= record.origin.contains(ARCHIVE_RECOVERED_NOTE);
            self.insert(record);
            line = line.map(|l| l + block.matches('\n').count());
        }
        Ok(())
    }
}

/// A record read by `leaktrace keys import`, with where it was read.
#[derive(Clone, Debug, PartialEq)]
pub struct Imported {
    /// `selector._domainkey.domain` as the file gave it.
    pub name: String,
    pub value: String,
    /// The file it was read from, as the user named it.
    pub file: String,
    pub line: u64,
    /// When the source says the key was first and last seen (RFC 3339).
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// What else the source says about the record (e.g. [`ARCHIVE_RECOVERED_NOTE`]).
    pub note: Option<String>,
}

impl Imported {
    /// The provenance comment's text (without `; ` and the end marker).
    fn provenance(&self, date: &str) -> String {
        let mut s = format!("imported from {}:{} on {}", self.file, self.line, date);
        if let Some(f) = &self.first_seen {
            s.push_str(&format!(", first seen {f}"));
        }
        if let Some(l) = &self.last_seen {
            s.push_str(&format!(", last seen {l}"));
        }
        if let Some(n) = &self.note {
            s.push_str(&format!(", {n}"));
        }
        one_line(&s)
    }
}

/// What became of one imported record.
#[derive(Clone, Debug, PartialEq)]
pub enum ImportResult {
    Written,
    /// The same name and value is already in the archive, at this origin.
    AlreadyThere(String),
    /// The same name and value came earlier in this import.
    Duplicate,
    /// Not written, with the reason.
    Refused(String),
}

/// Said of an imported record that the public DKIM archive marks as
/// recovered from signatures (`gcd_recovered`) rather than seen in DNS.
/// Such a record is read back as recovered: it does not corroborate.
pub const ARCHIVE_RECOVERED_NOTE: &str =
    "recovered from signatures by that archive, not seen in DNS (gcd_recovered): not independent";

/// A fetched key that was not archived.
#[derive(Debug, thiserror::Error)]
pub enum FetchedKeyError {
    /// The name or the value cannot be archived, with the reason.
    #[error("not archived: {0}")]
    Refused(String),
    #[error("cannot write the key archive: {0}")]
    Io(std::io::Error),
}

/// The value written in a recovered record's `n=` (notes) tag, by which
/// verification knows the key came from the evidence.
pub const RECOVERED_NOTE: &str = "leaktrace-recovered";

/// The largest TXT value archived or read as a key record: a 16384-bit RSA
/// key (the largest accepted) is about 2,800 bytes of base64.
pub const MAX_RECORD_BYTES: usize = 8 * 1024;

/// The largest key archive file read (a million records of a 2048-bit key).
pub const MAX_ARCHIVE_BYTES: u64 = 512 << 20;

/// How the comment before a fetched record ends; the reader takes the text
/// between `; ` and this as the record's provenance.
const PROVENANCE_END: &str = "by leaktrace verify --online";
/// How the comment before an imported record ends.
const IMPORT_END: &str = "by leaktrace keys import";
/// The longest provenance comment kept (a file name can be long; a comment
/// must stay a readable line).
const MAX_PROVENANCE_CHARS: usize = 1024;

/// The provenance a comment line written before a record carries, if it is
/// one: `; fetched … by leaktrace verify --online` or `; imported … by
/// leaktrace keys import`. Any other comment says nothing about the next record.
fn provenance_of_comment(line: &str) -> Option<&str> {
    let c = line.strip_prefix("; ")?;
    [("fetched ", PROVENANCE_END), ("imported ", IMPORT_END)]
        .into_iter()
        .find_map(|(start, end)| c.strip_suffix(end).map(str::trim).filter(|c| c.starts_with(start)))
}

/// `s` on one line (control characters dropped) and of bounded length: the
/// date, server and file name come from outside, but a comment line must
/// stay one line whatever they hold.
fn one_line(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(MAX_PROVENANCE_CHARS).collect()
}

fn fetched_provenance(date: &str, server: &str) -> String {
    one_line(&format!("fetched {date} from {server}"))
}

/// The two archive lines for a record: the provenance comment (`; TEXT END`),
/// then the record ([`encode_record`]), each ending with a line end; refused
/// when [`check_fetched`] refuses the record.
fn provenance_block(name: &str, value: &str, provenance: &str, end: &str) -> Result<String, String> {
    check_fetched(name, value)?;
    let line = encode_record(&normalise_name(name), value)?;
    Ok(format!("; {} {end}\n{line}\n", one_line(provenance)))
}

/// The two archive lines for a record fetched from DNS (see [`provenance_block`]).
pub fn fetched_block(name: &str, value: &str, date: &str, server: &str) -> Result<String, String> {
    provenance_block(name, value, &fetched_provenance(date, server), PROVENANCE_END)
}

/// An archive's bytes with `block` appended on lines of its own (a last line
/// without a line end gets one first).
pub fn appended(old: &[u8], block: &[u8]) -> Vec<u8> {
    let mut data = Vec::with_capacity(old.len() + block.len() + 1);
    data.extend_from_slice(old);
    if !data.is_empty() && !data.ends_with(b"\n") {
        data.push(b'\n');
    }
    data.extend_from_slice(block);
    data
}

/// Is `name` a DNS name of a DKIM key (`selector._domainkey.domain`, letters,
/// digits, `-` and `_` in labels of 1 to 63 bytes, at most 253 bytes)?
pub fn is_key_name(name: &str) -> bool {
    let name = name.trim_end_matches('.');
    name.len() <= 253
        && name.to_ascii_lowercase().contains("._domainkey.")
        && name.split('.').all(|l| {
            !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// May a value fetched from DNS for `name` be archived? It must be one DKIM
/// key record (RFC 6376 §3.6.1): of bounded size, of printable ASCII, spaces
/// and tabs only (a record has nothing else; a line break in one is an
/// attempt to write a second archive line), and either a key this program can use or a
/// revocation (empty `p=`, itself evidence). Anything else is refused with
/// the reason.
pub fn check_fetched(name: &str, value: &str) -> Result<(), String> {
    if !is_key_name(name) {
        return Err(format!("{name:?} is not a DKIM key name (selector._domainkey.domain)"));
    }
    if value.len() > MAX_RECORD_BYTES {
        return Err(format!(
            "the TXT value of {name} is {} bytes, more than a key record ({MAX_RECORD_BYTES})",
            value.len()
        ));
    }
    if let Some(c) = value.chars().find(|&c| !(c == '\t' || c == ' ' || c.is_ascii_graphic())) {
        return Err(format!(
            "the TXT value of {name} contains {c:?}, which no DKIM key record has (only printable ASCII, spaces and tabs)"
        ));
    }
    match KeyRecord::parse(name, value, String::new()).state {
        KeyState::Usable(_) | KeyState::Revoked => Ok(()),
        KeyState::Invalid(why) => Err(format!("the TXT value of {name} is not a usable DKIM key record: {why}")),
    }
}

/// One archive line for `name` and `value` that [`parse_line`] reads back as
/// exactly that name and value: the value bare when that reads back the same
/// (the common case, easy to read and to diff), else as one quoted DNS
/// string with `\"`, `\\` and `\DDD` escapes for every byte outside printable
/// ASCII, so no byte of the value can end the line or the string.
pub fn encode_record(name: &str, value: &str) -> Result<String, String> {
    if !is_key_name(name) {
        return Err(format!("{name:?} is not a DKIM key name (selector._domainkey.domain)"));
    }
    let reads_back = |line: &str| {
        !line.contains(['\n', '\r'])
            && parse_line(line.trim()).is_ok_and(|(n, v)| n == name && v == value)
            && line.trim() == line
    };
    let bare = format!("{name} {value}");
    if reads_back(&bare) {
        return Ok(bare);
    }
    let mut quoted = format!("{name} \"");
    for &b in value.as_bytes() {
        match b {
            b'"' | b'\\' => {
                quoted.push('\\');
                quoted.push(b as char);
            }
            0x20..=0x7e => quoted.push(b as char),
            _ => quoted.push_str(&format!("\\{b:03}")),
        }
    }
    quoted.push('"');
    if reads_back(&quoted) {
        Ok(quoted)
    } else {
        Err(format!("the TXT value of {name} cannot be written so that it reads back the same"))
    }
}

/// Append `block` to the file at `path` by writing the old contents and the
/// block to a new file beside it and renaming that over the old one, while
/// holding an exclusive lock on the old one (so two runs do not lose each
/// other's records). A last line without a line end gets one first, so the
/// block starts on a line of its own. Returns the line number of the block's
/// last line.
fn append_atomically(path: &Path, block: &[u8]) -> std::io::Result<usize> {
    use std::io::Read;
    loop {
        let mut file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?;
        file.lock()?;
        // Another run may have replaced the file while this one waited for the
        // lock: then the lock is on a file no longer at `path`.
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let (held, now) = (file.metadata()?, std::fs::metadata(path)?);
            if (held.dev(), held.ino()) != (now.dev(), now.ino()) {
                continue;
            }
        }
        let mut old = Vec::new();
        file.read_to_end(&mut old)?;
        let data = appended(&old, block);
        let last_line = data.iter().filter(|&&b| b == b'\n').count();
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let fname = path.file_name().and_then(|n| n.to_str()).unwrap_or("keys");
        let tmp = dir.join(format!(".{fname}.{}.tmp", std::process::id()));
        let written = (|| {
            let mut t = std::fs::File::create(&tmp)?;
            t.write_all(&data)?;
            t.set_permissions(file.metadata()?.permissions())?;
            t.sync_all()?;
            std::fs::rename(&tmp, path)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written?;
        // The rename itself is durable once the folder is synced.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        return Ok(last_line);
    }
}

/// Files in a key folder read as archives (besides the per-key files).
fn is_archive_name(name: &str) -> bool {
    name == "keys.txt" || name.ends_with("-keys.txt") || name.ends_with(".keys") || name.ends_with(".zone")
}

pub(crate) fn read_text(path: &Path) -> Result<String, KeyArchiveError> {
    use std::io::Read;
    let io = |source| KeyArchiveError::Io { file: path.display().to_string(), source };
    let mut bytes = Vec::new();
    std::fs::File::open(path).map_err(io)?.take(MAX_ARCHIVE_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > MAX_ARCHIVE_BYTES {
        return Err(KeyArchiveError::Syntax {
            file: path.display().to_string(),
            line: 0,
            reason: format!("more than {} MiB: not a key archive", MAX_ARCHIVE_BYTES >> 20),
        });
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Split one archive line into name and TXT value.
pub fn parse_line(line: &str) -> Result<(String, String), String> {
    let (name, rest) = line
        .split_once(|c: char| c.is_whitespace())
        .ok_or_else(|| "expected `selector._domainkey.domain` followed by the TXT value".to_string())?;
    if !name.to_ascii_lowercase().contains("._domainkey.") {
        return Err(format!("{name:?} is not a DKIM key name (selector._domainkey.domain)"));
    }
    let mut rest = rest.trim_start();
    // dig style: optional TTL, optional class, then the type.
    let mut tokens = rest.split_whitespace();
    let mut skip = 0;
    let mut first = tokens.next();
    if first.is_some_and(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())) {
        skip += 1;
        first = tokens.next();
    }
    if first.is_some_and(|t| t.eq_ignore_ascii_case("IN")) {
        skip += 1;
        first = tokens.next();
    }
    if first.is_some_and(|t| t.eq_ignore_ascii_case("TXT")) {
        skip += 1;
    } else if skip > 0 {
        return Err("a dig-style record must have type TXT".into());
    }
    for _ in 0..skip {
        rest = rest.trim_start();
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest = &rest[end..];
    }
    let value = join_txt_strings(rest.trim());
    if value.is_empty() {
        return Err(format!("no TXT value after {name}"));
    }
    Ok((name.to_string(), value))
}

/// `"a" "b"` → `ab` (DNS character-strings, with the zone-file escapes
/// `\X` for the character X and `\DDD` for the byte of that decimal value, as
/// `dig` prints and [`encode_record`] writes); a bare value is kept as is.
pub(crate) fn join_txt_strings(s: &str) -> String {
    if !s.starts_with('"') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(s.len());
    let mut in_str = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        i += 1;
        match (in_str, b) {
            (false, b'"') => in_str = true,
            (true, b'"') => in_str = false,
            (true, b'\\') => {
                let digits = bytes.get(i..i + 3).filter(|d| d.iter().all(u8::is_ascii_digit));
                match digits.map(|d| d.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'))) {
                    Some(v) if v <= 255 => {
                        out.push(v as u8);
                        i += 3;
                    }
                    _ => {
                        if let Some(&n) = bytes.get(i) {
                            out.push(n);
                            i += 1;
                        }
                    }
                }
            }
            (true, b) => out.push(b),
            (false, _) => {}
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: &str = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

    #[test]
    fn the_three_line_forms() {
        let text = format!(
            "; comment\n\
             brisbane._domainkey.football.example.com {ED}\n\
             a._domainkey.example.org. 300 IN TXT \"v=DKIM1; k=ed25519; \" \"p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"\n\
             b._domainkey.example.org \"v=DKIM1; p=\"\n"
        );
        let a = KeyArchive::parse(&text, "keys.txt").unwrap();
        assert_eq!(a.len(), 3);
        assert!(matches!(a.lookup("Brisbane", "Football.example.com.")[0].state, KeyState::Usable(_)));
        assert!(matches!(a.lookup("a", "example.org")[0].state, KeyState::Usable(PublicKey::Ed25519(_))));
        assert!(matches!(a.lookup("b", "example.org")[0].state, KeyState::Revoked));
        assert!(a.lookup("c", "example.org").is_empty());
    }

    #[test]
    fn errors_name_the_line() {
        let e = KeyArchive::parse("\nnot-a-key-name value\n", "k.txt").unwrap_err().to_string();
        assert!(e.starts_with("k.txt: line 2:"), "{e}");
    }

    #[test]
    fn bad_keys_are_invalid_not_errors() {
        let r = KeyRecord::parse("s._domainkey.d", "k=rsa; p=AAAA", "x".into());
        assert!(matches!(r.state, KeyState::Invalid(_)));
    }

    /// The archive of a test folder, reloaded from its file.
    fn reload(path: &Path) -> KeyArchive {
        KeyArchive::load(path).unwrap()
    }

    #[test]
    fn a_fetched_value_cannot_write_a_record_for_another_name() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("keys.txt");
        std::fs::write(&path, format!("a._domainkey.example.org {ED}\n")).unwrap();
        let before = std::fs::read(&path).unwrap();
        let mut archive = reload(&path);
        // What a DNS server for the attacker's own domain answered.
        for hostile in [
            format!("{ED}\n20230601._domainkey.gmail.com {ED}"),
            format!("{ED}\r\n20230601._domainkey.gmail.com {ED}"),
            format!("{ED}\r20230601._domainkey.gmail.com {ED}"),
            format!("{ED}\u{2028}20230601._domainkey.gmail.com {ED}"),
            format!("{ED}\u{0}"),
        ] {
            let e = archive.append_fetched(
                "s._domainkey.attacker.example",
                &hostile,
                "2026-12-03",
                "DNS server 127.0.0.1:53",
            );
            assert!(matches!(e, Err(FetchedKeyError::Refused(_))), "{hostile:?}: {e:?}");
        }
        // Not a key record at all, or not the name of a key.
        for (name, value) in [
            ("s._domainkey.attacker.example", "v=spf1 -all"),
            ("s._domainkey.attacker.example", "v=DKIM1; k=rsa; p=AAAA"),
            ("s._domainkey.attacker.example\n20230601._domainkey.gmail.com", ED),
            ("s._domainkey.attacker example", ED),
            ("attacker.example", ED),
        ] {
            assert!(archive.append_fetched(name, value, "2026-12-03", "x").is_err(), "{name:?} {value:?}");
        }
        assert_eq!(std::fs::read(&path).unwrap(), before, "nothing written");
        let again = reload(&path);
        assert!(again.lookup("20230601", "gmail.com").is_empty());
        assert!(archive.lookup("20230601", "gmail.com").is_empty());
        assert!(archive.lookup("s", "attacker.example").is_empty());
    }

    #[test]
    fn a_fetched_record_reads_back_with_where_and_when_it_was_fetched() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("keys.txt");
        // A last line without its line end must not swallow the new record.
        std::fs::write(&path, format!("; mine\na._domainkey.example.org {ED}")).unwrap();
        let mut archive = reload(&path);
        archive.append_fetched("B._domainkey.Example.org.", ED, "2026-12-03", "DNS server 127.0.0.1:5353").unwrap();
        let revoked = "v=DKIM1; k=rsa; p=";
        archive.append_fetched("c._domainkey.example.org", revoked, "2026-12-04", "the system's resolver").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], format!("a._domainkey.example.org {ED}"), "{text}");
        assert_eq!(lines[3], format!("b._domainkey.example.org {ED}"), "{text}");
        let shown =
            |a: &KeyArchive, s: &str| a.lookup(s, "example.org").iter().map(|r| r.origin.clone()).collect::<Vec<_>>();
        let want_b = format!("{}:4, fetched 2026-12-03 from DNS server 127.0.0.1:5353", path.display());
        let want_c = format!("{}:6, fetched 2026-12-04 from the system's resolver", path.display());
        // The same provenance in this run and in a later one read from the file.
        for a in [&archive, &reload(&path)] {
            assert_eq!(shown(a, "a"), [format!("{}:2", path.display())]);
            assert_eq!(shown(a, "b"), std::slice::from_ref(&want_b));
            assert_eq!(shown(a, "c"), std::slice::from_ref(&want_c));
            assert!(matches!(a.lookup("c", "example.org")[0].state, KeyState::Revoked));
        }
        // A provenance comment belongs to the line right after it only.
        let a = KeyArchive::parse(
            &format!("; fetched 2026 from x by leaktrace verify --online\n\nd._domainkey.e.org {ED}\n"),
            "k",
        )
        .unwrap();
        assert_eq!(a.lookup("d", "e.org")[0].origin, "k:3");
        assert!(!tmp.path().read_dir().unwrap().any(|e| e.unwrap().file_name().to_string_lossy().contains("tmp")));
    }

    #[test]
    fn any_value_is_written_on_one_line_that_reads_back_as_itself() {
        let mut next = crate::test_support::xorshift(0x5eed);
        let alphabet: Vec<char> = (0u8..128).map(char::from).chain(['é', '€', '\u{2028}', '\u{85}', '😀']).collect();
        for round in 0..20_000 {
            let len = next(40);
            let mut value: String = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
            if round % 3 == 0 {
                value = format!("{ED}{value}");
            }
            let name = "sel._domainkey.example.org";
            if value.is_empty() {
                // No record: the reader refuses a name without a value.
                assert!(encode_record(name, &value).is_err());
                continue;
            }
            let line = encode_record(name, &value).unwrap_or_else(|e| panic!("{value:?}: {e}"));
            assert!(!line.contains(['\n', '\r']), "{line:?}");
            let a = KeyArchive::parse(&format!("{line}\n"), "k").unwrap();
            assert_eq!(a.len(), 1, "{value:?} → {line:?}");
            assert_eq!(a.lookup("sel", "example.org")[0].value, value, "{line:?}");
        }
    }

    #[test]
    fn an_imported_record_reads_back_exactly_with_its_provenance() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("keys.txt");
        let mut next = crate::test_support::xorshift(0x1e5);
        let alphabet: Vec<char> = (0u8..128).map(char::from).chain(['é', '\u{2028}']).collect();
        let mut records = Vec::new();
        for i in 0..300 {
            // Values a check refuses (control characters, not a key) and
            // values it takes (a key with printable noise in a tag).
            let noise: String = (0..next(12)).map(|_| alphabet[next(alphabet.len())]).collect();
            let value = if i % 2 == 0 { format!("{ED}; n={noise}") } else { format!("{noise}{ED}") };
            records.push(Imported {
                name: format!("s{i}._domainkey.example.org"),
                value,
                // A hostile file name and dates: the comment must stay one line.
                file: format!("in\nbox{i}.json"),
                line: i as u64 + 1,
                first_seen: (i % 3 == 0).then(|| "2016-10-25T00:00:00Z\r\nx._domainkey.gmail.com p=".to_string()),
                last_seen: (i % 5 == 0).then(|| "2019-01-01T00:00:00Z".to_string()),
                note: (i % 7 == 0).then(|| ARCHIVE_RECOVERED_NOTE.to_string()),
            });
        }
        let mut archive = reload(&path);
        let results = archive.append_imported(&records, "2026-12-07").unwrap();
        let again = reload(&path);
        let mut written = 0;
        for (r, result) in records.iter().zip(&results) {
            let (sel, _) = r.name.split_once("._domainkey.").unwrap();
            let refused = check_fetched(&r.name, &r.value).is_err();
            assert_eq!(matches!(result, ImportResult::Refused(_)), refused, "{:?}: {result:?}", r.value);
            for a in [&archive, &again] {
                let got = a.lookup(sel, "example.org");
                if refused {
                    assert!(got.is_empty(), "{:?}", r.value);
                    continue;
                }
                assert_eq!(got.len(), 1);
                assert_eq!(got[0].value, r.value, "read back exactly");
                assert!(
                    got[0].origin.contains(&format!("imported from inbox{}.json:{} on 2026-12-07", r.line - 1, r.line)),
                    "{}",
                    got[0].origin
                );
                assert_eq!(got[0].recovered, r.note.is_some(), "{}", got[0].origin);
            }
            written += usize::from(!refused);
        }
        assert!(written > 50 && written < 300, "{written}");
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2 * written, "one comment and one record line each");
        assert!(!text.contains("\nx._domainkey.gmail.com"), "a date cannot start a line");
        assert!(again.lookup("x", "gmail.com").is_empty());
    }

    #[test]
    fn dig_escapes_are_read() {
        let a = KeyArchive::parse("s._domainkey.e.org \"v=DKIM1;\\032p=\\\"x\\\\\\233\"\n", "k").unwrap();
        assert_eq!(a.lookup("s", "e.org")[0].value, "v=DKIM1; p=\"x\\\u{fffd}");
    }
}
