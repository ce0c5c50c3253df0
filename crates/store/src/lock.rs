//! The case's single-writer lock: an OS file lock on `write.lock` (released
//! by the kernel when the holder dies, so a killed ingest never leaves the
//! case locked), with the holder's pid written inside for messages.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::error::{Result, StoreError, io_err};

/// Proof that this process may write the case. Dropping it releases the lock.
pub struct WriteLock {
    file: File,
}

fn holder_of(file: &mut File) -> String {
    let mut s = String::new();
    let _ = file.seek(SeekFrom::Start(0));
    let _ = file.read_to_string(&mut s);
    match s.trim() {
        "" => String::new(),
        h => format!(" ({h})"),
    }
}

impl WriteLock {
    pub(crate) fn acquire(root: &Path, wait: bool, on_wait: impl FnOnce(&str)) -> Result<WriteLock> {
        let path = root.join("write.lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_err(&path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = holder_of(&mut file);
                if !wait {
                    return Err(StoreError::Busy { path: root.display().to_string(), holder });
                }
                on_wait(&format!(
                    "another leaktrace process{holder} is writing {}; waiting for it to finish",
                    root.display()
                ));
                file.lock().map_err(io_err(&path))?;
            }
            Err(TryLockError::Error(e)) => return Err(io_err(&path)(e)),
        }
        file.set_len(0).map_err(io_err(&path))?;
        file.seek(SeekFrom::Start(0)).map_err(io_err(&path))?;
        let _ = write!(file, "pid {}", std::process::id());
        Ok(WriteLock { file })
    }
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}
