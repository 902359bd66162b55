//! What one caller can take from the service: request bodies are read whole before a handler
//! sees them, within a size limit (small, unless the module takes file content), a time limit,
//! a structure limit (no body of many tiny JSON values or deep nesting) and a memory budget
//! shared by every request; module runs share one limit, and a full service answers 503 with
//! `Retry-After` at once instead of queueing.

use super::AppState;
use super::api::ApiError;
use crate::bounded_json::{self, JsonLimits};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use connector_core::{Error, ErrorKind, Registry};
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The limits of one running service.
pub(super) struct Limits {
    /// The largest body of any request.
    body_limit: usize,
    /// The largest body of a run of a module that takes file content.
    content_body_limit: usize,
    /// The longest a request body may take to arrive.
    body_timeout: Duration,
    /// Bytes of request bodies held in memory at once, in KiB.
    body_memory: Arc<Semaphore>,
    /// Module runs (and option lists, which call S3 too) at once.
    runs: Arc<Semaphore>,
}

impl Limits {
    /// The limits `config` sets (a content body limit is never below the body limit, the
    /// memory for bodies holds at least one content body, and at least one run is allowed).
    pub(super) fn new(config: &super::ServeConfig) -> Self {
        Limits {
            body_limit: config.body_limit,
            content_body_limit: config.content_body_limit.max(config.body_limit),
            body_timeout: config.body_timeout,
            body_memory: Arc::new(Semaphore::new(kib(config
                .body_memory
                .max(config.content_body_limit))
                as usize)),
            runs: Arc::new(Semaphore::new(config.max_concurrency.max(1))),
        }
    }

    /// The slots of module runs, shared with the MCP endpoint (whose calls hold one each for
    /// as long as they run, not only until their answer's headers go out).
    pub(super) fn runs(&self) -> Arc<Semaphore> {
        self.runs.clone()
    }

    /// The body limit of a request for `path`.
    fn body_limit_for(&self, registry: &Registry, path: &str) -> usize {
        if path == super::mcp::PATH {
            // A tools/call may carry a file's content (within the MCP inline limit).
            return self.content_body_limit;
        }
        let module = path
            .strip_prefix("/v1/modules/")
            .and_then(|rest| rest.strip_suffix("/run"))
            .and_then(|name| registry.get(name));
        match module {
            Some(module) if module.takes_content() => self.content_body_limit,
            _ => self.body_limit,
        }
    }
}

/// Whole KiB, rounded up (the memory budget counts in KiB so that one permit count fits a u32).
fn kib(bytes: usize) -> u32 {
    u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX)
}

/// Reads the request body within the limits, then hands it on. Requests that take no body
/// (`GET`, `HEAD`, `DELETE`) pass as they are: their handlers never read one.
pub(super) async fn read_body(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let limits = &state.limits;
    let (parts, body) = request.into_parts();
    if matches!(parts.method, Method::GET | Method::HEAD | Method::DELETE)
        || axum::body::HttpBody::is_end_stream(&body)
    {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let limit = limits.body_limit_for(state.registry, parts.uri.path());
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return too_large(limit);
    }
    let read = read_within(body, limit, &limits.body_memory);
    let (bytes, _memory) = match tokio::time::timeout(limits.body_timeout, read).await {
        Ok(Ok(read)) => read,
        Ok(Err(BodyError::TooLarge)) => return too_large(limit),
        Ok(Err(BodyError::NoMemory)) => {
            return busy("the service is holding as many request bodies as it may");
        }
        Ok(Err(BodyError::Broken(err))) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                Error::invalid_input("body", format!("the request body broke off: {err}")),
            );
        }
        Err(_) => {
            return refuse(
                StatusCode::REQUEST_TIMEOUT,
                Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "the request body did not arrive within {} s",
                        limits.body_timeout.as_secs()
                    ),
                )
                .with_field("body"),
            );
        }
    };
    if is_json(&parts.headers)
        && let Err(refusal) = bounded_json::check(&bytes, JsonLimits::MODULE_INPUT)
    {
        return ApiError::from(Error::invalid_input("body", refusal.to_string())).into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Why a body could not be read.
enum BodyError {
    TooLarge,
    NoMemory,
    Broken(axum::Error),
}

/// Reads `body` whole, at most `limit` bytes, taking memory from `budget` as the bytes arrive
/// (a slow body holds only what it has sent). The permit is held as long as the bytes are.
async fn read_within(
    body: Body,
    limit: usize,
    budget: &Arc<Semaphore>,
) -> Result<(bytes::Bytes, Option<OwnedSemaphorePermit>), BodyError> {
    let mut stream = body.into_data_stream();
    let mut bytes = bytes::BytesMut::new();
    let mut held: Option<OwnedSemaphorePermit> = None;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(BodyError::Broken)?;
        if bytes.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
        let needed =
            kib(bytes.len()).saturating_sub(held.as_ref().map_or(0, |p| p.num_permits() as u32));
        if needed > 0 {
            let more = budget
                .clone()
                .try_acquire_many_owned(needed)
                .map_err(|_| BodyError::NoMemory)?;
            match &mut held {
                Some(permit) => permit.merge(more),
                None => held = Some(more),
            }
        }
    }
    Ok((bytes.freeze(), held))
}

/// Runs the request in one of the service's run slots, or answers 503 when all are taken.
pub(super) async fn run_slot(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    match state.limits.runs.clone().try_acquire_owned() {
        Ok(_slot) => next.run(request).await,
        Err(_) => busy("the service is running as many modules as it may at once"),
    }
}

/// `Content-Type: application/json` (or `…+json`), as axum's JSON extractor requires.
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(mime) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
    else {
        return false;
    };
    let mime = mime.trim().to_ascii_lowercase();
    mime.strip_prefix("application/")
        .is_some_and(|sub| sub == "json" || sub.ends_with("+json"))
}

fn too_large(limit: usize) -> Response {
    refuse(
        StatusCode::PAYLOAD_TOO_LARGE,
        Error::invalid_input(
            "body",
            format!(
                "the request body is larger than the {limit} bytes this request may have (send \
                 large files with presigned URLs: presign_url, presign_post)"
            ),
        ),
    )
}

fn busy(what: &str) -> Response {
    let mut response = ApiError::from(
        Error::new(ErrorKind::Throttled, format!("{what}; try again shortly")).with_retryable(true),
    )
    .with_status(StatusCode::SERVICE_UNAVAILABLE)
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// An error answer after which the connection is closed: the rest of the body is not read.
fn refuse(status: StatusCode, err: Error) -> Response {
    let mut response = ApiError::from(err).with_status(status).into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
