//! The embedded local store: a real S3-compatible server (s3s + s3s-fs) serving a directory on
//! 127.0.0.1, for trying the connector without an AWS account and for the tests.
//!
//! It checks SigV4 signatures (headers, presigned URLs, POST policies, chunked uploads) and the
//! payload hash strictly, with one access key pair.

use connector_core::Connection;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The access key ID of the local store unless another is chosen (made up; not an AWS key).
pub const LOCAL_ACCESS_KEY: &str = "s3c-local-access-key";
/// The secret access key of the local store unless another is chosen (made up; not an AWS key).
pub const LOCAL_SECRET_KEY: &str = "s3c-local-secret-key-for-tests-only";

/// How to start a local store.
#[derive(Debug, Clone)]
pub struct LocalStoreConfig {
    /// The directory buckets live in (created if missing); `None` = a new temporary directory,
    /// removed when the store stops.
    pub dir: Option<PathBuf>,
    /// The port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// The access key ID requests must be signed with.
    pub access_key: String,
    /// The secret access key requests must be signed with.
    pub secret_key: String,
}

impl Default for LocalStoreConfig {
    fn default() -> Self {
        LocalStoreConfig {
            dir: None,
            port: 0,
            access_key: LOCAL_ACCESS_KEY.to_owned(),
            secret_key: LOCAL_SECRET_KEY.to_owned(),
        }
    }
}

/// A running local store. It stops when dropped.
pub struct LocalStore {
    addr: SocketAddr,
    dir: PathBuf,
    access_key: String,
    secret_key: String,
    requests: Arc<AtomicU64>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    _temp: Option<tempfile::TempDir>,
}

impl LocalStore {
    /// Starts a store on 127.0.0.1.
    pub async fn start(config: LocalStoreConfig) -> std::io::Result<LocalStore> {
        let (dir, temp) = match config.dir {
            Some(dir) => {
                std::fs::create_dir_all(&dir)?;
                (dir, None)
            }
            None => {
                let temp = tempfile::Builder::new().prefix("s3c-local-").tempdir()?;
                (temp.path().to_owned(), Some(temp))
            }
        };
        let fs = s3s_fs::FileSystem::new(&dir).map_err(|err| {
            std::io::Error::other(format!("cannot serve {}: {err:?}", dir.display()))
        })?;
        let mut builder = s3s::service::S3ServiceBuilder::new(fs);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(
            config.access_key.clone(),
            config.secret_key.clone(),
        ));
        let service = builder.build();

        let listener = TcpListener::bind(("127.0.0.1", config.port)).await?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(AtomicU64::new(0));
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(serve(listener, service, requests.clone(), stopped));
        Ok(LocalStore {
            addr,
            dir,
            access_key: config.access_key,
            secret_key: config.secret_key,
            requests,
            stop,
            task: Some(task),
            _temp: temp,
        })
    }

    /// The endpoint URL (`http://127.0.0.1:PORT`).
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The socket address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The directory it serves.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The access key ID it accepts.
    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    /// The secret access key it accepts.
    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// A connection to this store.
    pub fn connection(&self) -> Connection {
        Connection::new(&self.access_key, &self.secret_key).with_endpoint_url(self.endpoint())
    }

    /// How many HTTP requests it has received.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// Stops accepting connections and waits for the server task to end.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for LocalStore {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn serve(
    listener: TcpListener,
    service: s3s::service::S3Service,
    requests: Arc<AtomicU64>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.changed() => break,
        };
        let Ok((stream, _)) = accepted else { continue };
        let service = service.clone();
        let requests = requests.clone();
        let counted = hyper::service::service_fn(move |request| {
            requests.fetch_add(1, Ordering::SeqCst);
            hyper::service::Service::call(&service, request)
        });
        connections.spawn(async move {
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            let _ = builder
                .serve_connection(TokioIo::new(stream), counted)
                .await;
        });
        // Forget connections that have ended.
        while connections.try_join_next().is_some() {}
    }
    connections.abort_all();
}
