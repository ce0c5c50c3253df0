//! Which mail container an input is, and every message in it, in order: an
//! mbox (any variant, compressed or not), one message file, a maildir or a
//! folder of message files.
//!
//! This is the one place that decides what a mail input is; `verify`,
//! `ingest` and `keys recover` all walk mail through it, so they see the
//! same messages with the same positions.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use super::{MAX_MESSAGE, MboxReader, MboxVariant, RawMessage, is_maildir, looks_like_mbox, looks_like_message};
use crate::decompress::peek;
use crate::{IngestError, first_line_excerpt, open_decompressed};

/// How much of a file is read to tell what it is.
const HEAD_BYTES: usize = 64 * 1024;

/// One message with where it came from.
pub struct MailItem {
    /// The file it was read from (for a folder, the message's own file).
    pub source: String,
    /// 1-based position in its source.
    pub index: u64,
    pub raw: RawMessage,
    /// `mboxo`, `mboxrd`, `mboxcl`, `mboxcl2`, `eml`, `maildir` or `eml-folder`.
    pub container: &'static str,
}

/// The container names [`MailItem::container`] takes.
pub const CONTAINERS: [&str; 7] = ["mboxo", "mboxrd", "mboxcl", "mboxcl2", "eml", "maildir", "eml-folder"];

/// The container name as a `'static` string, for names read back from a
/// catalog; an unknown name is a single message (`eml`).
pub fn container_name(name: &str) -> &'static str {
    CONTAINERS.iter().find(|c| **c == name).copied().unwrap_or("eml")
}

fn file_error(file: &str, reason: impl std::fmt::Display) -> IngestError {
    IngestError::File { file: file.to_string(), reason: reason.to_string() }
}

/// Is this input mail: an mbox or a message file (also compressed), a
/// maildir, or a folder of message files?
pub fn is_mail(path: &Path) -> bool {
    if path.is_dir() {
        return is_maildir(path) || super::message_files(path).is_ok_and(|f| !f.is_empty());
    }
    let Ok(file) = File::open(path) else { return false };
    let Ok((_, reader)) = open_decompressed(Box::new(file)) else { return false };
    let Ok((head, _)) = peek(reader, HEAD_BYTES) else { return false };
    looks_like_mbox(&head) || looks_like_message(&head)
}

/// Call `f` with every message of `input` (a file or a folder), in order.
/// A message the container damaged comes out flagged (see [`RawMessage`]);
/// an input that cannot be read, or is not mail, is an error naming it.
pub fn for_each_message<E: From<IngestError>>(
    input: &Path,
    variant: Option<MboxVariant>,
    f: &mut dyn FnMut(MailItem) -> Result<(), E>,
) -> Result<(), E> {
    let display = input.display().to_string();
    if input.is_dir() {
        let container = if is_maildir(input) { "maildir" } else { "eml-folder" };
        let files = super::message_files(input).map_err(|(p, e)| file_error(&p.display().to_string(), e))?;
        if files.is_empty() {
            return Err(file_error(&display, "no message files found (expected a maildir or .eml files)").into());
        }
        for (i, file) in files.iter().enumerate() {
            let raw = read_message_file(file)?;
            f(MailItem { source: file.display().to_string(), index: i as u64 + 1, raw, container })?;
        }
        return Ok(());
    }
    let file = File::open(input).map_err(|e| file_error(&display, format!("cannot open: {e}")))?;
    let (_, reader) = open_decompressed(Box::new(file)).map_err(|e| file_error(&display, e))?;
    let (head, reader) =
        peek(reader, HEAD_BYTES).map_err(|(e, line)| crate::csvsrc::read_stopped(&display, line, &e))?;
    if looks_like_mbox(&head) {
        let mbox = MboxReader::new(BufReader::with_capacity(1 << 20, reader), &display, variant)?;
        let container = mbox.variant().name();
        for (i, m) in mbox.enumerate() {
            let raw = m?;
            f(MailItem { source: display.clone(), index: i as u64 + 1, raw, container })?;
        }
        Ok(())
    } else if looks_like_message(&head) {
        let raw = read_message(reader, &display)?;
        f(MailItem { source: display, index: 1, raw, container: "eml" })
    } else {
        Err(file_error(&display, format!("neither a message nor an mbox: it starts {}", first_line_excerpt(&head)))
            .into())
    }
}

