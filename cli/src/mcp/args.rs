//! The operator's switches of `s3-connector mcp`.

use super::policy::McpPolicy;
use std::path::PathBuf;

/// What agents may do through this server.
#[derive(Debug, Clone, clap::Args)]
pub struct McpArgs {
    /// List and allow only tools that change nothing: no uploads, copies, deletes, bucket
    /// changes, raw API calls, write links or credentials.
    #[arg(long)]
    pub read_only: bool,
    /// Allow calls on this bucket only (repeatable, or comma-separated in the environment);
    /// a call naming any other is refused before anything is sent, and list_buckets shows only
    /// these. Default: any bucket.
    #[arg(
        long = "allow-bucket",
        value_name = "NAME",
        env = "S3C_ALLOW_BUCKETS",
        value_delimiter = ','
    )]
    pub allow_buckets: Vec<String>,
    /// Let tools read and write local files (source.path, save_to) in this folder only.
    /// Default: no local files; content goes as text, or by presigned link.
    #[arg(long, value_name = "DIR")]
    pub files_dir: Option<PathBuf>,
    /// The largest file content returned or taken inline, in KiB (also caps other outputs):
    /// larger or binary files come back as a download link.
    #[arg(long, default_value_t = 256, value_name = "KIB",
          value_parser = clap::value_parser!(u64).range(1..=16384))]
    pub max_inline_kib: u64,
    /// How long the download links given instead of large content stay valid, in seconds.
    #[arg(long, default_value_t = 900, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=604800))]
    pub link_expires: u64,
    /// Run destructive tools (deletes, moves, policy and CORS changes, raw calls) without the
    /// user's confirmation. Default: the client asks its user, or the agent must set
    /// `confirm: true`.
    #[arg(long)]
    pub no_confirm: bool,
}

impl McpArgs {
    /// The policy these switches describe.
    pub fn policy(&self) -> McpPolicy {
        McpPolicy {
            read_only: self.read_only,
            allowed_buckets: McpPolicy::bucket_names(&self.allow_buckets),
            confirm: !self.no_confirm,
            max_inline: self.max_inline_kib * 1024,
            link_expires: self.link_expires,
        }
    }
}
