//! `s3-connector serve`: the registry over HTTP (axum), the scenario-builder page, and the
//! encrypted connections store — bound to loopback unless a bearer token guards it.

mod api;
mod args;
mod guard;
mod limits;
mod listener;
pub mod mcp;
pub mod store;

use crate::local_store::{LocalStore, LocalStoreConfig};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};
use connector_core::framework::local_files::LocalFiles;
use connector_core::{AllowedEndpoint, EgressPolicy, Error, Registry, Result};
use serde_json::Value;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use store::ConnectionStore;

pub use api::status_of;
pub use args::ServeArgs;

/// The id of the connection to the embedded store of `--local`.
pub const LOCAL_CONNECTION_ID: &str = "local";

/// How to run the service.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Where to listen. Anything but loopback needs a token.
    pub addr: SocketAddr,
    /// The bearer token every API request must carry, if any.
    pub token: Option<String>,
    /// Where the connections store and its key file live.
    pub state_dir: PathBuf,
    /// The store's key (`S3C_MASTER_KEY`), else the key file in `state_dir`.
    pub master_key: Option<String>,
    /// The longest one module may run.
    pub request_timeout: Duration,
    /// The most module runs (and option lists) at once; more are answered 503 at once.
    pub max_concurrency: usize,
    /// The most open connections; more wait to be accepted.
    pub max_connections: usize,
    /// The longest a client may take to send a request's headers (or stay idle between
    /// requests) before its connection is closed.
    pub header_timeout: Duration,
    /// The longest a request body may take to arrive.
    pub body_timeout: Duration,
    /// The largest request body, in bytes.
    pub body_limit: usize,
    /// The largest body of a run of a module that takes file content (upload_file,
    /// make_api_call), in bytes.
    pub content_body_limit: usize,
    /// Bytes of request bodies held at once by all requests together.
    pub body_memory: usize,
    /// Also start the embedded local store, with a connection to it whose id and name are
    /// `local` (kept in memory, not in the store).
    pub local: bool,
    /// The folder modules may read and write local files in (`source.path`, `save_to`);
    /// `None`: no local files.
    pub files_dir: Option<PathBuf>,
    /// The endpoints modules may send requests to besides Amazon S3 and STS (and, with
    /// `local`, the embedded store); requests anywhere else are refused before a byte is sent.
    pub allowed_endpoints: Vec<AllowedEndpoint>,
    /// How `/mcp` answers agents (with `local` and no connection of its own, it uses `local`).
    pub mcp: mcp::McpServiceConfig,
}

impl ServeConfig {
    /// Loopback on `addr`'s port, the default limits, state in `state_dir`.
    pub fn new(addr: SocketAddr, state_dir: PathBuf) -> Self {
        ServeConfig {
            addr,
            token: None,
            state_dir,
            master_key: None,
            request_timeout: Duration::from_secs(15 * 60),
            max_concurrency: 64,
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(60),
            body_limit: 1024 * 1024,
            content_body_limit: 64 * 1024 * 1024,
            body_memory: 512 * 1024 * 1024,
            local: false,
            files_dir: None,
            allowed_endpoints: Vec::new(),
            mcp: mcp::McpServiceConfig::default(),
        }
    }
}

/// The shared state of the handlers.
pub struct AppState {
    registry: &'static Registry,
    store: ConnectionStore,
    /// With `--local`: the connection to the embedded store, id [`LOCAL_CONNECTION_ID`]. It
    /// lives as long as the service, never in the store (services may share a state folder).
    local_connection: Option<connector_core::Connection>,
    token: Option<String>,
    local_files: LocalFiles,
    egress: EgressPolicy,
    request_timeout: Duration,
    limits: limits::Limits,
    manifest: Value,
    openapi: Value,
}

/// A running service.
pub struct Server {
    addr: SocketAddr,
    stop: tokio::sync::watch::Sender<bool>,
    /// Ends the MCP endpoint's open streams on shutdown.
    mcp_shutdown: tokio_util::sync::CancellationToken,
    task: tokio::task::JoinHandle<()>,
    _local: Option<LocalStore>,
}

impl Server {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting requests, lets running ones finish, and waits.
    pub async fn shutdown(self) {
        self.mcp_shutdown.cancel();
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }

    /// Runs until `signal` resolves, then shuts down gracefully.
    pub async fn run_until(self, signal: impl Future<Output = ()>) {
        signal.await;
        self.shutdown().await;
    }
}

