#![no_main]

use chrono::{Duration, NaiveDate};
use leaktrace_timeline::dates::extract;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // The first byte picks an article date (or none).
    let date = data
        .first()
        .and_then(|&d| (d != 0).then(|| NaiveDate::from_ymd_opt(2016, 1, 1).unwrap() + Duration::days(d as i64 * 7)));
    for c in extract(&text, date) {
        // Offsets point into the text, at the expression.
        assert!(text.is_char_boundary(c.offset));
        assert!(text[c.offset..].starts_with(&c.expression));
    }
});
