//! `leaktrace report DIR --out FILE.html`

use std::path::PathBuf;

use anyhow::Result;

/// Write a self-contained HTML report of a case for an editor or a lawyer.
///
/// One file, with its CSS and charts inline and no script: the sources and
/// their SHA-256 hashes (chain of custody), the email verification results
/// with their reasons, the top clusters of coordinated accounts with the
/// evidence behind them, and the timeline. It opens offline in any browser
/// and loads nothing from anywhere.
///
/// Example:
///   leaktrace report mycase --out report.html
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The case folder.
    pub dir: PathBuf,
    /// The HTML file to write.
    #[arg(long, short, value_name = "FILE.html")]
    pub out: PathBuf,
}

pub fn run(args: Args) -> Result<()> {
    leaktrace_web::write_report(&args.dir, &args.out)?;
    println!("wrote {}", args.out.display());
    Ok(())
}
