//! A per-case cache of the columns `PostTable::load` builds: the posts with
//! their accounts, repost targets and entities already interned to integers.
//!
//! Reading the posts tables (Parquet decoding, interning every account, URL
//! and hashtag, finding repeated ids) is most of a coordination run's time
//! on a case that has been analysed before; the interned columns are the
//! same every time until a source is added. They are kept in
//! `<case>/cache/coord/`, one file per column group (`base`, `urls`,
//! `domains`, `hashtags`, `mentions`, `images` (the perceptual hashes of
//! co-image), and the columns derived from texts,
//! `tweet_keys.<form>` and `tokens.<form>`, written the first time a run
//! needs them; not the texts, which would double the case's size on disk),
//! each headed by the key of the
//! posts files it was built from (their paths, sizes and modification
//! times) and the format version. A file with another key, or that cannot
//! be read whole, is ignored and rebuilt; the folder is derived data and may
//! be deleted at any time. Evidence and the catalog are never touched.
//!
//! Files are mapped, not read: integer arrays are stored little-endian and
//! 8-byte aligned, so they are used where they lie (see [`crate::column`])
//! and a run touches only the pages of the columns it reads.
//!
//! Why a hand-written format: the columns are plain integer arrays and
//! string lists; Arrow IPC would bring them back as Arrow arrays to be
//! copied into the table's columns again, which is the cost being avoided.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use leaktrace_model::PostKind;

use crate::column::{Column, Int};
use crate::table::{ImageColumn, Interner, ListColumn, NO_ID, Need, PostTable, TextForm, Tokens, TweetKeys};

/// The first bytes of every cache file.
pub const MAGIC: &[u8; 8] = b"LTCOORD\x01";
/// Bump when the layout of a group changes.
const FORMAT: u32 = 3;

/// The folder of a case's coordination cache.
pub fn dir(case_root: &Path) -> PathBuf {
    case_root.join("cache").join("coord")
}

/// What the cache is valid for: the posts files as they are now.
pub fn key(case_root: &Path, files: &[PathBuf]) -> Option<String> {
    let mut k = format!("format {FORMAT}");
    for f in files {
        let m = std::fs::metadata(f).ok()?;
        let mtime = m.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?.as_nanos();
        let rel = f.strip_prefix(case_root).unwrap_or(f);
        k.push_str(&format!("\n{} {} {mtime}", rel.display(), m.len()));
    }
    Some(k)
}

const LISTS: [&str; 4] = ["urls", "domains", "hashtags", "mentions"];

fn lists_of(need: Need) -> [bool; 4] {
    [need.urls, need.domains, need.hashtags, need.mentions]
}

fn list_mut(t: &mut PostTable, i: usize) -> &mut Option<ListColumn> {
    match i {
        0 => &mut t.urls,
        1 => &mut t.domains,
        2 => &mut t.hashtags,
        _ => &mut t.mentions,
    }
}

fn list_ref(t: &PostTable, i: usize) -> Option<&ListColumn> {
    [&t.urls, &t.domains, &t.hashtags, &t.mentions][i].as_ref()
}

fn form_name(f: TextForm) -> &'static str {
    match f {
        TextForm::Toolkit => "toolkit",
        TextForm::Own => "own",
    }
}

