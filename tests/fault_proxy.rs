//! A fault-injecting HTTP/1.1 proxy for fault tests of large transfers (retries, resumed
//! downloads, aborted multipart uploads).
//!
//! [`FaultProxy`] listens on 127.0.0.1 and forwards every request to an upstream S3 server
//! exactly as received: the method, the request target (path and query, never normalized or
//! re-encoded), every header including `Host` (requests are signed for the proxy's host and
//! port), and the body, streamed both ways. Each client connection gets its own upstream
//! connection, and keep-alive works as it does without the proxy.
//!
//! Faults are queued with [`FaultProxy::inject`]: each request takes the first rule (in the
//! order they were injected) whose [`Match`] fits it, uses it up once, and suffers its
//! [`Fault`]. Every request is logged ([`FaultProxy::requests`]).
//!
//! When a fault cuts a connection, it does so only after what comes before the cut has really
//! been written to the socket, so the peer sees exactly that many bytes and then the end of the
//! connection: a response shorter than its `Content-Length` (or chunked framing), never a clean
//! short body.
//!
//! ```no_run
//! # async fn example(t: integration_tests::TestStore) {
//! use integration_tests::fault_proxy::{Fault, FaultProxy, FaultRule, Match};
//! let proxy = FaultProxy::start(t.store.addr()).await;
//! proxy.inject(FaultRule::new(Match::get().path("big.bin"), Fault::slow_down()).times(2));
//! proxy.inject(FaultRule::new(
//!     Match::get().path("big.bin"),
//!     Fault::DropResponse { after_bytes: 1 << 20 },
//! ));
//! let connection = t.connection().with_endpoint_url(proxy.endpoint());
//! // ... run get_file with `connection`; then look at proxy.requests().
//! # }
//! ```

use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper::client::conn::http1 as client_http1;
use hyper::server::conn::http1 as server_http1;
use hyper::{Request, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The longest [`Fault::Stall`] accepted: stalls are for read timeouts, which tests keep short.
pub const MAX_STALL: Duration = Duration::from_secs(120);

/// Which requests a [`FaultRule`] applies to (and which [`FaultProxy::count`] counts): every
/// condition that is set must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Match {
    /// The method (`GET`, `PUT`, …), compared without regard to case.
    pub method: Option<String>,
    /// Text the request's path must contain, as sent (percent-encoded: a key `a b` is `a%20b`).
    pub path_contains: Option<String>,
    /// Text the request's query (after `?`, as sent) must contain, e.g. `uploadId=` or
    /// `partNumber=2&`.
    pub query_contains: Option<String>,
}

impl Match {
    /// Every request.
    pub fn any() -> Match {
        Match::default()
    }

    /// Requests with this method.
    pub fn method(method: impl Into<String>) -> Match {
        Match {
            method: Some(method.into()),
            ..Match::default()
        }
    }

    /// `GET` requests.
    pub fn get() -> Match {
        Match::method("GET")
    }

    /// `PUT` requests.
    pub fn put() -> Match {
        Match::method("PUT")
    }

    /// `POST` requests.
    pub fn post() -> Match {
        Match::method("POST")
    }

    /// `HEAD` requests.
    pub fn head() -> Match {
        Match::method("HEAD")
    }

    /// `DELETE` requests.
    pub fn delete() -> Match {
        Match::method("DELETE")
    }

    /// Also requires the path to contain `part` (percent-encoded, as sent).
    pub fn path(mut self, part: impl Into<String>) -> Match {
        self.path_contains = Some(part.into());
        self
    }

    /// Also requires the query to contain `part` (as sent).
    pub fn query(mut self, part: impl Into<String>) -> Match {
        self.query_contains = Some(part.into());
        self
    }

    /// Whether a request with `method` and request target `path_and_query` fits.
    pub fn matches(&self, method: &str, path_and_query: &str) -> bool {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        self.method
            .as_deref()
            .is_none_or(|wanted| wanted.eq_ignore_ascii_case(method))
            && self
                .path_contains
                .as_deref()
                .is_none_or(|part| path.contains(part))
            && self
                .query_contains
                .as_deref()
                .is_none_or(|part| query.contains(part))
    }
}

