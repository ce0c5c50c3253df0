//! The HTTP server: routes, and how page functions (plain blocking code over
//! the case) run off the async threads, under bounds on connections.
//!
//! Nothing else in this crate imports it: the state pages read is in
//! [`crate::app`], their errors in [`crate::error`].

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::header;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::Markup;

use crate::app::App;
use crate::error::{PageResult, WebError};
use crate::pages;
use crate::security::{check_bind, guard};

/// How to serve a case.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub bind: SocketAddr,
    /// Required (and checked on every request) when `bind` is not loopback.
    pub token: Option<String>,
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
    let app = Arc::new(App::open(dir, token)?);
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
