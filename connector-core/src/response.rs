//! S3's answer to a request: status, headers, and the body read with a cap, parsed as XML,
//! streamed, or decoded as an S3 error.

use crate::error::{Error, ErrorKind, Result};
use crate::s3_error;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

/// The most of an error body that is read and parsed.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// S3's answer.
#[derive(Debug)]
pub struct Response {
    pub(crate) inner: reqwest::Response,
}

impl Response {
    /// The HTTP status.
    pub fn status(&self) -> http::StatusCode {
        self.inner.status()
    }

    /// The headers.
    pub fn headers(&self) -> &http::HeaderMap {
        self.inner.headers()
    }

    /// A header as text, if present and readable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.inner.headers().get(name).and_then(|v| v.to_str().ok())
    }

    /// The declared body length, if any.
    pub fn content_length(&self) -> Option<u64> {
        self.header("content-length")?.parse().ok()
    }

    /// Reads the whole body, refusing one longer than `cap` bytes (`what` names it in the error).
    pub async fn bytes_capped(self, cap: usize, what: &str) -> Result<Bytes> {
        let too_big = || {
            Error::new(
                ErrorKind::InvalidInput,
                format!("{what} is larger than {cap} bytes"),
            )
        };
        if self.content_length().is_some_and(|len| len > cap as u64) {
            return Err(too_big());
        }
        let mut out = BytesMut::new();
        let mut stream = self.inner.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            if out.len() + chunk.len() > cap {
                return Err(too_big());
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out.freeze())
    }

    /// Parses an XML body into `T`.
    pub async fn xml<T: DeserializeOwned>(self) -> Result<T> {
        let bytes = self
            .bytes_capped(crate::xml::MAX_XML_BYTES, "the XML answer")
            .await?;
        let text = std::str::from_utf8(&bytes).map_err(|_| {
            Error::new(
                ErrorKind::Server,
                "the store answered with XML that is not UTF-8",
            )
        })?;
        crate::xml::parse(text)
    }

    /// The body as a stream of chunks.
    pub fn into_stream(self) -> impl futures_util::Stream<Item = Result<Bytes>> {
        self.inner
            .bytes_stream()
            .map(|chunk| chunk.map_err(Error::from))
    }

    /// Turns a failed answer into an error decoded from S3's body.
    pub async fn into_error(self) -> Error {
        let status = self.status();
        let headers = self.headers().clone();
        let body = self
            .bytes_capped(MAX_ERROR_BODY, "the error body")
            .await
            .unwrap_or_default();
        s3_error::from_response(status, &headers, &body)
    }
}
