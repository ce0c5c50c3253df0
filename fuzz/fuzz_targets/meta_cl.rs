#![no_main]

use leaktrace_ingest::{Format, ParseOptions, SourceContext, open_parser};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ctx = SourceContext::new("fuzz", [0u8; 32]);
    if let Ok(events) =
        open_parser(Format::MetaCl, Box::new(std::io::Cursor::new(data.to_vec())), &ctx, &ParseOptions::default())
    {
        // An error ends a source, as it does for real callers.
        for ev in events {
            if ev.is_err() {
                break;
            }
        }
    }
});
