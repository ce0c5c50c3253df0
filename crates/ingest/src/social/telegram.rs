//! Telegram Desktop's JSON export (`result.json`, "Export chat history" of
//! one channel or group, or "Export Telegram data" of a whole account with
//! its chats under `chats.list[]` and `left_chats.list[]`).
//!
//! The export is one JSON document, often gigabytes, not JSON lines. It is
//! streamed: serde_json walks the document, skipping everything but the
//! chats, and takes each element of a `messages` array whole (as raw JSON)
//! before reading it on its own, so memory stays one message deep and a
//! malformed message is a reject (with its line and byte offset) while the
//! rest of the file is read. A message longer than [`MAX_MESSAGE_BYTES`], or
//! JSON that is broken as a document (which no reader can resynchronise
//! after), stops the file with an error naming the line. The walk runs on a
//! thread of its own and hands events over in batches through a bounded
//! channel.
//!
//! What a message becomes:
//! - `type: "service"` messages (joins, pins, calls) are not posts: counted
//!   (see [`SourceContext::skipped`]), not rejected.
//! - Account: `from_id` (`user123`, `channel123`), named by `from`; a message
//!   with no author in a channel is the channel's (`channel<chat id>`).
//! - Time: `date_unixtime` (UTC seconds). `date` alone is a local time of the
//!   exporting machine without its zone, so such a message is rejected.
//! - Id: the synthetic id of (chat id, message id): message ids are numbered
//!   per chat. A reply (`reply_to_message_id`) points at the id of that
//!   message in the same chat.
//! - Text: `text` as a string, or an array of strings and entity objects
//!   read whole (`text_entities` when given). Entities give links (`link`,
//!   `text_link`'s `href`), hashtags, mentions (`@name` lower-cased;
//!   `mention_name` as the account key `user<user_id>`).
//! - A forward (`forwarded_from`, or `saved_from`) is a repost. The export
//!   does not name the original message, so its target is derived: the
//!   synthetic id of (source, text, image hashes), where the source is
//!   `forwarded_from_id` when the export gives it, else the source's name;
//!   two forwards of the same post (same source, same text and pictures)
//!   share the target, which is flagged derived. A forward whose source is
//!   hidden is a repost without a target.
//! - Media: `photo`, `file` and `thumbnail` paths (those that were
//!   exported, relative to the export's folder); photos, image files and the
//!   thumbnails of videos are hashed (see [`crate::media`]) when the context
//!   names the export's folder.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashSet;
use std::fmt;
use std::io::{self, Read};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use leaktrace_model::derive::synthetic_id;
use leaktrace_model::{AccountInfo, Post, PostKind};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::jsonhead::top_level_keys;
use super::jsonl::json_reason;
use super::twitter::Id;
use crate::media::MediaStats;
use crate::{Event, EventStream, Format, IngestError, Reject, SourceContext, first_line_excerpt};

/// The longest message kept (a message's text is at most 4,096 characters;
/// with its entities and media fields it is a few kilobytes).
pub const MAX_MESSAGE_BYTES: u64 = 16 << 20;

/// Events handed over at a time, and batches in flight.
const BATCH: usize = 512;
const IN_FLIGHT: usize = 8;

/// What Telegram writes instead of a path for media not exported.
const NOT_INCLUDED: &str = "(File not included";

/// Does the start of a document look like a Telegram export?
pub(crate) fn detect_head(head: &[u8]) -> bool {
    let keys = top_level_keys(head);
    let has = |k: &str| keys.iter().any(|(n, _)| *n == k.as_bytes());
    let messages = keys.iter().any(|(k, v)| *k == b"messages" && *v == Some(b'['));
    (messages && (has("type") || has("name") || has("id")))
        || keys.iter().any(|(k, v)| *k == b"chats" && *v == Some(b'{'))
        || (has("about") && has("personal_information"))
}

/// Where the walk is, shared by the reader and the visitors: bytes and
/// lines read, and the start of the message being read.
#[derive(Clone, Copy, Default)]
struct Pos {
    bytes: u64,
    lines: u64,
    record_start: Option<u64>,
}

