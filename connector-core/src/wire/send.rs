//! The one way a [`Request`] reaches S3: [`S3Client::send`] gives it its URL, signs it, sends it
//! through the client's transport with retries ([`retry`] decides), follows a region redirect
//! once, sends a request again without its flexible checksum when the store refuses those (and
//! the client may downgrade), and turns an error answer into an [`Error`] (with a diagnosis of
//! a signature mismatch). [`S3Client::request`] starts a request with the client at hand, for
//! the fluent `client.request(method, target).query(..).header(..).send()`.

use crate::error::{Error, Result};
use crate::wire::body::Body;
use crate::wire::checksum::Digest;
use crate::wire::chunked::{ChunkedLayout, MIN_CHUNK_SIZE};
use crate::wire::client::S3Client;
use crate::wire::credentials::Credentials;
use crate::wire::diagnose;
use crate::wire::endpoint::{Target, is_region_code};
use crate::wire::prepared::{ChunkedPayload, Payload, PreparedRequest};
use crate::wire::request::{PayloadChecksum, Request};
use crate::wire::response::Response;
use crate::wire::retry;
use crate::wire::s3_error::refuses_flexible_checksums;
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
    ///
    /// A client whose settings allow it (`ChecksumSettings::downgrade_when_refused`: a
    /// connection to an unnamed store that chose no checksum policy) handles a store that
    /// refuses flexible checksums: the refused request is sent once more without its checksum
    /// (its body's SHA-256 signed and `Content-MD5`, as `when_required` sends it), and from then
    /// on the client sends every request so ([`S3Client::checksums_downgraded`]).
    pub async fn send(&self, mut request: Request) -> Result<Response> {
        request.take_invalid()?;
        self.use_known_region(&mut request);
        if self.checksums_downgraded() {
            request = without_flexible_checksum(request);
        }
        let (mut err, mut prepared) = match self.send_answered(&request).await? {
            Ok(response) => return Ok(response),
            Err(failed) => failed,
        };
        if self.checksum_settings().downgrade_when_refused
            && carries_flexible_checksum(&request)
            && refuses_flexible_checksums(&err)
        {
            if self.downgrade_checksums() {
                tracing::warn!(
                    error = %err,
                    "the store refuses flexible checksums: sending this request again without \
                     one, and every later one the when_required way (set the connection's \
                     checksum_policy to when_required to skip this)"
                );
            }
            request = without_flexible_checksum(request);
            (err, prepared) = match self.send_answered(&request).await? {
                Ok(response) => return Ok(response),
                Err(failed) => failed,
            };
        }
        let Some(region) = redirect_region(&request, &err, &prepared) else {
            return Err(diagnose::signature_mismatch(err, &prepared));
        };
        tracing::debug!(%region, "the bucket is in another region; signing for it");
        if let Some(bucket) = request.target().bucket_name() {
            self.remember_bucket_region(bucket, &region);
        }
        request.set_region(region);
        match self.send_answered(&request).await? {
            Ok(response) => Ok(response),
            Err((err, prepared)) => Err(diagnose::signature_mismatch(err, &prepared)),
        }
    }

    /// Sends `request` with retries: a success, or S3's error answer as an [`Error`] beside the
    /// request as it was signed (to diagnose). A failure without an answer is the outer error.
    async fn send_answered(
        &self,
        request: &Request,
    ) -> Result<std::result::Result<Response, (Error, PreparedRequest)>> {
        let (response, prepared) = self.send_with_retries(request).await?;
        if response.status().is_success() {
            return Ok(Ok(response));
        }
        let err = explain_bad_digest(response.into_error().await, request);
        Ok(Err((err, prepared)))
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
        // A header checksum is computed once; an aws-chunked one while each attempt is sent.
        let header_checksum = match request.payload_checksum() {
            Some(PayloadChecksum::Header(algorithm)) => {
                Some(request.body_ref().checksum(algorithm).await?)
            }
            _ => None,
        };
        // A body signed by its SHA-256 is hashed once (a file is read for it); an aws-chunked
        // body never is.
        if !matches!(
            request.payload_checksum(),
            Some(PayloadChecksum::Chunked { .. })
        ) {
            request.body_ref().compute_digests().await?;
        }
        let mut attempt = 1;
        let mut clock_corrected = false;
        let mut retry_cost = None;
        loop {
            let prepared = self
                .prepare(request, &url, &signer, self.signing_time(), header_checksum)
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

    /// Signs `request` (to go to `url`) at `time`. A flexible checksum adds its headers first
    /// (so they are signed): `header_checksum` is the body's checksum for
    /// [`PayloadChecksum::Header`]; an aws-chunked body is signed with its streaming literal
    /// and gets a chunk signer of its own (a new one for every attempt).
    async fn prepare(
        &self,
        request: &Request,
        url: &Url,
        signer: &Signer,
        time: SystemTime,
        header_checksum: Option<Digest>,
    ) -> Result<PreparedRequest> {
        let credentials = match request.credentials() {
            Some(credentials) => credentials.clone(),
            None => self.credentials().await?,
        };
        let body = request.body_ref();
        let mut headers: HeaderMap = request.header_map().clone();
        let (payload_sha256, payload) = payload_headers(request, &mut headers, header_checksum)?;
        let signed = signer.sign_headers_with_signature(
            request.method(),
            url,
            &headers,
            payload_sha256,
            &credentials,
            time,
        )?;
        for (name, value) in signed.headers {
            let value = HeaderValue::try_from(value).map_err(|_| {
                Error::invalid_input(
                    format!("headers.{name}"),
                    "the signature header has characters HTTP does not allow",
                )
            })?;
            headers.insert(HeaderName::from_static(name), value);
        }
        let payload = match payload {
            Payload::Chunked(chunked) => {
                let chunk_signer = chunked
                    .layout
                    .mode
                    .is_signed()
                    .then(|| signer.chunk_signer(&credentials, time, signed.signature.clone()));
                Payload::Chunked(ChunkedPayload::new(chunked.layout, chunk_signer))
            }
            other => other,
        };
        Ok(PreparedRequest {
            method: request.method().clone(),
            url: url.clone(),
            headers,
            body: body.clone(),
            region: signer.region().to_owned(),
            service: signer.service(),
            payload,
        })
    }
}

/// Adds to `headers` what `request`'s flexible checksum needs before signing, and returns the
/// payload hash to sign (`x-amz-content-sha256`) and how the body goes on the wire (an
/// aws-chunked payload still without its chunk signer).
fn payload_headers<'r>(
    request: &'r Request,
    headers: &mut HeaderMap,
    header_checksum: Option<Digest>,
) -> Result<(&'r str, Payload)> {
    let body = request.body_ref();
    match request.payload_checksum() {
        None => Ok((body.sha256_hex(), Payload::Plain)),
        Some(PayloadChecksum::Header(algorithm)) => {
            let digest = header_checksum
                .filter(|digest| digest.algorithm() == algorithm)
                .ok_or_else(|| {
                    Error::invalid_input("checksum", "the header checksum was not computed")
                })?;
            headers.insert(
                HeaderName::from_static(algorithm.header_name()),
                header_value(digest.to_base64())?,
            );
            headers.insert(
                HeaderName::from_static(SDK_CHECKSUM_ALGORITHM),
                HeaderValue::from_static(algorithm.as_str()),
            );
            Ok((body.sha256_hex(), Payload::PlainWithChecksum(digest)))
        }
        Some(PayloadChecksum::Chunked {
            algorithm,
            mode,
            chunk_size,
        }) => {
            if chunk_size < MIN_CHUNK_SIZE {
                return Err(Error::invalid_input(
                    "chunk_size",
                    format!(
                        "an aws-chunked chunk size of {chunk_size} bytes is below S3's minimum: use at least {MIN_CHUNK_SIZE}"
                    ),
                ));
            }
            // aws-chunked comes first: S3 strips it and stores the rest (e.g. gzip).
            let encoding = match headers.get(http::header::CONTENT_ENCODING) {
                Some(existing) => header_value(format!(
                    "aws-chunked,{}",
                    existing.to_str().unwrap_or_default()
                ))?,
                None => HeaderValue::from_static("aws-chunked"),
            };
            headers.insert(http::header::CONTENT_ENCODING, encoding);
            headers.insert(
                HeaderName::from_static("x-amz-decoded-content-length"),
                body.len().into(),
            );
            // Without a trailer the checksum is only computed, never sent: nothing announces it
            // (a store would otherwise expect one, or make up its own).
            if mode.has_trailer() {
                headers.insert(
                    HeaderName::from_static("x-amz-trailer"),
                    HeaderValue::from_static(algorithm.header_name()),
                );
                headers.insert(
                    HeaderName::from_static(SDK_CHECKSUM_ALGORITHM),
                    HeaderValue::from_static(algorithm.as_str()),
                );
            }
            let layout = ChunkedLayout {
                mode,
                checksum: algorithm,
                chunk_size,
                decoded_len: body.len(),
            };
            Ok((
                mode.content_sha256(),
                Payload::Chunked(ChunkedPayload::new(layout, None)),
            ))
        }
    }
}

