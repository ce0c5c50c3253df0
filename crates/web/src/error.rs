//! Why a page could not be shown, and the error page that says so. The page
//! never carries internal details (file system paths of the case among them):
//! those go to the terminal running the server.
//!
//! It uses only the layout, so that every other module (pages, the data
//! they share, the server, the report) can use it.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::Markup;

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
