//! One module per subcommand.

pub mod case;
pub mod clusters;
pub mod coord;
pub mod demo;
pub mod export;
pub mod first;
pub mod info;
pub mod ingest;
pub mod ingest_article;
pub mod ingest_mail;
pub mod leadlag;
pub mod search;
pub mod timeline;
pub mod verify;
