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
    /// which `Registry::invoke` (or `Prepared::run`) returns signed
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::module::{DynModule, Module, ModuleKind};
    use crate::framework::registry::Registry;
    use crate::wire::endpoint::Target;
    use async_trait::async_trait;
    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// How many of [`SendsTwice`]'s requests were answered.
    static ANSWERED: AtomicUsize = AtomicUsize::new(0);

    #[derive(Deserialize, JsonSchema)]
    struct NoInput {}

    #[derive(Serialize, JsonSchema)]
    struct NoOutput {}

    /// Sends two requests, counting the answers (errors included).
    struct SendsTwice;
    #[async_trait]
    impl Module for SendsTwice {
        type Input = NoInput;
        type Output = NoOutput;
        const NAME: &'static str = "sends_twice";
        const LABEL: &'static str = "Sends twice";
        const KIND: ModuleKind = ModuleKind::Action;
        const DESCRIPTION: &'static str = "Sends two requests.";
        async fn run(&self, ctx: &Context, _input: NoInput) -> Result<NoOutput> {
            for bucket in ["first", "second"] {
                let _ = ctx
                    .client()
                    .request(http::Method::GET, Target::bucket(bucket))
                    .send()
                    .await;
                ANSWERED.fetch_add(1, Ordering::SeqCst);
            }
            Ok(NoOutput {})
        }
    }

    static SENDS_TWICE: SendsTwice = SendsTwice;

    /// In a dry run the module stops at its first request (no error is made up for it to
    /// handle), nothing reaches the endpoint, and the output is that request.
    #[tokio::test]
    async fn a_dry_run_stops_the_module_at_its_first_request() {
        let (port, connections) = crate::wire::egress::tests::counting_listener().await;
        let connection =
            Connection::new("AK", "SK").with_endpoint_url(format!("http://127.0.0.1:{port}"));
        let registry = Registry::from_modules([&SENDS_TWICE as &dyn DynModule]).unwrap();
        let ctx = Context::dry_run(connection).unwrap();
        let output = registry
            .invoke(&ctx, "sends_twice", serde_json::json!({}))
            .await
            .unwrap();
        assert_eq!(output["dry_run"], true);
        assert_eq!(
            output["request"]["url"],
            format!("http://127.0.0.1:{port}/first")
        );
        assert_eq!(ANSWERED.load(Ordering::SeqCst), 0, "a request was answered");
        assert_eq!(connections.load(Ordering::SeqCst), 0, "a dry run connected");
    }
}
