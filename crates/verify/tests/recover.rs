//! DKIM key recovery from signatures: messages signed here with test keys
//! (`testdata/mail/recover/`), recovered, and verified with what was
//! recovered. The signer below is written apart from the verifier (relaxed
//! header canonicalisation by hand) so the two check each other.

use std::path::{Path, PathBuf};

use base64ct::{Base64, Encoding};
use leaktrace_verify::recover::{self, Stage};
use leaktrace_verify::{KeyArchive, Options, SigResult, Verdict, Verifier};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/mail").join(rel)
}

fn key(name: &str) -> rsa::RsaPrivateKey {
    rsa::RsaPrivateKey::from_pkcs1_der(&std::fs::read(testdata(&format!("recover/{name}.der"))).unwrap()).unwrap()
}

/// Relaxed header canonicalisation (RFC 6376 §3.4.2) of one field.
fn relaxed(name: &str, value: &str) -> String {
    let v: String =
        value.replace("\r\n", "").split([' ', '\t']).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
    format!("{}:{}\r\n", name.to_ascii_lowercase(), v.trim())
}

/// A message signed with `key` as `selector._domainkey.domain` (rsa-sha256, relaxed/simple).
fn signed(key: &rsa::RsaPrivateKey, domain: &str, selector: &str, n: usize) -> Vec<u8> {
    let from = format!("Reporter {n} <r{n}@{domain}>");
    let subject = format!("Batch {n}: minutes of the meeting");
    let date = format!("Tue, 04 Oct 2016 {:02}:{:02}:00 -0400", 9 + n % 10, n % 60);
    let body = format!("Message number {n}.\r\nSee attached.\r\n");
    let bh = Base64::encode_string(&Sha256::digest(body.as_bytes()));
    let sig_head =
        format!("v=1; a=rsa-sha256; c=relaxed/simple; d={domain}; s={selector}; h=from:subject:date; bh={bh}; b=");
    let mut data = String::new();
    data.push_str(&relaxed("From", &from));
    data.push_str(&relaxed("Subject", &subject));
    data.push_str(&relaxed("Date", &date));
    data.push_str(relaxed("DKIM-Signature", &sig_head).trim_end_matches("\r\n"));
    let digest = Sha256::digest(data.as_bytes());
    let prefix = [
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
        0x20,
    ];
    let scheme = rsa::Pkcs1v15Sign { hash_len: Some(32), prefix: prefix.to_vec().into_boxed_slice() };
    let sig = key.sign(scheme, &digest).unwrap();
    format!(
        "DKIM-Signature: {sig_head}{}\r\nFrom: {from}\r\nSubject: {subject}\r\nDate: {date}\r\n\r\n{body}",
        Base64::encode_string(&sig)
    )
    .into_bytes()
}

fn recover_all(messages: &[Vec<u8>]) -> Vec<(recover::Group, recover::Outcome)> {
    let sigs = messages.iter().enumerate().flat_map(|(i, m)| recover::signatures(m, i));
    recover::group(sigs)
        .into_iter()
        .map(|g| {
            let o = recover::recover(&g, &mut |_: Stage| {});
            (g, o)
        })
        .collect()
}

fn archive_of(groups: &[(recover::Group, recover::Outcome)]) -> KeyArchive {
    let text: String = groups
        .iter()
        .flat_map(|(g, o)| o.keys.iter().map(move |k| format!("{} {}\n", g.name(), k.record_value)))
        .collect();
    KeyArchive::parse(&text, "recovered.txt").unwrap()
}

fn verify(keys: KeyArchive, msg: &[u8]) -> leaktrace_verify::MessageReport {
    Verifier::new(keys, Options { second_opinion: false, attachments: false }).verify(msg)
}

fn real_record(k: &rsa::RsaPrivateKey, name: &str) -> String {
    let spki = rsa::pkcs8::EncodePublicKey::to_public_key_der(&k.to_public_key()).unwrap();
    format!("{name} v=DKIM1; k=rsa; p={}\n", Base64::encode_string(spki.as_bytes()))
}

fn recovered_record(k: &rsa::RsaPrivateKey, name: &str) -> String {
    format!("{name} {}\n", recover::record_for_modulus(&k.n().to_bytes_be()).unwrap())
}

// Recovery itself computes gcds of numbers of 65537 × key bits (33 million
// for the 512-bit test keys): minutes in a debug build, so these run apart
// (`.ci/run` calls them with --ignored). The verdict tests below build the
// recovered record from the test key instead, in the format recovery writes.

