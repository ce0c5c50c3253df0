//! The things a cascade is about: a URL, a hashtag, a domain, a text, or
//! a reposted post.

use std::fmt;

use leaktrace_model::derive::{extract_urls, normalize_url, strip_rt_prefix};
use leaktrace_model::{Post, PostKind};
use serde::Serialize;

/// An object posts can share.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
pub enum Object {
    /// A normalised URL.
    Url(String),
    /// Lower-case, without `#`.
    Hashtag(String),
    /// A link's host, without `www.`.
    Domain(String),
    /// Normalised text (see [`normalize_text`]).
    Text(String),
    /// A post that others reposted: the post itself and every repost of it.
    Repost(i64),
    /// A word of the text (see [`words`]): `word:podesta` is in "Podesta's
    /// emails", not in "#PodestaEmails" (a hashtag of its own).
    Word(String),
}

/// The kinds of objects, for choosing which a lead/lag analysis compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectKind {
    Url,
    Hashtag,
    Domain,
    Text,
    Repost,
    Word,
}

impl ObjectKind {
    pub const ALL: [ObjectKind; 6] = [
        ObjectKind::Url,
        ObjectKind::Hashtag,
        ObjectKind::Domain,
        ObjectKind::Text,
        ObjectKind::Repost,
        ObjectKind::Word,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ObjectKind::Url => "url",
            ObjectKind::Hashtag => "hashtag",
            ObjectKind::Domain => "domain",
            ObjectKind::Text => "text",
            ObjectKind::Repost => "repost",
            ObjectKind::Word => "word",
        }
    }

    pub fn parse(s: &str) -> Option<ObjectKind> {
        ObjectKind::ALL.into_iter().find(|k| k.name() == s.trim().to_ascii_lowercase())
    }
}

/// Words of this many bytes or more are not words (the search index drops
/// them too, so a word object always has the index's answer).
pub const MAX_WORD_BYTES: usize = 40;

/// The words of a text as the search index's tokenizer makes them: runs of
/// letters and digits shorter than [`MAX_WORD_BYTES`], then lower-cased
/// character by character (as the index does: no final-sigma rule).
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && w.len() < MAX_WORD_BYTES)
        .map(|w| w.chars().flat_map(char::to_lowercase).collect())
}

/// Text as compared across posts: without a leading `RT @x:`, without
/// URLs (shorteners differ per post), lower-case, whitespace collapsed.
pub fn normalize_text(text: &str) -> String {
    let (_, body) = strip_rt_prefix(text);
    let mut without_urls = String::with_capacity(body.len());
    let mut rest = body;
    for u in extract_urls(body) {
        // extract_urls returns slices of `body`, in order.
        let start = u.as_ptr() as usize - rest.as_ptr() as usize;
        without_urls.push_str(&rest[..start]);
        without_urls.push(' ');
        rest = &rest[start + u.len()..];
    }
    without_urls.push_str(rest);
    without_urls.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

impl Object {
    /// Parse an object as written on the command line: `https://…` or
    /// `url:…`, `#tag` or `hashtag:tag`, `domain:host`, `repost:ID`, `text:…`;
    /// anything else is a text.
    pub fn parse(spec: &str) -> Result<Object, String> {
        let s = spec.trim();
        if s.is_empty() {
            return Err("empty object: give a URL, #hashtag, domain:HOST, repost:ID or text".into());
        }
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("url:") {
            let raw = if lower.starts_with("url:") { &s[4..] } else { s };
            return normalize_url(raw.trim()).map(Object::Url).ok_or_else(|| format!("{raw}: not a URL"));
        }
        if let Some(tag) = s.strip_prefix('#').or_else(|| lower.starts_with("hashtag:").then(|| &s[8..])) {
            let tag = tag.trim().trim_start_matches('#').to_lowercase();
            if tag.is_empty() {
                return Err(format!("{s}: empty hashtag"));
            }
            return Ok(Object::Hashtag(tag));
        }
        if lower.starts_with("domain:") {
            let d = s[7..].trim().to_lowercase();
            let d = d.strip_prefix("www.").unwrap_or(&d).to_string();
            if d.is_empty() {
                return Err(format!("{s}: empty domain"));
            }
            return Ok(Object::Domain(d));
        }
        if lower.starts_with("word:") {
            let w = s[5..].trim();
            let mut ws = words(w);
            return match (ws.next(), ws.next()) {
                (Some(one), None) if one.chars().count() == w.chars().count() => Ok(Object::Word(one)),
                _ => Err(format!("{s}: word:X takes one word of letters and digits")),
            };
        }
        if lower.starts_with("repost:") || lower.starts_with("rt:") {
            let id = &s[s.find(':').expect("prefix has a colon") + 1..];
            return id
                .trim()
                .parse()
                .map(Object::Repost)
                .map_err(|_| format!("{s}: repost:ID needs a numeric post id"));
        }
        let text = if lower.starts_with("text:") { &s[5..] } else { s };
        let t = normalize_text(text);
        if t.is_empty() {
            return Err(format!("{s}: nothing left of the text once URLs and spaces are removed"));
        }
        Ok(Object::Text(t))
    }

    pub fn kind(&self) -> ObjectKind {
        match self {
            Object::Url(_) => ObjectKind::Url,
            Object::Hashtag(_) => ObjectKind::Hashtag,
            Object::Domain(_) => ObjectKind::Domain,
            Object::Text(_) => ObjectKind::Text,
            Object::Repost(_) => ObjectKind::Repost,
            Object::Word(_) => ObjectKind::Word,
        }
    }

    /// Whether the post acts on this object.
    pub fn in_post(&self, p: &Post) -> bool {
        match self {
            Object::Url(u) => p.urls.iter().any(|x| x == u),
            Object::Hashtag(h) => p.hashtags.iter().any(|x| x == h),
            Object::Domain(d) => p.domains.iter().any(|x| x == d),
            Object::Text(t) => normalize_text(&p.text) == *t,
            Object::Repost(id) => p.id == *id || (p.kind == PostKind::Repost && p.target_post == Some(*id)),
            Object::Word(w) => words(&p.text).any(|x| x == *w),
        }
    }
}

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Object::Url(u) => write!(f, "url:{u}"),
            Object::Hashtag(h) => write!(f, "#{h}"),
            Object::Domain(d) => write!(f, "domain:{d}"),
            Object::Text(t) => write!(f, "text:{t}"),
            Object::Repost(id) => write!(f, "repost:{id}"),
            Object::Word(w) => write!(f, "word:{w}"),
        }
    }
}

