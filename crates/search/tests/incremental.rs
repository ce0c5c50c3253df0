//! The index grows one source at a time: a new source adds its documents
//! in new segments and leaves the segments of earlier sources as they were.

use leaktrace_model::Post;
use leaktrace_search::{CaseIndex, DocKind, Request};
use leaktrace_store::{Case, NewItem, SourceMeta};

fn meta(name: &str, kind: &str) -> SourceMeta {
    SourceMeta {
        path: name.into(),
        sha256_hex: format!("{:0>64}", name.len().to_string() + name),
        size: 1,
        kind: kind.into(),
        format: "test".into(),
        compression: "none".into(),
    }
}

fn add_posts(case: &Case, name: &str, n: i64, word: &str) {
    let lock = case.lock_for_write(false, |_| {}).unwrap();
    let mut w = case.begin_source(&lock, meta(name, "social")).unwrap();
    for i in 0..n {
        let mut p = Post::new(
            i + 1000 * name.len() as i64,
            format!("acct{}", i % 3),
            1_475_870_000_000 + i * 60_000,
            format!("{word} number {i} #tag{}", i % 2),
        );
        p.derive_entities_from_text();
        w.add_post(p).unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn a_second_source_adds_segments_without_touching_the_first() {
    let tmp = tempfile::tempdir().unwrap();
    let case = Case::init(&tmp.path().join("case")).unwrap();
    add_posts(&case, "a.csv", 50, "alpha");
    let index = CaseIndex::open(case.root()).unwrap();
    let lock = case.lock_for_write(false, |_| {}).unwrap();
    let first = index.catch_up(&case, &lock, |_| {}).unwrap();
    assert_eq!((first.documents, first.sources.clone()), (50, vec![1]));
    let segments_1 = index.segment_ids().unwrap();
    assert_eq!(segments_1.len(), 1);
    drop(lock);

    add_posts(&case, "bb.csv", 30, "beta");
    let lock = case.lock_for_write(false, |_| {}).unwrap();
    let (src, _) = case
        .add_item_source(
            &lock,
            meta("c.html", "article"),
            &[NewItem {
                kind: "article".into(),
                sha256: "c".repeat(64),
                offset: Some(0),
                meta: serde_json::json!({"title": "Gamma", "outlet": "Example", "body": "alpha beta gamma", "published": {"date": "2016-10-08"}}),
            }],
        )
        .unwrap();
    assert_eq!(index.missing_sources(&case).unwrap(), Some(vec![2, src]));
    let second = index.catch_up(&case, &lock, |_| {}).unwrap();
    assert_eq!((second.documents, second.sources.len()), (31, 2));
    let segments_2 = index.segment_ids().unwrap();
    assert_eq!(segments_2.len(), 2);
    assert!(segments_1.iter().all(|s| segments_2.contains(s)), "the first source's segment was rewritten");
    assert_eq!(index.num_docs().unwrap(), 81);
    assert_eq!(index.missing_sources(&case).unwrap(), Some(vec![]));
    // Nothing is indexed twice.
    assert_eq!(index.catch_up(&case, &lock, |_| {}).unwrap().documents, 0);
    assert_eq!(index.num_docs().unwrap(), 81);

    let count = |q: &str| index.search(&case, &Request { query: q.into(), ..Default::default() }).unwrap().total;
    assert_eq!((count("alpha"), count("beta"), count("gamma"), count("hashtag:tag1")), (51, 31, 1, 40));
    let ids = index.matching_ids(&case, &Request { query: "gamma OR number".into(), ..Default::default() }).unwrap();
    assert_eq!(ids.iter().filter(|(k, _)| *k == DocKind::Article).count(), 1);
    assert_eq!(ids.len(), 81);

    // A rebuild holds the same documents.
    let rebuilt = CaseIndex::rebuild(&case, &lock, |_| {}).unwrap();
    assert_eq!(rebuilt.documents, 81);
    assert_eq!(CaseIndex::open(case.root()).unwrap().num_docs().unwrap(), 81);
}
