#![no_main]

use libfuzzer_sys::fuzz_target;

// Hostile image bytes (JPEG, PNG, WebP headers claiming any size): decoded
// within the media bounds or refused, never a crash or a huge allocation.
fuzz_target!(|data: &[u8]| {
    let _ = leaktrace_ingest::media::hash_image_bytes(data);
});
