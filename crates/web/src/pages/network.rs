//! `/network`: a coordination network or cluster drawn as a graph, and
//! `/edge`: the evidence behind one edge.

use maud::html;
use serde::Deserialize;

use crate::layout::page as shell;
use crate::server::{App, PageResult};

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    pub run: Option<i64>,
}

pub fn page(_app: &App, _p: Params) -> PageResult {
    Ok(shell("Network", "/network", html! { h1 { "Network" } }))
}

#[derive(Debug, Default, Deserialize)]
pub struct EdgeParams {
    pub run: Option<i64>,
}

pub fn edge(_app: &App, _p: EdgeParams) -> PageResult {
    Ok(shell("Edge", "/network", html! { h1 { "Edge" } }))
}
