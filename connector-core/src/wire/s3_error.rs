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

/// The kind of an S3 error code; `None` when the code alone does not tell.
pub fn kind_of_code(code: &str) -> Option<ErrorKind> {
    Some(match code {
        "SignatureDoesNotMatch" => ErrorKind::SignatureMismatch,
        "InvalidAccessKeyId"
        | "InvalidToken"
        | "ExpiredToken"
        | "TokenRefreshRequired"
        | "InvalidSecurity"
        | "MissingSecurityHeader"
        | "RequestTimeTooSkewed"
        | "RequestExpired"
        | "AuthorizationHeaderMalformed"
        | "CredentialsNotSupported"
        | "InvalidClientTokenId"
        | "UnrecognizedClientException" => ErrorKind::Auth,
        "AccessDenied" | "AllAccessDisabled" | "AccountProblem" | "InvalidObjectState"
        | "InvalidPayer" | "NotSignedUp" => ErrorKind::AccessDenied,
        "NoSuchBucket"
        | "NoSuchKey"
        | "NoSuchUpload"
        | "NoSuchVersion"
        | "NoSuchBucketPolicy"
        | "NoSuchCORSConfiguration"
        | "NoSuchLifecycleConfiguration"
        | "NoSuchTagSet"
        | "NoSuchWebsiteConfiguration"
        | "NotFound" => ErrorKind::NotFound,
        "BucketAlreadyExists"
        | "BucketAlreadyOwnedByYou"
        | "BucketNotEmpty"
        | "OperationAborted"
        | "PreconditionFailed"
        | "InvalidBucketState"
        | "ConditionalRequestConflict" => ErrorKind::Conflict,
        "SlowDown"
        | "Throttling"
        | "ThrottlingException"
        | "ThrottledException"
        | "RequestLimitExceeded"
        | "TooManyRequestsException"
        | "TooManyRequests"
        | "RequestThrottled"
        | "RequestThrottledException"
        | "ProvisionedThroughputExceededException"
        | "BandwidthLimitExceeded"
        | "EC2ThrottledException"
        | "TransactionInProgressException"
        | "PriorRequestNotComplete" => ErrorKind::Throttled,
        "RequestTimeout" | "RequestTimeoutException" => ErrorKind::Timeout,
        "InternalError" | "ServiceUnavailable" | "NotImplemented" | "InternalFailure" => {
            ErrorKind::Server
        }
        _ => return None,
    })
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

/// A short, actionable hint for well-known codes.
fn hint(code: &str, body: &S3ErrorBody) -> Option<String> {
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
    let retryable = matches!(kind, ErrorKind::Throttled | ErrorKind::Timeout)
        || matches!(status.as_u16(), 500 | 502 | 503 | 504)
        || code == "InternalError";
    let mut err = Error::new(kind, message)
        .with_status(status.as_u16())
        .with_s3(s3)
        .with_retryable(retryable);
    if kind == ErrorKind::Auth && code == "AuthorizationHeaderMalformed" {
        err = err.with_field("connection.region");
    }
    err
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
}
