//! What a running module gets: the client of its connection.

use crate::client::S3Client;
use crate::connection::Connection;
use crate::error::Result;

/// The context of one invocation.
#[derive(Debug, Clone)]
pub struct Context {
    client: S3Client,
}

impl Context {
    /// A context for `connection` (validated here; nothing is sent).
    pub fn new(connection: Connection) -> Result<Self> {
        Ok(Context {
            client: S3Client::new(connection)?,
        })
    }

    /// A context in which nothing is sent: modules stop at their first request, which
    /// [`Registry::invoke`](crate::Registry::invoke) returns signed instead of its output.
    pub fn dry_run(connection: Connection) -> Result<Self> {
        Ok(Context {
            client: S3Client::new_dry_run(connection)?,
        })
    }

    /// A context around an existing client (shares its connection pool).
    pub fn from_client(client: S3Client) -> Self {
        Context { client }
    }

    /// The S3 client.
    pub fn client(&self) -> &S3Client {
        &self.client
    }
}
