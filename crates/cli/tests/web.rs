//! The web UI and the report, on a case built by the real binary: every
//! page answers, escapes hostile content, serves evidence by hash only, and
//! enforces the loopback/token rules. (The headless-browser test is
//! `browser.rs`.)

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{fails, lt, ok};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use tower::ServiceExt;

/// A made-up hostile message: script in every header and the HTML body,
/// remote images, CSS url(), a refresh, a frame, a javascript: link.
const HOSTILE: &str = "From: \"<script>alert(1)</script>\" <evil@evil.example>\r\n\
To: victim@example.org\r\n\
Subject: <script>document.title='pwned'</script> invoice\r\n\
Date: Fri, 07 Oct 2016 16:32:00 -0400\r\n\
Message-ID: <hostile-1@evil.example>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/alternative; boundary=\"b1\"\r\n\
\r\n\
--b1\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Plain <script>alert(2)</script> text.\r\n\
--b1\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<html><head><meta http-equiv=\"refresh\" content=\"0;url=http://203.0.113.7/refresh\">\
<style>body{background:url(http://203.0.113.7/css)}</style></head><body>\
<p onclick=\"steal()\">Hello</p><script>fetch('http://203.0.113.7/beacon')</script>\
<img src=\"http://tracker.invalid/pixel.gif\"><a href=\"javascript:alert(3)\">click</a>\
<iframe src=\"http://203.0.113.7/frame\"></iframe></body></html>\r\n\
--b1--\r\n";

struct Fixture {
    _tmp: tempfile::TempDir,
    case: PathBuf,
}

/// The demo case plus the hostile message, built once for all tests.
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let case = tmp.path().join("case");
        ok(lt(&[&"demo", &"--case", &case, &"--no-serve", &"--quiet"]));
        let mail = tmp.path().join("hostile");
        std::fs::create_dir(&mail).unwrap();
        std::fs::write(mail.join("hostile.eml"), HOSTILE).unwrap();
        ok(lt(&[&"ingest", &case, &mail, &"--quiet"]));
        // Made-up posts whose account names and texts are markup (testdata/web/README.md).
        let posts = common::testdata("web/hostile-posts.csv");
        let map =
            "id=post_id,author=user,author_name=display_name,time=created_at,text=body,urls=urls,repost_of=repost_of";
        ok(lt(&[&"ingest", &case, &posts, &"--format", &"csv", &"--map", &map, &"--quiet"]));
        Fixture { _tmp: tmp, case }
    })
}

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Resp {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn get_with(app: Router, uri: &str, headers: &[(&str, &str)]) -> Resp {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let mut req = Request::builder().uri(uri);
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            req = req.header(header::HOST, "127.0.0.1:8080");
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = app.oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await.unwrap().to_bytes().to_vec();
        Resp { status, headers, body }
    })
}

fn router(case: &Path) -> Router {
    leaktrace_web::router(case, None).unwrap()
}

fn get(uri: &str) -> Resp {
    get_with(router(&fixture().case), uri, &[])
}

/// Our pages contain exactly one script element: our own, from /assets.
fn assert_no_foreign_script(html: &str, page: &str) {
    let lower = html.to_lowercase();
    assert_eq!(lower.matches("<script").count(), 1, "{page}: a script element besides ours");
    assert!(lower.contains("<script src=\"/assets/app.js\""), "{page}");
    // Hostile URLs may be printed as text (the email page lists them), never as attributes.
    for bad in ["=\"javascript:", "=\"http://203.0.113.7", "=\"http://tracker.invalid", " onclick=", "url(http"] {
        assert!(!lower.contains(bad), "{page}: {bad} appears in markup");
    }
}

fn email_id(subject_part: &str) -> i64 {
    let overview = get("/").text();
    let at = overview.find(subject_part).unwrap_or_else(|| panic!("{subject_part} not on the overview"));
    let link = overview[..at].rfind("href=\"/email/").unwrap();
    let rest = &overview[link + "href=\"/email/".len()..];
    rest[..rest.find('"').unwrap()].parse().unwrap()
}

