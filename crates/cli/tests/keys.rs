//! `leaktrace keys import` on every form keys are handed over in
//! (`testdata/keys/`), hostile records refused with their file and line, and
//! the bundled archive in `verify`: the real zobnin message verifies with it
//! alone, a recovered key is corroborated by it, `--no-bundled-keys` leaves
//! it out.

mod common;

use std::path::{Path, PathBuf};

use common::{lt, ok, stderr};
use serde_json::Value;

fn keys(rel: &str) -> PathBuf {
    common::testdata("keys").join(rel)
}

const ZOBNIN: &str = "mail/zobnin-2017/message.eml";

/// `keys import FILES --out OUT [EXTRA]`: (stderr, the archive's text).
fn import(files: &[PathBuf], out: &Path, extra: &[&str]) -> (String, String) {
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"keys", &"import"];
    for f in files {
        args.push(f);
    }
    args.push(&"--out");
    args.push(&out);
    for e in extra {
        args.push(e);
    }
    let o = lt(&args);
    let err = stderr(&o);
    ok(o);
    (err, std::fs::read_to_string(out).unwrap_or_default())
}

fn verify_json(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Value {
    let mut all: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"verify"];
    all.extend_from_slice(args);
    all.push(&"--json");
    serde_json::from_str::<Vec<Value>>(&ok(lt(&all))).unwrap().remove(0)
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

#[test]
fn dig_output_imports_and_verifies_the_real_message() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("keys.txt");
    let dig = keys("gmail-20161025.dig");
    let (err, text) = import(std::slice::from_ref(&dig), &out, &[]);
    assert!(err.contains("1 record(s) added"), "{err}");
    let want = std::fs::read_to_string(common::testdata("mail/zobnin-2017/20161025._domainkey.gmail.com.txt")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], format!("; imported from {}:11 on {} by leaktrace keys import", dig.display(), today()));
    assert_eq!(lines[1], format!("20161025._domainkey.gmail.com {}", want.trim()));
    // Verified by the imported record (not by the bundled one: the archive comes first).
    let r = verify_json(&[&common::testdata(ZOBNIN), &"--keys", &out]);
    assert_eq!(r["verdict"], "verified");
    let source = r["signatures"][0]["key_source"].as_str().unwrap();
    assert_eq!(source, format!("{}:2, imported from {}:11 on {}", out.display(), dig.display(), today()));
    // Importing again adds nothing.
    let (err, again) = import(&[dig], &out, &[]);
    assert!(err.contains("0 record(s) added") && err.contains("1 already there"), "{err}");
    assert_eq!(again, text);
}

#[test]
fn zone_files_archive_lines_and_json_answers_import() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("keys.txt");
    let files = [keys("example.zone"), keys("archive-lines.txt"), keys("archive-answer.json")];
    let (err, text) = import(&files, &out, &[]);
    // The zone's key records (rsa2048, ed, revoked) and the JSON's ed under
    // mail.leaktrace.test; the archive lines and the JSON's rsa2048 repeat the zone's.
    assert!(err.contains("4 record(s) added") && err.contains("3 already there"), "{err}");
    assert!(err.contains(&format!("{}:14: refused:", files[0].display())), "the DMARC record: {err}");
    assert!(err.contains("3 record(s) of other types under other names skipped"), "SOA, NS, A: {err}");

    let generated = std::fs::read_to_string(common::testdata("mail/generated/keys.txt")).unwrap();
    let value_of =
        |name: &str| generated.lines().find_map(|l| l.strip_prefix(&format!("{name} "))).unwrap().trim().to_string();
    let archive = leaktrace_verify::KeyArchive::load(&out).unwrap();
    for name in ["rsa2048", "ed", "revoked"] {
        let r = archive.lookup(name, "leaktrace.test");
        assert_eq!(r.len(), 1, "{name}");
        assert_eq!(r[0].value, value_of(&format!("{name}._domainkey.leaktrace.test")), "{name}: read back exactly");
    }
    let zone_rsa = &archive.lookup("rsa2048", "leaktrace.test")[0].origin;
    assert!(zone_rsa.ends_with(&format!("imported from {}:9 on {}", files[0].display(), today())), "{zone_rsa}");
    // JSON: first and last seen kept; the archive's own recovered key is read back as recovered.
    let json_rsa = archive.lookup("rsa2048", "leaktrace.test");
    assert_eq!(json_rsa.len(), 1, "the JSON's rsa2048 is the zone's: written once");
    let ed = &archive.lookup("ed", "mail.leaktrace.test")[0];
    assert!(ed.recovered, "{}", ed.origin);
    assert!(ed.origin.contains("first seen 2024-06-01T00:00:00Z, last seen 2024-06-02T00:00:00Z"), "{}", ed.origin);
    assert!(ed.origin.contains("gcd_recovered"), "{}", ed.origin);
    assert!(text.contains(&format!("; imported from {}:17 on {}", files[2].display(), today())), "{text}");

    // keys list shows the provenance.
    let listed = ok(lt(&[&"keys", &"list", &out]));
    assert!(listed.contains("mail.leaktrace.test\ted\ted25519\trecovered from evidence"), "{listed}");
}

