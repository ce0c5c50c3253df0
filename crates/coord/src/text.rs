//! Text normalisation for co-tweet and token sets for co-similar-text, in
//! leaktrace's own form and in the QUT toolkit's.

use leaktrace_model::derive::{extract_urls, strip_rt_prefix};
use unicode_segmentation::UnicodeSegmentation;

/// Python's `str.isspace()`: Unicode White_Space plus the four ASCII
/// information separators (U+001C..U+001F), which `str.split()` also splits on.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `' '.join(s.split())` in Python.
fn collapse_py(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split(py_space).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// The toolkit's `social_media_cleaner`: every `@` and the text after it up
/// to the next whitespace (the regex `@.*?(?=(?:\s|$))`, whose `\s` is
/// Unicode White_Space) is deleted.
fn strip_at_runs(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut skipping = false;
    for c in s.chars() {
        if skipping {
            if c.is_whitespace() {
                skipping = false;
                out.push(c);
            }
        } else if c == '@' {
            skipping = true;
        } else {
            out.push(c);
        }
    }
    out
}

/// The toolkit's co-tweet key (`message_preprocessor`): lower-case, `@…`
/// runs deleted, whitespace collapsed. The lower-casing is done on the
/// whole string (Python's and Rust's both look at the context of a final
/// sigma); deleting and collapsing are one pass over it, the equivalent of
/// `collapse_py(&strip_at_runs(..))` without the string in between.
pub fn qut_tweet_key(text: &str) -> String {
    let lower = text.to_lowercase();
    let mut out = String::with_capacity(lower.len());
    let (mut skipping, mut gap) = (false, false);
    for c in lower.chars() {
        if skipping {
            // The whitespace that ends an `@…` run stays, as a separator.
            if c.is_whitespace() {
                skipping = false;
                gap = !out.is_empty();
            }
        } else if c == '@' {
            skipping = true;
        } else if py_space(c) {
            gap = !out.is_empty();
        } else {
            if gap {
                out.push(' ');
                gap = false;
            }
            out.push(c);
        }
    }
    out
}

/// A text's tokens as byte ranges of one normalised string, sorted by token
/// and distinct: one allocation per text rather than one per token.
pub struct TokenSpans {
    text: String,
    spans: Vec<(u32, u32)>,
}

impl TokenSpans {
    fn new(text: String, mut spans: Vec<(u32, u32)>) -> TokenSpans {
        let at = |&(a, b): &(u32, u32)| &text[a as usize..b as usize];
        spans.sort_unstable_by(|x, y| at(x).cmp(at(y)));
        spans.dedup_by(|x, y| at(x) == at(y));
        TokenSpans { text, spans }
    }

    /// The tokens, sorted and distinct.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.spans.iter().map(|&(a, b)| &self.text[a as usize..b as usize])
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
}

/// Byte range of `part` inside `whole` (`part` is a slice of it).
fn span_in(whole: &str, part: &str) -> (u32, u32) {
    let a = part.as_ptr() as usize - whole.as_ptr() as usize;
    (a as u32, (a + part.len()) as u32)
}

/// The toolkit's token set (`tokenize` then `similarity`'s `split()`): words
/// at Unicode word boundaries of the lower-cased text without `@…` runs;
/// punctuation marks are tokens, whitespace and lone `'` are not (the
/// tokenizer's split pattern swallows them). Sorted, distinct.
pub fn qut_token_spans(text: &str) -> TokenSpans {
    let cleaned = strip_at_runs(&text.to_lowercase());
    let mut spans = Vec::new();
    for seg in cleaned.split_word_bounds() {
        if seg == "'" {
            continue;
        }
        for piece in seg.split(py_space) {
            if !piece.is_empty() {
                spans.push(span_in(&cleaned, piece));
            }
        }
    }
    TokenSpans::new(cleaned, spans)
}

/// [`qut_token_spans`] as strings.
pub fn qut_tokens(text: &str) -> Vec<String> {
    qut_token_spans(text).iter().map(str::to_string).collect()
}

/// leaktrace's co-tweet key: the text without a leading `RT @x:` and without
/// URLs, lower-cased, whitespace collapsed. Empty when nothing is left.
pub fn tweet_key(text: &str) -> String {
    let (_, body) = strip_rt_prefix(text);
    let mut no_urls = String::with_capacity(body.len());
    let mut rest = body;
    for u in extract_urls(body) {
        if let Some(pos) = rest.find(u) {
            no_urls.push_str(&rest[..pos]);
            no_urls.push(' ');
            rest = &rest[pos + u.len()..];
        }
    }
    no_urls.push_str(rest);
    collapse_py(&no_urls.to_lowercase())
}

/// leaktrace's token set for near-duplicate detection: the words (segments
/// with a letter or digit) of [`tweet_key`]. Sorted, distinct.
pub fn token_spans(text: &str) -> TokenSpans {
    let key = tweet_key(text);
    let spans =
        key.split_word_bounds().filter(|w| w.chars().any(char::is_alphanumeric)).map(|w| span_in(&key, w)).collect();
    TokenSpans::new(key, spans)
}

/// [`token_spans`] as strings.
pub fn tokens(text: &str) -> Vec<String> {
    token_spans(text).iter().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn qut_keys_match_the_toolkit() {
        // Expected values printed by coordination-network-toolkit 1.5.2's
        // message_preprocessor and tokenize.
        assert_eq!(qut_tweet_key("RT @foo: bar"), "rt bar");
        assert_eq!(qut_tweet_key("a@b.com c"), "a c");
        assert_eq!(qut_tweet_key("Hello,  World!!\n @user x"), "hello, world!! x");
        assert_eq!(qut_tweet_key("x\u{a0}y\u{1c}z"), "x y z");
        assert_eq!(qut_tokens("it's a dog's life"), v(&["a", "dog's", "it's", "life"]));
        assert_eq!(qut_tokens("'orange'"), v(&["orange"]));
        assert_eq!(
            qut_tokens("Hello, World!! http://t.co/abc #tag @user x"),
            v(&["!", "#", ",", "/", ":", "abc", "hello", "http", "t.co", "tag", "world", "x"])
        );
        assert_eq!(qut_tokens("3.14 1,000 U.S.A. e-mail"), v(&["-", ".", "1,000", "3.14", "e", "mail", "u.s.a"]));
        assert_eq!(qut_tokens("a\tb\nc  d x\u{a0}y"), v(&["a", "b", "c", "d", "x", "y"]));
        assert_eq!(qut_tokens("日本語のテキスト"), v(&["の", "テキスト", "日", "本", "語"]));
    }

    #[test]
    fn one_pass_toolkit_key_equals_the_composed_steps() {
        let alphabet = ['a', 'Σ', 'b', '@', ' ', '\t', '\n', '\u{a0}', '\u{1c}', '\u{1f}', '\u{2028}', 'É', '.', 'x'];
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 12) as usize;
            let s: String = (0..len).map(|i| alphabet[((x >> (i * 4)) % alphabet.len() as u64) as usize]).collect();
            assert_eq!(qut_tweet_key(&s), collapse_py(&strip_at_runs(&s.to_lowercase())), "{s:?}");
        }
    }

    #[test]
    fn own_keys() {
        assert_eq!(tweet_key("RT @TEN_GOP: Vote  NOW https://t.co/x1 please"), "vote now please");
        assert_eq!(tweet_key("vote now please"), "vote now please");
        assert_eq!(tweet_key("https://t.co/x1"), "");
        assert_eq!(tokens("RT @a: The cat, the HAT! http://x.y/z"), v(&["cat", "hat", "the"]));
    }
}
