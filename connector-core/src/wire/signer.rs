//! SigV4 signing with S3's settings, over `aws-sigv4`.
//!
//! S3 wants the URI path encoded once and never normalised, the session token inside the
//! signature, and the payload's SHA-256 in `x-amz-content-sha256`. Every request of the
//! connector is signed here.

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
            .into_parts();
        let mut params: Vec<(&'static str, String)> = params
            .into_iter()
            .map(|(name, value)| (name, value.into_owned()))
            .collect();
        // The signature goes last, as AWS's SDKs write it.
        params.sort_by_key(|(name, _)| *name == "X-Amz-Signature");
        Ok(params)
    }

    /// What aws-sigv4 says to add to `request` to sign it with `settings`.
    fn instructions(
        &self,
        request: &SignRequest<'_>,
        body: SignableBody<'_>,
        settings: SigningSettings,
        credentials: &Credentials,
        time: SystemTime,
    ) -> Result<aws_sigv4::http_request::SigningInstructions> {
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

    /// What aws-sigv4 says to add to a request (`url` already encoded) to sign it.
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
    ) -> Result<aws_sigv4::http_request::SigningInstructions> {
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
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|err| {
                Error::new(ErrorKind::Auth, format!("cannot sign this request: {err}"))
                    .with_source(err)
            })?
            .into_parts();
        Ok(instructions)
    }

    /// Signs a request as it goes on the wire (`headers` without the signer's own) at `time`,
    /// returning the headers to add (as [`sign`](Self::sign)). A header value that is not
    /// visible ASCII cannot be signed: `invalid_input`, field `headers.NAME`.
    #[allow(clippy::too_many_arguments)]
    pub fn sign_headers(
        &self,
        method: &http::Method,
        url: &reqwest::Url,
        headers: &http::HeaderMap,
        payload_sha256: &str,
        credentials: &Credentials,
        time: SystemTime,
    ) -> Result<Vec<(&'static str, String)>> {
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
        let (headers, _) = self
            .instructions_for(
                method.as_str(),
                url.as_str(),
                pairs.into_iter(),
                body,
                Self::settings(),
                credentials,
                time,
            )?
            .into_parts();
        Ok(headers
            .into_iter()
            .map(|header| (header.name(), header.value().to_owned()))
            .collect())
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
}
