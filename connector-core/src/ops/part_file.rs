//! Writing a download to disk so that the destination only ever holds a complete file: the
//! body streams into a temporary file beside it, its length is checked, and only then is it
//! renamed into place. On any failure the temporary file is removed and an existing file at the
//! destination is left untouched.

use crate::error::{Error, ErrorKind, Result};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use std::io::{IoSlice, Seek, SeekFrom, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// Where a download of `key` goes when the user asked for `save_to`, once that path has been
/// resolved to `resolved` (by the framework's `LocalFiles`): a folder, written with a trailing
/// `/` or existing at `resolved`, receives the key's file name. The answer always
/// ends in a plain file name, so the temporary file beside it is in the same folder.
pub fn destination(save_to: &str, resolved: &Path, key: &str) -> Result<PathBuf> {
    let names_folder = save_to.ends_with('/')
        || save_to.ends_with(std::path::MAIN_SEPARATOR)
        || save_to == "."
        || save_to.ends_with("/.")
        || resolved.is_dir();
    if names_folder {
        let name = crate::ops::keys::file_name(key);
        return match file_name_alone(name) {
            Some(name) => Ok(resolved.join(name)),
            None => Err(Error::invalid_input(
                "save_to",
                format!(
                    "the key {key:?} does not end in a usable file name ({name:?}), so it cannot \
                     be saved into a folder: give save_to the path of a file"
                ),
            )),
        };
    }
    match resolved.components().next_back() {
        Some(Component::Normal(_)) => Ok(resolved.to_owned()),
        _ => Err(Error::invalid_input(
            "save_to",
            format!("{save_to} does not name a file or a folder: give the path of a file"),
        )),
    }
}

/// `name` when joining it to a folder gives a file directly inside that folder: not empty,
/// not `.` or `..`, without a separator or NUL.
fn file_name_alone(name: &str) -> Option<&str> {
    let mut components = Path::new(name).components();
    let alone = matches!(components.next(), Some(Component::Normal(n)) if n == name)
        && components.next().is_none()
        && !name.contains(['/', std::path::MAIN_SEPARATOR, '\0']);
    alone.then_some(name)
}

/// Streams `body` into `dest` atomically; `expected_len` (from `Content-Length`) must match
/// the bytes received. Returns the number of bytes written.
pub async fn save_atomically(
    body: impl Stream<Item = Result<Bytes>>,
    expected_len: Option<u64>,
    dest: &Path,
) -> Result<u64> {
    let (file, temp_path) = temp_file_beside(dest)?;
    let mut file = FileWriter::new(file, 0, WRITE_BATCH);
    let mut written = 0u64;
    let mut body = std::pin::pin!(body);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|err| err.context("the download broke off"))?;
        written += chunk.len() as u64;
        file.write(chunk)
            .await
            .map_err(|err| io_error(err, "writing", dest))?;
    }
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

/// How many received bytes a [`FileWriter`] gathers before it writes them.
pub(crate) const WRITE_BATCH: usize = 1024 * 1024;

/// Writes received bytes into a file from an offset on, without copying them in user space:
/// the pieces (as they came off the network) are kept until `batch` bytes are gathered, then
/// written at their place with vectored writes (one system call for most batches) on tokio's
/// blocking threads. It owns its file handle, whose position it moves: writers of other ranges
/// of the same file each open their own.
#[derive(Debug)]
pub(crate) struct FileWriter {
    file: Arc<std::fs::File>,
    /// Where the first pending byte goes.
    position: u64,
    pending: Vec<Bytes>,
    pending_len: usize,
    batch: usize,
}

impl FileWriter {
    /// A writer of `file` from byte `position` on, writing `batch` bytes at a time.
    pub(crate) fn new(file: std::fs::File, position: u64, batch: usize) -> Self {
        FileWriter {
            file: Arc::new(file),
            position,
            pending: Vec::new(),
            pending_len: 0,
            batch,
        }
    }

