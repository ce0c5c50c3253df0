//! `leaktrace serve` in a real browser: headless Chromium, driven over
//! WebDriver (chromedriver and fantoccini), loads every page of a case that
//! holds the demo data plus a hostile email and hostile posts
//! (testdata/web/), and checks that no script from the evidence runs and
//! that nothing is fetched from anywhere but the server itself.
//!
//! Three things would show a script or a remote load that got through:
//! - Chromium's proxy is a recorder run by this test: every request for a
//!   host other than loopback goes there (and is answered 502), so nothing
//!   leaves the machine and every attempt is seen;
//! - a loopback "canary" listener: the fixtures' scripts and URLs name it
//!   (loopback bypasses the proxy), as `127.0.0.1:CANARY_PORT`;
//! - on each page, the title, the DOM (no element with an `on*` attribute,
//!   no script but ours, no URL to another origin) and the resource timing
//!   list (everything loaded came from the server).
//!
//! Both listeners, and the DOM inspection, are first checked to catch what
//! they are meant to catch, so that silence means something. Chromium's own
//! calls home are turned off by flags or sent to a third loopback listener
//! (only reported); see `capabilities` and `chromium_own`.
//!
//! Needs Debian's `chromium` and `chromium-driver`; ignored by default,
//! `.ci/run` runs it with `cargo test -p leaktrace --test browser -- --ignored`.
//! Screenshots of every page are written to target/browser-screenshots/.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

mod common;

use common::{lt, ok, testdata};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The whole browser part; a hung browser fails the test instead of hanging CI.
const DEADLINE: Duration = Duration::from_secs(300);
/// What the fixtures' scripts set the title to.
const PWNED: &str = "PWNED";

/// The account keys in testdata/web/hostile-posts.csv.
const HOSTILE_ACCOUNTS: [&str; 4] = [
    "<script>alert('acct')</script>",
    "\"><img src=x onerror=alert(2)>",
    "javascript:alert(3)",
    "hostile_demo'\"><svg onload=alert(4)>",
];
const POSTS_MAP: &str =
    "id=post_id,author=user,author_name=display_name,time=created_at,text=body,urls=urls,repost_of=repost_of";

/// A process this test started, ended when the test ends however it ends.
/// With `group`, the process leads its own process group, and everything
/// it started (chromedriver's Chromium) is ended too.
struct Proc {
    child: Child,
    group: bool,
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.group {
            for pid in descendants(self.child.id()) {
                let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).stderr(Stdio::null()).status();
            }
            let group = format!("-{}", self.child.id());
            let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The processes below `pid` (children, grandchildren, ...), from /proc.
fn descendants(pid: u32) -> Vec<u32> {
    let mut parent_of = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(p) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else { continue };
        // pid (comm) state ppid ...: comm may hold spaces and parentheses.
        let Some(after) = stat.rsplit_once(')').map(|(_, a)| a) else { continue };
        if let Some(ppid) = after.split_whitespace().nth(1).and_then(|s| s.parse::<u32>().ok()) {
            parent_of.push((p, ppid));
        }
    }
    let mut out = vec![];
    let mut frontier = vec![pid];
    while let Some(q) = frontier.pop() {
        for &(p, pp) in &parent_of {
            if pp == q && !out.contains(&p) {
                out.push(p);
                frontier.push(p);
            }
        }
    }
    out
}

/// What a recorder writes down for a connection until (unless) a request comes on it.
const NOTHING_SENT: &str = "(a connection that sent nothing)";

/// A listener on loopback that writes down the first line of every request
/// it gets (or that a connection sent nothing) and answers `reply`.
#[derive(Clone)]
struct Recorder {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    fn start(reply: &'static str) -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a recorder");
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let log = log.clone();
                // Written down at once: a connection that never sends a request counts too.
                let slot = {
                    let mut v = log.lock().unwrap();
                    v.push(NOTHING_SENT.to_string());
                    v.len() - 1
                };
                thread::spawn(move || {
                    let line = first_line(&conn);
                    if !line.is_empty() {
                        let mut v = log.lock().unwrap();
                        if let Some(s) = v.get_mut(slot) {
                            *s = line;
                        } else {
                            v.push(line);
                        }
                    }
                    let _ = (&conn).write_all(reply.as_bytes());
                });
            }
        });
        Recorder { port, seen }
    }

    /// What it saw so far; it starts over.
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