/// A buffered reader that counts bytes and line ends as serde_json takes
/// them, and refuses to go on inside one message past the bound.
struct Counted {
    inner: Box<dyn Read + Send>,
    buf: Vec<u8>,
    at: usize,
    end: usize,
    pos: Rc<Cell<Pos>>,
}

impl Counted {
    fn fill(&mut self) -> io::Result<bool> {
        if self.at < self.end {
            return Ok(true);
        }
        self.at = 0;
        self.end = loop {
            match self.inner.read(&mut self.buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        Ok(self.end > 0)
    }

    /// Up to `n` bytes from the start, without consuming them.
    fn head(&mut self, n: usize) -> io::Result<&[u8]> {
        while self.end < n.min(self.buf.len()) {
            let got = match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => break,
                Ok(k) => k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.end += got;
        }
        Ok(&self.buf[..self.end.min(n)])
    }
}

impl Read for Counted {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() || !self.fill()? {
            return Ok(0);
        }
        let n = out.len().min(self.end - self.at);
        let chunk = &self.buf[self.at..self.at + n];
        out[..n].copy_from_slice(chunk);
        self.at += n;
        let mut p = self.pos.get();
        p.bytes += n as u64;
        p.lines += memchr::memchr_iter(b'\n', chunk).count() as u64;
        self.pos.set(p);
        if let Some(start) = p.record_start
            && p.bytes - start > MAX_MESSAGE_BYTES
        {
            return Err(io::Error::other(format!(
                "the message that starts at byte {start} is longer than a message may be ({MAX_MESSAGE_BYTES} bytes)"
            )));
        }
        Ok(n)
    }
}

/// One chat's facts, as far as they were read before its messages.
#[derive(Clone, Default)]
struct Chat {
    name: Option<String>,
    kind: Option<String>,
    id: Option<String>,
}

impl Chat {
    fn key(&self) -> &str {
        self.id.as_deref().or(self.name.as_deref()).unwrap_or("")
    }

    fn is_channel(&self) -> bool {
        self.kind.as_deref().is_some_and(|k| k.contains("channel"))
    }
}

/// The walk's state: where events go, and what was already said.
struct Walk {
    tx: SyncSender<Vec<Result<Event, IngestError>>>,
    batch: Vec<Result<Event, IngestError>>,
    pos: Rc<Cell<Pos>>,
    named: HashSet<String>,
    media_dir: Option<std::path::PathBuf>,
    media: Arc<MediaStats>,
    skipped: Arc<std::sync::atomic::AtomicU64>,
    arrays: u64,
    /// The receiver went away: stop walking.
    closed: bool,
}

impl Walk {
    fn push(&mut self, e: Event) {
        self.batch.push(Ok(e));
        if self.batch.len() >= BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.batch.is_empty() && self.tx.send(std::mem::take(&mut self.batch)).is_err() {
            self.closed = true;
        }
    }

    fn message(&mut self, chat: &Chat, raw: &RawValue, line: u64, byte: u64) {
        let reject = |reason: String| Event::Reject(Reject { line, reason: format!("byte {byte}: {reason}") });
        let m: Message = match serde_json::from_str(raw.get()) {
            Ok(m) => m,
            Err(e) => return self.push(reject(json_reason(&e))),
        };
        if m.kind.as_deref() == Some("service") {
            self.skipped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return;
        }
        match self.post(chat, &m, line) {
            Ok(p) => {
                if let Some(name) = &p.account_name
                    && self.named.insert(p.account.clone())
                {
                    let info = AccountInfo { account: p.account.clone(), name: Some(name.clone()), labels: Vec::new() };
                    self.push(Event::Account(info));
                }
                self.push(Event::Post(p));
            }
            Err(reason) => self.push(reject(reason)),
        }
    }