#[test]
fn hostile_records_are_refused_with_file_and_line_and_never_written() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("keys.txt");
    let lines = keys("hostile-lines.txt");
    let (err, text) = import(std::slice::from_ref(&lines), &out, &[]);
    let f = lines.display().to_string();
    for (line, why) in [
        (3, "not a DKIM key name"),
        (4, "not a DKIM key name"),
        (6, "contains '\\n'"),
        (8, "not a usable DKIM key record"),
        (10, "not a DKIM key name"),
        (12, "dig +short"),
        (13, "$INCLUDE is not followed"),
    ] {
        let at = format!("{f}:{line}: refused:");
        let l = err.lines().find(|l| l.starts_with(&at)).unwrap_or_else(|| panic!("{at} missing in\n{err}"));
        assert!(l.contains(why), "{l}");
    }
    assert!(err.contains("0 record(s) added"), "{err}");
    assert!(!text.contains("gmail.com"), "{text}");

    let answer = keys("hostile-answer.json");
    let (err, text) = import(std::slice::from_ref(&answer), &out, &["--domain", "attacker.example"]);
    let f = answer.display().to_string();
    assert!(
        err.contains(&format!("{f}:2: refused: the TXT value of s._domainkey.attacker.example contains '\\n'")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{f}:9: refused: 20161025._domainkey.gmail.com is not under attacker.example")),
        "{err}"
    );
    assert!(err.contains(&format!("{f}:16: refused: key object 3: firstSeenAt is not an RFC 3339 date")), "{err}");
    assert!(err.contains("1 record(s) added"), "{err}");
    let archive = leaktrace_verify::KeyArchive::load(&out).unwrap();
    assert_eq!(archive.len(), 1, "{text}");
    assert_eq!(archive.lookup("u", "attacker.example").len(), 1);
    assert!(archive.lookup("20161025", "gmail.com").is_empty(), "{text}");
    assert!(!text.contains("gmail.com"), "{text}");
    // The real message is then checked against the bundled Gmail key, not a planted one.
    let r = verify_json(&[&common::testdata(ZOBNIN), &"--keys", &out]);
    assert_eq!(r["verdict"], "verified");
    assert!(r["signatures"][0]["key_source"].as_str().unwrap().starts_with("bundled archive (source: "));
}

#[test]
fn the_bundled_archive_verifies_the_real_message_without_keys() {
    let r = verify_json(&[&common::testdata(ZOBNIN)]);
    assert_eq!(r["verdict"], "verified");
    let source = r["signatures"][0]["key_source"].as_str().unwrap();
    assert!(source.starts_with("bundled archive (source: https://github.com/"), "{source}");
    assert!(source.contains("bundled.txt:"), "{source}");

    let r = verify_json(&[&common::testdata(ZOBNIN), &"--no-bundled-keys"]);
    assert_eq!(r["verdict"], "unverified");
    assert_eq!(r["signatures"][0]["reason"], "key_not_found");

    let listed = ok(lt(&[&"keys", &"list", &"--bundled"]));
    assert!(listed.contains("gmail.com\t20161025\trsa 2048 bits\tarchived\tbundled archive (source: "), "{listed}");
    assert!(listed.contains("gmail.com\t20120113\t"), "{listed}");
}

#[test]
fn a_recovered_key_is_corroborated_by_the_bundled_archive() {
    // What `keys recover` writes for Gmail's 2016 key, had it been recovered
    // from a leak: the bundled record of the same key is independent of the
    // leak, so it decides and is named.
    let bundled = leaktrace_verify::keys::bundled::archive();
    let modulus = bundled.lookup("20161025", "gmail.com")[0].rsa_modulus().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let recovered = tmp.path().join("recovered.txt");
    let record = leaktrace_verify::recover::record_for_modulus(&modulus).unwrap();
    std::fs::write(&recovered, format!("20161025._domainkey.gmail.com {record}\n")).unwrap();

    let r = verify_json(&[&common::testdata(ZOBNIN), &"--keys", &recovered]);
    assert_eq!(r["verdict"], "verified");
    assert!(r["signatures"][0]["key_source"].as_str().unwrap().starts_with("bundled archive (source: "));

    let r = verify_json(&[&common::testdata(ZOBNIN), &"--keys", &recovered, &"--no-bundled-keys"]);
    assert_eq!(r["verdict"], "consistent");
    assert_eq!(r["signatures"][0]["reason"], "key_recovered");
}
