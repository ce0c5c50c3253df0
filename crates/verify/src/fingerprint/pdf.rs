//! PDF metadata: the Info dictionary and the XMP packet.
//!
//! A small parser over the bytes rather than a PDF library: only two things
//! are needed (one dictionary of strings, one XML packet), the PDF crates
//! pull in font and image code many times this size, and a forensic reader
//! must survive damaged and hostile files, which a full object model tends
//! not to. It finds the `/Info` reference of the last trailer, the object it
//! points to (also inside compressed object streams), and the
//! `<x:xmpmeta>` packet (also in compressed metadata streams).

use std::io::Read;

use super::{Fields, clean, ooxml::xml_fields};

/// Inflated streams larger than this are cut (a PDF bomb must not stop a run).
pub const MAX_INFLATE: u64 = 16 << 20;
/// All inflated streams of one PDF together are at most this.
pub const MAX_INFLATE_TOTAL: u64 = 64 << 20;
/// Streams inflated per PDF (object streams and metadata only).
pub const MAX_STREAMS: usize = 64;

const INFO_KEYS: [(&str, &str); 9] = [
    ("Title", "title"),
    ("Author", "author"),
    ("Subject", "subject"),
    ("Keywords", "keywords"),
    ("Creator", "creator"),
    ("Producer", "producer"),
    ("CreationDate", "created"),
    ("ModDate", "modified"),
    ("Company", "company"),
];

const XMP_KEYS: [(&str, &str); 10] = [
    ("creator", "xmp:creator"),
    ("title", "xmp:title"),
    ("CreatorTool", "xmp:creatorTool"),
    ("Producer", "xmp:producer"),
    ("CreateDate", "xmp:created"),
    ("ModifyDate", "xmp:modified"),
    ("MetadataDate", "xmp:metadataDate"),
    ("DocumentID", "xmp:documentId"),
    ("InstanceID", "xmp:instanceId"),
    ("OriginalDocumentID", "xmp:originalDocumentId"),
];

/// Metadata of a PDF; whatever can be found, nothing when it is damaged.
pub fn fields(pdf: &[u8]) -> Fields {
    let mut out = Fields::new();
    if let Some(v) = pdf.get(5..8).filter(|v| v.iter().all(|b| b.is_ascii_digit() || *b == b'.')) {
        out.push(("pdfVersion".into(), String::from_utf8_lossy(v).into_owned()));
    }
    let streams = inflated_streams(pdf);
    if let Some(dict) = info_dict(pdf, &streams) {
        out.extend(dict_strings(dict));
    }
    let xmp = find_between(pdf, b"<x:xmpmeta", b"</x:xmpmeta>")
        .or_else(|| streams.iter().find_map(|(_, s)| find_between(s, b"<x:xmpmeta", b"</x:xmpmeta>")));
    if let Some(x) = xmp {
        out.extend(xml_fields(x, &XMP_KEYS));
    }
    let updates = count(pdf, b"%%EOF");
    if updates > 1 {
        out.push(("incrementalUpdates".into(), (updates - 1).to_string()));
    }
    out
}

fn count(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    memchr::memmem::find(hay.get(from..)?, needle).map(|p| p + from)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::rfind(hay, needle)
}

fn find_between<'a>(hay: &'a [u8], start: &[u8], end: &[u8]) -> Option<&'a [u8]> {
    let s = find(hay, start, 0)?;
    let e = find(hay, end, s)?;
    Some(&hay[s..e + end.len()])
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0')
}

fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && is_ws(s[i]) {
        i += 1;
    }
    i
}

fn read_int(s: &[u8], i: usize) -> Option<(u64, usize)> {
    let start = skip_ws(s, i);
    let mut end = start;
    while end < s.len() && s[end].is_ascii_digit() && end - start < 12 {
        end += 1;
    }
    if end == start {
        return None;
    }
    Some((std::str::from_utf8(&s[start..end]).ok()?.parse().ok()?, end))
}

/// The object number of the last `/Info N G R`.
fn info_ref(pdf: &[u8]) -> Option<u64> {
    let at = rfind(pdf, b"/Info")?;
    let (n, i) = read_int(pdf, at + 5)?;
    let (_, i) = read_int(pdf, i)?;
    (pdf.get(skip_ws(pdf, i)) == Some(&b'R')).then_some(n)
}

/// The dictionary of the Info object, wherever it is.
fn info_dict<'a>(pdf: &'a [u8], streams: &'a [(Vec<u8>, Vec<u8>)]) -> Option<&'a [u8]> {
    let n = info_ref(pdf).or_else(|| streams.iter().find_map(|(d, _)| info_ref(d)))?;
    if let Some(d) = object_dict(pdf, n) {
        return Some(d);
    }
    streams.iter().filter(|(d, _)| find(d, b"/ObjStm", 0).is_some()).find_map(|(d, s)| object_in_stream(d, s, n))
}

