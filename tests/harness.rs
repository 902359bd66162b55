//! The integration-test harness: a real S3-compatible server (s3s-fs, in-process, on a random
//! port of 127.0.0.1, in a temporary directory) and a way to run modules through the registry by
//! name with JSON, as an automation platform does.

use connector_core::{Connection, Context, Registry, Result};
use s3_connector::local_store::{LocalStore, LocalStoreConfig};
use serde_json::Value;

// The modules register themselves only if the test binary refers to their crate.
pub use s3_modules;

pub mod fault_proxy;
pub mod hostile_server;

/// The fixed test keys the server accepts (made up for these tests).
pub const TEST_ACCESS_KEY: &str = "AKIDS3CONNECTORTEST";
/// The fixed test secret.
pub const TEST_SECRET_KEY: &str = "s3-connector/test+secret=key";

/// Keys with every special character a person is likely to use (s3s-fs stores them exactly;
/// it lists `+`, `//` and `%XX` lossily).
pub const SPECIAL_KEYS: [&str; 7] = [
    "with space.txt",
    "unicode/ünïcödé/日本語/файл.txt",
    "punct/+ = : @ , ; ! ' * $ ( ) [ ] | & ~ %.txt",
    "plus+sign.txt",
    "percent%41%2F.txt",
    "double//slash.txt",
    "emoji 🎉.txt",
];

