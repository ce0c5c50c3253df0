#![no_main]

use leaktrace_timeline::declared::parse_events;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(events) = parse_events(text, "fuzz") {
            for e in events {
                assert!(e.line >= 1);
            }
        }
    }
});
