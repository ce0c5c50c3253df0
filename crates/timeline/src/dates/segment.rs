//! Cutting an article into passages (paragraphs, split on blank lines) and
//! passages into sentences: a claim quotes its sentence, and a relative
//! phrase only looks back within its passage.

use super::words::month;

/// Passages (split on blank lines) as (byte offset, text).
pub(super) fn passages(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut line_start = 0;
    let mut blank_run = false;
    for (i, c) in text.char_indices() {
        if c == '\n' {
            let line = &text[line_start..i];
            if line.trim().is_empty() {
                if !blank_run && start < line_start {
                    out.push((start, &text[start..line_start]));
                }
                blank_run = true;
                start = i + 1;
            } else {
                blank_run = false;
            }
            line_start = i + 1;
        }
    }
    if start < text.len() && !text[start..].trim().is_empty() {
        out.push((start, &text[start..]));
    }
    out.retain(|(_, p)| !p.trim().is_empty());
    out
}

/// Words whose full stop does not end a sentence ("Oct. 12", "Mr. Podesta").
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "jr", "sr", "st", "gov", "sen", "rep", "gen", "col", "lt", "sgt", "prof", "rev", "jan",
    "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "no", "vs", "etc", "inc", "corp",
    "co", "u.s", "a.m", "p.m", "e.g", "i.e", "m", "ft", "mt",
];

fn word_before(s: &str) -> String {
    s.trim_end_matches('.')
        .rsplit(|c: char| !(c.is_alphanumeric() || c == '.'))
        .next()
        .unwrap_or("")
        .trim_start_matches('.')
        .to_lowercase()
}

/// Whether a line starts an item of a list or a timeline ("- ...", "1. ...",
/// "Oct 12 ..."), which ends the sentence before it.
fn starts_item(line: &str) -> bool {
    let t = line.trim_start();
    let first = t.split(|c: char| !c.is_alphanumeric()).next().unwrap_or("").to_lowercase();
    t.starts_with(['-', '*', '•', '–', '—', '['])
        || t.starts_with(|c: char| c.is_ascii_digit())
        || month(&first).is_some()
}

/// Sentences of a passage as (byte offset within passage, text).
pub(super) fn sentences(p: &str) -> Vec<(usize, &str)> {
    let mut cuts = Vec::new();
    let b = p.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if matches!(c, b'.' | b'!' | b'?') {
            let mut j = i + 1;
            while j < b.len() && matches!(b[j], b'"' | b'\'' | b')' | b']') {
                j += 1;
            }
            let next_ok = j >= b.len()
                || (b[j].is_ascii_whitespace() && {
                    let rest = p[j..].trim_start();
                    rest.is_empty()
                        || rest
                            .starts_with(|ch: char| ch.is_uppercase() || ch.is_ascii_digit() || "\"'“‘([".contains(ch))
                });
            if next_ok && !(c == b'.' && ABBREVIATIONS.contains(&word_before(&p[..i]).as_str())) {
                cuts.push(j);
            }
        } else if c == b'\n' {
            let before = p[..i].trim_end();
            let after = p[i + 1..].lines().next().unwrap_or("");
            if before.ends_with(['.', '!', '?', ':', ';', ']']) || starts_item(after) {
                cuts.push(i + 1);
            }
        }
        i += 1;
    }
    let mut out = Vec::new();
    let mut start = 0;
    for c in cuts.into_iter().chain(std::iter::once(p.len())) {
        if c > start {
            let s = &p[start..c];
            let lead = s.len() - s.trim_start().len();
            if !s.trim().is_empty() {
                out.push((start + lead, s.trim()));
            }
            start = c;
        }
    }
    out
}
