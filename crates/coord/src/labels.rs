//! What a cluster is about: the hashtags, words, domains and reposted
//! accounts most distinctive of its accounts' posts against the rest of
//! the case, its active hours (UTC), and its first and last post.
//!
//! Distinctive terms are ranked by the log-odds ratio with an informative
//! Dirichlet prior (Monroe, Colaresi and Quinn 2008, "Fightin' Words"):
//! for a term w of one kind, with y the posts of the cluster (c) and of the
//! rest of the case (r) that have it, n the totals of that kind, and a
//! prior α_w = α0 · π_w spread by the term's share π_w of the whole case,
//!
//!   δ_w = ln((y_c + α_w) / (n_c + α0 − y_c − α_w)) − ln((y_r + α_w) / (n_r + α0 − y_r − α_w))
//!   z_w = δ_w / √(1 / (y_c + α_w) + 1 / (y_r + α_w))
//!
//! and the terms with the highest z (at least 1.96, and in at least two of
//! the cluster's posts) are reported. The prior keeps a term used twice by
//! a small cluster from outranking one it uses a hundred times; α0 =
//! [`PRIOR_WEIGHT`] pseudo-occurrences. Log-odds rather than TF-IDF: TF-IDF
//! has no notion of how sure a difference is, so rare terms win it.
//!
//! A term counts once per post. Words are the text's words (a repost's
//! text included: what an account amplifies is what it is about) of three
//! letters or more, without hashtags, mentions, links and a short list of
//! English function words. Reposted accounts come from the posts'
//! `target_account`. The posts are read once, streaming; only counts are kept.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use leaktrace_store::{Case, posts};

use crate::{CoordError, Result};

/// α0 of the prior, in pseudo-occurrences.
pub const PRIOR_WEIGHT: f64 = 1000.0;
/// The smallest z reported (two-sided 5%).
pub const MIN_Z: f64 = 1.96;

/// The kinds of terms, in the order they are reported.
pub const KINDS: [&str; 4] = ["hashtag", "word", "domain", "account"];

/// One distinctive term of a cluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Term {
    /// hashtag, word, domain or account (reposted).
    pub kind: String,
    pub term: String,
    /// The cluster's posts that have it.
    pub posts: u64,
    /// The log-odds z-score against the rest of the case.
    pub z: f64,
}

/// What a cluster's accounts posted, against the rest of the case.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Posts of the cluster's accounts.
    pub posts: u64,
    pub first_post_ms: Option<i64>,
    pub last_post_ms: Option<i64>,
    /// Posts per hour of the day, UTC (24 counts).
    pub hours: Vec<u64>,
    /// The most distinctive terms, up to `top` of each kind, by kind then z.
    pub terms: Vec<Term>,
}

impl Profile {
    /// The busiest hours holding at least half of the posts, in hour
    /// order, with their share: ([13, 14, 15], 0.52).
    pub fn peak_hours(&self) -> (Vec<usize>, f64) {
        let total: u64 = self.hours.iter().sum();
        if total == 0 {
            return (Vec::new(), 0.0);
        }
        let mut order: Vec<usize> = (0..self.hours.len()).collect();
        order.sort_by(|&a, &b| self.hours[b].cmp(&self.hours[a]).then(a.cmp(&b)));
        let (mut picked, mut sum) = (Vec::new(), 0u64);
        for h in order {
            if 2 * sum >= total {
                break;
            }
            sum += self.hours[h];
            picked.push(h);
        }
        picked.sort_unstable();
        (picked, sum as f64 / total as f64)
    }

    /// The terms of one kind.
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Term> + 'a {
        self.terms.iter().filter(move |t| t.kind == kind)
    }
}

