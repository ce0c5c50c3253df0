//! Legacy Microsoft Office files (.doc, .xls, .ppt; also password-protected
//! OOXML, Outlook .msg and .msi, which share the container): the OLE2
//! Compound File Binary format.
//!
//! The container is read by the `cfb` crate. The metadata lives in two
//! property set streams (MS-OLEPS), `\u{5}SummaryInformation` (title, author,
//! dates, counts, program) and `\u{5}DocumentSummaryInformation` (company,
//! manager, category, program version). No small, maintained crate parses
//! those, so this module does, itself, with every length and offset checked
//! against the stream it came from: hostile input gives an `Err` that names
//! what is wrong, never a panic, and no allocation beyond a small multiple of
//! the input (streams are read up to [`MAX_STREAM`], strings decoded up to
//! [`MAX_STRING`] bytes, at most [`MAX_PROPERTIES`] properties a section).
//!
//! Field names follow `ooxml.rs` (`creator`, `lastModifiedBy`, `created`,
//! `modified`, `totalEditingMinutes`, `application`, `appVersion`, `company`,
//! …) so that reports read the same across formats. The container adds the
//! root storage's CLSID, the notable streams present, whether macros or an
//! encrypted package are present, and for Word files the install language
//! of the program that wrote the file.

use std::io::{Cursor, Read};

use chrono::{DateTime, Datelike, SecondsFormat, Utc};

use super::{Fields, clean};

