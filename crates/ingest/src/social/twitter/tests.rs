//! The Twitter parsers on whole inputs: detection, both API versions, and
//! how bad lines and files of the wrong shape are reported.

use leaktrace_model::{AccountInfo, Post, PostKind};

use super::*;
use crate::lines::MAX_JSON_LINE_BYTES;
use crate::{Event, Format, IngestError, SourceContext};

fn run(format: Format, data: &str) -> Result<Vec<Event>, IngestError> {
    let ctx = SourceContext::new("t.jsonl", [5u8; 32]);
    open(format, Box::new(std::io::Cursor::new(data.as_bytes().to_vec())), &ctx)?.collect()
}

fn posts(ev: &[Event]) -> Vec<&Post> {
    ev.iter().filter_map(|e| if let Event::Post(p) = e { Some(p) } else { None }).collect()
}

fn rejects(ev: &[Event]) -> Vec<(u64, &str)> {
    ev.iter().filter_map(|e| if let Event::Reject(r) = e { Some((r.line, r.reason.as_str())) } else { None }).collect()
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
    assert_eq!((p[0].kind, p[0].target_post, p[0].target_account.as_deref()), (PostKind::Repost, Some(4), Some("8")));
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
