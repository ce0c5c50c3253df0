//! mail-auth, run offline: its DNS cache is filled from the key archive and
//! answers "no such record" for every other name, and its resolver has no
//! name servers, so no query can leave the machine. Used for ARC chain
//! results and as an independent second opinion on DKIM.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use mail_auth::common::verify::VerifySignature;
use mail_auth::hickory_resolver::config::{ResolverConfig, ResolverOpts};
use mail_auth::hickory_resolver::proto::op::ResponseCode;
use mail_auth::{AuthenticatedMessage, DkimResult, MessageAuthenticator, Parameters, ResolverCache, Txt};

use crate::keys::KeyArchive;

/// A resolver with no name servers: a lookup that got past the cache would
/// fail rather than reach the network.
pub(crate) fn offline_authenticator() -> Option<MessageAuthenticator> {
    MessageAuthenticator::new(ResolverConfig::from_parts(None, vec![], vec![]), ResolverOpts::default()).ok()
}

/// The archive's keys under the exact names mail-auth will ask for.
struct ArchiveCache {
    map: HashMap<Box<str>, Txt>,
}

impl ArchiveCache {
    fn for_message(msg: &AuthenticatedMessage<'_>, keys: &KeyArchive) -> ArchiveCache {
        let mut map = HashMap::new();
        let mut add = |sig: &dyn VerifySignature| {
            let name = sig.domain_key();
            let records = keys.lookup(sig.selector(), sig.domain());
            let usable = records.iter().map(|r| r.mail_auth_txt()).find(|t| matches!(t, Txt::DomainKey(_)));
            if let Some(txt) = usable.or_else(|| records.first().map(|r| r.mail_auth_txt())) {
                map.insert(name.into_boxed_str(), txt);
            }
        };
        for h in &msg.dkim_headers {
            add(&h.header);
        }
        for h in &msg.ams_headers {
            add(&h.header);
        }
        for h in &msg.as_headers {
            add(&h.header);
        }
        ArchiveCache { map }
    }
}

impl ResolverCache<Box<str>, Txt> for ArchiveCache {
    fn get<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        Some(self.map.get(name).cloned().unwrap_or_else(|| {
            Txt::Error(mail_auth::Error::Dns(mail_auth::DnsError::RecordNotFound(ResponseCode::NXDomain)))
        }))
    }

    fn remove<Q>(&self, _: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        None
    }

    fn insert(&self, _: Box<str>, _: Txt, _: std::time::Instant) {}
}

/// Run a future that never waits (every lookup is answered by the cache).
fn run_ready<F: Future>(f: F) -> Option<F::Output> {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1024 {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return Some(v);
        }
    }
    None
}

/// `pass`, `fail: reason`, `neutral: reason`, … as mail-auth reports it.
pub(crate) fn word(r: &DkimResult) -> String {
    match r {
        DkimResult::Pass => "pass".into(),
        DkimResult::Neutral(e) => format!("neutral: {e}"),
        DkimResult::Fail(e) => format!("fail: {e}"),
        DkimResult::PermError(e) => format!("permerror: {e}"),
        DkimResult::TempError(e) => format!("temperror: {e}"),
        DkimResult::None => "none".into(),
    }
}

/// mail-auth's view of one message.
pub(crate) struct Opinion {
    /// Per DKIM signature: its `b=` bytes and mail-auth's verdict.
    pub dkim: Vec<(Vec<u8>, String)>,
    /// Verdicts on signature fields mail-auth could not parse, in order.
    pub unparsed: Vec<String>,
    /// ARC chain: result word, reason.
    pub arc: Option<(String, String)>,
}

/// Verify a CRLF message with mail-auth against the archive only.
pub(crate) fn opinion(auth: &MessageAuthenticator, crlf: &[u8], keys: &KeyArchive, dkim: bool) -> Option<Opinion> {
    let msg = AuthenticatedMessage::parse(crlf)?;
    let cache = ArchiveCache::for_message(&msg, keys);
    let mut out = Opinion { dkim: Vec::new(), unparsed: Vec::new(), arc: None };
    if dkim && (!msg.dkim_headers.is_empty() || msg.has_dkim_errors) {
        let results = run_ready(auth.verify_dkim(Parameters::new(&msg).with_txt_cache(&cache)))?;
        for r in &results {
            match r.signature() {
                Some(sig) => out.dkim.push((sig.b.clone(), word(r.result()))),
                None => out.unparsed.push(word(r.result())),
            }
        }
    }
    if !msg.ams_headers.is_empty() || !msg.as_headers.is_empty() {
        let arc = run_ready(auth.verify_arc(Parameters::new(&msg).with_txt_cache(&cache)))?;
        let w = word(arc.result());
        let (result, reason) = match w.split_once(": ") {
            Some((r, why)) => (r.to_string(), why.to_string()),
            None => (w.clone(), String::new()),
        };
        out.arc = Some((result, reason));
    }
    Some(out)
}
