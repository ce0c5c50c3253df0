#![no_main]

use leaktrace_verify::KeyArchive;
use leaktrace_verify::keys::{KeyRecord, parse_line};
use libfuzzer_sys::fuzz_target;

// Key archive lines (plain, quoted, dig style) and key records (RSA and
// Ed25519 key decoding).
fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = KeyArchive::parse(&text, "fuzz");
    for line in text.lines() {
        let _ = parse_line(line);
    }
    let _ = KeyRecord::parse("s._domainkey.example.org", &text, "fuzz".into());
});
