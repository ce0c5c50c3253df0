//! Verification of real and generated signed mail, offline, against the
//! fixtures in `testdata/mail/` (provenance in the README files there), with
//! mail-auth's verdict cross-checked on every signature.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use leaktrace_ingest::mail::{MboxReader, MboxVariant};
use leaktrace_verify::{Check, KeyArchive, MessageReport, Options, SigResult, Verdict, Verifier};
use serde_json::Value;

fn mail(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/mail").join(rel)
}

/// With mail-auth's verdict on every signature, for the cross-checks.
fn verifier(keys: &str) -> Verifier {
    Verifier::new(KeyArchive::load(&mail(keys)).unwrap(), Options { second_opinion: true, attachments: true })
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(mail(rel)).unwrap()
}

fn reasons(r: &MessageReport) -> Vec<&str> {
    r.signatures.iter().map(|s| s.reason.as_str()).collect()
}

/// Every message file with the key archive it verifies against.
fn all_fixtures() -> Vec<(String, &'static str)> {
    let mut out = vec![("zobnin-2017/message.eml".to_string(), "zobnin-2017")];
    for (dir, keys) in [("mail-auth", "mail-auth/keys.txt"), ("generated", "generated/keys.txt")] {
        let mut files: Vec<_> = std::fs::read_dir(mail(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".eml"))
            .collect();
        files.sort();
        out.extend(files.into_iter().map(|f| (format!("{dir}/{f}"), keys)));
    }
    out
}

#[test]
fn zobnin_verifies_offline_with_the_archived_gmail_key() {
    let v = verifier("zobnin-2017");
    let r = v.verify(&read("zobnin-2017/message.eml"));
    assert_eq!(r.verdict, Verdict::Verified);
    let s = &r.signatures[0];
    assert_eq!((s.domain.as_str(), s.selector.as_str(), s.algorithm.as_str()), ("gmail.com", "20161025", "rsa-sha256"));
    assert_eq!((s.header_signature, s.body_hash, s.result), (Check::Pass, Check::Pass, SigResult::Pass));
    assert_eq!(s.from_alignment, "exact");
    assert_eq!(s.key_bits, Some(2048));
    assert_eq!(s.mail_auth.as_deref(), Some("pass"));
    assert_eq!(r.forensics.timezones, ["+0300", "-0700"]);
    assert_eq!(r.attachments.len(), 1);
}

#[test]
fn zobnin_with_one_body_byte_changed_is_a_body_hash_mismatch_with_authentic_headers() {
    let v = verifier("zobnin-2017");
    let mut raw = read("zobnin-2017/message.eml");
    let body = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let at = body + raw[body..].iter().position(|b| b.is_ascii_lowercase()).unwrap();
    raw[at] = if raw[at] == b'a' { b'b' } else { b'a' };
    let r = v.verify(&raw);
    assert_eq!(r.verdict, Verdict::Unverified);
    let s = &r.signatures[0];
    assert_eq!(s.reason, "body_hash_mismatch");
    assert_eq!(s.header_signature, Check::Pass, "the headers are still authentic");
    assert_eq!(s.body_hash, Check::Fail);
    assert!(s.explanation.contains("signed headers are authentic"), "{}", s.explanation);
    assert!(s.mail_auth.as_deref().unwrap().contains("body hash"), "{:?}", s.mail_auth);
}

#[test]
fn zobnin_with_a_signed_header_changed_is_a_signature_mismatch() {
    let v = verifier("zobnin-2017");
    let raw = read("zobnin-2017/message.eml");
    let text =
        String::from_utf8_lossy(&raw).replacen("Date: Mon, 29 May 2017 11:53:04", "Date: Sun, 28 May 2017 11:53:04", 1);
    assert_ne!(text.as_bytes(), raw.as_slice());
    let r = v.verify(text.as_bytes());
    let s = &r.signatures[0];
    assert_eq!((r.verdict, s.reason.as_str()), (Verdict::Unverified, "signature_mismatch"));
    assert_eq!((s.header_signature, s.body_hash), (Check::Fail, Check::Pass));
    assert!(s.mail_auth.as_deref().unwrap().starts_with("fail"), "{:?}", s.mail_auth);
}

#[test]
fn zobnin_without_the_key_is_key_not_found_never_a_pass() {
    let v = Verifier::new(KeyArchive::empty(), Options { second_opinion: true, attachments: true });
    let r = v.verify(&read("zobnin-2017/message.eml"));
    let s = &r.signatures[0];
    assert_eq!((r.verdict, s.reason.as_str()), (Verdict::Unverified, "key_not_found"));
    assert_eq!((s.header_signature, s.body_hash, s.result), (Check::NotChecked, Check::Pass, SigResult::Fail));
    assert!(s.mail_auth.as_deref().unwrap().contains("not found"), "{:?}", s.mail_auth);
}

