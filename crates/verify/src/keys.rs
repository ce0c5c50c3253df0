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
        KeyRecord {
            name: normalise_name(name),
            value: value.to_string(),
            origin,
            key_type,
            hashes,
            flags,
            state,
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

fn normalise_name(name: &str) -> String {
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
        for (i, line) in text.lines().enumerate() {
            let line_no = i as u64 + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
                continue;
            }
            let (name, value) = parse_line(line).map_err(|reason| KeyArchiveError::Syntax {
                file: origin.to_string(),
                line: line_no,
                reason,
            })?;
            self.insert(KeyRecord::parse(&name, &value, format!("{origin}:{line_no}")));
        }
        Ok(())
    }

    pub fn insert(&mut self, record: KeyRecord) {
        let list = self.records.entry(record.name.clone()).or_default();
        if !list.iter().any(|r| r.value == record.value) {
            list.push(Arc::new(record));
        }
    }

    /// Records for `selector._domainkey.domain` (case and a trailing dot ignored).
    pub fn lookup(&self, selector: &str, domain: &str) -> &[Arc<KeyRecord>] {
        let mut name = format!("{}._domainkey.{}", selector, domain.trim_end_matches('.'));
        name.make_ascii_lowercase();
        self.records.get(&name).map_or(&[], Vec::as_slice)
    }

    /// Number of distinct names with at least one record.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Record a key fetched from DNS: append it to the archive file with the
    /// date it was fetched, and keep it for this run.
    pub fn append_fetched(&mut self, name: &str, value: &str, date: &str) -> std::io::Result<()> {
        if let Some(path) = &self.append_to {
            let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
            writeln!(f, "; fetched {date} from DNS by leaktrace verify --online")?;
            writeln!(f, "{} {}", normalise_name(name), value)?;
            f.sync_all()?;
        }
        let origin = self.append_to.as_ref().map_or("fetched".into(), |p| format!("{} (fetched {date})", p.display()));
        self.insert(KeyRecord::parse(name, value, origin));
        Ok(())
    }
}

/// Files in a key folder read as archives (besides the per-key files).
fn is_archive_name(name: &str) -> bool {
    name == "keys.txt" || name.ends_with("-keys.txt") || name.ends_with(".keys") || name.ends_with(".zone")
}

fn read_text(path: &Path) -> Result<String, KeyArchiveError> {
    let bytes =
        std::fs::read(path).map_err(|source| KeyArchiveError::Io { file: path.display().to_string(), source })?;
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

/// `"a" "b"` → `ab` (DNS character-strings); a bare value is kept as is.
fn join_txt_strings(s: &str) -> String {
    if !s.starts_with('"') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    let mut in_str = false;
    while let Some(c) = chars.next() {
        match (in_str, c) {
            (false, '"') => in_str = true,
            (true, '"') => in_str = false,
            (true, '\\') => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            (true, c) => out.push(c),
            (false, _) => {}
        }
    }
    out
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
}
