#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::Request;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

/// An empty case and its router, made once.
struct Web {
    _dir: tempfile::TempDir,
    router: axum::Router,
    rt: tokio::runtime::Runtime,
}

// Any request target (path and query string, as a client sends it) through
// the whole web UI: routing, query-string parsing into each page's
// parameters, the guard, and the page functions, on an empty case. A
// request must get an answer (a page, a 4xx), never a panic, a hang or a
// huge allocation, and never a 500.
fuzz_target!(|data: &[u8]| {
    static W: OnceLock<Web> = OnceLock::new();
    let w = W.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let case = dir.path().join("case");
        leaktrace_store::Case::init(&case).unwrap();
        let router = leaktrace_web::router(&case, None).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        Web { _dir: dir, router, rt }
    });
    let target = String::from_utf8_lossy(data);
    let uri = if target.starts_with('/') { target.into_owned() } else { format!("/{target}") };
    let Ok(req) = Request::builder().uri(uri.as_str()).header("host", "127.0.0.1").body(Body::empty()) else { return };
    let resp = w.rt.block_on(w.router.clone().oneshot(req)).unwrap();
    // Bad input is the client's error (4xx), never the server's.
    assert_ne!(resp.status().as_u16(), 500, "{uri}");
});