    fn post(&self, chat: &Chat, m: &Message, line: u64) -> Result<Post, String> {
        let mid = m.id.as_ref().map(|i| i.0.trim()).filter(|s| !s.is_empty()).ok_or("field id: missing")?;
        let secs: i64 = match m.date_unixtime.as_ref() {
            Some(t) => t.0.trim().parse().map_err(|_| format!("field date_unixtime: not Unix seconds: {:?}", t.0))?,
            None => {
                return Err(
                    "field date_unixtime: missing (older exports give only a local time without its zone)".into()
                );
            }
        };
        let ms = secs.checked_mul(1000).ok_or("field date_unixtime: out of range")?;
        let (account, name) = match m.from_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(f) => (f.to_string(), m.from.clone()),
            None if chat.is_channel() && chat.id.is_some() => (format!("channel{}", chat.key()), chat.name.clone()),
            None => return Err("field from_id: missing, in a chat that is not a channel".into()),
        };
        let text = Text::of(m)?;
        let chat_key = chat.key().as_bytes();
        let mut p = Post::new(synthetic_id(&[b"telegram", chat_key, mid.as_bytes()]), account, ms, text.text);
        p.line = line;
        p.account_name = name.filter(|n| !n.is_empty());
        p.hashtags = text.hashtags;
        p.mentions = text.mentions;
        p.set_urls(text.urls);
        if text.plain {
            p.derive_entities_from_text();
        }
        for path in [&m.photo, &m.file, &m.thumbnail].into_iter().flatten() {
            if !path.starts_with(NOT_INCLUDED) && !path.is_empty() {
                p.media.push(path.clone());
            }
        }
        if let Some(dir) = &self.media_dir {
            let image_file =
                m.mime_type.as_deref().is_some_and(|t| matches!(t, "image/jpeg" | "image/png" | "image/webp"));
            let wanted = [(&m.photo, true), (&m.file, image_file), (&m.thumbnail, true)];
            for (path, hash) in wanted {
                if let Some(path) = path.as_deref().filter(|p| hash && !p.starts_with(NOT_INCLUDED) && !p.is_empty())
                    && let Some(h) = self.media.hash_file(dir, path)
                    && !p.image_hashes.contains(&h)
                {
                    p.image_hashes.push(h);
                }
            }
        }
        let forward = m.forwarded_from.as_ref().or(m.saved_from.as_ref());
        if let Some(source) = forward {
            p.kind = PostKind::Repost;
            let id = m.forwarded_from_id.as_deref().map(str::trim).filter(|s| !s.is_empty());
            let key = match (id, source.as_deref().map(str::trim).filter(|s| !s.is_empty())) {
                (Some(id), _) => Some(id.to_string()),
                (None, Some(name)) => Some(format!("name:{name}")),
                (None, None) => None,
            };
            if let Some(key) = key {
                let hashes: Vec<u8> = p.image_hashes.iter().flat_map(|h| h.to_be_bytes()).collect();
                p.target_post = Some(synthetic_id(&[b"telegram-forward", key.as_bytes(), p.text.as_bytes(), &hashes]));
                p.target_derived = true;
                p.target_account = id.map(str::to_string);
            }
        } else if let Some(r) = m.reply_to_message_id.as_ref().map(|r| r.0.trim()).filter(|r| !r.is_empty()) {
            p.kind = PostKind::Reply;
            p.target_post = Some(synthetic_id(&[b"telegram", chat_key, r.as_bytes()]));
        }
        Ok(p)
    }
}

/// Deserialize a field that is present, even as `null`, to `Some`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
struct Message<'a> {
    id: Option<Id>,
    #[serde(rename = "type")]
    kind: Option<String>,
    date_unixtime: Option<Id>,
    from: Option<String>,
    from_id: Option<String>,
    #[serde(default, deserialize_with = "present")]
    forwarded_from: Option<Option<String>>,
    forwarded_from_id: Option<String>,
    #[serde(default, deserialize_with = "present")]
    saved_from: Option<Option<String>>,
    reply_to_message_id: Option<Id>,
    #[serde(borrow)]
    text: Option<&'a RawValue>,
    #[serde(borrow)]
    text_entities: Option<&'a RawValue>,
    photo: Option<String>,
    file: Option<String>,
    thumbnail: Option<String>,
    mime_type: Option<String>,
}

/// One part of a text array: a string, or an entity object. (Owned: an
/// untagged enum is read through a buffer it cannot borrow from.)
#[derive(Deserialize)]
#[serde(untagged)]
enum Part {
    Plain(String),
    Entity(Entity),
}

#[derive(Deserialize)]
struct Entity {
    #[serde(rename = "type")]
    kind: Option<String>,
    text: Option<String>,
    href: Option<String>,
    user_id: Option<Id>,
}

