//! Every social-media fixture in `testdata/social/` is detected from its
//! first bytes and parses to the counts its README states.

use std::path::PathBuf;

use leaktrace_ingest::social::generic::ColumnMap;
use leaktrace_ingest::time::TimeFormat;
use leaktrace_ingest::{Event, Format, ParseOptions, SourceContext, detect, open_parser};
use leaktrace_model::{Post, PostKind};

/// Shorter than a twarc2 page line, so detection must cope with a cut-off first line.
const HEAD: usize = 1024;

fn fixture(name: &str) -> Vec<u8> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "..", "testdata", "social", name].iter().collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

struct Parsed {
    posts: Vec<Post>,
    reject_lines: Vec<u64>,
    accounts: usize,
}

fn parse(name: &str, format: Format, opts: &ParseOptions) -> Parsed {
    let bytes = fixture(name);
    let ctx = SourceContext::new(name, [9u8; 32]);
    let mut out = Parsed { posts: Vec::new(), reject_lines: Vec::new(), accounts: 0 };
    for ev in open_parser(format, Box::new(std::io::Cursor::new(bytes)), &ctx, opts).unwrap() {
        match ev.unwrap() {
            Event::Post(p) => out.posts.push(p),
            Event::Reject(r) => out.reject_lines.push(r.line),
            Event::Account(_) => out.accounts += 1,
        }
    }
    out
}

fn kinds(posts: &[Post]) -> [usize; 4] {
    let n = |k| posts.iter().filter(|p| p.kind == k).count();
    [n(PostKind::Post), n(PostKind::Repost), n(PostKind::Quote), n(PostKind::Reply)]
}

fn detected(name: &str) -> Option<Format> {
    let bytes = fixture(name);
    detect(&bytes[..bytes.len().min(HEAD)])
}

#[test]
fn twitter_v2() {
    assert_eq!(detected("twitter-v2.jsonl"), Some(Format::TwitterV2));
    let p = parse("twitter-v2.jsonl", Format::TwitterV2, &ParseOptions::default());
    assert_eq!((p.posts.len(), p.accounts, p.reject_lines.len()), (6, 4, 0));
    assert_eq!(kinds(&p.posts), [2, 2, 1, 1]);
    assert_eq!(p.posts.iter().filter(|p| p.line == 2).count(), 3);
    let rt = p.posts.iter().find(|p| p.id == 1580000000000000105).unwrap();
    assert_eq!((rt.target_post, rt.target_account.as_deref()), (Some(1580000000000000103), Some("2003")));
    let first = p.posts.iter().find(|p| p.id == 1580000000000000101).unwrap();
    assert_eq!(first.urls, vec!["https://news.example.org/story/41?ref=7"]);
}

#[test]
fn twitter_v1() {
    assert_eq!(detected("twitter-v1.jsonl"), Some(Format::TwitterV1));
    let p = parse("twitter-v1.jsonl", Format::TwitterV1, &ParseOptions::default());
    assert_eq!((p.posts.len(), p.accounts, p.reject_lines.as_slice()), (5, 4, &[5][..]));
    assert_eq!(kinds(&p.posts), [2, 1, 1, 1]);
    assert!(p.posts[0].text.ends_with("https://t.co/FrY0000201"));
    assert_eq!(p.posts[0].hashtags, vec!["ferrynews"]);
}

#[test]
fn platform_archive() {
    assert_eq!(detected("platform-archive.csv"), Some(Format::PlatformArchive));
    let p = parse("platform-archive.csv", Format::PlatformArchive, &ParseOptions::default());
    assert_eq!((p.posts.len(), p.accounts, p.reject_lines.as_slice()), (5, 3, &[6][..]));
    assert_eq!(kinds(&p.posts), [2, 1, 1, 1]);
    assert_eq!(p.posts.iter().filter(|p| p.account.len() == 64).count(), 2);
    assert_eq!(p.posts[4].hashtags, vec!["harvest", "rain"]);
}

#[test]
fn qut() {
    assert_eq!(detected("qut.csv"), Some(Format::Qut));
    let p = parse("qut.csv", Format::Qut, &ParseOptions::default());
    assert_eq!((p.posts.len(), p.accounts, p.reject_lines.as_slice()), (5, 0, &[6][..]));
    assert_eq!(kinds(&p.posts), [3, 1, 0, 1]);
    assert_eq!(p.posts[3].domains, vec!["a.example.org", "b.example.org"]);
    assert!(p.posts[4].id_derived);
}

#[test]
fn generic_csv() {
    // Nothing in an arbitrary header says which format it is.
    assert_eq!(detected("generic.csv"), None);
    let map =
        ColumnMap::parse("id=post_id,author=user,time=created_at,text=body,language=lang", TimeFormat::Auto).unwrap();
    let p = parse("generic.csv", Format::Csv, &ParseOptions { map: Some(map) });
    assert_eq!((p.posts.len(), p.accounts, p.reject_lines.as_slice()), (4, 0, &[5][..]));
    assert_eq!(kinds(&p.posts), [4, 0, 0, 0]);
    assert_eq!(p.posts.iter().map(|p| p.time_resolution_s).collect::<Vec<_>>(), vec![1, 1, 60, 1]);
}

