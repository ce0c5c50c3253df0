//! The posts table: Parquet files, one partition directory per source
//! (`posts/source=<id>/part-00000.parquet`, Hive-style so pandas, Polars,
//! DuckDB and Spark add a `source` column when reading the folder).
//!
//! Ids and times are signed 64-bit integers (Spark reads unsigned 64-bit
//! columns as decimals); times are `TIMESTAMP(MILLIS, UTC)`.
//!
//! `media` and `image_hashes` came later than the other columns: files
//! written before them lack both, and every reader here takes a missing
//! column as empty lists, so old case folders read as they did.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Int32Builder, Int64Builder, ListBuilder, StringBuilder, TimestampMillisecondBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{
    Array, ArrayRef, BooleanArray, Int32Array, Int64Array, ListArray, RecordBatch, StringArray,
    TimestampMillisecondArray,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use leaktrace_model::{Post, PostKind};
use parquet::arrow::ArrowWriter;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder, RowSelection, RowSelector,
};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::PageIndexPolicy;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use crate::error::{Result, StoreError, io_err};

pub const PART_FILE: &str = "part-00000.parquet";
const BATCH_ROWS: usize = 32 * 1024;
const ROW_GROUP_ROWS: usize = 128 * 1024;
/// Rows per data page. Reading a few rows of a large table (what the
/// search index finds) costs one decompressed page per row and column:
/// small pages make that a small part of the table (the writer's default
/// is 20,000). At 50M posts a question of 15,791 rows took 2.05 s with
/// 1,024-row pages and 2.08 s with 512 (a larger page index to read).
const PAGE_ROWS: usize = 1024;
/// The only columns with a dictionary: few distinct values. Elsewhere
/// (ids, times, accounts, URLs, texts) a row group's dictionary holds most
/// of its data and has to be decompressed whole for any row of the group:
/// without them the question above took 2.05 s instead of 3.97 s, and plain
/// values with zstd are also smaller (1.43 GB to 1.00 GB at 50M).
const DICTIONARY_COLUMNS: &[&str] =
    &["time_resolution_s", "language", "kind", "hashtags.list.item", "domains.list.item"];

pub fn partition_dir(root: &Path, source_id: i64) -> PathBuf {
    root.join("posts").join(format!("source={source_id}"))
}

fn list_of_strings(name: &str) -> Field {
    Field::new(name, DataType::List(Arc::new(Field::new("item", DataType::Utf8, false))), false)
}

/// The Arrow schema of the posts table. Documented in ARCHITECTURE.md.
pub fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("id_derived", DataType::Boolean, false),
        Field::new("account", DataType::Utf8, false),
        Field::new("account_name", DataType::Utf8, true),
        Field::new("time", DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), false),
        Field::new("time_resolution_s", DataType::Int32, false),
        Field::new("text", DataType::Utf8, false),
        Field::new("language", DataType::Utf8, true),
        Field::new("kind", DataType::Utf8, false),
        Field::new("target_post", DataType::Int64, true),
        Field::new("target_derived", DataType::Boolean, false),
        Field::new("target_account", DataType::Utf8, true),
        list_of_strings("hashtags"),
        list_of_strings("mentions"),
        list_of_strings("urls"),
        list_of_strings("domains"),
        Field::new("followers", DataType::Int64, true),
        Field::new("following", DataType::Int64, true),
        Field::new("line", DataType::Int64, false),
        list_of_strings("media"),
        Field::new("image_hashes", DataType::List(Arc::new(Field::new("item", DataType::Int64, false))), true),
    ]))
}

/// The columns a posts file written before `media` and `image_hashes`
/// lacks; readers take them as empty.
pub const LATER_COLUMNS: [&str; 2] = ["media", "image_hashes"];

fn string_list() -> ListBuilder<StringBuilder> {
    ListBuilder::new(StringBuilder::new()).with_field(Arc::new(Field::new("item", DataType::Utf8, false)))
}

struct Builders {
    id: Int64Builder,
    id_derived: BooleanBuilder,
    account: StringBuilder,
    account_name: StringBuilder,
    time: TimestampMillisecondBuilder,
    time_resolution_s: Int32Builder,
    text: StringBuilder,
    language: StringBuilder,
    kind: StringBuilder,
    target_post: Int64Builder,
    target_derived: BooleanBuilder,
    target_account: StringBuilder,
    hashtags: ListBuilder<StringBuilder>,
    mentions: ListBuilder<StringBuilder>,
    urls: ListBuilder<StringBuilder>,
    domains: ListBuilder<StringBuilder>,
    followers: Int64Builder,
    following: Int64Builder,
    line: Int64Builder,
    media: ListBuilder<StringBuilder>,
    image_hashes: ListBuilder<Int64Builder>,
    len: usize,
}

