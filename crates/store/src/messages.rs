//! Email in a case. Each message is an `items` row of kind `email` whose
//! bytes are in `evidence/` (content-addressed, as the container held them
//! before mbox quoting), with a `messages` row for its header fields, thread
//! and verdict; each attachment is an `items` row of kind `attachment`,
//! stored the same way. A mailbox is added in one transaction, like any
//! source: whole or not at all. Bytes are stored (see
//! `Case::store_evidence_batch`) before they are recorded here; nothing here
//! writes a file but the catalog.

use leaktrace_model::{EmailMeta, MailHeaders};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::case::Case;
use crate::catalog::{self, SourceMeta, SourceState};
use crate::error::{Result, StoreError};
use crate::lock::WriteLock;

/// An attachment to record with its message.
#[derive(Clone, Debug)]
pub struct NewAttachment {
    pub sha256: String,
    pub name: Option<String>,
    pub content_type: String,
    pub size: u64,
}

/// A message to record; its bytes are already in the evidence store.
#[derive(Clone, Debug, Default)]
pub struct NewMessage {
    pub sha256: String,
    /// Where it starts in its source (bytes; the line is in `meta`).
    pub offset: i64,
    pub headers: MailHeaders,
    /// What is malformed or odd about the message.
    pub flags: Vec<String>,
    /// Where it sat in its container, and its text for search.
    pub meta: EmailMeta,
    pub attachments: Vec<NewAttachment>,
    /// The checks made at ingest without keys (forensics, attachment
    /// fingerprints), as JSON: pages show them from here instead of reading
    /// the message and its attachments again on every view.
    pub report: Option<String>,
}

/// A mailbox being added (see [`Case::begin_mail_source`]).
pub struct MailWriter {
    conn: Connection,
    source: i64,
    messages: i64,
    flagged: i64,
    first: Option<i64>,
    last: Option<i64>,
}

impl MailWriter {
    /// Add one message and its attachments (their bytes already stored).
    pub fn add(&mut self, m: &NewMessage) -> Result<()> {
        let mut item = self
            .conn
            .prepare_cached("INSERT INTO items(source_id, kind, sha256, offset, meta) VALUES (?1, ?2, ?3, ?4, ?5)")?;
        let meta = serde_json::to_string(&m.meta).expect("meta serialises");
        item.execute(params![self.source, "email", m.sha256, m.offset, meta])?;
        let id = self.conn.last_insert_rowid();
        for a in &m.attachments {
            let meta = serde_json::json!({
                "message_item": id,
                "name": a.name,
                "content_type": a.content_type,
                "size": a.size,
            });
            item.execute(params![self.source, "attachment", a.sha256, Option::<i64>::None, meta.to_string()])?;
        }
        let mut msg = self.conn.prepare_cached(
            "INSERT INTO messages(item_id, source_id, message_id, from_addr, to_addr, cc, subject, date, date_ms,
                                  in_reply_to, refs, thread_id, flags, report)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )?;
        let h = &m.headers;
        msg.execute(params![
            id,
            self.source,
            h.message_id,
            h.from,
            h.to,
            h.cc,
            h.subject,
            h.date,
            h.date_ms,
            serde_json::to_string(&h.in_reply_to).expect("strings serialise"),
            serde_json::to_string(&h.references).expect("strings serialise"),
            h.message_id.as_deref().map(str::to_string),
            serde_json::to_string(&m.flags).expect("strings serialise"),
            m.report,
        ])?;
        self.messages += 1;
        self.flagged += i64::from(!m.flags.is_empty());
        if let Some(d) = m.headers.date_ms {
            self.first = Some(self.first.map_or(d, |f| f.min(d)));
            self.last = Some(self.last.map_or(d, |l| l.max(d)));
        }
        Ok(())
    }

    /// Messages added so far.
    pub fn messages(&self) -> i64 {
        self.messages
    }

    /// Set the source's format (known once the first message is read).
    pub fn set_format(&mut self, format: &str) -> Result<()> {
        self.conn.execute("UPDATE sources SET format = ?2 WHERE id = ?1", params![self.source, format])?;
        Ok(())
    }

    /// Record the counts and commit everything; returns the source id.
    pub fn finish(self) -> Result<i64> {
        self.conn.execute(
            "UPDATE sources SET rows = ?2, rejected = ?3, first_post = ?4, last_post = ?5 WHERE id = ?1",
            params![self.source, self.messages, self.flagged, self.first, self.last],
        )?;
        self.conn.execute_batch("COMMIT")?;
        Ok(self.source)
    }
}

