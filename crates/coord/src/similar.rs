//! Near-duplicate posts: pairs of token sets with Jaccard similarity at or
//! above a threshold, posted within a time window of each other.
//!
//! Two candidate generators, both followed by the exact Jaccard check:
//! - [`lsh_pairs`]: MinHash signatures cut into bands (locality-sensitive
//!   hashing); posts sharing a band within the window are candidates. At the
//!   default 20 bands of 5 rows a pair at Jaccard 0.8 is missed with
//!   probability 0.0004, and the work grows with the number of similar posts,
//!   not with the square of all posts.
//! - [`exact_pairs`]: prefix filtering (tokens ordered rarest first; two sets
//!   with Jaccard ≥ t must share a token among their first
//!   `n - ceil(t·n) + 1`). It misses nothing, which the toolkit-compatible
//!   mode needs to reproduce the toolkit's all-pairs comparison exactly, and
//!   is fast on short texts.

use rayon::prelude::*;

/// One post's token set for the join.
pub(crate) struct Doc<'a> {
    pub row: u32,
    pub t: i64,
    /// Distinct token ids, sorted.
    pub tokens: &'a [u32],
}

/// A similar pair: rows of the two posts and their Jaccard similarity.
pub(crate) type Pair = (u32, u32, f64);

fn overlap(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// Jaccard similarity as the toolkit computes it (a float division).
pub(crate) fn jaccard(a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let o = overlap(a, b);
    o as f64 / (a.len() + b.len() - o) as f64
}

/// Shortest overlap two sets of which one has `n` tokens need for Jaccard ≥ t,
/// rounded down a little so float error can only lengthen prefixes.
fn min_overlap(t: f64, n: usize) -> usize {
    ((t * n as f64 - 1e-7).ceil().max(1.0)) as usize
}

/// Every pair of documents within `window_ms` with Jaccard ≥ `threshold`;
/// token ids are below `vocab`.
///
/// Prefix filtering needs one global order of tokens, any order; it is
/// fastest with the rarest tokens first, which is how token ids are numbered
/// (see `PostTable::derive`), so a sorted set already starts with its rarest
/// tokens. The prefix of a document depends on nothing but the document, so the
/// inverted index of prefixes is built whole up front (documents in time
/// order, one flat array per token): a document's candidates are the
/// earlier documents in its prefix tokens' lists, down to the window's start,
/// two binary searches away. Probes only read the index, so they run in
/// parallel; no allocation per document or per token.
pub(crate) fn exact_pairs(docs: &[Doc], vocab: u32, window_ms: i64, threshold: f64) -> Vec<Pair> {
    // Documents in time order; from here on a document is its position.
    let mut by_time: Vec<u32> = (0..docs.len() as u32).filter(|&i| !docs[i as usize].tokens.is_empty()).collect();
    by_time.par_sort_unstable_by_key(|&i| (docs[i as usize].t, i));
    let time: Vec<i64> = by_time.iter().map(|&i| docs[i as usize].t).collect();
    // Token ids are numbered rarest first (see `PostTable::derive`), so a
    // sorted set starts with its rarest tokens.
    let set = |p: usize| docs[by_time[p] as usize].tokens;
    let prefix = |p: usize| {
        let n = set(p).len();
        &set(p)[..n - min_overlap(threshold, n) + 1]
    };
    // The prefix index: for each (ranked) token, the positions whose prefix
    // holds it, ascending.
    let vocab = vocab as usize;
    let mut head = vec![0usize; vocab + 1];
    for p in 0..by_time.len() {
        for &tok in prefix(p) {
            head[tok as usize + 1] += 1;
        }
    }
    for i in 0..vocab {
        head[i + 1] += head[i];
    }
    let mut fill = head.clone();
    let mut index = vec![0u32; head[vocab]];
    for p in 0..by_time.len() {
        for &tok in prefix(p) {
            index[fill[tok as usize]] = p as u32;
            fill[tok as usize] += 1;
        }
    }
    let positions: Vec<usize> = (0..by_time.len()).collect();
    positions
        .par_chunks(4096)
        .flat_map_iter(|chunk| {
            let mut out = Vec::new();
            let mut cands: Vec<u32> = Vec::new();
            for &p in chunk {
                let (rx, tx) = (set(p), time[p]);
                cands.clear();
                for &tok in prefix(p) {
                    let list = &index[head[tok as usize]..head[tok as usize + 1]];
                    let hi = list.partition_point(|&q| (q as usize) < p);
                    let lo = list[..hi].partition_point(|&q| time[q as usize] < tx - window_ms);
                    cands.extend_from_slice(&list[lo..hi]);
                }
                cands.sort_unstable();
                cands.dedup();
                let n = rx.len();
                for &q in &cands {
                    let ry = set(q as usize);
                    let m = ry.len();
                    // Length filter: Jaccard ≤ min/max.
                    if (n.min(m) as f64) < threshold * n.max(m) as f64 - 1e-7 {
                        continue;
                    }
                    let s = jaccard(rx, ry);
                    if s >= threshold {
                        out.push((docs[by_time[q as usize] as usize].row, docs[by_time[p] as usize].row, s));
                    }
                }
            }
            out
        })
        .collect()
}

const BANDS: usize = 20;
const ROWS: usize = 5;

fn mix(mut x: u64) -> u64 {
    // splitmix64 finaliser: a fixed, well-spread hash so results do not
    // depend on the process.
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// MinHash/LSH candidates (see the module doc), verified exactly.
pub(crate) fn lsh_pairs(docs: &[Doc], window_ms: i64, threshold: f64) -> Vec<Pair> {
    // (band key, time, doc) for every band of every non-empty doc.
    let mut entries: Vec<(u64, i64, u32)> = docs
        .par_iter()
        .enumerate()
        .filter(|(_, d)| !d.tokens.is_empty())
        .flat_map_iter(|(i, d)| {
            let mut sig = [u64::MAX; BANDS * ROWS];
            for &tok in d.tokens {
                let h1 = mix(tok as u64);
                let h2 = mix(h1) | 1;
                for (k, s) in sig.iter_mut().enumerate() {
                    let h = h1.wrapping_add((k as u64).wrapping_mul(h2));
                    if h < *s {
                        *s = h;
                    }
                }
            }
            (0..BANDS).map(move |b| {
                let mut key = mix(b as u64 ^ 0xB4D5);
                for r in 0..ROWS {
                    key = mix(key ^ sig[b * ROWS + r]);
                }
                (key, d.t, i as u32)
            })
        })
        .collect();
    entries.par_sort_unstable();
    let mut cands: Vec<(u32, u32)> = Vec::new();
    let mut s = 0;
    while s < entries.len() {
        let mut e = s;
        while e < entries.len() && entries[e].0 == entries[s].0 {
            e += 1;
        }
        for i in s..e {
            for j in i + 1..e {
                if entries[j].1 - entries[i].1 > window_ms {
                    break;
                }
                let (a, b) = (entries[i].2, entries[j].2);
                cands.push((a.min(b), a.max(b)));
            }
        }
        s = e;
    }
    cands.par_sort_unstable();
    cands.dedup();
    cands
        .par_iter()
        .filter_map(|&(a, b)| {
            let (da, db) = (&docs[a as usize], &docs[b as usize]);
            let s = jaccard(da.tokens, db.tokens);
            (s >= threshold && (da.t - db.t).abs() <= window_ms).then_some((da.row, db.row, s))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sets sorted and distinct, as documents.
    fn docs(sets: &[(i64, Vec<u32>)]) -> Vec<Doc<'_>> {
        sets.iter()
            .enumerate()
            .map(|(i, (t, toks))| {
                assert!(toks.windows(2).all(|w| w[0] < w[1]));
                Doc { row: i as u32, t: *t, tokens: toks }
            })
            .collect()
    }

    fn brute(d: &[Doc], w: i64, th: f64) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        for i in 0..d.len() {
            for j in i + 1..d.len() {
                if (d[i].t - d[j].t).abs() <= w && jaccard(d[i].tokens, d[j].tokens) >= th {
                    out.push((i as u32, j as u32));
                }
            }
        }
        out
    }

    fn norm(p: Vec<Pair>) -> Vec<(u32, u32)> {
        let mut v: Vec<(u32, u32)> = p.into_iter().map(|(a, b, _)| (a.min(b), a.max(b))).collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn exact_join_equals_brute_force() {
        // Pseudo-random sets over a small vocabulary, so many pairs are close.
        let mut x = 7u64;
        let mut sets: Vec<(i64, Vec<u32>)> = Vec::new();
        for i in 0..400 {
            let n = 1 + (mix(i) % 9) as usize;
            let mut v = Vec::new();
            for _ in 0..n {
                x = mix(x);
                v.push((x % 14) as u32);
            }
            v.sort_unstable();
            v.dedup();
            sets.push(((mix(x) % 1000) as i64, v));
        }
        let d = docs(&sets);
        for th in [0.5, 0.8, 1.0] {
            for w in [0, 60, 1000] {
                let want = brute(&d, w, th);
                assert_eq!(norm(exact_pairs(&d, 14, w, th)), want, "th {th} w {w}");
                let lsh = norm(lsh_pairs(&d, w, th));
                assert!(lsh.iter().all(|p| want.contains(p)));
                if th >= 0.8 {
                    assert!(lsh.len() * 100 >= want.len() * 95, "lsh recall {} of {}", lsh.len(), want.len());
                }
            }
        }
    }
}