impl Builders {
    fn new() -> Builders {
        Builders {
            id: Int64Builder::new(),
            id_derived: BooleanBuilder::new(),
            account: StringBuilder::new(),
            account_name: StringBuilder::new(),
            time: TimestampMillisecondBuilder::new().with_timezone("UTC"),
            time_resolution_s: Int32Builder::new(),
            text: StringBuilder::new(),
            language: StringBuilder::new(),
            kind: StringBuilder::new(),
            target_post: Int64Builder::new(),
            target_derived: BooleanBuilder::new(),
            target_account: StringBuilder::new(),
            hashtags: string_list(),
            mentions: string_list(),
            urls: string_list(),
            domains: string_list(),
            followers: Int64Builder::new(),
            following: Int64Builder::new(),
            line: Int64Builder::new(),
            media: string_list(),
            image_hashes: ListBuilder::new(Int64Builder::new()).with_field(Arc::new(Field::new(
                "item",
                DataType::Int64,
                false,
            ))),
            len: 0,
        }
    }

    fn push(&mut self, p: &Post) {
        self.id.append_value(p.id);
        self.id_derived.append_value(p.id_derived);
        self.account.append_value(&p.account);
        self.account_name.append_option(p.account_name.as_deref());
        self.time.append_value(p.time_ms);
        self.time_resolution_s.append_value(p.time_resolution_s.min(i32::MAX as u32) as i32);
        self.text.append_value(&p.text);
        self.language.append_option(p.language.as_deref());
        self.kind.append_value(p.kind.as_str());
        self.target_post.append_option(p.target_post);
        self.target_derived.append_value(p.target_derived);
        self.target_account.append_option(p.target_account.as_deref());
        for (b, vals) in [
            (&mut self.hashtags, &p.hashtags),
            (&mut self.mentions, &p.mentions),
            (&mut self.urls, &p.urls),
            (&mut self.domains, &p.domains),
        ] {
            for v in vals {
                b.values().append_value(v);
            }
            b.append(true);
        }
        self.followers.append_option(p.followers);
        self.following.append_option(p.following);
        self.line.append_value(p.line as i64);
        for m in &p.media {
            self.media.values().append_value(m);
        }
        self.media.append(true);
        self.image_hashes.values().append_slice(&p.image_hashes);
        self.image_hashes.append(true);
        self.len += 1;
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        self.len = 0;
        vec![
            Arc::new(self.id.finish()),
            Arc::new(self.id_derived.finish()),
            Arc::new(self.account.finish()),
            Arc::new(self.account_name.finish()),
            Arc::new(self.time.finish()),
            Arc::new(self.time_resolution_s.finish()),
            Arc::new(self.text.finish()),
            Arc::new(self.language.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.target_post.finish()),
            Arc::new(self.target_derived.finish()),
            Arc::new(self.target_account.finish()),
            Arc::new(self.hashtags.finish()),
            Arc::new(self.mentions.finish()),
            Arc::new(self.urls.finish()),
            Arc::new(self.domains.finish()),
            Arc::new(self.followers.finish()),
            Arc::new(self.following.finish()),
            Arc::new(self.line.finish()),
            Arc::new(self.media.finish()),
            Arc::new(self.image_hashes.finish()),
        ]
    }
}

/// Streams posts into one Parquet file. Arrow building, encoding and
/// compression run on a thread of their own, so parsing the input and
/// writing the table use both cores; memory stays bounded by the channel
/// and the row-group size whatever the input size.
pub struct PostTableWriter {
    pending: Vec<Post>,
    sender: Option<std::sync::mpsc::SyncSender<Vec<Post>>>,
    worker: Option<std::thread::JoinHandle<Result<()>>>,
}

/// Posts handed to the encoding thread at a time, and chunks in flight.
const CHUNK: usize = 4096;
const CHUNKS_IN_FLIGHT: usize = 8;

struct Encoder {
    path: PathBuf,
    writer: ArrowWriter<File>,
    builders: Builders,
    schema: SchemaRef,
}

