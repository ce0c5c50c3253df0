//! The platforms beyond Twitter through the real binary: a Telegram Desktop
//! export recognised without --format, with its photos hashed and co-image
//! finding the accounts that posted the same picture; Bluesky, TikTok and
//! Meta Content Library files recognised and named with --format.

mod common;

use std::path::{Path, PathBuf};

use common::{fails, lt, ok, testdata};

fn new_case() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("case");
    ok(lt(&[&"case", &"init", &dir]));
    (tmp, dir)
}

fn info(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&ok(lt(&[&"info", &dir, &"--json"]))).unwrap()
}

/// Sorted `source,target,weight` rows of a CSV edge list (`network,source,target,weight,…`).
fn edge_rows(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.starts_with("network,source,target,weight"), "{text}");
    let mut rows: Vec<String> =
        text.lines().skip(1).map(|l| l.split(',').skip(1).take(3).collect::<Vec<_>>().join(",")).collect();
    rows.sort();
    rows
}

#[test]
fn a_telegram_export_is_recognised_and_its_photos_give_co_image() {
    let (tmp, dir) = new_case();
    // A copy of the export folder, as a user has it: result.json with photos/ beside it.
    let export = tmp.path().join("ChatExport_2024-03-01");
    std::fs::create_dir_all(export.join("photos")).unwrap();
    std::fs::copy(testdata("social/telegram/result.json"), export.join("result.json")).unwrap();
    for f in std::fs::read_dir(testdata("social/telegram/photos")).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), export.join("photos").join(f.file_name())).unwrap();
    }
    let out = ok(lt(&[&"ingest", &dir, &export.join("result.json"), &"--quiet", &"--no-index"]));
    assert!(out.contains("(telegram,") && out.contains("7 posts from 8 records, 1 rejected"), "{out}");
    assert!(out.contains("1 service messages") && out.contains("4 images hashed for co-image, 0 could not"), "{out}");
    let i = info(&dir);
    assert_eq!(i["posts"], 7);
    let src = &i["sources"][0];
    assert_eq!((src["format"].as_str(), src["rejected"].as_u64()), (Some("telegram"), Some(1)));
    let rejects = ok(lt(&[&"info", &dir, &"--rejects"]));
    assert!(rejects.contains("date_unixtime") && rejects.contains("byte "), "{rejects}");

    let edges = tmp.path().join("image.csv");
    let json = ok(lt(&[
        &"coord",
        &dir,
        &"--network",
        &"co-image",
        &"--window",
        &"10m",
        &"--min-weight",
        &"1",
        &"--out",
        &edges,
        &"--json",
    ]));
    // Ana, Ben and Cleo sent the same picture (re-encoded, resized); Dan another one.
    assert_eq!(
        edge_rows(&edges),
        vec!["user5000000001,user5000000002,1", "user5000000001,user5000000003,1", "user5000000002,user5000000003,1"],
        "{json}"
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let params: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(v["output"].as_str().unwrap()).join("params.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(params["image_distance"], 6);
    // Identical hashes only: the re-encoded copy matches, the resized one with a label pasted on does not.
    let exact = tmp.path().join("exact.csv");
    ok(lt(&[
        &"coord",
        &dir,
        &"--network",
        &"co-image",
        &"--window",
        &"10m",
        &"--min-weight",
        &"1",
        &"--image-distance",
        &"0",
        &"--out",
        &exact,
    ]));
    assert_eq!(edge_rows(&exact), vec!["user5000000001,user5000000002,1"]);
    // The two forwards of one channel post are a co-retweet; with --format named too.
    let rt = tmp.path().join("rt.csv");
    ok(lt(&[&"coord", &dir, &"--network", &"co-retweet", &"--window", &"10m", &"--min-weight", &"1", &"--out", &rt]));
    assert_eq!(edge_rows(&rt), vec!["user5000000002,user5000000003,1"]);
    let e = fails(lt(&[&"coord", &dir, &"--network", &"co-image", &"--window", &"10m", &"--image-distance", &"40"]));
    assert!(e.contains("at most 16"), "{e}");
}

#[test]
fn telegram_named_with_format_and_other_files_refused() {
    let (_tmp, dir) = new_case();
    let out = ok(lt(&[
        &"ingest",
        &dir,
        &testdata("social/telegram-account.json"),
        &"--format",
        &"telegram",
        &"-q",
        &"--no-index",
    ]));
    assert!(out.contains("3 posts from 4 records, 1 rejected"), "{out}");
    let e = fails(lt(&[&"ingest", &dir, &testdata("social/twitter-v1.jsonl"), &"--format", &"telegram", &"-q"]));
    assert!(e.contains("not telegram input"), "{e}");
}

#[test]
fn bluesky_tiktok_and_meta_content_library_are_recognised_or_named() {
    let (_tmp, dir) = new_case();
    for (file, format, want) in [
        ("social/bluesky.jsonl", "bluesky", "5 posts from 6 records, 1 rejected"),
        ("social/tiktok.jsonl", "tiktok", "4 posts from 5 records, 1 rejected"),
        ("social/meta-cl.csv", "meta-cl", "4 posts from 5 records, 1 rejected"),
    ] {
        let out = ok(lt(&[&"ingest", &dir, &testdata(file), &"-q", &"--no-index"]));
        assert!(out.contains(&format!("({format},")) && out.contains(want), "{file}: {out}");
    }
    let i = info(&dir);
    assert_eq!(i["posts"], 13);
    // Named explicitly: the same formats; the wrong name is refused at once.
    let (_tmp2, other) = new_case();
    for (file, format) in
        [("social/bluesky.jsonl", "bluesky"), ("social/tiktok.jsonl", "tiktok"), ("social/meta-cl.csv", "meta-cl")]
    {
        ok(lt(&[&"ingest", &other, &testdata(file), &"--format", &format, &"-q", &"--no-index"]));
    }
    let e = fails(lt(&[&"ingest", &other, &testdata("social/qut.csv"), &"--format", &"meta-cl", &"-q"]));
    assert!(e.contains("not meta-cl input"), "{e}");
    // The Bluesky repost and quote point at the post they name: a co-retweet needs two reposts, a co-hashtag
    // two accounts; the two posts tagged #harbourwatch are by different accounts.
    let tmp = tempfile::tempdir().unwrap();
    let tags = tmp.path().join("tags.csv");
    ok(lt(&[&"coord", &dir, &"--network", &"co-hashtag", &"--window", &"10m", &"--min-weight", &"1", &"--out", &tags]));
    let rows = edge_rows(&tags);
    assert!(
        rows.iter().any(|r| r.starts_with("did:plc:demoaaaaaaaaaaaaaaaaaaaa,did:plc:demobbbbbbbbbbbbbbbbbbbb")),
        "{rows:?}"
    );
}
