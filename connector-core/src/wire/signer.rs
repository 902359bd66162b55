//! SigV4 signing with S3's settings, over `aws-sigv4`.
//!
//! S3 wants the URI path encoded once and never normalised, the session token inside the
//! signature, and the payload's SHA-256 in `x-amz-content-sha256`. Every request of the
//! connector is signed here, and so are the chunks and trailer of an aws-chunked body
//! ([`ChunkSigner`]), chained on the request's signature.

use crate::error::{Error, ErrorKind, Result};
use crate::wire::credentials::Credentials;
use aws_sigv4::http_request::SignatureLocation;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SessionTokenMode, SignableBody, SignableRequest,
    SigningSettings, UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use sha2::{Digest, Sha256};
use std::time::{Duration, SystemTime};

/// The SHA-256 of an empty payload, hex encoded.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Headers the signer writes; a caller may not set them.
pub const SIGNER_HEADERS: [&str; 5] = [
    "authorization",
    "host",
    "x-amz-date",
    "x-amz-content-sha256",
    "x-amz-security-token",
];

/// The hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A time as SigV4 writes it: `20130524T000000Z`.
pub fn amz_date(time: SystemTime) -> String {
    aws_smithy_types::DateTime::from(time)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .map(|iso| {
            iso.chars()
                .filter(|c| c.is_ascii_digit() || *c == 'T' || *c == 'Z')
                .take(15)
                .chain(std::iter::once('Z'))
                .collect()
        })
        .unwrap_or_default()
}

/// One request to sign.
#[derive(Debug)]
pub struct SignRequest<'a> {
    /// `GET`, `PUT`, …
    pub method: &'a str,
    /// The full URL, already percent-encoded (path and query).
    pub url: &'a str,
    /// Headers to sign (lower-case names), without the ones the signer adds.
    pub headers: &'a [(String, String)],
    /// Hex SHA-256 of the payload.
    pub payload_sha256: &'a str,
}

/// `x-amz-content-sha256` of a body sent aws-chunked with a signature on every chunk.
pub const STREAMING_SIGNED_PAYLOAD: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";

/// `x-amz-content-sha256` of a body sent aws-chunked with a signature on every chunk and signed
/// trailing headers (a checksum).
pub const STREAMING_SIGNED_PAYLOAD_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";

/// `x-amz-content-sha256` of a body sent aws-chunked without signatures, with trailing headers.
pub const STREAMING_UNSIGNED_PAYLOAD_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

/// The headers to add to a request to sign it, and its signature (the `Signature=` of
/// `authorization`).
#[derive(Debug, Clone)]
pub struct SignedHeaders {
    /// `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` (with a session token) and
    /// `authorization`.
    pub headers: Vec<(&'static str, String)>,
    /// The request's signature, 64 hex digits: the seed of chunk signatures.
    pub signature: String,
}

/// Signs the chunks of one aws-chunked body in order, then its trailing headers
/// (AWS "Signature calculations for the Authorization header: transferring payload in multiple
/// chunks", and "… including trailing headers"). Each signature chains on the one before it,
/// starting from the seed: the request's own signature. Made by [`Signer::chunk_signer`]; a
/// retried request has a new seed and needs a new one.
pub struct ChunkSigner {
    /// The derived signing key of the request's day, region and service.
    key: [u8; 32],
    /// `20130524T000000Z`, the request's `x-amz-date`.
    date_time: String,
    /// `20130524/us-east-1/s3/aws4_request`.
    scope: String,
    /// The last signature made (the seed at first).
    previous: String,
    /// Reused for every string to sign.
    string_to_sign: String,
}

impl ChunkSigner {
    /// Signs the next chunk, `data` (the empty final chunk too), returning its
    /// `chunk-signature`.
    pub fn sign_chunk(&mut self, data: &[u8]) -> &str {
        self.sign_chunk_sha256(&Sha256::digest(data).into())
    }

