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
///   parquet  the case's posts tables, copied byte for byte into the folder
///         --out as OUT/source=<id>/part-00000.parquet (Hive-style, the schema
///         of ARCHITECTURE.md): the input of `coord --engine spark --posts`.
///         For a cluster's storage, copy that folder there with its own tools
///         (aws s3 cp --recursive, hdfs dfs -put).
///
/// Rows come in case order (source, then line), so a tool that keeps the
/// first of repeated ids keeps the same post leaktrace does.
///
/// Examples:
///   leaktrace export mycase --format qut --out posts.csv
///   leaktrace export mycase --format parquet --out /data/mycase-posts
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The case folder.
    pub dir: PathBuf,
    /// Output format: qut or parquet.
    #[arg(long, value_name = "NAME")]
    pub format: String,
    /// File (qut) or folder (parquet) to write.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
}

pub fn run(args: Args) -> Result<()> {
    if args.format == "parquet" {
        return parquet(&args);
    }
    if args.format != "qut" {
        bail!("unknown --format {:?}; use qut or parquet", args.format);
    }
    let case = Case::open(&args.dir)?;
    let table = PostTable::load(&case, Need { text: true, urls: true, ..Need::default() })?;
    let file = std::fs::File::create(&args.out).with_context(|| format!("{}", args.out.display()))?;
    let n = qut::write_input_csv(&table, std::io::BufWriter::new(file))?;
    println!("wrote {} posts to {}", thousands(n as i64), args.out.display());
    Ok(())
}

/// The posts tables as they are, in a Hive-partitioned folder.
fn parquet(args: &Args) -> Result<()> {
    let case = Case::open(&args.dir)?;
    let files = case.post_files()?;
    if files.is_empty() {
        bail!("{}: the case has no posts", args.dir.display());
    }
    if args.out.exists() && std::fs::read_dir(&args.out)?.next().is_some() {
        bail!("{}: the folder is not empty; give a new or empty folder", args.out.display());
    }
    let mut bytes = 0;
    for f in &files {
        // posts/source=<id>/part-00000.parquet: keep the partition folder and file names.
        let (Some(part), Some(name)) = (f.parent().and_then(|p| p.file_name()), f.file_name()) else {
            bail!("{}: not a posts table path", f.display());
        };
        let dir = args.out.join(part);
        std::fs::create_dir_all(&dir).with_context(|| dir.display().to_string())?;
        bytes += std::fs::copy(f, dir.join(name)).with_context(|| f.display().to_string())?;
    }
    println!("wrote {} posts tables ({} bytes) to {}", files.len(), thousands(bytes as i64), args.out.display());
    Ok(())
}
