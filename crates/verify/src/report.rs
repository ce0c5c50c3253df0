//! What verification finds, in the shape `leaktrace verify --json` prints
//! and the case keeps with each message (read back by its page).
//! Field names and the machine words in `verdict`, `result` and `reason` are
//! a contract with scripts: add, never rename.

use serde::{Deserialize, Serialize};

/// Per message: the sort reporters know, with SHA-1 signatures apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// At least one DKIM signature passes in full.
    Verified,
    /// No signature passes, but one checks out with SHA-1 (`a=rsa-sha1`),
    /// which RFC 8301 says verifiers must not accept: SHA-1 collisions can
    /// be computed, so this is consistent with authenticity, not proof.
    Weak,
    /// No signature passes with a key from an independent source, but one
    /// checks out with a key recovered from the evidence itself (`leaktrace
    /// keys recover`): the signatures are consistent with one key, which does
    /// not show that the signing domain ever published it.
    Consistent,
    /// Signed, but no signature passes or checks out.
    Unverified,
    /// No DKIM signature at all.
    Unsigned,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Verified => "verified",
            Verdict::Weak => "weak",
            Verdict::Consistent => "consistent",
            Verdict::Unverified => "unverified",
            Verdict::Unsigned => "unsigned",
        }
    }
}

/// pass / fail / not_checked, for each half of a signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    Pass,
    Fail,
    NotChecked,
}

/// Overall result of one signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SigResult {
    Pass,
    /// Headers and body match, but only under SHA-1 (reason `sha1_not_accepted`).
    Weak,
    /// Headers and body match, but under a key recovered from the evidence
    /// and found in no independent source (reason `key_recovered`).
    Consistent,
    Fail,
}

/// One DKIM signature and what became of it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SignatureReport {
    pub domain: String,
    pub selector: String,
    pub algorithm: String,
    /// `header/body` canonicalisation, e.g. `relaxed/simple`.
    pub canonicalization: String,
    pub result: SigResult,
    /// Do the signed header fields match the signature under the key?
    pub header_signature: Check,
    /// Does the body match the body hash `bh=`?
    pub body_hash: Check,
    /// A stable machine word: `pass`, `body_hash_mismatch`, `signature_mismatch`,
    /// `key_not_found`, `key_revoked`, `key_invalid`, `key_too_weak`, `expired`,
    /// `partial_body`, `duplicate_signed_header`, `malformed_signature`,
    /// `unsupported_algorithm`, `key_type_mismatch`, `hash_not_allowed`,
    /// `identity_mismatch`, `length_exceeds_body`, `sha1_not_accepted` (it
    /// would pass, but uses SHA-1: result `weak`), `key_recovered` (it would
    /// pass, but the key was recovered from the evidence: result `consistent`).
    pub reason: String,
    /// The reason as a sentence a reporter can quote.
    pub explanation: String,
    /// Other findings that do not decide the result: `sha1`, `expired_now`,
    /// `signed_after_date`, `signed_before_date`, `testing_key`,
    /// `partial_body`, `unsigned_duplicate_header`.
    pub warnings: Vec<String>,
    /// `h=`: the signed header fields, in order.
    pub signed_headers: Vec<String>,
    /// `exact`, `relaxed` (one domain is a parent of the other) or `none`:
    /// how `d=` relates to the domain of `From:`.
    pub from_alignment: String,
    /// Signature time `t=` and expiry `x=`, RFC 3339 (UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// `l=`: body bytes covered; and how many canonical body bytes exist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_length_signed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_length: Option<u64>,
    /// Key size in bits (RSA) and where the key came from (`file:line`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_bits: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_source: Option<String>,
    /// mail-auth's verdict on the same signature (a second, independent
    /// implementation), when it was asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail_auth: Option<String>,
}

/// One ARC set (instance) and the chain as a whole.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ArcInstance {
    pub instance: u32,
    pub domain: String,
    pub selector: String,
    /// `cv=` of the seal: none, pass or fail.
    pub cv: String,
    /// ARC-Message-Signature: header signature and body hash.
    pub message_signature: Check,
    pub body_hash: Check,
    /// ARC-Seal.
    pub seal: Check,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ArcReport {
    /// Chain result from mail-auth: pass, fail, neutral, none, permerror, temperror.
    pub result: String,
    pub reason: String,
    /// `cv=` of the highest instance.
    pub cv: String,
    pub instances: Vec<ArcInstance>,
}

/// One Received hop, oldest first.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Hop {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub with: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// RFC 3339 with the hop's own offset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// Seconds since the previous hop (negative: the clocks disagree, or the order was changed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_s: Option<i64>,
}

/// Header fingerprints: how the message travelled and what wrote it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Forensics {
    pub received: Vec<Hop>,
    /// Seconds from the Date header to the first (oldest) Received time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_to_first_received_s: Option<i64>,
    /// Time-zone offsets seen: Date first, then hops oldest first (`+0300`).
    pub timezones: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id_domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_domain: Option<String>,
    /// Does the Message-ID domain match (or share a parent with) the From domain?
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id_matches_from: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailer: Option<String>,
    /// Observations a reporter should look at, as sentences.
    pub notes: Vec<String>,
}

/// One attachment and its "digital fingerprints".
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Attachment {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    /// `ooxml`, `pdf`, `exif` or absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Metadata fields (creator, lastModifiedBy, created, application, …),
    /// in the order found.
    pub metadata: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Everything found about one message.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MessageReport {
    pub verdict: Verdict,
    pub message_id: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub subject: Option<String>,
    /// The Date header as written.
    pub date: Option<String>,
    pub signatures: Vec<SignatureReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arc: Option<ArcReport>,
    /// `crlf`, `lf` (normalised to CRLF before verifying) or `mixed`.
    pub line_endings: String,
    /// Problems with the message itself (header lines without a colon, no
    /// From, …); the message is still verified and kept.
    pub malformed: Vec<String>,
    pub forensics: Forensics,
    pub attachments: Vec<Attachment>,
}

impl MessageReport {
    /// A report with nothing found, for a message not checked yet.
    pub fn empty(line_endings: impl Into<String>) -> MessageReport {
        MessageReport {
            verdict: Verdict::Unsigned,
            message_id: None,
            from: None,
            to: None,
            subject: None,
            date: None,
            signatures: Vec::new(),
            arc: None,
            line_endings: line_endings.into(),
            malformed: Vec::new(),
            forensics: Forensics::default(),
            attachments: Vec::new(),
        }
    }
}
