//! Twitter API JSONL: v2 as written by twarc2, and v1.1.
//!
//! A v2 line is a twarc2 page (`{"data": [...], "includes": {...}}`) whose
//! tweets name their author and the tweets they reference only by id; the
//! author's username and the authors of retweeted and quoted tweets are
//! looked up in that page's `includes`. A flattened line (one tweet, with
//! an embedded `author`, as `twarc2 flatten` writes) is read too. Every
//! tweet of a page carries the page's line number.
//!
//! A v1.1 line is one tweet object. Stream notices (`{"delete": ...}` and
//! the like) are rejected as "not a tweet object", so that none is lost
//! silently.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::marker::PhantomData;

use leaktrace_model::{AccountInfo, Post, PostKind};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::lines::MAX_JSON_LINE_BYTES;
use crate::time::{parse_rfc3339, parse_twitter_v1};
use crate::{Event, EventStream, Format, IngestError, Reject, SourceContext, first_line_excerpt};

/// Top-level keys of the v1.1 streaming API's non-tweet messages.
const STREAM_NOTICES: [&str; 9] =
    ["delete", "limit", "scrub_geo", "status_withheld", "user_withheld", "disconnect", "warning", "event", "friends"];

#[derive(Debug, PartialEq)]
enum Shape {
    Format(Format),
    Notice,
    Other,
}

fn shape_of(has: impl Fn(&str) -> bool, data_is_container: bool) -> Shape {
    if data_is_container || (has("id") && has("text") && has("author_id")) {
        Shape::Format(Format::TwitterV2)
    } else if has("id_str") && has("user") {
        Shape::Format(Format::TwitterV1)
    } else if STREAM_NOTICES.iter().any(|k| has(k)) {
        Shape::Notice
    } else {
        Shape::Other
    }
}

fn classify(line: &str) -> Shape {
    let line = line.trim_start_matches('\u{feff}').trim();
    match serde_json::from_str::<serde_json::Value>(line) {
        Ok(serde_json::Value::Object(m)) => {
            let data = matches!(m.get("data"), Some(serde_json::Value::Array(_) | serde_json::Value::Object(_)));
            shape_of(|k| m.contains_key(k), data)
        }
        Ok(_) => Shape::Other,
        // A detection buffer can end inside a long page line: judge by the keys seen so far.
        Err(e) if e.is_eof() => {
            let keys = top_level_keys(line.as_bytes());
            let data = keys.iter().any(|(k, v)| *k == b"data" && matches!(v, Some(b'[' | b'{')));
            shape_of(|name| keys.iter().any(|(k, _)| *k == name.as_bytes()), data)
        }
        Err(_) => Shape::Other,
    }
}

fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// Top-level keys of a JSON object, each with the first byte of its value,
/// from a prefix that may stop anywhere. Keys are raw (escapes undecoded).
fn top_level_keys(s: &[u8]) -> Vec<(&[u8], Option<u8>)> {
    let mut keys = Vec::new();
    let mut i = skip_ws(s, 0);
    if s.get(i) != Some(&b'{') {
        return keys;
    }
    i += 1;
    let mut depth = 1usize;
    let mut expect_key = true;
    while i < s.len() {
        match s[i] {
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < s.len() && s[j] != b'"' {
                    j += if s[j] == b'\\' { 2 } else { 1 };
                }
                if j >= s.len() {
                    break;
                }
                if depth == 1 && expect_key {
                    let colon = skip_ws(s, j + 1);
                    if s.get(colon) != Some(&b':') {
                        break;
                    }
                    let value = skip_ws(s, colon + 1);
                    keys.push((&s[start..j], s.get(value).copied()));
                    expect_key = false;
                    i = value;
                    continue;
                }
                i = j + 1;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            b',' if depth == 1 => expect_key = true,
            _ => {}
        }
        i += 1;
    }
    keys
}

