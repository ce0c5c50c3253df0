//! Twitter/X transparency ("information operations") archive CSV.
//!
//! Columns are found by name: releases differ in order and in extra columns.
//! Accounts with few followers are anonymised: their `userid` (and often
//! `user_screen_name`) is a 64-hex-digit hash, kept as given so that the same
//! hash links posts across files. The `user_mentions` column lists user ids,
//! not handles. Times are whole minutes in UTC.

use std::collections::HashSet;
use std::io::Read;

use csv::ByteRecord;
use leaktrace_model::derive::{extract_hashtags, extract_mentions, extract_urls};
use leaktrace_model::{AccountInfo, Post, PostKind};

use crate::csvsrc::{CsvSource, field};
use crate::social::generic::count;
use crate::time::parse_auto;
use crate::{Event, EventStream, Format, IngestError, Reject, SourceContext};

/// Account columns reported as labels, under their column names.
const LABELS: [&str; 3] = ["account_creation_date", "account_language", "user_reported_location"];

/// An optional column: its index, if the header has it, and its name.
type Opt = (Option<usize>, &'static str);

struct Columns {
    tweetid: usize,
    userid: usize,
    tweet_time: usize,
    tweet_text: usize,
    screen_name: Opt,
    follower_count: Opt,
    following_count: Opt,
    tweet_language: Opt,
    in_reply_to_userid: Opt,
    in_reply_to_tweetid: Opt,
    quoted_tweet_tweetid: Opt,
    is_retweet: Opt,
    retweet_userid: Opt,
    retweet_tweetid: Opt,
    hashtags: Opt,
    urls: Opt,
    user_mentions: Opt,
    labels: Vec<(&'static str, usize)>,
}

struct ArchiveParser {
    src: CsvSource,
    cols: Columns,
    seen: HashSet<String>,
    pending: Option<Event>,
}

pub(crate) fn open(input: Box<dyn Read + Send>, ctx: &SourceContext) -> Result<EventStream, IngestError> {
    let format = Format::PlatformArchive;
    let src = CsvSource::new(input, &ctx.display, format)?;
    let i = src.require(&["tweetid", "userid", "tweet_time", "tweet_text"], format)?;
    let opt = |name: &'static str| (src.col(name), name);
    let cols = Columns {
        tweetid: i[0],
        userid: i[1],
        tweet_time: i[2],
        tweet_text: i[3],
        screen_name: opt("user_screen_name"),
        follower_count: opt("follower_count"),
        following_count: opt("following_count"),
        tweet_language: opt("tweet_language"),
        in_reply_to_userid: opt("in_reply_to_userid"),
        in_reply_to_tweetid: opt("in_reply_to_tweetid"),
        quoted_tweet_tweetid: opt("quoted_tweet_tweetid"),
        is_retweet: opt("is_retweet"),
        retweet_userid: opt("retweet_userid"),
        retweet_tweetid: opt("retweet_tweetid"),
        hashtags: opt("hashtags"),
        urls: opt("urls"),
        user_mentions: opt("user_mentions"),
        labels: LABELS.into_iter().filter_map(|n| src.col(n).map(|c| (n, c))).collect(),
    };
    Ok(Box::new(ArchiveParser { src, cols, seen: HashSet::new(), pending: None }))
}

/// Items of a Python-list rendering (`[a, b]`, `['a', 'b']`, `[]`, empty).
pub(crate) fn list_items(s: &str) -> impl Iterator<Item = &str> {
    let s = s.trim();
    let s = s.strip_prefix('[').unwrap_or(s);
    let s = s.strip_suffix(']').unwrap_or(s);
    s.split(',').map(|t| t.trim().trim_matches(|c| c == '\'' || c == '"').trim()).filter(|t| !t.is_empty())
}

/// A tweet id. Some releases went through tools that wrote ids as `123.0`.
fn tweet_id(s: &str, name: &str) -> Result<Option<i64>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let digits = s.strip_suffix(".0").unwrap_or(s);
    digits.parse::<i64>().map(Some).map_err(|_| format!("column {name}: not an integer tweet id: {s:?}"))
}

fn get(rec: &ByteRecord, (idx, name): Opt) -> Result<&str, String> {
    match idx {
        Some(i) => Ok(field(rec, i, name)?.trim()),
        None => Ok(""),
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

fn post(c: &Columns, line: u64, rec: &ByteRecord) -> Result<Post, String> {
    let id = tweet_id(field(rec, c.tweetid, "tweetid")?, "tweetid")?.ok_or("column tweetid: empty")?;
    let user = field(rec, c.userid, "userid")?.trim();
    if user.is_empty() {
        return Err("column userid: empty".into());
    }
    let when = field(rec, c.tweet_time, "tweet_time")?;
    let t = parse_auto(when).ok_or_else(|| format!("column tweet_time: not a date: {when:?}"))?;
    let text = field(rec, c.tweet_text, "tweet_text")?;
    let mut p = Post::new(id, user, t.ms, text);
    p.time_resolution_s = t.resolution_s;
    p.line = line;
    p.account_name = non_empty(get(rec, c.screen_name)?);
    p.language = non_empty(get(rec, c.tweet_language)?);
    p.followers = count(get(rec, c.follower_count)?, c.follower_count.1)?;
    p.following = count(get(rec, c.following_count)?, c.following_count.1)?;
    let is_retweet = match get(rec, c.is_retweet)? {
        "" | "0" => false,
        "1" => true,
        v if v.eq_ignore_ascii_case("false") => false,
        v if v.eq_ignore_ascii_case("true") => true,
        v => return Err(format!("column is_retweet: expected True or False, found {v:?}")),
    };
    if is_retweet {
        p.kind = PostKind::Repost;
        p.target_post = tweet_id(get(rec, c.retweet_tweetid)?, c.retweet_tweetid.1)?;
        p.target_account = non_empty(get(rec, c.retweet_userid)?);
    } else if let Some(r) = tweet_id(get(rec, c.in_reply_to_tweetid)?, c.in_reply_to_tweetid.1)? {
        p.kind = PostKind::Reply;
        p.target_post = Some(r);
        p.target_account = non_empty(get(rec, c.in_reply_to_userid)?);
    } else if let Some(q) = tweet_id(get(rec, c.quoted_tweet_tweetid)?, c.quoted_tweet_tweetid.1)? {
        p.kind = PostKind::Quote;
        p.target_post = Some(q);
    }
    p.hashtags = match c.hashtags.0 {
        Some(_) => list_items(get(rec, c.hashtags)?).map(|h| h.trim_start_matches('#').to_lowercase()).collect(),
        None => extract_hashtags(text),
    };
    p.mentions = match c.user_mentions.0 {
        Some(_) => list_items(get(rec, c.user_mentions)?).map(str::to_lowercase).collect(),
        None => extract_mentions(text),
    };
    match c.urls.0 {
        Some(_) => p.set_urls(list_items(get(rec, c.urls)?)),
        None => p.set_urls(extract_urls(text)),
    }
    Ok(p)
}

fn account(c: &Columns, p: &Post, rec: &ByteRecord) -> Result<AccountInfo, String> {
    let mut labels = Vec::new();
    for &(name, i) in &c.labels {
        let v = field(rec, i, name)?.trim();
        if !v.is_empty() {
            labels.push((name.to_string(), v.to_string()));
        }
    }
    Ok(AccountInfo { account: p.account.clone(), name: p.account_name.clone(), labels })
}

impl Iterator for ArchiveParser {
    type Item = Result<Event, IngestError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.pending.take() {
            return Some(Ok(e));
        }
        let (line, rec) = match self.src.next_record()? {
            Err(fatal) => return Some(Err(fatal)),
            Ok(Err(bad)) => return Some(Ok(Event::Reject(Reject { line: bad.line, reason: bad.reason }))),
            Ok(Ok(x)) => x,
        };
        let post = match post(&self.cols, line, rec) {
            Ok(p) => p,
            Err(reason) => return Some(Ok(Event::Reject(Reject { line, reason }))),
        };
        if self.seen.contains(&post.account) {
            return Some(Ok(Event::Post(post)));
        }
        Some(Ok(match account(&self.cols, &post, rec) {
            Ok(acct) => {
                self.seen.insert(acct.account.clone());
                self.pending = Some(Event::Post(post));
                Event::Account(acct)
            }
            Err(reason) => Event::Reject(Reject { line, reason }),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::social::{posts, rejects};

    /// The column layout of the published archives.
    const HEADER: &str = "tweetid,userid,user_display_name,user_screen_name,user_reported_location,\
        user_profile_description,user_profile_url,follower_count,following_count,account_creation_date,\
        account_language,tweet_language,tweet_text,tweet_time,tweet_client_name,in_reply_to_userid,\
        in_reply_to_tweetid,quoted_tweet_tweetid,is_retweet,retweet_userid,retweet_tweetid,latitude,longitude,\
        quote_count,reply_count,like_count,retweet_count,hashtags,urls,user_mentions,poll_choices\n";

    const HASH: &str = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";

    fn parse(data: &str) -> Result<Vec<Event>, IngestError> {
        let ctx = SourceContext::new("a.csv", [2u8; 32]);
        open(Box::new(std::io::Cursor::new(data.as_bytes().to_vec())), &ctx)?.collect()
    }

    #[test]
    fn rows_of_every_kind() {
        let data = format!(
            "{HEADER}\
             100,42,Daily News,dailynews,Moscow,desc,,1500,20,2012-03-04,ru,en,\"Read #This https://t.co/a\",2017-09-07 19:52,Twitter Web Client,,,,False,,,,,0,0,1,2,\"['This', 'Other']\",[https://example.com/story?utm_source=tw],[],\n\
             101,{HASH},{HASH},{HASH},,,,3,4,2016-01-01,en,en,\"RT @dailynews: Read #This\",2017-09-07 19:53,Twitter for Android,,,,True,42,100,,,0,0,0,0,[This],,\"[42, 7]\",\n\
             102,{HASH},{HASH},{HASH},,,,3,4,2016-01-01,en,en,\"@dailynews agreed\",2017-09-07 19:54,Twitter for Android,42,100,,false,,,,,0,0,0,0,[],[],[42],\n\
             103,42,Daily News,dailynews,Moscow,desc,,1501,20,2012-03-04,ru,en,\"see this\",2017-09-07 19:55,Twitter Web Client,,,101,0,,,,,0,0,0,0,,,,\n"
        );
        let ev = parse(&data).unwrap();
        assert!(rejects(&ev).is_empty(), "{ev:?}");
        let accounts: Vec<&AccountInfo> =
            ev.iter().filter_map(|e| if let Event::Account(a) = e { Some(a) } else { None }).collect();
        assert_eq!(accounts.len(), 2);
        assert!(matches!(ev[0], Event::Account(_)) && matches!(ev[1], Event::Post(_)));
        assert_eq!((accounts[0].account.as_str(), accounts[0].name.as_deref()), ("42", Some("dailynews")));
        assert_eq!(
            accounts[0].labels,
            vec![
                ("account_creation_date".to_string(), "2012-03-04".to_string()),
                ("account_language".into(), "ru".into()),
                ("user_reported_location".into(), "Moscow".into()),
            ]
        );
        assert_eq!(accounts[1].account, HASH);
        assert_eq!(accounts[1].labels.len(), 2);

        let p = posts(&ev);
        assert_eq!(p.len(), 4);
        assert_eq!((p[0].id, p[0].account.as_str(), p[0].kind, p[0].line), (100, "42", PostKind::Post, 2));
        assert_eq!((p[0].time_ms, p[0].time_resolution_s), (1504813920000, 60));
        assert_eq!((p[0].followers, p[0].following, p[0].language.as_deref()), (Some(1500), Some(20), Some("en")));
        assert_eq!(p[0].hashtags, vec!["this", "other"]);
        assert_eq!(p[0].urls, vec!["https://example.com/story"]);
        assert!(p[0].mentions.is_empty());
        assert_eq!(
            (p[1].kind, p[1].target_post, p[1].target_account.as_deref()),
            (PostKind::Repost, Some(100), Some("42"))
        );
        assert_eq!(p[1].mentions, vec!["42", "7"]);
        assert!(p[1].urls.is_empty());
        assert_eq!(
            (p[2].kind, p[2].target_post, p[2].target_account.as_deref()),
            (PostKind::Reply, Some(100), Some("42"))
        );
        assert_eq!((p[3].kind, p[3].target_post, p[3].target_account.as_deref()), (PostKind::Quote, Some(101), None));
        assert_eq!(p[3].followers, Some(1501));
    }

    #[test]
    fn minimal_columns_in_any_order() {
        let data = "tweet_text,tweet_time,extra,userid,tweetid\n\"#Hi @you http://x.org\",2019-01-01 00:00,z,7,9\n\nb,2019-01-01 00:01,z,7,10\nc,2019-01-01 00:02,z,7,11\n";
        let ev = parse(data).unwrap();
        assert_eq!(ev.len(), 4);
        let Event::Account(a) = &ev[0] else { panic!("{ev:?}") };
        assert_eq!((a.account.as_str(), a.name.as_deref(), a.labels.len()), ("7", None, 0));
        let p = posts(&ev);
        assert_eq!((p[0].id, p[0].line, p[0].kind, p[2].line), (9, 2, PostKind::Post, 5));
        assert_eq!(p[0].hashtags, vec!["hi"]);
        assert_eq!(p[0].mentions, vec!["you"]);
        assert_eq!(p[0].domains, vec!["x.org"]);
    }

    #[test]
    fn bad_rows_are_rejected_with_line_and_column() {
        let data = "tweetid,userid,tweet_time,tweet_text,is_retweet,retweet_tweetid,follower_count\n\
                    1,u,2019-01-01 00:00,ok,False,,\n\
                    x1,u,2019-01-01 00:00,bad id,False,,\n\
                    3,u,01/01/19,\"bad\ntime\",False,,\n\
                    4,u,2019-01-01 00:00,bad flag,maybe,,\n\
                    5,u,2019-01-01 00:00,bad target,True,abc,\n\
                    6,u,2019-01-01 00:00,bad count,False,,lots\n\
                    7,,2019-01-01 00:00,no user,False,,\n\
                    8,u\n\
                    9,u,2019-01-01 00:00,fine,True,1.0,\n";
        let ev = parse(data).unwrap();
        let r = rejects(&ev);
        let got: Vec<(u64, &str)> = r.iter().map(|r| (r.line, r.reason.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (3, "column tweetid: not an integer tweet id: \"x1\""),
                (4, "column tweet_time: not a date: \"01/01/19\""),
                (6, "column is_retweet: expected True or False, found \"maybe\""),
                (7, "column retweet_tweetid: not an integer tweet id: \"abc\""),
                (8, "column follower_count: not a number: \"lots\""),
                (9, "column userid: empty"),
                (10, "expected 7 fields, found 2"),
            ]
        );
        let p = posts(&ev);
        assert_eq!(p.len(), 2);
        assert_eq!((p[1].kind, p[1].target_post, p[1].line), (PostKind::Repost, Some(1), 11));
    }

    #[test]
    fn wrong_header_fails_fast() {
        let err = match parse("tweetid,userid,text,created_at\n1,2,x,y\n") {
            Err(e @ IngestError::WrongFormat { .. }) => e.to_string(),
            other => panic!("{other:?}"),
        };
        assert!(err.contains("not platform-archive input") && err.contains("without tweet_time, tweet_text"), "{err}");
    }

    #[test]
    fn python_lists() {
        let items = |s| list_items(s).collect::<Vec<_>>();
        assert_eq!(items("['a', \"b\" , c]"), vec!["a", "b", "c"]);
        assert_eq!(items("[]"), Vec::<&str>::new());
        assert_eq!(items(""), Vec::<&str>::new());
        assert_eq!(items("[x]"), vec!["x"]);
    }
}
