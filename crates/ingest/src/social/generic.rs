//! Any CSV, through a column mapping given on the command line.
//!
//! The mapping names the column that holds each leaktrace field; only the
//! author, the time and the text are required. Hashtags, mentions and URLs
//! that are not mapped are derived from the text, so that a bare
//! author/time/text export still feeds every analysis. `image_hashes` takes
//! 64-bit perceptual hashes computed elsewhere (16 hexadecimal digits each,
//! as `leaktrace_ingest::media::hex` writes them), for co-image.

use std::io::Read;

use csv::ByteRecord;
use leaktrace_model::derive::synthetic_id;
use leaktrace_model::{Post, PostKind};

use crate::csvsrc::{CsvSource, field};
use crate::time::TimeFormat;
use crate::{Event, EventStream, Format, IngestError, Reject, SourceContext};

/// Leaktrace field names a mapping may use.
pub const FIELDS: [&str; 17] = [
    "id",
    "author",
    "author_name",
    "time",
    "text",
    "language",
    "kind",
    "repost_of",
    "reply_to",
    "quote_of",
    "target_account",
    "urls",
    "hashtags",
    "mentions",
    "followers",
    "following",
    "image_hashes",
];

const REQUIRED: [&str; 3] = ["author", "time", "text"];

/// `--map author=user,time=created_at,text=body,...` plus `--time-format`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ColumnMap {
    /// (leaktrace field, CSV column) pairs.
    pub fields: Vec<(String, String)>,
    pub time_format: TimeFormat,
}

impl ColumnMap {
    /// Parse the `--map` argument. Unknown leaktrace field names are an error.
    pub fn parse(spec: &str, time_format: TimeFormat) -> Result<ColumnMap, IngestError> {
        let usage = |msg: String| {
            IngestError::Usage(format!(
                "--map: {msg}; expected FIELD=COLUMN pairs separated by commas, \
                 e.g. author=user,time=created_at,text=body (author, time and text are required); \
                 fields: {}",
                FIELDS.join(", ")
            ))
        };
        let mut fields: Vec<(String, String)> = Vec::new();
        for pair in spec.split(',') {
            let pair = pair.trim();
            // Tolerates a trailing comma.
            if pair.is_empty() {
                continue;
            }
            let Some((f, c)) = pair.split_once('=') else {
                return Err(usage(format!("{pair:?} is not FIELD=COLUMN")));
            };
            let (f, c) = (f.trim().to_ascii_lowercase(), c.trim());
            if !FIELDS.contains(&f.as_str()) {
                return Err(usage(format!("unknown field {f:?}")));
            }
            if c.is_empty() {
                return Err(usage(format!("no column given for {f}")));
            }
            if fields.iter().any(|(x, _)| *x == f) {
                return Err(usage(format!("field {f} mapped twice")));
            }
            fields.push((f, c.to_string()));
        }
        let missing: Vec<&str> = REQUIRED.into_iter().filter(|r| !fields.iter().any(|(f, _)| f == r)).collect();
        if !missing.is_empty() {
            return Err(usage(format!("missing required field(s) {}", missing.join(", "))));
        }
        Ok(ColumnMap { fields, time_format })
    }

    /// The CSV column mapped to a leaktrace field.
    pub fn column(&self, field: &str) -> Option<&str> {
        self.fields.iter().find(|(f, _)| f == field).map(|(_, c)| c.as_str())
    }
}

/// A mapped column: its index and its name as the user wrote it (for reasons).
type Col = (usize, String);

struct Columns {
    id: Option<Col>,
    author: Col,
    author_name: Option<Col>,
    time: Col,
    text: Col,
    language: Option<Col>,
    kind: Option<Col>,
    repost_of: Option<Col>,
    reply_to: Option<Col>,
    quote_of: Option<Col>,
    target_account: Option<Col>,
    urls: Option<Col>,
    hashtags: Option<Col>,
    mentions: Option<Col>,
    followers: Option<Col>,
    following: Option<Col>,
    image_hashes: Option<Col>,
}

