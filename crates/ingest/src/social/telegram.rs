//! Telegram Desktop's JSON export (`result.json`, "Export chat history" of
//! one channel or group, or "Export Telegram data" of a whole account with
//! its chats under `chats.list[]` and `left_chats.list[]`).
//!
//! The export is one JSON document, often gigabytes, not JSON lines. It is
//! streamed: serde_json walks the document, skipping everything but the
//! chats, and when it reaches a `messages` array each element is read
//! straight from a large buffer under it with serde_json's slice reader
//! (which says where the element ends; an element that runs past the buffer
//! is read again after a refill), so memory stays one message deep and a
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
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::io::{self, Read};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use leaktrace_model::derive::synthetic_id;
use leaktrace_model::{AccountInfo, Post, PostKind};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::jsonhead::top_level_keys;
use super::jsonl::json_reason;
use super::twitter::Id;
use crate::media::MediaStats;
use crate::{Event, EventStream, Format, IngestError, Reject, SourceContext, first_line_excerpt};

/// The longest message kept (a message's text is at most 4,096 characters;
/// with its entities and media fields it is a few kilobytes).
pub const MAX_MESSAGE_BYTES: u64 = 16 << 20;

/// Bytes read at a time (the buffer grows to hold one message longer than
/// half of it).
const BUFFER: usize = 1 << 20;

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

/// The document, buffered, as two readers take it: serde_json walks the
/// outer document through [`Shared`] (a byte at a time), and
/// [`Source::next_element`] cuts the elements of a `messages` array straight
/// from the buffer. Both count bytes and line ends as they take them.
struct Source {
    inner: Box<dyn Read + Send>,
    buf: Vec<u8>,
    at: usize,
    end: usize,
    /// Where `buf[0]` is in the file.
    base: u64,
    /// Line ends before `at`.
    lines: u64,
    /// Where the line of `at` begins in the file.
    line_start: u64,
    /// The input has ended: nothing comes after `end`.
    eof: bool,
}

/// Why the walk stopped inside a `messages` array.
enum Stop {
    Io(io::Error),
    /// Not JSON: what is wrong, and its line and column.
    Json {
        line: u64,
        column: u64,
        what: String,
    },
    /// A message past [`MAX_MESSAGE_BYTES`]: the line and byte it began at.
    TooLong {
        line: u64,
        byte: u64,
    },
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Stop {
        Stop::Io(e)
    }
}