/// The request line of a request (read until the end of its headers).
fn first_line(mut conn: &TcpStream) -> String {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 65536 {
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    match buf.first() {
        None => String::new(),
        Some(0x16) => format!("(a TLS handshake, {} bytes: HTTPS straight to this port)", buf.len()),
        Some(_) => {
            let line = String::from_utf8_lossy(&buf).lines().next().unwrap_or("").to_string();
            line.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A raw HTTP/1.1 GET, path sent exactly as given (no client normalises
/// `..` away): status, header block (lower-case), body.
fn http_get(port: u16, path: &str, host: &str) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to the server");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).expect("read the answer");
    let end = resp.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP answer") + 4;
    let head = String::from_utf8_lossy(&resp[..end]).to_lowercase();
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("a status code");
    (status, head, resp[end..].to_vec())
}

/// The service hosts Chromium calls on its own (sign-in, push messaging,
/// component updates, the default search engine's preconnect; which ones
/// depends on the build and version) whatever page is open.
const CHROMIUM_SERVICE_DOMAINS: [&str; 7] =
    ["google.com", "googleapis.com", "gstatic.com", "gvt1.com", "gvt2.com", "duckduckgo.com", "bing.com"];

/// A request Chromium makes on its own from time to time, to one of
/// [`CHROMIUM_SERVICE_DOMAINS`], that the flags did not stop or redirect:
/// TLS (`CONNECT host:443`) or plain HTTP (`POST http://host/...`, as the
/// component updater does). No page or fixture names such a host (checked
/// by [`fixtures_name_no_chromium_service_host`]), so it cannot be a page's
/// doing; it is shown, not counted. Also a connection to the proxy that
/// sent nothing at all: it names no host and carries no byte anywhere
/// (Chromium 156 opens idle connections to its proxy ahead of use, before
/// any page is loaded). Anything else the proxy sees, and anything at all
/// the canary sees, fails the test.
fn chromium_own(who: &str, line: &str) -> bool {
    if who.starts_with("proxy") && line == NOTHING_SENT {
        return true;
    }
    let host = if let Some(rest) = line.strip_prefix("CONNECT ") {
        rest.split([':', ' ']).next()
    } else {
        line.split(' ').nth(1).and_then(|u| u.strip_prefix("http://")).and_then(|r| r.split(['/', ':', '?']).next())
    };
    let Some(host) = host.map(str::to_ascii_lowercase) else { return false };
    who.starts_with("proxy") && CHROMIUM_SERVICE_DOMAINS.iter().any(|d| host == *d || host.ends_with(&format!(".{d}")))
}

#[test]
fn fixtures_name_no_chromium_service_host() {
    // What makes a request to these hosts Chromium's own: nothing we serve names them.
    for name in ["hostile.eml", "hostile-posts.csv"] {
        let text = std::fs::read_to_string(testdata(&format!("web/{name}"))).unwrap().to_ascii_lowercase();
        for d in CHROMIUM_SERVICE_DOMAINS {
            assert!(!text.contains(d), "the fixture {name} names {d}: a request to it would be excused");
        }
    }
    assert!(chromium_own("proxy", "CONNECT start.duckduckgo.com:443 HTTP/1.1"));
    assert!(chromium_own("proxy", "POST http://update.googleapis.com/service/update2/json?x=1 HTTP/1.1"));
    assert!(!chromium_own("proxy", "GET http://tracker.invalid/google.com HTTP/1.1"));
    assert!(!chromium_own("proxy", "CONNECT notgoogle.com:443 HTTP/1.1"));
    assert!(!chromium_own("loopback canary", "CONNECT www.google.com:443 HTTP/1.1"));
}

/// Percent-encode a path segment or query value (as the pages do).
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Copy a fixture, naming the loopback canary's port.
fn fixture_with_canary(name: &str, to: &Path, canary: u16) {
    let text = std::fs::read_to_string(testdata(&format!("web/{name}"))).unwrap();
    assert!(text.contains("CANARY_PORT"), "{name} names no loopback canary");
    std::fs::write(to, text.replace("CANARY_PORT", &canary.to_string())).unwrap();
}

/// The demo case plus the hostile email and posts, clustered.
fn build_case(tmp: &Path, canary: u16) -> PathBuf {
    let case = tmp.join("case");
    ok(lt(&[&"demo", &"--case", &case, &"--no-serve", &"-q"]));
    let mail = tmp.join("mail");
    std::fs::create_dir(&mail).unwrap();
    fixture_with_canary("hostile.eml", &mail.join("hostile.eml"), canary);
    let posts = tmp.join("hostile-posts.csv");
    fixture_with_canary("hostile-posts.csv", &posts, canary);
    ok(lt(&[&"ingest", &case, &mail, &"-q"]));
    ok(lt(&[&"ingest", &case, &posts, &"-q", &"--format", &"csv", &"--map", &POSTS_MAP]));
    ok(lt(&[&"clusters", &case, &"--network", &"co-retweet", &"--window", &"10m"]));
    case
}

/// `leaktrace serve CASE --bind 127.0.0.1:0` and the URL it printed.
fn serve(case: &Path, log: &Path) -> (Proc, String) {
    let mut child = common::command()
        .args(["serve".as_ref(), case.as_os_str(), "--bind".as_ref(), "127.0.0.1:0".as_ref()])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("start leaktrace serve");
    let stdout = child.stdout.take().unwrap();
    let proc_ = Proc { child, group: false };
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.starts_with("http://") {
                let _ = tx.send(line);
            }
        }
    });
    let url = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|_| {
        panic!("leaktrace serve printed no URL in 30 s; its stderr:\n{}", std::fs::read_to_string(log).unwrap())
    });
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with('/'), "unexpected URL {url:?}");
    (proc_, url)
}