struct CsvMapParser {
    src: CsvSource,
    cols: Columns,
    time_format: TimeFormat,
    ctx: SourceContext,
}

pub(crate) fn open(
    input: Box<dyn Read + Send>,
    ctx: &SourceContext,
    map: ColumnMap,
) -> Result<EventStream, IngestError> {
    let src = CsvSource::new(input, &ctx.display, Format::Csv)?;
    let names: Vec<&str> = map.fields.iter().map(|(_, c)| c.as_str()).collect();
    let idx = src.require(&names, Format::Csv)?;
    let col = |f: &str| -> Option<Col> {
        map.fields.iter().position(|(x, _)| x == f).map(|i| (idx[i], map.fields[i].1.clone()))
    };
    let req = |f: &str| col(f).ok_or_else(|| IngestError::Usage(format!("--map: missing required field {f}")));
    let cols = Columns {
        id: col("id"),
        author: req("author")?,
        author_name: col("author_name"),
        time: req("time")?,
        text: req("text")?,
        language: col("language"),
        kind: col("kind"),
        repost_of: col("repost_of"),
        reply_to: col("reply_to"),
        quote_of: col("quote_of"),
        target_account: col("target_account"),
        urls: col("urls"),
        hashtags: col("hashtags"),
        mentions: col("mentions"),
        followers: col("followers"),
        following: col("following"),
        image_hashes: col("image_hashes"),
    };
    Ok(Box::new(CsvMapParser { src, cols, time_format: map.time_format, ctx: ctx.clone() }))
}

/// A post id from a source value: the integer when it is one, else a stable
/// id derived from the string under `namespace` (and `true`: derived). The
/// same string gives the same id in every file, so targets still match.
pub(crate) fn id_or_synthetic(namespace: &[u8], s: &str) -> (i64, bool) {
    match s.parse::<i64>() {
        Ok(i) => (i, false),
        Err(_) => (synthetic_id(&[namespace, s.as_bytes()]), true),
    }
}

/// An optional count (followers, following); floats such as `12.0`, as
/// written by spreadsheet tools, are truncated.
pub(crate) fn count(s: &str, name: &str) -> Result<Option<i64>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<i64>()
        .or_else(|_| s.parse::<f64>().map_err(|_| ()).and_then(|f| if f.is_finite() { Ok(f as i64) } else { Err(()) }))
        .map(Some)
        .map_err(|_| format!("column {name}: not a number: {s:?}"))
}

/// Items of a list-valued cell: separated by whitespace, commas or `|`,
/// tolerating a Python-list rendering such as `['a', 'b']`.
pub(crate) fn split_list(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| c == ',' || c == '|' || c.is_whitespace())
        .map(|t| t.trim_matches(|c| matches!(c, '[' | ']' | '\'' | '"')))
        .filter(|t| !t.is_empty())
}

fn describe(tf: &TimeFormat) -> String {
    match tf {
        TimeFormat::Auto => "any known date/time layout".into(),
        TimeFormat::Epoch => "epoch seconds".into(),
        TimeFormat::EpochMs => "epoch milliseconds".into(),
        TimeFormat::Pattern(p) => format!("the pattern {p:?}"),
    }
}

fn get<'r>(rec: &'r ByteRecord, col: &Option<Col>) -> Result<&'r str, String> {
    match col {
        Some((i, name)) => Ok(field(rec, *i, name)?.trim()),
        None => Ok(""),
    }
}

