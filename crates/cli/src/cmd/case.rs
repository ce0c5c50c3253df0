//! `leaktrace case init DIR`

use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;
use leaktrace_store::Case;

#[derive(Subcommand)]
pub enum CaseCommand {
    /// Create an empty case folder at DIR (created if missing; must be empty).
    ///
    /// The folder will hold the evidence byte-for-byte under evidence/, the
    /// catalog in catalog.sqlite, and post tables under posts/.
    Init {
        /// Directory for the new case.
        dir: PathBuf,
    },
}

pub fn run(cmd: CaseCommand) -> Result<()> {
    match cmd {
        CaseCommand::Init { dir } => {
            Case::init(&dir)?;
            println!("created case {}", dir.display());
            println!("next: leaktrace ingest {} FILE...", dir.display());
            Ok(())
        }
    }
}
