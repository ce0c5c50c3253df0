//! API v2 tweets: twarc2 pages whose tweets name their author and the
//! tweets they reference by id, looked up in the page's `includes`, and
//! single tweets as `twarc2 flatten` writes them.

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;

use leaktrace_model::{Post, PostKind};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{Id, Record, id_str, json_reason, tweet_id};
use crate::time::parse_rfc3339;

/// twarc2 writes `data` as an array; single-tweet lookups give one object.
enum OneOrMany<T> {
    One(Box<T>),
    Many(Vec<T>),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a tweet object or an array of tweet objects")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Vec::<T>::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(OneOrMany::Many)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|t| OneOrMany::One(Box::new(t)))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A v2 tweet; on a page line, only `data` and `includes` are set.
#[derive(Deserialize)]
struct V2Tweet {
    id: Option<Id>,
    text: Option<String>,
    author_id: Option<Id>,
    created_at: Option<String>,
    lang: Option<String>,
    in_reply_to_user_id: Option<Id>,
    referenced_tweets: Option<Vec<V2Ref>>,
    entities: Option<V2Entities>,
    /// Embedded by `twarc2 flatten`.
    author: Option<V2User>,
    data: Option<OneOrMany<V2Tweet>>,
    includes: Option<V2Includes>,
}

#[derive(Deserialize)]
struct V2Ref {
    #[serde(rename = "type")]
    kind: Option<String>,
    id: Option<Id>,
    /// Present when `twarc2 flatten` expanded the referenced tweet.
    author_id: Option<Id>,
}

#[derive(Deserialize)]
struct V2User {
    id: Option<Id>,
    username: Option<String>,
    created_at: Option<String>,
    public_metrics: Option<V2UserMetrics>,
}

#[derive(Deserialize)]
struct V2UserMetrics {
    followers_count: Option<i64>,
    following_count: Option<i64>,
}

#[derive(Deserialize)]
struct V2Includes {
    users: Option<Vec<V2User>>,
    tweets: Option<Vec<V2IncludedTweet>>,
}

#[derive(Deserialize)]
struct V2IncludedTweet {
    id: Option<Id>,
    author_id: Option<Id>,
}

#[derive(Deserialize)]
struct V2Entities {
    hashtags: Option<Vec<V2Hashtag>>,
    mentions: Option<Vec<V2Mention>>,
    urls: Option<Vec<V2Url>>,
}

#[derive(Deserialize)]
struct V2Hashtag {
    tag: Option<String>,
}

#[derive(Deserialize)]
struct V2Mention {
    username: Option<String>,
}

#[derive(Deserialize)]
struct V2Url {
    url: Option<String>,
    expanded_url: Option<String>,
    unwound_url: Option<String>,
}

/// Lookups into one page's `includes`.
#[derive(Default)]
struct Page<'a> {
    users: HashMap<&'a str, &'a V2User>,
    tweet_authors: HashMap<&'a str, &'a str>,
}

impl<'a> Page<'a> {
    fn new(includes: Option<&'a V2Includes>) -> Page<'a> {
        let mut page = Page::default();
        let Some(inc) = includes else { return page };
        for u in inc.users.iter().flatten() {
            if let Some(id) = id_str(&u.id) {
                page.users.insert(id, u);
            }
        }
        for t in inc.tweets.iter().flatten() {
            if let (Some(id), Some(author)) = (id_str(&t.id), id_str(&t.author_id)) {
                page.tweet_authors.insert(id, author);
            }
        }
        page
    }
}

fn post<'a>(t: &'a V2Tweet, line: u64, page: &Page<'a>) -> Result<(Post, Option<&'a V2User>), String> {
    let id = tweet_id(id_str(&t.id), "id")?;
    let author = id_str(&t.author_id)
        .or_else(|| t.author.as_ref().and_then(|a| id_str(&a.id)))
        .ok_or("field author_id: missing")?;
    let created = t.created_at.as_deref().ok_or("field created_at: missing")?;
    let time = parse_rfc3339(created).ok_or_else(|| format!("field created_at: not an RFC 3339 time: {created:?}"))?;
    let text = t.text.as_deref().ok_or("field text: missing")?;
    let user = page.users.get(author).copied().or(t.author.as_ref());
    let mut p = Post::new(id, author, time.ms, text);
    p.time_resolution_s = time.resolution_s;
    p.line = line;
    p.language = t.lang.clone().filter(|l| !l.is_empty());
    if let Some(u) = user {
        p.account_name = u.username.clone();
        if let Some(m) = &u.public_metrics {
            p.followers = m.followers_count;
            p.following = m.following_count;
        }
    }
    let refs = t.referenced_tweets.as_deref().unwrap_or(&[]);
    let find = |ty: &str| refs.iter().find(|r| r.kind.as_deref() == Some(ty));
    let target = find("retweeted")
        .map(|r| (PostKind::Repost, r))
        .or_else(|| find("quoted").map(|r| (PostKind::Quote, r)))
        .or_else(|| find("replied_to").map(|r| (PostKind::Reply, r)));
    if let Some((kind, r)) = target {
        let rid = id_str(&r.id);
        p.kind = kind;
        p.target_post = Some(tweet_id(rid, "referenced_tweets.id")?);
        let ref_author = id_str(&r.author_id).or_else(|| rid.and_then(|i| page.tweet_authors.get(i).copied()));
        let target_account = match kind {
            PostKind::Reply => id_str(&t.in_reply_to_user_id).or(ref_author),
            _ => ref_author,
        };
        p.target_account = target_account.map(str::to_string);
    }
    match &t.entities {
        Some(e) => {
            p.hashtags = e.hashtags.iter().flatten().filter_map(|h| h.tag.as_deref()).map(str::to_lowercase).collect();
            p.mentions =
                e.mentions.iter().flatten().filter_map(|m| m.username.as_deref()).map(str::to_lowercase).collect();
            p.set_urls(
                e.urls
                    .iter()
                    .flatten()
                    .filter_map(|u| u.unwound_url.as_deref().or(u.expanded_url.as_deref()).or(u.url.as_deref())),
            );
        }
        // The API omits `entities` when a tweet has none, but exports made
        // without the field at all are common: the text still tells.
        None => p.derive_entities_from_text(),
    }
    Ok((p, user))
}

fn created_at(user: Option<&V2User>) -> Option<&str> {
    user.and_then(|u| u.created_at.as_deref())
}

/// The tweets of one v2 line (a page, or a single tweet), each with its
/// author's account creation time when the line tells it.
pub(super) fn read_line(line: u64, bytes: &[u8], mut each: impl FnMut(Record<'_>)) {
    let t: V2Tweet = match serde_json::from_slice(bytes) {
        Ok(t) => t,
        Err(e) => return each(Err(json_reason(&e))),
    };
    if let Some(data) = &t.data {
        let page = Page::new(t.includes.as_ref());
        let tweets = match data {
            OneOrMany::One(one) => std::slice::from_ref(&**one),
            OneOrMany::Many(many) => many.as_slice(),
        };
        for (i, tweet) in tweets.iter().enumerate() {
            each(
                post(tweet, line, &page)
                    .map(|(p, user)| (p, created_at(user)))
                    .map_err(|reason| format!("data[{i}]: {reason}")),
            );
        }
    } else if t.id.is_some() || t.author_id.is_some() || t.text.is_some() {
        each(post(&t, line, &Page::default()).map(|(p, user)| (p, created_at(user))));
    } else {
        each(Err("neither a twarc2 page (no data) nor a v2 tweet (no id, text, author_id)".into()));
    }
}
