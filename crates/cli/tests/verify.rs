//! End-to-end tests of `leaktrace verify` and mail ingest through the real
//! binary, on the fixtures in `testdata/mail/` (provenance beside them).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

fn mail(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/mail").join(rel)
}

mod common;

use common::{lt as run, ok};

fn json(out: Output) -> Vec<Value> {
    serde_json::from_str::<Value>(&ok(out)).unwrap().as_array().unwrap().clone()
}

#[test]
fn json_contract_on_the_real_gmail_message() {
    let rows = json(run(&[
        &"verify",
        &mail("zobnin-2017/message.eml"),
        &"--keys",
        &mail("zobnin-2017"),
        &"--json",
        &"--second-opinion",
    ]));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["signatures"][0]["mail_auth"], "pass");
    let m = &rows[0];
    assert_eq!(m["verdict"], "verified");
    assert_eq!(m["message_id"], "C0DFCCDD-E615-4542-8D51-71B3BE840CF4@gmail.com");
    assert_eq!(m["date"], "Mon, 29 May 2017 11:53:04 +0300");
    assert!(m["from"].as_str().unwrap().contains("zhzobnin@gmail.com"));
    let s = &m["signatures"][0];
    for (k, v) in [
        ("domain", "gmail.com"),
        ("selector", "20161025"),
        ("algorithm", "rsa-sha256"),
        ("result", "pass"),
        ("header_signature", "pass"),
        ("body_hash", "pass"),
        ("reason", "pass"),
        ("from_alignment", "exact"),
    ] {
        assert_eq!(s[k], v, "{k}");
    }
    assert!(s["explanation"].as_str().unwrap().len() > 20);
    assert_eq!(s["signed_headers"].as_array().unwrap().len(), 6);
    assert!(m["forensics"]["received"].as_array().unwrap().len() == 3);
    assert_eq!(m["attachments"][0]["size"], 91136);
}

#[test]
fn without_keys_or_bundled_keys_it_says_key_not_found_and_exits_zero() {
    let out = run(&[&"verify", &mail("zobnin-2017/message.eml"), &"--json", &"--no-bundled-keys"]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let rows = json(out);
    assert_eq!(rows[0]["verdict"], "unverified");
    assert_eq!(rows[0]["signatures"][0]["reason"], "key_not_found");
    assert_eq!(rows[0]["signatures"][0]["header_signature"], "not_checked");
    assert!(err.contains("no --keys"), "{err}");
}

#[test]
fn not_mail_is_an_error_naming_the_file() {
    let out = run(&[&"verify", &mail("generated/keys.txt"), &"--keys", &mail("generated/keys.txt")]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("keys.txt: neither a message nor an mbox"), "{err}");
    let out = run(&[&"verify", &mail("generated/simple-simple.eml"), &"--keys", &mail("generated/missing.txt")]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.txt: no such key archive"));
}

#[test]
fn a_bad_message_in_an_mbox_does_not_stop_the_others() {
    let tmp = tempfile::tempdir().unwrap();
    let good = std::fs::read(mail("generated/mboxrd.mbox")).unwrap();
    let mut data = good.clone();
    data.extend_from_slice(b"From x Mon Jan  1 00:00:00 2024\nthis line is no header\n\nbody\n\n");
    data.extend_from_slice(&good);
    let path = tmp.path().join("mixed.mbox");
    std::fs::write(&path, &data).unwrap();
    let rows = json(run(&[&"verify", &path, &"--keys", &mail("generated/keys.txt"), &"--json"]));
    assert_eq!(rows.len(), 7);
    let verdicts: Vec<&str> = rows.iter().map(|r| r["verdict"].as_str().unwrap()).collect();
    assert_eq!(verdicts.iter().filter(|v| **v == "verified").count(), 6);
    assert_eq!(rows[3]["verdict"], "unsigned");
    assert!(!rows[3]["malformed"].as_array().unwrap().is_empty());
    assert_eq!(rows[3]["index"], 4);
    assert_eq!(
        rows[4]["line"],
        rows[0]["line"].as_u64().unwrap() + good.iter().filter(|&&b| b == b'\n').count() as u64 + 5
    );
}

#[test]
fn compressed_mboxes_read_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    let data = std::fs::read(mail("generated/mboxcl2.mbox")).unwrap();
    let gz = tmp.path().join("box.mbox.gz");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(&data).unwrap();
    std::fs::write(&gz, e.finish().unwrap()).unwrap();
    let zst = tmp.path().join("box.mbox.zst");
    std::fs::write(&zst, zstd::encode_all(data.as_slice(), 3).unwrap()).unwrap();
    for f in [&gz, &zst] {
        let rows = json(run(&[&"verify", f, &"--keys", &mail("generated/keys.txt"), &"--json"]));
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|r| r["verdict"] == "verified" && r["container"] == "mboxcl2"));
    }
}

