//! A message's header fields as raw bytes, and DKIM canonicalisation
//! (RFC 6376 §3.4) of headers and body.

use std::borrow::Cow;

/// One header field, as it appears in the message.
#[derive(Clone, Copy, Debug)]
pub struct RawHeader<'a> {
    /// The field name, without trailing white space.
    pub name: &'a [u8],
    /// Everything after the colon up to, not including, the final CRLF.
    pub value: &'a [u8],
    /// The whole field including its final CRLF (what `c=simple` hashes).
    pub raw: &'a [u8],
}

/// A message split into header fields and body.
#[derive(Debug)]
pub struct SplitMessage<'a> {
    pub headers: Vec<RawHeader<'a>>,
    pub body: &'a [u8],
    /// Lines in the header block that are not fields (no colon), 1-based.
    pub stray_lines: Vec<usize>,
}

/// The message with CRLF line ends: bare LF (as files saved on Unix have)
/// becomes CRLF, as it was on the wire. Borrowed when already CRLF.
pub fn to_crlf(raw: &[u8]) -> Cow<'_, [u8]> {
    let bare = |i: usize| i == 0 || raw[i - 1] != b'\r';
    let mut first = None;
    let mut start = 0;
    while let Some(off) = memchr_nl(&raw[start..]) {
        if bare(start + off) {
            first = Some(start + off);
            break;
        }
        start += off + 1;
    }
    let Some(first) = first else {
        return Cow::Borrowed(raw);
    };
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 16);
    out.extend_from_slice(&raw[..first]);
    let mut start = first;
    // Copy line by line, inserting CR before each bare LF.
    while let Some(off) = memchr_nl(&raw[start..]) {
        let i = start + off;
        out.extend_from_slice(&raw[start..i]);
        if bare(i) {
            out.push(b'\r');
        }
        out.push(b'\n');
        start = i + 1;
    }
    out.extend_from_slice(&raw[start..]);
    Cow::Owned(out)
}

/// How lines end in a message file, for the report.
pub fn line_endings(raw: &[u8]) -> &'static str {
    let mut crlf = false;
    let mut lf = false;
    let mut start = 0;
    while let Some(off) = memchr_nl(&raw[start..]) {
        let i = start + off;
        if i > 0 && raw[i - 1] == b'\r' {
            crlf = true;
        } else {
            lf = true;
        }
        if crlf && lf {
            return "mixed";
        }
        start = i + 1;
    }
    if lf { "lf" } else { "crlf" }
}

/// Split a CRLF message into header fields and body.
pub fn split(msg: &[u8]) -> SplitMessage<'_> {
    let mut headers: Vec<RawHeader<'_>> = Vec::with_capacity(32);
    let mut stray_lines = Vec::new();
    let mut pos = 0;
    let mut line_no = 0;
    let mut body_start = msg.len();
    // Start of the field being read, and where its name ends.
    let mut cur: Option<(usize, usize)> = None;
    while pos < msg.len() {
        line_no += 1;
        let end = memchr_nl(&msg[pos..]).map_or(msg.len(), |i| pos + i + 1);
        let line = &msg[pos..end];
        if line == b"\r\n" || line == b"\n" {
            finish(msg, &mut headers, cur.take(), pos);
            body_start = end;
            break;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if cur.is_none() {
                stray_lines.push(line_no);
            }
        } else {
            finish(msg, &mut headers, cur.take(), pos);
            match line.iter().position(|&b| b == b':') {
                Some(c) => cur = Some((pos, pos + c)),
                None => stray_lines.push(line_no),
            }
        }
        pos = end;
    }
    if pos >= msg.len() {
        finish(msg, &mut headers, cur.take(), msg.len());
    }
    SplitMessage { headers, body: &msg[body_start.min(msg.len())..], stray_lines }
}

fn finish<'a>(msg: &'a [u8], headers: &mut Vec<RawHeader<'a>>, cur: Option<(usize, usize)>, end: usize) {
    if let Some((start, colon)) = cur {
        let raw = &msg[start..end];
        let mut value_end = end;
        if msg[..value_end].ends_with(b"\r\n") {
            value_end -= 2;
        } else if msg[..value_end].ends_with(b"\n") {
            value_end -= 1;
        }
        let name = trim_end_ws(&msg[start..colon]);
        headers.push(RawHeader { name, value: &msg[colon + 1..value_end.max(colon + 1)], raw });
    }
}

