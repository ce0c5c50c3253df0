#![no_main]

use leaktrace_verify::KeyArchive;
use leaktrace_verify::keys::ImportResult;
use leaktrace_verify::keys::import::{ImportOptions, parse};
use libfuzzer_sys::fuzz_target;

// `leaktrace keys import` on any file: dig output, zone files, archive lines
// and JSON answers are read without a panic, every record and refusal names a
// line of the file, and a record the archive takes is kept as exactly that
// name and value (the archive here has no file: nothing is written).
fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = text.lines().count().max(1) as u64;
    for opts in [
        ImportOptions::default(),
        ImportOptions { origin: Some("example.org".into()), domains: vec!["example.org".into()] },
    ] {
        let Ok(file) = parse(&text, "fuzz", &opts) else { continue };
        for r in &file.refused {
            assert!(r.line >= 1 && r.line <= lines, "{r:?}");
        }
        for r in &file.records {
            assert!(r.line >= 1 && r.line <= lines, "{r:?}");
        }
        let mut archive = KeyArchive::empty();
        let results = archive.append_imported(&file.records, "2026-12-07").expect("no file, no I/O");
        for (r, result) in file.records.iter().zip(results) {
            if result == ImportResult::Written {
                let name = r.name.trim_end_matches('.').to_ascii_lowercase();
                let (sel, dom) = name.split_once("._domainkey.").expect("a key name");
                assert!(archive.lookup(sel, dom).iter().any(|k| k.value == r.value), "{r:?}");
            }
        }
    }
});
