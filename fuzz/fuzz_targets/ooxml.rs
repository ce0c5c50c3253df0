#![no_main]

use leaktrace_verify::fingerprint::ooxml;
use libfuzzer_sys::fuzz_target;

// OOXML properties: damaged zips and hostile XML must give an error or less, never a panic.
fuzz_target!(|data: &[u8]| {
    let _ = ooxml::fields(data);
    let _ = ooxml::xml_fields(data, &[("creator", "creator"), ("Company", "company")]);
});