    /// Signs the next chunk given its SHA-256 (hashed as it was read).
    pub fn sign_chunk_sha256(&mut self, sha256: &[u8; 32]) -> &str {
        let hash = hex::encode(sha256);
        self.sign_next("AWS4-HMAC-SHA256-PAYLOAD", &[EMPTY_SHA256, "\n", &hash])
    }

    /// Signs the trailing headers (`name`, `value`) sent after the final chunk, returning the
    /// `x-amz-trailer-signature`: over `name:value\n` lines, names lower-case and sorted,
    /// values trimmed.
    pub fn sign_trailer(&mut self, trailers: &[(&str, &str)]) -> &str {
        let mut sorted: Vec<(String, &str)> = trailers
            .iter()
            .map(|(name, value)| (name.to_ascii_lowercase(), value.trim()))
            .collect();
        sorted.sort();
        let mut hasher = Sha256::new();
        for (name, value) in &sorted {
            hasher.update(name.as_bytes());
            hasher.update(b":");
            hasher.update(value.as_bytes());
            hasher.update(b"\n");
        }
        let hash = hex::encode(hasher.finalize());
        self.sign_next("AWS4-HMAC-SHA256-TRAILER", &[&hash])
    }

    /// The last signature made (the seed before any chunk).
    pub fn previous(&self) -> &str {
        &self.previous
    }

    /// Signs `algorithm`, date, scope, the previous signature and `payload_hash` (joined), and
    /// keeps the result as the previous signature.
    fn sign_next(&mut self, algorithm: &str, payload_hash: &[&str]) -> &str {
        let text = &mut self.string_to_sign;
        text.clear();
        for part in [algorithm, "\n", &self.date_time, "\n", &self.scope, "\n"] {
            text.push_str(part);
        }
        text.push_str(&self.previous);
        text.push('\n');
        for part in payload_hash {
            text.push_str(part);
        }
        self.previous = v4::calculate_signature(self.key, text.as_bytes());
        &self.previous
    }
}

impl std::fmt::Debug for ChunkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkSigner")
            .field("key", &crate::wire::secret::REDACTED)
            .field("date_time", &self.date_time)
            .field("scope", &self.scope)
            .field("previous", &self.previous)
            .finish()
    }
}

/// Signs requests for one service (`s3`, later `sts`) in one region.
#[derive(Debug, Clone)]
pub struct Signer {
    service: &'static str,
    region: String,
}

impl Signer {
    /// A signer for `service` (`s3`, `sts`) in `region`.
    pub fn new(service: &'static str, region: impl Into<String>) -> Self {
        Signer {
            service,
            region: region.into(),
        }
    }

    /// A signer for S3 in `region`.
    pub fn s3(region: impl Into<String>) -> Self {
        Self::new("s3", region)
    }

