//! A request being built, then signed and sent with retries: [`S3Client::request`] starts one.

use crate::error::{Error, ErrorKind, Result};
use crate::wire::body::Body;
use crate::wire::client::S3Client;
use crate::wire::credentials::Credentials;
use crate::wire::diagnose;
use crate::wire::egress::EgressRefused;
use crate::wire::encode::query_string;
use crate::wire::endpoint::{Target, is_region_code};
use crate::wire::prepared::PreparedRequest;
use crate::wire::response::Response;
use crate::wire::retry;
use crate::wire::signer::{SignRequest, Signer};
use http::Method;
use std::time::SystemTime;

/// A request being built. Header names are lower-cased; values are not encoded by the caller.
pub struct S3Request<'a> {
    client: &'a S3Client,
    method: Method,
    target: Target,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Body,
    region: Option<String>,
    credentials: Option<Credentials>,
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

impl S3Client {
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
            credentials: None,
        }
    }
}

impl S3Request<'_> {
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

    /// Sends the request; an answer other than 2xx becomes an [`Error`] decoded from S3's body
    /// (for a signature mismatch, with a diagnosis of what differs).
    ///
    /// A bucket in another region than the request's is followed once: when S3 answers
    /// `PermanentRedirect` or `AuthorizationHeaderMalformed` naming the bucket's region, the
    /// request is signed again for that region and resent, and the region is remembered for
    /// the bucket.
    pub async fn send(mut self) -> Result<Response> {
        self.use_known_region();
        let (response, prepared) = self.send_with_retries().await?;
        if response.status().is_success() {
            return Ok(response);
        }
        let err = response.into_error().await;
        let Some(region) = self.redirect_region(&err, &prepared) else {
            return Err(diagnose::signature_mismatch(err, &prepared));
        };
        tracing::debug!(%region, "the bucket is in another region; signing for it");
        if let Some(bucket) = self.target.bucket_name() {
            self.client.remember_bucket_region(bucket, &region);
        }
        self.region = Some(region);
        let (response, prepared) = self.send_with_retries().await?;
        if response.status().is_success() {
            return Ok(response);
        }
        let err = response.into_error().await;
        Err(diagnose::signature_mismatch(err, &prepared))
    }

    /// Sends the request and returns S3's answer whatever its status (retryable failures are
    /// still retried first).
    pub async fn send_any(mut self) -> Result<Response> {
        self.use_known_region();
        self.send_with_retries().await.map(|(response, _)| response)
    }

    /// Signs for the region already learned for this request's bucket, unless one was set.
    fn use_known_region(&mut self) {
        if self.region.is_none()
            && let Some(bucket) = self.target.bucket_name()
        {
            self.region = self.client.bucket_region(bucket);
        }
    }

    /// The bucket's region, when `err` is S3 saying the request went to (or was signed for)
    /// the wrong one.
    fn redirect_region(&self, err: &Error, prepared: &PreparedRequest) -> Option<String> {
        self.target.bucket_name()?;
        let region = err.s3()?.region.clone()?;
        let redirect = matches!(
            err.code(),
            Some(
                "PermanentRedirect"
                    | "AuthorizationHeaderMalformed"
                    | "IllegalLocationConstraintException"
            )
        ) || (self.method == Method::HEAD
            && matches!(err.status(), Some(301 | 400)));
        (redirect && region != prepared.region && is_region_code(&region)).then_some(region)
    }

    /// Sends with the AWS SDKs' standard retries: transient failures (throttling, 5xx,
    /// `RequestTimeout`, connection errors, timeouts) are tried again after a jittered backoff
    /// while attempts and the client's retry quota last; a refused request time corrects the
    /// signing clock and is tried once more. Each attempt is signed anew and its body sent
    /// from the start (files are re-read, not buffered). Error answers come back with their
    /// body read.
    async fn send_with_retries(&self) -> Result<(Response, PreparedRequest)> {
        let inner = self.client.inner();
        let mut attempt = 1;
        let mut clock_corrected = false;
        let mut retry_cost = None;
        loop {
            let prepared = self.prepare(self.client.signing_time()).await?;
            let sent = SystemTime::now();
            let result = match self.send_prepared(&prepared).await {
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
                self.client.set_clock_skew(skew);
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

    /// The full URL: endpoint, encoded path, encoded query.
    fn url(&self) -> String {
        let endpoint = &self.client.inner().endpoint;
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

    /// The signer for this request's service and region.
    fn signer(&self) -> Signer {
        let region = self.region.as_deref().unwrap_or(self.client.region());
        match self.target {
            Target::Sts => Signer::new("sts", region),
            _ => Signer::s3(region),
        }
    }

    /// Signs the request at `time`.
    async fn prepare(&self, time: SystemTime) -> Result<PreparedRequest> {
        let credentials = match &self.credentials {
            Some(credentials) => credentials.clone(),
            None => self.client.credentials().await?,
        };
        let url = self.url();
        let signer = self.signer();
        let signed = signer.sign(
            &SignRequest {
                method: self.method.as_str(),
                url: &url,
                headers: &self.headers,
                payload_sha256: self.body.sha256_hex(),
            },
            &credentials,
            time,
        )?;
        let mut headers = self.headers.clone();
        headers.extend(
            signed
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value)),
        );
        Ok(PreparedRequest {
            method: self.method.clone(),
            url,
            headers,
            body: self.body.clone(),
            region: signer.region().to_owned(),
            service: signer.service(),
        })
    }

    async fn send_prepared(&self, prepared: &PreparedRequest) -> Result<Response> {
        let inner = self.client.inner();
        if let Some(slot) = &inner.dry_run {
            if let Ok(mut slot) = slot.lock() {
                slot.get_or_insert_with(|| prepared.clone());
            }
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "dry run: the request was prepared and signed but not sent",
            )
            .with_retryable(false));
        }
        let mut headers = http::HeaderMap::with_capacity(prepared.headers.len() + 1);
        for (name, value) in &prepared.headers {
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
        if !prepared.body.is_empty() || matches!(prepared.method, Method::PUT | Method::POST) {
            headers.insert(http::header::CONTENT_LENGTH, prepared.body.len().into());
        }
        let url = reqwest::Url::parse(&prepared.url)
            .map_err(|err| Error::invalid_input("url", format!("cannot build the URL: {err}")))?;
        // Every URL is checked, not only the connection's endpoint: region redirects and STS
        // build URLs of their own. The resolver checks the addresses names lead to.
        inner.egress.check(&url)?;
        tracing::debug!(method = %prepared.method, path = url.path(), "sending");
        let response = inner
            .http
            .request(prepared.method.clone(), url)
            .headers(headers)
            .body(prepared.body.to_reqwest().await?)
            .send()
            .await
            .map_err(|err| match EgressRefused::in_chain(&err) {
                Some(refused) => Error::from(refused),
                None => Error::from(err),
            })?;
        tracing::debug!(status = response.status().as_u16(), "answered");
        Ok(Response::streaming(
            response,
            prepared.method == Method::HEAD,
        ))
    }
}