/// The first eight bytes of every compound file.
pub const MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Streams larger than this are read only this far (a summary stream holds a
/// few hundred bytes, or a thumbnail of some KiB).
pub const MAX_STREAM: u64 = 4 << 20;
/// Strings are decoded up to this many bytes (and `clean` cuts them shorter).
pub const MAX_STRING: usize = 64 << 10;
/// More properties than this in one section is not a real document.
pub const MAX_PROPERTIES: usize = 4096;
/// Property set streams have one or two sections.
const MAX_SECTIONS: usize = 16;
/// Root storage entries looked at for notable streams.
const MAX_ENTRIES: usize = 100_000;

/// FMTID_SummaryInformation, F29F85E0-4FF9-1068-AB91-08002B27B3D9, as stored.
const FMTID_SUMMARY: [u8; 16] =
    [0xE0, 0x85, 0x9F, 0xF2, 0xF9, 0x4F, 0x68, 0x10, 0xAB, 0x91, 0x08, 0x00, 0x2B, 0x27, 0xB3, 0xD9];
/// FMTID_DocSummaryInformation, D5CDD502-2E9C-101B-9397-08002B2CF9AE, as stored.
const FMTID_DOC_SUMMARY: [u8; 16] =
    [0x02, 0xD5, 0xCD, 0xD5, 0x9C, 0x2E, 0x1B, 0x10, 0x93, 0x97, 0x08, 0x00, 0x2B, 0x2C, 0xF9, 0xAE];

const VT_I2: u16 = 2;
const VT_I4: u16 = 3;
const VT_BOOL: u16 = 11;
const VT_UI2: u16 = 18;
const VT_UI4: u16 = 19;
const VT_LPSTR: u16 = 30;
const VT_LPWSTR: u16 = 31;
const VT_FILETIME: u16 = 64;

const CP_UTF16LE: u16 = 1200;
const CP_UTF16BE: u16 = 1201;
const CP_UTF8: u16 = 65001;

/// How a property's value is shown.
#[derive(Clone, Copy, Debug)]
enum Show {
    Text,
    Count,
    /// A FILETIME instant, as RFC 3339 UTC.
    Time,
    /// A FILETIME used as a duration, in whole minutes (as OOXML's `TotalTime`).
    Minutes,
    /// PIDSI_DOC_SECURITY flags.
    Security,
    /// PIDDSI_VERSION: major version in the high word, as OOXML's `AppVersion` ("16.0000").
    Version,
}

const SUMMARY: [(u32, &str, Show); 17] = [
    (2, "title", Show::Text),
    (3, "subject", Show::Text),
    (4, "creator", Show::Text),
    (5, "keywords", Show::Text),
    (6, "description", Show::Text),
    (7, "template", Show::Text),
    (8, "lastModifiedBy", Show::Text),
    (9, "revision", Show::Text),
    (10, "totalEditingMinutes", Show::Minutes),
    (11, "lastPrinted", Show::Time),
    (12, "created", Show::Time),
    (13, "modified", Show::Time),
    (14, "pages", Show::Count),
    (15, "words", Show::Count),
    (16, "characters", Show::Count),
    (18, "application", Show::Text),
    (19, "security", Show::Security),
];

const DOC_SUMMARY: [(u32, &str, Show); 5] = [
    (2, "category", Show::Text),
    (14, "manager", Show::Text),
    (15, "company", Show::Text),
    (23, "appVersion", Show::Version),
    (28, "language", Show::Text),
];

/// Root storage CLSIDs worth naming.
const CLSIDS: [(&str, &str); 7] = [
    ("00020906-0000-0000-c000-000000000046", "Word 97-2003 document"),
    ("00020900-0000-0000-c000-000000000046", "Word 6.0-95 document"),
    ("00020820-0000-0000-c000-000000000046", "Excel 97-2003 workbook"),
    ("00020810-0000-0000-c000-000000000046", "Excel 5.0-95 workbook"),
    ("64818d10-4f9b-11cf-86ea-00aa00b929e8", "PowerPoint 97-2003 presentation"),
    ("00020d0b-0000-0000-c000-000000000046", "Outlook message"),
    ("000c1084-0000-0000-c000-000000000046", "Windows Installer package"),
];

/// Streams and storages worth listing, in the root storage. Only the root is
/// listed: `cfb`'s walk of the whole tree copies each entry's full path, which
/// a deep hostile tree makes quadratic; a `VBA` storage sits under `Macros`
/// (Word) or `_VBA_PROJECT_CUR` (Excel), which are at the root.
const NOTABLE: [&str; 12] = [
    "WordDocument",
    "Workbook",
    "Book",
    "PowerPoint Document",
    "EncryptedPackage",
    "EncryptionInfo",
    "ObjectPool",
    "\u{1}Ole10Native",
    "Macros",
    "_VBA_PROJECT_CUR",
    "VBA",
    "_VBA_PROJECT",
];

/// Names whose presence means VBA macros (Word, Excel, and any VBA project).
const MACROS: [&str; 4] = ["Macros", "_VBA_PROJECT_CUR", "VBA", "_VBA_PROJECT"];

/// Windows language ids (LCIDs) of the commoner Office install languages. Word records
/// East Asian, Spanish, German and French installs as en-US (MS-DOC 2.5.2).
const LCIDS: [(u16, &str); 45] = [
    (0x0401, "ar-SA"),
    (0x0402, "bg-BG"),
    (0x0404, "zh-TW"),
    (0x0405, "cs-CZ"),
    (0x0406, "da-DK"),
    (0x0407, "de-DE"),
    (0x0408, "el-GR"),
    (0x0409, "en-US"),
    (0x040B, "fi-FI"),
    (0x040C, "fr-FR"),
    (0x040D, "he-IL"),
    (0x040E, "hu-HU"),
    (0x0410, "it-IT"),
    (0x0411, "ja-JP"),
    (0x0412, "ko-KR"),
    (0x0413, "nl-NL"),
    (0x0414, "nb-NO"),
    (0x0415, "pl-PL"),
    (0x0416, "pt-BR"),
    (0x0418, "ro-RO"),
    (0x0419, "ru-RU"),
    (0x041A, "hr-HR"),
    (0x041B, "sk-SK"),
    (0x041D, "sv-SE"),
    (0x041F, "tr-TR"),
    (0x0422, "uk-UA"),
    (0x0423, "be-BY"),
    (0x0424, "sl-SI"),
    (0x0425, "et-EE"),
    (0x0426, "lv-LV"),
    (0x0427, "lt-LT"),
    (0x0429, "fa-IR"),
    (0x042B, "hy-AM"),
    (0x042C, "az-Latn-AZ"),
    (0x0437, "ka-GE"),
    (0x043F, "kk-KZ"),
    (0x0443, "uz-Latn-UZ"),
    (0x0804, "zh-CN"),
    (0x0809, "en-GB"),
    (0x0816, "pt-PT"),
    (0x0818, "ro-MD"),
    (0x0819, "ru-MD"),
    (0x081A, "sr-Latn-RS"),
    (0x0C0A, "es-ES"),
    (0x0C1A, "sr-Cyrl-RS"),
];

/// Metadata of a compound file.
pub fn fields(bytes: &[u8]) -> Result<Fields, String> {
    check_fat_size(bytes)?;
    let mut cf = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(|e| format!("damaged compound file: {e}"))?;
    let mut out = Fields::new();
    for name in ["\u{5}SummaryInformation", "\u{5}DocumentSummaryInformation"] {
        if let Some(s) = read_stream(&mut cf, name)? {
            let f = property_set_fields(&s).map_err(|e| format!("{}: {e}", &name[1..]))?;
            for (k, v) in f {
                // Both streams carry the code page; say it once unless they differ.
                if !(k == "codepage" && out.iter().any(|(a, b)| *a == k && *b == v)) {
                    out.push((k, v));
                }
            }
        }
    }
    out.extend(container_fields(&mut cf)?);
    Ok(out)
}

/// The fields of one property set stream (either summary stream: the section
/// FMTIDs say which; sections of other FMTIDs are skipped).
pub fn property_set_fields(stream: &[u8]) -> Result<Fields, String> {
    let mut out = Fields::new();
    for section in property_set(stream)? {
        for &(id, name, show) in table(section.fmtid) {
            if let Some((_, v)) = section.values.iter().find(|(i, _)| *i == id)
                && let Some(v) = show_value(v, show)
                && !v.is_empty()
            {
                out.push((name.to_string(), v));
            }
        }
        if let Some(cp) = section.codepage.filter(|_| !table(section.fmtid).is_empty()) {
            out.push(("codepage".to_string(), cp.to_string()));
        }
    }
    Ok(out)
}

/// The properties read from a section of this FMTID: none for one not known.
fn table(fmtid: [u8; 16]) -> &'static [(u32, &'static str, Show)] {
    match fmtid {
        FMTID_SUMMARY => &SUMMARY,
        FMTID_DOC_SUMMARY => &DOC_SUMMARY,
        _ => &[],
    }
}

/// A property value of one of the types read here.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Int(i64),
    Bool(bool),
    Text(String),
    FileTime(u64),
}

/// One section of a property set stream.
#[derive(Debug)]
struct Section {
    fmtid: [u8; 16],
    codepage: Option<u16>,
    /// By property id, in stored order, the first of any repeated id only: only the
    /// properties in the FMTID's [`table`], so that hostile sections pointing thousands of
    /// properties at one long string cost no more than a real one.
    values: Vec<(u32, Value)>,
}

