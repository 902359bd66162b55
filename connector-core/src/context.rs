//! What a running module gets: the client of its connection.

use crate::client::S3Client;
use crate::connection::Connection;
use crate::error::Result;
use crate::transfer::{Progress, SharedProgress};

/// The context of one invocation.
#[derive(Clone)]
pub struct Context {
    client: S3Client,
    progress: Option<SharedProgress>,
}

impl Context {
    /// A context for `connection` (validated here; nothing is sent).
    pub fn new(connection: Connection) -> Result<Self> {
        Ok(Context {
            client: S3Client::new(connection)?,
            progress: None,
        })
    }

    /// A context in which nothing is sent: modules stop at their first request, which
    /// [`Registry::invoke`](crate::Registry::invoke) returns signed instead of its output.
    pub fn dry_run(connection: Connection) -> Result<Self> {
        Ok(Context {
            client: S3Client::new_dry_run(connection)?,
            progress: None,
        })
    }

    /// A context around an existing client (shares its connection pool).
    pub fn from_client(client: S3Client) -> Self {
        Context {
            client,
            progress: None,
        }
    }

    /// Reports the progress of long transfers to `progress`.
    pub fn with_progress(mut self, progress: SharedProgress) -> Self {
        self.progress = Some(progress);
        self
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
