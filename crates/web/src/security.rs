//! What keeps the server safe to run on a reporter's laptop: loopback by
//! default, a token for anything else, a Host check against DNS rebinding,
//! and response headers that stop pages from loading anything remote.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderValue};
use axum::http::{StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::app::App;

/// The app's own pages: scripts, styles and images from this server only;
/// frames only from this server (the sandboxed email bodies).
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     frame-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'";

/// Leaked HTML: no script, no remote anything (images, fonts, styles, frames,
/// forms, prefetch), sandboxed as a unique origin even when opened directly.
pub const LEAKED_HTML_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
     form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox";

/// Name of the cookie that carries the token after the first request.
const COOKIE: &str = "leaktrace_token";

/// Compare without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn token_in_query(uri: &Uri) -> Option<String> {
    uri.query()?.split('&').find_map(|kv| kv.strip_prefix("token=")).map(|t| t.to_string())
}

/// Every token the request carries: a Bearer header and each token cookie
/// (a browser may still hold one from an earlier server).
fn tokens_in_headers(req: &Request) -> Vec<String> {
    let h = req.headers();
    let mut out = Vec::new();
    if let Some(b) = h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "))
    {
        out.push(b.trim().to_string());
    }
    for c in h.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()) {
        for part in c.split(';') {
            if let Some(v) = part.trim().strip_prefix(COOKIE).and_then(|v| v.strip_prefix('=')) {
                out.push(v.to_string());
            }
        }
    }
    out
}

/// Is the Host header one that names this machine? A page on some other
/// site whose name resolves to 127.0.0.1 (DNS rebinding) sends its own name.
fn loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn refuse(status: StatusCode, why: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("{why}\n")).into_response()
}

/// Token and Host checks before every route; security headers after.
pub async fn guard(State(app): State<Arc<App>>, req: Request<Body>, next: Next) -> Response {
    let mut set_cookie = None;
    match &app.token {
        Some(expected) => {
            let ok = |t: &String| same(t.as_bytes(), expected.as_bytes());
            // Any correct token lets the request in: a stale cookie must not
            // beat a correct `?token=`, which then replaces the cookie.
            let in_headers = tokens_in_headers(&req).iter().any(ok);
            let in_query = token_in_query(req.uri()).filter(ok);
            if in_query.is_some() && !in_headers {
                set_cookie = in_query.clone();
            }
            if !in_headers && in_query.is_none() {
                return refuse(
                    StatusCode::UNAUTHORIZED,
                    "leaktrace: this server needs its token; open the URL it printed (with ?token=...)",
                );
            }
        }
        None => {
            let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
            if !loopback_host(host) {
                return refuse(StatusCode::FORBIDDEN, "leaktrace: this server only answers to localhost");
            }
        }
    }
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Some(t) = set_cookie
        && let Ok(v) = HeaderValue::from_str(&format!("{COOKIE}={t}; Path=/; HttpOnly; SameSite=Strict"))
    {
        h.append(header::SET_COOKIE, v);
    }
    resp
}

/// Refuse to serve beyond this machine without a token.
pub fn check_bind(bind: &SocketAddr, token: Option<&str>) -> anyhow::Result<()> {
    if let Some(t) = token
        && t.len() < 16
    {
        anyhow::bail!("the token must be at least 16 characters");
    }
    if !bind.ip().is_loopback() && token.is_none() {
        anyhow::bail!(
            "{bind} is reachable from other machines; give --token (or LEAKTRACE_TOKEN) so that only people \
             with the token can read the case, or bind to 127.0.0.1"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        for h in ["127.0.0.1:8080", "localhost:1", "LOCALHOST", "[::1]:80", "127.1.2.3"] {
            assert!(loopback_host(h), "{h}");
        }
        for h in ["evil.example:8080", "", "10.0.0.1:80", "[2001:db8::1]:80", "localhost.evil.example"] {
            assert!(!loopback_host(h), "{h}");
        }
    }

    #[test]
    fn binding_beyond_loopback_needs_a_token() {
        let any: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let lo: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert!(check_bind(&any, None).is_err());
        assert!(check_bind(&any, Some("short")).is_err());
        assert!(check_bind(&any, Some("a-long-enough-token")).is_ok());
        assert!(check_bind(&lo, None).is_ok());
    }

    #[test]
    fn compare() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
    }
}
