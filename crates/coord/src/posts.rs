//! Loading the posts of a case into a [`PostTable`] (see [`crate::table`]),
//! once, only the columns a run uses: from the coordination cache when it
//! is current, else from the posts tables, then caching them; and the
//! columns derived from texts (co-tweet keys, token sets).

use arrow_array::{Array, Int64Array, ListArray, RecordBatch, StringArray, TimestampMillisecondArray};
use leaktrace_model::PostKind;
use leaktrace_store::{Case, posts};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::table::{ImageColumn, Interner, ListColumn, NO_ID, Tokens, TweetKeys};
use crate::{CoordError, Result, cache, text};

// What a caller of the loader names: the table and what to load into it.
pub use crate::table::{Need, PostTable, TextForm};

/// Rows per parallel step when deriving columns from texts: the strings of
/// one step are alive at once, not those of the whole case.
const DERIVE_CHUNK: usize = 1 << 16;

/// Dense ids of target posts, while a table is built.
#[derive(Default)]
struct Targets(FxHashMap<i64, u32>);

impl Targets {
    fn id(&mut self, target: Option<i64>) -> u32 {
        match target {
            Some(v) => {
                let next = self.0.len() as u32;
                *self.0.entry(v).or_insert(next)
            }
            None => NO_ID,
        }
    }
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
    /// Load the posts of every complete source of the case: from the
    /// case's coordination cache when it holds these posts files (see
    /// [`crate::cache`]), else from the posts tables, then caching them.
    /// Columns derived from texts (co-tweet keys, token sets) are computed
    /// the first time they are asked for and cached too.
    pub fn load(case: &Case, need: Need) -> Result<PostTable> {
        let files = case.post_files()?;
        let dir = cache::dir(case.root());
        let key = cache::key(case.root(), &files);
        let with_text = Need { text: need.text || need.tweet_keys.is_some() || need.tokens.is_some(), ..need };
        let mut cached = key.as_ref().and_then(|k| cache::read(&dir, k, need));
        if let Some(t) = &mut cached
            && (need.text || t.missing(need))
            && !t.load_text(&files)?
        {
            // The posts tables and the cache disagree on the rows: rebuild.
            cached = None;
        }
        // Texts are not cached (they would double the case's size on disk);
        // above they are read alone, row for row, when needed.
        let fresh = cached.is_none();
        let mut t = match cached {
            Some(t) => t,
            None => Self::load_tables(case, &files, with_text)?,
        };
        let derived = t.missing(need);
        t.derive(need)?;
        if let Some(key) = &key {
            if fresh {
                cache::write(&dir, key, &t, true);
            } else if derived {
                cache::write(&dir, key, &t, false);
            }
        }
        if !need.text && t.has_text() {
            t.set_text(Vec::new(), String::new());
        }
        Ok(t)
    }

    /// Compute the derived columns `need` asks for that the table does not
    /// have, from its texts.
    pub fn derive(&mut self, need: Need) -> Result<()> {
        if !self.missing(need) {
            return Ok(());
        }
        if !self.has_text() && !self.is_empty() {
            return Err(CoordError::Input("texts not loaded: co-tweet keys and token sets need them".into()));
        }
        if let Some(form) = need.tweet_keys
            && self.tweet_keys.as_ref().is_none_or(|k| k.form != form)
        {
            self.tweet_keys = Some(self.derive_tweet_keys(form));
        }
        if let Some(form) = need.tokens
            && self.tokens.as_ref().is_none_or(|k| k.form != form)
        {
            self.tokens = Some(self.derive_tokens(form));
        }
        Ok(())
    }

    /// `f` of every row that is not a repost in `form`, computed on all cores
    /// a chunk of rows at a time, handed to `each` in row order (`None` for
    /// a repost).
    fn per_text<T: Send>(&self, form: TextForm, f: impl Fn(&str) -> T + Sync, mut each: impl FnMut(Option<T>)) {
        for start in (0..self.len()).step_by(DERIVE_CHUNK) {
            let chunk: Vec<Option<T>> = (start..(start + DERIVE_CHUNK).min(self.len()))
                .into_par_iter()
                .map(|r| (!self.is_repost(r, form)).then(|| f(self.text(r))))
                .collect();
            chunk.into_iter().for_each(&mut each);
        }
    }

    fn derive_tweet_keys(&self, form: TextForm) -> TweetKeys {
        let mut keys = Interner::default();
        let mut ids = Vec::with_capacity(self.len());
        let key = match form {
            TextForm::Toolkit => text::qut_tweet_key,
            TextForm::Own => text::tweet_key,
        };
        self.per_text(form, key, |k| {
            // The toolkit matches empty texts too; we do not.
            let k = k.filter(|k| form == TextForm::Toolkit || !k.is_empty());
            ids.push(k.map_or(NO_ID, |k| keys.id(&k)));
        });
        TweetKeys { form, ids: ids.into(), count: keys.len() as u32 }
    }

