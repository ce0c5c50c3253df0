#![no_main]
//! The coordination cache reader on damaged files: whatever the bytes after
//! a valid header, `read` gives a table whose columns agree or nothing,
//! never a panic or an allocation the file cannot back.

use leaktrace_coord::cache;
use leaktrace_coord::posts::{Need, TextForm};
use libfuzzer_sys::fuzz_target;

fn file(key: &str, body: &[u8]) -> Vec<u8> {
    let mut f = cache::MAGIC.to_vec();
    f.extend_from_slice(&(key.len() as u64).to_le_bytes());
    f.extend_from_slice(key.as_bytes());
    f.extend_from_slice(body);
    f
}

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("leaktrace-fuzz-cache-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // The first two bytes cut the rest into the base group, the URLs, and
    // the co-tweet keys and token sets (the same bytes for both).
    let (cuts, rest) = if data.len() >= 2 { data.split_at(2) } else { (&[0u8, 0][..], data) };
    let (base, rest) = rest.split_at((cuts[0] as usize).min(rest.len()));
    let (urls, derived) = rest.split_at((cuts[1] as usize).min(rest.len()));
    std::fs::write(dir.join("base"), file("k", base)).unwrap();
    std::fs::write(dir.join("urls"), file("k", urls)).unwrap();
    std::fs::write(dir.join("tweet_keys.own"), file("k", derived)).unwrap();
    std::fs::write(dir.join("tokens.own"), file("k", derived)).unwrap();
    let need = Need { urls: true, tweet_keys: Some(TextForm::Own), tokens: Some(TextForm::Own), ..Need::default() };
    if let Some(t) = cache::read(&dir, "k", need) {
        for row in 0..t.len() {
            let _ = (t.account[row], t.time_ms[row], t.urls.as_ref().map(|u| u.of(row).len()), t.target(row));
            let _ = t.accounts.name(t.account[row] as usize);
            let _ = t.tweet_keys.as_ref().map(|k| k.ids[row]);
            let _ = t.tokens.as_ref().map(|k| k.of(row).len());
        }
    }
});
