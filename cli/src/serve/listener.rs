//! Accepting connections: at most so many at once (more wait in the kernel's backlog); each one
//! closed when it does not start a request in time (its first bytes, the HTTP/2 preface, a
//! request's headers, or the next request on a kept connection, HTTP/1 or HTTP/2 alike); and a
//! graceful stop that lets running requests finish, then lets their clean-up run.

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

/// How connections are limited.
#[derive(Debug, Clone, Copy)]
pub(super) struct ConnectionLimits {
    /// Open connections at once.
    pub max_connections: usize,
    /// The longest a connection may take to start a request: to send its first bytes, a
    /// request's headers, or its next request.
    pub header_timeout: Duration,
    /// The longest running requests get to finish once the service is stopping.
    pub shutdown_grace: Duration,
}

/// How long clean-up started by stopped requests (aborting multipart uploads) may take.
const CLEANUP_TIME: Duration = Duration::from_secs(10);

/// What a client sends first on an HTTP/2 connection without upgrade.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Serves `app` on `listener` until `stopped` changes.
pub(super) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    mut stopped: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(limits.header_timeout))
        .keep_alive_timeout(limits.header_timeout)
        .max_concurrent_streams(64);
    let mut connections = JoinSet::new();
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            _ = stopped.changed() => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    // Out of file descriptors, or the peer gave up: wait a moment, go on.
                    tracing::warn!(error = %err, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        let builder = builder.clone();
        let app = app.clone();
        let stopping = stopped.clone();
        let header_timeout = limits.header_timeout;
        connections.spawn(async move {
            let _slot = slot;
            serve_connection(stream, builder, app, header_timeout, stopping).await;
        });
        // Forget connections that have ended.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let finished = tokio::time::timeout(limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if finished.is_err() {
        tracing::warn!("requests still running at shutdown were cut off");
        connections.shutdown().await;
    }
    // Requests cut off start clean-up (aborting their multipart uploads): let it run.
    if !connector_core::wire::cleanup::finish(CLEANUP_TIME).await {
        tracing::warn!("clean-up after stopped requests did not finish in time");
    }
}

/// Serves one connection, closing it gracefully when it stays without a request for
/// `header_timeout` or when the service stops.
async fn serve_connection(
    stream: TcpStream,
    builder: auto::Builder<TokioExecutor>,
    app: Router,
    header_timeout: Duration,
    mut stopping: watch::Receiver<bool>,
) {
    if !starts_in_time(&stream, header_timeout).await {
        return;
    }
    let activity = Arc::new(Activity::new());
    let service = {
        let activity = activity.clone();
        let app = TowerToHyperService::new(app);
        hyper::service::service_fn(move |request| {
            let request_running = activity.begin();
            let answer = hyper::service::Service::call(&app, request);
            async move {
                let answer = answer.await;
                drop(request_running);
                answer
            }
        })
    };
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
    let mut connection = std::pin::pin!(connection);
    let mut closing = false;
    loop {
        let check = tokio::time::sleep(header_timeout / 4);
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(error = %err, "connection ended");
                }
                return;
            }
            _ = stopping.changed(), if !closing => {
                closing = true;
                connection.as_mut().graceful_shutdown();
            }
            _ = check, if !closing => {
                if activity.idle_for() > header_timeout {
                    closing = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// Whether the peer starts a request within `timeout`: its first byte, and, when those bytes
/// begin the HTTP/2 preface, the whole preface (HTTP/1 headers have hyper's own timeout).
async fn starts_in_time(stream: &TcpStream, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    let mut first = [0u8; 24];
    loop {
        let peeked = tokio::time::timeout_at(deadline, stream.peek(&mut first)).await;
        let n = match peeked {
            Ok(Ok(n)) if n > 0 => n,
            _ => return false,
        };
        if n == H2_PREFACE.len() || first[..n] != H2_PREFACE[..n] {
            return true;
        }
        // Part of the preface has arrived; peeking again at once would only see the same bytes.
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Requests running on one connection, and when the last one started or ended.
struct Activity {
    running: AtomicUsize,
    since: Mutex<Instant>,
}

/// Marks a request running until dropped.
struct RequestRunning(Arc<Activity>);

impl Activity {
    fn new() -> Self {
        Activity {
            running: AtomicUsize::new(0),
            since: Mutex::new(Instant::now()),
        }
    }

    fn begin(self: &Arc<Self>) -> RequestRunning {
        self.running.fetch_add(1, Ordering::SeqCst);
        self.touch();
        RequestRunning(self.clone())
    }

    fn touch(&self) {
        if let Ok(mut since) = self.since.lock() {
            *since = Instant::now();
        }
    }

    /// How long the connection has had no request running (zero while one runs).
    fn idle_for(&self) -> Duration {
        if self.running.load(Ordering::SeqCst) > 0 {
            return Duration::ZERO;
        }
        self.since
            .lock()
            .map(|since| since.elapsed())
            .unwrap_or_default()
    }
}

impl Drop for RequestRunning {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
        self.0.touch();
    }
}
