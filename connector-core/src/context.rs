//! What a running module gets: the client of its connection.

use crate::client::S3Client;
use crate::connection::Connection;
use crate::error::Result;
use crate::local_files::LocalFiles;
use crate::transfer::{Progress, SharedProgress};

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

    /// A context in which nothing is sent: modules stop at their first request, which
    /// [`Registry::invoke`](crate::Registry::invoke) returns signed instead of its output.
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
