//! The one way a [`Request`] reaches S3: [`S3Client::send`] gives it its URL, signs it, sends it
//! through the client's transport with retries ([`retry`] decides), follows a region redirect
//! once, and turns an error answer into an [`Error`] (with a diagnosis of a signature
//! mismatch). [`S3Client::request`] starts a request with the client at hand, for the fluent
//! `client.request(method, target).query(..).header(..).send()`.

use crate::error::{Error, Result};
use crate::wire::body::Body;
use crate::wire::client::S3Client;
use crate::wire::credentials::Credentials;
use crate::wire::diagnose;
use crate::wire::endpoint::{Target, is_region_code};
use crate::wire::prepared::PreparedRequest;
use crate::wire::request::Request;
use crate::wire::response::Response;
use crate::wire::retry;
use crate::wire::signer::Signer;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method};
use reqwest::Url;
use std::time::SystemTime;

/// A [`Request`] being built beside the client that will send it.
#[derive(Debug)]
pub struct S3Request<'a> {
    client: &'a S3Client,
    request: Request,
}

impl S3Client {
    /// Starts a request to send with this client.
    pub fn request(&self, method: Method, target: Target) -> S3Request<'_> {
        S3Request {
            client: self,
            request: Request::new(method, target),
        }
    }

    /// Sends `request`; an answer other than 2xx becomes an [`Error`] decoded from S3's body
    /// (for a signature mismatch, with a diagnosis of what differs).
    ///
    /// A bucket in another region than the request's is followed once: when S3 answers
    /// `PermanentRedirect` or `AuthorizationHeaderMalformed` naming the bucket's region, the
    /// request is signed again for that region and resent, and the region is remembered for
    /// the bucket.
    pub async fn send(&self, mut request: Request) -> Result<Response> {
        request.take_invalid()?;
        self.use_known_region(&mut request);
        let (response, prepared) = self.send_with_retries(&request).await?;
        if response.status().is_success() {
            return Ok(response);
        }
        let err = response.into_error().await;
        let Some(region) = redirect_region(&request, &err, &prepared) else {
            return Err(diagnose::signature_mismatch(err, &prepared));
        };
        tracing::debug!(%region, "the bucket is in another region; signing for it");
        if let Some(bucket) = request.target().bucket_name() {
            self.remember_bucket_region(bucket, &region);
        }
        request.set_region(region);
        let (response, prepared) = self.send_with_retries(&request).await?;
        if response.status().is_success() {
            return Ok(response);
        }
        let err = response.into_error().await;
        Err(diagnose::signature_mismatch(err, &prepared))
    }

    /// Sends `request` and returns S3's answer whatever its status (retryable failures are
    /// still retried first).
    pub async fn send_any(&self, mut request: Request) -> Result<Response> {
        request.take_invalid()?;
        self.use_known_region(&mut request);
        self.send_with_retries(&request)
            .await
            .map(|(response, _)| response)
    }

    /// Signs for the region already learned for this request's bucket, unless one was set.
    fn use_known_region(&self, request: &mut Request) {
        if request.region().is_none()
            && let Some(region) = request
                .target()
                .bucket_name()
                .and_then(|bucket| self.bucket_region(bucket))
        {
            request.set_region(region);
        }
    }

    /// Sends with the AWS SDKs' standard retries: transient failures (throttling, 5xx,
    /// `RequestTimeout`, connection errors, timeouts) are tried again after a jittered backoff
    /// while attempts and the client's retry quota last; a refused request time corrects the
    /// signing clock and is tried once more. Each attempt is signed anew and its body sent
    /// from the start (files are re-read, not buffered). Error answers come back with their
    /// body read.
    async fn send_with_retries(&self, request: &Request) -> Result<(Response, PreparedRequest)> {
        let inner = self.inner();
        let url = request.url(&inner.endpoint)?;
        let signer = self.signer_for(request);
        let mut attempt = 1;
        let mut clock_corrected = false;
        let mut retry_cost = None;
        loop {
            let prepared = self
                .prepare(request, &url, &signer, self.signing_time())
                .await?;
            let sent = SystemTime::now();
            let result = match inner.transport.send(&prepared, &inner.egress).await {
                Ok(response) if !response.status().is_success() => {
                    Ok(response.buffer_error().await)
                }
                other => other,
            };
            let received = SystemTime::now();
            let (failure, date) = match &result {
                Ok(response) => (response.buffered_error(), response.header("date")),
                Err(err) => (Some(err.clone_for_retry()), None),
            };
            let Some(err) = failure else {
                inner.quota.on_success(retry_cost);
                return result.map(|response| (response, prepared));
            };
            if !clock_corrected && let Some(skew) = retry::clock_skew(&err, date, sent, received) {
                tracing::debug!(skew_ms = skew, "correcting the signing clock");
                self.set_clock_skew(skew);
                clock_corrected = true;
                continue;
            }
            let cost = retry::retry_cost(&err);
            let delay = inner.retry.delay_before_retry(attempt, err.is_retryable());
            match delay.filter(|_| inner.quota.try_acquire(cost)) {
                Some(delay) => {
                    tracing::debug!(attempt, ?delay, error = %err, "retrying");
                    drop(result);
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                    retry_cost = Some(cost);
                }
                None => return result.map(|response| (response, prepared)),
            }
        }
    }

    /// The signer for `request`'s service and region.
    fn signer_for(&self, request: &Request) -> Signer {
        let region = request.region().unwrap_or(self.region());
        match request.target() {
            Target::Sts => Signer::new("sts", region),
            _ => Signer::s3(region),
        }
    }

    /// Signs `request` (to go to `url`) at `time`.
    async fn prepare(
        &self,
        request: &Request,
        url: &Url,
        signer: &Signer,
        time: SystemTime,
    ) -> Result<PreparedRequest> {
        let credentials = match request.credentials() {
            Some(credentials) => credentials.clone(),
            None => self.credentials().await?,
        };
        let body = request.body_ref();
        let signed = signer.sign_headers(
            request.method(),
            url,
            request.header_map(),
            body.sha256_hex(),
            &credentials,
            time,
        )?;
        let mut headers: HeaderMap = request.header_map().clone();
        for (name, value) in signed {
            let value = HeaderValue::try_from(value).map_err(|_| {
                Error::invalid_input(
                    format!("headers.{name}"),
                    "the signature header has characters HTTP does not allow",
                )
            })?;
            headers.insert(HeaderName::from_static(name), value);
        }
        Ok(PreparedRequest {
            method: request.method().clone(),
            url: url.clone(),
            headers,
            body: body.clone(),
            region: signer.region().to_owned(),
            service: signer.service(),
        })
    }
}

