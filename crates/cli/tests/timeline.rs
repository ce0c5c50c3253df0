//! End-to-end tests of `leaktrace first`, `leadlag` and `timeline` through
//! the real binary, on the hand-made fixtures of `testdata/timeline/` and
//! `testdata/articles/` (expected values in their READMEs).

use std::path::PathBuf;
use std::process::Output;

mod common;

use common::{fails, lt, ok, testdata};

fn fixture(rel: &str) -> PathBuf {
    testdata(rel)
}

fn json(out: Output) -> serde_json::Value {
    serde_json::from_str(&ok(out)).unwrap()
}

fn timeline_case() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("case");
    ok(lt(&[&"case", &"init", &dir]));
    ok(lt(&[
        &"ingest",
        &dir,
        &fixture("timeline/posts.csv"),
        &"--accounts",
        &fixture("timeline/authors.csv"),
        &"--quiet",
    ]));
    (tmp, dir)
}

#[test]
fn first_reports_the_tie_in_order_and_stores_the_run() {
    let (_tmp, dir) = timeline_case();
    let v = json(lt(&[&"first", &dir, &"https://EXAMPLE.org/podesta-1?utm_source=x", &"--json"]));
    assert_eq!(v["object"], serde_json::json!({"type": "url", "value": "https://example.org/podesta-1"}));
    assert_eq!((v["posts"].as_u64(), v["accounts"].as_u64(), v["tie"].as_bool()), (Some(6), Some(5), Some(true)));
    let first: Vec<&str> = v["first"].as_array().unwrap().iter().map(|a| a["account"].as_str().unwrap()).collect();
    assert_eq!(first, ["f_one_demo", "leader_demo"]);
    let order: Vec<(u64, &str, i64)> = v["order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (e["rank"].as_u64().unwrap(), e["account"].as_str().unwrap(), e["delay_ms"].as_i64().unwrap() / 60_000)
        })
        .collect();
    assert_eq!(
        order,
        [
            (1, "f_one_demo", 0),
            (1, "leader_demo", 0),
            (3, "f_two_demo", 3),
            (4, "f_three_demo", 15),
            (5, "other_demo", 18)
        ]
    );
    let run = v["run"].as_i64().unwrap();
    let stored = dir.join(format!("analyses/first/{run}"));
    assert!(
        stored.join("params.json").is_file()
            && stored.join("result.json").is_file()
            && stored.join("result.csv").is_file()
    );
    let csv = ok(lt(&[&"first", &dir, &"https://example.org/podesta-1", &"--csv", &"--no-store"]));
    assert!(csv.lines().nth(1).unwrap().starts_with("1,f_one_demo,f_one_demo,2016-10-07T20:32:00Z,0,"), "{csv}");
    let text = ok(lt(&[&"first", &dir, &"#WikiLeaks", &"--no-store"]));
    assert!(text.contains("#wikileaks: 4 posts by 4 accounts"), "{text}");
    assert!(fails(lt(&[&"first", &dir, &"repost:abc"])).contains("numeric post id"));
}

