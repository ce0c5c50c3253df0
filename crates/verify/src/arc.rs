//! ARC (RFC 8617), per instance: each ARC-Message-Signature checked like a
//! DKIM signature (header signature and body hash apart), each ARC-Seal over
//! the ARC sets up to its own. The chain verdict comes from mail-auth.

use crate::canon::{self, Canon};
use crate::dkim::{self, MessageContext};
use crate::keys::{KeyArchive, KeyState};
use crate::report::{ArcInstance, Check};
use crate::tags::{Tags, parse_tags, strip_b};

fn instance_of(value: &[u8]) -> Option<u32> {
    let text = String::from_utf8_lossy(value);
    text.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim() == "i").then(|| v.trim().parse().ok()).flatten()
    })
}

/// (Check, reason) for a signature over `data` by `s`/`d` with algorithm `a`.
fn check(keys: &KeyArchive, tags: &Tags, data: &[u8]) -> (Check, &'static str) {
    let Some(alg) = tags.algorithms() else { return (Check::NotChecked, "unsupported_algorithm") };
    let records = keys.lookup(&tags.s, &tags.d);
    if records.is_empty() {
        return (Check::NotChecked, "key_not_found");
    }
    let digest = alg.1.digest(data);
    let mut reason = "key_invalid";
    for r in records {
        match &r.state {
            KeyState::Usable(k) => {
                if dkim::crypto_verify(k, alg, &digest, &tags.b) {
                    return (Check::Pass, "pass");
                }
                reason = "signature_mismatch";
            }
            KeyState::Revoked if reason == "key_invalid" => reason = "key_revoked",
            _ => {}
        }
    }
    (if reason == "signature_mismatch" { Check::Fail } else { Check::NotChecked }, reason)
}

/// Per-instance results, lowest instance first; empty without ARC fields.
pub(crate) fn instances(ctx: &MessageContext<'_>, keys: &KeyArchive) -> Vec<ArcInstance> {
    let m = ctx.split;
    let find = |name: &str, i: u32| {
        ctx.names
            .iter()
            .enumerate()
            .find(|(k, n)| *n == name && instance_of(m.headers[*k].value) == Some(i))
            .map(|(k, _)| k)
    };
    let max = ctx
        .names
        .iter()
        .enumerate()
        .filter(|(_, n)| n.as_str() == "arc-seal")
        .filter_map(|(k, _)| instance_of(m.headers[k].value))
        .max()
        .unwrap_or(0)
        .min(50);
    let mut out = Vec::new();
    for i in 1..=max {
        let (Some(seal), Some(ams)) = (find("arc-seal", i), find("arc-message-signature", i)) else {
            out.push(ArcInstance {
                instance: i,
                domain: String::new(),
                selector: String::new(),
                cv: String::new(),
                message_signature: Check::NotChecked,
                body_hash: Check::NotChecked,
                seal: Check::NotChecked,
                reason: "broken_chain".into(),
            });
            continue;
        };
        let seal_tags = parse_tags(m.headers[seal].value).unwrap_or_default();
        let ams_tags = parse_tags(m.headers[ams].value).unwrap_or_default();
        let mut inst = ArcInstance {
            instance: i,
            domain: seal_tags.d.clone(),
            selector: seal_tags.s.clone(),
            cv: seal_tags.cv.clone().unwrap_or_default(),
            message_signature: Check::NotChecked,
            body_hash: Check::NotChecked,
            seal: Check::NotChecked,
            reason: String::new(),
        };
        // The message signature, as DKIM.
        let mut reasons = Vec::new();
        if let (Some(alg), Some((ch, cb))) = (ams_tags.algorithms(), ams_tags.canon()) {
            let body = ctx.bodies.get(cb);
            let covered = match ams_tags.l {
                Some(l) if (l as usize) <= body.len() => &body[..l as usize],
                _ => body,
            };
            inst.body_hash = if alg.1.digest(covered) == ams_tags.bh { Check::Pass } else { Check::Fail };
            let data = dkim::signed_data(m, ctx.names, &ams_tags.h, ch, &m.headers[ams]);
            let (c, r) = check(keys, &ams_tags, &data);
            inst.message_signature = c;
            if c != Check::Pass {
                reasons.push(format!("message signature: {r}"));
            }
            if inst.body_hash == Check::Fail {
                reasons.push("message signature: body_hash_mismatch".into());
            }
        } else {
            reasons.push("message signature: malformed_signature".into());
        }
        // The seal covers every ARC set up to this one, relaxed.
        let mut data = Vec::new();
        let mut complete = true;
        for j in 1..=i {
            let parts = [find("arc-authentication-results", j), find("arc-message-signature", j), find("arc-seal", j)];
            for (n, p) in parts.into_iter().enumerate() {
                let Some(k) = p else {
                    complete = false;
                    continue;
                };
                let h = &m.headers[k];
                if j == i && n == 2 {
                    canon::header_into(&mut data, Canon::Relaxed, h, &strip_b(h.value), false);
                } else {
                    canon::header_into(&mut data, Canon::Relaxed, h, h.value, true);
                }
            }
        }
        if complete {
            let (c, r) = check(keys, &seal_tags, &data);
            inst.seal = c;
            if c != Check::Pass {
                reasons.push(format!("seal: {r}"));
            }
        } else {
            reasons.push("broken_chain".into());
        }
        inst.reason = if reasons.is_empty() { "pass".into() } else { reasons.join("; ") };
        out.push(inst);
    }
    out
}