#[test]
#[ignore = "minutes: run by .ci/run with --ignored"]
fn a_key_is_recovered_from_two_signatures_not_from_one() {
    let k = key("a512");
    let msgs: Vec<Vec<u8>> = (0..3).map(|n| signed(&k, "gmail.com", "s2016", n)).collect();
    // The messages are what the signer meant: they verify with the real key
    // (a 512-bit key is too weak to prove anything, which verify says).
    let real = real_record(&k, "s2016._domainkey.gmail.com");
    let r = verify(KeyArchive::parse(&real, "real.txt").unwrap(), &msgs[0]);
    assert_eq!(
        (r.signatures[0].header_signature, r.signatures[0].reason.as_str()),
        (leaktrace_verify::Check::Pass, "key_too_weak")
    );

    let got = recover_all(&msgs[..1]);
    assert!(got[0].1.keys.is_empty(), "one signature is not enough");
    let got = recover_all(&msgs[..2]);
    assert_eq!(got.len(), 1);
    let (g, o) = &got[0];
    assert_eq!(g.name(), "s2016._domainkey.gmail.com");
    assert_eq!(o.keys.len(), 1, "{:?}", o.notes);
    assert_eq!(o.keys[0].modulus, k.n().to_bytes_be(), "the modulus recovered is the key's");
    assert_eq!(o.keys[0].bits, 512);
    assert_eq!(o.keys[0].verifies, vec![0, 1]);
    assert!(o.unexplained.is_empty());
    assert_eq!(o.keys[0].record_value, recover::record_for_modulus(&k.n().to_bytes_be()).unwrap());
    // The record written reads back as a recovered key that verifies a third message.
    let archive = archive_of(&got);
    let r = verify(archive, &msgs[2]);
    assert_eq!(r.signatures[0].header_signature, leaktrace_verify::Check::Pass);
}

/// Two messages signed with a fresh test key of `bits` give that key back;
/// one does not; a third message verifies under the record written.
fn recovers_a_real_size_key(name: &str, bits: usize) {
    let k = key(name);
    assert_eq!(k.n().bits(), bits);
    let msgs: Vec<Vec<u8>> = (0..3).map(|n| signed(&k, "example.org", "s2016", n)).collect();
    assert!(recover_all(&msgs[..1])[0].1.keys.is_empty(), "one signature is not enough");
    let got = recover_all(&msgs[..2]);
    let o = &got[0].1;
    assert_eq!(o.keys.len(), 1, "{:?}", o.notes);
    assert_eq!(o.keys[0].modulus, k.n().to_bytes_be(), "the modulus recovered is the key's");
    assert_eq!(o.keys[0].bits, bits);
    let r = verify(archive_of(&got), &msgs[2]);
    assert_eq!(r.verdict, Verdict::Consistent, "a recovered key never gives verified");
}

#[test]
#[ignore = "hours in a debug build: cargo test --release --workspace --test recover -- --ignored bit_key"]
fn a_1024_bit_key_is_recovered_from_two_signatures() {
    recovers_a_real_size_key("c1024", 1024);
}

#[test]
#[ignore = "hours in a debug build: cargo test --release --workspace --test recover -- --ignored bit_key"]
fn a_2048_bit_key_is_recovered_from_two_signatures() {
    recovers_a_real_size_key("d2048", 2048);
}

#[test]
fn a_recovered_key_gives_consistent_never_verified() {
    let k = key("c1024");
    let name = "s2016._domainkey.gmail.com";
    let msgs: Vec<Vec<u8>> = (0..2).map(|n| signed(&k, "gmail.com", "s2016", n)).collect();
    let real = real_record(&k, name);
    assert_eq!(verify(KeyArchive::parse(&real, "real.txt").unwrap(), &msgs[0]).verdict, Verdict::Verified);
    let rec = recovered_record(&k, name);
    for m in &msgs {
        let r = verify(KeyArchive::parse(&rec, "recovered.txt").unwrap(), m);
        assert_eq!(r.verdict, Verdict::Consistent);
        let s = &r.signatures[0];
        assert_eq!((s.result, s.reason.as_str()), (SigResult::Consistent, "key_recovered"));
        assert!(s.explanation.contains("does not show the key was gmail.com's"), "{}", s.explanation);
        assert!(s.warnings.iter().any(|w| w == "key_recovered"));
    }
    // With an independent record of the same key as well, that record decides,
    // whichever comes first in the archive.
    for text in [format!("{rec}{real}"), format!("{real}{rec}")] {
        let r = verify(KeyArchive::parse(&text, "both.txt").unwrap(), &msgs[1]);
        assert_eq!(r.verdict, Verdict::Verified);
        let line = if text.starts_with(&rec) { "both.txt:2" } else { "both.txt:1" };
        assert_eq!(r.signatures[0].key_source.as_deref(), Some(line));
    }
}