/// The three-way sort of a 10,000-message mbox (verified, altered, unsigned
/// and malformed messages in a known order) is exact, file by file.
#[test]
fn ten_thousand_messages_sort_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let good = std::fs::read(mail("generated/relaxed-relaxed.eml")).unwrap();
    let ed = std::fs::read(mail("generated/ed25519.eml")).unwrap();
    let unsigned = std::fs::read(mail("generated/unsigned.eml")).unwrap();
    let weak = std::fs::read(mail("generated/weak-key.eml")).unwrap();
    let mut altered = ed.clone();
    let at = altered.windows(7).position(|w| w == b"figures").unwrap();
    altered[at] = b'F';
    let kinds: [(&[u8], &str); 5] = [
        (&good, "verified"),
        (&ed, "verified"),
        (&altered, "unverified"),
        (&weak, "unverified"),
        (&unsigned, "unsigned"),
    ];
    let mut mbox = Vec::new();
    let mut want = Vec::new();
    for i in 0..10_000usize {
        let (msg, verdict) = kinds[(i * 31 + i / 7) % 5];
        mbox.extend_from_slice(b"From someone@leaktrace.test Tue Nov 14 22:13:20 2023\n");
        for line in msg.split_inclusive(|&b| b == b'\n') {
            let n = line.iter().take_while(|&&b| b == b'>').count();
            if line[n..].starts_with(b"From ") {
                mbox.push(b'>');
            }
            mbox.extend_from_slice(line);
        }
        mbox.extend_from_slice(b"\n");
        want.push(verdict);
    }
    let path = tmp.path().join("big.mbox");
    std::fs::write(&path, &mbox).unwrap();
    let out = tmp.path().join("sorted");
    let summary = ok(run(&[&"verify", &path, &"--keys", &mail("generated/keys.txt"), &"--sort-into", &out, &"-q"]));
    for (i, verdict) in want.iter().enumerate() {
        let f = out.join(verdict).join(format!("big.mbox-{:06}.eml", i + 1));
        assert!(f.is_file(), "message {} should be in {verdict}/", i + 1);
    }
    let count = |v: &str| std::fs::read_dir(out.join(v)).unwrap().count();
    let n = |v: &str| want.iter().filter(|w| **w == v).count();
    assert_eq!(
        (count("verified"), count("unverified"), count("unsigned")),
        (n("verified"), n("unverified"), n("unsigned"))
    );
    assert!(summary.starts_with("10,000 messages:"), "{summary}");
    let csv = std::fs::read_to_string(out.join("report.csv")).unwrap();
    assert_eq!(csv.lines().count(), 10_001);
    let report: Vec<Value> = serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report.len(), 10_000);
    assert!(report.iter().zip(&want).all(|(r, w)| r["verdict"] == *w));
    // The sorted copies are the messages' own bytes: they verify again.
    let again = json(run(&[&"verify", &out.join("verified"), &"--keys", &mail("generated/keys.txt"), &"--json"]));
    assert_eq!(again.len(), n("verified"));
    assert!(again.iter().all(|r| r["verdict"] == "verified"));
    // --sort-into never writes into a folder that holds something.
    let out2 = run(&[&"verify", &path, &"--keys", &mail("generated/keys.txt"), &"--sort-into", &out]);
    assert!(!out2.status.success());
}

#[test]
fn mail_ingest_then_verify_the_case() {
    let tmp = tempfile::tempdir().unwrap();
    let case = tmp.path().join("case");
    ok(run(&[&"case", &"init", &case]));
    let added = ok(run(&[&"ingest", &case, &mail("generated/mboxrd.mbox"), &mail("zobnin-2017/message.eml"), &"-q"]));
    assert!(added.contains("3 messages"), "{added}");
    assert!(added.contains("1 attachments"), "{added}");
    let again = ok(run(&[&"ingest", &case, &mail("generated/mboxrd.mbox"), &"-q"]));
    assert!(again.contains("already in the case"), "{again}");
    // A mailbox's messages are all kept; info says so rather than "0 rows, N rejected".
    let info = ok(run(&[&"info", &case]));
    assert!(info.contains("[mail mboxrd] 3 messages, 0 of them flagged as malformed (kept)"), "{info}");
    let rows = json(run(&[&"verify", &case, &"--keys", &mail("generated/keys.txt"), &"--json", &"--no-bundled-keys"]));
    assert_eq!(rows.len(), 4);
    assert_eq!(rows.iter().filter(|r| r["verdict"] == "verified").count(), 3);
    let gmail = rows.iter().find(|r| r["message_id"] == "C0DFCCDD-E615-4542-8D51-71B3BE840CF4@gmail.com").unwrap();
    assert_eq!(gmail["signatures"][0]["reason"], "key_not_found");
    // With the bundled archive (the default) the Gmail message verifies too,
    // and the case records where its key came from.
    let rows = json(run(&[&"verify", &case, &"--keys", &mail("generated/keys.txt"), &"--json"]));
    let gmail = rows.iter().find(|r| r["message_id"] == "C0DFCCDD-E615-4542-8D51-71B3BE840CF4@gmail.com").unwrap();
    assert_eq!(gmail["verdict"], "verified");
    assert!(gmail["signatures"][0]["key_source"].as_str().unwrap().starts_with("bundled archive (source: "));
    // Kept as evidence: the two files, the three messages taken out of the
    // mbox, the attachment (the .eml is its own message: same bytes, one copy).
    let evidence: usize = walk(&case.join("evidence")).len();
    assert_eq!(evidence, 2 + 3 + 1);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}
