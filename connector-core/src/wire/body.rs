//! Request bodies: empty, bytes in memory, or a file (or a range of one) streamed from disk.
//! Each knows its length; its SHA-256 (signed in `x-amz-content-sha256`) and MD5 (sent as
//! `Content-MD5`) are computed only when a request needs them, once. A body streamed
//! aws-chunked with a flexible checksum never needs them: its file is read once, while it is
//! sent.
//!
//! A file body remembers the file's size and modification time when it was made. Every read
//! checks them at its start and again after its last byte, so a file changed while it was
//! being read is an error (the upload is cut off and fails) rather than an object of torn
//! content. (A body sent signed by its SHA-256 is also refused by S3 when its bytes no longer
//! match the hash, which covers an HTTP client that stops reading at the declared length.)

use crate::error::{Error, ErrorKind, Result};
use crate::wire::checksum::{self, ChecksumAlgorithm};
use crate::wire::signer::EMPTY_SHA256;
use base64::Engine as _;
use bytes::Bytes;
use futures_util::StreamExt;
use md5::Md5;
use sha2::{Digest, Sha256};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

/// The size of the buffer files are read with.
const READ_CHUNK: usize = 256 * 1024;

/// A request body. Clones share the digests once computed.
#[derive(Debug, Clone)]
pub struct Body {
    content: Content,
    len: u64,
    digests: Arc<OnceLock<Digests>>,
}

#[derive(Debug, Clone)]
enum Content {
    Bytes(Bytes),
    /// `len` bytes of a file from `offset`, as the file was when the body was made.
    File {
        path: PathBuf,
        offset: u64,
        version: FileVersion,
    },
}

/// The SHA-256 and MD5 of a body.
#[derive(Debug, Clone)]
struct Digests {
    sha256_hex: String,
    md5: [u8; 16],
}

impl Digests {
    fn of(bytes: &[u8]) -> Self {
        Digests {
            sha256_hex: hex::encode(Sha256::digest(bytes)),
            md5: Md5::digest(bytes).into(),
        }
    }
}

/// What says a file is still the one a body was made of: its size and modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileVersion {
    len: u64,
    modified: Option<SystemTime>,
}

impl FileVersion {
    fn of(metadata: &std::fs::Metadata) -> Self {
        FileVersion {
            len: metadata.len(),
            modified: metadata.modified().ok(),
        }
    }

    /// An `InvalidData` error (the send path's "body changed") when `now` is not this version.
    fn check(&self, path: &Path, now: FileVersion) -> std::io::Result<()> {
        if now == *self {
            return Ok(());
        }
        let what = if now.len != self.len {
            format!("its size went from {} to {} bytes", self.len, now.len)
        } else {
            "its modification time changed".to_owned()
        };
        Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{} changed while being read: {what}", path.display()),
        ))
    }
}

impl Body {
    /// No body.
    pub fn empty() -> Self {
        Self::from_bytes(Bytes::new())
    }