    /// Takes `piece`, the next bytes; writes what is gathered once it makes a batch.
    pub(crate) async fn write(&mut self, piece: Bytes) -> std::io::Result<()> {
        if piece.is_empty() {
            return Ok(());
        }
        self.pending_len += piece.len();
        self.pending.push(piece);
        if self.pending_len >= self.batch {
            self.flush().await?;
        }
        Ok(())
    }

    /// Writes what is gathered.
    pub(crate) async fn flush(&mut self) -> std::io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pieces = std::mem::take(&mut self.pending);
        let (file, position) = (self.file.clone(), self.position);
        blocking(move || write_all_at(&file, position, &pieces)).await?;
        self.position += self.pending_len as u64;
        self.pending_len = 0;
        Ok(())
    }

    /// Writes what is gathered and waits for the file to be on disk (`fsync`).
    pub(crate) async fn sync_all(&mut self) -> std::io::Result<()> {
        self.flush().await?;
        let file = self.file.clone();
        blocking(move || file.sync_all()).await
    }
}

/// Writes `pieces`, one after the other, into `file` from `offset` on.
fn write_all_at(file: &std::fs::File, offset: u64, pieces: &[Bytes]) -> std::io::Result<()> {
    let mut file = file;
    file.seek(SeekFrom::Start(offset))?;
    let mut slices: Vec<IoSlice<'_>> = pieces.iter().map(|piece| IoSlice::new(piece)).collect();
    let mut slices = &mut slices[..];
    IoSlice::advance_slices(&mut slices, 0);
    while !slices.is_empty() {
        match file.write_vectored(slices) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut slices, n),
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

/// Runs the file operation `f` on tokio's blocking threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|err| std::io::Error::other(format!("a file task failed: {err}")))?
}

/// A download in progress: a temporary file beside its destination, removed when dropped
/// unless [`put_in_place`]. It reads as the path of that file.
#[derive(Debug)]
pub(crate) struct PartFile {
    path: tempfile::TempPath,
    /// The mode of a new file here (`0666` less the umask).
    new_file_mode: u32,
}

impl std::ops::Deref for PartFile {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.path
    }
}

/// A new temporary file in `dest`'s folder (created if missing), removed when dropped unless
/// put in place: a download in progress never sits at the destination itself.
///
/// It is readable by its owner only while the bytes arrive; once in place it gets the mode of
/// the file it replaces, or the mode a new file gets from `cp` or `curl -o` (`0666` less the
/// umask).
pub(crate) fn temp_file_beside(dest: &Path) -> Result<(std::fs::File, PartFile)> {
    let dir = match dest.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|err| io_error(err, "creating the folder", &dir))?;
    let creating = |err| io_error(err, "creating a temporary file in", &dir);
    let new_file_mode = new_file_mode(&dir).map_err(creating)?;
    let temp = tempfile::Builder::new()
        .prefix(".s3c-download-")
        .suffix(".part")
        .permissions(std::fs::Permissions::from_mode(0o600))
        .tempfile_in(&dir)
        .map_err(creating)?;
    let (file, path) = temp.into_parts();
    Ok((
        file,
        PartFile {
            path,
            new_file_mode,
        },
    ))
}

/// The mode a new file gets in `dir`: `0666` narrowed by the umask, read off an empty probe
/// file (the umask cannot be read without unsafe code).
fn new_file_mode(dir: &Path) -> std::io::Result<u32> {
    let probe = tempfile::Builder::new()
        .prefix(".s3c-mode-")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)?;
    Ok(probe.as_file().metadata()?.permissions().mode() & 0o777)
}