#[test]
fn overview_lists_sources_with_hashes_and_verdicts() {
    let r = get("/");
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert_no_foreign_script(&html, "/");
    let csp = r.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"), "{csp}");
    assert_eq!(r.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    // Every source's SHA-256 is printed in full.
    let case = leaktrace_store::Case::open(&fixture().case).unwrap();
    for s in case.sources().unwrap() {
        assert!(html.contains(&s.sha256), "source {} hash missing", s.id);
    }
    assert!(html.contains("badge ok") && html.contains(">verified<"), "no verified badge");
    assert!(html.contains("&lt;script&gt;document.title"), "hostile subject not escaped as text");
}

#[test]
fn search_highlights_and_facets() {
    let r = get("/search?q=hurricanematthew");
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("<mark>"), "no highlight");
    assert!(html.contains("results"));
    assert!(html.contains("class=\"facets\""));
    let bad = get("/search?q=%22unbalanced");
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.text().contains("class=\"error\""), "a bad query is explained on the page");
    assert_eq!(get("/search?q=x&after=not-a-date").status, StatusCode::BAD_REQUEST);
    // Numbers from the request are bounded: a far page is refused, not
    // computed (it once made the index allocate 32 GB and abort), and one that
    // does not fit a number is refused too.
    for page in ["100000000", "500", "18446744073709551615", "99999999999999999999999", "-1"] {
        let r = get(&format!("/search?q=hurricanematthew&page={page}"));
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "page={page}");
    }
    assert_eq!(get("/search?q=hurricanematthew&page=499").status, StatusCode::OK);
}

#[test]
fn the_real_email_shows_its_verdict_forensics_and_attachment() {
    let case = leaktrace_store::Case::open(&fixture().case).unwrap();
    let real = case.messages().unwrap().into_iter().find(|m| m.verdict.as_deref() == Some("verified")).unwrap();
    let r = get(&format!("/email/{}", real.item_id));
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert_no_foreign_script(&html, "real email");
    assert!(html.contains("badge ok"));
    assert!(html.contains("gmail.com") && html.contains("20161025"), "signature details");
    // The stored verdict's reasons and the archive record it used, not a keyless re-check.
    assert!(html.contains("Key used") && html.contains("20161025._domainkey.gmail.com.txt"), "key source");
    let stored = case.message_report(real.item_id).unwrap().expect("a stored report");
    assert!(stored.contains("\"verdict\":\"verified\""), "{stored}");
    assert!(html.contains("Road-map_RUS_clean"), "attachment name");
    assert!(html.contains("mx175.mail.ru"), "Received hops");
    // No HTML part: no frame, and the body route says so.
    assert!(!html.contains("<iframe"));
    assert_eq!(get(&format!("/email/{}/body", real.item_id)).status, StatusCode::NOT_FOUND);
}

#[test]
fn a_hostile_email_is_inert() {
    let id = email_id("invoice");
    let page = get(&format!("/email/{id}"));
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert_no_foreign_script(&html, "hostile email");
    assert!(html.contains("<iframe class=\"mail\" sandbox=\"\""), "HTML body not in a sandboxed frame");
    // The URLs that were in the HTML are listed as text, for the investigator.
    assert!(html.contains("tracker.invalid/pixel.gif"));
    let body = get(&format!("/email/{id}/body"));
    assert_eq!(body.status, StatusCode::OK);
    let csp = body.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.starts_with("default-src 'none'") && csp.contains("sandbox"), "{csp}");
    assert!(!csp.contains("script-src"), "{csp}");
    let b = body.text().to_lowercase();
    for bad in ["<script", "http:", "javascript:", "onclick", "<meta http-equiv=\"refresh", "<iframe", "url("] {
        assert!(!b.contains(bad), "{bad} survived in the served body: {b}");
    }
    assert!(b.contains("hello"));
}