/// What happens to a request that a rule matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answered by the proxy (the upstream never sees the request) with `status` and an S3
    /// error body, `<Error><Code>CODE</Code><Message>MESSAGE</Message>
    /// <RequestId>fault-proxy</RequestId></Error>` (`application/xml`). The request body is
    /// read and discarded first, so the client sees the answer even while uploading.
    Status {
        /// The HTTP status (200 to 599), e.g. 503.
        status: u16,
        /// S3's error code, e.g. `SlowDown`.
        code: String,
        /// S3's message (`injected` unless given with [`Fault::status_with_message`]).
        message: String,
    },
    /// Forwarded, but once `after_bytes` of the request body have been written to the upstream,
    /// both connections are closed: the upstream gets an incomplete request and the client no
    /// answer (a reset, or a connection closed before the response). If the body is no longer
    /// than `after_bytes` (e.g. `u64::MAX`), the upstream gets the whole request and answers,
    /// and that answer is lost: the client's connection is closed without a response.
    DropRequest {
        /// The request body bytes the upstream gets.
        after_bytes: u64,
    },
    /// Forwarded; the status, headers (with the real `Content-Length`) and the first
    /// `after_bytes` of the response body are relayed, then the client's connection is closed
    /// (the client sees an incomplete body). A body no longer than `after_bytes` (an empty one
    /// included) is relayed whole.
    DropResponse {
        /// The response body bytes the client gets.
        after_bytes: u64,
    },
    /// Like [`Fault::DropResponse`], but after the first `after_bytes` of the body nothing is
    /// sent for `for_` (at most [`MAX_STALL`]), then the client's connection is closed.
    Stall {
        /// The response body bytes the client gets before the stall.
        after_bytes: u64,
        /// How long nothing is sent.
        for_: Duration,
    },
    /// Forwarded, with the response body byte at offset `at` XOR 0xFF (same length). A body
    /// no longer than `at` is relayed unchanged.
    FlipResponseByte {
        /// The offset in the response body.
        at: u64,
    },
    /// Forwarded, with the request body byte at offset `at` XOR 0xFF (same length), so a body
    /// checksum (`x-amz-content-sha256`, `Content-MD5`) no longer matches. A body no longer
    /// than `at` is forwarded unchanged.
    FlipRequestByte {
        /// The offset in the request body.
        at: u64,
    },
}

impl Fault {
    /// A [`Fault::Status`] answer.
    pub fn status(status: u16, code: impl Into<String>) -> Fault {
        Fault::status_with_message(status, code, "injected")
    }

    /// A [`Fault::Status`] answer with S3's `message`, e.g. a store's words refusing a header.
    pub fn status_with_message(
        status: u16,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Fault {
        Fault::Status {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    /// `503 SlowDown`, S3's throttling answer.
    pub fn slow_down() -> Fault {
        Fault::status(503, "SlowDown")
    }

    /// `500 InternalError`.
    pub fn internal_error() -> Fault {
        Fault::status(500, "InternalError")
    }
}

/// A queued fault: the next `times` requests that fit `matcher` suffer `fault`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultRule {
    /// Which requests.
    pub matcher: Match,
    /// What happens to them.
    pub fault: Fault,
    /// How many requests it applies to before it is removed.
    pub times: usize,
}

impl FaultRule {
    /// A rule for the next one request that fits `matcher`.
    pub fn new(matcher: Match, fault: Fault) -> FaultRule {
        FaultRule {
            matcher,
            fault,
            times: 1,
        }
    }

    /// The same rule for the next `times` fitting requests.
    pub fn times(mut self, times: usize) -> FaultRule {
        self.times = times;
        self
    }
}

/// A request the proxy received, in order of arrival.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    /// The method.
    pub method: String,
    /// The request target as sent (path and query, percent-encoded).
    pub path_and_query: String,
    /// The request headers as received, names in lower case, in order.
    pub headers: Vec<(String, String)>,
    /// The status the client was sent (injected, or the upstream's; 502 when the upstream
    /// could not be reached), or 0 when it got none (yet, or because of
    /// [`Fault::DropRequest`]).
    pub status: u16,
    /// The fault the request suffered, if any.
    pub fault: Option<Fault>,
}

impl Seen {
    /// The first value of header `name` (any case), if the request had it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(have, _)| have.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// A fault-injecting proxy on 127.0.0.1 in front of an upstream HTTP/1.1 server. It stops
/// (with every connection it has open) when dropped.
pub struct FaultProxy {
    endpoint: String,
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl FaultProxy {
    /// Starts a proxy to `upstream` on a free port of 127.0.0.1.
    pub async fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fault proxy on 127.0.0.1");
        let addr = listener.local_addr().expect("the fault proxy's address");
        let shared = Arc::new(Shared::default());
        let task = tokio::spawn(accept_loop(listener, upstream, shared.clone()));
        FaultProxy {
            endpoint: format!("http://{addr}"),
            addr,
            shared,
            task,
        }
    }

