//! Writing a download to disk so that the destination only ever holds a complete file: the
//! body streams into a temporary file beside it, its length is checked, and only then is it
//! renamed into place. On any failure the temporary file is removed and an existing file at the
//! destination is left untouched.

use crate::error::{Error, ErrorKind, Result};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// Where a download for `key` goes when the user named `save_to`: a directory (existing, or
/// written with a trailing `/`) receives the key's file name.
pub fn destination(save_to: &str, key: &str) -> PathBuf {
    let path = PathBuf::from(save_to);
    if save_to.ends_with('/') || save_to.ends_with(std::path::MAIN_SEPARATOR) || path.is_dir() {
        path.join(crate::keys::file_name(key))
    } else {
        path
    }
}

/// Streams `body` into `dest` atomically; `expected_len` (from `Content-Length`) must match
/// the bytes received. Returns the number of bytes written.
pub async fn save_atomically(
    body: impl Stream<Item = Result<Bytes>>,
    expected_len: Option<u64>,
    dest: &Path,
) -> Result<u64> {
    let (file, temp_path) = temp_file_beside(dest)?;
    let mut file = tokio::fs::File::from_std(file);
    let mut written = 0u64;
    let mut body = std::pin::pin!(body);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|err| err.context("the download broke off"))?;
        file.write_all(&chunk)
            .await
            .map_err(|err| io_error(err, "writing", dest))?;
        written += chunk.len() as u64;
    }
    file.flush()
        .await
        .map_err(|err| io_error(err, "writing", dest))?;
    file.sync_all()
        .await
        .map_err(|err| io_error(err, "writing", dest))?;
    drop(file);
    if let Some(expected) = expected_len
        && expected != written
    {
        return Err(Error::new(
            ErrorKind::Network,
            format!("the download ended after {written} of {expected} bytes; nothing was saved"),
        ));
    }
    put_in_place(temp_path, dest)?;
    Ok(written)
}

/// A new temporary file in `dest`'s folder (created if missing), removed when dropped unless
/// persisted: a download in progress never sits at the destination itself.
pub(crate) fn temp_file_beside(dest: &Path) -> Result<(std::fs::File, tempfile::TempPath)> {
    let dir = match dest.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|err| io_error(err, "creating the folder", &dir))?;
    let temp = tempfile::Builder::new()
        .prefix(".s3c-download-")
        .suffix(".part")
        .tempfile_in(&dir)
        .map_err(|err| io_error(err, "creating a temporary file in", &dir))?;
    Ok(temp.into_parts())
}

/// Renames a finished download into place, readable as a file created normally would be
/// (temporary files are created owner-only).
pub(crate) fn put_in_place(temp: tempfile::TempPath, dest: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(0o644))
        .map_err(|err| io_error(err, "finishing", dest))?;
    temp.persist(dest)
        .map_err(|err| io_error(err.error, "moving the finished download to", dest))?;
    Ok(())
}

pub(crate) fn io_error(err: std::io::Error, doing: &str, path: &Path) -> Error {
    let kind = match err.kind() {
        std::io::ErrorKind::PermissionDenied => ErrorKind::AccessDenied,
        _ => ErrorKind::InvalidInput,
    };
    Error::new(kind, format!("{doing} {}: {err}", path.display()))
        .with_field("save_to")
        .with_source(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(parts: Vec<Result<&'static [u8]>>) -> impl Stream<Item = Result<Bytes>> {
        futures_util::stream::iter(parts.into_iter().map(|p| p.map(Bytes::from_static)))
    }

    fn entries(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }

    #[tokio::test]
    async fn complete_downloads_land() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("sub/out.bin");
        let n = save_atomically(chunks(vec![Ok(b"hello "), Ok(b"world")]), Some(11), &dest)
            .await
            .unwrap();
        assert_eq!(n, 11);
        assert_eq!(std::fs::read(&dest).unwrap(), b"hello world");
        assert_eq!(entries(&dir.path().join("sub")), vec!["out.bin"]);
    }

    #[tokio::test]
    async fn failed_downloads_leave_nothing_and_keep_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.bin");
        std::fs::write(&dest, b"old").unwrap();
        let broken = chunks(vec![
            Ok(b"partial"),
            Err(Error::new(ErrorKind::Network, "connection reset")),
        ]);
        assert!(save_atomically(broken, Some(100), &dest).await.is_err());
        let short = chunks(vec![Ok(b"short")]);
        let err = save_atomically(short, Some(100), &dest).await.unwrap_err();
        assert!(err.message().contains("5 of 100"));
        assert_eq!(std::fs::read(&dest).unwrap(), b"old");
        assert_eq!(entries(dir.path()), vec!["out.bin"]);
    }

    #[test]
    fn directories_receive_the_file_name() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        assert_eq!(destination(d, "a/b/c.txt"), dir.path().join("c.txt"));
        assert_eq!(
            destination("x/y.txt", "a/b/c.txt"),
            PathBuf::from("x/y.txt")
        );
        assert_eq!(destination("x/", "a/b/c.txt"), PathBuf::from("x/c.txt"));
    }
}
