//! Bluesky (AT Protocol) records as JSON lines: `app.bsky.feed.post` and
//! `app.bsky.feed.repost` records, in any of the shapes they are saved in:
//!
//! - a Jetstream event (`{"did", "time_us", "kind": "commit", "commit":
//!   {"operation", "collection", "rkey", "record", "cid"}}`), as a Jetstream
//!   websocket writes them to a file; `identity` events give handles;
//! - a repository record (`{"uri", "cid", "value"}`, as
//!   `com.atproto.repo.listRecords` and firehose-to-JSON tools write them);
//! - a post view (`{"uri", "cid", "author": {"did", "handle"}, "record",
//!   "indexedAt"}`, from `app.bsky.feed.searchPosts` and the feed endpoints),
//!   or a feed item wrapping one (`{"post": ..., "reason": ...}`), where a
//!   `reasonRepost` is a repost by `reason.by`.
//!
//! Ids: a record is named by its at:// URI, `at://DID/COLLECTION/RKEY`; its
//! post id is the synthetic id of that URI (SHA-256 of `"at"` and the URI,
//! as `leaktrace_model::derive::synthetic_id`), so a reply's parent, a
//! quote's embedded record and a repost's subject (strong refs: `{uri, cid}`)
//! get the id their post has when it is in the case. A URI naming its
//! repository by handle instead of DID gives another id (the handle is not
//! resolved: that needs the network). Accounts are DIDs; handles, where a
//! line gives one, are the accounts' names. Mentions are the DIDs of the
//! mention facets, links the facets' URIs and the external embed's, tags the
//! tag facets and the record's `tags`; a record without facets has them read
//! from its text. Image blobs are kept as media (`blob:CID`).
//!
//! The time is the record's `createdAt` (what the author's client claimed);
//! when it is missing or unreadable, Jetstream's `time_us` or the view's
//! `indexedAt`. Every other record (likes, follows, deletions, account
//! status events) is a reject that says what it was: ask Jetstream for
//! `wantedCollections=app.bsky.feed.post&wantedCollections=app.bsky.feed.repost`.

use std::collections::{HashSet, VecDeque};
use std::io::Read;

use leaktrace_model::derive::synthetic_id;
use leaktrace_model::{AccountInfo, Post, PostKind};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::jsonhead::top_level_keys;
use super::jsonl::{self, LineFormat, json_reason};
use crate::time::parse_rfc3339;
use crate::{Event, EventStream, Format, IngestError, Reject, SourceContext};

pub const POST: &str = "app.bsky.feed.post";
pub const REPOST: &str = "app.bsky.feed.repost";

/// The post id of an at:// URI.
pub fn uri_id(uri: &str) -> i64 {
    synthetic_id(&[b"at", uri.trim().as_bytes()])
}

/// The repository (DID or handle) an at:// URI names.
fn authority(uri: &str) -> Option<&str> {
    let rest = uri.trim().strip_prefix("at://")?;
    let a = rest.split('/').next()?;
    (!a.is_empty()).then_some(a)
}

/// The collection of an at:// URI.
fn collection(uri: &str) -> Option<&str> {
    uri.trim().strip_prefix("at://")?.split('/').nth(1)
}

#[derive(Deserialize)]
struct Line<'a> {
    // Jetstream
    did: Option<String>,
    time_us: Option<i64>,
    kind: Option<String>,
    #[serde(borrow)]
    commit: Option<Commit<'a>>,
    identity: Option<Identity>,
    // Record and post view
    uri: Option<String>,
    #[serde(borrow)]
    value: Option<&'a RawValue>,
    #[serde(borrow)]
    record: Option<&'a RawValue>,
    author: Option<Author>,
    #[serde(rename = "indexedAt")]
    indexed_at: Option<String>,
    // Feed item
    #[serde(borrow)]
    post: Option<&'a RawValue>,
    reason: Option<Reason>,
}

#[derive(Deserialize)]
struct Commit<'a> {
    operation: Option<String>,
    collection: Option<String>,
    rkey: Option<String>,
    #[serde(borrow)]
    record: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Identity {
    did: Option<String>,
    handle: Option<String>,
}

#[derive(Deserialize)]
struct Author {
    did: Option<String>,
    handle: Option<String>,
}

