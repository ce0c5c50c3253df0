//! First appearance of an object and its cascade: who posted it first
//! (with ties made explicit), how the count grew, and the accounts in the
//! order they joined.

use serde::Serialize;

use crate::objects::Object;
use crate::posts::CasePost;

/// One post in a cascade.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Appearance {
    pub time_ms: i64,
    /// Seconds; 60 means the source only has whole minutes.
    pub time_resolution_s: u32,
    pub account: String,
    pub account_name: Option<String>,
    pub id: i64,
    pub kind: String,
    pub source: i64,
    pub line: u64,
    pub text: String,
}

/// An account's first post on the object.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AccountEntry {
    /// 1-based; accounts tied on time share a rank.
    pub rank: usize,
    pub account: String,
    pub account_name: Option<String>,
    pub time_ms: i64,
    /// Since the first appearance.
    pub delay_ms: i64,
    pub id: i64,
    pub kind: String,
    /// Same time as the entry before it.
    pub tied: bool,
}

/// Posts at one timestamp and the running totals.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CascadePoint {
    pub time_ms: i64,
    pub posts: usize,
    pub cumulative_posts: usize,
    pub cumulative_accounts: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FirstAppearance {
    pub object: Object,
    pub posts: usize,
    pub accounts: usize,
    /// The earliest post(s): more than one when they cannot be ordered
    /// (same timestamp, or within the first post's time resolution),
    /// ordered by account then id.
    pub first: Vec<Appearance>,
    /// More than one account was first.
    pub tie: bool,
    pub cascade: Vec<CascadePoint>,
    pub order: Vec<AccountEntry>,
}

fn appearance(cp: &CasePost) -> Appearance {
    let p = &cp.post;
    Appearance {
        time_ms: p.time_ms,
        time_resolution_s: p.time_resolution_s,
        account: p.account.clone(),
        account_name: p.account_name.clone(),
        id: p.id,
        kind: p.kind.as_str().to_string(),
        source: cp.source,
        line: p.line,
        text: p.text.clone(),
    }
}

/// Resolution of a time in milliseconds (at least 1).
pub(crate) fn resolution_ms(res_s: u32) -> i64 {
    (res_s as i64 * 1000).max(1)
}

/// First appearance and cascade of `object` among `posts` (any order).
pub fn first_appearance(posts: &[CasePost], object: &Object) -> FirstAppearance {
    let mut hits: Vec<&CasePost> = posts.iter().filter(|cp| object.in_post(&cp.post)).collect();
    hits.sort_by(|a, b| {
        (a.post.time_ms, &a.post.account, a.post.id, a.source).cmp(&(
            b.post.time_ms,
            &b.post.account,
            b.post.id,
            b.source,
        ))
    });
    let mut first = Vec::new();
    if let Some(f) = hits.first() {
        // Posts whose time falls inside the first post's resolution
        // interval cannot be said to come after it.
        let end = f.post.time_ms + resolution_ms(f.post.time_resolution_s);
        first = hits.iter().take_while(|cp| cp.post.time_ms < end).map(|cp| appearance(cp)).collect();
        first.sort_by(|a, b| (&a.account, a.id).cmp(&(&b.account, b.id)));
    }
    let mut cascade: Vec<CascadePoint> = Vec::new();
    let mut seen = rustc_hash::FxHashSet::default();
    let mut order = Vec::new();
    for (i, cp) in hits.iter().enumerate() {
        let p = &cp.post;
        if seen.insert(p.account.clone()) {
            let prev = order.last().map(|e: &AccountEntry| (e.time_ms, e.rank));
            let tied = prev.is_some_and(|(t, _)| t == p.time_ms);
            let rank = match prev {
                Some((_, r)) if tied => r,
                _ => order.len() + 1,
            };
            order.push(AccountEntry {
                rank,
                account: p.account.clone(),
                account_name: p.account_name.clone(),
                time_ms: p.time_ms,
                delay_ms: p.time_ms - hits[0].post.time_ms,
                id: p.id,
                kind: p.kind.as_str().to_string(),
                tied,
            });
        }
        match cascade.last_mut() {
            Some(c) if c.time_ms == p.time_ms => {
                c.posts += 1;
                c.cumulative_posts = i + 1;
                c.cumulative_accounts = seen.len();
            }
            _ => cascade.push(CascadePoint {
                time_ms: p.time_ms,
                posts: 1,
                cumulative_posts: i + 1,
                cumulative_accounts: seen.len(),
            }),
        }
    }
    FirstAppearance {
        object: object.clone(),
        posts: hits.len(),
        accounts: seen.len(),
        tie: first.iter().map(|a| &a.account).collect::<std::collections::BTreeSet<_>>().len() > 1,
        first,
        cascade,
        order,
    }
}
