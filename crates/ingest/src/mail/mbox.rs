//! Streaming mbox splitter (RFC 4155 and the common variants).
//!
//! - `mboxo`: body lines starting `From ` were written as `>From `; reading
//!   removes one `>` from `>From ` only (a body line that really started
//!   `>From ` cannot be told apart: mboxo is lossy).
//! - `mboxrd`: every `>*From ` line got one more `>`; reading removes one
//!   from each. For files without `>>From ` lines it reads the same as
//!   mboxo, so it is the default.
//! - `mboxcl2`: nothing is quoted; a `Content-Length:` field gives the body
//!   length. `mboxcl` is the same with mboxo quoting as well.
//!
//! A `From ` line starts a new message when it follows an empty line (or
//! starts the file), or when it has the shape of a separator (`From sender
//! date` with a time and a year). The empty line before a separator belongs
//! to the mbox, not to the message.

use std::io::{BufRead, Read};

use super::RawMessage;
use crate::IngestError;

/// A single message larger than this is cut and flagged.
pub const MAX_MESSAGE: usize = 256 << 20;
/// A header block larger than this (no blank line after it) is cut and
/// flagged; the rest of the message up to the next separator is not kept.
pub const MAX_HEADER_BYTES: usize = 16 << 20;
/// A line longer than this is cut (the mbox itself keeps it whole): a file
/// without line breaks must not be read into memory whole.
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// How `From ` lines in bodies were protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MboxVariant {
    Mboxo,
    Mboxrd,
    Mboxcl,
    Mboxcl2,
}

impl MboxVariant {
    pub const ALL: [MboxVariant; 4] =
        [MboxVariant::Mboxo, MboxVariant::Mboxrd, MboxVariant::Mboxcl, MboxVariant::Mboxcl2];

    pub fn name(self) -> &'static str {
        match self {
            MboxVariant::Mboxo => "mboxo",
            MboxVariant::Mboxrd => "mboxrd",
            MboxVariant::Mboxcl => "mboxcl",
            MboxVariant::Mboxcl2 => "mboxcl2",
        }
    }

    pub fn from_name(s: &str) -> Option<MboxVariant> {
        MboxVariant::ALL.into_iter().find(|v| v.name() == s)
    }

    fn uses_content_length(self) -> bool {
        matches!(self, MboxVariant::Mboxcl | MboxVariant::Mboxcl2)
    }
}

/// Iterator over the messages of an mbox, reading a line at a time.
pub struct MboxReader<R: BufRead> {
    input: R,
    display: String,
    variant: MboxVariant,
    /// Bytes and lines consumed so far.
    pos: u64,
    line_no: u64,
    /// A separator line read ahead: (line, offset, line number).
    pending: Option<(Vec<u8>, u64, u64)>,
    /// The first message's header, read ahead for variant detection.
    first: bool,
    done: bool,
    /// Lines cut at `MAX_LINE_BYTES` since the last message was returned.
    cut_lines: Vec<u64>,
}

fn is_blank(line: &[u8]) -> bool {
    line == b"\n" || line == b"\r\n"
}

/// `From sender date`: a time (`hh:mm`) and a four-digit year after the sender.
fn is_postmark(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"From ") else { return false };
    let text = String::from_utf8_lossy(rest);
    let mut words = text.split_whitespace();
    if words.next().is_none() {
        return false;
    }
    let rest: Vec<&str> = words.collect();
    let has_time = rest.iter().any(|w| {
        let p: Vec<&str> = w.split(':').collect();
        p.len() >= 2 && p.iter().all(|x| !x.is_empty() && x.len() <= 2 && x.bytes().all(|b| b.is_ascii_digit()))
    });
    let has_year = rest.iter().any(|w| w.len() == 4 && w.bytes().all(|b| b.is_ascii_digit()));
    has_time && has_year
}