#[derive(Deserialize)]
struct Reason {
    #[serde(rename = "$type")]
    kind: Option<String>,
    by: Option<Author>,
    #[serde(rename = "indexedAt")]
    indexed_at: Option<String>,
}

#[derive(Deserialize)]
struct PostView<'a> {
    uri: Option<String>,
    author: Option<Author>,
    #[serde(borrow)]
    record: Option<&'a RawValue>,
    #[serde(rename = "indexedAt")]
    indexed_at: Option<String>,
}

/// A feed post or repost record (the fields read).
#[derive(Deserialize)]
struct Record {
    #[serde(rename = "$type")]
    kind: Option<String>,
    text: Option<String>,
    #[serde(rename = "createdAt")]
    created_at: Option<String>,
    langs: Option<Vec<String>>,
    reply: Option<ReplyRef>,
    embed: Option<Embed>,
    facets: Option<Vec<Facet>>,
    tags: Option<Vec<String>>,
    subject: Option<StrongRef>,
}

#[derive(Deserialize)]
struct StrongRef {
    uri: Option<String>,
}

#[derive(Deserialize)]
struct ReplyRef {
    parent: Option<StrongRef>,
}

#[derive(Deserialize)]
struct Embed {
    /// `app.bsky.embed.record`: a strong ref; `recordWithMedia`: `{record: strong ref}`.
    record: Option<EmbedRecord>,
    images: Option<Vec<EmbedImage>>,
    external: Option<External>,
    media: Option<Box<Embed>>,
}

#[derive(Deserialize)]
struct EmbedRecord {
    uri: Option<String>,
    record: Option<StrongRef>,
}

#[derive(Deserialize)]
struct EmbedImage {
    image: Option<Blob>,
}

#[derive(Deserialize)]
struct Blob {
    #[serde(rename = "ref")]
    link: Option<BlobRef>,
    /// Old-style blobs name their CID directly.
    cid: Option<String>,
}

#[derive(Deserialize)]
struct BlobRef {
    #[serde(rename = "$link")]
    link: Option<String>,
}

#[derive(Deserialize)]
struct External {
    uri: Option<String>,
}

#[derive(Deserialize)]
struct Facet {
    features: Option<Vec<Feature>>,
}

#[derive(Deserialize)]
struct Feature {
    #[serde(rename = "$type")]
    kind: Option<String>,
    uri: Option<String>,
    did: Option<String>,
    tag: Option<String>,
}

impl Embed {
    fn quoted(&self) -> Option<&str> {
        let r = self.record.as_ref()?;
        r.record.as_ref().and_then(|s| s.uri.as_deref()).or(r.uri.as_deref())
    }

    fn blobs(&self) -> impl Iterator<Item = &str> {
        let own = self.images.iter().flatten();
        let nested = self.media.iter().flat_map(|m| m.images.iter().flatten());
        own.chain(nested).filter_map(|i| {
            let b = i.image.as_ref()?;
            b.link.as_ref().and_then(|l| l.link.as_deref()).or(b.cid.as_deref())
        })
    }

    fn external(&self) -> Option<&str> {
        self.external.as_ref().or(self.media.as_ref().and_then(|m| m.external.as_ref()))?.uri.as_deref()
    }
}

/// Everything a record needs besides itself: whose, its URI, and the
/// fallback time.
struct Meta<'a> {
    did: &'a str,
    uri: String,
    handle: Option<&'a str>,
    fallback_ms: Option<i64>,
}

fn time_us_ms(us: Option<i64>) -> Option<i64> {
    us.map(|u| u.div_euclid(1000))
}

fn view_ms(s: Option<&str>) -> Option<i64> {
    s.and_then(parse_rfc3339).map(|t| t.ms)
}

