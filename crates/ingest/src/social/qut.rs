//! The input CSV of the QUT Coordination Network Toolkit
//! (`coordination-network-toolkit` on PyPI): one message per row, times in
//! epoch seconds, URLs space-separated.
//!
//! The toolkit treats ids as opaque strings. Integer ids are kept; any other
//! id is replaced by a stable id derived from the string, the same for a
//! message and for the reposts and replies that point at it.

use std::io::Read;

use csv::ByteRecord;
use leaktrace_model::derive::{extract_hashtags, extract_mentions};
use leaktrace_model::{Post, PostKind};

use crate::csvsrc::{CsvSource, field};
use crate::social::generic::id_or_synthetic;
use crate::time::parse_epoch;
use crate::{Event, EventStream, Format, IngestError, Reject, SourceContext};

pub const COLUMNS: [&str; 8] =
    ["message_id", "user_id", "username", "repost_id", "reply_id", "message", "timestamp", "urls"];

const MESSAGE_ID: usize = 0;
const USER_ID: usize = 1;
const USERNAME: usize = 2;
const REPOST_ID: usize = 3;
const REPLY_ID: usize = 4;
const MESSAGE: usize = 5;
const TIMESTAMP: usize = 6;
const URLS: usize = 7;

/// Namespace of ids derived from non-integer toolkit ids.
const ID_NS: &[u8] = b"qut-id";

struct QutParser {
    src: CsvSource,
    /// Record index of each of [`COLUMNS`].
    cols: Vec<usize>,
}

pub(crate) fn open(input: Box<dyn Read + Send>, ctx: &SourceContext) -> Result<EventStream, IngestError> {
    let src = CsvSource::new(input, &ctx.display, Format::Qut)?;
    let cols = src.require(&COLUMNS, Format::Qut)?;
    Ok(Box::new(QutParser { src, cols }))
}

fn post(cols: &[usize], line: u64, rec: &ByteRecord) -> Result<Post, String> {
    let get = |k: usize| field(rec, cols[k], COLUMNS[k]);
    let mid = get(MESSAGE_ID)?.trim();
    if mid.is_empty() {
        return Err("column message_id: empty".into());
    }
    let user = get(USER_ID)?.trim();
    if user.is_empty() {
        return Err("column user_id: empty".into());
    }
    let ts = get(TIMESTAMP)?.trim();
    let t = parse_epoch(ts).ok_or_else(|| format!("column timestamp: not epoch seconds: {ts:?}"))?;
    let text = get(MESSAGE)?;
    let (id, id_derived) = id_or_synthetic(ID_NS, mid);
    let mut p = Post::new(id, user, t.ms, text);
    p.id_derived = id_derived;
    p.time_resolution_s = t.resolution_s;
    p.line = line;
    let name = get(USERNAME)?.trim();
    if !name.is_empty() {
        p.account_name = Some(name.to_string());
    }
    let (repost, reply) = (get(REPOST_ID)?.trim(), get(REPLY_ID)?.trim());
    let target = if !repost.is_empty() {
        p.kind = PostKind::Repost;
        Some(repost)
    } else if !reply.is_empty() {
        p.kind = PostKind::Reply;
        Some(reply)
    } else {
        None
    };
    if let Some(t) = target {
        let (tid, derived) = id_or_synthetic(ID_NS, t);
        p.target_post = Some(tid);
        p.target_derived = derived;
    }
    p.hashtags = extract_hashtags(text);
    p.mentions = extract_mentions(text);
    p.set_urls(get(URLS)?.split_whitespace());
    Ok(p)
}

