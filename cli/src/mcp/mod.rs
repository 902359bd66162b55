//! The modules as tools of a Model Context Protocol server, for AI agents: `s3-connector mcp`
//! over standard input and output. The registry is the catalogue (one tool per module, its
//! schemas, annotations from its effects); the operator's switches ([`McpPolicy`]) decide what
//! an agent may list and call, and are applied before anything is sent.

mod args;
mod call;
pub mod catalog;
mod content;
pub mod policy;
mod progress;
mod resources;

pub use args::McpArgs;
use connector_core::{Context, Error, ErrorKind, Registry, Result};
use futures_util::future::BoxFuture;
use policy::McpPolicy;
use rmcp::RoleServer;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, ErrorData, Implementation,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
    ProtocolVersion, ReadResourceRequestParams, ReadResourceResponse, ServerCapabilities,
    ServerConfig, Tool,
};
use rmcp::service::{ElicitationMode, RequestContext};
use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Where each call's context (connection, local files) comes from.
pub type ContextSource = Arc<dyn Fn() -> BoxFuture<'static, Result<Context>> + Send + Sync>;

/// The MCP server: the registry's modules as tools, under the operator's policy.
#[derive(Clone)]
pub struct McpServer {
    policy: Arc<McpPolicy>,
    contexts: ContextSource,
    timeout: Option<Duration>,
    runs: Option<Arc<Semaphore>>,
}

const INSTRUCTIONS: &str = "Amazon S3 (and S3-compatible stores): list, read, upload, copy, \
    move and delete files and buckets, make presigned links, or make any S3 API call. Each tool \
    takes JSON as its schema says; errors come back as results with isError and an error object \
    (kind, message, field, retryable) naming the field to fix. Large files are never returned \
    inline: get_file answers a download link; upload large files through a presigned PUT.";

impl McpServer {
    /// A server applying `policy`, whose calls run in contexts from `contexts`.
    pub fn new(policy: McpPolicy, contexts: ContextSource) -> McpServer {
        McpServer {
            policy: Arc::new(policy),
            contexts,
            timeout: None,
            runs: None,
        }
    }

    /// Runs a call only with a free slot of `runs` (held until it ends); with none free, the
    /// call is refused as `throttled`, to be retried.
    pub fn with_runs(mut self, runs: Arc<Semaphore>) -> McpServer {
        self.runs = Some(runs);
        self
    }

    /// A run slot, if runs are limited.
    fn slot(&self) -> Result<Option<OwnedSemaphorePermit>> {
        let Some(runs) = &self.runs else {
            return Ok(None);
        };
        runs.clone().try_acquire_owned().map(Some).map_err(|_| {
            Error::new(
                ErrorKind::Throttled,
                "the service is running as many calls as it may at once; retry shortly",
            )
            .with_retryable(true)
        })
    }

    /// Ends every call that runs longer than `timeout` with a `timeout` error.
    pub fn with_timeout(mut self, timeout: Duration) -> McpServer {
        self.timeout = Some(timeout);
        self
    }

    async fn context(&self) -> Result<Context> {
        (self.contexts)().await
    }

    /// Completes when a call has run too long (never, without a timeout).
    async fn timeout(&self) {
        match self.timeout {
            Some(timeout) => tokio::time::sleep(timeout).await,
            None => std::future::pending().await,
        }
    }

    /// Whether the client of `ctx` can ask its user questions (form elicitation).
    fn client_elicits(&self, ctx: &RequestContext<RoleServer>) -> bool {
        ctx.peer
            .supported_elicitation_modes()
            .contains(&ElicitationMode::Form)
    }

    fn tools(&self, ctx: &RequestContext<RoleServer>) -> Vec<Tool> {
        let confirmation = self.policy.confirmation(self.client_elicits(ctx));
        catalog::tools(Registry::global(), &self.policy, confirmation)
    }
}

impl rmcp::ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_resources()
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new(
                "s3-connector",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(INSTRUCTIONS)
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        // 2026-07-28 forbids the server's questions (confirmations) during a call.
        Cow::Borrowed(ProtocolVersion::known_up_to(&ProtocolVersion::V_2025_11_25))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> std::result::Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools(&ctx)))
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _ctx: RequestContext<RoleServer>,
    ) -> std::result::Result<ListResourcesResult, ErrorData> {
        resources::list(self).await
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _ctx: RequestContext<RoleServer>,
    ) -> std::result::Result<ListResourceTemplatesResult, ErrorData> {
        Ok(resources::templates())
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _ctx: RequestContext<RoleServer>,
    ) -> std::result::Result<ReadResourceResponse, ErrorData> {
        Ok(resources::read(self, &request.uri).await?.into())
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResponse, ErrorData> {
        if Registry::global().get(&request.name).is_none() {
            return Err(ErrorData::invalid_params(
                format!("no tool is called {:?}", request.name),
                None,
            ));
        }
        let arguments = request.arguments.unwrap_or_default();
        let outcome = call::call(self, &request.name, arguments, &ctx).await;
        Ok(call::result(outcome).into())
    }
}

/// The longest the server waits, once its client has gone, for the clean-up of cancelled calls
/// (aborting their multipart uploads).
const CLEANUP_TIME: Duration = Duration::from_secs(10);

/// Serves `server` over standard input and output until the client closes them, then waits
/// for the clean-up of cancelled calls.
pub async fn serve_stdio(server: McpServer) -> Result<()> {
    use rmcp::ServiceExt;
    let failed = |what: &str, err: &dyn std::fmt::Display| {
        Error::new(ErrorKind::Server, format!("the MCP session {what}: {err}"))
    };
    let running = server
        .serve(rmcp::transport::stdio_pipes())
        .await
        .map_err(|err| failed("could not start", &err))?;
    let ended = running.waiting().await;
    connector_core::wire::cleanup::finish(CLEANUP_TIME).await;
    ended.map(drop).map_err(|err| failed("failed", &err))
}
