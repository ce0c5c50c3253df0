//! TikTok Research API video JSON (`POST /v2/research/video/query/`), one
//! JSON document per line: a whole response (`{"data": {"videos": [...],
//! "cursor", "has_more", "search_id"}, "error": {...}}`, as a query script
//! appends each page it receives) or one video object (`{"id", "username",
//! "create_time", "video_description", "hashtag_names", "music_id", ...}`).
//! Field names are those of the Research API codebook and the query
//! endpoint's reference.
//!
//! A video is a post: `id` its id, `username` its account (the API gives no
//! user id), `create_time` (Unix seconds) its time, `video_description` its
//! text, `hashtag_names` its hashtags (else those of the description),
//! `video_mention_list` its mentions, `region_code` a label of the
//! account; the sound it uses is kept as media (`music:ID`), so that the
//! same sound under many accounts can be found. The API names no reposts.
//! Every video of a page carries the page's line number.

use std::collections::{HashSet, VecDeque};
use std::io::Read;

use leaktrace_model::derive::extract_mentions;
use leaktrace_model::{AccountInfo, Post};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::generic::id_or_synthetic;
use super::jsonhead::top_level_keys;
use super::jsonl::{self, LineFormat, json_reason};
use super::twitter::Id;
use crate::{Event, EventStream, Format, IngestError, Reject, SourceContext};

