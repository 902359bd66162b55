//! What carries a signed request: HTTP to the store, or, in a dry run, a recorder that keeps the
//! request and sends nothing.
//!
//! A client holds one [`Transport`]. The send path (`wire::send`, above this file) builds, signs
//! and retries the same way for both; only the last step differs. A recorded request never
//! gets an answer: the caller waits until it is dropped. Whoever runs a dry run waits on
//! [`Recorder::recorded`] beside the work and stops the work when a request is kept (the
//! framework's `Prepared::run` does).

use crate::error::{Error, Result};
use crate::wire::chunked::ChunkedBody;
use crate::wire::egress::{EgressPolicy, EgressRefused};
use crate::wire::prepared::{Payload, PreparedRequest};
use crate::wire::response::{Response, SentPayloadChecksum};
use futures_util::StreamExt;
use http::Method;
use std::sync::Mutex;
use tokio::sync::Notify;

/// Where a client's signed requests go.
#[derive(Debug)]
pub enum Transport {
    /// Sent over HTTP (each URL checked against the egress policy first).
    Http(reqwest::Client),
    /// Kept, not sent: a dry run.
    Recording(Box<Recorder>),
}

impl Transport {
    /// Sends `request` over HTTP, or records it and never answers (a dry run).
    pub(crate) async fn send(
        &self,
        request: &PreparedRequest,
        egress: &EgressPolicy,
    ) -> Result<Response> {
        match self {
            Transport::Http(http) => send_http(http, request, egress).await,
            Transport::Recording(recorder) => {
                recorder.record(request);
                std::future::pending().await
            }
        }
    }

    /// The recorder of a dry run.
    pub fn recorder(&self) -> Option<&Recorder> {
        match self {
            Transport::Recording(recorder) => Some(recorder),
            Transport::Http(_) => None,
        }
    }
}

/// Keeps the first request a dry run would have sent.
#[derive(Debug, Default)]
pub struct Recorder {
    first: Mutex<Option<PreparedRequest>>,
    kept: Notify,
}

impl Recorder {
    /// Keeps `request` unless one was kept already, and wakes whoever waits for it.
    fn record(&self, request: &PreparedRequest) {
        if let Ok(mut first) = self.first.lock() {
            first.get_or_insert_with(|| request.clone());
        }
        self.kept.notify_waiters();
    }

    /// The first request that would have been sent, if one was.
    pub fn first(&self) -> Option<PreparedRequest> {
        self.first.lock().ok()?.clone()
    }

    /// Waits until a request is kept, and returns the first one.
    pub async fn recorded(&self) -> PreparedRequest {
        loop {
            let kept = self.kept.notified();
            let mut kept = std::pin::pin!(kept);
            // Registered before looking, so a request kept in between is not missed.
            kept.as_mut().enable();
            if let Some(request) = self.first() {
                return request;
            }
            kept.await;
        }
    }
}

/// Sends `request` over HTTP: its URL checked against `egress`, `Content-Length` set for a body
/// (and for every PUT and POST: S3 refuses them without one).
async fn send_http(
    http: &reqwest::Client,
    request: &PreparedRequest,
    egress: &EgressPolicy,
) -> Result<Response> {
    // Every URL is checked, not only the connection's endpoint: region redirects and STS
    // build URLs of their own. The resolver checks the addresses names lead to.
    egress.check(&request.url)?;
    let mut headers = request.headers.clone();
    let (body, sent) = match &request.payload {
        Payload::Chunked(chunked) => {
            // Made anew for every attempt: the body is read from its start again.
            let encoder = ChunkedBody::new(
                request.body.stream().await?,
                chunked.layout,
                chunked.take_signer(),
            )?;
            headers.insert(http::header::CONTENT_LENGTH, encoder.encoded_len().into());
            let sent = SentPayloadChecksum::Streamed(encoder.sent_checksum());
            (
                reqwest::Body::wrap_stream(encoder.map(body_changed_errors)),
                sent,
            )
        }
        plain => {
            if !request.body.is_empty() || matches!(request.method, Method::PUT | Method::POST) {
                headers.insert(http::header::CONTENT_LENGTH, request.body.len().into());
            }
            let sent = match plain {
                Payload::PlainWithChecksum(digest) => SentPayloadChecksum::Known(*digest),
                _ => SentPayloadChecksum::None,
            };
            let body = match request.body.file_path() {
                // A file that changes while it is read ends its stream with an error.
                Some(_) => reqwest::Body::wrap_stream(
                    request.body.stream().await?.map(body_changed_errors),
                ),
                None => request.body.to_reqwest().await?,
            };
            (body, sent)
        }
    };
    tracing::debug!(method = %request.method, path = request.url.path(), "sending");
    let response = http
        .request(request.method.clone(), request.url.clone())
        .headers(headers)
        .body(body)
        .send()
        .await
        .map_err(|err| {
            if let Some(changed) = BodyChanged::in_chain(&err) {
                return changed.to_error(request);
            }
            match EgressRefused::in_chain(&err) {
                Some(refused) => Error::from(refused),
                None => Error::from(err),
            }
        })?;
    tracing::debug!(status = response.status().as_u16(), "answered");
    Ok(Response::streaming(response, request.method == Method::HEAD).with_sent_checksum(sent))
}

/// A piece of a streamed body, its `InvalidData` error (the body gave more or fewer bytes than
/// it declared, or its file changed while it was read) made a [`BodyChanged`].
fn body_changed_errors(
    piece: std::io::Result<bytes::Bytes>,
) -> std::result::Result<bytes::Bytes, Box<dyn std::error::Error + Send + Sync>> {
    piece.map_err(|err| -> Box<dyn std::error::Error + Send + Sync> {
        match err.kind() {
            std::io::ErrorKind::InvalidData => Box::new(BodyChanged(err.to_string())),
            _ => Box::new(err),
        }
    })
}

/// A streamed body that gave more or fewer bytes than it declared: its file changed after it
/// was measured. Sending it again cannot help.
#[derive(Debug)]
struct BodyChanged(String);

impl std::fmt::Display for BodyChanged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BodyChanged {}

impl BodyChanged {
    /// The `BodyChanged` among `err`'s sources, if there is one.
    fn in_chain(err: &reqwest::Error) -> Option<&BodyChanged> {
        let mut source = std::error::Error::source(err);
        while let Some(err) = source {
            if let Some(changed) = err.downcast_ref::<BodyChanged>() {
                return Some(changed);
            }
            source = err.source();
        }
        None
    }

    /// An `invalid_input` error (not retried) naming the file.
    fn to_error(&self, request: &PreparedRequest) -> Error {
        let what = match request.body.file_path() {
            Some(path) => format!("{} changed while it was being sent", path.display()),
            None => "the body changed while it was being sent".to_owned(),
        };
        Error::new(
            crate::ErrorKind::InvalidInput,
            format!(
                "{what} ({}); send it again once it no longer changes",
                self.0
            ),
        )
        .with_retryable(false)
    }
}
