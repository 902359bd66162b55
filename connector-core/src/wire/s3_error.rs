//! S3's error answers as data: the XML `<Error>` body (or, for a bodiless HEAD, the status)
//! decoded into an [`Error`] with a stable kind and a hint a person can act on.

use crate::error::{Error, ErrorKind, S3ErrorBody};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct ErrorXml {
    code: Option<String>,
    message: Option<String>,
    request_id: Option<String>,
    host_id: Option<String>,
    string_to_sign: Option<String>,
    canonical_request: Option<String>,
    region: Option<String>,
    endpoint: Option<String>,
    bucket_name: Option<String>,
    key: Option<String>,
}

/// Where a row of [`CODES`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Amazon S3's list of error codes, with the HTTP status of each:
    /// <https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList>.
    S3ErrorCodes,
    /// The errors every AWS query API (STS, which assumes roles) may answer:
    /// <https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html>.
    AwsCommonErrors,
    /// The codes the AWS SDKs' standard retry mode treats as throttling or transient:
    /// <https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html>.
    SdkRetryBehavior,
    /// Not in the list: the code S3 (and S3-compatible stores) answer for this operation, named
    /// on the operation's own page of the S3 API reference (e.g. `GetBucketCors`).
    OperationPage,
    /// Not S3's: the name this crate gives a bodiless answer (HEAD) after its HTTP status.
    HttpStatus,
}

impl Source {
    /// The page that documents the code.
    pub fn url(self) -> &'static str {
        match self {
            Source::S3ErrorCodes => {
                "https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList"
            }
            Source::AwsCommonErrors => {
                "https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html"
            }
            Source::SdkRetryBehavior => {
                "https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html"
            }
            Source::OperationPage => {
                "https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html"
            }
            Source::HttpStatus => "https://www.rfc-editor.org/rfc/rfc9110#name-status-codes",
        }
    }
}

/// One S3 (or AWS) error code: the kind it is reported as, and whether the same request could
/// succeed when sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeRule {
    /// The code, as in `<Code>` of the error document.
    pub code: &'static str,
    /// The HTTP status the documentation gives for it (0: documented without one).
    pub status: u16,
    /// The kind reported.
    pub kind: ErrorKind,
    /// Whether trying again could succeed.
    pub retryable: bool,
    /// The page that documents the code.
    pub source: Source,
}

const fn rule(
    code: &'static str,
    status: u16,
    kind: ErrorKind,
    retryable: bool,
    source: Source,
) -> CodeRule {
    CodeRule {
        code,
        status,
        kind,
        retryable,
        source,
    }
}

use ErrorKind as K;
use Source::{
    AwsCommonErrors as Common, HttpStatus as Http, OperationPage as Op, S3ErrorCodes as S3,
    SdkRetryBehavior as Sdk,
};

