//! Every network type on small hand-made posts: window edges (exactly at
//! the window, one second past), duplicates, accounts acting alone, and the
//! toolkit-compatible counting.

use leaktrace_coord::{Compat, CoordResult, Network, Params, PostTable, compute_table};
use leaktrace_model::{Post, PostKind};

const T0: i64 = 1_500_000_000_000;

fn post(id: i64, account: &str, secs: i64, text: &str) -> Post {
    let mut p = Post::new(id, account, T0 + secs * 1000, text);
    p.derive_entities_from_text();
    p
}

fn repost(id: i64, account: &str, secs: i64, target: i64) -> Post {
    let mut p = post(id, account, secs, "RT @someone: original text");
    p.kind = PostKind::Repost;
    p.target_post = Some(target);
    p
}

fn reply(id: i64, account: &str, secs: i64, target: i64) -> Post {
    let mut p = post(id, account, secs, "@someone I agree");
    p.kind = PostKind::Reply;
    p.target_post = Some(target);
    p
}

fn run(posts: &[Post], n: Network, window_s: i64, min_weight: u64) -> CoordResult {
    let mut p = Params::new(vec![n], window_s * 1000);
    p.min_weight = min_weight;
    compute_table(PostTable::from_posts(posts), &p).unwrap()
}

/// (source, target, weight, events) of the one network in `r`.
fn edges(r: &CoordResult) -> Vec<(String, String, u64, u64)> {
    r.networks[0]
        .edges
        .iter()
        .map(|e| (r.account(e.source).to_string(), r.account(e.target).to_string(), e.weight, e.events))
        .collect()
}

fn e(a: &str, b: &str, w: u64, ev: u64) -> (String, String, u64, u64) {
    (a.into(), b.into(), w, ev)
}

#[test]
fn co_retweet_window_is_inclusive() {
    let posts = [repost(1, "a", 0, 100), repost(2, "b", 60, 100), repost(3, "c", 121, 100), repost(4, "d", 0, 200)];
    assert_eq!(edges(&run(&posts, Network::CoRetweet, 60, 1)), vec![e("a", "b", 1, 1)]);
    // One second past the window: c (61 s after b) is out at 60 s, in at 61 s.
    assert_eq!(edges(&run(&posts, Network::CoRetweet, 61, 1)), vec![e("a", "b", 1, 1), e("b", "c", 1, 1)]);
    assert_eq!(edges(&run(&posts, Network::CoRetweet, 59, 1)), vec![]);
}

#[test]
fn weights_count_objects_and_events_and_evidence_lists_them() {
    let posts = [
        repost(1, "a", 0, 100),
        repost(2, "b", 10, 100),
        repost(3, "b", 20, 100),
        repost(4, "a", 1000, 200),
        repost(5, "b", 1005, 200),
        // Acting alone: no edge, however active.
        repost(6, "loner", 0, 300),
        repost(7, "loner", 5, 300),
    ];
    let r = run(&posts, Network::CoRetweet, 60, 2);
    assert_eq!(edges(&r), vec![e("a", "b", 2, 3)]);
    let n = &r.networks[0];
    let ev: Vec<(String, i64, i64)> = n
        .evidence
        .iter()
        .map(|x| (n.objects[x.object as usize].clone(), r.posts.id[x.post_1 as usize], r.posts.id[x.post_2 as usize]))
        .collect();
    assert_eq!(ev, vec![("100".into(), 1, 2), ("100".into(), 1, 3), ("200".into(), 4, 5)]);
    // Below the minimum weight: nothing.
    assert!(edges(&run(&posts, Network::CoRetweet, 60, 3)).is_empty());
}

#[test]
fn duplicate_posts_count_once() {
    let posts = [repost(1, "a", 0, 100), repost(1, "a", 0, 100), repost(2, "b", 10, 100)];
    assert_eq!(edges(&run(&posts, Network::CoRetweet, 60, 1)), vec![e("a", "b", 1, 1)]);
}