    /// The endpoint URL, `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The address the proxy listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues a fault rule behind those already queued. Panics on a rule that cannot be
    /// carried out (a status outside 200..=599, a stall longer than [`MAX_STALL`]); a rule
    /// for 0 requests is ignored.
    pub fn inject(&self, rule: FaultRule) {
        match &rule.fault {
            Fault::Status { status, .. } => assert!(
                (200..=599).contains(status),
                "fault proxy: status {status} is not a final HTTP status"
            ),
            Fault::Stall { for_, .. } => assert!(
                *for_ <= MAX_STALL,
                "fault proxy: a stall of {for_:?} is longer than {MAX_STALL:?}"
            ),
            _ => {}
        }
        if rule.times > 0 {
            self.shared.lock().rules.push(rule);
        }
    }

    /// Queues `fault` for the next one request that fits `matcher`.
    pub fn inject_once(&self, matcher: Match, fault: Fault) {
        self.inject(FaultRule::new(matcher, fault));
    }

    /// How many more requests the queued rules will apply to.
    pub fn pending(&self) -> usize {
        self.shared.lock().rules.iter().map(|rule| rule.times).sum()
    }

    /// Removes every queued rule.
    pub fn clear(&self) {
        self.shared.lock().rules.clear();
    }

    /// The requests received so far, in order of arrival.
    pub fn requests(&self) -> Vec<Seen> {
        self.shared.lock().seen.clone()
    }

    /// How many of the requests received so far fit `matcher`.
    pub fn count(&self, matcher: &Match) -> usize {
        self.shared
            .lock()
            .seen
            .iter()
            .filter(|seen| matcher.matches(&seen.method, &seen.path_and_query))
            .count()
    }

    /// How many client connections the proxy has accepted (one per connection: keep-alive
    /// reuses them).
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        // The accept loop owns the connection tasks (a `JoinSet`), which own their upstream
        // connections: aborting it stops them all.
        self.task.abort();
    }
}

/// What the proxy and its connections share.
#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    connections: AtomicUsize,
}

/// The queued rules and the log, under one lock so that rules are used in order of arrival.
#[derive(Default)]
struct State {
    rules: Vec<FaultRule>,
    seen: Vec<Seen>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Logs a request and takes the fault for it: its index in the log and the fault.
    fn arrive(
        &self,
        method: &str,
        path_and_query: &str,
        headers: Vec<(String, String)>,
    ) -> (usize, Option<Fault>) {
        let mut state = self.lock();
        let fault = state
            .rules
            .iter()
            .position(|rule| rule.matcher.matches(method, path_and_query))
            .map(|at| {
                let rule = &mut state.rules[at];
                rule.times -= 1;
                let fault = rule.fault.clone();
                if rule.times == 0 {
                    state.rules.remove(at);
                }
                fault
            });
        state.seen.push(Seen {
            method: method.to_owned(),
            path_and_query: path_and_query.to_owned(),
            headers,
            status: 0,
            fault: fault.clone(),
        });
        (state.seen.len() - 1, fault)
    }

    /// Records the status request `index` was answered with.
    fn answered(&self, index: usize, status: u16) {
        if let Some(seen) = self.lock().seen.get_mut(index) {
            seen.status = status;
        }
    }
}