/// Words too common in English to say what a cluster is about.
const STOPWORDS: &[&str] = &[
    "the", "and", "for", "are", "but", "not", "you", "all", "any", "can", "had", "her", "was", "one", "our", "out",
    "has", "him", "his", "how", "its", "may", "new", "now", "old", "see", "two", "who", "did", "get", "let", "say",
    "she", "too", "use", "that", "with", "have", "this", "will", "your", "from", "they", "been", "were", "what",
    "when", "which", "their", "there", "them", "then", "than", "into", "just", "like", "more", "some", "such", "only",
    "over", "also", "very", "about", "would", "could", "should", "after", "before", "because", "these", "those",
    "being", "where", "while", "here", "does", "don", "doesn", "didn", "isn", "aren", "wasn", "won", "amp", "via",
    "its", "it's", "i'm", "you're", "we're", "they're", "can't", "don't",
];

/// The words of a post's text (see the module notes).
pub fn words(text: &str) -> Vec<String> {
    let (_, body) = leaktrace_model::derive::strip_rt_prefix(text);
    let mut out: Vec<String> = Vec::new();
    for raw in body.split_whitespace() {
        if raw.starts_with(['#', '@']) || raw.contains("://") || raw.starts_with("www.") {
            continue;
        }
        let w = raw.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
        if w.chars().count() >= 3 && w.chars().any(char::is_alphabetic) && !STOPWORDS.contains(&w.as_str()) {
            out.push(w);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Counts of one kind of term: the whole case's and each cluster's.
#[derive(Default)]
struct Tally {
    ids: FxHashMap<String, u32>,
    names: Vec<String>,
    all: Vec<u64>,
    /// Per cluster: term → posts.
    per: Vec<FxHashMap<u32, u64>>,
    total_all: u64,
    total: Vec<u64>,
}

impl Tally {
    fn new(clusters: usize) -> Tally {
        Tally { per: vec![FxHashMap::default(); clusters], total: vec![0; clusters], ..Default::default() }
    }

    fn add(&mut self, term: &str, cluster: Option<u32>) {
        let id = match self.ids.get(term) {
            Some(&i) => i,
            None => {
                let i = self.names.len() as u32;
                self.ids.insert(term.to_string(), i);
                self.names.push(term.to_string());
                self.all.push(0);
                i
            }
        };
        self.all[id as usize] += 1;
        self.total_all += 1;
        if let Some(c) = cluster {
            *self.per[c as usize].entry(id).or_default() += 1;
            self.total[c as usize] += 1;
        }
    }

    /// The most distinctive terms of cluster `c`.
    fn top(&self, kind: &str, c: usize, top: usize) -> Vec<Term> {
        let (n_all, n_c) = (self.total_all as f64, self.total[c] as f64);
        let n_r = n_all - n_c;
        let mut out: Vec<Term> = self.per[c]
            .iter()
            .filter(|&(_, &y)| y >= 2)
            .map(|(&id, &y_c)| {
                let all = self.all[id as usize] as f64;
                let (y_c, y_r) = (y_c as f64, all - y_c as f64);
                let a = PRIOR_WEIGHT * all / n_all;
                let a0 = PRIOR_WEIGHT;
                let d = ((y_c + a) / (n_c + a0 - y_c - a)).ln() - ((y_r + a) / (n_r + a0 - y_r - a)).ln();
                let z = d / (1.0 / (y_c + a) + 1.0 / (y_r + a)).sqrt();
                Term { kind: kind.to_string(), term: self.names[id as usize].clone(), posts: y_c as u64, z }
            })
            .filter(|t| t.z >= MIN_Z && t.z.is_finite())
            .collect();
        out.sort_by(|a, b| b.z.total_cmp(&a.z).then_with(|| a.term.cmp(&b.term)));
        out.truncate(top);
        out
    }
}

/// Profiles of `clusters` clusters, given each clustered account's cluster
/// (account key → cluster id, ids below `clusters`): one pass over the
/// posts tables of the case.
pub fn profiles(
    case: &Case,
    cluster_of: &std::collections::HashMap<String, u32>,
    clusters: usize,
    top: usize,
) -> Result<Vec<Profile>> {
    let mut out: Vec<Profile> = (0..clusters).map(|_| Profile { hours: vec![0; 24], ..Default::default() }).collect();
    let mut tallies: Vec<Tally> = KINDS.iter().map(|_| Tally::new(clusters)).collect();
    let cols = ["id", "account", "time", "text", "hashtags", "domains", "target_account"];
    for file in case.post_files()? {
        for batch in posts::stream_batches(&file, Some(&cols))? {
            let batch = batch?;
            for p in posts::posts_from_batch(&batch) {
                let c = cluster_of.get(&p.account).copied();
                if let Some(c) = c {
                    let pr = &mut out[c as usize];
                    pr.posts += 1;
                    pr.first_post_ms = Some(pr.first_post_ms.map_or(p.time_ms, |v| v.min(p.time_ms)));
                    pr.last_post_ms = Some(pr.last_post_ms.map_or(p.time_ms, |v| v.max(p.time_ms)));
                    pr.hours[(p.time_ms.div_euclid(3_600_000)).rem_euclid(24) as usize] += 1;
                }
                let mut tags = p.hashtags.clone();
                tags.sort_unstable();
                tags.dedup();
                for h in &tags {
                    tallies[0].add(h, c);
                }
                for w in words(&p.text) {
                    tallies[1].add(&w, c);
                }
                let mut doms = p.domains.clone();
                doms.sort_unstable();
                doms.dedup();
                for d in &doms {
                    tallies[2].add(d, c);
                }
                if let Some(a) = &p.target_account {
                    tallies[3].add(&a.to_lowercase(), c);
                }
            }
        }
    }
    for (ci, pr) in out.iter_mut().enumerate() {
        for (k, kind) in KINDS.iter().enumerate() {
            pr.terms.extend(tallies[k].top(kind, ci, top));
        }
    }
    if clusters > 0 && out.iter().all(|p| p.posts == 0) {
        return Err(CoordError::Input("no post of a clustered account was found in the posts tables".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_leave_out_tags_links_and_function_words() {
        assert_eq!(
            words("RT @x: The #Podesta emails are OUT: https://t.co/abc @wikileaks Emails, emails!"),
            ["emails"]
        );
        // Sorted and distinct; numbers alone and short words are not words.
        assert_eq!(words("Clinton's aides, 2016 ok aides"), ["aides", "clinton's"]);
    }

    #[test]
    fn distinctive_terms_rank_by_log_odds() {
        // Cluster 0 uses #a in 40 of its 50 posts; the rest of the case uses
        // #a in 10 of 950 and #b everywhere.
        let mut t = Tally::new(1);
        for i in 0..50 {
            t.add(if i < 40 { "a" } else { "b" }, Some(0));
        }
        for i in 0..950 {
            t.add(if i < 10 { "a" } else { "b" }, None);
        }
        t.add("rare", Some(0));
        t.add("rare", Some(0));
        let top = t.top("hashtag", 0, 5);
        assert_eq!(top[0].term, "a");
        assert!(top[0].z > 5.0, "{top:?}");
        // #b is less common in the cluster than elsewhere; a term used twice
        // by a cluster of 52 posts and nowhere else is not enough evidence
        // to outrank #a.
        assert!(top.iter().all(|x| x.term != "b"));
        assert!(top.iter().position(|x| x.term == "rare").is_none_or(|i| i > 0));
    }

    #[test]
    fn peak_hours_hold_half_the_posts() {
        let mut p = Profile { hours: vec![0; 24], ..Default::default() };
        p.hours[3] = 10;
        p.hours[14] = 30;
        p.hours[15] = 25;
        p.hours[20] = 35;
        let (h, share) = p.peak_hours();
        assert_eq!(h, [14, 20]);
        assert!((share - 0.65).abs() < 1e-12);
    }
}
