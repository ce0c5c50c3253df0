//! End-to-end tests of the case folder through the real binary: init, info,
//! ingest of every format, duplicates, bad rows, crash safety, concurrency.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;

use common::{command, ok, stderr, testdata as fixture};

/// Run leaktrace with these arguments.
fn run(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    common::lt(args)
}

fn new_case() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("case");
    ok(run(&[&"case", &"init", &dir]));
    (tmp, dir)
}

fn info(dir: &Path) -> Value {
    serde_json::from_str(&ok(run(&[&"info", &dir, &"--json"]))).unwrap()
}

fn social_sources(info: &Value) -> Vec<&Value> {
    info["sources"].as_array().unwrap().iter().filter(|s| s["kind"] == "social").collect()
}

#[test]
fn init_refuses_existing_cases_and_info_refuses_non_cases() {
    let (tmp, dir) = new_case();
    let again = run(&[&"case", &"init", &dir]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("already a leaktrace case"), "{}", stderr(&again));
    let nothing = run(&[&"info", &tmp.path().join("nope")]);
    assert!(!nothing.status.success());
    assert!(stderr(&nothing).contains("not a leaktrace case"), "{}", stderr(&nothing));
    let empty = info(&dir);
    assert_eq!(empty["posts"], 0);
    assert_eq!(empty["sources"].as_array().unwrap().len(), 0);
    assert!(empty["first_post"].is_null());
}

#[test]
fn ira_sample_with_account_labels() {
    let (_tmp, dir) = new_case();
    let out = ok(run(&[
        &"ingest",
        &dir,
        &fixture("ira/by-author-excerpt.csv"),
        &"--accounts",
        &fixture("ira/authors-excerpt.csv"),
        &"--quiet",
    ]));
    assert!(out.contains("136 posts from 136 records, 0 rejected"), "{out}");
    let i = info(&dir);
    assert_eq!(i["posts"], 136);
    assert_eq!(i["accounts"], 13);
    assert_eq!(i["labelled_accounts"], 13);
    assert_eq!(i["first_post"], "2016-01-29T22:38:00Z");
    assert_eq!(i["last_post"], "2016-10-14T14:11:00Z");
    let src = social_sources(&i)[0];
    assert_eq!(src["format"], "ira-by-author");
    assert_eq!(src["rows"], 136);
    assert_eq!(src["rejected"], 0);
    // The SHA-256 recorded is that of the file, and the stored copy is identical.
    let bytes = std::fs::read(fixture("ira/by-author-excerpt.csv")).unwrap();
    let sha = src["sha256"].as_str().unwrap();
    let stored = dir.join("evidence/sha256").join(&sha[..2]).join(sha);
    assert_eq!(std::fs::read(&stored).unwrap(), bytes);
    assert!(std::fs::metadata(&stored).unwrap().permissions().readonly());
    let cats = i["labels"].as_array().unwrap().iter().find(|l| l["key"] == "account_category").unwrap();
    let left = cats["values"].as_array().unwrap().iter().find(|v| v["value"] == "LeftTroll").unwrap();
    assert_eq!(left["count"], 9);
    let kinds: Vec<(String, i64)> = i["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["value"].as_str().unwrap().to_string(), k["count"].as_i64().unwrap()))
        .collect();
    assert_eq!(kinds, vec![("repost".into(), 115), ("post".into(), 15), ("quote".into(), 6)]);

    // Posts are in the Parquet table with their provenance line.
    let files: Vec<PathBuf> = glob_parquet(&dir);
    assert_eq!(files.len(), 1);
    let posts: Vec<_> = leaktrace_store::posts::read_batches(&files, None)
        .unwrap()
        .iter()
        .flat_map(leaktrace_store::posts::posts_from_batch)
        .collect();
    assert_eq!(posts.len(), 136);
    assert_eq!(posts[0].line, 2);
    assert_eq!(posts[0].account, "adamchapmanjr");
    assert_eq!(posts[0].time_resolution_s, 60, "IRA times are whole minutes");
    assert!(posts.iter().all(|p| p.id_derived));
}

fn glob_parquet(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("posts"))
        .unwrap()
        .map(|e| e.unwrap().path().join("part-00000.parquet"))
        .filter(|p| p.exists())
        .collect();
    v.sort();
    v
}