/// A message's text, read whole, with what its entities name.
struct Text {
    text: String,
    hashtags: Vec<String>,
    mentions: Vec<String>,
    urls: Vec<String>,
    /// The text came as a plain string (no entities to read).
    plain: bool,
}

impl Text {
    fn of(m: &Message) -> Result<Text, String> {
        let mut t =
            Text { text: String::new(), hashtags: Vec::new(), mentions: Vec::new(), urls: Vec::new(), plain: false };
        let (raw, name) = match (m.text_entities, m.text) {
            (Some(e), _) => (e, "text_entities"),
            (None, Some(t)) => (t, "text"),
            (None, None) => return Ok(t),
        };
        let s = raw.get().trim_start();
        if s.starts_with('"') {
            let v: Cow<str> = serde_json::from_str(s).map_err(|e| format!("field {name}: {}", json_reason(&e)))?;
            t.text = v.into_owned();
            t.plain = true;
            return Ok(t);
        }
        let parts: Vec<Part> = serde_json::from_str(s).map_err(|e| {
            format!("field {name}: not a string nor an array of strings and entities: {}", json_reason(&e))
        })?;
        for part in parts {
            let e = match part {
                Part::Plain(s) => {
                    t.text.push_str(&s);
                    continue;
                }
                Part::Entity(e) => e,
            };
            let text = e.text.as_deref().unwrap_or("");
            t.text.push_str(text);
            match e.kind.as_deref().unwrap_or("") {
                "link" => t.urls.push(text.to_string()),
                "text_link" => t.urls.extend(e.href.as_deref().map(str::to_string)),
                "hashtag" => t.hashtags.push(text.trim_start_matches('#').to_lowercase()),
                "mention" => t.mentions.push(text.trim_start_matches('@').to_lowercase()),
                "mention_name" => t.mentions.extend(e.user_id.as_ref().map(|u| format!("user{}", u.0.trim()))),
                _ => {}
            }
        }
        t.hashtags.retain(|h| !h.is_empty());
        t.mentions.retain(|m| !m.is_empty());
        Ok(t)
    }
}

/// The top of the document, or a chat object: its facts and its messages.
struct ChatMap<'w> {
    walk: &'w mut Walk,
    chat: Chat,
}

impl<'de> DeserializeSeed<'de> for ChatMap<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

fn scalar_string(v: serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl<'de> Visitor<'de> for ChatMap<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Telegram export object")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Cow<str>>()? {
            if self.walk.closed {
                return Ok(());
            }
            match key.as_ref() {
                "name" => self.chat.name = map.next_value::<Option<serde_json::Value>>()?.and_then(scalar_string),
                "type" => self.chat.kind = map.next_value::<Option<serde_json::Value>>()?.and_then(scalar_string),
                "id" => self.chat.id = map.next_value::<Option<serde_json::Value>>()?.and_then(scalar_string),
                "messages" => map.next_value_seed(Messages { walk: self.walk, chat: &self.chat })?,
                "chats" | "left_chats" => map.next_value_seed(ChatList { walk: self.walk })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// `{"about": ..., "list": [chat, ...]}` of an account export.
struct ChatList<'w> {
    walk: &'w mut Walk,
}

impl<'de> DeserializeSeed<'de> for ChatList<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ChatList<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a chat list")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Cow<str>>()? {
            if key == "list" {
                map.next_value_seed(ChatList { walk: self.walk })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while !self.walk.closed && seq.next_element_seed(ChatMap { walk: self.walk, chat: Chat::default() })?.is_some()
        {
        }
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// A `messages` array, one element at a time.
struct Messages<'w, 'c> {
    walk: &'w mut Walk,
    chat: &'c Chat,
}

impl<'de> DeserializeSeed<'de> for Messages<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Messages<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of messages")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.walk.arrays += 1;
        while !self.walk.closed {
            let Some((raw, line, byte)) = seq.next_element_seed(Element { pos: &self.walk.pos })? else { break };
            self.walk.message(self.chat, &raw, line, byte);
        }
        Ok(())
    }
}