impl Iterator for QutParser {
    type Item = Result<Event, IngestError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (line, rec) = match self.src.next_record()? {
            Err(fatal) => return Some(Err(fatal)),
            Ok(Err(bad)) => return Some(Ok(Event::Reject(Reject { line: bad.line, reason: bad.reason }))),
            Ok(Ok(x)) => x,
        };
        Some(Ok(match post(&self.cols, line, rec) {
            Ok(p) => Event::Post(p),
            Err(reason) => Event::Reject(Reject { line, reason }),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::social::{posts, rejects};
    use leaktrace_model::derive::synthetic_id;

    const HEADER: &str = "message_id,user_id,username,repost_id,reply_id,message,timestamp,urls\n";

    fn parse(data: &str) -> Result<Vec<Event>, IngestError> {
        let ctx = SourceContext::new("q.csv", [1u8; 32]);
        open(Box::new(std::io::Cursor::new(data.as_bytes().to_vec())), &ctx)?.collect()
    }

    #[test]
    fn posts_reposts_and_replies() {
        let data = format!(
            "{HEADER}1,10,Alice,,,\"Hello #World, @Bob!\",1500000000,https://Example.com/a?utm_source=x http://t.co/b\n\
             2,11,bob,1,,\"RT @alice: Hello #World, @Bob!\",1500000060,\n\
             \n\
             3,12,carol,,1,  me too  ,1500000120.5,\n\
             m-4,12,carol,,,x,1500000180,\n\
             5,13,dan,m-4,,y,1500000240,\n"
        );
        let ev = parse(&data).unwrap();
        assert!(rejects(&ev).is_empty(), "{ev:?}");
        let p = posts(&ev);
        assert_eq!(p.len(), 5);
        assert_eq!((p[0].id, p[0].account.as_str(), p[0].account_name.as_deref()), (1, "10", Some("Alice")));
        assert_eq!((p[0].time_ms, p[0].time_resolution_s, p[0].kind, p[0].line), (1500000000000, 1, PostKind::Post, 2));
        assert_eq!(p[0].text, "Hello #World, @Bob!");
        assert_eq!(p[0].hashtags, vec!["world"]);
        assert_eq!(p[0].mentions, vec!["bob"]);
        assert_eq!(p[0].urls, vec!["https://example.com/a", "http://t.co/b"]);
        assert_eq!(p[0].domains, vec!["example.com", "t.co"]);
        assert_eq!((p[1].kind, p[1].target_post, p[1].target_derived), (PostKind::Repost, Some(1), false));
        assert!(p[1].urls.is_empty());
        // Not asserting p[2].line: the csv crate numbers a record after a blank line from the blank line.
        assert_eq!((p[2].kind, p[2].target_post, p[3].line, p[4].line), (PostKind::Reply, Some(1), 6, 7));
        assert_eq!(p[2].text, "  me too  ");
        assert_eq!((p[2].time_ms, p[2].time_resolution_s), (1500000120500, 0));
        // Non-integer ids are derived the same way for a message and its reposts.
        let m4 = synthetic_id(&[b"qut-id", b"m-4"]);
        assert_eq!((p[3].id, p[3].id_derived), (m4, true));
        assert_eq!((p[4].target_post, p[4].target_derived), (Some(m4), true));
    }

    #[test]
    fn bad_rows_are_rejected_with_line_and_column() {
        let data = format!(
            "{HEADER}1,10,a,,,ok,1500000000,\n\
             2,10,a,,,\"multi\nline\",yesterday,\n\
             3,,a,,,x,1500000000,\n\
             ,10,a,,,x,1500000000,\n\
             5,10,a\n\
             6,10,a,,,fine,1500000000,\n"
        );
        let ev = parse(&data).unwrap();
        let r = rejects(&ev);
        assert_eq!(r.len(), 4, "{r:?}");
        assert_eq!((r[0].line, r[0].reason.as_str()), (3, "column timestamp: not epoch seconds: \"yesterday\""));
        assert_eq!((r[1].line, r[1].reason.as_str()), (5, "column user_id: empty"));
        assert_eq!((r[2].line, r[2].reason.as_str()), (6, "column message_id: empty"));
        assert_eq!((r[3].line, r[3].reason.as_str()), (7, "expected 8 fields, found 3"));
        assert_eq!(posts(&ev).iter().map(|p| p.id).collect::<Vec<_>>(), vec![1, 6]);
    }

    #[test]
    fn wrong_header_fails_fast() {
        let err = match parse("message_id,user_id,message,timestamp\n1,2,x,3\n") {
            Err(e @ IngestError::WrongFormat { .. }) => e.to_string(),
            other => panic!("{other:?}"),
        };
        assert!(err.contains("not qut input") && err.contains("without username, repost_id, reply_id, urls"), "{err}");
        assert!(matches!(parse(""), Err(IngestError::WrongFormat { .. })));
    }
}