/// The header naming the checksum algorithm, as the AWS SDKs send it.
const SDK_CHECKSUM_ALGORITHM: &str = "x-amz-sdk-checksum-algorithm";

/// `value` as a header value (checksums and lengths always are one).
fn header_value(value: String) -> Result<HeaderValue> {
    HeaderValue::try_from(value)
        .map_err(|_| Error::invalid_input("headers", "a checksum header is not valid HTTP"))
}

/// Whether a header name carries or announces a flexible checksum: `x-amz-checksum-*` (a value,
/// or CreateMultipartUpload's `-algorithm`/`-type`, or a download's `-mode`),
/// `x-amz-sdk-checksum-algorithm`, `x-amz-trailer`.
fn is_flexible_checksum_header(name: &str) -> bool {
    name.starts_with("x-amz-checksum-") || name == SDK_CHECKSUM_ALGORITHM || name == "x-amz-trailer"
}

/// Whether `request` sends a flexible checksum (a [`PayloadChecksum`], or one of its headers).
fn carries_flexible_checksum(request: &Request) -> bool {
    request.payload_checksum().is_some()
        || request
            .header_map()
            .keys()
            .any(|name| is_flexible_checksum_header(name.as_str()))
}

/// `request` the `when_required` way: without its flexible checksum and the headers that
/// carry or announce one; a body that was to carry a checksum gets `Content-MD5` instead (as
/// uploads always sent it), and is signed with its SHA-256.
fn without_flexible_checksum(mut request: Request) -> Request {
    request.remove_headers(is_flexible_checksum_header);
    match request.take_checksum() {
        Some(_) if request.header_value("content-md5").is_none() => request.with_content_md5(),
        _ => request,
    }
}