fn record_post(m: &Meta, raw: &RawValue, line: u64) -> Result<Post, String> {
    let r: Record = serde_json::from_str(raw.get()).map_err(|e| json_reason(&e))?;
    let kind = r.kind.as_deref().or(collection(&m.uri)).unwrap_or("");
    let (time_ms, res) = match r.created_at.as_deref().and_then(parse_rfc3339) {
        Some(t) => (t.ms, 0),
        None => match m.fallback_ms {
            Some(ms) => (ms, 0),
            None => return Err(format!("createdAt: missing or not an RFC 3339 time: {:?}", r.created_at)),
        },
    };
    let mut p = Post::new(uri_id(&m.uri), m.did, time_ms, r.text.as_deref().unwrap_or(""));
    p.time_resolution_s = res;
    p.line = line;
    p.account_name = m.handle.map(str::to_string);
    match kind {
        REPOST => {
            let subject = r.subject.as_ref().and_then(|s| s.uri.as_deref()).ok_or("subject.uri: missing")?;
            p.kind = PostKind::Repost;
            p.target_post = Some(uri_id(subject));
            p.target_account = authority(subject).filter(|a| a.starts_with("did:")).map(str::to_string);
            return Ok(p);
        }
        POST => {}
        other => {
            return Err(format!(
                "a {} record, not a post or repost",
                if other.is_empty() { "typeless" } else { other }
            ));
        }
    }
    p.language = r.langs.as_ref().and_then(|l| l.first()).filter(|l| !l.is_empty()).cloned();
    let quoted = r.embed.as_ref().and_then(Embed::quoted).filter(|u| collection(u) == Some(POST));
    let parent = r.reply.as_ref().and_then(|x| x.parent.as_ref()).and_then(|s| s.uri.as_deref());
    if let Some((kind, target)) = quoted.map(|q| (PostKind::Quote, q)).or(parent.map(|t| (PostKind::Reply, t))) {
        p.kind = kind;
        p.target_post = Some(uri_id(target));
        p.target_account = authority(target).filter(|a| a.starts_with("did:")).map(str::to_string);
    }
    let features: Vec<&Feature> = r.facets.iter().flatten().flat_map(|f| f.features.iter().flatten()).collect();
    let is = |f: &&Feature, t: &str| f.kind.as_deref().is_some_and(|k| k.ends_with(t));
    if features.is_empty() {
        p.derive_entities_from_text();
    } else {
        p.hashtags = features.iter().filter(|f| is(f, "#tag")).filter_map(|f| f.tag.as_deref()).map(tag).collect();
        p.mentions = features
            .iter()
            .filter(|f| is(f, "#mention"))
            .filter_map(|f| f.did.as_deref())
            .map(|d| d.trim().to_string())
            .collect();
        let links: Vec<&str> = features.iter().filter(|f| is(f, "#link")).filter_map(|f| f.uri.as_deref()).collect();
        p.set_urls(links);
    }
    p.hashtags.extend(r.tags.iter().flatten().map(|t| tag(t)));
    if let Some(ext) = r.embed.as_ref().and_then(Embed::external) {
        let mut urls = p.urls.clone();
        urls.push(ext.to_string());
        p.set_urls(urls);
    }
    p.media = r.embed.iter().flat_map(Embed::blobs).map(|c| format!("blob:{c}")).collect();
    Ok(p)
}

fn tag(t: &str) -> String {
    t.trim_start_matches('#').to_lowercase()
}

struct Bluesky {
    /// Accounts whose handle was already told.
    named: HashSet<String>,
}

impl Bluesky {
    fn account(&mut self, did: &str, handle: Option<&str>, out: &mut VecDeque<Event>) {
        if let Some(h) = handle.filter(|h| !h.is_empty())
            && self.named.insert(did.to_string())
        {
            out.push_back(Event::Account(AccountInfo {
                account: did.to_string(),
                name: Some(h.to_string()),
                labels: Vec::new(),
            }));
        }
    }

    fn record(&mut self, m: Meta, raw: &RawValue, line: u64, out: &mut VecDeque<Event>) {
        match record_post(&m, raw, line) {
            Ok(p) => {
                self.account(m.did, m.handle, out);
                out.push_back(Event::Post(p));
            }
            Err(reason) => out.push_back(Event::Reject(Reject { line, reason })),
        }
    }

