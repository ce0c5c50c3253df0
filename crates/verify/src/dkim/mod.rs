//! DKIM verification (RFC 6376, RFC 8463) with the two halves kept apart:
//! whether the signed header fields match the signature, and whether the
//! body matches the body hash. mail-auth stops at the first failure (body
//! hash first), so it cannot say "headers authentic, body altered"; a
//! reporter needs exactly that distinction.
//!
//! `verify` takes one signature through its steps (tags, body hash, key and
//! header signature, times, the verdict); `key` looks the key up and checks
//! the header signature; `signed` builds what a signature covers; `crypto`
//! has the digests and signature checks. The tag list, which ARC shares,
//! is read by `crate::tags`.

mod crypto;
mod key;
mod signed;
mod verify;

pub(crate) use crate::alg::{HashAlg, KeyAlg};
pub(crate) use crypto::crypto_verify;
pub(crate) use signed::{Bodies, lower_names, signed_data};
pub(crate) use verify::verify_signature;

use crate::canon::SplitMessage;

/// RSA keys below this size can be factored by anyone with some money; a
/// signature made with one proves little.
pub const MIN_RSA_BITS: usize = 1024;

/// Context shared by the signatures of one message.
pub(crate) struct MessageContext<'a> {
    pub split: &'a SplitMessage<'a>,
    pub names: &'a [String],
    pub bodies: &'a Bodies<'a>,
    /// The Date header, as Unix seconds.
    pub date: Option<i64>,
    pub from_domain: Option<&'a str>,
    pub now: i64,
}

/// How `d=` relates to the From domain.
pub fn alignment(d: &str, from_domain: Option<&str>) -> &'static str {
    let Some(f) = from_domain else { return "none" };
    let (d, f) = (d.trim_end_matches('.').as_bytes(), f.trim_end_matches('.').as_bytes());
    // Compared ignoring ASCII case, without lower-cased copies: `a` is a
    // subdomain of `b`.
    let under = |a: &[u8], b: &[u8]| {
        a.len() > b.len() && a[a.len() - b.len()..].eq_ignore_ascii_case(b) && a[a.len() - b.len() - 1] == b'.'
    };
    if d.eq_ignore_ascii_case(f) {
        "exact"
    } else if (under(f, d) || under(d, f)) && d.contains(&b'.') && f.contains(&b'.') {
        "relaxed"
    } else {
        "none"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment_agrees_with_lower_cased_copies() {
        fn reference(d: &str, from_domain: Option<&str>) -> &'static str {
            let Some(f) = from_domain else { return "none" };
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            let f = f.trim_end_matches('.').to_ascii_lowercase();
            let under =
                |a: &str, b: &str| a.len() > b.len() && a.ends_with(b) && a.as_bytes()[a.len() - b.len() - 1] == b'.';
            if d == f {
                "exact"
            } else if (under(&f, &d) || under(&d, &f)) && d.contains('.') && f.contains('.') {
                "relaxed"
            } else {
                "none"
            }
        }
        let names = [
            "",
            ".",
            "com",
            "example.com",
            "Example.COM.",
            "mail.example.com",
            "MAIL.Example.com..",
            "xexample.com",
            "a.b.example.com",
            "ex\u{e4}mple.com",
            "mail.EX\u{c4}MPLE.com",
            "\u{e4}.example.com",
            "example.com.x",
        ];
        for d in names {
            for f in names {
                assert_eq!(alignment(d, Some(f)), reference(d, Some(f)), "{d:?} {f:?}");
            }
        }
    }

    #[test]
    fn alignment_words() {
        assert_eq!(alignment("gmail.com", Some("gmail.com")), "exact");
        assert_eq!(alignment("mail.example.com", Some("example.com")), "relaxed");
        assert_eq!(alignment("example.com", Some("notexample.com")), "none");
        assert_eq!(alignment("example.com", None), "none");
    }
}
