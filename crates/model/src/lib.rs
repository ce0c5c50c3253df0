//! The vocabulary every part of leaktrace speaks: posts, accounts, and the
//! small derivations (hashtags, mentions, normalised URLs, synthetic ids)
//! that turn a platform's row into something analyses can compare.
//!
//! This crate is pure: it does no I/O, knows no file format and no storage.
//! Ingest builds these values, the store persists them, analyses read them.
//!
//! ```
//! use leaktrace_model::derive::{normalize_url, extract_hashtags};
//! assert_eq!(
//!     normalize_url("HTTPS://Example.COM/a?utm_source=x&id=3#top").as_deref(),
//!     Some("https://example.com/a?id=3")
//! );
//! assert_eq!(extract_hashtags("Vote #MAGA and #maga!"), vec!["maga", "maga"]);
//! ```

pub mod derive;
pub mod meta;

use serde::{Deserialize, Serialize};

pub use meta::{ArticleMeta, EmailMeta, MailHeaders, Published};

/// What a post does relative to other posts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PostKind {
    /// An original post.
    Post,
    /// A retweet / share of another post, adding nothing.
    Repost,
    /// A new post that quotes another one.
    Quote,
    /// A reply to another post.
    Reply,
}

impl PostKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PostKind::Post => "post",
            PostKind::Repost => "repost",
            PostKind::Quote => "quote",
            PostKind::Reply => "reply",
        }
    }

    pub fn parse(s: &str) -> Option<PostKind> {
        // The stored spellings first, without allocating: tables are read row by row.
        match s {
            "post" => return Some(PostKind::Post),
            "repost" => return Some(PostKind::Repost),
            "quote" => return Some(PostKind::Quote),
            "reply" => return Some(PostKind::Reply),
            _ => {}
        }
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "post" | "original" | "tweet" => PostKind::Post,
            "repost" | "retweet" | "rt" | "share" => PostKind::Repost,
            "quote" | "quoted" => PostKind::Quote,
            "reply" | "replied_to" => PostKind::Reply,
            _ => return None,
        })
    }
}

/// One social-media post as every analysis sees it, whatever format it came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Post {
    /// The platform's post id, or a synthetic one (see `id_derived`).
    pub id: i64,
    /// True when the source had no post id and `id` was derived from the
    /// source file's hash and the row's line number.
    pub id_derived: bool,
    /// Stable account key: the platform's user id where the source has one,
    /// otherwise the lower-cased handle.
    pub account: String,
    /// Handle / screen name as written in the source, when known.
    pub account_name: Option<String>,
    /// Publication time, UTC, milliseconds since the Unix epoch.
    pub time_ms: i64,
    /// Resolution of `time_ms` in the source, in seconds (60 for the IRA
    /// data, whose times are whole minutes; 1 for platform APIs; 0 when the
    /// source has milliseconds).
    pub time_resolution_s: u32,
    pub text: String,
    /// Language as given by the source (a code or a name), if any.
    pub language: Option<String>,
    pub kind: PostKind,
    /// The post this one reposts, quotes or replies to, when known.
    pub target_post: Option<i64>,
    /// True when `target_post` was derived (e.g. from the reposted text in
    /// data without ids) rather than given by the source.
    pub target_derived: bool,
    /// The account this one reposts, quotes or replies to, when known.
    pub target_account: Option<String>,
    /// Lower-cased, without `#`.
    pub hashtags: Vec<String>,
    /// Lower-cased, without `@`.
    pub mentions: Vec<String>,
    /// Normalised (see [`derive::normalize_url`]).
    pub urls: Vec<String>,
    /// Hosts of `urls`, without a leading `www.`.
    pub domains: Vec<String>,
    pub followers: Option<i64>,
    pub following: Option<i64>,
    /// Media the post carries, as the source names them: a file path
    /// relative to the export (a Telegram photo), a blob or sound id.
    pub media: Vec<String>,
    /// 64-bit perceptual hashes of the post's images (see
    /// `leaktrace_ingest::media`), distinct, in the order of `media`.
    pub image_hashes: Vec<i64>,
    /// 1-based line in the source file where this post's record starts.
    pub line: u64,
}

impl Post {
    /// A post with only the required fields set; the rest empty.
    pub fn new(id: i64, account: impl Into<String>, time_ms: i64, text: impl Into<String>) -> Post {
        Post {
            id,
            id_derived: false,
            account: account.into(),
            account_name: None,
            time_ms,
            time_resolution_s: 1,
            text: text.into(),
            language: None,
            kind: PostKind::Post,
            target_post: None,
            target_derived: false,
            target_account: None,
            hashtags: Vec::new(),
            mentions: Vec::new(),
            urls: Vec::new(),
            domains: Vec::new(),
            followers: None,
            following: None,
            media: Vec::new(),
            image_hashes: Vec::new(),
            line: 0,
        }
    }

    /// Fill hashtags, mentions, URLs and domains from the text, for sources
    /// that do not list entities themselves.
    pub fn derive_entities_from_text(&mut self) {
        self.hashtags = derive::extract_hashtags(&self.text);
        self.mentions = derive::extract_mentions(&self.text);
        let urls: Vec<String> = derive::extract_urls(&self.text).into_iter().map(str::to_string).collect();
        self.set_urls(urls);
    }

    /// Set URLs from raw strings: each is normalised (unparseable ones are
    /// dropped) and the domain list is rebuilt.
    pub fn set_urls<I, S>(&mut self, raw: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.urls = raw.into_iter().filter_map(|u| derive::normalize_url(u.as_ref())).collect();
        self.domains = self.urls.iter().filter_map(|u| derive::domain_of(u)).collect();
    }
}

/// What a source says about an account (beyond its posts): a display
/// handle and labels such as the Clemson `account_category`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountInfo {
    pub account: String,
    pub name: Option<String>,
    /// (label key, value), e.g. ("account_category", "RightTroll").
    pub labels: Vec<(String, String)>,
}
