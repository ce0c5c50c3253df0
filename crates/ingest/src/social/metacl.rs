//! Meta Content Library CSV downloads of Facebook and Instagram posts.
//!
//! Columns are found by name, with the names of the Content Library's data
//! dictionary as its downloads flatten them: `id`, `creation_time`, `text`
//! (Instagram: `caption` in older downloads), the posting account under
//! `post_owner.id` / `post_owner.username` / `post_owner.name` (or
//! `producer_id` / `producer_username` / `producer_name`), `lang`, the
//! attached link (`link_attachment.link`, or `link_url`), and on a reshare
//! `shared_post_id`, the original post. A reshare with no text of its own
//! is a repost of that post; one with text, a quote. Hashtags, mentions and
//! further links come from the text; `post_owner.type` and `surface.name`
//! become account labels (`owner_type`, `surface`). Ids are the Library's
//! (integers; any other id is replaced by a stable id derived from it, the
//! same for a post and the reshares naming it).

use std::collections::HashSet;
use std::io::Read;

use csv::ByteRecord;
use leaktrace_model::{AccountInfo, Post, PostKind};

use crate::csvsrc::{CsvSource, field};
use crate::social::generic::id_or_synthetic;
use crate::time::parse_auto;
use crate::{Event, EventStream, Format, IngestError, Reject, SourceContext};

const ID_NS: &[u8] = b"meta-cl-id";
const OWNER_ID: [&str; 3] = ["post_owner.id", "producer_id", "owner.id"];
const TEXT: [&str; 3] = ["text", "caption", "message"];

/// Does a lower-cased CSV header look like a Content Library download?
pub(crate) fn detect_header(cols: &[String]) -> bool {
    let has = |c: &str| cols.iter().any(|x| x == c);
    has("id") && has("creation_time") && OWNER_ID.iter().any(|c| has(c)) && TEXT.iter().any(|c| has(c))
}

