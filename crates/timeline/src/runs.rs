//! Storing a timeline analysis in the case: `analyses/<kind>/<run-id>/`
//! with `params.json` (everything needed to run it again), `result.json`
//! and, where the result is a table, `result.csv`; listed in the catalog's
//! `runs` with a summary.

use leaktrace_store::{Case, RunRow, StoreError, WriteLock};
use serde::Serialize;

use crate::Result;

/// Record one run. `csv` is the result's main table, if it has one.
pub fn save_run(
    case: &Case,
    lock: &WriteLock,
    kind: &str,
    params: &serde_json::Value,
    result: &impl Serialize,
    csv: Option<&str>,
    summary: serde_json::Value,
) -> Result<RunRow> {
    let write = |dir: &std::path::Path| -> std::result::Result<serde_json::Value, StoreError> {
        let put = |name: &str, bytes: &[u8]| {
            let p = dir.join(name);
            std::fs::write(&p, bytes).map_err(|source| StoreError::Io { path: p.display().to_string(), source })
        };
        put("params.json", (serde_json::to_string_pretty(params).expect("json") + "\n").as_bytes())?;
        put("result.json", (serde_json::to_string_pretty(result).expect("json") + "\n").as_bytes())?;
        if let Some(c) = csv {
            put("result.csv", c.as_bytes())?;
        }
        Ok(summary)
    };
    Ok(case.record_run(lock, kind, params, write)?)
}

/// A time bound as given on the command line: a time with its zone
/// (`2016-10-07 16:32 ET`, RFC 3339), or a date alone, taken as 00:00 UTC.
pub fn parse_bound(s: &str) -> std::result::Result<i64, String> {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
        return Ok(d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp_millis());
    }
    crate::declared::parse_zoned_time(s).map(|(ms, _)| ms)
}