/// Says what S3's `BadDigest` means for a body sent with a flexible checksum.
fn explain_bad_digest(err: Error, request: &Request) -> Error {
    match (err.code(), request.payload_checksum()) {
        (Some("BadDigest"), Some(checksum)) => err.context(format!(
            "S3 refused the body: its {} checksum does not match the bytes S3 received, so the \
             body changed on the way (or its file changed while it was read); send it again",
            checksum.algorithm().as_str()
        )),
        _ => err,
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

    /// See [`Request::checksum`].
    pub fn checksum(self, checksum: PayloadChecksum) -> Self {
        self.map(|r| r.checksum(checksum))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::checksum::ChecksumAlgorithm;
    use crate::wire::chunked::ChunkedMode;
    use crate::wire::client::ClientOptions;
    use crate::wire::endpoint::Endpoint;
    use std::sync::Arc;

    /// The request a dry run keeps for `request` (signed, not sent).
    async fn prepared(request: Request) -> PreparedRequest {
        let endpoint = Endpoint::parse_custom("http://127.0.0.1:9").unwrap();
        let keys = Arc::new(Credentials::new("AK", "SK", None));
        let client =
            S3Client::dry_run_from_parts(endpoint, "us-east-1", keys, ClientOptions::default())
                .unwrap();
        let sent = client.send(request);
        let recorder = client.recorder().expect("a dry run records");
        tokio::select! {
            kept = recorder.recorded() => kept,
            answer = sent => panic!("a dry run answered: {answer:?}"),
        }
    }

    fn put(body: Body) -> Request {
        Request::new(Method::PUT, Target::object("b", "k")).body(body)
    }

    fn signed_headers(request: &PreparedRequest) -> String {
        let authorization = request.header("authorization").unwrap();
        let start = authorization.find("SignedHeaders=").unwrap() + "SignedHeaders=".len();
        authorization[start..].split(',').next().unwrap().to_owned()
    }

    /// Without a checksum the request is today's: the SHA-256 signed, no checksum headers, and
    /// the dry run's JSON has no `payload`.
    #[tokio::test]
    async fn without_a_checksum_nothing_changes() {
        let body = Body::from_bytes("123456789");
        let sha256 = body.sha256_hex().to_owned();
        let request = prepared(put(body)).await;
        assert_eq!(
            request.header("x-amz-content-sha256"),
            Some(sha256.as_str())
        );
        for name in [
            "content-encoding",
            "x-amz-decoded-content-length",
            "x-amz-trailer",
            "x-amz-sdk-checksum-algorithm",
            "x-amz-checksum-crc32c",
        ] {
            assert_eq!(request.header(name), None, "{name}");
        }
        let json = request.to_json();
        assert!(json.get("payload").is_none(), "{json}");
        assert_eq!(json["body"]["sha256"], sha256);
    }

    /// A header checksum: `x-amz-checksum-crc32c` (CRC32C of "123456789" is E3069283) and the
    /// algorithm, both signed, beside the usual signed SHA-256.
    #[tokio::test]
    async fn a_header_checksum_is_signed_with_the_body_hash() {
        let body = Body::from_bytes("123456789");
        let sha256 = body.sha256_hex().to_owned();
        let request =
            prepared(put(body).checksum(PayloadChecksum::Header(ChecksumAlgorithm::Crc32c))).await;
        assert_eq!(request.header("x-amz-checksum-crc32c"), Some("4waSgw=="));
        assert_eq!(
            request.header("x-amz-sdk-checksum-algorithm"),
            Some("CRC32C")
        );
        assert_eq!(
            request.header("x-amz-content-sha256"),
            Some(sha256.as_str())
        );
        assert_eq!(request.header("content-encoding"), None);
        let signed = signed_headers(&request);
        assert!(
            signed.contains("x-amz-checksum-crc32c")
                && signed.contains("x-amz-sdk-checksum-algorithm"),
            "{signed}"
        );
        let json = request.to_json();
        assert_eq!(json["payload"]["checksum_header"], "x-amz-checksum-crc32c");
        assert_eq!(json["body"]["sha256"], sha256);
    }

    /// aws-chunked: the streaming headers are set before signing, the payload hash is the
    /// mode's literal, and the dry run shows the AWS example's lengths (66,560 bytes in 64 KiB
    /// frames: 66,824 signed; 66,946 signed with a CRC32C trailer; 66,613 unsigned with it),
    /// never the body.
    #[tokio::test]
    async fn an_aws_chunked_body_gets_its_headers_before_signing() {
        for (mode, encoded, trailer) in [
            (ChunkedMode::Signed, 66_824, None),
            (
                ChunkedMode::SignedWithTrailer,
                66_946,
                Some("x-amz-checksum-crc32c"),
            ),
            (
                ChunkedMode::UnsignedWithTrailer,
                66_613,
                Some("x-amz-checksum-crc32c"),
            ),
        ] {
            let body = Body::from_bytes(vec![b'a'; 66_560]);
            let request = prepared(
                put(body)
                    .header("content-encoding", "gzip")
                    .checksum(PayloadChecksum::chunked(ChecksumAlgorithm::Crc32c, mode)),
            )
            .await;
            assert_eq!(request.header("content-encoding"), Some("aws-chunked,gzip"));
            assert_eq!(
                request.header("x-amz-decoded-content-length"),
                Some("66560")
            );
            assert_eq!(
                request.header("x-amz-content-sha256"),
                Some(mode.content_sha256())
            );
            assert_eq!(request.header("x-amz-trailer"), trailer, "{mode:?}");
            // The algorithm is announced only when the checksum is sent (in the trailer).
            assert_eq!(
                request.header("x-amz-sdk-checksum-algorithm"),
                trailer.map(|_| "CRC32C"),
                "{mode:?}"
            );
            assert_eq!(request.header("x-amz-checksum-crc32c"), None);
            let signed = signed_headers(&request);
            for name in ["content-encoding", "x-amz-decoded-content-length"] {
                assert!(signed.contains(name), "{mode:?}: {signed}");
            }
            assert_eq!(signed.contains("x-amz-trailer"), trailer.is_some());
            assert_eq!(
                signed.contains("x-amz-sdk-checksum-algorithm"),
                trailer.is_some()
            );
            let json = request.to_json();
            assert_eq!(json["payload"]["encoding"], "aws-chunked");
            assert_eq!(json["payload"]["mode"], mode.content_sha256());
            assert_eq!(json["payload"]["encoded_length"], encoded, "{mode:?}");
            assert_eq!(json["payload"]["decoded_length"], 66_560);
            assert!(json["body"].get("sha256").is_none(), "{json}");
            assert!(request.curl().contains("cannot be sent by curl"));
        }
    }

    /// The `when_required` form of a request: the checksum headers go (a CreateMultipartUpload's
    /// algorithm and type, a download's checksum mode), other headers stay, and only a body that
    /// was to carry a checksum gets `Content-MD5` (kept when it had one).
    #[test]
    fn the_when_required_form_drops_what_announces_a_checksum() {
        let create = Request::new(Method::POST, Target::object("b", "k"))
            .query("uploads", "")
            .header("x-amz-checksum-algorithm", "CRC32C")
            .header("x-amz-checksum-type", "FULL_OBJECT")
            .header("x-amz-meta-a", "1");
        assert!(carries_flexible_checksum(&create));
        let create = without_flexible_checksum(create);
        assert!(!carries_flexible_checksum(&create));
        let names: Vec<&str> = create.header_map().keys().map(|n| n.as_str()).collect();
        assert_eq!(names, ["x-amz-meta-a"]);

        let get = Request::new(Method::GET, Target::object("b", "k"))
            .header("x-amz-checksum-mode", "ENABLED")
            .header("range", "bytes=0-1");
        let get = without_flexible_checksum(get);
        assert_eq!(get.header_value("x-amz-checksum-mode"), None);
        assert_eq!(get.header_value("range"), Some("bytes=0-1"));
        assert_eq!(get.header_value("content-md5"), None);

        let body = Body::from_bytes("123456789");
        let md5 = body.content_md5();
        let put = put(body).checksum(PayloadChecksum::chunked(
            ChecksumAlgorithm::Crc32c,
            ChunkedMode::UnsignedWithTrailer,
        ));
        assert!(carries_flexible_checksum(&put));
        let put = without_flexible_checksum(put);
        assert_eq!(put.payload_checksum(), None);
        assert_eq!(put.header_value("content-md5"), Some(md5.as_str()));
        let kept = without_flexible_checksum(
            put.checksum(PayloadChecksum::Header(ChecksumAlgorithm::Sha1)),
        );
        assert_eq!(kept.header_map().get_all("content-md5").iter().count(), 1);
        assert!(!carries_flexible_checksum(&kept));
    }

    /// A chunk size below S3's 8 KiB minimum is refused before anything is sent.
    #[tokio::test]
    async fn a_too_small_chunk_size_is_refused() {
        let endpoint = Endpoint::parse_custom("http://127.0.0.1:9").unwrap();
        let keys = Arc::new(Credentials::new("AK", "SK", None));
        let client =
            S3Client::dry_run_from_parts(endpoint, "us-east-1", keys, ClientOptions::default())
                .unwrap();
        let err = client
            .send(
                put(Body::from_bytes("x")).checksum(PayloadChecksum::Chunked {
                    algorithm: ChecksumAlgorithm::Crc32,
                    mode: ChunkedMode::UnsignedWithTrailer,
                    chunk_size: 1024,
                }),
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        assert_eq!(err.field(), Some("chunk_size"));
        assert!(client.dry_run_request().is_none());
    }
}