/// One message, taken whole, with the line and byte it starts at.
struct Element<'p> {
    pos: &'p Rc<Cell<Pos>>,
}

impl<'de> DeserializeSeed<'de> for Element<'_> {
    type Value = (Box<RawValue>, u64, u64);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        // serde_json has read the value's first byte (to know it is a
        // value), and every line end before it.
        let mut p = self.pos.get();
        let (start, line) = (p.bytes.saturating_sub(1), p.lines + 1);
        p.record_start = Some(start);
        self.pos.set(p);
        let raw = Box::<RawValue>::deserialize(d);
        let mut p = self.pos.get();
        p.record_start = None;
        self.pos.set(p);
        Ok((raw?, line, start))
    }
}

struct Stream {
    rx: Receiver<Vec<Result<Event, IngestError>>>,
    current: std::vec::IntoIter<Result<Event, IngestError>>,
    worker: Option<std::thread::JoinHandle<()>>,
    display: String,
}

impl Iterator for Stream {
    type Item = Result<Event, IngestError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(e) = self.current.next() {
                return Some(e);
            }
            match self.rx.recv() {
                Ok(batch) => self.current = batch.into_iter(),
                Err(_) => {
                    let w = self.worker.take()?;
                    return match w.join() {
                        Ok(()) => None,
                        Err(_) => Some(Err(IngestError::File {
                            file: self.display.clone(),
                            reason: "the Telegram reader stopped unexpectedly".into(),
                        })),
                    };
                }
            }
        }
    }
}

pub(crate) fn open(input: Box<dyn Read + Send>, ctx: &SourceContext) -> Result<EventStream, IngestError> {
    let pos = Rc::new(Cell::new(Pos::default()));
    let mut rdr = Counted { inner: input, buf: vec![0; 1 << 20], at: 0, end: 0, pos: pos.clone() };
    let head = rdr.head(64 * 1024).map_err(|e| crate::csvsrc::read_stopped(&ctx.display, 1, &e))?;
    let head = head.strip_prefix("\u{feff}".as_bytes()).unwrap_or(head);
    if !detect_head(head) {
        let found =
            if head.iter().all(u8::is_ascii_whitespace) { "an empty file".into() } else { first_line_excerpt(head) };
        return Err(IngestError::WrongFormat {
            file: ctx.display.clone(),
            format: Format::Telegram,
            expected: Format::Telegram.expectation(),
            found,
        });
    }
    // The reader moves to the walking thread, with what it buffered, and
    // counts there (its counter is not shared across threads).
    drop(pos);
    let (tx, rx) = sync_channel(IN_FLIGHT);
    let display = ctx.display.clone();
    let (media_dir, media, skipped) = (ctx.media_dir.clone(), ctx.media.clone(), ctx.skipped.clone());
    let input = Buffered { inner: rdr.inner, buf: rdr.buf, at: rdr.at, end: rdr.end };
    let worker = std::thread::Builder::new()
        .name("telegram-reader".into())
        .spawn(move || walk(input, tx, display, media_dir, media, skipped))
        .map_err(|e| IngestError::Io { file: ctx.display.clone(), source: e })?;
    Ok(Box::new(Stream { rx, current: Vec::new().into_iter(), worker: Some(worker), display: ctx.display.clone() }))
}

/// The reader and what it already buffered, to move to the walking thread.
struct Buffered {
    inner: Box<dyn Read + Send>,
    buf: Vec<u8>,
    at: usize,
    end: usize,
}

