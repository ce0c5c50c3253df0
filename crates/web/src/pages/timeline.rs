//! `/timeline`: events, cascades and lead/lag on one time axis.

use maud::html;
use serde::Deserialize;

use crate::layout::page as shell;
use crate::server::{App, PageResult};

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    pub object: Option<String>,
}

pub fn page(_app: &App, _p: Params) -> PageResult {
    Ok(shell("Timeline", "/timeline", html! { h1 { "Timeline" } }))
}