    /// Token sets, with token ids numbered by increasing frequency over the
    /// whole table (ties by first appearance): the exact near-duplicate join
    /// wants each sorted set to start with its rarest tokens.
    fn derive_tokens(&self, form: TextForm) -> Tokens {
        let mut vocab = Interner::default();
        let (mut offsets, mut values) = (Vec::with_capacity(self.len() + 1), Vec::new());
        offsets.push(0u64);
        let spans = match form {
            TextForm::Toolkit => text::qut_token_spans,
            TextForm::Own => text::token_spans,
        };
        self.per_text(form, spans, |toks| {
            values.extend(toks.iter().flat_map(|t| t.iter()).map(|s| vocab.id(s)));
            offsets.push(values.len() as u64);
        });
        let mut freq = vec![0u32; vocab.len()];
        for &v in &values {
            freq[v as usize] += 1;
        }
        let mut order: Vec<u32> = (0..vocab.len() as u32).collect();
        order.sort_by_key(|&t| freq[t as usize]);
        let mut rank = vec![0u32; vocab.len()];
        for (r, &t) in order.iter().enumerate() {
            rank[t as usize] = r as u32;
        }
        values.par_iter_mut().for_each(|v| *v = rank[*v as usize]);
        let mut sets: Vec<&mut [u32]> = Vec::with_capacity(self.len());
        let mut rest = values.as_mut_slice();
        for w in offsets.windows(2) {
            let (set, tail) = rest.split_at_mut((w[1] - w[0]) as usize);
            sets.push(set);
            rest = tail;
        }
        sets.par_iter_mut().for_each(|s| s.sort_unstable());
        Tokens { form, offsets: offsets.into(), values: values.into(), vocab: vocab.len() as u32 }
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
        if need.images {
            cols.push("image_hashes");
        }
        let mut t = PostTable {
            images: need.images.then(ImageColumn::new),
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
        t.target_id.reserve_exact(rows);
        t.target_obj.reserve_exact(rows);
        let mut targets = Targets::default();
        let mut seen: FxHashSet<i64> = FxHashSet::with_capacity_and_hasher(rows, Default::default());
        // Batch by batch: the Arrow copy of the data stays one batch deep.
        for f in files {
            for b in posts::stream_batches(f, Some(&cols))? {
                t.push_batch(&b?, need, &mut seen, &mut targets)?;
            }
        }
        Ok(t)
    }

    fn push_batch(
        &mut self,
        b: &RecordBatch,
        need: Need,
        seen: &mut FxHashSet<i64>,
        targets: &mut Targets,
    ) -> Result<()> {
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
        // A posts file from before image hashes has no such column: no images.
        let images = if need.images {
            b.column_by_name("image_hashes").and_then(|c| c.as_any().downcast_ref::<ListArray>())
        } else {
            None
        };
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
            let tv = target.is_valid(i).then(|| target.value(i));
            self.target_id.push(tv.unwrap_or(0));
            self.target_obj.push(targets.id(tv));
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
            if let Some(col) = self.images.as_mut() {
                col.push_row(images.map(|l| posts::int64s(l, i)).unwrap_or_default());
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
            images: Some(ImageColumn::new()),
            ..Default::default()
        };
        let mut seen = FxHashSet::default();
        let mut targets = Targets::default();
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
            t.target_id.push(p.target_post.unwrap_or(0));
            t.target_obj.push(targets.id(p.target_post));
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
            t.images.as_mut().expect("images").push_row(p.image_hashes.iter().copied());
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leaktrace_model::Post;

    #[test]
    fn derived_columns_follow_the_texts() {
        let texts = ["Cats and dogs", "cats  AND DOGS", "cats and birds", "RT @x: cats and dogs", " https://t.co/1 "];
        let mut posts: Vec<Post> =
            texts.iter().enumerate().map(|(i, s)| Post::new(i as i64, format!("a{i}"), 0, *s)).collect();
        posts[3].kind = PostKind::Repost;
        posts[3].target_post = Some(0);
        let mut t = PostTable::from_posts(&posts);
        t.derive(Need { tweet_keys: Some(TextForm::Own), tokens: Some(TextForm::Own), ..Need::default() }).unwrap();
        let keys = &t.tweet_keys.as_ref().unwrap().ids;
        assert_eq!(keys[0], keys[1], "same text after normalisation");
        assert_ne!(keys[0], keys[2]);
        assert_eq!((keys[3], keys[4]), (NO_ID, NO_ID), "a repost; nothing left after normalisation");
        // Token ids rarest first: "birds" (once) < "dogs" (twice) < "cats", "and" (three times).
        let toks = t.tokens.as_ref().unwrap();
        assert_eq!(toks.vocab, 4);
        let (birds, dogs) = (toks.of(2)[0], toks.of(0)[0]);
        assert!(birds < dogs, "{:?} {:?}", toks.of(2), toks.of(0));
        assert!(toks.of(0).iter().all(|&t| t >= dogs) && toks.of(0).windows(2).all(|w| w[0] < w[1]));
        assert!(toks.of(3).is_empty(), "reposts have no tokens");
        // The toolkit's form keeps the repost of an unknown target and matches empty texts.
        posts[3].target_post = None;
        let mut t = PostTable::from_posts(&posts);
        t.derive(Need { tweet_keys: Some(TextForm::Toolkit), ..Need::default() }).unwrap();
        let keys = &t.tweet_keys.as_ref().unwrap().ids;
        assert!(keys[3] != NO_ID && keys[4] != NO_ID);
        // Without texts nothing can be derived.
        let mut bare = PostTable::from_posts(&posts);
        bare.set_text(Vec::new(), String::new());
        assert!(bare.derive(Need { tokens: Some(TextForm::Own), ..Need::default() }).is_err());
    }
}
