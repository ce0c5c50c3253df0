//! Perceptual hashes of the images posts carry, so that the same picture
//! posted by two accounts is one object to coordination analyses even after
//! it was re-encoded or resized.
//!
//! A hash is 64 bits (pHash: the low frequencies of the 2D DCT of a 16×16
//! grey thumbnail against their mean, computed by `image_hasher`), stored as
//! an `i64`; two images are near-identical when few bits differ (Hamming
//! distance, see `leaktrace_coord`'s `co-image`). Files are decoded with
//! bounds, because a photo in a leak may be built to stop its reader: a file
//! larger than [`MAX_IMAGE_BYTES`] is not opened, a decoder may not allocate
//! more than [`MAX_DECODE_ALLOC`] nor accept sides over [`MAX_IMAGE_SIDE`]
//! (a decompression bomb is refused from its header), and a path from the
//! evidence is only followed inside the export's own folder.
//!
//! This module reads files and never writes; a file that cannot be hashed is
//! counted in [`MediaStats`] and leaves its post without that hash, never
//! stops an ingest.

use std::io::{Cursor, Read};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use image_hasher::{HashAlg, Hasher, HasherConfig};

/// Largest image file opened (a phone photo is a few MiB).
pub const MAX_IMAGE_BYTES: u64 = 32 << 20;
/// Longest side of an image decoded, in pixels.
pub const MAX_IMAGE_SIDE: u32 = 16_384;
/// Most memory a decoder may allocate (a 48-megapixel RGBA image is 192 MiB).
pub const MAX_DECODE_ALLOC: u64 = 256 << 20;

/// What happened to the media files of one source.
#[derive(Debug, Default)]
pub struct MediaStats {
    pub hashed: AtomicU64,
    pub failed: AtomicU64,
    /// The first failure, for the ingest summary.
    pub first_failure: Mutex<Option<String>>,
}

impl MediaStats {
    fn fail(&self, what: String) {
        if self.failed.fetch_add(1, Ordering::Relaxed) == 0 {
            *self.first_failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(what);
        }
    }

    /// Hash the image at `rel` under `root`, counting the outcome.
    pub fn hash_file(&self, root: &Path, rel: &str) -> Option<i64> {
        match hash_file(root, rel) {
            Ok(h) => {
                self.hashed.fetch_add(1, Ordering::Relaxed);
                Some(h)
            }
            Err(e) => {
                self.fail(format!("{rel}: {e}"));
                None
            }
        }
    }
}

fn hasher() -> &'static Hasher {
    static HASHER: OnceLock<Hasher> = OnceLock::new();
    HASHER.get_or_init(|| HasherConfig::new().hash_alg(HashAlg::Mean).preproc_dct().hash_size(8, 8).to_hasher())
}

/// The perceptual hash of an encoded image (JPEG, PNG or WebP), decoded
/// within the bounds above.
pub fn hash_image_bytes(bytes: &[u8]) -> Result<i64, String> {
    let mut reader =
        image::ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| format!("cannot read: {e}"))?;
    if reader.format().is_none() {
        return Err("not a JPEG, PNG or WebP image".into());
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| format!("cannot decode: {e}"))?;
    let hash = hasher().hash_image(&img);
    let bytes: [u8; 8] = hash.as_bytes().try_into().map_err(|_| "unexpected hash size".to_string())?;
    Ok(i64::from_be_bytes(bytes))
}

/// `rel` joined to `root` when it is a relative path that stays inside it
/// (no `..`, no root or drive, no symbolic link leading out).
pub fn resolve_inside(root: &Path, rel: &str) -> Result<PathBuf, String> {
    let p = Path::new(rel);
    if rel.is_empty() || !p.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir)) {
        return Err("not a path inside the export's folder".into());
    }
    let joined = root.join(p);
    let (real, base) = (
        joined.canonicalize().map_err(|e| format!("cannot open: {e}"))?,
        root.canonicalize().map_err(|e| format!("export folder: {e}"))?,
    );
    if !real.starts_with(&base) {
        return Err("a link leading out of the export's folder".into());
    }
    Ok(real)
}

