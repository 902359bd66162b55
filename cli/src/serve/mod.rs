//! `s3-connector serve`: the registry over HTTP (axum), the scenario-builder page, and the
//! encrypted connections store — bound to loopback unless a bearer token guards it.

mod api;
pub mod store;

use crate::local_store::{LocalStore, LocalStoreConfig};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use connector_core::local_files::LocalFiles;
use connector_core::{Error, ErrorKind, Registry, Result};
use serde_json::Value;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use store::ConnectionStore;
use subtle::ConstantTimeEq;

pub use api::status_of;

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
    /// The most requests handled at once.
    pub max_concurrency: usize,
    /// The largest request body, in bytes.
    pub body_limit: usize,
    /// Also start the embedded local store, with a stored connection named `local` to it.
    pub local: bool,
    /// The folder modules may read and write local files in (`source.path`, `save_to`);
    /// `None`: no local files.
    pub files_dir: Option<PathBuf>,
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
            body_limit: 64 * 1024 * 1024,
            local: false,
            files_dir: None,
        }
    }
}

/// The shared state of the handlers.
pub struct AppState {
    registry: &'static Registry,
    store: ConnectionStore,
    token: Option<String>,
    local_files: LocalFiles,
    request_timeout: Duration,
    manifest: Value,
    openapi: Value,
}

/// A running service.
pub struct Server {
    addr: SocketAddr,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
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
        let local = LocalStore::start(LocalStoreConfig::default()).await?;
        for old in store.list()?.into_iter().filter(|c| c.name == "local") {
            store.remove(&old.id)?;
        }
        store.insert("local".into(), &local.connection())?;
        Some(local)
    } else {
        None
    };
    let state = Arc::new(AppState {
        registry,
        store,
        token: config.token.clone(),
        local_files: match &config.files_dir {
            Some(dir) => LocalFiles::Under(dir.clone()),
            None => LocalFiles::Nowhere,
        },
        request_timeout: config.request_timeout,
        manifest: crate::manifest::connector_manifest(registry),
        openapi: crate::openapi::openapi(registry),
    });
    let app = router(state, &config);
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.changed().await;
            })
            .await
    });
    tracing::info!(%addr, "serving");
    Ok(Server {
        addr,
        stop,
        task,
        _local: local,
    })
}

fn router(state: Arc<AppState>, config: &ServeConfig) -> Router {
    let api = Router::new()
        .route("/v1/manifest", get(api::manifest))
        .route("/v1/modules", get(api::modules))
        .route("/v1/modules/{name}", get(api::module))
        .route("/v1/modules/{name}/run", post(api::run))
        .route("/v1/options/{provider}", post(api::options))
        .route(
            "/v1/connections",
            get(api::connections).post(api::store_connection),
        )
        .route(
            "/v1/connections/{id}",
            get(api::connection).delete(api::delete_connection),
        )
        .route("/openapi.json", get(api::openapi))
        .fallback(api::not_found)
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token));
    Router::new()
        .route("/", get(api::page))
        .route("/assets/app.js", get(api::script))
        .route("/assets/app.css", get(api::stylesheet))
        .merge(api)
        .layer(DefaultBodyLimit::max(config.body_limit))
        .layer(tower::limit::ConcurrencyLimitLayer::new(
            config.max_concurrency,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// With a token configured, every API request must carry `Authorization: Bearer TOKEN`
/// (compared in constant time). Without one (loopback only), requests must name the service by
/// a loopback host and come from no other web origin: a web page elsewhere cannot reach it
/// through DNS rebinding or a cross-site request.
async fn require_token(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let refuse = |message: &str| {
        api::ApiError::from(Error::new(ErrorKind::Auth, message).with_field("authorization"))
            .into_response()
    };
    match &state.token {
        Some(token) => {
            let given = request
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or("");
            let same: bool = given.as_bytes().ct_eq(token.as_bytes()).into();
            if !same {
                return refuse("send Authorization: Bearer TOKEN (the service's token)");
            }
        }
        None => {
            let header_text = |name| request.headers().get(name).and_then(|v| v.to_str().ok());
            let host_ok = header_text(header::HOST).is_some_and(is_loopback_authority);
            let origin_ok = header_text(header::ORIGIN).is_none_or(|origin| {
                origin
                    .strip_prefix("http://")
                    .or_else(|| origin.strip_prefix("https://"))
                    .is_some_and(is_loopback_authority)
            });
            if !host_ok || !origin_ok {
                return refuse(
                    "this service answers only requests addressed to it by a loopback name \
                     (127.0.0.1, localhost, [::1]); to serve others, start it with --token",
                );
            }
        }
    }
    next.run(request).await
}

/// `127.0.0.1:PORT`, `localhost:PORT`, `[::1]:PORT` (the port optional).
fn is_loopback_authority(authority: &str) -> bool {
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !host.ends_with(':') => {
            host
        }
        _ => authority,
    };
    matches!(host, "localhost" | "[::1]")
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_authorities() {
        for good in [
            "127.0.0.1:8080",
            "localhost:1",
            "localhost",
            "[::1]:9",
            "127.0.0.2:80",
        ] {
            assert!(is_loopback_authority(good), "{good}");
        }
        for bad in [
            "attacker.example",
            "attacker.example:8080",
            "10.0.0.1:80",
            "localhost.evil.com",
            "::1",
        ] {
            assert!(!is_loopback_authority(bad), "{bad}");
        }
    }
}
