//! Coordination detection: co-action networks between the accounts of a
//! case, their clusters, and exports of both.
//!
//! Two accounts are linked when both performed the same action on the same
//! object (reposted the same post, shared the same link, posted the same or
//! a near-duplicate text, used the same hashtag, …) within a time window of
//! each other. Every edge keeps the pairs of posts behind it, so an
//! investigator can go from an edge to its evidence.
//!
//! ```no_run
//! use leaktrace_coord::{Network, Params, compute};
//! use leaktrace_store::Case;
//! let case = Case::open("mycase".as_ref())?;
//! let params = Params::new(vec![Network::CoRetweet, Network::CoLink], 60_000);
//! let result = compute(&case, &params)?;
//! for n in &result.networks {
//!     println!("{}: {} edges", n.network.name(), n.edges.len());
//! }
//! # Ok::<(), leaktrace_coord::CoordError>(())
//! ```
//!
//! `Params::compat = Some(Compat::Qut)` reproduces the edge lists of the QUT
//! Coordination Network Toolkit 1.5.2 (see [`qut`]).
//!
//! Invariants: this crate reads posts through `leaktrace-store` and writes
//! its results back through it; it never parses input formats (ingest does)
//! and never renders views (the CLI and other views present what it returns).
//! Results are deterministic: the same case and parameters give the same
//! edges, in the same order, on every run.

pub mod cache;
pub mod cluster;
pub mod column;
mod engine;
pub mod export;
mod images;
pub mod labels;
pub mod metrics;
mod networks;
pub mod posts;
pub mod qut;
pub mod results;
pub mod rng;
pub mod significance;
mod similar;
pub mod spark;
mod symmetry;
pub mod table;
pub mod text;
pub mod window;

use serde::{Deserialize, Serialize};

pub use cluster::{ClusterParams, ClusterResult, ClusterSummary, Method};
pub use engine::set_memory_limit;
pub use networks::{compute, compute_table};
pub use results::{RUN_KIND, StoredEdge, load_run, save_run, summary_json as results_summary};
pub use significance::{NullModel, Significance};
pub use table::PostTable;
pub use window::WindowAuto;

#[derive(Debug, thiserror::Error)]
pub enum CoordError {
    /// Bad parameters, reported before any work is done.
    #[error("{0}")]
    Params(String),
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Store(#[from] leaktrace_store::StoreError),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

pub type Result<T> = std::result::Result<T, CoordError>;

pub(crate) fn io_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> CoordError + '_ {
    move |source| CoordError::Io { path: path.display().to_string(), source }
}

/// The kinds of co-action network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Network {
    /// Reposts of the same post.
    CoRetweet,
    /// The same text after normalisation (case, whitespace, URLs, `RT @x:`).
    CoTweet,
    /// Near-duplicate original posts (Jaccard similarity of token sets).
    CoSimilarText,
    /// The same normalised URL.
    CoLink,
    /// The same web domain.
    CoDomain,
    CoHashtag,
    CoMention,
    /// Replies to the same post.
    CoReply,
    /// Active in the same time buckets far more often than chance.
    Sync,
    /// The same or a near-identical image (perceptual hashes within
    /// `Params::image_distance` bits).
    CoImage,
}