/// Every error code this crate knows, with its kind and whether to retry: the one place that
/// says so. The statuses are the documented ones (a code wins over the status it came with:
/// S3 may send an `<Error>` in a `200 OK`). A code not listed is judged by its status
/// ([`kind_of_status`], [`is_retryable`]).
pub const CODES: &[CodeRule] = &[
    // The signature S3 computed differs from ours: a wrong secret, or a request altered on the
    // way. (S3 list: 403.)
    rule(
        "SignatureDoesNotMatch",
        403,
        K::SignatureMismatch,
        false,
        S3,
    ),
    // Credentials S3 does not accept. (S3 list: 403 / 400.)
    rule("InvalidAccessKeyId", 403, K::Auth, false, S3),
    rule("InvalidToken", 400, K::Auth, false, S3),
    rule("ExpiredToken", 400, K::Auth, false, S3),
    rule("TokenRefreshRequired", 400, K::Auth, false, S3),
    rule("InvalidSecurity", 403, K::Auth, false, S3),
    rule("MissingSecurityHeader", 400, K::Auth, false, S3),
    rule("CredentialsNotSupported", 400, K::Auth, false, S3),
    // The request's time is too far from S3's clock (the send path corrects its clock once
    // and resends on its own, see `retry::clock_skew`). (S3 list: 403.)
    rule("RequestTimeTooSkewed", 403, K::Auth, false, S3),
    // The request arrived too long after its date, or after a presigned URL's expiry.
    // (Common errors: 400.)
    rule("RequestExpired", 400, K::Auth, false, Common),
    // Signed for another region than the bucket's. (S3 list: 400.)
    rule("AuthorizationHeaderMalformed", 400, K::Auth, false, S3),
    // STS and other query APIs: unknown key. (Common errors: 403.)
    rule("InvalidClientTokenId", 403, K::Auth, false, Common),
    rule("UnrecognizedClientException", 400, K::Auth, false, Common),
    // Valid credentials without the permission, or an account that may not use S3.
    // (S3 list: 403.)
    rule("AccessDenied", 403, K::AccessDenied, false, S3),
    rule("AllAccessDisabled", 403, K::AccessDenied, false, S3),
    rule("AccountProblem", 403, K::AccessDenied, false, S3),
    rule("InvalidPayer", 403, K::AccessDenied, false, S3),
    rule("NotSignedUp", 403, K::AccessDenied, false, S3),
    // An archived object that must be restored first. (S3 list: 403.)
    rule("InvalidObjectState", 403, K::AccessDenied, false, S3),
    // Something named does not exist. (S3 list: 404.)
    rule("NoSuchBucket", 404, K::NotFound, false, S3),
    rule("NoSuchKey", 404, K::NotFound, false, S3),
    rule("NoSuchUpload", 404, K::NotFound, false, S3),
    rule("NoSuchVersion", 404, K::NotFound, false, S3),
    rule("NoSuchBucketPolicy", 404, K::NotFound, false, S3),
    rule("NoSuchCORSConfiguration", 404, K::NotFound, false, Op),
    rule("NoSuchLifecycleConfiguration", 404, K::NotFound, false, S3),
    rule("NoSuchTagSet", 404, K::NotFound, false, S3),
    rule("NoSuchWebsiteConfiguration", 404, K::NotFound, false, S3),
    // What a bodiless 404 (an answer to HEAD) is named.
    rule("NotFound", 404, K::NotFound, false, Http),
    // The request conflicts with the bucket's or object's state. (S3 list: 409, 412.)
    rule("BucketAlreadyExists", 409, K::Conflict, false, S3),
    rule("BucketAlreadyOwnedByYou", 409, K::Conflict, false, S3),
    rule("BucketNotEmpty", 409, K::Conflict, false, S3),
    rule("InvalidBucketState", 409, K::Conflict, false, S3),
    rule("ConditionalRequestConflict", 409, K::Conflict, false, S3),
    rule("PreconditionFailed", 412, K::Conflict, false, S3),
    // A conflicting operation on the same resource is in progress: trying again later may
    // succeed. (S3 list: 409.) Kept a conflict, as before, and not retried by the send path.
    rule("OperationAborted", 409, K::Conflict, false, S3),
    // S3 asks for a lower request rate: retry after a backoff. (S3 list: 503.)
    rule("SlowDown", 503, K::Throttled, true, S3),
    // The AWS SDKs' throttling codes (other AWS APIs, and S3-compatible stores).
    rule("Throttling", 0, K::Throttled, true, Sdk),
    rule("ThrottlingException", 0, K::Throttled, true, Sdk),
    rule("ThrottledException", 0, K::Throttled, true, Sdk),
    rule("RequestThrottledException", 0, K::Throttled, true, Sdk),
    rule("TooManyRequestsException", 0, K::Throttled, true, Sdk),
    rule(
        "ProvisionedThroughputExceededException",
        0,
        K::Throttled,
        true,
        Sdk,
    ),
    rule("TransactionInProgressException", 0, K::Throttled, true, Sdk),
    rule("RequestLimitExceeded", 0, K::Throttled, true, Sdk),
    rule("BandwidthLimitExceeded", 0, K::Throttled, true, Sdk),
    rule("RequestThrottled", 0, K::Throttled, true, Sdk),
    rule("EC2ThrottledException", 0, K::Throttled, true, Sdk),
    rule("PriorRequestNotComplete", 0, K::Throttled, true, Sdk),
    rule("TooManyRequests", 0, K::Throttled, true, Sdk),
    // The connection was idle too long while S3 waited for the body: send again.
    // (S3 list: 400; the SDKs retry it.)
    rule("RequestTimeout", 400, K::Timeout, true, S3),
    rule("RequestTimeoutException", 0, K::Timeout, true, Sdk),
    // S3 failed internally: the AWS guidance is to retry. (S3 list: 500, 503.)
    rule("InternalError", 500, K::Server, true, S3),
    rule("ServiceUnavailable", 503, K::Server, true, S3),
    // STS's internal failure. (Common errors: 500.)
    rule("InternalFailure", 500, K::Server, true, Common),
    // The store does not implement this: another try gets the same answer. (S3 list: 501.)
    rule("NotImplemented", 501, K::Server, false, S3),
    // The body S3 received is not the one sent: its Content-MD5 or flexible checksum
    // (BadDigest), its signed SHA-256 (XAmzContentSHA256Mismatch) or its length
    // (IncompleteBody) does not match. The bytes changed or were lost on the way: sending it
    // again may pass. (S3 list: 400.)
    rule("BadDigest", 400, K::Network, true, S3),
    rule("XAmzContentSHA256Mismatch", 400, K::Network, true, S3),
    rule("IncompleteBody", 400, K::Network, true, S3),
    // What we sent as a checksum is not one, or an aws-chunked trailer the store could not
    // read: the same request fails the same way. (S3 list: 400.)
    rule("InvalidDigest", 400, K::InvalidInput, false, S3),
    rule("MalformedTrailerError", 400, K::InvalidInput, false, S3),
];