/// Every section of a property set stream (MS-OLEPS 2.21), with the values
/// of the properties shown and of the types read here; others are skipped.
fn property_set(s: &[u8]) -> Result<Vec<Section>, String> {
    let bom = u16_at(s, 0).ok_or_else(|| format!("{} bytes is too short for a property set", s.len()))?;
    if bom != 0xFFFE {
        return Err(format!("not a property set (byte order mark {bom:#06x}, not 0xfffe)"));
    }
    let n = u32_at(s, 24).ok_or("property set header truncated")? as usize;
    if n > MAX_SECTIONS {
        return Err(format!("property set claims {n} sections"));
    }
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let at = 28 + 20 * i;
        let (Some(fmtid), Some(offset)) = (bytes_at::<16>(s, at), u32_at(s, at + 16)) else {
            return Err(format!("section table truncated at section {i} of {n}"));
        };
        let offset = offset as usize;
        let sec = s.get(offset..).filter(|r| !r.is_empty()).ok_or_else(|| {
            format!("section {i} starts at offset {offset}, past the end of the stream ({} bytes)", s.len())
        })?;
        out.push(section(sec, fmtid).map_err(|e| format!("section {i}: {e}"))?);
    }
    Ok(out)
}

fn section(sec: &[u8], fmtid: [u8; 16]) -> Result<Section, String> {
    let (Some(size), Some(count)) = (u32_at(sec, 0), u32_at(sec, 4)) else {
        return Err(format!("header truncated ({} bytes)", sec.len()));
    };
    let (size, count) = (size as usize, count as usize);
    if size > sec.len() {
        return Err(format!("claims {size} bytes, the stream has {} from its start", sec.len()));
    }
    if count > MAX_PROPERTIES {
        return Err(format!("claims {count} properties (at most {MAX_PROPERTIES} are read)"));
    }
    if 8 + 8 * count > size {
        return Err(format!("{count} properties do not fit in its {size} bytes"));
    }
    let sec = &sec[..size];
    let wanted = table(fmtid);
    let entry = |k: usize| (u32_at(sec, 8 + 8 * k).unwrap_or(0), u32_at(sec, 12 + 8 * k).unwrap_or(0) as usize);
    // The code page applies to every string of the section, wherever it is stored.
    let mut codepage = None;
    for k in 0..count {
        let (id, at) = entry(k);
        if id == 1 {
            // The type first: once it is in bounds, `at + 4` cannot overflow.
            match u16_at(sec, at).map(|ty| (ty, u16_at(sec, at + 4))) {
                Some((VT_I2, Some(cp))) => codepage = Some(cp),
                Some((_, Some(_))) => {}
                _ => return Err(format!("code page property at offset {at} is past the end ({size} bytes)")),
            }
            break;
        }
    }
    let mut values: Vec<(u32, Value)> = Vec::new();
    for k in 0..count {
        let (id, at) = entry(k);
        if !wanted.iter().any(|w| w.0 == id) || values.iter().any(|(i, _)| *i == id) {
            continue;
        }
        if let Some(v) = value(sec, at, codepage.unwrap_or(1252)).map_err(|e| format!("property {id}: {e}"))? {
            values.push((id, v));
        }
    }
    Ok(Section { fmtid, codepage, values })
}

/// The TypedPropertyValue at `at`: `None` for a type not read here.
fn value(sec: &[u8], at: usize, codepage: u16) -> Result<Option<Value>, String> {
    let past = |what: &str| format!("{what} at offset {at} runs past the end of the section ({} bytes)", sec.len());
    let ty = u16_at(sec, at).ok_or_else(|| past("type"))?;
    let data = at + 4;
    Ok(Some(match ty {
        VT_I2 => Value::Int(u16_at(sec, data).ok_or_else(|| past("VT_I2"))? as i16 as i64),
        VT_UI2 => Value::Int(u16_at(sec, data).ok_or_else(|| past("VT_UI2"))? as i64),
        VT_I4 => Value::Int(u32_at(sec, data).ok_or_else(|| past("VT_I4"))? as i32 as i64),
        VT_UI4 => Value::Int(u32_at(sec, data).ok_or_else(|| past("VT_UI4"))? as i64),
        VT_BOOL => Value::Bool(u16_at(sec, data).ok_or_else(|| past("VT_BOOL"))? != 0),
        VT_FILETIME => Value::FileTime(u64_at(sec, data).ok_or_else(|| past("VT_FILETIME"))?),
        VT_LPSTR => {
            let n = u32_at(sec, data).ok_or_else(|| past("VT_LPSTR"))? as usize;
            let b = sec.get(data + 4..).and_then(|r| r.get(..n)).ok_or_else(|| past(&format!("{n}-byte VT_LPSTR")))?;
            Value::Text(decode(b, codepage))
        }
        VT_LPWSTR => {
            let n = u32_at(sec, data).ok_or_else(|| past("VT_LPWSTR"))? as usize;
            let b = n
                .checked_mul(2)
                .and_then(|len| sec.get(data + 4..)?.get(..len))
                .ok_or_else(|| past(&format!("{n}-character VT_LPWSTR")))?;
            Value::Text(decode(b, CP_UTF16LE))
        }
        _ => return Ok(None),
    }))
}

/// Text up to its first NUL, from at most [`MAX_STRING`] bytes, in a Windows code page.
fn decode(b: &[u8], codepage: u16) -> String {
    let b = &b[..b.len().min(MAX_STRING)];
    match codepage {
        CP_UTF16LE | CP_UTF16BE => {
            let units = b.chunks_exact(2).map(|c| match codepage {
                CP_UTF16LE => u16::from_le_bytes([c[0], c[1]]),
                _ => u16::from_be_bytes([c[0], c[1]]),
            });
            char::decode_utf16(units.take_while(|&u| u != 0)).map(|c| c.unwrap_or('\u{FFFD}')).collect()
        }
        _ => {
            let b = b.split(|&c| c == 0).next().unwrap_or_default();
            encoding(codepage).decode_without_bom_handling(b).0.into_owned()
        }
    }
}