#[test]
fn co_tweet_normalises_case_space_urls_and_rt_prefix() {
    let posts = [
        post(1, "a", 0, "Vote  NOW https://t.co/abc"),
        post(2, "b", 30, "RT @x: vote now https://t.co/other"),
        post(3, "c", 40, "vote now!"),
        post(4, "d", 50, "https://t.co/only-a-link"),
        post(5, "e", 55, "https://t.co/another-link"),
    ];
    // b's text has an RT prefix but b's post is an original, so it counts.
    assert_eq!(edges(&run(&posts, Network::CoTweet, 60, 1)), vec![e("a", "b", 1, 1)]);
    // Reposts never co-tweet.
    let mut r = posts.to_vec();
    r[1].kind = PostKind::Repost;
    assert!(edges(&run(&r, Network::CoTweet, 60, 1)).is_empty());
}

#[test]
fn co_similar_text_finds_near_duplicates_only() {
    let base = "the quick brown fox jumps over the lazy dog again today";
    let posts = [
        post(1, "a", 0, base),
        post(2, "b", 20, "The quick brown fox jumps over the lazy dog again today!"),
        post(3, "c", 30, "the quick brown fox jumps over the lazy cat again tomorrow"),
        post(4, "d", 40, "completely different words in this short post here"),
        post(5, "e", 500, base),
    ];
    let r = run(&posts, Network::CoSimilarText, 60, 1);
    assert_eq!(edges(&r), vec![e("a", "b", 1, 1)]);
    assert_eq!(r.networks[0].evidence[0].similarity, Some(1.0));
    let mut p = Params::new(vec![Network::CoSimilarText], 60_000);
    p.min_weight = 1;
    p.similarity = 0.5;
    let r = compute_table(PostTable::from_posts(&posts), &p).unwrap();
    assert_eq!(edges(&r), vec![e("a", "b", 1, 1), e("a", "c", 1, 1), e("b", "c", 1, 1)]);
}

#[test]
fn entity_networks() {
    let posts = [
        post(1, "a", 0, "read https://Example.com/x?utm_source=tw #Leak @reporter"),
        post(2, "b", 30, "see https://example.com/x #leak @Reporter"),
        post(3, "c", 40, "elsewhere https://example.com/y #other"),
        reply(4, "d", 0, 900),
        reply(5, "e", 59, 900),
    ];
    assert_eq!(edges(&run(&posts, Network::CoLink, 60, 1)), vec![e("a", "b", 1, 1)]);
    assert_eq!(
        edges(&run(&posts, Network::CoDomain, 60, 1)),
        vec![e("a", "b", 1, 1), e("a", "c", 1, 1), e("b", "c", 1, 1)]
    );
    assert_eq!(edges(&run(&posts, Network::CoHashtag, 60, 1)), vec![e("a", "b", 1, 1)]);
    let m = edges(&run(&posts, Network::CoMention, 60, 1));
    assert!(m.contains(&e("a", "b", 1, 1)), "{m:?}");
    assert_eq!(edges(&run(&posts, Network::CoReply, 60, 1)), vec![e("d", "e", 1, 1)]);
    // A repost's links are the original author's, not the reposter's.
    let mut r = posts.to_vec();
    r[1].kind = PostKind::Repost;
    assert!(edges(&run(&r, Network::CoLink, 60, 1)).is_empty());
}

#[test]
fn sync_keeps_only_pairs_far_above_chance() {
    let mut posts = Vec::new();
    let mut id = 0;
    // a and b post in the same minute 20 times; c and d post often, at other times.
    for k in 0..20 {
        for acct in ["a", "b"] {
            id += 1;
            posts.push(post(id, acct, k * 3600 + 5, "x"));
        }
    }
    for k in 0..200 {
        id += 1;
        posts.push(post(id, if k % 2 == 0 { "c" } else { "d" }, k * 1800 + 900, "y"));
    }
    let r = run(&posts, Network::Sync, 60, 2);
    let got = edges(&r);
    assert_eq!(got, vec![e("a", "b", 20, 20)]);
    assert!(r.networks[0].edges[0].p_value.unwrap() < 1e-6);
}

