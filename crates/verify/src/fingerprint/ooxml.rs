//! Office Open XML (docx, xlsx, pptx): `docProps/core.xml` (who and when),
//! `docProps/app.xml` (which program, company, template) and the default
//! language of a Word document (`word/styles.xml`).

use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::Event;

use super::{Fields, clean};

/// Parts larger than this are not read (a zip bomb must not stop a run).
const MAX_PART: u64 = 4 << 20;

const CORE: [(&str, &str); 11] = [
    ("creator", "creator"),
    ("lastModifiedBy", "lastModifiedBy"),
    ("created", "created"),
    ("modified", "modified"),
    ("lastPrinted", "lastPrinted"),
    ("revision", "revision"),
    ("title", "title"),
    ("subject", "subject"),
    ("description", "description"),
    ("keywords", "keywords"),
    ("language", "language"),
];

const APP: [(&str, &str); 8] = [
    ("Application", "application"),
    ("AppVersion", "appVersion"),
    ("Company", "company"),
    ("Manager", "manager"),
    ("Template", "template"),
    ("TotalTime", "totalEditingMinutes"),
    ("Pages", "pages"),
    ("HyperlinkBase", "hyperlinkBase"),
];

/// `None` when the zip is not an OOXML document.
pub fn fields(bytes: &[u8]) -> Option<Result<Fields, String>> {
    let mut zip = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(z) => z,
        Err(e) => return Some(Err(format!("damaged zip: {e}"))),
    };
    let core = read_part(&mut zip, "docProps/core.xml");
    let app = read_part(&mut zip, "docProps/app.xml");
    if core.is_none() && app.is_none() && zip.by_name("[Content_Types].xml").is_err() {
        return None;
    }
    let mut out = Fields::new();
    if let Some(x) = core {
        out.extend(xml_fields(&x, &CORE));
    }
    if let Some(x) = app {
        out.extend(xml_fields(&x, &APP));
    }
    if let Some(x) = read_part(&mut zip, "word/styles.xml") {
        out.extend(word_language(&x));
    }
    Some(Ok(out))
}

fn read_part(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Option<Vec<u8>> {
    let f = zip.by_name(name).ok()?;
    let mut buf = Vec::new();
    f.take(MAX_PART).read_to_end(&mut buf).ok()?;
    Some(buf)
}

/// Text of the elements whose local names are listed, renamed (nested
/// markup inside such an element, as XMP's `rdf:Seq`, contributes its text),
/// and attributes with those local names (XMP's short form).
pub fn xml_fields(xml: &[u8], wanted: &[(&str, &str)]) -> Fields {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut out = Fields::new();
    // The element being collected: output name, text, nesting depth inside it.
    let mut current: Option<(&str, String, usize)> = None;
    let find = |local: &str| wanted.iter().find(|(n, _)| *n == local).map(|(_, o)| *o);
    let attrs = |e: &quick_xml::events::BytesStart<'_>, out: &mut Fields| {
        for a in e.attributes().flatten() {
            if let Some(name) = find(a.key.local_name().as_ref())
                && let Ok(v) = a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
            {
                let v = clean(&v);
                if !v.is_empty() {
                    out.push((name.to_string(), v));
                }
            }
        }
    };
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => match &mut current {
                Some((_, s, depth)) => {
                    *depth += 1;
                    if !s.is_empty() && !s.ends_with("; ") {
                        s.push_str("; ");
                    }
                }
                None => {
                    attrs(&e, &mut out);
                    current = find(e.local_name().as_ref()).map(|o| (o, String::new(), 0));
                }
            },
            Ok(Event::Empty(e)) if current.is_none() => attrs(&e, &mut out),
            Ok(Event::Text(t)) => {
                if let Some((_, s, _)) = &mut current {
                    s.push_str(&t.xml10_content());
                }
            }
            Ok(Event::GeneralRef(r)) => {
                if let Some((_, s, _)) = &mut current {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => s.push(c),
                        _ => s.push_str(match &*r {
                            "amp" => "&",
                            "lt" => "<",
                            "gt" => ">",
                            "quot" => "\"",
                            "apos" => "'",
                            _ => "",
                        }),
                    }
                }
            }
            Ok(Event::CData(t)) => {
                if let Some((_, s, _)) = &mut current {
                    s.push_str(&t.into_inner());
                }
            }
            Ok(Event::End(_)) => match &mut current {
                Some((_, _, depth)) if *depth > 0 => *depth -= 1,
                Some(_) => {
                    let (name, s, _) = current.take().expect("matched Some");
                    let v = clean(s.trim_end_matches("; ").trim_start_matches("; "));
                    let v = v.trim_matches(|c: char| c == ';' || c.is_whitespace()).to_string();
                    if !v.is_empty() {
                        out.push((name.to_string(), v));
                    }
                }
                None => {}
            },
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    out
}

/// The document's default language (`w:docDefaults/…/w:lang`).
fn word_language(xml: &[u8]) -> Fields {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.local_name().as_ref() == "lang" => {
                let mut out = Fields::new();
                for a in e.attributes().flatten() {
                    let key = match a.key.local_name().as_ref() {
                        "val" => "wordLanguage",
                        "eastAsia" => "wordLanguageEastAsia",
                        "bidi" => "wordLanguageBidi",
                        _ => continue,
                    };
                    if let Ok(v) = a.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
                        out.push((key.to_string(), clean(&v)));
                    }
                }
                return out;
            }
            Ok(Event::Eof) | Err(_) => return Fields::new(),
            _ => {}
        }
        buf.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    pub(crate) fn docx(core: &str, app: &str) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let o = zip::write::SimpleFileOptions::default();
        w.start_file("[Content_Types].xml", o).unwrap();
        w.write_all(b"<Types/>").unwrap();
        w.start_file("docProps/core.xml", o).unwrap();
        w.write_all(core.as_bytes()).unwrap();
        w.start_file("docProps/app.xml", o).unwrap();
        w.write_all(app.as_bytes()).unwrap();
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn core_and_app_properties() {
        let core = r#"<?xml version="1.0"?><cp:coreProperties xmlns:cp="x" xmlns:dc="y" xmlns:dcterms="z">
            <dc:creator>Ivan &amp; Co</dc:creator><cp:lastModifiedBy>user</cp:lastModifiedBy>
            <dcterms:created>2017-05-29T10:00:00Z</dcterms:created></cp:coreProperties>"#;
        let app = "<Properties><Application>Microsoft Office Word</Application><Company>ACME</Company></Properties>";
        let f = fields(&docx(core, app)).unwrap().unwrap();
        assert_eq!(
            f,
            [
                ("creator", "Ivan & Co"),
                ("lastModifiedBy", "user"),
                ("created", "2017-05-29T10:00:00Z"),
                ("application", "Microsoft Office Word"),
                ("company", "ACME")
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(matches!(fields(b"PK\x03\x04garbage"), Some(Err(_))));
    }
}
