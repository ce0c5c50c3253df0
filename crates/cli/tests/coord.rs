//! End-to-end tests of `leaktrace coord`, `clusters` and `export` through the
//! real binary: exact parity with the QUT toolkit's committed edge lists,
//! bad input refused before any work, stored runs, every export format.

use std::path::PathBuf;

mod common;

use common::{fails, lt, ok, testdata};

fn fixture(rel: &str) -> PathBuf {
    testdata(&format!("coord/{rel}"))
}

/// A case holding the IRA excerpt (QUT CSV form).
fn excerpt_case() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("case");
    ok(lt(&[&"case", &"init", &dir]));
    ok(lt(&[&"ingest", &dir, &fixture("ira-excerpt.qut.csv"), &"--quiet"]));
    (tmp, dir)
}

#[test]
fn qut_compat_reproduces_the_toolkit_edge_lists_byte_for_byte() {
    let (tmp, dir) = excerpt_case();
    let mut compared = 0;
    for (ours, theirs) in [
        ("co-retweet", "co_retweet"),
        ("co-tweet", "co_tweet"),
        ("co-link", "co_link"),
        ("co-similar-text", "co_similar_tweet"),
    ] {
        for w in ["59", "60", "600"] {
            let out = tmp.path().join(format!("{theirs}-{w}.csv"));
            ok(lt(&[
                &"coord",
                &dir,
                &"--network",
                &ours,
                &"--window",
                &w,
                &"--compat",
                &"qut",
                &"--out",
                &out,
                &"--no-store",
            ]));
            let want = std::fs::read(fixture(&format!("qut-1.5.2/{theirs}-w{w}.csv"))).unwrap();
            let got = std::fs::read(&out).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&want),
                "{ours} at {w} s differs from the toolkit's edge list"
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 12);
    // The boundary matters: 59 s and 60 s give different networks (whole-minute times).
    let a = std::fs::read(fixture("qut-1.5.2/co_link-w59.csv")).unwrap();
    let b = std::fs::read(fixture("qut-1.5.2/co_link-w60.csv")).unwrap();
    assert_ne!(a, b);
}

#[test]
fn export_qut_round_trips_the_excerpt() {
    let (tmp, dir) = excerpt_case();
    let out = tmp.path().join("again.csv");
    ok(lt(&[&"export", &dir, &"--format", &"qut", &"--out", &out]));
    let want = std::fs::read_to_string(fixture("ira-excerpt.qut.csv")).unwrap();
    let got = std::fs::read_to_string(&out).unwrap();
    assert_eq!(got, want);
}

#[test]
fn bad_input_is_refused_before_any_work() {
    let (tmp, dir) = excerpt_case();
    let cases: [(&[&str], &str); 7] = [
        (&["--network", "co-retweets", "--window", "60"], "unknown network \"co-retweets\""),
        (&["--network", "co-retweet", "--window", "0"], "window must be positive"),
        (&["--network", "co-retweet", "--window", "-5m"], "window must be positive"),
        (&["--network", "co-retweet", "--window", "soon"], "is not a duration"),
        (
            &["--network", "co-similar-text", "--window", "60", "--similarity", "1.5"],
            "similarity threshold must be in (0, 1]",
        ),
        (
            &["--network", "co-similar-text", "--window", "60", "--similarity", "0"],
            "similarity threshold must be in (0, 1]",
        ),
        (&["--network", "sync", "--window", "60", "--compat", "qut"], "no toolkit equivalent"),
    ];
    for (args, msg) in cases {
        let mut all: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"coord", &dir];
        for a in args {
            all.push(a);
        }
        let err = fails(lt(&all));
        assert!(err.contains(msg), "{args:?}: {err}");
    }
    assert!(!dir.join("analyses").exists(), "a refused run stored something");
    let empty = tmp.path().join("empty");
    ok(lt(&[&"case", &"init", &empty]));
    let err = fails(lt(&[&"coord", &empty, &"--network", &"co-retweet", &"--window", &"60"]));
    assert!(err.contains("the case has no posts"), "{err}");
    let err = fails(lt(&[&"coord", &tmp.path().join("nope"), &"--network", &"co-retweet", &"--window", &"60"]));
    assert!(err.contains("not a leaktrace case"), "{err}");
}

