//! End-to-end test of `leaktrace verify --online --dns-server`: keys missing
//! from the archive are fetched from a DNS server and appended to the archive.
//! The DNS server is a tiny responder inside the test on 127.0.0.1, so no
//! query ever leaves the machine.

use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::Value;

mod common;

use common::{fails, lt as run, ok, stderr, testdata};

/// The real Gmail message and its archived key (testdata/mail/zobnin-2017/README.md).
/// The bundled archive holds that key too, so every run here leaves it out
/// (`--no-bundled-keys`): these tests are about what DNS gives.
const GMAIL_KEY_NAME: &str = "20161025._domainkey.gmail.com";
/// A generated message signed by a key the test server does not publish.
const UNPUBLISHED_KEY_NAME: &str = "rsa2048._domainkey.leaktrace.test";

/// A DNS responder that knows one TXT record. Hand-written wire format
/// (RFC 1035 §4): enough for one question per query, which is what the
/// resolver sends. It answers over UDP only: hickory asks over UDP first and
/// falls back to TCP only for a truncated answer, and a 2048-bit key's
/// record (~470 bytes with headers) fits in an untruncated UDP answer.
struct DnsServer {
    addr: SocketAddr,
    /// Every name asked, in order, lower-case, without the trailing dot.
    asked: Arc<Mutex<Vec<String>>>,
}

impl DnsServer {
    fn start(name: &str, txt: &str) -> DnsServer {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = socket.local_addr().unwrap();
        let asked = Arc::new(Mutex::new(Vec::new()));
        let (name, txt, log) = (name.to_ascii_lowercase(), txt.as_bytes().to_vec(), asked.clone());
        // Detached: it ends with the test process.
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok((n, peer)) = socket.recv_from(&mut buf) {
                if let Some(reply) = answer(&buf[..n], &name, &txt, &log) {
                    let _ = socket.send_to(&reply, peer);
                }
            }
        });
        DnsServer { addr, asked }
    }

    fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }
}

