//! What carries a signed request: HTTP to the store, or, in a dry run, a recorder that keeps the
//! request and sends nothing.
//!
//! A client holds one [`Transport`]. The send path ([`send`](crate::wire::send)) builds, signs
//! and retries the same way for both; only the last step differs. A recorded request never
//! gets an answer: the caller waits until it is dropped. Whoever runs a dry run waits on
//! [`Recorder::recorded`] beside the work and stops the work when a request is kept (the
//! framework's `Prepared::run` does).

use crate::error::{Error, Result};
use crate::wire::egress::{EgressPolicy, EgressRefused};
use crate::wire::prepared::PreparedRequest;
use crate::wire::response::Response;
use http::Method;
use std::sync::Mutex;
use tokio::sync::Notify;

/// Where a client's signed requests go.
#[derive(Debug)]
pub enum Transport {
    /// Sent over HTTP (each URL checked against the egress policy first).
    Http(reqwest::Client),
    /// Kept, not sent: a dry run.
    Recording(Recorder),
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
    if !request.body.is_empty() || matches!(request.method, Method::PUT | Method::POST) {
        headers.insert(http::header::CONTENT_LENGTH, request.body.len().into());
    }
    tracing::debug!(method = %request.method, path = request.url.path(), "sending");
    let response = http
        .request(request.method.clone(), request.url.clone())
        .headers(headers)
        .body(request.body.to_reqwest().await?)
        .send()
        .await
        .map_err(|err| match EgressRefused::in_chain(&err) {
            Some(refused) => Error::from(refused),
            None => Error::from(err),
        })?;
    tracing::debug!(status = response.status().as_u16(), "answered");
    Ok(Response::streaming(
        response,
        request.method == Method::HEAD,
    ))
}