/// The `item` of every entry of the list `field` of a module's output (e.g. every `key` of
/// `files`).
pub fn column(output: &Value, field: &str, item: &str) -> Vec<String> {
    output[field]
        .as_array()
        .unwrap_or_else(|| panic!("no list {field} in {output}"))
        .iter()
        .map(|entry| entry[item].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A running test server with a connection to it.
pub struct TestStore {
    /// The server.
    pub store: LocalStore,
    /// A context whose connection points at the server.
    pub ctx: Context,
}

impl TestStore {
    /// Starts a server in a fresh temporary directory.
    pub async fn start() -> TestStore {
        let store = LocalStore::start(LocalStoreConfig {
            access_key: TEST_ACCESS_KEY.to_owned(),
            secret_key: TEST_SECRET_KEY.to_owned(),
            ..LocalStoreConfig::default()
        })
        .await
        .expect("start the local S3 server");
        let ctx = Context::new(store.connection()).expect("connection");
        TestStore { store, ctx }
    }

    /// A connection to the server.
    pub fn connection(&self) -> Connection {
        self.store.connection()
    }

    /// Runs module `name` with `input` through the registry.
    pub async fn run(&self, name: &str, input: Value) -> Result<Value> {
        Registry::global().invoke(&self.ctx, name, input).await
    }

    /// Runs module `name` with another connection.
    pub async fn run_with(
        &self,
        connection: Connection,
        name: &str,
        input: Value,
    ) -> Result<Value> {
        let ctx = Context::new(connection)?;
        Registry::global().invoke(&ctx, name, input).await
    }

    /// Runs module `name` and panics with the error if it fails.
    pub async fn ok(&self, name: &str, input: Value) -> Value {
        match self.run(name, input.clone()).await {
            Ok(output) => output,
            Err(err) => panic!("{name} {input} failed: {}", err.to_json()),
        }
    }

    /// Creates a bucket.
    pub async fn bucket(&self, name: &str) {
        self.ok("create_bucket", serde_json::json!({ "bucket": name }))
            .await;
    }

    /// How many HTTP requests the server has received.
    pub fn requests(&self) -> u64 {
        self.store.requests()
    }
}

/// A moto S3 server (`python -m moto.server`) as a child process on a random port of
/// 127.0.0.1, for what s3s-fs cannot do faithfully (keys with a leading `/`, exact listings of
/// keys with `+`, `//` or `%`). It is stopped when dropped.
pub struct Moto {
    child: std::process::Child,
    endpoint: String,
}

/// The variable naming the Python that has `moto[server]` installed (set by `scripts/test`).
pub const PYTHON_VAR: &str = "S3C_TEST_PYTHON";

/// The variable naming the `ministack` program (set by `scripts/test`).
pub const MINISTACK_VAR: &str = "S3C_TEST_MINISTACK";

/// The program named by `var`, or `None` (the test is skipped with a note) when it is not set.
/// With `S3C_REQUIRE_SERVERS=1` (as `scripts/test` sets) a missing server fails the test.
fn configured(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(program) => Some(program),
        Err(_) if std::env::var("S3C_REQUIRE_SERVERS").is_ok_and(|v| v == "1") => {
            panic!("{var} is not set: run the tests with scripts/test")
        }
        Err(_) => {
            eprintln!("skipped: {var} is not set (scripts/test sets it up)");
            None
        }
    }
}

/// Starts the server `command` builds for a port, on a free port of 127.0.0.1, and waits until
/// it accepts connections. Returns the child and its endpoint URL.
fn spawn_server(
    what: &str,
    command: impl Fn(u16) -> std::process::Command,
) -> (std::process::Child, String) {
    for _ in 0..3 {
        let port = free_port();
        let mut child = command(port)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {what}: {err}"));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return (child, format!("http://127.0.0.1:{port}"));
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("{what} did not start on 127.0.0.1");
}

impl Moto {
    /// Starts moto, or returns `None` when no Python with moto is configured (see
    /// [`PYTHON_VAR`]).
    pub fn start() -> Option<Moto> {
        let python = configured(PYTHON_VAR)?;
        let (child, endpoint) = spawn_server("moto", |port| {
            let mut command = std::process::Command::new(&python);
            command.args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ]);
            command
        });
        Some(Moto { child, endpoint })
    }

    /// Starts moto with an IAM user and a role, and signature checks on: requests must then be
    /// signed with the user's keys (or temporary credentials from them).
    pub fn start_with_iam() -> Option<(Moto, IamUser)> {
        let moto = Moto::start()?;
        let python = std::env::var(PYTHON_VAR).expect("checked by start");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/servers/moto_iam.py");
        let output = std::process::Command::new(python)
            .args([script, &moto.endpoint])
            .output()
            .expect("run moto_iam.py");
        assert!(
            output.status.success(),
            "moto_iam.py failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let user: Value = serde_json::from_slice(&output.stdout).expect("JSON from moto_iam.py");
        let field = |name: &str| user[name].as_str().expect(name).to_owned();
        let user = IamUser {
            access_key_id: field("access_key_id"),
            secret_access_key: field("secret_access_key"),
            role_arn: field("role_arn"),
        };
        Some((moto, user))
    }

    /// The endpoint URL.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// A connection to this server (moto accepts any keys unless its IAM checks are enabled).
    pub fn connection(&self) -> Connection {
        Connection::new(TEST_ACCESS_KEY, TEST_SECRET_KEY).with_endpoint_url(&self.endpoint)
    }

    /// Runs module `name` with `input` against moto.
    pub async fn run(&self, name: &str, input: Value) -> Result<Value> {
        let ctx = Context::new(self.connection()).expect("connection");
        Registry::global().invoke(&ctx, name, input).await
    }

    /// Runs module `name` with `input` against moto, panicking with the error if it fails.
    pub async fn ok(&self, name: &str, input: Value) -> Value {
        match self.run(name, input.clone()).await {
            Ok(output) => output,
            Err(err) => panic!("{name} {input} failed on moto: {}", err.to_json()),
        }
    }
}

/// The IAM user and role [`Moto::start_with_iam`] created.
pub struct IamUser {
    /// The user's access key ID.
    pub access_key_id: String,
    /// The user's secret access key.
    pub secret_access_key: String,
    /// A role the user may assume.
    pub role_arn: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A ministack server (an AWS emulator whose S3 answers a request for a bucket of another
/// region with `301 PermanentRedirect`, as Amazon S3 does) as a child process on a random port
/// of 127.0.0.1. It is stopped when dropped.
pub struct Ministack {
    child: std::process::Child,
    endpoint: String,
    _state: tempfile::TempDir,
}

impl Ministack {
    /// Starts ministack, or returns `None` when it is not configured (see [`MINISTACK_VAR`]).
    pub fn start() -> Option<Ministack> {
        let program = configured(MINISTACK_VAR)?;
        let state = tempfile::tempdir().expect("a temporary directory");
        let (child, endpoint) = spawn_server("ministack", |port| {
            let mut command = std::process::Command::new(&program);
            command
                .env("GATEWAY_PORT", port.to_string())
                .env("BIND_HOST", "127.0.0.1")
                .env("TMPDIR", state.path())
                .env_remove("AWS_DEFAULT_REGION");
            command
        });
        Some(Ministack {
            child,
            endpoint,
            _state: state,
        })
    }

    /// A connection to this server in `region` (it accepts any keys without AUTH=true).
    pub fn connection(&self, region: &str) -> Connection {
        Connection::new(TEST_ACCESS_KEY, TEST_SECRET_KEY)
            .with_endpoint_url(&self.endpoint)
            .with_region(region)
    }
}

impl Drop for Ministack {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port that was free a moment ago on 127.0.0.1.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port on 127.0.0.1")
}

/// A proxy on 127.0.0.1 that forwards to `upstream` and rewrites `from` into `to` in the
/// requests it passes on (the first occurrence in each chunk), as a misbehaving proxy or load
/// balancer would. It stops when dropped.
pub struct TamperProxy {
    endpoint: String,
    task: tokio::task::JoinHandle<()>,
}

impl TamperProxy {
    /// Starts the proxy.
    pub async fn start(upstream: std::net::SocketAddr, from: &str, to: &str) -> TamperProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
        let (from, to) = (from.as_bytes().to_vec(), to.as_bytes().to_vec());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (from, to) = (from.clone(), to.clone());
                tokio::spawn(async move {
                    let Ok(server) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (mut client_read, mut client_write) = client.into_split();
                    let (mut server_read, mut server_write) = server.into_split();
                    let upstream_copy = async move {
                        use tokio::io::{AsyncReadExt, AsyncWriteExt};
                        let mut buf = vec![0u8; 64 * 1024];
                        loop {
                            let n = match client_read.read(&mut buf).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            let chunk = replace_first(&buf[..n], &from, &to);
                            if server_write.write_all(&chunk).await.is_err() {
                                break;
                            }
                        }
                    };
                    let downstream_copy = tokio::io::copy(&mut server_read, &mut client_write);
                    let _ = tokio::join!(upstream_copy, downstream_copy);
                });
            }
        });
        TamperProxy { endpoint, task }
    }

    /// The proxy's endpoint URL.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }
}

impl Drop for TamperProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn replace_first(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    match haystack
        .windows(from.len())
        .position(|window| window == from)
    {
        Some(at) => [&haystack[..at], to, &haystack[at + from.len()..]].concat(),
        None => haystack.to_vec(),
    }
}