async fn accept_loop(listener: TcpListener, upstream: SocketAddr, shared: Arc<Shared>) {
    // Dropped (when the proxy is) with the connection tasks in it, which it aborts.
    let mut connections = JoinSet::new();
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of file descriptors or the like: try again shortly.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        shared.connections.fetch_add(1, Ordering::SeqCst);
        connections.spawn(serve_client(stream, upstream, shared.clone()));
        // Forget connections that have ended.
        while connections.try_join_next().is_some() {}
    }
}

/// One client connection and its upstream connection.
struct Connection {
    shared: Arc<Shared>,
    upstream_addr: SocketAddr,
    /// Flushes of the client socket.
    client_flushes: Arc<FlushSignal>,
    /// Made when the first request is forwarded, and again when it has closed.
    upstream: tokio::sync::Mutex<Option<Upstream>>,
}

struct Upstream {
    sender: client_http1::SendRequest<Relay>,
    /// Flushes of the upstream socket.
    flushes: Arc<FlushSignal>,
    _driver: AbortOnDrop,
}

/// Aborts a task when dropped.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn serve_client(stream: TcpStream, upstream_addr: SocketAddr, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let client_flushes = Arc::new(FlushSignal::default());
    let connection = Arc::new(Connection {
        shared,
        upstream_addr,
        client_flushes: client_flushes.clone(),
        upstream: tokio::sync::Mutex::new(None),
    });
    let service = hyper::service::service_fn(move |request| handle(connection.clone(), request));
    let io = TokioIo::new(Tracked {
        inner: stream,
        flushes: client_flushes,
    });
    // An error here is a client gone or a fault's cut: either way the connection is over.
    let _ = server_http1::Builder::new()
        .preserve_header_case(true)
        .serve_connection(io, service)
        .await;
}

async fn connect_upstream(addr: SocketAddr) -> Result<Upstream, BoxError> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let flushes = Arc::new(FlushSignal::default());
    let io = TokioIo::new(Tracked {
        inner: stream,
        flushes: flushes.clone(),
    });
    let (sender, connection) = client_http1::Builder::new()
        .preserve_header_case(true)
        .handshake(io)
        .await?;
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(Upstream {
        sender,
        flushes,
        _driver: AbortOnDrop(driver),
    })
}

/// Answers one client request: with an injected status, or by forwarding it (with its fault).
async fn handle(
    connection: Arc<Connection>,
    request: Request<Incoming>,
) -> Result<Response<ProxyBody>, BoxError> {
    let method = request.method().as_str().to_owned();
    let path_and_query = request
        .uri()
        .path_and_query()
        .map_or_else(|| request.uri().to_string(), |pq| pq.as_str().to_owned());
    let shared = &connection.shared;
    let headers = request
        .headers()
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_owned(), value)
        })
        .collect();
    let (index, fault) = shared.arrive(&method, &path_and_query, headers);

    let (request_mode, response_mode) = match &fault {
        Some(Fault::Status {
            status,
            code,
            message,
        }) => {
            drain(request.into_body()).await?;
            shared.answered(index, *status);
            return Ok(error_response(*status, code, message));
        }
        None => (Mode::Pass, Mode::Pass),
        Some(Fault::DropRequest { after_bytes }) => (Mode::cut(*after_bytes, None), Mode::Pass),
        Some(Fault::FlipRequestByte { at }) => (Mode::Flip { at: *at }, Mode::Pass),
        Some(Fault::DropResponse { after_bytes }) => (Mode::Pass, Mode::cut(*after_bytes, None)),
        Some(Fault::Stall { after_bytes, for_ }) => {
            (Mode::Pass, Mode::cut(*after_bytes, Some(*for_)))
        }
        Some(Fault::FlipResponseByte { at }) => (Mode::Pass, Mode::Flip { at: *at }),
    };

    let mut slot = connection.upstream.lock().await;
    let usable = match slot.as_mut() {
        Some(upstream) => !upstream.sender.is_closed() && upstream.sender.ready().await.is_ok(),
        None => false,
    };
    if !usable {
        *slot = None;
        match connect_upstream(connection.upstream_addr).await {
            Ok(upstream) => *slot = Some(upstream),
            Err(err) => {
                shared.answered(index, 502);
                let message = format!("fault-proxy: cannot reach the upstream: {err}");
                return Ok(error_response(502, "BadGateway", &message));
            }
        }
    }
    let upstream = slot.as_mut().expect("an upstream connection");
    let (parts, body) = request.into_parts();
    let body = Relay::new(body, request_mode, upstream.flushes.clone());
    let sent = upstream
        .sender
        .send_request(Request::from_parts(parts, body))
        .await;

    if matches!(fault, Some(Fault::DropRequest { .. })) {
        // Close the upstream connection (if the cut has not already) and, by failing, the
        // client's, without an answer.
        *slot = None;
        return Err(Box::new(Injected("the request was dropped")));
    }
    let response = match sent {
        Ok(response) => response,
        Err(err) => {
            *slot = None;
            shared.answered(index, 502);
            let message = format!("fault-proxy: the upstream failed: {err}");
            return Ok(error_response(502, "BadGateway", &message));
        }
    };
    drop(slot);
    shared.answered(index, response.status().as_u16());
    let (parts, body) = response.into_parts();
    let body = Relay::new(body, response_mode, connection.client_flushes.clone());
    Ok(Response::from_parts(parts, ProxyBody::Relay(body)))
}

