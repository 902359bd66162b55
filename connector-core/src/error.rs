//! One error type for every failure, with a stable `kind` that callers can branch on.
//!
//! An [`Error`] says what went wrong in words a person can act on, which input field is at fault
//! (when one is), what S3 answered (code, message, request id, HTTP status), and whether trying
//! again could succeed. It renders as JSON for the CLI and HTTP interfaces and never carries a
//! secret: messages are written by this crate or copied from S3's error body, which holds none.

use serde::Serialize;
use std::fmt;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure this is. The string forms (`invalid_input`, …) are stable: scripts and
/// platforms branch on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The input was refused before anything was sent, or S3 refused the request as malformed.
    InvalidInput,
    /// The credentials are missing, unknown, expired or not usable.
    Auth,
    /// S3 computed another signature than ours: wrong secret, or a request altered on the way.
    SignatureMismatch,
    /// The credentials are valid but not allowed to do this.
    AccessDenied,
    /// The bucket, key, version or configuration does not exist.
    NotFound,
    /// The request conflicts with the current state (bucket exists, not empty, precondition failed).
    Conflict,
    /// S3 asked us to slow down.
    Throttled,
    /// S3 (or the store) failed internally.
    Server,
    /// The connection could not be made or broke.
    Network,
    /// The request or the transfer took too long.
    Timeout,
    /// The run was stopped before it finished (Ctrl-C, SIGTERM); what it had started was cleaned
    /// up as far as possible.
    Cancelled,
}

impl ErrorKind {
    /// The stable string form, as in the JSON error.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Auth => "auth",
            ErrorKind::SignatureMismatch => "signature_mismatch",
            ErrorKind::AccessDenied => "access_denied",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Throttled => "throttled",
            ErrorKind::Server => "server",
            ErrorKind::Network => "network",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Cancelled => "cancelled",
        }
    }

    /// Whether a failure of this kind may pass when tried again, when nothing more is known
    /// (no S3 code, no HTTP status): throttling, server failures, network failures and
    /// timeouts. The whole decision, with codes and statuses, is
    /// `wire::s3_error::is_retryable`.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ErrorKind::Throttled | ErrorKind::Server | ErrorKind::Network | ErrorKind::Timeout
        )
    }

    /// The process exit code the CLI uses for this kind (1 is kept for usage errors).
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::InvalidInput => 2,
            ErrorKind::Auth => 3,
            ErrorKind::SignatureMismatch => 4,
            ErrorKind::AccessDenied => 5,
            ErrorKind::NotFound => 6,
            ErrorKind::Conflict => 7,
            ErrorKind::Throttled => 8,
            ErrorKind::Server => 9,
            ErrorKind::Network => 10,
            ErrorKind::Timeout => 11,
            // 128 + SIGINT, as shells report a program stopped by Ctrl-C.
            ErrorKind::Cancelled => 130,
        }
    }

    /// Every kind, in a stable order (for documentation and tests).
    pub const ALL: [ErrorKind; 11] = [
        ErrorKind::InvalidInput,
        ErrorKind::Auth,
        ErrorKind::SignatureMismatch,
        ErrorKind::AccessDenied,
        ErrorKind::NotFound,
        ErrorKind::Conflict,
        ErrorKind::Throttled,
        ErrorKind::Server,
        ErrorKind::Network,
        ErrorKind::Timeout,
        ErrorKind::Cancelled,
    ];
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What S3 returned for a failed request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct S3ErrorBody {
    /// S3's error code, e.g. `NoSuchKey`.
    pub code: String,
    /// S3's message.
    pub message: Option<String>,
    /// `RequestId` (or the `x-amz-request-id` header).
    pub request_id: Option<String>,
    /// `HostId` (or the `x-amz-id-2` header).
    pub host_id: Option<String>,
    /// For `SignatureDoesNotMatch`: the string to sign S3 computed.
    pub string_to_sign: Option<String>,
    /// For `SignatureDoesNotMatch`: the canonical request S3 computed.
    pub canonical_request: Option<String>,
    /// For a wrong region or a redirect: the region S3 names.
    pub region: Option<String>,
    /// For a redirect: the endpoint S3 names.
    pub endpoint: Option<String>,
    /// For `SignatureDoesNotMatch`: what differs between S3's computation and ours.
    pub diagnosis: Option<String>,
    /// For `SignatureDoesNotMatch`: the canonical request we signed (secrets redacted).
    pub our_canonical_request: Option<String>,
    /// For `SignatureDoesNotMatch`: the string to sign we signed.
    pub our_string_to_sign: Option<String>,
}

