#![no_main]

use std::sync::OnceLock;

use leaktrace_verify::{KeyArchive, Options, Verifier};
use libfuzzer_sys::fuzz_target;

// A whole message through verification: header splitting, DKIM tag parsing,
// canonicalisation, ARC, MIME and attachments.
fuzz_target!(|data: &[u8]| {
    static V: OnceLock<Verifier> = OnceLock::new();
    let v = V.get_or_init(|| {
        let keys = KeyArchive::parse(
            "s._domainkey.example.org v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n",
            "fuzz",
        )
        .unwrap();
        Verifier::new(keys, Options::default())
    });
    let _ = v.verify(data);
});