/// The `encoding_rs` encoding of a Windows code page; windows-1252 for any not known.
fn encoding(codepage: u16) -> &'static encoding_rs::Encoding {
    use encoding_rs::*;
    match codepage {
        CP_UTF8 => UTF_8,
        874 => WINDOWS_874,
        866 => IBM866,
        932 => SHIFT_JIS,
        936 => GBK,
        949 => EUC_KR,
        950 => BIG5,
        1250 => WINDOWS_1250,
        1251 => WINDOWS_1251,
        1253 => WINDOWS_1253,
        1254 => WINDOWS_1254,
        1255 => WINDOWS_1255,
        1256 => WINDOWS_1256,
        1257 => WINDOWS_1257,
        1258 => WINDOWS_1258,
        10000 => MACINTOSH,
        10007 => X_MAC_CYRILLIC,
        20866 => KOI8_R,
        21866 => KOI8_U,
        28592 => ISO_8859_2,
        28595 => ISO_8859_5,
        28597 => ISO_8859_7,
        28605 => ISO_8859_15,
        54936 => GB18030,
        _ => WINDOWS_1252,
    }
}

fn show_value(v: &Value, show: Show) -> Option<String> {
    Some(match (show, v) {
        (Show::Text, Value::Text(s)) => clean(s),
        (Show::Text | Show::Count, Value::Int(n)) => n.to_string(),
        (Show::Text, Value::Bool(b)) => (if *b { "yes" } else { "no" }).to_string(),
        (Show::Text | Show::Time, Value::FileTime(t)) => filetime(*t)?,
        (Show::Minutes, Value::FileTime(t)) => (t / 600_000_000).to_string(),
        (Show::Security, Value::Int(n)) => security(*n)?,
        (Show::Version, Value::Int(n)) => format!("{}.{:04}", (n >> 16) & 0xFFFF, n & 0xFFFF),
        _ => return None,
    })
}

/// A FILETIME (100 ns ticks since 1601) as RFC 3339 UTC; `None` for 0 (not set).
fn filetime(t: u64) -> Option<String> {
    const TO_UNIX: i64 = 11_644_473_600;
    if t == 0 {
        return None;
    }
    let secs = (t / 10_000_000) as i64 - TO_UNIX;
    Some(match DateTime::<Utc>::from_timestamp(secs, 0).filter(|d| d.year() <= 9999) {
        Some(d) => d.to_rfc3339_opts(SecondsFormat::Secs, true),
        None => format!("FILETIME {t}"),
    })
}

fn security(n: i64) -> Option<String> {
    const FLAGS: [(i64, &str); 4] = [
        (1, "password protected"),
        (2, "read-only recommended"),
        (4, "read-only enforced"),
        (8, "locked for annotations"),
    ];
    if n == 0 {
        return None;
    }
    let mut parts: Vec<String> = FLAGS.iter().filter(|(b, _)| n & b != 0).map(|(_, s)| s.to_string()).collect();
    if n & !0xF != 0 {
        parts.push(format!("{:#x}", n & !0xF));
    }
    Some(parts.join(", "))
}

fn read_stream(cf: &mut cfb::CompoundFile<Cursor<&[u8]>>, name: &str) -> Result<Option<Vec<u8>>, String> {
    if !cf.is_stream(name) {
        return Ok(None);
    }
    let what = || name.trim_start_matches(['\u{1}', '\u{5}']).to_string();
    let s = cf.open_stream(name).map_err(|e| format!("{}: {e}", what()))?;
    let mut buf = Vec::new();
    s.take(MAX_STREAM).read_to_end(&mut buf).map_err(|e| format!("{}: {e}", what()))?;
    Ok(Some(buf))
}

/// The root storage's CLSID and times, notable streams, macros, encryption,
/// and the install language of the program that wrote a Word file.
fn container_fields(cf: &mut cfb::CompoundFile<Cursor<&[u8]>>) -> Result<Fields, String> {
    let mut out = Fields::new();
    let root = cf.root_entry();
    if !root.clsid().is_nil() {
        let id = root.clsid().hyphenated().to_string();
        let v = match CLSIDS.iter().find(|(c, _)| *c == id) {
            Some((_, what)) => format!("{{{}}} {what}", id.to_uppercase()),
            None => format!("{{{}}}", id.to_uppercase()),
        };
        out.push(("clsid".to_string(), v));
    }
    if root.name() != "Root Entry" {
        out.push(("rootName".to_string(), clean(root.name())));
    }
    // Not set is 1601 (before the epoch here); `cfb` gives the epoch itself for a value it cannot represent.
    if let Ok(d) = root.modified().duration_since(std::time::UNIX_EPOCH)
        && let Some(t) = DateTime::<Utc>::from_timestamp(d.as_secs().min(i64::MAX as u64) as i64, 0)
        && d.as_secs() > 0
        && t.year() <= 9999
    {
        out.push(("rootModified".to_string(), t.to_rfc3339_opts(SecondsFormat::Secs, true)));
    }
    let mut notable: Vec<&str> = Vec::new();
    for e in cf.read_root_storage().take(MAX_ENTRIES) {
        if let Some(n) = NOTABLE.iter().find(|n| e.name() == **n)
            && !notable.contains(n)
        {
            notable.push(n);
        }
    }
    // In a fixed order, not the directory tree's.
    notable.sort_by_key(|n| NOTABLE.iter().position(|x| x == n));
    if !notable.is_empty() {
        let names: Vec<String> = notable.iter().map(|n| clean(n)).collect();
        out.push(("streams".to_string(), names.join(", ")));
    }
    if notable.iter().any(|n| MACROS.contains(n)) {
        out.push(("macros".to_string(), "yes".to_string()));
    }
    let mut encrypted = notable.contains(&"EncryptedPackage");
    if notable.contains(&"WordDocument")
        && let Some(fib) = read_head(cf, "WordDocument", 12)?
    {
        // FibBase: wIdent 0xA5EC, nFib, unused, lid (install language), pnNext, flags.
        if u16_at(&fib, 0) == Some(0xA5EC) {
            if let Some(lid) = u16_at(&fib, 6).filter(|&l| l != 0) {
                let v = match LCIDS.iter().find(|(l, _)| *l == lid) {
                    Some((_, tag)) => tag.to_string(),
                    None => format!("{lid:#06x}"),
                };
                out.push(("appLanguage".to_string(), v));
            }
            encrypted |= u16_at(&fib, 10).is_some_and(|f| f & 0x0100 != 0);
        }
    }
    if encrypted {
        out.push(("encrypted".to_string(), "yes".to_string()));
    }
    Ok(out)
}