impl Network {
    pub const ALL: [Network; 10] = [
        Network::CoRetweet,
        Network::CoTweet,
        Network::CoSimilarText,
        Network::CoLink,
        Network::CoDomain,
        Network::CoHashtag,
        Network::CoMention,
        Network::CoReply,
        Network::Sync,
        Network::CoImage,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Network::CoRetweet => "co-retweet",
            Network::CoTweet => "co-tweet",
            Network::CoSimilarText => "co-similar-text",
            Network::CoLink => "co-link",
            Network::CoDomain => "co-domain",
            Network::CoHashtag => "co-hashtag",
            Network::CoMention => "co-mention",
            Network::CoReply => "co-reply",
            Network::Sync => "sync",
            Network::CoImage => "co-image",
        }
    }

    pub fn parse(s: &str) -> Option<Network> {
        Network::ALL.into_iter().find(|n| n.name() == s.trim())
    }

    /// Networks whose edges come from actions on shared objects (a post, a
    /// text, a URL, …) within the window: all but co-similar-text (pairs of
    /// similar posts) and sync (time buckets).
    pub fn is_object_network(self) -> bool {
        !matches!(self, Network::CoSimilarText | Network::Sync)
    }

    /// The toolkit's `edge_type` for the networks it computes.
    pub fn qut_name(self) -> Option<&'static str> {
        match self {
            Network::CoRetweet => Some("co_retweet"),
            Network::CoTweet => Some("co_tweet"),
            Network::CoLink => Some("co_link"),
            Network::CoSimilarText => Some("co_similar_tweet"),
            _ => None,
        }
    }

    /// Parse a comma-separated list, refusing unknown names.
    pub fn parse_list(s: &str) -> Result<Vec<Network>> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let n = Network::parse(part).ok_or_else(|| {
                let names: Vec<&str> = Network::ALL.iter().map(|n| n.name()).collect();
                CoordError::Params(format!("unknown network {part:?}; known networks: {}", names.join(", ")))
            })?;
            if !out.contains(&n) {
                out.push(n);
            }
        }
        if out.is_empty() {
            return Err(CoordError::Params("no network given".into()));
        }
        Ok(out)
    }
}

/// Reproduce another tool's results exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compat {
    /// QUT Coordination Network Toolkit 1.5.2.
    Qut,
}

/// Everything that determines a run's result; stored with it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    pub networks: Vec<Network>,
    /// Two actions co-occur when at most this far apart (inclusive). For
    /// `sync`, the size of the time buckets.
    pub window_ms: i64,
    /// Edges lighter than this are dropped.
    pub min_weight: u64,
    pub compat: Option<Compat>,
    /// co-similar-text: Jaccard similarity threshold, in (0, 1].
    pub similarity: f64,
    /// co-similar-text: posts with fewer distinct tokens are not compared.
    pub min_tokens: usize,
    /// sync: an edge is kept when its count is this unlikely (Poisson upper
    /// tail) for accounts active independently.
    pub sync_max_p: f64,
    /// Keep the pairs of posts behind every edge.
    pub evidence: bool,
    /// co-image: two images are the same when their 64-bit perceptual
    /// hashes differ in at most this many bits (runs stored before co-image
    /// read as the default).
    #[serde(default = "default_image_distance")]
    pub image_distance: u32,
    /// The window was estimated from the data (`--window auto`); the
    /// estimate is also in `window_ms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_auto: Option<WindowAuto>,
    /// Also weigh every edge within this narrower window: the fast
    /// sub-network (CooRTweet's), edges whose fast weight reaches `min_weight`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fast_window_ms: Option<i64>,
    /// Test every edge against a null model and keep (or flag) those whose
    /// q-value is at most the level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub significance: Option<Significance>,
}

/// co-image's default Hamming distance: re-encoded and resized copies of a
/// picture have the same pHash, a copy with a small label pasted on it
/// differs in 2 bits, different pictures in 16 or more
/// (testdata/social/images); 6 leaves room for small edits without meeting
/// unrelated pictures.
pub const DEFAULT_IMAGE_DISTANCE: u32 = 6;

/// The largest `image_distance` accepted: the near-identical join splits a
/// hash into `distance + 1` bands that must be wide enough to be selective.
pub const MAX_IMAGE_DISTANCE: u32 = 16;

fn default_image_distance() -> u32 {
    DEFAULT_IMAGE_DISTANCE
}

impl Params {
    /// Defaults for everything but the networks and the window.
    pub fn new(networks: Vec<Network>, window_ms: i64) -> Params {
        Params {
            networks,
            window_ms,
            min_weight: 2,
            compat: None,
            similarity: 0.8,
            min_tokens: 5,
            sync_max_p: 1e-6,
            evidence: true,
            image_distance: DEFAULT_IMAGE_DISTANCE,
            window_auto: None,
            fast_window_ms: None,
            significance: None,
        }
    }

