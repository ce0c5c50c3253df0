//! Analysis runs: each is a folder of results under `analyses/<kind>/<id>/`
//! and a row in the catalog's `runs` table with the parameters that
//! reproduce it. The folder is written in `tmp/` and renamed into place
//! before the row is inserted, so a row always points at complete results;
//! a folder without a row (a crash between the two) is removed when its id
//! is handed out again.

use std::path::{Path, PathBuf};

use rusqlite::params;
use serde::Serialize;

use crate::case::Case;
use crate::catalog;
use crate::error::{Result, StoreError, io_err};
use crate::lock::WriteLock;

/// One recorded analysis run.
#[derive(Clone, Debug, Serialize)]
pub struct RunRow {
    pub id: i64,
    pub kind: String,
    pub params: serde_json::Value,
    pub created_at: String,
    pub tool_version: String,
    /// Folder of the results, relative to the case root.
    pub output: String,
    pub summary: serde_json::Value,
}

fn json(text: String) -> serde_json::Value {
    serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
}

impl Case {
    /// Record an analysis run. `write` fills a fresh folder with the results
    /// and returns a JSON summary; the folder then becomes
    /// `analyses/<kind>/<id>/` and the run is listed with `params`.
    /// Nothing is recorded when `write` fails.
    pub fn record_run<E: From<StoreError>>(
        &self,
        _lock: &WriteLock,
        kind: &str,
        params: &serde_json::Value,
        write: impl FnOnce(&Path) -> std::result::Result<serde_json::Value, E>,
    ) -> std::result::Result<RunRow, E> {
        if kind.is_empty() || !kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(StoreError::Io {
                path: kind.to_string(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "run kind must be a plain name"),
            }
            .into());
        }
        let conn = catalog::connect(self.root())?;
        let id: i64 =
            conn.query_row("SELECT coalesce(max(id), 0) + 1 FROM runs", [], |r| r.get(0)).map_err(StoreError::from)?;
        let staging = self.root().join("tmp").join(format!("run-{id}"));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(io_err(&staging))?;
        }
        std::fs::create_dir_all(&staging).map_err(io_err(&staging))?;
        let summary = match write(&staging) {
            Ok(s) => s,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&staging);
                return Err(e);
            }
        };
        let rel = PathBuf::from("analyses").join(kind).join(id.to_string());
        let dest = self.root().join(&rel);
        let parent = dest.parent().expect("analyses/<kind>");
        std::fs::create_dir_all(parent).map_err(io_err(parent))?;
        if dest.exists() {
            // Left by a run that crashed before its row was inserted.
            std::fs::remove_dir_all(&dest).map_err(io_err(&dest))?;
        }
        std::fs::rename(&staging, &dest).map_err(io_err(&dest))?;
        let row = RunRow {
            id,
            kind: kind.to_string(),
            params: params.clone(),
            created_at: catalog::now_rfc3339(),
            tool_version: crate::TOOL_VERSION.to_string(),
            output: rel.to_string_lossy().replace('\\', "/"),
            summary,
        };
        conn.execute(
            "INSERT INTO runs(id, kind, params, created_at, tool_version, output, summary) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![row.id, row.kind, row.params.to_string(), row.created_at, row.tool_version, row.output, row.summary.to_string()],
        )
        .map_err(StoreError::from)?;
        Ok(row)
    }

    /// Every recorded run, oldest first.
    pub fn runs(&self) -> Result<Vec<RunRow>> {
        let conn = catalog::connect(self.root())?;
        let mut st =
            conn.prepare("SELECT id, kind, params, created_at, tool_version, output, summary FROM runs ORDER BY id")?;
        let rows = st
            .query_map([], |r| {
                Ok(RunRow {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    params: json(r.get(2)?),
                    created_at: r.get(3)?,
                    tool_version: r.get(4)?,
                    output: r.get(5)?,
                    summary: json(r.get(6)?),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// One run by id.
    pub fn run(&self, id: i64) -> Result<Option<RunRow>> {
        Ok(self.runs()?.into_iter().find(|r| r.id == id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_recorded_with_their_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let case = Case::init(&tmp.path().join("c")).unwrap();
        let lock = case.lock_for_write(false, |_| {}).unwrap();
        let p = serde_json::json!({"window_s": 60});
        let r = case
            .record_run::<StoreError>(&lock, "coord", &p, |dir| {
                std::fs::write(dir.join("x.txt"), "hi").unwrap();
                Ok(serde_json::json!({"edges": 3}))
            })
            .unwrap();
        assert_eq!((r.id, r.output.as_str()), (1, "analyses/coord/1"));
        assert!(case.root().join("analyses/coord/1/x.txt").is_file());
        let failed = case.record_run::<StoreError>(&lock, "coord", &p, |_| Err(StoreError::NotACase("boom".into())));
        assert!(failed.is_err());
        let runs = case.runs().unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].params, p);
        assert_eq!(runs[0].summary["edges"], 3);
        assert_eq!(case.run(1).unwrap().unwrap().kind, "coord");
    }
}
