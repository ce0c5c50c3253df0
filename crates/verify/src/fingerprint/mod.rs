//! Attachment "digital fingerprints": the author names, software, dates,
//! time zones and language settings that documents and photos carry inside
//! them, and that may contradict a leak's claimed origin.

pub mod image;
pub mod ole;
pub mod ooxml;
pub mod pdf;

/// Metadata fields of one file, in the order found.
pub type Fields = Vec<(String, String)>;

/// What kind of file this is, and its metadata; `Err` names what could not be read.
pub fn fingerprint(bytes: &[u8]) -> Option<(&'static str, Result<Fields, String>)> {
    if bytes.starts_with(b"PK\x03\x04") {
        return ooxml::fields(bytes).map(|r| ("ooxml", r));
    }
    if bytes.starts_with(&ole::MAGIC) {
        return Some(("ole", ole::fields(bytes)));
    }
    if bytes.starts_with(b"%PDF-") {
        return Some(("pdf", Ok(pdf::fields(bytes))));
    }
    if image::is_image(bytes) {
        return Some(("exif", image::fields(bytes)));
    }
    None
}

/// Collapse white space and cap the length: metadata values are shown in
/// one-line reports and may be hostile.
pub(crate) fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(512));
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
        if out.len() > 500 {
            let mut cut = 500;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
            out.push('…');
            break;
        }
    }
    out.chars().filter(|c| !c.is_control()).collect()
}
