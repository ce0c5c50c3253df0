#![no_main]

use leaktrace_ingest::mail::{MboxReader, MboxVariant};
use libfuzzer_sys::fuzz_target;

// The mbox splitter in every variant: never panics, and every message starts
// after the one before it.
fuzz_target!(|data: &[u8]| {
    for variant in [
        None,
        Some(MboxVariant::Mboxo),
        Some(MboxVariant::Mboxrd),
        Some(MboxVariant::Mboxcl),
        Some(MboxVariant::Mboxcl2),
    ] {
        let Ok(reader) = MboxReader::new(data, "fuzz", variant) else { continue };
        let mut last: Option<(u64, u64)> = None;
        for m in reader {
            let Ok(m) = m else { break };
            if let Some((off, line)) = last {
                assert!(m.offset > off && m.line > line, "messages out of order");
            }
            assert!(m.offset as usize <= data.len());
            last = Some((m.offset, m.line));
        }
    }
});
