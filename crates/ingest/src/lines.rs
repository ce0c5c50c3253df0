//! Reading one line with a bound on what is kept: a line-oriented format
//! must not hold a whole hostile file that has no line breaks.
//! (`BufRead::read_until` keeps everything up to the next `\n`.)

use std::io::{self, BufRead};

/// The longest JSON line kept (a tweet object with its includes is a few
/// kilobytes; a v2 page of 100 tweets with their users well under 8 MiB).
pub const MAX_JSON_LINE_BYTES: usize = 64 << 20;

/// Read the next line, its `\n` included, appending at most `max` bytes of it
/// to `buf`; the rest of a longer line is read and dropped, but its `\n` is
/// kept, so a cut line is still a line. Returns the bytes the line had in the
/// input (0 at the end) and whether it was cut.
pub fn read_line_bounded<R: BufRead + ?Sized>(r: &mut R, buf: &mut Vec<u8>, max: usize) -> io::Result<(usize, bool)> {
    let (mut read, mut cut) = (0usize, false);
    loop {
        let available = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok((read, cut));
        }
        let (used, done) = match memchr::memchr(b'\n', available) {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        let room = max.saturating_sub(buf.len());
        if used > room {
            cut = true;
        }
        buf.extend_from_slice(&available[..used.min(room)]);
        if done && cut {
            buf.push(b'\n');
        }
        r.consume(used);
        read += used;
        if done {
            return Ok((read, cut));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_read_whole_or_cut_at_the_bound() {
        // A small buffer, so lines span several fills.
        let data = b"short\nthis line is longer than ten\nlast".to_vec();
        let mut r = io::BufReader::with_capacity(4, &data[..]);
        let mut buf = Vec::new();
        assert_eq!(read_line_bounded(&mut r, &mut buf, 10).unwrap(), (6, false));
        assert_eq!(buf, b"short\n");
        buf.clear();
        assert_eq!(read_line_bounded(&mut r, &mut buf, 10).unwrap(), (29, true));
        assert_eq!(buf, b"this line \n");
        buf.clear();
        assert_eq!(read_line_bounded(&mut r, &mut buf, 10).unwrap(), (4, false));
        assert_eq!(buf, b"last");
        buf.clear();
        assert_eq!(read_line_bounded(&mut r, &mut buf, 10).unwrap(), (0, false));
    }
}