/// The row of [`CODES`] for `code`, if it is listed.
pub fn rule_for(code: &str) -> Option<&'static CodeRule> {
    CODES.iter().find(|rule| rule.code == code)
}

/// The kind of an S3 error code; `None` when the code alone does not tell.
pub fn kind_of_code(code: &str) -> Option<ErrorKind> {
    rule_for(code).map(|rule| rule.kind)
}

/// Whether a failure could succeed when the same request is sent again: the one place that
/// decides it, for the send path's retries and for every error built in this crate.
///
/// A listed code decides by its row of [`CODES`]; otherwise an HTTP status of 429, 500, 502,
/// 503 or 504 is retryable (the AWS SDKs' transient statuses); otherwise the kind decides
/// ([`ErrorKind::is_transient`]: throttling, server failures without a status, network
/// failures and timeouts).
pub fn is_retryable(kind: ErrorKind, status: Option<u16>, code: Option<&str>) -> bool {
    if let Some(rule) = code.and_then(rule_for) {
        return rule.retryable;
    }
    match status {
        Some(429 | 500 | 502 | 503 | 504) => true,
        Some(_) => matches!(kind, ErrorKind::Throttled | ErrorKind::Timeout),
        None => kind.is_transient(),
    }
}

/// The kind of a bare HTTP status.
pub fn kind_of_status(status: StatusCode) -> ErrorKind {
    match status.as_u16() {
        401 => ErrorKind::Auth,
        403 => ErrorKind::AccessDenied,
        404 => ErrorKind::NotFound,
        408 => ErrorKind::Timeout,
        409 | 412 => ErrorKind::Conflict,
        429 => ErrorKind::Throttled,
        500..=599 => ErrorKind::Server,
        _ => ErrorKind::InvalidInput,
    }
}

/// What a message refusing flexible checksums names: one of their headers, an aws-chunked
/// payload literal, or the checksum type (compared in lower case).
const FLEXIBLE_CHECKSUM_WORDS: &[&str] = &[
    "x-amz-checksum",
    "x-amz-sdk-checksum-algorithm",
    "x-amz-trailer",
    "streaming-",
    "checksum type",
];

/// The hint of a refusal of flexible checksums.
const REFUSES_FLEXIBLE_CHECKSUMS: &str = "this store refuses flexible checksums: set the \
    connection's checksum_policy to when_required (or its provider, e.g. b2)";

/// Whether an answer with `code` and `message` is a store refusing flexible checksums
/// (`x-amz-checksum-*`, `x-amz-sdk-checksum-algorithm`, `x-amz-trailer`, aws-chunked
/// `STREAMING-` payloads, a checksum type), as Backblaze B2 (`InvalidArgument` "Unsupported
/// header 'x-amz-checksum-crc32'") and Cloudflare R2 (`NotImplemented`) do.
fn is_flexible_checksum_refusal(code: &str, message: Option<&str>) -> bool {
    let Some(message) = message else {
        return false;
    };
    let message = message.to_ascii_lowercase();
    matches!(
        code,
        "InvalidArgument" | "InvalidRequest" | "NotImplemented"
    ) && FLEXIBLE_CHECKSUM_WORDS
        .iter()
        .any(|word| message.contains(word))
}