/// A failure, with everything a caller needs to decide what to do next.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    message: String,
    field: Option<String>,
    status: Option<u16>,
    s3: Option<Box<S3ErrorBody>>,
    retryable: bool,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// A new error of this kind. Retryable is derived from the kind
    /// ([`ErrorKind::is_transient`]: throttling, server errors, network failures and timeouts
    /// may succeed on another try).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        let retryable = kind.is_transient();
        Error {
            kind,
            message: message.into(),
            field: None,
            status: None,
            s3: None,
            retryable,
            source: None,
        }
    }

    /// Bad input: `field` is the path of the offending input field (`bucket`, `source.path`, …).
    pub fn invalid_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidInput, message).with_field(field)
    }

    /// Names the input field at fault.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Attaches the underlying cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// Records the HTTP status of S3's answer.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Records what S3 said.
    pub fn with_s3(mut self, body: S3ErrorBody) -> Self {
        self.s3 = Some(Box::new(body));
        self
    }

    /// Adds a signature-mismatch diagnosis (also appended to the message).
    pub fn with_diagnosis(
        mut self,
        diagnosis: String,
        our_canonical_request: String,
        our_string_to_sign: Option<String>,
    ) -> Self {
        self.message = format!("{}. Diagnosis: {diagnosis}", self.message);
        let s3 = self.s3.get_or_insert_with(Default::default);
        s3.diagnosis = Some(diagnosis);
        s3.our_canonical_request = Some(our_canonical_request);
        s3.our_string_to_sign = our_string_to_sign;
        self
    }

    /// Overrides whether a retry could succeed.
    pub fn with_retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }

    /// Prefixes the message with context (`reading source.path: …`).
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, for people.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The input field at fault, if any.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// The HTTP status of S3's answer, if there was one.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// S3's error code, if S3 answered with one.
    pub fn code(&self) -> Option<&str> {
        self.s3.as_deref().map(|s3| s3.code.as_str())
    }

    /// S3's request id, if any.
    pub fn request_id(&self) -> Option<&str> {
        self.s3.as_deref().and_then(|s3| s3.request_id.as_deref())
    }

    /// Everything S3 returned about the failure.
    pub fn s3(&self) -> Option<&S3ErrorBody> {
        self.s3.as_deref()
    }

    /// Whether trying again could succeed.
    pub fn is_retryable(&self) -> bool {
        self.retryable
    }

    /// A copy without the source (errors are not `Clone`), for deciding about a retry.
    pub(crate) fn clone_for_retry(&self) -> Error {
        Error {
            kind: self.kind,
            message: self.message.clone(),
            field: self.field.clone(),
            status: self.status,
            s3: self.s3.clone(),
            retryable: self.retryable,
            source: None,
        }
    }

    /// The JSON form used by the CLI and HTTP interfaces.
    pub fn to_json(&self) -> serde_json::Value {
        let mut out = serde_json::json!({
            "kind": self.kind,
            "message": self.message,
            "code": self.code(),
            "request_id": self.request_id(),
            "status": self.status,
            "field": self.field,
            "retryable": self.retryable,
        });
        if let Some(s3) = self.s3.as_deref() {
            let details = serde_json::json!({
                "message": s3.message,
                "host_id": s3.host_id,
                "string_to_sign": s3.string_to_sign,
                "canonical_request": s3.canonical_request,
                "region": s3.region,
                "endpoint": s3.endpoint,
                "diagnosis": s3.diagnosis,
                "our_canonical_request": s3.our_canonical_request,
                "our_string_to_sign": s3.our_string_to_sign,
            });
            let details: serde_json::Map<_, _> = details
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if !details.is_empty() {
                out["s3"] = serde_json::Value::Object(details);
            }
        }
        out
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        let kind = match err.kind() {
            std::io::ErrorKind::TimedOut => ErrorKind::Timeout,
            std::io::ErrorKind::NotFound => ErrorKind::NotFound,
            std::io::ErrorKind::PermissionDenied => ErrorKind::AccessDenied,
            _ => ErrorKind::Network,
        };
        Error::new(kind, err.to_string()).with_source(err)
    }
}

impl From<reqwest::Error> for Error {
    fn from(err: reqwest::Error) -> Self {
        let kind = if err.is_timeout() {
            ErrorKind::Timeout
        } else {
            ErrorKind::Network
        };
        // reqwest's message may hold the URL, and a presigned URL holds a signature: keep only
        // the scheme, host and path.
        let err = err.without_url();
        let mut message = err.to_string();
        let mut cause = std::error::Error::source(&err);
        while let Some(inner) = cause {
            message.push_str(": ");
            message.push_str(&inner.to_string());
            cause = inner.source();
        }
        Error::new(kind, message).with_source(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_have_distinct_exit_codes_and_names() {
        let mut codes: Vec<_> = ErrorKind::ALL.iter().map(|k| k.exit_code()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), ErrorKind::ALL.len());
        for kind in ErrorKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
    }

    #[test]
    fn json_names_the_field() {
        let err = Error::invalid_input("bucket", "bad name");
        let json = err.to_json();
        assert_eq!(json["kind"], "invalid_input");
        assert_eq!(json["field"], "bucket");
        assert_eq!(json["retryable"], false);
        assert!(json.get("s3").is_none());
    }
}
