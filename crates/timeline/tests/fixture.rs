//! Exact first-appearance and lead/lag values on the hand-made fixture in
//! `testdata/timeline/` (see its README for the expected numbers).

use std::collections::BTreeSet;
use std::path::PathBuf;

use leaktrace_ingest::{Event, Format, SourceContext, open_parser};
use leaktrace_timeline::declared::read_events;
use leaktrace_timeline::first::first_appearance;
use leaktrace_timeline::leadlag::{Baseline, Leader, Params, lead_lag};
use leaktrace_timeline::objects::Object;
use leaktrace_timeline::posts::{CasePost, sort_posts};

const MIN: i64 = 60_000;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/timeline").join(name)
}

fn posts() -> Vec<CasePost> {
    let file = std::fs::File::open(fixture("posts.csv")).unwrap();
    let ctx = SourceContext::new("posts.csv", [7; 32]);
    let mut out: Vec<CasePost> = open_parser(Format::IraByAuthor, Box::new(file), &ctx, &Default::default())
        .unwrap()
        .filter_map(|e| match e.unwrap() {
            Event::Post(post) => Some(CasePost { source: 1, post }),
            _ => None,
        })
        .collect();
    sort_posts(&mut out);
    assert_eq!(out.len(), 13);
    out
}

fn at(s: &str) -> i64 {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap().and_utc().timestamp_millis()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn first_appearance_reports_the_tie_and_the_cascade() {
    let f = first_appearance(&posts(), &Object::parse("https://example.org/podesta-1").unwrap());
    assert_eq!((f.posts, f.accounts, f.tie), (6, 5, true));
    let first: Vec<(&str, i64)> = f.first.iter().map(|a| (a.account.as_str(), a.time_ms)).collect();
    assert_eq!(first, vec![("f_one_demo", at("2016-10-07 20:32")), ("leader_demo", at("2016-10-07 20:32"))]);
    let order: Vec<(usize, &str, i64, bool)> =
        f.order.iter().map(|e| (e.rank, e.account.as_str(), e.delay_ms / MIN, e.tied)).collect();
    assert_eq!(
        order,
        vec![
            (1, "f_one_demo", 0, false),
            (1, "leader_demo", 0, true),
            (3, "f_two_demo", 3, false),
            (4, "f_three_demo", 15, false),
            (5, "other_demo", 18, false),
        ]
    );
    let cascade: Vec<(i64, usize, usize, usize)> = f
        .cascade
        .iter()
        .map(|c| ((c.time_ms - at("2016-10-07 20:32")) / MIN, c.posts, c.cumulative_posts, c.cumulative_accounts))
        .collect();
    assert_eq!(cascade, vec![(0, 2, 2, 2), (3, 1, 3, 3), (15, 1, 4, 4), (18, 1, 5, 5), (30, 1, 6, 5)]);
}

#[test]
fn first_appearance_of_a_hashtag_a_text_and_a_repost() {
    let p = posts();
    let h = first_appearance(&p, &Object::parse("#WIKILEAKS").unwrap());
    assert_eq!((h.first.len(), h.first[0].account.as_str(), h.tie), (1, "f_three_demo", false));
    assert_eq!(
        h.order.iter().map(|e| e.account.as_str()).collect::<Vec<_>>(),
        ["f_three_demo", "leader_demo", "f_one_demo", "f_two_demo"]
    );
    let t = first_appearance(&p, &Object::parse("text:Big news tonight").unwrap());
    assert_eq!((t.posts, t.first[0].account.as_str()), (3, "leader_demo"));
    let target = p.iter().find(|c| c.post.account == "f_one_demo" && c.post.target_post.is_some()).unwrap();
    let r = first_appearance(&p, &Object::Repost(target.post.target_post.unwrap()));
    assert_eq!(r.order.iter().map(|e| e.delay_ms / MIN).collect::<Vec<_>>(), [0, 1, 6]);
    assert_eq!(first_appearance(&p, &Object::parse("#nothing").unwrap()).posts, 0);
}

#[test]
fn lead_lag_of_accounts_matches_the_hand_computed_delays() {
    let r = lead_lag(
        &posts(),
        &Leader::Accounts(set(&["leader_demo"])),
        &set(&["f_one_demo", "f_two_demo", "f_three_demo", "leader_demo"]),
        &Params::default(),
    );
    let mut delays: Vec<i64> = r.pairs.iter().map(|p| p.delay_ms / MIN).collect();
    delays.sort();
    assert_eq!(delays, [-10, 0, 1, 3, 3, 6, 10, 15, 40]);
    let d = r.delays.as_ref().unwrap();
    assert_eq!((d.n, d.median, d.q1, d.q3, d.min, d.max), (9, 180_000.0, 60_000.0, 600_000.0, -600_000, 2_400_000));
    assert_eq!((r.before, r.same_time, r.after), (1, 1, 7));
    // URL, two hashtags, the retweeted post, and the leader's own two originals (as repost targets).
    assert_eq!((r.leader_objects, r.shared_objects, r.followers_seen), (6, 4, 3));
    let t = r.test.as_ref().unwrap();
    assert_eq!((t.observed, t.step_ms, t.permutations), (360_000.0, 60_000, 999));
    assert!(t.p_value > 0.0 && t.p_value <= 1.0);
    // The same seed gives the same p-value; the test is deterministic.
    let again = lead_lag(
        &posts(),
        &Leader::Accounts(set(&["leader_demo"])),
        &set(&["f_one_demo", "f_two_demo", "f_three_demo"]),
        &Params::default(),
    );
    assert_eq!(again.test.unwrap().p_value, t.p_value);
    let shuffled = lead_lag(
        &posts(),
        &Leader::Accounts(set(&["leader_demo"])),
        &set(&["f_one_demo", "f_two_demo", "f_three_demo"]),
        &Params { baseline: Baseline::Shuffle, ..Params::default() },
    );
    // Shuffling follower times across pairs keeps them in the same few
    // hours, so it is a weaker baseline than the circular shift.
    assert!(shuffled.test.unwrap().p_value >= 0.0);
}

#[test]
fn lead_lag_behind_declared_events_converts_their_zones() {
    let events = read_events(&fixture("events.csv")).unwrap();
    assert_eq!(
        events.iter().map(|e| e.time_ms).collect::<Vec<_>>(),
        [at("2016-10-07 20:32"), at("2016-10-08 14:00"), at("2016-11-07 14:00")]
    );
    assert_eq!(events[0].line, 3);
    let r = lead_lag(
        &posts(),
        &Leader::Events(events),
        &set(&["f_one_demo", "f_two_demo", "f_three_demo"]),
        &Params::default(),
    );
    let mut delays: Vec<i64> = r.pairs.iter().map(|p| p.delay_ms / MIN).collect();
    delays.sort();
    assert_eq!(delays, [-10, 0, 3, 10, 15, 40]);
    assert_eq!(r.delays.unwrap().median, 390_000.0);
    assert_eq!(r.pairs.iter().find(|p| p.delay_ms == 0).unwrap().leader_ref, "Podesta emails part 1");
}
