//! In-process query latency: open a case's index once, then run a mix of
//! queries many times, as the web UI will. Not a test; run by
//! `bench/search/bench.sh`:
//!
//!     cargo bench -p leaktrace-search --bench query_latency -- CASE_DIR [ROUNDS]
//!
//! Prints one line per query and the overall p50 / p95 / p99, then a JSON
//! summary line.

use std::time::Instant;

use leaktrace_search::{CaseIndex, Request, Sort};
use leaktrace_store::Case;

const MIX: &[(&str, Sort, bool)] = &[
    ("trump", Sort::Relevance, false),
    ("hillary clinton", Sort::Relevance, false),
    ("\"crooked hillary\"", Sort::Relevance, false),
    ("wikileaks AND podesta", Sort::Relevance, false),
    ("hashtag:maga", Sort::Relevance, false),
    ("hashtag:podestaemails", Sort::Time, false),
    ("account:jenn_abrams", Sort::Newest, false),
    ("label:RightTroll wikileaks", Sort::Relevance, false),
    ("domain:t.co", Sort::Relevance, false),
    ("podest*", Sort::Relevance, false),
    ("wikileeks~1", Sort::Relevance, false),
    ("type:repost AND hashtag:maga", Sort::Time, false),
    ("election -hillary", Sort::Relevance, false),
    ("wikileaks", Sort::Relevance, true),
    // Email queries, for cases holding bench/search/make_mail.py's messages.
    ("budget", Sort::Relevance, false),
    ("\"offshore account transfer\"", Sort::Relevance, false),
    ("subject:schedule", Sort::Newest, false),
    ("from:meridian-consult.org AND ruzimo", Sort::Relevance, false),
];

fn pct(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let Some(dir) = args.first() else {
        eprintln!("usage: query_latency CASE_DIR [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(50);
    let case = Case::open(dir.as_ref()).expect("open case");
    let index = CaseIndex::open(case.root()).expect("open index");
    let docs = index.num_docs().expect("count");
    let mut all = Vec::new();
    println!("{:<34} {:>9} {:>9} {:>9} {:>10}", "query", "hits", "p50 ms", "p95 ms", "max ms");
    for (q, sort, facets) in MIX {
        let req = Request { query: q.to_string(), sort: *sort, facets: *facets, limit: 20, ..Default::default() };
        let total = index.search(&case, &req).expect("query").total; // warm-up
        let mut t = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let start = Instant::now();
            let r = index.search(&case, &req).expect("query");
            t.push(start.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(r.total, total);
        }
        all.extend_from_slice(&t);
        t.sort_by(f64::total_cmp);
        let label = format!(
            "{q}{}{}",
            if *sort != Sort::Relevance { " (by time)" } else { "" },
            if *facets { " +facets" } else { "" }
        );
        println!("{label:<34} {total:>9} {:>9.2} {:>9.2} {:>10.2}", pct(&t, 0.5), pct(&t, 0.95), t[t.len() - 1]);
    }
    all.sort_by(f64::total_cmp);
    let (p50, p95, p99) = (pct(&all, 0.5), pct(&all, 0.95), pct(&all, 0.99));
    println!(
        "all {} queries × {rounds} rounds on {docs} documents: p50 {p50:.2} ms, p95 {p95:.2} ms, p99 {p99:.2} ms",
        MIX.len()
    );
    println!(
        "{{\"documents\": {docs}, \"queries\": {}, \"rounds\": {rounds}, \"p50_ms\": {p50:.3}, \"p95_ms\": {p95:.3}, \"p99_ms\": {p99:.3}}}",
        MIX.len()
    );
}