impl Encoder {
    fn flush_batch(&mut self) -> Result<()> {
        if self.builders.len == 0 {
            return Ok(());
        }
        let batch = RecordBatch::try_new(self.schema.clone(), self.builders.finish())?;
        self.writer.write(&batch)?;
        Ok(())
    }

    fn run(mut self, chunks: std::sync::mpsc::Receiver<Vec<Post>>) -> Result<()> {
        for chunk in chunks {
            for p in &chunk {
                self.builders.push(p);
                if self.builders.len >= BATCH_ROWS {
                    self.flush_batch()?;
                }
            }
        }
        self.flush_batch()?;
        let file = self.writer.into_inner()?;
        file.sync_all().map_err(io_err(&self.path))?;
        Ok(())
    }
}

impl PostTableWriter {
    pub fn create(path: &Path) -> Result<PostTableWriter> {
        let file = File::create(path).map_err(io_err(path))?;
        let mut props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(1)?))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_data_page_row_count_limit(PAGE_ROWS)
            .set_dictionary_enabled(false)
            .set_created_by(crate::TOOL_VERSION.to_string());
        for c in DICTIONARY_COLUMNS {
            props =
                props.set_column_dictionary_enabled(ColumnPath::new(c.split('.').map(String::from).collect()), true);
        }
        let props = props.build();
        let schema = schema();
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(props))?;
        let encoder = Encoder { path: path.to_path_buf(), writer, builders: Builders::new(), schema };
        let (sender, receiver) = std::sync::mpsc::sync_channel(CHUNKS_IN_FLIGHT);
        let worker = std::thread::Builder::new()
            .name("parquet-writer".into())
            .spawn(move || encoder.run(receiver))
            .map_err(io_err(path))?;
        Ok(PostTableWriter { pending: Vec::with_capacity(CHUNK), sender: Some(sender), worker: Some(worker) })
    }

    pub fn push(&mut self, p: Post) -> Result<()> {
        self.pending.push(p);
        if self.pending.len() >= CHUNK {
            self.send()?;
        }
        Ok(())
    }

    fn send(&mut self) -> Result<()> {
        let chunk = std::mem::replace(&mut self.pending, Vec::with_capacity(CHUNK));
        let sent = self.sender.as_ref().is_some_and(|s| s.send(chunk).is_ok());
        if !sent {
            // The encoder stopped: its error says why.
            return self.join();
        }
        Ok(())
    }

    fn join(&mut self) -> Result<()> {
        self.sender.take();
        match self.worker.take() {
            Some(w) => w.join().unwrap_or_else(|_| {
                Err(StoreError::Io {
                    path: "posts table".into(),
                    source: std::io::Error::other("writer thread panicked"),
                })
            }),
            None => Ok(()),
        }
    }

    /// Write the footer and sync the file to disk.
    pub fn finish(mut self) -> Result<()> {
        if !self.pending.is_empty() {
            self.send()?;
        }
        self.join()
    }
}

impl Drop for PostTableWriter {
    fn drop(&mut self) {
        let _ = self.join();
    }
}

/// Read record batches from post files, optionally only some columns.
pub fn read_batches(files: &[PathBuf], columns: Option<&[&str]>) -> Result<Vec<RecordBatch>> {
    let mut out = Vec::new();
    for path in files {
        for batch in stream_batches(path, columns)? {
            out.push(batch?);
        }
    }
    Ok(out)
}

/// The record batches of one posts file (64k rows each) as they are
/// decoded, optionally only some columns: memory stays one batch deep
/// however large the file.
pub fn stream_batches(
    path: &Path,
    columns: Option<&[&str]>,
) -> Result<impl Iterator<Item = Result<RecordBatch>> + use<>> {
    let file = File::open(path).map_err(io_err(path))?;
    let mut builder = ParquetRecordBatchReaderBuilder::try_new(file)?.with_batch_size(64 * 1024);
    if let Some(cols) = columns {
        let schema = builder.parquet_schema();
        // A file from before the later columns is read without them.
        let roots: Vec<usize> = cols
            .iter()
            .filter(|c| !(LATER_COLUMNS.contains(c) && builder.schema().index_of(c).is_err()))
            .map(|c| {
                builder
                    .schema()
                    .index_of(c)
                    .map_err(|_| StoreError::Arrow(arrow_schema::ArrowError::SchemaError(format!("no column {c}"))))
            })
            .collect::<Result<_>>()?;
        let mask = ProjectionMask::roots(schema, roots);
        builder = builder.with_projection(mask);
    }
    Ok(builder.build()?.map(|b| b.map_err(StoreError::from)))
}