/// One message file (compressed or not).
pub fn read_message_file(path: &Path) -> Result<RawMessage, IngestError> {
    let display = path.display().to_string();
    let file = File::open(path).map_err(|e| file_error(&display, format!("cannot open: {e}")))?;
    let (_, reader) = open_decompressed(Box::new(file)).map_err(|e| file_error(&display, e))?;
    read_message(reader, &display)
}

/// One message file's bytes, at most [`MAX_MESSAGE`] of them: the rest of a
/// larger one (a decompression bomb, say) is read, not kept, and flagged.
fn read_message(reader: Box<dyn Read + Send>, display: &str) -> Result<RawMessage, IngestError> {
    let mut bytes = Vec::new();
    let mut reader = BufReader::new(reader);
    (&mut reader).take(MAX_MESSAGE as u64).read_to_end(&mut bytes).map_err(|e| file_error(display, e))?;
    let mut problems = Vec::new();
    let rest = std::io::copy(&mut reader, &mut std::io::sink()).map_err(|e| file_error(display, e))?;
    if rest > 0 {
        problems.push(format!("larger than {} MiB; the rest was not kept", MAX_MESSAGE >> 20));
    }
    Ok(RawMessage { bytes, offset: 0, line: 1, envelope: None, unquoted: 0, problems })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_names_read_back() {
        for c in CONTAINERS {
            assert_eq!(container_name(c), c);
        }
        assert_eq!(container_name("something else"), "eml");
    }

    #[test]
    fn every_input_kind_is_walked_in_order() {
        let dir = std::env::temp_dir().join(format!("leaktrace-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("folder")).unwrap();
        let msg = |s: &str| format!("From: a@example.org\nSubject: {s}\n\nbody {s}\n");
        std::fs::write(dir.join("folder/1.eml"), msg("one")).unwrap();
        std::fs::write(dir.join("folder/2.eml"), msg("two")).unwrap();
        let mbox =
            format!("From a@b Mon Jan  1 00:00:00 2024\n{}\nFrom a@b Mon Jan  1 00:00:00 2024\n{}", msg("x"), msg("y"));
        std::fs::write(dir.join("box.mbox"), mbox).unwrap();
        std::fs::write(dir.join("one.eml"), msg("single")).unwrap();
        std::fs::write(dir.join("table.csv"), "a,b\n1,2\n").unwrap();

        let walk = |p: &Path| {
            let mut seen = Vec::new();
            for_each_message::<IngestError>(p, None, &mut |m| {
                seen.push((m.index, m.container, String::from_utf8_lossy(&m.raw.bytes).contains("body").then_some(())));
                Ok(())
            })
            .map(|()| seen)
        };
        let folder = walk(&dir.join("folder")).unwrap();
        assert_eq!(folder.iter().map(|s| (s.0, s.1)).collect::<Vec<_>>(), [(1, "eml-folder"), (2, "eml-folder")]);
        let mbox = walk(&dir.join("box.mbox")).unwrap();
        assert_eq!(mbox.len(), 2);
        assert!(mbox[0].1.starts_with("mbox"));
        assert_eq!(walk(&dir.join("one.eml")).unwrap().len(), 1);
        let err = walk(&dir.join("table.csv")).unwrap_err().to_string();
        assert!(err.contains("table.csv") && err.contains("neither a message nor an mbox"), "{err}");
        let err = walk(&dir.join("missing.eml")).unwrap_err().to_string();
        assert!(err.contains("missing.eml: cannot open"), "{err}");
        assert!(is_mail(&dir.join("folder")) && is_mail(&dir.join("box.mbox")) && !is_mail(&dir.join("table.csv")));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