/// One message's verification result, as `leaktrace verify` records it.
#[derive(Clone, Debug)]
pub struct Verdict {
    pub item_id: i64,
    /// `verified`, `weak`, `unverified` or `unsigned`.
    pub verdict: String,
    pub flags: Vec<String>,
    /// The whole report, as JSON (`verify --json`'s row for the message).
    pub report: Option<String>,
}

/// A message as recorded.
#[derive(Clone, Debug, Serialize)]
pub struct MessageRow {
    pub item_id: i64,
    pub source_id: i64,
    pub sha256: String,
    pub offset: Option<i64>,
    #[serde(flatten)]
    pub headers: MailHeaders,
    pub thread_id: Option<String>,
    pub verdict: Option<String>,
    pub flags: Vec<String>,
    /// Where it sat in its container, and its text for search.
    pub meta: EmailMeta,
}

fn json_list(s: Option<String>) -> Vec<String> {
    s.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default()
}

const MESSAGE_SELECT: &str =
    "SELECT m.item_id, m.source_id, i.sha256, i.offset, m.message_id, m.from_addr, m.to_addr, m.cc, m.subject,
            m.date, m.date_ms, m.in_reply_to, m.refs, m.thread_id, m.verdict, m.flags, i.meta
     FROM messages m JOIN items i ON i.id = m.item_id
     JOIN sources s ON s.id = m.source_id AND s.state = 'complete'";

fn message_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MessageRow> {
    let meta: Option<String> = r.get(16)?;
    Ok(MessageRow {
        item_id: r.get(0)?,
        source_id: r.get(1)?,
        sha256: r.get(2)?,
        offset: r.get(3)?,
        headers: MailHeaders {
            message_id: r.get(4)?,
            from: r.get(5)?,
            to: r.get(6)?,
            cc: r.get(7)?,
            subject: r.get(8)?,
            date: r.get(9)?,
            date_ms: r.get(10)?,
            in_reply_to: json_list(r.get(11)?),
            references: json_list(r.get(12)?),
        },
        thread_id: r.get(13)?,
        verdict: r.get(14)?,
        flags: json_list(r.get(15)?),
        // A meta that does not read (a damaged catalog) leaves the container facts empty.
        meta: meta.and_then(|m| serde_json::from_str(&m).ok()).unwrap_or_default(),
    })
}

/// The stored report of one message (JSON), if it has one.
fn stored_report(conn: &Connection, item_id: i64) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT report FROM messages WHERE item_id = ?1", [item_id], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

/// (item id, Message-ID, In-Reply-To and References, Subject) of a message.
pub type ThreadLinks = (i64, Option<String>, Vec<String>, Option<String>);

/// Messages per verdict (None: not verified yet), and the earliest and latest Date (UTC ms).
pub type MessageCounts = (Vec<(Option<String>, i64)>, Option<i64>, Option<i64>);

impl Case {
    /// Add a mailbox: the source row (complete), an email item and a
    /// messages row per message, an attachment item per attachment, in one
    /// transaction. Returns the source id.
    pub fn add_mail_source(&self, lock: &WriteLock, meta: SourceMeta, messages: &[NewMessage]) -> Result<i64> {
        let mut w = self.begin_mail_source(lock, meta)?;
        for m in messages {
            w.add(m)?;
        }
        w.finish()
    }

    /// Start adding a mailbox whose messages come in batches, so that a
    /// mailbox of any size is added with memory flat in its size. Everything
    /// goes into one transaction that [`MailWriter::finish`] commits: until
    /// then (and if the writer is dropped, or the process dies) the case has
    /// none of it.
    pub fn begin_mail_source(&self, _lock: &WriteLock, meta: SourceMeta) -> Result<MailWriter> {
        let conn = catalog::connect(self.root())?;
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let source = catalog::insert_source(&conn, &meta, SourceState::Complete, 0, 0)?;
        Ok(MailWriter { conn, source, messages: 0, flagged: 0, first: None, last: None })
    }