/// What serde_json says is wrong, without its position (which the caller
/// knows better: serde_json does not see the bytes cut by the scanner).
fn what_is_wrong(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    msg.rsplit_once(" at line ").map_or(msg.as_str(), |(m, _)| m).to_string()
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

impl Source {
    fn new(inner: Box<dyn Read + Send>, capacity: usize) -> Source {
        Source { inner, buf: vec![0; capacity.max(1)], at: 0, end: 0, base: 0, lines: 0, line_start: 0, eof: false }
    }

    /// Where `at` is in the file.
    fn offset(&self) -> u64 {
        self.base + self.at as u64
    }

    /// The line of `at` (from 1), and its column (bytes before it on its line).
    fn line(&self) -> u64 {
        self.lines + 1
    }

    fn column(&self) -> u64 {
        self.offset() - self.line_start
    }

    /// Up to `n` bytes from the start, without taking them.
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

    /// Reads more after what is buffered, keeping `buf[at..end]` (moved to
    /// the front), until the buffer is full or the input ends. The buffer
    /// grows only when what is kept fills half of it, which the callers
    /// bound (one message at most), so a message read again after each
    /// refill is read a bounded number of times. `false` at the end of the
    /// input (and nothing read).
    fn more(&mut self) -> io::Result<bool> {
        if self.at > 0 {
            self.buf.copy_within(self.at..self.end, 0);
            self.base += self.at as u64;
            self.end -= self.at;
            self.at = 0;
        }
        if self.end > self.buf.len() / 2 {
            let len = self.buf.len() * 2;
            self.buf.resize(len, 0);
        }
        let before = self.end;
        while self.end < self.buf.len() && !self.eof {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(self.end > before)
    }

    /// Takes `n` buffered bytes, counting their line ends.
    fn take(&mut self, n: usize) {
        let taken = &self.buf[self.at..self.at + n];
        if let Some(last) = memchr::memrchr(b'\n', taken) {
            self.lines += memchr::memchr_iter(b'\n', taken).count() as u64;
            self.line_start = self.offset() + last as u64 + 1;
        }
        self.at += n;
    }

    /// Skips whitespace: the next byte, not taken, or `None` at the end.
    fn peek_past_ws(&mut self) -> io::Result<Option<u8>> {
        loop {
            let ws = self.buf[self.at..self.end].iter().take_while(|b| is_ws(**b)).count();
            self.take(ws);
            if self.at < self.end {
                return Ok(Some(self.buf[self.at]));
            }
            if !self.more()? {
                return Ok(None);
            }
        }
    }

    fn json_error(&self, what: &str) -> Stop {
        Stop::Json { line: self.line(), column: self.column() + 1, what: what.into() }
    }

    /// Goes to the next element of an array whose `[` (and, unless
    /// `first`, whose elements before) were taken: `false` at the `]`, which
    /// is left for serde_json to take.
    fn next_element(&mut self, first: bool) -> Result<bool, Stop> {
        let eof = |s: &Source| s.json_error("EOF while parsing a list");
        let b = match self.peek_past_ws()? {
            Some(b) => b,
            None => return Err(eof(self)),
        };
        if b == b']' {
            return Ok(false);
        }
        if !first {
            if b != b',' {
                return Err(self.json_error("expected `,` or `]`"));
            }
            self.take(1);
            match self.peek_past_ws()? {
                None => return Err(eof(self)),
                Some(b']') => return Err(self.json_error("trailing comma")),
                Some(_) => {}
            }
        }
        Ok(true)
    }

    /// The element at `at`, read from the buffer by serde_json's slice
    /// reader, which also says where it ends. (The outer document is walked
    /// through [`Shared`], but serde_json's reader of an `io::Read` takes a
    /// byte per call, with a position update and a line count each: reading
    /// the messages that way made an export three times slower to read than
    /// JSON lines.)
    fn element(&self) -> Element<'_> {
        let s = &self.buf[self.at..self.end];
        // A number or word that runs to the end of the buffer may go on.
        let delimited = matches!(s.first(), Some(b'{' | b'[' | b'"'));
        let cut_short = |len: usize| len == s.len() && !delimited && !self.eof;
        let more = |e: &serde_json::Error| e.is_eof() && !self.eof;
        let mut it = serde_json::Deserializer::from_slice(s).into_iter::<Message>();
        match it.next() {
            Some(Ok(_)) if cut_short(it.byte_offset()) => Element::More,
            Some(Ok(m)) => Element::Message(m, it.byte_offset()),
            Some(Err(e)) if more(&e) => Element::More,
            Some(Err(e)) if e.is_data() => {
                // Of the wrong shape, but is it JSON, and where does it end?
                let mut it = serde_json::Deserializer::from_slice(s).into_iter::<IgnoredAny>();
                match it.next() {
                    Some(Ok(_)) if cut_short(it.byte_offset()) => Element::More,
                    Some(Ok(_)) => Element::Shape(e, it.byte_offset()),
                    Some(Err(b)) if more(&b) => Element::More,
                    Some(Err(b)) => Element::Broken(b),
                    None => Element::More,
                }
            }
            Some(Err(e)) => Element::Broken(e),
            None => Element::More,
        }
    }
}

/// What the element at [`Source::at`] is. (Nearly always a message, which
/// lives on the stack briefly: boxing it would cost an allocation each.)
#[allow(clippy::large_enum_variant)]
enum Element<'b> {
    /// A message, and its length.
    Message(Message<'b>, usize),
    /// JSON, but not a message: why, and its length.
    Shape(serde_json::Error, usize),
    /// Not JSON.
    Broken(serde_json::Error),
    /// It goes on past what is buffered (or is nothing, at the end).
    More,
}

/// The reader serde_json walks the outer document with.
struct Shared(Rc<RefCell<Source>>);

impl Read for Shared {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let mut s = self.0.borrow_mut();
        if out.is_empty() || (s.at == s.end && !s.more()?) {
            return Ok(0);
        }
        let n = out.len().min(s.end - s.at);
        out[..n].copy_from_slice(&s.buf[s.at..s.at + n]);
        s.take(n);
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
    src: Rc<RefCell<Source>>,
    named: HashSet<String>,
    media_dir: Option<std::path::PathBuf>,
    media: Arc<MediaStats>,
    skipped: Arc<std::sync::atomic::AtomicU64>,
    arrays: u64,
    /// The receiver went away: stop walking.
    closed: bool,
    /// Why the walk stopped inside a `messages` array.
    stop: Option<Stop>,
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

    /// One element of a `messages` array (its bytes, as far as it is
    /// known to go), which starts at `line`, `column` and `byte`: a post, a
    /// reject, or a [`Stop`] when it is not JSON (the document is broken:
    /// no reader can find where the next message begins).
    fn message(
        &mut self,
        chat: &Chat,
        el: Element,
        bytes: &[u8],
        line: u64,
        column: u64,
        byte: u64,
    ) -> Result<(), Stop> {
        // Where an error serde_json found inside the element is in the file.
        let at = |e: &serde_json::Error| {
            let l = e.line().max(1) as u64;
            let c = if l == 1 { column + e.column() as u64 } else { e.column() as u64 };
            Stop::Json { line: line + l - 1, column: c, what: what_is_wrong(e) }
        };
        let (m, len) = match el {
            Element::Message(m, len) => (Ok(m), len),
            Element::Shape(e, len) => (Err(e), len),
            Element::Broken(e) => return Err(at(&e)),
            Element::More => return Ok(()),
        };
        if len as u64 > MAX_MESSAGE_BYTES {
            return Err(Stop::TooLong { line, byte });
        }
        // serde_json's slice reader checks the strings it reads, not those
        // it skips.
        if let Err(e) = std::str::from_utf8(&bytes[..len]) {
            let before = &bytes[..e.valid_up_to()];
            let nl = memchr::memchr_iter(b'\n', before).count() as u64;
            let c = match memchr::memrchr(b'\n', before) {
                Some(k) => (before.len() - k) as u64,
                None => column + before.len() as u64 + 1,
            };
            return Err(Stop::Json { line: line + nl, column: c, what: "invalid unicode code point".into() });
        }
        let reject = |reason: String| Event::Reject(Reject { line, reason: format!("byte {byte}: {reason}") });
        let m = match m {
            Ok(m) => m,
            Err(e) => {
                self.push(reject(json_reason(&e)));
                return Ok(());
            }
        };
        if m.kind.as_deref() == Some("service") {
            self.skipped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Ok(());
        }
        match self.post(chat, &m, line) {
            Ok(p) => {
                if let Some(name) = &p.account_name
                    && !self.named.contains(&p.account)
                {
                    self.named.insert(p.account.clone());
                    let info = AccountInfo { account: p.account.clone(), name: Some(name.clone()), labels: Vec::new() };
                    self.push(Event::Account(info));
                }
                self.push(Event::Post(p));
            }
            Err(reason) => self.push(reject(reason)),
        }
        Ok(())
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
            Some(f) => (f.to_string(), m.from.as_deref().map(str::to_string)),
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
                p.media.push(path.to_string());
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

/// A string that borrows from the message's bytes unless it holds escapes
/// (serde's derive borrows a `Cow` only outside an `Option`).
struct Str<'a>(Cow<'a, str>);

impl std::ops::Deref for Str<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Str<'a>, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Str<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Str<'a>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Str<'a>, E> {
                Ok(Str(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Str<'a>, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
struct Message<'a> {
    id: Option<Id>,
    #[serde(rename = "type", borrow)]
    kind: Option<Str<'a>>,
    date_unixtime: Option<Id>,
    #[serde(borrow)]
    from: Option<Str<'a>>,
    #[serde(borrow)]
    from_id: Option<Str<'a>>,
    #[serde(default, deserialize_with = "present")]
    forwarded_from: Option<Option<String>>,
    #[serde(borrow)]
    forwarded_from_id: Option<Str<'a>>,
    #[serde(default, deserialize_with = "present")]
    saved_from: Option<Option<String>>,
    reply_to_message_id: Option<Id>,
    #[serde(borrow)]
    text: Option<&'a RawValue>,
    #[serde(borrow)]
    text_entities: Option<&'a RawValue>,
    #[serde(borrow)]
    photo: Option<Str<'a>>,
    #[serde(borrow)]
    file: Option<Str<'a>>,
    #[serde(borrow)]
    thumbnail: Option<Str<'a>>,
    #[serde(borrow)]
    mime_type: Option<Str<'a>>,
}

/// One part of a text array: a string, or an entity object. Read by hand
/// rather than as an untagged enum, which would buffer every part (and
/// build an error for each variant that does not fit) before choosing.
enum Part<'a> {
    Plain(Cow<'a, str>),
    Entity(Entity<'a>),
}

impl<'de: 'a, 'a> Deserialize<'de> for Part<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Part<'a>, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Part<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or an entity object")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Part<'a>, E> {
                Ok(Part::Plain(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Part<'a>, E> {
                Ok(Part::Plain(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Part<'a>, E> {
                Ok(Part::Plain(Cow::Owned(v)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Part<'a>, A::Error> {
                Entity::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Part::Entity)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
struct Entity<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Str<'a>>,
    #[serde(borrow)]
    text: Option<Str<'a>>,
    #[serde(borrow)]
    href: Option<Str<'a>>,
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
        // The text is shorter than its JSON (less, with entities given twice).
        t.text.reserve(s.len() / 2);
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

    /// serde_json has taken the `[`; the elements are read from the
    /// buffer under it (see [`Source::element`]), and the `]` is left to it.
    fn visit_seq<A: SeqAccess<'de>>(self, _seq: A) -> Result<(), A::Error> {
        self.walk.arrays += 1;
        let src = self.walk.src.clone();
        let mut first = true;
        while !self.walk.closed {
            let mut s = src.borrow_mut();
            let done = match s.next_element(first) {
                Ok(false) => break,
                Ok(true) => {
                    first = false;
                    let (line, column, byte) = (s.line(), s.column(), s.offset());
                    loop {
                        let el = s.element();
                        let len = match el {
                            Element::Message(_, len) | Element::Shape(_, len) => len,
                            Element::Broken(_) => 0,
                            Element::More => {
                                if (s.end - s.at) as u64 > MAX_MESSAGE_BYTES {
                                    break Err(Stop::TooLong { line, byte });
                                }
                                match s.more() {
                                    Ok(true) => continue,
                                    Ok(false) => break Err(s.json_error("EOF while parsing a list")),
                                    Err(e) => break Err(Stop::Io(e)),
                                }
                            }
                        };
                        let done = self.walk.message(self.chat, el, &s.buf[s.at..s.end], line, column, byte);
                        if done.is_ok() {
                            s.take(len);
                        }
                        break done;
                    }
                }
                Err(stop) => Err(stop),
            };
            if let Err(stop) = done {
                self.walk.stop = Some(stop);
                return Err(A::Error::custom("the messages stopped"));
            }
        }
        Ok(())
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

/// A stream dropped before its end stops its walker and waits for it: no
/// thread outlives the stream, holding the input and what it buffered
/// (fuzzing found the walker still running, its memory still held, after
/// the consumer had stopped at the first error).
impl Drop for Stream {
    fn drop(&mut self) {
        // Without a receiver the walker's next send fails and it stops
        // (within a batch of messages).
        let (_, closed) = sync_channel(0);
        drop(std::mem::replace(&mut self.rx, closed));
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

pub(crate) fn open(input: Box<dyn Read + Send>, ctx: &SourceContext) -> Result<EventStream, IngestError> {
    let mut src = Source::new(input, BUFFER);
    let head = src.head(64 * 1024).map_err(|e| crate::csvsrc::read_stopped(&ctx.display, 1, &e))?;
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
    start(src, ctx)
}

/// The walk of a document, on a thread of its own; the reader moves there
/// with what it buffered.
fn start(src: Source, ctx: &SourceContext) -> Result<EventStream, IngestError> {
    let (tx, rx) = sync_channel(IN_FLIGHT);
    let display = ctx.display.clone();
    let (media_dir, media, skipped) = (ctx.media_dir.clone(), ctx.media.clone(), ctx.skipped.clone());
    let worker = std::thread::Builder::new()
        .name("telegram-reader".into())
        .spawn(move || walk(src, tx, display, media_dir, media, skipped))
        .map_err(|e| IngestError::Io { file: ctx.display.clone(), source: e })?;
    Ok(Box::new(Stream { rx, current: Vec::new().into_iter(), worker: Some(worker), display: ctx.display.clone() }))
}

fn walk(
    src: Source,
    tx: SyncSender<Vec<Result<Event, IngestError>>>,
    display: String,
    media_dir: Option<std::path::PathBuf>,
    media: Arc<MediaStats>,
    skipped: Arc<std::sync::atomic::AtomicU64>,
) {
    let src = Rc::new(RefCell::new(src));
    let mut w = Walk {
        tx,
        batch: Vec::with_capacity(BATCH),
        src: src.clone(),
        named: HashSet::new(),
        media_dir,
        media,
        skipped,
        arrays: 0,
        closed: false,
        stop: None,
    };
    let mut de = serde_json::Deserializer::from_reader(Shared(src.clone()));
    let result = ChatMap { walk: &mut w, chat: Chat::default() }.deserialize(&mut de).and_then(|()| de.end());
    let broken = |line: u64, column: u64, what: &str| IngestError::Fatal {
        file: display.clone(),
        line,
        reason: format!("not a valid JSON document: {what} at line {line} column {column}"),
    };
    let err = match (w.stop.take(), result) {
        (Some(Stop::Io(e)), _) => Some(crate::csvsrc::read_stopped(&display, src.borrow().line(), &e)),
        (Some(Stop::Json { line, column, what }), _) => Some(broken(line, column, &what)),
        (Some(Stop::TooLong { line, byte }), _) => Some(IngestError::Fatal {
            file: display.clone(),
            line,
            reason: format!(
                "the message that starts at line {line}, byte {byte} is longer than a message may be ({MAX_MESSAGE_BYTES} bytes)"
            ),
        }),
        (None, Err(e)) if !w.closed => {
            // serde_json's own position misses the bytes the scanner took;
            // the source's is where serde_json stopped.
            let (line, column) = {
                let s = src.borrow();
                (s.line(), s.column())
            };
            Some(match e.io_error_kind() {
                Some(_) => crate::csvsrc::read_stopped(&display, line, &io::Error::from(e)),
                None => broken(line, column, &what_is_wrong(&e)),
            })
        }
        (None, Ok(())) if w.arrays == 0 => Some(IngestError::File {
            file: display.clone(),
            reason: "a Telegram export without a \"messages\" array".into(),
        }),
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

    #[test]
    fn a_stream_dropped_early_stops_and_joins_its_walker() {
        let messages: Vec<String> = (0..20_000)
            .map(|i| {
                format!(
                    r#"{{"id":{i},"type":"message","date_unixtime":"{}","from":"A","from_id":"user1","text":"m {i}"}}"#,
                    1_700_000_000 + i
                )
            })
            .collect();
        let doc = format!(r#"{{"name":"C","type":"private_group","id":7,"messages":[{}]}}"#, messages.join(","));
        let ctx = SourceContext::new("result.json", [1u8; 32]);
        let mut stream = open(Box::new(std::io::Cursor::new(doc.into_bytes())), &ctx).unwrap();
        assert!(stream.next().is_some());
        // The walker holds a clone of the context's counters while it runs.
        assert!(std::sync::Arc::strong_count(&ctx.media) > 1, "the walker is still going");
        drop(stream);
        assert_eq!(std::sync::Arc::strong_count(&ctx.media), 1, "the walker stopped and was joined with the stream");
    }

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

    /// The events of a document read with a buffer of `capacity` bytes
    /// (detection skipped), the error last.
    fn parse_with(data: &[u8], capacity: usize) -> Vec<Result<Event, String>> {
        let ctx = SourceContext::new("result.json", [1u8; 32]);
        let src = Source::new(Box::new(std::io::Cursor::new(data.to_vec())), capacity);
        start(src, &ctx).unwrap().map(|e| e.map_err(|e| e.to_string())).collect()
    }

    /// Messages with brackets, quotes, backslashes and line ends escaped in
    /// their strings, multi-byte text, a number and an array where a message
    /// should be, and a message of the wrong shape, pretty-printed like
    /// Telegram Desktop and in one line.
    fn tricky_doc(pretty: bool) -> String {
        let messages = [
            r#"{"id": 1, "type": "message", "date_unixtime": "1700000000", "from": "A \"q\" ]}", "from_id": "user1", "text": "a ] } [ { \" \\ \\\" \n end"}"#,
            r#"12345"#,
            r##"{"id": 2, "type": "message", "date_unixtime": "1700000001", "from_id": "user2", "text": ["Привет ", {"type": "hashtag", "text": "#Мир"}, " \\"]}"##,
            r#"[1, [2, {"x": "]"}]]"#,
            r#"{"id": 3, "type": "message", "date_unixtime": "soon", "from_id": "user3", "text": "x"}"#,
            r#"{"id": 4, "type": "service", "date_unixtime": "1700000003"}"#,
            r#"{"id": 5, "type": "message", "date_unixtime": 1700000004, "from_id": "user5", "text_entities": [{"type": "mention", "text": "@Bob\\"}], "text": "ignored"}"#,
            r#""a string""#,
            r#"{"id": 6, "type": "message", "date_unixtime": "1700000005", "from_id": "user6", "text": "\ud83d\ude00 last"}"#,
        ];
        let (sep, lead) = if pretty { (",\n  ", "\n  ") } else { (",", "") };
        format!(
            "{{\n \"name\": \"C [x]\",\n \"type\": \"private_group\",\n \"id\": 7,\n \"messages\": [{lead}{}\n ]\n}}\n",
            messages.join(sep)
        )
    }

    #[test]
    fn messages_split_anywhere_by_the_buffer_read_the_same() {
        for pretty in [true, false] {
            let doc = tricky_doc(pretty);
            let whole = parse_with(doc.as_bytes(), BUFFER);
            let ev: Vec<Event> = whole.iter().map(|e| e.clone().unwrap()).collect();
            let p = posts(&ev);
            assert_eq!(p.len(), 4, "{ev:?}");
            assert_eq!(p[0].text, "a ] } [ { \" \\ \\\" \n end");
            assert_eq!(p[0].account_name.as_deref(), Some("A \"q\" ]}"));
            assert_eq!((p[1].text.as_str(), p[1].hashtags.clone()), ("Привет #Мир \\", vec!["мир".to_string()]));
            assert_eq!(p[2].mentions, vec!["bob\\".to_string()]);
            assert_eq!(p[3].text, "\u{1F600} last");
            // The number, the array, the bad date and the string.
            let r = rejects(&ev);
            assert_eq!(r.len(), 4, "{r:?}");
            for (reject, start) in r.iter().zip(["12345", "[1, [2,", r#"{"id": 3"#, r#""a string""#]) {
                let at = doc.find(start).unwrap();
                let line = doc[..at].matches('\n').count() as u64 + 1;
                assert_eq!(reject.line, line, "{reject:?}");
                assert!(reject.reason.starts_with(&format!("byte {at}: ")), "{reject:?}");
            }
            for capacity in 1..200 {
                assert_eq!(parse_with(doc.as_bytes(), capacity), whole, "buffer of {capacity} bytes");
            }
        }
    }

    #[test]
    fn a_broken_message_stops_the_file_at_its_line() {
        let ok = r#"{"id":1,"type":"message","date_unixtime":"1700000000","from_id":"user1","text":"ok"}"#;
        let cases = [
            (format!("{{\"id\":1,\"messages\":[\n{ok},\n]}}"), (3, "trailing comma")),
            (format!("{{\"id\":1,\"messages\":[\n{ok}\n{ok}]}}"), (3, "expected `,` or `]`")),
            (format!("{{\"id\":1,\"messages\":[\n{ok},\n{{\"id\":2,\n\"text\":\"cut"), (4, "EOF while parsing")),
            (
                format!("{{\"id\":1,\"messages\":[\n{ok},\n{{\"id\":2,\n\"text\":\"a\nb\"}}]}}"),
                (4, "control character"),
            ),
            (format!("{{\"id\":1,\"messages\":[\n{ok},\n12x]}}"), (3, "trailing characters")),
            (format!("{{\"id\":1,\"messages\":[\n{ok},\n{ok}]\n,}}"), (4, "trailing comma at line 4 column 2")),
        ];
        for (doc, (line, what)) in cases {
            for capacity in [BUFFER, 7, 1] {
                let out = parse_with(doc.as_bytes(), capacity);
                assert!(matches!(out[0], Ok(Event::Post(_))), "{doc}: {out:?}");
                let last = out.last().unwrap().as_ref().unwrap_err();
                assert!(
                    last.starts_with(&format!("result.json: line {line}: ")) && last.contains(what),
                    "{doc} ({capacity}): {last}"
                );
            }
        }
        let mut bad = format!("{{\"id\":1,\n\"messages\":[\n{ok},\n{{\"id\":2,\"other\":\"é\"}}]}}").into_bytes();
        let e = bad.iter().position(|&b| b == 0xc3).unwrap();
        bad[e] = 0xff;
        for capacity in [BUFFER, 5] {
            let out = parse_with(&bad, capacity);
            let last = out.last().unwrap().as_ref().unwrap_err();
            assert!(last.starts_with("result.json: line 4: ") && last.contains("invalid unicode"), "{last}");
        }
    }

    #[test]
    fn a_message_past_the_bound_is_named_and_nothing_hostile_panics() {
        // A string that never ends, in a one-line export: stops at the
        // bound (having buffered twice the bound at most), not at the end.
        let doc = format!(
            "{{\"id\":1,\"messages\":[{{\"id\":1}},\n{{\"id\":2,\"text\":\"{}",
            "a\\\"[{".repeat(MAX_MESSAGE_BYTES as usize / 2)
        );
        let out = parse_with(doc.as_bytes(), BUFFER);
        let last = out.last().unwrap().as_ref().unwrap_err();
        let byte = doc.find("{\"id\":2").unwrap();
        assert!(
            last.starts_with("result.json: line 2: ")
                && last.contains(&format!("line 2, byte {byte} is longer than a message may be")),
            "{last}"
        );
        // Every prefix of a document, and every byte changed, with small
        // buffers: events or an error, never a panic or a hang.
        let doc = tricky_doc(false);
        let bytes = doc.as_bytes();
        for cut in 0..bytes.len() {
            parse_with(&bytes[..cut], 13);
        }
        for at in 0..bytes.len() {
            for b in [b'"', b'\\', b']', b'{', b',', 0xff] {
                let mut m = bytes.to_vec();
                m[at] = b;
                parse_with(&m, 11);
            }
        }
    }
}
