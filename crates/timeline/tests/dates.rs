//! The date expressions of issue 5, for an article dated 2017-11-14:
//! each sentence alone, and inside an article whose context gives the year.

use chrono::NaiveDate;
use leaktrace_timeline::dates::{Claim, Precision, describe, extract};

fn article_date() -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(2017, 11, 14)
}

fn resolved(c: &Claim) -> String {
    c.when.as_ref().map(describe).unwrap_or_else(|| "unresolved".into())
}

fn utc(c: &Claim) -> String {
    let ms = c.when.as_ref().unwrap().utc_ms;
    chrono::DateTime::from_timestamp_millis(ms).unwrap().format("%Y-%m-%dT%H:%MZ").to_string()
}

#[test]
fn october_7th_alone_takes_the_year_from_the_article_date_and_says_so() {
    let c = extract("On October 7th, the first batch of hacked emails ... was released", article_date());
    assert_eq!(c.len(), 1);
    assert_eq!((c[0].expression.as_str(), resolved(&c[0]).as_str()), ("October 7th", "2017-10-07"));
    assert!(c[0].basis.starts_with("year assumed from the article's date"), "{}", c[0].basis);
    assert_eq!(c[0].when.as_ref().unwrap().precision, Precision::Day);
}

#[test]
fn a_date_without_a_year_is_the_nearest_such_day_to_the_article() {
    let on = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
    // A preview: the debate is ahead of the article, not a year behind it.
    let c = extract("The third debate is on October 19 in Las Vegas", on(2016, 10, 10));
    assert_eq!(resolved(&c[0]), "2016-10-19");
    assert!(c[0].basis.contains("9 days after"), "{}", c[0].basis);
    // Across new year, both ways.
    assert_eq!(resolved(&extract("Filed on December 30", on(2017, 1, 3))[0]), "2016-12-30");
    assert_eq!(resolved(&extract("Due on January 5", on(2016, 12, 28))[0]), "2017-01-05");
    // About half a year either way: whichever is nearer (182 days back, not 183 ahead).
    assert_eq!(resolved(&extract("Since December 1", on(2017, 6, 1))[0]), "2016-12-01");
    // 29 February only exists in leap years.
    assert_eq!(resolved(&extract("On February 29", on(2017, 3, 10))[0]), "2016-02-29");
}

#[test]
fn two_days_before_the_vote_stays_unresolved_and_november_6_is_read() {
    let c =
        extract("Two days before the vote, on November 6, WikiLeaks released more than 8,000 emails", article_date());
    assert_eq!(c.len(), 2, "{c:#?}");
    assert_eq!(c[0].expression, "Two days before the vote");
    assert!(c[0].when.is_none());
    assert_eq!(c[0].basis, "relative to \"the vote\", which this passage does not date");
    assert_eq!((c[1].expression.as_str(), resolved(&c[1]).as_str()), ("November 6", "2017-11-06"));
}

#[test]
fn jul_22() {
    let c = extract("Jul 22 — WikiLeaks begins publishing", article_date());
    assert_eq!(c.len(), 1);
    assert_eq!((c[0].expression.as_str(), resolved(&c[0]).as_str()), ("Jul 22", "2017-07-22"));
}

#[test]
fn update_stamp_with_time_and_zone() {
    let c = extract("UPDATE [November 10, 2016 @ 12:15pm ET]", article_date());
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].expression, "November 10, 2016 @ 12:15pm ET");
    assert_eq!(resolved(&c[0]), "2016-11-10 12:15 ET");
    // Daylight saving time ended on 6 November 2016: ET is UTC−5.
    assert_eq!(utc(&c[0]), "2016-11-10T17:15Z");
    assert_eq!(c[0].basis, "as written");
}

#[test]
fn fifteen_minutes_later_alone_has_no_anchor() {
    let c = extract("15 minutes later Donald Trump tweets", article_date());
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].expression, "15 minutes later");
    assert!(c[0].when.is_none());
    assert_eq!(c[0].basis, "relative to an earlier moment, and this passage states none");
}

#[test]
fn in_the_article_the_context_gives_2016_and_the_update_anchors_the_tweet() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/articles/leaks-timeline.txt"))
            .unwrap();
    let body = text.split_once("\n\n").unwrap().1;
    let c = extract(body, article_date());
    let got: Vec<(String, String)> = c.iter().map(|c| (c.expression.clone(), resolved(c))).collect();
    let want = [
        ("Jul 22", "2016-07-22"),
        ("October 7th", "2016-10-07"),
        ("Two days before the vote", "unresolved"),
        ("November 6", "2016-11-06"),
        ("November 10, 2016 @ 12:15pm ET", "2016-11-10 12:15 ET"),
        ("15 minutes later", "2016-11-10 12:30 ET"),
        ("15 minutes later", "unresolved"),
    ];
    assert_eq!(got, want.map(|(a, b)| (a.to_string(), b.to_string())));
    assert!(c[1].basis.contains("year 2016 from the article's context"), "{}", c[1].basis);
    assert_eq!(
        c[1].sentence,
        "On October 7th, the first batch of hacked emails from the chairman of the Clinton campaign was released, within an hour of the Access Hollywood tape."
    );
    assert_eq!(utc(&c[5]), "2016-11-10T17:30Z");
    assert_eq!(c[5].basis, "15 minutes after \"November 10, 2016 @ 12:15pm ET\", earlier in the passage");
    // The last passage has no anchor of its own.
    assert_eq!(c[6].passage, 5);
    // Offsets point at the expression in the text.
    assert_eq!(&body[c[3].offset..c[3].offset + "November 6".len()], "November 6");
}

#[test]
fn relative_to_the_article_date_and_to_a_named_date() {
    let c = extract("Yesterday the site promised more. Two days ago it said so. On Monday it spoke.", article_date());
    let got: Vec<String> = c.iter().map(resolved).collect();
    assert_eq!(got, ["2017-11-13", "2017-11-12", "2017-11-13"]);
    let c = extract("Two days before November 8, 2016, the last batch came out.", article_date());
    assert_eq!(resolved(&c[0]), "2016-11-06");
    let c = extract("The election was held on November 8, 2016. The next day, markets rose.", None);
    assert_eq!(c.iter().map(resolved).collect::<Vec<_>>(), ["2016-11-08", "2016-11-09"]);
    let c = extract("At 4:03 p.m. WikiLeaks wrote.", None);
    assert!(c[0].when.is_none());
}