#[derive(Deserialize)]
struct Page<'a> {
    #[serde(borrow)]
    data: Option<Data<'a>>,
    error: Option<ApiError>,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(borrow)]
    videos: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct ApiError {
    code: Option<String>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct Video {
    id: Option<Id>,
    username: Option<String>,
    create_time: Option<Id>,
    video_description: Option<String>,
    hashtag_names: Option<Vec<String>>,
    music_id: Option<Id>,
    region_code: Option<String>,
    video_mention_list: Option<Vec<String>>,
}

fn post(v: &Video, line: u64) -> Result<Post, String> {
    let id = v.id.as_ref().map(|i| i.0.trim()).filter(|s| !s.is_empty()).ok_or("field id: missing")?;
    let user = v.username.as_deref().map(str::trim).filter(|s| !s.is_empty()).ok_or("field username: missing")?;
    let t = v.create_time.as_ref().map(|t| t.0.trim()).ok_or("field create_time: missing")?;
    let secs: i64 = t.parse().map_err(|_| format!("field create_time: not Unix seconds: {t:?}"))?;
    let ms = secs.checked_mul(1000).ok_or_else(|| format!("field create_time: out of range: {t}"))?;
    let text = v.video_description.as_deref().unwrap_or("");
    let (pid, derived) = id_or_synthetic(b"tiktok-id", id);
    let mut p = Post::new(pid, user.to_lowercase(), ms, text);
    p.id_derived = derived;
    p.line = line;
    p.account_name = Some(user.to_string());
    p.derive_entities_from_text();
    if let Some(tags) = &v.hashtag_names {
        p.hashtags = tags.iter().map(|t| t.trim_start_matches('#').to_lowercase()).filter(|t| !t.is_empty()).collect();
    }
    if let Some(m) = &v.video_mention_list {
        p.mentions = m.iter().map(|m| m.trim_start_matches('@').to_lowercase()).filter(|m| !m.is_empty()).collect();
    } else {
        p.mentions = extract_mentions(text);
    }
    if let Some(m) = v.music_id.as_ref().map(|m| m.0.trim()).filter(|m| !m.is_empty() && *m != "0") {
        p.media = vec![format!("music:{m}")];
    }
    Ok(p)
}

struct TikTok {
    seen: HashSet<String>,
}

impl TikTok {
    fn video(&mut self, line: u64, raw: &str, out: &mut VecDeque<Event>) {
        let v: Video = match serde_json::from_str(raw) {
            Ok(v) => v,
            Err(e) => return out.push_back(Event::Reject(Reject { line, reason: json_reason(&e) })),
        };
        match post(&v, line) {
            Ok(p) => {
                if self.seen.insert(p.account.clone()) {
                    let labels = v
                        .region_code
                        .iter()
                        .filter(|r| !r.is_empty())
                        .map(|r| ("region_code".to_string(), r.clone()))
                        .collect();
                    out.push_back(Event::Account(AccountInfo {
                        account: p.account.clone(),
                        name: p.account_name.clone(),
                        labels,
                    }));
                }
                out.push_back(Event::Post(p));
            }
            Err(reason) => out.push_back(Event::Reject(Reject { line, reason })),
        }
    }
}

/// Is this (the start of) a TikTok response page or video line?
pub(crate) fn detect_line(line: &[u8]) -> bool {
    let keys = top_level_keys(line);
    let has = |k: &str| keys.iter().any(|(n, _)| *n == k.as_bytes());
    let page = keys.iter().any(|(k, v)| *k == b"data" && *v == Some(b'{'))
        && memchr::memmem::find(line, b"\"videos\"").is_some();
    page || (has("id") && has("username") && has("create_time"))
}

impl LineFormat for TikTok {
    fn check_first(&self, line: &[u8]) -> Result<(), String> {
        if detect_line(line) { Ok(()) } else { Err("not a Research API response or video object".into()) }
    }

    fn read(&mut self, line: u64, bytes: &[u8], out: &mut VecDeque<Event>) {
        let keys = top_level_keys(bytes);
        if !keys.iter().any(|(k, _)| *k == b"data" || *k == b"error") {
            return self.video(line, std::str::from_utf8(bytes).unwrap_or(""), out);
        }
        let page: Page = match serde_json::from_slice(bytes) {
            Ok(p) => p,
            Err(e) => return out.push_back(Event::Reject(Reject { line, reason: json_reason(&e) })),
        };
        let videos = page.data.and_then(|d| d.videos);
        match videos {
            Some(vs) => vs.iter().for_each(|v| self.video(line, v.get(), out)),
            None => {
                let e = page.error.as_ref();
                let (code, msg) = (e.and_then(|e| e.code.as_deref()), e.and_then(|e| e.message.as_deref()));
                let reason =
                    format!("a response without videos (error {}: {})", code.unwrap_or("?"), msg.unwrap_or(""));
                out.push_back(Event::Reject(Reject { line, reason }));
            }
        }
    }
}

pub(crate) fn open(input: Box<dyn Read + Send>, ctx: &SourceContext) -> Result<EventStream, IngestError> {
    jsonl::open(Format::TikTok, TikTok { seen: HashSet::new() }, input, ctx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::social::{posts, rejects};

    fn parse(data: &str) -> Result<Vec<Event>, IngestError> {
        let ctx = SourceContext::new("t.jsonl", [1u8; 32]);
        open(Box::new(std::io::Cursor::new(data.as_bytes().to_vec())), &ctx)?.collect()
    }

    #[test]
    fn pages_and_single_videos() {
        let page = r#"{"data":{"videos":[{"id":7300000000000000001,"username":"Farm_Demo","create_time":1700000000,"video_description":"harvest #Rain @someone_demo","hashtag_names":["rain","Harvest"],"music_id":7200000000000000009,"region_code":"FR"},{"id":7300000000000000002,"username":"farm_demo","create_time":"oops"}],"cursor":2,"has_more":false,"search_id":"s"},"error":{"code":"ok","message":"","log_id":"l"}}"#;
        let video = r#"{"id":"7300000000000000003","username":"other_demo","create_time":1700000060,"video_description":"same sound","music_id":7200000000000000009}"#;
        let failed = r#"{"data":{},"error":{"code":"rate_limit_exceeded","message":"slow down"}}"#;
        let ev = parse(&format!("{page}\n{video}\n{failed}\n")).unwrap();
        let p = posts(&ev);
        assert_eq!(p.len(), 2, "{ev:?}");
        assert_eq!((p[0].id, p[0].account.as_str(), p[0].time_ms), (7300000000000000001, "farm_demo", 1700000000000));
        assert_eq!(p[0].hashtags, vec!["rain", "harvest"]);
        assert_eq!(p[0].mentions, vec!["someone_demo"]);
        assert_eq!(p[0].media, p[1].media, "the same sound");
        assert_eq!((p[1].line, p[1].id), (2, 7300000000000000003));
        let r = rejects(&ev);
        assert_eq!(r.iter().map(|r| r.line).collect::<Vec<_>>(), vec![1, 3]);
        assert!(r[0].reason.contains("create_time"), "{}", r[0].reason);
        assert!(r[1].reason.contains("rate_limit_exceeded"), "{}", r[1].reason);
        let acc: Vec<&AccountInfo> =
            ev.iter().filter_map(|e| if let Event::Account(a) = e { Some(a) } else { None }).collect();
        assert_eq!(acc[0].labels, vec![("region_code".to_string(), "FR".to_string())]);
    }
}
