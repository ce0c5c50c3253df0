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
