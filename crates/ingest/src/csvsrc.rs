//! A CSV record source shared by the CSV-based formats: header lookup,
//! 1-based line numbers for every record, field-count and UTF-8 checks
//! that turn into rejects rather than aborts.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::io::Read;
use std::rc::Rc;

use csv::ByteRecord;

use crate::{Format, IngestError};

/// Newlines read so far but not yet counted: byte offset × 2, plus 1 when
/// preceded by `\r` (8 bytes each: a record may hold many).
type Newlines = Rc<RefCell<VecDeque<u64>>>;

/// The longest record read (a quoted field may hold line breaks, so a record
/// is not a line). An unclosed quote makes the rest of the file one record:
/// it stops here with an error naming the line where the record began,
/// instead of holding the whole file.
pub const MAX_CSV_RECORD_BYTES: u64 = 8 << 20;

/// Records where every `\n` passing through it is. The csv crate's own line
/// numbers are off by one after blank lines and in CRLF files; its byte
/// offsets are exact, so lines are counted here from those offsets. It also
/// refuses to read more than [`MAX_CSV_RECORD_BYTES`] past the start of the
/// record being read.
struct LineTracker {
    inner: Box<dyn Read + Send>,
    offset: u64,
    last: u8,
    newlines: Newlines,
    /// Where the record being read starts (set by `CsvSource`).
    record_start: Rc<Cell<u64>>,
    /// Set when the bound stopped a read.
    too_long: Rc<Cell<bool>>,
}

impl Read for LineTracker {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // The csv reader reads ahead by its buffer (8 KiB), never more.
        if self.offset.saturating_sub(self.record_start.get()) > MAX_CSV_RECORD_BYTES + (64 << 10) {
            self.too_long.set(true);
            return Err(std::io::Error::other("a record longer than the bound"));
        }
        let n = self.inner.read(buf)?;
        let mut q = self.newlines.borrow_mut();
        for (i, &b) in buf[..n].iter().enumerate() {
            if b == b'\n' {
                q.push_back((self.offset + i as u64) << 1 | u64::from(self.last == b'\r'));
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
    record_start: Rc<Cell<u64>>,
    too_long: Rc<Cell<bool>>,
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
    pub fn new(input: Box<dyn Read + Send>, display: &str, format: Format) -> Result<CsvSource, IngestError> {
        let newlines: Newlines = Rc::default();
        let (record_start, too_long) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(false)));
        let tracker = LineTracker {
            inner: input,
            offset: 0,
            last: 0,
            newlines: newlines.clone(),
            record_start: record_start.clone(),
            too_long: too_long.clone(),
        };
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
            Err(_) if too_long.get() => {
                return Err(IngestError::Fatal {
                    file: display.to_string(),
                    line: 1,
                    reason: format!(
                        "the header is longer than {} MiB (an unclosed quote?)",
                        MAX_CSV_RECORD_BYTES >> 20
                    ),
                });
            }
            Err(e) => return Err(csv_fatal(display, e)),
        };
        record_start.set(rdr.position().byte());
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
            record_start,
            too_long,
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
        while q.front().is_some_and(|&nl| nl >> 1 < byte) {
            q.pop_front();
            self.lines_before += 1;
        }
        let mut cursor = byte;
        while let Some(&packed) = q.front() {
            let (nl, crlf) = (packed >> 1, packed & 1 == 1);
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
        loop {
            let start = self.rdr.position().byte();
            self.record_start.set(start);
            match self.rdr.read_byte_record(&mut self.record) {
                Ok(false) => return None,
                Ok(true) => {
                    let line = self.line_at(self.record.position().map_or(0, |p| p.byte()));
                    if self.record.len() != self.headers.len() {
                        // A single empty line between records is not data.
                        if self.record.len() == 1 && self.record[0].is_empty() {
                            continue;
                        }
                        return Some(Ok(Err(BadRecord {
                            line,
                            reason: format!("expected {} fields, found {}", self.headers.len(), self.record.len()),
                        })));
                    }
                    return Some(Ok(Ok((line, &self.record))));
                }
                Err(_) if self.too_long.get() => {
                    return Some(Err(IngestError::Fatal {
                        file: self.display.clone(),
                        line: self.line_at(start),
                        reason: format!(
                            "the record that starts here is longer than {} MiB: a quote that is never closed, or not CSV",
                            MAX_CSV_RECORD_BYTES >> 20
                        ),
                    }));
                }
                Err(e) => {
                    let line = self.line_at(start);
                    return Some(Err(match e.into_kind() {
                        csv::ErrorKind::Io(source) => read_stopped(&self.display, line, &source),
                        other => IngestError::Fatal { file: self.display.clone(), line, reason: format!("{other:?}") },
                    }));
                }
            }
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

/// A read that failed in the middle of a file (a compressed file cut short,
/// a damaged one, a disk error), at the record that starts on `line`.
pub fn read_stopped(display: &str, line: u64, e: &std::io::Error) -> IngestError {
    let why = match e.kind() {
        std::io::ErrorKind::UnexpectedEof => "the file ends in the middle of its data (cut short?)".to_string(),
        _ if e.to_string().contains("deflate") || e.to_string().contains("zstd") || e.to_string().contains("gzip") => {
            format!("the compressed data cannot be read on ({e}): the file is cut short or damaged")
        }
        _ => format!("reading stopped ({e})"),
    };
    IngestError::Fatal { file: display.to_string(), line, reason: why }
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

    #[test]
    fn many_blank_lines_do_not_overflow_the_stack() {
        let data = format!("h,i\na,1\n{}b,2\n", "\"\"\n".repeat(100_000));
        let got = lines(&data);
        assert_eq!(got.first(), Some(&(2, "a".to_string())));
        assert_eq!(got.last(), Some(&(100_003, "b".to_string())));
    }

    #[test]
    fn an_unclosed_quote_stops_at_the_bound_naming_its_line() {
        let mut data = b"h,i\na,1\nb,\"never closed\n".to_vec();
        data.extend(std::iter::repeat_n(b"\n".as_slice(), MAX_CSV_RECORD_BYTES as usize / 2).flatten());
        data.extend(std::iter::repeat_n(b'x', MAX_CSV_RECORD_BYTES as usize));
        let mut src = CsvSource::new(Box::new(std::io::Cursor::new(data)), "t.csv", Format::Csv).unwrap();
        assert!(matches!(src.next_record(), Some(Ok(Ok((2, _))))));
        match src.next_record() {
            Some(Err(IngestError::Fatal { file, line, reason })) => {
                assert_eq!((file.as_str(), line), ("t.csv", 3), "{reason}");
                assert!(reason.contains("never closed"), "{reason}");
            }
            _ => panic!("expected the bound's error"),
        }
    }
}
