//! `/mcp`: the MCP server over streamable HTTP, for agents that reach the service over the
//! network. It sits behind the same token and Host rules as the API, refuses browser origins
//! the operator did not allow, shares the service's run slots, timeout, egress and file rules,
//! and runs every call on the one connection the operator chose (`--mcp-connection`): an agent
//! never names a connection.

use super::AppState;
use crate::mcp::policy::McpPolicy;
use crate::mcp::{ContextSource, McpServer};
use connector_core::{Error, ErrorKind};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Where the MCP endpoint is.
pub const PATH: &str = "/mcp";

/// How the service answers MCP.
#[derive(Debug, Clone, Default)]
pub struct McpServiceConfig {
    /// The connection (id) every call runs on; `None`: calls are refused.
    pub connection: Option<String>,
    /// The operator's switches.
    pub policy: McpPolicy,
    /// Browser origins allowed to call (`Origin` headers); any other present origin is refused.
    pub allowed_origins: Vec<String>,
}

/// The MCP service, stopped by `shutdown` (open streams end).
pub(super) fn service(
    state: &Arc<AppState>,
    config: &McpServiceConfig,
    token_guarded: bool,
    body_limit: usize,
    shutdown: CancellationToken,
) -> StreamableHttpService<McpServer, LocalSessionManager> {
    let contexts = contexts(state.clone(), config.connection.clone());
    let server = McpServer::new(config.policy.clone(), contexts)
        .with_timeout(state.request_timeout)
        .with_runs(state.limits.runs());
    let mut http = StreamableHttpServerConfig::default()
        .with_cancellation_token(shutdown)
        .with_max_request_body_bytes(body_limit)
        .with_allowed_origins(config.allowed_origins.clone())
        // An empty list refuses every Origin present: no web page may call, unless allowed.
        .enforce_origin_validation();
    if token_guarded {
        // The token guards the service wherever it is reached (require_token checks the Host
        // of tokenless requests itself).
        http = http.disable_allowed_hosts();
    }
    StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(LocalSessionManager::default()),
        http,
    )
}

/// The context of each call: the operator's connection, under the service's rules.
fn contexts(state: Arc<AppState>, connection: Option<String>) -> ContextSource {
    Arc::new(move || {
        let state = state.clone();
        let connection = connection.clone();
        Box::pin(async move {
            let Some(id) = connection else {
                return Err(Error::new(
                    ErrorKind::Auth,
                    "this service has no connection for MCP calls: start it with \
                     --mcp-connection ID (a stored connection's id)",
                )
                .with_field("connection_id"));
            };
            let connection = state.connection_by_id(&id).await?;
            state.context(connection)
        })
    })
}