/// Reads and discards a request body.
async fn drain(mut body: Incoming) -> Result<(), hyper::Error> {
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        frame?;
    }
    Ok(())
}

/// An S3 error answer made by the proxy.
fn error_response(status: u16, code: &str, message: &str) -> Response<ProxyBody> {
    let body = format!(
        "<Error><Code>{}</Code><Message>{}</Message><RequestId>fault-proxy</RequestId></Error>",
        xml_escape(code),
        xml_escape(message)
    );
    let mut response = Response::new(ProxyBody::Full(Some(Bytes::from(body))));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/xml"),
    );
    headers.insert(
        "x-amz-request-id",
        header::HeaderValue::from_static("fault-proxy"),
    );
    response
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The error a body yields to make hyper close its connection.
#[derive(Debug)]
struct Injected(&'static str);

impl std::fmt::Display for Injected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "fault-proxy: {}", self.0)
    }
}

impl std::error::Error for Injected {}

/// The body of an answer to the client.
enum ProxyBody {
    /// Made by the proxy.
    Full(Option<Bytes>),
    /// The upstream's.
    Relay(Relay),
}

impl Body for ProxyBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.get_mut() {
            ProxyBody::Full(bytes) => Poll::Ready(bytes.take().map(|bytes| Ok(Frame::data(bytes)))),
            ProxyBody::Relay(relay) => Pin::new(relay).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ProxyBody::Full(bytes) => bytes.is_none(),
            ProxyBody::Relay(relay) => relay.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ProxyBody::Full(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |bytes| bytes.len() as u64))
            }
            ProxyBody::Relay(relay) => relay.size_hint(),
        }
    }
}

/// What a relayed body suffers.
#[derive(Clone, Copy, Debug)]
enum Mode {
    Pass,
    /// Cut after `after` bytes (once they have been written to the socket), after a stall.
    Cut {
        after: u64,
        stall: Option<Duration>,
    },
    /// The byte at `at` XOR 0xFF.
    Flip {
        at: u64,
    },
}

impl Mode {
    fn cut(after: u64, stall: Option<Duration>) -> Mode {
        Mode::Cut { after, stall }
    }
}

enum Phase {
    Relaying,
    /// Cut: waiting until what was relayed has been written to the socket.
    AwaitFlush,
    Stalling(Pin<Box<tokio::time::Sleep>>),
    /// Cut: every poll fails, which makes hyper close the connection.
    Failed,
}

/// A body relayed from one connection to the other, streamed, with its fault.
struct Relay {
    inner: Incoming,
    mode: Mode,
    /// The body bytes relayed so far.
    pos: u64,
    phase: Phase,
    /// Flushes of the socket this body is written to.
    flushes: Arc<FlushSignal>,
}

