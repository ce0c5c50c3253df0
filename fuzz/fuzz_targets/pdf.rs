#![no_main]

use leaktrace_verify::fingerprint;
use libfuzzer_sys::fuzz_target;

// The PDF Info/XMP reader (and the image EXIF path) on arbitrary bytes.
fuzz_target!(|data: &[u8]| {
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.extend_from_slice(data);
    let _ = fingerprint::pdf::fields(&pdf);
    let _ = fingerprint::fingerprint(data);
});
