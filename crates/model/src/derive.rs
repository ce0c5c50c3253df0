//! Derivations from raw post text: hashtags, mentions, URLs, the `RT @x:`
//! prefix, and stable synthetic ids.
//!
//! The entity scanners are written here rather than taken from a crate: the
//! Rust ports of twitter-text are unmaintained, and we need only three token
//! kinds, scanned once per post on the ingest hot path (hundreds of thousands
//! of posts a second), so a single pass over the characters is the right tool.

use sha2::{Digest, Sha256};

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Tokens introduced by `sigil` and made of characters accepted by `body`,
/// lower-cased. A sigil preceded by a word character (or `&`, as in the
/// HTML entity `&#39;`) does not start a token, so `a@b.com` is no mention.
fn scan(text: &str, sigil: char, body: fn(char) -> bool, min_non_digit: bool) -> Vec<String> {
    let mut out = Vec::new();
    // Only the sigils are visited: most posts have none or one.
    for (i, _) in text.match_indices(sigil) {
        if text[..i].chars().next_back().is_some_and(|p| is_word(p) || p == '&' || p == sigil) {
            continue;
        }
        let begin = i + sigil.len_utf8();
        let rest = &text[begin..];
        let end = rest.find(|c: char| !body(c)).unwrap_or(rest.len());
        let tok = &rest[..end];
        if !tok.is_empty() && (!min_non_digit || tok.chars().any(|c| !c.is_ascii_digit())) {
            out.push(if tok.is_ascii() { tok.to_ascii_lowercase() } else { tok.to_lowercase() });
        }
    }
    out
}

/// Hashtags in order of appearance, lower-cased, without `#`. A tag made
/// only of digits (`#1`) is not a hashtag, as on Twitter.
pub fn extract_hashtags(text: &str) -> Vec<String> {
    scan(text, '#', is_word, true)
}

/// Mentioned handles in order of appearance, lower-cased, without `@`.
pub fn extract_mentions(text: &str) -> Vec<String> {
    scan(text, '@', |c| c.is_ascii_alphanumeric() || c == '_', false)
}

/// Raw `http(s)://` URLs in the text, with trailing punctuation (and the
/// `…` that truncated retweets end with) removed. Not normalised.
pub fn extract_urls(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut from = 0;
    // Find each "://" and look back for the scheme: far fewer candidates
    // than testing every byte for "http".
    while let Some(pos) = text[from..].find("://") {
        let colon = from + pos;
        from = colon + 3;
        let start = if colon >= 5 && bytes[colon - 5..colon].eq_ignore_ascii_case(b"https") {
            colon - 5
        } else if colon >= 4 && bytes[colon - 4..colon].eq_ignore_ascii_case(b"http") {
            colon - 4
        } else {
            continue;
        };
        let mut end = colon + 3;
        while end < bytes.len() && !bytes[end].is_ascii_whitespace() {
            end += 1;
        }
        // `end` is at ASCII whitespace or the end, so it is a char boundary.
        let url = text[start..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '"', '\'', '…', '>']);
        if url.len() > colon + 3 - start {
            out.push(url);
        }
        from = end.max(from);
    }
    out
}

/// Normalise a URL so that the same link shared twice compares equal:
/// lower-case scheme and host, default port dropped, `utm_*` query
/// parameters and the fragment removed. Returns `None` for strings that
/// are not absolute URLs.
pub fn normalize_url(raw: &str) -> Option<String> {
    normalized(raw).map(String::from)
}

fn normalized(raw: &str) -> Option<url::Url> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let mut url = url::Url::parse(raw).ok()?;
    url.host_str()?;
    url.set_fragment(None);
    // Rewrite the query only when there is something to drop: re-encoding
    // it would change how other parameters are escaped.
    if url.query_pairs().any(|(k, _)| is_utm(&k)) {
        let kept: Vec<(String, String)> =
            url.query_pairs().filter(|(k, _)| !is_utm(k)).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    Some(url)
}

fn is_utm(key: &str) -> bool {
    key.len() > 4 && key.as_bytes()[..4].eq_ignore_ascii_case(b"utm_")
}

