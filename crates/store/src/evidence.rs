//! Content-addressed storage of original files.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::{Result, io_err};

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

pub(crate) fn path_for(root: &Path, hex: &str) -> PathBuf {
    root.join("evidence").join("sha256").join(&hex[..2]).join(hex)
}

/// Copy `src` into the store while hashing it: the bytes hashed are the
/// bytes kept. The copy is synced, then renamed into place, then made
/// read-only, so a crash leaves either no file or the complete one.
pub(crate) fn store(root: &Path, src: &Path) -> Result<StoredFile> {
    let mut input = File::open(src).map_err(io_err(src))?;
    let tmp_dir = root.join("tmp");
    fs::create_dir_all(&tmp_dir).map_err(io_err(&tmp_dir))?;
    let tmp = tmp_dir.join(format!("evidence-{}.partial", std::process::id()));
    let mut out = File::create(&tmp).map_err(io_err(&tmp))?;
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
    out.sync_all().map_err(io_err(&tmp))?;
    drop(out);
    let sha256: [u8; 32] = hasher.finalize().into();
    let hex = hex::encode(sha256);
    let dest = path_for(root, &hex);
    let newly_stored = if dest.exists() {
        fs::remove_file(&tmp).map_err(io_err(&tmp))?;
        false
    } else {
        let dir = dest.parent().expect("evidence path has a parent");
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        fs::rename(&tmp, &dest).map_err(io_err(&dest))?;
        let mut perm = fs::metadata(&dest).map_err(io_err(&dest))?.permissions();
        perm.set_readonly(true);
        fs::set_permissions(&dest, perm).map_err(io_err(&dest))?;
        sync_dir(dir)?;
        true
    };
    Ok(StoredFile { sha256, sha256_hex: hex, size, path: dest, newly_stored })
}

/// Make a rename durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_err(dir))
}