#[test]
#[ignore = "minutes: run by .ci/run with --ignored"]
fn one_signature_is_not_enough_and_different_keys_give_nothing() {
    let (a, b) = (key("a512"), key("b512"));
    let got = recover_all(&[signed(&a, "example.org", "sel", 1)]);
    assert!(got[0].1.keys.is_empty());
    assert!(got[0].1.notes.iter().any(|n| n.contains("at least two")), "{:?}", got[0].1.notes);

    // The same signature twice (a message kept twice) is still one signature.
    let m = signed(&a, "example.org", "sel", 1);
    let got = recover_all(&[m.clone(), m]);
    assert!(got[0].1.keys.is_empty());
    assert_eq!(got[0].1.pairs_tried, 0);

    let got = recover_all(&[signed(&a, "example.org", "sel", 1), signed(&b, "example.org", "sel", 2)]);
    let o = &got[0].1;
    assert!(o.keys.is_empty(), "two keys, one signature each: nothing to recover");
    assert_eq!(o.unexplained.len(), 2);
    assert!(o.notes.iter().any(|n| n.contains("no two of them share a key")), "{:?}", o.notes);
}

#[test]
#[ignore = "minutes: run by .ci/run with --ignored"]
fn a_selector_mixing_two_keys_recovers_both() {
    let (a, b) = (key("a512"), key("b512"));
    let msgs = vec![
        signed(&a, "example.org", "sel", 1),
        signed(&b, "example.org", "sel", 2),
        signed(&a, "example.org", "sel", 3),
        signed(&b, "example.org", "sel", 4),
    ];
    let got = recover_all(&msgs);
    let o = &got[0].1;
    let mut moduli: Vec<Vec<u8>> = o.keys.iter().map(|k| k.modulus.clone()).collect();
    moduli.sort();
    let mut want = vec![a.n().to_bytes_be(), b.n().to_bytes_be()];
    want.sort();
    assert_eq!(moduli, want, "{:?}", o.notes);
    assert!(o.unexplained.is_empty());
    for k in &o.keys {
        assert_eq!(k.verifies.len(), 2);
    }
}

#[test]
fn a_dump_signed_with_an_attackers_key_under_gmail_is_never_verified() {
    // Someone forges a dump: every message "from gmail.com", signed with their
    // own key, which recovery then finds in the dump. gmail's real 2016 key
    // (from the zobnin fixture) is archived too and does not verify them.
    let attacker = key("c1024");
    let name = "20161025._domainkey.gmail.com";
    let msgs: Vec<Vec<u8>> = (0..2).map(|n| signed(&attacker, "gmail.com", "20161025", n)).collect();
    let real = std::fs::read_to_string(testdata("zobnin-2017/20161025._domainkey.gmail.com.txt")).unwrap();
    let text = format!("{name} {}\n{}", real.trim(), recovered_record(&attacker, name));
    for m in &msgs {
        let r = verify(KeyArchive::parse(&text, "keys.txt").unwrap(), m);
        assert_eq!(r.verdict, Verdict::Consistent);
        let e = &r.signatures[0].explanation;
        assert!(e.contains("independently archived key") && e.contains("keys.txt:1"), "{e}");
    }
    // Without the recovered record: the real key says the signature is forged.
    let r = verify(KeyArchive::parse(&format!("{name} {}\n", real.trim()), "keys.txt").unwrap(), &msgs[0]);
    assert_eq!((r.verdict, r.signatures[0].reason.as_str()), (Verdict::Unverified, "signature_mismatch"));
}

#[test]
fn ed25519_is_reported_as_not_recoverable() {
    let msg = b"DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.org; s=ed; h=from; bh=AAAA; b=AAAA\r\nFrom: a@example.org\r\n\r\nhi\r\n";
    let got = recover_all(&[msg.to_vec(), msg.to_vec()]);
    assert!(got[0].1.keys.is_empty());
    assert!(got[0].1.notes.iter().any(|n| n.contains("Ed25519")), "{:?}", got[0].1.notes);
}

#[test]
fn the_zobnin_message_stays_verified() {
    // The real message and gmail's archived 2016 key: recovery has one
    // signature only, and the verdict with the archive is unchanged.
    let msg = std::fs::read(testdata("zobnin-2017/message.eml")).unwrap();
    let got = recover_all(std::slice::from_ref(&msg));
    assert!(got.iter().all(|(_, o)| o.keys.is_empty()));
    let keys = KeyArchive::load(&testdata("zobnin-2017")).unwrap();
    assert_eq!(verify(keys, &msg).verdict, Verdict::Verified);
}