/// The host of a normalised URL without a leading `www.`.
pub fn domain_of(url: &str) -> Option<String> {
    normalize_url_and_domain(url).map(|(_, d)| d)
}

/// [`normalize_url`] and [`domain_of`] with one parse.
pub fn normalize_url_and_domain(raw: &str) -> Option<(String, String)> {
    let url = normalized(raw)?;
    let host = url.host_str()?;
    let domain = host.strip_prefix("www.").unwrap_or(host).to_string();
    Some((url.into(), domain))
}

/// Split a leading `RT @handle: ` (the old manual-retweet convention that
/// some retweets in archives carry) from the text. Returns the handle,
/// lower-cased, and the rest of the text.
pub fn strip_rt_prefix(text: &str) -> (Option<String>, &str) {
    let t = text.trim_start();
    let Some(rest) = t.strip_prefix("RT @").or_else(|| t.strip_prefix("rt @")) else {
        return (None, text);
    };
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
    let handle = &rest[..end];
    let after = &rest[end..];
    match after.strip_prefix(':') {
        Some(body) if !handle.is_empty() => (Some(handle.to_ascii_lowercase()), body.trim_start()),
        _ => (None, text),
    }
}

/// A stable, positive 63-bit id from the given parts (SHA-256 of the parts,
/// each length-prefixed so that part boundaries cannot collide).
pub fn synthetic_id(parts: &[&[u8]]) -> i64 {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    let d = h.finalize();
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    (u64::from_le_bytes(b) >> 1) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashtags_follow_twitter_rules() {
        assert_eq!(
            extract_hashtags("#FreeSpeech now, not#this, #1 but #2A and #Élection_2017 &#39;"),
            vec!["freespeech", "2a", "élection_2017"]
        );
    }

    #[test]
    fn mentions_skip_email_addresses() {
        assert_eq!(
            extract_mentions("'@tamaraleighllc @TEN_GOP thanks, mail me at a@b.com @"),
            vec!["tamaraleighllc", "ten_gop"]
        );
    }

    #[test]
    fn urls_lose_trailing_punctuation() {
        assert_eq!(
            extract_urls("see https://t.co/kmb1JOSVbg. and (http://x.org/a?b=1) HTTPS://t.co/abc…"),
            vec!["https://t.co/kmb1JOSVbg", "http://x.org/a?b=1", "HTTPS://t.co/abc"]
        );
        assert!(extract_urls("https:// nothing").is_empty());
    }

    #[test]
    fn url_normalisation() {
        assert_eq!(
            normalize_url("HTTP://WWW.Example.com:80/Path?utm_medium=a&q=1&UTM_x=2#frag").as_deref(),
            Some("http://www.example.com/Path?q=1")
        );
        assert_eq!(normalize_url("https://t.co/x?utm_source=tw").as_deref(), Some("https://t.co/x"));
        assert_eq!(normalize_url("not a url"), None);
        assert_eq!(normalize_url(""), None);
        assert_eq!(domain_of("http://www.example.com/Path").as_deref(), Some("example.com"));
        // Other parameters keep their escaping when nothing is dropped, and when something is.
        assert_eq!(normalize_url("https://x.org/?q=a%20b&r=1").as_deref(), Some("https://x.org/?q=a%20b&r=1"));
        assert_eq!(normalize_url("https://x.org/?utm_=1").as_deref(), Some("https://x.org/?utm_=1"));
    }

    #[test]
    fn rt_prefix() {
        assert_eq!(strip_rt_prefix("RT @TEN_GOP: Hello"), (Some("ten_gop".into()), "Hello"));
        assert_eq!(strip_rt_prefix("RT @ nobody"), (None, "RT @ nobody"));
        assert_eq!(strip_rt_prefix("Hello"), (None, "Hello"));
    }

    #[test]
    fn synthetic_ids_are_stable_and_positive() {
        let a = synthetic_id(&[b"row", b"abc", b"12"]);
        assert_eq!(a, synthetic_id(&[b"row", b"abc", b"12"]));
        assert_ne!(a, synthetic_id(&[b"row", b"abc1", b"2"]));
        assert!(a >= 0);
    }
}
