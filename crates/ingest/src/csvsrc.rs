//! A CSV record source shared by the CSV-based formats: header lookup,
//! 1-based line numbers for every record, field-count and UTF-8 checks
//! that turn into rejects rather than aborts.

use std::io::Read;

use csv::ByteRecord;

use crate::{Format, IngestError};

pub struct CsvSource {
    rdr: csv::Reader<Box<dyn Read>>,
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
        let mut rdr = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(input);
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
        Ok(CsvSource { rdr, headers, record: ByteRecord::new(), display: display.to_string() })
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
                found: format!("a header without {} (header: {})", missing.join(", "), excerpt(&self.headers.join(","))),
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
                let line = self.record.position().map(|p| p.line()).unwrap_or(0);
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
    if s.chars().count() > 100 {
        format!("{}…", s.chars().take(100).collect::<String>())
    } else {
        s.to_string()
    }
}