#[test]
fn qut_mode_is_directed_and_counts_distinct_messages() {
    // a retweets 100 twice (two messages); b once, within the window of both.
    let posts = [repost(1, "a", 0, 100), repost(2, "a", 30, 100), repost(3, "b", 15, 100)];
    let mut p = Params::qut(vec![Network::CoRetweet], 60_000, 1);
    assert_eq!(p.compat, Some(Compat::Qut));
    let r = compute_table(PostTable::from_posts(&posts), &p).unwrap();
    assert!(r.networks[0].directed);
    assert_eq!(edges(&r), vec![e("a", "b", 2, 2), e("b", "a", 1, 2)]);
    p.min_weight = 2;
    let r = compute_table(PostTable::from_posts(&posts), &p).unwrap();
    assert_eq!(edges(&r), vec![e("a", "b", 2, 2)]);
}

#[test]
fn qut_co_link_links_posts_without_urls_as_the_toolkit_does() {
    let posts = [post(1, "a", 0, "no link"), post(2, "b", 10, "none either")];
    let r = compute_table(PostTable::from_posts(&posts), &Params::qut(vec![Network::CoLink], 60_000, 1)).unwrap();
    assert_eq!(edges(&r), vec![e("a", "b", 1, 1), e("b", "a", 1, 1)]);
    // Never by default.
    assert!(edges(&run(&posts, Network::CoLink, 60, 1)).is_empty());
}

fn with_image(id: i64, account: &str, secs: i64, hashes: &[i64]) -> Post {
    let mut p = post(id, account, secs, "look");
    p.image_hashes = hashes.to_vec();
    p
}

#[test]
fn co_image_links_near_identical_images_within_the_window() {
    let pic: i64 = 0x1234_5678_9abc_def0;
    let other: i64 = !pic;
    let posts = [
        with_image(1, "a", 0, &[pic]),
        // The same picture re-encoded: three bits differ.
        with_image(2, "b", 30, &[pic ^ 0b1011, other]),
        // Seven bits: not the same picture at the default six.
        with_image(3, "c", 40, &[pic ^ 0x7f00]),
        // Identical, but 121 s after b: outside a 60 s window of a and b.
        with_image(4, "d", 151, &[pic]),
        with_image(5, "e", 20, &[other]),
    ];
    let mut reposted = with_image(6, "f", 10, &[pic]);
    reposted.kind = PostKind::Repost;
    reposted.target_post = Some(1);
    let mut all = posts.to_vec();
    all.push(reposted);
    let r = run(&all, Network::CoImage, 60, 1);
    assert_eq!(edges(&r), vec![e("a", "b", 1, 1), e("b", "e", 1, 1)], "reposts take no part");
    let n = &r.networks[0];
    let ab = n.evidence.iter().find(|x| r.account(x.source) == "a").unwrap();
    assert_eq!(n.objects[ab.object as usize], "123456789abcdef0", "the earlier image names the object");
    assert_eq!(ab.similarity, Some(1.0 - 3.0 / 64.0));
    // A wider distance reaches c; zero keeps only identical hashes.
    let mut p = Params::new(vec![Network::CoImage], 60_000);
    p.min_weight = 1;
    p.image_distance = 7;
    let wide = compute_table(PostTable::from_posts(&all), &p).unwrap();
    assert!(edges(&wide).contains(&e("a", "c", 1, 1)));
    p.image_distance = 0;
    let exact = compute_table(PostTable::from_posts(&all), &p).unwrap();
    assert_eq!(edges(&exact), vec![e("b", "e", 1, 1)]);
    // Two shared pictures weigh two.
    let twice = [with_image(1, "a", 0, &[pic, other]), with_image(2, "b", 5, &[other, pic ^ 1])];
    assert_eq!(edges(&run(&twice, Network::CoImage, 60, 2)), vec![e("a", "b", 2, 2)]);
    p.image_distance = 17;
    assert!(p.validate().is_err());
}