/// The reply to one query: the TXT record if the question is `name` IN TXT,
/// NXDOMAIN otherwise; `None` for a packet that is not a query.
fn answer(query: &[u8], name: &str, txt: &[u8], asked: &Mutex<Vec<String>>) -> Option<Vec<u8>> {
    // Header: ID, flags, QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT (2 bytes each).
    if query.len() < 12 || query[2] & 0x80 != 0 || u16::from_be_bytes([query[4], query[5]]) != 1 {
        return None;
    }
    // Question: length-prefixed labels ending with a zero byte (no compression in a
    // question), then QTYPE and QCLASS.
    let mut labels = Vec::new();
    let mut i = 12;
    loop {
        let len = *query.get(i)? as usize;
        i += 1;
        if len == 0 {
            break;
        }
        if len > 63 {
            return None;
        }
        labels.push(String::from_utf8_lossy(query.get(i..i + len)?).to_ascii_lowercase());
        i += len;
    }
    let qtype = u16::from_be_bytes([*query.get(i)?, *query.get(i + 1)?]);
    let question_end = i + 4;
    if query.len() < question_end {
        return None;
    }
    let qname = labels.join(".");
    asked.lock().unwrap().push(qname.clone());
    let found = qname == name && qtype == 16;

    let mut reply = Vec::with_capacity(512);
    reply.extend_from_slice(&query[0..2]); // the query's ID
    reply.push(0x84 | (query[2] & 0x01)); // QR, AA, the query's RD
    reply.push(if found { 0x80 } else { 0x83 }); // RA; RCODE 0 NOERROR or 3 NXDOMAIN
    reply.extend_from_slice(&[0, 1, 0, u8::from(found), 0, 0, 0, 0]); // 1 question, 0/1 answer
    reply.extend_from_slice(&query[12..question_end]); // the question, as asked
    if found {
        // RDATA: character-strings of at most 255 bytes, each length-prefixed.
        let mut rdata = Vec::new();
        for chunk in txt.chunks(255) {
            rdata.push(chunk.len() as u8);
            rdata.extend_from_slice(chunk);
        }
        reply.extend_from_slice(&[0xC0, 12]); // the name: a pointer to the question's
        reply.extend_from_slice(&[0, 16, 0, 1]); // TXT, IN
        reply.extend_from_slice(&300u32.to_be_bytes()); // TTL
        reply.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        reply.extend_from_slice(&rdata);
    }
    Some(reply)
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

fn rows(stdout: &str) -> Vec<Value> {
    serde_json::from_str::<Value>(stdout).unwrap().as_array().unwrap().clone()
}

/// The generated fixtures' key archive without the key of `rsa2048` (nor Gmail's,
/// which it never had): the archive `--online` completes.
fn archive_without_keys(dir: &Path) -> PathBuf {
    let full = std::fs::read_to_string(testdata("mail/generated/keys.txt")).unwrap();
    assert!(full.contains(UNPUBLISHED_KEY_NAME) && !full.contains(GMAIL_KEY_NAME));
    let kept: String =
        full.lines().filter(|l| !l.starts_with(UNPUBLISHED_KEY_NAME)).map(|l| format!("{l}\n")).collect();
    let path = dir.join("keys.txt");
    std::fs::write(&path, kept).unwrap();
    path
}

#[test]
fn online_fetches_a_missing_key_from_the_given_server_and_archives_it() {
    let key = std::fs::read_to_string(testdata(&format!("mail/zobnin-2017/{GMAIL_KEY_NAME}.txt"))).unwrap();
    let key = key.trim();
    let server = DnsServer::start(GMAIL_KEY_NAME, key);
    let dns = server.addr.to_string();
    let tmp = tempfile::tempdir().unwrap();
    let archive = archive_without_keys(tmp.path());
    let gmail = testdata("mail/zobnin-2017/message.eml");

    // Without the key, the message cannot be verified offline (the test's premise).
    let out = run(&[&"verify", &"--no-bundled-keys", &gmail, &"--keys", &archive, &"--json"]);
    assert_eq!(rows(&ok(out))[0]["signatures"][0]["reason"], "key_not_found");
    assert!(server.asked().is_empty(), "a query without --online: {:?}", server.asked());

    // (a) With --online and the server, the key is fetched and the signature passes.
    let before = today();
    let out = run(&[
        &"verify",
        &"--no-bundled-keys",
        &gmail,
        &"--keys",
        &archive,
        &"--online",
        &"--dns-server",
        &dns,
        &"--json",
    ]);
    let err = stderr(&out);
    let r = rows(&ok(out));
    assert_eq!(r[0]["verdict"], "verified", "{err}");
    assert_eq!(r[0]["signatures"][0]["reason"], "pass");
    assert_eq!(r[0]["signatures"][0]["domain"], "gmail.com");
    assert!(err.contains(&format!("fetched {GMAIL_KEY_NAME} from DNS")), "{err}");
    assert_eq!(server.asked(), [GMAIL_KEY_NAME], "the server given is the one asked, once");

    // (b) The archive now holds the record, after a line with the date it was fetched.
    let text = std::fs::read_to_string(&archive).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let at = lines.iter().position(|l| *l == format!("{GMAIL_KEY_NAME} {key}")).expect(&text);
    let dates = [before, today()];
    let provenance = |d: &str| format!("fetched {d} from DNS server {dns}");
    assert!(
        dates.iter().any(|d| lines[at - 1] == format!("; {} by leaktrace verify --online", provenance(d))),
        "{text}"
    );
    // The verdict names the record: file, line, server and date.
    let source = r[0]["signatures"][0]["key_source"].as_str().unwrap().to_string();
    assert!(dates.iter().any(|d| source == format!("{}:{}, {}", archive.display(), at + 1, provenance(d))), "{source}");

    // (c) Later, without --online and without the server: the archived key is used.
    let out = run(&[&"verify", &"--no-bundled-keys", &gmail, &"--keys", &archive, &"--json"]);
    let err = stderr(&out);
    let r = rows(&ok(out));
    assert_eq!(r[0]["verdict"], "verified", "{err}");
    assert_eq!(r[0]["signatures"][0]["reason"], "pass");
    assert_eq!(r[0]["signatures"][0]["key_source"], source.as_str(), "the same provenance read back");
    assert!(!err.contains("fetched"), "{err}");
    assert_eq!(server.asked(), [GMAIL_KEY_NAME], "no query without --online");

    // With --online again, the key is in the archive now: nothing is asked.
    let out = run(&[
        &"verify",
        &"--no-bundled-keys",
        &gmail,
        &"--keys",
        &archive,
        &"--online",
        &"--dns-server",
        &dns,
        &"--json",
    ]);
    assert_eq!(rows(&ok(out))[0]["verdict"], "verified");
    assert_eq!(server.asked(), [GMAIL_KEY_NAME], "an archived key is not fetched again");
    assert_eq!(std::fs::read_to_string(&archive).unwrap(), text, "nothing appended twice");
}

#[test]
fn a_name_the_server_does_not_have_stays_key_not_found_and_the_archive_is_untouched() {
    let server = DnsServer::start(GMAIL_KEY_NAME, "k=rsa; p=unused");
    let dns = server.addr.to_string();
    let tmp = tempfile::tempdir().unwrap();
    let archive = archive_without_keys(tmp.path());
    let before = std::fs::read(&archive).unwrap();
    let missing = testdata("mail/generated/simple-simple.eml");
    // Signed with a key that is in the archive: never asked for.
    let archived = testdata("mail/generated/ed25519.eml");

    // (d) NXDOMAIN: reported, the message is key_not_found, the run succeeds.
    let out = run(&[
        &"verify",
        &"--no-bundled-keys",
        &missing,
        &archived,
        &"--keys",
        &archive,
        &"--online",
        &"--dns-server",
        &dns,
        &"--json",
    ]);
    let err = stderr(&out);
    let r = rows(&ok(out));
    assert_eq!(r[0]["verdict"], "unverified", "{err}");
    assert_eq!(r[0]["signatures"][0]["reason"], "key_not_found");
    assert_eq!(r[1]["verdict"], "verified", "{err}");
    assert!(err.contains(&format!("{UNPUBLISHED_KEY_NAME}: no key published in DNS")), "{err}");
    assert!(err.contains("keys not in the archive") && err.contains(UNPUBLISHED_KEY_NAME), "{err}");
    assert_eq!(server.asked(), [UNPUBLISHED_KEY_NAME], "only the missing key is asked for");
    assert_eq!(std::fs::read(&archive).unwrap(), before, "no record was added for a name DNS does not have");
}

#[test]
fn dns_server_without_online_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = archive_without_keys(tmp.path());
    let before = std::fs::read(&archive).unwrap();
    let gmail = testdata("mail/zobnin-2017/message.eml");

    // (e) A server with no --online: refused before anything is read or asked.
    let err =
        fails(run(&[&"verify", &"--no-bundled-keys", &gmail, &"--keys", &archive, &"--dns-server", &"127.0.0.1:53"]));
    assert!(err.contains("--dns-server 127.0.0.1:53 needs --online"), "{err}");
    assert_eq!(std::fs::read(&archive).unwrap(), before);

    // Not an address: refused by the argument parser, naming the expected form.
    let err = fails(run(&[
        &"verify",
        &"--no-bundled-keys",
        &gmail,
        &"--keys",
        &archive,
        &"--online",
        &"--dns-server",
        &"ns.example:53",
    ]));
    assert!(err.contains("is not an IP address and port"), "{err}");
}

