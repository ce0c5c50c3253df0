//! Making writes durable: after these return, what was written (or renamed)
//! survives a crash or a power cut.

use std::fs::File;
use std::path::Path;

use crate::error::{Result, io_err};

/// Make a rename into `dir` (or a write to the file `dir`) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_err(dir))
}

/// Make these files (or folders) durable. On Linux one `syncfs` of the case's
/// file system does it for any number of them; elsewhere each is synced.
pub(crate) fn sync_many<'a>(any_in_case: &Path, paths: impl Iterator<Item = &'a Path>) -> Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let _ = paths;
        let d = File::open(any_in_case).map_err(io_err(any_in_case))?;
        // SAFETY: syncfs only reads the descriptor, which `d` keeps open for the call.
        if unsafe { libc::syncfs(d.as_raw_fd()) } != 0 {
            return Err(io_err(any_in_case)(std::io::Error::last_os_error()));
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = any_in_case;
        for p in paths {
            sync_dir(p)?;
        }
        Ok(())
    }
}
