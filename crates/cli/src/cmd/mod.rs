//! One module per subcommand.

pub mod case;
pub mod demo;
pub mod info;
pub mod ingest;
