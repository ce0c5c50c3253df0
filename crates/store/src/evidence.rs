//! Content-addressed storage of original files: `evidence/sha256/xx/<hex>`.
//!
//! [`put`] is the only code that writes under `evidence/`. Bytes are written
//! to `tmp/`, synced, renamed into place and made read-only, so a crash
//! leaves under an evidence name only complete bytes. A stored file is never
//! modified or deleted: content already present is not written again.

use std::collections::{BTreeSet, HashSet};
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::durable::{sync_dir, sync_many};
use crate::error::{Result, io_err};

/// An original file now held in the case.
#[derive(Clone, Debug)]
pub struct StoredFile {
    pub sha256: [u8; 32],
    pub sha256_hex: String,
    pub size: u64,
    /// Path of the stored copy inside the case.
    pub path: PathBuf,
    /// False when the case already held these exact bytes.
    pub newly_stored: bool,
}

/// What to store.
pub(crate) enum Content<'a> {
    /// A file, copied while it is hashed: the bytes hashed are the bytes kept.
    File(&'a Path),
    /// Bytes in memory (a message taken out of a mailbox, an attachment).
    Bytes(&'a [u8]),
}

pub(crate) fn path_for(root: &Path, hex: &str) -> PathBuf {
    root.join("evidence").join("sha256").join(&hex[..2]).join(hex)
}

/// Store `contents` and return one [`StoredFile`] per content, in order.
///
/// One content is synced on its own (the file, then its folder). Several
/// (the messages and attachments of a mailbox) take two file-system syncs in
/// all instead of two each: every new one is written to `tmp/`, everything is
/// synced, then each is renamed into place and the renames are synced.
pub(crate) fn put(root: &Path, contents: &[Content<'_>]) -> Result<Vec<StoredFile>> {
    let tmp_dir = root.join("tmp");
    fs::create_dir_all(&tmp_dir).map_err(io_err(&tmp_dir))?;
    let alone = contents.len() == 1;
    let hashes: Vec<Option<[u8; 32]>> = contents
        .par_iter()
        .map(|c| match c {
            Content::Bytes(b) => Some(Sha256::digest(b).into()),
            Content::File(_) => None,
        })
        .collect();
    let mut out = Vec::with_capacity(contents.len());
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for (content, hash) in contents.iter().zip(hashes) {
        // A file's hash is known only once it is copied; bytes are written
        // only when new.
        let (sha256, size, written) = match content {
            Content::Bytes(b) => (hash.expect("bytes are hashed above"), b.len() as u64, None),
            Content::File(src) => {
                let (tmp, file, h, size) = copy_hashing(&tmp_dir, src)?;
                (h, size, Some((tmp, file)))
            }
        };
        let hex = hex::encode(sha256);
        let dest = path_for(root, &hex);
        let newly_stored = !dest.exists() && seen.insert(hex.clone());
        if newly_stored {
            let (tmp, file) = match (written, content) {
                (Some(w), _) => w,
                (None, Content::Bytes(b)) => write_new(&tmp_dir, b)?,
                (None, Content::File(_)) => unreachable!("a file is copied to be hashed"),
            };
            if alone {
                file.sync_all().map_err(io_err(&tmp))?;
            }
            drop(file);
            staged.push((tmp, dest.clone()));
        } else if let Some((tmp, file)) = written {
            drop(file);
            fs::remove_file(&tmp).map_err(io_err(&tmp))?;
        }
        out.push(StoredFile { sha256, sha256_hex: hex, size, path: dest, newly_stored });
    }
    if staged.is_empty() {
        return Ok(out);
    }
    if !alone {
        sync_many(&tmp_dir, staged.iter().map(|(t, _)| t.as_path()))?;
    }
    let mut dirs = BTreeSet::new();
    for (tmp, dest) in &staged {
        let dir = dest.parent().expect("evidence path has a parent");
        if dirs.insert(dir.to_path_buf()) && !dir.is_dir() {
            fs::create_dir_all(dir).map_err(io_err(dir))?;
            // The new folder's own name must be durable too.
            dirs.extend(
                dir.ancestors().skip(1).take_while(|d| d.starts_with(root) && *d != root).map(Path::to_path_buf),
            );
        }
        fs::rename(tmp, dest).map_err(io_err(dest))?;
        let mut perm = fs::metadata(dest).map_err(io_err(dest))?.permissions();
        perm.set_readonly(true);
        fs::set_permissions(dest, perm).map_err(io_err(dest))?;
    }
    if alone {
        for dir in &dirs {
            sync_dir(dir)?;
        }
    } else {
        sync_many(&tmp_dir, dirs.iter().map(PathBuf::as_path))?;
    }
    Ok(out)
}

static STAGED: AtomicU64 = AtomicU64::new(0);

/// A new file in `tmp/`, named so that no two stores collide.
fn new_staging_file(tmp_dir: &Path) -> Result<(PathBuf, File)> {
    let n = STAGED.fetch_add(1, Ordering::Relaxed);
    let tmp = tmp_dir.join(format!("evidence-{}-{n}.partial", std::process::id()));
    let file = File::create(&tmp).map_err(io_err(&tmp))?;
    Ok((tmp, file))
}

fn write_new(tmp_dir: &Path, bytes: &[u8]) -> Result<(PathBuf, File)> {
    let (tmp, mut file) = new_staging_file(tmp_dir)?;
    file.write_all(bytes).map_err(io_err(&tmp))?;
    Ok((tmp, file))
}

/// Copy `src` to a new file in `tmp/`, hashing what is written.
fn copy_hashing(tmp_dir: &Path, src: &Path) -> Result<(PathBuf, File, [u8; 32], u64)> {
    let mut input = File::open(src).map_err(io_err(src))?;
    let (tmp, mut out) = new_staging_file(tmp_dir)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = input.read(&mut buf).map_err(io_err(src))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(io_err(&tmp))?;
        size += n as u64;
    }
    Ok((tmp, out, hasher.finalize().into(), size))
}

#[cfg(test)]
mod tests {
    use crate::case::Case;
    use std::fs;

    #[test]
    fn a_batch_stores_each_blob_once_complete_and_read_only() {
        let tmp = tempfile::tempdir().unwrap();
        let case = Case::init(&tmp.path().join("c")).unwrap();
        let lock = case.lock_for_write(false, |_| {}).unwrap();
        let old = case.store_evidence_bytes(&lock, b"already here").unwrap();
        let blobs: [&[u8]; 4] = [b"one", b"two", b"one", b"already here"];
        let got = case.store_evidence_batch(&lock, &blobs).unwrap();
        assert_eq!(got.iter().map(|f| f.newly_stored).collect::<Vec<_>>(), [true, true, false, false]);
        assert_eq!(got[0].sha256_hex, got[2].sha256_hex);
        assert_eq!(got[3].sha256_hex, old.sha256_hex);
        for (f, b) in got.iter().zip(blobs) {
            assert_eq!(fs::read(&f.path).unwrap(), b);
            assert!(fs::metadata(&f.path).unwrap().permissions().readonly());
            assert_eq!(f.path, case.evidence_path(&f.sha256_hex));
        }
        let left: Vec<_> = fs::read_dir(case.root().join("tmp")).unwrap().collect();
        assert!(left.is_empty(), "nothing staged is left behind");
        assert!(case.store_evidence_batch(&lock, &[]).unwrap().is_empty());
    }

    #[test]
    fn a_file_is_stored_once_complete_and_read_only() {
        let tmp = tempfile::tempdir().unwrap();
        let case = Case::init(&tmp.path().join("c")).unwrap();
        let lock = case.lock_for_write(false, |_| {}).unwrap();
        let src = tmp.path().join("leak.csv");
        fs::write(&src, b"a,b\n1,2\n").unwrap();
        let first = case.store_evidence(&lock, &src).unwrap();
        assert!(first.newly_stored);
        assert_eq!(
            (first.size, first.sha256_hex.clone()),
            (8, hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"a,b\n1,2\n")))
        );
        assert_eq!(fs::read(&first.path).unwrap(), b"a,b\n1,2\n");
        assert!(fs::metadata(&first.path).unwrap().permissions().readonly());
        let again = case.store_evidence(&lock, &src).unwrap();
        assert!(!again.newly_stored);
        assert_eq!(again.path, first.path);
        assert!(!case.store_evidence_bytes(&lock, b"a,b\n1,2\n").unwrap().newly_stored);
        let left: Vec<_> = fs::read_dir(case.root().join("tmp")).unwrap().collect();
        assert!(left.is_empty(), "nothing staged is left behind");
    }
}
