//! The line stream of a Twitter JSONL file: reading bounded lines, failing
//! fast on a file of the other shape, and queueing each line's posts,
//! account facts and rejects in file order.

use std::collections::{HashSet, VecDeque};
use std::io::{BufRead, BufReader, Read};

use leaktrace_model::{AccountInfo, Post};

use super::detect::{Shape, classify};
use super::{Record, v1, v2};
use crate::lines::MAX_JSON_LINE_BYTES;
use crate::social::jsonhead::skip_ws;
use crate::{Event, EventStream, Format, IngestError, Reject, SourceContext, first_line_excerpt};

struct TwitterParser {
    format: Format,
    rdr: Box<dyn BufRead>,
    display: String,
    buf: Vec<u8>,
    line: u64,
    seen: HashSet<String>,
    pending: VecDeque<Event>,
    done: bool,
}

pub(crate) fn open(
    format: Format,
    input: Box<dyn Read + Send>,
    ctx: &SourceContext,
) -> Result<EventStream, IngestError> {
    let mut p = TwitterParser {
        format,
        rdr: Box::new(BufReader::with_capacity(256 * 1024, input)),
        display: ctx.display.clone(),
        buf: Vec::new(),
        line: 0,
        seen: HashSet::new(),
        pending: VecDeque::new(),
        done: false,
    };
    let wrong = |found: String| IngestError::WrongFormat {
        file: ctx.display.clone(),
        format,
        expected: format.expectation(),
        found,
    };
    // The first line that is not a stream notice decides: a file of the
    // other shape (or not JSON at all) fails here, not as a million rejects.
    loop {
        let Some(line) = p.next_line()? else {
            return match p.pending.is_empty() {
                true => Err(wrong("an empty file".into())),
                false => Ok(Box::new(p)),
            };
        };
        let text = String::from_utf8_lossy(&p.buf);
        match classify(&text) {
            Shape::Format(f) if f == format => {
                p.process(line);
                return Ok(Box::new(p));
            }
            Shape::Notice if format == Format::TwitterV1 => {
                p.reject(line, "not a tweet object".into());
            }
            Shape::Format(other) => return Err(wrong(format!("{other} JSON on line {line}"))),
            _ => return Err(wrong(format!("line {line}: {}", first_line_excerpt(text.trim().as_bytes())))),
        }
    }
}

impl TwitterParser {
    /// Read the next non-blank line into `buf`; its 1-based number.
    /// A line longer than `MAX_JSON_LINE_BYTES` is rejected without being
    /// kept whole, and the lines after it are read.
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
                self.reject(self.line, reason);
                self.buf.clear();
                continue;
            }
            if !self.buf.iter().all(u8::is_ascii_whitespace) {
                return Ok(Some(self.line));
            }
        }
    }

    fn reject(&mut self, line: u64, reason: String) {
        self.pending.push_back(Event::Reject(Reject { line, reason }));
    }

    /// Queue a post, preceded by its account's facts the first time the
    /// account has any to tell.
    fn emit(&mut self, post: Post, created_at: Option<&str>) {
        let created_at = created_at.filter(|c| !c.is_empty());
        if (post.account_name.is_some() || created_at.is_some()) && !self.seen.contains(&post.account) {
            self.seen.insert(post.account.clone());
            let labels = created_at.map(|c| vec![("created_at".to_string(), c.to_string())]).unwrap_or_default();
            self.pending.push_back(Event::Account(AccountInfo {
                account: post.account.clone(),
                name: post.account_name.clone(),
                labels,
            }));
        }
        self.pending.push_back(Event::Post(post));
    }

    /// Turn the line in `buf` into queued events.
    fn process(&mut self, line: u64) {
        let buf = std::mem::take(&mut self.buf);
        let bytes = buf.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&buf);
        if bytes.get(skip_ws(bytes, 0)) != Some(&b'{') {
            self.reject(line, "not a JSON object".into());
        } else {
            match self.format {
                Format::TwitterV1 => v1::read_line(line, bytes, |r| self.record(line, r)),
                _ => v2::read_line(line, bytes, |r| self.record(line, r)),
            }
        }
        self.buf = buf;
    }

    fn record(&mut self, line: u64, r: Record<'_>) {
        match r {
            Ok((post, created_at)) => self.emit(post, created_at),
            Err(reason) => self.reject(line, reason),
        }
    }
}

impl Iterator for TwitterParser {
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
