//! The embedded local store: a real S3-compatible server (s3s + s3s-fs) serving a directory on
//! 127.0.0.1, for trying the connector without an AWS account and for the tests.
//!
//! It checks SigV4 signatures (headers, presigned URLs, POST policies, chunked uploads) and the
//! payload hash strictly, with one access key pair. Keys with a `.` or `..` segment are refused
//! (`400 InvalidArgument`): the store keeps objects as files, and such a key would name a file
//! of another key, another bucket or the store's own records.

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
        builder.set_access(PlainKeysOnly);
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

/// Lets through signed requests whose object keys are plain paths: no `.` or `..` segment,
/// in the URL, a copy source, a POST upload's form or a batch delete.
struct PlainKeysOnly;

/// Refuses `key` if a segment between slashes is `.` or `..`.
fn plain_key(key: &str) -> s3s::S3Result<()> {
    if key
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return Err(s3s::s3_error!(
            InvalidArgument,
            "Object keys with a '.' or '..' segment are not supported by this local store"
        ));
    }
    Ok(())
}

fn plain_copy_source(source: &s3s::dto::CopySource) -> s3s::S3Result<()> {
    match source {
        s3s::dto::CopySource::Bucket { key, .. }
        | s3s::dto::CopySource::AccessPoint { key, .. }
        | s3s::dto::CopySource::Outpost { key, .. } => plain_key(key),
    }
}

#[connector_core::async_trait]
impl s3s::access::S3Access for PlainKeysOnly {
    async fn check(&self, cx: &mut s3s::access::S3AccessContext<'_>) -> s3s::S3Result<()> {
        // As without an access check: a signature is required.
        if cx.credentials().is_none() {
            return Err(s3s::s3_error!(AccessDenied, "Signature is required"));
        }
        match cx.s3_path() {
            s3s::path::S3Path::Object { key, .. } => plain_key(key),
            _ => Ok(()),
        }
    }

    async fn put_object(
        &self,
        req: &mut s3s::S3Request<s3s::dto::PutObjectInput>,
    ) -> s3s::S3Result<()> {
        plain_key(&req.input.key)
    }

    async fn copy_object(
        &self,
        req: &mut s3s::S3Request<s3s::dto::CopyObjectInput>,
    ) -> s3s::S3Result<()> {
        plain_copy_source(&req.input.copy_source)
    }

    async fn upload_part_copy(
        &self,
        req: &mut s3s::S3Request<s3s::dto::UploadPartCopyInput>,
    ) -> s3s::S3Result<()> {
        plain_copy_source(&req.input.copy_source)
    }

    async fn delete_objects(
        &self,
        req: &mut s3s::S3Request<s3s::dto::DeleteObjectsInput>,
    ) -> s3s::S3Result<()> {
        req.input
            .delete
            .objects
            .iter()
            .try_for_each(|object| plain_key(&object.key))
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

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::wire::credentials::Credentials;
    use connector_core::wire::signer::{SignRequest, Signer, sha256_hex};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Sends one request signed for the store exactly as written: the path is not normalised
    /// (HTTP clients built on URL parsers remove `.` and `..` segments before sending).
    async fn raw_request(
        store: &LocalStore,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, String) {
        let url = format!("{}{path}", store.endpoint());
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        let hash = sha256_hex(body);
        let signed = Signer::s3("us-east-1")
            .sign(
                &SignRequest {
                    method,
                    url: &url,
                    headers: &headers,
                    payload_sha256: &hash,
                },
                &Credentials::new(store.access_key(), store.secret_key(), None),
                std::time::SystemTime::now(),
            )
            .unwrap();
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nhost: {}\r\ncontent-length: {}\r\nconnection: close\r\n",
            store.addr(),
            body.len()
        );
        for (name, value) in headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .chain(signed.iter().map(|(n, v)| (*n, v.as_str())))
        {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        let mut stream = tokio::net::TcpStream::connect(store.addr()).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        stream.write_all(body).await.unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap();
        let answer = String::from_utf8_lossy(&answer).into_owned();
        let status = answer
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        (status, answer)
    }

    #[tokio::test]
    async fn keys_with_dot_segments_are_refused() {
        let store = LocalStore::start(LocalStoreConfig::default())
            .await
            .unwrap();
        for bucket in ["/inner", "/other"] {
            let (status, answer) = raw_request(&store, "PUT", bucket, &[], b"").await;
            assert_eq!(status, 200, "{answer}");
        }
        let (status, answer) = raw_request(&store, "PUT", "/inner/plain", &[], b"kept").await;
        assert_eq!(status, 200, "{answer}");

        for path in [
            "/inner/a/../../other/escaped",
            "/inner/../other/escaped",
            "/inner/a/./escaped",
            "/inner/a/../../.upload-escaped.json",
        ] {
            let (status, answer) = raw_request(&store, "PUT", path, &[], b"outside").await;
            assert_eq!(status, 400, "PUT {path}: {answer}");
            assert!(answer.contains("<Code>InvalidArgument</Code>"), "{answer}");
            let (status, answer) = raw_request(&store, "GET", path, &[], b"").await;
            assert_eq!(status, 400, "GET {path}: {answer}");
        }
        // Percent-encoded dots are refused too (here already by the signature check, as the
        // store signs the decoded key).
        let path = "/inner/a/%2E%2E/%2e%2E/other/escaped";
        let (status, answer) = raw_request(&store, "PUT", path, &[], b"outside").await;
        assert!(matches!(status, 400 | 403), "PUT {path}: {answer}");
        let (status, answer) = raw_request(
            &store,
            "PUT",
            "/other/copy",
            &[("x-amz-copy-source", "inner/a/../plain")],
            b"",
        )
        .await;
        assert_eq!(status, 400, "copy: {answer}");
        assert!(answer.contains("<Code>InvalidArgument</Code>"), "{answer}");

        // Nothing was written outside the keys' own places.
        assert!(!store.dir().join("other/escaped").exists());
        assert!(!store.dir().join("inner/escaped").exists());
        assert!(!store.dir().join(".upload-escaped.json").exists());
        let (status, answer) = raw_request(&store, "GET", "/inner/plain", &[], b"").await;
        assert_eq!(status, 200, "{answer}");
        assert!(answer.ends_with("kept"), "{answer}");
    }
}
