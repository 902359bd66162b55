//! S3's answer to a request: status, headers, and the body read with a cap, parsed as XML,
//! streamed, or decoded as an S3 error. A received `Content-Length` is enforced: fewer or more
//! bytes are an error, never a short result.

use crate::error::{Error, ErrorKind, Result};
use crate::wire::answer::XmlAnswer;
use crate::wire::checksum::Digest;
use crate::wire::chunked::SentChecksum;
use crate::wire::s3_error;
use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};

/// The most of an error body that is read and parsed.
pub(crate) const MAX_ERROR_BODY: usize = 64 * 1024;

/// S3's answer.
#[derive(Debug)]
pub struct Response {
    status: http::StatusCode,
    headers: http::HeaderMap,
    body: ResponseBody,
    /// An answer to HEAD (or 204/304) carries a length but no body.
    bodiless: bool,
    /// The flexible checksum of the body sent, when one was asked for.
    sent_checksum: SentPayloadChecksum,
}

/// The flexible checksum a request's body was sent with.
#[derive(Debug, Clone, Default)]
pub(crate) enum SentPayloadChecksum {
    /// None was asked for.
    #[default]
    None,
    /// Computed before sending (sent in a header).
    Known(Digest),
    /// Computed while the aws-chunked body was sent.
    Streamed(SentChecksum),
}

#[derive(Debug)]
enum ResponseBody {
    /// Still on the wire.
    Stream(reqwest::Response),
    /// Already read (error answers, read to decide about a retry).
    Read(Bytes),
}

impl Response {
    pub(crate) fn streaming(response: reqwest::Response, head: bool) -> Self {
        let status = response.status();
        Response {
            bodiless: head || matches!(status.as_u16(), 204 | 304),
            status,
            headers: response.headers().clone(),
            body: ResponseBody::Stream(response),
            sent_checksum: SentPayloadChecksum::None,
        }
    }

    /// Keeps the checksum the request's body was sent with.
    pub(crate) fn with_sent_checksum(mut self, sent: SentPayloadChecksum) -> Self {
        self.sent_checksum = sent;
        self
    }

    /// The flexible checksum of the body this request sent
    /// (`Request::checksum`): to compare with the
    /// `x-amz-checksum-<alg>` S3 answers. `None` when none was asked for, or when an
    /// aws-chunked body was not read to its end.
    pub fn sent_checksum(&self) -> Option<Digest> {
        match &self.sent_checksum {
            SentPayloadChecksum::None => None,
            SentPayloadChecksum::Known(digest) => Some(*digest),
            SentPayloadChecksum::Streamed(sent) => sent.get(),
        }
    }

    /// Reads the body of an error answer (capped), keeping the answer usable.
    pub(crate) async fn buffer_error(self) -> Response {
        let status = self.status;
        let headers = self.headers.clone();
        let sent_checksum = self.sent_checksum.clone();
        let bytes = self
            .bytes_capped(MAX_ERROR_BODY, "the error body")
            .await
            .unwrap_or_default();
        Response {
            status,
            headers,
            body: ResponseBody::Read(bytes),
            bodiless: false,
            sent_checksum,
        }
    }

    /// The error this (failed) answer stands for, if its body has been read.
    pub(crate) fn buffered_error(&self) -> Option<Error> {
        match &self.body {
            ResponseBody::Read(bytes) => s3_error::answer_error(self.status, &self.headers, bytes),
            ResponseBody::Stream(_) => None,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> http::StatusCode {
        self.status
    }

    /// The headers.
    pub fn headers(&self) -> &http::HeaderMap {
        &self.headers
    }

    /// A header as text, if present and readable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
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
        let mut stream = std::pin::pin!(self.into_stream());
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            if out.len() + chunk.len() > cap {
                return Err(too_big());
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out.freeze())
    }

    /// Reads an XML body into `T` (see [`crate::wire::answer::parse_answer`]): an `<Error>` document
    /// is an error even in a `200 OK` answer (S3 sends those for CopyObject,
    /// CompleteMultipartUpload, DeleteObjects when it fails after it started answering), and a
    /// document that is not `T`'s is a `server` error, never an empty result.
    pub async fn xml<T: XmlAnswer>(self) -> Result<T> {
        let status = self.status;
        let headers = self.headers.clone();
        let cap = crate::wire::xml::MAX_XML_BYTES;
        let bytes = self
            .bytes_capped(cap, "the XML answer")
            .await
            .map_err(|err| match err.kind() {
                // Too large: the store's doing, not the input's.
                ErrorKind::InvalidInput => Error::new(
                    ErrorKind::Server,
                    format!(
                        "the store's XML answer is larger than {} MiB, far more than any S3 \
                         answer; it was not read",
                        cap / (1024 * 1024)
                    ),
                )
                .with_retryable(false),
                _ => err,
            })?;
        crate::wire::answer::parse_answer(status, &headers, &bytes)
    }

    /// The body as a stream of chunks. When the answer declared its length, a body that ends
    /// early (or runs long) ends the stream with a `network` error.
    pub fn into_stream(self) -> impl Stream<Item = Result<Bytes>> + Send + 'static {
        let expected = self.content_length().filter(|_| !self.bodiless);
        let expected = match self.body {
            ResponseBody::Read(_) => None,
            ResponseBody::Stream(_) => expected,
        };
        let chunks: std::pin::Pin<Box<dyn Stream<Item = Result<Bytes>> + Send>> = match self.body {
            ResponseBody::Stream(response) => {
                Box::pin(response.bytes_stream().map(|c| c.map_err(Error::from)))
            }
            ResponseBody::Read(bytes) => Box::pin(futures_util::stream::iter([Ok(bytes)])),
        };
        LengthChecked {
            inner: chunks,
            expected,
            received: 0,
            done: false,
        }
    }

    /// Turns a failed answer into an error decoded from S3's body.
    pub async fn into_error(self) -> Error {
        if let Some(err) = self.buffered_error() {
            return err;
        }
        self.buffer_error()
            .await
            .buffered_error()
            .expect("the body was just read")
    }
}

/// A body stream that fails when it does not deliver exactly the declared length.
struct LengthChecked {
    inner: std::pin::Pin<Box<dyn Stream<Item = Result<Bytes>> + Send>>,
    expected: Option<u64>,
    received: u64,
    done: bool,
}

impl Stream for LengthChecked {
    type Item = Result<Bytes>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        if self.done {
            return Poll::Ready(None);
        }
        match self.inner.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                self.received += chunk.len() as u64;
                if let Some(expected) = self.expected.filter(|e| self.received > *e) {
                    self.done = true;
                    return Poll::Ready(Some(Err(length_error(self.received, expected))));
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(None) => {
                self.done = true;
                match self.expected.filter(|e| self.received != *e) {
                    Some(expected) => Poll::Ready(Some(Err(length_error(self.received, expected)))),
                    None => Poll::Ready(None),
                }
            }
            Poll::Ready(Some(Err(err))) => {
                self.done = true;
                Poll::Ready(Some(Err(err)))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

fn length_error(received: u64, expected: u64) -> Error {
    Error::new(
        ErrorKind::Network,
        format!("the answer's body had {received} bytes where {expected} were announced"),
    )
}
