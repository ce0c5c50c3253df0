//! Flags that several commands take, declared once and flattened into each
//! (`#[command(flatten)]`), so they are spelled, parsed and documented the
//! same everywhere.

pub mod network;

use anyhow::{Result, anyhow};
use leaktrace_timeline::runs::parse_bound;

/// `--from` and `--to`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct TimeRange {
    /// Only what happened at or after this time (2016-10-07, or 2016-10-07 16:32 ET, RFC 3339).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Only what happened before this time.
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
}

impl TimeRange {
    /// The bounds as UTC ms, checked.
    pub fn bounds(&self) -> Result<(Option<i64>, Option<i64>)> {
        let from = self.from.as_deref().map(parse_bound).transpose().map_err(|e| anyhow!("--from: {e}"))?;
        let to = self.to.as_deref().map(parse_bound).transpose().map_err(|e| anyhow!("--to: {e}"))?;
        Ok((from, to))
    }
}

/// How a timeline analysis is printed, and whether it is kept.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct AnalysisOutput {
    /// Print JSON (with the stored run's id).
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print the table as CSV (every row, whatever --limit says).
    #[arg(long)]
    pub csv: bool,
    /// Do not record the run in the case.
    #[arg(long)]
    pub no_store: bool,
}