/// The table from the cache when the base group and every list group `need`
/// asks for are there and current; `None` otherwise. The derived groups
/// `need` asks for are read when they are there and current, else left
/// out (the caller computes them). Texts are never in it.
pub fn read(dir: &Path, key: &str, need: Need) -> Option<PostTable> {
    let mut t = PostTable::default();
    {
        let mut r = Reader::open(&dir.join("base"), key)?;
        t.id = r.i64s()?;
        t.account = r.u32s()?;
        t.time_ms = r.i64s()?;
        t.kind = r.bytes()?.into_iter().map(kind_of).collect::<Option<_>>()?;
        t.target_id = r.i64s()?;
        t.target_obj = r.u32s()?;
        t.first = r.bytes()?.into_iter().map(|b| b == 1).collect();
        t.accounts = r.interned()?;
        let names = r.strings()?;
        let known = r.bytes()?;
        t.account_names = names.into_iter().zip(known).map(|(n, k)| (k == 1).then_some(n)).collect();
        r.end()?;
    }
    let n = t.id.len();
    let lens = [t.account.len(), t.time_ms.len(), t.kind.len(), t.target_id.len(), t.target_obj.len(), t.first.len()];
    if lens.iter().any(|&l| l != n) || t.account_names.len() != t.accounts.len() {
        return None;
    }
    // Every id must name something, every range of a list must lie in it:
    // what follows indexes by them without checking.
    if t.account.iter().any(|&a| a as usize >= t.accounts.len()) {
        return None;
    }
    // A target's object id is below the number of rows (there are no more
    // distinct targets than rows).
    if t.target_obj.iter().any(|&o| o != NO_ID && o as usize >= n) {
        return None;
    }
    for (i, name) in LISTS.iter().enumerate() {
        if !lists_of(need)[i] {
            continue;
        }
        let mut r = Reader::open(&dir.join(name), key)?;
        let offsets = r.u64s()?;
        let values = r.u32s()?;
        let dict = r.interned()?;
        r.end()?;
        if !lists_ok(&offsets, &values, n) || values.iter().any(|&v| v as usize >= dict.len()) {
            return None;
        }
        *list_mut(&mut t, i) = Some(ListColumn::from_parts(offsets, values, dict));
    }
    if need.images {
        let mut r = Reader::open(&dir.join("images"), key)?;
        let offsets = r.u64s()?;
        let values = r.i64s()?;
        r.end()?;
        if !ranges_ok(&offsets, values.len(), n) {
            return None;
        }
        t.images = Some(ImageColumn::from_parts(offsets, values));
    }
    t.tweet_keys = need.tweet_keys.and_then(|f| read_tweet_keys(dir, key, f, n));
    t.tokens = need.tokens.and_then(|f| read_tokens(dir, key, f, n));
    Some(t)
}

/// Do `offsets` cut `values` into `n` lists: `n + 1` of them, from 0 to the
/// end of `values`, never decreasing?
fn lists_ok(offsets: &[u64], values: &[u32], n: usize) -> bool {
    ranges_ok(offsets, values.len(), n)
}

/// [`lists_ok`] for `values` values of any type.
fn ranges_ok(offsets: &[u64], values: usize, n: usize) -> bool {
    offsets.len() == n + 1
        && offsets[0] == 0
        && offsets.last().copied() == Some(values as u64)
        && offsets.windows(2).all(|w| w[0] <= w[1])
}

fn read_tweet_keys(dir: &Path, key: &str, form: TextForm, n: usize) -> Option<TweetKeys> {
    let mut r = Reader::open(&dir.join(format!("tweet_keys.{}", form_name(form))), key)?;
    let count = r.u64()?;
    let ids = r.u32s()?;
    r.end()?;
    let ok = ids.len() == n && count <= n as u64 && ids.iter().all(|&k| k == NO_ID || (k as u64) < count);
    ok.then_some(TweetKeys { form, ids, count: count as u32 })
}

fn read_tokens(dir: &Path, key: &str, form: TextForm, n: usize) -> Option<Tokens> {
    let mut r = Reader::open(&dir.join(format!("tokens.{}", form_name(form))), key)?;
    let vocab = r.u64()?;
    let offsets = r.u64s()?;
    let values = r.u32s()?;
    r.end()?;
    if !lists_ok(&offsets, &values, n) || vocab > values.len() as u64 {
        return None;
    }
    // Each set sorted and distinct (the similarity merge relies on it), every
    // id below the vocabulary's size.
    let sets_ok = offsets.windows(2).all(|w| {
        let set = &values[w[0] as usize..w[1] as usize];
        set.windows(2).all(|p| p[0] < p[1]) && set.last().is_none_or(|&v| (v as u64) < vocab)
    });
    sets_ok.then_some(Tokens { form, offsets, values, vocab: vocab as u32 })
}