    /// Every message of the complete sources, in item order.
    pub fn messages(&self) -> Result<Vec<MessageRow>> {
        let conn = catalog::connect(self.root())?;
        let mut st = conn.prepare(&format!("{MESSAGE_SELECT} ORDER BY m.item_id"))?;
        let rows = st.query_map([], message_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The stored verification report (JSON) of the message `item_id`: the
    /// last `leaktrace verify`'s, else the checks made at ingest without keys;
    /// `None` for a message stored before reports were kept.
    pub fn message_report(&self, item_id: i64) -> Result<Option<String>> {
        stored_report(&catalog::connect(self.root())?, item_id)
    }

    /// The first `limit` messages of the complete sources, in item order.
    pub fn messages_first(&self, limit: usize) -> Result<Vec<MessageRow>> {
        let conn = catalog::connect(self.root())?;
        let mut st = conn.prepare(&format!("{MESSAGE_SELECT} ORDER BY m.item_id LIMIT ?1"))?;
        let rows = st.query_map([limit as i64], message_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Messages of the complete sources per verdict (None: not verified yet),
    /// with the earliest and latest Date.
    pub fn message_counts(&self) -> Result<MessageCounts> {
        let conn = catalog::connect(self.root())?;
        let mut st = conn.prepare(
            "SELECT m.verdict, count(*) FROM messages m
             JOIN sources s ON s.id = m.source_id AND s.state = 'complete' GROUP BY m.verdict ORDER BY m.verdict",
        )?;
        let counts = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
        let (lo, hi) = conn.query_row(
            "SELECT min(m.date_ms), max(m.date_ms) FROM messages m
             JOIN sources s ON s.id = m.source_id AND s.state = 'complete'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((counts, lo, hi))
    }

    /// The messages of one complete source, in item order.
    pub fn messages_of_source(&self, source_id: i64) -> Result<Vec<MessageRow>> {
        let conn = catalog::connect(self.root())?;
        let mut st = conn.prepare(&format!("{MESSAGE_SELECT} WHERE m.source_id = ?1 ORDER BY m.item_id"))?;
        let rows = st.query_map([source_id], message_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Call `f` with each message of one complete source, in item order, one
    /// row at a time (a mailbox's bodies are not all held at once).
    pub fn each_message_of_source<E: From<StoreError>>(
        &self,
        source_id: i64,
        mut f: impl FnMut(MessageRow) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let conn = catalog::connect(self.root())?;
        let mut st = conn
            .prepare(&format!("{MESSAGE_SELECT} WHERE m.source_id = ?1 ORDER BY m.item_id"))
            .map_err(StoreError::from)?;
        let mut rows = st.query([source_id]).map_err(StoreError::from)?;
        while let Some(r) = rows.next().map_err(StoreError::from)? {
            f(message_row(r).map_err(StoreError::from)?)?;
        }
        Ok(())
    }

    /// What threading reads of every message of the complete sources, in item
    /// order, without the bodies: (item id, Message-ID, In-Reply-To and
    /// References, Subject).
    pub fn thread_links(&self) -> Result<Vec<ThreadLinks>> {
        let conn = catalog::connect(self.root())?;
        let mut st = conn.prepare(
            "SELECT m.item_id, m.message_id, m.in_reply_to, m.refs, m.subject FROM messages m
             JOIN sources s ON s.id = m.source_id AND s.state = 'complete' ORDER BY m.item_id",
        )?;
        let rows = st
            .query_map([], |r| {
                let mut links = json_list(r.get(2)?);
                links.extend(json_list(r.get(3)?));
                Ok((r.get(0)?, r.get(1)?, links, r.get(4)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// One message of a complete source, by item id.
    pub fn message(&self, item_id: i64) -> Result<Option<MessageRow>> {
        let conn = catalog::connect(self.root())?;
        let mut st = conn.prepare(&format!("{MESSAGE_SELECT} WHERE m.item_id = ?1"))?;
        let mut rows = st.query_map([item_id], message_row)?;
        Ok(rows.next().transpose()?)
    }

    /// Does the catalog list these bytes (a source file, a message or an
    /// attachment of a complete source)? Views serve evidence only then.
    pub fn lists_evidence(&self, sha256_hex: &str) -> Result<bool> {
        let conn = catalog::connect(self.root())?;
        let n: i64 = conn.query_row(
            "SELECT (SELECT count(*) FROM sources WHERE sha256 = ?1 AND state = 'complete')
                  + (SELECT count(*) FROM items i JOIN sources s ON s.id = i.source_id AND s.state = 'complete'
                     WHERE i.sha256 = ?1)",
            [sha256_hex],
            |r| r.get(0),
        )?;
        Ok(n > 0)
    }

    /// Record thread ids (item id, thread id), in one transaction.
    pub fn set_thread_ids(&self, _lock: &WriteLock, threads: &[(i64, String)]) -> Result<()> {
        let mut conn = catalog::connect(self.root())?;
        let tx = conn.transaction()?;
        {
            let mut st = tx.prepare("UPDATE messages SET thread_id = ?2 WHERE item_id = ?1")?;
            for (id, t) in threads {
                st.execute(params![id, t])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Record verification results, in one transaction.
    pub fn set_verdicts(&self, _lock: &WriteLock, verdicts: &[Verdict]) -> Result<()> {
        let mut conn = catalog::connect(self.root())?;
        let tx = conn.transaction()?;
        let now = catalog::now_rfc3339();
        {
            let mut st = tx.prepare(
                "UPDATE messages SET verdict = ?2, flags = ?3, verified_at = ?4, report = ?5 WHERE item_id = ?1",
            )?;
            for v in verdicts {
                let flags = serde_json::to_string(&v.flags).expect("strings serialise");
                st.execute(params![v.item_id, v.verdict, flags, now, v.report])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mailbox_is_added_whole_with_messages_and_attachments() {
        let tmp = tempfile::tempdir().unwrap();
        let case = Case::init(&tmp.path().join("c")).unwrap();
        let lock = case.lock_for_write(false, |_| {}).unwrap();
        let stored = case.store_evidence_bytes(&lock, b"From: a@b\r\n\r\nhi\r\n").unwrap();
        assert!(stored.newly_stored && stored.path.exists());
        assert!(!case.store_evidence_bytes(&lock, b"From: a@b\r\n\r\nhi\r\n").unwrap().newly_stored);
        let att = case.store_evidence_bytes(&lock, b"%PDF-1.4").unwrap();
        let meta = SourceMeta {
            path: "box.mbox".into(),
            sha256_hex: "cd".repeat(32),
            size: 100,
            kind: "mail".into(),
            format: "mboxrd".into(),
            compression: "none".into(),
        };
        let m = NewMessage {
            sha256: stored.sha256_hex.clone(),
            headers: MailHeaders {
                message_id: Some("1@b".into()),
                subject: Some("hi".into()),
                date_ms: Some(1000),
                ..Default::default()
            },
            flags: vec!["no Date field".into()],
            meta: EmailMeta { container: "mboxrd".into(), line: 1, attachments: 1, ..Default::default() },
            attachments: vec![NewAttachment {
                sha256: att.sha256_hex.clone(),
                name: Some("a.pdf".into()),
                content_type: "application/pdf".into(),
                size: 8,
            }],
            ..Default::default()
        };
        let src = case.add_mail_source(&lock, meta, &[m]).unwrap();
        let rows = case.messages().unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].source_id, rows[0].headers.message_id.as_deref()), (src, Some("1@b")));
        assert_eq!((rows[0].meta.line, rows[0].meta.attachments), (1, 1));
        assert_eq!(rows[0].flags, ["no Date field"]);
        let v =
            Verdict { item_id: rows[0].item_id, verdict: "unsigned".into(), flags: vec![], report: Some("{}".into()) };
        case.set_verdicts(&lock, &[v]).unwrap();
        assert_eq!(case.message_report(rows[0].item_id).unwrap().as_deref(), Some("{}"));
        case.set_thread_ids(&lock, &[(rows[0].item_id, "t".into())]).unwrap();
        let rows = case.messages().unwrap();
        assert_eq!((rows[0].verdict.as_deref(), rows[0].thread_id.as_deref()), (Some("unsigned"), Some("t")));
        assert_eq!(case.sources().unwrap()[0].rows, 1);
    }
}
