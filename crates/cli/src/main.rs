//! `leaktrace`, the command line: it parses arguments and wires ingest,
//! store and analyses together. One module per subcommand under `cmd/`;
//! each command's `--help` is its documentation.
//!
//! Invariant: no analysis logic lives here; commands only call the library
//! crates and present what they return.

mod cmd;
mod progress;
mod text;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Offline forensics for hack-and-leak operations.
///
/// leaktrace keeps everything about one investigation in a case folder: the
/// original evidence byte-for-byte (with SHA-256 hashes for the chain of
/// custody), a catalog, and tables that pandas, Polars, DuckDB or Spark read
/// as they are. Start with `leaktrace demo`, or:
///
///   leaktrace case init mycase
///   leaktrace ingest mycase tweets.csv.gz --accounts authors.csv
///   leaktrace info mycase
#[derive(Parser)]
#[command(name = "leaktrace", version, propagate_version = true, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create or manage a case folder.
    #[command(subcommand)]
    Case(cmd::case::CaseCommand),
    /// Add evidence files to a case (social-media exports and account lists).
    Ingest(cmd::ingest::Args),
    /// Summarise a case: sources and their hashes, counts, date range, top hashtags and domains.
    Info(cmd::info::Args),
    /// Build a case from the sample data bundled in leaktrace and show what is in it.
    Demo(cmd::demo::Args),
    /// Co-action networks: accounts that reposted, linked or posted the same thing within a time window.
    Coord(cmd::coord::Args),
    /// Clusters of coordinated accounts (Louvain communities or connected components) with summaries.
    Clusters(cmd::clusters::Args),
    /// Write the posts of a case in another tool's input format (qut).
    Export(cmd::export::Args),
    // Its --help is the doc comment of cmd::verify::Args.
    Verify(cmd::verify::Args),
    /// Full-text search over the posts, articles and emails of a case.
    Search(cmd::search::Args),
    /// One time axis for posts, articles and their dated statements, and declared events; bursts.
    Timeline(cmd::timeline::Args),
    /// How fast followers act on what a leader (accounts or declared events) posted, against chance.
    Leadlag(cmd::leadlag::Args),
    /// Who posted a URL, hashtag, text or post first, and how it spread.
    First(cmd::first::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Case(c) => cmd::case::run(c),
        Command::Ingest(a) => cmd::ingest::run(a),
        Command::Info(a) => cmd::info::run(a),
        Command::Demo(a) => cmd::demo::run(a),
        Command::Coord(a) => cmd::coord::run(a),
        Command::Clusters(a) => cmd::clusters::run(a),
        Command::Export(a) => cmd::export::run(a),
        Command::Verify(a) => cmd::verify::run(a),
        Command::Search(a) => cmd::search::run(a),
        Command::Timeline(a) => cmd::timeline::run(a),
        Command::Leadlag(a) => cmd::leadlag::run(a),
        Command::First(a) => cmd::first::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("leaktrace: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
