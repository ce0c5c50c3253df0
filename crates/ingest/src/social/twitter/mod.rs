//! Twitter API JSONL: v2 as written by twarc2, and v1.1.
//!
//! A v2 line is a twarc2 page (`{"data": [...], "includes": {...}}`) whose
//! tweets name their author and the tweets they reference only by id; the
//! author's username and the authors of retweeted and quoted tweets are
//! looked up in that page's `includes`. A flattened line (one tweet, with
//! an embedded `author`, as `twarc2 flatten` writes) is read too. Every
//! tweet of a page carries the page's line number.
//!
//! A v1.1 line is one tweet object. Stream notices (`{"delete": ...}` and
//! the like) are rejected as "not a tweet object", so that none is lost
//! silently.
//!
//! `detect` tells the shapes apart, `v1` and `v2` read one line of their
//! version, `stream` reads the file line by line; the ids and the wording
//! of JSON errors, which both versions share, are here.

mod detect;
mod stream;
mod v1;
mod v2;

use std::fmt;

use leaktrace_model::Post;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

pub(crate) use detect::detect_json_line;
pub(crate) use stream::open;

/// What a line gives for one tweet: the post and its author's account
/// creation time as written, or why the tweet is rejected.
type Record<'a> = Result<(Post, Option<&'a str>), String>;

/// A tweet or user id: a decimal string, or a number in v1.1's `id` fields.
#[derive(Debug)]
pub(crate) struct Id(pub(crate) String);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an id (a decimal string or an integer)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

fn id_str(id: &Option<Id>) -> Option<&str> {
    id.as_ref().map(|i| i.0.trim()).filter(|s| !s.is_empty())
}

fn tweet_id(id: Option<&str>, name: &str) -> Result<i64, String> {
    let s = id.ok_or_else(|| format!("field {name}: missing"))?;
    s.parse::<i64>().map_err(|_| format!("field {name}: not a tweet id: {s:?}"))
}

/// serde_json's message without its position, which counts lines inside
/// the one line given and so would contradict the file's line number.
fn json_reason(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let msg = msg.rsplit_once(" at line ").map_or(msg.as_str(), |(m, _)| m);
    match e.classify() {
        serde_json::error::Category::Data => format!("unexpected JSON shape (column {}): {msg}", e.column()),
        _ => format!("not valid JSON (column {}): {msg}", e.column()),
    }
}

#[cfg(test)]
mod tests;