/// chromedriver on a free port, once it answers.
fn chromedriver(log: &Path) -> (Proc, u16) {
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .arg(format!("--log-path={}", log.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"));
    let p = Proc { child, group: true };
    let t0 = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(t0.elapsed() < Duration::from_secs(30), "chromedriver did not listen on port {port} within 30 s");
        thread::sleep(Duration::from_millis(50));
    }
    (p, port)
}

fn capabilities(proxy: u16, sink: u16, profile: &Path) -> serde_json::Map<String, Value> {
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        // Chromium's own calls home (network time, sign-in, search preconnects, ...): off, so that
        // the proxy hears only what the pages ask for.
        "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter,Translate,\
         AutofillServerCommunication,PreconnectToSearch,InterestFeedContentSuggestions,DialMediaRouteProvider,\
         NewTabPagePrefetch,NewTabPageTriggerForPrefetch,NtpOneGoogleBar,NtpLogo,NtpMiddleSlotPromo,\
         AimEnabled,AimServerEligibilityEnabled,AimEligibilityService,NtpAnimatedDoodles,NtpDoodleMurals",
        // What is left of them (the account list at start, the doodle) goes to a loopback sink.
        &format!("--gaia-url=http://127.0.0.1:{sink}"),
        &format!("--google-base-url=http://127.0.0.1:{sink}"),
        &format!("--google-apis-url=http://127.0.0.1:{sink}"),
        &format!("--lso-url=http://127.0.0.1:{sink}"),
        &format!("--gcm-checkin-url=http://127.0.0.1:{sink}/checkin"),
        &format!("--gcm-registration-url=http://127.0.0.1:{sink}/register"),
        &format!("--gcm-mcs-endpoint=http://127.0.0.1:{sink}"),
        &format!("--variations-server-url=http://127.0.0.1:{sink}/variations"),
        "--disable-domain-reliability",
        "--disable-breakpad",
        "--no-pings",
        "--metrics-recording-only",
        "--safebrowsing-disable-auto-update",
        "--disable-client-side-phishing-detection",
        "--disable-default-apps",
        "--disable-extensions",
        "--window-size=1280,1000",
        &format!("--user-data-dir={}", profile.display()),
        // Every request for a host other than loopback goes to the recorder; loopback bypasses it.
        &format!("--proxy-server=http://127.0.0.1:{proxy}"),
        // And no name is looked up anywhere.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    ]
    .map(String::from);
    match json!({
        "browserName": "chrome",
        "pageLoadStrategy": "normal",
        "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
    }) {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

/// Finds every trace of hostile markup in the live DOM: event-handler
/// attributes, scripts other than ours, elements that load or navigate to
/// another origin or a javascript:/data: URL, and the resources the page
/// actually loaded from elsewhere. Also the title and our script's marker.
const INSPECT: &str = r#"
const bad = [];
const own = location.origin;
const urlAttrs = ["src", "href", "xlink:href", "action", "formaction", "srcset", "poster", "data", "background",
                  "ping", "cite", "longdesc", "manifest", "codebase", "archive", "lowsrc", "dynsrc"];
const describe = (el) => "<" + el.tagName.toLowerCase() + ">";
const visit = (doc) => {
  for (const el of doc.querySelectorAll("*")) {
    for (const name of el.getAttributeNames()) {
      const v = el.getAttribute(name);
      if (name.toLowerCase().startsWith("on")) bad.push(describe(el) + " " + name + "=" + v.slice(0, 80));
      if (!urlAttrs.includes(name.toLowerCase())) continue;
      for (const part of (name === "srcset" ? v.split(",") : [v])) {
        const raw = part.trim().split(/\s+/)[0];
        if (!raw) continue;
        let u;
        try { u = new URL(raw, doc.baseURI); } catch (e) { bad.push(describe(el) + " unparsable " + name); continue; }
        if (u.origin !== own) bad.push(describe(el) + " " + name + "=" + raw.slice(0, 120));
      }
    }
    const tag = el.tagName.toLowerCase();
    if (["base", "object", "embed", "applet", "frame", "frameset", "portal"].includes(tag)) bad.push(describe(el));
    if (tag === "meta" && el.hasAttribute("http-equiv")) bad.push("<meta http-equiv=" + el.getAttribute("http-equiv") + ">");
    if (tag === "script" && el.getAttribute("src") !== "/assets/app.js") bad.push("script " + (el.getAttribute("src") || el.textContent.slice(0, 80)));
    if (tag === "link" && !(el.getAttribute("rel") === "stylesheet" && el.getAttribute("href") === "/assets/app.css")) bad.push("link " + el.outerHTML.slice(0, 120));
    if (tag === "iframe" && !(el.classList.contains("mail") && el.getAttribute("sandbox") === "")) bad.push("iframe " + el.outerHTML.slice(0, 120));
  }
};
visit(document);
const foreign = performance.getEntriesByType("resource").map((e) => e.name).filter((n) => new URL(n).origin !== own);
return {
  title: document.title,
  href: location.href,
  js: document.documentElement.dataset.js || null,
  pwned: document.documentElement.dataset.pwned || null,
  text: document.body ? document.body.innerText : "",
  bad: bad.slice(0, 30),
  foreign: foreign,
};
"#;

/// What one page must show.
struct Expect<'a> {
    /// Our own page (shell, app.js), not leaked bytes served raw.
    app: bool,
    selectors: &'a [&'a str],
    /// Text the page must show as text (escaped, not dropped).
    texts: &'a [&'a str],
}