/// The objects of the chosen kinds that a post acts on, without repeats.
pub fn objects_of(p: &Post, kinds: &[ObjectKind]) -> Vec<Object> {
    let mut out = Vec::new();
    for k in kinds {
        match k {
            ObjectKind::Url => out.extend(p.urls.iter().cloned().map(Object::Url)),
            ObjectKind::Hashtag => out.extend(p.hashtags.iter().cloned().map(Object::Hashtag)),
            ObjectKind::Domain => out.extend(p.domains.iter().cloned().map(Object::Domain)),
            ObjectKind::Text => {
                let t = normalize_text(&p.text);
                if !t.is_empty() {
                    out.push(Object::Text(t));
                }
            }
            ObjectKind::Repost => match (p.kind, p.target_post) {
                (PostKind::Repost, Some(t)) => out.push(Object::Repost(t)),
                _ => out.push(Object::Repost(p.id)),
            },
            ObjectKind::Word => out.extend(words(&p.text).map(Object::Word)),
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_objects_as_written() {
        assert_eq!(
            Object::parse("HTTPS://WikiLeaks.org/podesta-emails/?utm_source=x").unwrap(),
            Object::Url("https://wikileaks.org/podesta-emails/".into())
        );
        assert_eq!(Object::parse("#PodestaEmails").unwrap(), Object::Hashtag("podestaemails".into()));
        assert_eq!(Object::parse("hashtag:#X").unwrap(), Object::Hashtag("x".into()));
        assert_eq!(Object::parse("domain:www.Example.com").unwrap(), Object::Domain("example.com".into()));
        assert_eq!(Object::parse("repost:42").unwrap(), Object::Repost(42));
        assert!(Object::parse("repost:x").is_err());
        assert_eq!(Object::parse("RT @a: Hello   World https://t.co/x").unwrap(), Object::Text("hello world".into()));
        assert_eq!(Object::parse("word:Podesta").unwrap(), Object::Word("podesta".into()));
        assert!(Object::parse("word:two words").is_err() && Object::parse("word:#x").is_err());
    }

    #[test]
    fn words_are_the_index_s_words() {
        let mut p = Post::new(1, "a", 0, "RT @x: Podesta's emails #PodestaEmails https://t.co/Ab1");
        p.derive_entities_from_text();
        let w = Object::Word("podesta".into());
        assert!(w.in_post(&p));
        assert!(!Object::Word("podestaemails2".into()).in_post(&p));
        assert!(Object::Word("podestaemails".into()).in_post(&p), "the hashtag's text is a word of the text");
        assert!(objects_of(&p, &[ObjectKind::Word]).contains(&w));
    }
}