/// Only the rows `rows` (0-based positions in the file, sorted, distinct)
/// of one posts file, in that order, optionally only some columns. Row
/// groups without a wanted row are not read, and within the others the
/// page index lets the reader skip pages without one: an analysis that
/// knows its rows (from the search index) reads them, not the file.
pub fn read_rows(path: &Path, rows: &[u64], columns: Option<&[&str]>) -> Result<Vec<RecordBatch>> {
    use rayon::prelude::*;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let file = File::open(path).map_err(io_err(path))?;
    // Only the offset index is needed to skip pages; a file written without
    // one is read row group by row group.
    let opts = ArrowReaderOptions::new().with_offset_index_policy(PageIndexPolicy::Optional);
    let meta = ArrowReaderMetadata::load(&file, opts)?;
    let total = meta.metadata().file_metadata().num_rows() as u64;
    if let Some(&last) = rows.last()
        && last >= total
    {
        return Err(StoreError::Arrow(arrow_schema::ArrowError::InvalidArgumentError(format!(
            "{}: row {last} asked for, the file has {total}",
            path.display()
        ))));
    }
    let mask = match columns {
        Some(cols) => {
            let roots: Vec<usize> = cols
                .iter()
                .map(|c| {
                    meta.schema()
                        .index_of(c)
                        .map_err(|_| StoreError::Arrow(arrow_schema::ArrowError::SchemaError(format!("no column {c}"))))
                })
                .collect::<Result<_>>()?;
            Some(ProjectionMask::roots(meta.parquet_schema(), roots))
        }
        None => None,
    };
    // The row groups holding wanted rows, each with its selection.
    let mut groups: Vec<(usize, Vec<RowSelector>)> = Vec::new();
    let mut start = 0u64;
    let mut next = 0usize;
    for (g, rg) in meta.metadata().row_groups().iter().enumerate() {
        let end = start + rg.num_rows() as u64;
        if next < rows.len() && rows[next] < end {
            let mut selectors = Vec::new();
            let mut at = start;
            while next < rows.len() && rows[next] < end {
                let r = rows[next];
                if r > at {
                    selectors.push(RowSelector::skip((r - at) as usize));
                }
                selectors.push(RowSelector::select(1));
                at = r + 1;
                next += 1;
            }
            if end > at {
                selectors.push(RowSelector::skip((end - at) as usize));
            }
            groups.push((g, selectors));
        }
        start = end;
    }
    // Reading is mostly page decompression: the groups are split into one
    // run per core, each read by its own reader over the same metadata,
    // and the batches put back in file order.
    let runs = rayon::current_num_threads().clamp(1, groups.len().max(1));
    let per = groups.len().div_ceil(runs);
    let parts: Vec<Result<Vec<RecordBatch>>> = groups
        .par_chunks(per)
        .map(|part| {
            // Its own open file: clones of one handle share the read offset.
            let file = File::open(path).map_err(io_err(path))?;
            let mut builder = ParquetRecordBatchReaderBuilder::new_with_metadata(file, meta.clone())
                .with_batch_size(8 * 1024)
                .with_row_groups(part.iter().map(|g| g.0).collect())
                .with_row_selection(RowSelection::from(
                    part.iter().flat_map(|g| g.1.iter().cloned()).collect::<Vec<RowSelector>>(),
                ));
            if let Some(mask) = &mask {
                builder = builder.with_projection(mask.clone());
            }
            let mut out = Vec::new();
            for b in builder.build()? {
                out.push(b?);
            }
            Ok(out)
        })
        .collect();
    let mut out = Vec::new();
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

fn col<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> Option<&'a T> {
    batch.column_by_name(name)?.as_any().downcast_ref::<T>()
}

fn strings(list: &ListArray, i: usize) -> Vec<String> {
    let v = list.value(i);
    let s = v.as_any().downcast_ref::<StringArray>().expect("list of strings");
    (0..s.len()).map(|j| s.value(j).to_string()).collect()
}

/// Row `i` of a list of int64 (a null list is empty).
pub fn int64s(list: &ListArray, i: usize) -> Vec<i64> {
    if list.is_null(i) {
        return Vec::new();
    }
    list.value(i).as_primitive::<Int64Type>().values().to_vec()
}

fn opt_str(a: Option<&StringArray>, i: usize) -> Option<String> {
    a.filter(|a| a.is_valid(i)).map(|a| a.value(i).to_string())
}