/// Renames a finished download into place. A file it replaces keeps its mode (its permission
/// bits); a new file gets the mode of new files (`0666` less the umask).
pub(crate) fn put_in_place(part: PartFile, dest: &Path) -> Result<()> {
    let mode = match std::fs::symlink_metadata(dest) {
        Ok(existing) if existing.is_file() => existing.permissions().mode() & 0o777,
        _ => part.new_file_mode,
    };
    std::fs::set_permissions(&part.path, std::fs::Permissions::from_mode(mode))
        .map_err(|err| io_error(err, "finishing", dest))?;
    part.path
        .persist(dest)
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

    /// Ranges written by writers of their own, in any order, in pieces of any size (gathered
    /// into batches or written on flush), land at their offsets.
    #[tokio::test]
    async fn writers_put_ranges_at_their_offsets_in_any_order() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 241) as u8).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.bin");
        std::fs::File::create(&path).unwrap();
        let open = || std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        // The last range first, a middle one in small pieces, the first in one piece.
        let ranges = [
            (200_000, 300_000, 7_777),
            (50_000, 200_000, 1_000),
            (0, 50_000, 50_000),
        ];
        for (start, end, piece) in ranges {
            let mut writer = FileWriter::new(open(), start as u64, 16_384);
            for chunk in data[start..end].chunks(piece) {
                writer.write(Bytes::copy_from_slice(chunk)).await.unwrap();
                writer.write(Bytes::new()).await.unwrap();
            }
            writer.flush().await.unwrap();
        }
        assert_eq!(std::fs::read(&path).unwrap(), data);

        // Bytes not yet flushed are not written; sync_all writes them.
        let mut writer = FileWriter::new(open(), 300_000, 1 << 20);
        writer.write(Bytes::from_static(b"tail")).await.unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 300_000);
        writer.sync_all().await.unwrap();
        let written = std::fs::read(&path).unwrap();
        assert_eq!(written.len(), 300_004);
        assert_eq!(&written[300_000..], b"tail");
    }

    #[test]
    fn folders_receive_the_file_name() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        let dest = |save_to: &str, key: &str| destination(save_to, Path::new(save_to), key);
        assert_eq!(dest(d, "a/b/c.txt").unwrap(), dir.path().join("c.txt"));
        assert_eq!(
            dest("x/y.txt", "a/b/c.txt").unwrap(),
            PathBuf::from("x/y.txt")
        );
        assert_eq!(dest("x/", "a/b/c.txt").unwrap(), PathBuf::from("x/c.txt"));
        assert_eq!(dest("x/", "a/b/").unwrap(), PathBuf::from("x/b"));
    }

    #[test]
    fn the_folder_test_is_made_on_the_resolved_path() {
        // A folder that exists where save_to was resolved (under a files folder), not in the
        // working directory.
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let resolved = dir.path().join("sub");
        assert_eq!(
            destination("sub", &resolved, "k/c.txt").unwrap(),
            resolved.join("c.txt")
        );
    }

    #[test]
    fn a_destination_always_ends_in_a_file_name_inside_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("files");
        std::fs::create_dir(&root).unwrap();
        // Keys whose last segment is no file name: the destination would be the folder itself,
        // and its temporary file would go to the folder's parent.
        for key in ["/", "a//", "//", "a/.", "a/..", "."] {
            for save_to in [".", "./", "files/"] {
                let err = destination(save_to, &root, key).unwrap_err();
                assert_eq!(err.kind(), ErrorKind::InvalidInput, "{key:?} {save_to:?}");
                assert_eq!(err.field(), Some("save_to"));
            }
        }
        // A path that names no file (ends in `..`) and is no existing folder.
        let missing = dir.path().join("missing/..");
        assert!(destination("missing/..", &missing, "k").is_err());
        for key in ["a/b.txt", "b.txt", "a/b/", "a\\b"] {
            let dest = destination(".", &root, key).unwrap();
            assert_eq!(dest.parent(), Some(root.as_path()), "{key:?}");
        }
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_download_in_progress_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let (_file, part) = temp_file_beside(&dir.path().join("out.bin")).unwrap();
        assert_eq!(mode(&part), 0o600);
        // The probe that read the umask is gone.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[tokio::test]
    async fn a_replaced_file_keeps_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("private.txt");
        std::fs::write(&dest, b"old").unwrap();
        std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o600)).unwrap();
        save_atomically(chunks(vec![Ok(b"new")]), Some(3), &dest)
            .await
            .unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"new");
        assert_eq!(mode(&dest), 0o600);

        std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o640)).unwrap();
        let (file, part) = temp_file_beside(&dest).unwrap();
        drop(file);
        put_in_place(part, &dest).unwrap();
        assert_eq!(mode(&dest), 0o640);
    }
}