/// `n G obj << … >>` in the file body (the last definition wins, as in
/// incremental updates).
fn object_dict(pdf: &[u8], n: u64) -> Option<&[u8]> {
    let needle = format!("{n} 0 obj");
    let mut best = None;
    let mut from = 0;
    while let Some(p) = find(pdf, needle.as_bytes(), from) {
        if p == 0 || !pdf[p - 1].is_ascii_digit() {
            best = Some(p + needle.len());
        }
        from = p + 1;
    }
    dict_at(pdf, skip_ws(pdf, best?))
}

/// Object `n` inside an object stream (`/N` pairs of number and offset, then
/// the objects from `/First`).
fn object_in_stream<'a>(dict: &[u8], data: &'a [u8], n: u64) -> Option<&'a [u8]> {
    let count = read_int(dict, find(dict, b"/N", 0)? + 2)?.0;
    let first = read_int(dict, find(dict, b"/First", 0)? + 6)?.0 as usize;
    let mut i = 0;
    for _ in 0..count.min(100_000) {
        let (num, j) = read_int(data, i)?;
        let (off, j) = read_int(data, j)?;
        i = j;
        if num == n {
            let at = skip_ws(data, first.checked_add(off as usize)?);
            return dict_at(data, at);
        }
    }
    None
}

/// The `<< … >>` starting at `i`, with nesting.
fn dict_at(s: &[u8], i: usize) -> Option<&[u8]> {
    if s.get(i..i + 2) != Some(b"<<") {
        return None;
    }
    let mut depth = 0i32;
    let mut j = i;
    while j + 1 < s.len() {
        match (s[j], s[j + 1]) {
            (b'<', b'<') => {
                depth += 1;
                j += 2;
            }
            (b'>', b'>') => {
                depth -= 1;
                j += 2;
                if depth == 0 {
                    return Some(&s[i..j]);
                }
            }
            (b'(', _) => j = literal_end(s, j),
            _ => j += 1,
        }
    }
    None
}

/// Index after the literal string starting at `i` (`(`), with escapes and nesting.
fn literal_end(s: &[u8], i: usize) -> usize {
    let mut depth = 0;
    let mut j = i;
    while j < s.len() {
        match s[j] {
            b'\\' => j += 1,
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return j + 1;
                }
            }
            _ => {}
        }
        j += 1;
    }
    s.len()
}

/// String values of the known Info keys.
fn dict_strings(dict: &[u8]) -> Fields {
    let mut out = Fields::new();
    for (key, name) in INFO_KEYS {
        let needle = format!("/{key}");
        let mut from = 0;
        while let Some(p) = find(dict, needle.as_bytes(), from) {
            from = p + needle.len();
            // Whole key only: "/Creator" must not match "/CreatorTool".
            if dict.get(from).is_some_and(|b| b.is_ascii_alphanumeric()) {
                continue;
            }
            let i = skip_ws(dict, from);
            let value = match dict.get(i) {
                Some(b'(') => {
                    Some(decode_text(&unescape_literal(&dict[i + 1..literal_end(dict, i).saturating_sub(1)])))
                }
                Some(b'<') if dict.get(i + 1) != Some(&b'<') => {
                    let end = find(dict, b">", i).unwrap_or(dict.len());
                    Some(decode_text(&unhex(&dict[i + 1..end])))
                }
                _ => None,
            };
            if let Some(v) = value.map(|v| clean(&v)).filter(|v| !v.is_empty()) {
                out.push((name.to_string(), v));
            }
            break;
        }
    }
    out
}

fn unescape_literal(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] != b'\\' {
            out.push(s[i]);
            i += 1;
            continue;
        }
        i += 1;
        let Some(&c) = s.get(i) else { break };
        match c {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'\r' | b'\n' => {
                if c == b'\r' && s.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'0'..=b'7' => {
                let mut v = 0u32;
                let mut k = 0;
                while k < 3 && s.get(i + k).is_some_and(|d| (b'0'..=b'7').contains(d)) {
                    v = v * 8 + (s[i + k] - b'0') as u32;
                    k += 1;
                }
                out.push(v as u8);
                i += k;
                continue;
            }
            other => out.push(other),
        }
        i += 1;
    }
    out
}

fn unhex(s: &[u8]) -> Vec<u8> {
    let digits: Vec<u8> = s
        .iter()
        .filter_map(|&b| match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        })
        .collect();
    digits.chunks(2).map(|c| c[0] << 4 | c.get(1).copied().unwrap_or(0)).collect()
}