/// Remove one `>` from a quoted `From ` line, as the variant requires.
fn unquote(line: &mut Vec<u8>, variant: MboxVariant) -> bool {
    let quoted = match variant {
        MboxVariant::Mboxo | MboxVariant::Mboxcl => line.starts_with(b">From "),
        MboxVariant::Mboxrd => {
            let n = line.iter().take_while(|&&b| b == b'>').count();
            n > 0 && line[n..].starts_with(b"From ")
        }
        MboxVariant::Mboxcl2 => false,
    };
    if quoted {
        line.remove(0);
    }
    quoted
}

fn content_length(header: &[u8]) -> Option<u64> {
    for line in header.split(|&b| b == b'\n') {
        if line.len() > 15 && line[..15].eq_ignore_ascii_case(b"content-length:") {
            return String::from_utf8_lossy(&line[15..]).trim().parse().ok();
        }
    }
    None
}

impl<R: BufRead> MboxReader<R> {
    /// Split `input` (decompressed). `variant` forces one; `None` takes
    /// mboxcl2 when the first message has a Content-Length that ends at a
    /// separator, else mboxrd.
    pub fn new(mut input: R, display: &str, variant: Option<MboxVariant>) -> Result<MboxReader<R>, IngestError> {
        let variant = match variant {
            Some(v) => v,
            None => detect_variant(&mut input).map_err(|source| IngestError::Io { file: display.into(), source })?,
        };
        Ok(MboxReader {
            input,
            display: display.to_string(),
            variant,
            pos: 0,
            line_no: 0,
            pending: None,
            first: true,
            done: false,
            cut_lines: Vec::new(),
        })
    }

    /// The variant the file is read as.
    pub fn variant(&self) -> MboxVariant {
        self.variant
    }

    fn read_line(&mut self, buf: &mut Vec<u8>) -> Result<bool, IngestError> {
        buf.clear();
        let (n, cut) = crate::lines::read_line_bounded(&mut self.input, buf, MAX_LINE_BYTES)
            .map_err(|e| crate::csvsrc::read_stopped(&self.display, self.line_no + 1, &e))?;
        if n == 0 {
            return Ok(false);
        }
        self.pos += n as u64;
        self.line_no += 1;
        if cut {
            self.cut_lines.push(self.line_no);
        }
        Ok(true)
    }

    fn next_message(&mut self) -> Result<Option<RawMessage>, IngestError> {
        let mut msg = self.read_message()?;
        if let Some(m) = &mut msg {
            for l in self.cut_lines.drain(..).take(10) {
                m.problems.push(format!("line {l} is longer than {} MiB and was cut", MAX_LINE_BYTES >> 20));
            }
        }
        Ok(msg)
    }

