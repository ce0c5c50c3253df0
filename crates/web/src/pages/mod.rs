//! One module per page. Each page is a blocking function from the app
//! state and the request's parameters to HTML.

pub mod account;
pub mod email;
pub mod network;
pub mod overview;
pub mod search;
pub mod timeline;