/// Store the groups of `t` (those it has loaded): all of them, or with
/// `all` false only the columns derived from texts. Best effort: a case
/// folder that cannot be written to (read-only media) only loses the speed-up.
pub fn write(dir: &Path, key: &str, t: &PostTable, all: bool) {
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    if let Some(k) = &t.tweet_keys {
        let _ = write_group(dir, &format!("tweet_keys.{}", form_name(k.form)), key, |w| {
            w.len(k.count as usize)?;
            w.u32s(&k.ids)
        });
    }
    if let Some(k) = &t.tokens {
        let _ = write_group(dir, &format!("tokens.{}", form_name(k.form)), key, |w| {
            w.len(k.vocab as usize)?;
            w.u64s(&k.offsets)?;
            w.u32s(&k.values)
        });
    }
    if !all {
        return;
    }
    let _ = write_group(dir, "base", key, |w| {
        w.i64s(&t.id)?;
        w.u32s(&t.account)?;
        w.i64s(&t.time_ms)?;
        // Derived columns go out as they are computed, not collected first
        // (at tens of millions of posts each copy would be hundreds of MB).
        w.byte_items(t.kind.iter().map(|k| kind_code(*k)))?;
        w.i64s(&t.target_id)?;
        w.u32s(&t.target_obj)?;
        w.byte_items(t.first.iter().map(|&f| f as u8))?;
        w.interned(&t.accounts)?;
        w.strings(t.account_names.iter().map(|n| n.as_deref().unwrap_or("")))?;
        w.byte_items(t.account_names.iter().map(|n| n.is_some() as u8))
    });
    if let Some(col) = &t.images {
        let (offsets, values) = col.parts();
        let _ = write_group(dir, "images", key, |w| {
            w.u64s(offsets)?;
            w.i64s(values)
        });
    }
    for (i, name) in LISTS.iter().enumerate() {
        if let Some(col) = list_ref(t, i) {
            let (offsets, values, dict) = col.parts();
            let _ = write_group(dir, name, key, |w| {
                w.u64s(offsets)?;
                w.u32s(values)?;
                w.interned(dict)
            });
        }
    }
}

fn kind_code(k: PostKind) -> u8 {
    match k {
        PostKind::Post => 0,
        PostKind::Repost => 1,
        PostKind::Quote => 2,
        PostKind::Reply => 3,
    }
}

fn kind_of(b: u8) -> Option<PostKind> {
    Some(match b {
        0 => PostKind::Post,
        1 => PostKind::Repost,
        2 => PostKind::Quote,
        3 => PostKind::Reply,
        _ => return None,
    })
}

/// Write one group to a temporary file, then rename it into place, so a
/// reader sees the old file or the new one, never half of one.
fn write_group(
    dir: &Path,
    name: &str,
    key: &str,
    body: impl FnOnce(&mut Writer) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut w = Writer { w: BufWriter::with_capacity(1 << 20, File::create(&tmp)?), at: 0 };
        w.put(MAGIC)?;
        w.bytes(key.as_bytes())?;
        body(&mut w)?;
        w.w.into_inner().map_err(|e| e.into_error())?.sync_all()
    })();
    match result {
        Ok(()) => std::fs::rename(&tmp, dir.join(name)),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

struct Writer {
    w: BufWriter<File>,
    /// Bytes written so far.
    at: usize,
}

impl Writer {
    fn put(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.at += b.len();
        self.w.write_all(b)
    }

    fn len(&mut self, n: usize) -> std::io::Result<()> {
        self.put(&(n as u64).to_le_bytes())
    }

    /// A count, padding to 8 bytes, then each item's little-endian bytes
    /// (see [`Reader::ints`]).
    fn items<const W: usize>(&mut self, v: impl ExactSizeIterator<Item = [u8; W]>) -> std::io::Result<()> {
        self.len(v.len())?;
        self.put(&[0u8; 8][..pad(self.at)])?;
        v.into_iter().try_for_each(|x| self.put(&x))
    }

    fn byte_items(&mut self, v: impl ExactSizeIterator<Item = u8>) -> std::io::Result<()> {
        self.len(v.len())?;
        v.into_iter().try_for_each(|x| self.put(&[x]))
    }

    fn i64s(&mut self, v: &[i64]) -> std::io::Result<()> {
        self.items(v.iter().map(|x| x.to_le_bytes()))
    }

    fn u64s(&mut self, v: &[u64]) -> std::io::Result<()> {
        self.items(v.iter().map(|x| x.to_le_bytes()))
    }

    fn u32s(&mut self, v: &[u32]) -> std::io::Result<()> {
        self.items(v.iter().map(|x| x.to_le_bytes()))
    }

    fn bytes(&mut self, v: &[u8]) -> std::io::Result<()> {
        self.len(v.len())?;
        self.put(v)
    }

    /// An interner's strings: offsets, then their bytes (the layout of
    /// [`Writer::strings`]).
    fn interned(&mut self, i: &Interner) -> std::io::Result<()> {
        let (offsets, buf) = i.parts();
        self.u64s(offsets)?;
        self.bytes(buf.as_bytes())
    }

    /// Offsets, then the bytes of every string.
    fn strings<'a>(&mut self, v: impl Iterator<Item = &'a str> + Clone) -> std::io::Result<()> {
        let mut offsets = vec![0u64];
        for s in v.clone() {
            offsets.push(offsets.last().expect("non-empty") + s.len() as u64);
        }
        self.u64s(&offsets)?;
        self.len(*offsets.last().expect("non-empty") as usize)?;
        v.into_iter().try_for_each(|s| self.put(s.as_bytes()))
    }
}

