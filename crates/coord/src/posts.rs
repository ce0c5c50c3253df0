//! The posts of a case as the co-action engine needs them: columns of
//! integers (accounts and entities interned), loaded once, only the
//! columns a run uses.

use arrow_array::{Array, Int64Array, ListArray, RecordBatch, StringArray, TimestampMillisecondArray};
use leaktrace_model::PostKind;
use leaktrace_store::{Case, posts};
use rustc_hash::FxHashSet;

use crate::{CoordError, Result, cache};

/// Which optional columns to load.
#[derive(Clone, Copy, Debug, Default)]
pub struct Need {
    pub text: bool,
    pub urls: bool,
    pub domains: bool,
    pub hashtags: bool,
    pub mentions: bool,
}

/// Strings interned to dense `u32` ids. Each string is held once, in
/// `names`; the table holds only ids (a map keyed by `String` would hold a
/// second copy and allocate twice per new string).
#[derive(Default, Debug)]
pub struct Interner {
    table: hashbrown::HashTable<u32>,
    pub names: Vec<String>,
}

fn str_hash(s: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(s)
}

impl Interner {
    pub fn id(&mut self, s: &str) -> u32 {
        let names = &self.names;
        let entry = self.table.entry(str_hash(s), |&i| names[i as usize] == s, |&i| str_hash(&names[i as usize]));
        match entry {
            hashbrown::hash_table::Entry::Occupied(e) => *e.get(),
            hashbrown::hash_table::Entry::Vacant(v) => {
                let i = names.len() as u32;
                v.insert(i);
                self.names.push(s.to_string());
                i
            }
        }
    }

    /// An interner holding `names`, each at its index (names are distinct).
    pub fn from_names(names: Vec<String>) -> Interner {
        let mut table = hashbrown::HashTable::with_capacity(names.len());
        for (i, n) in names.iter().enumerate() {
            table.insert_unique(str_hash(n), i as u32, |&j| str_hash(&names[j as usize]));
        }
        Interner { table, names }
    }