type Opt = (Option<usize>, &'static str);

struct Columns {
    id: usize,
    time: usize,
    owner: Opt,
    text: Opt,
    username: Opt,
    name: Opt,
    lang: Opt,
    link: Opt,
    shared: Opt,
    owner_type: Opt,
    surface: Opt,
}

struct MetaCl {
    src: CsvSource,
    cols: Columns,
    seen: HashSet<String>,
    pending: Option<Event>,
}

pub(crate) fn open(input: Box<dyn Read + Send>, ctx: &SourceContext) -> Result<EventStream, IngestError> {
    let format = Format::MetaCl;
    let src = CsvSource::new(input, &ctx.display, format)?;
    let i = src.require(&["id", "creation_time"], format)?;
    let first = |names: &[&'static str]| -> Opt {
        names.iter().find_map(|n| src.col(n).map(|c| (Some(c), *n))).unwrap_or((None, names[0]))
    };
    let cols = Columns {
        id: i[0],
        time: i[1],
        owner: first(&OWNER_ID),
        text: first(&TEXT),
        username: first(&["post_owner.username", "producer_username", "owner.username"]),
        name: first(&["post_owner.name", "producer_name", "owner.name"]),
        lang: first(&["lang", "language"]),
        link: first(&["link_attachment.link", "link_url", "link"]),
        shared: first(&["shared_post_id"]),
        owner_type: first(&["post_owner.type", "producer_type"]),
        surface: first(&["surface.name"]),
    };
    if cols.owner.0.is_none() || cols.text.0.is_none() {
        return Err(src.require(&["post_owner.id", "text"], format).unwrap_err());
    }
    Ok(Box::new(MetaCl { src, cols, seen: HashSet::new(), pending: None }))
}

fn get(rec: &ByteRecord, (idx, name): Opt) -> Result<&str, String> {
    match idx {
        Some(i) => Ok(field(rec, i, name)?.trim()),
        None => Ok(""),
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

fn post(c: &Columns, line: u64, rec: &ByteRecord) -> Result<Post, String> {
    let id = field(rec, c.id, "id")?.trim();
    if id.is_empty() {
        return Err("column id: empty".into());
    }
    let owner = get(rec, c.owner)?;
    if owner.is_empty() {
        return Err(format!("column {}: empty", c.owner.1));
    }
    let when = field(rec, c.time, "creation_time")?;
    let t = parse_auto(when).ok_or_else(|| format!("column creation_time: not a date: {when:?}"))?;
    let text = c.text.0.map(|i| field(rec, i, c.text.1)).transpose()?.unwrap_or("");
    let (pid, derived) = id_or_synthetic(ID_NS, id);
    let mut p = Post::new(pid, owner, t.ms, text);
    p.id_derived = derived;
    p.time_resolution_s = t.resolution_s;
    p.line = line;
    p.account_name = non_empty(get(rec, c.username)?).or(non_empty(get(rec, c.name)?));
    p.language = non_empty(get(rec, c.lang)?);
    p.derive_entities_from_text();
    let link = get(rec, c.link)?;
    if !link.is_empty()
        && !p.urls.iter().any(|u| Some(u.as_str()) == leaktrace_model::derive::normalize_url(link).as_deref())
    {
        let mut urls = p.urls.clone();
        urls.push(link.to_string());
        p.set_urls(urls);
    }
    let shared = get(rec, c.shared)?;
    if !shared.is_empty() {
        p.kind = if text.trim().is_empty() { PostKind::Repost } else { PostKind::Quote };
        let (tid, tderived) = id_or_synthetic(ID_NS, shared);
        p.target_post = Some(tid);
        p.target_derived = tderived;
    }
    Ok(p)
}

impl Iterator for MetaCl {
    type Item = Result<Event, IngestError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.pending.take() {
            return Some(Ok(e));
        }
        let (line, rec) = match self.src.next_record()? {
            Err(fatal) => return Some(Err(fatal)),
            Ok(Err(bad)) => return Some(Ok(Event::Reject(Reject { line: bad.line, reason: bad.reason }))),
            Ok(Ok(x)) => x,
        };
        let p = match post(&self.cols, line, rec) {
            Ok(p) => p,
            Err(reason) => return Some(Ok(Event::Reject(Reject { line, reason }))),
        };
        if self.seen.insert(p.account.clone()) {
            let mut labels = Vec::new();
            for (key, col) in [("owner_type", self.cols.owner_type), ("surface", self.cols.surface)] {
                if let Ok(v) = get(rec, col)
                    && !v.is_empty()
                {
                    labels.push((key.to_string(), v.to_string()));
                }
            }
            if p.account_name.is_some() || !labels.is_empty() {
                let info = AccountInfo { account: p.account.clone(), name: p.account_name.clone(), labels };
                self.pending = Some(Event::Post(p));
                return Some(Ok(Event::Account(info)));
            }
        }
        Some(Ok(Event::Post(p)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::social::{posts, rejects};

    fn parse(data: &str) -> Result<Vec<Event>, IngestError> {
        let ctx = SourceContext::new("m.csv", [1u8; 32]);
        open(Box::new(std::io::Cursor::new(data.as_bytes().to_vec())), &ctx)?.collect()
    }

    #[test]
    fn posts_reshares_and_bad_rows() {
        let data = "id,creation_time,text,lang,post_owner.id,post_owner.name,post_owner.username,post_owner.type,link_attachment.link,shared_post_id,statistics.share_count\n\
                    101,2024-03-01T10:00:00,\"Big news #Vote\",en,9001,Demo Page,demo_page,page,https://news.example.org/a?utm_source=fb,,12\n\
                    102,2024-03-01T10:01:00,,,9002,Other Demo,,page,,101,0\n\
                    103,2024-03-01T10:02:00,so true,,9002,Other Demo,,page,,101,0\n\
                    104,never,x,,9003,,,,,,\n\
                    105,2024-03-01T10:03:00,x,,,,,,,,\n";
        let ev = parse(data).unwrap();
        let p = posts(&ev);
        assert_eq!(p.len(), 3, "{ev:?}");
        assert_eq!((p[0].id, p[0].account.as_str(), p[0].account_name.as_deref()), (101, "9001", Some("demo_page")));
        assert_eq!((p[0].time_ms, p[0].hashtags.clone()), (1709287200000, vec!["vote".to_string()]));
        assert_eq!(p[0].urls, vec!["https://news.example.org/a"]);
        assert_eq!((p[1].kind, p[1].target_post), (PostKind::Repost, Some(101)));
        assert_eq!((p[2].kind, p[2].target_post), (PostKind::Quote, Some(101)));
        let r = rejects(&ev);
        assert_eq!((r[0].line, r[1].line), (5, 6));
        assert!(r[1].reason.contains("post_owner.id: empty"), "{}", r[1].reason);
    }

    #[test]
    fn other_csv_is_refused() {
        assert!(matches!(parse("id,creation_time,body\n1,2,3\n"), Err(IngestError::WrongFormat { .. })));
    }
}
