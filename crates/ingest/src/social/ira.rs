//! The Internet Research Agency tweets released by FiveThirtyEight (data
//! from Clemson University's Linvill and Warren), in both layouts: the
//! original 21 columns and the per-author derivative.
//!
//! The data has no ids for retweeted posts: a retweet row (post_type `R` /
//! `RETWEET`) carries the original text, sometimes after `RT @handle: `.
//! Two retweets of the same original text are retweets of the same target,
//! so the target id is derived from that text. Quote tweets are new posts
//! that quote; their target is unknown. Times are whole minutes in UTC.

use std::collections::HashSet;
use std::io::Read;

use csv::ByteRecord;
use leaktrace_model::derive::{strip_rt_prefix, synthetic_id};
use leaktrace_model::{AccountInfo, Post, PostKind};

use crate::csvsrc::{CsvSource, field};
use crate::time::parse_auto;
use crate::{Event, EventStream, Format, IngestError, Reject, SourceContext};

/// Derived id of the post that a retweet of `text` retweets.
pub fn repost_target_id(text: &str) -> i64 {
    let (_, original) = strip_rt_prefix(text);
    synthetic_id(&[b"ira-retweet-of", original.trim().as_bytes()])
}

/// Resolution of IRA publish times, in seconds.
const MINUTE: u32 = 60;

struct Columns {
    author: usize,
    content: usize,
    language: usize,
    publish_date: usize,
    following: usize,
    followers: usize,
    post_type: usize,
    // 538 layout only.
    tweet_id: Option<usize>,
    expanded_urls: Vec<usize>,
    labels: Vec<(String, usize)>,
}

struct IraParser {
    src: CsvSource,
    cols: Columns,
    ctx: SourceContext,
    seen: HashSet<String>,
    pending: Option<Event>,
}

pub(crate) fn open(
    format: Format,
    input: Box<dyn Read + Send>,
    ctx: &SourceContext,
) -> Result<EventStream, IngestError> {
    let src = CsvSource::new(input, &ctx.display, format)?;
    let cols = match format {
        Format::IraByAuthor => {
            let i = src.require(
                &["author_id", "content", "language", "publish_date", "following", "followers", "post_type"],
                format,
            )?;
            Columns {
                author: i[0],
                content: i[1],
                language: i[2],
                publish_date: i[3],
                following: i[4],
                followers: i[5],
                post_type: i[6],
                tweet_id: None,
                expanded_urls: Vec::new(),
                labels: Vec::new(),
            }
        }
        _ => {
            let i = src.require(
                &[
                    "author",
                    "content",
                    "language",
                    "publish_date",
                    "following",
                    "followers",
                    "post_type",
                    "tweet_id",
                    "account_type",
                    "account_category",
                ],
                format,
            )?;
            let labels = ["account_type", "account_category", "new_june_2018", "region"]
                .iter()
                .filter_map(|n| src.col(n).map(|c| (n.to_string(), c)))
                .collect();
            Columns {
                author: i[0],
                content: i[1],
                language: i[2],
                publish_date: i[3],
                following: i[4],
                followers: i[5],
                post_type: i[6],
                tweet_id: Some(i[7]),
                expanded_urls: ["tco1_step1", "tco2_step1", "tco3_step1"].iter().filter_map(|n| src.col(n)).collect(),
                labels,
            }
        }
    };
    Ok(Box::new(IraParser { src, cols, ctx: ctx.clone(), seen: HashSet::new(), pending: None }))
}

fn count(rec: &ByteRecord, idx: usize, name: &str) -> Result<Option<i64>, String> {
    let s = field(rec, idx, name)?.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<i64>()
        .or_else(|_| s.parse::<f64>().map(|f| f as i64))
        .map(Some)
        .map_err(|_| format!("column {name}: not a number: {s:?}"))
}

impl Columns {
    fn post(
        &self,
        ctx: &SourceContext,
        seen: &HashSet<String>,
        line: u64,
        rec: &ByteRecord,
    ) -> Result<(Post, Option<AccountInfo>), String> {
        let c = self;
        let author = field(rec, c.author, "author")?.trim();
        if author.is_empty() {
            return Err("column author: empty".into());
        }
        let when = field(rec, c.publish_date, "publish_date")?;
        let t = parse_auto(when).ok_or_else(|| format!("column publish_date: not a date: {when:?}"))?;
        let text = field(rec, c.content, "content")?;
        let id = match c.tweet_id {
            Some(i) => match field(rec, i, "tweet_id")?.trim() {
                "" => None,
                s => Some(s.parse::<i64>().map_err(|_| format!("column tweet_id: not an integer id: {s:?}"))?),
            },
            None => None,
        };
        let mut p = Post::new(id.unwrap_or_else(|| ctx.row_id(line)), author.to_lowercase(), t.ms, text);
        p.id_derived = id.is_none();
        p.account_name = Some(author.to_string());
        // Both layouts hold whole minutes, even where the per-author one
        // writes ":00" seconds; a finer resolution would be a false claim.
        p.time_resolution_s = t.resolution_s.max(MINUTE);
        p.line = line;
        let lang = field(rec, c.language, "language")?.trim();
        if !lang.is_empty() {
            p.language = Some(lang.to_string());
        }
        p.followers = count(rec, c.followers, "followers")?;
        p.following = count(rec, c.following, "following")?;
        p.kind = match field(rec, c.post_type, "post_type")?.trim() {
            "" => PostKind::Post,
            "R" | "RETWEET" => PostKind::Repost,
            "Q" | "QUOTE_TWEET" => PostKind::Quote,
            other => return Err(format!("column post_type: unknown value {other:?} (expected empty, R or Q)")),
        };
        p.hashtags = leaktrace_model::derive::extract_hashtags(text);
        p.mentions = leaktrace_model::derive::extract_mentions(text);
        let mut urls: Vec<&str> = leaktrace_model::derive::extract_urls(text);
        for &i in &c.expanded_urls {
            let u = field(rec, i, "tco_step1")?.trim();
            if !u.is_empty() && !urls.contains(&u) {
                urls.push(u);
            }
        }
        p.set_urls(urls);
        if p.kind == PostKind::Repost {
            p.target_post = Some(repost_target_id(text));
            p.target_derived = true;
            p.target_account = strip_rt_prefix(text).0;
        }
        let account = if c.labels.is_empty() || seen.contains(&p.account) {
            None
        } else {
            let mut labels = Vec::new();
            for (name, i) in &c.labels {
                let v = field(rec, *i, name)?.trim();
                if !v.is_empty() {
                    labels.push((name.clone(), v.to_string()));
                }
            }
            Some(AccountInfo { account: p.account.clone(), name: p.account_name.clone(), labels })
        };
        Ok((p, account))
    }
}

