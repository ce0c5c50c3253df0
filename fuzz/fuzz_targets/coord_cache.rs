#![no_main]
//! The coordination cache reader on damaged files: whatever the bytes after
//! a valid header, `read` gives a table whose columns agree or nothing,
//! never a panic or an allocation the file cannot back.

use leaktrace_coord::cache;
use leaktrace_coord::posts::Need;
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
    // The first byte splits the rest between the base group and the URLs.
    let (split, rest) = data.split_first().map_or((0, data), |(s, r)| (*s as usize, r));
    let (base, urls) = rest.split_at(split.min(rest.len()));
    std::fs::write(dir.join("base"), file("k", base)).unwrap();
    std::fs::write(dir.join("urls"), file("k", urls)).unwrap();
    if let Some(t) = cache::read(&dir, "k", Need { urls: true, ..Need::default() }) {
        for row in 0..t.len() {
            let _ = (t.account[row], t.time_ms[row], t.urls.as_ref().map(|u| u.of(row).len()));
            let _ = &t.accounts.names[t.account[row] as usize];
        }
    }
});