    /// A body held in memory.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        Body {
            len: bytes.len() as u64,
            content: Content::Bytes(bytes),
            digests: Arc::default(),
        }
    }

    /// A body streamed from a file, as it is now (its size and modification time are kept:
    /// a read that finds them changed fails). Nothing is read here.
    pub async fn file(path: impl AsRef<Path>) -> Result<Self> {
        Self::file_range(path, 0, None).await
    }

    /// A body of `len` bytes of a file from `offset` (`None`: to the end), streamed like
    /// [`Body::file`]. A range past the file's end is refused.
    pub async fn file_range(path: impl AsRef<Path>, offset: u64, len: Option<u64>) -> Result<Self> {
        let path = path.as_ref().to_owned();
        let metadata = tokio::fs::metadata(&path).await?;
        if !metadata.is_file() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("{} is not a regular file", path.display()),
            ));
        }
        let version = FileVersion::of(&metadata);
        let whole = Body {
            len: version.len,
            content: Content::File {
                path,
                offset: 0,
                version,
            },
            digests: Arc::default(),
        };
        let len = len.unwrap_or(version.len.saturating_sub(offset));
        whole.slice(offset, len)
    }

    /// `len` bytes of this body from `offset`: for a file, a range of the same file as it was
    /// when this body was made (the parts of one multipart upload share that). A range past
    /// the end is an error saying the content changed.
    pub fn slice(&self, offset: u64, len: u64) -> Result<Self> {
        let end = offset.checked_add(len).filter(|end| *end <= self.len);
        let Some(end) = end else {
            let what = match &self.content {
                Content::File { path, .. } => path.display().to_string(),
                Content::Bytes(_) => "the body".to_owned(),
            };
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "{what} ends after {} bytes, before {offset} + {len}: it changed while being read",
                    self.len
                ),
            ));
        };
        let content = match &self.content {
            Content::Bytes(bytes) => Content::Bytes(bytes.slice(offset as usize..end as usize)),
            Content::File {
                path,
                offset: start,
                version,
            } => Content::File {
                path: path.clone(),
                offset: start + offset,
                version: *version,
            },
        };
        Ok(Body {
            content,
            len,
            digests: Arc::default(),
        })
    }

    /// The length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the body is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Computes the SHA-256 and MD5 now, if not yet known: a file is read once for both (off
    /// the async threads). The send path does this before it signs a body by its SHA-256; do
    /// it before [`Body::content_md5`] on a file body. Bytes in memory need nothing.
    pub async fn compute_digests(&self) -> Result<()> {
        if self.digests.get().is_some() {
            return Ok(());
        }
        let Content::File {
            path,
            offset,
            version,
        } = &self.content
        else {
            self.digests();
            return Ok(());
        };
        let (path, offset, version, len) = (path.clone(), *offset, *version, self.len);
        let digests =
            tokio::task::spawn_blocking(move || hash_file_range(&path, offset, len, version))
                .await
                .map_err(|err| {
                    Error::new(ErrorKind::Server, format!("hashing task failed: {err}"))
                })?
                .map_err(read_error)?;
        let _ = self.digests.set(digests);
        Ok(())
    }

    /// The digests: computed now for bytes in memory; for a file, those
    /// [`Body::compute_digests`] computed, else computed here, blocking the thread (a file
    /// that cannot be read then gets digests of nothing, which S3 refuses).
    fn digests(&self) -> &Digests {
        if let Some(digests) = self.digests.get() {
            return digests;
        }
        let digests = match &self.content {
            Content::Bytes(bytes) => Digests::of(bytes),
            Content::File {
                path,
                offset,
                version,
            } => hash_file_range(path, *offset, self.len, *version).unwrap_or_else(|err| {
                tracing::warn!(path = %path.display(), error = %err, "a file body could not be hashed");
                Digests::of(b"")
            }),
        };
        self.digests.get_or_init(|| digests)
    }

    /// The hex SHA-256 of the content (see [`Body::compute_digests`] for a file).
    pub fn sha256_hex(&self) -> &str {
        if self.is_empty() {
            return EMPTY_SHA256;
        }
        &self.digests().sha256_hex
    }

    /// The base64 MD5 of the content, as `Content-MD5` wants it (see
    /// [`Body::compute_digests`] for a file).
    pub fn content_md5(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.md5())
    }

    /// The MD5 of the content (see [`Body::compute_digests`] for a file).
    pub fn md5(&self) -> [u8; 16] {
        self.digests().md5
    }

    /// Whether the SHA-256 and MD5 have been computed (bytes in memory: on first use).
    pub fn digests_known(&self) -> bool {
        self.digests.get().is_some()
    }

    /// The file the body streams from, if it is a file.
    pub fn file_path(&self) -> Option<&Path> {
        match &self.content {
            Content::File { path, .. } => Some(path),
            Content::Bytes(_) => None,
        }
    }

    /// The bytes of a body held in memory.
    pub fn bytes(&self) -> Option<&Bytes> {
        match &self.content {
            Content::Bytes(bytes) => Some(bytes),
            Content::File { .. } => None,
        }
    }

    /// The body as reqwest sends it: bytes as they are, files streamed in chunks.
    pub(crate) async fn to_reqwest(&self) -> Result<reqwest::Body> {
        match &self.content {
            Content::Bytes(bytes) => Ok(reqwest::Body::from(bytes.clone())),
            Content::File { .. } => Ok(reqwest::Body::wrap_stream(self.stream().await?)),
        }
    }

    /// The content as a stream of pieces, read from the start (a file is opened anew: each
    /// call reads it again). A file whose size or modification time is not what it was when
    /// the body was made ends the stream with an `InvalidData` error, checked at the start and
    /// again after the last byte.
    pub(crate) async fn stream(&self) -> Result<BodyStream> {
        match &self.content {
            Content::Bytes(bytes) => {
                let bytes = bytes.clone();
                Ok(Box::pin(futures_util::stream::iter(
                    (!bytes.is_empty()).then_some(Ok(bytes)),
                )))
            }
            Content::File {
                path,
                offset,
                version,
            } => {
                let file = {
                    let (path, version) = (path.clone(), *version);
                    blocking(move || {
                        let file = std::fs::File::open(&path)?;
                        version.check(&path, FileVersion::of(&file.metadata()?))?;
                        Ok(file)
                    })
                    .await
                    .map_err(read_error)?
                };
                let (path, version) = (path.clone(), *version);
                let shorter = path.clone();
                let unchanged = futures_util::stream::once(async move {
                    let now = tokio::fs::metadata(&path).await;
                    now.and_then(|now| version.check(&path, FileVersion::of(&now)))
                        .err()
                        .map(Err)
                })
                .filter_map(std::future::ready);
                let content = file_chunks(file, *offset, self.len, READ_CHUNK).map(move |piece| {
                    piece.map_err(|err| match err.kind() {
                        // The file ends before the range: it was cut while being read.
                        std::io::ErrorKind::UnexpectedEof => std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            format!(
                                "{} changed while being read: it became shorter",
                                shorter.display()
                            ),
                        ),
                        _ => err,
                    })
                });
                Ok(Box::pin(content.chain(unchanged)))
            }
        }
    }

    /// The `algorithm` checksum of the content (a file is read for it).
    pub(crate) async fn checksum(&self, algorithm: ChecksumAlgorithm) -> Result<checksum::Digest> {
        if let Content::Bytes(bytes) = &self.content {
            return Ok(algorithm.digest(bytes));
        }
        let mut hasher = algorithm.hasher();
        let mut stream = self.stream().await?;
        while let Some(piece) = stream.next().await {
            hasher.update(&piece?);
        }
        Ok(hasher.finish())
    }
}

