//! Tokens of a sentence: runs of digits, runs of letters, and single other
//! characters, each with its byte span in the whole text so that every
//! expression found can point back at what the article wrote.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Num,
    Word,
    Punct,
}

#[derive(Clone, Debug)]
pub(super) struct Tok<'a> {
    pub text: &'a str,
    pub lower: String,
    /// Byte offsets in the whole text.
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
}

/// The tokens of `text`, which starts at byte `base` of the whole text.
pub(super) fn tokenize(text: &str, base: usize) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let mut it = text.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if c.is_whitespace() {
            continue;
        }
        let kind = if c.is_ascii_digit() {
            Kind::Num
        } else if c.is_alphabetic() {
            Kind::Word
        } else {
            Kind::Punct
        };
        let mut end = i + c.len_utf8();
        if kind != Kind::Punct {
            while let Some(&(j, d)) = it.peek() {
                let same = if kind == Kind::Num { d.is_ascii_digit() } else { d.is_alphabetic() };
                if !same {
                    break;
                }
                end = j + d.len_utf8();
                it.next();
            }
        }
        let t = &text[i..end];
        out.push(Tok { text: t, lower: t.to_lowercase(), start: base + i, end: base + end, kind });
    }
    out
}

/// The value of a number token short enough to be a day, a year or an amount.
pub(super) fn num(t: &Tok<'_>) -> Option<i64> {
    (t.kind == Kind::Num && t.text.len() <= 9).then(|| t.text.parse().ok()).flatten()
}

pub(super) fn is_ordinal(t: Option<&Tok<'_>>) -> bool {
    t.is_some_and(|t| matches!(t.lower.as_str(), "st" | "nd" | "rd" | "th") && t.kind == Kind::Word)
}

/// Whether `b` follows `a` with no space between ("7th", "10:15").
pub(super) fn glued(a: &Tok<'_>, b: Option<&Tok<'_>>) -> bool {
    b.is_some_and(|b| b.start == a.end)
}

/// The index after an optional comma at `i`.
pub(super) fn skip_comma(toks: &[Tok<'_>], i: usize) -> usize {
    if toks.get(i).is_some_and(|t| t.text == ",") { i + 1 } else { i }
}
