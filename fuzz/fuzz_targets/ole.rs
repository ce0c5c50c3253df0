#![no_main]

use leaktrace_verify::fingerprint::ole;
use libfuzzer_sys::fuzz_target;

// Legacy Office (OLE2 compound files) and their property set streams: damaged containers and
// hostile lengths must give an error, never a panic or a huge allocation.
fuzz_target!(|data: &[u8]| {
    let _ = ole::property_set_fields(data);
    let _ = ole::fields(data);
});
