#![no_main]

use leaktrace_timeline::declared::{parse_events, parse_toml_events};
use libfuzzer_sys::fuzz_target;

// The declared-events file, in both its forms (CSV and TOML).
fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for parsed in [parse_events(text, "fuzz"), parse_toml_events(text, "fuzz")] {
            if let Ok(events) = parsed {
                for e in events {
                    assert!(e.line >= 1);
                }
            }
        }
    }
});
