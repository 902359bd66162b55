//! One error type for every failure, with a stable `kind` that callers can branch on.
//!
//! An [`Error`] says what went wrong in words a person can act on, which input field is at fault
//! (when one is), what S3 answered (code, message, request id, HTTP status), and whether trying
//! again could succeed. It renders as JSON for the CLI and HTTP interfaces and never carries a
//! secret: messages are written by this crate or copied from S3's error body, which holds none.

use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};

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

/// Where a failure comes from, for a caller that acts on it (see [`Error::origin`]). The JSON
/// form of an error does not change with it: it says the same through `field`, `status`,
/// `code` and `request_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin<'a> {
    /// The input given; `field` names the part at fault, when one is.
    Input {
        /// The input field at fault (`bucket`, `source.path`, …).
        field: Option<&'a str>,
    },
    /// A local file that could not be read: its path and what the operating system said.
    LocalFile {
        /// The file's path, as given.
        path: &'a Path,
        /// What the operating system said (`NotFound`, `PermissionDenied`, `IsADirectory`, …).
        io: std::io::ErrorKind,
    },
    /// S3's answer: its HTTP status, and S3's code and request id when it sent an error document.
    S3 {
        /// The HTTP status.
        status: Option<u16>,
        /// S3's error code, e.g. `NoSuchKey`.
        code: Option<&'a str>,
        /// S3's request id.
        request_id: Option<&'a str>,
    },
    /// The connection to S3 could not be made, or broke.
    Transport,
    /// The request or the transfer took too long.
    Timeout,
    /// The run was stopped before it finished.
    Cancelled,
    /// This program found the problem itself, without S3 (a limit, a missing credential, a
    /// task that failed).
    Connector,
}

/// A local file an error is about.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LocalFile {
    path: PathBuf,
    io: std::io::ErrorKind,
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
    local_file: Option<Box<LocalFile>>,
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
            local_file: None,
            retryable,
            source: None,
        }
    }

    /// Bad input: `field` is the path of the offending input field (`bucket`, `source.path`, …).
    pub fn invalid_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidInput, message).with_field(field)
    }

    /// A local file at `path` could not be read: `invalid_input` (the path given is the
    /// problem), never retryable, and its [`origin`](Error::origin) keeps the path and what the
    /// operating system said. The caller names the input field ([`with_field`](Error::with_field)).
    pub fn local_file(path: &Path, err: std::io::Error) -> Self {
        let message = format!("cannot read {}: {err}", path.display());
        Error::local_file_refused(path, err.kind(), message).with_source(err)
    }

    /// A local file at `path` that is refused for what it is (`io`: e.g. `IsADirectory`), with
    /// a message that says what to give instead.
    pub fn local_file_refused(
        path: &Path,
        io: std::io::ErrorKind,
        message: impl Into<String>,
    ) -> Self {
        let mut err = Error::new(ErrorKind::InvalidInput, message);
        err.local_file = Some(Box::new(LocalFile {
            path: path.to_owned(),
            io,
        }));
        err
    }

    /// This error, met while reading the local file at `path`, as a local-file error: an
    /// operating-system error keeps what the system said; an error already about a local file,
    /// or from S3, is returned as it is.
    pub fn reading_local_file(self, path: &Path) -> Self {
        if self.local_file.is_some() || self.status.is_some() || self.s3.is_some() {
            return self;
        }
        let io = self
            .source
            .as_deref()
            .and_then(|source| source.downcast_ref::<std::io::Error>())
            .map(std::io::Error::kind);
        let Some(io) = io else { return self };
        let message = format!("cannot read {}: {}", path.display(), self.message);
        let mut err = Error::local_file_refused(path, io, message);
        err.source = self.source;
        err
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

    /// Where the failure comes from.
    pub fn origin(&self) -> Origin<'_> {
        if let Some(file) = self.local_file.as_deref() {
            return Origin::LocalFile {
                path: &file.path,
                io: file.io,
            };
        }
        if self.s3.is_some() || self.status.is_some() {
            return Origin::S3 {
                status: self.status,
                code: self.code(),
                request_id: self.request_id(),
            };
        }
        match self.kind {
            ErrorKind::Timeout => Origin::Timeout,
            ErrorKind::Network => Origin::Transport,
            ErrorKind::Cancelled => Origin::Cancelled,
            ErrorKind::InvalidInput => Origin::Input {
                field: self.field(),
            },
            _ if self.field.is_some() => Origin::Input {
                field: self.field(),
            },
            _ => Origin::Connector,
        }
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
            local_file: self.local_file.clone(),
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
    fn kinds_have_stable_names() {
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

    #[test]
    fn origins_are_typed_and_the_json_stays() {
        let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
        let err = Error::local_file(Path::new("/tmp/x.txt"), missing).with_field("source.path");
        assert_eq!(
            err.origin(),
            Origin::LocalFile {
                path: Path::new("/tmp/x.txt"),
                io: std::io::ErrorKind::NotFound
            }
        );
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(!err.is_retryable());
        assert!(
            err.message().starts_with("cannot read /tmp/x.txt: "),
            "{}",
            err.message()
        );
        let json = err.to_json();
        assert_eq!(json["field"], "source.path");
        assert_eq!(json["kind"], "invalid_input");
        assert!(json.get("local_file").is_none() && json.get("origin").is_none());

        let s3 = Error::new(ErrorKind::NotFound, "NoSuchKey")
            .with_status(404)
            .with_s3(S3ErrorBody {
                code: "NoSuchKey".into(),
                request_id: Some("R1".into()),
                ..S3ErrorBody::default()
            });
        assert_eq!(
            s3.origin(),
            Origin::S3 {
                status: Some(404),
                code: Some("NoSuchKey"),
                request_id: Some("R1")
            }
        );
        assert_eq!(
            Error::invalid_input("bucket", "x").origin(),
            Origin::Input {
                field: Some("bucket")
            }
        );
        assert_eq!(
            Error::new(ErrorKind::Network, "reset").origin(),
            Origin::Transport
        );
        assert_eq!(
            Error::new(ErrorKind::Timeout, "slow").origin(),
            Origin::Timeout
        );
        assert_eq!(
            Error::new(ErrorKind::Server, "task").origin(),
            Origin::Connector
        );
    }

    #[test]
    fn io_errors_met_reading_a_file_become_local_file_errors() {
        let io = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let err = Error::from(io).reading_local_file(Path::new("a.bin"));
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(matches!(
            err.origin(),
            Origin::LocalFile {
                io: std::io::ErrorKind::PermissionDenied,
                ..
            }
        ));
        assert!(
            err.message().starts_with("cannot read a.bin: "),
            "{}",
            err.message()
        );
        // Not an operating-system error: unchanged.
        let other = Error::new(ErrorKind::Server, "hashing task failed");
        let err = other.reading_local_file(Path::new("a.bin"));
        assert_eq!(err.origin(), Origin::Connector);
    }
}