fn row_post(c: &Columns, tf: &TimeFormat, ctx: &SourceContext, line: u64, rec: &ByteRecord) -> Result<Post, String> {
    let author = field(rec, c.author.0, &c.author.1)?.trim();
    if author.is_empty() {
        return Err(format!("column {}: empty author", c.author.1));
    }
    let when = field(rec, c.time.0, &c.time.1)?;
    let t =
        tf.parse(when).ok_or_else(|| format!("column {}: cannot read time {when:?} as {}", c.time.1, describe(tf)))?;
    let text = field(rec, c.text.0, &c.text.1)?;
    let (id, id_derived) = match get(rec, &c.id)? {
        "" => (ctx.row_id(line), true),
        s => id_or_synthetic(b"csv-id", s),
    };
    // Case is kept: ids such as YouTube channel ids are case-sensitive.
    let mut p = Post::new(id, author, t.ms, text);
    p.id_derived = id_derived;
    p.time_resolution_s = t.resolution_s;
    p.line = line;
    let name = get(rec, &c.author_name)?;
    if !name.is_empty() {
        p.account_name = Some(name.to_string());
    }
    let lang = get(rec, &c.language)?;
    if !lang.is_empty() {
        p.language = Some(lang.to_string());
    }
    let (repost, reply, quote) = (get(rec, &c.repost_of)?, get(rec, &c.reply_to)?, get(rec, &c.quote_of)?);
    let inferred = if !repost.is_empty() {
        PostKind::Repost
    } else if !reply.is_empty() {
        PostKind::Reply
    } else if !quote.is_empty() {
        PostKind::Quote
    } else {
        PostKind::Post
    };
    p.kind = match (&c.kind, get(rec, &c.kind)?) {
        (Some((_, name)), k) if !k.is_empty() => PostKind::parse(k)
            .ok_or_else(|| format!("column {name}: unknown kind {k:?} (expected post, repost, quote or reply)"))?,
        _ => inferred,
    };
    let target = match p.kind {
        PostKind::Post => "",
        PostKind::Repost => repost,
        PostKind::Reply => reply,
        PostKind::Quote => quote,
    };
    // A kind column may disagree with which target column is filled; any target beats none.
    let target = [target, repost, reply, quote].into_iter().find(|s| !s.is_empty() && p.kind != PostKind::Post);
    if let Some(t) = target {
        let (tid, derived) = id_or_synthetic(b"csv-id", t);
        p.target_post = Some(tid);
        p.target_derived = derived;
    }
    let ta = get(rec, &c.target_account)?;
    if !ta.is_empty() {
        p.target_account = Some(ta.to_string());
    }
    if c.urls.is_none() || c.hashtags.is_none() || c.mentions.is_none() {
        p.derive_entities_from_text();
    }
    if c.hashtags.is_some() {
        p.hashtags = split_list(get(rec, &c.hashtags)?).map(|h| h.trim_start_matches('#').to_lowercase()).collect();
    }
    if c.mentions.is_some() {
        p.mentions = split_list(get(rec, &c.mentions)?).map(|m| m.trim_start_matches('@').to_lowercase()).collect();
    }
    if c.urls.is_some() {
        p.set_urls(split_list(get(rec, &c.urls)?));
    }
    if let Some((i, name)) = &c.followers {
        p.followers = count(field(rec, *i, name)?, name)?;
    }
    if let Some((i, name)) = &c.following {
        p.following = count(field(rec, *i, name)?, name)?;
    }
    if let Some((_, name)) = &c.image_hashes {
        for h in split_list(get(rec, &c.image_hashes)?) {
            let v = crate::media::parse_hex(h)
                .ok_or_else(|| format!("column {name}: not a 64-bit hash in 16 hexadecimal digits: {h:?}"))?;
            if !p.image_hashes.contains(&v) {
                p.image_hashes.push(v);
            }
        }
    }
    Ok(p)
}