#[test]
fn evidence_is_served_by_hash_only_and_byte_for_byte() {
    let case = leaktrace_store::Case::open(&fixture().case).unwrap();
    let m = case.messages().unwrap().into_iter().find(|m| m.verdict.as_deref() == Some("verified")).unwrap();
    let original = std::fs::read(case.evidence_path(&m.sha256)).unwrap();
    let r = get(&format!("/evidence/{}", m.sha256));
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/plain"));
    assert_eq!(r.body, original);
    let d = get(&format!("/evidence/{}?download=1", m.sha256));
    assert_eq!(d.headers[header::CONTENT_TYPE], "application/octet-stream");
    assert!(d.headers[header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("attachment"));
    assert_eq!(hex::encode(Sha256::digest(&d.body)), m.sha256);
    for bad in [
        "/evidence/..%2F..%2Fcatalog.sqlite",
        "/evidence/../catalog.sqlite",
        "/evidence/catalog.sqlite",
        "/evidence/ABCDEF",
        &format!("/evidence/{}", m.sha256.to_uppercase()),
    ] {
        let s = get(bad).status;
        assert!(s == StatusCode::BAD_REQUEST || s == StatusCode::NOT_FOUND, "{bad}: {s}");
    }
    // A well-formed hash the catalog does not list is not served, even if a file existed.
    assert_eq!(get(&format!("/evidence/{}", "0".repeat(64))).status, StatusCode::NOT_FOUND);
}

#[test]
fn account_pages_show_activity_and_partners() {
    let r = get("/account/bigboysneed");
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert_no_foreign_script(&html, "account");
    assert!(html.contains("<svg class=\"chart\""), "activity chart");
    assert!(html.contains("Coordination partners") && html.contains("/edge?run="), "partners with evidence links");
    assert!(html.contains("LeftTroll"), "account label");
    assert!(html.contains("Latest posts"));
    // Handles are case-insensitive; unknown accounts are a 404.
    assert_eq!(get("/account/BigBoysNeed").status, StatusCode::OK);
    assert_eq!(get("/account/%3Cscript%3E").status, StatusCode::NOT_FOUND);
    assert!(!get("/account/%3Cscript%3E").text().contains("<script>"));
}

#[test]
fn accounts_named_with_markup_keep_their_posts() {
    // The key has a double quote: the search for its posts must escape it, not drop it.
    let r = get("/account/%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert%282%29%3E");
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert_no_foreign_script(&html, "hostile account");
    assert!(!html.contains("<img src=x"), "the name is printed as text");
    assert_eq!(html.matches("class=\"hit\"").count(), 3, "its three posts are listed");
    // The account facet links of a search find the same posts.
    let s = get("/search?q=hostilemarker").text();
    let facet = "account%3A%22%5C%22%3E%3Cimg";
    assert!(s.contains(facet), "facet link escapes the quote");
    let at = s.find(facet).unwrap();
    let href = &s[s[..at].rfind("href=\"").unwrap() + 6..];
    let href = href[..href.find('"').unwrap()].replace("&amp;", "&");
    let found = get(&href).text();
    assert!(found.contains("<strong>3</strong> results"), "{href}");
}

#[test]
fn network_and_timeline_pages_answer() {
    let n = get("/network");
    assert_eq!(n.status, StatusCode::OK);
    assert_no_foreign_script(&n.text(), "network");
    let t = get("/timeline?object=%23hurricanematthew");
    assert_eq!(t.status, StatusCode::OK);
    let html = t.text();
    assert_no_foreign_script(&html, "timeline");
    assert!(html.contains("Accounts in order") && html.contains("path class=\"line\""), "cascade");
    assert!(html.contains("invoice"), "emails are events on the axis");
    // The demo's declared release and who amplified it.
    assert!(html.contains("WikiLeaks publishes The Podesta Emails (part 1)"), "declared release");
    assert!(html.contains("Amplification of the declared events") && html.contains("prettylaraplace"), "amplification");
    // What each cluster is about.
    let n = n.text();
    assert!(n.contains("Monroe et al. 2008") && n.contains("nowplaying"), "cluster profiles");
    assert_eq!(get("/nowhere").status, StatusCode::NOT_FOUND);
    assert_eq!(get("/assets/app.css").status, StatusCode::OK);
    assert_eq!(get("/assets/../catalog.sqlite").status, StatusCode::NOT_FOUND);
}

#[test]
fn only_localhost_names_are_answered_without_a_token() {
    let app = router(&fixture().case);
    assert_eq!(get_with(app.clone(), "/", &[("host", "evil.example:8080")]).status, StatusCode::FORBIDDEN);
    assert_eq!(get_with(app, "/", &[("host", "localhost:8080")]).status, StatusCode::OK);
}

#[test]
fn with_a_token_every_request_must_carry_it() {
    let token = "0123456789abcdef0123";
    let app = leaktrace_web::router(&fixture().case, Some(token.into())).unwrap();
    assert_eq!(get_with(app.clone(), "/", &[]).status, StatusCode::UNAUTHORIZED);
    assert_eq!(get_with(app.clone(), "/?token=wrong", &[]).status, StatusCode::UNAUTHORIZED);
    assert_eq!(get_with(app.clone(), "/assets/app.css", &[]).status, StatusCode::UNAUTHORIZED);
    let first = get_with(app.clone(), &format!("/?token={token}"), &[]);
    assert_eq!(first.status, StatusCode::OK);
    let cookie = first.headers[header::SET_COOKIE].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let pair = cookie.split(';').next().unwrap();
    assert_eq!(get_with(app.clone(), "/search", &[("cookie", pair)]).status, StatusCode::OK);
    let bearer = format!("Bearer {token}");
    assert_eq!(get_with(app.clone(), "/", &[("authorization", &bearer)]).status, StatusCode::OK);
    // A stale cookie from an earlier server does not beat a correct ?token=,
    // which then replaces it; a wrong cookie alone is still refused.
    let stale = "leaktrace_token=an-old-token-of-another-server";
    assert_eq!(get_with(app.clone(), "/", &[("cookie", stale)]).status, StatusCode::UNAUTHORIZED);
    let fresh = get_with(app, &format!("/?token={token}"), &[("cookie", stale)]);
    assert_eq!(fresh.status, StatusCode::OK);
    assert!(fresh.headers[header::SET_COOKIE].to_str().unwrap().starts_with(pair), "the cookie is replaced");
}

#[test]
fn serve_refuses_other_addresses_without_a_token() {
    let err = fails(lt(&[&"serve", &fixture().case, &"--bind", &"0.0.0.0:0"]));
    assert!(err.contains("--token"), "{err}");
    let mut c = common::command();
    c.env("LEAKTRACE_TOKEN", "short").arg("serve").arg(&fixture().case).args(["--bind", "0.0.0.0:0"]);
    let err = fails(c.output().unwrap());
    assert!(err.contains("16 characters"), "{err}");
}

#[test]
fn the_report_is_one_self_contained_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("report.html");
    ok(lt(&[&"report", &fixture().case, &"--out", &out]));
    let html = std::fs::read_to_string(&out).unwrap();
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script"), "the report needs no script");
    for attr in ["src=", "href=", "@import", "url("] {
        assert!(!lower.contains(attr), "the report refers to something outside it ({attr})");
    }
    let case = leaktrace_store::Case::open(&fixture().case).unwrap();
    for s in case.sources().unwrap() {
        assert!(html.contains(&s.sha256), "source {} hash missing", s.id);
    }
    assert!(html.contains("Cluster 0") && html.contains("LeftTroll"), "clusters with labels");
    assert!(html.contains("badge ok"), "verification");
    assert!(html.contains("<svg class=\"chart\""), "timeline chart");
    assert!(html.contains("&lt;script&gt;"), "hostile text printed as text");
    assert!(html.contains("Amplification of the declared events"), "the release's amplification");
    assert!(html.contains("Its accounts' posts"), "cluster profiles");
}

