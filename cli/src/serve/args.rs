//! The command line of `s3-connector serve`.

use super::ServeConfig;
use crate::mcp::policy::McpPolicy;
use std::path::PathBuf;
use std::time::Duration;

/// Serve the modules over HTTP (with OpenAPI) and the scenario-builder page, until Ctrl-C.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Where to listen. Anything but loopback needs --token.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: std::net::SocketAddr,
    /// A bearer token every API request must carry (at least 16 characters).
    #[arg(long, env = "S3C_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Where stored connections (encrypted) and their key file live.
    #[arg(long, env = "S3C_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// Also start the embedded local store, with a stored connection named `local`.
    #[arg(long)]
    pub local: bool,
    /// Let modules read and write local files (source.path, save_to) in this folder only.
    /// Default: no local files (content goes as text or base64).
    #[arg(long, value_name = "DIR")]
    pub files_dir: Option<PathBuf>,
    /// Let modules send requests to this S3-compatible endpoint (scheme, host and port, e.g.
    /// http://127.0.0.1:9000 or https://minio.example.com). Repeatable. Amazon S3 and STS are
    /// always allowed (--local also allows its own store); anything else is refused before a
    /// byte is sent, including names that resolve to internal addresses.
    #[arg(
        long = "allow-endpoint",
        value_name = "URL",
        env = "S3C_ALLOW_ENDPOINTS",
        value_delimiter = ','
    )]
    pub allow_endpoints: Vec<connector_core::AllowedEndpoint>,
    /// The longest one module may run, in seconds.
    #[arg(long, default_value_t = 900, value_name = "SECONDS")]
    pub request_timeout: u64,
    /// The most module runs (and option lists) at once; more are answered 503 with
    /// Retry-After.
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub max_concurrency: usize,
    /// The most open client connections; more wait to be accepted.
    #[arg(long, default_value_t = 1024, value_name = "N")]
    pub max_connections: usize,
    /// The longest a client may take to send a request's headers, or stay idle between
    /// requests, before its connection is closed.
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    pub header_timeout: u64,
    /// The longest a request body may take to arrive (answered 408 after that).
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub body_timeout: u64,
    /// The largest request body of a run of a module that takes file content (upload_file,
    /// make_api_call), in MiB; every other request may have 1 MiB. Larger files go with
    /// presigned URLs.
    #[arg(long, default_value_t = 64, value_name = "MIB")]
    pub max_content_mib: usize,
    /// The stored connection (id) every MCP call at /mcp runs on; agents never choose one.
    /// Default with --local: `local`; otherwise MCP calls are refused until one is given.
    #[arg(long, value_name = "ID", env = "S3C_MCP_CONNECTION")]
    pub mcp_connection: Option<String>,
    /// /mcp lists and allows only tools that change nothing (as `mcp --read-only`).
    #[arg(long)]
    pub mcp_read_only: bool,
    /// /mcp allows calls on this bucket only (repeatable; as `mcp --allow-bucket`).
    #[arg(long = "mcp-allow-bucket", value_name = "NAME", value_delimiter = ',')]
    pub mcp_allow_buckets: Vec<String>,
    /// /mcp runs destructive tools without the user's confirmation (as `mcp --no-confirm`).
    #[arg(long)]
    pub mcp_no_confirm: bool,
    /// A web origin (scheme, host and port, e.g. https://agent.example.com) whose pages may
    /// call /mcp. Repeatable. Default: none; a request with any other Origin is refused.
    #[arg(long = "allow-origin", value_name = "URL", value_delimiter = ',')]
    pub allow_origins: Vec<String>,
}

impl ServeArgs {
    /// The service configuration these arguments describe (state in `default_state_dir`
    /// unless given).
    pub fn into_config(self) -> ServeConfig {
        let mut config = ServeConfig::new(
            self.addr,
            self.state_dir.unwrap_or_else(super::default_state_dir),
        );
        config.token = self.token;
        config.master_key = std::env::var(super::store::MASTER_KEY_VAR).ok();
        config.local = self.local;
        config.files_dir = self.files_dir;
        config.allowed_endpoints = self.allow_endpoints;
        config.request_timeout = Duration::from_secs(self.request_timeout);
        config.max_concurrency = self.max_concurrency.max(1);
        config.max_connections = self.max_connections.max(1);
        config.header_timeout = Duration::from_secs(self.header_timeout.max(1));
        config.body_timeout = Duration::from_secs(self.body_timeout.max(1));
        config.content_body_limit = self.max_content_mib.max(1) * 1024 * 1024;
        config.mcp = super::mcp::McpServiceConfig {
            connection: self.mcp_connection,
            policy: McpPolicy {
                read_only: self.mcp_read_only,
                allowed_buckets: McpPolicy::bucket_names(&self.mcp_allow_buckets),
                confirm: !self.mcp_no_confirm,
                ..McpPolicy::default()
            },
            allowed_origins: self.allow_origins,
        };
        config
    }
}