/// Whether `err` is the store refusing flexible checksums (see the `when_required` checksum
/// policy): the same request without them may pass.
pub fn refuses_flexible_checksums(err: &Error) -> bool {
    err.s3()
        .is_some_and(|s3| is_flexible_checksum_refusal(&s3.code, s3.message.as_deref()))
}

/// A short, actionable hint for well-known codes.
fn hint(code: &str, body: &S3ErrorBody) -> Option<String> {
    if is_flexible_checksum_refusal(code, body.message.as_deref()) {
        return Some(REFUSES_FLEXIBLE_CHECKSUMS.to_owned());
    }
    Some(match code {
        "SignatureDoesNotMatch" => "check the secret access key (and the session token for \
            temporary credentials), and that no proxy rewrites the request"
            .to_owned(),
        "InvalidAccessKeyId" => "check the access key ID: S3 does not know it".to_owned(),
        "InvalidToken" | "ExpiredToken" | "TokenRefreshRequired" => {
            "the session token is invalid or expired: get new temporary credentials".to_owned()
        }
        "RequestTimeTooSkewed" => {
            "this machine's clock is too far from S3's: synchronise it (NTP)".to_owned()
        }
        "AuthorizationHeaderMalformed" | "PermanentRedirect" | "IllegalLocationConstraintException" => {
            match &body.region {
                Some(region) => format!("the bucket is in region {region}: set the connection's region to {region}"),
                None => "the bucket is in another region: set the connection's region to the bucket's".to_owned(),
            }
        }
        "NoSuchBucket" => "check the bucket name and the connection's region".to_owned(),
        "BucketAlreadyExists" => "bucket names are global across all AWS accounts: choose another name".to_owned(),
        "AccessDenied" => "the credentials are valid but their IAM policy (or the bucket policy) does not allow this".to_owned(),
        "BadDigest" | "XAmzContentSHA256Mismatch" | "IncompleteBody" => "the body S3 received is not the one sent: it changed on the way (or its file changed while it was read); sending it again may pass".to_owned(),
        "MalformedTrailerError" => "the store could not read the checksum trailer of the aws-chunked body: set the connection's payload_signing, or its checksum_policy to when_required".to_owned(),
        _ => return None,
    })
}

/// Builds the error for a failed response from its status, headers and (capped) body.
pub fn from_response(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    // Depth-bounded, and found behind a byte order mark, comments or a DOCTYPE.
    let parsed: Option<ErrorXml> = std::str::from_utf8(body)
        .ok()
        .and_then(|text| crate::wire::xml::deserialize(text).ok());
    let parsed = parsed.unwrap_or_default();
    let code = parsed
        .code
        .clone()
        .unwrap_or_else(|| status_code_name(status));
    let s3 = S3ErrorBody {
        code: code.clone(),
        message: parsed.message.clone(),
        request_id: parsed.request_id.or_else(|| header("x-amz-request-id")),
        host_id: parsed.host_id.or_else(|| header("x-amz-id-2")),
        string_to_sign: parsed.string_to_sign,
        canonical_request: parsed
            .canonical_request
            .map(|c| crate::wire::diagnose::redact(&c)),
        region: parsed.region.or_else(|| header("x-amz-bucket-region")),
        endpoint: parsed.endpoint,
        ..S3ErrorBody::default()
    };
    let kind = kind_of_code(&code).unwrap_or_else(|| kind_of_status(status));
    let mut message = match &parsed.message {
        Some(text) if !text.is_empty() => format!("{code}: {text}"),
        _ => format!("{code} (HTTP {})", status.as_u16()),
    };
    if let Some(name) = parsed.bucket_name.or(parsed.key) {
        message.push_str(&format!(" [{name}]"));
    }
    if let Some(hint) = hint(&code, &s3) {
        message.push_str(" — ");
        message.push_str(&hint);
    }
    let retryable = is_retryable(kind, Some(status.as_u16()), Some(&code));
    let mut err = Error::new(kind, message)
        .with_status(status.as_u16())
        .with_s3(s3)
        .with_retryable(retryable);
    if kind == ErrorKind::Auth && code == "AuthorizationHeaderMalformed" {
        err = err.with_field("connection.region");
    }
    err
}

