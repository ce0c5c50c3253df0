//! A CSV record source shared by the CSV-based formats: header lookup,
//! 1-based line numbers for every record, field-count and UTF-8 checks
//! that turn into rejects rather than aborts.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::Read;
use std::rc::Rc;

use csv::ByteRecord;

use crate::{Format, IngestError};

/// Newlines read so far but not yet counted: (byte offset, preceded by `\r`).
type Newlines = Rc<RefCell<VecDeque<(u64, bool)>>>;

/// Records where every `\n` passing through it is. The csv crate's own line
/// numbers are off by one after blank lines and in CRLF files; its byte
/// offsets are exact, so lines are counted here from those offsets.
struct LineTracker {
    inner: Box<dyn Read>,
    offset: u64,
    last: u8,
    newlines: Newlines,
}

impl Read for LineTracker {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut q = self.newlines.borrow_mut();
        for (i, &b) in buf[..n].iter().enumerate() {
            if b == b'\n' {
                q.push_back((self.offset + i as u64, self.last == b'\r'));
            }
            self.last = b;
        }
        self.offset += n as u64;
        Ok(n)
    }
}

pub struct CsvSource {
    rdr: csv::Reader<LineTracker>,
    newlines: Newlines,
    /// Newlines before the last position asked about.
    lines_before: u64,
    headers: Vec<String>,
    record: ByteRecord,
    display: String,
}

/// A record that is present but unusable; the caller rejects it.
pub struct BadRecord {
    pub line: u64,
    pub reason: String,
}

impl CsvSource {
    /// Read the header row. An empty input is a format error.
    pub fn new(input: Box<dyn Read>, display: &str, format: Format) -> Result<CsvSource, IngestError> {
        let newlines: Newlines = Rc::default();
        let tracker = LineTracker { inner: input, offset: 0, last: 0, newlines: newlines.clone() };
        let mut rdr = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(tracker);
        let headers = match rdr.byte_headers() {
            Ok(h) => h
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let s = String::from_utf8_lossy(f);
                    let s = if i == 0 { s.trim_start_matches('\u{feff}') } else { &s };
                    s.trim().to_string()
                })
                .collect::<Vec<_>>(),
            Err(e) => return Err(csv_fatal(display, e)),
        };
        if headers.iter().all(|h| h.is_empty()) {
            return Err(IngestError::WrongFormat {
                file: display.to_string(),
                format,
                expected: format.expectation(),
                found: "an empty file".into(),
            });
        }
        Ok(CsvSource {
            rdr,
            newlines,
            lines_before: 0,
            headers,
            record: ByteRecord::new(),
            display: display.to_string(),
        })
    }

    /// 1-based line of the record the csv reader says starts at `byte`;
    /// offsets must not decrease between calls. The csv reader's record
    /// start includes the blank lines it skipped, so those are stepped over.
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut q = self.newlines.borrow_mut();
        while q.front().is_some_and(|&(nl, _)| nl < byte) {
            q.pop_front();
            self.lines_before += 1;
        }
        let mut cursor = byte;
        while let Some(&(nl, crlf)) = q.front() {
            if nl == cursor || (crlf && nl == cursor + 1) {
                q.pop_front();
                self.lines_before += 1;
                cursor = nl + 1;
            } else {
                break;
            }
        }
        self.lines_before + 1
    }

    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    pub fn col(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h.eq_ignore_ascii_case(name))
    }

    /// Indexes of required columns, or a format error naming what is missing.
    pub fn require(&self, names: &[&str], format: Format) -> Result<Vec<usize>, IngestError> {
        let mut idx = Vec::with_capacity(names.len());
        let mut missing = Vec::new();
        for n in names {
            match self.col(n) {
                Some(i) => idx.push(i),
                None => missing.push(*n),
            }
        }
        if missing.is_empty() {
            Ok(idx)
        } else {
            Err(IngestError::WrongFormat {
                file: self.display.clone(),
                format,
                expected: format.expectation(),
                found: format!(
                    "a header without {} (header: {})",
                    missing.join(", "),
                    excerpt(&self.headers.join(","))
                ),
            })
        }
    }

    /// Next record with its starting line. `Err` values are either a bad
    /// record (reject it and go on) or a fatal read error.
    #[allow(clippy::type_complexity)]
    pub fn next_record(&mut self) -> Option<Result<Result<(u64, &ByteRecord), BadRecord>, IngestError>> {
        match self.rdr.read_byte_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                let line = self.line_at(self.record.position().map_or(0, |p| p.byte()));
                if self.record.len() != self.headers.len() {
                    // A single empty line between records is not data.
                    if self.record.len() == 1 && self.record[0].is_empty() {
                        return self.next_record();
                    }
                    return Some(Ok(Err(BadRecord {
                        line,
                        reason: format!("expected {} fields, found {}", self.headers.len(), self.record.len()),
                    })));
                }
                Some(Ok(Ok((line, &self.record))))
            }
            Err(e) => Some(Err(csv_fatal(&self.display, e))),
        }
    }
}

/// A field as UTF-8, or a reject reason naming the column.
pub fn field<'r>(rec: &'r ByteRecord, idx: usize, name: &str) -> Result<&'r str, String> {
    let raw = rec.get(idx).unwrap_or(b"");
    std::str::from_utf8(raw).map_err(|e| format!("column {name}: invalid UTF-8 at byte {}", e.valid_up_to()))
}

fn csv_fatal(display: &str, e: csv::Error) -> IngestError {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    match e.into_kind() {
        csv::ErrorKind::Io(source) => IngestError::Io { file: display.to_string(), source },
        other => IngestError::Fatal { file: display.to_string(), line, reason: format!("{other:?}") },
    }
}

pub fn excerpt(s: &str) -> String {
    if s.chars().count() > 100 { format!("{}…", s.chars().take(100).collect::<String>()) } else { s.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(data: &str) -> Vec<(u64, String)> {
        let mut src =
            CsvSource::new(Box::new(std::io::Cursor::new(data.as_bytes().to_vec())), "t", Format::Csv).unwrap();
        let mut out = Vec::new();
        while let Some(r) = src.next_record() {
            match r.unwrap() {
                Ok((line, rec)) => out.push((line, String::from_utf8_lossy(&rec[0]).into_owned())),
                Err(bad) => out.push((bad.line, "bad".into())),
            }
        }
        out
    }

    #[test]
    fn line_numbers_survive_blank_lines_crlf_and_quoted_newlines() {
        assert_eq!(lines("h,i\na,1\n\nb,2\n"), vec![(2, "a".into()), (4, "b".into())]);
        assert_eq!(lines("h,i\r\na,1\r\nb,2\r\n"), vec![(2, "a".into()), (3, "b".into())]);
        assert_eq!(lines("h,i\r\na,1\r\n\r\n\r\nb,2\r\n"), vec![(2, "a".into()), (5, "b".into())]);
        assert_eq!(lines("h,i\n\"x\ny\",1\nc,2\nd\n"), vec![(2, "x\ny".into()), (4, "c".into()), (5, "bad".into())]);
    }
}