    /// The toolkit's defaults for its own options (a 1 token minimum
    /// document size), keeping our window and minimum weight.
    pub fn qut(networks: Vec<Network>, window_ms: i64, min_weight: u64) -> Params {
        Params { compat: Some(Compat::Qut), min_tokens: 1, min_weight, ..Params::new(networks, window_ms) }
    }

    /// The networks whose objects the null models and the window estimate
    /// work on (every network but co-similar-text and sync).
    pub fn object_networks(&self) -> impl Iterator<Item = Network> + '_ {
        self.networks.iter().copied().filter(|n| n.is_object_network())
    }

    /// Refuse parameters that cannot give a meaningful result.
    pub fn validate(&self) -> Result<()> {
        if self.networks.is_empty() {
            return Err(CoordError::Params("no network given".into()));
        }
        let estimating = self.window_auto.as_ref().is_some_and(|a| a.estimate_ms.is_none());
        if let Some(a) = &self.window_auto {
            a.validate()?;
            if self.object_networks().next().is_none() {
                return Err(CoordError::Params(
                    "--window auto estimates the window from the objects of co-retweet, co-tweet, co-link, \
                     co-domain, co-hashtag, co-mention or co-reply; give one of them"
                        .into(),
                ));
            }
        }
        if let Some(f) = self.fast_window_ms {
            if f <= 0 {
                return Err(CoordError::Params(format!("fast window must be positive, got {} s", f as f64 / 1000.0)));
            }
            if !estimating && f >= self.window_ms {
                return Err(CoordError::Params(format!(
                    "the fast window ({} s) must be narrower than the window ({} s{})",
                    f as f64 / 1000.0,
                    self.window_ms as f64 / 1000.0,
                    if self.window_auto.is_some() { ", estimated from the data" } else { "" }
                )));
            }
            if self.compat.is_some() {
                return Err(CoordError::Params(
                    "--fast-window is leaktrace's own (the toolkit has no fast network); drop --compat qut".into(),
                ));
            }
        }
        if let Some(s) = &self.significance {
            s.validate()?;
            if self.compat.is_some() {
                return Err(CoordError::Params(
                    "--significance is leaktrace's own (the toolkit tests nothing); drop --compat qut".into(),
                ));
            }
            if let Some(n) = self.networks.iter().find(|n| !n.is_object_network()) {
                return Err(CoordError::Params(format!(
                    "--significance tests the object networks (co-retweet, co-tweet, co-link, co-domain, \
                     co-hashtag, co-mention, co-reply); {} has {}: run it separately",
                    n.name(),
                    if *n == Network::Sync {
                        "its own test against chance (--sync-p)"
                    } else {
                        "no shared object whose actions a null model could redistribute"
                    }
                )));
            }
        }
        if estimating {
            return self.validate_rest();
        }
        if self.window_ms <= 0 {
            return Err(CoordError::Params(format!(
                "window must be positive, got {} s",
                self.window_ms as f64 / 1000.0
            )));
        }
        self.validate_rest()
    }

    fn validate_rest(&self) -> Result<()> {
        if !(self.similarity > 0.0 && self.similarity <= 1.0) {
            return Err(CoordError::Params(format!("similarity threshold must be in (0, 1], got {}", self.similarity)));
        }
        if self.min_weight == 0 {
            return Err(CoordError::Params("minimum weight must be at least 1".into()));
        }
        if !(self.sync_max_p > 0.0 && self.sync_max_p <= 1.0) {
            return Err(CoordError::Params(format!("sync p-value must be in (0, 1], got {}", self.sync_max_p)));
        }
        if self.image_distance > MAX_IMAGE_DISTANCE {
            return Err(CoordError::Params(format!(
                "image distance must be at most {MAX_IMAGE_DISTANCE} bits (of 64), got {}",
                self.image_distance
            )));
        }
        if self.compat == Some(Compat::Qut)
            && let Some(n) = self.networks.iter().find(|n| n.qut_name().is_none())
        {
            return Err(CoordError::Params(format!(
                "--compat qut covers co-retweet, co-tweet, co-link and co-similar-text; {} has no toolkit equivalent",
                n.name()
            )));
        }
        Ok(())
    }
}

