//! The bundled key archive: historical DKIM keys of large mail providers
//! whose full values are published in public sources, compiled into the
//! program (`bundled.txt` beside this file, with the source of every record).
//!
//! It is the last archive `leaktrace verify` consults, after every `--keys`
//! archive, because a reporter rarely has the 2012 or 2016 key of the
//! provider that signed a leak. A verdict that used one of its records says
//! `bundled archive (source: …)` in `key_source`. Its records are not
//! recovered from evidence, so they corroborate a recovered key of the same
//! modulus like any independent archive.

use super::{KeyArchive, KeyRecord, parse_line};

/// The archive's text: each record after a `; source:` comment line.
pub const TEXT: &str = include_str!("bundled.txt");

/// How every bundled record's origin (the verdict's `key_source`) begins.
pub const ORIGIN: &str = "bundled archive";

/// What a key from the bundled archive is, in words a reporter can quote.
pub const MEANING: &str = "The key comes from leaktrace's bundled archive: a copy of a key the provider once \
published in DNS, taken from the public source named. It is as good as that source; check the key there \
before relying on it in print.";

/// The bundled archive, parsed. Each record's origin is `bundled archive
/// (source: SOURCE, bundled.txt:LINE)`.
pub fn archive() -> KeyArchive {
    let mut archive = KeyArchive::empty();
    let mut source: Option<&str> = None;
    for (i, line) in TEXT.lines().enumerate() {
        let line = line.trim();
        if let Some(s) = line.strip_prefix("; source: ") {
            source = Some(s.trim());
            continue;
        }
        if line.is_empty() || line.starts_with(';') {
            continue;
        }
        // The file is ours and tested: a line that does not parse is a bug
        // caught by the tests below, never something a user meets.
        let Ok((name, value)) = parse_line(line) else { continue };
        let origin = format!("{ORIGIN} (source: {}; bundled.txt:{})", source.take().unwrap_or("none named"), i + 1);
        archive.insert(KeyRecord::parse(&name, &value, origin));
    }
    archive
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{KeyState, PublicKey};

    #[test]
    fn every_record_is_a_usable_rsa_key_with_a_public_source() {
        let a = archive();
        let records: Vec<_> = a.records().flat_map(|(_, r)| r.iter().cloned()).collect();
        let lines = TEXT.lines().filter(|l| !l.trim().is_empty() && !l.starts_with(';')).count();
        assert_eq!(records.len(), lines, "every record line is read, none twice");
        assert!(records.len() >= 10, "{}", records.len());
        for r in &records {
            assert!(r.origin.starts_with("bundled archive (source: "), "{}", r.origin);
            assert!(!r.origin.contains("none named"), "{} has no source", r.name);
            assert!(!r.recovered, "{}", r.name);
            match &r.state {
                KeyState::Usable(PublicKey::Rsa { bits, .. }) => assert!(*bits >= 1024, "{}: {bits} bits", r.name),
                other => panic!("{}: {other:?}", r.name),
            }
        }
        for (s, d) in [("20161025", "gmail.com"), ("20120113", "gmail.com"), ("s2048", "yahoo.com")] {
            assert_eq!(a.lookup(s, d).len(), 1, "{s}._domainkey.{d}");
        }
    }

    #[test]
    fn the_gmail_2016_key_is_the_one_archived_with_the_zobnin_message() {
        let ours = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/mail/zobnin-2017/20161025._domainkey.gmail.com.txt"
        ))
        .unwrap();
        assert_eq!(archive().lookup("20161025", "gmail.com")[0].value, ours.trim());
    }

    #[test]
    fn bundled_records_come_after_the_users_own() {
        let mut mine = KeyArchive::parse(
            "20161025._domainkey.gmail.com v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n",
            "mine.txt",
        )
        .unwrap();
        mine.extend_after(&archive());
        let r = mine.lookup("20161025", "gmail.com");
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].origin, "mine.txt:1");
        assert!(r[1].origin.starts_with(ORIGIN));
        // The same value in the user's archive is named from there, once.
        let same = archive().lookup("20161025", "gmail.com")[0].value.clone();
        let mut mine = KeyArchive::parse(&format!("20161025._domainkey.gmail.com {same}\n"), "mine.txt").unwrap();
        mine.extend_after(&archive());
        assert_eq!(mine.lookup("20161025", "gmail.com").len(), 1);
        assert_eq!(mine.lookup("20161025", "gmail.com")[0].origin, "mine.txt:1");
    }
}