/// Reads a group file from a read-only mapping of it.
struct Reader {
    map: Arc<memmap2::Mmap>,
    /// The next byte to read; no length read from the file may claim more
    /// than the bytes after it.
    at: usize,
}

/// Padding before an array of integers at byte `at`, so that it starts on
/// an 8-byte boundary (mappings start on a page boundary).
fn pad(at: usize) -> usize {
    (8 - at % 8) % 8
}

impl Reader {
    fn open(path: &Path, key: &str) -> Option<Reader> {
        let f = File::open(path).ok()?;
        if f.metadata().ok()?.len() < 16 {
            return None;
        }
        // SAFETY: the cache's files are written to a temporary name and
        // renamed into place, never changed in place; a mapped file that is
        // replaced or deleted stays as it was for this mapping. Only a process
        // writing into the file itself, which nothing here does, could
        // change the bytes under the reader.
        let map = Arc::new(unsafe { memmap2::Mmap::map(&f) }.ok()?);
        let mut r = Reader { map, at: 0 };
        let magic = r.take(8)?;
        (magic == MAGIC && r.bytes_ref()? == key.as_bytes()).then_some(r)
    }

    fn left(&self) -> usize {
        self.map.len() - self.at
    }

    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if n > self.left() {
            return None;
        }
        self.at += n;
        Some(&self.map[self.at - n..self.at])
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    /// A count of `width`-byte items that the rest of the file can hold.
    fn count(&mut self, width: usize) -> Option<usize> {
        let n = usize::try_from(self.u64()?).ok()?;
        (n.checked_mul(width)? <= self.left()).then_some(n)
    }

    /// A count, padding to 8 bytes, then that many little-endian integers:
    /// used where they lie in the mapping (decoded into a vector on a
    /// big-endian machine).
    fn ints<T: Int>(&mut self, from_le: fn(T) -> T) -> Option<Column<T>> {
        let n = self.count(size_of::<T>())?;
        self.take(pad(self.at))?;
        let at = self.at;
        self.take(n * size_of::<T>())?;
        let col = Column::mapped(&self.map, at, n)?;
        if cfg!(target_endian = "big") {
            return Some(col.iter().map(|&x| from_le(x)).collect::<Vec<T>>().into());
        }
        Some(col)
    }

    fn i64s(&mut self) -> Option<Column<i64>> {
        self.ints(i64::from_le)
    }

    fn u64s(&mut self) -> Option<Column<u64>> {
        self.ints(u64::from_le)
    }

    fn u32s(&mut self) -> Option<Column<u32>> {
        self.ints(u32::from_le)
    }

    fn bytes_ref(&mut self) -> Option<&[u8]> {
        let n = self.count(1)?;
        self.take(n)
    }

    fn bytes(&mut self) -> Option<Vec<u8>> {
        self.bytes_ref().map(<[u8]>::to_vec)
    }

    /// Strings as [`Writer::interned`] writes them.
    fn interned(&mut self) -> Option<Interner> {
        let offsets = self.u64s()?.to_vec();
        let bytes = self.bytes()?;
        Interner::from_parts(offsets, String::from_utf8(bytes).ok()?)
    }

    fn strings(&mut self) -> Option<Vec<String>> {
        let offsets = self.u64s()?;
        let data = self.bytes_ref()?;
        if offsets.first() != Some(&0) || offsets.last().copied() != Some(data.len() as u64) {
            return None;
        }
        offsets
            .windows(2)
            .map(|w| {
                let bytes = data.get(w[0] as usize..w[1] as usize)?;
                std::str::from_utf8(bytes).ok().map(str::to_string)
            })
            .collect()
    }