    pub fn get(&self, s: &str) -> Option<u32> {
        self.table.find(str_hash(s), |&i| self.names[i as usize] == s).copied()
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// A list column (urls, hashtags, …) with interned values.
#[derive(Default, Debug)]
pub struct ListColumn {
    offsets: Vec<u64>,
    values: Vec<u32>,
    pub dict: Interner,
}

impl ListColumn {
    fn new() -> ListColumn {
        ListColumn { offsets: vec![0], values: Vec::new(), dict: Interner::default() }
    }

    pub(crate) fn from_parts(offsets: Vec<u64>, values: Vec<u32>, dict: Interner) -> ListColumn {
        ListColumn { offsets, values, dict }
    }

    pub(crate) fn parts(&self) -> (&[u64], &[u32], &Interner) {
        (&self.offsets, &self.values, &self.dict)
    }

    pub fn of(&self, row: usize) -> &[u32] {
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
    pub id: Vec<i64>,
    pub account: Vec<u32>,
    pub time_ms: Vec<i64>,
    pub kind: Vec<PostKind>,
    pub target: Vec<Option<i64>>,
    /// False for a row whose id an earlier row already had.
    pub first: Vec<bool>,
    text_offsets: Vec<u64>,
    text_buf: String,
    pub urls: Option<ListColumn>,
    pub domains: Option<ListColumn>,
    pub hashtags: Option<ListColumn>,
    pub mentions: Option<ListColumn>,
}

fn column<'a, T: 'static>(b: &'a RecordBatch, name: &str) -> Result<&'a T> {
    b.column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<T>())
        .ok_or_else(|| CoordError::Input(format!("posts table: column {name} missing or of another type")))
}

/// Append row `i` of a list column. Reads the list's offsets and values
/// directly: `ListArray::value` would allocate an array per row.
fn push_list(col: &mut ListColumn, list: &ListArray, values: Option<&StringArray>, i: usize) {
    if let Some(s) = values
        && list.is_valid(i)
    {
        let offs = list.value_offsets();
        for j in offs[i] as usize..offs[i + 1] as usize {
            if s.is_valid(j) {
                let id = col.dict.id(s.value(j));
                col.values.push(id);
            }
        }
    }
    col.offsets.push(col.values.len() as u64);
}

impl PostTable {
    pub fn len(&self) -> usize {
        self.id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
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

    /// Load the posts of every complete source of the case: from the
    /// case's coordination cache when it holds these posts files (see
    /// [`crate::cache`]), else from the posts tables, then caching them.
    pub fn load(case: &Case, need: Need) -> Result<PostTable> {
        let files = case.post_files()?;
        let dir = cache::dir(case.root());
        let key = cache::key(case.root(), &files);
        if let Some(key) = &key
            && let Some(mut t) = cache::read(&dir, key, Need { text: false, ..need })
        {
            // Texts are not cached (they would double the case's size on
            // disk); they are read alone, row for row.
            if !need.text || t.load_text(&files)? {
                return Ok(t);
            }
        }
        let t = Self::load_tables(case, &files, need)?;
        if let Some(key) = &key {
            cache::write(&dir, key, &t);
        }
        Ok(t)
    }

    /// Add the text column, in row order; false when the posts tables do
    /// not have as many rows as the table.
    fn load_text(&mut self, files: &[std::path::PathBuf]) -> Result<bool> {
        let (mut offsets, mut buf) = (Vec::with_capacity(self.len() + 1), String::new());
        offsets.push(0u64);
        for f in files {
            for b in posts::stream_batches(f, Some(&["text"]))? {
                let b = b?;
                let text = column::<StringArray>(&b, "text")?;
                for i in 0..b.num_rows() {
                    if text.is_valid(i) {
                        buf.push_str(text.value(i));
                    }
                    offsets.push(buf.len() as u64);
                }
            }
        }
        if offsets.len() != self.len() + 1 {
            return Ok(false);
        }
        self.set_text(offsets, buf);
        Ok(true)
    }

    /// Load from the posts tables themselves.
    pub fn load_tables(case: &Case, files: &[std::path::PathBuf], need: Need) -> Result<PostTable> {
        let mut cols = vec!["id", "account", "account_name", "time", "kind", "target_post"];
        let lists: [(bool, &str); 4] =
            [(need.urls, "urls"), (need.domains, "domains"), (need.hashtags, "hashtags"), (need.mentions, "mentions")];
        if need.text {
            cols.push("text");
        }
        for (want, name) in lists {
            if want {
                cols.push(name);
            }
        }
        let mut t = PostTable {
            text_offsets: if need.text { vec![0] } else { Vec::new() },
            urls: need.urls.then(ListColumn::new),
            domains: need.domains.then(ListColumn::new),
            hashtags: need.hashtags.then(ListColumn::new),
            mentions: need.mentions.then(ListColumn::new),
            ..Default::default()
        };
        let rows = case.summary()?.posts as usize;
        t.id.reserve_exact(rows);
        t.first.reserve_exact(rows);
        t.account.reserve_exact(rows);
        t.time_ms.reserve_exact(rows);
        t.kind.reserve_exact(rows);
        t.target.reserve_exact(rows);
        let mut seen: FxHashSet<i64> = FxHashSet::with_capacity_and_hasher(rows, Default::default());
        // Batch by batch: the Arrow copy of the data stays one batch deep.
        for f in files {
            for b in posts::stream_batches(f, Some(&cols))? {
                t.push_batch(&b?, need, &mut seen)?;
            }
        }
        Ok(t)
    }

    fn push_batch(&mut self, b: &RecordBatch, need: Need, seen: &mut FxHashSet<i64>) -> Result<()> {
        let id = column::<Int64Array>(b, "id")?;
        let account = column::<StringArray>(b, "account")?;
        let account_name = column::<StringArray>(b, "account_name")?;
        let time = column::<TimestampMillisecondArray>(b, "time")?;
        let kind = column::<StringArray>(b, "kind")?;
        let target = column::<Int64Array>(b, "target_post")?;
        let text = if need.text { Some(column::<StringArray>(b, "text")?) } else { None };
        let list = |want: bool, name: &str| -> Result<Option<(&ListArray, Option<&StringArray>)>> {
            if !want {
                return Ok(None);
            }
            let l = column::<ListArray>(b, name)?;
            Ok(Some((l, l.values().as_any().downcast_ref::<StringArray>())))
        };
        let urls = list(need.urls, "urls")?;
        let domains = list(need.domains, "domains")?;
        let hashtags = list(need.hashtags, "hashtags")?;
        let mentions = list(need.mentions, "mentions")?;
        for i in 0..b.num_rows() {
            let a = self.accounts.id(account.value(i));
            if a as usize == self.account_names.len() {
                self.account_names.push(account_name.is_valid(i).then(|| account_name.value(i).to_string()));
            }
            let pid = id.value(i);
            self.id.push(pid);
            self.first.push(seen.insert(pid));
            self.account.push(a);
            self.time_ms.push(time.value(i));
            self.kind.push(PostKind::parse(kind.value(i)).unwrap_or(PostKind::Post));
            self.target.push(target.is_valid(i).then(|| target.value(i)));
            if let Some(text) = text {
                if text.is_valid(i) {
                    self.text_buf.push_str(text.value(i));
                }
                self.text_offsets.push(self.text_buf.len() as u64);
            }
            for (col, arr) in [
                (&mut self.urls, urls),
                (&mut self.domains, domains),
                (&mut self.hashtags, hashtags),
                (&mut self.mentions, mentions),
            ] {
                if let (Some(col), Some((arr, values))) = (col.as_mut(), arr) {
                    push_list(col, arr, values, i);
                }
            }
        }
        Ok(())
    }

    /// Build a table from posts in memory (tests, synthetic data).
    pub fn from_posts(posts: &[leaktrace_model::Post]) -> PostTable {
        let mut t = PostTable {
            text_offsets: vec![0],
            urls: Some(ListColumn::new()),
            domains: Some(ListColumn::new()),
            hashtags: Some(ListColumn::new()),
            mentions: Some(ListColumn::new()),
            ..Default::default()
        };
        let mut seen = FxHashSet::default();
        for p in posts {
            let a = t.accounts.id(&p.account);
            if a as usize == t.account_names.len() {
                t.account_names.push(p.account_name.clone());
            }
            t.id.push(p.id);
            t.first.push(seen.insert(p.id));
            t.account.push(a);
            t.time_ms.push(p.time_ms);
            t.kind.push(p.kind);
            t.target.push(p.target_post);
            t.text_buf.push_str(&p.text);
            t.text_offsets.push(t.text_buf.len() as u64);
            for (col, vals) in [
                (&mut t.urls, &p.urls),
                (&mut t.domains, &p.domains),
                (&mut t.hashtags, &p.hashtags),
                (&mut t.mentions, &p.mentions),
            ] {
                let col = col.as_mut().expect("all lists");
                for v in vals {
                    let id = col.dict.id(v);
                    col.values.push(id);
                }
                col.offsets.push(col.values.len() as u64);
            }
        }
        t
    }
}