#[test]
fn edges_show_their_p_values_symmetry_and_fast_weight() {
    let case = &fixture().case;
    let v: serde_json::Value = serde_json::from_str(&ok(lt(&[
        &"coord",
        case,
        &"--network",
        &"co-retweet",
        &"--window",
        &"10m",
        &"--significance",
        &"0.05",
        &"--fast-window",
        &"60",
        &"--json",
    ])))
    .unwrap();
    let run = v["run"].as_i64().unwrap();
    let e = get(&format!("/edge?run={run}&a=bigboysneed&b=brentmcclure275"));
    assert_eq!(e.status, StatusCode::OK, "{}", e.text());
    let html = e.text();
    for column in ["p-value", "q-value", "Symmetry", "Fast weight"] {
        assert!(html.contains(column), "{column} missing");
    }
    assert!(html.contains("swap</strong> null model"), "the null model is named");
}

/// Kills the server when the test ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// GET over a plain socket, as a browser on this machine would.
fn http_get(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut s = std::net::TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(60))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn demo_serves_its_case_and_prints_the_url_on_a_line_of_its_own() {
    use std::io::BufRead;
    let tmp = tempfile::tempdir().unwrap();
    let case = tmp.path().join("democase");
    let mut cmd = common::command();
    cmd.args(["demo", "--quiet", "--bind", "127.0.0.1:0", "--case"]).arg(&case);
    let mut child =
        Child(cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::null()).spawn().unwrap());
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.starts_with("http://") {
                let _ = tx.send(line);
                return;
            }
        }
    });
    let url = rx.recv_timeout(std::time::Duration::from_secs(300)).expect("the demo printed no URL");
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with('/'), "{url}");
    let page = http_get(&url);
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("Case democase"), "the overview of the demo case");
    let search = http_get(&format!("{url}search?q=hurricanematthew"));
    assert!(search.starts_with("HTTP/1.1 200") && search.contains("<mark>"), "the demo case is searchable");
}

