//! `leaktrace export DIR --format qut --out FILE.csv`

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use leaktrace_coord::posts::{Need, PostTable};
use leaktrace_coord::qut;
use leaktrace_store::Case;

use crate::text::thousands;

/// Write the posts of a case in another tool's input format.
///
///   qut   the input CSV of the QUT Coordination Network Toolkit
///         (message_id,user_id,username,repost_id,reply_id,message,timestamp,urls):
///         ids as integers, repost_id / reply_id the reposted / replied-to post,
///         timestamp in epoch seconds, URLs (normalised) space-separated.
///
/// Rows come in case order (source, then line), so a tool that keeps the
/// first of repeated ids keeps the same post leaktrace does.
///
/// Example:
///   leaktrace export mycase --format qut --out posts.csv
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The case folder.
    pub dir: PathBuf,
    /// Output format: qut.
    #[arg(long, value_name = "NAME")]
    pub format: String,
    /// File to write.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

pub fn run(args: Args) -> Result<()> {
    if args.format != "qut" {
        bail!("unknown --format {:?}; the one export format is qut", args.format);
    }
    let case = Case::open(&args.dir)?;
    let table = PostTable::load(&case, Need { text: true, urls: true, ..Need::default() })?;
    let file = std::fs::File::create(&args.out).with_context(|| format!("{}", args.out.display()))?;
    let n = qut::write_input_csv(&table, std::io::BufWriter::new(file))?;
    println!("wrote {} posts to {}", thousands(n as i64), args.out.display());
    Ok(())
}