#[test]
fn zobnin_forged_from_above_the_signed_one_is_flagged() {
    let v = verifier("zobnin-2017");
    let mut raw = b"From: Someone Else <ceo@gmail.com>\r\n".to_vec();
    raw.extend(read("zobnin-2017/message.eml"));
    let r = v.verify(&raw);
    assert_eq!(r.signatures[0].reason, "duplicate_signed_header");
    assert_eq!(r.signatures[0].header_signature, Check::Pass);
    assert_eq!(r.verdict, Verdict::Unverified);
}

#[test]
fn mail_auth_resources_verify_offline() {
    let v = verifier("mail-auth/keys.txt");
    for name in ["ietf.org", "github.com", "facebookmail.com", "topicbox.com", "google-arc"] {
        let r = v.verify(&read(&format!("mail-auth/{name}.eml")));
        assert_eq!(r.verdict, Verdict::Verified, "{name}: {:?}", reasons(&r));
        assert_eq!(r.line_endings, "lf", "{name}");
    }
    // Signed with x= in 2022: expired today, valid at its Date.
    let r = v.verify(&read("mail-auth/topicbox.com.eml"));
    assert!(r.signatures[0].warnings.contains(&"expired_now".to_string()));
    // Google's ARC seal over a message whose own stalw.art signature broke on the way.
    let r = v.verify(&read("mail-auth/google-arc.eml"));
    let arc = r.arc.as_ref().unwrap();
    assert_eq!((arc.result.as_str(), arc.cv.as_str()), ("pass", "none"));
    assert_eq!(arc.instances.len(), 1);
    assert_eq!((arc.instances[0].message_signature, arc.instances[0].seal), (Check::Pass, Check::Pass));
    let stalwart = r.signatures.iter().find(|s| s.domain == "stalw.art").unwrap();
    assert_eq!(stalwart.result, SigResult::Fail);
}

