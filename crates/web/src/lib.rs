//! The views of a case: `leaktrace serve` (a local web UI rendered by the
//! server) and `leaktrace report` (one self-contained HTML file).
//!
//! Pages are plain HTML built with `maud`, which escapes every value it
//! interpolates; charts and network drawings are SVG computed here; the
//! little JavaScript there is (pan and zoom on the network view) is embedded
//! in the binary like the CSS. No page loads anything from outside the
//! machine.
//!
//! Invariants: this crate only reads the case (evidence, catalog, tables,
//! index, stored runs); it never writes to it and never computes analyses
//! beyond what a page shows (it calls the analysis crates). Leaked HTML is
//! sanitised and then served only into a sandboxed frame under a
//! Content-Security-Policy that forbids scripts and every remote load.
//! Evidence is addressed by SHA-256 only, never by a path from the request.

mod app;
mod charts;
mod data;
mod error;
mod graph;
mod layout;
mod pages;
mod report;
mod security;
mod server;

pub use report::write_report;
pub use security::check_bind;
pub use server::{ServeOptions, router, serve};