/// The default state directory: `S3C_STATE_DIR`, else `$XDG_DATA_HOME/s3-connector`, else
/// `~/.local/share/s3-connector`.
pub fn default_state_dir() -> PathBuf {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("S3C_STATE_DIR")
        .or_else(|| var("XDG_DATA_HOME").map(|d| d.join("s3-connector")))
        .or_else(|| var("HOME").map(|h| h.join(".local/share/s3-connector")))
        .unwrap_or_else(|| PathBuf::from(".s3-connector"))
}

/// Starts the service.
pub async fn start(config: ServeConfig) -> Result<Server> {
    if !config.addr.ip().is_loopback() && config.token.is_none() {
        return Err(Error::invalid_input(
            "addr",
            format!(
                "{} is reachable from other machines: give a bearer token (--token or S3C_TOKEN) to bind it",
                config.addr
            ),
        ));
    }
    if config.token.as_deref().is_some_and(|t| t.len() < 16) {
        return Err(Error::invalid_input(
            "token",
            "use a token of at least 16 characters",
        ));
    }
    let registry = Registry::global();
    let store = ConnectionStore::open(&config.state_dir, config.master_key.as_deref())?;
    let local = if config.local {
        Some(LocalStore::start(LocalStoreConfig::default()).await?)
    } else {
        None
    };
    let mut egress = config
        .allowed_endpoints
        .iter()
        .cloned()
        .fold(EgressPolicy::aws_only(), EgressPolicy::allow);
    if let Some(local) = &local {
        egress = egress.allow_url(&local.endpoint())?;
    }
    tracing::info!(allowed = ?egress, "modules may send requests to Amazon S3 and STS and these");
    let state = Arc::new(AppState {
        registry,
        store,
        local_connection: local.as_ref().map(LocalStore::connection),
        token: config.token.clone(),
        local_files: match &config.files_dir {
            Some(dir) => LocalFiles::Under(dir.clone()),
            None => LocalFiles::Nowhere,
        },
        egress,
        request_timeout: config.request_timeout,
        limits: limits::Limits::new(&config),
        manifest: crate::manifest::connector_manifest(registry),
        openapi: crate::openapi::openapi(registry),
    });
    let mut mcp_config = config.mcp.clone();
    if config.local && mcp_config.connection.is_none() {
        mcp_config.connection = Some(LOCAL_CONNECTION_ID.to_owned());
    }
    let mcp_shutdown = tokio_util::sync::CancellationToken::new();
    let mcp = mcp::service(
        &state,
        &mcp_config,
        config.token.is_some(),
        config.content_body_limit.max(config.body_limit),
        mcp_shutdown.clone(),
    );
    let app = router(state, mcp);
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let connection_limits = listener::ConnectionLimits {
        max_connections: config.max_connections,
        header_timeout: config.header_timeout,
        shutdown_grace: Duration::from_secs(30),
    };
    let task = tokio::spawn(listener::serve(listener, app, connection_limits, stopped));
    tracing::info!(%addr, "serving");
    Ok(Server {
        addr,
        stop,
        mcp_shutdown,
        task,
        _local: local,
    })
}

/// The routes, and the checks in front of them: the token (or loopback) check first, so that
/// nothing of a stranger's request is read; then its body, within the limits; then, for what
/// runs modules, a run slot (MCP calls take theirs for as long as they run).
fn router(
    state: Arc<AppState>,
    mcp: rmcp::transport::streamable_http_server::StreamableHttpService<
        crate::mcp::McpServer,
        rmcp::transport::streamable_http_server::session::local::LocalSessionManager,
    >,
) -> Router {
    let runs = Router::new()
        .route("/v1/modules/{name}/run", post(api::run))
        .route("/v1/options/{provider}", post(api::options))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            limits::run_slot,
        ));
    let api = Router::new()
        .route("/v1/manifest", get(api::manifest))
        .route("/v1/modules", get(api::modules))
        .route("/v1/modules/{name}", get(api::module))
        .merge(runs)
        .route(
            "/v1/connections",
            get(api::connections).post(api::store_connection),
        )
        .route(
            "/v1/connections/{id}",
            get(api::connection).delete(api::delete_connection),
        )
        .route("/openapi.json", get(api::openapi))
        .route_service(mcp::PATH, mcp)
        .fallback(api::not_found)
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            limits::read_body,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            guard::require_token,
        ));
    Router::new()
        .route("/", get(api::page))
        .route("/assets/app.js", get(api::script))
        .route("/assets/app.css", get(api::stylesheet))
        .merge(api)
        // The bodies were read within their limits already.
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn(guard::security_headers))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}
