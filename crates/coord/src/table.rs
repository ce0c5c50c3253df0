//! The posts of a case as the co-action engine needs them: columns of
//! integers (accounts and entities interned), and which optional columns a
//! run asks for.
//!
//! Types and their accessors only. Building a table (from the posts tables,
//! from memory, the columns derived from texts) is the loader's (`posts`);
//! storing one is the cache's (`cache`). This module imports neither, so
//! that both can import it.

use leaktrace_model::PostKind;

use crate::column::Column;

/// Which optional columns to load.
#[derive(Clone, Copy, Debug, Default)]
pub struct Need {
    pub text: bool,
    pub urls: bool,
    pub domains: bool,
    pub hashtags: bool,
    pub mentions: bool,
    /// The perceptual hashes of the posts' images.
    pub images: bool,
    /// Co-tweet keys of the texts, in this form.
    pub tweet_keys: Option<TextForm>,
    /// Token sets of the texts, in this form.
    pub tokens: Option<TextForm>,
}

/// Which normalisation the columns derived from texts follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextForm {
    /// The QUT toolkit's ([`crate::text::qut_tweet_key`], [`crate::text::qut_tokens`]).
    Toolkit,
    /// leaktrace's own ([`crate::text::tweet_key`], [`crate::text::tokens`]).
    Own,
}

/// The id of nothing, in the id columns below.
pub const NO_ID: u32 = u32::MAX;

/// The co-tweet key of every row, interned: `ids[row]` is the key's id, or
/// [`NO_ID`] for a row that takes no part (a repost, or in leaktrace's form
/// a text with nothing left after normalisation). Two rows have the same id
/// exactly when their normalised texts are equal.
#[derive(Debug, Clone, PartialEq)]
pub struct TweetKeys {
    pub form: TextForm,
    pub ids: Column<u32>,
    /// Number of distinct keys; every id is below it.
    pub count: u32,
}

/// The token set of every row as sorted, distinct token ids (empty for a
/// row that takes no part). Only ids are kept: the Jaccard similarity of
/// two sets needs nothing else.
#[derive(Debug, Clone, PartialEq)]
pub struct Tokens {
    pub form: TextForm,
    pub(crate) offsets: Column<u64>,
    pub(crate) values: Column<u32>,
    /// Number of distinct tokens; every id is below it.
    pub vocab: u32,
}

impl Tokens {
    pub fn of(&self, row: usize) -> &[u32] {
        &self.values[self.offsets[row] as usize..self.offsets[row + 1] as usize]
    }
}

/// Strings interned to dense `u32` ids. The strings are held once, end to
/// end in one buffer (no allocation per string); the table holds only ids.
/// An interner read back from the cache builds its table only if it is
/// asked for a string's id: most runs only look names up by id.
#[derive(Default, Debug)]
pub struct Interner {
    table: std::sync::OnceLock<hashbrown::HashTable<u32>>,
    /// Where each string starts in `buf`, and one past the last; empty when
    /// there are none.
    offsets: Vec<u64>,
    buf: String,
}

fn str_hash(s: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(s)
}

impl Interner {
    fn table(&self) -> hashbrown::HashTable<u32> {
        let mut table = hashbrown::HashTable::with_capacity(self.len());
        for i in 0..self.len() {
            table.insert_unique(str_hash(self.name(i)), i as u32, |&j| str_hash(self.name(j as usize)));
        }
        table
    }

    pub fn id(&mut self, s: &str) -> u32 {
        if self.table.get().is_none() {
            let t = self.table();
            let _ = self.table.set(t);
        }
        let Interner { table, offsets, buf } = self;
        let name = |i: u32| &buf[offsets[i as usize] as usize..offsets[i as usize + 1] as usize];
        let table = table.get_mut().expect("initialised");
        match table.entry(str_hash(s), |&i| name(i) == s, |&i| str_hash(name(i))) {
            hashbrown::hash_table::Entry::Occupied(e) => *e.get(),
            hashbrown::hash_table::Entry::Vacant(v) => {
                let i = offsets.len().saturating_sub(1) as u32;
                v.insert(i);
                if offsets.is_empty() {
                    offsets.push(0);
                }
                buf.push_str(s);
                offsets.push(buf.len() as u64);
                i
            }
        }
    }

    /// An interner of distinct strings laid end to end in `buf`, the `i`th
    /// at `offsets[i]..offsets[i + 1]`; `None` unless the offsets start at
    /// 0, never decrease, end at the buffer's end and fall on character
    /// boundaries.
    pub fn from_parts(offsets: Vec<u64>, buf: String) -> Option<Interner> {
        let ok = offsets.first() == Some(&0)
            && offsets.last() == Some(&(buf.len() as u64))
            && offsets.windows(2).all(|w| w[0] <= w[1])
            && offsets.iter().all(|&o| buf.is_char_boundary(o as usize));
        ok.then(|| Interner { table: std::sync::OnceLock::new(), offsets, buf })
    }

    /// The offsets and buffer [`Interner::from_parts`] takes back.
    pub fn parts(&self) -> (&[u64], &str) {
        (if self.offsets.is_empty() { &[0] } else { &self.offsets }, &self.buf)
    }