#[test]
fn runs_are_stored_with_params_and_evidence_and_every_export_opens() {
    let (tmp, dir) = excerpt_case();
    let json = ok(lt(&[
        &"coord",
        &dir,
        &"--network",
        &"co-retweet,co-link,co-tweet,co-hashtag,sync",
        &"--window",
        &"10m",
        &"--json",
    ]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["run"], 1);
    let run = dir.join(v["output"].as_str().unwrap());
    for f in ["edges.parquet", "evidence.parquet", "params.json"] {
        assert!(run.join(f).is_file(), "{f} missing");
    }
    let params: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("params.json")).unwrap()).unwrap();
    assert_eq!(params["window_s"], 600.0);
    assert_eq!(params["networks"][0], "co-retweet");
    let nets = v["networks"].as_array().unwrap();
    assert!(nets.iter().any(|n| n["network"] == "co-retweet" && n["edges"].as_u64().unwrap() > 0), "{v}");
    for n in nets {
        // Every kept edge has evidence behind it.
        assert_eq!(n["edges"].as_u64().unwrap() > 0, n["evidence"].as_u64().unwrap() > 0, "{n}");
    }
    for ext in ["csv", "gexf", "graphml", "json", "parquet"] {
        let out = tmp.path().join(format!("net.{ext}"));
        ok(lt(&[&"coord", &dir, &"--network", &"co-retweet", &"--window", &"10m", &"--out", &out, &"--no-store"]));
        let bytes = std::fs::read(&out).unwrap();
        assert!(bytes.len() > 50, "{ext} too small");
        let text = String::from_utf8_lossy(&bytes);
        match ext {
            "csv" => {
                assert!(text.starts_with("network,source,target,weight,events,p_value,q_value,symmetry,fast_weight\n"))
            }
            "gexf" => assert!(text.contains(r#"<gexf xmlns="http://gexf.net/1.3""#) && text.contains("weight=\"")),
            "graphml" => assert!(text.contains("<graphml") && text.contains(r#"<data key="weight">"#)),
            "json" => assert!(serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()["edges"].is_array()),
            _ => assert_eq!(&bytes[..4], b"PAR1"),
        }
    }
    // Clusters from the stored run, with its parameters.
    let out = tmp.path().join("clusters.gexf");
    let text = ok(lt(&[&"clusters", &dir, &"--run", &"1", &"--out", &out]));
    assert!(text.contains("clusters of 2+ accounts"), "{text}");
    assert!(std::fs::read_to_string(&out).unwrap().contains(r#"title="cluster""#));
    assert!(dir.join("analyses/clusters/2/clusters.json").is_file());
    let err = fails(lt(&[&"clusters", &dir, &"--run", &"7"]));
    assert!(err.contains("no coord run #7"), "{err}");
}

/// A case of real IRA rows (2016-10-05 to 2016-10-08) with 20 planted
/// accounts that, in 40 bursts over four days, retweet the same new post
/// (75% of them per burst) and share the same link with near-duplicate
/// texts (60% per burst).
fn planted_case() -> (tempfile::TempDir, PathBuf, Vec<String>) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("case");
    ok(lt(&[&"case", &"init", &dir]));
    ok(lt(&[&"ingest", &dir, &fixture("ira-2016-10-05_08.qut.csv.gz"), &"--quiet"]));
    // Deterministic pseudo-random numbers (64-bit LCG).
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut rnd = |n: u64| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let planted: Vec<String> = (0..20).map(|i| format!("zz_plant_{i:02}")).collect();
    let words = ["today", "now", "urgent", "please", "everyone", "friends", "folks", "truth"];
    let mut csv = String::from("message_id,user_id,username,repost_id,reply_id,message,timestamp,urls\n");
    let mut id = 8_000_000_000_000_000_000i64;
    let start = 1_475_625_600i64;
    for burst in 0..40i64 {
        let t = start + burst * 8_400 + rnd(600) as i64;
        let target = 7_000_000_000_000_000_000i64 + burst;
        for a in &planted {
            if rnd(100) < 75 {
                id += 1;
                let dt = rnd(240) as i64;
                csv.push_str(&format!("{id},{a},{a},{target},,RT @source_demo: story {burst},{},\n", t + dt));
            }
            if rnd(100) < 60 {
                id += 1;
                let dt = rnd(300) as i64;
                let text = format!(
                    "the leaked files in story number {burst} show what they hid from voters read and share {}",
                    words[rnd(words.len() as u64) as usize]
                );
                csv.push_str(&format!("{id},{a},{a},,,{text},{},https://campaign.example/story-{burst}\n", t + dt));
            }
        }
    }
    let plant_file = tmp.path().join("planted.csv");
    std::fs::write(&plant_file, csv).unwrap();
    ok(lt(&[&"ingest", &dir, &plant_file, &"--format", &"qut", &"--quiet"]));
    (tmp, dir, planted)
}

/// A coordinated group planted into real IRA background data (2016-10-05 to
/// 2016-10-08) must come out as one cluster at the default settings.
#[test]
fn planted_campaign_is_recovered_as_one_cluster() {
    let (_tmp, dir, planted) = planted_case();
    let out = ok(lt(&[
        &"clusters",
        &dir,
        &"--network",
        &"co-retweet,co-tweet,co-link,co-similar-text",
        &"--window",
        &"10m",
        &"--json",
        &"--no-store",
    ]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let clusters = v["clusters"].as_array().unwrap();
    let is_planted = |a: &serde_json::Value| a.as_str().unwrap().starts_with("zz_plant_");
    let best = clusters
        .iter()
        .max_by_key(|c| c["accounts"].as_array().unwrap().iter().filter(|a| is_planted(a)).count())
        .expect("some cluster");
    let members = best["accounts"].as_array().unwrap();
    let hit = members.iter().filter(|a| is_planted(a)).count() as f64;
    let precision = hit / members.len() as f64;
    let recall = hit / planted.len() as f64;
    assert!(precision >= 0.95 && recall >= 0.95, "precision {precision}, recall {recall}: {best}");
    // The IRA background still forms clusters of its own.
    assert!(clusters.len() > 1, "{v}");
    // What the planted cluster is about, against the rest of the case.
    let profile = &best["profile"];
    let terms: Vec<(&str, &str)> = profile["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["kind"].as_str().unwrap(), t["term"].as_str().unwrap()))
        .collect();
    assert!(terms.contains(&("domain", "campaign.example")), "{terms:?}");
    assert!(terms.contains(&("word", "voters")), "{terms:?}");
    assert_eq!(profile["hours"].as_array().unwrap().len(), 24);
    assert!(profile["first_post_ms"].as_i64().unwrap() >= 1_475_625_600_000, "{profile}");
}

/// Edges from a CSV export: (source, target) → (weight, p, q).
fn edges_csv(path: &std::path::Path) -> Vec<(String, String, u64, f64, f64)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| head.iter().position(|h| *h == name).unwrap_or_else(|| panic!("no {name} in {head:?}"));
    let (s, t, w, p, q) = (col("source"), col("target"), col("weight"), col("p_value"), col("q_value"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[s].into(), f[t].into(), f[w].parse().unwrap(), f[p].parse().unwrap(), f[q].parse().unwrap())
        })
        .collect()
}

/// `--significance`: planted edges survive, chance edges of the IRA
/// background mostly do not; p-values are in the CSV and the stored run.
#[test]
fn significance_keeps_the_planted_campaign_and_drops_chance_edges() {
    let (tmp, dir, _planted) = planted_case();
    let plain = tmp.path().join("plain.csv");
    ok(lt(&[&"coord", &dir, &"--network", &"co-retweet", &"--window", &"10m", &"--out", &plain, &"--no-store"]));
    let text = std::fs::read_to_string(&plain).unwrap();
    let plain_n = text.lines().count() - 1;
    // The command scripts call, exactly.
    let tested = tmp.path().join("tested.csv");
    let out = ok(lt(&[
        &"coord",
        &dir,
        &"--network",
        &"co-retweet",
        &"--window",
        &"60",
        &"--significance",
        &"0.01",
        &"--out",
        &tested,
    ]));
    assert!(out.contains("significant at q <= 0.01 (swap null, 1,000 randomisations"), "{out}");
    for (_, _, _, p, q) in edges_csv(&tested) {
        assert!(p > 0.0 && p <= 1.0 && q <= 0.01 && q >= p, "p {p} q {q}");
    }
    let flagged = tmp.path().join("flagged.csv");
    ok(lt(&[
        &"coord",
        &dir,
        &"--network",
        &"co-retweet",
        &"--window",
        &"10m",
        &"--significance",
        &"0.01",
        &"--flag",
        &"--out",
        &flagged,
        &"--no-store",
    ]));
    let all = edges_csv(&flagged);
    assert_eq!(all.len(), plain_n, "--flag keeps every edge");
    let planted = |e: &(String, String, u64, f64, f64)| e.0.starts_with("zz_plant_") && e.1.starts_with("zz_plant_");
    let (ours, chance): (Vec<_>, Vec<_>) = all.iter().partition(|e| planted(e));
    assert!(ours.len() >= 150, "{} planted edges", ours.len());
    let kept = |v: &[&(String, String, u64, f64, f64)]| v.iter().filter(|e| e.4 <= 0.01).count();
    // Pairs that share 20+ bursts: never reached in 1,000 randomisations.
    assert!(ours.iter().filter(|e| e.2 >= 20).all(|e| e.3 <= 0.002), "{ours:?}");
    assert!(kept(&ours) * 10 >= ours.len() * 9, "{} of {} planted edges kept", kept(&ours), ours.len());
    // The background is itself a troll farm, much of whose co-retweeting is
    // coordinated too; but edges that the accounts' activity explains go
    // (hyperactive accounts meeting on popular posts: p 0.5 to 1 here).
    let dropped: Vec<_> = chance.iter().filter(|e| e.4 > 0.01).collect();
    assert!(dropped.len() >= 5, "{} of {} background edges dropped", dropped.len(), chance.len());
    assert!(dropped.iter().filter(|e| e.3 >= 0.5).count() >= 3, "{dropped:?}");
    // Stored with the run: params and p-values.
    let v: serde_json::Value = serde_json::from_str(&ok(lt(&[
        &"coord",
        &dir,
        &"--network",
        &"co-retweet",
        &"--window",
        &"10m",
        &"--significance",
        &"0.01",
        &"--null",
        &"shift",
        &"--randomisations",
        &"200",
        &"--json",
    ])))
    .unwrap();
    let run = dir.join(v["output"].as_str().unwrap());
    let params: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("params.json")).unwrap()).unwrap();
    assert_eq!(params["significance"]["null"], "shift");
    assert_eq!(params["significance"]["randomisations"], 200);
    assert!(v["networks"][0]["significance"]["tested"].as_u64().unwrap() > 0, "{v}");
    // Refused before any work.
    for (args, msg) in [
        (
            vec!["--network", "co-similar-text", "--window", "60", "--significance", "0.01"],
            "co-similar-text has no shared object",
        ),
        (vec!["--network", "sync", "--window", "60", "--significance", "0.01"], "its own test against chance"),
        (
            vec!["--network", "co-retweet", "--window", "60", "--significance", "1.5"],
            "--significance must be in (0, 1]",
        ),
        (
            vec!["--network", "co-retweet", "--window", "60", "--significance", "0.01", "--null", "flip"],
            "unknown --null",
        ),
        (vec!["--network", "co-retweet", "--window", "60", "--null", "shift"], "--null is for --significance"),
        (
            vec!["--network", "co-retweet", "--window", "60", "--significance", "0.01", "--engine", "spark"],
            "drop --engine spark",
        ),
        (vec!["--network", "co-retweet", "--window", "60", "--fast-window", "60"], "must be narrower than the window"),
        (vec!["--network", "co-retweet", "--window", "auto", "--rapid-q", "1.5"], "q must be in (0, 1)"),
        (
            vec!["--network", "co-retweet", "--window", "60", "--rapid-q", "0.2"],
            "--rapid-q and --rapid-p are for --window auto",
        ),
        (vec!["--network", "sync", "--window", "auto"], "--window auto estimates the window from the objects"),
    ] {
        let mut all: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"coord", &dir, &"--no-store"];
        for a in &args {
            all.push(a);
        }
        let err = fails(lt(&all));
        assert!(err.contains(msg), "{args:?}: {err}");
    }
}

/// `--window auto` prints and stores its estimate; `--fast-window` adds the
/// fast weights; clusters keep their profile through `--run`.
#[test]
fn window_auto_and_fast_window_are_stored_with_the_run() {
    let (tmp, dir) = excerpt_case();
    let v: serde_json::Value = serde_json::from_str(&ok(lt(&[
        &"coord",
        &dir,
        &"--network",
        &"co-retweet,co-link",
        &"--window",
        &"auto",
        &"--fast-window",
        &"1s",
        &"--min-weight",
        &"1",
        &"--json",
    ])))
    .unwrap();
    let est = v["window_auto"]["estimate_ms"].as_i64().unwrap();
    assert!(est >= 60_000 && est % 60_000 == 0, "whole-minute data gives whole minutes: {v}");
    let run = dir.join(v["output"].as_str().unwrap());
    let params: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("params.json")).unwrap()).unwrap();
    assert_eq!(params["window_ms"], est);
    assert_eq!((params["window_auto"]["q"].as_f64(), params["window_auto"]["p"].as_f64()), (Some(0.1), Some(0.5)));
    assert!(v["networks"][0]["fast_edges"].as_u64().is_some(), "{v}");
    let text = ok(lt(&[&"coord", &dir, &"--network", &"co-retweet", &"--window", &"auto", &"--no-store"]));
    assert!(text.contains("window estimated from the data:"), "{text}");
    let out = tmp.path().join("e.csv");
    ok(lt(&[
        &"coord",
        &dir,
        &"--network",
        &"co-retweet",
        &"--window",
        &"10m",
        &"--fast-window",
        &"60",
        &"--out",
        &out,
        &"--no-store",
    ]));
    let csv = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert!(!rows.is_empty());
    for r in &rows {
        let (w, sym, fast): (u64, f64, u64) = (r[3].parse().unwrap(), r[7].parse().unwrap(), r[8].parse().unwrap());
        assert!(fast <= w && sym > 0.0 && sym <= 1.0, "{r:?}");
    }
    // The same run's clusters, recomputed from the stored parameters.
    let text = ok(lt(&[&"clusters", &dir, &"--run", &"1", &"--no-store"]));
    assert!(text.contains(&format!("window estimated from the data: {} s", est / 1000)), "{text}");
}

