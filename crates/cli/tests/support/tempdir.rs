//! A directory of its own per test, removed when the test ends.

use std::path::PathBuf;

/// A temporary directory named after the test and this process.
pub struct TempDir(pub PathBuf);

#[allow(dead_code)] // each test file uses its own subset
impl TempDir {
    /// A fresh, empty directory for `test`.
    pub fn new(test: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("prebounce-cli-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    /// Writes `content` to `name` in this directory and returns its path.
    pub fn file(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, content).expect("write fixture");
        path
    }

    /// The path of `name` in this directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