#[test]
fn both_ira_layouts_agree() {
    let (_tmp, dir) = new_case();
    ok(run(&[&"ingest", &dir, &fixture("ira/by-author-excerpt.csv"), &fixture("ira/ira538-excerpt.csv"), &"-q"]));
    let i = info(&dir);
    let s = social_sources(&i);
    assert_eq!(s[1]["format"], "ira538");
    assert_eq!(s[0]["posts"], s[1]["posts"]);
    assert_eq!(s[0]["first_post"], s[1]["first_post"]);
    // Same handles, so the same accounts, except that the per-author layout
    // disambiguates a handle used by two accounts (`4MySquad4036537452`) where
    // the 538 layout has the bare handle. The 538 rows carry the labels.
    assert_eq!(i["accounts"], 14);
    assert_eq!(i["labelled_accounts"], 13);
    let files = glob_parquet(&dir);
    let read = |f: &PathBuf| -> Vec<leaktrace_model::Post> {
        leaktrace_store::posts::read_batches(std::slice::from_ref(f), None)
            .unwrap()
            .iter()
            .flat_map(leaktrace_store::posts::posts_from_batch)
            .collect()
    };
    let (a, b) = (read(&files[0]), read(&files[1]));
    for (x, y) in a.iter().zip(&b) {
        assert!(x.account.starts_with(&y.account), "{} vs {}", x.account, y.account);
        assert_eq!((x.time_ms, &x.text, x.kind), (y.time_ms, &y.text, y.kind));
        assert_eq!(x.target_post, y.target_post, "retweet targets derive from text alone");
        assert_eq!(y.time_resolution_s, 60);
    }
}

#[test]
fn duplicate_ingest_adds_nothing() {
    let (tmp, dir) = new_case();
    let f = fixture("ira/by-author-excerpt.csv");
    ok(run(&[&"ingest", &dir, &f, &"-q"]));
    // Same bytes under another name: still the same evidence.
    let copy = tmp.path().join("renamed.csv");
    std::fs::copy(&f, &copy).unwrap();
    let out = ok(run(&[&"ingest", &dir, &f, &copy, &"-q"]));
    assert_eq!(out.matches("already in the case as source #1").count(), 2, "{out}");
    let i = info(&dir);
    assert_eq!(i["posts"], 136);
    assert_eq!(i["sources"].as_array().unwrap().len(), 1);
}

#[test]
fn bad_rows_are_rejected_counted_and_listed() {
    let (_tmp, dir) = new_case();
    let out = run(&[&"ingest", &dir, &fixture("ira/bad-rows.csv"), &"-q"]);
    let err = stderr(&out);
    let stdout = ok(out);
    assert!(stdout.contains("6 posts from 11 records, 5 rejected"), "{stdout}");
    for (line, what) in
        [(5, "expected 11 fields"), (6, "publish_date"), (7, "post_type"), (8, "invalid UTF-8"), (9, "following")]
    {
        assert!(err.contains(&format!("bad-rows.csv: line {line}: ")), "line {line} not reported:\n{err}");
        assert!(err.contains(what), "{what} not reported:\n{err}");
    }
    let i = info(&dir);
    assert_eq!(i["rejected"], 5);
    let s = social_sources(&i)[0];
    assert_eq!(s["rejects_sample"][1]["line"], 6);
}