#[test]
fn leadlag_of_accounts_and_of_a_label() {
    let (_tmp, dir) = timeline_case();
    let v = json(lt(&[
        &"leadlag",
        &dir,
        &"--leader",
        &"leader_demo",
        &"--followers",
        &"f_one_demo,f_two_demo,f_three_demo",
        &"--json",
    ]));
    let d = &v["delays"];
    assert_eq!(
        (d["n"].as_u64(), d["median"].as_f64(), d["q1"].as_f64(), d["q3"].as_f64()),
        (Some(9), Some(180_000.0), Some(60_000.0), Some(600_000.0))
    );
    assert_eq!((v["before"].as_u64(), v["same_time"].as_u64(), v["after"].as_u64()), (Some(1), Some(1), Some(7)));
    let p = v["test"]["p_value"].as_f64().unwrap();
    // The label includes the leader itself, which is never its own follower.
    let by_label = json(lt(&[
        &"leadlag",
        &dir,
        &"--leader",
        &"leader_demo",
        &"--followers",
        &"account_category=RightTroll",
        &"--json",
        &"--no-store",
    ]));
    assert_eq!(by_label["delays"], v["delays"]);
    assert_eq!(by_label["test"]["p_value"].as_f64().unwrap(), p);
    let run = v["run"].as_i64().unwrap();
    let params: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("analyses/leadlag/{run}/params.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(params["params"]["seed"], 1);
    assert_eq!(params["params"]["permutations"], 999);
    let text = ok(lt(&[
        &"leadlag",
        &dir,
        &"--leader",
        &"leader_demo",
        &"--followers",
        &"f_one_demo,f_two_demo,f_three_demo",
        &"--no-store",
    ]));
    assert!(text.contains("Delays (n = 9): median 3 min, quartiles 1 min – 10 min"), "{text}");
    assert!(
        fails(lt(&[&"leadlag", &dir, &"--leader", &"x", &"--followers", &"account_category=Nobody"]))
            .contains("no account in the case has label")
    );
}

#[test]
fn leadlag_behind_declared_events_in_local_time() {
    let (_tmp, dir) = timeline_case();
    let events = format!("events:{}", fixture("timeline/events.csv").display());
    let v = json(lt(&[
        &"leadlag",
        &dir,
        &"--leader",
        &events,
        &"--followers",
        &"f_one_demo,f_two_demo,f_three_demo",
        &"--json",
        &"--no-store",
    ]));
    assert_eq!((v["delays"]["n"].as_u64(), v["delays"]["median"].as_f64()), (Some(6), Some(390_000.0)));
    let zero = v["pairs"].as_array().unwrap().iter().find(|p| p["delay_ms"] == 0).unwrap();
    assert_eq!(
        (zero["leader_ref"].as_str(), zero["leader_time_ms"].as_i64()),
        (Some("Podesta emails part 1"), Some(1_475_872_320_000))
    );
}

#[test]
fn timeline_merges_posts_articles_claims_and_declared_events() {
    let (_tmp, dir) = timeline_case();
    ok(lt(&[&"ingest", &dir, &fixture("articles/leaks-timeline.txt"), &fixture("articles/podesta-release.html")]));
    let v = json(lt(&[&"timeline", &dir, &"--events", &fixture("timeline/events.csv"), &"--json"]));
    let ev = v["events"].as_array().unwrap();
    let kinds = |k: &str| ev.iter().filter(|e| e["kind"] == k).count();
    assert_eq!((kinds("post"), kinds("declared"), kinds("article")), (13, 3, 2));
    // The HTML article dated 2016-10-08 says "on Friday, at about 4:32 p.m. ET".
    let friday =
        ev.iter().find(|e| e["claim"] == true && e["reference"].as_str().unwrap().starts_with("4:32 p.m. ET")).unwrap();
    assert_eq!(friday["time_ms"].as_i64(), Some(1_475_872_320_000));
    // The declared release at 16:32 ET sorts with the posts of 20:32 UTC.
    let i = ev.iter().position(|e| e["kind"] == "declared").unwrap();
    assert_eq!(ev[i]["time_ms"], friday["time_ms"]);
    assert_eq!(ev[i]["provenance"]["line"], 3);
    let unresolved: Vec<&str> =
        v["unresolved_claims"].as_array().unwrap().iter().map(|c| c["expression"].as_str().unwrap()).collect();
    assert_eq!(unresolved, ["Two days before the vote", "15 minutes later"]);
    let claims: Vec<&str> =
        ev.iter().filter(|e| e["claim"] == true).map(|e| e["reference"].as_str().unwrap()).collect();
    assert!(claims.contains(&"15 minutes later [2016-11-10 12:30 ET]"), "{claims:?}");
    assert!(claims.contains(&"October 7th [2016-10-07]"), "{claims:?}");
    // Filters: an account, a window, a query.
    let v = json(lt(&[&"timeline", &dir, &"--account", &"f_one_demo", &"--json", &"--no-store"]));
    assert_eq!(v["events"].as_array().unwrap().len(), 3);
    let v = json(lt(&[
        &"timeline",
        &dir,
        &"--from",
        &"2016-10-07 20:00 ET",
        &"--to",
        &"2016-10-09",
        &"--json",
        &"--no-store",
        &"--no-posts",
    ]));
    assert_eq!(
        v["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect::<Vec<_>>(),
        ["article"]
    );
    let v = json(lt(&[
        &"timeline",
        &dir,
        &"--query",
        &"hashtag:wikileaks",
        &"--json",
        &"--no-store",
        &"--bursts",
        &"--bucket",
        &"1h",
    ]));
    assert_eq!(v["events"].as_array().unwrap().iter().filter(|e| e["kind"] == "post").count(), 4);
    assert!(v["bursts"].is_array());
    let text = ok(lt(&[&"timeline", &dir, &"--no-store", &"--limit", &"5"]));
    assert!(text.contains("CLAIM") || text.contains("… "), "{text}");
    assert!(fails(lt(&[&"timeline", &dir, &"--events", &fixture("timeline/README.md")])).contains("README.md: line "));
}

/// `first`, `leadlag` and `timeline --query/--account` read only the posts
/// the search index finds; their answers must be those of reading every
/// post (the index moved away).
#[test]
fn answers_through_the_index_are_those_of_every_post() {
    let (tmp, dir) = timeline_case();
    let events = format!("events:{}", fixture("timeline/events.csv").display());
    let commands: Vec<Vec<String>> = [
        vec!["first", "https://example.org/podesta-1"],
        vec!["first", "#podestaemails"],
        vec!["first", "domain:example.org"],
        vec!["first", "word:part"],
        vec!["first", "text:look at this"],
        vec!["leadlag", "--leader", "leader_demo", "--followers", "f_one_demo,f_two_demo,f_three_demo"],
        vec![
            "leadlag",
            "--leader",
            "leader_demo",
            "--followers",
            "account_category=RightTroll",
            "--objects",
            "url,hashtag,domain,word",
        ],
        vec!["leadlag", "--leader", events.as_str()],
        vec!["timeline", "--query", "hashtag:wikileaks", "--bursts", "--bucket", "1h"],
        vec!["timeline", "--account", "f_one_demo,f_two_demo"],
        // Declared events with a follower set: the account's name is read too.
        vec!["leadlag", "--leader", events.as_str(), "--followers", "account_category=RightTroll"],
    ]
    .iter()
    .map(|c| c.iter().map(|s| s.to_string()).collect())
    .collect();
    let run = |c: &Vec<String>| {
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&c[0], &dir];
        for a in &c[1..] {
            args.push(a);
        }
        args.push(&"--json");
        args.push(&"--no-store");
        let out = lt(&args);
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        (json(out), stderr)
    };
    let indexed: Vec<(serde_json::Value, String)> = commands.iter().map(run).collect();
    for (c, (_, err)) in commands.iter().zip(&indexed) {
        assert!(!err.contains("every post is read"), "{c:?} read every post: {err}");
    }
    let aside = tmp.path().join("index-aside");
    std::fs::rename(dir.join("index"), &aside).unwrap();
    for (c, (want, _)) in commands.iter().zip(&indexed) {
        if c[0] == "timeline" {
            continue; // --query needs the index (it rebuilds it); checked below
        }
        let (got, err) = run(c);
        assert!(err.contains("every post is read"), "{c:?}: {err}");
        assert_eq!(&got, want, "{c:?}");
    }
    // Without --query, the account timeline reads every post without an index.
    std::fs::remove_dir_all(dir.join("index")).ok();
    let (got, _) = run(&commands[9]);
    assert_eq!(got, indexed[9].0);
    std::fs::remove_dir_all(dir.join("index")).ok();
    std::fs::rename(&aside, dir.join("index")).unwrap();
    // The amplification table: every account follows by default.
    let amp = &indexed[7].0["amplification"];
    let rows = amp.as_array().unwrap();
    let batch2 = rows.iter().find(|r| r["event"] == "Batch 2").unwrap();
    assert_eq!(batch2["object"], serde_json::json!({"type": "hashtag", "value": "wikileaks"}));
    let part1 = rows.iter().find(|r| r["event"] == "Podesta emails part 1").unwrap();
    // leader_demo and f_one_demo at 20:32 (delay 0), f_two_demo 3 min, f_three_demo 15, other_demo 18.
    assert_eq!(part1["followers"], 5, "{part1}");
    assert_eq!(part1["delays"]["min"], 0);
    assert!(part1["test"]["p_value"].as_f64().is_some());
    let text = ok(lt(&[&"leadlag", &dir, &"--leader", &events, &"--no-store"]));
    assert!(text.contains("Amplification of the declared events"), "{text}");
    assert!(text.contains("(no clustering run in the case"), "{text}");
    let err = fails(lt(&[&"leadlag", &dir, &"--leader", &"leader_demo"]));
    assert!(err.contains("all is for --leader events:FILE"), "{err}");
}
