//! Reading evidence formats into leaktrace's model.
//!
//! `ingest` turns bytes in a known format into a stream of [`Event`]s:
//! posts, account facts and rejected rows (with their line and reason). It
//! detects formats from their headers, reads `.gz` and `.zst` transparently,
//! and streams: no parser holds a whole file in memory.
//!
//! Invariants: this crate never writes anything (persisting is the store's
//! job), never touches the network, and never drops a malformed record
//! silently — every record becomes either a post or a [`Reject`].
//!
//! ```
//! use leaktrace_ingest::{open_parser, Event, Format, SourceContext};
//! let csv = "message_id,user_id,username,repost_id,reply_id,message,timestamp,urls\n\
//!            1,10,alice,,,hello #world,1500000000,https://example.com\n";
//! let ctx = SourceContext::new("example.csv", [0u8; 32]);
//! let events: Vec<_> = open_parser(Format::Qut, Box::new(csv.as_bytes()), &ctx, &Default::default())
//!     .unwrap()
//!     .collect::<Result<_, _>>()
//!     .unwrap();
//! let Event::Post(p) = &events[0] else { panic!() };
//! assert_eq!(p.hashtags, vec!["world"]);
//! ```

pub mod accounts;
pub mod article;
pub mod csvsrc;
pub mod decompress;
pub mod lines;
pub mod mail;
pub mod media;
pub mod social;
pub mod time;

use std::fmt;
use std::io::Read;

use leaktrace_model::{AccountInfo, Post};

pub use decompress::open_decompressed;

/// Social-media formats leaktrace reads. Names are the `--format` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// FiveThirtyEight "russian-troll-tweets", original 21 columns.
    Ira538,
    /// The per-author layout of the same data (author_id, content, …).
    IraByAuthor,
    /// Twitter/X transparency ("information operations") archive CSV.
    PlatformArchive,
    /// Twitter API v2 JSONL as written by twarc2 (pages or flattened tweets).
    TwitterV2,
    /// Twitter API v1.1 JSONL, one tweet object per line.
    TwitterV1,
    /// Input CSV of the QUT Coordination Network Toolkit.
    Qut,
    /// Any CSV, through a column mapping (`--map`).
    Csv,
    /// Telegram Desktop's JSON export (`result.json`): one chat, or a whole account's.
    Telegram,
    /// Bluesky records as JSON lines (Jetstream events, `{uri, cid, value}` records, post views).
    Bluesky,
    /// Meta Content Library CSV downloads of Facebook and Instagram posts.
    MetaCl,
    /// TikTok Research API video JSON (response pages or video objects, one per line).
    TikTok,
}