impl Iterator for CsvMapParser {
    type Item = Result<Event, IngestError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (line, rec) = match self.src.next_record()? {
            Err(fatal) => return Some(Err(fatal)),
            Ok(Err(bad)) => return Some(Ok(Event::Reject(Reject { line: bad.line, reason: bad.reason }))),
            Ok(Ok(x)) => x,
        };
        Some(Ok(match row_post(&self.cols, &self.time_format, &self.ctx, line, rec) {
            Ok(p) => Event::Post(p),
            Err(reason) => Event::Reject(Reject { line, reason }),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::social::{posts, rejects};

    fn run(map: &ColumnMap, data: &str) -> Result<Vec<Event>, IngestError> {
        let ctx = SourceContext::new("g.csv", [3u8; 32]);
        open(Box::new(std::io::Cursor::new(data.as_bytes().to_vec())), &ctx, map.clone())?.collect()
    }

    fn usage(spec: &str) -> String {
        match ColumnMap::parse(spec, TimeFormat::Auto) {
            Err(IngestError::Usage(m)) => m,
            other => panic!("{spec}: expected a usage error, got {other:?}"),
        }
    }

    #[test]
    fn map_parsing() {
        let m = ColumnMap::parse(" author = user , time=created_at,text=body,id=post_id,", TimeFormat::Epoch).unwrap();
        assert_eq!(m.column("author"), Some("user"));
        assert_eq!(m.column("id"), Some("post_id"));
        assert_eq!(m.column("urls"), None);
        assert_eq!(m.time_format, TimeFormat::Epoch);
        let e = usage("author=user,time=t");
        assert!(e.contains("missing required field(s) text") && e.contains("author_name"), "{e}");
        assert!(usage("author=a,time=t,text=x,colour=c").contains("unknown field \"colour\""));
        assert!(usage("author=a,time=t,text=x,author=b").contains("mapped twice"));
        assert!(usage("author=a,time,text=x").contains("\"time\" is not FIELD=COLUMN"));
        assert!(usage("author=a,time=,text=x").contains("no column given for time"));
        assert!(usage("").contains("author, time, text"));
    }

    #[test]
    fn rows_of_every_kind() {
        let map = ColumnMap::parse(
            "id=post_id,author=user,author_name=handle,time=created_at,text=body,language=lang,kind=type,\
             repost_of=rt,reply_to=re,quote_of=qt,target_account=to,hashtags=tags,followers=fol",
            TimeFormat::Auto,
        )
        .unwrap();
        let data = "post_id,user,handle,created_at,body,lang,type,rt,re,qt,to,tags,fol\n\
                    1,U1,Alice,2020-01-02 03:04:05,hi @Bob https://ex.com/a?utm_source=x #ignored,en,,,,,,\"['Tag1', 'tag2']\",12\n\
                    2,U2,,2020-01-02T03:04:06Z,shared,,,1,,,U1,,\n\
                    3,U2,,2020-01-02 03:04,answer,,,,1,,,,\n\
                    abc,U3,,1577934245,look,,quote,,,1,,#a|#B,3.0\n\
                    ,U3,,2020-01-02 03:04,kind wins,,reply,,,x7,,,\n";
        let ev = run(&map, data).unwrap();
        assert!(rejects(&ev).is_empty(), "{ev:?}");
        let p = posts(&ev);
        assert_eq!(p.len(), 5);
        assert_eq!((p[0].id, p[0].id_derived, p[0].account.as_str()), (1, false, "U1"));
        assert_eq!(p[0].account_name.as_deref(), Some("Alice"));
        assert_eq!((p[0].time_ms, p[0].time_resolution_s), (1577934245000, 1));
        assert_eq!(p[0].hashtags, vec!["tag1", "tag2"]);
        assert_eq!(p[0].mentions, vec!["bob"]);
        assert_eq!(p[0].urls, vec!["https://ex.com/a"]);
        assert_eq!(p[0].language.as_deref(), Some("en"));
        assert_eq!(p[0].followers, Some(12));
        assert_eq!(
            (p[1].kind, p[1].target_post, p[1].target_account.as_deref()),
            (PostKind::Repost, Some(1), Some("U1"))
        );
        assert_eq!((p[2].kind, p[2].target_post, p[2].time_resolution_s), (PostKind::Reply, Some(1), 60));
        assert_eq!((p[3].kind, p[3].target_post), (PostKind::Quote, Some(1)));
        assert!(p[3].id_derived);
        assert_eq!(p[3].id, synthetic_id(&[b"csv-id", b"abc"]));
        assert_eq!(p[3].hashtags, vec!["a", "b"]);
        assert_eq!(p[3].followers, Some(3));
        // An explicit kind wins, and its target comes from whichever column is filled.
        assert_eq!(p[4].kind, PostKind::Reply);
        assert_eq!((p[4].target_post, p[4].target_derived), (Some(synthetic_id(&[b"csv-id", b"x7"])), true));
        assert_eq!((p[4].id, p[4].id_derived), (SourceContext::new("", [3u8; 32]).row_id(6), true));
    }

    #[test]
    fn minimal_map_derives_entities() {
        let map = ColumnMap::parse("author=user,time=ts,text=body", TimeFormat::Epoch).unwrap();
        let ev =
            run(&map, "ts,user,body\n1500000000,u,#Hello @There http://x.org/\n\n1500000001,v,a\n1500000002,w,b\n")
                .unwrap();
        assert!(rejects(&ev).is_empty(), "{ev:?}");
        let p = posts(&ev);
        assert_eq!(p.len(), 3);
        assert_eq!((p[0].line, p[2].line), (2, 5));
        assert_eq!(p[0].hashtags, vec!["hello"]);
        assert_eq!(p[0].mentions, vec!["there"]);
        assert_eq!(p[0].domains, vec!["x.org"]);
        assert_eq!(p[0].kind, PostKind::Post);
    }

    #[test]
    fn bad_rows_are_rejected() {
        let map = ColumnMap::parse("author=user,time=ts,text=body,kind=k,followers=f", TimeFormat::Epoch).unwrap();
        let data = "user,ts,body,k,f\n\
                    a,1500000000,ok,,\n\
                    a,yesterday,\"two\nlines\",,\n\
                    a,1500000000,x,boost,\n\
                    ,1500000000,x,,\n\
                    a,1500000000,x,,many\n\
                    a,1500000000\n\
                    b,1500000001,fine,rt,\n";
        let ev = run(&map, data).unwrap();
        let r = rejects(&ev);
        assert_eq!(r.len(), 5, "{r:?}");
        assert_eq!(r[0].line, 3);
        assert_eq!(r[0].reason, "column ts: cannot read time \"yesterday\" as epoch seconds");
        assert_eq!(r[1].line, 5);
        assert!(r[1].reason.contains("column k: unknown kind \"boost\""), "{}", r[1].reason);
        assert!(r[2].reason.contains("column user"), "{}", r[2].reason);
        assert!(r[3].reason.contains("column f: not a number"), "{}", r[3].reason);
        assert_eq!((r[4].line, r[4].reason.as_str()), (8, "expected 5 fields, found 2"));
        let p = posts(&ev);
        assert_eq!(p.len(), 2);
        assert_eq!((p[1].kind, p[1].target_post, p[1].line), (PostKind::Repost, None, 9));
    }

    #[test]
    fn pattern_time_format_is_named_in_rejects() {
        let map = ColumnMap::parse("author=a,time=t,text=x", TimeFormat::Pattern("%d.%m.%Y %H:%M".into())).unwrap();
        let ev = run(&map, "a,t,x\nu,07.09.2017 19:52,ok\nu,2017-09-07,no\n").unwrap();
        assert_eq!(posts(&ev)[0].time_ms, 1504813920000);
        assert!(rejects(&ev)[0].reason.contains("as the pattern \"%d.%m.%Y %H:%M\""));
    }

    #[test]
    fn missing_columns_fail_fast() {
        let map = ColumnMap::parse("author=user,time=created_at,text=body,language=lang", TimeFormat::Auto).unwrap();
        let err = match run(&map, "user,body\nx,y\n") {
            Err(e @ IngestError::WrongFormat { .. }) => e.to_string(),
            other => panic!("{other:?}"),
        };
        assert!(err.contains("without created_at, lang"), "{err}");
        assert!(matches!(run(&map, ""), Err(IngestError::WrongFormat { .. })));
    }
}