#[test]
fn strict_keeps_nothing_of_a_bad_file() {
    let (_tmp, dir) = new_case();
    let out = run(&[&"ingest", &dir, &fixture("ira/bad-rows.csv"), &"--strict", &"-q"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("line 5") && stderr(&out).contains("--strict"), "{}", stderr(&out));
    let i = info(&dir);
    assert_eq!(i["posts"], 0);
    assert_eq!(i["sources"].as_array().unwrap().len(), 0);
    assert_eq!(i["unfinished_ingests"], 0);
    assert!(glob_parquet(&dir).is_empty());
    // Without --strict the same file goes in.
    ok(run(&[&"ingest", &dir, &fixture("ira/bad-rows.csv"), &"-q"]));
    assert_eq!(info(&dir)["posts"], 6);
}

#[test]
fn wrong_or_unknown_format_fails_fast_with_what_was_expected() {
    let (tmp, dir) = new_case();
    let out = run(&[&"ingest", &dir, &fixture("ira/by-author-excerpt.csv"), &"--format", &"qut"]);
    assert!(!out.status.success());
    let e = stderr(&out);
    assert!(e.contains("by-author-excerpt.csv") && e.contains("not qut input") && e.contains("message_id"), "{e}");

    let odd = tmp.path().join("odd.csv");
    std::fs::write(&odd, "when,who,what\n2020-01-01,a,b\n").unwrap();
    let out = run(&[&"ingest", &dir, &odd]);
    assert!(!out.status.success());
    let e = stderr(&out);
    assert!(e.contains("odd.csv") && e.contains("--format") && e.contains("ira-by-author"), "{e}");

    let out = run(&[&"ingest", &dir, &odd, &"--format", &"nonsense"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("unknown format"), "{}", stderr(&out));
    assert_eq!(info(&dir)["sources"].as_array().unwrap().len(), 0);
}

#[test]
fn compressed_inputs_are_read_transparently() {
    let (tmp, dir) = new_case();
    let raw = std::fs::read(fixture("ira/by-author-excerpt.csv")).unwrap();
    let gz = tmp.path().join("t.csv.gz");
    let mut e = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::default());
    e.write_all(&raw).unwrap();
    e.finish().unwrap();
    let zst = tmp.path().join("t.csv.zst");
    std::fs::write(&zst, zstd::encode_all(&raw[..], 3).unwrap()).unwrap();
    ok(run(&[&"ingest", &dir, &gz, &zst, &"-q"]));
    let i = info(&dir);
    let s = social_sources(&i);
    assert_eq!((s[0]["compression"].as_str(), s[0]["posts"].as_i64()), (Some("gzip"), Some(136)));
    assert_eq!((s[1]["compression"].as_str(), s[1]["posts"].as_i64()), (Some("zstd"), Some(136)));
}

/// A compressed file cut short: one error, naming the file and the line where
/// reading stopped, saying what is wrong; nothing of it is kept.
#[test]
fn a_truncated_compressed_file_is_one_clear_error_with_its_line() {
    let (tmp, dir) = new_case();
    let csv = tmp.path().join("big.csv");
    synthetic_ira(&csv, 200_000);
    let raw = std::fs::read(&csv).unwrap();
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(&raw).unwrap();
    let gz = e.finish().unwrap();
    // Cut inside the first 64 KiB of data, and far past it.
    for (name, keep) in [("early.csv.gz", 2_000), ("late.csv.gz", gz.len() / 2)] {
        let path = tmp.path().join(name);
        std::fs::write(&path, &gz[..keep]).unwrap();
        let out = run(&[&"ingest", &dir, &path, &"-q"]);
        assert!(!out.status.success());
        let err = stderr(&out);
        let first = err.lines().next().unwrap_or_default().to_string();
        let want = format!("{}: line ", path.display());
        assert!(first.contains(&want) && first.contains("cut short"), "{err}");
        let line: u64 = first.split(&want).nth(1).unwrap().split(':').next().unwrap().parse().unwrap();
        assert!(line > 1, "{first}");
        assert_eq!(err.matches("cut short").count(), 1, "said once: {err}");
    }
    assert!(social_sources(&info(&dir)).is_empty(), "nothing kept");
}

/// A synthetic file in the per-author layout, large enough that an ingest
/// takes a noticeable time.
fn synthetic_ira(path: &Path, rows: usize) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(
        w,
        "author_id,content,region,language,publish_date,harvested_date,following,followers,updates,post_type,retweet"
    )
    .unwrap();
    for i in 0..rows {
        let (min, sec) = ((i / 60) % 60, i % 60);
        writeln!(
            w,
            "acct{},\"post {i} about #topic{} https://example.com/{}\",Unknown,English,2016-10-07 {:02}:{min:02}:{sec:02},,1,2,3,{},0",
            i % 97,
            i % 13,
            i % 31,
            (i / 3600) % 24,
            if i % 3 == 0 { "R" } else { "" }
        )
        .unwrap();
    }
}

