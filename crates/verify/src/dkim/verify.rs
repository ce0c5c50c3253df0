//! One DKIM signature from its field to its report: the tags read and
//! checked, the body hash, the key and header signature, the signing and
//! expiry times against the message's Date, unsigned duplicates of signed
//! fields, and the verdict, which names the first problem that decides it.

use std::sync::Arc;

use super::key::{KeyOutcome, find_key};
use super::{HashAlg, KeyAlg, MIN_RSA_BITS, MessageContext, alignment};
use crate::canon::Canon;
use crate::keys::{KeyArchive, KeyRecord, KeyState, PublicKey};
use crate::report::{Check, SigResult, SignatureReport};
use crate::tags::{Tags, parse_tags};

/// Header fields a reader sees once: an unsigned second copy above the
/// signed one is what a forger adds (RFC 6376 §8.15).
const SINGLE_FIELDS: [&str; 11] =
    ["from", "sender", "reply-to", "to", "cc", "bcc", "message-id", "in-reply-to", "references", "subject", "date"];

/// A problem that decides a signature's reason: (reason word, explanation).
type Problem = (&'static str, String);

/// The verifying key was recovered from the evidence, not archived from an
/// independent source.
struct Recovered {
    /// An independently archived record of the same name that did not verify.
    independent_failed: Option<Arc<KeyRecord>>,
}

/// What the checks after the tags found, for the verdict.
struct Findings {
    /// `l=` claims more body than there is.
    body: Option<Problem>,
    key: Option<Problem>,
    recovered: Option<Recovered>,
    expired: Option<String>,
    partial: Option<String>,
    duplicate: Option<String>,
}

/// Verify one signature; `idx` is its field's index in the message.
pub(crate) fn verify_signature(ctx: &MessageContext<'_>, idx: usize, keys: &KeyArchive) -> SignatureReport {
    let mut rep = empty_report();
    let tags = match parse_tags(ctx.split.headers[idx].value) {
        Ok(t) => t,
        Err(e) => return malformed(rep, e),
    };
    describe_tags(&mut rep, &tags, ctx.from_domain);
    let (ch, cb) = match check_tags(&tags) {
        Ok(c) => c,
        Err(why) => return malformed(rep, why),
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
    let body = ctx.bodies.get(cb);
    rep.body_length = Some(body.len() as u64);
    let (body_hash, body_problem) = check_body_hash(body, &tags, alg.1);
    rep.body_hash = body_hash;
    let (key_problem, recovered) = take_key(&mut rep, find_key(keys, &tags, alg, ctx, idx));
    let expired = check_times(&tags, ctx, &mut rep.warnings);
    let duplicate = unsigned_duplicate(&tags, ctx.names);
    let partial = partial_body(&tags, body.len(), &mut rep.warnings);
    let findings = Findings { body: body_problem, key: key_problem, recovered, expired, partial, duplicate };
    let (reason, explanation) = judge(&mut rep, &tags, alg, findings);
    rep.reason = reason.into();
    rep.explanation = explanation;
    rep
}

/// A report with nothing read yet, failing until a check says otherwise.
fn empty_report() -> SignatureReport {
    SignatureReport {
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
    }
}

fn malformed(mut rep: SignatureReport, why: String) -> SignatureReport {
    rep.reason = "malformed_signature".into();
    rep.explanation = format!("The DKIM-Signature field cannot be read: {why}.");
    rep
}

/// What the tags say, into the report, before any of it is checked.
fn describe_tags(rep: &mut SignatureReport, tags: &Tags, from_domain: Option<&str>) {
    rep.domain.clone_from(&tags.d);
    rep.selector.clone_from(&tags.s);
    rep.algorithm.clone_from(&tags.a);
    rep.signed_headers.clone_from(&tags.h);
    rep.from_alignment = alignment(&tags.d, from_domain).into();
    rep.signed_at = tags.t.and_then(rfc3339);
    rep.expires_at = tags.x.and_then(rfc3339);
    rep.body_length_signed = tags.l;
}

/// The tags RFC 6376 requires, present and consistent: the (header, body)
/// canonicalisation, or why the signature cannot be read.
fn check_tags(tags: &Tags) -> Result<(Canon, Canon), String> {
    if let Some(v) = &tags.v
        && v != "1"
    {
        return Err(format!("version v={v}, not 1"));
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
        return Err(format!("required tags missing: {}", missing.join(", ")));
    }
    if !tags.h.iter().any(|h| h.eq_ignore_ascii_case("from")) {
        return Err("h= does not include From, which RFC 6376 requires".into());
    }
    if let Some(i) = &tags.i {
        let idom = i.rsplit_once('@').map_or(i.as_str(), |(_, d)| d).to_ascii_lowercase();
        if alignment(&idom, Some(&tags.d)) == "none" {
            return Err(format!("i={i} is not in the signing domain {}", tags.d));
        }
    }
    tags.canon().ok_or_else(|| format!("unknown canonicalisation c={}", tags.c))
}

/// Does the canonical body (its first `l=` bytes) match `bh=`? A body
/// shorter than `l=` fails, with the problem saying it was cut short.
fn check_body_hash(body: &[u8], tags: &Tags, hash: HashAlg) -> (Check, Option<Problem>) {
    let mut problem = None;
    let covered = match tags.l {
        Some(l) if l > body.len() as u64 => {
            problem = Some((
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
    let check = if problem.is_none() && hash.digest(covered) == tags.bh { Check::Pass } else { Check::Fail };
    (check, problem)
}

/// The key lookup's outcome, into the report: the header signature and
/// the key's facts, or the problem that kept it from being checked.
fn take_key(rep: &mut SignatureReport, key: KeyOutcome) -> (Option<Problem>, Option<Recovered>) {
    match key {
        KeyOutcome::Found { record, header, independent_failed } => {
            rep.header_signature = header;
            let recovered = (header == Check::Pass && record.recovered).then_some(Recovered { independent_failed });
            if let KeyState::Usable(PublicKey::Rsa { bits, .. }) = &record.state {
                rep.key_bits = Some(*bits);
            }
            if record.is_testing() {
                rep.warnings.push("testing_key".into());
            }
            rep.key_source = Some(record.origin.clone());
            (None, recovered)
        }
        KeyOutcome::Problem { reason, explanation, record } => {
            rep.key_source = record.map(|r| r.origin.clone());
            (Some((reason, explanation)), None)
        }
    }
}

/// The signature's expiry, judged against the message's own Date, since
/// the question is whether it was valid when the mail was sent; warnings
/// for expiry since then and for signing times far from the Date.
fn check_times(tags: &Tags, ctx: &MessageContext<'_>, warnings: &mut Vec<String>) -> Option<String> {
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
            _ if x < ctx.now => warnings.push("expired_now".into()),
            _ => {}
        }
    }
    if let (Some(t), Some(date)) = (tags.t, ctx.date) {
        if t > date + 86_400 {
            warnings.push("signed_after_date".into());
        } else if t < date - 3_600 {
            warnings.push("signed_before_date".into());
        }
    }
    expired
}

/// A single-instance field that the message has more often than the
/// signature covers.
fn unsigned_duplicate(tags: &Tags, names: &[String]) -> Option<String> {
    for name in SINGLE_FIELDS {
        let signed = tags.h.iter().filter(|h| h.eq_ignore_ascii_case(name)).count();
        let present = names.iter().filter(|n| *n == name).count();
        if signed > 0 && present > signed {
            return Some(format!(
                "The message has {present} {name} fields but the signature covers {signed}: the topmost, which mail programs show, is not signed and may have been added later."
            ));
        }
    }
    None
}

/// Body bytes after the `l=` the signature covers.
fn partial_body(tags: &Tags, body_len: usize, warnings: &mut Vec<String>) -> Option<String> {
    match tags.l {
        Some(l) if (l as usize) < body_len => {
            warnings.push("partial_body".into());
            Some(format!(
                "The signature covers only the first {l} bytes of the body (l=); {} bytes after them are not signed and could have been appended by anyone.",
                body_len - l as usize
            ))
        }
        _ => None,
    }
}

/// The reason and explanation: the first problem in order of weight, else
/// the match, which `matched` words.
fn judge(rep: &mut SignatureReport, tags: &Tags, alg: (KeyAlg, HashAlg), f: Findings) -> Problem {
    if rep.header_signature == Check::Fail {
        let also = if rep.body_hash == Check::Fail { " The body does not match its hash either." } else { "" };
        (
            "signature_mismatch",
            format!(
                "The signed header fields do not match the signature made with the key of {}._domainkey.{}: a signed header was changed, or the signature is forged.{also}",
                tags.s, tags.d
            ),
        )
    } else if let Some(p) = f.body {
        p
    } else if rep.body_hash == Check::Fail {
        let head = match rep.header_signature {
            Check::Pass => "The signed headers are authentic, but the",
            _ => "The",
        };
        (
            "body_hash_mismatch",
            format!("{head} body has changed since it was signed: it does not match the body hash bh=."),
        )
    } else if let Some(p) = f.key {
        p
    } else if rep.key_bits.is_some_and(|b| b < MIN_RSA_BITS) {
        (
            "key_too_weak",
            format!(
                "The signature matches, but the key is only {} bits: keys under {MIN_RSA_BITS} bits can be factored, so anyone could have made it.",
                rep.key_bits.unwrap_or(0)
            ),
        )
    } else if let Some(e) = f.expired {
        ("expired", e)
    } else if let Some(e) = f.partial {
        ("partial_body", e)
    } else if let Some(e) = f.duplicate {
        ("duplicate_signed_header", e)
    } else {
        matched(rep, tags, alg, f.recovered)
    }
}

/// Headers and body match and nothing else stands against the signature:
/// a pass, unless the key was recovered from the evidence (consistent) or
/// the hash is SHA-1 (weak).
fn matched(rep: &mut SignatureReport, tags: &Tags, alg: (KeyAlg, HashAlg), recovered: Option<Recovered>) -> Problem {
    let mut e = format!(
        "Headers and body match the signature made with the key of {}._domainkey.{} ({}).",
        tags.s,
        tags.d,
        rep.key_source.as_deref().unwrap_or("key archive")
    );
    if rep.warnings.iter().any(|w| w == "expired_now") {
        e.push_str(" The signature's expiry (x=) has passed today, but had not at the message's Date.");
    }
    if let Some(Recovered { independent_failed }) = recovered {
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
}

fn rfc3339(ts: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(ts, 0).map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}
