//! `--sort-into OUTDIR`: every message copied into a folder per verdict,
//! with `report.csv` (a flat row per message) and `report.json`.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use leaktrace_ingest::mail::MailItem;
use leaktrace_verify::MessageReport;
use serde::Serialize;

/// A report line of `--json` and report.json.
#[derive(Serialize)]
pub(super) struct Row<'a> {
    #[serde(flatten)]
    pub(super) report: &'a MessageReport,
    pub(super) source: &'a str,
    pub(super) index: u64,
    pub(super) offset: u64,
    pub(super) line: u64,
    pub(super) container: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) envelope: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) sorted_to: Option<String>,
}

pub(super) struct Sorter {
    dir: PathBuf,
    csv: csv_writer::Csv,
    json: BufWriter<File>,
    first: bool,
    names: HashSet<String>,
}

impl Sorter {
    pub(super) fn create(dir: &Path) -> Result<Sorter> {
        if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
            bail!("{}: exists and is not empty; --sort-into needs a new or empty folder", dir.display());
        }
        for sub in ["verified", "weak", "consistent", "unverified", "unsigned"] {
            std::fs::create_dir_all(dir.join(sub)).with_context(|| format!("{}: cannot create", dir.display()))?;
        }
        let csv = csv_writer::Csv::create(&dir.join("report.csv"))?;
        let mut json = BufWriter::new(File::create(dir.join("report.json"))?);
        json.write_all(b"[")?;
        Ok(Sorter { dir: dir.to_path_buf(), csv, json, first: true, names: HashSet::new() })
    }

    /// Copy the message; returns its path relative to the folder.
    pub(super) fn write(&mut self, item: &MailItem, r: &MessageReport) -> Result<String> {
        let base = Path::new(&item.source).file_name().and_then(|n| n.to_str()).unwrap_or("message").to_string();
        let first = if item.container.starts_with("mbox") {
            let stem = base.trim_end_matches(".gz").trim_end_matches(".zst");
            format!("{stem}-{:06}.eml", item.index)
        } else {
            base
        };
        // Same file name from two folders: number the later ones.
        let mut name = first.clone();
        let mut k = 2;
        while !self.names.insert(name.clone()) {
            name = format!("{k}-{first}");
            k += 1;
        }
        let rel = format!("{}/{name}", r.verdict.as_str());
        let path = self.dir.join(&rel);
        std::fs::write(&path, &item.raw.bytes).with_context(|| format!("{}: cannot write", path.display()))?;
        self.csv.row(&rel, item, r)?;
        Ok(rel)
    }

    pub(super) fn json_row(&mut self, row: &Row<'_>) -> Result<()> {
        if !self.first {
            self.json.write_all(b",")?;
        }
        self.first = false;
        self.json.write_all(b"\n")?;
        serde_json::to_writer(&mut self.json, row)?;
        Ok(())
    }

    pub(super) fn finish(mut self) -> Result<()> {
        self.json.write_all(b"\n]\n")?;
        self.json.flush()?;
        self.csv.finish()
    }
}

/// report.csv: one flat row per message.
mod csv_writer {
    use super::*;

    pub struct Csv {
        out: csv::Writer<File>,
    }

    impl Csv {
        pub fn create(path: &Path) -> Result<Csv> {
            let mut out = csv::Writer::from_path(path).with_context(|| format!("{}: cannot create", path.display()))?;
            out.write_record([
                "file",
                "verdict",
                "source",
                "index",
                "offset",
                "line",
                "message_id",
                "from",
                "to",
                "subject",
                "date",
                "signatures",
                "reasons",
                "malformed",
                "attachments",
            ])?;
            Ok(Csv { out })
        }

        pub fn row(&mut self, file: &str, item: &MailItem, r: &MessageReport) -> Result<()> {
            let sigs: Vec<String> = r
                .signatures
                .iter()
                .map(|s| format!("{}/{}/{}", s.domain, s.selector, if s.reason == "pass" { "pass" } else { "fail" }))
                .collect();
            let reasons: Vec<&str> = r.signatures.iter().map(|s| s.reason.as_str()).collect();
            let atts: Vec<String> =
                r.attachments.iter().map(|a| a.name.clone().unwrap_or_else(|| a.content_type.clone())).collect();
            self.out.write_record([
                file,
                r.verdict.as_str(),
                &item.source,
                &item.index.to_string(),
                &item.raw.offset.to_string(),
                &item.raw.line.to_string(),
                r.message_id.as_deref().unwrap_or(""),
                r.from.as_deref().unwrap_or(""),
                r.to.as_deref().unwrap_or(""),
                r.subject.as_deref().unwrap_or(""),
                r.date.as_deref().unwrap_or(""),
                &sigs.join(" "),
                &reasons.join(" "),
                &r.malformed.join("; "),
                &atts.join("; "),
            ])?;
            Ok(())
        }

        pub fn finish(mut self) -> Result<()> {
            self.out.flush()?;
            Ok(())
        }
    }
}
