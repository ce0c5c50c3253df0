//! Maildir (`cur/` and `new/` folders, one file per message) and folders of
//! `.eml` files.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::looks_like_message;

/// A maildir has `cur/` or `new/` (and `tmp/`, which holds unfinished
/// deliveries and is never read).
pub fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() || dir.join("new").is_dir()
}

/// Message files under `dir`, sorted by path: in a maildir, the files of
/// every `cur/` and `new/` folder (sub-folders included, as Maildir++ keeps
/// them); otherwise every `.eml` file, and every other file whose start
/// looks like a message header. Unreadable entries are reported with their
/// path, not skipped.
pub fn message_files(dir: &Path) -> Result<Vec<PathBuf>, (PathBuf, std::io::Error)> {
    let maildir = is_maildir(dir);
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| (d.clone(), e))?;
        for e in entries {
            let e = e.map_err(|e| (d.clone(), e))?;
            let p = e.path();
            let ft = e.file_type().map_err(|e| (p.clone(), e))?;
            if ft.is_dir() {
                if !(maildir && p.file_name().is_some_and(|n| n == "tmp")) {
                    stack.push(p);
                }
                continue;
            }
            if !ft.is_file() {
                continue;
            }
            let wanted = if maildir {
                p.parent().and_then(Path::file_name).is_some_and(|n| n == "cur" || n == "new")
            } else if p.extension().is_some_and(|x| x.eq_ignore_ascii_case("eml")) {
                true
            } else {
                let mut head = Vec::with_capacity(8192);
                std::fs::File::open(&p)
                    .and_then(|f| f.take(8192).read_to_end(&mut head))
                    .map_err(|e| (p.clone(), e))?;
                looks_like_message(&head)
            };
            if wanted {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maildir_and_eml_folders() {
        let t = std::env::temp_dir().join(format!("leaktrace-maildir-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&t);
        for d in ["md/cur", "md/new", "md/tmp", "eml/sub"] {
            std::fs::create_dir_all(t.join(d)).unwrap();
        }
        let msg = b"From: a@b\nSubject: x\n\nbody\n";
        for f in ["md/cur/1:2,S", "md/new/2", "md/tmp/3", "eml/a.eml", "eml/sub/b", "eml/notes.txt"] {
            let data: &[u8] = if f.ends_with("notes.txt") { b"just notes\n" } else { msg };
            std::fs::write(t.join(f), data).unwrap();
        }
        let md = message_files(&t.join("md")).unwrap();
        assert_eq!(md, vec![t.join("md/cur/1:2,S"), t.join("md/new/2")]);
        let eml = message_files(&t.join("eml")).unwrap();
        assert_eq!(eml, vec![t.join("eml/a.eml"), t.join("eml/sub/b")]);
        std::fs::remove_dir_all(&t).unwrap();
    }
}