/// Parse a duration: `60` or `60s` (seconds), `10m`, `1h`, `2d`. Returns
/// milliseconds; zero and negative durations are refused.
pub fn parse_duration(s: &str) -> Result<i64> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, 's')) => (&t[..i], 1),
        Some((i, 'm')) => (&t[..i], 60),
        Some((i, 'h')) => (&t[..i], 3600),
        Some((i, 'd')) => (&t[..i], 86_400),
        _ => (t, 1),
    };
    let n: i64 = num
        .trim()
        .parse()
        .map_err(|_| CoordError::Params(format!("{s:?} is not a duration; write seconds (60, 60s) or 10m, 1h, 2d")))?;
    if n <= 0 {
        return Err(CoordError::Params(format!("window must be positive, got {s:?}")));
    }
    n.checked_mul(mult * 1000).ok_or_else(|| CoordError::Params(format!("{s:?} is too long")))
}

/// One edge between two accounts (indices into [`CoordResult::accounts`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Edge {
    pub source: u32,
    pub target: u32,
    /// Distinct objects co-acted on (QUT mode: distinct messages of the source).
    pub weight: u64,
    /// Pairs of actions within the window.
    pub events: u64,
    /// The probability of at least this weight by chance: for sync, the
    /// Poisson tail; with `--significance`, the share of randomisations of
    /// the null model that reach the weight, (r + 1) / (R + 1).
    pub p_value: Option<f64>,
    /// With `--significance`: the Benjamini–Hochberg q-value of `p_value`
    /// among the network's edges.
    pub q_value: Option<f64>,
    /// CooRTweet's edge symmetry score: the smaller of the two accounts'
    /// numbers of distinct posts behind the edge over the larger (1: both
    /// contribute equally; near 0: one hyperactive account carries it).
    pub symmetry: Option<f64>,
    /// With `--fast-window`: the weight within the fast window.
    pub fast_weight: Option<u64>,
}

impl Edge {
    pub(crate) fn new(source: u32, target: u32, weight: u64, events: u64) -> Edge {
        Edge { source, target, weight, events, p_value: None, q_value: None, symmetry: None, fast_weight: None }
    }
}

/// One co-action behind an edge: two posts (rows of the post table) on the
/// same object.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Evidence {
    pub source: u32,
    pub target: u32,
    /// Index into [`NetworkResult::objects`].
    pub object: u32,
    /// The source account's post.
    pub post_1: u32,
    /// The target account's post.
    pub post_2: u32,
    /// co-similar-text: Jaccard similarity of the two posts.
    pub similarity: Option<f64>,
}

/// The edges of one network.
#[derive(Debug)]
pub struct NetworkResult {
    pub network: Network,
    /// QUT mode edges are directed; ours are undirected with source < target.
    pub directed: bool,
    pub edges: Vec<Edge>,
    /// What each evidence object is: a post id, a URL, a text, a bucket start, …
    pub objects: Vec<String>,
    pub evidence: Vec<Evidence>,
    /// With `--significance`: how many edges were tested and how many were
    /// significant.
    pub significance: Option<significance::Tested>,
}

/// The networks of one run over a case.
#[derive(Debug)]
pub struct CoordResult {
    pub params: Params,
    /// The posts the edges and evidence refer to: every post of the case
    /// for the native engine; for a Spark run, only the evidence's posts
    /// (ids, accounts, times), since the posts stay where the cluster reads them.
    pub posts: PostTable,
    /// How many posts the networks were computed over.
    pub posts_read: usize,
    /// Where the networks were computed, when not natively (Spark master,
    /// version, application id, job metrics), stored in the run's summary.
    pub engine: Option<serde_json::Value>,
    pub networks: Vec<NetworkResult>,
}

impl CoordResult {
    pub fn account(&self, i: u32) -> &str {
        self.posts.accounts.name(i as usize)
    }
}