    fn read_message(&mut self) -> Result<Option<RawMessage>, IngestError> {
        let mut line = Vec::with_capacity(256);
        // The separator line.
        let (sep, offset, line_at) = match self.pending.take() {
            Some(p) => p,
            None => loop {
                let offset = self.pos;
                if !self.read_line(&mut line)? {
                    return Ok(None);
                }
                if is_blank(&line) && self.first {
                    continue;
                }
                break (line.clone(), offset, self.line_no);
            },
        };
        let mut msg = RawMessage {
            bytes: Vec::with_capacity(4096),
            offset,
            line: line_at,
            envelope: None,
            unquoted: 0,
            problems: Vec::new(),
        };
        let first = std::mem::replace(&mut self.first, false);
        if sep.starts_with(b"From ") {
            let env = String::from_utf8_lossy(&sep[5..]).trim_end().to_string();
            msg.envelope = Some(env);
        } else {
            // Text where a separator should be: keep it as the start of a message.
            msg.problems.push(if first {
                "the file does not start with a `From ` line; the text before the first one is kept as a message".into()
            } else {
                "no `From ` separator line".into()
            });
            msg.bytes.extend_from_slice(&sep);
        }

        // Header block.
        let mut in_header = true;
        let mut header_end = None;
        // Set once the message is over a bound: the rest is read, not kept.
        let mut cut = false;
        while in_header {
            let at = self.pos;
            let at_line = self.line_no + 1;
            if !self.read_line(&mut line)? {
                msg.problems.push("the file ends inside the header".into());
                return Ok(Some(msg));
            }
            if line.starts_with(b"From ") {
                msg.problems.push("no body: the next `From ` line follows the header".into());
                self.pending = Some((line.clone(), at, at_line));
                return Ok(Some(msg));
            }
            if msg.bytes.len() + line.len() > MAX_HEADER_BYTES {
                msg.problems.push(format!(
                    "the header runs past {} MiB without the blank line that ends it; the rest of the message was not kept",
                    MAX_HEADER_BYTES >> 20
                ));
                cut = true;
                break;
            }
            msg.bytes.extend_from_slice(&line);
            if is_blank(&line) {
                header_end = Some(msg.bytes.len());
                in_header = false;
            }
        }
        let header_end = header_end.unwrap_or(msg.bytes.len());

        // Body by Content-Length.
        if self.variant.uses_content_length() && !cut {
            match content_length(&msg.bytes[..header_end]) {
                Some(n) if n <= MAX_MESSAGE as u64 => {
                    let start = msg.bytes.len();
                    let got = (&mut self.input)
                        .take(n)
                        .read_to_end(&mut msg.bytes)
                        .map_err(|source| IngestError::Io { file: self.display.clone(), source })?;
                    self.pos += got as u64;
                    self.line_no += msg.bytes[start..].iter().filter(|&&b| b == b'\n').count() as u64;
                    if (got as u64) < n {
                        msg.problems.push(format!("truncated: Content-Length is {n}, the file ends after {got} bytes"));
                        return Ok(Some(msg));
                    }
                    if self.variant == MboxVariant::Mboxcl {
                        msg.unquoted += unquote_body(&mut msg.bytes, start, self.variant);
                    }
                    // Then an empty line and a separator, or the end.
                    let mut blanks = 0;
                    loop {
                        let at = self.pos;
                        let at_line = self.line_no + 1;
                        if !self.read_line(&mut line)? {
                            return Ok(Some(msg));
                        }
                        if is_blank(&line) {
                            blanks += 1;
                            continue;
                        }
                        if line.starts_with(b"From ") {
                            self.pending = Some((line.clone(), at, at_line));
                            return Ok(Some(msg));
                        }
                        msg.problems.push(format!(
                            "Content-Length ({n}) does not end at a `From ` line; the message runs on to the next one"
                        ));
                        for _ in 0..blanks {
                            msg.bytes.extend_from_slice(b"\n");
                        }
                        msg.bytes.extend_from_slice(&line);
                        break;
                    }
                }
                _ => msg.problems.push("no usable Content-Length; split at `From ` lines".into()),
            }
        }

        // Body up to the next separator.
        let body_start = msg.bytes.len();
        let mut prev_blank = false;
        loop {
            let at = self.pos;
            let at_line = self.line_no + 1;
            if !self.read_line(&mut line)? {
                self.done = true;
                break;
            }
            if line.starts_with(b"From ") {
                if prev_blank || is_postmark(&line) {
                    self.pending = Some((line.clone(), at, at_line));
                    break;
                }
                if !matches!(self.variant, MboxVariant::Mboxcl2) {
                    msg.problems.push(format!("line {at_line}: an unquoted `From ` line inside the body"));
                }
            }
            prev_blank = is_blank(&line);
            if cut || msg.bytes.len() + line.len() > MAX_MESSAGE {
                if !cut {
                    msg.problems.push(format!("larger than {} MiB; the rest was not kept", MAX_MESSAGE >> 20));
                    cut = true;
                }
                continue;
            }
            if !matches!(self.variant, MboxVariant::Mboxcl2) && unquote(&mut line, self.variant) {
                msg.unquoted += 1;
            }
            msg.bytes.extend_from_slice(&line);
        }
        // The empty line that separates messages is the mbox's, not the message's.
        if msg.bytes.len() > body_start {
            if msg.bytes.ends_with(b"\r\n\r\n") {
                msg.bytes.truncate(msg.bytes.len() - 2);
            } else if msg.bytes.ends_with(b"\n\n") {
                msg.bytes.truncate(msg.bytes.len() - 1);
            }
        }
        Ok(Some(msg))
    }
}

