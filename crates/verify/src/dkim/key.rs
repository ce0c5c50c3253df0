//! Finding the key of a signature in the archive and checking the header
//! signature with it: records from independent sources before keys
//! recovered from the evidence, and each record's own restrictions (key
//! type, allowed hashes, `t=s`).

use std::sync::Arc;

use super::{HashAlg, KeyAlg, MessageContext, crypto_verify, signed_data};
use crate::canon::Canon;
use crate::keys::{KeyArchive, KeyRecord, KeyState, PublicKey};
use crate::report::Check;
use crate::tags::Tags;

/// Outcome of the key lookup for one signature.
pub(super) enum KeyOutcome {
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

/// The key outcome of one signature; `idx` is its field's index in the message.
pub(super) fn find_key(
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