/// A DNS server for the attacker's own domain answers with a TXT value that
/// holds a line break and, after it, a record for a name the attacker chose:
/// here the key of a message the attacker wants called verified. Nothing of
/// it may reach the archive, and the message stays unverified later.
#[test]
fn a_fetched_value_with_a_line_break_cannot_plant_a_key_for_another_name() {
    let keys = std::fs::read_to_string(testdata("mail/generated/keys.txt")).unwrap();
    let ed_line = keys.lines().find(|l| l.starts_with("ed._domainkey.leaktrace.test ")).unwrap();
    let ed_value = ed_line.split_once(' ').unwrap().1;
    let hostile_name = "s._domainkey.attacker.test";
    let server = DnsServer::start(hostile_name, &format!("{ed_value}\n{ed_line}"));
    let dns = server.addr.to_string();
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("keys.txt");
    let kept: String = keys.lines().filter(|l| !l.starts_with("ed._domainkey.")).map(|l| format!("{l}\n")).collect();
    std::fs::write(&archive, &kept).unwrap();
    // A message that makes leaktrace ask for the attacker's name.
    let bait = tmp.path().join("bait.eml");
    let unsigned = std::fs::read(testdata("mail/generated/unsigned.eml")).unwrap();
    let mut raw = b"DKIM-Signature: v=1; a=ed25519-sha256; d=attacker.test; s=s; h=from; bh=AAAA; b=AAAA\r\n".to_vec();
    raw.extend_from_slice(&unsigned);
    std::fs::write(&bait, raw).unwrap();
    let forged = testdata("mail/generated/ed25519.eml");

    let out = run(&[
        &"verify",
        &"--no-bundled-keys",
        &bait,
        &"--keys",
        &archive,
        &"--online",
        &"--dns-server",
        &dns,
        &"--json",
    ]);
    let err = stderr(&out);
    ok(out);
    assert!(server.asked().contains(&hostile_name.to_string()), "{:?}", server.asked());
    assert!(err.contains(&format!("{hostile_name}: the record from DNS server {dns} was not archived")), "{err}");
    assert!(err.contains("'\\n'"), "the reason names the line break: {err}");
    assert_eq!(std::fs::read_to_string(&archive).unwrap(), kept, "the archive is unchanged");

    // Later, offline: the message signed with the planted key is not verified.
    let out = run(&[&"verify", &"--no-bundled-keys", &forged, &"--keys", &archive, &"--json"]);
    let r = rows(&ok(out));
    assert_eq!(r[0]["verdict"], "unverified");
    assert_eq!(r[0]["signatures"][0]["reason"], "key_not_found");
}
