//! End-to-end tests of `leaktrace search` through the real binary: every
//! field finds what it should, unknown fields are errors, the index grows
//! one source at a time, and `--json` keeps its contract.

use std::path::{Path, PathBuf};

mod common;

use common::{fails, lt, ok, testdata};

fn fixture(rel: &str) -> PathBuf {
    testdata(rel)
}

fn search(dir: &Path, q: &str, extra: &[&str]) -> serde_json::Value {
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"search", &dir, &q, &"--json", &"--limit", &"100"];
    for e in extra {
        args.push(e);
    }
    serde_json::from_str(&ok(lt(&args))).unwrap()
}

fn total(dir: &Path, q: &str) -> u64 {
    search(dir, q, &[])["total"].as_u64().unwrap()
}

fn case() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("case");
    ok(lt(&[&"case", &"init", &dir]));
    let out = lt(&[
        &"ingest",
        &dir,
        &fixture("timeline/posts.csv"),
        &fixture("articles/leaks-timeline.txt"),
        &fixture("articles/podesta-release.html"),
        &"--accounts",
        &fixture("timeline/authors.csv"),
    ]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    ok(out);
    assert!(err.contains("indexed 15 documents of 4 new source(s)"), "{err}");
    (tmp, dir)
}

#[test]
fn json_contract_and_every_field() {
    let (_tmp, dir) = case();
    let v = search(&dir, "wikileaks", &[]);
    assert_eq!(v["total"].as_u64(), Some(6));
    let hit = &v["hits"][0];
    for k in ["kind", "id", "time", "score", "snippet"] {
        assert!(hit.get(k).is_some(), "{k} missing in {hit}");
    }
    let post = v["hits"].as_array().unwrap().iter().find(|h| h["kind"] == "post").unwrap();
    assert!(post["account"].is_string());
    assert!(post["snippet"].as_str().unwrap().to_lowercase().contains("wikileaks"));
    assert!(!post["highlights"].as_array().unwrap().is_empty());

    // Every field finds what it holds.
    assert_eq!(total(&dir, "account:leader_demo"), 3);
    assert_eq!(total(&dir, "account:LEADER_DEMO"), 3);
    assert_eq!(total(&dir, "label:RightTroll"), 12);
    assert_eq!(total(&dir, "label:account_category=LeftTroll"), 1);
    assert_eq!(total(&dir, "hashtag:podestaemails"), 2);
    assert_eq!(total(&dir, "hashtag:#PodestaEmails"), 2);
    assert_eq!(total(&dir, "url:\"https://example.org/podesta-1\""), 6);
    assert_eq!(total(&dir, "domain:example.org"), 7);
    assert_eq!(total(&dir, "domain:example.com"), 1);
    assert_eq!(total(&dir, "language:english"), 13);
    assert_eq!(total(&dir, "type:repost"), 3);
    assert_eq!(total(&dir, "mention:news_demo"), 3);
    assert_eq!(total(&dir, "kind:article"), 2);
    assert_eq!(total(&dir, "title:timeline"), 1);
    assert_eq!(total(&dir, "outlet:\"Example Courier\""), 1);
    assert_eq!(total(&dir, "file:posts.csv"), 13);
    assert_eq!(total(&dir, "source:1"), 13);
    assert_eq!(total(&dir, "time:[2016-10-08T00:00:00Z TO 2016-10-09T00:00:00Z]"), 5);
    // Email fields exist (the mail tables will fill them) and find nothing yet.
    for f in [
        "from:a@example.org",
        "to:a@example.org",
        "cc:a@example.org",
        "subject:x",
        "sender_domain:example.org",
        "dkim:verified",
        "attachment:x",
    ] {
        assert_eq!(total(&dir, f), 0, "{f}");
    }
    // Phrase, boolean, prefix, fuzzy.
    assert_eq!(total(&dir, "\"big news tonight\""), 3);
    assert_eq!(total(&dir, "\"news big\""), 0);
    assert_eq!(total(&dir, "wikileaks AND account:f_one_demo"), 1);
    assert_eq!(total(&dir, "wikileaks -account:f_one_demo"), 5);
    // Six posts link to …/podesta-1 (tokenised, its path gives "podesta"); one article names Podesta.
    assert_eq!(total(&dir, "podest*"), 7);
    assert_eq!(total(&dir, "wikileeks~1"), 6);
    // Kinds, dates, sorting.
    assert_eq!(search(&dir, "wikileaks", &["--kind", "article"])["total"].as_u64(), Some(2));
    assert_eq!(
        search(&dir, "wikileaks", &["--after", "2016-10-08", "--before", "2016-10-08 10:00 EDT"])["total"].as_u64(),
        Some(2)
    );
    let by_time = search(&dir, "wikileaks", &["--sort", "time", "--kind", "post"]);
    let times: Vec<&str> = by_time["hits"].as_array().unwrap().iter().map(|h| h["time"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    // Facets.
    let f = search(&dir, "wikileaks", &["--facets"]);
    let facets = &f["facets"];
    assert_eq!(facets["kind"], serde_json::json!([["post", 4], ["article", 2]]));
    assert_eq!(facets["label:account_category"], serde_json::json!([["RightTroll", 4]]));
}

#[test]
fn unknown_fields_are_errors() {
    let (_tmp, dir) = case();
    let err = fails(lt(&[&"search", &dir, &"colour:red"]));
    assert!(err.contains("unknown field \"colour\"") && err.contains("hashtag"), "{err}");
    let err = fails(lt(&[&"search", &dir, &"https://example.org/podesta-1"]));
    assert!(err.contains("url:\""), "{err}");
    assert!(fails(lt(&[&"search", &dir, &"wikileaks", &"--kind", &"tweet"])).contains("--kind"));
    assert!(ok(lt(&[&"search", &dir, &"--fields"])).contains("label"));
}

#[test]
fn reindex_gives_the_same_results_and_text_output_marks_hits() {
    let (_tmp, dir) = case();
    let before = search(&dir, "wikileaks", &["--sort", "time"]);
    ok(lt(&[&"search", &dir, &"--reindex"]));
    let after = search(&dir, "wikileaks", &["--sort", "time"]);
    assert_eq!(before["hits"], after["hits"]);
    let text = ok(lt(&[&"search", &dir, &"hashtag:podestaemails"]));
    assert!(text.starts_with("2 hits"), "{text}");
    assert!(
        text.contains("#**PodestaEmails**") || text.contains("**PodestaEmails**") || text.contains("post "),
        "{text}"
    );
}

#[test]
fn emails_by_sender_recipient_subject_and_kind() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("case");
    ok(lt(&[&"case", &"init", &dir]));
    ok(lt(&[&"ingest", &dir, &fixture("mail/generated/mboxo.mbox"), &fixture("timeline/posts.csv"), &"--quiet"]));
    assert_eq!(total(&dir, "from:ann@leaktrace.test"), 3);
    assert_eq!(total(&dir, "to:bob@example.org"), 3);
    // Words of names and addresses match too, whole words only.
    assert_eq!(total(&dir, "from:ann"), 3);
    assert_eq!(total(&dir, "from:example"), 3);
    assert_eq!(total(&dir, "to:bob"), 3);
    assert_eq!(total(&dir, "from:an"), 0);
    assert_eq!(total(&dir, "from:bob"), 0);
    assert_eq!(total(&dir, "sender_domain:leaktrace.test"), 3);
    assert_eq!(search(&dir, "101", &["--from", "ann@leaktrace.test"])["total"], 1);
    assert_eq!(search(&dir, "", &["--from", "leaktrace.test"])["total"], 3);
    assert_eq!(search(&dir, "", &["--from", "nobody@example.org"])["total"], 0);
    assert_eq!(search(&dir, "", &["--from", "Ann"])["total"], 3);
    let v = search(&dir, "subject:\"message 101\"", &[]);
    assert_eq!(v["total"], 1);
    assert_eq!(
        (v["hits"][0]["kind"].as_str(), v["hits"][0]["from"].as_str()),
        (Some("email"), Some("Ann Example <ann@leaktrace.test>"))
    );
    assert_eq!(v["hits"][0]["snippet"], "Test message 101");
    assert_eq!(search(&dir, "*", &["--kind", "email"])["total"], 3);
    assert_eq!(search(&dir, "*", &["--kind", "post,email"])["total"], 16);
    // Verdicts come from `leaktrace verify`; none has run.
    assert_eq!(total(&dir, "dkim:verified"), 0);
    assert!(fails(lt(&[&"search", &dir, &"dkim:maybe"])).contains("verified, unverified, unsigned"));
    let t: serde_json::Value =
        serde_json::from_str(&ok(lt(&[&"timeline", &dir, &"--json", &"--no-store", &"--no-posts"]))).unwrap();
    assert_eq!(t["events"].as_array().unwrap().iter().filter(|e| e["kind"] == "email").count(), 3);
}

#[test]
fn attachment_text_is_searchable_and_threads_join_across_mailboxes() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    std::fs::write(
        a.join("1.eml"),
        "From: ann@example.org\r\nTo: bob@example.org\r\nSubject: Ledger\r\nDate: Fri, 07 Oct 2016 10:00:00 +0000\r\n\
Message-ID: <first@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
--b\r\nContent-Type: text/plain\r\n\r\nSee the attached notes.\r\n\
--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"notes.txt\"\r\n\r\n\
reconciliation of the offshore ledger\r\n--b--\r\n",
    )
    .unwrap();
    std::fs::write(
        b.join("2.eml"),
        "From: bob@example.org\r\nTo: ann@example.org\r\nSubject: Re: Ledger\r\nDate: Fri, 07 Oct 2016 11:00:00 +0000\r\n\
Message-ID: <second@example.org>\r\nIn-Reply-To: <first@example.org>\r\n\r\nThanks.\r\n",
    )
    .unwrap();
    let dir = tmp.path().join("case");
    ok(lt(&[&"case", &"init", &dir]));
    // Two mailboxes in one ingest.
    ok(lt(&[&"ingest", &dir, &a, &b, &"--quiet"]));
    assert_eq!(total(&dir, "reconciliation"), 1, "a word only in the attachment");
    assert_eq!(total(&dir, "attachment:offshore"), 1);
    assert_eq!(total(&dir, "attachment:notes.txt"), 1, "the attachment's name");
    assert_eq!(total(&dir, "attached"), 1, "the body");
    let case = leaktrace_store::Case::open(&dir).unwrap();
    let threads: Vec<Option<String>> = case.messages().unwrap().into_iter().map(|m| m.thread_id).collect();
    assert_eq!(threads.len(), 2);
    assert!(threads[0].is_some() && threads[0] == threads[1], "the reply in the other mailbox joins: {threads:?}");
}
