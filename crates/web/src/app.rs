//! What every request can read: the case folder (the case itself opened
//! once per server thread), its full-text index, the access token and the
//! server's caches.
//!
//! Pages and the security layer take an [`App`]; it knows nothing of routes
//! or of HTTP, which stay in the server.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use leaktrace_search::CaseIndex;
use leaktrace_store::Case;

use crate::data::Cache;
use crate::error::PageResult;

/// What every request can read.
pub struct App {
    dir: PathBuf,
    /// The full-text index, when the case has one.
    pub index: Option<CaseIndex>,
    pub token: Option<String>,
    pub cache: Cache,
}

impl App {
    /// The state for serving the case in `dir`, with its index when it has one.
    pub fn open(dir: &Path, token: Option<String>) -> anyhow::Result<App> {
        let case = Case::open(dir)?;
        let index = if case.root().join("index").exists() { Some(CaseIndex::open(case.root())?) } else { None };
        Ok(App { dir: case.root().to_path_buf(), index, token, cache: Cache::default() })
    }

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
