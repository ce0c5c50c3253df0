//! Helpers shared by the end-to-end tests: run the real binary, check its
//! exit status, find fixtures.
// Each test file uses a different subset of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A file under `testdata/`.
pub fn testdata(rel: &str) -> PathBuf {
    repo().join("testdata").join(rel)
}

/// The leaktrace binary, with no crash hook armed.
pub fn command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_leaktrace"));
    c.env_remove("LEAKTRACE_CRASH_AT");
    c
}

/// Run leaktrace with these arguments.
pub fn lt(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut c = command();
    for a in args {
        c.arg(a);
    }
    c.output().expect("run leaktrace")
}

/// Stdout of a run that must succeed (its output is shown when it does not).
pub fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "leaktrace failed: {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Stderr of a run that must fail.
pub fn fails(out: Output) -> String {
    assert!(!out.status.success(), "expected failure, got: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