    fn view(
        &mut self,
        v: &PostView,
        reason: Option<&Reason>,
        line: u64,
        out: &mut VecDeque<Event>,
    ) -> Result<(), String> {
        let uri = v.uri.as_deref().ok_or("post.uri: missing")?;
        let author = v.author.as_ref();
        let did = author.and_then(|a| a.did.as_deref()).or(authority(uri)).ok_or("author.did: missing")?;
        let handle = author.and_then(|a| a.handle.as_deref());
        if let Some(r) = reason.filter(|r| r.kind.as_deref().is_some_and(|k| k.ends_with("reasonRepost"))) {
            // A repost seen in a feed: by `reason.by`, at `reason.indexedAt`;
            // the repost record's own URI is not in the view, so its id is
            // derived from the reposter and the post.
            let by = r.by.as_ref().and_then(|b| b.did.as_deref()).ok_or("reason.by.did: missing")?;
            let ms = view_ms(r.indexed_at.as_deref()).ok_or("reason.indexedAt: missing or not a time")?;
            let mut p = Post::new(synthetic_id(&[b"bsky-feed-repost", by.as_bytes(), uri.as_bytes()]), by, ms, "");
            p.time_resolution_s = 0;
            p.line = line;
            p.kind = PostKind::Repost;
            p.target_post = Some(uri_id(uri));
            p.target_account = Some(did.to_string());
            let by_handle = r.by.as_ref().and_then(|b| b.handle.as_deref());
            p.account_name = by_handle.map(str::to_string);
            self.account(by, by_handle, out);
            out.push_back(Event::Post(p));
            return Ok(());
        }
        let raw = v.record.ok_or("post.record: missing")?;
        let meta = Meta { did, uri: uri.to_string(), handle, fallback_ms: view_ms(v.indexed_at.as_deref()) };
        self.record(meta, raw, line, out);
        Ok(())
    }

    fn line(&mut self, line: u64, bytes: &[u8], out: &mut VecDeque<Event>) -> Result<(), String> {
        let l: Line = serde_json::from_slice(bytes).map_err(|e| json_reason(&e))?;
        if let Some(kind) = l.kind.as_deref() {
            let did = l.did.as_deref().ok_or("did: missing")?;
            return match kind {
                "commit" => {
                    let c = l.commit.as_ref().ok_or("commit: missing")?;
                    let op = c.operation.as_deref().unwrap_or("");
                    let coll = c.collection.as_deref().ok_or("commit.collection: missing")?;
                    let rkey = c.rkey.as_deref().ok_or("commit.rkey: missing")?;
                    if !matches!(op, "create" | "update") {
                        return Err(format!("a {op} of {coll}/{rkey}, not a post or repost"));
                    }
                    let raw = c.record.ok_or("commit.record: missing")?;
                    let meta = Meta {
                        did,
                        uri: format!("at://{did}/{coll}/{rkey}"),
                        handle: None,
                        fallback_ms: time_us_ms(l.time_us),
                    };
                    self.record(meta, raw, line, out);
                    Ok(())
                }
                "identity" => {
                    let i = l.identity.as_ref().ok_or("identity: missing")?;
                    match i.handle.as_deref().filter(|h| !h.is_empty()) {
                        Some(h) => {
                            self.named.remove(did);
                            self.account(i.did.as_deref().unwrap_or(did), Some(h), out);
                            Ok(())
                        }
                        None => Err("an identity event without a handle, not a post".into()),
                    }
                }
                other => Err(format!("a Jetstream {other} event, not a post")),
            };
        }
        if let Some(post) = l.post {
            let v: PostView = serde_json::from_str(post.get()).map_err(|e| json_reason(&e))?;
            return self.view(&v, l.reason.as_ref(), line, out);
        }
        let uri = l.uri.as_deref().ok_or("neither a Jetstream event, a record nor a post view")?;
        if l.author.is_some() || l.record.is_some() {
            let v = PostView { uri: l.uri.clone(), author: l.author, record: l.record, indexed_at: l.indexed_at };
            return self.view(&v, None, line, out);
        }
        let raw = l.value.ok_or("value: missing")?;
        let did = authority(uri).ok_or("uri: not an at:// URI")?;
        let meta = Meta { did, uri: uri.trim().to_string(), handle: None, fallback_ms: None };
        self.record(meta, raw, line, out);
        Ok(())
    }
}

/// Does a JSON line (or the start of one) look like a Bluesky line?
pub(crate) fn detect_line(line: &[u8]) -> bool {
    let keys = top_level_keys(line);
    let has = |k: &str| keys.iter().any(|(n, _)| *n == k.as_bytes());
    let at = memchr::memmem::find(line, b"\"at://").is_some();
    (has("did") && (has("commit") || has("kind")) && memchr::memmem::find(line, b"\"did:").is_some())
        || (at && has("uri") && (has("value") || has("record") || has("author")))
        || (at && has("post") && keys.iter().any(|(k, v)| *k == b"post" && *v == Some(b'{')))
}