/// Where the first LF is (every byte of every message is scanned for line
/// ends: the memchr crate does it a vector at a time).
fn memchr_nl(s: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', s)
}

fn trim_end_ws(s: &[u8]) -> &[u8] {
    let mut e = s.len();
    while e > 0 && matches!(s[e - 1], b' ' | b'\t') {
        e -= 1;
    }
    &s[..e]
}

/// DKIM canonicalisation algorithms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Canon {
    Simple,
    Relaxed,
}

impl Canon {
    pub fn name(self) -> &'static str {
        match self {
            Canon::Simple => "simple",
            Canon::Relaxed => "relaxed",
        }
    }
}

/// Append the canonical form of one header field (name, value) to `out`.
/// With `crlf` false the final CRLF is left off (the signature's own field).
pub fn header_into(out: &mut Vec<u8>, canon: Canon, h: &RawHeader<'_>, value: &[u8], crlf: bool) {
    match canon {
        Canon::Simple => {
            // The raw field with `value` in place of its value.
            let name_part_len = h.value.as_ptr() as usize - h.raw.as_ptr() as usize;
            out.extend_from_slice(&h.raw[..name_part_len]);
            out.extend_from_slice(value);
            if crlf {
                out.extend_from_slice(b"\r\n");
            }
        }
        Canon::Relaxed => {
            out.extend(h.name.iter().map(u8::to_ascii_lowercase));
            out.push(b':');
            let mut pending_space = false;
            let mut started = false;
            for &b in value {
                match b {
                    b'\r' | b'\n' => {}
                    b' ' | b'\t' => pending_space = started,
                    _ => {
                        if pending_space {
                            out.push(b' ');
                            pending_space = false;
                        }
                        out.push(b);
                        started = true;
                    }
                }
            }
            if crlf {
                out.extend_from_slice(b"\r\n");
            }
        }
    }
}

