//! The file store port: where uploaded and received files' bytes are kept, by key. `LocalDisk`
//! (a folder) is the default.

use std::path::PathBuf;

use crate::error::{DomainError, Result};

/// Where file contents live. Keys are made by Omnipanel (`<organization>/<id>-<random>`).
#[async_trait::async_trait]
pub trait FileStore: Send + Sync {
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<()>;
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>>;
    /// Removes a file; one that is not there is already removed.
    async fn delete(&self, key: &str) -> Result<()>;
}

/// Files in a folder on local disk, written to a temporary name and renamed, so a reader never
/// sees half a file.
pub struct LocalDisk {
    root: PathBuf,
}

impl LocalDisk {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, key: &str) -> Result<PathBuf> {
        // Keys are ours, but never let one climb out of the folder.
        let safe = !key.is_empty()
            && key
                .split('/')
                .all(|part| !part.is_empty() && part != ".." && part != ".")
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_/".contains(c));
        if safe {
            Ok(self.root.join(key))
        } else {
            Err(DomainError::Internal(format!("bad storage key {key:?}")))
        }
    }
}

fn io(error: std::io::Error) -> DomainError {
    DomainError::Internal(format!("file storage: {error}"))
}

#[async_trait::async_trait]
impl FileStore for LocalDisk {
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<()> {
        let path = self.path(key)?;
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(io)?;
        }
        let partial = path.with_extension("partial");
        tokio::fs::write(&partial, bytes).await.map_err(io)?;
        tokio::fs::rename(&partial, &path).await.map_err(io)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        match tokio::fs::read(self.path(key)?).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(io(error)),
        }
    }

    async fn delete(&self, key: &str) -> Result<()> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(io(error)),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_keys_cannot_leave_the_folder() {
        let disk = LocalDisk::new("/tmp/x");
        assert!(disk.path("org/file-abc").is_ok());
        assert!(disk.path("../x").is_err());
        assert!(disk.path("org//x").is_err());
        assert!(disk.path("/abs").is_err());
    }
}
