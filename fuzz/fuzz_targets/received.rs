#![no_main]

use leaktrace_verify::{date, forensics};
use libfuzzer_sys::fuzz_target;

// Header forensics: Received fields, dates, addresses, and the whole chain.
fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = forensics::parse_received(&text);
    let _ = date::parse(&text);
    let _ = forensics::address_domain(&text);
    let parts: Vec<&str> = text.split('\n').collect();
    let inp = forensics::Inputs {
        received: parts.iter().skip(3).map(|s| s.to_string()).collect(),
        date: parts.first().copied(),
        from: parts.get(1).copied(),
        message_id: parts.get(2).copied(),
        mailer: None,
    };
    let _ = forensics::analyse(&inp);
});
