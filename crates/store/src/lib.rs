//! The case folder: where evidence, its catalog and derived tables live.
//!
//! A case is a directory that holds
//! - `evidence/sha256/xx/<hex>`: every original file, byte-for-byte,
//!   content-addressed by SHA-256 and made read-only;
//! - `catalog.sqlite`: sources (chain of custody), accounts and their labels,
//!   items, rejected records, facet counts, a schema version;
//! - `posts/source=<id>/part-00000.parquet`: social posts, one partition per
//!   source, so adding a source never rewrites old files;
//! - `write.lock`: held by the one process that may write.
//!
//! Invariants: evidence is never modified or deleted once stored; a source is
//! either wholly in the case (its catalog row is `complete`) or not at all —
//! leftovers of an interrupted ingest are invisible to readers and removed by
//! the next writer; only the holder of `write.lock` writes. The store knows
//! nothing of file formats (ingest) or analyses (they read from it).

mod case;
mod catalog;
mod durable;
mod error;
mod evidence;
mod items;
mod lock;
mod messages;
pub mod posts;
mod runs;
mod source;

pub use case::Case;
pub use catalog::{AccountRow, CaseSummary, FacetCount, RejectRow, SourceMeta, SourceRow};
pub use error::{Result, StoreError};
pub use evidence::StoredFile;
pub use items::{ItemRow, NewItem};
pub use lock::WriteLock;
pub use messages::{MailWriter, MessageCounts, MessageRow, NewAttachment, NewMessage, ThreadLinks, Verdict};
pub use runs::RunRow;
pub use source::{AddedSource, SourceWriter};

/// The version of leaktrace writing to a case, recorded with every source.
pub const TOOL_VERSION: &str = concat!("leaktrace ", env!("CARGO_PKG_VERSION"));

/// Test hook: when `LEAKTRACE_CRASH_AT` names this point, the process aborts
/// here, as a `kill -9` would stop it. Lets tests prove crash safety at every
/// step of an ingest deterministically.
pub fn crash_point(name: &str) {
    if std::env::var("LEAKTRACE_CRASH_AT").is_ok_and(|v| v == name) {
        eprintln!("leaktrace: aborting at crash point {name} (LEAKTRACE_CRASH_AT)");
        std::process::abort();
    }
}