/// The first `n` bytes of a stream (fewer if it is shorter).
fn read_head(cf: &mut cfb::CompoundFile<Cursor<&[u8]>>, name: &str, n: u64) -> Result<Option<Vec<u8>>, String> {
    if !cf.is_stream(name) {
        return Ok(None);
    }
    let s = cf.open_stream(name).map_err(|e| format!("{name}: {e}"))?;
    let mut buf = Vec::new();
    s.take(n).read_to_end(&mut buf).map_err(|e| format!("{name}: {e}"))?;
    Ok(Some(buf))
}

/// `cfb` reads every FAT sector the DIFAT lists before it checks them, so a
/// small file listing the same sector many times would make it allocate about
/// 127 times the file's size. Refuse a DIFAT that lists more FAT sectors than
/// the file has sectors (give or take a zero-padded header DIFAT).
fn check_fat_size(b: &[u8]) -> Result<(), String> {
    let shift = u16_at(b, 0x1E).ok_or("compound file header truncated")?;
    if shift != 9 && shift != 12 {
        return Ok(()); // cfb rejects it with its own message
    }
    let sector = 1usize << shift;
    let sectors = b.len() / sector + 1;
    const FREE: u32 = 0xFFFF_FFFF;
    const END: u32 = 0xFFFF_FFFE;
    let mut listed = (0..109).filter(|i| u32_at(b, 0x4C + 4 * i).is_some_and(|v| v != FREE)).count();
    let mut next = u32_at(b, 0x44).unwrap_or(END);
    let mut hops = 0;
    while next != END && next != FREE && hops <= sectors {
        let Some(s) = (next as usize).checked_add(1).and_then(|k| k.checked_mul(sector)).and_then(|at| b.get(at..))
        else {
            break; // past the end: cfb says so
        };
        let per = sector / 4;
        listed += (0..per - 1).filter(|i| u32_at(s, 4 * i).is_some_and(|v| v != FREE)).count();
        next = u32_at(s, 4 * (per - 1)).unwrap_or(END);
        hops += 1;
    }
    // Slack for a header DIFAT padded with zeros rather than FREESECT, which `cfb` tolerates.
    if listed > sectors + 109 {
        return Err(format!("damaged compound file: the DIFAT lists {listed} FAT sectors, the file has {sectors}"));
    }
    Ok(())
}