#[test]
fn the_coordination_cache_gives_the_same_edges_and_follows_new_sources() {
    let (tmp, dir) = excerpt_case();
    // With evidence (texts read) and without (a warm run reads only the cache).
    let run_with = |name: &str, evidence: bool| {
        let out = tmp.path().join(name);
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![
            &"coord",
            &dir,
            &"--network",
            &"co-retweet,co-tweet,co-similar-text,co-link,co-hashtag",
            &"--window",
            &"600",
            &"--min-weight",
            &"1",
            &"--out",
            &out,
            &"--no-store",
        ];
        if !evidence {
            args.push(&"--no-evidence");
        }
        ok(lt(&args));
        std::fs::read(&out).unwrap()
    };
    let run = |name: &str| run_with(name, true);
    let cache = dir.join("cache/coord");
    assert!(!cache.exists(), "no cache before the first run");
    let cold = run("cold.csv");
    for group in ["base", "urls", "hashtags", "tweet_keys.own", "tokens.own"] {
        assert!(cache.join(group).is_file(), "{group} cached");
    }
    assert!(!cache.join("mentions").exists(), "only the groups a run read are cached");
    assert!(!cache.join("tweet_keys.toolkit").exists(), "only the form a run used is cached");
    assert!(!cache.join("text").exists(), "texts are read from the posts tables");
    let csv = String::from_utf8_lossy(&cold).to_string();
    for net in ["co-retweet", "co-tweet", "co-similar-text", "co-link"] {
        assert!(csv.lines().any(|l| l.starts_with(&format!("{net},"))), "no {net} edge in {csv}");
    }
    assert_eq!(run("warm.csv"), cold, "edges from the cache differ from those of the posts tables");
    let bare = run_with("bare.csv", false);
    assert_eq!(run_with("bare-warm.csv", false), bare, "a run without evidence differs from the cache");
    // A damaged file is rebuilt, never trusted.
    for group in ["base", "tokens.own", "tweet_keys.own"] {
        std::fs::write(cache.join(group), b"LTCOORD\x01garbage").unwrap();
        assert_eq!(run("damaged.csv"), cold, "after damage to {group}");
        assert!(std::fs::metadata(cache.join(group)).unwrap().len() > 1000, "{group} rebuilt");
    }
    // Derived columns missing from a cache that has the rest are added.
    std::fs::remove_file(cache.join("tokens.own")).unwrap();
    assert_eq!(run_with("added.csv", false), bare);
    assert!(cache.join("tokens.own").is_file());
    // A new source: the cached columns no longer match the posts files.
    ok(lt(&[&"ingest", &dir, &testdata("coord/ira-2016-10-05_08.qut.csv.gz"), &"--quiet"]));
    let after = run("after.csv");
    std::fs::remove_dir_all(&cache).unwrap();
    assert_eq!(after, run("fresh.csv"), "a stale cache was used after a source was added");
    assert_ne!(after, cold, "the new source changes the network");
}
