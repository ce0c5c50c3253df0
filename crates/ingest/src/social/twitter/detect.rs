//! Which Twitter JSON shape a line has: a v2 page or tweet, a v1.1 tweet,
//! a v1.1 stream notice, or none. Detection sees only the start of a file,
//! so a first line cut short is judged by the keys read so far.

use crate::Format;
use crate::social::jsonhead::top_level_keys;

/// Top-level keys of the v1.1 streaming API's non-tweet messages.
const STREAM_NOTICES: [&str; 9] =
    ["delete", "limit", "scrub_geo", "status_withheld", "user_withheld", "disconnect", "warning", "event", "friends"];

#[derive(Debug, PartialEq)]
pub(super) enum Shape {
    Format(Format),
    Notice,
    Other,
}

fn shape_of(has: impl Fn(&str) -> bool, data_is_container: bool) -> Shape {
    if data_is_container || (has("id") && has("text") && has("author_id")) {
        Shape::Format(Format::TwitterV2)
    } else if has("id_str") && has("user") {
        Shape::Format(Format::TwitterV1)
    } else if STREAM_NOTICES.iter().any(|k| has(k)) {
        Shape::Notice
    } else {
        Shape::Other
    }
}

pub(super) fn classify(line: &str) -> Shape {
    let line = line.trim_start_matches('\u{feff}').trim();
    match serde_json::from_str::<serde_json::Value>(line) {
        Ok(serde_json::Value::Object(m)) => {
            let data = matches!(m.get("data"), Some(serde_json::Value::Array(_) | serde_json::Value::Object(_)));
            shape_of(|k| m.contains_key(k), data)
        }
        Ok(_) => Shape::Other,
        // A detection buffer can end inside a long page line: judge by the keys seen so far.
        Err(e) if e.is_eof() => {
            let keys = top_level_keys(line.as_bytes());
            let data = keys.iter().any(|(k, v)| *k == b"data" && matches!(v, Some(b'[' | b'{')));
            shape_of(|name| keys.iter().any(|(k, _)| *k == name.as_bytes()), data)
        }
        Err(_) => Shape::Other,
    }
}

/// Which Twitter JSON shape a first line has, if any.
pub(crate) fn detect_json_line(line: &str) -> Option<Format> {
    match classify(line) {
        Shape::Format(f) => Some(f),
        _ => None,
    }
}