    /// The whole file was read.
    fn end(self) -> Option<()> {
        (self.left() == 0).then_some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leaktrace_model::Post;

    fn posts() -> Vec<Post> {
        let mut out = Vec::new();
        for i in 0..50i64 {
            // Some ids repeat.
            let mut p = Post::new(100 + i % 45, format!("acct{}", i % 7), 1_000_000 + i * 1_000, format!("text {i} é"));
            if i % 3 == 0 {
                p.kind = PostKind::Repost;
                p.target_post = Some(7 + i % 4);
            }
            if i % 2 == 0 {
                p.urls = vec![format!("https://example.org/{}", i % 5)];
                p.hashtags = vec!["a".into(), format!("h{}", i % 3)];
            }
            if i % 5 == 0 {
                p.account_name = Some(format!("Name {}", i % 7));
            }
            if i % 4 == 1 {
                p.image_hashes = vec![i * 0x0101_0101, -i];
            }
            out.push(p);
        }
        out
    }

    fn same(a: &PostTable, b: &PostTable, need: Need) {
        assert_eq!(a.id, b.id);
        assert_eq!(a.account, b.account);
        assert_eq!(a.time_ms, b.time_ms);
        assert_eq!(a.kind, b.kind);
        assert_eq!(a.target_id, b.target_id);
        assert_eq!(a.target_obj, b.target_obj);
        assert_eq!(a.first, b.first);
        assert!(a.accounts.names().eq(b.accounts.names()));
        assert_eq!(a.account_names, b.account_names);
        for row in 0..a.len() {
            if need.text {
                assert_eq!(a.text(row), b.text(row));
            }
            for (i, list) in LISTS.iter().enumerate().filter(|(i, _)| lists_of(need)[*i]) {
                let (x, y) = (list_ref(a, i).unwrap(), list_ref(b, i).unwrap());
                let names =
                    |c: &ListColumn| c.of(row).iter().map(|&v| c.dict.name(v as usize).to_string()).collect::<Vec<_>>();
                assert_eq!(names(x), names(y), "{list} of row {row}");
            }
        }
        // Interned ids still resolve after a round trip.
        for (i, n) in a.accounts.names().enumerate() {
            assert_eq!(b.accounts.get(n), Some(i as u32));
        }
    }

    #[test]
    fn string_offsets_outside_their_bytes_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        write_group(tmp.path(), "s", "k", |w| {
            w.u64s(&[0, 100, 5])?;
            w.bytes(b"abcde")
        })
        .unwrap();
        let mut r = Reader::open(&tmp.path().join("s"), "k").unwrap();
        assert!(r.strings().is_none());
    }

    #[test]
    fn round_trip_keeps_every_column() {
        let tmp = tempfile::tempdir().unwrap();
        let t = PostTable::from_posts(&posts());
        let need = Need {
            text: true,
            urls: true,
            domains: true,
            hashtags: true,
            mentions: true,
            images: true,
            ..Need::default()
        };
        write(tmp.path(), "k1", &t, true);
        let back = read(tmp.path(), "k1", need).expect("cached");
        same(&t, &back, Need { text: false, ..need });
        let (a, b) = (t.images.as_ref().unwrap(), back.images.as_ref().unwrap());
        assert!((0..t.len()).all(|r| a.of(r) == b.of(r)) && (0..t.len()).any(|r| a.of(r).len() == 2));
        assert!(!back.has_text(), "texts are not cached");
        // Fewer groups asked: only those are read.
        let base = read(tmp.path(), "k1", Need::default()).expect("cached");
        same(&t, &base, Need::default());
        assert!(base.urls.is_none() && !base.has_text());
    }