impl Iterator for IraParser {
    type Item = Result<Event, IngestError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.pending.take() {
            return Some(Ok(e));
        }
        let (line, rec) = match self.src.next_record()? {
            Err(fatal) => return Some(Err(fatal)),
            Ok(Err(bad)) => return Some(Ok(Event::Reject(Reject { line: bad.line, reason: bad.reason }))),
            Ok(Ok(ok)) => ok,
        };
        Some(Ok(match self.cols.post(&self.ctx, &self.seen, line, rec) {
            Err(reason) => Event::Reject(Reject { line, reason }),
            Ok((post, None)) => Event::Post(post),
            Ok((post, Some(acct))) => {
                self.seen.insert(acct.account.clone());
                self.pending = Some(Event::Post(post));
                Event::Account(acct)
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(format: Format, data: &str) -> Vec<Event> {
        let ctx = SourceContext::new("t.csv", [7u8; 32]);
        open(format, Box::new(std::io::Cursor::new(data.as_bytes().to_vec())), &ctx)
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
    }

    const BY_AUTHOR: &str =
        "author_id,content,region,language,publish_date,harvested_date,following,followers,updates,post_type,retweet\n";

    #[test]
    fn by_author_rows_become_posts() {
        let data = format!(
            "{BY_AUTHOR}10_gop,\"Hey #FreeSpeech @TEN_GOP https://t.co/kmb1JOSVbg\",Unknown,English,2017-09-07 20:54:00,2017-09-07 20:54:00,161,10,3,,0\n\
             10_gop,\"RT @ten_gop: Big news\",Unknown,English,2017-09-07 21:00:00,2017-09-07 21:00:00,161,10,3,R,1\n\
             x,\"Big news\",Unknown,English,2017-09-07 21:01:00,x,1,1,1,R,1\n"
        );
        let ev = parse(Format::IraByAuthor, &data);
        let posts: Vec<&Post> = ev.iter().filter_map(|e| if let Event::Post(p) = e { Some(p) } else { None }).collect();
        assert_eq!(posts.len(), 3);
        let p = posts[0];
        assert_eq!((p.account.as_str(), p.time_ms, p.time_resolution_s), ("10_gop", 1504817640000, 60));
        assert_eq!(p.hashtags, vec!["freespeech"]);
        assert_eq!(p.mentions, vec!["ten_gop"]);
        assert_eq!(p.domains, vec!["t.co"]);
        assert!(p.id_derived);
        assert_eq!(p.line, 2);
        // Both retweets of "Big news" share a derived target, whatever the prefix.
        assert_eq!(posts[1].kind, PostKind::Repost);
        assert_eq!(posts[1].target_post, posts[2].target_post);
        assert_eq!(posts[1].target_account.as_deref(), Some("ten_gop"));
        assert_ne!(posts[1].id, posts[2].id);
    }

    #[test]
    fn bad_rows_are_rejected_with_line_and_reason() {
        let data = format!(
            "{BY_AUTHOR}a,ok,U,English,2017-09-07 20:54:00,,1,1,1,,0\n\
             b,\"multi\nline\",U,English,not a date,,1,1,1,,0\n\
             c,short,row\n\
             d,x,U,English,2017-09-07 20:54:00,,1,1,1,Z,0\n\
             e,fine,U,English,2017-09-07 20:55:00,,1,1,1,Q,1\n"
        );
        let ev = parse(Format::IraByAuthor, &data);
        let rejects: Vec<&Reject> =
            ev.iter().filter_map(|e| if let Event::Reject(r) = e { Some(r) } else { None }).collect();
        assert_eq!(rejects.len(), 3);
        assert_eq!(rejects[0].line, 3);
        assert!(rejects[0].reason.contains("publish_date"), "{}", rejects[0].reason);
        assert_eq!(rejects[1].line, 5);
        assert!(rejects[1].reason.contains("expected 11 fields"));
        assert!(rejects[2].reason.contains("post_type"));
        assert!(matches!(ev.last(), Some(Event::Post(p)) if p.kind == PostKind::Quote && p.target_post.is_none()));
    }

    #[test]
    fn wrong_header_fails_fast() {
        let ctx = SourceContext::new("t.csv", [0; 32]);
        let err = match open(Format::IraByAuthor, Box::new(&b"a,b,c\n1,2,3\n"[..]), &ctx) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted a foreign header"),
        };
        assert!(err.contains("t.csv") && err.contains("not ira-by-author input") && err.contains("author_id"), "{err}");
    }
}