    /// The `i`th string.
    pub fn name(&self, i: usize) -> &str {
        &self.buf[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    /// Every string, by id.
    pub fn names(&self) -> impl Iterator<Item = &str> + Clone {
        (0..self.len()).map(|i| self.name(i))
    }

    pub fn get(&self, s: &str) -> Option<u32> {
        let table = self.table.get_or_init(|| self.table());
        table.find(str_hash(s), |&i| self.name(i as usize) == s).copied()
    }

    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A list column (urls, hashtags, …) with interned values.
#[derive(Default, Debug)]
pub struct ListColumn {
    pub(crate) offsets: Column<u64>,
    pub(crate) values: Column<u32>,
    pub dict: Interner,
}

impl ListColumn {
    pub(crate) fn new() -> ListColumn {
        ListColumn { offsets: vec![0].into(), values: Column::default(), dict: Interner::default() }
    }

    pub(crate) fn from_parts(offsets: Column<u64>, values: Column<u32>, dict: Interner) -> ListColumn {
        ListColumn { offsets, values, dict }
    }

    pub(crate) fn parts(&self) -> (&[u64], &[u32], &Interner) {
        (&self.offsets, &self.values, &self.dict)
    }

    pub fn of(&self, row: usize) -> &[u32] {
        &self.values[self.offsets[row] as usize..self.offsets[row + 1] as usize]
    }
}

/// The perceptual hashes of every row's images (distinct per row; empty
/// for a row without images).
#[derive(Default, Debug)]
pub struct ImageColumn {
    pub(crate) offsets: Column<u64>,
    pub(crate) values: Column<i64>,
}

impl ImageColumn {
    pub(crate) fn new() -> ImageColumn {
        ImageColumn { offsets: vec![0].into(), values: Column::default() }
    }

    pub(crate) fn from_parts(offsets: Column<u64>, values: Column<i64>) -> ImageColumn {
        ImageColumn { offsets, values }
    }

    pub(crate) fn parts(&self) -> (&[u64], &[i64]) {
        (&self.offsets, &self.values)
    }

    /// Add a row's hashes, each once.
    pub(crate) fn push_row(&mut self, hashes: impl IntoIterator<Item = i64>) {
        let start = self.values.len();
        for h in hashes {
            if !self.values[start..].contains(&h) {
                self.values.push(h);
            }
        }
        self.offsets.push(self.values.len() as u64);
    }

    pub fn of(&self, row: usize) -> &[i64] {
        &self.values[self.offsets[row] as usize..self.offsets[row + 1] as usize]
    }
}

/// The posts of a case, one entry per row in case order (source order, then
/// row order). Rows that repeat an earlier row's id are kept, flagged in
/// `first`, because the QUT toolkit still reads their URLs.
#[derive(Default, Debug)]
pub struct PostTable {
    pub accounts: Interner,
    /// Display handle of each account (the first one seen), when known.
    pub account_names: Vec<Option<String>>,
    pub id: Column<i64>,
    pub account: Column<u32>,
    pub time_ms: Column<i64>,
    pub kind: Vec<PostKind>,
    /// The post a repost, quote or reply points at (0 when none; see
    /// [`PostTable::target`]).
    pub target_id: Column<i64>,
    /// The target as a dense id among the distinct targets ([`NO_ID`]: none).
    pub target_obj: Column<u32>,
    /// False for a row whose id an earlier row already had.
    pub first: Vec<bool>,
    /// Where each row's text starts in `text_buf`, and one past the last;
    /// empty when texts were not loaded.
    pub(crate) text_offsets: Vec<u64>,
    pub(crate) text_buf: String,
    pub urls: Option<ListColumn>,
    pub domains: Option<ListColumn>,
    pub hashtags: Option<ListColumn>,
    pub mentions: Option<ListColumn>,
    pub images: Option<ImageColumn>,
    pub tweet_keys: Option<TweetKeys>,
    pub tokens: Option<Tokens>,
}

impl PostTable {
    pub fn len(&self) -> usize {
        self.id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }

    /// The post the row points at, if any.
    pub fn target(&self, row: usize) -> Option<i64> {
        (self.target_obj[row] != NO_ID).then(|| self.target_id[row])
    }

    /// The text of a row (empty when texts were not loaded).
    pub fn text(&self, row: usize) -> &str {
        if self.text_offsets.len() <= row + 1 {
            return "";
        }
        &self.text_buf[self.text_offsets[row] as usize..self.text_offsets[row + 1] as usize]
    }

    pub(crate) fn set_text(&mut self, offsets: Vec<u64>, buf: String) {
        self.text_offsets = offsets;
        self.text_buf = buf;
    }

    /// Were texts loaded?
    pub fn has_text(&self) -> bool {
        !self.text_offsets.is_empty()
    }

    /// Are derived columns `need` asks for missing (or in another form)?
    pub(crate) fn missing(&self, need: Need) -> bool {
        need.tweet_keys.is_some_and(|f| self.tweet_keys.as_ref().is_none_or(|k| k.form != f))
            || need.tokens.is_some_and(|f| self.tokens.as_ref().is_none_or(|k| k.form != f))
    }

    /// Is the row a plain rebroadcast? The toolkit sees a `repost_id` only
    /// for reposts whose target is known (see [`crate::qut::input_row`]).
    pub fn is_repost(&self, row: usize, form: TextForm) -> bool {
        self.kind[row] == PostKind::Repost && (form == TextForm::Own || self.target_obj[row] != NO_ID)
    }
}