/// PDF text strings: UTF-16BE with a byte-order mark, UTF-8 with one, or
/// PDFDocEncoding (read as Latin-1, which it matches for letters).
fn decode_text(b: &[u8]) -> String {
    if let Some(rest) = b.strip_prefix(&[0xfe, 0xff]) {
        let units: Vec<u16> =
            rest.chunks(2).map(|c| u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)])).collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(rest) = b.strip_prefix(&[0xef, 0xbb, 0xbf]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    b.iter().map(|&c| c as char).collect()
}

/// (dictionary, inflated data) of every Flate stream that is an object
/// stream or metadata; at most `MAX_STREAMS` streams of `MAX_INFLATE` bytes,
/// `MAX_INFLATE_TOTAL` in all. Linear in the file: each byte is scanned a
/// bounded number of times, whatever a hostile file repeats.
fn inflated_streams(pdf: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    let mut from = 0;
    let mut budget = MAX_INFLATE_TOTAL;
    // The dictionary of a stream lies after the keyword before it.
    let mut after_previous = 0;
    while let Some(p) = find(pdf, b"stream", from) {
        from = p + 6;
        let floor = after_previous;
        after_previous = from;
        if p >= 3 && &pdf[p - 3..p] == b"end" {
            continue;
        }
        // The stream's dictionary ends just before the keyword.
        let Some(dict_start) = rfind(&pdf[floor..p], b"<<").map(|d| d + floor) else { continue };
        let dict = &pdf[dict_start..p];
        let wanted = find(dict, b"/ObjStm", 0).is_some() || find(dict, b"/Metadata", 0).is_some();
        if !wanted || find(dict, b"/FlateDecode", 0).is_none() {
            continue;
        }
        let mut start = p + 6;
        if pdf.get(start) == Some(&b'\r') {
            start += 1;
        }
        if pdf.get(start) == Some(&b'\n') {
            start += 1;
        }
        let end = find(pdf, b"endstream", start).unwrap_or(pdf.len());
        let mut data = Vec::new();
        let dec = flate2::read::ZlibDecoder::new(&pdf[start..end]);
        let _ = dec.take(MAX_INFLATE.min(budget)).read_to_end(&mut data);
        budget -= data.len() as u64;
        if !data.is_empty() {
            out.push((dict.to_vec(), data));
        }
        from = end.max(from);
        after_previous = from;
        if out.len() >= MAX_STREAMS || budget == 0 {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn info_dictionary_and_xmp() {
        let pdf = b"%PDF-1.4\n1 0 obj\n<< /Title (Budget \\(draft\\)) /Author <FEFF0418043204300436> /Creator (Microsoft\\256 Word 2016) /Producer (x) /CreationDate (D:20170529140200+03'00') >>\nendobj\n\
            2 0 obj\n<< /Type /Metadata >>\nstream\n<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF><rdf:Description xmp:CreatorTool=\"Word\"><dc:creator><rdf:Seq><rdf:li>Ivan</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>\nendstream\nendobj\n\
            trailer\n<< /Root 3 0 R /Info 1 0 R >>\n%%EOF\n";
        let f = fields(pdf);
        let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("title"), Some("Budget (draft)"));
        assert_eq!(get("author"), Some("\u{418}\u{432}\u{430}\u{436}"));
        assert_eq!(get("creator"), Some("Microsoft® Word 2016"));
        assert_eq!(get("created"), Some("D:20170529140200+03'00'"));
        assert_eq!(get("xmp:creatorTool"), Some("Word"));
        assert_eq!(get("xmp:creator"), Some("Ivan"));
        assert_eq!(get("pdfVersion"), Some("1.4"));
    }

    #[test]
    fn info_inside_an_object_stream() {
        let objs = b"5 0 << /Producer (LibreOffice 6.0) /Author (Anna) >>";
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(objs).unwrap();
        let data = z.finish().unwrap();
        let mut pdf =
            b"%PDF-1.5\n7 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length 10 >>\nstream\n".to_vec();
        pdf.extend_from_slice(&data);
        pdf.extend_from_slice(
            b"\nendstream\nendobj\n8 0 obj\n<< /Type /XRef /Info 5 0 R >>\nstream\nendstream\n%%EOF\n",
        );
        let f = fields(&pdf);
        assert!(f.contains(&("producer".into(), "LibreOffice 6.0".into())), "{f:?}");
        assert!(f.contains(&("author".into(), "Anna".into())), "{f:?}");
    }

    #[test]
    fn damage_gives_less_not_a_panic() {
        for cut in [0, 5, 20, 60] {
            let pdf = b"%PDF-1.4\n1 0 obj\n<< /Title (abc /Info 1 0 R";
            let _ = fields(&pdf[..cut.min(pdf.len())]);
        }
        let _ = fields(b"%PDF-1.7 /Info 99999999999999999999 0 R");
    }
}
