//! What a running module gets: the client of its connection.

use crate::error::Result;
use crate::framework::connection::Connection;
use crate::framework::local_files::LocalFiles;
use crate::ops::transfer::{Progress, SharedProgress};
use crate::wire::client::{ClientOptions, S3Client};
use crate::wire::egress::EgressPolicy;

/// The context of one invocation.
#[derive(Clone)]
pub struct Context {
    client: S3Client,
    progress: Option<SharedProgress>,
    local_files: LocalFiles,
}

impl Context {
    /// A context for `connection` (validated here; nothing is sent).
    pub fn new(connection: Connection) -> Result<Self> {
        Ok(Context {
            client: S3Client::new(connection)?,
            progress: None,
            local_files: LocalFiles::default(),
        })
    }

    /// A context whose requests may go only where `policy` allows (a service sets the policy
    /// its operator chose). A connection whose endpoint the policy does not allow is refused
    /// here, before anything is sent: `access_denied`, field `connection.endpoint_url`.
    pub fn with_egress_policy(connection: Connection, policy: EgressPolicy) -> Result<Self> {
        Self::with_client_options(
            connection,
            ClientOptions {
                egress: policy,
                ..ClientOptions::default()
            },
        )
    }

    /// A context whose client has other timeouts, retries or egress policy.
    pub fn with_client_options(connection: Connection, options: ClientOptions) -> Result<Self> {
        Ok(Context::from_client(S3Client::with_options(
            connection, options,
        )?))
    }

    /// A context in which nothing is sent: its client's transport records (see
    /// [`Recorder`](crate::wire::transport::Recorder)). Modules stop at their first request,
    /// which [`Registry::invoke`](crate::Registry::invoke) (or `Prepared::run`) returns signed
    /// instead of their output. A recorded request is never answered: run modules in this
    /// context only through those two.
    pub fn dry_run(connection: Connection) -> Result<Self> {
        Ok(Context {
            client: S3Client::new_dry_run(connection)?,
            progress: None,
            local_files: LocalFiles::default(),
        })
    }

    /// A context around an existing client (shares its connection pool).
    pub fn from_client(client: S3Client) -> Self {
        Context {
            client,
            progress: None,
            local_files: LocalFiles::default(),
        }
    }

    /// Reports the progress of long transfers to `progress`.
    pub fn with_progress(mut self, progress: SharedProgress) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Limits the local files modules may use.
    pub fn with_local_files(mut self, local_files: LocalFiles) -> Self {
        self.local_files = local_files;
        self
    }

    /// The local path a module may use for `path` given in `field`.
    pub fn local_path(&self, field: &str, path: &std::path::Path) -> Result<std::path::PathBuf> {
        self.local_files.resolve(field, path)
    }

    /// Where long transfers report their progress, if anywhere.
    pub fn progress(&self) -> Option<&dyn Progress> {
        self.progress.as_deref()
    }

    /// The S3 client.
    pub fn client(&self) -> &S3Client {
        &self.client
    }
}
