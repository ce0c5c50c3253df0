//! Image EXIF (JPEG, TIFF, PNG, WebP, HEIF) through `kamadak-exif`, a
//! small pure-Rust reader: camera, software, times with their offsets,
//! owner names and whether GPS coordinates are present.

use std::io::Cursor;

use exif::{In, Tag};

use super::{Fields, clean};

const TAGS: [(Tag, &str); 14] = [
    (Tag::Make, "make"),
    (Tag::Model, "model"),
    (Tag::Software, "software"),
    (Tag::Artist, "artist"),
    (Tag::Copyright, "copyright"),
    (Tag::DateTime, "modified"),
    (Tag::DateTimeOriginal, "taken"),
    (Tag::OffsetTimeOriginal, "takenOffset"),
    (Tag::OffsetTime, "modifiedOffset"),
    (Tag::BodySerialNumber, "cameraSerial"),
    (Tag::CameraOwnerName, "cameraOwner"),
    (Tag::LensModel, "lens"),
    (Tag::GPSLatitude, "gpsLatitude"),
    (Tag::GPSLongitude, "gpsLongitude"),
];

pub fn is_image(b: &[u8]) -> bool {
    b.starts_with(&[0xff, 0xd8, 0xff])
        || b.starts_with(b"\x89PNG")
        || b.starts_with(b"II*\0")
        || b.starts_with(b"MM\0*")
        || (b.len() > 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP")
        || (b.len() > 12 && &b[4..8] == b"ftyp")
}

pub fn fields(bytes: &[u8]) -> Result<Fields, String> {
    let exif = match exif::Reader::new().read_from_container(&mut Cursor::new(bytes)) {
        Ok(e) => e,
        Err(exif::Error::NotFound(_)) => return Ok(Fields::new()),
        Err(e) => return Err(format!("EXIF unreadable: {e}")),
    };
    let mut out = Fields::new();
    for (tag, name) in TAGS {
        if let Some(f) = exif.get_field(tag, In::PRIMARY) {
            let v = clean(&f.display_value().with_unit(&exif).to_string());
            let v = v.trim_matches('"').to_string();
            if !v.is_empty() {
                out.push((name.to_string(), v));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jpeg_with_exif() {
        // A minimal JPEG whose APP1 holds a TIFF with Make = "Acme".
        let tiff: Vec<u8> = [
            &b"MM\0*\0\0\0\x08"[..],
            &[0, 1],                                      // one entry
            &[0x01, 0x0f, 0, 2, 0, 0, 0, 5, 0, 0, 0, 26], // Make, ASCII, 5 bytes at 26
            &[0, 0, 0, 0],                                // no next IFD
            b"Acme\0",
        ]
        .concat();
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let mut jpeg = vec![0xff, 0xd8, 0xff, 0xe1];
        jpeg.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        jpeg.extend_from_slice(&app1);
        jpeg.extend_from_slice(&[0xff, 0xd9]);
        assert!(is_image(&jpeg));
        assert_eq!(fields(&jpeg).unwrap(), vec![("make".to_string(), "Acme".to_string())]);
        assert!(fields(&[0xff, 0xd8, 0xff, 0xe1, 0, 4, 1, 2]).is_err() || fields(&[0xff, 0xd8, 0xff]).is_ok());
    }
}
