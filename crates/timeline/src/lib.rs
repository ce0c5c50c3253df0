//! The timeline of a case: one time axis for posts, declared events,
//! article statements and (when the mail tables land) emails; the first
//! appearance and cascade of an object; lead/lag between accounts or
//! declared events and their followers, with a permutation test; bursts.
//!
//! This crate reads the case through `leaktrace_store` (and finds the
//! posts a question is about through the search index, `leaktrace_search`,
//! when it covers the case) and computes; the
//! only thing it writes is a run's results, through the store's
//! `record_run`. It never parses evidence formats (ingest does; the
//! declared-events file and article prose are the analyst's inputs and the
//! analysis's own reading) and never renders anything (views do): every
//! result is a plain value that serialises to JSON.
//!
//! ```
//! use leaktrace_timeline::objects::Object;
//! use leaktrace_timeline::first::first_appearance;
//! use leaktrace_timeline::posts::CasePost;
//! use leaktrace_model::Post;
//!
//! let mut a = Post::new(1, "alice", 60_000, "read https://example.com/leak");
//! a.derive_entities_from_text();
//! let mut b = Post::new(2, "bob", 0, "https://example.com/leak first!");
//! b.derive_entities_from_text();
//! let posts = vec![CasePost { source: 1, post: a }, CasePost { source: 1, post: b }];
//! let f = first_appearance(&posts, &Object::parse("https://example.com/leak").unwrap());
//! assert_eq!(f.first[0].account, "bob");
//! assert_eq!(f.order[1].delay_ms, 60_000);
//! ```

pub mod amplification;
pub mod bursts;
pub mod dates;
pub mod declared;
pub mod events;
pub mod first;
pub mod leadlag;
pub mod objects;
pub mod posts;
pub mod rng;
pub mod runs;
pub mod select;
pub mod stats;
pub mod zone;

#[derive(Debug, thiserror::Error)]
pub enum TimelineError {
    #[error(transparent)]
    Store(#[from] leaktrace_store::StoreError),
    #[error(transparent)]
    Search(#[from] leaktrace_search::SearchError),
    /// A user-written input (declared events) is wrong at this line.
    #[error("{file}: line {line}: {reason}")]
    Input { file: String, line: u64, reason: String },
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T> = std::result::Result<T, TimelineError>;
