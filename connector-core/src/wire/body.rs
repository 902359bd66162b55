//! Request bodies: empty, bytes in memory, or a file streamed from disk. Each knows its length,
//! its SHA-256 (signed in `x-amz-content-sha256`) and its MD5 (sent as `Content-MD5`).

use crate::error::{Error, Result};
use crate::wire::checksum::{self, ChecksumAlgorithm};
use crate::wire::signer::EMPTY_SHA256;
use base64::Engine as _;
use bytes::Bytes;
use md5::Md5;
use sha2::{Digest, Sha256};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// The size of the buffer files are read with.
const READ_CHUNK: usize = 256 * 1024;

/// A request body with its digests.
#[derive(Debug, Clone)]
pub struct Body {
    content: Content,
    len: u64,
    sha256_hex: String,
    md5: [u8; 16],
}

#[derive(Debug, Clone)]
enum Content {
    Bytes(Bytes),
    /// `len` bytes of a file from `offset`.
    File {
        path: PathBuf,
        offset: u64,
    },
}

impl Body {
    /// No body.
    pub fn empty() -> Self {
        Body {
            content: Content::Bytes(Bytes::new()),
            len: 0,
            sha256_hex: EMPTY_SHA256.to_owned(),
            md5: Md5::digest(b"").into(),
        }
    }

    /// A body held in memory.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        Body {
            len: bytes.len() as u64,
            sha256_hex: hex::encode(Sha256::digest(&bytes)),
            md5: Md5::digest(&bytes).into(),
            content: Content::Bytes(bytes),
        }
    }

    /// A body streamed from a file. The file is read once here to compute its digests (in
    /// bounded memory) and again when sent; if it changes in between, S3 refuses the upload
    /// because the signed SHA-256 no longer matches.
    pub async fn file(path: impl AsRef<Path>) -> Result<Self> {
        Self::file_range(path, 0, None).await
    }

    /// A body of `len` bytes of a file from `offset` (`None`: to the end), streamed like
    /// [`Body::file`]. Multipart uploads send each part this way.
    pub async fn file_range(path: impl AsRef<Path>, offset: u64, len: Option<u64>) -> Result<Self> {
        let path = path.as_ref().to_owned();
        tokio::task::spawn_blocking(move || Self::hash_file_range(path, offset, len))
            .await
            .map_err(|err| {
                Error::new(
                    crate::ErrorKind::Server,
                    format!("hashing task failed: {err}"),
                )
            })?
    }

    fn hash_file_range(path: PathBuf, offset: u64, len: Option<u64>) -> Result<Self> {
        let mut file = std::fs::File::open(&path)?;
        if !file.metadata()?.is_file() {
            return Err(Error::new(
                crate::ErrorKind::InvalidInput,
                format!("{} is not a regular file", path.display()),
            ));
        }
        file.seek(SeekFrom::Start(offset))?;
        let mut reader = file.take(len.unwrap_or(u64::MAX));
        let mut sha = Sha256::new();
        let mut md5 = Md5::new();
        let mut read = 0u64;
        let mut buf = vec![0u8; READ_CHUNK];
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                break;
            }
            sha.update(&buf[..n]);
            md5.update(&buf[..n]);
            read += n as u64;
        }
        if let Some(len) = len.filter(|len| *len != read) {
            return Err(Error::new(
                crate::ErrorKind::InvalidInput,
                format!(
                    "{} ended after {read} of {len} bytes: it changed while being read",
                    path.display()
                ),
            ));
        }
        Ok(Body {
            content: Content::File { path, offset },
            len: read,
            sha256_hex: hex::encode(sha.finalize()),
            md5: md5.finalize().into(),
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

    /// The hex SHA-256 of the content.
    pub fn sha256_hex(&self) -> &str {
        &self.sha256_hex
    }

    /// The base64 MD5 of the content, as `Content-MD5` wants it.
    pub fn content_md5(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.md5)
    }

    /// The MD5 of the content.
    pub fn md5(&self) -> [u8; 16] {
        self.md5
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
    /// call reads it again).
    pub(crate) async fn stream(&self) -> Result<BodyStream> {
        match &self.content {
            Content::Bytes(bytes) => {
                let bytes = bytes.clone();
                Ok(Box::pin(futures_util::stream::iter(
                    (!bytes.is_empty()).then_some(Ok(bytes)),
                )))
            }
            Content::File { path, offset } => {
                let mut file = tokio::fs::File::open(path).await?;
                file.seek(SeekFrom::Start(*offset)).await?;
                Ok(Box::pin(tokio_util::io::ReaderStream::with_capacity(
                    file.take(self.len),
                    READ_CHUNK,
                )))
            }
        }
    }

    /// The `algorithm` checksum of the content (a file is read for it).
    pub(crate) async fn checksum(&self, algorithm: ChecksumAlgorithm) -> Result<checksum::Digest> {
        use futures_util::StreamExt;
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

/// A body's content as a stream of pieces ([`Body::stream`]).
pub(crate) type BodyStream =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = std::io::Result<Bytes>> + Send>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    async fn reqwest_body_bytes(body: reqwest::Body) -> Vec<u8> {
        use futures_util::StreamExt;
        let mut stream = http_body_util::BodyDataStream::new(body);
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk.unwrap());
        }
        out
    }

    #[tokio::test]
    async fn file_and_bytes_agree() {
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(&data).unwrap();
        let from_file = Body::file(file.path()).await.unwrap();
        let from_bytes = Body::from_bytes(data.clone());
        assert_eq!(from_file.len(), data.len() as u64);
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
        let bytes = reqwest_body_bytes(part.to_reqwest().await.unwrap()).await;
        assert_eq!(bytes, &data[1000..6000]);
        assert!(
            Body::file_range(file.path(), 999_000, Some(5000))
                .await
                .is_err()
        );
        assert_eq!(Body::empty().content_md5(), "1B2M2Y8AsgTpgAmY7PhCfg==");
    }
}
