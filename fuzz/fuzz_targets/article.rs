#![no_main]

use leaktrace_ingest::article::parse_article;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(a) = parse_article(data, "fuzz") {
        // What came out is text that the date resolver reads next.
        assert!(!a.body.trim().is_empty());
    }
});