fn walk(
    input: Buffered,
    tx: SyncSender<Vec<Result<Event, IngestError>>>,
    display: String,
    media_dir: Option<std::path::PathBuf>,
    media: Arc<MediaStats>,
    skipped: Arc<std::sync::atomic::AtomicU64>,
) {
    let pos = Rc::new(Cell::new(Pos::default()));
    let Buffered { inner, buf, at, end } = input;
    let rdr = Counted { inner, buf, at, end, pos: pos.clone() };
    let mut w = Walk {
        tx,
        batch: Vec::with_capacity(BATCH),
        pos,
        named: HashSet::new(),
        media_dir,
        media,
        skipped,
        arrays: 0,
        closed: false,
    };
    let mut de = serde_json::Deserializer::from_reader(rdr);
    let result = ChatMap { walk: &mut w, chat: Chat::default() }.deserialize(&mut de).and_then(|()| de.end());
    let err = match result {
        Err(e) if !w.closed => {
            let reason = match e.io_error_kind() {
                Some(_) => e.to_string(),
                None => format!("not a valid JSON document: {e}"),
            };
            Some(IngestError::Fatal { file: display, line: e.line() as u64, reason })
        }
        Ok(()) if w.arrays == 0 => {
            Some(IngestError::File { file: display, reason: "a Telegram export without a \"messages\" array".into() })
        }
        _ => None,
    };
    w.flush();
    if let Some(e) = err {
        let _ = w.tx.send(vec![Err(e)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::social::{posts, rejects};

    fn parse(data: &str) -> Result<Vec<Event>, IngestError> {
        let ctx = SourceContext::new("result.json", [1u8; 32]);
        open(Box::new(std::io::Cursor::new(data.as_bytes().to_vec())), &ctx)?.collect()
    }

    #[test]
    fn one_line_exports_and_hostile_documents() {
        // Compact (one line), a malformed message in the middle, a forward with a hidden source.
        let doc = r#"{"name":"C","type":"private_group","id":7,"messages":[{"id":1,"type":"message","date_unixtime":"1700000000","from":"A","from_id":"user1","text":"hi #x"},{"id":2,"type":"message","date_unixtime":"1700000001","from_id":"user1","text":5},{"id":3,"type":"message","date_unixtime":"1700000002","from_id":"user2","forwarded_from":null,"text":"fw"}]}"#;
        let ev = parse(doc).unwrap();
        let p = posts(&ev);
        assert_eq!(p.len(), 2, "{ev:?}");
        assert_eq!((p[0].hashtags.clone(), p[0].line), (vec!["x".to_string()], 1));
        assert_eq!((p[1].kind, p[1].target_post), (PostKind::Repost, None), "a hidden source: no target");
        let r = rejects(&ev);
        assert_eq!(r.len(), 1);
        let at = doc.find(r#"{"id":2,"#).unwrap();
        assert!(r[0].reason.starts_with(&format!("byte {at}: field text")), "{}", r[0].reason);
        // A document broken in the middle stops with the line, after what came before.
        let broken = "{\"name\":\"C\",\"type\":\"private_group\",\"id\":7,\"messages\":[\n{\"id\":1,\"type\":\"message\",\"date_unixtime\":\"1700000000\",\"from_id\":\"user1\",\"text\":\"ok\"},\n{\"id\":2,,}\n]}";
        let ctx = SourceContext::new("result.json", [1u8; 32]);
        let out: Vec<_> = open(Box::new(std::io::Cursor::new(broken.as_bytes().to_vec())), &ctx).unwrap().collect();
        assert!(matches!(out[0], Ok(Event::Post(_))));
        match out.last().unwrap() {
            Err(IngestError::Fatal { line, reason, .. }) => {
                assert!(*line == 3 && reason.contains("not a valid JSON"), "{line} {reason}")
            }
            other => panic!("{other:?}"),
        }
        // Not a Telegram export at all, and an export without messages.
        assert!(matches!(parse("{\"id_str\":\"1\"}"), Err(IngestError::WrongFormat { .. })));
        assert!(matches!(parse("[1,2]"), Err(IngestError::WrongFormat { .. })));
        let none = parse(r#"{"about":"x","personal_information":{},"contacts":{"list":[]}}"#);
        assert!(matches!(none, Err(IngestError::File { .. })), "{none:?}");
    }

    #[test]
    fn a_message_past_the_bound_stops_the_file() {
        let big = "a".repeat(MAX_MESSAGE_BYTES as usize + 10);
        let doc = format!(
            r#"{{"name":"C","type":"private_group","id":7,"messages":[{{"id":1,"type":"message","date_unixtime":"1700000000","from_id":"u","text":"{big}"}}]}}"#
        );
        match parse(&doc) {
            Err(IngestError::Fatal { reason, .. }) => {
                assert!(reason.contains("longer than a message may be"), "{reason}")
            }
            other => panic!("{:?}", other.map(|v| v.len())),
        }
    }
}