/// Which Twitter JSON shape a first line has, if any.
pub(crate) fn detect_json_line(line: &str) -> Option<Format> {
    match classify(line) {
        Shape::Format(f) => Some(f),
        _ => None,
    }
}

/// A tweet or user id: a decimal string, or a number in v1.1's `id` fields.
#[derive(Debug)]
struct Id(String);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an id (a decimal string or an integer)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

fn id_str(id: &Option<Id>) -> Option<&str> {
    id.as_ref().map(|i| i.0.trim()).filter(|s| !s.is_empty())
}

fn tweet_id(id: Option<&str>, name: &str) -> Result<i64, String> {
    let s = id.ok_or_else(|| format!("field {name}: missing"))?;
    s.parse::<i64>().map_err(|_| format!("field {name}: not a tweet id: {s:?}"))
}

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

fn v2_post<'a>(t: &'a V2Tweet, line: u64, page: &Page<'a>) -> Result<(Post, Option<&'a V2User>), String> {
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

fn v1_post(t: &V1Tweet, line: u64) -> Result<Post, String> {
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

/// serde_json's message without its position, which counts lines inside
/// the one line given and so would contradict the file's line number.
fn json_reason(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let msg = msg.rsplit_once(" at line ").map_or(msg.as_str(), |(m, _)| m);
    match e.classify() {
        serde_json::error::Category::Data => format!("unexpected JSON shape (column {}): {msg}", e.column()),
        _ => format!("not valid JSON (column {}): {msg}", e.column()),
    }
}

struct TwitterParser {
    format: Format,
    rdr: Box<dyn BufRead>,
    display: String,
    buf: Vec<u8>,
    line: u64,
    seen: HashSet<String>,
    pending: VecDeque<Event>,
    done: bool,
}

pub(crate) fn open(format: Format, input: Box<dyn Read>, ctx: &SourceContext) -> Result<EventStream, IngestError> {
    let mut p = TwitterParser {
        format,
        rdr: Box::new(BufReader::with_capacity(256 * 1024, input)),
        display: ctx.display.clone(),
        buf: Vec::new(),
        line: 0,
        seen: HashSet::new(),
        pending: VecDeque::new(),
        done: false,
    };
    let wrong = |found: String| IngestError::WrongFormat {
        file: ctx.display.clone(),
        format,
        expected: format.expectation(),
        found,
    };
    // The first line that is not a stream notice decides: a file of the
    // other shape (or not JSON at all) fails here, not as a million rejects.
    loop {
        let Some(line) = p.next_line()? else {
            return match p.pending.is_empty() {
                true => Err(wrong("an empty file".into())),
                false => Ok(Box::new(p)),
            };
        };
        let text = String::from_utf8_lossy(&p.buf);
        match classify(&text) {
            Shape::Format(f) if f == format => {
                p.process(line);
                return Ok(Box::new(p));
            }
            Shape::Notice if format == Format::TwitterV1 => {
                p.reject(line, "not a tweet object".into());
            }
            Shape::Format(other) => return Err(wrong(format!("{other} JSON on line {line}"))),
            _ => return Err(wrong(format!("line {line}: {}", first_line_excerpt(text.trim().as_bytes())))),
        }
    }
}

impl TwitterParser {
    /// Read the next non-blank line into `buf`; its 1-based number.
    /// A line longer than `MAX_JSON_LINE_BYTES` is rejected without being
    /// kept whole, and the lines after it are read.
    fn next_line(&mut self) -> Result<Option<u64>, IngestError> {
        loop {
            self.buf.clear();
            let (n, cut) = crate::lines::read_line_bounded(&mut self.rdr, &mut self.buf, MAX_JSON_LINE_BYTES)
                .map_err(|e| crate::csvsrc::read_stopped(&self.display, self.line + 1, &e))?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            if cut {
                let reason = format!("the line is {n} bytes, longer than a JSON record may be ({MAX_JSON_LINE_BYTES})");
                self.reject(self.line, reason);
                self.buf.clear();
                continue;
            }
            if !self.buf.iter().all(u8::is_ascii_whitespace) {
                return Ok(Some(self.line));
            }
        }
    }

    fn reject(&mut self, line: u64, reason: String) {
        self.pending.push_back(Event::Reject(Reject { line, reason }));
    }

    /// Queue a post, preceded by its account's facts the first time the
    /// account has any to tell.
    fn emit(&mut self, post: Post, created_at: Option<&str>) {
        let created_at = created_at.filter(|c| !c.is_empty());
        if (post.account_name.is_some() || created_at.is_some()) && !self.seen.contains(&post.account) {
            self.seen.insert(post.account.clone());
            let labels = created_at.map(|c| vec![("created_at".to_string(), c.to_string())]).unwrap_or_default();
            self.pending.push_back(Event::Account(AccountInfo {
                account: post.account.clone(),
                name: post.account_name.clone(),
                labels,
            }));
        }
        self.pending.push_back(Event::Post(post));
    }

    /// Turn the line in `buf` into queued events.
    fn process(&mut self, line: u64) {
        let buf = std::mem::take(&mut self.buf);
        let bytes = buf.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&buf);
        if bytes.get(skip_ws(bytes, 0)) != Some(&b'{') {
            self.reject(line, "not a JSON object".into());
        } else {
            match self.format {
                Format::TwitterV1 => self.v1_line(line, bytes),
                _ => self.v2_line(line, bytes),
            }
        }
        self.buf = buf;
    }

    fn v1_line(&mut self, line: u64, bytes: &[u8]) {
        let t: V1Tweet = match serde_json::from_slice(bytes) {
            Ok(t) => t,
            Err(e) => return self.reject(line, json_reason(&e)),
        };
        match v1_post(&t, line) {
            Ok(p) => self.emit(p, t.user.as_ref().and_then(|u| u.created_at.as_deref())),
            Err(reason) => self.reject(line, reason),
        }
    }

    fn v2_line(&mut self, line: u64, bytes: &[u8]) {
        let t: V2Tweet = match serde_json::from_slice(bytes) {
            Ok(t) => t,
            Err(e) => return self.reject(line, json_reason(&e)),
        };
        if let Some(data) = &t.data {
            let page = Page::new(t.includes.as_ref());
            let tweets = match data {
                OneOrMany::One(one) => std::slice::from_ref(&**one),
                OneOrMany::Many(many) => many.as_slice(),
            };
            for (i, tweet) in tweets.iter().enumerate() {
                match v2_post(tweet, line, &page) {
                    Ok((p, user)) => self.emit(p, user.and_then(|u| u.created_at.as_deref())),
                    Err(reason) => self.reject(line, format!("data[{i}]: {reason}")),
                }
            }
        } else if t.id.is_some() || t.author_id.is_some() || t.text.is_some() {
            match v2_post(&t, line, &Page::default()) {
                Ok((p, user)) => self.emit(p, user.and_then(|u| u.created_at.as_deref())),
                Err(reason) => self.reject(line, reason),
            }
        } else {
            self.reject(line, "neither a twarc2 page (no data) nor a v2 tweet (no id, text, author_id)".into());
        }
    }
}

impl Iterator for TwitterParser {
    type Item = Result<Event, IngestError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(e) = self.pending.pop_front() {
                return Some(Ok(e));
            }
            if self.done {
                return None;
            }
            match self.next_line() {
                Ok(Some(line)) => self.process(line),
                Ok(None) => self.done = true,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(format: Format, data: &str) -> Result<Vec<Event>, IngestError> {
        let ctx = SourceContext::new("t.jsonl", [5u8; 32]);
        open(format, Box::new(std::io::Cursor::new(data.as_bytes().to_vec())), &ctx)?.collect()
    }

    fn posts(ev: &[Event]) -> Vec<&Post> {
        ev.iter().filter_map(|e| if let Event::Post(p) = e { Some(p) } else { None }).collect()
    }

    fn rejects(ev: &[Event]) -> Vec<(u64, &str)> {
        ev.iter()
            .filter_map(|e| if let Event::Reject(r) = e { Some((r.line, r.reason.as_str())) } else { None })
            .collect()
    }

    fn accounts(ev: &[Event]) -> Vec<&AccountInfo> {
        ev.iter().filter_map(|e| if let Event::Account(a) = e { Some(a) } else { None }).collect()
    }

    fn wrong_format(format: Format, data: &str) -> String {
        match run(format, data) {
            Err(e @ IngestError::WrongFormat { .. }) => e.to_string(),
            other => panic!("expected WrongFormat, got {other:?}"),
        }
    }

    const V2_PAGE: &str = r#"{"data":[
        {"id":"1001","text":"Hello #Vote @bob https://t.co/x","author_id":"11","created_at":"2020-10-01T12:00:00.000Z","lang":"en","conversation_id":"1001",
         "entities":{"hashtags":[{"start":6,"end":11,"tag":"Vote"}],"mentions":[{"start":12,"end":16,"username":"Bob","id":"12"}],
                     "urls":[{"start":17,"end":31,"url":"https://t.co/x","expanded_url":"https://bit.ly/y","unwound_url":"https://news.example/a?utm_medium=s"}]},
         "public_metrics":{"retweet_count":1,"reply_count":1,"like_count":0,"quote_count":1}},
        {"id":"1002","text":"RT @alice: Hello #Vote @bob https://t.co/x","author_id":"12","created_at":"2020-10-01T12:00:01.250Z",
         "referenced_tweets":[{"type":"retweeted","id":"1001"}],"entities":{"hashtags":[{"tag":"Vote"}],"mentions":[{"username":"alice","id":"11"}]}},
        {"id":"1003","text":"So true https://t.co/q","author_id":"13","created_at":"2020-10-01T12:01:00.000Z",
         "referenced_tweets":[{"type":"quoted","id":"1001"},{"type":"replied_to","id":"999"}],"entities":{"urls":[{"url":"https://t.co/q","expanded_url":"https://twitter.com/alice/status/1001"}]}},
        {"id":"1004","text":"@alice agreed","author_id":"12","created_at":"2020-10-01T12:02:00.000Z","in_reply_to_user_id":"11",
         "referenced_tweets":[{"type":"replied_to","id":"1001"}]}
       ],
       "includes":{"users":[{"id":"11","username":"alice","name":"Alice","created_at":"2015-01-01T00:00:00.000Z","public_metrics":{"followers_count":50,"following_count":5}},
                            {"id":"12","username":"bob","name":"Bob"}],
                   "tweets":[{"id":"1001","author_id":"11","text":"Hello"}]},
       "meta":{"result_count":4},"__twarc":{"url":"https://api.twitter.com/2/tweets/search/all","version":"2.0.0"}}"#;

    fn one_line(json: &str) -> String {
        json.lines().map(str::trim).collect()
    }

    #[test]
    fn v2_page_of_every_kind() {
        let data = format!("\n{}\n\n", one_line(V2_PAGE));
        let ev = run(Format::TwitterV2, &data).unwrap();
        assert!(rejects(&ev).is_empty(), "{ev:?}");
        let a = accounts(&ev);
        assert_eq!(a.len(), 2);
        assert_eq!((a[0].account.as_str(), a[0].name.as_deref()), ("11", Some("alice")));
        assert_eq!(a[0].labels, vec![("created_at".to_string(), "2015-01-01T00:00:00.000Z".to_string())]);
        assert_eq!((a[1].account.as_str(), a[1].name.as_deref(), a[1].labels.len()), ("12", Some("bob"), 0));
        let p = posts(&ev);
        assert_eq!(p.len(), 4);
        assert!(p.iter().all(|p| p.line == 2));
        assert_eq!((p[0].id, p[0].account.as_str(), p[0].account_name.as_deref()), (1001, "11", Some("alice")));
        assert_eq!((p[0].time_ms, p[0].time_resolution_s, p[0].kind), (1601553600000, 1, PostKind::Post));
        assert_eq!((p[0].followers, p[0].following, p[0].language.as_deref()), (Some(50), Some(5), Some("en")));
        assert_eq!(
            (p[0].hashtags.as_slice(), p[0].mentions.as_slice()),
            (&["vote".to_string()][..], &["bob".to_string()][..])
        );
        assert_eq!(p[0].urls, vec!["https://news.example/a"]);
        assert_eq!(
            (p[1].kind, p[1].target_post, p[1].target_account.as_deref()),
            (PostKind::Repost, Some(1001), Some("11"))
        );
        assert_eq!((p[1].time_resolution_s, p[1].text.as_str()), (0, "RT @alice: Hello #Vote @bob https://t.co/x"));
        assert_eq!(p[1].mentions, vec!["alice"]);
        assert!(p[1].urls.is_empty());
        // Quoting wins over replying; the quoted author comes from includes.tweets.
        assert_eq!(
            (p[2].kind, p[2].target_post, p[2].target_account.as_deref()),
            (PostKind::Quote, Some(1001), Some("11"))
        );
        assert_eq!((p[2].account_name.as_deref(), p[2].domains.as_slice()), (None, &["twitter.com".to_string()][..]));
        assert_eq!(
            (p[3].kind, p[3].target_post, p[3].target_account.as_deref()),
            (PostKind::Reply, Some(1001), Some("11"))
        );
        // No entities in the tweet: derived from its text.
        assert_eq!(p[3].mentions, vec!["alice"]);
    }

    #[test]
    fn v2_flattened_and_single_tweet_lines() {
        let data = concat!(
            r#"{"id":"5","text":"flat #One","author_id":"7","created_at":"2021-01-01T00:00:00.000Z","author":{"id":"7","username":"Flat","created_at":"2019-05-05T00:00:00.000Z"},"referenced_tweets":[{"type":"retweeted","id":"4","author_id":"8","text":"orig"}],"__twarc":{}}"#,
            "\n",
            r#"{"data":{"id":"6","text":"single","author_id":"7","created_at":"2021-01-01T00:00:01.000Z"},"includes":{"users":[{"id":"7","username":"flat"}]}}"#,
            "\n"
        );
        let ev = run(Format::TwitterV2, data).unwrap();
        assert!(rejects(&ev).is_empty(), "{ev:?}");
        let a = accounts(&ev);
        assert_eq!(a.len(), 1);
        assert_eq!((a[0].name.as_deref(), a[0].labels[0].1.as_str()), (Some("Flat"), "2019-05-05T00:00:00.000Z"));
        let p = posts(&ev);
        assert_eq!(
            (p[0].kind, p[0].target_post, p[0].target_account.as_deref()),
            (PostKind::Repost, Some(4), Some("8"))
        );
        assert_eq!(p[0].hashtags, vec!["one"]);
        assert_eq!((p[1].id, p[1].line, p[1].account_name.as_deref()), (6, 2, Some("flat")));
    }

    #[test]
    fn v2_bad_lines_and_tweets_are_rejected() {
        let data = concat!(
            r#"{"data":[{"id":"1","text":"ok","author_id":"2","created_at":"2020-01-01T00:00:00Z"},{"id":"2","text":"no time","author_id":"2"},{"id":"x3","text":"t","author_id":"2","created_at":"2020-01-01T00:00:00Z"},{"id":"4","text":"t","author_id":"2","created_at":"Jan 1"}]}"#,
            "\n\n",
            "not json at all\n",
            r#"{"data":[{"id":"5","text":"t","author_id":"2","created_at":"2020-01-01T00:00:00Z""#,
            "\n",
            r#"{"meta":{"result_count":0}}"#,
            "\n",
            r#"{"data":"nope"}"#,
            "\n",
            r#"{"id":"6","text":"t","created_at":"2020-01-01T00:00:00Z","referenced_tweets":[{"type":"quoted"}]}"#,
            "\n",
            r#"{"id":"7","text":"t","author_id":"2","created_at":"2020-01-01T00:00:00Z","referenced_tweets":[{"type":"quoted"}]}"#,
            "\n",
            "[1,2]\n",
        );
        let ev = run(Format::TwitterV2, data).unwrap();
        assert_eq!(posts(&ev).len(), 1);
        let r = rejects(&ev);
        assert_eq!(r.len(), 10, "{r:?}");
        assert_eq!(r[0], (1, "data[1]: field created_at: missing"));
        assert_eq!(r[1], (1, "data[2]: field id: not a tweet id: \"x3\""));
        assert_eq!(r[2], (1, "data[3]: field created_at: not an RFC 3339 time: \"Jan 1\""));
        assert_eq!(r[3].0, 3);
        assert!(r[3].1.starts_with("not a JSON object"), "{}", r[3].1);
        assert_eq!(r[4].0, 4);
        assert!(r[4].1.starts_with("not valid JSON"), "{}", r[4].1);
        assert_eq!(r[5], (5, "neither a twarc2 page (no data) nor a v2 tweet (no id, text, author_id)"));
        assert_eq!(r[6].0, 6);
        assert!(r[6].1.starts_with("unexpected JSON shape") && r[6].1.contains("array of tweet objects"), "{}", r[6].1);
        assert_eq!(r[7], (7, "field author_id: missing"));
        assert_eq!(r[8], (8, "field referenced_tweets.id: missing"));
        assert_eq!(r[9], (9, "not a JSON object"));
    }

    const V1_TWEETS: &str = r#"
{"created_at":"Wed Oct 10 20:19:24 +0000 2018","id":1050118621198921728,"id_str":"1050118621198921728","text":"Short text… https://t.co/a","truncated":true,"lang":"en","user":{"id":6253282,"id_str":"6253282","screen_name":"TwitterAPI","followers_count":6133636,"friends_count":12,"created_at":"Wed May 23 06:01:13 +0000 2007"},"in_reply_to_status_id_str":null,"entities":{"hashtags":[],"user_mentions":[],"urls":[{"url":"https://t.co/a","expanded_url":"https://twitter.com/i/web/status/1050118621198921728"}]},"extended_tweet":{"full_text":"The full long text #Long with @Someone https://t.co/b","entities":{"hashtags":[{"text":"Long","indices":[19,24]}],"user_mentions":[{"screen_name":"Someone","id_str":"9"}],"urls":[{"url":"https://t.co/b","expanded_url":"https://Example.org/p?utm_campaign=z"}]}}}

{"created_at":"Wed Oct 10 20:20:00 +0000 2018","id_str":"1050118621198921729","full_text":"RT @TwitterAPI: The full long text","user":{"id_str":"77","screen_name":"fan"},"retweeted_status":{"id_str":"1050118621198921728","user":{"id_str":"6253282"},"text":"x"},"quoted_status_id_str":"5","entities":{"hashtags":[],"user_mentions":[{"screen_name":"TwitterAPI"}],"urls":[]}}
{"created_at":"Wed Oct 10 20:21:00 +0000 2018","id_str":"1050118621198921730","text":"Look at this","user":{"id_str":"77","screen_name":"fan"},"quoted_status_id_str":"1050118621198921728","quoted_status":{"id_str":"1050118621198921728","user":{"id_str":"6253282"}},"is_quote_status":true}
{"created_at":"Wed Oct 10 20:22:00 +0000 2018","id_str":"1050118621198921731","text":"@TwitterAPI yes #A","user":{"id_str":"78"},"in_reply_to_status_id_str":"1050118621198921728","in_reply_to_user_id_str":"6253282"}
"#;

    #[test]
    fn a_line_past_the_bound_is_rejected_and_the_next_lines_read() {
        let lines: Vec<&str> = V1_TWEETS.trim().lines().filter(|l| !l.is_empty()).collect();
        let huge = format!("{{\"text\":\"{}\"}}", "x".repeat(MAX_JSON_LINE_BYTES));
        let data = format!("{}\n{huge}\n{}\n", lines[0], lines[1]);
        let ev = run(Format::TwitterV1, &data).unwrap();
        assert_eq!(posts(&ev).len(), 2);
        let r = rejects(&ev);
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(r[0].0, 2);
        assert!(r[0].1.contains("longer than a JSON record may be"), "{r:?}");
        assert_eq!(posts(&ev)[1].line, 3);
    }

    #[test]
    fn v1_tweets_of_every_kind() {
        let ev = run(Format::TwitterV1, V1_TWEETS).unwrap();
        assert!(rejects(&ev).is_empty(), "{ev:?}");
        let a = accounts(&ev);
        assert_eq!(a.len(), 2, "{a:?}");
        assert_eq!((a[0].account.as_str(), a[0].name.as_deref()), ("6253282", Some("TwitterAPI")));
        assert_eq!(a[0].labels, vec![("created_at".to_string(), "Wed May 23 06:01:13 +0000 2007".to_string())]);
        let p = posts(&ev);
        assert_eq!(p.len(), 4);
        assert_eq!((p[0].id, p[0].line, p[0].kind), (1050118621198921728, 2, PostKind::Post));
        assert_eq!((p[0].time_ms, p[0].time_resolution_s), (1539202764000, 1));
        assert_eq!(p[0].text, "The full long text #Long with @Someone https://t.co/b");
        assert_eq!((p[0].followers, p[0].following), (Some(6133636), Some(12)));
        assert_eq!(p[0].hashtags, vec!["long"]);
        assert_eq!(p[0].mentions, vec!["someone"]);
        assert_eq!(p[0].urls, vec!["https://example.org/p"]);
        // Retweet wins over the quote the retweeted tweet made.
        assert_eq!((p[1].line, p[1].kind, p[1].target_post), (4, PostKind::Repost, Some(1050118621198921728)));
        assert_eq!(
            (p[1].target_account.as_deref(), p[1].text.as_str()),
            (Some("6253282"), "RT @TwitterAPI: The full long text")
        );
        assert_eq!(p[1].mentions, vec!["twitterapi"]);
        assert_eq!(
            (p[2].kind, p[2].target_post, p[2].target_account.as_deref()),
            (PostKind::Quote, Some(1050118621198921728), Some("6253282"))
        );
        assert_eq!(
            (p[3].kind, p[3].target_post, p[3].target_account.as_deref()),
            (PostKind::Reply, Some(1050118621198921728), Some("6253282"))
        );
        assert_eq!((p[3].account_name.as_deref(), p[3].hashtags.as_slice()), (None, &["a".to_string()][..]));
        assert_eq!(p[3].mentions, vec!["twitterapi"]);
    }

    #[test]
    fn v1_bad_lines_are_rejected() {
        let data = concat!(
            r#"{"delete":{"status":{"id":1,"id_str":"1","user_id":3,"user_id_str":"3"},"timestamp_ms":"1539202764000"}}"#,
            "\n",
            r#"{"created_at":"Wed Oct 10 20:19:24 +0000 2018","id_str":"10","text":"ok","user":{"id_str":"2"}}"#,
            "\n",
            r#"{"created_at":"Wed Oct 10 20:19:24 +0000 2018","id_str":"ten","text":"x","user":{"id_str":"2"}}"#,
            "\n",
            r#"{"created_at":"2018-10-10","id_str":"11","text":"x","user":{"id_str":"2"}}"#,
            "\n",
            r#"{"created_at":"Wed Oct 10 20:19:24 +0000 2018","id_str":"12","text":"x"}"#,
            "\n",
            r#"{"created_at":"Wed Oct 10 20:19:24 +0000 2018","id_str":"13","text":"x","user":{"id_str":"2"},"retweeted_status":{"user":{}}}"#,
            "\n",
            r#"{"created_at":"Wed Oct 10 20:19:24 +0000 2018","id_str":"14","text":"x","user":{"id_str":"2"}"#,
            "\n",
            r#"{"limit":{"track":5}}"#,
            "\n",
            r#"{"created_at":"Wed Oct 10 20:19:24 +0000 2018","id_str":15,"text":["x"],"user":{"id_str":"2"}}"#,
            "\n",
        );
        let ev = run(Format::TwitterV1, data).unwrap();
        assert_eq!(posts(&ev).iter().map(|p| p.id).collect::<Vec<_>>(), vec![10]);
        let r = rejects(&ev);
        assert_eq!(r.len(), 8, "{r:?}");
        assert_eq!(
            r[..5],
            [
                (1, "not a tweet object"),
                (3, "field id_str: not a tweet id: \"ten\""),
                (4, "field created_at: not a v1.1 time: \"2018-10-10\""),
                (5, "field user: missing"),
                (6, "field retweeted_status.id_str: missing"),
            ]
        );
        assert_eq!(r[5].0, 7);
        assert!(r[5].1.starts_with("not valid JSON"), "{}", r[5].1);
        assert_eq!(r[6], (8, "not a tweet object"));
        assert_eq!(r[7].0, 9);
        assert!(r[7].1.starts_with("unexpected JSON shape") && r[7].1.contains("expected a string"), "{}", r[7].1);
    }

    #[test]
    fn wrong_shapes_fail_fast() {
        let e = wrong_format(Format::TwitterV1, &one_line(V2_PAGE));
        assert!(e.contains("not twitter-v1 input") && e.contains("found twitter-v2 JSON on line 1"), "{e}");
        let e = wrong_format(Format::TwitterV2, V1_TWEETS);
        assert!(e.contains("found twitter-v1 JSON on line 2"), "{e}");
        let e = wrong_format(Format::TwitterV2, "id,text\n1,x\n");
        assert!(e.contains("line 1: \"id,text\""), "{e}");
        assert!(wrong_format(Format::TwitterV2, "{\"foo\":1}\n").contains("line 1"));
        assert!(wrong_format(Format::TwitterV1, "\n\n  \n").contains("an empty file"));
        // A notice cannot stand in for v2 input.
        assert!(wrong_format(Format::TwitterV2, "{\"delete\":{}}\n").contains("line 1"));
        // Notices alone are rejects, not a format error.
        let ev = run(Format::TwitterV1, "{\"limit\":{\"track\":1}}\n").unwrap();
        assert_eq!(rejects(&ev), vec![(1, "not a tweet object")]);
    }

    #[test]
    fn detection() {
        let page = one_line(V2_PAGE);
        assert_eq!(detect_json_line(&page), Some(Format::TwitterV2));
        // A detection buffer may end inside the first line.
        assert_eq!(detect_json_line(&page[..120]), Some(Format::TwitterV2));
        let v1 = V1_TWEETS.trim_start().lines().next().unwrap();
        assert_eq!(detect_json_line(v1), Some(Format::TwitterV1));
        assert_eq!(detect_json_line(&v1[..v1.find("\"in_reply").unwrap()]), Some(Format::TwitterV1));
        assert_eq!(detect_json_line(r#"{"id":"1","text":"t","author_id":"2"}"#), Some(Format::TwitterV2));
        assert_eq!(detect_json_line(r#"{"text":"{\"data\":[1]}","id":"1"}"#), None);
        assert_eq!(detect_json_line(r#"{"data":"x"}"#), None);
        assert_eq!(detect_json_line("{\"delete\":{}}"), None);
        assert_eq!(detect_json_line("[1]"), None);
        assert_eq!(detect_json_line("{"), None);
    }
}