/// The perceptual hash of the image file at `rel` under `root`.
pub fn hash_file(root: &Path, rel: &str) -> Result<i64, String> {
    let path = resolve_inside(root, rel)?;
    let f = std::fs::File::open(&path).map_err(|e| format!("cannot open: {e}"))?;
    let size = f.metadata().map_err(|e| format!("cannot open: {e}"))?.len();
    if size > MAX_IMAGE_BYTES {
        return Err(format!("{size} bytes, more than an image may have ({MAX_IMAGE_BYTES})"));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // Bounded again: the file may grow after its size was read.
    f.take(MAX_IMAGE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_IMAGE_BYTES {
        return Err(format!("more than an image may have ({MAX_IMAGE_BYTES} bytes)"));
    }
    hash_image_bytes(&bytes)
}

/// Hamming distance of two hashes.
pub fn distance(a: i64, b: i64) -> u32 {
    (a ^ b).count_ones()
}

/// A hash as 16 hexadecimal digits (how evidence names an image).
pub fn hex(h: i64) -> String {
    format!("{:016x}", h as u64)
}

/// A hash written as 16 hexadecimal digits (`0x` allowed), as a CSV of
/// hashes computed elsewhere gives them.
pub fn parse_hex(s: &str) -> Option<i64> {
    let s = s.trim();
    let s = s.strip_prefix("0x").unwrap_or(s);
    (s.len() == 16).then(|| u64::from_str_radix(s, 16).ok().map(|v| v as i64)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_paths_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("export");
        std::fs::create_dir_all(root.join("photos")).unwrap();
        std::fs::write(dir.path().join("secret.jpg"), b"x").unwrap();
        std::fs::write(root.join("photos/a.jpg"), b"x").unwrap();
        assert!(resolve_inside(&root, "photos/a.jpg").is_ok());
        for bad in ["../secret.jpg", "photos/../../secret.jpg", "/etc/passwd", ""] {
            assert!(resolve_inside(&root, bad).is_err(), "{bad}");
        }
        std::os::unix::fs::symlink(dir.path().join("secret.jpg"), root.join("photos/link.jpg")).unwrap();
        let e = resolve_inside(&root, "photos/link.jpg").unwrap_err();
        assert!(e.contains("leading out"), "{e}");
    }

    #[test]
    fn bombs_and_non_images_are_refused() {
        assert!(hash_image_bytes(b"not an image at all").unwrap_err().contains("not a JPEG"));
        // A PNG header claiming 100000 x 100000 pixels: refused from the header.
        let png = png_header(100_000, 100_000);
        let e = hash_image_bytes(&png).unwrap_err();
        assert!(e.contains("cannot decode"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.jpg");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_IMAGE_BYTES + 1).unwrap();
        assert!(hash_file(dir.path(), "big.jpg").unwrap_err().contains("more than an image may have"));
    }

    /// The signature and IHDR chunk of a PNG of the given size (no data).
    fn png_header(w: u32, h: u32) -> Vec<u8> {
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend_from_slice(&w.to_be_bytes());
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
        out.extend_from_slice(&13u32.to_be_bytes());
        out.extend_from_slice(&ihdr);
        out.extend_from_slice(&crc32(&ihdr).to_be_bytes());
        out
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for &b in data {
            c ^= b as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            }
        }
        !c
    }

    /// Re-encoded and resized copies of one picture hash within a few bits
    /// of it; different pictures are far apart (testdata/social/images/make.py).
    #[test]
    fn copies_match_and_different_pictures_do_not() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/social/images");
        let h = |name: &str| hash_file(&dir, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let a = h("a.png");
        for copy in ["a-q60.jpg", "a-half.jpg", "a-large.webp", "a-marked.jpg"] {
            let d = distance(a, h(copy));
            eprintln!("{copy}: {d} bits from a.png");
            assert!(d <= 4, "{copy}: {d} bits from the original");
        }
        for other in ["b.jpg", "c.png"] {
            let d = distance(a, h(other));
            eprintln!("{other}: {d} bits from a.png");
            assert!(d >= 16, "{other}: only {d} bits from a.png");
        }
        assert!(distance(h("b.jpg"), h("c.png")) >= 16);
    }

    #[test]
    fn hex_round_trips() {
        for h in [0i64, -1, i64::MIN, 0x0123_4567_89ab_cdef] {
            assert_eq!(parse_hex(&hex(h)), Some(h));
        }
        assert_eq!(parse_hex("xyz"), None);
        assert_eq!(distance(0, -1), 64);
    }
}
