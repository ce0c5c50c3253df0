//! DKIM verification (RFC 6376, RFC 8463) with the two halves kept apart:
//! whether the signed header fields match the signature, and whether the
//! body matches the body hash. mail-auth stops at the first failure (body
//! hash first), so it cannot say "headers authentic, body altered"; a
//! reporter needs exactly that distinction.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashMap;
use std::sync::Arc;

use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::canon::{self, Canon, RawHeader, SplitMessage};
use crate::keys::{KeyArchive, KeyRecord, KeyState, PublicKey};
use crate::report::{Check, SigResult, SignatureReport};
use crate::tags::{Tags, parse_tags, strip_b};

/// RSA keys below this size can be factored by anyone with some money; a
/// signature made with one proves little.
pub const MIN_RSA_BITS: usize = 1024;

/// Header fields a reader sees once: an unsigned second copy above the
/// signed one is what a forger adds (RFC 6376 §8.15).
const SINGLE_FIELDS: [&str; 11] =
    ["from", "sender", "reply-to", "to", "cc", "bcc", "message-id", "in-reply-to", "references", "subject", "date"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HashAlg {
    Sha1,
    Sha256,
}

impl HashAlg {
    /// The DigestInfo prefix of PKCS#1 v1.5 signatures (RFC 8017 §9.2, note 1).
    pub(crate) fn digest_info_prefix(self) -> &'static [u8] {
        match self {
            HashAlg::Sha1 => {
                &[0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14]
            }
            HashAlg::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
                0x04, 0x20,
            ],
        }
    }

    pub(crate) fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            HashAlg::Sha1 => Sha1::digest(data).to_vec(),
            HashAlg::Sha256 => Sha256::digest(data).to_vec(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            HashAlg::Sha1 => "sha1",
            HashAlg::Sha256 => "sha256",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyAlg {
    Rsa,
    Ed25519,
}

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

/// Does `sig` verify `digest` under `key`?
pub(crate) fn crypto_verify(key: &PublicKey, alg: (KeyAlg, HashAlg), digest: &[u8], sig: &[u8]) -> bool {
    match (key, alg.0) {
        (PublicKey::Rsa { key, prepared, .. }, KeyAlg::Rsa) => {
            let prefix = alg.1.digest_info_prefix();
            match prepared {
                Some(p) => p.verify(prefix, digest, sig),
                None => {
                    let scheme = rsa::Pkcs1v15Sign { hash_len: Some(digest.len()), prefix: prefix.into() };
                    key.verify(scheme, digest, sig).is_ok()
                }
            }
        }
        (PublicKey::Ed25519(k), KeyAlg::Ed25519) => match ed25519_dalek::Signature::from_slice(sig) {
            Ok(s) => k.verify_strict(digest, &s).is_ok(),
            Err(_) => false,
        },
        _ => false,
    }
}

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

fn rfc3339(ts: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(ts, 0).map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
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

/// Outcome of the key lookup for one signature.
enum KeyOutcome {
    /// `independent_failed`: a recovered key verified, and this record of the
    /// same name from an independent source did not.
    Found {
        record: Arc<KeyRecord>,
        header: Check,
        independent_failed: Option<Arc<KeyRecord>>,
    },
    Problem {
        reason: &'static str,
        explanation: String,
        record: Option<Arc<KeyRecord>>,
    },
}

/// Verify one signature; `idx` is its field's index in the message.
pub(crate) fn verify_signature(ctx: &MessageContext<'_>, idx: usize, keys: &KeyArchive) -> SignatureReport {
    let field = &ctx.split.headers[idx];
    let mut rep = SignatureReport {
        domain: String::new(),
        selector: String::new(),
        algorithm: String::new(),
        canonicalization: String::new(),
        result: SigResult::Fail,
        header_signature: Check::NotChecked,
        body_hash: Check::NotChecked,
        reason: String::new(),
        explanation: String::new(),
        warnings: Vec::new(),
        signed_headers: Vec::new(),
        from_alignment: "none".into(),
        signed_at: None,
        expires_at: None,
        body_length_signed: None,
        body_length: None,
        key_bits: None,
        key_source: None,
        mail_auth: None,
    };
    let malformed = |mut rep: SignatureReport, why: String| {
        rep.reason = "malformed_signature".into();
        rep.explanation = format!("The DKIM-Signature field cannot be read: {why}.");
        rep
    };
    let tags = match parse_tags(field.value) {
        Ok(t) => t,
        Err(e) => return malformed(rep, e),
    };
    rep.domain.clone_from(&tags.d);
    rep.selector.clone_from(&tags.s);
    rep.algorithm.clone_from(&tags.a);
    rep.signed_headers.clone_from(&tags.h);
    rep.from_alignment = alignment(&tags.d, ctx.from_domain).into();
    rep.signed_at = tags.t.and_then(rfc3339);
    rep.expires_at = tags.x.and_then(rfc3339);
    rep.body_length_signed = tags.l;
    if let Some(v) = &tags.v
        && v != "1"
    {
        return malformed(rep, format!("version v={v}, not 1"));
    }
    let missing: Vec<&str> = [
        ("v", tags.v.is_none()),
        ("a", tags.a.is_empty()),
        ("b", tags.b.is_empty()),
        ("bh", tags.bh.is_empty()),
        ("d", tags.d.is_empty()),
        ("h", tags.h.is_empty()),
        ("s", tags.s.is_empty()),
    ]
    .into_iter()
    .filter_map(|(n, m)| m.then_some(n))
    .collect();
    if !missing.is_empty() {
        return malformed(rep, format!("required tags missing: {}", missing.join(", ")));
    }
    if !tags.h.iter().any(|h| h.eq_ignore_ascii_case("from")) {
        return malformed(rep, "h= does not include From, which RFC 6376 requires".into());
    }
    if let Some(i) = &tags.i {
        let idom = i.rsplit_once('@').map_or(i.as_str(), |(_, d)| d).to_ascii_lowercase();
        if alignment(&idom, Some(&tags.d)) == "none" {
            return malformed(rep, format!("i={i} is not in the signing domain {}", tags.d));
        }
    }
    let Some((ch, cb)) = tags.canon() else {
        return malformed(rep, format!("unknown canonicalisation c={}", tags.c));
    };
    rep.canonicalization = format!("{}/{}", ch.name(), cb.name());
    let Some(alg) = tags.algorithms() else {
        rep.reason = "unsupported_algorithm".into();
        rep.explanation = format!("The signature uses a={}, which DKIM does not define.", tags.a);
        return rep;
    };
    if alg.1 == HashAlg::Sha1 {
        rep.warnings.push("sha1".into());
    }

    // Body.
    let body = ctx.bodies.get(cb);
    rep.body_length = Some(body.len() as u64);
    let mut body_problem: Option<(&'static str, String)> = None;
    let covered = match tags.l {
        Some(l) if l > body.len() as u64 => {
            body_problem = Some((
                "length_exceeds_body",
                format!(
                    "The signature says it covers {l} body bytes (l=), but the canonical body has only {}: the body was cut short.",
                    body.len()
                ),
            ));
            body
        }
        Some(l) => &body[..l as usize],
        None => body,
    };
    rep.body_hash = if body_problem.is_none() && alg.1.digest(covered) == tags.bh { Check::Pass } else { Check::Fail };

    // Key and header signature.
    let key = find_key(keys, &tags, alg, ctx, idx);
    let mut key_problem = None;
    // Some(_) when the key that verified was recovered from the evidence.
    let mut recovered: Option<Option<Arc<KeyRecord>>> = None;
    match key {
        KeyOutcome::Found { record, header, independent_failed } => {
            rep.header_signature = header;
            if header == Check::Pass && record.recovered {
                recovered = Some(independent_failed);
            }
            if let KeyState::Usable(PublicKey::Rsa { bits, .. }) = &record.state {
                rep.key_bits = Some(*bits);
            }
            if record.is_testing() {
                rep.warnings.push("testing_key".into());
            }
            rep.key_source = Some(record.origin.clone());
        }
        KeyOutcome::Problem { reason, explanation, record } => {
            rep.key_source = record.map(|r| r.origin.clone());
            key_problem = Some((reason, explanation));
        }
    }

    // Time: judged against the message's own Date, since the question is
    // whether the signature was valid when the mail was sent.
    let mut expired: Option<String> = None;
    if let (Some(t), Some(x)) = (tags.t, tags.x)
        && x <= t
    {
        expired = Some(format!("The signature's expiry x= ({}) is not after its signing time t= ({}).", x, t));
    }
    if expired.is_none()
        && let Some(x) = tags.x
    {
        match ctx.date {
            Some(date) if x < date => {
                expired = Some(format!(
                    "The signature expired at {} (x=), before the time in the message's Date header ({}).",
                    rfc3339(x).unwrap_or_default(),
                    rfc3339(date).unwrap_or_default()
                ));
            }
            _ if x < ctx.now => rep.warnings.push("expired_now".into()),
            _ => {}
        }
    }
    if let (Some(t), Some(date)) = (tags.t, ctx.date) {
        if t > date + 86_400 {
            rep.warnings.push("signed_after_date".into());
        } else if t < date - 3_600 {
            rep.warnings.push("signed_before_date".into());
        }
    }

    // Unsigned duplicates of signed single-instance fields.
    let mut duplicate = None;
    for name in SINGLE_FIELDS {
        let signed = tags.h.iter().filter(|h| h.eq_ignore_ascii_case(name)).count();
        let present = ctx.names.iter().filter(|n| *n == name).count();
        if signed > 0 && present > signed {
            duplicate = Some(format!(
                "The message has {present} {name} fields but the signature covers {signed}: the topmost, which mail programs show, is not signed and may have been added later."
            ));
            break;
        }
    }

    let partial = match tags.l {
        Some(l) if (l as usize) < body.len() => {
            rep.warnings.push("partial_body".into());
            Some(format!(
                "The signature covers only the first {l} bytes of the body (l=); {} bytes after them are not signed and could have been appended by anyone.",
                body.len() - l as usize
            ))
        }
        _ => None,
    };

    let (reason, explanation): (&str, String) = if rep.header_signature == Check::Fail {
        let also = if rep.body_hash == Check::Fail { " The body does not match its hash either." } else { "" };
        (
            "signature_mismatch",
            format!(
                "The signed header fields do not match the signature made with the key of {}._domainkey.{}: a signed header was changed, or the signature is forged.{also}",
                tags.s, tags.d
            ),
        )
    } else if let Some((r, e)) = body_problem {
        (r, e)
    } else if rep.body_hash == Check::Fail {
        let head = match rep.header_signature {
            Check::Pass => "The signed headers are authentic, but the",
            _ => "The",
        };
        (
            "body_hash_mismatch",
            format!("{head} body has changed since it was signed: it does not match the body hash bh=."),
        )
    } else if let Some((r, e)) = key_problem {
        (r, e)
    } else if rep.key_bits.is_some_and(|b| b < MIN_RSA_BITS) {
        (
            "key_too_weak",
            format!(
                "The signature matches, but the key is only {} bits: keys under {MIN_RSA_BITS} bits can be factored, so anyone could have made it.",
                rep.key_bits.unwrap_or(0)
            ),
        )
    } else if let Some(e) = expired {
        ("expired", e)
    } else if let Some(e) = partial {
        ("partial_body", e)
    } else if let Some(e) = duplicate {
        ("duplicate_signed_header", e)
    } else {
        let mut e = format!(
            "Headers and body match the signature made with the key of {}._domainkey.{} ({}).",
            tags.s,
            tags.d,
            rep.key_source.as_deref().unwrap_or("key archive")
        );
        if rep.warnings.iter().any(|w| w == "expired_now") {
            e.push_str(" The signature's expiry (x=) has passed today, but had not at the message's Date.");
        }
        if let Some(independent_failed) = recovered {
            // The key is only as good as its source, and this one is the
            // evidence: the words below are meant to be quoted as they are.
            e = format!(
                "Headers and body match the signature, but under a key recovered from the messages themselves ({}), not one published by {d} and archived independently. That shows these signatures were made with one key; it does not show the key was {d}'s: whoever assembled the messages could have signed them all with a key of their own.",
                rep.key_source.as_deref().unwrap_or("key archive"),
                d = tags.d
            );
            if let Some(f) = independent_failed {
                e.push_str(&format!(
                    " The independently archived key for {}._domainkey.{} ({}) does not verify this signature.",
                    tags.s, tags.d, f.origin
                ));
            }
            if alg.1 == HashAlg::Sha1 {
                e.push_str(" It also uses SHA-1 (a=rsa-sha1), which RFC 8301 says verifiers must not accept.");
            }
            rep.warnings.push("key_recovered".into());
            rep.result = SigResult::Consistent;
            ("key_recovered", e)
        } else if alg.1 == HashAlg::Sha1 {
            // RFC 8301 §3.1: verifiers MUST NOT consider rsa-sha1 signatures valid.
            e.push_str(
                " But it uses SHA-1 (a=rsa-sha1), which RFC 8301 says verifiers must not accept: SHA-1 collisions can be computed, so the match is consistent with an authentic message but does not prove it.",
            );
            rep.result = SigResult::Weak;
            ("sha1_not_accepted", e)
        } else {
            rep.result = SigResult::Pass;
            ("pass", e)
        }
    };
    rep.reason = reason.into();
    rep.explanation = explanation;
    rep
}

fn find_key(
    keys: &KeyArchive,
    tags: &Tags,
    alg: (KeyAlg, HashAlg),
    ctx: &MessageContext<'_>,
    idx: usize,
) -> KeyOutcome {
    let records = keys.lookup(&tags.s, &tags.d);
    let name = format!("{}._domainkey.{}", tags.s, tags.d);
    if records.is_empty() {
        return KeyOutcome::Problem {
            reason: "key_not_found",
            explanation: format!(
                "The key archive has no key for {name}, so the signature could not be checked (add the key, or use --online)."
            ),
            record: None,
        };
    }
    let mut problem: Option<KeyOutcome> = None;
    let mut data: Option<Vec<u8>> = None;
    let mut failed: Option<Arc<KeyRecord>> = None;
    // Records from independent sources first: a key recovered from the
    // evidence is used only when none of them verifies.
    let ordered = records.iter().filter(|r| !r.recovered).chain(records.iter().filter(|r| r.recovered));
    for record in ordered {
        let p = match &record.state {
            KeyState::Revoked => {
                Some(("key_revoked", format!("The key for {name} is revoked (empty p=) in the archive.")))
            }
            KeyState::Invalid(why) => Some(("key_invalid", format!("The archived key for {name} is unusable: {why}."))),
            KeyState::Usable(k) => {
                let key_alg = match k {
                    PublicKey::Rsa { .. } => KeyAlg::Rsa,
                    PublicKey::Ed25519(_) => KeyAlg::Ed25519,
                };
                if key_alg != alg.0 {
                    Some((
                        "key_type_mismatch",
                        format!("The key for {name} is k={}, but the signature uses a={}.", record.key_type, tags.a),
                    ))
                } else if !record.hashes.is_empty() && !record.hashes.iter().any(|h| h == alg.1.name()) {
                    Some((
                        "hash_not_allowed",
                        format!(
                            "The key for {name} allows only h={}, but the signature uses {}.",
                            record.hashes.join(":"),
                            alg.1.name()
                        ),
                    ))
                } else if record.flags.iter().any(|f| f == "s")
                    && tags.i.as_ref().is_some_and(|i| {
                        !i.rsplit_once('@').map_or(i.as_str(), |(_, d)| d).eq_ignore_ascii_case(&tags.d)
                    })
                {
                    Some((
                        "identity_mismatch",
                        format!("The key for {name} has t=s, so i= must be exactly in {}, and it is not.", tags.d),
                    ))
                } else {
                    None
                }
            }
        };
        if let Some((reason, explanation)) = p {
            problem.get_or_insert(KeyOutcome::Problem { reason, explanation, record: Some(record.clone()) });
            continue;
        }
        let KeyState::Usable(k) = &record.state else { continue };
        let data = data.get_or_insert_with(|| {
            let (ch, _) = tags.canon().unwrap_or((Canon::Simple, Canon::Simple));
            signed_data(ctx.split, ctx.names, &tags.h, ch, &ctx.split.headers[idx])
        });
        let digest = alg.1.digest(data);
        if crypto_verify(k, alg, &digest, &tags.b) {
            return KeyOutcome::Found {
                record: record.clone(),
                header: Check::Pass,
                independent_failed: failed.filter(|f| !f.recovered && record.recovered),
            };
        }
        failed.get_or_insert(record.clone());
    }
    match failed {
        Some(record) => KeyOutcome::Found { record, header: Check::Fail, independent_failed: None },
        None => problem.expect("records were not empty"),
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
