//! Which Twitter JSON shape a line has: a v2 page or tweet, a v1.1 tweet,
//! a v1.1 stream notice, or none. Detection sees only the start of a file,
//! so a first line cut short is judged by the keys read so far.

use crate::Format;

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

pub(super) fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// Top-level keys of a JSON object, each with the first byte of its value,
/// from a prefix that may stop anywhere. Keys are raw (escapes undecoded).
fn top_level_keys(s: &[u8]) -> Vec<(&[u8], Option<u8>)> {
    let mut keys = Vec::new();
    let mut i = skip_ws(s, 0);
    if s.get(i) != Some(&b'{') {
        return keys;
    }
    i += 1;
    let mut depth = 1usize;
    let mut expect_key = true;
    while i < s.len() {
        match s[i] {
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < s.len() && s[j] != b'"' {
                    j += if s[j] == b'\\' { 2 } else { 1 };
                }
                if j >= s.len() {
                    break;
                }
                if depth == 1 && expect_key {
                    let colon = skip_ws(s, j + 1);
                    if s.get(colon) != Some(&b':') {
                        break;
                    }
                    let value = skip_ws(s, colon + 1);
                    keys.push((&s[start..j], s.get(value).copied()));
                    expect_key = false;
                    i = value;
                    continue;
                }
                i = j + 1;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            b',' if depth == 1 => expect_key = true,
            _ => {}
        }
        i += 1;
    }
    keys
}

/// Which Twitter JSON shape a first line has, if any.
pub(crate) fn detect_json_line(line: &str) -> Option<Format> {
    match classify(line) {
        Shape::Format(f) => Some(f),
        _ => None,
    }
}
