//! What the case keeps about an email or an article besides its bytes: the
//! typed contracts between the ingest that writes them into the catalog (as
//! JSON in an item's `meta`) and the search index, the timeline, the views
//! and `verify CASE` that read them back. One definition, so a field cannot
//! be written under one name and read under another.

use chrono::{DateTime, NaiveDate};
use serde::{Deserialize, Serialize};

/// The header fields of an email that the catalog records and the views
/// show, as parsed from the message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailHeaders {
    /// Without the angle brackets.
    pub message_id: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub cc: Option<String>,
    pub subject: Option<String>,
    /// The Date field as written, and as UTC milliseconds when it can be read.
    pub date: Option<String>,
    pub date_ms: Option<i64>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
}

/// An email's `meta` in the catalog: where it sat in its container, and its
/// text for search. Fields are in the order they are written (alphabetical,
/// as the catalog has always had them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EmailMeta {
    /// Names of all attachments and the content of the text ones.
    pub attachment_text: Option<String>,
    /// How many attachments it has.
    pub attachments: usize,
    /// `mboxo`, `mboxrd`, `mboxcl`, `mboxcl2`, `eml`, `maildir` or `eml-folder`.
    pub container: String,
    /// The mbox `From ` line without `From `.
    pub envelope: Option<String>,
    /// The message's own file, for a maildir or a folder of `.eml` files.
    pub file: Option<String>,
    /// The time of the oldest Received field that has one, UTC ms.
    pub first_received_ms: Option<i64>,
    /// 1-based position in its source.
    pub index: u64,
    /// 1-based line where it starts in its source.
    pub line: u64,
    /// The plain-text body.
    pub text: Option<String>,
    /// Lines whose mbox `>From ` quoting was undone.
    pub unquoted: u32,
}

/// The publication date of an article and where it was found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Published {
    /// `YYYY-MM-DD` as the article states it.
    pub date: String,
    /// UTC, RFC 3339, when a time with its zone was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utc: Option<String>,
    /// The text it was read from.
    pub raw: String,
    /// Where: `header Date`, `line 3`, `meta article:published_time`, `<time>`.
    pub found_in: String,
}

impl Published {
    /// The stated day.
    pub fn day(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(&self.date, "%Y-%m-%d").ok()
    }

    /// The moment, UTC ms: the zoned time when one was given, else the
    /// start of the stated day.
    pub fn utc_ms(&self) -> Option<i64> {
        self.utc
            .as_deref()
            .and_then(|u| DateTime::parse_from_rfc3339(u).ok())
            .map(|t| t.timestamp_millis())
            .or_else(|| self.day().map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp_millis()))
    }
}

/// An article's `meta` in the catalog (and what the article reader gives).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ArticleMeta {
    /// `html` or `text`.
    pub format: String,
    pub title: Option<String>,
    pub outlet: Option<String>,
    pub author: Option<String>,
    pub url: Option<String>,
    pub published: Option<Published>,
    /// Paragraphs separated by blank lines.
    pub body: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_meta_is_written_in_the_catalog_order_and_read_back() {
        let m = EmailMeta {
            container: "mboxrd".into(),
            index: 3,
            envelope: Some("a@b Mon Jan  1 00:00:00 2024".into()),
            first_received_ms: Some(5),
            text: Some("hi".into()),
            ..Default::default()
        };
        let s = serde_json::to_string(&m).unwrap();
        assert!(s.starts_with(r#"{"attachment_text":null,"attachments":0,"container":"mboxrd","envelope":"#), "{s}");
        assert_eq!(serde_json::from_str::<EmailMeta>(&s).unwrap(), m);
        // A catalog written before a field existed still reads.
        let old: EmailMeta = serde_json::from_str(r#"{"container":"eml","index":1}"#).unwrap();
        assert_eq!((old.container.as_str(), old.index, old.first_received_ms), ("eml", 1, None));
    }

    #[test]
    fn publication_moment_prefers_the_zoned_time() {
        let mut p = Published {
            date: "2016-10-07".into(),
            utc: Some("2016-10-07T20:32:00Z".into()),
            raw: String::new(),
            found_in: String::new(),
        };
        assert_eq!(p.utc_ms(), Some(1_475_872_320_000));
        p.utc = None;
        assert_eq!(p.utc_ms(), Some(1_475_798_400_000));
        assert_eq!(p.day(), NaiveDate::from_ymd_opt(2016, 10, 7));
        p.date = "not a date".into();
        assert_eq!(p.utc_ms(), None);
    }
}