fn unquote_body(bytes: &mut Vec<u8>, start: usize, variant: MboxVariant) -> u32 {
    let body = bytes.split_off(start);
    let mut n = 0;
    for line in body.split_inclusive(|&b| b == b'\n') {
        let mut l = line.to_vec();
        if unquote(&mut l, variant) {
            n += 1;
        }
        bytes.extend_from_slice(&l);
    }
    n
}

/// mboxcl2 when the first message has a Content-Length whose body ends at a
/// separator or the end of the buffered start of the file; else mboxrd.
fn detect_variant<R: BufRead>(input: &mut R) -> std::io::Result<MboxVariant> {
    let buf = input.fill_buf()?;
    let Some(header_end) = find(buf, b"\n\n").map(|p| p + 2).or_else(|| find(buf, b"\r\n\r\n").map(|p| p + 4)) else {
        return Ok(MboxVariant::Mboxrd);
    };
    let Some(n) = content_length(&buf[..header_end]) else { return Ok(MboxVariant::Mboxrd) };
    let end = header_end as u64 + n;
    if end > buf.len() as u64 {
        // The body goes past what is buffered: trust the field.
        return Ok(MboxVariant::Mboxcl2);
    }
    let after = &buf[end as usize..];
    let after = after.strip_prefix(b"\r\n").or_else(|| after.strip_prefix(b"\n")).unwrap_or(after);
    Ok(if after.is_empty() || after.starts_with(b"From ") { MboxVariant::Mboxcl2 } else { MboxVariant::Mboxrd })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl<R: BufRead> Iterator for MboxReader<R> {
    type Item = Result<RawMessage, IngestError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done && self.pending.is_none() {
            return None;
        }
        match self.next_message() {
            Ok(Some(m)) => Some(Ok(m)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                self.pending = None;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(data: &[u8], v: Option<MboxVariant>) -> (MboxVariant, Vec<RawMessage>) {
        let r = MboxReader::new(data, "t.mbox", v).unwrap();
        let variant = r.variant();
        (variant, r.collect::<Result<Vec<_>, _>>().unwrap())
    }

    #[test]
    fn mboxrd_unquotes_one_level() {
        let data = b"From a@b Mon Jan  1 00:00:00 2024\nSubject: 1\n\n>From x\n>>From y\nbody\n\nFrom a@b Mon Jan  1 00:00:01 2024\nSubject: 2\n\nz\n";
        let (v, m) = split(data, None);
        assert_eq!(v, MboxVariant::Mboxrd);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].bytes, b"Subject: 1\n\nFrom x\n>From y\nbody\n");
        assert_eq!(m[0].unquoted, 2);
        assert_eq!((m[0].offset, m[0].line), (0, 1));
        assert_eq!(m[1].bytes, b"Subject: 2\n\nz\n");
        assert_eq!(m[1].line, 8);
        let second = data.windows(9).rposition(|w| w == b"From a@b ").unwrap();
        assert_eq!(m[1].offset, second as u64);
        assert_eq!(m[1].envelope.as_deref(), Some("a@b Mon Jan  1 00:00:01 2024"));
    }

    #[test]
    fn a_header_that_never_ends_and_an_endless_line_are_cut_not_kept() {
        let sep = b"From a@b Mon Jan  1 00:00:00 2024\n";
        let mut data = sep.to_vec();
        let field =
            b"X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n";
        data.extend(std::iter::repeat_n(&field[..], MAX_HEADER_BYTES / field.len() + 10).flatten());
        data.extend_from_slice(b"\n");
        data.extend_from_slice(sep);
        data.extend_from_slice(b"Subject: 2\n\n");
        data.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 100));
        data.extend_from_slice(b"\nend\n\n");
        data.extend_from_slice(sep);
        data.extend_from_slice(b"Subject: 3\n\nfine\n");
        let (_, m) = split(&data, Some(MboxVariant::Mboxo));
        assert_eq!(m.len(), 3);
        assert!(m[0].bytes.len() <= MAX_HEADER_BYTES, "{}", m[0].bytes.len());
        assert!(m[0].problems.iter().any(|p| p.contains("without the blank line")), "{:?}", m[0].problems);
        assert!(m[1].bytes.len() <= MAX_LINE_BYTES + 100, "{}", m[1].bytes.len());
        assert!(m[1].bytes.ends_with(b"\nend\n"));
        assert!(m[1].problems.iter().any(|p| p.ends_with("is longer than 64 MiB and was cut")), "{:?}", m[1].problems);
        assert_eq!(m[2].bytes, b"Subject: 3\n\nfine\n");
        assert!(m[2].problems.is_empty(), "{:?}", m[2].problems);
    }

    #[test]
    fn mboxo_keeps_deeper_quotes() {
        let data = b"From a Mon Jan  1 00:00:00 2024\nS: 1\n\n>From x\n>>From y\n";
        let (_, m) = split(data, Some(MboxVariant::Mboxo));
        assert_eq!(m[0].bytes, b"S: 1\n\nFrom x\n>>From y\n");
    }

    #[test]
    fn mboxcl2_trusts_content_length() {
        let body = b"line\n\nFrom b@c Mon Jan  1 00:00:00 2024\nnot a message\n";
        let mut data = format!("From a Mon Jan  1 00:00:00 2024\nContent-Length: {}\n\n", body.len()).into_bytes();
        data.extend_from_slice(body);
        data.extend_from_slice(b"\nFrom a Mon Jan  1 00:00:00 2024\nContent-Length: 2\n\nok\n");
        let (v, m) = split(&data, None);
        assert_eq!(v, MboxVariant::Mboxcl2);
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(m[0].bytes.ends_with(b"not a message\n"));
        assert!(m[0].problems.is_empty(), "{:?}", m[0].problems);
        assert_eq!(m[1].bytes, b"Content-Length: 2\n\nok");
    }

    #[test]
    fn damaged_input_is_kept_and_flagged() {
        let data = b"garbage first\nFrom a Mon Jan  1 00:00:00 2024\nSubject: x";
        let (_, m) = split(data, None);
        assert_eq!(m.len(), 2);
        assert!(!m[0].problems.is_empty());
        assert!(m[1].problems[0].contains("ends inside the header"));
        let (_, m) = split(b"From a Mon Jan  1 00:00:00 2024\nContent-Length: 999\n\nshort\n", None);
        assert!(m[0].problems[0].contains("truncated"), "{:?}", m[0].problems);
    }

    #[test]
    fn crlf_mbox_and_body_from_lines() {
        let data = b"From a Mon Jan  1 00:00:00 2024\r\nS: 1\r\n\r\nx\r\nFrom here\r\n\r\nFrom a Mon Jan  1 00:00:00 2024\r\nS: 2\r\n\r\ny\r\n";
        let (_, m) = split(data, None);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].bytes, b"S: 1\r\n\r\nx\r\nFrom here\r\n");
        assert!(m[0].problems[0].contains("unquoted"));
    }

    #[test]
    fn empty_input() {
        assert!(split(b"", None).1.is_empty());
        assert!(split(b"\n\n", None).1.is_empty());
    }
}
