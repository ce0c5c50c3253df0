//! An open case folder: the handle every reader and writer of a case goes
//! through. Opening reads the case (and migrates an older catalog forward);
//! every method that writes takes the [`WriteLock`] as proof it may.

use std::path::{Path, PathBuf};

use crate::catalog::{self, AccountRow, CaseSummary, FacetCount, RejectRow, SourceMeta, SourceRow};
use crate::error::{Result, StoreError, io_err};
use crate::evidence::{self, Content, StoredFile};
use crate::lock::WriteLock;
use crate::posts;
use crate::source::SourceWriter;

/// An open case. Opening is read-only; writing needs [`Case::lock_for_write`].
pub struct Case {
    root: PathBuf,
    catalog: catalog::Catalog,
}

impl Case {
    /// Create a new, empty case at `dir` (created if missing; must be empty).
    pub fn init(dir: &Path) -> Result<Case> {
        if dir.join(catalog::FILE).exists() {
            return Err(StoreError::AlreadyACase(dir.display().to_string()));
        }
        if dir.exists() {
            let mut entries = std::fs::read_dir(dir).map_err(io_err(dir))?;
            if entries.next().is_some() {
                return Err(StoreError::NotEmpty(dir.display().to_string()));
            }
        }
        for sub in ["evidence", "posts", "tmp"] {
            let p = dir.join(sub);
            std::fs::create_dir_all(&p).map_err(io_err(&p))?;
        }
        let catalog = catalog::Catalog::create(dir)?;
        Ok(Case { root: dir.to_path_buf(), catalog })
    }

    /// Open an existing case. Migrates an older catalog schema forward.
    pub fn open(dir: &Path) -> Result<Case> {
        let cat = dir.join(catalog::FILE);
        if !cat.is_file() {
            return Err(StoreError::NotACase(dir.display().to_string()));
        }
        let catalog = catalog::Catalog::open(dir)?;
        Ok(Case { root: dir.to_path_buf(), catalog })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Take the case's write lock. With `wait`, block until the other writer
    /// finishes (calling `on_wait` once with a description of the holder);
    /// without, fail at once with [`StoreError::Busy`]. Taking the lock also
    /// removes what an interrupted writer left behind.
    pub fn lock_for_write(&self, wait: bool, on_wait: impl FnOnce(&str)) -> Result<WriteLock> {
        let lock = WriteLock::acquire(&self.root, wait, on_wait)?;
        self.recover()?;
        Ok(lock)
    }

    /// Remove leftovers of interrupted ingests: pending catalog rows, their
    /// partitions, staging files. Evidence already stored is kept (it is
    /// content-addressed and will be found again by the next ingest).
    fn recover(&self) -> Result<()> {
        for id in self.catalog.pending_sources()? {
            let part = posts::partition_dir(&self.root, id);
            if part.exists() {
                std::fs::remove_dir_all(&part).map_err(io_err(&part))?;
            }
            self.catalog.delete_source(id)?;
        }
        let tmp = self.root.join("tmp");
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(io_err(&tmp))?;
        }
        std::fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;
        Ok(())
    }

    /// Copy a file into the evidence store (needs the write lock).
    pub fn store_evidence(&self, _lock: &WriteLock, path: &Path) -> Result<StoredFile> {
        Ok(evidence::put(&self.root, &[Content::File(path)])?.pop().expect("one file stored"))
    }

    /// Store bytes (a message taken out of a mailbox, an attachment) in the
    /// evidence store, content-addressed, read-only, synced.
    pub fn store_evidence_bytes(&self, _lock: &WriteLock, bytes: &[u8]) -> Result<StoredFile> {
        Ok(evidence::put(&self.root, &[Content::Bytes(bytes)])?.pop().expect("one file stored"))
    }

    /// Store many blobs (the messages and attachments of a mailbox) with two
    /// file-system syncs in all instead of two per blob. As with one blob, a
    /// crash leaves under an evidence name only complete bytes. Returns one
    /// `StoredFile` per blob, in order.
    pub fn store_evidence_batch(&self, _lock: &WriteLock, blobs: &[&[u8]]) -> Result<Vec<StoredFile>> {
        let contents: Vec<Content<'_>> = blobs.iter().map(|b| Content::Bytes(b)).collect();
        evidence::put(&self.root, &contents)
    }

    /// Where the stored original with this SHA-256 lives.
    pub fn evidence_path(&self, sha256_hex: &str) -> PathBuf {
        evidence::path_for(&self.root, sha256_hex)
    }

    /// The complete source with this content, if the case has it.
    pub fn source_by_sha(&self, sha256_hex: &str) -> Result<Option<SourceRow>> {
        self.catalog.complete_source_by_sha(sha256_hex)
    }

    /// Begin adding a source; see [`SourceWriter`].
    pub fn begin_source<'c>(&'c self, lock: &'c WriteLock, meta: SourceMeta) -> Result<SourceWriter<'c>> {
        SourceWriter::begin(&self.catalog, &self.root, lock, meta)
    }

    /// Record account labels from a side file (e.g. the Clemson categories),
    /// as a source of kind `accounts`, in one transaction.
    pub fn add_account_labels(
        &self,
        _lock: &WriteLock,
        meta: SourceMeta,
        labels: &[leaktrace_model::AccountInfo],
        rejects: &[(u64, String)],
    ) -> Result<i64> {
        self.catalog.add_label_source(&meta, labels, rejects)
    }

    pub fn sources(&self) -> Result<Vec<SourceRow>> {
        self.catalog.sources()
    }

    pub fn summary(&self) -> Result<CaseSummary> {
        self.catalog.summary()
    }

    pub fn top_facets(&self, facet: &str, n: usize) -> Result<Vec<FacetCount>> {
        self.catalog.top_facets(facet, n)
    }

    pub fn rejects(&self, source_id: i64, limit: usize) -> Result<Vec<RejectRow>> {
        self.catalog.rejects(source_id, limit)
    }

    pub fn accounts(&self) -> Result<Vec<AccountRow>> {
        self.catalog.accounts()
    }

    /// Label values per account for one label key (e.g. `account_category`).
    pub fn account_labels(&self, key: &str) -> Result<Vec<(String, String)>> {
        self.catalog.account_labels(key)
    }

    /// The labels of one account, by key (its key or its handle, as the
    /// labelling source gave it).
    pub fn labels_of(&self, account: &str, name: Option<&str>) -> Result<Vec<(String, String)>> {
        self.catalog.labels_of(account, name)
    }

    /// Every label key present in the case.
    pub fn label_keys(&self) -> Result<Vec<String>> {
        self.catalog.label_keys()
    }

    /// Count of label values across accounts that have posts in the case.
    pub fn label_distribution(&self, key: &str) -> Result<Vec<(String, i64)>> {
        self.catalog.label_distribution(key)
    }

    /// Parquet files of every complete source, in source order.
    pub fn post_files(&self) -> Result<Vec<PathBuf>> {
        Ok(self
            .catalog
            .sources()?
            .into_iter()
            .filter(|s| s.posts > 0)
            .map(|s| posts::partition_dir(&self.root, s.id).join(posts::PART_FILE))
            .collect())
    }
}