    #[test]
    fn derived_groups_round_trip_by_form_and_are_written_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let mut t = PostTable::from_posts(&posts());
        let own = Need { tweet_keys: Some(TextForm::Own), tokens: Some(TextForm::Own), ..Need::default() };
        t.derive(own).unwrap();
        write(tmp.path(), "k1", &t, true);
        let back = read(tmp.path(), "k1", own).expect("cached");
        assert_eq!(back.tweet_keys, t.tweet_keys);
        assert_eq!(back.tokens, t.tokens);
        // Reposts take no part; other rows have a key and tokens.
        let keys = back.tweet_keys.as_ref().unwrap();
        for row in 0..t.len() {
            let repost = t.kind[row] == PostKind::Repost;
            assert_eq!(keys.ids[row] == NO_ID, repost, "row {row}");
            assert_eq!(back.tokens.as_ref().unwrap().of(row).is_empty(), repost, "row {row}");
        }
        // The other form is not there: the base is, its derived columns are not.
        let toolkit = Need { tweet_keys: Some(TextForm::Toolkit), ..Need::default() };
        let other = read(tmp.path(), "k1", toolkit).expect("base cached");
        assert!(other.tweet_keys.is_none());
        // Written alone, next to the other form's.
        t.derive(toolkit).unwrap();
        std::fs::remove_file(tmp.path().join("base")).unwrap();
        write(tmp.path(), "k1", &t, false);
        assert!(!tmp.path().join("base").exists(), "only derived groups written");
        assert!(tmp.path().join("tweet_keys.toolkit").exists() && tmp.path().join("tweet_keys.own").exists());
    }

    #[test]
    fn damaged_derived_groups_are_left_out() {
        let tmp = tempfile::tempdir().unwrap();
        let mut t = PostTable::from_posts(&posts());
        let own = Need { tweet_keys: Some(TextForm::Own), tokens: Some(TextForm::Own), ..Need::default() };
        t.derive(own).unwrap();
        let (keys, toks) = (t.tweet_keys.clone().unwrap(), t.tokens.clone().unwrap());
        let check = |t: &PostTable, what: &str| {
            write(tmp.path(), "k1", t, true);
            let back = read(tmp.path(), "k1", own).expect("base cached");
            assert!(back.tweet_keys.is_none() || back.tokens.is_none(), "{what}");
        };
        // A key id past the number of keys.
        t.tweet_keys.as_mut().unwrap().ids[1] = keys.count;
        check(&t, "key id out of range");
        t.tweet_keys = Some(keys);
        // A token set out of order, a token id past the vocabulary.
        let row = (0..t.len()).find(|&r| toks.of(r).len() >= 2).unwrap();
        let at = toks.offsets[row] as usize;
        let mut bad = toks.clone();
        bad.values.swap(at, at + 1);
        t.tokens = Some(bad);
        check(&t, "unsorted token set");
        let mut bad = toks.clone();
        bad.values[at + 1] = toks.vocab;
        t.tokens = Some(bad);
        check(&t, "token id out of range");
        // Truncated.
        t.tokens = Some(toks);
        write(tmp.path(), "k1", &t, true);
        let f = tmp.path().join("tokens.own");
        let bytes = std::fs::read(&f).unwrap();
        std::fs::write(&f, &bytes[..bytes.len() - 3]).unwrap();
        assert!(read(tmp.path(), "k1", own).unwrap().tokens.is_none(), "truncated");
    }

    #[test]
    fn another_key_a_missing_group_or_a_damaged_file_is_a_miss() {
        let tmp = tempfile::tempdir().unwrap();
        let mut t = PostTable::from_posts(&posts());
        (t.domains, t.hashtags, t.mentions) = (None, None, None);
        let need = Need { urls: true, ..Need::default() };
        write(tmp.path(), "k1", &t, true);
        assert!(read(tmp.path(), "k2", need).is_none(), "another set of posts files");
        assert!(read(tmp.path(), "k1", Need { hashtags: true, ..need }).is_none(), "group never written");
        let base = tmp.path().join("base");
        let bytes = std::fs::read(&base).unwrap();
        for cut in [bytes.len() - 1, bytes.len() / 2, 9] {
            std::fs::write(&base, &bytes[..cut]).unwrap();
            assert!(read(tmp.path(), "k1", need).is_none(), "truncated to {cut} bytes");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        std::fs::write(&base, &longer).unwrap();
        assert!(read(tmp.path(), "k1", need).is_none(), "trailing bytes");
        // Well-formed but inconsistent: an account id naming no account.
        let mut bad = t.account.clone();
        bad[3] = t.accounts.len() as u32;
        let mut v = PostTable::from_posts(&posts());
        v.target_obj[0] = v.len() as u32;
        write(&tmp.path().join("v"), "k4", &v, true);
        assert!(read(&tmp.path().join("v"), "k4", Need::default()).is_none(), "target object id out of range");
        let mut u = PostTable::from_posts(&posts());
        (u.domains, u.hashtags, u.mentions) = (None, None, None);
        u.account = bad;
        let other = tmp.path().join("other");
        write(&other, "k3", &u, true);
        assert!(read(&other, "k3", need).is_none(), "account id out of range");
        // A count claiming more than the file holds is refused before allocating.
        let mut huge = bytes.clone();
        let at = 8 + 8 + "k1".len();
        huge[at..at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        std::fs::write(&base, &huge).unwrap();
        assert!(read(tmp.path(), "k1", need).is_none(), "impossible count");
        std::fs::write(&base, &bytes).unwrap();
        assert!(read(tmp.path(), "k1", need).is_some(), "restored");
    }
}