/// `len` bytes of `file` from `offset`, in pieces of `chunk` bytes (the last one shorter), each
/// read off the async threads straight into the [`Bytes`] that is handed on: the only copy of
/// a byte in user space is the kernel's, from the page cache into that buffer. One piece is
/// read at a time, when the stream is polled. A file that ends early fails the stream
/// (`UnexpectedEof`), and the stream ends after its first error.
fn file_chunks(
    file: std::fs::File,
    offset: u64,
    len: u64,
    chunk: usize,
) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    let file = Arc::new(file);
    let end = offset.saturating_add(len);
    futures_util::stream::try_unfold(offset, move |position| {
        let file = file.clone();
        async move {
            if position >= end {
                return Ok(None);
            }
            let n = usize::try_from(end - position).map_or(chunk, |left| left.min(chunk));
            let piece = blocking(move || read_exact_at(&file, position, n)).await?;
            Ok(Some((piece, position + n as u64)))
        }
    })
}

/// `n` bytes of `file` from `offset`, read into a new buffer with one positional read (more
/// only when the system returns fewer bytes).
fn read_exact_at(file: &std::fs::File, offset: u64, n: usize) -> std::io::Result<Bytes> {
    use std::os::unix::fs::FileExt;
    let mut buffer = vec![0u8; n];
    file.read_exact_at(&mut buffer, offset)?;
    Ok(Bytes::from(buffer))
}

/// Runs the file operation `f` on tokio's blocking threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|err| std::io::Error::other(format!("a file task failed: {err}")))?
}

