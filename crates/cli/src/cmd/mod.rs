//! One module per subcommand.

pub mod case;
pub mod clusters;
pub mod coord;
pub mod demo;
pub mod export;
pub mod info;
pub mod ingest;