#[test]
fn telegram_group_export_with_photos() {
    let dir: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "..", "testdata", "social", "telegram"].iter().collect();
    let bytes = std::fs::read(dir.join("result.json")).unwrap();
    assert_eq!(detect(&bytes[..bytes.len().min(HEAD)]), Some(Format::Telegram));
    let ctx = SourceContext::new("result.json", [9u8; 32]).with_media_dir(&dir);
    let mut posts = Vec::new();
    let mut rejects = Vec::new();
    for ev in
        open_parser(Format::Telegram, Box::new(std::io::Cursor::new(bytes)), &ctx, &ParseOptions::default()).unwrap()
    {
        match ev.unwrap() {
            Event::Post(p) => posts.push(p),
            Event::Reject(r) => rejects.push(r),
            Event::Account(_) => {}
        }
    }
    assert_eq!(posts.len(), 7, "service message 1 skipped, message 8 rejected");
    assert_eq!(ctx.skipped.load(std::sync::atomic::Ordering::Relaxed), 1);
    assert_eq!(rejects.len(), 1);
    assert!(rejects[0].reason.contains("date_unixtime") && rejects[0].line > 100, "{:?}", rejects[0]);
    let by_id = |m: &str| {
        posts
            .iter()
            .find(|p| p.id == leaktrace_model::derive::synthetic_id(&[b"telegram", b"1700000001", m.as_bytes()]))
            .unwrap()
    };
    let ana = by_id("2");
    assert_eq!(ana.text, "The ferry was late again #HarbourWatch, details: here and https://example.com/timetable");
    assert_eq!(
        ana.urls,
        vec!["https://news.example.org/ferry", "https://example.com/timetable"],
        "text_link href is a URL"
    );
    assert_eq!((ana.hashtags.clone(), ana.account.as_str()), (vec!["harbourwatch".to_string()], "user5000000001"));
    assert_eq!((ana.time_ms, ana.line), (1709287200000, 20), "the line of its opening brace");
    assert_eq!(ana.media, vec!["photos/photo_1@01-03-2024_10-00-00.jpg"]);
    // The same picture (re-encoded, resized) three times, and another one.
    let h = |m: &str| by_id(m).image_hashes.clone();
    let (h2, h3, h4, h5) = (h("2")[0], h("3")[0], h("4")[0], h("5")[0]);
    assert!((h2 ^ h3).count_ones() <= 4 && (h2 ^ h4).count_ones() <= 4, "{h2:x} {h3:x} {h4:x}");
    assert!((h2 ^ h5).count_ones() >= 16);
    assert_eq!(ctx.media.hashed.load(std::sync::atomic::Ordering::Relaxed), 4);
    assert_eq!(by_id("3").mentions, vec!["ana_demo"]);
    assert_eq!((by_id("4").kind, by_id("4").target_post), (PostKind::Reply, Some(ana.id)));
    let (f6, f7) = (by_id("6"), by_id("7"));
    assert_eq!(
        (f6.kind, f6.target_derived, f6.target_account.as_deref()),
        (PostKind::Repost, true, Some("channel1700000099"))
    );
    assert_eq!(f6.target_post, f7.target_post, "two forwards of the same post share their target");
    let f9 = by_id("9");
    assert_eq!(f9.text, "Breaking: queues at the pier, ask Ben", "a text array is read whole");
    assert_eq!((f9.kind, f9.mentions.clone()), (PostKind::Repost, vec!["user5000000002".to_string()]));
    assert!(f9.target_post.is_some() && f9.target_post != f6.target_post && f9.media.is_empty());
}

#[test]
fn telegram_account_export() {
    let bytes = fixture("telegram-account.json");
    assert_eq!(detect(&bytes[..bytes.len().min(HEAD)]), Some(Format::Telegram));
    let p = parse("telegram-account.json", Format::Telegram, &ParseOptions::default());
    assert_eq!((p.posts.len(), p.reject_lines.len()), (3, 1));
    assert_eq!(p.posts[0].account, "channel1700000050", "a channel post without an author is the channel's");
    assert_eq!(p.posts[0].account, p.posts[1].account);
    assert_eq!(p.posts[1].urls, vec!["https://ferries.example.net/changes"]);
    assert_eq!(p.posts[2].account, "user5000000009");
    assert!(p.posts[0].image_hashes.is_empty(), "no media folder given: nothing read");
}

#[test]
fn bluesky_tiktok_and_meta_content_library() {
    assert_eq!(detected("bluesky.jsonl"), Some(Format::Bluesky));
    let p = parse("bluesky.jsonl", Format::Bluesky, &ParseOptions::default());
    assert_eq!((p.posts.len(), p.reject_lines.as_slice()), (5, &[7][..]));
    assert_eq!(kinds(&p.posts), [2, 1, 1, 1]);
    assert_eq!(p.accounts, 2);
    assert_eq!(detected("tiktok.jsonl"), Some(Format::TikTok));
    let p = parse("tiktok.jsonl", Format::TikTok, &ParseOptions::default());
    assert_eq!((p.posts.len(), p.accounts, p.reject_lines.as_slice()), (4, 3, &[3][..]));
    assert_eq!(p.posts[0].hashtags, vec!["ferries", "harbour"]);
    assert_eq!(detected("meta-cl.csv"), Some(Format::MetaCl));
    let p = parse("meta-cl.csv", Format::MetaCl, &ParseOptions::default());
    assert_eq!((p.posts.len(), p.reject_lines.as_slice()), (4, &[6][..]));
    assert_eq!(kinds(&p.posts), [2, 1, 1, 0]);
}
