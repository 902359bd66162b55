//! A scripted, misbehaving S3-like HTTP server, for tests of what the connector does with
//! answers no honest store sends: XML nested without end, listings that never end, forged
//! sizes, `200 OK` answers that are errors, bodies that never stop.
//!
//! [`HostileServer::start`] listens on a random port of 127.0.0.1 and answers every request
//! with what a closure returns for it: a status, headers, and a body (bytes, or a stream that
//! may be slow or endless). The request's body is read in full before the closure sees the
//! request. Every request is counted and logged ([`HostileServer::requests`],
//! [`HostileServer::seen`]). The server stops when dropped.
//!
//! ```no_run
//! # async fn example() {
//! use integration_tests::hostile_server::{Answer, HostileServer};
//! let server = HostileServer::start(|request| {
//!     if request.has_query("list-type") {
//!         Answer::xml("<ListBucketResult><IsTruncated>true</IsTruncated>\
//!             <NextContinuationToken>same</NextContinuationToken></ListBucketResult>")
//!     } else {
//!         Answer::status(404)
//!     }
//! })
//! .await;
//! let ctx = server.context();
//! // ... run list_files with `ctx`; then look at server.requests().
//! # }
//! ```

use connector_core::http;
use connector_core::{AddressingStyle, Connection, Context};
use futures_util::{Stream, StreamExt};
use http_body_util::BodyExt;
use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

/// A request the server received.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The method (`GET`, `PUT`, …).
    pub method: String,
    /// The path, as sent (percent-encoded).
    pub path: String,
    /// The query, as sent (after `?`; empty when there is none).
    pub query: String,
    /// The headers.
    pub headers: http::HeaderMap,
    /// The body, read in full.
    pub body: Bytes,
}

impl Seen {
    /// Whether the query has the parameter `name` (with or without a value).
    pub fn has_query(&self, name: &str) -> bool {
        self.query_value(name).is_some()
    }

    /// The value of the query parameter `name`, as sent (still percent-encoded).
    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key == name).then_some(value)
        })
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// What the server answers to one request.
pub struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: AnswerBody,
}

/// A stream of body chunks.
pub type ChunkStream = Pin<Box<dyn Stream<Item = Bytes> + Send>>;

enum AnswerBody {
    Full(Option<Bytes>),
    Stream(ChunkStream),
}

impl Answer {
    /// An answer with `status` and an empty body.
    pub fn status(status: u16) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: AnswerBody::Full(None),
        }
    }

    /// `200 OK` with an XML body (`Content-Type: application/xml`).
    pub fn xml(text: impl Into<String>) -> Answer {
        Answer::status(200)
            .header("content-type", "application/xml")
            .body(text.into())
    }

    /// Adds a header (sent as given, even when it contradicts the body).
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Answer {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Sets the status.
    pub fn with_status(mut self, status: u16) -> Answer {
        self.status = status;
        self
    }

    /// Sets the body. Its length is sent as `Content-Length` unless a header says otherwise.
    pub fn body(mut self, body: impl Into<Bytes>) -> Answer {
        self.body = AnswerBody::Full(Some(body.into()));
        self
    }

    /// Sets a body produced by `stream`, sent chunked unless a `Content-Length` header is given.
    pub fn stream(mut self, stream: impl Stream<Item = Bytes> + Send + 'static) -> Answer {
        self.body = AnswerBody::Stream(Box::pin(stream));
        self
    }

    /// Sets a body that repeats `chunk` without end (the server stops when the client hangs up).
    pub fn endless(self, chunk: impl Into<Bytes>) -> Answer {
        let chunk = chunk.into();
        self.stream(futures_util::stream::repeat(chunk))
    }

    /// Sets a body of `chunks`, each sent `delay` after the one before.
    pub fn slow(self, chunks: Vec<Bytes>, delay: Duration) -> Answer {
        self.stream(
            futures_util::stream::iter(chunks).then(move |chunk| async move {
                tokio::time::sleep(delay).await;
                chunk
            }),
        )
    }
}

/// Chooses the answer to each request.
type Handler = dyn Fn(&Seen) -> Answer + Send + Sync;

/// The running server. It stops when dropped.
pub struct HostileServer {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: JoinHandle<()>,
}

impl HostileServer {
    /// Starts a server on 127.0.0.1 that answers each request with `handler(request)`.
    pub async fn start(handler: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the hostile server on 127.0.0.1");
        let addr = listener.local_addr().expect("the hostile server's address");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let task = tokio::spawn(accept_loop(listener, handler, seen.clone()));
        HostileServer { addr, seen, task }
    }

    /// The endpoint URL (`http://127.0.0.1:PORT`).
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A connection to this server (made-up keys, path-style addressing).
    pub fn connection(&self) -> Connection {
        Connection::new(crate::TEST_ACCESS_KEY, crate::TEST_SECRET_KEY)
            .with_endpoint_url(self.endpoint())
            .with_addressing_style(AddressingStyle::Path)
    }

    /// A context whose connection points at this server.
    pub fn context(&self) -> Context {
        Context::new(self.connection()).expect("a valid connection")
    }

    /// How many requests the server has received.
    pub fn requests(&self) -> usize {
        self.lock().len()
    }

    /// Every request received, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Seen>> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener, handler: Arc<Handler>, seen: Arc<Mutex<Vec<Seen>>>) {
    // Dropped (and so every connection aborted) when the server's task is aborted.
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors, say: wait rather than spin.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let handler = handler.clone();
        let seen = seen.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                answer(request, handler.clone(), seen.clone())
            });
            // An error here is a client that hung up: the connection is over either way.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
        while connections.try_join_next().is_some() {}
    }
}

async fn answer(
    request: hyper::Request<Incoming>,
    handler: Arc<Handler>,
    seen: Arc<Mutex<Vec<Seen>>>,
) -> Result<hyper::Response<AnswerBody>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();
    let request = Seen {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers: parts.headers,
        body,
    };
    let answer = handler(&request);
    seen.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(request);
    let mut response = hyper::Response::new(answer.body);
    *response.status_mut() =
        http::StatusCode::from_u16(answer.status).expect("a valid status in the script");
    for (name, value) in answer.headers {
        response.headers_mut().append(
            http::HeaderName::from_bytes(name.as_bytes()).expect("a valid header name"),
            http::HeaderValue::from_str(&value).expect("a valid header value"),
        );
    }
    Ok(response)
}

impl Body for AnswerBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            AnswerBody::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            AnswerBody::Stream(stream) => stream
                .as_mut()
                .poll_next(cx)
                .map(|chunk| chunk.map(|c| Ok(Frame::data(c)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, AnswerBody::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            AnswerBody::Full(Some(bytes)) => SizeHint::with_exact(bytes.len() as u64),
            AnswerBody::Full(None) => SizeHint::with_exact(0),
            AnswerBody::Stream(_) => SizeHint::default(),
        }
    }
}