/// The digests of `len` bytes of the file at `path` from `offset`, which must still be
/// `version` before and after the read.
fn hash_file_range(
    path: &Path,
    offset: u64,
    len: u64,
    version: FileVersion,
) -> std::io::Result<Digests> {
    let mut file = std::fs::File::open(path)?;
    version.check(path, FileVersion::of(&file.metadata()?))?;
    file.seek(SeekFrom::Start(offset))?;
    let mut reader = file.take(len);
    let mut sha = Sha256::new();
    let mut md5 = Md5::new();
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        sha.update(&buf[..n]);
        md5.update(&buf[..n]);
    }
    version.check(path, FileVersion::of(&std::fs::metadata(path)?))?;
    Ok(Digests {
        sha256_hex: hex::encode(sha.finalize()),
        md5: md5.finalize().into(),
    })
}

/// The error of a failed read of a file body: a file that changed is an `invalid_input` error
/// (sending again cannot help), other failures as their kind says.
fn read_error(err: std::io::Error) -> Error {
    if err.kind() == std::io::ErrorKind::InvalidData {
        return Error::new(
            ErrorKind::InvalidInput,
            format!("{err}; upload it again once it no longer changes"),
        )
        .with_retryable(false);
    }
    Error::from(err)
}

/// A body's content as a stream of pieces ([`Body::stream`]).
pub(crate) type BodyStream =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = std::io::Result<Bytes>> + Send>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    async fn reqwest_body_bytes(body: reqwest::Body) -> std::io::Result<Vec<u8>> {
        let mut stream = http_body_util::BodyDataStream::new(body);
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk.map_err(std::io::Error::other)?);
        }
        Ok(out)
    }

    #[tokio::test]
    async fn file_and_bytes_agree() {
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(&data).unwrap();
        let from_file = Body::file(file.path()).await.unwrap();
        let from_bytes = Body::from_bytes(data.clone());
        assert_eq!(from_file.len(), data.len() as u64);
        from_file.compute_digests().await.unwrap();
        assert_eq!(from_file.sha256_hex(), from_bytes.sha256_hex());
        assert_eq!(from_file.content_md5(), from_bytes.content_md5());
        assert_eq!(
            Body::empty().sha256_hex(),
            crate::wire::signer::sha256_hex(b"")
        );
        let part = Body::file_range(file.path(), 1000, Some(5000))
            .await
            .unwrap();
        assert_eq!(
            part.sha256_hex(),
            Body::from_bytes(data[1000..6000].to_vec()).sha256_hex()
        );
        let bytes = reqwest_body_bytes(part.to_reqwest().await.unwrap())
            .await
            .unwrap();
        assert_eq!(bytes, &data[1000..6000]);
        let sliced = from_file.slice(2000, 10).unwrap();
        assert_eq!(sliced.md5(), from_bytes.slice(2000, 10).unwrap().md5());
        assert!(from_file.slice(999_995, 10).is_err());
        assert!(
            Body::file_range(file.path(), 999_000, Some(5000))
                .await
                .is_err()
        );
        assert_eq!(Body::empty().content_md5(), "1B2M2Y8AsgTpgAmY7PhCfg==");
    }

    /// Making a file body reads nothing (a file that cannot be read still makes one), and the
    /// digests are computed on demand, once, shared by clones.
    #[tokio::test]
    async fn a_file_body_is_hashed_only_when_asked() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), b"hello").unwrap();
        let body = Body::file(file.path()).await.unwrap();
        assert!(!body.digests_known());
        let clone = body.clone();
        clone.compute_digests().await.unwrap();
        assert!(body.digests_known());
        assert_eq!(body.content_md5(), "XUFAKrxLKna5cZ2REBfFkg==");
        let bytes = Body::from_bytes("hello");
        assert!(!bytes.digests_known());
        assert_eq!(bytes.sha256_hex(), body.sha256_hex());
    }

    /// A range at an offset is read in pieces of the chunk size (the last one shorter), each
    /// with the file's bytes at its place; an empty range gives no piece; a file shorter than
    /// the range fails the stream.
    #[tokio::test]
    async fn file_chunks_read_a_range_at_its_offset() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 253) as u8).collect();
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), &data).unwrap();
        let open = || std::fs::File::open(file.path()).unwrap();
        let pieces: Vec<Bytes> = file_chunks(open(), 12_345, 50_000, 16_384)
            .map(|piece| piece.unwrap())
            .collect()
            .await;
        let sizes: Vec<usize> = pieces.iter().map(Bytes::len).collect();
        assert_eq!(sizes, [16_384, 16_384, 16_384, 848]);
        assert_eq!(pieces.concat(), &data[12_345..62_345]);
        assert_eq!(file_chunks(open(), 500, 0, 16_384).count().await, 0);

        let past_end: Vec<std::io::Result<Bytes>> =
            file_chunks(open(), 90_000, 20_000, 4096).collect().await;
        let (last, read) = past_end.split_last().unwrap();
        assert_eq!(read.len(), 2, "the whole pieces before the end");
        assert!(read.iter().all(|piece| piece.is_ok()));
        let err = last.as_ref().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);

        // Through a body: a file cut while it is streamed fails as changed, first thing.
        let body = Body::file_range(file.path(), 1000, Some(90_000))
            .await
            .unwrap();
        assert_eq!(read_all(&body).await.unwrap(), &data[1000..91_000]);
        let stream = body.stream().await.unwrap();
        std::fs::File::options()
            .write(true)
            .open(file.path())
            .unwrap()
            .set_len(50_000)
            .unwrap();
        let first_error = stream
            .filter_map(|piece| std::future::ready(piece.err()))
            .next()
            .await
            .expect("a file cut while streamed ended well");
        assert_eq!(first_error.kind(), std::io::ErrorKind::InvalidData);
        assert!(
            first_error.to_string().contains("became shorter"),
            "{first_error}"
        );
    }

    /// Drains `body`'s stream: its bytes, or the first error (also one at the start).
    async fn read_all(body: &Body) -> Result<Vec<u8>> {
        let mut stream = body.stream().await?;
        let mut out = Vec::new();
        while let Some(piece) = stream.next().await {
            out.extend_from_slice(&piece.map_err(read_error)?);
        }
        Ok(out)
    }

    /// Sets the file's modification time `secs` seconds later than it is.
    fn touch_later(path: &Path, secs: u64) {
        let file = std::fs::File::options().write(true).open(path).unwrap();
        let modified = file.metadata().unwrap().modified().unwrap();
        file.set_modified(modified + std::time::Duration::from_secs(secs))
            .unwrap();
    }

    /// A file changed after its body was made (same size and another modification time, or
    /// another size) fails every read (the stream, the checksum, the digests) with an
    /// `invalid_input` error that is not retried; one changed while it is streamed fails the
    /// stream at its end.
    #[tokio::test]
    async fn a_changed_file_fails_its_reads() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), b"first version").unwrap();
        let body = Body::file(file.path()).await.unwrap();
        let part = body.slice(0, 5).unwrap();
        assert_eq!(read_all(&part).await.unwrap(), b"first");

        let mut stream = body.stream().await.unwrap();
        std::fs::write(file.path(), b"other version").unwrap();
        touch_later(file.path(), 5);
        let mut failed = None;
        while let Some(piece) = stream.next().await {
            if let Err(err) = piece {
                failed = Some(err);
            }
        }
        let failed = failed.expect("a file changed while streamed ended well");
        assert_eq!(failed.kind(), std::io::ErrorKind::InvalidData);

        for body in [&body, &part] {
            let err = read_all(body).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            assert!(!err.is_retryable());
            assert!(
                err.to_string().contains("changed while being read"),
                "{err}"
            );
            assert!(body.checksum(ChecksumAlgorithm::Crc32c).await.is_err());
            let err = body.compute_digests().await.unwrap_err();
            assert!(
                err.to_string().contains("modification time changed"),
                "{err}"
            );
        }
        std::fs::write(file.path(), b"short").unwrap();
        let err = body.compute_digests().await.unwrap_err();
        assert!(err.to_string().contains("size went from 13 to 5"), "{err}");
    }
}
