#![no_main]

use std::collections::BTreeMap;

use leaktrace_verify::KeyArchive;
use leaktrace_verify::keys::{appended, encode_record, fetched_block, is_key_name, parse_line};
use libfuzzer_sys::fuzz_target;

/// Name → (value, origin) of every record.
fn contents(a: &KeyArchive) -> BTreeMap<String, Vec<(String, String)>> {
    a.records()
        .map(|(n, rs)| (n.to_string(), rs.iter().map(|r| (r.value.clone(), r.origin.clone())).collect()))
        .collect()
}

// A record fetched with `--online` and appended to an archive: whatever the
// archive held, the name asked and the value served, the archive read back
// holds exactly what it held before plus, at most, that one value under that
// one name. Input: archive text, NUL, name, NUL, value.
fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |&b| b == 0);
    let old = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let name = String::from_utf8_lossy(parts.next().unwrap_or_default()).to_ascii_lowercase();
    let value = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();

    // Any value under a key name is written on one line that reads back as itself.
    if is_key_name(&name)
        && !value.is_empty()
        && let Ok(line) = encode_record(&name, &value)
    {
        assert!(!line.contains(['\n', '\r']), "{line:?}");
        assert_eq!(parse_line(&line), Ok((name.clone(), value.clone())));
    }

    let Ok(block) = fetched_block(&name, &value, "2026-12-03", "DNS server 127.0.0.1:53") else { return };
    let Ok(before) = KeyArchive::parse(&old, "k") else { return };
    let new = appended(old.as_bytes(), block.as_bytes());
    let after = KeyArchive::parse(&String::from_utf8_lossy(&new), "k").expect("an appended archive reads");
    let (mut want, got) = (contents(&before), contents(&after));
    let asked = name.trim_end_matches('.').to_string();
    let list = want.entry(asked.clone()).or_default();
    if !list.iter().any(|(v, _)| *v == value) {
        let line = new.iter().filter(|&&b| b == b'\n').count();
        list.push((value.clone(), format!("k:{line}, fetched 2026-12-03 from DNS server 127.0.0.1:53")));
    }
    assert_eq!(got, want, "asked {asked:?}");
});
