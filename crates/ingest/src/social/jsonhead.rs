//! The first bytes of a JSON file as detection sees them: the top-level
//! keys of an object, read from a prefix that may stop anywhere (detection
//! gets only the first 64 KiB, and one JSON line or a whole export can be
//! longer). Reads only; never decides a format itself.

pub(crate) fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// Top-level keys of a JSON object, each with the first byte of its value,
/// from a prefix that may stop anywhere. Keys are raw (escapes undecoded).
pub(crate) fn top_level_keys(s: &[u8]) -> Vec<(&[u8], Option<u8>)> {
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
