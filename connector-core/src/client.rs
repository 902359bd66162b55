//! The S3 client of one connection: a small request builder, signing, sending with retries, and
//! decoding S3's answers.

use crate::body::Body;
use crate::connection::Connection;
use crate::credentials::Credentials;
use crate::encode::query_string;
use crate::endpoint::{Endpoint, Target};
use crate::error::{Error, ErrorKind, Result};
use crate::retry::RetryPolicy;
use crate::s3_error;
use crate::signer::{SignRequest, Signer};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use http::Method;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// How long to wait for a TCP/TLS connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a single read may wait for data before the transfer counts as stalled.
const READ_TIMEOUT: Duration = Duration::from_secs(60);
/// The most of an error body that is read and parsed.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// A client for one connection. Cheap to clone; clones share the HTTP connection pool.
#[derive(Clone)]
pub struct S3Client {
    inner: Arc<Inner>,
}

struct Inner {
    connection: Connection,
    endpoint: Endpoint,
    signer: Signer,
    credentials: Credentials,
    http: reqwest::Client,
    retry: RetryPolicy,
}

impl std::fmt::Debug for S3Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Client")
            .field("connection", &self.inner.connection)
            .finish_non_exhaustive()
    }
}

impl S3Client {
    /// A client for `connection` (validated here).
    pub fn new(connection: Connection) -> Result<Self> {
        connection.validate()?;
        let endpoint = Endpoint::for_connection(&connection)?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("s3-connector/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .pool_idle_timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|err| {
                Error::new(
                    ErrorKind::Network,
                    format!("cannot start the HTTP client: {err}"),
                )
            })?;
        let credentials = Credentials::from_secrets(
            connection.access_key_id.clone(),
            connection.secret_access_key.clone(),
            connection.session_token.clone(),
        );
        Ok(S3Client {
            inner: Arc::new(Inner {
                signer: Signer::s3(&connection.region),
                endpoint,
                credentials,
                connection,
                http,
                retry: RetryPolicy::standard(),
            }),
        })
    }

    /// The connection this client uses.
    pub fn connection(&self) -> &Connection {
        &self.inner.connection
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// Starts a request.
    pub fn request(&self, method: Method, target: Target) -> S3Request<'_> {
        S3Request {
            client: self,
            method,
            target,
            query: Vec::new(),
            headers: Vec::new(),
            body: Body::empty(),
            region: None,
        }
    }
}

/// A request being built. Names are lower-cased; values are not encoded by the caller.
pub struct S3Request<'a> {
    client: &'a S3Client,
    method: Method,
    target: Target,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Body,
    region: Option<String>,
}

impl std::fmt::Debug for S3Request<'_> {
    /// Header values are left out: some carry keys (SSE-C).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("S3Request")
            .field("method", &self.method)
            .field("target", &self.target)
            .field("query", &self.query)
            .field("headers", &header_names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl S3Request<'_> {
    /// Sends this request to another region than the connection's (on Amazon S3: that region's
    /// endpoint, signed for it). A custom endpoint is kept, and signed for the connection's region.
    pub fn in_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
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

    /// Adds a header.
    pub fn header(mut self, name: impl AsRef<str>, value: impl Into<String>) -> Self {
        self.headers
            .push((name.as_ref().to_ascii_lowercase(), value.into()));
        self
    }

    /// Adds a header when `value` is `Some`.
    pub fn header_opt(self, name: &str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(value) => self.header(name, value),
            None => self,
        }
    }

    /// Sets the body.
    pub fn body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }

    /// Sends `Content-MD5` for the body (S3 then refuses a body damaged on the way).
    pub fn with_content_md5(self) -> Self {
        let md5 = self.body.content_md5();
        self.header("content-md5", md5)
    }

    /// Sends the request; an answer other than 2xx becomes an [`Error`] decoded from S3's body.
    pub async fn send(self) -> Result<Response> {
        let response = self.send_any().await?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(response.into_error().await)
        }
    }

    /// Sends the request and returns S3's answer whatever its status (retryable failures are
    /// still retried first).
    pub async fn send_any(self) -> Result<Response> {
        let url = self.url();
        let inner = &self.client.inner;
        let mut attempt = 1;
        loop {
            let result = self.send_once(&url).await;
            let retryable = match &result {
                Ok(response) => inner.retry.is_retryable_status(response.status()),
                Err(err) => err.is_retryable(),
            };
            match inner.retry.delay_before_retry(attempt, retryable) {
                Some(delay) => {
                    tracing::debug!(attempt, ?delay, method = %self.method, "retrying");
                    if let Ok(response) = result {
                        // Drain nothing: dropping the response closes that connection.
                        drop(response);
                    }
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                None => return result,
            }
        }
    }

    /// The full URL: endpoint, encoded path, encoded query.
    fn url(&self) -> String {
        let endpoint = &self.client.inner.endpoint;
        let mut url = match &self.region {
            Some(region) => endpoint.in_region(region).url(&self.target),
            None => endpoint.url(&self.target),
        };
        if !self.query.is_empty() {
            url.push('?');
            url.push_str(&query_string(
                self.query.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            ));
        }
        url
    }

    async fn send_once(&self, url: &str) -> Result<Response> {
        let inner = &self.client.inner;
        let regional;
        let signer = match &self.region {
            Some(region) if !inner.endpoint.is_custom() => {
                regional = Signer::s3(region);
                &regional
            }
            _ => &inner.signer,
        };
        let signed = signer.sign(
            &SignRequest {
                method: self.method.as_str(),
                url,
                headers: &self.headers,
                payload_sha256: self.body.sha256_hex(),
            },
            &inner.credentials,
            SystemTime::now(),
        )?;
        let mut headers = http::HeaderMap::with_capacity(self.headers.len() + signed.len() + 1);
        let all = self
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .chain(signed.iter().map(|(name, value)| (*name, value.as_str())));
        for (name, value) in all {
            let name = http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                Error::invalid_input("headers", format!("{name:?} is not a valid header name"))
            })?;
            let value = http::HeaderValue::from_str(value).map_err(|_| {
                Error::invalid_input(
                    format!("headers.{name}"),
                    "the header value has characters HTTP does not allow",
                )
            })?;
            headers.append(name, value);
        }
        if !self.body.is_empty() || matches!(self.method, Method::PUT | Method::POST) {
            headers.insert(http::header::CONTENT_LENGTH, self.body.len().into());
        }
        let parsed = reqwest::Url::parse(url)
            .map_err(|err| Error::invalid_input("url", format!("cannot build the URL: {err}")))?;
        tracing::debug!(method = %self.method, path = parsed.path(), "sending");
        let response = inner
            .http
            .request(self.method.clone(), parsed)
            .headers(headers)
            .body(self.body.to_reqwest().await?)
            .send()
            .await?;
        tracing::debug!(status = response.status().as_u16(), "answered");
        Ok(Response { inner: response })
    }
}

/// S3's answer.
#[derive(Debug)]
pub struct Response {
    inner: reqwest::Response,
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