/// A client that opens a connection and never finishes its request header is
/// cut off after the header-read timeout; the server goes on answering others.
#[test]
fn a_connection_that_never_sends_its_header_is_closed() {
    use std::io::{BufRead, Read, Write};
    let mut cmd = common::command();
    cmd.args(["serve", "--bind", "127.0.0.1:0"]).arg(&fixture().case);
    let mut child =
        Child(cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::null()).spawn().unwrap());
    let mut stdout = std::io::BufReader::new(child.0.stdout.take().unwrap());
    let url = loop {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "serve printed no URL");
        if let Some(at) = line.find("http://") {
            break line[at..].trim().to_string();
        }
    };
    let host = url.strip_prefix("http://").unwrap().trim_end_matches('/').to_string();
    let started = std::time::Instant::now();
    let mut idle = std::net::TcpStream::connect(&host).unwrap();
    idle.set_read_timeout(Some(std::time::Duration::from_secs(60))).unwrap();
    idle.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n").unwrap();
    // Others are served meanwhile.
    assert!(http_get(&url).starts_with("HTTP/1.1 200"));
    let mut rest = Vec::new();
    let _ = idle.read_to_end(&mut rest);
    let waited = started.elapsed().as_secs_f64();
    assert!(waited < 30.0, "the half-sent request was held {waited} s");
    assert!(!String::from_utf8_lossy(&rest).contains("200 OK"), "no page for a header never finished");
}

/// The email page and the report say, in words a reporter can quote, where
/// a key from the bundled archive comes from, and what `consistent` means.
#[test]
fn the_email_page_and_report_explain_bundled_keys_and_consistent() {
    let tmp = tempfile::tempdir().unwrap();
    let case = tmp.path().join("case");
    ok(lt(&[&"case", &"init", &case]));
    ok(lt(&[&"ingest", &case, &common::testdata("mail/zobnin-2017/message.eml"), &"--quiet"]));
    let page_and_report = || {
        let store = leaktrace_store::Case::open(&case).unwrap();
        let id = store.messages().unwrap()[0].item_id;
        let r = get_with(router(&case), &format!("/email/{id}"), &[]);
        assert_eq!(r.status, StatusCode::OK);
        let out = tmp.path().join("report.html");
        ok(lt(&[&"report", &case, &"--out", &out]));
        (r.text(), std::fs::read_to_string(&out).unwrap())
    };
    let recovered_words =
        "proves that the signatures are consistent with one key, not that the key belonged to the domain";

    // No --keys: Gmail's key from the bundled archive, with its source.
    ok(lt(&[&"verify", &case, &"--quiet"]));
    let (page, report) = page_and_report();
    assert!(page.contains("badge ok"), "verified");
    assert!(page.contains("Where the key comes from"), "{page}");
    assert!(page.contains("a copy of a key the provider once published in DNS, taken from the public source named"));
    assert!(page.contains("bundled archive (source: https://github.com/"), "the source is named");
    assert!(!page.contains(recovered_words), "no consistent verdict here");
    assert!(report.contains("bundled archive</h3>"), "the report lists bundled keys");
    assert!(report.contains("20161025._domainkey.gmail.com: bundled archive (source: https://github.com/"), "{report}");
    assert!(report.contains(recovered_words), "the legend says what consistent means");

    // The same key as if recovered from the leak, no independent record: consistent.
    let modulus = leaktrace_verify::keys::bundled::archive().lookup("20161025", "gmail.com")[0].rsa_modulus().unwrap();
    let recovered = tmp.path().join("recovered.txt");
    let record = leaktrace_verify::recover::record_for_modulus(&modulus).unwrap();
    std::fs::write(&recovered, format!("20161025._domainkey.gmail.com {record}\n")).unwrap();
    ok(lt(&[&"verify", &case, &"--keys", &recovered, &"--no-bundled-keys", &"--quiet"]));
    let (page, report) = page_and_report();
    assert!(page.contains("key recovered from the leak, not proof"), "the badge");
    assert!(page.contains("What “consistent” means: </strong>"), "{page}");
    assert!(page.contains(recovered_words), "{page}");
    assert!(!page.contains("Where the key comes from"), "not a bundled key");
    assert!(!report.contains("bundled archive</h3>"), "no bundled key used now");
    assert!(report.contains("key recovered from the leak, not proof"), "the badge in the report");
}
