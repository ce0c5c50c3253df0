//! Mail containers: mbox in its variants, maildir, folders of `.eml`.
//!
//! Each message comes out as the bytes it had before the container touched
//! it — the mbox separator line and `>From ` quoting removed exactly as the
//! variant requires, nothing else changed — because a DKIM signature covers
//! those bytes. Every message carries where it started (byte offset and line
//! in the decompressed source) and what was odd about it; a damaged message
//! is still returned, flagged, and never stops the ones after it.

mod dir;
mod mbox;
mod walk;

pub use dir::{is_maildir, message_files};
pub use mbox::{MAX_HEADER_BYTES, MAX_LINE_BYTES, MAX_MESSAGE, MboxReader, MboxVariant};
pub use walk::{CONTAINERS, MailItem, container_name, for_each_message, is_mail, read_message_file};

/// One message taken out of a container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawMessage {
    /// The message as it was before it was put into the container.
    pub bytes: Vec<u8>,
    /// Byte offset where the message (for mbox: its `From ` line) starts.
    pub offset: u64,
    /// 1-based line of the same.
    pub line: u64,
    /// The mbox `From ` line without `From ` (envelope sender and delivery date).
    pub envelope: Option<String>,
    /// Lines whose `>From ` quoting was undone.
    pub unquoted: u32,
    /// What was wrong with the message as stored (truncated, no header, …).
    pub problems: Vec<String>,
}

/// Does this look like an mbox (first non-empty line is a `From ` line)?
pub fn looks_like_mbox(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = head.iter().position(|&b| b != b'\n' && b != b'\r').unwrap_or(head.len());
    head[start..].starts_with(b"From ")
}

/// Does this look like one RFC 5322 message: a header block of `Name: value`
/// fields that includes at least one field every mail has?
pub fn looks_like_message(head: &[u8]) -> bool {
    const KNOWN: [&str; 12] = [
        "from",
        "to",
        "date",
        "subject",
        "message-id",
        "received",
        "return-path",
        "delivered-to",
        "mime-version",
        "dkim-signature",
        "x-mailer",
        "content-type",
    ];
    let mut known = 0;
    for (i, line) in head.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return known > 0 && i > 0;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if i == 0 {
                return false;
            }
            continue;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else { return false };
        let name = &line[..colon];
        if name.is_empty() || !name.iter().all(|&b| b.is_ascii_graphic()) {
            return false;
        }
        if KNOWN.iter().any(|k| k.as_bytes().eq_ignore_ascii_case(name)) {
            known += 1;
        }
        if i > 200 {
            break;
        }
    }
    known > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection() {
        assert!(looks_like_mbox(b"From a@b Mon Jan  1 00:00:00 2024\nSubject: x\n"));
        assert!(looks_like_mbox(b"\n\nFrom a@b Mon Jan  1 00:00:00 2024\n"));
        assert!(!looks_like_mbox(b"From: a@b\n"));
        assert!(looks_like_message(b"Received: x\r\n\ty\r\nFrom: a@b\r\nSubject: s\r\n\r\nbody"));
        assert!(looks_like_message(b"X-Foo: 1\nDate: now\n"));
        assert!(!looks_like_message(b"author_id,content\n1,2\n"));
        assert!(!looks_like_message(b"{\"json\": 1}\n"));
        assert!(!looks_like_message(b"X-Unknown: 1\n\nbody"));
    }
}
