//! A request as a plain value: method, what it addresses (with its query), headers and body.
//! Operations build one without a client (and tests check one without a server); the client's
//! `send` path (`wire::send`, above this file) gives it its URL, signs it and sends it.

use crate::error::{Error, Result};
use crate::wire::body::Body;
use crate::wire::checksum::ChecksumAlgorithm;
use crate::wire::chunked::{ChunkedMode, DEFAULT_CHUNK_SIZE};
use crate::wire::credentials::Credentials;
use crate::wire::endpoint::{Endpoint, Target};
use http::Method;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Url;

/// One S3 request, not yet signed. Header names and values are checked as they are added (the
/// first bad one is kept, see [`Request::invalid_header`], and sending returns it); query values are
/// plain text, encoded once when the URL is built.
pub struct Request {
    method: Method,
    target: Target,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Body,
    region: Option<String>,
    credentials: Option<Credentials>,
    payload_checksum: Option<PayloadChecksum>,
    invalid: Option<Error>,
}

/// How a request's body carries a flexible checksum (`x-amz-checksum-<alg>`), asked for with
/// [`Request::checksum`]. Without one the body is sent as always: its SHA-256 signed in
/// `x-amz-content-sha256`, no checksum header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadChecksum {
    /// The body is sent as it is, signed with its SHA-256 as always, and its checksum goes in
    /// the `x-amz-checksum-<alg>` header (with `x-amz-sdk-checksum-algorithm`), computed before
    /// the request is sent. For small in-memory bodies; a file is read once more to compute it.
    Header(ChecksumAlgorithm),
    /// The body is streamed aws-chunked (`Content-Encoding: aws-chunked`) in `mode`, in frames of
    /// `chunk_size` bytes, and the checksum is computed while it is sent: in a trailer when the
    /// mode has one; with [`ChunkedMode::Signed`] (no trailer) it is only computed, not sent (and
    /// no `x-amz-sdk-checksum-algorithm` announces it), and is still given by
    /// [`Response::sent_checksum`](crate::wire::response::Response::sent_checksum).
    /// No SHA-256 of the whole body is computed and the body is read once per attempt.
    Chunked {
        /// The checksum computed over the body.
        algorithm: ChecksumAlgorithm,
        /// The aws-chunked form.
        mode: ChunkedMode,
        /// Data bytes per frame but the last (at least
        /// [`MIN_CHUNK_SIZE`](crate::wire::chunked::MIN_CHUNK_SIZE)).
        chunk_size: usize,
    },
}

impl PayloadChecksum {
    /// Streamed aws-chunked in `mode` with `algorithm`, in frames of the default 64 KiB.
    pub fn chunked(algorithm: ChecksumAlgorithm, mode: ChunkedMode) -> Self {
        PayloadChecksum::Chunked {
            algorithm,
            mode,
            chunk_size: DEFAULT_CHUNK_SIZE,
        }
    }

    /// The checksum's algorithm.
    pub fn algorithm(self) -> ChecksumAlgorithm {
        match self {
            PayloadChecksum::Header(algorithm) | PayloadChecksum::Chunked { algorithm, .. } => {
                algorithm
            }
        }
    }
}

impl std::fmt::Debug for Request {
    /// Header values are left out: some carry keys (SSE-C).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let header_names: Vec<&str> = self.headers.keys().map(HeaderName::as_str).collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("target", &self.target)
            .field("query", &self.query)
            .field("headers", &header_names)
            .field("body_len", &self.body.len())
            .field("region", &self.region)
            .field("payload_checksum", &self.payload_checksum)
            .finish_non_exhaustive()
    }
}

impl Request {
    /// A request of `method` on `target`, with no query, headers or body.
    pub fn new(method: Method, target: Target) -> Self {
        Request {
            method,
            target,
            query: Vec::new(),
            headers: HeaderMap::new(),
            body: Body::empty(),
            region: None,
            credentials: None,
            payload_checksum: None,
            invalid: None,
        }
    }

    /// Sends this request to another region than the connection's: on Amazon S3 to that
    /// region's endpoint; a custom endpoint is kept. Either way it is signed for that region.
    pub fn in_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Signs with these credentials instead of the client's (used to assume a role).
    pub fn signed_with(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Adds a query parameter (an empty value is sent as the bare name, e.g. `?cors`).
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Adds a query parameter when `value` is `Some`.
    pub fn query_opt(self, name: &str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(value) => self.query(name, value),
            None => self,
        }
    }

