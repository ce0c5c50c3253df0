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
#[command(name = "leaktrace", version, propagate_version = true, max_term_width = 100, verbatim_doc_comment)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
// Each command's summary and --help come from the doc comment of its Args.
enum Command {
    /// Create or manage a case folder.
    #[command(subcommand)]
    Case(cmd::case::CaseCommand),
    Ingest(cmd::ingest::Args),
    Info(cmd::info::Args),
    Demo(cmd::demo::Args),
    Coord(cmd::coord::Args),
    Clusters(cmd::clusters::Args),
    Export(cmd::export::Args),
    Verify(cmd::verify::Args),
    /// Recover DKIM keys from the leak itself, and list key archives.
    #[command(subcommand)]
    Keys(cmd::keys::KeysCommand),
    Search(cmd::search::Args),
    Timeline(cmd::timeline::Args),
    Leadlag(cmd::leadlag::Args),
    First(cmd::first::Args),
    Serve(cmd::serve::Args),
    Report(cmd::report::Args),
}

fn main() -> ExitCode {
    // Rust ignores SIGPIPE, so printing into a closed pipe (`leaktrace search
    // ... | head`) would panic; a command-line tool should just stop.
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any other thread exists;
    // SIG_DFL is a valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
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
        Command::Keys(c) => cmd::keys::run(c),
        Command::Search(a) => cmd::search::run(a),
        Command::Timeline(a) => cmd::timeline::run(a),
        Command::Leadlag(a) => cmd::leadlag::run(a),
        Command::First(a) => cmd::first::run(a),
        Command::Serve(a) => cmd::serve::run(a),
        Command::Report(a) => cmd::report::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("leaktrace: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