impl Relay {
    fn new(inner: Incoming, mode: Mode, flushes: Arc<FlushSignal>) -> Relay {
        Relay {
            inner,
            mode,
            pos: 0,
            phase: Phase::Relaying,
            flushes,
        }
    }

    /// Stops relaying: the next polls wait for the socket to be flushed, then fail.
    fn cut(&mut self) {
        self.flushes.arm();
        self.phase = Phase::AwaitFlush;
    }
}

impl Body for Relay {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        loop {
            match &mut this.phase {
                Phase::Relaying => {}
                Phase::AwaitFlush => {
                    // hyper flushes the socket only once its buffer is empty, and nothing is
                    // added to it after the cut: all relayed bytes have then been written.
                    ready!(this.flushes.poll_flushed(cx));
                    this.phase = match this.mode {
                        Mode::Cut {
                            stall: Some(stall), ..
                        } => Phase::Stalling(Box::pin(tokio::time::sleep(stall))),
                        _ => Phase::Failed,
                    };
                    continue;
                }
                Phase::Stalling(sleep) => {
                    ready!(sleep.as_mut().poll(cx));
                    this.phase = Phase::Failed;
                    continue;
                }
                Phase::Failed => {
                    return Poll::Ready(Some(Err(Box::new(Injected("connection cut")))));
                }
            }
            if let Mode::Cut { after, .. } = this.mode
                && this.pos >= after
            {
                this.cut();
                continue;
            }
            let frame = match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
                None => return Poll::Ready(None),
                Some(Err(err)) => return Poll::Ready(Some(Err(Box::new(err)))),
                Some(Ok(frame)) => frame,
            };
            let data = match frame.into_data() {
                Ok(data) => data,
                Err(trailers) => return Poll::Ready(Some(Ok(trailers))),
            };
            let start = this.pos;
            let len = data.len() as u64;
            let data = match this.mode {
                Mode::Pass => data,
                Mode::Flip { at } if (start..start + len).contains(&at) => {
                    let mut bytes = data.to_vec();
                    bytes[(at - start) as usize] ^= 0xFF;
                    Bytes::from(bytes)
                }
                Mode::Flip { .. } => data,
                Mode::Cut { after, .. } => {
                    let keep = after - start;
                    if len > keep {
                        this.cut();
                        data.slice(..keep as usize)
                    } else if len == keep && !this.inner.is_end_stream() {
                        this.cut();
                        data
                    } else {
                        data
                    }
                }
            };
            this.pos += data.len() as u64;
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.phase, Phase::Relaying) && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        // The real length, also when the body will be cut: the peer must see it fall short.
        self.inner.size_hint()
    }
}

/// Tells a cut body when the socket it is written to has been flushed since the cut.
#[derive(Default)]
struct FlushSignal {
    state: Mutex<FlushState>,
}

#[derive(Default)]
struct FlushState {
    armed: bool,
    flushed: bool,
    waker: Option<Waker>,
}

impl FlushSignal {
    fn lock(&self) -> MutexGuard<'_, FlushState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts waiting for the next flush.
    fn arm(&self) {
        let mut state = self.lock();
        state.armed = true;
        state.flushed = false;
    }

    /// Ready once the socket has been flushed since [`FlushSignal::arm`].
    fn poll_flushed(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.lock();
        if state.flushed {
            state.armed = false;
            Poll::Ready(())
        } else {
            state.waker = Some(cx.waker().clone());
            Poll::Pending
        }
    }

    /// The socket has been flushed.
    fn on_flush(&self) {
        let mut state = self.lock();
        if state.armed && !state.flushed {
            state.flushed = true;
            if let Some(waker) = state.waker.take() {
                waker.wake();
            }
        }
    }
}

/// A socket that reports its flushes.
struct Tracked {
    inner: TcpStream,
    flushes: Arc<FlushSignal>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let flushed = ready!(Pin::new(&mut this.inner).poll_flush(cx));
        if flushed.is_ok() {
            this.flushes.on_flush();
        }
        Poll::Ready(flushed)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