    /// The service requests are signed for.
    pub fn service(&self) -> &'static str {
        self.service
    }

    /// The region requests are signed for.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// S3's signing settings for header signing.
    fn settings() -> SigningSettings {
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.session_token_mode = SessionTokenMode::Include;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        settings
    }

    /// S3's settings for presigned URLs: the signature in the query, valid for `expires_in`,
    /// the payload unsigned (the uploader's body is not known when the URL is made).
    fn presign_settings(expires_in: Duration) -> SigningSettings {
        let mut settings = Self::settings();
        settings.payload_checksum_kind = PayloadChecksumKind::NoHeader;
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expires_in);
        settings
    }

    /// Presigns `method` on `url` (already encoded, with any operation parameters in its
    /// query) for `expires_in`, binding `headers` (lower-case names) into the signature. Returns
    /// the `X-Amz-*` query parameters to append, `X-Amz-Signature` last.
    pub fn presign(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        expires_in: Duration,
        credentials: &Credentials,
        time: SystemTime,
    ) -> Result<Vec<(&'static str, String)>> {
        let request = SignRequest {
            method,
            url,
            headers,
            payload_sha256: "",
        };
        let settings = Self::presign_settings(expires_in);
        let body = SignableBody::UnsignedPayload;
        let (_, params) = self
            .instructions(&request, body, settings, credentials, time)?
            .0
            .into_parts();
        let mut params: Vec<(&'static str, String)> = params
            .into_iter()
            .map(|(name, value)| (name, value.into_owned()))
            .collect();
        // The signature goes last, as AWS's SDKs write it.
        params.sort_by_key(|(name, _)| *name == "X-Amz-Signature");
        Ok(params)
    }

    /// What aws-sigv4 says to add to `request` to sign it with `settings`, and the signature.
    fn instructions(
        &self,
        request: &SignRequest<'_>,
        body: SignableBody<'_>,
        settings: SigningSettings,
        credentials: &Credentials,
        time: SystemTime,
    ) -> Result<(aws_sigv4::http_request::SigningInstructions, String)> {
        let headers = request
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()));
        self.instructions_for(
            request.method,
            request.url,
            headers,
            body,
            settings,
            credentials,
            time,
        )
    }

    /// What aws-sigv4 says to add to a request (`url` already encoded) to sign it, and the
    /// signature.
    #[allow(clippy::too_many_arguments)]
    fn instructions_for<'h>(
        &self,
        method: &'h str,
        url: &'h str,
        headers: impl Iterator<Item = (&'h str, &'h str)>,
        body: SignableBody<'h>,
        settings: SigningSettings,
        credentials: &Credentials,
        time: SystemTime,
    ) -> Result<(aws_sigv4::http_request::SigningInstructions, String)> {
        let identity = credentials.identity();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(self.service)
            .time(time)
            .settings(settings)
            .build()
            .map_err(|err| Error::new(ErrorKind::Auth, format!("cannot sign: {err}")))?
            .into();
        let signable = SignableRequest::new(method, url, headers, body).map_err(|err| {
            Error::invalid_input("url", format!("cannot sign this request: {err}")).with_source(err)
        })?;
        let (instructions, signature) = sign(signable, &params)
            .map_err(|err| {
                Error::new(ErrorKind::Auth, format!("cannot sign this request: {err}"))
                    .with_source(err)
            })?
            .into_parts();
        Ok((instructions, signature))
    }

    /// Signs a request as it goes on the wire (`headers` without the signer's own) at `time`,
    /// returning the headers to add (as [`sign`](Self::sign)). A header value that is not
    /// visible ASCII cannot be signed: `invalid_input`, field `headers.NAME`.
    pub fn sign_headers(
        &self,
        method: &http::Method,
        url: &reqwest::Url,
        headers: &http::HeaderMap,
        payload_sha256: &str,
        credentials: &Credentials,
        time: SystemTime,
    ) -> Result<Vec<(&'static str, String)>> {
        self.sign_headers_with_signature(method, url, headers, payload_sha256, credentials, time)
            .map(|signed| signed.headers)
    }

    /// As [`sign_headers`](Self::sign_headers), keeping the signature too: the seed of an
    /// aws-chunked body's chunk signatures. `payload_sha256` is then the streaming literal
    /// ([`STREAMING_SIGNED_PAYLOAD`], [`STREAMING_SIGNED_PAYLOAD_TRAILER`]); continue with
    /// [`chunk_signer`](Self::chunk_signer) at the same `time`.
    pub fn sign_headers_with_signature(
        &self,
        method: &http::Method,
        url: &reqwest::Url,
        headers: &http::HeaderMap,
        payload_sha256: &str,
        credentials: &Credentials,
        time: SystemTime,
    ) -> Result<SignedHeaders> {
        let mut pairs = Vec::with_capacity(headers.len());
        for (name, value) in headers {
            let value = value.to_str().map_err(|_| {
                Error::invalid_input(
                    format!("headers.{name}"),
                    "the header value has characters HTTP does not allow",
                )
            })?;
            pairs.push((name.as_str(), value));
        }
        let body = SignableBody::Precomputed(payload_sha256.to_owned());
        let (instructions, signature) = self.instructions_for(
            method.as_str(),
            url.as_str(),
            pairs.into_iter(),
            body,
            Self::settings(),
            credentials,
            time,
        )?;
        let (headers, _) = instructions.into_parts();
        Ok(SignedHeaders {
            headers: headers
                .into_iter()
                .map(|header| (header.name(), header.value().to_owned()))
                .collect(),
            signature,
        })
    }

    /// Signs the chunks of an aws-chunked body (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`)
    /// whose headers were signed at `time` with `seed` as signature
    /// ([`sign_headers_with_signature`](Self::sign_headers_with_signature)). The signing key is
    /// derived once, here.
    pub fn chunk_signer(
        &self,
        credentials: &Credentials,
        time: SystemTime,
        seed: impl Into<String>,
    ) -> ChunkSigner {
        let derived = self.signing_key(credentials, time);
        let mut key = [0; 32];
        key.copy_from_slice(derived.as_ref());
        let date_time = amz_date(time);
        let scope = format!(
            "{}/{}/{}/aws4_request",
            &date_time[..8],
            self.region,
            self.service
        );
        ChunkSigner {
            key,
            date_time,
            scope,
            previous: seed.into(),
            string_to_sign: String::with_capacity(256),
        }
    }

    /// The SigV4 signing key of `credentials` for `time` (the day), this region and service.
    pub fn signing_key(&self, credentials: &Credentials, time: SystemTime) -> impl AsRef<[u8]> {
        v4::generate_signing_key(
            credentials.secret_access_key().expose(),
            time,
            &self.region,
            self.service,
        )
    }

    /// The credential scope `ACCESS_KEY/YYYYMMDD/REGION/SERVICE/aws4_request`.
    pub fn credential_scope(&self, credentials: &Credentials, time: SystemTime) -> String {
        format!(
            "{}/{}/{}/{}/aws4_request",
            credentials.access_key_id(),
            &amz_date(time)[..8],
            self.region,
            self.service
        )
    }

    /// Signs `request` at `time`, returning the headers to add: `x-amz-date`,
    /// `x-amz-content-sha256`, `x-amz-security-token` (with a session token) and `authorization`.
    pub fn sign(
        &self,
        request: &SignRequest<'_>,
        credentials: &Credentials,
        time: SystemTime,
    ) -> Result<Vec<(&'static str, String)>> {
        let body = SignableBody::Precomputed(request.payload_sha256.to_owned());
        let (headers, _) = self
            .instructions(request, body, Self::settings(), credentials, time)?
            .0
            .into_parts();
        Ok(headers
            .into_iter()
            .map(|header| (header.name(), header.value().to_owned()))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    //! AWS's published S3 examples ("Signature Calculations for the Authorization Header:
    //! Transferring Payload in a Single Chunk"), reproduced byte for byte.
    use super::*;
    use crate::wire::checksum::ChecksumAlgorithm;
    use std::time::{Duration, UNIX_EPOCH};

    const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
    const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    /// 2013-05-24T00:00:00Z
    fn example_time() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_369_353_600)
    }

    fn sign_example(
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        payload: &[u8],
    ) -> Vec<(&'static str, String)> {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        let hash = sha256_hex(payload);
        let creds = Credentials::new(ACCESS_KEY, SECRET_KEY, None);
        Signer::s3("us-east-1")
            .sign(
                &SignRequest {
                    method,
                    url,
                    headers: &headers,
                    payload_sha256: &hash,
                },
                &creds,
                example_time(),
            )
            .unwrap()
    }

    fn header<'a>(headers: &'a [(&'static str, String)], name: &str) -> &'a str {
        headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} header"))
    }

    #[test]
    fn aws_example_get_object() {
        let headers = sign_example(
            "GET",
            "https://examplebucket.s3.amazonaws.com/test.txt",
            &[("range", "bytes=0-9")],
            b"",
        );
        assert_eq!(header(&headers, "x-amz-date"), "20130524T000000Z");
        assert_eq!(header(&headers, "x-amz-content-sha256"), EMPTY_SHA256);
        assert_eq!(
            header(&headers, "authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn aws_example_put_object() {
        let headers = sign_example(
            "PUT",
            &format!(
                "https://examplebucket.s3.amazonaws.com/{}",
                crate::wire::encode::encode_path("test$file.text")
            ),
            &[
                ("date", "Fri, 24 May 2013 00:00:00 GMT"),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ],
            b"Welcome to Amazon S3.",
        );
        assert_eq!(
            header(&headers, "x-amz-content-sha256"),
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
        );
        assert_eq!(
            header(&headers, "authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, \
             Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
        );
    }

    #[test]
    fn aws_example_get_bucket_lifecycle() {
        let headers = sign_example(
            "GET",
            "https://examplebucket.s3.amazonaws.com/?lifecycle",
            &[],
            b"",
        );
        assert!(header(&headers, "authorization").ends_with(
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date, \
             Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"
        ));
    }

    #[test]
    fn aws_example_list_objects() {
        let headers = sign_example(
            "GET",
            "https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J",
            &[],
            b"",
        );
        assert!(header(&headers, "authorization").ends_with(
            "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
        ));
    }

    #[test]
    fn session_token_is_sent_and_signed() {
        let creds = Credentials::new(ACCESS_KEY, SECRET_KEY, Some("token/with+chars=".into()));
        let headers = Signer::s3("us-east-1")
            .sign(
                &SignRequest {
                    method: "GET",
                    url: "https://examplebucket.s3.amazonaws.com/test.txt",
                    headers: &[],
                    payload_sha256: EMPTY_SHA256,
                },
                &creds,
                example_time(),
            )
            .unwrap();
        assert_eq!(
            header(&headers, "x-amz-security-token"),
            "token/with+chars="
        );
        assert!(
            header(&headers, "authorization").contains(
                "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token"
            )
        );
    }

    /// The request of AWS's aws-chunked examples: `PUT /examplebucket/chunkObject.txt`,
    /// 66,560 bytes of `a` in chunks of 64 KiB and 1 KiB, with these extra headers.
    fn streaming_example_seed(
        headers: &[(&str, &str)],
        payload: &str,
    ) -> (SignedHeaders, ChunkSigner) {
        let mut map = http::HeaderMap::new();
        for (name, value) in headers {
            map.insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                http::HeaderValue::from_str(value).unwrap(),
            );
        }
        let url =
            reqwest::Url::parse("https://s3.amazonaws.com/examplebucket/chunkObject.txt").unwrap();
        let creds = Credentials::new(ACCESS_KEY, SECRET_KEY, None);
        let signer = Signer::s3("us-east-1");
        let signed = signer
            .sign_headers_with_signature(
                &http::Method::PUT,
                &url,
                &map,
                payload,
                &creds,
                example_time(),
            )
            .unwrap();
        let chunks = signer.chunk_signer(&creds, example_time(), signed.signature.clone());
        (signed, chunks)
    }

    /// AWS "Signature Calculations for the Authorization Header: Transferring Payload in
    /// Multiple Chunks (Chunked Upload)" (sigv4-streaming.html): the seed and the three chunk
    /// signatures, byte for byte.
    #[test]
    fn aws_example_streaming_signed_payload() {
        let (signed, mut chunks) = streaming_example_seed(
            &[
                ("content-encoding", "aws-chunked"),
                ("content-length", "66824"),
                ("x-amz-decoded-content-length", "66560"),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ],
            STREAMING_SIGNED_PAYLOAD,
        );
        let seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
        assert_eq!(signed.signature, seed);
        assert_eq!(
            header(&signed.headers, "authorization"),
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
                 SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;\
                 x-amz-decoded-content-length;x-amz-storage-class, Signature={seed}"
            )
        );
        assert_eq!(
            header(&signed.headers, "x-amz-content-sha256"),
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
        );
        assert_eq!(chunks.previous(), seed);
        assert_eq!(
            chunks.sign_chunk(&[b'a'; 65_536]),
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
        );
        assert_eq!(
            chunks.sign_chunk(&[b'a'; 1_024]),
            "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
        );
        assert_eq!(
            chunks.sign_chunk(b""),
            "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
        );
    }

    /// AWS "… Including Trailing Headers" (sigv4-streaming-trailers.html): seed, chunk
    /// signatures and the trailer's signature over `x-amz-checksum-crc32c:sOO8/Q==`.
    #[test]
    fn aws_example_streaming_signed_payload_trailer() {
        let (signed, mut chunks) = streaming_example_seed(
            &[
                ("content-encoding", "aws-chunked"),
                ("x-amz-decoded-content-length", "66560"),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                ("x-amz-trailer", "x-amz-checksum-crc32c"),
            ],
            STREAMING_SIGNED_PAYLOAD_TRAILER,
        );
        assert_eq!(
            signed.signature,
            "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
        );
        assert!(header(&signed.headers, "authorization").contains(
            "SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;\
             x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,"
        ));
        assert_eq!(
            chunks.sign_chunk(&[b'a'; 65_536]),
            "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2"
        );
        assert_eq!(
            chunks.sign_chunk(&[b'a'; 1_024]),
            "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7"
        );
        assert_eq!(
            chunks.sign_chunk(b""),
            "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992"
        );
        let crc32c = ChecksumAlgorithm::Crc32c
            .digest(&[b'a'; 66_560])
            .to_base64();
        assert_eq!(crc32c, "sOO8/Q==");
        assert_eq!(
            chunks.sign_trailer(&[("x-amz-checksum-crc32c", &crc32c)]),
            "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"
        );
    }

    /// A second, independent set: smithy-rs's recording of the Rust SDK's PutObject with signed
    /// chunks and a CRC32 trailer, accepted by S3 (`aws/sdk/integration-tests/s3/tests/data/
    /// chunk_signing/chunk-signing.json`, smithy-lang/smithy-rs 3093eb5): the SDK's test keys,
    /// 2009-02-13T23:31:30Z, 65 KiB of `a`. Its `content-length` is the recording's, as signed.
    #[test]
    fn smithy_rs_recorded_signed_chunks_with_trailer() {
        let mut map = http::HeaderMap::new();
        for (name, value) in [
            ("content-length", "66612"),
            ("content-type", "application/octet-stream"),
            ("x-amz-sdk-checksum-algorithm", "CRC32"),
            (
                "x-amz-user-agent",
                "aws-sdk-rust/0.123.test ua/0.1 api/test-service/0.123 os/windows/XPSP3 \
                 lang/rust/1.50.0 m/U,Z,E md/http#replaying-client",
            ),
            ("x-amz-trailer", "x-amz-checksum-crc32"),
            ("x-amz-decoded-content-length", "66560"),
            ("content-encoding", "aws-chunked"),
        ] {
            map.insert(
                http::HeaderName::from_static(name),
                http::HeaderValue::from_static(value),
            );
        }
        let url = reqwest::Url::parse(
            "https://test-bucket.s3.us-east-1.amazonaws.com/mytest.txt?x-id=PutObject",
        )
        .unwrap();
        let creds = Credentials::new("ANOTREAL", "notrealrnrELgWzOk3IfjzDKtFBhDby", None);
        let time = UNIX_EPOCH + Duration::from_secs(1_234_567_890);
        let signer = Signer::s3("us-east-1");
        let signed = signer
            .sign_headers_with_signature(
                &http::Method::PUT,
                &url,
                &map,
                STREAMING_SIGNED_PAYLOAD_TRAILER,
                &creds,
                time,
            )
            .unwrap();
        assert_eq!(
            header(&signed.headers, "authorization"),
            "AWS4-HMAC-SHA256 Credential=ANOTREAL/20090213/us-east-1/s3/aws4_request, \
             SignedHeaders=content-encoding;content-length;content-type;host;x-amz-content-sha256;\
             x-amz-date;x-amz-decoded-content-length;x-amz-sdk-checksum-algorithm;x-amz-trailer;\
             x-amz-user-agent, \
             Signature=9ba9e547d2c00dbbaef27ab3ec2176ce525fddb6bdf055b39ad325d5353a8f93"
        );
        let mut chunks = signer.chunk_signer(&creds, time, signed.signature);
        assert_eq!(
            chunks.sign_chunk(&[b'a'; 65_536]),
            "49730237b2d2993984da70928be825eafe3804b8296e2625dbc982c701c1c1ab"
        );
        assert_eq!(
            chunks.sign_chunk(&[b'a'; 1_024]),
            "de013414680387ed9946e49b914dcea81e7ca2f133bbc430db1043497e001a3e"
        );
        assert_eq!(
            chunks.sign_chunk(b""),
            "039b89e4d219772e3f3da890feb2afe19802c62d547ba01cf1227a0680b3ee73"
        );
        let crc32 = ChecksumAlgorithm::Crc32.digest(&[b'a'; 66_560]).to_base64();
        assert_eq!(crc32, "sK4Y7A==");
        assert_eq!(
            chunks.sign_trailer(&[("x-amz-checksum-crc32", &crc32)]),
            "548667c75c3e63e3232a0c18bb14b460d498b0cdcd6d640cc5933e057cb0f132"
        );
    }

    /// The chain agrees with aws-sigv4's own `sign_chunk` and `sign_trailer` (which derive the
    /// key on every call) over random chunks, with and without a session token, and trailers
    /// given in any order and case.
    #[test]
    fn chunk_chain_matches_aws_sigv4() {
        let mut rng = fastrand::Rng::with_seed(42);
        for token in [None, Some("token/with+chars=".to_owned())] {
            let creds = Credentials::new(ACCESS_KEY, SECRET_KEY, token);
            let time = UNIX_EPOCH + Duration::from_secs(1_768_478_400 + rng.u64(0..86_400 * 400));
            let signer = Signer::s3("eu-west-1");
            let seed = hex::encode(rng.u64(..).to_be_bytes()).repeat(4);
            let identity = creds.identity();
            let params = v4::SigningParams::builder()
                .identity(&identity)
                .region("eu-west-1")
                .name("s3")
                .time(time)
                .settings(SigningSettings::default())
                .build()
                .unwrap();
            let mut ours = signer.chunk_signer(&creds, time, seed.clone());
            let mut running = seed;
            for _ in 0..5 {
                let mut chunk = vec![0u8; rng.usize(0..=20_000)];
                rng.fill(&mut chunk);
                let theirs = v4::sign_chunk(&bytes::Bytes::from(chunk.clone()), &running, &params)
                    .unwrap()
                    .into_parts()
                    .1;
                assert_eq!(ours.sign_chunk(&chunk), theirs);
                running = theirs;
            }
            let mut trailers = aws_smithy_runtime_api::http::Headers::new();
            trailers.insert(
                "x-amz-checksum-sha256",
                " FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU= ",
            );
            trailers.insert("x-amz-checksum-crc32c", "4waSgw==");
            let theirs = v4::sign_trailer(&trailers, &running, &params)
                .unwrap()
                .into_parts()
                .1;
            assert_eq!(
                ours.sign_trailer(&[
                    (
                        "X-Amz-Checksum-SHA256",
                        " FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU= "
                    ),
                    ("x-amz-checksum-crc32c", "4waSgw=="),
                ]),
                theirs
            );
        }
    }

    #[test]
    fn sign_headers_keeps_its_headers_and_the_signature_is_the_authorizations() {
        let (signed, chunks) = streaming_example_seed(&[], EMPTY_SHA256);
        let authorization = header(&signed.headers, "authorization");
        assert!(authorization.ends_with(&format!("Signature={}", signed.signature)));
        let debug = format!("{chunks:?}");
        assert!(debug.contains(crate::wire::secret::REDACTED), "{debug}");
        assert!(!debug.contains("key: ["), "{debug}");
    }
}