/// The canonical body (RFC 6376 §3.4.3, §3.4.4). `body` has CRLF line ends.
pub fn body(canon: Canon, body: &[u8]) -> Cow<'_, [u8]> {
    match canon {
        Canon::Simple => {
            // Trailing empty lines go; a body that is empty or lacks a final
            // CRLF gets one.
            let mut end = body.len();
            while end >= 2 && &body[end - 2..end] == b"\r\n" {
                end -= 2;
            }
            if end == 0 {
                Cow::Borrowed(b"\r\n")
            } else if end == body.len() {
                let mut v = Vec::with_capacity(end + 2);
                v.extend_from_slice(body);
                v.extend_from_slice(b"\r\n");
                Cow::Owned(v)
            } else {
                Cow::Borrowed(&body[..end + 2])
            }
        }
        Canon::Relaxed => {
            let mut out = Vec::with_capacity(body.len());
            // Empty lines (white space only) seen and not written yet: they
            // are only kept when text follows them.
            let mut empty_run = 0usize;
            for line in body.split_inclusive(|&b| b == b'\n') {
                let content = line.strip_suffix(b"\n").unwrap_or(line);
                let content = content.strip_suffix(b"\r").unwrap_or(content);
                let mut empty = true;
                // Each run of white space becomes one space (none at the end):
                // a word other than the first had some before it.
                for (n, word) in content.split(|&b| b == b' ' || b == b'\t').enumerate() {
                    if word.is_empty() {
                        continue;
                    }
                    if empty {
                        for _ in 0..empty_run {
                            out.extend_from_slice(b"\r\n");
                        }
                        empty_run = 0;
                        empty = false;
                    }
                    if n > 0 {
                        out.push(b' ');
                    }
                    out.extend_from_slice(word);
                }
                if empty {
                    empty_run += 1;
                } else {
                    out.extend_from_slice(b"\r\n");
                }
            }
            Cow::Owned(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6376_examples() {
        // §3.4.5.
        let msg = b"A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n";
        let m = split(msg);
        let mut relaxed = Vec::new();
        for h in &m.headers {
            header_into(&mut relaxed, Canon::Relaxed, h, h.value, true);
        }
        assert_eq!(relaxed, b"a:X\r\nb:Y Z\r\n");
        let mut simple = Vec::new();
        for h in &m.headers {
            header_into(&mut simple, Canon::Simple, h, h.value, true);
        }
        assert_eq!(simple, b"A: X\r\nB : Y\t\r\n\tZ  \r\n");
        assert_eq!(&*body(Canon::Relaxed, m.body), b" C\r\nD E\r\n");
        assert_eq!(&*body(Canon::Simple, m.body), b" C \r\nD \t E\r\n");
    }

    #[test]
    fn empty_and_unterminated_bodies() {
        assert_eq!(&*body(Canon::Simple, b""), b"\r\n");
        assert_eq!(&*body(Canon::Relaxed, b""), b"");
        assert_eq!(&*body(Canon::Simple, b"\r\n\r\n"), b"\r\n");
        assert_eq!(&*body(Canon::Relaxed, b"\r\n\r\n"), b"");
        assert_eq!(&*body(Canon::Simple, b"abc"), b"abc\r\n");
        assert_eq!(&*body(Canon::Relaxed, b"abc  "), b"abc\r\n");
        assert_eq!(&*body(Canon::Relaxed, b"a\r\n\r\nb\r\n\r\n"), b"a\r\n\r\nb\r\n");
    }

    /// Byte strings built from pieces that matter to line handling.
    fn random_inputs(count: usize, pieces: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut next = crate::test_support::xorshift(0x9e37_79b9_7f4a_7c15);
        (0..count).map(|_| (0..next(40)).flat_map(|_| pieces[next(pieces.len())].iter().copied()).collect()).collect()
    }

    #[test]
    fn crlf_and_line_ends_agree_with_byte_loops() {
        for input in random_inputs(20_000, &[b"\n", b"\r\n", b"\r", b"a", b"bcdefghijklmnop", b"\n\n"]) {
            let mut crlf = Vec::new();
            for (i, &b) in input.iter().enumerate() {
                if b == b'\n' && (i == 0 || input[i - 1] != b'\r') {
                    crlf.push(b'\r');
                }
                crlf.push(b);
            }
            let converted = to_crlf(&input);
            assert_eq!(*converted, *crlf, "{input:?}");
            assert_eq!(matches!(converted, Cow::Borrowed(_)), crlf == input);
            let ends: Vec<bool> =
                (0..input.len()).filter(|&i| input[i] == b'\n').map(|i| i > 0 && input[i - 1] == b'\r').collect();
            let expected = match (ends.contains(&true), ends.contains(&false)) {
                (true, true) => "mixed",
                (_, true) => "lf",
                _ => "crlf",
            };
            assert_eq!(line_endings(&input), expected, "{input:?}");
        }
    }

    /// The relaxed body canonicalisation as it was written first.
    fn relaxed_body_reference(body: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(body.len());
        let mut empty_run = 0usize;
        for line in body.split_inclusive(|&b| b == b'\n') {
            let content = line.strip_suffix(b"\n").unwrap_or(line);
            let content = content.strip_suffix(b"\r").unwrap_or(content);
            let start = out.len();
            let mut pending_space = false;
            for &b in content {
                if b == b' ' || b == b'\t' {
                    pending_space = true;
                } else {
                    if pending_space {
                        out.push(b' ');
                        pending_space = false;
                    }
                    out.push(b);
                }
            }
            if out.len() == start {
                empty_run += 1;
            } else {
                if empty_run > 0 {
                    let text: Vec<u8> = out.drain(start..).collect();
                    for _ in 0..empty_run {
                        out.extend_from_slice(b"\r\n");
                    }
                    out.extend_from_slice(&text);
                    empty_run = 0;
                }
                out.extend_from_slice(b"\r\n");
            }
        }
        out
    }

    #[test]
    fn relaxed_body_agrees_with_the_reference() {
        for input in random_inputs(20_000, &[b"\r\n", b"\n", b"\r", b" ", b"\t", b"  \t ", b"a", b"word", b"\xff"]) {
            assert_eq!(*body(Canon::Relaxed, &input), relaxed_body_reference(&input), "{input:?}");
        }
    }

    #[test]
    fn bare_lf_becomes_crlf() {
        assert_eq!(&*to_crlf(b"a\nb\r\nc\n"), b"a\r\nb\r\nc\r\n");
        assert!(matches!(to_crlf(b"a\r\n"), Cow::Borrowed(_)));
        assert_eq!(line_endings(b"a\nb\r\n"), "mixed");
    }
}
