//! Transparent decompression: gzip (including multi-member files) and
//! Zstandard are recognised by their magic bytes, not by file name.

use std::io::{self, BufRead, BufReader, Read};

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// Compression recognised at the start of a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// Wrap `inner` so that reading yields decompressed bytes.
pub fn open_decompressed(inner: Box<dyn Read + Send>) -> io::Result<(Compression, Box<dyn Read + Send>)> {
    let mut buf = BufReader::with_capacity(256 * 1024, inner);
    let head = buf.fill_buf()?;
    if head.starts_with(GZIP_MAGIC) {
        let dec = flate2::bufread::MultiGzDecoder::new(buf);
        Ok((Compression::Gzip, Box::new(BufReader::with_capacity(256 * 1024, dec))))
    } else if head.starts_with(ZSTD_MAGIC) {
        let dec = zstd::stream::read::Decoder::with_buffer(buf)?;
        Ok((Compression::Zstd, Box::new(BufReader::with_capacity(256 * 1024, dec))))
    } else {
        Ok((Compression::None, Box::new(buf)))
    }
}

/// A read error while peeking, and the 1-based line it stopped in.
pub type PeekError = (io::Error, u64);

/// Read up to `n` bytes from the start of a stream, returning them and a
/// reader that still yields the whole stream (the peeked bytes included).
///
/// A read error comes with the 1-based line it stopped in (the number of
/// line ends read before it, plus one).
pub fn peek(mut r: Box<dyn Read + Send>, n: usize) -> Result<(Vec<u8>, Box<dyn Read + Send>), PeekError> {
    let mut head = Vec::with_capacity(n);
    if let Err(e) = (&mut r).take(n as u64).read_to_end(&mut head) {
        return Err((e, memchr::memchr_iter(b'\n', &head).count() as u64 + 1));
    }
    let rest = io::Cursor::new(head.clone()).chain(r);
    Ok((head, Box::new(rest)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn roundtrip(data: Vec<u8>, expect: Compression) {
        let (c, mut r) = open_decompressed(Box::new(io::Cursor::new(data))).unwrap();
        assert_eq!(c, expect);
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!(s, "hello\nworld\n");
    }

    #[test]
    fn plain_gzip_and_zstd_are_recognised() {
        roundtrip(b"hello\nworld\n".to_vec(), Compression::None);
        // Two gzip members, as `cat a.gz b.gz` makes.
        let mut gz = Vec::new();
        for part in [&b"hello\n"[..], b"world\n"] {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(part).unwrap();
            gz.extend(e.finish().unwrap());
        }
        roundtrip(gz, Compression::Gzip);
        roundtrip(zstd::encode_all(&b"hello\nworld\n"[..], 1).unwrap(), Compression::Zstd);
    }

    #[test]
    fn truncated_gzip_is_an_error_not_silence() {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&[b'x'; 10000]).unwrap();
        let mut gz = e.finish().unwrap();
        gz.truncate(gz.len() / 2);
        let (_, mut r) = open_decompressed(Box::new(io::Cursor::new(gz))).unwrap();
        let mut out = Vec::new();
        assert!(r.read_to_end(&mut out).is_err());
    }

    #[test]
    fn peek_keeps_the_stream_whole() {
        let (head, mut r) = peek(Box::new(&b"abcdef"[..]), 3).unwrap();
        assert_eq!(head, b"abc");
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!(s, "abcdef");
    }
}