    /// Adds a header. A name or value HTTP does not allow makes the request invalid
    /// (`invalid_input`, field `headers` or `headers.NAME`), reported when it is sent.
    pub fn header(mut self, name: impl AsRef<str>, value: impl Into<String>) -> Self {
        let name = name.as_ref();
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            let err =
                Error::invalid_input("headers", format!("{name:?} is not a valid header name"));
            self.invalid.get_or_insert(err);
            return self;
        };
        match HeaderValue::try_from(value.into()) {
            Ok(value) => {
                self.headers.append(name, value);
            }
            Err(_) => {
                let err = Error::invalid_input(
                    format!("headers.{name}"),
                    "the header value has characters HTTP does not allow",
                );
                self.invalid.get_or_insert(err);
            }
        }
        self
    }

    /// Adds a header when `value` is `Some`.
    pub fn header_opt(self, name: &str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(value) => self.header(name, value),
            None => self,
        }
    }

    /// Adds headers already checked (a module's user-given headers, read into a `HeaderMap`
    /// where they entered).
    pub fn headers(mut self, headers: HeaderMap) -> Self {
        for (name, value) in headers {
            if let Some(name) = name {
                self.headers.append(name, value);
            }
        }
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }

    /// Sends the body with a flexible checksum ([`PayloadChecksum`]): in a header, or streamed
    /// aws-chunked. The checksum sent is given by
    /// [`Response::sent_checksum`](crate::wire::response::Response::sent_checksum), to compare
    /// with the `x-amz-checksum-<alg>` S3 answers.
    pub fn checksum(mut self, checksum: PayloadChecksum) -> Self {
        self.payload_checksum = Some(checksum);
        self
    }

    /// The flexible checksum asked for, if any.
    pub fn payload_checksum(&self) -> Option<PayloadChecksum> {
        self.payload_checksum
    }

    /// Stops sending the flexible checksum asked for (the send path does, for a store that
    /// refuses them); returns it.
    pub(crate) fn take_checksum(&mut self) -> Option<PayloadChecksum> {
        self.payload_checksum.take()
    }

    /// Removes every header whose name `unwanted` picks.
    pub(crate) fn remove_headers(&mut self, unwanted: impl Fn(&str) -> bool) {
        let names: Vec<HeaderName> = self
            .headers
            .keys()
            .filter(|name| unwanted(name.as_str()))
            .cloned()
            .collect();
        for name in names {
            self.headers.remove(name);
        }
    }

    /// Sends `Content-MD5` for the body (S3 then refuses a body damaged on the way).
    pub fn with_content_md5(self) -> Self {
        let md5 = self.body.content_md5();
        self.header("content-md5", md5)
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// What the request addresses.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The query parameters, plain text, in the order given.
    pub fn query_pairs(&self) -> &[(String, String)] {
        &self.query
    }

    /// The headers (without the signer's and `Content-Length`, added when it is sent).
    pub fn header_map(&self) -> &HeaderMap {
        &self.headers
    }

    /// A header as text.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    /// The body.
    pub fn body_ref(&self) -> &Body {
        &self.body
    }

    /// The region it is sent to and signed for, when not the client's.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The credentials it is signed with, when not the client's.
    pub(crate) fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    /// Signs for `region` (a region redirect), unless a region was set.
    pub(crate) fn set_region(&mut self, region: String) {
        self.region = Some(region);
    }

    /// The error of the first header HTTP does not allow, if one was added.
    pub fn invalid_header(&self) -> Option<&Error> {
        self.invalid.as_ref()
    }

    /// Fails with the error of the first header HTTP does not allow, if one was added.
    pub(crate) fn take_invalid(&mut self) -> Result<()> {
        match self.invalid.take() {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    /// The URL on `endpoint` (in this request's region when it has one), with the query.
    pub fn url(&self, endpoint: &Endpoint) -> Result<Url> {
        match &self.region {
            Some(region) => endpoint.in_region(region).url(&self.target, &self.query),
            None => endpoint.url(&self.target, &self.query),
        }
    }
}