#[test]
fn a_crash_at_any_step_leaves_all_or_nothing_and_a_rerun_completes() {
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big.csv");
    synthetic_ira(&big, 5000);
    for point in ["mid-posts", "before-rename", "after-rename", "before-commit"] {
        let dir = tmp.path().join(format!("case-{point}"));
        ok(run(&[&"case", &"init", &dir]));
        ok(run(&[&"ingest", &dir, &fixture("ira/by-author-excerpt.csv"), &"-q"]));
        let out = command()
            .args(["ingest".as_ref(), dir.as_os_str(), big.as_os_str(), "-q".as_ref()])
            .env("LEAKTRACE_CRASH_AT", point)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{point}: the crash hook did not fire");
        // The case opens, with the earlier source whole and nothing of the interrupted one.
        let i = info(&dir);
        assert_eq!(i["posts"], 136, "{point}");
        assert_eq!(social_sources(&i).len(), 1, "{point}");
        if point != "mid-posts" {
            assert_eq!(i["unfinished_ingests"], 1, "{point}");
        }
        // Re-running the same ingest completes it.
        let out = ok(run(&[&"ingest", &dir, &big, &"-q"]));
        assert!(out.contains("5,000 posts"), "{point}: {out}");
        let i = info(&dir);
        assert_eq!(i["posts"], 5136, "{point}");
        assert_eq!(i["unfinished_ingests"], 0, "{point}");
        assert_eq!(glob_parquet(&dir).len(), 2, "{point}: stale partitions left behind");
        assert!(std::fs::read_dir(dir.join("tmp")).unwrap().next().is_none(), "{point}: staging not cleaned");
    }
}