const APP: Expect = Expect { app: true, selectors: &["h1"], texts: &[] };

struct Browser {
    c: Client,
    base: String,
    shots: PathBuf,
    n: usize,
    proxy: Recorder,
    canary: Recorder,
    /// Requests seen by the recorders, by the page that was open.
    leaks: Vec<(String, &'static str, String)>,
    /// Chromium's own requests that reached the proxy.
    notes: Vec<String>,
}

impl Browser {
    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path.trim_start_matches('/'))
    }

    async fn inspect(&self, path: &str) -> Value {
        self.c.execute(INSPECT, vec![]).await.unwrap_or_else(|e| panic!("{path}: inspecting the page: {e}"))
    }

    /// Load a page, check it, screenshot it; the inspection result back.
    async fn visit(&mut self, label: &str, path: &str, want: &Expect<'_>) -> Value {
        let url = self.url(path);
        if let Err(e) = self.c.goto(&url).await {
            let alert = self.c.get_alert_text().await.ok();
            panic!("{path}: loading failed: {e} (alert open: {alert:?})");
        }
        self.no_alert(path).await;
        if want.app {
            // Our own script ran (and so scripts run here at all: the checks below mean something).
            self.c
                .wait()
                .at_most(Duration::from_secs(10))
                .for_element(Locator::Css("html[data-js=ready]"))
                .await
                .unwrap_or_else(|e| panic!("{path}: app.js did not mark the page ready: {e}"));
        }
        for sel in want.selectors {
            self.c.find(Locator::Css(sel)).await.unwrap_or_else(|e| panic!("{path}: no {sel}: {e}"));
        }
        // Give a stray timer, fetch or refresh a moment to happen.
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.no_alert(path).await;
        let v = self.inspect(path).await;
        let title = v["title"].as_str().unwrap_or_default();
        assert_ne!(title, PWNED, "{path}: a script from the evidence set the title");
        assert!(v["pwned"].is_null(), "{path}: a script from the evidence ran");
        assert_eq!(v["href"].as_str(), Some(url.as_str()), "{path}: the page navigated away");
        if want.app {
            assert!(title.ends_with(" · leaktrace"), "{path}: title is not ours: {title:?}");
            assert_eq!(v["js"].as_str(), Some("ready"), "{path}: app.js marker");
        }
        let bad: Vec<&str> = v["bad"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert!(bad.is_empty(), "{path}: hostile markup is live in the page:\n  {}", bad.join("\n  "));
        assert_eq!(v["foreign"], json!([]), "{path}: the page loaded resources from another origin");
        let text = v["text"].as_str().unwrap_or_default();
        for t in want.texts {
            assert!(text.contains(t), "{path}: the page does not show {t:?} as text");
        }
        self.screenshot(label, path).await;
        self.collect(path);
        v
    }

    async fn no_alert(&self, path: &str) {
        match self.c.get_alert_text().await {
            Ok(text) => panic!("{path}: an alert fired: {text:?}"),
            Err(e) if e.is_no_such_alert() => {}
            Err(e) => panic!("{path}: asking for an alert: {e}"),
        }
    }

    async fn screenshot(&mut self, label: &str, path: &str) {
        let png = self.c.screenshot().await.unwrap_or_else(|e| panic!("{path}: screenshot: {e}"));
        assert!(png.len() > 1000 && png.starts_with(b"\x89PNG\r\n\x1a\n"), "{path}: screenshot is not a PNG");
        self.n += 1;
        std::fs::write(self.shots.join(format!("{:02}-{label}.png", self.n)), png).unwrap();
    }

    /// See [`chromium_own`]; such requests are kept as notes.
    fn chromium_own(&mut self, who: &str, line: &str) -> bool {
        let own = chromium_own(who, line);
        if own {
            self.notes.push(line.to_string());
        }
        own
    }

    /// Move what the recorders saw into `leaks`, blamed on `path`.
    fn collect(&mut self, path: &str) {
        for (who, r) in [("proxy (left loopback)", &self.proxy), ("loopback canary", &self.canary)] {
            for line in r.take() {
                self.leaks.push((path.to_string(), who, line));
            }
        }
    }

    async fn links(&self, css: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for a in self.c.find_all(Locator::Css(css)).await.unwrap() {
            let text = a.text().await.unwrap();
            if let Some(href) = a.attr("href").await.unwrap() {
                out.push((text, href));
            }
        }
        out
    }
}