impl Format {
    pub const ALL: [Format; 11] = [
        Format::Ira538,
        Format::IraByAuthor,
        Format::PlatformArchive,
        Format::TwitterV2,
        Format::TwitterV1,
        Format::Qut,
        Format::Csv,
        Format::Telegram,
        Format::Bluesky,
        Format::MetaCl,
        Format::TikTok,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Ira538 => "ira538",
            Format::IraByAuthor => "ira-by-author",
            Format::PlatformArchive => "platform-archive",
            Format::TwitterV2 => "twitter-v2",
            Format::TwitterV1 => "twitter-v1",
            Format::Qut => "qut",
            Format::Csv => "csv",
            Format::Telegram => "telegram",
            Format::Bluesky => "bluesky",
            Format::MetaCl => "meta-cl",
            Format::TikTok => "tiktok",
        }
    }

    pub fn from_name(s: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == s)
    }

    /// What a file of this format must look like, for error messages.
    pub fn expectation(self) -> &'static str {
        match self {
            Format::Ira538 => {
                "a CSV whose header has the 21 FiveThirtyEight columns (external_author_id, author, content, …, tco3_step1)"
            }
            Format::IraByAuthor => "a CSV whose header starts author_id,content,region,language,publish_date,…",
            Format::PlatformArchive => {
                "a CSV whose header has tweetid, userid, user_screen_name, tweet_time, tweet_text, is_retweet, …"
            }
            Format::TwitterV2 => {
                "JSON lines, each a twarc2 page ({\"data\": [...], \"includes\": {...}}) or one v2 tweet object with id, text, author_id"
            }
            Format::TwitterV1 => "JSON lines, each a v1.1 tweet object with id_str, created_at and user",
            Format::Qut => "a CSV with header message_id,user_id,username,repost_id,reply_id,message,timestamp,urls",
            Format::Csv => "a CSV with a header row containing the columns named in --map",
            Format::Telegram => {
                "a Telegram Desktop JSON export (result.json): an object with \"messages\", or an account export with \"chats\": {\"list\": [...]}"
            }
            Format::Bluesky => {
                "JSON lines, each a Jetstream event ({\"did\", \"kind\", \"commit\"}), a record ({\"uri\", \"value\"}) or a post view ({\"uri\", \"author\", \"record\"})"
            }
            Format::MetaCl => {
                "a Meta Content Library CSV whose header has id, creation_time and post_owner.* (or producer_*) columns"
            }
            Format::TikTok => {
                "JSON lines, each a Research API response ({\"data\": {\"videos\": [...]}}) or one video object with id, username, create_time"
            }
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where the bytes being parsed came from.
#[derive(Clone, Debug)]
pub struct SourceContext {
    /// Path as the user gave it, for messages.
    pub display: String,
    /// SHA-256 of the original (compressed) file; seeds synthetic post ids so
    /// they are stable for the same evidence.
    pub sha256: [u8; 32],
    /// The folder media paths in the file are relative to (a Telegram
    /// export's folder); `None`: images are not read.
    pub media_dir: Option<std::path::PathBuf>,
    /// How many images were hashed, and what failed.
    pub media: std::sync::Arc<media::MediaStats>,
    /// Records of the format that are by nature not posts (a Telegram
    /// export's service messages: joins, pins, calls): counted, not rejected.
    pub skipped: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl SourceContext {
    pub fn new(display: impl Into<String>, sha256: [u8; 32]) -> SourceContext {
        SourceContext {
            display: display.into(),
            sha256,
            media_dir: None,
            media: Default::default(),
            skipped: Default::default(),
        }
    }

    /// Read the media files the source names, relative to `dir`.
    pub fn with_media_dir(mut self, dir: impl Into<std::path::PathBuf>) -> SourceContext {
        self.media_dir = Some(dir.into());
        self
    }

    /// Synthetic post id for a row of this source without a platform id.
    pub fn row_id(&self, line: u64) -> i64 {
        leaktrace_model::derive::synthetic_id(&[b"row", &self.sha256, &line.to_le_bytes()])
    }
}

/// A record that could not become a post.
#[derive(Clone, Debug, PartialEq)]
pub struct Reject {
    /// 1-based line where the record starts.
    pub line: u64,
    pub reason: String,
}

/// One unit of parser output.
// Posts are nearly every event; boxing them would cost an allocation each.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Post(Post),
    /// Facts about an account; emitted once per account per source.
    Account(AccountInfo),
    Reject(Reject),
}

/// Options that only some formats use.
#[derive(Clone, Debug, Default)]
pub struct ParseOptions {
    /// Column mapping for [`Format::Csv`].
    pub map: Option<social::generic::ColumnMap>,
}

/// Errors that stop a source: the file is not what it claims, or cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{file}: not {format} input: expected {expected}; found {found}")]
    WrongFormat { file: String, format: Format, expected: &'static str, found: String },
    #[error("{file}: cannot tell the format from its first bytes ({found}); name it with --format ({names})")]
    Undetected { file: String, found: String, names: String },
    #[error("{file}: line {line}: {reason}")]
    Fatal { file: String, line: u64, reason: String },
    #[error("{file}: {source}")]
    Io { file: String, source: std::io::Error },
    /// A file that cannot be read as what it was taken for, said in words.
    #[error("{file}: {reason}")]
    File { file: String, reason: String },
    #[error("{0}")]
    Usage(String),
}

pub type EventStream = Box<dyn Iterator<Item = Result<Event, IngestError>>>;

/// Open a streaming parser for `format` over decompressed bytes.
pub fn open_parser(
    format: Format,
    input: Box<dyn Read + Send>,
    ctx: &SourceContext,
    opts: &ParseOptions,
) -> Result<EventStream, IngestError> {
    social::open(format, input, ctx, opts)
}

/// Guess the format from the first bytes of a (decompressed) file. Returns
/// `None` when the header is ambiguous or unknown.
pub fn detect(head: &[u8]) -> Option<Format> {
    social::detect(head)
}

/// A short printable excerpt of the first line, for error messages.
pub fn first_line_excerpt(head: &[u8]) -> String {
    let line = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let s = String::from_utf8_lossy(line);
    let s = s.trim_end_matches('\r');
    if s.chars().count() > 120 { format!("{:?}…", s.chars().take(120).collect::<String>()) } else { format!("{s:?}") }
}
