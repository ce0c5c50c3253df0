//! The HTTP server: routes, the shared state, and how page functions (plain
//! blocking code over the case) run off the async threads.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use leaktrace_search::CaseIndex;
use leaktrace_store::Case;
use maud::Markup;

use crate::data::Cache;
use crate::pages;
use crate::security::guard;

pub use crate::security::check_bind;

/// How to serve a case.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub bind: SocketAddr,
    /// Required (and checked on every request) when `bind` is not loopback.
    pub token: Option<String>,
}

/// What every request can read.
pub struct App {
    dir: PathBuf,
    /// The full-text index, when the case has one.
    pub index: Option<CaseIndex>,
    pub token: Option<String>,
    pub cache: Cache,
}

/// Why a page could not be shown.
#[derive(Debug)]
pub enum WebError {
    NotFound(String),
    BadRequest(String),
    Internal(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for WebError {
    fn from(e: E) -> WebError {
        WebError::Internal(e.into())
    }
}

impl App {
    /// The case, opened once per server thread (a catalog connection is not
    /// shared between threads).
    pub fn case(&self) -> PageResult<Rc<Case>> {
        thread_local! {
            static CASES: RefCell<Vec<(PathBuf, Rc<Case>)>> = const { RefCell::new(Vec::new()) };
        }
        if let Some(c) = CASES.with_borrow(|v| v.iter().find(|(d, _)| *d == self.dir).map(|(_, c)| c.clone())) {
            return Ok(c);
        }
        let c = Rc::new(Case::open(&self.dir)?);
        CASES.with_borrow_mut(|v| v.push((self.dir.clone(), c.clone())));
        Ok(c)
    }

    /// The case folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

pub type PageResult<T = Markup> = std::result::Result<T, WebError>;

impl WebError {
    /// For callers outside the server (the report).
    pub fn into_anyhow(self) -> anyhow::Error {
        match self {
            WebError::NotFound(m) | WebError::BadRequest(m) => anyhow::anyhow!(m),
            WebError::Internal(e) => e,
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, msg) = match self {
            WebError::NotFound(m) => (StatusCode::NOT_FOUND, "Not found", m),
            WebError::BadRequest(m) => (StatusCode::BAD_REQUEST, "Bad request", m),
            // The details (file system paths of the case among them) go to the
            // server's terminal, not to a page that may be shared.
            WebError::Internal(e) => {
                eprintln!("leaktrace: serve: {e:#}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Error",
                    "Something went wrong reading the case; the terminal running `leaktrace serve` says what."
                        .to_string(),
                )
            }
        };
        let body = crate::layout::page(title, "", maud::html! { h1 { (title) } p.error { (msg) } });
        (status, body).into_response()
    }
}

/// Run a page function on the blocking pool: pages read files and SQLite.
async fn blocking<T: Send + 'static>(
    app: Arc<App>,
    f: impl FnOnce(&App) -> PageResult<T> + Send + 'static,
) -> PageResult<T> {
    tokio::task::spawn_blocking(move || f(&app)).await.map_err(|e| WebError::Internal(e.into()))?
}

async fn page<Q: Send + 'static>(
    app: Arc<App>,
    q: Q,
    f: fn(&App, Q) -> PageResult<Markup>,
) -> std::result::Result<Markup, WebError> {
    blocking(app, move |a| f(a, q)).await
}

/// The application's routes over an opened case.
pub fn router(dir: &Path, token: Option<String>) -> anyhow::Result<Router> {
    let case = Case::open(dir)?;
    let index = if case.root().join("index").exists() { Some(CaseIndex::open(case.root())?) } else { None };
    let app = Arc::new(App { dir: case.root().to_path_buf(), index, token, cache: Cache::default() });
    Ok(Router::new()
        .route("/", get(|State(a): State<Arc<App>>| page(a, (), pages::overview::page)))
        .route("/search", get(|State(a): State<Arc<App>>, Query(q)| page(a, q, pages::search::page)))
        .route("/email/{id}", get(|State(a): State<Arc<App>>, UrlPath(id)| page(a, id, pages::email::page)))
        .route(
            "/email/{id}/body",
            get(|State(a): State<Arc<App>>, UrlPath(id)| blocking(a, move |a| pages::email::html_body(a, id))),
        )
        .route(
            "/evidence/{sha}",
            get(|State(a): State<Arc<App>>, UrlPath(sha), Query(q)| {
                blocking(a, move |a| pages::email::evidence(a, sha, q))
            }),
        )
        .route(
            "/account/{name}",
            get(|State(a): State<Arc<App>>, UrlPath(n): UrlPath<String>, Query(q)| {
                blocking(a, move |a| pages::account::page(a, n, q))
            }),
        )
        .route("/network", get(|State(a): State<Arc<App>>, Query(q)| page(a, q, pages::network::page)))
        .route("/edge", get(|State(a): State<Arc<App>>, Query(q)| page(a, q, pages::network::edge)))
        .route("/timeline", get(|State(a): State<Arc<App>>, Query(q)| page(a, q, pages::timeline::page)))
        .route("/assets/{name}", get(|UrlPath(name): UrlPath<String>| async move { asset(&name) }))
        .fallback(|| async { WebError::NotFound("there is no such page".into()) })
        .layer(middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app))
}

fn asset(name: &str) -> Response {
    let (ctype, body): (&str, &'static str) = match name {
        "app.css" => ("text/css; charset=utf-8", crate::layout::CSS),
        "app.js" => ("text/javascript; charset=utf-8", crate::layout::JS),
        _ => return WebError::NotFound(format!("no asset {name}")).into_response(),
    };
    ([(header::CONTENT_TYPE, ctype), (header::CACHE_CONTROL, "max-age=3600")], body).into_response()
}

/// Serve a case until the process is stopped. `ready` gets the URL (with
/// the token when there is one) once the socket listens.
pub fn serve(dir: &Path, opts: &ServeOptions, ready: impl FnOnce(&str)) -> anyhow::Result<()> {
    check_bind(&opts.bind, opts.token.as_deref())?;
    let router = router(dir, opts.token.clone())?;
    // Pages are short blocking reads; a few threads per core keep every core
    // busy without hundreds of threads trading places under load.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(4 * cores)
        .enable_io()
        .enable_time()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(opts.bind)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", opts.bind))?;
        let addr = listener.local_addr()?;
        let host = if addr.ip().is_unspecified() { "127.0.0.1".to_string() } else { addr.ip().to_string() };
        let host = if addr.is_ipv6() && !addr.ip().is_unspecified() { format!("[{host}]") } else { host };
        let url = match &opts.token {
            Some(t) => format!("http://{host}:{}/?token={t}", addr.port()),
            None => format!("http://{host}:{}/", addr.port()),
        };
        ready(&url);
        accept_loop(listener, router).await
    })
}

