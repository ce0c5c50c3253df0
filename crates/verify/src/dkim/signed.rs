//! What a signature covers: the canonical body (computed once per message
//! and shared by its signatures) and the signed header fields in the order
//! `h=` names them, ending with the signature's own field.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashMap;

use crate::canon::{self, Canon, RawHeader, SplitMessage};
use crate::tags::strip_b;

/// Canonical bodies, computed once per message and shared by signatures.
pub(crate) struct Bodies<'a> {
    body: &'a [u8],
    simple: OnceCell<Cow<'a, [u8]>>,
    relaxed: OnceCell<Cow<'a, [u8]>>,
}

impl<'a> Bodies<'a> {
    pub(crate) fn new(body: &'a [u8]) -> Bodies<'a> {
        Bodies { body, simple: OnceCell::new(), relaxed: OnceCell::new() }
    }

    pub(crate) fn get(&self, c: Canon) -> &[u8] {
        match c {
            Canon::Simple => self.simple.get_or_init(|| canon::body(Canon::Simple, self.body)),
            Canon::Relaxed => self.relaxed.get_or_init(|| canon::body(Canon::Relaxed, self.body)),
        }
    }
}

/// Lower-cased field names, computed once per message.
pub(crate) fn lower_names(m: &SplitMessage<'_>) -> Vec<String> {
    m.headers.iter().map(|h| crate::utf8_lossy(h.name).to_ascii_lowercase()).collect()
}

/// The data the signature covers: the fields named in `h=`, each taken
/// bottom-up (RFC 6376 §5.4.2), then the signature field itself without its
/// `b=` value and final CRLF.
pub(crate) fn signed_data(
    m: &SplitMessage<'_>,
    names: &[String],
    h: &[String],
    canon: Canon,
    sig: &RawHeader<'_>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    // The fields of each name, bottom-up, and how many of them `h=` has taken
    // so far: one pass over the fields and one over `h=`, however long a
    // hostile `h=` is (`names` is lower-case already).
    let mut by_name: HashMap<&str, (Vec<usize>, usize)> = HashMap::new();
    for (i, n) in names.iter().enumerate().rev() {
        by_name.entry(n.as_str()).or_default().0.push(i);
    }
    let mut lower = String::new();
    for want in h {
        lower.clear();
        lower.push_str(want);
        lower.make_ascii_lowercase();
        if let Some((fields, taken)) = by_name.get_mut(lower.as_str()) {
            if let Some(&idx) = fields.get(*taken) {
                let f = &m.headers[idx];
                canon::header_into(&mut out, canon, f, f.value, true);
            }
            *taken += 1;
        }
    }
    canon::header_into(&mut out, canon, sig, &strip_b(sig.value), false);
    out
}