/// The bucket's region, when `err` is S3 saying the request went to (or was signed for) the
/// wrong one.
fn redirect_region(request: &Request, err: &Error, prepared: &PreparedRequest) -> Option<String> {
    request.target().bucket_name()?;
    let region = err.s3()?.region.clone()?;
    let redirect = matches!(
        err.code(),
        Some(
            "PermanentRedirect"
                | "AuthorizationHeaderMalformed"
                | "IllegalLocationConstraintException"
        )
    ) || (request.method() == Method::HEAD
        && matches!(err.status(), Some(301 | 400)));
    (redirect && region != prepared.region && is_region_code(&region)).then_some(region)
}

impl S3Request<'_> {
    /// See [`Request::in_region`].
    pub fn in_region(self, region: impl Into<String>) -> Self {
        self.map(|r| r.in_region(region))
    }

    /// See [`Request::signed_with`].
    pub fn signed_with(self, credentials: Credentials) -> Self {
        self.map(|r| r.signed_with(credentials))
    }

    /// See [`Request::query`].
    pub fn query(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.map(|r| r.query(name, value))
    }

    /// See [`Request::query_opt`].
    pub fn query_opt(self, name: &str, value: Option<impl Into<String>>) -> Self {
        self.map(|r| r.query_opt(name, value))
    }

    /// See [`Request::header`].
    pub fn header(self, name: impl AsRef<str>, value: impl Into<String>) -> Self {
        self.map(|r| r.header(name, value))
    }

    /// See [`Request::header_opt`].
    pub fn header_opt(self, name: &str, value: Option<impl Into<String>>) -> Self {
        self.map(|r| r.header_opt(name, value))
    }

    /// See [`Request::headers`].
    pub fn headers(self, headers: HeaderMap) -> Self {
        self.map(|r| r.headers(headers))
    }

    /// See [`Request::body`].
    pub fn body(self, body: Body) -> Self {
        self.map(|r| r.body(body))
    }

    /// See [`Request::with_content_md5`].
    pub fn with_content_md5(self) -> Self {
        self.map(Request::with_content_md5)
    }

    /// The request built so far.
    pub fn into_request(self) -> Request {
        self.request
    }

    /// Sends the request ([`S3Client::send`]).
    pub async fn send(self) -> Result<Response> {
        self.client.send(self.request).await
    }

    /// Sends the request and returns S3's answer whatever its status ([`S3Client::send_any`]).
    pub async fn send_any(self) -> Result<Response> {
        self.client.send_any(self.request).await
    }

    fn map(self, change: impl FnOnce(Request) -> Request) -> Self {
        S3Request {
            client: self.client,
            request: change(self.request),
        }
    }
}