impl LineFormat for Bluesky {
    fn check_first(&self, line: &[u8]) -> Result<(), String> {
        if detect_line(line) { Ok(()) } else { Err("not a Jetstream event, record or post view".into()) }
    }

    fn read(&mut self, line: u64, bytes: &[u8], out: &mut VecDeque<Event>) {
        if let Err(reason) = self.line(line, bytes, out) {
            out.push_back(Event::Reject(Reject { line, reason }));
        }
    }
}

pub(crate) fn open(input: Box<dyn Read + Send>, ctx: &SourceContext) -> Result<EventStream, IngestError> {
    jsonl::open(Format::Bluesky, Bluesky { named: HashSet::new() }, input, ctx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::social::{posts, rejects};

    fn parse(data: &str) -> Result<Vec<Event>, IngestError> {
        let ctx = SourceContext::new("b.jsonl", [1u8; 32]);
        open(Box::new(std::io::Cursor::new(data.as_bytes().to_vec())), &ctx)?.collect()
    }

    const DID_A: &str = "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa";
    const DID_B: &str = "did:plc:bbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn jetstream_posts_reposts_quotes_replies_and_handles() {
        let post = format!(
            r#"{{"did":"{DID_A}","time_us":1725911162329308,"kind":"commit","commit":{{"rev":"x","operation":"create","collection":"app.bsky.feed.post","rkey":"3l3qo2vutsw2b","record":{{"$type":"app.bsky.feed.post","text":"Read this #News @b.example.com example.com/a...","createdAt":"2024-09-09T19:46:02.102Z","langs":["en"],"facets":[{{"index":{{"byteStart":10,"byteEnd":15}},"features":[{{"$type":"app.bsky.richtext.facet#tag","tag":"News"}}]}},{{"index":{{"byteStart":16,"byteEnd":30}},"features":[{{"$type":"app.bsky.richtext.facet#mention","did":"{DID_B}"}}]}},{{"index":{{"byteStart":31,"byteEnd":47}},"features":[{{"$type":"app.bsky.richtext.facet#link","uri":"https://example.com/a/long/path?utm_source=x"}}]}}],"embed":{{"$type":"app.bsky.embed.images","images":[{{"alt":"","image":{{"$type":"blob","ref":{{"$link":"bafkreiabc"}},"mimeType":"image/jpeg","size":1000}}}}]}}}},"cid":"bafyrei1"}}}}"#
        );
        let uri_a = format!("at://{DID_A}/app.bsky.feed.post/3l3qo2vutsw2b");
        let repost = format!(
            r#"{{"did":"{DID_B}","time_us":1725911170000000,"kind":"commit","commit":{{"operation":"create","collection":"app.bsky.feed.repost","rkey":"r1","record":{{"$type":"app.bsky.feed.repost","subject":{{"uri":"{uri_a}","cid":"bafyrei1"}},"createdAt":"2024-09-09T19:46:10Z"}}}}}}"#
        );
        let quote = format!(
            r#"{{"did":"{DID_B}","time_us":1,"kind":"commit","commit":{{"operation":"create","collection":"app.bsky.feed.post","rkey":"q1","record":{{"$type":"app.bsky.feed.post","text":"so true","createdAt":"2024-09-09T19:47:00Z","embed":{{"$type":"app.bsky.embed.recordWithMedia","record":{{"record":{{"uri":"{uri_a}","cid":"c"}}}},"media":{{"$type":"app.bsky.embed.external","external":{{"uri":"https://news.example.org/x"}}}}}}}}}}}}"#
        );
        let reply = format!(
            r#"{{"uri":"at://{DID_B}/app.bsky.feed.post/rp1","cid":"c","value":{{"$type":"app.bsky.feed.post","text":"no #Way","createdAt":"2024-09-09T19:48:00Z","reply":{{"root":{{"uri":"{uri_a}","cid":"c"}},"parent":{{"uri":"{uri_a}","cid":"c"}}}}}}}}"#
        );
        let identity = format!(
            r#"{{"did":"{DID_B}","time_us":2,"kind":"identity","identity":{{"did":"{DID_B}","handle":"b.example.com","seq":1,"time":"2024-09-09T19:46:02.102Z"}}}}"#
        );
        let like = format!(
            r#"{{"did":"{DID_B}","time_us":3,"kind":"commit","commit":{{"operation":"create","collection":"app.bsky.feed.like","rkey":"l1","record":{{"$type":"app.bsky.feed.like","subject":{{"uri":"{uri_a}","cid":"c"}},"createdAt":"2024-09-09T19:46:10Z"}}}}}}"#
        );
        let data = format!("{post}\n{repost}\n{quote}\n\n{reply}\n{identity}\n{like}\n{{\"did\": 3}}\n");
        let ev = parse(&data).unwrap();
        let p = posts(&ev);
        assert_eq!(p.len(), 4, "{ev:?}");
        let a = p[0];
        assert_eq!(
            (a.id, a.account.as_str(), a.time_ms, a.kind),
            (uri_id(&uri_a), DID_A, 1725911162102, PostKind::Post)
        );
        assert_eq!((a.hashtags.clone(), a.mentions.clone()), (vec!["news".to_string()], vec![DID_B.to_string()]));
        assert_eq!(a.urls, vec!["https://example.com/a/long/path"], "the facet's full URI, not the shortened text");
        assert_eq!((a.media.clone(), a.language.as_deref()), (vec!["blob:bafkreiabc".to_string()], Some("en")));
        assert_eq!(
            (p[1].kind, p[1].target_post, p[1].target_account.as_deref()),
            (PostKind::Repost, Some(a.id), Some(DID_A))
        );
        assert_eq!((p[2].kind, p[2].target_post), (PostKind::Quote, Some(a.id)));
        assert_eq!(p[2].urls, vec!["https://news.example.org/x"]);
        assert_eq!((p[3].kind, p[3].target_post, p[3].line), (PostKind::Reply, Some(a.id), 5));
        assert_eq!(p[3].hashtags, vec!["way"], "no facets: read from the text");
        let named: Vec<&AccountInfo> =
            ev.iter().filter_map(|e| if let Event::Account(a) = e { Some(a) } else { None }).collect();
        assert_eq!((named[0].account.as_str(), named[0].name.as_deref()), (DID_B, Some("b.example.com")));
        let r = rejects(&ev);
        assert_eq!(r.iter().map(|r| r.line).collect::<Vec<_>>(), vec![7, 8]);
        assert!(r[0].reason.contains("app.bsky.feed.like"), "{}", r[0].reason);
        assert!(r[1].reason.contains("unexpected JSON shape"), "{}", r[1].reason);
    }

    #[test]
    fn post_views_and_feed_reposts() {
        let uri = format!("at://{DID_A}/app.bsky.feed.post/p1");
        let view = format!(
            r#"{{"post":{{"uri":"{uri}","cid":"c","author":{{"did":"{DID_A}","handle":"a.example.com"}},"record":{{"$type":"app.bsky.feed.post","text":"hi https://example.net/z","createdAt":"not a time"}},"indexedAt":"2024-01-02T03:04:05.678Z"}},"reason":{{"$type":"app.bsky.feed.defs#reasonRepost","by":{{"did":"{DID_B}","handle":"b.example.com"}},"indexedAt":"2024-01-02T04:00:00Z"}}}}"#
        );
        let plain = format!(
            r#"{{"uri":"{uri}","cid":"c","author":{{"did":"{DID_A}","handle":"a.example.com"}},"record":{{"$type":"app.bsky.feed.post","text":"hi https://example.net/z","createdAt":"bad"}},"indexedAt":"2024-01-02T03:04:05.678Z"}}"#
        );
        let ev = parse(&format!("{view}\n{plain}\n")).unwrap();
        let p = posts(&ev);
        assert_eq!(p.len(), 2, "{ev:?}");
        assert_eq!((p[0].account.as_str(), p[0].kind, p[0].target_post), (DID_B, PostKind::Repost, Some(uri_id(&uri))));
        assert_eq!(
            (p[1].id, p[1].time_ms, p[1].account_name.as_deref()),
            (uri_id(&uri), 1704164645678, Some("a.example.com"))
        );
        assert_eq!(p[1].urls, vec!["https://example.net/z"]);
    }

    #[test]
    fn other_json_is_refused_at_once() {
        assert!(matches!(parse("{\"id_str\":\"1\",\"user\":{}}\n"), Err(IngestError::WrongFormat { .. })));
        assert!(matches!(parse(""), Err(IngestError::WrongFormat { .. })));
    }
}