/// Turn a full-schema batch back into posts (for tests and small analyses).
pub fn posts_from_batch(batch: &RecordBatch) -> Vec<Post> {
    let id = col::<Int64Array>(batch, "id").expect("id column");
    let id_derived = col::<BooleanArray>(batch, "id_derived");
    let account = col::<StringArray>(batch, "account").expect("account column");
    let account_name = col::<StringArray>(batch, "account_name");
    let time = col::<TimestampMillisecondArray>(batch, "time").expect("time column");
    let res = col::<Int32Array>(batch, "time_resolution_s");
    let text = col::<StringArray>(batch, "text");
    let language = col::<StringArray>(batch, "language");
    let kind = col::<StringArray>(batch, "kind");
    let target_post = col::<Int64Array>(batch, "target_post");
    let target_derived = col::<BooleanArray>(batch, "target_derived");
    let target_account = col::<StringArray>(batch, "target_account");
    let lists: Vec<Option<&ListArray>> =
        ["hashtags", "mentions", "urls", "domains"].iter().map(|n| col::<ListArray>(batch, n)).collect();
    let followers = col::<Int64Array>(batch, "followers");
    let following = col::<Int64Array>(batch, "following");
    let line = col::<Int64Array>(batch, "line");
    let media = col::<ListArray>(batch, "media");
    let image_hashes = col::<ListArray>(batch, "image_hashes");
    (0..batch.num_rows())
        .map(|i| {
            let list = |k: usize| lists[k].map(|l| strings(l, i)).unwrap_or_default();
            let opt_i64 = |a: Option<&Int64Array>| a.filter(|a| a.is_valid(i)).map(|a| a.value(i));
            Post {
                id: id.value(i),
                id_derived: id_derived.is_some_and(|a| a.value(i)),
                account: account.value(i).to_string(),
                account_name: opt_str(account_name, i),
                time_ms: time.value(i),
                time_resolution_s: res.map_or(1, |a| a.value(i) as u32),
                text: opt_str(text, i).unwrap_or_default(),
                language: opt_str(language, i),
                kind: kind.and_then(|a| PostKind::parse(a.value(i))).unwrap_or(PostKind::Post),
                target_post: opt_i64(target_post),
                target_derived: target_derived.is_some_and(|a| a.value(i)),
                target_account: opt_str(target_account, i),
                hashtags: list(0),
                mentions: list(1),
                urls: list(2),
                domains: list(3),
                followers: opt_i64(followers),
                following: opt_i64(following),
                line: opt_i64(line).unwrap_or(0) as u64,
                media: media.map(|l| strings(l, i)).unwrap_or_default(),
                image_hashes: image_hashes.map(|l| int64s(l, i)).unwrap_or_default(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chosen_rows_read_alone_and_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.parquet");
        let mut w = PostTableWriter::create(&path).unwrap();
        for i in 0..300_000i64 {
            w.push(Post::new(i * 3, format!("acct{}", i % 7), i * 1000, format!("text {i}"))).unwrap();
        }
        w.finish().unwrap();
        let rows = [0u64, 1, 131_071, 131_072, 200_000, 299_999];
        let got: Vec<Post> = read_rows(&path, &rows, Some(&["id", "account", "time", "text"]))
            .unwrap()
            .iter()
            .flat_map(posts_from_batch)
            .collect();
        let ids: Vec<i64> = got.iter().map(|p| p.id).collect();
        assert_eq!(ids, rows.map(|r| r as i64 * 3));
        assert_eq!(got[4].text, "text 200000");
        assert!(read_rows(&path, &[], None).unwrap().is_empty());
        assert!(read_rows(&path, &[300_000], None).is_err());
    }

    fn sample_posts(n: i64) -> Vec<Post> {
        let mut posts = Vec::new();
        for i in 0..n {
            let mut p =
                Post::new(i, format!("acct{}", i % 7), 1_500_000_000_000 + i * 1000, format!("text {i} #tag{}", i % 3));
            p.derive_entities_from_text();
            if i % 5 == 0 {
                p.kind = PostKind::Repost;
                p.target_post = Some(-i);
                p.target_account = Some("x".into());
            }
            p.language = (i % 2 == 0).then(|| "en".into());
            p.line = i as u64 + 2;
            if i % 3 == 0 {
                p.media = vec![format!("photos/{i}.jpg")];
                p.image_hashes = vec![i * 7919 - 1, i64::MIN];
            }
            posts.push(p);
        }
        posts
    }

    fn write_posts(path: &Path, posts: &[Post]) {
        let mut w = PostTableWriter::create(path).unwrap();
        for p in posts {
            w.push(p.clone()).unwrap();
        }
        w.finish().unwrap();
    }

    #[test]
    fn posts_round_trip_through_parquet() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.parquet");
        let posts = sample_posts(70_000);
        write_posts(&path, &posts);
        let back: Vec<Post> =
            read_batches(std::slice::from_ref(&path), None).unwrap().iter().flat_map(posts_from_batch).collect();
        assert_eq!(back, posts);
        let some = read_batches(&[path], Some(&["account", "time"])).unwrap();
        assert_eq!(some[0].num_columns(), 2);
    }

    #[test]
    fn files_without_the_later_columns_read_as_empty_lists() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.parquet");
        let mut p = Post::new(1, "a", 1_500_000_000_000, "old #post");
        p.derive_entities_from_text();
        let mut b = Builders::new();
        b.push(&p);
        // The schema and columns as they were before media and image hashes.
        let full = RecordBatch::try_new(schema(), b.finish()).unwrap();
        let keep: Vec<usize> = (0..full.num_columns())
            .filter(|&i| !LATER_COLUMNS.contains(&full.schema().field(i).name().as_str()))
            .collect();
        let old = full.project(&keep).unwrap();
        let mut w = ArrowWriter::try_new(File::create(&path).unwrap(), old.schema(), None).unwrap();
        w.write(&old).unwrap();
        w.close().unwrap();
        let back: Vec<Post> =
            read_batches(std::slice::from_ref(&path), None).unwrap().iter().flat_map(posts_from_batch).collect();
        assert_eq!(back, vec![p]);
        let some = read_batches(&[path], Some(&["id", "image_hashes", "media"])).unwrap();
        assert_eq!(some[0].num_columns(), 1, "the missing columns are left out, not an error");
    }

    #[test]
    fn rows_are_read_from_every_row_group_in_order_with_small_pages() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.parquet");
        let n = 2 * ROW_GROUP_ROWS as i64 + 5_000;
        let posts = sample_posts(n);
        write_posts(&path, &posts);
        // Pages of PAGE_ROWS rows, a dictionary only where values repeat.
        let reader = parquet::file::serialized_reader::SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
        let meta = parquet::file::reader::FileReader::metadata(&reader);
        assert_eq!(meta.num_row_groups(), 3);
        let col = |name: &str| {
            let rg = meta.row_group(0);
            (0..rg.num_columns()).map(|i| rg.column(i)).find(|c| c.column_path().string() == name).unwrap().clone()
        };
        assert!(col("id").dictionary_page_offset().is_none(), "ids have no dictionary");
        assert!(col("account").dictionary_page_offset().is_none(), "accounts have no dictionary");
        assert!(col("kind").dictionary_page_offset().is_some(), "kinds keep theirs");
        let opts = ArrowReaderOptions::new().with_offset_index_policy(PageIndexPolicy::Required);
        let with_index = ArrowReaderMetadata::load(&File::open(&path).unwrap(), opts).unwrap();
        let pages = with_index.metadata().page_index_for_row_group(0).page_locations(0).unwrap().len();
        assert_eq!(pages, ROW_GROUP_ROWS / PAGE_ROWS, "pages of {PAGE_ROWS} rows");
        // Rows at the edges of groups and pages, and scattered ones.
        let mut rows: Vec<u64> = vec![0, 1, 1023, 1024, ROW_GROUP_ROWS as u64 - 1, ROW_GROUP_ROWS as u64, n as u64 - 1];
        rows.extend((0..n as u64).step_by(7_919));
        rows.sort_unstable();
        rows.dedup();
        let back: Vec<Post> = read_rows(&path, &rows, None).unwrap().iter().flat_map(posts_from_batch).collect();
        let want: Vec<Post> = rows.iter().map(|&r| posts[r as usize].clone()).collect();
        assert_eq!(back, want);
        let some = read_rows(&path, &rows, Some(&["id", "line"])).unwrap();
        let ids: Vec<i64> =
            some.iter().flat_map(|b| super::col::<Int64Array>(b, "id").unwrap().values().to_vec()).collect();
        assert_eq!(ids, rows.iter().map(|&r| r as i64).collect::<Vec<_>>());
        assert_eq!(some[0].num_columns(), 2);
        assert!(read_rows(&path, &[n as u64], None).is_err(), "a row past the end is an error");
    }
}