fn bytes_at<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    b.get(at..at.checked_add(N)?)?.try_into().ok()
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    bytes_at(b, at).map(u16::from_le_bytes)
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    bytes_at(b, at).map(u32::from_le_bytes)
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    bytes_at(b, at).map(u64::from_le_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MimeHeaders;
    use std::io::Write;

    const USER_DEFINED: [u8; 16] =
        [0x05, 0xD5, 0xCD, 0xD5, 0x9C, 0x2E, 0x1B, 0x10, 0x93, 0x97, 0x08, 0x00, 0x2B, 0x2C, 0xF9, 0xAE];
    /// 2017-05-29T06:23:00Z as a FILETIME.
    const MAY_29: u64 = 131_405_125_800_000_000;

    /// A TypedPropertyValue, padded to 4 bytes.
    fn typed(ty: u16, data: &[u8]) -> Vec<u8> {
        let mut v = [&ty.to_le_bytes()[..], &[0, 0], data].concat();
        v.resize(v.len().div_ceil(4) * 4, 0);
        v
    }
    fn i2(n: i16) -> Vec<u8> {
        typed(VT_I2, &n.to_le_bytes())
    }
    fn i4(n: i32) -> Vec<u8> {
        typed(VT_I4, &n.to_le_bytes())
    }
    fn lpstr(b: &[u8]) -> Vec<u8> {
        typed(VT_LPSTR, &[&(b.len() as u32).to_le_bytes()[..], b].concat())
    }
    fn lpwstr(s: &str) -> Vec<u8> {
        let units: Vec<u16> = s.encode_utf16().chain([0]).collect();
        let b: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
        typed(VT_LPWSTR, &[&(units.len() as u32).to_le_bytes()[..], &b].concat())
    }
    fn filetime_value(t: u64) -> Vec<u8> {
        typed(VT_FILETIME, &t.to_le_bytes())
    }
    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().chain([0]).flat_map(|u| u.to_le_bytes()).collect()
    }

    /// A PropertySet: size, count, (id, offset) table, values.
    fn section_bytes(props: &[(u32, Vec<u8>)]) -> Vec<u8> {
        let mut table = Vec::new();
        let mut values = Vec::new();
        let start = 8 + 8 * props.len();
        for (id, v) in props {
            table.extend(id.to_le_bytes());
            table.extend(((start + values.len()) as u32).to_le_bytes());
            values.extend(v);
        }
        [&((start + values.len()) as u32).to_le_bytes()[..], &(props.len() as u32).to_le_bytes(), &table, &values]
            .concat()
    }

    /// A PropertySetStream holding these sections.
    fn stream(sections: &[([u8; 16], Vec<u8>)]) -> Vec<u8> {
        let mut s = vec![0xFE, 0xFF, 0, 0, 0x05, 0x01, 0x02, 0x00];
        s.extend([0; 16]);
        s.extend((sections.len() as u32).to_le_bytes());
        let mut at = s.len() + 20 * sections.len();
        for (fmtid, sec) in sections {
            s.extend(fmtid);
            s.extend((at as u32).to_le_bytes());
            at += sec.len();
        }
        for (_, sec) in sections {
            s.extend(sec);
        }
        s
    }

    fn summary(props: &[(u32, Vec<u8>)]) -> Vec<u8> {
        stream(&[(FMTID_SUMMARY, section_bytes(props))])
    }

    fn pairs(f: &[(&str, &str)]) -> Fields {
        f.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn summary_information_with_every_type() {
        let s = summary(&[
            (1, i2(1252)),
            (2, lpstr(b"Caf\xe9 plan\0")),
            (4, lpwstr("Иван Петров")),
            (9, lpstr(b"7\0")),
            (10, filetime_value(90 * 600_000_000 + 599_999_999)),
            (11, filetime_value(0)),
            (12, filetime_value(MAY_29)),
            (13, filetime_value(MAY_29 + 3_600 * 10_000_000)),
            (14, i2(3)),
            (15, i4(956)),
            (17, typed(71, &[0xFF; 12])), // VT_CF thumbnail: skipped
            (18, lpstr(b"Microsoft Office Word\0")),
            (19, i4(5)),
            (40, typed(VT_BOOL, &[0xFF, 0xFF])), // not a summary field: skipped
        ]);
        assert_eq!(
            property_set_fields(&s).unwrap(),
            pairs(&[
                ("title", "Café plan"),
                ("creator", "Иван Петров"),
                ("revision", "7"),
                ("totalEditingMinutes", "90"),
                ("created", "2017-05-29T06:23:00Z"),
                ("modified", "2017-05-29T07:23:00Z"),
                ("pages", "3"),
                ("words", "956"),
                ("application", "Microsoft Office Word"),
                ("security", "password protected, read-only enforced"),
                ("codepage", "1252"),
            ])
        );
        let secs = property_set(&s).unwrap();
        let find = |id| secs[0].values.iter().find(|(i, _)| *i == id).map(|(_, v)| v.clone());
        assert_eq!(find(14), Some(Value::Int(3)));
        assert_eq!(find(11), Some(Value::FileTime(0)));
        assert_eq!(find(17), None);
        assert_eq!(find(40), None);
        let at = |b: &[u8]| value(&[&[0; 8][..], b].concat(), 8, 1252).unwrap();
        assert_eq!(at(&typed(VT_BOOL, &[0xFF, 0xFF])), Some(Value::Bool(true)));
        assert_eq!(at(&typed(VT_BOOL, &[0, 0])), Some(Value::Bool(false)));
        assert_eq!(at(&typed(VT_UI2, &[0xFF, 0xFF])), Some(Value::Int(65535)));
        assert_eq!(at(&typed(VT_UI4, &[0xFF; 4])), Some(Value::Int(u32::MAX as i64)));
        assert_eq!(at(&i2(-2)), Some(Value::Int(-2)));
        assert_eq!(at(&i4(-5)), Some(Value::Int(-5)));
        assert_eq!(at(&typed(71, &[1; 8])), None);
    }

    #[test]
    fn document_summary_information_and_other_sections() {
        let doc = section_bytes(&[
            (1, i2(1251)),
            (2, lpstr(b"\xce\xf2\xf7\xb8\xf2\0")),
            (14, lpwstr("Manager")),
            (15, lpstr(b"Hewlett-Packard Company\0")),
            (23, i4(0x0010_0000)),
        ]);
        let user = section_bytes(&[(1, i2(1252)), (2, lpstr(b"custom\0"))]);
        let s = stream(&[(FMTID_DOC_SUMMARY, doc), (USER_DEFINED, user)]);
        assert_eq!(
            property_set_fields(&s).unwrap(),
            pairs(&[
                ("category", "Отчёт"),
                ("manager", "Manager"),
                ("company", "Hewlett-Packard Company"),
                ("appVersion", "16.0000"),
                ("codepage", "1251"),
            ])
        );
    }

    #[test]
    fn code_pages() {
        let title = |props: &[(u32, Vec<u8>)]| {
            let f = property_set_fields(&summary(props)).unwrap();
            f.into_iter().find(|(k, _)| k == "title").map(|(_, v)| v).unwrap()
        };
        // The code page applies wherever it is stored in the section.
        assert_eq!(title(&[(2, lpstr(b"\xc4\xce\xd0\xce\xc6\xcd\xc0\xdf\0")), (1, i2(1251))]), "ДОРОЖНАЯ");
        assert_eq!(title(&[(1, i2(1200)), (2, lpstr(&utf16("Дорога ☂")))]), "Дорога ☂");
        // 65001 is stored as a VT_I2, so as -535.
        assert_eq!(title(&[(1, i2(65001u16 as i16)), (2, lpstr("Ünïcode ☂\0".as_bytes()))]), "Ünïcode ☂");
        assert_eq!(title(&[(1, i2(1252)), (2, lpstr(b"na\xefve \x80\0junk"))]), "naïve €");
        // No code page, or one not known: windows-1252.
        assert_eq!(title(&[(2, lpstr(b"caf\xe9\0"))]), "café");
        assert_eq!(title(&[(1, i2(12345)), (2, lpstr(b"caf\xe9\0"))]), "café");
        assert_eq!(title(&[(1, i2(20866)), (2, lpstr(b"\xd0\xd5\xd4\xd8\0"))]), "путь");
        // Unpaired surrogates and an odd byte do not fail.
        assert_eq!(title(&[(1, i2(1200)), (2, lpstr(&[0x00, 0xD8, 0x41, 0x00, 0x42]))]), "\u{FFFD}A");
        // VT_LPWSTR is UTF-16 whatever the code page.
        assert_eq!(title(&[(1, i2(1251)), (2, lpwstr("Zoë"))]), "Zoë");
        // Hostile values are cleaned and capped.
        let long = vec![b'a'; 200_000];
        assert_eq!(title(&[(2, lpstr(&long))]).chars().count(), 501);
        assert_eq!(title(&[(2, lpstr(b"a\x07\r\n  b\0"))]), "a b");
        assert_eq!(decode(&long, 1252).len(), MAX_STRING);
    }

    #[test]
    fn broken_property_sets_are_errors_naming_the_problem() {
        let good = summary(&[(1, i2(1251)), (2, lpstr(b"title\0")), (12, filetime_value(MAY_29))]);
        assert!(property_set_fields(&good).is_ok());
        // Every truncation fails cleanly.
        for n in 0..good.len() {
            assert!(property_set_fields(&good[..n]).is_err(), "prefix {n}");
        }
        let err = |s: &[u8]| property_set_fields(s).unwrap_err();
        assert!(err(b"").contains("too short"));
        assert!(err(&[0xFF, 0xFE, 0, 0]).contains("byte order"));
        let mut s = good.clone();
        s[24..28].copy_from_slice(&1000u32.to_le_bytes());
        assert!(err(&s).contains("1000 sections"));
        let mut s = good.clone();
        s[44..48].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(err(&s).contains("past the end of the stream"), "{}", err(&s));
        let sec_at = 48;
        let mut s = good.clone();
        s[sec_at + 4..sec_at + 8].copy_from_slice(&1_000_000u32.to_le_bytes());
        assert!(err(&s).contains("1000000 properties"));
        let mut s = good.clone();
        s[sec_at + 4..sec_at + 8].copy_from_slice(&100u32.to_le_bytes());
        assert!(err(&s).contains("do not fit"));
        let mut s = good.clone();
        s[sec_at..sec_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(err(&s).contains("claims 4294967295 bytes"));
        // A property's offset past the section, and lengths past it.
        let mut s = good.clone();
        s[sec_at + 20..sec_at + 24].copy_from_slice(&0xFFFF_FF00u32.to_le_bytes());
        assert!(err(&s).starts_with("section 0: property 2: type at offset 4294967040"), "{}", err(&s));
        let mut s = good.clone();
        s[sec_at + 12..sec_at + 16].copy_from_slice(&0xFFFF_FF00u32.to_le_bytes());
        assert!(err(&s).contains("code page property"), "{}", err(&s));
        for (ty, what) in [(VT_LPSTR, "VT_LPSTR"), (VT_LPWSTR, "VT_LPWSTR")] {
            for len in [7u32, 1 << 20, 0x8000_0000, u32::MAX] {
                let s = summary(&[(2, typed(ty, &[&len.to_le_bytes()[..], b"abcd"].concat()))]);
                assert!(err(&s).contains(what), "{}", err(&s));
            }
        }
        for ty in [VT_I2, VT_I4, VT_BOOL, VT_FILETIME] {
            let s = summary(&[(12, typed(ty, &[]))]);
            assert!(err(&s).contains("runs past the end"), "{}", err(&s));
        }
        // Thousands of properties pointing at one long string decode it once.
        let long = lpstr(&vec![0xC0; 60_000]);
        let n = MAX_PROPERTIES as u32;
        let mut sec = [&(8 + 8 * n + long.len() as u32).to_le_bytes()[..], &n.to_le_bytes()].concat();
        for k in 0..n {
            sec.extend((2 + k % 20).to_le_bytes());
            sec.extend((8 + 8 * n).to_le_bytes());
        }
        sec.extend(&long);
        let f = property_set_fields(&stream(&[(FMTID_SUMMARY, sec)])).unwrap();
        assert_eq!(f.len(), 9); // the text properties among ids 2 to 21
        // Unknown types are skipped, not errors.
        assert_eq!(property_set_fields(&summary(&[(2, typed(0x101E, &[9; 8])), (3, lpstr(b"s\0"))])).unwrap().len(), 1);
    }

    #[test]
    fn garbage_never_panics() {
        let good = summary(&[(1, i2(1200)), (2, lpstr(&utf16("title"))), (4, lpwstr("me")), (12, filetime_value(1))]);
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut rnd = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..20_000 {
            let mut s = good.clone();
            for _ in 0..1 + rnd() % 4 {
                let i = (rnd() as usize) % s.len();
                s[i] = rnd() as u8;
            }
            let _ = property_set_fields(&s);
            let n = (rnd() as usize) % 300;
            let junk: Vec<u8> = (0..n).map(|_| rnd() as u8).collect();
            let _ = property_set_fields(&junk);
            let _ = fields(&[&MAGIC[..], &junk].concat());
        }
        // Extreme FILETIMEs.
        assert_eq!(filetime(u64::MAX), Some(format!("FILETIME {}", u64::MAX)));
        assert_eq!(show_value(&Value::FileTime(u64::MAX), Show::Minutes).as_deref(), Some("30744573456"));
    }

    /// A Word-like compound file: both summary streams, a `WordDocument` whose
    /// FIB says Russian, a `Macros` storage and a Word CLSID.
    pub(crate) fn synthetic_doc() -> Vec<u8> {
        let mut cf = cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new())).unwrap();
        let si = summary(&[
            (1, i2(1251)),
            (2, lpstr(b"\xc4\xce\xd0\xce\xc6\xcd\xc0\xdf \xca\xc0\xd0\xd2\xc0\0")),
            (4, lpstr(b"USER\0")),
            (8, lpstr(b"Vladimir Malinov\0")),
            (12, filetime_value(MAY_29)),
            (18, lpstr(b"Microsoft Office Word\0")),
        ]);
        let dsi = stream(&[(FMTID_DOC_SUMMARY, section_bytes(&[(1, i2(1251)), (15, lpstr(b"ACME\0"))]))]);
        cf.create_stream("/\u{5}SummaryInformation").unwrap().write_all(&si).unwrap();
        cf.create_stream("/\u{5}DocumentSummaryInformation").unwrap().write_all(&dsi).unwrap();
        let mut fib = vec![0xEC, 0xA5, 0xC1, 0x00, 0x21, 0x00, 0x19, 0x04, 0, 0, 0, 0];
        fib.resize(1024, 0);
        cf.create_stream("/WordDocument").unwrap().write_all(&fib).unwrap();
        cf.create_storage("/Macros").unwrap();
        cf.create_stream("/Macros/PROJECT").unwrap().write_all(b"ID=\"{}\"").unwrap();
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_496_038_989);
        cf.set_modified_time("/", t).unwrap();
        cf.flush().unwrap();
        let mut b = cf.into_inner().into_inner();
        // The root entry (the first in the directory) gets Word's CLSID.
        let dir = (u32_at(&b, 0x30).unwrap() as usize + 1) * 512;
        b[dir + 0x50..dir + 0x60].copy_from_slice(&[
            0x06, 0x09, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46,
        ]);
        b
    }

    fn synthetic_fields() -> Fields {
        pairs(&[
            ("title", "ДОРОЖНАЯ КАРТА"),
            ("creator", "USER"),
            ("lastModifiedBy", "Vladimir Malinov"),
            ("created", "2017-05-29T06:23:00Z"),
            ("application", "Microsoft Office Word"),
            ("codepage", "1251"),
            ("company", "ACME"),
            ("clsid", "{00020906-0000-0000-C000-000000000046} Word 97-2003 document"),
            ("rootModified", "2017-05-29T06:23:09Z"),
            ("streams", "WordDocument, Macros"),
            ("macros", "yes"),
            ("appLanguage", "ru-RU"),
        ])
    }

    #[test]
    fn a_compound_file_written_by_cfb_reads_back() {
        let b = synthetic_doc();
        assert_eq!(crate::fingerprint::fingerprint(&b), Some(("ole", Ok(synthetic_fields()))));
    }

    fn fixture(rel: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/mail").join(rel)
    }

    #[test]
    fn the_synthetic_fixture() {
        let b = std::fs::read(fixture("ole/synthetic.doc")).unwrap();
        assert_eq!(fields(&b), Ok(synthetic_fields()));
        // Damaged copies: an error or fewer fields, never a panic.
        for n in [0, 8, 100, 511, 512, 1000, 1536, b.len() - 1] {
            let _ = fields(&b[..n]);
        }
        for i in (0..b.len()).step_by(7) {
            let mut d = b.clone();
            d[i] ^= 0x5A;
            let _ = fields(&d);
        }
    }

    /// Writes `testdata/mail/ole/synthetic.doc` (see the README there).
    #[test]
    #[ignore]
    fn write_synthetic_fixture() {
        std::fs::write(fixture("ole/synthetic.doc"), synthetic_doc()).unwrap();
    }

    #[test]
    fn a_difat_listing_too_many_fat_sectors_is_refused_before_allocating() {
        // A header whose DIFAT chain lists sector 0 as a FAT sector 127 times a sector.
        let mut b = synthetic_doc();
        let sectors = b.len() / 512;
        b[0x44..0x48].copy_from_slice(&0u32.to_le_bytes());
        b[0x48..0x4C].copy_from_slice(&(sectors as u32).to_le_bytes());
        for k in 0..sectors - 1 {
            let at = (k + 1) * 512;
            for i in 0..127 {
                b[at + 4 * i..at + 4 * i + 4].copy_from_slice(&0u32.to_le_bytes());
            }
            b[at + 508..at + 512].copy_from_slice(&((k + 1) as u32).to_le_bytes());
        }
        let e = fields(&b).unwrap_err();
        assert!(e.contains("the DIFAT lists"), "{e}");
        assert!(fields(&[&MAGIC[..], &[0; 100]].concat()).unwrap_err().starts_with("damaged compound file"));
        assert!(fields(&MAGIC).unwrap_err().contains("truncated"));
    }

    #[test]
    fn the_real_leaked_word_document() {
        let raw = std::fs::read(fixture("zobnin-2017/message.eml")).unwrap();
        let msg = mail_parser::MessageParser::default().parse(&raw).unwrap();
        let doc = msg
            .attachments()
            .find(|a| a.attachment_name().is_some_and(|n| n.ends_with(".doc")))
            .expect("the .doc attachment");
        assert_eq!(doc.attachment_name(), Some("Road-map_RUS_clean с коррективами.doc"));
        let (kind, f) = crate::fingerprint::fingerprint(doc.contents()).unwrap();
        let f = f.unwrap();
        for (k, v) in &f {
            println!("{k}: {v}");
        }
        assert_eq!(kind, "ole");
        assert_eq!(
            f,
            pairs(&[
                ("title", "ДОРОЖНАЯ КАРТА"),
                ("creator", "USER"),
                ("template", "Normal"),
                ("lastModifiedBy", "Vladimir Malinov"),
                ("revision", "2"),
                ("totalEditingMinutes", "1"),
                ("lastPrinted", "2017-05-29T06:21:00Z"),
                ("created", "2017-05-29T06:23:00Z"),
                ("modified", "2017-05-29T06:23:00Z"),
                ("pages", "4"),
                ("words", "956"),
                ("characters", "5451"),
                ("application", "Microsoft Office Word"),
                ("codepage", "1251"),
                ("company", "Hewlett-Packard Company"),
                ("appVersion", "16.0000"),
                ("clsid", "{00020906-0000-0000-C000-000000000046} Word 97-2003 document"),
                ("rootModified", "2017-05-29T06:23:09Z"),
                ("streams", "WordDocument"),
                ("appLanguage", "bg-BG"),
            ])
        );
    }
}