/// A request's header must arrive within this time, or the connection is
/// closed (a client that opens connections and sends nothing must not hold
/// them).
pub const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Connections served at once; further ones wait in the listen queue.
pub const MAX_CONNECTIONS: usize = 512;
/// The most a request's header may take, in bytes.
pub const MAX_HEADER_BYTES: usize = 64 << 10;

/// Accept connections and serve each with HTTP/1 under the bounds above.
/// (`axum::serve` sets no header-read timeout and no connection cap.)
async fn accept_loop(listener: tokio::net::TcpListener, router: Router) -> anyhow::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let slot = slots.clone().acquire_owned().await?;
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of file descriptors and the like: wait, then go on serving.
            Err(e) => {
                eprintln!("leaktrace: cannot accept a connection: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .max_buf_size(MAX_HEADER_BYTES)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            drop(slot);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_error_page_names_no_path() {
        let e =
            WebError::Internal(anyhow::anyhow!("/home/reporter/cases/secret-source/catalog.sqlite: disk I/O error"));
        let resp = e.into_response();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(async { axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap() });
        let text = String::from_utf8_lossy(&body);
        assert!(!text.contains("secret-source") && !text.contains("/home"), "{text}");
        assert!(text.contains("leaktrace serve"), "{text}");
    }
}