#[test]
fn generated_fixtures_give_the_expected_verdicts() {
    let v = verifier("generated/keys.txt");
    let expected: BTreeMap<String, Value> = serde_json::from_slice(&read("generated/expected.json")).unwrap();
    for (name, exp) in &expected {
        if !name.ends_with(".eml") {
            continue;
        }
        let r = v.verify(&read(&format!("generated/{name}")));
        let want: Vec<&str> = exp["reasons"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
        assert_eq!(r.verdict.as_str(), exp["verdict"].as_str().unwrap(), "{name}: {:?}", reasons(&r));
        assert_eq!(reasons(&r), want, "{name}");
    }
    let r = v.verify(&read("generated/weak-key.eml"));
    assert_eq!((r.signatures[0].key_bits, r.signatures[0].header_signature), (Some(512), Check::Pass));
    // RFC 8301: a SHA-1 signature that checks out is its own, weaker result.
    let r = v.verify(&read("generated/sha1.eml"));
    let s = &r.signatures[0];
    assert!(s.warnings.contains(&"sha1".to_string()));
    assert_eq!((s.header_signature, s.body_hash, s.result), (Check::Pass, Check::Pass, SigResult::Weak));
    assert_eq!(r.verdict, Verdict::Weak);
    assert!(s.explanation.contains("RFC 8301") && s.explanation.contains("does not prove"), "{}", s.explanation);
    let r = v.verify(&read("generated/lf-only.eml"));
    assert_eq!(r.line_endings, "lf");
    let r = v.verify(&read("generated/arc-chain.eml"));
    let arc = r.arc.unwrap();
    assert_eq!((arc.result.as_str(), arc.cv.as_str(), arc.instances.len()), ("pass", "pass", 2));
    let r = v.verify(&read("generated/l-partial.eml"));
    assert_eq!((r.signatures[0].header_signature, r.signatures[0].body_hash), (Check::Pass, Check::Pass));
    assert!(r.signatures[0].body_length.unwrap() > r.signatures[0].body_length_signed.unwrap());
    let r = v.verify(&read("generated/attachments.eml"));
    let meta: Vec<(&str, &str)> =
        r.attachments.iter().flat_map(|a| a.metadata.iter().map(|(k, v)| (k.as_str(), v.as_str()))).collect();
    for want in
        [("creator", "Ivan Petrov"), ("company", "Example Ministry"), ("wordLanguage", "ru-RU"), ("author", "Anna K.")]
    {
        assert!(meta.contains(&want), "{want:?} not in {meta:?}");
    }
}

/// Our header and body verdicts against mail-auth's on every signature of
/// every fixture. Where they differ by design it is said why.
#[test]
fn crosscheck_with_mail_auth_on_every_fixture() {
    let mut compared = 0;
    for (file, keys) in all_fixtures() {
        let v = verifier(keys);
        let r = v.verify(&std::fs::read(mail(&file)).unwrap());
        for s in &r.signatures {
            let theirs = s.mail_auth.as_deref().unwrap_or("none");
            let ours = s.header_signature == Check::Pass && s.body_hash == Check::Pass;
            if s.body_length_signed.is_some() {
                // mail-auth refuses every l= signature as insecure.
                assert!(theirs.contains("'l='"), "{file}: {theirs}");
                continue;
            }
            if s.warnings.iter().any(|w| w == "expired_now") || s.reason == "expired" {
                // mail-auth judges x= against today, leaktrace against the Date header.
                assert!(theirs.contains("expired"), "{file}: {theirs}");
                continue;
            }
            assert_eq!(
                ours,
                theirs == "pass",
                "{file} d={} s={}: ours {:?}/{:?}, mail-auth {theirs}",
                s.domain,
                s.selector,
                s.header_signature,
                s.body_hash
            );
            if s.body_hash == Check::Fail {
                assert!(theirs.contains("body hash"), "{file}: {theirs}");
            }
            compared += 1;
        }
    }
    assert!(compared >= 20, "only {compared} signatures compared");
}

fn split(rel: &str, variant: Option<MboxVariant>) -> (MboxVariant, Vec<Vec<u8>>) {
    let data = read(rel);
    let r = MboxReader::new(data.as_slice(), rel, variant).unwrap();
    let v = r.variant();
    (v, r.map(|m| m.unwrap().bytes).collect())
}

#[test]
fn mbox_variants_give_back_the_signed_bytes() {
    let v = verifier("generated/keys.txt");
    for (file, variant) in [
        ("mboxo.mbox", MboxVariant::Mboxrd),
        ("mboxrd.mbox", MboxVariant::Mboxrd),
        ("mboxcl2.mbox", MboxVariant::Mboxcl2),
    ] {
        let (detected, msgs) = split(&format!("generated/{file}"), None);
        assert_eq!(detected, variant, "{file}");
        assert_eq!(msgs.len(), 3, "{file}");
        for m in &msgs {
            let r = v.verify(m);
            assert_eq!(r.verdict, Verdict::Verified, "{file}: {:?}", reasons(&r));
        }
    }
    let (_, msgs) = split("generated/mboxo.mbox", Some(MboxVariant::Mboxo));
    assert!(msgs.iter().all(|m| v.verify(m).verdict == Verdict::Verified));
    // Read with the wrong variant, the bytes are not the signed ones, and it shows.
    let (_, msgs) = split("generated/mboxrd.mbox", Some(MboxVariant::Mboxo));
    assert!(msgs.iter().all(|m| v.verify(m).signatures[0].reason == "body_hash_mismatch"));
    let (_, msgs) = split("generated/mboxcl2.mbox", Some(MboxVariant::Mboxrd));
    assert!(msgs.iter().any(|m| v.verify(m).verdict != Verdict::Verified));
}

/// 10,000 messages — verified, altered and unsigned, in a known order —
/// through the mbox splitter and the parallel verifier: every verdict exact.
#[test]
fn ten_thousand_message_mbox_sorts_exactly() {
    let v = verifier("generated/keys.txt");
    let good = read("generated/relaxed-relaxed.eml");
    let ed = read("generated/ed25519.eml");
    let unsigned = read("generated/unsigned.eml");
    let mut altered = good.clone();
    let at = altered.windows(5).position(|w| w == b"Dear ").unwrap();
    altered[at] = b'd';
    let kinds: [(&[u8], Verdict); 4] = [
        (&good, Verdict::Verified),
        (&ed, Verdict::Verified),
        (&altered, Verdict::Unverified),
        (&unsigned, Verdict::Unsigned),
    ];
    let mut mbox = Vec::new();
    let mut want = Vec::new();
    for i in 0..10_000usize {
        let (msg, verdict) = kinds[(i * 7 + i / 3) % 4];
        mbox.extend_from_slice(format!("From sender@leaktrace.test Tue Nov 14 22:13:{:02} 2023\n", i % 60).as_bytes());
        // mboxrd quoting.
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
    let reader = MboxReader::new(mbox.as_slice(), "big.mbox", None).unwrap();
    assert_eq!(reader.variant(), MboxVariant::Mboxrd);
    let msgs: Vec<Vec<u8>> = reader.map(|m| m.unwrap().bytes).collect();
    assert_eq!(msgs.len(), 10_000);
    let got: Vec<Verdict> = v.verify_all(&msgs).into_iter().map(|r| r.verdict).collect();
    assert_eq!(got, want);
    let count = |x: Verdict| got.iter().filter(|&&g| g == x).count();
    assert_eq!(count(Verdict::Verified) + count(Verdict::Unverified) + count(Verdict::Unsigned), 10_000);
    assert!(count(Verdict::Verified) > 4000 && count(Verdict::Unverified) > 1500 && count(Verdict::Unsigned) > 1500);
}

#[test]
fn gzip_mbox_reads_the_same() {
    use std::io::Write;
    let data = read("generated/mboxrd.mbox");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&data).unwrap();
    let gz = gz.finish().unwrap();
    let (_, input) = leaktrace_ingest::open_decompressed(Box::new(std::io::Cursor::new(gz))).unwrap();
    let msgs: Vec<_> =
        MboxReader::new(std::io::BufReader::new(input), "x.mbox.gz", None).unwrap().map(|m| m.unwrap()).collect();
    let (_, plain) = split("generated/mboxrd.mbox", None);
    assert_eq!(msgs.iter().map(|m| m.bytes.clone()).collect::<Vec<_>>(), plain);
}
