//! Files the command-line tests write for the binary to read, and the
//! folders they look into afterwards.

use std::path::{Path, PathBuf};

/// Writes `contents` to `dir/name` and returns that path.
#[track_caller]
pub fn write_file(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path
}

/// The names of what is in `dir`, sorted.
#[track_caller]
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A fresh temporary folder holding `contents` as `name`: the folder
/// (which goes when dropped) and that file's path.
#[track_caller]
pub fn temp_file(name: &str, contents: impl AsRef<[u8]>) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_file(dir.path(), name, contents);
    (dir, path)
}
