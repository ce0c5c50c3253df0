//! The store's error type. Messages name the path concerned and, where
//! there is one, what the user can do about it.

use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}: not a leaktrace case (no catalog.sqlite); create one with `leaktrace case init {0}`")]
    NotACase(String),
    #[error("{0}: already a leaktrace case")]
    AlreadyACase(String),
    #[error("{0}: exists and is not empty; give a new or empty directory")]
    NotEmpty(String),
    #[error(
        "{path}: the case catalog has schema version {found}, newer than this leaktrace understands ({supported}); upgrade leaktrace"
    )]
    TooNew { path: String, found: i64, supported: i64 },
    #[error("{path}: another leaktrace process{holder} is writing this case; try again when it has finished")]
    Busy { path: String, holder: String },
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("catalog: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("posts table: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("posts table: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
}

pub type Result<T> = std::result::Result<T, StoreError>;

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: path.display().to_string(), source }
}