/// Whether `body` is an S3 `<Error>` document: its root element (after the whitespace S3 sends
/// while it works, a byte order mark, the XML declaration, comments or a DOCTYPE) is `Error`.
/// S3 may answer `200 OK` and still fail this way (CopyObject, CompleteMultipartUpload): the
/// status alone does not tell.
pub fn is_error_document(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(body);
    crate::wire::xml::document_root(&text).is_ok_and(|root| root == "Error")
}

/// The error an answer stands for, if it is one: every answer other than 2xx, and a 2xx answer
/// whose body is an `<Error>` document ([`is_error_document`]). `None`: a success.
pub fn answer_error(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Option<Error> {
    (!status.is_success() || is_error_document(body)).then(|| from_response(status, headers, body))
}

/// A `not_found` error about an object says which one was looked for (a HEAD answer has no
/// body to say it), and that keys are exact when it starts with `/`. Other errors pass.
pub fn name_missing_object(err: Error, bucket: &str, key: &str) -> Error {
    if err.kind() != ErrorKind::NotFound || err.code() == Some("NoSuchBucket") {
        return err;
    }
    let mut what = format!("no file has the key {key:?} in the bucket {bucket:?}");
    if let Some(rest) = key.strip_prefix('/') {
        what.push_str(&format!(
            " (keys are exact; if the file is {rest:?}, leave out the leading '/')"
        ));
    }
    err.context(what)
}

/// A code for a status without a body (HEAD, or a proxy's answer).
fn status_code_name(status: StatusCode) -> String {
    match status.as_u16() {
        301 => "PermanentRedirect".to_owned(),
        304 => "NotModified".to_owned(),
        400 => "BadRequest".to_owned(),
        403 => "Forbidden".to_owned(),
        404 => "NotFound".to_owned(),
        412 => "PreconditionFailed".to_owned(),
        _ => status
            .canonical_reason()
            .map(|reason| reason.replace(' ', ""))
            .unwrap_or_else(|| format!("Http{}", status.as_u16())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_signature_mismatch() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message>
<AWSAccessKeyId>AKIA</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256
20130524T000000Z</StringToSign><CanonicalRequest>GET
/test.txt</CanonicalRequest><RequestId>4442587FB7D0A2F9</RequestId><HostId>host-id</HostId></Error>"#;
        let err = from_response(StatusCode::FORBIDDEN, &HeaderMap::new(), body);
        assert_eq!(err.kind(), ErrorKind::SignatureMismatch);
        assert_eq!(err.code(), Some("SignatureDoesNotMatch"));
        assert_eq!(err.request_id(), Some("4442587FB7D0A2F9"));
        let s3 = err.s3().unwrap();
        assert_eq!(s3.canonical_request.as_deref(), Some("GET\n/test.txt"));
        assert!(
            s3.string_to_sign
                .as_deref()
                .unwrap()
                .starts_with("AWS4-HMAC-SHA256\n")
        );
        assert!(err.message().contains("does not match"));
        assert!(!err.is_retryable());
    }

    #[test]
    fn bodiless_errors_map_from_the_status() {
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-request-id", "RID".parse().unwrap());
        let err = from_response(StatusCode::NOT_FOUND, &headers, b"");
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(err.code(), Some("NotFound"));
        assert_eq!(err.request_id(), Some("RID"));
        let err = from_response(StatusCode::FORBIDDEN, &headers, b"");
        assert_eq!(err.kind(), ErrorKind::AccessDenied);
        let err = from_response(StatusCode::SERVICE_UNAVAILABLE, &headers, b"<html>oops");
        assert_eq!(err.kind(), ErrorKind::Server);
        assert!(err.is_retryable());
    }

    #[test]
    fn error_documents_are_read_behind_what_may_precede_them() {
        for body in [
            "\u{FEFF}<Error><Code>SlowDown</Code></Error>",
            "<?xml version=\"1.0\"?><!-- x --><!DOCTYPE Error><Error><Code>SlowDown</Code></Error>",
        ] {
            let err = from_response(StatusCode::OK, &HeaderMap::new(), body.as_bytes());
            assert_eq!(err.code(), Some("SlowDown"), "{body:?}");
        }
        // Too deep to read: the status speaks instead, and nothing overflows.
        let deep = format!(
            "<Error>{}{}</Error>",
            "<a>".repeat(9000),
            "</a>".repeat(9000)
        );
        let err = from_response(StatusCode::FORBIDDEN, &HeaderMap::new(), deep.as_bytes());
        assert_eq!(err.kind(), ErrorKind::AccessDenied);
        assert_eq!(err.code(), Some("Forbidden"));
    }

    #[test]
    fn codes_win_over_statuses() {
        let body =
            b"<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>";
        let err = from_response(StatusCode::SERVICE_UNAVAILABLE, &HeaderMap::new(), body);
        assert_eq!(err.kind(), ErrorKind::Throttled);
        assert!(err.is_retryable());
        let body = b"<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>a/b</Key></Error>";
        let err = from_response(StatusCode::NOT_FOUND, &HeaderMap::new(), body);
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(err.message().contains("[a/b]"));
    }

    #[test]
    fn every_code_has_one_row_and_a_documented_source() {
        let mut codes: Vec<&str> = CODES.iter().map(|rule| rule.code).collect();
        codes.sort();
        let before = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), before, "a code is listed twice");
        for rule in CODES {
            assert!(rule.source.url().starts_with("https://"), "{rule:?}");
            // A documented 5xx is S3's failure (or S3 slowing us down, SlowDown's 503).
            if rule.status >= 500 {
                assert!(
                    matches!(rule.kind, ErrorKind::Server | ErrorKind::Throttled),
                    "{rule:?}"
                );
            }
            // Throttling and timeouts are always worth another try.
            if matches!(rule.kind, ErrorKind::Throttled | ErrorKind::Timeout) {
                assert!(rule.retryable, "{rule:?}");
            }
            // What the input, the credentials or the bucket's state decide never passes on
            // another try.
            if matches!(
                rule.kind,
                ErrorKind::Auth
                    | ErrorKind::SignatureMismatch
                    | ErrorKind::AccessDenied
                    | ErrorKind::NotFound
                    | ErrorKind::Conflict
            ) {
                assert!(!rule.retryable, "{rule:?}");
            }
        }
    }

    #[test]
    fn the_table_decides_kind_and_retry() {
        let rule = rule_for("SlowDown").unwrap();
        assert_eq!(
            (rule.kind, rule.retryable, rule.status),
            (ErrorKind::Throttled, true, 503)
        );
        assert_eq!(
            kind_of_code("NoSuchBucketPolicy"),
            Some(ErrorKind::NotFound)
        );
        assert_eq!(kind_of_code("Nonsense"), None);
        // S3 asks to retry InternalError; NotImplemented will answer the same again.
        assert!(is_retryable(
            ErrorKind::Server,
            Some(500),
            Some("InternalError")
        ));
        assert!(!is_retryable(
            ErrorKind::Server,
            Some(501),
            Some("NotImplemented")
        ));
        // The code wins over the status it came with: in a 200 as in a 503.
        assert!(is_retryable(
            ErrorKind::Server,
            Some(200),
            Some("ServiceUnavailable")
        ));
        assert!(!is_retryable(
            ErrorKind::AccessDenied,
            Some(503),
            Some("AccessDenied")
        ));
        // An unknown code: the status decides, then the kind.
        assert!(is_retryable(
            ErrorKind::Server,
            Some(502),
            Some("BadGateway")
        ));
        assert!(!is_retryable(
            ErrorKind::Server,
            Some(507),
            Some("InsufficientStorage")
        ));
        assert!(is_retryable(ErrorKind::Timeout, Some(408), None));
        assert!(!is_retryable(
            ErrorKind::InvalidInput,
            Some(200),
            Some("Weird")
        ));
        assert!(is_retryable(ErrorKind::Network, None, None));
        assert!(!is_retryable(ErrorKind::InvalidInput, None, None));
    }

    fn answer(status: u16, code: &str, message: &str) -> Error {
        let body = format!("<Error><Code>{code}</Code><Message>{message}</Message></Error>");
        from_response(
            StatusCode::from_u16(status).unwrap(),
            &HeaderMap::new(),
            body.as_bytes(),
        )
    }

    /// The bytes changed on the way: BadDigest (and a body hash or length S3 did not get)
    /// is a retryable network failure; a checksum that is not a checksum is not.
    #[test]
    fn damaged_bodies_are_network_failures_worth_another_try() {
        for code in ["BadDigest", "XAmzContentSHA256Mismatch", "IncompleteBody"] {
            let err = answer(400, code, "no");
            assert_eq!(err.kind(), ErrorKind::Network, "{code}");
            assert!(err.is_retryable(), "{code}");
        }
        for code in ["InvalidDigest", "MalformedTrailerError"] {
            let err = answer(400, code, "no");
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{code}");
            assert!(!err.is_retryable(), "{code}");
        }
        let err = answer(
            400,
            "BadDigest",
            "The Content-MD5 you specified did not match what we received.",
        );
        assert!(
            err.message().contains("changed on the way"),
            "{}",
            err.message()
        );
    }

    /// Stores that refuse flexible checksums say so in many words; each refusal gets the hint
    /// to use `when_required`, and other errors with the same codes do not.
    #[test]
    fn refused_flexible_checksums_get_a_hint() {
        let refusals = [
            (
                400,
                "InvalidArgument",
                "Unsupported header 'x-amz-checksum-crc32' received for this API call.",
            ),
            (
                400,
                "InvalidArgument",
                "Unsupported header 'x-amz-sdk-checksum-algorithm' received for this API call.",
            ),
            (
                400,
                "InvalidArgument",
                "Unsupported header 'x-amz-checksum-mode' received for this API call.",
            ),
            (
                501,
                "NotImplemented",
                "Header 'x-amz-checksum-crc32' with value 'AAAAAA==' not implemented",
            ),
            (400, "InvalidRequest", "x-amz-trailer is not supported"),
            (
                501,
                "NotImplemented",
                "STREAMING-UNSIGNED-PAYLOAD-TRAILER is not implemented",
            ),
            (400, "InvalidRequest", "The Checksum Type is not supported"),
        ];
        for (status, code, message) in refusals {
            let err = answer(status, code, message);
            assert!(refuses_flexible_checksums(&err), "{message}");
            assert!(
                err.message().contains("checksum_policy to when_required"),
                "{}",
                err.message()
            );
        }
        for (status, code, message) in [
            (400, "InvalidArgument", "Invalid version id specified"),
            (
                400,
                "InvalidRequest",
                "Missing required header for this request: Content-MD5",
            ),
            (400, "BadDigest", "x-amz-checksum-crc32c did not match"),
            (501, "NotImplemented", ""),
        ] {
            let err = answer(status, code, message);
            assert!(!refuses_flexible_checksums(&err), "{code} {message}");
            assert!(
                !err.message().contains("when_required"),
                "{}",
                err.message()
            );
        }
    }

    #[test]
    fn errors_in_200_answers_are_found_by_their_root() {
        let failed =
            b"   \n  <?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code>\
            <Message>We encountered an internal error. Please try again.</Message></Error>";
        assert!(is_error_document(failed));
        let err = answer_error(StatusCode::OK, &HeaderMap::new(), failed).unwrap();
        assert_eq!(err.code(), Some("InternalError"));
        assert_eq!(err.kind(), ErrorKind::Server);
        assert!(err.is_retryable());
        assert_eq!(err.status(), Some(200));
        let ok = b"<CopyObjectResult><ETag>\"abc\"</ETag></CopyObjectResult>";
        assert!(!is_error_document(ok));
        assert!(answer_error(StatusCode::OK, &HeaderMap::new(), ok).is_none());
        // Another root that merely contains <Error> elements is not an error document.
        let deleted =
            b"<DeleteResult><Error><Key>a</Key><Code>AccessDenied</Code></Error></DeleteResult>";
        assert!(!is_error_document(deleted));
        for other in [&b""[..], b"   ", b"<html>oops", b"\xff\xfe"] {
            assert!(!is_error_document(other), "{other:?}");
            assert!(answer_error(StatusCode::OK, &HeaderMap::new(), other).is_none());
        }
        // A failed status is an error whatever its body.
        let err = answer_error(StatusCode::BAD_GATEWAY, &HeaderMap::new(), b"<html>").unwrap();
        assert_eq!(err.kind(), ErrorKind::Server);
        assert!(err.is_retryable());
    }
}
