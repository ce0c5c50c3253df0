//! The line loop of the JSON-lines formats that carry one record (or one
//! page of records) per line (Bluesky, TikTok): bounded lines, the first
//! line judged before any record is read (a file of another format fails at
//! once, not as a million rejects), and each line's posts, account facts and
//! rejects queued in file order. What a line means is the format's; this
//! module only reads lines and never interprets JSON.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};

use crate::lines::MAX_JSON_LINE_BYTES;
use crate::{Event, EventStream, Format, IngestError, Reject, SourceContext, first_line_excerpt};

/// One JSON-lines format.
pub(crate) trait LineFormat {
    /// Is the first non-blank line of this format? `Err` says what it is instead.
    fn check_first(&self, line: &[u8]) -> Result<(), String>;
    /// The events of one line (1-based `line`), pushed onto `out`.
    fn read(&mut self, line: u64, bytes: &[u8], out: &mut VecDeque<Event>);
}

struct JsonLines<F> {
    fmt: F,
    rdr: Box<dyn BufRead>,
    display: String,
    buf: Vec<u8>,
    line: u64,
    pending: VecDeque<Event>,
    done: bool,
}

pub(crate) fn open<F: LineFormat + 'static>(
    format: Format,
    fmt: F,
    input: Box<dyn Read + Send>,
    ctx: &SourceContext,
) -> Result<EventStream, IngestError> {
    let mut p = JsonLines {
        fmt,
        rdr: Box::new(BufReader::with_capacity(256 * 1024, input)),
        display: ctx.display.clone(),
        buf: Vec::new(),
        line: 0,
        pending: VecDeque::new(),
        done: false,
    };
    let wrong = |found: String| IngestError::WrongFormat {
        file: ctx.display.clone(),
        format,
        expected: format.expectation(),
        found,
    };
    let Some(line) = p.next_line()? else {
        return match p.pending.is_empty() {
            true => Err(wrong("an empty file".into())),
            false => Ok(Box::new(p)),
        };
    };
    let bytes = p.buf.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&p.buf);
    if let Err(what) = p.fmt.check_first(bytes) {
        let excerpt = first_line_excerpt(String::from_utf8_lossy(bytes).trim().as_bytes());
        return Err(wrong(format!("line {line}: {what}: {excerpt}")));
    }
    p.process(line);
    Ok(Box::new(p))
}

impl<F: LineFormat> JsonLines<F> {
    /// Read the next non-blank line into `buf`; its 1-based number. A line
    /// longer than `MAX_JSON_LINE_BYTES` is rejected without being kept.
    fn next_line(&mut self) -> Result<Option<u64>, IngestError> {
        loop {
            self.buf.clear();
            let (n, cut) = crate::lines::read_line_bounded(&mut self.rdr, &mut self.buf, MAX_JSON_LINE_BYTES)
                .map_err(|e| crate::csvsrc::read_stopped(&self.display, self.line + 1, &e))?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            if cut {
                let reason = format!("the line is {n} bytes, longer than a JSON record may be ({MAX_JSON_LINE_BYTES})");
                self.pending.push_back(Event::Reject(Reject { line: self.line, reason }));
                continue;
            }
            if !self.buf.iter().all(u8::is_ascii_whitespace) {
                return Ok(Some(self.line));
            }
        }
    }

    fn process(&mut self, line: u64) {
        let bytes = self.buf.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&self.buf);
        self.fmt.read(line, bytes, &mut self.pending);
    }
}

impl<F: LineFormat> Iterator for JsonLines<F> {
    type Item = Result<Event, IngestError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(e) = self.pending.pop_front() {
                return Some(Ok(e));
            }
            if self.done {
                return None;
            }
            match self.next_line() {
                Ok(Some(line)) => self.process(line),
                Ok(None) => self.done = true,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

/// serde_json's message without its position, which counts inside the one
/// record given and so would contradict the file's line number; the column
/// is kept.
pub(crate) fn json_reason(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let msg = msg.rsplit_once(" at line ").map_or(msg.as_str(), |(m, _)| m);
    match e.classify() {
        serde_json::error::Category::Data => format!("unexpected JSON shape (column {}): {msg}", e.column()),
        _ => format!("not valid JSON (column {}): {msg}", e.column()),
    }
}