/// The browser alone (no page of ours) must make no request through the
/// proxy; then a request for each listener must be seen by it: the
/// recorders work, and Chromium does send other hosts' requests to the proxy.
async fn self_test(b: &mut Browser) {
    tokio::time::sleep(Duration::from_secs(2)).await;
    let at_start: Vec<String> = b.proxy.take().into_iter().filter(|l| !b.chromium_own("proxy", l)).collect();
    assert!(at_start.is_empty(), "Chromium's own requests at start (a flag is missing?): {at_start:?}");
    // The canary serves a page; from it, a fetch for another host must reach the proxy.
    let canary_page = format!("http://127.0.0.1:{}/canary-self-test", b.canary.port);
    b.c.goto(&canary_page).await.unwrap();
    b.c.execute("fetch('http://tracker.invalid/proxy-self-test', {mode: 'no-cors'}).catch(() => 0)", vec![])
        .await
        .unwrap();
    for (r, what, mark) in
        [(&b.proxy, "the recording proxy", "proxy-self-test"), (&b.canary, "the loopback canary", "canary-self-test")]
    {
        let t0 = Instant::now();
        loop {
            let seen = r.seen.lock().unwrap().clone();
            if seen.iter().any(|l| l.contains(mark)) {
                break;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "{what} did not see its self-test request; it saw {seen:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // The page inspection finds markup that would be live: put some in the canary's page.
    b.c.execute(
        "document.body.innerHTML = '<img src=\"data:,\" onerror=\"void 0\"><a href=\"javascript:void 0\">x</a>'",
        vec![],
    )
    .await
    .unwrap();
    let v = b.inspect("the canary page").await;
    let found = v["bad"].as_array().map_or(0, Vec::len);
    assert!(found >= 3, "the inspection missed live markup (onerror, a data: src, a javascript: href): {v}");
    b.c.goto("about:blank").await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (p, c) = (b.proxy.take(), b.canary.take());
    let p: Vec<String> = p.into_iter().filter(|l| !b.chromium_own("proxy", l)).collect();
    // Besides the two requests: the favicon of the canary's page, and spare connections Chromium
    // opens to the origins it just used (they carry nothing).
    let stray: Vec<&String> = p
        .iter()
        .chain(&c)
        .filter(|l| !l.contains("-self-test") && !l.starts_with("GET /favicon.ico ") && *l != NOTHING_SENT)
        .collect();
    assert!(stray.is_empty(), "unexpected requests during the self-test: {stray:?}");
}

async fn pages(b: &mut Browser) {
    self_test(b).await;

    // The overview: find the two emails.
    b.visit("overview", "/", &Expect { selectors: &["h1", "table.sources", "a[href^='/email/']"], ..APP }).await;
    let emails = b.links("a[href^='/email/']").await;
    let hostile_email =
        emails.iter().find(|(t, _)| t.contains("hostilemail")).expect("the hostile email is listed").1.clone();
    let real_email =
        emails.iter().find(|(t, _)| !t.contains("hostilemail")).expect("the demo's email is listed").1.clone();
    let last_run = b
        .links("a[href^='/network?run=']")
        .await
        .iter()
        .filter_map(|(_, h)| h.trim_start_matches("/network?run=").parse::<i64>().ok())
        .max()
        .expect("the overview links the clustering runs");

    // Search: hostile posts, hostile email, and a demo account to visit.
    let v = b
        .visit(
            "search-posts",
            "/search?q=hostilemarker",
            &Expect { selectors: &["h1", ".hit", "a.account"], texts: &["<script>", "onerror="], ..APP },
        )
        .await;
    assert!(v["text"].as_str().unwrap().contains(HOSTILE_ACCOUNTS[0]), "hostile account names shown as text");
    let accounts: BTreeMap<String, String> = b.links("a.account").await.into_iter().collect();
    b.visit(
        "search-email",
        "/search?q=hostilemail",
        &Expect { selectors: &["h1", ".hit"], texts: &["<script>"], ..APP },
    )
    .await;
    b.visit(
        "search-demo",
        "/search?q=label%3Aaccount_category%3DLeftTroll",
        &Expect { selectors: &["h1", "a.account"], ..APP },
    )
    .await;
    let demo_account = b.links("a.account").await.into_iter().next().expect("a demo account").1;

    // The hostile email: escaped headers, the sandboxed body, the original as text.
    let path = hostile_email.clone();
    b.visit(
        "email-hostile",
        &path,
        &Expect {
            selectors: &["h1", "h1 .badge", "iframe.mail[sandbox='']", "table.headers"],
            // Markup shown as text; the URLs of the HTML body listed, not loaded.
            texts: &[
                "<script>document.title='PWNED'",
                "X-Hostile-Long",
                "http://tracker.invalid/pixel.gif",
                "JaVaScRiPt:alert(4)",
            ],
            ..APP
        },
    )
    .await;
    let frame_src = b.c.find(Locator::Css("iframe.mail")).await.unwrap().attr("src").await.unwrap();
    assert_eq!(frame_src.as_deref(), Some(format!("{path}/body").as_str()));
    let evidence = b.links("a[href^='/evidence/']").await;
    // Inside the sandboxed frame (a unique origin with scripts off): the sanitised body.
    b.c.enter_frame(0).await.expect("enter the mail frame");
    let inner = b.c.find(Locator::Css("h1")).await.expect("the HTML body's heading in the frame").text().await.unwrap();
    assert_eq!(inner, "Invoice hostilemail");
    let v = b.inspect(&format!("{path} (in the mail frame)")).await;
    assert_eq!(v["bad"], json!([]), "{path}: live markup in the mail frame");
    assert_eq!(v["foreign"], json!([]), "{path}: the mail frame loaded resources");
    b.c.enter_parent_frame().await.unwrap();
    b.collect(&path);

    b.visit("email-real", &real_email, &Expect { selectors: &["h1", "h1 .badge.ok", "table.headers"], ..APP }).await;

    // The body on its own, as a tab opened on the frame would show it.
    let body = format!("{hostile_email}/body");
    b.visit("email-body", &body, &Expect { app: false, selectors: &["h1"], texts: &["Invoice hostilemail"] }).await;
    b.no_alert(&body).await;

    // The original bytes and the HTML attachment, as text.
    let mut views: Vec<&str> = evidence.iter().map(|(_, h)| h.trim_end_matches("?download=1")).collect();
    views.sort_unstable();
    views.dedup();
    assert!(views.len() >= 2, "links to the original and to the attachment: {evidence:?}");
    for (i, view) in views.into_iter().enumerate() {
        b.visit(&format!("evidence-{i}"), view, &Expect { app: false, selectors: &["body"], texts: &["<script>"] })
            .await;
    }

    // Accounts: every hostile one (from the search page's links), and a demo one.
    for (i, name) in HOSTILE_ACCOUNTS.iter().enumerate() {
        let href = accounts.get(*name).unwrap_or_else(|| panic!("no link to account {name:?} in {accounts:?}"));
        assert_eq!(href, &format!("/account/{}", enc(name)));
        b.visit(&format!("account-hostile-{i}"), href, &Expect { selectors: &["h1", "svg"], texts: &[name], ..APP })
            .await;
    }
    b.visit("account-demo", &demo_account, &Expect { selectors: &["h1", "svg"], ..APP }).await;

    b.visit("network", "/network", &APP).await;
    // The clustering that holds the hostile accounts, and one of their edges.
    let run = format!("/network?run={last_run}");
    b.visit("network-hostile-run", &run, &APP).await;
    evidence_panel(b, &run).await;
    let edge = format!(
        "/edge?run={last_run}&a={}&b={}&network=co-retweet",
        enc(HOSTILE_ACCOUNTS[2]),
        enc(HOSTILE_ACCOUNTS[3])
    );
    b.visit("edge", &edge, &APP).await;
    b.visit("timeline", "/timeline", &APP).await;
}

/// Clicking a node or an edge of the hostile accounts on the network drawing
/// fetches its evidence and moves it into the page (app.js): the markup that
/// arrives that way must be as inert as the rest.
async fn evidence_panel(b: &mut Browser, path: &str) {
    let panel = b.c.find(Locator::Css("#evidence-panel")).await;
    let links =
        b.c.execute(
            "return Array.from(document.querySelectorAll('svg.graph a')).map((a) => a.getAttribute('href'))\
             .filter((h) => h.includes('%3C') || h.includes('%22'))",
            vec![],
        )
        .await
        .unwrap();
    let links: Vec<String> = links.as_array().unwrap().iter().filter_map(|h| h.as_str().map(String::from)).collect();
    if panel.is_err() || links.is_empty() {
        // The network page is still being built; say so rather than pass in silence.
        eprintln!("{path}: no evidence panel or no hostile node/edge links; clicks not tested");
        return;
    }
    let click = "const a = Array.from(document.querySelectorAll('svg.graph a'))\
                 .find((x) => x.getAttribute('href') === arguments[0]);\
                 document.getElementById('evidence-panel').textContent = '';\
                 a.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true}));";
    let loaded = "const t = document.getElementById('evidence-panel').textContent;\
                  return t !== '' && t !== 'Loading…';";
    for href in links.iter().take(6) {
        b.c.execute(click, vec![json!(href)]).await.unwrap();
        let t0 = Instant::now();
        while b.c.execute(loaded, vec![]).await.unwrap() != json!(true) {
            assert!(t0.elapsed() < Duration::from_secs(10), "{path}: the evidence of {href} did not load");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        b.no_alert(path).await;
        let v = b.inspect(path).await;
        let bad: Vec<&str> = v["bad"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert!(bad.is_empty(), "{path}: after clicking {href}, live markup:\n  {}", bad.join("\n  "));
        assert_eq!(v["foreign"], json!([]), "{path}: after clicking {href}, resources from another origin");
        assert_ne!(v["title"], json!(PWNED));
        assert_eq!(v["href"].as_str(), Some(b.url(path).as_str()), "{path}: clicking {href} navigated away");
        let panel_text = b.c.find(Locator::Css("#evidence-panel")).await.unwrap().text().await.unwrap();
        assert!(
            HOSTILE_ACCOUNTS.iter().any(|a| panel_text.contains(a)),
            "{path}: the evidence of {href} does not show the accounts as text: {panel_text:?}"
        );
        b.collect(&format!("{path} (clicked {href})"));
    }
    b.c.execute("document.getElementById('evidence-panel').scrollIntoView()", vec![]).await.unwrap();
    b.screenshot("network-evidence-panel", path).await;
}

/// Evidence is named by its hash and nothing else on disk can be reached.
fn evidence_paths(port: u16, hostile_eml: &[u8]) {
    let host = format!("127.0.0.1:{port}");
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(hostile_eml));

    let (status, head, body) = http_get(port, &format!("/evidence/{sha}"), &host);
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/plain"), "{head}");
    assert!(head.contains("content-security-policy:") && head.contains("sandbox"), "{head}");
    assert!(head.contains("x-content-type-options: nosniff"), "{head}");
    assert_eq!(body, hostile_eml, "the original bytes, unchanged");
    let (status, head, _) = http_get(port, &format!("/evidence/{sha}?download=1"), &host);
    assert_eq!(status, 200);
    assert!(head.contains("content-disposition: attachment"), "{head}");

    let bad = [
        "/evidence/not-a-hash".to_string(),
        "/evidence/../../catalog.sqlite".into(),
        "/evidence/..%2F..%2Fcatalog.sqlite".into(),
        "/evidence/%2e%2e%2f%2e%2e%2fcatalog.sqlite".into(),
        "/evidence/..%5C..%5Ccatalog.sqlite".into(),
        "/evidence/catalog.sqlite".into(),
        format!("/evidence/{}", sha.to_uppercase()),
        format!("/evidence/{sha}.eml"),
        format!("/evidence/{sha}%00"),
        format!("/evidence/{}", "0".repeat(64)),
        // 64 characters once decoded, as a hash has.
        format!("/evidence/{}..catalog.sqlite", "..%2F".repeat(16)),
        "/../catalog.sqlite".into(),
        "/assets/../catalog.sqlite".into(),
        "/assets/..%2Fcatalog.sqlite".into(),
        "/assets/..%2F..%2Fcatalog.sqlite".into(),
        "/catalog.sqlite".into(),
        "/evidence/".into(),
    ];
    for p in &bad {
        let (status, _, body) = http_get(port, p, &host);
        assert!(status == 400 || status == 404, "{p}: status {status}, expected 400 or 404");
        let text = String::from_utf8_lossy(&body);
        assert!(!text.contains("SQLite format 3"), "{p}: served the catalog");
    }
    // DNS rebinding: a page on another name that resolves here is refused.
    let (status, _, _) = http_get(port, "/", "evil.example:80");
    assert_eq!(status, 403, "a request for another Host name");
}

#[test]
#[ignore = "needs Debian's chromium and chromedriver; .ci/run runs it with --ignored"]
fn pages_in_chromium_run_no_leaked_script_and_load_nothing_remote() {
    let t0 = Instant::now();
    for (bin, pkg) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
        assert!(
            Path::new(bin).exists(),
            "{bin} is missing: this test needs Debian's {pkg} package (apt-get install chromium chromium-driver)"
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    let proxy = Recorder::start("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let canary = Recorder::start(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nAccess-Control-Allow-Origin: *\r\nContent-Length: 6\r\n\
         Connection: close\r\n\r\ncanary",
    );
    // Chromium's own calls to Google, redirected here; not the pages' doing, so only shown.
    let sink = Recorder::start("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let case = build_case(tmp.path(), canary.port);
    let hostile_eml = std::fs::read(tmp.path().join("mail/hostile.eml")).unwrap();
    let (_server, base) = serve(&case, &tmp.path().join("serve.log"));
    let port: u16 = base.trim_end_matches('/').rsplit(':').next().unwrap().parse().unwrap();
    evidence_paths(port, &hostile_eml);

    let shots =
        Path::new(env!("CARGO_BIN_EXE_leaktrace")).parent().unwrap().parent().unwrap().join("browser-screenshots");
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).unwrap();
    let driver_log = tmp.path().join("chromedriver.log");
    let (_driver, driver_port) = chromedriver(&driver_log);
    let profile = tmp.path().join("chromium-profile");
    std::fs::create_dir(&profile).unwrap();

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (pages_seen, leaks) = rt.block_on(async {
        let c = tokio::time::timeout(
            Duration::from_secs(60),
            ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities(proxy.port, sink.port, &profile))
                .connect(&format!("http://127.0.0.1:{driver_port}")),
        )
        .await
        .unwrap_or_else(|_| panic!("Chromium did not start within 60 s (see {})", driver_log.display()))
        .unwrap_or_else(|e| panic!("cannot start Chromium through chromedriver: {e}"));
        c.update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
            Some(Duration::from_secs(20)),
            Some(Duration::from_secs(30)),
            Some(Duration::ZERO),
        ))
        .await
        .unwrap();
        let mut b = Browser {
            c: c.clone(),
            base: base.clone(),
            shots: shots.clone(),
            n: 0,
            proxy,
            canary,
            leaks: vec![],
            notes: vec![],
        };
        // The pages run as their own task so that the browser is closed however they end.
        let task = tokio::spawn(async move {
            pages(&mut b).await;
            // Anything late (a timer, a slow fetch) still counts.
            tokio::time::sleep(Duration::from_secs(1)).await;
            b.collect("(after the last page)");
            for l in std::mem::take(&mut b.notes) {
                b.leaks.push(("(before the first page)".into(), "proxy (left loopback)", l));
            }
            (b.n, b.leaks)
        });
        let abort = task.abort_handle();
        let outcome = tokio::time::timeout(DEADLINE, task).await;
        abort.abort();
        let _ = tokio::time::timeout(Duration::from_secs(20), c.close()).await;
        match outcome {
            Ok(Ok(done)) => done,
            Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Ok(Err(e)) => panic!("the browser task failed: {e}"),
            Err(_) => panic!("the pages did not finish within {DEADLINE:?}: a hung browser or page"),
        }
    });
    let (own, leaks): (Vec<_>, Vec<_>) = leaks.into_iter().partition(|(_, who, line)| chromium_own(who, line));
    for (page, _, line) in &own {
        eprintln!("note: Chromium's own background request while {page} was open (not the page's): {line}");
    }
    for line in sink.take() {
        eprintln!("note: Chromium's own call to Google, sent to the loopback sink: {line}");
    }
    let report: Vec<String> = leaks.iter().map(|(page, who, line)| format!("{page}: {who} saw {line:?}")).collect();
    assert!(report.is_empty(), "requests that should never have been made:\n  {}", report.join("\n  "));
    eprintln!(
        "browser test: {pages_seen} pages in {:.1} s; screenshots in {}",
        t0.elapsed().as_secs_f64(),
        shots.display()
    );
}