#[test]
fn kill_9_at_random_moments_never_corrupts() {
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big.csv");
    synthetic_ira(&big, 150_000);
    let dir = tmp.path().join("case");
    ok(run(&[&"case", &"init", &dir]));
    // Time a full run on a scratch case to spread the kills over it.
    let scratch = tmp.path().join("scratch");
    ok(run(&[&"case", &"init", &scratch]));
    let t = Instant::now();
    ok(run(&[&"ingest", &scratch, &big, &"-q"]));
    let full = t.elapsed();
    let mut seen_partial = false;
    for k in 1..=6u32 {
        let mut child = command()
            .args(["ingest".as_ref(), dir.as_os_str(), big.as_os_str(), "-q".as_ref()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full * k / 7);
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        let i = info(&dir);
        let posts = i["posts"].as_i64().unwrap();
        assert!(posts == 0 || posts == 150_000, "kill {k}: partial source visible: {posts} posts");
        if posts == 150_000 {
            break;
        }
        seen_partial |= !status.success();
    }
    assert!(seen_partial, "no kill landed during the ingest; the test proves nothing");
    let out = ok(run(&[&"ingest", &dir, &big, &"-q"]));
    assert!(out.contains("150,000 posts") || out.contains("already in the case"), "{out}");
    assert_eq!(info(&dir)["posts"], 150_000);
}

#[test]
fn a_second_writer_waits_or_fails_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big.csv");
    synthetic_ira(&big, 150_000);
    let dir = tmp.path().join("case");
    ok(run(&[&"case", &"init", &dir]));
    let first = command()
        .args(["ingest".as_ref(), dir.as_os_str(), big.as_os_str(), "-q".as_ref()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the first process holds the lock.
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::read_to_string(dir.join("write.lock")).unwrap_or_default().is_empty() {
        assert!(Instant::now() < deadline, "first writer never took the lock");
        std::thread::sleep(Duration::from_millis(5));
    }
    let busy = run(&[&"ingest", &dir, &fixture("ira/by-author-excerpt.csv"), &"--no-wait", &"-q"]);
    assert!(!busy.status.success());
    let e = stderr(&busy);
    assert!(e.contains("another leaktrace process (pid ") && e.contains("is writing"), "{e}");
    // Without --no-wait the second writer waits, then succeeds.
    let second = run(&[&"ingest", &dir, &fixture("ira/by-author-excerpt.csv"), &"-q"]);
    let first = first.wait_with_output().unwrap();
    ok(first);
    assert!(stderr(&second).contains("waiting"), "{}", stderr(&second));
    ok(second);
    let i = info(&dir);
    assert_eq!(i["posts"], 150_136);
    assert_eq!(social_sources(&i).len(), 2);
}

#[test]
fn every_social_format_fixture_ingests() {
    let (_tmp, dir) = new_case();
    let cases: [(&str, &str); 4] = [
        ("social/twitter-v2.jsonl", "twitter-v2"),
        ("social/twitter-v1.jsonl", "twitter-v1"),
        ("social/platform-archive.csv", "platform-archive"),
        ("social/qut.csv", "qut"),
    ];
    for (f, format) in cases {
        let out = ok(run(&[&"ingest", &dir, &fixture(f), &"-q"]));
        assert!(out.contains(&format!("({format}, sha256")), "{f} not detected as {format}: {out}");
    }
    let out = ok(run(&[
        &"ingest",
        &dir,
        &fixture("social/generic.csv"),
        &"--map",
        &"id=post_id,author=user,time=created_at,text=body,language=lang",
        &"-q",
    ]));
    assert!(out.contains("(csv, sha256"), "{out}");
    let i = info(&dir);
    for s in social_sources(&i) {
        assert!(s["posts"].as_i64().unwrap() > 0, "{s}");
    }
}

#[test]
fn demo_builds_and_reuses_its_case() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let out = ok(run(&[&"demo", &"--case", &dir, &"-q", &"--no-serve"]));
    assert!(out.contains("7,285 posts from 7,285 records, 0 rejected"), "{out}");
    assert!(out.contains("account_category"), "{out}");
    assert!(out.contains("1 messages: 1 verified"), "the bundled email verifies offline: {out}");
    // The leak's story: the declared release, who posted about it, how fast.
    assert!(
        out.contains("Declared release: WikiLeaks publishes The Podesta Emails (part 1) at 2016-10-07 20:32 UTC"),
        "{out}"
    );
    let row = out.lines().find(|l| l.trim_start().starts_with("#podestaemails")).expect("a row for the hashtag");
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells[1..3], ["5", "0"], "5 accounts after the release, none before: {row}");
    assert!(out.contains("prettylaraplace") && out.contains("+6 h 26 min"), "the first to follow: {out}");
    assert!(dir.join("podesta-2016.csv").is_file(), "the events file is kept with the case");
    let out = ok(run(&[&"demo", &"--case", &dir, &"-q", &"--no-serve"]));
    assert!(out.contains("already in the case"), "{out}");
    let i = info(&dir);
    assert_eq!(i["posts"], 7285);
    assert_eq!(i["accounts"], 93);
    assert_eq!(i["labelled_accounts"], 93);
}
