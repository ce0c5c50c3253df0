#![no_main]

use leaktrace_ingest::{ParseOptions, SourceContext, detect, open_parser};
use libfuzzer_sys::fuzz_target;

// Detection, then the parser detection chose: the path `ingest` takes
// for files given without --format.
fuzz_target!(|data: &[u8]| {
    let Some(format) = detect(data) else { return };
    let ctx = SourceContext::new("fuzz", [0u8; 32]);
    if let Ok(events) =
        open_parser(format, Box::new(std::io::Cursor::new(data.to_vec())), &ctx, &ParseOptions::default())
    {
        for ev in events {
            if ev.is_err() {
                break;
            }
        }
    }
});
