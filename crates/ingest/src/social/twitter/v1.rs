//! API v1.1 tweet objects: one per line, the author embedded, retweets
//! and quotes naming the tweet they refer to and its author.

use leaktrace_model::{Post, PostKind};
use serde::Deserialize;

use super::{Id, Record, id_str, json_reason, tweet_id};
use crate::time::parse_twitter_v1;

#[derive(Deserialize)]
struct V1Tweet {
    id_str: Option<Id>,
    id: Option<Id>,
    created_at: Option<String>,
    text: Option<String>,
    full_text: Option<String>,
    extended_tweet: Option<V1Extended>,
    lang: Option<String>,
    user: Option<V1User>,
    retweeted_status: Option<V1Ref>,
    quoted_status_id_str: Option<Id>,
    quoted_status: Option<V1Ref>,
    in_reply_to_status_id_str: Option<Id>,
    in_reply_to_user_id_str: Option<Id>,
    entities: Option<V1Entities>,
}

#[derive(Deserialize)]
struct V1Extended {
    full_text: Option<String>,
    entities: Option<V1Entities>,
}

#[derive(Deserialize)]
struct V1User {
    id_str: Option<Id>,
    id: Option<Id>,
    screen_name: Option<String>,
    followers_count: Option<i64>,
    friends_count: Option<i64>,
    created_at: Option<String>,
}

/// A retweeted or quoted tweet: only whose it is matters here.
#[derive(Deserialize)]
struct V1Ref {
    id_str: Option<Id>,
    id: Option<Id>,
    user: Option<V1RefUser>,
}

#[derive(Deserialize)]
struct V1RefUser {
    id_str: Option<Id>,
    id: Option<Id>,
}

impl V1Ref {
    fn key(&self) -> Option<&str> {
        id_str(&self.id_str).or_else(|| id_str(&self.id))
    }

    fn user_key(&self) -> Option<&str> {
        let u = self.user.as_ref()?;
        id_str(&u.id_str).or_else(|| id_str(&u.id))
    }
}

#[derive(Deserialize)]
struct V1Entities {
    hashtags: Option<Vec<V1Hashtag>>,
    user_mentions: Option<Vec<V1Mention>>,
    urls: Option<Vec<V1Url>>,
}

#[derive(Deserialize)]
struct V1Hashtag {
    text: Option<String>,
}

#[derive(Deserialize)]
struct V1Mention {
    screen_name: Option<String>,
}

#[derive(Deserialize)]
struct V1Url {
    url: Option<String>,
    expanded_url: Option<String>,
}

fn post(t: &V1Tweet, line: u64) -> Result<Post, String> {
    let tid = id_str(&t.id_str).or_else(|| id_str(&t.id));
    if tid.is_none() && t.user.is_none() && t.created_at.is_none() && t.text.is_none() && t.full_text.is_none() {
        return Err("not a tweet object".into());
    }
    let id = tweet_id(tid, "id_str")?;
    let created = t.created_at.as_deref().ok_or("field created_at: missing")?;
    let time = parse_twitter_v1(created).ok_or_else(|| format!("field created_at: not a v1.1 time: {created:?}"))?;
    let user = t.user.as_ref().ok_or("field user: missing")?;
    let account = id_str(&user.id_str).or_else(|| id_str(&user.id)).ok_or("field user.id_str: missing")?;
    let text = t
        .extended_tweet
        .as_ref()
        .and_then(|e| e.full_text.as_deref())
        .or(t.full_text.as_deref())
        .or(t.text.as_deref())
        .ok_or("field text: missing")?;
    let mut p = Post::new(id, account, time.ms, text);
    p.time_resolution_s = time.resolution_s;
    p.line = line;
    p.account_name = user.screen_name.clone();
    p.followers = user.followers_count;
    p.following = user.friends_count;
    p.language = t.lang.clone().filter(|l| !l.is_empty());
    if let Some(rt) = &t.retweeted_status {
        p.kind = PostKind::Repost;
        p.target_post = Some(tweet_id(rt.key(), "retweeted_status.id_str")?);
        p.target_account = rt.user_key().map(str::to_string);
    } else if let Some(q) = id_str(&t.quoted_status_id_str).or_else(|| t.quoted_status.as_ref().and_then(V1Ref::key)) {
        p.kind = PostKind::Quote;
        p.target_post = Some(tweet_id(Some(q), "quoted_status_id_str")?);
        p.target_account = t.quoted_status.as_ref().and_then(V1Ref::user_key).map(str::to_string);
    } else if let Some(r) = id_str(&t.in_reply_to_status_id_str) {
        p.kind = PostKind::Reply;
        p.target_post = Some(tweet_id(Some(r), "in_reply_to_status_id_str")?);
        p.target_account = id_str(&t.in_reply_to_user_id_str).map(str::to_string);
    }
    // Entities of a long tweet are only complete in `extended_tweet`.
    match t.extended_tweet.as_ref().and_then(|e| e.entities.as_ref()).or(t.entities.as_ref()) {
        Some(e) => {
            p.hashtags = e.hashtags.iter().flatten().filter_map(|h| h.text.as_deref()).map(str::to_lowercase).collect();
            p.mentions = e
                .user_mentions
                .iter()
                .flatten()
                .filter_map(|m| m.screen_name.as_deref())
                .map(str::to_lowercase)
                .collect();
            p.set_urls(e.urls.iter().flatten().filter_map(|u| u.expanded_url.as_deref().or(u.url.as_deref())));
        }
        None => p.derive_entities_from_text(),
    }
    Ok(p)
}

/// The tweet of one v1.1 line, with its author's account creation time.
pub(super) fn read_line(line: u64, bytes: &[u8], mut each: impl FnMut(Record<'_>)) {
    let t: V1Tweet = match serde_json::from_slice(bytes) {
        Ok(t) => t,
        Err(e) => return each(Err(json_reason(&e))),
    };
    each(post(&t, line).map(|p| (p, t.user.as_ref().and_then(|u| u.created_at.as_deref()))));
}
